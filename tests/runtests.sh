#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# runtests.sh - run ptnet's tests.  Builds nothing: run first
#     make && make SANITIZE=address && make SANITIZE=thread
#
# usage: tests/runtests.sh [FILTER...]
#   FILTER   run only tests whose name contains one of these strings
#            (names look like unit/learn, tsan/stress_csb, integ/30-sizes)
# environment (paths relative to the repository root, or absolute):
#   BUILD=build        release build: ptnetctl and the test clients
#   ASAN=build-asan    ASan+UBSan build: unit tests and the ptnetd under test
#   TSAN=build-tsan    TSan build: the concurrency stress tests (stress_*)
#   NO_VM=1 skips the QEMU guests; FUZZ_SECONDS (10) per fuzz target; VM_TIMEOUT (900)
#   TSAN_INTEG="40 50 60 70 71 85"  integration tests (by number) run a second
#                      time against $TSAN/bin/ptnetd; empty: none
#   TIMEOUT=120        seconds per test
#   LOGDIR=DIR         where logs go (default: a new temp dir)
#
# Groups: unit tests from $ASAN/tests (or $BUILD/tests when there is no ASan
# build), stress tests again from $TSAN/tests, integration scripts
# tests/integ/NN-*.sh against $ASAN/bin/ptnetd (or $BUILD's) with the
# release-built clients, and the concurrency-heavy ones again against the
# TSan ptnetd.  A group whose binaries are missing is skipped.
# Exit codes of a test: 0 pass, 77 skip, anything else (124: timeout) fail.
# Prints one line per test and ends with "N passed, N failed, N skipped";
# exits 0 only if nothing failed.

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
abspath() { case $1 in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }
BUILD=$(abspath "${BUILD:-build}")
ASAN=$(abspath "${ASAN:-build-asan}")
TSAN=$(abspath "${TSAN:-build-tsan}")
TIMEOUT=${TIMEOUT:-120}
LOGDIR=${LOGDIR:-$(mktemp -d "${TMPDIR:-/tmp}/ptnet-tests.XXXXXX")}
mkdir -p "$LOGDIR"
export BUILD ASAN TSAN

npass=0
nfail=0
nskip=0
FILTERS=("$@")
t_start=$(date +%s%N)

wanted() {
	local f
	[ ${#FILTERS[@]} -eq 0 ] && return 0
	for f in "${FILTERS[@]}"; do
		case $1 in *"$f"*) return 0 ;; esac
	done
	return 1
}

secs() { awk -v ns="$1" 'BEGIN { printf "%.1fs", ns / 1e9 }'; }

# run_one NAME COMMAND...
run_one() {
	local name=$1 log rc t0 t1 dur
	shift
	wanted "$name" || return 0
	log=$LOGDIR/${name//\//_}.log
	t0=$(date +%s%N)
	# timeout puts the test in its own process group and signals all of it.
	timeout -k 10 "$TIMEOUT" "$@" >"$log" 2>&1 </dev/null
	rc=$?
	t1=$(date +%s%N)
	dur=$(secs $((t1 - t0)))
	case $rc in
	0)
		echo "PASS $name ($dur)"
		npass=$((npass + 1))
		;;
	77)
		echo "SKIP $name ($(tail -n 1 "$log"))"
		nskip=$((nskip + 1))
		;;
	*)
		if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			echo "FAIL $name (timed out after ${TIMEOUT}s, $dur)"
		else
			echo "FAIL $name (exit $rc, $dur)"
		fi
		tail -n 30 "$log" | sed 's/^/    /'
		nfail=$((nfail + 1))
		;;
	esac
}

skip_group() {
	wanted "$1" || return 0
	echo "SKIP $1 ($2)"
	nskip=$((nskip + 1))
}

executables() {
	local f
	for f in "$1"/*; do
		[ -f "$f" ] && [ -x "$f" ] && echo "$f"
	done
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
ulimit -c 0

echo "# ptnet tests: BUILD=$BUILD ASAN=$ASAN TSAN=$TSAN TIMEOUT=$TIMEOUT logs=$LOGDIR"

# 1. Unit tests (ASan when built, else release).
if [ -n "$(executables "$ASAN/tests")" ]; then
	udir=$ASAN/tests
elif [ -n "$(executables "$BUILD/tests")" ]; then
	udir=$BUILD/tests
	echo "# no ASan build: unit tests from $udir"
else
	udir=
	skip_group unit "no unit test binaries in $ASAN/tests or $BUILD/tests"
fi
if [ -n "$udir" ]; then
	for t in $(executables "$udir"); do
		run_one "unit/$(basename "$t")" "$t"
	done
fi

# 2. Concurrency stress tests under TSan.
if executables "$TSAN/tests" | grep -q '/stress_'; then
	for t in $(executables "$TSAN/tests" | grep '/stress_'); do
		run_one "tsan/$(basename "$t")" "$t"
	done
else
	skip_group tsan "no stress test binaries in $TSAN/tests"
fi

# 3. Integration tests.
if [ -x "$BUILD/tests/bin/tb-send" ] && [ -x "$BUILD/bin/ptnetctl" ] &&
	{ [ -x "$ASAN/bin/ptnetd" ] || [ -x "$BUILD/bin/ptnetd" ]; }; then
	[ -x "$ASAN/bin/ptnetd" ] || echo "# no ASan build: integration tests use $BUILD/bin/ptnetd"
	for t in "$ROOT"/tests/integ/[0-9]*.sh; do
		[ -f "$t" ] || continue
		run_one "integ/$(basename "$t" .sh)" bash "$t"
	done
else
	skip_group integ "ptnetd, ptnetctl or the test clients in $BUILD/tests/bin are not built"
fi

# 4. The traffic-heavy integration tests against the TSan ptnetd (data races
#    between workers and the control thread: port removal under traffic...).
TSAN_INTEG=${TSAN_INTEG-40 50 60 70 71 85}
if [ -n "$TSAN_INTEG" ]; then
	if [ -x "$TSAN/bin/ptnetd" ] && [ -x "$BUILD/tests/bin/tb-send" ] &&
		[ -x "$BUILD/bin/ptnetctl" ]; then
		for n in $TSAN_INTEG; do
			for t in "$ROOT"/tests/integ/"$n"-*.sh; do
				[ -f "$t" ] || continue
				run_one "tsan-integ/$(basename "$t" .sh)" \
					env PTNETD="$TSAN/bin/ptnetd" bash "$t"
			done
		done
	else
		skip_group tsan-integ "no $TSAN/bin/ptnetd or no release-built clients"
	fi
fi

# 5. A short bounded run of every libFuzzer target (clang's libFuzzer).
if [ -x "$ROOT/tests/fuzz/run.sh" ]; then
	run_one "fuzz/short" env FUZZ_SECONDS="${FUZZ_SECONDS:-10}" "$ROOT/tests/fuzz/run.sh"
fi

# 6. Two QEMU TCG guests with the ptnet driver on VM ports (tests/vm).
if [ -x "$ROOT/tests/vm/run.sh" ] && [ -z "${NO_VM:-}" ]; then
	TIMEOUT=${VM_TIMEOUT:-900} run_one "vm/run" "$ROOT/tests/vm/run.sh"
fi
# 7. Stock virtio-net guests on vhost-user ports, a ptnet guest and a tap (tests/vm/vhost.sh).
if [ -x "$ROOT/tests/vm/vhost.sh" ] && [ -z "${NO_VM:-}" ]; then
	TIMEOUT=${VM_TIMEOUT:-900} run_one "vm/vhost" "$ROOT/tests/vm/vhost.sh"
fi

echo "# total $(secs $(($(date +%s%N) - t_start))), logs in $LOGDIR"
echo "$npass passed, $nfail failed, $nskip skipped"
[ "$nfail" -eq 0 ]
