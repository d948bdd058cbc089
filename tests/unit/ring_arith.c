// SPDX-License-Identifier: BSD-2-Clause
/*
 * ring_arith - ring.h index arithmetic against a naive reference model:
 * nm_ring_next/space/empty, nm_tx_pending, ptnet_idx_add/dist/within,
 * exhaustively for small rings (every wrap and boundary case) and at the
 * edges of large ones.
 */
#include <stdint.h>
#include <string.h>
#include <ptnet/abi.h>
#include <ptnet/ring.h>
#include "t.h"

/* A netmap_ring header is all we need; its const fields are set by cast. */
static union {
	struct netmap_ring r;
	uint8_t raw[sizeof(struct netmap_ring)];
} ringmem;

static struct netmap_ring *ring(uint32_t n, uint32_t head, uint32_t tail)
{
	struct netmap_ring *r = &ringmem.r;

	memset(&ringmem, 0, sizeof(ringmem));
	*(uint32_t *)&r->num_slots = n;
	r->head = r->cur = head;
	r->tail = tail;
	return r;
}

static uint32_t ref_add(uint32_t a, uint32_t k, uint32_t n)
{
	return (uint32_t)(((uint64_t)a + k) % n);
}

static uint32_t ref_dist(uint32_t a, uint32_t b, uint32_t n)
{
	return (uint32_t)(((uint64_t)b + n - a) % n);
}

/* Walk from lo to hi inclusive, one slot at a time: is x met on the way? */
static int ref_within(uint32_t lo, uint32_t x, uint32_t hi, uint32_t n)
{
	uint32_t i = lo;

	if (x >= n)
		return 0;
	for (;;) {
		if (i == x)
			return 1;
		if (i == hi)
			return 0;
		i = (i + 1) % n;
	}
}

static void small_rings(void)
{
	static const uint32_t sizes[] = { 1, 2, 3, 4, 5, 7, 8, 64, 65 };

	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		uint32_t n = sizes[si];

		for (uint32_t a = 0; a < n; a++) {
			/* ptnet_idx_add: every k in [0, n]. */
			for (uint32_t k = 0; k <= n; k++)
				CHECK_EQ(ptnet_idx_add(a, k, n), ref_add(a, k, n), "add(%u,%u,%u)",
					 a, k, n);
			for (uint32_t b = 0; b < n; b++) {
				struct netmap_ring *r = ring(n, a, b);

				CHECK_EQ(ptnet_idx_dist(a, b, n), ref_dist(a, b, n),
					 "dist(%u,%u,%u)", a, b, n);
				CHECK_EQ(nm_ring_space(r), ref_dist(a, b, n),
					 "space n=%u head=%u tail=%u", n, a, b);
				CHECK_EQ(nm_ring_empty(r), a == b, "empty n=%u head=%u tail=%u", n,
					 a, b);
				CHECK_EQ(nm_tx_pending(r), (b + 1) % n != a,
					 "tx_pending n=%u head=%u tail=%u", n, a, b);
				/* within: every x in range, plus out-of-range values. */
				for (uint32_t x = 0; x < n + 2; x++)
					CHECK_EQ(ptnet_idx_within(a, x, b, n),
						 ref_within(a, x, b, n),
						 "within(lo=%u,x=%u,hi=%u,n=%u)", a, x, b, n);
				CHECK_EQ(ptnet_idx_within(a, UINT32_MAX, b, n), 0,
					 "within(lo=%u,x=MAX,hi=%u,n=%u)", a, b, n);
			}
			CHECK_EQ(nm_ring_next(ring(n, 0, 0), a), (a + 1) % n, "next(%u) n=%u", a,
				 n);
		}
	}
}

static void named_cases(void)
{
	struct netmap_ring *r;

	/* The one-empty-slot convention on a 1024-slot ring. */
	r = ring(1024, 0, 1023);
	CHECK_EQ(nm_ring_space(r), 1023, "fresh TX ring has n-1 free slots");
	CHECK(!nm_tx_pending(r), "fresh TX ring has nothing pending");
	r = ring(1024, 5, 4);
	CHECK_EQ(nm_ring_space(r), 1023, "tail just behind head (wrapped): n-1");
	r = ring(1024, 1023, 0);
	CHECK_EQ(nm_ring_space(r), 1, "head at the last slot, tail wrapped to 0");
	CHECK_EQ(nm_ring_next(r, 1023), 0, "last slot wraps to 0");
	CHECK_EQ(nm_ring_next(r, 0), 1, "0 -> 1");
	r = ring(1024, 700, 700);
	CHECK(nm_ring_empty(r), "head == tail is empty");
	CHECK(nm_tx_pending(r), "TX ring with head == tail has slots pending");

	/* Adding exactly n is the identity; adding n-1 steps back one. */
	CHECK_EQ(ptnet_idx_add(17, 1024, 1024), 17, "add n");
	CHECK_EQ(ptnet_idx_add(0, 1023, 1024), 1023, "add n-1 from 0");
	CHECK_EQ(ptnet_idx_add(1023, 1, 1024), 0, "wrap by one");
	CHECK_EQ(ptnet_idx_dist(1023, 0, 1024), 1, "dist across the wrap");
	CHECK_EQ(ptnet_idx_dist(0, 1023, 1024), 1023, "dist n-1");
	CHECK_EQ(ptnet_idx_dist(9, 9, 1024), 0, "dist to itself");

	/* Windows: degenerate, full and wrapped. */
	CHECK(ptnet_idx_within(5, 5, 5, 1024), "[5,5] holds 5");
	CHECK(!ptnet_idx_within(5, 6, 5, 1024), "[5,5] does not hold 6");
	CHECK(!ptnet_idx_within(5, 4, 5, 1024), "[5,5] does not hold 4");
	CHECK(ptnet_idx_within(1000, 3, 10, 1024), "wrapped window holds 3");
	CHECK(ptnet_idx_within(1000, 1023, 10, 1024), "wrapped window holds 1023");
	CHECK(ptnet_idx_within(1000, 0, 10, 1024), "wrapped window holds 0");
	CHECK(!ptnet_idx_within(1000, 500, 10, 1024), "wrapped window excludes 500");
	CHECK(!ptnet_idx_within(1000, 11, 10, 1024), "wrapped window excludes hi+1");
	CHECK(!ptnet_idx_within(1000, 999, 10, 1024), "wrapped window excludes lo-1");
	CHECK(ptnet_idx_within(6, 5, 5, 1024), "[6,5] is the whole ring");
	CHECK(!ptnet_idx_within(0, 1024, 1023, 1024), "x == n is never inside");
	CHECK(!ptnet_idx_within(0, 4096, 1023, 1024), "x > n is never inside");

	/* Largest ring the functions are specified for without overflow: a+k < 2^32. */
	{
		uint32_t n = 0x80000000u;

		CHECK_EQ(ptnet_idx_add(n - 1, n, n), n - 1, "add n on a 2^31 ring");
		CHECK_EQ(ptnet_idx_add(n - 1, 1, n), 0, "wrap on a 2^31 ring");
		CHECK_EQ(ptnet_idx_dist(n - 1, 0, n), 1, "dist wrap on a 2^31 ring");
		CHECK_EQ(ptnet_idx_dist(0, n - 1, n), n - 1, "dist n-1 on a 2^31 ring");
		CHECK(ptnet_idx_within(n - 2, 0, 1, n), "wrapped window on a 2^31 ring");
		CHECK(!ptnet_idx_within(n - 2, 2, 1, n), "outside wrapped window, 2^31 ring");
	}
	/* netmap limits: 64..4096 slots. */
	r = ring(PTNET_MAX_SLOTS, PTNET_MAX_SLOTS - 1, PTNET_MAX_SLOTS - 2);
	CHECK_EQ(nm_ring_space(r), PTNET_MAX_SLOTS - 1, "4096-slot ring, wrapped");
}

int main(void)
{
	small_rings();
	named_cases();
	return t_done("ring_arith");
}
