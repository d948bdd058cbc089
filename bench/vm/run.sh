#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/vm/run.sh - guest-to-guest networking under QEMU TCG, in one run:
#
#   ptnet       two guests with the ptnet driver on ptnetd's vale0 (VM ports)
#   virtio-tap  two identical guests with virtio-net-pci on tap devices in a
#               Linux bridge, inside a private network namespace
#   vhost       two identical guests with virtio-net-pci on vhost-user: ptnetd's
#               vhost ports (vale1, --client: QEMU listens with server=on)
#   dpdk        the same two vhost-user guests, booted again after the rounds
#               with dpdk-testpmd net_vhost (io forward) serving their sockets
#               (the reference; it busy-polls a core, so it runs only then)
#
# Measured per round (rounds alternate which setup goes first):
#   TCP throughput   iperf3 -c, D seconds, receiver's Gbit/s
#   TCP RR rate      tcprr (bench/vm/tcprr.c): 1-byte request/response, D seconds
#   pktgen native    ptnet only: ptnet-pktgen tx/rx on /dev/ptnet0 in both guests, Mpps
# and a table of medians with ratios is printed.  TCG: relative numbers only.
#
# usage: bench/vm/run.sh [-r ROUNDS] [-d SECONDS] [--rings N] [--slots S]
#                        [--buf-size B] [--wait-quiet S] [-o DIR]
#                        [--no-vhost] [--no-dpdk] [--install-peers] [--profile]
#                        [--ptnetd-args "ARGS"]
# --install-peers: apt-get install the reference's package (dpdk-dev, which
# has dpdk-testpmd) when it is missing; without it a missing testpmd only
# skips the dpdk setup (with a message).  vhost is skipped when this ptnetd
# has no vhost-user port kind.
# --profile: boot the guests with profile=4 nokaslr and take each guest kernel's
# tick profile (and its user/system split) around every TCP sample; the
# reports, per setup and role, are profile-SETUP-{client,server}.txt.
# --ptnetd-args "ARGS": extra options for ptnetd (e.g. "--poll-max-us 50").
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
VHOST=1
DPDK=1
INSTALL_PEERS=0
PROFILE=0
PTNETD_XARGS=()
while [ $# -gt 0 ]; do
	case $1 in
	-r) ROUNDS=$2; shift 2 ;;
	-d) DUR=$2; shift 2 ;;
	--rings) RINGS=$2; shift 2 ;;
	--slots) PORT_OPTS+=(--slots "$2"); shift 2 ;;
	--buf-size) PORT_OPTS+=(--buf-size "$2"); shift 2 ;;
	-o) OUT=$2; shift 2 ;;
	--wait-quiet) QUIET=$2; shift 2 ;;
	--no-vhost) VHOST=0; shift ;;
	--no-dpdk) DPDK=0; shift ;;
	--install-peers) INSTALL_PEERS=1; shift ;;
	--profile) PROFILE=1; shift ;;
	--ptnetd-args) read -r -a PTNETD_XARGS <<<"$2"; shift 2 ;;
	-h|--help) sed -n '2,/^set /{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespace, tap, bridge)"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: needs ip (iproute2)"; exit 77; }

VM_ASAN=${VM_ASAN:-0}		# the release ptnetd: this is a benchmark
[ "$PROFILE" = 1 ] && VM_APPEND="${VM_APPEND:+$VM_APPEND }profile=4 nokaslr"
. "$ROOT/tests/vm/vmlib.sh"
vm_init
OUT=${OUT:-$ROOT/bench/results/vm-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
NS=ptvmb$$
VM_EXTRA_CLEANUP="ip netns del $NS 2>/dev/null"
exec 3>&1
log() { echo "# $(date +%H:%M:%S) $*" >&3; }

# --- the two setups ---
vm_ptnetd -q "${PTNETD_XARGS[@]}" || exit 1
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
GUESTS="pa pb va vb"

# The vhost-user guests: QEMU listens (server=on), ptnetd or testpmd connects.
# (a vhost-del of nothing tells: "unknown request" without the kind, ENOENT with it)
if [ "$VHOST" = 1 ] && "$PTNETCTL" vhost del vale1:nothing 2>&1 | grep -qE "unknown (request|command)"; then
	log "this ptnetd has no vhost-user port kind: no vhost and dpdk setups"
	VHOST=0
fi
# vale1 persists while the vhost ports come and go between the two backends
[ "$VHOST" = 1 ] && { "$PTNETCTL" switch add vale1 >/dev/null || exit 1; }
TESTPMD_PID=
if [ "$VHOST" = 1 ] && [ "$DPDK" = 1 ] && ! command -v dpdk-testpmd >/dev/null; then
	if [ "$INSTALL_PEERS" = 1 ]; then
		log "installing the reference: dpdk-dev (dpdk-testpmd)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dpdk-dev >&2 || true
	fi
	if ! command -v dpdk-testpmd >/dev/null; then
		log "dpdk-testpmd not installed (Debian dpdk-dev; --install-peers): no dpdk setup"
		DPDK=0
	fi
fi
[ "$VHOST" = 1 ] || DPDK=0
VM_EXTRA_CLEANUP="$VM_EXTRA_CLEANUP"'; [ -n "$TESTPMD_PID" ] && kill "$TESTPMD_PID" 2>/dev/null; rm -rf "/var/run/dpdk/ptvmb$$"'
# vhost_backend ptnetd|dpdk|none: who serves the vhost-user guests' sockets.
vhost_backend() {
	"$PTNETCTL" vhost del vale1:ua >/dev/null 2>&1
	"$PTNETCTL" vhost del vale1:ub >/dev/null 2>&1
	if [ -n "$TESTPMD_PID" ]; then
		kill "$TESTPMD_PID" 2>/dev/null
		vm_wait_exit "$TESTPMD_PID" 30 >/dev/null 2>&1
		TESTPMD_PID=
	fi
	case $1 in
	ptnetd)
		"$PTNETCTL" vhost add vale1:ua --socket "$T/ua.vhu" --client --mac 02:74:00:00:00:0a >/dev/null &&
			"$PTNETCTL" vhost add vale1:ub --socket "$T/ub.vhu" --client --mac 02:74:00:00:00:0b >/dev/null ;;
	dpdk)
		dpdk-testpmd -l 0-1 --no-huge -m 512 --no-pci --file-prefix=ptvmb$$ \
			--vdev "net_vhost0,iface=$T/ua.vhu,queues=1,client=1" \
			--vdev "net_vhost1,iface=$T/ub.vhu,queues=1,client=1" \
			-- --nb-cores=1 --forward-mode=io --auto-start --stats-period 3600 \
			--total-num-mbufs=32768 </dev/null >>"$OUT/testpmd.log" 2>&1 &
		TESTPMD_PID=$! ;;
	esac
}
# vhost_link_up: the vhost-user guests have carrier and reach each other.
vhost_link_up() {
	vm_run ua -t 60 'for i in $(seq 300); do [ "$(cat /sys/class/net/eth0/carrier)" = 1 ] && break; sleep 0.1; done
		ping -c 1 -W 2 10.77.3.2 >/dev/null || ping -c 1 -W 5 10.77.3.2 >/dev/null' >/dev/null
}
if [ "$VHOST" = 1 ]; then
	boot_vhost() {
		vm_boot "$1" -object memory-backend-memfd,id=mem,size=256M,share=on -machine memory-backend=mem \
			-chardev "socket,id=c0,path=$T/$1.vhu,server=on,wait=off" \
			-netdev vhost-user,id=n0,chardev=c0 \
			-device "virtio-net-pci,netdev=n0,mac=$2,romfile=,vectors=0,mrg_rxbuf=on"
	}
	boot_vhost ua 02:74:00:00:00:0a
	boot_vhost ub 02:74:00:00:00:0b
	vm_wait 60 eval "[ -S '$T/ua.vhu' ] && [ -S '$T/ub.vhu' ]" ||
		{ echo "the vhost-user guests do not listen" >&2; exit 1; }
	vhost_backend ptnetd || exit 1
	GUESTS="$GUESTS ua ub"
fi
for g in $GUESTS; do
	vm_ready $g 180 || exit 1
done
log "guests up: $GUESTS"

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
CONN="pa 10.77.1.2|va 10.77.2.2"
SERVERS="pb vb"
if [ "$VHOST" = 1 ]; then
	vm_run ua "set -- 10.77.3.1; $cfg_virtio" || exit 1
	vm_run ub "set -- 10.77.3.2; $cfg_virtio" || exit 1
	CONN="$CONN|ua 10.77.3.2"
	SERVERS="$SERVERS ub"
fi
IFS='|' read -ra conns <<<"$CONN"
for s in "${conns[@]}"; do
	set -- $s
	vm_run "$1" -t 30 "ping -c 2 -W 5 $2 >/dev/null" || { echo "no connectivity from $1" >&2; exit 1; }
done
for g in $SERVERS; do
	vm_run $g 'iperf3 -s -D >/dev/null 2>&1; (tcprr -s >/dev/null 2>&1 &); sleep 0.3' >/dev/null
done
SETUPS="ptnet (vale0, $RINGS ring pair(s) ${PORT_OPTS[*]}) vs virtio-net-pci + tap + bridge"
[ "$VHOST" = 1 ] && SETUPS="$SETUPS vs virtio-net-pci + vhost-user on ptnetd (vale1)"
[ "$DPDK" = 1 ] && SETUPS="$SETUPS vs the same guests on dpdk-testpmd net_vhost io fwd"
echo "setups: $SETUPS; TCG, -smp 1 -m 256" > "$OUT/env.txt"
{ uname -a; "$QEMU" --version | head -1; nproc; } >> "$OUT/env.txt"

RES=$OUT/samples.txt
[ "$PROFILE" = 1 ] && mkdir -p "$OUT/prof"
: > "$RES"
# sample SETUP METRIC VALUE: one line, with the round ($r) it was taken in
sample() { echo "$1 $2 $3 ${r:-0}" >> "$RES"; log "$1 $2 $3"; }

# The server guest of each client guest (for --profile).
declare -A PEER=([pa]=pb [va]=vb [ua]=ub)
PROF_N=0
# machine_jiffies: the host's busy and total jiffies; pid_jiffies PID: a
# process's utime + stime (0 once it is gone).
machine_jiffies() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
pid_jiffies() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# host_cpu CLIENT SERVER: machine_jiffies, then the jiffies of the two
# guests' QEMUs and of ptnetd.
host_cpu() {
	local p t
	t=$(machine_jiffies)
	for p in "${VM_PID[$1]}" "${VM_PID[$2]}" "$PTNETD_PID"; do
		t="$t $(pid_jiffies "$p")"
	done
	echo "$t"
}
prof_start() {	# CLIENT SERVER
	local g
	[ "$PROFILE" = 1 ] || return 0
	for g in "$@"; do
		# /tmp/profile is made here so that the snapshot at the end allocates nothing
		vm_run "$g" 'cat /proc/profile > /tmp/profile && echo 0 > /proc/profile &&
			head -n 1 /proc/stat > /tmp/stat0' >/dev/null
	done
	PROF_HOST0=$(host_cpu "$@")
}
prof_stop() {	# SETUP CLIENT SERVER
	local role g h
	[ "$PROFILE" = 1 ] || return 0
	PROF_N=$((PROF_N + 1))
	h=$(host_cpu "$2" "$3")
	# Freeze both guests' figures first, then read them out (slow under TCG).
	for g in "$2" "$3"; do
		vm_run "$g" 'head -n 1 /proc/stat > /tmp/stat1
			dd if=/proc/profile of=/tmp/profile bs=64k conv=notrunc 2>/dev/null' >/dev/null
	done
	for role in client server; do
		if [ $role = client ]; then g=$2; else g=$3; fi
		{
			echo "host0 $PROF_HOST0"
			echo "host1 $h"
			vm_run "$g" -t 120 'echo "stat0 $(cat /tmp/stat0)"; echo "stat1 $(cat /tmp/stat1)"
				od -An -v -tu4 -w4 /tmp/profile |
				awk "NR == 1 { print \"step\", \$1 } NR > 1 && \$1 > 0 { print NR - 2, \$1 } END { print \"len\", NR - 1 }"'
		} > "$OUT/prof/$1-$role.$PROF_N.raw" || log "no profile from $g"
	done
}
# ptnet_counts: the notification counters of the ptnet setup's two ports,
# "PA_TX PA_KICKS PA_RX PA_IRQS PB_TX PB_KICKS PB_RX PB_IRQS" (packets).
ptnet_counts() {
	"$PTNETCTL" --json stats vale0 2>/dev/null | python3 -c '
import json, sys
p = {r["name"]: r for r in json.load(sys.stdin) if r.get("type") == "port"}
print(" ".join(str(p.get(n, {}).get(k, 0)) for n in ("vale0:pa", "vale0:pb")
               for k in ("tx_packets", "kicks", "rx_packets", "irqs")))' 2>/dev/null
}
# notify_line SETUP BEFORE AFTER: per TCP sample of ptnet, what the two
# guests' frames cost in notifications (into notify.txt).
notify_line() {
	python3 -c '
import sys
a, b = [list(map(int, x.split())) for x in sys.argv[2:4]]
d = [y - x for x, y in zip(a, b)]
f = lambda n, m: "%.3f" % (n / m) if m else "-"
print("round %s: client->server %d frames, %s kicks/frame (client), %s irqs/frame (server);"
      " server->client %d frames, %s kicks/frame, %s irqs/frame"
      % (sys.argv[1], d[0], f(d[1], d[0]), f(d[7], d[6]), d[4], f(d[5], d[4]), f(d[3], d[2])))' \
		"${r:-0}" "$1" "$2" >> "$OUT/notify.txt" 2>/dev/null
}
iperf_once() {	# CLIENT SERVER-IP SETUP
	local v c0=
	prof_start "$1" "${PEER[$1]}"
	[ "$3" = ptnet ] && c0=$(ptnet_counts)
	v=$(vm_run "$1" -t $((DUR + 40)) "iperf3 -c $2 -t $DUR -J" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9)' 2>/dev/null) || v=
	[ -n "$c0" ] && notify_line "$c0" "$(ptnet_counts)"
	prof_stop "$3" "$1" "${PEER[$1]}"
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
	own() { local t=0 p; for p in $PTNETD_PID ${VM_PID[*]}; do t=$((t + $(pid_jiffies "$p"))); done; echo $t; }
	a=$(machine_jiffies); pa=$(own)
	sleep 1
	b=$(machine_jiffies); pb=$(own)
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
	if [ "$VHOST" = 1 ]; then
		if [ $((r % 2)) = 1 ]; then order="$order vhost"; else order="vhost $order"; fi
	fi
	for s in $order; do
		case $s in
		ptnet) iperf_once pa 10.77.1.2 ptnet ;;
		virtio-tap) iperf_once va 10.77.2.2 virtio-tap ;;
		vhost) iperf_once ua 10.77.3.2 vhost ;;
		esac
	done
	for s in $order; do
		case $s in
		ptnet) rr_once pa 10.77.1.2 ptnet ;;
		virtio-tap) rr_once va 10.77.2.2 virtio-tap ;;
		vhost) rr_once ua 10.77.3.2 vhost ;;
		esac
	done
	pktgen_once
	# the reference: the same vhost-user guests, testpmd instead of ptnetd (then back)
done
"$PTNETCTL" stats > "$OUT/ptnetd-stats.txt" 2>&1

# The reference: the same two vhost-user guests (same image, same QEMU command
# line) booted again with testpmd serving their sockets.  Not switched under
# running guests: QEMU fixes a device's features with its first backend and
# refuses one that lacks any (testpmd has no TSO: "vhost lacks feature mask").
if [ "$DPDK" = 1 ]; then
	log "reference: ua, ub again on dpdk-testpmd net_vhost (io forward)"
	vm_kill ua TERM
	vm_kill ub TERM
	vhost_backend none
	rm -f "$T/ua.vhu" "$T/ub.vhu"
	boot_vhost ua 02:74:00:00:00:0a
	boot_vhost ub 02:74:00:00:00:0b
	vm_wait 60 eval "[ -S '$T/ua.vhu' ] && [ -S '$T/ub.vhu' ]" &&
		vhost_backend dpdk && vm_ready ua 180 && vm_ready ub 180 &&
		vm_run ua "set -- 10.77.3.1; $cfg_virtio" >/dev/null &&
		vm_run ub "set -- 10.77.3.2; $cfg_virtio" >/dev/null &&
		vm_run ub 'iperf3 -s -D >/dev/null 2>&1; (tcprr -s >/dev/null 2>&1 &); sleep 0.3' >/dev/null &&
		vm_wait 60 vhost_link_up
	if [ $? = 0 ]; then
		for r in $(seq "$ROUNDS"); do
			wait_quiet
			iperf_once ua 10.77.3.2 dpdk
			rr_once ua 10.77.3.2 dpdk
		done
	else
		log "the reference guests did not come up on testpmd: no dpdk samples"
	fi
	vhost_backend none
fi

python3 - "$RES" "$OUT/summary.txt" "$OUT/summary.tsv" <<'EOF'
import sys, statistics
rows = {}
tsv = open(sys.argv[3], "w")
byround = {}
for line in open(sys.argv[1]):
    s, m, v, rnd = line.split()
    rows.setdefault((s, m), []).append(float(v))
    byround.setdefault((s, m), {})[rnd] = float(v)
def med(s, m):
    v = rows.get((s, m))
    return statistics.median(v) if v else None
setups = [s for s in ("ptnet", "virtio-tap", "vhost", "dpdk") if any(k[0] == s for k in rows)]
heads = {"ptnet": "ptnet", "virtio-tap": "virtio+tap", "vhost": "vhost-user", "dpdk": "dpdk-testpmd"}
ratios = [r for r in (("ptnet", "virtio-tap"), ("vhost", "virtio-tap"), ("vhost", "dpdk"))
          if r[0] in setups and r[1] in setups]
out = ["%-28s" % "metric (median)" + "".join("%14s" % heads[s] for s in setups) +
       "".join("%24s" % ("%s/%s" % r) for r in ratios)]
for m, label, fmt in (("tcp_gbps", "TCP throughput, Gbit/s", "%.2f"),
                      ("rr_per_s", "TCP RR, transactions/s", "%.0f"),
                      ("pktgen_mpps", "pktgen native 60 B, Mpps", "%.3f")):
    line = "%-28s" % label
    for s_ in setups:
        a = med(s_, m)
        line += "%14s" % (fmt % a if a is not None else "-")
    for a_, b_ in ratios:
        a, b = med(a_, m), med(b_, m)
        # the spread: ratios of the samples of the same round
        ra, rb = byround.get((a_, m), {}), byround.get((b_, m), {})
        pr = [ra[k] / rb[k] for k in ra if k in rb and rb[k]]
        cell = "-"
        if a and b:
            cell = "%.2fx (%.2f..%.2f)" % (a / b, min(pr), max(pr)) if pr else "%.2fx" % (a / b)
        line += "%24s" % cell
    out.append(line)
    for s_ in setups:
        v = rows.get((s_, m))
        if v:
            tsv.write("%s\t%s\t%g\t%g\t%g\n" % (label, s_, statistics.median(v), min(v), max(v)))
out.append("samples: " + "; ".join("%s %s: %s" % (s, m, " ".join("%.4g" % x for x in v))
                                   for (s, m), v in sorted(rows.items())))
# issue 10 (ptnet NIC), issue 11 (vhost-user)
for a_, b_, m, want in (("ptnet", "virtio-tap", "tcp_gbps", 2.0), ("ptnet", "virtio-tap", "rr_per_s", 1.5),
                        ("vhost", "virtio-tap", "tcp_gbps", 1.5), ("vhost", "dpdk", "tcp_gbps", 1.0)):
    a, b = med(a_, m), med(b_, m)
    if a and b:
        out.append("target %s %s >= %.1fx %s: %s (%.2fx)" % (a_, "TCP" if m == "tcp_gbps" else "RR", want, b_,
                                                          "met" if a / b >= want else "NOT met", a / b))
text = "\n".join(out)
print(text)
open(sys.argv[2], "w").write(text + "\n")
EOF
if [ "$PROFILE" = 1 ]; then
	# Debian's System.map is a stub: the symbols come from a guest (nokaslr).
	vm_run pa -t 300 'awk "\$2 ~ /^[tTwW]\$/ { print \$1, \$2, \$3 }" /proc/kallsyms' > "$OUT/prof/kallsyms.txt"
	for b in $(cd "$OUT/prof" && ls -- *.raw 2>/dev/null | sed 's/\.[0-9]*\.raw$//' | sort -u); do
		python3 "$HERE/kprof.py" "$OUT/prof/kallsyms.txt" "$OUT"/prof/"$b".*.raw \
			> "$OUT/profile-$b.txt" && { echo "## $b"; head -n 14 "$OUT/profile-$b.txt"; }
	done
fi
python3 "$ROOT/bench/plot.py" "$OUT/summary.tsv" "$OUT/summary.png" \
	"bench/vm/run.sh: two guests: ptnet, virtio-net+tap+bridge, vhost-user on ptnetd, on testpmd (TCG; medians, min..max)"
echo "# results in $OUT"
