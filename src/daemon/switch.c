// SPDX-License-Identifier: BSD-2-Clause
/* switch.c - switches: created on first use, a table of ports each. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/daemon.h"
#include "daemon/log.h"

struct ptd_switch *ptd_switch_get(struct ptd *d, const char *name, bool create, int *err)
{
	struct ptd_switch *sw;

	for (unsigned int i = 0; i < d->nsw; i++)
		if (!strcmp(d->sw[i]->name, name))
			return d->sw[i];
	if (!create) {
		*err = -ENOENT;
		return NULL;
	}
	if (d->nsw == PTD_MAX_SWITCHES) {
		*err = -ENOSPC;
		return NULL;
	}
	sw = calloc(1, sizeof(*sw));
	if (!sw) {
		*err = -ENOMEM;
		return NULL;
	}
	strncpy(sw->name, name, sizeof(sw->name) - 1);
	{
		/* Workers take the lock shared all the time: let the control thread in. */
		pthread_rwlockattr_t a;

		pthread_rwlockattr_init(&a);
		pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&sw->lock, &a);
		pthread_rwlockattr_destroy(&a);
	}
	sw->ops = &ptd_learning_ops;
	sw->age_s = d->cfg.mac_age_s;
	d->sw[d->nsw++] = sw;
	LOG_INFO("switch %s created", name);
	return sw;
}

void ptd_switch_free(struct ptd_switch *sw)
{
	pthread_rwlock_destroy(&sw->lock);
	free(sw);
}

int ptd_switch_del(struct ptd *d, const char *name)
{
	for (unsigned int i = 0; i < d->nsw; i++) {
		struct ptd_switch *sw = d->sw[i];

		if (strcmp(sw->name, name))
			continue;
		if (sw->nports)
			return -EBUSY;
		d->sw[i] = d->sw[--d->nsw];
		ptd_switch_free(sw);
		LOG_INFO("switch %s deleted", name);
		return 0;
	}
	return -ENOENT;
}

/* Control thread only. */
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
	sw->ops->port_gone(sw, p->index);
	pthread_rwlock_unlock(&sw->lock);
}
