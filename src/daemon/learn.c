// SPDX-License-Identifier: BSD-2-Clause
/*
 * learn.c - the default lookup: a MAC learning table with aging.
 *
 * 256 sets x 4 ways.  Each entry is one 64-bit word, so workers can learn
 * and look up concurrently under the switch's shared lock without ever
 * seeing a torn entry (a torn entry could send one port's traffic to
 * another):
 *	bits  0..47  MAC address
 *	bits 48..55  port index + 1 (0 = empty)
 *	bits 56..63  time stamp in 4-second ticks (wraps; ptd_mac_sweep
 *		     clears entries before the wrap can make them look fresh)
 */
#include <string.h>
#include <time.h>
#include <ptnet/barrier.h>
#include "daemon/switch.h"

#define TICK_SHIFT	2		/* 4 s */
#define PTD_MAC_PROTECT_TICKS	3	/* another port's entry seen < 12 s ago stays */
#define ENT_MAC(e)	((e) & 0xffffffffffffull)
#define ENT_PORT(e)	((unsigned int)(((e) >> 48) & 0xff))
#define ENT_TICK(e)	((unsigned int)((e) >> 56))

uint32_t ptd_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}

static inline uint64_t mac_u64(const uint8_t *m)
{
	return (uint64_t)m[0] | (uint64_t)m[1] << 8 | (uint64_t)m[2] << 16 |
	       (uint64_t)m[3] << 24 | (uint64_t)m[4] << 32 | (uint64_t)m[5] << 40;
}

static inline unsigned int mac_set(uint64_t mac)
{
	return (unsigned int)((mac * 0x9e3779b97f4a7c15ull) >> 56);	/* 8 bits: 256 sets */
}

static inline unsigned int now_tick(void)
{
	return (ptd_now_s() >> TICK_SHIFT) & 0xff;
}

static inline bool fresh(uint64_t e, unsigned int tick, unsigned int age_ticks)
{
	return ENT_PORT(e) && ((tick - ENT_TICK(e)) & 0xff) <= age_ticks;
}

static void learn(struct ptd_switch *sw, struct ptd_port *src, uint64_t smac, unsigned int tick)
{
	uint64_t *set = sw->mac[mac_set(smac)];
	uint64_t want = smac | (uint64_t)(src->index + 1) << 48 | (uint64_t)tick << 56;
	unsigned int victim = 0, oldest = 0;

	for (unsigned int w = 0; w < PTD_MAC_WAYS; w++) {
		uint64_t e = PTNET_READ_ONCE(set[w]);
		unsigned int age;

		if (ENT_PORT(e) && ENT_MAC(e) == smac) {
			if (e != want)
				PTNET_WRITE_ONCE(set[w], want);
			return;
		}
		/* Empty first, then our own entries, then the stalest. */
		if (!ENT_PORT(e))
			age = 0x400;
		else if (ENT_PORT(e) == src->index + 1)
			age = 0x200 + (((tick - ENT_TICK(e)) & 0xff));
		else
			age = ((tick - ENT_TICK(e)) & 0xff) + 1;
		if (age > oldest) {
			oldest = age;
			victim = w;
		}
	}
	/*
	 * Never evict another port's fresh entry: a port sending from many
	 * source MACs could otherwise push its neighbours out of the table and
	 * have their unicast traffic flooded to it.  Its new MAC stays unknown
	 * (its own traffic floods) until an entry ages.
	 */
	if (oldest <= PTD_MAC_PROTECT_TICKS)
		return;
	PTNET_WRITE_ONCE(set[victim], want);
}

static uint16_t learning_lookup(struct ptd_switch *sw, struct ptd_port *src, const uint8_t eth[12],
			       uint32_t now_s)
{
	uint64_t dmac = mac_u64(eth), smac = mac_u64(eth + 6);
	unsigned int tick = (now_s >> TICK_SHIFT) & 0xff, age_ticks = sw->age_s >> TICK_SHIFT;

	/*
	 * Learn unicast sources.  learn() reads the set first and writes only
	 * when the entry changes (new MAC, moved MAC, new tick), so a steady
	 * source costs one cache line read per packet.
	 */
	if (!(eth[6] & 1))
		learn(sw, src, smac, tick);
	if (eth[0] & 1)
		return PTD_DST_FLOOD;
	const uint64_t *set = sw->mac[mac_set(dmac)];

	for (unsigned int w = 0; w < PTD_MAC_WAYS; w++) {
		uint64_t e = PTNET_READ_ONCE(set[w]);

		if (ENT_MAC(e) == dmac && fresh(e, tick, age_ticks))
			return (uint16_t)(ENT_PORT(e) - 1);
	}
	return PTD_DST_FLOOD;
}

/* Called with the switch lock held exclusively. */
static void learning_port_gone(struct ptd_switch *sw, unsigned int index)
{
	for (unsigned int s = 0; s < PTD_MAC_SETS; s++)
		for (unsigned int w = 0; w < PTD_MAC_WAYS; w++)
			if (ENT_PORT(sw->mac[s][w]) == index + 1)
				sw->mac[s][w] = 0;
}

static inline void mac_bytes(uint64_t mac, uint8_t m[6])
{
	for (unsigned int i = 0; i < 6; i++)
		m[i] = (uint8_t)(mac >> (8 * i));
}

/* Control thread, shared lock: workers may learn meanwhile; each word is read once. */
static unsigned int learning_dump(struct ptd_switch *sw, uint32_t now_s, ptd_fdb_fn fn, void *arg)
{
	unsigned int tick = (now_s >> TICK_SHIFT) & 0xff, age_ticks = sw->age_s >> TICK_SHIFT;
	unsigned int n = 0;

	for (unsigned int s = 0; s < PTD_MAC_SETS; s++)
		for (unsigned int w = 0; w < PTD_MAC_WAYS; w++) {
			uint64_t e = PTNET_READ_ONCE(sw->mac[s][w]);
			struct ptd_fdb_entry ent;

			if (!fresh(e, tick, age_ticks))
				continue;
			n++;
			if (!fn)
				continue;
			mac_bytes(ENT_MAC(e), ent.mac);
			ent.port = (uint16_t)(ENT_PORT(e) - 1);
			ent.age_s = ((tick - ENT_TICK(e)) & 0xff) << TICK_SHIFT;
			fn(&ent, arg);
		}
	return n;
}

/* Lock held exclusively: no worker is learning, plain stores would do; keep them untorn anyway. */
static unsigned int learning_flush(struct ptd_switch *sw, uint32_t now_s)
{
	unsigned int n = learning_dump(sw, now_s, NULL, NULL);

	for (unsigned int s = 0; s < PTD_MAC_SETS; s++)
		for (unsigned int w = 0; w < PTD_MAC_WAYS; w++)
			PTNET_WRITE_ONCE(sw->mac[s][w], 0);
	return n;
}

const struct ptd_lookup_ops ptd_learning_ops = {
	.lookup = learning_lookup,
	.port_gone = learning_port_gone,
	.dump = learning_dump,
	.flush = learning_flush,
};

/* Periodic (control thread, shared lock): drop expired entries. */
void ptd_mac_sweep(struct ptd_switch *sw)
{
	unsigned int tick = now_tick(), age_ticks = sw->age_s >> TICK_SHIFT;

	for (unsigned int s = 0; s < PTD_MAC_SETS; s++)
		for (unsigned int w = 0; w < PTD_MAC_WAYS; w++) {
			uint64_t e = PTNET_READ_ONCE(sw->mac[s][w]);

			if (ENT_PORT(e) && !fresh(e, tick, age_ticks))
				ptnet_cas(&sw->mac[s][w], &e, 0);
		}
}
