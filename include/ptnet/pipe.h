/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipe.h - the ring protocol between the two ends of a netmap pipe pair
 * (struct ptnet_pipe_dir in abi.h): every acquire, release and full
 * barrier the ends do, labelled with its pair.  One direction is a
 * single-producer/single-consumer protocol between two processes:
 *
 *   sender (TX sync)                      receiver (RX sync)
 *   P1 acquire dir->head  ------pairs---- C1 release dir->head
 *      (then read the released slots)        (after it is done with them)
 *   P2 release dir->tail  ------pairs---- C2 acquire dir->tail
 *      (after writing the filled slots)      (then read them)
 *   N1 a side that sleeps sets its need_kick flag, full barrier, re-reads
 *      the other's index (ptnet_pipe_*_enable); the other side publishes,
 *      full barrier, reads the flag (ptnet_pipe_*_need_kick).  Without the
 *      barriers, the store of the flag (or of the index) could pass the
 *      load that follows it, both sides would miss each other's update and
 *      the sleeper would never be woken.
 */
#ifndef PTNET_PIPE_H
#define PTNET_PIPE_H

#include <stdint.h>
#include "abi.h"
#include "barrier.h"

/* P1: the receiver's released head; the slots before it are the sender's to read. */
static inline uint32_t ptnet_pipe_read_head(const struct ptnet_pipe_dir *d)
{
	return ptnet_load_acquire(&d->head);		/* pairs with C1 */
}

/* P2: the slots before TAIL (written just now) are the receiver's. */
static inline void ptnet_pipe_publish_tail(struct ptnet_pipe_dir *d, uint32_t tail)
{
	ptnet_store_release(&d->tail, tail);		/* pairs with C2 */
}

/* C1: the receiver is done with its RX slots before HEAD. */
static inline void ptnet_pipe_publish_head(struct ptnet_pipe_dir *d, uint32_t head)
{
	ptnet_store_release(&d->head, head);		/* pairs with P1 */
}

/* C2: the sender's tail; the slots before it are filled. */
static inline uint32_t ptnet_pipe_read_tail(const struct ptnet_pipe_dir *d)
{
	return ptnet_load_acquire(&d->tail);		/* pairs with P2 */
}

/* N1, sender: about to sleep for room; returns the head to re-check. */
static inline uint32_t ptnet_pipe_tx_enable(struct ptnet_pipe_dir *d)
{
	PTNET_WRITE_ONCE(d->tx_need_kick, 1);
	ptnet_smp_mb();
	return ptnet_pipe_read_head(d);
}

/* N1, receiver: about to sleep for packets; returns the tail to re-check. */
static inline uint32_t ptnet_pipe_rx_enable(struct ptnet_pipe_dir *d)
{
	PTNET_WRITE_ONCE(d->rx_need_kick, 1);
	ptnet_smp_mb();
	return ptnet_pipe_read_tail(d);
}

static inline void ptnet_pipe_tx_disable(struct ptnet_pipe_dir *d)
{
	PTNET_WRITE_ONCE(d->tx_need_kick, 0);
}

static inline void ptnet_pipe_rx_disable(struct ptnet_pipe_dir *d)
{
	PTNET_WRITE_ONCE(d->rx_need_kick, 0);
}

/* N1, sender after P2: does the receiver sleep? (the barrier orders P2 before the load) */
static inline int ptnet_pipe_rx_need_kick(const struct ptnet_pipe_dir *d)
{
	ptnet_smp_mb();
	return PTNET_READ_ONCE(d->rx_need_kick) != 0;
}

/* N1, receiver after C1: does the sender sleep? */
static inline int ptnet_pipe_tx_need_kick(const struct ptnet_pipe_dir *d)
{
	ptnet_smp_mb();
	return PTNET_READ_ONCE(d->tx_need_kick) != 0;
}

#endif /* PTNET_PIPE_H */
