// SPDX-License-Identifier: BSD-2-Clause
/*
 * offload_ufo - ptd_gso_segment() on UDP (UFO) IPv4 frames: the UDP
 * checksum is computed once over the whole datagram, which is then cut into
 * IPv4 fragments.  Checked with the independent checker of offload_t.h:
 * every fragment within MTU with a valid header checksum, the same id,
 * offsets in 8-byte units contiguous from 0, MF on all but the last, DF
 * cleared when fragmenting (kept on a single packet), options without the
 * copy bit NOP'ed in later fragments; the reassembled datagram has the right
 * UDP length and a verifying checksum and the original payload.  IPv6 UFO
 * is refused.
 */
#include "offload_t.h"

#define FRAME_MAX (65535 + 200)

static uint8_t frame[FRAME_MAX], orig[FRAME_MAX], scratch[PTD_GSO_SCRATCH_MAX];
static uint8_t dgram[65536];
static struct ot_coll coll;
static unsigned int runs, frags_total;

static void check_frags(const struct ot_spec *sp, const struct ot_frame *f, uint32_t mtu,
			uint32_t fsz, const char *what)
{
	uint32_t m = mtu > 65535 ? 65535 : mtu, total = f->len - f->l4, off = 0;

	for (uint32_t i = 0; i < coll.n; i++) {
		const uint8_t *s = coll.seg[i], *ip = s + f->l3, *oip = orig + f->l3;
		uint32_t L = coll.len[i], n, fo;
		bool last = i + 1 == coll.n;

		if (L < f->l4) {
			CHECK(L >= f->l4, "%s: frag %u: %u bytes", what, i, L);
			return;
		}
		n = L - f->l4;
		fo = ot_get16(ip + 6);
		CHECK(L - f->l3 <= m, "%s: frag %u: IP length %u > mtu", what, i, L - f->l3);
		CHECK_MEMEQ(s, orig, f->l3, "%s: frag %u: L2 changed", what, i);
		CHECK(ip[0] == oip[0], "%s: frag %u: version/ihl changed", what, i);
		CHECK(ot_get16(ip + 2) == L - f->l3, "%s: frag %u: tot_len %u", what, i,
		      ot_get16(ip + 2));
		CHECK(ot_ip4_ok(ip), "%s: frag %u: bad header checksum", what, i);
		CHECK(ot_get16(ip + 4) == sp->ipid, "%s: frag %u: id changed", what, i);
		CHECK(!memcmp(ip + 8, oip + 8, 2) && !memcmp(ip + 12, oip + 12, 8),
		      "%s: frag %u: ttl/proto/addresses changed", what, i);
		if (coll.n == 1) {
			CHECK(fo == sp->frag, "%s: single packet: frag field %#x, want %#x", what,
			      fo, sp->frag);
		} else {
			CHECK((fo & 0x1fff) * 8u == off, "%s: frag %u: offset %u, want %u", what, i,
			      (fo & 0x1fff) * 8u, off);
			CHECK(!!(fo & 0x2000) == !last, "%s: frag %u: MF %#x", what, i, fo);
			CHECK(!(fo & 0xc000), "%s: frag %u: DF/reserved set %#x", what, i, fo);
		}
		if (!last)
			CHECK(n == fsz && n % 8 == 0, "%s: frag %u: %u bytes, want %u", what, i, n,
			      fsz);
		if (sp->ipopt) {
			const uint8_t *o = ip + 20, *oo = oip + 20;

			if (i == 0 || sp->ipopt < 8) {
				CHECK_MEMEQ(o, oo, sp->ipopt, "%s: frag %u: options changed", what,
					    i);
			} else {
				static const uint8_t nops[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };

				CHECK(!memcmp(o, nops, 8) && !memcmp(o + 8, oo + 8, sp->ipopt - 8),
				      "%s: frag %u: options not stripped right", what, i);
			}
		}
		if (off + n <= sizeof(dgram))
			memcpy(dgram + off, s + f->l4, n);
		off += n;
	}
	CHECK(off == total, "%s: reassembled %u bytes, want %u", what, off, total);
	if (off != total || coll.n == 0)
		return;
	CHECK(ot_get16(dgram + 4) == total, "%s: UDP length %u, want %u", what, ot_get16(dgram + 4),
	      total);
	CHECK(ot_get16(dgram + 6) != 0, "%s: UDP checksum 0", what);
	CHECK(ot_l4_ok(coll.seg[0] + f->l3, 17, dgram, total), "%s: bad UDP checksum", what);
	CHECK(!memcmp(dgram, orig + f->l4, 4) && !memcmp(dgram + 8, orig + f->pay, sp->paylen),
	      "%s: datagram content differs", what);
}

static void run(const struct ot_spec *sp, uint32_t mtu, uint32_t gso)
{
	struct ot_frame f;
	struct ptd_vnet_hdr h;
	uint32_t want, cnt, m = mtu > 65535 ? 65535 : mtu, fsz, total;
	char what[160];
	int r;

	ot_build(frame, sp, &f);
	if (ot_rand() % 3 == 0)
		ot_put16(frame + f.l4 + 4, ot_rand()); /* UDP length: rewritten */
	memcpy(orig, frame, f.len);
	h = ot_hdr(PTD_VNET_GSO_UDP, (uint16_t)gso, &f);
	snprintf(what, sizeof(what), "ufo vlan%u ipopt%u pay%u mtu%u gso%u df%u", sp->nvlan,
		 sp->ipopt, sp->paylen, mtu, gso, !!sp->frag);

	total = f.len - f.l4;
	fsz = (m > f.ip_hl ? m - f.ip_hl : 0);
	if (gso < fsz)
		fsz = gso;
	fsz &= ~7u;
	if (fsz < 8)
		want = 0;
	else
		want = total <= fsz ? 1 : (total + fsz - 1) / fsz;

	cnt = ptd_gso_count(&h, frame, f.len, mtu);
	r = ptd_gso_segment(&h, frame, f.len, mtu, scratch, PTD_GSO_SCRATCH(mtu), ot_emit, &coll);
	CHECK_MEMEQ(frame, orig, f.len, "%s: input frame modified", what);
	runs++;
	if (want == 0 || want > PTD_GSO_MAX_SEGS) {
		CHECK(r == -EINVAL && cnt == 0 && coll.n == 0,
		      "%s: got %d, count %u, emitted %u, want -EINVAL", what, r, cnt, coll.n);
	} else {
		CHECK(r == (int)want && cnt == want && coll.n == want,
		      "%s: got %d, count %u, emitted %u, want %u", what, r, cnt, coll.n, want);
		if (coll.n == want)
			check_frags(sp, &f, mtu, fsz, what);
		frags_total += coll.n;
	}
	ot_coll_reset(&coll);
}

int main(void)
{
	static const uint32_t pays[] = {
		0, 1, 100, 1000, 1472, 1473, 1480, 3000, 8972, 20000, 65000
	};
	static const uint32_t mtus[] = { 576, 1500, 9000, 65535, 70000 };
	static const uint32_t gsos[] = { 8, 15, 100, 552, 1480, 8980, 65535 };

	for (unsigned int pi = 0; pi < OT_N(pays); pi++)
		for (unsigned int mi = 0; mi < OT_N(mtus); mi++)
			for (unsigned int gi = 0; gi < OT_N(gsos); gi++)
				for (unsigned int opt = 0; opt < 3; opt++) {
					struct ot_spec sp = { .proto = 17 };

					sp.paylen = pays[pi];
					sp.nvlan = ot_rand() % 3;
					sp.ipopt = opt == 2 ? 32 : opt * 8; /* 0, 8, 32 */
					sp.ipid = (uint16_t)ot_rand();
					sp.frag = ot_rand() & 1 ? 0x4000 : 0;
					if (sp.paylen + 28 + sp.ipopt > 65535)
						sp.paylen = 65535 - 28 - sp.ipopt;
					run(&sp, mtus[mi], gsos[gi]);
				}

	/* IPv6 UFO is not supported. */
	{
		struct ot_spec sp = { .proto = 17, .v6 = true, .paylen = 3000 };
		struct ot_frame f;
		struct ptd_vnet_hdr h;
		int r;

		ot_build(frame, &sp, &f);
		h = ot_hdr(PTD_VNET_GSO_UDP, 1448, &f);
		r = ptd_gso_segment(&h, frame, f.len, 1500, scratch, sizeof(scratch), ot_emit,
				    &coll);
		CHECK(r == -EINVAL && coll.n == 0, "IPv6 UFO: got %d, %u emitted", r, coll.n);
		CHECK(ptd_gso_count(&h, frame, f.len, 1500) == 0, "IPv6 UFO counted");
		ot_coll_reset(&coll);
	}

	/* A datagram that would not fit in an IPv4 packet (65535 bytes) is refused. */
	{
		static uint8_t big[70000];
		struct ot_spec sp = { .proto = 17, .paylen = 65535 - 28 };
		struct ot_frame f;
		struct ptd_vnet_hdr h;

		ot_build(big, &sp, &f);
		h = ot_hdr(PTD_VNET_GSO_UDP, 65535, &f);
		CHECK(ptd_gso_count(&h, big, f.len, 65535) == 2, "max UFO datagram: count %u",
		      ptd_gso_count(&h, big, f.len, 65535));
		big[f.len] = 0;
		CHECK(ptd_gso_count(&h, big, f.len + 1, 65535) == 0, "oversized UFO accepted");
	}
	printf("offload_ufo: %u frames, %u fragments\n", runs, frags_total);
	return t_done("offload_ufo");
}
