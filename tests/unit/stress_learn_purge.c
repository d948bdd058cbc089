// SPDX-License-Identifier: BSD-2-Clause
/*
 * stress_learn_purge - the port purge, the flush, the age sweep and the dump run
 * under the switch's shared lock while a worker keeps learning and looking
 * up (as ptnetd's control thread does since the MAC table can hold 2^20
 * entries): the gone port's entries are all cleared, the learner's own
 * entries are never taken for another port's, nothing tears.  Build it
 * with SANITIZE=thread to have the accesses checked.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <ptnet/barrier.h>
#include "daemon/switch.h"
#include "t.h"

#define ENT_PORT(e) ((unsigned int)(((e) >> 48) & 0xff))
#define ENTRIES	    (1u << 16)

static struct ptd_switch *sw;
static struct ptd_port ports[3];
static int stop;				/* main -> learner: relaxed flag */
static unsigned long wrong;			/* the learner's, read after join */
static unsigned long rounds;			/* the learner's, main waits for one */

static void u64_mac(uint64_t v, uint8_t m[6])
{
	for (unsigned int i = 0; i < 6; i++)
		m[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t frame(unsigned int src, uint64_t dmac, uint64_t smac)
{
	uint8_t eth[12];

	u64_mac(dmac, eth);
	u64_mac(smac, eth + 6);
	return sw->ops->lookup(sw, &ports[src], eth, ptd_now_s());
}

/* Port 0 learns 4096 addresses over and over and looks each up: it or a flood, never port 1. */
static void *learner(void *arg)
{
	(void)arg;
	while (!PTNET_READ_ONCE(stop)) {
		pthread_rwlock_rdlock(&sw->lock);
		for (uint64_t i = 0; i < 4096; i++) {
			uint64_t m = 0x02 | (i + 1) << 8;
			uint16_t d;

			frame(0, 0xffffffffffffull, m);
			d = frame(2, m, 0x07);
			if (d != 0 && d != PTD_DST_FLOOD)
				wrong++;
		}
		pthread_rwlock_unlock(&sw->lock);
		PTNET_WRITE_ONCE(rounds, rounds + 1);
	}
	return NULL;
}

static unsigned int count_port(unsigned int port)
{
	unsigned int n = 0;

	for (unsigned int s = 0; s < sw->mac_sets; s++)
		for (unsigned int w = 0; w < PTD_MAC_WAYS; w++)
			n += ENT_PORT(PTNET_READ_ONCE(sw->mac[s][w])) == port + 1;
	return n;
}

int main(void)
{
	pthread_t th;

	sw = calloc(1, sizeof(*sw));
	REQUIRE(sw, "calloc");
	REQUIRE(ptd_mac_alloc(sw, ENTRIES) == 0, "MAC table");
	pthread_rwlock_init(&sw->lock, NULL);
	sw->ops = &ptd_learning_ops;
	sw->age_s = 300;
	for (unsigned int i = 0; i < 3; i++) {
		ports[i].index = i;
		ports[i].sw = sw;
		sw->ports[i] = &ports[i];
	}
	REQUIRE(pthread_create(&th, NULL, learner, NULL) == 0, "learner thread");
	for (unsigned int round = 0; round < 20; round++) {
		/* Port 1 learns its addresses (the learner's are others), then leaves. */
		pthread_rwlock_wrlock(&sw->lock);
		for (uint64_t i = 0; i < 4096; i++)
			frame(1, 0xffffffffffffull, 0x02 | (i + 100000) << 8);
		pthread_rwlock_unlock(&sw->lock);
		pthread_rwlock_rdlock(&sw->lock);
		sw->ops->port_gone(sw, 1);
		CHECK_EQ(count_port(1), 0, "round %u: the gone port's entries are cleared", round);
		sw->ops->dump(sw, ptd_now_s(), NULL, NULL);
		ptd_mac_sweep(sw);
		if (round % 5 == 4)
			sw->ops->flush(sw, ptd_now_s());
		pthread_rwlock_unlock(&sw->lock);
	}
	while (!PTNET_READ_ONCE(rounds))	/* (it ran at least once, concurrently or not) */
		sched_yield();
	PTNET_WRITE_ONCE(stop, 1);
	pthread_join(th, NULL);
	CHECK_EQ(wrong, 0, "no lookup of the learner's addresses answered another port");
	pthread_rwlock_destroy(&sw->lock);
	ptd_mac_free(sw);
	free(sw);
	return t_done("stress_learn_purge");
}
