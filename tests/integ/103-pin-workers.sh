#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# --pin-workers (ptnetd(8)): worker i runs on the i-th CPU ptnetd may use,
# and a port whose owner is pinned to one CPU gets its TX rings on that
# CPU's worker; an unpinned owner's go to the least loaded worker.  Seen
# through ptnet_worker_cpu / ptnet_worker_rings and the worker threads'
# real affinity; then traffic between two pinned clients balances.
. "$(dirname "$0")/lib.sh"

pin_setup
rings_are() { [ "$(metric ptnet_worker_rings 0)" = "$1" ] && [ "$(metric ptnet_worker_rings 1)" = "$2" ]; }

start_ptnetd -w 2 --pin-workers --metrics "$MSOCK"
check_eq "worker 0 pinned to the first CPU" "$(metric ptnet_worker_cpu 0)" "$C0"
check_eq "worker 1 pinned to the second CPU" "$(metric ptnet_worker_cpu 1)" "$C1"
# The threads themselves: one allowed only C0, one only C1.
allowed=$(grep -h Cpus_allowed_list /proc/"$PTNETD_PID"/task/*/status | awk '{print $2}')
check "a ptnetd thread runs only on CPU $C0" grep -qx "$C0" <<<"$allowed"
check "a ptnetd thread runs only on CPU $C1" grep -qx "$C1" <<<"$allowed"

# A receiver pinned to the second CPU first: least-loaded would pick worker 0.
spawn rb taskset -c "$C1" "$PKTGEN" -i vale0:b -f rx -d 60
check "pinned receiver attached" wait_until 20 port_listed vale0:b
check "its ring went to the worker on CPU $C1 (rings 0/1)" wait_until 10 rings_are 0 1
# A sender pinned to the first CPU: worker 0, beside it.
spawn ta taskset -c "$C0" "$PKTGEN" -i vale0:a -f tx -l 60 -n 200000 -R 100000
check "pinned sender's ring on the worker on CPU $C0 (rings 1/1)" wait_until 20 rings_are 1 1
wait_bg ta 60
check_eq "sender done" "$RC" 0
# (a is detached once its sender exits: the books are b's.)
check "all 200000 delivered to b or counted as b's drops" wait_stat 20 \
	"S('vale0:b','rx_packets') + drops('vale0:b') == 200000"
check "most frames delivered" stat_true "S('vale0:b','rx_packets') > 100000"
check "the sender's ring left worker 0 with it (rings 0/1)" wait_until 20 rings_are 0 1
# An unpinned owner: the least loaded worker, worker 0.
spawn rc "$PKTGEN" -i vale0:c -f rx -d 60
check "unpinned client's ring on the least loaded worker (rings 1/1)" wait_until 20 rings_are 1 1
# Two more unpinned: a tie goes to worker 0, then worker 1 has the fewest.
spawn rd "$PKTGEN" -i vale0:d -f rx -d 60
check "the next unpinned one: worker 0 on a tie (rings 2/1)" wait_until 20 rings_are 2 1
spawn re "$PKTGEN" -i vale0:e -f rx -d 60
check "and the next: worker 1, now the least loaded (rings 2/2)" wait_until 20 rings_are 2 2
kill -TERM "${BG[rb]}" "${BG[rc]}" "${BG[rd]}" "${BG[re]}"
for x in rb rc rd re; do
	wait_bg $x 30
done
stop_ptnetd
finish
