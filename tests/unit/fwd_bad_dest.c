// SPDX-License-Identifier: BSD-2-Clause
/*
 * fwd_bad_dest - destinations that misbehave or cannot take a packet:
 *  - an RX ring whose client head is out of range or outside [hwcur, hwtail]
 *    gets nothing (drop_bad_ring at that port), the other ports of a flood
 *    still get everything byte-exact, and the ring works again once the
 *    head is sane;
 *  - RX slots with an invalid buf_idx: the packet landing there is dropped
 *    (drop_bad_ring), the slot is handed over empty (len 0) and the packets
 *    before and after it arrive in their own slots; a multi-slot packet
 *    with one bad slot is dropped whole;
 *  - a full RX ring: exactly n-1 slots delivered, the rest drop_ring_full,
 *    sender tx_packets == rx_packets + drop_ring_full;
 *  - no destination at all (alone on a switch, or unicast to oneself):
 *    drop_no_dest.
 */
#include "fwdh.h"

static const uint8_t MAC_A[6] = { 2, 0, 0, 0, 0, 0xa };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint8_t fr[8][1514];

static void send_n(struct cport *a, unsigned int n, uint32_t len, uint32_t seed0)
{
	for (unsigned int i = 0; i < n; i++) {
		mk_frame(fr[i % 8], len, BCAST, MAC_A, seed0 + i);
		tx_frame(a, 0, fr[i % 8], len);
	}
	tx_publish(a, 0);
	fw_forward(a, 0);
}

static void bad_head(struct cport *a, struct cport *b, struct cport *c)
{
	struct netmap_ring *rb = rxr(b, 0);
	const uint32_t bad[] = { rb->num_slots, rb->num_slots + 5, 0xffffffffu };
	struct ptd_stats sa, sb, sc;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t tail0 = rx_ktoa(b, 0)->hwtail;

		stats(a, &sa);
		stats(b, &sb);
		stats(c, &sc);
		ptnet_csb_appl_write(rx_atok(b, 0), bad[i], bad[i]);
		send_n(a, 4, 200, 100 * (uint32_t)i);
		CHECK_EQ(DELTA(b, sb, drop_bad_ring), 4, "head %#x: drops at b", bad[i]);
		CHECK_EQ(DELTA(b, sb, rx_packets), 0, "head %#x: nothing for b", bad[i]);
		CHECK_EQ(rx_ktoa(b, 0)->hwtail, tail0, "head %#x: b's hwtail unchanged", bad[i]);
		CHECK_EQ(DELTA(c, sc, rx_packets), 4, "head %#x: c still served", bad[i]);
		CHECK_EQ(DELTA(a, sa, tx_packets), 4, "head %#x: a sent 4", bad[i]);
		for (unsigned int k = 0; k < 4; k++) {
			mk_frame(fr[0], 200, BCAST, MAC_A, 100 * (uint32_t)i + k);
			rx_expect(c, 0, fr[0], 200, "flood copy at c");
		}
		rx_release(c, 0);
	}

	/* In range but outside [hwcur, hwtail]: b's ring is empty, so only hwcur is valid. */
	{
		uint32_t hw = rx_ktoa(b, 0)->hwcur;
		uint32_t ahead = (hw + 10) % rb->num_slots;

		stats(b, &sb);
		ptnet_csb_appl_write(rx_atok(b, 0), ahead, ahead);
		send_n(a, 3, 100, 500);
		CHECK_EQ(DELTA(b, sb, drop_bad_ring), 3, "head beyond hwtail rejected");
		CHECK_EQ(DELTA(b, sb, rx_packets), 0, "nothing delivered past a bad head");
		rx_drain(c, 0);
	}

	/* Sane again: the client's own head (never moved) makes it work. */
	stats(b, &sb);
	rx_release(b, 0);
	send_n(a, 2, 300, 600);
	CHECK_EQ(DELTA(b, sb, rx_packets), 2, "b served again after fixing its head");
	CHECK_EQ(DELTA(b, sb, drop_bad_ring), 0, "no more bad-ring drops");
	for (unsigned int k = 0; k < 2; k++) {
		mk_frame(fr[0], 300, BCAST, MAC_A, 600 + k);
		rx_expect(b, 0, fr[0], 300, "b after recovery");
	}
	rx_release(b, 0);
	rx_drain(c, 0);
}

static void bad_rx_slots(struct cport *a, struct cport *b, struct cport *c)
{
	struct netmap_ring *rb = rxr(b, 0);
	uint32_t h = rx_ktoa(b, 0)->hwtail, n = rb->num_slots;
	uint32_t save1 = rb->slot[(h + 1) % n].buf_idx, save3 = rb->slot[(h + 3) % n].buf_idx;
	struct ptd_stats sb;
	uint8_t got[4096];
	uint32_t len;

	stats(b, &sb);
	rb->slot[(h + 1) % n].buf_idx = 0;
	rb->slot[(h + 3) % n].buf_idx = b->p->buf_num;
	send_n(a, 5, 400, 700);
	CHECK_EQ(DELTA(b, sb, drop_bad_ring), 2, "two packets hit bad RX slots");
	CHECK_EQ(DELTA(b, sb, rx_packets), 3, "the other three delivered");
	CHECK_EQ(rx_pending(b, 0), 5, "five slots handed over");
	for (unsigned int k = 0; k < 5; k++) {
		if (k == 1 || k == 3) {
			struct netmap_slot *s = &rb->slot[rb->head];

			CHECK(s->len == 0 && !(s->flags & NS_MOREFRAG),
			      "bad slot %u handed over empty "
			      "(len %u flags %#x)",
			      k, s->len, s->flags);
			CHECK_EQ(rx_take(b, 0, got, sizeof(got), &len), 1, "one empty slot");
			continue;
		}
		mk_frame(fr[0], 400, BCAST, MAC_A, 700 + k);
		rx_expect(b, 0, fr[0], 400, "packet around bad RX slots");
	}
	rb->slot[(h + 1) % n].buf_idx = save1;
	rb->slot[(h + 3) % n].buf_idx = save3;
	rx_release(b, 0);
	rx_drain(c, 0);

	/* A 3-slot packet (5000 bytes, 2048-byte buffers) whose second RX slot is bad. */
	{
		static uint8_t big[5000];

		h = rx_ktoa(b, 0)->hwtail;
		save1 = rb->slot[(h + 1) % n].buf_idx;
		rb->slot[(h + 1) % n].buf_idx = 1;
		stats(b, &sb);
		mk_frame(big, sizeof(big), BCAST, MAC_A, 800);
		tx_frame(a, 0, big, sizeof(big));
		mk_frame(fr[1], 100, BCAST, MAC_A, 801);
		tx_frame(a, 0, fr[1], 100);
		tx_publish(a, 0);
		fw_forward(a, 0);
		CHECK_EQ(DELTA(b, sb, drop_bad_ring), 1,
			 "multi-slot packet with a bad slot dropped");
		CHECK_EQ(DELTA(b, sb, rx_packets), 1, "the next packet delivered");
		CHECK_EQ(rx_pending(b, 0), 4, "three slots of the dropped packet and one more");
		for (unsigned int k = 0; k < 3; k++) {
			struct netmap_slot *s = &rb->slot[(h + k) % n];

			CHECK(s->len == 0 && !(s->flags & NS_MOREFRAG),
			      "slot %u of the dropped packet is handed over empty (len %u flags "
			      "%#x): "
			      "no piece of a dropped packet may reach the client",
			      k, s->len, s->flags);
		}
		rb->head = rb->cur = (h + 3) % n;
		rx_expect(b, 0, fr[1], 100, "packet after the dropped multi-slot one");
		rb->slot[(h + 1) % n].buf_idx = save1;
		rx_release(b, 0);
		rx_drain(c, 0);
	}
}

static void ring_full(struct cport *a, struct cport *b, struct cport *c)
{
	struct ptd_stats sa, sb, sc;
	uint32_t cap = rxr(b, 0)->num_slots - 1, total = 0;

	rx_drain(b, 0);
	rx_drain(c, 0);
	stats(a, &sa);
	stats(b, &sb);
	stats(c, &sc);
	/* b never reads; c reads after every burst. */
	for (int burst = 0; burst < 6; burst++) {
		send_n(a, 300, 60, 10000 + (uint32_t)total);
		total += 300;
		rx_drain(c, 0);
	}
	CHECK_EQ(DELTA(a, sa, tx_packets), total, "all sent");
	CHECK_EQ(DELTA(b, sb, rx_packets), cap, "full ring takes exactly n-1 packets");
	CHECK_EQ(DELTA(b, sb, drop_ring_full), total - cap, "the rest dropped as ring full");
	CHECK_EQ(DELTA(c, sc, rx_packets), total, "the reading port got everything");
	CHECK_EQ(DELTA(c, sc, drop_ring_full), 0, "no drops at the reading port");
	CHECK_EQ(rx_pending(b, 0), cap, "b sees n-1 packets");
	/* The first n-1, in order. */
	for (uint32_t k = 0; k < cap; k++) {
		mk_frame(fr[0], 60, BCAST, MAC_A, 10000 + k);
		rx_expect(b, 0, fr[0], 60, "full ring content");
	}
	rx_release(b, 0);
	/* Space again: delivered again. */
	stats(b, &sb);
	send_n(a, 5, 60, 20000);
	CHECK_EQ(DELTA(b, sb, rx_packets), 5, "delivered once the ring has room");
	rx_drain(b, 0);
	rx_drain(c, 0);
}

static void no_dest(void)
{
	struct cport x, y;
	struct ptd_stats sx;
	static const uint8_t MAC_X[6] = { 2, 0, 0, 0, 0, 0x10 };

	fw_open(&x, "vale1:x@conf:mac=02:00:00:00:00:10");
	stats(&x, &sx);
	mk_frame(fr[0], 100, BCAST, MAC_X, 1);
	tx_frame(&x, 0, fr[0], 100);
	tx_publish(&x, 0);
	fw_forward(&x, 0);
	CHECK_EQ(DELTA(&x, sx, drop_no_dest), 1, "broadcast alone on a switch: no destination");
	CHECK_EQ(DELTA(&x, sx, tx_packets), 1, "still counted as sent");

	fw_open(&y, "vale1:y@conf:mac=02:00:00:00:00:11");
	stats(&x, &sx);
	/* x's MAC is learned from the broadcast above: unicast to itself. */
	mk_frame(fr[0], 100, MAC_X, MAC_X, 2);
	tx_frame(&x, 0, fr[0], 100);
	tx_publish(&x, 0);
	fw_forward(&x, 0);
	CHECK_EQ(DELTA(&x, sx, drop_no_dest), 1, "unicast to oneself: no destination");
	rx_expect_empty(&y, 0, "y gets no copy of x's frame to itself");
	fw_close(&y);
	fw_close(&x);
}

int main(void)
{
	struct cport a, b, c;

	fw_setup(1);
	fw_open(&a, "vale0:a@conf:mac=02:00:00:00:00:0a");
	fw_open(&b, "vale0:b@conf:mac=02:00:00:00:00:0b");
	fw_open(&c, "vale0:c@conf:mac=02:00:00:00:00:0c");
	bad_head(&a, &b, &c);
	bad_rx_slots(&a, &b, &c);
	ring_full(&a, &b, &c);
	no_dest();
	fw_close(&a);
	fw_close(&b);
	fw_close(&c);
	fw_teardown();
	return t_done("fwd_bad_dest");
}
