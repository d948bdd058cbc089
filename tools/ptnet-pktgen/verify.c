// SPDX-License-Identifier: BSD-2-Clause
/*
 * verify.c - the -V payload.  After the UDP header (frame offset 42):
 *
 *	0   u64 tag: flow id << 32 | 32-bit sequence number
 *	    (flow id = 16-bit session << 16 | TX ring index)
 *	8   u16 frame length (without CRC and virtio-net header)
 *	10  u16 PG_VFY_MAGIC
 *	12  u32 check
 *	16  pseudo-random fill derived from the tag, up to the end of the frame
 *
 * All fields in host byte order (sender and receiver share the host).  The
 * check is a word-wise FNV-1a style 64-bit hash with an xor-shift per word,
 * finalized with splitmix64 and folded to 32 bits, over the whole frame
 * (Ethernet header included) except the check field itself.
 */
#include <string.h>
#include "../common/pkt.h"
#include "pktgen.h"

#define TAG_OFS		(PTT_PAYLOAD_OFS + 0)
#define LEN_OFS		(PTT_PAYLOAD_OFS + 8)
#define MAGIC_OFS	(PTT_PAYLOAD_OFS + 10)
#define CHECK_OFS	(PTT_PAYLOAD_OFS + 12)
#define FILL_OFS	(PTT_PAYLOAD_OFS + PG_VFY_HDR_LEN)

#define HASH_SEED	0xcbf29ce484222325ull	/* FNV-1a offset basis */
#define HASH_PRIME	0x00000100000001b3ull	/* FNV-1a prime */

static uint64_t hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
	for (; n >= 8; n -= 8, p += 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		h = (h ^ w) * HASH_PRIME;
		h ^= h >> 32;
	}
	for (; n; n--, p++)
		h = (h ^ *p) * HASH_PRIME;
	return h;
}

static uint32_t frame_check(const uint8_t *frame, uint32_t len)
{
	uint64_t h = hash_bytes(HASH_SEED, frame, CHECK_OFS);

	h = hash_bytes(h, frame + CHECK_OFS + 4, len - CHECK_OFS - 4);
	h = pg_mix64(h);	/* so that every input bit reaches the low half */
	return (uint32_t)(h ^ (h >> 32));
}

static void fill(uint8_t *p, size_t n, uint64_t tag)
{
	uint64_t s = pg_mix64(tag) | 1;

	for (; n >= 8; n -= 8, p += 8) {
		uint64_t w = pg_rand(&s);

		memcpy(p, &w, 8);
	}
	if (n) {
		uint64_t w = pg_rand(&s);

		memcpy(p, &w, n);
	}
}

/* Write the -V payload into FRAME, whose headers are already in place. */
void pg_vfy_stamp(uint8_t *frame, uint32_t len, uint32_t flow, uint32_t seq)
{
	uint64_t tag = (uint64_t)flow << 32 | seq;
	uint16_t l16 = (uint16_t)len, magic = PG_VFY_MAGIC;
	uint32_t check;

	memcpy(frame + TAG_OFS, &tag, 8);
	memcpy(frame + LEN_OFS, &l16, 2);
	memcpy(frame + MAGIC_OFS, &magic, 2);
	fill(frame + FILL_OFS, len - FILL_OFS, tag);
	check = frame_check(frame, len);
	memcpy(frame + CHECK_OFS, &check, 4);
}

/*
 * Classify a received frame of LEN bytes: PG_VFY_FOREIGN if it is not
 * IPv4/UDP to our port (someone else's traffic), PG_VFY_CORRUPT if it is
 * but the magic, length or check is wrong, PG_VFY_OK with *TAG set.
 */
int pg_vfy_check(const uint8_t *frame, uint32_t len, uint64_t *tag)
{
	uint16_t l16, magic;
	uint32_t check;

	if (!ptt_is_udp4(frame, len, PG_UDP_PORT))
		return PG_VFY_FOREIGN;
	if (len < FILL_OFS)
		return PG_VFY_CORRUPT;
	memcpy(&l16, frame + LEN_OFS, 2);
	memcpy(&magic, frame + MAGIC_OFS, 2);
	memcpy(&check, frame + CHECK_OFS, 4);
	if (magic != PG_VFY_MAGIC || l16 != (uint16_t)len || check != frame_check(frame, len))
		return PG_VFY_CORRUPT;
	memcpy(tag, frame + TAG_OFS, 8);
	return PG_VFY_OK;
}
