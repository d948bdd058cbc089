// SPDX-License-Identifier: BSD-2-Clause
/*
 * pipe.c - netmap pipe ends ("valeX:NAME{N", "valeX:NAME}N"): open one over
 * the control socket, and the data path between the two ends, which runs
 * here, in the ends' own syncs, with no ptnetd thread (daemon/pipe.c).
 *
 * TX sync of end A moves the filled slots of A's TX ring into B's RX ring
 * by swapping buffer indices (zero copy, NS_BUF_CHANGED on both slots),
 * as far as the RX slots B had released at its last RX sync go; A's TX
 * slots come back at once, with B's free buffers in them.  RX sync of B
 * publishes the slots it released and picks up the new ones.  The indices
 * and flags shared by the two ends and their pairing: include/ptnet/pipe.h.
 *
 * Both ends are trusted (that is what pipes are for), but a garbage value
 * written by one end never makes the other's library misbehave: every word
 * of the peer (its head or tail, the buf_idx of a slot it hands over) is
 * read once and checked; a packet with a buffer outside the pool, on
 * either side, is dropped and counted (ptnet_pipe_dir.drops), an index
 * out of its window is ignored and counted (bad_head, bad_tail).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <ptnet/pipe.h>
#include "common/common.h"
#include "lib/internal.h"

static inline uint32_t dist(uint32_t from, uint32_t to, uint32_t n)
{
	return to >= from ? to - from : to + n - from;
}

static inline uint32_t next(uint32_t i, uint32_t n)
{
	return i + 1 == n ? 0 : i + 1;
}

static inline int buf_ok(const struct ptl_pipe *pp, uint32_t idx)
{
	return idx >= 2 && idx < pp->buf_num;
}

static void kick(int fd)
{
	static const uint64_t one = 1;
	ssize_t w;

	if (fd < 0)
		return;
	w = write(fd, &one, sizeof(one));	/* EAGAIN: a wakeup is pending */
	(void)w;
}

int ptl_pipe_txsync(struct ptl_pipe *pp)
{
	struct netmap_ring *t = pp->tx, *r = pp->peer_rx;
	uint32_t n = pp->n, head = PTNET_READ_ONCE(t->head), cur = PTNET_READ_ONCE(t->cur);
	uint32_t ph, space, todo, tail0 = pp->out_tail, drops = 0;

	if (head >= n || cur >= n)
		return -EINVAL;
	/* P1: the slots the receiver released; its head moves within [out_head, out_tail]. */
	ph = ptnet_pipe_read_head(pp->out);
	if (ph < n && dist(pp->out_head, ph, n) <= dist(pp->out_head, pp->out_tail, n))
		pp->out_head = ph;
	else
		PTNET_WRITE_ONCE(pp->out->bad_head, PTNET_READ_ONCE(pp->out->bad_head) + 1);
	space = dist(pp->out_tail, pp->out_head, n);
	space = space ? space - 1 : n - 1;		/* one slot stays empty */
	for (todo = dist(pp->tx_hwcur, head, n); todo; todo--) {
		struct netmap_slot *ts = &t->slot[pp->tx_hwcur], *rs;
		uint32_t tb, tl, rb;
		uint16_t tf;

		if (!space)
			break;
		rs = &r->slot[pp->out_tail];
		tb = PTNET_READ_ONCE(ts->buf_idx);
		tl = PTNET_READ_ONCE(ts->len);
		tf = PTNET_READ_ONCE(ts->flags);
		rb = PTNET_READ_ONCE(rs->buf_idx);
		if (!buf_ok(pp, tb) || tl > pp->buf_size) {
			drops++;			/* the sender's own slot: nothing leaves */
		} else if (!buf_ok(pp, rb)) {
			drops++;			/* the receiver's bad buffer comes back empty */
			rs->len = 0;
			rs->flags = 0;
			pp->out_tail = next(pp->out_tail, n);
			space--;
		} else {
			rs->buf_idx = tb;
			rs->len = (uint16_t)tl;
			rs->flags = (uint16_t)(NS_BUF_CHANGED | (tf & NS_MOREFRAG));
			ts->buf_idx = rb;
			ts->flags = NS_BUF_CHANGED;
			pp->out_tail = next(pp->out_tail, n);
			space--;
		}
		pp->tx_hwcur = next(pp->tx_hwcur, n);
	}
	if (drops)
		PTNET_WRITE_ONCE(pp->out->drops, PTNET_READ_ONCE(pp->out->drops) + drops);
	if (pp->out_tail != tail0) {
		ptnet_pipe_publish_tail(pp->out, pp->out_tail);	/* P2 */
		if (ptnet_pipe_rx_need_kick(pp->out))			/* N1 */
			kick(pp->kick_peer_rx);
	}
	/* Every slot moved is free again: tail is one behind hwcur. */
	t->tail = pp->tx_hwcur ? pp->tx_hwcur - 1 : n - 1;
	return 0;
}

int ptl_pipe_rxsync(struct ptl_pipe *pp)
{
	struct netmap_ring *r = pp->rx;
	uint32_t n = pp->n, head = PTNET_READ_ONCE(r->head), cur = PTNET_READ_ONCE(r->cur), t;

	if (head >= n || cur >= n || dist(pp->rx_head, head, n) > dist(pp->rx_head, pp->rx_tail, n))
		return -EINVAL;
	if (head != pp->rx_head) {
		pp->rx_head = head;
		ptnet_pipe_publish_head(pp->in, head);		/* C1 */
		if (ptnet_pipe_tx_need_kick(pp->in))		/* N1 */
			kick(pp->kick_peer_tx);
	}
	/* C2: the sender fills up to one before the head it saw (at most ours). */
	t = ptnet_pipe_read_tail(pp->in);
	if (t < n && dist(pp->rx_tail, t, n) <= dist(pp->rx_tail, head ? head - 1 : n - 1, n))
		pp->rx_tail = t;
	else
		PTNET_WRITE_ONCE(pp->in->bad_tail, PTNET_READ_ONCE(pp->in->bad_tail) + 1);
	r->tail = pp->rx_tail;
	return 0;
}

int ptl_pipe_sync(struct ptl_pipe *pp, unsigned int i)
{
	return i == 0 ? ptl_pipe_txsync(pp) : ptl_pipe_rxsync(pp);
}

/* N1 for ring I (0 TX, 1 RX) about to sleep: 1 if it may be ready already. */
int ptl_pipe_enable(struct ptl_pipe *pp, unsigned int i)
{
	if (i == 0)
		return ptnet_pipe_tx_enable(pp->out) != pp->out_head;
	return ptnet_pipe_rx_enable(pp->in) != pp->rx_tail;
}

void ptl_pipe_disable(struct ptl_pipe *pp, unsigned int i)
{
	if (i == 0)
		ptnet_pipe_tx_disable(pp->out);
	else
		ptnet_pipe_rx_disable(pp->in);
}

int ptl_pipe_init(struct ptl_pipe *pp, struct netmap_ring *tx, struct netmap_ring *rx,
		  struct netmap_ring *peer_rx, struct ptnet_pipe_state *st, unsigned int end,
		  uint32_t buf_num, uint32_t buf_size)
{
	uint32_t n = tx->num_slots;

	if (end > 1 || n < 2 || rx->num_slots != n || peer_rx->num_slots != n)
		return -EPROTO;
	memset(pp, 0, sizeof(*pp));
	pp->tx = tx;
	pp->rx = rx;
	pp->peer_rx = peer_rx;
	pp->out = &st->dir[end];
	pp->in = &st->dir[1 - end];
	pp->n = n;
	pp->buf_num = buf_num;
	pp->buf_size = buf_size;
	pp->kick_peer_rx = pp->kick_peer_tx = -1;
	/* Start where the rings are (a fresh pair: every index 0). */
	pp->tx_hwcur = tx->head < n ? tx->head : 0;
	pp->out_tail = ptnet_pipe_read_tail(pp->out) % n;
	pp->out_head = ptnet_pipe_read_head(pp->out) % n;
	pp->rx_head = rx->head < n ? rx->head : 0;
	pp->rx_tail = rx->tail < n ? rx->tail : 0;
	return 0;
}

int ptl_pipe_name(const char *name)
{
	const char *at = name ? strchr(name, '@') : NULL;
	size_t len = name ? (at ? (size_t)(at - name) : strlen(name)) : 0;

	return len && (memchr(name, '{', len) || memchr(name, '}', len));
}

/* The region offset OFS (from ptnetd) of LEN bytes inside P's mapping, or NULL. */
static void *in_region(struct ptnet_port *p, uint64_t ofs, uint64_t len)
{
	return ofs + len <= p->size && ofs + len >= ofs ? p->mem + ofs : NULL;
}

/*
 * Ring I of the netmap_if at NIFP_OFS, checked to hold its slots inside
 * P's mapping (the peer, or the port owner sharing the memory, can write
 * anything there, ring_ofs and num_slots too: each is read once), or NULL.
 */
static struct netmap_ring *nifp_ring(struct ptnet_port *p, uint64_t nifp_ofs, unsigned int i)
{
	const struct netmap_if *nifp = (const struct netmap_if *)(p->mem + nifp_ofs);
	int64_t ofs = PTNET_READ_ONCE(((const int64_t *)nifp->ring_ofs)[i]);
	struct netmap_ring *r;
	uint32_t n;

	if (ofs <= 0 || !in_region(p, nifp_ofs + (uint64_t)ofs, sizeof(*r)))
		return NULL;
	r = (struct netmap_ring *)(p->mem + nifp_ofs + (uint64_t)ofs);
	n = PTNET_READ_ONCE(r->num_slots);
	if (n < 2 || n > PTNET_MAX_SLOTS ||
	    !in_region(p, nifp_ofs + (uint64_t)ofs, sizeof(*r) + (uint64_t)n * sizeof(r->slot[0])))
		return NULL;
	return r;
}

/*
 * Make P one end of the pair from ptnetd's offsets: this end's netmap_if
 * (its TX and RX rings), the peer's (its RX ring, which our TX sync fills)
 * and the pair's state.  The region is the pair's own (4 rings) or the
 * port's whose room holds the pair (shared memory, daemon/pipe.c): the
 * rings are found through the netmap_ifs either way.
 */
static int pipe_setup(struct ptnet_port *p, unsigned int end, uint64_t nifp_ofs,
		      uint64_t state_ofs, uint64_t peer_ofs, const char *name)
{
	struct netmap_if *nifp = in_region(p, nifp_ofs, sizeof(*nifp) + 2 * sizeof(int64_t));
	struct ptnet_pipe_state *st = in_region(p, state_ofs, sizeof(*st));
	struct netmap_ring *tx, *rx, *peer_rx;
	int ret;

	if (!nifp || !st || state_ofs % 64 || end > 1 || nifp_ofs % 8 || peer_ofs % 8 ||
	    !in_region(p, peer_ofs, sizeof(*nifp) + 2 * sizeof(int64_t)))
		return ptl_err(-EPROTO, "the pipe region is inconsistent");
	tx = nifp_ring(p, nifp_ofs, 0);
	rx = nifp_ring(p, nifp_ofs, 1);
	peer_rx = nifp_ring(p, peer_ofs, 1);
	if (!tx || !rx || !peer_rx || tx == rx || rx == peer_rx || tx == peer_rx)
		return ptl_err(-EPROTO, "a pipe ring is out of bounds");
	p->pipe = calloc(1, sizeof(*p->pipe));
	if (!p->pipe)
		return ptl_err(-ENOMEM, "out of memory");
	ret = ptl_pipe_init(p->pipe, tx, rx, peer_rx, st, end, p->info.buf_num,
			    p->info.buf_size);
	if (ret)
		return ptl_err(ret, "the pipe's rings differ in size");
	/* This end: TX ring 0, RX ring 1; no CSB (the region's is the port's, if shared). */
	memset(p->r, 0, sizeof(p->r));
	for (unsigned int i = 0; i < 2 * PTNET_MAX_RINGS; i++)
		p->r[i].kick_fd = p->r[i].irq_fd = -1;
	p->r[0].ring = tx;
	p->r[1].ring = rx;
	p->r[0].nslots = p->r[1].nslots = p->pipe->n;
	p->r[0].pub_head = tx->head;
	p->r[1].pub_head = rx->head;
	p->ntx = p->nrx = 1;
	p->nifp = nifp;
	/* The pair's own dead flag (S2 in sync.c reads it): the region's may be the port's. */
	p->status = &st->status;
	p->info.tx_rings = p->info.rx_rings = 1;
	p->info.tx_slots = p->info.rx_slots = p->pipe->n;
	p->info.extra_bufs = 0;
	p->info.pipes = 0;
	snprintf(p->info.name, sizeof(p->info.name), "%.63s", name);
	return 0;
}

int ptl_pipe_open(const char *name, const struct ptnet_port_opts *opts,
		  struct ptnet_port **portp)
{
	struct ptnet_port_opts o = { 0 };
	struct ptc_portname pn;
	struct ptnet_port *p;
	char err[256], buf[PTC_MAX_MSG + 1], spec[PTC_FULLNAME_MAX + 8];
	int fds[1 + 4 * PTNET_MAX_RINGS];
	unsigned int given = 0, nfds = 0, end, id, rend;
	unsigned long long size = 0, nifp = 0, state = 0, peer = 0;
	const char *at = strchr(name, '@');
	int ret, memfd;

	*portp = NULL;
	if (opts)
		o = *opts;
	ret = ptc_parse_pipename(name, &pn, &end, &id, &o, &given, err, sizeof(err));
	if (ret)
		return ptl_err(ret, "%s", err);
	/* Pipes have no extra buffers (both ends would own them): none granted. */
	o.extra_bufs = 0;
	/* The end's own name (pn names the pair by its master end). */
	snprintf(spec, sizeof(spec), "%.*s", (int)(at ? (size_t)(at - name) : strlen(name)),
		 name);
	p = ptl_port_alloc(&o);
	if (!p)
		return ptl_err(-ENOMEM, "out of memory");
	ret = ptl_port_request(p, "pipe", spec, NULL, &o, buf, sizeof(buf), fds,
			       sizeof(fds) / sizeof(fds[0]), &nfds);
	if (ret < 0)
		goto fail;
	if (strncmp(buf, "ok ", 3) ||
	    sscanf(buf, "ok size=%llu end=%u nifp=%llu state=%llu peer=%llu", &size, &rend, &nifp,
		   &state, &peer) != 5 || nfds != 5 || rend != end) {
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
		ret = strncmp(buf, "ok ", 3) ? ptl_reply_error(buf) :
					       ptl_err(-EPROTO, "unexpected pipe reply");
		goto fail;
	}
	memfd = fds[0];
	p->size = (size_t)size;
	p->mem = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	close(memfd);
	if (p->mem == MAP_FAILED) {
		p->mem = NULL;
		ret = ptl_err(-errno, "cannot map the pipe region (%llu bytes): %s", size,
			      strerror(errno));
		for (unsigned int i = 1; i < 5; i++)
			close(fds[i]);
		goto fail;
	}
	ret = ptl_check_region(p);
	if (!ret)
		ret = pipe_setup(p, end, nifp, state, peer, spec);
	if (ret) {
		for (unsigned int i = 1; i < 5; i++)
			close(fds[i]);
		goto fail;
	}
	/* fds: my TX, my RX, the peer's TX, the peer's RX (daemon/pipe.c). */
	p->r[0].irq_fd = fds[1];
	p->r[1].irq_fd = fds[2];
	p->r[0].kick_fd = fds[4];	/* sending wakes the peer's RX */
	p->r[1].kick_fd = fds[3];	/* releasing wakes the peer's TX */
	p->pipe->kick_peer_rx = fds[4];
	p->pipe->kick_peer_tx = fds[3];
	ret = ptl_port_watch(p);
	if (ret)
		goto fail;
	*portp = p;
	return 0;
fail:
	ptnet_port_close(p);
	return ret;
}

int ptnet_pipe_stats(const struct ptnet_port *p, struct ptnet_pipe_stats *st)
{
	if (!p->pipe)
		return -EINVAL;
	st->tx_drops = PTNET_READ_ONCE(p->pipe->out->drops);
	st->rx_drops = PTNET_READ_ONCE(p->pipe->in->drops);
	st->bad_heads = PTNET_READ_ONCE(p->pipe->out->bad_head);
	st->bad_tails = PTNET_READ_ONCE(p->pipe->in->bad_tail);
	return 0;
}
