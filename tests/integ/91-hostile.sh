#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A hostile client (tb-hostile, as uid 65534) attaches, misbehaves in every
# way a client can and detaches abruptly, round after round, for
# HOSTILE_SECONDS (default 40), while two good clients (tb-canary) exchange
# verified unicast traffic on the same switch, every frame carrying a
# per-run canary.  ptnetd must answer "list" within 5 s throughout and
# exit 0 on SIGTERM with no sanitizer report; the good receiver sees no
# corrupt, reordered or foreign frame; every frame sent is delivered or
# counted as dropped at the receiver, exactly; nothing reaches the sender;
# the hostile client never finds the canary in its memory; ptnetd's
# descriptors return to what they were.
# HOSTILE_ARGS adds tb-hostile options (e.g. --no-vnet: no offload paths;
# -S SEED to replay a run: the seed is on its START line).
. "$(dirname "$0")/lib.sh"

SECS=${HOSTILE_SECONDS:-40}
HOSTILE=$TBIN/tb-hostile
CANARYBIN=$TBIN/tb-canary
for b in "$HOSTILE" "$CANARYBIN"; do
	if [ ! -x "$b" ]; then
		echo "SKIP: $b not built"
		exit 77
	fi
done

fds_of() { ls "/proc/$PTNETD_PID/fd" 2>/dev/null | wc -l; }
hostile_gone() {
	[ "$("$PTNETCTL" --json list 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin) if r.get("type") == "port"))')" = 2 ]
}

# --socket-mode: the hostile client runs as nobody; quotas bound what it holds.
start_ptnetd -w 2 --socket-mode 0666 --uid-max-ports 16 --uid-max-mem 512
chmod 755 "$T"
CANARY=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
log "canary $CANARY"

spawn gr "$CANARYBIN" rx -p vale0:gr -c "$CANARY"
check "good receiver ready (its MAC learned)" wait_line gr '^READY' 20
spawn gt "$CANARYBIN" tx -p vale0:gt -d "$(mac_of gr)" -c "$CANARY" -s 60-9000 \
	-T $((SECS + 3)) --hold
check "good sender ready" wait_line gt '^READY' 20
check "good traffic flows" wait_stat 20 "S('vale0:gr','rx_packets') > 1000"
fds0=$(fds_of)
log "ptnetd has $fds0 descriptors with the good pair attached"

uid=65534
# shellcheck disable=SC2086
spawn h "$HOSTILE" -c "$CANARY" -t "$SECS" -u $uid --victim vale0:gr --victim vale0:gt \
	${HOSTILE_ARGS:-}
slow=0
maxms=0
while alive "${BG[h]}"; do
	t0=$(date +%s%N)
	if ! timeout 5 "$PTNETCTL" list >/dev/null 2>&1; then
		slow=$((slow + 1))
		log "ptnetctl list did not answer within 5 s"
	fi
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -gt "$maxms" ] && maxms=$ms
	alive "$PTNETD_PID" || break
	sleep 1
done
if ! alive "$PTNETD_PID"; then
	fail "ptnetd died under the hostile client"
	wait_bg h 30
	show h
	finish
fi
check_eq "ptnetctl list answered within 5 s throughout (slowest ${maxms} ms)" "$slow" 0
wait_bg h $((SECS + 120))
check_eq "hostile client exit status (0: nothing found)" "$RC" 0
show h
check "hostile client ran rounds" grep -qE '^HOSTILE ok rounds=[1-9]' "$T/h.out"

check "every hostile port is gone" wait_until 20 hostile_gone
check "ptnetd's descriptors are back to $fds0" wait_until 20 eval '[ "$(fds_of)" = "$fds0" ]'
log "ptnetd descriptors now $(fds_of)"
check "good sender stopped and flushed" wait_line gt '^SENT' 60
sent=$(sed -n 's/^SENT frames=\([0-9]*\).*/\1/p' "$T/gt.out")
log "good sender sent $sent frames"
expect_ctr "good sender's tx_packets is what it sent" vale0:gt tx_packets "$sent"
check "every frame of the good sender is delivered or counted as dropped at the receiver" \
	wait_stat 30 "S('vale0:gt','tx_packets') == S('vale0:gr','rx_packets') + \
S('vale0:gr','drop_ring_full') + S('vale0:gr','drop_bad_ring') + S('vale0:gr','drop_offload')"
for f in drop_bad_slot drop_bad_chain drop_runt drop_no_dest rx_packets drop_ring_full \
	drop_bad_ring drop_offload; do
	check_eq "good sender vale0:gt $f" "$(ctr vale0:gt $f)" 0
done
for f in drop_bad_slot drop_bad_chain drop_runt drop_bad_ring drop_offload; do
	check_eq "good receiver vale0:gr $f" "$(ctr vale0:gr $f)" 0
done
rx=$(ctr vale0:gr rx_packets)
dropped=$(stat_expr "S('vale0:gr','drop_ring_full') + S('vale0:gr','drop_bad_ring') + \
S('vale0:gr','drop_offload')")

kill -TERM "${BG[gr]}"
wait_bg gr 30
check_eq "good receiver exit status (nothing corrupt, reordered or foreign)" "$RC" 0
show gr
recv=$(line_of gr '^RECV')
val() { echo "$recv" | sed -n "s/.* $1=\([-0-9]*\).*/\1/p"; }
check_eq "receiver's frames == its rx_packets" "$(val frames)" "$rx"
check_eq "receiver: corrupt frames" "$(val corrupt)" 0
check_eq "receiver: reordered frames" "$(val reordered)" 0
check_eq "receiver: foreign frames" "$(val foreign)" 0
check_eq "receiver's gaps (in stream and at the end) == drops counted at the receiver" \
	$(($(val gaps) + sent - 1 - $(val last_seq))) "$dropped"

kill -TERM "${BG[gt]}"
wait_bg gt 20
check_eq "good sender exit status" "$RC" 0
finish
