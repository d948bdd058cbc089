#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Idle means asleep: once traffic stops and the polling windows (at most
# 1 ms) are over, ptnetd with attached, quiet clients uses ~0 CPU: its
# utime+stime over 2 s must stay below 0.04 s (2%).  This checks that the
# workers went back to sleep, not how fast anything is.  Afterwards a new
# exchange must still work (a kick wakes the workers).
. "$(dirname "$0")/lib.sh"

N=20000
start_ptnetd -w 2
spawn r "$TBIN/tb-recv" -p vale0:r -i 100 -e 1:$N --ack --announce --hold
check "receiver ready" wait_line r '^READY' 20
spawn s "$TBIN/tb-send" -p vale0:s -i 1 -n $N -s 60-1514 -w 64 -d "$(mac_of r)" --hold
spawn h "$TBIN/tb-port" hold vale0:h
check "traffic done" wait_line s '^DONE' 60
check "receiver done" wait_line r '^RECV ok' 60
check "idle client attached" wait_line h '^READY' 20

sleep 0.5	# far longer than any polling window
hz=$(getconf CLK_TCK)
kicks0=$(stat_expr "s['vale0']['kicks']")
t0=$(cpu_ticks "$PTNETD_PID")
sleep 2
t1=$(cpu_ticks "$PTNETD_PID")
kicks1=$(stat_expr "s['vale0']['kicks']")
used=$((t1 - t0))
log "ptnetd used $used ticks of 1/$hz s in 2 s while idle"
check "idle ptnetd used < 0.04 s of CPU in 2 s ($used ticks at $hz Hz)" \
	test $((used * 100)) -lt $((4 * hz))
check_eq "no kicks while idle (clients asleep too)" "$kicks1" "$kicks0"

# Still wakes up.
spawn r2 "$TBIN/tb-recv" -p vale0:r2 -i 100 -e 1:1000 --ack --announce
check "second receiver ready" wait_line r2 '^READY' 20
spawn s2 "$TBIN/tb-send" -p vale0:s2 -i 1 -n 1000 -w 64 -d "$(mac_of r2)"
wait_bg s2 60
check_eq "traffic after the idle period: sender" "$RC" 0
wait_bg r2 60
check_eq "traffic after the idle period: receiver" "$RC" 0
kill -TERM "${BG[s]}" "${BG[r]}" "${BG[h]}"
for c in s r h; do
	wait_bg $c 20
	check_eq "$c exits 0" "$RC" 0
done
finish
