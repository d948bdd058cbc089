// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm-bad - every /dev/netmap ioctl given bad input gets netmap's errno, and
 * nothing else breaks (a good registration and a frame still work, other
 * fds are untouched).  Needs ptnetd (PTNET_SOCKET) and the preload.
 *   nm-bad SWITCH     (ports SWITCH:bad0, SWITCH:bad1 are made and closed)
 * Prints one line per check; exits 0 if all passed, 1 otherwise.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "nm.h"

static int g_fails;
static char g_a[64], g_b[64];

static void check(const char *what, int got, int want)
{
	if (got == want) {
		printf("ok   %s (%s)\n", what, want ? strerror(want) : "0");
	} else {
		printf("FAIL %s: got %d (%s), want %d (%s)\n", what, got, strerror(got), want,
		       strerror(want));
		g_fails++;
	}
}

static int nmfd(void)
{
	int fd = open("/dev/netmap", O_RDWR);

	if (fd < 0) {
		printf("FAIL open /dev/netmap: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

/* A REGISTER request on a fresh fd; returns the errno. */
static int try_reg(const char *name, uint32_t mode, uint16_t ring, uint64_t flags, int keep,
		   int *fdp, struct t_reg *out)
{
	struct t_reg r = { 0 };
	struct t_hdr h;
	int fd = nmfd(), e;

	t_hdr_init(&h, T_REGISTER, name, &r);
	r.nr_mode = mode;
	r.nr_ringid = ring;
	r.nr_flags = flags;
	e = t_ioctl(fd, T_NIOCCTRL, &h);
	if (out)
		*out = r;
	if (keep && fdp)
		*fdp = fd;
	else
		close(fd);
	return e;
}

int main(int argc, char **argv)
{
	struct t_reg r = { 0 };
	struct t_hdr h;
	struct t_opt o1 = { 0 }, o2 = { 0 };
	struct t_legacy nr;
	char *bad = (char *)mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd, fd2, pfd[2];

	if (argc != 2) {
		fprintf(stderr, "usage: nm-bad SWITCH\n");
		return 2;
	}
	snprintf(g_a, sizeof(g_a), "%s:bad0", argv[1]);
	snprintf(g_b, sizeof(g_b), "%s:bad1", argv[1]);

	/* The header itself. */
	fd = nmfd();
	check("NIOCCTRL with a NULL argument", t_ioctl(fd, T_NIOCCTRL, NULL), EFAULT);
	check("NIOCCTRL with an unmapped argument", t_ioctl(fd, T_NIOCCTRL, bad), EFAULT);
	t_hdr_init(&h, T_REGISTER, g_a, &r);
	h.nr_version = 13;
	check("nr_version 13", t_ioctl(fd, T_NIOCCTRL, &h), EINVAL);
	h.nr_version = 16;
	check("nr_version 16", t_ioctl(fd, T_NIOCCTRL, &h), EINVAL);
	t_hdr_init(&h, T_REGISTER, g_a, &r);
	h.nr_reserved = 1;
	check("nr_reserved not 0", t_ioctl(fd, T_NIOCCTRL, &h), EINVAL);
	t_hdr_init(&h, 0, g_a, &r);
	check("request type 0", t_ioctl(fd, T_NIOCCTRL, &h), EINVAL);
	t_hdr_init(&h, 99, g_a, &r);
	check("request type 99", t_ioctl(fd, T_NIOCCTRL, &h), EINVAL);
	t_hdr_init(&h, T_REGISTER, g_a, NULL);
	check("REGISTER without a body", t_ioctl(fd, T_NIOCCTRL, &h), EINVAL);
	t_hdr_init(&h, T_REGISTER, g_a, bad);
	check("REGISTER with an unmapped body", t_ioctl(fd, T_NIOCCTRL, &h), EFAULT);
	t_hdr_init(&h, T_REGISTER, g_a, (void *)(uintptr_t)8);
	check("REGISTER with body 0x8", t_ioctl(fd, T_NIOCCTRL, &h), EFAULT);
	t_hdr_init(&h, T_VALE_DELIF, g_a, &r);
	check("VALE_DELIF with a body", t_ioctl(fd, T_NIOCCTRL, &h), EINVAL);

	/* Options. */
	t_hdr_init(&h, T_REGISTER, g_a, &r);
	o1.nro_reqtype = 99;
	h.nr_options = (uint64_t)(uintptr_t)&o1;
	check("unknown option 99", t_ioctl(fd, T_NIOCCTRL, &h), EOPNOTSUPP);
	check("unknown option's nro_status", (int)o1.nro_status, EOPNOTSUPP);
	o1.nro_reqtype = 1;	/* EXTMEM: known to netmap, not served */
	o1.nro_status = 0;
	check("EXTMEM option", t_ioctl(fd, T_NIOCCTRL, &h), EOPNOTSUPP);
	check("EXTMEM option's nro_status", (int)o1.nro_status, EOPNOTSUPP);
	o1.nro_reqtype = 0;
	check("option type 0", t_ioctl(fd, T_NIOCCTRL, &h), EINVAL);
	o1.nro_reqtype = 5;
	o2.nro_reqtype = 5;
	o1.nro_next = (uint64_t)(uintptr_t)&o2;
	check("duplicate option", t_ioctl(fd, T_NIOCCTRL, &h), EINVAL);
	o1.nro_next = (uint64_t)(uintptr_t)bad;
	check("option list into unmapped memory", t_ioctl(fd, T_NIOCCTRL, &h), EFAULT);
	h.nr_options = (uint64_t)(uintptr_t)bad;
	check("nr_options unmapped", t_ioctl(fd, T_NIOCCTRL, &h), EFAULT);

	/* Names. */
	t_hdr_init(&h, T_REGISTER, "", &r);
	memset(h.nr_name, 'a', sizeof(h.nr_name));
	memcpy(h.nr_name, "vale0:", 6);
	check("name not NUL-terminated in 64 bytes", t_ioctl(fd, T_NIOCCTRL, &h), EINVAL);
	check("name with a '-'", try_reg("vale0:a-b", 1, 0, 0, 0, NULL, NULL), EINVAL);
	check("a pipe end with a bad number", try_reg("vale0:a{1x", 1, 0, 0, 0, NULL, NULL), EINVAL);
	check("a pipe number out of range", try_reg("vale0:a{5000", 1, 0, 0, 0, NULL, NULL),
	      EINVAL);
	check("a pipe end has no ring 1", try_reg("vale0:a{1", 4, 1, 0, 0, NULL, NULL), EINVAL);
	check("NR_REG_PIPE_MASTER (5): the end {3 of the name", try_reg("vale0:lp", 5, 3, 0, 0,
									NULL, NULL), 0);
	check("NR_REG_PIPE_SLAVE (6) on a name with a suffix", try_reg("vale0:lp{3", 6, 3, 0, 0,
									NULL, NULL), EINVAL);
	check("an interface ptnet does not serve", try_reg("eth77", 1, 0, 0, 0, NULL, NULL), ENXIO);

	/* Before registering. */
	check("TXSYNC unregistered", t_ioctl(fd, T_NIOCTXSYNC, NULL), ENXIO);
	check("RXSYNC unregistered", t_ioctl(fd, T_NIOCRXSYNC, NULL), ENXIO);
	errno = 0;
	check("mmap unregistered",
	      mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED ? errno : 0, EINVAL);
	{
		struct pollfd p = { fd, POLLIN, 0 };

		check("poll unregistered: 1 fd ready", poll(&p, 1, 0), 1);
		check("poll unregistered: POLLERR", p.revents & POLLERR, POLLERR);
	}
	check("unknown ioctl", t_ioctl(fd, _IO('i', 200), NULL), ENOTTY);

	/* Modes and flags. */
	check("host rings (mode SW)", try_reg(g_a, T_SW, 0, 0, 0, NULL, NULL), EINVAL);
	check("mode 42", try_reg(g_a, 42, 0, 0, 0, NULL, NULL), EINVAL);
	check("ONE_NIC ring 5 of 1", try_reg(g_a, T_ONE_NIC, 5, 0, 0, NULL, NULL), EINVAL);
	check("monitor", try_reg(g_a, 1, 0, T_F_MONITOR_TX, 0, NULL, NULL), EOPNOTSUPP);

	/* Legacy. */
	memset(&nr, 0, sizeof(nr));
	memcpy(nr.nr_name, g_a, strnlen(g_a, sizeof(nr.nr_name) - 1));
	nr.nr_version = 11;
	check("legacy nr_version 11", t_ioctl(fd, T_NIOCREGIF, &nr), EINVAL);
	check("legacy with an unmapped argument", t_ioctl(fd, T_NIOCREGIF, bad), EFAULT);
	nr.nr_version = 14;
	nr.nr_cmd = 99;
	check("legacy nr_cmd 99", t_ioctl(fd, T_NIOCREGIF, &nr), EINVAL);
	memset(nr.nr_name, 'x', sizeof(nr.nr_name));
	nr.nr_cmd = 0;
	check("legacy name not NUL-terminated", t_ioctl(fd, T_NIOCREGIF, &nr), EINVAL);

	/* A good registration, exclusive, then what must fail on it. */
	check("REGISTER exclusive", try_reg(g_a, 1, 0, T_F_EXCLUSIVE, 1, &fd2, &r), 0);
	check("second registration of an exclusive port", try_reg(g_a, 1, 0, 0, 0, NULL, NULL),
	      EBUSY);
	t_hdr_init(&h, T_REGISTER, g_a, &r);
	check("REGISTER twice on one fd", t_ioctl(fd2, T_NIOCCTRL, &h), EBUSY);
	errno = 0;
	check("mmap beyond nr_memsize",
	      mmap(NULL, r.nr_memsize + 4096, PROT_READ, MAP_SHARED, fd2, 0) == MAP_FAILED ? errno : 0,
	      EINVAL);
	char *mem = mmap(NULL, r.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);

	check("mmap", mem == MAP_FAILED ? errno : 0, 0);
	if (mem == MAP_FAILED)
		return 1;
	struct t_if *nifp = (struct t_if *)(mem + r.nr_offset);
	struct t_ring *tx = t_txring(nifp, 0);

	check("ni_host_tx_rings", (int)nifp->ni_host_tx_rings, 1);
	check("host TX ring_ofs is 0", nifp->ring_ofs[1] != 0, 0);
	check("TX ring starts at tail = num_slots - 1", (int)tx->tail, (int)tx->num_slots - 1);
	{
		struct t_pools pi = { 0 };

		t_hdr_init(&h, T_POOLS_INFO_GET, g_a, &pi);
		check("POOLS_INFO_GET", t_ioctl(fd2, T_NIOCCTRL, &h), 0);
		check("pools: mem_id", pi.nr_mem_id, r.nr_mem_id);
		check("pools: buffer 0 where the ring says",
		      (char *)tx + tx->buf_ofs == mem + pi.buf_ofs, 1);
		check("pools: buffer size", (int)pi.buf_size, (int)tx->nr_buf_size);
	}
	{
		struct t_info pi = { 0 };

		t_hdr_init(&h, T_PORT_INFO_GET, g_a, &pi);
		check("PORT_INFO_GET", t_ioctl(fd, T_NIOCCTRL, &h), 0);
		check("port info: memsize", pi.nr_memsize == r.nr_memsize, 1);
		check("port info: mem_id", pi.nr_mem_id, r.nr_mem_id);
	}
	{
		struct t_list l = { 0 };
		int found = 0;

		/* vale-ctl's loop: empty name, port index + 1 until ENOENT. */
		for (int i = 0; i < 600; i++) {
			t_hdr_init(&h, T_VALE_LIST, "", &l);
			if (t_ioctl(fd, T_NIOCCTRL, &h))
				break;
			found += !strcmp(h.nr_name, g_a);
			l.nr_port_idx++;
		}
		check("VALE_LIST ends with ENOENT", errno, ENOENT);
		check("VALE_LIST lists our port once", found, 1);
	}
	/* A bad head: TXSYNC returns 0 and resets the ring; poll says POLLERR. */
	{
		uint32_t head = tx->head;
		struct pollfd p = { fd2, POLLOUT, 0 };

		tx->head = tx->num_slots + 5;
		check("TXSYNC with head out of range", t_ioctl(fd2, T_NIOCTXSYNC, NULL), 0);
		check("ring reset to its last head", (int)tx->head, (int)head);
		tx->cur = tx->num_slots + 3;	/* cur outside the ring */
		check("poll with cur out of range: 1 fd", poll(&p, 1, 0), 1);
		check("poll with cur out of range: POLLERR", p.revents & POLLERR, POLLERR);
		check("cur reset", (int)tx->cur, (int)head);
	}
	/* Nothing else broke: a frame goes out and is consumed. */
	{
		struct t_slot *s = &tx->slot[tx->head];

		memset(t_buf(tx, s->buf_idx), 0xff, 60);
		s->len = 60;
		tx->head = tx->cur = t_next(tx, tx->head);
		check("TXSYNC of a good frame", t_ioctl(fd2, T_NIOCTXSYNC, NULL), 0);
		for (int i = 0; i < 20000 && t_next(tx, tx->tail) != tx->head; i++) {
			usleep(500);
			t_ioctl(fd2, T_NIOCTXSYNC, NULL);
		}
		check("the frame was consumed", t_next(tx, tx->tail) == tx->head, 1);
	}
	/* Other fds are untouched. */
	check("pipe", pipe(pfd), 0);
	{
		struct pollfd p[2] = { { pfd[0], POLLIN, 0 }, { fd2, POLLOUT, 0 } };
		int n = 0;

		check("write to the pipe", write(pfd[1], "x", 1) == 1, 1);
		check("FIONREAD on the pipe passes through", ioctl(pfd[0], FIONREAD, &n), 0);
		check("FIONREAD value", n, 1);
		check("poll of a pipe and a netmap fd", poll(p, 2, 1000), 2);
		check("pipe POLLIN", p[0].revents, POLLIN);
		check("netmap POLLOUT", p[1].revents, POLLOUT);
	}
	/* dup: the copy is the same registration; closing one keeps the other. */
	{
		int d = dup(fd2), d2 = fcntl(fd2, F_DUPFD_CLOEXEC, 100);

		check("dup'd fd syncs", t_ioctl(d, T_NIOCTXSYNC, NULL), 0);
		check("F_DUPFD'd fd syncs", t_ioctl(d2, T_NIOCTXSYNC, NULL), 0);
		close(fd2);
		check("after closing the original, the dup still syncs",
		      t_ioctl(d, T_NIOCTXSYNC, NULL), 0);
		check("dup2 onto the netmap fd", dup2(pfd[0], d2), d2);
		check("d2 is a pipe again: ioctl TXSYNC is not netmap's",
		      t_ioctl(d2, T_NIOCTXSYNC, NULL) != ENXIO && t_ioctl(d2, T_NIOCTXSYNC, NULL) != 0,
		      1);
		close(d2);
		close(d);
	}
	check("munmap of the view", munmap(mem, r.nr_memsize), 0);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
	printf("%s: %d failure(s)\n", g_fails ? "FAIL" : "PASS", g_fails);
	return g_fails != 0;
}
