// SPDX-License-Identifier: BSD-2-Clause
/*
 * offload_uso - ptd_gso_segment() on UDP_L4 (USO) frames over IPv4 and IPv6:
 * every segment a UDP datagram with its own length and a full, non-zero,
 * verifying checksum; IPv4 id + index, tot_len, header checksum; IPv6
 * payload_len; payloads in order; ptd_gso_count() agrees; the input is left
 * alone; > PTD_GSO_MAX_SEGS segments refused.
 */
#include "offload_t.h"

#define FRAME_MAX (65535 + 200)

static uint8_t frame[FRAME_MAX], orig[FRAME_MAX], scratch[PTD_GSO_SCRATCH_MAX];
static struct ot_coll coll;
static unsigned int runs, segs_total;

static void run(const struct ot_spec *sp, uint32_t mtu, uint32_t gso)
{
	struct ot_frame f;
	struct ptd_vnet_hdr h;
	uint32_t want, cnt;
	char what[160];
	int r;

	ot_build(frame, sp, &f);
	if (ot_rand() % 4 == 0)
		ot_put16(frame + f.l4 + 4, ot_rand()); /* UDP length: rewritten */
	memcpy(orig, frame, f.len);
	h = ot_hdr(PTD_VNET_GSO_UDP_L4, (uint16_t)gso, &f);
	snprintf(what, sizeof(what), "uso%s vlan%u ipopt%u pay%u mtu%u gso%u", sp->v6 ? "6" : "4",
		 sp->nvlan, sp->ipopt, sp->paylen, mtu, gso);

	want = ot_expect_segs(sp, &f, mtu, gso);
	cnt = ptd_gso_count(&h, frame, f.len, mtu);
	r = ptd_gso_segment(&h, frame, f.len, mtu, scratch, PTD_GSO_SCRATCH(mtu), ot_emit, &coll);
	CHECK_MEMEQ(frame, orig, f.len, "%s: input frame modified", what);
	runs++;
	if (want == 0 || want > PTD_GSO_MAX_SEGS) {
		CHECK(r == -EINVAL, "%s: got %d, want -EINVAL (%u segments)", what, r, want);
		CHECK(cnt == 0 && coll.n == 0, "%s: count %u, emitted %u", what, cnt, coll.n);
	} else {
		CHECK(r == (int)want && cnt == want && coll.n == want,
		      "%s: got %d, count %u, emitted %u, want %u", what, r, cnt, coll.n, want);
		if (coll.n == want)
			ot_check_l4_segs(&coll, orig, sp, &f, mtu, gso, what);
		segs_total += coll.n;
	}
	ot_coll_reset(&coll);
}

int main(void)
{
	static const uint32_t pays[] = { 0, 1, 7, 100, 1000, 1472, 1473, 4000, 8972, 20000, 65000 };
	static const uint32_t mtus[] = { 576, 1500, 9000, 65535 };
	static const uint32_t gsos[] = { 8, 100, 548, 1000, 1472, 8972, 65535 };

	for (unsigned int v6 = 0; v6 < 2; v6++)
		for (unsigned int pi = 0; pi < OT_N(pays); pi++)
			for (unsigned int mi = 0; mi < OT_N(mtus); mi++)
				for (unsigned int gi = 0; gi < OT_N(gsos); gi++) {
					struct ot_spec sp = { 0 };
					uint32_t hdrs;

					sp.v6 = v6;
					sp.proto = 17;
					sp.paylen = pays[pi];
					sp.nvlan = ot_rand() % 3;
					sp.ipopt = v6 ? 0 : (ot_rand() % 3) * 4;
					sp.ipid = (uint16_t)ot_rand();
					hdrs = (v6 ? 40 : 20 + sp.ipopt) + 8;
					if (sp.paylen + hdrs > 65535)
						sp.paylen = 65535 - hdrs;
					run(&sp, mtus[mi], gsos[gi]);
				}

	/* A datagram whose checksum folds to 0 must carry 0xffff: try many. */
	for (unsigned int k = 0; k < 2000; k++) {
		struct ot_spec sp = { .proto = 17, .paylen = 1 + ot_rand() % 64, .v6 = k & 1 };

		run(&sp, 1500, 1 + ot_rand() % 32);
	}
	/*
	 * Directed: choose the last payload word so the datagram's sum is
	 * 0xffff, i.e. the computed checksum is 0; it must go out as 0xffff.
	 */
	for (unsigned int v6 = 0; v6 < 2; v6++) {
		struct ot_spec sp = { .proto = 17, .paylen = 200, .v6 = v6 };
		struct ot_frame f;
		struct ptd_vnet_hdr h;
		uint32_t acc;
		int r;

		ot_build(frame, &sp, &f);
		ot_put16(frame + f.l4 + 4, 8 + sp.paylen);
		ot_put16(frame + f.l4 + 6, 0);
		ot_put16(frame + f.len - 2, 0);
		acc = ot_pseudo(frame + f.l3, 17, 8 + sp.paylen);
		acc = ot_fold(ot_sum(acc, frame + f.l4, 8 + sp.paylen));
		ot_put16(frame + f.len - 2, (uint16_t)~acc); /* sum becomes 0xffff */
		h = ot_hdr(PTD_VNET_GSO_UDP_L4, 1000, &f);
		r = ptd_gso_segment(&h, frame, f.len, 1500, scratch, sizeof(scratch), ot_emit,
				    &coll);
		CHECK(r == 1 && coll.n == 1, "zero-checksum case: got %d", r);
		if (coll.n == 1)
			CHECK(ot_get16(coll.seg[0] + f.l4 + 6) == 0xffff,
			      "v6=%u: UDP checksum %#x, want 0xffff", v6,
			      ot_get16(coll.seg[0] + f.l4 + 6));
		ot_coll_reset(&coll);
	}
	printf("offload_uso: %u frames, %u segments\n", runs, segs_total);
	return t_done("offload_uso");
}
