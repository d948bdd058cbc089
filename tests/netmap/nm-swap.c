// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm-swap - extra buffers and zero-copy buffer swaps through /dev/netmap
 * (nm.h only), as lb and bridge use them.
 *
 *   nm-swap fwd -i PORT -n FRAMES [-r RINGS] [-x EXTRA [-G GRANTED]] [-L]
 *   nm-swap xbad -i PORT
 *
 * fwd   registers PORT asking for EXTRA extra buffers (nr_extra_bufs, or
 *       nr_arg3 with -L), checks the list at ni_bufs_head (EXTRA distinct
 *       buffers, in the pool, in no ring), takes it and zeroes ni_bufs_head
 *       (as lb does), prints READY, then sends every frame that arrives on
 *       RX ring i back out of TX ring (i + 1) % RINGS without copying it:
 *       the RX buffer goes into the TX slot, the TX slot's old buffer into
 *       the spare pool (the extra buffers), a spare into the RX slot, each
 *       slot flagged NS_BUF_CHANGED (a plain RX/TX swap with no extras).
 *       After FRAMES frames and a drained TX ring it hands the spares back
 *       as the ni_bufs_head list, closes, registers again on a new fd and
 *       must be granted EXTRA again; a third fd then gets none (the pool is
 *       all lent).  Prints "FWD frames=N" and "EXTRA back=N".  -G: the
 *       grant expected when it is not EXTRA (a pool the memory limits cut).
 * xbad  gives wrong lists back (a cycle, a ring's buffer, an index beyond
 *       the pool): each costs only the buffers it lies about, exactly.
 *
 * Exits 0 on success, 1 on any error, 2 on usage.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "nm.h"

static const char *g_port;
static unsigned int g_rings = 1, g_extra, g_frames, g_expect = ~0u;
static int g_legacy;
static char *g_mem;
static uint16_t g_mem_id;
static uint32_t g_buf_total;

#define FAIL(...) (fprintf(stderr, "nm-swap: " __VA_ARGS__), fputc('\n', stderr), exit(1))

struct reg {
	int fd;
	struct t_if *nifp;
	uint32_t granted;
};

static void do_reg(struct reg *r, uint32_t extra)
{
	r->fd = open("/dev/netmap", O_RDWR);
	if (r->fd < 0)
		FAIL("open /dev/netmap: %s", strerror(errno));
	if (g_legacy) {
		struct t_legacy nr = { 0 };

		snprintf(nr.nr_name, sizeof(nr.nr_name), "%s", g_port);
		nr.nr_version = 14;
		nr.nr_flags = T_ALL_NIC;
		nr.nr_tx_rings = nr.nr_rx_rings = (uint16_t)g_rings;
		nr.nr_arg2 = g_mem_id;
		nr.nr_arg3 = extra;
		if (t_ioctl(r->fd, T_NIOCREGIF, &nr))
			FAIL("NIOCREGIF: %s", strerror(errno));
		if (!g_mem) {
			g_mem = mmap(NULL, nr.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED,
				     r->fd, 0);
			if (g_mem == MAP_FAILED)
				FAIL("mmap: %s", strerror(errno));
			g_mem_id = nr.nr_arg2;
		}
		r->nifp = (struct t_if *)(g_mem + nr.nr_offset);
		r->granted = nr.nr_arg3;
	} else {
		struct t_reg q = { 0 };
		struct t_hdr h;

		t_hdr_init(&h, T_REGISTER, g_port, &q);
		q.nr_mode = T_ALL_NIC;
		q.nr_tx_rings = q.nr_rx_rings = (uint16_t)g_rings;
		q.nr_mem_id = g_mem_id;
		q.nr_extra_bufs = extra;
		if (t_ioctl(r->fd, T_NIOCCTRL, &h))
			FAIL("NIOCCTRL REGISTER: %s", strerror(errno));
		if (!g_mem) {
			g_mem = mmap(NULL, q.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED,
				     r->fd, 0);
			if (g_mem == MAP_FAILED)
				FAIL("mmap: %s", strerror(errno));
			g_mem_id = q.nr_mem_id;
		}
		r->nifp = (struct t_if *)(g_mem + q.nr_offset);
		r->granted = q.nr_extra_bufs;
	}
	if (r->nifp->ni_tx_rings != g_rings || r->nifp->ni_rx_rings != g_rings)
		FAIL("rings %u/%u, asked %u", r->nifp->ni_tx_rings, r->nifp->ni_rx_rings, g_rings);
	if (!g_buf_total) {
		struct t_pools p = { 0 };
		struct t_hdr h;

		t_hdr_init(&h, T_POOLS_INFO_GET, "", &p);
		p.nr_mem_id = g_mem_id;
		if (t_ioctl(r->fd, T_NIOCCTRL, &h))
			FAIL("POOLS_INFO_GET: %s", strerror(errno));
		g_buf_total = p.buf_total;
	}
}

static struct t_ring *ring0(const struct reg *r)
{
	return t_txring(r->nifp, 0);	/* every ring shares one buffer index space */
}

static uint32_t *next_of(const struct reg *r, uint32_t idx)
{
	return (uint32_t *)t_buf(ring0(r), idx);
}

/* 1 if buffer IDX is in one of the rings. */
static int in_ring(const struct reg *r, uint32_t idx)
{
	for (unsigned int i = 0; i < 2 * g_rings; i++) {
		struct t_ring *q = i < g_rings ? t_txring(r->nifp, i) : t_rxring(r->nifp, i - g_rings);

		for (uint32_t s = 0; s < q->num_slots; s++)
			if (q->slot[s].buf_idx == idx)
				return 1;
	}
	return 0;
}

/*
 * Take the list at ni_bufs_head into OUT (at most MAX), checking each
 * buffer: in the pool, in no ring, not seen before.  The count.
 */
static uint32_t take_list(const struct reg *r, uint32_t *out, uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t idx = r->nifp->ni_bufs_head; idx; idx = *next_of(r, idx)) {
		if (n == max)
			FAIL("extra buffer list longer than the %u granted", max);
		if (idx < 2 || idx >= g_buf_total)
			FAIL("extra buffer %u outside the pool [2, %u)", idx, g_buf_total);
		if (in_ring(r, idx))
			FAIL("extra buffer %u is in a ring", idx);
		for (uint32_t k = 0; k < n; k++)
			if (out[k] == idx)
				FAIL("extra buffer %u twice in the list", idx);
		out[n++] = idx;
	}
	/* lb's way: the list is ours now (netmap_if is const to applications). */
	*(uint32_t *)&r->nifp->ni_bufs_head = 0;
	return n;
}

static void give_list(const struct reg *r, const uint32_t *bufs, uint32_t n)
{
	uint32_t head = 0;

	for (uint32_t k = 0; k < n; k++) {
		*next_of(r, bufs[k]) = head;
		head = bufs[k];
	}
	*(uint32_t *)&r->nifp->ni_bufs_head = head;
}

static void swap_fwd(void)
{
	struct reg a, b, c;
	uint32_t *spare = calloc(g_extra + 1, sizeof(*spare)), nspare, fwd = 0;
	time_t deadline = time(NULL) + 60;

	if (!spare)
		FAIL("calloc");
	do_reg(&a, g_extra);
	if (a.granted != g_expect)
		FAIL("%u extra buffers granted, asked %u, want %u", a.granted, g_extra, g_expect);
	nspare = take_list(&a, spare, g_extra);
	if (nspare != g_expect)
		FAIL("extra buffer list holds %u, granted %u", nspare, g_expect);
	printf("READY mem_id=%u extra=%u\n", g_mem_id, nspare);
	fflush(stdout);

	while (fwd < g_frames) {
		struct pollfd p = { a.fd, POLLIN, 0 };

		if (time(NULL) > deadline)
			FAIL("timed out after %u frames", fwd);
		if (poll(&p, 1, 1000) < 0 || (p.revents & POLLERR))
			FAIL("poll: %s (revents %#x)", strerror(errno), p.revents);
		for (unsigned int i = 0; i < g_rings; i++) {
			struct t_ring *rx = t_rxring(a.nifp, i);
			struct t_ring *tx = t_txring(a.nifp, (i + 1) % g_rings);

			while (rx->head != rx->tail && t_space(tx)) {
				struct t_slot *rs = &rx->slot[rx->head], *ts = &tx->slot[tx->head];
				uint32_t got = rs->buf_idx, old = ts->buf_idx;

				if (got < 2 || got >= g_buf_total)
					FAIL("RX slot with buffer %u", got);
				ts->buf_idx = got;
				ts->len = rs->len;
				ts->flags = T_NS_BUF_CHANGED;
				if (nspare) {	/* rotate through the spare pool */
					rs->buf_idx = spare[0];
					memmove(spare, spare + 1, (nspare - 1) * sizeof(*spare));
					spare[nspare - 1] = old;
				} else {
					rs->buf_idx = old;
				}
				rs->flags = T_NS_BUF_CHANGED;
				rx->head = rx->cur = t_next(rx, rx->head);
				tx->head = tx->cur = t_next(tx, tx->head);
				fwd++;
			}
		}
		if (t_ioctl(a.fd, T_NIOCTXSYNC, NULL))
			FAIL("txsync: %s", strerror(errno));
	}
	for (unsigned int i = 0; i < g_rings; i++) {
		struct t_ring *tx = t_txring(a.nifp, i);

		while (t_next(tx, tx->tail) != tx->head) {
			if (time(NULL) > deadline)
				FAIL("TX ring %u never drained", i);
			if (t_ioctl(a.fd, T_NIOCTXSYNC, NULL))
				FAIL("txsync: %s", strerror(errno));
			usleep(100);
		}
	}
	printf("FWD frames=%u\n", fwd);

	/* Hand the spares back: a new registration gets them all again. */
	give_list(&a, spare, nspare);
	close(a.fd);
	do_reg(&b, g_extra);
	if (b.granted != g_expect)
		FAIL("after giving them back: %u extra buffers granted, want %u", b.granted,
		     g_expect);
	if (take_list(&b, spare, g_extra) != g_expect)
		FAIL("second list is short");
	do_reg(&c, 1);
	if (c.granted)
		FAIL("%u extra buffers granted from a pool all lent out", c.granted);
	printf("EXTRA back=%u\n", b.granted);
	give_list(&b, spare, g_expect);
	close(c.fd);
	close(b.fd);
	free(spare);
}

/* Wrong lists given back cost exactly the buffers they lie about. */
static void xbad(void)
{
	uint32_t x[8];
	struct reg a, b, c, d;

	do_reg(&a, 8);
	if (a.granted != 8 || take_list(&a, x, 8) != 8)
		FAIL("8 extra buffers not granted (%u)", a.granted);
	printf("READY mem_id=%u extra=8\n", g_mem_id);
	fflush(stdout);
	/* A cycle x0 -> x1 -> x0: x0 and x1 come back. */
	*next_of(&a, x[0]) = x[1];
	*next_of(&a, x[1]) = x[0];
	*(uint32_t *)&a.nifp->ni_bufs_head = x[0];
	close(a.fd);
	do_reg(&b, 8);
	if (b.granted != 2 || take_list(&b, x, 8) != 2)
		FAIL("after a cyclic list: %u granted, want 2", b.granted);
	/* x0 then a buffer of a ring: x0 comes back. */
	*next_of(&b, x[0]) = t_txring(b.nifp, 0)->slot[0].buf_idx;
	*(uint32_t *)&b.nifp->ni_bufs_head = x[0];
	close(b.fd);
	do_reg(&c, 8);
	if (c.granted != 1 || take_list(&c, x, 8) != 1)
		FAIL("after a list into a ring: %u granted, want 1", c.granted);
	/* An index beyond the pool: nothing comes back. */
	*(uint32_t *)&c.nifp->ni_bufs_head = 0xfffffff0u;
	close(c.fd);
	do_reg(&d, 8);
	if (d.granted != 0)
		FAIL("after a list beyond the pool: %u granted, want 0", d.granted);
	/* Nothing granted: a list given back is not taken. */
	*(uint32_t *)&d.nifp->ni_bufs_head = t_rxring(d.nifp, 0)->slot[1].buf_idx;
	close(d.fd);
	do_reg(&d, 8);
	if (d.granted != 0)
		FAIL("a registration granted nothing gave %u back", d.granted);
	close(d.fd);
	printf("XBAD ok\n");
}

int main(int argc, char **argv)
{
	int c, fwd;

	if (argc < 2 || (strcmp(argv[1], "fwd") && strcmp(argv[1], "xbad")))
		goto usage;
	fwd = !strcmp(argv[1], "fwd");
	optind = 2;
	while ((c = getopt(argc, argv, "i:n:r:x:G:L")) != -1) {
		switch (c) {
		case 'i': g_port = optarg; break;
		case 'n': g_frames = (unsigned int)atoi(optarg); break;
		case 'r': g_rings = (unsigned int)atoi(optarg); break;
		case 'x': g_extra = (unsigned int)atoi(optarg); break;
		case 'G': g_expect = (unsigned int)atoi(optarg); break;
		case 'L': g_legacy = 1; break;
		default: goto usage;
		}
	}
	if (!g_port || g_rings < 1 || g_rings > 16)
		goto usage;
	if (g_expect == ~0u)
		g_expect = g_extra;
	if (fwd)
		swap_fwd();
	else
		xbad();
	return 0;
usage:
	fprintf(stderr, "usage: nm-swap fwd -i PORT -n FRAMES [-r RINGS] [-x EXTRA [-G GRANTED]] [-L]\n"
		"       nm-swap xbad -i PORT\n");
	return 2;
}
