/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * t.h - tiny check macros for the unit tests.  A failed check prints where
 * and why and the test goes on, so one run shows every failure; t_done()
 * turns the tally into the exit status (0 pass, 1 fail).  Exit 77 = skip.
 */
#ifndef PTNET_TESTS_T_H
#define PTNET_TESTS_T_H

#include <stdio.h>
#include <stdlib.h>

#define T_SKIP 77

static int t_failures;
static int t_checks;

#define CHECK(cond, ...)                                                                \
	do {                                                                            \
		t_checks++;                                                             \
		if (!(cond)) {                                                          \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                   \
			fputc('\n', stderr);                                            \
			t_failures++;                                                   \
		}                                                                       \
	} while (0)

/* Compare two integers; prints both values on failure. */
#define CHECK_EQ(a, b, ...)                                                                        \
	do {                                                                                       \
		unsigned long long _a = (unsigned long long)(a);                                   \
		unsigned long long _b = (unsigned long long)(b);                                   \
		t_checks++;                                                                        \
		if (_a != _b) {                                                                    \
			fprintf(stderr,                                                            \
				"FAIL %s:%d: %s == %s: got %lld (%#llx), want %lld (%#llx): ",     \
				__FILE__, __LINE__, #a, #b, (long long)_a, _a, (long long)_b, _b); \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			t_failures++;                                                              \
		}                                                                                  \
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
