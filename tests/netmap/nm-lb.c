// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm-lb - what netmap's lb does, through /dev/netmap (nm.h only): pipes
 * that share a port's memory, buffers moved between the port's RX ring
 * and the pipes' TX rings by swapping indices.  Run under ptnet-run with
 * PTNET_PIPES=K (the port reserves room for K pipe pairs).
 *
 *   nm-lb lb -i PORT -p NPIPES -n FRAMES -s STOPFILE
 *	REGISTERs PORT (mmap once), a sender port PORT's switch:nmsrc (its own
 *	mmap), then PORT{k for k < NPIPES with PORT's mem_id and lb's flags
 *	(NR_TX_RINGS_ONLY | NR_EXCLUSIVE), no mmap: they must answer with
 *	PORT's mem_id and memory size, their netmap_if inside PORT's mapping.
 *	Sends FRAMES frames from nmsrc to PORT (at most 64 in flight), and
 *	moves each from PORT's RX ring into pipe seq % NPIPES's TX ring by
 *	swapping the slots' buf_idx (NS_BUF_CHANGED), the index written just
 *	past the frame for the consumer to check.  Prints "LB moved=N" once
 *	every pipe TX ring drained, then waits for STOPFILE and closes the
 *	pipe fds before the port's (as lb does).
 *   nm-lb consume -i PORT}k -p NPIPES -k K -n FRAMES
 *	REGISTERs the slave end (its own mmap), polls, checks every byte, the
 *	sequence K, K + NPIPES, ... and that each frame is in the buffer lb
 *	named (zero copy).  Prints "CONSUMED frames=N zc=N".
 * Exits 0 on success, 1 on error, 2 on usage.  Every wait is bounded.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "nm.h"

#define MAXP	 16
#define WINDOW	 64
#define LIMIT_MS 60000
#define T_F_TX_RINGS_ONLY 0x4000

#define FAIL(...) (fprintf(stderr, "nm-lb: " __VA_ARGS__), fputc('\n', stderr), exit(1))

struct reg {
	int fd;
	char *mem;
	struct t_if *nifp;
	struct t_reg q;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* REGISTER NAME; MEM: the mapping of its mem_id (NULL: mmap it). */
static void do_reg(struct reg *r, const char *name, uint16_t mem_id, uint64_t flags, char *mem)
{
	struct t_hdr h;

	memset(r, 0, sizeof(*r));
	r->fd = open("/dev/netmap", O_RDWR);
	if (r->fd < 0)
		FAIL("open /dev/netmap: %s", strerror(errno));
	t_hdr_init(&h, T_REGISTER, name, &r->q);
	r->q.nr_mode = T_ALL_NIC;
	r->q.nr_mem_id = mem_id;
	r->q.nr_flags = flags;
	if (t_ioctl(r->fd, T_NIOCCTRL, &h))
		FAIL("REGISTER %s: %s", name, strerror(errno));
	if (!mem) {
		mem = mmap(NULL, r->q.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
		if (mem == MAP_FAILED)
			FAIL("mmap %s: %s", name, strerror(errno));
	}
	r->mem = mem;
	r->nifp = (struct t_if *)(mem + r->q.nr_offset);
}

static uint32_t size_of(uint64_t seq)
{
	return 60 + (uint32_t)(seq * 31 % 1455);
}

static uint8_t pat(uint64_t seq, uint32_t i)
{
	return (uint8_t)(seq * 7 + i * 13 + 1);
}

static void build(uint8_t *b, uint64_t seq)
{
	uint32_t len = size_of(seq);

	memset(b, 0xff, 6);		/* broadcast: the switch floods it to PORT */
	memcpy(b + 6, "\x02\x6e\x6d\x00\x00\x01", 6);
	b[12] = 0x88;
	b[13] = 0xb5;
	memcpy(b + 14, &seq, 8);
	memcpy(b + 22, &len, 4);
	for (uint32_t i = 26; i < len; i++)
		b[i] = pat(seq, i);
}

/* NULL or what is wrong with the frame of LEN bytes at B, which must be SEQ. */
static const char *check(const uint8_t *b, uint32_t len, uint64_t seq)
{
	uint64_t s;
	uint32_t l;

	if (len != size_of(seq))
		return "length";
	memcpy(&s, b + 14, 8);
	memcpy(&l, b + 22, 4);
	if (s != seq || l != len)
		return "sequence";
	for (uint32_t i = 26; i < len; i++)
		if (b[i] != pat(seq, i))
			return "payload";
	return NULL;
}

static int wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r = poll(&p, 1, ms);

	if (r > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)))
		return -1;
	return r;
}

static int do_lb(const char *port, unsigned int np, uint64_t frames, const char *stop)
{
	struct reg in, src, pipe[MAXP];
	struct t_ring *rx, *stx;
	uint64_t sent = 0, moved = 0, idle_since = now_ms();
	char name[128];
	int fails = 0;

	if (!np || np > MAXP)
		FAIL("NPIPES must be 1..%d", MAXP);
	do_reg(&in, port, 0, 0, NULL);
	snprintf(name, sizeof(name), "%.*s:nmsrc", (int)strcspn(port, ":"), port);
	do_reg(&src, name, 0, 0, NULL);
	if (src.q.nr_mem_id == in.q.nr_mem_id)
		FAIL("two ports share mem_id %u", in.q.nr_mem_id);
	for (unsigned int k = 0; k < np; k++) {
		snprintf(name, sizeof(name), "%s{%u", port, k);
		do_reg(&pipe[k], name, in.q.nr_mem_id, T_F_TX_RINGS_ONLY | T_F_EXCLUSIVE, in.mem);
		if (pipe[k].q.nr_mem_id != in.q.nr_mem_id ||
		    pipe[k].q.nr_memsize != in.q.nr_memsize ||
		    pipe[k].q.nr_offset >= in.q.nr_memsize)
			FAIL("pipe %u: mem_id %u size %llu, the port's %u %llu: not shared", k,
			     pipe[k].q.nr_mem_id, (unsigned long long)pipe[k].q.nr_memsize,
			     in.q.nr_mem_id, (unsigned long long)in.q.nr_memsize);
		if (pipe[k].nifp->ni_tx_rings != 1 || !pipe[k].nifp->ring_ofs[0])
			FAIL("pipe %u: no TX ring bound", k);
	}
	rx = t_rxring(in.nifp, 0);
	stx = t_txring(src.nifp, 0);
	printf("READY mem_id=%u\n", in.q.nr_mem_id);
	fflush(stdout);
	while (moved < frames && !fails) {
		int progress = 0;

		while (sent < frames && sent - moved < WINDOW && t_space(stx)) {
			struct t_slot *s = &stx->slot[stx->head];

			build((uint8_t *)t_buf(stx, s->buf_idx), sent);
			s->len = (uint16_t)size_of(sent++);
			s->flags = 0;
			stx->head = stx->cur = t_next(stx, stx->head);
			progress = 1;
		}
		if (t_ioctl(src.fd, T_NIOCTXSYNC, NULL) || t_ioctl(in.fd, T_NIOCRXSYNC, NULL))
			FAIL("sync: %s", strerror(errno));
		while (rx->head != rx->tail) {
			struct t_slot *rs = &rx->slot[rx->head], *ts;
			struct reg *p = &pipe[moved % np];
			struct t_ring *t = t_txring(p->nifp, 0);
			uint32_t idx = rs->buf_idx;
			uint8_t *b = (uint8_t *)t_buf(rx, idx);
			const char *why = check(b, rs->len, moved);

			if (why)
				FAIL("frame %llu at the port: %s", (unsigned long long)moved, why);
			for (uint64_t end = now_ms() + LIMIT_MS; !t_space(t);) {
				if (wait_fd(p->fd, POLLOUT, 1000) < 0 || now_ms() > end)
					FAIL("no room in pipe %llu", (unsigned long long)(moved % np));
			}
			memcpy(b + rs->len, &idx, 4);
			/* lb's swap: the port's buffer down the pipe, the pipe's back in the port. */
			ts = &t->slot[t->head];
			rs->buf_idx = ts->buf_idx;
			rs->flags = T_NS_BUF_CHANGED;
			ts->buf_idx = idx;
			ts->len = rs->len;
			ts->flags = T_NS_BUF_CHANGED;
			t->head = t->cur = t_next(t, t->head);
			rx->head = rx->cur = t_next(rx, rx->head);
			moved++;
			progress = 1;
			if (t_ioctl(p->fd, T_NIOCTXSYNC, NULL))
				FAIL("pipe TXSYNC: %s", strerror(errno));
		}
		if (progress)
			idle_since = now_ms();
		else if (now_ms() - idle_since > LIMIT_MS)
			FAIL("nothing moved for %d s (sent %llu moved %llu)", LIMIT_MS / 1000,
			     (unsigned long long)sent, (unsigned long long)moved);
		else
			wait_fd(in.fd, POLLIN, 200);
	}
	t_ioctl(in.fd, T_NIOCRXSYNC, NULL);
	for (unsigned int k = 0; k < np; k++) {
		struct t_ring *t = t_txring(pipe[k].nifp, 0);

		for (uint64_t end = now_ms() + LIMIT_MS; t_space(t) < t->num_slots - 1;) {
			if (t_ioctl(pipe[k].fd, T_NIOCTXSYNC, NULL) || now_ms() > end)
				FAIL("pipe %u never drained", k);
			usleep(1000);
		}
	}
	printf("LB moved=%llu\n", (unsigned long long)moved);
	fflush(stdout);
	for (uint64_t end = now_ms() + 120000; access(stop, F_OK) && now_ms() < end;)
		usleep(20000);
	for (unsigned int k = 0; k < np; k++)
		close(pipe[k].fd);
	close(src.fd);
	close(in.fd);
	munmap(src.mem, src.q.nr_memsize);
	munmap(in.mem, in.q.nr_memsize);
	return fails || moved != frames;
}

static int do_consume(const char *name, unsigned int np, unsigned int k, uint64_t frames)
{
	struct reg r;
	struct t_ring *rx;
	uint64_t want = 0, got = 0, zc = 0;

	for (uint64_t m = k; m < frames; m += np)
		want++;
	do_reg(&r, name, 0, 0, NULL);
	rx = t_rxring(r.nifp, 0);
	printf("READY\n");
	fflush(stdout);
	while (got < want) {
		int ret = wait_fd(r.fd, POLLIN, LIMIT_MS);

		if (ret <= 0)
			FAIL("poll gave %d after %llu frames", ret, (unsigned long long)got);
		while (rx->head != rx->tail) {
			struct t_slot *s = &rx->slot[rx->head];
			const uint8_t *b = (const uint8_t *)t_buf(rx, s->buf_idx);
			uint64_t seq = k + got * np;
			const char *why = check(b, s->len, seq);
			uint32_t idx;

			if (why)
				FAIL("frame %llu: %s", (unsigned long long)seq, why);
			memcpy(&idx, b + s->len, 4);
			zc += idx == s->buf_idx;
			got++;
			rx->head = rx->cur = t_next(rx, rx->head);
		}
	}
	printf("CONSUMED frames=%llu zc=%llu\n", (unsigned long long)got, (unsigned long long)zc);
	fflush(stdout);
	close(r.fd);
	munmap(r.mem, r.q.nr_memsize);
	return got != want || zc != want;
}

int main(int argc, char **argv)
{
	const char *port = NULL, *stop = "/nonexistent";
	unsigned int np = 1, k = 0;
	uint64_t frames = 1000;
	int c;

	if (argc < 2)
		return 2;
	optind = 2;
	while ((c = getopt(argc, argv, "i:p:k:n:s:")) != -1) {
		switch (c) {
		case 'i': port = optarg; break;
		case 'p': np = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'k': k = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'n': frames = strtoull(optarg, NULL, 0); break;
		case 's': stop = optarg; break;
		default: return 2;
		}
	}
	if (!port)
		return 2;
	if (!strcmp(argv[1], "lb"))
		return do_lb(port, np, frames, stop);
	if (!strcmp(argv[1], "consume"))
		return do_consume(port, np, k, frames);
	return 2;
}
