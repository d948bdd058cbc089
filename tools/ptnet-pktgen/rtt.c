// SPDX-License-Identifier: BSD-2-Clause
/*
 * rtt.c - round-trip time histogram for ping.  Fixed size, so a ping may
 * run forever: 100 ns bins below 10 ms, 10 us bins from 10 ms to 2 s, one
 * overflow bin above.  min, max and the sum are exact; percentiles are the
 * middle of their bin (so within 50 ns below 10 ms), clamped to [min, max].
 */
#include <stdlib.h>
#include "pktgen.h"

#define FINE_NS		100ull
#define FINE_END_NS	10000000ull			/* 10 ms */
#define FINE_BINS	(FINE_END_NS / FINE_NS)
#define COARSE_NS	10000ull
#define COARSE_END_NS	2000000000ull			/* 2 s */
#define COARSE_BINS	((COARSE_END_NS - FINE_END_NS) / COARSE_NS)

struct pg_rtt {
	uint64_t n, sum, min, max, over;
	uint32_t fine[FINE_BINS];
	uint32_t coarse[COARSE_BINS];
};

struct pg_rtt *pg_rtt_new(void)
{
	struct pg_rtt *h = calloc(1, sizeof(*h));

	if (h)
		h->min = UINT64_MAX;
	return h;
}

void pg_rtt_free(struct pg_rtt *h)
{
	free(h);
}

void pg_rtt_add(struct pg_rtt *h, uint64_t ns)
{
	h->n++;
	h->sum += ns;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	if (ns < FINE_END_NS)
		h->fine[ns / FINE_NS]++;
	else if (ns < COARSE_END_NS)
		h->coarse[(ns - FINE_END_NS) / COARSE_NS]++;
	else
		h->over++;
}

void pg_rtt_merge(struct pg_rtt *dst, const struct pg_rtt *src)
{
	if (!src->n)
		return;
	dst->n += src->n;
	dst->sum += src->sum;
	dst->over += src->over;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	for (uint64_t i = 0; i < FINE_BINS; i++)
		dst->fine[i] += src->fine[i];
	for (uint64_t i = 0; i < COARSE_BINS; i++)
		dst->coarse[i] += src->coarse[i];
}

uint64_t pg_rtt_count(const struct pg_rtt *h)
{
	return h->n;
}

double pg_rtt_min_us(const struct pg_rtt *h)
{
	return h->n ? (double)h->min / 1e3 : 0;
}

double pg_rtt_max_us(const struct pg_rtt *h)
{
	return h->n ? (double)h->max / 1e3 : 0;
}

double pg_rtt_avg_us(const struct pg_rtt *h)
{
	return h->n ? (double)h->sum / (double)h->n / 1e3 : 0;
}

static double clamp(const struct pg_rtt *h, double ns)
{
	if (ns < (double)h->min)
		ns = (double)h->min;
	if (ns > (double)h->max)
		ns = (double)h->max;
	return ns / 1e3;
}

/* The Q-quantile (0 < Q <= 1) in microseconds: smallest bin holding rank ceil(Q n). */
double pg_rtt_pct_us(const struct pg_rtt *h, double q)
{
	uint64_t rank, seen = 0;

	if (!h->n)
		return 0;
	rank = (uint64_t)(q * (double)h->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > h->n)
		rank = h->n;
	for (uint64_t i = 0; i < FINE_BINS; i++) {
		seen += h->fine[i];
		if (seen >= rank)
			return clamp(h, (double)(i * FINE_NS) + FINE_NS / 2.0);
	}
	for (uint64_t i = 0; i < COARSE_BINS; i++) {
		seen += h->coarse[i];
		if (seen >= rank)
			return clamp(h, (double)(FINE_END_NS + i * COARSE_NS) + COARSE_NS / 2.0);
	}
	return (double)h->max / 1e3;
}
