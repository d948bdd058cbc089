// SPDX-License-Identifier: BSD-2-Clause
/*
 * port_region - ptd_port_create builds a region that matches abi.h and
 * netmap.h: header words, registers, netmap_if, rings (ids, directions,
 * sizes, initial head/tail), CSB initial state, every slot owning a
 * distinct buffer inside the pool, a power-of-two size, a sealed memfd;
 * the default MAC is unicast and locally administered.  Also: a name in
 * use is refused with -EBUSY, bad names with -EINVAL (with a message), and
 * switch deletion is refused while ports remain.  A port with pipes=K has
 * K pipe rooms between its rings and its pool (registers, netmap_ifs
 * pointing at the room's rings, every pipe slot a buffer of the port's
 * pool owned by no other slot and not one of the extra buffers).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "fwdh.h"

static void check_port(struct cport *c, unsigned int ntx, unsigned int nrx, uint32_t txs,
		       uint32_t rxs, uint32_t bs, uint32_t extra)
{
	struct ptd_port *p = c->p;
	uint8_t *mem = p->mem;
	uint64_t size = *(uint32_t *)(mem + PTNET_HDR_SIZE_LO) |
			(uint64_t) * (uint32_t *)(mem + PTNET_HDR_SIZE_HI) << 32;
	uint32_t buf_ofs = fw_reg(p, PTNET_IO_X_BUF_OFS), buf_num = fw_reg(p, PTNET_IO_X_BUF_NUM);
	uint8_t *used;

	CHECK_EQ(*(uint32_t *)(mem + PTNET_HDR_MAGIC), PTNET_MAGIC, "%s magic", p->name);
	CHECK_EQ(*(uint32_t *)(mem + PTNET_HDR_ABI), PTNET_ABI_VERSION, "%s abi", p->name);
	CHECK_EQ(*(uint32_t *)(mem + PTNET_HDR_KIND), PTNET_KIND_PASSTHROUGH, "%s kind", p->name);
	CHECK(!strcmp((char *)mem + PTNET_HDR_NAME, p->name), "%s name in header", p->name);
	CHECK_EQ(size, p->size, "%s size", p->name);
	CHECK(size && !(size & (size - 1)), "%s size %llu is a power of two", p->name,
	      (unsigned long long)size);
	CHECK_EQ(fw_reg(p, PTNET_IO_NUM_TX_RINGS), ntx, "%s tx rings", p->name);
	CHECK_EQ(fw_reg(p, PTNET_IO_NUM_RX_RINGS), nrx, "%s rx rings", p->name);
	CHECK_EQ(fw_reg(p, PTNET_IO_NUM_TX_SLOTS), txs, "%s tx slots", p->name);
	CHECK_EQ(fw_reg(p, PTNET_IO_NUM_RX_SLOTS), rxs, "%s rx slots", p->name);
	CHECK_EQ(fw_reg(p, PTNET_IO_X_BUF_SIZE), bs, "%s buf size", p->name);
	CHECK_EQ(buf_num, 2 + ntx * txs + nrx * rxs + extra,
		 "%s buffers: 2 reserved + one per slot + extra", p->name);
	CHECK_EQ(fw_reg(p, PTNET_IO_X_EXTRA_BUFS), extra, "%s extra buffers register", p->name);
	CHECK_EQ(buf_ofs % 4096, 0, "%s pool page aligned", p->name);
	CHECK((uint64_t)buf_ofs + (uint64_t)buf_num * bs <= size, "%s pool inside the region",
	      p->name);
	CHECK_EQ(fw_reg(p, PTNET_IO_X_STATUS), PTNET_STATUS_LINK, "%s status", p->name);
	CHECK(fw_reg(p, PTNET_IO_X_CSB_ATOK_OFS) + 64ull * (ntx + nrx) <=
		      fw_reg(p, PTNET_IO_X_CSB_KTOA_OFS),
	      "%s atok before ktoa", p->name);
	CHECK_EQ(c->nifp->ni_version, NETMAP_API, "%s netmap API", p->name);
	CHECK(c->nifp->ni_tx_rings == ntx && c->nifp->ni_rx_rings == nrx, "%s nifp rings", p->name);
	CHECK(c->nifp->ni_host_tx_rings == 0 && c->nifp->ni_host_rx_rings == 0, "%s no host rings",
	      p->name);
	{
		uint32_t mlo = fw_reg(p, PTNET_IO_MAC_LO), mhi = fw_reg(p, PTNET_IO_MAC_HI);
		uint8_t m[6] = { (uint8_t)(mhi >> 8),  (uint8_t)mhi,	    (uint8_t)(mlo >> 24),
				 (uint8_t)(mlo >> 16), (uint8_t)(mlo >> 8), (uint8_t)mlo };

		CHECK(!memcmp(m, p->mac, 6), "%s MAC registers", p->name);
	}

	used = calloc(buf_num, 1);
	REQUIRE(used, "calloc");
	for (unsigned int i = 0; i < ntx + nrx; i++) {
		bool tx = i < ntx;
		struct netmap_ring *r = tx ? txr(c, i) : rxr(c, i - ntx);
		uint32_t ns = tx ? txs : rxs;
		struct nm_csb_ktoa *k = tx ? tx_ktoa(c, i) : rx_ktoa(c, i - ntx);
		struct nm_csb_atok *a = tx ? tx_atok(c, i) : rx_atok(c, i - ntx);

		CHECK((uint8_t *)r > mem && (uint8_t *)&r->slot[ns] <= mem + buf_ofs,
		      "%s ring %u between nifp and pool", p->name, i);
		CHECK_EQ((uintptr_t)r % NM_CACHE_ALIGN, 0, "%s ring %u aligned", p->name, i);
		CHECK_EQ(r->num_slots, ns, "%s ring %u slots", p->name, i);
		CHECK_EQ(r->nr_buf_size, bs, "%s ring %u buf size", p->name, i);
		CHECK_EQ(r->dir, tx ? 0 : 1, "%s ring %u dir", p->name, i);
		CHECK_EQ(r->ringid, tx ? i : i - ntx, "%s ring %u id", p->name, i);
		CHECK(NETMAP_BUF(r, 0) == (char *)mem + buf_ofs, "%s ring %u buf_ofs", p->name, i);
		CHECK_EQ(r->head, 0, "%s ring %u head", p->name, i);
		CHECK_EQ(r->tail, tx ? ns - 1 : 0, "%s ring %u tail", p->name, i);
		CHECK(k->hwcur == 0 && k->hwtail == r->tail, "%s ring %u ktoa", p->name, i);
		CHECK(a->head == 0 && a->cur == 0 && a->appl_need_kick == 0, "%s ring %u atok",
		      p->name, i);
		for (uint32_t s = 0; s < ns; s++) {
			uint32_t b = r->slot[s].buf_idx;

			/* The extra buffers, the last ones, are in no ring. */
			if (b < 2 || b >= buf_num - extra || used[b]) {
				CHECK(0,
				      "%s ring %u slot %u: buf_idx %u reserved, out of range or "
				      "shared",
				      p->name, i, s, b);
				break;
			}
			used[b] = 1;
		}
	}
	free(used);
	{
		int seals = fcntl(p->memfd, F_GET_SEALS);

		CHECK(seals >= 0 && (seals & F_SEAL_SHRINK) && (seals & F_SEAL_GROW) &&
			      (seals & F_SEAL_SEAL),
		      "%s memfd sealed (%#x)", p->name, seals);
		CHECK(ftruncate(p->memfd, 4096) < 0, "%s memfd cannot shrink", p->name);
	}
}

/* Port C (1+1 rings of NS slots, EXTRA extra buffers) with K pipe rooms. */
static void check_rooms(struct cport *c, uint32_t ns, uint32_t k, uint32_t extra)
{
	struct ptd_port *p = c->p;
	uint8_t *mem = p->mem;
	uint32_t buf_ofs = fw_reg(p, PTNET_IO_X_BUF_OFS), buf_num = fw_reg(p, PTNET_IO_X_BUF_NUM);
	uint32_t ofs = fw_reg(p, PTNET_IO_X_PIPE_OFS), stride = fw_reg(p, PTNET_IO_X_PIPE_STRIDE);
	uint8_t *used = calloc(buf_num, 1);

	REQUIRE(used, "calloc");
	CHECK_EQ(fw_reg(p, PTNET_IO_X_PIPES), k, "%s pipes register", p->name);
	CHECK_EQ(buf_num, 2 + 2 * ns + 4 * k * ns + extra, "%s pool: the rooms' buffers too",
		 p->name);
	CHECK(ofs % 4096 == 0 && stride % 4096 == 0 && stride >= PTNET_PIPE_ROOM_RINGS,
	      "%s rooms page aligned (%u, %u)", p->name, ofs, stride);
	CHECK((uint64_t)ofs + (uint64_t)k * stride <= buf_ofs, "%s rooms before the pool", p->name);
	CHECK((uint8_t *)&rxr(c, 0)->slot[ns] <= mem + ofs, "%s rooms after the port's rings",
	      p->name);
	for (uint32_t i = 0; i < 2; i++) {
		struct netmap_ring *r = i ? rxr(c, 0) : txr(c, 0);

		for (uint32_t s = 0; s < ns; s++)
			used[r->slot[s].buf_idx] = 1;
	}
	for (uint32_t q = 0; q < k; q++) {
		uint8_t *room = mem + ofs + (uint64_t)q * stride;
		struct netmap_ring *rings[4];

		for (unsigned int end = 0; end < 2; end++) {
			struct netmap_if *nifp = (struct netmap_if *)(room + PTNET_PIPE_ROOM_NIFP(end));

			CHECK(nifp->ni_tx_rings == 1 && nifp->ni_rx_rings == 1,
			      "%s room %u end %u: one ring each way", p->name, q, end);
			rings[end] = (struct netmap_ring *)((uint8_t *)nifp + nifp->ring_ofs[0]);
			rings[2 + end] = (struct netmap_ring *)((uint8_t *)nifp + nifp->ring_ofs[1]);
		}
		for (unsigned int i = 0; i < 4; i++) {
			struct netmap_ring *r = rings[i];

			CHECK((uint8_t *)r >= room + PTNET_PIPE_ROOM_RINGS &&
				      (uint8_t *)&r->slot[ns] <= room + stride,
			      "%s room %u ring %u inside its room", p->name, q, i);
			CHECK(r->num_slots == ns && r->dir == (i < 2 ? 0 : 1) &&
				      r->tail == (i < 2 ? ns - 1 : 0),
			      "%s room %u ring %u: slots, direction, tail", p->name, q, i);
			CHECK(NETMAP_BUF(r, 0) == (char *)mem + buf_ofs, "%s room %u ring %u: the pool",
			      p->name, q, i);
			for (uint32_t s = 0; s < ns; s++) {
				uint32_t b = r->slot[s].buf_idx;

				if (b < 2 || b >= buf_num - extra || used[b]) {
					CHECK(0, "%s room %u ring %u slot %u: buf_idx %u", p->name, q, i,
					      s, b);
					break;
				}
				used[b] = 1;
			}
		}
		CHECK(rings[0] != rings[1] && rings[2] != rings[3] && rings[0] != rings[2],
		      "%s room %u: four rings", p->name, q);
	}
	free(used);
}

int main(void)
{
	struct cport a, b;
	struct ptnet_port_opts o = { 0 };
	struct ptd_port *p = NULL;
	struct ptd_err e;
	int ret;

	fw_setup(2);
	fw_open(&a, "vale0:a");
	check_port(&a, 1, 1, 1024, 1024, 2048, 0);
	CHECK((a.p->mac[0] & 3) == 2, "random MAC unicast + locally administered (%02x)",
	      a.p->mac[0]);
	fw_open(&b, "vale0:b@conf:tx-rings=4,rx-rings=2,tx-slots=64,rx-slots=4096,buf-size=320,"
		    "vnet-hdr=12,mac=02:11:22:33:44:55");
	check_port(&b, 4, 2, 64, 4096, 320, 0);
	CHECK(b.p->mac[1] == 0x11 && b.p->mac[5] == 0x55, "configured MAC");
	CHECK_EQ(fw_reg(b.p, PTNET_IO_VNET_HDR_LEN), 12, "vnet-hdr register");
	CHECK(ptd_port_find(&D, "vale0:b") == b.p, "port found by name");

	/* Refusals. */
	REQUIRE(ptc_opts_finish(&o, e.msg, sizeof(e.msg)) == 0, "default opts");
	e.msg[0] = '\0';
	ret = ptd_port_create(&D, "vale0:a", &o, &ptd_passthrough_ops, NULL, &fw_cred, &p, &e);
	CHECK_EQ(ret, -EBUSY, "name in use");
	CHECK(strstr(e.msg, "vale0:a") != NULL, "message names the port: %s", e.msg);
	e.msg[0] = '\0';
	ret = ptd_port_create(&D, "vale0:a-b", &o, &ptd_passthrough_ops, NULL, &fw_cred, &p, &e);
	CHECK_EQ(ret, -EINVAL, "bad name");
	CHECK(e.msg[0], "bad name message");
	e.msg[0] = '\0';
	ret = ptd_port_create(&D, "vale0:c@conf:rings=2", &o, &ptd_passthrough_ops, NULL, &fw_cred, &p, &e);
	CHECK_EQ(ret, -EINVAL, "@conf is for clients, not for ptd_port_create");
	CHECK(e.msg[0], "@conf message");
	CHECK_EQ(ptd_switch_del(&D, "vale0", &e), -EBUSY, "switch with ports not deleted");
	CHECK_EQ(ptd_switch_del(&D, "vale9", &e), -ENOENT, "unknown switch");

	fw_close(&a);
	CHECK(ptd_port_find(&D, "vale0:a") == NULL, "closed port gone");
	CHECK(ptd_port_find(&D, "vale0:b") != NULL, "other port still there");
	/* The name is free again. */
	fw_open(&a, "vale0:a@conf:slots=64,extra-bufs=1000");
	check_port(&a, 1, 1, 64, 64, 2048, 1000);
	CHECK(ptd_region_size(&(struct ptnet_port_opts){ .tx_rings = 1, .rx_rings = 1,
							 .tx_slots = 64, .rx_slots = 64,
							 .buf_size = 2048, .extra_bufs = 1000 }) ==
		      a.p->size,
	      "extra buffers counted in the region size (the memory limits)");
	fw_close(&a);
	fw_open(&a, "vale0:a@conf:slots=64,pipes=3,extra-bufs=10");
	check_rooms(&a, 64, 3, 10);
	CHECK_EQ(fw_reg(a.p, PTNET_IO_X_EXTRA_BUFS), 10, "extra buffers beside the pipes");
	fw_close(&a);
	fw_close(&b);
	CHECK_EQ(D.nports, 0, "no ports left");
	/* Made on first use: gone with its last port. */
	CHECK(ptd_switch_find(&D, "vale0") == NULL, "switch made on first use gone with its last port");
	fw_teardown();
	return t_done("port_region");
}
