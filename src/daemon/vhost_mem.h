/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vhost_mem.h - a vhost-user front-end's memory table (SET_MEM_TABLE): each
 * region mapped from its descriptor at its mmap_offset, and the two
 * translations a backend needs, guest-physical (descriptor addresses) and
 * front-end virtual (ring addresses of SET_VRING_ADDR) to ptnetd's own.
 * Every bounds check is written so that no sum can overflow.
 */
#ifndef PTNETD_VHOST_MEM_H
#define PTNETD_VHOST_MEM_H

#include <stdint.h>
#include <sys/uio.h>
#include "daemon/err.h"
#include "daemon/vhost_msg.h"

struct vhu_region {
	uint64_t gpa, size, uva;	/* as the front-end described it */
	uint8_t *hva;			/* gpa's bytes in ptnetd */
	void *map;			/* the mapping (offset included) */
	size_t map_len;
};

struct vhu_mem {
	unsigned int n;
	struct vhu_region r[VHU_MAX_REGIONS];
};

/*
 * Map the N regions of D from FDS (taken: closed whatever happens).
 * Refuses empty, overflowing or overlapping regions and descriptors that
 * are not sealed against shrinking (a truncated mapping would fault
 * ptnetd): 0 or -errno with E set.  M is empty on failure.
 */
int vhu_mem_map(struct vhu_mem *m, const struct vhu_mem_desc *d, const int *fds,
		struct ptd_err *e);
void vhu_mem_unmap(struct vhu_mem *m);

/*
 * Build a table over memory ptnetd already has (tests and fuzzers): region
 * I covers guest addresses [GPA[I], GPA[I] + LEN[I]) at HVA[I], with the
 * same front-end addresses.  Nothing is unmapped by vhu_mem_unmap.
 */
void vhu_mem_fake(struct vhu_mem *m, unsigned int n, const uint64_t *gpa, uint8_t *const *hva,
		  const uint64_t *len);

/* [GPA, GPA + LEN) inside one region: its address in ptnetd, else NULL. */
void *vhu_gpa(const struct vhu_mem *m, uint64_t gpa, uint64_t len);
/* The same for front-end virtual addresses (SET_VRING_ADDR). */
void *vhu_uva(const struct vhu_mem *m, uint64_t uva, uint64_t len);
/*
 * [GPA, GPA + LEN) as up to MAX pieces (it may span adjacent regions):
 * the pieces written, or -1 if a byte lies outside the table or MAX is
 * not enough.  LEN 0 gives 0 pieces.
 */
int vhu_gpa_iov(const struct vhu_mem *m, uint64_t gpa, uint32_t len, struct iovec *iov,
		unsigned int max);

#endif
