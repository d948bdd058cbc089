// SPDX-License-Identifier: BSD-2-Clause
/*
 * tb-port - small port checks for the integration tests.
 *
 *   tb-port hold NAME            attach, print READY, keep draining RX until
 *                                SIGTERM (exit 0), or until the port dies (1)
 *   tb-port wait-dead NAME [MS]  attach, print READY, and expect the port to
 *                                be detached within MS (default 20000):
 *                                ptnet_port_wait, ptnet_txsync and
 *                                ptnet_rxsync must then all give -EPIPE
 *   tb-port open-fail NAME ERR   ptnet_port_open must fail with -ERR (an
 *                                errno name such as EINVAL) and a one-line
 *                                message, which is printed
 *   tb-port open NAME            attach, print the port's geometry, close
 */
#include "tb.h"

static int hold(const char *name)
{
	struct ptnet_port *p;
	uint8_t frame[TB_MAX_FRAME + 1];

	if (ptnet_port_open(name, NULL, &p) < 0)
		tb_die("cannot open %s: %s", name, ptnet_errmsg());
	tb_say("READY");
	while (!tb_stop) {
		int ret = ptnet_port_wait(p, PTNET_WAIT_RX, 1000);

		if (ret == -EINTR)
			continue;
		if (ret < 0)
			tb_die("wait: %s", ptnet_errmsg());
		for (unsigned int i = 0; i < ptnet_port_info(p)->rx_rings; i++) {
			struct netmap_ring *r = ptnet_port_rxring(p, i);
			uint32_t len;

			while (tb_rx_take(r, frame, sizeof(frame), &len) > 0)
				;
			ptnet_rxsync(p, i);
		}
	}
	ptnet_port_close(p);
	return 0;
}

static int wait_dead(const char *name, uint64_t max_ms)
{
	struct ptnet_port *p;
	uint64_t end;
	int ret = 0, fails = 0;

	if (ptnet_port_open(name, NULL, &p) < 0)
		tb_die("cannot open %s: %s", name, ptnet_errmsg());
	tb_say("READY");
	end = tb_now_ms() + max_ms;
	while (tb_now_ms() < end && !tb_stop) {
		ret = ptnet_port_wait(p, PTNET_WAIT_RX, 200);
		if (ret < 0 && ret != -EINTR)
			break;
	}
	if (ret != -EPIPE) {
		tb_log("FAIL ptnet_port_wait gave %d (%s), want -EPIPE (%d)", ret,
		       ret < 0 ? strerror(-ret) : "no error", -EPIPE);
		ptnet_port_close(p);
		return 1;
	}
	tb_say("EPIPE wait: %s", ptnet_errmsg());
	if (!strstr(ptnet_errmsg(), "detached")) {
		tb_log("FAIL message does not say the port was detached: '%s'", ptnet_errmsg());
		fails++;
	}
	ret = ptnet_txsync(p, 0);
	if (ret != -EPIPE) {
		tb_log("FAIL ptnet_txsync on a detached port gave %d, want -EPIPE", ret);
		fails++;
	}
	ret = ptnet_rxsync(p, 0);
	if (ret != -EPIPE) {
		tb_log("FAIL ptnet_rxsync on a detached port gave %d, want -EPIPE", ret);
		fails++;
	}
	ret = ptnet_port_wait(p, PTNET_WAIT_TX, 0);
	if (ret != -EPIPE) {
		tb_log("FAIL a second ptnet_port_wait gave %d, want -EPIPE", ret);
		fails++;
	}
	ptnet_port_close(p);
	if (!fails)
		tb_say("EPIPE ok");
	return fails ? 1 : 0;
}

static int open_fail(const char *name, const char *ename)
{
	struct ptnet_port *p = NULL;
	int want = -ptc_errno_from_name(ename);
	int ret = ptnet_port_open(name, NULL, &p);
	const char *msg = ptnet_errmsg();

	if (ret == 0) {
		tb_log("FAIL '%s' was accepted, want %s", name, ename);
		ptnet_port_close(p);
		return 1;
	}
	tb_say("'%s' -> %d %s: %s", name, ret, ptc_errno_name(-ret), msg);
	if (p) {
		tb_log("FAIL *portp not NULL after a failure");
		return 1;
	}
	if (ret != want) {
		tb_log("FAIL '%s' gave %s (%d), want %s (%d): %s", name, ptc_errno_name(-ret), ret,
		       ename, want, msg);
		return 1;
	}
	if (!*msg || strchr(msg, '\n')) {
		tb_log("FAIL '%s': message must be one non-empty line: '%s'", name, msg);
		return 1;
	}
	return 0;
}

static int open_ok(const char *name)
{
	struct ptnet_port *p;
	const struct ptnet_port_info *in;
	char mac[18];

	if (ptnet_port_open(name, NULL, &p) < 0)
		tb_die("cannot open %s: %s", name, ptnet_errmsg());
	in = ptnet_port_info(p);
	ptc_format_mac(in->mac, mac);
	tb_say("name=%s tx_rings=%u rx_rings=%u tx_slots=%u rx_slots=%u buf_size=%u "
	       "vnet_hdr=%u mtu=%u mac=%s",
	       in->name, in->tx_rings, in->rx_rings, in->tx_slots, in->rx_slots, in->buf_size,
	       in->vnet_hdr_len, in->mtu, mac);
	ptnet_port_close(p);
	return 0;
}

int main(int argc, char **argv)
{
	tb_prog = "tb-port";
	tb_signals();
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(argv[2]);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "wait-dead"))
		return wait_dead(argv[2], argc == 4 ? strtoull(argv[3], NULL, 0) : 20000);
	if (argc == 4 && !strcmp(argv[1], "open-fail"))
		return open_fail(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "open"))
		return open_ok(argv[2]);
	fprintf(stderr, "usage: tb-port hold NAME | wait-dead NAME [MS] | open-fail NAME ERRNAME | "
			"open NAME\n");
	return 2;
}
