// SPDX-License-Identifier: BSD-2-Clause
/*
 * fwd_bad_slots - ptd_txq_forward on TX slots a client filled with garbage:
 * buf_idx 0, 1, buf_num, ~0, len > buf_size (drop_bad_slot, also inside a
 * chain), runts shorter than an Ethernet header (drop_runt) and TX heads out
 * of range (bad_tx_head: nothing consumed, the ring keeps working).  The
 * valid packets around the bad ones must still arrive byte-exact and in
 * order, and every consumed slot is given back to the client.
 */
#include "fwdh.h"

static const uint8_t MAC_A[6] = { 2, 0, 0, 0, 0, 0xa };
static const uint8_t MAC_B[6] = { 2, 0, 0, 0, 0, 0xb };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint8_t f1[60], f2[1514], f3[100], f4[2048], f5[14], f6[3000];

int main(void)
{
	struct cport a, b;
	struct ptd_stats sa, sb;
	uint32_t bufnum, bsz;
	unsigned int consumed;

	fw_setup(1);
	fw_open(&a, "vale0:a@conf:mac=02:00:00:00:00:0a");
	fw_open(&b, "vale0:b@conf:mac=02:00:00:00:00:0b");
	bufnum = a.p->buf_num;
	bsz = a.p->buf_size;

	mk_frame(f1, sizeof(f1), BCAST, MAC_A, 1);
	mk_frame(f2, sizeof(f2), MAC_B, MAC_A, 2);
	mk_frame(f3, sizeof(f3), BCAST, MAC_A, 3);
	mk_frame(f4, sizeof(f4), BCAST, MAC_A, 4);
	mk_frame(f5, sizeof(f5), BCAST, MAC_A, 5);
	mk_frame(f6, sizeof(f6), BCAST, MAC_A, 6);

	/* One batch: good and bad slots interleaved. */
	stats(&a, &sa);
	stats(&b, &sb);
	tx_frame(&a, 0, f1, sizeof(f1));			 /* good */
	tx_raw(&a, 0, 0, 60, 0);				 /* buf_idx 0 */
	tx_frame(&a, 0, f2, sizeof(f2));			 /* good */
	tx_raw(&a, 0, 1, 60, 0);				 /* buf_idx 1 */
	tx_raw(&a, 0, bufnum, 60, 0);				 /* one past the pool */
	tx_frame(&a, 0, f3, sizeof(f3));			 /* good */
	tx_raw(&a, 0, 0xffffffffu, 60, 0);			 /* ~0 */
	tx_raw(&a, 0, a.txidx[0][txr(&a, 0)->head], bsz + 1, 0); /* len > buf_size */
	tx_frame(&a, 0, f4, sizeof(f4));			 /* good, exactly buf_size */
	tx_raw(&a, 0, a.txidx[0][txr(&a, 0)->head], 13, 0);	 /* runt */
	tx_raw(&a, 0, a.txidx[0][txr(&a, 0)->head], 0, 0);	 /* empty */
	tx_frame(&a, 0, f5, sizeof(f5));			 /* good, minimum length */
	{
		/* A chain whose middle fragment is bad: the whole packet goes. */
		uint32_t h = txr(&a, 0)->head;

		tx_raw(&a, 0, a.txidx[0][h], 100, NS_MOREFRAG);
		tx_raw(&a, 0, 0, 100, NS_MOREFRAG);
		tx_raw(&a, 0, a.txidx[0][(h + 2) % 1024], 100, 0);
		/* And one whose last fragment is too long. */
		h = txr(&a, 0)->head;
		tx_raw(&a, 0, a.txidx[0][h], 100, NS_MOREFRAG);
		tx_raw(&a, 0, a.txidx[0][(h + 1) % 1024], 60000, 0);
	}
	tx_frame(&a, 0, f6, sizeof(f6)); /* good, two slots */
	tx_publish(&a, 0);

	consumed = fw_forward(&a, 0);
	CHECK_EQ(consumed, 19, "every slot consumed");
	CHECK(tx_all_returned(&a, 0), "TX slots given back to the client");
	CHECK_EQ(DELTA(&a, sa, tx_packets), 15, "tx_packets counts good and bad packets");
	CHECK_EQ(DELTA(&a, sa, drop_bad_slot), 7, "drop_bad_slot");
	CHECK_EQ(DELTA(&a, sa, drop_runt), 2, "drop_runt");
	CHECK_EQ(DELTA(&a, sa, drop_bad_chain), 0, "no chain drops");
	CHECK_EQ(DELTA(&b, sb, rx_packets), 6, "good packets delivered");
	CHECK_EQ(DELTA(&b, sb, rx_bytes), 60 + 1514 + 100 + 2048 + 14 + 3000, "rx_bytes");
	CHECK_EQ(DELTA(&a, sa, drop_no_dest), 0, "no drop_no_dest");
	rx_expect(&b, 0, f1, sizeof(f1), "f1");
	rx_expect(&b, 0, f2, sizeof(f2), "f2");
	rx_expect(&b, 0, f3, sizeof(f3), "f3");
	rx_expect(&b, 0, f4, sizeof(f4), "f4");
	rx_expect(&b, 0, f5, sizeof(f5), "f5");
	rx_expect(&b, 0, f6, sizeof(f6), "f6");
	rx_expect_empty(&b, 0, "after the batch");
	rx_release(&b, 0);

	/* TX head out of range: counted, nothing consumed, ring state kept. */
	{
		struct netmap_ring *r = txr(&a, 0);
		uint32_t good_head = r->head;
		static const uint32_t bad_heads[] = { 1024, 1025, 4096, 0x80000000u, 0xffffffffu };

		for (size_t i = 0; i < sizeof(bad_heads) / sizeof(bad_heads[0]); i++) {
			stats(&a, &sa);
			ptnet_csb_appl_write(tx_atok(&a, 0), bad_heads[i], bad_heads[i]);
			CHECK_EQ(ptd_txq_forward(&a.p->txq[0]), 0, "bad head %#x: nothing consumed",
				 bad_heads[i]);
			CHECK_EQ(DELTA(&a, sa, bad_tx_head), 1, "bad head %#x counted",
				 bad_heads[i]);
			CHECK_EQ(DELTA(&a, sa, tx_packets), 0, "bad head %#x: no tx", bad_heads[i]);
			CHECK_EQ(a.p->txq[0].hwcur, good_head, "bad head %#x: hwcur kept",
				 bad_heads[i]);
		}
		/* The ring still works once the client behaves. */
		stats(&a, &sa);
		stats(&b, &sb);
		tx_frame(&a, 0, f2, sizeof(f2));
		tx_frame(&a, 0, f3, sizeof(f3));
		tx_publish(&a, 0);
		CHECK_EQ(fw_forward(&a, 0), 2, "valid head after bad ones");
		CHECK(tx_all_returned(&a, 0), "TX slots given back after recovery");
		CHECK_EQ(DELTA(&b, sb, rx_packets), 2, "delivered after recovery");
		CHECK_EQ(DELTA(&a, sa, bad_tx_head), 0, "no bad head counted after recovery");
		rx_expect(&b, 0, f2, sizeof(f2), "recovered f2");
		rx_expect(&b, 0, f3, sizeof(f3), "recovered f3");
		rx_release(&b, 0);
	}

	/* Many batches around the ring: wrap-around with bad slots mixed in. */
	{
		unsigned int good = 0, badn = 0;

		stats(&a, &sa);
		stats(&b, &sb);
		for (int round = 0; round < 40; round++) {
			for (int k = 0; k < 60; k++) {
				if ((round + k) % 7 == 0) {
					tx_raw(&a, 0, (uint32_t)k % 2, 60, 0);
					badn++;
				} else {
					mk_frame(f3, sizeof(f3), BCAST, MAC_A,
						 (uint32_t)(round * 100 + k));
					tx_frame(&a, 0, f3, sizeof(f3));
					good++;
				}
			}
			tx_publish(&a, 0);
			fw_forward(&a, 0);
			for (int k = 0; k < 60; k++) {
				if ((round + k) % 7 == 0)
					continue;
				mk_frame(f3, sizeof(f3), BCAST, MAC_A, (uint32_t)(round * 100 + k));
				rx_expect(&b, 0, f3, sizeof(f3), "wrap round");
			}
			rx_release(&b, 0);
		}
		CHECK(tx_all_returned(&a, 0), "TX slots given back after wrapping");
		CHECK_EQ(DELTA(&a, sa, drop_bad_slot), badn, "bad slots while wrapping");
		CHECK_EQ(DELTA(&b, sb, rx_packets), good, "good packets while wrapping");
	}

	fw_close(&a);
	fw_close(&b);
	fw_teardown();
	return t_done("fwd_bad_slots");
}
