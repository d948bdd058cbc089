#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# scale.sh - ptnet's switch under many ports: 1, 2, 4, 8, 16 and 32 pairs of
# ports on one switch all sending 60 B frames at once, 16 switches x 4 ports,
# and a full MAC table (1 M source addresses flooded in) against an empty
# one, each as the aggregate rate and ptnetd's CPU time per packet, with the
# ratios to one pair (to the empty table).  The load is bench/swload.c (one
# sender and one receiver thread for all ports).  See bench/README.md.
#
#   sudo bench/scale.sh [-r REPS] [-d SECONDS] [-F FLOOD_MACS] [-o DIR]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
reps=3 secs=3 nflood=1000000 outdir=
usage() { echo "usage: bench/scale.sh [-r REPS] [-d SECONDS] [-F FLOOD_MACS] [-o DIR]" >&2; exit 2; }
while getopts r:d:F:o: o; do
	case $o in
	r) reps=$OPTARG ;;
	d) secs=$OPTARG ;;
	F) nflood=$OPTARG ;;
	o) outdir=$OPTARG ;;
	*) usage ;;
	esac
done
for v in "$reps" "$secs" "$nflood"; do
	case "$v" in ''|*[!0-9]*|0) echo "bench/scale.sh: -r, -d and -F take positive integers" >&2; exit 2 ;; esac
done
[ -x build/bin/ptnetd ] && [ -x build/bench/swload ] ||
	timeout 900 make -j2 >&2 || { echo "bench/scale.sh: make failed" >&2; exit 1; }

out=$(mktemp -d /tmp/ptnet-scale.XXXXXX) || exit 1
res=${outdir:-bench/results/scale-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$res" || exit 1
ALL=$res/all.jsonl
: >"$ALL"
mkdir -p "$out/bin"
for b in build/bin/ptnetd build/bin/ptnetctl build/bench/swload; do
	cp "$b" "$out/bin/" || exit 1
done
PTNETD=$out/bin/ptnetd PTNETCTL=$out/bin/ptnetctl SWLOAD=$out/bin/swload
sock=$out/ptnetd.sock
export PTNET_SOCKET=$sock
msock=$out/metrics.sock	# the MAC table's size, from ptnetd --metrics
dpid='' FAILED=0
cleanup() {
	set +e
	trap - EXIT INT TERM
	if [ -n "$dpid" ]; then
		timeout 5 "$PTNETCTL" stats >"$res/ptnetd-stats-end.txt" 2>&1
		kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	fi
	rm -rf "$out"
}
trap cleanup EXIT
trap 'echo "bench/scale.sh: interrupted" >&2; exit 130' INT TERM
{
	echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host:     $(uname -n), kernel $(uname -r), $(nproc) CPUs"
	echo "commit:   $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(
		git status --porcelain 2>/dev/null | grep -q . && echo ' (dirty tree)')"
	echo "command:  bench/scale.sh -r $reps -d $secs -F $nflood"
	echo "binaries: $(for b in "$PTNETD" "$SWLOAD"; do printf '%s %s; ' "$(basename "$b")" "$(sha256sum "$b" | cut -c1-12)"; done)"
	echo "load:     $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$res/env.txt"

"$PTNETD" -q -s "$sock" --metrics "$msock" >"$res/ptnetd.log" 2>&1 &
dpid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || { echo "bench/scale.sh: ptnetd did not come up in 5 s" >&2; exit 1; }
# The MAC table lines run on a switch with the largest table (2^20 entries):
# swload -s valemt attaches to valemt0.
MACT=1048576
"$PTNETCTL" switch add valemt0 --mac-table $MACT >&2 ||
	{ echo "bench/scale.sh: cannot make valemt0 with a $MACT-entry MAC table (root?)" >&2; exit 1; }
mact=$("$PTNETCTL" --json list valemt0 | python3 -c '
import json, sys
print(next(r["mac_table"] for r in json.load(sys.stdin) if r.get("type") == "switch"))')
echo "mac table: valemt0 has $mact entries (switch-add mac-table=$MACT)" >>"$res/env.txt"

# one REP NAME SWLOAD-ARGS...: one swload run, recorded as two metrics.
one() {
	local r=$1 name=$2 f v ns mrate mcpu
	shift 2
	f=$res/r$r-$(echo "$name" | tr -c 'A-Za-z0-9\n' '_').json
	kill -0 "$dpid" 2>/dev/null || { echo "bench/scale.sh: ptnetd died (see $res/ptnetd.log)" >&2; exit 1; }
	echo "  [$r/$reps] $name: swload $*" >&2
	# Each table line starts from an empty table (a full one's ports left: purged anyway).
	case $name in *table*) "$PTNETCTL" fdb flush valemt0 >/dev/null || FAILED=$((FAILED + 1)) ;; esac
	timeout -k 2 $((secs + 90)) "$SWLOAD" -d "$secs" -M "$msock" -P "$dpid" --json "$@" \
		>"$f" 2>"${f%.json}.err"
	case $name in
	*table*) mrate="MAC table, 1 pair, Mpps" mcpu="MAC table, ptnetd ns/packet" ;;
	*) mrate="aggregate 60 B rate, Mpps" mcpu="ptnetd CPU ns per packet" ;;
	esac
	v=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pps"] / 1e6)' "$f" 2>/dev/null)
	python3 bench/report.py record "$ALL" rep="$r" metric="$mrate" impl="$name" better=higher \
		value="${v:-}" raw=@"$f" || FAILED=$((FAILED + 1))
	# ptnetd's CPU over the measured window (swload -P) per packet received.
	ns=$(python3 -c 'import json,sys; j = json.load(open(sys.argv[1])); print(j["daemon_ns_per_packet"] or "")' "$f" 2>/dev/null)
	python3 bench/report.py record "$ALL" rep="$r" metric="$mcpu" impl="$name" better=lower \
		value="${ns:-}" raw=@"$f" || FAILED=$((FAILED + 1))
}

# The configurations, in this order on odd repetitions and reversed on even ones.
CONF=("1 pair|-p 1" "2 pairs|-p 2" "4 pairs|-p 4" "8 pairs|-p 8" "16 pairs|-p 16"
	"32 pairs|-p 32" "16 sw x 4|-w 16 -p 2"
	"empty table|-s valemt -p 1" "full table|-s valemt -p 1 -F $nflood")
echo "# bench/scale.sh: $(uname -r), $(nproc) CPUs, $(date -u +%FT%TZ), reps=$reps secs=$secs" >&2
for r in $(seq "$reps"); do
	idx=$(seq 0 $((${#CONF[@]} - 1)))
	[ $((r % 2)) -eq 0 ] && idx=$(seq $((${#CONF[@]} - 1)) -1 0)
	for i in $idx; do
		# shellcheck disable=SC2086 # the arguments are words
		one "$r" "${CONF[i]%%|*}" ${CONF[i]#*|}
	done
done

{
	cat "$res/env.txt"
	echo
	python3 bench/report.py table "$res" "1 pair,empty table" other/base
	echo $? >"$out/table.rc"
	echo
	python3 - "$ALL" "$mact" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
full = [r["raw"] for r in recs if r.get("impl") == "full table" and r.get("raw")
        and r["metric"].endswith("Mpps")]
if full:
    print("MAC table: %d source MACs flooded in; entries before the flood %s, after it %s, at the end %s"
          % (full[0]["flood_macs"], sorted({f["fdb_before_flood"] for f in full}),
             sorted({f["fdb_after_flood"] for f in full}), sorted({f["fdb_end"] for f in full})))
    print("  (valemt0's table: %s entries in 4-way sets: a set keeps 4 of the flooded MACs that"
          " hash to it, 752100 of swload's first 1 M)" % sys.argv[2])
PY
} | tee "$res/table.txt"
rc=$(cat "$out/table.rc" 2>/dev/null || echo 1)
python3 bench/plot.py "$res/table.tsv" "$res/table.png" "bench/scale.sh: ports and switches (medians, min..max)" &&
	[ -s "$res/table.png" ] && echo "# table and picture: $res/table.txt, $res/table.png" >&2
[ $FAILED -ne 0 ] && rc=1
exit "$rc"
