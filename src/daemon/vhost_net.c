// SPDX-License-Identifier: BSD-2-Clause
/*
 * vhost_net.c - the data path of a vhost-user port: one thread per queue
 * pair moves frames between the guest's virtqueues (virtq.c, untrusted)
 * and the port's ring pair (vhost.h).
 *
 *   guest TX (vq 2i+1) -> TX ring i   each chain copied into slots (one
 *       NS_MOREFRAG chain per frame, the guest's header widened to the
 *       switch's 12 bytes), its used element published *before* the slots
 *       are forwarded (ptd_txq_push): a backend that dies in between loses
 *       a frame rather than sending it twice after a reconnect.
 *   RX ring i -> guest RX (vq 2i)     each frame copied into one guest
 *       chain, or several with MRG_RXBUF (num_buffers set); offloads the
 *       guest did not negotiate done here in software (offload.c): a GSO
 *       frame segmented, a partial checksum completed.
 *
 * Batches: up to VH_BATCH chains per pass, one used-index publication and
 * at most one call (interrupt) per pass, and only if the guest asked
 * (EVENT_IDX used_event, or no NO_INTERRUPT flag).  Idle: after VH_SPIN_US
 * without work the thread enables kicks on both queues and the RX ring's
 * notification (each with its re-check) and sleeps in epoll.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <ptnet/ring.h>
#include "daemon/fwd.h"
#include "daemon/log.h"
#include "daemon/offload.h"
#include "daemon/vhost.h"

#define VH_BATCH	64
#define VH_SPIN_US	30

enum { EV_TXKICK, EV_RXKICK, EV_STOP, EV_IRQ /* + RX ring index */ };

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
}

static uint8_t *buf_of(struct ptd_port *p, const struct netmap_slot *s)
{
	return p->bufs + (size_t)s->buf_idx * p->buf_size;
}

static void call(struct vhost_qp *q, struct vhost_vring *vr)
{
	if (virtq_need_call(&vr->vq) && vr->call >= 0) {
		vhu_eventfd_signal(vr->call);
		ptnet_stat_add(&q->dev->port->st.irqs, 1);
	}
}

/* The inflight record (vhost.h): chain HEAD held, released, the used index published. */
static void infl_set(struct vhost_qp *q, struct vhost_vring *vr, uint16_t head)
{
	if (vr->infl) {
		vr->infl->desc[head].counter = ++q->infl_counter;
		vr->infl->desc[head].inflight = 1;
	}
}

static void infl_clear(struct vhost_vring *vr, uint16_t head)
{
	if (vr->infl)
		vr->infl->desc[head].inflight = 0;
}

/* Release: the cleared records before the index (for a front-end that reads them later). */
static void infl_used(struct vhost_vring *vr)
{
	if (vr->infl)
		ptnet_store_release(&vr->infl->used_idx, vr->vq.published);
}

/* A queue turned out malformed: count, tell the front-end, log once. */
static void broke(struct vhost_qp *q, struct vhost_vring *vr)
{
	struct vhost_dev *v = q->dev;

	if (q->broken)
		return;
	PTNET_WRITE_ONCE(q->broken, true);	/* the control thread's list reads it */
	ptnet_stat_add(&v->port->st.vq_broken, 1);
	if (vr->err >= 0)
		vhu_eventfd_signal(vr->err);
	LOG_RATELIMIT(5, "vhost port %s: queue pair %u stopped: the guest's virtqueue is "
		      "malformed (%s)", v->port->name, q->idx, vr->vq.why ? vr->vq.why : "?");
}

/* Guest -> switch.  Returns chains taken. */
static unsigned int guest_to_switch(struct vhost_qp *q)
{
	struct vhost_dev *v = q->dev;
	struct ptd_port *p = v->port;
	struct vhost_vring *vr = &v->vr[2 * q->idx + 1];
	struct ptd_txq *tx = &p->txq[q->idx];
	uint32_t n = tx->nslots, hl = v->hdr_len;
	unsigned int chains = 0;
	uint64_t runt = 0, big = 0;
	bool pushed = false;

	while (chains < VH_BATCH &&
	       n - 1 - ptnet_idx_dist(tx->hwcur, q->tx_head, n) >= q->max_slots) {
		struct virtq_chain *c = &q->c;
		uint32_t len, pos, off, j;
		uint8_t *b;
		int r = virtq_pop(&vr->vq, c);

		if (r <= 0)
			break;
		infl_set(q, vr, c->head);
		chains++;
		len = c->out_len;
		if (len < hl + PTNET_ETH_MIN_LEN || len - hl > VHOST_MAX_FRAME) {
			if (len < hl + PTNET_ETH_MIN_LEN)
				runt++;
			else
				big++;
			virtq_push(&vr->vq, c->head, 0);
			infl_clear(vr, c->head);
			continue;
		}
		/* The switch's 12-byte header first; a legacy 10-byte one gets num_buffers 0. */
		j = q->tx_head;
		b = buf_of(p, &tx->slot[j]);
		memset(b, 0, PTNET_VNET_HDR_LEN);
		virtq_copy_out(c, 0, b, hl);
		pos = PTNET_VNET_HDR_LEN;
		off = hl;
		for (;;) {
			uint32_t take = len - off < p->buf_size - pos ? len - off : p->buf_size - pos;

			virtq_copy_out(c, off, b + pos, take);
			off += take;
			tx->slot[j].len = (uint16_t)(pos + take);
			tx->slot[j].flags = off < len ? NS_MOREFRAG : 0;
			j = ptnet_idx_add(j, 1, n);
			if (off == len)
				break;
			b = buf_of(p, &tx->slot[j]);
			pos = 0;
		}
		q->tx_head = j;
		virtq_push(&vr->vq, c->head, 0);
		infl_clear(vr, c->head);
		pushed = true;
	}
	if (vr->vq.broken)
		broke(q, vr);
	if (chains) {
		virtq_publish(&vr->vq);		/* before forwarding: see the top */
		infl_used(vr);
		call(q, vr);
	}
	if (pushed)
		ptd_txq_push(tx, q->tx_head);
	if (runt)
		ptnet_stat_add(&p->st.drop_runt, runt);
	if (big)
		ptnet_stat_add(&p->st.drop_bad_chain, big);
	return chains;
}

/* A frame for the guest: its header (host order) and data pieces. */
struct vh_frame {
	struct ptd_vnet_hdr h;
	const struct iovec *iov;
	unsigned int niov;
	uint32_t len;			/* data bytes */
};

/* Copy LEN bytes of SRC pieces into the collected guest pieces, from offset DOFF. */
static void put_bytes(struct vhost_qp *q, unsigned int nr, uint32_t doff, const struct iovec *src,
		      unsigned int ns, uint32_t len)
{
	unsigned int di = 0, si = 0;
	size_t dpos = 0, spos = 0;

	while (di < nr && doff >= q->riov[di].iov_len)
		doff -= (uint32_t)q->riov[di++].iov_len;
	dpos = doff;
	while (len && di < nr && si < ns) {
		size_t dl = q->riov[di].iov_len - dpos, sl = src[si].iov_len - spos;
		size_t l = dl < sl ? dl : sl;

		if (l > len)
			l = len;
		memcpy((uint8_t *)q->riov[di].iov_base + dpos, (uint8_t *)src[si].iov_base + spos, l);
		dpos += l;
		spos += l;
		len -= (uint32_t)l;
		if (dpos == q->riov[di].iov_len) {
			di++;
			dpos = 0;
		}
		if (spos == src[si].iov_len) {
			si++;
			spos = 0;
		}
	}
}

/*
 * Put F into the guest's RX queue: 1 delivered, 0 no buffers yet (nothing
 * taken: wait for the guest), -1 dropped (buffers too small, or the queue
 * is broken).
 */
static int to_guest(struct vhost_qp *q, struct vhost_vring *vr, struct vh_frame *f)
{
	struct vhost_dev *v = q->dev;
	bool mrg = vhost_has(v, VN_F_MRG_RXBUF);
	uint32_t hl = v->hdr_len, total = hl + f->len, have = 0, rem;
	unsigned int nchains = 0, nr = 0;
	uint8_t hdr[PTNET_VNET_HDR_LEN];
	struct iovec hiov = { hdr, hl };

	while (have < total) {
		struct virtq_chain *c = &q->c;
		int r = virtq_pop(&vr->vq, c);

		if (r < 0)
			return -1;
		if (r == 0 || nchains == VHOST_RX_CHAINS || nr + c->nin > VHOST_RX_IOV ||
		    (!mrg && c->in_len < total) || (nchains == 0 && c->in_len < hl)) {
			/* Give back what was taken for this frame. */
			for (unsigned int i = 0; i < nchains; i++)
				infl_clear(vr, q->rheads[i]);
			virtq_unpop(&vr->vq, (uint16_t)(nchains + (r > 0)));
			/*
			 * No buffer yet: wait.  Otherwise drop: a frame in more pieces
			 * than we gather, or buffers too small (the guest's problem),
			 * or too small although the whole ring was offered (waiting
			 * for more would stall this RX queue for good).
			 */
			return r == 0 && nchains < vr->vq.num ? 0 : -1;
		}
		infl_set(q, vr, c->head);
		memcpy(&q->riov[nr], &c->iov[c->nout], c->nin * sizeof(struct iovec));
		nr += c->nin;
		q->rheads[nchains] = c->head;
		q->rlens[nchains] = c->in_len;
		nchains++;
		have += c->in_len;
		if (!mrg)
			break;
	}
	f->h.num_buffers = (uint16_t)(mrg || hl == PTNET_VNET_HDR_LEN ? nchains : 0);
	ptd_vnet_hdr_store(&f->h, hdr, hl);
	put_bytes(q, nr, 0, &hiov, 1, hl);
	put_bytes(q, nr, hl, f->iov, f->niov, f->len);
	rem = total;
	for (unsigned int i = 0; i < nchains; i++) {
		uint32_t l = rem < q->rlens[i] ? rem : q->rlens[i];

		virtq_push(&vr->vq, q->rheads[i], l);
		infl_clear(vr, q->rheads[i]);
		rem -= l;
	}
	return 1;
}

struct seg_ctx {
	struct vhost_qp *q;
	struct vhost_vring *vr;
	unsigned int sent, lost;
	bool blocked;
};

static void emit_seg(const uint8_t *frame, uint32_t len, void *arg)
{
	struct seg_ctx *s = arg;
	struct iovec iov = { (void *)frame, len };
	struct vh_frame f = { .iov = &iov, .niov = 1, .len = len };
	int r;

	if (s->blocked) {
		s->lost++;
		return;
	}
	r = to_guest(s->q, s->vr, &f);
	if (r > 0)
		s->sent++;
	else
		s->lost++;
	if (r == 0)
		s->blocked = true;
}

/* Can the guest take a frame with header H as it is? */
static bool guest_takes(const struct vhost_dev *v, const struct ptd_vnet_hdr *h)
{
	switch (h->gso_type & ~PTD_VNET_GSO_ECN) {
	case PTD_VNET_GSO_NONE:
		return true;
	case PTD_VNET_GSO_TCPV4:
		return vhost_has(v, VN_F_GUEST_TSO4) &&
		       (!(h->gso_type & PTD_VNET_GSO_ECN) || vhost_has(v, VN_F_GUEST_ECN));
	case PTD_VNET_GSO_TCPV6:
		return vhost_has(v, VN_F_GUEST_TSO6) &&
		       (!(h->gso_type & PTD_VNET_GSO_ECN) || vhost_has(v, VN_F_GUEST_ECN));
	default:
		return false;
	}
}

/*
 * One frame of RX ring slots as pieces FR (header in the first); returns
 * 1 delivered or dropped, 0 if the guest has no buffers (frame kept).
 */
static int deliver(struct vhost_qp *q, struct vhost_vring *vr, struct ptd_frag *fr,
		   unsigned int k, uint32_t total)
{
	struct vhost_dev *v = q->dev;
	struct iovec iov[NETMAP_MAX_FRAGS];
	struct vh_frame f;
	uint32_t data = total - PTNET_VNET_HDR_LEN;
	int r;

	ptd_vnet_hdr_load(&f.h, fr[0].buf, PTNET_VNET_HDR_LEN);
	if (!guest_takes(v, &f.h)) {
		/* Segment in software: make it linear, then cut it (headers of 0). */
		struct seg_ctx s = { .q = q, .vr = vr };
		uint32_t off = 0;

		if (data > PTD_GSO_SCRATCH_MAX) {
			ptnet_stat_add(&v->port->st.drop_offload, 1);
			return 1;
		}
		for (unsigned int i = 0; i < k; i++) {
			uint32_t skip = i ? 0 : PTNET_VNET_HDR_LEN;

			memcpy(q->lin + off, fr[i].buf + skip, fr[i].len - skip);
			off += fr[i].len - skip;
		}
		r = ptd_gso_segment(&f.h, q->lin, data, v->mtu, q->seg, PTD_GSO_SCRATCH_MAX,
				    emit_seg, &s);
		if (r < 0) {
			ptnet_stat_add(&v->port->st.drop_offload, 1);
			return 1;
		}
		q->segs += s.sent > 1 ? s.sent - 1 : 0;
		q->drops_norx += s.lost;
		return 1;
	}
	if ((f.h.flags & PTD_VNET_F_NEEDS_CSUM) && !vhost_has(v, VN_F_GUEST_CSUM)) {
		if (ptd_csum_complete_frags(fr, k, PTNET_VNET_HDR_LEN, f.h.csum_start,
					    f.h.csum_offset)) {
			ptnet_stat_add(&v->port->st.drop_offload, 1);
			return 1;
		}
		f.h.flags = 0;
	}
	if (!vhost_has(v, VN_F_GUEST_CSUM))
		f.h.flags &= (uint8_t)~PTD_VNET_F_DATA_VALID;
	for (unsigned int i = 0; i < k; i++) {
		uint32_t skip = i ? 0 : PTNET_VNET_HDR_LEN;

		iov[i].iov_base = fr[i].buf + skip;
		iov[i].iov_len = fr[i].len - skip;
	}
	f.iov = iov;
	f.niov = k;
	f.len = data;
	r = to_guest(q, vr, &f);
	if (r == 0)
		return 0;
	if (r < 0)
		q->drops_norx++;
	return 1;
}

/* RX ring K (owned by this thread) -> the guest.  Returns frames handled. */
static unsigned int ring_to_guest(struct vhost_qp *q, unsigned int kr)
{
	struct vhost_dev *v = q->dev;
	struct ptd_port *p = v->port;
	struct vhost_vring *vr = &v->vr[2 * q->idx];
	struct ptd_rxq *rx = &p->rxq[kr];
	uint32_t n = rx->nslots, hwtail, hwcur, head = v->rx_head[kr];
	unsigned int frames = 0;
	uint64_t runt = 0;

	ptnet_csb_appl_read(rx->ktoa, &hwtail, &hwcur);	/* A2 */
	if (hwtail >= n)
		return 0;
	while (head != hwtail && frames < 4 * VH_BATCH) {
		struct ptd_frag fr[NETMAP_MAX_FRAGS];
		uint32_t j = head, k = 0, total = 0;
		const struct netmap_slot *s;

		do {
			s = &rx->slot[j];
			fr[k].buf = buf_of(p, s);
			fr[k].len = s->len;
			total += s->len;
			k++;
			j = ptnet_idx_add(j, 1, n);
		} while ((s->flags & NS_MOREFRAG) && j != hwtail && k < NETMAP_MAX_FRAGS);
		if ((s->flags & NS_MOREFRAG) && j == hwtail)
			break;		/* cannot happen: the switch publishes whole frames */
		if (fr[0].len < PTNET_VNET_HDR_LEN || total < PTNET_VNET_HDR_LEN + PTNET_ETH_MIN_LEN) {
			runt++;		/* was consumed without a count */
		} else if (!q->broken && !deliver(q, vr, fr, k, total)) {
			q->rx_wait = true;	/* no guest buffers: keep the frame */
			break;
		}
		head = j;
		frames++;
		if (vr->vq.broken) {
			broke(q, vr);
			break;
		}
	}
	if (runt)
		ptnet_stat_add(&p->st.drop_runt, runt);
	if (frames) {
		v->rx_head[kr] = head;
		ptnet_csb_appl_write(rx->atok, head, head);	/* A1: release */
	}
	return frames;
}

/*
 * Switch -> guest: every RX ring this thread owns (its own, and those of
 * queue pairs the guest has not enabled) into its guest RX queue.
 */
static unsigned int switch_to_guest(struct vhost_qp *q)
{
	struct vhost_dev *v = q->dev;
	struct ptd_port *p = v->port;
	struct vhost_vring *vr = &v->vr[2 * q->idx];
	unsigned int frames = 0;

	q->rx_wait = false;
	for (unsigned int kr = 0; kr < v->queues && !q->rx_wait && !q->broken; kr++)
		if (q->rx_mask & (1u << kr))
			frames += ring_to_guest(q, kr);
	virtq_publish(&vr->vq);
	infl_used(vr);
	call(q, vr);
	if (q->drops_norx) {
		ptnet_stat_add(&p->st.drop_no_rxbuf, q->drops_norx);
		q->drops_norx = 0;
	}
	if (q->segs) {
		ptnet_stat_add(&p->st.rx_segs, q->segs);
		q->segs = 0;
	}
	return frames;
}

/* Nothing to do: ask for every notification with its re-check, then sleep. */
static bool qp_sleep(struct vhost_qp *q)
{
	struct vhost_dev *v = q->dev;
	struct ptd_port *p = v->port;
	struct vhost_vring *rxv = &v->vr[2 * q->idx], *txv = &v->vr[2 * q->idx + 1];
	struct ptd_txq *tx = &p->txq[q->idx];
	uint32_t irq_on = 0;
	bool tx_room = !q->broken &&
		       tx->nslots - 1 - ptnet_idx_dist(tx->hwcur, q->tx_head, tx->nslots) >=
		       q->max_slots;
	bool stop = false, rx_kick = false, tx_kick = false;
	struct epoll_event ev[8];
	int nev;

	if (!q->broken) {
		if (q->rx_wait) {
			/*
			 * N1 on the guest's RX queue: wait for buffers beyond those a
			 * frame did not fit in (V4 in virtq.c).  virtq_notify_on here
			 * saw those and never slept: a guest leaving too few buffers
			 * for a large frame made this thread spin.
			 */
			rx_kick = true;
			if (virtq_notify_more(&rxv->vq))
				goto busy;
		} else {
			/* N1 (application side) on each RX ring it owns: frames from the switch. */
			for (unsigned int kr = 0; kr < v->queues; kr++) {
				struct ptd_rxq *rx = &p->rxq[kr];

				if (!(q->rx_mask & (1u << kr)))
					continue;
				irq_on |= 1u << kr;
				if (ptnet_csb_appl_enable(rx->atok, rx->ktoa) != v->rx_head[kr])
					goto busy;
			}
		}
		if (tx_room) {
			tx_kick = true;
			if (virtq_notify_on(&txv->vq))
				goto busy;
		}
	}
	if (tx_room != q->tx_armed) {
		struct epoll_event e = { .events = tx_room ? EPOLLIN : 0, .data.u32 = EV_TXKICK };

		epoll_ctl(q->epfd, EPOLL_CTL_MOD, txv->kick, &e);
		q->tx_armed = tx_room;
	}
	nev = epoll_wait(q->epfd, ev, 8, -1);
	for (int i = 0; i < nev; i++) {
		uint32_t what = ev[i].data.u32;

		if (what == EV_TXKICK) {
			vhu_eventfd_drain(txv->kick);
			ptnet_stat_add(&p->st.kicks, 1);
		} else if (what == EV_RXKICK) {
			vhu_eventfd_drain(rxv->kick);
		} else if (what == EV_STOP) {
			stop = true;
		} else if (what - EV_IRQ < v->queues) {
			ptd_notify_drain(v->qp[what - EV_IRQ].irq_rfd);
		}
	}
busy:
	if (rx_kick)
		virtq_notify_off(&rxv->vq);
	for (unsigned int kr = 0; kr < v->queues; kr++)
		if (irq_on & (1u << kr))
			ptnet_csb_appl_disable(p->rxq[kr].atok);
	if (tx_kick)
		virtq_notify_off(&txv->vq);
	return stop;
}

void *vhost_qp_main(void *arg)
{
	struct vhost_qp *q = arg;
	struct vhost_dev *v = q->dev;
	struct ptd_port *p = v->port;
	struct epoll_event e = { .events = EPOLLIN };
	uint64_t last = now_us();

	q->max_slots = (PTNET_VNET_HDR_LEN + VHOST_MAX_FRAME + p->buf_size - 1) / p->buf_size;
	q->tx_armed = true;
	e.data.u32 = EV_TXKICK;
	epoll_ctl(q->epfd, EPOLL_CTL_ADD, v->vr[2 * q->idx + 1].kick, &e);
	e.data.u32 = EV_RXKICK;
	epoll_ctl(q->epfd, EPOLL_CTL_ADD, v->vr[2 * q->idx].kick, &e);
	for (unsigned int kr = 0; kr < v->queues; kr++) {
		if (!(q->rx_mask & (1u << kr)))
			continue;
		e.data.u32 = EV_IRQ + kr;
		epoll_ctl(q->epfd, EPOLL_CTL_ADD, v->qp[kr].irq_rfd, &e);
	}
	e.data.u32 = EV_STOP;
	epoll_ctl(q->epfd, EPOLL_CTL_ADD, q->stop_efd, &e);
	/* Kicks off while polling; the guest's RX kicks only when we wait for buffers. */
	virtq_notify_off(&v->vr[2 * q->idx].vq);
	virtq_notify_off(&v->vr[2 * q->idx + 1].vq);

	for (;;) {
		unsigned int work = 0;
		uint64_t t;

		if (!q->broken)
			work = switch_to_guest(q) + guest_to_switch(q);
		if (work) {
			last = now_us();
			continue;
		}
		t = now_us();
		if (!q->broken && t - last < VH_SPIN_US) {
			sched_yield();
			continue;
		}
		if (qp_sleep(q))
			break;
		last = now_us();
	}
	epoll_ctl(q->epfd, EPOLL_CTL_DEL, v->vr[2 * q->idx + 1].kick, NULL);
	epoll_ctl(q->epfd, EPOLL_CTL_DEL, v->vr[2 * q->idx].kick, NULL);
	for (unsigned int kr = 0; kr < v->queues; kr++)
		if (q->rx_mask & (1u << kr))
			epoll_ctl(q->epfd, EPOLL_CTL_DEL, v->qp[kr].irq_rfd, NULL);
	epoll_ctl(q->epfd, EPOLL_CTL_DEL, q->stop_efd, NULL);
	return NULL;
}
