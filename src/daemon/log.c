// SPDX-License-Identifier: BSD-2-Clause
/* log.c - timestamped stderr logging. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <ptnet/barrier.h>
#include "daemon/log.h"

int ptd_log_level = LOG_LVL_INFO;

void ptd_log(int level, const char *fmt, ...)
{
	static const char *const tag[] = { "error", "warning", "info", "debug" };
	struct timespec ts;
	char buf[1024];
	va_list ap;

	if (level > ptd_log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ptnetd[%ld.%03ld] %s: %s\n", (long)ts.tv_sec, ts.tv_nsec / 1000000,
		tag[level], buf);
}

/* state: high 32 bits = second, low 32 bits = count in that second. */
int ptd_log_ratelimit(uint64_t *state, unsigned int n)
{
	struct timespec ts;
	uint64_t s, old = PTNET_READ_ONCE(*state);

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	s = (uint64_t)ts.tv_sec << 32;
	if ((old & ~0xffffffffull) != s) {
		PTNET_WRITE_ONCE(*state, s | 1);
		return 1;
	}
	if ((old & 0xffffffffu) >= n)
		return 0;
	ptnet_stat_add(state, 1);
	return 1;
}
