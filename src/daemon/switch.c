// SPDX-License-Identifier: BSD-2-Clause
/*
 * switch.c - switches: a table of ports each.
 *
 * A switch made by switch-add (root) stays until switch-del.  One made on
 * first use by an attach goes away with its last port, as VALE's do, so
 * nobody can fill the switch table with empty switches; and the last
 * PTD_ROOT_SWITCHES of --max-switches are root's, as the last connection
 * slots are, so no other user can lock root out.
 *
 * A MAC table takes PTD_MAC_ENTRY_BYTES an entry.  What a table takes
 * beyond the least size (PTD_MAC_MIN entries, 8 KiB: part of a switch's
 * fixed cost, like the rest of struct ptd_switch) counts with the port
 * regions against --max-mem (d->mac_mem): 8 MiB - 8 KiB at 2^20 entries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/log.h"
#include "daemon/switch.h"

struct ptd_switch *ptd_switch_find(struct ptd *d, const char *name)
{
	for (unsigned int i = 0; i < d->nsw; i++)
		if (!strcmp(d->sw[i]->name, name))
			return d->sw[i];
	return NULL;
}

static uint64_t mac_counted(unsigned int entries)
{
	return (uint64_t)(entries - PTD_MAC_MIN) * PTD_MAC_ENTRY_BYTES;
}

int ptd_switch_create(struct ptd *d, const char *name, const struct ptd_cred *cr,
		      bool persistent, unsigned int mac_entries, struct ptd_switch **out,
		      struct ptd_err *e)
{
	uint64_t mac_bytes;
	unsigned int max = d->cfg.max_switches, reserve = max > PTD_ROOT_SWITCHES ?
							   PTD_ROOT_SWITCHES : 0;
	struct ptd_switch *sw;
	pthread_rwlockattr_t a;

	if (d->nsw >= max || d->nsw >= PTD_MAX_SWITCHES)
		return ptd_err(e, -ENOSPC, "limit reached: at most %u switches (raise with ptnetd "
			       "--max-switches)", max);
	if (cr->uid != 0 && d->nsw >= max - reserve)
		return ptd_err(e, -ENOSPC, "limit reached: %u switches exist; the last %u of "
			       "--max-switches %u are kept for root", d->nsw, reserve, max);
	if (!mac_entries)
		mac_entries = ptd_switch_mac_default(d);
	if (ptd_mac_round(mac_entries) != mac_entries)
		return ptd_err(e, -EINVAL, "mac-table=%u: want a power of two from %u to %u entries",
			       mac_entries, PTD_MAC_MIN, PTD_MAC_MAX);
	mac_bytes = mac_counted(mac_entries);
	if (d->mem + d->mac_mem + mac_bytes > d->cfg.max_mem)
		return ptd_err(e, -ENOMEM, "limit reached: a MAC table of %u entries counts %llu KiB "
			       "and ports and MAC tables would use more than the %llu MiB allowed in "
			       "all (a smaller mac-table, or raise with ptnetd --max-mem)",
			       mac_entries, (unsigned long long)(mac_bytes >> 10),
			       (unsigned long long)(d->cfg.max_mem >> 20));
	sw = calloc(1, sizeof(*sw));
	if (!sw)
		return ptd_err(e, -ENOMEM, "cannot create switch %s: out of memory", name);
	if (ptd_mac_alloc(sw, mac_entries)) {
		free(sw);
		return ptd_err(e, -ENOMEM, "cannot create switch %s: no memory for a MAC table of "
			       "%u entries", name, mac_entries);
	}
	d->mac_mem += mac_bytes;
	strncpy(sw->name, name, sizeof(sw->name) - 1);
	/* Workers take the lock shared all the time: let the control thread in. */
	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&sw->lock, &a);
	pthread_rwlockattr_destroy(&a);
	sw->ops = &ptd_learning_ops;
	sw->age_s = d->cfg.mac_age_s;
	sw->persistent = persistent;
	sw->creator = cr->uid;
	d->sw[d->nsw++] = sw;
	LOG_INFO("switch %s created%s (MAC table: %u entries)", name,
		 persistent ? "" : " on first use", mac_entries);
	*out = sw;
	return 0;
}

unsigned int ptd_switch_mac_default(const struct ptd *d)
{
	unsigned int n = ptd_mac_round(d->cfg.mac_table);

	return n ? n : PTD_MAC_MIN;
}

int ptd_switch_mac_resize(struct ptd *d, struct ptd_switch *sw, unsigned int entries,
			  struct ptd_err *e)
{
	uint64_t was = mac_counted(sw->mac_sets * PTD_MAC_WAYS), want;
	struct ptd_switch t = { 0 };
	uint64_t (*old)[PTD_MAC_WAYS];

	if (sw->mac_sets * PTD_MAC_WAYS == entries)
		return 0;
	if (ptd_mac_round(entries) != entries)
		return ptd_err(e, -EINVAL, "mac-table=%u: want a power of two from %u to %u entries",
			       entries, PTD_MAC_MIN, PTD_MAC_MAX);
	want = mac_counted(entries);
	if (d->mem + d->mac_mem - was + want > d->cfg.max_mem)
		return ptd_err(e, -ENOMEM, "limit reached: a MAC table of %u entries would take "
			       "ports and MAC tables past the %llu MiB allowed in all (raise with "
			       "ptnetd --max-mem)", entries,
			       (unsigned long long)(d->cfg.max_mem >> 20));
	if (ptd_mac_alloc(&t, entries))
		return ptd_err(e, -ENOMEM, "no memory for a MAC table of %u entries", entries);
	pthread_rwlock_wrlock(&sw->lock);	/* a pointer swap: workers wait for no walk */
	old = sw->mac;
	sw->mac = t.mac;
	sw->mac_sets = t.mac_sets;
	sw->mac_shift = t.mac_shift;
	sw->sweep_next = 0;
	pthread_rwlock_unlock(&sw->lock);
	free(old);
	d->mac_mem = d->mac_mem - was + want;
	LOG_INFO("switch %s: MAC table now %u entries (empty: traffic floods until relearned)",
		 sw->name, entries);
	return 0;
}

void ptd_switch_free(struct ptd_switch *sw)
{
	ptd_mac_free(sw);
	pthread_rwlock_destroy(&sw->lock);
	free(sw);
}

int ptd_switch_del(struct ptd *d, const char *name, struct ptd_err *e)
{
	for (unsigned int i = 0; i < d->nsw; i++) {
		struct ptd_switch *sw = d->sw[i];

		if (strcmp(sw->name, name))
			continue;
		if (sw->nports)
			return ptd_err(e, -EBUSY, "switch %s still has ports", name);
		LOG_INFO("switch %s deleted", sw->name);	/* NAME may be sw->name */
		d->sw[i] = d->sw[--d->nsw];
		d->mac_mem -= mac_counted(sw->mac_sets * PTD_MAC_WAYS);
		ptd_switch_free(sw);
		return 0;
	}
	return ptd_err(e, -ENOENT, "no switch named %s", name);
}

/* May CR attach to SW?  Root always may. */
bool ptd_switch_admits(const struct ptd_switch *sw, const struct ptd_cred *cr)
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

/* Control thread only; the caller checked that there is room. */
int ptd_switch_add_port(struct ptd_switch *sw, struct ptd_port *p)
{
	unsigned int idx;

	if (sw->nports >= PTD_MAX_PORTS)
		return -ENOSPC;
	for (idx = 0; idx < PTD_MAX_PORTS; idx++)
		if (!sw->ports[idx])
			break;
	pthread_rwlock_wrlock(&sw->lock);
	p->sw = sw;
	p->index = idx;
	sw->ports[idx] = p;
	sw->active[sw->nports++] = (uint16_t)idx;
	pthread_rwlock_unlock(&sw->lock);
	return 0;
}

/*
 * Control thread only.  After this returns no worker can reach P as a
 * destination, and a worker about to drain one of P's TX rings sees it dead.
 */
void ptd_switch_remove_port(struct ptd_switch *sw, struct ptd_port *p)
{
	pthread_rwlock_wrlock(&sw->lock);
	p->dead = true;
	sw->ports[p->index] = NULL;
	for (unsigned int k = 0; k < sw->nports; k++)
		if (sw->active[k] == p->index) {
			sw->active[k] = sw->active[--sw->nports];
			break;
		}
	pthread_rwlock_unlock(&sw->lock);
	/*
	 * The MAC table purge runs under the shared lock (one CAS a word): at
	 * 2^20 entries it must not hold the switch's workers up.  Nothing can
	 * reuse P's index before it returns (only this thread adds ports).
	 */
	pthread_rwlock_rdlock(&sw->lock);
	sw->ops->port_gone(sw, p->index);
	pthread_rwlock_unlock(&sw->lock);
}
