// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm-txrx - a netmap-API sender/receiver for the preload tests.  It uses
 * only /dev/netmap (nm.h), as a program built against netmap would.
 *
 *   nm-txrx tx|rx -i PORT [-r RINGS] [-p] [-L] [-E] [-w busy|poll|select|epoll]
 *           [-n FRAMES] [-B WINDOW]
 *
 * -r RINGS  ring pairs asked for at registration (nr_tx_rings/nr_rx_rings)
 * -p        one thread per ring, each registering NR_REG_ONE_NIC ring i;
 *           threads 1.. clone thread 0's registration (its nr_mem_id) and
 *           do not mmap: they use thread 0's mapping at their nr_offset
 * -L        legacy registration (NIOCREGIF, struct nmreq)
 * -w        how to wait: NIOC*SYNC loops, poll(), select(), epoll_wait()
 * -E        echo (tx only): instead of an ack, each window must come back
 *           whole on the RX ring (from a reflector such as nm-swap fwd),
 *           every frame checked as the receiver checks them
 *
 * Per ring, the sender sends FRAMES frames in windows of WINDOW; after each
 * window the receiver answers with an ack frame on its TX ring of the same
 * number, and only then does the next window go out: a ring never holds
 * more than WINDOW frames, so nothing is dropped whatever the timing.  The
 * receiver checks every frame (length, ring, sequence, every byte).
 * Prints READY after registering, then "SENT frames=N" / "RECV frames=N";
 * exits 0 on success, 1 on any error, 2 on usage.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>
#include "nm.h"

#define ET_DATA 0x88b5
#define ET_ACK	0x88b6
#define MAGIC	0x6e6d7478u

enum { W_BUSY, W_POLL, W_SELECT, W_EPOLL };

static const char *g_port;
static unsigned int g_rings = 1, g_frames = 10000, g_win = 256;
static int g_tx, g_threads, g_legacy, g_wait, g_echo;
static char *g_mem;
static uint16_t g_mem_id;
static time_t g_deadline;

struct th {
	pthread_t t;
	unsigned int ring;
	int fd, ep;
	struct t_if *nifp;
	struct t_ring *tx, *rx;
	int err;
	unsigned long done;
};

static int fail(struct th *t, const char *msg, unsigned long a, unsigned long b)
{
	fprintf(stderr, "ring %u: %s (%lu, %lu)\n", t->ring, msg, a, b);
	t->err = 1;
	return -1;
}

static int reg(struct th *t, int mode, unsigned int ring)
{
	t->fd = open("/dev/netmap", O_RDWR);
	if (t->fd < 0)
		return fail(t, "open /dev/netmap", (unsigned long)errno, 0);
	if (g_legacy) {
		struct t_legacy nr = { 0 };

		snprintf(nr.nr_name, sizeof(nr.nr_name), "%s", g_port);
		nr.nr_version = 14;
		nr.nr_flags = (uint32_t)mode;
		nr.nr_ringid = (uint16_t)ring;
		nr.nr_tx_rings = nr.nr_rx_rings = (uint16_t)g_rings;
		nr.nr_arg2 = g_mem_id;
		if (t_ioctl(t->fd, T_NIOCREGIF, &nr))
			return fail(t, "NIOCREGIF", (unsigned long)errno, 0);
		if (!g_mem) {
			g_mem = mmap(NULL, nr.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED,
				     t->fd, 0);
			if (g_mem == MAP_FAILED)
				return fail(t, "mmap", (unsigned long)errno, 0);
			g_mem_id = nr.nr_arg2;
		} else if (nr.nr_arg2 != g_mem_id) {
			return fail(t, "clone got another mem_id", nr.nr_arg2, g_mem_id);
		}
		t->nifp = (struct t_if *)(g_mem + nr.nr_offset);
	} else {
		struct t_reg r = { 0 };
		struct t_hdr h;

		t_hdr_init(&h, T_REGISTER, g_port, &r);
		r.nr_mode = (uint32_t)mode;
		r.nr_ringid = (uint16_t)ring;
		r.nr_tx_rings = r.nr_rx_rings = (uint16_t)g_rings;
		r.nr_mem_id = g_mem_id;
		r.nr_flags = T_F_ACCEPT_VNET;
		if (t_ioctl(t->fd, T_NIOCCTRL, &h))
			return fail(t, "NIOCCTRL REGISTER", (unsigned long)errno, 0);
		if (r.nr_tx_rings != g_rings || r.nr_rx_rings != g_rings)
			return fail(t, "ring count", r.nr_tx_rings, g_rings);
		if (!g_mem) {
			g_mem = mmap(NULL, r.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED,
				     t->fd, 0);
			if (g_mem == MAP_FAILED)
				return fail(t, "mmap", (unsigned long)errno, 0);
			g_mem_id = r.nr_mem_id;
		} else if (r.nr_mem_id != g_mem_id) {
			return fail(t, "clone got another mem_id", r.nr_mem_id, g_mem_id);
		}
		t->nifp = (struct t_if *)(g_mem + r.nr_offset);
	}
	/* Unbound rings have ring_ofs 0; the bound ones are ours. */
	if (mode == T_ONE_NIC) {
		for (unsigned int i = 0; i < t->nifp->ni_tx_rings; i++)
			if ((t->nifp->ring_ofs[i] != 0) != (i == ring))
				return fail(t, "ring_ofs of TX ring", i, ring);
	}
	t->tx = t_txring(t->nifp, t->ring);
	t->rx = t_rxring(t->nifp, t->ring);
	if (t->tx->ringid != t->ring || t->rx->ringid != t->ring || t->tx->dir != 0 ||
	    t->rx->dir != 1)
		return fail(t, "ring ids", t->tx->ringid, t->rx->ringid);
	if (g_wait == W_EPOLL) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 };

		t->ep = epoll_create1(0);
		if (t->ep < 0 || epoll_ctl(t->ep, EPOLL_CTL_ADD, t->fd, &ev))
			return fail(t, "epoll", (unsigned long)errno, 0);
	}
	return 0;
}

static int late(void)
{
	return time(NULL) > g_deadline;
}

/* Wait until the RX ring has something (rx) or the TX ring has space (tx). */
static int wait_ring(struct th *t, int rx)
{
	if (late())
		return fail(t, "timed out waiting", (unsigned long)rx, 0);
	switch (g_wait) {
	case W_BUSY:
		if (t_ioctl(t->fd, rx ? T_NIOCRXSYNC : T_NIOCTXSYNC, NULL))
			return fail(t, "sync", (unsigned long)errno, 0);
		sched_yield();
		return 0;
	case W_POLL: {
		struct pollfd p = { t->fd, (short)(rx ? POLLIN : POLLOUT), 0 };
		int n = poll(&p, 1, 1000);

		if (n < 0 || (p.revents & POLLERR))
			return fail(t, "poll", (unsigned long)errno, (unsigned long)p.revents);
		return 0;
	}
	case W_SELECT: {
		fd_set s;
		struct timeval tv = { 1, 0 };

		FD_ZERO(&s);
		FD_SET(t->fd, &s);
		if (select(t->fd + 1, rx ? &s : NULL, rx ? NULL : &s, NULL, &tv) < 0)
			return fail(t, "select", (unsigned long)errno, 0);
		return 0;
	}
	default: {
		struct epoll_event ev;

		if (!rx)	/* epoll waits on RX; TX space by syncing */
			return t_ioctl(t->fd, T_NIOCTXSYNC, NULL) ? fail(t, "txsync", 0, 0) : 0;
		if (epoll_wait(t->ep, &ev, 1, 1000) < 0)
			return fail(t, "epoll_wait", (unsigned long)errno, 0);
		if (ev.data.u32 != 7)
			return fail(t, "epoll data", ev.data.u32, 7);
		return 0;
	}
	}
}

static unsigned int frame_len(unsigned long seq)
{
	return 60 + (unsigned int)((seq * 7) % 1455);
}

static void put_frame(char *b, uint16_t et, unsigned int ring, unsigned long seq, unsigned int len)
{
	memset(b, 0xff, 6);
	memcpy(b + 6, "\x02\x00\x00\x00\x00", 5);
	b[11] = (char)(g_tx ? 1 : 2);
	b[12] = (char)(et >> 8);
	b[13] = (char)et;
	uint32_t w[3] = { MAGIC, ring, (uint32_t)seq };
	memcpy(b + 14, w, sizeof(w));
	for (unsigned int i = 26; i < len; i++)
		b[i] = (char)(seq + i);
}

static int send_one(struct th *t, uint16_t et, unsigned long seq, unsigned int len)
{
	struct t_ring *r = t->tx;

	while (t_space(r) == 0)
		if (wait_ring(t, 0))
			return -1;
	struct t_slot *s = &r->slot[r->head];

	put_frame(t_buf(r, s->buf_idx), et, t->ring, seq, len);
	s->len = (uint16_t)len;
	s->flags = 0;
	r->head = r->cur = t_next(r, r->head);
	return 0;
}

/* The next frame of type ET from the RX ring (others skipped); 1 when got. */
static int recv_one(struct th *t, uint16_t et, char **buf, unsigned int *len)
{
	struct t_ring *r = t->rx;

	for (;;) {
		while (r->head == r->tail) {
			r->cur = r->head;
			if (wait_ring(t, 1))
				return -1;
		}
		struct t_slot *s = &r->slot[r->head];
		char *b = t_buf(r, s->buf_idx);

		r->head = r->cur = t_next(r, r->head);
		if (s->len >= 26 && (uint8_t)b[12] == et >> 8 && (uint8_t)b[13] == (et & 0xff)) {
			*buf = b;
			*len = s->len;
			return 1;
		}
	}
}

static int check_frame(struct th *t, const char *b, unsigned int len, unsigned long seq)
{
	uint32_t w[3];

	memcpy(w, b + 14, sizeof(w));
	if (w[0] != MAGIC || w[1] != t->ring)
		return fail(t, "bad magic or ring", w[0], w[1]);
	if (w[2] != (uint32_t)seq)
		return fail(t, "sequence", w[2], seq);
	if (len != frame_len(seq))
		return fail(t, "length", len, frame_len(seq));
	for (unsigned int i = 26; i < len; i++)
		if (b[i] != (char)(seq + i))
			return fail(t, "payload byte", i, seq);
	return 0;
}

/* Everything queued on TX consumed: tail caught up with head. */
static int drain_tx(struct th *t)
{
	while (t_next(t->tx, t->tx->tail) != t->tx->head) {
		if (late())
			return fail(t, "TX ring never drained", t->tx->head, t->tx->tail);
		if (t_ioctl(t->fd, T_NIOCTXSYNC, NULL))
			return fail(t, "txsync", (unsigned long)errno, 0);
		usleep(100);
	}
	return 0;
}

static void *run(void *arg)
{
	struct th *t = arg;
	char *b;
	unsigned int len;

	for (unsigned long seq = 0; seq < g_frames && !t->err;) {
		unsigned long end = seq + g_win < g_frames ? seq + g_win : g_frames;

		if (g_tx) {
			unsigned long start = seq;

			for (; seq < end; seq++)
				if (send_one(t, ET_DATA, seq, frame_len(seq)))
					return NULL;
			if (t_ioctl(t->fd, T_NIOCTXSYNC, NULL))
				return fail(t, "txsync", (unsigned long)errno, 0), NULL;
			if (g_echo) {	/* the window comes back, every frame checked */
				for (unsigned long k = start; k < end; k++)
					if (recv_one(t, ET_DATA, &b, &len) < 0 ||
					    check_frame(t, b, len, k))
						return NULL;
				t->done = seq;
				continue;
			}
			if (recv_one(t, ET_ACK, &b, &len) < 0)
				return NULL;
			uint32_t w[3];

			memcpy(w, b + 14, sizeof(w));
			if (w[1] != t->ring || w[2] != end)
				return fail(t, "ack", w[2], end), NULL;
		} else {
			for (; seq < end; seq++) {
				if (recv_one(t, ET_DATA, &b, &len) < 0 ||
				    check_frame(t, b, len, seq))
					return NULL;
			}
			if (send_one(t, ET_ACK, end, 60) ||
			    t_ioctl(t->fd, T_NIOCTXSYNC, NULL))
				return NULL;
		}
		t->done = seq;
	}
	drain_tx(t);
	return NULL;
}

int main(int argc, char **argv)
{
	struct th th[16] = { 0 };
	unsigned long total = 0;
	int c, err = 0;

	if (argc < 2 || (strcmp(argv[1], "tx") && strcmp(argv[1], "rx")))
		goto usage;
	g_tx = !strcmp(argv[1], "tx");
	optind = 2;
	while ((c = getopt(argc, argv, "i:r:pLEw:n:B:")) != -1) {
		switch (c) {
		case 'i': g_port = optarg; break;
		case 'r': g_rings = (unsigned int)atoi(optarg); break;
		case 'p': g_threads = 1; break;
		case 'L': g_legacy = 1; break;
		case 'E': g_echo = 1; break;
		case 'n': g_frames = (unsigned int)atoi(optarg); break;
		case 'B': g_win = (unsigned int)atoi(optarg); break;
		case 'w':
			g_wait = !strcmp(optarg, "poll") ? W_POLL : !strcmp(optarg, "select") ? W_SELECT :
				 !strcmp(optarg, "epoll") ? W_EPOLL : W_BUSY;
			break;
		default: goto usage;
		}
	}
	if (!g_port || g_rings < 1 || g_rings > 16 || !g_win)
		goto usage;
	g_deadline = time(NULL) + 60;
	unsigned int n = g_threads ? g_rings : 1;

	for (unsigned int i = 0; i < n; i++) {
		th[i].ring = i;
		th[i].ep = -1;
		if (reg(&th[i], g_threads ? T_ONE_NIC : T_ALL_NIC, i))
			return 1;
	}
	printf("READY mem_id=%u\n", g_mem_id);
	fflush(stdout);
	for (unsigned int i = 0; i < n; i++)
		pthread_create(&th[i].t, NULL, run, &th[i]);
	for (unsigned int i = 0; i < n; i++) {
		pthread_join(th[i].t, NULL);
		err |= th[i].err;
		total += th[i].done;
	}
	printf("%s frames=%lu\n", g_tx ? "SENT" : "RECV", total);
	for (unsigned int i = 0; i < n; i++) {
		if (th[i].ep >= 0)
			close(th[i].ep);
		close(th[i].fd);
	}
	return err || total != (unsigned long)g_frames * n;
usage:
	fprintf(stderr, "usage: nm-txrx tx|rx -i PORT [-r RINGS] [-p] [-L] [-E] "
		"[-w busy|poll|select|epoll] [-n FRAMES] [-B WINDOW]\n");
	return 2;
}
