// SPDX-License-Identifier: BSD-2-Clause
/*
 * flows.c - per-flow sequence tracking of rx -V.
 *
 * A flow is one TX ring of one sender process (flow id = session << 16 |
 * ring).  Each flow is expected to count 0, 1, 2, ...: a jump forward by k
 * means k packets lost, a number below the expected one means reordered
 * (a late packet was already counted as lost, so it is counted twice).  A
 * flow seen for the first time is expected to start at 0, so starting the
 * receiver after the sender shows the missed start as lost (unless the
 * first number seen is 2^31 or more: then it is taken as the start).
 * Comparisons are modulo 2^32.  More than PG_MAX_FLOWS flows are checked for
 * corruption only.
 */
#include "pktgen.h"

static struct pg_flow *lookup(struct pg_flows *fl, uint32_t id, uint32_t seq)
{
	if (fl->n && fl->f[fl->last].id == id)
		return &fl->f[fl->last];
	for (unsigned int i = 0; i < fl->n; i++) {
		if (fl->f[i].id == id) {
			fl->last = i;
			return &fl->f[i];
		}
	}
	if (fl->n == PG_MAX_FLOWS)
		return NULL;
	fl->last = fl->n++;
	fl->f[fl->last].id = id;
	fl->f[fl->last].next = (int32_t)seq < 0 ? seq : 0;
	return &fl->f[fl->last];
}

void pg_flows_account(struct pg_flows *fl, uint64_t tag, struct pg_stats *st)
{
	uint32_t seq = (uint32_t)tag;
	struct pg_flow *f = lookup(fl, (uint32_t)(tag >> 32), seq);
	int32_t gap;

	if (!f)
		return;
	gap = (int32_t)(seq - f->next);
	if (gap < 0) {
		st->reordered++;
		return;
	}
	st->lost += (uint32_t)gap;
	f->next = seq + 1;
}
