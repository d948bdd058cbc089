// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm-fork - a netmap program that forks, as netmap allows: the child
 * inherits the /dev/netmap fds and the mapping, and either process may use
 * the rings while the other does not.
 *
 *   nm-fork -a PORT_A -b PORT_B [-c PORT_C] [-n FRAMES]
 *
 * PORT_A and PORT_B (on one switch, nobody else on it; or one port twice,
 * with a reflector such as nm-swap fwd beyond it) are registered by
 * the parent, which sends FRAMES frames A -> B and checks them on B; then
 * a forked child sends and checks the next FRAMES through the inherited
 * fds and mapping (waiting with poll), closes its copies and exits; the
 * parent, once the child is gone, sends and checks FRAMES more (the rings
 * carry on from where the child left them).  With -c, a forked child then
 * execs this program ("nm-fork exec FD PORT_C"): the inherited /dev/netmap
 * fd FD must not pass for a registered one in the new program (its syncs
 * and mmap fail), and a fresh open of /dev/netmap registers PORT_C.
 * Frames are sent in windows that fit the ring, each checked (sequence,
 * length, every byte) before the next window: no drop whatever the timing.
 * Prints "OK parent=N child=N after=N" and exits 0, or 1 on any error.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "nm.h"

#define ET_FORK 0x88b7
#define WIN	64

struct port {
	const char *name;
	int fd;
	struct t_if *nifp;
	struct t_ring *tx, *rx;
};

static time_t g_deadline;

static int reg(struct port *p, char **memp, uint16_t *mem_id)
{
	struct t_reg r = { 0 };
	struct t_hdr h;

	p->fd = open("/dev/netmap", O_RDWR);
	if (p->fd < 0) {
		perror("nm-fork: open /dev/netmap");
		return -1;
	}
	t_hdr_init(&h, 1 /* REGISTER */, p->name, &r);
	r.nr_mode = T_ALL_NIC;
	r.nr_flags = T_F_ACCEPT_VNET;
	r.nr_mem_id = 0;
	if (t_ioctl(p->fd, T_NIOCCTRL, &h)) {
		fprintf(stderr, "nm-fork: REGISTER %s: %s\n", p->name, strerror(errno));
		return -1;
	}
	char *mem = mmap(NULL, r.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);

	if (mem == MAP_FAILED) {
		perror("nm-fork: mmap");
		return -1;
	}
	if (memp)
		*memp = mem;
	if (mem_id)
		*mem_id = r.nr_mem_id;
	p->nifp = (struct t_if *)(mem + r.nr_offset);
	p->tx = t_txring(p->nifp, 0);
	p->rx = t_rxring(p->nifp, 0);
	return 0;
}

static int late(const char *what)
{
	if (time(NULL) <= g_deadline)
		return 0;
	fprintf(stderr, "nm-fork[%d]: timed out %s\n", (int)getpid(), what);
	return 1;
}

static unsigned int frame_len(unsigned long seq)
{
	return 60 + (unsigned int)((seq * 13) % 1455);
}

static void put_frame(char *b, unsigned long seq, unsigned int len)
{
	uint32_t s = (uint32_t)seq;

	memset(b, 0xff, 6);
	memcpy(b + 6, "\x02\x00\x00\x00\x00\x0f", 6);
	b[12] = (char)(ET_FORK >> 8);
	b[13] = (char)(ET_FORK & 0xff);
	memcpy(b + 14, &s, 4);
	for (unsigned int i = 18; i < len; i++)
		b[i] = (char)(seq * 3 + i);
}

static int check_frame(const char *b, unsigned int len, unsigned long seq)
{
	uint32_t s;

	if (len < 18 || (uint8_t)b[12] != ET_FORK >> 8 || (uint8_t)b[13] != (ET_FORK & 0xff))
		return -1;
	memcpy(&s, b + 14, 4);
	if (s != (uint32_t)seq || len != frame_len(seq)) {
		fprintf(stderr, "nm-fork[%d]: frame %u (len %u), expected %lu (len %u)\n",
			(int)getpid(), s, len, seq, frame_len(seq));
		return -1;
	}
	for (unsigned int i = 18; i < len; i++)
		if (b[i] != (char)(seq * 3 + i)) {
			fprintf(stderr, "nm-fork: frame %lu byte %u differs\n", seq, i);
			return -1;
		}
	return 0;
}

/* Frames [first, first + n) from A to B, in windows, every one checked. */
static int traffic(struct port *a, struct port *b, unsigned long first, unsigned long n)
{
	unsigned long seq = first, end = first + n;

	while (seq < end) {
		unsigned long w = end - seq < WIN ? end - seq : WIN;

		for (unsigned long k = 0; k < w;) {
			struct t_ring *r = a->tx;

			if (t_space(r) == 0) {
				struct pollfd p = { a->fd, POLLOUT, 0 };

				if (late("for TX space") || poll(&p, 1, 1000) < 0 ||
				    (p.revents & POLLERR)) {
					fprintf(stderr, "nm-fork: poll TX (revents %#x)\n",
						p.revents);
					return -1;
				}
				continue;
			}
			struct t_slot *s = &r->slot[r->head];
			unsigned int len = frame_len(seq + k);

			put_frame(t_buf(r, s->buf_idx), seq + k, len);
			s->len = (uint16_t)len;
			s->flags = 0;
			r->head = r->cur = t_next(r, r->head);
			k++;
		}
		if (t_ioctl(a->fd, T_NIOCTXSYNC, NULL)) {
			perror("nm-fork: TXSYNC");
			return -1;
		}
		for (unsigned long k = 0; k < w;) {
			struct t_ring *r = b->rx;

			if (r->head == r->tail) {
				struct pollfd p = { b->fd, POLLIN, 0 };

				r->cur = r->head;
				if (late("for frames") || poll(&p, 1, 1000) < 0 ||
				    (p.revents & POLLERR)) {
					fprintf(stderr, "nm-fork: poll RX (revents %#x), "
						"%lu of window at %lu\n", p.revents, k, seq);
					return -1;
				}
				continue;
			}
			struct t_slot *s = &r->slot[r->head];

			if (check_frame(t_buf(r, s->buf_idx), s->len, seq + k))
				return -1;
			r->head = r->cur = t_next(r, r->head);
			k++;
		}
		seq += w;
	}
	return 0;
}

/* The exec'd program: FD came from the parent; it is not ours. */
static int exec_child(int fd, const char *port_c)
{
	struct port c = { .name = port_c };
	void *m;

	if (t_ioctl(fd, T_NIOCTXSYNC, NULL) == 0) {
		fprintf(stderr, "nm-fork exec: the inherited fd %d syncs as if registered\n", fd);
		return 1;
	}
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (m != MAP_FAILED) {
		fprintf(stderr, "nm-fork exec: the inherited fd %d maps port memory\n", fd);
		return 1;
	}
	if (reg(&c, NULL, NULL))
		return 1;
	if (c.fd == fd) {
		fprintf(stderr, "nm-fork exec: a new open got the inherited fd number\n");
		return 1;
	}
	if (c.tx->num_slots < 2 || t_ioctl(c.fd, T_NIOCTXSYNC, NULL)) {
		fprintf(stderr, "nm-fork exec: %s unusable\n", port_c);
		return 1;
	}
	close(c.fd);
	close(fd);
	printf("EXEC OK\n");
	return 0;
}

static int wait_child(pid_t pid, const char *what)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "nm-fork: %s failed (status %#x)\n", what, st);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct port a = { 0 }, b = { 0 };
	const char *port_c = NULL;
	unsigned long n = 2000;
	pid_t pid;
	int c;

	g_deadline = time(NULL) + 60;
	if (argc == 4 && !strcmp(argv[1], "exec"))
		return exec_child(atoi(argv[2]), argv[3]);
	while ((c = getopt(argc, argv, "a:b:c:n:")) != -1) {
		switch (c) {
		case 'a': a.name = optarg; break;
		case 'b': b.name = optarg; break;
		case 'c': port_c = optarg; break;
		case 'n': n = strtoul(optarg, NULL, 0); break;
		default: goto usage;
		}
	}
	if (!a.name || !b.name || !n)
		goto usage;
	if (reg(&a, NULL, NULL) || reg(&b, NULL, NULL))
		return 1;
	if (traffic(&a, &b, 0, n))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("nm-fork: fork");
		return 1;
	}
	if (pid == 0) {
		/* The child: the parent's fds, mapping and rings, used while it waits. */
		int r = traffic(&a, &b, n, n);

		close(a.fd);
		close(b.fd);
		_exit(r ? 1 : 0);
	}
	if (wait_child(pid, "the child's traffic"))
		return 1;
	/* The child closed its copies: the ports are still ours. */
	if (traffic(&a, &b, 2 * n, n))
		return 1;
	if (port_c) {
		char fdstr[16];

		snprintf(fdstr, sizeof(fdstr), "%d", a.fd);
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			execl("/proc/self/exe", argv[0], "exec", fdstr, port_c, (char *)NULL);
			perror("nm-fork: exec");
			_exit(127);
		}
		if (wait_child(pid, "the exec'd child"))
			return 1;
		if (traffic(&a, &b, 3 * n, n))
			return 1;
	}
	printf("OK parent=%lu child=%lu after=%lu\n", n, n, port_c ? 2 * n : n);
	close(a.fd);
	close(b.fd);
	return 0;
usage:
	fprintf(stderr, "usage: nm-fork -a PORT_A -b PORT_B [-c PORT_C] [-n FRAMES]\n");
	return 2;
}
