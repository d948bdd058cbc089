// SPDX-License-Identifier: BSD-2-Clause
/*
 * tb-chaos.so - LD_PRELOAD into ptnetd to widen race windows: after about
 * one pthread_mutex_unlock in TB_CHAOS_ONE_IN (default 4) the thread
 * sleeps 20..200 us.  ptnetd's RX leases are taken and completed under a
 * mutex each, with the copy in between, so another forwarder gets time to
 * reserve and complete a lease of its own while one is open.  It changes
 * only timing, never behaviour: a test that passes without it must pass
 * with it.  Built by the tests that use it (tests/integ/86-churn-rx-check.sh):
 *   cc -shared -fPIC -O2 -o tb-chaos.so tests/lib/tb-chaos.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static int (*real_unlock)(pthread_mutex_t *);
static unsigned int one_in = 4;
static __thread uint64_t rs;

__attribute__((constructor)) static void chaos_init(void)
{
	const char *e = getenv("TB_CHAOS_ONE_IN");

	real_unlock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_unlock");
	if (e && atoi(e) > 0)
		one_in = (unsigned int)atoi(e);
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
	int r;

	if (!real_unlock)
		chaos_init();	/* called before our constructor ran */
	r = real_unlock(m);

	if (!rs)
		rs = (uint64_t)(uintptr_t)&rs | 1;
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	if (rs % one_in == 0) {
		struct timespec ts = { 0, (long)(20000 + (rs >> 8) % 180000) };

		nanosleep(&ts, NULL);
	}
	return r;
}
