// SPDX-License-Identifier: BSD-2-Clause
/*
 * sync.c - txsync/rxsync over the CSB and waiting with notification
 * suppression (netmap-facts §3.3-3.4; barriers live in ring.h).
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "lib/internal.h"

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * Has ptnetd gone?  A clean stop marks the region dead; a killed ptnetd
 * cannot, so every 1024 syncs of a ring also peek at the control socket
 * (one cheap system call) for its hang-up.
 */
static int ctl_hung_up(struct ptnet_port *p)
{
	char c;
	ssize_t r;

	if (p->ctl_fd < 0)
		return 0;
	r = recv(p->ctl_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	/*
	 * In a guest ctl_fd is the /dev/ptnetN file, not a socket (guest.c):
	 * ENOTSOCK says nothing about ptnetd; the driver reports a vanished
	 * device through the region's status and POLLHUP instead.
	 */
	return r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR && errno != ENOTSOCK);
}

static inline int port_dead(struct ptnet_port *p, struct ptnet_lring *l)
{
	if (PTNET_READ_ONCE(p->dead))
		return 1;
	if ((ptnet_region_status(p->status) & PTNET_STATUS_DEAD) ||	/* S2 */
	    (l && ++l->polls % 1024 == 0 && ctl_hung_up(p))) {
		PTNET_WRITE_ONCE(p->dead, 1);
		return 1;
	}
	return 0;
}

/* Refresh ring->tail from ktoa (A2); ptnetd's value is checked, not trusted blindly. */
static inline void refresh_tail(struct ptnet_lring *l)
{
	uint32_t hwtail, hwcur;

	ptnet_csb_appl_read(l->ktoa, &hwtail, &hwcur);
	if (hwtail < l->nslots)
		l->ring->tail = hwtail;
}

static inline int sync_one(struct ptnet_lring *l, int tx)
{
	struct netmap_ring *r = l->ring;
	uint32_t head = r->head, cur = r->cur;

	if (head >= l->nslots || cur >= l->nslots)
		return -EINVAL;
	if (head != l->pub_head) {
		ptnet_csb_appl_write(l->atok, head, cur);	/* A1 */
		l->pub_head = head;
		/* Only TX rings are drained by ptnetd; RX space is read on demand. */
		if (tx && ptnet_csb_appl_need_kick(l->ktoa)) {
			static const char one = 1;
			ssize_t w = write(l->kick_fd, &one, 1);	/* EAGAIN: kick pending */

			(void)w;
		}
	}
	refresh_tail(l);
	return 0;
}

/* Sync ring I of P (TX rings first): a pipe end's protocol or the CSB. */
static inline int ring_sync(struct ptnet_port *p, unsigned int i)
{
	if (p->pipe)
		return ptl_pipe_sync(p->pipe, i);
	return sync_one(&p->r[i], i < p->ntx);
}

/* N1 (application side) on ring I, just synced: 1 if it may be ready already. */
static inline int ring_enable(struct ptnet_port *p, unsigned int i)
{
	if (p->pipe)
		return ptl_pipe_enable(p->pipe, i);
	return ptnet_csb_appl_enable(p->r[i].atok, p->r[i].ktoa) != p->r[i].ring->cur;
}

static inline void ring_disable(struct ptnet_port *p, unsigned int i)
{
	if (p->pipe)
		ptl_pipe_disable(p->pipe, i);
	else
		ptnet_csb_appl_disable(p->r[i].atok);
}

int ptnet_txsync(struct ptnet_port *p, unsigned int ring)
{
	if (port_dead(p, ring < p->ntx ? &p->r[ring] : &p->r[0]))
		return ptl_err(-EPIPE, "port %s was detached", p->info.name);
	if (ring == PTNET_ALL_RINGS) {
		for (unsigned int i = 0; i < p->ntx; i++)
			if (ring_sync(p, i))
				return ptl_err(-EINVAL, "TX ring %u: head or cur out of range", i);
		return 0;
	}
	if (ring >= p->ntx)
		return ptl_err(-EINVAL, "no TX ring %u (port has %u)", ring, p->ntx);
	if (ring_sync(p, ring))
		return ptl_err(-EINVAL, "TX ring %u: head or cur out of range", ring);
	return 0;
}

int ptnet_rxsync(struct ptnet_port *p, unsigned int ring)
{
	if (port_dead(p, ring < p->nrx ? &p->r[p->ntx + ring] : &p->r[p->ntx]))
		return ptl_err(-EPIPE, "port %s was detached", p->info.name);
	if (ring == PTNET_ALL_RINGS) {
		for (unsigned int i = 0; i < p->nrx; i++)
			if (ring_sync(p, p->ntx + i))
				return ptl_err(-EINVAL, "RX ring %u: head or cur out of range", i);
		return 0;
	}
	if (ring >= p->nrx)
		return ptl_err(-EINVAL, "no RX ring %u (port has %u)", ring, p->nrx);
	if (ring_sync(p, p->ntx + ring))
		return ptl_err(-EINVAL, "RX ring %u: head or cur out of range", ring);
	return 0;
}

/* Rings of the kinds in WHAT: [*first, *last). */
static void ring_range(const struct ptnet_port *p, unsigned int what, unsigned int *first,
		       unsigned int *last)
{
	*first = what & PTNET_WAIT_TX ? 0 : p->ntx;
	*last = what & PTNET_WAIT_RX ? p->ntx + p->nrx : p->ntx;
}

/* Sync the rings of WHAT; is any of them ready (tail past cur)? */
static int ready(struct ptnet_port *p, unsigned int what)
{
	unsigned int first, last;
	int any = 0;

	ring_range(p, what, &first, &last);
	for (unsigned int i = first; i < last; i++) {
		struct ptnet_lring *l = &p->r[i];

		if (ring_sync(p, i))
			return -EINVAL;
		if (l->ring->tail != l->ring->cur)
			any = 1;
	}
	return any;
}

/* Enable notifications on the rings of WHAT, just synced: 1 if one became ready. */
static int arm(struct ptnet_port *p, unsigned int what)
{
	unsigned int first, last;

	ring_range(p, what, &first, &last);
	p->armed = what;
	for (unsigned int i = first; i < last; i++) {
		/* N1 (application side): enable, full barrier, re-check. */
		if (ring_enable(p, i)) {
			ptnet_port_disarm(p);
			if (!p->pipe)
				refresh_tail(&p->r[i]);
			return 1;
		}
	}
	return 0;
}

int ptnet_port_arm(struct ptnet_port *p, unsigned int what)
{
	int r = ready(p, what);

	if (r)
		return r < 0 ? ptl_err(r, "ring head or cur out of range") : 1;
	return arm(p, what);
}

void ptnet_port_disarm(struct ptnet_port *p)
{
	unsigned int first, last;

	if (!p->armed)
		return;
	ring_range(p, p->armed, &first, &last);
	for (unsigned int i = first; i < last; i++)
		ring_disable(p, i);
	p->armed = 0;
}

/* Empty the irq pipes that fired; notice a closed control connection. */
static int consume_events(struct ptnet_port *p, int timeout_ms)
{
	struct epoll_event ev[2 * PTNET_MAX_RINGS + 1];
	char buf[64];
	int n;

	n = epoll_wait(p->epfd, ev, (int)(sizeof(ev) / sizeof(ev[0])), timeout_ms);
	if (n < 0)
		return errno == EINTR ? -EINTR : -errno;
	for (int i = 0; i < n; i++) {
		uint32_t k = ev[i].data.u32;

		if (k == 0xffff) {
			ssize_t r = recv(p->ctl_fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
				PTNET_WRITE_ONCE(p->dead, 1);
			continue;
		}
		if (k < 2 * PTNET_MAX_RINGS) {
			while (read(p->r[k].irq_fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
				;
		}
	}
	return n;
}

int ptnet_port_wait(struct ptnet_port *p, unsigned int what, int timeout_ms)
{
	uint64_t start = now_us(), deadline = timeout_ms < 0 ? UINT64_MAX :
					       start + (uint64_t)timeout_ms * 1000;
	int r;

	what &= PTNET_WAIT_TX | PTNET_WAIT_RX;
	if (!what)
		return ptl_err(-EINVAL, "nothing to wait for");
	for (;;) {
		uint64_t t;
		int ms;

		if (port_dead(p, NULL))
			return ptl_err(-EPIPE, "port %s was detached", p->info.name);
		r = ready(p, what);
		if (r)
			return r < 0 ? ptl_err(r, "ring head or cur out of range") : 1;
		t = now_us();
		if (t >= deadline)
			return 0;
		if (t - start < p->spin_us) {
			/* Short poll: far cheaper than a cross-CPU wakeup. */
			sched_yield();
			continue;
		}
		/* Synced just above: arm without syncing every ring a second time. */
		r = arm(p, what);
		if (r)
			return r;
		ms = deadline == UINT64_MAX ? -1 : (int)((deadline - t + 999) / 1000);
		r = consume_events(p, ms);
		ptnet_port_disarm(p);
		if (r == -EINTR)
			return ptl_err(-EINTR, "interrupted");
		if (r < 0)
			return ptl_err(r, "epoll_wait: %s", strerror(-r));
	}
}

/*
 * Per-ring wait for threads that each own a ring pair: touches only TX ring
 * RING and/or RX ring RING, and sleeps in poll() on their irq pipes alone.
 */
int ptnet_ring_wait(struct ptnet_port *p, unsigned int what, unsigned int ring, int timeout_ms)
{
	uint64_t start = now_us(), deadline = timeout_ms < 0 ? UINT64_MAX :
					       start + (uint64_t)timeout_ms * 1000;
	unsigned int l[2];
	unsigned int nl = 0;

	if ((what & PTNET_WAIT_TX) && ring < p->ntx)
		l[nl++] = ring;
	if ((what & PTNET_WAIT_RX) && ring < p->nrx)
		l[nl++] = p->ntx + ring;
	if (!nl || nl != (unsigned int)!!(what & PTNET_WAIT_TX) + !!(what & PTNET_WAIT_RX))
		return ptl_err(-EINVAL, "no such ring %u", ring);
	for (;;) {
		struct pollfd pfd[3];
		unsigned int k;
		uint64_t t;
		int r, ms;

		if (port_dead(p, NULL))
			return ptl_err(-EPIPE, "port %s was detached", p->info.name);
		for (k = 0; k < nl; k++) {
			if (ring_sync(p, l[k]))
				return ptl_err(-EINVAL, "ring head or cur out of range");
			if (p->r[l[k]].ring->tail != p->r[l[k]].ring->cur)
				return 1;
		}
		t = now_us();
		if (t >= deadline)
			return 0;
		if (t - start < p->spin_us) {
			sched_yield();
			continue;
		}
		/* N1 (application side) on each ring, then sleep. */
		for (k = 0; k < nl; k++)
			if (ring_enable(p, l[k]))
				break;
		if (k < nl) {
			for (k = 0; k < nl; k++)
				ring_disable(p, l[k]);
			continue;
		}
		for (k = 0; k < nl; k++) {
			pfd[k].fd = p->r[l[k]].irq_fd;
			pfd[k].events = POLLIN;
		}
		pfd[nl].fd = p->ctl_fd;
		pfd[nl].events = POLLIN | POLLRDHUP;
		ms = deadline == UINT64_MAX ? -1 : (int)((deadline - t + 999) / 1000);
		r = poll(pfd, nl + 1, ms);
		for (k = 0; k < nl; k++) {
			char buf[64];

			ring_disable(p, l[k]);
			if (r > 0 && (pfd[k].revents & POLLIN))
				while (read(p->r[l[k]].irq_fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
					;
		}
		if (r < 0 && errno == EINTR)
			return ptl_err(-EINTR, "interrupted");
		if (r > 0 && (pfd[nl].revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR))) {
			char buf[64];
			ssize_t n = recv(p->ctl_fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				PTNET_WRITE_ONCE(p->dead, 1);
		}
	}
}

int ptnet_ring_arm(struct ptnet_port *p, unsigned int what, unsigned int ring)
{
	unsigned int i = what == PTNET_WAIT_TX ? ring : p->ntx + ring;

	if ((what != PTNET_WAIT_TX && what != PTNET_WAIT_RX) ||
	    ring >= (what == PTNET_WAIT_TX ? p->ntx : p->nrx))
		return ptl_err(-EINVAL, "no such ring %u", ring);
	if (ring_enable(p, i)) {
		ring_disable(p, i);
		return 1;
	}
	return 0;
}

void ptnet_ring_disarm(struct ptnet_port *p, unsigned int what, unsigned int ring)
{
	if ((what == PTNET_WAIT_TX && ring < p->ntx) || (what == PTNET_WAIT_RX && ring < p->nrx))
		ring_disable(p, what == PTNET_WAIT_TX ? ring : p->ntx + ring);
}
