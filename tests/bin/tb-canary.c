// SPDX-License-Identifier: BSD-2-Clause
/*
 * tb-canary - a well-behaved client pair whose every data frame carries a
 * per-run canary, for the hostile-peer tests (tests/integ/91-hostile.sh):
 * the hostile client scans its own memory for the canary, so any byte of
 * this traffic that ptnetd puts where it does not belong is found.
 *
 *   tb-canary tx -p PORT -d DSTMAC -c CANARY [-s SIZES] [-n COUNT] [-R PPS]
 *                [-b BATCH] [-T SECONDS] [--hold]
 *   tb-canary rx -p PORT -c CANARY [--any] [-a ANNOUNCE_MS]
 *
 * CANARY is 32 hex digits (16 bytes).  Frames (ethertype TBC_ETH_DATA):
 *    0 dst MAC, 6 src MAC, 12 ethertype
 *   14 u32 TBC_MAGIC
 *   18 u32 frame length
 *   22 u64 sequence number
 *   30 u32 session (random per sender run)
 *   34 16-byte blocks: even blocks the canary, odd blocks a pattern of
 *      (session, seq, offset); the last block may be partial.
 *
 * tx sends COUNT frames (0: until SIGTERM/SIGINT or SECONDS passed) to
 * DSTMAC, sizes from SIZES (tb.h syntax; longer than a buffer = NS_MOREFRAG
 * chain), at most PPS frames per second; then waits until ptnetd took every
 * slot and prints "SENT frames=N bytes=B"; with --hold it stays attached
 * (so that its counters can be read) until SIGTERM.  SIGUSR1 stops the
 * sending as SECONDS would.  Exit 0, or 1 on error (port detached, stall).
 *
 * rx makes the switch learn its MAC with self-addressed frames (dst = src
 * = its own MAC: learned, then dropped as drop_no_dest, never flooded to
 * the other ports), at start and every ANNOUNCE_MS (default 1000) so the
 * entry never ages out, prints "READY mac=..." once the first one was taken,
 * and checks every frame until SIGTERM: intact (length, canary, pattern),
 * in order; gaps are counted (frames the switch dropped).  Frames of other
 * kinds are "foreign": an error unless --any.  At SIGTERM it drains what
 * is queued and prints "RECV frames=N bytes=B gaps=G last_seq=S corrupt=C
 * reordered=R foreign=F padding=P"; exit 0 if nothing was corrupt,
 * reordered or (without --any) foreign, else 1.
 */
#include <getopt.h>
#include <sys/random.h>
#include "tb.h"

#define TBC_ETH_DATA	0x88b9
#define TBC_ETH_HELLO	0x88ba
#define TBC_MAGIC	0x50544359u	/* "PTCY" */
#define TBC_HDR		34

static struct ptnet_port *port;
static const struct ptnet_port_info *info;
static uint8_t canary[16];
/* Big enough for any chain (64 fragments of 64 KiB): nothing is "malformed" for size. */
static uint8_t frame[NETMAP_MAX_FRAGS * 65536];

static void usage(void)
{
	fprintf(stderr, "usage: tb-canary tx -p PORT -d DSTMAC -c CANARY [-s SIZES] [-n COUNT] "
			"[-R PPS] [-b BATCH] [-T SECONDS] [--hold]\n"
			"       tb-canary rx -p PORT -c CANARY [--any] [-a ANNOUNCE_MS]\n");
	exit(2);
}

static int parse_canary(const char *s)
{
	if (strlen(s) != 32)
		return -1;
	for (int i = 0; i < 16; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		canary[i] = (uint8_t)v;
	}
	return 0;
}

static inline uint8_t pat(uint64_t seed, uint32_t i)
{
	return tb_pat(seed, i);
}

static void build(uint8_t *f, uint32_t len, const uint8_t dst[6], const uint8_t src[6],
		  uint32_t session, uint64_t seq)
{
	uint64_t seed = tb_mix((uint64_t)session << 32 ^ seq);

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = TBC_ETH_DATA >> 8;
	f[13] = TBC_ETH_DATA & 0xff;
	tb_put32(f + 14, TBC_MAGIC);
	tb_put32(f + 18, len);
	tb_put64(f + 22, seq);
	tb_put32(f + 30, session);
	for (uint32_t i = TBC_HDR; i < len; i++) {
		uint32_t k = (i - TBC_HDR) / 16;

		f[i] = k & 1 ? pat(seed, i) : canary[(i - TBC_HDR) % 16];
	}
}

/* NULL if F is an intact frame, else what is wrong (*at: the byte). */
static const char *check(const uint8_t *f, uint32_t len, uint32_t *at)
{
	uint32_t session;
	uint64_t seed;

	*at = 0;
	if (len < TBC_HDR + 16)
		return "shorter than header + canary";
	if (tb_get32(f + 14) != TBC_MAGIC)
		return "bad magic";
	if (tb_get32(f + 18) != len)
		return "length differs from the one sent";
	session = tb_get32(f + 30);
	seed = tb_mix((uint64_t)session << 32 ^ tb_get64(f + 22));
	for (uint32_t i = TBC_HDR; i < len; i++) {
		uint32_t k = (i - TBC_HDR) / 16;
		uint8_t want = k & 1 ? pat(seed, i) : canary[(i - TBC_HDR) % 16];

		if (f[i] != want) {
			*at = i;
			return "payload differs";
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- tx */

static volatile sig_atomic_t tx_done;

static void on_usr1(int sig)
{
	(void)sig;
	tx_done = 1;
}

static int all_taken(struct netmap_ring *r)
{
	return nm_ring_space(r) == r->num_slots - 1;
}

static int do_tx(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "hold", no_argument, NULL, 1 },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *sizespec = "60-1514";
	uint64_t count = 0, pps = 0, seq = 0, bytes = 0, t0, last_progress, dur_ms = 0;
	unsigned int batch = 64;
	struct netmap_ring *r;
	struct tb_sizes sizes;
	uint8_t dst[6], src[6];
	uint32_t session;
	int c, have_dst = 0, have_canary = 0, hold = 0;

	tb_prog = "tb-canary tx";
	while ((c = getopt_long(argc, argv, "p:d:c:s:n:R:b:T:", lo, NULL)) != -1) {
		switch (c) {
		case 'p': name = optarg; break;
		case 'd':
			if (ptc_parse_mac(optarg, dst))
				usage();
			have_dst = 1;
			break;
		case 'c':
			if (parse_canary(optarg))
				usage();
			have_canary = 1;
			break;
		case 's': sizespec = optarg; break;
		case 'n': count = strtoull(optarg, NULL, 0); break;
		case 'R': pps = strtoull(optarg, NULL, 0); break;
		case 'b': batch = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'T': dur_ms = (uint64_t)(strtod(optarg, NULL) * 1000); break;
		case 1: hold = 1; break;
		default: usage();
		}
	}
	if (!name || !have_dst || !have_canary || optind != argc || !batch)
		usage();
	if (tb_parse_sizes(sizespec, &sizes))
		tb_die("bad size list '%s'", sizespec);
	for (unsigned int i = 0; i < sizes.n; i++)
		if (sizes.v[i] < TBC_HDR + 16)
			tb_die("frames must be at least %d bytes", TBC_HDR + 16);
	if (getrandom(&session, sizeof(session), 0) != sizeof(session))
		session = (uint32_t)getpid();
	tb_signals();
	signal(SIGUSR1, on_usr1);
	if (ptnet_port_open(name, NULL, &port) < 0)
		tb_die("cannot open %s: %s", name, ptnet_errmsg());
	info = ptnet_port_info(port);
	memcpy(src, info->mac, 6);
	r = ptnet_port_txring(port, 0);
	{
		char mac[18];

		ptc_format_mac(src, mac);
		tb_say("READY mac=%s session=%u", mac, session);
	}
	t0 = last_progress = tb_now_ms();
	while (!tb_stop && !tx_done && (!count || seq < count) &&
	       (!dur_ms || tb_now_ms() - t0 < dur_ms)) {
		unsigned int n = 0;
		int ret;

		if (ptnet_txsync(port, 0) < 0)
			tb_die("txsync: %s", ptnet_errmsg());
		while (n < batch && (!count || seq < count)) {
			uint32_t len = tb_size(&sizes, seq);

			if (pps && seq >= (tb_now_ms() - t0) * pps / 1000)
				break;
			if (nm_ring_space(r) < tb_slots_for(r, len))
				break;
			build(frame, len, dst, src, session, seq);
			tb_tx_put(r, frame, len);
			seq++;
			bytes += len;
			n++;
		}
		if (n) {
			if (ptnet_txsync(port, 0) < 0)
				tb_die("txsync: %s", ptnet_errmsg());
			last_progress = tb_now_ms();
			continue;
		}
		if (tb_now_ms() - last_progress > 30000)
			tb_die("no TX space for 30 s (sent %llu)", (unsigned long long)seq);
		ret = ptnet_port_wait(port, PTNET_WAIT_TX, pps ? 1 : 20);
		if (ret < 0 && ret != -EINTR)
			tb_die("wait: %s", ptnet_errmsg());
	}
	/* Every slot taken by ptnetd: its tx_packets counter is final. */
	last_progress = tb_now_ms();
	for (;;) {
		if (ptnet_txsync(port, 0) < 0)
			tb_die("txsync: %s", ptnet_errmsg());
		if (all_taken(r))
			break;
		if (tb_now_ms() - last_progress > 20000)
			tb_die("ptnetd did not take the last slots within 20 s");
		ptnet_port_wait(port, PTNET_WAIT_TX, 10);
	}
	tb_say("SENT frames=%llu bytes=%llu", (unsigned long long)seq, (unsigned long long)bytes);
	if (hold && !tb_stop && tb_wait_signal(600000) < 0)
		tb_die("--hold: no signal within 600 s");
	ptnet_port_close(port);
	return 0;
}

/* ---------------------------------------------------------------- rx */

static uint64_t frames, rbytes, gaps, corrupt, reordered, foreign, padding, next_seq;
static int64_t last_seq = -1;

static void announce(void)
{
	struct netmap_ring *r = ptnet_port_txring(port, 0);
	uint8_t f[60];

	if (ptnet_txsync(port, 0) < 0)
		tb_die("txsync: %s", ptnet_errmsg());
	if (nm_ring_space(r) < 1)
		return;
	memset(f, 0, sizeof(f));
	memcpy(f, info->mac, 6);
	memcpy(f + 6, info->mac, 6);
	f[12] = TBC_ETH_HELLO >> 8;
	f[13] = TBC_ETH_HELLO & 0xff;
	tb_tx_put(r, f, sizeof(f));
	if (ptnet_txsync(port, 0) < 0)
		tb_die("txsync: %s", ptnet_errmsg());
}

static void one_frame(uint32_t len)
{
	uint32_t at;
	const char *why;
	uint64_t seq;

	if (len == 0) {
		padding++;
		return;
	}
	if (len < 14 || tb_ethertype(frame) != TBC_ETH_DATA) {
		foreign++;
		return;
	}
	why = check(frame, len, &at);
	if (why) {
		if (!corrupt)
			tb_log("FAIL corrupt frame (len %u, seq field %llu): %s at byte %u", len,
			       len >= 30 ? (unsigned long long)tb_get64(frame + 22) : 0ull, why,
			       at);
		corrupt++;
		return;
	}
	seq = tb_get64(frame + 22);
	if (last_seq >= 0 && seq <= (uint64_t)last_seq) {
		if (!reordered)
			tb_log("FAIL frame %llu after %lld (reordered or duplicated)",
			       (unsigned long long)seq, (long long)last_seq);
		reordered++;
		return;
	}
	gaps += seq - next_seq;
	next_seq = seq + 1;
	last_seq = (int64_t)seq;
	frames++;
	rbytes += len;
}

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
			one_frame(len);
		}
		if (ret < 0) {
			tb_log("FAIL malformed slot chain on RX ring %u", i);
			corrupt++;
			r->head = r->cur = r->tail;	/* skip it */
			got = 1;
		}
		if (got && ptnet_rxsync(port, i) < 0)
			tb_die("rxsync: %s", ptnet_errmsg());
	}
	return n;
}

static int do_rx(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "any", no_argument, NULL, 1 },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL;
	uint64_t announce_ms = 1000, last_ann, end;
	struct netmap_ring *tx;
	int c, any = 0, have_canary = 0;

	tb_prog = "tb-canary rx";
	while ((c = getopt_long(argc, argv, "p:c:a:", lo, NULL)) != -1) {
		switch (c) {
		case 'p': name = optarg; break;
		case 'c':
			if (parse_canary(optarg))
				usage();
			have_canary = 1;
			break;
		case 'a': announce_ms = strtoull(optarg, NULL, 0); break;
		case 1: any = 1; break;
		default: usage();
		}
	}
	if (!name || !have_canary || optind != argc || !announce_ms)
		usage();
	tb_signals();
	if (ptnet_port_open(name, NULL, &port) < 0)
		tb_die("cannot open %s: %s", name, ptnet_errmsg());
	info = ptnet_port_info(port);
	tx = ptnet_port_txring(port, 0);
	announce();
	end = tb_now_ms() + 10000;
	while (!all_taken(tx)) {
		if (tb_now_ms() > end)
			tb_die("ptnetd did not take the announcement within 10 s");
		ptnet_port_wait(port, PTNET_WAIT_TX, 10);
		if (ptnet_txsync(port, 0) < 0)
			tb_die("txsync: %s", ptnet_errmsg());
	}
	last_ann = tb_now_ms();
	{
		char mac[18];

		ptc_format_mac(info->mac, mac);
		tb_say("READY mac=%s", mac);
	}
	while (!tb_stop) {
		uint64_t now;
		int ret;

		poll_rx();
		now = tb_now_ms();
		if (now - last_ann >= announce_ms) {
			announce();
			last_ann = now;
		}
		ret = ptnet_port_wait(port, PTNET_WAIT_RX, 20);
		if (ret < 0 && ret != -EINTR)
			tb_die("wait: %s", ptnet_errmsg());
	}
	/* Drain what is still queued: until 200 ms pass without anything new. */
	end = tb_now_ms() + 200;
	while (tb_now_ms() < end) {
		if (poll_rx())
			end = tb_now_ms() + 200;
		else
			ptnet_port_wait(port, PTNET_WAIT_RX, 10);
	}
	tb_say("RECV frames=%llu bytes=%llu gaps=%llu last_seq=%lld corrupt=%llu reordered=%llu "
	       "foreign=%llu padding=%llu", (unsigned long long)frames,
	       (unsigned long long)rbytes, (unsigned long long)gaps, (long long)last_seq,
	       (unsigned long long)corrupt, (unsigned long long)reordered,
	       (unsigned long long)foreign, (unsigned long long)padding);
	ptnet_port_close(port);
	return corrupt || reordered || (foreign && !any) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "tx"))
		return do_tx(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rx"))
		return do_rx(argc - 1, argv + 1);
	usage();
}
