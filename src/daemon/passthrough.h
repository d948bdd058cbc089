/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * passthrough.h - what other kinds served by a libptnet client (monitor.c)
 * share with the passthrough kind: its pipes and the hand-off of the
 * region and the client's ends with the "ok" reply.
 */
#ifndef PTNETD_PASSTHROUGH_H
#define PTNETD_PASSTHROUGH_H

#include "daemon/ctl.h"
#include "daemon/port.h"

/* The client's ends of every ring's pipes, until they are handed over. */
struct ptd_pt_ends {
	int kick_w[2 * PTNET_MAX_RINGS];
	int irq_r[2 * PTNET_MAX_RINGS];
};

/* Pipes for every ring of P: ptnetd's ends on the rings, the client's in S. */
int ptd_pt_ends_make(struct ptd_port *p, struct ptd_pt_ends *s, struct ptd_err *e);
/* Close what was not handed over, and the rings' ends. */
void ptd_pt_ends_close(struct ptd_port *p, struct ptd_pt_ends *s);
/* P belongs to connection C from now on; R carries the memfd and S's ends. */
void ptd_pt_hand_over(struct ptd_conn *c, struct ptd_port *p, struct ptd_pt_ends *s,
		      struct ptd_reply *r);

#endif
