// SPDX-License-Identifier: BSD-2-Clause
/*
 * learn_big - the MAC table at its largest (2^20 entries, 2^18 sets of 4):
 * sizes rounded and refused, 1 M distinct addresses learned and looked up
 * (each answer the learning port or a flood, never another port), eviction
 * in a full set, the incremental age sweep (its counters: sets visited per
 * call, calls for one round), the port-removal purge and the flush.
 * Entries are aged by rewriting their time stamps as learn.c encodes them
 * (bits 56..63: (ptd_now_s() >> 2) & 0xff); the test tolerates a tick
 * passing by running each timed part again when it did (STABLE_TICK).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "daemon/switch.h"
#include "t.h"

#define ENT_MAC(e)  ((e)&0xffffffffffffull)
#define ENT_PORT(e) ((unsigned int)(((e) >> 48) & 0xff))
#define NMAC	    (1u << 20)
#define NPORTS	    4

static struct ptd_switch *sw;
static struct ptd_port ports[NPORTS + 1];	/* the last one only looks up */

static unsigned int now_tick(void)
{
	return (ptd_now_s() >> 2) & 0xff;
}

static void u64_mac(uint64_t v, uint8_t m[6])
{
	for (unsigned int i = 0; i < 6; i++)
		m[i] = (uint8_t)(v >> (8 * i));
}

/* Address I of a run: unicast, distinct for every I < 2^32; SCRAMBLE spreads them as swload does. */
static uint64_t mac_of(uint32_t i, int scramble)
{
	uint64_t v = scramble ? ((uint64_t)i * 0x9e3779b97full) & 0xffffffffffull : i;

	return 0x02 | v << 8;
}

static uint16_t frame(unsigned int src, uint64_t dmac, uint64_t smac)
{
	uint8_t eth[12];

	u64_mac(dmac, eth);
	u64_mac(smac, eth + 6);
	return sw->ops->lookup(sw, &ports[src], eth, ptd_now_s());
}

/* A lookup that learns nothing: a multicast source. */
static uint16_t ask(uint64_t dmac)
{
	return frame(NPORTS, dmac, 0x07 | 0x5cull << 8);
}

static unsigned int set_of(uint64_t mac)
{
	return (unsigned int)((mac * 0x9e3779b97f4a7c15ull) >> sw->mac_shift);
}

static void zero(void)
{
	memset(sw->mac, 0, (size_t)sw->mac_sets * sizeof(sw->mac[0]));
}

static unsigned int count_port(unsigned int port)
{
	unsigned int n = 0;

	for (unsigned int s = 0; s < sw->mac_sets; s++)
		for (unsigned int w = 0; w < PTD_MAC_WAYS; w++)
			n += ENT_PORT(sw->mac[s][w]) == port + 1;
	return n;
}

#define STABLE_TICK(t, body)                                          \
	for (unsigned int _try = 0; _try < 5; _try++) {               \
		unsigned int t = now_tick();                           \
		body;                                                  \
		if (now_tick() == t)                                   \
			break;                                         \
	}

static void sizes(void)
{
	struct ptd_switch tmp = { 0 };

	CHECK_EQ(ptd_mac_round(0), 0, "0 entries refused");
	CHECK_EQ(ptd_mac_round(1), PTD_MAC_MIN, "1 rounds up to the least");
	CHECK_EQ(ptd_mac_round(1024), 1024, "1024 kept");
	CHECK_EQ(ptd_mac_round(1025), 2048, "1025 rounds up to 2048");
	CHECK_EQ(ptd_mac_round(1000000), 1u << 20, "1000000 rounds up to 2^20");
	CHECK_EQ(ptd_mac_round(1u << 20), 1u << 20, "2^20 kept");
	CHECK_EQ(ptd_mac_round((1u << 20) + 1), 0, "more than 2^20 refused");
	CHECK_EQ(ptd_mac_alloc(&tmp, 3000), -EINVAL, "not a power of two");
	CHECK_EQ(ptd_mac_alloc(&tmp, 512), -EINVAL, "below the least");
	REQUIRE(ptd_mac_alloc(&tmp, 4096) == 0, "4096 entries");
	CHECK_EQ(tmp.mac_sets, 1024, "4096 entries are 1024 sets");
	CHECK_EQ(tmp.mac_shift, 54, "10 bits of hash");
	ptd_mac_free(&tmp);
}

/* Learn NMAC addresses, MAC i from port i % NPORTS; returns how many resolve. */
static unsigned int learn_all(int scramble, unsigned int *wrong)
{
	unsigned int hit = 0;

	zero();
	for (uint32_t i = 0; i < NMAC; i++)
		frame(i % NPORTS, 0xffffffffffffull, mac_of(i, scramble));
	*wrong = 0;
	for (uint32_t i = 0; i < NMAC; i++) {
		uint16_t d = ask(mac_of(i, scramble));

		if (d == i % NPORTS)
			hit++;
		else if (d != PTD_DST_FLOOD)
			(*wrong)++;
	}
	return hit;
}

static void million(void)
{
	unsigned int hit = 0, wrong = 0, inforce = 0;

	CHECK_EQ(sw->mac_sets, NMAC / PTD_MAC_WAYS, "2^18 sets");
	CHECK((uintptr_t)sw->mac % 64 == 0, "sets are cache-line aligned");
	CHECK_EQ(sizeof(sw->mac[0]), 32, "a set is half a cache line");
	/*
	 * 2^20 addresses in 2^20 entries of 4-way sets: some sets get more
	 * than 4 and the rest of theirs floods (an entry of another port seen
	 * in the last 12 s is never evicted).  Both runs keep about 91%.
	 */
	STABLE_TICK(t, {
		hit = learn_all(0, &wrong);
		inforce = sw->ops->dump(sw, ptd_now_s(), NULL, NULL);
	});
	printf("# consecutive: %u of %u addresses resolve, %u in force\n", hit, NMAC, inforce);
	CHECK_EQ(wrong, 0, "no address resolves to another port");
	CHECK_EQ(hit, inforce, "every entry in force is found");
	CHECK(hit >= NMAC / 100 * 85, "consecutive addresses: at least 85%% kept (%u)", hit);
	/* Scrambled addresses, as swload's flood makes them. */
	STABLE_TICK(t, {
		hit = learn_all(1, &wrong);
		inforce = sw->ops->dump(sw, ptd_now_s(), NULL, NULL);
	});
	printf("# scrambled: %u of %u addresses resolve, %u in force\n", hit, NMAC, inforce);
	CHECK_EQ(wrong, 0, "no address resolves to another port");
	CHECK_EQ(hit, inforce, "every entry in force is found");
	CHECK(hit >= NMAC / 100 * 85, "scrambled addresses: at least 85%% kept (%u)", hit);
}

/* Five addresses of one set. */
static void five_of_a_set(uint64_t m[5])
{
	unsigned int n = 0, want = 0;

	for (uint32_t i = 0; n < 5; i++) {
		uint64_t v = mac_of(i, 1);

		if (!n)
			want = set_of(v);
		if (set_of(v) == want)
			m[n++] = v;
	}
}

static void eviction(void)
{
	uint64_t m[5];

	five_of_a_set(m);
	STABLE_TICK(t, {
		zero();
		/* Full set of four ports' fresh entries: port 0's fifth address replaces its own. */
		for (unsigned int i = 0; i < 4; i++)
			frame(i, 0xffffffffffffull, m[i]);
		frame(0, 0xffffffffffffull, m[4]);
		CHECK_EQ(ask(m[4]), 0, "the new address of port 0 is learned");
		CHECK_EQ(ask(m[0]), PTD_DST_FLOOD, "in place of port 0's older one");
		for (unsigned int i = 1; i < 4; i++)
			CHECK_EQ(ask(m[i]), i, "port %u's entry stays", i);
	});
	STABLE_TICK(t, {
		zero();
		/* Full of other ports' fresh entries: port 0's address is not learned. */
		frame(1, 0xffffffffffffull, m[0]);
		frame(2, 0xffffffffffffull, m[1]);
		frame(3, 0xffffffffffffull, m[2]);
		frame(1, 0xffffffffffffull, m[3]);
		frame(0, 0xffffffffffffull, m[4]);
		CHECK_EQ(ask(m[4]), PTD_DST_FLOOD, "no fresh entry of another port is evicted");
		CHECK_EQ(ask(m[0]), 1, "m0 stays");
		CHECK_EQ(ask(m[1]), 2, "m1 stays");
		CHECK_EQ(ask(m[2]), 3, "m2 stays");
		CHECK_EQ(ask(m[3]), 1, "m3 stays");
	});
}

static void sweep(void)
{
	unsigned int tick = now_tick(), left = 0;
	struct ptd_mac_stats before;

	/* Fill every way, then make all of it expired (10 minutes old, age 300 s). */
	for (unsigned int s = 0; s < sw->mac_sets; s++)
		for (unsigned int w = 0; w < PTD_MAC_WAYS; w++)
			sw->mac[s][w] = mac_of(s * 4 + w, 0) | 1ull << 48 |
					(uint64_t)((tick - 150) & 0xff) << 56;
	before = sw->mac_st;
	for (unsigned int k = 0; k < 4; k++) {
		ptd_mac_sweep(sw);
		left = 0;
		for (unsigned int s = 0; s < sw->mac_sets; s++)
			left += sw->mac[s][0] != 0;
		CHECK_EQ(left, sw->mac_sets - (k + 1) * PTD_MAC_SWEEP_SETS,
			 "call %u cleared the next quarter", k + 1);
	}
	CHECK_EQ(sw->mac_st.sweeps - before.sweeps, 4, "four calls");
	CHECK_EQ(sw->mac_st.sweep_sets - before.sweep_sets, sw->mac_sets,
		 "four calls visit every set once");
	CHECK_EQ(sw->mac_st.sweep_max_sets, PTD_MAC_SWEEP_SETS,
		 "a call visits at most PTD_MAC_SWEEP_SETS sets (2 MiB)");
	CHECK_EQ(count_port(0), 0, "nothing expired is left after one round");
	printf("# sweep: %llu calls, %llu sets, at most %llu sets (%llu KiB) a call\n",
	       (unsigned long long)(sw->mac_st.sweeps - before.sweeps),
	       (unsigned long long)(sw->mac_st.sweep_sets - before.sweep_sets),
	       (unsigned long long)sw->mac_st.sweep_max_sets,
	       (unsigned long long)sw->mac_st.sweep_max_sets * 32 / 1024);
}

static void purge_and_flush(void)
{
	unsigned int c[NPORTS], hit, wrong, flushed = 0, inforce = 0;
	struct ptd_mac_stats before;

	STABLE_TICK(t, {
		hit = learn_all(1, &wrong);
		for (unsigned int p = 0; p < NPORTS; p++)
			c[p] = count_port(p);
		before = sw->mac_st;
		sw->ops->port_gone(sw, 1);
		CHECK_EQ(count_port(1), 0, "no entry of the gone port is left");
		for (unsigned int p = 0; p < NPORTS; p++)
			if (p != 1)
				CHECK_EQ(count_port(p), c[p], "port %u's entries stay", p);
		CHECK_EQ(sw->mac_st.clear_passes - before.clear_passes, 1, "one pass");
		CHECK_EQ(sw->mac_st.clear_sets - before.clear_sets, sw->mac_sets,
			 "the purge reads each set once");
		inforce = sw->ops->dump(sw, ptd_now_s(), NULL, NULL);
		flushed = sw->ops->flush(sw, ptd_now_s());
	});
	(void)hit;
	CHECK_EQ(flushed, inforce, "flush reports the entries in force");
	CHECK_EQ(sw->ops->dump(sw, ptd_now_s(), NULL, NULL), 0, "nothing left after the flush");
	for (unsigned int p = 0; p < NPORTS; p++)
		CHECK_EQ(count_port(p), 0, "port %u: no entry left", p);
}

int main(void)
{
	sizes();
	sw = calloc(1, sizeof(*sw));
	REQUIRE(sw, "calloc");
	REQUIRE(ptd_mac_alloc(sw, NMAC) == 0, "a 2^20-entry MAC table");
	sw->ops = &ptd_learning_ops;
	sw->age_s = 300;
	for (unsigned int i = 0; i <= NPORTS; i++) {
		ports[i].index = i;
		ports[i].sw = sw;
		sw->ports[i] = &ports[i];
		sw->active[i] = (uint16_t)i;
	}
	sw->nports = NPORTS + 1;
	million();
	eviction();
	sweep();
	purge_and_flush();
	ptd_mac_free(sw);
	free(sw);
	return t_done("learn_big");
}
