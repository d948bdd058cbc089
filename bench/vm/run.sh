#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/vm/run.sh - guest-to-guest networking under QEMU TCG, in one run:
#
#   ptnet       two guests with the ptnet driver on ptnetd's vale0 (VM ports)
#   virtio-tap  two identical guests with virtio-net-pci on tap devices in a
#               Linux bridge, inside a private network namespace
#
# Measured per round (rounds alternate which setup goes first):
#   TCP throughput   iperf3 -c, D seconds, receiver's Gbit/s
#   TCP RR rate      tcprr (bench/vm/tcprr.c): 1-byte request/response, D seconds
#   pktgen native    ptnet only: ptnet-pktgen tx/rx on /dev/ptnet0 in both guests, Mpps
# and a table of medians with ratios is printed.  TCG: relative numbers only.
#
# usage: bench/vm/run.sh [-r ROUNDS] [-d SECONDS] [--rings N] [--slots S]
#                        [--buf-size B] [--wait-quiet S] [-o DIR]
# --wait-quiet S: before each round wait up to S seconds until the machine,
# apart from this benchmark's processes, is less than 10 % busy.
# Needs root (netns, tap, bridge), QEMU, python3; exit 77 if unavailable.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ROUNDS=3
DUR=5
RINGS=1
PORT_OPTS=()
OUT=
QUIET=0
while [ $# -gt 0 ]; do
	case $1 in
	-r) ROUNDS=$2; shift 2 ;;
	-d) DUR=$2; shift 2 ;;
	--rings) RINGS=$2; shift 2 ;;
	--slots) PORT_OPTS+=(--slots "$2"); shift 2 ;;
	--buf-size) PORT_OPTS+=(--buf-size "$2"); shift 2 ;;
	-o) OUT=$2; shift 2 ;;
	--wait-quiet) QUIET=$2; shift 2 ;;
	-h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespace, tap, bridge)"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: needs ip (iproute2)"; exit 77; }

VM_ASAN=${VM_ASAN:-0}		# the release ptnetd: this is a benchmark
. "$ROOT/tests/vm/vmlib.sh"
vm_init
OUT=${OUT:-$ROOT/bench/results/vm-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
NS=ptvmb$$
VM_EXTRA_CLEANUP="ip netns del $NS 2>/dev/null"
exec 3>&1
log() { echo "# $(date +%H:%M:%S) $*" >&3; }

# --- the two setups ---
vm_ptnetd -q || exit 1
vm_port pa --rings "$RINGS" --mac 02:71:00:00:00:0a "${PORT_OPTS[@]}" || exit 1
vm_port pb --rings "$RINGS" --mac 02:71:00:00:00:0b "${PORT_OPTS[@]}" || exit 1
vm_boot_ptnet pa "$RINGS"
vm_boot_ptnet pb "$RINGS"

ip netns add "$NS" || exit 1
ip -n "$NS" link add br0 type bridge || exit 1
for t in tapva tapvb; do
	ip -n "$NS" tuntap add dev $t mode tap || exit 1
	ip -n "$NS" link set $t master br0 up || exit 1
done
ip -n "$NS" link set br0 up
# boot_virtio NAME TAP MAC: a guest with virtio-net on TAP, QEMU inside the namespace.
boot_virtio() {
	local name=$1
	VM_WRAP=(ip netns exec "$NS")
	vm_boot "$name" -netdev "tap,id=n0,ifname=$2,script=no,downscript=no" \
		-device "virtio-net-pci,netdev=n0,mac=$3,romfile="
	VM_WRAP=()
}
boot_virtio va tapva 02:72:00:00:00:0a
boot_virtio vb tapvb 02:72:00:00:00:0b
for g in pa pb va vb; do
	vm_ready $g 180 || exit 1
done
log "4 guests up"

# Network configuration.  ptnet: 10.77.1.0/24; virtio: 10.77.2.0/24 (private
# guests on private switches; nothing leaves them).
cfg_ptnet='insmod /lib/modules/ptnet.ko && sleep 0.3 && ip link set eth0 up && ip addr add $1/24 dev eth0'
cfg_virtio='for m in failover net_failover virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_net; do insmod /lib/modules/$m.ko || exit 1; done
	for i in $(seq 50); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
	ip link set eth0 up && ip addr add $1/24 dev eth0'
vm_run pa "set -- 10.77.1.1; $cfg_ptnet" || exit 1
vm_run pb "set -- 10.77.1.2; $cfg_ptnet" || exit 1
vm_run va "set -- 10.77.2.1; $cfg_virtio" || exit 1
vm_run vb "set -- 10.77.2.2; $cfg_virtio" || exit 1
for s in "pa 10.77.1.2" "va 10.77.2.2"; do
	set -- $s
	vm_run "$1" -t 30 "ping -c 2 -W 5 $2 >/dev/null" || { echo "no connectivity from $1" >&2; exit 1; }
done
for g in pb vb; do
	vm_run $g 'iperf3 -s -D >/dev/null 2>&1; (tcprr -s >/dev/null 2>&1 &); sleep 0.3' >/dev/null
done
echo "setups: ptnet (vale0, $RINGS ring pair(s) ${PORT_OPTS[*]}) vs virtio-net-pci + tap + bridge; TCG, -smp 1 -m 256" > "$OUT/env.txt"
{ uname -a; "$QEMU" --version | head -1; nproc; } >> "$OUT/env.txt"

RES=$OUT/samples.txt
: > "$RES"
# sample SETUP METRIC VALUE
sample() { echo "$1 $2 $3" >> "$RES"; log "$1 $2 $3"; }

iperf_once() {	# CLIENT SERVER-IP SETUP
	local v
	v=$(vm_run "$1" -t $((DUR + 40)) "iperf3 -c $2 -t $DUR -J" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9)' 2>/dev/null) || v=
	[ -n "$v" ] && sample "$3" tcp_gbps "$v"
}
rr_once() {	# CLIENT SERVER-IP SETUP
	local v
	v=$(vm_run "$1" -t $((DUR + 30)) "tcprr -c $2 -d $DUR" | sed -n 's/.*rate \([0-9.]*\)\/s.*/\1/p')
	[ -n "$v" ] && sample "$3" rr_per_s "$v"
}
pktgen_once() {
	local v
	vm_run pb "ptnet-pktgen -i ptnet0 -f rx -d $((DUR + 3)) -W --json > /tmp/pg.json 2>/dev/null &
		for i in \$(seq 30); do dmesg | tail -n 2 | grep -q 'native mode: rings' && break; sleep 0.1; done" >/dev/null
	vm_run pa -t $((DUR + 30)) "ptnet-pktgen -i ptnet0 -f tx -d $DUR -l 60 -D 02:71:00:00:00:0b -q" >/dev/null 2>&1
	v=$(vm_run pb -t 30 'for i in $(seq 100); do pidof ptnet-pktgen >/dev/null || break; sleep 0.1; done; cat /tmp/pg.json' |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["pps"]/1e6)' 2>/dev/null) || v=
	[ -n "$v" ] && sample ptnet pktgen_mpps "$v"
	# Native mode ended: the interface must be back before the next TCP runs.
	vm_run pb -t 20 'for i in $(seq 50); do [ "$(cat /sys/class/net/eth0/carrier)" = 1 ] && break; sleep 0.1; done' >/dev/null
	vm_run pa -t 20 'ping -c 1 -W 5 10.77.1.2 >/dev/null' >/dev/null
}

# Busy share of the machine over 1 s, without our QEMUs and ptnetd (percent).
others_busy() {
	local a b pa pb
	pids="$PTNETD_PID ${VM_PID[*]}"
	own() { local t=0 p; for p in $pids; do t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || echo 0))); done; echo $t; }
	a=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat); pa=$(own)
	sleep 1
	b=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat); pb=$(own)
	set -- $a $b
	echo $(( (($3 - $1) - (pb - pa)) * 100 / ($4 - $2 > 0 ? $4 - $2 : 1) ))
}
wait_quiet() {
	local end=$((SECONDS + QUIET)) b
	[ "$QUIET" -gt 0 ] || return 0
	while [ $SECONDS -lt $end ]; do
		b=$(others_busy)
		[ "$b" -lt 10 ] && return 0
		log "machine busy ($b %), waiting"
	done
	log "machine still busy, measuring anyway"
}

for r in $(seq "$ROUNDS"); do
	wait_quiet
	log "round $r/$ROUNDS"
	if [ $((r % 2)) = 1 ]; then order="ptnet virtio-tap"; else order="virtio-tap ptnet"; fi
	for s in $order; do
		if [ $s = ptnet ]; then iperf_once pa 10.77.1.2 ptnet; else iperf_once va 10.77.2.2 virtio-tap; fi
	done
	for s in $order; do
		if [ $s = ptnet ]; then rr_once pa 10.77.1.2 ptnet; else rr_once va 10.77.2.2 virtio-tap; fi
	done
	pktgen_once
done
"$PTNETCTL" stats > "$OUT/ptnetd-stats.txt" 2>&1

python3 - "$RES" "$OUT/summary.txt" "$OUT/summary.tsv" <<'EOF'
import sys, statistics
rows = {}
tsv = open(sys.argv[3], "w")
for line in open(sys.argv[1]):
    s, m, v = line.split()
    rows.setdefault((s, m), []).append(float(v))
def med(s, m):
    v = rows.get((s, m))
    return statistics.median(v) if v else None
out = []
out.append("%-28s %14s %14s %8s" % ("metric (median)", "ptnet", "virtio+tap", "ratio"))
for m, label, fmt in (("tcp_gbps", "TCP throughput, Gbit/s", "%.2f"),
                      ("rr_per_s", "TCP RR, transactions/s", "%.0f"),
                      ("pktgen_mpps", "pktgen native 60 B, Mpps", "%.3f")):
    a, b = med("ptnet", m), med("virtio-tap", m)
    sa = fmt % a if a is not None else "-"
    sb = fmt % b if b is not None else "-"
    ratio = "%.2fx" % (a / b) if a and b else "-"
    out.append("%-28s %14s %14s %8s" % (label, sa, sb, ratio))
    for s_ in ("ptnet", "virtio-tap"):
        v = rows.get((s_, m))
        if v:
            tsv.write("%s\t%s\t%g\t%g\t%g\n" % (label, s_, statistics.median(v), min(v), max(v)))
out.append("samples: " + "; ".join("%s %s: %s" % (s, m, " ".join("%.4g" % x for x in v))
                                   for (s, m), v in sorted(rows.items())))
a, b = med("ptnet", "tcp_gbps"), med("virtio-tap", "tcp_gbps")
if a and b:
    out.append("target ptnet TCP >= 1.5x virtio-net+tap: %s (%.2fx)" % ("met" if a / b >= 1.5 else "NOT met", a / b))
text = "\n".join(out)
print(text)
open(sys.argv[2], "w").write(text + "\n")
EOF
python3 "$ROOT/bench/plot.py" "$OUT/summary.tsv" "$OUT/summary.png" \
	"bench/vm/run.sh: two guests, ptnet vs virtio-net+tap+bridge (TCG; medians, min..max)"
echo "# results in $OUT"
