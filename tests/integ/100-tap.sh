#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# TAP ports: two network namespaces, each with a tap port on vale0 (the
# kernel's TCP/IP stack with virtio-net header offloads): ping both ways,
# iperf3 TCP and UDP both ways, many concurrent TCP connections, MTU 9000
# on a second switch; a header-less passthrough port on vale0 receives
# flooded GSO frames (TCPv4, TCPv6, USO) segmented to its MTU with correct
# checksums; removing a tap port while traffic runs harms nothing else.
. "$(dirname "$0")/lib.sh"

for tool in ip iperf3 ping; do
	command -v $tool >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
[ -x "$TBIN/tb-gso" ] && [ -x "$TBIN/tb-csum" ] || { echo "SKIP: tb-gso/tb-csum not built"; exit 77; }

NA=ptt-a-$$ NB=ptt-b-$$ NC=ptt-c-$$ ND=ptt-d-$$
ip netns add $NA && ip netns add $NB && ip netns add $NC && ip netns add $ND ||
	{ echo "SKIP: cannot create network namespaces"; exit 77; }
netns_cleanup() {
	local n
	for n in $NA $NB $NC $ND; do
		ip netns pids $n 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del $n 2>/dev/null
	done
}
trap 'netns_cleanup; cleanup' EXIT

start_ptnetd
in_a() { timeout 60 ip netns exec $NA "$@"; }
in_b() { timeout 60 ip netns exec $NB "$@"; }

check "tap add in netns A" "$PTNETCTL" tap add vale0:ta --netns $NA --ifname eth0
check "tap add in netns B" "$PTNETCTL" tap add vale0:tb --netns $NB --ifname eth0 --queues 2
check "a duplicate interface name is refused" eval "! $PTNETCTL tap add vale0:tc --netns $NA --ifname eth0 2>$T/dup.err"
check "the refusal says why" grep -q "cannot create TAP eth0" $T/dup.err
check "mtu above 9000 is refused" eval "! $PTNETCTL tap add vale0:tx --mtu 9001 2>/dev/null"
check "unknown netns is refused" eval "! $PTNETCTL tap add vale0:tx --netns nope-$$ 2>/dev/null"
ip -n $NA addr add 10.252.0.1/24 dev eth0
ip -n $NB addr add 10.252.0.2/24 dev eth0
ip -n $NA addr add fd00:252::1/64 dev eth0 nodad
ip -n $NB addr add fd00:252::2/64 dev eth0 nodad
check "interface A is up" eval "ip -n $NA link show eth0 | grep -q 'state UNKNOWN\|state UP'"
check "B has 2 queues" test "$(ip netns exec $NB ls /sys/class/net/eth0/queues | grep -c tx-)" -ge 2

check "ping A -> B" in_a ping -c 3 -i 0.2 -W 2 10.252.0.2
check "ping B -> A" in_b ping -c 3 -i 0.2 -W 2 10.252.0.1
check "ping6 A -> B" in_a ping -6 -c 3 -i 0.2 -W 2 fd00:252::2

# iperf3: one server in B, one run per case (-1: it exits after one test).
iperf() {	# iperf NAME CLIENT-ARGS...
	local name=$1
	shift
	in_b iperf3 -s -1 -p 5201 >"$T/$name.srv" 2>&1 &
	local srv=$!
	wait_until 10 eval "ip netns exec $NB ss -ltn | grep -q :5201"
	in_a iperf3 -c 10.252.0.2 -p 5201 -J "$@" >"$T/$name.json" 2>"$T/$name.err"
	local rc=$?
	wait_exit $srv 20
	[ "$RC" = 124 ] && kill -KILL $srv 2>/dev/null
	return $rc
}
bps() { python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
e = j["end"]
s = e.get("sum_received") or e.get("sum")
print(int(s["bits_per_second"]))' "$1" 2>/dev/null || echo 0; }

# A capture of what A's tap sends during TCP: GSO frames whole, as the port sees them.
spawn cap "$PTNETCTL" capture vale0:ta --tx -w "$T/gso.pcap" -c 300 tcp
check "the capture of vale0:ta is up" wait_until 20 eval "\"$PTNETCTL\" list | grep -q ' monitor '"
check "iperf3 TCP A -> B" iperf tcp_ab -t 2
check "TCP A -> B moved data ($(bps $T/tcp_ab.json) bit/s)" test "$(bps $T/tcp_ab.json)" -gt 0
wait_bg cap 30
check_eq "capture of 300 TCP frames exits 0" "$RC" 0
show cap
check "the capture says it kept GSO frames whole" grep -q "GSO frames kept whole" "$T/cap.err"
biggest=$(python3 - "$T/gso.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read(); off, big = 24, 0
while off + 16 <= len(d):
    caplen, wirelen = struct.unpack_from("<II", d, off + 8)
    big = max(big, wirelen); off += 16 + caplen
print(big)
PY
)
check "a captured frame is larger than the MTU: a GSO frame, whole ($biggest bytes)" \
	test "${biggest:-0}" -gt 1514
check "iperf3 TCP B -> A" iperf tcp_ba -t 2 -R
check "TCP B -> A moved data ($(bps $T/tcp_ba.json) bit/s)" test "$(bps $T/tcp_ba.json)" -gt 0
check "iperf3 UDP A -> B" iperf udp_ab -u -b 200M -t 2
check "iperf3 UDP B -> A" iperf udp_ba -u -b 200M -t 2 -R
check "UDP moved data" test "$(bps $T/udp_ab.json)" -gt 0
check "iperf3 16 concurrent TCP connections" iperf par -t 2 -P 16
check "16 connections moved data" test "$(bps $T/par.json)" -gt 0
log "TCP A->B $(bps $T/tcp_ab.json) B->A $(bps $T/tcp_ba.json) x16 $(bps $T/par.json) bit/s"

# MTU 9000 on a second switch.
check "tap add mtu 9000 (C)" "$PTNETCTL" tap add vale1:jc --netns $NC --ifname eth0 --mtu 9000
check "tap add mtu 9000 (D)" "$PTNETCTL" tap add vale1:jd --netns $ND --ifname eth0 --mtu 9000
ip -n $NC addr add 10.253.0.1/24 dev eth0
ip -n $ND addr add 10.253.0.2/24 dev eth0
check "C has mtu 9000" eval "ip -n $NC link show eth0 | grep -q 'mtu 9000'"
check "8972-byte ping, no fragmentation" timeout 30 ip netns exec $NC ping -c 3 -i 0.2 -W 2 -s 8972 -M do 10.253.0.2
timeout 30 ip netns exec $ND iperf3 -s -1 -p 5202 >"$T/j.srv" 2>&1 &
jsrv=$!
wait_until 10 eval "ip netns exec $ND ss -ltn | grep -q :5202"
jumbo() { timeout 30 ip netns exec $NC iperf3 -c 10.253.0.2 -p 5202 -t 2 -J >"$T/j.json"; }
check "iperf3 TCP at mtu 9000" jumbo
wait_exit $jsrv 20
check "mtu 9000 moved data ($(bps $T/j.json) bit/s)" test "$(bps $T/j.json)" -gt 0

# A header-less passthrough port gets flooded GSO frames, segmented, checksums right.
for t in tcp4 tcp6 uso4; do
	spawn csum_$t "$TBIN/tb-csum" -p vale0:plain -n 420 -t 20
	check "plain receiver up ($t)" wait_line csum_$t '^READY' 20
	check "inject 20 GSO $t frames of 30000 bytes in A" in_a "$TBIN/tb-gso" -i eth0 -t $t -n 20 -l 30000 -m 1448
	wait_bg csum_$t 30
	check_eq "receiver exits 0 (no bad checksum) for $t" "$RC" 0
	res=$(line_of csum_$t '^RESULT')
	log "$t: $res"
	check "420 segments verified for $t" eval "echo '$res' | grep -q ' ok=420 bad=0 '"
	check "all 600000 payload bytes arrived for $t" eval "echo '$res' | grep -q ' l4bytes=600000 '"
	check "no segment over 1514 bytes for $t" test "$(echo "$res" | sed 's/.*maxlen=\([0-9]*\).*/\1/')" -le 1514
done
check "segments counted (rx_segs)" stat_true 'S("vale0", "rx_segs") >= 3 * 400'

# Remove a tap port while traffic runs: nothing else is harmed.  The pair
# shares vale0 with the taps: once tb is gone, A's TCP to B's address is
# unknown unicast and floods r too, a burst that a slow (loaded) r may have
# to drop.  So r takes gaps (-l), and every gap must be a counted drop at r;
# every frame r gets is intact and in order.
spawn rcv "$TBIN/tb-recv" -p vale0:r -i 2 -l 1 --sizes 60-1514 --ack --announce --hold
check "receiver up" wait_line rcv '^READY' 20
rmac=$(mac_of rcv)
spawn snd "$TBIN/tb-send" -p vale0:s -i 1 -n 1000000 -s 60-1514 -w 128 -d "$rmac"
in_b iperf3 -s -1 -p 5203 >"$T/bg.srv" 2>&1 &
bgsrv=$!
wait_until 10 eval "ip netns exec $NB ss -ltn | grep -q :5203"
in_a iperf3 -c 10.252.0.2 -p 5203 -t 8 >"$T/bg.out" 2>&1 &
bgcli=$!
check "TCP from A to B flows" wait_stat 20 "S('vale0:tb', 'rx_packets') > 1000"
check "tap del while TCP runs" "$PTNETCTL" tap del vale0:tb
check "the interface is gone" eval "! ip -n $NB link show eth0 >/dev/null 2>&1"
wait_bg snd 120
check_eq "passthrough sender finished" "$RC" 0
show snd
rdrops=$(ctr vale0:r drop_ring_full)	# while r is still there
kill -TERM "${BG[rcv]}"
wait_bg rcv 60
check_eq "passthrough receiver: every frame it got intact and in order" "$RC" 0
show rcv
got=$(sed -n 's/^RECV ok .* from1=\([0-9]*\).*/\1/p' "$T/rcv.out")
gaps=$((1000000 - ${got:-0}))
log "r got ${got:-none} of s's 1000000 frames; drops counted at r: $rdrops (ring full)"
check "every frame of s that r did not get is a drop counted at r ($gaps <= $rdrops)" \
	test -n "$got" -a "$gaps" -le "$rdrops"
kill $bgcli $bgsrv 2>/dev/null
wait $bgcli $bgsrv 2>/dev/null
check "tap A still answers on the switch" "$PTNETCTL" stats vale0:ta
check "vale1 still forwards" timeout 30 ip netns exec $NC ping -c 2 -i 0.2 -W 2 10.253.0.2
check "ptnetd alive" alive "$PTNETD_PID"

# Idle means asleep: with the traffic over and the tap threads' spin
# windows (at most 200 us) long past, ptnetd uses ~0 CPU with its tap ports
# up: below 0.04 s of CPU in 2 s, as integ/90 asks of the workers.
sleep 0.5
hz=$(getconf CLK_TCK)
t0=$(cpu_ticks "$PTNETD_PID")
sleep 2
used=$(($(cpu_ticks "$PTNETD_PID") - t0))
log "ptnetd used $used ticks of 1/$hz s in 2 s with idle tap ports"
check "idle tap ports: ptnetd used < 0.04 s of CPU in 2 s ($used ticks at $hz Hz)" \
	test $((used * 100)) -lt $((4 * hz))
finish
