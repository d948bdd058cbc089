// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtq_event - notification decisions of the split virtqueue (virtq.c):
 *   - virtq_need_event() against the virtio rule, exhaustively on a window
 *     of 16-bit values around the wrap;
 *   - EVENT_IDX, device -> driver: a call only when the published used idx
 *     passes the guest's used_event; the first publication always calls;
 *     nothing new published, no call;
 *   - without EVENT_IDX: the guest's NO_INTERRUPT flag decides;
 *   - driver -> device: virtq_notify_on() writes avail_event = last_avail
 *     (EVENT_IDX) or clears NO_NOTIFY, and reports chains that arrived
 *     before it; virtq_notify_off() sets NO_NOTIFY (no EVENT_IDX).
 */
#include "virtq_t.h"

static void rule(void)
{
	for (uint32_t o = 65500; o < 65500 + 80; o++)
		for (uint32_t n = o; n < o + 40; n++)
			for (uint32_t e = o - 5; e < n + 5; e++) {
				uint16_t old = (uint16_t)o, nw = (uint16_t)n, ev = (uint16_t)e;
				/* The event index was crossed: old <= ev < new (mod 2^16). */
				bool want = (uint16_t)(ev - old) < (uint16_t)(nw - old);

				CHECK_EQ(virtq_need_event(ev, nw, old), want, "ev %u new %u old %u",
					 ev, nw, old);
			}
}

static void publish_n(struct virtq *vq, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		virtq_push(vq, 0, 0);
	virtq_publish(vq);
}

static void event_idx_calls(void)
{
	struct virtq vq;
	uint16_t *used_event;

	vt_setup(&vq, true, 100);
	used_event = &vt_avail()[2 + VT_NUM];
	*used_event = 100;
	publish_n(&vq, 1);
	CHECK(virtq_need_call(&vq), "first publication calls");
	CHECK(!virtq_need_call(&vq), "nothing new: no call");
	*used_event = 110;		/* the guest wants a call once used idx passes 110 */
	publish_n(&vq, 5);		/* 101 -> 106 */
	CHECK(!virtq_need_call(&vq), "106 has not passed 110");
	publish_n(&vq, 5);		/* 106 -> 111 */
	CHECK(virtq_need_call(&vq), "111 passed 110");
	publish_n(&vq, 3);
	CHECK(!virtq_need_call(&vq), "used_event behind: no more calls");
	*used_event = 114;		/* re-armed at the current index (114) */
	publish_n(&vq, 1);
	CHECK(virtq_need_call(&vq), "re-armed, 115 passed 114");
	/* Across the wrap. */
	vt_setup(&vq, true, 65534);
	used_event = &vt_avail()[2 + VT_NUM];
	publish_n(&vq, 1);
	CHECK(virtq_need_call(&vq), "first");
	*used_event = 1;
	publish_n(&vq, 2);		/* 65535 -> 0 (wrapped) */
	CHECK(!virtq_need_call(&vq), "0 has not passed 1");
	publish_n(&vq, 2);		/* -> 2 */
	CHECK(virtq_need_call(&vq), "2 passed 1 across the wrap");
}

static void flag_calls(void)
{
	struct virtq vq;

	vt_setup(&vq, false, 0);
	publish_n(&vq, 1);
	CHECK(virtq_need_call(&vq), "no NO_INTERRUPT: call");
	vt_avail()[0] = VQ_AVAIL_F_NO_INTERRUPT;
	publish_n(&vq, 1);
	CHECK(!virtq_need_call(&vq), "NO_INTERRUPT: no call");
	vt_avail()[0] = 0;
	CHECK(!virtq_need_call(&vq), "nothing new published: no call");
	publish_n(&vq, 1);
	CHECK(virtq_need_call(&vq), "flag cleared: call");
}

static void kicks(void)
{
	struct virtq vq;
	struct virtq_chain c;
	uint16_t *avail_event;

	vt_setup(&vq, true, 7);
	avail_event = (uint16_t *)(vt_mem + VT_USED + 4 + 8 * VT_NUM);
	*avail_event = 0xdead;
	CHECK(!virtq_notify_on(&vq), "empty: sleep");
	CHECK_EQ(*avail_event, 7, "avail_event = last_avail");
	vt_set_desc(0, VT_GPA + VT_BUFS, 64, 0, 0);
	vt_offer(0);
	CHECK(virtq_notify_on(&vq), "a chain arrived: do not sleep");
	CHECK_EQ(virtq_pop(&vq, &c), 1, "and it is there");
	CHECK(!virtq_notify_on(&vq), "taken: sleep");
	CHECK_EQ(*avail_event, 8, "avail_event follows");

	vt_setup(&vq, false, 0);
	virtq_notify_off(&vq);
	CHECK_EQ(vt_used_hdr()[0], VQ_USED_F_NO_NOTIFY, "kicks off");
	CHECK(!virtq_notify_on(&vq), "empty");
	CHECK_EQ(vt_used_hdr()[0], 0, "kicks on");
}

int main(void)
{
	rule();
	event_idx_calls();
	flag_calls();
	kicks();
	return t_done("virtq_event");
}
