// SPDX-License-Identifier: BSD-2-Clause
/* units.c - normalize a value to K/M/G/T for printing. */
#include <stdio.h>
#include "units.h"

char *ptt_norm(char *buf, size_t len, double v, const char *unit)
{
	static const char *const prefix[] = { "", "K", "M", "G", "T" };
	unsigned int i = 0;

	/* 999.9996 would print as "1000.000": move up a prefix already. */
	while (v >= 999.9995 && i < sizeof(prefix) / sizeof(prefix[0]) - 1) {
		v /= 1000.0;
		i++;
	}
	snprintf(buf, len, "%.3f %s%s", v, prefix[i], unit);
	return buf;
}
