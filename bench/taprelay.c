/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * taprelay - the plain TAP relay baseline of bench/tcp.sh.
 *
 *	taprelay IFNAME_A IFNAME_B
 *
 * Creates two TAP devices with IFF_VNET_HDR (a 10-byte virtio-net header
 * before every frame) and checksum/TSO4/TSO6 offload enabled (TUNSETOFFLOAD),
 * so that the kernel hands over and accepts unsegmented TCP super-frames
 * with partial checksums, as a virtio NIC would.  Two threads each do a
 * blocking read() from one device and write() the same bytes (header
 * included) to the other: two copies per frame and a sleep whenever a queue
 * is empty.  This is what any "forward between two taps" program costs, and
 * the peer that ptnet's tap ports are compared with.
 *
 * The devices live as long as the process: move them into namespaces with
 * "ip link set IFNAME netns NS" after "ready" appears on stderr.  SIGINT or
 * SIGTERM stops it; it then prints one JSON line with the frames and bytes
 * relayed in each direction (and the write errors, frames the receiving
 * device refused) and exits 0.
 *
 * Needs CAP_NET_ADMIN.  Uses libc and the header-only include/ptnet/barrier.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <ptnet/barrier.h>

#define VNET_HDR_LEN	10			/* struct virtio_net_hdr */
#define BUF_LEN		(65536 + VNET_HDR_LEN)	/* a TSO super-frame and its header */

struct dir {
	int from, to;
	/* Written by the relay thread only, read by main at exit (relaxed: counters). */
	uint64_t frames, bytes, errors;
};

static int tap_open(const char *name)
{
	struct ifreq ifr;
	int fd, hdr = VNET_HDR_LEN;
	unsigned int offload = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "taprelay: /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, offload) < 0) {
		fprintf(stderr, "taprelay: %s: %s\n", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void *relay(void *arg)
{
	struct dir *d = arg;
	static __thread unsigned char buf[BUF_LEN];

	for (;;) {
		ssize_t n = read(d->from, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			/* EIO until the device is up: wait for it rather than spin. */
			usleep(10000);
			continue;
		}
		if (n <= VNET_HDR_LEN)
			continue;
		if (write(d->to, buf, (size_t)n) != n)
			PTNET_WRITE_ONCE(d->errors, d->errors + 1);
		PTNET_WRITE_ONCE(d->frames, d->frames + 1);
		PTNET_WRITE_ONCE(d->bytes, d->bytes + (uint64_t)(n - VNET_HDR_LEN));
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct dir d[2];
	pthread_t t[2];
	sigset_t set;
	int fa, fb, sig;

	if (argc != 3) {
		fprintf(stderr, "usage: taprelay IFNAME_A IFNAME_B\n");
		return 2;
	}
	fa = tap_open(argv[1]);
	fb = tap_open(argv[2]);
	if (fa < 0 || fb < 0)
		return 1;
	memset(d, 0, sizeof(d));
	d[0].from = fa, d[0].to = fb;
	d[1].from = fb, d[1].to = fa;
	/* The relay threads inherit the blocked signals: only main takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, relay, &d[i])) {
			fprintf(stderr, "taprelay: cannot start a thread\n");
			return 1;
		}
	fprintf(stderr, "ready %s %s\n", argv[1], argv[2]);
	sigwait(&set, &sig);
	printf("{\"tool\":\"taprelay\",\"a_to_b_frames\":%llu,\"a_to_b_bytes\":%llu,"
	       "\"b_to_a_frames\":%llu,\"b_to_a_bytes\":%llu,\"write_errors\":%llu}\n",
	       (unsigned long long)PTNET_READ_ONCE(d[0].frames),
	       (unsigned long long)PTNET_READ_ONCE(d[0].bytes),
	       (unsigned long long)PTNET_READ_ONCE(d[1].frames),
	       (unsigned long long)PTNET_READ_ONCE(d[1].bytes),
	       (unsigned long long)(PTNET_READ_ONCE(d[0].errors) + PTNET_READ_ONCE(d[1].errors)));
	fflush(stdout);
	/* The threads sit in blocking reads: exit without joining them. */
	_exit(0);
}
