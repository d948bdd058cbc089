// SPDX-License-Identifier: BSD-2-Clause
/* pace.c - clock, stop flag, waiting on the port and rate limiting. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "pktgen.h"

/* Set by the signal handler, -d, -W or a failing worker; read everywhere. */
static int stop_flag;

uint64_t pg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void pg_sleep_until(uint64_t t_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t_ns / 1000000000ull),
		.tv_nsec = (long)(t_ns % 1000000000ull),
	};

	/* An interruption (stop request) just ends the sleep early. */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

void pg_sleep_ns(uint64_t ns)
{
	pg_sleep_until(pg_now_ns() + ns);
}

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
	if (++*spins % 64)
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

/* splitmix64 finalizer: a well-mixed 64-bit value from any input. */
uint64_t pg_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* xorshift64*; STATE must not be zero. */
uint64_t pg_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/*
 * Rate limiting by credit: at time t the worker may have used
 * (t - t0) * rate / 1e9 units, at most one batch at a time.  Oversleeping
 * and short preemptions are made up for; a long stall (full ring, 10 ms or
 * more) must not turn into a long burst afterwards, so the window restarts
 * when the owed credit exceeds BURST.
 */
void pg_pace_init(struct pg_pace *p, uint64_t rate, uint32_t batch)
{
	memset(p, 0, sizeof(*p));
	p->rate = rate;
	if (!rate)
		return;
	p->burst = rate / 100;		/* about 10 ms worth */
	if (p->burst < batch)
		p->burst = batch;
	p->t0 = pg_now_ns();
}

static uint64_t credit(const struct pg_pace *p, uint64_t now)
{
	unsigned __int128 allowed = (unsigned __int128)(now - p->t0) * p->rate / 1000000000u;

	return allowed > p->done ? (uint64_t)(allowed - p->done) : 0;
}

/*
 * How many units may go now, at most WANT.  Sleeps (or spins with BUSY)
 * until at least one may; returns 0 only when a stop was requested.
 */
uint32_t pg_pace_budget(struct pg_pace *p, uint32_t want, int busy)
{
	uint64_t now, c;

	if (!p->rate)
		return want;
	for (;;) {
		now = pg_now_ns();
		c = credit(p, now);
		if (c > p->burst) {
			/* Restart the window so that only BURST units are owed. */
			p->t0 = now - p->burst * 1000000000ull / p->rate;
			p->done = 0;
			c = credit(p, now);
		}
		if (c)
			return c < want ? (uint32_t)c : want;
		if (pg_stopping())
			return 0;
		if (busy) {
			pg_spin(&p->spins);
			continue;
		}
		pg_sleep_until(p->t0 + (uint64_t)((unsigned __int128)(p->done + 1) *
						   1000000000u / p->rate));
	}
}

void pg_pace_used(struct pg_pace *p, uint32_t n)
{
	p->done += n;
}

void pg_stats_publish(struct pg_stats *dst, const struct pg_stats *src)
{
	PTNET_WRITE_ONCE(dst->pkts, src->pkts);
	PTNET_WRITE_ONCE(dst->bytes, src->bytes);
	PTNET_WRITE_ONCE(dst->events, src->events);
	PTNET_WRITE_ONCE(dst->t_first, src->t_first);
	PTNET_WRITE_ONCE(dst->t_last, src->t_last);
	PTNET_WRITE_ONCE(dst->ok, src->ok);
	PTNET_WRITE_ONCE(dst->lost, src->lost);
	PTNET_WRITE_ONCE(dst->reordered, src->reordered);
	PTNET_WRITE_ONCE(dst->corrupt, src->corrupt);
	PTNET_WRITE_ONCE(dst->foreign, src->foreign);
	PTNET_WRITE_ONCE(dst->trans, src->trans);
	PTNET_WRITE_ONCE(dst->rtt_sum_ns, src->rtt_sum_ns);
	PTNET_WRITE_ONCE(dst->echoed, src->echoed);
	PTNET_WRITE_ONCE(dst->dropped, src->dropped);
}

void pg_stats_read(struct pg_stats *dst, const struct pg_stats *src)
{
	dst->pkts = PTNET_READ_ONCE(src->pkts);
	dst->bytes = PTNET_READ_ONCE(src->bytes);
	dst->events = PTNET_READ_ONCE(src->events);
	dst->t_first = PTNET_READ_ONCE(src->t_first);
	dst->t_last = PTNET_READ_ONCE(src->t_last);
	dst->ok = PTNET_READ_ONCE(src->ok);
	dst->lost = PTNET_READ_ONCE(src->lost);
	dst->reordered = PTNET_READ_ONCE(src->reordered);
	dst->corrupt = PTNET_READ_ONCE(src->corrupt);
	dst->foreign = PTNET_READ_ONCE(src->foreign);
	dst->trans = PTNET_READ_ONCE(src->trans);
	dst->rtt_sum_ns = PTNET_READ_ONCE(src->rtt_sum_ns);
	dst->echoed = PTNET_READ_ONCE(src->echoed);
	dst->dropped = PTNET_READ_ONCE(src->dropped);
	dst->done = PTNET_READ_ONCE(src->done);
}
