// SPDX-License-Identifier: BSD-2-Clause
/*
 * tb-send - send verifiable test frames (tb.h) through a ptnet port.
 *
 *   tb-send -p PORT [-i ID] [-d DSTMAC] [-n COUNT] [-s SIZES] [-r RINGS]
 *           [-w WINDOW] [-b BATCH] [--pause-at K --go FILE] [--hold]
 *           [-t STALL_MS]
 *
 * Sends COUNT frames on each of the first RINGS TX rings (COUNT 0: until
 * SIGTERM), sizes from SIZES ("60", "60-9000", "60,1514,9000"; frames
 * longer than a buffer become NS_MOREFRAG chains).  With -w, at most
 * WINDOW frames per ring are unacknowledged (acks come from tb-recv --ack),
 * so that a receiver's ring can never overflow.  --pause-at K stops after
 * K frames per ring, prints PAUSED and waits until FILE exists.  At the end
 * it waits until ptnetd took every slot (and, with -w, every ack came),
 * prints "DONE sent=N bytes=B", and with --hold stays attached until
 * SIGTERM.  Exit 0 on success, 1 on failure (stall, error), 2 usage.
 */
#include <getopt.h>
#include "tb.h"

static struct ptnet_port *port;
static unsigned int nrings, id = 1, window;
static uint64_t count, sent[PTNET_MAX_RINGS], acked[PTNET_MAX_RINGS], bytes, other_rx;
static struct tb_sizes sizes;
static uint8_t dst[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, src[6];
static uint8_t frame[TB_MAX_FRAME + 1];

static void usage(void)
{
	fprintf(stderr, "usage: tb-send -p PORT [-i ID] [-d MAC] [-n COUNT] [-s SIZES] [-r RINGS] "
			"[-w WINDOW] [-b BATCH] [--pause-at K --go FILE] [--hold] [-t STALL_MS]\n");
	exit(2);
}

/* Read acks (and throw away anything else) from every RX ring. */
static int read_acks(void)
{
	const struct ptnet_port_info *in = ptnet_port_info(port);
	int progress = 0;

	for (unsigned int i = 0; i < in->rx_rings; i++) {
		struct netmap_ring *r = ptnet_port_rxring(port, i);
		uint32_t len;
		int got = 0;

		for (;;) {
			int ret = tb_rx_take(r, frame, sizeof(frame), &len);

			if (ret <= 0)
				break;
			got = 1;
			if (len >= 32 && tb_ethertype(frame) == TB_ETH_ACK &&
			    tb_get32(frame + 14) == TB_MAGIC_ACK && tb_get16(frame + 20) == id) {
				unsigned int ring = tb_get16(frame + 22);
				uint64_t c = tb_get64(frame + 24);

				if (ring < nrings && c > acked[ring]) {
					if (c > sent[ring])
						tb_die("ack for %llu frames of ring %u, only %llu "
						       "sent",
						       (unsigned long long)c, ring,
						       (unsigned long long)sent[ring]);
					acked[ring] = c;
					progress = 1;
				}
			} else {
				other_rx++;
			}
		}
		if (got && ptnet_rxsync(port, i) < 0)
			tb_die("rxsync: %s", ptnet_errmsg());
	}
	return progress;
}

static int all_returned(void)
{
	for (unsigned int i = 0; i < nrings; i++) {
		struct netmap_ring *r = ptnet_port_txring(port, i);

		if (nm_ring_space(r) != r->num_slots - 1)
			return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pause-at", required_argument, NULL, 1 },
		{ "go", required_argument, NULL, 2 },
		{ "hold", no_argument, NULL, 3 },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *sizespec = "60", *gofile = NULL;
	uint64_t pause_at = 0, stall_ms = 20000, last_progress;
	unsigned int want_rings = 0, batch = 64;
	int c, hold = 0, paused = 0;

	tb_prog = "tb-send";
	while ((c = getopt_long(argc, argv, "p:i:d:n:s:r:w:b:t:", lo, NULL)) != -1) {
		switch (c) {
		case 'p': name = optarg; break;
		case 'i': id = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'd':
			if (ptc_parse_mac(optarg, dst))
				usage();
			break;
		case 'n': count = strtoull(optarg, NULL, 0); break;
		case 's': sizespec = optarg; break;
		case 'r': want_rings = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'w': window = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'b': batch = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 't': stall_ms = strtoull(optarg, NULL, 0); break;
		case 1: pause_at = strtoull(optarg, NULL, 0); break;
		case 2: gofile = optarg; break;
		case 3: hold = 1; break;
		default: usage();
		}
	}
	if (!name || optind != argc || id >= TB_MAX_IDS || !batch || (pause_at && !gofile))
		usage();
	if (tb_parse_sizes(sizespec, &sizes))
		tb_die("bad size list '%s'", sizespec);
	tb_signals();
	if (ptnet_port_open(name, NULL, &port) < 0)
		tb_die("cannot open %s: %s", name, ptnet_errmsg());
	{
		const struct ptnet_port_info *in = ptnet_port_info(port);
		char mac[18];

		nrings = want_rings ? want_rings : in->tx_rings;
		if (nrings > in->tx_rings)
			tb_die("port has %u TX rings, %u asked", in->tx_rings, nrings);
		memcpy(src, in->mac, 6);
		ptc_format_mac(src, mac);
		tb_say("READY mac=%s tx_rings=%u rx_rings=%u buf_size=%u", mac, in->tx_rings,
		       in->rx_rings, in->buf_size);
	}

	last_progress = tb_now_ms();
	for (;;) {
		int blocked_space = 0, blocked_window = 0, any = 0, more = 0;

		if (tb_stop && !count)
			break; /* endless mode ends on a signal */
		if (tb_stop)
			tb_die("interrupted after %llu frames on ring 0",
			       (unsigned long long)sent[0]);
		if (window && read_acks())
			last_progress = tb_now_ms();
		for (unsigned int ri = 0; ri < nrings; ri++) {
			struct netmap_ring *r = ptnet_port_txring(port, ri);
			unsigned int n = 0;

			while ((!count || sent[ri] < count) && n < batch) {
				uint32_t len = tb_size(&sizes, sent[ri]);

				if (pause_at && !paused && sent[ri] >= pause_at)
					break;
				if (window && sent[ri] - acked[ri] >= window) {
					blocked_window = 1;
					break;
				}
				if (nm_ring_space(r) < tb_slots_for(r, len)) {
					blocked_space = 1;
					break;
				}
				tb_build(frame, len, dst, src, id, ri, sent[ri]);
				tb_tx_put(r, frame, len);
				sent[ri]++;
				bytes += len;
				n++;
			}
			if (n)
				any = 1;
			if (!count || sent[ri] < count)
				more = 1;
		}
		if (ptnet_txsync(port, PTNET_ALL_RINGS) < 0)
			tb_die("txsync: %s", ptnet_errmsg());
		if (any) {
			last_progress = tb_now_ms();
			continue;
		}
		if (pause_at && !paused) {
			int all_there = 1;

			for (unsigned int ri = 0; ri < nrings; ri++)
				if (sent[ri] < pause_at && (!count || sent[ri] < count))
					all_there = 0;
			if (all_there && !blocked_space && !blocked_window) {
				tb_say("PAUSED sent=%llu", (unsigned long long)sent[0]);
				while (!tb_file_exists(gofile) && !tb_stop) {
					struct timespec ts = { 0, 10 * 1000 * 1000 };

					nanosleep(&ts, NULL);
					if (window)
						read_acks();
				}
				paused = 1;
				last_progress = tb_now_ms();
				continue;
			}
		}
		if (!more)
			break;
		if (tb_now_ms() - last_progress > stall_ms)
			tb_die("no progress for %llu ms (sent %llu, acked %llu on ring 0)",
			       (unsigned long long)stall_ms, (unsigned long long)sent[0],
			       (unsigned long long)acked[0]);
		{
			unsigned int what = (blocked_space ? PTNET_WAIT_TX : 0) |
					    (blocked_window ? PTNET_WAIT_RX : 0);
			int ret;

			if (!what)
				what = PTNET_WAIT_TX;
			ret = ptnet_port_wait(port, what, 100);
			if (ret < 0 && ret != -EINTR)
				tb_die("wait: %s", ptnet_errmsg());
		}
	}

	/* Everything taken by ptnetd (and acknowledged, with a window)? */
	last_progress = tb_now_ms();
	for (;;) {
		int acks_done = 1;

		if (ptnet_txsync(port, PTNET_ALL_RINGS) < 0)
			tb_die("txsync: %s", ptnet_errmsg());
		if (window) {
			if (read_acks())
				last_progress = tb_now_ms();
			for (unsigned int ri = 0; ri < nrings; ri++)
				if (acked[ri] != sent[ri])
					acks_done = 0;
		}
		if (all_returned() && acks_done)
			break;
		if (tb_now_ms() - last_progress > stall_ms)
			tb_die("ptnetd did not take every slot%s within %llu ms",
			       acks_done ? "" : " (or acks missing)", (unsigned long long)stall_ms);
		{
			int ret = ptnet_port_wait(port, window ? PTNET_WAIT_RX : PTNET_WAIT_TX, 50);

			if (ret < 0 && ret != -EINTR)
				tb_die("wait: %s", ptnet_errmsg());
		}
	}
	{
		uint64_t total = 0;

		for (unsigned int ri = 0; ri < nrings; ri++)
			total += sent[ri];
		tb_say("DONE sent=%llu bytes=%llu other_rx=%llu", (unsigned long long)total,
		       (unsigned long long)bytes, (unsigned long long)other_rx);
	}
	if (hold && tb_wait_signal(600000) < 0)
		tb_die("--hold: no signal within 600 s");
	ptnet_port_close(port);
	return 0;
}
