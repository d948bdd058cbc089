// SPDX-License-Identifier: BSD-2-Clause
/*
 * fwd_copy - what the copy does to a packet between unlike ports:
 *  - buffer sizes: 2048 -> 256 and back, one to 64 slots, byte-exact, each
 *    delivered slot full except the last, NS_MOREFRAG on all but the last;
 *    a packet needing more than 64 slots at the destination is dropped
 *    and counted;
 *  - virtio-net headers: zero header put in front for a header port,
 *    stripped for a plain port, passed through between header ports;
 *    offload requests nobody can honour (NEEDS_CSUM with csum_start past
 *    the frame, GSO of a non-IP frame) towards a plain port are dropped as
 *    drop_offload (towards a header port: passed untouched or dropped and
 *    counted); rx_bytes counts what was delivered; runts include the
 *    header length;
 *  - 65536-byte buffers (the largest buf-size): frames up to the MTU
 *    arrive intact, longer ones arrive intact or not at all (a slot's len
 *    is 16 bits).
 */
#include "fwdh.h"

static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MAC_A[6] = { 2, 0, 0, 0, 0, 0xa };
static const uint8_t MAC_S[6] = { 2, 0, 0, 0, 0, 0x5 };

static uint8_t frame[70000], want[70000];

/* Check the slot structure of the next RX packet without consuming it. */
static void check_slots(const struct cport *c, uint32_t len, const char *what)
{
	struct netmap_ring *r = rxr(c, 0);
	uint32_t bs = r->nr_buf_size, ns = (len + bs - 1) / bs, i = r->head;

	if (rx_pending(c, 0) < ns) {
		CHECK(0, "%s: %u slots expected, %u pending", what, ns, rx_pending(c, 0));
		return;
	}
	for (uint32_t k = 0; k < ns; k++, i = nm_ring_next(r, i)) {
		const struct netmap_slot *s = &r->slot[i];
		uint32_t l = k + 1 < ns ? bs : len - bs * (ns - 1);

		CHECK_EQ(s->len, l, "%s: slot %u of %u length", what, k, ns);
		CHECK_EQ(!!(s->flags & NS_MOREFRAG), k + 1 < ns, "%s: slot %u of %u MOREFRAG", what,
			 k, ns);
	}
}

static void buf_sizes(void)
{
	static const uint32_t to_small[] = { 60, 255, 256, 257, 1514, 2048, 2049, 9000, 16384 };
	static const uint32_t to_big[] = { 60, 256, 1514, 9000, 16384 };
	struct cport a, s;
	struct ptd_stats sa, ss;

	fw_open(&a, "vale1:a@conf:mac=02:00:00:00:00:0a");
	fw_open(&s, "vale1:s@conf:buf-size=256,mac=02:00:00:00:00:05");
	for (size_t i = 0; i < sizeof(to_small) / sizeof(to_small[0]); i++) {
		uint32_t len = to_small[i];

		stats(&s, &ss);
		mk_frame(frame, len, BCAST, MAC_A, (uint32_t)i);
		tx_frame(&a, 0, frame, len);
		tx_publish(&a, 0);
		fw_forward(&a, 0);
		CHECK_EQ(DELTA(&s, ss, rx_packets), 1, "%u bytes to 256-byte buffers", len);
		CHECK_EQ(DELTA(&s, ss, rx_bytes), len, "%u bytes: rx_bytes", len);
		check_slots(&s, len, "2048->256");
		rx_expect(&s, 0, frame, len, "2048->256");
		rx_release(&s, 0);
	}
	/* 16385 bytes need 65 slots of 256: cannot be delivered. */
	stats(&a, &sa);
	stats(&s, &ss);
	mk_frame(frame, 16385, BCAST, MAC_A, 99);
	tx_frame(&a, 0, frame, 16385);
	tx_publish(&a, 0);
	fw_forward(&a, 0);
	CHECK_EQ(DELTA(&s, ss, rx_packets), 0, "65-slot packet not delivered");
	CHECK_EQ(DELTA(&a, sa, tx_packets), 1, "65-slot packet sent");
	CHECK_EQ(DROPS_DELTA(&s, ss) + DROPS_DELTA(&a, sa), 1, "65-slot packet counted as a drop");
	rx_expect_empty(&s, 0, "nothing of the 65-slot packet");

	for (size_t i = 0; i < sizeof(to_big) / sizeof(to_big[0]); i++) {
		uint32_t len = to_big[i];

		stats(&a, &sa);
		mk_frame(frame, len, BCAST, MAC_S, 200 + (uint32_t)i);
		tx_frame(&s, 0, frame, len);
		tx_publish(&s, 0);
		fw_forward(&s, 0);
		CHECK_EQ(DELTA(&a, sa, rx_packets), 1, "%u bytes from 256-byte buffers", len);
		check_slots(&a, len, "256->2048");
		rx_expect(&a, 0, frame, len, "256->2048");
		rx_release(&a, 0);
	}
	fw_close(&a);
	fw_close(&s);
}

/*
 * Build a header-port frame: 12-byte virtio-net header + Ethernet frame.
 * An offload request (FLAGS or GSO non-zero) is made impossible to honour
 * whatever the switch can do: csum_start/csum_offset point past the frame,
 * gso_size is 0 and the frame is not IP.
 */
static uint32_t hdr_frame(uint8_t *f, uint32_t eth_len, uint8_t flags, uint8_t gso,
			  const uint8_t src[6], uint32_t seed)
{
	memset(f, 0, PTNET_VNET_HDR_LEN);
	f[0] = flags;
	f[1] = gso;
	if (flags || gso) {
		f[6] = f[7] = 0xf0; /* csum_start */
		f[8] = f[9] = 0xf0; /* csum_offset */
	}
	mk_frame(f + PTNET_VNET_HDR_LEN, eth_len, BCAST, src, seed);
	return eth_len + PTNET_VNET_HDR_LEN;
}

static void vnet_hdr(void)
{
	static const uint8_t MAC_P[6] = { 2, 0, 0, 0, 0, 0x20 };
	static const uint8_t MAC_V[6] = { 2, 0, 0, 0, 0, 0x21 };
	struct cport p, v, w;
	struct ptd_stats sp, sv, sw;
	uint32_t len;

	fw_open(&p, "vale2:p@conf:mac=02:00:00:00:00:20");
	fw_open(&v, "vale2:v@conf:vnet-hdr=12,mac=02:00:00:00:00:21");
	fw_open(&w, "vale2:w@conf:vnet-hdr=12,mac=02:00:00:00:00:22");

	/* plain -> header ports: 12 zero bytes in front. */
	for (uint32_t eth_len = 100; eth_len <= 4090; eth_len += 3990) {
		stats(&v, &sv);
		mk_frame(frame, eth_len, BCAST, MAC_P, eth_len);
		memset(want, 0, PTNET_VNET_HDR_LEN);
		memcpy(want + PTNET_VNET_HDR_LEN, frame, eth_len);
		tx_frame(&p, 0, frame, eth_len);
		tx_publish(&p, 0);
		fw_forward(&p, 0);
		CHECK_EQ(DELTA(&v, sv, rx_packets), 1, "plain %u -> header port", eth_len);
		CHECK_EQ(DELTA(&v, sv, rx_bytes), eth_len + PTNET_VNET_HDR_LEN,
			 "rx_bytes with header");
		rx_expect(&v, 0, want, eth_len + PTNET_VNET_HDR_LEN, "zero header prepended (v)");
		rx_expect(&w, 0, want, eth_len + PTNET_VNET_HDR_LEN, "zero header prepended (w)");
		rx_release(&v, 0);
		rx_release(&w, 0);
	}

	/* header -> plain (stripped) and -> header (kept). */
	for (uint32_t eth_len = 100; eth_len <= 4090; eth_len += 3990) {
		stats(&p, &sp);
		len = hdr_frame(frame, eth_len, 0, 0, MAC_V, eth_len);
		tx_frame(&v, 0, frame, len);
		tx_publish(&v, 0);
		fw_forward(&v, 0);
		CHECK_EQ(DELTA(&p, sp, rx_packets), 1, "header %u -> plain", eth_len);
		CHECK_EQ(DELTA(&p, sp, rx_bytes), eth_len, "rx_bytes without header");
		rx_expect(&p, 0, frame + PTNET_VNET_HDR_LEN, eth_len, "header stripped");
		rx_expect(&w, 0, frame, len, "header passed through");
		rx_release(&p, 0);
		rx_release(&w, 0);
	}

	/*
	 * Offload requests nobody can honour: a plain port never gets them
	 * (drop_offload); a header port gets them untouched or not at all.
	 */
	{
		static const uint8_t req[][2] = { { 1, 0 }, { 0, 1 }, { 0, 4 }, { 1, 3 } };

		for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
			stats(&p, &sp);
			stats(&w, &sw);
			len = hdr_frame(frame, 200, req[i][0], req[i][1], MAC_V, 300 + (uint32_t)i);
			tx_frame(&v, 0, frame, len);
			tx_publish(&v, 0);
			fw_forward(&v, 0);
			CHECK_EQ(DELTA(&p, sp, drop_offload), 1, "flags %u gso %u: drop_offload",
				 req[i][0], req[i][1]);
			CHECK_EQ(DELTA(&p, sp, rx_packets), 0, "flags %u gso %u: not delivered",
				 req[i][0], req[i][1]);
			if (DELTA(&w, sw, rx_packets) == 0) {
				CHECK_EQ(DELTA(&w, sw, drop_offload), 1,
					 "flags %u gso %u: header port: dropped and counted",
					 req[i][0], req[i][1]);
				rx_expect_empty(&w, 0, "dropped offload request");
			} else {
				rx_expect(&w, 0, frame, len,
					  "offload request passed to a header port");
			}
			rx_release(&w, 0);
		}
		rx_expect_empty(&p, 0, "plain port got none of the offload frames");
	}

	/* A runt on a header port: header + 13 bytes. */
	{
		struct ptd_stats s0;

		stats(&v, &s0);
		memset(frame, 0, 64);
		tx_raw(&v, 0, v.txidx[0][txr(&v, 0)->head], PTNET_VNET_HDR_LEN + 13, 0);
		tx_publish(&v, 0);
		fw_forward(&v, 0);
		CHECK_EQ(DELTA(&v, s0, drop_runt), 1, "header + 13 bytes is a runt");
	}
	fw_close(&p);
	fw_close(&v);
	fw_close(&w);
}

/* Next RX packet of C: exactly DATA/LEN, or nothing at all (a counted drop). */
static void intact_or_dropped(struct cport *c, const uint8_t *data, uint32_t len,
			      const struct ptd_stats *before, const char *what)
{
	static uint8_t got[70000];
	uint32_t glen = 0;
	int n = rx_take(c, 0, got, sizeof(got), &glen);

	if (DELTA(c, *before, rx_packets) == 0) {
		CHECK(n == 0, "%s: dropped, but %d slots (%u bytes) reached the client", what, n,
		      glen);
		printf("%s: dropped\n", what);
	} else {
		CHECK(n > 0 && glen == len && !memcmp(got, data, len),
		      "%s: arrives intact (got %d slots, %u of %u bytes)", what, n, glen, len);
	}
	rx_release(c, 0);
}

static void huge_buffers(void)
{
	static const uint8_t MAC_X[6] = { 2, 0, 0, 0, 0, 0x30 };
	static const uint8_t MAC_H[6] = { 2, 0, 0, 0, 0, 0x31 };
	struct ptnet_port_opts o = { 0 };
	struct ptc_portname pn;
	struct cport x, h, h2, v;
	struct ptd_stats s0;
	unsigned int given = 0;
	char err[256];

	/* A switch may refuse 65536-byte buffers (slot lengths are 16 bits): then done. */
	if (ptc_parse_portname("vale3:h@conf:buf-size=65536", &pn, &o, &given, err, sizeof(err)) ||
	    ptc_opts_finish(&o, err, sizeof(err))) {
		printf("buf-size=65536 refused (%s): nothing to check\n", err);
		return;
	}
	fw_open(&x, "vale3:x@conf:slots=128,mac=02:00:00:00:00:30");
	fw_open(&h, "vale3:h@conf:slots=64,buf-size=65536,mac=02:00:00:00:00:31");

	/* 65535 bytes (the MTU) from 2048-byte buffers into one 65536-byte buffer. */
	stats(&h, &s0);
	mk_frame(frame, 65535, BCAST, MAC_X, 1);
	tx_frame(&x, 0, frame, 65535);
	tx_publish(&x, 0);
	fw_forward(&x, 0);
	CHECK_EQ(DELTA(&h, s0, rx_packets), 1, "65535-byte frame delivered");
	rx_expect(&h, 0, frame, 65535, "65535 bytes into a 65536-byte buffer");
	rx_release(&h, 0);

	/* And back. */
	stats(&x, &s0);
	mk_frame(frame, 65535, BCAST, MAC_H, 2);
	tx_frame(&h, 0, frame, 65535);
	tx_publish(&h, 0);
	fw_forward(&h, 0);
	CHECK_EQ(DELTA(&x, s0, rx_packets), 1, "65535-byte frame delivered back");
	rx_expect(&x, 0, frame, 65535, "65535 bytes into 2048-byte buffers");
	rx_release(&x, 0);

	/* Longer than the MTU, between two 65536-byte-buffer ports. */
	fw_open(&h2, "vale3:h2@conf:slots=64,buf-size=65536,mac=02:00:00:00:00:32");
	{
		static const uint32_t lens[] = { 65535, 100 };

		rx_drain(&x, 0);
		stats(&h2, &s0);
		mk_frame(frame, 65635, BCAST, MAC_H, 3);
		tx_frags(&h, 0, frame, lens, 2);
		tx_publish(&h, 0);
		fw_forward(&h, 0);
		intact_or_dropped(&h2, frame, 65635, &s0, "65635 bytes between 65536-byte buffers");
		rx_drain(&x, 0);
	}
	fw_close(&h2);

	/* A frame within the MTU that grows by the header a header port gets. */
	fw_open(&v, "vale3:v@conf:slots=64,buf-size=65536,vnet-hdr=12,mac=02:00:00:00:00:33");
	fw_close(&h);
	{
		stats(&v, &s0);
		mk_frame(frame + PTNET_VNET_HDR_LEN, 65530, BCAST, MAC_X, 4);
		memset(frame, 0, PTNET_VNET_HDR_LEN);
		tx_frame(&x, 0, frame + PTNET_VNET_HDR_LEN, 65530);
		tx_publish(&x, 0);
		fw_forward(&x, 0);
		intact_or_dropped(&v, frame, 65530 + PTNET_VNET_HDR_LEN, &s0,
				  "65530 bytes + 12-byte header into a 65536-byte buffer");
	}
	fw_close(&v);
	fw_close(&x);
}

int main(void)
{
	fw_setup(1);
	buf_sizes();
	vnet_hdr();
	huge_buffers();
	fw_teardown();
	return t_done("fwd_copy");
}
