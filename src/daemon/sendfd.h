/* SPDX-License-Identifier: BSD-2-Clause */
/* sendfd.h - one message with descriptors over a UNIX socket (SCM_RIGHTS). */
#ifndef PTNETD_SENDFD_H
#define PTNETD_SENDFD_H

#include <stddef.h>
#include <stdint.h>
#include <ptnet/abi.h>

/* A port's memfd and two descriptors per ring, for every ring. */
#define PTD_SENDFD_MAX	(1 + 4 * PTNET_MAX_RINGS)

/*
 * Send LEN bytes of BUF with NFDS (<= PTD_SENDFD_MAX) descriptors, never
 * blocking and never raising SIGPIPE.  0, or -errno (-EAGAIN: the peer
 * does not read).
 */
int ptd_send_fds(int sock, const void *buf, size_t len, const int *fds, unsigned int nfds);

/* The ivshmem protocol's message: a little-endian int64, with FD if >= 0. */
int ptd_send_i64(int sock, int64_t val, int fd);

#endif
