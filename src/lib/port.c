// SPDX-License-Identifier: BSD-2-Clause
/*
 * port.c - open a port: attach over the control socket, map the region,
 * check it, and precompute ring pointers from the offsets it publishes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "common/common.h"
#include "lib/internal.h"

static uint32_t reg(const struct ptnet_port *p, unsigned int off)
{
	return *(const uint32_t *)(p->mem + PTNET_REGS_BASE + off);
}

/* ptnetd is trusted, but a corrupt region must not crash the client. */
int ptl_check_region(struct ptnet_port *p)
{
	uint64_t size = *(uint32_t *)(p->mem + PTNET_HDR_SIZE_LO) |
			(uint64_t)*(uint32_t *)(p->mem + PTNET_HDR_SIZE_HI) << 32;
	uint32_t atok = reg(p, PTNET_IO_X_CSB_ATOK_OFS), ktoa = reg(p, PTNET_IO_X_CSB_KTOA_OFS);
	uint32_t nifp = reg(p, PTNET_IO_NIFP_OFS), bufofs = reg(p, PTNET_IO_X_BUF_OFS);
	struct ptnet_port_info *in = &p->info;

	if (*(uint32_t *)(p->mem + PTNET_HDR_MAGIC) != PTNET_MAGIC)
		return ptl_err(-EPROTO, "port region has a bad magic number");
	if (*(uint32_t *)(p->mem + PTNET_HDR_ABI) != PTNET_ABI_VERSION)
		return ptl_err(-EPROTO, "port region ABI %u, library ABI %u",
			       *(uint32_t *)(p->mem + PTNET_HDR_ABI), PTNET_ABI_VERSION);
	in->tx_rings = (uint16_t)reg(p, PTNET_IO_NUM_TX_RINGS);
	in->rx_rings = (uint16_t)reg(p, PTNET_IO_NUM_RX_RINGS);
	in->tx_slots = reg(p, PTNET_IO_NUM_TX_SLOTS);
	in->rx_slots = reg(p, PTNET_IO_NUM_RX_SLOTS);
	in->buf_size = reg(p, PTNET_IO_X_BUF_SIZE);
	in->buf_num = reg(p, PTNET_IO_X_BUF_NUM);
	in->vnet_hdr_len = reg(p, PTNET_IO_VNET_HDR_LEN);
	in->mtu = reg(p, PTNET_IO_X_MTU);
	in->extra_bufs = reg(p, PTNET_IO_X_EXTRA_BUFS);
	in->pipes = reg(p, PTNET_IO_X_PIPES);
	in->region_size = size;
	if (size != p->size || !in->tx_rings || !in->rx_rings || in->tx_rings > PTNET_MAX_RINGS ||
	    in->rx_rings > PTNET_MAX_RINGS || atok + 64ull * (in->tx_rings + in->rx_rings) > size ||
	    ktoa + 64ull * (in->tx_rings + in->rx_rings) > size || nifp >= size ||
	    bufofs + (uint64_t)in->buf_num * in->buf_size > size ||
	    in->extra_bufs > PTNET_MAX_EXTRA_BUFS || in->extra_bufs + 2 > in->buf_num)
		return ptl_err(-EPROTO, "port region layout is inconsistent");
	p->ntx = in->tx_rings;
	p->nrx = in->rx_rings;
	p->nifp = (struct netmap_if *)(p->mem + nifp);
	for (unsigned int i = 0; i < p->ntx + p->nrx; i++) {
		int64_t ofs = p->nifp->ring_ofs[i];
		struct ptnet_lring *l = &p->r[i];

		if (ofs <= 0 || (uint64_t)ofs + nifp + sizeof(struct netmap_ring) > size)
			return ptl_err(-EPROTO, "port region ring %u is out of bounds", i);
		l->ring = (struct netmap_ring *)((uint8_t *)p->nifp + ofs);
		l->atok = (struct nm_csb_atok *)(p->mem + atok) + i;
		l->ktoa = (struct nm_csb_ktoa *)(p->mem + ktoa) + i;
		l->nslots = l->ring->num_slots;
		l->pub_head = l->ring->head;
	}
	ptnet_mac_from_regs(reg(p, PTNET_IO_MAC_LO), reg(p, PTNET_IO_MAC_HI), in->mac);
	snprintf(in->name, sizeof(in->name), "%.63s", (const char *)p->mem + PTNET_HDR_NAME);
	p->status = (const uint32_t *)(p->mem + PTNET_REGS_BASE + PTNET_IO_X_STATUS);
	return 0;
}

/*
 * "attach NAME key=value...": only the options the caller set (O before
 * defaults were filled in), so that a daemon of the same ABI that predates
 * an option still accepts requests that do not use it.
 */
/* "VERB NAME[ EXTRA] key=value...": the options that were set. */
int ptl_build_request(char *req, size_t len, const char *verb, const char *name,
		      const char *extra, const struct ptnet_port_opts *o)
{
	static const char *const keys[] = { "tx-rings", "rx-rings", "tx-slots", "rx-slots",
					    "buf-size", "vnet-hdr", "mtu", "extra-bufs", "pipes" };
	uint32_t vals[] = { o->tx_rings, o->rx_rings, o->tx_slots, o->rx_slots, o->buf_size,
			    o->vnet_hdr_len, o->mtu, o->extra_bufs, o->pipes };
	int n = snprintf(req, len, "%s %s%s%s", verb, name, extra ? " " : "", extra ? extra : "");

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (vals[i])
			n += snprintf(req + n, len - (size_t)n, " %s=%u", keys[i], vals[i]);
	if (o->mac_set) {
		char mac[18];

		ptc_format_mac(o->mac, mac);
		n += snprintf(req + n, len - (size_t)n, " mac=%s", mac);
	}
	return n;
}

int ptl_port_request(struct ptnet_port *p, const char *verb, const char *name, const char *extra,
		     const struct ptnet_port_opts *o, char *buf, size_t len, int *fds,
		     unsigned int maxfds, unsigned int *nfds)
{
	char req[PTC_MAX_MSG];
	int ret;

	p->ctl_fd = ptnet_ctl_open();
	if (p->ctl_fd < 0) {
		ret = p->ctl_fd;
		p->ctl_fd = -1;
		return ret;
	}
	if ((size_t)ptl_build_request(req, sizeof(req), verb, name, extra, o) >= sizeof(req))
		return ptl_err(-E2BIG, "request too long for ptnetd");
	if (send(p->ctl_fd, req, strlen(req), MSG_NOSIGNAL) < 0)
		return ptl_err(-errno, "cannot talk to ptnetd: %s", strerror(errno));
	ret = ptl_ctl_recv(p->ctl_fd, buf, len, fds, maxfds, nfds, 10000);
	return ret < 0 ? ret : 0;
}


void ptnet_port_close(struct ptnet_port *p)
{
	if (!p)
		return;
	for (unsigned int i = 0; i < 2 * PTNET_MAX_RINGS; i++) {
		if (p->r[i].kick_fd >= 0)
			close(p->r[i].kick_fd);
		if (p->r[i].irq_fd >= 0)
			close(p->r[i].irq_fd);
	}
	if (p->mem)
		munmap(p->mem, p->size);
	if (p->epfd >= 0)
		close(p->epfd);
	if (p->ctl_fd >= 0)
		close(p->ctl_fd);
	free(p->pipe);
	free(p);
}

struct ptnet_port *ptl_port_alloc(const struct ptnet_port_opts *opts)
{
	struct ptnet_port *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->epfd = p->ctl_fd = -1;
	for (unsigned int i = 0; i < 2 * PTNET_MAX_RINGS; i++)
		p->r[i].kick_fd = p->r[i].irq_fd = -1;
	p->spin_us = opts && opts->spin_us ? opts->spin_us : 50;
	return p;
}

int ptl_port_watch(struct ptnet_port *p)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = 0xffff };

	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0)
		return ptl_err(-errno, "epoll_create: %s", strerror(errno));
	for (unsigned int i = 0; i < p->ntx + p->nrx; i++) {
		struct epoll_event rev = { .events = EPOLLIN, .data.u32 = i };

		if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->r[i].irq_fd, &rev) < 0)
			return ptl_err(-errno, "epoll_ctl: %s", strerror(errno));
	}
	/* The control connection (or device file): its hang-up means ptnetd is gone. */
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->ctl_fd, &ev) < 0)
		return ptl_err(-errno, "epoll_ctl: %s", strerror(errno));
	return 0;
}

/* Attach (VERB "attach") or monitor ("monitor", EXTRA its words) port NAME. */
static int port_open(const char *verb, const char *name, const char *extra,
		     const struct ptnet_port_opts *opts, struct ptnet_port **portp)
{
	struct ptnet_port_opts o = { 0 };
	struct ptc_portname pn;
	struct ptnet_port *p;
	char err[256], buf[PTC_MAX_MSG + 1];
	int fds[1 + 4 * PTNET_MAX_RINGS];
	unsigned int given = 0, nfds = 0, nrings;
	unsigned long long size = 0;
	int ret, memfd = -1;

	*portp = NULL;
	if (opts)
		o = *opts;
	ret = ptc_parse_portname(name, &pn, &o, &given, err, sizeof(err));
	if (ret)
		return ptl_err(ret, "%s", err);
	{
		/* Check here for a clear error; send only what was set. */
		struct ptnet_port_opts full = o;

		ret = ptc_opts_finish(&full, err, sizeof(err));
		if (ret)
			return ptl_err(ret, "%s", err);
	}
	p = ptl_port_alloc(&o);
	if (!p)
		return ptl_err(-ENOMEM, "out of memory");
	ret = ptl_port_request(p, verb, pn.full, extra, &o, buf, sizeof(buf), fds,
			       sizeof(fds) / sizeof(fds[0]), &nfds);
	if (ret < 0)
		goto fail;
	if (strncmp(buf, "ok ", 3) || sscanf(buf, "ok size=%llu rings=%u", &size, &nrings) != 2) {
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
		ret = ptl_reply_error(buf);
		goto fail;
	}
	if (nrings < 2 || nrings > 2 * PTNET_MAX_RINGS || nfds != 1 + 2 * nrings) {
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
		ret = ptl_err(-EPROTO, "ptnetd sent %u descriptors for %u rings", nfds, nrings);
		goto fail;
	}
	memfd = fds[0];
	for (unsigned int i = 0; i < nrings; i++) {
		p->r[i].kick_fd = fds[1 + i];
		p->r[i].irq_fd = fds[1 + nrings + i];
	}
	p->size = (size_t)size;
	p->mem = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	close(memfd);
	if (p->mem == MAP_FAILED) {
		p->mem = NULL;
		ret = ptl_err(-errno, "cannot map the port region (%llu bytes): %s", size,
			      strerror(errno));
		goto fail;
	}
	ret = ptl_check_region(p);
	if (ret)
		goto fail;
	if (p->ntx + p->nrx != nrings) {
		ret = ptl_err(-EPROTO, "ring count mismatch");
		goto fail;
	}
	ret = ptl_port_watch(p);
	if (ret)
		goto fail;
	*portp = p;
	return 0;
fail:
	ptnet_port_close(p);
	return ret;
}

int ptnet_port_open(const char *name, const struct ptnet_port_opts *opts,
		    struct ptnet_port **portp)
{
	*portp = NULL;
	if (ptl_guest_name(name))		/* inside a VM: /dev/ptnetN (guest.c) */
		return ptl_guest_open(name, opts, portp);
	if (ptl_pipe_name(name))		/* a pipe end: valeX:NAME{N, valeX:NAME}N */
		return ptl_pipe_open(name, opts, portp);
	return port_open("attach", name, NULL, opts, portp);
}

int ptnet_monitor_open(const char *name, const char *target, unsigned int dirs,
		       const void *bpf_insns, unsigned int ninsns,
		       const struct ptnet_port_opts *opts, struct ptnet_port **portp)
{
	static const char *const dname[] = { NULL, "tx", "rx", "both" };
	char extra[PTC_MAX_MSG];
	const uint8_t *in = bpf_insns;
	size_t n;

	*portp = NULL;
	if (!target || !dirs || dirs > (PTNET_MONITOR_TX | PTNET_MONITOR_RX))
		return ptl_err(-EINVAL, "a monitor needs a target port and PTNET_MONITOR_TX/RX");
	if (ninsns > (sizeof(extra) - 256) / 16)
		return ptl_err(-E2BIG, "filter too long (%u instructions)", ninsns);
	n = (size_t)snprintf(extra, sizeof(extra), "target=%.64s dir=%s", target, dname[dirs]);
	if (ninsns) {
		n += (size_t)snprintf(extra + n, sizeof(extra) - n, " filter=");
		/* struct bpf_insn: u16 code, u8 jt, u8 jf, u32 k (host order). */
		for (unsigned int i = 0; i < ninsns; i++, in += 8) {
			uint16_t code;
			uint32_t k;

			memcpy(&code, in, 2);
			memcpy(&k, in + 4, 4);
			n += (size_t)snprintf(extra + n, sizeof(extra) - n, "%04x%02x%02x%08x", code,
					      in[2], in[3], k);
		}
	}
	return port_open("monitor", name, extra, opts, portp);
}

const struct ptnet_port_info *ptnet_port_info(const struct ptnet_port *p)
{
	return &p->info;
}

struct netmap_if *ptnet_port_nifp(const struct ptnet_port *p)
{
	return p->nifp;
}

void *ptnet_port_region(const struct ptnet_port *p, size_t *size)
{
	if (size)
		*size = p->size;
	return p->mem;
}

struct netmap_ring *ptnet_port_txring(const struct ptnet_port *p, unsigned int i)
{
	return i < p->ntx ? p->r[i].ring : NULL;
}

struct netmap_ring *ptnet_port_rxring(const struct ptnet_port *p, unsigned int i)
{
	return i < p->nrx ? p->r[p->ntx + i].ring : NULL;
}

int ptnet_port_fd(const struct ptnet_port *p)
{
	return p->epfd;
}

int ptnet_ring_fd(const struct ptnet_port *p, unsigned int what, unsigned int ring)
{
	if (what == 0)
		return p->ctl_fd;
	if (what == PTNET_WAIT_TX && ring < p->ntx)
		return p->r[ring].irq_fd;
	if (what == PTNET_WAIT_RX && ring < p->nrx)
		return p->r[p->ntx + ring].irq_fd;
	return -EINVAL;
}
