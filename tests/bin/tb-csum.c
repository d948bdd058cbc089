// SPDX-License-Identifier: BSD-2-Clause
/*
 * tb-csum - a header-less receiver that checks every IPv4/IPv6 TCP/UDP
 * frame it gets: IPv4 header checksum, TCP/UDP checksum over the pseudo
 * header, frame size.  Exits after -n frames of TCP/UDP or -t seconds.
 *
 *   tb-csum -p PORT [-n FRAMES] [-t SECONDS]
 *   prints: READY mac=...; RESULT frames= ok= bad= maxlen= l4bytes= other=
 */
#include <getopt.h>
#include "tb.h"

/* 1 ok, 0 bad, -1 not TCP/UDP over IP; *l4 gets the L4 payload length. */
static int check(const uint8_t *f, uint32_t len, uint32_t *l4pay)
{
	uint32_t ps, l4len;
	const uint8_t *l4;
	int proto;

	if (len < 14)
		return -1;
	if (f[12] == 0x08 && f[13] == 0x00) {
		const uint8_t *ip = f + 14;
		uint32_t ihl = (ip[0] & 15u) * 4, tot;

		if (len < 34 || (ip[0] >> 4) != 4 || ihl < 20 || len < 14 + ihl)
			return 0;
		tot = (uint32_t)ip[2] << 8 | ip[3];
		if (tot < ihl || 14 + tot > len || tb_fold(tb_sum16(ip, ihl, 0)) != 0xffff)
			return 0;
		proto = ip[9];
		if (proto != 6 && proto != 17)
			return -1;
		l4 = ip + ihl;
		l4len = tot - ihl;
		ps = tb_sum16(ip + 12, 8, 0) + (uint32_t)proto + l4len;
	} else if (f[12] == 0x86 && f[13] == 0xdd) {
		const uint8_t *ip = f + 14;

		if (len < 54)
			return 0;
		proto = ip[6];
		if (proto != 6 && proto != 17)
			return -1;
		l4 = ip + 40;
		l4len = (uint32_t)ip[4] << 8 | ip[5];
		if (54 + l4len > len)
			return 0;
		ps = tb_sum16(ip + 8, 32, 0) + (uint32_t)proto + l4len;
	} else {
		return -1;
	}
	if (l4len < (proto == 6 ? 20u : 8u))
		return 0;
	*l4pay = l4len - (proto == 6 ? (uint32_t)(l4[12] >> 4) * 4 : 8);
	return tb_fold(tb_sum16(l4, l4len, ps)) == 0xffff;
}

int main(int argc, char **argv)
{
	const char *name = NULL;
	uint64_t want = 0, frames = 0, ok = 0, bad = 0, other = 0, l4bytes = 0, maxlen = 0;
	unsigned int secs = 20;
	static uint8_t frame[TB_MAX_FRAME + 64];
	struct ptnet_port *p;
	struct netmap_ring *rx;
	char mac[18];
	uint64_t end;
	int c, ret;

	tb_prog = "tb-csum";
	while ((c = getopt(argc, argv, "p:n:t:")) != -1) {
		switch (c) {
		case 'p': name = optarg; break;
		case 'n': want = strtoull(optarg, NULL, 10); break;
		case 't': secs = (unsigned)atoi(optarg); break;
		default: return 2;
		}
	}
	if (!name)
		tb_die("usage: tb-csum -p PORT [-n FRAMES] [-t SECONDS]");
	ret = ptnet_port_open(name, NULL, &p);
	if (ret < 0)
		tb_die("cannot open %s: %s", name, ptnet_errmsg());
	rx = ptnet_port_rxring(p, 0);
	ptc_format_mac(ptnet_port_info(p)->mac, mac);
	tb_say("READY mac=%s", mac);
	end = tb_now_ms() + secs * 1000ull;
	while ((!want || ok + bad < want) && tb_now_ms() < end) {
		ptnet_rxsync(p, 0);
		if (nm_ring_empty(rx)) {
			if (ptnet_port_wait(p, PTNET_WAIT_RX, 100) < 0)
				break;
			continue;
		}
		while (!nm_ring_empty(rx)) {
			uint32_t len = 0, i = rx->head, l4 = 0;
			const struct netmap_slot *s;

			do {
				s = &rx->slot[i];
				if (len + s->len <= sizeof(frame))
					memcpy(frame + len, NETMAP_BUF(rx, s->buf_idx), s->len);
				len += s->len;
				i = nm_ring_next(rx, i);
			} while ((s->flags & NS_MOREFRAG) && i != rx->tail);
			rx->head = rx->cur = i;
			if (len == 0)
				continue;	/* padding slot */
			frames++;
			if (len > maxlen)
				maxlen = len;
			switch (check(frame, len, &l4)) {
			case 1:
				ok++;
				l4bytes += l4;
				break;
			case 0:
				bad++;
				break;
			default:
				other++;
			}
		}
	}
	ptnet_rxsync(p, 0);
	tb_say("RESULT frames=%llu ok=%llu bad=%llu maxlen=%llu l4bytes=%llu other=%llu",
	       (unsigned long long)frames, (unsigned long long)ok, (unsigned long long)bad,
	       (unsigned long long)maxlen, (unsigned long long)l4bytes, (unsigned long long)other);
	ptnet_port_close(p);
	return bad ? 1 : 0;
}
