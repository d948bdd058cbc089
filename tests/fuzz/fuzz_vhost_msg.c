// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_vhost_msg - libFuzzer target for the vhost-user message reader and
 * validator (daemon/vhost_msg.c): the input is what a hostile front-end
 * writes on its socket, in pieces, with descriptors beside some of them.
 *
 * Input: records of [control byte][length byte][bytes]: the bytes are
 * written to one end of a socketpair with (control & 7) descriptors (pipe
 * ends) beside them; bit 3 asks the reader to run now (else bytes pile
 * up).  The reader runs until it needs more; each whole message is checked
 * again with vhu_msg_check and its descriptors closed, as vhost.c does.
 *
 * Checks besides the sanitizers: an accepted message has a size within the
 * payload buffer and exactly the descriptors its request demands (per
 * vhu_msg_check); no descriptor leaks (the process's open descriptors are
 * the same before and after).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "daemon/vhost_msg.h"

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void send_piece(int s, const uint8_t *b, size_t len, unsigned int nfd)
{
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr a;
	} cb;
	int fds[8], p[2];
	struct iovec iov = { (void *)b, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	unsigned int k = 0;

	for (; k < nfd; k++) {
		if (pipe(p) < 0)
			break;
		fds[k] = p[0];
		close(p[1]);
	}
	if (k) {
		struct cmsghdr *c;

		mh.msg_control = cb.buf;
		mh.msg_controllen = CMSG_SPACE(k * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(k * sizeof(int));
		memcpy(CMSG_DATA(c), fds, k * sizeof(int));
	}
	sendmsg(s, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	for (unsigned int i = 0; i < k; i++)
		close(fds[i]);
}

/* Read what is there; false once the connection would be closed. */
static int drain(struct vhu_reader *r, int s)
{
	for (;;) {
		const char *why = NULL;
		int ret = vhu_reader_read(r, s, &why);

		if (ret == 0)
			return 1;
		if (ret < 0) {
			vhu_reader_reset(r);
			return 0;
		}
		if (vhu_msg_check(&r->m, NULL) || r->m.size > VHU_MAX_PAYLOAD ||
		    r->m.nfds > VHU_MAX_FDS)
			abort();
		for (unsigned int i = 0; i < r->m.nfds; i++)
			if (r->m.fds[i] < 0)
				abort();
		(void)vhu_req_name(r->m.req);
		vhu_reader_reset(r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int before = count_fds(), sv[2], open_ = 1;
	struct vhu_reader r;
	size_t i = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	vhu_reader_init(&r);
	while (i + 2 <= size && open_) {
		unsigned int ctl = data[i], len = data[i + 1];

		i += 2;
		if (len > size - i)
			len = (unsigned int)(size - i);
		send_piece(sv[0], data + i, len, ctl & 7);
		i += len;
		if (ctl & 8)
			open_ = drain(&r, sv[1]);
	}
	if (open_) {
		shutdown(sv[0], SHUT_WR);
		drain(&r, sv[1]);
	}
	vhu_reader_reset(&r);
	close(sv[0]);
	close(sv[1]);
	if (count_fds() != before)
		abort();
	return 0;
}
