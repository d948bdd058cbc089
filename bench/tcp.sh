#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tcp.sh - TCP between two network namespaces, side by side: through two
# ptnet TAP ports on vale0 (virtio-net header offloads), over a veth pair,
# and over veth + a Linux bridge.  Interleaved, repeated; prints medians,
# spreads and ratios.  iperf3, 1 and 4 streams, and a TCP request/response
# rate (iperf3 has none: tcp_rr from this directory's kudp is UDP only, so
# we use iperf3's 1-stream throughput plus a ping RTT as the latency view).
#
#   sudo bench/tcp.sh [-r REPS] [-d SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=3 secs=3
while getopts r:d: o; do
	case $o in
	r) reps=$OPTARG ;;
	d) secs=$OPTARG ;;
	*) echo "usage: bench/tcp.sh [-r REPS] [-d SECONDS]" >&2; exit 2 ;;
	esac
done
command -v iperf3 >/dev/null || { echo "bench/tcp.sh: needs iperf3 (scripts/deps.sh)" >&2; exit 1; }
[ -x build/bin/ptnetd ] || make -s

# shellcheck source=bench/netns.sh
. bench/netns.sh
out=$(mktemp -d /tmp/ptnet-tcp.XXXXXX)
sock=$out/ptnetd.sock
PTA=ptt_a_$$ PTB=ptt_b_$$
dpid=
cleanup() {
	set +e
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	for n in $PTA $PTB; do ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del $n 2>/dev/null; done
	ptb_netns_cleanup
	rm -rf "$out"
}
trap cleanup EXIT

# The three paths.
ptb_netns_veth
ptb_netns_bridge
build/bin/ptnetd -q -s "$sock" &
dpid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
ip netns add $PTA; ip netns add $PTB
PTNET_SOCKET=$sock build/bin/ptnetctl tap add vale0:ta --netns $PTA --ifname eth0 >/dev/null
PTNET_SOCKET=$sock build/bin/ptnetctl tap add vale0:tb --netns $PTB --ifname eth0 >/dev/null
ip -n $PTA addr add 10.250.2.1/24 dev eth0; ip -n $PTB addr add 10.250.2.2/24 dev eth0
ip -n $PTA link set lo up; ip -n $PTB link set lo up

declare -A SRV=([ptnet]=$PTB [veth]=$PTB_VETH_B [bridge]=$PTB_BR_B)
declare -A CLI=([ptnet]=$PTA [veth]=$PTB_VETH_A [bridge]=$PTB_BR_A)
declare -A DST=([ptnet]=10.250.2.2 [veth]=$PTB_VETH_IP_B [bridge]=$PTB_BR_IP_B)

# run PATH STREAMS -> Gbit/s
run() {
	local p=$1 n=$2 srv bps
	timeout $((secs + 20)) ip netns exec "${SRV[$p]}" iperf3 -s -1 -p 5299 >/dev/null 2>&1 &
	srv=$!
	for _ in $(seq 100); do ip netns exec "${SRV[$p]}" ss -ltn | grep -q :5299 && break; sleep 0.05; done
	bps=$(timeout $((secs + 20)) ip netns exec "${CLI[$p]}" iperf3 -c "${DST[$p]}" -p 5299 -t "$secs" \
		-P "$n" -J 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9)' || echo 0)
	wait $srv 2>/dev/null || true
	echo "$bps"
}
# rtt PATH -> ping RTT avg in us (100 pings, 1 ms apart)
rtt() {
	ip netns exec "${CLI[$1]}" ping -q -c 200 -i 0.002 "${DST[$1]}" 2>/dev/null |
		sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p' | awk '{printf "%.1f\n", $1 * 1000}'
}

echo "# bench/tcp.sh: $(uname -r), $(nproc) CPUs, $(date -u +%FT%TZ), reps=$reps secs=$secs"
for r in $(seq "$reps"); do
	for p in ptnet veth bridge; do
		echo "$p tcp1 $(run $p 1)" >>"$out/res"
		echo "$p tcp4 $(run $p 4)" >>"$out/res"
		echo "$p rtt $(rtt $p)" >>"$out/res"
	done
	echo "# rep $r done" >&2
done
res=bench/results/tcp-$(date +%Y%m%d-%H%M%S)
mkdir -p "$res"
python3 - "$out/res" "$res/table.tsv" <<'PY' | tee "$res/table.txt"
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 3]
tsv = open(sys.argv[2], "w")
v = {}
for p, m, x in rows:
    try: v.setdefault((p, m), []).append(float(x))
    except ValueError: pass
names = {"tcp1": "TCP 1 stream, Gbit/s", "tcp4": "TCP 4 streams, Gbit/s", "rtt": "ping RTT avg, us"}
print(f"{'metric':24} {'path':8} {'median':>8} {'min..max':>16} {'ptnet/path':>11}")
for m in ("tcp1", "tcp4", "rtt"):
    base = st.median(v.get(("ptnet", m), [0]))
    for p in ("ptnet", "veth", "bridge"):
        xs = v.get((p, m), [0]); med = st.median(xs)
        ratio = "" if p == "ptnet" or not med else f"{base / med:.2f}x"
        print(f"{names[m]:24} {p:8} {med:8.2f} {min(xs):7.2f}..{max(xs):<7.2f} {ratio:>11}")
        tsv.write(f"{names[m]}\t{p}\t{med}\t{min(xs)}\t{max(xs)}\n")
PY
python3 bench/plot.py "$res/table.tsv" "$res/table.png" "bench/tcp.sh: TCP between two netns (medians, min..max)" &&
	[ -s "$res/table.png" ] && echo "# table and picture: $res/table.txt, $res/table.png" >&2
