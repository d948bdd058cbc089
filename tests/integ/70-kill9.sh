#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A client killed with kill -9 while it sends at full speed: its port
# disappears from ptnetctl list, ptnetd stays up (and sanitizer-clean),
# and the other ports keep exchanging traffic: a windowed stream r<-s that
# is paused half way at the moment of the kill completes afterwards with
# every frame intact and in order.
. "$(dirname "$0")/lib.sh"

N=40000
start_ptnetd -w 2
spawn x "$TBIN/tb-recv" -p vale0:x -i 101 -l 9 --announce
spawn r "$TBIN/tb-recv" -p vale0:r -i 100 -e 2:$N --sizes 60-1514 --ack --announce --exact --hold
check "sink x ready" wait_line x '^READY' 20
check "receiver r ready" wait_line r '^READY' 20
spawn v "$TBIN/tb-send" -p vale0:v -i 9 -n 0 -s 60-1514 -d "$(mac_of x)"
spawn s "$TBIN/tb-send" -p vale0:s -i 2 -n $N -s 60-1514 -w 64 -d "$(mac_of r)" \
	--pause-at $((N / 2)) --go "$T/go" --hold
check "sender s paused half way" wait_line s '^PAUSED' 60
check "victim v is sending" wait_stat 30 "S('vale0:v','tx_packets') >= 2000"
before=$(ctr vale0:v tx_packets)
check "victim v is still sending right before the kill" \
	wait_stat 10 "S('vale0:v','tx_packets') > $before"

kill -KILL "${BG[v]}"
wait_bg v 20
check_eq "victim died of SIGKILL" "$RC" 137
check "victim's port left the list" wait_until 10 eval "! port_listed vale0:v"
check "ptnetd still running" alive "$PTNETD_PID"
check "ptnetd still answers" ctl_ok
for p in vale0:x vale0:r vale0:s; do
	check "$p still listed" port_listed "$p"
done

# The survivors go on.
touch "$T/go"
check "sender s finished after the kill" wait_line s '^DONE' 90
check "receiver r got all $N frames intact and in order" wait_line r '^RECV ok' 90
show s
show r
expect_ctr "s tx_packets" vale0:s tx_packets $N
# r also hears x's announcement if it attached before x sent it (a race
# of the two spawns): its counter is every frame r itself received.
r_got=$(sed -n 's/^RECV ok frames=\([0-9]*\) .* hellos=\([0-9]*\) acks=\([0-9]*\) others=\([0-9]*\).*/\1 \2 \3 \4/p' \
	"$T/r.out" | awk '{ print $1 + $2 + $3 + $4 }')
check "r heard at most one announcement (x's)" test "$r_got" -le $((N + 1))
expect_ctr "r rx_packets (all r received)" vale0:r rx_packets "${r_got:-missing}"
check_eq "no ring-full drops at r" "$(ctr vale0:r drop_ring_full)" 0
kill -TERM "${BG[x]}" "${BG[s]}" "${BG[r]}"
wait_bg x 20
check_eq "sink x exits 0" "$RC" 0
check "sink x verified the victim's frames it got" grep -qE '^RECV ok .* from9=[1-9]' "$T/x.out"
show x
wait_bg s 20
check_eq "sender s exits 0" "$RC" 0
wait_bg r 20
check_eq "receiver r exits 0" "$RC" 0
finish
