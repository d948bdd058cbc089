// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm-pipe - netmap pipes through /dev/netmap (nm.h only), for the preload
 * tests and the pipe benchmark.
 *
 *   nm-pipe tx     -i END [-n FRAMES] [-B WINDOW] [-w busy|poll]
 *   nm-pipe echo   -i END [-n FRAMES] [-w busy|poll]
 *   nm-pipe hold   -i END
 *   nm-pipe hostile -i END [-n ROUNDS]
 *   nm-pipe flood  -i END [-n FRAMES]
 *   nm-pipe churn  -i valeX:NAME [-n PAIRS]
 *   nm-pipe src|sink -i END [-s SECONDS]      (benchmark: 60-byte frames, busy sync;
 *                                             sink prints RATE lines and a JSON summary)
 *
 * tx sends FRAMES frames in windows of WINDOW to the other end, where echo
 * sends each one back by swapping the RX slot's buffer into its TX ring
 * (NS_BUF_CHANGED): no copy anywhere.  Each frame carries its sequence, a
 * pattern and the buf_idx it was written in; both sides check every byte,
 * and a frame that arrives in the very buffer it was written in counts as
 * zero-copy (zc=).  tx also checks that its TX slots come back from a sync
 * with NS_BUF_CHANGED and other buffers.  A window never exceeds the
 * rings: no drop whatever the timing.  echo then waits for tx to close and
 * reports it ("PEER GONE", POLLERR or ENXIO, as for a vanished port).
 * hold waits for the peer to go.  hostile writes garbage buf_idx into the
 * slots it releases and sends, and garbage head/cur; flood keeps sending
 * to it and touches every buffer it receives.  churn opens and closes
 * PAIRS pairs in one process, one frame each way through each.
 * Exit 0 on success, 1 on error, 2 on usage.
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "nm.h"

#define MAGIC	0x6e6d7069u
#define BUF_CHANGED 1

struct end {
	int fd;
	char *mem;
	uint64_t memsize;
	struct t_if *nifp;
	struct t_ring *tx, *rx;
};

static const char *g_port;
static unsigned long g_frames = 10000, g_win = 256;
static int g_busy, g_secs = 3;
static time_t g_deadline;

static int die(const char *msg, unsigned long a, unsigned long b)
{
	fprintf(stderr, "nm-pipe: %s (%lu, %lu)\n", msg, a, b);
	exit(1);
}

static int reg(struct end *e, const char *name)
{
	struct t_reg r = { 0 };
	struct t_hdr h;

	e->fd = open("/dev/netmap", O_RDWR);
	if (e->fd < 0)
		return die("open /dev/netmap", (unsigned long)errno, 0);
	t_hdr_init(&h, T_REGISTER, name, &r);
	r.nr_mode = T_ALL_NIC;
	if (t_ioctl(e->fd, T_NIOCCTRL, &h))
		return -errno;
	if (r.nr_tx_rings != 1 || r.nr_rx_rings != 1)
		return die("a pipe end has one ring pair", r.nr_tx_rings, r.nr_rx_rings);
	e->memsize = r.nr_memsize;
	e->mem = mmap(NULL, r.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, e->fd, 0);
	if (e->mem == MAP_FAILED)
		return die("mmap", (unsigned long)errno, 0);
	e->nifp = (struct t_if *)(e->mem + r.nr_offset);
	e->tx = t_txring(e->nifp, 0);
	e->rx = t_rxring(e->nifp, 0);
	if (e->tx->dir != 0 || e->rx->dir != 1 || e->tx->num_slots != e->rx->num_slots)
		return die("ring layout", e->tx->dir, e->rx->dir);
	return 0;
}

static void unreg(struct end *e)
{
	munmap(e->mem, e->memsize);
	close(e->fd);
}

/* Wait for RX packets (rx) or TX room; 1 when the peer has gone. */
static int wait_end(struct end *e, int rx)
{
	if (time(NULL) > g_deadline)
		die("timed out", (unsigned long)rx, 0);
	if (g_busy) {
		if (t_ioctl(e->fd, rx ? T_NIOCRXSYNC : T_NIOCTXSYNC, NULL))
			return errno == ENXIO ? 1 : die("sync", (unsigned long)errno, 0);
		sched_yield();
		return 0;
	}
	struct pollfd p = { e->fd, (short)(rx ? POLLIN : POLLOUT), 0 };

	if (poll(&p, 1, 1000) < 0)
		die("poll", (unsigned long)errno, 0);
	return (p.revents & POLLERR) ? 1 : 0;
}

static unsigned int frame_len(unsigned long seq)
{
	return 60 + (unsigned int)((seq * 13) % 1400);
}

static void put_frame(char *b, unsigned long seq, unsigned int len, uint32_t idx)
{
	uint32_t w[3] = { MAGIC, (uint32_t)seq, idx };

	memset(b, 0xff, 12);
	b[12] = (char)0x88;
	b[13] = (char)0xb5;
	memcpy(b + 14, w, sizeof(w));
	for (unsigned int i = 26; i < len; i++)
		b[i] = (char)(seq * 3 + i);
}

/* Checks every byte; 1 if the frame is in the buffer it was written in. */
static int check_frame(const char *b, unsigned int len, unsigned long seq, uint32_t idx)
{
	uint32_t w[3];

	memcpy(w, b + 14, sizeof(w));
	if (w[0] != MAGIC || w[1] != (uint32_t)seq)
		die("bad magic or sequence", w[1], seq);
	if (len != frame_len(seq))
		die("length", len, frame_len(seq));
	for (unsigned int i = 26; i < len; i++)
		if (b[i] != (char)(seq * 3 + i))
			die("payload byte", i, seq);
	return w[2] == idx;
}

static void txsync(struct end *e)
{
	if (t_ioctl(e->fd, T_NIOCTXSYNC, NULL))
		die("txsync", (unsigned long)errno, 0);
}

static int run_tx(void)
{
	struct end e;
	unsigned long zc = 0, swaps = 0;
	uint32_t *sent_idx;

	if (reg(&e, g_port))
		die("register", (unsigned long)errno, 0);
	if (g_win >= e.tx->num_slots)
		g_win = e.tx->num_slots - 1;
	sent_idx = calloc(e.tx->num_slots, sizeof(*sent_idx));
	printf("READY\n");
	fflush(stdout);
	for (unsigned long seq = 0; seq < g_frames;) {
		unsigned long end = seq + g_win < g_frames ? seq + g_win : g_frames, k;
		uint32_t first = e.tx->head;

		for (k = seq; k < end; k++) {
			struct t_slot *s;

			while (t_space(e.tx) == 0)
				if (wait_end(&e, 0))
					die("peer gone while sending", k, 0);
			s = &e.tx->slot[e.tx->head];
			sent_idx[e.tx->head] = s->buf_idx;
			put_frame(t_buf(e.tx, s->buf_idx), k, frame_len(k), s->buf_idx);
			s->len = (uint16_t)frame_len(k);
			s->flags = 0;
			e.tx->head = e.tx->cur = t_next(e.tx, e.tx->head);
		}
		txsync(&e);
		/* Moved slots come back with another buffer, marked. */
		for (uint32_t i = first; i != e.tx->head; i = t_next(e.tx, i)) {
			struct t_slot *s = &e.tx->slot[i];

			if (i == t_next(e.tx, e.tx->tail))
				break;	/* not moved yet */
			if ((s->flags & BUF_CHANGED) && s->buf_idx != sent_idx[i])
				swaps++;
		}
		for (k = seq; k < end; k++) {
			struct t_slot *s;

			while (e.rx->head == e.rx->tail) {
				e.rx->cur = e.rx->head;
				if (wait_end(&e, 1))
					die("peer gone while receiving", k, 0);
			}
			s = &e.rx->slot[e.rx->head];
			zc += (unsigned long)check_frame(t_buf(e.rx, s->buf_idx), s->len, k,
							 s->buf_idx);
			e.rx->head = e.rx->cur = t_next(e.rx, e.rx->head);
		}
		seq = end;
	}
	if (t_ioctl(e.fd, T_NIOCRXSYNC, NULL))
		die("rxsync", (unsigned long)errno, 0);
	printf("SENT frames=%lu zc=%lu swaps=%lu\n", g_frames, zc, swaps);
	fflush(stdout);
	unreg(&e);
	free(sent_idx);
	return 0;
}

/* Wait for the peer to close: POLLERR (or ENXIO from a sync). */
static int wait_gone(struct end *e)
{
	for (;;) {
		struct pollfd p = { e->fd, POLLIN, 0 };

		if (time(NULL) > g_deadline)
			die("the peer never went", 0, 0);
		if (poll(&p, 1, 1000) < 0)
			die("poll", (unsigned long)errno, 0);
		if (p.revents & POLLERR)
			break;
		if (p.revents & POLLIN)
			e->rx->head = e->rx->cur = e->rx->tail;
		if (t_ioctl(e->fd, T_NIOCRXSYNC, NULL) && errno == ENXIO)
			break;
	}
	printf("PEER GONE\n");
	fflush(stdout);
	return 0;
}

static int run_echo(void)
{
	struct end e;
	unsigned long n = 0, zc = 0;

	if (reg(&e, g_port))
		die("register", (unsigned long)errno, 0);
	printf("READY\n");
	fflush(stdout);
	while (n < g_frames) {
		while (e.rx->head == e.rx->tail) {
			e.rx->cur = e.rx->head;
			if (wait_end(&e, 1))
				die("peer gone", n, 0);
		}
		while (t_space(e.tx) == 0)
			if (wait_end(&e, 0))
				die("peer gone", n, 0);
		while (e.rx->head != e.rx->tail && t_space(e.tx) && n < g_frames) {
			struct t_slot *rs = &e.rx->slot[e.rx->head], *ts = &e.tx->slot[e.tx->head];
			uint32_t idx = rs->buf_idx;

			zc += (unsigned long)check_frame(t_buf(e.rx, idx), rs->len, n, idx);
			/* Zero copy: the received buffer goes out as it is. */
			rs->buf_idx = ts->buf_idx;
			rs->flags = BUF_CHANGED;
			ts->buf_idx = idx;
			ts->len = rs->len;
			ts->flags = BUF_CHANGED;
			e.rx->head = e.rx->cur = t_next(e.rx, e.rx->head);
			e.tx->head = e.tx->cur = t_next(e.tx, e.tx->head);
			n++;
		}
		txsync(&e);
	}
	printf("ECHO frames=%lu zc=%lu\n", n, zc);
	fflush(stdout);
	wait_gone(&e);
	unreg(&e);
	return 0;
}

static int run_hold(void)
{
	struct end e;

	if (reg(&e, g_port))
		die("register", (unsigned long)errno, 0);
	printf("READY\n");
	fflush(stdout);
	return wait_gone(&e);
}

static const uint32_t garbage[] = { 0, 1, 0xffffffffu, 0x7fffffffu, 1u << 20 };

static int run_hostile(void)
{
	struct end e;
	unsigned long rounds = g_frames;

	if (reg(&e, g_port))
		die("register", (unsigned long)errno, 0);
	printf("READY\n");
	fflush(stdout);
	for (unsigned long k = 0; k < rounds; k++) {
		uint32_t n = e.rx->num_slots;
		struct pollfd p = { e.fd, POLLIN, 0 };

		/* Every slot we own or give back gets a garbage buffer index. */
		for (uint32_t i = 0; i < n; i++)
			e.rx->slot[i].buf_idx = garbage[(i + k) % 5];
		e.rx->head = e.rx->cur = e.rx->tail;
		if (k % 7 == 3)
			e.rx->head = n + (uint32_t)k;	/* out of the ring */
		if (k % 11 == 5)
			e.rx->cur = 0xffffffffu;
		poll(&p, 1, 1);
		t_ioctl(e.fd, T_NIOCRXSYNC, NULL);
		/* And frames out of garbage buffers, and garbage lengths. */
		for (uint32_t i = 0; i < 4 && t_space(e.tx); i++) {
			struct t_slot *s = &e.tx->slot[e.tx->head];

			s->buf_idx = garbage[(i + k) % 5];
			s->len = (uint16_t)(k % 3 ? 60 : 65535);
			e.tx->head = e.tx->cur = t_next(e.tx, e.tx->head);
		}
		if (k % 13 == 7)
			e.tx->head = 0xfffffff0u;
		t_ioctl(e.fd, T_NIOCTXSYNC, NULL);
	}
	printf("HOSTILE rounds=%lu\n", rounds);
	fflush(stdout);
	return wait_gone(&e);
}

static int run_flood(void)
{
	struct end e;
	unsigned long got = 0;
	volatile char sink = 0;

	if (reg(&e, g_port))
		die("register", (unsigned long)errno, 0);
	printf("READY\n");
	fflush(stdout);
	for (unsigned long k = 0; k < g_frames; k++) {
		struct t_slot *s;

		while (t_space(e.tx) == 0) {
			struct pollfd p = { e.fd, POLLOUT | POLLIN, 0 };

			if (time(NULL) > g_deadline)
				die("timed out", k, 0);
			if (poll(&p, 1, 1000) < 0 || (p.revents & POLLERR))
				die("poll", (unsigned long)errno, (unsigned long)p.revents);
			/* Whatever arrives is read: a bad buffer would crash us here. */
			for (; e.rx->head != e.rx->tail; got++) {
				s = &e.rx->slot[e.rx->head];
				sink = (char)(sink + *t_buf(e.rx, s->buf_idx));
				e.rx->head = e.rx->cur = t_next(e.rx, e.rx->head);
			}
		}
		s = &e.tx->slot[e.tx->head];
		put_frame(t_buf(e.tx, s->buf_idx), k, 60, s->buf_idx);
		s->len = 60;
		e.tx->head = e.tx->cur = t_next(e.tx, e.tx->head);
		if (k % 64 == 63)
			txsync(&e);
	}
	txsync(&e);
	printf("FLOOD sent=%lu got=%lu\n", g_frames, got);
	fflush(stdout);
	return wait_gone(&e);
}

/* One frame from A to B, checked. */
static void one_way(struct end *a, struct end *b, unsigned long seq)
{
	struct t_slot *s = &a->tx->slot[a->tx->head];

	put_frame(t_buf(a->tx, s->buf_idx), seq, frame_len(seq), s->buf_idx);
	s->len = (uint16_t)frame_len(seq);
	a->tx->head = a->tx->cur = t_next(a->tx, a->tx->head);
	txsync(a);
	while (b->rx->head == b->rx->tail)
		if (wait_end(b, 1))
			die("peer gone", seq, 0);
	s = &b->rx->slot[b->rx->head];
	if (!check_frame(t_buf(b->rx, s->buf_idx), s->len, seq, s->buf_idx))
		die("churn: the frame was copied", seq, s->buf_idx);
	b->rx->head = b->rx->cur = t_next(b->rx, b->rx->head);
}

static int run_churn(void)
{
	for (unsigned long k = 0; k < g_frames; k++) {
		char m[64], sl[64];
		struct end a, b;

		snprintf(m, sizeof(m), "%s{%lu", g_port, k % 16);
		snprintf(sl, sizeof(sl), "%s}%lu", g_port, k % 16);
		if (reg(&a, m) || reg(&b, sl))
			die("churn: register", k, (unsigned long)errno);
		one_way(&a, &b, 2 * k);
		one_way(&b, &a, 2 * k + 1);
		if (k & 1) {
			unreg(&b);
			unreg(&a);
		} else {
			unreg(&a);
			unreg(&b);
		}
	}
	printf("CHURN pairs=%lu\n", g_frames);
	return 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Benchmark: src fills every free TX slot with a 60-byte frame; sink counts. */
static int run_rate(int src)
{
	struct end e;
	unsigned long n = 0, total = 0;
	double t0, t1 = 0, start;
	struct rusage ru;

	if (reg(&e, g_port))
		die("register", (unsigned long)errno, 0);
	printf("READY\n");
	fflush(stdout);
	if (src) {
		for (uint32_t i = 0; i < e.tx->num_slots; i++)
			put_frame(t_buf(e.tx, e.tx->slot[i].buf_idx), i, 60, 0);
		for (;;) {
			while (t_space(e.tx)) {
				struct t_slot *s = &e.tx->slot[e.tx->head];

				/* A sequence number in every frame, as testpmd writes its header. */
				memcpy(t_buf(e.tx, s->buf_idx) + 18, &n, sizeof(uint32_t));
				n++;
				s->len = 60;
				e.tx->head = e.tx->cur = t_next(e.tx, e.tx->head);
			}
			if (t_ioctl(e.fd, T_NIOCTXSYNC, NULL))
				break;	/* the sink went */
			if (t_space(e.tx) == 0 && wait_end(&e, 0))
				break;
		}
		unreg(&e);
		return 0;
	}
	/* sink: start the clock at the first frame, count for g_secs. */
	while (e.rx->head == e.rx->tail)
		if (wait_end(&e, 1))
			die("peer gone", 0, 0);
	start = t0 = now_s();
	for (;;) {
		uint32_t avail = e.rx->tail >= e.rx->head ? e.rx->tail - e.rx->head :
			       e.rx->tail + e.rx->num_slots - e.rx->head;

		n += avail;
		total += avail;
		e.rx->head = e.rx->cur = e.rx->tail;
		if (t_ioctl(e.fd, T_NIOCRXSYNC, NULL))
			break;	/* the source went */
		t1 = now_s();
		if (t1 - t0 >= 1.0) {
			printf("RATE pps=%.0f\n", (double)n / (t1 - t0));
			fflush(stdout);
			n = 0;
			t0 = t1;
		}
		if (t1 - start >= g_secs)
			break;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"tool\":\"nm-pipe\",\"mode\":\"sink\",\"port\":\"%s\",\"packets\":%lu,"
	       "\"seconds\":%.6f,\"pps\":%.3f,\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f}\n",
	       g_port, total, t1 - start, t1 > start ? (double)total / (t1 - start) : 0.0,
	       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	fflush(stdout);
	unreg(&e);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int c;

	optind = 2;
	while ((c = getopt(argc, argv, "i:n:B:w:s:")) != -1) {
		switch (c) {
		case 'i': g_port = optarg; break;
		case 'n': g_frames = strtoul(optarg, NULL, 0); break;
		case 'B': g_win = strtoul(optarg, NULL, 0); break;
		case 'w': g_busy = !strcmp(optarg, "busy"); break;
		case 's': g_secs = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (!g_port || !g_win)
		goto usage;
	g_deadline = time(NULL) + 60 + g_secs;
	if (!strcmp(mode, "tx"))
		return run_tx();
	if (!strcmp(mode, "echo"))
		return run_echo();
	if (!strcmp(mode, "hold"))
		return run_hold();
	if (!strcmp(mode, "hostile"))
		return run_hostile();
	if (!strcmp(mode, "flood"))
		return run_flood();
	if (!strcmp(mode, "churn"))
		return run_churn();
	if (!strcmp(mode, "src") || !strcmp(mode, "sink")) {
		g_busy = 1;
		return run_rate(!strcmp(mode, "src"));
	}
usage:
	fprintf(stderr, "usage: nm-pipe tx|echo|hold|hostile|flood|churn|src|sink -i END "
		"[-n N] [-B WINDOW] [-w busy|poll] [-s SECONDS]\n");
	return 2;
}
