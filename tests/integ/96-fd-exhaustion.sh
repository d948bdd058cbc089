#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ptnetd out of descriptors (prlimit --nofile): attaches are refused with
# EMFILE and a message naming "ulimit -n"; when a client then opens more
# control connections than ptnetd has descriptors left, connections wait in
# the listen backlog -- ptnetd must not spin on them (a level-triggered
# listening socket it cannot accept from) -- and once they are closed it
# serves again, with its descriptors back to where they were.
. "$(dirname "$0")/lib.sh"

command -v prlimit >/dev/null || {
	echo "SKIP: prlimit (util-linux) is needed"
	exit 77
}
cpu_pct() {
	local t0 t1 hz
	hz=$(getconf CLK_TCK)
	t0=$(cpu_ticks "$PTNETD_PID")
	sleep "$1"
	t1=$(cpu_ticks "$PTNETD_PID")
	echo $(((t1 - t0) * 100 / (hz * $1)))
}
fds_of() { ls "/proc/$PTNETD_PID/fd" 2>/dev/null | wc -l; }

LIMIT=48
prlimit --nofile=$LIMIT "$PTNETD" -s "$PTNET_SOCKET" -w 1 2>>"$T/ptnetd.err" &
PTNETD_PID=$!
check "ptnetd under --nofile=$LIMIT is up" wait_until 20 ctl_ok
fds0=$(fds_of)
log "ptnetd has $fds0 of $LIMIT descriptors"

for i in $(seq 1 20); do
	spawn "p$i" "$TBIN/tb-port" hold "vale0:p$i@conf:slots=64,buf-size=256"
	wait_line "p$i" '^READY' 10 || break
done
check "ports attached until the limit" wait_line p1 '^READY' 1
check "then an attach fails with EMFILE, naming 'ulimit -n'" \
	grep -q 'Too many open files (raise the open file limit of ptnetd: ulimit -n)' "$T/p$i.err"
sed 's/^/#   /' "$T/p$i.err"
wait_bg "p$i" 10
log "$((i - 1)) ports attached, ptnetd has $(fds_of) descriptors"

# More connections than descriptors left: some stay in the backlog.
python3 - "$PTNET_SOCKET" >"$T/conns.out" 2>&1 <<'PY' &
import socket, sys, time
conns = []
for i in range(64):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    conns.append(s)
print("CONNECTED %d" % len(conns), flush=True)
time.sleep(8)
PY
BG["conns"]=$!
check "64 connections made" wait_line conns '^CONNECTED' 20
sleep 1
busy=$(cpu_pct 3)
log "ptnetd with connections it cannot accept: ${busy}% of a CPU, $(fds_of) descriptors"
check "ptnetd does not spin on connections it cannot accept (${busy}%)" test "$busy" -le 20
wait_bg conns 30
check "ptnetd serves again once they are gone" wait_until 10 ctl_ok
for ((k = 1; k < i; k++)); do
	kill -TERM "${BG[p$k]}"
	wait_bg "p$k" 20
done
check "ptnetd's descriptors are back to $fds0" wait_until 10 eval '[ "$(fds_of)" = "$fds0" ]'
check "a port attaches again" eval "\"$TBIN/tb-port\" open vale0:again >/dev/null"
finish
