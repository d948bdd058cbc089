// SPDX-License-Identifier: BSD-2-Clause
/*
 * rx.c - the rx function: drain RX ring i, count packets (a packet ends at
 * the first slot without NS_MOREFRAG) and frame bytes; with -V check each
 * frame and track the sequence of each flow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pktgen.h"

struct rx_ctx {
	struct pg_thread *t;
	struct pg_run *r;
	struct netmap_ring *ring;
	uint8_t *scratch;	/* -V: a chained frame, reassembled */
	size_t scratch_len;
	struct pg_flows flows;
	struct pg_stats st;
};

/* -V on one packet occupying N slots from slot I. */
static void verify(struct rx_ctx *c, uint32_t i, uint32_t n, uint32_t wire)
{
	struct netmap_ring *ring = c->ring;
	uint32_t vnet = c->r->vnet;
	const uint8_t *frame;
	uint64_t tag;

	if (wire < vnet) {
		c->st.corrupt++;
		return;
	}
	if (n == 1) {
		frame = (const uint8_t *)NETMAP_BUF(ring, ring->slot[i].buf_idx);
	} else {
		size_t off = 0;

		if (wire > c->scratch_len) {
			c->st.corrupt++;
			return;
		}
		for (; n; n--, i = nm_ring_next(ring, i)) {
			const struct netmap_slot *s = &ring->slot[i];
			uint32_t l = s->len <= ring->nr_buf_size ? s->len : ring->nr_buf_size;

			memcpy(c->scratch + off, NETMAP_BUF(ring, s->buf_idx), l);
			off += l;
		}
		frame = c->scratch;
	}
	switch (pg_vfy_check(frame + vnet, wire - vnet, &tag)) {
	case PG_VFY_OK:
		c->st.ok++;
		pg_flows_account(&c->flows, tag, &c->st);
		break;
	case PG_VFY_CORRUPT:
		c->st.corrupt++;
		break;
	default:
		c->st.foreign++;
		break;
	}
}

/*
 * Consume up to LIMIT packets from [head, tail).  A chain still open at
 * tail is left for the next round, unless it fills the whole ring.
 */
static uint32_t consume(struct rx_ctx *c, uint32_t limit)
{
	struct netmap_ring *ring = c->ring;
	uint32_t avail = nm_ring_space(ring), head = ring->head, pkts = 0;
	uint32_t maxlen = ring->nr_buf_size;

	while (avail && pkts < limit) {
		uint32_t i = head, n = 0, wire = 0;
		const struct netmap_slot *s;

		do {
			s = &ring->slot[i];
			wire += s->len <= maxlen ? s->len : maxlen;
			n++;
			i = nm_ring_next(ring, i);
		} while ((s->flags & NS_MOREFRAG) && n < avail);
		if ((s->flags & NS_MOREFRAG) && avail < ring->num_slots - 1)
			break;
		if (c->r->conf.verify)
			verify(c, head, n, wire);
		c->st.bytes += wire >= c->r->vnet ? wire - c->r->vnet : 0;
		pkts++;
		head = i;
		avail -= n;
	}
	ring->head = ring->cur = head;
	return pkts;
}

/* rx -n: how many packets this worker may still take. */
static uint32_t budget(struct rx_ctx *c)
{
	uint64_t count = c->r->conf.count, taken;

	if (!count)
		return c->r->batch;
	taken = PTNET_READ_ONCE(c->r->rx_total);
	if (taken >= count)
		return 0;
	return count - taken < c->r->batch ? (uint32_t)(count - taken) : c->r->batch;
}

static void run(struct rx_ctx *c)
{
	struct pg_thread *t = c->t;
	struct pg_run *r = c->r;
	int ret;

	while (!pg_stopping()) {
		uint32_t limit = budget(c), k;

		if (!limit) {
			pg_request_stop();
			break;
		}
		ret = ptnet_rxsync(r->port, t->ring);
		if (ret < 0) {
			pg_fail(t, "rxsync", ret);
			break;
		}
		if (nm_ring_empty(c->ring)) {
			if (pg_wait(t, PTNET_WAIT_RX, PG_WAIT_MS) < 0)
				break;
			continue;
		}
		k = consume(c, limit);
		if (!k)
			continue;
		pg_active(t);
		c->st.t_last = pg_now_ns();
		if (!c->st.pkts)
			c->st.t_first = c->st.t_last;
		c->st.pkts += k;
		c->st.events++;
		pg_stats_publish(&t->st, &c->st);
		if (r->conf.count && ptnet_stat_add(&r->rx_total, k) + k >= r->conf.count)
			pg_request_stop();
	}
	/* Hand back what was consumed. */
	ptnet_rxsync(r->port, t->ring);
}

void *pg_rx_thread(void *arg)
{
	struct pg_thread *t = arg;
	struct pg_run *r = t->run;
	struct rx_ctx c;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.r = r;
	c.ring = ptnet_port_rxring(r->port, t->ring);
	if (r->conf.verify) {
		c.scratch_len = r->vnet + 65536 + (size_t)r->bs;
		c.scratch = malloc(c.scratch_len);
	}
	if (!c.ring || (r->conf.verify && !c.scratch))
		pg_fail(t, "setup", c.ring ? -ENOMEM : -EINVAL);
	else
		run(&c);
	free(c.scratch);
	PTNET_WRITE_ONCE(t->st.done, 1);
	return NULL;
}
