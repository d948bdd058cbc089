// SPDX-License-Identifier: BSD-2-Clause
/* ctl.c - the control connection to ptnetd (docs/protocol.md). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "common/common.h"
#include "lib/internal.h"

#define REPLY_TIMEOUT_MS	10000

const char *ptnet_socket_path(void)
{
	const char *env = getenv(PTNET_SOCKET_ENV);

	return env && *env ? env : PTNET_DEFAULT_SOCKET;
}

int ptl_ctl_recv(int fd, char *buf, size_t len, int *fds, unsigned int maxfds,
		 unsigned int *nfds, int timeout_ms)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 128)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = buf, .iov_len = len - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned int got = 0;
	ssize_t n;
	int r;

	if (fds) {
		mh.msg_control = cbuf.b;
		mh.msg_controllen = sizeof(cbuf.b);
	}
	do {
		r = poll(&pfd, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		return ptl_err(-ETIMEDOUT, "ptnetd did not answer within %d ms", timeout_ms);
	do {
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return ptl_err(-errno, "reading from ptnetd: %s", strerror(errno));
	if (n == 0)
		return ptl_err(-EPIPE, "ptnetd closed the connection");
	buf[n] = '\0';
	if (fds) {
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			unsigned int k;

			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			k = (unsigned int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (unsigned int i = 0; i < k; i++) {
				int f;

				memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				if (got < maxfds)
					fds[got++] = f;
				else
					close(f);
			}
		}
		*nfds = got;
	}
	return (int)n;
}

int ptl_reply_error(const char *line)
{
	char name[32];
	const char *msg;
	int n = 0;

	if (strncmp(line, "err ", 4))
		return ptl_err(-EPROTO, "unexpected reply from ptnetd: %.200s", line);
	sscanf(line + 4, "%31s%n", name, &n);
	msg = line + 4 + n;
	while (*msg == ' ')
		msg++;
	return ptl_err(-ptc_errno_from_name(name), "%s", msg);
}

int ptnet_ctl_open(void)
{
	const char *path = ptnet_socket_path();
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[PTC_MAX_MSG + 1], req[64];
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return ptl_err(-ENAMETOOLONG, "socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ptl_err(-errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		close(fd);
		if (ret == -ENOENT || ret == -ECONNREFUSED)
			return ptl_err(ret, "ptnetd is not running (%s at %s): start it with "
				       "'ptnetd', or point PTNET_SOCKET at its socket",
				       ret == -ENOENT ? "no socket" : "stale socket", path);
		if (ret == -EACCES)
			return ptl_err(ret, "no permission to use %s: run as root or as a member "
				       "of the socket's group", path);
		return ptl_err(ret, "cannot connect to %s: %s", path, strerror(-ret));
	}
	snprintf(req, sizeof(req), "hello abi=%u", PTNET_ABI_VERSION);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		ret = ptl_err(-errno, "cannot talk to ptnetd: %s", strerror(errno));
		close(fd);
		return ret;
	}
	ret = ptl_ctl_recv(fd, buf, sizeof(buf), NULL, 0, NULL, REPLY_TIMEOUT_MS);
	if (ret >= 0 && strncmp(buf, "ok", 2))
		ret = ptl_reply_error(buf);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

void ptnet_ctl_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

int ptnet_ctl_call(int fd, const char *request, ptnet_ctl_rec_fn cb, void *arg, char *status,
		   size_t status_len)
{
	char buf[PTC_MAX_MSG + 1];
	int ret;

	if (strlen(request) > PTC_MAX_MSG)
		return ptl_err(-EMSGSIZE, "request longer than %d bytes", PTC_MAX_MSG);
	if (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0)
		return ptl_err(-errno, "cannot talk to ptnetd: %s", strerror(errno));
	for (;;) {
		ret = ptl_ctl_recv(fd, buf, sizeof(buf), NULL, 0, NULL, REPLY_TIMEOUT_MS);
		if (ret < 0)
			return ret;
		if (!strncmp(buf, "rec ", 4)) {
			if (cb) {
				ret = cb(buf + 4, arg);
				if (ret)
					return ret;
			}
			continue;
		}
		if (status && status_len)
			snprintf(status, status_len, "%s", buf);
		if (!strncmp(buf, "ok", 2) && (buf[2] == '\0' || buf[2] == ' '))
			return 0;
		return ptl_reply_error(buf);
	}
}
