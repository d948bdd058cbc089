// SPDX-License-Identifier: BSD-2-Clause
/* pkt.c - build, patch, recognise and reflect Ethernet/IPv4/UDP frames. */
#include <string.h>
#include "pkt.h"

/* Byte offsets inside the IPv4 and UDP headers. */
#define IP_VHL		0
#define IP_TOS		1
#define IP_TOTLEN	2
#define IP_ID		4
#define IP_FRAG		6
#define IP_TTL		8
#define IP_PROTO	9
#define IP_CSUM		10
#define IP_SRC		12
#define IP_DST		16
#define IP_HLEN		20
#define UDP_SPORT	0
#define UDP_DPORT	2
#define UDP_LEN		4
#define UDP_CSUM	6

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t t = a[i];

		a[i] = b[i];
		b[i] = t;
	}
}

void ptt_udp_spec_default(struct ptt_udp_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->src_ip = 10u << 24 | 1;		/* 10.0.0.1 */
	s->dst_ip = 10u << 24 | 1u << 16 | 1;	/* 10.1.0.1 */
	s->src_port = 1234;
	s->dst_port = 1234;
	s->ttl = 64;
}

uint16_t ptt_inet_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void ptt_udp_set_len(uint8_t *frame, size_t len)
{
	uint8_t *ip = frame + PTT_IP_OFS;
	uint8_t *udp = frame + PTT_UDP_OFS;

	ptt_put_be16(ip + IP_TOTLEN, (uint16_t)(len - PTT_ETH_LEN));
	ptt_put_be16(ip + IP_CSUM, 0);
	ptt_put_be16(ip + IP_CSUM, ptt_inet_csum(ip, IP_HLEN));
	ptt_put_be16(udp + UDP_LEN, (uint16_t)(len - PTT_UDP_OFS));
}

void ptt_udp_build(uint8_t *frame, size_t len, const struct ptt_udp_spec *s)
{
	uint8_t *ip = frame + PTT_IP_OFS;
	uint8_t *udp = frame + PTT_UDP_OFS;

	memset(frame, 0, len);
	memcpy(frame, s->dst_mac, 6);
	memcpy(frame + 6, s->src_mac, 6);
	ptt_put_be16(frame + 12, PTT_ETHERTYPE_IPV4);

	ip[IP_VHL] = 0x45;			/* version 4, 5 words */
	ip[IP_TOS] = 0;
	ptt_put_be16(ip + IP_ID, 0);
	ptt_put_be16(ip + IP_FRAG, 0x4000);	/* don't fragment */
	ip[IP_TTL] = s->ttl;
	ip[IP_PROTO] = PTT_IPPROTO_UDP;
	put_be32(ip + IP_SRC, s->src_ip);
	put_be32(ip + IP_DST, s->dst_ip);

	ptt_put_be16(udp + UDP_SPORT, s->src_port);
	ptt_put_be16(udp + UDP_DPORT, s->dst_port);
	ptt_put_be16(udp + UDP_CSUM, 0);	/* no checksum (IPv4 allows it) */

	ptt_udp_set_len(frame, len);
}

int ptt_is_udp4(const uint8_t *frame, size_t len, uint16_t dst_port)
{
	const uint8_t *ip = frame + PTT_IP_OFS;

	if (len < PTT_PAYLOAD_OFS)
		return 0;
	if (ptt_get_be16(frame + 12) != PTT_ETHERTYPE_IPV4)
		return 0;
	if (ip[IP_VHL] != 0x45 || ip[IP_PROTO] != PTT_IPPROTO_UDP)
		return 0;
	if (dst_port && ptt_get_be16(frame + PTT_UDP_OFS + UDP_DPORT) != dst_port)
		return 0;
	return 1;
}

void ptt_udp_reflect(uint8_t *frame)
{
	uint8_t *ip = frame + PTT_IP_OFS;
	uint8_t *udp = frame + PTT_UDP_OFS;

	swap_bytes(frame, frame + 6, 6);
	swap_bytes(ip + IP_SRC, ip + IP_DST, 4);
	swap_bytes(udp + UDP_SPORT, udp + UDP_DPORT, 2);
}
