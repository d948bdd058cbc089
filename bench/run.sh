#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# run.sh - the ptnet benchmark: ptnet (ptnetd + ptnet-pktgen over vale0) side
# by side with the Linux kernel (kudp over a veth pair and over a Linux
# bridge), with the netmap-API path (tests/netmap/nm-gen through
# libptnet-netmap.so) and with a bare shared-memory ping-pong (bench/shmpp.c),
# interleaved and repeated in one run; with --peers also DPDK memif (copy
# mode, dpdk-testpmd txonly -> rxonly); and netmap pipes (tests/netmap/nm-pipe
# src -> sink through the preload, zero copy, no ptnetd thread) beside DPDK
# memif zero-copy (two dpdk-testpmd, with --memif or --peers).
# See bench/README.md.
#
#	sudo bench/run.sh [-r REPS] [-d SECONDS] [-n PING_COUNT] [--pin] [--peers]
#	                  [--kernel-only] [--ptnetd-args "ARGS"] [--wait-quiet S] [-o DIR]
#	                  [--memif] [--pipe-only]
#
# Prints the environment, the command line and a table of medians, spreads
# (min..max), ratios ptnet/kernel and the targets.  Raw JSON lines go to
# bench/results/<timestamp>/.

set -u

usage() {
	cat <<EOF
usage: $0 [-r REPS] [-d SECONDS] [-n PING_COUNT] [--pin] [--peers] [--kernel-only]
          [--ptnetd-args "ARGS"] [--wait-quiet S] [-o DIR]
  -r REPS        repetitions of every measurement (default 3)
  -d SECONDS     length of each one-way rate measurement (default 3)
  -n PING_COUNT  ping-pong transactions per RTT measurement (default 20000)
  --pin          client/sender on CPU 0, server/receiver on CPU 1 (taskset), and
                 ptnetd --pin-workers -w 1 (one worker, on CPU 0 beside the sender;
                 --ptnetd-args "-w N" keeps N)
  --peers        also DPDK memif copy mode, and --memif (installs dpdk dpdk-dev librte-net-memif23
                 if missing; the line is skipped, saying so, when it cannot run)
  --kernel-only  skip the ptnet side (kernel baseline only)
  --ptnetd-args "ARGS"  extra ptnetd options, e.g. "-w 1" (default: none)
  --wait-quiet S before each repetition wait up to S seconds for other load < 5 %
  -o DIR         results directory (default bench/results/<timestamp>)
  --memif        also measure the pipes' peer, DPDK memif zero-copy (dpdk-testpmd;
                 installs dpdk dpdk-dev librte-net-memif23 if missing, reserves
                 hugepages for the run and gives them back)
  --pipe-only    only the pipe line (and memif with --memif): no kernel, no switch
Needs root (network namespaces).  Builds with make if binaries are missing.
EOF
}

CMDLINE="$0 $*"
REPS=3
DUR=3
PING_N=20000
PIN=0
KERNEL_ONLY=0
PEERS=0
OUTDIR=
PTNETD_ARGS=
WAIT_QUIET=0
MEMIF=0
PIPE_ONLY=0
while [ $# -gt 0 ]; do
	case "$1" in
	-r) REPS=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	-d) DUR=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	-n) PING_N=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	-o) OUTDIR=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	--ptnetd-args) PTNETD_ARGS=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	--wait-quiet) WAIT_QUIET=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	--pin) PIN=1; shift ;;
	--kernel-only) KERNEL_ONLY=1; shift ;;
	--memif) MEMIF=1; shift ;;
	--pipe-only) PIPE_ONLY=1; shift ;;
	--peers) PEERS=1; MEMIF=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
case "$WAIT_QUIET" in
''|*[!0-9]*) echo "run.sh: --wait-quiet takes seconds (got '$WAIT_QUIET')" >&2; exit 2 ;;
esac
for v in "$REPS" "$DUR" "$PING_N"; do
	case "$v" in
	''|*[!0-9]*|0) echo "run.sh: -r, -d and -n take positive integers (got '$v')" >&2; exit 2 ;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: needs root (it creates network namespaces)" >&2
	exit 77
fi
for tool in ip python3 timeout taskset; do
	command -v $tool >/dev/null || { echo "run.sh: '$tool' not found" >&2; exit 77; }
done

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
cd "$ROOT" || exit 1
# shellcheck source=bench/netns.sh
. "$BENCH_DIR/netns.sh"

PTNETD=$ROOT/build/bin/ptnetd
PKTGEN=$ROOT/build/bin/ptnet-pktgen
PTNETCTL=$ROOT/build/bin/ptnetctl
KUDP=$ROOT/build/bench/kudp
SHMPP=$ROOT/build/bench/shmpp
NMGEN=$ROOT/build/tests/netmap/nm-gen
NMLIB=$ROOT/build/lib/libptnet-netmap.so
NMPIPE=$ROOT/build/tests/netmap/nm-pipe
REPORT=$BENCH_DIR/report.py

# Progress and errors go to the original stderr (fd 9), even from a trap
# that fires while a tool's output is redirected.
exec 9>&2
log() { printf '%s\n' "$*" >&9; }

# ---------------------------------------------------------------- build
need_build=0
[ -x "$KUDP" ] || need_build=1
[ -x "$SHMPP" ] || need_build=1
if [ $KERNEL_ONLY -eq 0 ] && { [ ! -x "$PTNETD" ] || [ ! -x "$PKTGEN" ] ||
	[ ! -x "$NMGEN" ] || [ ! -f "$NMLIB" ]; }; then
	need_build=1
fi
if [ $need_build -eq 1 ]; then
	log "run.sh: building (make)"
	timeout 900 make -j"$(nproc)" >&2 || log "run.sh: make failed (continuing with what exists)"
fi
if [ ! -x "$KUDP" ]; then
	# kudp needs only libc: build it directly if the full build is not ready.
	log "run.sh: building $KUDP directly"
	mkdir -p "$(dirname "$KUDP")"
	cc -std=gnu11 -O2 -g -D_GNU_SOURCE -Wall -Wextra -o "$KUDP" bench/kudp.c -lm ||
		{ log "run.sh: cannot build kudp"; exit 1; }
fi
if [ ! -x "$SHMPP" ]; then
	log "run.sh: building $SHMPP directly"
	cc -std=gnu11 -O2 -g -D_GNU_SOURCE -Iinclude -Wall -Wextra -pthread -o "$SHMPP" \
		bench/shmpp.c || log "run.sh: cannot build shmpp (no bare shared-memory line)"
fi
if [ $KERNEL_ONLY -eq 0 ] && { [ ! -x "$PTNETD" ] || [ ! -x "$PKTGEN" ]; }; then
	log "run.sh: $PTNETD or $PKTGEN missing after make (use --kernel-only for the baseline alone)"
	exit 1
fi

# ---------------------------------------------------------------- state and cleanup
TS=$(date +%Y%m%d-%H%M%S)
RES=${OUTDIR:-$BENCH_DIR/results/$TS}
mkdir -p "$RES" || exit 1
ALL=$RES/all.jsonl
: >"$ALL"
PTNETD_PID=
PTNETD_RESTARTS=0
BG_PIDS=
FAILED=0

# Private copies of the binaries: others may rebuild build/ during the run,
# and a run must not mix versions (say, a new client with an old daemon).
SOCKDIR=$(mktemp -d /tmp/ptnet-bench.XXXXXX) || exit 1
mkdir -p "$SOCKDIR/bin"
snapshot() {
	[ -x "$1" ] || return 0
	cp "$1" "$SOCKDIR/bin/" || { log "run.sh: cannot copy $1"; exit 1; }
	echo "$SOCKDIR/bin/$(basename "$1")"
}
BIN_SUMS=$(cd "$ROOT" && for b in "$PTNETD" "$PKTGEN" "$PTNETCTL" "$KUDP" "$SHMPP" "$NMGEN" "$NMLIB" \
	"$NMPIPE"; do
	[ -f "$b" ] && printf '%s %s %s; ' "${b#"$ROOT"/}" \
		"$(date -r "$b" '+%H:%M:%S')" "$(sha256sum "$b" | cut -c1-12)"
done)
PTNETD=$(snapshot "$PTNETD")
PKTGEN=$(snapshot "$PKTGEN")
PTNETCTL=$(snapshot "$PTNETCTL")
[ -n "$PTNETCTL" ] || PTNETCTL=/nonexistent
KUDP=$(snapshot "$KUDP")
SHMPP=$(snapshot "$SHMPP")
# The netmap-API path: nm-gen with the preload library (a .so: not executable-checked).
NMGEN=$(snapshot "$NMGEN")
NMPIPE=$(snapshot "$NMPIPE")
if [ -f "$NMLIB" ]; then
	cp "$NMLIB" "$SOCKDIR/bin/" || { log "run.sh: cannot copy $NMLIB"; exit 1; }
	NMLIB=$SOCKDIR/bin/$(basename "$NMLIB")
else
	NMLIB=
fi

# kill_wait PID: SIGTERM, up to 3 s grace, then SIGKILL.
kill_wait() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	for i in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

cleanup() {
	local pid
	trap - EXIT INT TERM
	for pid in $BG_PIDS; do
		kill_wait "$pid"
	done
	if [ -n "$PTNETD_PID" ]; then
		[ -x "$PTNETCTL" ] && PTNET_SOCKET=$SOCK timeout 5 "$PTNETCTL" stats \
			>"$RES/ptnetd-stats-end.txt" 2>&1
		kill_wait "$PTNETD_PID"
	fi
	memif_cleanup
	[ -n "$SOCKDIR" ] && rm -rf "$SOCKDIR"
	rm -rf "/var/run/dpdk/ptbS$$" "/var/run/dpdk/ptbC$$"	# testpmd's runtime files
	ptb_netns_cleanup
}
trap cleanup EXIT
trap 'log "run.sh: interrupted"; exit 130' INT TERM

# DPDK memif zero-copy (--memif): hugepages reserved for the run, given back at the end.
HUGE_OLD=
HUGE_DIR=
memif_cleanup() {
	if [ -n "$HUGE_DIR" ]; then
		umount "$HUGE_DIR" 2>/dev/null
		HUGE_DIR=
	fi
	if [ -n "$HUGE_OLD" ]; then
		echo "$HUGE_OLD" >/proc/sys/vm/nr_hugepages 2>/dev/null
		HUGE_OLD=
	fi
}

# bg_start: run "$@" in the background, remember its pid in BG_PID.
bg_start() {
	"$@" &
	BG_PID=$!
	BG_PIDS="$BG_PIDS $BG_PID"
}

# fg_run CMD...: run CMD in the background and wait for it, so that a signal
# to this script is handled (and everything killed) at once, not after CMD.
# CMD must bound its own run time (timeout).  Returns CMD's status.
fg_run() {
	local pid rc
	"$@" &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait "$pid"
	rc=$?
	BG_PIDS=$(printf '%s\n' $BG_PIDS | grep -vx "$pid" | tr '\n' ' ')
	return $rc
}

# stop_tool PID: SIGTERM to the tool that timeout PID runs (and not to
# timeout itself: GNU timeout passes a signal on to the child *and* to its
# process group, i.e. twice, which kills a tool whose handler is
# SA_RESETHAND before it can print its summary).
stop_tool() {
	pkill -TERM -P "$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null
}

# bg_wait PID SECONDS: wait for a background job at most SECONDS, then kill it.
bg_wait() {
	local pid=$1 t=$(($2 * 10)) i rc
	for ((i = 0; i < t; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "run.sh: pid $pid still running after $2 s, killing it"
		kill_wait "$pid"
		rc=124
	else
		wait "$pid" 2>/dev/null
		rc=$?
	fi
	BG_PIDS=$(printf '%s\n' $BG_PIDS | grep -vx "$pid" | tr '\n' ' ')
	return $rc
}

if [ $PIN -eq 1 ]; then
	PIN_CLIENT="taskset -c 0"
	PIN_SERVER="taskset -c 1"
	# ptnetd places each pinned client's forwarding on a worker on its CPU.
	# One worker (unless --ptnetd-args says -w): it serves the sender's (or
	# ping's) ring beside it on CPU 0, the receiver (or pong) keeps CPU 1 to
	# itself; a busy-poll round trip then costs two context switches, not
	# four (bench/README.md).  The one-way lines use one ring either way.
	case " $PTNETD_ARGS " in
	*" -w "* | *" --workers "* | *" --workers="*) ;;
	*) PTNETD_ARGS="-w 1 $PTNETD_ARGS" ;;
	esac
	PTNETD_ARGS="--pin-workers $PTNETD_ARGS"
else
	PIN_CLIENT=
	PIN_SERVER=
fi

# machine_busy_ticks: busy jiffies of the whole machine (all CPUs) from /proc/stat.
machine_busy_ticks() {
	# cpu user nice system idle iowait irq softirq steal guest guest_nice
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# proc_cpu_ticks PID: utime + stime of a process (all its threads).
proc_cpu_ticks() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo $((${12} + ${13}))
}

# pids_cpu_ticks PID...: sum of proc_cpu_ticks.
pids_cpu_ticks() {
	local pid sum=0
	for pid in "$@"; do
		sum=$((sum + $(proc_cpu_ticks "$pid")))
	done
	echo $sum
}

# The per-CPU softirq threads: kernel packet work deferred out of the
# processes' system calls shows up there (and in "machine").
KSOFTIRQD_PIDS=
for p in /proc/[0-9]*; do
	case "$(cat "$p/comm" 2>/dev/null)" in
	ksoftirqd/*) KSOFTIRQD_PIDS="$KSOFTIRQD_PIDS ${p#/proc/}" ;;
	esac
done

CLK_TCK=$(getconf CLK_TCK)
ticks_to_s() { awk -v t="$1" -v h="$CLK_TCK" 'BEGIN { printf "%.3f", t / h }'; }

# udp_wait_bound NS PORT: wait (at most 3 s) until something listens on PORT in NS.
udp_wait_bound() {
	local hex i
	hex=$(printf ':%04X' "$2")
	for i in $(seq 30); do
		ip netns exec "$1" cat /proc/net/udp 2>/dev/null |
			awk -v p="$hex" '{ if (substr($2, length($2) - 4) == p) f = 1 } END { exit !f }' &&
			return 0
		sleep 0.1
	done
	log "run.sh: nothing bound to UDP port $2 in $1 after 3 s"
	return 1
}

# ptnet_wait_port NAME: wait (at most 3 s) until port NAME is attached to ptnetd.
ptnet_wait_port() {
	local i
	if [ ! -x "$PTNETCTL" ]; then
		sleep 0.5
		return 0
	fi
	for i in $(seq 30); do
		timeout 2 "$PTNETCTL" --json list 2>/dev/null | grep -qF "\"name\":\"$1\"" &&
			return 0
		sleep 0.1
	done
	log "run.sh: port $1 did not appear on ptnetd after 3 s"
	return 1
}

# record KEY=VALUE... ROLE=@FILE...: append one JSON line to all.jsonl.
record() {
	python3 "$REPORT" record "$ALL" "$@" || FAILED=$((FAILED + 1))
}

# ---------------------------------------------------------------- environment
{
	echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host:     $(uname -n), kernel $(uname -r) ($(uname -v))"
	echo "cpu:      $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
		"$(nproc) online CPUs"
	echo "commit:   $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(
		git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo ' (dirty tree)')"
	echo "command:  $CMDLINE"
	echo "options:  reps=$REPS duration=${DUR}s ping_count=$PING_N pin=$PIN peers=$PEERS kernel_only=$KERNEL_ONLY" \
		"ptnetd_args='$PTNETD_ARGS' wait_quiet=$WAIT_QUIET"
	echo "binaries: $BIN_SUMS(name, mtime, sha256 prefix; copied for the run)"
	echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15-min load average at start)"
	echo "results:  $RES"
} >"$RES/env.txt"
log "run.sh: results in $RES"

# ---------------------------------------------------------------- set-up
ptb_netns_veth "$$" || { log "run.sh: veth namespaces failed"; exit 1; }
ptb_netns_bridge "$$" || { log "run.sh: bridge namespaces failed"; exit 1; }

SOCK=$SOCKDIR/ptnetd.sock
export PTNET_SOCKET=$SOCK

# ptnetd_start: start ptnetd on $SOCK, wait (at most 5 s) for its socket.
ptnetd_start() {
	local i
	rm -f "$SOCK"
	# shellcheck disable=SC2086 # PTNETD_ARGS is a list of words
	"$PTNETD" -s "$SOCK" $PTNETD_ARGS >>"$RES/ptnetd.log" 2>&1 &
	PTNETD_PID=$!
	for i in $(seq 50); do
		[ -S "$SOCK" ] && break
		kill -0 "$PTNETD_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -S "$SOCK" ] || ! kill -0 "$PTNETD_PID" 2>/dev/null; then
		log "run.sh: ptnetd did not come up on $SOCK within 5 s; its log:"
		tail -20 "$RES/ptnetd.log" >&9
		exit 1
	fi
	log "run.sh: ptnetd pid $PTNETD_PID on $SOCK"
	# A persistent vale0: its counters (of ports that left too) are recorded per run.
	[ -x "$PTNETCTL" ] && PTNET_SOCKET=$SOCK "$PTNETCTL" switch add vale0 >>"$RES/ptnetd.log" 2>&1
}

# ptnetd_check: before each ptnet measurement; a daemon that died (or was
# killed from outside) is logged, counted and restarted.
ptnetd_check() {
	kill -0 "$PTNETD_PID" 2>/dev/null && return 0
	wait "$PTNETD_PID" 2>/dev/null
	log "run.sh: ptnetd (pid $PTNETD_PID) is gone (status $?); last lines of its log:"
	tail -3 "$RES/ptnetd.log" | sed 's/^/    /' >&9
	PTNETD_RESTARTS=$((PTNETD_RESTARTS + 1))
	record test=event event=ptnetd_restart rep="${1:-0}" old_pid="$PTNETD_PID"
	ptnetd_start
}

[ $KERNEL_ONLY -eq 0 ] && ptnetd_start

# ---------------------------------------------------------------- measurements
PORT_RATE=9000
PORT_RTT=9001
PING_MAX_S=20

# rate IMPL FRAME REP: one one-way rate measurement; IMPL = ptnet | netmap | veth | bridge.
rate() {
	local impl=$1 frame=$2 rep=$3 tag rxf txf rxp rc_rx=0 rc_tx=0
	local m0 m1 d0=0 d1=0 k0 k1 t0 t1 ns_tx ns_rx ip payload txrole
	tag=$RES/r$rep-rate$frame-$impl
	case $impl in ptnet | netmap) ptnetd_check "$rep" ;; esac
	rxf=$tag-rx.json
	txf=$tag-tx.json
	# testpmd's sender prints its per-second lines only when its main lcore
	# gets the CPU from its own poller: its figure is optional, the
	# receiver's is the measurement.
	txrole='=@'
	[ "$impl" = memif ] && txrole='=?'
	payload=$((frame - 42))
	m0=$(machine_busy_ticks)
	# ptnetd's CPU is sampled for kernel runs too: it must be ~0 there.
	[ -n "$PTNETD_PID" ] && d0=$(proc_cpu_ticks "$PTNETD_PID")
	# shellcheck disable=SC2086
	k0=$(pids_cpu_ticks $KSOFTIRQD_PIDS)
	t0=$(date +%s.%N)
	if [ "$impl" = ptnet ]; then
		bg_start $PIN_SERVER timeout -k 2 $((DUR + 15)) \
			"$PKTGEN" -i vale0:rx -f rx -d $((DUR + 1)) --json >"$rxf" 2>"$tag-rx.err"
		rxp=$BG_PID
		ptnet_wait_port vale0:rx
		fg_run $PIN_CLIENT timeout -k 2 $((DUR + 15)) \
			"$PKTGEN" -i vale0:tx -f tx -l "$frame" -d "$DUR" --json >"$txf" 2>"$tag-tx.err"
		rc_tx=$?
	elif [ "$impl" = memif ]; then
		memif_rate "$tag" "$rxf" "$txf"
		rc_rx=$MEMIF_RC_RX rc_tx=$MEMIF_RC_TX
	elif [ "$impl" = netmap ]; then
		# Unmodified-netmap-program path: /dev/netmap served by the preload.
		bg_start $PIN_SERVER timeout -k 2 $((DUR + 15)) env LD_PRELOAD="$NMLIB" \
			"$NMGEN" rx -i vale0:nrx -d $((DUR + 1)) >"$rxf" 2>"$tag-rx.err"
		rxp=$BG_PID
		ptnet_wait_port vale0:nrx
		fg_run $PIN_CLIENT timeout -k 2 $((DUR + 15)) env LD_PRELOAD="$NMLIB" \
			"$NMGEN" tx -i vale0:ntx -l "$frame" -d "$DUR" >"$txf" 2>"$tag-tx.err"
		rc_tx=$?
	else
		if [ "$impl" = veth ]; then
			ns_tx=$PTB_VETH_A ns_rx=$PTB_VETH_B ip=$PTB_VETH_IP_B
		else
			ns_tx=$PTB_BR_A ns_rx=$PTB_BR_B ip=$PTB_BR_IP_B
		fi
		bg_start ip netns exec "$ns_rx" $PIN_SERVER timeout -k 2 $((DUR + 15)) \
			"$KUDP" rx --bind "$ip:$PORT_RATE" -d $((DUR + 1)) --json >"$rxf" 2>"$tag-rx.err"
		rxp=$BG_PID
		udp_wait_bound "$ns_rx" $PORT_RATE
		fg_run ip netns exec "$ns_tx" $PIN_CLIENT timeout -k 2 $((DUR + 15)) \
			"$KUDP" tx --to "$ip:$PORT_RATE" -l "$payload" -d "$DUR" --json \
			>"$txf" 2>"$tag-tx.err"
		rc_tx=$?
	fi
	if [ "$impl" != memif ]; then
		bg_wait "$rxp" $((DUR + 20))
		rc_rx=$?
	fi
	# The switch's counters so far (drops by reason), for the record.
	case $impl in ptnet | netmap)
		[ -x "$PTNETCTL" ] && timeout 5 "$PTNETCTL" --json stats vale0 >"$tag-stats.json" 2>&1
		;;
	esac
	t1=$(date +%s.%N)
	m1=$(machine_busy_ticks)
	[ -n "$PTNETD_PID" ] && d1=$(proc_cpu_ticks "$PTNETD_PID")
	[ "$d1" -ge "$d0" ] || d1=$d0	# the daemon died meanwhile
	# shellcheck disable=SC2086
	k1=$(pids_cpu_ticks $KSOFTIRQD_PIDS)
	record rep="$rep" test=rate frame="$frame" impl="$impl" rc_rx=$rc_rx rc_tx=$rc_tx \
		daemon_cpu_s="$(ticks_to_s $((d1 - d0)))" \
		machine_busy_s="$(ticks_to_s $((m1 - m0)))" \
		ksoftirqd_cpu_s="$(ticks_to_s $((k1 - k0)))" \
		wall_s="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" \
		rx=@"$rxf" tx$txrole"$txf"
}

# memif_cmds WAIT TAIL: testpmd's interactive commands: after WAIT seconds
# "show port stats all" (the start of the measured interval), after DUR more
# the same again (its Rx-pps/Tx-pps: the rate over exactly that interval, by
# testpmd's own clock), after TAIL more seconds stop and quit.
memif_cmds() {
	sleep "$1"
	echo "show port stats all"
	sleep "$DUR"
	echo "show port stats all"
	sleep "$2"
	echo stop
	echo quit
}

# memif_rate TAG RXF TXF: DPDK memif in copy mode, no switch: dpdk-testpmd
# rxonly (memif server, main and forwarding lcore on CPU 0) <- testpmd txonly
# (client, CPU 1), 64 B frames (60 B + FCS).  Both start forwarding at once
# (--auto-start) and take their commands from memif_cmds through a FIFO; the
# rate is the receiver's Rx-pps between its two "show port stats" DUR
# seconds apart, the first 4 s after it started (the client's EAL start-up
# and connection take 1-2 s).  Both poll at 100 % for the whole run (about
# DUR + 6 s).  Sets MEMIF_RC_RX / MEMIF_RC_TX.
memif_rate() {
	local tag=$1 rxf=$2 txf=$3 msock=$SOCKDIR/memif.sock srv cli i
	local eal="--no-huge -m 512 --no-pci --log-level=lib.eal:error"
	local opts="-i --auto-start --nb-cores=1 --total-num-mbufs=32768"
	rm -f "$msock" "$SOCKDIR/memif-rx.in" "$SOCKDIR/memif-tx.in"
	mkfifo "$SOCKDIR/memif-rx.in" "$SOCKDIR/memif-tx.in" || { MEMIF_RC_RX=1 MEMIF_RC_TX=1; return; }
	# testpmd's stdin is its FIFO opened read-write (<>, which never blocks),
	# on the "&" command itself (a function's redirection would not reach an
	# asynchronous command: its stdin becomes /dev/null); the writers started
	# after it find a reader.
	# shellcheck disable=SC2086
	timeout -k 5 $((DUR + 40)) "$TESTPMD" --lcores='(0,1)@0' $eal \
		--file-prefix="ptbS$$" \
		--vdev="net_memif0,role=server,socket=$msock,socket-abstract=no" -- \
		$opts --forward-mode=rxonly \
		<>"$SOCKDIR/memif-rx.in" >"$tag-rx.log" 2>"$tag-rx.err" &
	srv=$!
	BG_PIDS="$BG_PIDS $srv"
	bg_start memif_cmds 4 1 >"$SOCKDIR/memif-rx.in"
	for i in $(seq 100); do
		[ -S "$msock" ] && break
		kill -0 "$srv" 2>/dev/null || break
		sleep 0.1
	done
	[ -S "$msock" ] || log "run.sh: the memif server made no socket within 10 s (see $tag-rx.err)"
	# shellcheck disable=SC2086
	timeout -k 5 $((DUR + 40)) "$TESTPMD" --lcores='(0,1)@1' $eal \
		--file-prefix="ptbC$$" \
		--vdev="net_memif0,role=client,socket=$msock,socket-abstract=no" -- \
		$opts --forward-mode=txonly --txpkts=64 \
		<>"$SOCKDIR/memif-tx.in" >"$tag-tx.log" 2>"$tag-tx.err" &
	cli=$!
	BG_PIDS="$BG_PIDS $cli"
	# The sender stops 2 s after the receiver's second look.
	bg_start memif_cmds 3 3 >"$SOCKDIR/memif-tx.in"
	bg_wait "$srv" $((DUR + 45))
	MEMIF_RC_RX=$?
	bg_wait "$cli" 15
	MEMIF_RC_TX=$?
	python3 "$REPORT" testpmd "$tag-rx.log" Rx >"$rxf"
	python3 "$REPORT" testpmd "$tag-tx.log" Tx >"$txf"
}

# memif_ready: with --peers, DPDK's testpmd and its memif driver, installed if
# missing (Debian: dpdk dpdk-dev librte-net-memif23).  Sets TESTPMD or says why not.
memif_ready() {
	TESTPMD=$(command -v dpdk-testpmd || true)
	if [ -z "$TESTPMD" ] || ! dpkg-query -W -f='${Status}' librte-net-memif23 2>/dev/null |
		grep -q "install ok installed"; then
		log "run.sh: --peers: installing dpdk dpdk-dev librte-net-memif23"
		DEBIAN_FRONTEND=noninteractive timeout 600 apt-get -o DPkg::Lock::Timeout=120 \
			install -y -qq --no-install-recommends dpdk dpdk-dev librte-net-memif23 \
			>"$RES/apt-dpdk.log" 2>&1 ||
			log "run.sh: apt-get install of DPDK failed (see $RES/apt-dpdk.log)"
		TESTPMD=$(command -v dpdk-testpmd || true)
	fi
	if [ -z "$TESTPMD" ]; then
		log "run.sh: --peers: no dpdk-testpmd: the DPDK memif line is skipped"
		record test=event event=memif_skipped rep=0 reason="no dpdk-testpmd (see apt-dpdk.log)"
		return 1
	fi
	return 0
}

# rtt IMPL MODE REP: one ping-pong measurement; IMPL = ptnet | veth | shm, MODE = busy | notify.
rtt() {
	local impl=$1 mode=$2 rep=$3 tag pif pof pop rc_ping rc_pong busy="" tmo
	tag=$RES/r$rep-rtt-$mode-$impl
	[ "$impl" = ptnet ] && ptnetd_check "$rep"
	pif=$tag-ping.json
	pof=$tag-pong.json
	[ "$mode" = busy ] && busy=--busy
	# Transactions are bounded by count (-n) and by time (-d PING_MAX_S), so a
	# pathological case (say 4 ms per transaction) cannot stretch the run.
	tmo=$((PING_MAX_S + 20))
	if [ "$impl" = shm ]; then
		# Two threads flipping one cache line, pinned to CPUs 0 and 1 by shmpp itself.
		fg_run timeout -k 2 $tmo "$SHMPP" -n $((PING_N * 10)) -d 5 --json \
			>"$pif" 2>"$tag-ping.err"
		rc_ping=$?
		record rep="$rep" test=rtt mode="$mode" impl=shm rc_ping=$rc_ping ping=@"$pif"
		return
	fi
	if [ "$impl" = ptnet ]; then
		bg_start $PIN_SERVER timeout -k 2 $((tmo + 30)) \
			"$PKTGEN" -i vale0:po -f pong $busy --json >"$pof" 2>"$tag-pong.err"
		pop=$BG_PID
		ptnet_wait_port vale0:po
		fg_run $PIN_CLIENT timeout -k 2 $tmo \
			"$PKTGEN" -i vale0:pi -f ping -n "$PING_N" -d $PING_MAX_S $busy --json >"$pif" 2>"$tag-ping.err"
		rc_ping=$?
	else
		bg_start ip netns exec "$PTB_VETH_B" $PIN_SERVER timeout -k 2 $((tmo + 30)) \
			"$KUDP" pong --bind "$PTB_VETH_IP_B:$PORT_RTT" $busy --json \
			>"$pof" 2>"$tag-pong.err"
		pop=$BG_PID
		udp_wait_bound "$PTB_VETH_B" $PORT_RTT
		fg_run ip netns exec "$PTB_VETH_A" $PIN_CLIENT timeout -k 2 $tmo \
			"$KUDP" ping --to "$PTB_VETH_IP_B:$PORT_RTT" -n "$PING_N" -d $PING_MAX_S \
			$busy --json >"$pif" 2>"$tag-ping.err"
		rc_ping=$?
	fi
	stop_tool "$pop"
	bg_wait "$pop" 5
	rc_pong=$?
	[ "$impl" = ptnet ] && [ -x "$PTNETCTL" ] &&
		timeout 5 "$PTNETCTL" --json stats vale0 >"$tag-stats.json" 2>&1
	record rep="$rep" test=rtt mode="$mode" impl="$impl" rc_ping=$rc_ping rc_pong=$rc_pong \
		ping=@"$pif" pong=?"$pof"
}

# pipe_rate IMPL FRAME REP: one 60-byte rate between the two ends of a pair;
# IMPL = pipe (nm-pipe src -> sink through libptnet-netmap.so, vale0:bp{0 /
# vale0:bp}0) | memif (dpdk-testpmd txonly, zero-copy client -> rxonly server).
# Both pin their sender on CPU 0 and their receiver on CPU 1, as testpmd's
# --lcores do, and both busy-poll.
pipe_rate() {
	local impl=$1 frame=$2 rep=$3 tag rxf txf rxp rc_rx=0 rc_tx=0 m0 m1 sock
	tag=$RES/r$rep-pipe$frame-$impl
	rxf=$tag-rx.json
	txf=$tag-tx.json
	m0=$(machine_busy_ticks)
	if [ "$impl" = pipe ]; then
		ptnetd_check "$rep"
		bg_start taskset -c 1 timeout -k 2 $((DUR + 15)) env LD_PRELOAD="$NMLIB" \
			"$NMPIPE" sink -i 'vale0:bp}0' -s "$DUR" >"$rxf" 2>"$tag-rx.err"
		rxp=$BG_PID
		ptnet_wait_port 'vale0:bp{0'
		fg_run taskset -c 0 timeout -k 2 $((DUR + 15)) env LD_PRELOAD="$NMLIB" \
			"$NMPIPE" src -i 'vale0:bp{0' >"$txf" 2>"$tag-tx.err"
		rc_tx=$?
		bg_wait "$rxp" $((DUR + 20))
		rc_rx=$?
	else
		# The receiver's per-second Rx-pps lines, the first and last dropped.
		sock=$SOCKDIR/memif-$rep.sock
		bg_start timeout -k 2 $((DUR + 30)) dpdk-testpmd --lcores='(0,1)@1' -m 512 \
			--huge-dir="$HUGE_DIR" --single-file-segments --no-pci \
			--file-prefix="ptbms$rep$$" \
			--vdev=net_memif0,role=server,socket="$sock",socket-abstract=no -- \
			--forward-mode=rxonly --stats-period=1 --nb-cores=1 \
			--total-num-mbufs=32768 >"$tag-rx.log" 2>&1 </dev/null
		rxp=$BG_PID
		for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
		fg_run timeout -k 2 $((DUR + 6)) dpdk-testpmd --lcores='(0,1)@0' -m 512 \
			--huge-dir="$HUGE_DIR" --single-file-segments --no-pci \
			--file-prefix="ptbmc$rep$$" \
			--vdev=net_memif0,role=client,socket="$sock",socket-abstract=no,zero-copy=yes \
			-- --forward-mode=txonly --txpkts=$frame --stats-period=1 \
			--nb-cores=1 --total-num-mbufs=32768 >"$tag-tx.log" 2>&1 </dev/null
		rc_tx=$?
		[ "$rc_tx" = 124 ] && rc_tx=0	# txonly runs until its timeout
		stop_tool "$rxp"
		bg_wait "$rxp" 10
		rc_rx=$?
		[ "$rc_rx" = 124 ] || [ "$rc_rx" = 143 ] && rc_rx=0
		python3 - "$tag-rx.log" >"$rxf" <<'PYEOF'
import json, re, sys
v = [int(m.group(1)) for m in re.finditer(r"Rx-pps:\s+(\d+)", open(sys.argv[1], errors="replace").read())]
v = [x for x in v if x > 0][1:-1]
if v:
    print(json.dumps({"tool": "dpdk-testpmd", "mode": "rxonly", "pps": sum(v) / len(v),
                      "seconds": len(v), "packets": sum(v)}))
PYEOF
		echo '{}' >"$txf"
	fi
	m1=$(machine_busy_ticks)
	record rep="$rep" test=pipe frame="$frame" impl="$impl" rc_rx=$rc_rx rc_tx=$rc_tx \
		machine_busy_s="$(ticks_to_s $((m1 - m0)))" rx=@"$rxf" tx=?"$txf"
}

# memif_setup: what the memif peer needs (packages, hugepages, hugetlbfs); 1 if not possible.
memif_setup() {
	local pmd old
	if ! command -v dpdk-testpmd >/dev/null ||
		! ls /usr/lib/*/dpdk/pmds-*/librte_net_memif.so* >/dev/null 2>&1; then
		log "run.sh: installing dpdk dpdk-dev librte-net-memif23 (the memif peer)"
		PTNET_DEPS_MEMIF=1 timeout 600 "$ROOT/scripts/deps.sh" >"$RES/apt-memif.log" 2>&1 ||
			{ log "run.sh: cannot install DPDK (see $RES/apt-memif.log)"; return 1; }
	fi
	pmd=$(ls /usr/lib/*/dpdk/pmds-*/librte_net_memif.so* 2>/dev/null | head -n 1)
	[ -n "$pmd" ] || { log "run.sh: no memif PMD in the DPDK packages"; return 1; }
	# Two testpmd of 512 MB each, in 2 MB pages, on top of what others reserved.
	old=$(cat /proc/sys/vm/nr_hugepages)
	HUGE_OLD=$old
	echo $((old + 1100)) >/proc/sys/vm/nr_hugepages 2>/dev/null
	if [ "$(cat /proc/sys/vm/nr_hugepages)" -lt $((old + 1100)) ]; then
		log "run.sh: cannot reserve 1100 hugepages (memory is short): no memif peer"
		memif_cleanup
		return 1
	fi
	HUGE_DIR=$SOCKDIR/huge
	mkdir -p "$HUGE_DIR"
	if ! mount -t hugetlbfs -o pagesize=2M nodev "$HUGE_DIR"; then
		HUGE_DIR=
		log "run.sh: cannot mount hugetlbfs: no memif peer"
		memif_cleanup
		return 1
	fi
	return 0
}

# run_group REP FUNC ARG IMPL...: FUNC IMPL ARG REP for each IMPL, in order on
# odd repetitions and in reverse order on even ones (so no side always goes first).
run_group() {
	local rep=$1 fn=$2 arg=$3 impls i
	shift 3
	impls=("$@")
	if [ $((rep % 2)) -eq 0 ]; then
		for ((i = ${#impls[@]} - 1; i >= 0; i--)); do
			log "  [$rep/$REPS] $fn ${impls[i]} $arg"
			$fn "${impls[i]}" "$arg" "$rep"
		done
	else
		for i in "${impls[@]}"; do
			log "  [$rep/$REPS] $fn $i $arg"
			$fn "$i" "$arg" "$rep"
		done
	fi
}

TESTPMD=
if [ $PEERS -eq 1 ]; then
	memif_ready || TESTPMD=
else
	log "run.sh: no --peers: the DPDK memif line is skipped"
	record test=event event=memif_skipped rep=0 reason="not asked for (--peers)"
fi
if [ $KERNEL_ONLY -eq 0 ] && [ -n "$NMGEN" ] && [ -n "$NMLIB" ]; then
	RATE_IMPLS=(ptnet netmap veth bridge)
	RTT_IMPLS=(ptnet veth)
elif [ $KERNEL_ONLY -eq 0 ]; then
	log "run.sh: nm-gen or libptnet-netmap.so missing: no netmap-API path"
	RATE_IMPLS=(ptnet veth bridge)
	RTT_IMPLS=(ptnet veth)
else
	RATE_IMPLS=(veth bridge)
	RTT_IMPLS=(veth)
fi
PIPE_IMPLS=()
if [ $KERNEL_ONLY -eq 0 ] && [ -n "$NMPIPE" ] && [ -n "$NMLIB" ]; then
	PIPE_IMPLS=(pipe)
	if [ $MEMIF -eq 1 ]; then
		memif_setup && PIPE_IMPLS+=(memifzc)
	else
		log "run.sh: pipes without their peer, DPDK memif zero-copy (add --memif to measure it)"
	fi
elif [ $KERNEL_ONLY -eq 0 ]; then
	log "run.sh: nm-pipe or libptnet-netmap.so missing: no pipe line"
fi
if [ $PIPE_ONLY -eq 1 ]; then
	RATE_IMPLS=()
	RTT_IMPLS=()
fi
RATE60_IMPLS=("${RATE_IMPLS[@]}")
[ -n "$TESTPMD" ] && [ $PIPE_ONLY -eq 0 ] && RATE60_IMPLS+=(memif)
BUSY_IMPLS=("${RTT_IMPLS[@]}")
[ -n "$SHMPP" ] && BUSY_IMPLS+=(shm)
log "run.sh: $REPS repetitions, about $((REPS * (${#RATE_IMPLS[@]} * 2 * (DUR + 3) + ${#RTT_IMPLS[@]} * 2 * 4 + ${#PIPE_IMPLS[@]} * (DUR + 4)))) s or more"
# background REP: machine busy time over 1 s with nothing of ours running;
# anything else on the machine (other users' jobs) shows up here.  With
# --wait-quiet S, retry for up to S seconds until it is below 5 % of all CPUs.
background() {
	local m0 m1 busy waited=0 ncpu
	ncpu=$(nproc)
	while :; do
		m0=$(machine_busy_ticks)
		sleep 1
		m1=$(machine_busy_ticks)
		busy=$((m1 - m0))
		# busy ticks in 1 s vs 5 % of ncpu * CLK_TCK
		[ $((busy * 20)) -le $((ncpu * CLK_TCK)) ] && break
		[ $waited -ge "$WAIT_QUIET" ] && break
		[ $waited -eq 0 ] && log "  [$1/$REPS] machine busy ($busy ticks/s), waiting up to ${WAIT_QUIET} s"
		sleep 2
		waited=$((waited + 3))
	done
	record rep="$1" test=background machine_busy_s="$(ticks_to_s $busy)" \
		ncpu="$ncpu" wall_s=1 waited_s=$waited
}

for ((rep = 1; rep <= REPS; rep++)); do
	background $rep
	if [ ${#RATE_IMPLS[@]} -gt 0 ]; then
		run_group $rep rate 60 "${RATE60_IMPLS[@]}"
		run_group $rep rate 1514 "${RATE_IMPLS[@]}"
		run_group $rep rtt busy "${BUSY_IMPLS[@]}"
		run_group $rep rtt notify "${RTT_IMPLS[@]}"
	fi
	[ ${#PIPE_IMPLS[@]} -gt 0 ] && run_group $rep pipe_rate 60 "${PIPE_IMPLS[@]}"
done

# ---------------------------------------------------------------- report
python3 "$REPORT" summary "$RES" | tee "$RES/summary.txt"
python3 "$BENCH_DIR/plot.py" "$RES/summary.tsv" "$RES/summary.png" \
	"bench/run.sh: ptnet vs the kernel (medians, min..max)" &&
	[ -s "$RES/summary.png" ] && log "run.sh: picture of the table in $RES/summary.png"
rc=${PIPESTATUS[0]}
[ $FAILED -ne 0 ] && rc=1
exit $rc
