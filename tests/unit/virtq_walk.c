// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtq_walk - the split virtqueue walker (daemon/virtq.c) on a fake guest:
 *   - a good chain (readable then writable) gives its pieces and lengths,
 *     the used element lands where the guest reads it;
 *   - an indirect table; a chain spanning two adjacent regions;
 *   - malformed rings mark the queue broken and give nothing more: a loop,
 *     a next index beyond the ring, a buffer outside memory, an address
 *     that wraps 2^64, readable after writable, a nested indirect table,
 *     INDIRECT with NEXT, an indirect table of a bad size, a head beyond
 *     the ring, an avail index more than NUM ahead;
 *   - the avail index wraps at 65536 without a hiccup;
 *   - virtq_unpop gives chains back.
 */
#include "virtq_t.h"

static void good_chain(void)
{
	struct virtq vq;
	struct virtq_chain c;

	vt_setup(&vq, false, 0);
	vt_set_desc(5, VT_GPA + VT_BUFS, 12, VQ_DESC_F_NEXT, 7);
	vt_set_desc(7, VT_GPA + VT_BUFS + 100, 60, VQ_DESC_F_NEXT, 9);
	vt_set_desc(9, VT_GPA + VT_BUFS + 4096, 1500, VQ_DESC_F_WRITE, 0);
	memcpy(vt_mem + VT_BUFS, "0123456789ab", 12);
	CHECK_EQ(virtq_pop(&vq, &c), 0, "empty ring");
	vt_offer(5);
	CHECK_EQ(virtq_pop(&vq, &c), 1, "one chain");
	CHECK_EQ(c.head, 5, "head");
	CHECK_EQ(c.nout, 2, "readable pieces");
	CHECK_EQ(c.nin, 1, "writable pieces");
	CHECK_EQ(c.out_len, 72, "readable bytes");
	CHECK_EQ(c.in_len, 1500, "writable bytes");
	CHECK(c.iov[0].iov_base == vt_mem + VT_BUFS, "first piece translated");
	{
		char b[12];

		CHECK_EQ(virtq_copy_out(&c, 0, b, 12), 12, "copy out");
		CHECK_MEMEQ(b, "0123456789ab", 12, "bytes");
		CHECK_EQ(virtq_copy_in(&c, 1400, "xyz", 3), 3, "copy in");
		CHECK_MEMEQ(vt_mem + VT_BUFS + 4096 + 1400, "xyz", 3, "written");
		CHECK_EQ(virtq_copy_in(&c, 1499, "xyz", 3), 1, "copy in stops at the end");
	}
	CHECK_EQ(virtq_pop(&vq, &c), 0, "nothing more");
	virtq_push(&vq, 5, 99);
	CHECK_EQ(vt_used_hdr()[1], 0, "not visible before publish");
	virtq_publish(&vq);
	CHECK_EQ(vt_used_hdr()[1], 1, "used idx");
	CHECK_EQ(vt_used(0)->id, 5, "used id");
	CHECK_EQ(vt_used(0)->len, 99, "used len");
	CHECK(!vq.broken, "not broken");
}

static void indirect(void)
{
	struct virtq vq;
	struct virtq_chain c;
	struct vq_desc *t = (struct vq_desc *)(vt_mem + VT_BUFS + 0x8000);

	vt_setup(&vq, false, 0);
	t[0] = (struct vq_desc){ VT_GPA + VT_BUFS, 10, VQ_DESC_F_NEXT, 2 };
	t[2] = (struct vq_desc){ VT_GPA + VT_BUFS + 64, 20, VQ_DESC_F_NEXT, 1 };
	t[1] = (struct vq_desc){ VT_GPA + VT_BUFS + 128, 30, VQ_DESC_F_WRITE, 0 };
	vt_set_desc(3, VT_GPA + VT_BUFS + 0x8000, 3 * 16, VQ_DESC_F_INDIRECT, 0);
	vt_offer(3);
	CHECK_EQ(virtq_pop(&vq, &c), 1, "indirect chain");
	CHECK_EQ(c.head, 3, "head is the direct descriptor");
	CHECK_EQ(c.out_len, 30, "readable bytes");
	CHECK_EQ(c.in_len, 30, "writable bytes");
	CHECK_EQ(c.nout + c.nin, 3, "pieces");
	CHECK(!vq.broken, "not broken");
}

static void two_regions(void)
{
	struct virtq vq;
	struct virtq_chain c;
	uint64_t gpa[2] = { VT_GPA, VT_GPA + VT_MEM / 2 };
	uint8_t *hva[2] = { vt_mem, vt_mem + VT_MEM / 2 };
	uint64_t len[2] = { VT_MEM / 2, VT_MEM / 2 };

	vt_setup(&vq, false, 0);
	vhu_mem_fake(&vt_table, 2, gpa, hva, len);
	vt_set_desc(0, VT_GPA + VT_MEM / 2 - 8, 16, 0, 0);
	vt_offer(0);
	CHECK_EQ(virtq_pop(&vq, &c), 1, "a buffer across two regions");
	CHECK_EQ(c.nout, 2, "in two pieces");
	CHECK_EQ(c.iov[0].iov_len, 8, "first piece");
	CHECK_EQ(c.iov[1].iov_len, 8, "second piece");
}

typedef void (*breaker)(void);

static void b_loop(void)
{
	vt_set_desc(0, VT_GPA + VT_BUFS, 10, VQ_DESC_F_NEXT, 1);
	vt_set_desc(1, VT_GPA + VT_BUFS, 10, VQ_DESC_F_NEXT, 0);
	vt_offer(0);
}

static void b_self_loop(void)
{
	vt_set_desc(4, VT_GPA + VT_BUFS, 10, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 4);
	vt_offer(4);
}

static void b_next_range(void)
{
	vt_set_desc(0, VT_GPA + VT_BUFS, 10, VQ_DESC_F_NEXT, VT_NUM);
	vt_offer(0);
}

static void b_outside(void)
{
	vt_set_desc(0, VT_GPA + VT_MEM - 4, 10, 0, 0);
	vt_offer(0);
}

static void b_below(void)
{
	vt_set_desc(0, VT_GPA - 1, 10, 0, 0);
	vt_offer(0);
}

static void b_wrap64(void)
{
	vt_set_desc(0, UINT64_MAX - 3, 10, 0, 0);
	vt_offer(0);
}

static void b_order(void)
{
	vt_set_desc(0, VT_GPA + VT_BUFS, 10, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 1);
	vt_set_desc(1, VT_GPA + VT_BUFS, 10, 0, 0);
	vt_offer(0);
}

static void b_nested(void)
{
	struct vq_desc *t = (struct vq_desc *)(vt_mem + VT_BUFS);

	t[0] = (struct vq_desc){ VT_GPA + VT_BUFS, 16, VQ_DESC_F_INDIRECT, 0 };
	vt_set_desc(0, VT_GPA + VT_BUFS, 16, VQ_DESC_F_INDIRECT, 0);
	vt_offer(0);
}

static void b_ind_next(void)
{
	vt_set_desc(0, VT_GPA + VT_BUFS, 16, VQ_DESC_F_INDIRECT | VQ_DESC_F_NEXT, 1);
	vt_offer(0);
}

static void b_ind_size(void)
{
	vt_set_desc(0, VT_GPA + VT_BUFS, 24, VQ_DESC_F_INDIRECT, 0);
	vt_offer(0);
}

static void b_ind_loop(void)
{
	struct vq_desc *t = (struct vq_desc *)(vt_mem + VT_BUFS);

	t[0] = (struct vq_desc){ VT_GPA + VT_BUFS + 512, 8, VQ_DESC_F_NEXT, 1 };
	t[1] = (struct vq_desc){ VT_GPA + VT_BUFS + 512, 8, VQ_DESC_F_NEXT, 0 };
	vt_set_desc(0, VT_GPA + VT_BUFS, 32, VQ_DESC_F_INDIRECT, 0);
	vt_offer(0);
}

static void b_head(void)
{
	vt_offer(VT_NUM + 3);
}

static void b_avail_idx(void)
{
	vt_avail()[1] = VT_NUM + 1;
}

static void broken_rings(void)
{
	static const struct {
		const char *what;
		breaker fn;
	} cases[] = {
		{ "loop", b_loop },
		{ "self loop", b_self_loop },
		{ "next beyond the ring", b_next_range },
		{ "buffer past the end of memory", b_outside },
		{ "buffer below memory", b_below },
		{ "address wrapping 2^64", b_wrap64 },
		{ "readable after writable", b_order },
		{ "nested indirect", b_nested },
		{ "indirect with next", b_ind_next },
		{ "indirect table of 24 bytes", b_ind_size },
		{ "loop in an indirect table", b_ind_loop },
		{ "head beyond the ring", b_head },
		{ "avail idx NUM+1 ahead", b_avail_idx },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct virtq vq;
		struct virtq_chain c;

		vt_setup(&vq, true, 0);
		cases[i].fn();
		CHECK_EQ(virtq_pop(&vq, &c), -EINVAL, "%s: refused", cases[i].what);
		CHECK(vq.broken && vq.why, "%s: broken with a reason", cases[i].what);
		/* A good chain afterwards changes nothing: the queue stays stopped. */
		vt_set_desc(10, VT_GPA + VT_BUFS, 10, 0, 0);
		vt_offer(10);
		CHECK_EQ(virtq_pop(&vq, &c), -EINVAL, "%s: stays broken", cases[i].what);
		CHECK_EQ(virtq_avail(&vq), 0, "%s: nothing available", cases[i].what);
		CHECK(!virtq_notify_on(&vq), "%s: no kicks wanted", cases[i].what);
	}
}

static void idx_wrap(void)
{
	struct virtq vq;
	struct virtq_chain c;
	unsigned int got = 0;

	vt_setup(&vq, false, 65530);
	vt_set_desc(1, VT_GPA + VT_BUFS, 64, 0, 0);
	for (int round = 0; round < 3; round++) {
		for (int k = 0; k < 4; k++)
			vt_offer(1);
		while (virtq_pop(&vq, &c) == 1) {
			got++;
			virtq_push(&vq, c.head, 0);
		}
		virtq_publish(&vq);
	}
	CHECK_EQ(got, 12, "every chain across the wrap");
	CHECK_EQ(vq.last_avail, (uint16_t)(65530 + 12), "last_avail wrapped");
	CHECK_EQ(vt_used_hdr()[1], (uint16_t)(65530 + 12), "used idx wrapped");
	CHECK(!vq.broken, "not broken");
	/* Exactly NUM ahead is legal (a full ring). */
	vt_setup(&vq, false, 65535);
	for (unsigned int k = 0; k < VT_NUM; k++)
		vt_offer(1);
	CHECK_EQ(virtq_avail(&vq), VT_NUM, "a full ring across the wrap");
	CHECK(!vq.broken, "a full ring is fine");
}

static void unpop(void)
{
	struct virtq vq;
	struct virtq_chain c;

	vt_setup(&vq, false, 0);
	vt_set_desc(2, VT_GPA + VT_BUFS, 64, VQ_DESC_F_WRITE, 0);
	vt_set_desc(3, VT_GPA + VT_BUFS, 64, VQ_DESC_F_WRITE, 0);
	vt_offer(2);
	vt_offer(3);
	CHECK_EQ(virtq_pop(&vq, &c), 1, "first");
	CHECK_EQ(virtq_pop(&vq, &c), 1, "second");
	virtq_unpop(&vq, 2);
	CHECK_EQ(virtq_pop(&vq, &c), 1, "first again");
	CHECK_EQ(c.head, 2, "same head");
}

int main(void)
{
	good_chain();
	indirect();
	two_regions();
	broken_rings();
	idx_wrap();
	unpop();
	return t_done("virtq_walk");
}
