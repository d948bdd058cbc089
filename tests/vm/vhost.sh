#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# vhost.sh - stock virtio-net guests on ptnetd's vhost-user ports (QEMU TCG):
#
#   v1  virtio-net-pci (2 queue pairs, mq=on), QEMU the vhost-user client of
#       ptnetd's socket (chardev reconnect=1), port vale0:v1 --queues 2
#   v2  virtio-net-pci (1 queue pair), QEMU the server (server=on): port
#       vale0:v2 --client, ptnetd connects to it (and reconnects)
#   p   the ptnet NIC on VM port vale0:p
#   t   a tap port vale0:t in a private network namespace
#
# Checks: ping and iperf3 TCP (a fixed byte count) both ways between every
# pair; MTU 9000 (8000-byte pings); multiqueue (ethtool -L combined 2, TX
# steered to each queue in turn with XPS); offloads toggled with ethtool
# (tso/tx-checksumming off: traffic still passes); ptnetd restarted under
# the running guests (both vhost ports come back by themselves: ptnetd
# connects to v2's QEMU, v1's QEMU reconnects to ptnetd; pings resume, no
# duplicates); QEMU v1 killed with SIGKILL (ptnetd survives, the port goes
# disconnected, the others keep working).
#
# VHOST_BACKEND=dpdk runs the guest half (v1 <-> v2: ping, iperf3, MQ,
# offloads, SIGKILL) against dpdk-testpmd's net_vhost in io-forward mode
# instead, to check the test itself against a reference backend.
# Exit 0 all passed, 1 a failure, 77 QEMU/kernel/packages unavailable or no
# vhost kind in this ptnetd.  Last line "N passed, N failed".  Needs root
# (network namespace, tap).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/vmlib.sh"
BACKEND=${VHOST_BACKEND:-ptnetd}

PASS=0
FAIL=0
ok() { echo "ok   $*"; PASS=$((PASS + 1)); }
bad() { echo "FAIL $*"; FAIL=$((FAIL + 1)); }
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ] && exit 0
	exit 1
}

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespace, tap)"; exit 77; }
vm_init
echo "# vhost vm tests: backend=$BACKEND ptnetd=$PTNETD kernel=$KVER tmp=$T"
NS=ptvh$$
TESTPMD_PID=
# the netns' iperf3 daemon (by its pid file), testpmd (by pid), the netns, DPDK's run dir
VM_EXTRA_CLEANUP='[ -s "$T/iperf-t.pid" ] && kill "$(cat "$T/iperf-t.pid")" 2>/dev/null
	[ -n "$TESTPMD_PID" ] && kill "$TESTPMD_PID" 2>/dev/null && wait "$TESTPMD_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null; rm -rf "/var/run/dpdk/ptvh$$"'

MAC_V1=02:73:00:00:00:01
MAC_V2=02:73:00:00:00:02
MAC_P=02:73:00:00:00:03
MAC_T=02:73:00:00:00:04
IP_V1=10.78.0.1
IP_V2=10.78.0.2
IP_P=10.78.0.3
IP_T=10.78.0.4

# boot_virtio NAME CHARDEV-OPTS QUEUES MAC: a stock guest, guest RAM in a shared memfd.
boot_virtio() {
	local name=$1 chr=$2 q=$3 mac=$4 mq=
	[ "$q" -gt 1 ] && mq=",mq=on"
	vm_boot "$name" -object memory-backend-memfd,id=mem,size=256M,share=on \
		-machine memory-backend=mem \
		-chardev "socket,id=c0,$chr" -netdev "vhost-user,id=n0,chardev=c0,queues=$q" \
		-device "virtio-net-pci,netdev=n0,mac=$mac,romfile=,vectors=0,mrg_rxbuf=on$mq"
}
cfg_virtio='for m in failover net_failover virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_net; do insmod /lib/modules/$m.ko || exit 1; done
	wait_for 30 test -e /sys/class/net/eth0 || { echo "no eth0"; exit 1; }
	ip link set eth0 up && ip addr add $1/24 dev eth0 || exit 1
	wait_for 60 carrier_is 1 || { echo "no carrier"; exit 1; }'
cfg_ptnet='insmod /lib/modules/ptnet.ko || exit 1
	wait_for 30 test -e /sys/class/net/eth0 || { echo "no eth0"; exit 1; }
	ip link set eth0 up && ip addr add $1/24 dev eth0 || exit 1
	wait_for 60 carrier_is 1 || { echo "no carrier"; exit 1; }'

# vhost_ports: the vhost-user ports of the ptnetd backend (again after a restart).
vhost_ports() {
	"$PTNETCTL" vhost add vale0:v1 --socket "$T/v1.sock" --queues 2 --mac $MAC_V1 >/dev/null &&
		"$PTNETCTL" vhost add vale0:v2 --socket "$T/v2.sock" --client --mac $MAC_V2 >/dev/null
}
port_field() { vm_port_stat "$1" "$2" 2>/dev/null; }
# vh_connected PORT: the port's record says a frontend is connected and running.
vh_connected() {
	"$PTNETCTL" --json stats 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r.get("name") == sys.argv[1]:
        st = str(r.get("state", r.get("conn", r.get("connection", ""))))
        sys.exit(0 if st in ("connected", "running", "up", "ready") or r.get("running") == 1 else 1)
sys.exit(2)' "$1"
}
vh_disconnected() { vh_connected "$1"; [ $? = 1 ]; }

GUESTS="v1 v2"
if [ "$BACKEND" = dpdk ]; then
	command -v dpdk-testpmd >/dev/null || { echo "SKIP: dpdk-testpmd not installed (dpdk-dev)"; exit 77; }
	dpdk-testpmd -l 0-1 --no-huge -m 512 --no-pci --file-prefix=ptvh$$ \
		--vdev "net_vhost0,iface=$T/v1.sock,queues=2,client=0" \
		--vdev "net_vhost1,iface=$T/v2.sock,queues=2,client=1" \
		-- --nb-cores=1 --forward-mode=io --auto-start --rxq=2 --txq=2 --stats-period 60 \
		--total-num-mbufs=32768 </dev/null >"$T/testpmd.log" 2>&1 &
	TESTPMD_PID=$!
	vm_wait 60 test -S "$T/v1.sock" || { bad "testpmd listens"; finish; }
	# v2's QEMU is the server; testpmd (client=1) connects to it once it listens.
	# (testpmd forwards queue N to queue N: v2 needs as many queues as v1)
	boot_virtio v1 "path=$T/v1.sock,reconnect=1" 2 $MAC_V1
	boot_virtio v2 "path=$T/v2.sock,server=on" 2 $MAC_V2
else
	if ! vm_ptnetd -v; then
		bad "ptnetd starts"
		finish
	fi
	if "$PTNETCTL" vhost add vale0:vprobe --socket "$T/probe.sock" 2>&1 |
		grep -qE "unknown (request|command)"; then
		echo "SKIP: this ptnetd/ptnetctl has no vhost-user port kind"
		exit 77
	fi
	"$PTNETCTL" vhost del vale0:vprobe >/dev/null 2>&1
	check "vhost add v1 (server, 2 queues) and v2 (--client)" vhost_ports
	check "vm add vale0:p" vm_port p --rings 1 --mac $MAC_P
	ip netns add "$NS" || { bad "netns"; finish; }
	check "tap add vale0:t in a netns" "$PTNETCTL" tap add vale0:t --netns "$NS" --ifname eth0 \
		--mac $MAC_T --mtu 9000
	ip -n "$NS" link set lo up
	ip -n "$NS" addr add $IP_T/24 dev eth0
	ip -n "$NS" link set eth0 mtu 1500 up
	boot_virtio v1 "path=$T/v1.sock,reconnect=1" 2 $MAC_V1
	boot_virtio v2 "path=$T/v2.sock,server=on" 1 $MAC_V2
	vm_boot_ptnet p 1
	GUESTS="v1 v2 p"
fi
for g in $GUESTS; do
	check "guest $g boots" vm_ready $g 180
done
[ "$FAIL" -eq 0 ] || finish
check "virtio-net up in v1" vm_run v1 -t 90 "set -- $IP_V1; $cfg_virtio"
check "virtio-net up in v2" vm_run v2 -t 90 "set -- $IP_V2; $cfg_virtio"
[ "$BACKEND" = dpdk ] || check "ptnet up in p" vm_run p -t 90 "set -- $IP_P; $cfg_ptnet"
if [ "$BACKEND" != dpdk ]; then
	check "ptnetd: v1 connected" vm_wait 30 vh_connected vale0:v1
	check "ptnetd: v2 connected (ptnetd the client)" vm_wait 30 vh_connected vale0:v2
fi
check "v1 has 2 queue pairs" vm_run v1 'ethtool -l eth0 | grep -A4 "Pre-set" | grep -q "Combined:.*2"'

# --- ping and iperf3 between every pair ---
# host "guest" t runs in the namespace; the others through vm_run.
on() {	# on NODE [-t SECS] SCRIPT
	local n=$1
	shift
	if [ "$n" = t ]; then
		[ "$1" = -t ] && shift 2
		ip netns exec "$NS" sh -c "$1"
	else
		vm_run "$n" "$@"
	fi
}
ip_of() { case $1 in v1) echo $IP_V1 ;; v2) echo $IP_V2 ;; p) echo $IP_P ;; t) echo $IP_T ;; esac; }
NODES="v1 v2"
[ "$BACKEND" = dpdk ] || NODES="v1 v2 p t"
IPERF_BYTES=$((8 << 20))
for n in $NODES; do
	pidf=/tmp/iperf.pid
	[ "$n" = t ] && pidf=$T/iperf-t.pid
	check "iperf3 server listens in $n" on $n -t 60 \
		'iperf3 -s -D -I '"$pidf"' >/dev/null 2>&1 || exit 1
		 for i in $(seq 300); do grep -q ":1451 [0-9A-F:]* 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null && exit 0; sleep 0.1; done; exit 1'
done
# iperf_moves CLIENT SERVER [ARGS]: iperf3 ends well with all IPERF_BYTES sent
# over TCP and the receiver got data.  How much the receiver had counted at
# the sender's end of test depends on how much was still in flight (socket
# buffers, a slow TCG guest): not a test.
iperf_moves() {
	local out
	out=$(on "$1" -t 240 "iperf3 -c $(ip_of "$2") -n $IPERF_BYTES ${3:-} -J 2>&1") || { echo "$out" | tail -5 >&2; return 1; }
	echo "$out" | python3 -c '
import json, sys
e = json.load(sys.stdin)["end"]
s, r = int(e["sum_sent"]["bytes"]), int(e["sum_received"]["bytes"])
print("# iperf3 %s -> %s: sent %d received %d, %.0f Mbit/s" % (sys.argv[2], sys.argv[3], s, r, e["sum_received"]["bits_per_second"] / 1e6))
sys.exit(0 if s >= int(sys.argv[1]) and r > 0 else 1)' "$IPERF_BYTES" "$1" "$2"
}
set -- $NODES
pairs=()
for a in "$@"; do
	for b in "$@"; do
		[ "$a" \< "$b" ] && pairs+=("$a $b")
	done
done
for pr in "${pairs[@]}"; do
	read -r a b <<<"$pr"
	check "ping $a -> $b" on $a -t 60 "ping -c 2 -W 10 $(ip_of $b) >/dev/null"
	check "ping $b -> $a" on $b -t 60 "ping -c 2 -W 10 $(ip_of $a) >/dev/null"
	check "iperf3 TCP $a -> $b" iperf_moves $a $b
	check "iperf3 TCP $b -> $a" iperf_moves $b $a
done

# --- MTU 9000 ---
if [ "$BACKEND" != dpdk ]; then
	mtu_all() { local n; for n in $NODES; do on $n "ip link set eth0 mtu $1" || return 1; done; }
	check "MTU 9000 everywhere" mtu_all 9000
	for b in v2 p t; do
		check "ping v1 -> $b with 8000 bytes" on v1 -t 60 "ping -c 2 -W 10 -s 8000 $(ip_of $b) >/dev/null"
	done
	check "ping t -> v2 with 8000 bytes" on t "ping -c 2 -W 10 -s 8000 $IP_V2 >/dev/null"
	check "iperf3 TCP v1 -> v2 at MTU 9000" iperf_moves v1 v2
	check "MTU back to 1500" mtu_all 1500
fi

# --- multiqueue: both TX queues of v1 carry traffic (XPS steers to each in turn) ---
check "ethtool -L eth0 combined 2 in v1" vm_run v1 'ethtool -L eth0 combined 2 && ethtool -l eth0 | tail -n 5 | grep -q "Combined:.*2"'
[ "$BACKEND" = dpdk ] && vm_run v2 'ethtool -L eth0 combined 2' >/dev/null
for q in 0 1; do
	o=$((1 - q))
	check "v1 TX steered to queue $q: ping and iperf3 pass" vm_run v1 -t 120 "
		echo 0 > /sys/class/net/eth0/queues/tx-$o/xps_cpus && echo 1 > /sys/class/net/eth0/queues/tx-$q/xps_cpus || exit 1
		b=\$(ethtool -S eth0 | sed -n 's/^ *tx_queue_${q}_packets: //p')
		ping -c 2 -W 10 $IP_V2 >/dev/null || exit 1
		iperf3 -c $IP_V2 -n 2M >/dev/null || exit 1
		a=\$(ethtool -S eth0 | sed -n 's/^ *tx_queue_${q}_packets: //p')
		echo \"tx_queue_$q: \$b -> \$a\"; [ \"\$a\" -gt \$((b + 10)) ]"
done
vm_run v1 'for q in 0 1; do echo 1 > /sys/class/net/eth0/queues/tx-$q/xps_cpus; done' >/dev/null

# --- offloads toggled in the guest ---
# (ethtool -K fails when nothing changes: the state is read back instead)
if [ "$BACKEND" != dpdk ]; then
	check "v1 negotiated TSO and checksum offload with ptnetd" vm_run v1 \
		'ethtool -k eth0 | grep -q "^tcp-segmentation-offload: on" && ethtool -k eth0 | grep -q "^tx-checksumming: on"'
fi
check "v1: tso and tx-checksumming off, traffic passes" vm_run v1 -t 120 "
	ethtool -K eth0 tso off 2>/dev/null; ethtool -K eth0 tx off 2>/dev/null
	ethtool -k eth0 | grep -q '^tcp-segmentation-offload: off' && ethtool -k eth0 | grep -q '^tx-checksumming: off' || exit 1
	ping -c 2 -W 10 $IP_V2 >/dev/null && iperf3 -c $IP_V2 -n 2M >/dev/null"
check "v2: tso off, iperf3 v2 -> v1 (v1 receives with its tx offloads off)" vm_run v2 -t 120 "
	ethtool -K eth0 tso off 2>/dev/null; ethtool -k eth0 | grep -q '^tcp-segmentation-offload: off' || exit 1
	iperf3 -c $IP_V1 -n 2M >/dev/null"
vm_run v1 'ethtool -K eth0 tx on 2>/dev/null; ethtool -K eth0 tso on 2>/dev/null; true' >/dev/null
vm_run v2 'ethtool -K eth0 tso on 2>/dev/null; true' >/dev/null
if [ "$BACKEND" != dpdk ]; then
	check "offloads back on in v1" vm_run v1 'ethtool -k eth0 | grep -q "^tcp-segmentation-offload: on"'
fi
check "iperf3 v1 -> v2 with the offloads back" iperf_moves v1 v2

# --- ptnetd restarted under the running guests ---
if [ "$BACKEND" != dpdk ]; then
	kill -TERM "$PTNETD_PID"
	rc=0
	wait "$PTNETD_PID" || rc=$?
	PTNETD_PID=
	check "ptnetd exits 0 on SIGTERM with guests attached" test $rc = 0
	check "v2: the link went down with ptnetd" vm_run v2 -t 60 'wait_for 30 carrier_is 0'
	if vm_ptnetd -v; then ok "ptnetd starts again"; else bad "ptnetd starts again"; finish; fi
	check "vhost ports added again" vhost_ports
	check "tap port added again" "$PTNETCTL" tap add vale0:t --netns "$NS" --ifname eth0 --mac $MAC_T
	ip -n "$NS" addr add $IP_T/24 dev eth0
	ip -n "$NS" link set eth0 up
	check "ptnetd connected to v2's QEMU again (--client)" vm_wait 60 vh_connected vale0:v2
	check "v1's QEMU reconnected to ptnetd" vm_wait 60 vh_connected vale0:v1
	check "v1 carrier back" vm_run v1 -t 60 'wait_for 45 carrier_is 1'
	check "v2 carrier back" vm_run v2 -t 60 'wait_for 45 carrier_is 1'
	nodup() { on "$1" -t 60 "ping -c 5 -W 10 $(ip_of "$2") > /tmp/pr.log 2>&1; r=\$?; cat /tmp/pr.log; ! grep -q DUP /tmp/pr.log && [ \$r = 0 ]"; }
	check "ping v1 -> v2 resumes, no duplicates" nodup v1 v2
	check "ping v2 -> t resumes, no duplicates" nodup v2 t
	check "iperf3 v2 -> v1 after the restart" iperf_moves v2 v1
fi

# --- QEMU v1 killed with SIGKILL ---
vm_kill v1 KILL
if [ "$BACKEND" = dpdk ]; then
	check "testpmd survives the killed guest" kill -0 "$TESTPMD_PID"
else
	check "ptnetd survives the killed guest" kill -0 "$PTNETD_PID"
	check "vale0:v1 goes disconnected" vm_wait 30 vh_disconnected vale0:v1
	check "v2 -> t still works" on v2 -t 60 "ping -c 2 -W 10 $IP_T >/dev/null"
	check "ptnetctl vhost del vale0:v1" "$PTNETCTL" vhost del vale0:v1
fi

for g in $GUESTS; do
	[ -n "${VM_PID[$g]:-}" ] || continue
	vm_run "$g" 'dmesg | grep -E "BUG:|WARNING:|Oops" | head' > "$T/$g.dmesg" 2>&1
	check "no kernel BUG/WARNING in $g" test ! -s "$T/$g.dmesg"
done
if [ "$BACKEND" != dpdk ]; then
	for g in v2 p; do vm_kill $g TERM; done
	kill -TERM "$PTNETD_PID"
	rc=0
	wait "$PTNETD_PID" || rc=$?
	PTNETD_PID=
	check "ptnetd exits 0 on SIGTERM" test $rc = 0
	check "no sanitizer report from ptnetd" bash -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error' '$T/ptnetd.log'"
	[ "$FAIL" -eq 0 ] || tail -n 30 "$T/ptnetd.log" | sed 's/^/# ptnetd: /'
else
	grep -aE "RX-packets|TX-packets" "$T/testpmd.log" | tail -n 4 | sed 's/^/# testpmd: /'
fi
finish
