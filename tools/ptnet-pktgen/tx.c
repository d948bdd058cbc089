// SPDX-License-Identifier: BSD-2-Clause
/*
 * tx.c - the tx function: fill TX ring i as fast as allowed.
 *
 * Like pkt-gen, a buffer gets the frame template only the first time a
 * slot is used (or when the slot's buffer changed); after that only
 * slot->len is written.  What each slot's buffer holds is remembered as
 * buf_idx | fragment index << 32.  Random lengths patch the IPv4/UDP
 * length fields of the first fragment; -V writes every frame in full.
 * Frames longer than a buffer are chained with NS_MOREFRAG, and a frame is
 * only started when all its slots are free, so a published ring never ends
 * inside a chain.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "../common/pkt.h"
#include "pktgen.h"

#define KEY_NONE	UINT64_MAX

struct tx_ctx {
	struct pg_thread *t;
	struct pg_run *r;
	struct netmap_ring *ring;
	uint64_t *key;		/* per slot: what its buffer holds */
	uint8_t *scratch;	/* -V: the frame being built */
	uint32_t flow, seq;	/* -V */
	uint32_t pending;	/* random length drawn but not sent yet, 0 = none */
};

static uint32_t next_len(struct tx_ctx *c)
{
	const struct pg_conf *conf = &c->r->conf;
	uint64_t span;

	if (!conf->random_len)
		return conf->len_min;
	if (c->pending)
		return c->pending;
	span = conf->len_max - conf->len_min + 1;
	c->pending = conf->len_min + (uint32_t)(((pg_rand(&c->t->rng) >> 32) * span) >> 32);
	return c->pending;
}

/* Place one frame of LEN bytes starting at slot CUR; returns the next slot. */
static uint32_t put_frame(struct tx_ctx *c, uint32_t cur, uint32_t len)
{
	const struct pg_run *r = c->r;
	struct netmap_ring *ring = c->ring;
	uint32_t wire = r->vnet + len, wmax = r->vnet + r->conf.len_max, off = 0;

	if (r->conf.verify) {
		memcpy(c->scratch, r->tmpl, r->vnet + PTT_PAYLOAD_OFS);
		ptt_udp_set_len(c->scratch + r->vnet, len);
		pg_vfy_stamp(c->scratch + r->vnet, len, c->flow, c->seq++);
	}
	for (uint32_t frag = 0; off < wire; frag++) {
		struct netmap_slot *slot = &ring->slot[cur];
		uint8_t *buf = (uint8_t *)NETMAP_BUF(ring, slot->buf_idx);
		uint32_t n = wire - off < r->bs ? wire - off : r->bs;

		if (r->conf.verify) {
			memcpy(buf, c->scratch + off, n);
		} else {
			uint64_t key = (uint64_t)frag << 32 | slot->buf_idx;

			if (c->key[cur] != key) {
				uint32_t full = wmax - off < r->bs ? wmax - off : r->bs;

				memcpy(buf, r->tmpl + off, full);
				c->key[cur] = key;
			}
			if (frag == 0 && r->conf.random_len)
				ptt_udp_set_len(buf + r->vnet, len);
		}
		off += n;
		slot->len = (uint16_t)n;
		slot->flags = off < wire ? NS_MOREFRAG : 0;
		cur = nm_ring_next(ring, cur);
	}
	return cur;
}

/* Fill up to LIMIT frames into the free slots; returns how many, adds bytes. */
static uint32_t fill(struct tx_ctx *c, uint32_t limit, uint64_t *bytes)
{
	struct netmap_ring *ring = c->ring;
	uint32_t space = nm_ring_space(ring), cur = ring->head, k;

	for (k = 0; k < limit; k++) {
		uint32_t len = next_len(c), nf = pg_frags(c->r, len);

		if (nf > space)
			break;
		cur = put_frame(c, cur, len);
		c->pending = 0;
		space -= nf;
		*bytes += len;
	}
	ring->head = ring->cur = cur;
	return k;
}

/* Publish what is left and wait (bounded) until ptnetd took every slot. */
static void drain(struct tx_ctx *c)
{
	struct pg_run *r = c->r;
	uint64_t deadline = pg_now_ns() + PG_DRAIN_NS;

	for (;;) {
		if (ptnet_txsync(r->port, c->t->ring) < 0)
			return;
		if (!nm_tx_pending(c->ring) || pg_now_ns() > deadline)
			return;
		if (r->conf.busy)
			pg_spin(&c->t->spins);
		else
			pg_sleep_ns(50000);
	}
}

static int ctx_init(struct tx_ctx *c, struct pg_thread *t)
{
	struct pg_run *r = t->run;

	memset(c, 0, sizeof(*c));
	c->t = t;
	c->r = r;
	c->ring = ptnet_port_txring(r->port, t->ring);
	if (!c->ring)
		return -EINVAL;
	c->key = malloc(sizeof(*c->key) * c->ring->num_slots);
	c->scratch = malloc(r->vnet + r->conf.len_max);
	if (!c->key || !c->scratch)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->ring->num_slots; i++)
		c->key[i] = KEY_NONE;
	c->flow = (uint32_t)r->session << 16 | t->ring;
	return 0;
}

static void ctx_free(struct tx_ctx *c)
{
	free(c->key);
	free(c->scratch);
}

static void run(struct tx_ctx *c)
{
	struct pg_thread *t = c->t;
	struct pg_run *r = c->r;
	struct pg_stats st = { 0 };
	struct pg_pace pace;
	int ret;

	pg_pace_init(&pace, t->rate, r->batch);
	st.t_first = st.t_last = pg_now_ns();
	pg_stats_publish(&t->st, &st);
	while (!pg_stopping()) {
		uint32_t limit = r->batch, k;
		uint64_t bytes = 0;

		if (t->quota) {
			if (st.pkts >= t->quota)
				break;
			if (t->quota - st.pkts < limit)
				limit = (uint32_t)(t->quota - st.pkts);
		}
		limit = pg_pace_budget(&pace, limit, r->conf.busy);
		if (!limit)
			break;
		k = fill(c, limit, &bytes);
		if (k) {
			ret = ptnet_txsync(r->port, t->ring);
			if (ret < 0) {
				pg_fail(t, "txsync", ret);
				break;
			}
			pg_pace_used(&pace, k);
			pg_active(t);
			st.pkts += k;
			st.bytes += bytes;
			st.events++;
			st.t_last = pg_now_ns();
			pg_stats_publish(&t->st, &st);
			continue;
		}
		/* No room for the next frame. */
		if (!nm_ring_space(c->ring)) {
			if (pg_wait(t, PTNET_WAIT_TX, PG_WAIT_MS) < 0)
				break;
		} else {
			/*
			 * Some room, not enough for a chain: ptnet_port_wait
			 * would return at once, so poll with a backoff.
			 */
			if (r->conf.busy)
				pg_spin(&t->spins);
			else
				pg_backoff(t, PG_WAIT_MS);
			ret = ptnet_txsync(r->port, t->ring);
			if (ret < 0) {
				pg_fail(t, "txsync", ret);
				break;
			}
		}
	}
	drain(c);
}

void *pg_tx_thread(void *arg)
{
	struct pg_thread *t = arg;
	struct tx_ctx c;
	int ret = ctx_init(&c, t);

	if (ret < 0)
		pg_fail(t, "setup", ret);
	else
		run(&c);
	ctx_free(&c);
	PTNET_WRITE_ONCE(t->st.done, 1);
	return NULL;
}
