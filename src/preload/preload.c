// SPDX-License-Identifier: BSD-2-Clause
/*
 * preload.c - the interposed system calls of libptnet-netmap.so: open of
 * /dev/netmap, close/dup/dup2/dup3/fcntl on those fds, ioctl, mmap/munmap.
 * Every other fd and call goes to the next definition (dlsym RTLD_NEXT)
 * untouched.  poll/select/epoll are in wait.c.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "preload/preload.h"

#define EXPORT __attribute__((visibility("default")))

pthread_mutex_t g_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
int g_debug;	/* 0 unknown, 1 PTNET_DEBUG set, -1 not */
struct pnm_real real;
static struct pnm_file *g_tab[PNM_MAX_FD];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

void pnm_dbg(const char *fmt, ...)
{
	va_list ap;
	char buf[512];
	int n;
	ssize_t w;

	/*
	 * Read here, not only at load: a sanitizer runtime may call an
	 * interposed function (and so pnm_init) before the environment is set up.
	 */
	if (!g_debug) {
		const char *d = getenv("PTNET_DEBUG");

		g_debug = d && *d && strcmp(d, "0") ? 1 : -1;
	}
	if (g_debug < 0)
		return;
	n = snprintf(buf, sizeof(buf), "ptnet-netmap[%d]: ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	w = write(2, buf, (size_t)n);	/* one write per line: no stdio buffering */
	(void)w;
}

static void *next_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p) {
		fprintf(stderr, "ptnet-netmap: cannot find %s: %s\n", name, dlerror());
		abort();
	}
	return p;
}

/*
 * fork: the child gets the fd table, the files and mems (this process's
 * memory, copied), the app's fds and libptnet's (the same open files as the
 * parent's) and every mapping (all MAP_SHARED: the port region, the
 * netmap_if area, the ring shadows), so it can use the rings.  Only g_lock
 * needs care: held by another thread at the fork, it would stay locked in
 * the child forever; so fork takes it first.  An exec'd program starts with
 * an empty table: every fd we made is close-on-exec except the app's own
 * /dev/netmap fds, which it then sees as plain (epoll) fds.
 */
static void fork_prepare(void)
{
	pthread_mutex_lock(&g_lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&g_lock);
}

static void fork_child(void)
{
	/*
	 * A recursive mutex remembers its owner's thread id, which the
	 * child's thread no longer has: unlocking would fail, so start afresh.
	 */
	pthread_mutex_t fresh = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

	memcpy(&g_lock, &fresh, sizeof(fresh));
}

static void do_init(void)
{
	real.openat = next_sym("openat");
	real.close = next_sym("close");
	real.dup = next_sym("dup");
	real.dup2 = next_sym("dup2");
	real.dup3 = next_sym("dup3");
	real.fcntl = next_sym("fcntl");
	real.ioctl = next_sym("ioctl");
	real.mmap = next_sym("mmap");
	real.munmap = next_sym("munmap");
	real.poll = next_sym("poll");
	real.ppoll = next_sym("ppoll");
	real.select = next_sym("select");
	real.pselect = next_sym("pselect");
	real.epoll_ctl = next_sym("epoll_ctl");
	real.epoll_wait = next_sym("epoll_wait");
	real.epoll_pwait = next_sym("epoll_pwait");
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void pnm_init(void)
{
	pthread_once(&g_once, do_init);
}

__attribute__((constructor)) static void ctor(void)
{
	pnm_init();
}

struct pnm_file *pnm_file_of(int fd)
{
	if (fd < 0 || fd >= PNM_MAX_FD)
		return NULL;
	return __atomic_load_n(&g_tab[fd], __ATOMIC_ACQUIRE);
}

static void tab_set(int fd, struct pnm_file *f)
{
	__atomic_store_n(&g_tab[fd], f, __ATOMIC_RELEASE);
}

/* Drop FD's reference (under g_lock); the last one releases the file. */
static void tab_drop(int fd)
{
	struct pnm_file *f = g_tab[fd];

	if (!f)
		return;
	tab_set(fd, NULL);
	pnm_ep_forget_fd(fd);
	if (--f->refs == 0)
		pnm_file_release(f);
}

static int is_netmap_path(const char *path)
{
	return path && !strcmp(path, "/dev/netmap");
}

/* A new open file of /dev/netmap: the app's fd is a dup of our epoll fd. */
static int netmap_open(int flags)
{
	struct pnm_file *f;
	int epfd, fd;

	f = calloc(1, sizeof(*f));
	if (!f) {
		errno = ENOMEM;
		return -1;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		free(f);
		return -1;
	}
	fd = real.fcntl(epfd, (flags & O_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	if (fd < 0 || fd >= PNM_MAX_FD) {
		if (fd >= 0)
			real.close(fd);
		real.close(epfd);
		free(f);
		errno = EMFILE;
		return -1;
	}
	f->epfd = epfd;
	f->refs = 1;
	pthread_mutex_lock(&g_lock);
	tab_drop(fd);	/* (an fd number we missed being closed) */
	tab_set(fd, f);
	pthread_mutex_unlock(&g_lock);
	pnm_dbg("open /dev/netmap -> fd %d", fd);
	return fd;
}

static int open_common(int dirfd, const char *path, int flags, mode_t mode)
{
	pnm_init();
	if (is_netmap_path(path))
		return netmap_open(flags);
	return real.openat(dirfd, path, flags, mode);
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

EXPORT int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = mode_arg(flags, ap);
	va_end(ap);
	return open_common(AT_FDCWD, path, flags, m);
}

EXPORT int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = mode_arg(flags, ap);
	va_end(ap);
	return open_common(AT_FDCWD, path, flags | O_LARGEFILE, m);
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = mode_arg(flags, ap);
	va_end(ap);
	return open_common(dirfd, path, flags, m);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = mode_arg(flags, ap);
	va_end(ap);
	return open_common(dirfd, path, flags | O_LARGEFILE, m);
}

/* _FORTIFY_SOURCE variants (no mode argument). */
EXPORT int __open_2(const char *path, int flags)
{
	return open_common(AT_FDCWD, path, flags, 0);
}

EXPORT int __open64_2(const char *path, int flags)
{
	return open_common(AT_FDCWD, path, flags | O_LARGEFILE, 0);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return open_common(dirfd, path, flags, 0);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return open_common(dirfd, path, flags | O_LARGEFILE, 0);
}

EXPORT int close(int fd)
{
	int r;

	pnm_init();
	if (!pnm_file_of(fd) && !pnm_ep_is_nm(fd))
		return real.close(fd);
	pthread_mutex_lock(&g_lock);
	tab_drop(fd);
	pnm_ep_forget_fd(fd);
	r = real.close(fd);
	pthread_mutex_unlock(&g_lock);
	return r;
}

/* NEWFD now refers to what OLDFD refers to (after a successful dup*). */
static void tab_dup(int oldfd, int newfd)
{
	struct pnm_file *f = g_tab[oldfd];

	if (newfd == oldfd)
		return;
	tab_drop(newfd);
	if (f && newfd >= 0 && newfd < PNM_MAX_FD) {
		f->refs++;
		tab_set(newfd, f);
	}
}

EXPORT int dup(int fd)
{
	int r;

	pnm_init();
	if (!pnm_file_of(fd))
		return real.dup(fd);
	pthread_mutex_lock(&g_lock);
	r = real.dup(fd);
	if (r >= PNM_MAX_FD) {
		real.close(r);
		r = -1;
		errno = EMFILE;
	}
	if (r >= 0)
		tab_dup(fd, r);
	pthread_mutex_unlock(&g_lock);
	return r;
}

static int dup23(int oldfd, int newfd, int flags, int three)
{
	int r;

	pnm_init();
	if (!pnm_file_of(oldfd) && !pnm_file_of(newfd))
		return three ? real.dup3(oldfd, newfd, flags) : real.dup2(oldfd, newfd);
	pthread_mutex_lock(&g_lock);
	r = three ? real.dup3(oldfd, newfd, flags) : real.dup2(oldfd, newfd);
	if (r >= 0 && oldfd >= 0 && oldfd < PNM_MAX_FD && r < PNM_MAX_FD)
		tab_dup(oldfd, r);
	pthread_mutex_unlock(&g_lock);
	return r;
}

EXPORT int dup2(int oldfd, int newfd)
{
	return dup23(oldfd, newfd, 0, 0);
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	return dup23(oldfd, newfd, flags, 1);
}

static int fcntl_common(int fd, int cmd, void *arg)
{
	int r;

	pnm_init();
	if ((cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC) || !pnm_file_of(fd))
		return real.fcntl(fd, cmd, arg);
	pthread_mutex_lock(&g_lock);
	r = real.fcntl(fd, cmd, arg);
	if (r >= PNM_MAX_FD) {
		real.close(r);
		r = -1;
		errno = EMFILE;
	}
	if (r >= 0)
		tab_dup(fd, r);
	pthread_mutex_unlock(&g_lock);
	return r;
}

EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(fd, cmd, arg);
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(fd, cmd, arg);
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
	struct pnm_file *f;
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	pnm_init();
	f = pnm_file_of(fd);
	if (!f)
		return real.ioctl(fd, req, arg);
	r = pnm_ioctl(f, req, arg);
	if (r == -ENOTTY && (req == FIONBIO || req == FIOASYNC || req == FIOCLEX ||
			     req == FIONCLEX))
		return real.ioctl(fd, req, arg);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

static void *mmap_common(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct pnm_file *f;
	void *ret;

	pnm_init();
	f = pnm_file_of(fd);
	if (!f || (flags & MAP_ANONYMOUS))
		return real.mmap(addr, len, prot, flags, fd, off);
	pthread_mutex_lock(&g_lock);
	if (!f->registered) {
		pnm_dbg("mmap on fd %d before NIOCREGIF/REGISTER", fd);
		errno = EINVAL;
		ret = MAP_FAILED;
	} else if (off != 0 || len == 0 || len > f->mem->size) {
		pnm_dbg("mmap fd %d: offset %lld length %zu outside the %zu bytes of mem_id %u", fd,
			(long long)off, len, f->mem->size, f->mem->mem_id);
		errno = EINVAL;
		ret = MAP_FAILED;
	} else if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		pnm_dbg("mmap fd %d: MAP_FIXED is not supported", fd);
		errno = EINVAL;
		ret = MAP_FAILED;
	} else {
		pnm_view(f->mem)->maps++;	/* munmap finds the view's owner */
		ret = f->mem->base;
	}
	pthread_mutex_unlock(&g_lock);
	return ret;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap_common(addr, len, prot, flags, fd, off);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap_common(addr, len, prot, flags, fd, off);
}

EXPORT int munmap(void *addr, size_t len)
{
	struct pnm_mem *m;

	pnm_init();
	pthread_mutex_lock(&g_lock);
	m = pnm_mem_at(addr);
	if (!m) {
		pthread_mutex_unlock(&g_lock);
		return real.munmap(addr, len);
	}
	/* The view goes with its last mmap and last registration. */
	if ((uint8_t *)addr == m->base && m->maps) {
		m->maps--;
		pnm_mem_put(m);
	}
	pthread_mutex_unlock(&g_lock);
	return 0;
}
