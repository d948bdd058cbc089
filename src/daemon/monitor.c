// SPDX-License-Identifier: BSD-2-Clause
/*
 * monitor.c - the monitor kind: a libptnet client (ptnetctl capture, a
 * netmap program's "vale0:a/t") gets copies of what another port of the
 * same switch sends (dir=tx), is delivered (dir=rx) or both, in the RX
 * rings of a port of its own; a BPF filter, if given, picks the frames
 * before they are copied.  The monitor's port is on the switch (it has a
 * name and counters) but never forwards: nothing is taken from its TX
 * rings and nothing is sent to it but copies.  A full monitor ring drops
 * (drop_ring_full at the monitor): the monitored port never waits.
 *
 * Only root and the owner of a port may monitor it: a monitor sees the
 * port's traffic.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/ctl.h"
#include "daemon/filter.h"
#include "daemon/log.h"
#include "daemon/passthrough.h"
#include "daemon/port.h"
#include "daemon/switch.h"

struct mon_conf {
	struct ptd_port *target;
	unsigned int dir;
	struct ptd_filter **filter;	/* moved to the monitor by its create hook */
};

/* A libptnet client's pipes (passthrough.h), then the monitor's own. */
struct mon_state {
	struct ptd_pt_ends ends;
	struct ptd_port *target_at_start;
	unsigned int dir;
	struct ptd_filter *filter;
};

const struct ptd_port_ops ptd_monitor_ops;

static int mon_create(struct ptd *d, struct ptd_port *p, const void *conf, struct ptd_err *e)
{
	const struct mon_conf *mc = conf;
	struct mon_state *m = calloc(1, sizeof(*m));
	int ret;

	if (!m)
		return ptd_err(e, -ENOMEM, "out of memory");
	(void)d;
	p->priv = m;
	ret = ptd_pt_ends_make(p, &m->ends, e);
	m->target_at_start = mc->target;
	m->dir = mc->dir;
	m->filter = *mc->filter;
	*mc->filter = NULL;
	return ret;
}

static int mon_start(struct ptd *d, struct ptd_port *p, struct ptd_err *e)
{
	struct mon_state *m = p->priv;

	(void)d;
	return ptd_port_monitor(m->target_at_start, p, m->dir, m->filter, e);
}

static void mon_stop(struct ptd *d, struct ptd_port *p)
{
	(void)d;
	ptd_port_unmonitor(p);
}

static void mon_free(struct ptd *d, struct ptd_port *p)
{
	struct mon_state *m = p->priv;

	(void)d;
	if (!m) {
		ptd_port_close_fds(p);
		return;
	}
	ptd_pt_ends_close(p, &m->ends);
	p->priv = NULL;
	ptd_filter_free(m->filter);
	free(m);
}

static int mon_describe(const struct ptd_port *p, char *buf, size_t len)
{
	const struct mon_state *m = p->priv;
	static const char *const dirs[] = { "-", "tx", "rx", "both" };

	return snprintf(buf, len, " target=%s dir=%s filter=%d",
			p->mon_target ? p->mon_target->name : "-", dirs[m->dir & 3], !!m->filter);
}

/* monitor NAME target=PORT [dir=tx|rx|both] [filter=HEX] [port options] */
static int do_monitor(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
		      struct ptd_reply *r, struct ptd_err *e)
{
	static const char *const own[] = { "target", "dir", "filter", NULL };
	struct ptnet_port_opts o = { 0 };
	struct ptd_filter *filter = NULL;
	struct mon_state *m;
	struct mon_conf mc = { .dir = PTD_MON_TX | PTD_MON_RX, .filter = &filter };
	const char *v, *name;
	unsigned int given = 0;
	struct ptd_port *p;
	int ret;

	if (c->port)
		return ptd_err(e, -EBUSY, "this connection already holds port %s", c->port->name);
	if (t->n < 3)
		return ptd_err(e, -EINVAL, "usage: monitor NAME target=PORT [dir=tx|rx|both] "
			       "[filter=HEX] [key=value]...");
	name = t->tok[1];
	ret = ptd_ctl_port_opts(t, 2, own, &o, &given, e);
	if (ret)
		return ret;
	v = ptc_kv_get(t, 2, "target");
	mc.target = v ? ptd_port_find(d, v) : NULL;
	if (!mc.target)
		return ptd_err(e, -ENOENT, "no port named %.64s to monitor", v ? v : "(target=)");
	if (c->cr.uid != 0 && c->cr.uid != mc.target->uid)
		return ptd_err(e, -EPERM, "port %s belongs to uid %u: only it or root may monitor "
			       "it", mc.target->name, (unsigned)mc.target->uid);
	if (strncmp(name, mc.target->sw->name, strlen(mc.target->sw->name)) ||
	    name[strlen(mc.target->sw->name)] != ':')
		return ptd_err(e, -EINVAL, "a monitor of %s is a port of %s (%s:NAME)",
			       mc.target->name, mc.target->sw->name, mc.target->sw->name);
	v = ptc_kv_get(t, 2, "dir");
	if (v) {
		if (!strcmp(v, "tx"))
			mc.dir = PTD_MON_TX;
		else if (!strcmp(v, "rx"))
			mc.dir = PTD_MON_RX;
		else if (strcmp(v, "both"))
			return ptd_err(e, -EINVAL, "dir=%.16s: tx, rx or both", v);
	}
	ret = ptc_opts_finish(&o, e->msg, sizeof(e->msg));
	if (ret)
		return ret;
	v = ptc_kv_get(t, 2, "filter");
	if (v) {
		ret = ptd_filter_parse(v, &filter, e);
		if (ret)
			return ret;
	}
	ret = ptd_port_create(d, name, &o, &ptd_monitor_ops, &mc, &c->cr, &p, e);
	ptd_filter_free(filter);	/* still ours if the create hook never ran */
	if (ret)
		return ret;
	m = p->priv;
	ptd_pt_hand_over(c, p, &m->ends, r);
	LOG_INFO("port %s monitors %s (%s%s) for pid %d", p->name, p->mon_target->name,
		 mc.dir == PTD_MON_TX ? "tx" : mc.dir == PTD_MON_RX ? "rx" : "tx+rx",
		 v ? ", filtered" : "", (int)c->pid);
	return 0;
}

static const struct ptd_request mon_requests[] = {
	{ "monitor", do_monitor, false },
	{ NULL, NULL, false },
};

const struct ptd_port_ops ptd_monitor_ops = {
	.name = "monitor",
	.region_kind = PTNET_KIND_MONITOR,
	/* It never forwards: no worker for its TX rings, never a destination. */
	.flags = PTD_KIND_SELF_FORWARD | PTD_KIND_STARTS_DOWN,
	.create = mon_create,
	.start = mon_start,
	.stop = mon_stop,
	.free = mon_free,
	.describe = mon_describe,
	.requests = mon_requests,
};
