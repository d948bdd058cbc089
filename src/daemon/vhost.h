/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vhost.h - the vhost-user port kind's private state, shared by the
 * control side (vhost.c: the socket, the messages, the queue threads' life)
 * and the data path (vhost_net.c: one thread per queue pair).
 *
 * Queue pair i is virtqueues 2i (guest RX: the switch's frames go in) and
 * 2i+1 (guest TX: frames come out), served by one thread with the port's
 * ring pair i: TX ring i filled by that thread from the guest and pushed
 * to the switch (ptd_txq_push, like a TAP queue), RX ring i filled by the
 * workers and copied by the thread into the guest's buffers.  The switch
 * fills every RX ring whatever the guest enabled (a sender's TX ring j
 * goes to RX ring j % rings), so the RX rings of pairs that do not run
 * are drained by the running ones (rx_mask, reassigned by vhost.c with
 * the threads stopped): a guest using fewer queues than offered loses
 * nothing.
 *
 * The control thread changes a queue pair's state only while its thread
 * is stopped (joined); the threads only read the device state.
 */
#ifndef PTNETD_VHOST_H
#define PTNETD_VHOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "daemon/ev.h"
#include "daemon/port.h"
#include "daemon/vhost_mem.h"
#include "daemon/vhost_msg.h"
#include "daemon/virtq.h"

/* virtio-net feature bits */
#define VN_F_CSUM		0
#define VN_F_GUEST_CSUM		1
#define VN_F_MTU		3
#define VN_F_MAC		5
#define VN_F_GUEST_TSO4		7
#define VN_F_GUEST_TSO6		8
#define VN_F_GUEST_ECN		9
#define VN_F_GUEST_UFO		10
#define VN_F_HOST_TSO4		11
#define VN_F_HOST_TSO6		12
#define VN_F_HOST_ECN		13
#define VN_F_MRG_RXBUF		15
#define VN_F_STATUS		16
#define VN_F_CTRL_VQ		17
#define VN_F_CTRL_RX		18
#define VN_F_MQ			22
#define VN_F_CTRL_MAC_ADDR	23
#define VN_F_ANY_LAYOUT		27
#define VN_F_INDIRECT_DESC	28
#define VN_F_EVENT_IDX		29
#define VN_F_VERSION_1		32

#define VHOST_MAX_VRINGS	(2 * PTNET_MAX_RINGS + 1)	/* + the control queue */
#define VHOST_CTRL		(VHOST_MAX_VRINGS - 1)		/* vr[] slot of the control queue */
#define VHOST_MAX_FRAME		(65535 + 14 + 8)		/* a guest TX frame, no header */
#define VHOST_RX_IOV		1024	/* guest buffer pieces for one frame (mergeable) */
#define VHOST_RX_CHAINS		256	/* guest buffers for one frame (mergeable) */

struct vhost_dev;

/*
 * GET/SET_INFLIGHT_FD: per virtqueue, the split-ring layout of the
 * vhost-user spec: a 16-byte header, then one 16-byte record per
 * descriptor, set while ptnetd holds the chain and cleared when its used
 * element is written; used_idx follows each publication.  The front-end
 * keeps the memfd across a backend restart.  ptnetd writes it and never
 * reads it back: for net, resuming at the used index (what the VMM does)
 * neither loses nor duplicates a chain, since a TX chain's used element is
 * published before its frame is forwarded and an RX chain is only used
 * once filled.
 */
struct vhost_infl_desc {
	uint8_t inflight, padding[5];
	uint16_t next;
	uint64_t counter;
};

struct vhost_infl_q {
	uint64_t features;
	uint16_t version, desc_num, last_batch_head, used_idx;
	struct vhost_infl_desc desc[];
};
_Static_assert(sizeof(struct vhost_infl_desc) == 16 && sizeof(struct vhost_infl_q) == 16,
	       "inflight layout");

struct vhost_vring {
	uint32_t num;
	struct vhu_addr addr;
	bool addr_set;
	bool started;			/* a kick descriptor came (GET_VRING_BASE stops) */
	bool enabled;			/* SET_VRING_ENABLE (or implied without protocol features) */
	uint16_t base;			/* where the ring (re)starts */
	int kick, call, err;		/* the front-end's eventfds, or -1 */
	struct virtq vq;		/* valid while the pair's thread runs */
	struct vhost_infl_q *infl;	/* its inflight record, or NULL */
};

/* One queue pair: its thread and the thread's private state. */
struct vhost_qp {
	struct vhost_dev *dev;
	unsigned int idx;
	pthread_t thread;
	bool running;			/* thread started (control thread's view) */
	bool broken;			/* a virtqueue was malformed: stays stopped */
	int stop_efd, irq_rfd, epfd;	/* irq_rfd: RX ring IDX's notifications */
	uint32_t rx_mask;		/* RX rings the thread drains (set while stopped) */
	/* thread-private */
	uint32_t tx_head, max_slots;
	bool rx_wait;			/* frames pending, no guest buffers: wait for a kick */
	bool tx_armed;
	struct virtq_chain c;
	struct iovec riov[VHOST_RX_IOV];
	uint16_t rheads[VHOST_RX_CHAINS];
	uint32_t rlens[VHOST_RX_CHAINS];
	uint8_t *lin, *seg;		/* software offload scratch (frames the guest cannot take) */
	uint64_t drops_norx, segs;
	uint64_t infl_counter;
};

struct vhost_dev {
	struct ptd_port *port;
	struct ptd *d;
	char path[108];
	bool client;			/* ptnetd connects (QEMU server=on) */
	unsigned int queues;
	int listen_fd, sock, timer_fd;
	struct ptd_ev ev_listen, ev_sock, ev_timer, ev_ctrl;
	struct ptd_deferred gone;
	unsigned int backoff_ms;
	struct vhu_reader rd;
	/* negotiated */
	uint64_t features, proto;
	bool features_set;
	uint32_t hdr_len;		/* the guest's virtio-net header: 10 or 12 */
	uint32_t mtu;
	struct vhu_mem mem;
	struct vhost_vring vr[VHOST_MAX_VRINGS];
	struct vhost_qp qp[PTNET_MAX_RINGS];
	uint32_t rx_head[PTNET_MAX_RINGS];	/* RX ring k: next slot (its owner thread's) */
	/* GET/SET_INFLIGHT_FD */
	int infl_fd;
	void *infl;
	size_t infl_size, infl_off;
	uint16_t infl_nq, infl_qsize;	/* queues and descriptors the region holds */
	bool ctrl_running, ctrl_broken;	/* the control queue (served by the control thread) */
	uint8_t guest_mac[6];		/* CTRL_MAC_ADDR_SET */
	uint16_t pairs;			/* CTRL_MQ_VQ_PAIRS_SET */
	uint64_t connects;
	const char *broken_why;		/* the first broken queue's reason */
};

static inline bool vhost_has(const struct vhost_dev *v, unsigned int bit)
{
	return (v->features >> bit) & 1;
}

/* Bytes of one queue's inflight record for QSIZE descriptors (64-byte aligned). */
static inline size_t vhost_infl_queue_size(uint16_t qsize)
{
	return (sizeof(struct vhost_infl_q) + sizeof(struct vhost_infl_desc) * (size_t)qsize + 63) &
	       ~(size_t)63;
}

/* vhost_net.c: the thread of queue pair Q (arg: struct vhost_qp *). */
void *vhost_qp_main(void *arg);

#endif
