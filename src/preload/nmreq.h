/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nmreq.h - netmap's control ABI (API 14, x86-64): the structures and codes
 * of /dev/netmap's ioctls, written from the published layout
 * (../shared/docs/netmap-abi.md §2-3).  The shared-memory half (netmap_if,
 * netmap_ring, netmap_slot) is include/ptnet/netmap.h.
 */
#ifndef PTNET_PRELOAD_NMREQ_H
#define PTNET_PRELOAD_NMREQ_H

#include <stddef.h>
#include <stdint.h>

#define NETMAP_REQ_IFNAMSIZ	64
#define NETMAP_REQ_MAXSIZE	4096
#define NM_IFNAMSIZ		16

#define NIOCCTRL	0xc0586997ul
#define NIOCTXSYNC	0x6994ul
#define NIOCRXSYNC	0x6995ul
#define NIOCGINFO	0xc03c6991ul
#define NIOCREGIF	0xc03c6992ul
#define NIOCCONFIG	0xc1106996ul

struct nmreq_header {
	uint16_t nr_version;
	uint16_t nr_reqtype;
	uint32_t nr_reserved;
	char nr_name[NETMAP_REQ_IFNAMSIZ];
	uint64_t nr_options;
	uint64_t nr_body;
};

enum {
	NETMAP_REQ_REGISTER = 1,
	NETMAP_REQ_PORT_INFO_GET,
	NETMAP_REQ_VALE_ATTACH,
	NETMAP_REQ_VALE_DETACH,
	NETMAP_REQ_VALE_LIST,
	NETMAP_REQ_PORT_HDR_SET,
	NETMAP_REQ_PORT_HDR_GET,
	NETMAP_REQ_VALE_NEWIF,
	NETMAP_REQ_VALE_DELIF,
	NETMAP_REQ_VALE_POLLING_ENABLE,
	NETMAP_REQ_VALE_POLLING_DISABLE,
	NETMAP_REQ_POOLS_INFO_GET,
	NETMAP_REQ_SYNC_KLOOP_START,
	NETMAP_REQ_SYNC_KLOOP_STOP,
	NETMAP_REQ_CSB_ENABLE,
	NETMAP_REQ_MAX
};

enum {
	NETMAP_REQ_OPT_EXTMEM = 1,
	NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS,
	NETMAP_REQ_OPT_CSB,
	NETMAP_REQ_OPT_SYNC_KLOOP_MODE,
	NETMAP_REQ_OPT_OFFSETS,
	NETMAP_REQ_OPT_MAX
};

struct nmreq_option {
	uint64_t nro_next;
	uint32_t nro_reqtype;
	uint32_t nro_status;
	uint64_t nro_size;
};

struct nmreq_register {
	uint64_t nr_offset;
	uint64_t nr_memsize;
	uint32_t nr_tx_slots;
	uint32_t nr_rx_slots;
	uint16_t nr_tx_rings;
	uint16_t nr_rx_rings;
	uint16_t nr_host_tx_rings;
	uint16_t nr_host_rx_rings;
	uint16_t nr_mem_id;
	uint16_t nr_ringid;
	uint32_t nr_mode;
	uint32_t nr_extra_bufs;
	uint32_t pad;
	uint64_t nr_flags;
};

#define NR_REG_DEFAULT		0
#define NR_REG_ALL_NIC		1
#define NR_REG_SW		2
#define NR_REG_NIC_SW		3
#define NR_REG_ONE_NIC		4
#define NR_REG_PIPE_MASTER	5
#define NR_REG_PIPE_SLAVE	6
#define NR_REG_NULL		7
#define NR_REG_ONE_SW		8

#define NR_MONITOR_TX		0x100
#define NR_MONITOR_RX		0x200
#define NR_ZCOPY_MON		0x400
#define NR_EXCLUSIVE		0x800
#define NR_RX_RINGS_ONLY	0x2000
#define NR_TX_RINGS_ONLY	0x4000
#define NR_ACCEPT_VNET_HDR	0x8000
#define NR_DO_RX_POLL		0x10000
#define NR_NO_TX_POLL		0x20000

struct nmreq_port_info_get {
	uint64_t nr_memsize;
	uint32_t nr_tx_slots;
	uint32_t nr_rx_slots;
	uint16_t nr_tx_rings;
	uint16_t nr_rx_rings;
	uint16_t nr_host_tx_rings;
	uint16_t nr_host_rx_rings;
	uint16_t nr_mem_id;
	uint16_t pad[3];
};

struct nmreq_vale_attach {
	struct nmreq_register reg;
	uint32_t port_index;
	uint32_t pad;
};

struct nmreq_vale_detach {
	uint32_t port_index;
	uint32_t pad;
};

struct nmreq_vale_list {
	uint16_t nr_bridge_idx;
	uint16_t pad;
	uint32_t nr_port_idx;
};

struct nmreq_port_hdr {
	uint32_t nr_hdr_len;
	uint32_t pad;
};

struct nmreq_vale_newif {
	uint32_t nr_tx_slots;
	uint32_t nr_rx_slots;
	uint16_t nr_tx_rings;
	uint16_t nr_rx_rings;
	uint16_t nr_mem_id;
	uint16_t pad;
};

struct nmreq_vale_polling {
	uint32_t nr_mode;
	uint32_t nr_first_cpu_id;
	uint32_t nr_num_polling_cpus;
	uint32_t pad;
};

struct nmreq_pools_info {
	uint64_t nr_memsize;
	uint16_t nr_mem_id;
	uint16_t pad[3];
	uint64_t nr_if_pool_offset;
	uint32_t nr_if_pool_objtotal;
	uint32_t nr_if_pool_objsize;
	uint64_t nr_ring_pool_offset;
	uint32_t nr_ring_pool_objtotal;
	uint32_t nr_ring_pool_objsize;
	uint64_t nr_buf_pool_offset;
	uint32_t nr_buf_pool_objtotal;
	uint32_t nr_buf_pool_objsize;
};

struct nmreq_sync_kloop_start {
	uint32_t sleep_us;
	uint32_t pad;
};

/* Legacy API: NIOCGINFO / NIOCREGIF with struct nmreq. */
struct nmreq {
	char nr_name[NM_IFNAMSIZ];
	uint32_t nr_version;
	uint32_t nr_offset;
	uint32_t nr_memsize;
	uint32_t nr_tx_slots;
	uint32_t nr_rx_slots;
	uint16_t nr_tx_rings;
	uint16_t nr_rx_rings;
	uint16_t nr_ringid;
	uint16_t nr_cmd;
	uint16_t nr_arg1;
	uint16_t nr_arg2;
	uint32_t nr_arg3;
	uint32_t nr_flags;
	uint32_t spare2[1];
};

#define NETMAP_HW_RING		0x4000
#define NETMAP_SW_RING		0x2000
#define NETMAP_NO_TX_POLL	0x1000
#define NETMAP_DO_RX_POLL	0x8000
#define NETMAP_RING_MASK	0x0fff
#define NR_REG_MASK		0xf

#define NETMAP_BDG_ATTACH	1
#define NETMAP_BDG_DETACH	2
#define NETMAP_BDG_LIST		4
#define NETMAP_BDG_VNET_HDR	5
#define NETMAP_BDG_NEWIF	6
#define NETMAP_BDG_DELIF	7
#define NETMAP_VNET_HDR_GET	12

#define NM_SIZE(t, sz) _Static_assert(sizeof(struct t) == (sz), #t)
#define NM_OFF(t, f, o) _Static_assert(offsetof(struct t, f) == (o), #t "." #f)
NM_SIZE(nmreq_header, 88);
NM_OFF(nmreq_header, nr_reqtype, 2);
NM_OFF(nmreq_header, nr_reserved, 4);
NM_OFF(nmreq_header, nr_name, 8);
NM_OFF(nmreq_header, nr_options, 72);
NM_OFF(nmreq_header, nr_body, 80);
NM_SIZE(nmreq_register, 56);
NM_OFF(nmreq_register, nr_memsize, 8);
NM_OFF(nmreq_register, nr_tx_slots, 16);
NM_OFF(nmreq_register, nr_rx_slots, 20);
NM_OFF(nmreq_register, nr_tx_rings, 24);
NM_OFF(nmreq_register, nr_rx_rings, 26);
NM_OFF(nmreq_register, nr_host_tx_rings, 28);
NM_OFF(nmreq_register, nr_host_rx_rings, 30);
NM_OFF(nmreq_register, nr_mem_id, 32);
NM_OFF(nmreq_register, nr_ringid, 34);
NM_OFF(nmreq_register, nr_mode, 36);
NM_OFF(nmreq_register, nr_extra_bufs, 40);
NM_OFF(nmreq_register, nr_flags, 48);
NM_SIZE(nmreq_option, 24);
NM_OFF(nmreq_option, nro_reqtype, 8);
NM_OFF(nmreq_option, nro_status, 12);
NM_OFF(nmreq_option, nro_size, 16);
NM_SIZE(nmreq_port_info_get, 32);
NM_OFF(nmreq_port_info_get, nr_tx_slots, 8);
NM_OFF(nmreq_port_info_get, nr_rx_slots, 12);
NM_OFF(nmreq_port_info_get, nr_tx_rings, 16);
NM_OFF(nmreq_port_info_get, nr_host_tx_rings, 20);
NM_OFF(nmreq_port_info_get, nr_mem_id, 24);
NM_SIZE(nmreq_vale_attach, 64);
NM_OFF(nmreq_vale_attach, port_index, 56);
NM_SIZE(nmreq_vale_detach, 8);
NM_SIZE(nmreq_vale_list, 8);
NM_OFF(nmreq_vale_list, nr_port_idx, 4);
NM_SIZE(nmreq_port_hdr, 8);
NM_SIZE(nmreq_vale_newif, 16);
NM_SIZE(nmreq_vale_polling, 16);
NM_SIZE(nmreq_pools_info, 64);
NM_OFF(nmreq_pools_info, nr_mem_id, 8);
NM_OFF(nmreq_pools_info, nr_if_pool_offset, 16);
NM_OFF(nmreq_pools_info, nr_ring_pool_offset, 32);
NM_OFF(nmreq_pools_info, nr_buf_pool_offset, 48);
NM_OFF(nmreq_pools_info, nr_buf_pool_objsize, 60);
NM_SIZE(nmreq, 60);
NM_OFF(nmreq, nr_version, 16);
NM_OFF(nmreq, nr_offset, 20);
NM_OFF(nmreq, nr_memsize, 24);
NM_OFF(nmreq, nr_tx_slots, 28);
NM_OFF(nmreq, nr_rx_slots, 32);
NM_OFF(nmreq, nr_tx_rings, 36);
NM_OFF(nmreq, nr_rx_rings, 38);
NM_OFF(nmreq, nr_ringid, 40);
NM_OFF(nmreq, nr_cmd, 42);
NM_OFF(nmreq, nr_arg1, 44);
NM_OFF(nmreq, nr_arg2, 46);
NM_OFF(nmreq, nr_arg3, 48);
NM_OFF(nmreq, nr_flags, 52);
NM_OFF(nmreq, spare2, 56);
_Static_assert(NIOCCTRL == (3ul << 30 | sizeof(struct nmreq_header) << 16 | 'i' << 8 | 151),
	       "NIOCCTRL");
_Static_assert(NIOCREGIF == (3ul << 30 | sizeof(struct nmreq) << 16 | 'i' << 8 | 146),
	       "NIOCREGIF");
_Static_assert(NIOCGINFO == (3ul << 30 | sizeof(struct nmreq) << 16 | 'i' << 8 | 145),
	       "NIOCGINFO");

#endif
