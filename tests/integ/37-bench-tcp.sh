#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The structure (not the speed) of bench/tcp.sh: one short run of the iperf3
# and sockperf lines (ping and 4 streams use the same machinery), a record
# with a value for every line and path (ptnet taps, the TAP relay, veth,
# bridge), TSO super-frames through the relay, a table with ptnet/path ratios.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (namespaces, taps)"; exit 77; }
for t in iperf3 sockperf ping; do
	command -v $t >/dev/null || { echo "SKIP: $t is needed (scripts/deps.sh)"; exit 77; }
done
for b in "$ROOT/build/bench/taprelay" "$ROOT/build/bin/ptnetd" "$ROOT/build/bin/ptnetctl"; do
	[ -x "$b" ] || { echo "SKIP: $b not built (make)"; exit 77; }
done

timeout 110 bash "$ROOT/bench/tcp.sh" -r 1 -d 1 -m tcp1,rr -o "$T/tcp" >"$T/tcp.out" 2>&1
check "tcp.sh exits 0" test $? -eq 0
check "a value for every line and path" python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
got = {(r["test"], r["impl"]) for r in recs if r["ok"] and r["value"] > 0}
want = {(t, p) for t in ("tcp1", "rr") for p in ("ptnet", "relay", "veth", "bridge")}
assert got == want, want - got
' "$T/tcp/all.jsonl"
check "the relay moved TSO super-frames (> 3000 bytes per frame)" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["a_to_b_frames"] > 0 and j["a_to_b_bytes"] / j["a_to_b_frames"] > 3000, j
' "$T/tcp/taprelay.json"
check "the table has ptnet/relay and ptnet/bridge ratios" \
	eval "grep -q '^ *relay .*x (' $T/tcp/table.txt && grep -q '^ *bridge .*x (' $T/tcp/table.txt"
[ "$FAILS" -gt 0 ] && sed 's/^/# /' "$T/tcp.out" | tail -30
finish
