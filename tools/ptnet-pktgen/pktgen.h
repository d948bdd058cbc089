/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pktgen.h - private header of ptnet-pktgen, the traffic tool.
 *
 * One process opens one port and runs one worker thread per ring (thread i
 * owns TX ring i and/or RX ring i).  Workers keep their counters private and
 * publish them once per batch into their struct pg_stats with relaxed
 * stores; the main thread reads them for the periodic line, watches the
 * stop conditions (-d, -W, signals) and prints the summary.
 *
 * Files: main.c (setup, supervision), opts.c (command line), tx.c, rx.c,
 * ping.c, pong.c (one per function), verify.c (payload stamp/check),
 * flows.c (sequence tracking), rtt.c (latency histogram), wait.c (stop
 * flag, idle workers), pace.c (clock, rate limit), stats.c (counters),
 * report.c (periodic lines, summary, JSON).
 */
#ifndef PTNET_PKTGEN_H
#define PTNET_PKTGEN_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <ptnet/ptnet.h>

#define PG_NAME			"ptnet-pktgen"
#define PG_UDP_PORT		1234		/* source and destination UDP port */
#define PG_MAX_RINGS		16
#define PG_WAIT_MS		1000		/* ptnet_port_wait timeout */
#define PG_DRAIN_NS		2000000000ull	/* tx: wait this long for the ring to drain */
#define PG_IDLE_NS		1000000000ull	/* -W: idle time that ends rx */
#define PG_PING_TIMEOUT_NS	1000000000ull	/* a ping reply later than this is lost */
#define PG_FRAME_OVERHEAD	24		/* CRC + preamble + IFG, for "raw" bps */

enum pg_mode {
	PG_TX,
	PG_RX,
	PG_PING,
	PG_PONG,
};

/* The command line. */
struct pg_conf {
	const char *ifname;
	enum pg_mode mode;
	uint32_t len_min, len_max;	/* frame length without CRC */
	int random_len;			/* -l given twice */
	uint64_t count;			/* -n, 0 = forever */
	uint32_t batch;			/* -b, 0 = default of the mode */
	uint64_t rate;			/* -R, packets (transactions) per second, 0 = no limit */
	uint32_t rings;			/* -p, 0 = not given */
	uint32_t report_ms;		/* -T */
	int exit_idle;			/* -W */
	uint8_t src_mac[6], dst_mac[6];
	int src_mac_set;
	double duration;		/* -d seconds, 0 = none */
	int cpu;			/* -a first CPU, -1 = no pinning */
	int json, verify, busy, quiet;
};

/*
 * Counters of one worker: written by the worker only (PTNET_WRITE_ONCE),
 * read by the main thread (PTNET_READ_ONCE).  Own cache lines.
 */
struct pg_stats {
	uint64_t pkts;		/* tx/ping: sent; rx/pong: received */
	uint64_t bytes;		/* frame bytes, without virtio-net header and CRC */
	uint64_t events;	/* batches (one ring sync that moved packets) */
	uint64_t t_first;	/* ns, first batch */
	uint64_t t_last;	/* ns, last batch */
	/* rx -V */
	uint64_t ok, lost, reordered, corrupt, foreign;
	/* ping (lost is shared with verify) */
	uint64_t trans, rtt_sum_ns;
	/* pong */
	uint64_t echoed, dropped;
	uint32_t done;		/* the worker has finished */
} __attribute__((aligned(64)));

struct pg_rtt;
struct pg_run;

struct pg_thread {
	struct pg_stats st;		/* shared, see above */
	struct pg_run *run;
	unsigned int ring;		/* ring index = thread index */
	pthread_t tid;
	int started;
	uint64_t quota;			/* packets or transactions, 0 = unlimited */
	uint64_t rate;			/* this thread's share of -R, 0 = unlimited */
	uint64_t rng;			/* xorshift state */
	uint64_t idle_since;		/* pg_wait backoff, 0 = active */
	uint32_t spins;			/* --busy: idle spins */
	struct pg_rtt *rtt;		/* ping */
} __attribute__((aligned(64)));

/* The whole process. */
struct pg_run {
	struct pg_conf conf;
	struct ptnet_port *port;
	const struct ptnet_port_info *info;
	unsigned int nthreads;
	struct pg_thread *threads;
	uint32_t batch;			/* effective -b */
	uint32_t vnet;			/* virtio-net header length of the port */
	uint32_t bs;			/* buffer size */
	uint8_t *tmpl;			/* vnet header + frame of len_max bytes */
	uint16_t session;		/* -V: random per process, tells runs apart */
	uint64_t rx_total;		/* rx -n: packets taken by all workers (atomic) */
	int error;			/* a worker failed (exit 1) */
	FILE *out;			/* human output: stdout, or stderr with --json */
};

/* opts.c */
int pg_parse_args(int argc, char **argv, struct pg_conf *c);
const char *pg_mode_name(enum pg_mode m);

/* wait.c: stop flag, failures, idle workers */
int pg_stopping(void);
void pg_request_stop(void);
void pg_fail(struct pg_thread *t, const char *what, int err);
int pg_wait(struct pg_thread *t, unsigned int what, int timeout_ms);
void pg_backoff(struct pg_thread *t, int timeout_ms);
void pg_spin(uint32_t *spins);

/* pace.c: clock, random numbers, rate limiting */
uint64_t pg_now_ns(void);
void pg_sleep_ns(uint64_t ns);
void pg_sleep_until(uint64_t t_ns);
uint64_t pg_rand(uint64_t *state);
uint64_t pg_mix64(uint64_t x);

struct pg_pace {
	uint64_t rate;		/* per second, 0 = off */
	uint64_t t0;		/* start of the current credit window */
	uint64_t done;		/* units used since t0 */
	uint64_t burst;		/* most credit kept across a stall */
	uint32_t spins;
};
void pg_pace_init(struct pg_pace *p, uint64_t rate, uint32_t batch);
uint32_t pg_pace_budget(struct pg_pace *p, uint32_t want, int busy);
void pg_pace_used(struct pg_pace *p, uint32_t n);

/* The worker moved packets: the next pg_wait starts a fresh backoff. */
static inline void pg_active(struct pg_thread *t)
{
	t->idle_since = 0;
}

/* stats.c: a worker's counters to the main thread */
void pg_stats_publish(struct pg_stats *dst, const struct pg_stats *src);
void pg_stats_read(struct pg_stats *dst, const struct pg_stats *src);
void pg_sum_stats(const struct pg_run *r, struct pg_stats *sum);

/* verify.c: the -V payload */
#define PG_VFY_HDR_LEN		16
#define PG_VFY_MAGIC		0x7067u
enum {
	PG_VFY_OK,
	PG_VFY_CORRUPT,
	PG_VFY_FOREIGN,
};
void pg_vfy_stamp(uint8_t *frame, uint32_t len, uint32_t flow, uint32_t seq);
int pg_vfy_check(const uint8_t *frame, uint32_t len, uint64_t *tag);

/* flows.c: per-flow sequence tracking on rx */
#define PG_MAX_FLOWS		64
struct pg_flow {
	uint32_t id;
	uint32_t next;		/* expected sequence number */
};
struct pg_flows {
	struct pg_flow f[PG_MAX_FLOWS];
	unsigned int n, last;
};
void pg_flows_account(struct pg_flows *fl, uint64_t tag, struct pg_stats *st);

/* rtt.c: latency histogram */
struct pg_rtt *pg_rtt_new(void);
void pg_rtt_free(struct pg_rtt *h);
void pg_rtt_add(struct pg_rtt *h, uint64_t ns);
void pg_rtt_merge(struct pg_rtt *dst, const struct pg_rtt *src);
uint64_t pg_rtt_count(const struct pg_rtt *h);
double pg_rtt_min_us(const struct pg_rtt *h);
double pg_rtt_max_us(const struct pg_rtt *h);
double pg_rtt_avg_us(const struct pg_rtt *h);
double pg_rtt_pct_us(const struct pg_rtt *h, double q);

/* The workers. */
void *pg_tx_thread(void *arg);
void *pg_rx_thread(void *arg);
void *pg_ping_thread(void *arg);
void *pg_pong_thread(void *arg);

/* report.c */
struct pg_snap {
	uint64_t t;
	struct pg_stats sum;
};
void pg_report_tick(const struct pg_run *r, struct pg_snap *prev);
int pg_report_final(const struct pg_run *r);

/* Frame helpers shared by the workers (main.c). */
static inline uint32_t pg_frags(const struct pg_run *r, uint32_t len)
{
	return (r->vnet + len + r->bs - 1) / r->bs;
}

#endif /* PTNET_PKTGEN_H */
