/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ptnet.h - libptnet, the client library of ptnetd.
 *
 * A client opens a switch port by name ("vale0:a"), gets the port region
 * mapped (netmap rings, slots and buffers, see netmap.h) and moves packets
 * with netmap-style loops:
 *
 *	struct ptnet_port *p;
 *	if (ptnet_port_open("vale0:a", NULL, &p) < 0) ...
 *	struct netmap_ring *tx = ptnet_port_txring(p, 0);
 *	while (nm_ring_space(tx)) { fill slot tx->head; tx->head = tx->cur = next; }
 *	ptnet_txsync(p, 0);
 *
 * Conventions: functions return 0 (or a count) on success and -errno on
 * failure; the library never prints (see ptnet_set_log_fn) and keeps a
 * human-readable reason for the last failure of the calling thread
 * (ptnet_errmsg).  A port may be used by several threads as long as each
 * ring is synced by one thread at a time and each waits with ptnet_ring_wait.
 */
#ifndef PTNET_PTNET_H
#define PTNET_PTNET_H

#include <stdint.h>
#include <stddef.h>
#include "netmap.h"
#include "ring.h"
#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PTNET_DEFAULT_SOCKET	"/run/ptnet/ptnetd.sock"
#define PTNET_SOCKET_ENV	"PTNET_SOCKET"
#define PTNET_ALL_RINGS		0xffffu

struct ptnet_port;

/* Requested configuration; zero fields mean "default". */
struct ptnet_port_opts {
	uint16_t tx_rings;	/* 1..16, default 1 */
	uint16_t rx_rings;	/* 1..16, default tx_rings */
	uint32_t tx_slots;	/* 64..4096, power of two, default 1024 */
	uint32_t rx_slots;	/* default tx_slots */
	uint32_t buf_size;	/* 256..65536, multiple of 64, default 2048 */
	uint32_t vnet_hdr_len;	/* 0 or 12 */
	uint32_t mtu;		/* largest IP packet ptnetd segments GSO frames to (default 1500) */
	uint8_t mac[6];		/* used when mac_set */
	uint8_t mac_set;
	uint32_t spin_us;	/* ptnet_port_wait polls this long before sleeping (default 50) */
	uint32_t extra_bufs;	/* 0..65536 buffers no ring owns (default 0), see buf_num */
	uint32_t pipes;		/* 0..64 pipe pairs "NAME{k" sharing this port's memory */
};

/* What a port actually got (filled from the region's register block). */
struct ptnet_port_info {
	char name[64];
	uint16_t tx_rings, rx_rings;
	uint32_t tx_slots, rx_slots;
	uint32_t buf_size;
	uint32_t buf_num;
	uint32_t vnet_hdr_len;
	uint32_t mtu;
	uint8_t mac[6];
	uint64_t region_size;
	uint32_t extra_bufs;	/* buffers [buf_num - extra_bufs, buf_num) are in no ring */
	uint32_t pipes;		/* pipe pairs that may share this port's memory */
};

/* Socket path used by every call: $PTNET_SOCKET, else PTNET_DEFAULT_SOCKET. */
const char *ptnet_socket_path(void);

/*
 * Open port NAME ("valeX:Y", optionally followed by
 * "@conf:rings=N,tx-rings=N,rx-rings=N,slots=N,tx-slots=N,rx-slots=N,
 * buf-size=N,mac=XX:XX:XX:XX:XX:XX,vnet-hdr=0|12,mtu=N"; @conf values override
 * OPTS, which may be NULL).  The port exists while it is open.
 * Returns 0 and *portp, or -ENOENT/-ECONNREFUSED (ptnetd not running),
 * -EINVAL (bad name or option), -EBUSY (name in use), -EPROTO (version
 * mismatch), -ENOSPC/-ENOMEM (a limit), or another -errno.
 */
int ptnet_port_open(const char *name, const struct ptnet_port_opts *opts,
		    struct ptnet_port **portp);

/*
 * Attach NAME (a port of TARGET's switch) as a monitor of port TARGET: its
 * RX rings get copies of the frames TARGET sends (PTNET_MONITOR_TX) and/or
 * is delivered (PTNET_MONITOR_RX), dropped when its rings are full (TARGET
 * never waits).  BPF_INSNS, if NINSNS > 0, is a program in libpcap's
 * struct bpf_insn layout (pcap_compile) that ptnetd runs on each frame
 * before copying it.  Only root and TARGET's owner may monitor it; the
 * monitor is detached when TARGET goes away.  0 or -errno.
 */
#define PTNET_MONITOR_TX	1
#define PTNET_MONITOR_RX	2
int ptnet_monitor_open(const char *name, const char *target, unsigned int dirs,
		       const void *bpf_insns, unsigned int ninsns,
		       const struct ptnet_port_opts *opts, struct ptnet_port **portp);

/* Detach and unmap.  Safe on NULL. */
void ptnet_port_close(struct ptnet_port *port);

const struct ptnet_port_info *ptnet_port_info(const struct ptnet_port *port);
struct netmap_if *ptnet_port_nifp(const struct ptnet_port *port);
/*
 * libptnet's mapping of the port's region and its size (a pipe end sharing
 * a port's memory: that port's whole region, its rooms and pool included).
 */
void *ptnet_port_region(const struct ptnet_port *port, size_t *size);
struct netmap_ring *ptnet_port_txring(const struct ptnet_port *port, unsigned int i);
struct netmap_ring *ptnet_port_rxring(const struct ptnet_port *port, unsigned int i);

/*
 * Publish the application's head/cur of TX ring RING (or all rings with
 * PTNET_ALL_RINGS) to ptnetd, kick it if it asked for kicks, and refresh
 * ring->tail with the slots ptnetd has released.  Never blocks.
 * Returns 0, or -EINVAL for a bad ring index, -EPIPE if the port was detached.
 */
int ptnet_txsync(struct ptnet_port *port, unsigned int ring);

/* Same for RX: release [old head, head) and refresh ring->tail. */
int ptnet_rxsync(struct ptnet_port *port, unsigned int ring);

#define PTNET_WAIT_TX	1	/* wake when some TX ring has space */
#define PTNET_WAIT_RX	2	/* wake when some RX ring has packets */

/*
 * Wait until a ring of the kinds in WHAT is ready or TIMEOUT_MS passes
 * (-1: forever, 0: just check).  Polls for the port's spin window first,
 * then enables notifications with the double check and sleeps.  Syncs the
 * rings it looks at.  Returns 1 when ready, 0 on timeout, -EPIPE if the port
 * was detached, -EINTR if interrupted by a signal, or another -errno.
 */
int ptnet_port_wait(struct ptnet_port *port, unsigned int what, int timeout_ms);

/*
 * Like ptnet_port_wait, for one ring pair: looks only at TX ring RING
 * and/or RX ring RING (per WHAT) and sleeps on their notifications alone.
 * Use it when several threads share a port, one ring pair each
 * (ptnet_port_wait and the port fd are for a single waiting thread).
 */
int ptnet_ring_wait(struct ptnet_port *port, unsigned int what, unsigned int ring,
		    int timeout_ms);

/*
 * For event loops: a file descriptor that becomes readable when ptnetd
 * signals the port.  Call ptnet_port_arm() before sleeping on it: it
 * returns 1 if something is already ready (do not sleep), 0 when armed.
 * After waking call ptnet_port_disarm(), then sync the rings.
 */
int ptnet_port_fd(const struct ptnet_port *port);
int ptnet_port_arm(struct ptnet_port *port, unsigned int what);
void ptnet_port_disarm(struct ptnet_port *port);

/*
 * For callers that wait on rings themselves (the netmap preload library):
 * the fd that becomes readable when ptnetd signals TX ring RING
 * (WHAT = PTNET_WAIT_TX) or RX ring RING (PTNET_WAIT_RX), or, with WHAT = 0,
 * the control connection, which hangs up when ptnetd goes away.  Read the
 * ring fds non-blocking to empty them.  The fds stay the port's: do not
 * close them.  Returns the fd or -EINVAL.
 */
int ptnet_ring_fd(const struct ptnet_port *port, unsigned int what, unsigned int ring);

/*
 * For callers that sleep on ptnet_ring_fd themselves: ask for a
 * notification of TX ring RING (WHAT = PTNET_WAIT_TX) or RX ring RING
 * (PTNET_WAIT_RX), with the full barrier and re-check.  Sync the ring
 * first.  Returns 1 if it may be ready already (not armed: sync again),
 * 0 when armed, -EINVAL for a bad ring.  ptnet_ring_disarm after waking.
 */
int ptnet_ring_arm(struct ptnet_port *port, unsigned int what, unsigned int ring);
void ptnet_ring_disarm(struct ptnet_port *port, unsigned int what, unsigned int ring);

/*
 * netmap pipes: ptnet_port_open("valeX:NAME{N") opens the master end of
 * pair N of NAME, "valeX:NAME}N" its slave end (N 0..PTNET_PIPE_MAX_ID;
 * "@conf:slots=N,buf-size=N" on the end that makes the pair; no extra buffers).
 * Each end has one TX and one RX ring in the pair's shared region; TX sync
 * hands packets to the peer's RX ring by swapping buffer indices (no copy,
 * no ptnetd thread).  Both ends are trusted: they see each other's buffers.
 * When one end closes or dies the pair is freed and the other end's calls
 * return -EPIPE.  Counters of an end, kept in the pair's memory:
 */
struct ptnet_pipe_stats {
	uint32_t tx_drops;	/* our packets dropped: a bad buf_idx or len (either side) */
	uint32_t rx_drops;	/* the peer's packets dropped */
	uint32_t bad_heads;	/* the peer's RX head was out of its window (ignored) */
	uint32_t bad_tails;	/* the peer's TX tail was out of its window (ignored) */
};
/* 0 and *ST for a pipe end, -EINVAL for another port. */
int ptnet_pipe_stats(const struct ptnet_port *port, struct ptnet_pipe_stats *st);

/* Human-readable reason for the last failure in this thread ("" if none). */
const char *ptnet_errmsg(void);

/* Optional log hook; the library is silent without one. */
typedef void (*ptnet_log_fn)(int level, const char *msg, void *arg);
void ptnet_set_log_fn(ptnet_log_fn fn, void *arg);

/*
 * Control channel (used by ptnetctl).  ptnet_ctl_open connects and performs
 * the version handshake; ptnet_ctl_call sends one request line and calls CB
 * once per record line of the reply; the final status line is copied to
 * STATUS.  Returns 0 if ptnetd answered "ok", else -errno with ptnet_errmsg
 * holding its message.
 */
typedef int (*ptnet_ctl_rec_fn)(const char *line, void *arg);
int ptnet_ctl_open(void);
int ptnet_ctl_call(int fd, const char *request, ptnet_ctl_rec_fn cb, void *arg,
		   char *status, size_t status_len);
void ptnet_ctl_close(int fd);

#ifdef __cplusplus
}
#endif

#endif /* PTNET_PTNET_H */
