// SPDX-License-Identifier: BSD-2-Clause
/*
 * offload.c - software checksum completion and segmentation of frames that
 * carry a virtio-net header (see offload.h for the contract).
 *
 * Checksums: the Internet checksum is the one's complement sum of 16-bit
 * big-endian words, and that sum does not depend on byte order (RFC 1071):
 * summing the words as host-order loads and storing the folded result with
 * a host-order store gives the same bytes.  So csum_add() loads the bytes
 * natively, constants are added as htobe16(value), and nothing is swapped.
 *
 * Segmentation validates the whole frame into a struct plan first; only
 * then is anything emitted, and nothing after that can fail.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "daemon/offload.h"

#define ETH_HLEN	14
#define ETH_P_IPV4	0x0800
#define ETH_P_IPV6	0x86dd
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88a8
#define MAX_VLANS	2

#define PROTO_TCP	6
#define PROTO_UDP	17

#define IP4_HLEN	20
#define IP4_MF		0x2000
#define IP4_FRAG_MASK	0x3fff		/* MF + fragment offset */
#define IP6_HLEN	40
#define TCP_HLEN	20
#define UDP_HLEN	8

#define TCP_FIN		0x01
#define TCP_PSH		0x08
#define TCP_CWR		0x80

#define IP_MAX_LEN	65535u

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Add the bytes [P, P+LEN) to ACC as 16-bit words in memory order (an odd
 * last byte is padded with a zero).  ACC stays far from overflow: each step
 * adds less than 2^33 and LEN < 2^32.
 */
static uint64_t csum_add(uint64_t acc, const uint8_t *p, uint32_t len)
{
	while (len >= 8) {
		uint64_t x;

		memcpy(&x, p, 8);
		acc += (x & 0xffffffffu) + (x >> 32);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t x;

		memcpy(&x, p, 4);
		acc += x;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t x;

		memcpy(&x, p, 2);
		acc += x;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t x = 0;

		memcpy(&x, p, 1);	/* the high-order byte of a big-endian word */
		acc += x;
	}
	return acc;
}

/* A host-order sum folded to 16 bits (still host order, not complemented). */
static uint16_t csum_fold(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* Store the complement of ACC's fold at P; ZERO_FF: 0 becomes 0xffff (UDP). */
static void csum_store(uint8_t *p, uint64_t acc, bool zero_ff)
{
	uint16_t c = (uint16_t)~csum_fold(acc);

	if (zero_ff && c == 0)
		c = 0xffff;
	memcpy(p, &c, 2);
}

/* A 16-bit value as it adds into a csum_add() sum. */
static inline uint64_t csum_word(uint32_t v)
{
	return htobe16((uint16_t)v);
}

/* Pseudo-header sum for an L4 header of protocol PROTO, L4LEN bytes long. */
static uint64_t pseudo_sum(const uint8_t *ip, bool v6, uint8_t proto, uint32_t l4len)
{
	uint64_t acc = v6 ? csum_add(0, ip + 8, 32) : csum_add(0, ip + 12, 8);

	return acc + csum_word(proto) + csum_word(l4len >> 16) + csum_word(l4len & 0xffff);
}

void ptd_vnet_hdr_load(struct ptd_vnet_hdr *h, const uint8_t *p, uint32_t hdr_len)
{
	uint8_t b[PTD_VNET_HDR_LEN] = { 0 };

	if (hdr_len)
		memcpy(b, p, hdr_len < sizeof(b) ? hdr_len : sizeof(b));
	h->flags = b[0];
	h->gso_type = b[1];
	h->hdr_len = (uint16_t)(b[2] | b[3] << 8);
	h->gso_size = (uint16_t)(b[4] | b[5] << 8);
	h->csum_start = (uint16_t)(b[6] | b[7] << 8);
	h->csum_offset = (uint16_t)(b[8] | b[9] << 8);
	h->num_buffers = (uint16_t)(b[10] | b[11] << 8);
}

void ptd_vnet_hdr_store(const struct ptd_vnet_hdr *h, uint8_t *p, uint32_t hdr_len)
{
	const uint16_t f[5] = { h->hdr_len, h->gso_size, h->csum_start, h->csum_offset,
				h->num_buffers };
	uint8_t b[PTD_VNET_HDR_LEN];

	b[0] = h->flags;
	b[1] = h->gso_type;
	for (unsigned int i = 0; i < 5; i++) {
		b[2 + 2 * i] = (uint8_t)f[i];
		b[3 + 2 * i] = (uint8_t)(f[i] >> 8);
	}
	if (hdr_len)
		memcpy(p, b, hdr_len < sizeof(b) ? hdr_len : sizeof(b));
}

int ptd_vnet_hdr_check(const struct ptd_vnet_hdr *h, uint32_t frame_len)
{
	unsigned int type = h->gso_type & ~PTD_VNET_GSO_ECN;

	if (h->flags & ~(PTD_VNET_F_NEEDS_CSUM | PTD_VNET_F_DATA_VALID))
		return -EINVAL;
	switch (type) {
	case PTD_VNET_GSO_NONE:
		if (h->gso_type & PTD_VNET_GSO_ECN)
			return -EINVAL;
		break;
	case PTD_VNET_GSO_TCPV4:
	case PTD_VNET_GSO_UDP:
	case PTD_VNET_GSO_TCPV6:
	case PTD_VNET_GSO_UDP_L4:
		if (!h->gso_size)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if ((h->flags & PTD_VNET_F_NEEDS_CSUM) &&
	    (uint32_t)h->csum_start + h->csum_offset + 2 > frame_len)
		return -EINVAL;
	return 0;
}

int ptd_csum_complete(uint8_t *frame, uint32_t len, uint16_t csum_start, uint16_t csum_offset)
{
	uint32_t field = (uint32_t)csum_start + csum_offset;

	if (!frame || field + 2 > len)
		return -EINVAL;
	csum_store(frame + field, csum_add(0, frame + csum_start, len - csum_start), true);
	return 0;
}

/* Byte POS of the chain FR[0..NFR), known to exist. */
static uint8_t *frag_byte(const struct ptd_frag *fr, unsigned int nfr, uint64_t pos)
{
	unsigned int i = 0;

	while (i + 1 < nfr && pos >= fr[i].len) {
		pos -= fr[i].len;
		i++;
	}
	return fr[i].buf + pos;
}

int ptd_csum_complete_frags(const struct ptd_frag *fr, unsigned int nfr, uint32_t skip,
			    uint16_t csum_start, uint16_t csum_offset)
{
	uint64_t total = 0, start, field, pos = 0, summed = 0, acc = 0;
	uint16_t c;

	if (!fr)
		return -EINVAL;
	for (unsigned int i = 0; i < nfr; i++) {
		if (!fr[i].buf && fr[i].len)
			return -EINVAL;
		total += fr[i].len;
	}
	start = (uint64_t)skip + csum_start;
	field = start + csum_offset;
	if (field + 2 > total)
		return -EINVAL;

	for (unsigned int i = 0; i < nfr; pos += fr[i].len, i++) {
		uint64_t from = start > pos ? start - pos : 0;
		uint16_t s;

		if (from >= fr[i].len)
			continue;
		s = csum_fold(csum_add(0, fr[i].buf + from, (uint32_t)(fr[i].len - from)));
		/* A piece starting at an odd position: its words are shifted by a byte. */
		acc += (summed & 1) ? (uint16_t)(s << 8 | s >> 8) : s;
		summed += fr[i].len - from;
	}
	c = (uint16_t)~csum_fold(acc);
	if (c == 0)
		c = 0xffff;
	memcpy(frag_byte(fr, nfr, field), &c, 1);
	memcpy(frag_byte(fr, nfr, field + 1), (uint8_t *)&c + 1, 1);
	return 0;
}

/* A validated GSO frame and how to cut it. */
struct plan {
	uint32_t l3;		/* offset of the IP header */
	uint32_t l4;		/* offset of the TCP/UDP header */
	uint32_t ip_hl;		/* IP header bytes */
	uint32_t l4_hl;		/* TCP/UDP header bytes */
	uint32_t hlen;		/* bytes copied into every segment */
	uint32_t plen;		/* bytes after hlen, cut into pieces */
	uint32_t seg;		/* bytes per piece (all but maybe the last) */
	uint32_t nseg;
	unsigned int type;	/* PTD_VNET_GSO_*, ECN masked */
	bool v6;
};

/*
 * Walk the LEN bytes of IPv4 options at O: -EINVAL if malformed.  If OUT is
 * not NULL, the options without the copy bit are replaced by NOPs in OUT (a
 * copy of O, or O itself): what a non-first fragment carries.
 */
static int ip4_opts(const uint8_t *o, uint32_t len, uint8_t *out)
{
	uint32_t i = 0;

	while (i < len) {
		uint8_t t = o[i], l;

		if (t == 0)			/* end of list */
			break;
		if (t == 1) {			/* NOP */
			i++;
			continue;
		}
		if (len - i < 2)
			return -EINVAL;
		l = o[i + 1];
		if (l < 2 || l > len - i)
			return -EINVAL;
		if (out && !(t & 0x80))
			memset(out + i, 1, l);
		i += l;
	}
	return 0;
}

static int plan_gso(const struct ptd_vnet_hdr *h, const uint8_t *f, uint32_t len, uint32_t mtu,
		    struct plan *pl)
{
	uint32_t off = ETH_HLEN, et, m = mtu > IP_MAX_LEN ? IP_MAX_LEN : mtu, room;
	uint8_t proto;
	bool tcp;

	if (!h || !f || ptd_vnet_hdr_check(h, len))
		return -EINVAL;
	pl->type = h->gso_type & ~PTD_VNET_GSO_ECN;
	if (pl->type == PTD_VNET_GSO_NONE || len < ETH_HLEN)
		return -EINVAL;
	tcp = pl->type == PTD_VNET_GSO_TCPV4 || pl->type == PTD_VNET_GSO_TCPV6;

	/* Ethernet, VLAN tags. */
	et = get16(f + 12);
	for (unsigned int i = 0; i < MAX_VLANS && (et == ETH_P_8021Q || et == ETH_P_8021AD); i++) {
		if (len - off < 4)
			return -EINVAL;
		et = get16(f + off + 2);
		off += 4;
	}
	pl->l3 = off;

	/* IP. */
	if (et == ETH_P_IPV4) {
		const uint8_t *ip = f + off;

		if (pl->type == PTD_VNET_GSO_TCPV6 || len - off < IP4_HLEN)
			return -EINVAL;
		pl->ip_hl = (ip[0] & 0x0fu) * 4;
		if (ip[0] >> 4 != 4 || pl->ip_hl < IP4_HLEN || pl->ip_hl > len - off)
			return -EINVAL;
		if (get16(ip + 6) & IP4_FRAG_MASK)
			return -EINVAL;
		proto = ip[9];
		pl->v6 = false;
	} else if (et == ETH_P_IPV6) {
		const uint8_t *ip = f + off;

		if (pl->type == PTD_VNET_GSO_TCPV4 || pl->type == PTD_VNET_GSO_UDP)
			return -EINVAL;
		if (len - off < IP6_HLEN || ip[0] >> 4 != 6)
			return -EINVAL;
		pl->ip_hl = IP6_HLEN;
		proto = ip[6];
		pl->v6 = true;
	} else {
		return -EINVAL;
	}
	pl->l4 = off + pl->ip_hl;
	off = pl->l4;

	/* TCP or UDP. */
	if (proto != (tcp ? PROTO_TCP : PROTO_UDP))
		return -EINVAL;
	if (tcp) {
		if (len - off < TCP_HLEN)
			return -EINVAL;
		pl->l4_hl = (f[off + 12] >> 4) * 4u;
		if (pl->l4_hl < TCP_HLEN || pl->l4_hl > len - off)
			return -EINVAL;
	} else {
		if (len - off < UDP_HLEN)
			return -EINVAL;
		pl->l4_hl = UDP_HLEN;
	}

	/* How to cut. */
	if (pl->type == PTD_VNET_GSO_UDP) {
		/* Fragments of the IP payload: the UDP header travels in the first. */
		pl->hlen = pl->l4;
		pl->plen = len - pl->l4;
		if (pl->ip_hl + pl->plen > IP_MAX_LEN)	/* the datagram must fit IPv4 */
			return -EINVAL;
		if (ip4_opts(f + pl->l3 + IP4_HLEN, pl->ip_hl - IP4_HLEN, NULL))
			return -EINVAL;
		if (m <= pl->ip_hl)
			return -EINVAL;
		room = m - pl->ip_hl;
		pl->seg = (h->gso_size < room ? h->gso_size : room) & ~7u;
		if (pl->seg < UDP_HLEN)
			return -EINVAL;
	} else {
		pl->hlen = pl->l4 + pl->l4_hl;
		pl->plen = len - pl->hlen;
		if (m <= pl->ip_hl + pl->l4_hl)
			return -EINVAL;
		room = m - pl->ip_hl - pl->l4_hl;
		pl->seg = h->gso_size < room ? h->gso_size : room;
	}
	if (pl->plen <= pl->seg)
		pl->nseg = 1;
	else
		pl->nseg = pl->plen / pl->seg + (pl->plen % pl->seg != 0);
	if (pl->nseg > PTD_GSO_MAX_SEGS)
		return -EINVAL;
	return 0;
}

uint32_t ptd_gso_count(const struct ptd_vnet_hdr *h, const uint8_t *frame, uint32_t len,
		       uint32_t mtu)
{
	struct plan pl;

	return plan_gso(h, frame, len, mtu, &pl) ? 0 : pl.nseg;
}

/* IPv4 total length and header checksum of the segment with IP header IP. */
static void ip4_finish(uint8_t *ip, const struct plan *pl, uint32_t iplen)
{
	put16(ip + 2, iplen);
	ip[10] = ip[11] = 0;
	csum_store(ip + 10, csum_add(0, ip, pl->ip_hl), false);
}

/* TCP and UDP_L4: fix the L4 header of segment I (N payload bytes at OFF). */
static void l4_finish(uint8_t *s, const struct plan *pl, uint32_t i, uint32_t off, uint32_t n)
{
	uint8_t *ip = s + pl->l3, *th = s + pl->l4;
	uint32_t l4len = pl->l4_hl + n;

	if (pl->v6) {
		put16(ip + 4, l4len);
	} else {
		put16(ip + 4, get16(ip + 4) + i);	/* id */
		ip4_finish(ip, pl, pl->ip_hl + l4len);
	}
	if (pl->type == PTD_VNET_GSO_UDP_L4) {
		put16(th + 4, l4len);
		th[6] = th[7] = 0;
		csum_store(th + 6, pseudo_sum(ip, pl->v6, PROTO_UDP, l4len) +
			   csum_add(0, th, l4len), true);
		return;
	}
	put32(th + 4, get32(th + 4) + off);		/* seq */
	if (i + 1 < pl->nseg)
		th[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
	if (i > 0)
		th[13] &= (uint8_t)~TCP_CWR;
	th[16] = th[17] = 0;
	csum_store(th + 16, pseudo_sum(ip, pl->v6, PROTO_TCP, l4len) + csum_add(0, th, l4len),
		   false);
}

/* UFO: the UDP checksum of the whole datagram F[l4, l4 + plen). */
static uint64_t ufo_udp_sum(const uint8_t *f, const struct plan *pl)
{
	const uint8_t *uh = f + pl->l4;
	uint64_t acc = pseudo_sum(f + pl->l3, false, PROTO_UDP, pl->plen);

	acc = csum_add(acc, uh, 4);			/* ports */
	acc += csum_word(pl->plen);			/* length; checksum counts as 0 */
	return csum_add(acc, uh + UDP_HLEN, pl->plen - UDP_HLEN);
}

int ptd_gso_segment(const struct ptd_vnet_hdr *h, const uint8_t *frame, uint32_t len,
		    uint32_t mtu, uint8_t *scratch, uint32_t scratch_len, ptd_seg_emit emit,
		    void *arg)
{
	struct plan pl;
	uint64_t udp_sum = 0;
	uint32_t off = 0;

	if (!scratch || !emit || plan_gso(h, frame, len, mtu, &pl))
		return -EINVAL;
	if (scratch_len < pl.hlen + (pl.plen < pl.seg ? pl.plen : pl.seg))
		return -ENOSPC;
	if (pl.type == PTD_VNET_GSO_UDP)
		udp_sum = ufo_udp_sum(frame, &pl);

	for (uint32_t i = 0; i < pl.nseg; i++) {
		uint32_t n = pl.plen - off < pl.seg ? pl.plen - off : pl.seg;
		uint8_t *ip = scratch + pl.l3;

		memcpy(scratch, frame, pl.hlen);
		memcpy(scratch + pl.hlen, frame + pl.hlen + off, n);
		if (pl.type != PTD_VNET_GSO_UDP) {
			l4_finish(scratch, &pl, i, off, n);
		} else {
			/* IPv4 fragment at OFF (a multiple of 8: pl.seg is). */
			uint32_t fo = off >> 3;

			if (i == 0) {
				put16(scratch + pl.l4 + 4, pl.plen);
				csum_store(scratch + pl.l4 + 6, udp_sum, true);
			} else {
				/* Valid: plan_gso() checked them. */
				(void)ip4_opts(ip + IP4_HLEN, pl.ip_hl - IP4_HLEN, ip + IP4_HLEN);
			}
			if (pl.nseg > 1)	/* else left as sent: DF or 0 */
				put16(ip + 6, fo | (i + 1 < pl.nseg ? IP4_MF : 0));
			ip4_finish(ip, &pl, pl.ip_hl + n);
		}
		emit(scratch, pl.hlen + n, arg);
		off += n;
	}
	return (int)pl.nseg;
}
