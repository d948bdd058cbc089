#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Access control: the socket's mode and owner/group are configurable; peers
# are identified with SO_PEERCRED; a switch created with an allow list
# admits only root and those users; a user can neither detach nor read the
# counters of another user's port; switches, tap and vm ports are root's.
. "$(dirname "$0")/lib.sh"

command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) is needed"; exit 77; }
U1=65534 U2=65533
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }

chmod 755 "$T"
start_ptnetd --socket-mode 0666 --socket-group 65533
check_eq "socket mode is as asked" "$(stat -c %a "$PTNET_SOCKET")" 666
check_eq "socket group is as asked" "$(stat -c %g "$PTNET_SOCKET")" 65533

check "root creates a switch for uid $U2 only" "$PTNETCTL" switch add vale7 --allow-uid $U2
check "uid $U1 is refused on it (EACCES)" as $U1 "$TBIN/tb-port" open-fail vale7:x EACCES
check "uid $U2 may attach to it" as $U2 "$TBIN/tb-port" open vale7:y

spawn own as $U1 "$TBIN/tb-port" hold vale0:mine
check "uid $U1 holds vale0:mine" wait_line own '^READY' 20
check "uid $U2 may not detach it" eval "! as $U2 $PTNETCTL detach vale0:mine 2>$T/det.err"
check "the refusal says whose it is" grep -q "belongs to uid $U1" "$T/det.err"
check "the port is still there" port_listed vale0:mine
as $U2 "$PTNETCTL" --json stats >"$T/u2.json" 2>&1
check "uid $U2 does not see its counters" eval "! grep -q '\"vale0:mine\"' $T/u2.json"
as $U1 "$PTNETCTL" --json stats >"$T/u1.json" 2>&1
check "uid $U1 sees its own counters" grep -q '"vale0:mine"' "$T/u1.json"
check "uid $U2 may not create switches" eval "! as $U2 $PTNETCTL switch add vale8 2>/dev/null"
check "uid $U2 may not add tap ports" eval "! as $U2 $PTNETCTL tap add vale0:t 2>/dev/null"
check "uid $U2 may not add vm ports" eval "! as $U2 $PTNETCTL vm add vale0:v --socket $T/v.sock 2>/dev/null"
check "uid $U1 may detach its own port from another connection" as $U1 "$PTNETCTL" detach vale0:mine
wait_bg own 20
check_eq "its holder saw the port go (exit 1)" "$RC" 1
check "root may detach anything" eval "as $U1 $TBIN/tb-port hold vale0:again >/dev/null 2>&1 &
	wait_until 20 port_listed vale0:again && $PTNETCTL detach vale0:again"
finish
