#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# MAC table sizes: ptnetd --mac-table (rounded up to a power of two) for
# switches made without mac-table= and for those made on first use by an
# attach; [switch] mac-table in ptnetd.conf(5) and switch-add mac-table=N
# (root only: rounded up, refused above 2^20); the switch record's
# mac_table and mac_used; save writes the sizes that are not the default;
# a reload that changes a size applies it (an empty table of the new size).
. "$(dirname "$0")/lib.sh"

command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) is needed"; exit 77; }
sw_field() { "$PTNETCTL" --json list 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r.get("type") == "switch" and r.get("name") == sys.argv[1]:
        print(r.get(sys.argv[2], "")); break' "$1" "$2"; }

C=$T/ptnetd.conf
cat >"$C" <<EOC
[switch vale41]
mac-table = 1048576
EOC
chmod 755 "$T"
start_ptnetd -w 1 --socket-mode 0666 --mac-table 2000 -c "$C"

check_eq "[switch] mac-table = 1048576" "$(sw_field vale41 mac_table)" 1048576
check_eq "an empty table uses nothing" "$(sw_field vale41 mac_used)" 0
check "switch add --mac-table 3000" "$PTNETCTL" switch add vale42 --mac-table 3000
check_eq "3000 is rounded up to 4096" "$(sw_field vale42 mac_table)" 4096
check "switch add --mac-table 2000000 is refused" \
	eval "! $PTNETCTL switch add vale43 --mac-table 2000000 2>$T/big.err"
check "with a message naming the bound" grep -q 'mac-table wants 1..1048576' "$T/big.err"
check "switch add --mac-table 0 is refused" \
	eval "! $PTNETCTL switch add vale43 --mac-table 0 2>/dev/null"
check "switch add without a size" "$PTNETCTL" switch add vale44
check_eq "gets --mac-table 2000, rounded up: 2048" "$(sw_field vale44 mac_table)" 2048
check "a user may not pick a size" \
	eval "! setpriv --reuid=65534 --regid=65534 --clear-groups $PTNETCTL switch add vale46 --mac-table 4096 2>/dev/null"
spawn h setpriv --reuid=65534 --regid=65534 --clear-groups "$TBIN/tb-port" hold vale45:x
check "a user's port makes vale45 on first use" wait_line h '^READY' 20
check_eq "a switch made on first use gets --mac-table's size" "$(sw_field vale45 mac_table)" 2048

# Learned entries show in mac_used.
spawn f "$TBIN/tb-send" -p vale41:a -n 1 --hold
check "a port of vale41 sent a frame" wait_line f '^DONE' 20
check "vale41 learned its address" wait_until 10 eval '[ "$(sw_field vale41 mac_used)" = 1 ]'

"$PTNETCTL" save >"$T/save.conf"
sed 's/^/# save: /' "$T/save.conf"
check "save: vale41's size" eval "grep -A3 '^\[switch vale41\]' $T/save.conf | grep -q '^mac-table = 1048576$'"
check "save: vale42's size" eval "grep -A3 '^\[switch vale42\]' $T/save.conf | grep -q '^mac-table = 4096$'"
check "save: vale44 has the default size, not written" \
	eval "! grep -A3 '^\[switch vale44\]' $T/save.conf | grep -q '^mac-table'"
check "save: the daemon's default" grep -q '^mac-table = 2048$' "$T/save.conf"

# A reload that changes vale41's size (its port stays).
cat >"$C" <<EOC
[switch vale41]
mac-table = 65536
EOC
check "reload: vale41 changed" eval "$PTNETCTL reload | grep -q 'changed=1'"
check_eq "vale41 has 65536 entries now" "$(sw_field vale41 mac_table)" 65536
check_eq "its port stays" "$(sw_field vale41 ports)" 1
check "reload of the same file changes nothing" eval "$PTNETCTL reload | grep -q 'changed=0'"
kill -TERM "${BG[f]}" "${BG[h]}"
wait_bg f 20
wait_bg h 20
finish
