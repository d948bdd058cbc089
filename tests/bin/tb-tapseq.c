// SPDX-License-Identifier: BSD-2-Clause
/*
 * tb-tapseq - sequence-numbered frames through a network interface (run in
 * the namespace of a TAP port), over AF_PACKET, to check order and
 * completeness through the kernel side of tap ports.
 *
 *   tb-tapseq send -i IF -D MAC -k ID -n FRAMES [-b BURST]
 *       FRAMES frames (TB_ETH_DATA, tb.h layout, lengths 60..1514) to MAC,
 *       in bursts of BURST (32) with a short pause between them (fewer
 *       drops in the kernel queues; none is assumed).  A send the kernel
 *       refuses (ENOBUFS) is retried.  Prints "SENT id=ID n=N".
 *   tb-tapseq recv -i IF -w SECONDS
 *       announce the interface's MAC (one TB_ETH_HELLO broadcast), print
 *       "READY mac=M", then take TB_ETH_DATA frames until none came for
 *       SECONDS (after the first) or SIGTERM.  Prints one line per sender,
 *       "SRC id=I got=N last=S reorder=R", then "RESULT got=N reorder=R
 *       sock_drops=D" (D: frames the socket dropped, PACKET_STATISTICS).
 *       Exits 1 if any sender's frames came out of order or twice.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "tb.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int open_sock(const char *ifname, uint16_t proto, uint8_t *mac, int *ifindex)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(proto) };
	struct ifreq ifr = { 0 };
	int s = socket(AF_PACKET, SOCK_RAW, htons(proto));

	if (s < 0) {
		perror("tb-tapseq: socket");
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFINDEX, &ifr) < 0 || (*ifindex = ifr.ifr_ifindex,
						  ioctl(s, SIOCGIFHWADDR, &ifr) < 0)) {
		perror("tb-tapseq: interface");
		close(s);
		return -1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_ifindex = *ifindex;
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("tb-tapseq: bind");
		close(s);
		return -1;
	}
	return s;
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static int do_send(const char *ifname, const uint8_t *dmac, unsigned int id, uint64_t n,
		   unsigned int burst)
{
	uint8_t mac[6], f[1514];
	uint64_t sent = 0;
	int ifindex, s = open_sock(ifname, TB_ETH_DATA, mac, &ifindex);

	if (s < 0)
		return 2;
	memset(f, 0xa5, sizeof(f));
	memcpy(f, dmac, 6);
	memcpy(f + 6, mac, 6);
	f[12] = TB_ETH_DATA >> 8;
	f[13] = TB_ETH_DATA & 0xff;
	put32(f + 14, TB_MAGIC_DATA);
	put16(f + 18, (uint16_t)id);
	put16(f + 20, 0);
	while (sent < n) {
		for (unsigned int b = 0; b < burst && sent < n;) {
			uint32_t len = 60 + (uint32_t)((sent * 7919) % (1514 - 60 + 1));

			put32(f + 22, len);
			memcpy(f + 26, &sent, 8);
			if (send(s, f, len, 0) == (ssize_t)len) {
				sent++;
				b++;
			} else if (errno == ENOBUFS || errno == EAGAIN) {
				usleep(100);
			} else {
				perror("tb-tapseq: send");
				return 1;
			}
		}
		usleep(200);
	}
	printf("SENT id=%u n=%llu\n", id, (unsigned long long)sent);
	close(s);
	return 0;
}

static int do_recv(const char *ifname, unsigned int idle_s)
{
	static uint64_t got[TB_MAX_IDS], next[TB_MAX_IDS], reorder[TB_MAX_IDS];
	uint8_t mac[6], f[2048];
	uint64_t total = 0, bad = 0;
	struct tpacket_stats ps;
	socklen_t pl = sizeof(ps);
	int ifindex, s = open_sock(ifname, TB_ETH_DATA, mac, &ifindex);
	int rcvbuf = 8 << 20, rc = 0;
	time_t last = 0;
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = 0, .sll_halen = 6 };
	uint8_t hello[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (s < 0)
		return 2;
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	getsockopt(s, SOL_PACKET, PACKET_STATISTICS, &ps, &pl);	/* resets them */
	/* The switch learns our MAC from one broadcast. */
	memcpy(hello + 6, mac, 6);
	hello[12] = TB_ETH_HELLO >> 8;
	hello[13] = TB_ETH_HELLO & 0xff;
	put32(hello + 14, TB_MAGIC_HELLO);
	to.sll_ifindex = ifindex;
	to.sll_protocol = htons(TB_ETH_HELLO);
	memset(to.sll_addr, 0xff, 6);
	if (sendto(s, hello, sizeof(hello), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("tb-tapseq: hello");
		return 2;
	}
	printf("READY mac=%02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2], mac[3],
	       mac[4], mac[5]);
	fflush(stdout);
	while (!stop) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		ssize_t l;
		uint32_t magic;
		uint16_t id;
		uint64_t seq;

		if (last && time(NULL) - last > (time_t)idle_s)
			break;
		if (poll(&p, 1, 200) <= 0)
			continue;
		l = recv(s, f, sizeof(f), MSG_DONTWAIT);
		if (l < 34)
			continue;
		memcpy(&magic, f + 14, 4);
		if (magic != TB_MAGIC_DATA || f[12] != (TB_ETH_DATA >> 8) ||
		    f[13] != (TB_ETH_DATA & 0xff))
			continue;
		memcpy(&id, f + 18, 2);
		memcpy(&seq, f + 26, 8);
		last = time(NULL);
		if (id >= TB_MAX_IDS) {
			bad++;
			continue;
		}
		total++;
		got[id]++;
		/* Gaps are drops (counted elsewhere); going back is a reorder or a duplicate. */
		if (seq < next[id])
			reorder[id]++;
		else
			next[id] = seq + 1;
	}
	pl = sizeof(ps);
	getsockopt(s, SOL_PACKET, PACKET_STATISTICS, &ps, &pl);
	for (unsigned int i = 0; i < TB_MAX_IDS; i++) {
		if (!got[i])
			continue;
		printf("SRC id=%u got=%llu last=%llu reorder=%llu\n", i,
		       (unsigned long long)got[i], (unsigned long long)next[i],
		       (unsigned long long)reorder[i]);
		bad += reorder[i];
	}
	printf("RESULT got=%llu reorder=%llu sock_drops=%u\n", (unsigned long long)total,
	       (unsigned long long)bad, ps.tp_drops);
	if (bad)
		rc = 1;
	close(s);
	return rc;
}

int main(int argc, char **argv)
{
	const char *ifname = NULL;
	uint8_t dmac[6] = { 0 };
	unsigned int id = 1, burst = 32, idle = 3;
	uint64_t n = 1000;
	bool have_mac = false;
	struct sigaction sa = { .sa_handler = on_term };
	int c;

	if (argc < 2)
		goto usage;
	while ((c = getopt(argc - 1, argv + 1, "i:D:k:n:b:w:")) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 'D':
			if (ptc_parse_mac(optarg, dmac))
				goto usage;
			have_mac = true;
			break;
		case 'k': id = (unsigned)atoi(optarg); break;
		case 'n': n = strtoull(optarg, NULL, 0); break;
		case 'b': burst = (unsigned)atoi(optarg); break;
		case 'w': idle = (unsigned)atoi(optarg); break;
		default: goto usage;
		}
	}
	if (!ifname || !burst || id >= TB_MAX_IDS)
		goto usage;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!strcmp(argv[1], "send") && have_mac)
		return do_send(ifname, dmac, id, n, burst);
	if (!strcmp(argv[1], "recv"))
		return do_recv(ifname, idle);
usage:
	fprintf(stderr, "usage: tb-tapseq send -i IF -D MAC -k ID -n FRAMES [-b BURST]\n"
			"       tb-tapseq recv -i IF [-w IDLE_SECONDS]\n");
	return 2;
}
