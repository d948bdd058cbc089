#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The structure (not the speed) of the benchmark's newer lines: shmpp's JSON
# line, report.py's testpmd reader and generic table, and one short
# bench/scale.sh run: a record for every configuration, the flooded MACs in
# the 2^20-entry MAC table of valemt (switch-add mac-table=), a table with ratios.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root like bench/scale.sh's ptnetd"; exit 77; }
for b in "$ROOT/build/bench/shmpp" "$ROOT/build/bench/swload" "$ROOT/build/bin/ptnetd"; do
	[ -x "$b" ] || { echo "SKIP: $b not built (make)"; exit 77; }
done

# shmpp: one JSON line with the fields bench/run.sh reads.
"$ROOT/build/bench/shmpp" -n 20000 -d 20 --json >"$T/shm.json" 2>"$T/shm.err"
check "shmpp exits 0" test $? -eq 0
check "shmpp's JSON has transactions, p50 <= p99 and a regime" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
r = j["rtt_us"]
assert j["transactions"] == 20000 and 0 < r["min"] <= r["p50"] <= r["p99"] <= r["max"]
assert j["regime"] in ("near", "far")' "$T/shm.json"

# report.py testpmd: the rate is the Rx-pps of the second "show port stats"
# (over the interval since the first), the packets the counter's growth.
{
	printf '  RX-packets: 500    RX-missed: 0    RX-bytes: 0\n  TX-packets: 0  TX-errors: 0\n'
	printf '  Throughput (since last show)\n  Rx-pps:  0  Rx-bps: 0\n'
	printf '  RX-packets: 2500    RX-missed: 0    RX-bytes: 0\n  TX-packets: 0  TX-errors: 0\n'
	printf '  Throughput (since last show)\n  Rx-pps:  1000  Rx-bps: 1\n'
	printf '  RX-packets: 2600  RX-dropped: 0  RX-total: 2600\n'
} >"$T/pmd.log"
check_eq "testpmd reader: the second look's rate and the packets between the looks" \
	"$(python3 "$ROOT/bench/report.py" testpmd "$T/pmd.log" Rx | python3 -c 'import json,sys; j = json.load(sys.stdin); print(j["pps"], j["packets"], j["started"])')" \
	"1000.0 2000 True"
printf '  Rx-pps:  0\n' >"$T/none.log"
check "testpmd reader: one look, or no traffic, is an error" eval "! python3 $ROOT/bench/report.py testpmd $T/none.log Rx >/dev/null"

# report.py table: medians, paired ratios, table.tsv.
mkdir -p "$T/tab"
for r in 1 2; do
	python3 "$ROOT/bench/report.py" record "$T/tab/all.jsonl" rep=$r metric=m impl=a value=$((10 * r))
	python3 "$ROOT/bench/report.py" record "$T/tab/all.jsonl" rep=$r metric=m impl=b value=$((5 * r))
done
python3 "$ROOT/bench/report.py" table "$T/tab" a >"$T/tab/out.txt"
check "table: a/b is 2.00x, paired 2.00..2.00" grep -q "2.000x (2.000..2.000)\|2.00x (2.00..2.00)" "$T/tab/out.txt"
check_eq "table.tsv has a row per path" "$(wc -l <"$T/tab/table.tsv")" 2

# One short scale.sh run (20000 flooded MACs, nearly all kept by valemt's 2^20-entry table).
timeout 100 bash "$ROOT/bench/scale.sh" -r 1 -d 1 -F 20000 -o "$T/scale" >"$T/scale.out" 2>&1
check "scale.sh exits 0" test $? -eq 0
check "every configuration has both lines, each with a value" python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
names = {"1 pair", "2 pairs", "4 pairs", "8 pairs", "16 pairs", "32 pairs", "16 sw x 4",
         "empty table", "full table"}
assert {r["impl"] for r in recs} == names, {r["impl"] for r in recs}
assert len(recs) == 2 * len(names) and all(r["ok"] and r["value"] > 0 for r in recs)
for r in recs:
    j = r["raw"]
    assert j["packets"] > 0 and j["pair_pps_min"] > 0, r
    if r["impl"] == "32 pairs":
        assert j["ports"] == 64 and j["switches"] == 1
    if r["impl"] == "16 sw x 4":
        assert j["ports"] == 64 and j["switches"] == 16 and j["pairs_per_switch"] == 2
    if r["impl"] == "full table":
        assert j["fdb_before_flood"] == 2 and 19000 <= j["fdb_after_flood"] <= 20003, j
' "$T/scale/all.jsonl"
check "the table has the 32-pair ratio to one pair" grep -q "^ *32 pairs .*x (" "$T/scale/table.txt"
[ "$FAILS" -gt 0 ] && sed 's/^/# /' "$T/scale.out" | tail -30
finish
