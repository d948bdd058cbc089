// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ptnet_ring.c - the guest ("application") side of the CSB protocol and the
 * copies between skbs and ring slots.  This is the only file of the driver
 * that orders memory; every acquire/release names its pair on the ptnetd
 * side (include/ptnet/ring.h labels A1/A2/K1/K2/N1).
 *
 * The region is guest memory mapped write-back (BAR2 of ivshmem, backed by
 * ptnetd's memfd), so the kernel's smp_* barriers are the right ones: ptnetd
 * is another CPU of a coherent machine, not a device doing DMA.
 *
 * Everything read from the region is checked before it is used as an index
 * or a length: a buggy or hostile ptnetd may corrupt its own port, never
 * the guest kernel.
 */
#include <linux/kernel.h>
#include <linux/io.h>
#include <linux/skbuff.h>
#include <net/page_pool.h>
#include <linux/etherdevice.h>
#include <linux/virtio_net.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <asm/unaligned.h>
#include "ptnet.h"

static bool fast_copy = true;
module_param(fast_copy, bool, 0644);
MODULE_PARM_DESC(fast_copy, "copy packets with an unrolled 64-bit loop instead of memcpy (faster under emulation, default 1)");

/* --- registers and commands --- */

static u32 *reg_ptr(struct ptnet_dev *pd, unsigned int off)
{
	return (u32 *)((u8 *)pd->mem + PTNET_REGS_BASE + off);
}

u32 ptnet_reg_read(struct ptnet_dev *pd, unsigned int off)
{
	return le32_to_cpu(READ_ONCE(*reg_ptr(pd, off)));
}

void ptnet_reg_write(struct ptnet_dev *pd, unsigned int off, u32 val)
{
	WRITE_ONCE(*reg_ptr(pd, off), cpu_to_le32(val));
}

u32 ptnet_hdr_read(struct ptnet_dev *pd, unsigned int off)
{
	return le32_to_cpu(READ_ONCE(*(u32 *)((u8 *)pd->mem + off)));
}

/*
 * Ring ptnetd's doorbell VECTOR (ivshmem: peer in the high half, vector in
 * the low 8 bits).  writel() orders every earlier store to the region before
 * the MMIO write, so ptnetd, woken by it, sees what was published.
 */
void ptnet_doorbell(struct ptnet_dev *pd, unsigned int vector)
{
	writel((PTNET_PEER_DAEMON << 16) | (vector & 0xff), pd->bar0 + IVSHMEM_REG_DOORBELL);
}

/*
 * Run one PTCTL command (docs/vm.md "Commands"): write it, ring vector 0,
 * wait (bounded) until ptnetd clears PTNET_IO_PTCTL, then read the result.
 * Returns 0, -errno from ptnetd, or -ETIMEDOUT.  Sleeps; process context.
 */
int ptnet_ptctl(struct ptnet_dev *pd, u32 cmd)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(PTNET_CMD_TIMEOUT_MS);
	int ret;

	mutex_lock(&pd->cmd_lock);
	reinit_completion(&pd->cmd_done);
	/*
	 * Release: VNET_HDR_LEN and the ring heads written before CREATE are
	 * visible to ptnetd before the command word it reads with acquire.
	 */
	smp_store_release(reg_ptr(pd, PTNET_IO_PTCTL), cpu_to_le32(cmd));
	ptnet_doorbell(pd, PTNET_VEC_CMD);
	for (;;) {
		/* Acquire: pairs with ptnetd's release of PTCTL = 0 after the result. */
		if (!smp_load_acquire(reg_ptr(pd, PTNET_IO_PTCTL))) {
			u32 res = ptnet_reg_read(pd, PTNET_IO_X_PTCTL_RESULT);

			ret = res ? -(int)min_t(u32, res, MAX_ERRNO) : 0;
			break;
		}
		if (time_after(jiffies, deadline)) {
			ret = -ETIMEDOUT;
			break;
		}
		/* The completion interrupt usually ends this; poll as a fallback. */
		if (pd->cmd_irq_requested)
			wait_for_completion_timeout(&pd->cmd_done, msecs_to_jiffies(10));
		else
			usleep_range(500, 1000);
	}
	mutex_unlock(&pd->cmd_lock);
	return ret;
}

/* --- ring indices --- */

static inline u32 ring_next(const struct ptnet_ring *r, u32 i)
{
	return i + 1 == r->nslots ? 0 : i + 1;
}

/* Slots between head and tail: free TX slots, or RX slots holding packets. */
u32 ptnet_ring_space(const struct ptnet_ring *r)
{
	return r->tail >= r->head ? r->tail - r->head : r->tail + r->nslots - r->head;
}

/*
 * Before CREATE: start from the head already in the CSB (ptnetd takes it
 * as the starting point), with interrupts off until the driver arms them.
 */
void ptnet_ring_reset(struct ptnet_ring *r, bool tx)
{
	u32 head = READ_ONCE(r->atok->head);

	if (head >= r->nslots)
		head = 0;
	r->head = head;
	r->tail = head;
	WRITE_ONCE(r->atok->cur, head);
	WRITE_ONCE(r->atok->head, head);
	WRITE_ONCE(r->atok->appl_need_kick, 0);
	WRITE_ONCE(r->atok->sync_flags, 0);
}

/* Native mode hand-over: the netmap ring header mirrors the CSB state. */
void ptnet_ring_sync_netmap(struct ptnet_ring *r)
{
	WRITE_ONCE(r->nmr->head, r->head);
	WRITE_ONCE(r->nmr->cur, r->head);
	WRITE_ONCE(r->nmr->tail, r->tail);
}

/*
 * A2: read hwtail (then hwcur, unused).  The acquire orders every later
 * read of slots and buffers after it; pairs with K1 (ptnetd's release of
 * hwtail in ptnet_csb_kern_write).  Returns the new space.
 */
u32 ptnet_ring_refresh(struct ptnet_ring *r)
{
	u32 hwtail = smp_load_acquire(&r->ktoa->hwtail);

	if (likely(hwtail < r->nslots))
		r->tail = hwtail;
	return ptnet_ring_space(r);
}

/*
 * A1: publish cur then head.  The release on cur orders the slot and
 * buffer writes before it, the release on head orders cur before head;
 * pairs with K2 (ptnetd's acquire of head in ptnet_csb_kern_read).
 */
void ptnet_ring_publish(struct ptnet_ring *r)
{
	smp_store_release(&r->atok->cur, r->head);
	smp_store_release(&r->atok->head, r->head);
}

/*
 * After A1: does ptnetd want a kick?  The full barrier orders the head
 * store before the load of kern_need_kick.  Without it the load could be
 * satisfied first: ptnetd sets kern_need_kick and re-reads an old head
 * (N1, kernel side) while we read kern_need_kick == 0 and skip the kick;
 * both sleep with a packet in the ring.
 */
bool ptnet_ring_need_kick(struct ptnet_ring *r)
{
	smp_mb();
	return READ_ONCE(r->ktoa->kern_need_kick) != 0;
}

/*
 * N1 (application side): ask for interrupts, full barrier, re-read hwtail.
 * The barrier orders the appl_need_kick store before the hwtail load;
 * otherwise ptnetd could publish hwtail, read appl_need_kick == 0 and not
 * interrupt, while we read the old hwtail and go to sleep.  Returns true
 * if the ring has space/packets after all (the caller then disables again
 * and goes on).
 */
bool ptnet_ring_irq_enable(struct ptnet_ring *r)
{
	WRITE_ONCE(r->atok->appl_need_kick, 1);
	smp_mb();
	return ptnet_ring_refresh(r) != 0;
}

void ptnet_ring_irq_disable(struct ptnet_ring *r)
{
	WRITE_ONCE(r->atok->appl_need_kick, 0);
}

void ptnet_ring_irq_set(struct ptnet_ring *r, bool on)
{
	WRITE_ONCE(r->atok->appl_need_kick, on ? 1 : 0);
}

/* --- copies --- */

/*
 * Packet copy.  Under QEMU TCG the kernel's memcpy (rep movs) costs a
 * translated-block round per 8 bytes; an unrolled loop of 64-bit moves is
 * several times faster there and no slower on hardware.
 */
static void ptnet_copy(void *dst, const void *src, size_t len)
{
	u8 *d = dst;
	const u8 *s = src;

	if (!READ_ONCE(fast_copy)) {
		memcpy(dst, src, len);
		return;
	}
	for (; len >= 64; len -= 64, d += 64, s += 64) {
		u64 a = get_unaligned((const u64 *)s), b = get_unaligned((const u64 *)(s + 8));
		u64 c = get_unaligned((const u64 *)(s + 16)), e = get_unaligned((const u64 *)(s + 24));

		put_unaligned(a, (u64 *)d);
		put_unaligned(b, (u64 *)(d + 8));
		put_unaligned(c, (u64 *)(d + 16));
		put_unaligned(e, (u64 *)(d + 24));
		a = get_unaligned((const u64 *)(s + 32));
		b = get_unaligned((const u64 *)(s + 40));
		c = get_unaligned((const u64 *)(s + 48));
		e = get_unaligned((const u64 *)(s + 56));
		put_unaligned(a, (u64 *)(d + 32));
		put_unaligned(b, (u64 *)(d + 40));
		put_unaligned(c, (u64 *)(d + 48));
		put_unaligned(e, (u64 *)(d + 56));
	}
	for (; len >= 8; len -= 8, d += 8, s += 8)
		put_unaligned(get_unaligned((const u64 *)s), (u64 *)d);
	while (len--)
		*d++ = *s++;
}

/*
 * Copy LEN bytes from OFF in SKB (linear part and page fragments; the
 * device has no NETIF_F_FRAGLIST, so there is no frag_list) to DST.
 */
static int skb_copy_out(const struct sk_buff *skb, unsigned int off, u8 *dst, unsigned int len)
{
	unsigned int hl = skb_headlen(skb), i;

	if (off < hl) {
		unsigned int n = min(len, hl - off);

		ptnet_copy(dst, skb->data + off, n);
		dst += n;
		len -= n;
		off = hl;
	}
	off -= hl;
	for (i = 0; len && i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *f = &skb_shinfo(skb)->frags[i];
		unsigned int fs = skb_frag_size(f), n;
		u8 *va;

		if (off >= fs) {
			off -= fs;
			continue;
		}
		n = min(len, fs - off);
		/* A fragment may span several pages: map one page at a time. */
		while (n) {
			unsigned int po = skb_frag_off(f) + off, k;
			struct page *pg = skb_frag_page(f) + po / PAGE_SIZE;

			po %= PAGE_SIZE;
			k = min_t(unsigned int, n, PAGE_SIZE - po);
			va = kmap_local_page(pg);
			ptnet_copy(dst, va + po, k);
			kunmap_local(va);
			dst += k;
			off += k;
			n -= k;
			len -= k;
		}
		off = 0;
	}
	return len ? -EFAULT : 0;
}

/* --- buffers --- */

static inline void *buf_addr(struct ptnet_dev *pd, u32 idx)
{
	return (u8 *)pd->mem + pd->buf_ofs + (size_t)idx * pd->buf_size;
}

static inline bool buf_ok(struct ptnet_dev *pd, u32 idx)
{
	return idx >= 2 && idx < pd->buf_num;
}

/* Slots a frame of LEN bytes (without the vnet header) takes on TX. */
unsigned int ptnet_tx_slots_for(struct ptnet_dev *pd, unsigned int len)
{
	return DIV_ROUND_UP(len + pd->vnet_hdr_len, pd->buf_size);
}

/*
 * Copy SKB into the TX slots from r->head on, the virtio-net header first
 * when the port has one, as an NS_MOREFRAG chain when it does not fit in
 * one buffer.  Advances r->head (not yet published).  The caller checked
 * the space.  Returns 0, -EINVAL (offload ptnetd cannot express) or -EIO
 * (bad buffer index in a slot).
 */
int ptnet_tx_frame(struct ptnet_txq *q, struct sk_buff *skb)
{
	struct ptnet_ring *r = &q->r;
	struct ptnet_dev *pd = r->pd;
	struct virtio_net_hdr_mrg_rxbuf vh;
	unsigned int hdr = pd->vnet_hdr_len, off = 0, left = skb->len, nslots = 0;
	u32 i = r->head;

	if (hdr) {
		if (virtio_net_hdr_from_skb(skb, &vh.hdr, true, false, 0))
			return -EINVAL;
		vh.num_buffers = 0;
	}
	do {
		struct netmap_slot *s = &r->slot[i];
		u32 idx = READ_ONCE(s->buf_idx);
		unsigned int pos = 0, chunk;
		u8 *dst;

		if (unlikely(!buf_ok(pd, idx)))
			return -EIO;
		dst = buf_addr(pd, idx);
		if (hdr && !nslots) {
			memcpy(dst, &vh, hdr);
			pos = hdr;
		}
		chunk = min(pd->buf_size - pos, left);
		if (skb_copy_out(skb, off, dst + pos, chunk))
			return -EIO;
		off += chunk;
		left -= chunk;
		s->len = pos + chunk;
		s->flags = left ? NS_MOREFRAG : 0;
		i = ring_next(r, i);
		nslots++;
	} while (left);
	r->head = i;
	if (nslots > 1)
		ptnet_qstat_add(&r->st, &r->st.frags, nslots - 1);
	return 0;
}

/* --- receive --- */

struct rx_frag {
	u32 idx;
	u32 len;
};

/* Copy LEN bytes of the chain at byte offset *POS (a cursor) into DST. */
static void chain_copy(struct ptnet_dev *pd, const struct rx_frag *f, unsigned int *fi,
		       unsigned int *fo, u8 *dst, unsigned int len)
{
	while (len) {
		unsigned int n = min(len, f[*fi].len - *fo);

		ptnet_copy(dst, (u8 *)buf_addr(pd, f[*fi].idx) + *fo, n);
		dst += n;
		len -= n;
		*fo += n;
		if (*fo == f[*fi].len) {
			(*fi)++;
			*fo = 0;
		}
	}
}

/*
 * Page-backed fragments for the part of a large frame past the linear area.
 * The pages come from the queue's page pool: the stack gives them back when
 * it frees the skb, so a steady stream reuses the same pages instead of
 * having the allocator zero new ones (init_on_alloc, Debian's default) for
 * every frame.  Without a page from the pool, alloc_page: one skb may hold
 * both kinds, the free path tells pool pages by their signature.
 */
static int rx_add_pages(struct ptnet_rxq *q, struct sk_buff *skb, const struct rx_frag *f,
			unsigned int *fi, unsigned int *fo, unsigned int len)
{
	struct ptnet_dev *pd = q->r.pd;

	while (len) {
		struct page *page = NULL;
		unsigned int n;

		if (skb_shinfo(skb)->nr_frags >= MAX_SKB_FRAGS)
			return -EMSGSIZE;
		if (q->pool)
			page = page_pool_dev_alloc_pages(q->pool);
		if (!page) {
			page = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
			if (!page)
				return -ENOMEM;
		}
		n = min_t(unsigned int, len, PAGE_SIZE);
		chain_copy(pd, f, fi, fo, page_address(page), n);
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page, 0, n, PAGE_SIZE);
		len -= n;
	}
	return 0;
}

/*
 * The queue's page pool, made when the datapath starts (NAPI not yet
 * enabled) and destroyed after napi_disable; pages still held by sockets
 * then go back to the page allocator as they are freed.  Without a pool
 * (no memory) frames still arrive, on alloc_page.
 */
void ptnet_rx_pool_create(struct ptnet_rxq *q)
{
	struct page_pool_params pp = {	/* no flags: the device does no DMA */
		.order = 0,
		.pool_size = PTNET_RX_POOL,
		.nid = NUMA_NO_NODE,
	};
	struct page_pool *pool = page_pool_create(&pp);

	q->pool = IS_ERR(pool) ? NULL : pool;
}

void ptnet_rx_pool_destroy(struct ptnet_rxq *q)
{
	if (q->pool)
		page_pool_destroy(q->pool);
	q->pool = NULL;
}

/*
 * Take the next complete frame (an NS_MOREFRAG chain) from the RX ring.
 * Returns 1 when a frame was consumed (*skbp is NULL if it was dropped),
 * 0 when no complete frame is available.  Advances r->head, does not
 * publish.  Runs in NAPI context.
 */
int ptnet_rx_frame(struct ptnet_rxq *q, struct sk_buff **skbp)
{
	struct ptnet_ring *r = &q->r;
	struct ptnet_dev *pd = r->pd;
	struct net_device *dev = pd->netdev;
	struct rx_frag f[PTNET_MAX_FRAGS];
	struct virtio_net_hdr_mrg_rxbuf vh;
	unsigned int hdr = pd->vnet_hdr_len, n = 0, total = 0, fi = 0, fo = 0, lin, flen;
	bool bad = false;
	struct sk_buff *skb;
	u32 i = r->head, avail = ptnet_ring_space(r);

	*skbp = NULL;
	for (;;) {
		struct netmap_slot *s;
		u16 flags;

		if (n == avail) {
			avail = ptnet_ring_refresh(r);
			if (n == avail) {
				/* A chain cut at tail completes later, unless the ring is full. */
				if (avail < r->nslots - 1)
					return 0;
				bad = true;
				break;
			}
		}
		s = &r->slot[i];
		f[n].idx = READ_ONCE(s->buf_idx);
		f[n].len = READ_ONCE(s->len);
		flags = READ_ONCE(s->flags);
		if (!buf_ok(pd, f[n].idx) || f[n].len > pd->buf_size)
			bad = true;
		total += f[n].len;
		n++;
		i = ring_next(r, i);
		if (!(flags & NS_MOREFRAG))
			break;
		if (n == PTNET_MAX_FRAGS) {
			/* Too long: drop what we have; the rest is dropped piecemeal. */
			bad = true;
			break;
		}
	}
	r->head = i;
	if (n > 1)
		ptnet_qstat_add(&r->st, &r->st.frags, n - 1);
	if (bad || total < hdr + ETH_HLEN || f[0].len < hdr || total - hdr > PTNET_MAX_FRAME + 4)
		goto drop;

	fo = 0;
	if (hdr) {
		chain_copy(pd, f, &fi, &fo, (u8 *)&vh, hdr);
	}
	flen = total - hdr;
	lin = flen <= SKB_WITH_OVERHEAD(PAGE_SIZE) - NET_IP_ALIGN - NET_SKB_PAD ?
	      flen : PTNET_RX_COPYBREAK;
	skb = napi_alloc_skb(&q->napi, lin);
	if (unlikely(!skb))
		goto drop;
	chain_copy(pd, f, &fi, &fo, skb_put(skb, lin), lin);
	if (flen > lin) {
		if (q->pool)
			skb_mark_for_recycle(skb);	/* before any free: pool pages go back */
		if (rx_add_pages(q, skb, f, &fi, &fo, flen - lin)) {
			dev_kfree_skb_any(skb);
			goto drop;
		}
	}
	skb->dev = dev;
	if (hdr) {
		if (vh.hdr.flags & VIRTIO_NET_HDR_F_DATA_VALID)
			skb->ip_summed = CHECKSUM_UNNECESSARY;
		if (virtio_net_hdr_to_skb(skb, &vh.hdr, true)) {
			dev_kfree_skb_any(skb);
			goto drop;
		}
		if (vh.hdr.gso_type != VIRTIO_NET_HDR_GSO_NONE)
			ptnet_qstat_add(&r->st, &r->st.gso, 1);
	}
	skb_record_rx_queue(skb, r->idx);
	skb->protocol = eth_type_trans(skb, dev);
	u64_stats_update_begin(&r->st.syncp);
	u64_stats_inc(&r->st.packets);
	u64_stats_add(&r->st.bytes, flen);
	u64_stats_update_end(&r->st.syncp);
	*skbp = skb;
	return 1;
drop:
	ptnet_qstat_add(&r->st, &r->st.drops, 1);
	return 1;
}
