/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * t.h - tiny check macros for the C tests, the one set they all use.  A
 * failed check prints where and why and the test goes on, so one run shows
 * every failure; t_done() turns the tally into the exit status (0 pass,
 * 1 fail).  Exit T_SKIP (77) = skip.
 *
 *   CHECK(cond, fmt, ...)          cond must hold
 *   CHECK_EQ(a, b, fmt, ...)       two integers equal; prints both
 *   CHECK_MEMEQ(a, b, n, fmt, ...) n bytes equal; prints the first difference
 *   REQUIRE(cond, fmt, ...)        cond must hold, or the test stops (exit 1)
 *   t_done(name)                   summary line and exit status
 *
 * Only the first T_MAX_PRINT failures are printed (a test that loops over
 * thousands of cases would otherwise bury the first, telling one); every
 * failure is counted.  Define T_MAX_PRINT before including t.h to change it.
 */
#ifndef PTNET_TESTS_T_H
#define PTNET_TESTS_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_SKIP 77

#ifndef T_MAX_PRINT
#define T_MAX_PRINT 30
#endif

static int t_failures;
static int t_checks;

/* Count a failure; nonzero if it is still to be printed. */
static inline int t_fail(void)
{
	if (++t_failures <= T_MAX_PRINT)
		return 1;
	if (t_failures == T_MAX_PRINT + 1)
		fprintf(stderr, "(more failures are counted but not printed)\n");
	return 0;
}

#define CHECK(cond, ...)                                                                \
	do {                                                                            \
		t_checks++;                                                             \
		if (!(cond) && t_fail()) {                                              \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                   \
			fputc('\n', stderr);                                            \
		}                                                                       \
	} while (0)

/* Compare two integers; prints both values on failure. */
#define CHECK_EQ(a, b, ...)                                                                        \
	do {                                                                                       \
		unsigned long long _a = (unsigned long long)(a);                                   \
		unsigned long long _b = (unsigned long long)(b);                                   \
		t_checks++;                                                                        \
		if (_a != _b && t_fail()) {                                                        \
			fprintf(stderr,                                                            \
				"FAIL %s:%d: %s == %s: got %lld (%#llx), want %lld (%#llx): ",     \
				__FILE__, __LINE__, #a, #b, (long long)_a, _a, (long long)_b, _b); \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

/* Offset of the first byte where A and B (N bytes) differ, or N. */
static inline size_t t_memdiff(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;
	size_t i = 0;

	while (i < n && p[i] == q[i])
		i++;
	return i;
}

/* Compare N bytes; prints the first differing offset and both bytes. */
#define CHECK_MEMEQ(a, b, n, ...)                                                                      \
	do {                                                                                           \
		const unsigned char *_pa = (const void *)(a), *_pb = (const void *)(b);                \
		size_t _n = (n), _i = t_memdiff(_pa, _pb, _n);                                         \
		t_checks++;                                                                            \
		if (_i < _n && t_fail()) {                                                             \
			fprintf(stderr,                                                                \
				"FAIL %s:%d: %s == %s (%zu bytes): byte %zu is 0x%02x, want 0x%02x: ", \
				__FILE__, __LINE__, #a, #b, _n, _i, _pa[_i], _pb[_i]);                 \
			fprintf(stderr, __VA_ARGS__);                                                  \
			fputc('\n', stderr);                                                           \
		}                                                                                      \
	} while (0)

/* Stop at once: the rest of the test cannot run. */
#define REQUIRE(cond, ...)                                                               \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "FATAL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                    \
			fputc('\n', stderr);                                             \
			exit(1);                                                         \
		}                                                                        \
	} while (0)

static inline int t_done(const char *name)
{
	if (t_failures) {
		fprintf(stderr, "%s: %d of %d checks failed\n", name, t_failures, t_checks);
		return 1;
	}
	printf("%s: all %d checks passed\n", name, t_checks);
	return 0;
}

#endif
