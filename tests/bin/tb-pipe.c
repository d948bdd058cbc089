// SPDX-License-Identifier: BSD-2-Clause
/*
 * tb-pipe - a pipe pair through libptnet itself (not the netmap preload),
 * for the integration tests.
 *
 *   tb-pipe NAME [FRAMES]
 *
 * Opens both ends of pipe pair NAME{0 / NAME}0 in one process: a thread on
 * the master end sends FRAMES frames (sizes 60..1514, every byte from
 * tb_build) waiting with ptnet_port_wait for TX room, the main thread on
 * the slave end receives them with ptnet_ring_wait and checks every byte
 * and that each frame arrives in the buffer it was built in (zero copy),
 * then sends one frame back.  ptnet_pipe_stats must count nothing bad.
 * Prints "PIPE frames=N zc=N" and exits 0 when all is well, 1 otherwise.
 */
#include <pthread.h>
#include <sched.h>
#include "tb.h"

static struct ptnet_port *g_m, *g_s;
static uint64_t g_frames = 100000;
static int g_txerr;

static uint32_t size_of(uint64_t seq)
{
	return 60 + (uint32_t)(seq * 31 % 1455);
}

static void *sender(void *arg)
{
	struct netmap_ring *tx = ptnet_port_txring(g_m, 0);
	static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 2 }, src[6] = { 2, 0, 0, 0, 0, 1 };

	(void)arg;
	for (uint64_t seq = 0; seq < g_frames;) {
		while (seq < g_frames && nm_ring_space(tx)) {
			struct netmap_slot *s = &tx->slot[tx->head];
			uint8_t *b = (uint8_t *)NETMAP_BUF(tx, s->buf_idx);

			tb_build(b, size_of(seq), dst, src, 1, 0, seq);
			/* The buffer's own index, after the frame: the receiver checks it. */
			tb_put32(b + size_of(seq), s->buf_idx);
			s->len = (uint16_t)size_of(seq);
			s->flags = 0;
			tx->head = tx->cur = nm_ring_next(tx, tx->head);
			seq++;
		}
		int ret = ptnet_port_wait(g_m, PTNET_WAIT_TX, 10000);

		if (ret <= 0) {
			tb_log("FAIL master: wait for TX room gave %d (%s)", ret, ptnet_errmsg());
			g_txerr = 1;
			return NULL;
		}
	}
	/* Slots the slave had no room for yet go at later syncs, as in netmap. */
	for (uint64_t end = tb_now_ms() + 20000; nm_ring_space(tx) < tx->num_slots - 1;) {
		if (ptnet_txsync(g_m, 0) < 0 || tb_now_ms() > end) {
			tb_log("FAIL master: the TX ring never drained");
			g_txerr = 1;
			break;
		}
		sched_yield();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	char mname[64], sname[64];
	struct netmap_ring *rx;
	struct ptnet_pipe_stats st;
	pthread_t t;
	uint64_t got = 0, zc = 0;
	int fails = 0;

	tb_prog = "tb-pipe";
	if (argc < 2)
		tb_die("usage: tb-pipe NAME [FRAMES]");
	if (argc > 2)
		g_frames = strtoull(argv[2], NULL, 0);
	snprintf(mname, sizeof(mname), "%s{0", argv[1]);
	snprintf(sname, sizeof(sname), "%s}0", argv[1]);
	if (ptnet_port_open(mname, NULL, &g_m) < 0)
		tb_die("cannot open %s: %s", mname, ptnet_errmsg());
	if (ptnet_port_open(sname, NULL, &g_s) < 0)
		tb_die("cannot open %s: %s", sname, ptnet_errmsg());
	if (ptnet_port_info(g_m)->tx_rings != 1 || ptnet_port_info(g_s)->rx_rings != 1 ||
	    ptnet_pipe_stats(g_m, &st) != 0)
		tb_die("not a pipe end");
	tb_say("READY");
	rx = ptnet_port_rxring(g_s, 0);
	pthread_create(&t, NULL, sender, NULL);
	while (got < g_frames && !fails) {
		int ret = ptnet_ring_wait(g_s, PTNET_WAIT_RX, 0, 10000);

		if (ret <= 0) {
			tb_log("FAIL slave: wait for packets gave %d (%s) after %llu", ret,
			       ptnet_errmsg(), (unsigned long long)got);
			fails++;
			break;
		}
		while (!nm_ring_empty(rx)) {
			struct netmap_slot *s = &rx->slot[rx->head];
			const uint8_t *b = (const uint8_t *)NETMAP_BUF(rx, s->buf_idx);
			uint32_t bad_at;
			const char *why = s->len == size_of(got) ? tb_verify(b, s->len, &bad_at) :
								  "length";

			if (why || tb_get64(b + TB_HDR_LEN - 8) != got) {
				tb_log("FAIL frame %llu: %s", (unsigned long long)got,
				       why ? why : "sequence");
				fails++;
				break;
			}
			zc += tb_get32(b + s->len) == s->buf_idx;
			got++;
			rx->head = rx->cur = nm_ring_next(rx, rx->head);
		}
		ptnet_rxsync(g_s, 0);
	}
	pthread_join(t, NULL);
	if (ptnet_pipe_stats(g_s, &st) || st.tx_drops || st.rx_drops || st.bad_heads ||
	    st.bad_tails) {
		tb_log("FAIL pipe stats: drops %u/%u, bad heads %u, tails %u", st.tx_drops,
		       st.rx_drops, st.bad_heads, st.bad_tails);
		fails++;
	}
	tb_say("PIPE frames=%llu zc=%llu", (unsigned long long)got, (unsigned long long)zc);
	ptnet_port_close(g_s);
	/* The peer gone: the master's calls say so. */
	int ret = 0;

	for (uint64_t end = tb_now_ms() + 20000; tb_now_ms() < end;) {
		ret = ptnet_port_wait(g_m, PTNET_WAIT_RX, 200);
		if (ret < 0 && ret != -EINTR)
			break;
	}
	if (ret != -EPIPE || ptnet_txsync(g_m, 0) != -EPIPE) {
		tb_log("FAIL master after the slave closed: wait gave %d, want -EPIPE", ret);
		fails++;
	} else {
		tb_say("EPIPE ok");
	}
	ptnet_port_close(g_m);
	return fails || g_txerr || got != g_frames || zc != g_frames;
}
