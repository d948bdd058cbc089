/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ev.h - event sources of the control thread.
 *
 * Every descriptor in the control thread's epoll set carries a struct
 * ptd_ev, embedded in the object that owns the descriptor, and the event
 * loop (main.c) calls its callback: the loop knows no kind of source.
 * Objects that an event batch may still name are freed after the batch
 * (ptd_defer_free), and a source that is gone has fn == NULL.
 */
#ifndef PTNETD_EV_H
#define PTNETD_EV_H

#include <stdint.h>

struct ptd;
struct ptd_ev;

typedef void (*ptd_ev_fn)(struct ptd *d, struct ptd_ev *ev, uint32_t events);

struct ptd_ev {
	ptd_ev_fn fn;
	int fd;
};

#define ptd_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - __builtin_offsetof(type, member)))

/* Watch FD for EVENTS (EPOLLIN...), calling FN.  0 or -errno. */
int ptd_ev_add(struct ptd *d, struct ptd_ev *ev, int fd, uint32_t events, ptd_ev_fn fn);
/* Change the events watched (0: none for now). */
void ptd_ev_mod(struct ptd *d, struct ptd_ev *ev, uint32_t events);
/* Stop watching; later events of the current batch are ignored. */
void ptd_ev_del(struct ptd *d, struct ptd_ev *ev);

/* A link embedded in objects that are freed after the current event batch. */
struct ptd_deferred {
	struct ptd_deferred *next;
	void *mem;
};

/* Free MEM (which embeds LINK) after the current batch: it may still be named in it. */
void ptd_defer_free(struct ptd *d, struct ptd_deferred *link, void *mem);
void ptd_defer_run(struct ptd *d);

#endif
