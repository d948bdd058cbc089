// SPDX-License-Identifier: BSD-2-Clause
/*
 * ctl_outq - a control connection's output queue (ctl.c): lines a client
 * does not read yet wait in ptnetd, none lost, in order; a request that
 * arrives meanwhile is not read until they are sent (then it is answered
 * after them); the connection watches EPOLLOUT only while lines wait; a
 * client that lets PTD_CONN_OUTQ_MAX fill is marked to be dropped, with
 * the queue never above the limit (root's is larger: _ROOT); closing frees
 * everything (descriptors counted in /proc/self/fd).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "daemon/ctl.h"
#include "t.h"

static int open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	return n - 1;	/* the directory's own */
}

/* The client reads one message; on EAGAIN ptnetd gets EPOLLOUT first (at most 8 times). */
static ssize_t client_recv(struct ptd *d, struct ptd_conn *c, int fd, char *buf, size_t len)
{
	for (int tries = 0; tries < 8; tries++) {
		ssize_t n = recv(fd, buf, len - 1, MSG_DONTWAIT);

		if (n >= 0) {
			buf[n] = '\0';
			return n;
		}
		if (errno != EAGAIN)
			return -1;
		c->ev.fn(d, &c->ev, EPOLLOUT);
	}
	return -1;
}

int main(void)
{
	struct ptd d = { .listen_fd = -1 };
	struct ptd_cred cr = { .uid = 1000, .gid = 1000 };
	struct ptd_conn *c;
	char buf[PTC_MAX_MSG + 1], pad[1001];
	int sp[2], fds0, inq = 0, nlines, i;
	bool order = true;

	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	REQUIRE(d.epfd >= 0, "epoll_create1");
	REQUIRE(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp),
		"socketpair");
	fds0 = open_fds();
	REQUIRE(!ptd_ctl_conn_new(&d, sp[0], &cr, 1, &c), "conn");
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';

	/* 200 lines of 1 KB: the socket takes some, the rest waits. */
	for (i = 0; i < 200; i++)
		ptd_ctl_rec(c, "rec n=%d %s", i, pad);
	CHECK(!c->send_failed, "200 lines sent or queued");
	CHECK(c->outq != NULL, "some wait in ptnetd");
	CHECK(c->outq_bytes > 0 && c->outq_bytes <= PTD_CONN_OUTQ_MAX, "queued %zu bytes",
	      c->outq_bytes);

	/* A request meanwhile is not read. */
	CHECK_EQ(send(sp[1], "hello abi=1", 11, 0), 11, "request sent");
	c->ev.fn(&d, &c->ev, EPOLLIN);
	CHECK(!c->closed, "still connected");
	CHECK(!ioctl(sp[0], FIONREAD, &inq) && inq > 0, "the request waits unread (%d bytes)", inq);
	CHECK_EQ(c->events, EPOLLOUT, "watching EPOLLOUT only while lines wait");

	/* The client reads: every line in order, then the answer to its request. */
	for (i = 0; i < 200; i++) {
		char want[32];
		int wl = snprintf(want, sizeof(want), "rec n=%d ", i);

		if (client_recv(&d, c, sp[1], buf, sizeof(buf)) < 0 || strncmp(buf, want, wl) ||
		    strcmp(buf + wl, pad)) {
			order = false;
			break;
		}
	}
	CHECK(order, "200 lines arrived whole and in order (stopped at %d)", i);
	CHECK(c->outq == NULL && c->outq_bytes == 0, "the queue is empty");
	c->ev.fn(&d, &c->ev, EPOLLIN);	/* level-triggered: the request wakes it */
	CHECK(client_recv(&d, c, sp[1], buf, sizeof(buf)) > 0 && !strncmp(buf, "ok abi=", 7),
	      "the request is answered after them: '%.40s'", buf);
	CHECK(c->hello, "hello done");
	CHECK_EQ(c->events, EPOLLIN | EPOLLRDHUP, "watching requests again");

	/* A client that does not read: the queue stops at the limit, the client is marked. */
	for (nlines = 0; nlines < 1000 && !c->send_failed; nlines++)
		ptd_ctl_rec(c, "rec n=%d %s%s%s%s", nlines, pad, pad, pad, pad);
	CHECK(c->send_failed && c->outq_full, "overflow marks the client (after %d lines)",
	      nlines);
	CHECK(c->outq_bytes <= PTD_CONN_OUTQ_MAX && c->outq_bytes > PTD_CONN_OUTQ_MAX - 8192,
	      "the queue filled up to the limit: %zu bytes", c->outq_bytes);
	ptd_ctl_rec(c, "rec after");
	CHECK(c->outq_bytes <= PTD_CONN_OUTQ_MAX, "nothing more is queued");

	/* Closing with a full queue frees it. */
	ptd_ctl_close(&d, c);
	ptd_defer_run(&d);
	close(sp[1]);
	CHECK_EQ(open_fds(), fds0 - 2, "no descriptor left behind");
	CHECK_EQ(d.nconns, 0, "no connection left");

	/* Root's connections may queue more (a full fdb of many switches). */
	cr.uid = 0;
	REQUIRE(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp),
		"socketpair");
	REQUIRE(!ptd_ctl_conn_new(&d, sp[0], &cr, 1, &c), "root's conn");
	for (nlines = 0; nlines < 10000 && !c->send_failed; nlines++)
		ptd_ctl_rec(c, "rec n=%d %s%s%s%s", nlines, pad, pad, pad, pad);
	CHECK(c->send_failed && c->outq_full, "root's overflow marks it too (after %d lines)",
	      nlines);
	CHECK(c->outq_bytes <= PTD_CONN_OUTQ_MAX_ROOT &&
	      c->outq_bytes > PTD_CONN_OUTQ_MAX_ROOT - 8192,
	      "root's queue filled up to its limit: %zu bytes", c->outq_bytes);
	ptd_ctl_close(&d, c);
	ptd_defer_run(&d);
	close(sp[1]);
	CHECK_EQ(open_fds(), fds0 - 2, "no descriptor left behind");
	close(d.epfd);
	return t_done("ctl_outq");
}
