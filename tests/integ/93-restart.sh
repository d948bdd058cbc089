#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ptnetd killed with SIGKILL while clients run (ptnet-pktgen tx and rx, a
# windowed tb-send/tb-recv stream, a libptnet client waiting for the end,
# an idle one): every client learns its port is gone (-EPIPE) within a
# bounded time and exits 1 with a message naming the detached port; the
# socket is left behind, stale; a new ptnetd replaces it and serves new
# clients, also on the old port names.  Twice.
. "$(dirname "$0")/lib.sh"

PKTGEN=${PKTGEN:-$BUILD/bin/ptnet-pktgen}
if [ ! -x "$PKTGEN" ]; then
	echo "SKIP: $PKTGEN not built"
	exit 77
fi

refuses() { ! "$PTNETCTL" list >/dev/null 2>&1; }

for round in 1 2; do
	start_ptnetd -w 2
	check "ptnetd $round: removed the stale socket" \
		test "$round" = 1 -o "$(grep -c 'removing stale socket' "$T/ptnetd.err")" = $((round - 1))
	# (on their own switch: pktgen rx never sends, so tx floods)
	spawn "prx$round" "$PKTGEN" -i "vale1:prx@conf:mac=02:00:00:00:00:01" -f rx -V -T 200
	spawn "ptx$round" "$PKTGEN" -i vale1:ptx -f tx -V -D 02:00:00:00:00:01 -T 200
	spawn "r$round" "$TBIN/tb-recv" -p vale0:r -i 100 -e 1:100000000 --ack --announce
	check "receiver $round ready" wait_line "r$round" '^READY' 20
	spawn "s$round" "$TBIN/tb-send" -p vale0:s -i 1 -n 0 -s 60-1514 -w 128 \
		-d "$(mac_of "r$round")"
	spawn "w$round" "$TBIN/tb-port" wait-dead vale0:w 60000
	spawn "h$round" "$TBIN/tb-port" hold vale0:h
	check "ptnetd $round: traffic flows" wait_stat 20 \
		"S('vale1:prx','rx_packets') > 10000 and S('vale0:r','rx_packets') > 10000"
	check "ptnetd $round: all six ports attached" wait_stat 10 \
		"all(S(n, 'mtu') for n in ('vale1:prx', 'vale1:ptx', 'vale0:r', 'vale0:s', 'vale0:w', \
'vale0:h'))"

	kill -KILL "$PTNETD_PID"
	wait "$PTNETD_PID" 2>/dev/null
	PTNETD_PID=
	log "ptnetd $round killed"
	check "the socket is left behind" test -S "$PTNET_SOCKET"
	check "nobody answers on it" refuses

	# Each client: exit 1 within 10 s, saying which port was detached.
	for c in prx ptx; do
		wait_bg "$c$round" 10
		check_eq "ptnet-pktgen $c exits 1" "$RC" 1
		check "ptnet-pktgen $c names the detached port" \
			grep -q "port vale1:$c was detached" "$T/$c$round.err"
		grep -h 'detached' "$T/$c$round.err" | sed 's/^/#   /'
	done
	wait_bg "s$round" 10
	check_eq "tb-send exits 1" "$RC" 1
	check "tb-send names the detached port" grep -q "port vale0:s was detached" "$T/s$round.err"
	wait_bg "r$round" 10
	check_eq "tb-recv exits 1" "$RC" 1
	check "tb-recv names the detached port" grep -q "port vale0:r was detached" "$T/r$round.err"
	wait_bg "w$round" 10
	check_eq "libptnet: wait, txsync and rxsync all give -EPIPE" "$RC" 0
	check "libptnet's message says detached" grep -q '^EPIPE wait: port vale0:w was detached' \
		"$T/w$round.out"
	wait_bg "h$round" 10
	check_eq "an idle client (tb-port hold) exits 1" "$RC" 1
	check "it names the port" grep -q "vale0:h was detached" "$T/h$round.err"
done

# A third ptnetd serves new clients on the same names.
start_ptnetd -w 2
check "ptnetd 3: removed the stale socket" \
	test "$(grep -c 'removing stale socket' "$T/ptnetd.err")" = 2
spawn r "$TBIN/tb-recv" -p vale0:r -i 100 -e 1:20000 --sizes 60-9000 --ack --announce --exact
check "new receiver ready" wait_line r '^READY' 20
spawn s "$TBIN/tb-send" -p vale0:s -i 1 -n 20000 -s 60-9000 -w 128 -d "$(mac_of r)"
check "new sender done" wait_line s '^DONE' 60
check "new receiver got all 20000 frames intact and in order" wait_line r '^RECV ok' 60
wait_bg s 20
check_eq "new sender exit status" "$RC" 0
wait_bg r 20
check_eq "new receiver exit status" "$RC" 0
finish
