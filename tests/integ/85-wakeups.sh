#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# No lost wakeups end to end: ping-pong between two clients whose waits
# have a 10 s limit and who poll only 1 us before sleeping, so nearly every
# step needs a kick (client -> ptnetd) or an interrupt (ptnetd -> client),
# each guarded by the double check.  A wait that runs out fails the test.
# With ptnetd's default polling windows and with none at all (its workers
# then sleep after every pass); one ring, four rings with one thread each
# (ptnet_ring_wait), and bursts larger than a 64-slot TX ring (waits for
# TX space).  Every echo is verified; counters must balance.
. "$(dirname "$0")/lib.sh"

# pp TAG CONF ROUNDS BURST RINGS
pp() {
	local tag=$1 conf=$2 n=$3 b=$4 r=$5 total
	total=$((n * b * r))
	log "phase $tag: $n rounds of $b frame(s) on $r ring(s), ports $conf"
	spawn "pong$tag" "$TBIN/tb-pingpong" pong -p "vale0:pong$tag$conf" -n "$n" -b "$b" -r "$r" -H
	if ! wait_line "pong$tag" '^READY' 20; then
		fail "$tag: pong did not start"; show "pong$tag"; return
	fi
	spawn "ping$tag" "$TBIN/tb-pingpong" ping -p "vale0:ping$tag$conf" -n "$n" -b "$b" -r "$r" \
		-d "$(mac_of "pong$tag")" -H
	check "$tag: ping side finished without a lost wakeup" wait_line "ping$tag" '^DONE' 100
	check "$tag: pong side finished without a lost wakeup" wait_line "pong$tag" '^DONE' 20
	show "ping$tag"
	show "pong$tag"
	expect_ctr "$tag: ping tx_packets" "vale0:ping$tag" tx_packets "$total"
	expect_ctr "$tag: pong rx_packets" "vale0:pong$tag" rx_packets "$total"
	expect_ctr "$tag: pong tx_packets (echoes + its hello)" "vale0:pong$tag" tx_packets \
		$((total + 1))
	expect_ctr "$tag: ping rx_packets" "vale0:ping$tag" rx_packets "$total"
	check "$tag: kicks happened" stat_true "S('vale0:ping$tag','kicks') > 0"
	check "$tag: interrupts happened" stat_true "S('vale0:ping$tag','irqs') > 0"
	check_eq "$tag: no drops" \
		"$(stat_expr "drops('vale0:ping$tag') + drops('vale0:pong$tag') - \
			      S('vale0:pong$tag','drop_no_dest')")" 0
	kill -TERM "${BG[ping$tag]}" "${BG[pong$tag]}" 2>/dev/null
	wait_bg "ping$tag" 20
	check_eq "$tag: ping exit status" "$RC" 0
	wait_bg "pong$tag" 20
	check_eq "$tag: pong exit status" "$RC" 0
}

start_ptnetd -w 2
pp A "" 5000 1 1
pp B "@conf:rings=4" 2000 1 4
stop_ptnetd

# Workers that never poll: every TX pass ends in the double check.
start_ptnetd -w 2 --poll-min-us 0 --poll-max-us 0
pp C "" 5000 1 1
pp D "@conf:rings=4" 2000 1 4
pp E "@conf:tx-slots=64,rx-slots=1024" 100 200 1
pp F "@conf:rings=2,tx-slots=64,rx-slots=1024" 50 200 2
finish
