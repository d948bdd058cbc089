// SPDX-License-Identifier: BSD-2-Clause
/*
 * port.c - the life of a port, whatever its kind: limits and access,
 * region, the kind's create hook, switch, workers, the kind's start hook;
 * and the way back.  The kinds (passthrough.c, tap.c, vm.c, ...) supply
 * what differs through struct ptd_port_ops; this file knows none of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <ptnet/barrier.h>
#include "daemon/ctl.h"
#include "daemon/filter.h"
#include "daemon/fwd.h"
#include "daemon/log.h"
#include "daemon/port.h"
#include "daemon/switch.h"
#include "daemon/worker.h"

struct ptd_port *ptd_port_find(struct ptd *d, const char *full)
{
	for (unsigned int i = 0; i < d->nsw; i++) {
		struct ptd_switch *sw = d->sw[i];

		for (unsigned int k = 0; k < sw->nports; k++) {
			struct ptd_port *p = sw->ports[sw->active[k]];

			if (p && !strcmp(p->name, full))
				return p;
		}
	}
	return NULL;
}

void ptd_notify(int fd)
{
	static const uint64_t one = 1;
	ssize_t r = write(fd, &one, sizeof(one));	/* EAGAIN: a wakeup is pending */

	(void)r;
}

void ptd_notify_drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
		;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Close the rings' notification fds (for kinds whose fds are per ring). */
void ptd_port_close_fds(struct ptd_port *p)
{
	for (unsigned int i = 0; i < PTNET_MAX_RINGS; i++) {
		close_fd(&p->txq[i].kick_rfd);
		close_fd(&p->txq[i].irq_wfd);
		close_fd(&p->rxq[i].irq_wfd);
	}
}

int ptd_port_make_pipes(struct ptd_port *p, int *kick_w, int *irq_r, struct ptd_err *e)
{
	for (unsigned int i = 0; i < p->ntx + p->nrx; i++) {
		int kick[2], irq[2];

		if (pipe2(kick, O_NONBLOCK | O_CLOEXEC) < 0)
			goto fail;
		if (pipe2(irq, O_NONBLOCK | O_CLOEXEC) < 0) {
			close(kick[0]);
			close(kick[1]);
			goto fail;
		}
		kick_w[i] = kick[1];
		irq_r[i] = irq[0];
		if (i < p->ntx) {
			p->txq[i].kick_rfd = kick[0];
			p->txq[i].irq_wfd = irq[1];
		} else {
			close(kick[0]);		/* RX rings never need kicks */
			p->rxq[i - p->ntx].irq_wfd = irq[1];
		}
	}
	return 0;
fail:
	return ptd_err(e, -errno, "cannot create notification pipes: %s (raise the open file "
		       "limit of ptnetd: ulimit -n)", strerror(errno));
}

static void uid_usage(struct ptd *d, uid_t uid, unsigned int *ports, uint64_t *mem)
{
	*ports = 0;
	*mem = 0;
	for (unsigned int i = 0; i < d->nsw; i++) {
		struct ptd_switch *sw = d->sw[i];

		for (unsigned int k = 0; k < sw->nports; k++) {
			struct ptd_port *p = sw->ports[sw->active[k]];

			if (p->uid == uid) {
				(*ports)++;
				*mem += p->size;
			}
		}
	}
}

/* Every limit, each refusal naming the limit and the option that raises it. */
static int check_limits(struct ptd *d, const struct ptnet_port_opts *o, const struct ptd_cred *cr,
			struct ptd_err *e)
{
	const struct ptd_config *c = &d->cfg;
	uint64_t size = ptd_region_size(o), umem;
	unsigned int uports;

	if (d->nports >= c->max_ports)
		return ptd_err(e, -ENOSPC, "limit reached: ptnetd serves at most %u ports (raise "
			       "with ptnetd --max-ports)", c->max_ports);
	if (size > c->max_port_mem)
		return ptd_err(e, -ENOMEM, "limit reached: the port needs %llu MiB, more than the "
			       "%llu MiB a port may use (fewer rings/slots/extra-bufs or a smaller "
			       "buf-size, or raise with ptnetd --max-port-mem)",
			       (unsigned long long)(size >> 20),
			       (unsigned long long)(c->max_port_mem >> 20));
	if (d->mem + d->mac_mem + size > c->max_mem)
		return ptd_err(e, -ENOMEM, "limit reached: ports and MAC tables would use %llu MiB, "
			       "more than the %llu MiB allowed in all (raise with ptnetd --max-mem)",
			       (unsigned long long)((d->mem + d->mac_mem + size) >> 20),
			       (unsigned long long)(c->max_mem >> 20));
	if (cr->uid == 0 || (!c->uid_max_ports && !c->uid_max_mem))
		return 0;
	uid_usage(d, cr->uid, &uports, &umem);
	if (c->uid_max_ports && uports >= c->uid_max_ports)
		return ptd_err(e, -EDQUOT, "quota reached: uid %u may hold %u ports (raise with "
			       "ptnetd --uid-max-ports)", (unsigned)cr->uid, c->uid_max_ports);
	if (c->uid_max_mem && umem + size > c->uid_max_mem)
		return ptd_err(e, -EDQUOT, "quota reached: uid %u may use %llu MiB of port memory "
			       "(raise with ptnetd --uid-max-mem)", (unsigned)cr->uid,
			       (unsigned long long)(c->uid_max_mem >> 20));
	return 0;
}

/* The switch of a new port: found (and admitting CR), or made on first use. */
static int port_switch(struct ptd *d, const char *name, const struct ptd_cred *cr,
		       struct ptd_switch **out, struct ptd_err *e)
{
	struct ptd_switch *sw = ptd_switch_find(d, name);
	int ret;

	if (!sw) {
		ret = ptd_switch_create(d, name, cr, false, 0, &sw, e);
		if (ret)
			return ret;
	} else if (!ptd_switch_admits(sw, cr)) {
		return ptd_err(e, -EACCES, "switch %s does not admit uid %u gid %u (its owner can "
			       "allow it: ptnetctl switch add %s --allow-uid %u)", sw->name,
			       (unsigned)cr->uid, (unsigned)cr->gid, sw->name, (unsigned)cr->uid);
	}
	if (sw->nports >= d->cfg.max_ports_per_switch)
		return ptd_err(e, -ENOSPC, "limit reached: switch %s has %u ports, the most allowed "
			       "(raise with ptnetd --max-ports-per-switch, at most %d)", sw->name,
			       sw->nports, PTD_MAX_PORTS);
	*out = sw;
	return 0;
}

static struct ptd_port *port_alloc(const struct ptc_portname *pn, const struct ptnet_port_opts *o,
				   const struct ptd_port_ops *ops, const struct ptd_cred *cr)
{
	struct ptd_port *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->memfd = -1;
	for (unsigned int i = 0; i < PTNET_MAX_RINGS; i++) {
		p->txq[i].kick_rfd = p->txq[i].irq_wfd = -1;
		p->rxq[i].irq_wfd = -1;
	}
	snprintf(p->name, sizeof(p->name), "%s", pn->full);
	snprintf(p->pname, sizeof(p->pname), "%s", pn->port);
	p->ops = ops;
	p->uid = cr->uid;
	p->pid = cr->pid;	/* a passthrough client (ptd_worker_add places by it), else 0 */
	p->running = !(ops->flags & PTD_KIND_STARTS_DOWN);
	if (o->mac_set) {
		memcpy(p->mac, o->mac, 6);
	} else {
		if (getrandom(p->mac, 6, 0) != 6)
			memset(p->mac, 0x5a, 6);
		p->mac[0] = (uint8_t)((p->mac[0] & 0xfc) | 0x02);	/* local, unicast */
	}
	return p;
}

/* Undo what was set up of P (not on a switch). */
static void port_free(struct ptd *d, struct ptd_port *p, bool created)
{
	if (created)
		p->ops->free(d, p);
	for (unsigned int i = 0; i < p->nrx; i++)
		ptd_rxq_fini(&p->rxq[i]);
	if (!p->parent)
		ptd_region_destroy(p);	/* a child's memory is its parent's */
	free(p);
}

/* A switch made on first use goes away with its last port (or its first that failed). */
static void switch_unused(struct ptd *d, struct ptd_switch *sw)
{
	if (!sw->nports && !sw->persistent)
		ptd_switch_del(d, sw->name, NULL);
}

int ptd_port_create(struct ptd *d, const char *name, const struct ptnet_port_opts *o,
		    const struct ptd_port_ops *ops, const void *conf, const struct ptd_cred *cr,
		    struct ptd_port **pp, struct ptd_err *e)
{
	struct ptc_portname pn;
	struct ptd_switch *sw = NULL;
	struct ptd_port *p;
	unsigned int given = 0, nrx = 0;
	bool created = false;
	int ret;

	if (ops->flags & PTD_KIND_PIPE_NAMES) {
		unsigned int end, id;

		ret = ptc_parse_pipename(name, &pn, &end, &id, NULL, &given, e->msg,
					 sizeof(e->msg));
	} else {
		ret = ptc_parse_portname(name, &pn, NULL, &given, e->msg, sizeof(e->msg));
	}
	if (ret)
		return ret;
	if (ptd_port_find(d, pn.full))
		return ptd_err(e, -EBUSY, "port %s is in use (pick another name, or detach it "
			       "with 'ptnetctl detach %s')", pn.full, pn.full);
	ret = check_limits(d, o, cr, e);
	if (ret)
		return ret;
	ret = port_switch(d, pn.sw, cr, &sw, e);
	if (ret)
		return ret;
	p = port_alloc(&pn, o, ops, cr);
	if (!p) {
		switch_unused(d, sw);
		return ptd_err(e, -ENOMEM, "out of memory");
	}
	ret = ops->region ? ops->region(d, p, o, conf, e) : ptd_region_create(p, o, e);
	for (; !ret && nrx < p->nrx; nrx++) {
		ret = ptd_rxq_init(&p->rxq[nrx]);
		if (ret)
			ptd_err(e, ret, "out of memory");
	}
	if (!ret) {
		created = true;
		ret = ops->create(d, p, conf, e);
	}
	if (ret) {
		p->nrx = nrx;
		port_free(d, p, created);
		switch_unused(d, sw);
		return ret;
	}
	ptd_switch_add_port(sw, p);
	d->nports++;
	d->mem += p->size;
	for (unsigned int i = 0; !(ops->flags & PTD_KIND_SELF_FORWARD) && i < p->ntx; i++)
		ptd_worker_add(d, &p->txq[i]);
	ret = ops->start(d, p, e);
	if (ret) {
		ptd_port_destroy(d, p);
		return ret;
	}
	*pp = p;
	return 0;
}

void ptd_port_stats(const struct ptd_port *p, struct ptd_stats *out)
{
#define X(f) out->f = PTNET_READ_ONCE(p->st.f);
	PTD_STATS_FIELDS(X)
#undef X
}

void ptd_port_set_running(struct ptd_port *p, bool on)
{
	pthread_rwlock_wrlock(&p->sw->lock);
	p->running = on;
	pthread_rwlock_unlock(&p->sw->lock);
}

int ptd_port_monitor(struct ptd_port *target, struct ptd_port *mon, unsigned int dir,
		     const struct ptd_filter *filter, struct ptd_err *e)
{
	struct ptd_switch *sw = target->sw;

	if (mon->sw != sw)
		return ptd_err(e, -EINVAL, "a monitor is on the switch of the port it monitors");
	if (target->mon_target || target == mon)
		return ptd_err(e, -EINVAL, "%s is a monitor: monitors cannot be monitored",
			       target->name);
	if (target->nmon == PTD_MAX_MONITORS)
		return ptd_err(e, -ENOSPC, "port %s has %d monitors already, the most", target->name,
			       PTD_MAX_MONITORS);
	/*
	 * Copies for monitors are made, and their filters run, in the threads
	 * that forward to and from TARGET, for every port those threads serve:
	 * a user's monitors are bounded (the last slot and the filter budget
	 * are root's), so no owner can slow other ports down at will.
	 */
	if (mon->uid != 0) {
		unsigned int insns = ptd_filter_len(filter);

		if (target->nmon == PTD_MAX_MONITORS - 1)
			return ptd_err(e, -ENOSPC, "port %s has %d monitors; the last is kept for "
				       "root", target->name, target->nmon);
		for (unsigned int i = 0; i < target->nmon; i++)
			if (target->mon[i].port->uid != 0)
				insns += ptd_filter_len(target->mon[i].filter);
		if (insns > PTD_MON_USER_INSNS)
			return ptd_err(e, -ENOSPC, "the filters of users' monitors of %s would run %u "
				       "BPF instructions per frame, more than %d (a shorter filter, "
				       "or fewer filtered monitors)", target->name, insns,
				       PTD_MON_USER_INSNS);
	}
	pthread_rwlock_wrlock(&sw->lock);
	target->mon[target->nmon++] = (struct ptd_mon){ .port = mon, .dir = dir, .filter = filter };
	target->mon_dirs |= dir;
	mon->mon_target = target;
	pthread_rwlock_unlock(&sw->lock);
	return 0;
}

void ptd_port_unmonitor(struct ptd_port *mon)
{
	struct ptd_port *t = mon->mon_target;
	unsigned int k = 0;

	if (!t)
		return;
	pthread_rwlock_wrlock(&t->sw->lock);
	t->mon_dirs = 0;
	for (unsigned int i = 0; i < t->nmon; i++) {
		if (t->mon[i].port == mon)
			continue;
		t->mon[k] = t->mon[i];
		t->mon_dirs |= t->mon[k].dir;
		k++;
	}
	t->nmon = k;
	mon->mon_target = NULL;
	pthread_rwlock_unlock(&t->sw->lock);
}

/* A port living in P's region (on P's switch), or NULL. */
static struct ptd_port *child_of(const struct ptd_port *p)
{
	const struct ptd_switch *sw = p->sw;

	for (unsigned int k = 0; k < sw->nports; k++) {
		struct ptd_port *c = sw->ports[sw->active[k]];

		if (c && c->parent == p)
			return c;
	}
	return NULL;
}

void ptd_port_destroy(struct ptd *d, struct ptd_port *p)
{
	struct ptd_switch *sw = p->sw;
	struct ptd_port *child;
	struct ptd_stats st;

	/* The ports in its memory (pipe pairs in its rooms) go before it. */
	while ((child = child_of(p)))
		ptd_port_destroy(d, child);

	/*
	 * Its monitors go first: their clients see their ports detached (the
	 * region's status) and keep their connections.
	 */
	while (p->nmon) {
		struct ptd_port *m = p->mon[0].port;

		if (m->conn)
			m->conn->port = NULL;
		ptd_port_destroy(d, m);
	}
	ptd_port_unmonitor(p);
	/* Off the switch first: no worker reaches P after this. */
	ptd_switch_remove_port(sw, p);
	for (unsigned int i = 0; i < p->ntx; i++)
		ptd_worker_del(&p->txq[i]);
	p->ops->stop(d, p);
	ptd_port_stats(p, &st);
	ptd_stats_accum(&sw->gone, &st);
	d->nports--;
	d->mem -= p->size;
	LOG_INFO("port %s detached (tx %llu rx %llu packets)", p->name,
		 (unsigned long long)st.tx_packets, (unsigned long long)st.rx_packets);
	switch_unused(d, sw);
	port_free(d, p, true);
}
