// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_offload - libFuzzer target for daemon/offload.c: random virtio-net
 * headers and frames into ptd_vnet_hdr_check(), ptd_gso_count(),
 * ptd_gso_segment(), ptd_csum_complete() and ptd_csum_complete_frags().
 *
 * Build and run (from the top directory):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *	-Iinclude -Isrc -D_GNU_SOURCE -std=gnu11 \
 *	tests/fuzz/fuzz_offload.c src/daemon/offload.c -o build/fuzz_offload
 *   mkdir -p build/corpus-offload
 *   build/fuzz_offload -max_len=70000 -max_total_time=60 build/corpus-offload
 *
 * Input: 12 bytes of virtio-net header (little endian, as on the wire),
 * 3 bytes of MTU (big endian), 1 mode byte, 1 byte seeding the fragment
 * split, then the Ethernet frame.  Mode bit 0 asks the harness to shape the
 * frame (ethertype, 0..2 VLAN tags from bits 2-3, IP version, ihl >= 5, no
 * fragment unless bit 4, L4 protocol matching gso_type, doff >= 5) so that
 * deep paths are reached without a corpus; the rest stays fuzzed.  Bit 5
 * gives ptd_gso_segment() one byte less scratch than a segment needs.  Bit
 * 6 appends split * 256 bytes (up to 65280) repeating the input, so that
 * big GSO frames are tried although libFuzzer's inputs stay small.
 *
 * Besides the sanitizers, the harness checks: ptd_gso_segment() agrees with
 * ptd_gso_count(), emits exactly what it returns and nothing on error,
 * never a segment longer than the scratch or MTU + 22, never modifies its
 * input; every segment's IPv4 header checksum verifies and, for TCP/USO,
 * its L4 checksum too (checked here independently); ptd_csum_complete()
 * accepts exactly the headers ptd_vnet_hdr_check() accepts and the chained
 * variant writes the same bytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/offload.h"

#define IN_HDR		17

struct emit_state {
	uint32_t n;
	uint32_t max_len;
	uint8_t type;
};

static uint32_t sum_be(uint32_t acc, const uint8_t *p, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		acc += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
		acc = (acc & 0xffff) + (acc >> 16);
	}
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc > 0xffff)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* Independent check of one emitted segment. */
static void check_seg(const uint8_t *f, uint32_t len, uint8_t type)
{
	uint32_t off = 14, et, l4len, acc;
	const uint8_t *ip;
	uint8_t proto;

	if (len < 14)
		abort();
	et = (uint32_t)f[12] << 8 | f[13];
	while ((et == 0x8100 || et == 0x88a8) && off + 4 <= len) {
		et = (uint32_t)f[off + 2] << 8 | f[off + 3];
		off += 4;
	}
	ip = f + off;
	if (et == 0x0800) {
		uint32_t ihl = (ip[0] & 15u) * 4;

		if (len < off + 20 || len < off + ihl || fold(sum_be(0, ip, ihl)) != 0xffff)
			abort();
		if (((uint32_t)ip[2] << 8 | ip[3]) != len - off)
			abort();
		if (type == PTD_VNET_GSO_UDP)
			return;		/* fragments: UDP checksum spans them all */
		proto = ip[9];
		l4len = len - off - ihl;
		acc = sum_be(0, ip + 12, 8);
		off += ihl;
	} else if (et == 0x86dd) {
		if (len < off + 40 || ((uint32_t)ip[4] << 8 | ip[5]) != len - off - 40)
			abort();
		proto = ip[6];
		l4len = len - off - 40;
		acc = sum_be(0, ip + 8, 32);
		off += 40;
	} else {
		abort();
	}
	acc += proto + l4len;
	if (fold(sum_be(acc, f + off, l4len)) != 0xffff)
		abort();
}

static void emit(const uint8_t *frame, uint32_t len, void *arg)
{
	struct emit_state *st = arg;

	if (len > st->max_len)
		abort();
	check_seg(frame, len, st->type);
	st->n++;
}

/* Make the frame look like what gso_type asks for, per the MODE bits. */
static void shape(uint8_t *f, uint32_t len, const struct ptd_vnet_hdr *h, uint8_t mode)
{
	unsigned int type = h->gso_type & 0x7f, nvlan = (mode >> 2) & 3;
	bool v6 = type == PTD_VNET_GSO_TCPV6 || (type == PTD_VNET_GSO_UDP_L4 && (mode & 2));
	bool tcp = type == PTD_VNET_GSO_TCPV4 || type == PTD_VNET_GSO_TCPV6;
	uint32_t off = 12, l4;

	if (nvlan > 2)
		nvlan = 2;
	for (unsigned int i = 0; i < nvlan && off + 4 <= len; i++, off += 4) {
		f[off] = 0x81;
		f[off + 1] = 0x00;
	}
	if (off + 2 > len)
		return;
	f[off] = v6 ? 0x86 : 0x08;
	f[off + 1] = v6 ? 0xdd : 0x00;
	off += 2;
	if (off + (v6 ? 40 : 20) > len)
		return;
	if (v6) {
		f[off] = (uint8_t)(0x60 | (f[off] & 0x0f));
		f[off + 6] = tcp ? 6 : 17;
		l4 = off + 40;
	} else {
		if ((f[off] & 0x0f) < 5)
			f[off] = 0x45;
		f[off] = (uint8_t)(0x40 | (f[off] & 0x0f));
		if (!(mode & 0x10)) {
			f[off + 6] &= 0x40;
			f[off + 7] = 0;
		}
		f[off + 9] = tcp ? 6 : 17;
		l4 = off + (f[off] & 0x0fu) * 4;
	}
	if (tcp && l4 + 20 <= len && (f[l4 + 12] >> 4) < 5)
		f[l4 + 12] = 0x50;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ptd_vnet_hdr h;
	struct emit_state st = { 0 };
	struct ptd_frag fr[16];
	uint32_t len, in_len, mtu, cnt, need, scratch_len;
	uint8_t mode, split, *frame, *orig, *scratch, *chain;
	unsigned int nfr = 0;
	int hc, r, c1, c2;

	if (size < IN_HDR || size > 200000)
		return 0;
	ptd_vnet_hdr_load(&h, data, PTD_VNET_HDR_LEN);
	mtu = (uint32_t)data[12] << 16 | (uint32_t)data[13] << 8 | data[14];
	mode = data[15];
	split = data[16];
	len = (uint32_t)(size - IN_HDR);
	if (mode & 0x40)
		len += (uint32_t)split << 8;

	frame = malloc(len ? len : 1);
	orig = malloc(len ? len : 1);
	chain = malloc(len + 3);
	if (!frame || !orig || !chain)
		abort();
	in_len = (uint32_t)(size - IN_HDR);
	if (!in_len)
		memset(frame, 0, len);
	for (uint32_t i = 0; in_len && i < len; i += in_len)
		memcpy(frame + i, data + IN_HDR, in_len < len - i ? in_len : len - i);
	if (mode & 1)
		shape(frame, len, &h, mode);
	memcpy(orig, frame, len);

	hc = ptd_vnet_hdr_check(&h, len);
	if (hc != 0 && hc != -EINVAL)
		abort();
	cnt = ptd_gso_count(&h, frame, len, mtu);
	if (cnt > PTD_GSO_MAX_SEGS || (cnt && hc))
		abort();

	/* Segmentation, into an exact-size scratch block. */
	need = PTD_GSO_SCRATCH(mtu);
	scratch_len = (mode & 0x20) && need > 1 ? need - 1 : need;
	scratch = malloc(scratch_len);
	if (!scratch)
		abort();
	st.max_len = scratch_len;
	st.type = h.gso_type & 0x7f;
	r = ptd_gso_segment(&h, frame, len, mtu, scratch, scratch_len, emit, &st);
	if (r == -EINVAL) {
		if (cnt || st.n)
			abort();
	} else if (r == -ENOSPC) {
		if (!cnt || st.n || scratch_len == need)
			abort();
	} else if (r <= 0 || (uint32_t)r != cnt || st.n != cnt) {
		abort();
	}
	if (memcmp(frame, orig, len))
		abort();
	free(scratch);

	/* Checksum completion, linear and chained (behind a 3-byte prefix). */
	c1 = ptd_csum_complete(frame, len, h.csum_start, h.csum_offset);
	if ((c1 == 0) != ((uint32_t)h.csum_start + h.csum_offset + 2 <= len))
		abort();
	if (h.flags == PTD_VNET_F_NEEDS_CSUM && h.gso_type == 0 && (c1 == 0) != (hc == 0))
		abort();
	chain[0] = chain[1] = chain[2] = 0xa5;
	memcpy(chain + 3, orig, len);
	for (uint32_t pos = 0, total = len + 3; nfr < 16;) {
		uint32_t l = (split * (nfr + 7u)) % 97 % (total - pos + 1);

		if (nfr == 15)
			l = total - pos;

		fr[nfr].buf = chain + pos;
		fr[nfr++].len = l;
		pos += l;
		if (pos == total)
			break;
	}
	c2 = ptd_csum_complete_frags(fr, nfr, 3, h.csum_start, h.csum_offset);
	if (c1 != c2 || memcmp(chain + 3, frame, len))
		abort();

	free(frame);
	free(orig);
	free(chain);
	return 0;
}
