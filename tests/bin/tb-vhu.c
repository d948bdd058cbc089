// SPDX-License-Identifier: BSD-2-Clause
/*
 * tb-vhu - a vhost-user-net *frontend* for the tests: it plays QEMU and the
 * guest's virtio-net driver against a vhost-user backend (ptnetd's vhost
 * port kind, or DPDK's net_vhost), written from the protocol's message list
 * and the virtio 1.x split-ring layout.
 *
 *   tb-vhu -S PATH [--listen] [-q QUEUES] [-N RING_SIZE] [-m MAC] [-i ID]
 *          [-d DSTMAC] [--send N] [-s SIZES] [-e ID:TOTAL]... [-l ID]...
 *          [--canary HEX] [--hostile CASE] [--good K] [--no-indirect]
 *          [--no-mrg] [--no-event-idx] [--hold] [-t STALL_MS]
 *
 * "Guest memory" is one memfd shown to the backend as two regions with a
 * hole between them (GPA 0 and GPA 4 GiB), so that a buffer can straddle a
 * region's end into nothing.  The frontend connects to PATH (the backend
 * listens; --listen: it listens on PATH and accepts one backend, as QEMU's
 * server=on), negotiates features (VERSION_1 always, MRG_RXBUF,
 * INDIRECT_DESC and EVENT_IDX when offered unless --no-*; protocol
 * features MQ and REPLY_ACK), sends SET_OWNER, SET_MEM_TABLE and per ring
 * SET_VRING_NUM/BASE/ADDR/KICK/CALL/ENABLE with eventfds, and then:
 *
 *  --send N      sends N verifiable frames (tb.h, sender ID, sizes SIZES) to
 *                DSTMAC on TX queue 0 (one descriptor, a header+data chain
 *                or, with INDIRECT_DESC, an indirect table, in turn), waits
 *                until the backend used every one, prints "SENT frames=N
 *                bytes=B".
 *  -e ID:TOTAL   expects exactly TOTAL frames of sender ID, in order, intact
 *                (-l ID: lossy, gaps allowed); frames are read from RX
 *                queue 0 (merged buffers when MRG_RXBUF), checked, and
 *                "RECV ok frames=N bytes=B gaps=G foreign=F canary=C" is
 *                printed at the end.
 *  --hostile C   after a good start (K good self-addressed frames, --good)
 *                misbehaves as case C (see the table in cases[] below or
 *                --hostile list) and reports "HOSTILE case=C conn=open|
 *                closed ack=N|none"; message cases send the bad message
 *                and probe the connection with GET_FEATURES.
 *  --canary HEX  fails (exit 1) if the 16-byte canary of tb-canary's good
 *                pair appears in a received frame or anywhere in the
 *                guest memory at the end: another port's traffic leaked.
 *
 * Before the work, it announces its MAC (a self-addressed TB_ETH_HELLO
 * frame, learned by the switch and then dropped) and prints "READY mac=M
 * features=0x.. protocol=0x.. queues=Q".  With --hold it stays connected
 * until SIGTERM (still receiving).  Exit 0 success, 1 failure, 2 usage,
 * 3 the backend refused or closed the connection during the setup.
 */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <ptnet/barrier.h>
#include "tb.h"

/* --- the vhost-user protocol (facts from the specification) --- */

enum {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5,
	VU_SET_LOG_BASE = 6,
	VU_SET_LOG_FD = 7,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
};

#define VU_VERSION	   0x1u
#define VU_F_REPLY	   0x4u
#define VU_F_NEED_REPLY	   0x8u
#define VU_HDR		   12u
#define VU_MAX_PAYLOAD	   4096u
#define VU_MAX_FDS	   16
#define VU_VRING_NOFD	   0x100u

#define VP_MQ		   0  /* protocol feature bits */
#define VP_REPLY_ACK	   3

#define VF_CSUM		   0  /* virtio-net feature bits */
#define VF_MAC		   5
#define VF_MRG_RXBUF	   15
#define VF_STATUS	   16
#define VF_MQ		   22
#define VF_INDIRECT	   28
#define VF_EVENT_IDX	   29
#define VF_PROTOCOL	   30
#define VF_VERSION_1	   32

#define VD_NEXT		   1  /* descriptor flags */
#define VD_WRITE	   2
#define VD_INDIRECT	   4

#define VNET_HDR	   12 /* virtio_net_hdr_v1 (with num_buffers) */

struct vu_region {
	uint64_t gpa, size, uaddr, offset;
};

struct vu_msg {
	uint32_t req, flags, size;
	uint8_t p[VU_MAX_PAYLOAD];
} __attribute__((packed));

/* --- the guest's memory: one memfd, two regions with a hole between --- */

#define R0_GPA	0x0ull
#define R1_GPA	0x100000000ull /* 4 GiB: GPAs from R0 end to here are unmapped */

static int memfd = -1, seal_mem = 1;
static uint8_t *mem;
static uint64_t r0_size = 32u << 20, r1_size = 32u << 20;

static uint8_t *gpa_ptr(uint64_t gpa)
{
	if (gpa >= R1_GPA && gpa - R1_GPA < r1_size)
		return mem + r0_size + (gpa - R1_GPA);
	if (gpa < r0_size)
		return mem + gpa;
	tb_die("internal: GPA 0x%llx is not ours", (unsigned long long)gpa);
}

/* --- a split virtqueue as the driver sees it --- */

struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct vq {
	unsigned int index, num;
	struct vdesc *desc;
	uint16_t *avail; /* flags, idx, ring[num], used_event */
	uint8_t *used;	 /* flags, idx, {u32 id, u32 len}[num], avail_event */
	int kick, call;
	uint16_t avail_idx, used_seen;
	unsigned int inflight;
};

#define RING_STRIDE (64u << 10) /* room for desc/avail/used of a 1024-entry ring */
#define MAX_QUEUES  8
#define RXBUF_MRG   2048u
#define RXBUF_BIG   (VNET_HDR + TB_MAX_FRAME + 1u)
#define TXBUF	    (VNET_HDR + TB_MAX_FRAME + 64u)
#define TX_GROUP    4 /* descriptors per TX frame slot: head, up to 3 more */

static struct vq vqs[2 * MAX_QUEUES];
static unsigned int nqueues = 1, ring_size = 256, nvqs;
static uint64_t features, protocol;
static int sock = -1, use_mrg = 1, use_indirect = 1, use_event_idx = 1;
static uint32_t rxbuf_size;

static uint16_t *used_idx_p(struct vq *q)
{
	return (uint16_t *)(q->used + 2);
}
static uint16_t *used_event_p(struct vq *q)
{
	return &q->avail[2 + q->num];
}

/* --- messages --- */

static int send_raw(const void *buf, size_t len, const int *fds, unsigned int nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	memset(cbuf, 0, sizeof(cbuf));
	if (nfds) {
		struct cmsghdr *c;

		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) != (ssize_t)len)
		return -errno ? -errno : -EIO;
	return 0;
}

static int send_msg(uint32_t req, uint32_t flags, const void *p, uint32_t size, const int *fds,
		    unsigned int nfds)
{
	struct vu_msg m;

	m.req = req;
	m.flags = VU_VERSION | flags;
	m.size = size;
	if (size)
		memcpy(m.p, p, size);
	return send_raw(&m, VU_HDR + size, fds, nfds);
}

/* Read exactly LEN bytes within MS; -EPIPE on EOF, -ETIMEDOUT. */
static int read_full(void *buf, size_t len, int ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { sock, POLLIN, 0 };
		ssize_t n;

		if (poll(&pfd, 1, ms) <= 0)
			return -ETIMEDOUT;
		n = recv(sock, (uint8_t *)buf + got, len - got, 0);
		if (n == 0)
			return -EPIPE;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

static int recv_reply(uint32_t req, struct vu_msg *m, int ms)
{
	int ret = read_full(m, VU_HDR, ms);

	if (ret)
		return ret;
	if (m->size > VU_MAX_PAYLOAD)
		return -EPROTO;
	ret = read_full(m->p, m->size, ms);
	if (ret)
		return ret;
	if (m->req != req || !(m->flags & VU_F_REPLY))
		return -EPROTO;
	return 0;
}

static int get_u64(uint32_t req, uint64_t *v)
{
	struct vu_msg m;
	int ret = send_msg(req, 0, NULL, 0, NULL, 0);

	if (!ret)
		ret = recv_reply(req, &m, 10000);
	if (ret)
		return ret;
	if (m.size != 8)
		return -EPROTO;
	memcpy(v, m.p, 8);
	return 0;
}

/* A message that expects no reply, or the REPLY_ACK one when negotiated:
 * returns the ack's value (0 ok), or -errno. */
static int64_t set_msg(uint32_t req, const void *p, uint32_t size, const int *fds, unsigned int nfds)
{
	int ack = !!(protocol & (1ull << VP_REPLY_ACK));
	struct vu_msg m;
	uint64_t v;
	int ret;

	ret = send_msg(req, ack ? VU_F_NEED_REPLY : 0, p, size, fds, nfds);
	if (ret || !ack)
		return ret;
	ret = recv_reply(req, &m, 10000);
	if (ret)
		return ret;
	if (m.size != 8)
		return -EPROTO;
	memcpy(&v, m.p, 8);
	return (int64_t)v;
}

static void must(int64_t ret, const char *what)
{
	if (ret == 0)
		return;
	if (ret < 0)
		tb_log("setup: %s: %s", what, strerror((int)-ret));
	else
		tb_log("setup: %s: refused (ack %lld)", what, (long long)ret);
	tb_say("SETUP failed at %s", what);
	exit(3);
}

/* --- setup --- */

static void mem_make(void)
{
	memfd = memfd_create("tb-vhu-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0 || ftruncate(memfd, (off_t)(r0_size + r1_size)))
		tb_die("memfd: %s", strerror(errno));
	/* As QEMU's memory-backend-memfd (seal=on): the size can no longer change. */
	if (seal_mem && fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		tb_die("F_ADD_SEALS: %s", strerror(errno));
	mem = mmap(NULL, r0_size + r1_size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (mem == MAP_FAILED)
		tb_die("mmap: %s", strerror(errno));
}

static void fill_regions(struct vu_region r[2])
{
	r[0] = (struct vu_region){ R0_GPA, r0_size, (uint64_t)(uintptr_t)mem, 0 };
	r[1] = (struct vu_region){ R1_GPA, r1_size, (uint64_t)(uintptr_t)(mem + r0_size), r0_size };
}

static uint32_t mem_table(uint8_t *p, const struct vu_region *r, uint32_t n)
{
	uint32_t pad = 0;

	memcpy(p, &n, 4);
	memcpy(p + 4, &pad, 4);
	memcpy(p + 8, r, n * sizeof(*r));
	return 8 + n * (uint32_t)sizeof(*r);
}

static void vq_layout(struct vq *q, unsigned int index)
{
	uint8_t *base = mem + (uint64_t)index * RING_STRIDE;

	q->index = index;
	q->num = ring_size;
	q->desc = (struct vdesc *)base;
	q->avail = (uint16_t *)(base + 16u * ring_size);
	q->used = base + 16u * ring_size + 4096u * 2; /* 4-byte alignment is enough; keep pages */
	q->avail_idx = q->used_seen = 0;
	q->inflight = 0;
	memset(base, 0, RING_STRIDE);
}

/* RX buffer I of RX queue Q: in region 0 after the rings. */
static uint64_t rxbuf_gpa(unsigned int q, unsigned int i)
{
	return R0_GPA + (uint64_t)MAX_QUEUES * 2 * RING_STRIDE +
	       ((uint64_t)q * ring_size + i) * rxbuf_size;
}

/* TX frame slot S (descriptors TX_GROUP*S ...): buffer and indirect table in region 1. */
static uint64_t txbuf_gpa(unsigned int s)
{
	return R1_GPA + 65536 + (uint64_t)s * TXBUF;
}
static uint64_t txind_gpa(unsigned int s)
{
	return R1_GPA + (uint64_t)s * 16 * TX_GROUP;
}

static void vq_addr(struct vq *q, uint8_t *p)
{
	uint32_t flags = 0;
	uint64_t d = (uint64_t)(uintptr_t)q->desc, u = (uint64_t)(uintptr_t)q->used,
		 a = (uint64_t)(uintptr_t)q->avail, l = 0;

	memcpy(p, &q->index, 4);
	memcpy(p + 4, &flags, 4);
	memcpy(p + 8, &d, 8);
	memcpy(p + 16, &u, 8);
	memcpy(p + 24, &a, 8);
	memcpy(p + 32, &l, 8);
}

/* Post RX buffer I of queue Q (the driver's side of an RX ring). */
static void rx_post(struct vq *q, unsigned int i)
{
	q->desc[i].addr = rxbuf_gpa(q->index / 2, i);
	q->desc[i].len = rxbuf_size;
	q->desc[i].flags = VD_WRITE;
	q->desc[i].next = 0;
	q->avail[2 + (q->avail_idx % q->num)] = (uint16_t)i;
	q->avail_idx++;
}

/* Publish the avail index (R1: pairs with the backend's acquire of avail->idx). */
static void vq_publish(struct vq *q)
{
	ptnet_store_release(&q->avail[1], q->avail_idx);
}

static void vq_kick(struct vq *q)
{
	uint64_t one = 1;

	/* Always kick: a needless kick is harmless, a missed one is a stall.
	 * N1: the full fence orders the avail idx store before the write. */
	ptnet_smp_mb();
	if (write(q->kick, &one, 8) != 8)
		tb_die("kick: %s", strerror(errno));
}

static void vq_want_calls(struct vq *q)
{
	/* EVENT_IDX: ask for a call as soon as anything beyond what we saw is used. */
	PTNET_WRITE_ONCE(*used_event_p(q), q->used_seen);
	ptnet_smp_mb();
}

static int negotiate_done;

static void setup(void)
{
	uint8_t p[VU_MAX_PAYLOAD];
	struct vu_region r[2];
	uint64_t want, qn = 1;
	int fds[2];

	must(set_msg(VU_SET_OWNER, NULL, 0, NULL, 0), "SET_OWNER");
	must(get_u64(VU_GET_FEATURES, &features), "GET_FEATURES");
	if (!(features & (1ull << VF_VERSION_1)))
		tb_die("the backend does not offer VIRTIO_F_VERSION_1");
	if (features & (1ull << VF_PROTOCOL)) {
		uint64_t pf;

		must(get_u64(VU_GET_PROTOCOL_FEATURES, &pf), "GET_PROTOCOL_FEATURES");
		protocol = pf & ((1ull << VP_MQ) | (1ull << VP_REPLY_ACK));
		/* No ack for this one yet: REPLY_ACK is not in force before it lands. */
		must(send_msg(VU_SET_PROTOCOL_FEATURES, 0, &protocol, 8, NULL, 0),
		     "SET_PROTOCOL_FEATURES");
		if (protocol & (1ull << VP_MQ))
			must(get_u64(VU_GET_QUEUE_NUM, &qn), "GET_QUEUE_NUM");
	}
	if (nqueues > qn)
		tb_die("the backend offers %llu queue pairs, %u asked", (unsigned long long)qn,
		       nqueues);
	want = (1ull << VF_VERSION_1) | (features & (1ull << VF_PROTOCOL)) |
	       (features & ((1ull << VF_MAC) | (1ull << VF_STATUS)));
	if (use_mrg)
		want |= features & (1ull << VF_MRG_RXBUF);
	if (use_indirect)
		want |= features & (1ull << VF_INDIRECT);
	if (use_event_idx)
		want |= features & (1ull << VF_EVENT_IDX);
	if (nqueues > 1)
		want |= features & (1ull << VF_MQ);
	features = want;
	must(set_msg(VU_SET_FEATURES, &features, 8, NULL, 0), "SET_FEATURES");
	rxbuf_size = (features & (1ull << VF_MRG_RXBUF)) ? RXBUF_MRG : RXBUF_BIG;
	if ((uint64_t)MAX_QUEUES * 2 * RING_STRIDE + (uint64_t)nqueues * ring_size * rxbuf_size >
	    r0_size)
		tb_die("region 0 (%llu bytes) is too small for the RX buffers",
		       (unsigned long long)r0_size);

	fill_regions(r);
	fds[0] = fds[1] = memfd;
	must(set_msg(VU_SET_MEM_TABLE, p, mem_table(p, r, 2), fds, 2), "SET_MEM_TABLE");

	nvqs = 2 * nqueues;
	for (unsigned int i = 0; i < nvqs; i++) {
		struct vq *q = &vqs[i];
		uint32_t st[2];
		uint64_t v;

		vq_layout(q, i);
		q->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		q->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->kick < 0 || q->call < 0)
			tb_die("eventfd: %s", strerror(errno));
		st[0] = i;
		st[1] = ring_size;
		must(set_msg(VU_SET_VRING_NUM, st, 8, NULL, 0), "SET_VRING_NUM");
		st[1] = 0;
		must(set_msg(VU_SET_VRING_BASE, st, 8, NULL, 0), "SET_VRING_BASE");
		vq_addr(q, p);
		must(set_msg(VU_SET_VRING_ADDR, p, 40, NULL, 0), "SET_VRING_ADDR");
		if (i % 2 == 0) { /* RX: the driver posts every buffer before the start */
			for (unsigned int b = 0; b < ring_size; b++)
				rx_post(q, b);
			vq_publish(q);
		}
		vq_want_calls(q);
		v = i;
		must(set_msg(VU_SET_VRING_CALL, &v, 8, &q->call, 1), "SET_VRING_CALL");
		must(set_msg(VU_SET_VRING_KICK, &v, 8, &q->kick, 1), "SET_VRING_KICK");
	}
	if (features & (1ull << VF_PROTOCOL))
		for (unsigned int i = 0; i < nvqs; i++) {
			uint32_t st[2] = { i, 1 };

			must(set_msg(VU_SET_VRING_ENABLE, st, 8, NULL, 0), "SET_VRING_ENABLE");
		}
	for (unsigned int i = 0; i < nvqs; i += 2)
		vq_kick(&vqs[i]); /* RX buffers are there */
	negotiate_done = 1;
}

/* --- data --- */

static uint8_t mymac[6] = { 0x52, 0x54, 0x00, 0x76, 0x68, 0x01 }, dst[6];
static unsigned int myid = 7;
static struct tb_sizes sizes;
static uint64_t sent, sent_bytes, stall_ms = 20000;
static uint8_t canary[16];
static int have_canary;
static uint8_t frame[TB_MAX_FRAME + 1];

struct stream {
	uint64_t next, count;
	int seen;
};
static int64_t expect[TB_MAX_IDS];
static uint8_t lossy[TB_MAX_IDS];
static struct stream st[TB_MAX_IDS][PTNET_MAX_RINGS];
static uint64_t rx_frames, rx_bytes, rx_gaps, rx_foreign, rx_canary, rx_hellos;

/* Reap used TX descriptors; returns how many. */
static unsigned int tx_reap(struct vq *q)
{
	/* A1: pairs with the backend's release of used->idx. */
	uint16_t ui = ptnet_load_acquire(used_idx_p(q));
	unsigned int n = (uint16_t)(ui - q->used_seen);

	if (n > q->inflight)
		tb_die("TX used idx moved by %u, only %u in flight", n, q->inflight);
	q->used_seen = ui;
	q->inflight -= n;
	vq_want_calls(q);
	return n;
}

/* Queue one frame of LEN bytes (already in F) in TX slot S, layout by SEQ. */
static void tx_put(struct vq *q, unsigned int s, const uint8_t *f, uint32_t len, uint64_t seq)
{
	uint64_t buf = txbuf_gpa(s);
	uint8_t *b = gpa_ptr(buf);
	unsigned int head = s * TX_GROUP, layout = (unsigned int)(seq % 3);
	struct vdesc *d = &q->desc[head];

	memset(b, 0, VNET_HDR);
	memcpy(b + VNET_HDR, f, len);
	if (layout == 2 && !(features & (1ull << VF_INDIRECT)))
		layout = 1;
	if (layout == 0 || len < 2) {
		*d = (struct vdesc){ buf, VNET_HDR + len, 0, 0 };
	} else if (layout == 1) {
		d[0] = (struct vdesc){ buf, VNET_HDR, VD_NEXT, (uint16_t)(head + 1) };
		d[1] = (struct vdesc){ buf + VNET_HDR, len, 0, 0 };
	} else {
		struct vdesc *t = (struct vdesc *)gpa_ptr(txind_gpa(s));
		uint32_t a = len / 2;

		t[0] = (struct vdesc){ buf, VNET_HDR, VD_NEXT, 1 };
		t[1] = (struct vdesc){ buf + VNET_HDR, a, VD_NEXT, 2 };
		t[2] = (struct vdesc){ buf + VNET_HDR + a, len - a, 0, 0 };
		*d = (struct vdesc){ txind_gpa(s), 3 * 16, VD_INDIRECT, 0 };
	}
	q->avail[2 + (q->avail_idx % q->num)] = (uint16_t)head;
	q->avail_idx++;
	q->inflight++;
}

/* Sleep until the backend calls on A or B, at most MS (the callers look at
 * the used rings whatever woke them: a call only shortens the wait). */
static void wait_call(struct vq *a, struct vq *b, int ms)
{
	struct pollfd pfd[2] = { { a->call, POLLIN, 0 }, { b ? b->call : -1, POLLIN, 0 } };
	uint64_t v;

	if (poll(pfd, 2, ms) <= 0)
		return;
	for (int i = 0; i < 2; i++)
		if ((pfd[i].revents & POLLIN) && read(pfd[i].fd, &v, 8) != 8)
			v = 0; /* (non-blocking: another wakeup drained it) */
}

static int sock_closed(void)
{
	struct pollfd pfd = { sock, POLLIN | POLLRDHUP, 0 };
	char c;

	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	if (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR))
		return 1;
	return recv(sock, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static int has_canary(const uint8_t *p, size_t n)
{
	return have_canary && memmem(p, n, canary, sizeof(canary)) != NULL;
}

static void rx_frame(const uint8_t *f, uint32_t len)
{
	uint32_t bad = 0;
	const char *why;
	unsigned int id, ring;
	uint64_t seq;

	rx_frames++;
	rx_bytes += len;
	if (has_canary(f, len)) {
		rx_canary++;
		return;
	}
	if (len >= 14 && tb_ethertype(f) == TB_ETH_HELLO) {
		rx_hellos++;
		return;
	}
	if (len < TB_HDR_LEN || tb_ethertype(f) != TB_ETH_DATA) {
		rx_foreign++;
		return;
	}
	why = tb_verify(f, len, &bad);
	id = tb_get16(f + 18);
	ring = tb_get16(f + 20);
	seq = tb_get64(f + 26);
	if (why)
		tb_die("FAIL frame of sender %u ring %u seq %llu len %u: %s (at %u)", id, ring,
		       (unsigned long long)seq, len, why, bad);
	if (id >= TB_MAX_IDS || ring >= PTNET_MAX_RINGS || (expect[id] < 0 && !lossy[id])) {
		rx_foreign++;
		return;
	}
	if (seq < st[id][ring].next)
		tb_die("FAIL sender %u ring %u: seq %llu after %llu (reordered or duplicated)", id,
		       ring, (unsigned long long)seq, (unsigned long long)st[id][ring].next);
	if (seq > st[id][ring].next) {
		if (!lossy[id])
			tb_die("FAIL sender %u ring %u: seq %llu, expected %llu (gap)", id, ring,
			       (unsigned long long)seq, (unsigned long long)st[id][ring].next);
		rx_gaps += seq - st[id][ring].next;
	}
	st[id][ring].next = seq + 1;
	st[id][ring].count++;
}

/* Take what the backend used in RX queue Q: frames (merged buffers) checked. */
static unsigned int rx_poll(struct vq *q)
{
	/* A2: pairs with the backend's release of used->idx. */
	uint16_t ui = ptnet_load_acquire(used_idx_p(q));
	unsigned int n = 0;
	static uint32_t flen, left; /* a merged frame may span polls */

	while (q->used_seen != ui) {
		const uint8_t *e = q->used + 4 + 8u * (q->used_seen % q->num);
		uint32_t id, len;
		const uint8_t *b;

		memcpy(&id, e, 4);
		memcpy(&len, e + 4, 4);
		if (id >= q->num || len > rxbuf_size)
			tb_die("FAIL RX used entry id %u len %u out of range", id, len);
		b = gpa_ptr(rxbuf_gpa(q->index / 2, id));
		if (left == 0) {
			uint16_t nb = 1;

			if (len < VNET_HDR)
				tb_die("FAIL RX used len %u shorter than the vnet header", len);
			if (features & (1ull << VF_MRG_RXBUF))
				memcpy(&nb, b + 10, 2);
			if (nb == 0)
				tb_die("FAIL RX header num_buffers 0");
			left = nb;
			flen = 0;
			b += VNET_HDR;
			len -= VNET_HDR;
		}
		if (flen + len > sizeof(frame))
			tb_die("FAIL RX frame longer than %zu", sizeof(frame));
		memcpy(frame + flen, b, len);
		flen += len;
		if (--left == 0)
			rx_frame(frame, flen);
		q->used_seen++;
		rx_post(q, id); /* give the buffer back */
		n++;
	}
	if (n) {
		vq_publish(q);
		vq_want_calls(q);
		vq_kick(q);
	}
	return n;
}

static int rx_done(void)
{
	int any = 0;

	for (unsigned int id = 0; id < TB_MAX_IDS; id++) {
		uint64_t n = 0;

		if (expect[id] < 0)
			continue;
		any = 1;
		for (unsigned int r = 0; r < PTNET_MAX_RINGS; r++)
			n += st[id][r].count;
		if (n < (uint64_t)expect[id])
			return 0;
		if (n > (uint64_t)expect[id])
			tb_die("FAIL sender %u: %llu frames, %lld expected", id,
			       (unsigned long long)n, (long long)expect[id]);
	}
	return any;
}

static void send_hello(void)
{
	struct vq *tx = &vqs[1];
	uint64_t end = tb_now_ms() + stall_ms;

	memset(frame, 0, 60);
	memcpy(frame, mymac, 6);
	memcpy(frame + 6, mymac, 6);
	frame[12] = TB_ETH_HELLO >> 8;
	frame[13] = TB_ETH_HELLO & 0xff;
	tb_put32(frame + 14, TB_MAGIC_HELLO);
	tx_put(tx, 0, frame, 60, 0);
	vq_publish(tx);
	vq_kick(tx);
	while (tx->inflight) {
		tx_reap(tx);
		rx_poll(&vqs[0]);
		if (!tx->inflight)
			break;
		if (tb_now_ms() > end || sock_closed())
			tb_die("FAIL the backend did not take the announcement");
		wait_call(tx, &vqs[0], 20);
	}
}

/* Send COUNT frames to TO (sender id, sizes); 0 or -1 (stall). */
static int send_frames(uint64_t count, const uint8_t to[6])
{
	struct vq *tx = &vqs[1];
	unsigned int slots = ring_size / TX_GROUP, next_slot = 0;
	uint64_t last = tb_now_ms();

	while (sent < count || tx->inflight) {
		unsigned int put = 0;

		while (sent < count && tx->inflight < slots && put < 32) {
			uint32_t len = tb_size(&sizes, sent);

			tb_build(frame, len, to, mymac, myid, 0, sent);
			tx_put(tx, next_slot, frame, len, sent);
			next_slot = (next_slot + 1) % slots;
			sent++;
			sent_bytes += len;
			put++;
		}
		if (put) {
			vq_publish(tx);
			vq_kick(tx);
		}
		if (tx_reap(tx) || put)
			last = tb_now_ms();
		rx_poll(&vqs[0]);
		if (tb_stop || sock_closed())
			return -1;
		if (tb_now_ms() - last > stall_ms) {
			tb_log("stalled: %u TX frames not used for %llu ms", tx->inflight,
			       (unsigned long long)stall_ms);
			return -1;
		}
		if (tx->inflight >= slots || sent == count)
			wait_call(tx, &vqs[0], 20);
	}
	return 0;
}

/* --- hostile cases --- */

struct hcase {
	const char *name, *what;
	int msg; /* 1: a message case (a fresh connection, no good start) */
};

static const struct hcase cases[] = {
	{ "desc-oob", "TX descriptor address in the hole between the regions", 0 },
	{ "desc-straddle", "TX buffer starting 16 bytes before region 0's end, 200 long", 0 },
	{ "desc-huge", "TX descriptor length 0xffffffff", 0 },
	{ "desc-wrap", "TX descriptor address + length wrapping 2^64", 0 },
	{ "chain-loop", "TX chain 0 -> 1 -> 0", 0 },
	{ "chain-long", "TX chain through every descriptor of the ring and then its head", 0 },
	{ "next-oob", "TX chain whose next index is beyond the ring", 0 },
	{ "head-oob", "avail ring entry beyond the ring size", 0 },
	{ "indirect-nested", "an indirect table holding an INDIRECT descriptor", 0 },
	{ "indirect-badsize", "an indirect table 17 bytes long", 0 },
	{ "indirect-zero", "an indirect table 0 bytes long", 0 },
	{ "indirect-oob", "an indirect table in the hole between the regions", 0 },
	{ "indirect-loop", "an indirect table whose chain loops", 0 },
	{ "avail-jump", "avail idx moved by ring size + 5", 0 },
	{ "garbage", "random descriptors and avail entries, 64 rounds, after a good start", 0 },
	{ "rx-oob", "RX buffers in the hole between the regions", 0 },
	{ "rx-readonly", "RX buffers without VRING_DESC_F_WRITE", 0 },
	{ "rx-straddle", "RX buffers straddling region 0's end", 0 },
	{ "short-header", "8 bytes of a header, then the write side shut", 1 },
	{ "size-mismatch", "SET_VRING_NUM with a 4-byte payload", 1 },
	{ "size-huge", "a header announcing a 1 GiB payload", 1 },
	{ "fds-missing", "SET_MEM_TABLE of 2 regions with no fd", 1 },
	{ "fds-extra", "SET_MEM_TABLE of 1 region with 3 fds", 1 },
	{ "fds-unwanted", "SET_VRING_NUM carrying an fd", 1 },
	{ "kick-nofd", "SET_VRING_KICK without an fd nor the no-fd bit", 1 },
	{ "unknown-req", "request 999", 1 },
	{ "regions-many", "SET_MEM_TABLE announcing 9 regions (8 fds)", 1 },
	{ "regions-huge", "SET_MEM_TABLE announcing 0xffffffff regions", 1 },
	{ "region-wrap", "a region whose GPA + size wraps 2^64", 1 },
	{ "region-offset", "a region whose mmap offset is beyond the fd's size", 1 },
	{ "vring-index", "SET_VRING_NUM on queue 200", 1 },
	{ "kick-index", "SET_VRING_KICK on queue 255 with an fd", 1 },
	{ "vring-num", "SET_VRING_NUM of 3 (not a power of 2) and of 65536", 1 },
	{ "ring-unmapped", "SET_VRING_ADDR pointing outside the memory table, then a kick", 1 },
	{ "before-owner", "SET_MEM_TABLE and SET_VRING_ADDR before SET_OWNER/FEATURES", 1 },
	{ "log-base", "SET_LOG_BASE (live migration is not offered)", 1 },
	{ "bad-version", "a header with version 0x3", 1 },
	{ "mem-unsealed", "SET_MEM_TABLE of a memfd that could still shrink", 1 },
	{ NULL, NULL, 0 },
};

static const struct hcase *hcase_find(const char *name)
{
	for (const struct hcase *c = cases; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static int64_t last_ack = -1000;

/* Send a (maybe bad) message, with NEED_REPLY when REPLY_ACK is on. */
static void bad_msg(uint32_t req, const void *p, uint32_t size, const int *fds, unsigned int nfds)
{
	int ack = negotiate_done && (protocol & (1ull << VP_REPLY_ACK));
	struct vu_msg m;

	if (send_msg(req, ack ? VU_F_NEED_REPLY : 0, p, size, fds, nfds))
		return;
	if (ack && !recv_reply(req, &m, 3000) && m.size == 8)
		memcpy(&last_ack, m.p, 8);
}

/* Is the connection still served?  GET_FEATURES must be answered. */
static const char *probe(const char *name)
{
	uint64_t v;

	if (!strcmp(name, "short-header")) { /* our side is shut: wait for the backend's EOF */
		char b[64];
		struct pollfd pfd = { sock, POLLIN, 0 };

		while (poll(&pfd, 1, 10000) > 0)
			if (recv(sock, b, sizeof(b), 0) <= 0)
				return "closed";
		return "open";
	}

	if (sock_closed())
		return "closed";
	return get_u64(VU_GET_FEATURES, &v) ? "closed" : "open";
}

static void hostile_msg(const char *name)
{
	uint8_t p[VU_MAX_PAYLOAD];
	struct vu_region r[8];
	int fds[8];
	uint32_t st2[2];
	uint64_t v;

	fill_regions(r);
	for (int i = 0; i < 8; i++)
		fds[i] = memfd;
	if (!strcmp(name, "before-owner")) {
		struct vq q;

		bad_msg(VU_SET_MEM_TABLE, p, mem_table(p, r, 2), fds, 2);
		vq_layout(&q, 0);
		vq_addr(&q, p);
		bad_msg(VU_SET_VRING_ADDR, p, 40, NULL, 0);
		return;
	}
	if (!strcmp(name, "short-header")) {
		uint32_t h[2] = { VU_GET_FEATURES, VU_VERSION };

		if (send_raw(h, 8, NULL, 0) == 0)
			shutdown(sock, SHUT_WR);
		return;
	}
	if (!strcmp(name, "size-huge")) {
		uint32_t h[3] = { VU_SET_FEATURES, VU_VERSION, 1u << 30 };

		if (send_raw(h, 12, NULL, 0) == 0)
			(void)send_raw(p, 64, NULL, 0);
		return;
	}
	if (!strcmp(name, "bad-version")) {
		v = 0;
		send_msg(VU_SET_FEATURES, 0x2, &v, 8, NULL, 0);
		return;
	}
	/* everything else after a good negotiation */
	setup();
	tb_say("SETUP ok");
	if (!strcmp(name, "size-mismatch")) {
		st2[0] = 0;
		bad_msg(VU_SET_VRING_NUM, st2, 4, NULL, 0);
	} else if (!strcmp(name, "fds-missing")) {
		bad_msg(VU_SET_MEM_TABLE, p, mem_table(p, r, 2), NULL, 0);
	} else if (!strcmp(name, "fds-extra")) {
		bad_msg(VU_SET_MEM_TABLE, p, mem_table(p, r, 1), fds, 3);
	} else if (!strcmp(name, "fds-unwanted")) {
		st2[0] = 0;
		st2[1] = ring_size;
		bad_msg(VU_SET_VRING_NUM, st2, 8, fds, 1);
	} else if (!strcmp(name, "kick-nofd")) {
		v = 1;
		bad_msg(VU_SET_VRING_KICK, &v, 8, NULL, 0);
	} else if (!strcmp(name, "unknown-req")) {
		v = 0;
		bad_msg(999, &v, 8, NULL, 0);
	} else if (!strcmp(name, "regions-many")) {
		for (int i = 2; i < 8; i++)
			r[i] = (struct vu_region){ R1_GPA * (uint64_t)i, 4096, 0, 0 };
		uint32_t n = 9, len = mem_table(p, r, 8);

		memcpy(p, &n, 4);
		memset(p + len, 0, 32); /* the 9th, beyond the 8 the protocol allows */
		bad_msg(VU_SET_MEM_TABLE, p, len + 32, fds, 8);
	} else if (!strcmp(name, "regions-huge")) {
		uint32_t n = 0xffffffffu, len = mem_table(p, r, 2);

		memcpy(p, &n, 4);
		bad_msg(VU_SET_MEM_TABLE, p, len, fds, 2);
	} else if (!strcmp(name, "region-wrap")) {
		r[0].gpa = ~0ull - 4095;
		r[0].size = 1ull << 20;
		bad_msg(VU_SET_MEM_TABLE, p, mem_table(p, r, 1), fds, 1);
	} else if (!strcmp(name, "region-offset")) {
		r[0].offset = 1ull << 40;
		bad_msg(VU_SET_MEM_TABLE, p, mem_table(p, r, 1), fds, 1);
	} else if (!strcmp(name, "vring-index")) {
		st2[0] = 200;
		st2[1] = ring_size;
		bad_msg(VU_SET_VRING_NUM, st2, 8, NULL, 0);
	} else if (!strcmp(name, "kick-index")) {
		int efd = eventfd(0, EFD_CLOEXEC);

		v = 0xff;
		bad_msg(VU_SET_VRING_KICK, &v, 8, &efd, 1);
		close(efd);
	} else if (!strcmp(name, "vring-num")) {
		st2[0] = 1;
		st2[1] = 3;
		bad_msg(VU_SET_VRING_NUM, st2, 8, NULL, 0);
		st2[1] = 65536;
		bad_msg(VU_SET_VRING_NUM, st2, 8, NULL, 0);
		vq_kick(&vqs[1]);
	} else if (!strcmp(name, "ring-unmapped")) {
		uint64_t bad = (uint64_t)(uintptr_t)(mem + r0_size + r1_size) + (1ull << 30);

		vq_addr(&vqs[1], p);
		memcpy(p + 8, &bad, 8);
		memcpy(p + 16, &bad, 8);
		memcpy(p + 24, &bad, 8);
		bad_msg(VU_SET_VRING_ADDR, p, 40, NULL, 0);
		vq_kick(&vqs[1]);
	} else if (!strcmp(name, "mem-unsealed")) {
		int fd = memfd_create("tb-vhu-unsealed", MFD_CLOEXEC);

		if (fd < 0 || ftruncate(fd, (off_t)r0_size))
			tb_die("memfd: %s", strerror(errno));
		bad_msg(VU_SET_MEM_TABLE, p, mem_table(p, r, 1), &fd, 1);
		close(fd);
	} else if (!strcmp(name, "log-base")) {
		uint64_t lb[2] = { 4096, 0 };

		bad_msg(VU_SET_LOG_BASE, lb, 16, fds, 1);
	}
}

static unsigned int good_start = 16;

/* Make the TX ring bad as case NAME (after a good start), publish, kick. */
static void hostile_ring(const char *name)
{
	struct vq *tx = &vqs[1], *rx = &vqs[0];
	unsigned int head = 0, n = tx->num;
	uint64_t hole = (uint64_t)r0_size + (1ull << 20);
	struct vdesc *d = tx->desc, *t = (struct vdesc *)gpa_ptr(txind_gpa(0));
	uint64_t buf = txbuf_gpa(0);

	if (!strncmp(name, "rx-", 3)) {
		/* Take back the posted RX buffers' descriptors: rewrite them all. */
		for (unsigned int i = 0; i < rx->num; i++) {
			if (!strcmp(name, "rx-oob"))
				rx->desc[i].addr = hole;
			else if (!strcmp(name, "rx-straddle"))
				rx->desc[i].addr = r0_size - 16;
			else
				rx->desc[i].flags = 0;
		}
		/* and post a fresh round of them */
		for (unsigned int i = 0; i < rx->num; i++) {
			rx->avail[2 + (rx->avail_idx % rx->num)] = (uint16_t)i;
			rx->avail_idx++;
		}
		vq_publish(rx);
		vq_kick(rx);
		return;
	}
	/* What a bad chain still points at is a self-addressed frame: whatever
	 * a backend makes of it, the switch drops it (no destination), so no
	 * other port may see anything of this client. */
	memset(gpa_ptr(buf), 0, 256);
	{
		uint8_t *f = gpa_ptr(buf) + VNET_HDR;

		memcpy(f, mymac, 6);
		memcpy(f + 6, mymac, 6);
		f[12] = TB_ETH_HELLO >> 8;
		f[13] = TB_ETH_HELLO & 0xff;
		tb_put32(f + 14, TB_MAGIC_HELLO);
	}
	if (!strcmp(name, "desc-oob")) {
		d[0] = (struct vdesc){ hole, 100, 0, 0 };
	} else if (!strcmp(name, "desc-straddle")) {
		d[0] = (struct vdesc){ r0_size - 16, 200, 0, 0 };
	} else if (!strcmp(name, "desc-huge")) {
		d[0] = (struct vdesc){ buf, 0xffffffffu, 0, 0 };
	} else if (!strcmp(name, "desc-wrap")) {
		d[0] = (struct vdesc){ ~0ull - 15, 100, 0, 0 };
	} else if (!strcmp(name, "chain-loop")) {
		d[0] = (struct vdesc){ buf, VNET_HDR, VD_NEXT, 1 };
		d[1] = (struct vdesc){ buf + VNET_HDR, 60, VD_NEXT, 0 };
	} else if (!strcmp(name, "chain-long")) {
		for (unsigned int i = 0; i < n; i++)
			d[i] = (struct vdesc){ buf, 8, VD_NEXT, (uint16_t)((i + 1) % n) };
	} else if (!strcmp(name, "next-oob")) {
		d[0] = (struct vdesc){ buf, VNET_HDR, VD_NEXT, (uint16_t)(n + 7) };
	} else if (!strcmp(name, "head-oob")) {
		head = n + 3;
	} else if (!strncmp(name, "indirect-", 9)) {
		uint32_t tlen = 3 * 16;
		uint64_t taddr = txind_gpa(0);

		t[0] = (struct vdesc){ buf, VNET_HDR, VD_NEXT, 1 };
		t[1] = (struct vdesc){ buf + VNET_HDR, 30, VD_NEXT, 2 };
		t[2] = (struct vdesc){ buf + VNET_HDR + 30, 30, 0, 0 };
		if (!strcmp(name, "indirect-nested"))
			t[1] = (struct vdesc){ taddr, 3 * 16, VD_INDIRECT | VD_NEXT, 2 };
		else if (!strcmp(name, "indirect-badsize"))
			tlen = 17;
		else if (!strcmp(name, "indirect-zero"))
			tlen = 0;
		else if (!strcmp(name, "indirect-oob"))
			taddr = hole;
		else if (!strcmp(name, "indirect-loop"))
			t[2] = (struct vdesc){ buf + VNET_HDR + 30, 30, VD_NEXT, 0 };
		d[0] = (struct vdesc){ taddr, tlen, VD_INDIRECT, 0 };
	} else if (!strcmp(name, "avail-jump")) {
		d[0] = (struct vdesc){ buf, VNET_HDR + 60, 0, 0 };
		tx->avail_idx = (uint16_t)(tx->avail_idx + n + 5);
		vq_publish(tx);
		vq_kick(tx);
		return;
	} else if (!strcmp(name, "garbage")) {
		for (int round = 0; round < 64 && !sock_closed(); round++) {
			uint16_t step;

			if (getrandom(tx->desc, 16u * n, 0) < 0 ||
			    getrandom(&tx->avail[2], 2u * n, 0) < 0 || getrandom(&step, 2, 0) < 0)
				tb_die("getrandom: %s", strerror(errno));
			tx->avail_idx = (uint16_t)(tx->avail_idx + 1 + step % n);
			vq_publish(tx);
			vq_kick(tx);
			wait_call(tx, rx, 5);
		}
		return;
	}
	tx->avail[2 + (tx->avail_idx % n)] = (uint16_t)head;
	tx->avail_idx++;
	vq_publish(tx);
	vq_kick(tx);
}

/* Scan the whole guest memory for the good pair's canary. */
static uint64_t canary_in_memory(void)
{
	uint64_t n = 0;
	const uint8_t *p = mem, *end = mem + r0_size + r1_size;

	if (!have_canary)
		return 0;
	while (p < end && (p = memmem(p, (size_t)(end - p), canary, sizeof(canary))) != NULL) {
		n++;
		p += sizeof(canary);
	}
	return n;
}

/* --- connection --- */

static int connect_to(const char *path, int listen_mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		tb_die("socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		tb_die("socket: %s", strerror(errno));
	if (listen_mode) {
		int c;
		struct pollfd pfd = { fd, POLLIN, 0 };

		unlink(path);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1))
			tb_die("listen on %s: %s", path, strerror(errno));
		tb_say("LISTENING %s", path);
		while (!tb_stop) {
			int r = poll(&pfd, 1, 200);

			if (r > 0)
				break;
			if (r < 0 && errno != EINTR)
				tb_die("poll: %s", strerror(errno));
		}
		if (tb_stop)
			exit(1);
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			tb_die("accept: %s", strerror(errno));
		close(fd);
		unlink(path);
		return c;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		tb_die("connect to %s: %s", path, strerror(errno));
	return fd;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tb-vhu -S PATH [--listen] [-q QUEUES] [-N RING] [-m MAC] [-i ID] [-d MAC]\n"
		"       [--send N] [-s SIZES] [-e ID:TOTAL]... [-l ID]... [--canary HEX]\n"
		"       [--hostile CASE|list] [--good K] [--no-indirect] [--no-mrg]\n"
		"       [--no-event-idx] [--hold] [-t STALL_MS]\n");
	exit(2);
}

static int parse_canary(const char *s)
{
	if (strlen(s) != 32)
		return -EINVAL;
	for (int i = 0; i < 16; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		canary[i] = (uint8_t)v;
	}
	have_canary = 1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", no_argument, NULL, 1 },	  { "send", required_argument, NULL, 2 },
		{ "canary", required_argument, NULL, 3 }, { "hostile", required_argument, NULL, 4 },
		{ "good", required_argument, NULL, 5 },	  { "no-indirect", no_argument, NULL, 6 },
		{ "no-mrg", no_argument, NULL, 7 },	  { "no-event-idx", no_argument, NULL, 8 },
		{ "hold", no_argument, NULL, 9 },	  { NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *sizespec = "60-1514", *hname = NULL;
	const struct hcase *hc = NULL;
	uint64_t count = 0, mem_canary;
	int c, listen_mode = 0, hold = 0, have_dst = 0, have_expect = 0, ok = 1;
	char macs[18];

	tb_prog = "tb-vhu";
	for (unsigned int i = 0; i < TB_MAX_IDS; i++)
		expect[i] = -1;
	while ((c = getopt_long(argc, argv, "S:q:N:m:i:d:s:e:l:t:", lo, NULL)) != -1) {
		switch (c) {
		case 'S': path = optarg; break;
		case 'q': nqueues = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'N': ring_size = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'm':
			if (ptc_parse_mac(optarg, mymac))
				usage();
			break;
		case 'i': myid = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'd':
			if (ptc_parse_mac(optarg, dst))
				usage();
			have_dst = 1;
			break;
		case 's': sizespec = optarg; break;
		case 'e': {
			unsigned int id;
			unsigned long long n;

			if (sscanf(optarg, "%u:%llu", &id, &n) != 2 || id >= TB_MAX_IDS)
				usage();
			expect[id] = (int64_t)n;
			have_expect = 1;
			break;
		}
		case 'l': {
			unsigned long id = strtoul(optarg, NULL, 0);

			if (id >= TB_MAX_IDS)
				usage();
			lossy[id] = 1;
			break;
		}
		case 't': stall_ms = strtoull(optarg, NULL, 0); break;
		case 1: listen_mode = 1; break;
		case 2: count = strtoull(optarg, NULL, 0); break;
		case 3:
			if (parse_canary(optarg))
				usage();
			break;
		case 4: hname = optarg; break;
		case 5: good_start = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 6: use_indirect = 0; break;
		case 7: use_mrg = 0; break;
		case 8: use_event_idx = 0; break;
		case 9: hold = 1; break;
		default: usage();
		}
	}
	if (hname && !strcmp(hname, "list")) {
		for (hc = cases; hc->name; hc++)
			printf("%s\t%s\t%s\n", hc->name, hc->msg ? "message" : "ring", hc->what);
		return 0;
	}
	if (!path || optind != argc || !nqueues || nqueues > MAX_QUEUES || ring_size < 2 * TX_GROUP ||
	    ring_size > 1024 || (ring_size & (ring_size - 1)) || tb_parse_sizes(sizespec, &sizes))
		usage();
	if (hname && !(hc = hcase_find(hname))) {
		fprintf(stderr, "tb-vhu: unknown hostile case '%s' (--hostile list)\n", hname);
		return 2;
	}
	if (!have_dst)
		memcpy(dst, mymac, 6);
	tb_signals();
	mem_make();
	sock = connect_to(path, listen_mode);

	if (hc && hc->msg) {
		const char *conn;

		hostile_msg(hc->name);
		conn = probe(hc->name);
		if (last_ack == -1000)
			tb_say("HOSTILE case=%s conn=%s ack=none", hc->name, conn);
		else
			tb_say("HOSTILE case=%s conn=%s ack=%lld", hc->name, conn,
			       (long long)last_ack);
		if (hold && !strcmp(conn, "open"))
			tb_wait_signal(600000);
		return 0;
	}

	setup();
	send_hello();
	ptc_format_mac(mymac, macs);
	tb_say("READY mac=%s features=0x%llx protocol=0x%llx queues=%u", macs,
	       (unsigned long long)features, (unsigned long long)protocol, nqueues);

	if (hc) {
		/* After the bad ring nothing the backend writes is trusted: no
		 * RX processing, only the final scan of the memory for the canary. */
		if (good_start && send_frames(good_start, mymac))
			tb_die("FAIL the good start did not go through");
		tb_say("GOOD frames=%llu", (unsigned long long)sent);
		hostile_ring(hc->name);
		tb_say("HOSTILE case=%s sent", hc->name);
		if (hold)
			tb_wait_signal(600000);
		mem_canary = canary_in_memory();
		tb_say("HOSTILE case=%s conn=%s canary_in_memory=%llu", hc->name,
		       sock_closed() ? "closed" : "open", (unsigned long long)mem_canary);
		return mem_canary ? 1 : 0;
	} else if (count) {
		if (send_frames(count, dst)) {
			tb_say("STALL sent=%llu", (unsigned long long)sent);
			ok = 0;
		} else {
			tb_say("SENT frames=%llu bytes=%llu", (unsigned long long)sent,
			       (unsigned long long)sent_bytes);
		}
	}
	/* Receive: until the expected frames are in (stall: fail), or SIGTERM with --hold. */
	{
		uint64_t last = tb_now_ms();

		while (!tb_stop) {
			if (have_expect && rx_done())
				break;
			if (!have_expect && !hold && !hc)
				break;
			if (rx_poll(&vqs[0]))
				last = tb_now_ms();
			if (hc && !hold)
				break;
			if (have_expect && !hold && tb_now_ms() - last > stall_ms) {
				tb_log("stalled: expected frames missing after %llu ms idle",
				       (unsigned long long)stall_ms);
				ok = 0;
				break;
			}
			if (!hc && sock_closed()) {
				tb_log("the backend closed the connection");
				ok = 0;
				break;
			}
			wait_call(&vqs[0], NULL, 20);
		}
		if (have_expect && rx_done())
			ok = ok && 1;
		else if (have_expect)
			ok = 0;
		if (hold && !tb_stop)
			tb_wait_signal(600000);
		rx_poll(&vqs[0]);
	}
	mem_canary = canary_in_memory();
	tb_say("RECV %s frames=%llu bytes=%llu gaps=%llu foreign=%llu hellos=%llu canary=%llu "
	       "canary_in_memory=%llu conn=%s",
	       ok && !rx_canary && !mem_canary ? "ok" : "bad", (unsigned long long)rx_frames,
	       (unsigned long long)rx_bytes, (unsigned long long)rx_gaps,
	       (unsigned long long)rx_foreign, (unsigned long long)rx_hellos,
	       (unsigned long long)rx_canary, (unsigned long long)mem_canary,
	       sock_closed() ? "closed" : "open");
	for (unsigned int id = 0; id < TB_MAX_IDS; id++) {
		uint64_t n = 0;

		if (expect[id] < 0 && !lossy[id])
			continue;
		for (unsigned int r = 0; r < PTNET_MAX_RINGS; r++)
			n += st[id][r].count;
		tb_say("FROM id=%u frames=%llu", id, (unsigned long long)n);
	}
	if (rx_canary || mem_canary) {
		tb_log("FAIL the good pair's canary is in this guest's memory");
		return 1;
	}
	return ok ? 0 : 1;
}
