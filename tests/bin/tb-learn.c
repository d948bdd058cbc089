// SPDX-License-Identifier: BSD-2-Clause
/*
 * tb-learn SWITCH - learning and flooding seen from three ports a, b, c
 * (MACs 02:00:00:00:00:0a/0b/0c) of SWITCH, all held by this process.
 *
 * "c sees nothing of it" is checked without waiting for a timeout: after
 * the frame in question the same sender broadcasts a marker; frames of one
 * TX ring reach each RX ring in order, so the next frame c receives must
 * be the marker.  Every step prints "ok ..." or "FAIL ..."; exit 0 if all
 * passed.
 */
#include "tb.h"

#define WAIT_MS 10000

static const char *sw;
static struct ptnet_port *P[3];
static const char pname[3] = { 'a', 'b', 'c' };
static uint8_t MAC[3][6] = { { 2, 0, 0, 0, 0, 0xa },
			     { 2, 0, 0, 0, 0, 0xb },
			     { 2, 0, 0, 0, 0, 0xc } };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MCAST[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static int fails;

static void open_port(int i)
{
	char name[128];

	snprintf(name, sizeof(name), "%s:%c@conf:mac=02:00:00:00:00:0%c", sw, pname[i], pname[i]);
	if (ptnet_port_open(name, NULL, &P[i]) < 0)
		tb_die("cannot open %s: %s", name, ptnet_errmsg());
	if (memcmp(ptnet_port_info(P[i])->mac, MAC[i], 6))
		tb_die("port %c did not get the MAC it asked for", pname[i]);
}

/* Send one frame tagged TAG from port I to DST and wait until ptnetd took it. */
static void send_tag(int i, const uint8_t dst[6], uint32_t tag)
{
	struct netmap_ring *r = ptnet_port_txring(P[i], 0);
	uint64_t end = tb_now_ms() + WAIT_MS;
	uint8_t f[60];

	memset(f, 0, sizeof(f));
	memcpy(f, dst, 6);
	memcpy(f + 6, MAC[i], 6);
	f[12] = TB_ETH_HELLO >> 8;
	f[13] = TB_ETH_HELLO & 0xff;
	tb_put32(f + 14, tag);
	if (nm_ring_space(r) < 1)
		tb_die("port %c: TX ring full", pname[i]);
	tb_tx_put(r, f, sizeof(f));
	for (;;) {
		if (ptnet_txsync(P[i], 0) < 0)
			tb_die("txsync: %s", ptnet_errmsg());
		if (nm_ring_space(r) == r->num_slots - 1)
			return;
		if (tb_now_ms() > end)
			tb_die("port %c: ptnetd did not take the frame", pname[i]);
		ptnet_port_wait(P[i], PTNET_WAIT_TX, 10);
	}
}

/* The next frame on port I must carry TAG (and come from port FROM). */
static void expect(int i, uint32_t tag, int from_port, const char *what)
{
	struct netmap_ring *r = ptnet_port_rxring(P[i], 0);
	uint64_t end = tb_now_ms() + WAIT_MS;
	uint8_t f[TB_MAX_FRAME + 1];
	uint32_t len;

	for (;;) {
		int ret;

		if (ptnet_rxsync(P[i], 0) < 0)
			tb_die("rxsync: %s", ptnet_errmsg());
		ret = tb_rx_take(r, f, sizeof(f), &len);
		if (ret < 0)
			tb_die("port %c: malformed RX chain", pname[i]);
		if (ret > 0 && len == 0)
			continue; /* lease padding */
		if (ret > 0)
			break;
		if (tb_now_ms() > end) {
			printf("FAIL %s: port %c received nothing (wanted frame %u)\n", what,
			       pname[i], tag);
			fails++;
			return;
		}
		ptnet_port_wait(P[i], PTNET_WAIT_RX, 50);
	}
	ptnet_rxsync(P[i], 0);
	if (len != 60 || tb_get32(f + 14) != tag || memcmp(f + 6, MAC[from_port], 6)) {
		printf("FAIL %s: port %c got frame %u (len %u) from %02x, wanted frame %u from "
		       "%c\n",
		       what, pname[i], tb_get32(f + 14), len, f[11], tag, pname[from_port]);
		fails++;
		return;
	}
	printf("ok   %s: port %c got frame %u\n", what, pname[i], tag);
}

static int stat_cb(const char *line, void *arg)
{
	char buf[PTC_MAX_MSG + 1];
	struct ptc_tokens t;
	const char **want = arg;
	const char *v;

	snprintf(buf, sizeof(buf), "%s", line);
	if (ptc_split(buf, &t) < 0)
		return 0;
	v = ptc_kv_get(&t, 0, "name");
	if (!v || strcmp(v, want[0]))
		return 0;
	v = ptc_kv_get(&t, 0, want[1]);
	if (v)
		snprintf((char *)want[2], 32, "%s", v);
	return 0;
}

/* A counter of port P of the switch, from ptnetd's stats. */
static long long counter(int i, const char *field)
{
	char port[64], val[32] = "", status[256];
	const char *want[3] = { port, field, val };
	int fd = ptnet_ctl_open();

	if (fd < 0)
		tb_die("ctl: %s", ptnet_errmsg());
	snprintf(port, sizeof(port), "%s:%c", sw, pname[i]);
	if (ptnet_ctl_call(fd, "stats", stat_cb, want, status, sizeof(status)) < 0)
		tb_die("stats: %s", ptnet_errmsg());
	ptnet_ctl_close(fd);
	return val[0] ? atoll(val) : -1;
}

static int list_cb(const char *line, void *arg)
{
	char buf[PTC_MAX_MSG + 1];
	struct ptc_tokens t;
	const char *v;

	snprintf(buf, sizeof(buf), "%s", line);
	if (ptc_split(buf, &t) < 0)
		return 0;
	v = ptc_kv_get(&t, 0, "name");
	if (v && !strcmp(v, (const char *)arg))
		*((char *)arg) = '\0'; /* found: mark by emptying the name */
	return 0;
}

/* Closing a port is asynchronous: wait until ptnetd no longer lists it. */
static void wait_gone(int i)
{
	uint64_t end = tb_now_ms() + WAIT_MS;

	for (;;) {
		char port[64], status[256];
		int fd = ptnet_ctl_open();

		if (fd < 0)
			tb_die("ctl: %s", ptnet_errmsg());
		snprintf(port, sizeof(port), "%s:%c", sw, pname[i]);
		if (ptnet_ctl_call(fd, "list", list_cb, port, status, sizeof(status)) < 0)
			tb_die("list: %s", ptnet_errmsg());
		ptnet_ctl_close(fd);
		if (port[0])
			return; /* not listed any more */
		if (tb_now_ms() > end)
			tb_die("port %c still listed %d ms after it was closed", pname[i], WAIT_MS);
		usleep(5000);
	}
}

int main(int argc, char **argv)
{
	tb_prog = "tb-learn";
	if (argc != 2)
		tb_die("usage: tb-learn SWITCH");
	sw = argv[1];
	for (int i = 0; i < 3; i++)
		open_port(i);

	/* 1. Unknown unicast floods. */
	send_tag(0, MAC[1], 1);
	expect(1, 1, 0, "unknown unicast a->b floods: b");
	expect(2, 1, 0, "unknown unicast a->b floods: c");

	/* 2. Broadcast reaches both others (and b is learned). */
	send_tag(1, BCAST, 2);
	expect(0, 2, 1, "broadcast from b: a");
	expect(2, 2, 1, "broadcast from b: c");

	/* 3. Unicast to a learned MAC reaches only its owner. */
	send_tag(0, MAC[1], 3);
	send_tag(0, BCAST, 4);
	expect(1, 3, 0, "unicast a->b (learned): b");
	expect(1, 4, 0, "marker after unicast a->b: b");
	expect(2, 4, 0, "unicast a->b not seen by c (next frame is the marker)");

	/* 4. The other direction, from the third port (a learned in step 1). */
	send_tag(2, MAC[0], 5);
	send_tag(2, BCAST, 6);
	expect(0, 5, 2, "unicast c->a (learned): a");
	expect(0, 6, 2, "marker after unicast c->a: a");
	expect(1, 6, 2, "unicast c->a not seen by b (next frame is the marker)");

	/* 5. Multicast floods. */
	send_tag(0, MCAST, 7);
	expect(1, 7, 0, "multicast from a: b");
	expect(2, 7, 0, "multicast from a: c");

	/* 6. Unicast to oneself goes nowhere, and is counted. */
	{
		long long before = counter(0, "drop_no_dest"), after;

		send_tag(0, MAC[0], 8);
		send_tag(0, BCAST, 9);
		expect(1, 9, 0, "unicast a->a not seen by b");
		expect(2, 9, 0, "unicast a->a not seen by c");
		after = counter(0, "drop_no_dest");
		if (before < 0 || after != before + 1) {
			printf("FAIL unicast to oneself: drop_no_dest %lld -> %lld, want +1\n",
			       before, after);
			fails++;
		} else {
			printf("ok   unicast to oneself counted as drop_no_dest\n");
		}
	}

	/* 7. b leaves: its MAC is forgotten, frames for it flood again. */
	ptnet_port_close(P[1]);
	P[1] = NULL;
	wait_gone(1);
	send_tag(0, MAC[1], 10);
	send_tag(0, BCAST, 11);
	expect(2, 10, 0, "after b left, unicast to b's MAC floods: c");
	expect(2, 11, 0, "marker after it: c");

	/* 8. b comes back: unknown until it talks, then learned again. */
	open_port(1);
	send_tag(0, MAC[1], 12);
	expect(1, 12, 0, "b back, not learned yet: floods to b");
	expect(2, 12, 0, "b back, not learned yet: floods to c");
	send_tag(1, BCAST, 13);
	expect(0, 13, 1, "broadcast from the new b: a");
	expect(2, 13, 1, "broadcast from the new b: c");
	send_tag(0, MAC[1], 14);
	send_tag(0, BCAST, 15);
	expect(1, 14, 0, "unicast a->b after re-learning: b");
	expect(1, 15, 0, "marker: b");
	expect(2, 15, 0, "unicast a->b after re-learning not seen by c");

	for (int i = 0; i < 3; i++)
		ptnet_port_close(P[i]);
	printf("%s: %d failure(s)\n", fails ? "FAIL" : "PASS", fails);
	return fails ? 1 : 0;
}
