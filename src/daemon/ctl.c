// SPDX-License-Identifier: BSD-2-Clause
/*
 * ctl.c - the control socket's plumbing (docs/protocol.md): listening,
 * connections, messages, and dispatch through the request table.
 *
 * SOCK_SEQPACKET, one request per message, one line of text each.  The
 * requests themselves are elsewhere: the core ones in requests.c, each
 * kind's in its own file (ptd_port_ops.requests).  Replies are built here
 * only: "ok [text]" for a handler's 0, "err ENAME message" for its -errno.
 * The control thread never blocks on a client: sends are non-blocking, and
 * a line the client's socket cannot take now (a SOCK_SEQPACKET peer queues
 * only net.unix.max_dgram_qlen messages) waits in the connection's output
 * queue, with its descriptors, until EPOLLOUT says the client read.  While
 * a connection has queued output no further request is read from it, so
 * replies keep their order and pipelining cannot grow the queue; a client
 * that lets it reach PTD_CONN_OUTQ_MAX (root: _ROOT) is disconnected.  Anything that does
 * not parse gets "err ..." and nothing else happens.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include "daemon/ctl.h"
#include "daemon/log.h"
#include "daemon/port.h"
#include "daemon/sendfd.h"

static void on_conn(struct ptd *d, struct ptd_ev *ev, uint32_t events);
static void on_listen(struct ptd *d, struct ptd_ev *ev, uint32_t events);

/* One line that could not be sent yet: NFDS descriptors (ours), then LEN bytes. */
struct ptd_outmsg {
	struct ptd_outmsg *next;
	uint32_t len, nfds;
	int fds[];		/* then the text */
};

static size_t outmsg_size(size_t len, unsigned int nfds)
{
	return sizeof(struct ptd_outmsg) + nfds * sizeof(int) + len;
}

static const char *outmsg_text(const struct ptd_outmsg *m)
{
	return (const char *)&m->fds[m->nfds];
}

static void outmsg_free(struct ptd_outmsg *m)
{
	for (unsigned int i = 0; i < m->nfds; i++)
		close(m->fds[i]);
	free(m);
}

static void outq_free(struct ptd_conn *c)
{
	while (c->outq) {
		struct ptd_outmsg *m = c->outq;

		c->outq = m->next;
		outmsg_free(m);
	}
	c->outq_tail = &c->outq;
	c->outq_bytes = 0;
}

static size_t outq_max(const struct ptd_conn *c)
{
	return c->cr.uid == 0 ? PTD_CONN_OUTQ_MAX_ROOT : PTD_CONN_OUTQ_MAX;
}

/*
 * Queue MSG with FDS: fds[0..keep) stay ptnetd's (queued as duplicates, so
 * that what is sent later is what was meant even if ptnetd closes them
 * meanwhile), fds[keep..nfds) are taken over.  False if it cannot be queued.
 */
static bool outq_add(struct ptd_conn *c, const char *msg, size_t len, const int *fds,
		     unsigned int nfds, unsigned int keep)
{
	size_t size = outmsg_size(len, nfds);
	struct ptd_outmsg *m;
	unsigned int i;

	if (c->outq_bytes + size > outq_max(c)) {
		c->outq_full = true;
		return false;
	}
	m = malloc(size);
	if (!m)
		return false;
	m->next = NULL;
	m->len = (uint32_t)len;
	m->nfds = 0;
	for (i = 0; i < nfds; i++) {
		int fd = i < keep ? fcntl(fds[i], F_DUPFD_CLOEXEC, 0) : fds[i];

		if (fd < 0)
			break;
		m->fds[m->nfds++] = fd;
	}
	if (i < nfds) {
		/* Out of descriptors: ours go, the rest are the caller's to close. */
		while (m->nfds > keep)
			m->nfds--;
		outmsg_free(m);
		return false;
	}
	memcpy(&m->fds[nfds], msg, len);
	*c->outq_tail = m;
	c->outq_tail = &m->next;
	c->outq_bytes += size;
	return true;
}

/*
 * Send MSG with FDS now if nothing waits before it and the socket takes it,
 * else queue it.  fds[keep..nfds) are handed over: closed once sent (or
 * once it failed), whichever way.  A line that can be neither sent nor
 * queued marks the client to be dropped.
 */
static void send_line(struct ptd_conn *c, const char *msg, const int *fds, unsigned int nfds,
		      unsigned int keep)
{
	size_t len = strlen(msg);
	int ret = -EAGAIN;

	if (!c->send_failed && !c->closed) {
		if (!c->outq)
			ret = ptd_send_fds(c->fd, msg, len, fds, nfds);
		if (ret == -EAGAIN && outq_add(c, msg, len, fds, nfds, keep))
			return;		/* the queue has the given fds now */
		if (ret)
			c->send_failed = true;
	}
	for (unsigned int i = keep; i < nfds; i++)
		close(fds[i]);
}

/* Send what waits, oldest first, until the socket is full.  <0: drop the client. */
static int outq_flush(struct ptd_conn *c)
{
	while (c->outq) {
		struct ptd_outmsg *m = c->outq;
		int ret = ptd_send_fds(c->fd, outmsg_text(m), m->len, m->fds, m->nfds);

		if (ret == -EAGAIN)
			return 0;
		if (ret)
			return ret;
		c->outq = m->next;
		if (!c->outq)
			c->outq_tail = &c->outq;
		c->outq_bytes -= outmsg_size(m->len, m->nfds);
		outmsg_free(m);
	}
	return 0;
}

/* Requests while nothing waits to be sent; only the way out while something does. */
static void update_events(struct ptd *d, struct ptd_conn *c)
{
	uint32_t want = c->outq ? EPOLLOUT : EPOLLIN | EPOLLRDHUP;

	if (c->closed || c->events == want)
		return;
	ptd_ev_mod(d, &c->ev, want);
	c->events = want;
}

void ptd_ctl_rec(struct ptd_conn *c, const char *fmt, ...)
{
	char buf[PTC_MAX_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	send_line(c, buf, NULL, 0, 0);
}

/* A reply line is sent as a record is. */
#define sendf ptd_ctl_rec

/* The one place error replies are made. */
static void reply_err(struct ptd_conn *c, int err, const struct ptd_err *e)
{
	sendf(c, "err %s %s", ptc_errno_name(-err), e->msg[0] ? e->msg : strerror(-err));
}

int ptd_ctl_port_opts(const struct ptc_tokens *t, int from, const char *const *own,
		      struct ptnet_port_opts *o, unsigned int *given, struct ptd_err *e)
{
	for (int i = from; i < t->n; i++) {
		char *eq = strchr(t->tok[i], '=');
		bool mine = false;
		int ret;

		if (!eq)
			return ptd_err(e, -EINVAL, "bad option '%.64s' (want key=value)", t->tok[i]);
		for (unsigned int k = 0; own && own[k]; k++)
			mine |= (size_t)(eq - t->tok[i]) == strlen(own[k]) &&
				!strncmp(t->tok[i], own[k], strlen(own[k]));
		if (mine)
			continue;
		*eq = '\0';
		ret = ptc_opt_apply(o, given, t->tok[i], eq + 1, e->msg, sizeof(e->msg));
		*eq = '=';
		if (ret)
			return ret == -ENOENT ? -EINVAL : ret;
	}
	return 0;
}

int ptd_ctl_del_kind(struct ptd *d, struct ptd_conn *c, const struct ptc_tokens *t,
		     const struct ptd_port_ops *ops, struct ptd_err *e)
{
	struct ptd_port *p = t->n == 2 ? ptd_port_find(d, t->tok[1]) : NULL;

	if (t->n != 2)
		return ptd_err(e, -EINVAL, "usage: %s-del NAME", ops->name);
	if (!p || p->ops != ops)
		return ptd_err(e, -ENOENT, "no %s port named %.64s", ops->name, t->tok[1]);
	LOG_INFO("removing %s port %s on request of pid %d", ops->name, p->name, (int)c->pid);
	ptd_port_destroy(d, p);
	return 0;
}

int ptd_ctl_check_keys(const struct ptc_tokens *t, int from, const char *const *keys,
		       const char *what, struct ptd_err *e)
{
	for (int i = from; i < t->n; i++) {
		char list[128] = "";
		size_t n = 0;
		bool known = false;

		for (unsigned int k = 0; keys[k]; k++) {
			size_t l = strlen(keys[k]);

			known |= !strncmp(t->tok[i], keys[k], l) && t->tok[i][l] == '=';
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", k ? " " : "",
					      keys[k]);
			if (n >= sizeof(list))
				n = sizeof(list) - 1;
		}
		if (!known)
			return ptd_err(e, -EINVAL, "unknown %s option '%.64s' (%s)", what, t->tok[i],
				       list);
	}
	return 0;
}

/* chown the socket to OWNER/GROUP (names or numbers), if given. */
static int set_owner(const char *path, const char *owner, const char *group)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	uint32_t v;

	if (owner) {
		struct passwd *pw = getpwnam(owner);

		if (pw)
			uid = pw->pw_uid;
		else if (!ptc_parse_u32(owner, 0, 0x7fffffff, &v))
			uid = v;
		else {
			LOG_ERR("--socket-owner: no user '%s'", owner);
			return -EINVAL;
		}
	}
	if (group) {
		struct group *gr = getgrnam(group);

		if (gr)
			gid = gr->gr_gid;
		else if (!ptc_parse_u32(group, 0, 0x7fffffff, &v))
			gid = v;
		else {
			LOG_ERR("--socket-group: no group '%s'", group);
			return -EINVAL;
		}
	}
	if ((owner || group) && chown(path, uid, gid) < 0) {
		LOG_ERR("cannot set the owner of %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * Socket activation (ptnetd.socket): systemd made, bound and listens on the
 * socket, passed as fd 3 with LISTEN_FDS=1.  Returns 1 if it did (the socket
 * is ours then, but its file is systemd's), 0 if not, or -errno.
 */
static int listen_activated(struct ptd *d)
{
	int n = sd_listen_fds(1), fd = SD_LISTEN_FDS_START, ret;

	if (n == 0)
		return 0;
	if (n < 0) {
		LOG_ERR("LISTEN_FDS: %s", strerror(-n));
		return n;
	}
	if (n != 1 || sd_is_socket_unix(fd, SOCK_SEQPACKET, 1, NULL, 0) <= 0) {
		LOG_ERR("socket activation: want one listening SOCK_SEQPACKET UNIX socket, got %d "
			"descriptors (ListenSequentialPacket= in ptnetd.socket)", n);
		return -EINVAL;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	ret = ptd_ev_add(d, &d->ev_listen, fd, EPOLLIN, on_listen);
	if (ret)
		return ret;
	d->listen_fd = fd;
	d->sock_activated = true;
	LOG_INFO("control socket from systemd (fd %d)", fd);
	return 1;
}

int ptd_ctl_listen(struct ptd *d)
{
	const char *path = d->cfg.sock_path;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	char *slash;
	int fd, ret;

	ret = listen_activated(d);
	if (ret)
		return ret < 0 ? ret : 0;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		LOG_ERR("socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			ret = -errno;
			LOG_ERR("cannot create %s: %s", dir, strerror(errno));
			return ret;
		}
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Live daemon or stale socket? */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		LOG_ERR("another ptnetd is already running on %s (stop it first, or use -s PATH)",
			path);
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	{
		struct stat st;

		if (lstat(path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode)) {
				LOG_ERR("%s exists and is not a socket: not touching it (remove it, or "
					"use -s PATH)", path);
				return -EEXIST;
			}
			LOG_INFO("removing stale socket %s", path);
			unlink(path);
		}
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		LOG_ERR("cannot bind %s: %s", path, strerror(errno));
		close(fd);
		return ret;
	}
	chmod(path, d->cfg.sock_mode >= 0 ? (mode_t)d->cfg.sock_mode : 0660);
	ret = set_owner(path, d->cfg.sock_owner, d->cfg.sock_group);
	if (ret) {
		close(fd);
		unlink(path);
		return ret;
	}
	if (listen(fd, 128) < 0)
		ret = -errno;
	else
		ret = ptd_ev_add(d, &d->ev_listen, fd, EPOLLIN, on_listen);
	if (ret) {
		close(fd);
		unlink(path);
		return ret;
	}
	d->listen_fd = fd;
	return 0;
}

static void on_listen(struct ptd *d, struct ptd_ev *ev, uint32_t events)
{
	(void)ev, (void)events;
	for (;;) {
		struct ptd_cred cr = { .uid = (uid_t)-1, .gid = (gid_t)-1 };
		struct ucred uc;
		socklen_t uclen = sizeof(uc);
		struct ptd_conn *c;
		pid_t pid = 0;
		int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
			    errno == ENOBUFS) {
				/*
				 * Out of descriptors: a level-triggered listening
				 * socket would wake us forever.  Stop listening until
				 * a connection closes or the next timer tick.
				 */
				LOG_RATELIMIT(1, "cannot accept control connections: %s (raise "
					      "ptnetd's limit: ulimit -n)", strerror(errno));
				ptd_ev_mod(d, &d->ev_listen, 0);
				d->accept_paused = true;
			} else if (errno != EAGAIN && errno != EINTR) {
				LOG_RATELIMIT(1, "accept: %s", strerror(errno));
			}
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &uclen) == 0) {
			cr.uid = uc.uid;
			cr.gid = uc.gid;
			pid = uc.pid;
		}
		if (ptd_ctl_conn_new(d, fd, &cr, pid, &c) == -ENOSPC) {
			static const char msg[] = "err ENOSPC too many connections to ptnetd";

			send(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		}
		if (!c)
			close(fd);
	}
}

int ptd_ctl_conn_new(struct ptd *d, int fd, const struct ptd_cred *cr, pid_t pid,
		     struct ptd_conn **out)
{
	struct ptd_conn *c;
	int ret;

	*out = NULL;
	/* The last slots are root's: others cannot lock the admin out. */
	if (d->nconns >= PTD_MAX_CONNS ||
	    (cr->uid != 0 && d->nconns >= PTD_MAX_CONNS - PTD_ROOT_CONNS))
		return -ENOSPC;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = fd;
	c->cr = *cr;
	c->pid = pid;
	c->outq_tail = &c->outq;
	c->events = EPOLLIN | EPOLLRDHUP;
	ret = ptd_ev_add(d, &c->ev, fd, c->events, on_conn);
	if (ret) {
		free(c);
		return ret;
	}
	d->nconns++;
	*out = c;
	return 0;
}

/* Connections are freed after the current event batch: it may name them. */
void ptd_ctl_close(struct ptd *d, struct ptd_conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	ptd_ev_del(d, &c->ev);
	close(c->fd);
	c->fd = -1;
	outq_free(c);		/* unsent replies and the descriptors they carried */
	if (c->port)
		ptd_port_destroy(d, c->port);
	c->port = NULL;
	d->nconns--;
	ptd_ctl_resume(d);	/* a descriptor was freed */
	ptd_defer_free(d, &c->gone, c);
}

/* Listen again after running out of descriptors (see on_listen). */
void ptd_ctl_resume(struct ptd *d)
{
	if (!d->accept_paused)
		return;
	d->accept_paused = false;
	ptd_ev_mod(d, &d->ev_listen, EPOLLIN);
}

/* Every request: the core's, then each kind's. */
static const struct ptd_request *find_request(const char *name)
{
	for (const struct ptd_request *r = ptd_core_requests; r->name; r++)
		if (!strcmp(r->name, name))
			return r;
	for (unsigned int k = 0; ptd_kinds[k]; k++)
		for (const struct ptd_request *r = ptd_kinds[k]->requests; r && r->name; r++)
			if (!strcmp(r->name, name))
				return r;
	return NULL;
}

const struct ptd_request *ptd_ctl_find_request(const char *name)
{
	return find_request(name);
}

/* "attach list ...": the names of every request, generated from the tables. */
static void request_names(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (const struct ptd_request *r = ptd_core_requests; r->name && n < len; r++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", r->name);
	for (unsigned int k = 0; ptd_kinds[k]; k++)
		for (const struct ptd_request *r = ptd_kinds[k]->requests; r && r->name && n < len;
		     r++)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", r->name);
}

/* The first request of a connection must be "hello abi=N".  Returns <0 to drop it. */
static int hello(struct ptd_conn *c, struct ptc_tokens *t)
{
	const char *abi = ptc_kv_get(t, 1, "abi");
	uint32_t v;

	if (strcmp(t->tok[0], "hello") || !abi || ptc_parse_u32(abi, 0, 1000000, &v)) {
		sendf(c, "err EPROTO expected 'hello abi=%u' first", PTNET_ABI_VERSION);
		return -EPROTO;
	}
	if (v != PTNET_ABI_VERSION) {
		sendf(c, "err EPROTO version mismatch: client speaks abi %u, ptnetd %s speaks abi "
		      "%u; use tools and library of the same release", v, PTNET_VERSION,
		      PTNET_ABI_VERSION);
		return -EPROTO;
	}
	c->hello = true;
	sendf(c, "ok abi=%u version=%s", PTNET_ABI_VERSION, PTNET_VERSION);
	return 0;
}

/* One request line.  Returns <0 to drop the connection. */
static int handle(struct ptd *d, struct ptd_conn *c, char *msg)
{
	struct ptd_reply *r;
	struct ptd_err e = { "" };
	const struct ptd_request *req;
	struct ptc_tokens t;
	int n = ptc_split(msg, &t), ret;

	if (n < 0) {
		sendf(c, "err %s malformed request (printable ASCII, at most %d words)",
		      n == -E2BIG ? "E2BIG" : "EINVAL", PTC_MAX_TOKENS);
		return 0;
	}
	if (n == 0) {
		sendf(c, "err EINVAL empty request");
		return 0;
	}
	if (!c->hello)
		return hello(c, &t);
	req = find_request(t.tok[0]);
	if (!req) {
		char names[512];

		request_names(names, sizeof(names));
		sendf(c, "err EINVAL unknown request '%.32s' (%s)", t.tok[0], names);
		return 0;
	}
	if (req->needs_root && c->cr.uid != 0) {
		sendf(c, "err EPERM only root may use '%s'", req->name);
		return 0;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		sendf(c, "err ENOMEM out of memory");
		return 0;
	}
	ret = req->handler(d, c, &t, r, &e);
	if (ret < 0) {
		reply_err(c, ret, &e);
	} else {
		char line[PTC_MAX_MSG];

		snprintf(line, sizeof(line), "ok%s%s", r->text[0] ? " " : "", r->text);
		/* fds[give_from..) are handed over (or never will be): ptnetd's copies go. */
		send_line(c, line, r->fds, r->nfds, r->give_from);
	}
	free(r);
	return 0;
}

/* Drop C, which let its output queue fill: logged once per connection. */
static void drop_unread(struct ptd *d, struct ptd_conn *c)
{
	d->ctl_unread_drops++;
	LOG_RATELIMIT(1, "dropping control client pid %d uid %u: it did not read its replies "
		      "(%zu bytes queued, limit %zu)", (int)c->pid, (unsigned)c->cr.uid,
		      c->outq_bytes, outq_max(c));
	ptd_ctl_close(d, c);
}

static void on_conn(struct ptd *d, struct ptd_ev *ev, uint32_t events)
{
	struct ptd_conn *c = ptd_container_of(ev, struct ptd_conn, ev);

	/* Whatever woke us, what waits goes first: no request is read before it is sent. */
	if (c->outq) {
		if (outq_flush(c) < 0) {
			ptd_ctl_close(d, c);
			return;
		}
		if (c->outq) {
			if (events & (EPOLLHUP | EPOLLERR))
				ptd_ctl_close(d, c);
			else
				update_events(d, c);	/* (lines may come from elsewhere) */
			return;
		}
		update_events(d, c);
		if (!(events & EPOLLIN))
			return;		/* level-triggered: requests wake us again */
	}
	for (int rounds = 0; rounds < 16 && !c->closed && !c->outq; rounds++) {
		char buf[PTC_MAX_MSG + 1];
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
		/* No msg_control: any fds a client sends are discarded by the kernel. */
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			ptd_ctl_close(d, c);
			return;
		}
		if (n == 0) {
			/* An empty message, or the end of the connection? */
			if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
				ptd_ctl_close(d, c);
				return;
			}
			sendf(c, "err EINVAL empty request");
		} else if (mh.msg_flags & MSG_TRUNC) {
			sendf(c, "err EMSGSIZE request longer than %d bytes", PTC_MAX_MSG);
		} else if (memchr(buf, '\0', (size_t)n)) {
			sendf(c, "err EINVAL request contains a NUL byte");
		} else {
			buf[n] = '\0';
			if (handle(d, c, buf) < 0) {
				ptd_ctl_close(d, c);
				return;
			}
		}
		if (c->closed)
			return;		/* the request closed it (detach of its own peer...) */
		if (c->send_failed) {
			if (c->outq_full)
				drop_unread(d, c);
			else
				ptd_ctl_close(d, c);
			return;
		}
	}
	if (c->closed)
		return;
	if (events & (EPOLLHUP | EPOLLERR)) {
		ptd_ctl_close(d, c);
		return;
	}
	update_events(d, c);
}
