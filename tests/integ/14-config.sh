#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The configuration file (ptnetd -c FILE, ptnetd.conf(5)):
#   - a good file makes its switches (with access lists), tap ports in a
#     network namespace of ours and a vm port, at start;
#   - a bad file (a bad value; a request that fails only when applied)
#     is refused with FILE:LINE, by ptnetctl reload and by SIGHUP, and
#     nothing changes: the same ports, switches, MACs and interfaces;
#   - reloads add and remove ports (on vale3) while a good pair runs on vale0 (the taps'
#     own frames would be foreign to it): its
#     traffic goes on with nothing lost but counted drops, and an unchanged
#     tap port is left alone (same interface index); a changed one is
#     re-created with the new settings and keeps its MAC address;
#   - ptnetctl save -> a file -> a new ptnetd started from it -> the same
#     ptnetctl list.
. "$(dirname "$0")/lib.sh"

command -v ip >/dev/null || { echo "SKIP: ip not installed"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
NA=ptc-a-$$
ip netns add $NA || { echo "SKIP: cannot create network namespaces"; exit 77; }
trap 'ip netns pids $NA 2>/dev/null | xargs -r kill -KILL; ip netns del $NA 2>/dev/null; cleanup' EXIT

C=$T/ptnetd.conf
write_conf() {	# write_conf [EXTRA SECTIONS...]
	cat >"$C" <<EOC
# integ/14
[ptnetd]
max-ports = 100

[switch vale1]
allow-uid = 1001,1000
allow-gid = 100

[tap vale3:t1]
netns = $NA
ifname = eth0
mtu = 9000

[tap vale3:t2]
netns = $NA
queues = 2

[vm vale3:g1]
socket = $T/g1.sock
rings = 2
EOC
	local s
	for s in "$@"; do printf '\n%b\n' "$s" >>"$C"; done
}
# The running configuration, sorted (list order is not the point).
state() { "$PTNETCTL" list | sort; "$PTNETCTL" save | grep -v '^#' | sort; }
ifindex() { ip -n $NA -o link show "$1" 2>/dev/null | cut -d: -f1; }

write_conf
start_ptnetd -w 2 -c "$C"
check "the file was applied" grep -q "configuration $C applied: added=4 " "$T/ptnetd.err"
check "tap t1 is listed" port_listed vale3:t1
check "tap t2 is listed" port_listed vale3:t2
check "vm g1 is listed" port_listed vale3:g1
check "t1's interface is eth0 in our netns, mtu 9000" eval "ip -n $NA link show eth0 | grep -q 'mtu 9000'"
check "t2's interface is t2, 2 queues" eval "$PTNETCTL --json list | grep -q '\"name\":\"vale3:t2\".*\"tx_rings\":2'"
"$PTNETCTL" save >"$T/save1.conf"
sed 's/^/# save: /' "$T/save1.conf"
check "save: the switch and its access lists (sorted)" \
	eval "grep -A2 '^\[switch vale1\]' $T/save1.conf | grep -q '^allow-uid = 1000,1001'"
check "save: the limit from [ptnetd]" grep -q '^max-ports = 100$' "$T/save1.conf"
check "reload of the same file changes nothing" eval "$PTNETCTL reload | grep -qx 'added=0 removed=0 changed=0 unchanged=4'"

# Bad files: nothing changes.  (A tap port made by hand, not the file's:
# reloads leave it alone; below, its interface is in the way of one.)
check "a tap port by hand" "$PTNETCTL" tap add vale3:busy --netns $NA --ifname busy0
state >"$T/before"
T1=$(ifindex eth0)
cp "$C" "$T/good.conf"
write_conf '[tap vale3:t3]\nnetns = '$NA'\nqueues = 99'
check "a bad value is refused" eval "! $PTNETCTL reload 2>$T/bad1.err"
sed 's/^/# /' "$T/bad1.err"
check "the error names the file and line" grep -qF "$C:$(grep -n 'queues = 99' "$C" | cut -d: -f1): queues=99: must be 1..16" "$T/bad1.err"
check_eq "nothing changed" "$(state | diff "$T/before" - && echo same)" same
printf '[tap vale3:t4]\nbogus\n' >"$C"
check "a syntax error is refused" eval "! $PTNETCTL reload 2>$T/bad2.err"
check "with its line" grep -qF "$C:2: syntax error" "$T/bad2.err"
check_eq "nothing changed (syntax)" "$(state | diff "$T/before" - && echo same)" same
# Valid on paper, refused when applied (the interface exists): what was
# done before (g1 removed, t2 re-created) is undone.
write_conf '[tap vale3:t3]\nnetns = '$NA'\nifname = busy0'
sed -i -e '/^\[vm vale3:g1\]/,$d' "$C"
sed -i -e 's/^queues = 2$/queues = 1/' "$C"
printf '[tap vale3:t3]\nnetns = %s\nifname = busy0\n' $NA >>"$C"
check "a request that fails is refused" eval "! $PTNETCTL reload 2>$T/bad3.err"
sed 's/^/# /' "$T/bad3.err"
check "naming the section's line" grep -qF "$C:$(grep -n 'tap vale3:t3' "$C" | cut -d: -f1): [tap vale3:t3]: cannot create TAP busy0" "$T/bad3.err"
check_eq "everything as before (rolled back)" "$(state | diff "$T/before" - && echo same)" same
check_eq "t1 was not touched" "$(ifindex eth0)" "$T1"
# A reload that tightens a limit and changes g1: re-creating g1 fails on the
# new limit; the undo (g1 as it was) runs under the old limits, so g1 stays.
write_conf
sed -i -e 's/^\[ptnetd\]$/[ptnetd]\nmax-port-mem = 1/' -e 's/^rings = 2$/rings = 1/' "$C"
check "a reload that a new limit makes fail is refused" eval "! $PTNETCTL reload 2>$T/bad4.err"
sed 's/^/# /' "$T/bad4.err"
check_eq "everything as before (undone under the old limits)" \
	"$(state | diff "$T/before" - && echo same)" same
check "ptnetd could undo everything" eval "! grep -q 'cannot undo' $T/ptnetd.err"
write_conf '[tap vale3:t3]\nnetns = '$NA'\nifname = busy0'
sed -i -e '/^\[vm vale3:g1\]/,$d' "$C"
printf '[tap vale3:t3]\nnetns = %s\nifname = busy0\n' $NA >>"$C"
kill -HUP "$PTNETD_PID"
check "SIGHUP with a bad file: refused" wait_until 10 grep -q 'not reloaded (nothing changed).*busy0' "$T/ptnetd.err"
check "ptnetd is still there" alive "$PTNETD_PID"
check_eq "nothing changed (SIGHUP)" "$(state | diff "$T/before" - && echo same)" same

# Reloads under traffic.
good_pair_start
cp "$T/good.conf" "$C"
sed -i -e '/^\[tap vale3:t2\]/,/^queues/d' "$C"		# t2 goes
sed -i -e 's/^rings = 2$/rings = 1/' "$C"			# g1 changes
printf '[tap vale3:t5]\nnetns = %s\nmtu = 1400\n\n[switch vale2]\n' $NA >>"$C"
G1MAC=$("$PTNETCTL" --json list | tr '{' '\n' | sed -n 's/.*"name":"vale3:g1".*"mac":"\([^"]*\)".*/\1/p')
check "reload 1: t2 removed, g1 changed, t5 and vale2 added" \
	eval "$PTNETCTL reload | grep -qx 'added=2 removed=1 changed=1 unchanged=2'"
check "t2 is gone" eval "! port_listed vale3:t2"
check "and its interface" test -z "$(ifindex t2)"
check "t5 is there" port_listed vale3:t5
check "its interface has mtu 1400" eval "ip -n $NA link show t5 | grep -q 'mtu 1400'"
check "g1 has its new ring count" eval "$PTNETCTL --json list | grep -q '\"name\":\"vale3:g1\".*\"tx_rings\":1,'"
check "and kept its MAC" eval "$PTNETCTL --json list | grep -q '\"name\":\"vale3:g1\".*\"mac\":\"$G1MAC\"'"
check_eq "unchanged t1 was not touched" "$(ifindex eth0)" "$T1"
check "traffic still flows" wait_stat 20 "S('vale0:gr','rx_packets') > 5000"
cp "$T/good.conf" "$C"
kill -HUP "$PTNETD_PID"
check "reload 2 (SIGHUP): back to the first file" wait_until 20 grep -q \
	'reloaded: added=1 removed=2 changed=1 unchanged=2' "$T/ptnetd.err"
check "t5 is gone" eval "! port_listed vale3:t5"
check "vale2 (empty, the file's) is gone" eval "! port_listed vale2"
check "t2 is back" port_listed vale3:t2
check_eq "t1 still untouched" "$(ifindex eth0)" "$T1"
good_pair_check
check "the good pair's ports were never re-created" eval \
	"[ \$($PTNETCTL --json list | grep -o '\"pid\":[1-9][0-9]*' | wc -l) = 2 ]"
good_pair_stop

# save -> file -> a new ptnetd -> the same list.
"$PTNETCTL" save >"$T/saved.conf"
"$PTNETCTL" list | sort >"$T/list1"
stop_ptnetd
start_ptnetd -w 2 -c "$T/saved.conf"
"$PTNETCTL" list | sort >"$T/list2"
sed 's/^/# list: /' "$T/list2"
check_eq "a ptnetd started from the saved file has the same list" \
	"$(diff "$T/list1" "$T/list2" && echo same)" same
check "and saves the same file" eval "$PTNETCTL save | diff $T/saved.conf -"
finish
