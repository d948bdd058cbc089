/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shmpp - the bare shared-memory ping-pong of bench/run.sh: the floor under
 * any busy-polled round trip between two CPUs.
 *
 *	shmpp [-n COUNT] [-d SECONDS] [-a CPU_PING] [-b CPU_PONG] [--json]
 *
 * Two threads, pinned to two CPUs (default 0 and 1), flip one cache line:
 * ping stores an odd sequence number and spins until pong has stored the
 * next even one; pong spins for the odd one and answers.  Every round trip
 * is timed with clock_gettime (its ~20 ns are in the figures).  COUNT round
 * trips (default 1000000, after 10000 warm-up ones) or SECONDS (default
 * 10), whichever ends first.  The JSON line has the fields of kudp's and
 * ptnet-pktgen's ping (mode, transactions, rtt_us {min, avg, p50, p99, max})
 * plus "regime": "near" when p50 < 0.25 us, "far" otherwise (on the
 * development machines a cache line crosses the vCPUs in about 0.1 or
 * about 0.45 us, and which one cannot be chosen from inside;
 * /work/shared/docs/machine-facts.md).
 *
 * Uses libc and the header-only include/ptnet/barrier.h.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ptnet/barrier.h>

#define WARMUP		10000
#define NEAR_LIMIT_US	0.25

/* The one line both threads flip; alone on its cache line. */
static struct {
	uint64_t seq;
	char pad[56];
} line __attribute__((aligned(64)));
static uint64_t rounds;		/* warm-up + measured; written before the threads start */
static int pong_cpu;

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *pong(void *arg)
{
	(void)arg;
	if (pin(pong_cpu))
		fprintf(stderr, "shmpp: cannot pin pong to CPU %d\n", pong_cpu);
	/*
	 * Pairs with ping's release store of the odd number: what ping wrote
	 * before it is visible here; our release store of the even answer
	 * pairs with ping's acquire load.  The stop value UINT64_MAX (never a
	 * sequence number) ends the loop.
	 */
	for (uint64_t want = 1;; want += 2) {
		uint64_t s;

		while ((s = ptnet_load_acquire(&line.seq)) != want && s != UINT64_MAX)
			ptnet_cpu_relax();
		if (s == UINT64_MAX)
			return NULL;
		ptnet_store_release(&line.seq, want + 1);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t count = 1000000, done = 0, sum = 0;
	double secs = 10;
	int ping_cpu = 0, json = 0, c;
	uint32_t *ns;
	pthread_t t;

	pong_cpu = 1;
	while ((c = getopt_long(argc, argv, "n:d:a:b:h", lo, NULL)) != -1) {
		switch (c) {
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 'd': secs = atof(optarg); break;
		case 'a': ping_cpu = atoi(optarg); break;
		case 'b': pong_cpu = atoi(optarg); break;
		case 'j': json = 1; break;
		default:
			fprintf(stderr, "usage: shmpp [-n COUNT] [-d SECONDS] [-a CPU_PING] "
				"[-b CPU_PONG] [--json]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (count == 0 || count > 100000000 || secs <= 0) {
		fprintf(stderr, "shmpp: -n takes 1..100000000, -d a positive number\n");
		return 2;
	}
	ns = malloc(count * sizeof(*ns));
	if (!ns) {
		fprintf(stderr, "shmpp: out of memory\n");
		return 1;
	}
	rounds = WARMUP + count;
	if (pin(ping_cpu))
		fprintf(stderr, "shmpp: cannot pin ping to CPU %d\n", ping_cpu);
	if (pthread_create(&t, NULL, pong, NULL)) {
		fprintf(stderr, "shmpp: cannot start the pong thread\n");
		return 1;
	}
	uint64_t end = now_ns() + (uint64_t)(secs * 1e9), seq = 1;

	for (uint64_t i = 0; i < rounds; i++, seq += 2) {
		uint64_t t0 = now_ns(), t1;

		ptnet_store_release(&line.seq, seq);
		while (ptnet_load_acquire(&line.seq) != seq + 1)
			ptnet_cpu_relax();
		t1 = now_ns();
		if (i >= WARMUP) {
			uint64_t d = t1 - t0;

			ns[done++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
			sum += d;
		}
		if ((i & 1023) == 0 && t1 > end)
			break;
	}
	ptnet_store_release(&line.seq, UINT64_MAX);
	pthread_join(t, NULL);
	if (done == 0) {
		fprintf(stderr, "shmpp: no round trip measured within %g s\n", secs);
		return 1;
	}
	qsort(ns, done, sizeof(*ns), cmp_u32);
	/* Nearest-rank percentiles, as kudp and ptnet-pktgen compute them. */
	double p50 = ns[(done * 50 + 99) / 100 - 1] / 1e3, p99 = ns[(done * 99 + 99) / 100 - 1] / 1e3;
	double avg = (double)sum / (double)done / 1e3;
	const char *regime = p50 < NEAR_LIMIT_US ? "near" : "far";

	if (json)
		printf("{\"tool\":\"shmpp\",\"mode\":\"ping\",\"ping_cpu\":%d,\"pong_cpu\":%d,"
		       "\"transactions\":%llu,\"lost\":0,\"rtt_us\":{\"min\":%.3f,\"avg\":%.3f,"
		       "\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},\"regime\":\"%s\"}\n",
		       ping_cpu, pong_cpu, (unsigned long long)done, ns[0] / 1e3, avg, p50, p99,
		       ns[done - 1] / 1e3, regime);
	else
		printf("shmpp: %llu round trips CPU %d <-> %d: p50 %.3f us, p99 %.3f us, "
		       "min %.3f, avg %.3f, max %.3f (%s regime)\n", (unsigned long long)done,
		       ping_cpu, pong_cpu, p50, p99, ns[0] / 1e3, avg, ns[done - 1] / 1e3, regime);
	free(ns);
	return 0;
}
