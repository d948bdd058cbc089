// SPDX-License-Identifier: BSD-2-Clause
/*
 * stats.c - moving a worker's counters to the main thread: the worker
 * publishes its private copy once per batch with relaxed stores, the main
 * thread reads and sums them (each field is untorn; the set is not a
 * snapshot, which a rate line does not need).
 */
#include "pktgen.h"

void pg_stats_publish(struct pg_stats *dst, const struct pg_stats *src)
{
	PTNET_WRITE_ONCE(dst->pkts, src->pkts);
	PTNET_WRITE_ONCE(dst->bytes, src->bytes);
	PTNET_WRITE_ONCE(dst->events, src->events);
	PTNET_WRITE_ONCE(dst->t_first, src->t_first);
	PTNET_WRITE_ONCE(dst->t_last, src->t_last);
	PTNET_WRITE_ONCE(dst->ok, src->ok);
	PTNET_WRITE_ONCE(dst->lost, src->lost);
	PTNET_WRITE_ONCE(dst->reordered, src->reordered);
	PTNET_WRITE_ONCE(dst->corrupt, src->corrupt);
	PTNET_WRITE_ONCE(dst->foreign, src->foreign);
	PTNET_WRITE_ONCE(dst->trans, src->trans);
	PTNET_WRITE_ONCE(dst->rtt_sum_ns, src->rtt_sum_ns);
	PTNET_WRITE_ONCE(dst->echoed, src->echoed);
	PTNET_WRITE_ONCE(dst->dropped, src->dropped);
}

void pg_stats_read(struct pg_stats *dst, const struct pg_stats *src)
{
	dst->pkts = PTNET_READ_ONCE(src->pkts);
	dst->bytes = PTNET_READ_ONCE(src->bytes);
	dst->events = PTNET_READ_ONCE(src->events);
	dst->t_first = PTNET_READ_ONCE(src->t_first);
	dst->t_last = PTNET_READ_ONCE(src->t_last);
	dst->ok = PTNET_READ_ONCE(src->ok);
	dst->lost = PTNET_READ_ONCE(src->lost);
	dst->reordered = PTNET_READ_ONCE(src->reordered);
	dst->corrupt = PTNET_READ_ONCE(src->corrupt);
	dst->foreign = PTNET_READ_ONCE(src->foreign);
	dst->trans = PTNET_READ_ONCE(src->trans);
	dst->rtt_sum_ns = PTNET_READ_ONCE(src->rtt_sum_ns);
	dst->echoed = PTNET_READ_ONCE(src->echoed);
	dst->dropped = PTNET_READ_ONCE(src->dropped);
	dst->done = PTNET_READ_ONCE(src->done);
}

void pg_sum_stats(const struct pg_run *r, struct pg_stats *sum)
{
	int have = 0;

	*sum = (struct pg_stats){ 0 };
	for (unsigned int i = 0; i < r->nthreads; i++) {
		struct pg_stats s;

		pg_stats_read(&s, &r->threads[i].st);
		sum->pkts += s.pkts;
		sum->bytes += s.bytes;
		sum->events += s.events;
		sum->ok += s.ok;
		sum->lost += s.lost;
		sum->reordered += s.reordered;
		sum->corrupt += s.corrupt;
		sum->foreign += s.foreign;
		sum->trans += s.trans;
		sum->rtt_sum_ns += s.rtt_sum_ns;
		sum->echoed += s.echoed;
		sum->dropped += s.dropped;
		if (!s.pkts)
			continue;
		if (!have || s.t_first < sum->t_first)
			sum->t_first = s.t_first;
		if (!have || s.t_last > sum->t_last)
			sum->t_last = s.t_last;
		have = 1;
	}
}
