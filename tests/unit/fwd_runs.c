// SPDX-License-Identifier: BSD-2-Clause
/*
 * fwd_runs - a batch's frames that repeat the previous frame's destination
 * and source reuse its lookup (fwd.c, pass 1); everything else is looked
 * up on its own.  In one batch from a: runs of frames for b and for c
 * interleaved with broadcasts, single frames between runs, and runs that
 * differ only in the source MAC: each frame reaches exactly the port its
 * own header names, in order, and every source MAC of the batch is learned
 * (unicast to it afterwards goes to a, not everywhere).
 */
#include "fwdh.h"

static const uint8_t MAC_A[6] = { 2, 0, 0, 0, 0, 0xa };
static const uint8_t MAC_B[6] = { 2, 0, 0, 0, 0, 0xb };
static const uint8_t MAC_C[6] = { 2, 0, 0, 0, 0, 0xc };
static const uint8_t MAC_X[6] = { 2, 0, 0, 0, 0, 0x58 };
static const uint8_t MAC_Y[6] = { 2, 0, 0, 0, 0, 0x59 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

#define LEN 100

struct step {
	const uint8_t *dst, *src;
	unsigned int count;
};

static uint8_t fr[64][LEN];

/* Frame I of the batch: its header from the step, its payload unique. */
static unsigned int build(const struct step *s, unsigned int nsteps, const uint8_t *dsts[64])
{
	unsigned int n = 0;

	for (unsigned int k = 0; k < nsteps; k++)
		for (unsigned int j = 0; j < s[k].count; j++, n++) {
			mk_frame(fr[n], LEN, s[k].dst, s[k].src, 1000 + n);
			dsts[n] = s[k].dst;
		}
	return n;
}

/* The frames of the batch meant for port MAC (its own and the broadcasts), in order. */
static void expect_at(struct cport *c, const uint8_t mac[6], const uint8_t *dsts[64],
		      unsigned int n, const char *what)
{
	for (unsigned int i = 0; i < n; i++)
		if (dsts[i] == mac || dsts[i] == BCAST)
			rx_expect(c, 0, fr[i], LEN, what);
	rx_expect_empty(c, 0, what);
	rx_release(c, 0);
}

int main(void)
{
	struct cport a, b, c;
	const uint8_t *dsts[64];
	struct ptd_stats sa;

	fw_setup(1);
	fw_open(&a, "vale0:a@conf:mac=02:00:00:00:00:0a");
	fw_open(&b, "vale0:b@conf:mac=02:00:00:00:00:0b");
	fw_open(&c, "vale0:c@conf:mac=02:00:00:00:00:0c");
	/* b and c announce themselves; a hears both. */
	fw_send_one(&b, BCAST, MAC_B);
	fw_send_one(&c, BCAST, MAC_C);
	rx_drain(&a, 0);
	rx_drain(&b, 0);
	rx_drain(&c, 0);

	const struct step steps[] = {
		{ MAC_B, MAC_A, 5 }, { MAC_C, MAC_A, 3 }, { MAC_B, MAC_A, 1 }, { BCAST, MAC_A, 2 },
		{ MAC_C, MAC_A, 1 }, { MAC_B, MAC_A, 1 }, { MAC_C, MAC_A, 4 }, { BCAST, MAC_A, 1 },
		{ MAC_B, MAC_X, 3 }, { MAC_B, MAC_Y, 3 }, { MAC_C, MAC_X, 2 }, { MAC_B, MAC_A, 6 },
	};
	unsigned int n = build(steps, sizeof(steps) / sizeof(steps[0]), dsts);

	stats(&a, &sa);
	for (unsigned int i = 0; i < n; i++)
		tx_frame(&a, 0, fr[i], LEN);
	tx_publish(&a, 0);
	CHECK_EQ(fw_forward(&a, 0), n, "the whole batch in one pass");
	CHECK_EQ(DELTA(&a, sa, tx_packets), n, "tx_packets");
	CHECK_EQ(DROPS_DELTA(&a, sa), 0, "no drops at a");
	expect_at(&b, MAC_B, dsts, n, "b gets its runs and the broadcasts");
	expect_at(&c, MAC_C, dsts, n, "c gets its runs and the broadcasts");
	rx_expect_empty(&a, 0, "a hears nothing of its own");

	/* X and Y, sources of runs, were learned on a: unicast to them reaches a alone. */
	for (unsigned int k = 0; k < 2; k++) {
		const uint8_t *m = k ? MAC_Y : MAC_X;

		fw_send_one(&b, m, MAC_B);
		CHECK_EQ(rx_pending(&a, 0), 1, "unicast to %s reaches a", k ? "Y" : "X");
		CHECK_EQ(rx_pending(&c, 0), 0, "and not c (%s was learned)", k ? "Y" : "X");
		rx_drain(&a, 0);
	}
	fw_close(&a);
	fw_close(&b);
	fw_close(&c);
	fw_teardown();
	return t_done("fwd_runs");
}
