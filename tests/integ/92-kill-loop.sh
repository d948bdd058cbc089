#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Clients killed at random moments, KILL_CYCLES times (default 2000),
# KILL_PARALLEL at once (default 4): each attaches (ptnet-pktgen tx or rx,
# tb-send, tb-hostile kick flooding; various geometries), starts its
# traffic and gets SIGKILL after a random 0..20 ms, wherever it is (before
# connecting, in the handshake, in the attach, in traffic).  Meanwhile a
# good pair (tb-canary) exchanges unicast traffic.  Afterwards every victim
# port is gone, ptnetd's descriptors are exactly what they were and its RSS
# within 8 MiB of it, the good pair's books balance exactly, and ptnetd
# still serves a new verified exchange.
. "$(dirname "$0")/lib.sh"

CYCLES=${KILL_CYCLES:-2000}
PAR=${KILL_PARALLEL:-4}
PKTGEN=${PKTGEN:-$BUILD/bin/ptnet-pktgen}
for b in "$PKTGEN" "$TBIN/tb-canary" "$TBIN/tb-hostile"; do
	if [ ! -x "$b" ]; then
		echo "SKIP: $b not built"
		exit 77
	fi
done

# Freed memory held in ASan's quarantine would look like growth.
export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=1"
fds_of() { ls "/proc/$PTNETD_PID/fd" 2>/dev/null | wc -l; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$PTNETD_PID/status"; }
victims_gone() {
	[ "$("$PTNETCTL" --json list 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin) if r.get("name", "").startswith("vale0:k")))')" = 0 ]
}

start_ptnetd -w 2
good_pair_start
fds0=$(fds_of)
rss0=$(rss_kb)
log "baseline: $fds0 descriptors, VmRSS $rss0 kB"

# One victim: attach, traffic, SIGKILL after 0..20 ms.  Its frames are
# addressed to itself (or it only receives), so they never reach the pair.
victim() {
	local w=$1 i=$2 name mac pid geo k
	local -a cmd
	name=k${w}x$i
	mac=$(printf '02:00:00:%02x:%02x:%02x' "$w" $((i >> 8 & 255)) $((i & 255)))
	case $((RANDOM % 4)) in
	0) geo= ;;
	1) geo=,slots=64,buf-size=256 ;;
	2) geo=,rings=4,slots=256 ;;
	*) geo=,slots=512,vnet-hdr=12 ;;	# (not for tb-send: it writes no header)
	esac
	case $((RANDOM % 5)) in
	0 | 1) cmd=("$PKTGEN" -i "vale0:$name@conf:mac=$mac$geo" -f tx -D "$mac" -T 5) ;;
	2) cmd=("$PKTGEN" -i "vale0:$name@conf:mac=$mac$geo" -f rx -T 5) ;;
	3) cmd=("$TBIN/tb-send" -p "vale0:$name@conf:mac=$mac${geo%,vnet-hdr=12}" -d "$mac" -n 0
		-s 60-9000) ;;
	*) cmd=("$TBIN/tb-hostile" -m kick-flood -p "$name" -t 5) ;;
	esac
	# A simple command, so that $! is the client itself.
	"${cmd[@]}" >"$T/v$w.out" 2>/dev/null &
	pid=$!
	# Half the time the clock starts once the client runs (its first line:
	# READY, or pktgen's first 5 ms report); else at once, so that some die
	# connecting, in the handshake or in the attach.
	if ((RANDOM % 2)); then
		for ((k = 0; k < 400; k++)); do
			[ -s "$T/v$w.out" ] && break
			alive "$pid" || break
			sleep 0.005
		done
	fi
	sleep "0.0$(printf %02d $((RANDOM % 21)))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

worker() {
	local w=$1 n=$2 i
	for ((i = 0; i < n; i++)); do
		victim "$w" "$i"
	done
}

t0=$(date +%s)
per=$(((CYCLES + PAR - 1) / PAR))
for ((w = 0; w < PAR; w++)); do
	worker "$w" "$per" &
	BG[w$w]=$!
done
for ((w = 0; w < PAR; w++)); do
	wait_bg "w$w" 600
	check_eq "kill loop $w finished" "$RC" 0
done
log "$((per * PAR)) kill cycles in $(($(date +%s) - t0)) s"
check "ptnetd survived the kill loop" alive "$PTNETD_PID"
check "every victim's port is gone" wait_until 30 victims_gone
attached=$(grep -c 'port vale0:k[0-9]*x[0-9]* attached' "$T/ptnetd.err")
traffic=$(grep -cE 'port vale0:k[0-9]*x[0-9]* detached \(tx [1-9]' "$T/ptnetd.err")
log "cycles: $((per * PAR)); the victim had attached in $attached, and sent traffic in $traffic"
check "at least a third of the victims had attached ($attached of $((per * PAR)))" \
	test "$attached" -ge $((per * PAR / 3))
check "ptnetd's descriptors are back to $fds0" wait_until 20 eval '[ "$(fds_of)" = "$fds0" ]'
rss1=$(rss_kb)
log "after: $(fds_of) descriptors, VmRSS $rss1 kB (baseline $rss0 kB)"
check "ptnetd's RSS within 8 MiB of the baseline ($rss0 -> $rss1 kB)" \
	test "$rss1" -le $((rss0 + 8192))

# The good pair: everything sent is delivered or counted as dropped at the receiver.
good_pair_check
check_eq "nothing reached the good sender" "$(ctr vale0:gt rx_packets)" 0
good_pair_stop

# ptnetd still serves new clients.
spawn r "$TBIN/tb-recv" -p vale0:nr -i 100 -e 1:20000 --sizes 60-1514 --ack --announce --exact
check "new receiver ready" wait_line r '^READY' 20
spawn s "$TBIN/tb-send" -p vale0:ns -i 1 -n 20000 -s 60-1514 -w 128 -d "$(mac_of r)"
check "new sender done" wait_line s '^DONE' 60
check "new receiver got all 20000 frames intact and in order" wait_line r '^RECV ok' 60
wait_bg s 20
check_eq "new sender exit status" "$RC" 0
wait_bg r 20
check_eq "new receiver exit status" "$RC" 0
finish
