/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fwd.h - forwarding, and the ring primitives port kinds call instead of
 * touching the lease state themselves.
 */
#ifndef PTNETD_FWD_H
#define PTNETD_FWD_H

#include <stdint.h>
#include "daemon/port.h"

#define PTD_BATCH		512	/* slots taken from a TX ring per pass */

/*
 * Forward what the client published in TX ring Q (its CSB head, read once
 * and validated), release the slots through the CSB and notify the client
 * if it asked.  Returns the slots consumed.  One thread per ring at a time.
 */
unsigned int ptd_txq_forward(struct ptd_txq *q);

/*
 * Forward slots [Q->hwcur, HEAD) of a TX ring that ptnetd itself fills (a
 * kind's own thread, e.g. a TAP queue): no CSB, no notification, and the
 * slots are trusted (ptnetd wrote them).  Returns the slots consumed; all
 * of them unless the port is not running.
 */
unsigned int ptd_txq_push(struct ptd_txq *q, uint32_t head);

/*
 * Start TX ring Q afresh at the client's HEAD (e.g. a guest's CREATE):
 * nothing pending, kicks wanted.  Call with forwarding off for the port.
 */
void ptd_txq_reset(struct ptd_txq *q, uint32_t head);

/* Start RX ring Q afresh at HEAD: no leases outstanding, nothing published. */
void ptd_rxq_reset(struct ptd_rxq *q, uint32_t head);

/*
 * The writer of RX ring Q (kinds with ptd_port_ops.xmit): the kind's
 * thread takes it around writing out what is queued in Q and releasing
 * those slots (its CSB head), so a bypass never overtakes queued frames.
 * Held only for one such pass.
 */
void ptd_rxq_writer_lock(struct ptd_rxq *q);
void ptd_rxq_writer_unlock(struct ptd_rxq *q);

int ptd_rxq_init(struct ptd_rxq *q);	/* 0 or -ENOMEM */
void ptd_rxq_fini(struct ptd_rxq *q);

#endif
