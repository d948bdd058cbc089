/* SPDX-License-Identifier: BSD-2-Clause */
/* worker.h - forwarding workers (worker.c). */
#ifndef PTNETD_WORKER_H
#define PTNETD_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
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

struct ptd_worker {
	unsigned int id;
	pthread_t thread;
	int epfd;
	int cmd_efd;
	pthread_mutex_t cmd_lock;
	pthread_cond_t cmd_cond;
	struct ptd_wcmd *cmds;
	unsigned int ntxq;		/* rings assigned (for balancing) */
	struct ptd_txq *act[PTD_MAX_TOTAL_PORTS * PTNET_MAX_RINGS];
	unsigned int nact;
	/* adaptive polling window */
	uint32_t poll_us, poll_min_us, poll_max_us;
	uint64_t busy_ns, loops;	/* diagnostics */
};

int ptd_workers_start(struct ptd *d);
void ptd_workers_stop(struct ptd *d);
void ptd_worker_add(struct ptd *d, struct ptd_txq *q);
void ptd_worker_del(struct ptd_txq *q);

#endif
