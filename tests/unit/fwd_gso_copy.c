// SPDX-License-Identifier: BSD-2-Clause
/*
 * fwd_gso_copy - a TCPv4 GSO frame from a virtio-net-header port to a plain
 * port is cut by the switch into MTU-sized segments, each copied from the
 * segmentation scratch into its own destination slot (the one-slot fast
 * path): every segment arrives, with the right length, headers and payload
 * (sequence numbers advancing, IPv4 total length set), and the copy makes
 * no misaligned or out-of-bounds access (UBSan/ASan watch it).
 */
#include "fwdh.h"

#define PAYLOAD 4000
#define MSS	500	/* small segments: the copy works in 8-byte words */

static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MAC_V[6] = { 2, 0, 0, 0, 0, 0x21 };

static uint8_t frame[PTNET_VNET_HDR_LEN + 54 + PAYLOAD], got[4096];

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* 12-byte virtio-net header + Ethernet + IPv4 + TCP + PAYLOAD bytes. */
static uint32_t build(void)
{
	uint8_t *h = frame, *e = frame + PTNET_VNET_HDR_LEN, *ip = e + 14, *tcp = ip + 20;

	memset(frame, 0, sizeof(frame));
	h[0] = 1;  /* NEEDS_CSUM */
	h[1] = 1;  /* GSO TCPv4 */
	h[2] = 54; /* hdr_len, little endian */
	h[4] = MSS & 0xff;
	h[5] = MSS >> 8; /* gso_size */
	h[6] = 34;	 /* csum_start: the TCP header */
	h[8] = 16;	 /* csum_offset: TCP checksum */
	memcpy(e, BCAST, 6);
	memcpy(e + 6, MAC_V, 6);
	put16(e + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, 20 + 20 + PAYLOAD);
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	put16(tcp, 40000);
	put16(tcp + 2, 5201);
	memcpy(tcp + 4, "\x10\x00\x00\x00", 4); /* seq 0x10000000 */
	tcp[12] = 5 << 4;
	tcp[13] = 0x18; /* PSH ACK */
	put16(tcp + 14, 65535);
	for (uint32_t i = 0; i < PAYLOAD; i++)
		tcp[20 + i] = (uint8_t)(i * 7 + (i >> 8));
	return PTNET_VNET_HDR_LEN + 54 + PAYLOAD;
}

int main(void)
{
	struct cport v, p;
	struct ptd_stats sp;
	uint32_t len, off = 0;
	unsigned int nseg = (PAYLOAD + MSS - 1) / MSS;

	fw_setup(1);
	fw_open(&v, "vale0:v@conf:vnet-hdr=12,mac=02:00:00:00:00:21");
	fw_open(&p, "vale0:p@conf:mac=02:00:00:00:00:20");

	for (int round = 0; round < 3; round++) {
		stats(&p, &sp);
		len = build();
		tx_frame(&v, 0, frame, len);
		tx_publish(&v, 0);
		fw_forward(&v, 0);
		/* rx_packets counts the frame, rx_segs the extra frames it became. */
		CHECK_EQ(DELTA(&p, sp, rx_packets), 1, "round %d: one frame delivered", round);
		CHECK_EQ(DELTA(&p, sp, rx_segs), nseg - 1, "round %d: as %u segments", round, nseg);
		CHECK_EQ(DROPS_DELTA(&p, sp), 0, "round %d: no drops", round);
		off = 0;
		for (unsigned int k = 0; k < nseg; k++) {
			uint32_t n = PAYLOAD - off < MSS ? PAYLOAD - off : MSS, glen = 0;
			int slots = rx_take(&p, 0, got, sizeof(got), &glen);

			CHECK_EQ(slots, 1, "round %d segment %u in one slot", round, k);
			CHECK_EQ(glen, 54 + n, "round %d segment %u length", round, k);
			if (glen != 54 + n)
				continue;
			CHECK_EQ(get16(got + 14 + 2), 40 + n, "segment %u IPv4 total length", k);
			CHECK_EQ(get32(got + 34 + 4), 0x10000000u + off, "segment %u TCP seq", k);
			CHECK(!memcmp(got + 54, frame + PTNET_VNET_HDR_LEN + 54 + off, n),
			      "segment %u payload", k);
			off += n;
		}
		rx_expect_empty(&p, 0, "nothing more");
		rx_release(&p, 0);
	}
	fw_close(&v);
	fw_close(&p);
	fw_teardown();
	return t_done("fwd_gso_copy");
}
