# SPDX-License-Identifier: BSD-2-Clause
# lib.sh - shared helpers of the integration tests (tests/integ/NN-name.sh).
#
# Sourcing it: picks the binaries (PTNETD from the ASan build when there is
# one, PTNETCTL and the test clients from the release build; override with
# PTNETD, PTNETCTL, TBIN, or BUILD/ASAN), makes a private temp dir $T with
# the control socket in it (exported as PTNET_SOCKET), and arranges that
# everything started through these helpers is stopped on exit, also when
# the runner's timeout sends SIGTERM.  Missing binaries or python3: exit 77.
#
# Every assertion is its own statement with its own status (check, ...);
# failures are counted and `finish` turns them into the exit status, after
# stopping ptnetd and checking that it exited 0 on SIGTERM with no
# sanitizer report and no socket left behind.

set -u
ulimit -c 0

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
ASAN=${ASAN:-build-asan}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
case $ASAN in /*) ;; *) ASAN=$ROOT/$ASAN ;; esac
if [ -z "${PTNETD:-}" ]; then
	PTNETD=$ASAN/bin/ptnetd
	[ -x "$PTNETD" ] || PTNETD=$BUILD/bin/ptnetd
fi
PTNETCTL=${PTNETCTL:-$BUILD/bin/ptnetctl}
TBIN=${TBIN:-$BUILD/tests/bin}
TEST_NAME=$(basename "$0" .sh)

for _b in "$PTNETD" "$PTNETCTL" "$TBIN/tb-send" "$TBIN/tb-recv" "$TBIN/tb-port" "$TBIN/tb-learn"; do
	if [ ! -x "$_b" ]; then
		echo "SKIP: $_b not built (run make and make SANITIZE=address)"
		exit 77
	fi
done
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 is needed to read ptnetctl --json"
	exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/ptnet-$TEST_NAME.XXXXXX") || exit 1
export PTNET_SOCKET=$T/ptnetd.sock
FAILS=0
PTNETD_PID=
declare -A BG=()

# Sanitizer settings for ptnetd (and anything else instrumented).
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

echo "# $TEST_NAME: ptnetd=$PTNETD clients=$TBIN tmp=$T"

log() { echo "# $(date +%H:%M:%S.%N | cut -c1-12) $*"; }
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; FAILS=$((FAILS + 1)); }

# check DESCRIPTION COMMAND...: one assertion.
check() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# check_eq DESCRIPTION GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1: got '$2', want '$3'"; fi
}

# wait_until SECONDS COMMAND...: poll COMMAND every 20 ms until it succeeds.
# Gives up at once if ptnetd died meanwhile (nothing will change then).
wait_until() {
	local limit=$1 end
	shift
	end=$(($(date +%s%N) + limit * 1000000000))
	while ! "$@"; do
		if [ -n "$PTNETD_PID" ] && ! kill -0 "$PTNETD_PID" 2>/dev/null; then
			"$@" && return 0	# (maybe we were waiting for just that)
			echo "# ptnetd is gone: not waiting for: $*"
			return 1
		fi
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.02
	done
	return 0
}

alive() { kill -0 "$1" 2>/dev/null; }
# cpu_ticks PID: utime + stime of a process, in clock ticks (the comm field
# may hold spaces: fields are counted after its closing parenthesis)
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# pin_setup: for the tests of --pin-workers.  Skips (77) without curl,
# taskset, two CPUs or ptnet-pktgen; sets C0 and C1 (the first two CPUs this
# test may use), PKTGEN and MSOCK (for --metrics), and defines
# metric NAME WORKER: the value of a worker's sample, or "none".
pin_setup() {
	local cpus
	command -v curl >/dev/null || { echo "SKIP: curl is needed (apt-get install curl)"; exit 77; }
	command -v taskset >/dev/null || { echo "SKIP: taskset is needed (util-linux)"; exit 77; }
	mapfile -t cpus < <(python3 -c 'import os; print("\n".join(map(str, sorted(os.sched_getaffinity(0)))))')
	[ "${#cpus[@]}" -ge 2 ] || { echo "SKIP: needs 2 CPUs, has ${#cpus[@]}"; exit 77; }
	C0=${cpus[0]} C1=${cpus[1]}
	PKTGEN=$BUILD/bin/ptnet-pktgen
	[ -x "$PKTGEN" ] || { echo "SKIP: ptnet-pktgen not built"; exit 77; }
	MSOCK=$T/metrics.sock
}
metric() {
	curl -sS --max-time 10 --unix-socket "$MSOCK" http://localhost/metrics 2>/dev/null |
		sed -n "s/^$1{worker=\"$2\"} //p" | grep . || echo none
}

ctl_ok() { "$PTNETCTL" list >/dev/null 2>&1; }

# start_ptnetd [ARGS...]: start ptnetd on $PTNET_SOCKET and wait until it answers.
start_ptnetd() {
	"$PTNETD" -s "$PTNET_SOCKET" "$@" 2>>"$T/ptnetd.err" &
	PTNETD_PID=$!
	if ! wait_until 20 ctl_ok; then
		fail "ptnetd did not come up on $PTNET_SOCKET"
		sed 's/^/# ptnetd: /' "$T/ptnetd.err"
		exit 1
	fi
	log "ptnetd pid $PTNETD_PID up"
}

sanitizer_clean() {
	! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|WARNING: ThreadSanitizer' \
		"$1" 2>/dev/null
}

# wait_exit PID SECONDS: wait for a child of this shell to exit; its status
# goes to $RC (124 if it did not exit in time; it is left running then).
# Not usable inside $(...): only the shell that started a child can reap it.
RC=
wait_exit() {
	local pid=$1
	RC=0
	if ! wait_until "$2" eval "! alive $pid"; then
		RC=124
		return
	fi
	wait "$pid" 2>/dev/null || RC=$?
}

# stop_ptnetd: SIGTERM, then the checks every test wants.
stop_ptnetd() {
	local rc
	[ -n "$PTNETD_PID" ] || return 0
	kill -TERM "$PTNETD_PID" 2>/dev/null
	wait_exit "$PTNETD_PID" 30
	rc=$RC
	if [ "$rc" = 124 ]; then
		kill -KILL "$PTNETD_PID" 2>/dev/null
		wait "$PTNETD_PID" 2>/dev/null
	fi
	PTNETD_PID=
	check_eq "ptnetd exits 0 on SIGTERM" "$rc" 0
	check "ptnetd stderr has no sanitizer report" sanitizer_clean "$T/ptnetd.err"
	check "ptnetd removed its socket" test ! -e "$PTNET_SOCKET"
}

# spawn NAME COMMAND...: start a client in the background, output in $T/NAME.{out,err}.
spawn() {
	local name=$1
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.err" &
	BG[$name]=$!
	log "started $name (pid ${BG[$name]}): $*"
}

has_line() { grep -qE "$2" "$T/$1.out" 2>/dev/null; }

# wait_line NAME REGEX SECONDS: until client NAME printed a matching line.
wait_line() {
	local name=$1 re=$2 limit=$3 end
	end=$(($(date +%s%N) + limit * 1000000000))
	while ! has_line "$name" "$re"; do
		if [ -n "$PTNETD_PID" ] && ! alive "$PTNETD_PID"; then
			sleep 0.2	# let the client print what it has
			has_line "$name" "$re" && return 0
			echo "# ptnetd is gone: not waiting for $name to print /$re/"
			return 1
		fi
		if ! alive "${BG[$name]}"; then
			has_line "$name" "$re" && return 0
			echo "# $name exited before printing /$re/"
			return 1
		fi
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.02
	done
}

# wait_bg NAME SECONDS: exit status of client NAME into $RC (124: it did not
# end in time and was killed).
wait_bg() {
	wait_exit "${BG[$1]}" "$2"
	if [ "$RC" = 124 ]; then
		kill -KILL "${BG[$1]}" 2>/dev/null
		wait "${BG[$1]}" 2>/dev/null
	fi
	unset "BG[$1]"
}

# show NAME: a client's output, into the test log.
show() {
	sed "s/^/# $1.out: /" "$T/$1.out" 2>/dev/null
	sed "s/^/# $1.err: /" "$T/$1.err" 2>/dev/null
}

# ctr PORT FIELD: one counter of a port (or switch) from ptnetctl --json stats.
ctr() {
	"$PTNETCTL" --json stats 2>/dev/null | python3 -c '
import json, sys
name, field = sys.argv[1], sys.argv[2]
for r in json.load(sys.stdin):
    if r.get("name") == name:
        print(r.get(field, "none"))
        break
else:
    print("none")
' "$1" "$2"
}

# stat_expr PYTHON-EXPR: evaluate an expression over the counters:
# s["vale0:a"]["tx_packets"], drops("vale0:a") (sum of drop_*), or
# S("vale0:a", "tx_packets") which is 0 for a port that is not there.
stat_expr() {
	"$PTNETCTL" --json stats 2>/dev/null | python3 -c '
import json, sys
s = {r["name"]: r for r in json.load(sys.stdin)}
def S(n, f):
    return s.get(n, {}).get(f, 0)
def drops(n):
    return sum(v for k, v in s.get(n, {}).items() if k.startswith("drop_"))
print(eval(sys.argv[1]))
' "$1"
}

# expect_ctr DESCRIPTION PORT FIELD WANT: counters are published once per
# batch, shortly after the slots: wait (bounded) for WANT, then assert it.
ctr_is() { [ "$(ctr "$1" "$2")" = "$3" ]; }
expect_ctr() {
	wait_until 10 ctr_is "$2" "$3" "$4"
	check_eq "$1" "$(ctr "$2" "$3")" "$4"
}

# mac_of NAME: the MAC a client printed on its READY line.
mac_of() { sed -n 's/^READY mac=\([^ ]*\).*/\1/p' "$T/$1.out"; }

# line_of NAME REGEX: the last matching line a client printed.
line_of() { grep -E "$2" "$T/$1.out" | tail -n 1; }

# wait_stat SECONDS PYTHON-EXPR: poll until the expression is true.
stat_true() { [ "$(stat_expr "$1" 2>/dev/null)" = True ]; }
wait_stat() { wait_until "$1" stat_true "$2"; }

# port_listed NAME: is the port in ptnetctl list?
port_listed() {
	"$PTNETCTL" --json list 2>/dev/null | python3 -c '
import json, sys
sys.exit(0 if any(r.get("name") == sys.argv[1] for r in json.load(sys.stdin)) else 1)
' "$1"
}

# The good pair: a tb-canary sender (client gt, port vale0:gt) sending
# verified unicast frames to a tb-canary receiver (gr, vale0:gr) while a
# test abuses ptnetd some other way; its traffic must come through
# undisturbed.  The per-run canary is in $CANARY.
#   good_pair_start [@conf:...]  start both (CONF for both ports), check
#                                that they are ready and traffic flows
#   good_pair_flush              the sender stops sending (stays attached)
#   good_pair_check              (flushes first if not done yet) the sender's
#                                tx_packets is what it sent, and every frame
#                                is delivered or dropped at the receiver
#   good_pair_stop               stop both: the receiver saw nothing corrupt,
#                                reordered or foreign; the sender exits 0
GOOD_FLUSHED=
good_pair_start() {
	local conf=${1:-}
	CANARY=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	GOOD_FLUSHED=
	spawn gr "$TBIN/tb-canary" rx -p "vale0:gr$conf" -c "$CANARY"
	check "good receiver ready" wait_line gr '^READY' 20
	spawn gt "$TBIN/tb-canary" tx -p "vale0:gt$conf" -d "$(mac_of gr)" -c "$CANARY" \
		-s 60-1514 -R 20000 --hold
	check "good sender ready" wait_line gt '^READY' 20
	check "good traffic flows" wait_stat 20 "S('vale0:gr','rx_packets') > 1000"
}
good_pair_flush() {
	kill -USR1 "${BG[gt]}"
	check "good sender flushed" wait_line gt '^SENT' 30
	GOOD_FLUSHED=1
}
good_pair_check() {
	local sent
	[ -n "$GOOD_FLUSHED" ] || good_pair_flush
	sent=$(sed -n 's/^SENT frames=\([0-9]*\).*/\1/p' "$T/gt.out")
	expect_ctr "good sender's tx_packets" vale0:gt tx_packets "$sent"
	check "good pair's books balance" wait_stat 20 "S('vale0:gt','tx_packets') == \
S('vale0:gr','rx_packets') + S('vale0:gr','drop_ring_full') + S('vale0:gr','drop_bad_ring')"
}
good_pair_stop() {
	kill -TERM "${BG[gr]}"
	wait_bg gr 20
	check_eq "good receiver: nothing corrupt, reordered or foreign" "$RC" 0
	show gr
	kill -TERM "${BG[gt]}"
	wait_bg gt 20
	check_eq "good sender exit status" "$RC" 0
}

cleanup() {
	local pid
	for pid in "${BG[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${BG[@]}"; do
		wait_until 5 eval "! alive $pid" || kill -KILL "$pid" 2>/dev/null
	done
	if [ -n "$PTNETD_PID" ]; then
		kill -TERM "$PTNETD_PID" 2>/dev/null
		wait_until 10 eval "! alive $PTNETD_PID" || kill -KILL "$PTNETD_PID" 2>/dev/null
	fi
	if [ "$FAILS" -gt 0 ] && [ -s "$T/ptnetd.err" ]; then
		echo "# last lines of ptnetd's stderr:"
		tail -n 20 "$T/ptnetd.err" | sed 's/^/# ptnetd: /'
	fi
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'echo "# interrupted"; exit 143' TERM
trap 'echo "# interrupted"; exit 130' INT

# finish: stop ptnetd (with its checks) and exit with the verdict.
finish() {
	stop_ptnetd
	if [ "$FAILS" -gt 0 ]; then
		echo "$TEST_NAME: $FAILS check(s) failed"
		exit 1
	fi
	echo "$TEST_NAME: all checks passed"
	exit 0
}
