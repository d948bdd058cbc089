#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# netmap pipes through libptnet-netmap.so (tests/netmap/nm-pipe, netmap's
# structs of its own): valeX:NAME{N and }N share one region and move frames
# by swapping buffer indices, with no ptnetd thread in between.
#  - echo/tx, poll-driven and busy-sync: every byte checked both ways, every
#    frame comes back in the buffer it was written in (zc=), every TX slot
#    comes back from a sync with another buffer and NS_BUF_CHANGED (swaps=);
#    the echo sees the sender close (PEER GONE) and the pair is freed;
#  - two ends asleep in poll use next to no CPU (idle means idle);
#  - each end killed in turn: the other sees it (POLLERR), ptnetd frees the pair;
#  - an end opened twice is refused (EBUSY) and breaks nothing;
#  - a hostile end writing garbage buf_idx, head and cur: its peer keeps
#    sending and reading, the drops are counted (pipe_drops), a good pair
#    beside it is untouched;
#  - the same through libptnet (tb-pipe): content, zero copy, -EPIPE;
#  - 300 pairs opened and closed in one process: no descriptor, port or
#    memory left in ptnetd.
# Windows are smaller than the rings and every wait is on an event: no timing luck.
. "$(dirname "$0")/lib.sh"

NMB=$ASAN
[ -x "$NMB/tests/netmap/nm-pipe" ] && [ -f "$NMB/lib/libptnet-netmap.so" ] || NMB=$BUILD
if [ ! -x "$NMB/tests/netmap/nm-pipe" ] || [ ! -x "$NMB/bin/ptnet-run" ]; then
	echo "SKIP: nm-pipe or ptnet-run not built"
	exit 77
fi
RUN=$NMB/bin/ptnet-run
PIPE=$NMB/tests/netmap/nm-pipe
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"

start_ptnetd -w 1

# pipe_field NAME FIELD: a field of the pair's list record ("none" if absent).
pipe_field() {
	"$PTNETCTL" --json list 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r.get("name") == sys.argv[1]:
        print(r.get(sys.argv[2], "none"))
        break
else:
    print("none")
' "$1" "$2"
}
field_is() { [ "$(pipe_field "$1" "$2")" = "$3" ]; }
field_gt() { local v; v=$(pipe_field "$1" "$2"); [ "$v" != none ] && [ "$v" -gt "$3" ]; }
gone() { ! port_listed "$1"; }

# echo_run TAG WAIT FRAMES
echo_run() {
	local tag=$1 w=$2 n=$3 pair="vale1:e$1{0"
	spawn "e$tag" "$RUN" "$PIPE" echo -i "vale1:e$tag}0" -n "$n" -w "$w"
	if ! wait_line "e$tag" '^READY' 20; then
		fail "$tag: echo did not register"; show "e$tag"; return
	fi
	check "$tag: the pair is listed with one end open" wait_until 10 field_is "$pair" pipe_ends 1
	check_eq "$tag: kind=pipe" "$(pipe_field "$pair" kind)" pipe
	spawn "t$tag" "$RUN" "$PIPE" tx -i "vale1:e$tag{0" -n "$n" -w "$w"
	wait_bg "t$tag" 90
	check_eq "$tag: sender exit status (every frame back intact)" "$RC" 0
	check "$tag: every frame back in its own buffer, every slot swapped" \
		grep -q "^SENT frames=$n zc=$n swaps=$n\$" "$T/t$tag.out"
	wait_bg "e$tag" 30
	check_eq "$tag: echo exit status" "$RC" 0
	check "$tag: the echo got every frame zero-copy" \
		grep -q "^ECHO frames=$n zc=$n\$" "$T/e$tag.out"
	check "$tag: the echo saw the sender close" grep -q "^PEER GONE\$" "$T/e$tag.out"
	check "$tag: the pair is freed" wait_until 10 gone "$pair"
	check "$tag: no sanitizer report (echo)" sanitizer_clean "$T/e$tag.err"
	check "$tag: no sanitizer report (sender)" sanitizer_clean "$T/t$tag.err"
	show "t$tag"
	show "e$tag"
}

echo_run poll poll 20000
echo_run busy busy 20000

# kill_run TAG VICTIM(m|s)
kill_run() {
	local tag=$1 v=$2 pair="vale1:k$1{0" other
	spawn "km$tag" "$RUN" "$PIPE" hold -i "vale1:k$tag{0"
	spawn "ks$tag" "$RUN" "$PIPE" hold -i "vale1:k$tag}0"
	wait_line "km$tag" '^READY' 20 && wait_line "ks$tag" '^READY' 20
	check "kill $tag: both ends open" wait_until 10 field_is "$pair" pipe_ends 2
	if [ "$tag" = master ]; then
		# Idle means idle: two ends asleep in poll use next to no CPU.
		local c0 c1 hz
		hz=$(getconf CLK_TCK)
		c0=$(($(cpu_ticks "${BG[km$tag]}") + $(cpu_ticks "${BG[ks$tag]}")))
		sleep 2
		c1=$(($(cpu_ticks "${BG[km$tag]}") + $(cpu_ticks "${BG[ks$tag]}")))
		log "two idle pipe ends used $((c1 - c0)) ticks of 1/$hz s in 2 s"
		check "idle pipe ends used < 0.04 s of CPU in 2 s" [ $(((c1 - c0) * 100)) -lt $((4 * hz)) ]
	fi
	if [ "$v" = m ]; then other=ks$tag; kill -KILL "${BG[km$tag]}"; wait_bg "km$tag" 10
	else other=km$tag; kill -KILL "${BG[ks$tag]}"; wait_bg "ks$tag" 10; fi
	wait_bg "$other" 30
	check_eq "kill $tag: the survivor ends cleanly" "$RC" 0
	check "kill $tag: the survivor saw its peer die" grep -q "^PEER GONE\$" "$T/$other.out"
	check "kill $tag: ptnetd freed the pair" wait_until 10 gone "$pair"
	check "kill $tag: no sanitizer report" sanitizer_clean "$T/$other.err"
	show "$other"
}

kill_run master m
kill_run slave s

# One end twice: EBUSY for the second, the first keeps its pair.
spawn b1 "$RUN" "$PIPE" hold -i 'vale1:b{0'
wait_line b1 '^READY' 20
spawn b2 env PTNET_DEBUG=1 "$RUN" "$PIPE" hold -i 'vale1:b{0'
wait_bg b2 30
check_eq "the same end opened twice: the second fails" "$RC" 1
check "... with EBUSY" grep -q "register (16" "$T/b2.err"
check "the first still holds the pair" field_is 'vale1:b{0' pipe_ends 1
kill -TERM "${BG[b1]}"
wait_bg b1 10
check "... which goes with it" wait_until 10 gone 'vale1:b{0'

# A hostile slave beside a good pair.
spawn ge "$RUN" "$PIPE" echo -i 'vale2:g}0' -n 100000 -w poll
wait_line ge '^READY' 20
spawn gt "$RUN" "$PIPE" tx -i 'vale2:g{0' -n 100000 -w poll
spawn hs "$RUN" "$PIPE" hostile -i 'vale1:h}0' -n 3000
wait_line hs '^READY' 20
spawn hf "$RUN" "$PIPE" flood -i 'vale1:h{0' -n 300000
wait_line hf '^FLOOD' 90
check "hostile: the flooding peer sent everything" grep -q "^FLOOD sent=300000 " "$T/hf.out"
wait_line hs '^HOSTILE' 90
check "hostile: the hostile end ran all its rounds" grep -q "^HOSTILE rounds=3000\$" "$T/hs.out"
check "hostile: its garbage cost drops, counted" field_gt 'vale1:h{0' pipe_drops 0
log "pipe_drops of vale1:h{0: $(pipe_field 'vale1:h{0' pipe_drops)"
# Both hold the pair until one goes: the hostile one, killed.
kill -TERM "${BG[hs]}"
wait_bg hs 30
check_eq "hostile: the hostile end was alive to the end (killed by SIGTERM)" "$RC" 143
wait_bg hf 30
check_eq "hostile: its peer ends cleanly" "$RC" 0
check "hostile: the peer saw it go" grep -q "^PEER GONE\$" "$T/hf.out"
check "hostile: no sanitizer report (peer)" sanitizer_clean "$T/hf.err"
show hs
show hf
wait_bg gt 120
check_eq "good pair beside it: every frame back intact" "$RC" 0
check "good pair: all zero-copy" grep -q "^SENT frames=100000 zc=100000 " "$T/gt.out"
wait_bg ge 30
check_eq "good pair: echo exit status" "$RC" 0

# The same through libptnet itself: ptnet_port_wait / ptnet_ring_wait, -EPIPE after the peer.
spawn lib "$TBIN/tb-pipe" vale4:L 100000
wait_bg lib 120
check_eq "libptnet: both ends in one process, every byte checked" "$RC" 0
check "libptnet: every frame zero-copy" grep -q "^PIPE frames=100000 zc=100000\$" "$T/lib.out"
check "libptnet: -EPIPE once the peer closed" grep -q "^EPIPE ok\$" "$T/lib.out"
show lib

# Many pairs opened and closed: nothing left behind.
fds_before=$(ls "/proc/$PTNETD_PID/fd" | wc -l)
spawn churn "$RUN" "$PIPE" churn -i vale3:c -n 300
wait_bg churn 120
check_eq "300 pairs opened and closed, a frame each way through each" "$RC" 0
check "churn ran to its end" grep -q "^CHURN pairs=300\$" "$T/churn.out"
check "churn: no sanitizer report" sanitizer_clean "$T/churn.err"
check "no pair left" wait_until 10 eval "[ \"\$(stat_expr 'len([n for n in s if \"{\" in n])')\" = 0 ]"
check_eq "no descriptor left in ptnetd" "$(ls "/proc/$PTNETD_PID/fd" | wc -l)" "$fds_before"
show churn
finish
