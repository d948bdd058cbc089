// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm-gen - a netmap-API rate sender/receiver (nm.h only, /dev/netmap), for
 * bench/run.sh's netmap-API path through libptnet-netmap.so: the loop of
 * pkt-gen's tx/rx without its options.
 *
 *   nm-gen tx -i PORT [-l LEN] [-d SECONDS] [-b BATCH]
 *   nm-gen rx -i PORT [-d SECONDS]
 *
 * tx writes a broadcast frame of LEN bytes (default 60) into every TX
 * buffer once (as pkt-gen does for buffers without NS_BUF_CHANGED), then
 * for SECONDS (default 3) queues up to BATCH (512) slots per NIOCTXSYNC
 * and, when the ring is full, waits in poll(POLLOUT).  rx waits in
 * poll(POLLIN) and releases everything up to tail, for SECONDS (default 4).
 * Both print one JSON line with ptnet-pktgen's fields: mode, port,
 * packets, bytes (frame bytes), seconds (first to last packet, rx; the
 * sending time, tx), pps, bps, cpu_user_s, cpu_sys_s, plus tool "nm-gen".
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "nm.h"

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double tv(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

static void report(const char *mode, const char *port, unsigned long long pkts,
		   unsigned long long bytes, double sec)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("{\"tool\":\"nm-gen\",\"mode\":\"%s\",\"port\":\"%s\",\"packets\":%llu,"
	       "\"bytes\":%llu,\"seconds\":%.6f,\"pps\":%.3f,\"bps\":%.3f,\"cpu_user_s\":%.3f,"
	       "\"cpu_sys_s\":%.3f}\n",
	       mode, port, pkts, bytes, sec, sec > 0 ? (double)pkts / sec : 0.0,
	       sec > 0 ? (double)bytes * 8 / sec : 0.0, tv(ru.ru_utime), tv(ru.ru_stime));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *port = NULL;
	unsigned int len = 60, batch = 512;
	double dur = 0, t0, t_first = 0, t_last = 0;
	unsigned long long pkts = 0, bytes = 0;
	struct t_reg r = { 0 };
	struct t_hdr h;
	struct t_ring *ring;
	struct t_if *nifp;
	char *mem;
	int tx, c, fd;

	if (argc < 2 || (strcmp(argv[1], "tx") && strcmp(argv[1], "rx")))
		goto usage;
	tx = !strcmp(argv[1], "tx");
	optind = 2;
	while ((c = getopt(argc, argv, "i:l:d:b:")) != -1) {
		switch (c) {
		case 'i': port = optarg; break;
		case 'l': len = (unsigned int)atoi(optarg); break;
		case 'd': dur = atof(optarg); break;
		case 'b': batch = (unsigned int)atoi(optarg); break;
		default: goto usage;
		}
	}
	if (!port || len < 60 || len > 1514 || !batch)
		goto usage;
	if (dur <= 0)
		dur = tx ? 3 : 4;
	fd = open("/dev/netmap", O_RDWR);
	if (fd < 0) {
		perror("nm-gen: open /dev/netmap");
		return 1;
	}
	t_hdr_init(&h, T_REGISTER, port, &r);
	r.nr_mode = T_ALL_NIC;
	r.nr_flags = tx ? 0 : T_F_NO_TX_POLL;
	if (t_ioctl(fd, T_NIOCCTRL, &h)) {
		fprintf(stderr, "nm-gen: REGISTER %s: %s\n", port, strerror(errno));
		return 1;
	}
	mem = mmap(NULL, r.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		perror("nm-gen: mmap");
		return 1;
	}
	nifp = (struct t_if *)(mem + r.nr_offset);
	ring = tx ? t_txring(nifp, 0) : t_rxring(nifp, 0);
	if (batch > ring->num_slots - 1)
		batch = ring->num_slots - 1;
	if (tx) {
		for (uint32_t i = 0; i < ring->num_slots; i++) {
			char *b = t_buf(ring, ring->slot[i].buf_idx);

			memset(b, 0xff, 6);
			memcpy(b + 6, "\x02\x00\x00\x00\x00\x07\x88\xb5", 8);
			for (unsigned int k = 14; k < len; k++)
				b[k] = (char)k;
			ring->slot[i].len = (uint16_t)len;
		}
	}
	t0 = now_s();
	while (now_s() - t0 < dur) {
		struct pollfd p = { fd, (short)(tx ? POLLOUT : POLLIN), 0 };
		uint32_t n = t_space(ring);

		if (tx) {
			if (!n) {
				if (poll(&p, 1, 1000) < 0 || (p.revents & POLLERR))
					break;
				continue;
			}
			if (n > batch)
				n = batch;
			for (uint32_t k = 0; k < n; k++)
				ring->slot[(ring->head + k) % ring->num_slots].len = (uint16_t)len;
			ring->head = ring->cur = (ring->head + n) % ring->num_slots;
			pkts += n;
			bytes += (unsigned long long)n * len;
			if (t_ioctl(fd, T_NIOCTXSYNC, NULL))
				break;
			t_last = now_s();
		} else {
			if (!n) {
				if (poll(&p, 1, 1000) < 0 || (p.revents & POLLERR))
					break;
				continue;
			}
			for (uint32_t k = 0; k < n; k++)
				bytes += ring->slot[(ring->head + k) % ring->num_slots].len;
			ring->head = ring->cur = ring->tail;
			t_last = now_s();
			if (!pkts)
				t_first = t_last;
			pkts += n;
		}
	}
	if (!tx)
		t_ioctl(fd, T_NIOCRXSYNC, NULL);
	report(tx ? "tx" : "rx", port, pkts, bytes, tx ? t_last - t0 : t_last - t_first);
	close(fd);
	return 0;
usage:
	fprintf(stderr, "usage: nm-gen tx -i PORT [-l LEN] [-d SECONDS] [-b BATCH]\n"
		"       nm-gen rx -i PORT [-d SECONDS]\n");
	return 2;
}
