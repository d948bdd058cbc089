// SPDX-License-Identifier: BSD-2-Clause
/*
 * pipe.c - the pipe kind: netmap pipes, "valeX:NAME{N" (master end) and
 * "valeX:NAME}N" (slave end).  The first end's "pipe" request makes the
 * pair: one region (region.c) with four rings, 0 master TX, 1 slave TX,
 * 2 master RX, 3 slave RX, one buffer pool, and in the spare room of the
 * netmap_if page each end's own netmap_if and the pair's ptnet_pipe_state
 * (abi.h); and one eventfd per ring.  The second end's request maps the
 * same region.  Each end gets the memfd and all four eventfds (it waits on
 * its own two, kicks the peer's two); ptnetd never writes them.
 *
 * ptnetd only sets the pair up and tears it down: the ends move packets
 * between themselves by swapping buffer indices (libptnet pipe.c, the ring
 * protocol in include/ptnet/pipe.h), with no ptnetd thread involved.  The
 * pair is on its switch only to have a name, an owner and a record in
 * list/stats: it never forwards (PTD_KIND_SELF_FORWARD: no worker takes
 * its TX rings) and is nobody's destination (PTD_KIND_STARTS_DOWN, never
 * turned on).
 *
 * A pair may also live in a port's memory: a port attached with pipes=K
 * reserves K rooms (pipe_room.c, abi.h) whose rings take their buffers from
 * the port's pool, and the first open of "valeX:NAME{k" or "}k" (k < K) by
 * the port's owner or root puts pair k there (pipe_region): its ends get
 * the port's memfd, so a buffer index moves between the port's rings and
 * the pipe's with no copy, as netmap's lb does.  That is trust by design:
 * the port's owner asked for it (pipes=K) and only its uid or root may open
 * either end.  ptnetd's forwarding into the port stays safe: it copies only
 * into buffers whose index it checked against the pool, whatever the pipe
 * ends write.  Such a pair is a child of the port (p->parent): it goes
 * before the port, and its own dead flag is in its pipe state.
 *
 * One end's close (or its process's death, which closes its connection)
 * frees the pair: the region is marked dead (libptnet reports -EPIPE, the
 * netmap preload POLLERR/ENXIO) and the other end's connection is closed,
 * which wakes it if it sleeps.  netmap keeps a pair until both ends are
 * closed and lets the survivor go on alone; ptnet frees it at once, so a
 * dead peer's memory never lingers (docs/protocol.md, README).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <ptnet/barrier.h>
#include "daemon/csb.h"
#include "daemon/ctl.h"
#include "daemon/log.h"
#include "daemon/port.h"

/* Where the pipe kind puts its own structures: the netmap_if page of the region. */
#define PIPE_NIFP_OFS(e)	PTNET_PIPE_ROOM_NIFP(e)	/* from the region's netmap_if */
#define PIPE_STATE_OFS		PTNET_PIPE_ROOM_STATE
#define PIPE_PAGE		4096u

_Static_assert(sizeof(struct netmap_if) + 4 * sizeof(int64_t) <= 1024, "nifp room");
_Static_assert(PIPE_STATE_OFS + sizeof(struct ptnet_pipe_state) <= PIPE_PAGE, "state room");

struct pipe_pair {
	struct ptd_conn *conn[2];	/* each end's connection, NULL until opened */
	pid_t pid[2];
	int efd[4];			/* per ring, as the rings: M TX, S TX, M RX, S RX */
	uint64_t nifp_ofs[2];		/* region offsets */
	uint64_t state_ofs;
	uint8_t *mem;			/* the region the offsets are in (the parent's, if any) */
	int memfd;			/* and its memfd, the ends map it whole */
	size_t size;
};

/* conf of a pair in a port's room (pipe_region). */
struct pipe_conf {
	struct ptd_port *parent;
	unsigned int id;
};

const struct ptd_port_ops ptd_pipe_ops;

/* Each end's netmap_if: its TX ring, then its RX ring. */
static void write_end_nifp(struct ptd_port *p, const struct netmap_if *all, uint32_t all_ofs,
			   unsigned int end, uint32_t ofs)
{
	struct netmap_if *nifp = (struct netmap_if *)(p->mem + ofs);

	snprintf(nifp->ni_name, sizeof(nifp->ni_name), "%s", p->pname);
	if (end == PTNET_PIPE_SLAVE) {
		char *b = strchr(nifp->ni_name, '{');

		if (b)
			*b = '}';
	}
	*(uint32_t *)&nifp->ni_version = all->ni_version;
	*(uint32_t *)&nifp->ni_flags = all->ni_flags;
	*(uint32_t *)&nifp->ni_tx_rings = 1;
	*(uint32_t *)&nifp->ni_rx_rings = 1;
	((int64_t *)nifp->ring_ofs)[0] = all->ring_ofs[end] + (int64_t)all_ofs - (int64_t)ofs;
	((int64_t *)nifp->ring_ofs)[1] = all->ring_ofs[2 + end] + (int64_t)all_ofs - (int64_t)ofs;
}

static int pipe_create(struct ptd *d, struct ptd_port *p, const void *conf, struct ptd_err *e)
{
	struct pipe_pair *s = calloc(1, sizeof(*s));
	const struct netmap_if *all;
	uint32_t nifp;

	(void)d;
	if (!s)
		return ptd_err(e, -ENOMEM, "out of memory");
	p->priv = s;
	for (unsigned int i = 0; i < 4; i++)
		s->efd[i] = -1;
	for (unsigned int i = 0; i < 4; i++) {
		s->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (s->efd[i] < 0)
			return ptd_err(e, -errno, "cannot create the pipe's eventfds: %s (raise "
				       "the open file limit of ptnetd: ulimit -n)", strerror(errno));
	}
	if (conf) {
		/* In the parent's room k (pipe_region): rewritten afresh, its buffers kept. */
		const struct pipe_conf *pc = conf;
		struct ptd_port *par = pc->parent;
		uint64_t room = par->pipe_ofs + pc->id * par->pipe_stride;

		ptd_pipe_room_write(par->mem, room, par->pname, pc->id, par->pipe_slots,
				    par->buf_size, (uint64_t)(par->bufs - par->mem), NULL);
		s->mem = par->mem;
		s->memfd = par->memfd;
		s->size = par->size;
		for (unsigned int end = 0; end < 2; end++)
			s->nifp_ofs[end] = room + PTNET_PIPE_ROOM_NIFP(end);
		s->state_ofs = room + PTNET_PIPE_ROOM_STATE;
		return 0;
	}
	/* A region of its own (region.c wrote it just now, no client maps it yet). */
	nifp = *ptd_reg(p, PTNET_IO_NIFP_OFS);
	all = (const struct netmap_if *)(p->mem + nifp);
	s->mem = p->mem;
	s->memfd = p->memfd;
	s->size = p->size;
	/* Each end sees its rings as its ring 0. */
	for (unsigned int i = 0; i < 4; i++)
		*(uint16_t *)&((struct netmap_ring *)((uint8_t *)all + all->ring_ofs[i]))->ringid = 0;
	/* region.c gives the netmap_if a page of its own: the rest of it is ours. */
	for (unsigned int end = 0; end < 2; end++) {
		s->nifp_ofs[end] = nifp + PIPE_NIFP_OFS(end);
		write_end_nifp(p, all, nifp, end, s->nifp_ofs[end]);
	}
	s->state_ofs = nifp + PIPE_STATE_OFS;
	memset(p->mem + s->state_ofs, 0, sizeof(struct ptnet_pipe_state));
	return 0;
}

/*
 * The pair's memory: a region of its own, or (CONF) room k of its parent's
 * region.  A child has no region and no rings of ptnetd's: nothing of
 * ptnetd reads or forwards its rings.
 */
static int pipe_region(struct ptd *d, struct ptd_port *p, const struct ptnet_port_opts *o,
		       const void *conf, struct ptd_err *e)
{
	const struct pipe_conf *pc = conf;

	(void)d;
	if (!pc)
		return ptd_region_create(p, o, e);
	p->parent = pc->parent;
	p->buf_size = pc->parent->buf_size;
	p->buf_num = pc->parent->buf_num;
	p->mtu = pc->parent->mtu;
	p->ntx = p->nrx = 0;
	p->txq[0].nslots = p->rxq[0].nslots = pc->parent->pipe_slots;	/* for the records */
	return 0;
}

static int pipe_start(struct ptd *d, struct ptd_port *p, struct ptd_err *e)
{
	(void)d, (void)p, (void)e;
	return 0;
}

static void pipe_stop(struct ptd *d, struct ptd_port *p)
{
	(void)d, (void)p;
}

/*
 * The pair goes: both ends lose it.  The connection that is closing (or
 * was asked to) is closed already; the other end's is closed now, so a
 * sleeping peer wakes on its hang-up and finds the region dead.
 */
static void pipe_free(struct ptd *d, struct ptd_port *p)
{
	struct pipe_pair *s = p->priv;

	if (!s)
		return;
	/* S1 (abi.h): the pair's own dead flag, before the ends lose their connections. */
	if (s->mem)
		ptnet_region_mark_dead(&((struct ptnet_pipe_state *)(s->mem + s->state_ofs))->status);
	for (unsigned int end = 0; end < 2; end++) {
		struct ptd_conn *c = s->conn[end];

		if (!c)
			continue;
		s->conn[end] = NULL;
		c->port = NULL;
		ptd_ctl_close(d, c);
	}
	for (unsigned int i = 0; i < 4; i++)
		if (s->efd[i] >= 0)
			close(s->efd[i]);
	free(s);
	p->priv = NULL;
}

static int pipe_describe(const struct ptd_port *p, char *buf, size_t len)
{
	const struct pipe_pair *s = p->priv;
	const struct ptnet_pipe_state *st;
	int n;

	if (!s) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	st = (const struct ptnet_pipe_state *)(s->mem + s->state_ofs);
	/* Words the ends write: read once each, reported as they are. */
	n = snprintf(buf, len, " pipe_ends=%u master_pid=%d slave_pid=%d pipe_drops=%u "
		     "pipe_mem=%s", (unsigned)(!!s->conn[0] + !!s->conn[1]), (int)s->pid[0],
		     (int)s->pid[1],
		     PTNET_READ_ONCE(st->dir[0].drops) + PTNET_READ_ONCE(st->dir[1].drops),
		     p->parent ? p->parent->name : "own");
	return n < 0 ? 0 : n;
}

/* pipe valeX:NAME{N|valeX:NAME}N [tx-slots=N] [buf-size=N]: open one end of a pair. */
static int do_pipe(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
		   struct ptd_reply *r, struct ptd_err *e);

static const struct ptd_request pipe_requests[] = {
	{ "pipe", do_pipe, false },
	{ NULL, NULL, false },
};

const struct ptd_port_ops ptd_pipe_ops = {
	.name = "pipe",
	.region_kind = PTNET_KIND_PIPE,
	.flags = PTD_KIND_SELF_FORWARD | PTD_KIND_STARTS_DOWN | PTD_KIND_PIPE_NAMES,
	.create = pipe_create,
	.region = pipe_region,
	.start = pipe_start,
	.stop = pipe_stop,
	.free = pipe_free,
	.describe = pipe_describe,
	.requests = pipe_requests,
};

static int pipe_opts(struct ptc_tokens *t, struct ptnet_port_opts *o, unsigned int *givenp,
		     struct ptd_err *e)
{
	unsigned int given = 0;
	int ret = ptd_ctl_port_opts(t, 2, NULL, o, &given, e);

	*givenp = given;

	if (ret)
		return ret;
	if ((o->tx_rings && o->tx_rings != 1) || (o->rx_rings && o->rx_rings != 1))
		return ptd_err(e, -EINVAL, "a pipe end has one TX and one RX ring");
	if (o->vnet_hdr_len)
		return ptd_err(e, -EINVAL, "pipes carry no virtio-net header (vnet-hdr=0)");
	if (o->extra_bufs)
		return ptd_err(e, -EINVAL, "pipes have no extra buffers (both ends would own them)");
	if (o->pipes)
		return ptd_err(e, -EINVAL, "a pipe end has no pipes of its own (pipes=0)");
	if (o->rx_slots && o->tx_slots && o->rx_slots != o->tx_slots)
		return ptd_err(e, -EINVAL, "both rings of a pipe have the same number of slots");
	if (!o->tx_slots)
		o->tx_slots = o->rx_slots;
	o->rx_slots = o->tx_slots;
	o->tx_rings = o->rx_rings = 2;	/* the pair's: each end's TX and RX */
	return ptc_opts_finish(o, e->msg, sizeof(e->msg));
}

/*
 * The port whose room pair PN would live in: "valeX:NAME" of "valeX:NAME{N",
 * if it exists, reserved rooms (pipes=K) and is no pipe itself.
 */
static struct ptd_port *room_parent(struct ptd *d, const struct ptc_portname *pn)
{
	char name[sizeof(pn->full)];
	struct ptd_port *par;
	char *b;

	snprintf(name, sizeof(name), "%s", pn->full);
	b = strrchr(name, '{');
	if (!b)
		return NULL;
	*b = '\0';
	par = ptd_port_find(d, name);
	return par && par->pipes && par->ops != &ptd_pipe_ops ? par : NULL;
}

static bool may_open(const struct ptd_conn *c, const struct ptd_port *p)
{
	uid_t uid = c->cr.uid;

	return uid == 0 || uid == p->uid || (p->parent && uid == p->parent->uid);
}

static int do_pipe(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
		   struct ptd_reply *r, struct ptd_err *e)
{
	struct ptnet_port_opts o = { 0 };
	struct ptc_portname pn;
	unsigned int end, id, given = 0;
	struct pipe_conf pc = { 0 };
	struct pipe_pair *s;
	struct ptd_port *p, *par;
	int ret;

	if (c->port)
		return ptd_err(e, -EBUSY, "this connection already holds port %s", c->port->name);
	if (t->n < 2)
		return ptd_err(e, -EINVAL, "usage: pipe valeX:NAME{N|valeX:NAME}N [key=value]...");
	ret = ptc_parse_pipename(t->tok[1], &pn, &end, &id, NULL, &given, e->msg, sizeof(e->msg));
	if (ret)
		return ret;
	ret = pipe_opts(t, &o, &given, e);
	if (ret)
		return ret;
	p = ptd_port_find(d, pn.full);
	if (p) {
		if (p->ops != &ptd_pipe_ops)
			return ptd_err(e, -EBUSY, "port %s is in use", pn.full);
		if (!may_open(c, p))
			return ptd_err(e, -EACCES, "pipe %s belongs to uid %u: only it or root may "
				       "open its other end", pn.full, (unsigned)p->uid);
		s = p->priv;
		if (s->conn[end])
			return ptd_err(e, -EBUSY, "the %s end of pipe %s is open already (pid %d)",
				       end == PTNET_PIPE_MASTER ? "master" : "slave", pn.full,
				       (int)s->pid[end]);
		/* The second end takes the pair as the first one made it. */
	} else {
		par = room_parent(d, &pn);
		if (par) {
			/* Trusted sharing of the port's buffers: its owner's or root's alone. */
			if (c->cr.uid != 0 && c->cr.uid != par->uid)
				return ptd_err(e, -EACCES, "the pipes of %s share its memory: only "
					       "its owner (uid %u) or root may open them", par->name,
					       (unsigned)par->uid);
			if (id >= par->pipes)
				return ptd_err(e, -EINVAL, "port %s has room for pipes 0..%u only "
					       "(attach it with pipes=%u or more)", par->name,
					       par->pipes - 1, id + 1);
			if ((given & (PTC_OPT_TX_SLOTS | PTC_OPT_RX_SLOTS)) &&
			    o.tx_slots != par->pipe_slots)
				return ptd_err(e, -EINVAL, "the pipes of %s have %u slots (its "
					       "tx-slots)", par->name, par->pipe_slots);
			if ((given & PTC_OPT_BUF_SIZE) && o.buf_size != par->buf_size)
				return ptd_err(e, -EINVAL, "the pipes of %s have its buf-size %u",
					       par->name, par->buf_size);
			pc.parent = par;
			pc.id = id;
		}
		ret = ptd_port_create(d, t->tok[1], &o, &ptd_pipe_ops, pc.parent ? &pc : NULL,
				      &c->cr, &p, e);
		if (ret)
			return ret;
		s = p->priv;
		p->conn = c;	/* detach, shutdown: closing it frees the pair */
		p->pid = c->pid;
	}
	s->conn[end] = c;
	s->pid[end] = c->pid;
	c->port = p;
	/* Everything stays ptnetd's until the pair goes: the other end needs it too. */
	r->fds[r->nfds++] = s->memfd;
	r->fds[r->nfds++] = s->efd[end];		/* my TX ring: room */
	r->fds[r->nfds++] = s->efd[2 + end];		/* my RX ring: packets */
	r->fds[r->nfds++] = s->efd[1 - end];		/* the peer's TX ring */
	r->fds[r->nfds++] = s->efd[2 + (1 - end)];	/* the peer's RX ring */
	r->give_from = r->nfds;
	snprintf(r->text, sizeof(r->text), "size=%zu end=%u nifp=%llu state=%llu peer=%llu",
		 s->size, end, (unsigned long long)s->nifp_ofs[end],
		 (unsigned long long)s->state_ofs, (unsigned long long)s->nifp_ofs[1 - end]);
	LOG_INFO("pipe %s: %s end opened by pid %d uid %u (%u slots, buf %u, memory %s)",
		 p->name, end == PTNET_PIPE_MASTER ? "master" : "slave", (int)c->pid,
		 (unsigned)c->cr.uid, p->txq[0].nslots, p->buf_size,
		 p->parent ? p->parent->name : "its own");
	return 0;
}
