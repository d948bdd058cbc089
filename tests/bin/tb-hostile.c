// SPDX-License-Identifier: BSD-2-Clause
/*
 * tb-hostile - a hostile ptnet client, for tests/integ/91-hostile.sh.
 *
 *   tb-hostile [-s SWITCH] [-c CANARY] [-t SECONDS] [-n ROUNDS] [-S SEED]
 *              [-u UID] [--victim PORT]... [--no-vnet] [--mac-flood] [-v]
 *   tb-hostile -m kick-flood|close-kicks|close-irqs|csum-race -p NAME [-s SWITCH]
 *              [-t SECONDS]
 *
 * It attaches like a client (speaking the control protocol itself, so that
 * it owns every descriptor) and then misbehaves in every way a client can,
 * round after round, each round in a child process:
 *
 *  - two ports per round, random geometry (rings, slots, buffer size,
 *    vnet header, mtu); it checks what ptnetd hands out: one memfd naming
 *    this port, sealed against resizing, then kick pipe write ends and irq
 *    pipe read ends, and a region whose header and registers match;
 *  - a racing thread per port writes slot fields (buf_idx 0, 1, beyond the
 *    pool, huge; len 0, short, beyond the buffer, 0xffff; NS_MOREFRAG and
 *    garbage flags) and CSB heads (out of range, behind hwcur, inside) all
 *    the time, also while ptnetd reads them; valid bursts are mixed in so
 *    that the forwarding paths behind the checks run too;
 *  - the main thread runs structured cases: chains that never end or are
 *    longer than 64 fragments, runts, heads out of range then back, RX
 *    heads beyond hwtail, writes to the region header, registers,
 *    netmap_if, ring headers and ktoa, memfd tricks (ftruncate, sealing,
 *    punching holes outside the buffers, pwrite), and control abuse on
 *    other connections (garbage, oversized, NUL, no hello, wrong ABI,
 *    descriptors attached, request floods without reading the replies,
 *    idle connections, attach-and-vanish, others' port names);
 *  - a kick thread floods the kick pipes (blocking or not); the irq pipes
 *    are never read; pipe ends are set blocking; sometimes the kick or irq
 *    ends are closed while the port stays attached;
 *  - each round ends abruptly: lifeline closed while racing, port detached
 *    from another connection, _exit with threads running, or SIGKILL from
 *    the parent at a random moment; sometimes orderly.
 *
 * Traffic it sends never reaches another client: in "self" rounds every
 * frame is addressed to the sending port itself (learned, then dropped as
 * drop_no_dest); in "cross" rounds port A sends to port B (B learned first,
 * A detached before B), so that ptnetd also writes into a hostile RX ring
 * while its slots and head are being changed.  No frame has a multicast or
 * unknown destination, so a well-behaved port on the same switch must never
 * receive anything from it, and must never lose anything to it.
 *
 * With -c, every round scans the whole mapped region of both ports (RX
 * rings and buffers included) for CANARY (32 hex digits), which the good
 * clients put in every frame (tb-canary): finding it is a leak.  After every
 * round the parent checks that ptnetd answers "list" within 5 s and that the
 * round's ports are gone within 10 s.
 *
 * --no-vnet attaches no port with a virtio-net header (no offload paths).
 * --mac-flood (a demonstration, not part of the test) sends from thousands
 * of source MACs: the learning table forgets the good clients' MACs and
 * their unicast traffic is flooded, to this port too.
 *
 * Prints "HOSTILE ok rounds=N cases=N ops=N ..." and exits 0; on a finding
 * prints "HOSTILE FAIL ..." and exits 1; 2 = usage.
 *
 * -m runs one behaviour on one port (default geometry) for SECONDS, for
 * focused tests: kick-flood writes 64 KiB blocks into its kick pipe, set
 * blocking, as fast as it can; close-kicks closes its kick pipe write ends
 * and keeps the port idle; close-irqs closes its irq pipe read ends and
 * asks for every notification.  Prints "READY mac=..." once attached and
 * "DONE mode=... kick_bytes=N" at the end.
 *
 * csum-race attaches NAME (vnet-hdr 12) and NAMEd (no header, 64 slots of
 * 256 bytes: a 64 KiB region) and sends checksum-offload frames (NEEDS_CSUM)
 * from the first to the second, so that ptnetd completes each checksum in
 * NAMEd's RX slots after copying; meanwhile a thread keeps writing 0xffff
 * into the len of every NAMEd RX slot.  ptnetd must sum the bytes it
 * copied, never a length the client wrote: "DONE ... frames=N
 * bad_csum=K" counts delivered frames whose checksum is not the one of
 * their own bytes (exit 1 if K > 0).
 */
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <linux/falloc.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "tb.h"

#define MAXR		(2 * PTNET_MAX_RINGS)
#define CTL_TIMEOUT_MS	5000

/* ------------------------------------------------------------ counters */

/* Shared between the parent and the round processes (MAP_SHARED). */
struct shared {
	uint64_t rounds, cross_rounds, self_rounds;
	uint64_t attaches, attach_refused;
	uint64_t cases;			/* structured adversarial cases */
	uint64_t slot_ops, head_ops, csb_ops, reg_ops, chain_ops, valid_bursts;
	uint64_t kick_writes, kick_bytes, pipe_ops, memfd_ops;
	uint64_t ctl_msgs, ctl_fd_msgs, ctl_conns, ctl_unread;
	uint64_t end_close, end_detach, end_exit, end_kill, end_orderly;
	uint64_t scans, scanned_bytes;
	uint32_t kill_ok;		/* the round may be SIGKILLed now */
	uint32_t failed;
	char fail[512];
};

static struct shared *sh;

#define CNT(field, n) __atomic_fetch_add(&sh->field, (uint64_t)(n), __ATOMIC_RELAXED)

static const char *sock_path;
static const char *swname = "vale0";
static uint8_t canary[16];
static int have_canary, verbose, mac_flood, no_vnet;
static const char *victims[8];
static unsigned int nvictims;
static int am_root;

__attribute__((format(printf, 1, 2), noreturn)) static void hfail(const char *fmt, ...)
{
	char msg[sizeof(sh->fail)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!__atomic_exchange_n(&sh->failed, 1, __ATOMIC_SEQ_CST))
		snprintf(sh->fail, sizeof(sh->fail), "%s", msg);
	fprintf(stderr, "tb-hostile: FAIL %s\n", msg);
	_exit(1);
}

/* ------------------------------------------------------------ random */

static inline uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static inline uint32_t rndn(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(rnd(s) % n) : 0;
}

static inline int chance(uint64_t *s, unsigned int pct)
{
	return rndn(s, 100) < pct;
}

/* ------------------------------------------------------------ control */

static uint64_t now_ms(void)
{
	return tb_now_ms();
}

static int ctl_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/*
 * One message into BUF (NUL terminated), descriptors into FDS (closed if
 * FDS is NULL).  Returns its length, 0 at EOF, -ETIMEDOUT, or -errno.
 */
static int ctl_recv(int fd, char *buf, size_t len, int *fds, unsigned int maxfds,
		    unsigned int *nfds, int timeout_ms)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 253)];
		struct cmsghdr align;
	} cb;
	struct iovec iov = { .iov_base = buf, .iov_len = len - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.b,
			     .msg_controllen = sizeof(cb.b) };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned int got = 0;
	ssize_t n;
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return -ETIMEDOUT;
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (fds && got < maxfds)
				fds[got++] = f;
			else
				close(f);
			if (!fds)
				got++;
		}
	}
	if (nfds)
		*nfds = got;
	else if (got)
		hfail("ptnetd sent %u descriptors with '%.60s'", got, buf);
	return (int)n;
}

/* A reply must be "ok ...", "rec ..." or "err ENAME message", printable ASCII. */
static void check_reply(const char *req, const char *rep)
{
	for (const char *p = rep; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			hfail("reply to '%.40s' has byte 0x%02x", req, (unsigned char)*p);
	if (!strncmp(rep, "ok", 2) && (rep[2] == '\0' || rep[2] == ' '))
		return;
	if (!strncmp(rep, "rec ", 4))
		return;
	if (!strncmp(rep, "err E", 5) && strchr(rep + 5, ' ') && strchr(rep + 5, ' ')[1])
		return;
	hfail("malformed reply to '%.40s': '%.100s'", req, rep);
}

/* Send REQ (LEN bytes) and read replies up to the final one into LAST. */
static int ctl_call(int fd, const void *req, size_t len, char *last, size_t lastlen)
{
	char buf[PTC_MAX_MSG + 2], shown[48];
	int n;

	snprintf(shown, sizeof(shown), "%.*s", (int)(len < 40 ? len : 40), (const char *)req);
	for (char *p = shown; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	if (send(fd, req, len, MSG_NOSIGNAL) < 0)
		return -errno;
	CNT(ctl_msgs, 1);
	for (;;) {
		n = ctl_recv(fd, buf, sizeof(buf), NULL, 0, NULL, CTL_TIMEOUT_MS);
		if (n == -ETIMEDOUT)
			hfail("ptnetd did not answer '%s' within %d ms", shown, CTL_TIMEOUT_MS);
		if (n <= 0)
			return n < 0 ? n : -EPIPE;
		check_reply(shown, buf);
		if (strncmp(buf, "rec ", 4))
			break;
	}
	if (last)
		snprintf(last, lastlen, "%s", buf);
	return 0;
}

static int ctl_hello(int fd)
{
	char rep[256];
	int r = ctl_call(fd, "hello abi=1", 11, rep, sizeof(rep));

	if (r)
		return r;
	return strncmp(rep, "ok abi=1", 8) ? -EPROTO : 0;
}

static int reply_errno(const char *rep)
{
	char name[32];

	if (!strncmp(rep, "ok", 2))
		return 0;
	if (sscanf(rep, "err %31s", name) != 1)
		return -EPROTO;
	return -ptc_errno_from_name(name);
}

/* ------------------------------------------------------------ ports */

struct hport {
	char full[PTC_FULLNAME_MAX + 1];
	int ctl;			/* lifeline */
	int memfd;
	uint8_t *mem;
	size_t size;
	unsigned int ntx, nrx;
	uint32_t nslots[MAXR];
	struct netmap_ring *ring[MAXR];
	struct netmap_slot *slot[MAXR];
	struct nm_csb_atok *atok;	/* [ntx + nrx] */
	struct nm_csb_ktoa *ktoa;
	uint8_t *bufs;
	uint64_t buf_ofs;
	uint32_t nifp_ofs;
	uint32_t bsz, bnum, vh;
	uint32_t rx_first;		/* buffers [2, rx_first) for TX, the rest for RX */
	uint8_t mac[6];
	uint8_t hdr_dst[6];		/* what every buffer's Ethernet header says */
	uint8_t hdr_src[6];
	int kick[MAXR], irq[MAXR];
	int kicks_closed;
	volatile int stop;		/* race thread */
	uint64_t seed;
	pthread_t thr;
	int thr_running;
};

struct geom {
	unsigned int txr, rxr;
	uint32_t txs, rxs, bsz, vh, mtu;
};

static void pick_geom(uint64_t *s, struct geom *g)
{
	static const uint32_t bsizes[] = { 256, 512, 1024, 2048, 2048, 4096, 9216, 65536 };
	unsigned int k = rndn(s, 100);

	g->txr = k < 60 ? 1 : k < 90 ? 2 + rndn(s, 3) : 16;
	g->rxr = chance(s, 70) ? g->txr : 1 + rndn(s, g->txr == 16 ? 16 : 4);
	g->txs = 64u << rndn(s, 7);
	g->rxs = chance(s, 70) ? g->txs : 64u << rndn(s, 7);
	g->bsz = bsizes[rndn(s, sizeof(bsizes) / sizeof(bsizes[0]))];
	g->vh = chance(s, 50) ? 12 : 0;
	g->mtu = chance(s, 50) ? 1500 : 68 + rndn(s, 9000);
	/* Keep each region below 32 MiB (fast to set up and scan). */
	while ((uint64_t)(g->txr * g->txs + g->rxr * g->rxs) * g->bsz > (24u << 20)) {
		if (g->txs > 64)
			g->txs /= 2;
		else if (g->rxs > 64)
			g->rxs /= 2;
		else
			g->bsz = 2048;
	}
}

static void pick_mac(uint64_t *s, uint8_t mac[6])
{
	uint64_t v = rnd(s);

	memcpy(mac, &v, 6);
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);	/* local, unicast */
}

static uint32_t reg(const uint8_t *mem, unsigned int off)
{
	return *(const volatile uint32_t *)(mem + PTNET_REGS_BASE + off);
}

/* Are the descriptors what the protocol promises? */
static void check_fds(const struct hport *h, const int *fds, unsigned int nrings)
{
	char path[64], link[256];
	struct stat st;
	ssize_t n;
	int seals;
	size_t fl;

	if (fstat(fds[0], &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size != h->size)
		hfail("%s: descriptor 0 is not a memfd of %zu bytes", h->full, h->size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	{
		char want[96];

		snprintf(want, sizeof(want), "ptnet:%s ", h->full);
		if (!strstr(link, want))
			hfail("%s: the memfd is '%s', not this port's", h->full, link);
	}
	seals = fcntl(fds[0], F_GET_SEALS);
	if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) !=
				 (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		hfail("%s: memfd seals are %#x", h->full, seals);
	for (unsigned int i = 0; i < 2 * nrings; i++) {
		int f = fds[1 + i], want = i < nrings ? O_WRONLY : O_RDONLY;

		if (fstat(f, &st) < 0 || !S_ISFIFO(st.st_mode))
			hfail("%s: descriptor %u is not a pipe", h->full, 1 + i);
		fl = (size_t)fcntl(f, F_GETFL);
		if ((int)(fl & O_ACCMODE) != want)
			hfail("%s: descriptor %u is not a pipe %s end", h->full, 1 + i,
			      want == O_WRONLY ? "write" : "read");
	}
}

/* Map the region and take every pointer from validated offsets, once. */
static void map_region(struct hport *h, const struct geom *g)
{
	uint8_t *m;
	uint32_t nifp_ofs, atok, ktoa, bo;
	uint64_t size;
	struct netmap_if *nifp;

	m = mmap(NULL, h->size, PROT_READ | PROT_WRITE, MAP_SHARED, h->memfd, 0);
	if (m == MAP_FAILED)
		hfail("%s: mmap %zu: %s", h->full, h->size, strerror(errno));
	h->mem = m;
	size = *(uint32_t *)(m + PTNET_HDR_SIZE_LO) |
	       (uint64_t)*(uint32_t *)(m + PTNET_HDR_SIZE_HI) << 32;
	if (*(uint32_t *)m != PTNET_MAGIC ||
	    *(uint32_t *)(m + PTNET_HDR_ABI) != PTNET_ABI_VERSION || size != h->size ||
	    strncmp((char *)m + PTNET_HDR_NAME, h->full, 64))
		hfail("%s: region header does not match", h->full);
	h->ntx = reg(m, PTNET_IO_NUM_TX_RINGS);
	h->nrx = reg(m, PTNET_IO_NUM_RX_RINGS);
	h->bsz = reg(m, PTNET_IO_X_BUF_SIZE);
	h->bnum = reg(m, PTNET_IO_X_BUF_NUM);
	h->vh = reg(m, PTNET_IO_VNET_HDR_LEN);
	nifp_ofs = reg(m, PTNET_IO_NIFP_OFS);
	atok = reg(m, PTNET_IO_X_CSB_ATOK_OFS);
	ktoa = reg(m, PTNET_IO_X_CSB_KTOA_OFS);
	bo = reg(m, PTNET_IO_X_BUF_OFS);
	if (h->ntx != g->txr || h->nrx != g->rxr || h->bsz != g->bsz || h->vh != g->vh ||
	    reg(m, PTNET_IO_NUM_TX_SLOTS) != g->txs || reg(m, PTNET_IO_NUM_RX_SLOTS) != g->rxs ||
	    h->bnum != 2 + g->txr * g->txs + g->rxr * g->rxs)
		hfail("%s: geometry in the registers differs from the request", h->full);
	if (nifp_ofs >= size || atok + 64ull * (h->ntx + h->nrx) > size ||
	    ktoa + 64ull * (h->ntx + h->nrx) > size ||
	    bo + (uint64_t)h->bnum * h->bsz > size)
		hfail("%s: region layout out of bounds", h->full);
	{
		uint32_t lo = reg(m, PTNET_IO_MAC_LO), hi = reg(m, PTNET_IO_MAC_HI);
		uint8_t mac[6] = { (uint8_t)(hi >> 8), (uint8_t)hi, (uint8_t)(lo >> 24),
				   (uint8_t)(lo >> 16), (uint8_t)(lo >> 8), (uint8_t)lo };

		if (memcmp(mac, h->mac, 6))
			hfail("%s: MAC register differs from the requested MAC", h->full);
	}
	nifp = (struct netmap_if *)(m + nifp_ofs);
	h->nifp_ofs = nifp_ofs;
	for (unsigned int i = 0; i < h->ntx + h->nrx; i++) {
		int64_t ofs = nifp->ring_ofs[i];
		struct netmap_ring *r;

		if (ofs <= 0 || (uint64_t)ofs + nifp_ofs + sizeof(*r) > size)
			hfail("%s: ring %u out of bounds", h->full, i);
		r = (struct netmap_ring *)((uint8_t *)nifp + ofs);
		h->ring[i] = r;
		h->nslots[i] = r->num_slots;
		if (h->nslots[i] != (i < h->ntx ? g->txs : g->rxs) ||
		    (uint64_t)ofs + nifp_ofs + sizeof(*r) + 16ull * h->nslots[i] > bo)
			hfail("%s: ring %u has %u slots", h->full, i, h->nslots[i]);
		h->slot[i] = r->slot;
		for (uint32_t k = 0; k < h->nslots[i]; k++)
			if (r->slot[k].buf_idx < 2 || r->slot[k].buf_idx >= h->bnum)
				hfail("%s: ring %u slot %u starts with buffer %u", h->full, i, k,
				      r->slot[k].buf_idx);
	}
	h->rx_first = 2 + g->txr * g->txs;
	h->atok = (struct nm_csb_atok *)(m + atok);
	h->ktoa = (struct nm_csb_ktoa *)(m + ktoa);
	h->bufs = m + bo;
	h->buf_ofs = bo;
}

/* Attach NAME with geometry G: 0, or -errno if ptnetd refused (a limit). */
static int attach(struct hport *h, const char *pname, const struct geom *g, uint64_t *s)
{
	char req[512], rep[PTC_MAX_MSG + 2], mac[18];
	int fds[1 + 4 * PTNET_MAX_RINGS];
	unsigned int nfds = 0, nrings = 0;
	unsigned long long size = 0;
	int r;

	memset(h, 0, sizeof(*h));
	h->ctl = h->memfd = -1;
	for (unsigned int i = 0; i < MAXR; i++)
		h->kick[i] = h->irq[i] = -1;
	snprintf(h->full, sizeof(h->full), "%s:%s", swname, pname);
	pick_mac(s, h->mac);
	ptc_format_mac(h->mac, mac);
	h->ctl = ctl_connect();
	if (h->ctl < 0)
		hfail("cannot connect to %s: %s", sock_path, strerror(-h->ctl));
	if (ctl_hello(h->ctl))
		hfail("handshake refused");
	snprintf(req, sizeof(req), "attach %s tx-rings=%u rx-rings=%u tx-slots=%u rx-slots=%u "
		 "buf-size=%u vnet-hdr=%u mac=%s mtu=%u", h->full, g->txr, g->rxr, g->txs, g->rxs,
		 g->bsz, g->vh, mac, g->mtu);
	if (send(h->ctl, req, strlen(req), MSG_NOSIGNAL) < 0)
		hfail("attach: send: %s", strerror(errno));
	CNT(ctl_msgs, 1);
	r = ctl_recv(h->ctl, rep, sizeof(rep), fds, sizeof(fds) / sizeof(fds[0]), &nfds,
		     CTL_TIMEOUT_MS);
	if (r == -ETIMEDOUT)
		hfail("ptnetd did not answer an attach within %d ms", CTL_TIMEOUT_MS);
	if (r <= 0)
		hfail("attach: connection lost (%d)", r);
	check_reply("attach", rep);
	if (strncmp(rep, "ok ", 3)) {
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
		if (nfds)
			hfail("an attach refusal came with %u descriptors", nfds);
		close(h->ctl);
		h->ctl = -1;
		if (verbose)
			tb_log("attach %s refused: %s", h->full, rep);
		CNT(attach_refused, 1);
		return reply_errno(rep);
	}
	if (sscanf(rep, "ok size=%llu rings=%u", &size, &nrings) != 2 ||
	    nrings != g->txr + g->rxr || nfds != 1 + 2 * nrings)
		hfail("attach reply '%s' with %u descriptors", rep, nfds);
	h->size = (size_t)size;
	check_fds(h, fds, nrings);
	h->memfd = fds[0];
	for (unsigned int i = 0; i < nrings; i++) {
		h->kick[i] = fds[1 + i];
		h->irq[i] = fds[1 + nrings + i];
	}
	map_region(h, g);
	CNT(attaches, 1);
	return 0;
}

/* Set or clear O_NONBLOCK on our pipe ends (they are our own descriptions). */
static void pipes_blocking(struct hport *h, uint64_t *s)
{
	for (unsigned int i = 0; i < h->ntx + h->nrx; i++) {
		int *fds[2] = { &h->kick[i], &h->irq[i] };

		for (int k = 0; k < 2; k++) {
			int fl;

			if (*fds[k] < 0 || (k == 0 && h->kicks_closed))
				continue;
			fl = fcntl(*fds[k], F_GETFL);
			fcntl(*fds[k], F_SETFL, chance(s, 70) ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
			CNT(pipe_ops, 1);
		}
	}
}

static inline uint8_t *buf_of(const struct hport *h, uint32_t idx)
{
	return h->bufs + (size_t)idx * h->bsz;
}

/*
 * The Ethernet header every buffer holds (at offset vh): DST, SRC.  With a
 * vnet header the first 12 bytes are a header: zero, a checksum request, a
 * GSO request, or garbage.  The rest: an IPv4/TCP or IPv4/UDP frame, or
 * garbage.  Buffer payloads may change later, the Ethernet header never.
 */
static void fill_buffer(struct hport *h, uint32_t idx, uint64_t *s)
{
	uint8_t *b = buf_of(h, idx), *e = b + h->vh;
	uint32_t room = h->bsz - h->vh, n = room < 256 ? room : 256;

	memcpy(e, h->hdr_dst, 6);
	if (mac_flood) {
		uint8_t m[6];

		pick_mac(s, m);
		memcpy(e + 6, m, 6);
	} else {
		memcpy(e + 6, h->hdr_src, 6);
	}
	for (uint32_t i = 12; i < n; i++)
		e[i] = (uint8_t)rnd(s);
	if (chance(s, 60) && n >= 14 + 20 + 20) {
		int tcp = chance(s, 60);

		e[12] = 0x08;
		e[13] = 0x00;
		e[14] = 0x45;
		e[15] = 0;
		e[16] = (uint8_t)((room - 14) >> 8);
		e[17] = (uint8_t)(room - 14);
		e[20] = 0x40;	/* DF */
		e[21] = 0;
		e[22] = 64;
		e[23] = tcp ? 6 : 17;
		if (tcp)
			e[14 + 20 + 12] = 0x50;	/* doff 5 */
	}
	if (h->vh) {
		uint8_t *v = b;

		memset(v, 0, h->vh);
		switch (rndn(s, 6)) {
		case 0: /* no offload */
			break;
		case 1: /* checksum request (UDP or TCP field) */
			v[0] = 1;
			v[6] = 34;
			v[8] = chance(s, 50) ? 6 : 16;
			break;
		case 2: /* GSO TCPv4 */
			v[0] = 1;
			v[1] = 1;
			v[4] = (uint8_t)(100 + rndn(s, 1300));
			v[6] = 34;
			v[8] = 16;
			break;
		case 3: /* GSO UDP (UFO) or USO */
			v[0] = 1;
			v[1] = chance(s, 50) ? 3 : 5;
			v[4] = (uint8_t)(8 + rndn(s, 200));
			v[6] = 34;
			v[8] = 6;
			break;
		default: /* garbage */
			for (uint32_t i = 0; i < h->vh; i++)
				v[i] = (uint8_t)rnd(s);
		}
	}
}

static void fill_pool(struct hport *h, uint64_t *s)
{
	for (uint32_t i = 2; i < h->bnum; i++)
		fill_buffer(h, i, s);
}

/* Garbage into a buffer's payload (never its Ethernet header). */
static void scribble_payload(struct hport *h, uint64_t *s)
{
	uint32_t idx = 2 + rndn(s, h->bnum - 2), from = h->vh + 12;
	uint8_t *b = buf_of(h, idx);

	for (int k = 0; k < 16; k++) {
		uint32_t off = from + rndn(s, h->bsz - from);

		b[off] = (uint8_t)rnd(s);
	}
}

static int scan_canary(const struct hport *h, const char *when)
{
	const uint8_t *p;

	if (!have_canary || !h->mem)
		return 0;
	CNT(scans, 1);
	CNT(scanned_bytes, h->size);
	p = memmem(h->mem, h->size, canary, sizeof(canary));
	if (p)
		hfail("the good clients' canary is in %s's memory at offset %#zx (%s)", h->full,
		      (size_t)(p - h->mem), when);
	return 0;
}

/* ------------------------------------------------------------ the racer */

/* A valid buffer of the TX part of the pool (ptnetd never writes there). */
static inline uint32_t tx_buf(const struct hport *h, uint64_t *s)
{
	return 2 + rndn(s, h->rx_first - 2);
}

/*
 * A buffer index for a slot: bad ones of every kind, or a valid one from
 * the TX or the RX part of the pool.  The parts stay apart so that a buffer
 * ptnetd wrote a frame into (a chain continuation has payload where the
 * Ethernet header would be) is never sent again.
 */
static uint32_t pick_idx(const struct hport *h, uint64_t *s, int rx)
{
	uint32_t v;

	switch (rndn(s, 20)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return h->bnum;
	case 3: return h->bnum + 1;
	case 4: return 0xffffffffu;
	case 5: return 0x80000000u + rndn(s, 1000);
	case 6:
		v = (uint32_t)rnd(s);
		if (v >= 2 && v < h->bnum)
			v = h->bnum + (v & 0xffff);	/* stays out of the pool */
		return v;
	case 7: return rx ? h->bnum - 1 : h->rx_first - 1;
	default: return rx ? h->rx_first + rndn(s, h->bnum - h->rx_first) : tx_buf(h, s);
	}
}

static uint16_t pick_len(const struct hport *h, uint64_t *s)
{
	uint32_t minlen = h->vh + 14, maxlen = h->bsz > 65535 ? 65535 : h->bsz;

	switch (rndn(s, 20)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return (uint16_t)(minlen - 1);
	case 3: return (uint16_t)minlen;
	case 4: return (uint16_t)(h->bsz > 65535 ? 65535 : h->bsz);
	case 5: return (uint16_t)(h->bsz + 1 > 65535 ? 65535 : h->bsz + 1);
	case 6: return 0xffff;
	case 7: return (uint16_t)rnd(s);
	default: return (uint16_t)(minlen + rndn(s, maxlen - minlen + 1));
	}
}

static uint16_t pick_flags(uint64_t *s)
{
	unsigned int k = rndn(s, 8);

	return k < 4 ? 0 : k < 6 ? NS_MOREFRAG : (uint16_t)rnd(s);
}

/* A head for ring I: inside, at hwcur, behind it, or out of range. */
static uint32_t pick_head(const struct hport *h, unsigned int i, uint64_t *s)
{
	uint32_t n = h->nslots[i], hw = PTNET_READ_ONCE(h->ktoa[i].hwcur);

	if (hw >= n)
		hw = rndn(s, n);
	switch (rndn(s, 12)) {
	case 0: return n;
	case 1: return n + 1 + rndn(s, 10);
	case 2: return 0xffffffffu;
	case 3: return (uint32_t)rnd(s);
	case 4: return hw;
	case 5: return hw ? hw - 1 : n - 1;	/* just behind: the whole ring */
	default: return (hw + 1 + rndn(s, n - 1)) % n;
	}
}

/* Valid frames from the TX ring's current position (so forwarding runs). */
static void valid_burst(struct hport *h, unsigned int i, uint64_t *s)
{
	uint32_t n = h->nslots[i], hw = PTNET_READ_ONCE(h->ktoa[i].hwcur), k, cnt;
	struct netmap_slot *sl = h->slot[i];
	uint32_t maxlen = h->bsz > 65535 ? 65535 : h->bsz;

	if (hw >= n)
		return;
	cnt = 1 + rndn(s, n / 2);
	for (k = 0; k < cnt; k++) {
		struct netmap_slot *x = &sl[(hw + k) % n];
		uint32_t len = h->vh + 14 + rndn(s, maxlen - h->vh - 14 + 1);

		PTNET_WRITE_ONCE(x->buf_idx, tx_buf(h, s));
		PTNET_WRITE_ONCE(x->len, (uint16_t)len);
		/* Now and then a legal chain of a few fragments. */
		PTNET_WRITE_ONCE(x->flags,
				 (uint16_t)(chance(s, 15) && k + 1 < cnt ? NS_MOREFRAG : 0));
	}
	ptnet_csb_appl_write(&h->atok[i], (hw + cnt) % n, (hw + cnt) % n);
	CNT(valid_bursts, 1);
}

static void kick(struct hport *h, unsigned int i)
{
	static const char one = 1;
	ssize_t w;

	if (h->kicks_closed || h->kick[i] < 0)
		return;
	w = write(h->kick[i], &one, 1);
	(void)w;
}

struct race_arg {
	struct hport *h;
	int rx_side;			/* also play with the RX rings */
};

static void *racer(void *arg)
{
	struct race_arg *ra = arg;
	struct hport *h = ra->h;
	uint64_t s = h->seed, slot = 0, head = 0, csb = 0;

	while (!h->stop) {
		unsigned int k = rndn(&s, 100);
		unsigned int i;

		if (ra->rx_side && k < 40) {
			/* RX ring: ptnetd writes here while we move things. */
			i = h->ntx + rndn(&s, h->nrx);
			if (k < 20) {
				struct netmap_slot *x = &h->slot[i][rndn(&s, h->nslots[i])];

				PTNET_WRITE_ONCE(x->buf_idx, pick_idx(h, &s, 1));
				PTNET_WRITE_ONCE(x->len,
						 (uint16_t)(chance(&s, 50) ? 0xffff : rnd(&s)));
				PTNET_WRITE_ONCE(x->flags, pick_flags(&s));
				slot++;
			} else if (k < 30) {
				/* Release everything received: deliveries go on. */
				uint32_t t = PTNET_READ_ONCE(h->ktoa[i].hwtail);

				ptnet_store_release(&h->atok[i].head, t);
				head++;
			} else {
				ptnet_store_release(&h->atok[i].head, pick_head(h, i, &s));
				head++;
			}
			continue;
		}
		i = rndn(&s, h->ntx);
		if (k < 70) {
			struct netmap_slot *x = &h->slot[i][rndn(&s, h->nslots[i])];

			switch (rndn(&s, 4)) {
			case 0: PTNET_WRITE_ONCE(x->buf_idx, pick_idx(h, &s, 0)); break;
			case 1: PTNET_WRITE_ONCE(x->len, pick_len(h, &s)); break;
			case 2: PTNET_WRITE_ONCE(x->flags, pick_flags(&s)); break;
			default: PTNET_WRITE_ONCE(x->ptr, rnd(&s)); break;
			}
			slot++;
		} else if (k < 85) {
			uint32_t hd = pick_head(h, i, &s);

			ptnet_csb_appl_write(&h->atok[i], hd,
					     chance(&s, 80) ? hd : (uint32_t)rnd(&s));
			head++;
			if (chance(&s, 30))
				kick(h, i);
		} else if (k < 95) {
			valid_burst(h, i, &s);
			kick(h, i);
		} else {
			i = rndn(&s, h->ntx + h->nrx);
			PTNET_WRITE_ONCE(h->atok[i].appl_need_kick, (uint32_t)rndn(&s, 3));
			PTNET_WRITE_ONCE(h->atok[i].sync_flags, (uint32_t)rnd(&s));
			csb++;
		}
		if (((slot + head + csb) & 4095) == 0) {
			CNT(slot_ops, slot);
			CNT(head_ops, head);
			CNT(csb_ops, csb);
			slot = head = csb = 0;
		}
	}
	CNT(slot_ops, slot);
	CNT(head_ops, head);
	CNT(csb_ops, csb);
	return NULL;
}

static struct race_arg race_args[2];

static void race_start(struct hport *h, int idx, int rx_side)
{
	race_args[idx].h = h;
	race_args[idx].rx_side = rx_side;
	h->stop = 0;
	if (pthread_create(&h->thr, NULL, racer, &race_args[idx]) == 0)
		h->thr_running = 1;
}

static void race_stop(struct hport *h)
{
	if (!h->thr_running)
		return;
	h->stop = 1;
	pthread_join(h->thr, NULL);
	h->thr_running = 0;
}

/* ------------------------------------------------------------ the kicker */

struct kick_arg {
	struct hport *p[2];
	unsigned int np;
	volatile int stop;
	int close_at_ms;		/* >= 0: close the kick ends then */
	uint64_t seed;
};

static void *kicker(void *arg)
{
	struct kick_arg *ka = arg;
	static char big[65536];
	uint64_t s = ka->seed, t0 = now_ms(), writes = 0, bytes = 0;

	memset(big, 'k', sizeof(big));
	while (!ka->stop) {
		struct hport *h = ka->p[rndn(&s, ka->np)];
		unsigned int i = rndn(&s, h->ntx + h->nrx);
		size_t len = chance(&s, 50) ? 1 : chance(&s, 50) ? 4096 : sizeof(big);
		ssize_t w;

		if (ka->close_at_ms >= 0 && now_ms() - t0 >= (uint64_t)ka->close_at_ms) {
			/*
			 * The write ends go, the ports stay attached.  dup2 over them
			 * (rather than close) so that no other thread ever writes to a
			 * reused descriptor number.
			 */
			int dn = open("/dev/null", O_WRONLY | O_CLOEXEC);

			for (unsigned int k = 0; dn >= 0 && k < ka->np; k++) {
				struct hport *x = ka->p[k];

				x->kicks_closed = 1;
				for (unsigned int r = 0; r < x->ntx + x->nrx; r++)
					if (x->kick[r] >= 0)
						dup2(dn, x->kick[r]);
			}
			if (dn >= 0)
				close(dn);
			CNT(pipe_ops, 1);
			break;
		}
		if (h->kick[i] < 0)
			continue;
		w = write(h->kick[i], big, len);
		writes++;
		if (w > 0)
			bytes += (uint64_t)w;
		if (w < 0 && errno == EAGAIN)
			sched_yield();
		if ((writes & 1023) == 0) {
			CNT(kick_writes, writes);
			CNT(kick_bytes, bytes);
			writes = bytes = 0;
		}
	}
	CNT(kick_writes, writes);
	CNT(kick_bytes, bytes);
	return NULL;
}

/* ------------------------------------------------------------ cases */

static void sleep_us(unsigned int us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static void case_heads(struct hport *h, uint64_t *s)
{
	unsigned int i = rndn(s, h->ntx);
	uint32_t n = h->nslots[i];
	static const uint32_t bad[] = { 0, 1, 2, 0x7fffffffu, 0xffffffffu, 0x10000u };
	uint32_t v = bad[rndn(s, sizeof(bad) / sizeof(bad[0]))];

	v = v < 3 ? n + v : v;
	ptnet_csb_appl_write(&h->atok[i], v, rndn(s, 2) ? v : 0);
	kick(h, i);
	sleep_us(200 + rndn(s, 800));
	/* cur out of range with a valid head, then a head just behind hwcur. */
	ptnet_csb_appl_write(&h->atok[i], pick_head(h, i, s), n + rndn(s, 100));
	kick(h, i);
	CNT(head_ops, 2);
}

static void case_chain(struct hport *h, uint64_t *s)
{
	unsigned int i = rndn(s, h->ntx);
	uint32_t n = h->nslots[i], hw = PTNET_READ_ONCE(h->ktoa[i].hwcur), cnt;
	int kind = (int)rndn(s, 4);

	if (hw >= n)
		return;
	/* 0: never ends (up to head); 1: the whole ring; 2: 64/65 frags; 3: zero-length frags */
	cnt = kind == 0 ? 1 + rndn(s, n - 1) : kind == 1 ? n - 1 : kind == 2 ? 64 + rndn(s, 2) : 8;
	if (cnt > n - 1)
		cnt = n - 1;
	for (uint32_t k = 0; k < cnt; k++) {
		struct netmap_slot *x = &h->slot[i][(hw + k) % n];
		int last = k + 1 == cnt && kind >= 2;

		PTNET_WRITE_ONCE(x->buf_idx, tx_buf(h, s));
		PTNET_WRITE_ONCE(x->len, (uint16_t)(kind == 3 && k ? 0 : h->bsz > 65535 ? 65535 :
							h->bsz));
		PTNET_WRITE_ONCE(x->flags, (uint16_t)(last ? 0 : NS_MOREFRAG));
	}
	ptnet_csb_appl_write(&h->atok[i], (hw + cnt) % n, (hw + cnt) % n);
	kick(h, i);
	CNT(chain_ops, 1);
}

static void case_rx_heads(struct hport *h, uint64_t *s)
{
	unsigned int i = h->ntx + rndn(s, h->nrx);
	uint32_t n = h->nslots[i], t = PTNET_READ_ONCE(h->ktoa[i].hwtail);

	switch (rndn(s, 4)) {
	case 0: ptnet_store_release(&h->atok[i].head, t < n ? (t + 1) % n : n); break;
	case 1: ptnet_store_release(&h->atok[i].head, n + rndn(s, 5)); break;
	case 2: ptnet_store_release(&h->atok[i].head, 0xffffffffu); break;
	default: ptnet_store_release(&h->atok[i].head, t < n ? t : 0); break;
	}
	CNT(head_ops, 1);
}

/* Header, registers, netmap_if, ring headers, ktoa: all client-writable. */
static void case_regs(struct hport *h, uint64_t *s)
{
	uint32_t *w;

	switch (rndn(s, 5)) {
	case 0: /* region header and register block */
		w = (uint32_t *)(h->mem + 4 * rndn(s, PTNET_REGION_HDR_SIZE / 4));
		PTNET_WRITE_ONCE(*w, chance(s, 30) ? 0 : (uint32_t)rnd(s));
		break;
	case 1: /* PTCTL commands and the status word */
		PTNET_WRITE_ONCE(*(uint32_t *)(h->mem + PTNET_REGS_BASE + PTNET_IO_PTCTL),
				 1 + rndn(s, 3));
		PTNET_WRITE_ONCE(*(uint32_t *)(h->mem + PTNET_REGS_BASE + PTNET_IO_X_STATUS),
				 (uint32_t)rnd(s));
		PTNET_WRITE_ONCE(*(uint32_t *)(h->mem + PTNET_REGS_BASE + PTNET_IO_X_BUF_NUM),
				 (uint32_t)rnd(s));
		break;
	case 2: { /* a ring header: num_slots, buf_ofs, nr_buf_size, head/cur/tail */
		struct netmap_ring *r = h->ring[rndn(s, h->ntx + h->nrx)];

		w = (uint32_t *)r + rndn(s, 16);
		PTNET_WRITE_ONCE(*w, (uint32_t)rnd(s));
		break;
	}
	case 3: { /* ktoa (ptnetd's side of the CSB) */
		unsigned int i = rndn(s, h->ntx + h->nrx);

		PTNET_WRITE_ONCE(h->ktoa[i].kern_need_kick, (uint32_t)rndn(s, 2));
		if (chance(s, 50))
			PTNET_WRITE_ONCE(h->ktoa[i].hwtail, (uint32_t)rnd(s));
		break;
	}
	default: /* netmap_if */
		w = (uint32_t *)(h->mem + h->nifp_ofs) + rndn(s, 16);
		PTNET_WRITE_ONCE(*w, (uint32_t)rnd(s));
		break;
	}
	CNT(reg_ops, 1);
}

/* memfd: no resizing, no new seals; holes and writes outside the buffers. */
static void case_memfd(struct hport *h, uint64_t *s)
{
	switch (rndn(s, 5)) {
	case 0:
		if (ftruncate(h->memfd, (off_t)(h->size / 2)) == 0)
			hfail("%s: the memfd could be shrunk", h->full);
		if (ftruncate(h->memfd, (off_t)(h->size * 2)) == 0)
			hfail("%s: the memfd could be grown", h->full);
		break;
	case 1:
		if (fcntl(h->memfd, F_ADD_SEALS, F_SEAL_WRITE) == 0)
			hfail("%s: a client could add seals", h->full);
		if (fallocate(h->memfd, 0, (off_t)h->size, 4096) == 0)
			hfail("%s: the memfd could be extended", h->full);
		break;
	case 2: { /* punch a page (never in the buffer pool: headers must stay) */
		off_t off = (off_t)(4096ull * rndn(s, (uint32_t)(h->buf_ofs / 4096)));
		int r = fallocate(h->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, 4096);

		(void)r;
		break;
	}
	case 3: { /* write() through the descriptor, outside the pool */
		uint8_t junk[64];
		off_t off = (off_t)rndn(s, (uint32_t)h->buf_ofs - sizeof(junk));
		ssize_t r;

		for (size_t k = 0; k < sizeof(junk); k++)
			junk[k] = (uint8_t)rnd(s);
		r = pwrite(h->memfd, junk, sizeof(junk), off);
		(void)r;
		break;
	}
	default:
		scribble_payload(h, s);
		break;
	}
	CNT(memfd_ops, 1);
}

/* ------------------------------------------------------------ control abuse */

static int send_fds(int fd, const void *msg, size_t len, const int *fds, unsigned int nfds)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 253)];
		struct cmsghdr align;
	} cb;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	memset(&cb, 0, sizeof(cb));
	mh.msg_control = cb.b;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* Expect REQ to be refused with one of the errno names in WANT ("EINVAL|E2BIG"). */
static void expect_err(int fd, const char *req, size_t len, const char *want)
{
	char rep[PTC_MAX_MSG + 2], name[32];
	int r = ctl_call(fd, req, len, rep, sizeof(rep));

	if (r == -EPIPE || r == -ECONNRESET)
		return;	/* ptnetd may close a connection it has given up on */
	if (r < 0)
		hfail("request failed: %s", strerror(-r));
	if (sscanf(rep, "err %31s", name) != 1 || !strstr(want, name))
		hfail("'%.40s' got '%.100s', want err %s", req, rep, want);
}

static void ctl_abuse(uint64_t *s, const struct hport *mine)
{
	static int idle[48];
	static unsigned int nidle;
	char buf[70000], req[600];
	int fd = ctl_connect(), r;

	if (fd < 0)
		hfail("cannot connect to ptnetd: %s", strerror(-fd));
	CNT(ctl_conns, 1);
	switch (rndn(s, 14)) {
	case 0: /* requests before hello; a failed handshake closes the connection */
		expect_err(fd, "list", 4, "EPROTO");
		break;
	case 1:
		snprintf(req, sizeof(req), "hello abi=%s",
			 chance(s, 50) ? "2" : chance(s, 50) ? "4294967296" : "-1");
		expect_err(fd, req, strlen(req), "EPROTO");
		break;
	case 2: { /* random bytes */
		size_t len = 1 + rndn(s, 4096);

		if (ctl_hello(fd))
			break;
		for (size_t i = 0; i < len; i++)
			buf[i] = (char)rnd(s);
		if (ctl_call(fd, buf, len, req, sizeof(req)) == 0 && !strncmp(req, "ok", 2) &&
		    strncmp(buf, "list", 4) && strncmp(buf, "stats", 5))
			hfail("random bytes accepted: '%.60s'", req);
		break;
	}
	case 3: { /* oversized: 4097 bytes and 64 KiB */
		size_t len = chance(s, 50) ? PTC_MAX_MSG + 1 : 65536;

		if (ctl_hello(fd))
			break;
		memset(buf, 'a', len);
		memcpy(buf, "list ", 5);
		expect_err(fd, buf, len, "EMSGSIZE");
		break;
	}
	case 4: /* NUL, control bytes, too many tokens */
		if (ctl_hello(fd))
			break;
		expect_err(fd, "list\0vale0", 10, "EINVAL");
		expect_err(fd, "stats \x7f", 7, "EINVAL");
		memset(buf, 0, sizeof(buf));
		for (int i = 0; i <= PTC_MAX_TOKENS; i++)
			strcat(buf, "x ");
		expect_err(fd, buf, strlen(buf), "E2BIG");
		break;
	case 5: { /* descriptors with requests: ptnetd must ignore them */
		int fds[253], nf = 0, p[2];

		if (ctl_hello(fd))
			break;
		if (mine && mine->memfd >= 0)
			fds[nf++] = mine->memfd;
		if (pipe(p) == 0) {
			fds[nf++] = p[0];
			fds[nf++] = p[1];
		}
		fds[nf++] = fd;
		while (nf < 3 + (int)rndn(s, 240)) {
			int dn = open("/dev/null", O_RDWR | O_CLOEXEC);

			if (dn < 0)
				break;
			fds[nf++] = dn;
		}
		r = send_fds(fd, "list", 4, fds, (unsigned int)nf);
		CNT(ctl_fd_msgs, 1);
		if (r == 0) {
			r = ctl_recv(fd, buf, sizeof(buf), NULL, 0, NULL, CTL_TIMEOUT_MS);
			if (r == -ETIMEDOUT)
				hfail("ptnetd did not answer a request carrying descriptors");
		}
		/* fd-only message with a zero-length payload: ptnetd sees EOF */
		send_fds(fd, "", 0, fds, 1);
		for (int i = 1; i < nf; i++)
			if (fds[i] != fd && (!mine || fds[i] != mine->memfd))
				close(fds[i]);
		break;
	}
	case 6: /* requests without reading the replies */
		if (ctl_hello(fd))
			break;
		for (int i = 0; i < 2000; i++)
			if (send(fd, i & 1 ? "stats" : "list", i & 1 ? 5 : 4,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				break;
		CNT(ctl_unread, 1);
		break;
	case 7: /* attach and vanish before the reply (with descriptors) arrives */
		if (ctl_hello(fd))
			break;
		snprintf(req, sizeof(req), "attach %s:hv%u slots=%u", swname, rndn(s, 100000),
			 64u << rndn(s, 7));
		send(fd, req, strlen(req), MSG_NOSIGNAL);
		CNT(ctl_msgs, 1);
		break;
	case 8: /* others' ports: attach (in use), detach and stats */
		if (ctl_hello(fd) || !nvictims)
			break;
		{
			const char *v = victims[rndn(s, nvictims)];

			snprintf(req, sizeof(req), "attach %s", v);
			expect_err(fd, req, strlen(req), "EBUSY");
			snprintf(req, sizeof(req), "attach %s slots=100", v);
			expect_err(fd, req, strlen(req), "EINVAL");
			if (!am_root) {
				snprintf(req, sizeof(req), "detach %s", v);
				expect_err(fd, req, strlen(req), "EPERM");
				expect_err(fd, "switch-del vale0", 16, "EPERM");
				snprintf(req, sizeof(req), "tap-add %s:tx", swname);
				expect_err(fd, req, strlen(req), "EPERM");
			}
			snprintf(req, sizeof(req), "stats %s", v);
			ctl_call(fd, req, strlen(req), NULL, 0);
		}
		break;
	case 9: { /* bad and huge attach arguments */
		static const char *const bad[] = {
			"attach", "attach vale0", "attach vale0:", "attach :x", "attach vale0:a:b",
			"attach vale0:aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "attach vale0:x rings=0",
			"attach vale0:x rings=17", "attach vale0:x slots=4097",
			"attach vale0:x slots=32",
			"attach vale0:x buf-size=65600", "attach vale0:x buf-size=255",
			"attach vale0:x vnet-hdr=10", "attach vale0:x mac=ff:ff:ff:ff:ff:ff",
			"attach vale0:x mac=zz", "attach vale0:x mtu=67", "attach vale0:x rings=0x",
			"attach vale0:x slots=99999999999999999999999", "attach vale0:x =",
			"attach vale0:x x", "attach vale0:x@conf:rings=2", "detach",
			"detach vale0:",
			"stats vale0:nope", "switch-add", "switch-del", "hello abi=1",
		};
		const char *q = bad[rndn(s, sizeof(bad) / sizeof(bad[0]))];
		char rep[PTC_MAX_MSG + 2];

		if (ctl_hello(fd))
			break;
		if (ctl_call(fd, q, strlen(q), rep, sizeof(rep)) == 0 && !strncmp(rep, "ok", 2))
			hfail("'%s' was accepted: '%.80s'", q, rep);
		/* The biggest port there is: a limit must refuse it, by name. */
		snprintf(req, sizeof(req), "attach %s:hbig rings=16 slots=4096 buf-size=65536",
			 swname);
		if (ctl_call(fd, req, strlen(req), rep, sizeof(rep)) == 0 &&
		    (!strncmp(rep, "ok", 2) || !strstr(rep, "--max-")))
			hfail("a %u GiB port got '%.120s'", 8, rep);
		break;
	}
	case 10: /* idle connections, some without hello: kept until the round ends */
		for (int i = 0; i < 8 && nidle < sizeof(idle) / sizeof(idle[0]); i++) {
			int c = ctl_connect();

			if (c < 0)
				break;
			if (chance(s, 50))
				send(c, "hello abi=1", 11, MSG_NOSIGNAL);
			idle[nidle++] = c;
			CNT(ctl_conns, 1);
		}
		break;
	case 11: /* half-closed: the request, then no more writing */
		if (ctl_hello(fd))
			break;
		send(fd, "list", 4, MSG_NOSIGNAL);
		shutdown(fd, SHUT_WR);
		r = ctl_recv(fd, buf, sizeof(buf), NULL, 0, NULL, CTL_TIMEOUT_MS);
		if (r == -ETIMEDOUT)
			hfail("ptnetd did not answer a half-closed connection");
		break;
	case 12: /* many tokens that are each fine */
		if (ctl_hello(fd))
			break;
		snprintf(req, sizeof(req), "stats %s %s %s", swname, swname, swname);
		ctl_call(fd, req, strlen(req), NULL, 0);
		break;
	default: /* a valid request, to see ptnetd still answers */
		if (ctl_hello(fd))
			break;
		if (ctl_call(fd, "list", 4, buf, sizeof(buf)) || strncmp(buf, "ok", 2))
			hfail("list failed: '%.80s'", buf);
		break;
	}
	close(fd);
	if (nidle && chance(s, 10)) {
		while (nidle)
			close(idle[--nidle]);
	}
}

/* ------------------------------------------------------------ a round */

enum { END_ORDERLY, END_CLOSE, END_DETACH, END_EXIT, END_KILL };

struct round_plan {
	int cross;
	int end;
	unsigned int dur_ms;
	int close_kicks;
	int close_irqs;
};

/* Until NAME is not in ptnetd's list any more (ptnetd processed its close). */
static void wait_gone(const char *full, unsigned int max_ms)
{
	uint64_t end = now_ms() + max_ms;
	char want[96];

	snprintf(want, sizeof(want), "name=%s ", full);
	for (;;) {
		char buf[PTC_MAX_MSG + 2];
		int fd = ctl_connect(), found = 0, n;

		if (fd < 0 || ctl_hello(fd))
			hfail("cannot talk to ptnetd");
		send(fd, "list", 4, MSG_NOSIGNAL);
		for (;;) {
			n = ctl_recv(fd, buf, sizeof(buf), NULL, 0, NULL, CTL_TIMEOUT_MS);
			if (n == -ETIMEDOUT)
				hfail("ptnetd did not answer list within %d ms", CTL_TIMEOUT_MS);
			if (n <= 0)
				hfail("list: connection lost");
			strcat(buf, " ");
			if (strstr(buf, want))
				found = 1;
			if (strncmp(buf, "rec ", 4))
				break;
		}
		close(fd);
		if (!found)
			return;
		if (now_ms() > end)
			hfail("port %s still listed %u ms after its client left", full, max_ms);
		sleep_us(2000);
	}
}

/* Announce H's MAC (self-addressed frame) and wait until ptnetd took it. */
static void announce(struct hport *h)
{
	struct netmap_slot *x = &h->slot[0][0];
	uint64_t end = now_ms() + 10000;
	uint8_t *b = buf_of(h, x->buf_idx);

	memset(b, 0, h->vh);
	memcpy(b + h->vh, h->mac, 6);
	memcpy(b + h->vh + 6, h->mac, 6);
	b[h->vh + 12] = 0x88;
	b[h->vh + 13] = 0xbb;
	x->len = (uint16_t)(h->vh + 60);
	x->flags = 0;
	ptnet_csb_appl_write(&h->atok[0], 1, 1);
	kick(h, 0);
	while (PTNET_READ_ONCE(h->ktoa[0].hwcur) != 1) {
		if (now_ms() > end)
			hfail("ptnetd did not take %s's first frame within 10 s", h->full);
		sleep_us(500);
	}
	/* Put the buffer back in its normal state. */
	fill_buffer(h, x->buf_idx, &h->seed);
}

static void run_round(uint64_t round, uint64_t seed, const struct round_plan *pl)
{
	struct hport H[2];
	struct hport *a = &H[0], *b = &H[1];	/* cross: a sends to b */
	struct kick_arg ka;
	pthread_t kthr;
	uint64_t s = seed, end;
	char name[2][16];
	struct geom g[2];
	int have_kicker = 0;

	signal(SIGPIPE, SIG_IGN);
	if (!pl->cross)
		__atomic_store_n(&sh->kill_ok, 1, __ATOMIC_RELEASE);
	for (int k = 0; k < 2; k++) {
		snprintf(name[k], sizeof(name[k]), "h%llu%c", (unsigned long long)(round % 1000000),
			 'a' + k);
		pick_geom(&s, &g[k]);
	}
	if (mac_flood || no_vnet)
		g[0].vh = g[1].vh = 0;
	/* b first: in cross rounds it is the destination and must be learned first. */
	if (attach(b, name[1], &g[1], &s) || attach(a, name[0], &g[0], &s)) {
		if (!pl->cross || pl->end == END_KILL)
			__atomic_store_n(&sh->kill_ok, 1, __ATOMIC_RELEASE);
		return;	/* refused by a limit: fine, the next round tries again */
	}
	a->seed = rnd(&s) | 1;
	b->seed = rnd(&s) | 1;
	memcpy(b->hdr_dst, b->mac, 6);
	memcpy(b->hdr_src, b->mac, 6);
	memcpy(a->hdr_dst, pl->cross ? b->mac : a->mac, 6);
	memcpy(a->hdr_src, a->mac, 6);
	fill_pool(a, &s);
	fill_pool(b, &s);
	if (pl->cross)
		announce(b);
	if (!pl->cross)
		__atomic_store_n(&sh->kill_ok, 1, __ATOMIC_RELEASE);
	pipes_blocking(a, &s);
	pipes_blocking(b, &s);
	if (pl->close_irqs) {
		for (unsigned int i = 0; i < b->ntx + b->nrx; i++) {
			close(b->irq[i]);
			b->irq[i] = -1;
		}
		CNT(pipe_ops, 1);
	}
	race_start(a, 0, 0);
	race_start(b, 1, 1);
	ka.p[0] = a;
	ka.p[1] = b;
	ka.np = 2;
	ka.stop = 0;
	ka.close_at_ms = pl->close_kicks ? (int)rndn(&s, pl->dur_ms + 1) : -1;
	ka.seed = rnd(&s);
	if (pthread_create(&kthr, NULL, kicker, &ka) == 0)
		have_kicker = 1;

	end = now_ms() + pl->dur_ms;
	while (now_ms() < end) {
		struct hport *h = chance(&s, 50) ? a : b;

		switch (rndn(&s, 9)) {
		case 0: case_heads(h, &s); break;
		case 1: case_chain(h, &s); break;
		case 2: case_rx_heads(b, &s); break;
		case 3: case_regs(h, &s); break;
		case 4: case_memfd(h, &s); break;
		case 5: case 6: ctl_abuse(&s, h); break;
		case 7: pipes_blocking(h, &s); break;
		default: scribble_payload(h, &s); break;
		}
		CNT(cases, 1);
		sleep_us(rndn(&s, 2000));
	}
	scan_canary(a, "during the round");
	scan_canary(b, "during the round");

	/* In cross rounds a goes first, abruptly, and must be gone before b goes. */
	if (pl->cross) {
		close(a->ctl);
		a->ctl = -1;
		CNT(end_close, 1);
		wait_gone(a->full, 10000);
		race_stop(a);
		scan_canary(a, "after its detach");
		__atomic_store_n(&sh->kill_ok, 1, __ATOMIC_RELEASE);
	}
	switch (pl->end) {
	case END_EXIT:
		/* Threads still running, descriptors open, memory mapped. */
		CNT(end_exit, 1);
		_exit(0);
	case END_KILL:
		/* The parent kills us; keep misbehaving until then. */
		for (;;) {
			case_regs(b, &s);
			sleep_us(1000);
		}
	case END_CLOSE:
		close(b->ctl);
		b->ctl = -1;
		if (!pl->cross) {
			close(a->ctl);
			a->ctl = -1;
		}
		CNT(end_close, 1);
		sleep_us(20000);	/* racing on after the detach */
		wait_gone(b->full, 10000);
		break;
	case END_DETACH: {
		int fd = ctl_connect();
		char req[128], rep[256];

		if (fd < 0 || ctl_hello(fd))
			hfail("cannot talk to ptnetd");
		snprintf(req, sizeof(req), "detach %s", b->full);
		if (ctl_call(fd, req, strlen(req), rep, sizeof(rep)) || strncmp(rep, "ok", 2))
			hfail("detach of our own port %s: '%.100s'", b->full, rep);
		close(fd);
		CNT(end_detach, 1);
		/* ptnetd closes the lifeline */
		if (ctl_recv(b->ctl, rep, sizeof(rep), NULL, 0, NULL, CTL_TIMEOUT_MS) != 0)
			hfail("after detach %s the lifeline is still open", b->full);
		break;
	}
	default:
		CNT(end_orderly, 1);
		break;
	}
	ka.stop = 1;
	race_stop(a);
	race_stop(b);
	if (have_kicker)
		pthread_join(kthr, NULL);
	scan_canary(a, "at the end");
	scan_canary(b, "at the end");
	for (int k = 0; k < 2; k++) {
		struct hport *h = &H[k];

		if (h->ctl >= 0)
			close(h->ctl);
		for (unsigned int i = 0; i < MAXR; i++) {
			if (h->kick[i] >= 0)
				close(h->kick[i]);
			if (h->irq[i] >= 0)
				close(h->irq[i]);
		}
		if (h->mem)
			munmap(h->mem, h->size);
		close(h->memfd);
	}
}

/* ------------------------------------------------------------ the parent */

static int list_ok(unsigned int max_ms)
{
	uint64_t t0 = now_ms();
	char buf[PTC_MAX_MSG + 2];
	int fd = ctl_connect(), n, ok = 0;

	if (fd < 0)
		return 0;
	if (send(fd, "hello abi=1", 11, MSG_NOSIGNAL) > 0 &&
	    ctl_recv(fd, buf, sizeof(buf), NULL, 0, NULL, (int)max_ms) > 0 &&
	    send(fd, "list", 4, MSG_NOSIGNAL) > 0) {
		while ((n = ctl_recv(fd, buf, sizeof(buf), NULL, 0, NULL, (int)max_ms)) > 0)
			if (strncmp(buf, "rec ", 4)) {
				ok = !strncmp(buf, "ok", 2);
				break;
			}
	}
	close(fd);
	return ok && now_ms() - t0 <= max_ms;
}

static void usage(void)
{
	fprintf(stderr, "usage: tb-hostile [-s SWITCH] [-c CANARY] [-t SECONDS] [-n ROUNDS] "
			"[-S SEED] [-u UID] [--victim PORT]... [--no-vnet] [--mac-flood] [-v]\n"
			"       tb-hostile -m kick-flood|close-kicks|close-irqs|csum-race -p NAME "
			"[-s SWITCH] [-t SECONDS]\n");
	exit(2);
}


/* ------------------------------------------------------------ csum-race */

struct csum_race {
	struct hport *d;
	volatile int stop;
	uint64_t writes;
};

static void *csum_racer(void *arg)
{
	struct csum_race *cr = arg;
	struct hport *d = cr->d;
	unsigned int i = d->ntx;	/* RX ring 0 */

	while (!cr->stop) {
		for (uint32_t k = 0; k < d->nslots[i]; k++)
			PTNET_WRITE_ONCE(d->slot[i][k].len, 0xffff);
		cr->writes += d->nslots[i];
	}
	return NULL;
}

/* RFC 1071 sum of P[0..LEN), host-order words, as offload.c computes it. */
static uint16_t inet_csum(const uint8_t *p, uint32_t len)
{
	uint64_t acc = 0;

	for (; len >= 2; p += 2, len -= 2) {
		uint16_t x;

		memcpy(&x, p, 2);
		acc += x;
	}
	if (len)
		acc += *p;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

static int csum_race(const char *pname, double seconds, uint64_t *s)
{
	struct geom gs = { 1, 1, 256, 256, PTNET_DEF_BUF_SIZE, 12, 1500 };
	struct geom gd = { 1, 1, 64, 64, 256, 0, 1500 };
	struct hport hs, hd;
	struct csum_race cr = { .d = &hd };
	char dname[PTC_NAME_MAX + 1];
	uint64_t end, frames = 0, bad = 0, sent = 0;
	pthread_t thr;
	uint32_t rxi, txh = 0;
	int r;

	snprintf(dname, sizeof(dname), "%.14sd", pname);
	if ((r = attach(&hd, dname, &gd, s)) || (r = attach(&hs, pname, &gs, s)))
		tb_die("attach refused: %s", strerror(-r));
	memcpy(hd.hdr_dst, hd.mac, 6);
	memcpy(hd.hdr_src, hd.mac, 6);
	fill_pool(&hd, s);
	announce(&hd);
	rxi = hd.ntx;
	tb_say("READY");
	if (pthread_create(&thr, NULL, csum_racer, &cr))
		tb_die("pthread_create");
	end = now_ms() + (uint64_t)(seconds * 1000);
	while (!tb_stop && now_ms() < end) {
		/* Write only slots this client owns: [txh, hwtail), never pending ones. */
		uint32_t n = hs.nslots[0], hw = txh, k;
		uint32_t t, h;

		/* Up to 32 frames: vnet header, Ethernet, IPv4, UDP, payload. */
		for (k = 0; k < 32 && (hw + k + 1) % n != PTNET_READ_ONCE(hs.ktoa[0].hwtail); k++) {
			struct netmap_slot *x = &hs.slot[0][(hw + k) % n];
			uint8_t *b = buf_of(&hs, x->buf_idx), *e = b + 12;
			uint32_t len = 60 + rndn(s, 180);	/* fits one 256-byte slot */

			memset(b, 0, 12);
			b[0] = 1;		/* NEEDS_CSUM */
			b[6] = 34;		/* csum_start: the UDP header */
			b[8] = 6;		/* csum_offset: its checksum field */
			memcpy(e, hd.mac, 6);
			memcpy(e + 6, hs.mac, 6);
			e[12] = 0x08;
			e[13] = 0x00;
			memset(e + 14, 0, 20);
			e[14] = 0x45;
			e[16] = (uint8_t)((len - 14) >> 8);
			e[17] = (uint8_t)(len - 14);
			e[22] = 64;
			e[23] = 17;
			for (uint32_t j = 34; j < len; j++)
				e[j] = (uint8_t)rnd(s);
			e[40] = e[41] = 0;	/* the field: a zero partial sum */
			x->len = (uint16_t)(12 + len);
			x->flags = 0;
		}
		if (k) {
			txh = (hw + k) % n;
			ptnet_csb_appl_write(&hs.atok[0], txh, txh);
			kick(&hs, 0);
			sent += k;
		}
		/* Take what arrived: its checksum must be the one of its bytes. */
		t = ptnet_load_acquire(&hd.ktoa[rxi].hwtail);
		h = PTNET_READ_ONCE(hd.atok[rxi].head);
		if (h >= hd.nslots[rxi])
			h = 0;
		for (; h != t && t < hd.nslots[rxi]; h = (h + 1) % hd.nslots[rxi]) {
			uint8_t *f = buf_of(&hd, hd.slot[rxi][h].buf_idx);
			uint32_t len = (uint32_t)f[16] << 8 | f[17];
			uint16_t c;

			if (f[12] != 0x08 || len < 46 || len + 14 > hd.bsz)
				continue;	/* padding */
			len += 14;
			frames++;
			c = inet_csum(f + 34, len - 34);
			if (c != 0 && c != 0xffff)
				bad++;
		}
		ptnet_store_release(&hd.atok[rxi].head, t < hd.nslots[rxi] ? t : 0);
		sched_yield();
	}
	cr.stop = 1;
	pthread_join(thr, NULL);
	tb_say("DONE mode=csum-race sent=%llu frames=%llu bad_csum=%llu len_writes=%llu",
	       (unsigned long long)sent, (unsigned long long)frames, (unsigned long long)bad,
	       (unsigned long long)cr.writes);
	return bad ? 1 : 0;
}

/* One behaviour on one port (see -m above). */
static int single(const char *mode, const char *pname, double seconds, uint64_t seed)
{
	static char big[65536];
	struct geom g = { 1, 1, PTNET_DEF_SLOTS, PTNET_DEF_SLOTS, PTNET_DEF_BUF_SIZE, 0, 1500 };
	struct hport h;
	uint64_t s = seed | 1, end, bytes = 0;
	char mac[18];
	int r;

	if (!strcmp(mode, "csum-race"))
		return csum_race(pname, seconds, &s);
	if (strcmp(mode, "kick-flood") && strcmp(mode, "close-kicks") && strcmp(mode, "close-irqs"))
		usage();
	r = attach(&h, pname, &g, &s);
	if (r)
		tb_die("attach %s:%s refused: %s", swname, pname, strerror(-r));
	ptc_format_mac(h.mac, mac);
	if (!strcmp(mode, "close-kicks")) {
		for (unsigned int i = 0; i < h.ntx + h.nrx; i++) {
			close(h.kick[i]);
			h.kick[i] = -1;
		}
	} else if (!strcmp(mode, "close-irqs")) {
		for (unsigned int i = 0; i < h.ntx + h.nrx; i++) {
			close(h.irq[i]);
			h.irq[i] = -1;
			PTNET_WRITE_ONCE(h.atok[i].appl_need_kick, 1);
		}
	} else {
		fcntl(h.kick[0], F_SETFL, fcntl(h.kick[0], F_GETFL) & ~O_NONBLOCK);
		memset(big, 'k', sizeof(big));
	}
	tb_say("READY mac=%s", mac);
	end = now_ms() + (uint64_t)(seconds * 1000);
	while (!tb_stop && now_ms() < end) {
		if (!strcmp(mode, "kick-flood")) {
			ssize_t w = write(h.kick[0], big, sizeof(big));

			if (w < 0 && errno != EINTR)
				tb_die("kick write: %s", strerror(errno));
			bytes += w > 0 ? (uint64_t)w : 0;
		} else {
			sleep_us(20000);
		}
	}
	tb_say("DONE mode=%s kick_bytes=%llu", mode, (unsigned long long)bytes);
	close(h.ctl);
	munmap(h.mem, h.size);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "victim", required_argument, NULL, 1 },
		{ "mac-flood", no_argument, NULL, 2 },
		{ "no-vnet", no_argument, NULL, 3 },
		{ NULL, 0, NULL, 0 },
	};
	const char *mode = NULL, *pname = NULL;
	double seconds = 30;
	uint64_t max_rounds = 0, seed = 0, s, deadline, round;
	long uid = -1;
	int c, rc = 0;

	tb_prog = "tb-hostile";
	while ((c = getopt_long(argc, argv, "s:c:t:n:S:u:vm:p:", lo, NULL)) != -1) {
		switch (c) {
		case 's': swname = optarg; break;
		case 'm': mode = optarg; break;
		case 'p': pname = optarg; break;
		case 'c':
			if (strlen(optarg) != 32)
				usage();
			for (int i = 0; i < 16; i++) {
				unsigned int v;

				if (sscanf(optarg + 2 * i, "%2x", &v) != 1)
					usage();
				canary[i] = (uint8_t)v;
			}
			have_canary = 1;
			break;
		case 't': seconds = strtod(optarg, NULL); break;
		case 'n': max_rounds = strtoull(optarg, NULL, 0); break;
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		case 'u': uid = strtol(optarg, NULL, 0); break;
		case 'v': verbose = 1; break;
		case 1:
			if (nvictims == sizeof(victims) / sizeof(victims[0]))
				usage();
			victims[nvictims++] = optarg;
			break;
		case 2: mac_flood = 1; break;
		case 3: no_vnet = 1; break;
		default: usage();
		}
	}
	if (optind != argc || !ptc_valid_ident(swname, strlen(swname)))
		usage();
	sock_path = ptnet_socket_path();
	if (uid >= 0) {
		gid_t gid = (gid_t)uid;

		if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid((uid_t)uid) < 0)
			tb_die("cannot become uid %ld: %s", uid, strerror(errno));
	}
	am_root = geteuid() == 0;
	if (!seed)
		seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	s = seed | 1;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		tb_die("mmap: %s", strerror(errno));
	memset(sh, 0, sizeof(*sh));
	signal(SIGPIPE, SIG_IGN);
	tb_signals();
	if (mode || pname) {
		if (!mode || !pname || !ptc_valid_ident(pname, strlen(pname)))
			usage();
		return single(mode, pname, seconds, seed);
	}
	tb_say("START seed=%llu uid=%u switch=%s", (unsigned long long)seed,
	       (unsigned int)geteuid(), swname);

	deadline = now_ms() + (uint64_t)(seconds * 1000);
	for (round = 0; !tb_stop && now_ms() < deadline && (!max_rounds || round < max_rounds);
	     round++) {
		struct round_plan pl;
		uint64_t rseed = rnd(&s), t0, kill_at = 0;
		int status = 0, killed = 0;
		pid_t pid;

		pl.cross = mac_flood ? 0 : chance(&s, 50);
		pl.dur_ms = 100 + rndn(&s, 700);
		pl.close_kicks = chance(&s, 10);
		pl.close_irqs = chance(&s, 15);
		{
			unsigned int k = rndn(&s, 100);

			pl.end = k < 10 ? END_ORDERLY : k < 35 ? END_CLOSE : k < 55 ? END_DETACH :
				 k < 80 ? END_EXIT : END_KILL;
		}
		__atomic_store_n(&sh->kill_ok, 0, __ATOMIC_RELEASE);
		pid = fork();
		if (pid < 0)
			tb_die("fork: %s", strerror(errno));
		if (pid == 0) {
			run_round(round, rseed, &pl);
			_exit(0);
		}
		CNT(rounds, 1);
		CNT(cross_rounds, pl.cross);
		CNT(self_rounds, !pl.cross);
		t0 = now_ms();
		if (pl.end == END_KILL)
			kill_at = rndn(&s, pl.dur_ms + 200);
		for (;;) {
			pid_t w = waitpid(pid, &status, WNOHANG);

			if (w == pid)
				break;
			if (pl.end == END_KILL && !killed &&
			    __atomic_load_n(&sh->kill_ok, __ATOMIC_ACQUIRE) &&
			    now_ms() - t0 >= kill_at) {
				kill(pid, SIGKILL);
				killed = 1;
				CNT(end_kill, 1);
			}
			if (now_ms() - t0 > pl.dur_ms + 60000) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				snprintf(sh->fail, sizeof(sh->fail), "round %llu stuck for 60 s",
					 (unsigned long long)round);
				sh->failed = 1;
				break;
			}
			sleep_us(1000);
		}
		if (sh->failed)
			break;
		if (WIFSIGNALED(status) && !(killed && WTERMSIG(status) == SIGKILL)) {
			snprintf(sh->fail, sizeof(sh->fail), "round %llu died of signal %d",
				 (unsigned long long)round, WTERMSIG(status));
			sh->failed = 1;
			break;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status)) {
			if (!sh->failed)
				snprintf(sh->fail, sizeof(sh->fail), "round %llu exit %d",
					 (unsigned long long)round, WEXITSTATUS(status));
			sh->failed = 1;
			break;
		}
		if (!list_ok(CTL_TIMEOUT_MS)) {
			snprintf(sh->fail, sizeof(sh->fail), "ptnetd did not answer list within "
				 "%d ms after round %llu", CTL_TIMEOUT_MS,
				 (unsigned long long)round);
			sh->failed = 1;
			break;
		}
		if (verbose)
			tb_log("round %llu %s end=%d %u ms ok", (unsigned long long)round,
			       pl.cross ? "cross" : "self", pl.end, pl.dur_ms);
	}
	{
		uint64_t ops = sh->slot_ops + sh->head_ops + sh->csb_ops + sh->reg_ops +
			       sh->chain_ops + sh->valid_bursts + sh->kick_writes + sh->pipe_ops +
			       sh->memfd_ops + sh->ctl_msgs + sh->ctl_fd_msgs + sh->ctl_conns;

		printf("HOSTILE %s rounds=%llu cross=%llu self=%llu attaches=%llu refused=%llu "
		       "cases=%llu ops=%llu slot=%llu head=%llu csb=%llu regs=%llu chains=%llu "
		       "bursts=%llu kicks=%llu kick_bytes=%llu pipe=%llu memfd=%llu ctl_msgs=%llu "
		       "ctl_fd_msgs=%llu ctl_conns=%llu ctl_unread=%llu end_close=%llu "
		       "end_detach=%llu end_exit=%llu end_kill=%llu end_orderly=%llu scans=%llu "
		       "scanned_mib=%llu\n",
		       sh->failed ? "FAIL" : "ok", (unsigned long long)sh->rounds,
		       (unsigned long long)sh->cross_rounds, (unsigned long long)sh->self_rounds,
		       (unsigned long long)sh->attaches, (unsigned long long)sh->attach_refused,
		       (unsigned long long)sh->cases, (unsigned long long)ops,
		       (unsigned long long)sh->slot_ops, (unsigned long long)sh->head_ops,
		       (unsigned long long)sh->csb_ops, (unsigned long long)sh->reg_ops,
		       (unsigned long long)sh->chain_ops, (unsigned long long)sh->valid_bursts,
		       (unsigned long long)sh->kick_writes, (unsigned long long)sh->kick_bytes,
		       (unsigned long long)sh->pipe_ops, (unsigned long long)sh->memfd_ops,
		       (unsigned long long)sh->ctl_msgs, (unsigned long long)sh->ctl_fd_msgs,
		       (unsigned long long)sh->ctl_conns, (unsigned long long)sh->ctl_unread,
		       (unsigned long long)sh->end_close, (unsigned long long)sh->end_detach,
		       (unsigned long long)sh->end_exit, (unsigned long long)sh->end_kill,
		       (unsigned long long)sh->end_orderly, (unsigned long long)sh->scans,
		       (unsigned long long)(sh->scanned_bytes >> 20));
		if (sh->failed) {
			printf("HOSTILE FAIL %s\n", sh->fail);
			rc = 1;
		}
		fflush(stdout);
	}
	return rc;
}
