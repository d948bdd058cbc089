#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A client punches holes over the whole of its port region (fallocate
# PUNCH_HOLE|KEEP_SIZE, 0..size, in a loop), which the seals (SHRINK, GROW,
# SEAL) allow and no seal can forbid while the client may still map the
# region writable (docs/architecture.md, "Punching holes in a port region").
# Traffic flows through that port both ways meanwhile: on switch vale0 it
# broadcasts to its one peer (tb-send), which sends to it, while it keeps
# moving its RX head so that ptnetd writes into its RX ring; on vale1 an unrelated good
# pair runs a windowed stream.  ptnetd must survive (the file keeps its
# size, so every access it makes finds a page, zeroed or not), the good
# pair must get every frame intact, in order and nothing else, and both
# switches' books must balance: tx == rx + drops.  vale0 has only two
# ports, so even a flooded packet (a hole turns a frame into zeros: an
# unknown destination) has exactly one destination and the identity is
# exact.  Bounded: the puncher runs PUNCH_SECONDS; every wait has a limit.
. "$(dirname "$0")/lib.sh"

CHURN=$TBIN/tb-churn
[ -x "$CHURN" ] || { echo "SKIP: $CHURN not built"; exit 77; }
N=${N:-20000}
PUNCH_SECONDS=${PUNCH_SECONDS:-8}

start_ptnetd -w 2
# Persistent switches: their books (ports that left included) outlive the ports.
check "switch vale0 made to outlive its ports" "$PTNETCTL" switch add vale0
check "switch vale1 made to outlive its ports" "$PTNETCTL" switch add vale1
spawn gr "$TBIN/tb-recv" -p vale1:gr -i 100 -e 1:$N --sizes 60-1514 --ack --announce --exact --hold
check "good receiver ready" wait_line gr '^READY' 20
grmac=$(mac_of gr)
spawn gs "$TBIN/tb-send" -p vale1:gs -i 1 -n $N -s 60-1514 -w 128 -d "$grmac" --hold
spawn p "$CHURN" punch -s vale0 -n holey -d ff:ff:ff:ff:ff:ff -t "$PUNCH_SECONDS"
check "puncher ready" wait_line p '^READY' 20
pmac=$(mac_of p)
check "the switch learned the puncher" wait_stat 10 "S('vale0:holey','tx_packets') >= 1"
spawn peer "$TBIN/tb-send" -p vale0:peer -i 2 -n 0 -s 60-1514 -d "$pmac"
check "ptnetd writes into the punched port's RX ring meanwhile" \
	wait_stat $PUNCH_SECONDS "S('vale0:holey','rx_packets') > 0"
check "and the puncher's frames reach its peer" wait_stat $PUNCH_SECONDS \
	"S('vale0:peer','rx_packets') + S('vale0:peer','drop_ring_full') > 100"
check "puncher finished" wait_line p '^PUNCH done' $((PUNCH_SECONDS + 30))
show p
check "it punched many times" grep -qE 'punches=[0-9]{4,}' "$T/p.out"
wait_bg p 20
check_eq "puncher exit status" "$RC" 0
kill -TERM "${BG[peer]}"
wait_bg peer 20
check_eq "peer exit status" "$RC" 0
check "good sender done" wait_line gs '^DONE' 60
check "good receiver got every frame intact and in order, nothing else" wait_line gr '^RECV ok' 60
check "ptnetd is alive" alive "$PTNETD_PID"
check "ptnetd answers" ctl_ok
kill -TERM "${BG[gs]}" "${BG[gr]}"
wait_bg gs 20
check_eq "good sender exit status" "$RC" 0
wait_bg gr 20
check_eq "good receiver exit status" "$RC" 0
show gr
check "good receiver counts $N" grep -q "from1=$N" "$T/gr.out"
for sw in vale0 vale1; do
	check_eq "$sw books balance (ports that left included): tx == rx + drops" \
		"$(stat_expr "s['$sw']['tx_packets'] == s['$sw']['rx_packets'] + drops('$sw')")" True
	stat_expr "{k: v for k, v in s['$sw'].items() if k.startswith(('tx_p', 'rx_p', 'drop')) and v}" |
		sed "s/^/# $sw: /"
done
check_eq "the good pair lost nothing (the one drop: gr's announcement, made alone)" \
	"$(stat_expr "drops('vale1') == S('vale1', 'drop_no_dest') == 1")" True
finish
