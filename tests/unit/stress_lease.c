// SPDX-License-Identifier: BSD-2-Clause
/*
 * stress_lease - the RX lease protocol of fwd.c under concurrency: two
 * threads each play a client and its forwarder (fill TX slots, then
 * ptd_txq_forward), both unicasting into one small RX ring of a third
 * port, whose client thread consumes it through the CSB.  Leases of the
 * two forwarders overlap and complete out of order; packets are 60..3000
 * bytes into 256-byte buffers (multi-slot leases) and the ring is often
 * full.  Checks: every delivered packet is byte-exact, per-sender order is
 * preserved (gaps only where drops were counted), and
 * sent == rx_packets + drop_ring_full at the receiver, with the client's
 * own count equal to rx_packets.  Built and run under TSan too.
 * Usage: stress_lease [PACKETS_PER_SENDER]
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include "fwdh.h"

#if defined(__SANITIZE_THREAD__)
#define DEF_PKTS 60000u
#else
#define DEF_PKTS 400000u
#endif
#define NSEND 2

static struct cport snd[NSEND], rcv;
static uint8_t MAC_R[6] = { 2, 0, 0, 0, 0, 0x70 };
static uint32_t npkts;
static atomic_int senders_done, bad;
static uint64_t got[NSEND], got_bytes, padding;

static uint32_t pkt_len(uint32_t seq)
{
	return 60 + (seq * 2654435761u) % 2941; /* 60..3000 */
}

/* Frame SEQ of sender ID: pattern, with id and seq readable at bytes 14..21. */
static void build(uint8_t *f, unsigned int id, uint32_t seq, uint32_t len)
{
	uint8_t src[6] = { 2, 0, 0, 0, 1, (uint8_t)id };

	mk_frame(f, len, MAC_R, src, id * 0x01000000u + seq);
	f[14] = (uint8_t)id;
	memcpy(f + 15, &seq, 4);
}

/* Slots the receiving client has not released yet (a racy, harmless estimate). */
static uint32_t rx_backlog(void)
{
	uint32_t head = ptnet_load_acquire(&rx_atok(&rcv, 0)->head);
	uint32_t tail = ptnet_load_acquire(&rx_ktoa(&rcv, 0)->hwtail);

	return ptnet_idx_dist(head, tail, 256);
}

static void *sender(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg;
	struct cport *c = &snd[id];
	static __thread uint8_t f[4096];
	uint32_t seq = 0;

	while (seq < npkts) {
		/* A burst of 1..40 packets, then forward it. */
		uint32_t burst = 1 + (seq * 7 + id) % 40;

		/* Some back-pressure, so that many packets get through (and some do not). */
		for (int spin = 0; spin < 100 && rx_backlog() > 160; spin++)
			sched_yield();
		for (uint32_t k = 0; k < burst && seq < npkts; k++, seq++) {
			uint32_t len = pkt_len(seq);

			if (tx_space(c, 0) < 2)
				break;
			build(f, id, seq, len);
			tx_frame(c, 0, f, len);
		}
		tx_publish(c, 0);
		fw_forward(c, 0);
	}
	atomic_fetch_add(&senders_done, 1);
	return NULL;
}

static void *receiver(void *arg)
{
	static uint8_t f[1 << 16], want[4096];
	int64_t last[NSEND] = { -1, -1 };

	(void)arg;
	for (;;) {
		uint32_t len;
		int done = atomic_load(&senders_done) == NSEND;
		int n = rx_take(&rcv, 0, f, sizeof(f), &len);

		if (n < 0) {
			fprintf(stderr, "FAIL broken slot chain in the RX ring\n");
			atomic_store(&bad, 1);
			return NULL;
		}
		if (n == 0) {
			rx_release(&rcv, 0);
			if (done && rx_pending(&rcv, 0) == 0)
				break;
			sched_yield();
			continue;
		}
		if (len == 0) {
			padding++; /* padding of a partly used lease */
			continue;
		}
		{
			unsigned int id = f[14];
			uint32_t seq;

			memcpy(&seq, f + 15, 4);
			if (id >= NSEND || seq >= npkts || len != pkt_len(seq)) {
				fprintf(stderr, "FAIL bad packet: id %u seq %u len %u\n", id, seq,
					len);
				atomic_store(&bad, 1);
				return NULL;
			}
			if ((int64_t)seq <= last[id]) {
				fprintf(stderr,
					"FAIL sender %u: seq %u after %lld (reordered or "
					"duplicated)\n",
					id, seq, (long long)last[id]);
				atomic_store(&bad, 1);
				return NULL;
			}
			last[id] = seq;
			build(want, id, seq, len);
			if (memcmp(f, want, len)) {
				fprintf(stderr, "FAIL sender %u seq %u: content differs\n", id,
					seq);
				atomic_store(&bad, 1);
				return NULL;
			}
			got[id]++;
			got_bytes += len;
		}
		/* Release in small batches so that the forwarders find room. */
		if ((got[0] + got[1]) % 8 == 0)
			rx_release(&rcv, 0);
	}
	rx_release(&rcv, 0);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t ts[NSEND], tr;
	struct ptd_stats s0, s1;
	uint8_t f[128];

	npkts = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : DEF_PKTS;
	fw_setup(1);
	fw_open(&rcv, "vale0:r@conf:slots=256,buf-size=256,mac=02:00:00:00:00:70");
	fw_open(&snd[0], "vale0:s0@conf:mac=02:00:00:00:01:00");
	fw_open(&snd[1], "vale0:s1@conf:mac=02:00:00:00:01:01");
	/* The receiver announces itself, so that the senders' unicast is learned. */
	{
		static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

		mk_frame(f, 60, BCAST, MAC_R, 0);
		tx_frame(&rcv, 0, f, 60);
		tx_publish(&rcv, 0);
		fw_forward(&rcv, 0);
		rx_drain(&snd[0], 0);
		rx_drain(&snd[1], 0);
	}
	stats(&rcv, &s0);
	REQUIRE(pthread_create(&tr, NULL, receiver, NULL) == 0, "pthread_create");
	for (uintptr_t i = 0; i < NSEND; i++)
		REQUIRE(pthread_create(&ts[i], NULL, sender, (void *)i) == 0, "pthread_create");
	for (int i = 0; i < NSEND; i++)
		pthread_join(ts[i], NULL);
	pthread_join(tr, NULL);
	stats(&rcv, &s1);

	CHECK(!atomic_load(&bad), "every packet intact and in order");
	{
		uint64_t sent = 0, rx = s1.rx_packets - s0.rx_packets;
		uint64_t full = s1.drop_ring_full - s0.drop_ring_full;
		uint64_t badring = s1.drop_bad_ring - s0.drop_bad_ring;
		struct ptd_stats ss;

		for (int i = 0; i < NSEND; i++) {
			stats(&snd[i], &ss);
			sent += ss.tx_packets;
			CHECK_EQ(ss.tx_packets, npkts, "sender %d sent everything", i);
			CHECK_EQ(ss.drop_no_dest + ss.drop_bad_slot + ss.drop_runt, 0,
				 "sender %d: no source-side drops", i);
		}
		printf("stress_lease: %llu sent, %llu delivered (%llu + %llu), %llu ring full, "
		       "%llu padding slots\n",
		       (unsigned long long)sent, (unsigned long long)rx, (unsigned long long)got[0],
		       (unsigned long long)got[1], (unsigned long long)full,
		       (unsigned long long)padding);
		CHECK_EQ(badring, 0, "no bad-ring drops");
		CHECK_EQ(sent, rx + full, "sent == delivered + ring full");
		CHECK_EQ(got[0] + got[1], rx, "the client saw every delivered packet");
		CHECK_EQ(s1.rx_bytes - s0.rx_bytes, got_bytes,
			 "rx_bytes matches the client's count");
		CHECK(got[0] > 0 && got[1] > 0, "both senders got through");
	}
	fw_close(&snd[0]);
	fw_close(&snd[1]);
	fw_close(&rcv);
	fw_teardown();
	return t_done("stress_lease");
}
