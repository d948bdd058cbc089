// SPDX-License-Identifier: BSD-2-Clause
/*
 * vhost_mem.c - the front-end's memory table, mapped and translated
 * (vhost_mem.h).  The descriptors come from an untrusted front-end.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "daemon/vhost_mem.h"

/* A + LEN - 1 without overflow, i.e. LEN > 0 and A + LEN <= 2^64. */
static int range_ok(uint64_t a, uint64_t len)
{
	return len > 0 && a <= UINT64_MAX - (len - 1);
}

/* [A, A+LEN) inside [BASE, BASE+SIZE)?  Overflow-safe. */
static int inside(uint64_t a, uint64_t len, uint64_t base, uint64_t size)
{
	return a >= base && a - base <= size && len <= size - (a - base);
}

/*
 * The descriptor must not shrink under ptnetd's mapping: memfds sealed with
 * F_SEAL_SHRINK (QEMU's memory-backend-memfd does it), or sealable by us.
 */
static int sealed(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals < 0)
		return 0;
	if (seals & F_SEAL_SHRINK)
		return 1;
	return fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0;
}

int vhu_mem_map(struct vhu_mem *m, const struct vhu_mem_desc *d, const int *fds,
		struct ptd_err *e)
{
	unsigned int n = d->nregions, i;
	int ret = 0;

	m->n = 0;
	for (i = 0; i < n && !ret; i++) {
		const struct vhu_region_desc *rd = &d->r[i];
		struct vhu_region *r = &m->r[i];
		struct stat st;
		uint64_t end;
		void *map;

		if (!range_ok(rd->gpa, rd->size) || !range_ok(rd->uva, rd->size) ||
		    !range_ok(rd->mmap_offset, rd->size) || rd->mmap_offset + rd->size > SIZE_MAX) {
			ret = ptd_err(e, -EINVAL, "memory region %u: empty or overflowing", i);
			break;
		}
		for (unsigned int j = 0; j < i; j++) {
			const struct vhu_region_desc *o = &d->r[j];

			/* Last bytes, not ends: a region may end at 2^64. */
			if (rd->gpa <= o->gpa + (o->size - 1) && o->gpa <= rd->gpa + (rd->size - 1)) {
				ret = ptd_err(e, -EINVAL, "memory regions %u and %u overlap", j, i);
				break;
			}
		}
		if (ret)
			break;
		end = rd->mmap_offset + rd->size;
		if (fstat(fds[i], &st) < 0 || (uint64_t)st.st_size < end) {
			ret = ptd_err(e, -EINVAL, "memory region %u: its file is smaller than the "
				      "region", i);
			break;
		}
		if (!sealed(fds[i])) {
			ret = ptd_err(e, -EPERM, "memory region %u: the file is not sealed against "
				      "shrinking (use QEMU's memory-backend-memfd,share=on)", i);
			break;
		}
		map = mmap(NULL, (size_t)end, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
		if (map == MAP_FAILED) {
			ret = ptd_err(e, -errno, "memory region %u: cannot map it: %s", i,
				      strerror(errno));
			break;
		}
		r->gpa = rd->gpa;
		r->size = rd->size;
		r->uva = rd->uva;
		r->map = map;
		r->map_len = (size_t)end;
		r->hva = (uint8_t *)map + rd->mmap_offset;
		m->n = i + 1;
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	if (ret)
		vhu_mem_unmap(m);
	return ret;
}

void vhu_mem_unmap(struct vhu_mem *m)
{
	for (unsigned int i = 0; i < m->n; i++)
		if (m->r[i].map)
			munmap(m->r[i].map, m->r[i].map_len);
	memset(m, 0, sizeof(*m));
}

void vhu_mem_fake(struct vhu_mem *m, unsigned int n, const uint64_t *gpa, uint8_t *const *hva,
		  const uint64_t *len)
{
	memset(m, 0, sizeof(*m));
	for (unsigned int i = 0; i < n && i < VHU_MAX_REGIONS; i++) {
		m->r[i].gpa = m->r[i].uva = gpa[i];
		m->r[i].size = len[i];
		m->r[i].hva = hva[i];
		m->n = i + 1;
	}
}

void *vhu_gpa(const struct vhu_mem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < m->n; i++) {
		const struct vhu_region *r = &m->r[i];

		if (inside(gpa, len, r->gpa, r->size))
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

void *vhu_uva(const struct vhu_mem *m, uint64_t uva, uint64_t len)
{
	for (unsigned int i = 0; i < m->n; i++) {
		const struct vhu_region *r = &m->r[i];

		if (inside(uva, len, r->uva, r->size))
			return r->hva + (uva - r->uva);
	}
	return NULL;
}

int vhu_gpa_iov(const struct vhu_mem *m, uint64_t gpa, uint32_t len, struct iovec *iov,
		unsigned int max)
{
	unsigned int k = 0;

	if (len && !range_ok(gpa, len))
		return -1;
	while (len) {
		const struct vhu_region *r = NULL;
		uint64_t off, take;

		for (unsigned int i = 0; i < m->n; i++)
			if (gpa >= m->r[i].gpa && gpa - m->r[i].gpa < m->r[i].size) {
				r = &m->r[i];
				break;
			}
		if (!r || k == max)
			return -1;
		off = gpa - r->gpa;
		take = r->size - off < len ? r->size - off : len;
		iov[k].iov_base = r->hva + off;
		iov[k].iov_len = (size_t)take;
		k++;
		gpa += take;
		len -= (uint32_t)take;
	}
	return (int)k;
}
