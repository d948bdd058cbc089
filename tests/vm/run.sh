#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh - the VM tests: ptnetd with two VM ports on vale0, two QEMU TCG
# guests with the ptnet driver, and checks of ping, iperf3 TCP both ways,
# MTU 9000, native-mode pktgen guest->guest and guest->host, module
# unload/reload, and a guest killed mid-traffic.
#
# Exit 0 if every check passed, 1 otherwise, 77 if QEMU, the guest kernel
# or packages are unavailable.  Last line: "N passed, N failed".
# Environment: BUILD (default build), PTNETD (default build-asan's if built),
# VM_KEEP=1 keeps the temp dir (consoles, logs), VM_ASAN=0 uses BUILD's ptnetd.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/vmlib.sh"

PASS=0
FAIL=0
ok() { echo "ok   $*"; PASS=$((PASS + 1)); }
bad() { echo "FAIL $*"; FAIL=$((FAIL + 1)); }
# check DESCRIPTION COMMAND...: one assertion, its own status.
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

vm_init
echo "# vm tests: ptnetd=$PTNETD kernel=$KVER tmp=$T"

MAC_A=02:70:00:00:00:0a
MAC_B=02:70:00:00:00:0b
MAC_H=02:70:00:00:00:01
MAC_H2=02:70:00:00:00:02
IP_A=10.77.0.1
IP_B=10.77.0.2

if ! vm_ptnetd -v; then
	bad "ptnetd starts"
	finish
fi
check "vm add vale0:a (1 ring pair)" vm_port a --rings 1 --mac $MAC_A
check "vm add vale0:b (2 ring pairs)" vm_port b --rings 2 --mac $MAC_B
check "vm add refuses a second port on the same socket path" \
	bash -c "! '$PTNETCTL' vm add vale0:c --socket '$T/a.sock' >/dev/null 2>&1"

check "vm add vale0:c (1 ring pair)" vm_port c --rings 1
vm_boot_ptnet a 1
vm_boot_ptnet b 2
# c's device has too few vectors (1 instead of 3): the probe must refuse it cleanly.
vm_boot c -chardev "socket,path=$T/c.sock,id=p0" -device ivshmem-doorbell,chardev=p0,vectors=1
check "guest a boots" vm_ready a 120
check "guest b boots" vm_ready b 120
check "guest c boots" vm_ready c 120
[ "$FAIL" -eq 0 ] || finish

# up NAME IP: load the driver, configure the interface.
up() {
	vm_run "$1" "insmod /lib/modules/ptnet.ko || exit 1
		for i in \$(seq 50); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
		ip link set eth0 up && ip addr add $2/24 dev eth0 || exit 1
		for i in \$(seq 50); do [ \"\$(cat /sys/class/net/eth0/carrier 2>/dev/null)\" = 1 ] && exit 0; sleep 0.1; done
		echo 'no carrier'; exit 1"
}
check "driver loads in a, carrier on" up a $IP_A
check "driver loads in b, carrier on" up b $IP_B
check "b has 2 TX and 2 RX queues" \
	vm_run b '[ "$(ls -d /sys/class/net/eth0/queues/tx-* | wc -l)" = 2 ] &&
		  [ "$(ls -d /sys/class/net/eth0/queues/rx-* | wc -l)" = 2 ]'
check "MAC from the port (a)" vm_run a "grep -qi $MAC_A /sys/class/net/eth0/address"
check "/dev/ptnet0 exists in a" vm_run a 'test -c /dev/ptnet0'
# port_running PORT: ptnetd's "running" flag of a VM port (CREATE done, no DELETE since).
port_running() {
	"$PTNETCTL" --json stats 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r.get("name") == sys.argv[1]:
        sys.exit(0 if r.get("running") == 1 else 1)
sys.exit(2)' "$1"
}
both_running() { port_running vale0:a && port_running vale0:b; }
check "ptnetd runs both ports (CREATE)" both_running

check "c: probe refused for lack of vectors, with a hint" vm_run c \
	'insmod /lib/modules/ptnet.ko; ! [ -e /sys/class/net/eth0 ] && dmesg | grep -q "vectors=3"'
check "c: module unloads after a failed probe" vm_run c 'rmmod ptnet && ! lsmod | grep -q ptnet'
vm_kill c TERM

# --- ping ---
check "ping a -> b" vm_run a -t 30 "ping -c 3 -W 3 $IP_B >/dev/null"
check "ping b -> a" vm_run b -t 30 "ping -c 3 -W 3 $IP_A >/dev/null"

# --- iperf3 TCP both ways (offloads: TSO frames as MOREFRAG chains) ---
# iperf_gbps NAME ARGS: run the client, print Gbit/s of the receiver.
iperf_gbps() {
	vm_run "$1" -t 60 "iperf3 -c $3 -t 3 $2 -J > /tmp/ip.json 2>&1 || { cat /tmp/ip.json; exit 1; }
		sed -n 's/.*\"bits_per_second\":[[:space:]]*\([0-9.e+]*\).*/\1/p' /tmp/ip.json | tail -1"
}
vm_run b 'iperf3 -s -D >/dev/null 2>&1; sleep 0.3' >/dev/null
bps=$(iperf_gbps a "" $IP_B) || bps=0
echo "# iperf3 a -> b: $bps bit/s"
check "iperf3 TCP a -> b moves data" awk -v b="$bps" 'BEGIN { exit !(b > 1e7) }'
bps=$(iperf_gbps a "-R" $IP_B) || bps=0
echo "# iperf3 b -> a: $bps bit/s"
check "iperf3 TCP b -> a moves data" awk -v b="$bps" 'BEGIN { exit !(b > 1e7) }'
check "a sent GSO frames (average TX frame > 1514 bytes)" \
	vm_run a 'p=$(cat /sys/class/net/eth0/statistics/tx_packets); b=$(cat /sys/class/net/eth0/statistics/tx_bytes); [ $((b / p)) -gt 1514 ]'
check "ethtool: driver info, per-queue stats, offloads" vm_run a \
	'ethtool -i eth0 | grep -q "driver: ptnet" &&
	 ethtool -S eth0 | grep -q "tx0_gso: [1-9]" &&
	 ethtool -k eth0 | grep -q "tcp-segmentation-offload: on" &&
	 ethtool -l eth0 >/dev/null && ethtool -g eth0 >/dev/null'
check "ethtool -S in b: rx0/rx1 counters, GSO frames received" vm_run b \
	'ethtool -S eth0 | grep -q "rx1_packets" && ethtool -S eth0 | grep -qE "rx[01]_gso: [1-9]"'
check "TSO off/on with ethtool -K" vm_run a -t 40 \
	"ethtool -K eth0 tso off && ping -c 1 -W 3 $IP_B >/dev/null && ethtool -K eth0 tso on"
check "no RX drops in b" vm_run b '[ "$(cat /sys/class/net/eth0/statistics/rx_dropped)" = 0 ]'

# --- MTU 9000 ---
mtu_both() { vm_run a "ip link set eth0 mtu $1" && vm_run b "ip link set eth0 mtu $1"; }
check "MTU 9000 on both" mtu_both 9000
check "ping with 8000-byte payload (chains of 2 KiB buffers)" \
	vm_run a -t 30 "ping -c 2 -W 3 -s 8000 $IP_B >/dev/null"
check "MTU back to 1500" mtu_both 1500

# --- native mode: pktgen guest -> guest ---
# pk_count FILE: packets a ptnet-pktgen summary reports (Sent/Received N packets).
pk_count() { sed -n 's/^\(Sent\|Received\) \([0-9]*\) packets.*/\2/p' "$1" | tail -1; }
vm_run b 'ptnet-pktgen -i ptnet0 -f rx -d 8 -q > /tmp/rx.log 2>&1 &
	  for i in $(seq 30); do dmesg | grep -q "native mode: rings" && break; sleep 0.1; done' >/dev/null
check "b: carrier off while pktgen holds the rings" \
	vm_run b '[ "$(cat /sys/class/net/eth0/carrier)" = 0 ]'
vm_run a -t 40 "ptnet-pktgen -i ptnet0 -f tx -d 3 -D $MAC_B" > "$T/gtx.log" 2>&1
check "pktgen tx in a (native) ran" grep -q '^Sent' "$T/gtx.log"
vm_run b -t 40 'for i in $(seq 100); do pidof ptnet-pktgen >/dev/null || break; sleep 0.1; done; cat /tmp/rx.log' > "$T/grx.log" 2>&1
n_tx=$(pk_count "$T/gtx.log"); n_rx=$(pk_count "$T/grx.log")
echo "# native pktgen a -> b: sent ${n_tx:-?} received ${n_rx:-?}"
check "pktgen rx in b (native) received packets" test "${n_rx:-0}" -gt 1000
check "b: interface back after native mode (carrier, ping)" \
	vm_run b -t 30 "for i in \$(seq 30); do [ \"\$(cat /sys/class/net/eth0/carrier)\" = 1 ] && break; sleep 0.1; done; ping -c 2 -W 3 $IP_A >/dev/null"
check "a: interface back after native mode (ping)" vm_run a -t 30 "ping -c 2 -W 3 $IP_B >/dev/null"
check "/dev/ptnet0 is exclusive" vm_run a \
	'ptnet-pktgen -i ptnet0 -f rx -d 3 -q >/dev/null 2>&1 & sleep 1
	 ptnet-pktgen -i /dev/ptnet0 -f rx -d 1 -q 2>&1 | grep -q "in use"; r=$?; wait; exit $r'

check "a process killed in native mode gives the rings back" vm_run a -t 30 \
	"ptnet-pktgen -i ptnet0 -f rx -q >/dev/null 2>&1 & p=\$!
	 for i in \$(seq 30); do [ \"\$(cat /sys/class/net/eth0/carrier)\" = 0 ] && break; sleep 0.1; done
	 kill -9 \$p; { wait \$p; } 2>/dev/null
	 for i in \$(seq 50); do [ \"\$(cat /sys/class/net/eth0/carrier)\" = 1 ] && break; sleep 0.1; done
	 ping -c 2 -W 3 $IP_B >/dev/null"

# --- native mode: guest -> host process ---
"$PKTGEN" -i "vale0:h@conf:mac=$MAC_H" -f rx -d 8 -q > "$T/hrx.log" 2>&1 &
HRX=$!
sleep 1
vm_run a -t 40 "ptnet-pktgen -i ptnet0 -f tx -d 3 -l 1000 -D $MAC_H" > "$T/gtx2.log" 2>&1
wait $HRX
n_rx=$(pk_count "$T/hrx.log")
echo "# native pktgen a -> host: sent $(pk_count "$T/gtx2.log") received ${n_rx:-?}"
check "host pktgen rx on vale0:h received from guest a" test "${n_rx:-0}" -gt 1000

# --- module unload / reload ---
check "rmmod ptnet in a" vm_run a 'rmmod ptnet && ! [ -e /sys/class/net/eth0 ] && ! [ -e /dev/ptnet0 ]'
a_stopped() { port_running vale0:a; [ $? = 1 ]; }
check "ptnetd stopped vale0:a (DELETE)" a_stopped
check "driver reloads in a" up a $IP_A
check "ping a -> b after reload" vm_run a -t 30 "ping -c 3 -W 3 $IP_B >/dev/null"
check "unbind and bind the device through sysfs" vm_run a -t 40 "
	d=\$(basename \$(readlink /sys/class/net/eth0/device))
	echo \$d > /sys/bus/pci/drivers/ptnet/unbind && ! [ -e /sys/class/net/eth0 ] || exit 1
	echo \$d > /sys/bus/pci/drivers/ptnet/bind || exit 1
	for i in \$(seq 50); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
	ip link set eth0 up && ip addr add $IP_A/24 dev eth0 && ping -c 2 -W 3 $IP_B >/dev/null"
check "rmmod while native mode is busy is refused" vm_run a \
	'ptnet-pktgen -i ptnet0 -f rx -d 3 -q >/dev/null 2>&1 & sleep 1
	 ! rmmod ptnet 2>/dev/null; r=$?; wait; exit $r'
check "ping a -> b after native mode ended" vm_run a -t 30 "ping -c 2 -W 3 $IP_B >/dev/null"

# --- a guest killed mid-traffic ---
"$PKTGEN" -i "vale0:h2@conf:mac=$MAC_H2" -f rx -d 12 -T 500 > "$T/h2rx.log" 2>&1 &
H2RX=$!
"$PKTGEN" -i vale0:h3 -f tx -d 10 -R 20000 -D $MAC_H2 > "$T/h3tx.log" 2>&1 &
H3TX=$!
vm_run a 'iperf3 -c '$IP_B' -t 20 > /tmp/long.log 2>&1 &' >/dev/null
sleep 3
vm_kill b KILL
check "ptnetd survives a killed guest" kill -0 "$PTNETD_PID"
gone=0
for _ in $(seq 50); do
	if ! "$PTNETCTL" list 2>/dev/null | grep -q 'vale0:b'; then gone=1; break; fi
	sleep 0.1
done
check "ptnetd removed port vale0:b" test $gone = 1
check "socket of vale0:b removed" test ! -e "$T/b.sock"
sleep 2
# The last periodic line of the host receiver shows a non-zero rate.
check "host ports keep forwarding after the kill" \
	bash -c "grep pps '$T/h2rx.log' | tail -n 1 | awk '{ exit !(\$1 > 0) }'"
wait $H3TX
wait $H2RX
n_rx=$(pk_count "$T/h2rx.log")
check "host rx got the host tx traffic across the kill" test "${n_rx:-0}" -gt 50000
check "guest a still works (native pktgen to host)" bash -c "
	'$PKTGEN' -i 'vale0:h@conf:mac=$MAC_H' -f rx -d 6 -q > '$T/hrx3.log' 2>&1 & p=\$!
	sleep 1
	python3 '$HERE/vmctl.py' '$T/a.ctl' -t 40 'killall iperf3 2>/dev/null; sleep 0.5; ptnet-pktgen -i ptnet0 -f tx -d 2 -D $MAC_H >/dev/null 2>&1'
	wait \$p
	n=\$(sed -n 's/^Received \([0-9]*\) packets.*/\1/p' '$T/hrx3.log')
	[ \"\${n:-0}\" -gt 1000 ]"
check "guest a: ptnet interface still up" vm_run a '[ "$(cat /sys/class/net/eth0/carrier)" = 1 ]'
vm_run a 'dmesg | grep -iE "ptnet|BUG|WARN" | tail -n 30' > "$T/a.dmesg" 2>&1
check "no kernel BUG/WARNING in guest a" bash -c "! grep -qE 'BUG:|WARNING:|Oops' '$T/a.dmesg'"

# --- the host removes the port under a running guest ---
check "ptnetctl vm del vale0:a" "$PTNETCTL" vm del vale0:a
check "guest a sees the carrier go (port status polled)" vm_run a -t 20 \
	'for i in $(seq 50); do [ "$(cat /sys/class/net/eth0/carrier)" = 0 ] && exit 0; sleep 0.1; done; exit 1'
check "guest a: rmmod after the port is gone" vm_run a -t 20 'rmmod ptnet'

# --- ptnetd shutdown ---
vm_kill a TERM
kill -TERM "$PTNETD_PID"
rc=0
wait "$PTNETD_PID" || rc=$?
PTNETD_PID=
check "ptnetd exits 0 on SIGTERM" test $rc = 0
check "no sanitizer report from ptnetd" bash -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error' '$T/ptnetd.log'"
if [ "$FAIL" -ne 0 ]; then
	echo "# ptnetd log (tail):"
	tail -n 20 "$T/ptnetd.log" | sed 's/^/#   /'
fi
finish
