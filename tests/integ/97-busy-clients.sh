#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ptnetd killed with SIGKILL under busy-polling clients (ptnet-pktgen
# --busy: txsync/rxsync in a loop, never sleeping in ptnet_port_wait): like
# the sleeping ones (93-restart) they must learn within a bounded time that
# their port is gone and exit 1 naming it.  A killed ptnetd cannot mark the
# region dead, so libptnet has to notice the control connection's hang-up
# on the sync path too.
. "$(dirname "$0")/lib.sh"

PKTGEN=${PKTGEN:-$BUILD/bin/ptnet-pktgen}
if [ ! -x "$PKTGEN" ]; then
	echo "SKIP: $PKTGEN not built"
	exit 77
fi

start_ptnetd -w 2
spawn sleeper "$PKTGEN" -i "vale0:sl@conf:mac=02:00:00:00:00:03" -f tx -D 02:00:00:00:00:03 -q
spawn btx "$PKTGEN" -i "vale0:bt@conf:mac=02:00:00:00:00:01" -f tx -D 02:00:00:00:00:01 --busy -q
spawn brx "$PKTGEN" -i "vale0:br@conf:mac=02:00:00:00:00:02" -f rx --busy -q
check "the three clients run" wait_stat 20 \
	"S('vale0:bt','tx_packets') > 10000 and S('vale0:sl','tx_packets') > 10000 and \
S('vale0:br','mtu') > 0"
kill -KILL "$PTNETD_PID"
wait "$PTNETD_PID" 2>/dev/null
PTNETD_PID=
log "ptnetd killed"
wait_bg sleeper 10
check_eq "a sleeping tx client exits 1" "$RC" 1
check "it names its port" grep -q "port vale0:sl was detached" "$T/sleeper.err"
wait_bg btx 10
check_eq "a busy-polling tx client exits 1 within 10 s (124: still running)" "$RC" 1
check "it names its port" grep -q "port vale0:bt was detached" "$T/btx.err"
wait_bg brx 10
check_eq "a busy-polling rx client exits 1 within 10 s (124: still running)" "$RC" 1
check "it names its port" grep -q "port vale0:br was detached" "$T/brx.err"
start_ptnetd -w 2
check "a new ptnetd replaced the stale socket" grep -q 'removing stale socket' "$T/ptnetd.err"
finish
