#!/usr/bin/env bash
# demo.sh - install dependencies, build, then run a switch with traffic
# through it: ptnetd, a receiver on vale0:rx and a sender on vale0:tx for a
# few seconds with live rates, then both summaries and the switch counters.
#   scripts/demo.sh [SECONDS] [FRAME_LEN]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
len=${2:-60}

scripts/deps.sh
make -s -j"$(nproc 2>/dev/null || echo 2)"

dir=$(mktemp -d /tmp/ptnet-demo.XXXXXX)
export PTNET_SOCKET=$dir/ptnetd.sock
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

build/bin/ptnetd -q &
pids+=($!)
for _ in $(seq 100); do [ -S "$PTNET_SOCKET" ] && break; sleep 0.05; done
[ -S "$PTNET_SOCKET" ] || { echo "demo: ptnetd did not start" >&2; exit 1; }

echo "== ptnetd is up; receiver on vale0:rx, sender on vale0:tx, ${len}-byte frames, ${secs}s =="
build/bin/ptnet-pktgen -i vale0:rx -f rx -d $((secs + 2)) -W 2>&1 | sed 's/^/[rx] /' &
pids+=($!)
for _ in $(seq 100); do build/bin/ptnetctl list 2>/dev/null | grep -q vale0:rx && break; sleep 0.05; done
build/bin/ptnet-pktgen -i vale0:tx -f tx -l "$len" -d "$secs" 2>&1 | sed 's/^/[tx] /'
wait "${pids[1]}" || true
echo
echo "== switch counters (ptnetctl stats) =="
build/bin/ptnetctl stats
