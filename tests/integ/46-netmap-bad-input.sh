#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# /dev/netmap under bad input (tests/netmap/nm-bad through ptnet-run): wrong
# nr_version, non-zero reserved fields, unknown requests and options,
# overlong names, pointers to nowhere, bad modes, a bad ring head... each
# gets netmap's errno, the program does not crash (also under ASan), and
# afterwards a good registration, a frame, and other fds still work.  The
# good pair runs alongside and must be undisturbed.
. "$(dirname "$0")/lib.sh"

NMB=$ASAN
[ -x "$NMB/tests/netmap/nm-bad" ] && [ -f "$NMB/lib/libptnet-netmap.so" ] || NMB=$BUILD
if [ ! -x "$NMB/tests/netmap/nm-bad" ] || [ ! -x "$NMB/bin/ptnet-run" ]; then
	echo "SKIP: nm-bad or ptnet-run not built"
	exit 77
fi
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"

start_ptnetd
good_pair_start
spawn bad "$NMB/bin/ptnet-run" "$NMB/tests/netmap/nm-bad" vale6
wait_bg bad 60
check_eq "nm-bad: every check passed" "$RC" 0
show bad
check "nm-bad: no sanitizer report" sanitizer_clean "$T/bad.err"
check "nm-bad: the library said nothing without PTNET_DEBUG" test ! -s "$T/bad.err"
spawn dbad env PTNET_DEBUG=1 "$NMB/bin/ptnet-run" "$NMB/tests/netmap/nm-bad" vale6
wait_bg dbad 60
check_eq "nm-bad with PTNET_DEBUG: every check passed" "$RC" 0
check "PTNET_DEBUG explains an unsupported mode" grep -q "have no host rings" "$T/dbad.err"
check "PTNET_DEBUG explains bad pipe names" grep -q "a pipe end is NAME{N or NAME}N" "$T/dbad.err"
check "nm-bad's ports are gone" wait_until 10 eval "! port_listed vale6:bad0"
good_pair_check
good_pair_stop
finish
