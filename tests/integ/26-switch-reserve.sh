#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# No unprivileged user can fill the switch table: a switch made on first use
# by an attach goes away with its last port (nothing is left behind by a
# port that came and went), and the last switches of --max-switches are
# root's, so root can still attach to a new switch while a user holds every
# switch a user may make.  A persistent switch (switch-add) stays.
. "$(dirname "$0")/lib.sh"

command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) is needed"; exit 77; }
U1=65534
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
switch_listed() { "$PTNETCTL" --json list 2>/dev/null | python3 -c '
import json, sys
sys.exit(0 if any(r.get("type") == "switch" and r.get("name") == sys.argv[1]
                  for r in json.load(sys.stdin)) else 1)' "$1"; }
nswitches() { "$PTNETCTL" --json list 2>/dev/null | python3 -c '
import json, sys
print(sum(r.get("type") == "switch" for r in json.load(sys.stdin)))'; }

MAX=8 RESERVE=4	# PTD_ROOT_SWITCHES
chmod 755 "$T"
start_ptnetd --socket-mode 0666 --max-switches $MAX

# A port that comes and goes leaves no switch behind.
check "uid $U1 attaches to a new switch and leaves" as $U1 "$TBIN/tb-port" open vale20:x
check "the switch made on first use went with its port" eval "! switch_listed vale20"
check_eq "no switch left" "$(nswitches)" 0

# uid U1 holds a port on as many new switches as a user may make.
for i in $(seq 1 $((MAX - RESERVE))); do
	# setpriv execs: the pid spawn records is the holder's own
	spawn "h$i" setpriv --reuid=$U1 --regid=$U1 --clear-groups "$TBIN/tb-port" hold "vale1$i:p"
	check "uid $U1 holds vale1$i:p" wait_line "h$i" '^READY' 20
done
check_eq "$((MAX - RESERVE)) switches exist" "$(nswitches)" $((MAX - RESERVE))
check "uid $U1 is refused one more switch (ENOSPC)" \
	as $U1 "$TBIN/tb-port" open-fail vale19:p ENOSPC
check "root can still attach to a new switch" "$TBIN/tb-port" open vale30:r
check "root can still make a persistent switch" "$PTNETCTL" switch add vale31
check "uid $U1 may still attach to an existing switch" as $U1 "$TBIN/tb-port" open vale11:q

# The user's ports go: so do the switches they made; capacity is back.
for i in $(seq 1 $((MAX - RESERVE))); do
	kill -TERM "${BG[h$i]}"
	wait_bg "h$i" 20
	check_eq "holder h$i exits 0" "$RC" 0
done
check "the user's switches are gone with their ports" \
	wait_until 10 eval '[ "$(nswitches)" = 1 ]'
check "the persistent switch stays" switch_listed vale31
check "uid $U1 may make a new switch again" as $U1 "$TBIN/tb-port" open vale19:p
check "switch-del removes the persistent switch" "$PTNETCTL" switch del vale31
check_eq "no switch left at the end" "$(nswitches)" 0
finish
