// SPDX-License-Identifier: BSD-2-Clause
/*
 * port.c - port life cycle: region, notification pipes, switch, workers.
 *
 * Notifications use pipes rather than eventfds: the client gets the write
 * end of each ring's kick pipe and the read end of its irq pipe, while
 * ptnetd keeps the other ends as its own open file descriptions, so a
 * client cannot make ptnetd block by changing their flags or filling a
 * counter.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <ptnet/barrier.h>
#include "daemon/daemon.h"
#include "daemon/log.h"

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

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void port_free(struct ptd_port *p)
{
	if (p->vm) {
		/* The rings' notification fds belong to the vectors. */
		for (unsigned int i = 0; i < PTNET_MAX_RINGS; i++) {
			p->txq[i].kick_rfd = p->txq[i].irq_wfd = -1;
			p->rxq[i].irq_wfd = -1;
		}
		for (unsigned int v = 0; v < PTD_MAX_VECTORS; v++) {
			close_fd(&p->vm->db[v]);
			close_fd(&p->vm->irq[v]);
		}
		if (!p->vm->gone)
			free(p->vm);	/* never served: nothing can name it */
		p->vm = NULL;	/* else ptd_vm_reap frees it after the event batch */
	}
	for (unsigned int i = 0; i < p->ntx + p->nrx; i++) {
		close_fd(&p->kick_wfd[i]);
		close_fd(&p->irq_rfd[i]);
	}
	for (unsigned int i = 0; i < p->ntx; i++) {
		close_fd(&p->txq[i].kick_rfd);
		close_fd(&p->txq[i].irq_wfd);
	}
	for (unsigned int i = 0; i < p->nrx; i++) {
		close_fd(&p->rxq[i].irq_wfd);
		if (p->rxq[i].leases) {
			ptd_rxq_fini(&p->rxq[i]);
			free(p->rxq[i].leases);
		}
	}
	ptd_region_destroy(p);
	free(p);
}

static int make_pipes(struct ptd_port *p, char *err, size_t errlen)
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
		p->kick_wfd[i] = kick[1];
		p->irq_rfd[i] = irq[0];
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
	snprintf(err, errlen, "cannot create notification pipes: %s (raise the open file "
		 "limit of ptnetd: ulimit -n)", strerror(errno));
	return -errno;
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

/* May CR attach to SW?  Root always may. */
static bool switch_admits(const struct ptd_switch *sw, const struct ptd_cred *cr)
{
	if (!sw->acl || cr->uid == 0)
		return true;
	for (unsigned int i = 0; i < sw->nuid; i++)
		if (sw->allow_uid[i] == cr->uid)
			return true;
	for (unsigned int i = 0; i < sw->ngid; i++)
		if (sw->allow_gid[i] == cr->gid)
			return true;
	return false;
}

/* Every limit, each refusal naming the limit and the option that raises it. */
static int check_limits(struct ptd *d, const struct ptc_portname *pn,
			const struct ptnet_port_opts *o, const struct ptd_cred *cr, char *err,
			size_t errlen)
{
	const struct ptd_config *c = &d->cfg;
	uint64_t size = ptd_region_size(o), umem;
	int ret = 0;
	unsigned int uports;

	if (d->nports >= c->max_ports) {
		snprintf(err, errlen, "limit reached: ptnetd serves at most %u ports (raise with "
			 "ptnetd --max-ports)", c->max_ports);
		return -ENOSPC;
	}
	if (size > c->max_port_mem) {
		snprintf(err, errlen, "limit reached: the port needs %llu MiB, more than the %llu MiB "
			 "a port may use (fewer rings/slots or a smaller buf-size, or raise with "
			 "ptnetd --max-port-mem)", (unsigned long long)(size >> 20),
			 (unsigned long long)(c->max_port_mem >> 20));
		return -ENOMEM;
	}
	if (d->mem + size > c->max_mem) {
		snprintf(err, errlen, "limit reached: ports would use %llu MiB, more than the %llu "
			 "MiB allowed in all (raise with ptnetd --max-mem)",
			 (unsigned long long)((d->mem + size) >> 20),
			 (unsigned long long)(c->max_mem >> 20));
		return -ENOMEM;
	}
	if (cr->uid != 0 && (c->uid_max_ports || c->uid_max_mem)) {
		uid_usage(d, cr->uid, &uports, &umem);
		if (c->uid_max_ports && uports >= c->uid_max_ports) {
			snprintf(err, errlen, "quota reached: uid %u may hold %u ports (raise with "
				 "ptnetd --uid-max-ports)", (unsigned)cr->uid, c->uid_max_ports);
			return -EDQUOT;
		}
		if (c->uid_max_mem && umem + size > c->uid_max_mem) {
			snprintf(err, errlen, "quota reached: uid %u may use %llu MiB of port memory "
				 "(raise with ptnetd --uid-max-mem)", (unsigned)cr->uid,
				 (unsigned long long)(c->uid_max_mem >> 20));
			return -EDQUOT;
		}
	}
	(void)pn;
	return ret;
}

int ptd_port_create(struct ptd *d, const char *full, const struct ptnet_port_opts *o, int kind,
		    const struct ptd_cred *cr, struct ptd_port **pp, char *err, size_t errlen)
{
	struct ptc_portname pn;
	struct ptd_switch *sw;
	struct ptd_port *p;
	unsigned int given = 0;
	int ret;

	ret = ptc_parse_portname(full, &pn, NULL, &given, err, errlen);
	if (ret)
		return ret;
	if (ptd_port_find(d, pn.full)) {
		snprintf(err, errlen, "port %s is in use (pick another name, or detach it with "
			 "'ptnetctl detach %s')", pn.full, pn.full);
		return -EBUSY;
	}
	ret = check_limits(d, &pn, o, cr, err, errlen);
	if (ret)
		return ret;
	sw = ptd_switch_get(d, pn.sw, false, &ret);
	if (sw && !switch_admits(sw, cr)) {
		snprintf(err, errlen, "switch %s does not admit uid %u gid %u (its owner can allow "
			 "it: ptnetctl switch add %s --allow-uid %u)", sw->name, (unsigned)cr->uid,
			 (unsigned)cr->gid, sw->name, (unsigned)cr->uid);
		return -EACCES;
	}
	if (!sw) {
		if (d->nsw >= d->cfg.max_switches) {
			snprintf(err, errlen, "limit reached: at most %u switches (raise with ptnetd "
				 "--max-switches)", d->cfg.max_switches);
			return -ENOSPC;
		}
		sw = ptd_switch_get(d, pn.sw, true, &ret);
		if (!sw) {
			snprintf(err, errlen, "cannot create switch %s: %s", pn.sw, strerror(-ret));
			return ret;
		}
	}
	if (sw->nports >= d->cfg.max_ports_per_switch) {
		snprintf(err, errlen, "limit reached: switch %s has %u ports, the most allowed "
			 "(raise with ptnetd --max-ports-per-switch, at most %d)", sw->name,
			 sw->nports, PTD_MAX_PORTS);
		return -ENOSPC;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->memfd = -1;
	for (unsigned int i = 0; i < 2 * PTNET_MAX_RINGS; i++)
		p->kick_wfd[i] = p->irq_rfd[i] = -1;
	for (unsigned int i = 0; i < PTNET_MAX_RINGS; i++) {
		p->txq[i].kick_rfd = p->txq[i].irq_wfd = -1;
		p->rxq[i].irq_wfd = -1;
	}
	snprintf(p->name, sizeof(p->name), "%s", pn.full);
	snprintf(p->pname, sizeof(p->pname), "%s", pn.port);
	p->kind = kind;
	p->running = kind != PTNET_KIND_VM;	/* a guest starts its port with CREATE */
	p->efd = kind == PTNET_KIND_VM;
	if (o->mac_set) {
		memcpy(p->mac, o->mac, 6);
	} else {
		if (getrandom(p->mac, 6, 0) != 6)
			memset(p->mac, 0x5a, 6);
		p->mac[0] = (uint8_t)((p->mac[0] & 0xfc) | 0x02);	/* local, unicast */
	}
	ret = ptd_region_create(p, o, err, errlen);
	if (ret)
		goto fail;
	ret = kind == PTNET_KIND_VM ? ptd_vm_make_fds(p, err, errlen) : make_pipes(p, err, errlen);
	if (ret)
		goto fail;
	for (unsigned int i = 0; i < p->nrx; i++) {
		p->rxq[i].leases = malloc(p->rxq[i].nslots * sizeof(uint32_t));
		if (!p->rxq[i].leases) {
			snprintf(err, errlen, "out of memory");
			ret = -ENOMEM;
			goto fail;
		}
		ptd_rxq_init(&p->rxq[i]);
	}
	ret = ptd_switch_add_port(sw, p);
	if (ret) {
		snprintf(err, errlen, "switch %s is full", sw->name);
		goto fail;
	}
	d->nports++;
	d->mem += p->size;
	p->uid = cr->uid;
	/* A TAP port's own threads forward its TX rings (tap.c): no worker. */
	for (unsigned int i = 0; kind != PTNET_KIND_TAP && i < p->ntx; i++)
		ptd_worker_add(d, &p->txq[i]);
	*pp = p;
	return 0;
fail:
	port_free(p);
	return ret;
}

void ptd_port_stats(const struct ptd_port *p, struct ptd_stats *out)
{
#define X(f) out->f = PTNET_READ_ONCE(p->st.f);
	PTD_STATS_FIELDS(X)
#undef X
}

void ptd_port_destroy(struct ptd *d, struct ptd_port *p)
{
	struct ptd_switch *sw = p->sw;
	struct ptd_stats st;

	ptd_switch_remove_port(sw, p);
	for (unsigned int i = 0; i < p->ntx; i++)
		ptd_worker_del(&p->txq[i]);
	ptd_tap_stop(p);
	ptd_vm_stop(d, p);
	ptd_port_stats(p, &st);
	ptd_stats_accum(&sw->gone, &st);
	d->nports--;
	d->mem -= p->size;
	LOG_INFO("port %s detached (tx %llu rx %llu packets)", p->name,
		 (unsigned long long)st.tx_packets, (unsigned long long)st.rx_packets);
	port_free(p);
}
