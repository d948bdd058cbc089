/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * switch.h - learning switches: a table of ports each, a MAC table, and the
 * lookup as an ops table so other policies can be plugged in (learn.c).
 */
#ifndef PTNETD_SWITCH_H
#define PTNETD_SWITCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "daemon/port.h"

#define PTD_MAX_PORTS		254	/* per switch, as VALE */

/* Lookup result: a port index, or one of these. */
#define PTD_DST_FLOOD	0xfffeu
#define PTD_DST_NONE	0xffffu

struct ptd_switch;

/* One MAC table entry, as ptd_lookup_ops.dump reports it. */
struct ptd_fdb_entry {
	uint8_t mac[6];
	uint16_t port;			/* index in sw->ports */
	uint32_t age_s;			/* seconds since last seen (the table's resolution) */
};
typedef void (*ptd_fdb_fn)(const struct ptd_fdb_entry *ent, void *arg);

struct ptd_lookup_ops {
	/*
	 * Returns the destination port index (or PTD_DST_*) of a frame from SRC;
	 * NOW_S is ptd_now_s(), read once per batch by the caller.  Within one
	 * batch the caller reuses the answer for a frame whose 12 bytes equal
	 * the previous frame's (no second call): a policy must answer such
	 * frames alike, and what it learns from a frame must not depend on
	 * seeing it twice.
	 */
	uint16_t (*lookup)(struct ptd_switch *sw, struct ptd_port *src, const uint8_t eth[12],
			   uint32_t now_s);
	/*
	 * Forget what was learned for port INDEX.  Control thread, lock held
	 * shared, after the port left the table under the exclusive lock.
	 */
	void (*port_gone)(struct ptd_switch *sw, unsigned int index);
	/*
	 * The entries in force (not aged out), each passed to FN; returns how
	 * many.  Control thread, switch lock held shared: workers keep
	 * learning meanwhile, and each entry is read once, whole.
	 */
	unsigned int (*dump)(struct ptd_switch *sw, uint32_t now_s, ptd_fdb_fn fn, void *arg);
	/* Forget every entry; returns how many were in force.  Lock held shared. */
	unsigned int (*flush)(struct ptd_switch *sw, uint32_t now_s);
};

#define PTD_MAC_WAYS	4
#define PTD_MAC_ENTRY_BYTES	8		/* one packed word, see learn.c */
#define PTD_MAC_MIN	1024u			/* entries: 256 sets */
#define PTD_MAC_MAX	(1u << 20)		/* entries: 8 MiB */
#define PTD_MAC_SWEEP_SETS	65536u		/* sets one ptd_mac_sweep call visits at most */

/* What the table's walks did (control thread only; tests and metrics read them). */
struct ptd_mac_stats {
	uint64_t sweeps, sweep_sets, sweep_max_sets;	/* ptd_mac_sweep calls, sets visited */
	uint64_t clear_passes, clear_sets;		/* port purges and flushes */
};

struct ptd_switch {
	char name[PTC_NAME_MAX + 1];
	pthread_rwlock_t lock;
	struct ptd_port *ports[PTD_MAX_PORTS];
	unsigned int nports;
	uint16_t active[PTD_MAX_PORTS];	/* indices of live ports, nports of them */
	const struct ptd_lookup_ops *ops;
	uint64_t (*mac)[PTD_MAC_WAYS];	/* mac_sets sets of packed entries, see learn.c */
	unsigned int mac_sets, mac_shift;	/* set = (hash >> mac_shift) */
	unsigned int sweep_next;		/* where the next age sweep starts */
	struct ptd_mac_stats mac_st;
	unsigned int age_s;
	struct ptd_stats gone;		/* counters of ports that left */
	/*
	 * Made by switch-add (root): stays until switch-del.  Otherwise made on
	 * first use by an attach, and gone with its last port.
	 */
	bool persistent;
	uid_t creator;
	/* Access control: when acl is set, only root and these may attach. */
	bool acl;
	unsigned int nuid, ngid;
	uid_t allow_uid[8];
	gid_t allow_gid[8];
};

/* switch.c */
struct ptd_switch *ptd_switch_find(struct ptd *d, const char *name);
/*
 * Make switch NAME for CR (limits checked, root's reserve kept) with a MAC
 * table of MAC_ENTRIES (0: the daemon's --mac-table; else a power of two
 * PTD_MAC_MIN..PTD_MAC_MAX, see ptd_mac_round).  0 or -errno, E set.
 */
int ptd_switch_create(struct ptd *d, const char *name, const struct ptd_cred *cr,
		      bool persistent, unsigned int mac_entries, struct ptd_switch **out,
		      struct ptd_err *e);
int ptd_switch_del(struct ptd *d, const char *name, struct ptd_err *e);
/* --mac-table rounded (the size of a switch made without mac-table=). */
unsigned int ptd_switch_mac_default(const struct ptd *d);
/* Control thread: an empty MAC table of ENTRIES for SW (a reload's mac-table change). */
int ptd_switch_mac_resize(struct ptd *d, struct ptd_switch *sw, unsigned int entries,
			  struct ptd_err *e);
int ptd_switch_add_port(struct ptd_switch *sw, struct ptd_port *p);
void ptd_switch_remove_port(struct ptd_switch *sw, struct ptd_port *p);
bool ptd_switch_admits(const struct ptd_switch *sw, const struct ptd_cred *cr);
void ptd_switch_free(struct ptd_switch *sw);

/* learn.c */
extern const struct ptd_lookup_ops ptd_learning_ops;
void ptd_mac_sweep(struct ptd_switch *sw);
/* WANT entries rounded up to a power of two >= PTD_MAC_MIN; 0 if WANT is 0 or > PTD_MAC_MAX. */
unsigned int ptd_mac_round(uint64_t want);
/* An empty table of ENTRIES (ptd_mac_round(ENTRIES) == ENTRIES): 0, -EINVAL or -ENOMEM. */
int ptd_mac_alloc(struct ptd_switch *sw, unsigned int entries);
void ptd_mac_free(struct ptd_switch *sw);
uint32_t ptd_now_s(void);

#endif
