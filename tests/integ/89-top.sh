#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ptnetctl top: with the good pair's traffic running, not on a terminal it
# prints -n COUNT blocks of plain lines with both ports and non-zero rates
# and exits 0.  On a terminal (a detached tmux session): the port names and
# non-zero rates appear on the screen, the terminal is in non-canonical,
# no-echo mode meanwhile, `q` quits with status 0 and the terminal mode is
# as before (stty -g); SIGTERM also restores it (and top dies of it).
# Every wait polls for the event (bounded), never a fixed sleep.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null || { echo "SKIP: tmux is needed (apt-get install tmux)"; exit 77; }
TMUX_SOCK=$T/tmux.sock
tm() { tmux -S "$TMUX_SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT

start_ptnetd -w 1
good_pair_start

# --- plain lines ---
timeout 30 "$PTNETCTL" top -n 2 >"$T/plain.out" 2>"$T/plain.err"
check_eq "top -n 2 (not a terminal) exits 0" "$?" 0
sed 's/^/# plain: /' "$T/plain.out" "$T/plain.err"
check_eq "two blocks" "$(grep -c '^ptnetctl top ' "$T/plain.out")" 2
check "no terminal escapes in plain output" eval "! grep -q $'\e' $T/plain.out"
# gt sends (TX-PPS, column 4), gr receives (RX-PPS, column 2)
check "the sender's TX rate is not zero" awk '$1 == "vale0:gt" && $4 != "0" { f = 1 } END { exit !f }' "$T/plain.out"
check "the receiver's RX rate is not zero" awk '$1 == "vale0:gr" && $2 != "0" { f = 1 } END { exit !f }' "$T/plain.out"
check "switch totals are shown" grep -qE '^vale0 \(total\) ' "$T/plain.out"
check "top with a bad count is a usage error" eval "! $PTNETCTL top -n x 2>/dev/null"

# --- on a terminal ---
# run_top NAME: top in a tmux session NAME; the shell records the terminal
# mode before and after, and top's exit status.
run_top() {
	tm new-session -d -s "$1" -x 150 -y 40 \
		"stty -g >$T/$1.before; PTNET_SOCKET=$PTNET_SOCKET $PTNETCTL top; echo \$? >$T/$1.rc.tmp; \
mv $T/$1.rc.tmp $T/$1.rc; stty -g >$T/$1.after; exec cat"
}
screen_has() { tm capture-pane -p -t "$1" | awk "$2" >/dev/null; }
pane_tty() { tm display-message -p -t "$1" '#{pane_tty}'; }
tty_mode() { stty -a <"$(pane_tty "$1")"; }

run_top t1
check "top shows the sender with a non-zero TX rate" wait_until 20 screen_has t1 \
	'$1 == "vale0:gt" && $4 != "0" { f = 1 } END { exit !f }'
check "and the receiver with a non-zero RX rate" wait_until 20 screen_has t1 \
	'$1 == "vale0:gr" && $2 != "0" { f = 1 } END { exit !f }'
tm capture-pane -p -t t1 | grep -v '^$' | sed 's/^/# screen: /'
tty_mode t1 >"$T/t1.running"
check "the terminal is in non-canonical mode while top runs" grep -qw -- -icanon "$T/t1.running"
check "without echo" grep -qw -- -echo "$T/t1.running"
tm send-keys -t t1 q
check "q quits top" wait_until 20 test -e "$T/t1.rc"
check_eq "top exit status after q" "$(cat "$T/t1.rc")" 0
check "the shell recorded the mode after" wait_until 20 test -s "$T/t1.after"
check_eq "the terminal mode is restored" "$(cat "$T/t1.after")" "$(cat "$T/t1.before")"
check "canonical mode and echo are back" eval "stty -a <$(pane_tty t1) | grep -qw icanon"

run_top t2
check "second top is up" wait_until 20 screen_has t2 '$1 == "vale0:gt" { f = 1 } END { exit !f }'
shpid=$(tm display-message -p -t t2 '#{pane_pid}')
toppid=$(pgrep -P "$shpid" ptnetctl)
check "found top's pid ($toppid)" test -n "$toppid"
kill -TERM "$toppid"
check "SIGTERM ends top" wait_until 20 test -e "$T/t2.rc"
check_eq "top died of SIGTERM" "$(cat "$T/t2.rc")" 143
check "the shell recorded the mode after" wait_until 20 test -s "$T/t2.after"
check_eq "the terminal mode is restored after SIGTERM" "$(cat "$T/t2.after")" "$(cat "$T/t2.before")"
tm kill-server

good_pair_check
good_pair_stop
finish
