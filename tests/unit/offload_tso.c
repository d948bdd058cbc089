// SPDX-License-Identifier: BSD-2-Clause
/*
 * offload_tso - ptd_gso_segment() on TCPv4 and TCPv6 GSO frames: payloads of
 * 0..65000 bytes, 0..2 VLAN tags, IPv4 and TCP options, MTUs 576/1500/9000
 * (and above 65535), several gso_size values.  Every segment is checked
 * against the original with the independent checker of offload_t.h: within
 * MTU, lengths, ids, contiguous seq, FIN/PSH/CWR, headers, checksums,
 * payload.  Also: ptd_gso_count() agrees, the input frame is not modified,
 * segment counts beyond PTD_GSO_MAX_SEGS are refused, and the length fields
 * the sender wrote (tot_len, payload_len) do not matter.
 */
#include "offload_t.h"

#define FRAME_MAX (65535 + 200)

static uint8_t frame[FRAME_MAX], orig[FRAME_MAX], scratch[PTD_GSO_SCRATCH_MAX];
static struct ot_coll coll;
static unsigned int runs, segs_total;

static void run(const struct ot_spec *sp, uint32_t mtu, uint32_t gso, bool ecn, bool lie)
{
	struct ot_frame f;
	struct ptd_vnet_hdr h;
	uint32_t want, cnt;
	uint8_t type;
	char what[160];
	int r;

	ot_build(frame, sp, &f);
	if (lie) {
		/* Length fields are the sender's business: they are rewritten. */
		ot_put16(frame + f.l3 + (sp->v6 ? 4 : 2), ot_rand());
	}
	memcpy(orig, frame, f.len);
	type = sp->v6 ? PTD_VNET_GSO_TCPV6 : PTD_VNET_GSO_TCPV4;
	h = ot_hdr(type | (ecn ? PTD_VNET_GSO_ECN : 0), (uint16_t)gso, &f);
	snprintf(what, sizeof(what), "tcp%s vlan%u ipopt%u tcpopt%u pay%u mtu%u gso%u%s%s",
		 sp->v6 ? "6" : "4", sp->nvlan, sp->ipopt, sp->tcpopt, sp->paylen, mtu, gso,
		 ecn ? " ecn" : "", lie ? " lie" : "");

	want = ot_expect_segs(sp, &f, mtu, gso);
	cnt = ptd_gso_count(&h, frame, f.len, mtu);
	r = ptd_gso_segment(&h, frame, f.len, mtu, scratch, PTD_GSO_SCRATCH(mtu), ot_emit, &coll);
	CHECK_MEMEQ(frame, orig, f.len, "%s: input frame modified", what);
	runs++;
	if (want == 0 || want > PTD_GSO_MAX_SEGS) {
		CHECK(r == -EINVAL, "%s: got %d, want -EINVAL (%u segments)", what, r, want);
		CHECK(cnt == 0, "%s: count %u, want 0", what, cnt);
		CHECK(coll.n == 0, "%s: %u segments emitted on error", what, coll.n);
	} else {
		CHECK(r == (int)want, "%s: got %d, want %u", what, r, want);
		CHECK(cnt == want, "%s: count %u, want %u", what, cnt, want);
		CHECK(coll.n == want, "%s: %u emitted, want %u", what, coll.n, want);
		if (coll.n == want)
			ot_check_l4_segs(&coll, orig, sp, &f, mtu, gso, what);
		segs_total += coll.n;
	}
	ot_coll_reset(&coll);
}

int main(void)
{
	static const uint32_t pays[] = { 0,    1,    100,  535,	 536,  537,   1000,  1448,  1460,
					 1461, 2896, 4000, 8948, 9000, 20000, 32768, 63000, 65000 };
	static const uint32_t mtus[] = { 576, 1500, 9000, 65535, 100000 };
	static const uint32_t gsos[] = { 1, 100, 536, 1448, 1460, 8948, 9000, 65535 };
	static const uint8_t flags[] = { 0x10, 0x18, 0x19, 0xd9, 0x80 | 0x10, 0x01 };

	for (unsigned int v6 = 0; v6 < 2; v6++)
		for (unsigned int pi = 0; pi < OT_N(pays); pi++)
			for (unsigned int mi = 0; mi < OT_N(mtus); mi++)
				for (unsigned int gi = 0; gi < OT_N(gsos); gi++) {
					struct ot_spec sp = { 0 };
					uint32_t hdrs;
					bool ecn;

					sp.v6 = v6;
					sp.proto = 6;
					sp.paylen = pays[pi];
					sp.nvlan = ot_rand() % 3;
					sp.ipopt = v6 ? 0 : (ot_rand() % 3) * 8;
					sp.tcpopt = (ot_rand() % 4) * 4;
					if (ot_rand() % 8 == 0)
						sp.tcpopt = 40;
					hdrs = (v6 ? 40 : 20 + sp.ipopt) + 20 + sp.tcpopt;
					if (sp.paylen + hdrs > 65535)
						sp.paylen = 65535 - hdrs;
					sp.seq = ot_rand();
					sp.ipid = (uint16_t)ot_rand();
					sp.frag = ot_rand() & 1 ? 0x4000 : 0;
					sp.tcpflags = flags[ot_rand() % sizeof(flags)];
					ecn = ot_rand() & 1;
					run(&sp, mtus[mi], gsos[gi], ecn, ot_rand() % 4 == 0);
				}

	/* Sequence wrap, exactly 64 segments, 65 segments, MTU just above the headers. */
	{
		struct ot_spec sp = {
			.proto = 6, .paylen = 64 * 100, .seq = 0xfffffc00u, .tcpflags = 0xd9
		};

		run(&sp, 1500, 100, true, false);
		sp.paylen = 64 * 100 + 1;
		run(&sp, 1500, 100, false, false);
		sp.paylen = 64;
		run(&sp, 41, 1448, false, false); /* 1 byte per segment */
		sp.v6 = true;
		run(&sp, 61, 1448, false, false);
		run(&sp, 60, 1448, false, false); /* no room: -EINVAL */
	}
	printf("offload_tso: %u frames, %u segments\n", runs, segs_total);
	return t_done("offload_tso");
}
