// SPDX-License-Identifier: BSD-2-Clause
/*
 * tcprr.c - TCP request/response rate (netperf TCP_RR style) for the VM
 * benchmark; built statically and copied into the guest initramfs.
 *
 *   tcprr -s [-p PORT]                         serve (forever, one connection at a time)
 *   tcprr -c HOST [-p PORT] [-d SECONDS] [-l BYTES]
 *
 * The client sends a request of BYTES (default 1) with TCP_NODELAY, waits for
 * a response of the same size, repeats for SECONDS (default 5) and prints
 * "transactions N seconds S rate R/s p50_us P p99_us Q".  Every wait is
 * bounded (connect and each transaction: 5 s).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LEN		65536
#define MAX_SAMPLES	(1u << 20)
#define IO_TIMEOUT_MS	5000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Move exactly LEN bytes (send or receive), each wait bounded. */
static int xfer(int fd, char *buf, size_t len, int out)
{
	size_t done = 0;

	while (done < len) {
		struct pollfd p = { .fd = fd, .events = out ? POLLOUT : POLLIN };
		ssize_t n;

		if (poll(&p, 1, IO_TIMEOUT_MS) <= 0)
			return -1;
		n = out ? send(fd, buf + done, len - done, MSG_NOSIGNAL)
			: recv(fd, buf + done, len - done, 0);
		if (n <= 0) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int serve(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static char buf[MAX_LEN];
	int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 4) < 0) {
		perror("tcprr: listen");
		return 1;
	}
	for (;;) {
		int fd = accept(ls, NULL, NULL);
		ssize_t n;

		if (fd < 0)
			continue;
		nodelay(fd);
		/* Echo whatever arrives; the client sends one request at a time. */
		while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
			if (xfer(fd, buf, (size_t)n, 1))
				break;
		close(fd);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int client(const char *host, int port, double secs, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static char buf[MAX_LEN];
	double *lat = malloc(MAX_SAMPLES * sizeof(double)), t0, t1, end;
	unsigned long n = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	if (!lat || fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "tcprr: bad host %s\n", host);
		return 1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		perror("tcprr: connect");
		return 1;
	}
	if (poll(&p, 1, IO_TIMEOUT_MS) <= 0 || (p.revents & (POLLERR | POLLHUP))) {
		fprintf(stderr, "tcprr: cannot connect to %s:%d\n", host, port);
		return 1;
	}
	nodelay(fd);
	memset(buf, 'r', len);
	t0 = now();
	end = t0 + secs;
	do {
		double a = now();

		if (xfer(fd, buf, len, 1) || xfer(fd, buf, len, 0)) {
			fprintf(stderr, "tcprr: transaction %lu failed or timed out\n", n);
			return 1;
		}
		t1 = now();
		if (n < MAX_SAMPLES)
			lat[n] = (t1 - a) * 1e6;
		n++;
	} while (t1 < end);
	close(fd);
	{
		unsigned long m = n < MAX_SAMPLES ? n : MAX_SAMPLES;

		qsort(lat, m, sizeof(double), cmp_double);
		printf("transactions %lu seconds %.3f rate %.1f/s p50_us %.1f p99_us %.1f\n", n,
		       t1 - t0, (double)n / (t1 - t0), lat[m / 2], lat[m * 99 / 100]);
	}
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	const char *host = NULL;
	int port = 5201 + 100, srv = 0, c;
	double secs = 5;
	size_t len = 1;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt(argc, argv, "sc:p:d:l:h")) != -1) {
		switch (c) {
		case 's': srv = 1; break;
		case 'c': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'd': secs = atof(optarg); break;
		case 'l': len = (size_t)atol(optarg); break;
		default:
			fprintf(stderr, "usage: tcprr -s [-p PORT] | -c HOST [-p PORT] [-d SECONDS] "
				"[-l BYTES]\n");
			return 2;
		}
	}
	if (len < 1 || len > MAX_LEN || secs <= 0 || secs > 3600 || port < 1 || port > 65535) {
		fprintf(stderr, "tcprr: bad -l, -d or -p\n");
		return 2;
	}
	if (srv)
		return serve(port);
	if (!host) {
		fprintf(stderr, "tcprr: -s or -c HOST\n");
		return 2;
	}
	return client(host, port, secs, len);
}
