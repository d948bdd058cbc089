// SPDX-License-Identifier: BSD-2-Clause
/*
 * report.c - what ptnet-pktgen prints: the periodic line (main thread,
 * every -T ms, sum of all workers), the pkt-gen style summary and the
 * --json line.
 */
#include <stdio.h>
#include <sys/resource.h>
#include "../common/units.h"
#include "pktgen.h"

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

void pg_report_tick(const struct pg_run *r, struct pg_snap *prev)
{
	struct pg_snap cur;
	struct pg_stats *a = &prev->sum, *b = &cur.sum;
	char s1[32], s2[32], s3[32];
	double sec;
	uint64_t usec;

	cur.t = pg_now_ns();
	pg_sum_stats(r, &cur.sum);
	usec = (cur.t - prev->t) / 1000;
	sec = (double)(cur.t - prev->t) / 1e9;
	if (r->conf.mode == PG_PING) {
		uint64_t n = b->trans - a->trans;

		fprintf(r->out, "%s (%s in %llu usec) avg RTT %.1f us, %llu lost\n",
			ptt_norm(s1, sizeof(s1), ratio((double)n, sec), "tps"),
			ptt_norm(s2, sizeof(s2), (double)n, "trans"), (unsigned long long)usec,
			ratio((double)(b->rtt_sum_ns - a->rtt_sum_ns), (double)n) / 1e3,
			(unsigned long long)(b->lost - a->lost));
	} else {
		uint64_t n = b->pkts - a->pkts, bytes = b->bytes - a->bytes;

		fprintf(r->out, "%s (%s %s in %llu usec) %.2f avg_batch\n",
			ptt_norm(s1, sizeof(s1), ratio((double)n, sec), "pps"),
			ptt_norm(s2, sizeof(s2), (double)n, "pkts"),
			ptt_norm(s3, sizeof(s3), ratio((double)bytes * 8, sec), "bps"),
			(unsigned long long)usec, ratio((double)n, (double)(b->events - a->events)));
	}
	*prev = cur;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static double tv_sec(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

struct rtt_sum {
	double min, avg, p50, p99, max;
};

static void rtt_summary(const struct pg_run *r, struct rtt_sum *o)
{
	struct pg_rtt *all = pg_rtt_new();

	*o = (struct rtt_sum){ 0 };
	if (!all)
		return;
	for (unsigned int i = 0; i < r->nthreads; i++)
		if (r->threads[i].rtt)
			pg_rtt_merge(all, r->threads[i].rtt);
	o->min = pg_rtt_min_us(all);
	o->avg = pg_rtt_avg_us(all);
	o->p50 = pg_rtt_pct_us(all, 0.50);
	o->p99 = pg_rtt_pct_us(all, 0.99);
	o->max = pg_rtt_max_us(all);
	pg_rtt_free(all);
}

static void print_json(const struct pg_run *r, const struct pg_stats *s, double sec,
		       const struct rtt_sum *rtt)
{
	const struct pg_conf *c = &r->conf;
	struct rusage ru = { 0 };

	getrusage(RUSAGE_SELF, &ru);
	printf("{\"mode\":\"%s\",\"port\":", pg_mode_name(c->mode));
	json_str(stdout, c->ifname);
	printf(",\"rings\":%u,\"packets\":%llu,\"bytes\":%llu,\"seconds\":%.6f,\"pps\":%.3f,"
	       "\"bps\":%.3f,\"events\":%llu,\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f",
	       r->nthreads, (unsigned long long)s->pkts, (unsigned long long)s->bytes, sec,
	       ratio((double)s->pkts, sec), ratio((double)s->bytes * 8, sec),
	       (unsigned long long)s->events, tv_sec(ru.ru_utime), tv_sec(ru.ru_stime));
	if (c->mode == PG_RX && c->verify)
		printf(",\"ok\":%llu,\"lost\":%llu,\"reordered\":%llu,\"corrupt\":%llu,"
		       "\"foreign\":%llu",
		       (unsigned long long)s->ok, (unsigned long long)s->lost,
		       (unsigned long long)s->reordered, (unsigned long long)s->corrupt,
		       (unsigned long long)s->foreign);
	if (c->mode == PG_PONG)
		printf(",\"echoed\":%llu,\"dropped\":%llu,\"foreign\":%llu",
		       (unsigned long long)s->echoed, (unsigned long long)s->dropped,
		       (unsigned long long)s->foreign);
	if (c->mode == PG_PING)
		printf(",\"transactions\":%llu,\"lost\":%llu,\"rtt_us\":{\"min\":%.3f,"
		       "\"avg\":%.3f,\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}",
		       (unsigned long long)s->trans, (unsigned long long)s->lost, rtt->min,
		       rtt->avg, rtt->p50, rtt->p99, rtt->max);
	printf("}\n");
	fflush(stdout);
}

/* Print the summary; returns 2 if -V found corrupt or reordered packets, else 0. */
int pg_report_final(const struct pg_run *r)
{
	const struct pg_conf *c = &r->conf;
	FILE *f = r->out;
	struct pg_stats s;
	struct rtt_sum rtt = { 0 };
	char s1[32], s2[32], s3[32];
	double sec;
	int sent = c->mode == PG_TX || c->mode == PG_PING;

	pg_sum_stats(r, &s);
	sec = s.pkts ? (double)(s.t_last - s.t_first) / 1e9 : 0;
	if (c->mode == PG_PING)
		rtt_summary(r, &rtt);

	fprintf(f, "%s %llu packets %llu bytes %llu events %llu bytes each in %.3f seconds.\n",
		sent ? "Sent" : "Received", (unsigned long long)s.pkts,
		(unsigned long long)s.bytes, (unsigned long long)s.events,
		(unsigned long long)(s.pkts ? s.bytes / s.pkts : 0), sec);
	fprintf(f, "Speed: %s Bandwidth: %s (raw %s).\n",
		ptt_norm(s1, sizeof(s1), ratio((double)s.pkts, sec), "pps"),
		ptt_norm(s2, sizeof(s2), ratio((double)s.bytes * 8, sec), "bps"),
		ptt_norm(s3, sizeof(s3),
			 ratio((double)(s.bytes + s.pkts * PG_FRAME_OVERHEAD) * 8, sec), "bps"));
	if (c->mode == PG_RX && c->verify) {
		fprintf(f, "Verify: %llu ok, %llu lost, %llu reordered, %llu corrupt",
			(unsigned long long)s.ok, (unsigned long long)s.lost,
			(unsigned long long)s.reordered, (unsigned long long)s.corrupt);
		if (s.foreign)
			fprintf(f, ", %llu foreign", (unsigned long long)s.foreign);
		fputc('\n', f);
	}
	if (c->mode == PG_PONG)
		fprintf(f, "Echoed %llu packets, %llu dropped, %llu foreign\n",
			(unsigned long long)s.echoed, (unsigned long long)s.dropped,
			(unsigned long long)s.foreign);
	if (c->mode == PG_PING) {
		fprintf(f, "Transactions: %llu ok, %llu lost\n", (unsigned long long)s.trans,
			(unsigned long long)s.lost);
		fprintf(f, "RTT min %.1f avg %.1f p50 %.1f p99 %.1f max %.1f us\n", rtt.min,
			rtt.avg, rtt.p50, rtt.p99, rtt.max);
	}
	fflush(f);
	if (c->json)
		print_json(r, &s, sec, &rtt);
	return c->mode == PG_RX && c->verify && (s.corrupt || s.reordered) ? 2 : 0;
}
