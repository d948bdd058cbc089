// SPDX-License-Identifier: BSD-2-Clause
/*
 * tap.c - the tap kind: a kernel network interface (optionally in another
 * network namespace) on a switch, with the virtio-net header so the kernel
 * hands over and accepts TSO/GSO frames with partial checksums.
 *
 * The port has an ordinary region that no one else maps; for each queue a
 * thread of ptnetd serves both of its rings:
 *   TX ring i  frames read from the TAP queue straight into its free slots
 *              (chains of buffers, one readv per frame), then forwarded by
 *              a direct call (ptd_txq_push): no CSB, no worker, no wakeup;
 *   RX ring i  filled by the workers like any client's (CSB, lease
 *              protocol); the thread writes its frames to the queue (one
 *              writev per frame) and releases the slots through the CSB,
 *              holding the ring's writer (ptd_rxq_writer_lock);
 *   bypass     while RX ring i is empty, a forwarding thread writes
 *              frames for it straight from the source's buffers to the
 *              queue instead (tap_xmit, fwd.c's bypass): no copy into the
 *              ring, no wakeup.
 * It sleeps in epoll when there is nothing to do, woken by the RX ring's
 * irq pipe, the readable TAP or its stop eventfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <ptnet/ring.h>
#include "daemon/ctl.h"
#include "daemon/fwd.h"
#include "daemon/log.h"
#include "daemon/netlink.h"
#include "daemon/port.h"
#include "daemon/worker.h"

#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20
#define TUN_F_USO6	0x40
#endif

#define TAP_MAX_FRAME	(65536 + PTNET_VNET_HDR_LEN)
#define TAP_BATCH	64
/*
 * After its last work a queue thread spins (yielding) up to its window
 * before it sleeps, then adapts the window as the workers do
 * (ptd_poll_adapt, with no floor): a wakeup
 * soon after sleeping (dense traffic, a TCP stream) widens it up to
 * TAP_SPIN_US, a late one (sparse traffic, a ping every few ms) halves it
 * down to none.  Spinning between sparse frames keeps the CPU looking busy
 * and the next wakeup lands on the other, halted vCPU: bench/tcp.sh's ping
 * measured 300 us with a fixed 30 us window against 110-160 us without.
 * The ceiling must cover a request/response turn (a thread sees one frame
 * per round trip): with 30 us sockperf's RR slept every turn at ~12k/s,
 * with 200 us it stays in the window at ~40k/s (bench/tcp.sh, same runs:
 * ping and TCP unchanged).
 */
#define TAP_SPIN_US	200
/*
 * The TX ring's hot window: frames are read only into the TAP_HOT slots at
 * tx_head, and after a push (which consumes everything: copy semantics)
 * the buffers it used are swapped forward past the window.  So the reads,
 * the switch's copies and the bypass's writes touch the same few hundred
 * KiB, still in the CPU's cache, not the ring's 16 MiB in turn.
 */
#define TAP_HOT(ms)	(TAP_BATCH + (ms) - 1)

/* What tap-add asked for. */
struct tap_conf {
	const char *ifname;		/* NULL: the port's name */
	const char *netns;		/* NULL: ptnetd's namespace */
	unsigned int queues, mtu;
};

/* One queue: the thread that serves ring pair IDX. */
struct tap_queue {
	struct ptd_port *port;
	unsigned int idx;
	int fd;				/* TAP queue, non-blocking */
	int irq_rfd;			/* RX ring i's notifications */
	int stop_efd;
	pthread_t thread;
	bool started;
	/* thread-private */
	uint32_t tx_head;		/* next TX slot to fill */
	uint32_t rx_head;		/* next RX slot to write out */
	uint32_t max_slots;		/* slots a largest frame needs */
	int epfd;
	bool tap_armed;
};

struct tap_state {
	char ifname[16];
	char netns[64];
	unsigned int ifindex;
	unsigned int nq;
	struct tap_queue q[PTNET_MAX_RINGS];
};

const struct ptd_port_ops ptd_tap_ops;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
}

static uint8_t *buf_of(struct ptd_port *p, const struct netmap_slot *s)
{
	return p->bufs + (size_t)s->buf_idx * p->buf_size;
}

/* Kernel -> switch: read frames into TX slots and forward them.  Returns frames read. */
static unsigned int tap_to_switch(struct tap_queue *tq)
{
	struct ptd_port *p = tq->port;
	struct ptd_txq *tx = &p->txq[tq->idx];
	uint32_t n = tx->nslots, start = tq->tx_head, w = TAP_HOT(tq->max_slots);
	unsigned int frames = 0;

	/* Copy semantics: every slot from hwcur on is free (one stays empty). */
	while (frames < TAP_BATCH && n - 1 - ptnet_idx_dist(tx->hwcur, tq->tx_head, n) >=
	       tq->max_slots && ptnet_idx_dist(start, tq->tx_head, n) + tq->max_slots <= w) {
		struct iovec iov[NETMAP_MAX_FRAGS];
		uint32_t j = tq->tx_head;
		ssize_t len;

		for (uint32_t k = 0; k < tq->max_slots; k++, j = ptnet_idx_add(j, 1, n)) {
			iov[k].iov_base = buf_of(p, &tx->slot[j]);
			iov[k].iov_len = p->buf_size;
		}
		len = readv(tq->fd, iov, (int)tq->max_slots);
		if (len <= 0)
			break;
		/* Lay the frame over as many slots as it filled. */
		for (j = tq->tx_head; len > 0; j = ptnet_idx_add(j, 1, n)) {
			uint32_t l = len > (ssize_t)p->buf_size ? p->buf_size : (uint32_t)len;

			len -= l;
			tx->slot[j].len = (uint16_t)l;
			tx->slot[j].flags = len > 0 ? NS_MOREFRAG : 0;
		}
		tq->tx_head = j;
		frames++;
	}
	/* This thread is the ring's only producer and its only forwarder. */
	if (!frames)
		return 0;
	ptd_txq_push(tx, tq->tx_head);
	/*
	 * All consumed (hwcur caught up; not so while the port is stopping):
	 * slots [start, tx_head) are free, swap their buffers with the cold
	 * ones just past the window, so the window from tx_head is hot again.
	 */
	if (tx->hwcur == tq->tx_head && n > 2 * w) {
		uint32_t c = ptnet_idx_dist(start, tq->tx_head, n);

		for (uint32_t i = 0; i < c; i++) {
			struct netmap_slot *a = &tx->slot[ptnet_idx_add(start, i, n)];
			struct netmap_slot *b = &tx->slot[ptnet_idx_add(start, w + i, n)];
			uint32_t t = a->buf_idx;

			a->buf_idx = b->buf_idx;
			b->buf_idx = t;
		}
	}
	return frames;
}

/* Switch -> kernel: write the frames of RX ring i.  Returns frames written. */
static unsigned int switch_to_tap(struct tap_queue *tq)
{
	struct ptd_port *p = tq->port;
	struct ptd_rxq *rx = &p->rxq[tq->idx];
	uint32_t n = rx->nslots, hwtail, hwcur;
	unsigned int frames = 0;
	uint64_t drops = 0;

	ptnet_csb_appl_read(rx->ktoa, &hwtail, &hwcur);	/* A2 */
	if (hwtail >= n || tq->rx_head == hwtail)
		return 0;
	/* Queued frames are ours to write: no bypass overtakes them meanwhile. */
	ptd_rxq_writer_lock(rx);
	while (tq->rx_head != hwtail && frames < 4 * TAP_BATCH) {
		struct iovec iov[NETMAP_MAX_FRAGS];
		uint32_t j = tq->rx_head, k = 0, total = 0;
		const struct netmap_slot *s;

		do {
			s = &rx->slot[j];
			iov[k].iov_base = buf_of(p, s);
			iov[k].iov_len = s->len;
			total += s->len;
			k++;
			j = ptnet_idx_add(j, 1, n);
		} while ((s->flags & NS_MOREFRAG) && j != hwtail && k < NETMAP_MAX_FRAGS);
		if ((s->flags & NS_MOREFRAG) && j == hwtail)
			break;		/* cannot happen: the switch publishes whole frames */
		if (total > PTNET_VNET_HDR_LEN && writev(tq->fd, iov, (int)k) < 0)
			drops++;
		tq->rx_head = j;
		frames++;
	}
	if (frames)
		ptnet_csb_appl_write(rx->atok, tq->rx_head, tq->rx_head);	/* A1: release */
	ptd_rxq_writer_unlock(rx);
	if (drops)
		ptnet_stat_add(&p->st.drop_io, drops);
	return frames;
}

/* Nothing to do: enable notifications with the double check, then sleep. */
static bool tap_sleep(struct tap_queue *tq)
{
	struct ptd_txq *tx = &tq->port->txq[tq->idx];
	struct ptd_rxq *rx = &tq->port->rxq[tq->idx];
	struct epoll_event ev[4];
	bool tx_room = tx->nslots - 1 - ptnet_idx_dist(tx->hwcur, tq->tx_head, tx->nslots) >=
		       tq->max_slots;
	bool stop = false;
	int n;

	/* N1 (application side) on the RX ring: packets from the switch. */
	if (ptnet_csb_appl_enable(rx->atok, rx->ktoa) != tq->rx_head) {
		ptnet_csb_appl_disable(rx->atok);
		return false;
	}
	/*
	 * No room in the TX ring happens only while the port is not running
	 * (it is being removed): do not wake on a readable TAP then.
	 */
	if (tx_room != tq->tap_armed) {
		struct epoll_event e = { .events = tx_room ? EPOLLIN : 0, .data.u32 = 0 };

		epoll_ctl(tq->epfd, EPOLL_CTL_MOD, tq->fd, &e);
		tq->tap_armed = tx_room;
	}
	n = epoll_wait(tq->epfd, ev, 4, -1);
	ptnet_csb_appl_disable(rx->atok);
	for (int i = 0; i < n; i++) {
		if (ev[i].data.u32 == 1)
			ptd_notify_drain(tq->irq_rfd);
		else if (ev[i].data.u32 == 2)
			stop = true;
	}
	return stop;
}

static void *tap_main(void *arg)
{
	struct tap_queue *tq = arg;
	struct ptd_port *p = tq->port;
	struct epoll_event e = { .events = EPOLLIN };
	uint64_t last = now_us(), slept;
	uint32_t spin = TAP_SPIN_US;

	tq->max_slots = (TAP_MAX_FRAME + p->buf_size - 1) / p->buf_size;
	tq->tap_armed = true;
	e.data.u32 = 0;
	epoll_ctl(tq->epfd, EPOLL_CTL_ADD, tq->fd, &e);
	e.data.u32 = 1;
	epoll_ctl(tq->epfd, EPOLL_CTL_ADD, tq->irq_rfd, &e);
	e.data.u32 = 2;
	epoll_ctl(tq->epfd, EPOLL_CTL_ADD, tq->stop_efd, &e);

	for (;;) {
		unsigned int work = switch_to_tap(tq) + tap_to_switch(tq);
		uint64_t t;

		if (work) {
			last = now_us();
			continue;
		}
		t = now_us();
		if (t - last < spin) {
			sched_yield();
			continue;
		}
		slept = t;
		if (tap_sleep(tq))
			break;
		last = now_us();
		spin = ptd_poll_adapt(spin, last - slept, 0, TAP_SPIN_US);
	}
	return NULL;
}

/* Open NQ queues of TAP IFNAME in the current network namespace. */
static int tap_open(struct tap_state *t, unsigned int nq, struct ptd_err *e)
{
	unsigned int offl = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
	int hdr = PTNET_VNET_HDR_LEN;

	for (unsigned int i = 0; i < nq; i++) {
		struct ifreq ifr = { 0 };
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

		if (fd < 0)
			return ptd_err(e, -errno, "cannot open /dev/net/tun: %s", strerror(errno));
		t->q[i].fd = fd;
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (nq > 1 ? IFF_MULTI_QUEUE : 0);
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->ifname);
		if (ioctl(fd, TUNSETIFF, &ifr) < 0)
			return ptd_err(e, -errno, "cannot create TAP %s: %s%s", t->ifname,
				       strerror(errno), errno == EBUSY || errno == EINVAL ?
				       " (an interface with that name exists? pick another with "
				       "--ifname)" : "");
		if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)
			return ptd_err(e, -errno, "TAP %s: cannot set the virtio-net header size: %s",
				       t->ifname, strerror(errno));
		if (ioctl(fd, TUNSETOFFLOAD, offl | TUN_F_USO4 | TUN_F_USO6) < 0 &&
		    ioctl(fd, TUNSETOFFLOAD, offl) < 0)
			return ptd_err(e, -errno, "TAP %s: cannot enable offloads: %s", t->ifname,
				       strerror(errno));
	}
	return 0;
}

/* Create the interface (in NETNS if given) and configure it. */
static int tap_setup(struct tap_state *t, unsigned int mtu, const uint8_t *mac, struct ptd_err *e)
{
	struct mnl_socket *nl = NULL;
	int orig = -1, ns = -1, ret;

	if (t->netns[0]) {
		char path[128];

		snprintf(path, sizeof(path), "/run/netns/%s", t->netns);
		orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		ns = open(path, O_RDONLY | O_CLOEXEC);
		if (orig < 0 || ns < 0) {
			ret = ptd_err(e, -errno, "no network namespace '%s' (%s): create it with "
				      "'ip netns add %s'", t->netns, strerror(errno), t->netns);
			goto out;
		}
		if (setns(ns, CLONE_NEWNET) < 0) {
			ret = ptd_err(e, -errno, "cannot enter network namespace '%s': %s", t->netns,
				      strerror(errno));
			goto out;
		}
	}
	ret = tap_open(t, t->nq, e);
	if (ret)
		goto back;
	t->ifindex = if_nametoindex(t->ifname);
	ret = ptd_nl_open(&nl);
	if (!ret)
		ret = ptd_nl_link_set(nl, t->ifindex, mtu, mac, true);
	if (ret)
		ptd_err(e, ret, "cannot configure %s (mtu %u): %s", t->ifname, mtu, strerror(-ret));
	ptd_nl_close(nl);
back:
	if (orig >= 0 && setns(orig, CLONE_NEWNET) < 0)
		LOG_ERR("cannot return to ptnetd's network namespace: %s", strerror(errno));
out:
	if (orig >= 0)
		close(orig);
	if (ns >= 0)
		close(ns);
	return ret;
}

static int tap_create(struct ptd *d, struct ptd_port *p, const void *conf, struct ptd_err *e)
{
	const struct tap_conf *tc = conf;
	struct tap_state *t = calloc(1, sizeof(*t));

	(void)d;
	if (!t)
		return ptd_err(e, -ENOMEM, "out of memory");
	p->priv = t;
	for (unsigned int i = 0; i < PTNET_MAX_RINGS; i++)
		t->q[i].fd = t->q[i].stop_efd = t->q[i].irq_rfd = t->q[i].epfd = -1;
	snprintf(t->ifname, sizeof(t->ifname), "%s", tc->ifname ? tc->ifname : p->pname);
	snprintf(t->netns, sizeof(t->netns), "%s", tc->netns ? tc->netns : "");
	t->nq = tc->queues;
	p->mtu = tc->mtu;
	for (unsigned int i = 0; i < t->nq; i++) {
		struct tap_queue *q = &t->q[i];
		int irq[2];

		q->port = p;
		q->idx = i;
		if (pipe2(irq, O_NONBLOCK | O_CLOEXEC) < 0)
			return ptd_err(e, -errno, "cannot create notification pipes: %s",
				       strerror(errno));
		q->irq_rfd = irq[0];
		p->rxq[i].irq_wfd = irq[1];
		q->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		q->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (q->stop_efd < 0 || q->epfd < 0)
			return ptd_err(e, -errno, "cannot create the queue's events: %s",
				       strerror(errno));
		/* Nothing published: the thread is the RX ring's only consumer. */
		q->tx_head = p->txq[i].hwcur;
		q->rx_head = 0;
	}
	return tap_setup(t, tc->mtu, p->mac, e);
}

static int tap_start(struct ptd *d, struct ptd_port *p, struct ptd_err *e)
{
	struct tap_state *t = p->priv;

	(void)d;
	for (unsigned int i = 0; i < t->nq; i++) {
		struct tap_queue *q = &t->q[i];
		int ret = -pthread_create(&q->thread, NULL, tap_main, q);

		if (ret)
			return ptd_err(e, ret, "cannot start a thread: %s", strerror(-ret));
		q->started = true;
	}
	LOG_INFO("tap port %s: interface %s%s%s, %u queue%s, mtu %u", p->name, t->ifname,
		 t->netns[0] ? " in netns " : "", t->netns, t->nq, t->nq > 1 ? "s" : "", p->mtu);
	return 0;
}

static void tap_stop(struct ptd *d, struct ptd_port *p)
{
	struct tap_state *t = p->priv;

	(void)d;
	for (unsigned int i = 0; i < t->nq; i++) {
		struct tap_queue *q = &t->q[i];

		if (q->started) {
			ptd_notify(q->stop_efd);
			pthread_join(q->thread, NULL);
			q->started = false;
		}
	}
}

static void tap_free(struct ptd *d, struct ptd_port *p)
{
	struct tap_state *t = p->priv;

	(void)d;
	for (unsigned int i = 0; t && i < PTNET_MAX_RINGS; i++) {
		struct tap_queue *q = &t->q[i];
		int *fds[] = { &q->stop_efd, &q->irq_rfd, &q->epfd, &q->fd };

		/* The last queue closed removes the interface. */
		for (size_t k = 0; k < sizeof(fds) / sizeof(fds[0]); k++)
			if (*fds[k] >= 0)
				close(*fds[k]);
	}
	free(t);
	p->priv = NULL;
	ptd_port_close_fds(p);
}

/*
 * The bypass (ptd_port_ops.xmit): one frame for queue RING from a
 * forwarding thread, which holds the ring's writer.  The queue is
 * non-blocking and the kernel takes a frame whole or not at all.
 */
static int tap_xmit(struct ptd_port *p, unsigned int ring, const struct iovec *iov, int niov)
{
	const struct tap_state *t = p->priv;

	/* RING < p->nrx, which is the queue count (fwd.c took it modulo nrx). */
	return writev(t->q[ring].fd, iov, niov) < 0 ? -errno : 0;
}

static int tap_describe(const struct ptd_port *p, char *buf, size_t len)
{
	const struct tap_state *t = p->priv;

	return snprintf(buf, len, " ifname=%s netns=%s", t->ifname,
			t->netns[0] ? t->netns : "-");
}

/* tap-add NAME [netns=NS] [ifname=IF] [queues=N] [mtu=M] [mac=MAC] */
static int do_tap_add(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
		      struct ptd_reply *r, struct ptd_err *e)
{
	static const char *const keys[] = { "netns", "ifname", "queues", "mtu", "mac", NULL };
	struct tap_conf tc = { .queues = 1, .mtu = 1500 };
	struct ptnet_port_opts o = { 0 };
	struct ptd_port *p;
	struct tap_state *ts;
	const char *v;
	int ret;

	if (t->n < 2)
		return ptd_err(e, -EINVAL, "usage: tap-add NAME [netns=NS] [ifname=IF] [queues=N] "
			       "[mtu=M] [mac=MAC]");
	ret = ptd_ctl_check_keys(t, 2, keys, "tap", e);
	if (ret)
		return ret;
	tc.netns = ptc_kv_get(t, 2, "netns");
	tc.ifname = ptc_kv_get(t, 2, "ifname");
	if (tc.netns && (!*tc.netns || strchr(tc.netns, '/') || strlen(tc.netns) > 60 ||
			 tc.netns[0] == '.'))
		return ptd_err(e, -EINVAL, "bad netns name '%.64s'", tc.netns);
	if (tc.ifname && (strlen(tc.ifname) >= IFNAMSIZ || !*tc.ifname ||
			  strchr(tc.ifname, '/') || strchr(tc.ifname, ':')))
		return ptd_err(e, -EINVAL, "bad interface name '%.32s' (1..15 characters, no '/' "
			       "':')", tc.ifname);
	v = ptc_kv_get(t, 2, "queues");
	if (v && ptc_parse_u32(v, 1, PTNET_MAX_RINGS, &tc.queues))
		return ptd_err(e, -EINVAL, "queues=%.16s: must be 1..%d", v, PTNET_MAX_RINGS);
	v = ptc_kv_get(t, 2, "mtu");
	if (v && ptc_parse_u32(v, 68, 9000, &tc.mtu))
		return ptd_err(e, -EINVAL, "mtu=%.16s: must be 68..9000", v);
	v = ptc_kv_get(t, 2, "mac");
	if (v) {
		if (ptc_parse_mac(v, o.mac) || (o.mac[0] & 1))
			return ptd_err(e, -EINVAL, "mac=%.32s: want a unicast aa:bb:cc:dd:ee:ff", v);
		o.mac_set = 1;
	}
	o.tx_rings = o.rx_rings = (uint16_t)tc.queues;
	/* Room for ~240 TSO frames of 64 KiB in flight per ring. */
	o.tx_slots = o.rx_slots = 4096;
	o.buf_size = 4096;
	o.vnet_hdr_len = PTNET_VNET_HDR_LEN;
	o.mtu = tc.mtu;
	ret = ptc_opts_finish(&o, e->msg, sizeof(e->msg));
	if (ret)
		return ret;
	ret = ptd_port_create(d, t->tok[1], &o, &ptd_tap_ops, &tc, &c->cr, &p, e);
	if (ret)
		return ret;
	ts = p->priv;
	snprintf(r->text, sizeof(r->text), "ifname=%s ifindex=%u", ts->ifname, ts->ifindex);
	return 0;
}

/* tap-del NAME */
static int do_tap_del(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
		      struct ptd_reply *r, struct ptd_err *e)
{
	(void)r;
	return ptd_ctl_del_kind(d, c, t, &ptd_tap_ops, e);
}

static const struct ptd_request tap_requests[] = {
	{ "tap-add", do_tap_add, true },
	{ "tap-del", do_tap_del, true },
	{ NULL, NULL, false },
};

const struct ptd_port_ops ptd_tap_ops = {
	.name = "tap",
	.region_kind = PTNET_KIND_TAP,
	.flags = PTD_KIND_SELF_FORWARD,
	.create = tap_create,
	.start = tap_start,
	.stop = tap_stop,
	.free = tap_free,
	.describe = tap_describe,
	.xmit = tap_xmit,
	.requests = tap_requests,
};
