# SPDX-License-Identifier: BSD-2-Clause
# vhost-lib.sh - helpers of the vhost-user port tests (tests/integ/3N-vhost-*.sh),
# sourced after lib.sh.  tb-vhu (tests/bin/tb-vhu.c) plays QEMU and the guest.
#
#   vhost_require        exit 77 (with the reason) unless tb-vhu is built, ptnetd
#                        knows the vhost-add request and ptnetctl the vhost command;
#                        call after start_ptnetd
#   vhost_add NAME SOCK [OPTS...]   ptnetctl vhost add vale0:NAME --socket SOCK OPTS
#   vh_state PORT        the port's connection state as its record names it
#   vh_broken PORT       the sum of the port's broken-ring / bad-message counters
#   vh_record PORT       the port's stats record, one line, for the log

VHU=$TBIN/tb-vhu

# raw_request REQ: one control request on a fresh connection; prints the reply.
raw_request() {
	python3 - "$PTNET_SOCKET" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(10)
s.connect(sys.argv[1])
s.send(b"hello abi=1")
s.recv(8192)
s.send(sys.argv[2].encode())
print(s.recv(8192).decode())
PY
}

vhost_require() {
	local r
	if [ ! -x "$VHU" ]; then
		echo "SKIP: $VHU not built"
		exit 77
	fi
	r=$(raw_request "vhost-del vale0:vhprobe")
	case $r in
	*"unknown request"*)
		echo "SKIP: this ptnetd has no vhost-user port kind (vhost-add: $r)"
		exit 77 ;;
	esac
	if "$PTNETCTL" vhost 2>&1 | grep -q "unknown command"; then
		echo "SKIP: this ptnetctl has no vhost command"
		exit 77
	fi
}

vhost_add() {
	local name=$1 sock=$2
	shift 2
	"$PTNETCTL" vhost add "vale0:$name" --socket "$sock" "$@"
}

vh_record() {
	"$PTNETCTL" --json stats 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r.get("name") == sys.argv[1]:
        print(" ".join("%s=%s" % kv for kv in sorted(r.items())))
' "$1"
}

# The first of the fields a connection state can go by.
vh_state() {
	"$PTNETCTL" --json stats 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r.get("name") == sys.argv[1]:
        for k in ("state", "conn", "connection", "status", "vhost_state"):
            if k in r:
                print(r[k])
                break
        else:
            print("unknown")
        break
else:
    print("none")
' "$1"
}

vh_broken() {
	"$PTNETCTL" --json stats 2>/dev/null | python3 -c '
import json, re, sys
n = 0
for r in json.load(sys.stdin):
    if r.get("name") == sys.argv[1]:
        for k, v in r.items():
            if isinstance(v, int) and re.search(r"broken|bad_ring|bad_desc|bad_msg|needs_reset|vq_err|proto", k):
                n += v
print(n)
' "$1"
}

# vh_state_is PORT 'GLOB|GLOB...': the state matches one of the globs.
vh_state_is() {
	local st p pats
	st=$(vh_state "$1")
	IFS='|' read -ra pats <<<"$2"
	for p in "${pats[@]}"; do
		# shellcheck disable=SC2053
		[[ $st == $p ]] && return 0
	done
	return 1
}
vh_broken_above() { [ "$(vh_broken "$1")" -gt "$2" ]; }
