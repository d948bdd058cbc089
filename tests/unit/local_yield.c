// SPDX-License-Identifier: BSD-2-Clause
/*
 * local_yield - when a worker with local clients (clients pinned to its
 * CPU, --pin-workers) yields on an idle round (ptd_local_yield in
 * worker.h), and what counts as a local client's pending RX packets
 * (ptnet_csb_kern_rx_pending in csb.h: ptnetd's own hwtail against the
 * client's head, a head out of range being nothing).
 */
#include <stdint.h>
#include "daemon/csb.h"
#include "daemon/worker.h"
#include "t.h"

int main(void)
{
	struct nm_csb_atok atok = { 0 };

	/* No local rings: every idle round yields, as always. */
	CHECK(ptd_local_yield(0, false, 0, false), "no local rings: yield");
	CHECK(ptd_local_yield(0, false, 1, false), "no local rings, 1 ns held: yield");
	/* Local rings: spin while nobody local needs the CPU ... */
	CHECK(!ptd_local_yield(1, false, 0, false), "local, just got the CPU: spin");
	CHECK(!ptd_local_yield(3, false, PTD_LOCAL_SPIN_NS - 1, false), "local, < 10 us held: spin");
	/* ... and yield when one does, or when the stretch is over. */
	CHECK(ptd_local_yield(1, false, 0, true), "local client has packets: yield");
	CHECK(ptd_local_yield(1, true, 0, false), "a bulk sender's ring was drained: yield");
	CHECK(ptd_local_yield(1, false, PTD_LOCAL_SPIN_NS, false), "10 us held: yield");
	CHECK(ptd_local_yield(1, false, UINT64_MAX, false), "held forever: yield");

	/* Pending: the client's head behind what ptnetd published. */
	atok.head = 5;
	CHECK(!ptnet_csb_kern_rx_pending(&atok, 5, 1024), "head == hwtail: all taken");
	CHECK(ptnet_csb_kern_rx_pending(&atok, 9, 1024), "head behind hwtail: pending");
	CHECK(ptnet_csb_kern_rx_pending(&atok, 2, 1024), "hwtail wrapped past head: pending");
	atok.head = 1024;
	CHECK(!ptnet_csb_kern_rx_pending(&atok, 9, 1024), "head == nslots (garbage): nothing");
	atok.head = UINT32_MAX;
	CHECK(!ptnet_csb_kern_rx_pending(&atok, 9, 1024), "head ~0 (garbage): nothing");
	return t_done("local_yield");
}
