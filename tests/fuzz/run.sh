#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# run.sh - build the libFuzzer targets (tests/fuzz/fuzz_*.c) into build-fuzz/
# and run each for FUZZ_SECONDS (default 10) on its corpus.  Fails if a
# target fails to build or finds a crash, a leak, a timeout or a broken
# check; prints the executions of each.  See tests/fuzz/README.md.
#
# usage: tests/fuzz/run.sh [TARGET...]      (e.g. fuzz_ctl; default: all)
# environment:
#   FUZZ_SECONDS=10    time per target
#   FUZZ_OUT=build-fuzz  binaries, corpora (corpus-NAME/), crashes (artifacts-NAME/)
#   FUZZ_JOBS=1        parallel fuzzing processes per target (libFuzzer -fork)
#   CC=clang           a clang with libFuzzer (clang 14: libclang-rt-14-dev)
#   FUZZ_ARGS=         extra libFuzzer arguments
# A crash input stays in FUZZ_OUT/artifacts-NAME/; reproduce it with
#   FUZZ_OUT/NAME FUZZ_OUT/artifacts-NAME/crash-...

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
SECS=${FUZZ_SECONDS:-10}
OUT=${FUZZ_OUT:-build-fuzz}
JOBS=${FUZZ_JOBS:-1}
CC=${CC:-clang}
case $CC in cc | gcc* | */gcc*) CC=clang ;; esac
# shellcheck disable=SC2054  # (the commas are -fsanitize's)
FLAGS=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-Iinclude -Isrc -D_GNU_SOURCE -DPTNET_VERSION='"fuzz"' -std=gnu11 -pthread)
mkdir -p "$OUT"

# Sources each target is linked with.
sources() {
	case $1 in
	fuzz_portname) echo src/common/parse.c src/common/portname.c ;;
	fuzz_learn) echo "" ;;	# #includes learn.c
	fuzz_offload) echo src/daemon/offload.c ;;
	fuzz_virtq) echo src/daemon/virtq.c src/daemon/vhost_mem.c src/daemon/err.c ;;
	fuzz_vhost_msg) echo src/daemon/vhost_msg.c ;;
	*)	# fuzz_ctl and new targets: the whole daemon but its main, with libmnl
		for f in src/common/*.c src/daemon/*.c; do
			[ "$f" = src/daemon/main.c ] || echo "$f"
		done
		echo -lmnl -lpcap -linih -lsystemd
		;;
	esac
}

# Extra libFuzzer options per target.
options() {
	case $1 in
	fuzz_offload) echo -max_len=70000 ;;
	fuzz_learn) echo -max_len=4096 ;;
	fuzz_virtq) echo -max_len=16384 ;;
	fuzz_vhost_msg) echo -max_len=4096 ;;
	fuzz_ctl) echo -max_len=16384 -dict="$OUT/ctl.dict" ;;
	fuzz_portname) echo -max_len=600 -dict="$OUT/portname.dict" ;;
	esac
}

# One fuzz_ctl record: OP, a length byte, the message.
rec() { printf "\\x$(printf %02x "$1")\\x$(printf %02x ${#2})%s" "$2"; }

# First inputs for an empty corpus (the fuzzer finds the rest).
seed() {
	local dir=$1 name=$2
	[ -z "$(ls -A "$dir" 2>/dev/null)" ] || return 0
	case $name in
	fuzz_ctl)
		printf '\x01attach vale0:a rings=2 slots=64 buf-size=256 mac=02:00:00:00:00:01 mtu=1500' \
			>"$dir/parse-attach"
		printf '\x01list vale0 stats vale0:a key=value x=0x10' >"$dir/parse-list"
		# scripts (see fuzz_ctl.c): a record is OP LEN BYTES; OP = conn | op << 2 | uid 0x20
		{
			printf '\x40'
			rec 0 "attach vale0:a slots=64 buf-size=256"
			rec 1 "list"
			rec $((2 | 0x20)) "attach vale0:b slots=64 buf-size=256 mac=02:00:00:00:00:02"
			rec 1 "stats vale0"
			rec 1 "detach vale0:a"
			printf '\x16'
		} >"$dir/script-attach"
		{
			printf '\x40'
			rec 0 "switch-add vale1 allow-uid=1000"
			rec $((1 | 0x20)) "attach vale1:x slots=64 buf-size=256"
			rec 0 "switch-del vale1"
			rec $((3 | 0x1c)) "list"
		} >"$dir/script-switch"
		;;
	fuzz_portname)
		printf '\x01vale0:a@conf:rings=2,slots=512,buf-size=4096,vnet-hdr=12,mac=02:00:00:00:00:01,mtu=9000' \
			>"$dir/full"
		printf '\x00vale0:a' >"$dir/plain"
		;;
	fuzz_virtq)
		# 16 entries, EVENT_IDX, addresses masked in: a ring of random chains
		{ printf '\x04\x09\x00\x00'; head -c 2048 /dev/urandom; } >"$dir/masked"
		;;
	fuzz_vhost_msg)
		# GET_FEATURES, then SET_VRING_CALL 0 with a descriptor, in two pieces
		printf '\x08\x0c\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00' >"$dir/get-features"
		printf '\x01\x06\x0d\x00\x00\x00\x01\x00\x08\x0e\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' \
			>"$dir/set-vring-call"
		;;
	*) head -c 64 /dev/urandom >"$dir/random" ;;
	esac
}

dicts() {
	local k
	: >"$OUT/ctl.dict"
	for k in "hello abi=1" "attach " "list" "stats" "detach " "switch-add " "switch-del " \
		"tap-add " "tap-del " "vm-add " "vale0:" "rings=" "tx-rings=" "rx-rings=" "slots=" \
		"tx-slots=" "rx-slots=" "buf-size=" "vnet-hdr=12" "mac=" "mtu=" "allow-uid=" \
		"allow-gid=" "socket=" "netns=" "queues=" "@conf:" "0x" "vm-del " "monitor " \
		"target=vale0:" "dir=tx" "dir=rx" "filter=" "0028000000000000" "0006000000040000" \
		"vhost-add " "vhost-del " "client=1"; do
		printf '"%s"\n' "$k" >>"$OUT/ctl.dict"
	done
	: >"$OUT/portname.dict"
	for k in "vale" ":" "@conf:" "rings=" "tx-rings=" "rx-rings=" "slots=" "tx-slots=" \
		"rx-slots=" "buf-size=" "vnet-hdr=" "mac=" "mtu=" "," "0x"; do
		printf '"%s"\n' "$k" >>"$OUT/portname.dict"
	done
}

if ! echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' |
	$CC -fsanitize=fuzzer -x c - -o "$OUT/.probe" 2>/dev/null; then
	echo "SKIP: $CC cannot build libFuzzer targets (apt-get install clang libclang-rt-14-dev)"
	exit 77
fi
rm -f "$OUT/.probe"
dicts

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		targets+=("$(basename "$f" .c)")
	done
fi

fails=0
echo "# fuzzing ${targets[*]} for ${SECS}s each (binaries and corpora in $OUT)"
for t in "${targets[@]}"; do
	src=tests/fuzz/$t.c
	if [ ! -f "$src" ]; then
		echo "FAIL $t: no $src"
		fails=$((fails + 1))
		continue
	fi
	# shellcheck disable=SC2046
	if ! $CC "${FLAGS[@]}" "$src" $(sources "$t") -o "$OUT/$t" 2>"$OUT/$t.build.log"; then
		echo "FAIL $t: does not build:"
		sed 's/^/    /' "$OUT/$t.build.log" | head -20
		fails=$((fails + 1))
		continue
	fi
	corpus=$OUT/corpus-${t#fuzz_}
	art=$OUT/artifacts-${t#fuzz_}
	mkdir -p "$corpus" "$art"
	seed "$corpus" "$t"
	fork=
	[ "$JOBS" -gt 1 ] && fork="-fork=$JOBS -ignore_crashes=0"
	# shellcheck disable=SC2046,SC2086
	"$OUT/$t" -max_total_time="$SECS" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
		-artifact_prefix="$art/" $fork $(options "$t") ${FUZZ_ARGS:-} "$corpus" \
		>"$OUT/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$t.log" | tail -n 1)
	[ -n "$execs" ] ||
		execs=$(grep -oE 'Done [0-9]+ runs' "$OUT/$t.log" | tail -n 1 | tr -dc 0-9)
	[ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$OUT/$t.log" | tail -n 1 | tr -dc 0-9)
	n=$(ls "$corpus" | wc -l)
	if [ "$rc" -ne 0 ] || grep -qE '^==[0-9]+==ERROR|^SUMMARY: |deadly signal' "$OUT/$t.log"; then
		echo "FAIL $t: exit $rc after ${execs:-?} executions; log $OUT/$t.log, input in $art/"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$OUT/$t.log" | head -5 |
			sed 's/^/    /'
		fails=$((fails + 1))
	else
		echo "ok   $t: ${execs:-?} executions in ${SECS}s, corpus $n inputs"
	fi
done
[ "$fails" -eq 0 ]
