#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# docs/protocol.md says what ptnetd does: every request ptnetd knows is
# documented and every documented request is known; every counter of a
# real stats record is documented and every documented counter is in the
# records; every field of real list records is documented and every
# documented field of a passthrough port or a switch is in them.
#
# What ptnetd knows comes from ptnetd itself, over the raw protocol (a
# small python3 SOCK_SEQPACKET client):
#   requests  the parenthesized, space-separated list in its reply to an
#             unknown request: err EINVAL unknown request 'X' (attach ...)
#   fields    the keys of the list records of a port (attached with the
#             release-built tb-port) and of its switch
#   counters  the keys of their stats records that the list records lack
# What the document says comes from the tables of docs/protocol.md: under
# the headings "## Requests", "## Record fields" and "## Counters", every
# table row whose first cell starts with a backtick; the name is the first
# word inside those backticks (`attach NAME ...` -> attach); tables under
# "### " subsections are not read.  The "in"
# column of Record fields (all, port, switch, tap port, vm port, vhost port, fdb) says
# which records must carry a field; fdb records come from an fdb request
# after the port sent one frame.  PROTOCOL_DOC=FILE checks another file.
. "$(dirname "$0")/lib.sh"

DOC=${PROTOCOL_DOC:-$ROOT/docs/protocol.md}
# Documented before ptnetd has them; once ptnetd lists one, this test fails
# until it is removed from here (it is then checked like any other).
PENDING=""

start_ptnetd -w 1
spawn h "$TBIN/tb-port" hold vale0:doc
check "a port is attached" wait_line h '^READY' 20
spawn f "$TBIN/tb-send" -p vale0:fdb -n 1 --hold
check "a port sent a frame (an fdb entry)" wait_line f '^DONE' 20

# Ask ptnetd: writes $T/d.requests, $T/d.port_fields, $T/d.switch_fields,
# $T/d.port_counters, $T/d.switch_counters (one name a line).
python3 - "$PTNET_SOCKET" "$T/d" >"$T/ask.out" 2>&1 <<'PY'
import re, socket, sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(10)
s.connect(path)

def call(req):
    s.send(req.encode())
    recs = []
    while True:
        m = s.recv(8192).decode()
        if not m.startswith("rec "):
            return m, recs
        recs.append(dict(w.split("=", 1) for w in m.split()[1:]))

r, _ = call("hello abi=1")
print("hello ->", r)
if not r.startswith("ok abi=1"):
    sys.exit("handshake failed: " + r)
r, _ = call("no_such_request")
print("unknown request ->", r)
m = re.search(r"\(([^()]*)\)\s*$", r)
if not r.startswith("err EINVAL unknown request") or not m:
    sys.exit("no request list in: " + r)
reqs = m.group(1).split()

def keys_of(recs, typ, name):
    for rec in recs:
        if rec.get("type") == typ and rec.get("name") == name:
            return list(rec)
    sys.exit("no %s record %s" % (typ, name))

r, lrecs = call("list")
print("list ->", r, "(%d records)" % len(lrecs))
r, srecs = call("stats")
print("stats ->", r, "(%d records)" % len(srecs))
lp, ls = keys_of(lrecs, "port", "vale0:doc"), keys_of(lrecs, "switch", "vale0")
sp, ss = keys_of(srecs, "port", "vale0:doc"), keys_of(srecs, "switch", "vale0")
sets = {
    "requests": reqs,
    "port_fields": lp,
    "switch_fields": ls,
    "port_counters": [k for k in sp if k not in lp],
    "switch_counters": [k for k in ss if k not in ls],
}
r, frecs = call("fdb")
print("fdb ->", r, "(%d records)" % len(frecs))
sets["fdb_fields"] = list(frecs[0]) if frecs else []
for k, v in sets.items():
    with open("%s.%s" % (out, k), "w") as f:
        f.write("".join(x + "\n" for x in v))
PY
rc=$?
sed 's/^/# ptnetd: /' "$T/ask.out"
check_eq "ptnetd answered hello, an unknown request, list and stats" "$rc" 0

# Read the document: writes $T/doc.requests, $T/doc.fields ("NAME IN"), $T/doc.counters.
python3 - "$DOC" "$T/doc" <<'PY'
import re, sys

doc, out = sys.argv[1], sys.argv[2]
want = {"Requests": "requests", "Record fields": "fields", "Counters": "counters"}
rows = {v: [] for v in want.values()}
section = None
for line in open(doc):
    if line.startswith("#"):
        # only the tables right under these "## " headings, not in subsections
        section = want.get(line[3:].strip()) if line.startswith("## ") else None
        continue
    m = re.match(r"\|\s*`([^`]*)`[^|]*\|([^|]*)\|", line)
    if section and m:
        name = m.group(1).split()[0]
        rows[section].append(name + (" " + m.group(2).strip().replace(" ", "_")
                                     if section == "fields" else ""))
for k, v in rows.items():
    with open("%s.%s" % (out, k), "w") as f:
        f.write("".join(x + "\n" for x in v))
PY
check_eq "docs/protocol.md parsed" "$?" 0
ndoc=$(wc -l <"$T/doc.requests")
nreq=$(wc -l <"$T/d.requests")
check "the document has its request table ($ndoc rows)" test "$ndoc" -ge 10
check "ptnetd lists its requests ($nreq)" test "$nreq" -ge 5
check "the document has its counter table" test "$(wc -l <"$T/doc.counters")" -ge 10
check "the document has its field table" test "$(wc -l <"$T/doc.fields")" -ge 10
check "ptnetd's stats records have counters" test "$(wc -l <"$T/d.port_counters")" -ge 10

has() { grep -qxF -- "$2" "$1"; }
pending() { case " $PENDING " in *" $1 "*) return 0 ;; esac; return 1; }

log "requests: ptnetd knows $(tr '\n' ' ' <"$T/d.requests")"
while read -r r; do
	check "request '$r' (ptnetd knows it) is documented" has "$T/doc.requests" "$r"
	if pending "$r"; then
		fail "ptnetd has '$r' now: remove it from PENDING in $(basename "$0")"
	fi
done <"$T/d.requests"
while read -r r; do
	if [ "$r" = hello ]; then
		# The handshake: answered before any other request (checked above);
		# ptnetd need not list it among the others.
		continue
	fi
	if pending "$r" && ! has "$T/d.requests" "$r"; then
		log "'$r' is documented ahead of ptnetd (PENDING)"
		continue
	fi
	check "documented request '$r' is known to ptnetd" has "$T/d.requests" "$r"
done <"$T/doc.requests"
check "hello is documented" has "$T/doc.requests" hello

log "counters: $(tr '\n' ' ' <"$T/d.port_counters")"
while read -r c; do
	check "counter '$c' is documented" has "$T/doc.counters" "$c"
done <"$T/d.port_counters"
check "a switch has the same counters as a port" cmp -s "$T/d.port_counters" "$T/d.switch_counters"
while read -r c; do
	check "documented counter '$c' is in a port's stats record" has "$T/d.port_counters" "$c"
	check "documented counter '$c' is in a switch's stats record" \
		has "$T/d.switch_counters" "$c"
done <"$T/doc.counters"

log "fields: port $(tr '\n' ' ' <"$T/d.port_fields"); switch $(tr '\n' ' ' <"$T/d.switch_fields")"
cut -d' ' -f1 "$T/doc.fields" >"$T/doc.field_names"
while read -r f; do
	check "record field '$f' is documented" has "$T/doc.field_names" "$f"
done < <(sort -u "$T/d.port_fields" "$T/d.switch_fields" "$T/d.fdb_fields")
check "ptnetd sent an fdb record" test -s "$T/d.fdb_fields"
# A monitor's record: a capture of vale0:doc holds one.
spawn mon "$PTNETCTL" capture vale0:doc -w /dev/null
check "a monitor of vale0:doc is up" wait_until 20 eval \
	"\"$PTNETCTL\" list 2>/dev/null | grep -q ' monitor '"
"$PTNETCTL" --json list 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r.get("kind") == "monitor":
        print("\n".join(r))
        break' >"$T/d.monitor_fields"
kill -TERM "${BG[mon]}"
wait_bg mon 20
check_eq "the capture stops on SIGTERM with exit 0" "$RC" 0
while read -r f in_; do
	case $in_ in
	all)
		check "documented field '$f' is in a port's record" has "$T/d.port_fields" "$f"
		check "documented field '$f' is in a switch's record" has "$T/d.switch_fields" "$f"
		;;
	port) check "documented field '$f' is in a port's record" has "$T/d.port_fields" "$f" ;;
	switch) check "documented field '$f' is in a switch's record" has "$T/d.switch_fields" "$f" ;;
	fdb) check "documented field '$f' is in an fdb record" has "$T/d.fdb_fields" "$f" ;;
	tap_port | vm_port | vhost_port)
		check "documented $in_ field '$f' is not in a passthrough port's record" \
			eval "! has \"$T/d.port_fields\" \"$f\""
		;;
	monitor_port)
		check "documented $in_ field '$f' is not in a passthrough port's record" \
			eval "! has \"$T/d.port_fields\" \"$f\""
		check "documented $in_ field '$f' is in a monitor's record" \
			has "$T/d.monitor_fields" "$f"
		;;
	*) fail "documented field '$f': unknown 'in' column '$in_'" ;;
	esac
done <"$T/doc.fields"

kill -TERM "${BG[h]}"
wait_bg h 20
check_eq "port holder exit status" "$RC" 0
kill -TERM "${BG[f]}"
wait_bg f 20
check_eq "fdb sender exit status" "$RC" 0
finish
