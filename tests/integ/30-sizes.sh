#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Frames of many sizes, 60..9000 bytes, between ports with unlike buffer
# sizes (multi-slot NS_MOREFRAG chains re-cut by ptnetd), each frame
# verified byte for byte, in order, with the length tb-send used for its
# sequence number.  The sender keeps a window smaller than the receiver's
# ring, so nothing may be lost: counters must show every frame and byte
# and no drop.
. "$(dirname "$0")/lib.sh"

start_ptnetd -w 2

# pair TAG RX_CONF TX_CONF SIZES COUNT WINDOW
pair() {
	local tag=$1 rconf=$2 sconf=$3 sizes=$4 n=$5 win=$6 mac dline bytes got
	log "phase $tag: receiver $rconf, sender $sconf, sizes $sizes, $n frames"
	spawn "r$tag" "$TBIN/tb-recv" -p "vale0:r$tag$rconf" -i 100 -e "1:$n" --sizes "$sizes" \
		--ack --announce --exact --hold
	if ! wait_line "r$tag" '^READY' 20; then
		fail "$tag: receiver did not start"; show "r$tag"; return
	fi
	mac=$(mac_of "r$tag")
	spawn "s$tag" "$TBIN/tb-send" -p "vale0:s$tag$sconf" -i 1 -n "$n" -s "$sizes" -w "$win" \
		-d "$mac" --hold
	check "$tag: sender done" wait_line "s$tag" '^DONE' 90
	check "$tag: receiver verified every frame" wait_line "r$tag" '^RECV ok' 90
	show "s$tag"
	show "r$tag"
	dline=$(line_of "s$tag" '^DONE')
	bytes=${dline#*bytes=}
	bytes=${bytes%% *}
	got=$(sed -n 's/^RECV ok frames=\([0-9]*\) bytes=\([0-9]*\).*/\1 \2/p' "$T/r$tag.out")
	check_eq "$tag: receiver counted $n frames" "${got% *}" "$n"
	check_eq "$tag: receiver counted the sender's bytes" "${got#* }" "$bytes"
	expect_ctr "$tag: tx_packets of the sender" "vale0:s$tag" tx_packets "$n"
	expect_ctr "$tag: rx_packets of the receiver" "vale0:r$tag" rx_packets "$n"
	expect_ctr "$tag: tx_bytes of the sender" "vale0:s$tag" tx_bytes "$bytes"
	expect_ctr "$tag: rx_bytes of the receiver" "vale0:r$tag" rx_bytes "$bytes"
	check_eq "$tag: no drops at the receiver" \
		"$(stat_expr "drops('vale0:r$tag') - S('vale0:r$tag','drop_no_dest')")" 0
	check_eq "$tag: no drops at the sender" "$(stat_expr "drops('vale0:s$tag')")" 0
	kill -TERM "${BG[s$tag]}" "${BG[r$tag]}" 2>/dev/null
	wait_bg "s$tag" 20
	check_eq "$tag: sender exit status" "$RC" 0
	wait_bg "r$tag" 20
	check_eq "$tag: receiver exit status" "$RC" 0
}

# Same buffers, sizes spread over 60..9000 (1..5 slots).
pair A "" "" 60-9000 20000 64
# Small sender buffers (up to 36 slots per frame), large receiver buffers.
EDGES=60,61,63,64,65,127,128,129,255,256,257,511,512,513,1514,2047,2048,2049
EDGES=$EDGES,4095,4096,4097,8191,8192,8193,9000
pair B "@conf:buf-size=4096" "@conf:buf-size=256" $EDGES 5000 16
# Large sender buffers, small receiver buffers (up to 36 slots at the receiver).
pair C "@conf:buf-size=256" "@conf:buf-size=4096" 60-9000 5000 16
# Smallest rings.
pair D "@conf:slots=64" "@conf:slots=64" 60-1514 5000 4
finish
