#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Unmodified netmap-API programs (tests/netmap/nm-txrx: /dev/netmap only,
# their own copy of netmap's structs) run on ptnet through ptnet-run and
# libptnet-netmap.so: NIOCCTRL and legacy NIOCREGIF registration, waiting
# by NIOC*SYNC loops, poll, select and epoll, and pkt-gen -p 4 style
# per-ring clones (NR_REG_ONE_NIC, one mem_id, one mapping).  Every frame
# is checked byte by byte, windows of acks keep rings from overflowing (no
# timing luck), and ptnetd's counters must agree with what was sent.
. "$(dirname "$0")/lib.sh"

# The preload and the netmap programs: the ASan build when there is one.
NMB=$ASAN
[ -x "$NMB/tests/netmap/nm-txrx" ] && [ -f "$NMB/lib/libptnet-netmap.so" ] || NMB=$BUILD
if [ ! -x "$NMB/tests/netmap/nm-txrx" ] || [ ! -x "$NMB/bin/ptnet-run" ]; then
	echo "SKIP: nm-txrx or ptnet-run not built"
	exit 77
fi
RUN=$NMB/bin/ptnet-run
NM=$NMB/tests/netmap/nm-txrx
# An ASan program with an LD_PRELOAD library ahead of the ASan runtime.
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"

start_ptnetd -w 2

# run TAG FRAMES_PER_RING RINGS_USED ARGS...: receiver vale5:rTAG, sender vale5:sTAG.
run() {
	local tag=$1 per=$2 nr=$3 total
	shift 3
	total=$((per * nr))
	log "phase $tag: $*"
	spawn "r$tag" "$RUN" "$NM" rx -i "vale5:r$tag" -n "$per" "$@"
	if ! wait_line "r$tag" '^READY' 20; then
		fail "$tag: receiver did not register"; show "r$tag"; return
	fi
	spawn "s$tag" "$RUN" "$NM" tx -i "vale5:s$tag" -n "$per" "$@"
	wait_bg "s$tag" 90
	check_eq "$tag: sender exit status" "$RC" 0
	wait_bg "r$tag" 30
	check_eq "$tag: receiver exit status (every frame verified)" "$RC" 0
	check "$tag: sender sent $total" grep -q "^SENT frames=$total\$" "$T/s$tag.out"
	check "$tag: receiver got $total" grep -q "^RECV frames=$total\$" "$T/r$tag.out"
	show "s$tag"
	show "r$tag"
	check "$tag: no sanitizer report" sanitizer_clean "$T/s$tag.err"
	check "$tag: no sanitizer report (receiver)" sanitizer_clean "$T/r$tag.err"
	check "$tag: the library is silent without PTNET_DEBUG" test ! -s "$T/s$tag.err"
}

run busy 20000 1 -w busy
run poll 20000 1 -w poll
run select 5000 1 -w select
run epoll 5000 1 -w epoll
run legacy 5000 1 -L -w poll
run clones 5000 4 -r 4 -p -w poll
run lclones 3000 4 -r 4 -p -L -w busy
run rings2 5000 1 -r 2 -w poll

# The ports are gone with their processes; ptnetd counted nothing lost.
check "ports detached when the programs exited" wait_until 10 eval \
	"[ \"\$(stat_expr 'len([n for n in s if n.startswith(\"vale5:\")])')\" = 0 ]"

# PTNET_DEBUG: clear messages on stderr.
spawn dbg env PTNET_DEBUG=1 "$RUN" "$NM" rx -i "vale5:d" -n 0 -w busy
wait_bg dbg 20
check "PTNET_DEBUG names the registration" grep -q "vale5:d registered" "$T/dbg.err"
finish
