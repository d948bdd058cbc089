// SPDX-License-Identifier: BSD-2-Clause
/*
 * learn.c - the default lookup: a MAC learning table with aging.
 *
 * Sets of 4 ways, as many sets as the switch's mac-table size asks
 * (PTD_MAC_MIN..PTD_MAC_MAX entries, a power of two: 256 to 262144 sets).
 * A set is 32 bytes aligned on 32, so a lookup or a learn reads one cache
 * line whatever the size; the set is the top bits of one multiplication.
 * Each entry is one 64-bit word, so workers can learn and look up
 * concurrently under the switch's shared lock without ever seeing a torn
 * entry (a torn entry could send one port's traffic to another):
 *	bits  0..47  MAC address
 *	bits 48..55  port index + 1 (0 = empty)
 *	bits 56..63  time stamp in 4-second ticks (wraps; ptd_mac_sweep
 *		     clears entries before the wrap can make them look fresh)
 */
#include <errno.h>
#include <stdlib.h>
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

/* The set of MAC: the top log2(sets) bits of one multiplication (8 bits for 256 sets). */
static inline unsigned int mac_set_of(const struct ptd_switch *sw, uint64_t mac)
{
	return (unsigned int)((mac * 0x9e3779b97f4a7c15ull) >> sw->mac_shift);
}

static inline uint64_t *mac_set(const struct ptd_switch *sw, uint64_t mac)
{
	return sw->mac[mac_set_of(sw, mac)];
}

unsigned int ptd_mac_round(uint64_t want)
{
	unsigned int n = PTD_MAC_MIN;

	if (!want || want > PTD_MAC_MAX)
		return 0;
	while (n < want)
		n <<= 1;
	return n;
}

int ptd_mac_alloc(struct ptd_switch *sw, unsigned int entries)
{
	unsigned int sets, shift = 64;

	if (ptd_mac_round(entries) != entries)
		return -EINVAL;
	sets = entries / PTD_MAC_WAYS;
	for (unsigned int s = sets; s > 1; s >>= 1)
		shift--;
	/* 64-byte aligned: a 32-byte set never straddles two cache lines. */
	sw->mac = aligned_alloc(64, (size_t)entries * PTD_MAC_ENTRY_BYTES);
	if (!sw->mac)
		return -ENOMEM;
	memset(sw->mac, 0, (size_t)entries * PTD_MAC_ENTRY_BYTES);
	sw->mac_sets = sets;
	sw->mac_shift = shift;
	sw->sweep_next = 0;
	return 0;
}

void ptd_mac_free(struct ptd_switch *sw)
{
	free(sw->mac);
	sw->mac = NULL;
	sw->mac_sets = 0;
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
	uint64_t *set = mac_set(sw, smac);
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
	const uint64_t *set = mac_set(sw, dmac);

	for (unsigned int w = 0; w < PTD_MAC_WAYS; w++) {
		uint64_t e = PTNET_READ_ONCE(set[w]);

		if (ENT_MAC(e) == dmac && fresh(e, tick, age_ticks))
			return (uint16_t)(ENT_PORT(e) - 1);
	}
	return PTD_DST_FLOOD;
}

/*
 * Forget the entries of port INDEX (or, with INDEX == PTD_MAX_PORTS, every
 * entry); returns how many of them were in force.  Control thread, switch
 * lock held shared: workers keep forwarding and learning meanwhile, so each
 * word is cleared with a compare-and-swap and a word a worker rewrote since
 * we read it is left alone (it is a fresh learn).  One pass, no exclusive
 * lock: at 2^20 entries it reads 8 MiB without holding up any worker.
 */
static unsigned int clear_where(struct ptd_switch *sw, unsigned int index, uint32_t now_s)
{
	unsigned int tick = (now_s >> TICK_SHIFT) & 0xff, age_ticks = sw->age_s >> TICK_SHIFT;
	unsigned int n = 0;

	for (unsigned int s = 0; s < sw->mac_sets; s++)
		for (unsigned int w = 0; w < PTD_MAC_WAYS; w++) {
			uint64_t e = PTNET_READ_ONCE(sw->mac[s][w]);

			if (!ENT_PORT(e) || (index < PTD_MAX_PORTS && ENT_PORT(e) != index + 1))
				continue;
			if (ptnet_cas(&sw->mac[s][w], &e, 0) && fresh(e, tick, age_ticks))
				n++;
		}
	sw->mac_st.clear_passes++;
	sw->mac_st.clear_sets += sw->mac_sets;
	return n;
}

/*
 * ptd_switch_remove_port calls this after its exclusive section: no worker
 * can learn for INDEX any more (the port is dead and out of the table), and
 * the control thread, which alone adds ports, reuses INDEX only after this
 * returns.  Until then a frame to one of its MACs finds no port and is
 * dropped (drop_no_dest), as it would be once the entry is gone and the
 * port with it.
 */
static void learning_port_gone(struct ptd_switch *sw, unsigned int index)
{
	clear_where(sw, index, ptd_now_s());
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

	for (unsigned int s = 0; s < sw->mac_sets; s++)
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

/* Lock held shared, as the purge (clear_where). */
static unsigned int learning_flush(struct ptd_switch *sw, uint32_t now_s)
{
	return clear_where(sw, PTD_MAX_PORTS, now_s);
}

const struct ptd_lookup_ops ptd_learning_ops = {
	.lookup = learning_lookup,
	.port_gone = learning_port_gone,
	.dump = learning_dump,
	.flush = learning_flush,
};

/*
 * Periodic (control thread, shared lock, every 10 s): drop expired entries,
 * at most PTD_MAC_SWEEP_SETS sets a call, going round the table: a table of
 * up to 2^18 entries is swept whole each call, a 2^20 one in 4 calls (40 s,
 * 2 MiB read a call).  That is soon enough: an entry is expired for 30 ticks
 * (120 s, with --mac-age at its most, 900 s) before its 8-bit time stamp
 * wraps and would make it look fresh, and every set is visited once in any
 * 40 s.  Workers keep forwarding meanwhile (shared lock, one CAS a word).
 */
void ptd_mac_sweep(struct ptd_switch *sw)
{
	unsigned int tick = now_tick(), age_ticks = sw->age_s >> TICK_SHIFT;
	unsigned int s = sw->sweep_next < sw->mac_sets ? sw->sweep_next : 0;
	unsigned int n = sw->mac_sets < PTD_MAC_SWEEP_SETS ? sw->mac_sets : PTD_MAC_SWEEP_SETS;

	for (unsigned int k = 0; k < n; k++, s = s + 1 < sw->mac_sets ? s + 1 : 0)
		for (unsigned int w = 0; w < PTD_MAC_WAYS; w++) {
			uint64_t e = PTNET_READ_ONCE(sw->mac[s][w]);

			if (ENT_PORT(e) && !fresh(e, tick, age_ticks))
				ptnet_cas(&sw->mac[s][w], &e, 0);
		}
	sw->sweep_next = s;
	sw->mac_st.sweeps++;
	sw->mac_st.sweep_sets += n;
	if (n > sw->mac_st.sweep_max_sets)
		sw->mac_st.sweep_max_sets = n;
}
