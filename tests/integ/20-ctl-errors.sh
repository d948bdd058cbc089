#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ptnetctl's errors: no daemon (no socket, stale socket) gives one clear
# line and exit 1; requests ptnetd refuses give its message and exit 1;
# usage errors exit 2; switch add/del round trip.
. "$(dirname "$0")/lib.sh"

one_line() { [ "$(wc -l <"$1")" -eq 1 ]; }

# ctl_fails WANT_RC PATTERN ARGS...: ptnetctl ARGS must exit WANT_RC with one
# stderr line matching PATTERN and print nothing on stdout.
ctl_fails() {
	local want=$1 pat=$2 rc=0
	shift 2
	"$PTNETCTL" "$@" >"$T/ctl.out" 2>"$T/ctl.err" || rc=$?
	echo "# ptnetctl $*: exit $rc: $(head -c 300 "$T/ctl.err")"
	check_eq "ptnetctl $*: exit status" "$rc" "$want"
	check "ptnetctl $*: one line on stderr" one_line "$T/ctl.err"
	check "ptnetctl $*: message matches /$pat/" grep -qE "$pat" "$T/ctl.err"
	check "ptnetctl $*: nothing on stdout" test ! -s "$T/ctl.out"
}

# No daemon at all.
ctl_fails 1 "ptnetd is not running.*no socket" list
ctl_fails 1 "ptnetd is not running" stats
ctl_fails 1 "ptnetd is not running" -s "$T/elsewhere.sock" list
ctl_fails 1 "ptnetd is not running" --json stats

# A stale socket.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1])
s.close()
' "$PTNET_SOCKET"
ctl_fails 1 "ptnetd is not running.*stale socket" list
rm -f "$PTNET_SOCKET"

# Usage errors (no daemon needed).
ctl_fails 2 "unknown command 'bogus'" bogus
ctl_fails 2 "usage: ptnetctl detach PORT" detach
ctl_fails 2 "usage: ptnetctl switch add\|del NAME" switch frob vale1
ctl_fails 2 "at most one name" stats a b

start_ptnetd -w 1

# Requests ptnetd refuses.
ctl_fails 1 "no port named vale0:nope" detach vale0:nope
ctl_fails 1 "no switch or port named vale9" stats vale9
ctl_fails 1 "no switch or port named vale0:x" list vale0:x
ctl_fails 1 "switch-add valeNAME" switch add foo
ctl_fails 1 "switch-add valeNAME" switch add vale_too_long_name_here
ctl_fails 1 "no switch named vale5" switch del vale5

# Bad port names and options of the commands that create ports: refused
# with one line naming what is wrong, and nothing is created.
ctl_fails 1 "bad port name in 'vale0:a-b'" tap add vale0:a-b
ctl_fails 1 "bad switch name in 'foo:a'" tap add foo:a
ctl_fails 1 "unsupported suffix" tap add vale0:t@conf:rings=2
ctl_fails 1 "queues=0" tap add vale0:t --queues 0
ctl_fails 1 "queues=99" tap add vale0:t --queues 99
ctl_fails 1 "mtu=10" tap add vale0:t --mtu 10
ctl_fails 1 "mac=01:00:00:00:00:01" tap add vale0:t --mac 01:00:00:00:00:01
ctl_fails 1 "interface name 'this_name_is_way_too_long'" \
	tap add vale0:t --ifname this_name_is_way_too_long
ctl_fails 1 "bad switch name in 'foo:v'" vm add foo:v --socket "$T/vm.sock"
ctl_fails 1 "rings=99" vm add vale0:v --socket "$T/vm.sock" --rings 99
ctl_fails 1 "slots=100" vm add vale0:v --socket "$T/vm.sock" --slots 100
ctl_fails 1 "buf-size=100" vm add vale0:v --socket "$T/vm.sock" --buf-size 100
ctl_fails 1 "no tap port named vale0:nope" tap del vale0:nope
ctl_fails 1 "no vm port named vale0:nope" vm del vale0:nope
check_eq "nothing was created by the refused commands" "$(stat_expr 'len(s)')" 0
check "no VM socket left behind" test ! -e "$T/vm.sock"

# switch add/del round trip.
rc=0; "$PTNETCTL" switch add vale5 >"$T/ctl.out" 2>&1 || rc=$?
check_eq "switch add vale5" "$rc" 0
check_eq "vale5 listed with 0 ports" "$(stat_expr 's["vale5"]["ports"]')" 0
ctl_fails 1 "switch vale5 exists" switch add vale5
spawn h "$TBIN/tb-port" hold vale5:p
check "a client attached to vale5" wait_line h '^READY' 20
ctl_fails 1 "still has ports" switch del vale5
check "vale5:p listed" port_listed vale5:p
kill -TERM "${BG[h]}"
wait_bg h 20
check_eq "client exits 0 on SIGTERM" "$RC" 0
check "vale5:p gone once its client closed" wait_until 10 eval "! port_listed vale5:p"
rc=0; "$PTNETCTL" switch del vale5 >"$T/ctl.out" 2>&1 || rc=$?
check_eq "switch del vale5 once empty" "$rc" 0
check "vale5 gone" eval "! port_listed vale5"

# --json output parses and has the switch records.
"$PTNETCTL" switch add vale6 >/dev/null 2>&1
valid_json() { "$PTNETCTL" --json "$1" | python3 -c 'import json, sys; json.load(sys.stdin)'; }
check "list --json is valid JSON" valid_json list
check "stats --json is valid JSON" valid_json stats
check_eq "stats --json has the switch's counters" "$(ctr vale6 tx_packets)" 0
check "ptnetd still answers after all that" ctl_ok
finish
