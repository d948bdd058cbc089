#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A netmap program that forks (tests/netmap/nm-fork) on ptnet through the
# preload: the child inherits the /dev/netmap fds and the mapping and uses
# the rings while the parent waits; the parent carries on after the child
# closed its copies and exited (the ports stay attached, the rings resume
# where the child left them); an exec'd child does not take the inherited
# fd for a registered one and registers a port of its own.  Every frame is
# checked byte by byte in windows that fit the ring (no timing luck).
. "$(dirname "$0")/lib.sh"

NMB=$ASAN
[ -x "$NMB/tests/netmap/nm-fork" ] && [ -f "$NMB/lib/libptnet-netmap.so" ] || NMB=$BUILD
if [ ! -x "$NMB/tests/netmap/nm-fork" ] || [ ! -x "$NMB/bin/ptnet-run" ]; then
	echo "SKIP: nm-fork or ptnet-run not built"
	exit 77
fi
RUN=$NMB/bin/ptnet-run
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"

start_ptnetd -w 2

spawn fork "$RUN" "$NMB/tests/netmap/nm-fork" -a vale6:fa -b vale6:fb -c vale6:fc -n 3000
wait_bg fork 120
check_eq "nm-fork exit status (parent, child, parent again, exec'd child)" "$RC" 0
check "every phase's frames verified" grep -q "^OK parent=3000 child=3000 after=6000\$" "$T/fork.out"
check "the exec'd child registered a port of its own" grep -q "^EXEC OK\$" "$T/fork.out"
show fork
check "no sanitizer report" sanitizer_clean "$T/fork.err"
check "the library is silent without PTNET_DEBUG" test ! -s "$T/fork.err"
check "ports detached when the program exited" wait_until 10 eval \
	"[ \"\$(stat_expr 'len([n for n in s if n.startswith(\"vale6:\")])')\" = 0 ]"
finish
