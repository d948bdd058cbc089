// SPDX-License-Identifier: BSD-2-Clause
/*
 * offload_bad - ptd_gso_segment()/ptd_gso_count() refuse malformed and
 * unsupported frames with -EINVAL (count 0) and emit nothing: bad virtio-net
 * headers, truncated Ethernet/VLAN/IP/TCP/UDP headers, three VLAN tags,
 * non-IP, IP version mismatch, ihl < 5, doff < 5, header lengths past the
 * frame, IPv4 fragments, protocol or family not matching gso_type, IPv6
 * extension headers, MTU too small for the headers, too many segments,
 * bad IPv4 options (UFO), NULL arguments; -ENOSPC for a short scratch.
 * Then random corruption of valid frames (each in an exact-size heap block,
 * so ASan builds catch any stray read): results always agree with
 * ptd_gso_count() and stay within MTU and the scratch.
 */
#include "offload_t.h"

static uint8_t scratch[PTD_GSO_SCRATCH_MAX];
static struct ot_coll coll;

/* Segment a copy of F[0, LEN) in an exact-size heap block. */
static int seg(const struct ptd_vnet_hdr *h, const uint8_t *f, uint32_t len, uint32_t mtu,
	       uint32_t scratch_len, uint32_t *cnt)
{
	uint8_t *p = f ? malloc(len ? len : 1) : NULL;
	int r;

	REQUIRE(p || !f, "malloc");
	if (p)
		memcpy(p, f, len);
	ot_coll_reset(&coll);
	*cnt = ptd_gso_count(h, p, len, mtu);
	r = ptd_gso_segment(h, p, len, mtu, scratch, scratch_len, ot_emit, &coll);
	free(p);
	return r;
}

#define BAD(h, f, len, mtu, ...)                                            \
	do {                                                                \
		uint32_t _c;                                                \
		int _r = seg((h), (f), (len), (mtu), sizeof(scratch), &_c); \
		CHECK(_r == -EINVAL && _c == 0 && coll.n == 0,              \
		      "got %d, count %u, emitted %u: ", _r, _c, coll.n);    \
		if (_r != -EINVAL || _c || coll.n)                          \
			fprintf(stderr, __VA_ARGS__), fputc('\n', stderr);  \
	} while (0)

#define GOOD(h, f, len, mtu, want, ...)                                          \
	do {                                                                     \
		uint32_t _c;                                                     \
		int _r = seg((h), (f), (len), (mtu), sizeof(scratch), &_c);      \
		CHECK(_r == (int)(want) && _c == (want) && coll.n == (want),     \
		      "got %d, count %u, emitted %u, want %u: ", _r, _c, coll.n, \
		      (unsigned int)(want));                                     \
		if (_r != (int)(want))                                           \
			fprintf(stderr, __VA_ARGS__), fputc('\n', stderr);       \
	} while (0)

static uint8_t base[70000], f2[70000];

static void build(const struct ot_spec *sp, struct ot_frame *f, struct ptd_vnet_hdr *h,
		  uint8_t type, uint16_t gso)
{
	ot_build(base, sp, f);
	*h = ot_hdr(type, gso, f);
}

static void malformed(void)
{
	struct ot_spec tcp4 = { .proto = 6, .paylen = 3000, .tcpflags = 0x18 };
	struct ot_spec tcp6 = { .proto = 6, .paylen = 3000, .v6 = true };
	struct ot_spec udp4 = { .proto = 17, .paylen = 3000 };
	struct ptd_vnet_hdr h, h2;
	struct ot_frame f;
	uint32_t c;

	/* Header problems. */
	build(&tcp4, &f, &h, PTD_VNET_GSO_TCPV4, 1448);
	GOOD(&h, base, f.len, 1500, 3, "valid TCPv4 baseline");
	h2 = h;
	h2.gso_type = PTD_VNET_GSO_NONE;
	BAD(&h2, base, f.len, 1500, "gso NONE");
	h2.flags = PTD_VNET_F_NEEDS_CSUM;
	BAD(&h2, base, f.len, 1500, "gso NONE + NEEDS_CSUM (ptd_csum_complete's job)");
	h2 = h;
	h2.gso_type = 2;
	BAD(&h2, base, f.len, 1500, "gso type 2");
	h2.gso_type = 0x86;
	BAD(&h2, base, f.len, 1500, "gso type 6 + ECN");
	h2 = h;
	h2.gso_size = 0;
	BAD(&h2, base, f.len, 1500, "gso_size 0");
	h2 = h;
	h2.flags = 4;
	BAD(&h2, base, f.len, 1500, "flag 4");
	h2 = h;
	h2.csum_start = (uint16_t)(f.len - 10);
	BAD(&h2, base, f.len, 1500, "csum field past the end");
	h2.flags = 0;
	GOOD(&h2, base, f.len, 1500, 3, "bad csum_start ignored without NEEDS_CSUM");
	BAD(NULL, base, f.len, 1500, "NULL header");
	BAD(&h, NULL, 0, 1500, "NULL frame");
	CHECK(ptd_gso_segment(&h, base, f.len, 1500, NULL, 9000, ot_emit, &coll) == -EINVAL,
	      "NULL scratch");
	CHECK(ptd_gso_segment(&h, base, f.len, 1500, scratch, sizeof(scratch), NULL, NULL) ==
		      -EINVAL,
	      "NULL emit");

	/* Scratch size: exactly one segment is enough. */
	CHECK(seg(&h, base, f.len, 1500, f.pay + 1448, &c) == 3, "exact scratch");
	CHECK(seg(&h, base, f.len, 1500, f.pay + 1447, &c) == -ENOSPC && coll.n == 0 && c == 3,
	      "short scratch");

	/* Ethernet / VLAN. */
	h.flags = 0; /* let truncation reach the parser */
	for (uint32_t l = 0; l < f.pay; l++)
		BAD(&h, base, l, 1500, "TCPv4 truncated to %u bytes", l);
	memcpy(f2, base, f.len);
	ot_put16(f2 + 12, 0x0806);
	BAD(&h, f2, f.len, 1500, "ARP ethertype");
	{
		struct ot_spec sp = tcp4;

		sp.nvlan = 2;
		build(&sp, &f, &h, PTD_VNET_GSO_TCPV4, 1448);
		GOOD(&h, base, f.len, 1500, 3, "two VLAN tags");
		/* A third tag: 18..22 holds 0x8100 instead of 0x0800. */
		memcpy(f2, base, f.len);
		ot_put16(f2 + 20, 0x8100);
		BAD(&h, f2, f.len, 1500, "three VLAN tags");
		for (uint32_t l = 12; l < 23; l++)
			BAD(&h, base, l, 1500, "VLAN frame truncated to %u", l);
	}

	/* IPv4. */
	build(&tcp4, &f, &h, PTD_VNET_GSO_TCPV4, 1448);
	for (unsigned int ihl = 0; ihl < 5; ihl++) {
		memcpy(f2, base, f.len);
		f2[14] = (uint8_t)(0x40 | ihl);
		BAD(&h, f2, f.len, 1500, "ihl %u", ihl);
	}
	memcpy(f2, base, f.len);
	f2[14] = 0x4f;		 /* 60 bytes: eats into TCP, still in frame */
	f2[14 + 60 + 12] = 0x50; /* "TCP header" now inside the payload */
	GOOD(&h, f2, f.len, 1500, 3, "ihl 15 inside a long frame (bytes are just options)");
	BAD(&h, f2, 14 + 59, 1500, "ihl 15 past the frame");
	memcpy(f2, base, f.len);
	f2[14] = 0x65;
	BAD(&h, f2, f.len, 1500, "IPv4 ethertype, version 6");
	ot_put16(f2 + 12, 0x86dd);
	f2[14] = 0x45;
	BAD(&h, f2, f.len, 1500, "IPv6 ethertype, version 4");
	memcpy(f2, base, f.len);
	ot_put16(f2 + 14 + 6, 0x2000);
	BAD(&h, f2, f.len, 1500, "IPv4 MF");
	ot_put16(f2 + 14 + 6, 0x0001);
	BAD(&h, f2, f.len, 1500, "IPv4 fragment offset");
	ot_put16(f2 + 14 + 6, 0x4000);
	GOOD(&h, f2, f.len, 1500, 3, "DF");
	ot_put16(f2 + 14 + 6, 0x8000);
	GOOD(&h, f2, f.len, 1500, 3, "reserved bit (copied as is)");
	memcpy(f2, base, f.len);
	f2[14 + 9] = 17;
	BAD(&h, f2, f.len, 1500, "TCPV4 on a UDP packet");
	ot_put16(f2 + 14 + 2, 7);
	f2[14 + 9] = 6;
	GOOD(&h, f2, f.len, 1500, 3, "lying tot_len ignored");
	h2 = h;
	h2.gso_type = PTD_VNET_GSO_TCPV6;
	BAD(&h2, base, f.len, 1500, "TCPV6 on IPv4");
	h2.gso_type = PTD_VNET_GSO_UDP_L4;
	BAD(&h2, base, f.len, 1500, "UDP_L4 on TCP");

	/* TCP. */
	for (unsigned int doff = 0; doff < 5; doff++) {
		memcpy(f2, base, f.len);
		f2[f.l4 + 12] = (uint8_t)(doff << 4);
		BAD(&h, f2, f.len, 1500, "doff %u", doff);
	}
	memcpy(f2, base, f.len);
	f2[f.l4 + 12] = 0xf0;
	BAD(&h, f2, f.l4 + 59, 1500, "doff 15 past the frame");
	GOOD(&h, f2, f.l4 + 60, 1500, 1, "doff 15, no payload");
	GOOD(&h, base, f.pay, 1500, 1, "no payload at all");

	/* MTU. */
	BAD(&h, base, f.len, 0, "mtu 0");
	BAD(&h, base, f.len, 40, "mtu = headers");
	GOOD(&h, base, 54 + 64, 41, 64, "1 byte per segment, 64 segments");
	BAD(&h, base, 54 + 65, 41, "65 segments");
	h2 = h;
	h2.gso_size = 1;
	BAD(&h2, base, f.len, 1500, "gso_size 1: 3000 segments");

	/* IPv6. */
	build(&tcp6, &f, &h, PTD_VNET_GSO_TCPV6, 1440);
	GOOD(&h, base, f.len, 1500, 3, "valid TCPv6 baseline");
	for (unsigned int nh = 0; nh < 256; nh++) {
		if (nh == 6)
			continue;
		memcpy(f2, base, f.len);
		f2[14 + 6] = (uint8_t)nh;
		BAD(&h, f2, f.len, 1500, "IPv6 next header %u", nh);
	}
	memcpy(f2, base, f.len);
	f2[14] = 0x40;
	BAD(&h, f2, f.len, 1500, "IPv6 ethertype, version 4");
	h2 = h;
	h2.gso_type = PTD_VNET_GSO_TCPV4;
	BAD(&h2, base, f.len, 1500, "TCPV4 on IPv6");
	h2.gso_type = PTD_VNET_GSO_UDP;
	BAD(&h2, base, f.len, 1500, "UFO on IPv6 TCP");
	h.flags = 0;
	for (uint32_t l = 0; l < f.pay; l++)
		BAD(&h, base, l, 1500, "TCPv6 truncated to %u bytes", l);
	BAD(&h, base, f.len, 60, "IPv6 mtu = headers");

	/* UDP. */
	build(&udp4, &f, &h, PTD_VNET_GSO_UDP, 1480);
	GOOD(&h, base, f.len, 1500, 3, "valid UFO baseline");
	h.flags = 0;
	for (uint32_t l = 0; l < f.pay; l++)
		BAD(&h, base, l, 1500, "UDP truncated to %u bytes", l);
	BAD(&h, base, f.len, 20, "UFO mtu = IP header");
	BAD(&h, base, f.len, 27, "UFO mtu leaves 7 bytes");
	GOOD(&h, base, f.pay + 100, 28, 14, "UFO 8 bytes per fragment");
	BAD(&h, base, f.pay + 600, 28, "UFO 76 fragments");
	h2 = h;
	h2.gso_size = 7;
	BAD(&h2, base, f.len, 1500, "UFO gso_size 7");
	{
		struct ot_spec sp = udp4;

		sp.ipopt = 8;
		build(&sp, &f, &h, PTD_VNET_GSO_UDP, 1480);
		GOOD(&h, base, f.len, 1500, 3, "UFO with options");
		memcpy(f2, base, f.len);
		f2[14 + 20 + 1] = 1; /* option length 1 */
		BAD(&h, f2, f.len, 1500, "UFO, option length 1");
		f2[14 + 20 + 1] = 9; /* past the 8 option bytes */
		BAD(&h, f2, f.len, 1500, "UFO, option past the header");
		f2[14 + 20 + 1] = 6;
		f2[14 + 20 + 6] = 1;
		f2[14 + 20 + 7] = 0x44; /* last byte: option with no length byte */
		BAD(&h, f2, f.len, 1500, "UFO, option without length");
		f2[14 + 20 + 6] = 0; /* end of list: the rest is ignored */
		f2[14 + 20 + 7] = 0x44;
		f2[14 + 20 + 0] = 0;
		GOOD(&h, f2, f.len, 1500, 3, "UFO, end-of-list first");
		/* TCP/USO just copy options: no parsing. */
		h2 = h;
		h2.gso_type = PTD_VNET_GSO_UDP_L4;
		h2.gso_size = 1400;
		f2[14 + 20 + 0] = 0x44;
		f2[14 + 20 + 1] = 200;
		GOOD(&h2, f2, f.len, 1500, 3, "USO copies bad options");
	}
}

/* Random corruption: no crash, no stray access, consistent answers. */
static void mutate(void)
{
	static const uint8_t types[] = { PTD_VNET_GSO_TCPV4, PTD_VNET_GSO_TCPV6, PTD_VNET_GSO_UDP,
					 PTD_VNET_GSO_UDP_L4 };
	unsigned int ok = 0;

	for (unsigned int k = 0; k < 20000; k++) {
		struct ot_spec sp = { 0 };
		struct ptd_vnet_hdr h;
		struct ot_frame f;
		uint32_t len, mtu, c, bound;
		uint8_t type;
		bool big;
		int r;

		sp.v6 = ot_rand() & 1;
		sp.proto = ot_rand() & 1 ? 6 : 17;
		sp.nvlan = ot_rand() % 3;
		sp.ipopt = sp.v6 ? 0 : (ot_rand() % 4) * 4;
		sp.tcpopt = (ot_rand() % 4) * 4;
		big = ot_rand() % 8 == 0;
		sp.paylen = ot_rand() % (big ? 65000 : 3000);
		ot_build(base, &sp, &f);
		type = types[ot_rand() % 4];
		h = ot_hdr(type, (uint16_t)(1 + ot_rand() % 9000), &f);
		len = f.len;
		for (unsigned int m = ot_rand() % 6; m; m--) {
			uint32_t at = ot_rand() % (f.pay + 4);

			if (at < len)
				base[at] = (uint8_t)ot_rand();
		}
		if (ot_rand() % 4 == 0)
			len = ot_rand() % (len + 1);
		if (ot_rand() % 8 == 0)
			h.gso_size = (uint16_t)ot_rand();
		if (ot_rand() % 8 == 0)
			h.gso_type = (uint8_t)ot_rand();
		if (ot_rand() % 8 == 0)
			h.flags = (uint8_t)ot_rand() & 7;
		mtu = ot_rand() % 4 ? 576 + ot_rand() % 9000 : ot_rand() % 200;
		r = seg(&h, base, len, mtu, PTD_GSO_SCRATCH(mtu), &c);
		CHECK(r == -EINVAL ? c == 0 : r == (int)c, "mutant %u: got %d, count %u", k, r, c);
		CHECK(r < 0 ? coll.n == 0 : coll.n == (uint32_t)r, "mutant %u: %d, %u emitted", k,
		      r, coll.n);
		bound = PTD_GSO_SCRATCH(mtu);
		for (uint32_t i = 0; i < coll.n; i++) {
			CHECK(coll.len[i] <= bound, "mutant %u: segment of %u > %u", k, coll.len[i],
			      bound);
			if (!((h.gso_type & 0x7f) == PTD_VNET_GSO_UDP && i > 0)) {
				const uint8_t *ip = coll.seg[i] + f.l3;

				if (f.l3 + 20 <= coll.len[i] && ip[0] >> 4 == 4)
					CHECK(ot_ip4_ok(ip), "mutant %u seg %u: IP checksum", k, i);
			}
		}
		ok += r > 0;
	}
	CHECK(ok > 1000, "only %u mutants segmented: mutation too heavy", ok);
	printf("offload_bad: %u of 20000 mutants segmented\n", ok);
}

int main(void)
{
	malformed();
	mutate();
	ot_coll_reset(&coll);
	return t_done("offload_bad");
}
