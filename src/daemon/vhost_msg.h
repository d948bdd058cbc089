/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vhost_msg.h - the vhost-user protocol as ptnetd's backend speaks it: the
 * wire layout of the messages it takes (little endian, x86-64/aarch64
 * hosts only), and the reader/validator of one message (vhost_msg.c).
 *
 * A message is a 12-byte header (request, flags, payload size) and the
 * payload; descriptors travel beside it (SCM_RIGHTS).  vhu_msg_check() is
 * pure: it decides, from the bytes and the number of descriptors alone,
 * whether the message is one this backend takes, with the payload size
 * and the descriptor count its request demands.  Everything it accepts can
 * be read from struct vhu_msg's union without further size checks.
 */
#ifndef PTNETD_VHOST_MSG_H
#define PTNETD_VHOST_MSG_H

#include <stddef.h>
#include <stdint.h>

/* Requests (front-end -> back-end). */
enum {
	VHU_GET_FEATURES = 1,
	VHU_SET_FEATURES = 2,
	VHU_SET_OWNER = 3,
	VHU_RESET_OWNER = 4,
	VHU_SET_MEM_TABLE = 5,
	VHU_SET_LOG_BASE = 6,
	VHU_SET_LOG_FD = 7,
	VHU_SET_VRING_NUM = 8,
	VHU_SET_VRING_ADDR = 9,
	VHU_SET_VRING_BASE = 10,
	VHU_GET_VRING_BASE = 11,
	VHU_SET_VRING_KICK = 12,
	VHU_SET_VRING_CALL = 13,
	VHU_SET_VRING_ERR = 14,
	VHU_GET_PROTOCOL_FEATURES = 15,
	VHU_SET_PROTOCOL_FEATURES = 16,
	VHU_GET_QUEUE_NUM = 17,
	VHU_SET_VRING_ENABLE = 18,
	VHU_SEND_RARP = 19,
	VHU_NET_SET_MTU = 20,
	VHU_GET_CONFIG = 24,
	VHU_SET_CONFIG = 25,
	VHU_GET_INFLIGHT_FD = 31,
	VHU_SET_INFLIGHT_FD = 32,
	VHU_REQ_MAX = 41,
};

/* Header flags. */
#define VHU_VERSION		0x1
#define VHU_VERSION_MASK	0x3
#define VHU_FLAG_REPLY		0x4
#define VHU_FLAG_NEED_REPLY	0x8

/* Protocol features (GET/SET_PROTOCOL_FEATURES bits). */
#define VHU_PF_MQ		0
#define VHU_PF_LOG_SHMFD	1
#define VHU_PF_RARP		2
#define VHU_PF_REPLY_ACK	3
#define VHU_PF_MTU		4
#define VHU_PF_CONFIG		9
#define VHU_PF_INFLIGHT_SHMFD	12

/* Device feature bit that enables the protocol features. */
#define VHU_F_PROTOCOL_FEATURES	30

/* SET_VRING_KICK/CALL/ERR payload: the ring index, and "no descriptor". */
#define VHU_VRING_IDX_MASK	0xffu
#define VHU_VRING_NOFD		(1u << 8)

#define VHU_HDR_LEN		12
#define VHU_MAX_REGIONS		8	/* SET_MEM_TABLE regions (no CONFIGURE_MEM_SLOTS) */
#define VHU_MAX_FDS		8
#define VHU_CONFIG_MAX		256	/* GET/SET_CONFIG bytes */
#define VHU_MAX_PAYLOAD		(12 + VHU_CONFIG_MAX)	/* the largest: GET/SET_CONFIG */

struct vhu_state {		/* SET_VRING_NUM/BASE/ENABLE, GET_VRING_BASE */
	uint32_t index, num;
};

struct vhu_addr {		/* SET_VRING_ADDR: front-end (QEMU) virtual addresses */
	uint32_t index, flags;
	uint64_t desc, used, avail, log;
};

struct vhu_region_desc {	/* one SET_MEM_TABLE region */
	uint64_t gpa, size, uva, mmap_offset;
};

struct vhu_mem_desc {
	uint32_t nregions, padding;
	struct vhu_region_desc r[VHU_MAX_REGIONS];
};

struct vhu_config {		/* GET/SET_CONFIG */
	uint32_t offset, size, flags;
	uint8_t data[VHU_CONFIG_MAX];
};

struct vhu_inflight {		/* GET/SET_INFLIGHT_FD */
	uint64_t mmap_size, mmap_offset;
	uint16_t num_queues, queue_size;
};

struct vhu_msg {
	uint32_t req, flags, size;
	union {
		uint64_t u64;
		struct vhu_state state;
		struct vhu_addr addr;
		struct vhu_mem_desc mem;
		struct vhu_config cfg;
		struct vhu_inflight inflight;
		uint8_t raw[VHU_MAX_PAYLOAD];
	} p;
	unsigned int nfds;
	int fds[VHU_MAX_FDS];
};
_Static_assert(sizeof(struct vhu_addr) == 40, "vhu_addr");
_Static_assert(sizeof(struct vhu_region_desc) == 32, "vhu_region_desc");
_Static_assert(sizeof(struct vhu_inflight) == 24, "vhu_inflight");
_Static_assert(offsetof(struct vhu_msg, flags) == 4 && offsetof(struct vhu_msg, size) == 8,
	       "vhu_msg header: req, flags, size as on the wire");

/* The name of request REQ ("SET_MEM_TABLE"), or "unknown". */
const char *vhu_req_name(uint32_t req);

/*
 * Is M (header and payload filled, M->nfds descriptors) a message this
 * backend takes?  0, or -EINVAL (malformed: size, descriptor count,
 * version, a reply flag) or -EOPNOTSUPP (a request it does not serve), with
 * *WHY (if not NULL) set to a short static reason.  Never looks past
 * M->size bytes of payload; touches no descriptor.
 */
int vhu_msg_check(const struct vhu_msg *m, const char **why);

/*
 * The reader of one connection.  Bytes arrive in any pieces; descriptors
 * with any of them.  Owns the descriptors until the message is taken.
 */
struct vhu_reader {
	struct vhu_msg m;
	size_t have;			/* bytes of header + payload so far */
};

void vhu_reader_init(struct vhu_reader *r);
/* Close every descriptor the reader holds and start afresh. */
void vhu_reader_reset(struct vhu_reader *r);
/*
 * Read what socket FD (non-blocking) has.  1: a whole message is in r->m
 * (checked with vhu_msg_check; the caller owns its fds and calls
 * vhu_reader_init afterwards), 0: need more (EAGAIN), -EPIPE: the peer
 * closed, other -errno: malformed (*WHY set) or a socket error.
 */
int vhu_reader_read(struct vhu_reader *r, int fd, const char **why);

/*
 * Send a reply to M: header with REPLY set and PAYLOAD_LEN bytes of
 * PAYLOAD, FD (if >= 0) beside it.  0 or -errno.
 */
int vhu_reply(int sock, uint32_t req, const void *payload, uint32_t payload_len, int fd);

#endif
