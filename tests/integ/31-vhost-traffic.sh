#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A vhost-user port (ptnetd the backend, tb-vhu the fake QEMU + guest) and a
# libptnet port on one switch: verified frames both ways (60..9000 bytes, so
# merged RX buffers and every TX layout: one descriptor, a chain, an
# indirect table), every frame sent either received in order and intact or
# counted as dropped; again without MRG_RXBUF/INDIRECT_DESC/EVENT_IDX, and
# with 2 queue pairs (MQ).  The port is listed with kind vhost; vhost del
# removes it and its socket.  Skips (77) if this ptnetd has no vhost kind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vhost-lib.sh"

N=${VHOST_FRAMES:-3000}
start_ptnetd -w 2
vhost_require

kind_of() {
	"$PTNETCTL" --json list 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r.get("name") == sys.argv[1]:
        print(r.get("kind", "none"))
        break
else:
    print("none")
' "$1"
}

# one_round TAG VHU-OPTS...: tb-vhu -> tb-recv and tb-send -> tb-vhu.
# indrops PORT: a python expression, the drops of frames on their way to PORT (drop_no_dest
# is a frame PORT sent to nobody, e.g. its own announcement)
indrops() { echo "sum(v for k, v in s.get('$1', {}).items() if k.startswith('drop_') and k != 'drop_no_dest')"; }
RXD=$(indrops vale0:vh)
one_round() {
	local tag=$1 sent got got_tx rmac drops tx0 rx0 rxd0
	shift
	tx0=$(stat_expr "S('vale0:vh','tx_packets')")
	rx0=$(stat_expr "S('vale0:vh','rx_packets')")
	rxd0=$(stat_expr "$RXD")
	spawn "r$tag" "$TBIN/tb-recv" -p "vale0:r$tag" -l 7 --announce
	check "$tag: libptnet receiver ready" wait_line "r$tag" '^READY' 20
	rmac=$(mac_of "r$tag")
	spawn "v$tag" "$VHU" -S "$T/vh.sock" -m 52:54:00:76:31:01 -d "$rmac" --send "$N" \
		-s 60-9000 -l 9 --hold "$@"
	check "$tag: tb-vhu negotiated with ptnetd" wait_line "v$tag" '^READY' 30
	log "$tag: $(line_of "v$tag" '^READY')"
	check "$tag: tb-vhu sent its frames (the backend used every descriptor)" \
		wait_line "v$tag" '^SENT' 60
	check "$tag: the vhost port's tx_packets counts them (and the announcement)" \
		wait_stat 20 "S('vale0:vh','tx_packets') - $tx0 >= $N"
	check "$tag: books of tb-vhu -> libptnet balance" wait_stat 20 \
		"S('vale0:r$tag','rx_packets') + $(indrops "vale0:r$tag") == $N"
	drops=$(stat_expr "$(indrops "vale0:r$tag")")	# (while it is attached)
	kill -TERM "${BG[r$tag]}"
	wait_bg "r$tag" 20
	check_eq "$tag: libptnet receiver: every frame intact, in order" "$RC" 0
	got=$(sed -n 's/.* from7=\([0-9]*\).*/\1/p' "$T/r$tag.out" | tail -n 1)
	check_eq "$tag: frames received + dropped at the receiver = sent" \
		"$((${got:-0} + drops))" "$N"
	show "r$tag"

	# the other way: a libptnet sender to the guest's MAC (learned from its announcement)
	spawn "s$tag" "$TBIN/tb-send" -p "vale0:s$tag" -i 9 -d 52:54:00:76:31:01 -n "$N" -s 60-9000
	check "$tag: libptnet sender done" wait_line "s$tag" '^DONE' 60
	wait_bg "s$tag" 20
	check_eq "$tag: libptnet sender exit status" "$RC" 0
	sent=$(sed -n 's/^DONE sent=\([0-9]*\).*/\1/p' "$T/s$tag.out")
	check_eq "$tag: libptnet sender sent them all" "$sent" "$N"
	check "$tag: every frame to the guest is delivered or dropped" wait_stat 30 \
		"S('vale0:vh','rx_packets') - $rx0 + $RXD - $rxd0 == $N"
	kill -TERM "${BG[v$tag]}"
	wait_bg "v$tag" 20
	check_eq "$tag: tb-vhu: every frame intact, in order" "$RC" 0
	show "v$tag"
	got_tx=$(sed -n 's/^FROM id=9 frames=\([0-9]*\)/\1/p' "$T/v$tag.out")
	log "$tag: vh record: $(vh_record vale0:vh)"
	check_eq "$tag: what the guest received is the port's rx_packets" "${got_tx:-0}" \
		"$(stat_expr "S('vale0:vh','rx_packets') - $rx0")"
}

check "vhost add" vhost_add vh "$T/vh.sock" --mac 52:54:00:76:31:01
check "the port's socket is there" test -S "$T/vh.sock"
check_eq "the port is listed as kind vhost" "$(kind_of vale0:vh)" vhost
one_round a
check "ptnetd is alive" alive "$PTNETD_PID"
check "the port waits for the next frontend" wait_until 20 vh_state_is vale0:vh '*disconn*|*wait*|*listen*|*down*'

one_round b --no-mrg --no-indirect --no-event-idx
check "vhost del" "$PTNETCTL" vhost del vale0:vh
check "the port is gone" wait_until 10 eval '! port_listed vale0:vh'
check "its socket is gone" test ! -e "$T/vh.sock"

check "vhost add --queues 2" vhost_add vh "$T/vh.sock" --queues 2
one_round q -q 2
check "vhost del (2 queues)" "$PTNETCTL" vhost del vale0:vh
finish
