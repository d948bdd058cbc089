// SPDX-License-Identifier: BSD-2-Clause
/*
 * pipe_hostile - one end of an in-memory pipe pair (src/lib/pipe.c) against
 * a peer that writes garbage where it may write: the head it publishes, the
 * tail it publishes, the buf_idx and len of the slots it hands over or
 * gives back.  The good end's syncs must go on (return 0 for its own good
 * rings), never hand its application a buffer outside the pool, never move
 * outside its rings, and count what it ignored (bad_head, bad_tail, drops);
 * a good exchange afterwards still works.
 */
#include <errno.h>
#include <string.h>
#include "lib/internal.h"
#include "t.h"

#define NSLOTS	 64
#define BUF_SIZE 256
#define NBUFS	 (2 + 4 * NSLOTS)

struct ring_mem {
	struct netmap_ring hdr;
	struct netmap_slot slot[NSLOTS];
};

static struct ring_mem rings[4];	/* 0 A TX, 1 B TX, 2 A RX, 3 B RX */
static struct ptnet_pipe_state state;
static struct ptl_pipe a, b;

static void setup(void)
{
	uint32_t next = 2;

	memset(rings, 0, sizeof(rings));
	memset(&state, 0, sizeof(state));
	for (int i = 0; i < 4; i++) {
		*(uint32_t *)&rings[i].hdr.num_slots = NSLOTS;
		*(uint32_t *)&rings[i].hdr.nr_buf_size = BUF_SIZE;
		rings[i].hdr.tail = i < 2 ? NSLOTS - 1 : 0;
		for (uint32_t k = 0; k < NSLOTS; k++)
			rings[i].slot[k].buf_idx = next++;
	}
	REQUIRE(!ptl_pipe_init(&a, &rings[0].hdr, &rings[2].hdr, &rings[3].hdr, &state, 0, NBUFS,
			       BUF_SIZE), "init A");
	REQUIRE(!ptl_pipe_init(&b, &rings[1].hdr, &rings[3].hdr, &rings[2].hdr, &state, 1, NBUFS,
			       BUF_SIZE), "init B");
}

/* A sends N frames of length LEN. */
static void a_send(unsigned int n, uint16_t len)
{
	struct netmap_ring *t = &rings[0].hdr;

	for (unsigned int i = 0; i < n; i++) {
		t->slot[t->head].len = len;
		t->head = t->cur = t->head + 1 == NSLOTS ? 0 : t->head + 1;
	}
	CHECK_EQ(ptl_pipe_txsync(&a), 0, "A's txsync of a good ring");
}

/* Every slot A's application can see on its RX ring has a real buffer. */
static void a_rx_sane(void)
{
	struct netmap_ring *r = &rings[2].hdr;

	CHECK(r->tail < NSLOTS, "A's RX tail %u inside the ring", r->tail);
	for (uint32_t i = r->head; i != r->tail; i = i + 1 == NSLOTS ? 0 : i + 1)
		CHECK(r->slot[i].buf_idx >= 2 && r->slot[i].buf_idx < NBUFS,
		      "A's RX slot %u: buffer %u outside the pool", i, r->slot[i].buf_idx);
}

int main(void)
{
	static const uint32_t garbage[] = { 0, 1, NBUFS, 0xffffffffu, 0x80000000u };

	/* B publishes garbage heads: A ignores them and counts. */
	setup();
	a_send(10, 60);
	CHECK_EQ(state.dir[0].tail, 10, "ten frames handed to B");
	state.dir[0].head = 5000;		/* outside the ring */
	a_send(1, 60);
	state.dir[0].head = 20;		/* inside the ring, beyond what B got */
	a_send(1, 60);
	CHECK_EQ(state.dir[0].bad_head, 2, "both bad heads counted");
	CHECK_EQ(a.out_head, 0, "A still trusts only B's last good head");
	CHECK(rings[0].hdr.tail < NSLOTS, "A's TX tail inside the ring");

	/* B gives back slots with garbage buffers: A drops into them, counts, keeps its own. */
	setup();
	a_send(NSLOTS - 1, 60);			/* fills B's RX ring */
	for (uint32_t k = 0; k < NSLOTS; k++)
		rings[3].slot[k].buf_idx = garbage[k % 5];
	state.dir[0].head = NSLOTS - 1;		/* B released everything it got */
	{
		uint32_t before[NSLOTS];

		for (uint32_t k = 0; k < NSLOTS; k++)
			before[k] = rings[0].slot[k].buf_idx;
		a_send(5, 60);
		for (uint32_t k = 0; k < NSLOTS; k++)
			CHECK(rings[0].slot[k].buf_idx >= 2 && rings[0].slot[k].buf_idx < NBUFS,
			      "A's TX slot %u got buffer %u", k, rings[0].slot[k].buf_idx);
		CHECK_EQ(rings[0].slot[NSLOTS - 1].buf_idx, before[NSLOTS - 1],
			 "A kept its buffer where B's was garbage");
	}
	CHECK_EQ(state.dir[0].drops, 5, "five frames dropped into garbage buffers");

	/* A's own application writes garbage: nothing bad leaves A. */
	setup();
	for (uint32_t k = 0; k < 3; k++)
		rings[0].slot[k].len = 60;
	rings[0].slot[0].buf_idx = 0xdeadbeefu;
	rings[0].slot[1].len = BUF_SIZE + 1;
	rings[0].hdr.head = rings[0].hdr.cur = 3;
	CHECK_EQ(ptl_pipe_txsync(&a), 0, "A's txsync with its own bad slots");
	CHECK_EQ(state.dir[0].drops, 2, "bad buffer and bad length dropped at the source");
	CHECK_EQ(state.dir[0].tail, 1, "only the good frame reached B");
	CHECK_EQ(rings[3].slot[0].buf_idx >= 2 && rings[3].slot[0].buf_idx < NBUFS, 1,
		 "B got a real buffer");
	rings[0].hdr.head = NSLOTS + 7;
	CHECK_EQ(ptl_pipe_txsync(&a), -EINVAL, "a head outside the ring is refused");
	rings[0].hdr.head = rings[0].hdr.cur = 3;

	/* B publishes garbage tails: A's RX sync ignores them, counts, shows nothing bad. */
	setup();
	for (unsigned int k = 0; k < 5; k++) {
		static const uint32_t tails[] = { NSLOTS, NSLOTS + 1, 0xffffffffu, 0x80000000u,
						  1000 };

		state.dir[1].tail = tails[k];
		CHECK_EQ(ptl_pipe_rxsync(&a), 0, "A's rxsync with B's tail %u", state.dir[1].tail);
		a_rx_sane();
	}
	CHECK_EQ(state.dir[1].bad_tail, 5, "five bad tails counted");
	CHECK_EQ(rings[2].hdr.tail, 0, "A's RX ring shows nothing");
	rings[2].hdr.head = 9;			/* beyond A's own tail */
	CHECK_EQ(ptl_pipe_rxsync(&a), -EINVAL, "an RX head beyond tail is refused");
	rings[2].hdr.head = rings[2].hdr.cur = 0;

	/* After all that, a good exchange both ways. */
	state.dir[1].tail = 0;
	b.out_tail = 0;
	{
		struct netmap_ring *bt = &rings[1].hdr, *ar = &rings[2].hdr;
		uint32_t idx = bt->slot[0].buf_idx;

		bt->slot[0].len = 77;
		bt->head = bt->cur = 1;
		CHECK_EQ(ptl_pipe_txsync(&b), 0, "B sends one good frame");
		CHECK_EQ(ptl_pipe_rxsync(&a), 0, "A picks it up");
		CHECK_EQ(ar->tail, 1, "one frame on A's RX ring");
		CHECK_EQ(ar->slot[0].buf_idx, idx, "in the buffer B wrote (zero copy)");
		CHECK_EQ(ar->slot[0].len, 77, "its length");
		CHECK(ar->slot[0].flags & NS_BUF_CHANGED, "NS_BUF_CHANGED on the RX slot");
		CHECK(bt->slot[0].flags & NS_BUF_CHANGED, "NS_BUF_CHANGED on the TX slot");
		CHECK(bt->slot[0].buf_idx != idx, "B's TX slot has another buffer now");
	}
	t_done("pipe_hostile");
}
