/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * abi.h - the port region: the contract between ptnetd and every client.
 *
 * One memfd per port (a guest sees it as ivshmem BAR2).  Total size is a
 * power of two.  Every offset is read from the register block, never assumed:
 *
 *   0x0000  register block (4 KiB): magic, ABI version, then the ptnet
 *           registers at PTNET_REGS_BASE with netmap's PTNET_IO_* offsets,
 *           followed by our shared-memory extensions (PTNET_IO_X_*).
 *   CSB     nm_csb_atok[n] (TX rings first, then RX rings), then on its own
 *           page nm_csb_ktoa[n].
 *   NIFP    struct netmap_if, then the netmap rings (128-byte aligned).
 *   POOL    buffers, PTNET_IO_X_BUF_SIZE bytes each; 0 and 1 are reserved.
 *
 * Written by ptnetd only, except the command registers (PTFEAT, PTCTL,
 * VNET_HDR_LEN) that a guest driver writes.  No pointers, fixed widths.
 */
#ifndef PTNET_ABI_H
#define PTNET_ABI_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

#define PTNET_MAGIC		0x504e5450u	/* "PTNP" little endian */
#define PTNET_ABI_VERSION	1u

/* Region header words (byte offsets from the region base). */
#define PTNET_HDR_MAGIC		0x00	/* u32 PTNET_MAGIC */
#define PTNET_HDR_ABI		0x04	/* u32 PTNET_ABI_VERSION */
#define PTNET_HDR_SIZE_LO	0x08	/* u32 region size, low 32 bits */
#define PTNET_HDR_SIZE_HI	0x0c	/* u32 region size, high 32 bits */
#define PTNET_HDR_KIND		0x10	/* u32 PTNET_KIND_* */
#define PTNET_HDR_NAME		0x20	/* char[64] "vale0:a", NUL terminated */

#define PTNET_KIND_PASSTHROUGH	1
#define PTNET_KIND_VM		2
#define PTNET_KIND_TAP		3
#define PTNET_KIND_MONITOR	4
#define PTNET_KIND_VHOST	5
#define PTNET_KIND_PIPE		6	/* a netmap pipe pair (pipe.h) */

#define PTNET_REGS_BASE		0x100	/* netmap's PTNET_IO_* start here */
#define PTNET_REGS_SIZE		0x100
#define PTNET_REGION_HDR_SIZE	4096

/* netmap's ptnet registers, offsets relative to PTNET_REGS_BASE. */
#define PTNET_IO_PTFEAT		0
#define PTNET_IO_PTCTL		4
#define PTNET_IO_MAC_LO		8
#define PTNET_IO_MAC_HI		12
#define PTNET_IO_CSBBAH		16	/* unused (netmap: deprecated) */
#define PTNET_IO_CSBBAL		20	/* unused */
#define PTNET_IO_NIFP_OFS	24
#define PTNET_IO_NUM_TX_RINGS	28
#define PTNET_IO_NUM_RX_RINGS	32
#define PTNET_IO_NUM_TX_SLOTS	36
#define PTNET_IO_NUM_RX_SLOTS	40
#define PTNET_IO_VNET_HDR_LEN	44
#define PTNET_IO_HOSTMEMID	48
#define PTNET_IO_CSB_GH_BAH	52	/* unused: the CSB is inside the region */
#define PTNET_IO_CSB_GH_BAL	56
#define PTNET_IO_CSB_HG_BAH	60
#define PTNET_IO_CSB_HG_BAL	64
#define PTNET_IO_END		68
/* Shared-memory extensions (ptnet only). */
#define PTNET_IO_X_CSB_ATOK_OFS	68	/* region offset of nm_csb_atok[0] */
#define PTNET_IO_X_CSB_KTOA_OFS	72	/* region offset of nm_csb_ktoa[0] */
#define PTNET_IO_X_BUF_OFS	76	/* region offset of buffer 0 */
#define PTNET_IO_X_BUF_NUM	80	/* buffers in the pool, incl. 0 and 1 */
#define PTNET_IO_X_BUF_SIZE	84	/* bytes per buffer */
#define PTNET_IO_X_MTU		88	/* IP MTU the switch segments GSO frames to, for this port */
#define PTNET_IO_X_STATUS	92	/* PTNET_STATUS_* */
#define PTNET_IO_X_PTCTL_RESULT	96	/* VM ports: result of the last PTCTL (0 or errno) */
#define PTNET_IO_X_NUM_VECTORS	100	/* VM ports: ivshmem vectors (1 + rings) */
#define PTNET_IO_X_EXTRA_BUFS	104	/* the last N buffers of the pool: in no ring */
#define PTNET_IO_X_PIPES	108	/* pipe pairs sharing this region (pipes=K), 0: none */
#define PTNET_IO_X_PIPE_OFS	112	/* region offset of pair 0's room (PTNET_PIPE_ROOM_*) */
#define PTNET_IO_X_PIPE_STRIDE	116	/* bytes from one pair's room to the next */
#define PTNET_IO_X_END		120
#define PTNET_IO_KICK_BASE	128	/* netmap: per-ring kick registers */

/* PTNET_IO_PTFEAT bits. */
#define PTNETMAP_F_VNET_HDR	1

/* PTNET_IO_PTCTL commands. */
#define PTNETMAP_PTCTL_CREATE	1
#define PTNETMAP_PTCTL_DELETE	2

/* PTNET_IO_X_STATUS bits. */
#define PTNET_STATUS_LINK	1	/* port attached to a switch */
#define PTNET_STATUS_DEAD	2	/* ptnetd detached the port */

/* Limits (shared by ptnetd, libptnet and the guest driver). */
#define PTNET_MAX_RINGS		16	/* per direction */
#define PTNET_MIN_SLOTS		64
#define PTNET_MAX_SLOTS		4096
#define PTNET_DEF_SLOTS		1024
#define PTNET_MIN_BUF_SIZE	256
#define PTNET_MAX_BUF_SIZE	65536
#define PTNET_DEF_BUF_SIZE	2048
#define PTNET_MAX_EXTRA_BUFS	65536	/* buffers a port may have beyond its rings' */
#define PTNET_VNET_HDR_LEN	12	/* virtio_net_hdr_v1 with num_buffers */
#define PTNET_ETH_MIN_LEN	14

#define PTNET_CSB_ENTRY_SIZE	64

/*
 * netmap pipes ("valeX:NAME{N" master end, "valeX:NAME}N" slave end).  A
 * pair lives in one region with four rings: 0 master TX, 1 slave TX,
 * 2 master RX, 3 slave RX (netmap_if of the region: all four), and one
 * buffer pool.  Each end has its own netmap_if (one TX and one RX ring) and
 * the pair has one struct ptnet_pipe_state; ptnetd sends their offsets with
 * the reply to "pipe".  ptnetd writes nothing of it after setup: the ends
 * move packets between themselves (libptnet pipe.c, ring protocol in pipe.h).
 */
#define PTNET_PIPE_MAX_ID	1023	/* N of {N and }N: 0..PTNET_PIPE_MAX_ID */
#define PTNET_PIPE_MASTER	0
#define PTNET_PIPE_SLAVE	1
#define PTNET_MAX_PIPES		64	/* pairs a port may reserve room for (pipes=K) */

/*
 * A port made with pipes=K reserves, after its own rings, K rooms for pipe
 * pairs that share its memory ("valeX:NAME{k" / "}k" with k < K): each room
 * is one page with the two ends' netmap_ifs and the pair's state, then the
 * pair's four rings (same order as above, the port's tx_slots each), page
 * aligned.  Their buffers come from the port's pool (after the port's
 * rings' and before its extra buffers), so a buffer index is valid in the
 * port's rings and in every pipe ring alike.
 */
#define PTNET_PIPE_ROOM_NIFP(e)	(1024u * (1u + (e)))	/* end E's netmap_if */
#define PTNET_PIPE_ROOM_STATE	3072u			/* struct ptnet_pipe_state */
#define PTNET_PIPE_ROOM_RINGS	4096u			/* ring 0; the others follow */

/*
 * One direction of a pair: the sender's TX ring feeds the receiver's RX
 * ring.  (S) written by the sender only, (R) by the receiver only; each
 * side reads the other's words once per sync and checks them.
 */
struct ptnet_pipe_dir {
	uint32_t tail;		/* (S) receiver's RX slots [head, tail) hold packets */
	uint32_t tx_need_kick;	/* (S) sender sleeps until head moves: kick its TX fd */
	uint32_t drops;		/* (S) packets dropped: a bad buf_idx or len */
	uint32_t bad_head;	/* (S) times the receiver's head was out of its window */
	uint32_t pad0[12];
	uint32_t head;		/* (R) receiver released its RX slots before head */
	uint32_t rx_need_kick;	/* (R) receiver sleeps until tail moves: kick its RX fd */
	uint32_t bad_tail;	/* (R) times the sender's tail was out of its window */
	uint32_t pad1[13];
};

/*
 * dir[E]: the packets end E (PTNET_PIPE_MASTER/SLAVE) sends.  status is the
 * pair's own PTNET_STATUS_DEAD (written by ptnetd only, with a release):
 * a pair in a port's memory cannot use the region's status register, which
 * is the port's.
 */
struct ptnet_pipe_state {
	struct ptnet_pipe_dir dir[2];
	uint32_t status;
	uint32_t pad[31];
};

#ifndef __KERNEL__
_Static_assert(sizeof(struct ptnet_pipe_dir) == 128, "pipe dir size");
_Static_assert(__builtin_offsetof(struct ptnet_pipe_dir, head) == 64, "pipe dir halves");
_Static_assert(sizeof(struct ptnet_pipe_state) == 384, "pipe state size");
#endif

/*
 * The MAC address in PTNET_IO_MAC_HI (bytes 0-1) and PTNET_IO_MAC_LO
 * (bytes 2-5), most significant byte first, as netmap's ptnet does.
 */
static inline void ptnet_mac_to_regs(const uint8_t mac[6], uint32_t *lo, uint32_t *hi)
{
	*hi = (uint32_t)mac[0] << 8 | mac[1];
	*lo = (uint32_t)mac[2] << 24 | (uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 | mac[5];
}

static inline void ptnet_mac_from_regs(uint32_t lo, uint32_t hi, uint8_t mac[6])
{
	mac[0] = (uint8_t)(hi >> 8);
	mac[1] = (uint8_t)hi;
	mac[2] = (uint8_t)(lo >> 24);
	mac[3] = (uint8_t)(lo >> 16);
	mac[4] = (uint8_t)(lo >> 8);
	mac[5] = (uint8_t)lo;
}

#endif /* PTNET_ABI_H */
