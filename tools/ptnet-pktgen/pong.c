// SPDX-License-Identifier: BSD-2-Clause
/*
 * pong.c - the pong function: every IPv4/UDP frame received on RX ring i
 * goes back on TX ring i with MAC addresses, IP addresses and UDP ports
 * swapped and the payload untouched.  Other frames and chained (multi-slot)
 * frames are counted as foreign and not echoed; an echo that finds the TX
 * ring full is dropped and counted.
 */
#include <errno.h>
#include <string.h>
#include "../common/pkt.h"
#include "pktgen.h"

struct pong_ctx {
	struct pg_thread *t;
	struct pg_run *r;
	struct netmap_ring *tx, *rx;
	struct pg_stats st;
};

/* Copy the frame in RX slot S into the next TX slot and reflect it. */
static int echo(struct pong_ctx *c, const struct netmap_slot *s, uint32_t *txcur,
		uint32_t *txspace)
{
	struct netmap_ring *tx = c->tx;
	struct netmap_slot *d;
	uint8_t *dst;

	if (!*txspace) {
		c->st.dropped++;
		return 0;
	}
	d = &tx->slot[*txcur];
	dst = (uint8_t *)NETMAP_BUF(tx, d->buf_idx);
	memcpy(dst, NETMAP_BUF(c->rx, s->buf_idx), s->len);
	ptt_udp_reflect(dst + c->r->vnet);
	d->len = s->len;
	d->flags = 0;
	*txcur = nm_ring_next(tx, *txcur);
	(*txspace)--;
	c->st.echoed++;
	return 1;
}

/* Handle up to LIMIT packets of [head, tail); returns how many were echoed. */
static uint32_t handle(struct pong_ctx *c, uint32_t limit, uint32_t *pkts)
{
	struct netmap_ring *rx = c->rx, *tx = c->tx;
	uint32_t i = rx->head, txcur = tx->head, txspace = nm_ring_space(tx), echoed = 0;
	uint32_t vnet = c->r->vnet;

	for (*pkts = 0; i != rx->tail && *pkts < limit; (*pkts)++) {
		const struct netmap_slot *s = &rx->slot[i];
		uint32_t wire = s->len, start = i;

		if (s->flags & NS_MOREFRAG) {
			uint32_t n = 1;

			while ((rx->slot[i].flags & NS_MOREFRAG) && nm_ring_next(rx, i) != rx->tail) {
				i = nm_ring_next(rx, i);
				wire += rx->slot[i].len;
				n++;
			}
			if ((rx->slot[i].flags & NS_MOREFRAG) && n < rx->num_slots - 1) {
				i = start;	/* chain not complete yet */
				break;
			}
			c->st.foreign++;
		} else if (wire <= rx->nr_buf_size && wire >= vnet &&
			   ptt_is_udp4((const uint8_t *)NETMAP_BUF(rx, s->buf_idx) + vnet,
				       wire - vnet, 0)) {
			echoed += (uint32_t)echo(c, s, &txcur, &txspace);
		} else {
			c->st.foreign++;
		}
		c->st.bytes += wire >= vnet ? wire - vnet : 0;
		i = nm_ring_next(rx, i);
	}
	rx->head = rx->cur = i;
	tx->head = tx->cur = txcur;
	return echoed;
}

static void run(struct pong_ctx *c)
{
	struct pg_thread *t = c->t;
	struct pg_run *r = c->r;
	int ret;

	while (!pg_stopping()) {
		uint32_t limit = r->batch, pkts, echoed;

		if (t->quota) {
			if (c->st.pkts >= t->quota)
				break;
			if (t->quota - c->st.pkts < limit)
				limit = (uint32_t)(t->quota - c->st.pkts);
		}

		ret = ptnet_rxsync(r->port, t->ring);
		if (ret < 0) {
			pg_fail(t, "rxsync", ret);
			break;
		}
		if (nm_ring_empty(c->rx)) {
			if (pg_wait(t, PTNET_WAIT_RX, PG_WAIT_MS) < 0)
				break;
			continue;
		}
		if (!nm_ring_space(c->tx) && (ret = ptnet_txsync(r->port, t->ring)) < 0) {
			pg_fail(t, "txsync", ret);
			break;
		}
		echoed = handle(c, limit, &pkts);
		if (echoed && (ret = ptnet_txsync(r->port, t->ring)) < 0) {
			pg_fail(t, "txsync", ret);
			break;
		}
		if (!pkts)
			continue;
		pg_active(t);
		c->st.t_last = pg_now_ns();
		if (!c->st.pkts)
			c->st.t_first = c->st.t_last;
		c->st.pkts += pkts;
		c->st.events++;
		pg_stats_publish(&t->st, &c->st);
	}
	ptnet_rxsync(r->port, t->ring);
	ptnet_txsync(r->port, t->ring);
}

void *pg_pong_thread(void *arg)
{
	struct pg_thread *t = arg;
	struct pg_run *r = t->run;
	struct pong_ctx c;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.r = r;
	c.tx = ptnet_port_txring(r->port, t->ring);
	c.rx = ptnet_port_rxring(r->port, t->ring);
	if (!c.tx || !c.rx)
		pg_fail(t, "setup", -EINVAL);
	else
		run(&c);
	PTNET_WRITE_ONCE(t->st.done, 1);
	return NULL;
}
