// SPDX-License-Identifier: BSD-2-Clause
/* ev.c - see ev.h. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include "daemon/daemon.h"

int ptd_ev_add(struct ptd *d, struct ptd_ev *ev, int fd, uint32_t events, ptd_ev_fn fn)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };

	ev->fn = fn;
	ev->fd = fd;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
		ev->fn = NULL;
		ev->fd = -1;
		return -errno;
	}
	return 0;
}

void ptd_ev_mod(struct ptd *d, struct ptd_ev *ev, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };

	if (ev->fd >= 0)
		epoll_ctl(d->epfd, EPOLL_CTL_MOD, ev->fd, &e);
}

void ptd_ev_del(struct ptd *d, struct ptd_ev *ev)
{
	if (ev->fd >= 0)
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, ev->fd, NULL);
	ev->fd = -1;
	ev->fn = NULL;
}

void ptd_defer_free(struct ptd *d, struct ptd_deferred *link, void *mem)
{
	link->mem = mem;
	link->next = d->deferred;
	d->deferred = link;
}

void ptd_defer_run(struct ptd *d)
{
	while (d->deferred) {
		struct ptd_deferred *x = d->deferred;

		d->deferred = x->next;
		free(x->mem);
	}
}
