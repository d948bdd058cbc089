// SPDX-License-Identifier: BSD-2-Clause
/* sendfd.c - see sendfd.h. */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include "daemon/sendfd.h"

int ptd_send_fds(int sock, const void *buf, size_t len, const int *fds, unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PTD_SENDFD_MAX)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > PTD_SENDFD_MAX)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *cm;

		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	n = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int ptd_send_i64(int sock, int64_t val, int fd)
{
	int64_t le = (int64_t)htole64((uint64_t)val);

	return ptd_send_fds(sock, &le, sizeof(le), &fd, fd >= 0 ? 1 : 0);
}
