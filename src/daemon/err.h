/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * err.h - the daemon's one error style.
 *
 * Every function that can fail returns 0 (or a count) on success and
 * -errno on failure.  Where the user needs to know why, the function also
 * fills a struct ptd_err with one line that names the cause and, where
 * there is one, the fix ("... (raise with ptnetd --max-ports)").  The
 * control server turns the pair into the one reply format
 * "err ENAME message" (ctl.c); nothing else builds error replies.
 */
#ifndef PTNETD_ERR_H
#define PTNETD_ERR_H

#define PTD_ERR_MAX	256

struct ptd_err {
	char msg[PTD_ERR_MAX];
};

/* Set E's message (if E is not NULL) and return RET, a negative errno. */
int ptd_err(struct ptd_err *e, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
