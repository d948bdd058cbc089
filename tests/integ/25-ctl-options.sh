#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ptnetctl's options work before or after the command (-s, --socket=,
# -j/--json, -h), and after "vm add" --socket stays the guest's socket; an
# unknown option is a usage error.  Its DROPS column is the sum of every
# drop_* counter the daemon reports, whatever their names: a TAP port whose
# interface is down counts the frames the kernel refused as drop_io, and
# ptnetctl stats shows them in DROPS and as a drop_io= line.
. "$(dirname "$0")/lib.sh"

command -v ip >/dev/null || { echo "SKIP: ip (iproute2) not installed"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
NS=ptc-o-$$
ip netns add $NS || { echo "SKIP: cannot create a network namespace"; exit 77; }
trap 'ip netns del $NS 2>/dev/null; cleanup' EXIT

# ctl_rc WANT ARGS...: ptnetctl ARGS exits WANT (output in $T/o.out, $T/o.err).
ctl_rc() {
	local want=$1 rc=0
	shift
	"$PTNETCTL" "$@" >"$T/o.out" 2>"$T/o.err" || rc=$?
	check_eq "ptnetctl $*: exit status" "$rc" "$want"
}
is_json() { python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }

start_ptnetd -w 1
"$PTNETCTL" switch add vale3 >/dev/null

log "options after the command"
"$PTNETCTL" --json list >"$T/before.json"
check "--json list is JSON" is_json "$T/before.json"
ctl_rc 0 list --json
check "list --json: the same output as --json list" cmp -s "$T/o.out" "$T/before.json"
ctl_rc 0 list -j
check "list -j: the same output as --json list" cmp -s "$T/o.out" "$T/before.json"
ctl_rc 0 stats vale3 --json
check "stats vale3 --json is JSON" is_json "$T/o.out"
check "stats vale3 --json: the switch record" grep -q '"name":"vale3"' "$T/o.out"
ctl_rc 0 stats --json vale3
check "stats --json vale3: the switch record" grep -q '"name":"vale3"' "$T/o.out"
ctl_rc 0 switch add vale4 --json
check_eq "switch add vale4 --json prints ok as JSON" "$(cat "$T/o.out")" '{"ok":true}'
ctl_rc 0 switch del vale4 -j
ctl_rc 0 -h
check "-h prints the usage" grep -q '^usage: ptnetctl' "$T/o.out"
ctl_rc 0 list --help
check "list --help prints the usage" grep -q '^usage: ptnetctl' "$T/o.out"
ctl_rc 2 list --bogus
check "list --bogus: names the option" grep -q "unknown option '--bogus'" "$T/o.err"
ctl_rc 2 --bogus list
check "--bogus list: names the option" grep -q "unknown option '--bogus'" "$T/o.err"
ctl_rc 2 list -s
check "list -s: says what is missing" grep -q -- '-s needs a socket path' "$T/o.err"
SOCK=$PTNET_SOCKET
PTNET_SOCKET=$T/nowhere.sock
ctl_rc 0 list -s "$SOCK"
ctl_rc 0 stats --socket="$SOCK" --json
check "stats --socket=PATH --json reaches the daemon" grep -q '"name":"vale3"' "$T/o.out"
ctl_rc 0 -s "$SOCK" list
ctl_rc 1 list
check "without -s: the socket from PTNET_SOCKET" grep -q 'nowhere.sock' "$T/o.err"
PTNET_SOCKET=$SOCK
# After "vm add", --socket is the guest's ivshmem socket, not ptnetd's.
ctl_rc 0 vm add vale0:v --socket "$T/vm.sock" --json
check "vm add --socket: ptnetd serves the guest's socket" test -S "$T/vm.sock"
check "vm add --socket: the vm port exists" port_listed vale0:v
ctl_rc 0 vm del vale0:v
check "vm del: the vm port is gone" wait_until 5 eval '! port_listed vale0:v'

log "DROPS: every drop_* counter, drop_io of a TAP whose interface is down"
ctl_rc 0 tap add vale0:t --netns $NS --ifname eth0
check "tap's interface goes down" ip -n $NS link set eth0 down
spawn s "$TBIN/tb-send" -p vale0:s -n 100 -s 60 --hold
check "broadcast sender done" wait_line s '^DONE' 20
check "the TAP counts 100 drop_io" wait_stat 10 "S('vale0:t','drop_io') == 100"
sum=$(stat_expr 'drops("vale0:t")')
# The interface may have sent a frame of its own (IPv6 DAD/MLD) while it was
# up and alone on the switch: that one is a drop_no_dest.
check_eq "the TAP's drops are its drop_io and its own undeliverable frames" "$sum" \
	"$(stat_expr "S('vale0:t','drop_io') + S('vale0:t','drop_no_dest')")"
"$PTNETCTL" stats >"$T/stats.txt"
sed 's/^/#   /' "$T/stats.txt"
check_eq "ptnetctl stats: the TAP's DROPS column" \
	"$(awk '$1 == "vale0:t" { print $6 }' "$T/stats.txt")" "$sum"
drop_line() {
	awk '$1 == "vale0:t" { f = 1; next } NF == 6 { f = 0 } f && $1 == "drop_io=100" { ok = 1 }
		END { exit !ok }' "$T/stats.txt"
}
check "ptnetctl stats: a drop_io=100 line under the TAP" drop_line
# Every record: DROPS is the sum of its drop_* fields, as --json has them.
"$PTNETCTL" --json stats | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    print(r["name"], sum(v for k, v in r.items() if k.startswith("drop_")))
' | sort >"$T/want.txt"
awk 'NR > 1 && NF == 6 { print $1, $6 }' "$T/stats.txt" | sort >"$T/got.txt"
check "ptnetctl stats: DROPS = sum of drop_* for every record" cmp -s "$T/got.txt" "$T/want.txt"
kill -TERM "${BG[s]}"
wait_bg s 20
check_eq "sender exit status" "$RC" 0
ctl_rc 0 tap del vale0:t
finish
