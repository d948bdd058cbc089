// SPDX-License-Identifier: BSD-2-Clause
/*
 * learn_move - a MAC address that moves between ports is followed at once,
 * as in VALE (which rewrites the entry on every frame from a new port):
 * A -> B -> A within a few microseconds must leave the MAC on A, or
 * unicast for it goes to B, a port that no longer has it.
 */
#include <string.h>
#include "daemon/switch.h"
#include "t.h"

static struct ptd_switch *sw;
static struct ptd_port ports[3];

static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t M[6] = { 2, 0, 0, 0, 0, 0x42 };
static const uint8_t Q[6] = { 2, 0, 0, 0, 0, 0x99 };

static uint16_t lookup(unsigned int src, const uint8_t dst[6], const uint8_t smac[6])
{
	uint8_t eth[12];

	memcpy(eth, dst, 6);
	memcpy(eth + 6, smac, 6);
	return sw->ops->lookup(sw, &ports[src], eth, ptd_now_s());
}

int main(void)
{
	sw = calloc(1, sizeof(*sw));
	REQUIRE(sw, "calloc");
	REQUIRE(ptd_mac_alloc(sw, PTD_MAC_MIN) == 0, "MAC table");
	sw->ops = &ptd_learning_ops;
	sw->age_s = 300;
	for (unsigned int i = 0; i < 3; i++) {
		ports[i].index = i;
		ports[i].sw = sw;
		sw->ports[i] = &ports[i];
		sw->active[i] = (uint16_t)i;
	}
	sw->nports = 3;

	lookup(0, BCAST, M);
	CHECK_EQ(lookup(2, M, Q), 0, "M learned on port 0");
	lookup(1, BCAST, M);
	CHECK_EQ(lookup(2, M, Q), 1, "M moved to port 1");
	lookup(0, BCAST, M);
	CHECK_EQ(lookup(2, M, Q), 0, "M moved back to port 0: unicast for M must go to port 0");
	lookup(1, BCAST, M);
	CHECK_EQ(lookup(2, M, Q), 1, "and to port 1 again");
	ptd_mac_free(sw);
	free(sw);
	return t_done("learn_move");
}
