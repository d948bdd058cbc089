#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh - the VM tests: ptnetd with two VM ports on vale0, two QEMU TCG
# guests with the ptnet driver, and checks of ping, iperf3 TCP both ways,
# MTU 9000, native-mode pktgen guest->guest and guest->host, netmap
# programs in the guests through libptnet-netmap.so (guest->guest,
# guest<->host), module unload/reload, and a guest killed mid-traffic.
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
	vm_run "$1" -t 90 "insmod /lib/modules/ptnet.ko || exit 1
		wait_for 30 test -e /sys/class/net/eth0 || { echo 'no eth0'; exit 1; }
		ip link set eth0 up && ip addr add $2/24 dev eth0 || exit 1
		wait_for 60 carrier_is 1 || { echo 'no carrier'; exit 1; }"
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
check "ping a -> b" vm_run a -t 60 "ping -c 3 -W 10 $IP_B >/dev/null"
check "ping b -> a" vm_run b -t 60 "ping -c 3 -W 10 $IP_A >/dev/null"

# --- iperf3 TCP both ways (offloads: TSO frames as MOREFRAG chains) ---
# A fixed amount of data, not a duration: the checks hold at any speed.
IPERF_BYTES=$((64 << 20))
# iperf_bytes NAME ARGS SERVER: run the client for IPERF_BYTES, print
# "SENT RECEIVED BITS_PER_SECOND" (bytes the sender wrote, bytes and rate of
# the receiver; the receiver stops counting at the sender's end of test, so
# the last socket buffers' worth may be missing from RECEIVED).
iperf_bytes() {
	vm_run "$1" -t 300 "iperf3 -c $3 -n $IPERF_BYTES $2 -J > /tmp/ip.json 2>&1; r=\$?
		cat /tmp/ip.json; exit \$r" > "$T/iperf.json" || { cat "$T/iperf.json" >&2; echo "0 0 0"; return; }
	python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["end"]
print(int(e["sum_sent"]["bytes"]), int(e["sum_received"]["bytes"]), e["sum_received"]["bits_per_second"])' \
		"$T/iperf.json" 2>/dev/null || echo "0 0 0"
}
# moved_all SENT RECEIVED: all IPERF_BYTES sent over TCP (iperf3 ended well)
# and the receiver got data; what it had counted by the sender's end of test
# depends on what was still in flight, so it is not compared with SENT.
moved_all() { [ "$1" -ge $IPERF_BYTES ] && [ "$2" -gt 0 ]; }
# The server daemonizes before it listens: wait for its socket (port 5201 = 0x1451, LISTEN = 0A).
check "iperf3 server listens in b" vm_run b -t 60 \
	'iperf3 -s -D >/dev/null 2>&1 || exit 1
	 wait_for 30 sh -c "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep \":1451 [0-9A-F:]* 0A\" >/dev/null"'
read -r sent got bps <<<"$(iperf_bytes a "" $IP_B)"
echo "# iperf3 a -> b: $sent bytes sent, $got received, $bps bit/s"
check "iperf3 TCP a -> b moves all $IPERF_BYTES bytes" moved_all "$sent" "$got"
read -r sent got bps <<<"$(iperf_bytes a "-R" $IP_B)"
echo "# iperf3 b -> a: $sent bytes sent, $got received, $bps bit/s"
check "iperf3 TCP b -> a moves all $IPERF_BYTES bytes" moved_all "$sent" "$got"
check "a sent GSO frames (average TX frame > 1514 bytes)" \
	vm_run a 'p=$(cat /sys/class/net/eth0/statistics/tx_packets); b=$(cat /sys/class/net/eth0/statistics/tx_bytes); [ $((b / p)) -gt 1514 ]'
check "ethtool: driver info, per-queue stats, offloads" vm_run a \
	'ethtool -i eth0 | grep -q "driver: ptnet" &&
	 ethtool -S eth0 | grep -q "tx0_gso: [1-9]" &&
	 ethtool -k eth0 | grep -q "tcp-segmentation-offload: on" &&
	 ethtool -l eth0 >/dev/null && ethtool -g eth0 >/dev/null'
check "ethtool -S in b: rx0/rx1 counters, GSO frames received" vm_run b \
	'ethtool -S eth0 | grep -q "rx1_packets" && ethtool -S eth0 | grep -qE "rx[01]_gso: [1-9]"'
check "TSO off/on with ethtool -K" vm_run a -t 60 \
	"ethtool -K eth0 tso off && ping -c 1 -W 10 $IP_B >/dev/null && ethtool -K eth0 tso on"
check "no RX drops in b" vm_run b '[ "$(cat /sys/class/net/eth0/statistics/rx_dropped)" = 0 ]'

# --- MTU 9000 ---
mtu_both() { vm_run a "ip link set eth0 mtu $1" && vm_run b "ip link set eth0 mtu $1"; }
check "MTU 9000 on both" mtu_both 9000
check "ping with 8000-byte payload (chains of 2 KiB buffers)" \
	vm_run a -t 60 "ping -c 2 -W 10 -s 8000 $IP_B >/dev/null"
check "MTU back to 1500" mtu_both 1500

# --- native mode: pktgen guest -> guest ---
# pk_count FILE: packets a ptnet-pktgen summary reports (Sent/Received N packets).
pk_count() { sed -n 's/^\(Sent\|Received\) \([0-9]*\) packets.*/\2/p' "$1" | tail -1; }
# Receivers start first and report ready (the driver handed them the rings,
# or the host port exists); senders send a COUNT; a receiver ends when it
# has RX_MIN packets (-n), not on an idle time: a stray frame (a guest's
# IPv6 or ARP, flooded) must not start a clock.  -d is only a backstop far
# beyond the waits below.  Drops are by design (a full ring), so a receiver
# cannot wait for all COUNT packets.
GG_COUNT=500000
RX_MIN=1001
# sent_all LOG RC COUNT: a pktgen tx exited 0 having sent COUNT packets.
sent_all() { [ "$2" = 0 ] && [ "$(pk_count "$1")" = "$3" ]; }
# The receiver's pid (for native_held) in /tmp/rx.pid, its exit status in /tmp/rx.rc.
check "b: pktgen rx takes the rings (native mode)" vm_run b -t 90 \
	'rm -f /tmp/rx.pid /tmp/rx.rc
	 (sh -c "echo \$\$ > /tmp/rx.pid; exec ptnet-pktgen -i ptnet0 -f rx -n '$RX_MIN' -d 600 -q" > /tmp/rx.log 2>&1
	  echo $? > /tmp/rx.rc) &
	 wait_for 30 test -s /tmp/rx.pid && wait_for 60 native_held "$(cat /tmp/rx.pid)"'
check "b: carrier off while pktgen holds the rings" vm_run b 'carrier_is 0'
vm_run a -t 300 "ptnet-pktgen -i ptnet0 -f tx -n $GG_COUNT -D $MAC_B" > "$T/gtx.log" 2>&1
rc=$?
n_tx=$(pk_count "$T/gtx.log")
check "pktgen tx in a (native) sent $GG_COUNT packets" sent_all "$T/gtx.log" $rc $GG_COUNT
check "pktgen rx in b (native) got $RX_MIN packets and exited 0" vm_run b -t 150 \
	'wait_for 120 test -s /tmp/rx.rc || { echo "rx still running"; exit 1; }
	 [ "$(cat /tmp/rx.rc)" = 0 ] || { echo "rx exit status $(cat /tmp/rx.rc)"; cat /tmp/rx.log; exit 1; }'
vm_run b -t 30 'kill "$(cat /tmp/rx.pid)" 2>/dev/null; cat /tmp/rx.log' > "$T/grx.log" 2>&1
n_rx=$(pk_count "$T/grx.log")
echo "# native pktgen a -> b: sent ${n_tx:-?} received ${n_rx:-?}"
check "pktgen rx in b (native) received packets" test "${n_rx:-0}" -gt 1000
check "b: interface back after native mode (carrier, ping)" \
	vm_run b -t 120 "wait_for 60 carrier_is 1 && ping -c 2 -W 10 $IP_A >/dev/null"
check "a: interface back after native mode (ping)" vm_run a -t 60 "ping -c 2 -W 10 $IP_B >/dev/null"
check "/dev/ptnet0 is exclusive" vm_run a -t 120 \
	'ptnet-pktgen -i ptnet0 -f rx -q >/dev/null 2>&1 & p=$!
	 wait_for 60 native_held $p || { echo "first opener never got the rings"; kill $p; exit 1; }
	 ptnet-pktgen -i /dev/ptnet0 -f rx -d 1 -q > /tmp/second.log 2>&1
	 grep "in use" /tmp/second.log >/dev/null; r=$?
	 kill $p; wait $p; exit $r'

check "a process killed in native mode gives the rings back" vm_run a -t 150 \
	"ptnet-pktgen -i ptnet0 -f rx -q >/dev/null 2>&1 & p=\$!
	 wait_for 60 native_held \$p || { echo 'never got the rings'; kill \$p; exit 1; }
	 kill -9 \$p; { wait \$p; } 2>/dev/null
	 wait_for 60 carrier_is 1 || { echo 'no carrier after the kill'; exit 1; }
	 ping -c 2 -W 10 $IP_B >/dev/null"

# --- native mode: guest -> host process ---
# host_rx PORT LOG [ARGS]: a host receiver on vale0:PORT; HRX is its pid;
# returns once ptnetd lists the port (the receiver is attached).
host_rx() {
	local port=$1 log=$2
	shift 2
	"$PKTGEN" -i "vale0:$port" -f rx -d 600 -q "$@" > "$log" 2>&1 &
	HRX=$!
	vm_wait 60 vm_port_stat "vale0:${port%%@*}" rx_packets >/dev/null
}
GH_COUNT=100000
check "host pktgen rx on vale0:h attached" host_rx "h@conf:mac=$MAC_H" "$T/hrx.log" -n $RX_MIN
vm_run a -t 300 "ptnet-pktgen -i ptnet0 -f tx -n $GH_COUNT -l 1000 -D $MAC_H" > "$T/gtx2.log" 2>&1
rc=$?
n_tx=$(pk_count "$T/gtx2.log")
check "pktgen tx in a sent $GH_COUNT packets to the host" sent_all "$T/gtx2.log" $rc $GH_COUNT
check "host pktgen rx got $RX_MIN packets and exited 0" vm_wait_exit $HRX 120
n_rx=$(pk_count "$T/hrx.log")
echo "# native pktgen a -> host: sent ${n_tx:-?} received ${n_rx:-?}"
check "host pktgen rx on vale0:h received from guest a" test "${n_rx:-0}" -gt 1000

# --- netmap programs in the guests: libptnet-netmap.so over /dev/ptnet0 ---
# nm-txrx (tests/netmap: /dev/netmap only, its own copy of netmap's structs)
# through ptnet-run: the receiver acks every window of 256 frames before the
# next goes out and checks every byte, so nothing is dropped at any speed.
# Receivers start first and print READY once registered (the rings taken).
NM_COUNT=2000
# nm_grx NAME ARGS: start a guest receiver in the background; its exit
# status in /tmp/nm.rc, output in /tmp/nm.log; returns once it is READY.
nm_grx() {
	local g=$1
	shift
	vm_run "$g" -t 90 "rm -f /tmp/nm.rc /tmp/nm.log
		(ptnet-run nm-txrx rx $* > /tmp/nm.log 2>&1; echo \$? > /tmp/nm.rc) &
		wait_for 60 grep -q ^READY /tmp/nm.log || { cat /tmp/nm.log; exit 1; }"
}
# nm_grx_done NAME: the guest receiver exited 0 having checked NM_COUNT frames.
nm_grx_done() {
	vm_run "$1" -t 150 "wait_for 120 test -s /tmp/nm.rc || { echo 'rx still running'; exit 1; }
		cat /tmp/nm.log; [ \"\$(cat /tmp/nm.rc)\" = 0 ] && grep -q '^RECV frames=$NM_COUNT\$' /tmp/nm.log"
}
nm_gtx() {
	local g=$1
	shift
	vm_run "$g" -t 150 "ptnet-run nm-txrx tx $* && exit 0; r=\$?; echo \"exit \$r\"; exit \$r"
}
check "netmap: nm-txrx rx on netmap:eth0 in b registers (2 ring pairs)" \
	nm_grx b -i netmap:eth0 -r 2 -n $NM_COUNT -w poll
check "netmap: nm-txrx tx on eth0 in a sends $NM_COUNT checked frames to b" \
	nm_gtx a -i eth0 -r 1 -n $NM_COUNT -w poll
check "netmap: b received every frame, content verified" nm_grx_done b
check "netmap: legacy NIOCREGIF + epoll on ptnet0, b registers" \
	nm_grx b -i ptnet0 -r 2 -n $NM_COUNT -L -w epoll
check "netmap: legacy NIOCREGIF + select on ptnet0 in a sends $NM_COUNT frames" \
	nm_gtx a -i ptnet0 -r 1 -n $NM_COUNT -L -w select
check "netmap: b received every frame (legacy, epoll)" nm_grx_done b
# host <-> guest: the host side through the same library on vale0.
NMRUN=$BUILD/bin/ptnet-run
NMTXRX=$BUILD/tests/netmap/nm-txrx
"$NMRUN" "$NMTXRX" rx -i vale0:nmh -n $NM_COUNT -w poll > "$T/nmh.log" 2>&1 &
NMH=$!
check "netmap: host receiver on vale0:nmh registered" vm_wait 60 grep -q ^READY "$T/nmh.log"
check "netmap: guest a -> host, $NM_COUNT frames" nm_gtx a -i eth0 -r 1 -n $NM_COUNT -w busy
check "netmap: host receiver exits 0" vm_wait_exit $NMH 120
check "netmap: host receiver verified $NM_COUNT frames from a" grep -q "^RECV frames=$NM_COUNT\$" "$T/nmh.log"
check "netmap: b receives from the host (netmap:ptnet0)" \
	nm_grx b -i netmap:ptnet0 -r 2 -n $NM_COUNT -w poll
"$NMRUN" "$NMTXRX" tx -i vale0:nmh -n $NM_COUNT -w poll > "$T/nmhtx.log" 2>&1
check "netmap: host tx on vale0:nmh -> guest b exits 0" test $? = 0
check "netmap: b verified $NM_COUNT frames from the host" nm_grx_done b
# Zero-copy swaps within the device memory: b reflects every frame from its
# RX ring 0 out of TX ring 1 by swapping buffers (NS_BUF_CHANGED); it asks
# for 4 extra buffers and must be granted none (a VM port has none), as netmap
# grants fewer when it cannot; a's sender checks every frame that comes back.
# The reflector runs until stopped (a stray frame, say a guest's IPv6, must
# not use up a count), then must still be running, not failed.
# nm_refl NAME ARGS: start a reflector; its pid in /tmp/refl.pid.
nm_refl() {
	local g=$1
	shift
	vm_run "$g" -t 90 "rm -f /tmp/refl.pid /tmp/refl.log
		(sh -c \"echo \\\$\\\$ > /tmp/refl.pid; exec ptnet-run nm-swap fwd -i eth0 -n 100000000 $*\" > /tmp/refl.log 2>&1) &
		wait_for 60 grep -q ^READY /tmp/refl.log || { cat /tmp/refl.log; exit 1; }
		cat /tmp/refl.log"
}
# nm_refl_stop NAME: the reflector is still running (it failed nothing); stop it.
nm_refl_stop() {
	vm_run "$1" -t 60 'p=$(cat /tmp/refl.pid); running $p || { cat /tmp/refl.log; exit 1; }
		kill $p; wait_for 30 eval "! running $p"'
}
check "netmap: b reflects with buffer swaps (nm-swap fwd, 4 extra buffers asked, none granted)" \
	eval 'nm_refl b -r 2 -x 4 -G 0 | grep -q "^READY .*extra=0"'
check "netmap: a's $NM_COUNT frames come back through b's swaps, every byte checked" \
	nm_gtx a -i eth0 -r 1 -n $NM_COUNT -E -w poll
check "netmap: b's reflector ran throughout" nm_refl_stop b
# fork in a guest: nm-fork's parent, then its child (inherited fds and the
# device mapping), then the parent again send through b's reflector and
# check what comes back (A and B are both eth0: two registrations of a).
NM_FORK=500
check "netmap: b reflects for the fork test" eval 'nm_refl b -r 2 >/dev/null'
check "netmap: fork in a guest: parent, child, parent again, every frame checked" vm_run a -t 150 \
	"ptnet-run nm-fork -a eth0 -b eth0 -n $NM_FORK | grep '^OK parent=$NM_FORK child=$NM_FORK after=$NM_FORK\$'"
check "netmap: b's reflector ran throughout the fork test" nm_refl_stop b
check "netmap: PORT_INFO_GET of eth0 in b (2 ring pairs, the VM port's)" vm_run b -t 60 \
	'ptnet-run nm-ctl info eth0 | tee /dev/stderr | grep -q "^OK tx_rings=2 rx_rings=2 "'
check "netmap: no switch inside a guest (VALE_ATTACH: ENXIO, with a PTNET_DEBUG hint)" vm_run a -t 60 \
	'PTNET_DEBUG=1 ptnet-run nm-ctl attach vale0:x > /tmp/ctl.log 2>&1; r=$?
	 cat /tmp/ctl.log; [ $r = 1 ] && grep -q "ERR errno=6" /tmp/ctl.log &&
	 grep -q "no ptnetd here" /tmp/ctl.log'
check "netmap: no switch inside a guest (VALE_NEWIF: ENXIO, with a PTNET_DEBUG hint)" vm_run a -t 60 \
	'PTNET_DEBUG=1 ptnet-run nm-ctl newif nmx0 > /tmp/ctl.log 2>&1; r=$?
	 cat /tmp/ctl.log; [ $r = 1 ] && grep -q "ERR errno=6" /tmp/ctl.log &&
	 grep -q "no switch to make" /tmp/ctl.log'
check "netmap: REGISTER of a VALE port inside a guest fails, with a PTNET_DEBUG hint" vm_run a -t 60 \
	'PTNET_DEBUG=1 ptnet-run nm-txrx rx -i vale0:x -n 1 > /tmp/reg.log 2>&1; r=$?
	 cat /tmp/reg.log; [ $r = 1 ] && grep -q "REGISTER (6" /tmp/reg.log &&
	 grep -q "VALE ports are the host" /tmp/reg.log'
check "netmap: b's interface back after the netmap programs (carrier, ping)" vm_run b -t 120 \
	"wait_for 60 carrier_is 1 && ping -c 2 -W 10 $IP_A >/dev/null"
check "netmap: a's interface back after the netmap programs (carrier, ping)" vm_run a -t 120 \
	"wait_for 60 carrier_is 1 && ping -c 2 -W 10 $IP_B >/dev/null"

# --- module unload / reload ---
check "rmmod ptnet in a" vm_run a 'rmmod ptnet && ! [ -e /sys/class/net/eth0 ] && ! [ -e /dev/ptnet0 ]'
a_stopped() { port_running vale0:a; [ $? = 1 ]; }
check "ptnetd stopped vale0:a (DELETE)" a_stopped
check "driver reloads in a" up a $IP_A
check "ping a -> b after reload" vm_run a -t 60 "ping -c 3 -W 10 $IP_B >/dev/null"
check "unbind and bind the device through sysfs" vm_run a -t 120 "
	d=\$(basename \$(readlink /sys/class/net/eth0/device))
	echo \$d > /sys/bus/pci/drivers/ptnet/unbind && ! [ -e /sys/class/net/eth0 ] || exit 1
	echo \$d > /sys/bus/pci/drivers/ptnet/bind || exit 1
	wait_for 30 test -e /sys/class/net/eth0 || exit 1
	ip link set eth0 up && ip addr add $IP_A/24 dev eth0 && ping -c 2 -W 10 $IP_B >/dev/null"
check "rmmod while native mode is busy is refused" vm_run a -t 120 \
	'ptnet-pktgen -i ptnet0 -f rx -q >/dev/null 2>&1 & p=$!
	 wait_for 60 native_held $p || { echo "never got the rings"; kill $p; exit 1; }
	 ! rmmod ptnet 2>/dev/null; r=$?; kill $p; wait $p; exit $r'
check "ping a -> b after native mode ended" vm_run a -t 60 "ping -c 2 -W 10 $IP_B >/dev/null"

# --- a guest killed mid-traffic ---
# counter_above PORT KEY N: ptnetd's counter KEY of PORT exceeds N.
counter_above() { local v; v=$(vm_port_stat "$1" "$2") && [ "$v" -gt "$3" ]; }
# port_gone PORT: ptnetd no longer has PORT (vm_port_stat exits 2, not 1 for a failed query).
port_gone() { local rc=0; vm_port_stat "$1" rx_packets >/dev/null || rc=$?; [ $rc = 2 ]; }
check "host pktgen rx on vale0:h2 attached" host_rx "h2@conf:mac=$MAC_H2" "$T/h2rx.log"
H2RX=$HRX
# Host traffic through the kill: the sender runs until we stop it.
"$PKTGEN" -i vale0:h3 -f tx -R 20000 -D $MAC_H2 -q > "$T/h3tx.log" 2>&1 &
H3TX=$!
b0=$(vm_port_stat vale0:b rx_packets) || b0=0
vm_run a "iperf3 -c $IP_B -t 600 > /tmp/long.log 2>&1 &" >/dev/null
check "iperf3 a -> b is flowing before the kill" vm_wait 60 counter_above vale0:b rx_packets $((b0 + 1000))
check "host tx -> host rx is flowing before the kill" vm_wait 60 counter_above vale0:h2 rx_packets 1000
vm_kill b KILL
check "ptnetd survives a killed guest" kill -0 "$PTNETD_PID"
check "ptnetd removed port vale0:b" vm_wait 60 port_gone vale0:b
check "socket of vale0:b removed" vm_wait 10 test ! -e "$T/b.sock"
h2=$(vm_port_stat vale0:h2 rx_packets) || h2=0
check "host ports keep forwarding after the kill" vm_wait 60 counter_above vale0:h2 rx_packets $((h2 + 1000))
# A ring holds at most 1023 delivered packets the receiver has not taken:
# once ptnetd delivered 52000, the receiver has counted more than 50000.
check "ptnetd delivered 52000 host tx packets across the kill" \
	vm_wait 120 counter_above vale0:h2 rx_packets 52000
kill -TERM $H3TX 2>/dev/null
check "host tx exits 0 on SIGTERM" vm_wait_exit $H3TX 60
kill -TERM $H2RX 2>/dev/null
check "host rx on vale0:h2 exits 0 on SIGTERM" vm_wait_exit $H2RX 60
n_rx=$(pk_count "$T/h2rx.log")
echo "# host tx -> host rx across the kill: sent $(pk_count "$T/h3tx.log") received ${n_rx:-?}"
check "host rx got the host tx traffic across the kill" test "${n_rx:-0}" -gt 50000
check "host pktgen rx on vale0:h attached again" host_rx "h@conf:mac=$MAC_H" "$T/hrx3.log" -n $RX_MIN
check "guest a: iperf3 to the dead guest stopped" vm_run a -t 60 \
	'killall iperf3 2>/dev/null; wait_for 30 eval "! pidof iperf3 >/dev/null"'
vm_run a -t 300 "ptnet-pktgen -i ptnet0 -f tx -n 50000 -D $MAC_H" > "$T/gtx3.log" 2>&1
rc=$?
check "guest a still sends (native pktgen, 50000 packets)" sent_all "$T/gtx3.log" $rc 50000
check "host pktgen rx got $RX_MIN packets and exited 0" vm_wait_exit $HRX 120
n_rx=$(pk_count "$T/hrx3.log")
check "guest a still works (native pktgen to host)" test "${n_rx:-0}" -gt 1000
check "guest a: ptnet interface still up" vm_run a 'carrier_is 1'
vm_run a 'dmesg | grep -iE "ptnet|BUG|WARN" | tail -n 30' > "$T/a.dmesg" 2>&1
check "no kernel BUG/WARNING in guest a" bash -c "! grep -qE 'BUG:|WARNING:|Oops' '$T/a.dmesg'"

# --- the host removes the port under a running guest ---
check "ptnetctl vm del vale0:a" "$PTNETCTL" vm del vale0:a
check "guest a sees the carrier go (port status polled)" vm_run a -t 90 \
	'wait_for 60 carrier_is 0'
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
