// SPDX-License-Identifier: BSD-2-Clause
/*
 * region.c - build a port region (abi.h) in a sealed memfd.
 *
 * The memory is reserved with fallocate() up front, so running out of
 * memory is a clean error at attach time and never a SIGBUS on the data
 * path; the memfd is sealed against shrinking, so a client cannot pull
 * pages from under ptnetd's mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/falloc.h>
#include "daemon/csb.h"
#include "daemon/log.h"
#include "daemon/port.h"

#define PAGE		4096u
#define ALIGN(x, a)	(((x) + (a) - 1) & ~((uint64_t)(a) - 1))

static uint64_t next_pow2(uint64_t v)
{
	uint64_t p = PAGE;

	while (p < v)
		p <<= 1;
	return p;
}

static void reg_write(struct ptd_port *p, unsigned int off, uint32_t v)
{
	*ptd_reg(p, off) = v;
}

/* Layout of a region for O: ring offsets, buffer pool, bytes used and total size. */
struct layout {
	uint64_t atok, ktoa, nifp, ring[2 * PTNET_MAX_RINGS], pipes, stride, bufs, used, size;
	uint32_t buf_num;
};

static void layout(const struct ptnet_port_opts *o, struct layout *l)
{
	unsigned int nrings = o->tx_rings + o->rx_rings;
	uint64_t off;

	l->atok = PTNET_REGION_HDR_SIZE;
	l->ktoa = l->atok + PAGE;
	l->nifp = l->ktoa + PAGE;
	off = ALIGN(l->nifp + sizeof(struct netmap_if) + 8 * nrings, PAGE);
	for (unsigned int i = 0; i < nrings; i++) {
		uint32_t ns = i < o->tx_rings ? o->tx_slots : o->rx_slots;

		l->ring[i] = off;
		off = ALIGN(off + sizeof(struct netmap_ring) + 16ull * ns, NM_CACHE_ALIGN);
	}
	/* The pipe pairs' rooms (pipes=K): K pages with four rings each. */
	l->pipes = ALIGN(off, PAGE);
	l->stride = o->pipes ? ptd_pipe_room_size(o->tx_slots) : 0;
	l->bufs = l->pipes + o->pipes * l->stride;
	/* 0 and 1 reserved, one per slot (the pipes' too), then the extra buffers (no ring's). */
	l->buf_num = 2 + o->tx_rings * o->tx_slots + o->rx_rings * o->rx_slots +
		     o->pipes * 4 * o->tx_slots + o->extra_bufs;
	l->used = l->bufs + (uint64_t)l->buf_num * o->buf_size;
	l->size = next_pow2(l->used);
}

uint64_t ptd_region_size(const struct ptnet_port_opts *o)
{
	struct layout l;

	layout(o, &l);
	return l.size;
}

int ptd_region_create(struct ptd_port *p, const struct ptnet_port_opts *o, struct ptd_err *e)
{
	unsigned int nrings = o->tx_rings + o->rx_rings;
	struct layout l;
	uint64_t atok_ofs, ktoa_ofs, nifp_ofs, *ring_ofs, buf_ofs, used, size;
	uint32_t buf_num, next_buf = 2;
	struct netmap_if *nifp;
	char mname[96];
	uint32_t mac_lo, mac_hi;
	int fd, ret;

	layout(o, &l);
	atok_ofs = l.atok;
	ktoa_ofs = l.ktoa;
	nifp_ofs = l.nifp;
	ring_ofs = l.ring;
	buf_ofs = l.bufs;
	buf_num = l.buf_num;
	used = l.used;
	size = l.size;

	snprintf(mname, sizeof(mname), "ptnet:%s", p->name);
	fd = memfd_create(mname, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return ptd_err(e, -errno, "cannot create port memory: %s", strerror(errno));
	if (ftruncate(fd, (off_t)size) < 0 || fallocate(fd, 0, 0, (off_t)used) < 0) {
		ret = errno == ENOSPC ? -ENOMEM : -errno;
		ptd_err(e, ret, "cannot reserve %llu KiB for the port: %s (lower slots, rings or "
			"buf-size, or free memory)", (unsigned long long)(used >> 10),
			strerror(errno));
		close(fd);
		return ret;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		ret = ptd_err(e, -errno, "cannot seal port memory: %s", strerror(errno));
		close(fd);
		return ret;
	}
	p->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (p->mem == MAP_FAILED) {
		ret = ptd_err(e, -errno, "cannot map port memory: %s", strerror(errno));
		p->mem = NULL;
		close(fd);
		return ret;
	}
	p->memfd = fd;
	p->size = size;
	p->regs = (uint32_t *)(p->mem + PTNET_REGS_BASE);
	p->bufs = p->mem + buf_ofs;
	p->buf_size = o->buf_size;
	p->buf_num = buf_num;
	p->vnet_hdr_len = o->vnet_hdr_len;
	p->mtu = o->mtu;
	p->ntx = o->tx_rings;
	p->nrx = o->rx_rings;

	/* Header and registers. */
	*(uint32_t *)(p->mem + PTNET_HDR_MAGIC) = PTNET_MAGIC;
	*(uint32_t *)(p->mem + PTNET_HDR_ABI) = PTNET_ABI_VERSION;
	*(uint32_t *)(p->mem + PTNET_HDR_SIZE_LO) = (uint32_t)size;
	*(uint32_t *)(p->mem + PTNET_HDR_SIZE_HI) = (uint32_t)(size >> 32);
	*(uint32_t *)(p->mem + PTNET_HDR_KIND) = p->ops->region_kind;
	snprintf((char *)p->mem + PTNET_HDR_NAME, 64, "%s", p->name);
	reg_write(p, PTNET_IO_PTFEAT, PTNETMAP_F_VNET_HDR);
	ptnet_mac_to_regs(p->mac, &mac_lo, &mac_hi);
	reg_write(p, PTNET_IO_MAC_LO, mac_lo);
	reg_write(p, PTNET_IO_MAC_HI, mac_hi);
	reg_write(p, PTNET_IO_NIFP_OFS, (uint32_t)nifp_ofs);
	reg_write(p, PTNET_IO_NUM_TX_RINGS, o->tx_rings);
	reg_write(p, PTNET_IO_NUM_RX_RINGS, o->rx_rings);
	reg_write(p, PTNET_IO_NUM_TX_SLOTS, o->tx_slots);
	reg_write(p, PTNET_IO_NUM_RX_SLOTS, o->rx_slots);
	reg_write(p, PTNET_IO_VNET_HDR_LEN, o->vnet_hdr_len);
	reg_write(p, PTNET_IO_X_CSB_ATOK_OFS, (uint32_t)atok_ofs);
	reg_write(p, PTNET_IO_X_CSB_KTOA_OFS, (uint32_t)ktoa_ofs);
	reg_write(p, PTNET_IO_X_BUF_OFS, (uint32_t)buf_ofs);
	reg_write(p, PTNET_IO_X_BUF_NUM, buf_num);
	reg_write(p, PTNET_IO_X_BUF_SIZE, o->buf_size);
	reg_write(p, PTNET_IO_X_MTU, p->mtu);
	reg_write(p, PTNET_IO_X_STATUS, PTNET_STATUS_LINK);
	reg_write(p, PTNET_IO_X_EXTRA_BUFS, o->extra_bufs);
	reg_write(p, PTNET_IO_X_PIPES, o->pipes);
	reg_write(p, PTNET_IO_X_PIPE_OFS, o->pipes ? (uint32_t)l.pipes : 0);
	reg_write(p, PTNET_IO_X_PIPE_STRIDE, (uint32_t)l.stride);
	p->pipes = o->pipes;
	p->pipe_slots = o->tx_slots;
	p->pipe_ofs = l.pipes;
	p->pipe_stride = l.stride;

	/* netmap_if: NIC rings only, no host rings. */
	nifp = (struct netmap_if *)(p->mem + nifp_ofs);
	snprintf(nifp->ni_name, sizeof(nifp->ni_name), "%s", p->pname);
	*(uint32_t *)&nifp->ni_version = NETMAP_API;
	*(uint32_t *)&nifp->ni_flags = NI_PRIV_MEM;
	*(uint32_t *)&nifp->ni_tx_rings = o->tx_rings;
	*(uint32_t *)&nifp->ni_rx_rings = o->rx_rings;
	for (unsigned int i = 0; i < nrings; i++)
		((int64_t *)nifp->ring_ofs)[i] = (int64_t)(ring_ofs[i] - nifp_ofs);

	/* Rings, slots with their initial buffers, CSB. */
	for (unsigned int i = 0; i < nrings; i++) {
		bool tx = i < o->tx_rings;
		uint32_t ns = tx ? o->tx_slots : o->rx_slots;
		struct netmap_ring *r = (struct netmap_ring *)(p->mem + ring_ofs[i]);
		struct nm_csb_atok *atok = (struct nm_csb_atok *)(p->mem + atok_ofs) + i;
		struct nm_csb_ktoa *ktoa = (struct nm_csb_ktoa *)(p->mem + ktoa_ofs) + i;

		*(int64_t *)&r->buf_ofs = (int64_t)buf_ofs - (int64_t)ring_ofs[i];
		*(uint32_t *)&r->num_slots = ns;
		*(uint32_t *)&r->nr_buf_size = o->buf_size;
		*(uint16_t *)&r->ringid = (uint16_t)(tx ? i : i - o->tx_rings);
		*(uint16_t *)&r->dir = tx ? 0 : 1;
		r->head = r->cur = 0;
		r->tail = tx ? ns - 1 : 0;
		for (uint32_t s = 0; s < ns; s++)
			r->slot[s].buf_idx = next_buf++;
		ktoa->hwcur = 0;
		ktoa->hwtail = r->tail;
		ktoa->kern_need_kick = tx ? 1 : 0;
		atok->head = atok->cur = 0;
		if (tx) {
			struct ptd_txq *q = &p->txq[i];

			q->port = p;
			q->idx = i;
			q->slot = r->slot;
			q->atok = atok;
			q->ktoa = ktoa;
			q->nslots = ns;
			q->hwcur = 0;
		} else {
			struct ptd_rxq *q = &p->rxq[i - o->tx_rings];

			q->slot = r->slot;
			q->atok = atok;
			q->ktoa = ktoa;
			q->nslots = ns;
		}
	}
	/* The pipes' rooms: their rings' buffers follow the port's rings'. */
	for (unsigned int k = 0; k < o->pipes; k++)
		ptd_pipe_room_write(p->mem, l.pipes + k * l.stride, p->pname, k, o->tx_slots,
				    o->buf_size, buf_ofs, &next_buf);
	return 0;
}

void ptd_region_destroy(struct ptd_port *p)
{
	if (p->mem) {
		/* Tell a client that still maps the region (libptnet checks it). */
		ptnet_region_mark_dead(ptd_reg(p, PTNET_IO_X_STATUS));	/* S1 */
		munmap(p->mem, p->size);
		p->mem = NULL;
	}
	if (p->memfd >= 0)
		close(p->memfd);
	p->memfd = -1;
}
