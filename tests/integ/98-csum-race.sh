#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Checksum completion into a hostile RX ring: a port with a vnet header
# sends NEEDS_CSUM frames to a header-less port of the same client, whose
# thread keeps writing 0xffff into the len of its RX slots
# (tb-hostile -m csum-race).  ptnetd must complete each checksum over the
# bytes it copied, never over a length the destination wrote afterwards: no
# delivered frame may carry a wrong checksum, and ptnetd must neither crash
# nor read past the destination's 64 KiB region (which a 64 KiB length
# from its last buffers would).
. "$(dirname "$0")/lib.sh"

SECS=${CSUM_RACE_SECONDS:-10}
if [ ! -x "$TBIN/tb-hostile" ]; then
	echo "SKIP: $TBIN/tb-hostile not built"
	exit 77
fi

start_ptnetd -w 1
spawn cr "$TBIN/tb-hostile" -m csum-race -p cr -t "$SECS"
check "csum racer attached" wait_line cr '^READY' 20
wait_bg cr $((SECS + 30))
show cr
check "ptnetd survived" alive "$PTNETD_PID"
check "every delivered frame's checksum is the one of its bytes" \
	grep -qE '^DONE .* frames=[1-9][0-9]* bad_csum=0 ' "$T/cr.out"
finish
