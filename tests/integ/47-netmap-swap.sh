#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Extra buffers and zero-copy buffer swaps through libptnet-netmap.so
# (tests/netmap/nm-swap, netmap's structs of its own): a reflector asks for
# extra buffers at REGISTER (NIOCCTRL and legacy nr_arg3), takes the
# ni_bufs_head list, and sends every frame it receives on RX ring i out of
# TX ring (i + 1) % rings of the same port by moving buffer indices
# (NS_BUF_CHANGED), rotating them through the extra buffers; the sender
# (nm-txrx tx -E) gets each window back and checks every byte.  Then the
# extra buffers are given back and granted again, and wrong lists given
# back cost only what they lie about.  The two ports are alone on their
# switch (broadcast frames reach only the other one) and windows keep every
# ring below its size: no timing luck.
. "$(dirname "$0")/lib.sh"

NMB=$ASAN
[ -x "$NMB/tests/netmap/nm-swap" ] && [ -f "$NMB/lib/libptnet-netmap.so" ] || NMB=$BUILD
if [ ! -x "$NMB/tests/netmap/nm-swap" ] || [ ! -x "$NMB/bin/ptnet-run" ]; then
	echo "SKIP: nm-swap or ptnet-run not built"
	exit 77
fi
RUN=$NMB/bin/ptnet-run
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"

# 64 MiB of port memory: every phase fits, 40000 extra buffers do not.
start_ptnetd -w 2 --max-mem 64

# run TAG SWITCH FRAMES FWD_ARGS... -- TX_ARGS...
run() {
	local tag=$1 sw=$2 n=$3 fa=() ta=()
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do fa+=("$1"); shift; done
	shift
	ta=("$@")
	log "phase $tag: fwd ${fa[*]} / tx ${ta[*]}"
	spawn "f$tag" "$RUN" "$NMB/tests/netmap/nm-swap" fwd -i "$sw:f$tag" -n "$n" "${fa[@]}"
	if ! wait_line "f$tag" '^READY' 20; then
		fail "$tag: reflector did not register"; show "f$tag"; return
	fi
	spawn "s$tag" "$RUN" "$NMB/tests/netmap/nm-txrx" tx -E -i "$sw:s$tag" -n "$n" "${ta[@]}"
	wait_bg "s$tag" 90
	check_eq "$tag: sender exit status (every frame came back intact)" "$RC" 0
	wait_bg "f$tag" 30
	check_eq "$tag: reflector exit status" "$RC" 0
	check "$tag: sender got $n back" grep -q "^SENT frames=$n\$" "$T/s$tag.out"
	check "$tag: reflector moved $n" grep -q "^FWD frames=$n\$" "$T/f$tag.out"
	show "f$tag"
	show "s$tag"
	check "$tag: no sanitizer report" sanitizer_clean "$T/f$tag.err"
	check "$tag: no sanitizer report (sender)" sanitizer_clean "$T/s$tag.err"
}

run extra vale6 20000 -r 2 -x 300 -- -w poll
check "extra: the extra buffers were granted again after being given back" \
	grep -q "^EXTRA back=300\$" "$T/fextra.out"
run legacy vale7 10000 -r 2 -x 64 -L -- -w busy
check "legacy: nr_arg3 extra buffers granted again" grep -q "^EXTRA back=64\$" "$T/flegacy.out"
run swap vale8 10000 -- -w poll
check "swap: no extra buffers, plain RX/TX swaps" grep -q "^EXTRA back=0\$" "$T/fswap.out"
# A ring bigger than the frames in flight is all the pool needs: one ring pair, 1 extra.
run one vale9 5000 -x 1 -- -w busy -B 64

spawn xbad env PTNET_DEBUG=1 "$RUN" "$NMB/tests/netmap/nm-swap" xbad -i vale10:x
wait_bg xbad 30
check_eq "wrong lists given back: each costs only what it lies about" "$RC" 0
check "xbad ran to its end" grep -q "^XBAD ok\$" "$T/xbad.out"
check "PTNET_DEBUG says what was given back" grep -q "2 of 8 extra buffers given back" \
	"$T/xbad.err"
check "xbad: no sanitizer report" sanitizer_clean "$T/xbad.err"
show xbad

# More extra buffers than --max-mem allows: netmap grants fewer, here none.
spawn lim env PTNET_DEBUG=1 "$RUN" "$NMB/tests/netmap/nm-swap" fwd -i vale11:l -n 0 -x 40000 -G 0
wait_bg lim 30
check_eq "40000 extra buffers beyond --max-mem: the port made with none" "$RC" 0
check "PTNET_DEBUG says why" grep -q "no room for 40000 extra buffers" "$T/lim.err"
check "lim: no sanitizer report" sanitizer_clean "$T/lim.err"
show lim
check "ports gone with their programs" wait_until 10 eval \
	"[ \"\$(stat_expr 'len([n for n in s if n.startswith(\"vale\") and \":\" in n])')\" = 0 ]"
finish
