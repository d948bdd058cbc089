/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ring.h - inline fast path over netmap.h for clients: ring arithmetic and
 * the application's half of the CSB protocol.  The daemon's half lives in
 * ptnetd (src/daemon/csb.h), the guest driver's in kernel/ptnet/ptnet_ring.c.
 * Together with barrier.h these are the only places where ordering between
 * ptnetd and a client is expressed.
 *
 * CSB pairing (one ring, either direction):
 *   A1 ptnet_csb_appl_write  (slots, cur, head)  pairs with K2 (ptnetd's read)
 *   K1 ptnetd's write (slots, hwcur, hwtail)     pairs with A2 ptnet_csb_appl_read
 *   N1 enable notifications -> ptnet_smp_mb -> re-read: ptnet_csb_appl_enable,
 *      and ptnetd's kern_enable; the other side's need check is N2.
 *   S1 ptnetd marks the region dead (release) pairs with S2 ptnet_region_status.
 */
#ifndef PTNET_RING_H
#define PTNET_RING_H

#include <stdint.h>
#include "netmap.h"
#include "barrier.h"

/* --- netmap_user.h helpers (wrapped indices, one empty slot) --- */

static inline uint32_t nm_ring_next(const struct netmap_ring *r, uint32_t i)
{
	return i + 1 == r->num_slots ? 0 : i + 1;
}

static inline int nm_ring_empty(const struct netmap_ring *r)
{
	return r->head == r->tail;
}

static inline uint32_t nm_ring_space(const struct netmap_ring *r)
{
	int ret = (int)r->tail - (int)r->head;

	if (ret < 0)
		ret += r->num_slots;
	return (uint32_t)ret;
}

static inline int nm_tx_pending(const struct netmap_ring *r)
{
	return nm_ring_next(r, r->tail) != r->head;
}

/*
 * Copy a packet the way netmap does: whole 64-byte blocks for small sizes
 * that are multiples of 64, memcpy otherwise; 32..64 bytes by two
 * overlapping 32-byte moves.  Always exactly L bytes.  Block copies go
 * through memcpy too, so unaligned buffers are fine.
 */
static inline void nm_pkt_copy(const void *_src, void *_dst, int l)
{
	const char *src = (const char *)_src;
	char *dst = (char *)_dst;

	if (l >= 32 && l <= 64) {
		/* Two overlapping 32-byte moves, no call: minimum-size frames. */
		char a[32], z[32];

		__builtin_memcpy(a, src, 32);
		__builtin_memcpy(z, src + l - 32, 32);
		__builtin_memcpy(dst, a, 32);
		__builtin_memcpy(dst + l - 32, z, 32);
		return;
	}
	if (__builtin_expect((l >= 1024) || (l % 64), 0)) {
		__builtin_memcpy(dst, src, (unsigned)l);
		return;
	}
	for (; l > 0; l -= 64, src += 64, dst += 64)
		__builtin_memcpy(dst, src, 64);
}

/* --- index arithmetic on rings of n slots (n need not be a power of 2) --- */

/* (a + k) mod n, for a < n and k <= n. */
static inline uint32_t ptnet_idx_add(uint32_t a, uint32_t k, uint32_t n)
{
	a += k;
	return a >= n ? a - n : a;
}

/* Distance from a forward to b, both < n: (b - a) mod n. */
static inline uint32_t ptnet_idx_dist(uint32_t a, uint32_t b, uint32_t n)
{
	return b >= a ? b - a : b + n - a;
}

/* Is x inside the circular window [lo, hi] (inclusive) of a ring of n? */
static inline int ptnet_idx_within(uint32_t lo, uint32_t x, uint32_t hi, uint32_t n)
{
	return x < n && ptnet_idx_dist(lo, x, n) <= ptnet_idx_dist(lo, hi, n);
}

/* --- CSB protocol (netmap-facts §3.3) --- */

/*
 * A1: application publishes cur then head.  The release on cur orders the
 * slot and buffer writes before it; the release on head orders cur before
 * head, so ptnetd never sees a head newer than cur.  Pairs with K2.
 */
static inline void ptnet_csb_appl_write(struct nm_csb_atok *atok, uint32_t head, uint32_t cur)
{
	ptnet_store_release(&atok->cur, cur);
	ptnet_store_release(&atok->head, head);
}

/*
 * A2: application reads hwtail then hwcur.  The acquire on hwtail orders the
 * reads of slots/buffers that ptnetd filled after it.  Pairs with K1.
 */
static inline void ptnet_csb_appl_read(const struct nm_csb_ktoa *ktoa, uint32_t *hwtail,
				       uint32_t *hwcur)
{
	*hwtail = ptnet_load_acquire(&ktoa->hwtail);
	*hwcur = ptnet_load_acquire(&ktoa->hwcur);
}

/*
 * N1 (application side): ask for interrupts, then re-read hwtail, for the
 * same reason with the roles swapped.  Pairs with N2 on ptnetd's side
 * (ptnet_csb_kern_need_irq).
 */
static inline uint32_t ptnet_csb_appl_enable(struct nm_csb_atok *atok,
					     const struct nm_csb_ktoa *ktoa)
{
	PTNET_WRITE_ONCE(atok->appl_need_kick, 1);
	ptnet_smp_mb();
	return ptnet_load_acquire(&ktoa->hwtail);
}

static inline void ptnet_csb_appl_disable(struct nm_csb_atok *atok)
{
	PTNET_WRITE_ONCE(atok->appl_need_kick, 0);
}

/*
 * N2 (application side): after publishing (A1), does ptnetd want a kick?
 * The full barrier orders the head store before the kern_need_kick load;
 * pairs with N1 on ptnetd's side.
 */
static inline int ptnet_csb_appl_need_kick(const struct nm_csb_ktoa *ktoa)
{
	ptnet_smp_mb();
	return PTNET_READ_ONCE(ktoa->kern_need_kick) != 0;
}

/*
 * S2: the region's status word (PTNET_IO_X_STATUS).  Acquire: pairs with
 * S1, ptnetd's release when it detaches the port, so a client that sees
 * PTNET_STATUS_DEAD also sees everything ptnetd wrote before.
 */
static inline uint32_t ptnet_region_status(const uint32_t *status)
{
	return ptnet_load_acquire(status);
}

#endif /* PTNET_RING_H */
