// SPDX-License-Identifier: BSD-2-Clause
/*
 * vhost.c - the vhost-user kind: ptnetd as the vhost-user-net backend of a
 * VMM's stock virtio-net device (QEMU -netdev vhost-user, libvirt
 * <interface type='vhostuser'>, cloud-hypervisor).
 *
 * The control thread serves the vhost-user socket (listening on it, or,
 * with client=1, connecting to a VMM that listens and reconnecting with a
 * timerfd backoff), reads each message whole (vhost_msg.c), maps the
 * memory table (vhost_mem.c) and starts a thread per queue pair
 * (vhost_net.c) once both of its virtqueues are ready.  Any change to a
 * pair's rings first stops (joins) its thread.  A message it does not
 * take closes the connection: the port goes back to "disconnected" (its
 * switch port stays, forwarding off) and waits for the next front-end.
 *
 * Split virtqueues only, no live migration (no LOG_ALL, LOG_* refused),
 * no IOMMU: see README "vhost-user ports".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>
#include "daemon/ctl.h"
#include "daemon/fwd.h"
#include "daemon/log.h"
#include "daemon/offload.h"
#include "daemon/usock.h"
#include "daemon/vhost.h"

#define BIT(n)		(1ull << (n))
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
#define MSGS_PER_EVENT	64	/* then back to the event loop: others get their turn */

struct vhost_conf {
	const char *path;
	unsigned int queues;
	bool client;
};

const struct ptd_port_ops ptd_vhost_ops;

static const uint64_t dev_features =
	BIT(VN_F_CSUM) | BIT(VN_F_GUEST_CSUM) | BIT(VN_F_MTU) | BIT(VN_F_MAC) |
	BIT(VN_F_GUEST_TSO4) | BIT(VN_F_GUEST_TSO6) | BIT(VN_F_GUEST_ECN) | BIT(VN_F_HOST_TSO4) |
	BIT(VN_F_HOST_TSO6) | BIT(VN_F_HOST_ECN) | BIT(VN_F_MRG_RXBUF) | BIT(VN_F_STATUS) |
	BIT(VN_F_MQ) | BIT(VN_F_CTRL_VQ) | BIT(VN_F_CTRL_RX) | BIT(VN_F_CTRL_MAC_ADDR) |
	BIT(VN_F_ANY_LAYOUT) | BIT(VN_F_INDIRECT_DESC) | BIT(VN_F_EVENT_IDX) |
	BIT(VHU_F_PROTOCOL_FEATURES) | BIT(VN_F_VERSION_1);

static const uint64_t proto_features =
	BIT(VHU_PF_MQ) | BIT(VHU_PF_REPLY_ACK) | BIT(VHU_PF_MTU) | BIT(VHU_PF_CONFIG) |
	BIT(VHU_PF_INFLIGHT_SHMFD);

static void closefd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static unsigned int nvrings(const struct vhost_dev *v)
{
	return 2 * v->queues;
}

/* Stop queue pair I's thread; its rings keep where they stood. */
static void qp_stop(struct vhost_dev *v, unsigned int i)
{
	struct vhost_qp *q = &v->qp[i];

	if (!q->running)
		return;
	ptd_notify(q->stop_efd);
	pthread_join(q->thread, NULL);
	q->running = false;
	{
		uint64_t x;

		while (read(q->stop_efd, &x, sizeof(x)) > 0)
			;
	}
	for (unsigned int r = 2 * i; r < 2 * i + 2; r++)
		v->vr[r].base = v->vr[r].vq.last_avail;
}

static void ctrl_stop(struct vhost_dev *v);

static void qp_stop_all(struct vhost_dev *v)
{
	for (unsigned int i = 0; i < v->queues; i++)
		qp_stop(v, i);
	ctrl_stop(v);
}

static bool vring_ready(const struct vhost_dev *v, const struct vhost_vring *r)
{
	return r->num && r->addr_set && r->started && r->kick >= 0 && r->enabled && v->mem.n;
}

static bool any_running(const struct vhost_dev *v)
{
	for (unsigned int i = 0; i < v->queues; i++)
		if (v->qp[i].running)
			return true;
	return false;
}

/* The control queue's ring index: after every data queue with MQ, else 2. */
static uint32_t ctrl_index(const struct vhost_dev *v)
{
	return vhost_has(v, VN_F_MQ) ? 2 * v->queues : 2;
}

static void ctrl_stop(struct vhost_dev *v)
{
	if (!v->ctrl_running)
		return;
	ptd_ev_del(v->d, &v->ev_ctrl);
	v->vr[VHOST_CTRL].base = v->vr[VHOST_CTRL].vq.last_avail;
	v->ctrl_running = false;
}

/* One command: its class, command and data; the ack (0 ok, 1 error). */
static uint8_t ctrl_cmd(struct vhost_dev *v, uint8_t cls, uint8_t cmd, const uint8_t *data,
			uint32_t len)
{
	switch (cls) {
	case 0:		/* RX: PROMISC .. NOBCAST, one byte on/off */
		/* A switch port gets its unicast, broadcast and flooded frames: nothing to do. */
		return cmd <= 5 && len >= 1 && vhost_has(v, VN_F_CTRL_RX) ? 0 : 1;
	case 1:		/* MAC */
		if (cmd == 0)	/* TABLE_SET: filters we need not apply (flooding reaches it) */
			return 0;
		if (cmd == 1 && len >= 6 && vhost_has(v, VN_F_CTRL_MAC_ADDR)) {
			memcpy(v->guest_mac, data, 6);	/* the switch learns it from traffic */
			return 0;
		}
		return 1;
	case 3:		/* ANNOUNCE ACK */
		return cmd == 0 ? 0 : 1;
	case 4:		/* MQ VQ_PAIRS_SET */
		if (cmd == 0 && len >= 2 && vhost_has(v, VN_F_MQ)) {
			uint16_t n = (uint16_t)(data[0] | data[1] << 8);

			if (n >= 1 && n <= v->queues) {
				v->pairs = n;
				return 0;
			}
		}
		return 1;
	default:
		return 1;
	}
}

static void on_ctrl(struct ptd *d, struct ptd_ev *ev, uint32_t events)
{
	struct vhost_dev *v = ptd_container_of(ev, struct vhost_dev, ev_ctrl);
	struct vhost_vring *vr = &v->vr[VHOST_CTRL];
	static struct virtq_chain c;
	unsigned int done = 0;
	int r;

	(void)d, (void)events;
	vhu_eventfd_drain(vr->kick);
	while (done < 2u * vr->num && (r = virtq_pop(&vr->vq, &c)) == 1) {
		uint8_t hdr[2], data[64], ack;
		uint32_t len;

		done++;
		if (c.out_len < 2 || c.in_len < 1) {
			virtq_push(&vr->vq, c.head, 0);
			continue;
		}
		virtq_copy_out(&c, 0, hdr, 2);
		len = c.out_len - 2 < sizeof(data) ? c.out_len - 2 : sizeof(data);
		virtq_copy_out(&c, 2, data, len);
		ack = ctrl_cmd(v, hdr[0], hdr[1], data, len);
		/* The ack is the last writable byte. */
		virtq_copy_in(&c, c.in_len - 1, &ack, 1);
		virtq_push(&vr->vq, c.head, 1);
	}
	if (vr->vq.broken && !v->ctrl_broken) {
		v->ctrl_broken = true;
		ptnet_stat_add(&v->port->st.vq_broken, 1);
		if (vr->err >= 0)
			vhu_eventfd_signal(vr->err);
		LOG_RATELIMIT(5, "vhost port %s: the control queue is malformed (%s): stopped",
			 v->port->name, vr->vq.why);
		ctrl_stop(v);
	}
	virtq_publish(&vr->vq);
	if (virtq_need_call(&vr->vq) && vr->call >= 0)
		vhu_eventfd_signal(vr->call);
	if (done == 2u * vr->num)
		vhu_eventfd_signal(vr->kick);	/* more: come back after the others had their turn */
}

static void ctrl_start_ready(struct vhost_dev *v)
{
	struct vhost_vring *vr = &v->vr[VHOST_CTRL];

	if (v->ctrl_running || v->ctrl_broken || !vhost_has(v, VN_F_CTRL_VQ) || !vring_ready(v, vr))
		return;
	if (virtq_init(&vr->vq, &v->mem, (uint16_t)vr->num, vr->addr.desc, vr->addr.avail,
		       vr->addr.used, vr->base, vhost_has(v, VN_F_EVENT_IDX))) {
		v->ctrl_broken = true;
		ptnet_stat_add(&v->port->st.vq_broken, 1);
		LOG_RATELIMIT(5, "vhost port %s: the control queue's addresses are outside guest memory",
			 v->port->name);
		return;
	}
	if (ptd_ev_add(v->d, &v->ev_ctrl, vr->kick, EPOLLIN, on_ctrl) == 0) {
		v->ctrl_running = true;
		on_ctrl(v->d, &v->ev_ctrl, EPOLLIN);	/* commands queued before */
	}
}

/* Pair I's rings set up for its thread: 0, or -EINVAL (rings outside guest memory). */
static int qp_prepare(struct vhost_dev *v, unsigned int i)
{
	struct ptd_port *p = v->port;
	struct vhost_qp *q = &v->qp[i];
	struct vhost_vring *rx = &v->vr[2 * i], *tx = &v->vr[2 * i + 1];
	bool ev = vhost_has(v, VN_F_EVENT_IDX);

	if (virtq_init(&rx->vq, &v->mem, (uint16_t)rx->num, rx->addr.desc, rx->addr.avail,
		       rx->addr.used, rx->base, ev) ||
	    virtq_init(&tx->vq, &v->mem, (uint16_t)tx->num, tx->addr.desc, tx->addr.avail,
		       tx->addr.used, tx->base, ev)) {
		q->broken = true;
		ptnet_stat_add(&p->st.vq_broken, 1);
		if (!v->broken_why)
			v->broken_why = "ring addresses outside guest memory or misaligned";
		LOG_RATELIMIT(5, "vhost port %s: queue pair %u: ring addresses outside guest memory "
			 "or misaligned: the pair stays stopped", p->name, i);
		if (tx->err >= 0)
			vhu_eventfd_signal(tx->err);
		return -EINVAL;
	}
	for (unsigned int r = 2 * i; r < 2 * i + 2; r++)
		v->vr[r].infl = v->infl && r < v->infl_nq && v->vr[r].num <= v->infl_qsize ?
				(void *)((uint8_t *)v->infl + v->infl_off +
					 r * vhost_infl_queue_size(v->infl_qsize)) : NULL;
	return 0;
}

/*
 * Run every queue pair that is ready, and give each RX ring an owner: its
 * own pair if that runs, else one of the running pairs (round robin).  A
 * running pair whose set of RX rings changes is restarted.
 */
static void qp_start_ready(struct vhost_dev *v)
{
	struct ptd_port *p = v->port;
	uint32_t mask[PTNET_MAX_RINGS] = { 0 };
	unsigned int run[PTNET_MAX_RINGS], nrun = 0;
	bool want[PTNET_MAX_RINGS];

	for (unsigned int i = 0; i < v->queues; i++) {
		struct vhost_qp *q = &v->qp[i];

		want[i] = q->running || (!q->broken && vring_ready(v, &v->vr[2 * i]) &&
					 vring_ready(v, &v->vr[2 * i + 1]) && !qp_prepare(v, i));
		if (want[i])
			run[nrun++] = i;
	}
	for (unsigned int k = 0; k < v->queues; k++)
		if (want[k])
			mask[k] |= 1u << k;
		else if (nrun)
			mask[run[k % nrun]] |= 1u << k;
	for (unsigned int i = 0; i < v->queues; i++) {
		struct vhost_qp *q = &v->qp[i];

		if (q->running && q->rx_mask != mask[i]) {
			qp_stop(v, i);
			if (qp_prepare(v, i))
				want[i] = false;
		}
	}
	for (unsigned int i = 0; i < v->queues; i++) {
		struct vhost_qp *q = &v->qp[i];
		int ret;

		if (!want[i] || q->running)
			continue;
		if (!p->running) {
			/* First pair of this connection: the rings start afresh. */
			for (unsigned int j = 0; j < v->queues; j++) {
				struct vhost_qp *o = &v->qp[j];

				o->tx_head = p->txq[j].hwcur;
				ptd_txq_reset(&p->txq[j], o->tx_head);
				ptd_rxq_reset(&p->rxq[j], v->rx_head[j]);
				ptnet_csb_appl_write(p->rxq[j].atok, v->rx_head[j], v->rx_head[j]);
			}
			ptd_port_set_running(p, true);
		}
		q->rx_mask = mask[i];
		ret = -pthread_create(&q->thread, NULL, vhost_qp_main, q);
		if (ret) {
			LOG_ERR("vhost port %s: cannot start queue pair %u: %s", p->name, i,
				strerror(-ret));
			continue;
		}
		q->running = true;
	}
}

static void inflight_drop(struct vhost_dev *v)
{
	if (v->infl)
		munmap(v->infl, v->infl_size);
	v->infl = NULL;
	v->infl_size = v->infl_off = 0;
	v->infl_nq = v->infl_qsize = 0;
	for (unsigned int r = 0; r < VHOST_MAX_VRINGS; r++)
		v->vr[r].infl = NULL;
	closefd(&v->infl_fd);
}

/*
 * Back to the state of a fresh connection: nothing negotiated, nothing
 * mapped.  Touches no switch state (vhost_free calls it after the switch
 * may be gone); the callers turn forwarding off.
 */
static void dev_release(struct vhost_dev *v)
{
	qp_stop_all(v);
	for (unsigned int r = 0; r < VHOST_MAX_VRINGS; r++) {
		struct vhost_vring *vr = &v->vr[r];

		closefd(&vr->kick);
		closefd(&vr->call);
		closefd(&vr->err);
		memset(vr, 0, sizeof(*vr));
		vr->kick = vr->call = vr->err = -1;
	}
	for (unsigned int i = 0; i < v->queues; i++)
		v->qp[i].broken = false;
	v->ctrl_broken = false;
	v->pairs = (uint16_t)v->queues;
	vhu_mem_unmap(&v->mem);
	inflight_drop(v);
	v->features = v->proto = 0;
	v->features_set = false;
	v->hdr_len = PTNET_VNET_HDR_LEN;
	v->broken_why = NULL;
}

static void dev_reset(struct vhost_dev *v)
{
	qp_stop_all(v);
	ptd_port_set_running(v->port, false);
	dev_release(v);
}

static void start_connect(struct vhost_dev *v);

static void arm_timer(struct vhost_dev *v)
{
	struct itimerspec it = { 0 };

	it.it_value.tv_sec = v->backoff_ms / 1000;
	it.it_value.tv_nsec = (long)(v->backoff_ms % 1000) * 1000000;
	timerfd_settime(v->timer_fd, 0, &it, NULL);
	v->backoff_ms = v->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : v->backoff_ms * 2;
}

/* The front-end is gone (or misbehaved): forget it, wait for the next one. */
static void disconnect(struct vhost_dev *v)
{
	ptd_ev_del(v->d, &v->ev_sock);
	closefd(&v->sock);
	vhu_reader_reset(&v->rd);
	dev_reset(v);
	if (v->client) {
		v->backoff_ms = BACKOFF_MIN_MS;
		arm_timer(v);
	}
}

static int reply_u64(struct vhost_dev *v, uint32_t req, uint64_t x)
{
	return vhu_reply(v->sock, req, &x, sizeof(x), -1);
}

/* The virtio-net config space (virtio 1.x 5.1.4), little endian. */
static uint32_t net_config(const struct vhost_dev *v, uint8_t *c)
{
	uint16_t status = 1, pairs = (uint16_t)v->queues, mtu = (uint16_t)v->mtu;

	memset(c, 0, VHU_CONFIG_MAX);
	memcpy(c, v->port->mac, 6);
	memcpy(c + 6, &status, 2);	/* VIRTIO_NET_S_LINK_UP */
	memcpy(c + 8, &pairs, 2);
	memcpy(c + 10, &mtu, 2);
	return 12;
}

/* SET_VRING_* / GET_VRING_BASE: the ring, and its pair (or the control queue) stopped. */
static struct vhost_vring *vring_of(struct vhost_dev *v, uint32_t idx)
{
	if (vhost_has(v, VN_F_CTRL_VQ) && idx == ctrl_index(v)) {
		ctrl_stop(v);
		return &v->vr[VHOST_CTRL];
	}
	if (idx >= nvrings(v) || (!vhost_has(v, VN_F_MQ) && idx >= 2 && v->features_set))
		return NULL;
	qp_stop(v, idx / 2);
	return &v->vr[idx];
}

static int get_inflight(struct vhost_dev *v, const struct vhu_msg *m)
{
	struct vhu_inflight in = m->p.inflight;
	size_t size;
	int fd, ret;

	if (!in.num_queues || in.num_queues > VHOST_MAX_VRINGS || !in.queue_size ||
	    in.queue_size > VQ_MAX_NUM)
		return -EINVAL;
	size = vhost_infl_queue_size(in.queue_size) * in.num_queues;
	qp_stop_all(v);
	inflight_drop(v);
	fd = memfd_create("ptnet-vhost-inflight", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	v->infl = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (v->infl == MAP_FAILED) {
		v->infl = NULL;
		ret = -errno;
		close(fd);
		return ret;
	}
	v->infl_fd = fd;
	v->infl_size = size;
	v->infl_nq = in.num_queues;
	v->infl_qsize = in.queue_size;
	for (unsigned int i = 0; i < in.num_queues; i++) {
		struct vhost_infl_q *iq = (void *)((uint8_t *)v->infl +
						   i * vhost_infl_queue_size(in.queue_size));

		iq->version = 1;
		iq->desc_num = in.queue_size;
	}
	in.mmap_size = size;
	in.mmap_offset = 0;
	return vhu_reply(v->sock, m->req, &in, sizeof(in), fd);
}

static int set_inflight(struct vhost_dev *v, const struct vhu_msg *m)
{
	const struct vhu_inflight *in = &m->p.inflight;
	int fd = m->fds[0];
	void *map;

	if (!in->mmap_size || in->mmap_size > (64u << 20) || in->mmap_offset > (64u << 20) ||
	    !in->num_queues || in->num_queues > VHOST_MAX_VRINGS || !in->queue_size ||
	    in->queue_size > VQ_MAX_NUM ||
	    in->mmap_size < vhost_infl_queue_size(in->queue_size) * in->num_queues ||
	    (in->mmap_offset & 63) ||
	    /* Was "!(F_GET_SEALS & SHRINK)": -1 (a file without seals) passed, SIGBUS later. */
	    vhu_fd_mappable(fd, in->mmap_offset + in->mmap_size)) {
		close(fd);
		return -EINVAL;
	}
	map = mmap(NULL, in->mmap_offset + in->mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   0);
	if (map == MAP_FAILED) {
		close(fd);
		return -EINVAL;
	}
	qp_stop_all(v);
	inflight_drop(v);
	v->infl = map;
	v->infl_size = in->mmap_offset + in->mmap_size;
	v->infl_fd = fd;
	v->infl_off = (size_t)in->mmap_offset;
	v->infl_nq = in->num_queues;
	v->infl_qsize = in->queue_size;
	return 0;
}

/* One message (its descriptors are ours).  0, 1 if a reply was sent, or -errno. */
static int handle(struct vhost_dev *v, struct vhu_msg *m)
{
	struct ptd_port *p = v->port;
	struct vhost_vring *vr;
	struct ptd_err e;
	int ret = 0;

	switch (m->req) {
	case VHU_GET_FEATURES:
		return reply_u64(v, m->req, dev_features) ?: 1;
	case VHU_SET_FEATURES:
		if (m->p.u64 & ~dev_features)
			return -EINVAL;
		qp_stop_all(v);
		v->features = m->p.u64;
		v->features_set = true;
		v->hdr_len = vhost_has(v, VN_F_VERSION_1) || vhost_has(v, VN_F_MRG_RXBUF) ?
			     PTNET_VNET_HDR_LEN : PTD_VNET_HDR_LEN_LEGACY;
		if (!vhost_has(v, VHU_F_PROTOCOL_FEATURES))
			for (unsigned int r = 0; r < VHOST_MAX_VRINGS; r++)
				v->vr[r].enabled = true;
		break;
	case VHU_GET_PROTOCOL_FEATURES:
		return reply_u64(v, m->req, proto_features) ?: 1;
	case VHU_SET_PROTOCOL_FEATURES:
		if (m->p.u64 & ~proto_features)
			return -EINVAL;
		v->proto = m->p.u64;
		break;
	case VHU_GET_QUEUE_NUM:
		return reply_u64(v, m->req, v->queues) ?: 1;
	case VHU_SET_OWNER:
		break;
	case VHU_RESET_OWNER:
		dev_reset(v);
		break;
	case VHU_SET_MEM_TABLE:
		qp_stop_all(v);
		vhu_mem_unmap(&v->mem);
		ret = vhu_mem_map(&v->mem, &m->p.mem, m->fds, &e);
		m->nfds = 0;	/* taken */
		if (ret)
			LOG_RATELIMIT(5, "vhost port %s: SET_MEM_TABLE refused: %s", p->name, e.msg);
		break;
	case VHU_SET_VRING_NUM:
		vr = vring_of(v, m->p.state.index);
		if (!vr || !m->p.state.num || m->p.state.num > VQ_MAX_NUM ||
		    (m->p.state.num & (m->p.state.num - 1)))
			return -EINVAL;
		vr->num = m->p.state.num;
		break;
	case VHU_SET_VRING_ADDR:
		vr = vring_of(v, m->p.addr.index);
		if (!vr)
			return -EINVAL;
		vr->addr = m->p.addr;
		vr->addr_set = true;
		break;
	case VHU_SET_VRING_BASE:
		vr = vring_of(v, m->p.state.index);
		if (!vr || m->p.state.num > 0xffff)
			return -EINVAL;
		vr->base = (uint16_t)m->p.state.num;
		break;
	case VHU_GET_VRING_BASE: {
		struct vhu_state st = m->p.state;

		vr = vring_of(v, st.index);
		if (!vr)
			return -EINVAL;
		st.num = vr->base;	/* qp_stop saved where the ring stands */
		vr->started = false;
		closefd(&vr->kick);
		/*
		 * The front-end stopped the ring (a virtio reset does, then sets it up
		 * again): a broken pair may run again, its rings validated afresh.
		 * It stayed broken until the front-end reconnected.
		 */
		if (vr == &v->vr[VHOST_CTRL])
			v->ctrl_broken = false;
		else
			v->qp[st.index / 2].broken = false;
		if (!any_running(v))
			ptd_port_set_running(p, false);
		return vhu_reply(v->sock, m->req, &st, sizeof(st), -1) ?: 1;
	}
	case VHU_SET_VRING_KICK:
	case VHU_SET_VRING_CALL:
	case VHU_SET_VRING_ERR: {
		uint32_t idx = (uint32_t)(m->p.u64 & VHU_VRING_IDX_MASK);
		int fd = m->nfds ? m->fds[0] : -1;

		m->nfds = 0;
		vr = vring_of(v, idx);
		/* Only eventfds: ptnetd must never block on a front-end's descriptor. */
		if (!vr || (fd >= 0 && vhu_eventfd_take(fd))) {
			if (fd >= 0)
				close(fd);
			return -EINVAL;
		}
		if (m->req == VHU_SET_VRING_KICK) {
			if (fd < 0)
				return -EOPNOTSUPP;	/* no polling mode: kicks are how we sleep */
			closefd(&vr->kick);
			vr->kick = fd;
			vr->started = true;
			if (!vhost_has(v, VHU_F_PROTOCOL_FEATURES))
				vr->enabled = true;
		} else if (m->req == VHU_SET_VRING_CALL) {
			closefd(&vr->call);
			vr->call = fd;
		} else {
			closefd(&vr->err);
			vr->err = fd;
		}
		break;
	}
	case VHU_SET_VRING_ENABLE:
		vr = vring_of(v, m->p.state.index);
		if (!vr || m->p.state.num > 1)
			return -EINVAL;
		vr->enabled = m->p.state.num;
		if (!any_running(v) && !m->p.state.num)
			ptd_port_set_running(p, false);
		break;
	case VHU_NET_SET_MTU:
		if (m->p.u64 < 68 || m->p.u64 > 65535)
			return -EINVAL;
		qp_stop_all(v);		/* the queue threads segment to it */
		v->mtu = (uint32_t)m->p.u64;
		break;
	case VHU_SEND_RARP:
		break;
	case VHU_GET_CONFIG: {
		struct vhu_config c = m->p.cfg;
		uint8_t cfg[VHU_CONFIG_MAX];

		net_config(v, cfg);
		if (c.offset > VHU_CONFIG_MAX || c.size > VHU_CONFIG_MAX - c.offset)
			return -EINVAL;
		memcpy(c.data, cfg + c.offset, c.size);
		return vhu_reply(v->sock, m->req, &c, 12 + c.size, -1) ?: 1;
	}
	case VHU_SET_CONFIG:
		break;		/* the config space is read-only for net (MAC: CTRL_MAC_ADDR) */
	case VHU_GET_INFLIGHT_FD:
		ret = get_inflight(v, m);
		return ret ? ret : 1;
	case VHU_SET_INFLIGHT_FD:
		m->nfds = 0;
		ret = set_inflight(v, m);
		break;
	default:
		return -EOPNOTSUPP;	/* vhu_msg_check lets nothing else through */
	}
	return ret;
}

static void on_sock(struct ptd *d, struct ptd_ev *ev, uint32_t events)
{
	struct vhost_dev *v = ptd_container_of(ev, struct vhost_dev, ev_sock);
	struct ptd_port *p = v->port;

	(void)d, (void)events;
	for (int k = 0; k < MSGS_PER_EVENT; k++) {
		const char *why = NULL;
		int r = vhu_reader_read(&v->rd, v->sock, &why), ret;
		struct vhu_msg *m = &v->rd.m;
		bool ack;

		if (r == 0)
			return;
		if (r < 0) {
			if (r == -EPIPE && !why)
				LOG_INFO("vhost port %s: the front-end closed the connection",
					 p->name);
			else
				LOG_RATELIMIT(5, "vhost port %s: %s (request %u, %u bytes, %u fds): %s; "
					 "closing the connection", p->name, vhu_req_name(m->req),
					 m->req, m->size, m->nfds, why ? why : strerror(-r));
			disconnect(v);
			return;
		}
		ack = (m->flags & VHU_FLAG_NEED_REPLY) && (v->proto & BIT(VHU_PF_REPLY_ACK));
		ret = handle(v, m);
		vhu_reader_reset(&v->rd);	/* closes descriptors the handler left */
		if (ret < 0)
			LOG_RATELIMIT(5, "vhost port %s: %s refused: %s%s", p->name, vhu_req_name(m->req),
				 strerror(-ret), ack ? "" : "; closing the connection");
		if (ack && ret != 1 && reply_u64(v, m->req, ret < 0 ? 1 : 0) < 0)
			ret = -EPIPE;
		if (ret < 0 && (!ack || ret == -EPIPE)) {
			disconnect(v);
			return;
		}
		qp_start_ready(v);
		ctrl_start_ready(v);
	}
}

static void connected(struct vhost_dev *v, int s)
{
	int ret;

	v->sock = s;
	vhu_reader_init(&v->rd);
	ret = ptd_ev_add(v->d, &v->ev_sock, s, EPOLLIN, on_sock);
	if (ret) {
		LOG_WARN("vhost port %s: cannot serve the connection: %s", v->port->name,
			 strerror(-ret));
		closefd(&v->sock);
		return;
	}
	v->connects++;
	v->backoff_ms = BACKOFF_MIN_MS;
	LOG_INFO("vhost port %s: front-end connected on %s", v->port->name, v->path);
}

static void on_accept(struct ptd *d, struct ptd_ev *ev, uint32_t events)
{
	struct vhost_dev *v = ptd_container_of(ev, struct vhost_dev, ev_listen);
	int s = accept4(v->listen.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	(void)d, (void)events;
	if (s < 0)
		return;
	if (v->sock >= 0) {
		LOG_RATELIMIT(1, "vhost port %s: refusing a second front-end on %s",
			      v->port->name, v->path);
		close(s);
		return;
	}
	connected(v, s);
}

static void start_connect(struct vhost_dev *v)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	strcpy(sa.sun_path, v->path);
	if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		connected(v, s);
		return;
	}
	if (s >= 0)
		close(s);
	arm_timer(v);
}

static void on_timer(struct ptd *d, struct ptd_ev *ev, uint32_t events)
{
	struct vhost_dev *v = ptd_container_of(ev, struct vhost_dev, ev_timer);
	uint64_t x;

	(void)d, (void)events;
	if (read(v->timer_fd, &x, sizeof(x)) != sizeof(x))
		return;
	if (v->sock < 0)
		start_connect(v);
}

static int vhost_create(struct ptd *d, struct ptd_port *p, const void *conf, struct ptd_err *e)
{
	const struct vhost_conf *vc = conf;
	struct vhost_dev *v = calloc(1, sizeof(*v));

	if (!v)
		return ptd_err(e, -ENOMEM, "out of memory");
	p->priv = v;
	v->port = p;
	v->d = d;
	v->queues = vc->queues;
	v->client = vc->client;
	v->mtu = p->mtu ? p->mtu : 1500;
	v->listen.fd = v->sock = v->timer_fd = v->infl_fd = -1;
	v->ev_listen.fd = v->ev_sock.fd = v->ev_timer.fd = v->ev_ctrl.fd = -1;
	v->pairs = (uint16_t)v->queues;
	snprintf(v->path, sizeof(v->path), "%s", vc->path);
	for (unsigned int r = 0; r < VHOST_MAX_VRINGS; r++)
		v->vr[r].kick = v->vr[r].call = v->vr[r].err = -1;
	v->hdr_len = PTNET_VNET_HDR_LEN;
	for (unsigned int i = 0; i < PTNET_MAX_RINGS; i++)
		v->qp[i].stop_efd = v->qp[i].irq_rfd = v->qp[i].epfd = -1;
	for (unsigned int i = 0; i < v->queues; i++) {
		struct vhost_qp *q = &v->qp[i];
		int irq[2];

		q->dev = v;
		q->idx = i;
		if (pipe2(irq, O_NONBLOCK | O_CLOEXEC) < 0)
			return ptd_err(e, -errno, "cannot create notification pipes: %s",
				       strerror(errno));
		q->irq_rfd = irq[0];
		p->rxq[i].irq_wfd = irq[1];
		q->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		q->epfd = epoll_create1(EPOLL_CLOEXEC);
		q->lin = malloc(PTD_GSO_SCRATCH_MAX);
		q->seg = malloc(PTD_GSO_SCRATCH_MAX);
		if (q->stop_efd < 0 || q->epfd < 0)
			return ptd_err(e, -errno, "cannot create the queue's events: %s",
				       strerror(errno));
		if (!q->lin || !q->seg)
			return ptd_err(e, -ENOMEM, "out of memory");
		q->tx_head = p->txq[i].hwcur;
		v->rx_head[i] = 0;
	}
	v->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (v->timer_fd < 0)
		return ptd_err(e, -errno, "cannot create a timer: %s", strerror(errno));
	return 0;
}

static int vhost_start(struct ptd *d, struct ptd_port *p, struct ptd_err *e)
{
	struct vhost_dev *v = p->priv;
	int fd, ret;

	ret = ptd_ev_add(d, &v->ev_timer, v->timer_fd, EPOLLIN, on_timer);
	if (ret)
		return ptd_err(e, ret, "cannot watch the timer: %s", strerror(-ret));
	if (v->client) {
		v->backoff_ms = BACKOFF_MIN_MS;
		start_connect(v);
		LOG_INFO("vhost port %s: connecting to the front-end on %s (%u queue pair%s)",
			 p->name, v->path, v->queues, v->queues > 1 ? "s" : "");
		return 0;
	}
	ret = ptd_usock_listen(&v->listen, v->path, 4);
	if (ret) {
		ret = ptd_err(e, ret, "cannot listen on %s: %s%s", v->path, strerror(-ret),
			      ret == -EADDRINUSE ? " (remove the stale file or pick another path)" : "");
		v->path[0] = '\0';	/* not ours: never unlink it */
		return ret;
	}
	fd = v->listen.fd;
	ret = ptd_ev_add(d, &v->ev_listen, fd, EPOLLIN, on_accept);
	if (ret)
		return ptd_err(e, ret, "cannot serve %s: %s", v->path, strerror(-ret));
	LOG_INFO("vhost port %s: vhost-user backend listening on %s (%u queue pair%s)", p->name,
		 v->path, v->queues, v->queues > 1 ? "s" : "");
	return 0;
}

static void vhost_stop(struct ptd *d, struct ptd_port *p)
{
	struct vhost_dev *v = p->priv;

	ptd_ev_del(d, &v->ev_listen);
	ptd_ev_del(d, &v->ev_sock);
	ptd_ev_del(d, &v->ev_timer);
	qp_stop_all(v);
	ptd_usock_close(&v->listen, v->path);
	closefd(&v->sock);
}

static void vhost_free(struct ptd *d, struct ptd_port *p)
{
	struct vhost_dev *v = p->priv;

	p->priv = NULL;
	if (v) {
		vhu_reader_reset(&v->rd);
		dev_release(v);		/* off the switch already: no forwarding to stop */
		closefd(&v->timer_fd);
		for (unsigned int i = 0; i < PTNET_MAX_RINGS; i++) {
			closefd(&v->qp[i].stop_efd);
			closefd(&v->qp[i].irq_rfd);
			closefd(&v->qp[i].epfd);
			free(v->qp[i].lin);
			free(v->qp[i].seg);
		}
		v->port = NULL;
		ptd_defer_free(d, &v->gone, v);	/* the current event batch may name it */
	}
	ptd_port_close_fds(p);
}

static const char *state_of(const struct vhost_dev *v)
{
	if (v->sock < 0)
		return v->client ? "connecting" : "disconnected";
	for (unsigned int i = 0; i < v->queues; i++)
		if (PTNET_READ_ONCE(v->qp[i].broken))
			return "broken";
	if (v->ctrl_broken)
		return "broken";
	return any_running(v) ? "running" : "connected";
}

static int vhost_describe(const struct ptd_port *p, char *buf, size_t len)
{
	const struct vhost_dev *v = p->priv;
	unsigned int active = 0;

	for (unsigned int i = 0; i < v->queues; i++)
		active += v->qp[i].running;
	return snprintf(buf, len, " socket=%s mode=%s state=%s queues=%u active=%u "
			"features=0x%llx protocol=0x%llx guest_mtu=%u connects=%llu", v->path,
			v->client ? "client" : "server", state_of(v), v->queues, active,
			(unsigned long long)v->features, (unsigned long long)v->proto, v->mtu,
			(unsigned long long)v->connects);
}

/* vhost-add NAME socket=PATH [queues=N] [mac=MAC] [client=1] */
static int do_vhost_add(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
			struct ptd_reply *r, struct ptd_err *e)
{
	static const char *const keys[] = { "socket", "queues", "mac", "client", NULL };
	struct vhost_conf vc = { .queues = 1 };
	struct ptnet_port_opts o = { 0 };
	struct sockaddr_un sa;
	struct ptd_port *p;
	const char *v;
	int ret;

	if (t->n < 3)
		return ptd_err(e, -EINVAL, "usage: vhost-add NAME socket=PATH [queues=N] [mac=MAC] "
			       "[client=1]");
	ret = ptd_ctl_check_keys(t, 2, keys, "vhost", e);
	if (ret)
		return ret;
	vc.path = ptc_kv_get(t, 2, "socket");
	if (!vc.path || vc.path[0] != '/' || strlen(vc.path) >= sizeof(sa.sun_path))
		return ptd_err(e, -EINVAL, "socket=PATH must be an absolute path of at most %zu "
			       "bytes", sizeof(sa.sun_path) - 1);
	v = ptc_kv_get(t, 2, "queues");
	if (v && ptc_parse_u32(v, 1, PTNET_MAX_RINGS, &vc.queues))
		return ptd_err(e, -EINVAL, "queues=%.16s: must be 1..%d", v, PTNET_MAX_RINGS);
	v = ptc_kv_get(t, 2, "client");
	if (v && strcmp(v, "0") && strcmp(v, "1"))
		return ptd_err(e, -EINVAL, "client=%.16s: must be 0 or 1", v);
	vc.client = v && !strcmp(v, "1");
	v = ptc_kv_get(t, 2, "mac");
	if (v) {
		if (ptc_parse_mac(v, o.mac) || (o.mac[0] & 1))
			return ptd_err(e, -EINVAL, "mac=%.32s: want a unicast aa:bb:cc:dd:ee:ff", v);
		o.mac_set = 1;
	}
	o.tx_rings = o.rx_rings = (uint16_t)vc.queues;
	/* Room for ~120 TSO frames of 64 KiB in flight per ring. */
	o.tx_slots = o.rx_slots = 2048;
	o.buf_size = 4096;
	o.vnet_hdr_len = PTNET_VNET_HDR_LEN;
	o.mtu = 1500;
	ret = ptc_opts_finish(&o, e->msg, sizeof(e->msg));
	if (ret)
		return ret;
	ret = ptd_port_create(d, t->tok[1], &o, &ptd_vhost_ops, &vc, &c->cr, &p, e);
	if (ret)
		return ret;
	snprintf(r->text, sizeof(r->text), "socket=%s queues=%u mode=%s", vc.path, vc.queues,
		 vc.client ? "client" : "server");
	return 0;
}

/* vhost-del NAME */
static int do_vhost_del(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
			struct ptd_reply *r, struct ptd_err *e)
{
	(void)r;
	return ptd_ctl_del_kind(d, c, t, &ptd_vhost_ops, e);
}

static const struct ptd_request vhost_requests[] = {
	{ "vhost-add", do_vhost_add, true },
	{ "vhost-del", do_vhost_del, true },
	{ NULL, NULL, false },
};

const struct ptd_port_ops ptd_vhost_ops = {
	.name = "vhost",
	.region_kind = PTNET_KIND_VHOST,
	.flags = PTD_KIND_SELF_FORWARD | PTD_KIND_STARTS_DOWN,
	.create = vhost_create,
	.start = vhost_start,
	.stop = vhost_stop,
	.free = vhost_free,
	.describe = vhost_describe,
	.requests = vhost_requests,
};
