/* SPDX-License-Identifier: BSD-2-Clause */
/* units.h - human-readable rates for the ptnet tools ("12.345 Mpps"). */
#ifndef PTNET_TOOLS_UNITS_H
#define PTNET_TOOLS_UNITS_H

#include <stddef.h>

/*
 * Format V as "%.3f <prefix><unit>" with prefix "", K, M, G or T (powers of
 * 1000), e.g. ptt_norm(b, sizeof(b), 12345678, "pps") gives "12.346 Mpps".
 * Returns BUF.
 */
char *ptt_norm(char *buf, size_t len, double v, const char *unit);

#endif /* PTNET_TOOLS_UNITS_H */
