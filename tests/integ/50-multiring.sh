#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Multi-ring ports: traffic on TX rings 0..3 at once.  Frames of TX ring i
# must arrive on RX ring (i mod RX rings) of the receiver, each ring's
# stream intact and in order, every frame accounted for, with 4->4, 4->2,
# 1->4 and 3->3 (with two workers serving the rings) ring layouts.
. "$(dirname "$0")/lib.sh"

start_ptnetd -w 2

# run TAG RX_CONF TX_CONF TX_RINGS PER_RING WANT_RINGS
run() {
	local tag=$1 rconf=$2 sconf=$3 nr=$4 per=$5 want=$6 total mac
	total=$((nr * per))
	log "phase $tag: receiver $rconf, sender $sconf, $nr rings x $per frames"
	spawn "r$tag" "$TBIN/tb-recv" -p "vale0:r$tag$rconf" -i 100 -e "1:$total" --sizes 60-3000 \
		--check-ring --ack --announce --exact --hold
	if ! wait_line "r$tag" '^READY' 20; then
		fail "$tag: receiver did not start"; show "r$tag"; return
	fi
	mac=$(mac_of "r$tag")
	spawn "s$tag" "$TBIN/tb-send" -p "vale0:s$tag$sconf" -i 1 -r "$nr" -n "$per" -s 60-3000 \
		-w 64 -d "$mac" --hold
	check "$tag: sender done" wait_line "s$tag" '^DONE' 90
	check "$tag: receiver verified every frame, each on its ring" \
		wait_line "r$tag" '^RECV ok' 90
	show "s$tag"
	show "r$tag"
	check "$tag: per-ring counts $want" grep -q "from1=$total $want\$" "$T/r$tag.out"
	expect_ctr "$tag: tx_packets" "vale0:s$tag" tx_packets "$total"
	expect_ctr "$tag: rx_packets" "vale0:r$tag" rx_packets "$total"
	check_eq "$tag: no drops" \
		"$(stat_expr "drops('vale0:s$tag') + drops('vale0:r$tag') - S('vale0:r$tag','drop_no_dest')")" 0
	kill -TERM "${BG[s$tag]}" "${BG[r$tag]}" 2>/dev/null
	wait_bg "s$tag" 20
	check_eq "$tag: sender exit status" "$RC" 0
	wait_bg "r$tag" 20
	check_eq "$tag: receiver exit status" "$RC" 0
}

run A "@conf:rings=4" "@conf:rings=4" 4 5000 "ring0=5000 ring1=5000 ring2=5000 ring3=5000"
run B "@conf:rings=2" "@conf:tx-rings=4,rx-rings=1" 4 5000 "ring0=10000 ring1=10000"
run C "@conf:rings=4" "" 1 5000 "ring0=5000 ring1=0 ring2=0 ring3=0"
run D "@conf:rings=3,slots=256" "@conf:rings=3,slots=128" 3 4000 "ring0=4000 ring1=4000 ring2=4000"
finish
