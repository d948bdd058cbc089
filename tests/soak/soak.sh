#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# soak.sh - ptnetd under full load for a long time: PAIRS sender->receiver
# port pairs on one switch, sampled every INTERVAL seconds (RSS, descriptor
# count, packets and drops), then a verdict.
#
# usage: tests/soak/soak.sh [-p PAIRS] [-t SECONDS] [-i INTERVAL] [-w WORKERS]
#   -p  port pairs (default 2)           -t  duration (default 600)
#   -i  sampling interval (default 10)   -w  ptnetd workers (default: one per CPU)
# environment: BUILD=build (release build: ptnetd, ptnetctl, ptnet-pktgen,
#   tests/bin/tb-canary), PTNETD=... to soak another daemon binary,
#   SOAK_LENGTH=60-1514 (frame lengths), SOAK_RSS_SLACK_MB=16, KEEP_TMP=1.
#
# Senders are "ptnet-pktgen -f tx -V" at full speed, to their receiver's MAC.
# Receivers are "tb-canary rx --any": they drain as fast as they can and,
# unlike ptnet-pktgen rx, announce their MAC (a self-addressed frame every
# second), so the switch learns it and each pair's traffic is unicast (with
# pktgen rx every frame would be flooded to every port).
#
# Verdict (exit 0 only if all hold): ptnetd alive throughout and exits 0 on
# SIGTERM; descriptors end where they were after start-up; RSS grew by less
# than SOAK_RSS_SLACK_MB between the first and the last sample; for every
# pair, what the sender says it sent == its tx_packets == the receiver's
# rx_packets + the receiver's drops + the sender's source-side drops.

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PTNETD=${PTNETD:-$BUILD/bin/ptnetd}
PTNETCTL=$BUILD/bin/ptnetctl
PKTGEN=$BUILD/bin/ptnet-pktgen
CANARY=$BUILD/tests/bin/tb-canary
PAIRS=2
SECS=600
IVAL=10
WORKERS=
LEN=${SOAK_LENGTH:-60-1514}
SLACK_MB=${SOAK_RSS_SLACK_MB:-16}

usage() {
	sed -n 's/^# \{0,1\}//; 4,11p' "$0" >&2
	exit 2
}
while getopts p:t:i:w:h o; do
	case $o in
	p) PAIRS=$OPTARG ;;
	t) SECS=$OPTARG ;;
	i) IVAL=$OPTARG ;;
	w) WORKERS=$OPTARG ;;
	*) usage ;;
	esac
done
for b in "$PTNETD" "$PTNETCTL" "$PKTGEN" "$CANARY"; do
	[ -x "$b" ] || { echo "soak: $b not built (make)" >&2; exit 77; }
done
command -v python3 >/dev/null || { echo "soak: python3 is needed" >&2; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/ptnet-soak.XXXXXX") || exit 1
export PTNET_SOCKET=$T/ptnetd.sock
PIDS=()
PTNETD_PID=
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	[ -n "$PTNETD_PID" ] && kill -TERM "$PTNETD_PID" 2>/dev/null
	wait 2>/dev/null
	[ -n "${KEEP_TMP:-}" ] && echo "# files kept in $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'echo "# interrupted"; exit 143' TERM INT

log() { echo "# $(date +%H:%M:%S) $*"; }
alive() { kill -0 "$1" 2>/dev/null; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$PTNETD_PID/status" 2>/dev/null; }
fds() { ls "/proc/$PTNETD_PID/fd" 2>/dev/null | wc -l; }
# counters: "tx rx drops" summed over all ports
totals() {
	"$PTNETCTL" --json stats 2>/dev/null | python3 -c '
import json, sys
t = r = d = 0
for p in json.load(sys.stdin):
    if p.get("type") != "port":
        continue
    t += p["tx_packets"]; r += p["rx_packets"]
    d += sum(v for k, v in p.items() if k.startswith("drop_") and k != "drop_no_dest")
print(t, r, d)'
}

log "soak: $PAIRS pairs, ${SECS}s, sample every ${IVAL}s, ptnetd $PTNETD, tmp $T"
"$PTNETD" -s "$PTNET_SOCKET" ${WORKERS:+-w "$WORKERS"} 2>"$T/ptnetd.err" &
PTNETD_PID=$!
for ((i = 0; i < 200; i++)); do
	"$PTNETCTL" list >/dev/null 2>&1 && break
	sleep 0.05
done
alive "$PTNETD_PID" || { echo "soak: ptnetd did not start"; cat "$T/ptnetd.err"; exit 1; }
fds_idle=$(fds)

for ((k = 1; k <= PAIRS; k++)); do
	"$CANARY" rx -p "vale0:r$k" -c 00112233445566778899aabbccddeeff --any >"$T/r$k.out" \
		2>"$T/r$k.err" &
	PIDS+=($!)
done
for ((k = 1; k <= PAIRS; k++)); do
	for ((i = 0; i < 200; i++)); do
		grep -q '^READY' "$T/r$k.out" 2>/dev/null && break
		sleep 0.05
	done
	mac[$k]=$(sed -n 's/^READY mac=\([^ ]*\).*/\1/p' "$T/r$k.out")
	[ -n "${mac[$k]}" ] || { echo "soak: receiver $k did not start"; cat "$T/r$k.err"; exit 1; }
done
for ((k = 1; k <= PAIRS; k++)); do
	lo=${LEN%-*}
	hi=${LEN#*-}
	"$PKTGEN" -i "vale0:t$k" -f tx -V -D "${mac[$k]}" -l "$lo" -l "$hi" -q \
		>"$T/t$k.out" 2>"$T/t$k.err" &
	PIDS+=($!)
	tx[$k]=$!
done
sleep 1
fds0=$(fds)
log "ptnetd pid $PTNETD_PID: $fds_idle descriptors idle, $fds0 with every port attached"

printf '%8s %10s %5s %16s %16s %14s %8s\n' time_s rss_kb fds tx_packets rx_packets drops Mpps
start=$(date +%s)
prev_tx=0
prev_t=$start
rss_first=
rss_last=
rss_max=0
fds_max=0
fds_min=$fds0
while :; do
	now=$(date +%s)
	[ $((now - start)) -ge "$SECS" ] && break
	sleep $((IVAL - (now - start) % IVAL))
	alive "$PTNETD_PID" || { echo "soak: FAIL ptnetd died"; exit 1; }
	now=$(date +%s)
	read -r t r d < <(totals)
	rss=$(rss_kb)
	f=$(fds)
	mpps=$(awk -v a="$t" -v b="$prev_tx" -v s=$((now - prev_t)) \
		'BEGIN { printf "%.2f", (s > 0 ? (a - b) / s / 1e6 : 0) }')
	printf '%8d %10d %5d %16d %16d %14d %8s\n' $((now - start)) "$rss" "$f" "$t" "$r" "$d" "$mpps"
	prev_tx=$t
	prev_t=$now
	[ -z "$rss_first" ] && rss_first=$rss
	rss_last=$rss
	[ "$rss" -gt "$rss_max" ] && rss_max=$rss
	[ "$f" -gt "$fds_max" ] && fds_max=$f
	[ "$f" -lt "$fds_min" ] && fds_min=$f
done
# The senders' source-side drops, while their ports still exist (should be 0).
"$PTNETCTL" --json stats >"$T/last.json"

# Senders stop (SIGINT: they print what they sent and detach), receivers
# drain; the books: a sender's tx_packets from ptnetd's log line of its
# detach, the rest from the receivers' ports, still attached.
for ((k = 1; k <= PAIRS; k++)); do
	kill -INT "${tx[$k]}"
done
for ((k = 1; k <= PAIRS; k++)); do
	wait "${tx[$k]}" 2>/dev/null
	st[$k]=$?
done
sleep 2
"$PTNETCTL" --json stats >"$T/final.json"
fail=0
echo "# per pair: sent (pktgen) / tx_packets / rx_packets + receiver drops + sender drops"
for ((k = 1; k <= PAIRS; k++)); do
	sent=$(sed -n 's/^Sent \([0-9]*\) packets.*/\1/p' "$T/t$k.out" "$T/t$k.err" | head -n 1)
	txp=$(sed -n "s/.*port vale0:t$k detached (tx \([0-9]*\) .*/\1/p" "$T/ptnetd.err" | tail -n 1)
	line=$(python3 - "$T/final.json" "$T/last.json" "$k" "${sent:-0}" "${txp:-0}" <<'PY'
import json, sys
s = {p["name"]: p for p in json.load(open(sys.argv[1]))}
last = {p["name"]: p for p in json.load(open(sys.argv[2]))}
k, sent, tx = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
r, t = s["vale0:r" + k], last["vale0:t" + k]
rdrops = sum(r[f] for f in ("drop_ring_full", "drop_bad_ring", "drop_offload"))
tdrops = sum(t[f] for f in ("drop_bad_slot", "drop_bad_chain", "drop_runt", "drop_no_dest"))
ok = sent == tx == r["rx_packets"] + rdrops + tdrops
print("%s pair %s: sent %d, tx_packets %d = rx_packets %d + receiver drops %d (ring_full %d)"
      " + sender drops %d%s" % ("ok  " if ok else "FAIL", k, sent, tx, r["rx_packets"], rdrops,
      r["drop_ring_full"], tdrops,
      "" if ok else "  <- %+d" % (tx - r["rx_packets"] - rdrops - tdrops)))
PY
)
	echo "$line"
	case $line in ok*) ;; *) fail=1 ;; esac
	[ "${st[$k]}" = 0 ] || { echo "FAIL sender $k exit status ${st[$k]}"; fail=1; }
done
growth=$((rss_last - rss_first))
echo "# RSS: first sample ${rss_first} kB, last ${rss_last} kB (growth ${growth} kB), max ${rss_max} kB"
[ "$growth" -lt $((SLACK_MB * 1024)) ] || { echo "FAIL RSS grew by ${growth} kB"; fail=1; }
for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
wait "${PIDS[@]}" 2>/dev/null
PIDS=()
sleep 1
fds1=$(fds)
echo "# descriptors: ${fds_idle} idle, ${fds0} with the ports, ${fds_min}..${fds_max} while" \
	"sampling, ${fds1} once every client left"
[ "$fds1" = "$fds_idle" ] && [ "$fds_min" = "$fds0" ] && [ "$fds_max" = "$fds0" ] ||
	{ echo "FAIL descriptors moved"; fail=1; }
echo "# totals at the last sample: tx_packets ${t} rx_packets ${r} drops ${d}"
kill -TERM "$PTNETD_PID"
wait "$PTNETD_PID"
rc=$?
PTNETD_PID=
[ "$rc" = 0 ] || { echo "FAIL ptnetd exit status $rc on SIGTERM"; fail=1; }
if grep -qE 'ERROR: AddressSanitizer|runtime error:|WARNING: ThreadSanitizer' "$T/ptnetd.err"; then
	echo "FAIL sanitizer report in ptnetd's stderr"
	fail=1
fi
if [ "$fail" = 0 ]; then
	echo "SOAK PASS: $PAIRS pairs, ${SECS}s, RSS growth ${growth} kB, descriptors ${fds_idle}" \
		"-> ${fds1}, drops ${d}"
else
	echo "SOAK FAIL"
fi
exit "$fail"
