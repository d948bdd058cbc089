#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ptnetd --metrics: only loopback addresses and absolute UNIX paths are
# accepted; GET /metrics is served on a UNIX socket (mode 0600, removed at
# exit), on 127.0.0.1 and on [::1] (when the host has IPv6 loopback), and
# the page passes promtool check metrics.  While traffic flows, every
# counter only grows between scrapes and the scraped tx_packets lies
# between the ptnetctl stats read around it; once the sender stopped, its
# metric equals what it sent and ptnetctl's counter exactly; the drop
# reasons are ptnetd's drop_* counters; the MAC table gauge matches
# ptnetctl fdb; the workers' batch histogram adds up to the frames the
# switch took.  HTTP: 404, 405, HEAD, HTTP/1.0, an oversized request, a
# client that stalls (dropped, and the daemon serves others meanwhile), the
# client limit.  Idle stays idle with --metrics on.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || { echo "SKIP: curl is needed (apt-get install curl)"; exit 77; }
if ! command -v promtool >/dev/null; then
	echo "SKIP: promtool is needed (apt-get install prometheus; see scripts/deps.sh)"
	exit 77
fi

# prom FILE EXPR: evaluate a python expression over a scraped page:
# v("name", label=value, ...) is one sample's value (None if absent),
# sum_of("name", label=value...) sums the matching samples, S is the list
# of (name, labels, value).
cat >"$T/prom.py" <<'PY'
import re, sys
S = []
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$', line.strip())
    if not m:
        sys.exit("unparsable line: " + line)
    labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
    S.append((m.group(1), labels, float(m.group(3))))
def match(name, want):
    return [x for x in S if x[0] == name and all(x[1].get(k) == v for k, v in want.items())]
def v(name, **want):
    m = match(name, want)
    return m[0][2] if len(m) == 1 else None
def sum_of(name, **want):
    return sum(x[2] for x in match(name, want))
print(eval(sys.argv[2]))
PY
prom() { python3 "$T/prom.py" "$@"; }
scrape() {	# scrape OUT [CURL ARGS...] (URL from $URL)
	local out=$1
	shift
	curl -sS --max-time 10 "$@" "$URL" -o "$out"
}

# --- addresses ---
for bad in 0.0.0.0:9100 192.168.1.1:9100 '[::]:9100' '[2001:db8::1]:80' example.org:80 \
	relative/path 127.0.0.1:99999 127.0.0.1; do
	"$PTNETD" -s "$T/never.sock" --metrics "$bad" >"$T/bad.out" 2>&1
	rc=$?
	check_eq "--metrics $bad is refused (exit 2)" "$rc" 2
	check "... with a message naming what is accepted" \
		grep -qE "loopback|UNIX socket path|bad port" "$T/bad.out"
done
check "the refused daemons left no socket" test ! -e "$T/never.sock"

# --- UNIX socket, with traffic ---
MSOCK=$T/metrics.sock
URL=http://localhost/metrics
start_ptnetd -w 2 --metrics "$MSOCK"
check "metrics socket is mode 600" test "$(stat -c %a "$MSOCK")" = 600
check "vale0 made persistent (its totals outlive the ports)" "$PTNETCTL" switch add vale0
good_pair_start

check "scrape over the UNIX socket" scrape "$T/m1" --unix-socket "$MSOCK"
promtool check metrics <"$T/m1" >"$T/promtool.out" 2>&1
check_eq "promtool check metrics accepts the page" "$?" 0
sed 's/^/# promtool: /' "$T/promtool.out"
check "every family has HELP and TYPE" python3 - "$T/m1" <<'PY'
import sys
help_, type_, names = set(), set(), set()
for l in open(sys.argv[1]):
    if l.startswith("# HELP "): help_.add(l.split()[2])
    elif l.startswith("# TYPE "): type_.add(l.split()[2])
    elif l.strip():
        n = l.split("{")[0].split(" ")[0]
        for suf in ("_bucket", "_sum", "_count"):
            if n.endswith(suf) and n[: -len(suf)] in type_:
                n = n[: -len(suf)]
        names.add(n)
missing = sorted(n for n in names if n not in help_ or n not in type_)
print("missing HELP/TYPE:", missing)
sys.exit(1 if missing else 0)
PY
c1=$(ctr vale0:gt tx_packets)
check "scrape again" scrape "$T/m2" --unix-socket "$MSOCK"
c2=$(ctr vale0:gt tx_packets)
check "scrape once more" scrape "$T/m3" --unix-socket "$MSOCK"
m2=$(prom "$T/m2" 'int(v("ptnet_port_tx_packets_total", switch="vale0", port="gt", kind="passthrough"))')
m3=$(prom "$T/m3" 'int(v("ptnet_port_tx_packets_total", switch="vale0", port="gt", kind="passthrough"))')
log "gt tx_packets: stats $c1, metric $m2, stats $c2, metric $m3"
check "stats before <= metric <= stats after ($c1 <= $m2 <= $c2)" test "$c1" -le "$m2" -a "$m2" -le "$c2"
check "metric after stats >= stats ($m3 >= $c2)" test "$m3" -ge "$c2"
check "counters only grow (every _total, _bucket, _sum and _count of m1 <= m3)" python3 - "$T/m1" "$T/m3" <<'PY'
import re, sys
def load(f):
    d = {}
    for l in open(f):
        if l.startswith("#") or not l.strip(): continue
        k, val = l.rsplit(" ", 1)
        d[k] = float(val)
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
bad = [k for k in a if re.search(r"(_total|_bucket|_sum|_count)(\{|$)", k) and (k not in b or b[k] < a[k])]
print("shrunk or vanished:", bad[:5])
sys.exit(1 if bad else 0)
PY
check "the sender's counter grew while traffic flows" wait_until 10 eval \
	"scrape $T/m4 --unix-socket $MSOCK && test \$(prom $T/m4 'int(v(\"ptnet_port_tx_packets_total\", port=\"gt\"))') -gt $m3"

# Drop reasons: one family, one reason per drop_* counter of ptnetd.
want=$("$PTNETCTL" --json stats vale0:gt | python3 -c '
import json, sys
print(" ".join(sorted(k[5:] for k in json.load(sys.stdin)[0] if k.startswith("drop_"))))')
got=$(prom "$T/m3" '" ".join(sorted(x[1]["reason"] for x in S if x[0] == "ptnet_port_drops_total" and x[1]["port"] == "gt"))')
check_eq "drop reasons of a port are ptnetd's drop_* counters" "$got" "$want"
check "the receiver's no_dest drops (its self-addressed hellos) are a labelled sample" \
	test "$(prom "$T/m3" 'v("ptnet_port_drops_total", port="gr", reason="no_dest") > 0')" = True
check_eq "MAC table occupancy is what ptnetctl fdb shows" \
	"$(prom "$T/m3" 'int(v("ptnet_switch_fdb_entries", switch="vale0"))')" \
	"$("$PTNETCTL" --json fdb vale0 | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')"
check "workers were busy" test "$(prom "$T/m3" 'sum_of("ptnet_worker_busy_seconds_total") > 0')" = True
check "worker histogram buckets are cumulative, +Inf = count" python3 - "$T/m3" <<'PY'
import re, sys
b, c = {}, {}
for l in open(sys.argv[1]):
    m = re.match(r'ptnet_worker_batch_slots_bucket\{worker="(\d+)",le="([^"]+)"\} (\d+)', l)
    if m: b.setdefault(m.group(1), []).append((m.group(2), int(m.group(3))))
    m = re.match(r'ptnet_worker_batch_slots_count\{worker="(\d+)"\} (\d+)', l)
    if m: c[m.group(1)] = int(m.group(2))
ok = bool(b) and all([v for _, v in s] == sorted(v for _, v in s) and s[-1][0] == "+Inf"
                     and s[-1][1] == c[w] for w, s in b.items())
sys.exit(0 if ok else 1)
PY

good_pair_flush
sent=$(sed -n 's/^SENT frames=\([0-9]*\).*/\1/p' "$T/gt.out")
expect_ctr "stats: the finished sender's tx_packets" vale0:gt tx_packets "$sent"
check "scrape after the sender finished" scrape "$T/m5" --unix-socket "$MSOCK"
check_eq "metric: the finished sender's tx_packets is exactly what it sent" \
	"$(prom "$T/m5" 'int(v("ptnet_port_tx_packets_total", switch="vale0", port="gt", kind="passthrough"))')" "$sent"
check_eq "metric: its tx_bytes is ptnetctl's" \
	"$(prom "$T/m5" 'int(v("ptnet_port_tx_bytes_total", port="gt"))')" "$(ctr vale0:gt tx_bytes)"
good_pair_check
good_pair_stop
check "scrape with the pair gone" scrape "$T/m6" --unix-socket "$MSOCK"
check_eq "the workers' batches add up to every frame vale0 took" \
	"$(prom "$T/m6" 'int(sum_of("ptnet_worker_batch_slots_sum"))')" \
	"$(prom "$T/m6" 'int(v("ptnet_switch_tx_packets_total", switch="vale0"))')"
check_eq "... and the switch total is ptnetctl's" \
	"$(prom "$T/m6" 'int(v("ptnet_switch_tx_packets_total", switch="vale0"))')" "$(ctr vale0 tx_packets)"

# --- HTTP odds and ends ---
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 --unix-socket "$MSOCK" "$@"; }
check_eq "GET /other is 404" "$(code http://localhost/other)" 404
check_eq "POST /metrics is 405" "$(code -X POST http://localhost/metrics)" 405
check_eq "HTTP/1.0 GET is 200" "$(code --http1.0 http://localhost/metrics)" 200
check_eq "GET /metrics?x=1 is 200" "$(code 'http://localhost/metrics?x=1')" 200
curl -sS -I --max-time 10 --unix-socket "$MSOCK" "$URL" >"$T/head.out" 2>&1
check "HEAD is 200 with the exposition content type" \
	grep -q 'Content-Type: text/plain; version=0.0.4' "$T/head.out"

PTNETCTL=$PTNETCTL python3 - "$MSOCK" >"$T/http.out" 2>&1 <<'PY'
import socket, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    return s
def reply(s):
    data = b""
    while True:
        d = s.recv(65536)
        if not d: return data
        data += d
fails = 0
def check(desc, ok):
    global fails
    print(("ok   " if ok else "FAIL ") + desc)
    fails += not ok
# An oversized request head: an error status, then the connection closes.
s = conn()
s.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000)
r = reply(s)
check("oversized request head: 431 (%r)" % r[:40], r.startswith(b"HTTP/1.1 431"))
# 16 stalled clients: the control socket is still served; a 17th waits in
# the backlog and is answered once a stalled one was dropped (deadline).
import os, subprocess
stalled = [conn() for _ in range(16)]
rc = subprocess.call([os.environ["PTNETCTL"], "list"], stdout=subprocess.DEVNULL)
check("ptnetctl list answered while 16 metrics clients stall", rc == 0)
extra = conn()
extra.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
r = reply(extra)
check("17th client answered later (%r)" % r[:20], r.startswith(b"HTTP/1.0 200 OK"))
def gone(s):
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
n = sum(gone(s) for s in stalled)
check("... after stalled clients were dropped (%d of 16 by then)" % n, n >= 1)
for s in stalled:
    s.setblocking(True)
    s.settimeout(20)
closed = sum(1 for s in stalled if reply(s) == b"")
check("every stalled client is dropped (%d)" % closed, closed == 16)
s = conn()
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
r = reply(s)
check("served again afterwards", r.startswith(b"HTTP/1.1 200 OK"))
sys.exit(1 if fails else 0)
PY
rc=$?
cat "$T/http.out"
check_eq "HTTP limits (oversize, stall, client limit)" "$rc" 0

# --- idle stays idle, with --metrics on and a scrape done ---
spawn h "$TBIN/tb-port" hold vale0:h
check "idle client attached" wait_line h '^READY' 20
check "a scrape before the idle period" scrape "$T/m7" --unix-socket "$MSOCK"
sleep 0.5	# far longer than any polling window
hz=$(getconf CLK_TCK)
t0=$(cpu_ticks "$PTNETD_PID")
sleep 2
t1=$(cpu_ticks "$PTNETD_PID")
used=$((t1 - t0))
check "idle ptnetd with --metrics used < 0.04 s of CPU in 2 s ($used ticks at $hz Hz)" \
	test $((used * 100)) -lt $((4 * hz))
check "scrape after the idle period" scrape "$T/m8" --unix-socket "$MSOCK"
check "sleep time grew while idle" test "$(prom "$T/m8" \
	'sum_of("ptnet_worker_sleep_seconds_total") > 1.5 + '"$(prom "$T/m7" 'sum_of("ptnet_worker_sleep_seconds_total")')")" = True
kill -TERM "${BG[h]}"
wait_bg h 20
stop_ptnetd
check "the metrics socket is removed at exit" test ! -e "$MSOCK"

# --- TCP on 127.0.0.1 and [::1] (port 0: the one ptnetd logs) ---
tcp_round() {	# tcp_round ADDR URL-HOST
	: >"$T/ptnetd.err"
	start_ptnetd -w 1 --metrics "$1"
	port=$(sed -n 's#.*metrics on http://.*:\([0-9]*\)/metrics.*#\1#p' "$T/ptnetd.err")
	check "ptnetd logged its metrics port ($port)" test -n "$port"
	URL="http://$2:$port/metrics"
	good_pair_start
	check "scrape over TCP $URL" scrape "$T/t1" -g
	promtool check metrics <"$T/t1" >/dev/null 2>&1
	check_eq "promtool accepts the TCP page" "$?" 0
	good_pair_flush
	sent=$(sed -n 's/^SENT frames=\([0-9]*\).*/\1/p' "$T/gt.out")
	expect_ctr "stats: the finished sender's tx_packets" vale0:gt tx_packets "$sent"
	check "scrape over TCP again" scrape "$T/t2" -g
	check_eq "TCP metric of the finished sender is exact" \
		"$(prom "$T/t2" 'int(v("ptnet_port_tx_packets_total", port="gt"))')" "$sent"
	good_pair_stop
	stop_ptnetd
}
tcp_round 127.0.0.1:0 127.0.0.1
if python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	tcp_round '[::1]:0' '[::1]'
else
	log "no IPv6 loopback here: [::1] not tried"
fi
finish
