// SPDX-License-Identifier: BSD-2-Clause
/*
 * tb-gso - send GSO frames out of a network interface with a virtio-net
 * header (AF_PACKET + PACKET_VNET_HDR), as a guest's or the stack's TSO
 * would.  Run inside the namespace of a TAP port: ptnetd then reads them
 * with their GSO header.  The payload is a pattern of the byte offset.
 *
 *   tb-gso -i IF -t tcp4|tcp6|uso4 [-n FRAMES] [-l PAYLOAD] [-m MSS] [-D MAC]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "tb.h"

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

int main(int argc, char **argv)
{
	const char *ifname = NULL, *type = "tcp4";
	uint8_t dmac[6] = { 0x02, 0xde, 0xad, 0x00, 0xbe, 0xef }, smac[6];
	unsigned int frames = 10, payload = 30000, mss = 1448;
	static uint8_t buf[70000];
	struct virtio_net_hdr vh = { 0 };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr = { 0 };
	int c, s, one = 1, v6, udp;
	size_t l3, l4, off;

	while ((c = getopt(argc, argv, "i:t:n:l:m:D:")) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 't': type = optarg; break;
		case 'n': frames = (unsigned)atoi(optarg); break;
		case 'l': payload = (unsigned)atoi(optarg); break;
		case 'm': mss = (unsigned)atoi(optarg); break;
		case 'D':
			if (ptc_parse_mac(optarg, dmac)) {
				fprintf(stderr, "tb-gso: bad MAC %s\n", optarg);
				return 2;
			}
			break;
		default:
			return 2;
		}
	}
	v6 = !strcmp(type, "tcp6");
	udp = !strcmp(type, "uso4");
	if (!ifname || (!v6 && !udp && strcmp(type, "tcp4")) || payload > 60000 || !mss) {
		fprintf(stderr, "usage: tb-gso -i IF -t tcp4|tcp6|uso4 [-n N] [-l LEN<=60000] [-m MSS] [-D MAC]\n");
		return 2;
	}
	s = socket(AF_PACKET, SOCK_RAW, 0);
	if (s < 0 || setsockopt(s, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0) {
		perror("tb-gso: packet socket");
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
		perror("tb-gso: SIOCGIFHWADDR");
		return 1;
	}
	memcpy(smac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("tb-gso: bind");
		return 1;
	}

	off = sizeof(vh);
	memcpy(buf + off, dmac, 6);
	memcpy(buf + off + 6, smac, 6);
	buf[off + 12] = v6 ? 0x86 : 0x08;
	buf[off + 13] = v6 ? 0xdd : 0x00;
	l3 = off + 14;
	l4 = l3 + (v6 ? 40 : 20);
	{
		size_t l4len = (udp ? 8 : 20) + payload;
		uint8_t *ip = buf + l3, *th = buf + l4;
		uint32_t ps;

		if (v6) {
			ip[0] = 0x60;
			ip[4] = (uint8_t)(l4len >> 8);
			ip[5] = (uint8_t)l4len;
			ip[6] = 6;
			ip[7] = 64;
			inet_pton(AF_INET6, "fd00:251::1", ip + 8);
			inet_pton(AF_INET6, "fd00:251::77", ip + 24);
			ps = tb_sum16(ip + 8, 32, 0) + 6 + (uint32_t)l4len;
		} else {
			size_t tot = 20 + l4len;

			ip[0] = 0x45;
			ip[2] = (uint8_t)(tot >> 8);
			ip[3] = (uint8_t)tot;
			ip[6] = 0x40;
			ip[8] = 64;
			ip[9] = udp ? 17 : 6;
			inet_pton(AF_INET, "10.251.0.1", ip + 12);
			inet_pton(AF_INET, "10.251.0.77", ip + 16);
			ps = tb_sum16(ip + 12, 8, 0) + (udp ? 17u : 6u) + (uint32_t)l4len;
			{
				uint16_t ck = (uint16_t)~tb_fold(tb_sum16(ip, 20, 0));

				ip[10] = (uint8_t)(ck >> 8);
				ip[11] = (uint8_t)ck;
			}
		}
		th[0] = 0x04; th[1] = 0xd2;	/* port 1234 */
		th[2] = 0x00; th[3] = 0x50;	/* port 80 */
		if (udp) {
			th[4] = (uint8_t)(l4len >> 8);
			th[5] = (uint8_t)l4len;
		} else {
			th[4] = 0x10;		/* seq 0x10000000 */
			th[12] = 5 << 4;
			th[13] = 0x18;		/* PSH ACK */
			th[14] = 0xff;
			th[15] = 0xff;
		}
		for (size_t k = 0; k < payload; k++)
			th[(udp ? 8 : 20) + k] = (uint8_t)(k * 7 + 3);
		/* CHECKSUM_PARTIAL: the field holds the pseudo-header sum. */
		{
			uint16_t p16 = tb_fold(ps);
			size_t at = udp ? 6 : 16;

			th[at] = (uint8_t)(p16 >> 8);
			th[at + 1] = (uint8_t)p16;
		}
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.gso_type = udp ? VIRTIO_NET_HDR_GSO_UDP_L4 : v6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
			      VIRTIO_NET_HDR_GSO_TCPV4;
		vh.hdr_len = (uint16_t)(l4 - off + (udp ? 8 : 20));
		vh.gso_size = (uint16_t)mss;
		vh.csum_start = (uint16_t)(l4 - off);
		vh.csum_offset = udp ? 6 : 16;
		memcpy(buf, &vh, sizeof(vh));
		for (unsigned int i = 0; i < frames; i++)
			if (send(s, buf, l4 + l4len, 0) < 0) {
				perror("tb-gso: send");
				return 1;
			}
	}
	printf("SENT frames=%u payload=%u mss=%u type=%s\n", frames, payload, mss, type);
	return 0;
}
