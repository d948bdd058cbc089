/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics.h - ptnetd --metrics ADDR: GET /metrics in the Prometheus text
 * exposition format (version 0.0.4), served by the control thread.
 *
 * ADDR is 127.0.0.1:PORT (any 127.x.y.z), [::1]:PORT, localhost:PORT or an
 * absolute UNIX socket path (mode 0600).  Nothing but loopback is
 * accepted: every local user can read a TCP endpoint, and it carries the
 * counters of every port.  The server is event sources of the control
 * thread (ev.h): non-blocking sockets, at most PTD_METRICS_CLIENTS clients,
 * requests of at most PTD_METRICS_REQ_MAX bytes, and every exchange done
 * within PTD_METRICS_TIMEOUT_S seconds or the client is dropped; more
 * clients wait in the listen backlog until one goes.
 */
#ifndef PTNETD_METRICS_H
#define PTNETD_METRICS_H

#include <stddef.h>
#include <sys/socket.h>
#include "daemon/daemon.h"

#define PTD_METRICS_CLIENTS	16
#define PTD_METRICS_REQ_MAX	8192
#define PTD_METRICS_TIMEOUT_S	5	/* to be answered, from the first byte */
#define PTD_METRICS_HEAD_S	1	/* to send the whole request head */

/* A parsed ADDR. */
struct ptd_metrics_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Parse ADDR (see above).  0, or -EINVAL with E naming what is accepted. */
int ptd_metrics_parse_addr(const char *addr, struct ptd_metrics_addr *out, struct ptd_err *e);

/* Listen on d->cfg.metrics_addr.  0 or -errno (logged). */
int ptd_metrics_start(struct ptd *d);
/* Close the listener and every client; remove a UNIX socket. */
void ptd_metrics_stop(struct ptd *d);

/* The exposition text, in a malloc'ed string (*LEN bytes); NULL when out of memory. */
char *ptd_metrics_render(struct ptd *d, size_t *len);

#endif
