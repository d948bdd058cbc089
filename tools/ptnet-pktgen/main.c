// SPDX-License-Identifier: BSD-2-Clause
/*
 * main.c - ptnet-pktgen: open the port, start one worker per ring, watch
 * the stop conditions and print the periodic lines, then the summary.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../common/pkt.h"
#include "pktgen.h"

#define TICK_NS		20000000ull	/* how often main looks at the workers */
#define KICK_NS		100000000ull	/* how often stopping workers are poked */

static void *(*const workers[])(void *) = {
	[PG_TX] = pg_tx_thread,
	[PG_RX] = pg_rx_thread,
	[PG_PING] = pg_ping_thread,
	[PG_PONG] = pg_pong_thread,
};

/*
 * First SIGINT/SIGTERM: stop cleanly.  Another one more than a second
 * later: die at once.  (timeout(1) and shells may deliver the same signal
 * twice in a row; that must not skip the summary.)
 */
static uint64_t first_signal_ns;

static void on_stop(int sig)
{
	uint64_t now = pg_now_ns();	/* clock_gettime is async-signal-safe */

	if (!first_signal_ns) {
		first_signal_ns = now;
		pg_request_stop();
	} else if (now - first_signal_ns > 1000000000ull) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

/* SIGUSR1 only interrupts a worker sleeping in ptnet_port_wait. */
static void on_wake(int sig)
{
	(void)sig;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sa.sa_flags = SA_RESTART;
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_wake;
	sa.sa_flags = 0;		/* no SA_RESTART: poll returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
}

static int open_port(struct pg_run *r)
{
	struct ptnet_port_opts opts;
	const char *msg;
	int ret;

	memset(&opts, 0, sizeof(opts));
	opts.tx_rings = (uint16_t)r->conf.rings;
	opts.rx_rings = (uint16_t)r->conf.rings;
	ret = ptnet_port_open(r->conf.ifname, &opts, &r->port);
	if (ret < 0) {
		msg = ptnet_errmsg();
		fprintf(stderr, PG_NAME ": cannot open %s: %s\n", r->conf.ifname,
			msg && *msg ? msg : strerror(-ret));
		return ret;
	}
	r->info = ptnet_port_info(r->port);
	return 0;
}

static unsigned int ring_count(const struct pg_run *r)
{
	const struct ptnet_port_info *i = r->info;

	switch (r->conf.mode) {
	case PG_TX:
		return i->tx_rings;
	case PG_RX:
		return i->rx_rings;
	default:
		return i->tx_rings < i->rx_rings ? i->tx_rings : i->rx_rings;
	}
}

/* Check the frame length against what the port got. */
static int check_len(const struct pg_run *r)
{
	const struct pg_conf *c = &r->conf;
	uint32_t slots = c->mode == PG_RX ? r->info->rx_slots : r->info->tx_slots;
	uint32_t nf = pg_frags(r, c->len_max);

	if ((c->mode == PG_PING || c->mode == PG_PONG) && r->vnet + c->len_max > r->bs) {
		fprintf(stderr, PG_NAME ": -l %u: ping frames must fit one %u-byte buffer\n",
			c->len_max, r->bs);
		return -EINVAL;
	}
	if (c->mode == PG_TX && (nf > NETMAP_MAX_FRAGS || nf >= slots)) {
		fprintf(stderr, PG_NAME ": -l %u needs %u slots of %u bytes, more than %u\n",
			c->len_max, nf, r->bs, nf > NETMAP_MAX_FRAGS ? (uint32_t)NETMAP_MAX_FRAGS : slots - 1);
		return -EINVAL;
	}
	if (c->mode != PG_RX && r->info->mtu && c->len_max > r->info->mtu + PTT_ETH_LEN)
		fprintf(stderr, PG_NAME ": warning: -l %u exceeds the port MTU %u plus the "
			"Ethernet header\n", c->len_max, r->info->mtu);
	return 0;
}

static int build_template(struct pg_run *r)
{
	const struct pg_conf *c = &r->conf;
	struct ptt_udp_spec spec;

	ptt_udp_spec_default(&spec);
	spec.src_port = spec.dst_port = PG_UDP_PORT;
	memcpy(spec.src_mac, c->src_mac_set ? c->src_mac : r->info->mac, 6);
	memcpy(spec.dst_mac, c->dst_mac, 6);
	r->tmpl = calloc(1, r->vnet + c->len_max);
	if (!r->tmpl)
		return -ENOMEM;
	ptt_udp_build(r->tmpl + r->vnet, c->len_max, &spec);
	return 0;
}

/* Split N as evenly as possible over the workers; share I. */
static uint64_t share(uint64_t n, unsigned int i, unsigned int k)
{
	return n / k + (i < n % k ? 1 : 0);
}

static int setup(struct pg_run *r)
{
	const struct pg_conf *c = &r->conf;
	uint32_t slots;
	uint64_t seed;
	int ret;

	r->vnet = r->info->vnet_hdr_len;
	r->bs = r->info->buf_size;
	r->nthreads = ring_count(r);
	if (!r->nthreads || !r->bs) {
		fprintf(stderr, PG_NAME ": port %s has no rings\n", c->ifname);
		return -EINVAL;
	}
	ret = check_len(r);
	if (ret)
		return ret;
	slots = r->info->tx_slots < r->info->rx_slots ? r->info->tx_slots : r->info->rx_slots;
	r->batch = c->batch < slots - 1 ? c->batch : slots - 1;
	ret = build_template(r);
	if (ret)
		goto nomem;

	/* -n smaller than the number of rings: the extra workers would never stop. */
	if (c->count && c->mode != PG_RX && c->count < r->nthreads)
		r->nthreads = (unsigned int)c->count;
	seed = pg_mix64(pg_now_ns() ^ (uint64_t)getpid() << 32);
	r->session = (uint16_t)seed;
	r->threads = aligned_alloc(64, sizeof(*r->threads) * r->nthreads);
	if (!r->threads)
		goto nomem;
	memset(r->threads, 0, sizeof(*r->threads) * r->nthreads);
	for (unsigned int i = 0; i < r->nthreads; i++) {
		struct pg_thread *t = &r->threads[i];

		t->run = r;
		t->ring = i;
		t->quota = c->mode == PG_RX ? 0 : share(c->count, i, r->nthreads);
		t->rate = share(c->rate, i, r->nthreads);
		if (c->rate && !t->rate)
			t->rate = 1;
		t->rng = pg_mix64(seed + i) | 1;
		if (c->mode == PG_PING && !(t->rtt = pg_rtt_new()))
			goto nomem;
	}
	return 0;
nomem:
	fprintf(stderr, PG_NAME ": %s\n", strerror(ENOMEM));
	return -ENOMEM;
}

static int start_workers(struct pg_run *r)
{
	const struct pg_conf *c = &r->conf;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	sigset_t block, old;
	int ret = 0;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (unsigned int i = 0; i < r->nthreads && !ret; i++) {
		struct pg_thread *t = &r->threads[i];
		pthread_attr_t attr;

		pthread_attr_init(&attr);
		if (c->cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET((unsigned int)(c->cpu + (int)i) % (ncpu > 0 ? ncpu : 1), &set);
			pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		}
		ret = -pthread_create(&t->tid, &attr, workers[c->mode], t);
		pthread_attr_destroy(&attr);
		if (ret)
			fprintf(stderr, PG_NAME ": cannot start thread %u: %s\n", i, strerror(-ret));
		else
			t->started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

static int all_done(const struct pg_run *r)
{
	for (unsigned int i = 0; i < r->nthreads; i++)
		if (r->threads[i].started && !PTNET_READ_ONCE(r->threads[i].st.done))
			return 0;
	return 1;
}

static void kick_workers(const struct pg_run *r)
{
	for (unsigned int i = 0; i < r->nthreads; i++)
		if (r->threads[i].started && !PTNET_READ_ONCE(r->threads[i].st.done))
			pthread_kill(r->threads[i].tid, SIGUSR1);
}

/* -W: no new packet for PG_IDLE_NS after the first one. */
static void check_idle(const struct pg_run *r, uint64_t now, uint64_t *last_pkts,
		       uint64_t *since)
{
	struct pg_stats sum;

	pg_sum_stats(r, &sum);
	if (sum.pkts != *last_pkts) {
		*last_pkts = sum.pkts;
		*since = now;
	} else if (*last_pkts && now - *since >= PG_IDLE_NS) {
		pg_request_stop();
	}
}

static void supervise(struct pg_run *r)
{
	const struct pg_conf *c = &r->conf;
	uint64_t start = pg_now_ns(), period = (uint64_t)c->report_ms * 1000000ull;
	uint64_t next = start + period, end = start + (uint64_t)(c->duration * 1e9);
	uint64_t last_kick = 0, last_pkts = 0, idle_since = start;
	int idle = c->exit_idle && (c->mode == PG_RX || c->mode == PG_PONG);
	struct pg_snap snap = { .t = start };

	while (!all_done(r)) {
		uint64_t now = pg_now_ns(), wake = now + TICK_NS;

		if (c->duration > 0 && now >= end)
			pg_request_stop();
		if (idle)
			check_idle(r, now, &last_pkts, &idle_since);
		if (pg_stopping() && now - last_kick >= KICK_NS) {
			kick_workers(r);
			last_kick = now;
		}
		if (!c->quiet && now >= next) {
			pg_report_tick(r, &snap);
			next += period;
			if (next <= now)
				next = now + period;
		}
		if (!c->quiet && next < wake)
			wake = next;
		if (c->duration > 0 && end > now && end < wake)
			wake = end;
		pg_sleep_until(wake);
	}
}

static void cleanup(struct pg_run *r)
{
	if (r->threads) {
		for (unsigned int i = 0; i < r->nthreads; i++)
			pg_rtt_free(r->threads[i].rtt);
		free(r->threads);
	}
	free(r->tmpl);
	ptnet_port_close(r->port);
}

int main(int argc, char **argv)
{
	struct pg_run run;
	int ret, code;

	memset(&run, 0, sizeof(run));
	ret = pg_parse_args(argc, argv, &run.conf);
	if (ret)
		return ret > 0 ? 0 : 1;
	run.out = run.conf.json ? stderr : stdout;
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (open_port(&run) < 0)
		return 1;
	if (setup(&run) < 0) {
		cleanup(&run);
		return 1;
	}
	install_signals();
	if (start_workers(&run) < 0) {
		run.error = 1;
		pg_request_stop();
	}
	supervise(&run);
	for (unsigned int i = 0; i < run.nthreads; i++)
		if (run.threads[i].started)
			pthread_join(run.threads[i].tid, NULL);
	code = pg_report_final(&run);
	if (run.error)
		code = 1;
	cleanup(&run);
	return code;
}
