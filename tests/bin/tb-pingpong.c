// SPDX-License-Identifier: BSD-2-Clause
/*
 * tb-pingpong - end-to-end notification test: every wait has a 10 s limit
 * and a wait that runs out is a lost wakeup (the peer, ptnetd and the
 * rings all have work for us by then), so the program fails.
 *
 *   tb-pingpong ping -p PORT -d PEER_MAC [-n ROUNDS] [-b BURST] [-r RINGS] [-s SIZE] [-H]
 *   tb-pingpong pong -p PORT [-n ROUNDS] [-b BURST] [-r RINGS] [-H]
 *
 * One thread per ring pair (ptnet_ring_wait; ptnet_port_wait with one
 * ring).  ping sends BURST frames on its TX ring, then waits for their
 * BURST echoes on the RX ring of the same index, ROUNDS times; pong echoes
 * every frame back on the ring it came from.  Both poll only 1 us before
 * sleeping, so nearly every step needs a kick or an interrupt; a BURST
 * larger than the TX ring also needs "TX space" interrupts.  Echoes are
 * verified (content, ring, order).  Prints READY (with the MAC), then
 * "DONE frames=N" once ptnetd took all it sent; exit 0, or 1 with the
 * reason.  -H: stay attached after DONE until SIGTERM (to read counters).
 */
#include <getopt.h>
#include <pthread.h>
#include "tb.h"

#define WAIT_LIMIT_MS 10000

static struct ptnet_port *port;
static unsigned int nrings = 1, burst = 1, size = 60;
static uint64_t rounds = 1000;
static int ping;
static uint8_t peer[6], mymac[6];
static uint64_t waits[PTNET_MAX_RINGS];

/* Wait for WHAT on ring R; a wait that runs out is a lost wakeup. */
static void wait_strict(unsigned int what, unsigned int r, uint64_t progress)
{
	int ret;

	waits[r]++;
	if (nrings > 1)
		ret = ptnet_ring_wait(port, what, r, WAIT_LIMIT_MS);
	else
		ret = ptnet_port_wait(port, what, WAIT_LIMIT_MS);
	if (ret == 0)
		tb_die("%s ring %u: no notification within %d ms while waiting for %s "
		       "(after %llu frames): lost wakeup",
		       ping ? "ping" : "pong", r, WAIT_LIMIT_MS,
		       what == PTNET_WAIT_TX ? "TX space" : "a frame",
		       (unsigned long long)progress);
	if (ret < 0 && ret != -EINTR)
		tb_die("wait on ring %u: %s", r, ptnet_errmsg());
}

static void txsync(unsigned int r)
{
	if (ptnet_txsync(port, r) < 0)
		tb_die("txsync: %s", ptnet_errmsg());
}

static void rxsync(unsigned int r)
{
	if (ptnet_rxsync(port, r) < 0)
		tb_die("rxsync: %s", ptnet_errmsg());
}

/* Put one frame on TX ring R, waiting for room. */
static void put(unsigned int r, const uint8_t *f, uint32_t len, uint64_t progress)
{
	struct netmap_ring *tx = ptnet_port_txring(port, r);

	while (nm_ring_space(tx) < tb_slots_for(tx, len)) {
		txsync(r);
		if (nm_ring_space(tx) >= tb_slots_for(tx, len))
			break;
		wait_strict(PTNET_WAIT_TX, r, progress);
	}
	tb_tx_put(tx, f, len);
}

/* Next frame from RX ring R into F, waiting for one. */
static uint32_t get(unsigned int r, uint8_t *f, uint64_t progress)
{
	struct netmap_ring *rx = ptnet_port_rxring(port, r);
	uint32_t len;

	for (;;) {
		int ret = tb_rx_take(rx, f, TB_MAX_FRAME + 1, &len);

		if (ret < 0)
			tb_die("ring %u: malformed RX chain", r);
		if (ret > 0 && len > 0)
			return len;
		if (ret > 0)
			continue; /* lease padding */
		rxsync(r);
		if (!nm_ring_empty(rx))
			continue;
		wait_strict(PTNET_WAIT_RX, r, progress);
	}
}

static void *run_ping(void *arg)
{
	unsigned int r = (unsigned int)(uintptr_t)arg;
	uint8_t *f = malloc(TB_MAX_FRAME + 1), *e = malloc(TB_MAX_FRAME + 1);
	uint64_t seq = 0;

	if (!f || !e)
		tb_die("out of memory");
	for (uint64_t k = 0; k < rounds; k++) {
		for (unsigned int b = 0; b < burst; b++) {
			tb_build(f, size, peer, mymac, 1, r, seq + b);
			put(r, f, size, seq + b);
		}
		txsync(r);
		for (unsigned int b = 0; b < burst; b++) {
			uint32_t len = get(r, e, seq + b), bad_at = 0;
			const char *why = tb_verify(e, len, &bad_at);

			if (why)
				tb_die("ring %u: echo %llu corrupt: %s (byte %u)", r,
				       (unsigned long long)(seq + b), why, bad_at);
			if (tb_get16(e + 20) != r || tb_get64(e + 26) != seq + b)
				tb_die("ring %u: echo of ring %u seq %llu, want seq %llu", r,
				       tb_get16(e + 20), (unsigned long long)tb_get64(e + 26),
				       (unsigned long long)(seq + b));
		}
		rxsync(r);
		seq += burst;
	}
	free(f);
	free(e);
	return NULL;
}

static void *run_pong(void *arg)
{
	unsigned int r = (unsigned int)(uintptr_t)arg;
	uint8_t *f = malloc(TB_MAX_FRAME + 1);
	uint64_t total = rounds * burst;

	if (!f)
		tb_die("out of memory");
	for (uint64_t k = 0; k < total; k++) {
		uint32_t len = get(r, f, k);
		uint8_t tmp[6];

		memcpy(tmp, f, 6);
		memcpy(f, f + 6, 6);
		memcpy(f + 6, tmp, 6);
		put(r, f, len, k);
		/* Echo at once when the ring has nothing more for us. */
		if (nm_ring_empty(ptnet_port_rxring(port, r)))
			txsync(r);
	}
	txsync(r);
	rxsync(r);
	free(f);
	return NULL;
}

/*
 * Wait until ptnetd took everything from TX ring R.  (A TX wait ends as
 * soon as there is some room, so this one polls, gently.)
 */
static void tx_drained(unsigned int r)
{
	struct netmap_ring *tx = ptnet_port_txring(port, r);
	uint64_t end = tb_now_ms() + WAIT_LIMIT_MS;

	for (;;) {
		struct timespec ts = { 0, 50000 };

		txsync(r);
		if (nm_ring_space(tx) == tx->num_slots - 1)
			return;
		if (tb_now_ms() > end)
			tb_die("ring %u: ptnetd did not take our frames within %d ms", r,
			       WAIT_LIMIT_MS);
		nanosleep(&ts, NULL);
	}
}

static void tx_flush(void)
{
	for (unsigned int r = 0; r < nrings; r++)
		tx_drained(r);
}

int main(int argc, char **argv)
{
	struct ptnet_port_opts o = { .spin_us = 1 };
	pthread_t th[PTNET_MAX_RINGS];
	const char *name = NULL;
	int c, have_peer = 0, hold = 0;

	tb_prog = "tb-pingpong";
	if (argc < 2 || (strcmp(argv[1], "ping") && strcmp(argv[1], "pong"))) {
		fprintf(stderr, "usage: tb-pingpong ping|pong -p PORT [-d PEER_MAC] [-n ROUNDS] "
				"[-b BURST] [-r RINGS] [-s SIZE]\n");
		return 2;
	}
	ping = !strcmp(argv[1], "ping");
	optind = 2;
	while ((c = getopt(argc, argv, "p:d:n:b:r:s:H")) != -1) {
		switch (c) {
		case 'p': name = optarg; break;
		case 'd':
			if (ptc_parse_mac(optarg, peer))
				tb_die("bad MAC '%s'", optarg);
			have_peer = 1;
			break;
		case 'n': rounds = strtoull(optarg, NULL, 0); break;
		case 'b': burst = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'r': nrings = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 's': size = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'H': hold = 1; break;
		default: return 2;
		}
	}
	if (!name || (ping && !have_peer) || !burst || !nrings || nrings > PTNET_MAX_RINGS ||
	    size < TB_HDR_LEN || size > TB_MAX_FRAME)
		tb_die("bad arguments (see the usage at the top of tb-pingpong.c)");
	tb_signals();
	if (ptnet_port_open(name, &o, &port) < 0)
		tb_die("cannot open %s: %s", name, ptnet_errmsg());
	{
		const struct ptnet_port_info *in = ptnet_port_info(port);
		char mac[18];

		if (in->tx_rings < nrings || in->rx_rings < nrings)
			tb_die("port has %u/%u rings, %u asked", in->tx_rings, in->rx_rings,
			       nrings);
		memcpy(mymac, in->mac, 6);
		ptc_format_mac(mymac, mac);
		if (!ping) {
			/* Announce ourselves (ping's unicast is then learned), before READY. */
			static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
			uint8_t f[60];

			memset(f, 0, sizeof(f));
			memcpy(f, bcast, 6);
			memcpy(f + 6, mymac, 6);
			f[12] = TB_ETH_HELLO >> 8;
			f[13] = TB_ETH_HELLO & 0xff;
			put(0, f, sizeof(f), 0);
			tx_drained(0);
		}
		tb_say("READY mac=%s", mac);
	}
	for (unsigned int r = 0; r < nrings; r++)
		if (pthread_create(&th[r], NULL, ping ? run_ping : run_pong, (void *)(uintptr_t)r))
			tb_die("pthread_create failed");
	for (unsigned int r = 0; r < nrings; r++)
		pthread_join(th[r], NULL);
	tx_flush();
	{
		uint64_t w = 0;

		for (unsigned int r = 0; r < nrings; r++)
			w += waits[r];
		tb_say("DONE frames=%llu waits=%llu", (unsigned long long)(rounds * burst * nrings),
		       (unsigned long long)w);
	}
	if (hold && tb_wait_signal(600000) < 0)
		tb_die("-H: no signal within 600 s");
	ptnet_port_close(port);
	return 0;
}
