// SPDX-License-Identifier: BSD-2-Clause
/*
 * learn_dump - the dump and flush ops of the MAC learning lookup
 * (daemon/learn.c): what is learned is dumped once each, with its port and
 * an age in whole ticks; aged-out entries are not; flush forgets everything
 * and says how many were in force; a flushed table learns again.
 */
#include <string.h>
#include "daemon/switch.h"
#include "t.h"

#define TICK_SHIFT 2

static struct ptd_switch *sw;
static struct ptd_port ports[3];

struct seen {
	unsigned int n;
	struct ptd_fdb_entry e[64];
};

static void note(const struct ptd_fdb_entry *ent, void *arg)
{
	struct seen *s = arg;

	if (s->n < 64)
		s->e[s->n] = *ent;
	s->n++;
}

static void mk_mac(uint8_t m[6], unsigned int v)
{
	const uint8_t b[6] = { 0x02, 0, 0, 0, 0, (uint8_t)v };

	memcpy(m, b, 6);
}

static void send_from(unsigned int port, unsigned int macv, uint32_t now_s)
{
	uint8_t eth[12];

	memset(eth, 0xff, 6);
	mk_mac(eth + 6, macv);
	sw->ops->lookup(sw, &ports[port], eth, now_s);
}

static const struct ptd_fdb_entry *find(const struct seen *s, unsigned int macv)
{
	uint8_t m[6];

	mk_mac(m, macv);
	for (unsigned int i = 0; i < s->n && i < 64; i++)
		if (!memcmp(s->e[i].mac, m, 6))
			return &s->e[i];
	return NULL;
}

int main(void)
{
	/* A fixed clock: now_s is the caller's, so nothing here depends on time passing. */
	const uint32_t t0 = 4000;	/* a multiple of 4: tick 1000 & 0xff */
	struct seen s = { 0 };
	const struct ptd_fdb_entry *e;

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
	REQUIRE(sw->ops->dump && sw->ops->flush, "learning ops have dump and flush");

	CHECK_EQ(sw->ops->dump(sw, t0, note, &s), 0, "empty table dumps nothing");
	CHECK_EQ(s.n, 0, "no callback on an empty table");

	send_from(0, 0xa, t0);
	send_from(1, 0xb, t0 - 8);	/* learned two ticks earlier */
	send_from(2, 0xc, t0 - 400);	/* older than the 300 s aging time */
	send_from(0, 0xd, t0);
	CHECK_EQ(sw->ops->dump(sw, t0, note, &s), 3, "three entries in force (one aged out)");
	CHECK_EQ(s.n, 3, "one callback per entry in force");
	e = find(&s, 0xa);
	CHECK(e && e->port == 0 && e->age_s == 0, "02:00:00:00:00:0a on port 0, age 0");
	e = find(&s, 0xb);
	CHECK(e && e->port == 1 && e->age_s == 8, "02:00:00:00:00:0b on port 1, age 8 s");
	CHECK(find(&s, 0xc) == NULL, "the aged-out entry is not dumped");
	e = find(&s, 0xd);
	CHECK(e && e->port == 0, "a port's second address is dumped too");
	CHECK_EQ(sw->ops->dump(sw, t0, NULL, NULL), 3, "counting without a callback");

	/* The MAC moves: dumped once, on its new port. */
	send_from(2, 0xa, t0);
	s.n = 0;
	CHECK_EQ(sw->ops->dump(sw, t0, note, &s), 3, "a moved MAC is one entry");
	e = find(&s, 0xa);
	CHECK(e && e->port == 2, "the moved MAC is on its new port");

	CHECK_EQ(sw->ops->flush(sw, t0), 3, "flush reports the entries in force");
	CHECK_EQ(sw->ops->dump(sw, t0, NULL, NULL), 0, "nothing left after flush");
	for (unsigned int st = 0; st < sw->mac_sets; st++)
		for (unsigned int w = 0; w < PTD_MAC_WAYS; w++)
			CHECK(sw->mac[st][w] == 0, "set %u way %u empty after flush", st, w);
	CHECK_EQ(sw->ops->flush(sw, t0), 0, "a second flush finds nothing");

	send_from(1, 0xb, t0);
	s.n = 0;
	CHECK_EQ(sw->ops->dump(sw, t0, note, &s), 1, "learning works after a flush");
	e = find(&s, 0xb);
	CHECK(e && e->port == 1, "relearned on its port");
	ptd_mac_free(sw);
	free(sw);
	return t_done("learn_dump");
}
