// SPDX-License-Identifier: BSD-2-Clause
/*
 * passthrough.c - the passthrough kind: a host process (libptnet) attaches
 * a port over its control connection and gets the region's memfd and, per
 * ring, the write end of a kick pipe and the read end of an irq pipe.
 *
 * Notifications use pipes rather than eventfds: ptnetd keeps the other
 * ends as its own open file descriptions, so a client cannot make ptnetd
 * block by changing their flags or filling a counter.  The port lives as
 * long as the connection that attached it (ctl.c closes it with the
 * connection).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon/ctl.h"
#include "daemon/log.h"
#include "daemon/passthrough.h"
#include "daemon/port.h"

int ptd_pt_ends_make(struct ptd_port *p, struct ptd_pt_ends *s, struct ptd_err *e)
{
	for (unsigned int i = 0; i < 2 * PTNET_MAX_RINGS; i++)
		s->kick_w[i] = s->irq_r[i] = -1;
	return ptd_port_make_pipes(p, s->kick_w, s->irq_r, e);
}

void ptd_pt_ends_close(struct ptd_port *p, struct ptd_pt_ends *s)
{
	for (unsigned int i = 0; i < 2 * PTNET_MAX_RINGS; i++) {
		if (s->kick_w[i] >= 0)
			close(s->kick_w[i]);
		if (s->irq_r[i] >= 0)
			close(s->irq_r[i]);
	}
	ptd_port_close_fds(p);
}

static int pt_create(struct ptd *d, struct ptd_port *p, const void *conf, struct ptd_err *e)
{
	struct ptd_pt_ends *s = calloc(1, sizeof(*s));

	(void)d, (void)conf;
	if (!s)
		return ptd_err(e, -ENOMEM, "out of memory");
	p->priv = s;
	return ptd_pt_ends_make(p, s, e);
}

static int pt_start(struct ptd *d, struct ptd_port *p, struct ptd_err *e)
{
	(void)d, (void)p, (void)e;
	return 0;
}

static void pt_stop(struct ptd *d, struct ptd_port *p)
{
	(void)d, (void)p;
}

static void pt_free(struct ptd *d, struct ptd_port *p)
{
	struct ptd_pt_ends *s = p->priv;

	(void)d;
	if (s)
		ptd_pt_ends_close(p, s);
	else
		ptd_port_close_fds(p);
	free(s);
	p->priv = NULL;
}

static int pt_describe(const struct ptd_port *p, char *buf, size_t len)
{
	(void)p;
	if (len)
		buf[0] = '\0';
	return 0;
}

/* attach NAME [key=value]...: make a port and hand its memory and pipes over. */
static int do_attach(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
		     struct ptd_reply *r, struct ptd_err *e);

static const struct ptd_request pt_requests[] = {
	{ "attach", do_attach, false },
	{ NULL, NULL, false },
};

const struct ptd_port_ops ptd_passthrough_ops = {
	.name = "passthrough",
	.region_kind = PTNET_KIND_PASSTHROUGH,
	.create = pt_create,
	.start = pt_start,
	.stop = pt_stop,
	.free = pt_free,
	.describe = pt_describe,
	.requests = pt_requests,
};

static int do_attach(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
		     struct ptd_reply *r, struct ptd_err *e)
{
	struct ptnet_port_opts o = { 0 };
	unsigned int given = 0;
	struct ptd_port *p;
	struct ptd_cred cr;
	int ret;

	if (c->port)
		return ptd_err(e, -EBUSY, "this connection already holds port %s", c->port->name);
	if (t->n < 2)
		return ptd_err(e, -EINVAL, "usage: attach NAME [key=value]...");
	ret = ptd_ctl_port_opts(t, 2, NULL, &o, &given, e);
	if (ret)
		return ret;
	ret = ptc_opts_finish(&o, e->msg, sizeof(e->msg));
	if (ret)
		return ret;
	/* The client's pid goes in: --pin-workers places its rings by its affinity. */
	cr = c->cr;
	cr.pid = c->pid;
	ret = ptd_port_create(d, t->tok[1], &o, &ptd_passthrough_ops, NULL, &cr, &p, e);
	if (ret)
		return ret;
	ptd_pt_hand_over(c, p, p->priv, r);
	LOG_INFO("port %s attached by pid %d uid %u (%u+%u rings, %u/%u slots, buf %u)",
		 p->name, (int)c->pid, (unsigned)c->cr.uid, p->ntx, p->nrx, p->txq[0].nslots,
		 p->rxq[0].nslots, p->buf_size);
	return 0;
}

void ptd_pt_hand_over(struct ptd_conn *c, struct ptd_port *p, struct ptd_pt_ends *s,
		      struct ptd_reply *r)
{
	p->conn = c;
	p->pid = c->pid;
	c->port = p;
	/* The memfd stays ptnetd's; the client's ends are given away with the reply. */
	r->fds[r->nfds++] = p->memfd;
	r->give_from = r->nfds;
	for (unsigned int i = 0; i < p->ntx + p->nrx; i++) {
		r->fds[r->nfds++] = s->kick_w[i];
		s->kick_w[i] = -1;
	}
	for (unsigned int i = 0; i < p->ntx + p->nrx; i++) {
		r->fds[r->nfds++] = s->irq_r[i];
		s->irq_r[i] = -1;
	}
	snprintf(r->text, sizeof(r->text), "size=%zu rings=%u", p->size, p->ntx + p->nrx);
}
