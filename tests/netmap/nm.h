/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nm.h - the netmap user ABI as a netmap program sees it, for the netmap-API
 * tests.  Written on its own from ../shared/docs/netmap-abi.md (API 14,
 * x86-64): deliberately not include/ptnet/netmap.h nor src/preload/nmreq.h,
 * so that a layout mistake in either shows up as a failing test.  The ioctl
 * numbers are derived here with _IOWR/_IO, not copied.
 */
#ifndef TESTS_NETMAP_NM_H
#define TESTS_NETMAP_NM_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>

struct t_slot {
	uint32_t buf_idx;
	uint16_t len;
	uint16_t flags;
	uint64_t ptr;
};

struct t_ring {
	int64_t buf_ofs;
	uint32_t num_slots;
	uint32_t nr_buf_size;
	uint16_t ringid;
	uint16_t dir;
	uint32_t head;
	uint32_t cur;
	uint32_t tail;
	uint32_t flags;
	uint32_t pad0;
	struct timeval ts;
	uint64_t offset_mask;
	uint64_t buf_align;
	uint8_t pad1[56];
	uint8_t sem[128];
	struct t_slot slot[];
};

struct t_if {
	char ni_name[16];
	uint32_t ni_version;
	uint32_t ni_flags;
	uint32_t ni_tx_rings;
	uint32_t ni_rx_rings;
	uint32_t ni_bufs_head;
	uint32_t ni_host_tx_rings;
	uint32_t ni_host_rx_rings;
	uint32_t ni_spare1[3];
	int64_t ring_ofs[];
};

struct t_hdr {
	uint16_t nr_version;
	uint16_t nr_reqtype;
	uint32_t nr_reserved;
	char nr_name[64];
	uint64_t nr_options;
	uint64_t nr_body;
};

struct t_reg {
	uint64_t nr_offset;
	uint64_t nr_memsize;
	uint32_t nr_tx_slots, nr_rx_slots;
	uint16_t nr_tx_rings, nr_rx_rings, nr_host_tx_rings, nr_host_rx_rings;
	uint16_t nr_mem_id, nr_ringid;
	uint32_t nr_mode;
	uint32_t nr_extra_bufs;
	uint32_t pad;
	uint64_t nr_flags;
};

struct t_opt {
	uint64_t nro_next;
	uint32_t nro_reqtype;
	uint32_t nro_status;
	uint64_t nro_size;
};

struct t_info {
	uint64_t nr_memsize;
	uint32_t nr_tx_slots, nr_rx_slots;
	uint16_t nr_tx_rings, nr_rx_rings, nr_host_tx_rings, nr_host_rx_rings;
	uint16_t nr_mem_id, pad[3];
};

struct t_pools {
	uint64_t nr_memsize;
	uint16_t nr_mem_id, pad[3];
	uint64_t if_ofs;
	uint32_t if_total, if_size;
	uint64_t ring_ofs;
	uint32_t ring_total, ring_size;
	uint64_t buf_ofs;
	uint32_t buf_total, buf_size;
};

struct t_list {
	uint16_t nr_bridge_idx, pad;
	uint32_t nr_port_idx;
};

struct t_legacy {
	char nr_name[16];
	uint32_t nr_version, nr_offset, nr_memsize, nr_tx_slots, nr_rx_slots;
	uint16_t nr_tx_rings, nr_rx_rings, nr_ringid, nr_cmd, nr_arg1, nr_arg2;
	uint32_t nr_arg3, nr_flags, spare2;
};

_Static_assert(sizeof(struct t_slot) == 16, "slot");
_Static_assert(sizeof(struct t_ring) == 256, "ring");
_Static_assert(offsetof(struct t_ring, tail) == 28, "ring.tail");
_Static_assert(offsetof(struct t_ring, ts) == 40, "ring.ts");
_Static_assert(offsetof(struct t_ring, buf_align) == 64, "ring.buf_align");
_Static_assert(offsetof(struct t_ring, sem) == 128, "ring.sem");
_Static_assert(sizeof(struct t_if) == 56, "if");
_Static_assert(offsetof(struct t_if, ni_bufs_head) == 32, "if.bufs_head");
_Static_assert(sizeof(struct t_hdr) == 88, "hdr");
_Static_assert(offsetof(struct t_hdr, nr_body) == 80, "hdr.body");
_Static_assert(sizeof(struct t_reg) == 56, "reg");
_Static_assert(offsetof(struct t_reg, nr_mem_id) == 32, "reg.mem_id");
_Static_assert(offsetof(struct t_reg, nr_flags) == 48, "reg.flags");
_Static_assert(sizeof(struct t_opt) == 24, "opt");
_Static_assert(sizeof(struct t_info) == 32, "info");
_Static_assert(sizeof(struct t_pools) == 64, "pools");
_Static_assert(offsetof(struct t_pools, buf_size) == 60, "pools.buf_size");
_Static_assert(sizeof(struct t_legacy) == 60, "legacy");
_Static_assert(offsetof(struct t_legacy, nr_arg3) == 48, "legacy.arg3");

#define T_NIOCCTRL	_IOWR('i', 151, struct t_hdr)
#define T_NIOCTXSYNC	_IO('i', 148)
#define T_NIOCRXSYNC	_IO('i', 149)
#define T_NIOCGINFO	_IOWR('i', 145, struct t_legacy)
#define T_NIOCREGIF	_IOWR('i', 146, struct t_legacy)
_Static_assert(T_NIOCCTRL == 0xc0586997u, "NIOCCTRL");
_Static_assert(T_NIOCREGIF == 0xc03c6992u, "NIOCREGIF");
_Static_assert(T_NIOCTXSYNC == 0x6994u, "NIOCTXSYNC");

enum { T_REGISTER = 1, T_PORT_INFO_GET, T_VALE_ATTACH, T_VALE_DETACH, T_VALE_LIST,
       T_PORT_HDR_SET, T_PORT_HDR_GET, T_VALE_NEWIF, T_VALE_DELIF, T_POLL_EN, T_POLL_DIS,
       T_POOLS_INFO_GET };
#define T_ALL_NIC	1
#define T_SW		2
#define T_ONE_NIC	4
#define T_F_MONITOR_TX	0x100
#define T_F_EXCLUSIVE	0x800
#define T_F_ACCEPT_VNET	0x8000
#define T_F_NO_TX_POLL	0x20000
#define T_NS_BUF_CHANGED 1

static inline struct t_ring *t_txring(struct t_if *nifp, unsigned int i)
{
	return (struct t_ring *)((char *)nifp + nifp->ring_ofs[i]);
}

static inline struct t_ring *t_rxring(struct t_if *nifp, unsigned int i)
{
	return (struct t_ring *)((char *)nifp +
				 nifp->ring_ofs[i + nifp->ni_tx_rings + nifp->ni_host_tx_rings]);
}

static inline char *t_buf(struct t_ring *r, uint32_t idx)
{
	return (char *)r + r->buf_ofs + (size_t)idx * r->nr_buf_size;
}

static inline uint32_t t_next(const struct t_ring *r, uint32_t i)
{
	return i + 1 == r->num_slots ? 0 : i + 1;
}

static inline uint32_t t_space(const struct t_ring *r)
{
	return r->tail >= r->head ? r->tail - r->head : r->tail + r->num_slots - r->head;
}

static inline void t_hdr_init(struct t_hdr *h, uint16_t type, const char *name, void *body)
{
	memset(h, 0, sizeof(*h));
	h->nr_version = 14;
	h->nr_reqtype = type;
	snprintf(h->nr_name, sizeof(h->nr_name), "%s", name);
	h->nr_body = (uint64_t)(uintptr_t)body;
}

/* ioctl's errno, 0 on success. */
static inline int t_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? errno : 0;
}

#endif
