// SPDX-License-Identifier: BSD-2-Clause
/* errmsg.c - the per-thread failure reason and the optional log hook. */
#include <stdarg.h>
#include <stdio.h>
#include "lib/internal.h"

static __thread char errbuf[512];
static ptnet_log_fn log_fn;
static void *log_arg;

const char *ptnet_errmsg(void)
{
	return errbuf;
}

void ptnet_set_log_fn(ptnet_log_fn fn, void *arg)
{
	log_fn = fn;
	log_arg = arg;
}

/* Record why ERR (negative) happened; returns ERR. */
int ptl_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	if (log_fn)
		log_fn(0, errbuf, log_arg);
	return err;
}

void ptl_log(int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_fn(level, buf, log_arg);
}
