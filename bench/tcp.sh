#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tcp.sh - the kernel stacks of two network namespaces talking TCP, side by
# side over four paths: two ptnet TAP ports on vale0 (virtio-net header
# offloads), a plain TAP relay (bench/taprelay.c: two taps with vnet headers
# and offloads, two threads doing blocking read/write), a veth pair, and
# veth + a Linux bridge.  Per repetition and metric the paths run in turn,
# ptnet first on odd repetitions and last on even ones; prints medians,
# [min..max] and the ratios ptnet/path with their paired range.  See
# bench/README.md.
#
#   sudo bench/tcp.sh [-r REPS] [-d SECONDS] [-m METRICS] [-o DIR]
#
# Metrics: iperf3 TCP 1 and 4 streams (Gbit/s), sockperf TCP ping-pong
# (request/response transactions per second, 64-byte messages), ping RTT
# (avg of 200 ICMP echoes 2 ms apart).  -m takes a comma-separated subset of
# tcp1,tcp4,rr,ping (default all).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
reps=3 secs=3 outdir='' metrics=tcp1,tcp4,rr,ping
usage() { echo "usage: bench/tcp.sh [-r REPS] [-d SECONDS] [-m tcp1,tcp4,rr,ping] [-o DIR]" >&2; exit 2; }
while getopts r:d:m:o: o; do
	case $o in
	r) reps=$OPTARG ;;
	d) secs=$OPTARG ;;
	m) metrics=$OPTARG ;;
	o) outdir=$OPTARG ;;
	*) usage ;;
	esac
done
IFS=, read -r -a METRICS <<<"$metrics"
for m in "${METRICS[@]}"; do
	case $m in tcp1 | tcp4 | rr | ping) ;; *) echo "bench/tcp.sh: unknown metric '$m'" >&2; usage ;; esac
done
for v in "$reps" "$secs"; do
	case "$v" in ''|*[!0-9]*|0) echo "bench/tcp.sh: -r and -d take positive integers" >&2; exit 2 ;; esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench/tcp.sh: needs root (network namespaces, taps)" >&2; exit 77; }
for t in iperf3 sockperf ping ip python3 timeout; do
	command -v $t >/dev/null || { echo "bench/tcp.sh: needs $t (scripts/deps.sh)" >&2; exit 77; }
done
[ -x build/bin/ptnetd ] && [ -x build/bin/ptnetctl ] && [ -x build/bench/taprelay ] ||
	timeout 900 make -j2 >&2 || { echo "bench/tcp.sh: make failed" >&2; exit 1; }

# shellcheck source=bench/netns.sh
. bench/netns.sh
out=$(mktemp -d /tmp/ptnet-tcp.XXXXXX) || exit 1
res=${outdir:-bench/results/tcp-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$res" || exit 1
ALL=$res/all.jsonl
: >"$ALL"
sock=$out/ptnetd.sock
# Snapshots: a rebuild by someone else during the run cannot mix versions.
mkdir -p "$out/bin"
for b in build/bin/ptnetd build/bin/ptnetctl build/bench/taprelay; do
	cp "$b" "$out/bin/" || exit 1
done
PTNETD=$out/bin/ptnetd PTNETCTL=$out/bin/ptnetctl RELAY=$out/bin/taprelay
PTA=ptt_a_$$ PTB=ptt_b_$$ PRA=ptr_a_$$ PRB=ptr_b_$$
TRA=trA$$ TRB=trB$$		# the relay's taps (< 16 characters)
dpid='' rpid='' FAILED=0
cleanup() {
	set +e
	trap - EXIT INT TERM
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
	if [ -n "$dpid" ]; then
		PTNET_SOCKET=$sock timeout 5 "$PTNETCTL" stats >"$res/ptnetd-stats-end.txt" 2>&1
		kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	fi
	for n in $PTA $PTB $PRA $PRB; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	ptb_netns_cleanup
	rm -rf "$out"
}
trap cleanup EXIT
trap 'echo "bench/tcp.sh: interrupted" >&2; exit 130' INT TERM
{
	echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host:     $(uname -n), kernel $(uname -r), $(nproc) CPUs"
	echo "commit:   $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(
		git status --porcelain 2>/dev/null | grep -q . && echo ' (dirty tree)')"
	echo "command:  bench/tcp.sh -r $reps -d $secs -m $metrics"
	echo "binaries: $(for b in "$PTNETD" "$PTNETCTL" "$RELAY"; do printf '%s %s; ' "$(basename "$b")" "$(sha256sum "$b" | cut -c1-12)"; done)"
	echo "tools:    $(iperf3 --version | head -1); sockperf $(sockperf --version 2>&1 | sed -n 's/.*Version: *//p' | head -1)"
	echo "load:     $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$res/env.txt"

# ---------------------------------------------------------------- the four paths
ptb_netns_veth || exit 1
ptb_netns_bridge || exit 1
"$PTNETD" -q -s "$sock" >"$res/ptnetd.log" 2>&1 &
dpid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || { echo "bench/tcp.sh: ptnetd did not come up in 5 s" >&2; exit 1; }
for n in $PTA $PTB $PRA $PRB; do
	ip netns add "$n" || exit 1
	ip -n "$n" link set lo up
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1
done
PTNET_SOCKET=$sock "$PTNETCTL" tap add vale0:ta --netns $PTA --ifname eth0 >/dev/null || exit 1
PTNET_SOCKET=$sock "$PTNETCTL" tap add vale0:tb --netns $PTB --ifname eth0 >/dev/null || exit 1
ip -n $PTA addr add 10.250.2.1/24 dev eth0; ip -n $PTB addr add 10.250.2.2/24 dev eth0
# The relay: its taps are created in this namespace, then moved (the fds stay valid).
"$RELAY" $TRA $TRB >"$res/taprelay.json" 2>"$res/taprelay.err" &
rpid=$!
for _ in $(seq 100); do grep -q ^ready "$res/taprelay.err" 2>/dev/null && break; sleep 0.05; done
grep -q ^ready "$res/taprelay.err" || { echo "bench/tcp.sh: taprelay did not start:" >&2; cat "$res/taprelay.err" >&2; exit 1; }
ip link set $TRA netns $PRA || exit 1
ip link set $TRB netns $PRB || exit 1
ip -n $PRA link set $TRA name eth0; ip -n $PRB link set $TRB name eth0
ip -n $PRA addr add 10.250.3.1/24 dev eth0; ip -n $PRB addr add 10.250.3.2/24 dev eth0
ip -n $PRA link set eth0 up; ip -n $PRB link set eth0 up

declare -A SRV=([ptnet]=$PTB [relay]=$PRB [veth]=$PTB_VETH_B [bridge]=$PTB_BR_B)
declare -A CLI=([ptnet]=$PTA [relay]=$PRA [veth]=$PTB_VETH_A [bridge]=$PTB_BR_A)
declare -A DST=([ptnet]=10.250.2.2 [relay]=10.250.3.2 [veth]=$PTB_VETH_IP_B [bridge]=$PTB_BR_IP_B)
PATHS=(ptnet relay veth bridge)
for p in "${PATHS[@]}"; do	# every path must carry traffic before it is measured
	ip netns exec "${CLI[$p]}" ping -q -c 3 -i 0.2 -W 5 "${DST[$p]}" >/dev/null 2>&1 ||
		{ echo "bench/tcp.sh: no ping through the $p path" >&2; exit 1; }
done

# wait_listen NS PORT: at most 5 s until a TCP listener on PORT in NS.
wait_listen() {
	for _ in $(seq 100); do
		ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# The measurements; each writes one JSON line to $2 (nothing on failure).
# iperf PATH FILE STREAMS
iperf() {
	local p=$1 f=$2 n=$3 srv
	timeout $((secs + 20)) ip netns exec "${SRV[$p]}" iperf3 -s -1 -p 5299 >/dev/null 2>&1 &
	srv=$!
	wait_listen "${SRV[$p]}" 5299 || echo "bench/tcp.sh: no iperf3 server in ${SRV[$p]}" >&2
	timeout $((secs + 20)) ip netns exec "${CLI[$p]}" iperf3 -c "${DST[$p]}" -p 5299 -t "$secs" \
		-P "$n" -J 2>/dev/null | python3 -c '
import json, sys
e = json.load(sys.stdin)["end"]
print(json.dumps({"tool": "iperf3", "streams": int(sys.argv[1]),
                  "gbps": e["sum_received"]["bits_per_second"] / 1e9,
                  "retransmits": e["sum_sent"].get("retransmits")}))' "$n" >"$f" 2>/dev/null
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
}
# rr PATH FILE: sockperf TCP ping-pong, transactions/s = replies / valid run time.
rr() {
	local p=$1 f=$2 srv
	timeout $((secs + 30)) ip netns exec "${SRV[$p]}" sockperf server --tcp -i "${DST[$p]}" \
		-p 11111 >/dev/null 2>&1 &
	srv=$!
	wait_listen "${SRV[$p]}" 11111 || echo "bench/tcp.sh: no sockperf server in ${SRV[$p]}" >&2
	timeout $((secs + 20)) ip netns exec "${CLI[$p]}" sockperf ping-pong --tcp -i "${DST[$p]}" \
		-p 11111 -m 64 -t "$secs" 2>&1 | python3 -c '
import json, re, sys
t = sys.stdin.read()
m = re.search(r"\[Valid Duration\] RunTime=([0-9.]+) sec; SentMessages=(\d+); ReceivedMessages=(\d+)", t)
p50 = re.search(r"percentile 50\.000 =\s*([0-9.]+)", t)
if m and float(m.group(1)) > 0:
    print(json.dumps({"tool": "sockperf", "msg_size": 64, "seconds": float(m.group(1)),
                      "transactions": int(m.group(3)),
                      "tps": int(m.group(3)) / float(m.group(1)),
                      # sockperf reports half the round trip as latency
                      "rtt_p50_us": 2 * float(p50.group(1)) if p50 else None}))' >"$f" 2>/dev/null
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
}
# icmp PATH FILE: 200 pings 2 ms apart.
icmp() {
	timeout 30 ip netns exec "${CLI[$1]}" ping -q -c 200 -i 0.002 "${DST[$1]}" 2>/dev/null |
		python3 -c '
import json, re, sys
t = sys.stdin.read()
m = re.search(r"= [0-9.]+/([0-9.]+)/([0-9.]+)/", t)
l = re.search(r"(\d+)% packet loss", t)
if m:
    print(json.dumps({"tool": "ping", "avg_us": 1000 * float(m.group(1)),
                      "max_us": 1000 * float(m.group(2)), "loss_pct": int(l.group(1)) if l else None}))' >"$2"
}

# one METRIC REP PATH: run one measurement and record it.
one() {
	local m=$1 r=$2 p=$3 f title key better=higher
	f=$res/r$r-$m-$p.json
	case $m in
	tcp1) title="TCP 1 stream, Gbit/s" key=gbps; iperf "$p" "$f" 1 ;;
	tcp4) title="TCP 4 streams, Gbit/s" key=gbps; iperf "$p" "$f" 4 ;;
	rr) title="TCP RR 64 B, transactions/s" key=tps; rr "$p" "$f" ;;
	ping) title="ping RTT avg, us" key=avg_us better=lower; icmp "$p" "$f" ;;
	esac
	local v
	v=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$f" "$key" 2>/dev/null)
	python3 bench/report.py record "$ALL" rep="$r" test="$m" metric="$title" impl="$p" \
		better=$better value="${v:-}" raw=@"$f" || FAILED=$((FAILED + 1))
}

echo "# bench/tcp.sh: $(uname -r), $(nproc) CPUs, $(date -u +%FT%TZ), reps=$reps secs=$secs" >&2
for r in $(seq "$reps"); do
	order=("${PATHS[@]}")
	[ $((r % 2)) -eq 0 ] && order=(bridge veth relay ptnet)
	for m in "${METRICS[@]}"; do
		for p in "${order[@]}"; do
			kill -0 "$dpid" 2>/dev/null || { echo "bench/tcp.sh: ptnetd died (see $res/ptnetd.log)" >&2; exit 1; }
			echo "  $(date +%T) [$r/$reps] $m $p" >&2
			one $m "$r" "$p"
		done
	done
done
kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
rpid=
{ cat "$res/env.txt"; echo; python3 bench/report.py table "$res" ptnet; } | tee "$res/table.txt"
rc=${PIPESTATUS[0]}
echo "relay counters: $(cat "$res/taprelay.json" 2>/dev/null)" | tee -a "$res/table.txt"
python3 bench/plot.py "$res/table.tsv" "$res/table.png" "bench/tcp.sh: TCP between two netns (medians, min..max)" &&
	[ -s "$res/table.png" ] && echo "# table and picture: $res/table.txt, $res/table.png" >&2
[ $FAILED -ne 0 ] && rc=1
exit "$rc"
