// SPDX-License-Identifier: BSD-2-Clause
/*
 * fwd_plain - the plain case of delivery (fwd.c, deliver_plain: no vnet
 * header on either side, every packet of the batch one slot) gives what
 * the general loop gives:
 *  - every length from the 14-byte minimum to 200 (below, inside and past
 *    the 32..64-byte window of the inline copy), in one batch, unicast and
 *    flooded: each frame byte-exact, in order, and the destination buffer
 *    untouched past the frame's length (never stale bytes of earlier
 *    frames);
 *  - a batch with one chain in it goes the general way, with the same
 *    result;
 *  - more packets than the RX ring holds: n-1 delivered, the rest counted
 *    as drop_ring_full; an RX slot naming an invalid buffer: that packet
 *    counted as drop_bad_ring, handed over empty, the others delivered.
 */
#include "fwdh.h"

static const uint8_t MAC_A[6] = { 2, 0, 0, 0, 0, 0xa };
static const uint8_t MAC_B[6] = { 2, 0, 0, 0, 0, 0xb };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

#define MINLEN	14
#define MAXLEN	200
#define NLEN	(MAXLEN - MINLEN + 1)
#define FILL	0xa5

static uint8_t fr[NLEN][MAXLEN];
static uint8_t big[3000];

/* Fill every buffer of C's RX ring 0 with FILL. */
static void paint_rx(const struct cport *c)
{
	struct netmap_ring *r = rxr(c, 0);

	for (uint32_t s = 0; s < r->num_slots; s++)
		memset(NETMAP_BUF(r, r->slot[s].buf_idx), FILL, r->nr_buf_size);
}

/*
 * The next packet of C is LEN bytes of DATA, and its slot's buffer holds
 * FILL for 64 bytes past LEN.
 */
static void expect_exact(const struct cport *c, const uint8_t *data, uint32_t len,
			 const char *what)
{
	struct netmap_ring *r = rxr(c, 0);
	const uint8_t *buf;
	uint32_t k = 0;

	REQUIRE(rx_pending(c, 0) > 0, "%s: a packet at %s", what, c->p->name);
	buf = (const uint8_t *)NETMAP_BUF(r, r->slot[r->head].buf_idx);
	while (k < 64 && len + k < r->nr_buf_size && buf[len + k] == FILL)
		k++;
	CHECK(k == 64 || len + k == r->nr_buf_size,
	      "%s: %s's buffer changed past the frame (len %u, byte %u)", what, c->p->name, len,
	      len + k);
	rx_expect(c, 0, data, len, what);
}

/* C got the batch of lengths() (and the chain in its middle), nothing more. */
static void expect_batch(const struct cport *c, bool chain, const char *what)
{
	for (unsigned int i = 0; i < NLEN; i++) {
		expect_exact(c, fr[i], MINLEN + i, what);
		if (chain && i == NLEN / 2)
			rx_expect(c, 0, big, sizeof(big), what);
	}
	rx_expect_empty(c, 0, what);
	rx_release(c, 0);
}

/* One batch of every length from a to DST; checked at b (and c, if flooded). */
static void lengths(struct cport *a, struct cport *b, struct cport *c, const uint8_t dst[6],
		    bool chain, const char *what)
{
	struct ptd_stats sa, sb;
	unsigned int slots = 0;

	paint_rx(b);
	paint_rx(c);
	stats(a, &sa);
	stats(b, &sb);
	for (unsigned int i = 0; i < NLEN; i++) {
		mk_frame(fr[i], MINLEN + i, dst, MAC_A, 7000 + i);
		slots += tx_frame(a, 0, fr[i], MINLEN + i);
		if (chain && i == NLEN / 2)
			slots += tx_frame(a, 0, big, sizeof(big));
	}
	tx_publish(a, 0);
	CHECK_EQ(fw_forward(a, 0), slots, "%s: the whole batch in one pass", what);
	CHECK_EQ(DROPS_DELTA(a, sa), 0, "%s: no drops at a", what);
	CHECK_EQ(DROPS_DELTA(b, sb), 0, "%s: no drops at b", what);
	CHECK_EQ(DELTA(b, sb, rx_packets), NLEN + chain, "%s: rx_packets at b", what);
	expect_batch(b, chain, what);
	if (dst == BCAST)
		expect_batch(c, chain, what);
	rx_expect_empty(c, 0, what);
	rx_release(c, 0);
}

int main(void)
{
	struct cport a, b, c;
	struct ptd_stats sa, sb;
	struct netmap_ring *rb;
	uint32_t n, held;

	fw_setup(1);
	fw_open(&a, "vale0:a@conf:mac=02:00:00:00:00:0a");
	fw_open(&b, "vale0:b@conf:mac=02:00:00:00:00:0b,slots=256");
	fw_open(&c, "vale0:c@conf:mac=02:00:00:00:00:0c,slots=512");
	fw_send_one(&b, BCAST, MAC_B);
	fw_send_one(&a, BCAST, MAC_A);
	rx_drain(&a, 0);
	rx_drain(&b, 0);
	rx_drain(&c, 0);
	mk_frame(big, sizeof(big), MAC_B, MAC_A, 99);

	lengths(&a, &b, &c, MAC_B, false, "unicast, plain");
	lengths(&a, &b, &c, BCAST, false, "flood, plain");
	lengths(&a, &b, &c, MAC_B, true, "unicast, with a chain");
	memcpy(big, BCAST, 6);
	lengths(&a, &b, &c, BCAST, true, "flood, with a chain");

	/* A full ring: b takes n-1 of 300 60-byte frames. */
	rb = rxr(&b, 0);
	n = rb->num_slots;
	stats(&a, &sa);
	stats(&b, &sb);
	for (unsigned int i = 0; i < 300; i++) {
		mk_frame(fr[i % NLEN], 60, MAC_B, MAC_A, 9000 + i);
		tx_frame(&a, 0, fr[i % NLEN], 60);
	}
	tx_publish(&a, 0);
	fw_forward(&a, 0);
	CHECK_EQ(DELTA(&b, sb, rx_packets), n - 1, "a full ring takes n-1");
	CHECK_EQ(DELTA(&b, sb, drop_ring_full), 300 - (n - 1), "the rest dropped as ring full");
	CHECK_EQ(DELTA(&a, sa, tx_packets), 300, "a sent them all");
	rx_drain(&b, 0);

	/* One RX slot of b names an invalid buffer: that packet alone is lost. */
	stats(&b, &sb);
	held = rb->slot[(rb->head + 2) % n].buf_idx;
	rb->slot[(rb->head + 2) % n].buf_idx = 1;
	for (unsigned int i = 0; i < 5; i++) {
		mk_frame(fr[i], 64, MAC_B, MAC_A, 9500 + i);
		tx_frame(&a, 0, fr[i], 64);
	}
	tx_publish(&a, 0);
	fw_forward(&a, 0);
	CHECK_EQ(DELTA(&b, sb, drop_bad_ring), 1, "one bad RX slot, one drop");
	CHECK_EQ(DELTA(&b, sb, rx_packets), 4, "the other four delivered");
	for (unsigned int i = 0; i < 5; i++) {
		uint8_t got[128];
		uint32_t len = 0;

		CHECK_EQ(rx_take(&b, 0, got, sizeof(got), &len), 1, "slot %u handed over", i);
		if (i == 2) {
			CHECK_EQ(len, 0, "the bad slot comes back empty");
		} else {
			CHECK(len == 64 && !memcmp(got, fr[i], 64), "frame %u intact", i);
		}
	}
	rb->slot[(rb->head + n - 3) % n].buf_idx = held;
	rx_release(&b, 0);

	fw_close(&a);
	fw_close(&b);
	fw_close(&c);
	fw_teardown();
	return t_done("fwd_plain");
}
