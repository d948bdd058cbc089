#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ptnetctl detach of a live port: the command succeeds, the port leaves
# the list, its client gets -EPIPE from ptnet_port_wait, ptnet_txsync and
# ptnet_rxsync; the name can be used again; a name in use gets -EBUSY.
. "$(dirname "$0")/lib.sh"

start_ptnetd -w 1
spawn v "$TBIN/tb-port" wait-dead vale0:victim 30000
spawn o "$TBIN/tb-port" hold vale0:other
check "victim attached" wait_line v '^READY' 20
check "other attached" wait_line o '^READY' 20
check "victim listed" port_listed vale0:victim

rc=0; "$TBIN/tb-port" open-fail vale0:victim EBUSY >"$T/busy.out" 2>&1 || rc=$?
sed 's/^/# /' "$T/busy.out"
check_eq "opening a name in use fails with EBUSY" "$rc" 0

rc=0; "$PTNETCTL" detach vale0:victim >"$T/d.out" 2>&1 || rc=$?
check_eq "ptnetctl detach exits 0" "$rc" 0
check "victim no longer listed" wait_until 10 eval "! port_listed vale0:victim"
wait_bg v 20
check_eq "client of the detached port saw -EPIPE everywhere" "$RC" 0
show v
check "other port still listed" port_listed vale0:other
check "other client still running" alive "${BG[o]}"

# The name is free again.
spawn v2 "$TBIN/tb-port" hold vale0:victim
check "the detached name can be attached again" wait_line v2 '^READY' 20
kill -TERM "${BG[v2]}" "${BG[o]}"
wait_bg v2 20
check_eq "second holder exits 0" "$RC" 0
wait_bg o 20
check_eq "other holder exits 0" "$RC" 0
finish
