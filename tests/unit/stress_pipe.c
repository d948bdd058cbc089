// SPDX-License-Identifier: BSD-2-Clause
/*
 * stress_pipe - the pipe protocol of libptnet (src/lib/pipe.c over
 * include/ptnet/pipe.h) between two threads, each one end of an in-memory
 * pair: four netmap rings, one buffer pool, one ptnet_pipe_state, and an
 * eventfd per ring, as ptnetd lays them out.
 *
 *   sender (end 0): writes a sequence number into the buffer of each free
 *     TX slot, ptl_pipe_txsync; when its ring stays full it spins a while,
 *     then arms (ptl_pipe_enable: flag, full barrier, re-check) and sleeps
 *     on its TX eventfd;
 *   receiver (end 1): ptl_pipe_rxsync, checks every buffer holds the next
 *     number (the buffer itself moved: zero copy), releases the slots, and
 *     sleeps the same way on its RX eventfd when there is nothing.
 *
 * Every item must arrive once, in order; a side that sleeps 10 s while the
 * other has work for it lost a wakeup.  At the end every buffer index is in
 * exactly one slot of the four rings (swaps lose or duplicate none).  Built
 * and run under TSan too (tsan/stress_pipe), which checks that the slot and
 * buffer accesses are ordered by the P1/C1 and P2/C2 pairs.
 * Usage: stress_pipe [ITEMS]
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "lib/internal.h"
#include "t.h"

#if defined(__SANITIZE_THREAD__)
#define DEF_ITEMS 1000000ull
#else
#define DEF_ITEMS 4000000ull
#endif
#define NSLOTS	       256
#define BUF_SIZE       64
#define NBUFS	       (2 + 4 * NSLOTS)
#define SLEEP_LIMIT_MS 10000
#define SPINS	       200

struct ring_mem {
	struct netmap_ring hdr;
	struct netmap_slot slot[NSLOTS];
};

static struct ring_mem rings[4] __attribute__((aligned(128)));	/* 0 A TX, 1 B TX, 2 A RX, 3 B RX */
static uint8_t pool[NBUFS][BUF_SIZE] __attribute__((aligned(64)));
static struct ptnet_pipe_state state __attribute__((aligned(64)));
static struct ptl_pipe ends[2];
static int efd[4];
static uint64_t items;
static atomic_int failed;
static struct {
	uint64_t sleeps[2], wakeups[2];
} st;

static void ring_init(struct ring_mem *r, int tx, uint32_t *next_buf)
{
	*(uint32_t *)&r->hdr.num_slots = NSLOTS;
	*(uint32_t *)&r->hdr.nr_buf_size = BUF_SIZE;
	r->hdr.head = r->hdr.cur = 0;
	r->hdr.tail = tx ? NSLOTS - 1 : 0;
	for (uint32_t i = 0; i < NSLOTS; i++)
		r->slot[i].buf_idx = (*next_buf)++;
}

/* Sleep on FD; 0 woken, -1 after SLEEP_LIMIT_MS (a lost wakeup). */
static int sleep_on(int fd, int side)
{
	struct pollfd p = { fd, POLLIN, 0 };
	uint64_t v;
	int r;

	st.sleeps[side]++;
	r = poll(&p, 1, SLEEP_LIMIT_MS);
	if (r <= 0)
		return -1;
	if (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		st.wakeups[side]++;
	return 0;
}

static void *sender(void *arg)
{
	struct ptl_pipe *pp = &ends[0];
	struct netmap_ring *t = pp->tx;
	uint64_t seq = 0;
	unsigned int idle = 0;

	(void)arg;
	while (seq < items && !atomic_load(&failed)) {
		uint32_t moved = 0;

		while (seq < items && t->head != t->tail) {
			struct netmap_slot *s = &t->slot[t->head];

			memcpy(pool[s->buf_idx], &seq, sizeof(seq));
			s->len = sizeof(seq);
			t->head = t->cur = t->head + 1 == NSLOTS ? 0 : t->head + 1;
			seq++;
			moved++;
		}
		if (ptl_pipe_txsync(pp)) {
			CHECK(0, "txsync refused a good ring");
			atomic_store(&failed, 1);
			break;
		}
		if (t->head != t->tail || moved) {
			idle = 0;
			continue;
		}
		if (++idle < SPINS) {
			sched_yield();
			continue;
		}
		/* Full and staying full: arm, re-check, sleep. */
		if (ptl_pipe_enable(pp, 0)) {
			ptl_pipe_disable(pp, 0);
			continue;
		}
		if (sleep_on(efd[0], 0)) {
			CHECK(0, "sender slept %d ms with a full ring: lost wakeup", SLEEP_LIMIT_MS);
			atomic_store(&failed, 1);
		}
		ptl_pipe_disable(pp, 0);
		idle = 0;
	}
	/* Push what is left. */
	for (int k = 0; k < 100000 && pp->tx_hwcur != t->head && !atomic_load(&failed); k++) {
		ptl_pipe_txsync(pp);
		sched_yield();
	}
	return NULL;
}

static void *receiver(void *arg)
{
	struct ptl_pipe *pp = &ends[1];
	struct netmap_ring *r = pp->rx;
	uint64_t want = 0;
	unsigned int idle = 0;

	(void)arg;
	while (want < items && !atomic_load(&failed)) {
		int got = 0;

		if (ptl_pipe_rxsync(pp)) {
			CHECK(0, "rxsync refused a good ring");
			atomic_store(&failed, 1);
			break;
		}
		while (r->head != r->tail) {
			struct netmap_slot *s = &r->slot[r->head];
			uint64_t v;

			if (s->buf_idx < 2 || s->buf_idx >= NBUFS || s->len != sizeof(v) ||
			    !(s->flags & NS_BUF_CHANGED)) {
				CHECK(0, "slot %u: buf %u len %u flags %#x", r->head, s->buf_idx,
				      s->len, s->flags);
				atomic_store(&failed, 1);
				return NULL;
			}
			memcpy(&v, pool[s->buf_idx], sizeof(v));
			if (v != want) {
				CHECK_EQ(v, want, "item out of order or lost");
				atomic_store(&failed, 1);
				return NULL;
			}
			want++;
			got = 1;
			r->head = r->cur = r->head + 1 == NSLOTS ? 0 : r->head + 1;
		}
		if (got) {
			idle = 0;
			continue;
		}
		if (++idle < SPINS) {
			sched_yield();
			continue;
		}
		if (ptl_pipe_enable(pp, 1)) {
			ptl_pipe_disable(pp, 1);
			continue;
		}
		if (sleep_on(efd[3], 1)) {
			CHECK(0, "receiver slept %d ms for item %llu: lost wakeup", SLEEP_LIMIT_MS,
			      (unsigned long long)want);
			atomic_store(&failed, 1);
		}
		ptl_pipe_disable(pp, 1);
		idle = 0;
	}
	ptl_pipe_rxsync(pp);	/* release the last slots */
	CHECK_EQ(want, items, "every item received");
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t a, b;
	uint32_t next_buf = 2;
	static uint8_t seen[NBUFS];

	items = argc > 1 ? strtoull(argv[1], NULL, 0) : DEF_ITEMS;
	for (int i = 0; i < 4; i++) {
		ring_init(&rings[i], i < 2, &next_buf);
		efd[i] = eventfd(0, EFD_NONBLOCK);
		REQUIRE(efd[i] >= 0, "eventfd");
	}
	for (unsigned int e = 0; e < 2; e++) {
		REQUIRE(!ptl_pipe_init(&ends[e], &rings[e].hdr, &rings[2 + e].hdr,
				       &rings[2 + (1 - e)].hdr, &state, e, NBUFS, BUF_SIZE),
			"init end %u", e);
		ends[e].kick_peer_rx = efd[2 + (1 - e)];
		ends[e].kick_peer_tx = efd[1 - e];
	}
	pthread_create(&a, NULL, sender, NULL);
	pthread_create(&b, NULL, receiver, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	/* Zero copy, no loss: every buffer index in exactly one slot. */
	for (int i = 0; i < 4; i++)
		for (uint32_t k = 0; k < NSLOTS; k++) {
			uint32_t idx = rings[i].slot[k].buf_idx;

			CHECK(idx >= 2 && idx < NBUFS && !seen[idx], "buffer %u lost or doubled",
			      idx);
			if (idx < NBUFS)
				seen[idx] = 1;
		}
	CHECK_EQ(state.dir[0].drops, 0, "no drops between good ends");
	CHECK_EQ(state.dir[0].bad_head + state.dir[1].bad_tail, 0, "no bad index seen");
	printf("items %llu, sleeps tx %llu rx %llu, wakeups tx %llu rx %llu\n",
	       (unsigned long long)items, (unsigned long long)st.sleeps[0],
	       (unsigned long long)st.sleeps[1], (unsigned long long)st.wakeups[0],
	       (unsigned long long)st.wakeups[1]);
	t_done("stress_pipe");
}
