// SPDX-License-Identifier: BSD-2-Clause
/*
 * ctl.c - the control socket (docs/protocol.md).
 *
 * SOCK_SEQPACKET, one request per message, one line of text each.  The
 * control thread never blocks on a client: sends are non-blocking and a
 * client that does not read its replies is disconnected.  Anything that
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
#include "daemon/daemon.h"
#include "daemon/log.h"

static int send_msg(struct ptd_conn *c, const char *msg, const int *fds, unsigned int nfds)
{
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = strlen(msg) };
	union {
		char buf[CMSG_SPACE(sizeof(int) * 2 * (1 + 2 * PTNET_MAX_RINGS))];
		struct cmsghdr align;
	} cbuf;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		struct cmsghdr *cm;

		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	if (sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

static int replyf(struct ptd_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int replyf(struct ptd_conn *c, const char *fmt, ...)
{
	char buf[PTC_MAX_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return send_msg(c, buf, NULL, 0);
}

static int reply_err(struct ptd_conn *c, int err, const char *msg)
{
	return replyf(c, "err %s %s", ptc_errno_name(-err), msg);
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

int ptd_ctl_listen(struct ptd *d)
{
	const char *path = d->cfg.sock_path;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
	char dir[sizeof(sa.sun_path)];
	char *slash;
	int fd, ret;

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
	if (listen(fd, 128) < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		ret = -errno;
		close(fd);
		unlink(path);
		return ret;
	}
	d->listen_fd = fd;
	return 0;
}

void ptd_ctl_accept(struct ptd *d)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
		struct ucred cr;
		socklen_t crlen = sizeof(cr);
		struct ptd_conn *c;
		int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
			    errno == ENOBUFS) {
				/*
				 * Out of descriptors: a level-triggered listening
				 * socket would wake us forever.  Stop listening until
				 * a connection closes or the next timer tick.
				 */
				struct epoll_event off = { .events = 0, .data.u64 = 1 };

				LOG_RATELIMIT(1, "cannot accept control connections: %s (raise "
					      "ptnetd's limit: ulimit -n)", strerror(errno));
				epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->listen_fd, &off);
				d->accept_paused = true;
			} else if (errno != EAGAIN && errno != EINTR) {
				LOG_RATELIMIT(1, "accept: %s", strerror(errno));
			}
			return;
		}
		if (d->nconns >= PTD_MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
			static const char msg[] = "err ENOSPC too many connections to ptnetd";

			send(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		c->type = PTD_EV_CONN;
		c->fd = fd;
		c->uid = (uid_t)-1;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == 0) {
			c->uid = cr.uid;
			c->gid = cr.gid;
			c->pid = cr.pid;
		}
		/* The last slots are root's: others cannot lock the admin out. */
		if (c->uid != 0 && d->nconns >= PTD_MAX_CONNS - PTD_ROOT_CONNS) {
			static const char msg[] = "err ENOSPC too many connections to ptnetd";

			send(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			free(c);
			continue;
		}
		ev.data.ptr = c;
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		d->nconns++;
	}
}

/* Connections are freed in ptd_ctl_reap: the current epoll batch may name them. */
void ptd_ctl_close(struct ptd *d, struct ptd_conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	if (c->port)
		ptd_port_destroy(d, c->port);
	c->port = NULL;
	d->nconns--;
	c->next_dead = d->dead;
	d->dead = c;
}

/* Listen again after running out of descriptors (see ptd_ctl_accept). */
void ptd_ctl_resume(struct ptd *d)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };

	if (!d->accept_paused)
		return;
	d->accept_paused = false;
	epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->listen_fd, &ev);
}

void ptd_ctl_reap(struct ptd *d)
{
	if (d->dead)
		ptd_ctl_resume(d);	/* descriptors were freed */
	while (d->dead) {
		struct ptd_conn *c = d->dead;

		d->dead = c->next_dead;
		free(c);
	}
}

static int do_attach(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t)
{
	struct ptd_cred cr = { .uid = c->uid, .gid = c->gid };
	struct ptnet_port_opts o = { 0 };
	unsigned int given = 0, nfds = 0;
	int fds[1 + 4 * PTNET_MAX_RINGS];
	struct ptd_port *p;
	char err[256];
	int ret;

	if (c->port)
		return replyf(c, "err EBUSY this connection already holds port %s", c->port->name);
	if (t->n < 2)
		return replyf(c, "err EINVAL usage: attach NAME [key=value]...");
	for (int i = 2; i < t->n; i++) {
		char *eq = strchr(t->tok[i], '=');

		if (!eq)
			return replyf(c, "err EINVAL bad option '%.64s' (want key=value)", t->tok[i]);
		*eq = '\0';
		ret = ptc_opt_apply(&o, &given, t->tok[i], eq + 1, err, sizeof(err));
		*eq = '=';
		if (ret)
			return reply_err(c, ret == -ENOENT ? -EINVAL : ret, err);
	}
	ret = ptc_opts_finish(&o, err, sizeof(err));
	if (ret)
		return reply_err(c, ret, err);
	ret = ptd_port_create(d, t->tok[1], &o, PTNET_KIND_PASSTHROUGH, &cr, &p, err, sizeof(err));
	if (ret)
		return reply_err(c, ret, err);
	p->conn = c;
	c->port = p;
	fds[nfds++] = p->memfd;
	for (unsigned int i = 0; i < p->ntx + p->nrx; i++)
		fds[nfds++] = p->kick_wfd[i];
	for (unsigned int i = 0; i < p->ntx + p->nrx; i++)
		fds[nfds++] = p->irq_rfd[i];
	{
		char msg[256];

		snprintf(msg, sizeof(msg), "ok size=%zu rings=%u", p->size, p->ntx + p->nrx);
		ret = send_msg(c, msg, fds, nfds);
	}
	/* The client holds its ends now (or never will): ptnetd drops them. */
	for (unsigned int i = 0; i < p->ntx + p->nrx; i++) {
		close(p->kick_wfd[i]);
		close(p->irq_rfd[i]);
		p->kick_wfd[i] = p->irq_rfd[i] = -1;
	}
	if (ret)
		return ret;
	LOG_INFO("port %s attached by pid %d uid %u (%u+%u rings, %u/%u slots, buf %u)",
		 p->name, (int)c->pid, (unsigned)c->uid, p->ntx, p->nrx, p->txq[0].nslots,
		 p->rxq[0].nslots, p->buf_size);
	return 0;
}

static int do_tap_add(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t)
{
	struct ptd_cred cr = { .uid = c->uid, .gid = c->gid };
	struct ptd_tap_conf tc = { .queues = 1, .mtu = 1500 };
	const char *v;
	struct ptd_port *p;
	uint8_t mac[6];
	char err[256];
	int ret;

	if (t->n < 2)
		return replyf(c, "err EINVAL usage: tap-add NAME [netns=NS] [ifname=IF] [queues=N] "
			      "[mtu=M] [mac=MAC]");
	for (int i = 2; i < t->n; i++) {
		static const char *const keys[] = { "netns=", "ifname=", "queues=", "mtu=", "mac=" };
		bool known = false;

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			known |= !strncmp(t->tok[i], keys[k], strlen(keys[k]));
		if (!known)
			return replyf(c, "err EINVAL unknown tap option '%.64s' (netns ifname queues "
				      "mtu mac)", t->tok[i]);
	}
	tc.netns = ptc_kv_get(t, 2, "netns");
	tc.ifname = ptc_kv_get(t, 2, "ifname");
	if (tc.netns && (!*tc.netns || strchr(tc.netns, '/') || strlen(tc.netns) > 60 ||
			 tc.netns[0] == '.'))
		return replyf(c, "err EINVAL bad netns name '%.64s'", tc.netns);
	v = ptc_kv_get(t, 2, "queues");
	if (v && ptc_parse_u32(v, 1, PTNET_MAX_RINGS, &tc.queues))
		return replyf(c, "err EINVAL queues=%.16s: must be 1..%d", v, PTNET_MAX_RINGS);
	v = ptc_kv_get(t, 2, "mtu");
	if (v && ptc_parse_u32(v, 68, 9000, &tc.mtu))
		return replyf(c, "err EINVAL mtu=%.16s: must be 68..9000", v);
	v = ptc_kv_get(t, 2, "mac");
	if (v) {
		if (ptc_parse_mac(v, mac) || (mac[0] & 1))
			return replyf(c, "err EINVAL mac=%.32s: want a unicast aa:bb:cc:dd:ee:ff", v);
		tc.mac = mac;
	}
	ret = ptd_tap_create(d, t->tok[1], &tc, &cr, &p, err, sizeof(err));
	if (ret)
		return reply_err(c, ret, err);
	return replyf(c, "ok ifname=%s ifindex=%u", p->tap->ifname, p->tap->ifindex);
}

static int do_vm_add(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t)
{
	struct ptd_cred cr = { .uid = c->uid, .gid = c->gid };
	struct ptnet_port_opts o = { 0 };
	const char *path = NULL;
	unsigned int given = 0;
	struct ptd_port *p;
	char err[256];
	int ret;

	if (c->uid != 0)
		return replyf(c, "err EPERM only root may add vm ports");
	if (t->n < 3)
		return replyf(c, "err EINVAL usage: vm-add NAME socket=PATH [rings=N] [slots=S] "
			      "[buf-size=B] [mac=MAC]");
	for (int i = 2; i < t->n; i++) {
		char *eq = strchr(t->tok[i], '=');

		if (!eq)
			return replyf(c, "err EINVAL bad option '%.64s' (want key=value)", t->tok[i]);
		if (!strncmp(t->tok[i], "socket=", 7)) {
			path = eq + 1;
			continue;
		}
		*eq = '\0';
		ret = ptc_opt_apply(&o, &given, t->tok[i], eq + 1, err, sizeof(err));
		*eq = '=';
		if (ret)
			return reply_err(c, ret == -ENOENT ? -EINVAL : ret, err);
	}
	if (given & PTC_OPT_VNET_HDR)
		return replyf(c, "err EINVAL a vm port's guest chooses its vnet-hdr");
	ret = ptc_opts_finish(&o, err, sizeof(err));
	if (ret)
		return reply_err(c, ret, err);
	ret = ptd_vm_create(d, t->tok[1], path, &o, &cr, &p, err, sizeof(err));
	if (ret)
		return reply_err(c, ret, err);
	return replyf(c, "ok socket=%s vectors=%u size=%zu", p->vm->path, p->vm->nvec, p->size);
}

static int stats_rec(struct ptd_conn *c, const char *type, const char *name,
		     const struct ptd_stats *st, const char *extra)
{
	char buf[PTC_MAX_MSG];
	int n = snprintf(buf, sizeof(buf), "rec type=%s name=%s%s", type, name, extra);

#define X(f) n += snprintf(buf + n, sizeof(buf) - (size_t)n, " " #f "=%llu", \
			   (unsigned long long)st->f);
	PTD_STATS_FIELDS(X)
#undef X
	return send_msg(c, buf, NULL, 0);
}

static int port_rec(struct ptd_conn *c, struct ptd_port *p, bool stats)
{
	static const char *const kinds[] = { "?", "passthrough", "vm", "tap" };
	char mac[18], extra[512];
	struct ptd_stats st;

	ptc_format_mac(p->mac, mac);
	int n = snprintf(extra, sizeof(extra), " switch=%s kind=%s pid=%d uid=%u mac=%s "
			 "tx_rings=%u rx_rings=%u tx_slots=%u rx_slots=%u buf_size=%u vnet_hdr=%u "
			 "mtu=%u mem=%zu", p->sw->name, kinds[p->kind & 3],
			 p->conn ? (int)p->conn->pid : 0, (unsigned)p->uid, mac, p->ntx, p->nrx,
			 p->txq[0].nslots, p->rxq[0].nslots, p->buf_size, p->vnet_hdr_len,
			 p->mtu, p->size);

	if (p->tap)
		snprintf(extra + n, sizeof(extra) - (size_t)n, " ifname=%s netns=%s",
			 p->tap->ifname, p->tap->netns[0] ? p->tap->netns : "-");
	if (p->vm)
		snprintf(extra + n, sizeof(extra) - (size_t)n, " socket=%s qemu=%s running=%d",
			 p->vm->path, p->vm->qemu_fd >= 0 ? "yes" : "no", p->running);
	if (!stats)
		return replyf(c, "rec type=port name=%s%s", p->name, extra);
	ptd_port_stats(p, &st);
	return stats_rec(c, "port", p->name, &st, extra);
}

static int do_list(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t, bool stats)
{
	const char *filter = t->n > 1 ? t->tok[1] : NULL;
	unsigned int nrec = 0;
	bool found = !filter;
	int ret;

	for (unsigned int i = 0; i < d->nsw; i++) {
		struct ptd_switch *sw = d->sw[i];
		struct ptd_stats tot = sw->gone;
		bool whole = !filter || !strcmp(filter, sw->name);
		char extra[64];

		for (unsigned int k = 0; k < sw->nports; k++) {
			struct ptd_port *p = sw->ports[sw->active[k]];
			struct ptd_stats st;

			ptd_port_stats(p, &st);
			ptd_stats_accum(&tot, &st);
			if (!whole && strcmp(filter, p->name))
				continue;
			if (stats && c->uid != 0 && c->uid != p->uid)
				continue;	/* others' counters are theirs */
			found = true;
			ret = port_rec(c, p, stats);
			if (ret)
				return ret;
			nrec++;
		}
		if (!whole)
			continue;
		found = true;
		snprintf(extra, sizeof(extra), " ports=%u", sw->nports);
		if (stats)
			ret = stats_rec(c, "switch", sw->name, &tot, extra);
		else
			ret = replyf(c, "rec type=switch name=%s%s", sw->name, extra);
		if (ret)
			return ret;
		nrec++;
	}
	if (!found)
		return replyf(c, "err ENOENT no switch or port named %.64s", filter);
	return replyf(c, "ok count=%u", nrec);
}

static int do_detach(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t)
{
	struct ptd_port *p;

	if (t->n != 2)
		return replyf(c, "err EINVAL usage: detach NAME");
	p = ptd_port_find(d, t->tok[1]);
	if (!p)
		return replyf(c, "err ENOENT no port named %.64s", t->tok[1]);
	if (p->conn == c)
		return replyf(c, "err EINVAL close the port instead of detaching it");
	if (c->uid != 0 && c->uid != p->uid)
		return replyf(c, "err EPERM port %s belongs to uid %u: only it or root may detach it",
			      p->name, (unsigned)p->uid);
	LOG_INFO("detaching %s on request of pid %d", p->name, (int)c->pid);
	if (p->conn)
		ptd_ctl_close(d, p->conn);
	else
		ptd_port_destroy(d, p);
	return replyf(c, "ok");
}

/* "allow-uid=1000,1001" -> list; returns count or -1. */
static int parse_ids(const char *v, uint32_t *ids, unsigned int max)
{
	char buf[128], *save = NULL;
	int n = 0;

	if (strlen(v) >= sizeof(buf))
		return -1;
	strcpy(buf, v);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if ((unsigned int)n == max || ptc_parse_u32(tok, 0, 0x7fffffff, &ids[n]))
			return -1;
		n++;
	}
	return n;
}

static int do_switch(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t, bool add)
{
	struct ptd_switch *sw;
	uint32_t uids[8], gids[8];
	int nu = 0, ng = 0, ret;
	const char *v;

	if (t->n < 2 || strncmp(t->tok[1], "vale", 4) ||
	    !ptc_valid_ident(t->tok[1], strlen(t->tok[1])))
		return replyf(c, "err EINVAL usage: switch-%s valeNAME%s", add ? "add" : "del",
			      add ? " [allow-uid=U,..] [allow-gid=G,..]" : "");
	if (c->uid != 0)
		return replyf(c, "err EPERM only root may create or delete switches");
	if (!add) {
		if (t->n != 2)
			return replyf(c, "err EINVAL usage: switch-del valeNAME");
		ret = ptd_switch_del(d, t->tok[1]);
		if (ret == -EBUSY)
			return replyf(c, "err EBUSY switch %s still has ports", t->tok[1]);
		if (ret)
			return replyf(c, "err ENOENT no switch named %s", t->tok[1]);
		return replyf(c, "ok");
	}
	for (int i = 2; i < t->n; i++)
		if (strncmp(t->tok[i], "allow-uid=", 10) && strncmp(t->tok[i], "allow-gid=", 10))
			return replyf(c, "err EINVAL unknown switch option '%.64s' (allow-uid "
				      "allow-gid)", t->tok[i]);
	v = ptc_kv_get(t, 2, "allow-uid");
	if (v && (nu = parse_ids(v, uids, 8)) < 0)
		return replyf(c, "err EINVAL allow-uid wants up to 8 numeric uids, comma separated");
	v = ptc_kv_get(t, 2, "allow-gid");
	if (v && (ng = parse_ids(v, gids, 8)) < 0)
		return replyf(c, "err EINVAL allow-gid wants up to 8 numeric gids, comma separated");
	if (ptd_switch_get(d, t->tok[1], false, &ret))
		return replyf(c, "err EEXIST switch %s exists", t->tok[1]);
	if (d->nsw >= d->cfg.max_switches)
		return replyf(c, "err ENOSPC limit reached: at most %u switches (raise with ptnetd "
			      "--max-switches)", d->cfg.max_switches);
	sw = ptd_switch_get(d, t->tok[1], true, &ret);
	if (!sw)
		return reply_err(c, ret, "cannot create switch");
	sw->acl = nu || ng;
	sw->nuid = (unsigned int)nu;
	sw->ngid = (unsigned int)ng;
	for (int i = 0; i < nu; i++)
		sw->allow_uid[i] = uids[i];
	for (int i = 0; i < ng; i++)
		sw->allow_gid[i] = gids[i];
	return replyf(c, "ok");
}

/* Returns <0 to drop the connection. */
static int handle(struct ptd *d, struct ptd_conn *c, char *msg)
{
	struct ptc_tokens t;
	int n = ptc_split(msg, &t);

	if (n < 0)
		return replyf(c, "err %s malformed request (printable ASCII, at most %d words)",
			      n == -E2BIG ? "E2BIG" : "EINVAL", PTC_MAX_TOKENS);
	if (n == 0)
		return replyf(c, "err EINVAL empty request");
	if (!c->hello) {
		const char *abi = ptc_kv_get(&t, 1, "abi");
		uint32_t v;

		if (strcmp(t.tok[0], "hello") || !abi || ptc_parse_u32(abi, 0, 1000000, &v)) {
			replyf(c, "err EPROTO expected 'hello abi=%u' first", PTNET_ABI_VERSION);
			return -EPROTO;
		}
		if (v != PTNET_ABI_VERSION) {
			replyf(c, "err EPROTO version mismatch: client speaks abi %u, ptnetd %s "
			       "speaks abi %u; use tools and library of the same release", v,
			       PTNET_VERSION, PTNET_ABI_VERSION);
			return -EPROTO;
		}
		c->hello = true;
		return replyf(c, "ok abi=%u version=%s", PTNET_ABI_VERSION, PTNET_VERSION);
	}
	if (!strcmp(t.tok[0], "attach"))
		return do_attach(d, c, &t);
	if (!strcmp(t.tok[0], "list"))
		return do_list(d, c, &t, false);
	if (!strcmp(t.tok[0], "stats"))
		return do_list(d, c, &t, true);
	if (!strcmp(t.tok[0], "detach"))
		return do_detach(d, c, &t);
	if (!strcmp(t.tok[0], "vm-add"))
		return do_vm_add(d, c, &t);
	if ((!strcmp(t.tok[0], "tap-add") || !strcmp(t.tok[0], "tap-del")) && c->uid != 0)
		return replyf(c, "err EPERM only root may add or delete tap ports");
	if (!strcmp(t.tok[0], "tap-add"))
		return do_tap_add(d, c, &t);
	if (!strcmp(t.tok[0], "tap-del")) {
		struct ptd_port *p = t.n == 2 ? ptd_port_find(d, t.tok[1]) : NULL;

		if (!p || p->kind != PTNET_KIND_TAP)
			return replyf(c, "err ENOENT no tap port named %.64s", t.n > 1 ? t.tok[1] : "");
		ptd_port_destroy(d, p);
		return replyf(c, "ok");
	}
	if (!strcmp(t.tok[0], "switch-add"))
		return do_switch(d, c, &t, true);
	if (!strcmp(t.tok[0], "switch-del"))
		return do_switch(d, c, &t, false);
	if (!strcmp(t.tok[0], "hello"))
		return replyf(c, "err EINVAL hello already done");
	return replyf(c, "err EINVAL unknown request '%.32s' (attach list stats detach "
		      "tap-add tap-del vm-add switch-add switch-del)", t.tok[0]);
}

void ptd_ctl_event(struct ptd *d, struct ptd_conn *c, uint32_t events)
{
	if (c->closed)
		return;
	for (int rounds = 0; rounds < 16; rounds++) {
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
			replyf(c, "err EINVAL empty request");
			continue;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			replyf(c, "err EMSGSIZE request longer than %d bytes", PTC_MAX_MSG);
			continue;
		}
		if (memchr(buf, '\0', (size_t)n)) {
			replyf(c, "err EINVAL request contains a NUL byte");
			continue;
		}
		buf[n] = '\0';
		if (handle(d, c, buf) < 0 || c->closed) {
			ptd_ctl_close(d, c);
			return;
		}
	}
	if (events & (EPOLLHUP | EPOLLERR))
		ptd_ctl_close(d, c);
}
