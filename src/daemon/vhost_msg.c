// SPDX-License-Identifier: BSD-2-Clause
/*
 * vhost_msg.c - reading and validating vhost-user messages (vhost_msg.h).
 * The front-end is untrusted: a message is taken only whole, with exactly
 * the payload size and descriptors its request demands; anything else is
 * an error the caller answers by closing the connection.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "daemon/vhost_msg.h"

static const char *const names[VHU_REQ_MAX] = {
	[VHU_GET_FEATURES] = "GET_FEATURES",
	[VHU_SET_FEATURES] = "SET_FEATURES",
	[VHU_SET_OWNER] = "SET_OWNER",
	[VHU_RESET_OWNER] = "RESET_OWNER",
	[VHU_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[VHU_SET_LOG_BASE] = "SET_LOG_BASE",
	[VHU_SET_LOG_FD] = "SET_LOG_FD",
	[VHU_SET_VRING_NUM] = "SET_VRING_NUM",
	[VHU_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[VHU_SET_VRING_BASE] = "SET_VRING_BASE",
	[VHU_GET_VRING_BASE] = "GET_VRING_BASE",
	[VHU_SET_VRING_KICK] = "SET_VRING_KICK",
	[VHU_SET_VRING_CALL] = "SET_VRING_CALL",
	[VHU_SET_VRING_ERR] = "SET_VRING_ERR",
	[VHU_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[VHU_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[VHU_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[VHU_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	[VHU_SEND_RARP] = "SEND_RARP",
	[VHU_NET_SET_MTU] = "NET_SET_MTU",
	[21] = "SET_BACKEND_REQ_FD",
	[22] = "IOTLB_MSG",
	[23] = "SET_VRING_ENDIAN",
	[VHU_GET_CONFIG] = "GET_CONFIG",
	[VHU_SET_CONFIG] = "SET_CONFIG",
	[28] = "POSTCOPY_ADVISE",
	[VHU_GET_INFLIGHT_FD] = "GET_INFLIGHT_FD",
	[VHU_SET_INFLIGHT_FD] = "SET_INFLIGHT_FD",
	[34] = "RESET_DEVICE",
	[35] = "VRING_KICK",
	[36] = "GET_MAX_MEM_SLOTS",
	[37] = "ADD_MEM_REG",
	[38] = "REM_MEM_REG",
	[39] = "SET_STATUS",
	[40] = "GET_STATUS",
};

const char *vhu_req_name(uint32_t req)
{
	return req < VHU_REQ_MAX && names[req] ? names[req] : "unknown";
}

static int bad(const char **why, const char *w, int ret)
{
	if (why)
		*why = w;
	return ret;
}

int vhu_msg_check(const struct vhu_msg *m, const char **why)
{
	uint32_t sz = m->size;
	unsigned int fds = 0;

	if ((m->flags & VHU_VERSION_MASK) != VHU_VERSION)
		return bad(why, "wrong protocol version", -EINVAL);
	if (m->flags & VHU_FLAG_REPLY)
		return bad(why, "a reply where a request belongs", -EINVAL);
	if (sz > VHU_MAX_PAYLOAD)
		return bad(why, "payload too large", -EINVAL);
	switch (m->req) {
	case VHU_GET_FEATURES:
	case VHU_GET_PROTOCOL_FEATURES:
	case VHU_GET_QUEUE_NUM:
	case VHU_SET_OWNER:
	case VHU_RESET_OWNER:
		/* No payload; some front-ends send an ignored u64. */
		if (sz != 0 && sz != 8)
			return bad(why, "payload size (want 0 or 8)", -EINVAL);
		break;
	case VHU_SET_FEATURES:
	case VHU_SET_PROTOCOL_FEATURES:
	case VHU_NET_SET_MTU:
	case VHU_SEND_RARP:
		if (sz != 8)
			return bad(why, "payload size (want 8)", -EINVAL);
		break;
	case VHU_SET_VRING_NUM:
	case VHU_SET_VRING_BASE:
	case VHU_GET_VRING_BASE:
	case VHU_SET_VRING_ENABLE:
		if (sz != sizeof(struct vhu_state))
			return bad(why, "payload size (want a vring state, 8)", -EINVAL);
		break;
	case VHU_SET_VRING_ADDR:
		if (sz != sizeof(struct vhu_addr))
			return bad(why, "payload size (want a vring address, 40)", -EINVAL);
		break;
	case VHU_SET_VRING_KICK:
	case VHU_SET_VRING_CALL:
	case VHU_SET_VRING_ERR:
		if (sz != 8)
			return bad(why, "payload size (want 8)", -EINVAL);
		if (m->p.u64 & ~(uint64_t)(VHU_VRING_IDX_MASK | VHU_VRING_NOFD))
			return bad(why, "unknown bits in the vring index", -EINVAL);
		fds = (m->p.u64 & VHU_VRING_NOFD) ? 0 : 1;
		break;
	case VHU_SET_MEM_TABLE:
		if (sz < 8)
			return bad(why, "payload size (want a memory table)", -EINVAL);
		if (m->p.mem.nregions < 1 || m->p.mem.nregions > VHU_MAX_REGIONS)
			return bad(why, "number of memory regions (1..8)", -EINVAL);
		if (sz != 8 + m->p.mem.nregions * sizeof(struct vhu_region_desc))
			return bad(why, "payload size does not match the regions", -EINVAL);
		fds = m->p.mem.nregions;
		break;
	case VHU_GET_CONFIG:
	case VHU_SET_CONFIG:
		if (sz < 12)
			return bad(why, "payload size (want a config header)", -EINVAL);
		if (m->p.cfg.size > VHU_CONFIG_MAX || sz != 12 + m->p.cfg.size)
			return bad(why, "config size does not match the payload", -EINVAL);
		break;
	case VHU_GET_INFLIGHT_FD:
	case VHU_SET_INFLIGHT_FD:
		if (sz != sizeof(struct vhu_inflight))
			return bad(why, "payload size (want an inflight description, 24)", -EINVAL);
		fds = m->req == VHU_SET_INFLIGHT_FD ? 1 : 0;
		break;
	case VHU_SET_LOG_BASE:
	case VHU_SET_LOG_FD:
		return bad(why, "no live migration (dirty logging) in this backend", -EOPNOTSUPP);
	default:
		return bad(why, "a request this backend does not serve", -EOPNOTSUPP);
	}
	if (m->nfds != fds)
		return bad(why, "wrong number of descriptors for the request", -EINVAL);
	return 0;
}

void vhu_reader_init(struct vhu_reader *r)
{
	r->have = 0;
	r->m.nfds = 0;
	r->m.size = 0;
}

void vhu_reader_reset(struct vhu_reader *r)
{
	for (unsigned int i = 0; i < r->m.nfds; i++)
		close(r->m.fds[i]);
	vhu_reader_init(r);
}

/* Keep the descriptors of CM (up to VHU_MAX_FDS); -EINVAL if there were more. */
static int take_fds(struct vhu_reader *r, struct msghdr *mh)
{
	int ret = 0;

	if (mh->msg_flags & MSG_CTRUNC)
		ret = -EINVAL;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;
		int fds[VHU_MAX_FDS];

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (n > VHU_MAX_FDS)
			n = VHU_MAX_FDS;	/* MSG_CTRUNC is set then */
		memcpy(fds, CMSG_DATA(c), n * sizeof(int));
		for (size_t i = 0; i < n; i++) {
			if (r->m.nfds < VHU_MAX_FDS) {
				r->m.fds[r->m.nfds++] = fds[i];
			} else {
				close(fds[i]);
				ret = -EINVAL;
			}
		}
	}
	return ret;
}

int vhu_reader_read(struct vhu_reader *r, int fd, const char **why)
{
	uint8_t *base = (uint8_t *)&r->m;
	int n_ret;

	for (;;) {
		size_t want = VHU_HDR_LEN + (r->have >= VHU_HDR_LEN ? r->m.size : 0);
		union {
			char buf[CMSG_SPACE(VHU_MAX_FDS * sizeof(int))];
			struct cmsghdr align;
		} cb;
		struct iovec iov;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
				     .msg_controllen = sizeof(cb.buf) };
		ssize_t n;

		if (r->have == want)
			break;
		/* The header fills req/flags/size, the payload the union after it. */
		if (r->have < VHU_HDR_LEN) {
			iov.iov_base = base + r->have;
			iov.iov_len = VHU_HDR_LEN - r->have;
		} else {
			iov.iov_base = r->m.p.raw + (r->have - VHU_HDR_LEN);
			iov.iov_len = want - r->have;
		}
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return bad(why, "socket error", -errno);
		}
		if (take_fds(r, &mh))
			return bad(why, "too many descriptors", -EINVAL);
		if (n == 0)
			return r->have ? bad(why, "closed inside a message", -EPIPE) : -EPIPE;
		r->have += (size_t)n;
		if (r->have == VHU_HDR_LEN && r->m.size > VHU_MAX_PAYLOAD)
			return bad(why, "payload too large", -EINVAL);
	}
	n_ret = vhu_msg_check(&r->m, why);
	return n_ret ? n_ret : 1;
}

int vhu_reply(int sock, uint32_t req, const void *payload, uint32_t payload_len, int fd)
{
	struct {
		uint32_t req, flags, size;
		uint8_t p[VHU_MAX_PAYLOAD];
	} msg;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cb;
	struct iovec iov = { .iov_base = &msg, .iov_len = VHU_HDR_LEN + payload_len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (payload_len > VHU_MAX_PAYLOAD)
		return -EINVAL;
	msg.req = req;
	msg.flags = VHU_VERSION | VHU_FLAG_REPLY;
	msg.size = payload_len;
	memcpy(msg.p, payload, payload_len);
	if (fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = cb.buf;
		mh.msg_controllen = sizeof(cb.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	/* Replies are small; a front-end whose socket buffer is full is not reading. */
	n = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return (size_t)n == iov.iov_len ? 0 : -EAGAIN;
}
