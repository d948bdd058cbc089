// SPDX-License-Identifier: BSD-2-Clause
/*
 * log.c - logging to stderr, in the form that suits where it goes:
 *   to the journal (systemd sets JOURNAL_STREAM to stderr's device:inode):
 *	"<3>message", the syslog priority for journald to read, no timestamp
 *	(the journal has its own);
 *   anywhere else:
 *	"2026-12-01T20:51:03.123+00:00 ptnetd error: message" (local time).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <ptnet/barrier.h>
#include "daemon/log.h"

int ptd_log_level = LOG_LVL_INFO;

static pthread_once_t journal_once = PTHREAD_ONCE_INIT;
static int to_journal;

/* Is stderr the stream systemd connected to the journal? */
static void journal_check(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	to_journal = env && sscanf(env, "%llu:%llu", &dev, &ino) == 2 &&
		     fstat(2, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

/* "2026-12-01T20:51:03.123+00:00" */
static void iso_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char zone[8];
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!strftime(zone, sizeof(zone), "%z", &tm))	/* "+0000" */
		zone[0] = '\0';
	snprintf(buf + n, len - n, ".%03ld%.3s:%.2s", ts.tv_nsec / 1000000, zone,
		 zone[0] ? zone + 3 : "");
}

void ptd_log(int level, const char *fmt, ...)
{
	static const char *const tag[] = { "error", "warning", "info", "debug" };
	static const int prio[] = { 3, 4, 6, 7 };	/* LOG_ERR LOG_WARNING LOG_INFO LOG_DEBUG */
	char buf[1024], ts[40];
	va_list ap;

	if (level > ptd_log_level)
		return;
	pthread_once(&journal_once, journal_check);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (to_journal) {
		fprintf(stderr, "<%d>%s\n", prio[level], buf);
		return;
	}
	iso_time(ts, sizeof(ts));
	fprintf(stderr, "%s ptnetd %s: %s\n", ts, tag[level], buf);
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
