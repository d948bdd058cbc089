#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Two senders into one receiver at the same time (two workers, so their
# leases on the receiver's RX ring overlap): each sender's frames arrive
# intact and in its own order, all of them; the switch's books balance
# (tx = rx + drops, every frame having one destination).
. "$(dirname "$0")/lib.sh"

N=30000
start_ptnetd -w 2
spawn r "$TBIN/tb-recv" -p vale0:r -i 100 -e 1:$N -e 2:$N --sizes 60-1514 --ack --announce \
	--exact --hold
check "receiver ready" wait_line r '^READY' 20
mac=$(mac_of r)
spawn s1 "$TBIN/tb-send" -p vale0:s1 -i 1 -n $N -s 60-1514 -w 128 -d "$mac" --hold
spawn s2 "$TBIN/tb-send" -p vale0:s2 -i 2 -n $N -s 60-1514 -w 128 -d "$mac" --hold
check "sender 1 done" wait_line s1 '^DONE' 100
check "sender 2 done" wait_line s2 '^DONE' 100
check "receiver got both streams complete and in order" wait_line r '^RECV ok' 100
show s1
show s2
show r
check "receiver counts $N from each" grep -q "from1=$N from2=$N" "$T/r.out"
expect_ctr "sender 1 tx_packets" vale0:s1 tx_packets $N
expect_ctr "sender 2 tx_packets" vale0:s2 tx_packets $N
expect_ctr "receiver rx_packets" vale0:r rx_packets $((2 * N))
check_eq "no ring-full drops at the receiver" "$(ctr vale0:r drop_ring_full)" 0
check_eq "switch books balance: tx == rx + drops" \
	"$(stat_expr "s['vale0']['tx_packets'] == s['vale0']['rx_packets'] + drops('vale0')")" True
kill -TERM "${BG[s1]}" "${BG[s2]}" "${BG[r]}"
wait_bg s1 20
check_eq "sender 1 exit status" "$RC" 0
wait_bg s2 20
check_eq "sender 2 exit status" "$RC" 0
wait_bg r 20
check_eq "receiver exit status" "$RC" 0
finish
