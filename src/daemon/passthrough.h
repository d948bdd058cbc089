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

int ptd_pt_create(struct ptd *d, struct ptd_port *p, const void *conf, struct ptd_err *e);
void ptd_pt_free(struct ptd *d, struct ptd_port *p);
/* P belongs to connection C from now on; R carries the memfd and the client's ends. */
void ptd_pt_hand_over(struct ptd_conn *c, struct ptd_port *p, struct ptd_reply *r);

#endif
