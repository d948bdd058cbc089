/* SPDX-License-Identifier: BSD-2-Clause */
/* internal.h - libptnet private state. */
#ifndef PTNET_LIB_INTERNAL_H
#define PTNET_LIB_INTERNAL_H

#include <stdint.h>
#include <ptnet/ptnet.h>

struct ptnet_lring {
	struct netmap_ring *ring;
	struct nm_csb_atok *atok;
	struct nm_csb_ktoa *ktoa;
	int kick_fd;
	int irq_fd;
	uint32_t nslots;
	uint32_t pub_head;	/* last head published in the CSB */
	uint32_t polls;		/* syncs, to look for a vanished ptnetd now and then */
};

/* One end of a pipe pair (pipe.c): its rings and its side of the protocol. */
struct ptl_pipe {
	struct netmap_ring *tx, *rx;	/* this end's */
	struct netmap_ring *peer_rx;	/* filled by our TX sync */
	struct ptnet_pipe_dir *out;	/* what we send */
	struct ptnet_pipe_dir *in;	/* what we receive */
	int kick_peer_rx, kick_peer_tx;	/* the peer's eventfds (not owned) */
	uint32_t n, buf_num, buf_size;
	uint32_t tx_hwcur;		/* next TX slot to move */
	uint32_t out_tail;		/* next peer RX slot to fill (published) */
	uint32_t out_head;		/* the peer's head, last valid value */
	uint32_t rx_head;		/* our RX head, published */
	uint32_t rx_tail;		/* our RX tail, last valid value */
};

struct ptnet_port {
	struct ptl_pipe *pipe;		/* a pipe end (pipe.c), else NULL */
	int ctl_fd;
	int epfd;
	uint8_t *mem;
	size_t size;
	const uint32_t *status;
	struct netmap_if *nifp;
	struct ptnet_port_info info;
	unsigned int ntx, nrx;
	uint32_t spin_us;
	unsigned int armed;	/* PTNET_WAIT_* currently armed */
	int dead;
	struct ptnet_lring r[2 * PTNET_MAX_RINGS];	/* TX rings, then RX rings */
};

/* errmsg.c */
int ptl_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ptl_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ctl.c: receive one message with up to MAXFDS fds; returns its length or -errno. */
int ptl_ctl_recv(int fd, char *buf, size_t len, int *fds, unsigned int maxfds,
		 unsigned int *nfds, int timeout_ms);

/* ctl.c: a reply that is not "ok": "err NAME message" recorded, -errno returned. */
int ptl_reply_error(const char *line);

/* port.c: validate a mapped region and fill info, ring pointers, status. */
int ptl_check_region(struct ptnet_port *p);
/* port.c: a port with no resources yet (for both backends). */
struct ptnet_port *ptl_port_alloc(const struct ptnet_port_opts *opts);
/* port.c: the epoll set of ptnet_port_fd: every ring's irq fd and ctl_fd. */
int ptl_port_watch(struct ptnet_port *p);

/* guest.c: the backend for a ptnet NIC inside a VM ("ptnetN", "/dev/ptnetN"). */
int ptl_guest_name(const char *name);
int ptl_guest_open(const char *name, const struct ptnet_port_opts *opts,
		   struct ptnet_port **portp);

/* port.c: "VERB NAME[ EXTRA] key=value..." with the options of O that are set. */
int ptl_build_request(char *req, size_t len, const char *verb, const char *name,
		      const char *extra, const struct ptnet_port_opts *o);

/*
 * port.c: open P's control connection (P->ctl_fd, the port's lifeline), send
 * "VERB NAME[ EXTRA] key=value..." and receive the reply into BUF (LEN bytes,
 * NUL-ended) with up to MAXFDS descriptors.  0 or -errno (message set).
 */
int ptl_port_request(struct ptnet_port *p, const char *verb, const char *name, const char *extra,
		     const struct ptnet_port_opts *o, char *buf, size_t len, int *fds,
		     unsigned int maxfds, unsigned int *nfds);

/* pipe.c: pipe ends.  Ring I of an end: 0 its TX ring, 1 its RX ring. */
int ptl_pipe_name(const char *name);
int ptl_pipe_open(const char *name, const struct ptnet_port_opts *opts,
		  struct ptnet_port **portp);
int ptl_pipe_init(struct ptl_pipe *pp, struct netmap_ring *tx, struct netmap_ring *rx,
		  struct netmap_ring *peer_rx, struct ptnet_pipe_state *st, unsigned int end,
		  uint32_t buf_num, uint32_t buf_size);
int ptl_pipe_txsync(struct ptl_pipe *pp);
int ptl_pipe_rxsync(struct ptl_pipe *pp);
int ptl_pipe_sync(struct ptl_pipe *pp, unsigned int i);
int ptl_pipe_enable(struct ptl_pipe *pp, unsigned int i);
void ptl_pipe_disable(struct ptl_pipe *pp, unsigned int i);

#endif
