// SPDX-License-Identifier: BSD-2-Clause
/*
 * wait.c - the stop flag, failing a worker, and what a worker does when its
 * ring has nothing for it: sleep in ptnet_port_wait, poll with a backoff or
 * spin (--busy).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include "pktgen.h"

/* Set by the signal handler, -d, -W or a failing worker; read everywhere. */
static int stop_flag;

int pg_stopping(void)
{
	return PTNET_READ_ONCE(stop_flag);
}

/* Async-signal-safe: a lock-free relaxed store. */
void pg_request_stop(void)
{
	PTNET_WRITE_ONCE(stop_flag, 1);
}

void pg_fail(struct pg_thread *t, const char *what, int err)
{
	const char *msg = ptnet_errmsg();

	fprintf(stderr, PG_NAME ": ring %u: %s: %s\n", t->ring, what,
		msg && *msg ? msg : strerror(-err));
	PTNET_WRITE_ONCE(t->run->error, 1);
	pg_request_stop();
}

/*
 * One idle round of --busy.  Never sleeps, but lets a thread that shares
 * this CPU (ptnetd's worker, the peer) run now and then: the syncs are not
 * system calls, so nothing else would give up the CPU before the tick.
 */
void pg_spin(uint32_t *spins)
{
	if (++*spins % 4)
		ptnet_cpu_relax();
	else
		sched_yield();
}

static int sync_own(struct pg_thread *t, unsigned int what)
{
	if (what == PTNET_WAIT_TX)
		return ptnet_txsync(t->run->port, t->ring);
	return ptnet_rxsync(t->run->port, t->ring);
}

/*
 * Several workers: ptnet_port_wait() looks at (and syncs) every ring of the
 * port and arms/disarms notifications port-wide, so concurrent callers
 * would sync each other's rings.  Until libptnet can wait on one ring, each
 * worker polls its own ring: yield for a short while, then sleep with a
 * growing interval (20 us .. 1 ms).
 */
void pg_backoff(struct pg_thread *t, int timeout_ms)
{
	uint64_t now = pg_now_ns(), idle, ns;

	if (!t->idle_since)
		t->idle_since = now;
	idle = now - t->idle_since;
	if (idle < 50000) {
		sched_yield();
		return;
	}
	ns = idle / 8;
	if (ns < 20000)
		ns = 20000;
	if (ns > 1000000)
		ns = 1000000;
	if (timeout_ms >= 0 && ns > (uint64_t)timeout_ms * 1000000ull)
		ns = (uint64_t)timeout_ms * 1000000ull;
	pg_sleep_ns(ns);
}

/*
 * Nothing to do on WHAT (PTNET_WAIT_TX or PTNET_WAIT_RX) for this worker:
 * spin once with --busy, else sleep until the port is ready (at most
 * TIMEOUT_MS).  The worker's own ring is synced on return.  Returns 0, or
 * a -errno that ends the worker (already reported).
 */
int pg_wait(struct pg_thread *t, unsigned int what, int timeout_ms)
{
	struct pg_run *r = t->run;
	int ret;

	if (r->conf.busy) {
		pg_spin(&t->spins);
		ret = sync_own(t, what);
	} else if (r->nthreads == 1) {
		ret = ptnet_port_wait(r->port, what, timeout_ms);
		if (ret == -EINTR)
			ret = 0;
	} else {
		pg_backoff(t, timeout_ms);
		ret = sync_own(t, what);
	}
	if (ret >= 0)
		return 0;
	pg_fail(t, "wait", ret);
	return ret;
}
