// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtq.c - the device side of a split virtqueue in untrusted guest memory
 * (virtq.h).  Memory ordering against the guest's driver (Linux
 * drivers/virtio/virtio_ring.c or any other), through barrier.h only:
 *
 *   V1 virtq_pop: acquire load of avail->idx      pairs with the driver's
 *      write barrier between filling descriptors/avail ring and avail->idx
 *   V2 virtq_publish: release store of used->idx  pairs with the driver's
 *      read barrier between reading used->idx and the used elements
 *   V3 virtq_need_call: full barrier between the used->idx store (V2) and
 *      the load of used_event / avail->flags; pairs with the driver's full
 *      barrier between writing used_event (enabling callbacks) and
 *      re-reading used->idx
 *   V4 virtq_notify_on: full barrier between the store of avail_event (or
 *      clearing NO_NOTIFY) and the re-read of avail->idx; pairs with the
 *      driver's full barrier between publishing avail->idx and reading
 *      avail_event / used->flags before deciding to kick
 *
 * Without V3/V4 either side could miss the other's update and sleep with
 * work pending (the lost wakeup every notification-suppression scheme must
 * close with a store -> full barrier -> load re-check).
 */
#include <errno.h>
#include <string.h>
#include <ptnet/barrier.h>
#include "daemon/virtq.h"

#define VQ_MAX_CHAIN_BYTES	(16u << 20)	/* sum of a chain's lengths */

static int vq_setup(struct virtq *vq, const struct vhu_mem *mem, uint16_t num, void *d, void *a,
		    void *u, uint16_t last_avail, bool event_idx)
{
	memset(vq, 0, sizeof(*vq));
	if (!d || !a || !u)
		return -EINVAL;
	if (((uintptr_t)d & 15) || ((uintptr_t)a & 1) || ((uintptr_t)u & 3))
		return -EINVAL;
	vq->mem = mem;
	vq->num = num;
	vq->desc = d;
	vq->avail = a;
	vq->used_hdr = u;
	vq->used = (struct vq_used_elem *)((uint16_t *)u + 2);
	vq->event_idx = event_idx;
	vq->last_avail = vq->avail_seen = last_avail;
	/* The used ring is written from the guest's used idx on (SET_VRING_BASE). */
	vq->used_idx = vq->published = vq->signalled = PTNET_READ_ONCE(vq->used_hdr[1]);
	return 0;
}

static bool num_ok(uint16_t num)
{
	return num && num <= VQ_MAX_NUM && !(num & (num - 1));
}

int virtq_init(struct virtq *vq, const struct vhu_mem *mem, uint16_t num, uint64_t desc,
	       uint64_t avail, uint64_t used, uint16_t last_avail, bool event_idx)
{
	if (!num_ok(num)) {
		memset(vq, 0, sizeof(*vq));
		return -EINVAL;
	}
	return vq_setup(vq, mem, num, vhu_uva(mem, desc, 16ull * num),
			vhu_uva(mem, avail, 6 + 2ull * num), vhu_uva(mem, used, 6 + 8ull * num),
			last_avail, event_idx);
}

int virtq_init_gpa(struct virtq *vq, const struct vhu_mem *mem, uint16_t num, uint64_t desc,
		   uint64_t avail, uint64_t used, uint16_t last_avail, bool event_idx)
{
	if (!num_ok(num)) {
		memset(vq, 0, sizeof(*vq));
		return -EINVAL;
	}
	return vq_setup(vq, mem, num, vhu_gpa(mem, desc, 16ull * num),
			vhu_gpa(mem, avail, 6 + 2ull * num), vhu_gpa(mem, used, 6 + 8ull * num),
			last_avail, event_idx);
}

static int broken(struct virtq *vq, const char *why)
{
	if (!vq->broken) {
		vq->broken = true;
		vq->why = why;
	}
	return -EINVAL;
}

/* Read descriptor I of TABLE once, into *D: only the copy is used. */
static void desc_read(const struct vq_desc *table, uint32_t i, struct vq_desc *d)
{
	d->addr = PTNET_READ_ONCE(table[i].addr);
	d->len = PTNET_READ_ONCE(table[i].len);
	d->flags = PTNET_READ_ONCE(table[i].flags);
	d->next = PTNET_READ_ONCE(table[i].next);
}

static int walk(struct virtq *vq, uint16_t head, struct virtq_chain *c)
{
	const struct vq_desc *table = vq->desc;
	uint32_t tnum = vq->num, i = head, count = 0;
	bool indirect = false;

	c->head = head;
	c->nout = c->nin = 0;
	c->out_len = c->in_len = 0;
	for (;;) {
		struct vq_desc d;
		unsigned int used = c->nout + c->nin;
		int k;

		desc_read(table, i, &d);
		if (++count > tnum || count > VQ_MAX_DESC)
			return broken(vq, "a chain loops or is longer than allowed");
		if (d.flags & VQ_DESC_F_INDIRECT) {
			if (indirect)
				return broken(vq, "an indirect table inside an indirect table");
			if (d.flags & VQ_DESC_F_NEXT)
				return broken(vq, "an indirect descriptor with NEXT");
			if (!d.len || d.len % sizeof(struct vq_desc) ||
			    d.len / sizeof(struct vq_desc) > VQ_MAX_DESC)
				return broken(vq, "an indirect table of a bad size");
			table = vhu_gpa(vq->mem, d.addr, d.len);
			if (!table)
				return broken(vq, "an indirect table outside guest memory");
			if ((uintptr_t)table & 7)
				return broken(vq, "a misaligned indirect table");
			tnum = d.len / sizeof(struct vq_desc);
			i = 0;
			count = 0;
			indirect = true;
			continue;
		}
		if (!(d.flags & VQ_DESC_F_WRITE) && c->nin)
			return broken(vq, "a readable descriptor after a writable one");
		k = vhu_gpa_iov(vq->mem, d.addr, d.len, &c->iov[used], VQ_MAX_IOV - used);
		if (k < 0)
			return broken(vq, "a buffer outside guest memory");
		if (d.flags & VQ_DESC_F_WRITE) {
			if (d.len > VQ_MAX_CHAIN_BYTES - c->in_len)
				return broken(vq, "a chain longer than 16 MiB");
			c->nin += (unsigned int)k;
			c->in_len += d.len;
		} else {
			if (d.len > VQ_MAX_CHAIN_BYTES - c->out_len)
				return broken(vq, "a chain longer than 16 MiB");
			c->nout += (unsigned int)k;
			c->out_len += d.len;
		}
		if (!(d.flags & VQ_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= tnum)
			return broken(vq, "a next index beyond the table");
	}
}

uint16_t virtq_avail(struct virtq *vq)
{
	uint16_t idx, n;

	if (vq->broken)
		return 0;
	idx = ptnet_load_acquire(&vq->avail[1]);	/* V1 */
	n = (uint16_t)(idx - vq->last_avail);
	if (n > vq->num) {
		broken(vq, "the avail index ran more than the ring size ahead");
		return 0;
	}
	vq->avail_seen = idx;
	return n;
}

int virtq_pop(struct virtq *vq, struct virtq_chain *c)
{
	uint16_t head;

	if (vq->broken)
		return -EINVAL;
	if (vq->avail_seen == vq->last_avail && !virtq_avail(vq))
		return vq->broken ? -EINVAL : 0;
	head = PTNET_READ_ONCE(vq->avail[2 + (vq->last_avail & (vq->num - 1))]);
	if (head >= vq->num)
		return broken(vq, "a head index beyond the ring");
	if (walk(vq, head, c))
		return -EINVAL;
	vq->last_avail++;
	return 1;
}

void virtq_unpop(struct virtq *vq, uint16_t n)
{
	vq->last_avail = (uint16_t)(vq->last_avail - n);
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	struct vq_used_elem *u = &vq->used[vq->used_idx & (vq->num - 1)];

	PTNET_WRITE_ONCE(u->id, head);
	PTNET_WRITE_ONCE(u->len, len);
	vq->used_idx++;
}

void virtq_publish(struct virtq *vq)
{
	if (vq->published == vq->used_idx)
		return;
	ptnet_store_release(&vq->used_hdr[1], vq->used_idx);	/* V2 */
	vq->published = vq->used_idx;
}

bool virtq_need_call(struct virtq *vq)
{
	uint16_t old = vq->signalled, now = vq->published;
	bool valid = vq->signalled_valid;

	if (old == now && valid)
		return false;
	ptnet_smp_mb();		/* V3 */
	vq->signalled = now;
	vq->signalled_valid = true;
	if (vq->event_idx)
		return !valid || virtq_need_event(PTNET_READ_ONCE(vq->avail[2 + vq->num]), now, old);
	return !(PTNET_READ_ONCE(vq->avail[0]) & VQ_AVAIL_F_NO_INTERRUPT);
}

bool virtq_notify_on(struct virtq *vq)
{
	if (vq->broken)
		return false;
	if (vq->event_idx)
		PTNET_WRITE_ONCE(*(uint16_t *)&vq->used[vq->num], vq->last_avail);
	else
		PTNET_WRITE_ONCE(vq->used_hdr[0], 0);
	ptnet_smp_mb();		/* V4 */
	return virtq_avail(vq) != 0;
}

void virtq_notify_off(struct virtq *vq)
{
	/* With EVENT_IDX a stale avail_event costs at most one kick. */
	if (!vq->event_idx && !vq->broken)
		PTNET_WRITE_ONCE(vq->used_hdr[0], VQ_USED_F_NO_NOTIFY);
}

static uint32_t copy(const struct iovec *iov, unsigned int n, uint32_t off, uint8_t *buf,
		     uint32_t len, bool to_guest)
{
	uint32_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;

		if (off >= l) {
			off -= (uint32_t)l;
			continue;
		}
		l -= off;
		if (l > len - done)
			l = len - done;
		if (to_guest)
			memcpy((uint8_t *)iov[i].iov_base + off, buf + done, l);
		else
			memcpy(buf + done, (uint8_t *)iov[i].iov_base + off, l);
		done += (uint32_t)l;
		off = 0;
	}
	return done;
}

uint32_t virtq_copy_out(const struct virtq_chain *c, uint32_t off, void *dst, uint32_t len)
{
	return copy(c->iov, c->nout, off, dst, len, false);
}

uint32_t virtq_copy_in(const struct virtq_chain *c, uint32_t off, const void *src, uint32_t len)
{
	return copy(c->iov + c->nout, c->nin, off, (uint8_t *)src, len, true);
}
