// SPDX-License-Identifier: BSD-2-Clause
/*
 * tb-churn - RX byte checking against senders that die, fork and lose
 * their descriptors mid-traffic, and a client that punches holes in its
 * own port region.  For tests/integ/86-churn-rx-check.sh and
 * tests/integ/87-punch-hole.sh.
 *
 *   tb-churn recv -p PORT [--count] [--slow N]
 *   tb-churn send -s SWITCH -d DSTMAC -i ID -r ROUNDS [-S SEED]
 *   tb-churn punch -s SWITCH -n NAME -d DSTMAC [-t SECONDS]
 *
 * recv (libptnet) announces itself once (a broadcast), prints READY, then
 * checks every slot ptnetd publishes until SIGTERM (then drains for 300 ms
 * of quiet).  A slot it has consumed gets its buffer filled with FILL
 * before it is released: only slots between head and tail, which the client
 * owns.  (A receiver that refilled a buffer after releasing its slot would
 * race ptnetd itself: ptnetd may already be copying the next frame into it,
 * and the receiver would later see its own pattern under a len that ptnetd
 * did write.  That is the receiver-side way to get "len larger than what
 * ptnetd wrote"; this receiver never does it.)  So a published slot whose
 * bytes are still FILL was published without being written.  Every packet
 * must be a test frame (tb.h) addressed to this port, intact, with the
 * length of its slots, and in order per stream (gaps allowed: senders
 * die).  Of the packets taken in one pass half are released at once, the
 * rest one by one.  Padding slots (len 0) are counted.  --count only counts packets
 * (for traffic from a client that scribbles on its own TX ring).  --slow N:
 * after every N packets stop reading for 2 ms, so that the ring fills.
 * Prints "RECV ok packets=N bytes=B padding=P" and exits 0, or
 * "RECV FAIL ..." and exits 1.
 *
 * send runs ROUNDS rounds, one child process each; the child attaches
 * SWITCH:cID_K itself (raw control protocol, so that it owns every
 * descriptor: memfd, kick and irq pipes, the connection), sends test
 * frames (60..1500 bytes, stream id ID*64+K) to DSTMAC and, after a number
 * of frames drawn from SEED, ends in one of these ways:
 *   0  closes its kick and irq pipes, sends on, closes the memfd (the
 *      mapping stays), sends on, closes the connection (ptnetd detaches
 *      the port under traffic) and keeps writing the ring for a while;
 *   1  forks; the parent exits at once, the child (holding every
 *      descriptor) sends on, then closes them all and sends on;
 *   2  forks; the child exits at once, the parent sends on and exits with
 *      frames in flight;
 *   3  tells the driver it is mid-traffic and keeps sending; the driver
 *      SIGKILLs it on that message;
 *   4  forks; the parent closes all its descriptors and sends on through
 *      the mapping while the child holds the port; the child exits when
 *      the parent is done.
 * Only one process writes the ring at any time, so every frame ptnetd
 * takes is whole.  Every child is bounded (alarm) and the driver reaps it
 * and waits until ptnetd no longer lists its port before the next round.
 * Prints "CHURN done rounds=N frames=F" and exits 0.
 *
 * punch attaches SWITCH:NAME itself, remembers the layout, and then for
 * SECONDS (or until SIGTERM) runs three threads: one punches holes over
 * the whole region (fallocate PUNCH_HOLE|KEEP_SIZE, 0..size) in a loop,
 * one sends test frames to DSTMAC through its TX ring (rewriting each
 * slot's buf_idx from its own copy, since the ring may be zeros now), one
 * keeps releasing its RX ring (head = hwtail) so that ptnetd writes into
 * it.  Prints "READY mac=..." when attached and "PUNCH done punches=N
 * frames=F" at the end.  Content sent this way may be torn (the client
 * races ptnetd on its own ring after a hole wipes the CSB); receive it with
 * recv --count.
 */
#include <fcntl.h>
#include <getopt.h>
#include <linux/falloc.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <ptnet/ring.h>
#include "tb.h"

#define FILL		0xa5	/* multicast bit set: never a unicast MAC's first byte */
#define MAXSTREAMS	4096
#define RX_BUF_SIZE	256

/* ------------------------------------------------------------ recv */

static uint64_t next_seq[MAXSTREAMS];
static uint8_t seen_stream[MAXSTREAMS];

__attribute__((noreturn)) static void rfail(const char *fmt, ...)
{
	va_list ap;

	printf("RECV FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(1);
}

static int do_recv(int argc, char **argv)
{
	static const struct option lo[] = { { "count", no_argument, NULL, 1 },
					    { "slow", required_argument, NULL, 2 },
					    { NULL, 0, NULL, 0 } };
	static uint8_t f[TB_MAX_FRAME + 1];
	const char *name = NULL;
	struct ptnet_port *port;
	const struct ptnet_port_info *in;
	uint64_t packets = 0, bytes = 0, padding = 0, quiet_since = 0;
	uint32_t bounds[1024];	/* end slot of each packet taken in this pass */
	unsigned int slow = 0, nb = 0;
	int c, count_only = 0;

	while ((c = getopt_long(argc, argv, "p:", lo, NULL)) != -1) {
		switch (c) {
		case 'p': name = optarg; break;
		case 1: count_only = 1; break;
		case 2: slow = (unsigned int)strtoul(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (!name)
		return 2;
	tb_signals();
	if (ptnet_port_open(name, NULL, &port) < 0)
		tb_die("cannot open %s: %s", name, ptnet_errmsg());
	in = ptnet_port_info(port);
	/* Fill every RX buffer first: before their first pass they are ours too. */
	for (unsigned int i = 0; i < in->rx_rings; i++) {
		struct netmap_ring *r = ptnet_port_rxring(port, i);

		for (uint32_t k = 0; k < r->num_slots; k++)
			memset(NETMAP_BUF(r, r->slot[k].buf_idx), FILL, r->nr_buf_size);
	}
	{
		struct netmap_ring *t = ptnet_port_txring(port, 0);
		uint8_t h[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
		char mac[18];

		memcpy(h + 6, in->mac, 6);
		h[12] = TB_ETH_HELLO >> 8;
		h[13] = TB_ETH_HELLO & 0xff;
		tb_put32(h + 14, TB_MAGIC_HELLO);
		tb_tx_put(t, h, sizeof(h));
		if (ptnet_txsync(port, 0) < 0)
			tb_die("txsync: %s", ptnet_errmsg());
		ptc_format_mac(in->mac, mac);
		tb_say("READY mac=%s rx_slots=%u buf_size=%u", mac, in->rx_slots, in->buf_size);
	}
	for (;;) {
		unsigned int got = 0;

		for (unsigned int ri = 0; ri < in->rx_rings; ri++) {
			struct netmap_ring *r = ptnet_port_rxring(port, ri);

			if (ptnet_rxsync(port, ri) < 0)
				tb_die("rxsync: %s", ptnet_errmsg());
			while (r->cur != r->tail) {
				uint32_t i = r->cur, len = 0, nsl = 0, first = r->cur;
				int done = 0;

				/* One packet: its chain of slots, all before tail. */
				while (i != r->tail) {
					struct netmap_slot *s = &r->slot[i];
					uint8_t *b = (uint8_t *)NETMAP_BUF(r, s->buf_idx);

					if (s->len > r->nr_buf_size)
						rfail("slot %u len %u > buffer %u", i, s->len,
						      r->nr_buf_size);
					memcpy(f + len, b, s->len);
					len += s->len;
					nsl++;
					i = nm_ring_next(r, i);
					if (!(s->flags & NS_MOREFRAG)) {
						done = 1;
						break;
					}
					if (nsl > NETMAP_MAX_FRAGS)
						rfail("chain longer than %d slots", NETMAP_MAX_FRAGS);
				}
				if (!done)
					rfail("chain at slot %u cut by tail %u", first, r->tail);
				if (len == 0) {
					padding++;
				} else if (!count_only) {
					uint32_t bad_at = 0, id;
					const char *why;
					uint64_t seq;

					if (memcmp(f, in->mac, 6))
						rfail("packet at slot %u (ring %u, head %u tail %u, len "
						      "%u, %u slots) is not addressed to us: byte 0 = "
						      "0x%02x%s", first, ri, r->head, r->tail, len, nsl,
						      f[0], f[0] == FILL ? ", our fill pattern: "
						      "published but not written by ptnetd" : "");
					why = tb_verify(f, len, &bad_at);
					if (why)
						rfail("packet at slot %u (ring %u, head %u tail %u, len "
						      "%u, %u slots): %s at byte %u (0x%02x%s)", first, ri,
						      r->head, r->tail, len, nsl, why, bad_at, f[bad_at],
						      f[bad_at] == FILL ? ", maybe our fill pattern" : "");
					id = tb_get16(f + 18);
					seq = tb_get64(f + 26);
					if (id >= MAXSTREAMS)
						rfail("stream id %u", id);
					if (seen_stream[id] && seq < next_seq[id])
						rfail("stream %u: seq %llu after %llu (duplicate or "
						      "reordered)", id, (unsigned long long)seq,
						      (unsigned long long)next_seq[id] - 1);
					seen_stream[id] = 1;
					next_seq[id] = seq + 1;
				}
				if (len) {
					packets++;
					bytes += len;
				}
				/* Ours until released: fill, then move head over them. */
				for (uint32_t k = first; k != i; k = nm_ring_next(r, k))
					memset(NETMAP_BUF(r, r->slot[k].buf_idx), FILL,
					       r->nr_buf_size);
				bounds[nb++] = i;
				r->cur = i;	/* checked, filled, not yet released */
				got++;
				if (nb == sizeof(bounds) / sizeof(bounds[0]))
					break;
			}
			/*
			 * Release half of what was taken at once (one forwarder gets
			 * a long lease and copies for a while), then the rest one
			 * packet at a time (other forwarders get short leases while
			 * it copies, often too short for their first packet): the
			 * overlapping, short-ending leases that lease completion
			 * must get right.
			 */
			for (unsigned int k = nb / 2; nb && k < nb; k++) {
				r->head = bounds[k];
				if (ptnet_rxsync(port, ri) < 0)
					tb_die("rxsync: %s", ptnet_errmsg());
				if (k > nb / 2)
					sched_yield();
			}
			nb = 0;
			if (ptnet_rxsync(port, ri) < 0)
				tb_die("rxsync: %s", ptnet_errmsg());
		}
		if (got) {
			quiet_since = 0;
			if (slow && packets % slow < got) {
				struct timespec ts = { 0, 2 * 1000 * 1000 };

				nanosleep(&ts, NULL);
			}
			continue;
		}
		if (tb_stop) {
			if (!quiet_since)
				quiet_since = tb_now_ms();
			else if (tb_now_ms() - quiet_since > 300)
				break;
		}
		if (ptnet_port_wait(port, PTNET_WAIT_RX, 20) < 0 && !tb_stop)
			tb_die("wait: %s", ptnet_errmsg());
	}
	printf("RECV ok packets=%llu bytes=%llu padding=%llu\n", (unsigned long long)packets,
	       (unsigned long long)bytes, (unsigned long long)padding);
	fflush(stdout);
	ptnet_port_close(port);
	return 0;
}

/* ------------------------------------------------------------ raw port */

struct raw {
	char full[64];
	int ctl, memfd, kick, irq_tx, irq_rx;
	uint8_t *mem;
	size_t size;
	struct netmap_slot *txs, *rxs;
	struct nm_csb_atok *tx_atok, *rx_atok;
	struct nm_csb_ktoa *tx_ktoa, *rx_ktoa;
	uint32_t ntx, nrx, bsz, *txbuf, *rxbuf;
	uint8_t *bufs, mac[6];
	uint32_t head;		/* our TX head (private) */
};

static const char *sock_path;
static int always_kick;	/* punch: a hole clears kern_need_kick, so kick anyway */

static uint32_t reg(const uint8_t *m, unsigned int off)
{
	return *(const uint32_t *)(m + PTNET_REGS_BASE + off);
}

/* Attach FULL with one ring pair; die on any failure. */
static void raw_attach(struct raw *p, const char *full, uint32_t tx_slots, uint32_t rx_slots)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char rep[PTC_MAX_MSG + 1], req[256];
	union {
		char b[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr a;
	} cb;
	struct iovec iov = { .iov_base = rep, .iov_len = sizeof(rep) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.b,
			     .msg_controllen = sizeof(cb.b) };
	int fds[8], nfds = 0;
	struct pollfd pfd;
	unsigned long long size;
	struct netmap_if *nifp;
	struct netmap_ring *tr, *rr;
	ssize_t n;

	memset(p, 0, sizeof(*p));
	snprintf(p->full, sizeof(p->full), "%s", full);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	p->ctl = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (p->ctl < 0 || connect(p->ctl, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		tb_die("connect %s: %s", sock_path, strerror(errno));
	snprintf(req, sizeof(req), "hello abi=%u", PTNET_ABI_VERSION);
	if (send(p->ctl, req, strlen(req), MSG_NOSIGNAL) < 0 ||
	    recv(p->ctl, rep, sizeof(rep) - 1, 0) <= 0)
		tb_die("hello failed");
	snprintf(req, sizeof(req), "attach %s rings=1 tx-slots=%u rx-slots=%u", full, tx_slots,
		 rx_slots);
	if (send(p->ctl, req, strlen(req), MSG_NOSIGNAL) < 0)
		tb_die("attach: %s", strerror(errno));
	pfd.fd = p->ctl;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1)
		tb_die("attach %s: no reply", full);
	n = recvmsg(p->ctl, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		tb_die("attach %s: connection lost", full);
	rep[n] = '\0';
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int) &&
					   nfds < 8; i++)
				memcpy(&fds[nfds++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
	if (sscanf(rep, "ok size=%llu", &size) != 1 || nfds != 5)
		tb_die("attach %s: '%s' with %d descriptors", full, rep, nfds);
	p->memfd = fds[0];
	p->kick = fds[1];	/* TX ring's kick; fds[2] is the RX ring's */
	close(fds[2]);
	p->irq_tx = fds[3];
	p->irq_rx = fds[4];
	p->size = (size_t)size;
	p->mem = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_SHARED, p->memfd, 0);
	if (p->mem == MAP_FAILED)
		tb_die("mmap: %s", strerror(errno));
	/* The layout, read once: a punched region reads as zeros later. */
	nifp = (struct netmap_if *)(p->mem + reg(p->mem, PTNET_IO_NIFP_OFS));
	tr = (struct netmap_ring *)((uint8_t *)nifp + nifp->ring_ofs[0]);
	rr = (struct netmap_ring *)((uint8_t *)nifp + nifp->ring_ofs[1]);
	p->txs = tr->slot;
	p->rxs = rr->slot;
	p->ntx = tr->num_slots;
	p->nrx = rr->num_slots;
	p->bsz = reg(p->mem, PTNET_IO_X_BUF_SIZE);
	p->bufs = p->mem + reg(p->mem, PTNET_IO_X_BUF_OFS);
	p->tx_atok = (struct nm_csb_atok *)(p->mem + reg(p->mem, PTNET_IO_X_CSB_ATOK_OFS));
	p->rx_atok = p->tx_atok + 1;
	p->tx_ktoa = (struct nm_csb_ktoa *)(p->mem + reg(p->mem, PTNET_IO_X_CSB_KTOA_OFS));
	p->rx_ktoa = p->tx_ktoa + 1;
	p->txbuf = calloc(p->ntx, sizeof(uint32_t));
	p->rxbuf = calloc(p->nrx, sizeof(uint32_t));
	if (!p->txbuf || !p->rxbuf)
		tb_die("out of memory");
	for (uint32_t k = 0; k < p->ntx; k++)
		p->txbuf[k] = p->txs[k].buf_idx;
	for (uint32_t k = 0; k < p->nrx; k++)
		p->rxbuf[k] = p->rxs[k].buf_idx;
	{
		uint32_t lo = reg(p->mem, PTNET_IO_MAC_LO), hi = reg(p->mem, PTNET_IO_MAC_HI);
		uint8_t mac[6] = { (uint8_t)(hi >> 8), (uint8_t)hi, (uint8_t)(lo >> 24),
				   (uint8_t)(lo >> 16), (uint8_t)(lo >> 8), (uint8_t)lo };

		memcpy(p->mac, mac, 6);
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Free TX slots by ptnetd's account (ktoa), or 0 if what it says makes no sense. */
static uint32_t raw_space(const struct raw *p)
{
	uint32_t hwtail = ptnet_load_acquire(&p->tx_ktoa->hwtail);

	if (hwtail >= p->ntx)
		return 0;
	return ptnet_idx_dist(p->head, hwtail, p->ntx);
}

/*
 * Send up to N frames of stream ID (from *SEQ on) to DST; waits at most
 * WAIT_MS in all for ring space.  Returns the frames published.
 */
static uint64_t raw_send(struct raw *p, const uint8_t dst[6], unsigned int id, uint64_t *seq,
			 uint64_t n, unsigned int wait_ms)
{
	static uint8_t f[2048];
	uint64_t sent = 0, end = tb_now_ms() + wait_ms;

	while (sent < n) {
		uint32_t space = raw_space(p), len = 60 + (uint32_t)(tb_mix(*seq) % 1441);
		uint32_t batch = 0;

		while (batch < 32 && batch < space && sent < n) {
			struct netmap_slot *s = &p->txs[p->head];

			s->buf_idx = p->txbuf[p->head];
			tb_build(f, len, dst, p->mac, id, 0, *seq);
			memcpy(p->bufs + (size_t)s->buf_idx * p->bsz, f, len);
			s->len = (uint16_t)len;
			s->flags = 0;
			p->head = p->head + 1 == p->ntx ? 0 : p->head + 1;
			(*seq)++;
			sent++;
			batch++;
			len = 60 + (uint32_t)(tb_mix(*seq) % 1441);
		}
		if (batch) {
			ptnet_csb_appl_write(p->tx_atok, p->head, p->head);	/* A1 */
			if (p->kick >= 0 && (ptnet_csb_appl_need_kick(p->tx_ktoa) || always_kick)) {
				char one = 1;
				ssize_t w = write(p->kick, &one, 1);

				(void)w;
			}
			continue;
		}
		if (tb_now_ms() > end)
			break;
		if (p->irq_tx >= 0) {
			struct pollfd pfd = { .fd = p->irq_tx, .events = POLLIN };
			char buf[64];

			ptnet_csb_appl_enable(p->tx_atok, p->tx_ktoa);
			if (poll(&pfd, 1, 5) > 0) {
				ssize_t r = read(p->irq_tx, buf, sizeof(buf));

				(void)r;
			}
			ptnet_csb_appl_disable(p->tx_atok);
		} else {
			struct timespec ts = { 0, 500 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	return sent;
}

/* ------------------------------------------------------------ send (churn) */

static int wait_unlisted(const char *full, unsigned int max_ms)
{
	uint64_t end = tb_now_ms() + max_ms;

	for (;;) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		char status[256], req[128];
		int fd = ptnet_ctl_open(), found;

		if (fd < 0)
			return -1;
		snprintf(req, sizeof(req), "stats %s", full);
		found = ptnet_ctl_call(fd, req, NULL, NULL, status, sizeof(status)) == 0;
		ptnet_ctl_close(fd);
		if (!found)
			return 0;
		if (tb_now_ms() > end)
			return -1;
		nanosleep(&ts, NULL);
	}
}

static void churn_child(const char *full, const uint8_t dst[6], unsigned int id, uint64_t seed,
			int note_fd)
{
	struct raw p;
	uint64_t seq = 0, k = 200 + tb_mix(seed) % 3000;
	unsigned int how = (unsigned int)(tb_mix(seed ^ 0x55) % 5);

	alarm(15);	/* bounded whatever happens */
	raw_attach(&p, full, 512, 64);
	raw_send(&p, dst, id, &seq, k, 500);
	switch (how) {
	case 0:
		close_fd(&p.kick);
		close_fd(&p.irq_tx);
		close_fd(&p.irq_rx);
		raw_send(&p, dst, id, &seq, 500, 100);
		close_fd(&p.memfd);
		raw_send(&p, dst, id, &seq, 500, 100);
		close_fd(&p.ctl);	/* ptnetd detaches the port now */
		raw_send(&p, dst, id, &seq, 2000, 100);
		break;
	case 1:
		if (fork() > 0)
			_exit(0);
		alarm(15);	/* not inherited */
		raw_send(&p, dst, id, &seq, 1000, 200);
		close_fd(&p.kick);
		close_fd(&p.irq_tx);
		close_fd(&p.irq_rx);
		close_fd(&p.memfd);
		close_fd(&p.ctl);
		raw_send(&p, dst, id, &seq, 1000, 100);
		break;
	case 2: {
		pid_t c = fork();

		if (c == 0)
			_exit(0);
		raw_send(&p, dst, id, &seq, 1000, 200);
		waitpid(c, NULL, 0);
		_exit(0);	/* frames in flight */
	}
	case 3: {
		char one = 1;

		if (write(note_fd, &one, 1) != 1)
			_exit(1);
		for (;;)
			raw_send(&p, dst, id, &seq, 1000, 100);
	}
	case 4: {
		int go[2];
		pid_t c;

		if (pipe(go) < 0)
			_exit(1);
		c = fork();
		if (c == 0) {
			char b;

			alarm(15);
			close(go[1]);
			if (read(go[0], &b, 1) < 0)	/* EOF: the parent is done */
				_exit(1);
			_exit(0);
		}
		close(go[0]);
		close_fd(&p.kick);
		close_fd(&p.irq_tx);
		close_fd(&p.irq_rx);
		close_fd(&p.memfd);
		close_fd(&p.ctl);
		raw_send(&p, dst, id, &seq, 2000, 200);
		close(go[1]);
		waitpid(c, NULL, 0);
		break;
	}
	}
	_exit(0);
}

static int do_send(int argc, char **argv)
{
	const char *swname = NULL;
	uint8_t dst[6];
	unsigned int id = 1, rounds = 10;
	uint64_t seed = 1;
	int c, have_dst = 0;

	while ((c = getopt(argc, argv, "s:d:i:r:S:")) != -1) {
		switch (c) {
		case 's': swname = optarg; break;
		case 'd': have_dst = !ptc_parse_mac(optarg, dst); break;
		case 'i': id = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'r': rounds = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'S': seed = strtoull(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (!swname || !have_dst || id >= MAXSTREAMS / 64 || rounds > 64)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	for (unsigned int k = 0; k < rounds; k++) {
		char full[64];
		int note[2], status;
		pid_t pid;

		snprintf(full, sizeof(full), "%s:c%u_%u", swname, id, k);
		if (pipe(note) < 0)
			tb_die("pipe: %s", strerror(errno));
		pid = fork();
		if (pid < 0)
			tb_die("fork: %s", strerror(errno));
		if (pid == 0) {
			close(note[0]);
			churn_child(full, dst, id * 64 + k, seed * 1000003 + k, note[1]);
		}
		close(note[1]);
		{
			/* Case 3 says "mid-traffic": kill it then.  EOF: it ended itself. */
			struct pollfd pfd = { .fd = note[0], .events = POLLIN };
			char b;

			if (poll(&pfd, 1, 20000) == 1 && read(note[0], &b, 1) == 1)
				kill(pid, SIGKILL);
		}
		close(note[0]);
		if (waitpid(pid, &status, 0) < 0)
			tb_die("waitpid: %s", strerror(errno));
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			tb_die("round %u: child failed (%d)", k, WEXITSTATUS(status));
		if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
			tb_die("round %u: child died of signal %d", k, WTERMSIG(status));
		/* A forked survivor may hold the port a little longer. */
		if (wait_unlisted(full, 20000) < 0)
			tb_die("round %u: %s still attached after 20 s", k, full);
	}
	tb_say("CHURN done rounds=%u", rounds);
	return 0;
}

/* ------------------------------------------------------------ punch */

static struct raw pp;
static volatile int punch_stop;
static uint64_t punches, punch_frames;

static void *puncher(void *arg)
{
	(void)arg;
	while (!punch_stop && !tb_stop) {
		if (fallocate(pp.memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			      (off_t)pp.size) < 0)
			tb_die("punch: %s", strerror(errno));
		__atomic_fetch_add(&punches, 1, __ATOMIC_RELAXED);
		sched_yield();
	}
	return NULL;
}

/*
 * Keep releasing the RX ring so that ptnetd writes into it.  A hole wipes
 * the slots (buf_idx 0) and ktoa, so put the buffers back from our own
 * copy and, since hwtail cannot be trusted, step head one slot at a time
 * around the ring; ptnetd takes it whenever it lies in [hwcur, hwtail] and
 * drops with drop_bad_ring while it does not.
 */
static void *rx_releaser(void *arg)
{
	uint32_t head = 0;

	(void)arg;
	while (!punch_stop && !tb_stop) {
		struct timespec ts = { 0, 20 * 1000 };

		for (uint32_t k = 0; k < pp.nrx; k++)
			PTNET_WRITE_ONCE(pp.rxs[k].buf_idx, pp.rxbuf[k]);
		head = head + 1 == pp.nrx ? 0 : head + 1;
		ptnet_csb_appl_write(pp.rx_atok, head, head);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static int do_punch(int argc, char **argv)
{
	const char *swname = NULL, *name = NULL;
	uint8_t dst[6];
	double secs = 10;
	int c, have_dst = 0;
	pthread_t t1, t2;
	uint64_t seq = 0, end;
	char full[64], mac[18];

	while ((c = getopt(argc, argv, "s:n:d:t:")) != -1) {
		switch (c) {
		case 's': swname = optarg; break;
		case 'n': name = optarg; break;
		case 'd': have_dst = !ptc_parse_mac(optarg, dst); break;
		case 't': secs = strtod(optarg, NULL); break;
		default: return 2;
		}
	}
	if (!swname || !name || !have_dst || !(secs > 0) || secs > 60)
		return 2;
	tb_signals();
	always_kick = 1;
	snprintf(full, sizeof(full), "%s:%s", swname, name);
	raw_attach(&pp, full, 256, 256);
	ptc_format_mac(pp.mac, mac);
	tb_say("READY mac=%s size=%zu", mac, pp.size);
	/* A first frame before any hole, so that the switch learns this port. */
	raw_send(&pp, dst, 4000, &seq, 1, 1000);
	if (pthread_create(&t1, NULL, puncher, NULL) || pthread_create(&t2, NULL, rx_releaser, NULL))
		tb_die("pthread_create");
	end = tb_now_ms() + (uint64_t)(secs * 1000);
	while (!tb_stop && tb_now_ms() < end) {
		/*
		 * After a hole the CSB reads as zeros: hwtail 0 makes raw_space
		 * small or wrong; the sender must not wait for it, just go on.
		 */
		uint64_t n = raw_send(&pp, dst, 4000, &seq, 64, 2);

		__atomic_fetch_add(&punch_frames, n, __ATOMIC_RELAXED);
		if (!n) {
			/* No room by ptnetd's account: take it anyway, now and then. */
			pp.head = (pp.head + 1) % pp.ntx;
			ptnet_csb_appl_write(pp.tx_atok, pp.head, pp.head);
		}
	}
	punch_stop = 1;
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	tb_say("PUNCH done punches=%llu frames=%llu", (unsigned long long)punches,
	       (unsigned long long)punch_frames);
	return 0;
}

int main(int argc, char **argv)
{
	tb_prog = "tb-churn";
	sock_path = ptnet_socket_path();
	if (argc < 2)
		goto usage;
	if (!strcmp(argv[1], "recv"))
		return do_recv(argc - 1, argv + 1);
	if (!strcmp(argv[1], "send"))
		return do_send(argc - 1, argv + 1);
	if (!strcmp(argv[1], "punch"))
		return do_punch(argc - 1, argv + 1);
usage:
	fprintf(stderr, "usage: tb-churn recv -p PORT [--count] [--slow N]\n"
			"       tb-churn send -s SWITCH -d DSTMAC -i ID -r ROUNDS [-S SEED]\n"
			"       tb-churn punch -s SWITCH -n NAME -d DSTMAC [-t SECONDS]\n");
	return 2;
}
