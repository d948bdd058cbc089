// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_ctl - libFuzzer target for the control protocol: the request parser
 * (ptc_split, ptc_kv_get, ptc_opt_apply, ptc_opts_finish, the number and MAC
 * parsers) and ptnetd's whole request handler (daemon/ctl.c), driven through
 * socketpairs on a struct ptd with a running worker, as ptnetd's event loop
 * would drive it, linked with the real daemon objects (every port kind).
 * Root's tap-* and vm-* requests are not sent (they would create
 * interfaces and sockets on the host); everyone else's are, and refused.
 *
 * Build and run (from the top directory; tests/fuzz/run.sh does both):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *	-Iinclude -Isrc -D_GNU_SOURCE -DPTNET_VERSION='"fuzz"' -std=gnu11 -pthread \
 *	tests/fuzz/fuzz_ctl.c src/common/*.c $(ls src/daemon/*.c | grep -v main.c) \
 *	-lmnl -linih -lsystemd -o build-fuzz/fuzz_ctl
 *   build-fuzz/fuzz_ctl -max_total_time=60 build-fuzz/corpus-ctl
 *
 * Input: byte 0 < 64 selects the parser, the rest being one request line;
 * else the rest is a script of up to 64 records on 4 connections.  A record
 * starts with a byte: bits 0-1 the connection, bits 2-4 the operation, bit
 * 5 the uid of a connection it opens (0 or 1000), bit 6 "no hello" for it:
 *   0-3  a message: 1 length byte, then the bytes
 *   4    a long message: 2 length bytes (up to 8 KiB), then the bytes
 *   5    the client closes its end (ptnetd sees the hang-up)
 *   6    the connection is closed and opened again
 *   7    a message (1 length byte) carrying descriptors (SCM_RIGHTS)
 * ptnetd is small here (4 switches, 8 ports, 1 MiB per port, 3 MiB in all,
 * 2 ports per non-root uid) so that its limits are reached too.
 *
 * Besides the sanitizers the harness checks.  Parser: ptc_split returns
 * -EINVAL, -E2BIG or a count; its tokens are non-empty, printable, without
 * spaces, inside the line and in order, and are exactly the line's words;
 * ptc_kv_get finds the first token with the key; ptc_opt_apply and
 * ptc_opts_finish leave valid options; numbers and MACs parse like a
 * reference and MACs round-trip.  Handler: every reply is printable ASCII
 * of at most 4096 bytes: "ok", "ok ...", "rec ..." or "err ENAME reason"
 * with a known errno name; only an "ok size=... rings=N" reply to an
 * attach carries descriptors, exactly 1 + 2N, or an "ok size=... end=E"
 * reply to a pipe request, 5; a connection holds at most one port and a
 * port's connection is the one that attached it (or a pipe's other end); ptnetd's
 * counts of ports and memory match its switches; at the end of each input,
 * with every connection closed, nothing is left.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>
#include "daemon/ctl.h"
#include "daemon/log.h"
#include "daemon/port.h"
#include "daemon/switch.h"
#include "daemon/worker.h"

/* ---------------------------------------------------------------- parser */

static int printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* Reference number parser (decimal digits only: no sign, spaces or 0x). */
static int ref_u64(const char *s, uint64_t *out)
{
	unsigned __int128 v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > UINT64_MAX)
			return -ERANGE;
	}
	*out = (uint64_t)v;
	return 0;
}

static int is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static void parser(const uint8_t *data, size_t size)
{
	char line[PTC_MAX_MSG + 2], copy[PTC_MAX_MSG + 2];
	struct ptc_tokens t;
	size_t n = size < PTC_MAX_MSG ? size : PTC_MAX_MSG, len;
	int ret;

	memcpy(line, data, n);
	line[n] = '\0';
	len = strlen(line);
	memcpy(copy, line, len + 1);
	ret = ptc_split(line, &t);
	if (ret == -EINVAL || ret == -E2BIG) {
		/* -EINVAL exactly for a byte outside printable ASCII ('\n' included). */
		if (ret == -EINVAL && printable(copy, len))
			abort();
		if (ret == -E2BIG && !printable(copy, len))
			abort();
		return;
	}
	if (ret < 0 || ret > PTC_MAX_TOKENS || ret != t.n)
		abort();
	{
		/* The tokens are the words of the line, in order. */
		char words[PTC_MAX_MSG + 2];
		size_t w = 0, l = len;
		int count = 0;

		for (size_t i = 0; i < l;) {
			while (i < l && copy[i] == ' ')
				i++;
			if (i == l)
				break;
			if (count)
				words[w++] = ' ';
			while (i < l && copy[i] != ' ')
				words[w++] = copy[i++];
			count++;
		}
		words[w] = '\0';
		if (count != t.n)
			abort();
		w = 0;
		for (int i = 0; i < t.n; i++) {
			size_t tl = strlen(t.tok[i]);

			if (!tl || strchr(t.tok[i], ' ') || !printable(t.tok[i], tl))
				abort();
			if (t.tok[i] < line || t.tok[i] + tl > line + len)
				abort();
			if (i && t.tok[i] <= t.tok[i - 1])
				abort();
			if (i)
				w++;
			if (strncmp(words + w, t.tok[i], tl))
				abort();
			w += tl;
		}
	}
	/* ptc_kv_get: the first token from 1 on with "key=". */
	for (int i = 1; i < t.n; i++) {
		char key[64];
		const char *eq = strchr(t.tok[i], '='), *v;

		if (!eq || (size_t)(eq - t.tok[i]) >= sizeof(key))
			continue;
		memcpy(key, t.tok[i], (size_t)(eq - t.tok[i]));
		key[eq - t.tok[i]] = '\0';
		v = ptc_kv_get(&t, 1, key);
		for (int k = 1; k < t.n; k++) {
			size_t kl = strlen(key);

			if (!strncmp(t.tok[k], key, kl) && t.tok[k][kl] == '=') {
				if (v != t.tok[k] + kl + 1)
					abort();
				break;
			}
		}
	}
	/* Numbers and MACs of every token (and of every value). */
	for (int i = 0; i < t.n; i++) {
		const char *vals[2] = { t.tok[i], strchr(t.tok[i], '=') };

		if (vals[1])
			vals[1]++;
		for (int k = 0; k < 2; k++) {
			uint64_t a = 0, b = 0;
			uint32_t u = 0;
			uint8_t mac[6];
			int ra, rb, ru;

			if (!vals[k])
				continue;
			ra = ptc_parse_u64(vals[k], &a);
			rb = ref_u64(vals[k], &b);
			if (ra != rb || (!ra && a != b))
				abort();
			ru = ptc_parse_u32(vals[k], 64, 4096, &u);
			if (ra ? ru != ra : (a < 64 || a > 4096) ? ru != -ERANGE : ru || u != a)
				abort();
			if (!ptc_parse_mac(vals[k], mac)) {
				char back[18];

				ptc_format_mac(mac, back);
				if (strcasecmp(back, vals[k]))
					abort();
			}
		}
	}
	/* The options of an attach: as do_attach applies them. */
	{
		struct ptnet_port_opts o = { 0 };
		unsigned int given = 0;
		char err[256];
		int bad = 0;

		for (int i = 1; i < t.n && !bad; i++) {
			char *eq = strchr(t.tok[i], '=');

			if (!eq)
				continue;
			*eq = '\0';
			memset(err, 0x5a, sizeof(err));
			ret = ptc_opt_apply(&o, &given, t.tok[i], eq + 1, err, sizeof(err));
			*eq = '=';
			if (ret != 0 && ret != -ENOENT && ret != -EINVAL && ret != -ERANGE)
				abort();
			if (ret && (!memchr(err, '\0', sizeof(err)) || !err[0]))
				abort();
			bad = ret != 0;
		}
		if (bad)
			return;
		memset(err, 0x5a, sizeof(err));
		ret = ptc_opts_finish(&o, err, sizeof(err));
		if (ret && (ret != -EINVAL || !memchr(err, '\0', sizeof(err)) || !err[0]))
			abort();
		if (ret)
			return;
		if (!o.tx_rings || o.tx_rings > PTNET_MAX_RINGS || !o.rx_rings ||
		    o.rx_rings > PTNET_MAX_RINGS || !is_pow2(o.tx_slots) || !is_pow2(o.rx_slots) ||
		    o.tx_slots < PTNET_MIN_SLOTS || o.tx_slots > PTNET_MAX_SLOTS ||
		    o.rx_slots < PTNET_MIN_SLOTS || o.rx_slots > PTNET_MAX_SLOTS ||
		    o.buf_size < PTNET_MIN_BUF_SIZE || o.buf_size > PTNET_MAX_BUF_SIZE ||
		    o.buf_size % 64 || (o.vnet_hdr_len && o.vnet_hdr_len != PTNET_VNET_HDR_LEN) ||
		    o.mtu < 68 || o.mtu > 65535 || (o.mac_set && (o.mac[0] & 1)))
			abort();
	}
}

/* ---------------------------------------------------------------- handler */

#define NCONN 4

static struct ptd D;

struct fconn {
	struct ptd_conn *c;
	int cli;		/* the client's end */
};

static struct fconn fc[NCONN];
static int verbose;		/* FUZZ_CTL_VERBOSE=1: print the replies */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memset(&D, 0, sizeof(D));
	D.listen_fd = -1;
	D.ev_listen.fd = D.ev_signal.fd = D.ev_timer.fd = -1;
	D.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (D.epfd < 0)
		abort();
	ptd_config_defaults(&D.cfg);
	D.cfg.nworkers = 1;
	D.cfg.max_switches = 4;
	D.cfg.max_ports = 8;
	D.cfg.max_ports_per_switch = 4;
	D.cfg.max_port_mem = 1ull << 20;
	D.cfg.max_mem = 3ull << 20;
	D.cfg.uid_max_ports = 2;
	D.cfg.uid_max_mem = 2ull << 20;
	ptd_log_level = -1;	/* silent: ERR is 0 */
	verbose = getenv("FUZZ_CTL_VERBOSE") != NULL;
	if (ptd_workers_start(&D))
		abort();
	return 0;
}

/* ptnetd's event loop: deliver EVENTS on connection C. */
static void conn_event(struct ptd_conn *c, uint32_t events)
{
	if (c->ev.fn)
		c->ev.fn(&D, &c->ev, events);
}

static void conn_open(unsigned int k, int uid, int hello)
{
	struct ptd_cred cr = { .uid = (uid_t)uid, .gid = (gid_t)uid };
	int sp[2];
	struct ptd_conn *c;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		abort();
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	fcntl(sp[1], F_SETFL, O_NONBLOCK);
	if (ptd_ctl_conn_new(&D, sp[0], &cr, 4242, &c))
		abort();
	fc[k].c = c;
	fc[k].cli = sp[1];
	if (hello) {
		char buf[256];

		send(sp[1], "hello abi=1", 11, 0);
		conn_event(c, EPOLLIN);
		if (recv(sp[1], buf, sizeof(buf), 0) < 2 || strncmp(buf, "ok", 2))
			abort();
	}
}

/* Read and check every reply waiting on connection K. */
static void drain(unsigned int k)
{
	for (;;) {
		union {
			char b[CMSG_SPACE(sizeof(int) * 253)];
			struct cmsghdr align;
		} cb;
		char buf[PTC_MAX_MSG + 64];
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.b,
				     .msg_controllen = sizeof(cb.b) };
		unsigned int nfds = 0, rings = 0;
		unsigned long long size;
		ssize_t n = recvmsg(fc[k].cli, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n <= 0)
			return;
		buf[n] = '\0';
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int f;

				memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				close(f);
				nfds++;
			}
		}
		if (verbose)
			fprintf(stderr, "conn %u: %.200s (%u fds)\n", k, buf, nfds);
		if (n > PTC_MAX_MSG || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
		    !printable(buf, (size_t)n))
			abort();
		if (!strncmp(buf, "err ", 4)) {
			char name[32];
			int off = 0;

			if (sscanf(buf + 4, "%31s %n", name, &off) != 1 || !off || !buf[4 + off])
				abort();	/* "err ENAME reason" */
			if (ptc_errno_from_name(name) == EIO && strcmp(name, "EIO"))
				abort();	/* an errno name the client cannot decode */
		} else if (strncmp(buf, "rec ", 4) && (strncmp(buf, "ok", 2) ||
						       (buf[2] && buf[2] != ' '))) {
			abort();
		}
		if (sscanf(buf, "ok size=%llu rings=%u", &size, &rings) == 2) {
			if (nfds != 1 + 2 * rings)
				abort();
		} else if (!strncmp(buf, "ok size=", 8) && strstr(buf, " end=")) {
			if (nfds != 5)
				abort();	/* a pipe end: memfd and 4 eventfds */
		} else if (nfds) {
			abort();	/* descriptors with something else than an attach or pipe */
		}
	}
}

/* Forget connections ptnetd closed (and free them, as its event loop does). */
static void settle(void)
{
	unsigned int nports = 0;
	uint64_t mem = 0;

	for (unsigned int k = 0; k < NCONN; k++) {
		if (!fc[k].c)
			continue;
		if (fc[k].c->closed) {
			close(fc[k].cli);
			fc[k].c = NULL;
		} else if (fc[k].c->port && fc[k].c->port->conn != fc[k].c &&
			   fc[k].c->port->ops->region_kind != PTNET_KIND_PIPE) {
			abort();	/* (a pipe pair is held by both ends' connections) */
		}
	}
	ptd_defer_run(&D);
	for (unsigned int i = 0; i < D.nsw; i++) {
		struct ptd_switch *sw = D.sw[i];

		for (unsigned int k = 0; k < sw->nports; k++) {
			struct ptd_port *p = sw->ports[sw->active[k]];

			if (!p || p->sw != sw)
				abort();
			nports++;
			mem += p->size;
		}
	}
	if (nports != D.nports || mem != D.mem || D.nports > D.cfg.max_ports ||
	    D.mem > D.cfg.max_mem || D.nsw > D.cfg.max_switches)
		abort();
}

static void conn_close(unsigned int k)
{
	if (!fc[k].c)
		return;
	close(fc[k].cli);
	fc[k].cli = -1;
	/* ptnetd's event loop: the hang-up */
	conn_event(fc[k].c, EPOLLIN | EPOLLRDHUP | EPOLLHUP);
	if (!fc[k].c->closed)
		abort();	/* a hung-up connection must be closed */
	fc[k].c = NULL;
	/* Others it closed (a pipe's other end) go too, before they are freed. */
	for (unsigned int j = 0; j < NCONN; j++)
		if (fc[j].c && fc[j].c->closed) {
			close(fc[j].cli);
			fc[j].cli = -1;
			fc[j].c = NULL;
		}
	ptd_defer_run(&D);
}

/*
 * Would root's request MSG create something on the host (a TAP interface,
 * a socket at a path the input chose)?  Those are not sent.
 */
static int host_request(const struct ptd_conn *c, const char *msg, size_t len)
{
	char line[8192 + 1];
	struct ptc_tokens t;

	if (c->cr.uid != 0 || !c->hello)
		return 0;
	memcpy(line, msg, len);
	line[len] = '\0';
	if (memchr(msg, '\0', len) || ptc_split(line, &t) <= 0)
		return 0;
	return !strncmp(t.tok[0], "tap-", 4) || !strncmp(t.tok[0], "vm-", 3);
}

static void handler(const uint8_t *p, const uint8_t *end)
{
	for (unsigned int nrec = 0; p < end && nrec < 64; nrec++) {
		uint8_t b = *p++;
		unsigned int k = b & 3, op = (b >> 2) & 7;
		int uid = b & 0x20 ? 1000 : 0, hello = !(b & 0x40);

		if (op == 5) {
			conn_close(k);
			settle();
			continue;
		}
		if (op == 6) {
			conn_close(k);
			conn_open(k, uid, hello);
			settle();
			continue;
		}
		{
			size_t len;
			char msg[8192];

			if (p >= end)
				break;
			len = *p++;
			if (op == 4 && p < end)
				len = (len | (size_t)*p++ << 8) & 8191;
			if (len > (size_t)(end - p))
				len = (size_t)(end - p);
			memcpy(msg, p, len);
			p += len;
			if (!fc[k].c)
				conn_open(k, uid, hello);
			if (host_request(fc[k].c, msg, len))
				continue;
			if (op == 7) {
				union {
					char b[CMSG_SPACE(sizeof(int) * 2)];
					struct cmsghdr align;
				} cb;
				struct iovec iov = { .iov_base = msg, .iov_len = len };
				struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
						     .msg_control = cb.b,
						     .msg_controllen = sizeof(cb.b) };
				struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
				int fds[2] = { open("/dev/null", O_RDONLY | O_CLOEXEC), fc[k].cli };

				cm->cmsg_level = SOL_SOCKET;
				cm->cmsg_type = SCM_RIGHTS;
				cm->cmsg_len = CMSG_LEN(sizeof(fds));
				memcpy(CMSG_DATA(cm), fds, sizeof(fds));
				if (fds[0] >= 0) {
					sendmsg(fc[k].cli, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
					close(fds[0]);
				}
			} else if (send(fc[k].cli, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
				continue;
			}
			conn_event(fc[k].c, EPOLLIN);
			for (unsigned int j = 0; j < NCONN; j++)
				if (fc[j].c)
					drain(j);
			settle();
		}
	}
	/* Everything closes: nothing may be left. */
	for (unsigned int k = 0; k < NCONN; k++)
		conn_close(k);
	settle();
	while (D.nsw) {
		if (D.sw[0]->nports || !D.sw[0]->persistent || ptd_switch_del(&D, D.sw[0]->name, NULL))
			abort();	/* a switch made on first use went with its last port */
	}
	if (D.nports || D.mem || D.nconns || D.deferred)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] < 64)
		parser(data + 1, size - 1);
	else
		handler(data + 1, data + size);
	return 0;
}
