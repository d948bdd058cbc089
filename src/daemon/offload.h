/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * offload.h - software offloads for frames that carry a virtio-net header,
 * for destinations that take no header (VALE's "mismatch datapath"):
 *
 *   ptd_csum_complete*()	finish a NEEDS_CSUM (CHECKSUM_PARTIAL) frame
 *   ptd_gso_count()		segments a GSO frame will become
 *   ptd_gso_segment()		cut a GSO frame (TSO4, TSO6, USO, IPv4 UFO)
 *				into MTU-sized frames with full checksums
 *
 * Frames come from untrusted peers.  Every function validates what it reads
 * and never touches a byte outside the buffers it is given, whatever the
 * headers claim.  The code is pure: no I/O, no allocation, no global state;
 * any thread may call any function at any time (on buffers it owns).
 *
 * Frames are Ethernet frames *without* the virtio-net header in front; the
 * caller strips it (after ptd_vnet_hdr_load()) and adds the destination's
 * own header, if any, to what comes out.
 */
#ifndef PTNETD_OFFLOAD_H
#define PTNETD_OFFLOAD_H

#include <stdint.h>
#include <ptnet/abi.h>

/* virtio-net header (virtio_net_hdr_v1 / _mrg_rxbuf): 12 bytes on the wire. */
#define PTD_VNET_HDR_LEN		PTNET_VNET_HDR_LEN
#define PTD_VNET_HDR_LEN_LEGACY		10	/* no num_buffers */

#define PTD_VNET_F_NEEDS_CSUM		1	/* csum_start/csum_offset are valid */
#define PTD_VNET_F_DATA_VALID		2	/* checksums already verified */

#define PTD_VNET_GSO_NONE		0
#define PTD_VNET_GSO_TCPV4		1
#define PTD_VNET_GSO_UDP		3	/* UFO: IPv4 fragmentation */
#define PTD_VNET_GSO_TCPV6		4
#define PTD_VNET_GSO_UDP_L4		5	/* USO: one UDP datagram per segment */
#define PTD_VNET_GSO_ECN		0x80	/* flag: sender negotiated ECN (TCP) */

#define PTD_GSO_MAX_SEGS		64	/* per frame; more is -EINVAL */

/* Largest Ethernet header ptd_gso_segment() accepts: 14 + two VLAN tags. */
#define PTD_GSO_MAX_L2			22

/*
 * Scratch space ptd_gso_segment() needs for destination MTU MTU: one output
 * frame.  PTD_GSO_SCRATCH_MAX fits any MTU (MTUs above 65535 count as 65535).
 */
#define PTD_GSO_SCRATCH(mtu)	\
	((uint32_t)((mtu) > 65535u ? 65535u : (mtu)) + PTD_GSO_MAX_L2)
#define PTD_GSO_SCRATCH_MAX	(65535u + PTD_GSO_MAX_L2)

/* A virtio-net header, fields in host order (see ptd_vnet_hdr_load()). */
struct ptd_vnet_hdr {
	uint8_t flags;		/* PTD_VNET_F_* */
	uint8_t gso_type;	/* PTD_VNET_GSO_*, maybe | PTD_VNET_GSO_ECN */
	uint16_t hdr_len;	/* informational; not used here */
	uint16_t gso_size;	/* payload bytes per segment (MSS) */
	uint16_t csum_start;	/* from the start of the Ethernet frame */
	uint16_t csum_offset;	/* of the checksum field, from csum_start */
	uint16_t num_buffers;	/* RX only (12-byte header) */
};
_Static_assert(sizeof(struct ptd_vnet_hdr) == PTD_VNET_HDR_LEN, "ptd_vnet_hdr size");

/*
 * Decode the HDR_LEN-byte (10 or 12; other values: the first min(HDR_LEN,
 * 12) bytes, the rest zero) little-endian header at P into *H.
 */
void ptd_vnet_hdr_load(struct ptd_vnet_hdr *h, const uint8_t *p, uint32_t hdr_len);

/* Encode *H as a HDR_LEN-byte header at P (the first min(HDR_LEN, 12) bytes). */
void ptd_vnet_hdr_store(const struct ptd_vnet_hdr *h, uint8_t *p, uint32_t hdr_len);

/*
 * Is *H acceptable for a frame of FRAME_LEN bytes (the header excluded)?
 * Returns 0 or -EINVAL.  Rules: flags only NEEDS_CSUM and DATA_VALID;
 * gso_type without ECN one of NONE, TCPV4, UDP, TCPV6, UDP_L4, and ECN not
 * with NONE; gso_size > 0 when GSO; with NEEDS_CSUM, csum_start +
 * csum_offset + 2 <= FRAME_LEN.  hdr_len and num_buffers are not checked.
 */
int ptd_vnet_hdr_check(const struct ptd_vnet_hdr *h, uint32_t frame_len);

/*
 * Complete the checksum of a NEEDS_CSUM frame of LEN bytes: the 16-bit field
 * at CSUM_START + CSUM_OFFSET holds the (pseudo-header) partial sum; the
 * one's complement sum of [CSUM_START, LEN), that field included, is folded,
 * complemented and stored there (a result of 0 is stored as 0xffff, which
 * is equivalent and right for UDP).  Returns 0, or -EINVAL (nothing
 * written) if the field does not lie inside the frame.
 */
int ptd_csum_complete(uint8_t *frame, uint32_t len, uint16_t csum_start, uint16_t csum_offset);

/* A piece of a frame stored in several buffers (netmap NS_MOREFRAG chain). */
struct ptd_frag {
	uint8_t *buf;
	uint32_t len;
};

/*
 * ptd_csum_complete() on a frame held in NFR pieces FR[], starting SKIP
 * bytes into the first (SKIP = a virtio-net header to pass over; the frame
 * is everything after it).  Pieces may have any length, odd or zero; the
 * checksum field may straddle two of them.  Returns 0 or -EINVAL.
 */
int ptd_csum_complete_frags(const struct ptd_frag *fr, unsigned int nfr, uint32_t skip,
			    uint16_t csum_start, uint16_t csum_offset);

/* Receives each segment; FRAME is only valid during the call. */
typedef void (*ptd_seg_emit)(const uint8_t *frame, uint32_t len, void *arg);

/*
 * How many frames ptd_gso_segment(H, FRAME, LEN, MTU, ...) emits: 1 ..
 * PTD_GSO_MAX_SEGS, or 0 if it would fail with -EINVAL.  For reserving
 * destination slots before segmenting.
 */
uint32_t ptd_gso_count(const struct ptd_vnet_hdr *h, const uint8_t *frame, uint32_t len,
		       uint32_t mtu);

/*
 * Segment the GSO frame FRAME (LEN bytes, linear, no virtio-net header) that
 * came with header *H, for a destination whose IP MTU is MTU: every frame
 * emitted holds at most MTU bytes of IP packet (MTU capped at 65535), so it
 * is at most MTU + 14 (+ 4 per VLAN tag) bytes long.  Each frame is built in
 * SCRATCH (at least PTD_GSO_SCRATCH(MTU) bytes; it must not overlap FRAME)
 * and passed to EMIT(frame, len, ARG) in order.  FRAME is not modified.
 *
 * Accepted: Ethernet, up to two VLAN tags (0x8100/0x88a8), then IPv4 (any
 * ihl, not a fragment) or IPv6 (next header TCP or UDP directly: no
 * extension headers), then TCP (any doff) or UDP, matching H->gso_type:
 *   TCPV4/TCPV6  payload cut into min(gso_size, MTU - IP hdr - TCP hdr)
 *		  bytes; headers copied; IPv4 tot_len, id (+ segment index),
 *		  header checksum / IPv6 payload_len; TCP seq += offset, FIN
 *		  and PSH only on the last segment, CWR only on the first; TCP
 *		  checksum computed in full.
 *   UDP_L4	  (USO, IPv4 or IPv6) as TCP; each segment a UDP datagram
 *		  with its own length and full checksum.
 *   UDP	  (UFO, IPv4 only) UDP length and checksum set for the whole
 *		  datagram, which is then cut into IPv4 fragments of
 *		  min(gso_size, MTU - IP hdr) rounded down to 8 bytes (gso_size
 *		  counts IP payload bytes, UDP header included): same id, MF on
 *		  all but the last, offset in 8-byte units, DF cleared, options
 *		  without the copy bit turned into NOPs after the first.  A
 *		  datagram that fits in one fragment goes out whole (DF kept).
 *		  The datagram must fit in an IPv4 packet (65535 bytes).
 * The frame length is authoritative: the IP/UDP length fields the sender
 * wrote are ignored and rewritten (as Linux's GSO does); hdr_len,
 * csum_start and csum_offset are ignored since checksums are recomputed.
 * A payload that fits in one segment gives one frame (with fixed lengths
 * and checksums); so does an empty payload.
 *
 * Returns the number of frames emitted (1 .. PTD_GSO_MAX_SEGS), or, with
 * nothing emitted: -EINVAL for a malformed or unsupported frame (including
 * gso_type NONE, IPv6 UFO, headers longer than MTU allows, more than
 * PTD_GSO_MAX_SEGS segments), -ENOSPC if SCRATCH_LEN is too small.
 */
int ptd_gso_segment(const struct ptd_vnet_hdr *h, const uint8_t *frame, uint32_t len,
		    uint32_t mtu, uint8_t *scratch, uint32_t scratch_len, ptd_seg_emit emit,
		    void *arg);

#endif
