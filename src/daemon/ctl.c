// SPDX-License-Identifier: BSD-2-Clause
/*
 * ctl.c - the control socket's plumbing (docs/protocol.md): listening,
 * connections, messages, and dispatch through the request table.
 *
 * SOCK_SEQPACKET, one request per message, one line of text each.  The
 * requests themselves are elsewhere: the core ones in requests.c, each
 * kind's in its own file (ptd_port_ops.requests).  Replies are built here
 * only: "ok [text]" for a handler's 0, "err ENAME message" for its -errno.
 * The control thread never blocks on a client: sends are non-blocking and
 * a client that does not read its replies is disconnected.  Anything that
 * does not parse gets "err ..." and nothing else happens.
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

static void send_line(struct ptd_conn *c, const char *msg, const int *fds, unsigned int nfds)
{
	if (c->send_failed || c->closed)
		return;
	if (ptd_send_fds(c->fd, msg, strlen(msg), fds, nfds))
		c->send_failed = true;
}

void ptd_ctl_rec(struct ptd_conn *c, const char *fmt, ...)
{
	char buf[PTC_MAX_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	send_line(c, buf, NULL, 0);
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
	ret = ptd_ev_add(d, &c->ev, fd, EPOLLIN | EPOLLRDHUP, on_conn);
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
		send_line(c, line, r->fds, r->nfds);
		/* Handed over (or never will be): ptnetd's copies go. */
		for (unsigned int i = r->give_from; i < r->nfds; i++)
			close(r->fds[i]);
	}
	free(r);
	return 0;
}

static void on_conn(struct ptd *d, struct ptd_ev *ev, uint32_t events)
{
	struct ptd_conn *c = ptd_container_of(ev, struct ptd_conn, ev);

	for (int rounds = 0; rounds < 16 && !c->closed; rounds++) {
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
			continue;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			sendf(c, "err EMSGSIZE request longer than %d bytes", PTC_MAX_MSG);
			continue;
		}
		if (memchr(buf, '\0', (size_t)n)) {
			sendf(c, "err EINVAL request contains a NUL byte");
			continue;
		}
		buf[n] = '\0';
		if (handle(d, c, buf) < 0 || c->send_failed) {
			ptd_ctl_close(d, c);
			return;
		}
	}
	if (!c->closed && (events & (EPOLLHUP | EPOLLERR)))
		ptd_ctl_close(d, c);
}
