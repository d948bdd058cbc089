#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The tap bypass (docs/architecture.md, "The bypass"): two tap sources (A,
# C) send sequence-numbered frames at once into one tap destination (B),
# while a capture watches what B is delivered.  Some frames go straight to
# B's TAP queue (rx_bypass), the others through B's RX ring; either way
# nothing is reordered per source, every frame sent is received or counted
# as a drop (by ptnetd or by the kernel), and the capture sees every frame
# B was delivered.  Then ping both ways and a TCP transfer still work.
. "$(dirname "$0")/lib.sh"

for tool in ip ping iperf3; do
	command -v $tool >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
SEQ=$TBIN/tb-tapseq
[ -x "$SEQ" ] || { echo "SKIP: tb-tapseq not built"; exit 77; }

NA=ptb-a-$$ NB=ptb-b-$$ NC=ptb-c-$$
ip netns add $NA && ip netns add $NB && ip netns add $NC ||
	{ echo "SKIP: cannot create network namespaces"; exit 77; }
netns_cleanup() {
	local n
	for n in $NA $NB $NC; do
		ip netns pids $n 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del $n 2>/dev/null
	done
}
trap 'netns_cleanup; cleanup' EXIT
# No IPv6 chatter (router and neighbour solicitations): only our frames move.
for n in $NA $NB $NC; do
	ip netns exec $n sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
done

start_ptnetd
for x in a b c; do
	n=NA; [ $x = b ] && n=NB; [ $x = c ] && n=NC
	check "tap add t$x" "$PTNETCTL" tap add vale0:t$x --netns ${!n} --ifname eth0
done

# What the kernel dropped on an interface: "tx rx" dropped counters.
kdrops() {
	ip -n "$1" -s -j link show eth0 | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]["stats64"]
print(s["tx"]["dropped"], s["rx"]["dropped"])'
}

spawn rcv timeout 120 ip netns exec $NB "$SEQ" recv -i eth0 -w 5
check "receiver in B up" wait_line rcv '^READY' 20
bmac=$(mac_of rcv)
check "the switch learned B's MAC from its hello" wait_stat 20 "S('vale0:tb', 'tx_packets') >= 1"
spawn cap "$PTNETCTL" capture vale0:tb --rx -w "$T/b.pcap" ether proto 0x88b5
check "the capture of vale0:tb is up" wait_until 20 eval "\"$PTNETCTL\" list | grep -q ' monitor '"

N=20000
spawn sa timeout 120 ip netns exec $NA "$SEQ" send -i eth0 -D "$bmac" -k 1 -n $N
spawn sc timeout 120 ip netns exec $NC "$SEQ" send -i eth0 -D "$bmac" -k 2 -n $N
wait_bg sa 120
check_eq "sender A done" "$RC" 0
wait_bg sc 120
check_eq "sender C done" "$RC" 0
show sa
show sc
sent=$(( $(sed -n 's/^SENT id=1 n=//p' "$T/sa.out") + $(sed -n 's/^SENT id=2 n=//p' "$T/sc.out") ))
check_eq "both senders sent all their frames" "$sent" $((2 * N))

# ptnetd took what the kernel did not drop from A's and C's taps.
read -r atx _ <<<"$(kdrops $NA)"
read -r ctx _ <<<"$(kdrops $NC)"
check "ptnetd read every frame the kernel passed it" wait_stat 30 \
	"S('vale0:ta', 'tx_packets') + S('vale0:tc', 'tx_packets') + $atx + $ctx == $sent"
# Every frame ptnetd took is delivered to B or counted as dropped.
ident="S('vale0:tb', 'rx_packets') + drops('vale0:ta') + drops('vale0:tb') + drops('vale0:tc') == S('vale0:ta', 'tx_packets') + S('vale0:tc', 'tx_packets')"
check "ptnetd: taken = delivered to B + counted drops" wait_stat 30 "$ident"
wait_bg rcv 60
check_eq "receiver: no frame reordered or duplicated per source" "$RC" 0
show rcv
res=$(line_of rcv '^RESULT')
got=$(sed 's/.* got=\([0-9]*\).*/\1/' <<<"$res")
sdrops=$(sed 's/.* sock_drops=\([0-9]*\).*/\1/' <<<"$res")
read -r _ brx <<<"$(kdrops $NB)"
brx_pk=$(ctr vale0:tb rx_packets)
check_eq "B's socket got what ptnetd delivered to B, less kernel drops" \
	$((got + sdrops + brx)) "$brx_pk"
pdrops=$(stat_expr "drops('vale0:ta') + drops('vale0:tb') + drops('vale0:tc')")
log "sent $sent; kernel tx drops A $atx C $ctx; ptnetd drops $pdrops; B rx drops $brx; socket drops $sdrops; received $got"
check_eq "sent = received + every counted drop" $((got + sdrops + brx + pdrops + atx + ctx)) "$sent"
check "both sources reached B" eval "grep -q '^SRC id=1 got=[1-9]' $T/rcv.out && grep -q '^SRC id=2 got=[1-9]' $T/rcv.out"
bypass=$(ctr vale0:tb rx_bypass)
log "B: rx_packets $brx_pk, of them by the bypass $bypass, through the ring $((brx_pk - bypass))"
check "some frames took the bypass (rx_bypass $bypass > 0)" test "$bypass" -gt 0
check "the bypass never counts more than was delivered" test "$bypass" -le "$brx_pk"

# The capture saw every frame delivered to B (or its monitor counted a drop).
mon_drops() { stat_expr "sum(drops(n) for n in s if s[n].get('kind') == 'monitor')"; }
pcap_count() { python3 - "$T/b.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read(); off, n = 24, 0
while off + 16 <= len(d):
    caplen = struct.unpack_from("<I", d, off + 8)[0]
    if off + 16 + caplen > len(d): break
    n += 1; off += 16 + caplen
print(n)
PY
}
cap_all() { [ $(( $(pcap_count) + $(mon_drops) )) -eq "$brx_pk" ]; }
check "the capture has every frame B was delivered" wait_until 30 cap_all
log "capture: $(pcap_count) frames, monitor drops $(mon_drops), B delivered $brx_pk"
kill -TERM "${BG[cap]}"
wait_bg cap 30
check_eq "capture exits 0" "$RC" 0

# Ordinary traffic over the same path, both ways.
ip -n $NA addr add 10.254.7.1/24 dev eth0
ip -n $NB addr add 10.254.7.2/24 dev eth0
check "ping A -> B" timeout 60 ip netns exec $NA ping -c 5 -i 0.2 -W 2 10.254.7.2
check "ping B -> A" timeout 60 ip netns exec $NB ping -c 5 -i 0.2 -W 2 10.254.7.1
timeout 60 ip netns exec $NB iperf3 -s -1 -p 5211 >"$T/srv.out" 2>&1 &
srv=$!
wait_until 10 eval "ip netns exec $NB ss -ltn | grep -q :5211"
check "TCP A -> B (64 MB)" timeout 60 ip netns exec $NA iperf3 -c 10.254.7.2 -p 5211 -n 64M
wait $srv 2>/dev/null
check "ptnetd alive" alive "$PTNETD_PID"
finish
