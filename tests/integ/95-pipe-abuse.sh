#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A client abusing its notification pipes, on the worker (-w 1) that also
# serves a good pair (tb-canary): (1) flooding its kick pipe (64 KiB
# blocking writes, as fast as it can) must not stop the good pair's traffic
# nor the control socket; (2) closing its irq read ends while asking for
# every notification changes nothing for others; (3) closing its kick write
# ends while keeping its port must leave ptnetd idle once traffic stops
# (its worker sleeps) -- a hung-up pipe must not wake the worker forever.
. "$(dirname "$0")/lib.sh"

for b in "$TBIN/tb-canary" "$TBIN/tb-hostile"; do
	if [ ! -x "$b" ]; then
		echo "SKIP: $b not built"
		exit 77
	fi
done

# cpu_pct SECONDS: ptnetd's CPU use over SECONDS, percent of one CPU.
cpu_pct() {
	local t0 t1 hz
	hz=$(getconf CLK_TCK)
	t0=$(cpu_ticks "$PTNETD_PID")
	sleep "$1"
	t1=$(cpu_ticks "$PTNETD_PID")
	echo $(((t1 - t0) * 100 / (hz * $1)))
}
rx_of() { ctr vale0:gr rx_packets; }

start_ptnetd -w 1
good_pair_start
a=$(rx_of)
sleep 2
b=$(rx_of)
log "good pair alone: $(((b - a) / 2)) frames/s"

log "(1) kick flood"
spawn kf "$TBIN/tb-hostile" -m kick-flood -p kf -t 60
check "kick flooder attached" wait_line kf '^READY' 20
sleep 1
a=$(rx_of)
t0=$(date +%s%N)
check "ptnetctl answers during the flood" eval 'timeout 5 "$PTNETCTL" list >/dev/null'
sleep 2
b=$(rx_of)
ms=$((($(date +%s%N) - t0) / 1000000))
log "good pair during the flood: $(((b - a) * 1000 / ms)) frames/s"
check "the good pair's traffic goes on during the flood ($((b - a)) frames in $ms ms)" \
	test $((b - a)) -gt 0
kicks=$(ctr vale0:kf kicks)
check "the flooder's kicks are counted ($kicks)" test "$kicks" -gt 0
kill -TERM "${BG[kf]}"
wait_bg kf 30
check_eq "kick flooder exit status" "$RC" 0
show kf

log "(2) irq read ends closed, every notification asked for"
spawn ci "$TBIN/tb-hostile" -m close-irqs -p ci -t 60
check "irq closer attached" wait_line ci '^READY' 20
a=$(rx_of)
sleep 1
b=$(rx_of)
check "the good pair's traffic goes on" test $((b - a)) -gt 0
kill -TERM "${BG[ci]}"
wait_bg ci 20
check_eq "irq closer exit status" "$RC" 0

# The good pair stops sending (and holds its ports): ptnetd should go idle.
good_pair_flush
sleep 1
idle=$(cpu_pct 2)
log "ptnetd idle with the good pair attached: ${idle}% of a CPU"
check "ptnetd is idle when nobody sends (${idle}%)" test "$idle" -le 10

log "(3) kick write ends closed, port kept"
spawn ck "$TBIN/tb-hostile" -m close-kicks -p ck -t 60
check "kick closer attached" wait_line ck '^READY' 20
sleep 1
busy=$(cpu_pct 3)
log "ptnetd with a port whose kick pipe is hung up: ${busy}% of a CPU"
check "ptnetd stays idle after a client closed its kick pipe (${busy}%, kicks counted: \
$(ctr vale0:ck kicks))" test "$busy" -le 10
kill -TERM "${BG[ck]}"
wait_bg ck 20
check_eq "kick closer exit status" "$RC" 0
sleep 1
after=$(cpu_pct 2)
check "ptnetd idle again once that port is gone (${after}%)" test "$after" -le 10

good_pair_check
good_pair_stop
finish
