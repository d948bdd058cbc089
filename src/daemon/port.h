/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * port.h - ports and the port-kind interface.
 *
 *   struct ptd_port		one port region (memfd) and its rings as ptnetd sees them
 *   struct ptd_txq		a TX ring: ptnetd consumes it (a worker, or the kind itself)
 *   struct ptd_rxq		an RX ring: any worker fills it (lease protocol, fwd.c)
 *   struct ptd_port_ops	what a kind of port does (passthrough, tap, vm, ...)
 *
 * The core (port.c, switch.c, fwd.c, worker.c, ctl.c) never asks which kind
 * a port is: whatever differs lives behind ptd_port_ops, in the kind's own
 * file, with its state behind p->priv.  Adding a kind is one file with its
 * ops table plus its entry in kinds.c (docs/architecture.md, CONTRIBUTING.md).
 */
#ifndef PTNETD_PORT_H
#define PTNETD_PORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <ptnet/abi.h>
#include <ptnet/netmap.h>
#include "common/common.h"
#include "daemon/daemon.h"

/* Counters; updated with relaxed atomic adds once per batch. */
struct ptd_stats {
	uint64_t tx_packets, tx_bytes;	/* taken from the port's TX rings */
	uint64_t rx_packets, rx_bytes;	/* delivered into its RX rings */
	uint64_t rx_segs;		/* extra frames made by software segmentation */
	uint64_t rx_bypass;		/* of rx_packets, handed to the host side directly */
	uint64_t drop_bad_slot;		/* buf_idx or len out of range */
	uint64_t drop_bad_chain;	/* NS_MOREFRAG chain too long / unterminated */
	uint64_t drop_runt;		/* shorter than an Ethernet header */
	uint64_t drop_no_dest;		/* nowhere to go */
	uint64_t drop_ring_full;	/* (dest) RX ring full */
	uint64_t drop_bad_ring;		/* (dest) invalid head or RX slot */
	uint64_t drop_offload;		/* offload the switch cannot do (bad header) */
	uint64_t drop_io;		/* the host side refused a frame (tap write) */
	uint64_t drop_no_rxbuf;		/* (dest) a guest's RX virtqueue had no room */
	uint64_t vq_broken;		/* a guest's virtqueue found malformed (stopped) */
	uint64_t bad_tx_head;		/* invalid TX head seen (ring ignored) */
	uint64_t kicks;			/* wakeups by the client */
	uint64_t irqs;			/* notifications sent to the client */
};

/* Every counter, in record order.  A new counter: add it here and above. */
#define PTD_STATS_FIELDS(X)						\
	X(tx_packets) X(tx_bytes) X(rx_packets) X(rx_bytes) X(rx_segs)	\
	X(rx_bypass)							\
	X(drop_bad_slot) X(drop_bad_chain) X(drop_runt) X(drop_no_dest) \
	X(drop_ring_full) X(drop_bad_ring) X(drop_offload) X(drop_io) X(drop_no_rxbuf) \
	X(bad_tx_head) X(vq_broken) X(kicks) X(irqs)

static inline void ptd_stats_accum(struct ptd_stats *dst, const struct ptd_stats *src)
{
#define X(f) dst->f += src->f;
	PTD_STATS_FIELDS(X)
#undef X
}

struct ptd_port;
struct ptd_worker;

struct ptd_txq {
	struct ptd_port *port;
	unsigned int idx;
	struct netmap_slot *slot;	/* client-writable */
	struct nm_csb_atok *atok;	/* client-writable */
	struct nm_csb_ktoa *ktoa;
	uint32_t nslots;
	uint32_t hwcur;			/* next slot to consume (ptnetd's own) */
	uint32_t seen_head;		/* client head at the last pass */
	bool skip_chain;		/* dropping the rest of an overlong chain */
	int kick_rfd;			/* the client's kicks arrive here (kind's fd) */
	int irq_wfd;			/* "TX space" notifications go here (kind's fd) */
	struct ptd_worker *worker;
	bool active;			/* worker-private: in the polling set */
	bool local;			/* its client is pinned to its worker's CPU */
	unsigned int active_pos;
};

struct ptd_rxq {
	pthread_mutex_t lock;		/* guards everything below */
	struct netmap_slot *slot;	/* client-writable */
	struct nm_csb_atok *atok;	/* client-writable */
	struct nm_csb_ktoa *ktoa;
	uint32_t nslots;
	uint32_t hwcur;			/* last validated client head */
	uint32_t hwtail;		/* published to the client */
	uint32_t hwlease;		/* next slot to lease */
	uint32_t lease_idx;		/* next entry of leases[] */
	uint32_t *leases;		/* completion point of each lease, or NOSLOT */
	int irq_wfd;			/* "packets arrived" notifications (kind's fd) */
	/*
	 * The ring's writer (kinds with ptd_port_ops.xmit): whoever holds it
	 * may hand frames of this ring to the kind's host side.  The kind's
	 * thread holds it while it writes out what is queued in the ring; a
	 * forwarding thread only tries it (fwd.c, the bypass).  Never held
	 * across a wait on anything else.
	 */
	pthread_mutex_t writer;
};

struct ptd_port_ops;
struct ptd_filter;

#define PTD_MAX_MONITORS	8	/* per monitored port; the last one is root's */
#define PTD_MON_USER_INSNS	256	/* filter instructions of non-root monitors, per port */
#define PTD_MON_TX		1	/* copies of what the port sends */
#define PTD_MON_RX		2	/* copies of what the switch delivers to it */

/* A monitor of a port: where copies go, which ones, and which pass. */
struct ptd_mon {
	struct ptd_port *port;		/* the monitor's own port */
	unsigned int dir;		/* PTD_MON_* */
	const struct ptd_filter *filter;	/* NULL: every frame */
};

struct ptd_port {
	char name[PTC_FULLNAME_MAX + 1];	/* "vale0:a" */
	char pname[PTC_NAME_MAX + 1];		/* "a" */
	struct ptd_switch *sw;
	unsigned int index;		/* in sw->ports */
	const struct ptd_port_ops *ops;	/* its kind */
	void *priv;			/* the kind's state */
	bool dead;			/* set under sw->lock (exclusive) */
	bool running;			/* forwarding on (set under sw->lock) */
	uint8_t mac[6];

	/* region */
	int memfd;
	uint8_t *mem;
	size_t size;
	uint32_t *regs;
	uint8_t *bufs;			/* buffer 0 */
	uint32_t buf_size, buf_num;
	uint32_t vnet_hdr_len;
	uint32_t mtu;

	unsigned int ntx, nrx;
	/* Rooms for pipe pairs in this region (pipes=K, pipe_room.c), ptnetd's own copy. */
	uint32_t pipes, pipe_slots;
	uint64_t pipe_ofs, pipe_stride;
	/* A port living in PARENT's region (a pipe pair in its room): goes before it. */
	struct ptd_port *parent;
	struct ptd_txq txq[PTNET_MAX_RINGS];
	struct ptd_rxq rxq[PTNET_MAX_RINGS];

	/* Monitors of this port, and what this port monitors (under sw->lock). */
	struct ptd_mon mon[PTD_MAX_MONITORS];
	unsigned int nmon, mon_dirs;	/* mon_dirs: PTD_MON_* of any of them */
	struct ptd_port *mon_target;

	struct ptd_stats st;
	struct ptd_conn *conn;		/* owning control connection, if any */
	pid_t pid;			/* who attached it (0: ptnetd itself) */
	uid_t uid;
};

/* ptd_port_ops.flags */
#define PTD_KIND_SELF_FORWARD	0x1	/* the kind's own threads consume its TX rings */
#define PTD_KIND_STARTS_DOWN	0x2	/* no forwarding until the kind says so */
#define PTD_KIND_PIPE_NAMES	0x4	/* names are pipe ends "valeX:NAME{N" (ptc_parse_pipename) */

struct ptd_request;

/*
 * A kind of port.  The control thread calls every hook.  Life of a port
 * (port.c): region made -> create -> on the switch, TX rings to workers ->
 * start -> ... -> off the switch, TX rings back from the workers -> stop
 * -> free -> region unmapped.  A failed create or start unwinds through the
 * same steps (stop and free see whatever create set up).
 */
struct ptd_port_ops {
	const char *name;		/* kind= in list records */
	uint32_t region_kind;		/* PTNET_KIND_* in the region header */
	unsigned int flags;		/* PTD_KIND_* */
	/*
	 * Set up the kind's state (p->priv) from CONF (the kind's own
	 * configuration, as its request parsed it) and the notification fds
	 * of every ring: txq[].kick_rfd, txq[].irq_wfd, rxq[].irq_wfd.
	 * ptnetd writes 8-byte values to irq_wfd (pipes and eventfds both take
	 * them) and drains kick_rfd with one bounded read.
	 */
	int (*create)(struct ptd *d, struct ptd_port *p, const void *conf, struct ptd_err *e);
	/*
	 * Optional, called before create: give P its memory from CONF instead
	 * of a region of its own (region.c).  A kind that sets p->parent lives
	 * in that port's region: port.c then never unmaps or marks it, and
	 * destroys P before its parent.  NULL: ptd_region_create.
	 */
	int (*region)(struct ptd *d, struct ptd_port *p, const struct ptnet_port_opts *o,
		      const void *conf, struct ptd_err *e);
	/* The port is on its switch: serve it (threads, sockets, events). */
	int (*start)(struct ptd *d, struct ptd_port *p, struct ptd_err *e);
	/* Stop serving: after it, nothing of the kind touches the region. */
	void (*stop)(struct ptd *d, struct ptd_port *p);
	/* Release p->priv and the notification fds. */
	void (*free)(struct ptd *d, struct ptd_port *p);
	/* Append " key=value" fields for list and stats records; bytes written. */
	int (*describe)(const struct ptd_port *p, char *buf, size_t len);
	/*
	 * Optional: the bypass.  Hand one frame for RX ring RING straight to
	 * the host side (IOV: the port's vnet_hdr_len-byte header, then the
	 * frame), from the source's buffers, instead of a copy into the ring
	 * and a wakeup of the kind's thread.  fwd.c calls it only while it
	 * holds rxq[RING].writer and the ring has nothing queued
	 * (docs/architecture.md, "The bypass").  Called with the switch
	 * lock held shared: it must not block.  0: taken (or dropped by the
	 * host, as a full device queue would); -EAGAIN: it would block, the
	 * frame and the rest go through the ring; other -errno: counted as
	 * drop_io.
	 */
	int (*xmit)(struct ptd_port *p, unsigned int ring, const struct iovec *iov, int niov);
	/* Control requests of the kind (adding and removing its ports), NULL-ended. */
	const struct ptd_request *requests;
};

/* kinds.c: every kind ptnetd knows, NULL-terminated. */
extern const struct ptd_port_ops *const ptd_kinds[];

/* port.c */
/*
 * Make port NAME (valeX:Y) of kind OPS with region options O for CR: every
 * limit and access check, the region, OPS->create(CONF), the switch, the
 * workers, OPS->start.  0 and *PP, or -errno with E set.
 */
int ptd_port_create(struct ptd *d, const char *name, const struct ptnet_port_opts *o,
		    const struct ptd_port_ops *ops, const void *conf, const struct ptd_cred *cr,
		    struct ptd_port **pp, struct ptd_err *e);
void ptd_port_destroy(struct ptd *d, struct ptd_port *p);
struct ptd_port *ptd_port_find(struct ptd *d, const char *full);
void ptd_port_stats(const struct ptd_port *p, struct ptd_stats *out);
/* Turn forwarding on or off for P (under its switch's lock). */
void ptd_port_set_running(struct ptd_port *p, bool on);
/* Pipes for every ring: the client's ends go to KICK_W[] / IRQ_R[]. */
int ptd_port_make_pipes(struct ptd_port *p, int *kick_w, int *irq_r, struct ptd_err *e);
void ptd_port_close_fds(struct ptd_port *p);
/* Wake a peer: 8 bytes into a pipe or an eventfd (EAGAIN: a wakeup is pending). */
void ptd_notify(int fd);
/* Consume every wakeup pending on FD (nonblocking pipe or eventfd). */
void ptd_notify_drain(int fd);
/*
 * Make MON (a port of the same switch that never forwards) a monitor of
 * TARGET: copies of what TARGET sends or is delivered (DIR) that pass
 * FILTER go to MON's RX rings, dropped there when full.  TARGET's removal
 * removes its monitors.  0 or -errno with E set.
 */
int ptd_port_monitor(struct ptd_port *target, struct ptd_port *mon, unsigned int dir,
		     const struct ptd_filter *filter, struct ptd_err *e);
void ptd_port_unmonitor(struct ptd_port *mon);

/* region.c */
int ptd_region_create(struct ptd_port *p, const struct ptnet_port_opts *o, struct ptd_err *e);
void ptd_region_destroy(struct ptd_port *p);
uint64_t ptd_region_size(const struct ptnet_port_opts *o);

/* pipe_room.c: a room for a pipe pair in a port's region (abi.h, PTNET_PIPE_ROOM_*). */
uint64_t ptd_pipe_room_size(uint32_t nslots);
uint64_t ptd_pipe_room_ring(uint32_t nslots, unsigned int i);
/* Write the room at ROOM_OFS; NEXT_BUF: give its slots buffers from there, NULL: keep them. */
void ptd_pipe_room_write(uint8_t *mem, uint64_t room_ofs, const char *pname, unsigned int id,
			 uint32_t nslots, uint32_t buf_size, uint64_t buf_ofs, uint32_t *next_buf);
static inline uint32_t *ptd_reg(struct ptd_port *p, unsigned int off)
{
	return &p->regs[off / 4];
}

#endif
