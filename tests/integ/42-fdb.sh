#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The MAC table seen and flushed: ptnetctl fdb lists every learned address
# with its port (the same MAC as the port's list record) and an age in
# seconds, human and --json; fdb SWITCH shows that switch only; an unknown
# switch is ENOENT; fdb flush is root's (EPERM for others), empties the
# table of the switch asked for and no other, and traffic is learned again
# after it; a port that leaves takes its entries with it.  Senders that
# send once and then stay silent make the tables deterministic.
. "$(dirname "$0")/lib.sh"

command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) is needed"; exit 77; }
chmod 755 "$T"
start_ptnetd -w 1 --socket-mode 0666
check "root makes vale1 and vale2 (they outlive their ports)" \
	eval "$PTNETCTL switch add vale1 && $PTNETCTL switch add vale2"

good_pair_start
spawn s1 "$TBIN/tb-send" -p vale1:one -n 1 --hold
spawn s2 "$TBIN/tb-send" -p vale2:two -n 1 --hold
check "vale1:one sent its frame" wait_line s1 '^DONE' 20
check "vale2:two sent its frame" wait_line s2 '^DONE' 20

# fdb_has SWITCH MAC PORT: ptnetctl --json fdb has exactly one entry for MAC,
# on PORT, with a numeric age below the aging time.
fdb_has() {
	"$PTNETCTL" --json fdb 2>/dev/null | python3 -c '
import json, sys
sw, mac, port = sys.argv[1:4]
e = [r for r in json.load(sys.stdin) if r.get("type") == "fdb" and r.get("mac") == mac]
sys.exit(0 if len(e) == 1 and e[0]["switch"] == sw and e[0]["port"] == port
         and isinstance(e[0]["age"], int) and 0 <= e[0]["age"] < 300 else 1)
' "$@"
}
# fdb_count [SWITCH]: entries ptnetctl --json fdb [SWITCH] shows.
fdb_count() {
	"$PTNETCTL" --json fdb "$@" 2>/dev/null |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
}
mac_listed() {	# the mac field of a port's list record
	"$PTNETCTL" --json list 2>/dev/null | python3 -c '
import json, sys
print(next((r["mac"] for r in json.load(sys.stdin) if r.get("name") == sys.argv[1]), "none"))
' "$1"
}

MGT=$(mac_listed vale0:gt) MGR=$(mac_listed vale0:gr)
M1=$(mac_listed vale1:one) M2=$(mac_listed vale2:two)
log "macs: gt $MGT gr $MGR one $M1 two $M2"
check "the sender on vale0 is learned on vale0:gt" wait_until 10 fdb_has vale0 "$MGT" vale0:gt
check "the receiver on vale0 is learned on vale0:gr" wait_until 10 fdb_has vale0 "$MGR" vale0:gr
check "vale1:one is learned on vale1" fdb_has vale1 "$M1" vale1:one
check "vale2:two is learned on vale2" fdb_has vale2 "$M2" vale2:two
check_eq "fdb vale1 shows vale1's entry only" "$(fdb_count vale1)" 1
check_eq "fdb vale2 shows vale2's entry only" "$(fdb_count vale2)" 1
check_eq "fdb vale0 shows the pair" "$(fdb_count vale0)" 2

"$PTNETCTL" fdb >"$T/fdb.txt" 2>&1
sed 's/^/# fdb: /' "$T/fdb.txt"
check "human output has a header" grep -qE '^SWITCH +MAC +PORT +AGE' "$T/fdb.txt"
check "human output has vale1's line" grep -qE "^vale1 +$M1 +vale1:one +[0-9]+$" "$T/fdb.txt"
check "fdb of an unknown switch fails" eval "! $PTNETCTL fdb vale9 2>$T/enoent.err"
check "... saying there is no such switch" grep -q "no switch named vale9" "$T/enoent.err"

check "a user may read the table" eval "setpriv --reuid=65534 --regid=65534 --clear-groups \
$PTNETCTL fdb vale1 | grep -q $M1"
check "a user may not flush it" eval "! setpriv --reuid=65534 --regid=65534 --clear-groups \
$PTNETCTL fdb flush vale1 2>$T/eperm.err"
check "... EPERM says it is root's" grep -q "only root" "$T/eperm.err"
check_eq "vale1's entry is still there" "$(fdb_count vale1)" 1

check_eq "root flushes vale1: one entry" "$("$PTNETCTL" fdb flush vale1)" "1 entries flushed"
check_eq "vale1's table is empty" "$(fdb_count vale1)" 0
check "vale2's entry was not touched" fdb_has vale2 "$M2" vale2:two
check "vale0's pair was not touched" fdb_has vale0 "$MGR" vale0:gr

check "flush of every switch" eval "$PTNETCTL --json fdb flush | grep -q '\"flushed\":'"
check_eq "vale2's table is empty too" "$(fdb_count vale2)" 0
check "traffic on vale0 is learned again" wait_until 10 fdb_has vale0 "$MGT" vale0:gt
check "the receiver re-announces and is learned again" wait_until 10 fdb_has vale0 "$MGR" vale0:gr
good_pair_check

# A port that leaves takes its entries with it (vale1 is persistent).
kill -TERM "${BG[s1]}"
wait_bg s1 20
spawn s1b "$TBIN/tb-send" -p vale1:one -n 1 --hold
check "vale1:one sent again" wait_line s1b '^DONE' 20
check "and is learned again" wait_until 10 fdb_has vale1 "$(mac_listed vale1:one)" vale1:one
kill -TERM "${BG[s1b]}"
wait_bg s1b 20
check_eq "its port gone, vale1's table is empty" "$(fdb_count vale1)" 0

good_pair_stop
kill -TERM "${BG[s2]}"
wait_bg s2 20
finish
