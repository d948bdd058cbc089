#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A receiver that never reads: its ring takes exactly what fits, every
# other frame is counted as drop_ring_full, and
#   sender tx_packets == receiver rx_packets + drop_ring_full
# holds exactly, with no other drop.  What did fit is the first frames,
# intact and in order, and nothing more (the receiver reads them at the
# end).  Single-slot frames (ring of 1024: 1023 fit) and two-slot frames
# (511 fit, one slot stays unusable).
. "$(dirname "$0")/lib.sh"

start_ptnetd -w 2

# phase TAG SIZE COUNT FITS
phase() {
	local tag=$1 size=$2 n=$3 fits=$4 r=vale0:r$1 s=vale0:s$1
	log "phase $tag: $n frames of $size bytes, $fits should fit"
	spawn "r$tag" "$TBIN/tb-recv" -p "$r" -i 100 -e "1:$fits" --sizes "$size" \
		--stall "$T/go$tag" --exact --announce --hold
	if ! wait_line "r$tag" '^READY' 20; then
		fail "$tag: receiver did not start"; show "r$tag"; return
	fi
	spawn "s$tag" "$TBIN/tb-send" -p "$s" -i 1 -n "$n" -s "$size" -d "$(mac_of "r$tag")" \
		-t 10000 --hold
	check "$tag: sender done" wait_line "s$tag" '^DONE' 60
	check "$tag: every frame accounted for" wait_stat 20 \
		"S('$s','tx_packets') == $n and \
		 S('$r','rx_packets') + S('$r','drop_ring_full') == $n"
	check_eq "$tag: sender tx_packets" "$(ctr "$s" tx_packets)" "$n"
	check_eq "$tag: receiver rx_packets (what fits)" "$(ctr "$r" rx_packets)" "$fits"
	check_eq "$tag: receiver drop_ring_full (the rest)" "$(ctr "$r" drop_ring_full)" \
		$((n - fits))
	check_eq "$tag: tx == rx + drop_ring_full" \
		"$(stat_expr "S('$s','tx_packets') == \
			      S('$r','rx_packets') + S('$r','drop_ring_full')")" True
	check_eq "$tag: no other drop" "$(stat_expr "drops('$s') + S('$r','drop_bad_ring')")" 0
	touch "$T/go$tag"
	check "$tag: receiver read exactly the first $fits frames, in order" \
		wait_line "r$tag" '^RECV ok' 30
	show "s$tag"
	show "r$tag"
	kill -TERM "${BG[s$tag]}" "${BG[r$tag]}" 2>/dev/null
	wait_bg "s$tag" 20
	check_eq "$tag: sender exit status" "$RC" 0
	wait_bg "r$tag" 20
	check_eq "$tag: receiver exit status" "$RC" 0
}

phase A 60 5000 1023
phase B 3000 3000 511
finish
