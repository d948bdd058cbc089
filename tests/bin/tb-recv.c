// SPDX-License-Identifier: BSD-2-Clause
/*
 * tb-recv - receive and verify the test frames of tb-send.
 *
 *   tb-recv -p PORT [-i ID] [-e ID:TOTAL]... [-l ID]... [--sizes SPEC]
 *           [--check-ring] [--ack] [--announce] [--stall FILE] [--exact]
 *           [--hold] [-t IDLE_MS]
 *
 * Every data frame must be intact (length and payload), come from a sender
 * named with -e (exactly TOTAL frames over all its rings, each stream in
 * order without gaps) or -l (lossy: in order, gaps allowed, any number);
 * with --sizes its length must be the one tb-send used for its sequence
 * number; with --check-ring it must arrive on RX ring (TX ring % RX rings).
 * --ack acknowledges progress to windowed senders; --announce broadcasts
 * one frame first so that the switch learns this port; --stall waits for
 * FILE to exist before reading anything (a full ring); --exact fails if
 * more frames are queued once the expected ones are in.  Without -e it runs
 * until SIGTERM.  Prints READY, then "RECV ok frames=N ..." and exits 0, or
 * explains and exits 1; --hold stays attached until SIGTERM.
 */
#include <getopt.h>
#include "tb.h"

struct stream {
	uint64_t next, count, acked;
	uint8_t mac[6];
	unsigned int rxring;
	int seen;
};

static struct ptnet_port *port;
static const struct ptnet_port_info *info;
static unsigned int myid = 100;
static int64_t expect[TB_MAX_IDS];
static uint8_t lossy[TB_MAX_IDS];
static struct stream st[TB_MAX_IDS][PTNET_MAX_RINGS];
static uint64_t frames, bytes, padding, hellos, acks_seen, others;
static uint64_t per_ring[PTNET_MAX_RINGS];
static struct tb_sizes sizes;
static int use_sizes, check_ring, do_ack;
static uint8_t frame[TB_MAX_FRAME + 1];

static void usage(void)
{
	fprintf(stderr, "usage: tb-recv -p PORT [-i ID] [-e ID:TOTAL]... [-l ID]... [--sizes SPEC] "
			"[--check-ring] [--ack] [--announce] [--stall FILE] [--exact] [--hold] "
			"[-t IDLE_MS]\n");
	exit(2);
}

static uint64_t from(unsigned int id)
{
	uint64_t n = 0;

	for (unsigned int r = 0; r < PTNET_MAX_RINGS; r++)
		n += st[id][r].count;
	return n;
}

static void summary(FILE *f)
{
	fprintf(f, "frames=%llu bytes=%llu padding=%llu hellos=%llu acks=%llu others=%llu",
		(unsigned long long)frames, (unsigned long long)bytes, (unsigned long long)padding,
		(unsigned long long)hellos, (unsigned long long)acks_seen,
		(unsigned long long)others);
	for (unsigned int id = 0; id < TB_MAX_IDS; id++)
		if (expect[id] >= 0 || lossy[id])
			fprintf(f, " from%u=%llu", id, (unsigned long long)from(id));
	for (unsigned int r = 0; info && r < info->rx_rings; r++)
		fprintf(f, " ring%u=%llu", r, (unsigned long long)per_ring[r]);
	fputc('\n', f);
	fflush(f);
}

__attribute__((noreturn)) static void fail(const char *what, unsigned int id, unsigned int ring,
					   uint64_t seq, uint32_t len)
{
	fprintf(stderr, "tb-recv: FAIL %s (sender %u ring %u seq %llu len %u); so far: ", what, id,
		ring, (unsigned long long)seq, len);
	summary(stderr);
	exit(1);
}

/* Is every expected sender complete?  Fails on too many frames. */
static int complete(void)
{
	int any = 0, done = 1;

	for (unsigned int id = 0; id < TB_MAX_IDS; id++) {
		if (expect[id] < 0)
			continue;
		any = 1;
		if (from(id) > (uint64_t)expect[id])
			fail("more frames than expected", id, 0, from(id), 0);
		if (from(id) < (uint64_t)expect[id])
			done = 0;
	}
	return any && done;
}

static void data_frame(unsigned int rxring, uint32_t len)
{
	unsigned int id = tb_get16(frame + 18), ring = tb_get16(frame + 20);
	uint64_t seq = tb_get64(frame + 26);
	uint32_t bad_at = 0;
	const char *why = tb_verify(frame, len, &bad_at);
	struct stream *s;

	if (why) {
		char what[128];

		snprintf(what, sizeof(what), "corrupt frame: %s at byte %u", why, bad_at);
		fail(what, id, ring, seq, len);
	}
	if (id >= TB_MAX_IDS || ring >= PTNET_MAX_RINGS || (expect[id] < 0 && !lossy[id]))
		fail("frame from an unexpected sender", id, ring, seq, len);
	if (use_sizes && len != tb_size(&sizes, seq))
		fail("length is not the one sent for this sequence number", id, ring, seq, len);
	if (check_ring && rxring != ring % info->rx_rings)
		fail("frame arrived on the wrong RX ring", id, ring, seq, rxring);
	s = &st[id][ring];
	if (seq < s->next)
		fail("frame reordered or duplicated", id, ring, seq, len);
	if (seq > s->next && !lossy[id])
		fail("frame missing (gap in the sequence)", id, ring, s->next, len);
	s->next = seq + 1;
	s->count++;
	s->seen = 1;
	memcpy(s->mac, frame + 6, 6);
	frames++;
	bytes += len;
	per_ring[rxring]++;
}

/* Drain every RX ring; returns the packets taken. */
static unsigned int poll_rx(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < info->rx_rings; i++) {
		struct netmap_ring *r = ptnet_port_rxring(port, i);
		uint32_t len;
		int got = 0, ret;

		while ((ret = tb_rx_take(r, frame, sizeof(frame), &len)) > 0) {
			got = 1;
			n++;
			if (len == 0) {
				padding++;
				continue;
			}
			if (len < 14) {
				fail("runt delivered", 0, i, 0, len);
			}
			switch (tb_ethertype(frame)) {
			case TB_ETH_DATA: data_frame(i, len); break;
			case TB_ETH_HELLO: hellos++; break;
			case TB_ETH_ACK: acks_seen++; break;
			default: others++;
			}
		}
		if (ret < 0)
			fail("malformed slot chain", 0, i, 0, 0);
		if (got && ptnet_rxsync(port, i) < 0) {
			tb_log("rxsync: %s", ptnet_errmsg());
			exit(1);
		}
	}
	return n;
}

static void send_small(uint16_t type, uint32_t magic, const uint8_t dst[6], unsigned int sid,
		       unsigned int ring, uint64_t cnt)
{
	struct netmap_ring *r = ptnet_port_txring(port, 0);
	uint8_t f[60];

	if (nm_ring_space(r) < 1 && (ptnet_txsync(port, 0) < 0 || nm_ring_space(r) < 1))
		return; /* a later ack will carry the count */
	memset(f, 0, sizeof(f));
	memcpy(f, dst, 6);
	memcpy(f + 6, info->mac, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	tb_put32(f + 14, magic);
	tb_put16(f + 18, (uint16_t)myid);
	tb_put16(f + 20, (uint16_t)sid);
	tb_put16(f + 22, (uint16_t)ring);
	tb_put64(f + 24, cnt);
	tb_tx_put(r, f, sizeof(f));
}

/* Acknowledge streams that progressed (or all of them, when FORCE). */
static void send_acks(int force)
{
	int any = 0;

	for (unsigned int id = 0; id < TB_MAX_IDS; id++)
		for (unsigned int ring = 0; ring < PTNET_MAX_RINGS; ring++) {
			struct stream *s = &st[id][ring];

			if (!s->seen || (!force && s->acked == s->next))
				continue;
			send_small(TB_ETH_ACK, TB_MAGIC_ACK, s->mac, id, ring, s->next);
			s->acked = s->next;
			any = 1;
		}
	if (any && ptnet_txsync(port, 0) < 0) {
		tb_log("txsync: %s", ptnet_errmsg());
		exit(1);
	}
}

/* Wait until ptnetd took everything from TX ring 0 (acks, hello). */
static void tx_flush(uint64_t max_ms)
{
	struct netmap_ring *r = ptnet_port_txring(port, 0);
	uint64_t end = tb_now_ms() + max_ms;

	for (;;) {
		if (ptnet_txsync(port, 0) < 0) {
			tb_log("txsync: %s", ptnet_errmsg());
			exit(1);
		}
		if (nm_ring_space(r) == r->num_slots - 1)
			return;
		if (tb_now_ms() > end) {
			tb_log("ptnetd did not take our TX slots within %llu ms",
			       (unsigned long long)max_ms);
			exit(1);
		}
		ptnet_port_wait(port, PTNET_WAIT_TX, 10);
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "sizes", required_argument, NULL, 1 }, { "check-ring", no_argument, NULL, 2 },
		{ "ack", no_argument, NULL, 3 },	 { "announce", no_argument, NULL, 4 },
		{ "stall", required_argument, NULL, 5 }, { "exact", no_argument, NULL, 6 },
		{ "hold", no_argument, NULL, 7 },	 { NULL, 0, NULL, 0 },
	};
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const char *name = NULL, *stall = NULL;
	uint64_t idle_ms = 20000, last_new, last_ack = 0;
	int c, announce = 0, exact = 0, hold = 0, have_expect = 0;

	tb_prog = "tb-recv";
	for (unsigned int i = 0; i < TB_MAX_IDS; i++)
		expect[i] = -1;
	while ((c = getopt_long(argc, argv, "p:i:e:l:t:", lo, NULL)) != -1) {
		unsigned int id;
		unsigned long long n;

		switch (c) {
		case 'p': name = optarg; break;
		case 'i': myid = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'e':
			if (sscanf(optarg, "%u:%llu", &id, &n) != 2 || id >= TB_MAX_IDS)
				usage();
			expect[id] = (int64_t)n;
			have_expect = 1;
			break;
		case 'l':
			id = (unsigned int)strtoul(optarg, NULL, 0);
			if (id >= TB_MAX_IDS)
				usage();
			lossy[id] = 1;
			break;
		case 't': idle_ms = strtoull(optarg, NULL, 0); break;
		case 1:
			if (tb_parse_sizes(optarg, &sizes))
				usage();
			use_sizes = 1;
			break;
		case 2: check_ring = 1; break;
		case 3: do_ack = 1; break;
		case 4: announce = 1; break;
		case 5: stall = optarg; break;
		case 6: exact = 1; break;
		case 7: hold = 1; break;
		default: usage();
		}
	}
	if (!name || optind != argc)
		usage();
	tb_signals();
	if (ptnet_port_open(name, NULL, &port) < 0)
		tb_die("cannot open %s: %s", name, ptnet_errmsg());
	info = ptnet_port_info(port);
	if (announce) {
		send_small(TB_ETH_HELLO, TB_MAGIC_HELLO, bcast, 0, 0, 0);
		if (ptnet_txsync(port, 0) < 0)
			tb_die("txsync: %s", ptnet_errmsg());
		tx_flush(10000);
	}
	{
		char mac[18];

		ptc_format_mac(info->mac, mac);
		tb_say("READY mac=%s rx_rings=%u rx_slots=%u buf_size=%u", mac, info->rx_rings,
		       info->rx_slots, info->buf_size);
	}
	if (stall) {
		uint64_t end = tb_now_ms() + 120000;

		while (!tb_file_exists(stall)) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			if (tb_stop || tb_now_ms() > end)
				tb_die("--stall: %s did not appear", stall);
			nanosleep(&ts, NULL);
		}
		if (ptnet_rxsync(port, PTNET_ALL_RINGS) < 0)
			tb_die("rxsync: %s", ptnet_errmsg());
	}

	last_new = tb_now_ms();
	while (!(have_expect && complete())) {
		unsigned int n = poll_rx();
		uint64_t now = tb_now_ms();

		if (do_ack && n)
			send_acks(0);
		if (n) {
			last_new = now;
			continue;
		}
		if (tb_stop) {
			if (have_expect)
				fail("interrupted before every frame came", 0, 0, 0, 0);
			break;
		}
		if (have_expect && now - last_new > idle_ms) {
			for (unsigned int id = 0; id < TB_MAX_IDS; id++)
				if (expect[id] >= 0 && from(id) < (uint64_t)expect[id])
					fprintf(stderr, "tb-recv: sender %u: %llu of %lld frames\n",
						id, (unsigned long long)from(id),
						(long long)expect[id]);
			fail("nothing new for the idle limit", 0, 0, 0, 0);
		}
		/* Re-send acks now and then: an ack may have met a full ring. */
		if (do_ack && now - last_ack > 20) {
			send_acks(1);
			last_ack = now;
		}
		{
			int ret = ptnet_port_wait(port, PTNET_WAIT_RX, 20);

			if (ret < 0 && ret != -EINTR)
				tb_die("wait: %s", ptnet_errmsg());
		}
	}
	if (do_ack) {
		send_acks(1);
		tx_flush(10000);
	}
	if (exact) {
		if (ptnet_rxsync(port, PTNET_ALL_RINGS) < 0)
			tb_die("rxsync: %s", ptnet_errmsg());
		for (unsigned int i = 0; i < info->rx_rings; i++) {
			struct netmap_ring *r = ptnet_port_rxring(port, i);

			if (!nm_ring_empty(r))
				fail("--exact: more frames queued after the expected ones", 0, i,
				     nm_ring_space(r), 0);
		}
	}
	printf("RECV ok ");
	summary(stdout);
	if (hold && tb_wait_signal(600000) < 0)
		tb_die("--hold: no signal within 600 s");
	ptnet_port_close(port);
	return 0;
}
