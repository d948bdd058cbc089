#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/plot.py turns a benchmark table (the summary.tsv that bench/run.sh,
# bench/tcp.sh and bench/vm/run.sh write) into a PNG with gnuplot; the
# report's own TSV of a synthetic results directory plots too.
. "$(dirname "$0")/lib.sh"

command -v gnuplot >/dev/null || { echo "SKIP: gnuplot is needed (scripts/deps.sh)"; exit 77; }
printf 'TCP 1 stream, Gbit/s\tptnet\t13.8\t13.5\t13.9\nTCP 1 stream, Gbit/s\tveth\t19.9\t16.2\t21.1\nping RTT avg, us\tptnet\t62\t58\t95\nping RTT avg, us\tveth\t7\t6\t7\n' >"$T/t.tsv"
check "plot.py writes a picture" python3 "$ROOT/bench/plot.py" "$T/t.tsv" "$T/t.png" "test"
check_eq "it is a PNG" "$(head -c 8 "$T/t.png" | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a
check "of some size" test "$(stat -c %s "$T/t.png")" -gt 2000
printf 'no rows here\n' >"$T/bad.tsv"
check "a table without rows is an error" eval "! python3 $ROOT/bench/plot.py $T/bad.tsv $T/bad.png 2>/dev/null"
finish
