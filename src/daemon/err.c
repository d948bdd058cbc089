// SPDX-License-Identifier: BSD-2-Clause
/* err.c - see err.h. */
#include <stdarg.h>
#include <stdio.h>
#include "daemon/err.h"

int ptd_err(struct ptd_err *e, int ret, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return ret;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return ret;
}
