/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netmap.h - netmap's shared-memory ABI, byte for byte (API 14), written from
 * the published layout so that netmap-style programs compile unchanged.
 *
 *   region base
 *   +----------------+ <- NETMAP_IF(base, nifp_offset)
 *   | netmap_if      |  ring_ofs[]: TX rings, host TX, RX rings, host RX
 *   +----------------+
 *   | netmap_ring 0  |  256 B header + num_slots x 16 B slots
 *   | ...            |
 *   +----------------+ <- ring + ring->buf_ofs = buffer 0
 *   | buffers        |  nr_buf_size bytes each; 0 and 1 are reserved
 *   +----------------+
 *
 * Ownership (one empty slot always):
 *   TX: slots [head, tail) belong to the application, [tail, head) to ptnetd.
 *   RX: slots [head, tail) hold received packets for the application.
 * The application writes head/cur and slots it owns; only the sync calls of
 * libptnet write tail.
 */
#ifndef PTNET_NETMAP_H
#define PTNET_NETMAP_H

/*
 * Also included by the guest driver (kernel/ptnet/), so no libc headers
 * under __KERNEL__: <linux/types.h> has the uintN_t types, <linux/stddef.h>
 * offsetof, and the ring's timestamp is the kernel's 16-byte timeval.
 */
#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/time_types.h>
#else
#include <stdint.h>
#include <stddef.h>
#include <sys/time.h>
#endif

#define NETMAP_API		14
#define NETMAP_MIN_API		14
#define NETMAP_MAX_API		15
#define NETMAP_MAX_FRAGS	64
#define NM_CACHE_ALIGN		128

struct netmap_slot {
	uint32_t buf_idx;	/* buffer index in the pool */
	uint16_t len;		/* length of this fragment */
	uint16_t flags;		/* NS_* */
	uint64_t ptr;		/* NS_INDIRECT pointer / offsets; unused by ptnet */
};

#define NS_BUF_CHANGED	0x0001
#define NS_REPORT	0x0002
#define NS_FORWARD	0x0004
#define NS_NO_LEARN	0x0008
#define NS_INDIRECT	0x0010
#define NS_MOREFRAG	0x0020
#define NS_TXMON	0x0040
#define NS_PORT_SHIFT	8
#define NS_PORT_MASK	(0xff << NS_PORT_SHIFT)
#define NS_RFRAGS(_slot) (((_slot)->flags >> 8) & 0xff)

struct netmap_ring {
	const int64_t buf_ofs;		/* from this ring to buffer 0 */
	const uint32_t num_slots;
	const uint32_t nr_buf_size;
	const uint16_t ringid;
	const uint16_t dir;		/* 0: tx, 1: rx */
	uint32_t head;			/* (A) first slot owned by the app */
	uint32_t cur;			/* (A) wakeup point */
	uint32_t tail;			/* (K) first slot owned by the kernel */
	uint32_t flags;
#ifdef __KERNEL__
	struct __kernel_old_timeval ts;	/* same layout as struct timeval */
#else
	struct timeval ts;
#endif
	const uint64_t offset_mask;
	const uint64_t buf_align;
	uint8_t sem[128] __attribute__((__aligned__(NM_CACHE_ALIGN)));
	struct netmap_slot slot[0];
};

#define NR_TIMESTAMP	0x0002
#define NR_FORWARD	0x0004

struct netmap_if {
	char ni_name[16];
	const uint32_t ni_version;
	const uint32_t ni_flags;
	const uint32_t ni_tx_rings;
	const uint32_t ni_rx_rings;
	uint32_t ni_bufs_head;
	const uint32_t ni_host_tx_rings;
	const uint32_t ni_host_rx_rings;
	uint32_t ni_spare1[3];
	const int64_t ring_ofs[0];
};

#define NI_PRIV_MEM	0x1

/* CSB entries: one pair per ring, TX rings first, then RX rings. */
struct nm_csb_atok {			/* application -> kernel (ptnetd) */
	uint32_t head;
	uint32_t cur;
	uint32_t appl_need_kick;	/* "interrupt me" */
	uint32_t sync_flags;		/* NAF_FORCE_READ / NAF_FORCE_RECLAIM */
	uint32_t pad[12];
};

struct nm_csb_ktoa {			/* kernel (ptnetd) -> application */
	uint32_t hwcur;
	uint32_t hwtail;
	uint32_t kern_need_kick;	/* "kick me" */
	uint32_t pad[13];
};

#define NAF_FORCE_READ		1
#define NAF_FORCE_RECLAIM	2

/* Address arithmetic (netmap_user.h). */
#define _NETMAP_OFFSET(type, ptr, offset) \
	((type)(void *)((char *)(ptr) + (offset)))
#define NETMAP_IF(_base, _ofs)	_NETMAP_OFFSET(struct netmap_if *, _base, _ofs)
#define NETMAP_TXRING(nifp, index) \
	_NETMAP_OFFSET(struct netmap_ring *, nifp, (nifp)->ring_ofs[index])
#define NETMAP_RXRING(nifp, index) \
	_NETMAP_OFFSET(struct netmap_ring *, nifp, \
		       (nifp)->ring_ofs[(index) + (nifp)->ni_tx_rings + \
					(nifp)->ni_host_tx_rings])
#define NETMAP_BUF(ring, index) \
	((char *)(ring) + (ring)->buf_ofs + ((size_t)(index) * (ring)->nr_buf_size))
#define NETMAP_BUF_IDX(ring, buf) \
	((uint32_t)(((char *)(buf) - ((char *)(ring) + (ring)->buf_ofs)) / \
		    (ring)->nr_buf_size))

/* Layout checks against the published netmap ABI (x86-64), in both worlds. */
_Static_assert(sizeof(struct netmap_slot) == 16, "netmap_slot");
_Static_assert(offsetof(struct netmap_slot, len) == 4, "slot.len");
_Static_assert(offsetof(struct netmap_slot, flags) == 6, "slot.flags");
_Static_assert(offsetof(struct netmap_slot, ptr) == 8, "slot.ptr");
_Static_assert(sizeof(struct netmap_ring) == 256, "netmap_ring header");
_Static_assert(offsetof(struct netmap_ring, num_slots) == 8, "ring.num_slots");
_Static_assert(offsetof(struct netmap_ring, nr_buf_size) == 12, "ring.nr_buf_size");
_Static_assert(offsetof(struct netmap_ring, ringid) == 16, "ring.ringid");
_Static_assert(offsetof(struct netmap_ring, dir) == 18, "ring.dir");
_Static_assert(offsetof(struct netmap_ring, head) == 20, "ring.head");
_Static_assert(offsetof(struct netmap_ring, cur) == 24, "ring.cur");
_Static_assert(offsetof(struct netmap_ring, tail) == 28, "ring.tail");
_Static_assert(offsetof(struct netmap_ring, flags) == 32, "ring.flags");
_Static_assert(offsetof(struct netmap_ring, ts) == 40, "ring.ts");
_Static_assert(offsetof(struct netmap_ring, offset_mask) == 56, "ring.offset_mask");
_Static_assert(offsetof(struct netmap_ring, buf_align) == 64, "ring.buf_align");
_Static_assert(offsetof(struct netmap_ring, sem) == 128, "ring.sem");
_Static_assert(offsetof(struct netmap_ring, slot) == 256, "ring.slot");
_Static_assert(sizeof(struct netmap_if) == 56, "netmap_if header");
_Static_assert(offsetof(struct netmap_if, ni_version) == 16, "if.ni_version");
_Static_assert(offsetof(struct netmap_if, ni_tx_rings) == 24, "if.ni_tx_rings");
_Static_assert(offsetof(struct netmap_if, ni_rx_rings) == 28, "if.ni_rx_rings");
_Static_assert(offsetof(struct netmap_if, ni_bufs_head) == 32, "if.ni_bufs_head");
_Static_assert(offsetof(struct netmap_if, ni_host_tx_rings) == 36, "if.host_tx");
_Static_assert(offsetof(struct netmap_if, ni_host_rx_rings) == 40, "if.host_rx");
_Static_assert(offsetof(struct netmap_if, ring_ofs) == 56, "if.ring_ofs");
_Static_assert(sizeof(struct nm_csb_atok) == 64, "nm_csb_atok");
_Static_assert(sizeof(struct nm_csb_ktoa) == 64, "nm_csb_ktoa");
_Static_assert(offsetof(struct nm_csb_atok, appl_need_kick) == 8, "atok.need_kick");
_Static_assert(offsetof(struct nm_csb_atok, sync_flags) == 12, "atok.sync_flags");
_Static_assert(offsetof(struct nm_csb_ktoa, hwtail) == 4, "ktoa.hwtail");
_Static_assert(offsetof(struct nm_csb_ktoa, kern_need_kick) == 8, "ktoa.need_kick");

#endif /* PTNET_NETMAP_H */
