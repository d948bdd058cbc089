// SPDX-License-Identifier: BSD-2-Clause
/*
 * offload_csum - ptd_csum_complete() and ptd_csum_complete_frags():
 *   - against a naive reference (byte at a time) on random buffers of 0 ..
 *     70000 bytes with random, odd or even, csum_start/csum_offset and a
 *     random partial sum in the field; 0 stored as 0xffff;
 *   - the CHECKSUM_PARTIAL contract on real TCP/UDP over IPv4/IPv6 frames:
 *     field = folded pseudo-header sum, result verifies independently;
 *   - the chained variant on random splits (empty and odd pieces, field
 *     across two pieces, a header to skip) gives the same bytes;
 *   - out-of-range fields are refused and nothing is written.
 */
#include "offload_t.h"

#define BUF_MAX 70000

static uint8_t buf[BUF_MAX], ref[BUF_MAX], chain[BUF_MAX + 64];

/* What ptd_csum_complete() should leave in the field, computed naively. */
static uint16_t ref_csum(const uint8_t *p, uint32_t len, uint32_t start)
{
	uint16_t c = (uint16_t)~ot_fold(ot_sum(0, p + start, len - start));

	return c ? c : 0xffff;
}

/* Split CHAIN[0, total) into random pieces; returns how many. */
static unsigned int split(struct ptd_frag *fr, unsigned int max, uint32_t total)
{
	unsigned int n = 0;
	uint32_t pos = 0;

	while (pos < total && n + 1 < max) {
		uint32_t l = 0;

		if (ot_rand() % 4) {
			uint32_t cap = ot_rand() % 2 ? 8 : 2048;

			l = ot_rand() % cap;
		}

		if (l > total - pos)
			l = total - pos;
		fr[n].buf = l ? chain + pos : NULL;
		fr[n++].len = l;
		pos += l;
	}
	fr[n].buf = chain + pos;
	fr[n++].len = total - pos;
	return n;
}

static void random_case(uint32_t len)
{
	uint32_t start, off, field;
	struct ptd_frag fr[64];
	unsigned int nfr;
	uint16_t want;
	int r;

	ot_fill(buf, len);
	start = len ? ot_rand() % len : 0;
	off = len - start > 2 ? ot_rand() % (len - start - 1) : 0;
	if (ot_rand() % 4 == 0)
		off &= ~1u;
	if (start > 0xffff || off > 0xffff) {
		start &= 0xffff;
		off &= 0x7fff;
	}
	field = start + off;
	memcpy(ref, buf, len);

	/* Linear. */
	r = ptd_csum_complete(buf, len, (uint16_t)start, (uint16_t)off);
	if (field + 2 > len) {
		CHECK(r == -EINVAL, "len %u start %u off %u: got %d, want -EINVAL", len, start, off,
		      r);
		CHECK_MEMEQ(buf, ref, len, "len %u: buffer written on error", len);
		return;
	}
	want = ref_csum(ref, len, start);
	CHECK(r == 0, "len %u start %u off %u: got %d", len, start, off, r);
	CHECK(ot_get16(buf + field) == want, "len %u start %u off %u: %#x, want %#x", len, start,
	      off, ot_get16(buf + field), want);
	CHECK(!memcmp(buf, ref, field) &&
		      !memcmp(buf + field + 2, ref + field + 2, len - field - 2),
	      "len %u: bytes other than the field changed", len);

	/* Chained, behind a 12-byte header. */
	ot_fill(chain, 12);
	memcpy(chain + 12, ref, len);
	nfr = split(fr, 64, len + 12);
	r = ptd_csum_complete_frags(fr, nfr, 12, (uint16_t)start, (uint16_t)off);
	CHECK(r == 0 && !memcmp(chain + 12, buf, len),
	      "frags: len %u start %u off %u nfr %u: got %d, %#x want %#x", len, start, off, nfr, r,
	      ot_get16(chain + 12 + field), want);
}

/* CHECKSUM_PARTIAL frames as a Linux sender makes them. */
static void partial_case(bool v6, uint8_t proto, uint32_t paylen, unsigned int nvlan)
{
	struct ot_spec sp = { .v6 = v6,
			      .proto = proto,
			      .paylen = paylen,
			      .nvlan = nvlan,
			      .tcpopt = proto == 6 ? 12 : 0,
			      .ipopt = v6 ? 0 : 8 };
	struct ot_frame f;
	uint32_t l4len, coff = proto == 6 ? 16 : 6;
	struct ptd_frag fr[64];
	unsigned int nfr;
	int r;

	ot_build(buf, &sp, &f);
	l4len = f.len - f.l4;
	ot_put16(buf + f.l4 + coff, ot_fold(ot_pseudo(buf + f.l3, proto, l4len)));
	memcpy(chain, buf, f.len);

	r = ptd_csum_complete(buf, f.len, (uint16_t)f.l4, (uint16_t)coff);
	CHECK(r == 0, "partial v6=%u proto %u pay %u: got %d", v6, proto, paylen, r);
	CHECK(ot_l4_ok(buf + f.l3, proto, buf + f.l4, l4len),
	      "partial v6=%u proto %u pay %u: checksum does not verify", v6, proto, paylen);
	nfr = split(fr, 64, f.len);
	r = ptd_csum_complete_frags(fr, nfr, 0, (uint16_t)f.l4, (uint16_t)coff);
	CHECK(r == 0 && !memcmp(chain, buf, f.len), "partial frags v6=%u proto %u pay %u", v6,
	      proto, paylen);
}

int main(void)
{
	static const uint32_t lens[] = { 0,    1,    2,	   3,	  4,	 5,	7,
					 8,    9,    15,   16,	  17,	 60,	61,
					 1514, 1515, 9018, 65535, 65536, 65537, 69999 };
	uint8_t small[4] = { 1, 2, 3, 4 };
	struct ptd_frag fr[3];

	for (unsigned int i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		for (unsigned int k = 0; k < 40; k++)
			random_case(lens[i]);
	for (unsigned int k = 0; k < 3000; k++)
		random_case(ot_rand() % 3000);

	for (unsigned int k = 0; k < 400; k++)
		partial_case(k & 1, k & 2 ? 6 : 17, ot_rand() % (k & 4 ? 9000 : 100), k % 3);

	/* Exact edges. */
	CHECK(ptd_csum_complete(small, 4, 2, 0) == 0, "field at the very end");
	CHECK(ptd_csum_complete(small, 4, 2, 1) == -EINVAL, "field past the end");
	CHECK(ptd_csum_complete(small, 4, 4, 0) == -EINVAL, "start at the end");
	CHECK(ptd_csum_complete(small, 4, 0xffff, 0xffff) == -EINVAL, "huge start/offset");
	CHECK(ptd_csum_complete(NULL, 0, 0, 0) == -EINVAL, "NULL frame");
	CHECK(ptd_csum_complete_frags(NULL, 0, 0, 0, 0) == -EINVAL, "NULL chain");
	fr[0].buf = small;
	fr[0].len = 4;
	CHECK(ptd_csum_complete_frags(fr, 1, 3, 0, 0) == -EINVAL, "skip leaves 1 byte");
	CHECK(ptd_csum_complete_frags(fr, 1, 2, 0, 0) == 0, "skip leaves 2 bytes");
	CHECK(ptd_csum_complete_frags(fr, 1, 0xffffffffu, 0, 0) == -EINVAL, "huge skip");
	fr[1].buf = NULL;
	fr[1].len = 7;
	CHECK(ptd_csum_complete_frags(fr, 2, 0, 0, 0) == -EINVAL, "NULL piece with bytes");
	/* An all-zero range sums to 0: the complement 0xffff is stored. */
	memset(small, 0, 4);
	CHECK(ptd_csum_complete(small, 4, 0, 2) == 0 && ot_get16(small + 2) == 0xffff, "zeros: %#x",
	      ot_get16(small + 2));
	/* A range summing to 0xffff: the complement 0 is stored as 0xffff. */
	ot_put16(small, 0xff00);
	ot_put16(small + 2, 0x00ff);
	CHECK(ptd_csum_complete(small, 4, 0, 2) == 0 && ot_get16(small + 2) == 0xffff,
	      "0xffff sum: %#x", ot_get16(small + 2));
	return t_done("offload_csum");
}
