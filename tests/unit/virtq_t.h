/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtq_t.h - a fake guest for the virtqueue tests: one memory region of
 * VT_MEM bytes at guest address VT_GPA, a split ring of VT_NUM entries in
 * it (descriptors, avail, used), buffers after it, and helpers that play
 * the driver (write descriptors, offer chains).
 */
#ifndef PTNET_TESTS_VIRTQ_T_H
#define PTNET_TESTS_VIRTQ_T_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "daemon/virtq.h"
#include "t.h"

#define VT_GPA		0x100000ull
#define VT_MEM		(1u << 20)
#define VT_NUM		256u
#define VT_DESC		0x0000u			/* offsets in the region */
#define VT_AVAIL	0x2000u
#define VT_USED		0x3000u
#define VT_BUFS		0x10000u

static uint8_t vt_mem[VT_MEM] __attribute__((aligned(4096)));
static struct vhu_mem vt_table;

static inline struct vq_desc *vt_desc(unsigned int i)
{
	return (struct vq_desc *)(vt_mem + VT_DESC) + i;
}

static inline uint16_t *vt_avail(void)
{
	return (uint16_t *)(vt_mem + VT_AVAIL);
}

static inline uint16_t *vt_used_hdr(void)
{
	return (uint16_t *)(vt_mem + VT_USED);
}

static inline struct vq_used_elem *vt_used(unsigned int i)
{
	return (struct vq_used_elem *)(vt_mem + VT_USED + 4) + i;
}

/* Fresh memory and queue VQ (EVENT_IDX as asked), avail/used idx at START. */
static inline void vt_setup(struct virtq *vq, bool event_idx, uint16_t start)
{
	uint64_t gpa = VT_GPA, len = VT_MEM;
	uint8_t *hva = vt_mem;
	int ret;

	memset(vt_mem, 0, sizeof(vt_mem));
	vhu_mem_fake(&vt_table, 1, &gpa, &hva, &len);
	vt_avail()[1] = start;
	vt_used_hdr()[1] = start;
	ret = virtq_init_gpa(vq, &vt_table, VT_NUM, VT_GPA + VT_DESC, VT_GPA + VT_AVAIL,
			     VT_GPA + VT_USED, start, event_idx);
	REQUIRE(ret == 0, "virtq_init_gpa: %d", ret);
}

static inline void vt_set_desc(unsigned int i, uint64_t gpa, uint32_t len, uint16_t flags, uint16_t next)
{
	struct vq_desc *d = vt_desc(i);

	d->addr = gpa;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* The driver offers chain HEAD (one more avail entry). */
static inline void vt_offer(uint16_t head)
{
	uint16_t idx = vt_avail()[1];

	vt_avail()[2 + (idx % VT_NUM)] = head;
	vt_avail()[1] = (uint16_t)(idx + 1);
}

#endif
