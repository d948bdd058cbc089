#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Local clients (ptnetd(8), --pin-workers): a worker whose rings include a
# client pinned to its CPU yields only when such a client has packets to
# take, or after a stretch of idle polling, instead of on every idle round.
# With one pinned worker: ping beside it on the first CPU is its local
# client (ptnet_worker_local_rings 1), pong on the second is not; a
# busy-poll ping-pong completes every transaction (a worker that kept the
# CPU while ping's reply sat in its ring would stall it).  Then a sender
# and a receiver both on the worker's CPU (two local clients, a bulk
# sender that can only run when the worker yields, a receiver whose TX
# ring sleeps): both are placed as local, frames flow, and every frame the
# sender reports is delivered or counted as dropped.
. "$(dirname "$0")/lib.sh"

pin_setup
placed() {	# placed RINGS LOCAL: worker 0's rings and local rings
	[ "$(metric ptnet_worker_rings 0)" = "$1" ] && [ "$(metric ptnet_worker_local_rings 0)" = "$2" ]
}
json_field() {	# json_field NAME FIELD: FIELD of the last JSON line NAME printed
	python3 -c 'import json, sys
d = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]
print(d[sys.argv[2]])' "$T/$1.out" "$2" 2>/dev/null || echo none
}

start_ptnetd -w 1 --pin-workers --metrics "$MSOCK"
check_eq "the one worker is pinned to the first CPU" "$(metric ptnet_worker_cpu 0)" "$C0"
check_eq "no rings, no local rings" "$(metric ptnet_worker_local_rings 0)" 0

# pong on the second CPU: on the worker (the only one), not local to it.
spawn po taskset -c "$C1" "$PKTGEN" -i vale0:po -f pong --busy --json
check "pong attached" wait_until 20 port_listed vale0:po
check "pong's ring on worker 0, not local (rings 1, local 0)" wait_until 10 placed 1 0
# ping beside the worker: local.
spawn pi taskset -c "$C0" "$PKTGEN" -i vale0:pi -f ping --busy -n 20000 -d 100 --json
check "ping's ring local to worker 0 (rings 2, local 1)" wait_until 20 placed 2 1
wait_bg pi 120
check_eq "ping done" "$RC" 0
check_eq "all 20000 transactions answered" "$(json_field pi transactions)" 20000
check_eq "none lost" "$(json_field pi lost)" 0
check "ping's ring left: no local ring (rings 1, local 0)" wait_until 20 placed 1 0
kill -TERM "${BG[po]}"
wait_bg po 30
check "pong's ring left too" wait_until 20 placed 0 0

# Both ends on the worker's CPU: two local clients sharing it with the worker.
spawn rb taskset -c "$C0" "$PKTGEN" -i vale0:b -f rx -d 100
check "receiver attached" wait_until 20 port_listed vale0:b
check "the receiver's ring is local (rings 1, local 1)" wait_until 10 placed 1 1
spawn ta taskset -c "$C0" "$PKTGEN" -i vale0:a -f tx -l 60 -d 100 --busy --json
check "the sender's ring is local too (rings 2, local 2)" wait_until 20 placed 2 2
check "the receiver, sharing the CPU with a bulk sender and the worker, gets frames" \
	wait_stat 20 "S('vale0:b','rx_packets') > 100000"
kill -TERM "${BG[ta]}"
wait_bg ta 30
check_eq "the sender stopped cleanly" "$RC" 0
SENT=$(json_field ta packets)
check "the sender reported what it sent" test "$SENT" -gt 100000
check "all $SENT delivered to b or counted as b's drops" wait_stat 20 \
	"S('vale0:b','rx_packets') + drops('vale0:b') == $SENT"
check "the sender's local ring left with it (rings 1, local 1)" wait_until 20 placed 1 1
kill -TERM "${BG[rb]}"
wait_bg rb 30
stop_ptnetd
finish
