/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * csb.h - ptnetd's half of the CSB protocol and of the register block
 * (private to the daemon; the client half is include/ptnet/ring.h).
 * With barrier.h and ring.h this is the only place where the daemon orders
 * memory against a client or a guest.  Labels as in ring.h:
 *
 *   K1 ptnet_csb_kern_write   pairs with A2 ptnet_csb_appl_read (clients)
 *   K2 ptnet_csb_kern_read    pairs with A1 ptnet_csb_appl_write
 *   K3 ptnet_csb_kern_rx_head pairs with A1 (a client releasing RX slots)
 *   N1 ptnet_csb_kern_enable / N2 ptnet_csb_kern_need_irq: the double check
 *   S1 ptnet_region_mark_dead pairs with S2 ptnet_region_status (ring.h)
 *   C1 ptnet_reg_cmd_read     pairs with the guest's release of PTCTL
 *   C2 ptnet_reg_cmd_done     pairs with the guest's acquire of PTCTL
 *      (kernel/ptnet/ptnet_ring.c, ptnet_ptctl; docs/vm.md "Commands")
 */
#ifndef PTNETD_CSB_H
#define PTNETD_CSB_H

#include <stdbool.h>
#include <ptnet/abi.h>
#include <ptnet/ring.h>

/*
 * K1: ptnetd publishes hwcur then hwtail with release stores: the slots and
 * buffers written for [old hwtail, hwtail) become visible first.  Pairs with A2.
 */
static inline void ptnet_csb_kern_write(struct nm_csb_ktoa *ktoa, uint32_t hwcur, uint32_t hwtail)
{
	ptnet_store_release(&ktoa->hwcur, hwcur);
	ptnet_store_release(&ktoa->hwtail, hwtail);
}

/*
 * K2: ptnetd reads head then cur (each once; the caller validates the copy).
 * The acquire on head orders the later slot reads after it.  Pairs with A1.
 */
static inline void ptnet_csb_kern_read(const struct nm_csb_atok *atok, uint32_t *head,
				       uint32_t *cur)
{
	*head = ptnet_load_acquire(&atok->head);
	*cur = ptnet_load_acquire(&atok->cur);
}

/*
 * N1 (ptnetd side): ask for kicks, then re-read head.  Without the full
 * barrier the store of kern_need_kick could be ordered after the load of
 * head: the client would publish, see kern_need_kick == 0, not kick, and
 * ptnetd would sleep on a non-empty ring.  Returns the head seen after the
 * barrier; the caller keeps polling if it differs from what it consumed.
 */
static inline uint32_t ptnet_csb_kern_enable(struct nm_csb_ktoa *ktoa,
					     const struct nm_csb_atok *atok)
{
	PTNET_WRITE_ONCE(ktoa->kern_need_kick, 1);
	ptnet_smp_mb();
	return ptnet_load_acquire(&atok->head);
}

static inline void ptnet_csb_kern_disable(struct nm_csb_ktoa *ktoa)
{
	PTNET_WRITE_ONCE(ktoa->kern_need_kick, 0);
}

/*
 * N2 (ptnetd side): after publishing (K1), does the client want an
 * interrupt?  Full barrier: the hwtail store before the appl_need_kick
 * load; pairs with N1 on the client side.
 */
static inline int ptnet_csb_kern_need_irq(const struct nm_csb_atok *atok)
{
	ptnet_smp_mb();
	return PTNET_READ_ONCE(atok->appl_need_kick) != 0;
}

/*
 * K3: the head of an RX ring, i.e. how far the client has released its
 * slots.  The acquire orders the client's reads of the buffers it released
 * before ptnetd's writes into them; pairs with A1.
 */
static inline uint32_t ptnet_csb_kern_rx_head(const struct nm_csb_atok *atok)
{
	return ptnet_load_acquire(&atok->head);
}

/*
 * Has the client of an RX ring left slots that ptnetd published (up to its
 * own HWTAIL, not the client-writable copy in the CSB) unreleased?  A head
 * out of range counts as nothing pending.  A relaxed load, no pairing: a
 * scheduling hint for the worker (worker.c, local clients); a stale or
 * hostile answer only moves an idle round's yield.
 */
static inline bool ptnet_csb_kern_rx_pending(const struct nm_csb_atok *atok, uint32_t hwtail,
					     uint32_t nslots)
{
	uint32_t head = PTNET_READ_ONCE(atok->head);

	return head < nslots && head != hwtail;
}

/*
 * S1: mark the region dead.  Release: pairs with S2 (ptnet_region_status),
 * a client that sees PTNET_STATUS_DEAD sees every earlier write of ptnetd.
 */
static inline void ptnet_region_mark_dead(uint32_t *status)
{
	ptnet_store_release(status, PTNET_STATUS_DEAD);
}

/*
 * C1: read the command a guest wrote into PTNET_IO_PTCTL.  Acquire: pairs
 * with the guest's release of PTCTL, so the registers it wrote before the
 * command (VNET_HDR_LEN, the ring heads) are seen.
 */
static inline uint32_t ptnet_reg_cmd_read(const uint32_t *ptctl)
{
	return ptnet_load_acquire(ptctl);
}

/*
 * C2: the command is done: clear PTCTL.  Release: the result register is
 * visible before the guest's acquire sees PTCTL == 0.
 */
static inline void ptnet_reg_cmd_done(uint32_t *ptctl)
{
	ptnet_store_release(ptctl, 0);
}

#endif /* PTNETD_CSB_H */
