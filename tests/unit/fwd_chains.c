// SPDX-License-Identifier: BSD-2-Clause
/*
 * fwd_chains - NS_MOREFRAG chains through ptd_txq_forward:
 *  - a chain of uneven fragments arrives byte-exact (re-cut to the
 *    destination's buffers), as does the longest legal chain (64 slots);
 *  - a chain cut at the published head is left alone until the client
 *    completes it (nothing consumed, nothing dropped), then delivered;
 *  - a 65-fragment chain is dropped as one packet (drop_bad_chain) and no
 *    part of it reaches anyone, while the packets around it do;
 *  - an unterminated chain that fills a whole ring (which can never be
 *    completed) is dropped (drop_bad_chain) and its slots given back.
 */
#include "fwdh.h"

static const uint8_t MAC_A[6] = { 2, 0, 0, 0, 0, 0xa };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint8_t big[70 * 2048], small[200], other[300];

int main(void)
{
	struct cport a, b, s;
	struct ptd_stats sa, sb;

	fw_setup(1);
	fw_open(&a, "vale0:a@conf:mac=02:00:00:00:00:0a");
	fw_open(&b, "vale0:b@conf:mac=02:00:00:00:00:0b");
	mk_frame(small, sizeof(small), BCAST, MAC_A, 11);
	mk_frame(other, sizeof(other), BCAST, MAC_A, 12);

	/* Uneven fragments, including an empty middle one. */
	{
		static const uint32_t lens[] = { 100, 2048, 7, 0, 1000, 1 };
		uint32_t total = 100 + 2048 + 7 + 0 + 1000 + 1;

		stats(&a, &sa);
		stats(&b, &sb);
		mk_frame(big, total, BCAST, MAC_A, 1);
		tx_frags(&a, 0, big, lens, 6);
		tx_publish(&a, 0);
		CHECK_EQ(fw_forward(&a, 0), 6, "six slots consumed");
		CHECK_EQ(DELTA(&b, sb, rx_packets), 1, "one packet");
		CHECK_EQ(DELTA(&b, sb, rx_bytes), total, "its bytes");
		rx_expect(&b, 0, big, total, "uneven chain");
		rx_release(&b, 0);
	}

	/* The longest legal chain: 64 fragments (64000 bytes, within the MTU). */
	{
		uint32_t lens[NETMAP_MAX_FRAGS], total = NETMAP_MAX_FRAGS * 1000;

		for (int i = 0; i < NETMAP_MAX_FRAGS; i++)
			lens[i] = 1000;
		stats(&a, &sa);
		stats(&b, &sb);
		mk_frame(big, total, BCAST, MAC_A, 2);
		tx_frags(&a, 0, big, lens, NETMAP_MAX_FRAGS);
		tx_publish(&a, 0);
		CHECK_EQ(fw_forward(&a, 0), NETMAP_MAX_FRAGS, "64 slots consumed");
		CHECK_EQ(DELTA(&a, sa, drop_bad_chain), 0, "64 fragments is legal");
		CHECK_EQ(DELTA(&b, sb, rx_packets), 1, "64-fragment packet delivered");
		rx_expect(&b, 0, big, total, "64-fragment chain");
		rx_release(&b, 0);
	}

	/* A chain cut at head waits for the rest. */
	{
		static const uint32_t lens[] = { 500, 500, 500, 500 };
		struct netmap_ring *r = txr(&a, 0);

		stats(&a, &sa);
		stats(&b, &sb);
		mk_frame(big, 2000, BCAST, MAC_A, 3);
		tx_frame(&a, 0, small, sizeof(small));
		tx_frags(&a, 0, big, lens, 4);
		/* Publish only the first three fragments of the chain. */
		r->head = r->cur = (r->head + r->num_slots - 1) % r->num_slots;
		tx_publish(&a, 0);
		CHECK_EQ(fw_forward(&a, 0), 1, "only the complete packet consumed");
		CHECK_EQ(DELTA(&b, sb, rx_packets), 1, "complete packet delivered");
		CHECK_EQ(DELTA(&a, sa, drop_bad_chain), 0, "partial chain is not an error");
		CHECK_EQ(DELTA(&a, sa, tx_packets), 1, "partial chain not counted yet");
		rx_expect(&b, 0, small, sizeof(small), "packet before the partial chain");
		rx_expect_empty(&b, 0, "partial chain held back");
		CHECK_EQ(ptd_txq_forward(&a.p->txq[0]), 0, "again: still waiting");
		/* Now the last fragment. */
		r->head = r->cur = (r->head + 1) % r->num_slots;
		tx_frame(&a, 0, other, sizeof(other));
		tx_publish(&a, 0);
		CHECK_EQ(fw_forward(&a, 0), 5, "completed chain and the next packet consumed");
		CHECK_EQ(DELTA(&b, sb, rx_packets), 3, "three packets in all");
		CHECK_EQ(DELTA(&a, sa, drop_bad_chain), 0, "no chain drop");
		rx_expect(&b, 0, big, 2000, "completed chain");
		rx_expect(&b, 0, other, sizeof(other), "packet after the chain");
		rx_release(&b, 0);
		CHECK(tx_all_returned(&a, 0), "TX slots given back");
	}

	/* 65 fragments: one bad packet, nothing of it delivered, neighbours fine. */
	{
		uint32_t lens[NETMAP_MAX_FRAGS + 1];
		unsigned int total = 0;

		for (int i = 0; i <= NETMAP_MAX_FRAGS; i++) {
			lens[i] = 100;
			total += 100;
		}
		stats(&a, &sa);
		stats(&b, &sb);
		mk_frame(big, total, BCAST, MAC_A, 4);
		tx_frame(&a, 0, small, sizeof(small));
		tx_frags(&a, 0, big, lens, NETMAP_MAX_FRAGS + 1);
		tx_frame(&a, 0, other, sizeof(other));
		tx_publish(&a, 0);
		CHECK_EQ(fw_forward(&a, 0), 1 + NETMAP_MAX_FRAGS + 1 + 1, "every slot consumed");
		CHECK(tx_all_returned(&a, 0), "TX slots given back");
		CHECK_EQ(DELTA(&a, sa, drop_bad_chain), 1, "65-fragment chain counted once");
		CHECK_EQ(DELTA(&a, sa, tx_packets), 3, "three packets taken from the ring");
		CHECK_EQ(DELTA(&b, sb, rx_packets), 2,
			 "only the two good packets delivered (no piece of the long chain)");
		rx_expect(&b, 0, small, sizeof(small), "packet before the long chain");
		rx_expect(&b, 0, other, sizeof(other), "packet after the long chain");
		rx_expect_empty(&b, 0, "nothing else");
		rx_drain(&b, 0);
	}

	/* A 100-fragment chain: the same, its tail must not turn into a packet. */
	{
		uint32_t lens[100];

		for (int i = 0; i < 100; i++)
			lens[i] = 100;
		stats(&a, &sa);
		stats(&b, &sb);
		mk_frame(big, 100 * 100, BCAST, MAC_A, 5);
		tx_frags(&a, 0, big, lens, 100);
		tx_frame(&a, 0, other, sizeof(other));
		tx_publish(&a, 0);
		CHECK_EQ(fw_forward(&a, 0), 101, "every slot consumed");
		CHECK_EQ(DELTA(&a, sa, drop_bad_chain), 1, "100-fragment chain counted once");
		CHECK_EQ(DELTA(&b, sb, rx_packets), 1, "only the good packet delivered");
		rx_expect(&b, 0, other, sizeof(other), "packet after the 100-fragment chain");
		rx_expect_empty(&b, 0, "nothing else");
		rx_drain(&b, 0);
	}

	/* Unterminated chain over a whole 64-slot ring: can never complete. */
	{
		struct netmap_ring *r;

		fw_open(&s, "vale0:s@conf:slots=64,mac=02:00:00:00:00:0c");
		r = txr(&s, 0);
		stats(&s, &sa);
		stats(&b, &sb);
		for (unsigned int i = 0; i < r->num_slots - 1; i++)
			tx_raw(&s, 0, s.txidx[0][r->head], 100, NS_MOREFRAG);
		tx_publish(&s, 0);
		CHECK_EQ(fw_forward(&s, 0), r->num_slots - 1, "the whole ring consumed");
		CHECK_EQ(DELTA(&s, sa, drop_bad_chain), 1, "counted as a bad chain");
		CHECK_EQ(DELTA(&b, sb, rx_packets), 0, "nothing delivered");
		CHECK(tx_all_returned(&s, 0), "TX slots given back");
		/* And the ring works afterwards. */
		tx_frame(&s, 0, other, sizeof(other));
		tx_publish(&s, 0);
		CHECK_EQ(fw_forward(&s, 0), 1, "next packet consumed");
		rx_expect(&b, 0, other, sizeof(other), "packet after the dropped ring");
		rx_release(&b, 0);
		fw_close(&s);
	}

	fw_close(&a);
	fw_close(&b);
	fw_teardown();
	return t_done("fwd_chains");
}
