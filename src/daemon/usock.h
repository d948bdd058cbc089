/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * usock.h - the listening UNIX sockets ptnetd makes for a port (a VM's
 * ivshmem socket, a vhost-user server socket): born 0600, and removed on
 * the way out only if the file at the path is still the one bind made.
 */
#ifndef PTD_USOCK_H
#define PTD_USOCK_H

#include <sys/types.h>

struct ptd_usock {
	int fd;			/* listening, nonblocking, close-on-exec; -1: none */
	dev_t dev;		/* the socket file bind made */
	ino_t ino;
};

/*
 * Listen on PATH with mode 0600 from the start (fchmod before bind: a chmod
 * after bind left a window in which anyone could connect, and followed a
 * symlink put in the socket's place).  0 or -errno (-EADDRINUSE: a file is
 * there; it is left alone).
 */
int ptd_usock_listen(struct ptd_usock *u, const char *path, int backlog);

/* Close the socket and unlink PATH if it is still the socket bind made. */
void ptd_usock_close(struct ptd_usock *u, const char *path);

#endif
