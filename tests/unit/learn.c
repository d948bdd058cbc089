// SPDX-License-Identifier: BSD-2-Clause
/*
 * learn - the MAC learning lookup (daemon/learn.c) on a switch set up by
 * hand: learning unicast sources, unicast lookup, broadcast/multicast and
 * unknown-destination flooding, port_gone, aging (lookup and sweep, with
 * entries given old time stamps as encoded in learn.c: bits 56..63 hold
 * (ptd_now_s() >> 2) & 0xff) and replacement of the oldest way of a full set.
 */
#include <string.h>
#include "daemon/switch.h"
#include "t.h"

#define ENT_MAC(e)  ((e)&0xffffffffffffull)
#define ENT_PORT(e) ((unsigned int)(((e) >> 48) & 0xff))
#define TICK_SHIFT  2

static struct ptd_switch *sw;
static struct ptd_port ports[4];

static unsigned int now_tick(void)
{
	return (ptd_now_s() >> TICK_SHIFT) & 0xff;
}

static uint64_t mac_u64(const uint8_t *m)
{
	return (uint64_t)m[0] | (uint64_t)m[1] << 8 | (uint64_t)m[2] << 16 | (uint64_t)m[3] << 24 |
	       (uint64_t)m[4] << 32 | (uint64_t)m[5] << 40;
}

static void mk_mac(uint8_t m[6], uint32_t v)
{
	m[0] = 0x02;
	m[1] = 0x00;
	m[2] = (uint8_t)(v >> 24);
	m[3] = (uint8_t)(v >> 16);
	m[4] = (uint8_t)(v >> 8);
	m[5] = (uint8_t)v;
}

static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MCAST[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t MCAST_SRC[6] = { 0x03, 0x00, 0x00, 0x00, 0x00, 0x07 };

/* One frame from port SRC: dst, src. */
static uint16_t lookup(unsigned int src, const uint8_t dst[6], const uint8_t smac[6])
{
	uint8_t eth[12];

	memcpy(eth, dst, 6);
	memcpy(eth + 6, smac, 6);
	return sw->ops->lookup(sw, &ports[src], eth, ptd_now_s());
}

/* The table entry holding MAC, or NULL. */
static uint64_t *entry_of(const uint8_t mac[6], unsigned int *set)
{
	uint64_t m = mac_u64(mac);

	for (unsigned int s = 0; s < sw->mac_sets; s++)
		for (unsigned int w = 0; w < PTD_MAC_WAYS; w++)
			if (ENT_PORT(sw->mac[s][w]) && ENT_MAC(sw->mac[s][w]) == m) {
				if (set)
					*set = s;
				return &sw->mac[s][w];
			}
	return NULL;
}

static void set_tick(uint64_t *e, unsigned int tick)
{
	*e = (*e & ~(0xffull << 56)) | (uint64_t)(tick & 0xff) << 56;
}

static void reset(unsigned int age_s)
{
	memset(sw->mac, 0, (size_t)sw->mac_sets * sizeof(sw->mac[0]));
	sw->age_s = age_s;
}

static void basic(void)
{
	uint8_t A[6], B[6], C[6];

	reset(300);
	mk_mac(A, 0xa);
	mk_mac(B, 0xb);
	mk_mac(C, 0xc);

	CHECK_EQ(lookup(0, BCAST, A), PTD_DST_FLOOD, "broadcast floods");
	CHECK(entry_of(A, NULL) != NULL, "source A learned from a broadcast");
	CHECK_EQ(ENT_PORT(*entry_of(A, NULL)), 1, "A learned on port index 0 (stored as 1)");
	CHECK_EQ(lookup(1, A, B), 0, "unicast to A goes to port 0");
	CHECK_EQ(lookup(0, B, A), 1, "unicast to B (learned on the way) goes to port 1");
	CHECK_EQ(lookup(0, C, A), PTD_DST_FLOOD, "unknown unicast floods");
	CHECK_EQ(lookup(2, MCAST, C), PTD_DST_FLOOD, "multicast floods");
	CHECK_EQ(lookup(0, C, A), 2, "C learned from its multicast frame");

	/* Multicast sources are never learned. */
	CHECK_EQ(lookup(3, B, MCAST_SRC), 1, "frame from a multicast source is still forwarded");
	CHECK(entry_of(MCAST_SRC, NULL) == NULL, "multicast source not learned");
	CHECK_EQ(lookup(0, MCAST_SRC, A), PTD_DST_FLOOD, "multicast destination floods");
	CHECK(entry_of(BCAST, NULL) == NULL, "broadcast address never in the table");

	/* A lookup of one's own MAC returns one's own index (fwd.c drops it). */
	CHECK_EQ(lookup(0, A, A), 0, "own MAC resolves to own port");

	/* A MAC that moves to another port (different port, no cache hit). */
	CHECK_EQ(lookup(3, BCAST, C), PTD_DST_FLOOD, "C moves to port 3");
	CHECK_EQ(lookup(0, C, A), 3, "C now resolves to port 3");

	/* port_gone clears the entries of that port only. */
	sw->ops->port_gone(sw, 1);
	CHECK(entry_of(B, NULL) == NULL, "port_gone(1) cleared B");
	CHECK_EQ(lookup(0, B, A), PTD_DST_FLOOD, "B unknown after port_gone");
	CHECK_EQ(lookup(1, A, B), 0, "A still known (and B re-learned on port 1)");
	CHECK_EQ(lookup(0, C, A), 3, "C still on port 3");
	sw->ops->port_gone(sw, 3);
	CHECK_EQ(lookup(0, C, A), PTD_DST_FLOOD, "C unknown after port_gone(3)");
	CHECK_EQ(lookup(0, B, A), 1, "B survives port_gone(3)");
}

/*
 * Run FN with a stable tick: if the 4-second tick changes while FN runs the
 * time stamps it wrote may be off by one, so try again.
 */
#define STABLE_TICK(tick, body)                                             \
	do {                                                                \
		for (int _try = 0; _try < 5; _try++) {                      \
			unsigned int tick = now_tick();                     \
			int _saved = t_failures;                            \
			body;                                               \
			if (now_tick() == tick)                             \
				break;                                      \
			t_failures = _saved; /* retry: ignore this round */ \
		}                                                           \
	} while (0)

static void aging(void)
{
	uint8_t D[6], E[6], F[6], Q[6];
	uint64_t *e;

	mk_mac(D, 0xd);
	mk_mac(E, 0xe);
	mk_mac(F, 0xf);
	mk_mac(Q, 0x99); /* port 3 asks the questions */

	/* age 8 s = 2 ticks: an entry 3 ticks old is stale, one 2 ticks old is not. */
	STABLE_TICK(tick, {
		reset(8);
		lookup(0, BCAST, D);
		lookup(1, BCAST, E);
		lookup(2, BCAST, F);
		e = entry_of(D, NULL);
		REQUIRE(e, "D learned");
		set_tick(e, tick - 3);
		e = entry_of(E, NULL);
		REQUIRE(e, "E learned");
		set_tick(e, tick - 2);
		CHECK_EQ(lookup(3, D, Q), PTD_DST_FLOOD, "entry older than the age floods");
		CHECK_EQ(lookup(3, E, Q), 1, "entry exactly at the age still used");
		CHECK_EQ(lookup(3, F, Q), 2, "fresh entry used");
		ptd_mac_sweep(sw);
		CHECK(entry_of(D, NULL) == NULL, "sweep removed the stale entry");
		CHECK(entry_of(E, NULL) != NULL, "sweep kept the entry at the age");
		CHECK(entry_of(F, NULL) != NULL, "sweep kept the fresh entry");
	});

	/* Tick wrap: an entry stamped 255 ticks "ahead" is 1 tick old, not fresh forever. */
	STABLE_TICK(tick, {
		reset(8);
		lookup(0, BCAST, D);
		e = entry_of(D, NULL);
		REQUIRE(e, "D learned");
		set_tick(e, tick + 1); /* (tick - stamp) & 0xff == 255 */
		CHECK_EQ(lookup(3, D, Q), PTD_DST_FLOOD, "stamp from the future (wrap) is stale");
		ptd_mac_sweep(sw);
		CHECK(entry_of(D, NULL) == NULL, "sweep removed the wrapped entry");
	});

	/* An aged-out MAC is learned again when its owner talks, from another port too. */
	STABLE_TICK(tick, {
		reset(8);
		lookup(0, BCAST, D);
		set_tick(entry_of(D, NULL), tick - 5);
		ptd_mac_sweep(sw);
		CHECK(entry_of(D, NULL) == NULL, "swept");
		lookup(1, BCAST, D);
		CHECK_EQ(lookup(2, D, Q), 1, "re-learned on port 1 after aging out");
	});
}

/* Five MACs in one set: the oldest way is replaced, the others stay. */
static void replacement(void)
{
	uint8_t macs[5][6], m[6];
	unsigned int want_set = 0, found = 0, set;

	reset(300);
	for (uint32_t v = 0x100; v < 0x100000 && found < 5; v++) {
		mk_mac(m, v);
		memset(sw->mac, 0, (size_t)sw->mac_sets * sizeof(sw->mac[0]));
		lookup(0, BCAST, m);
		REQUIRE(entry_of(m, &set), "probe MAC learned");
		if (found == 0)
			want_set = set;
		if (set == want_set)
			memcpy(macs[found++], m, 6);
	}
	REQUIRE(found == 5, "found five MACs of one set");

	STABLE_TICK(tick, {
		reset(300);
		for (unsigned int i = 0; i < 4; i++)
			lookup(i, BCAST, macs[i]);
		for (unsigned int i = 0; i < 4; i++)
			CHECK(entry_of(macs[i], NULL), "mac %u learned", i);
		/* Way ages: mac0 oldest (3 ticks), mac2 2 ticks, others fresh. */
		set_tick(entry_of(macs[0], NULL), tick - 3);
		set_tick(entry_of(macs[2], NULL), tick - 2);
		lookup(0, BCAST, macs[4]);
		CHECK(entry_of(macs[0], NULL) == NULL, "oldest entry replaced");
		for (unsigned int i = 1; i < 5; i++)
			CHECK(entry_of(macs[i], NULL) != NULL, "mac %u kept", i);
		CHECK_EQ(lookup(1, macs[4], macs[1]), 0, "new entry resolves");
		CHECK_EQ(lookup(0, macs[2], macs[4]), 2, "other ways still resolve");
	});
}

int main(void)
{
	sw = calloc(1, sizeof(*sw));
	REQUIRE(sw, "calloc");
	REQUIRE(ptd_mac_alloc(sw, PTD_MAC_MIN) == 0, "MAC table");
	sw->ops = &ptd_learning_ops;
	for (unsigned int i = 0; i < 4; i++) {
		ports[i].index = i;
		ports[i].sw = sw;
		sw->ports[i] = &ports[i];
		sw->active[i] = (uint16_t)i;
	}
	sw->nports = 4;
	basic();
	aging();
	replacement();
	ptd_mac_free(sw);
	free(sw);
	return t_done("learn");
}
