/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kudp - the Linux kernel UDP baseline of the ptnet benchmark.
 *
 *	kudp rx   --bind IP:PORT [-d SECONDS] [--busy] [--json]
 *	kudp tx   --to IP:PORT [-l PAYLOAD_LEN] [-d SECONDS] [--json]
 *	kudp pong --bind IP:PORT [-d SECONDS] [--busy] [--json]
 *	kudp ping --to IP:PORT [-n COUNT] [-d SECONDS] [-w WARMUP] [--busy] [--json]
 *
 * rx and tx move packets in batches of 64 (recvmmsg/sendmmsg); ping and pong
 * exchange 1-byte requests and responses, one at a time.  --busy replaces
 * blocking receives by MSG_DONTWAIT receives in a spin loop and also asks for
 * SO_BUSY_POLL (which needs CAP_NET_ADMIN above the net.core.busy_read
 * sysctl).  With --json the only thing on stdout is one JSON line, in the same
 * format as ptnet-pktgen's, so that bench/run.sh can read both alike.
 *
 * A UDP payload of 18 bytes makes a 60-byte Ethernet frame (14 + 20 + 8 + 18)
 * and 1472 bytes make a 1514-byte frame.
 *
 * This program needs only libc; it does not use libptnet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BATCH		64
#define RX_BUF_LEN	2048		/* longer datagrams are counted, not copied */
#define MAX_PAYLOAD	1472		/* one 1514-byte frame, no fragments */
#define SOCK_BUF_BYTES	(8 << 20)
#define SILENCE_S	1.0		/* rx stops after this much quiet ... */
#define POLL_TICK_US	100000		/* ... checked at least this often */
#define PING_TIMEOUT_S	1.0		/* a request without reply is lost after this */
#define BUSY_POLL_US	50

#define ETH_IP_UDP_HDRS	(14 + 20 + 8)
#define ETH_MIN_FRAME	60		/* without FCS */

struct opts {
	const char *mode;
	struct sockaddr_in addr;
	int have_addr;
	unsigned int payload_len;
	double duration;		/* 0: mode default (forever for pong) */
	long count;
	long warmup;
	int busy;
	int json;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void cpu_times(double *user_s, double *sys_s)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
	*sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kudp rx   --bind IP:PORT [-d SECONDS] [--busy] [--json]\n"
		"       kudp tx   --to IP:PORT [-l PAYLOAD_LEN] [-d SECONDS] [--json]\n"
		"       kudp pong --bind IP:PORT [-d SECONDS] [--busy] [--json]\n"
		"       kudp ping --to IP:PORT [-n COUNT] [-d SECONDS] [-w WARMUP] [--busy] [--json]\n"
		"\n"
		"Linux kernel UDP baseline for bench/run.sh.\n"
		"  -l LEN     UDP payload bytes, 1..%d (default 18 = 60-byte frames)\n"
		"  -d SECONDS tx: send time (default 3); rx: upper bound (default 10),\n"
		"             rx also stops after %.0f s of silence once traffic was seen;\n"
		"             ping: upper bound; pong: run time (default: until SIGINT/SIGTERM)\n"
		"  -n COUNT   ping transactions to measure (default 10000)\n"
		"  -w WARMUP  ping transactions done first and not measured (default 10)\n"
		"  --busy     spin on MSG_DONTWAIT receives and set SO_BUSY_POLL if permitted\n"
		"  --json     print one JSON result line on stdout\n",
		MAX_PAYLOAD, SILENCE_S);
}

/* "a.b.c.d:port" -> SA.  0 or -EINVAL. */
static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long port;
	size_t hlen;

	if (!colon)
		return -EINVAL;
	hlen = (size_t)(colon - s);
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port == 0 || port > 65535)
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "to", required_argument, NULL, 't' },
		{ "busy", no_argument, NULL, 'B' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->payload_len = 18;
	o->count = 10000;
	o->warmup = 10;
	if (argc < 2) {
		usage(stderr);
		return -EINVAL;
	}
	o->mode = argv[1];
	if (!strcmp(o->mode, "-h") || !strcmp(o->mode, "--help")) {
		usage(stdout);
		exit(0);
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "l:d:n:w:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
		case 't':
			if (parse_addr(optarg, &o->addr) < 0) {
				fprintf(stderr, "kudp: bad address '%s' (want IPv4:PORT)\n", optarg);
				return -EINVAL;
			}
			o->have_addr = 1;
			break;
		case 'l': {
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || v < 1 || v > MAX_PAYLOAD) {
				fprintf(stderr, "kudp: bad payload length '%s' (1..%d)\n", optarg,
					MAX_PAYLOAD);
				return -EINVAL;
			}
			o->payload_len = (unsigned int)v;
			break;
		}
		case 'd':
			errno = 0;
			o->duration = strtod(optarg, &end);
			if (errno || *end || !(o->duration > 0) || o->duration > 86400) {
				fprintf(stderr, "kudp: bad duration '%s'\n", optarg);
				return -EINVAL;
			}
			break;
		case 'n':
		case 'w': {
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < (c == 'n' ? 1 : 0) || v > 100000000) {
				fprintf(stderr, "kudp: bad count '%s'\n", optarg);
				return -EINVAL;
			}
			if (c == 'n')
				o->count = v;
			else
				o->warmup = v;
			break;
		}
		case 'B':
			o->busy = 1;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "kudp: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->have_addr) {
		fprintf(stderr, "kudp: %s needs %s IP:PORT\n", o->mode,
			(!strcmp(o->mode, "tx") || !strcmp(o->mode, "ping")) ? "--to" : "--bind");
		return -EINVAL;
	}
	return 0;
}

/* Socket buffers: SO_*BUFFORCE (root) so the sysctl caps do not apply. */
static void grow_buffers(int fd)
{
	int v = SOCK_BUF_BYTES;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

static int set_rcvtimeo(int fd, long usec)
{
	struct timeval tv = { .tv_sec = usec / 1000000, .tv_usec = usec % 1000000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

/* Returns the SO_BUSY_POLL value in effect (0 if refused). */
static int set_busy_poll(int fd)
{
	int v = BUSY_POLL_US;

	if (setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &v, sizeof(v)) < 0) {
		fprintf(stderr, "kudp: SO_BUSY_POLL refused: %s (spinning anyway)\n",
			strerror(errno));
		return 0;
	}
	return v;
}

/* A UDP socket bound (BIND) or connected (!BIND) to O->addr.  fd or -errno. */
static int open_socket(const struct opts *o, int bind_it)
{
	int fd, one = 1, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	grow_buffers(fd);
	if (bind_it) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		ret = bind(fd, (const struct sockaddr *)&o->addr, sizeof(o->addr));
	} else {
		ret = connect(fd, (const struct sockaddr *)&o->addr, sizeof(o->addr));
	}
	if (ret < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

struct result {
	const char *mode;
	uint64_t packets;
	uint64_t bytes;		/* UDP payload bytes */
	uint64_t errors;	/* tx: failed sendmmsg calls */
	double seconds;
	double rtt_min, rtt_avg, rtt_p50, rtt_p99, rtt_max;
	uint64_t transactions;
	uint64_t lost;
	int busy_poll_us;
};

static void print_result(const struct opts *o, const struct result *r)
{
	double user_s, sys_s;
	double pps = r->seconds > 0 ? (double)r->packets / r->seconds : 0;
	double bps = r->seconds > 0 ? (double)r->bytes * 8 / r->seconds : 0;
	unsigned int plen = o->payload_len, flen;

	cpu_times(&user_s, &sys_s);
	/* rx learns the payload length from what it got (all datagrams alike). */
	if (!strcmp(r->mode, "rx"))
		plen = r->packets ? (unsigned int)(r->bytes / r->packets) : 0;
	else if (!strcmp(r->mode, "ping") || !strcmp(r->mode, "pong"))
		plen = 1;
	flen = plen ? plen + ETH_IP_UDP_HDRS : 0;
	if (flen && flen < ETH_MIN_FRAME)
		flen = ETH_MIN_FRAME;	/* padded */
	if (!o->json) {
		printf("kudp %s: %llu packets, %llu payload bytes in %.3f s: %.3f Mpps, %.3f Gbps"
		       " (payload); cpu %.3f user + %.3f sys s\n",
		       r->mode, (unsigned long long)r->packets, (unsigned long long)r->bytes,
		       r->seconds, pps / 1e6, bps / 1e9, user_s, sys_s);
		if (!strcmp(r->mode, "ping"))
			printf("kudp ping: %llu transactions, %llu lost, rtt us min %.2f avg %.2f"
			       " p50 %.2f p99 %.2f max %.2f\n",
			       (unsigned long long)r->transactions, (unsigned long long)r->lost,
			       r->rtt_min, r->rtt_avg, r->rtt_p50, r->rtt_p99, r->rtt_max);
		fflush(stdout);
		return;
	}
	printf("{\"mode\":\"%s\",\"tool\":\"kudp\",\"payload_len\":%u,\"frame_len\":%u,"
	       "\"packets\":%llu,\"bytes\":%llu,\"seconds\":%.6f,\"pps\":%.1f,\"bps\":%.1f,"
	       "\"cpu_user_s\":%.6f,\"cpu_sys_s\":%.6f,\"busy\":%s,\"busy_poll_us\":%d",
	       r->mode, plen, flen,
	       (unsigned long long)r->packets, (unsigned long long)r->bytes, r->seconds, pps, bps,
	       user_s, sys_s, o->busy ? "true" : "false", r->busy_poll_us);
	if (!strcmp(r->mode, "tx"))
		printf(",\"errors\":%llu", (unsigned long long)r->errors);
	if (!strcmp(r->mode, "ping") || !strcmp(r->mode, "pong"))
		printf(",\"transactions\":%llu", (unsigned long long)r->transactions);
	if (!strcmp(r->mode, "ping"))
		printf(",\"lost\":%llu,\"rtt_us\":{\"min\":%.3f,\"avg\":%.3f,\"p50\":%.3f,"
		       "\"p99\":%.3f,\"max\":%.3f}",
		       (unsigned long long)r->lost, r->rtt_min, r->rtt_avg, r->rtt_p50,
		       r->rtt_p99, r->rtt_max);
	printf("}\n");
	fflush(stdout);
}

/*
 * rx: count datagrams until the deadline, or until SILENCE_S without any
 * once the first one arrived.  "seconds" is the time from the first batch to
 * the last one, so the rate is the rate while traffic flowed.
 */
static int do_rx(const struct opts *o)
{
	static char bufs[BATCH][RX_BUF_LEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct result r = { .mode = "rx" };
	double start, deadline, first = 0, last = 0, t;
	int fd, i, n, flags;

	fd = open_socket(o, 1);
	if (fd < 0) {
		fprintf(stderr, "kudp rx: socket/bind: %s\n", strerror(-fd));
		return fd;
	}
	if (o->busy)
		r.busy_poll_us = set_busy_poll(fd);
	else
		set_rcvtimeo(fd, POLL_TICK_US);
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = RX_BUF_LEN;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	/* MSG_TRUNC: msg_len is the datagram's real length even if truncated. */
	flags = MSG_TRUNC | (o->busy ? MSG_DONTWAIT : MSG_WAITFORONE);
	start = now_s();
	deadline = start + (o->duration > 0 ? o->duration : 10.0);
	while (!stop_flag) {
		n = recvmmsg(fd, msgs, BATCH, flags, NULL);
		t = now_s();
		if (n > 0) {
			if (!r.packets)
				first = t;
			last = t;
			r.packets += (uint64_t)n;
			for (i = 0; i < n; i++)
				r.bytes += msgs[i].msg_len;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "kudp rx: recvmmsg: %s\n", strerror(errno));
			break;
		}
		if (t >= deadline || (r.packets && t - last >= SILENCE_S))
			break;
	}
	r.seconds = r.packets > 1 ? last - first : 0;
	close(fd);
	print_result(o, &r);
	return 0;
}

/* tx: sendmmsg batches of one fixed datagram for o->duration seconds. */
static int do_tx(const struct opts *o)
{
	static char payload[MAX_PAYLOAD];
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	struct result r = { .mode = "tx" };
	double start, deadline, t;
	int fd, i, n;

	fd = open_socket(o, 0);
	if (fd < 0) {
		fprintf(stderr, "kudp tx: socket/connect: %s\n", strerror(-fd));
		return fd;
	}
	for (i = 0; i < (int)o->payload_len; i++)
		payload[i] = (char)i;
	iov.iov_base = payload;
	iov.iov_len = o->payload_len;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	start = now_s();
	deadline = start + (o->duration > 0 ? o->duration : 3.0);
	t = start;
	while (!stop_flag && t < deadline) {
		n = sendmmsg(fd, msgs, BATCH, 0);
		if (n > 0) {
			r.packets += (uint64_t)n;
		} else if (n < 0) {
			/*
			 * ENOBUFS/EAGAIN: queue full; ECONNREFUSED: an ICMP
			 * port-unreachable came back (receiver not up yet).
			 */
			if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED &&
			    errno != EINTR) {
				fprintf(stderr, "kudp tx: sendmmsg: %s\n", strerror(errno));
				break;
			}
			r.errors++;
		}
		t = now_s();
	}
	r.seconds = t - start;
	r.bytes = r.packets * o->payload_len;
	close(fd);
	print_result(o, &r);
	return 0;
}

/* pong: echo every datagram back to its sender. */
static int do_pong(const struct opts *o)
{
	char buf[RX_BUF_LEN];
	struct sockaddr_in src;
	socklen_t slen;
	struct result r = { .mode = "pong" };
	double start, deadline, t;
	ssize_t len;
	int fd, flags;

	fd = open_socket(o, 1);
	if (fd < 0) {
		fprintf(stderr, "kudp pong: socket/bind: %s\n", strerror(-fd));
		return fd;
	}
	if (o->busy)
		r.busy_poll_us = set_busy_poll(fd);
	else
		set_rcvtimeo(fd, POLL_TICK_US);
	flags = o->busy ? MSG_DONTWAIT : 0;
	start = now_s();
	deadline = o->duration > 0 ? start + o->duration : 0;
	t = start;
	while (!stop_flag && (!deadline || t < deadline)) {
		slen = sizeof(src);
		len = recvfrom(fd, buf, sizeof(buf), flags, (struct sockaddr *)&src, &slen);
		if (len >= 0) {
			if (sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&src, slen) == len) {
				r.transactions++;
				r.packets += 2;
				r.bytes += 2 * (uint64_t)len;
			}
		} else if (errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "kudp pong: recvfrom: %s\n", strerror(errno));
			break;
		}
		/* The clock is cheap (vDSO) but not free: check it when idle. */
		if (len < 0 || !(r.transactions & 1023))
			t = now_s();
	}
	r.seconds = now_s() - start;
	close(fd);
	print_result(o, &r);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted V[0..n). */
static double percentile(const double *v, size_t n, double p)
{
	size_t rank;

	if (!n)
		return 0;
	rank = (size_t)ceil(p / 100.0 * (double)n);
	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

/*
 * One request/response.  Returns the RTT in microseconds, or a negative
 * value if no reply with sequence number SEQ came back in PING_TIMEOUT_S.
 */
static double ping_once(int fd, unsigned char seq, int flags)
{
	unsigned char rbuf[64];
	double t0, t;
	ssize_t len;

	t0 = now_s();
	if (send(fd, &seq, 1, 0) != 1)
		return -1;
	for (;;) {
		len = recv(fd, rbuf, sizeof(rbuf), flags);
		if (len == 1 && rbuf[0] == seq)
			return (now_s() - t0) * 1e6;
		/* Anything else (a late reply, EAGAIN, ECONNREFUSED) just waits on. */
		if (len < 0 && errno != EAGAIN && errno != EINTR && errno != ECONNREFUSED)
			return -1;
		if (stop_flag)
			return -1;
		t = now_s();
		if (t - t0 >= PING_TIMEOUT_S)
			return -1;
	}
}

/* ping: o->warmup unmeasured, then o->count measured transactions. */
static int do_ping(const struct opts *o)
{
	struct result r = { .mode = "ping" };
	double *rtt, start, deadline, sum = 0, us;
	size_t n = 0;
	long i;
	int fd, flags;
	unsigned char seq = 0;

	rtt = calloc((size_t)o->count, sizeof(*rtt));
	if (!rtt) {
		fprintf(stderr, "kudp ping: out of memory\n");
		return -ENOMEM;
	}
	fd = open_socket(o, 0);
	if (fd < 0) {
		fprintf(stderr, "kudp ping: socket/connect: %s\n", strerror(-fd));
		free(rtt);
		return fd;
	}
	if (o->busy)
		r.busy_poll_us = set_busy_poll(fd);
	else
		set_rcvtimeo(fd, POLL_TICK_US);
	flags = o->busy ? MSG_DONTWAIT : 0;
	for (i = 0; i < o->warmup && !stop_flag; i++)
		ping_once(fd, seq++, flags);
	start = now_s();
	deadline = o->duration > 0 ? start + o->duration : 0;
	for (i = 0; i < o->count && !stop_flag; i++) {
		us = ping_once(fd, seq++, flags);
		if (us < 0) {
			r.lost++;
		} else {
			rtt[n++] = us;
			sum += us;
		}
		if (deadline && now_s() >= deadline)
			break;
	}
	r.seconds = now_s() - start;
	r.transactions = n;
	r.packets = 2 * n;
	r.bytes = 2 * n;
	if (n) {
		qsort(rtt, n, sizeof(*rtt), cmp_double);
		r.rtt_min = rtt[0];
		r.rtt_max = rtt[n - 1];
		r.rtt_avg = sum / (double)n;
		r.rtt_p50 = percentile(rtt, n, 50);
		r.rtt_p99 = percentile(rtt, n, 99);
	}
	close(fd);
	free(rtt);
	print_result(o, &r);
	return n ? 0 : -ETIMEDOUT;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct opts o;
	int ret;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: blocking receives return EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (!strcmp(o.mode, "rx"))
		ret = do_rx(&o);
	else if (!strcmp(o.mode, "tx"))
		ret = do_tx(&o);
	else if (!strcmp(o.mode, "pong"))
		ret = do_pong(&o);
	else if (!strcmp(o.mode, "ping"))
		ret = do_ping(&o);
	else {
		fprintf(stderr, "kudp: unknown mode '%s'\n", o.mode);
		usage(stderr);
		return 2;
	}
	return ret < 0 ? 1 : 0;
}
