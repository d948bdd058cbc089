// SPDX-License-Identifier: BSD-2-Clause
/* pace.c - clock, sleeping, pseudo-random numbers and rate limiting. */
#include <string.h>
#include <time.h>
#include "pktgen.h"

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
