// SPDX-License-Identifier: BSD-2-Clause
/*
 * fwd_lease_order - the RX lease bookkeeping of fwd.c (rxq_reserve and
 * rxq_complete, static there: this test includes fwd.c) driven one step at
 * a time, so that every interleaving of two or more forwarders that share
 * one RX ring can be replayed exactly, without threads or timing.
 *
 * The property: ptnetd publishes (moves hwtail over) only slots it wrote in
 * this pass of the ring, a packet or a padding slot (len 0).  The test's
 * receiver poisons every slot it consumes (len = POISON, as a client that
 * re-fills its buffers with its own pattern), so a published slot that still
 * holds POISON was published without being written.  Also: hwtail never
 * passes an outstanding lease, and hwlease never falls behind hwtail.
 *
 * Part 1 replays the one sequence that broke it: lease L1 is granted, then
 * L2 right after it; L2 writes nothing (the ring had fewer free slots than
 * its first packet needed) and gives its slots back, which rewinds hwlease
 * to the end of L1; then L1 completes having used only part of its slots.
 * L1 looked like the newest lease (hwlease == its end), gave its rest back
 * too, and the publish walk, going on through L2's completion point (the
 * old end of L1), published L1's unused slots: stale len, stale bytes.
 * Part 2 is a seeded random walk over reserve / complete (any order, any
 * used count) / receive, checking the property after every step.
 */
#include "daemon/fwd.c"
#include "t.h"

#define POISON		0xbeef
#define NS		16
#define MAXL		6

static struct netmap_slot slots[NS];
static struct nm_csb_atok atok;
static struct nm_csb_ktoa ktoa;
static uint32_t leases_mem[NS];
static struct ptd_rxq q;
static struct ptd_port dp;		/* only for notify(), never reached */
static uint32_t rx_head;		/* the receiver's head */
static uint32_t seen_tail;		/* hwtail the receiver last checked up to */
static unsigned long published, padded, stale;

struct lease {
	uint32_t start, got, lease;
};

static void setup(void)
{
	memset(slots, 0, sizeof(slots));
	memset(&atok, 0, sizeof(atok));
	memset(&ktoa, 0, sizeof(ktoa));
	for (uint32_t i = 0; i < NS; i++) {
		slots[i].buf_idx = 2 + i;
		slots[i].len = POISON;		/* stale: from an earlier pass */
	}
	memset(&q, 0, sizeof(q));
	q.slot = slots;
	q.atok = &atok;
	q.ktoa = &ktoa;
	q.nslots = NS;
	q.leases = leases_mem;
	q.irq_wfd = -1;
	ptd_rxq_init(&q);
	rx_head = seen_tail = 0;
}

/* What a forwarder's copy does: write USED slots of lease L, then complete it. */
static void complete(const struct lease *l, uint32_t used, uint32_t tag)
{
	for (uint32_t k = 0; k < used; k++) {
		struct netmap_slot *s = &slots[ptnet_idx_add(l->start, k, NS)];

		s->len = (uint16_t)(1 + tag % 0x7fff);
		s->flags = 0;
	}
	rxq_complete(&q, l->start, l->got, used, l->lease, &dp);
}

/* The receiver checks what became visible since its last look. */
static int check_published(const char *ctx)
{
	uint32_t tail = ktoa.hwtail;
	int bad = 0;

	for (uint32_t j = seen_tail; j != tail; j = ptnet_idx_add(j, 1, NS)) {
		published++;
		if (slots[j].len == POISON) {
			stale++;
			bad = 1;
		} else if (slots[j].len == 0) {
			padded++;
		}
	}
	if (bad)
		fprintf(stderr, "%s: slots up to %u published without being written\n", ctx,
			tail);
	seen_tail = tail;
	return !bad;
}

/* Consume N published slots: poison each, then release (head). */
static void receive(uint32_t n)
{
	while (n-- && rx_head != seen_tail) {
		slots[rx_head].len = POISON;
		rx_head = ptnet_idx_add(rx_head, 1, NS);
	}
	ptnet_store_release(&atok.head, rx_head);
}

static void replay(void)
{
	struct lease l1, l2;
	int g;

	setup();
	g = rxq_reserve(&q, 10, &l1.start, &l1.lease);
	l1.got = (uint32_t)g;
	CHECK_EQ(g, 10, "L1 gets its 10 slots");
	g = rxq_reserve(&q, 5, &l2.start, &l2.lease);
	l2.got = (uint32_t)g;
	CHECK_EQ(g, 5, "L2 gets the last 5 free slots");
	complete(&l2, 0, 1);	/* nothing fitted: all given back */
	CHECK_EQ(ktoa.hwtail, 0, "L2 alone publishes nothing (L1 is older)");
	complete(&l1, 3, 2);	/* 3 of 10 used */
	CHECK(check_published("replay"), "only written or padding slots are published");
	CHECK_EQ(q.hwlease, ktoa.hwtail, "no lease outstanding: hwlease == hwtail");
	/* The next lease must start where the receiver's slots end. */
	receive(NS);
	g = rxq_reserve(&q, 4, &l1.start, &l1.lease);
	l1.got = (uint32_t)g;
	CHECK(g > 0 && l1.start == ktoa.hwtail, "next lease starts at hwtail %u (got %d at %u)",
	      ktoa.hwtail, g, l1.start);
	if (g > 0)
		complete(&l1, l1.got, 3);
	CHECK(check_published("replay, next lease"), "the next lease publishes what it wrote");
	ptd_rxq_fini(&q);
}

static uint64_t rs = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs % n);
}

static void random_walk(unsigned long steps)
{
	struct lease out[MAXL];
	unsigned int nout = 0;
	unsigned long failed_at = 0;

	setup();
	for (unsigned long st = 1; st <= steps && !failed_at; st++) {
		uint32_t op = rnd(3);

		if (op == 0 && nout < MAXL) {
			struct lease l;
			int g = rxq_reserve(&q, 1 + rnd(8), &l.start, &l.lease);

			if (g > 0) {
				l.got = (uint32_t)g;
				out[nout++] = l;
			}
		} else if (op == 1 && nout) {
			unsigned int k = rnd(nout);
			struct lease l = out[k];
			/* Often all, often nothing, else a part. */
			uint32_t r = rnd(4), used = r == 0 ? 0 : r == 1 ? l.got : rnd(l.got + 1);

			out[k] = out[--nout];
			complete(&l, used, (uint32_t)st);
		} else {
			receive(rnd(6));
		}
		if (!check_published("random walk"))
			failed_at = st;
		/* Outstanding leases lie inside [hwtail, hwlease): unpublished. */
		for (unsigned int k = 0; k < nout; k++)
			if (ptnet_idx_dist(ktoa.hwtail, out[k].start, NS) + out[k].got >
			    ptnet_idx_dist(ktoa.hwtail, q.hwlease, NS)) {
				fprintf(stderr, "lease at %u (+%u) outside [hwtail %u, hwlease %u)\n",
					out[k].start, out[k].got, ktoa.hwtail, q.hwlease);
				failed_at = st;
			}
		if (ptnet_idx_dist(rx_head, ktoa.hwtail, NS) > ptnet_idx_dist(rx_head, q.hwlease, NS)) {
			fprintf(stderr, "hwlease %u behind hwtail %u (head %u)\n", q.hwlease,
				ktoa.hwtail, rx_head);
			failed_at = st;
		}
	}
	CHECK(!failed_at, "random walk: property broken at step %lu (seeded, replayable)",
	      failed_at);
	printf("fwd_lease_order: %lu slots published, %lu padding, %lu stale\n", published,
	       padded, stale);
	ptd_rxq_fini(&q);
}

int main(void)
{
	ptd_log_level = LOG_LVL_ERR;
	replay();
	random_walk(2000000);
	return t_done("fwd_lease_order");
}
