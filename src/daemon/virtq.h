/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtq.h - the device side of a split virtqueue (virtio 1.x, 2.7) whose
 * rings and buffers live in an untrusted guest's memory.  Packed rings are
 * not supported.
 *
 *   virtq_pop()		the next available chain, walked and validated
 *   virtq_unpop()		give the last N popped chains back (not used yet)
 *   virtq_push()		one used element (not yet visible)
 *   virtq_publish()		make the pushed elements visible (used idx)
 *   virtq_need_call()	does the guest want an interrupt now (EVENT_IDX or flags)?
 *   virtq_notify_on/off()	ask for (or suppress) the guest's kicks, with the re-check
 *
 * Every value the guest writes is read once into a local and validated:
 * the avail index may run at most NUM ahead, a head and every next index
 * lie below NUM, a chain has at most VQ_MAX_DESC descriptors (a longer one
 * is a loop or an abuse), an indirect table lies in guest memory, is a
 * multiple of 16 bytes, holds at most VQ_MAX_DESC entries, sits in a chain
 * alone (no NEXT with INDIRECT, no nested table), and device-readable
 * descriptors come before device-writable ones.  Every address + length
 * is translated through the memory table (vhost_mem.h).  A violation marks
 * the queue broken (vq->broken, with a reason); nothing more is done on a
 * broken queue.
 *
 * One thread uses a queue at a time (the queue pair's thread).
 */
#ifndef PTNETD_VIRTQ_H
#define PTNETD_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include "daemon/vhost_mem.h"

#define VQ_MAX_NUM	32768	/* largest ring (virtio: a power of 2 up to 32768) */
#define VQ_MAX_DESC	256	/* descriptors in one chain (direct or indirect) */
#define VQ_MAX_IOV	(VQ_MAX_DESC + 8)	/* pieces of one chain (regions split some) */

#define VQ_DESC_F_NEXT		1
#define VQ_DESC_F_WRITE		2
#define VQ_DESC_F_INDIRECT	4
#define VQ_AVAIL_F_NO_INTERRUPT	1
#define VQ_USED_F_NO_NOTIFY	1

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct vq_used_elem {
	uint32_t id, len;
};

struct virtq {
	const struct vhu_mem *mem;
	struct vq_desc *desc;		/* guest-writable */
	uint16_t *avail;		/* flags, idx, ring[num], used_event */
	uint16_t *used_hdr;		/* flags, idx */
	struct vq_used_elem *used;	/* ring[num], then avail_event */
	uint16_t num;
	bool event_idx;
	bool broken;
	const char *why;		/* the reason, once broken */
	/* ptnetd's own state (never read back from the guest) */
	uint16_t last_avail;		/* next avail entry to take */
	uint16_t used_idx;		/* next used entry to write */
	uint16_t published;		/* used idx the guest sees */
	uint16_t signalled;		/* used idx at the last interrupt */
	bool signalled_valid;
	uint16_t avail_seen;		/* avail idx last read */
};

struct virtq_chain {
	uint16_t head;
	unsigned int nout, nin;		/* pieces: out (readable) first, then in */
	uint32_t out_len, in_len;
	struct iovec iov[VQ_MAX_IOV];
};

/*
 * Set VQ up over rings at front-end addresses DESC/AVAIL/USED (NUM entries)
 * of MEM.  0, or -EINVAL if a ring is not inside MEM, misaligned, or NUM
 * is not a power of two in 1..VQ_MAX_NUM.  LAST_AVAIL: SET_VRING_BASE.
 */
int virtq_init(struct virtq *vq, const struct vhu_mem *mem, uint16_t num, uint64_t desc,
	       uint64_t avail, uint64_t used, uint16_t last_avail, bool event_idx);

/* The same with guest-physical ring addresses (what the virtio spec uses). */
int virtq_init_gpa(struct virtq *vq, const struct vhu_mem *mem, uint16_t num, uint64_t desc,
		   uint64_t avail, uint64_t used, uint16_t last_avail, bool event_idx);

/*
 * The next chain into C: 1, 0 if none is available, -EINVAL if the ring is
 * broken (now or before).
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *c);
/* Give back the last N chains popped (none of them pushed since). */
void virtq_unpop(struct virtq *vq, uint16_t n);
/* Chain HEAD is done, LEN bytes written into it. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t len);
/* Publish what was pushed (release: the buffers and elements first). */
void virtq_publish(struct virtq *vq);
/* After virtq_publish: should the guest be interrupted? (updates the state) */
bool virtq_need_call(struct virtq *vq);
/*
 * Ask for kicks, full barrier, re-check: true if chains became available
 * meanwhile (keep working: call virtq_notify_off()).
 */
bool virtq_notify_on(struct virtq *vq);
void virtq_notify_off(struct virtq *vq);
/* Chains available now (0 on a broken ring). */
uint16_t virtq_avail(struct virtq *vq);

/* Copy LEN bytes from the in/out pieces, starting OFF bytes in: bytes copied. */
uint32_t virtq_copy_out(const struct virtq_chain *c, uint32_t off, void *dst, uint32_t len);
uint32_t virtq_copy_in(const struct virtq_chain *c, uint32_t off, const void *src, uint32_t len);

/* The EVENT_IDX rule: has the used index moved past EVENT going from OLD to NEW? */
static inline bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

#endif
