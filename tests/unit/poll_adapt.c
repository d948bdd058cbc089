// SPDX-License-Identifier: BSD-2-Clause
/*
 * poll_adapt - the polling-window rule shared by the workers and the tap
 * threads (ptd_poll_adapt in worker.h): an early wakeup widens the window
 * to cover it, a late one halves it down to the floor, the ceiling holds.
 */
#include <stdint.h>
#include "daemon/worker.h"
#include "t.h"

int main(void)
{
	/* Early wakeups (gap < max): twice the gap or twice the window, capped. */
	CHECK_EQ(ptd_poll_adapt(20, 50, 20, 1000), 100, "gap 50 from 20: twice the gap");
	CHECK_EQ(ptd_poll_adapt(100, 10, 20, 1000), 200, "short gap: twice the window");
	CHECK_EQ(ptd_poll_adapt(600, 700, 20, 1000), 1000, "capped at max");
	CHECK_EQ(ptd_poll_adapt(0, 0, 0, 200), 1, "from nothing: at least 1");
	CHECK_EQ(ptd_poll_adapt(0, 60, 0, 200), 120, "tap: RR turn of 60 us");
	/* Late wakeups (gap >= max): halve, not below the floor. */
	CHECK_EQ(ptd_poll_adapt(1000, 1000, 20, 1000), 500, "gap == max is late");
	CHECK_EQ(ptd_poll_adapt(40, 5000, 20, 1000), 20, "halved to the floor");
	CHECK_EQ(ptd_poll_adapt(30, 5000, 20, 1000), 30, "not below the floor");
	CHECK_EQ(ptd_poll_adapt(1, 2000, 0, 200), 0, "tap: no floor, closes");
	CHECK_EQ(ptd_poll_adapt(0, 2000, 0, 200), 0, "stays closed for sparse traffic");
	/* Huge gaps do not overflow into an early wakeup. */
	CHECK_EQ(ptd_poll_adapt(200, UINT64_MAX / 2, 0, 200), 100, "huge gap is late");
	return t_done("poll_adapt");
}
