// SPDX-License-Identifier: BSD-2-Clause
/*
 * ping.c - the ping function: send BATCH frames (default 1) on TX ring i,
 * wait for their echoes on RX ring i, one RTT sample per echo, then the
 * next batch.  An echo not back within 1 s is lost.
 *
 * Payload after the UDP header (frame offset 42), host byte order:
 *	0  u32 sequence number		(pkt-gen's offset)
 *	4  u64 CLOCK_MONOTONIC ns at send
 *	12 u16 ring index of the sender
 *	14 u16 PING_MAGIC
 * The RTT is taken from the timestamp carried by the echo.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "../common/pkt.h"
#include "pktgen.h"

#define SEQ_OFS		(PTT_PAYLOAD_OFS + 0)
#define TS_OFS		(PTT_PAYLOAD_OFS + 4)
#define ID_OFS		(PTT_PAYLOAD_OFS + 12)
#define MAGIC_OFS	(PTT_PAYLOAD_OFS + 14)
#define PING_MAGIC	0x7069u
#define PING_MIN_LEN	(PTT_PAYLOAD_OFS + 16)

struct ping_ctx {
	struct pg_thread *t;
	struct pg_run *r;
	struct netmap_ring *tx, *rx;
	uint8_t *seen;		/* per frame of the batch in flight */
	struct pg_stats st;
};

/* Make room for K frames on the TX ring.  0, or -1 to stop. */
static int tx_room(struct ping_ctx *c, uint32_t k)
{
	int ret;

	while (nm_ring_space(c->tx) < k) {
		if (pg_stopping())
			return -1;
		ret = ptnet_txsync(c->r->port, c->t->ring);
		if (ret < 0) {
			pg_fail(c->t, "txsync", ret);
			return -1;
		}
		if (nm_ring_space(c->tx) >= k)
			break;
		if (!nm_ring_space(c->tx)) {
			if (pg_wait(c->t, PTNET_WAIT_TX, PG_WAIT_MS) < 0)
				return -1;
		} else {
			pg_backoff(c->t, PG_WAIT_MS);
		}
	}
	return 0;
}

static int send_batch(struct ping_ctx *c, uint32_t seq, uint32_t k)
{
	const struct pg_run *r = c->r;
	struct netmap_ring *ring = c->tx;
	uint32_t wire = r->vnet + r->conf.len_min, cur = ring->head;
	uint16_t id = (uint16_t)c->t->ring, magic = PING_MAGIC;
	uint64_t now = pg_now_ns();
	int ret;

	for (uint32_t j = 0; j < k; j++, seq++) {
		struct netmap_slot *slot = &ring->slot[cur];
		uint8_t *frame = (uint8_t *)NETMAP_BUF(ring, slot->buf_idx);

		memcpy(frame, r->tmpl, wire);
		frame += r->vnet;
		memcpy(frame + SEQ_OFS, &seq, 4);
		memcpy(frame + TS_OFS, &now, 8);
		memcpy(frame + ID_OFS, &id, 2);
		memcpy(frame + MAGIC_OFS, &magic, 2);
		slot->len = (uint16_t)wire;
		slot->flags = 0;
		cur = nm_ring_next(ring, cur);
	}
	ring->head = ring->cur = cur;
	ret = ptnet_txsync(r->port, c->t->ring);
	if (ret < 0) {
		pg_fail(c->t, "txsync", ret);
		return ret;
	}
	c->st.pkts += k;
	c->st.bytes += (uint64_t)k * r->conf.len_min;
	c->st.events++;
	c->st.t_last = now;
	return 0;
}

/* Take the echoes in [head, tail) that belong to batch [base, base + k). */
static uint32_t collect(struct ping_ctx *c, uint32_t base, uint32_t k)
{
	struct netmap_ring *ring = c->rx;
	uint32_t i = ring->head, got = 0, vnet = c->r->vnet;
	uint64_t now = pg_now_ns();

	for (; i != ring->tail; i = nm_ring_next(ring, i)) {
		const struct netmap_slot *s = &ring->slot[i];
		const uint8_t *frame = (const uint8_t *)NETMAP_BUF(ring, s->buf_idx) + vnet;
		uint32_t seq, len = s->len > vnet ? s->len - vnet : 0;
		uint16_t id, magic;
		uint64_t ts;

		if (s->flags & NS_MOREFRAG) {
			/* Not ours: skip the rest of the chain. */
			while ((ring->slot[i].flags & NS_MOREFRAG) &&
			       nm_ring_next(ring, i) != ring->tail)
				i = nm_ring_next(ring, i);
			continue;
		}
		if (len < PING_MIN_LEN || len > ring->nr_buf_size || !ptt_is_udp4(frame, len, 0))
			continue;
		memcpy(&seq, frame + SEQ_OFS, 4);
		memcpy(&ts, frame + TS_OFS, 8);
		memcpy(&id, frame + ID_OFS, 2);
		memcpy(&magic, frame + MAGIC_OFS, 2);
		if (magic != PING_MAGIC || id != c->t->ring || seq - base >= k ||
		    c->seen[seq - base] || ts > now)
			continue;
		c->seen[seq - base] = 1;
		got++;
		c->st.trans++;
		c->st.rtt_sum_ns += now - ts;
		pg_rtt_add(c->t->rtt, now - ts);
		c->st.t_last = now;
	}
	ring->head = ring->cur = ring->tail;
	return got;
}

/* Wait for the K echoes of batch BASE.  0, or -1 to stop. */
static int await(struct ping_ctx *c, uint32_t base, uint32_t k)
{
	uint64_t now, deadline = pg_now_ns() + PG_PING_TIMEOUT_NS;
	uint32_t got = 0;
	int ret;

	memset(c->seen, 0, k);
	for (;;) {
		ret = ptnet_rxsync(c->r->port, c->t->ring);
		if (ret < 0) {
			pg_fail(c->t, "rxsync", ret);
			return -1;
		}
		if (!nm_ring_empty(c->rx)) {
			got += collect(c, base, k);
			pg_active(c->t);
		}
		if (got == k)
			return 0;
		if (pg_stopping())
			return -1;
		now = pg_now_ns();
		if (now >= deadline) {
			c->st.lost += k - got;
			return 0;
		}
		if (pg_wait(c->t, PTNET_WAIT_RX, (int)((deadline - now + 999999) / 1000000)) < 0)
			return -1;
	}
}

static void run(struct ping_ctx *c)
{
	struct pg_thread *t = c->t;
	struct pg_pace pace;
	uint32_t seq = 0;

	pg_pace_init(&pace, t->rate, c->r->batch);
	c->st.t_first = c->st.t_last = pg_now_ns();
	while (!pg_stopping()) {
		uint32_t k = c->r->batch;

		if (t->quota) {
			uint64_t done = c->st.trans + c->st.lost;

			if (done >= t->quota)
				break;
			if (t->quota - done < k)
				k = (uint32_t)(t->quota - done);
		}
		k = pg_pace_budget(&pace, k, c->r->conf.busy);
		if (!k || tx_room(c, k) < 0 || send_batch(c, seq, k) < 0)
			break;
		pg_pace_used(&pace, k);
		if (await(c, seq, k) < 0)
			break;
		seq += k;
		pg_stats_publish(&t->st, &c->st);
	}
	pg_stats_publish(&t->st, &c->st);
}

void *pg_ping_thread(void *arg)
{
	struct pg_thread *t = arg;
	struct pg_run *r = t->run;
	struct ping_ctx c;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.r = r;
	c.tx = ptnet_port_txring(r->port, t->ring);
	c.rx = ptnet_port_rxring(r->port, t->ring);
	c.seen = calloc(r->batch, 1);
	if (!c.tx || !c.rx)
		pg_fail(t, "setup", -EINVAL);
	else if (!c.seen)
		pg_fail(t, "setup", -ENOMEM);
	else
		run(&c);
	free(c.seen);
	PTNET_WRITE_ONCE(t->st.done, 1);
	return NULL;
}
