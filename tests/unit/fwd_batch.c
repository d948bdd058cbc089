// SPDX-License-Identifier: BSD-2-Clause
/*
 * fwd_batch - big TX batches through one ptd_txq_forward call: a pass
 * takes at most PTD_BATCH packets and the rest comes with the next pass;
 * a batch of hundreds of multi-slot packets (2, 5 and 64 slots each) is
 * forwarded whole, byte-exact and in order.  Under ASan/UBSan this also
 * checks that the per-batch fragment scratch space is never overrun
 * (a full ring of 2-slot packets holds ~1000 fragments).
 */
#include "fwdh.h"

static const uint8_t MAC_A[6] = { 2, 0, 0, 0, 0, 0xa };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint8_t frame[65536];

/* Queue COUNT frames of LEN at a, publish once, forward, expect them all at b. */
static void batch(struct cport *a, struct cport *b, unsigned int count, uint32_t len,
		  uint32_t fsz, const char *what)
{
	struct ptd_stats sa, sb;
	unsigned int slots = 0, passes = 0, first;

	stats(a, &sa);
	stats(b, &sb);
	for (unsigned int i = 0; i < count; i++) {
		uint32_t lens[NETMAP_MAX_FRAGS], n = 0;

		mk_frame(frame, len, BCAST, MAC_A, i * 7919u + len);
		for (uint32_t off = 0; off < len; off += fsz)
			lens[n++] = len - off < fsz ? len - off : fsz;
		tx_frags(a, 0, frame, lens, n);
		slots += n;
	}
	tx_publish(a, 0);
	first = ptd_txq_forward(&a->p->txq[0]);
	passes = 1;
	{
		unsigned int n, total = first;

		while ((n = ptd_txq_forward(&a->p->txq[0])) > 0 && passes < 100) {
			total += n;
			passes++;
		}
		CHECK_EQ(total, slots, "%s: every slot consumed", what);
	}
	if (count > PTD_BATCH && len <= fsz)
		CHECK_EQ(first, PTD_BATCH, "%s: one pass takes PTD_BATCH packets", what);
	CHECK(tx_all_returned(a, 0), "%s: TX slots given back", what);
	CHECK_EQ(DELTA(a, sa, tx_packets), count, "%s: tx_packets", what);
	CHECK_EQ(DELTA(b, sb, rx_packets), count, "%s: rx_packets", what);
	CHECK_EQ(DELTA(b, sb, drop_ring_full) + DELTA(b, sb, drop_bad_ring), 0, "%s: no drops",
		 what);
	for (unsigned int i = 0; i < count; i++) {
		mk_frame(frame, len, BCAST, MAC_A, i * 7919u + len);
		rx_expect(b, 0, frame, len, what);
	}
	rx_expect_empty(b, 0, what);
	rx_release(b, 0);
}

int main(void)
{
	struct cport a, b;

	fw_setup(1);
	fw_open(&a, "vale0:a@conf:mac=02:00:00:00:00:0a");
	fw_open(&b, "vale0:b@conf:mac=02:00:00:00:00:0b");
	batch(&a, &b, 1000, 60, 2048, "1000 single-slot packets");
	batch(&a, &b, 450, 3000, 2048, "450 two-slot packets");
	batch(&a, &b, 200, 9000, 2048, "200 five-slot packets");
	batch(&a, &b, 15, 64000, 1000, "15 64-slot packets");
	fw_close(&a);
	fw_close(&b);
	fw_teardown();
	return t_done("fwd_batch");
}
