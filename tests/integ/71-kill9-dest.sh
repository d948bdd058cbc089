#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# kill -9 of a *destination* while a sender unicasts to it at full speed:
# its port disappears, ptnetd stays up, its MAC is forgotten, so the
# sender's frames flood to the remaining port (which saw none before).
. "$(dirname "$0")/lib.sh"

start_ptnetd -w 2
spawn d "$TBIN/tb-recv" -p vale0:d -i 102 -l 10 --announce
check "destination d ready" wait_line d '^READY' 20
spawn y "$TBIN/tb-recv" -p vale0:y -i 103 -l 10 --announce
check "bystander y ready" wait_line y '^READY' 20
spawn v "$TBIN/tb-send" -p vale0:v -i 10 -n 0 -s 60-1514 -d "$(mac_of d)"
check "traffic reaches d" wait_stat 30 "S('vale0:d','rx_packets') >= 2000"
check_eq "unicast to d: bystander y got nothing" "$(ctr vale0:y rx_packets)" 0

kill -KILL "${BG[d]}"
wait_bg d 20
check_eq "destination died of SIGKILL" "$RC" 137
check "d's port left the list" wait_until 10 eval "! port_listed vale0:d"
check "ptnetd still running" alive "$PTNETD_PID"
check "frames for the gone MAC now flood to y" wait_stat 30 "S('vale0:y','rx_packets') >= 100"
check "sender still running" alive "${BG[v]}"

kill -TERM "${BG[v]}"
wait_bg v 30
check_eq "sender stops cleanly on SIGTERM" "$RC" 0
show v
kill -TERM "${BG[y]}"
wait_bg y 20
check_eq "bystander exits 0 (every frame it got was intact)" "$RC" 0
show y
finish
