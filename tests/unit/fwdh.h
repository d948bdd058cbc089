/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fwdh.h - harness for the forwarding unit tests.
 *
 * Ports are made by the real ptd_port_create on a struct ptd whose workers
 * run (ptd_port_create hands every TX ring to a worker); their TX rings are
 * then taken back with ptd_worker_del, so the test owns each TX ring and
 * calls ptd_txq_forward itself, synchronously.  The test plays the client
 * through the port region exactly as libptnet would: slots, buffers, CSB.
 */
#ifndef PTNET_TESTS_FWDH_H
#define PTNET_TESTS_FWDH_H

#include <string.h>
#include <ptnet/ring.h>
#include "daemon/fwd.h"
#include "daemon/log.h"
#include "daemon/port.h"
#include "daemon/switch.h"
#include "daemon/worker.h"
#include "t.h"

#define ETH_TYPE_TEST 0x88b5

struct cport {
	struct ptd_port *p;
	struct netmap_if *nifp;
	struct nm_csb_atok *atok; /* [0]: TX ring 0 ... then RX rings */
	struct nm_csb_ktoa *ktoa;
	unsigned int ntx, nrx;
	uint32_t *txidx[PTNET_MAX_RINGS]; /* original TX buf_idx per slot */
};

extern const struct ptd_port_ops ptd_passthrough_ops;
static struct ptd D;
static const struct ptd_cred fw_cred = { 0, 0 }; /* root */

static inline void fw_setup(unsigned int nworkers)
{
	memset(&D, 0, sizeof(D));
	D.listen_fd = D.epfd = -1;
	ptd_config_defaults(&D.cfg);	/* ptnetd's own defaults and limits */
	D.cfg.nworkers = nworkers;
	ptd_log_level = LOG_LVL_ERR;
	REQUIRE(ptd_workers_start(&D) == 0, "ptd_workers_start");
}

static inline void fw_teardown(void)
{
	ptd_workers_stop(&D);
	for (unsigned int i = 0; i < D.nsw; i++)
		ptd_switch_free(D.sw[i]);
	D.nsw = 0;
}

static inline uint32_t fw_reg(const struct ptd_port *p, unsigned int off)
{
	return p->regs[off / 4];
}

static inline struct netmap_ring *txr(const struct cport *c, unsigned int i)
{
	return NETMAP_TXRING(c->nifp, i);
}

static inline struct netmap_ring *rxr(const struct cport *c, unsigned int i)
{
	return NETMAP_RXRING(c->nifp, i);
}

/* SPEC is "vale0:a" or "vale0:a@conf:k=v,...". */
static inline void fw_open(struct cport *c, const char *spec)
{
	struct ptnet_port_opts o = { 0 };
	struct ptc_portname pn;
	unsigned int given = 0;
	struct ptd_err e = { "" };
	int ret;

	memset(c, 0, sizeof(*c));
	ret = ptc_parse_portname(spec, &pn, &o, &given, e.msg, sizeof(e.msg));
	REQUIRE(ret == 0, "parse %s: %s", spec, e.msg);
	REQUIRE(ptc_opts_finish(&o, e.msg, sizeof(e.msg)) == 0, "opts %s: %s", spec, e.msg);
	ret = ptd_port_create(&D, pn.full, &o, &ptd_passthrough_ops, NULL, &fw_cred, &c->p, &e);
	REQUIRE(ret == 0, "ptd_port_create %s: %d %s", spec, ret, e.msg);
	/* Take the TX rings back from the workers: the test drives them. */
	for (unsigned int i = 0; i < c->p->ntx; i++)
		ptd_worker_del(&c->p->txq[i]);
	c->nifp = (struct netmap_if *)(c->p->mem + fw_reg(c->p, PTNET_IO_NIFP_OFS));
	c->atok = (struct nm_csb_atok *)(c->p->mem + fw_reg(c->p, PTNET_IO_X_CSB_ATOK_OFS));
	c->ktoa = (struct nm_csb_ktoa *)(c->p->mem + fw_reg(c->p, PTNET_IO_X_CSB_KTOA_OFS));
	c->ntx = c->nifp->ni_tx_rings;
	c->nrx = c->nifp->ni_rx_rings;
	for (unsigned int i = 0; i < c->ntx; i++) {
		struct netmap_ring *r = txr(c, i);

		c->txidx[i] = malloc(r->num_slots * sizeof(uint32_t));
		REQUIRE(c->txidx[i], "malloc");
		for (uint32_t s = 0; s < r->num_slots; s++)
			c->txidx[i][s] = r->slot[s].buf_idx;
	}
}

static inline void fw_close(struct cport *c)
{
	for (unsigned int i = 0; i < c->ntx; i++)
		free(c->txidx[i]);
	ptd_port_destroy(&D, c->p);
	memset(c, 0, sizeof(*c));
}

static inline struct nm_csb_atok *tx_atok(const struct cport *c, unsigned int i)
{
	return &c->atok[i];
}

static inline struct nm_csb_atok *rx_atok(const struct cport *c, unsigned int i)
{
	return &c->atok[c->ntx + i];
}

static inline struct nm_csb_ktoa *tx_ktoa(const struct cport *c, unsigned int i)
{
	return &c->ktoa[i];
}

static inline struct nm_csb_ktoa *rx_ktoa(const struct cport *c, unsigned int i)
{
	return &c->ktoa[c->ntx + i];
}

/* Deterministic frame: dst, src, test ethertype, then a pattern from SEED. */
static inline void mk_frame(uint8_t *f, uint32_t len, const uint8_t dst[6], const uint8_t src[6],
			    uint32_t seed)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = ETH_TYPE_TEST >> 8;
	f[13] = ETH_TYPE_TEST & 0xff;
	for (uint32_t i = 14; i < len; i++)
		f[i] = (uint8_t)(seed * 131u + i * 7u + (i >> 8) * 3u);
}

/* Free TX slots from the client's view (refreshes ring->tail from the CSB). */
static inline uint32_t tx_space(const struct cport *c, unsigned int ring)
{
	struct netmap_ring *r = txr(c, ring);
	uint32_t hwtail, hwcur;

	ptnet_csb_appl_read(tx_ktoa(c, ring), &hwtail, &hwcur);
	r->tail = hwtail;
	return nm_ring_space(r);
}

/*
 * Queue DATA as NFR fragments of LENS[] at the TX head (not published yet).
 * The slot's buf_idx is reset to its original value first.
 */
static inline void tx_frags(const struct cport *c, unsigned int ring, const uint8_t *data,
			    const uint32_t *lens, unsigned int nfr)
{
	struct netmap_ring *r = txr(c, ring);
	uint32_t off = 0;

	REQUIRE(tx_space(c, ring) >= nfr, "TX ring %u has room for %u slots", ring, nfr);
	for (unsigned int k = 0; k < nfr; k++) {
		struct netmap_slot *s = &r->slot[r->head];

		s->buf_idx = c->txidx[ring][r->head];
		REQUIRE(lens[k] <= r->nr_buf_size, "fragment fits a buffer");
		memcpy(NETMAP_BUF(r, s->buf_idx), data + off, lens[k]);
		s->len = (uint16_t)lens[k];
		s->flags = k + 1 < nfr ? NS_MOREFRAG : 0;
		off += lens[k];
		r->head = r->cur = nm_ring_next(r, r->head);
	}
}

/* Queue a frame of LEN bytes cut into buffer-sized fragments. */
static inline unsigned int tx_frame(const struct cport *c, unsigned int ring, const uint8_t *data,
				    uint32_t len)
{
	uint32_t bs = txr(c, ring)->nr_buf_size, lens[NETMAP_MAX_FRAGS + 8];
	unsigned int n = 0;

	for (uint32_t off = 0; off < len || n == 0; off += bs) {
		REQUIRE(n < NETMAP_MAX_FRAGS + 8, "frame too long for tx_frame");
		lens[n++] = len - off < bs ? len - off : bs;
	}
	tx_frags(c, ring, data, lens, n);
	return n;
}

/* Queue one raw slot with arbitrary (maybe invalid) fields. */
static inline void tx_raw(const struct cport *c, unsigned int ring, uint32_t buf_idx, uint32_t len,
			  uint16_t flags)
{
	struct netmap_ring *r = txr(c, ring);
	struct netmap_slot *s = &r->slot[r->head];

	REQUIRE(tx_space(c, ring) >= 1, "TX ring %u has room", ring);
	s->buf_idx = buf_idx;
	s->len = (uint16_t)len;
	s->flags = flags;
	r->head = r->cur = nm_ring_next(r, r->head);
}

static inline void tx_publish(const struct cport *c, unsigned int ring)
{
	struct netmap_ring *r = txr(c, ring);

	ptnet_csb_appl_write(tx_atok(c, ring), r->head, r->cur);
}

/* ptd_txq_forward until it finds nothing more; returns the slots consumed. */
static inline unsigned int fw_forward(const struct cport *c, unsigned int ring)
{
	unsigned int total = 0, n;

	for (int i = 0; i < 1000 && (n = ptd_txq_forward(&c->p->txq[ring])) > 0; i++)
		total += n;
	return total;
}

/* One 60-byte frame DST <- SRC from FROM, forwarded (announces SRC to the switch). */
static inline void fw_send_one(const struct cport *from, const uint8_t dst[6], const uint8_t src[6])
{
	uint8_t f[60];

	mk_frame(f, sizeof(f), dst, src, 1);
	tx_frame(from, 0, f, sizeof(f));
	tx_publish(from, 0);
	fw_forward(from, 0);
}

/* Everything published on the TX ring was given back (hwcur == head, hwtail == head - 1). */
static inline int tx_all_returned(const struct cport *c, unsigned int ring)
{
	struct netmap_ring *r = txr(c, ring);
	uint32_t hwtail, hwcur;

	ptnet_csb_appl_read(tx_ktoa(c, ring), &hwtail, &hwcur);
	return hwcur == r->head && hwtail == (r->head ? r->head - 1 : r->num_slots - 1);
}

/* Packets (slots) waiting in an RX ring, from the client's view. */
static inline uint32_t rx_pending(const struct cport *c, unsigned int ring)
{
	struct netmap_ring *r = rxr(c, ring);
	uint32_t hwtail, hwcur;

	ptnet_csb_appl_read(rx_ktoa(c, ring), &hwtail, &hwcur);
	r->tail = hwtail;
	return nm_ring_space(r);
}

/*
 * Take the next packet (a slot chain) from an RX ring into OUT.  Returns
 * the slots it used, 0 if the ring is empty, -1 if the chain is broken.
 * *LEN gets the bytes; a padding slot comes back as one slot of length 0.
 */
static inline int rx_take(const struct cport *c, unsigned int ring, uint8_t *out, size_t max,
			  uint32_t *len)
{
	struct netmap_ring *r = rxr(c, ring);
	uint32_t n = 0, total = 0;

	if (!rx_pending(c, ring))
		return 0;
	for (;;) {
		struct netmap_slot *s = &r->slot[r->head];

		if (s->len) {
			if (s->buf_idx < 2 || s->buf_idx >= c->p->buf_num ||
			    s->len > r->nr_buf_size || total + s->len > max)
				return -1;
			memcpy(out + total, NETMAP_BUF(r, s->buf_idx), s->len);
		}
		total += s->len;
		n++;
		r->head = r->cur = nm_ring_next(r, r->head);
		if (!(s->flags & NS_MOREFRAG))
			break;
		if (r->head == r->tail)
			return -1; /* chain runs past tail */
	}
	*len = total;
	return (int)n;
}

static inline void rx_release(const struct cport *c, unsigned int ring)
{
	struct netmap_ring *r = rxr(c, ring);

	ptnet_csb_appl_write(rx_atok(c, ring), r->head, r->cur);
}

/* Expect the next RX packet to be exactly DATA/LEN. */
static inline void rx_expect(const struct cport *c, unsigned int ring, const uint8_t *data,
			     uint32_t len, const char *what)
{
	static uint8_t got[1 << 17];
	uint32_t glen = 0;
	int n = rx_take(c, ring, got, sizeof(got), &glen);

	CHECK(n > 0, "%s: a packet on %s RX ring %u (got %d)", what, c->p->name, ring, n);
	if (n <= 0)
		return;
	CHECK_EQ(glen, len, "%s: length on %s", what, c->p->name);
	if (glen == len) {
		uint32_t i = 0;

		while (i < len && got[i] == data[i])
			i++;
		CHECK(i == len, "%s: content differs on %s at byte %u of %u", what, c->p->name, i,
		      len);
	}
}

static inline void rx_expect_empty(const struct cport *c, unsigned int ring, const char *what)
{
	CHECK_EQ(rx_pending(c, ring), 0, "%s: %s RX ring %u must be empty", what, c->p->name, ring);
}

/* Throw away whatever is queued (keeps one test's leftovers out of the next). */
static inline void rx_drain(const struct cport *c, unsigned int ring)
{
	static uint8_t junk[1 << 17];
	uint32_t len;

	while (rx_take(c, ring, junk, sizeof(junk), &len) > 0)
		;
	rx_release(c, ring);
}

static inline void stats(const struct cport *c, struct ptd_stats *st)
{
	ptd_port_stats(c->p, st);
}

/* Sum of every drop_* counter. */
static inline uint64_t all_drops(const struct ptd_stats *st)
{
	uint64_t sum = 0;

#define X(f)                          \
	if (!strncmp(#f, "drop_", 5)) \
		sum += st->f;
	PTD_STATS_FIELDS(X)
#undef X
	return sum;
}

/* Counters now, by value: DELTA(c, before, field) = now - before. */
static inline struct ptd_stats now_stats(const struct cport *c)
{
	struct ptd_stats st;

	stats(c, &st);
	return st;
}

#define DELTA(c, before, field)	 (now_stats(c).field - (before).field)
#define DROPS_DELTA(c, before) \
	({ struct ptd_stats _n = now_stats(c); all_drops(&_n) - all_drops(&(before)); })

#endif
