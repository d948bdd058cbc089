/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * swload - the load of bench/scale.sh: many pairs of ports on one or many
 * switches, all sending at once, from one process of two threads.
 *
 *	swload [-s PREFIX] [-w SWITCHES] [-p PAIRS] [-d SECONDS] [-l LEN]
 *	       [-F FLOOD_MACS] [-M METRICS_SOCKET] [-P PTNETD_PID] [--json]
 *
 * Opens SWITCHES switches PREFIX0, PREFIX1, ... (default "valesc", 1
 * switch) with PAIRS pairs of ports each (default 1): tK (MAC
 * 02:5c:SS:KK:00:01) sends LEN-byte frames (default 60) unicast to rK
 * (02:5c:SS:KK:00:02).  Before any load every port announces its MAC with
 * one broadcast frame, so the learning switch forwards each pair's traffic
 * to its receiver alone.  One thread fills every tK's TX ring in turn, one
 * thread drains every rK's RX ring in turn: three runnable threads (sender,
 * ptnetd's worker, receiver) whatever the number of ports, so the curve
 * shows the switch, not 64 processes queueing for two CPUs.  After 0.3 s
 * of warm-up the receiver's count over SECONDS (default 3) is the rate.
 *
 * -F N: before the load, port fl of the first switch sends N frames from N
 * distinct source MACs (to r0, whose ring overflows: counted drops), which
 * the switch learns as far as its table holds them; with -M SOCKET (the
 * UNIX socket of "ptnetd --metrics") the table's size is reported before
 * and after the flood and at the end (-1: unknown).  -P PID: ptnetd's CPU
 * time over the measured window, in all and per packet received.
 *
 * The JSON line (--json: the only thing on stdout): tool, switches, pairs
 * (in all), pairs_per_switch, ports, frame_len, seconds, packets, pps,
 * pair_pps_min/max (the slowest and fastest pair), sent, flood_macs,
 * fdb_before_flood, fdb_after_flood, fdb_end, daemon_cpu_s,
 * daemon_ns_per_packet.  Exit 0, or 1 when a port cannot be opened or
 * nothing arrived.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <ptnet/barrier.h>
#include <ptnet/ptnet.h>

#define ETH_BENCH	0x88b5		/* local experimental ethertype */
#define MAX_PORTS	256
#define BATCH		256		/* frames per ring per round */
#define IDLE_ROUNDS	64		/* rounds without progress before a 1 ms wait */

struct pair {
	struct ptnet_port *tx, *rx;
	uint8_t tmac[6], rmac[6];
	uint64_t rx_pkts;		/* receiver thread only; read by main (relaxed) */
	uint64_t tx_pkts;		/* sender thread only */
};

static struct pair pairs[MAX_PORTS / 2];
static unsigned int npairs;
static uint32_t frame_len = 60;
static int stop;			/* main -> threads, relaxed: a flag */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, const char *name, int err)
{
	fprintf(stderr, "swload: %s %s: %s (%s)\n", what, name, strerror(-err), ptnet_errmsg());
	exit(1);
}

static struct ptnet_port *open_port(const char *sw, const char *port, const uint8_t mac[6])
{
	char name[128];
	struct ptnet_port *p;
	int ret;

	snprintf(name, sizeof(name), "%s:%s@conf:mac=%02x:%02x:%02x:%02x:%02x:%02x", sw, port,
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	ret = ptnet_port_open(name, NULL, &p);
	if (ret < 0)
		die("cannot open", name, ret);
	return p;
}

/* Put one LEN-byte frame DST <- SRC into the next TX slot (the ring has space). */
static void put_frame(struct ptnet_port *p, struct netmap_ring *r, const uint8_t dst[6],
		      const uint8_t src[6], uint32_t len)
{
	struct netmap_slot *s = &r->slot[r->head];
	uint32_t vnet = ptnet_port_info(p)->vnet_hdr_len;
	uint8_t *f = (uint8_t *)NETMAP_BUF(r, s->buf_idx);

	memset(f, 0, vnet + 14);
	memcpy(f + vnet, dst, 6);
	memcpy(f + vnet + 6, src, 6);
	f[vnet + 12] = ETH_BENCH >> 8;
	f[vnet + 13] = ETH_BENCH & 0xff;
	s->len = (uint16_t)(vnet + len);
	s->flags = 0;
	r->head = r->cur = nm_ring_next(r, r->head);
}

/* Send one frame and wait (at most 5 s) until ptnetd has taken it. */
static void send_one(struct ptnet_port *p, const uint8_t dst[6], const uint8_t src[6])
{
	struct netmap_ring *r = ptnet_port_txring(p, 0);
	uint64_t end = now_ns() + 5000000000ull;

	while (nm_ring_space(r) == 0 && now_ns() < end)
		ptnet_port_wait(p, PTNET_WAIT_TX, 10);
	if (nm_ring_space(r) == 0)
		die("TX ring stays full on", ptnet_port_info(p)->name, -EAGAIN);
	put_frame(p, r, dst, src, 60);
	ptnet_txsync(p, 0);
	while (nm_ring_space(r) < r->num_slots - 1 && now_ns() < end)
		ptnet_port_wait(p, PTNET_WAIT_TX, 10);
}

/* Release everything in P's RX rings; returns the packets released. */
static uint64_t drain(struct ptnet_port *p)
{
	struct netmap_ring *r = ptnet_port_rxring(p, 0);
	uint64_t n = 0;

	ptnet_rxsync(p, 0);
	for (uint32_t i = r->head; i != r->tail; i = nm_ring_next(r, i))
		if (!(r->slot[i].flags & NS_MOREFRAG))
			n++;
	r->head = r->cur = r->tail;
	ptnet_rxsync(p, 0);
	return n;
}

static void *sender(void *arg)
{
	unsigned int idle = 0, w = 0;

	(void)arg;
	while (!PTNET_READ_ONCE(stop)) {
		int moved = 0;

		for (unsigned int k = 0; k < npairs; k++) {
			struct pair *q = &pairs[k];
			struct netmap_ring *r = ptnet_port_txring(q->tx, 0);
			uint32_t n = nm_ring_space(r);

			if (n > BATCH)
				n = BATCH;
			for (uint32_t i = 0; i < n; i++)
				put_frame(q->tx, r, q->rmac, q->tmac, frame_len);
			if (ptnet_txsync(q->tx, 0) < 0)
				return NULL;
			PTNET_WRITE_ONCE(q->tx_pkts, q->tx_pkts + n);
			moved |= n != 0;
		}
		if (moved) {
			idle = 0;
		} else if (++idle < IDLE_ROUNDS) {
			sched_yield();
		} else {
			/* Every ring full for a while: sleep on one of them, in turn. */
			ptnet_port_wait(pairs[w++ % npairs].tx, PTNET_WAIT_TX, 1);
		}
	}
	return NULL;
}

static void *receiver(void *arg)
{
	unsigned int idle = 0, w = 0;

	(void)arg;
	while (!PTNET_READ_ONCE(stop)) {
		uint64_t moved = 0;

		for (unsigned int k = 0; k < npairs; k++) {
			uint64_t n = drain(pairs[k].rx);

			PTNET_WRITE_ONCE(pairs[k].rx_pkts, pairs[k].rx_pkts + n);
			moved += n;
		}
		if (moved) {
			idle = 0;
		} else if (++idle < IDLE_ROUNDS) {
			sched_yield();
		} else {
			ptnet_port_wait(pairs[w++ % npairs].rx, PTNET_WAIT_RX, 1);
		}
	}
	return NULL;
}

/*
 * ptnetd's MAC table size for switch SW, from its metrics page (-M: the
 * UNIX socket of ptnetd --metrics), or -1.  Not the "fdb" request: ptnetd
 * sends its ~1000 records without waiting for the reader, and a busy reader
 * loses the connection.
 */
static long fdb_count(const char *metrics, const char *sw)
{
	static char page[1 << 20];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *req = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
	char key[96], *at;
	size_t got = 0;
	long n = -1;
	int fd;

	if (!metrics || strlen(metrics) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, metrics);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    write(fd, req, strlen(req)) == (ssize_t)strlen(req)) {
		for (;;) {
			ssize_t r = read(fd, page + got, sizeof(page) - 1 - got);

			if (r <= 0)
				break;
			got += (size_t)r;
		}
	}
	close(fd);
	page[got] = '\0';
	snprintf(key, sizeof(key), "ptnet_switch_fdb_entries{switch=\"%s\"} ", sw);
	at = strstr(page, key);
	if (at)
		n = strtol(at + strlen(key), NULL, 10);
	return n;
}

/* utime + stime of process PID in clock ticks (-P), or 0. */
static uint64_t cpu_ticks(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* After "pid (comm)": state is field 3, utime 14 and stime 15. */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return 0;
	return ut + st;
}

/* Source MAC number I of the flood: 02:xx:xx:xx:xx:xx, distinct for every I < 2^40. */
static void flood_mac(uint64_t i, uint8_t m[6])
{
	/* Multiplication by an odd constant is a bijection modulo 2^40. */
	uint64_t v = (i * 0x9e3779b97full) & 0xffffffffffull;

	m[0] = 0x02;
	for (int b = 1; b < 6; b++)
		m[b] = (uint8_t)(v >> (8 * (5 - b)));
}

static void flood(struct ptnet_port *fl, const uint8_t dst[6], uint64_t count)
{
	struct netmap_ring *r = ptnet_port_txring(fl, 0);
	uint64_t sent = 0, end = now_ns() + 60000000000ull;
	uint8_t src[6];

	while (sent < count && now_ns() < end) {
		uint32_t n = nm_ring_space(r);

		if (n > count - sent)
			n = (uint32_t)(count - sent);
		for (uint32_t i = 0; i < n; i++, sent++) {
			flood_mac(sent, src);
			put_frame(fl, r, dst, src, 60);
		}
		ptnet_txsync(fl, 0);
		if (!n)
			ptnet_port_wait(fl, PTNET_WAIT_TX, 10);
		drain(pairs[0].rx);	/* keep r0 from holding the flood back (it drops anyway) */
	}
	while (nm_ring_space(r) < r->num_slots - 1 && now_ns() < end)
		ptnet_port_wait(fl, PTNET_WAIT_TX, 10);
	if (sent < count)
		fprintf(stderr, "swload: flood stopped after %llu of %llu frames (60 s)\n",
			(unsigned long long)sent, (unsigned long long)count);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const char *prefix = "valesc";
	unsigned int nsw = 1, per = 1;
	double secs = 3;
	uint64_t nflood = 0;
	int json = 0, c;
	long fdb0 = -1, fdb1 = -1, fdb2, dpid = 0;
	const char *metrics = NULL;
	char sw0[32];
	struct ptnet_port *fl = NULL;

	while ((c = getopt_long(argc, argv, "s:w:p:d:l:F:M:P:h", lo, NULL)) != -1) {
		switch (c) {
		case 's': prefix = optarg; break;
		case 'w': nsw = (unsigned int)atoi(optarg); break;
		case 'p': per = (unsigned int)atoi(optarg); break;
		case 'd': secs = atof(optarg); break;
		case 'l': frame_len = (uint32_t)atoi(optarg); break;
		case 'F': nflood = strtoull(optarg, NULL, 10); break;
		case 'M': metrics = optarg; break;
		case 'P': dpid = atol(optarg); break;
		case 'j': json = 1; break;
		default:
			fprintf(stderr, "usage: swload [-s PREFIX] [-w SWITCHES] [-p PAIRS] "
				"[-d SECONDS] [-l LEN] [-F FLOOD_MACS] [-M METRICS_SOCKET] "
				"[-P PTNETD_PID] [--json]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (nsw < 1 || per < 1 || nsw * per > MAX_PORTS / 2 || nsw > 99 || secs <= 0 ||
	    frame_len < 60 || frame_len > 1514 || strlen(prefix) > 9) {
		fprintf(stderr, "swload: 1..%d pairs in all, at most 99 switches, -l 60..1514, "
			"a prefix of at most 9 characters\n", MAX_PORTS / 2);
		return 2;
	}
	npairs = nsw * per;
	for (unsigned int s = 0; s < nsw; s++) {
		char sw[32], pn[16];

		snprintf(sw, sizeof(sw), "%s%u", prefix, s);
		for (unsigned int k = 0; k < per; k++) {
			struct pair *q = &pairs[s * per + k];
			uint8_t t[6] = { 0x02, 0x5c, (uint8_t)s, (uint8_t)k, 0, 1 };

			memcpy(q->tmac, t, 6);
			memcpy(q->rmac, t, 6);
			q->rmac[5] = 2;
			snprintf(pn, sizeof(pn), "t%u", k);
			q->tx = open_port(sw, pn, q->tmac);
			snprintf(pn, sizeof(pn), "r%u", k);
			q->rx = open_port(sw, pn, q->rmac);
		}
	}
	/* Every port announces itself; the broadcasts land in the RX rings, drained below. */
	for (unsigned int k = 0; k < npairs; k++) {
		send_one(pairs[k].rx, bcast, pairs[k].rmac);
		send_one(pairs[k].tx, bcast, pairs[k].tmac);
	}
	snprintf(sw0, sizeof(sw0), "%s0", prefix);
	if (nflood) {
		static const uint8_t flmac[6] = { 0x02, 0x5c, 0xff, 0xff, 0, 3 };
		fl = open_port(sw0, "fl", flmac);

		fdb0 = fdb_count(metrics, sw0);
		flood(fl, pairs[0].rmac, nflood);
		fdb1 = fdb_count(metrics, sw0);
		/* fl stays open: closing it would forget its entries. */
	}
	for (unsigned int k = 0; k < npairs; k++) {
		drain(pairs[k].rx);
		drain(pairs[k].tx);
	}

	pthread_t ts, tr;
	uint64_t *r0 = calloc(npairs, sizeof(*r0)), sent0 = 0, sent1 = 0, got = 0;
	double mn = 0, mx = 0, el;

	if (!r0 || pthread_create(&tr, NULL, receiver, NULL) ||
	    pthread_create(&ts, NULL, sender, NULL)) {
		fprintf(stderr, "swload: cannot start the threads\n");
		return 1;
	}
	usleep(300000);
	uint64_t t0 = now_ns(), c0 = cpu_ticks(dpid), c1;

	for (unsigned int k = 0; k < npairs; k++) {
		r0[k] = PTNET_READ_ONCE(pairs[k].rx_pkts);
		sent0 += PTNET_READ_ONCE(pairs[k].tx_pkts);
	}
	usleep((useconds_t)(secs * 1e6));
	el = (double)(now_ns() - t0) / 1e9;
	c1 = cpu_ticks(dpid);
	for (unsigned int k = 0; k < npairs; k++) {
		uint64_t n = PTNET_READ_ONCE(pairs[k].rx_pkts) - r0[k];
		double pps = (double)n / el;

		got += n;
		sent1 += PTNET_READ_ONCE(pairs[k].tx_pkts);
		if (k == 0 || pps < mn)
			mn = pps;
		if (k == 0 || pps > mx)
			mx = pps;
	}
	double dcpu = dpid > 0 ? (double)(c1 - c0) / (double)sysconf(_SC_CLK_TCK) : 0.0;

	PTNET_WRITE_ONCE(stop, 1);
	pthread_join(ts, NULL);
	pthread_join(tr, NULL);
	fdb2 = fdb_count(metrics, sw0);
	if (json)
		printf("{\"tool\":\"swload\",\"switches\":%u,\"pairs\":%u,\"ports\":%u,"
		       "\"frame_len\":%u,\"seconds\":%.3f,\"packets\":%llu,\"pps\":%.0f,"
		       "\"pair_pps_min\":%.0f,\"pair_pps_max\":%.0f,\"sent\":%llu,"
		       "\"flood_macs\":%llu,\"fdb_before_flood\":%ld,\"fdb_after_flood\":%ld,"
		       "\"fdb_end\":%ld,\"pairs_per_switch\":%u,\"daemon_cpu_s\":%.3f,"
		       "\"daemon_ns_per_packet\":%.1f}\n", nsw, npairs, 2 * npairs + (nflood ? 1 : 0), frame_len,
		       el, (unsigned long long)got, (double)got / el, mn, mx,
		       (unsigned long long)(sent1 - sent0), (unsigned long long)nflood, fdb0, fdb1,
		       fdb2, per, dcpu, got ? dcpu * 1e9 / (double)got : 0.0);
	else
		printf("swload: %u switch(es) x %u pair(s): %.3f Mpps in all (pairs %.3f..%.3f), "
		       "%llu frames in %.2f s; fdb %ld -> %ld after %llu flooded MACs, %ld at the end\n",
		       nsw, per, (double)got / el / 1e6, mn / 1e6, mx / 1e6, (unsigned long long)got,
		       el, fdb0, fdb1, (unsigned long long)nflood, fdb2);
	free(r0);
	ptnet_port_close(fl);
	for (unsigned int k = 0; k < npairs; k++) {
		ptnet_port_close(pairs[k].tx);
		ptnet_port_close(pairs[k].rx);
	}
	return got ? 0 : 1;
}
