// SPDX-License-Identifier: BSD-2-Clause
/*
 * vhost_msg - the vhost-user message validator and reader (vhost_msg.c):
 *   - every request the backend serves is taken with its payload size and
 *     descriptor count, and refused with any other size or count;
 *   - a reply flag, a wrong version, an unknown request, LOG_* are refused;
 *   - the reader takes a message split at any byte over a socketpair, with
 *     its descriptors, and refuses a header announcing too big a payload.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>
#include "daemon/vhost_msg.h"
#include "t.h"

static int check(uint32_t req, uint32_t size, unsigned int nfds, uint64_t first)
{
	struct vhu_msg m = { .req = req, .flags = VHU_VERSION, .size = size, .nfds = nfds };

	m.p.u64 = first;
	return vhu_msg_check(&m, NULL);
}

static void sizes(void)
{
	static const struct {
		uint32_t req, size;
		unsigned int fds;
		uint64_t first;
	} ok[] = {
		{ VHU_GET_FEATURES, 0, 0, 0 },
		{ VHU_GET_FEATURES, 8, 0, 0 },
		{ VHU_SET_FEATURES, 8, 0, 0 },
		{ VHU_SET_OWNER, 0, 0, 0 },
		{ VHU_RESET_OWNER, 0, 0, 0 },
		{ VHU_GET_PROTOCOL_FEATURES, 0, 0, 0 },
		{ VHU_SET_PROTOCOL_FEATURES, 8, 0, 0 },
		{ VHU_GET_QUEUE_NUM, 0, 0, 0 },
		{ VHU_SET_VRING_NUM, 8, 0, 0 },
		{ VHU_SET_VRING_BASE, 8, 0, 0 },
		{ VHU_GET_VRING_BASE, 8, 0, 0 },
		{ VHU_SET_VRING_ENABLE, 8, 0, 0 },
		{ VHU_SET_VRING_ADDR, 40, 0, 0 },
		{ VHU_SET_VRING_KICK, 8, 1, 3 },
		{ VHU_SET_VRING_KICK, 8, 0, 3 | VHU_VRING_NOFD },
		{ VHU_SET_VRING_CALL, 8, 1, 0 },
		{ VHU_SET_VRING_ERR, 8, 1, 0 },
		{ VHU_SET_MEM_TABLE, 8 + 32, 1, 1 },
		{ VHU_SET_MEM_TABLE, 8 + 8 * 32, 8, 8 },
		{ VHU_NET_SET_MTU, 8, 0, 0 },
		{ VHU_GET_CONFIG, 12 + 0, 0, 0 },
		{ VHU_GET_INFLIGHT_FD, 24, 0, 0 },
		{ VHU_SET_INFLIGHT_FD, 24, 1, 0 },
	};
	static const struct {
		uint32_t req, size;
		unsigned int fds;
		uint64_t first;
		int ret;
	} bad[] = {
		{ VHU_GET_FEATURES, 4, 0, 0, -EINVAL },
		{ VHU_SET_FEATURES, 0, 0, 0, -EINVAL },
		{ VHU_SET_FEATURES, 8, 1, 0, -EINVAL },
		{ VHU_SET_VRING_ADDR, 32, 0, 0, -EINVAL },
		{ VHU_SET_VRING_KICK, 8, 0, 3, -EINVAL },
		{ VHU_SET_VRING_KICK, 8, 1, 3 | VHU_VRING_NOFD, -EINVAL },
		{ VHU_SET_VRING_KICK, 8, 1, 0x1000, -EINVAL },
		{ VHU_SET_MEM_TABLE, 8 + 32, 0, 1, -EINVAL },
		{ VHU_SET_MEM_TABLE, 8 + 32, 2, 1, -EINVAL },
		{ VHU_SET_MEM_TABLE, 8 + 64, 1, 1, -EINVAL },
		{ VHU_SET_MEM_TABLE, 8, 0, 0, -EINVAL },
		{ VHU_SET_MEM_TABLE, 8 + 9 * 32, 9, 9, -EINVAL },
		{ VHU_GET_CONFIG, 12, 0, (uint64_t)4 << 32, -EINVAL },
		{ VHU_SET_INFLIGHT_FD, 24, 0, 0, -EINVAL },
		{ VHU_SET_LOG_BASE, 8, 1, 0, -EOPNOTSUPP },
		{ VHU_SET_LOG_FD, 0, 1, 0, -EOPNOTSUPP },
		{ 21, 0, 1, 0, -EOPNOTSUPP },
		{ 9999, 0, 0, 0, -EOPNOTSUPP },
		{ VHU_GET_FEATURES, VHU_MAX_PAYLOAD + 1, 0, 0, -EINVAL },
	};
	struct vhu_msg m = { .req = VHU_GET_FEATURES, .size = 0 };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CHECK_EQ(check(ok[i].req, ok[i].size, ok[i].fds, ok[i].first), 0, "ok case %zu (%s)",
			 i, vhu_req_name(ok[i].req));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(check(bad[i].req, bad[i].size, bad[i].fds, bad[i].first), bad[i].ret,
			 "bad case %zu (%s)", i, vhu_req_name(bad[i].req));
	m.flags = VHU_VERSION | VHU_FLAG_REPLY;
	CHECK_EQ(vhu_msg_check(&m, NULL), -EINVAL, "a reply");
	m.flags = 2;
	CHECK_EQ(vhu_msg_check(&m, NULL), -EINVAL, "version 2");
}

static void send_fd(int s, const void *buf, size_t len, int fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr a;
	} cb;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = cb.b;
		mh.msg_controllen = sizeof(cb.b);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	REQUIRE(sendmsg(s, &mh, 0) == (ssize_t)len, "sendmsg");
}

static void reader(void)
{
	uint8_t msg[12 + 8];
	uint32_t h[3] = { VHU_SET_VRING_CALL, VHU_VERSION, 8 };
	uint64_t idx = 1;

	memcpy(msg, h, 12);
	memcpy(msg + 12, &idx, 8);
	for (size_t split = 1; split < sizeof(msg); split++) {
		struct vhu_reader r;
		int sv[2], pfd[2], ret;
		const char *why = NULL;

		REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
		REQUIRE(pipe(pfd) == 0, "pipe");
		vhu_reader_init(&r);
		send_fd(sv[0], msg, split, pfd[0]);
		ret = vhu_reader_read(&r, sv[1], &why);
		CHECK_EQ(ret, 0, "split %zu: not yet whole", split);
		send_fd(sv[0], msg + split, sizeof(msg) - split, -1);
		ret = vhu_reader_read(&r, sv[1], &why);
		CHECK_EQ(ret, 1, "split %zu: whole (%s)", split, why ? why : "");
		CHECK_EQ(r.m.req, VHU_SET_VRING_CALL, "split %zu: request", split);
		CHECK_EQ(r.m.p.u64, 1, "split %zu: payload", split);
		CHECK_EQ(r.m.nfds, 1, "split %zu: the descriptor", split);
		vhu_reader_reset(&r);
		close(sv[0]);
		CHECK_EQ(vhu_reader_read(&r, sv[1], &why), -EPIPE, "closed");
		close(sv[1]);
		close(pfd[0]);
		close(pfd[1]);
	}
	{
		struct vhu_reader r;
		int sv[2];
		uint32_t big[3] = { VHU_GET_FEATURES, VHU_VERSION, 1u << 30 };

		REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
		vhu_reader_init(&r);
		send_fd(sv[0], big, 12, -1);
		CHECK_EQ(vhu_reader_read(&r, sv[1], NULL), -EINVAL, "a 1 GiB payload announced");
		vhu_reader_reset(&r);
		close(sv[0]);
		close(sv[1]);
	}
}

int main(void)
{
	sizes();
	reader();
	return t_done("vhost_msg");
}
