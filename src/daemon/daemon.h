/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daemon.h - ptnetd's objects.
 *
 *   struct ptd		the daemon: switches, workers, control socket
 *   struct ptd_switch	a learning bridge; its rwlock guards the port table
 *   struct ptd_port	one port region (memfd) + its rings as seen by ptnetd
 *   struct ptd_txq	a client TX ring, served by one forwarding worker
 *   struct ptd_rxq	a client RX ring, filled by any worker (lease protocol)
 *   struct ptd_worker	a forwarding thread (epoll on kick fds, adaptive polling)
 *
 * Locking: the control thread is the only one that creates or destroys
 * switches and ports.  Workers read a switch's port table under its rwlock
 * (shared); the control thread changes it under the lock held exclusively.
 * A port's TX rings are unlinked from their worker synchronously before the
 * port is freed.  Every value a client writes in its region is read once
 * (PTNET_READ_ONCE / the CSB helpers) and validated before use.
 */
#ifndef PTNETD_DAEMON_H
#define PTNETD_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ptnet/abi.h>
#include <ptnet/netmap.h>
#include "common/common.h"

#define PTD_MAX_PORTS		254	/* per switch, as VALE */
#define PTD_MAX_SWITCHES	1024	/* hard caps; the limits in force are in ptd_config */
#define PTD_MAX_WORKERS		64
#define PTD_BATCH		512	/* slots taken from a TX ring per pass */
#define PTD_MAX_CONNS		1024
#define PTD_ROOT_CONNS		32	/* of them kept for root */
#define PTD_MAX_TOTAL_PORTS	4096	/* all switches together */

/* Counters; updated with relaxed atomic adds once per batch. */
struct ptd_stats {
	uint64_t tx_packets, tx_bytes;	/* taken from the port's TX rings */
	uint64_t rx_packets, rx_bytes;	/* delivered into its RX rings */
	uint64_t rx_segs;		/* extra frames made by software segmentation */
	uint64_t drop_bad_slot;		/* buf_idx or len out of range */
	uint64_t drop_bad_chain;	/* NS_MOREFRAG chain too long / unterminated */
	uint64_t drop_runt;		/* shorter than an Ethernet header */
	uint64_t drop_no_dest;		/* nowhere to go */
	uint64_t drop_ring_full;	/* (dest) RX ring full */
	uint64_t drop_bad_ring;		/* (dest) invalid head or RX slot */
	uint64_t drop_offload;		/* offload the switch cannot do (bad header) */
	uint64_t drop_io;		/* the host side refused a frame (tap write) */
	uint64_t bad_tx_head;		/* invalid TX head seen (ring ignored) */
	uint64_t kicks;			/* wakeups by the client */
	uint64_t irqs;			/* notifications sent to the client */
};

#define PTD_STATS_FIELDS(X)						\
	X(tx_packets) X(tx_bytes) X(rx_packets) X(rx_bytes) X(rx_segs)	\
	X(drop_bad_slot) X(drop_bad_chain) X(drop_runt) X(drop_no_dest) \
	X(drop_ring_full) X(drop_bad_ring) X(drop_offload) X(drop_io) X(bad_tx_head) \
	X(kicks) X(irqs)

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
	int kick_rfd;			/* read end: the client writes kicks */
	int irq_wfd;			/* write end: "TX space" notifications */
	struct ptd_worker *worker;
	bool active;			/* worker-private: in the polling set */
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
	int irq_wfd;
};

struct ptd_port {
	char name[PTC_FULLNAME_MAX + 1];	/* "vale0:a" */
	char pname[PTC_NAME_MAX + 1];		/* "a" */
	struct ptd_switch *sw;
	unsigned int index;		/* in sw->ports */
	int kind;			/* PTNET_KIND_* */
	bool dead;			/* set under sw->lock (exclusive) */
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
	struct ptd_txq txq[PTNET_MAX_RINGS];
	struct ptd_rxq rxq[PTNET_MAX_RINGS];
	int kick_wfd[PTNET_MAX_RINGS * 2];	/* client ends, closed after hand-off */
	int irq_rfd[PTNET_MAX_RINGS * 2];

	struct ptd_stats st;
	struct ptd_conn *conn;		/* owning control connection */
	struct ptd_tap *tap;		/* PTNET_KIND_TAP: the interface and its threads */
	struct ptd_vm *vm;		/* PTNET_KIND_VM: the ivshmem server side */
	bool running;			/* forwarding on (VM ports: between CREATE and DELETE) */
	bool efd;			/* notifications are eventfds (VM ports), not pipes */
	uid_t uid;
};

/* A TAP port's host side: one thread per queue plays the client. */
struct ptd_tapq {
	struct ptd_port *port;
	unsigned int idx;
	int fd;				/* TAP queue, non-blocking */
	int stop_efd;
	pthread_t thread;
	bool started;
};

struct ptd_tap {
	char ifname[16];
	char netns[64];
	unsigned int ifindex;
	unsigned int nq;
	struct ptd_tapq q[PTNET_MAX_RINGS];
};

/* Lookup result: a port index, or one of these. */
#define PTD_DST_FLOOD	0xfffeu
#define PTD_DST_NONE	0xffffu

struct ptd_switch;
struct ptd_lookup_ops {
	/*
	 * Returns the destination port index (or PTD_DST_*) of a frame from SRC;
	 * NOW_S is ptd_now_s(), read once per batch by the caller.
	 */
	uint16_t (*lookup)(struct ptd_switch *sw, struct ptd_port *src, const uint8_t eth[12],
			   uint32_t now_s);
	void (*port_gone)(struct ptd_switch *sw, unsigned int index);
};

#define PTD_MAC_SETS	256
#define PTD_MAC_WAYS	4

struct ptd_switch {
	char name[PTC_NAME_MAX + 1];
	pthread_rwlock_t lock;
	struct ptd_port *ports[PTD_MAX_PORTS];
	unsigned int nports;
	uint16_t active[PTD_MAX_PORTS];	/* indices of live ports, nports of them */
	const struct ptd_lookup_ops *ops;
	uint64_t mac[PTD_MAC_SETS][PTD_MAC_WAYS];	/* packed entries, see learn.c */
	unsigned int age_s;
	struct ptd_stats gone;		/* counters of ports that left */
	/* Access control: when acl is set, only root and these may attach. */
	bool acl;
	unsigned int nuid, ngid;
	uid_t allow_uid[8];
	gid_t allow_gid[8];
};

/* Worker command (from the control thread, synchronous). */
struct ptd_wcmd {
	int op;				/* PTD_WCMD_* */
	struct ptd_txq *txq;
	struct ptd_wcmd *next;
	bool done;
};
#define PTD_WCMD_ADD	1
#define PTD_WCMD_DEL	2
#define PTD_WCMD_STOP	3

struct ptd_worker {
	unsigned int id;
	pthread_t thread;
	int epfd;
	int cmd_efd;
	pthread_mutex_t cmd_lock;
	pthread_cond_t cmd_cond;
	struct ptd_wcmd *cmds;
	unsigned int ntxq;		/* rings assigned (for balancing) */
	struct ptd_txq *act[PTD_MAX_TOTAL_PORTS * PTNET_MAX_RINGS];
	unsigned int nact;
	/* adaptive polling window */
	uint32_t poll_us, poll_min_us, poll_max_us;
	uint64_t busy_ns, loops;	/* diagnostics */
};

/* Event sources of the control thread's epoll start with one of these. */
#define PTD_EV_CONN		100
#define PTD_EV_VM_LISTEN	101
#define PTD_EV_VM_QEMU		102
#define PTD_EV_VM_CMD		103

struct ptd_evsrc {
	uint32_t type;
	struct ptd_vm *vm;
};

#define PTD_MAX_VECTORS		(1 + 2 * PTNET_MAX_RINGS)

/* A VM port's ivshmem side (vm.c). */
struct ptd_vm {
	struct ptd_evsrc ev_listen, ev_qemu, ev_cmd;
	struct ptd_port *port;
	char path[108];
	int listen_fd;
	int qemu_fd;
	unsigned int nvec;
	int db[PTD_MAX_VECTORS];	/* doorbells: the guest rings, ptnetd reads */
	int irq[PTD_MAX_VECTORS];	/* MSI-X: ptnetd writes, QEMU interrupts the guest */
	bool gone;			/* port destroyed; freed after the event batch */
	struct ptd_vm *next_gone;
};

struct ptd_conn {
	uint32_t type;			/* PTD_EV_CONN */
	int fd;
	bool hello;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	struct ptd_port *port;		/* attached port (lifeline), if any */
	bool closed;			/* freed after the current event batch */
	struct ptd_conn *next_dead;
};

struct ptd_config {
	const char *sock_path;
	const char *sock_owner, *sock_group;
	unsigned int max_switches;	/* --max-switches */
	unsigned int max_ports_per_switch; /* --max-ports-per-switch */
	unsigned int max_ports;		/* --max-ports (all switches) */
	uint64_t max_port_mem;		/* --max-port-mem, bytes */
	uint64_t max_mem;		/* --max-mem, bytes, all ports */
	unsigned int uid_max_ports;	/* --uid-max-ports, 0 = unlimited (root exempt) */
	uint64_t uid_max_mem;		/* --uid-max-mem, 0 = unlimited (root exempt) */
	unsigned int nworkers;
	uint32_t poll_min_us, poll_max_us;
	unsigned int mac_age_s;
	int sock_mode;			/* -1 = default 0660 */
};

struct ptd {
	struct ptd_config cfg;
	struct ptd_switch *sw[PTD_MAX_SWITCHES];
	unsigned int nsw;
	struct ptd_worker *workers;
	unsigned int nworkers;
	int listen_fd;
	int epfd;
	int sig_fd;
	int timer_fd;
	unsigned int nconns;
	struct ptd_conn *dead;		/* closed connections to free */
	struct ptd_vm *vm_gone;		/* VM sides of destroyed ports to free */
	unsigned int nports;		/* all switches */
	uint64_t mem;			/* all port regions */
	bool stopping;
	bool accept_paused;		/* out of descriptors: not listening for now */
};

/* region.c */
int ptd_region_create(struct ptd_port *p, const struct ptnet_port_opts *o, char *err,
		      size_t errlen);
void ptd_region_destroy(struct ptd_port *p);
uint64_t ptd_region_size(const struct ptnet_port_opts *o);

/* port.c */
struct ptd_cred {
	uid_t uid;
	gid_t gid;
};
int ptd_port_create(struct ptd *d, const char *spec_name, const struct ptnet_port_opts *o,
		    int kind, const struct ptd_cred *cr, struct ptd_port **pp, char *err,
		    size_t errlen);
void ptd_port_destroy(struct ptd *d, struct ptd_port *p);
struct ptd_port *ptd_port_find(struct ptd *d, const char *full);
void ptd_port_stats(const struct ptd_port *p, struct ptd_stats *out);

/* tap.c */
struct ptd_tap_conf {
	const char *ifname;		/* NULL: the port's name */
	const char *netns;		/* NULL: ptnetd's namespace */
	unsigned int queues, mtu;
	const uint8_t *mac;		/* NULL: random */
};
int ptd_tap_create(struct ptd *d, const char *name, const struct ptd_tap_conf *tc,
		   const struct ptd_cred *cr, struct ptd_port **pp, char *err, size_t errlen);
void ptd_tap_stop(struct ptd_port *p);

/* vm.c */
struct ptd;
int ptd_vm_create(struct ptd *d, const char *name, const char *path,
		  const struct ptnet_port_opts *o, const struct ptd_cred *cr,
		  struct ptd_port **pp, char *err, size_t errlen);
int ptd_vm_make_fds(struct ptd_port *p, char *err, size_t errlen);
void ptd_vm_event(struct ptd *d, struct ptd_evsrc *src, uint32_t events);
void ptd_vm_stop(struct ptd *d, struct ptd_port *p);
void ptd_vm_reap(struct ptd *d);

/* switch.c */
struct ptd_switch *ptd_switch_get(struct ptd *d, const char *name, bool create, int *err);
int ptd_switch_del(struct ptd *d, const char *name);
int ptd_switch_add_port(struct ptd_switch *sw, struct ptd_port *p);
void ptd_switch_remove_port(struct ptd_switch *sw, struct ptd_port *p);
void ptd_switch_free(struct ptd_switch *sw);

/* learn.c */
extern const struct ptd_lookup_ops ptd_learning_ops;
void ptd_mac_sweep(struct ptd_switch *sw);
uint32_t ptd_now_s(void);

/* fwd.c */
unsigned int ptd_txq_forward(struct ptd_txq *q);
void ptd_rxq_init(struct ptd_rxq *q);
void ptd_rxq_fini(struct ptd_rxq *q);

/* worker.c */
int ptd_workers_start(struct ptd *d);
void ptd_workers_stop(struct ptd *d);
void ptd_worker_add(struct ptd *d, struct ptd_txq *q);
void ptd_worker_del(struct ptd_txq *q);

/* ctl.c */
int ptd_ctl_listen(struct ptd *d);
void ptd_ctl_accept(struct ptd *d);
void ptd_ctl_event(struct ptd *d, struct ptd_conn *c, uint32_t events);
void ptd_ctl_close(struct ptd *d, struct ptd_conn *c);
void ptd_ctl_reap(struct ptd *d);
void ptd_ctl_resume(struct ptd *d);

/* Stats helpers */
static inline void ptd_stats_accum(struct ptd_stats *dst, const struct ptd_stats *src)
{
#define X(f) dst->f += src->f;
	PTD_STATS_FIELDS(X)
#undef X
}

#endif
