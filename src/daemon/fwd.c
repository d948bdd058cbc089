// SPDX-License-Identifier: BSD-2-Clause
/*
 * fwd.c - forwarding: drain a client TX ring into destination RX rings.
 *
 * One batch at a time, in VALE's two passes:
 *   gather  read each slot once, validate it, group slots into packets;
 *   pass 1  look up every packet's destination (learning + flooding) and
 *           queue it on its destination's list (or on the flood list);
 *   pass 2  per destination: lease slots in its RX ring, copy without the
 *           ring lock, complete the lease.  Several workers may copy into
 *           one RX ring at once; hwtail only moves over completed leases,
 *           in lease order, so the client sees packets in order.
 *           Or, for a kind with a host side (ptd_port_ops.xmit) whose ring
 *           is idle, the bypass: straight from the source's buffers to the
 *           host side, no copy into the ring, no wakeup (deliver_bypass).
 * Nothing here fails: a packet is delivered or counted as dropped.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>
#include "daemon/csb.h"
#include "daemon/filter.h"
#include "daemon/fwd.h"
#include "daemon/log.h"
#include "daemon/offload.h"
#include "daemon/switch.h"

#define NOSLOT		0xffffffffu
#define LIST_END	0xffffu

struct pkt {
	uint16_t first;		/* index in frags[] */
	uint16_t nfrags;
	uint16_t next;		/* next packet on its destination list */
	uint16_t mnext;		/* next packet on a monitor's list */
	uint32_t len;		/* bytes, vnet header included */
};


struct dlist {
	uint16_t head, tail;
	uint32_t n;		/* packets on it */
};

/* How a packet goes to one destination (M_SKIP: a monitor's filter said no). */
enum { M_COPY, M_CSUM, M_GSO, M_DROP, M_SKIP };

struct plan {
	uint8_t mode;
	uint32_t slots;			/* slots to reserve (an upper bound for M_GSO) */
	uint32_t segs;			/* M_GSO */
	uint32_t lin_len;		/* M_GSO: the frame's length in fs.lin */
	struct ptd_vnet_hdr h;
};

struct scratch {
	struct ptd_frag frags[PTD_BATCH + NETMAP_MAX_FRAGS];
	struct pkt pkts[PTD_BATCH];
	struct plan plan[PTD_BATCH];	/* per packet, for the destination at hand */
	int lin_pkt;			/* packet whose frame is in lin (-1: none) */
	uint32_t lin_len;		/* and its length */
	struct dlist dst[PTD_MAX_PORTS];
	struct dlist flood;
	uint16_t dsts[PTD_MAX_PORTS];
	unsigned int ndsts;
	uint8_t seen[PTD_MAX_PORTS];
	uint32_t plain_max;		/* longest packet, if every one is a slot (else ~0) */
	/* Software offload: a GSO frame made linear, and segmentation scratch. */
	uint8_t lin[PTD_GSO_SCRATCH_MAX] __attribute__((aligned(64)));
	uint8_t seg[PTD_GSO_SCRATCH_MAX] __attribute__((aligned(64)));
};

/*
 * local-exec: the objects are built -fPIC (one set for the libraries and
 * the programs), and the model that implies calls __tls_get_addr at every
 * access, so the hot loops spilled their registers around each one
 * (callgrind, 2 M 60 B packets forwarded: 459 M instructions, 418 M with
 * initial-exec, 392 M with this).  This file goes only into executables
 * (ptnetd, the unit tests); in a shared object the link would fail.
 */
static __thread struct scratch fs __attribute__((tls_model("local-exec")));

static void rxq_clear(struct ptd_rxq *q, uint32_t head)
{
	q->hwcur = q->hwlease = head;
	PTNET_WRITE_ONCE(q->hwtail, head);	/* the worker reads it unlocked (a hint) */
	q->lease_idx = 0;
	for (uint32_t i = 0; i < q->nslots; i++)
		q->leases[i] = NOSLOT;
}

int ptd_rxq_init(struct ptd_rxq *q)
{
	q->leases = malloc(q->nslots * sizeof(uint32_t));
	if (!q->leases)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_mutex_init(&q->writer, NULL);
	rxq_clear(q, 0);
	return 0;
}

void ptd_rxq_fini(struct ptd_rxq *q)
{
	if (!q->leases)
		return;
	pthread_mutex_destroy(&q->lock);
	pthread_mutex_destroy(&q->writer);
	free(q->leases);
	q->leases = NULL;
}

void ptd_rxq_reset(struct ptd_rxq *q, uint32_t head)
{
	pthread_mutex_lock(&q->lock);
	rxq_clear(q, head);
	ptnet_csb_kern_write(q->ktoa, q->hwcur, q->hwtail);
	PTNET_WRITE_ONCE(q->ktoa->kern_need_kick, 0);
	pthread_mutex_unlock(&q->lock);
}

void ptd_rxq_writer_lock(struct ptd_rxq *q)
{
	pthread_mutex_lock(&q->writer);
}

void ptd_rxq_writer_unlock(struct ptd_rxq *q)
{
	pthread_mutex_unlock(&q->writer);
}

/* The slot before I: where a TX ring's tail stands when everything is free. */
static inline uint32_t prev_idx(uint32_t i, uint32_t n)
{
	return i ? i - 1 : n - 1;
}

void ptd_txq_reset(struct ptd_txq *q, uint32_t head)
{
	q->hwcur = q->seen_head = head;
	q->skip_chain = false;
	ptnet_csb_kern_write(q->ktoa, q->hwcur, prev_idx(q->hwcur, q->nslots));
	PTNET_WRITE_ONCE(q->ktoa->kern_need_kick, 1);
}

/*
 * Lease up to NEEDED slots of Q.  Refreshes hwcur from the client's head
 * (read once, must lie in [hwcur, hwtail]).  Returns the slots granted
 * (maybe 0) and sets *start and *lease; -1 if the client's head is invalid.
 */
static int rxq_reserve(struct ptd_rxq *q, uint32_t needed, uint32_t *start, uint32_t *lease)
{
	uint32_t n = q->nslots, head, avail, howmany;

	pthread_mutex_lock(&q->lock);
	head = ptnet_csb_kern_rx_head(q->atok);	/* K3 */
	if (head != q->hwcur) {
		if (!ptnet_idx_within(q->hwcur, head, q->hwtail, n)) {
			pthread_mutex_unlock(&q->lock);
			return -1;
		}
		q->hwcur = head;
	}
	avail = n - 1 - ptnet_idx_dist(q->hwcur, q->hwlease, n);
	howmany = needed < avail ? needed : avail;
	if (howmany) {
		*start = q->hwlease;
		*lease = q->lease_idx;
		q->leases[q->lease_idx] = NOSLOT;
		q->lease_idx = ptnet_idx_add(q->lease_idx, 1, n);
		q->hwlease = ptnet_idx_add(q->hwlease, howmany, n);
	}
	pthread_mutex_unlock(&q->lock);
	return (int)howmany;
}

/* Complete a lease of HOWMANY slots from START of which USED were filled. */
static void rxq_complete(struct ptd_rxq *q, uint32_t start, uint32_t howmany, uint32_t used,
			 uint32_t lease, struct ptd_port *dp)
{
	uint32_t n = q->nslots, end = ptnet_idx_add(start, used, n);
	bool published = false;

	pthread_mutex_lock(&q->lock);
	if (used < howmany) {
		uint32_t lend = ptnet_idx_add(start, howmany, n);

		/*
		 * Give the rest back only if no lease was granted after this one.
		 * hwlease == lend is not enough: a later lease that used nothing
		 * rewinds hwlease to lend too, and its completion point (lend)
		 * stays in leases[], so the walk below would publish our unused
		 * slots through it.
		 */
		if (q->hwlease == lend && ptnet_idx_add(lease, 1, n) == q->lease_idx) {
			q->hwlease = end;	/* newest lease: give the rest back */
		} else {
			/* A later lease exists: pad with empty slots. */
			for (uint32_t j = end; j != lend; j = ptnet_idx_add(j, 1, n)) {
				PTNET_WRITE_ONCE(q->slot[j].len, 0);
				PTNET_WRITE_ONCE(q->slot[j].flags, 0);
			}
			end = lend;
		}
	}
	q->leases[lease] = end;
	if (start == q->hwtail) {
		/* Oldest outstanding lease: publish it and every later completed one. */
		uint32_t p = lease, t = q->hwtail;

		while (q->leases[p] != NOSLOT) {
			t = q->leases[p];
			q->leases[p] = NOSLOT;
			p = ptnet_idx_add(p, 1, n);
		}
		if (t != q->hwtail) {
			PTNET_WRITE_ONCE(q->hwtail, t);	/* worker.c reads it unlocked */
			ptnet_csb_kern_write(q->ktoa, q->hwcur, t);
			published = true;
		}
	}
	pthread_mutex_unlock(&q->lock);
	if (published && ptnet_csb_kern_need_irq(q->atok)) {	/* N2 */
		ptd_notify(q->irq_wfd);
		ptnet_stat_add(&dp->st.irqs, 1);
	}
}

/* Bytes a slot can carry: its buffer, but len is 16 bits. */
static inline uint32_t slot_cap(const struct ptd_port *p)
{
	return p->buf_size > 65535 ? 65535 : p->buf_size;
}

static inline uint8_t *rx_buf(struct ptd_port *dp, struct netmap_slot *s)
{
	uint32_t idx = PTNET_READ_ONCE(s->buf_idx);

	if (idx < 2 || idx >= dp->buf_num)
		return NULL;
	return dp->bufs + (size_t)idx * dp->buf_size;
}

/*
 * Copy one packet into DP's ring Q, NSLOTS slots from slot J on (at most
 * NETMAP_MAX_FRAGS; callers never ask for more).  SKIP bytes of the source
 * are left out (a header the destination does not take), PREFIX zero bytes
 * are put in front (a header the source did not have).  If a destination
 * slot names an invalid buffer, nothing is copied, the slots are blanked
 * and *BAD is set.  OUT, if given, gets our own pointer and length of each
 * slot written.  Every slot is used either way.
 */
static void copy_pkt(struct ptd_port *dp, struct ptd_rxq *q, uint32_t j, const struct ptd_frag *fr,
		     unsigned int nfr, uint32_t skip, uint32_t prefix, uint32_t nslots,
		     struct ptd_frag *out, bool *bad)
{
	uint32_t n = q->nslots, room = slot_cap(dp);
	uint32_t fi = 0, foff = skip;
	uint8_t *dsts[NETMAP_MAX_FRAGS];

	*bad = false;
	/* Fast path: one fragment in, one slot out, no header change. */
	if (nfr == 1 && nslots == 1 && !skip && !prefix) {
		struct netmap_slot *s = &q->slot[j];
		uint8_t *dst = rx_buf(dp, s);
		uint32_t l = fr[0].len;

		if (!dst) {
			PTNET_WRITE_ONCE(s->len, 0);
			PTNET_WRITE_ONCE(s->flags, 0);
			*bad = true;
			return;
		}
		/*
		 * Exactly len bytes: rounding up to whole lines would carry stale
		 * bytes of the sender's earlier frames (maybe meant for others).
		 */
		nm_pkt_copy(fr[0].buf, dst, (int)l);
		if (out) {
			out[0].buf = dst;
			out[0].len = l;
		}
		PTNET_WRITE_ONCE(s->len, (uint16_t)l);
		PTNET_WRITE_ONCE(s->flags, (uint16_t)(1u << 8));
		return;
	}

	/* Read and check every destination buffer first: all or nothing. */
	for (uint32_t k = 0, x = j; k < nslots; k++, x = ptnet_idx_add(x, 1, n)) {
		dsts[k] = rx_buf(dp, &q->slot[x]);
		*bad |= !dsts[k];
	}
	for (uint32_t k = 0; k < nslots; k++, j = ptnet_idx_add(j, 1, n)) {
		struct netmap_slot *s = &q->slot[j];
		uint8_t *dst = dsts[k];
		uint32_t put = 0;

		if (*bad) {
			PTNET_WRITE_ONCE(s->len, 0);
			PTNET_WRITE_ONCE(s->flags, 0);
			continue;
		}
		if (k == 0 && prefix) {
			memset(dst, 0, prefix);
			put = prefix;
		}
		while (put < room && fi < nfr) {
			uint32_t chunk = fr[fi].len - foff;

			if (chunk > room - put)
				chunk = room - put;
			if (chunk)
				memcpy(dst + put, fr[fi].buf + foff, chunk);
			put += chunk;
			foff += chunk;
			if (foff == fr[fi].len) {
				fi++;
				foff = 0;
			}
		}
		if (out) {
			out[k].buf = dst;
			out[k].len = put;
		}
		PTNET_WRITE_ONCE(s->len, (uint16_t)put);
		PTNET_WRITE_ONCE(s->flags, (uint16_t)((nslots << 8) |
						      (k + 1 < nslots ? NS_MOREFRAG : 0)));
	}
}

/* Slots a packet needs in DP, or 0 if it cannot be delivered there. */
static uint32_t pkt_slots(const struct pkt *pk, const struct ptd_port *src,
			  const struct ptd_port *dp)
{
	uint32_t len = pk->len - src->vnet_hdr_len + dp->vnet_hdr_len, cap = slot_cap(dp);
	uint32_t ns;

	if (len <= cap)
		return 1;	/* the common case, without a division */
	ns = (len + cap - 1) / cap;
	if (ns > NETMAP_MAX_FRAGS)
		return 0;
	return ns ? ns : 1;
}


/*
 * Copy packet I without its SKIP-byte header into fs.lin; its length or 0.
 * A flooded frame is linearized once for all its destinations.
 */
static uint32_t linearize(uint16_t i, uint32_t skip)
{
	const struct pkt *pk = &fs.pkts[i];
	const struct ptd_frag *fr = &fs.frags[pk->first];
	uint32_t off = 0;

	fs.lin_pkt = -1;
	if (pk->len - skip > sizeof(fs.lin))
		return 0;
	fs.lin_pkt = i;
	for (unsigned int f = 0; f < pk->nfrags; f++) {
		uint32_t l = fr[f].len, from = 0;

		if (skip) {
			from = skip < l ? skip : l;
			skip -= from;
		}
		memcpy(fs.lin + off, fr[f].buf + from, l - from);
		off += l - from;
	}
	fs.lin_len = off;
	return off;
}

/* How packet I goes from SRC to DP: fs.plan[I]. */
static void plan_pkt(uint16_t i, const struct ptd_port *src, const struct ptd_port *dp)
{
	const struct pkt *pk = &fs.pkts[i];
	struct plan *pl = &fs.plan[i];
	uint32_t sh = src->vnet_hdr_len, dh = dp->vnet_hdr_len;

	pl->mode = M_COPY;
	if (sh) {
		ptd_vnet_hdr_load(&pl->h, fs.frags[pk->first].buf, sh);
		if (ptd_vnet_hdr_check(&pl->h, pk->len - sh)) {
			pl->mode = M_DROP;
			return;
		}
	}
	if (sh && !dh) {
		/* The destination takes no header: do its offloads in software. */
		if (pl->h.gso_type != PTD_VNET_GSO_NONE) {
			uint32_t len = fs.lin_pkt == i ? fs.lin_len : linearize(i, sh);
			uint32_t per = (dp->mtu + PTD_GSO_MAX_L2 + slot_cap(dp) - 1) / slot_cap(dp);

			pl->lin_len = len;
			pl->segs = len ? ptd_gso_count(&pl->h, fs.lin, len, dp->mtu) : 0;
			pl->slots = pl->segs * per;
			pl->mode = pl->segs && per <= NETMAP_MAX_FRAGS ? M_GSO : M_DROP;
			return;
		}
		if (pl->h.flags & PTD_VNET_F_NEEDS_CSUM)
			pl->mode = M_CSUM;
	}
	pl->slots = pkt_slots(pk, src, dp);
	if (!pl->slots)
		pl->mode = M_DROP;
}

struct seg_ctx {
	struct ptd_port *dp;
	struct ptd_rxq *q;
	uint32_t j;			/* next slot */
	uint32_t room;			/* slots left for this packet */
	uint32_t used;
	bool bad;
};

/* ptd_gso_segment's callback: one segment into the next slots. */
static void emit_seg(const uint8_t *frame, uint32_t len, void *arg)
{
	struct seg_ctx *c = arg;
	struct ptd_frag one = { .buf = (uint8_t *)frame, .len = len };
	uint32_t ns = (len + slot_cap(c->dp) - 1) / slot_cap(c->dp);
	bool bad;

	if (c->bad || !ns || ns > c->room || ns > NETMAP_MAX_FRAGS) {
		c->bad = true;
		return;
	}
	copy_pkt(c->dp, c->q, c->j, &one, 1, 0, 0, ns, NULL, &bad);
	c->bad |= bad;
	c->j = ptnet_idx_add(c->j, ns, c->q->nslots);
	c->room -= ns;
	c->used += ns;
}

/*
 * Finish a checksum the source left to the device, over the bytes just
 * copied (OUT: our own pointers and lengths, never the slots' len fields,
 * which the destination client may rewrite meanwhile).
 */
static void csum_slots(const struct ptd_frag *out, uint32_t ns, const struct ptd_vnet_hdr *h)
{
	ptd_csum_complete_frags(out, ns, 0, h->csum_start, h->csum_offset);
}

static inline uint16_t next_of(uint16_t i, const bool mon)
{
	return mon ? fs.pkts[i].mnext : fs.pkts[i].next;
}

/* Next packet of the merge of lists *A and *C, in batch order (MON: monitor links). */
static inline uint16_t merge_next(uint16_t *a, uint16_t *c, const bool mon)
{
	uint16_t i;

	if (*c == LIST_END || (*a != LIST_END && *a < *c)) {
		i = *a;
		*a = next_of(i, mon);
	} else {
		i = *c;
		*c = next_of(i, mon);
	}
	return i;
}

/* Does packet I (from SRC) pass monitor filter F? */
static bool mon_pass(const struct ptd_filter *f, uint16_t i, const struct ptd_port *src)
{
	const struct pkt *pk = &fs.pkts[i];
	const struct ptd_frag *fr = &fs.frags[pk->first];
	uint32_t sh = src->vnet_hdr_len;

	return ptd_filter_match(f, fr->buf + sh, fr->len - sh, pk->len - sh);
}

static inline void mon_list_add(uint16_t *head, uint16_t *tail, uint16_t i)
{
	fs.pkts[i].mnext = LIST_END;
	if (*head == LIST_END)
		*head = i;
	else
		fs.pkts[*tail].mnext = i;
	*tail = i;
}

/*
 * The bypass.  A frame for a port whose kind has a host side (xmit, e.g. a
 * TAP queue) normally goes through its RX ring: a copy, then a wakeup of
 * the kind's thread, which writes it out.  When its ring is empty, the
 * forwarding thread writes the frame to the host side itself instead, as
 * the kernel's qdisc bypass does for an idle device queue: one copy and
 * one cross-CPU wakeup fewer, and the frame's bytes are still in the
 * forwarding thread's cache when it writes them (a TAP relay's shape: the
 * thread that reads a frame writes it; bench/tcp.sh measured it ahead of
 * pipelining through the ring, docs/architecture.md).  When the kind's
 * thread falls behind, frames queue in its ring as before.
 *
 * Order and exclusion rest on one primitive, the ring's writer mutex
 * (ptd_rxq.writer): the kind's thread holds it around writing out queued
 * frames and releasing their slots; a forwarding thread only trylocks it
 * (never waits on another port's thread) and, holding it, bypasses only if
 * nothing is leased, published or unreleased (rxq_idle).  So a bypass never
 * overtakes a frame queued for the same ring, and a source whose earlier
 * frames still sit in the ring enqueues behind them.
 */

/* May frames go from SRC to DP's host side as they are (header included)? */
static inline bool bypass_fits(const struct ptd_port *src, const struct ptd_port *dp)
{
	uint32_t sh = src->vnet_hdr_len, dh = dp->vnet_hdr_len;

	/* Same header, or a zero header put in front; else offloads in software. */
	return dp->ops->xmit && (sh == dh || (sh == 0 && dh <= PTNET_VNET_HDR_LEN));
}

/*
 * Is Q idle: nothing leased, and nothing published that its consumer has
 * not released (written out)?  Then no earlier frame of any source waits
 * in it, and a bypassed frame overtakes nothing.
 */
static bool rxq_idle(struct ptd_rxq *q)
{
	bool idle;

	pthread_mutex_lock(&q->lock);
	idle = q->hwlease == q->hwtail && ptnet_csb_kern_rx_head(q->atok) == q->hwtail;	/* K3 */
	pthread_mutex_unlock(&q->lock);
	return idle;
}

/*
 * Hand the packets of lists *U, *B (merged, batch order) to DP's host side,
 * ring RING, from the source's buffers; call holding DP's rxq[RING].writer.
 * The header goes from our own checked copy, never from the source buffer
 * (its client may rewrite it).  Stops at the first frame that would block:
 * *U, *B are left at what the ring must take (LIST_END, LIST_END if none).
 * What DP took is linked on MH, MT for its RX monitors.
 */
static void deliver_bypass(struct ptd_txq *sq, struct ptd_port *dp, unsigned int ring,
			   uint16_t *u, uint16_t *b, uint16_t *mh, uint16_t *mt, bool rx_mon)
{
	static const uint8_t zero_hdr[PTNET_VNET_HDR_LEN];
	struct ptd_port *src = sq->port;
	uint32_t sh = src->vnet_hdr_len, dh = dp->vnet_hdr_len, prefix = dh > sh ? dh : 0;
	uint64_t rx_pk = 0, rx_by = 0, d_io = 0, d_off = 0;
	uint16_t a = *u, c = *b;

	while (a != LIST_END || c != LIST_END) {
		uint16_t sa = a, sc = c, i = merge_next(&a, &c, false);
		const struct pkt *pk = &fs.pkts[i];
		const struct ptd_frag *fr = &fs.frags[pk->first];
		struct iovec iov[NETMAP_MAX_FRAGS + 1];
		uint8_t hdr[PTNET_VNET_HDR_LEN];
		uint32_t skip = sh;
		int n = 0, r;

		if (sh) {
			struct ptd_vnet_hdr h;

			/* gather: the first fragment holds the header and more. */
			memcpy(hdr, fr[0].buf, sh);
			ptd_vnet_hdr_load(&h, hdr, sh);
			if (ptd_vnet_hdr_check(&h, pk->len - sh)) {
				d_off++;
				continue;
			}
			iov[n].iov_base = hdr;
			iov[n++].iov_len = sh;
		} else if (prefix) {
			iov[n].iov_base = (void *)zero_hdr;
			iov[n++].iov_len = prefix;
		}
		if (!pkt_slots(pk, src, dp)) {
			d_off++;	/* too long for DP, as through its ring */
			continue;
		}
		for (unsigned int f = 0; f < pk->nfrags; f++) {
			uint32_t from = skip < fr[f].len ? skip : fr[f].len;

			skip -= from;
			if (fr[f].len == from)
				continue;
			iov[n].iov_base = fr[f].buf + from;
			iov[n++].iov_len = fr[f].len - from;
		}
		r = dp->ops->xmit(dp, ring, iov, n);
		if (r == -EAGAIN) {
			a = sa;		/* this one and the rest go through the ring */
			c = sc;
			break;
		}
		if (r) {
			d_io++;
			continue;
		}
		rx_pk++;
		rx_by += pk->len + prefix;
		if (rx_mon)
			mon_list_add(mh, mt, i);
	}
	*u = a;
	*b = c;
	if (rx_pk) {
		ptnet_stat_add(&dp->st.rx_packets, rx_pk);
		ptnet_stat_add(&dp->st.rx_bytes, rx_by);
		ptnet_stat_add(&dp->st.rx_bypass, rx_pk);
	}
	if (d_io)
		ptnet_stat_add(&dp->st.drop_io, d_io);
	if (d_off)
		ptnet_stat_add(&dp->st.drop_offload, d_off);
}

#define PREFETCH_AHEAD	8

/* Hint: RX slot J's buffer is about to be written. */
static inline void prefetch_rx(struct ptd_port *dp, struct ptd_rxq *q, uint32_t j)
{
	uint8_t *b = rx_buf(dp, &q->slot[j]);

	if (b)
		__builtin_prefetch(b, 1);
}

/*
 * deliver's plain case: no vnet header on either side, every packet of the
 * batch one slot that fits DP's (fs.plain_max), not a monitor.  Then no
 * packet needs a plan: lease NPK slots, copy each packet into the next,
 * complete.  Counts and drops as deliver's general loop.
 */
static void deliver_plain(struct ptd_port *dp, struct ptd_rxq *q, uint16_t u, uint16_t b,
			  uint32_t npk, bool rx_mon, uint16_t *mh, uint16_t *mt)
{
	uint32_t n = q->nslots, start = 0, lease = 0, used = 0, j;
	uint64_t rx_by = 0, d_bad = 0;
	uint16_t a = u, c = b;
	int got;

	got = rxq_reserve(q, npk, &start, &lease);
	if (got < 0) {
		ptnet_stat_add(&dp->st.drop_bad_ring, npk);
		return;
	}
	j = start;
	/*
	 * The buffers written here are lines the receiver last read, often on
	 * another CPU: ask for them (for writing) PREFETCH_AHEAD slots ahead.
	 * Only a hint: each buffer is read from its slot again, and checked,
	 * when it is written.
	 */
	for (uint32_t k = 0; k < PREFETCH_AHEAD && k < (uint32_t)got; k++)
		prefetch_rx(dp, q, ptnet_idx_add(start, k, n));
	while (used < (uint32_t)got && (a != LIST_END || c != LIST_END)) {
		uint16_t i = merge_next(&a, &c, false);
		const struct ptd_frag *fr = &fs.frags[fs.pkts[i].first];
		struct netmap_slot *s = &q->slot[j];
		uint8_t *dst = rx_buf(dp, s);

		if (used + PREFETCH_AHEAD < (uint32_t)got)
			prefetch_rx(dp, q, ptnet_idx_add(j, PREFETCH_AHEAD, n));
		used++;
		j = ptnet_idx_add(j, 1, n);
		if (!dst) {
			PTNET_WRITE_ONCE(s->len, 0);
			PTNET_WRITE_ONCE(s->flags, 0);
			d_bad++;
			continue;
		}
		/*
		 * copy_pkt's one-slot case, written out: a call to it costs
		 * ~65 instructions a packet more (callgrind).  Exactly len bytes.
		 */
		nm_pkt_copy(fr->buf, dst, (int)fr->len);
		PTNET_WRITE_ONCE(s->len, (uint16_t)fr->len);
		PTNET_WRITE_ONCE(s->flags, (uint16_t)(1u << 8));
		rx_by += fr->len;
		if (rx_mon)
			mon_list_add(mh, mt, i);
	}
	if (got > 0)
		rxq_complete(q, start, (uint32_t)got, used, lease, dp);
	if (used > d_bad) {
		ptnet_stat_add(&dp->st.rx_packets, used - d_bad);
		ptnet_stat_add(&dp->st.rx_bytes, rx_by);
	}
	if (npk > used)
		ptnet_stat_add(&dp->st.drop_ring_full, npk - used);
	if (d_bad)
		ptnet_stat_add(&dp->st.drop_bad_ring, d_bad);
}

/*
 * Deliver the packets on list U merged with the flood list B (NPK in all,
 * 0 if not counted) into port DP: plan each (fs.plan), lease the slots they
 * need in one go, copy, complete; or deliver_plain, when no packet needs a
 * plan.
 * For a monitor (MON: DP is MON->port) the lists are linked through mnext
 * and MON's filter picks the packets.  Then DP's RX monitors get copies of
 * what DP got.
 */
static void deliver(struct ptd_txq *sq, struct ptd_port *dp, uint16_t u, uint16_t b,
		    uint32_t npk, const struct ptd_mon *mon)
{
	const bool is_mon = mon != NULL, rx_mon = !mon && (dp->mon_dirs & PTD_MON_RX);
	uint16_t mhead = LIST_END, mtail = LIST_END;
	struct ptd_port *src = sq->port;
	struct ptd_rxq *q = &dp->rxq[sq->idx % dp->nrx];
	uint32_t sh = src->vnet_hdr_len, dh = dp->vnet_hdr_len;
	uint32_t skip = sh > dh ? sh : 0, prefix = dh > sh ? dh : 0;
	uint32_t needed = 0, start = 0, lease = 0, used = 0;
	uint64_t rx_pk = 0, rx_by = 0, rx_seg = 0, d_full = 0, d_bad = 0, d_off = 0;
	uint16_t a, c, i;
	int got;

	/* The bypass, if DP's ring is idle; what it leaves goes through the ring. */
	if (!is_mon && bypass_fits(src, dp) && pthread_mutex_trylock(&q->writer) == 0) {
		if (rxq_idle(q))
			deliver_bypass(sq, dp, sq->idx % dp->nrx, &u, &b, &mhead, &mtail, rx_mon);
		pthread_mutex_unlock(&q->writer);
		if (u == LIST_END && b == LIST_END)
			goto monitors;
		npk = 0;	/* some went by the bypass: no longer counted */
	}
	if (!is_mon && !sh && !dh && npk && fs.plain_max <= slot_cap(dp)) {
		deliver_plain(dp, q, u, b, npk, rx_mon, &mhead, &mtail);
		goto monitors;
	}
	for (a = u, c = b; a != LIST_END || c != LIST_END;) {
		i = merge_next(&a, &c, is_mon);
		if (is_mon && mon->filter && !mon_pass(mon->filter, i, src)) {
			fs.plan[i].mode = M_SKIP;
			continue;
		}
		plan_pkt(i, src, dp);
		if (fs.plan[i].mode != M_DROP)
			needed += fs.plan[i].slots;
	}
	got = needed ? rxq_reserve(q, needed, &start, &lease) : 0;

	for (a = u, c = b; a != LIST_END || c != LIST_END;) {
		const struct pkt *pk;
		const struct plan *pl;
		uint32_t j = ptnet_idx_add(start, used, q->nslots);
		struct ptd_frag out[NETMAP_MAX_FRAGS];
		bool bad;

		i = merge_next(&a, &c, is_mon);
		pk = &fs.pkts[i];
		pl = &fs.plan[i];
		if (pl->mode == M_SKIP)
			continue;
		if (pl->mode == M_DROP) {
			d_off++;
			continue;
		}
		if (got < 0) {
			d_bad++;
			continue;
		}
		if (used + pl->slots > (uint32_t)got) {
			d_full++;
			continue;
		}
		if (pl->mode == M_GSO) {
			struct seg_ctx sc = { .dp = dp, .q = q, .j = j, .room = pl->slots };
			uint32_t len = pl->lin_len;
			int r;

			if (fs.lin_pkt != i)	/* another GSO frame was planned after it */
				len = linearize(i, sh);
			r = len != pl->lin_len ? -1 :
			    ptd_gso_segment(&pl->h, fs.lin, len, dp->mtu, fs.seg, sizeof(fs.seg),
					    emit_seg, &sc);
			if (r <= 0 || sc.bad || (uint32_t)r != pl->segs) {
				/* The client changed the frame under us: blank what we wrote. */
				for (uint32_t k = 0; k < sc.used; k++) {
					uint32_t x = ptnet_idx_add(j, k, q->nslots);

					PTNET_WRITE_ONCE(q->slot[x].len, 0);
					PTNET_WRITE_ONCE(q->slot[x].flags, 0);
				}
				used += sc.used;
				d_off++;
				continue;
			}
			used += sc.used;
			rx_pk++;
			rx_seg += (uint32_t)r - 1;
			rx_by += len;
			if (rx_mon)
				mon_list_add(&mhead, &mtail, i);
			continue;
		}
		copy_pkt(dp, q, j, &fs.frags[pk->first], pk->nfrags, skip, prefix, pl->slots,
			 pl->mode == M_CSUM ? out : NULL, &bad);
		used += pl->slots;
		if (bad) {
			d_bad++;
			continue;
		}
		if (pl->mode == M_CSUM)
			csum_slots(out, pl->slots, &pl->h);
		rx_pk++;
		rx_by += pk->len - skip + prefix;
		if (rx_mon)
			mon_list_add(&mhead, &mtail, i);
	}
	if (got > 0)
		rxq_complete(q, start, (uint32_t)got, used, lease, dp);
	if (rx_pk) {
		ptnet_stat_add(&dp->st.rx_packets, rx_pk);
		ptnet_stat_add(&dp->st.rx_bytes, rx_by);
	}
	if (rx_seg)
		ptnet_stat_add(&dp->st.rx_segs, rx_seg);
	if (d_full)
		ptnet_stat_add(&dp->st.drop_ring_full, d_full);
	if (d_bad)
		ptnet_stat_add(&dp->st.drop_bad_ring, d_bad);
	if (d_off)
		ptnet_stat_add(&dp->st.drop_offload, d_off);
monitors:
	/* What DP got, to its RX monitors (monitors have no monitors). */
	for (unsigned int k = 0; mhead != LIST_END && k < dp->nmon; k++)
		if (dp->mon[k].dir & PTD_MON_RX)
			deliver(sq, dp->mon[k].port, mhead, LIST_END, 0, &dp->mon[k]);
}

static inline void list_add(struct dlist *l, uint16_t i)
{
	l->n++;
	fs.pkts[i].next = LIST_END;
	if (l->head == LIST_END)
		l->head = i;
	else
		fs.pkts[l->tail].next = i;
	l->tail = i;
}

/*
 * Gather packets from [hwcur, head) of Q.  Returns the slots consumed; the
 * packets are in fs.pkts[0..*npkts).  An unterminated chain at the end is
 * left for later unless it can never complete (ring full or too long).
 * TRUSTED: ptnetd wrote the slots itself (buf_idx and len need no check).
 */
static inline uint32_t gather(struct ptd_txq *q, uint32_t head, unsigned int *npkts,
			      struct ptd_stats *st, const bool trusted)
{
	struct ptd_port *p = q->port;
	uint32_t n = q->nslots, avail = ptnet_idx_dist(q->hwcur, head, n);
	uint32_t i = q->hwcur, consumed = 0, minlen = p->vnet_hdr_len + PTNET_ETH_MIN_LEN;
	uint32_t plain_max = 0, buf_num = p->buf_num, buf_size = p->buf_size;
	uint8_t *bufs = p->bufs;
	uint64_t tx_pk = 0, tx_by = 0;
	unsigned int np = 0, nfr = 0;
	bool chains = false;

	/* frags[] holds PTD_BATCH + NETMAP_MAX_FRAGS: room for one more chain. */
	while (consumed < avail && np < PTD_BATCH && nfr <= PTD_BATCH) {
		const struct netmap_slot *s = &q->slot[i];
		uint32_t idx = PTNET_READ_ONCE(s->buf_idx);
		uint32_t len = PTNET_READ_ONCE(s->len);
		uint32_t fl = PTNET_READ_ONCE(s->flags);
		uint32_t nf = 0, total = 0, j = i;
		bool bad = false, done = false;

		if (__builtin_expect(!(fl & NS_MOREFRAG) && !q->skip_chain, 1)) {
			/* One slot, one packet: the common case, from this one read. */
			consumed++;
			i = ptnet_idx_add(i, 1, n);
			tx_pk++;
			tx_by += len;
			if (!trusted && (idx < 2 || idx >= buf_num || len > buf_size)) {
				st->drop_bad_slot++;
				continue;
			}
			if (len < minlen) {
				st->drop_runt++;
				continue;
			}
			fs.frags[nfr].buf = bufs + (size_t)idx * buf_size;
			/*
			 * Pass 1 reads every frame's Ethernet header, most often a
			 * line the client just wrote on another CPU: ask for it
			 * now, so the batch's misses overlap instead of queueing.
			 */
			__builtin_prefetch(fs.frags[nfr].buf);
			fs.frags[nfr].len = len;
			fs.pkts[np].first = (uint16_t)nfr;
			fs.pkts[np].nfrags = 1;
			fs.pkts[np].len = len;
			plain_max = len > plain_max ? len : plain_max;
			np++;
			nfr++;
			continue;
		}
		if (q->skip_chain) {
			/* The rest of a dropped chain: discard up to its last slot. */
			consumed++;
			i = ptnet_idx_add(i, 1, n);
			if (!(fl & NS_MOREFRAG))
				q->skip_chain = false;
			continue;
		}
		/* A chain: read its slots again, each once, from the first. */
		while (consumed + nf < avail && nf < NETMAP_MAX_FRAGS) {
			s = &q->slot[j];
			idx = PTNET_READ_ONCE(s->buf_idx);
			len = PTNET_READ_ONCE(s->len);
			fl = PTNET_READ_ONCE(s->flags);
			if (!trusted && (idx < 2 || idx >= buf_num || len > buf_size)) {
				bad = true;
			} else {
				fs.frags[nfr + nf].buf = bufs + (size_t)idx * buf_size;
				fs.frags[nfr + nf].len = len;
			}
			total += len;
			nf++;
			j = ptnet_idx_add(j, 1, n);
			if (!(fl & NS_MOREFRAG)) {
				done = true;
				break;
			}
		}
		if (!done) {
			/*
			 * Cut at head: wait for the rest, unless the ring is full
			 * (it cannot complete; the ring starts afresh after it).
			 * Too long: drop it and whatever of it still follows.
			 */
			if (nf < NETMAP_MAX_FRAGS && avail < n - 1)
				break;
			st->drop_bad_chain++;
			tx_pk++;
			tx_by += total;
			consumed += nf;
			i = j;
			q->skip_chain = nf == NETMAP_MAX_FRAGS;
			continue;
		}
		consumed += nf;
		i = j;
		tx_pk++;
		tx_by += total;
		if (bad) {
			st->drop_bad_slot++;
			continue;
		}
		if (fs.frags[nfr].len < minlen) {
			st->drop_runt++;
			continue;
		}
		fs.pkts[np].first = (uint16_t)nfr;
		fs.pkts[np].nfrags = (uint16_t)nf;
		fs.pkts[np].len = total;
		chains |= nf > 1;
		np++;
		nfr += nf;
	}
	st->tx_packets += tx_pk;
	st->tx_bytes += tx_by;
	fs.plain_max = chains ? UINT32_MAX : plain_max;
	*npkts = np;
	return consumed;
}

/*
 * One batch of Q from hwcur towards HEAD (valid): gather, look up, deliver,
 * advance hwcur.  Called with the switch lock held (shared) and the port
 * running.  Returns the slots consumed; counters go to ST.
 */
static uint32_t forward_batch(struct ptd_txq *q, uint32_t head, struct ptd_stats *st,
			      const bool trusted)
{
	struct ptd_port *p = q->port;
	struct ptd_switch *sw = p->sw;
	uint32_t consumed, now_s;
	unsigned int np;
	uint8_t run_eth[12];		/* the header of the current run, see pass 1 */
	uint16_t run_d = PTD_DST_FLOOD;
	bool in_run = false;

	consumed = gather(q, head, &np, st, trusted);

	/* Pass 1: destinations (one clock read per batch, not per packet). */
	now_s = ptd_now_s();
	fs.flood.head = fs.flood.tail = LIST_END;
	fs.flood.n = 0;
	fs.ndsts = 0;
	fs.lin_pkt = -1;
	for (unsigned int i = 0; i < np; i++) {
		uint8_t eth[12];
		uint16_t d;

		memcpy(eth, fs.frags[fs.pkts[i].first].buf + p->vnet_hdr_len, sizeof(eth));
		/*
		 * Frames of one flow come in runs: a frame with the destination
		 * and source of the frame before it in this batch gets that
		 * frame's answer, without a second learn and lookup (the
		 * lookup contract in switch.h allows it).  The bytes compared
		 * are this frame's own copy in ETH, read once.
		 */
		if (in_run && !memcmp(eth, run_eth, sizeof(eth))) {
			d = run_d;
		} else {
			d = sw->ops->lookup(sw, p, eth, now_s);
			memcpy(run_eth, eth, sizeof(eth));
			run_d = d;
			in_run = true;
		}
		if (d == PTD_DST_FLOOD) {
			list_add(&fs.flood, (uint16_t)i);
			continue;
		}
		if (d >= PTD_MAX_PORTS || d == p->index || !sw->ports[d] || !sw->ports[d]->running) {
			st->drop_no_dest++;
			continue;
		}
		if (!fs.seen[d]) {
			fs.seen[d] = 1;
			fs.dst[d].head = fs.dst[d].tail = LIST_END;
			fs.dst[d].n = 0;
			fs.dsts[fs.ndsts++] = d;
		}
		list_add(&fs.dst[d], (uint16_t)i);
	}

	/* Pass 2: per destination port. */
	for (unsigned int k = 0; k < fs.ndsts; k++) {
		uint16_t d = fs.dsts[k];

		deliver(q, sw->ports[d], fs.dst[d].head, fs.flood.head, fs.dst[d].n + fs.flood.n,
			NULL);
	}
	if (fs.flood.head != LIST_END) {
		unsigned int copies = 0;

		for (unsigned int k = 0; k < sw->nports; k++) {
			uint16_t d = sw->active[k];

			if (d == p->index || !sw->ports[d]->running)
				continue;
			copies++;
			if (!fs.seen[d])
				deliver(q, sw->ports[d], LIST_END, fs.flood.head, fs.flood.n, NULL);
		}
		if (!copies)
			for (uint16_t i = fs.flood.head; i != LIST_END; i = fs.pkts[i].next)
				st->drop_no_dest++;
	}
	for (unsigned int k = 0; k < fs.ndsts; k++)
		fs.seen[fs.dsts[k]] = 0;

	/* What P sent, to its TX monitors. */
	if ((p->mon_dirs & PTD_MON_TX) && np) {
		for (unsigned int i = 0; i < np; i++)
			fs.pkts[i].mnext = i + 1 < np ? (uint16_t)(i + 1) : LIST_END;
		for (unsigned int k = 0; k < p->nmon; k++)
			if (p->mon[k].dir & PTD_MON_TX)
				deliver(q, p->mon[k].port, 0, LIST_END, 0, &p->mon[k]);
	}

	/* Copy semantics: everything consumed is free again. */
	q->hwcur = ptnet_idx_add(q->hwcur, consumed, q->nslots);
	return consumed;
}

static void add_stats(struct ptd_port *p, const struct ptd_stats *st)
{
#define X(f) if (st->f) ptnet_stat_add(&p->st.f, st->f);
	PTD_STATS_FIELDS(X)
#undef X
}

unsigned int ptd_txq_forward(struct ptd_txq *q)
{
	struct ptd_port *p = q->port;
	struct ptd_switch *sw = p->sw;
	struct ptd_stats st = { 0 };
	uint32_t head, cur, consumed, n = q->nslots;

	/*
	 * The region stays mapped while this worker owns Q, so the cheap check
	 * needs no lock; polling an idle ring costs two loads.
	 */
	ptnet_csb_kern_read(q->atok, &head, &cur);	/* K2 */
	if (head >= n) {
		if (head != q->seen_head)	/* count each bad value once */
			ptnet_stat_add(&p->st.bad_tx_head, 1);
		q->seen_head = head;
		return 0;
	}
	q->seen_head = head;
	if (head == q->hwcur)
		return 0;
	pthread_rwlock_rdlock(&sw->lock);
	if (p->dead || !p->running) {
		pthread_rwlock_unlock(&sw->lock);
		return 0;
	}
	consumed = forward_batch(q, head, &st, false);
	/* Give the slots back to the client. */
	ptnet_csb_kern_write(q->ktoa, q->hwcur, prev_idx(q->hwcur, n));	/* K1 */
	if (consumed && ptnet_csb_kern_need_irq(q->atok)) {	/* N2 */
		ptd_notify(q->irq_wfd);
		st.irqs++;
	}
	pthread_rwlock_unlock(&sw->lock);
	add_stats(p, &st);
	return consumed;
}

unsigned int ptd_txq_push(struct ptd_txq *q, uint32_t head)
{
	struct ptd_port *p = q->port;
	struct ptd_switch *sw = p->sw;
	struct ptd_stats st = { 0 };
	uint32_t consumed = 0, r;

	pthread_rwlock_rdlock(&sw->lock);
	if (!p->dead && p->running) {
		do {
			r = forward_batch(q, head, &st, true);
			consumed += r;
		} while (r && q->hwcur != head);
	}
	pthread_rwlock_unlock(&sw->lock);
	add_stats(p, &st);
	return consumed;
}
