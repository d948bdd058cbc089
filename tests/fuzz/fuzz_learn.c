// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_learn - libFuzzer target for daemon/learn.c: MAC learning, lookup,
 * aging and port removal on a hand-built struct ptd_switch, with time under
 * the harness's control (learn.c is compiled into this file with its clock
 * replaced), checked against a model.
 *
 * Build and run (from the top directory; tests/fuzz/run.sh does both):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *	-Iinclude -Isrc -D_GNU_SOURCE -std=gnu11 tests/fuzz/fuzz_learn.c -pthread \
 *	-o build-fuzz/fuzz_learn
 * (learn.c is #included, not linked.)
 *   build-fuzz/fuzz_learn -max_total_time=60 build-fuzz/corpus-learn
 *
 * Input: 4 bytes start time (seconds), 2 bytes aging time (mapped to 4..900
 * s, as --mac-age), then operations of a few bytes each: a frame (source
 * port, destination and source MAC) looked up; a port joining or leaving
 * (learning_port_gone, as ptd_switch_remove_port calls it); time passing by
 * up to 10 s, with ptd_mac_sweep() at every 10-second boundary as ptnetd's
 * timer does; an extra sweep.  MACs come from a pool in which 12 addresses
 * share one table set (so that sets overflow), others are random or taken
 * from the input, some multicast.
 *
 * The model records, per MAC, the port (and its incarnation) that was its
 * last source and when (every frame from a unicast source learns it).
 * Checked on every lookup:
 *  - a multicast destination floods;
 *  - a port answered is present and is the last writer of that MAC, in its
 *    current incarnation (never a port that left, never a newcomer reusing
 *    its index), and the write is younger than the aging time + one tick;
 *  - a MAC whose last writer left, or that was never learned, floods;
 *  - a fresh entry (younger than the aging time - 8 s) in a set that at most
 *    4 distinct MACs were written into during its lifetime is found.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t fake_s;			/* the harness's clock, seconds */

static int fuzz_clock_gettime(clockid_t clk, struct timespec *ts)
{
	(void)clk;
	ts->tv_sec = (time_t)(uint32_t)fake_s;
	ts->tv_nsec = 0;
	return 0;
}

#define clock_gettime fuzz_clock_gettime
#include "daemon/learn.c"

/* The set of M in the fuzzed table (PTD_MAC_MIN entries: 256 sets, 8 bits of hash). */
static const struct ptd_switch set_shape = { .mac_shift = 56 };
#define SET_OF(m) mac_set_of(&set_shape, (m))
#undef clock_gettime

#define MAXMACS		1024
#define POOL		32

struct mmac {
	uint64_t mac;
	int has;			/* an entry should exist */
	int written;			/* learned at least once */
	unsigned int port, gen;		/* last writer */
	uint64_t t_w;			/* time of the last write */
};

static struct ptd_switch sw;
static struct ptd_port *ports[PTD_MAX_PORTS];
static unsigned int gen[PTD_MAX_PORTS];
static struct mmac mm[MAXMACS];
static unsigned int nmm;
static int overflow;			/* more MACs than the model tracks */
static uint64_t pool[POOL];
static uint64_t last_sweep;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned int n = 0;

	(void)argc;
	(void)argv;
	/* 12 unicast MACs in one set, then 16 others, 4 of them multicast. */
	for (uint64_t k = 1; n < 12; k++) {
		uint64_t m = mix(k) & 0xfcffffffffffull;	/* unicast, global */

		if (SET_OF(m) == 7)
			pool[n++] = m;
	}
	for (uint64_t k = 1000; n < POOL; k++) {
		uint64_t m = mix(k) & 0xffffffffffffull;

		m = n < POOL - 4 ? m & ~1ull : m | 1;
		pool[n++] = m;
	}
	return 0;
}

static struct mmac *model(uint64_t mac)
{
	for (unsigned int i = 0; i < nmm; i++)
		if (mm[i].mac == mac)
			return &mm[i];
	if (nmm == MAXMACS) {
		overflow = 1;
		return NULL;
	}
	memset(&mm[nmm], 0, sizeof(mm[0]));
	mm[nmm].mac = mac;
	return &mm[nmm++];
}

static void fz_mac_bytes(uint64_t m, uint8_t *b)
{
	for (int i = 0; i < 6; i++)
		b[i] = (uint8_t)(m >> (8 * i));
}

/* A MAC from the input: the pool mostly, else 6 raw bytes. */
static uint64_t take_mac(const uint8_t **p, const uint8_t *end)
{
	uint8_t sel;
	uint64_t m = 0;

	if (*p >= end)
		return pool[0];
	sel = *(*p)++;
	if (sel < 240 || end - *p < 6)
		return pool[sel % POOL];
	for (int i = 0; i < 6; i++)
		m |= (uint64_t)(*p)[i] << (8 * i);
	*p += 6;
	return m;
}

static void tick_clock(unsigned int secs)
{
	for (unsigned int i = 0; i < secs; i++) {
		fake_s++;
		if (fake_s / 10 != last_sweep / 10) {
			ptd_mac_sweep(&sw);
			last_sweep = fake_s;
		}
	}
}

static void leave(unsigned int idx)
{
	if (!ports[idx])
		return;
	sw.ops->port_gone(&sw, idx);
	for (unsigned int i = 0; i < nmm; i++)
		if (mm[i].has && mm[i].port == idx)
			mm[i].has = 0;
	free(ports[idx]);
	ports[idx] = NULL;
}

static void join(unsigned int idx)
{
	if (ports[idx])
		return;
	ports[idx] = calloc(1, sizeof(*ports[idx]));
	if (!ports[idx])
		abort();
	ports[idx]->index = idx;
	gen[idx]++;
}

/* Distinct MACs of set S written since T0. */
static unsigned int set_writers(unsigned int s, uint64_t t0)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < nmm; i++)
		if (SET_OF(mm[i].mac) == s && mm[i].written && mm[i].t_w >= t0)
			n++;
	return n;
}

static void frame(unsigned int sidx, uint64_t dmac, uint64_t smac)
{
	struct ptd_port *src = ports[sidx];
	unsigned int age = sw.age_s;
	uint8_t eth[12];
	struct mmac *d, *s;
	uint16_t r;

	fz_mac_bytes(dmac, eth);
	fz_mac_bytes(smac, eth + 6);
	/* Every frame from a unicast source learns it. */
	if (!(smac & 1)) {
		s = model(smac);
		if (s) {
			s->has = s->written = 1;
			s->port = sidx;
			s->gen = gen[sidx];
			s->t_w = fake_s;
		}
	}
	r = sw.ops->lookup(&sw, src, eth, ptd_now_s());
	if (dmac & 1) {
		if (r != PTD_DST_FLOOD)
			abort();		/* multicast must flood */
		return;
	}
	d = model(dmac);
	if (!d)
		return;
	if (r != PTD_DST_FLOOD) {
		if (r >= PTD_MAX_PORTS || !ports[r])
			abort();		/* a port that is not there */
		if (!d->has || d->port != r || d->gen != gen[r])
			abort();		/* not the last writer, or a former port's index */
		if (fake_s - d->t_w >= (uint64_t)age + 4)
			abort();		/* an expired entry answered */
		return;
	}
	/* Flooded: fine unless a fresh, surely not evicted entry exists. */
	if (!overflow && d->has && ports[d->port] && d->gen == gen[d->port] &&
	    fake_s - d->t_w + 8 <= age &&
	    set_writers(SET_OF(dmac), d->t_w > age + 16ull ? d->t_w - age - 16 : 0) <=
		    PTD_MAC_WAYS)
		abort();			/* a learned, fresh MAC was not found */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	uint32_t t0;
	uint16_t a;

	if (size < 6)
		return 0;
	memcpy(&t0, p, 4);
	memcpy(&a, p + 4, 2);
	p += 6;
	memset(&sw, 0, sizeof(sw));
	if (ptd_mac_alloc(&sw, PTD_MAC_MIN))
		abort();
	sw.ops = &ptd_learning_ops;
	sw.age_s = 4 + a % 897;
	fake_s = t0;
	last_sweep = fake_s;
	nmm = 0;
	overflow = 0;
	memset(gen, 0, sizeof(gen));
	for (unsigned int i = 0; i < 4; i++)
		join(i);

	while (p < end) {
		uint8_t op = *p++;
		unsigned int idx = p < end ? *p % PTD_MAX_PORTS : 0;

		switch (op % 8) {
		case 0: case 1: case 2: case 3: { /* a frame */
			uint64_t dm, smac;

			if (p < end)
				p++;
			if (!ports[idx])
				idx = 0;
			if (!ports[idx])
				join(0);
			dm = take_mac(&p, end);
			smac = take_mac(&p, end);
			frame(idx, dm, smac);
			break;
		}
		case 4: /* a port leaves */
			if (p < end)
				p++;
			leave(idx);
			break;
		case 5: /* a port joins (maybe at an index that was used before) */
			if (p < end)
				p++;
			join(idx);
			break;
		case 6: /* time passes */
			tick_clock(p < end ? *p++ % 11 : 1);
			break;
		default:
			ptd_mac_sweep(&sw);
			break;
		}
	}
	for (unsigned int i = 0; i < PTD_MAX_PORTS; i++) {
		free(ports[i]);
		ports[i] = NULL;
	}
	ptd_mac_free(&sw);
	return 0;
}
