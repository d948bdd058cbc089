#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# vale-ctl's requests through libptnet-netmap.so (tests/netmap/nm-ctl):
# VALE_NEWIF only checks the name (ptnet makes the interface when it is
# attached), VALE_ATTACH valeX:IF makes tap port valeX:IF with interface IF
# (in $PTNET_VALE_NETNS), VALE_LIST lists it, VALE_DETACH and VALE_DELIF IF
# remove it, and ptnetctl shows each step.  An existing interface cannot be
# attached (EOPNOTSUPP: ptnetd has no kind that takes over a NIC).
. "$(dirname "$0")/lib.sh"

NMB=$ASAN
[ -x "$NMB/tests/netmap/nm-ctl" ] && [ -f "$NMB/lib/libptnet-netmap.so" ] || NMB=$BUILD
if [ ! -x "$NMB/tests/netmap/nm-ctl" ] || [ ! -x "$NMB/bin/ptnet-run" ]; then
	echo "SKIP: nm-ctl or ptnet-run not built"
	exit 77
fi
command -v ip >/dev/null || { echo "SKIP: ip not installed"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
NS=ptn48-$$
ip netns add $NS || { echo "SKIP: cannot create a network namespace"; exit 77; }
trap 'ip netns del $NS 2>/dev/null; cleanup' EXIT
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
export PTNET_VALE_NETNS=$NS

start_ptnetd -w 1

# nmctl TAG ARGS...: run nm-ctl, RC its status, $T/TAG.out its output.
nmctl() {
	local tag=$1
	shift
	spawn "$tag" "$NMB/bin/ptnet-run" "$NMB/tests/netmap/nm-ctl" "$@"
	wait_bg "$tag" 30
	show "$tag"
	check "$tag: no sanitizer report" sanitizer_clean "$T/$tag.err"
}
in_ns_link() { ip netns exec $NS ip link show "$1" >/dev/null 2>&1; }
kind_of() {
	"$PTNETCTL" --json list 2>/dev/null | python3 -c '
import json, sys
print(" ".join(r.get("kind", "") + ":" + r.get("ifname", "") for r in json.load(sys.stdin)
               if r.get("name") == sys.argv[1]))' "$1"
}

nmctl newif newif t48a
check_eq "VALE_NEWIF t48a" "$RC" 0
check "NEWIF made nothing yet" eval "! in_ns_link t48a"
nmctl attach attach vale12:t48a
check_eq "VALE_ATTACH vale12:t48a" "$RC" 0
check_eq "ptnetctl shows a tap port with interface t48a" "$(kind_of vale12:t48a)" "tap:t48a"
check "interface t48a is in netns $NS" in_ns_link t48a
check "port_index written back" grep -q "^OK port_index=0\$" "$T/attach.out"
nmctl list list
check_eq "VALE_LIST" "$RC" 0
check "VALE_LIST names vale12:t48a" grep -q "^vale12:t48a b=" "$T/list.out"
nmctl again attach vale12:t48a
check_eq "a second VALE_ATTACH fails" "$RC" 1
check "... with EBUSY" grep -q "errno=$(python3 -c 'import errno; print(errno.EBUSY)') " "$T/again.out"
nmctl detach detach vale12:t48a
check_eq "VALE_DETACH vale12:t48a" "$RC" 0
check "the port is gone" eval "! port_listed vale12:t48a"
check "and its interface" wait_until 10 eval "! in_ns_link t48a"

nmctl attach2 attach vale12:t48b 3
check_eq "VALE_ATTACH vale12:t48b, NIC_SW (vale-ctl -h)" "$RC" 0
check "tap port t48b listed" port_listed vale12:t48b
nmctl delif delif t48b
check_eq "VALE_DELIF t48b" "$RC" 0
check "the port is gone after DELIF" eval "! port_listed vale12:t48b"
nmctl delif2 delif t48b
check "VALE_DELIF of no such interface: ENXIO" \
	grep -q "errno=$(python3 -c 'import errno; print(errno.ENXIO)') " "$T/delif2.out"
nmctl mode2 attach vale12:t48c 2
check "VALE_ATTACH mode 2: EINVAL" \
	grep -q "errno=$(python3 -c 'import errno; print(errno.EINVAL)') " "$T/mode2.out"
check "nothing attached by a refused VALE_ATTACH" eval "! port_listed vale12:t48c"

# An interface of our own namespace cannot be taken over.
unset PTNET_VALE_NETNS
nmctl lo attach vale12:lo
check "VALE_ATTACH vale12:lo: EOPNOTSUPP" \
	grep -q "errno=$(python3 -c 'import errno; print(errno.EOPNOTSUPP)') " "$T/lo.out"
check "no port made for lo" eval "! port_listed vale12:lo"
nmctl newiflo newif lo
check "VALE_NEWIF lo: EEXIST" \
	grep -q "errno=$(python3 -c 'import errno; print(errno.EEXIST)') " "$T/newiflo.out"
finish
