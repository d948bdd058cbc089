/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * preload.h - libptnet-netmap.so, the LD_PRELOAD library that serves
 * /dev/netmap for unmodified netmap programs on top of libptnet.
 *
 * Objects (as in the kernel):
 *   fd table    app fd -> struct pnm_file (dup/dup2/fcntl share one file)
 *   pnm_file    one open of /dev/netmap: a placeholder epoll fd (what the
 *               app holds; the bound rings' notification fds are added to
 *               it at REGISTER, so poll/epoll on it wake on ptnetd's
 *               signals) and at most one registration
 *   pnm_mem     one libptnet port of this process = one netmap mem_id:
 *               the view the app mmaps is [netmap_if slots][port region],
 *               the region mapped a second time with mremap(old_size 0)
 *
 * Locking: g_lock guards the table, files and mems for open/close/register;
 * the sync and poll paths take no lock (each ring is synced by one thread
 * at a time, as with netmap).
 */
#ifndef PTNET_PRELOAD_H
#define PTNET_PRELOAD_H

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <ptnet/ptnet.h>
#include "preload/nmreq.h"

#define PNM_MAX_FD	65536
#define PNM_IF_SLOT	512		/* bytes per netmap_if slot */
#define PNM_IF_SLOTS	128
#define PNM_IF_AREA	(PNM_IF_SLOT * PNM_IF_SLOTS)
#define PNM_MAX_RINGS	(2 * PTNET_MAX_RINGS)

struct pnm_ring_state {
	uint32_t users;		/* registrations bound to the ring */
	uint32_t excl;		/* bound by an NR_EXCLUSIVE registration */
};

/*
 * What the syncs remember of a ring, in memory shared with forked children
 * (MAP_SHARED anonymous): whichever process syncs next starts from the state
 * the last sync left, so a child may take over the rings from its parent.
 */
struct pnm_ring_shadow {
	uint32_t rhead;		/* last head/cur validated and published */
	uint32_t rtail;		/* tail as last given to the app */
};
#define PNM_SHADOW_SIZE	(((sizeof(struct pnm_ring_shadow) * PNM_MAX_RINGS) + 4095) & ~(size_t)4095)

struct pnm_mem {
	struct pnm_mem *next;
	/*
	 * A pipe end in the memory of a port this process has open (lb's
	 * "vale0:in{k" with vale0:in's mem_id): its own libptnet port, rings
	 * and shadows, but the parent's view (base, size, region), mem_id and
	 * netmap_if slots.  It holds one of the parent's users.
	 */
	struct pnm_mem *parent;
	char name[NETMAP_REQ_IFNAMSIZ];
	struct ptnet_port *port;
	uint8_t *base;		/* what mmap returns */
	size_t size;		/* PNM_IF_AREA + region size */
	uint8_t *region;	/* base + PNM_IF_AREA */
	uint8_t *lib;		/* libptnet's mapping of the same region */
	uint16_t mem_id;
	int guest;		/* a ptnet NIC's device in a VM guest (guest.c) */
	unsigned int ntx, nrx;
	unsigned int users;	/* registrations */
	unsigned int maps;	/* app mmaps not yet munmapped */
	uint8_t if_used[PNM_IF_SLOTS];
	struct pnm_ring_state rs[PNM_MAX_RINGS];	/* TX rings, then RX */
	struct pnm_ring_shadow *sh;			/* [PNM_MAX_RINGS], shared */
	/*
	 * Extra buffers (nr_extra_bufs): the region's last xnum buffers are in
	 * no ring; xfree[0..nxfree) are those not handed to a registration.
	 * Which indices they are changes as the program swaps buffers.
	 */
	uint32_t xnum, nxfree;
	uint32_t *xfree;
	uint8_t *bufs;		/* buffer 0, as ptnetd placed it at attach */
};

/* The mem whose view (base, maps) and netmap_if slots M uses: itself or its parent. */
static inline struct pnm_mem *pnm_view(struct pnm_mem *m)
{
	return m->parent ? m->parent : m;
}

struct pnm_file {
	unsigned int refs;	/* app fds pointing here */
	int epfd;		/* our own fd of the placeholder epoll */
	int registered;
	struct pnm_mem *mem;
	unsigned int if_slot;
	unsigned int txf, txl, rxf, rxl;	/* bound rings [f, l) */
	uint64_t flags;		/* NR_* */
	int excl;
	uint32_t nextra;	/* extra buffers granted at REGISTER */
};

/* preload.c */
extern pthread_mutex_t g_lock;
extern int g_debug;
void pnm_dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct pnm_file *pnm_file_of(int fd);
void pnm_init(void);

struct pnm_real {
	int (*openat)(int, const char *, int, ...);
	int (*close)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*ioctl)(int, unsigned long, ...);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	int (*munmap)(void *, size_t);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *,
		       const sigset_t *);
	int (*epoll_ctl)(int, int, int, struct epoll_event *);
	int (*epoll_wait)(int, struct epoll_event *, int, int);
	int (*epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
};
extern struct pnm_real real;

/* ctrl.c: the ioctls; return 0 or -errno. */
int pnm_ioctl(struct pnm_file *f, unsigned long req, void *arg);
void pnm_file_release(struct pnm_file *f);	/* under g_lock */
void pnm_mem_put(struct pnm_mem *m);		/* under g_lock */
struct pnm_mem *pnm_mem_at(const void *addr);	/* under g_lock */

/* guest.c: names of a ptnet NIC inside a VM guest. */
int pnm_guest_is_dev(const char *name);		/* "ptnetN" and /dev/ptnetN exists */
int pnm_guest_canon(char *name, size_t len);	/* eth0, netmap:eth0 -> ptnetN: 1 */
int pnm_in_guest(void);

/* wait.c: syncs and waiting. */
int pnm_txsync(struct pnm_file *f, int *bad);
int pnm_rxsync(struct pnm_file *f, int *bad);
int pnm_poll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *sig);
int pnm_poll_has_nm(const struct pollfd *fds, nfds_t n);
void pnm_ep_forget_fd(int fd);
int pnm_ep_is_nm(int epfd);

#endif
