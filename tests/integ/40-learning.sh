#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Learning and flooding seen from three ports (tb-learn): unknown unicast,
# broadcast and multicast reach both other ports; unicast to a learned MAC
# reaches only its owner and the third port sees nothing of it; unicast to
# oneself is dropped and counted; a port that leaves is forgotten (frames
# for its MAC flood again) and a returning one is learned again.  Run on
# two switches in turn, the second while the first still has ports.
. "$(dirname "$0")/lib.sh"

start_ptnetd -w 2
rc=0; "$TBIN/tb-learn" vale0 >"$T/l0.out" 2>&1 || rc=$?
sed 's/^/  /' "$T/l0.out"
check_eq "learning and flooding on vale0" "$rc" 0

# A bystander on vale0 must see none of vale1's traffic.
spawn by "$TBIN/tb-recv" -p vale0:bystander -i 7 --hold
check "bystander attached" wait_line by '^READY' 20
rc=0; "$TBIN/tb-learn" vale1 >"$T/l1.out" 2>&1 || rc=$?
sed 's/^/  /' "$T/l1.out"
check_eq "learning and flooding on vale1" "$rc" 0
expect_ctr "switches are separate: nothing reached vale0's bystander" vale0:bystander rx_packets 0
kill -TERM "${BG[by]}"
wait_bg by 20
check_eq "bystander exits 0" "$RC" 0
finish
