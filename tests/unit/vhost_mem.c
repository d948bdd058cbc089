// SPDX-License-Identifier: BSD-2-Clause
/*
 * vhost_mem - the front-end's memory table (daemon/vhost_mem.c):
 *   - a sealed memfd region maps, at its mmap_offset; GPA and front-end VA
 *     translate to the same bytes; ranges are inside or refused, to the
 *     last byte, without overflow (a range ending at 2^64, len 0);
 *   - refused, with every descriptor closed: an unsealed file (made
 *     sealable: ptnetd seals it itself), a file sealed without SHRINK and
 *     not sealable, a file smaller than offset + size, an empty region,
 *     regions overlapping, regions whose ends overflow;
 *   - vhu_gpa_iov splits a range over adjacent regions and refuses gaps.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>
#include "daemon/vhost_mem.h"
#include "t.h"

#define SZ (64u << 10)

static int memfd(size_t size, unsigned int seals, bool sealable)
{
	int fd = memfd_create("t", MFD_CLOEXEC | (sealable ? MFD_ALLOW_SEALING : 0));

	REQUIRE(fd >= 0 && ftruncate(fd, (off_t)size) == 0, "memfd");
	if (seals)
		REQUIRE(fcntl(fd, F_ADD_SEALS, seals) == 0, "seals");
	return fd;
}

static bool closed(int fd)
{
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

static int map1(struct vhu_mem *m, uint64_t gpa, uint64_t size, uint64_t uva, uint64_t off,
		int fd)
{
	struct vhu_mem_desc d = { .nregions = 1 };
	struct ptd_err e;

	d.r[0] = (struct vhu_region_desc){ gpa, size, uva, off };
	return vhu_mem_map(m, &d, &fd, &e);
}

static void good(void)
{
	struct vhu_mem m;
	int fd = memfd(2 * SZ, F_SEAL_SHRINK, true);
	uint8_t *w = mmap(NULL, 2 * SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	uint8_t *p;

	REQUIRE(w != MAP_FAILED, "mmap");
	w[SZ + 100] = 0x5a;
	CHECK_EQ(map1(&m, 0x100000, SZ, 0x7f0000000000, SZ, fd), 0, "a sealed region maps");
	CHECK(closed(fd), "its descriptor is closed");
	p = vhu_gpa(&m, 0x100000 + 100, 1);
	CHECK(p && *p == 0x5a, "GPA -> the byte at mmap_offset + 100");
	CHECK(vhu_uva(&m, 0x7f0000000000 + 100, 1) == p, "front-end VA -> the same byte");
	CHECK(vhu_gpa(&m, 0x100000, SZ) != NULL, "the whole region");
	CHECK(vhu_gpa(&m, 0x100000, SZ + 1) == NULL, "one byte more");
	CHECK(vhu_gpa(&m, 0x100000 + SZ - 1, 1) != NULL, "the last byte");
	CHECK(vhu_gpa(&m, 0x100000 + SZ, 1) == NULL, "the byte after");
	CHECK(vhu_gpa(&m, 0x100000 - 1, 2) == NULL, "the byte before");
	CHECK(vhu_gpa(&m, UINT64_MAX, 2) == NULL, "a range wrapping 2^64");
	CHECK(vhu_gpa(&m, 0x100000 + 8, UINT64_MAX) == NULL, "a huge length");
	CHECK(vhu_uva(&m, 0x100000, 1) == NULL, "a GPA is no front-end VA");
	vhu_mem_unmap(&m);
	CHECK_EQ(m.n, 0, "unmapped");
	munmap(w, 2 * SZ);
}

static void refused(void)
{
	struct vhu_mem m;
	int fd;

	fd = memfd(SZ, 0, true);	/* sealable: ptnetd adds F_SEAL_SHRINK */
	CHECK_EQ(map1(&m, 0, SZ, 0, 0, fd), 0, "a sealable memfd is sealed and mapped");
	vhu_mem_unmap(&m);
	fd = memfd(SZ, 0, false);	/* not sealable (F_SEAL_SEAL set) */
	CHECK_EQ(map1(&m, 0, SZ, 0, 0, fd), -EPERM, "a memfd that can shrink is refused");
	CHECK(closed(fd) && m.n == 0, "closed, nothing mapped");
	fd = memfd(SZ, F_SEAL_SHRINK, true);
	CHECK_EQ(map1(&m, 0, SZ, 0, 4096, fd), -EINVAL, "offset + size beyond the file");
	CHECK(closed(fd), "closed");
	fd = memfd(SZ, F_SEAL_SHRINK, true);
	CHECK_EQ(map1(&m, 0, 0, 0, 0, fd), -EINVAL, "an empty region");
	fd = memfd(SZ, F_SEAL_SHRINK, true);
	CHECK_EQ(map1(&m, UINT64_MAX - 10, SZ, 0, 0, fd), -EINVAL, "GPA + size overflows");
	fd = memfd(SZ, F_SEAL_SHRINK, true);
	CHECK_EQ(map1(&m, 0, SZ, UINT64_MAX - 10, 0, fd), -EINVAL, "VA + size overflows");
	fd = memfd(SZ, F_SEAL_SHRINK, true);
	CHECK_EQ(map1(&m, 0, SZ, 0, UINT64_MAX - 10, fd), -EINVAL, "offset + size overflows");
	{
		struct vhu_mem_desc d = { .nregions = 2 };
		struct ptd_err e;
		int fds[2] = { memfd(SZ, F_SEAL_SHRINK, true), memfd(SZ, F_SEAL_SHRINK, true) };

		d.r[0] = (struct vhu_region_desc){ 0x1000, SZ, 0, 0 };
		d.r[1] = (struct vhu_region_desc){ 0x1000 + SZ - 1, SZ, SZ, 0 };
		CHECK_EQ(vhu_mem_map(&m, &d, fds, &e), -EINVAL, "overlapping regions");
		CHECK(closed(fds[0]) && closed(fds[1]) && m.n == 0, "both closed, none mapped");
		fds[0] = memfd(SZ, F_SEAL_SHRINK, true);
		fds[1] = memfd(SZ, F_SEAL_SHRINK, true);
		d.r[0] = (struct vhu_region_desc){ UINT64_MAX - SZ + 1, SZ, 0, 0 };	/* ends at 2^64 */
		d.r[1] = (struct vhu_region_desc){ 0, SZ, SZ, 0 };
		CHECK_EQ(vhu_mem_map(&m, &d, fds, &e), 0, "a region ending at 2^64, one at 0");
		CHECK(vhu_gpa(&m, UINT64_MAX, 1) != NULL, "the very last byte");
		vhu_mem_unmap(&m);
	}
}

static void iov(void)
{
	static uint8_t a[256], b[256];
	uint64_t gpa[2] = { 1000, 1256 }, len[2] = { 256, 256 };
	uint8_t *hva[2] = { a, b };
	struct vhu_mem m;
	struct iovec v[4];

	vhu_mem_fake(&m, 2, gpa, hva, len);
	CHECK_EQ(vhu_gpa_iov(&m, 1200, 100, v, 4), 2, "across two adjacent regions");
	CHECK(v[0].iov_base == a + 200 && v[0].iov_len == 56, "first piece");
	CHECK(v[1].iov_base == b && v[1].iov_len == 44, "second piece");
	CHECK_EQ(vhu_gpa_iov(&m, 1200, 100, v, 1), -1, "not enough pieces");
	CHECK_EQ(vhu_gpa_iov(&m, 1500, 100, v, 4), -1, "past the end");
	CHECK_EQ(vhu_gpa_iov(&m, 900, 200, v, 4), -1, "before the start");
	CHECK_EQ(vhu_gpa_iov(&m, 5, 0, v, 4), 0, "an empty range anywhere");
	gpa[1] = 2000;
	vhu_mem_fake(&m, 2, gpa, hva, len);
	CHECK_EQ(vhu_gpa_iov(&m, 1200, 100, v, 4), -1, "a gap between regions");
}

int main(void)
{
	good();
	refused();
	iov();
	return t_done("vhost_mem");
}
