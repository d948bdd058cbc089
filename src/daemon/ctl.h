/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ctl.h - the control server: connections (ctl.c) and the request table
 * (requests.c for the core requests, each port kind for its own).
 */
#ifndef PTNETD_CTL_H
#define PTNETD_CTL_H

#include <stdbool.h>
#include <sys/types.h>
#include <ptnet/abi.h>
#include "common/common.h"
#include "daemon/daemon.h"

struct ptd_port;
struct ptd_port_ops;
struct ptd_outmsg;

/*
 * Replies that could not be sent yet, at most this many bytes per
 * connection (text, descriptors and bookkeeping).  The largest replies are
 * generated whole by one request: stats of 512 ports is 512 records of 390
 * bytes (integ/27 measures 302 records, 117 KB), at most about 560 with long
 * names, + 24 of bookkeeping each: under 300 KiB; a full MAC table (1024
 * entries) is 1024 fdb records of about 90 (+ 24) bytes = 115 KiB, so 1 MiB
 * holds either three times over, or the fdb of 9 full switches (a bigger
 * reply is made whole before any of it is sent, so it always drops the
 * client: that would need a dump that resumes as the client reads).  A
 * connection whose queue would grow past it is dropped.  Root's connections
 * (at most PTD_ROOT_CONNS beyond the others') may queue 16 MiB: the fdb of
 * the default 64 switches, all full, is about 7 MiB.  Worst case for ptnetd:
 * 1024 x 1 MiB + 32 x 16 MiB.
 */
#define PTD_CONN_OUTQ_MAX	(1u << 20)
#define PTD_CONN_OUTQ_MAX_ROOT	(16u << 20)

struct ptd_conn {
	struct ptd_ev ev;
	struct ptd_deferred gone;	/* freed after the event batch */
	int fd;
	bool hello;
	bool closed;
	bool send_failed;		/* a reply could not be sent: drop the client */
	bool outq_full;			/* ... because it let PTD_CONN_OUTQ_MAX fill */
	uint32_t events;		/* what its epoll registration watches */
	/* Unsent lines, oldest first; no request is read while there are any. */
	struct ptd_outmsg *outq, **outq_tail;
	size_t outq_bytes;
	struct ptd_cred cr;
	pid_t pid;
	struct ptd_port *port;		/* attached port (lifeline), if any */
};

/*
 * What a request handler answers with when it succeeds: "ok" followed by
 * TEXT (if any), carrying FDS.  fds[give_from..nfds) are handed over and
 * closed by ptnetd once sent (or once sending failed).
 */
struct ptd_reply {
	char text[PTC_MAX_MSG - 8];
	int fds[1 + 4 * PTNET_MAX_RINGS];	/* PTD_SENDFD_MAX */
	unsigned int nfds, give_from;
};

/*
 * One request.  The handler gets the words of the request (tok[0] is its
 * name); it returns 0 with R filled (the "ok" reply; records were sent
 * before it with ptd_ctl_rec), or -errno with E set ("err ENAME message").
 * Requests that need_root are refused to others before the handler runs.
 */
struct ptd_request {
	const char *name;
	int (*handler)(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
		       struct ptd_reply *r, struct ptd_err *e);
	bool needs_root;
};

/* ctl.c */
int ptd_ctl_listen(struct ptd *d);
/* Serve connected socket FD of peer CR (accept does this; so does the fuzzer). */
int ptd_ctl_conn_new(struct ptd *d, int fd, const struct ptd_cred *cr, pid_t pid,
		     struct ptd_conn **out);
void ptd_ctl_close(struct ptd *d, struct ptd_conn *c);
void ptd_ctl_resume(struct ptd *d);
/*
 * Send one "rec ..." line (or any line); queued if the client does not read
 * now, and the client is dropped later if it cannot be sent or queued.
 */
void ptd_ctl_rec(struct ptd_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Port options (ptc_opt_apply: rings, slots, buf-size, ...) among tokens
 * [FROM, n) into O and *GIVEN, except the keys in OWN (NULL-ended, may be
 * NULL), which the caller handles.  0 or -errno with E set.
 */
int ptd_ctl_port_opts(const struct ptc_tokens *t, int from, const char *const *own,
		      struct ptnet_port_opts *o, unsigned int *given, struct ptd_err *e);
/* Every token of [FROM, n) is "key=value" with a key of KEYS (NULL-ended). */
int ptd_ctl_check_keys(const struct ptc_tokens *t, int from, const char *const *keys,
		       const char *what, struct ptd_err *e);
/*
 * "KIND-del NAME" for the kinds root adds by request (tap, vm, vhost): the
 * port NAME of kind OPS is destroyed, or -EINVAL/-ENOENT with E set.
 */
int ptd_ctl_del_kind(struct ptd *d, struct ptd_conn *c, const struct ptc_tokens *t,
		     const struct ptd_port_ops *ops, struct ptd_err *e);

/* The request named NAME (core or a kind's), or NULL: conffile.c runs them too. */
const struct ptd_request *ptd_ctl_find_request(const char *name);

/* requests.c */
extern const struct ptd_request ptd_core_requests[];

#endif
