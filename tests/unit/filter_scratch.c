// SPDX-License-Identifier: BSD-2-Clause
/*
 * filter_scratch - a monitor's BPF filter cannot read scratch memory it did
 * not write: libpcap's bpf_validate accepts "ld M[k]" before any "st M[k]"
 * and bpf_filter keeps M[] uninitialized on the stack, so without ptnetd's
 * prelude a filter could read what an earlier filter (another user's) left
 * there.  Also: the hex form is checked, and an invalid program refused.
 */
#include <errno.h>
#include <string.h>
#include "daemon/filter.h"
#include "t.h"

int main(void)
{
	/* A: ld [0] (a word of the frame); st M[3]; ret #1. */
	const char *a = "0020000000000000" "0002000000000003" "0006000000000001";
	/* B: ld M[3]; ret A: true if M[3] holds anything. */
	const char *b = "0060000000000003" "0016000000000000";
	uint8_t secret[64], zero[64] = { 0 };
	struct ptd_filter *fa, *fb, *bad;
	struct ptd_err e;

	memset(secret, 0xab, sizeof(secret));
	REQUIRE(ptd_filter_parse(a, &fa, &e) == 0, "parse A: %s", e.msg);
	REQUIRE(ptd_filter_parse(b, &fb, &e) == 0, "parse B: %s", e.msg);
	for (int round = 0; round < 100; round++) {
		CHECK(ptd_filter_match(fa, secret, sizeof(secret), sizeof(secret)), "A passes");
		CHECK(!ptd_filter_match(fb, zero, sizeof(zero), sizeof(zero)),
		      "B saw no scratch word A stored (round %d)", round);
	}
	ptd_filter_free(fa);
	ptd_filter_free(fb);
	CHECK(ptd_filter_parse("0006000000000001x", &bad, &e) == -EINVAL, "not 16 digits each");
	CHECK(ptd_filter_parse("00060000000000g1", &bad, &e) == -EINVAL, "not hex");
	/* jump past the end: jt=5 from the only instruction */
	CHECK(ptd_filter_parse("0015050000000000", &bad, &e) == -EINVAL, "invalid program");
	CHECK(ptd_filter_parse("", &bad, &e) == -EINVAL, "empty");
	return t_done("filter_scratch");
}
