// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ptnet_main.c - PCI probe/remove, net_device ops, NAPI, interrupts and
 * ethtool of the ptnet guest NIC (docs/vm.md).
 *
 * The device is QEMU's ivshmem-doorbell (1af4:1110) whose shared memory is
 * a ptnetd VM port region.  Vectors: 0 = commands, 1 + i = TX ring i,
 * 1 + ntx + j = RX ring j.  The data path copies skbs into the port's
 * buffers (virtio-net header first when offered) and back; ptnetd does the
 * switching.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/interrupt.h>
#include <linux/idr.h>
#include <linux/rtnetlink.h>
#include <linux/io.h>
#include "ptnet.h"

static bool vnet_hdr = true;
module_param(vnet_hdr, bool, 0444);
MODULE_PARM_DESC(vnet_hdr, "use the 12-byte virtio-net header for checksum/TSO offloads (default 1)");

static unsigned int rx_poll_us;
module_param(rx_poll_us, uint, 0644);
MODULE_PARM_DESC(rx_poll_us, "keep polling an empty RX ring this long before re-arming its interrupt (default 0)");

static bool tx_publish_each = true;
module_param(tx_publish_each, bool, 0644);
MODULE_PARM_DESC(tx_publish_each, "publish every TX frame at once (kicks stay once per burst; default 1)");

static DEFINE_IDA(ptnet_ida);

#define PTNET_WATCH_INTERVAL	(HZ)

/* --- interrupts --- */

static irqreturn_t ptnet_cmd_irq(int irq, void *data)
{
	struct ptnet_dev *pd = data;

	complete(&pd->cmd_done);
	return IRQ_HANDLED;
}

/* TX ring i has space again: ptnetd raises it only when we asked (N1). */
static irqreturn_t ptnet_tx_irq(int irq, void *data)
{
	struct ptnet_txq *q = data;
	struct ptnet_dev *pd = q->r.pd;

	q->r.irqs++;
	if (READ_ONCE(pd->native)) {
		ptnet_native_irq(&q->r);
		return IRQ_HANDLED;
	}
	if (READ_ONCE(pd->running)) {
		ptnet_ring_irq_disable(&q->r);
		netif_tx_wake_queue(netdev_get_tx_queue(pd->netdev, q->r.idx));
	}
	return IRQ_HANDLED;
}

static irqreturn_t ptnet_rx_irq(int irq, void *data)
{
	struct ptnet_rxq *q = data;
	struct ptnet_dev *pd = q->r.pd;

	q->r.irqs++;
	if (READ_ONCE(pd->native)) {
		ptnet_native_irq(&q->r);
		return IRQ_HANDLED;
	}
	if (napi_schedule_prep(&q->napi)) {
		ptnet_ring_irq_disable(&q->r);
		__napi_schedule(&q->napi);
	}
	return IRQ_HANDLED;
}

/* --- receive --- */

static int ptnet_poll(struct napi_struct *napi, int budget)
{
	struct ptnet_rxq *q = container_of(napi, struct ptnet_rxq, napi);
	struct ptnet_ring *r = &q->r;
	u32 start = r->head, freed = 0;
	int work = 0;

	ptnet_ring_refresh(r);
	while (work < budget) {
		struct sk_buff *skb;
		u32 before = r->head;

		if (!ptnet_rx_frame(q, &skb))
			break;
		work++;
		if (skb)
			napi_gro_receive(napi, skb);
		/* Give slots back to ptnetd every so often, not only at the end. */
		freed += r->head >= before ? r->head - before : r->head + r->nslots - before;
		if (freed >= 64) {
			ptnet_ring_publish(r);
			freed = 0;
			start = r->head;
		}
	}
	if (r->head != start)
		ptnet_ring_publish(r);
	if (work < budget && READ_ONCE(rx_poll_us)) {
		/* Interrupts are costly on emulated machines: wait a little for more. */
		u64 end = ktime_get_ns() + (u64)READ_ONCE(rx_poll_us) * 1000;

		while (!ptnet_ring_refresh(r) && ktime_get_ns() < end)
			cpu_relax();
		if (ptnet_ring_space(r))
			return budget;	/* stay scheduled: poll again */
	}
	if (work < budget && napi_complete_done(napi, work)) {
		/* N1: re-arm, then re-check what arrived meanwhile. */
		if (ptnet_ring_irq_enable(r) && napi_schedule_prep(napi)) {
			ptnet_ring_irq_disable(r);
			__napi_schedule(napi);
		}
	}
	return work;
}

/* --- transmit --- */

static void ptnet_tx_flush(struct ptnet_txq *q)
{
	ptnet_ring_publish(&q->r);
	if (ptnet_ring_need_kick(&q->r)) {
		ptnet_doorbell(q->r.pd, q->r.vector);
		ptnet_qstat_add(&q->r.st, &q->r.st.kicks, 1);
	}
}

/*
 * Stop TXQ if fewer than NEED slots are free, with the double check: stop,
 * ask for the "space" interrupt, re-read hwtail; restart if space appeared
 * meanwhile.  Returns true if the queue stays stopped.
 */
static bool ptnet_tx_maybe_stop(struct ptnet_txq *q, struct netdev_queue *txq, u32 need)
{
	struct ptnet_ring *r = &q->r;

	if (ptnet_ring_space(r) >= need || ptnet_ring_refresh(r) >= need)
		return false;
	netif_tx_stop_queue(txq);
	ptnet_qstat_add(&r->st, &r->st.stops, 1);
	ptnet_ring_irq_enable(r);
	if (ptnet_ring_space(r) < need)
		return true;
	ptnet_ring_irq_disable(r);
	netif_tx_start_queue(txq);
	return false;
}

static netdev_tx_t ptnet_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct ptnet_dev *pd = netdev_priv(dev);
	u16 qi = skb_get_queue_mapping(skb);
	struct ptnet_txq *q = &pd->txq[qi];
	struct netdev_queue *txq = netdev_get_tx_queue(dev, qi);
	unsigned int need = ptnet_tx_slots_for(pd, skb->len);
	int err;

	if (unlikely(!READ_ONCE(pd->running) || need > PTNET_MAX_FRAGS ||
		     need > q->r.nslots - 1)) {
		ptnet_qstat_add(&q->r.st, &q->r.st.drops, 1);
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	if (unlikely(ptnet_tx_maybe_stop(q, txq, need))) {
		/* Woken early (a stale interrupt): publish what we have and retry later. */
		ptnet_tx_flush(q);
		return NETDEV_TX_BUSY;
	}
	err = ptnet_tx_frame(q, skb);
	if (likely(!err)) {
		u64_stats_update_begin(&q->r.st.syncp);
		u64_stats_inc(&q->r.st.packets);
		u64_stats_add(&q->r.st.bytes, skb->len);
		if (skb_is_gso(skb))
			u64_stats_inc(&q->r.st.gso);
		u64_stats_update_end(&q->r.st.syncp);
		skb_tx_timestamp(skb);
		dev_consume_skb_any(skb);
	} else {
		ptnet_qstat_add(&q->r.st, &q->r.st.drops, 1);
		if (net_ratelimit())
			netdev_warn(dev, "tx%u: frame of %u bytes dropped (%d)\n", qi, skb->len, err);
		dev_kfree_skb_any(skb);
	}
	/* Stop before the ring is too full for the largest frame. */
	ptnet_tx_maybe_stop(q, txq, q->min_space);
	/*
	 * Batched kicks: kick at most once per burst from the stack.  The
	 * frame itself is published at once (two stores) so that a polling
	 * ptnetd starts copying it while the stack hands us the next one.
	 */
	if (!netdev_xmit_more() || netif_xmit_stopped(txq))
		ptnet_tx_flush(q);
	else if (READ_ONCE(tx_publish_each))
		ptnet_ring_publish(&q->r);
	return NETDEV_TX_OK;
}

/* --- bring-up (RTNL held) --- */

int ptnet_datapath_start(struct ptnet_dev *pd)
{
	struct net_device *dev = pd->netdev;
	unsigned int i;
	int ret;

	ptnet_reg_write(pd, PTNET_IO_VNET_HDR_LEN, pd->vnet_hdr_len);
	for (i = 0; i < pd->ntx; i++)
		ptnet_ring_reset(&pd->txq[i].r, true);
	for (i = 0; i < pd->nrx; i++)
		ptnet_ring_reset(&pd->rxq[i].r, false);
	ret = ptnet_ptctl(pd, PTNETMAP_PTCTL_CREATE);
	if (ret) {
		netdev_err(dev, "ptnetd refused CREATE: %d\n", ret);
		return ret;
	}
	pd->created = true;
	for (i = 0; i < pd->ntx; i++)
		ptnet_ring_refresh(&pd->txq[i].r);
	for (i = 0; i < pd->nrx; i++) {
		ptnet_rx_pool_create(&pd->rxq[i]);
		ptnet_ring_refresh(&pd->rxq[i].r);
		napi_enable(&pd->rxq[i].napi);
	}
	WRITE_ONCE(pd->running, true);
	netif_tx_start_all_queues(dev);
	if (ptnet_reg_read(pd, PTNET_IO_X_STATUS) & PTNET_STATUS_LINK)
		netif_carrier_on(dev);
	/*
	 * Interrupts raised before now may have been lost (ivshmem drops
	 * them while the vector is not set up): look at every RX ring once;
	 * NAPI arms the interrupt when it finds the ring empty.
	 */
	local_bh_disable();
	for (i = 0; i < pd->nrx; i++)
		napi_schedule(&pd->rxq[i].napi);
	local_bh_enable();
	return 0;
}

void ptnet_datapath_stop(struct ptnet_dev *pd)
{
	struct net_device *dev = pd->netdev;
	unsigned int i;
	int ret;

	WRITE_ONCE(pd->running, false);
	netif_carrier_off(dev);
	netif_tx_disable(dev);
	for (i = 0; i < pd->nrx; i++) {
		napi_disable(&pd->rxq[i].napi);
		ptnet_rx_pool_destroy(&pd->rxq[i]);
	}
	for (i = 0; i < pd->ntx; i++)
		ptnet_ring_irq_disable(&pd->txq[i].r);
	for (i = 0; i < pd->nrx; i++)
		ptnet_ring_irq_disable(&pd->rxq[i].r);
	if (pd->created) {
		ret = ptnet_ptctl(pd, PTNETMAP_PTCTL_DELETE);
		if (ret)
			netdev_warn(dev, "ptnetd DELETE failed: %d\n", ret);
		pd->created = false;
	}
}

static int ptnet_open(struct net_device *dev)
{
	struct ptnet_dev *pd = netdev_priv(dev);
	int ret = 0;

	if (!pd->native)
		ret = ptnet_datapath_start(pd);
	if (!ret)
		pd->up = true;
	return ret;
}

static int ptnet_stop(struct net_device *dev)
{
	struct ptnet_dev *pd = netdev_priv(dev);

	if (pd->running)
		ptnet_datapath_stop(pd);
	pd->up = false;
	return 0;
}

static void ptnet_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *s)
{
	struct ptnet_dev *pd = netdev_priv(dev);
	unsigned int i, start;

	for (i = 0; i < pd->ntx + pd->nrx; i++) {
		bool tx = i < pd->ntx;
		struct ptnet_qstats *st = tx ? &pd->txq[i].r.st : &pd->rxq[i - pd->ntx].r.st;
		u64 pk, by, dr;

		do {
			start = u64_stats_fetch_begin(&st->syncp);
			pk = u64_stats_read(&st->packets);
			by = u64_stats_read(&st->bytes);
			dr = u64_stats_read(&st->drops);
		} while (u64_stats_fetch_retry(&st->syncp, start));
		if (tx) {
			s->tx_packets += pk;
			s->tx_bytes += by;
			s->tx_dropped += dr;
		} else {
			s->rx_packets += pk;
			s->rx_bytes += by;
			s->rx_dropped += dr;
		}
	}
}

static int ptnet_change_mtu(struct net_device *dev, int mtu)
{
	dev->mtu = mtu;		/* min_mtu/max_mtu were checked by the core */
	return 0;
}

static const struct net_device_ops ptnet_netdev_ops = {
	.ndo_open		= ptnet_open,
	.ndo_stop		= ptnet_stop,
	.ndo_start_xmit		= ptnet_start_xmit,
	.ndo_get_stats64	= ptnet_get_stats64,
	.ndo_change_mtu		= ptnet_change_mtu,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
};

/* --- ethtool --- */

static const char ptnet_qstat_names[PTNET_QSTATS_N][ETH_GSTRING_LEN] = {
	"packets", "bytes", "kicks", "drops", "stops", "gso", "frags", "irqs",
};

static void ptnet_get_drvinfo(struct net_device *dev, struct ethtool_drvinfo *info)
{
	struct ptnet_dev *pd = netdev_priv(dev);

	strscpy(info->driver, PTNET_DRV_NAME, sizeof(info->driver));
	strscpy(info->version, PTNET_DRV_VERSION, sizeof(info->version));
	strscpy(info->bus_info, pci_name(pd->pdev), sizeof(info->bus_info));
	snprintf(info->fw_version, sizeof(info->fw_version), "abi %u hdr %u",
		 ptnet_hdr_read(pd, PTNET_HDR_ABI), pd->vnet_hdr_len);
}

static int ptnet_get_sset_count(struct net_device *dev, int sset)
{
	struct ptnet_dev *pd = netdev_priv(dev);

	return sset == ETH_SS_STATS ? (pd->ntx + pd->nrx) * PTNET_QSTATS_N : -EOPNOTSUPP;
}

static void ptnet_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	struct ptnet_dev *pd = netdev_priv(dev);
	unsigned int i, k;

	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < pd->ntx + pd->nrx; i++)
		for (k = 0; k < PTNET_QSTATS_N; k++)
			ethtool_sprintf(&data, "%s%u_%s", i < pd->ntx ? "tx" : "rx",
					i < pd->ntx ? i : i - pd->ntx, ptnet_qstat_names[k]);
}

static void ptnet_get_ethtool_stats(struct net_device *dev, struct ethtool_stats *es, u64 *data)
{
	struct ptnet_dev *pd = netdev_priv(dev);
	unsigned int i, start;

	for (i = 0; i < pd->ntx + pd->nrx; i++) {
		struct ptnet_ring *r = i < pd->ntx ? &pd->txq[i].r : &pd->rxq[i - pd->ntx].r;
		struct ptnet_qstats *st = &r->st;

		do {
			start = u64_stats_fetch_begin(&st->syncp);
			data[0] = u64_stats_read(&st->packets);
			data[1] = u64_stats_read(&st->bytes);
			data[2] = u64_stats_read(&st->kicks);
			data[3] = u64_stats_read(&st->drops);
			data[4] = u64_stats_read(&st->stops);
			data[5] = u64_stats_read(&st->gso);
			data[6] = u64_stats_read(&st->frags);
		} while (u64_stats_fetch_retry(&st->syncp, start));
		data[7] = READ_ONCE(r->irqs);
		data += PTNET_QSTATS_N;
	}
}

static void ptnet_get_ringparam(struct net_device *dev, struct ethtool_ringparam *rp,
				struct kernel_ethtool_ringparam *krp,
				struct netlink_ext_ack *extack)
{
	struct ptnet_dev *pd = netdev_priv(dev);

	rp->rx_max_pending = rp->rx_pending = pd->rx_slots;
	rp->tx_max_pending = rp->tx_pending = pd->tx_slots;
}

static void ptnet_get_channels(struct net_device *dev, struct ethtool_channels *ch)
{
	struct ptnet_dev *pd = netdev_priv(dev);

	ch->max_rx = ch->rx_count = pd->nrx;
	ch->max_tx = ch->tx_count = pd->ntx;
}

static const struct ethtool_ops ptnet_ethtool_ops = {
	.get_drvinfo		= ptnet_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= ptnet_get_sset_count,
	.get_strings		= ptnet_get_strings,
	.get_ethtool_stats	= ptnet_get_ethtool_stats,
	.get_ringparam		= ptnet_get_ringparam,
	.get_channels		= ptnet_get_channels,
};

/* --- link watch: ptnetd may take the port down, and an interrupt may be lost --- */

static void ptnet_watch(struct work_struct *work)
{
	struct ptnet_dev *pd = container_of(to_delayed_work(work), struct ptnet_dev, watch);
	struct net_device *dev = pd->netdev;
	u32 st;
	unsigned int i;

	rtnl_lock();
	if (pd->running) {
		st = ptnet_reg_read(pd, PTNET_IO_X_STATUS);
		if ((st & PTNET_STATUS_LINK) && !(st & PTNET_STATUS_DEAD)) {
			if (!netif_carrier_ok(dev))
				netif_carrier_on(dev);
		} else if (netif_carrier_ok(dev)) {
			netdev_info(dev, "ptnetd took the port down (status %#x)\n", st);
			netif_carrier_off(dev);
		}
		/* Safety net for a lost "packets" interrupt. */
		for (i = 0; i < pd->nrx; i++)
			if (napi_schedule_prep(&pd->rxq[i].napi)) {
				ptnet_ring_irq_disable(&pd->rxq[i].r);
				local_bh_disable();
				__napi_schedule(&pd->rxq[i].napi);
				local_bh_enable();
			}
		for (i = 0; i < pd->ntx; i++) {
			struct netdev_queue *txq = netdev_get_tx_queue(dev, i);

			if (netif_tx_queue_stopped(txq) &&
			    ptnet_ring_refresh(&pd->txq[i].r) >= pd->txq[i].min_space)
				netif_tx_wake_queue(txq);
		}
	}
	rtnl_unlock();
	schedule_delayed_work(&pd->watch, PTNET_WATCH_INTERVAL);
}

/* --- sysfs: ring state, for debugging (device/rings) --- */

static ssize_t rings_show(struct device *d, struct device_attribute *attr, char *buf)
{
	struct ptnet_dev *pd = dev_get_drvdata(d);
	unsigned int i;
	int n = 0;

	if (!pd)
		return -ENODEV;
	n += sysfs_emit_at(buf, n, "ring head tail | atok: head need_irq | ktoa: hwcur hwtail need_kick\n");
	for (i = 0; i < pd->ntx + pd->nrx; i++) {
		struct ptnet_ring *r = i < pd->ntx ? &pd->txq[i].r : &pd->rxq[i - pd->ntx].r;

		n += sysfs_emit_at(buf, n, "%s%u %u %u | %u %u | %u %u %u\n",
				   i < pd->ntx ? "tx" : "rx", r->idx, r->head, r->tail,
				   READ_ONCE(r->atok->head), READ_ONCE(r->atok->appl_need_kick),
				   READ_ONCE(r->ktoa->hwcur), READ_ONCE(r->ktoa->hwtail),
				   READ_ONCE(r->ktoa->kern_need_kick));
	}
	n += sysfs_emit_at(buf, n, "running %d native %d created %d status %#x\n", pd->running,
			   pd->native, pd->created, ptnet_reg_read(pd, PTNET_IO_X_STATUS));
	return n;
}
static DEVICE_ATTR_RO(rings);

static struct attribute *ptnet_dev_attrs[] = {
	&dev_attr_rings.attr,
	NULL,
};
ATTRIBUTE_GROUPS(ptnet_dev);

/* --- probe --- */

/* Check the region's header and layout before using any of it. */
static int ptnet_check_region(struct ptnet_dev *pd)
{
	struct device *d = &pd->pdev->dev;
	u64 size, hsize;
	u32 magic, abi, kind, nr;

	/* netmap.h asserts the netmap layout; this ties it to abi.h. */
	BUILD_BUG_ON(sizeof(struct nm_csb_atok) != PTNET_CSB_ENTRY_SIZE);
	BUILD_BUG_ON(sizeof(struct nm_csb_ktoa) != PTNET_CSB_ENTRY_SIZE);

	size = pd->mem_size;
	magic = ptnet_hdr_read(pd, PTNET_HDR_MAGIC);
	abi = ptnet_hdr_read(pd, PTNET_HDR_ABI);
	kind = ptnet_hdr_read(pd, PTNET_HDR_KIND);
	hsize = ptnet_hdr_read(pd, PTNET_HDR_SIZE_LO) |
		(u64)ptnet_hdr_read(pd, PTNET_HDR_SIZE_HI) << 32;
	if (magic != PTNET_MAGIC) {
		dev_info(d, "not a ptnet port (magic %#x): another ivshmem user\n", magic);
		return -ENODEV;
	}
	if (abi != PTNET_ABI_VERSION || kind != PTNET_KIND_VM) {
		dev_err(d, "port ABI %u kind %u, driver wants ABI %u kind %u\n", abi, kind,
			PTNET_ABI_VERSION, PTNET_KIND_VM);
		return -EPROTO;
	}
	if (hsize > size) {
		dev_err(d, "region of %llu bytes in a BAR of %llu\n", hsize, size);
		return -EPROTO;
	}
	pd->ntx = ptnet_reg_read(pd, PTNET_IO_NUM_TX_RINGS);
	pd->nrx = ptnet_reg_read(pd, PTNET_IO_NUM_RX_RINGS);
	pd->tx_slots = ptnet_reg_read(pd, PTNET_IO_NUM_TX_SLOTS);
	pd->rx_slots = ptnet_reg_read(pd, PTNET_IO_NUM_RX_SLOTS);
	pd->buf_size = ptnet_reg_read(pd, PTNET_IO_X_BUF_SIZE);
	pd->buf_num = ptnet_reg_read(pd, PTNET_IO_X_BUF_NUM);
	pd->buf_ofs = ptnet_reg_read(pd, PTNET_IO_X_BUF_OFS);
	pd->nifp_ofs = ptnet_reg_read(pd, PTNET_IO_NIFP_OFS);
	pd->atok_ofs = ptnet_reg_read(pd, PTNET_IO_X_CSB_ATOK_OFS);
	pd->ktoa_ofs = ptnet_reg_read(pd, PTNET_IO_X_CSB_KTOA_OFS);
	pd->feat = ptnet_reg_read(pd, PTNET_IO_PTFEAT);
	nr = pd->ntx + pd->nrx;
	if (!pd->ntx || !pd->nrx || pd->ntx > PTNET_MAX_RINGS || pd->nrx > PTNET_MAX_RINGS ||
	    pd->tx_slots < PTNET_MIN_SLOTS || pd->tx_slots > PTNET_MAX_SLOTS ||
	    pd->rx_slots < PTNET_MIN_SLOTS || pd->rx_slots > PTNET_MAX_SLOTS ||
	    pd->buf_size < PTNET_MIN_BUF_SIZE || pd->buf_size > PTNET_MAX_BUF_SIZE ||
	    pd->buf_size % 64 || pd->buf_num < 2 ||
	    pd->buf_ofs + (u64)pd->buf_num * pd->buf_size > size ||
	    pd->atok_ofs % 64 || pd->ktoa_ofs % 64 ||
	    pd->atok_ofs + (u64)sizeof(struct nm_csb_atok) * nr > size ||
	    pd->ktoa_ofs + (u64)sizeof(struct nm_csb_ktoa) * nr > size ||
	    pd->nifp_ofs + sizeof(struct netmap_if) + 8ull * nr > size) {
		dev_err(d, "inconsistent port region (rings %u/%u slots %u/%u buffers %u x %u)\n",
			pd->ntx, pd->nrx, pd->tx_slots, pd->rx_slots, pd->buf_num, pd->buf_size);
		return -EPROTO;
	}
	pd->nvec = 1 + nr;
	nr = ptnet_reg_read(pd, PTNET_IO_X_NUM_VECTORS);
	if (nr && nr != pd->nvec) {
		dev_err(d, "port announces %u vectors, its rings need %u\n", nr, pd->nvec);
		return -EPROTO;
	}
	return 0;
}

/* Point ring I (TX rings first) at its netmap ring and CSB entries. */
static int ptnet_ring_init(struct ptnet_dev *pd, struct ptnet_ring *r, unsigned int i)
{
	const struct netmap_if *nifp = (const struct netmap_if *)((u8 *)pd->mem + pd->nifp_ofs);
	bool tx = i < pd->ntx;
	u32 ns = tx ? pd->tx_slots : pd->rx_slots;
	s64 ofs = READ_ONCE(nifp->ring_ofs[i]);
	u64 at;

	at = pd->nifp_ofs + ofs;
	if (ofs <= 0 || at % 8 ||
	    at + sizeof(struct netmap_ring) + (u64)sizeof(struct netmap_slot) * ns > pd->mem_size)
		return -EPROTO;
	r->pd = pd;
	r->nmr = (struct netmap_ring *)((u8 *)pd->mem + at);
	if (READ_ONCE(r->nmr->num_slots) != ns || READ_ONCE(r->nmr->nr_buf_size) != pd->buf_size)
		return -EPROTO;
	r->slot = r->nmr->slot;
	r->nslots = ns;
	r->atok = (struct nm_csb_atok *)((u8 *)pd->mem + pd->atok_ofs) + i;
	r->ktoa = (struct nm_csb_ktoa *)((u8 *)pd->mem + pd->ktoa_ofs) + i;
	r->idx = tx ? i : i - pd->ntx;
	r->vector = 1 + i;
	u64_stats_init(&r->st.syncp);
	snprintf(r->irq_name, sizeof(r->irq_name), "ptnet%u-%s%u", pd->id, tx ? "tx" : "rx",
		 r->idx);
	return 0;
}

static void ptnet_free_irqs(struct ptnet_dev *pd)
{
	unsigned int i;

	for (i = 0; i < pd->ntx; i++)
		if (pd->txq[i].r.irq_requested) {
			free_irq(pd->txq[i].r.irq, &pd->txq[i]);
			pd->txq[i].r.irq_requested = false;
		}
	for (i = 0; i < pd->nrx; i++)
		if (pd->rxq[i].r.irq_requested) {
			free_irq(pd->rxq[i].r.irq, &pd->rxq[i]);
			pd->rxq[i].r.irq_requested = false;
		}
	if (pd->cmd_irq_requested) {
		free_irq(pd->cmd_irq, pd);
		pd->cmd_irq_requested = false;
	}
}

static int ptnet_request_irqs(struct ptnet_dev *pd)
{
	struct pci_dev *pdev = pd->pdev;
	unsigned int i;
	int ret;

	pd->cmd_irq = pci_irq_vector(pdev, PTNET_VEC_CMD);
	ret = request_irq(pd->cmd_irq, ptnet_cmd_irq, 0, dev_name(&pdev->dev), pd);
	if (ret)
		return ret;
	pd->cmd_irq_requested = true;
	for (i = 0; i < pd->ntx; i++) {
		struct ptnet_ring *r = &pd->txq[i].r;

		r->irq = pci_irq_vector(pdev, r->vector);
		ret = request_irq(r->irq, ptnet_tx_irq, 0, r->irq_name, &pd->txq[i]);
		if (ret)
			goto fail;
		r->irq_requested = true;
	}
	for (i = 0; i < pd->nrx; i++) {
		struct ptnet_ring *r = &pd->rxq[i].r;

		r->irq = pci_irq_vector(pdev, r->vector);
		ret = request_irq(r->irq, ptnet_rx_irq, 0, r->irq_name, &pd->rxq[i]);
		if (ret)
			goto fail;
		r->irq_requested = true;
	}
	return 0;
fail:
	ptnet_free_irqs(pd);
	return ret;
}

static void ptnet_setup_netdev(struct ptnet_dev *pd)
{
	struct net_device *dev = pd->netdev;
	u8 mac[ETH_ALEN];
	unsigned int maxf, i, mtu;

	ptnet_mac_from_regs(ptnet_reg_read(pd, PTNET_IO_MAC_LO), ptnet_reg_read(pd, PTNET_IO_MAC_HI),
			    mac);

	dev->netdev_ops = &ptnet_netdev_ops;
	dev->ethtool_ops = &ptnet_ethtool_ops;
	if (is_valid_ether_addr(mac))
		eth_hw_addr_set(dev, mac);
	else
		eth_hw_addr_random(dev);

	pd->vnet_hdr_len = vnet_hdr && (pd->feat & PTNETMAP_F_VNET_HDR) ? PTNET_VNET_HDR_LEN : 0;
	dev->hw_features = NETIF_F_SG;
	if (pd->vnet_hdr_len) {
		dev->hw_features |= NETIF_F_HW_CSUM | NETIF_F_TSO | NETIF_F_TSO6 |
				    NETIF_F_TSO_ECN | NETIF_F_RXCSUM;
	}
	dev->features = dev->hw_features;
	dev->vlan_features = dev->features;

	/*
	 * Largest frame: a chain of at most 64 buffers, 64 KiB, and small
	 * enough that the TX ring (one slot always empty) holds it plus one
	 * slot, or the queue would never restart.
	 */
	maxf = min_t(u64, (u64)PTNET_MAX_FRAGS * pd->buf_size - pd->vnet_hdr_len,
		     PTNET_MAX_FRAME);
	maxf = min_t(u64, maxf, (u64)(pd->tx_slots - 2) * pd->buf_size - pd->vnet_hdr_len);
	netif_set_tso_max_size(dev, maxf);
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = maxf - ETH_HLEN;
	mtu = ptnet_reg_read(pd, PTNET_IO_X_MTU);
	dev->mtu = mtu >= ETH_MIN_MTU && mtu <= dev->max_mtu ? mtu : ETH_DATA_LEN;
	for (i = 0; i < pd->ntx; i++)
		pd->txq[i].min_space = ptnet_tx_slots_for(pd, maxf) + 1;
}

static int ptnet_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ptnet_dev tmp = { .pdev = pdev }, *pd;
	struct net_device *dev;
	unsigned int i;
	int ret, nv;

	ret = pci_enable_device(pdev);
	if (ret)
		return ret;
	ret = pci_request_regions(pdev, PTNET_DRV_NAME);
	if (ret)
		goto err_disable;
	tmp.bar0 = pci_iomap(pdev, 0, 0);
	if (!tmp.bar0) {
		ret = -ENOMEM;
		goto err_regions;
	}
	tmp.mem_phys = pci_resource_start(pdev, 2);
	tmp.mem_size = pci_resource_len(pdev, 2);
	if (tmp.mem_size < PTNET_REGION_HDR_SIZE) {
		ret = -ENODEV;
		goto err_bar0;
	}
	tmp.mem = memremap(tmp.mem_phys, tmp.mem_size, MEMREMAP_WB);
	if (!tmp.mem) {
		ret = -ENOMEM;
		goto err_bar0;
	}
	/* Mandatory: without bus mastering QEMU drops MSI-X writes silently. */
	pci_set_master(pdev);
	ret = ptnet_check_region(&tmp);
	if (ret)
		goto err_unmap;

	dev = alloc_etherdev_mqs(sizeof(*pd), tmp.ntx, tmp.nrx);
	if (!dev) {
		ret = -ENOMEM;
		goto err_unmap;
	}
	SET_NETDEV_DEV(dev, &pdev->dev);
	pd = netdev_priv(dev);
	*pd = tmp;
	pd->netdev = dev;
	mutex_init(&pd->cmd_lock);
	init_completion(&pd->cmd_done);
	INIT_DELAYED_WORK(&pd->watch, ptnet_watch);
	pci_set_drvdata(pdev, pd);

	ret = ida_alloc(&ptnet_ida, GFP_KERNEL);
	if (ret < 0)
		goto err_netdev;
	pd->id = ret;

	pd->txq = kcalloc(pd->ntx, sizeof(*pd->txq), GFP_KERNEL);
	pd->rxq = kcalloc(pd->nrx, sizeof(*pd->rxq), GFP_KERNEL);
	if (!pd->txq || !pd->rxq) {
		ret = -ENOMEM;
		goto err_queues;
	}
	for (i = 0; i < pd->ntx + pd->nrx && !ret; i++)
		ret = ptnet_ring_init(pd, i < pd->ntx ? &pd->txq[i].r : &pd->rxq[i - pd->ntx].r, i);
	if (ret) {
		dev_err(&pdev->dev, "ring %u is outside the region\n", i - 1);
		goto err_queues;
	}
	ptnet_setup_netdev(pd);

	nv = pci_msix_vec_count(pdev);
	if (nv < 0 || (unsigned int)nv < pd->nvec) {
		dev_err(&pdev->dev, "port needs %u vectors, device has %d: start QEMU with "
			"-device ivshmem-doorbell,...,vectors=%u\n", pd->nvec, nv, pd->nvec);
		ret = -ENOSPC;
		goto err_queues;
	}
	ret = pci_alloc_irq_vectors(pdev, pd->nvec, pd->nvec, PCI_IRQ_MSIX);
	if (ret < 0)
		goto err_queues;
	ret = ptnet_request_irqs(pd);
	if (ret)
		goto err_vectors;
	for (i = 0; i < pd->nrx; i++)
		netif_napi_add(dev, &pd->rxq[i].napi, ptnet_poll);

	netif_carrier_off(dev);
	ret = register_netdev(dev);
	if (ret)
		goto err_napi;
	ret = ptnet_cdev_create(pd);
	if (ret)
		goto err_unregister;
	schedule_delayed_work(&pd->watch, PTNET_WATCH_INTERVAL);
	netdev_info(dev, "ptnet%u: port %.64s, %u+%u rings x %u/%u slots, %u-byte buffers, "
		    "vnet header %u, mtu %u\n", pd->id, (const char *)pd->mem + PTNET_HDR_NAME,
		    pd->ntx, pd->nrx, pd->tx_slots, pd->rx_slots, pd->buf_size,
		    pd->vnet_hdr_len, dev->mtu);
	return 0;

err_unregister:
	unregister_netdev(dev);
err_napi:
	for (i = 0; i < pd->nrx; i++)
		netif_napi_del(&pd->rxq[i].napi);
	ptnet_free_irqs(pd);
err_vectors:
	pci_free_irq_vectors(pdev);
err_queues:
	kfree(pd->txq);
	kfree(pd->rxq);
	ida_free(&ptnet_ida, pd->id);
err_netdev:
	free_netdev(dev);
err_unmap:
	pci_clear_master(pdev);
	memunmap(tmp.mem);
err_bar0:
	pci_iounmap(pdev, tmp.bar0);
err_regions:
	pci_release_regions(pdev);
err_disable:
	pci_disable_device(pdev);
	return ret;
}

static void ptnet_remove(struct pci_dev *pdev)
{
	struct ptnet_dev *pd = pci_get_drvdata(pdev);
	struct net_device *dev = pd->netdev;
	void *mem = pd->mem;
	void __iomem *bar0 = pd->bar0;
	unsigned int i;

	cancel_delayed_work_sync(&pd->watch);
	unregister_netdev(dev);		/* ndo_stop: DELETE unless a process owns the rings */
	ptnet_cdev_destroy(pd);		/* ends native mode (DELETE) and detaches the fds */
	for (i = 0; i < pd->nrx; i++)
		netif_napi_del(&pd->rxq[i].napi);
	ptnet_free_irqs(pd);
	pci_free_irq_vectors(pdev);
	kfree(pd->txq);
	kfree(pd->rxq);
	ida_free(&ptnet_ida, pd->id);
	free_netdev(dev);
	pci_clear_master(pdev);
	memunmap(mem);
	pci_iounmap(pdev, bar0);
	pci_release_regions(pdev);
	pci_disable_device(pdev);
}

static const struct pci_device_id ptnet_pci_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1110) },	/* ivshmem */
	{ }
};
MODULE_DEVICE_TABLE(pci, ptnet_pci_ids);

static struct pci_driver ptnet_pci_driver = {
	.name		= PTNET_DRV_NAME,
	.id_table	= ptnet_pci_ids,
	.probe		= ptnet_probe,
	.remove		= ptnet_remove,
	.dev_groups	= ptnet_dev_groups,
};

module_pci_driver(ptnet_pci_driver);

MODULE_DESCRIPTION("ptnet: NIC on a ptnetd VM port (ivshmem-doorbell)");
MODULE_AUTHOR("ptnet project");
MODULE_LICENSE("Dual BSD/GPL");
MODULE_VERSION(PTNET_DRV_VERSION);
