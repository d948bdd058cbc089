/* SPDX-License-Identifier: BSD-2-Clause */
/* log.h - ptnetd's logging: stderr, levels, rate limiting for the data path. */
#ifndef PTNETD_LOG_H
#define PTNETD_LOG_H

#include <stdint.h>

enum { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

extern int ptd_log_level;

void ptd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns 1 if a message may be printed now (at most N per second per site). */
int ptd_log_ratelimit(uint64_t *state, unsigned int n);

#define LOG_ERR(...)	ptd_log(LOG_LVL_ERR, __VA_ARGS__)
#define LOG_WARN(...)	ptd_log(LOG_LVL_WARN, __VA_ARGS__)
#define LOG_INFO(...)	ptd_log(LOG_LVL_INFO, __VA_ARGS__)
#ifdef DEBUG
#define LOG_DEBUG(...)	ptd_log(LOG_LVL_DEBUG, __VA_ARGS__)
#else
#define LOG_DEBUG(...)	do { } while (0)
#endif
/* For anything reachable from the data path. */
#define LOG_RATELIMIT(n, ...) do {						\
		static uint64_t __rl_state;					\
		if (ptd_log_ratelimit(&__rl_state, (n)))			\
			ptd_log(LOG_LVL_WARN, __VA_ARGS__);			\
	} while (0)

#endif
