/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pkt.h - Ethernet/IPv4/UDP frames for the ptnet tools: build a frame,
 * patch its lengths, recognise one and turn it around.  No I/O, no
 * allocation; every function works on a plain byte buffer.
 *
 * Frame layout (no VLAN, no IP options):
 *
 *	0   Ethernet: dst[6] src[6] type[2]		PTT_ETH_LEN
 *	14  IPv4 header, 20 bytes			PTT_IP_OFS
 *	34  UDP header, 8 bytes				PTT_UDP_OFS
 *	42  payload					PTT_PAYLOAD_OFS
 */
#ifndef PTNET_TOOLS_PKT_H
#define PTNET_TOOLS_PKT_H

#include <stddef.h>
#include <stdint.h>

#define PTT_ETH_LEN		14
#define PTT_IP_OFS		14
#define PTT_UDP_OFS		34
#define PTT_PAYLOAD_OFS		42
#define PTT_MIN_FRAME		60	/* Ethernet minimum without CRC */
#define PTT_MAX_FRAME		65535	/* largest frame an IPv4 length allows here */
#define PTT_ETHERTYPE_IPV4	0x0800
#define PTT_IPPROTO_UDP		17

struct ptt_udp_spec {
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
	uint32_t src_ip, dst_ip;	/* host byte order */
	uint16_t src_port, dst_port;	/* host byte order */
	uint8_t ttl;
};

/* Default spec: 10.0.0.1:1234 -> 10.1.0.1:1234, TTL 64, MACs zero. */
void ptt_udp_spec_default(struct ptt_udp_spec *s);

/*
 * Write a complete Ethernet+IPv4+UDP frame of LEN bytes (LEN >= 42) into
 * FRAME: headers from S, a valid IPv4 header checksum, UDP checksum 0
 * (legal for IPv4), payload zeroed.
 */
void ptt_udp_build(uint8_t *frame, size_t len, const struct ptt_udp_spec *s);

/*
 * Rewrite the IPv4 total length, its checksum and the UDP length of a frame
 * built by ptt_udp_build for a new total frame length LEN.  Touches only
 * the headers.
 */
void ptt_udp_set_len(uint8_t *frame, size_t len);

/* Internet checksum (RFC 1071) of LEN bytes, folded and complemented. */
uint16_t ptt_inet_csum(const void *data, size_t len);

/*
 * Is FRAME (LEN bytes available) an IPv4/UDP frame with a 20-byte IP
 * header?  If DST_PORT is nonzero the UDP destination port must match.
 */
int ptt_is_udp4(const uint8_t *frame, size_t len, uint16_t dst_port);

/*
 * Turn a received IPv4/UDP frame into its reply, in place: swap the MAC
 * addresses, the IP addresses and the UDP ports.  The checksums stay valid
 * because a swap does not change their sums.
 */
void ptt_udp_reflect(uint8_t *frame);

/* Big-endian accessors for unaligned header fields. */
static inline uint16_t ptt_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void ptt_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

#endif /* PTNET_TOOLS_PKT_H */
