// SPDX-License-Identifier: BSD-2-Clause
/*
 * pipe_room.c - the rooms a port made with pipes=K reserves for pipe pairs
 * that share its memory (abi.h, PTNET_PIPE_ROOM_*): their size, and writing
 * one: each end's netmap_if, the pair's state and its four rings (0 master
 * TX, 1 slave TX, 2 master RX, 3 slave RX).  region.c writes every room when
 * it makes the region, giving the rings' slots their buffers from the
 * port's pool; pipe.c writes a room again when a pair is opened in it, then
 * keeping whatever buffers the slots hold (the previous pair may have
 * swapped them with the port's rings: they are the owner's to account for,
 * and every reader checks them anyway).
 *
 * Nothing here reads the region: ptnetd computes every offset and value
 * from its own copy of the layout, so a client scribbling on a room only
 * garbles its own pair.
 */
#include <stdio.h>
#include <string.h>
#include "daemon/port.h"

#define PAGE		4096u
#define ALIGN(x, a)	(((x) + (a) - 1) & ~((uint64_t)(a) - 1))

static uint64_t ring_bytes(uint32_t nslots)
{
	return ALIGN(sizeof(struct netmap_ring) + 16ull * nslots, NM_CACHE_ALIGN);
}

uint64_t ptd_pipe_room_size(uint32_t nslots)
{
	return ALIGN(PTNET_PIPE_ROOM_RINGS + 4 * ring_bytes(nslots), PAGE);
}

uint64_t ptd_pipe_room_ring(uint32_t nslots, unsigned int i)
{
	return PTNET_PIPE_ROOM_RINGS + i * ring_bytes(nslots);
}

void ptd_pipe_room_write(uint8_t *mem, uint64_t room_ofs, const char *pname, unsigned int id,
			 uint32_t nslots, uint32_t buf_size, uint64_t buf_ofs, uint32_t *next_buf)
{
	uint8_t *room = mem + room_ofs;
	struct ptnet_pipe_state *st = (struct ptnet_pipe_state *)(room + PTNET_PIPE_ROOM_STATE);

	for (unsigned int i = 0; i < 4; i++) {
		uint64_t ofs = room_ofs + ptd_pipe_room_ring(nslots, i);
		struct netmap_ring *r = (struct netmap_ring *)(mem + ofs);
		bool tx = i < 2;

		*(int64_t *)&r->buf_ofs = (int64_t)buf_ofs - (int64_t)ofs;
		*(uint32_t *)&r->num_slots = nslots;
		*(uint32_t *)&r->nr_buf_size = buf_size;
		*(uint16_t *)&r->ringid = 0;	/* each end sees its rings as ring 0 */
		*(uint16_t *)&r->dir = tx ? 0 : 1;
		r->head = r->cur = 0;
		r->tail = tx ? nslots - 1 : 0;
		r->flags = 0;
		for (uint32_t s = 0; next_buf && s < nslots; s++) {
			r->slot[s].buf_idx = (*next_buf)++;
			r->slot[s].len = 0;
			r->slot[s].flags = 0;
		}
	}
	for (unsigned int end = 0; end < 2; end++) {
		uint64_t nofs = PTNET_PIPE_ROOM_NIFP(end);
		struct netmap_if *nifp = (struct netmap_if *)(room + nofs);

		memset(nifp, 0, sizeof(*nifp) + 2 * sizeof(int64_t));
		snprintf(nifp->ni_name, sizeof(nifp->ni_name), "%.10s%c%u", pname,
			 end == PTNET_PIPE_MASTER ? '{' : '}', id);
		*(uint32_t *)&nifp->ni_version = NETMAP_API;
		*(uint32_t *)&nifp->ni_flags = NI_PRIV_MEM;
		*(uint32_t *)&nifp->ni_tx_rings = 1;
		*(uint32_t *)&nifp->ni_rx_rings = 1;
		((int64_t *)nifp->ring_ofs)[0] = (int64_t)ptd_pipe_room_ring(nslots, end) -
						 (int64_t)nofs;
		((int64_t *)nifp->ring_ofs)[1] = (int64_t)ptd_pipe_room_ring(nslots, 2 + end) -
						 (int64_t)nofs;
	}
	memset(st, 0, sizeof(*st));
}
