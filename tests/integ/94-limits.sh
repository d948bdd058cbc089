#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Ports bigger or more numerous than allowed: every refusal has the right
# errno, names the limit and the ptnetd option that raises it, and leaves
# nothing behind, while a good pair's traffic goes on undisturbed (its
# books balance exactly).  Limits: --max-port-mem, --max-mem, --max-ports,
# --max-ports-per-switch, --max-switches, --uid-max-ports, --uid-max-mem
# (as uid 65534).  Then the release ptnetd under rlimits: an address-space
# limit (prlimit --as; not with ASan, which reserves terabytes) makes a big
# port's mapping fail cleanly with ENOMEM, and a descriptor limit (prlimit
# --nofile) makes an attach fail with EMFILE naming "ulimit -n"; both
# daemons go on serving and exit 0.
. "$(dirname "$0")/lib.sh"

RELEASE_PTNETD=${RELEASE_PTNETD:-$BUILD/bin/ptnetd}
for b in "$TBIN/tb-canary" "$RELEASE_PTNETD"; do
	if [ ! -x "$b" ]; then
		echo "SKIP: $b not built"
		exit 77
	fi
done
if ! command -v setpriv >/dev/null || ! command -v prlimit >/dev/null; then
	echo "SKIP: setpriv and prlimit (util-linux) are needed"
	exit 77
fi

fds_of() { ls "/proc/$PTNETD_PID/fd" 2>/dev/null | wc -l; }
nports() {
	"$PTNETCTL" --json list 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin) if r.get("type") == "port"))'
}
# refused NAME ERRNO OPTION [AS-UID]: the attach fails with ERRNO, and the
# message names OPTION and says "limit" or "quota".
N=0
refused() {
	local name=$1 err=$2 opt=$3 who=${4:-}
	N=$((N + 1))
	if [ -n "$who" ]; then
		setpriv --reuid="$who" --regid="$who" --clear-groups \
			"$TBIN/tb-port" open-fail "$name" "$err" >"$T/ref$N.out" 2>&1
	else
		"$TBIN/tb-port" open-fail "$name" "$err" >"$T/ref$N.out" 2>&1
	fi
	check_eq "'$name' refused with $err" "$?" 0
	check "the refusal names $opt" grep -qe "$opt" "$T/ref$N.out"
	check "the refusal says what it hit" grep -qE 'limit|quota' "$T/ref$N.out"
	sed 's/^/#   /' "$T/ref$N.out"
}
# hold NAME [AS-UID]: a client holding port NAME (client name: NAME's port part).
hold() {
	local name=$1 who=${2:-} tag
	tag=${name#*:}
	tag=${tag%%@*}
	if [ -n "$who" ]; then
		spawn "$tag" setpriv --reuid="$who" --regid="$who" --clear-groups \
			"$TBIN/tb-port" hold "$name"
	else
		spawn "$tag" "$TBIN/tb-port" hold "$name"
	fi
	check "$tag holds $name" wait_line "$tag" '^READY' 20
}
release() {
	kill -TERM "${BG[$1]}"
	wait_bg "$1" 20
	check_eq "$1 let go" "$RC" 0
}

start_ptnetd -w 2 --socket-mode 0666 --max-port-mem 16 --max-mem 40 --max-ports 6 \
	--max-ports-per-switch 4 --max-switches 2 --uid-max-ports 2 --uid-max-mem 12
chmod 755 "$T"
# 4 MiB each (512 slots of 2 KiB per direction)
good_pair_start @conf:slots=512
fds0=$(fds_of)

log "--max-port-mem 16: a 64 MiB port"
refused "vale0:big@conf:slots=4096,buf-size=4096" ENOMEM "--max-port-mem"
log "--max-mem 40: 8 MiB used, two 16 MiB ports fit, a third does not"
hold "vale0:m1@conf:slots=2048"
hold "vale0:m2@conf:slots=2048"
refused "vale0:m3@conf:slots=2048" ENOMEM "--max-mem"
release m1
release m2
log "--max-ports-per-switch 4 and --max-ports 6 (64 KiB ports)"
small=slots=64,buf-size=256
hold "vale0:s1@conf:$small"
hold "vale0:s2@conf:$small"
refused "vale0:s3@conf:$small" ENOSPC "--max-ports-per-switch"
hold "vale1:s3@conf:$small"
hold "vale1:s4@conf:$small"
refused "vale1:s5@conf:$small" ENOSPC "--max-ports)"
log "--max-switches 2"
release s4
refused "vale2:x@conf:$small" ENOSPC "--max-switches"
for c in s1 s2 s3; do release $c; done
log "--uid-max-ports 2 and --uid-max-mem 12 for uid 65534 (root is exempt)"
hold "vale0:u1@conf:$small" 65534
hold "vale1:u2@conf:$small" 65534
refused "vale1:u3@conf:$small" EDQUOT "--uid-max-ports" 65534
release u2
refused "vale1:u3@conf:slots=2048" EDQUOT "--uid-max-mem" 65534
hold "vale1:root3@conf:$small"
release u1
release root3
check_eq "only the good pair is left" "$(nports)" 2
check "ptnetd's descriptors are back to $fds0" wait_until 10 eval '[ "$(fds_of)" = "$fds0" ]'

good_pair_check
good_pair_stop

# rlimits on the release ptnetd (second instance, own socket).
MAIN_SOCKET=$PTNET_SOCKET
# other_ptnetd TAG PRLIMIT-OPTION: start it; its socket becomes PTNET_SOCKET.
other_ptnetd() {
	export PTNET_SOCKET=$T/$1.sock
	prlimit "$2" "$RELEASE_PTNETD" -s "$PTNET_SOCKET" -w 2 2>"$T/$1.err" &
	BG[$1]=$!
	check "ptnetd under prlimit $2 is up" wait_until 20 ctl_ok
}
stop_other() {
	kill -TERM "${BG[$1]}"
	wait_bg "$1" 30
	check_eq "ptnetd under prlimit ($1) exits 0 on SIGTERM" "$RC" 0
	export PTNET_SOCKET=$MAIN_SOCKET
}

log "address-space limit: 96 MiB (the daemon itself maps about 20)"
other_ptnetd as --as=$((96 << 20))
# 4096 slots of 8 KiB per direction: a 128 MiB region
spawn asbig "$TBIN/tb-port" open-fail "vale0:big@conf:slots=4096,buf-size=8192" ENOMEM
wait_bg asbig 30
check_eq "a 128 MiB port under a 96 MiB address space: ENOMEM" "$RC" 0
show asbig
hold "vale0:a1@conf:slots=256"
check "that ptnetd still lists its ports" wait_until 5 eval '[ "$(nports)" = 1 ]'
release a1
stop_other as

log "descriptor limit: 32"
other_ptnetd nf --nofile=32
for i in 1 2 3 4 5 6; do
	spawn "f$i" "$TBIN/tb-port" hold "vale0:f$i@conf:$small"
	if ! wait_line "f$i" '^READY' 10; then
		break
	fi
done
check "some ports attached under the limit" wait_line f1 '^READY' 1
check "an attach at the limit fails, naming 'ulimit -n'" \
	grep -q 'Too many open files (raise the open file limit of ptnetd: ulimit -n)' "$T/f$i.err"
sed 's/^/#   /' "$T/f$i.err"
for ((k = 1; k < i; k++)); do release "f$k"; done
wait_bg "f$i" 10
check "after they left, a port attaches again" eval "\"$TBIN/tb-port\" open vale0:again >/dev/null"
stop_other nf
check "no sanitizer report from the rlimited daemons" sanitizer_clean "$T/as.err"
finish
