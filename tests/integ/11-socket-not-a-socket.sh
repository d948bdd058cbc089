#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ptnetd -s PATH where PATH is an existing regular file (a typo, or a
# misconfigured unit): only a stale *socket* may be replaced.  ptnetd must
# refuse to start and leave the file as it was.
. "$(dirname "$0")/lib.sh"

echo "precious data" >"$PTNET_SOCKET"
"$PTNETD" -s "$PTNET_SOCKET" -w 1 >"$T/d.out" 2>"$T/d.err" &
pid=$!
# Either it exits (refusal) or it comes up on top of the file (the bug).
wait_until 10 eval "! alive $pid || test -S $PTNET_SOCKET"
if alive "$pid"; then
	kill -TERM "$pid"
	wait_exit "$pid" 20; rc=$RC
	fail "ptnetd started on top of a regular file (exit $rc after SIGTERM)"
else
	wait_exit "$pid" 5; rc=$RC
	check "ptnetd refused to start (exit $rc)" test "$rc" -ne 0
fi
sed 's/^/# ptnetd: /' "$T/d.err"
check "the regular file is still there" test -f "$PTNET_SOCKET"
check "its content is intact" grep -qs "precious data" "$PTNET_SOCKET"
check "no sanitizer report" sanitizer_clean "$T/d.err"
finish
