#!/usr/bin/env bash
# demo.sh - install dependencies, build, then run a switch with traffic
# through it: ptnetd, a receiver on vale0:rx and a sender on vale0:tx for a
# few seconds with live rates (the tools' lines and, side by side, what ptnetd
# counts for sender and receiver each second), then the summaries and counters.
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

# A persistent switch: its counters (ports that left included) outlive the ports.
build/bin/ptnetctl switch add vale0
echo "== ptnetd is up; receiver on vale0:rx, sender on vale0:tx, ${len}-byte frames, ${secs}s =="
# The tools' own lines, live (line-buffered through the pipes).
stdbuf -oL -eL build/bin/ptnet-pktgen -i vale0:rx -f rx -d $((secs + 2)) -W 2>&1 |
	stdbuf -oL sed 's/^/[rx] /' &
pids+=($!)
for _ in $(seq 100); do build/bin/ptnetctl list 2>/dev/null | grep -q vale0:rx && break; sleep 0.05; done
stdbuf -oL -eL build/bin/ptnet-pktgen -i vale0:tx -f tx -l "$len" -d "$secs" 2>&1 |
	stdbuf -oL sed 's/^/[tx] /' &
tx=$!
pids+=($tx)
# Sender and receiver side by side, every second, from ptnetd's own counters.
python3 -u - "$secs" <<'PY' &
import json, subprocess, sys, time
def snap():
    out = subprocess.run(["build/bin/ptnetctl", "--json", "stats"], capture_output=True, text=True).stdout
    return {r["name"]: r for r in json.loads(out or "[]")}
last, t0 = snap(), time.time()
for i in range(int(sys.argv[1]) + 1):
    time.sleep(1)
    now = snap()
    def rate(port, keys):
        if port not in now or port not in last:
            return "       -"	# not attached (yet, or any more)
        return "%8.3f" % (sum(now[port][k] - last[port][k] for k in keys) / 1e6)
    rx = now.get("vale0:rx", last.get("vale0:rx", {}))
    print("[rates] %3ds   sent %s Mpps   received %s Mpps   dropped at rx %s Mpps"
          % (round(time.time() - t0), rate("vale0:tx", ["tx_packets"]),
             rate("vale0:rx", ["rx_packets"]), rate("vale0:rx", [k for k in rx if k.startswith("drop_")])))
    last = now
PY
pids+=($!)
wait "$tx" || true
wait "${pids[1]}" || true
wait "${pids[3]}" || true
echo
echo "== switch counters (ptnetctl stats) =="
build/bin/ptnetctl stats
