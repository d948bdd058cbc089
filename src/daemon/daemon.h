/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daemon.h - ptnetd as a whole: its configuration, its limits and the
 * struct that holds switches, workers and the control thread's state.
 * Each module has its own header for its own objects:
 *
 *   port.h	ports, their rings and counters, the port-kind interface
 *   switch.h	learning switches and the lookup interface
 *   fwd.h	forwarding and the ring primitives kinds call
 *   worker.h	forwarding workers
 *   ctl.h	control connections and the request table
 *   ev.h	event sources of the control thread
 *   err.h	the error style (-errno plus a message)
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

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "daemon/err.h"
#include "daemon/ev.h"

#define PTD_MAX_SWITCHES	1024	/* hard caps; the limits in force are in ptd_config */
#define PTD_ROOT_SWITCHES	4	/* of --max-switches, kept for root */
#define PTD_MAX_WORKERS		64
#define PTD_MAX_CONNS		1024
#define PTD_ROOT_CONNS		32	/* of them kept for root */
#define PTD_MAX_TOTAL_PORTS	4096	/* all switches together */

struct ptd_switch;
struct ptd_worker;
struct ptd_deferred;
struct ptd_metrics;

/* Who asks: the peer of a control connection. */
struct ptd_cred {
	uid_t uid;
	gid_t gid;
	pid_t pid;			/* the port's client (passthrough attach), else 0 */
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
	unsigned int pin_workers;	/* --pin-workers: 1 = worker i on the i-th CPU ptnetd may use */
	uint32_t poll_min_us, poll_max_us;
	unsigned int mac_age_s;
	unsigned int mac_table;		/* --mac-table: entries of a switch made without mac-table= */
	int sock_mode;			/* -1 = default 0660 */
	const char *metrics_addr;	/* --metrics ADDR, NULL: none (metrics.h) */
};

/* ptnetd's defaults (main.c's options start from these; so do the tests). */
void ptd_config_defaults(struct ptd_config *cfg);

struct ptd {
	struct ptd_config cfg;
	struct ptd_switch *sw[PTD_MAX_SWITCHES];
	unsigned int nsw;
	struct ptd_worker *workers;
	unsigned int nworkers;
	int listen_fd;
	int epfd;
	struct ptd_ev ev_listen, ev_signal, ev_timer;
	unsigned int nconns;
	struct ptd_deferred *deferred;	/* freed after the current event batch */
	unsigned int nports;		/* all switches */
	uint64_t mem;			/* all port regions */
	uint64_t mac_mem;		/* MAC tables beyond their least size (switch.c), against --max-mem */
	bool stopping;
	bool accept_paused;		/* out of descriptors: not listening for now */
	uint64_t ctl_unread_drops;	/* control clients dropped for not reading (ctl.c) */
	/* The service (conffile.c, ptd_ctl_listen): */
	struct ptd_conffile *conf;	/* ptnetd -c FILE, else NULL */
	bool sock_activated;		/* the socket came from systemd: its file is not ours */
	struct ptd_metrics *metrics;	/* --metrics server, if any */
};

#endif
