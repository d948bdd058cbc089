// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_virtq - libFuzzer target for the split virtqueue walker
 * (daemon/virtq.c over daemon/vhost_mem.c): a fake guest memory table and
 * ring bytes from the input, then the device side as ptnetd drives it.
 *
 * Input: byte 0 = log2 of the ring size (mod 9: 1..256 entries), byte 1
 * bit 0 = EVENT_IDX, bit 1 = two regions (split in the middle, the second
 * one at a gap or adjacent per bit 2), bytes 2-3 = last_avail (SET_VRING_
 * BASE), then the region's bytes (rings at offset 0, buffers after),
 * repeating the input to fill 16 KiB.  Guest addresses in descriptors are
 * whatever the bytes say, so most are outside the table; bit 3 of byte 1
 * masks them into the table so deep paths are reached without a corpus.
 *
 * The harness checks, besides the sanitizers: every piece of every chain
 * lies inside the fake memory; a chain has at most VQ_MAX_IOV pieces and
 * lengths that add up; a broken queue never yields another chain; no more
 * than the ring size chains come out of one reading of the avail index.
 * (Not "before the guest adds any": the device's own writes into the
 * guest's buffers are the guest's business, and a buffer may alias the
 * avail ring, so what we copy in can move its index.)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/virtq.h"

#define MEM	(16u << 10)
#define GPA	0x40000000ull

static uint8_t mem[MEM] __attribute__((aligned(4096)));

static void in_mem(const struct iovec *v)
{
	uintptr_t b = (uintptr_t)v->iov_base;

	if (b < (uintptr_t)mem || b + v->iov_len > (uintptr_t)mem + MEM || b + v->iov_len < b)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtq_chain c;
	static uint8_t scratch[1 << 16];
	struct vhu_mem table;
	struct virtq vq;
	uint16_t num, base, seen;
	bool ev, two, gap, mask;
	unsigned int got = 0;

	if (size < 5)
		return 0;
	num = (uint16_t)(1u << (data[0] % 9));
	ev = data[1] & 1;
	two = data[1] & 2;
	gap = data[1] & 4;
	mask = data[1] & 8;
	base = (uint16_t)(data[2] | data[3] << 8);
	for (size_t off = 0; off < MEM; off += size - 4)
		memcpy(mem + off, data + 4, MEM - off < size - 4 ? MEM - off : size - 4);
	if (two) {
		uint64_t gpa[2] = { GPA, GPA + MEM / 2 + (gap ? 4096 : 0) };
		uint8_t *hva[2] = { mem, mem + MEM / 2 };
		uint64_t len[2] = { MEM / 2, MEM / 2 };

		vhu_mem_fake(&table, 2, gpa, hva, len);
	} else {
		uint64_t gpa = GPA, len = MEM;
		uint8_t *hva = mem;

		vhu_mem_fake(&table, 1, &gpa, &hva, &len);
	}
	if (mask) {
		struct vq_desc *d = (struct vq_desc *)mem;

		for (unsigned int i = 0; i < num; i++) {
			d[i].addr = GPA + (d[i].addr % MEM);
			d[i].len %= 4096;
		}
	}
	/* desc at 0, avail after it, used 4-aligned after that (all in region 0). */
	{
		uint64_t avail = GPA + 16ull * num, used = (avail + 6 + 2ull * num + 3) & ~3ull;

		if (virtq_init_gpa(&vq, &table, num, GPA, avail, used, base, ev))
			return 0;
	}
	seen = vq.avail_seen;
	memset(scratch, 0x5a, 64);	/* what is copied in: never a previous input's bytes */
	for (int round = 0; round < 4; round++) {
		int r;

		while ((r = virtq_pop(&vq, &c)) == 1) {
			uint32_t out = 0, in = 0;

			if (c.nout + c.nin > VQ_MAX_IOV || c.head >= num)
				abort();
			for (unsigned int i = 0; i < c.nout + c.nin; i++) {
				in_mem(&c.iov[i]);
				if (i < c.nout)
					out += (uint32_t)c.iov[i].iov_len;
				else
					in += (uint32_t)c.iov[i].iov_len;
			}
			if (out != c.out_len || in != c.in_len)
				abort();
			virtq_copy_out(&c, 0, scratch, c.out_len < sizeof(scratch) ? c.out_len :
				       sizeof(scratch));
			virtq_copy_in(&c, 1, scratch, c.in_len < 64 ? c.in_len : 64);
			virtq_push(&vq, c.head, c.in_len);
			if (vq.avail_seen != seen) {	/* the device read a new index */
				seen = vq.avail_seen;
				got = 0;
			}
			if (++got > num)
				abort();	/* more than one reading allows */
		}
		if (r < 0 && !vq.broken)
			abort();
		if (vq.broken && virtq_pop(&vq, &c) != -EINVAL)
			abort();
		virtq_publish(&vq);
		(void)virtq_need_call(&vq);
		if (virtq_notify_on(&vq) && vq.broken)
			abort();
		if (virtq_notify_more(&vq) && vq.broken)
			abort();
		virtq_notify_off(&vq);
		if (got) {
			virtq_unpop(&vq, 1);	/* a chain given back is taken again */
			got--;
		}
	}
	return 0;
}
