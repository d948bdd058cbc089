#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# vhost-user ports across frontend restarts.  Server mode (ptnetd listens):
# a frontend sends, closes, a second one connects to the same socket and
# sends again; a frontend killed with SIGKILL in the middle of its traffic
# leaves the port disconnected and ptnetd alive, and the next one works.
# Client mode (--client: the frontend listens, as QEMU's server=on): ptnetd
# connects, and after the frontend went away it reconnects by itself to the
# next one listening on the path.  Every run's frames arrive intact at a
# libptnet receiver (exactly, in order: fewer frames than its ring holds).
# Skips (77) without a vhost kind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vhost-lib.sh"

start_ptnetd -w 2
vhost_require

spawn rr "$TBIN/tb-recv" -p vale0:rr -e 21:200 -e 22:200 -e 23:200 -e 24:200 -e 25:200 \
	--announce -t 120000
check "libptnet receiver ready" wait_line rr '^READY' 20
RMAC=$(mac_of rr)

# run_front TAG ID [OPTS...]: one frontend sending 200 frames as sender ID.
run_front() {
	local tag=$1 id=$2
	shift 2
	spawn "$tag" "$VHU" -i "$id" -d "$RMAC" --send 200 -s 60-1514 "$@"
	wait_bg "$tag" 60
	check_eq "$tag: frontend sent its frames" "$RC" 0
	show "$tag"
}

check "vhost add (server mode)" vhost_add vs "$T/vs.sock" --mac 52:54:00:76:33:01
run_front first 21 -S "$T/vs.sock" -m 52:54:00:76:33:01
check "after the close the port is disconnected" \
	wait_until 20 vh_state_is vale0:vs '*disconn*|*wait*|*listen*|*down*'
run_front second 22 -S "$T/vs.sock" -m 52:54:00:76:33:01

# SIGKILL in the middle of a long run (self-addressed frames: nobody gets them)
spawn killed "$VHU" -S "$T/vs.sock" -m 52:54:00:76:33:01 --send 100000000 -s 60-1514
check "the frontend to be killed is sending" wait_line killed '^READY' 30
check "its traffic flows" wait_stat 20 "S('vale0:vs','tx_packets') > 2000"
kill -KILL "${BG[killed]}"
wait_bg killed 20
check "after SIGKILL the port is disconnected" \
	wait_until 20 vh_state_is vale0:vs '*disconn*|*wait*|*listen*|*down*'
check "ptnetd is alive" alive "$PTNETD_PID"
run_front third 23 -S "$T/vs.sock" -m 52:54:00:76:33:01

# client mode: the frontend listens, ptnetd connects (and reconnects)
spawn lis1 "$VHU" -S "$T/vc.sock" --listen -i 24 -m 52:54:00:76:33:02 -d "$RMAC" --send 200 \
	-s 60-1514
check "frontend 1 listens" wait_line lis1 '^LISTENING' 20
check "vhost add --client" vhost_add vc "$T/vc.sock" --client --mac 52:54:00:76:33:02
wait_bg lis1 60
check_eq "ptnetd connected to frontend 1, its frames went" "$RC" 0
show lis1
check "after frontend 1 left, the client port is disconnected" \
	wait_until 20 vh_state_is vale0:vc '*disconn*|*wait*|*connecting*|*down*|*retry*'
spawn lis2 "$VHU" -S "$T/vc.sock" --listen -i 25 -m 52:54:00:76:33:02 -d "$RMAC" --send 200 \
	-s 60-1514
wait_bg lis2 90
check_eq "ptnetd reconnected by itself to frontend 2, its frames went" "$RC" 0
show lis2

wait_bg rr 60
check_eq "the receiver got exactly 200 intact frames of each of the 5 runs" "$RC" 0
show rr
check "vhost del (server)" "$PTNETCTL" vhost del vale0:vs
check "vhost del (client)" "$PTNETCTL" vhost del vale0:vc
check "both ports are gone" wait_until 10 eval '! port_listed vale0:vs && ! port_listed vale0:vc'
finish
