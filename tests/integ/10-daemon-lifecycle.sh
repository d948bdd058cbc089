#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ptnetd's life cycle: a second ptnetd refuses to start over a live one and
# leaves it alone; a stale socket is replaced; SIGTERM stops it with exit 0
# and removes the socket, also with clients attached (which see -EPIPE);
# bad command lines exit 2.
. "$(dirname "$0")/lib.sh"

# Bad command lines.
rc=0; "$PTNETD" -s "$PTNET_SOCKET" --workers 0 >"$T/bad1.out" 2>&1 || rc=$?
check_eq "ptnetd --workers 0 exits 2" "$rc" 2
rc=0; "$PTNETD" -s "$PTNET_SOCKET" stray-argument >"$T/bad2.out" 2>&1 || rc=$?
check_eq "ptnetd with a stray argument exits 2" "$rc" 2
check "no socket left by bad command lines" test ! -e "$PTNET_SOCKET"

# A socket path longer than sun_path: refused with a message, exit 1.
long=$T/$(printf 'x%.0s' $(seq 1 120))
rc=0; "$PTNETD" -s "$long" >"$T/long.out" 2>&1 || rc=$?
check_eq "ptnetd with a 120-character socket path exits 1" "$rc" 1
check "it says the path is too long" grep -q "too long" "$T/long.out"

start_ptnetd -w 1
check "socket exists" test -S "$PTNET_SOCKET"
check_eq "socket mode is 0660 by default" "$(stat -c %a "$PTNET_SOCKET")" 660

# A second daemon on the same socket must refuse and change nothing.
"$PTNETD" -s "$PTNET_SOCKET" -w 1 >"$T/second.out" 2>"$T/second.err" &
wait_exit $! 20; rc=$RC
check_eq "second ptnetd on a live socket exits 1" "$rc" 1
check "it says another ptnetd is running" grep -q "already running" "$T/second.err"
check "second ptnetd: no sanitizer report" sanitizer_clean "$T/second.err"
sed 's/^/# second: /' "$T/second.err"
check "first ptnetd still running" alive "$PTNETD_PID"
check "socket still there" test -S "$PTNET_SOCKET"
check "first ptnetd still answers" ctl_ok
stop_ptnetd

# A stale socket (bound, nobody listening) is replaced.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1])
s.close()
' "$PTNET_SOCKET"
check "stale socket prepared" test -S "$PTNET_SOCKET"
start_ptnetd -w 1
check "ptnetd answers on the replaced socket" ctl_ok
check "ptnetd logged the stale socket" grep -q "stale socket" "$T/ptnetd.err"

# SIGTERM with clients attached: exit 0, clients see their port die.
spawn c1 "$TBIN/tb-port" wait-dead vale0:c1 30000
spawn c2 "$TBIN/tb-port" wait-dead vale1:c2 30000
check "client 1 attached" wait_line c1 '^READY' 20
check "client 2 attached" wait_line c2 '^READY' 20
stop_ptnetd
wait_bg c1 20; rc=$RC
check_eq "client 1 saw -EPIPE when ptnetd stopped" "$rc" 0
wait_bg c2 20; rc=$RC
check_eq "client 2 saw -EPIPE when ptnetd stopped" "$rc" 0
show c1

# A fresh start after a clean stop needs no stale-socket handling.
start_ptnetd -w 1 --socket-mode 0600
check "restarted ptnetd answers" ctl_ok
check_eq "--socket-mode 0600 applied" "$(stat -c %a "$PTNET_SOCKET")" 600
check "no stale-socket message after a clean stop" \
	test "$(grep -c "stale socket" "$T/ptnetd.err")" -eq 1
finish
