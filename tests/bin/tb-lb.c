// SPDX-License-Identifier: BSD-2-Clause
/*
 * tb-lb - pipes sharing a port's memory, as netmap's lb uses them, through
 * libptnet (the netmap preload's own test is tests/netmap/nm-lb).
 *
 *   tb-lb lb PORT NPIPES FRAMES STOPFILE
 *	Opens PORT ("valeX:in") with pipes=NPIPES, the master ends PORT{k
 *	(k < NPIPES) and a sender port valeX:lbsrc.  Sends FRAMES frames
 *	(sizes 60..1514, tb_build) from lbsrc to PORT, at most 64 in flight,
 *	and moves each one from PORT's RX ring into the TX ring of pipe
 *	seq % NPIPES by swapping the two slots' buffer indices (no copy),
 *	after writing the buffer's index just past the frame (the consumer
 *	checks it: the very buffer ptnetd filled reaches it).  Prints
 *	"LB moved=N", then waits for STOPFILE; then every pipe must report
 *	-EPIPE (its consumer exited: the pair is freed), "EPIPE ok", and PORT
 *	must still carry a frame, "PORT ok".
 *   tb-lb consume PORT}k NPIPES K FRAMES
 *	Receives the frames of pipe K of the lb above: every byte checked,
 *	sequence K, K + NPIPES, ... in order, each in the buffer lb named
 *	(zero copy).  FRAMES -1: receive until the pipe reports -EPIPE
 *	("PEER GONE").  Prints "CONSUMED frames=N zc=N".
 *   tb-lb scribble PORT FRAMES STOPFILE
 *	As lb, with one pipe and no consumer: every third RX slot it releases
 *	gets a garbage buf_idx (0, 1, the pool's size, 0xfffffff0) instead of
 *	its buffer, the others swap theirs with the pipe's TX ring (buffers
 *	moving between the two rings, as lb's would).  ptnetd must drop, and
 *	count, each frame that lands in a garbage slot and deliver the rest
 *	intact; the slot's buffer is put back when it comes round again.
 *	Prints "SCRIBBLE got=N bad=N", then FRAMES clean frames must all
 *	arrive intact: "CLEAN ok"; the ports stay open until STOPFILE exists
 *	(for the script to read ptnetd's counters).
 *   tb-lb open NAME [key=value...]
 *	Opens NAME (a port, or a pipe end), prints "OPEN ok" or
 *	"OPEN err=ERRNO msg", holds it until SIGTERM.
 * Exits 0 when all is well, 1 otherwise.  Every wait is bounded.
 */
#include <sched.h>
#include "tb.h"

#define MAXP	 16
#define WINDOW	 64
#define LIMIT_MS 60000

static uint32_t size_of(uint64_t seq)
{
	return 60 + (uint32_t)(seq * 31 % 1455);
}

static struct ptnet_port *open_or_die(const char *name, const struct ptnet_port_opts *o)
{
	struct ptnet_port *p;
	int ret = ptnet_port_open(name, o, &p);

	if (ret < 0)
		tb_die("cannot open %s: %s", name, ptnet_errmsg());
	return p;
}

/* Send one frame SEQ from the sender's TX ring (room checked by the caller). */
static void send_one(struct ptnet_port *src, const uint8_t dst[6], uint64_t seq)
{
	struct netmap_ring *tx = ptnet_port_txring(src, 0);
	struct netmap_slot *s = &tx->slot[tx->head];
	static const uint8_t me[6] = { 2, 0x1b, 0, 0, 0, 1 };

	tb_build((uint8_t *)NETMAP_BUF(tx, s->buf_idx), size_of(seq), dst, me, 1, 0, seq);
	s->len = (uint16_t)size_of(seq);
	s->flags = 0;
	tx->head = tx->cur = nm_ring_next(tx, tx->head);
}

/* Room in pipe P's TX ring, waiting for it (bounded): 0 or -1. */
static int pipe_room(struct ptnet_port *p)
{
	struct netmap_ring *t = ptnet_port_txring(p, 0);
	uint64_t end = tb_now_ms() + LIMIT_MS;

	while (!nm_ring_space(t)) {
		int ret = ptnet_port_wait(p, PTNET_WAIT_TX, 1000);

		if (ret < 0 || tb_now_ms() > end) {
			tb_log("FAIL no room in a pipe: %d (%s)", ret, ptnet_errmsg());
			return -1;
		}
	}
	return 0;
}

static int do_lb(const char *port, unsigned int np, uint64_t frames, const char *stop)
{
	struct ptnet_port_opts o = { .pipes = np };
	struct ptnet_port *in, *src, *pipe[MAXP];
	struct netmap_ring *rx, *stx;
	char name[128], sw[64];
	uint64_t sent = 0, moved = 0, idle_since = tb_now_ms();
	const uint8_t *mac;
	int fails = 0;

	if (!np || np > MAXP)
		tb_die("NPIPES must be 1..%d", MAXP);
	snprintf(sw, sizeof(sw), "%.*s", (int)strcspn(port, ":"), port);
	in = open_or_die(port, &o);
	if (ptnet_port_info(in)->pipes != np)
		tb_die("%s has room for %u pipes, asked %u", port, ptnet_port_info(in)->pipes, np);
	snprintf(name, sizeof(name), "%s:lbsrc", sw);
	src = open_or_die(name, NULL);
	for (unsigned int k = 0; k < np; k++) {
		snprintf(name, sizeof(name), "%s{%u", port, k);
		pipe[k] = open_or_die(name, NULL);
		/* Shared memory: the pipe's buffer pool is the port's. */
		if (ptnet_port_info(pipe[k])->buf_num != ptnet_port_info(in)->buf_num)
			tb_die("pipe %u does not share %s's buffers", k, port);
	}
	mac = ptnet_port_info(in)->mac;
	rx = ptnet_port_rxring(in, 0);
	stx = ptnet_port_txring(src, 0);
	tb_say("READY mac=%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
	       mac[5]);
	while (moved < frames && !fails) {
		int progress = 0;

		while (sent < frames && sent - moved < WINDOW && nm_ring_space(stx)) {
			send_one(src, mac, sent++);
			progress = 1;
		}
		if (ptnet_txsync(src, 0) < 0 || ptnet_rxsync(in, 0) < 0) {
			tb_log("FAIL sync: %s", ptnet_errmsg());
			fails++;
			break;
		}
		while (!nm_ring_empty(rx) && !fails) {
			struct netmap_slot *rs = &rx->slot[rx->head], *ts;
			struct ptnet_port *pp = pipe[moved % np];
			struct netmap_ring *t = ptnet_port_txring(pp, 0);
			uint32_t idx = rs->buf_idx, bad_at;
			uint8_t *b = (uint8_t *)NETMAP_BUF(rx, idx);
			const char *why = rs->len == size_of(moved) ? tb_verify(b, rs->len, &bad_at) :
								   "length";

			if (why || tb_get64(b + 26) != moved) {
				tb_log("FAIL frame %llu at the port: %s", (unsigned long long)moved,
				       why ? why : "sequence");
				fails++;
				break;
			}
			if (pipe_room(pp)) {
				fails++;
				break;
			}
			/* lb's swap: the port's RX buffer goes down the pipe, the pipe's comes back. */
			tb_put32(b + rs->len, idx);
			ts = &t->slot[t->head];
			rs->buf_idx = ts->buf_idx;
			rs->flags = NS_BUF_CHANGED;
			ts->buf_idx = idx;
			ts->len = rs->len;
			ts->flags = NS_BUF_CHANGED;
			t->head = t->cur = nm_ring_next(t, t->head);
			rx->head = rx->cur = nm_ring_next(rx, rx->head);
			moved++;
			progress = 1;
			if (ptnet_txsync(pp, 0) < 0) {
				tb_log("FAIL pipe txsync: %s", ptnet_errmsg());
				fails++;
			}
		}
		if (progress) {
			idle_since = tb_now_ms();
		} else if (tb_now_ms() - idle_since > LIMIT_MS) {
			tb_log("FAIL nothing moved for %d s (sent %llu moved %llu)", LIMIT_MS / 1000,
			       (unsigned long long)sent, (unsigned long long)moved);
			fails++;
		} else {
			ptnet_port_wait(in, PTNET_WAIT_RX, 200);
		}
	}
	ptnet_rxsync(in, 0);
	/* Every pipe's TX ring drains as its consumer takes the frames. */
	for (unsigned int k = 0; k < np && !fails; k++) {
		struct netmap_ring *t = ptnet_port_txring(pipe[k], 0);

		for (uint64_t end = tb_now_ms() + LIMIT_MS; nm_ring_space(t) < t->num_slots - 1;) {
			if (ptnet_txsync(pipe[k], 0) < 0 || tb_now_ms() > end) {
				tb_log("FAIL pipe %u never drained", k);
				fails++;
				break;
			}
			usleep(1000);
		}
	}
	tb_say("LB moved=%llu", (unsigned long long)moved);
	for (uint64_t end = tb_now_ms() + 120000; !tb_file_exists(stop) && tb_now_ms() < end;)
		usleep(20000);
	/* The consumers are gone: each pair was freed with its slave end. */
	for (unsigned int k = 0; k < np; k++) {
		int ret = 0;

		for (uint64_t end = tb_now_ms() + 20000; tb_now_ms() < end;) {
			ret = ptnet_port_wait(pipe[k], PTNET_WAIT_RX, 200);
			if (ret < 0 && ret != -EINTR)
				break;
		}
		if (ret != -EPIPE) {
			tb_log("FAIL pipe %u after its consumer left: %d, want -EPIPE", k, ret);
			fails++;
		}
	}
	if (!fails)
		tb_say("EPIPE ok");
	for (unsigned int k = 0; k < np; k++)
		ptnet_port_close(pipe[k]);
	/* The port itself is untouched by its pipes' lives. */
	ptnet_txsync(src, 0);
	if (nm_ring_space(stx)) {
		send_one(src, mac, moved);
		ptnet_txsync(src, 0);
	}
	for (uint64_t end = tb_now_ms() + 20000; nm_ring_empty(rx) && tb_now_ms() < end;)
		ptnet_port_wait(in, PTNET_WAIT_RX, 200);
	if (!nm_ring_empty(rx)) {
		struct netmap_slot *rs = &rx->slot[rx->head];
		uint32_t bad_at;

		if (rs->len == size_of(moved) &&
		    !tb_verify((const uint8_t *)NETMAP_BUF(rx, rs->buf_idx), rs->len, &bad_at))
			tb_say("PORT ok");
		else
			fails++;
	} else {
		tb_log("FAIL the port carries nothing after its pipes went");
		fails++;
	}
	ptnet_port_close(src);
	ptnet_port_close(in);
	return fails || moved != frames;
}

/* Receive FRAMES frames at IN from SRC (window WINDOW); SCRIBBLE: garbage slots. */
static int scribble_run(struct ptnet_port *in, struct ptnet_port *src, struct ptnet_port *pp,
			uint64_t frames, int scribble, uint64_t *good, uint64_t *bad)
{
	struct netmap_ring *rx = ptnet_port_rxring(in, 0), *stx = ptnet_port_txring(src, 0);
	struct netmap_ring *t = ptnet_port_txring(pp, 0);
	uint32_t saved[PTNET_MAX_SLOTS] = { 0 }, buf_num = ptnet_port_info(in)->buf_num;
	uint64_t sent = 0, seen = 0, idle_since = tb_now_ms();
	const uint8_t *mac = ptnet_port_info(in)->mac;
	const uint32_t junk[4] = { 0, 1, buf_num, 0xfffffff0u };

	while (seen < frames) {
		int progress = 0;

		while (sent < frames && sent - seen < WINDOW && nm_ring_space(stx)) {
			send_one(src, mac, sent++);
			progress = 1;
		}
		if (ptnet_txsync(src, 0) < 0 || ptnet_rxsync(in, 0) < 0)
			return -1;
		while (!nm_ring_empty(rx)) {
			uint32_t h = rx->head;
			struct netmap_slot *rs = &rx->slot[h];
			uint32_t idx = rs->buf_idx, bad_at;

			if (saved[h]) {
				/* A garbage slot came round: ptnetd dropped what it had for it. */
				(*bad)++;
				rs->buf_idx = saved[h];
				saved[h] = 0;
			} else if (idx < 2 || idx >= buf_num || !rs->len ||
				   tb_verify((const uint8_t *)NETMAP_BUF(rx, idx), rs->len, &bad_at)) {
				tb_log("FAIL slot %u: index %u len %u, or its frame is corrupt", h, idx,
				       rs->len);
				return -1;
			} else {
				(*good)++;
				if (scribble && seen % 3 == 0) {
					saved[h] = idx;
					rs->buf_idx = junk[seen / 3 % 4];
				} else if (scribble) {
					/* A swap with the pipe's TX ring: the buffers move between rings. */
					struct netmap_slot *ts = &t->slot[seen % t->num_slots];

					rs->buf_idx = ts->buf_idx;
					ts->buf_idx = idx;
				}
			}
			rs->flags = NS_BUF_CHANGED;
			rx->head = rx->cur = nm_ring_next(rx, h);
			seen++;
			progress = 1;
		}
		if (progress)
			idle_since = tb_now_ms();
		else if (tb_now_ms() - idle_since > LIMIT_MS)
			return -1;
		else
			ptnet_port_wait(in, PTNET_WAIT_RX, 200);
	}
	/* The slots still holding garbage get their buffers back. */
	for (uint32_t h = 0; h < rx->num_slots; h++)
		if (saved[h])
			rx->slot[h].buf_idx = saved[h];
	return ptnet_rxsync(in, 0) < 0 ? -1 : 0;
}

static int do_scribble(const char *port, uint64_t frames, const char *stop)
{
	struct ptnet_port_opts o = { .pipes = 1 };
	struct ptnet_port *in, *src, *pp;
	uint64_t good = 0, bad = 0, cgood = 0, cbad = 0;
	char name[128];
	int fails = 0;

	in = open_or_die(port, &o);
	snprintf(name, sizeof(name), "%.*s:lbsrc", (int)strcspn(port, ":"), port);
	src = open_or_die(name, NULL);
	snprintf(name, sizeof(name), "%s{0", port);
	pp = open_or_die(name, NULL);
	tb_say("READY");
	if (scribble_run(in, src, pp, frames, 1, &good, &bad)) {
		tb_log("FAIL while scribbling (good %llu bad %llu)", (unsigned long long)good,
		       (unsigned long long)bad);
		fails++;
	}
	tb_say("SCRIBBLE got=%llu bad=%llu", (unsigned long long)good, (unsigned long long)bad);
	if (!fails && (scribble_run(in, src, pp, frames, 0, &cgood, &cbad) || cbad ||
		       cgood != frames)) {
		tb_log("FAIL clean frames after the scribbling: %llu good, %llu bad",
		       (unsigned long long)cgood, (unsigned long long)cbad);
		fails++;
	}
	if (!fails)
		tb_say("CLEAN ok");
	for (uint64_t end = tb_now_ms() + 120000; !tb_file_exists(stop) && tb_now_ms() < end;)
		usleep(20000);
	ptnet_port_close(pp);
	ptnet_port_close(src);
	ptnet_port_close(in);
	return fails || !bad || good + bad != frames;
}

static int do_consume(const char *name, unsigned int np, unsigned int k, int64_t frames)
{
	struct ptnet_port *p = open_or_die(name, NULL);
	struct netmap_ring *rx = ptnet_port_rxring(p, 0);
	struct ptnet_pipe_stats st;
	uint64_t got = 0, zc = 0, want = frames < 0 ? UINT64_MAX : 0;
	int fails = 0, gone = 0;

	if (frames >= 0)
		for (int64_t m = k; m < frames; m += np)
			want++;
	tb_say("READY");
	while (got < want && !fails) {
		int ret = ptnet_port_wait(p, PTNET_WAIT_RX, LIMIT_MS);

		if (ret == -EPIPE && frames < 0) {
			gone = 1;
			break;
		}
		if (ret <= 0) {
			tb_log("FAIL wait for packets gave %d (%s) after %llu", ret, ptnet_errmsg(),
			       (unsigned long long)got);
			fails++;
			break;
		}
		while (!nm_ring_empty(rx)) {
			struct netmap_slot *s = &rx->slot[rx->head];
			const uint8_t *b = (const uint8_t *)NETMAP_BUF(rx, s->buf_idx);
			uint64_t seq = k + got * np;
			uint32_t bad_at;
			const char *why = s->len == size_of(seq) ? tb_verify(b, s->len, &bad_at) :
								  "length";

			if (why || tb_get64(b + 26) != seq) {
				tb_log("FAIL frame %llu: %s", (unsigned long long)seq,
				       why ? why : "sequence");
				fails++;
				break;
			}
			zc += tb_get32(b + s->len) == s->buf_idx;
			got++;
			rx->head = rx->cur = nm_ring_next(rx, rx->head);
		}
		ptnet_rxsync(p, 0);
	}
	if (ptnet_pipe_stats(p, &st) || st.tx_drops || st.rx_drops || st.bad_heads ||
	    st.bad_tails) {
		tb_log("FAIL pipe stats: drops %u/%u, bad heads %u, tails %u", st.tx_drops,
		       st.rx_drops, st.bad_heads, st.bad_tails);
		fails++;
	}
	tb_say("CONSUMED frames=%llu zc=%llu", (unsigned long long)got, (unsigned long long)zc);
	if (gone)
		tb_say("PEER GONE");
	ptnet_port_close(p);
	return fails || (frames >= 0 && (got != want || zc != want)) || (frames < 0 && !gone);
}

static int do_open(int argc, char **argv)
{
	struct ptnet_port_opts o = { 0 };
	struct ptnet_port *p;
	int ret;

	for (int i = 3; i < argc; i++)
		if (!strncmp(argv[i], "pipes=", 6))
			o.pipes = (uint32_t)strtoul(argv[i] + 6, NULL, 10);
	ret = ptnet_port_open(argv[2], &o, &p);
	if (ret < 0) {
		tb_say("OPEN err=%d %s", -ret, ptnet_errmsg());
		return 1;
	}
	tb_say("OPEN ok");
	tb_signals();
	tb_wait_signal(600000);
	ptnet_port_close(p);
	return 0;
}

int main(int argc, char **argv)
{
	tb_prog = "tb-lb";
	if (argc >= 6 && !strcmp(argv[1], "lb"))
		return do_lb(argv[2], (unsigned int)strtoul(argv[3], NULL, 0),
			     strtoull(argv[4], NULL, 0), argv[5]);
	if (argc >= 6 && !strcmp(argv[1], "consume"))
		return do_consume(argv[2], (unsigned int)strtoul(argv[3], NULL, 0),
				  (unsigned int)strtoul(argv[4], NULL, 0), strtoll(argv[5], NULL, 0));
	if (argc >= 5 && !strcmp(argv[1], "scribble"))
		return do_scribble(argv[2], strtoull(argv[3], NULL, 0), argv[4]);
	if (argc >= 3 && !strcmp(argv[1], "open"))
		return do_open(argc, argv);
	tb_die("usage: tb-lb lb PORT NPIPES FRAMES STOPFILE | consume PORT}k NPIPES K FRAMES | "
	       "scribble PORT FRAMES STOPFILE | open NAME [pipes=K]");
}
