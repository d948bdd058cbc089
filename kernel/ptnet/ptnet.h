/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ptnet.h - the ptnet guest driver: a NIC on QEMU's ivshmem-doorbell device
 * whose BAR2 is a ptnetd port region (include/ptnet/abi.h, docs/vm.md).
 *
 * Files:
 *   ptnet_main.c    PCI probe/remove, net_device ops, NAPI, IRQs, ethtool
 *   ptnet_ring.c    the CSB protocol and the slot <-> skb copies; the only
 *                   file with memory barriers
 *   ptnet_netmap.c  native mode: /dev/ptnetN, through which one process
 *                   maps the region and syncs the rings itself
 *
 * Shared memory is seen through the one declaration of the netmap ABI,
 * include/ptnet/netmap.h (struct netmap_if/netmap_ring/netmap_slot and the
 * CSB entries nm_csb_atok/nm_csb_ktoa), whose static asserts check the
 * layout here too; the region header and registers are include/ptnet/abi.h.
 */
#ifndef PTNET_KMOD_H
#define PTNET_KMOD_H

#include <linux/types.h>
#include <linux/netdevice.h>
#include <linux/pci.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <linux/miscdevice.h>
#include <ptnet/abi.h>
#include <ptnet/netmap.h>

#define PTNET_DRV_NAME		"ptnet"
#define PTNET_DRV_VERSION	"0.1.0"

/* ivshmem BAR0 registers. */
#define IVSHMEM_REG_DOORBELL	12	/* (peer << 16) | vector */
#define PTNET_PEER_DAEMON	0	/* ptnetd is ivshmem peer 0 */

#define PTNET_VEC_CMD		0	/* doorbell: PTCTL written; MSI-X: command done */
#define PTNET_CMD_TIMEOUT_MS	2000	/* bounded wait for PTCTL == 0 */
#define PTNET_MAX_FRAGS		64	/* NS_MOREFRAG chain limit (ptnetd's) */
#define PTNET_RX_COPYBREAK	256	/* frames up to this go whole into the linear area */
#define PTNET_RX_POOL		1024	/* pages a queue's pool keeps for reuse (4 MiB) */
#define PTNET_MAX_FRAME		65535u	/* largest frame without the vnet header */

struct ptnet_dev;

/* Per-queue counters, read by ndo_get_stats64 and ethtool -S. */
struct ptnet_qstats {
	struct u64_stats_sync syncp;
	u64_stats_t packets;
	u64_stats_t bytes;
	u64_stats_t kicks;	/* TX: doorbells rung */
	u64_stats_t drops;	/* TX: frames that cannot fit; RX: bad chains */
	u64_stats_t stops;	/* TX: queue stopped for lack of slots */
	u64_stats_t gso;	/* GSO frames (TX) or with GSO info (RX) */
	u64_stats_t frags;	/* slots used beyond the first */
};

#define PTNET_QSTATS_N	8	/* the seven above and irqs */

/* One netmap ring as the driver sees it. */
struct ptnet_ring {
	struct ptnet_dev *pd;
	struct netmap_ring *nmr;
	struct netmap_slot *slot;
	struct nm_csb_atok *atok;
	struct nm_csb_ktoa *ktoa;
	u32 nslots;
	u32 head;		/* next slot the driver fills (TX) or reads (RX) */
	u32 tail;		/* shadow of ktoa->hwtail */
	unsigned int idx;	/* ring index within its direction */
	unsigned int vector;	/* MSI-X vector */
	unsigned int irq;
	bool irq_requested;
	struct ptnet_qstats st;
	u64 irqs;		/* written by the interrupt handler only */
	char irq_name[IFNAMSIZ + 16];
};

struct ptnet_rxq {
	struct ptnet_ring r;
	struct napi_struct napi;
	struct page_pool *pool;	/* pages for large frames, recycled (NULL: alloc_page) */
};

struct ptnet_txq {
	struct ptnet_ring r;
	unsigned int min_space;	/* slots of the largest frame: stop below it */
};

struct ptnet_cdev;

struct ptnet_dev {
	struct pci_dev *pdev;
	struct net_device *netdev;
	void __iomem *bar0;
	void *mem;		/* BAR2, the port region, write-back */
	resource_size_t mem_phys;
	u64 mem_size;
	unsigned int id;	/* N of /dev/ptnetN */

	unsigned int ntx, nrx, nvec;
	u32 tx_slots, rx_slots;
	u32 buf_size, buf_num;
	u32 buf_ofs, nifp_ofs, atok_ofs, ktoa_ofs;
	u32 feat;		/* PTNET_IO_PTFEAT */
	u32 vnet_hdr_len;	/* what the net_device uses: 0 or 12 */

	struct ptnet_txq *txq;
	struct ptnet_rxq *rxq;

	struct mutex cmd_lock;	/* one PTCTL at a time */
	struct completion cmd_done;
	unsigned int cmd_irq;
	bool cmd_irq_requested;
	bool created;		/* ptnetd runs the port (CREATE succeeded) */
	bool running;		/* the net_device owns the rings (up, not native) */
	bool native;		/* a process owns the rings (ptnet_netmap.c) */
	bool up;		/* ndo_open was called */

	struct delayed_work watch;	/* link status (ptnetd may detach the port) */
	struct ptnet_cdev *cdev;
};

/* Region accessors (ptnet_ring.c). */
u32 ptnet_reg_read(struct ptnet_dev *pd, unsigned int off);
void ptnet_reg_write(struct ptnet_dev *pd, unsigned int off, u32 val);
u32 ptnet_hdr_read(struct ptnet_dev *pd, unsigned int off);
void ptnet_doorbell(struct ptnet_dev *pd, unsigned int vector);
int ptnet_ptctl(struct ptnet_dev *pd, u32 cmd);

/* CSB protocol (ptnet_ring.c). */
void ptnet_ring_reset(struct ptnet_ring *r, bool tx);
void ptnet_ring_sync_netmap(struct ptnet_ring *r);
u32 ptnet_ring_refresh(struct ptnet_ring *r);
void ptnet_ring_publish(struct ptnet_ring *r);
bool ptnet_ring_need_kick(struct ptnet_ring *r);
bool ptnet_ring_irq_enable(struct ptnet_ring *r);
void ptnet_ring_irq_disable(struct ptnet_ring *r);
void ptnet_ring_irq_set(struct ptnet_ring *r, bool on);
u32 ptnet_ring_space(const struct ptnet_ring *r);
unsigned int ptnet_tx_slots_for(struct ptnet_dev *pd, unsigned int len);

/* Data path copies (ptnet_ring.c). */
int ptnet_tx_frame(struct ptnet_txq *q, struct sk_buff *skb);
int ptnet_rx_frame(struct ptnet_rxq *q, struct sk_buff **skbp);
void ptnet_rx_pool_create(struct ptnet_rxq *q);
void ptnet_rx_pool_destroy(struct ptnet_rxq *q);

/* Native mode (ptnet_netmap.c). */
int ptnet_cdev_create(struct ptnet_dev *pd);
void ptnet_cdev_destroy(struct ptnet_dev *pd);
int ptnet_native_enter(struct ptnet_dev *pd, u32 vnet_hdr_len);
void ptnet_native_exit(struct ptnet_dev *pd);
void ptnet_native_irq(struct ptnet_ring *r);

/* ptnet_main.c: stop/start the net_device's use of the rings (RTNL held). */
int ptnet_datapath_start(struct ptnet_dev *pd);
void ptnet_datapath_stop(struct ptnet_dev *pd);

static inline void ptnet_qstat_add(struct ptnet_qstats *s, u64_stats_t *c, u64 v)
{
	u64_stats_update_begin(&s->syncp);
	u64_stats_add(c, v);
	u64_stats_update_end(&s->syncp);
}

#endif /* PTNET_KMOD_H */
