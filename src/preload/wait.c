// SPDX-License-Identifier: BSD-2-Clause
/*
 * wait.c - netmap's sync and poll semantics (netmap-abi.md §7) over
 * libptnet: NIOCTXSYNC/NIOCRXSYNC, and poll/ppoll/select/pselect/epoll on
 * /dev/netmap fds.
 *
 * Every sync first checks the ring the way netmap's prologue does (head and
 * cur inside [last head, tail]); a bad ring is reset to its last good
 * state (head = cur = last head, tail restored) and reported as POLLERR by
 * poll, while the ioctls return 0, as netmap_ring_reinit does.
 *
 * Waiting: a poll on a netmap fd syncs its TX rings (unless NR_NO_TX_POLL)
 * and, for POLLIN, its RX rings; ready means cur != tail.  If nothing is
 * ready, it keeps scanning for a short adaptive window (spin_adapt), then
 * the bound rings ask for notifications (ptnet_ring_arm: the CSB's
 * appl_need_kick, or a pipe end's rx/tx_need_kick; full barrier, re-check)
 * and the real poll sleeps on the fd itself,
 * an epoll set of the rings' notification pipes (ctrl.c), then we loop.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>
#include "preload/preload.h"

#define EXPORT __attribute__((visibility("default")))

static struct netmap_ring *ring_of(const struct pnm_file *f, unsigned int i)
{
	struct ptnet_port *p = f->mem->port;
	unsigned int ntx = f->mem->ntx;
	struct netmap_ring *lr = i < ntx ? ptnet_port_txring(p, i) : ptnet_port_rxring(p, i - ntx);

	return lr;	/* libptnet's mapping: the same pages as the app's view */
}

static int ring_ok(const struct pnm_ring_shadow *s, const struct netmap_ring *r)
{
	uint32_t n = r->num_slots, head = PTNET_READ_ONCE(r->head), cur = PTNET_READ_ONCE(r->cur);

	return ptnet_idx_within(s->rhead, head, s->rtail, n) &&
	       ptnet_idx_within(head, cur, s->rtail, n);
}

static int sync_ring(struct pnm_file *f, unsigned int i, int *bad)
{
	struct pnm_mem *m = f->mem;
	struct pnm_ring_shadow *s = &m->sh[i];
	struct netmap_ring *r = ring_of(f, i);
	int ret;

	if (!ring_ok(s, r)) {
		/* netmap_ring_reinit: back to the last state we agreed on. */
		r->head = r->cur = s->rhead;
		r->tail = s->rtail;
		*bad = 1;
		pnm_dbg("%s %s ring %u: head/cur out of [%u, %u], ring reset", m->name,
			i < m->ntx ? "TX" : "RX", i < m->ntx ? i : i - m->ntx, s->rhead, s->rtail);
		return 0;
	}
	s->rhead = r->head;
	ret = i < m->ntx ? ptnet_txsync(m->port, i) : ptnet_rxsync(m->port, i - m->ntx);
	s->rtail = r->tail;
	if (ret == -EPIPE)
		return -ENXIO;
	return ret;
}

int pnm_txsync(struct pnm_file *f, int *bad)
{
	for (unsigned int i = f->txf; i < f->txl; i++) {
		int ret = sync_ring(f, i, bad);

		if (ret)
			return ret;
	}
	return 0;
}

int pnm_rxsync(struct pnm_file *f, int *bad)
{
	for (unsigned int i = f->rxf; i < f->rxl; i++) {
		int ret = sync_ring(f, f->mem->ntx + i, bad);

		if (ret)
			return ret;
	}
	return 0;
}

/* netmap_poll for one fd: the revents (0 if nothing is ready). */
static short nm_scan(struct pnm_file *f, short events)
{
	int want_tx = events & (POLLOUT | POLLWRNORM), want_rx = events & (POLLIN | POLLRDNORM);
	int bad = 0;
	short rev = 0;

	if (!f->registered)
		return POLLERR;
	if (want_tx || !(f->flags & NR_NO_TX_POLL)) {
		if (pnm_txsync(f, &bad))
			return POLLERR;
		for (unsigned int i = f->txf; want_tx && i < f->txl; i++) {
			struct netmap_ring *r = ring_of(f, i);

			if (r->cur != r->tail)
				rev |= events & (POLLOUT | POLLWRNORM);
		}
	}
	if (want_rx) {
		if (pnm_rxsync(f, &bad))
			return POLLERR;
		for (unsigned int i = f->rxf; i < f->rxl; i++) {
			struct netmap_ring *r = ring_of(f, f->mem->ntx + i);

			if (r->cur != r->tail)
				rev |= events & (POLLIN | POLLRDNORM);
		}
	}
	return bad ? POLLERR : rev;
}

/* Rings of F a wait for EVENTS sleeps on, as [first, last) pairs. */
static void wait_rings(const struct pnm_file *f, short events, unsigned int *t0, unsigned int *t1,
		       unsigned int *r0, unsigned int *r1)
{
	unsigned int ntx = f->mem->ntx;

	*t0 = *t1 = *r0 = *r1 = 0;
	if (events & (POLLOUT | POLLWRNORM))
		*t0 = f->txf, *t1 = f->txl;
	if (events & (POLLIN | POLLRDNORM))
		*r0 = ntx + f->rxf, *r1 = ntx + f->rxl;
}

static void disarm(struct pnm_file *f, short events)
{
	unsigned int t0, t1, r0, r1;
	char buf[64];

	wait_rings(f, events, &t0, &t1, &r0, &r1);
	for (unsigned int i = t0; i < t1; i++)
		ptnet_ring_disarm(f->mem->port, PTNET_WAIT_TX, i);
	for (unsigned int i = r0; i < r1; i++)
		ptnet_ring_disarm(f->mem->port, PTNET_WAIT_RX, i - f->mem->ntx);
	/* Empty the notification pipes of the bound rings (non-blocking). */
	for (unsigned int i = f->txf; i < f->txl; i++)
		while (read(ptnet_ring_fd(f->mem->port, PTNET_WAIT_TX, i), buf, sizeof(buf)) ==
		       (ssize_t)sizeof(buf))
			;
	for (unsigned int i = f->rxf; i < f->rxl; i++)
		while (read(ptnet_ring_fd(f->mem->port, PTNET_WAIT_RX, i), buf, sizeof(buf)) ==
		       (ssize_t)sizeof(buf))
			;
}

/* N1 (application side) on each ring we sleep on: 1 if one became ready. */
static int arm(struct pnm_file *f, short events)
{
	unsigned int t0, t1, r0, r1;

	wait_rings(f, events, &t0, &t1, &r0, &r1);
	for (unsigned int k = 0; k < 2; k++) {
		unsigned int a = k ? r0 : t0, b = k ? r1 : t1;

		for (unsigned int i = a; i < b; i++) {
			/* libptnet: the CSB's or a pipe end's flag, barrier, re-check. */
			if (ptnet_ring_arm(f->mem->port, k ? PTNET_WAIT_RX : PTNET_WAIT_TX,
					   k ? i - f->mem->ntx : i) != 0) {
				disarm(f, events);
				return 1;
			}
		}
	}
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/*
 * The spin window: before sleeping, a wait polls (sync, sched_yield) for up
 * to this long, as libptnet's ptnet_port_wait and ptnetd's workers do: a
 * cross-CPU wakeup costs more than the next packets take to arrive.  It
 * adapts per thread (a thread serves its own rings, as with netmap) between
 * PNM_SPIN_MIN_US and PNM_SPIN_MAX_US: an event that came within the
 * maximum window after going to sleep doubles it (a longer spin would have
 * caught it), a longer sleep or a timeout halves it.  So an idle program
 * spins at most PNM_SPIN_MIN_US per wait once the window has decayed.
 * The maximum is libptnet's 50 us: with 1 ms a busy receiver took the CPU
 * the forwarding worker needed (bench/run.sh, 2 CPUs: 1514 B at 0.75x
 * libptnet's rate, 1.06x with 50 us).
 */
#define PNM_SPIN_MIN_US 20
#define PNM_SPIN_MAX_US 50
static __thread uint32_t t_spin_us = PNM_SPIN_MAX_US;

static void spin_adapt(int woken, int64_t slept_ns)
{
	if (woken && slept_ns < PNM_SPIN_MAX_US * 1000ll)
		t_spin_us = t_spin_us * 2 > PNM_SPIN_MAX_US ? PNM_SPIN_MAX_US : t_spin_us * 2;
	else
		t_spin_us = t_spin_us / 2 < PNM_SPIN_MIN_US ? PNM_SPIN_MIN_US : t_spin_us / 2;
}

/* Still inside the spin window that started at START (ns)? Yields if so. */
static int spinning(int64_t start, int64_t now)
{
	if (now - start >= (int64_t)t_spin_us * 1000)
		return 0;
	sched_yield();
	return 1;
}

int pnm_poll_has_nm(const struct pollfd *fds, nfds_t n)
{
	for (nfds_t i = 0; i < n; i++)
		if (pnm_file_of(fds[i].fd))
			return 1;
	return 0;
}

/* Scan every fd once without sleeping: the count of ready fds, revents set. */
static int scan_all(struct pollfd *fds, nfds_t n, struct pollfd *tmp)
{
	int ready = 0, others = 0, r;

	for (nfds_t i = 0; i < n; i++) {
		struct pnm_file *f = pnm_file_of(fds[i].fd);

		tmp[i] = fds[i];
		if (f) {
			fds[i].revents = nm_scan(f, fds[i].events);
			tmp[i].fd = -1;	/* the real poll skips it */
			ready += fds[i].revents != 0;
		} else {
			others = 1;
		}
	}
	if (!others)
		return ready;
	r = real.poll(tmp, n, 0);
	if (r < 0)
		return r;
	for (nfds_t i = 0; i < n; i++)
		if (!pnm_file_of(fds[i].fd)) {
			fds[i].revents = tmp[i].revents;
			ready += tmp[i].revents != 0;
		}
	return ready;
}

int pnm_poll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *sig)
{
	int64_t spin0 = now_ns();
	int64_t deadline = ts ? spin0 + ts->tv_sec * 1000000000ll + ts->tv_nsec : -1;
	struct pollfd stack[64], *tmp = n <= 64 ? stack : calloc(n, sizeof(*tmp));
	int ret;

	if (!tmp) {
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		int64_t left, t, slept;
		struct timespec lts;
		nfds_t armed;

		ret = scan_all(fds, n, tmp);
		if (ret != 0)
			break;
		t = now_ns();
		left = deadline < 0 ? -1 : deadline - t;
		if (deadline >= 0 && left <= 0)
			break;
		if (spinning(spin0, t))
			continue;
		for (armed = 0; armed < n; armed++) {
			struct pnm_file *f = pnm_file_of(fds[armed].fd);

			if (f && arm(f, fds[armed].events))
				break;
		}
		if (armed < n) {	/* became ready while arming: undo, rescan */
			for (nfds_t i = 0; i < armed; i++) {
				struct pnm_file *f = pnm_file_of(fds[i].fd);

				if (f)
					disarm(f, fds[i].events);
			}
			continue;
		}
		for (nfds_t i = 0; i < n; i++) {
			tmp[i] = fds[i];
			if (pnm_file_of(fds[i].fd))
				tmp[i].events = POLLIN;	/* the epoll set of the rings' pipes */
		}
		if (left >= 0) {
			lts.tv_sec = left / 1000000000;
			lts.tv_nsec = left % 1000000000;
		}
		ret = real.ppoll(tmp, n, left >= 0 ? &lts : NULL, sig);
		spin0 = now_ns();
		slept = spin0 - t;
		for (nfds_t i = 0; i < n; i++) {
			struct pnm_file *f = pnm_file_of(fds[i].fd);

			if (f)
				disarm(f, fds[i].events);
		}
		if (ret < 0)
			break;
		spin_adapt(ret > 0, slept);
	}
	if (tmp != stack)
		free(tmp);
	return ret;
}

static struct timespec ms_ts(int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000 };

	return t;
}

EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct timespec t = ms_ts(timeout);

	pnm_init();
	if (!pnm_poll_has_nm(fds, n))
		return real.poll(fds, n, timeout);
	return pnm_poll(fds, n, timeout < 0 ? NULL : &t, NULL);
}

EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t len)
{
	(void)len;
	return poll(fds, n, timeout);
}

EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *sig)
{
	pnm_init();
	if (!pnm_poll_has_nm(fds, n))
		return real.ppoll(fds, n, ts, sig);
	return pnm_poll(fds, n, ts, sig);
}

/* select/pselect with a netmap fd in a set: the same as poll. */
static int has_nm_set(int nfds, fd_set *r, fd_set *w)
{
	for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++)
		if (((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w))) && pnm_file_of(fd))
			return 1;
	return 0;
}

static int select_poll(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timespec *ts,
		       const sigset_t *sig)
{
	struct pollfd pf[FD_SETSIZE];
	nfds_t n = 0;
	int ret, cnt = 0;

	for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++) {
		short ev = (short)((rd && FD_ISSET(fd, rd) ? POLLIN : 0) |
				   (wr && FD_ISSET(fd, wr) ? POLLOUT : 0) |
				   (ex && FD_ISSET(fd, ex) ? POLLPRI : 0));

		if (ev) {
			pf[n].fd = fd;
			pf[n].events = ev;
			pf[n++].revents = 0;
		}
	}
	ret = pnm_poll(pf, n, ts, sig);
	if (ret < 0)
		return ret;
	for (nfds_t i = 0; i < n; i++) {
		short r = pf[i].revents;
		int fd = pf[i].fd;

		if (r & POLLNVAL) {
			errno = EBADF;
			return -1;
		}
		if (rd && FD_ISSET(fd, rd) && !(r & (POLLIN | POLLHUP | POLLERR)))
			FD_CLR(fd, rd);
		if (wr && FD_ISSET(fd, wr) && !(r & (POLLOUT | POLLERR)))
			FD_CLR(fd, wr);
		if (ex && FD_ISSET(fd, ex) && !(r & POLLPRI))
			FD_CLR(fd, ex);
		cnt += (rd && FD_ISSET(fd, rd)) + (wr && FD_ISSET(fd, wr)) +
		       (ex && FD_ISSET(fd, ex));
	}
	return cnt;
}

EXPORT int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	struct timespec ts;

	pnm_init();
	if (!has_nm_set(nfds, rd, wr))
		return real.select(nfds, rd, wr, ex, tv);
	if (tv) {
		ts.tv_sec = tv->tv_sec;
		ts.tv_nsec = tv->tv_usec * 1000;
	}
	return select_poll(nfds, rd, wr, ex, tv ? &ts : NULL, NULL);
}

EXPORT int pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timespec *ts,
		   const sigset_t *sig)
{
	pnm_init();
	if (!has_nm_set(nfds, rd, wr))
		return real.pselect(nfds, rd, wr, ex, ts, sig);
	return select_poll(nfds, rd, wr, ex, ts, sig);
}

/*
 * epoll: a netmap fd added to an epoll set is remembered here with the
 * app's events and data; the kernel item watches the fd (its epoll set of
 * notification pipes) with our cookie.  epoll_wait scans the remembered
 * fds like poll and sleeps on the set otherwise.  Level-triggered only.
 */
struct ep_item {
	struct ep_item *next;
	int epfd, fd;
	struct epoll_event ev;
};

static struct ep_item *g_ep;
static uint8_t g_ep_has[PNM_MAX_FD];
#define EP_COOKIE 0x6e6d61702d707472ull	/* "nmap-ptr" */

int pnm_ep_is_nm(int epfd)
{
	return epfd >= 0 && epfd < PNM_MAX_FD && __atomic_load_n(&g_ep_has[epfd], __ATOMIC_ACQUIRE);
}

/* FD was closed: as an epoll set, or as a member (under g_lock). */
void pnm_ep_forget_fd(int fd)
{
	struct ep_item **pp = &g_ep;

	while (*pp) {
		struct ep_item *it = *pp;

		if (it->epfd == fd || it->fd == fd) {
			*pp = it->next;
			if (it->fd == fd && it->epfd != fd)
				real.epoll_ctl(it->epfd, EPOLL_CTL_DEL, fd, NULL);
			free(it);
		} else {
			pp = &it->next;
		}
	}
	if (fd >= 0 && fd < PNM_MAX_FD)
		__atomic_store_n(&g_ep_has[fd], 0, __ATOMIC_RELEASE);
	for (struct ep_item *it = g_ep; it; it = it->next)
		__atomic_store_n(&g_ep_has[it->epfd], 1, __ATOMIC_RELEASE);
}

EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct epoll_event kev = { .events = EPOLLIN, .data.u64 = EP_COOKIE };
	struct ep_item **pp, *it;
	int r;

	pnm_init();
	if (!pnm_file_of(fd) || epfd < 0 || epfd >= PNM_MAX_FD)
		return real.epoll_ctl(epfd, op, fd, ev);
	pthread_mutex_lock(&g_lock);
	for (pp = &g_ep; *pp && ((*pp)->epfd != epfd || (*pp)->fd != fd); pp = &(*pp)->next)
		;
	r = real.epoll_ctl(epfd, op, fd, op == EPOLL_CTL_DEL ? ev : &kev);
	if (r == 0) {
		if (op == EPOLL_CTL_DEL && *pp) {
			it = *pp;
			*pp = it->next;
			free(it);
		} else if (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) {
			it = *pp ? *pp : calloc(1, sizeof(*it));
			if (it) {
				if (!*pp) {
					it->next = g_ep;
					g_ep = it;
				}
				it->epfd = epfd;
				it->fd = fd;
				it->ev = *ev;
				if (ev->events & (EPOLLET | EPOLLONESHOT))
					pnm_dbg("epoll fd %d: EPOLLET/EPOLLONESHOT on netmap fd %d "
						"are served level-triggered", epfd, fd);
				__atomic_store_n(&g_ep_has[epfd], 1, __ATOMIC_RELEASE);
			}
		}
	}
	pthread_mutex_unlock(&g_lock);
	return r;
}

static int ep_wait(int epfd, struct epoll_event *out, int max, int timeout, const sigset_t *sig)
{
	int64_t spin0 = now_ns();
	int64_t deadline = timeout < 0 ? -1 : spin0 + (int64_t)timeout * 1000000;
	struct ep_item *items[256];
	unsigned int ni = 0;
	int n;

	if (max <= 0) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&g_lock);
	for (struct ep_item *it = g_ep; it && ni < 256; it = it->next)
		if (it->epfd == epfd)
			items[ni++] = it;
	pthread_mutex_unlock(&g_lock);
	for (;;) {
		unsigned int armed;
		int64_t left, t;
		struct epoll_event kev[64];
		int k, kmax = max < 64 ? max : 64;

		n = 0;
		for (unsigned int i = 0; i < ni && n < max; i++) {
			struct pnm_file *f = pnm_file_of(items[i]->fd);
			short rev = f ? nm_scan(f, (short)(items[i]->ev.events &
							   (EPOLLIN | EPOLLOUT))) : POLLERR;

			if (rev) {
				out[n].events = (uint32_t)rev;
				out[n++].data = items[i]->ev.data;
			}
		}
		/* The other members, without sleeping. */
		k = real.epoll_wait(epfd, kev, kmax, 0);
		for (int i = 0; i < k && n < max; i++)
			if (kev[i].data.u64 != EP_COOKIE)
				out[n++] = kev[i];
		if (n)
			return n;
		t = now_ns();
		left = deadline < 0 ? -1 : deadline - t;
		if (deadline >= 0 && left <= 0)
			return 0;
		if (spinning(spin0, t))
			continue;
		for (armed = 0; armed < ni; armed++) {
			struct pnm_file *f = pnm_file_of(items[armed]->fd);

			if (f && f->registered &&
			    arm(f, (short)(items[armed]->ev.events & (EPOLLIN | EPOLLOUT))))
				break;
		}
		if (armed < ni) {
			for (unsigned int i = 0; i < armed; i++) {
				struct pnm_file *f = pnm_file_of(items[i]->fd);

				if (f && f->registered)
					disarm(f, (short)(items[i]->ev.events &
							  (EPOLLIN | EPOLLOUT)));
			}
			continue;
		}
		k = real.epoll_pwait(epfd, kev, kmax,
				     left < 0 ? -1 : (int)((left + 999999) / 1000000), sig);
		spin0 = now_ns();
		if (k >= 0)
			spin_adapt(k > 0, spin0 - t);
		for (unsigned int i = 0; i < ni; i++) {
			struct pnm_file *f = pnm_file_of(items[i]->fd);

			if (f && f->registered)
				disarm(f, (short)(items[i]->ev.events & (EPOLLIN | EPOLLOUT)));
		}
		if (k < 0)
			return k;
		n = 0;
		for (int i = 0; i < k && n < max; i++)
			if (kev[i].data.u64 != EP_COOKIE)
				out[n++] = kev[i];
		if (n)
			return n;	/* (netmap fds are rescanned on the next call) */
	}
}

EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	pnm_init();
	if (!pnm_ep_is_nm(epfd))
		return real.epoll_wait(epfd, ev, max, timeout);
	return ep_wait(epfd, ev, max, timeout, NULL);
}

EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
		       const sigset_t *sig)
{
	pnm_init();
	if (!pnm_ep_is_nm(epfd))
		return real.epoll_pwait(epfd, ev, max, timeout, sig);
	return ep_wait(epfd, ev, max, timeout, sig);
}
