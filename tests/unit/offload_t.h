/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * offload_t.h - helpers for the offload_* unit tests, on top of t.h's check
 * macros: a seeded PRNG, a frame builder (Ethernet + VLANs + IPv4/IPv6 +
 * TCP/UDP), a segment collector, and an Internet checksum written
 * independently of daemon/offload.c (byte at a time, big-endian words, no
 * host-order tricks).
 */
#ifndef PTNET_TESTS_OFFLOAD_T_H
#define PTNET_TESTS_OFFLOAD_T_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/offload.h"
#include "t.h"

#define OT_N(a) (sizeof(a) / sizeof((a)[0]))

/* xorshift64*, fixed seed per test. */
static uint64_t ot_rng_state = 0x9e3779b97f4a7c15ull;

static inline uint32_t ot_rand(void)
{
	ot_rng_state ^= ot_rng_state >> 12;
	ot_rng_state ^= ot_rng_state << 25;
	ot_rng_state ^= ot_rng_state >> 27;
	return (uint32_t)((ot_rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static inline void ot_fill(uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)ot_rand();
}

static inline uint16_t ot_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t ot_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void ot_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ot_put32(uint8_t *p, uint32_t v)
{
	ot_put16(p, v >> 16);
	ot_put16(p + 2, v);
}

/* Reference checksum: big-endian words one at a time, odd byte padded. */
static inline uint32_t ot_sum(uint32_t acc, const uint8_t *p, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		acc += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
		if (acc & 0x80000000u)
			acc = (acc & 0xffff) + (acc >> 16);
	}
	return acc;
}

static inline uint16_t ot_fold(uint32_t acc)
{
	while (acc > 0xffff)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* Does the IPv4 header at IP verify? */
static inline bool ot_ip4_ok(const uint8_t *ip)
{
	return ot_fold(ot_sum(0, ip, (ip[0] & 15u) * 4)) == 0xffff;
}

/* Pseudo-header sum for the IP header at IP (version from its first nibble). */
static inline uint32_t ot_pseudo(const uint8_t *ip, uint8_t proto, uint32_t l4len)
{
	uint32_t acc;

	if (ip[0] >> 4 == 6)
		acc = ot_sum(0, ip + 8, 32);
	else
		acc = ot_sum(0, ip + 12, 8);
	return acc + proto + (l4len >> 16) + (l4len & 0xffff);
}

/* Does the L4 segment L4 (LEN bytes) under IP header IP verify? */
static inline bool ot_l4_ok(const uint8_t *ip, uint8_t proto, const uint8_t *l4, uint32_t len)
{
	return ot_fold(ot_sum(ot_pseudo(ip, proto, len), l4, len)) == 0xffff;
}

/* A frame to build. */
struct ot_spec {
	unsigned int nvlan; /* 0..2 */
	bool v6;
	uint8_t proto;	 /* 6 or 17 */
	uint32_t ipopt;	 /* IPv4 option bytes, multiple of 4 */
	uint32_t tcpopt; /* TCP option bytes, multiple of 4 */
	uint32_t paylen; /* after the L4 header */
	uint32_t seq;
	uint8_t tcpflags;
	uint16_t ipid;
	uint16_t frag; /* IPv4 flags + offset field (0x4000 = DF) */
};

/* What was built. */
struct ot_frame {
	uint32_t len, l3, l4, pay, ip_hl, l4_hl;
};

/*
 * Build SP into BUF: random addresses and payload, garbage checksums (as a
 * sender asking for offload would leave them).  IPv4 options are record
 * route (not copied) + NOP + router alerts (copied) + NOPs.
 */
static inline void ot_build(uint8_t *buf, const struct ot_spec *sp, struct ot_frame *f)
{
	uint32_t off = 12;

	ot_fill(buf, 12);
	buf[0] &= 0xfe;
	for (unsigned int i = 0; i < sp->nvlan; i++) {
		ot_put16(buf + off, i == 0 && sp->nvlan == 2 ? 0x88a8 : 0x8100);
		ot_put16(buf + off + 2, ot_rand() & 0xfff);
		off += 4;
	}
	ot_put16(buf + off, sp->v6 ? 0x86dd : 0x0800);
	off += 2;
	f->l3 = off;
	f->l4_hl = sp->proto == 6 ? 20 + sp->tcpopt : 8;
	if (sp->v6) {
		uint8_t *ip = buf + off;

		f->ip_hl = 40;
		ot_fill(ip, 40);
		ip[0] = 0x60 | (ip[0] & 0x0f);
		ot_put16(ip + 4, f->l4_hl + sp->paylen);
		ip[6] = sp->proto;
		ip[7] = 64;
	} else {
		uint8_t *ip = buf + off, *o = ip + 20;
		uint32_t k = 0;

		f->ip_hl = 20 + sp->ipopt;
		ot_fill(ip, f->ip_hl);
		ip[0] = (uint8_t)(0x40 | f->ip_hl / 4);
		ot_put16(ip + 2, f->ip_hl + f->l4_hl + sp->paylen);
		ot_put16(ip + 4, sp->ipid);
		ot_put16(ip + 6, sp->frag);
		ip[8] = 64;
		ip[9] = sp->proto;
		if (sp->ipopt >= 8) {
			o[0] = 7; /* record route, copy bit clear */
			o[1] = 7;
			o[2] = 4;
			memset(o + 3, 0, 4);
			o[7] = 1;
			k = 8;
		}
		for (; k + 4 <= sp->ipopt; k += 4) {
			o[k] = 0x94; /* router alert, copied */
			o[k + 1] = 4;
			o[k + 2] = o[k + 3] = 0;
		}
	}
	off += f->ip_hl;
	f->l4 = off;
	ot_fill(buf + off, f->l4_hl);
	if (sp->proto == 6) {
		uint8_t *th = buf + off;

		ot_put32(th + 4, sp->seq);
		th[12] = (uint8_t)((f->l4_hl / 4) << 4);
		th[13] = sp->tcpflags;
		for (uint32_t k = 20; k < f->l4_hl; k++)
			th[k] = 1; /* NOP options */
	} else {
		ot_put16(buf + off + 4, 8 + sp->paylen);
	}
	off += f->l4_hl;
	f->pay = off;
	ot_fill(buf + off, sp->paylen);
	f->len = off + sp->paylen;
}

/* Segments emitted by ptd_gso_segment(), copied. */
#define OT_MAXSEG 128
struct ot_coll {
	uint32_t n;
	uint32_t len[OT_MAXSEG];
	uint8_t *seg[OT_MAXSEG];
};

static inline void ot_emit(const uint8_t *frame, uint32_t len, void *arg)
{
	struct ot_coll *c = arg;

	REQUIRE(c->n < OT_MAXSEG, "too many segments emitted");
	c->seg[c->n] = malloc(len ? len : 1);
	REQUIRE(c->seg[c->n], "malloc");
	memcpy(c->seg[c->n], frame, len);
	c->len[c->n++] = len;
}

static inline void ot_coll_reset(struct ot_coll *c)
{
	for (uint32_t i = 0; i < c->n; i++)
		free(c->seg[i]);
	c->n = 0;
}

static inline struct ptd_vnet_hdr ot_hdr(uint8_t gso_type, uint16_t gso_size,
					 const struct ot_frame *f)
{
	struct ptd_vnet_hdr h = { 0 };

	h.flags = PTD_VNET_F_NEEDS_CSUM;
	h.gso_type = gso_type;
	h.gso_size = gso_size;
	h.hdr_len = (uint16_t)f->pay;
	h.csum_start = (uint16_t)f->l4;
	h.csum_offset =
		(gso_type & 0x7f) == PTD_VNET_GSO_TCPV4 || (gso_type & 0x7f) == PTD_VNET_GSO_TCPV6
			? 16
			: 6;
	return h;
}

/*
 * Check segments C of a TCP or USO frame ORIG (built as F from SP) cut for
 * MTU with gso_size GSO: sizes, lengths, ids, seq numbers, flags, headers
 * copied, checksums, payload.  Returns false if something was wrong.
 */
static inline bool ot_check_l4_segs(const struct ot_coll *c, const uint8_t *orig,
				    const struct ot_spec *sp, const struct ot_frame *f,
				    uint32_t mtu, uint32_t gso, const char *what)
{
	uint32_t m = mtu > 65535 ? 65535 : mtu, seg = m - f->ip_hl - f->l4_hl, off = 0;
	int before = t_failures;
	bool tcp = sp->proto == 6;

	if (gso < seg)
		seg = gso;
	for (uint32_t i = 0; i < c->n; i++) {
		const uint8_t *s = c->seg[i], *ip = s + f->l3, *l4 = s + f->l4;
		const uint8_t *oip = orig + f->l3, *ol4 = orig + f->l4;
		uint32_t L = c->len[i], n;
		bool last = i + 1 == c->n;

		if (L < f->pay) {
			CHECK(L >= f->pay, "%s: seg %u: %u bytes, shorter than headers", what, i,
			      L);
			return false;
		}
		n = L - f->pay;
		CHECK(L - f->l3 <= m, "%s: seg %u: IP length %u > mtu %u", what, i, L - f->l3, m);
		CHECK(L <= m + f->l3, "%s: seg %u: frame %u too long", what, i, L);
		if (!last)
			CHECK(n == seg, "%s: seg %u: payload %u, want %u", what, i, n, seg);
		else
			CHECK(n == sp->paylen - off, "%s: last seg %u: payload %u, want %u", what,
			      i, n, sp->paylen - off);
		CHECK(n <= gso || (sp->paylen == 0 && n == 0), "%s: seg %u payload %u > gso %u",
		      what, i, n, gso);
		CHECK_MEMEQ(s, orig, f->l3, "%s: seg %u: L2 header changed", what, i);
		if (sp->v6) {
			CHECK(ot_get16(ip + 4) == L - f->l3 - 40, "%s: seg %u: payload_len %u",
			      what, i, ot_get16(ip + 4));
			CHECK(!memcmp(ip, oip, 4) && !memcmp(ip + 6, oip + 6, 34),
			      "%s: seg %u: IPv6 header changed", what, i);
		} else {
			CHECK(ot_get16(ip + 2) == L - f->l3, "%s: seg %u: tot_len %u, want %u",
			      what, i, ot_get16(ip + 2), L - f->l3);
			CHECK(ot_ip4_ok(ip), "%s: seg %u: bad IPv4 header checksum", what, i);
			CHECK(ot_get16(ip + 4) == (uint16_t)(sp->ipid + i), "%s: seg %u: id %u",
			      what, i, ot_get16(ip + 4));
			CHECK(!memcmp(ip, oip, 2) && !memcmp(ip + 6, oip + 6, 4) &&
				      !memcmp(ip + 12, oip + 12, f->ip_hl - 12),
			      "%s: seg %u: IPv4 header changed", what, i);
		}
		if (tcp) {
			uint8_t fl = sp->tcpflags;

			if (!last)
				fl &= (uint8_t)~0x09; /* FIN, PSH */
			if (i > 0)
				fl &= (uint8_t)~0x80; /* CWR */
			CHECK(ot_get32(l4 + 4) == sp->seq + off, "%s: seg %u: seq %u, want %u",
			      what, i, ot_get32(l4 + 4), sp->seq + off);
			CHECK(l4[13] == fl, "%s: seg %u: flags %#x, want %#x", what, i, l4[13], fl);
			CHECK(!memcmp(l4, ol4, 4) && !memcmp(l4 + 8, ol4 + 8, 5) &&
				      !memcmp(l4 + 14, ol4 + 14, 2) &&
				      !memcmp(l4 + 18, ol4 + 18, f->l4_hl - 18),
			      "%s: seg %u: TCP header changed", what, i);
		} else {
			CHECK(ot_get16(l4 + 4) == L - f->l4, "%s: seg %u: UDP length %u", what, i,
			      ot_get16(l4 + 4));
			CHECK(ot_get16(l4 + 6) != 0, "%s: seg %u: UDP checksum 0", what, i);
			CHECK_MEMEQ(l4, ol4, 4, "%s: seg %u: UDP ports changed", what, i);
		}
		CHECK(ot_l4_ok(ip, sp->proto, l4, L - f->l4), "%s: seg %u: bad %s checksum", what,
		      i, tcp ? "TCP" : "UDP");
		CHECK(off + n <= sp->paylen && !memcmp(s + f->pay, orig + f->pay + off, n),
		      "%s: seg %u: payload differs", what, i);
		off += n;
	}
	CHECK(off == sp->paylen, "%s: %u payload bytes out, want %u", what, off, sp->paylen);
	return t_failures == before;
}

/* Segments a TCP/USO frame of this shape should give (> 64: rejected). */
static inline uint32_t ot_expect_segs(const struct ot_spec *sp, const struct ot_frame *f,
				      uint32_t mtu, uint32_t gso)
{
	uint32_t m = mtu > 65535 ? 65535 : mtu, seg;

	if (m <= f->ip_hl + f->l4_hl)
		return 0;
	seg = m - f->ip_hl - f->l4_hl;
	if (gso < seg)
		seg = gso;
	if (sp->paylen <= seg)
		return 1;
	return (sp->paylen + seg - 1) / seg;
}

#endif
