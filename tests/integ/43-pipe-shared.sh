#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Pipes sharing a port's memory, as netmap's lb uses them, through libptnet
# (tests/bin/tb-lb): a port attached with pipes=K reserves K pipe pairs in
# its own region, so buffer indices move between its rings and the pipes'.
#  - lb: frames sent to vale4:in are moved from its RX ring into the TX
#    rings of vale4:in{0..2 by swapping buffer indices; consumers in other
#    processes on vale4:in}0..2 get every frame, every byte checked, in
#    order, each in the very buffer ptnetd filled in the port's RX ring
#    (zc=); the pairs are listed with pipe_mem=vale4:in; a consumer leaving
#    frees its pair (lb sees -EPIPE) and the port still carries frames;
#    ptnetd counts no drop on the port;
#  - only the port's owner or root may open its pipes (EACCES for another
#    uid), pipe numbers beyond K are refused (EINVAL);
#  - the port going (its owner killed) takes its pairs along: a consumer
#    asleep on one sees -EPIPE, nothing is left listed;
#  - ptnetd stays safe when the owner scribbles on the shared ring: garbage
#    buf_idx in every third RX slot it releases, buffers swapped with the
#    pipe's ring in the others: each frame for a garbage slot is a counted
#    drop_bad_ring, the rest arrive intact, then clean frames all do; a good
#    pair on another switch is untouched;
#  - the same as netmap's lb does it, through libptnet-netmap.so
#    (tests/netmap/nm-lb, PTNET_PIPES=3): the pipes are REGISTERed with the
#    port's mem_id and never mmapped, they answer with the port's mem_id and
#    memory size, consumers (other processes) get every frame zero-copy.
# Windows are smaller than the rings and every wait is on an event: no timing luck.
. "$(dirname "$0")/lib.sh"

U1=65534
command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) is needed"; exit 77; }
chmod 755 "$T"
start_ptnetd -w 1 --socket-mode 0666

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
gone() { ! port_listed "$1"; }

NP=3
N=30000
spawn lb "$TBIN/tb-lb" lb vale4:in $NP $N "$T/stop"
if ! wait_line lb '^READY' 20; then
	fail "lb did not open its port and pipes"; show lb; finish
fi
check "pair 0 lives in vale4:in's memory" wait_until 10 field_is 'vale4:in{0' pipe_mem vale4:in
check_eq "vale4:in has pipes=3 in its record" "$(pipe_field vale4:in pipes)" 3
for k in $(seq 0 $((NP - 1))); do
	spawn "c$k" "$TBIN/tb-lb" consume "vale4:in}$k" $NP "$k" $N
done
for k in $(seq 0 $((NP - 1))); do
	wait_bg "c$k" 120
	check_eq "consumer $k: exit status (every frame intact, in order, zero copy)" "$RC" 0
	check "consumer $k: every frame in the buffer ptnetd filled" \
		grep -q "^CONSUMED frames=$((N / NP)) zc=$((N / NP))\$" "$T/c$k.out"
	show "c$k"
done
check "lb moved every frame" wait_line lb "^LB moved=$N\$" 60
check "vale4:in got every frame, no drop while its pipes swapped" \
	wait_stat 20 "S('vale4:in','rx_packets') == $N and drops('vale4:in') == 0"
for k in $(seq 0 $((NP - 1))); do
	check "pair $k is freed with its consumer" wait_until 10 gone "vale4:in{$k"
done
touch "$T/stop"
wait_bg lb 60
check_eq "lb exit status" "$RC" 0
check "lb: every pipe reported -EPIPE" grep -q '^EPIPE ok$' "$T/lb.out"
check "lb: the port still carries frames" grep -q '^PORT ok$' "$T/lb.out"
show lb

# Access: the pipes of root's port are root's; numbers beyond K are refused.
spawn own "$TBIN/tb-lb" open vale5:own pipes=2
wait_line own '^OPEN ok' 20 || fail "vale5:own did not open"
check_eq "uid $U1 may not open a pipe of root's port" \
	"$(setpriv --reuid=$U1 --regid=$U1 --clear-groups "$TBIN/tb-lb" open 'vale5:own}0' |
	   grep -o '^OPEN err=[0-9]*')" "OPEN err=13"
check_eq "pipe 2 of a port with pipes=2 is refused" \
	"$("$TBIN/tb-lb" open 'vale5:own{2' | grep -o '^OPEN err=[0-9]*')" "OPEN err=22"
check "no pair was made" gone 'vale5:own}0'

# The port going takes its pairs along.
spawn c9 "$TBIN/tb-lb" consume 'vale5:own}1' 2 1 -1
wait_line c9 '^READY' 20 || fail "consumer on vale5:own}1 did not open"
check "pair 1 of vale5:own is listed" wait_until 10 field_is 'vale5:own{1' pipe_mem vale5:own
kill -KILL "${BG[own]}"
wait_bg c9 60
check_eq "the consumer saw its pipe go with the port" "$RC" 0
check "the consumer printed PEER GONE" grep -q '^PEER GONE$' "$T/c9.out"
check "the pair is gone" wait_until 10 gone 'vale5:own{1'
check "the port is gone" wait_until 10 gone vale5:own
show c9

# The owner scribbling on its shared RX ring: ptnetd drops and counts, nothing else breaks.
good_pair_start
spawn scr "$TBIN/tb-lb" scribble vale7:in 3000 "$T/sstop"
check "the scribbler is done" wait_line scr '^(CLEAN ok|SCRIBBLE.*)$' 120
wait_line scr '^CLEAN ok$' 120
bad=$(sed -n 's/^SCRIBBLE got=[0-9]* bad=\([0-9]*\)$/\1/p' "$T/scr.out")
good=$(sed -n 's/^SCRIBBLE got=\([0-9]*\) .*/\1/p' "$T/scr.out")
check "some frames met garbage slots" test "${bad:-0}" -gt 0
check "each frame for a garbage slot is a counted drop_bad_ring" \
	wait_stat 20 "S('vale7:in','drop_bad_ring') == ${bad:-0}"
check "the others and the clean ones were delivered" \
	wait_stat 20 "S('vale7:in','rx_packets') == ${good:-0} + 3000"
check "clean frames all intact after the scribbling" grep -q '^CLEAN ok$' "$T/scr.out"
touch "$T/sstop"
wait_bg scr 60
check_eq "scribbler exit status (frames intact or counted, clean ones all intact)" "$RC" 0
show scr
good_pair_check
good_pair_stop

# The netmap API, as lb: through the preload.
NMB=$ASAN
[ -x "$NMB/tests/netmap/nm-lb" ] && [ -f "$NMB/lib/libptnet-netmap.so" ] || NMB=$BUILD
if [ -x "$NMB/tests/netmap/nm-lb" ] && [ -x "$NMB/bin/ptnet-run" ]; then
	export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
	RUN=$NMB/bin/ptnet-run
	spawn nlb env PTNET_PIPES=$NP "$RUN" "$NMB/tests/netmap/nm-lb" lb -i vale6:in -p $NP \
		-n $N -s "$T/nstop"
	if wait_line nlb '^READY' 20; then
		check "netmap: pair 0 lives in vale6:in's memory" \
			wait_until 10 field_is 'vale6:in{0' pipe_mem vale6:in
		for k in $(seq 0 $((NP - 1))); do
			spawn "n$k" "$RUN" "$NMB/tests/netmap/nm-lb" consume -i "vale6:in}$k" \
				-p $NP -k "$k" -n $N
		done
		for k in $(seq 0 $((NP - 1))); do
			wait_bg "n$k" 120
			check_eq "netmap consumer $k: exit status" "$RC" 0
			check "netmap consumer $k: every frame zero-copy" \
				grep -q "^CONSUMED frames=$((N / NP)) zc=$((N / NP))\$" "$T/n$k.out"
			check "netmap consumer $k: no sanitizer report" sanitizer_clean "$T/n$k.err"
			show "n$k"
		done
		check "netmap lb moved every frame" wait_line nlb "^LB moved=$N\$" 60
	else
		fail "netmap lb did not register"
	fi
	touch "$T/nstop"
	wait_bg nlb 60
	check_eq "netmap lb exit status" "$RC" 0
	check "netmap lb: no sanitizer report" sanitizer_clean "$T/nlb.err"
	check "netmap: the port and its pairs are gone" wait_until 10 gone vale6:in
	show nlb
else
	echo "# nm-lb or ptnet-run not built: the netmap part is skipped"
fi
stop_ptnetd
finish
