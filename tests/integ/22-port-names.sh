#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ptnet_port_open with bad port names and @conf options: each one fails
# with -EINVAL (the documented error for a bad name or option) and a
# one-line message, and nothing appears in ptnetd; good ones work and get
# what they asked for.
. "$(dirname "$0")/lib.sh"

start_ptnetd -w 1

bad=(
	"vale0" "vale0:" ":a" "foo:a" "Vale0:a" "vale0:a-b" "vale0:a.b" "vale0:a:b"
	"vale0:abcdefghijklmnop" "valeabcdefghijklm:a" "vale0:a@" "vale0:a@foo:rings=2"
	"vale0:a@conf" "vale0:a@conf:rings" "vale0:a@conf:rings=x" "vale0:a@conf:slots=100"
	"vale0:a@conf:buf-size=1000" "vale0:a@conf:vnet-hdr=1" "vale0:a@conf:mac=01:00:5e:00:00:01"
	"vale0:a@conf:bogus=1"
	# out-of-range numbers: still "a bad option", -EINVAL
	"vale0:a@conf:rings=17" "vale0:a@conf:slots=8192" "vale0:a@conf:buf-size=100"
)
for n in "${bad[@]}"; do
	rc=0
	"$TBIN/tb-port" open-fail "$n" EINVAL >"$T/o.out" 2>&1 || rc=$?
	sed 's/^/# /' "$T/o.out"
	check_eq "'$n' rejected with EINVAL and a message" "$rc" 0
done
check_eq "no switch or port was created" "$(stat_expr 'len(s)')" 0

# Good names get what they asked for.
conf=tx-rings=3,rx-rings=2,slots=256,buf-size=4096,vnet-hdr=12,mtu=9000,mac=02:12:34:56:78:9a
"$TBIN/tb-port" open "vale0:x_1@conf:$conf" \
	>"$T/g.out" 2>&1
rc=$?
sed 's/^/# /' "$T/g.out"
check_eq "good name with options opens" "$rc" 0
want="name=vale0:x_1 tx_rings=3 rx_rings=2 tx_slots=256 rx_slots=256 buf_size=4096"
want="$want vnet_hdr=12 mtu=9000 mac=02:12:34:56:78:9a"
check "geometry as asked" grep -q "$want" "$T/g.out"
"$TBIN/tb-port" open "vale12345678901:abcdefghijklmno" >"$T/g.out" 2>&1
check_eq "longest names open" "$?" 0
check "the closed ports are gone" wait_until 10 eval "! port_listed vale0:x_1"
finish
