/* SPDX-License-Identifier: BSD-2-Clause */
/* worker.h - forwarding workers (worker.c). */
#ifndef PTNETD_WORKER_H
#define PTNETD_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <ptnet/barrier.h>
#include "daemon/port.h"

/* Worker command (from the control thread, synchronous). */
struct ptd_wcmd {
	int op;				/* PTD_WCMD_* */
	struct ptd_txq *txq;
	struct ptd_wcmd *next;
	bool done;
};
#define PTD_WCMD_ADD	1
#define PTD_WCMD_DEL	2
#define PTD_WCMD_STOP	3

/*
 * A worker's activity, for the metrics (metrics.c).  Only the worker
 * writes it, with ptd_wstat_add (a relaxed load and store: no locked
 * instruction, once per round or per batch, never per packet); the control
 * thread reads each value with PTNET_READ_ONCE, whole but not as a snapshot.
 * busy + poll + sleep is the worker's life; the sleep in progress is
 * (now - asleep_since) while asleep_since is not 0.
 */
#define PTD_BATCH_BUCKETS	11	/* batches of <= 1, 2, 4, ..., 512 slots, and more */
struct ptd_worker_stats {
	uint64_t busy_ns;		/* rounds that forwarded something */
	uint64_t poll_ns;		/* rounds of polling active rings that found nothing */
	uint64_t sleep_ns;		/* finished sleeps in epoll_wait */
	uint64_t asleep_since;		/* CLOCK_MONOTONIC ns the current sleep began, 0: awake */
	uint64_t wakeups;		/* sleeps ended by a kick or a command */
	uint64_t kicks;			/* kick events taken */
	uint64_t batches[PTD_BATCH_BUCKETS];	/* batch-size histogram (not cumulative) */
	uint64_t batch_slots;		/* sum of the batch sizes */
};
#define ptd_wstat_add(x, v)	PTNET_WRITE_ONCE((x), PTNET_READ_ONCE(x) + (v))

static inline unsigned int ptd_batch_bucket(uint32_t slots)
{
	unsigned int b = slots <= 1 ? 0 : 32 - (unsigned int)__builtin_clz(slots - 1);

	return b < PTD_BATCH_BUCKETS - 1 ? b : PTD_BATCH_BUCKETS - 1;
}

struct ptd_worker {
	unsigned int id;
	int cpu;			/* pinned to it (--pin-workers), -1: anywhere */
	pthread_t thread;
	int epfd;
	int cmd_efd;
	pthread_mutex_t cmd_lock;
	pthread_cond_t cmd_cond;
	struct ptd_wcmd *cmds;
	unsigned int ntxq;		/* rings assigned (for balancing) */
	unsigned int nlocal;		/* of them, rings of clients pinned to its CPU */
	struct ptd_txq *act[PTD_MAX_TOTAL_PORTS * PTNET_MAX_RINGS];
	unsigned int nact;
	/* worker-private: its rings whose client is pinned to its CPU (q->local) */
	struct ptd_txq *loc[PTD_MAX_TOTAL_PORTS * PTNET_MAX_RINGS];
	unsigned int nloc;
	/* adaptive polling window */
	uint32_t poll_us, poll_min_us, poll_max_us;
	struct ptd_worker_stats ws;	/* activity (metrics) */
};

/*
 * The polling-window rule of the workers and of the tap threads.  A thread
 * woken GAP_US after it went to sleep: if a poll of up to MAX would have
 * caught that wakeup (GAP_US < MAX), window W grows to twice the gap or
 * twice itself, whichever is more (at least 1, at most MAX); a later
 * wakeup halves W, not below MIN.
 */
static inline uint32_t ptd_poll_adapt(uint32_t w, uint64_t gap_us, uint32_t min, uint32_t max)
{
	if (gap_us < max) {
		uint64_t want = 2 * (gap_us > w ? gap_us : w);

		return want < 1 ? 1 : want > max ? max : (uint32_t)want;
	}
	return w / 2 >= min ? w / 2 : w;
}

/*
 * An idle round of a worker: yield the CPU now?  Always without local
 * clients (NLOC 0: rings of clients pinned to the worker's CPU); with them
 * only when one has packets it has not taken (RX_PENDING), after a pass
 * took a quarter of a local ring (OWE: a bulk sender waits for its CPU), or
 * once the worker has held the CPU PTD_LOCAL_SPIN_NS since its last yield
 * (HELD_NS).  Otherwise it spins: see worker.c.
 */
#define PTD_LOCAL_SPIN_NS	10000
static inline bool ptd_local_yield(unsigned int nloc, bool owe, uint64_t held_ns, bool rx_pending)
{
	return !nloc || owe || held_ns >= PTD_LOCAL_SPIN_NS || rx_pending;
}

int ptd_workers_start(struct ptd *d);
void ptd_workers_stop(struct ptd *d);
void ptd_worker_add(struct ptd *d, struct ptd_txq *q);
void ptd_worker_del(struct ptd_txq *q);

#endif
