// SPDX-License-Identifier: BSD-2-Clause
/*
 * tap.c - TAP ports: a kernel network interface (optionally in another
 * network namespace) on a switch, with the virtio-net header so the kernel
 * hands over and accepts TSO/GSO frames with partial checksums.
 *
 * The port has an ordinary region; for each queue a thread of ptnetd plays
 * the client: it reads frames from the TAP queue straight into the free
 * slots of TX ring i (chains of buffers, one read per frame) and writes the
 * frames the switch put into RX ring i to the queue (one writev per frame).
 * It uses the same CSB protocol and notifications as any client, and
 * sleeps in epoll when there is nothing to do.
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
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/netlink.h"

#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20
#define TUN_F_USO6	0x40
#endif

#define TAP_MAX_FRAME	(65536 + PTNET_VNET_HDR_LEN)
#define TAP_BATCH	64
#define TAP_SPIN_US	30

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
}

struct tap_io {
	struct ptd_tapq *tq;
	struct ptd_port *p;
	/* TX ring i: frames from the kernel into the switch (we are its producer). */
	struct netmap_slot *txs;
	struct nm_csb_atok *tx_atok;
	struct nm_csb_ktoa *tx_ktoa;
	uint32_t tx_n, tx_head, tx_tail;
	int tx_irq;
	/* RX ring i: frames from the switch for the kernel (we are its consumer). */
	struct netmap_slot *rxs;
	struct nm_csb_atok *rx_atok;
	struct nm_csb_ktoa *rx_ktoa;
	uint32_t rx_n, rx_head;
	int rx_irq;
	uint32_t max_slots;		/* slots a largest frame needs */
	int epfd;
	bool tap_armed;
};

static uint8_t *buf_of(struct ptd_port *p, const struct netmap_slot *s)
{
	return p->bufs + (size_t)s->buf_idx * p->buf_size;
}

/* Kernel -> switch: read frames into TX slots.  Returns frames read. */
static unsigned int tap_to_switch(struct tap_io *io)
{
	struct ptd_port *p = io->p;
	unsigned int frames = 0;
	uint32_t hwtail, hwcur;

	ptnet_csb_appl_read(io->tx_ktoa, &hwtail, &hwcur);	/* A2 */
	io->tx_tail = hwtail;
	while (frames < TAP_BATCH &&
	       ptnet_idx_dist(io->tx_head, io->tx_tail, io->tx_n) >= io->max_slots) {
		struct iovec iov[NETMAP_MAX_FRAGS];
		uint32_t j = io->tx_head;
		ssize_t n;

		for (uint32_t k = 0; k < io->max_slots; k++, j = ptnet_idx_add(j, 1, io->tx_n)) {
			iov[k].iov_base = buf_of(p, &io->txs[j]);
			iov[k].iov_len = p->buf_size;
		}
		n = readv(io->tq->fd, iov, (int)io->max_slots);
		if (n <= 0)
			break;
		/* Lay the frame over as many slots as it filled. */
		for (j = io->tx_head; n > 0; j = ptnet_idx_add(j, 1, io->tx_n)) {
			uint32_t l = n > (ssize_t)p->buf_size ? p->buf_size : (uint32_t)n;

			n -= l;
			io->txs[j].len = (uint16_t)l;
			io->txs[j].flags = n > 0 ? NS_MOREFRAG : 0;
		}
		io->tx_head = j;
		frames++;
	}
	if (frames) {
		/*
		 * Publish, then forward right here: ptnetd trusts its own
		 * threads, and skipping the worker saves a thread hop (and
		 * its wakeup) per burst.  This thread is the ring's only
		 * forwarder (no worker owns a TAP port's TX rings).
		 */
		ptnet_csb_appl_write(io->tx_atok, io->tx_head, io->tx_head);	/* A1 */
		while (ptd_txq_forward(&p->txq[io->tq->idx]))
			;
	}
	return frames;
}

/* Switch -> kernel: write the frames of RX ring i.  Returns frames written. */
static unsigned int switch_to_tap(struct tap_io *io)
{
	struct ptd_port *p = io->p;
	unsigned int frames = 0;
	uint64_t drops = 0;
	uint32_t hwtail, hwcur;

	ptnet_csb_appl_read(io->rx_ktoa, &hwtail, &hwcur);	/* A2 */
	if (hwtail >= io->rx_n)
		return 0;
	while (io->rx_head != hwtail && frames < 4 * TAP_BATCH) {
		struct iovec iov[NETMAP_MAX_FRAGS];
		uint32_t j = io->rx_head, k = 0, total = 0;
		const struct netmap_slot *s;

		do {
			s = &io->rxs[j];
			iov[k].iov_base = buf_of(p, s);
			iov[k].iov_len = s->len;
			total += s->len;
			k++;
			j = ptnet_idx_add(j, 1, io->rx_n);
		} while ((s->flags & NS_MOREFRAG) && j != hwtail && k < NETMAP_MAX_FRAGS);
		if ((s->flags & NS_MOREFRAG) && j == hwtail)
			break;		/* cannot happen: the switch publishes whole frames */
		if (total > PTNET_VNET_HDR_LEN && writev(io->tq->fd, iov, (int)k) < 0)
			drops++;
		io->rx_head = j;
		frames++;
	}
	if (frames)
		ptnet_csb_appl_write(io->rx_atok, io->rx_head, io->rx_head);	/* A1: release */
	if (drops)
		ptnet_stat_add(&p->st.drop_io, drops);
	return frames;
}

static void drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
		;
}

/* Nothing to do: enable notifications with the double check, then sleep. */
static bool tap_sleep(struct tap_io *io)
{
	struct epoll_event ev[4];
	bool tx_room = ptnet_idx_dist(io->tx_head, io->tx_tail, io->tx_n) >= io->max_slots;
	bool stop = false;
	int n;

	/* N1: RX ring (packets from the switch) and, when full, TX ring (room). */
	if (ptnet_csb_appl_enable(io->rx_atok, io->rx_ktoa) != io->rx_head) {
		ptnet_csb_appl_disable(io->rx_atok);
		return false;
	}
	if (!tx_room && ptnet_csb_appl_enable(io->tx_atok, io->tx_ktoa) != io->tx_tail) {
		ptnet_csb_appl_disable(io->tx_atok);
		ptnet_csb_appl_disable(io->rx_atok);
		return false;
	}
	/* Do not wake on a readable TAP while there is no room to read into. */
	if (tx_room != io->tap_armed) {
		struct epoll_event e = { .events = tx_room ? EPOLLIN : 0, .data.u32 = 0 };

		epoll_ctl(io->epfd, EPOLL_CTL_MOD, io->tq->fd, &e);
		io->tap_armed = tx_room;
	}
	n = epoll_wait(io->epfd, ev, 4, -1);
	ptnet_csb_appl_disable(io->rx_atok);
	ptnet_csb_appl_disable(io->tx_atok);
	for (int i = 0; i < n; i++) {
		switch (ev[i].data.u32) {
		case 1:
			drain(io->rx_irq);
			break;
		case 2:
			drain(io->tx_irq);
			break;
		case 3:
			stop = true;
			break;
		}
	}
	return stop;
}

static void *tap_main(void *arg)
{
	struct ptd_tapq *tq = arg;
	struct ptd_port *p = tq->port;
	unsigned int i = tq->idx;
	struct tap_io io = {
		.tq = tq,
		.p = p,
		.txs = p->txq[i].slot,
		.tx_atok = p->txq[i].atok,
		.tx_ktoa = p->txq[i].ktoa,
		.tx_n = p->txq[i].nslots,
		.tx_irq = p->irq_rfd[i],
		.rxs = p->rxq[i].slot,
		.rx_atok = p->rxq[i].atok,
		.rx_ktoa = p->rxq[i].ktoa,
		.rx_n = p->rxq[i].nslots,
		.rx_irq = p->irq_rfd[p->ntx + i],
		.tap_armed = true,
	};
	struct epoll_event e = { .events = EPOLLIN };
	uint64_t last = now_us();

	io.max_slots = (TAP_MAX_FRAME + p->buf_size - 1) / p->buf_size;
	io.tx_tail = io.tx_n - 1;
	io.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (io.epfd < 0) {
		LOG_ERR("tap %s: epoll: %s", p->name, strerror(errno));
		return NULL;
	}
	e.data.u32 = 0;
	epoll_ctl(io.epfd, EPOLL_CTL_ADD, tq->fd, &e);
	e.data.u32 = 1;
	epoll_ctl(io.epfd, EPOLL_CTL_ADD, io.rx_irq, &e);
	e.data.u32 = 2;
	epoll_ctl(io.epfd, EPOLL_CTL_ADD, io.tx_irq, &e);
	e.data.u32 = 3;
	epoll_ctl(io.epfd, EPOLL_CTL_ADD, tq->stop_efd, &e);

	for (;;) {
		unsigned int work = switch_to_tap(&io) + tap_to_switch(&io);
		uint64_t t;

		if (work) {
			last = now_us();
			continue;
		}
		t = now_us();
		if (t - last < TAP_SPIN_US) {
			sched_yield();
			continue;
		}
		if (tap_sleep(&io))
			break;
		last = now_us();
	}
	close(io.epfd);
	return NULL;
}

/* Open NQ queues of TAP IFNAME in the current network namespace. */
static int tap_open(struct ptd_tap *t, unsigned int nq, char *err, size_t errlen)
{
	unsigned int offl = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
	int hdr = PTNET_VNET_HDR_LEN;

	for (unsigned int i = 0; i < nq; i++) {
		struct ifreq ifr = { 0 };
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

		if (fd < 0) {
			snprintf(err, errlen, "cannot open /dev/net/tun: %s", strerror(errno));
			return -errno;
		}
		t->q[i].fd = fd;
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (nq > 1 ? IFF_MULTI_QUEUE : 0);
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->ifname);
		if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
			int ret = -errno;

			snprintf(err, errlen, "cannot create TAP %s: %s%s", t->ifname, strerror(errno),
				 errno == EBUSY || errno == EINVAL ? " (an interface with that name "
				 "exists? pick another with --ifname)" : "");
			return ret;
		}
		if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
			snprintf(err, errlen, "TAP %s: cannot set the virtio-net header size: %s",
				 t->ifname, strerror(errno));
			return -errno;
		}
		if (ioctl(fd, TUNSETOFFLOAD, offl | TUN_F_USO4 | TUN_F_USO6) < 0 &&
		    ioctl(fd, TUNSETOFFLOAD, offl) < 0) {
			snprintf(err, errlen, "TAP %s: cannot enable offloads: %s", t->ifname,
				 strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* Create the interface (in NETNS if given) and configure it. */
static int tap_setup(struct ptd_tap *t, const struct ptd_tap_conf *tc, const uint8_t *mac,
		     char *err, size_t errlen)
{
	struct mnl_socket *nl = NULL;
	int orig = -1, ns = -1, ret;

	if (tc->netns) {
		char path[128];

		snprintf(path, sizeof(path), "/run/netns/%s", tc->netns);
		orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		ns = open(path, O_RDONLY | O_CLOEXEC);
		if (orig < 0 || ns < 0) {
			ret = -errno;
			snprintf(err, errlen, "no network namespace '%s' (%s): create it with "
				 "'ip netns add %s'", tc->netns, strerror(errno), tc->netns);
			goto out;
		}
		if (setns(ns, CLONE_NEWNET) < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot enter network namespace '%s': %s", tc->netns,
				 strerror(errno));
			goto out;
		}
	}
	ret = tap_open(t, t->nq, err, errlen);
	if (ret)
		goto back;
	t->ifindex = if_nametoindex(t->ifname);
	ret = ptd_nl_open(&nl);
	if (!ret)
		ret = ptd_nl_link_set(nl, t->ifindex, tc->mtu, mac, true);
	if (ret)
		snprintf(err, errlen, "cannot configure %s (mtu %u): %s", t->ifname, tc->mtu,
			 strerror(-ret));
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

void ptd_tap_stop(struct ptd_port *p)
{
	struct ptd_tap *t = p->tap;

	if (!t)
		return;
	for (unsigned int i = 0; i < t->nq; i++) {
		struct ptd_tapq *q = &t->q[i];
		uint64_t one = 1;

		if (q->started) {
			ssize_t w = write(q->stop_efd, &one, sizeof(one));

			(void)w;
			pthread_join(q->thread, NULL);
		}
		if (q->stop_efd >= 0)
			close(q->stop_efd);
		if (q->fd >= 0)
			close(q->fd);	/* the last queue closed removes the interface */
	}
	free(t);
	p->tap = NULL;
}

int ptd_tap_create(struct ptd *d, const char *name, const struct ptd_tap_conf *tc,
		   const struct ptd_cred *cr, struct ptd_port **pp, char *err, size_t errlen)
{
	struct ptnet_port_opts o = { 0 };
	struct ptc_portname pn;
	struct ptd_port *p;
	struct ptd_tap *t;
	unsigned int given = 0;
	uint8_t mac[6];
	int ret;

	ret = ptc_parse_portname(name, &pn, NULL, &given, err, errlen);
	if (ret)
		return ret;
	if (tc->ifname && (strlen(tc->ifname) >= IFNAMSIZ || !*tc->ifname ||
			   strchr(tc->ifname, '/') || strchr(tc->ifname, ':'))) {
		snprintf(err, errlen, "bad interface name '%.32s' (1..15 characters, no '/' ':')",
			 tc->ifname);
		return -EINVAL;
	}
	if (tc->queues < 1 || tc->queues > PTNET_MAX_RINGS || tc->mtu < 68 || tc->mtu > 9000) {
		snprintf(err, errlen, "queues must be 1..%d and mtu 68..9000", PTNET_MAX_RINGS);
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	snprintf(t->ifname, sizeof(t->ifname), "%s", tc->ifname ? tc->ifname : pn.port);
	snprintf(t->netns, sizeof(t->netns), "%s", tc->netns ? tc->netns : "");
	t->nq = tc->queues;
	for (unsigned int i = 0; i < PTNET_MAX_RINGS; i++)
		t->q[i].fd = t->q[i].stop_efd = -1;

	o.tx_rings = o.rx_rings = (uint16_t)tc->queues;
	/* Room for ~240 TSO frames of 64 KiB in flight per ring. */
	o.tx_slots = o.rx_slots = 4096;
	o.buf_size = 4096;
	o.vnet_hdr_len = PTNET_VNET_HDR_LEN;
	o.mtu = tc->mtu;
	if (tc->mac) {
		memcpy(o.mac, tc->mac, 6);
		o.mac_set = 1;
	}
	ret = ptc_opts_finish(&o, err, errlen);
	if (ret) {
		free(t);
		return ret;
	}
	ret = ptd_port_create(d, name, &o, PTNET_KIND_TAP, cr, &p, err, errlen);
	if (ret) {
		free(t);
		return ret;
	}
	p->tap = t;
	p->mtu = tc->mtu;
	memcpy(mac, p->mac, 6);
	ret = tap_setup(t, tc, mac, err, errlen);
	for (unsigned int i = 0; !ret && i < t->nq; i++) {
		struct ptd_tapq *q = &t->q[i];

		q->port = p;
		q->idx = i;
		q->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->stop_efd < 0) {
			ret = -errno;
			snprintf(err, errlen, "eventfd: %s", strerror(errno));
			break;
		}
		ret = -pthread_create(&q->thread, NULL, tap_main, q);
		if (ret)
			snprintf(err, errlen, "cannot start a thread: %s", strerror(-ret));
		else
			q->started = true;
	}
	if (ret) {
		ptd_port_destroy(d, p);
		return ret;
	}
	LOG_INFO("tap port %s: interface %s%s%s, %u queue%s, mtu %u", p->name, t->ifname,
		 t->netns[0] ? " in netns " : "", t->netns, t->nq, t->nq > 1 ? "s" : "", tc->mtu);
	*pp = p;
	return 0;
}
