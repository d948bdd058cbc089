// SPDX-License-Identifier: BSD-2-Clause
/*
 * requests.c - the core control requests (docs/protocol.md): list, stats,
 * detach, switch-add, switch-del, fdb, fdb-flush.  Each port kind adds its own requests
 * (attach, tap-add, vm-add, ...) in its own file.  A handler returns 0
 * with the "ok" text in R, or -errno with the reason in E (ctl.c replies).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/conffile.h"
#include "daemon/ctl.h"
#include "daemon/log.h"
#include "daemon/port.h"
#include "daemon/switch.h"

static void stats_rec(struct ptd_conn *c, const char *type, const char *name,
		      const struct ptd_stats *st, const char *extra)
{
	char buf[PTC_MAX_MSG];
	int n = snprintf(buf, sizeof(buf), "rec type=%s name=%s%s", type, name, extra);

#define X(f) n += snprintf(buf + n, sizeof(buf) - (size_t)n, " " #f "=%llu", \
			   (unsigned long long)st->f);
	PTD_STATS_FIELDS(X)
#undef X
	ptd_ctl_rec(c, "%s", buf);
}

static void port_rec(struct ptd_conn *c, struct ptd_port *p, bool stats)
{
	char mac[18], extra[1024];
	struct ptd_stats st;
	int n;

	ptc_format_mac(p->mac, mac);
	n = snprintf(extra, sizeof(extra), " switch=%s kind=%s pid=%d uid=%u mac=%s tx_rings=%u "
		     "rx_rings=%u tx_slots=%u rx_slots=%u buf_size=%u vnet_hdr=%u mtu=%u mem=%zu "
		     "pipes=%u",
		     p->sw->name, p->ops->name, (int)p->pid, (unsigned)p->uid, mac, p->ntx, p->nrx,
		     p->txq[0].nslots, p->rxq[0].nslots, p->buf_size, p->vnet_hdr_len, p->mtu,
		     p->size, p->pipes);
	p->ops->describe(p, extra + n, sizeof(extra) - (size_t)n);
	if (!stats) {
		ptd_ctl_rec(c, "rec type=port name=%s%s", p->name, extra);
		return;
	}
	ptd_port_stats(p, &st);
	stats_rec(c, "port", p->name, &st, extra);
}

/* list|stats [NAME]: records of switches and ports, then "ok count=N". */
static int do_list_or_stats(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
			    struct ptd_reply *r, struct ptd_err *e, bool stats)
{
	const char *filter = t->n > 1 ? t->tok[1] : NULL;
	unsigned int nrec = 0;
	bool found = !filter;

	if (t->n > 2)
		return ptd_err(e, -EINVAL, "usage: %s [SWITCH|PORT]", t->tok[0]);
	for (unsigned int i = 0; i < d->nsw; i++) {
		struct ptd_switch *sw = d->sw[i];
		struct ptd_stats tot = sw->gone;
		bool whole = !filter || !strcmp(filter, sw->name);
		char extra[96];
		unsigned int used;

		for (unsigned int k = 0; k < sw->nports; k++) {
			struct ptd_port *p = sw->ports[sw->active[k]];
			struct ptd_stats st;

			ptd_port_stats(p, &st);
			ptd_stats_accum(&tot, &st);
			if (!whole && strcmp(filter, p->name))
				continue;
			if (stats && c->cr.uid != 0 && c->cr.uid != p->uid)
				continue;	/* others' counters are theirs */
			found = true;
			port_rec(c, p, stats);
			nrec++;
		}
		if (!whole)
			continue;
		found = true;
		pthread_rwlock_rdlock(&sw->lock);
		used = sw->ops->dump(sw, ptd_now_s(), NULL, NULL);
		pthread_rwlock_unlock(&sw->lock);
		snprintf(extra, sizeof(extra), " ports=%u persistent=%d mac_table=%u mac_used=%u",
			 sw->nports, sw->persistent, sw->mac_sets * PTD_MAC_WAYS, used);
		if (stats)
			stats_rec(c, "switch", sw->name, &tot, extra);
		else
			ptd_ctl_rec(c, "rec type=switch name=%s%s", sw->name, extra);
		nrec++;
	}
	if (!found)
		return ptd_err(e, -ENOENT, "no switch or port named %.64s", filter);
	snprintf(r->text, sizeof(r->text), "count=%u", nrec);
	return 0;
}

static int do_list(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t, struct ptd_reply *r,
		   struct ptd_err *e)
{
	return do_list_or_stats(d, c, t, r, e, false);
}

static int do_stats(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t, struct ptd_reply *r,
		    struct ptd_err *e)
{
	return do_list_or_stats(d, c, t, r, e, true);
}

/* detach NAME: remove a port of any kind (its owner or root). */
static int do_detach(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
		     struct ptd_reply *r, struct ptd_err *e)
{
	struct ptd_port *p;

	(void)r;
	if (t->n != 2)
		return ptd_err(e, -EINVAL, "usage: detach NAME");
	p = ptd_port_find(d, t->tok[1]);
	if (!p)
		return ptd_err(e, -ENOENT, "no port named %.64s", t->tok[1]);
	if (p->conn == c)
		return ptd_err(e, -EINVAL, "close the port instead of detaching it");
	if (c->cr.uid != 0 && c->cr.uid != p->uid)
		return ptd_err(e, -EPERM, "port %s belongs to uid %u: only it or root may detach it",
			       p->name, (unsigned)p->uid);
	LOG_INFO("detaching %s on request of pid %d", p->name, (int)c->pid);
	if (p->conn)
		ptd_ctl_close(d, p->conn);
	else
		ptd_port_destroy(d, p);
	return 0;
}

static bool switch_name_ok(const struct ptc_tokens *t)
{
	return t->n >= 2 && !strncmp(t->tok[1], "vale", 4) &&
	       ptc_valid_ident(t->tok[1], strlen(t->tok[1]));
}

/*
 * switch-add valeNAME [allow-uid=U,..] [allow-gid=G,..] [mac-table=N]: a
 * persistent switch (root).  Only root picks a MAC table size: a switch
 * made on first use (by any admitted user) gets --mac-table's.
 */
static int do_switch_add(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
			 struct ptd_reply *r, struct ptd_err *e)
{
	static const char *const keys[] = { "allow-uid", "allow-gid", "mac-table", NULL };
	struct ptd_switch *sw;
	uint32_t uids[8], gids[8], mt = 0;
	int nu = 0, ng = 0, ret;
	const char *v;

	(void)r;
	if (!switch_name_ok(t))
		return ptd_err(e, -EINVAL, "usage: switch-add valeNAME [allow-uid=U,..] "
			       "[allow-gid=G,..] [mac-table=N]");
	if (c->cr.uid != 0)
		return ptd_err(e, -EPERM, "only root may create or delete switches");
	ret = ptd_ctl_check_keys(t, 2, keys, "switch", e);
	if (ret)
		return ret;
	v = ptc_kv_get(t, 2, "allow-uid");
	if (v && (nu = ptc_parse_ids(v, uids, 8)) < 0)
		return ptd_err(e, -EINVAL, "allow-uid wants up to 8 numeric uids, comma separated");
	v = ptc_kv_get(t, 2, "allow-gid");
	if (v && (ng = ptc_parse_ids(v, gids, 8)) < 0)
		return ptd_err(e, -EINVAL, "allow-gid wants up to 8 numeric gids, comma separated");
	v = ptc_kv_get(t, 2, "mac-table");
	if (v && (ptc_parse_u32(v, 1, PTD_MAC_MAX, &mt) || !(mt = ptd_mac_round(mt))))
		return ptd_err(e, -EINVAL, "mac-table wants 1..%u entries (rounded up to a power "
			       "of two, at least %u)", PTD_MAC_MAX, PTD_MAC_MIN);
	if (ptd_switch_find(d, t->tok[1]))
		return ptd_err(e, -EEXIST, "switch %s exists", t->tok[1]);
	ret = ptd_switch_create(d, t->tok[1], &c->cr, true, mt, &sw, e);
	if (ret)
		return ret;
	sw->acl = nu || ng;
	sw->nuid = (unsigned int)nu;
	sw->ngid = (unsigned int)ng;
	for (int i = 0; i < nu; i++)
		sw->allow_uid[i] = uids[i];
	for (int i = 0; i < ng; i++)
		sw->allow_gid[i] = gids[i];
	return 0;
}

/* switch-del valeNAME (root; the switch must have no ports). */
static int do_switch_del(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
			 struct ptd_reply *r, struct ptd_err *e)
{
	(void)r;
	if (!switch_name_ok(t) || t->n != 2)
		return ptd_err(e, -EINVAL, "usage: switch-del valeNAME");
	if (c->cr.uid != 0)
		return ptd_err(e, -EPERM, "only root may create or delete switches");
	return ptd_switch_del(d, t->tok[1], e);
}

/* fdb [SWITCH]: the MAC table of each switch (or of SWITCH), one record per entry. */
struct fdb_walk {
	struct ptd_conn *c;
	struct ptd_switch *sw;
};

static void fdb_rec(const struct ptd_fdb_entry *ent, void *arg)
{
	const struct fdb_walk *fw = arg;
	const struct ptd_port *p = ent->port < PTD_MAX_PORTS ? fw->sw->ports[ent->port] : NULL;
	char mac[18];

	if (!p)
		return;		/* its port is leaving: port_gone clears it */
	ptc_format_mac(ent->mac, mac);
	ptd_ctl_rec(fw->c, "rec type=fdb switch=%s mac=%s port=%s age=%u", fw->sw->name, mac,
		    p->name, (unsigned)ent->age_s);
}

static int fdb_switches(struct ptd *d, const struct ptc_tokens *t, const char *usage,
			struct ptd_switch **one, struct ptd_err *e)
{
	*one = NULL;
	if (t->n > 2)
		return ptd_err(e, -EINVAL, "usage: %s", usage);
	if (t->n == 2 && !(*one = ptd_switch_find(d, t->tok[1])))
		return ptd_err(e, -ENOENT, "no switch named %.64s", t->tok[1]);
	return 0;
}

static int do_fdb(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t, struct ptd_reply *r,
		  struct ptd_err *e)
{
	struct ptd_switch *one;
	unsigned int nrec = 0;
	uint32_t now_s = ptd_now_s();
	int ret = fdb_switches(d, t, "fdb [SWITCH]", &one, e);

	if (ret)
		return ret;
	for (unsigned int i = 0; i < d->nsw; i++) {
		struct fdb_walk fw = { .c = c, .sw = d->sw[i] };

		if (one && one != fw.sw)
			continue;
		pthread_rwlock_rdlock(&fw.sw->lock);
		nrec += fw.sw->ops->dump(fw.sw, now_s, fdb_rec, &fw);
		pthread_rwlock_unlock(&fw.sw->lock);
	}
	snprintf(r->text, sizeof(r->text), "count=%u", nrec);
	return 0;
}

/* fdb-flush [SWITCH] (root): forget the learned addresses; traffic floods until relearned. */
static int do_fdb_flush(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
			struct ptd_reply *r, struct ptd_err *e)
{
	struct ptd_switch *one;
	unsigned int n = 0;
	uint32_t now_s = ptd_now_s();
	int ret = fdb_switches(d, t, "fdb-flush [SWITCH]", &one, e);

	if (ret)
		return ret;
	for (unsigned int i = 0; i < d->nsw; i++) {
		struct ptd_switch *sw = d->sw[i];

		if (one && one != sw)
			continue;
		pthread_rwlock_rdlock(&sw->lock);	/* workers keep forwarding: see learn.c */
		n += sw->ops->flush(sw, now_s);
		pthread_rwlock_unlock(&sw->lock);
	}
	LOG_INFO("MAC table%s%s flushed (%u entries) on request of pid %d", one ? " of " : "s",
		 one ? one->name : "", n, (int)c->pid);
	snprintf(r->text, sizeof(r->text), "flushed=%u", n);
	return 0;
}

/* hello: only the first request of a connection (ctl.c); a second one is an error. */
static int do_hello(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
		    struct ptd_reply *r, struct ptd_err *e)
{
	(void)d, (void)c, (void)t, (void)r;
	return ptd_err(e, -EINVAL, "hello already done");
}

const struct ptd_request ptd_core_requests[] = {
	{ "hello", do_hello, false },
	{ "list", do_list, false },
	{ "stats", do_stats, false },
	{ "detach", do_detach, false },
	{ "switch-add", do_switch_add, false },
	{ "switch-del", do_switch_del, false },
	/* the configuration file (conffile.c) */
	{ "reload", ptd_conf_do_reload, true },
	{ "save", ptd_conf_do_save, true },
	{ "fdb", do_fdb, false },
	{ "fdb-flush", do_fdb_flush, true },
	{ NULL, NULL, false },
};
