#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Monitor ports and ptnetctl capture: what a port is delivered, written as
# pcap that tcpdump and tshark read back with the right count, lengths and
# addresses; BPF filters run by ptnetd before copying (a filtered-out frame
# never reaches the monitor); a slow monitor drops at the monitor and costs
# the monitored pair nothing; a capture killed mid-stream leaves a file that
# is readable up to its last complete packet; only a port's owner or root
# may monitor it.
. "$(dirname "$0")/lib.sh"

command -v tcpdump >/dev/null || { echo "SKIP: tcpdump is needed (scripts/deps.sh)"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) is needed"; exit 77; }
N=6000	# more than a monitor ring (4096) and its pipe hold: the stuck one must drop
chmod 755 "$T"
start_ptnetd -w 2 --socket-mode 0666

monitors() { "$PTNETCTL" --json list 2>/dev/null | python3 -c '
import json, sys
print(sum(r.get("kind") == "monitor" for r in json.load(sys.stdin)))'; }
# pcap_summary FILE: "complete=N partial=0|1 bytes=B dst=D src=S" (D/S: the set of MACs).
pcap_summary() { python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
magic = struct.unpack_from("<I", d)[0]
assert magic in (0xa1b2c3d4, 0xa1b23c4d), hex(magic)
off, n, total, dst, src, partial = 24, 0, 0, set(), set(), 0
while off < len(d):
    if off + 16 > len(d):
        partial = 1; break
    ts, tf, caplen, wirelen = struct.unpack_from("<IIII", d, off)
    if off + 16 + caplen > len(d):
        partial = 1; break
    f = d[off + 16: off + 16 + caplen]
    dst.add(f[0:6].hex(":")); src.add(f[6:12].hex(":"))
    n += 1; total += wirelen; off += 16 + caplen
print("complete=%d partial=%d bytes=%d dst=%s src=%s" % (n, partial, total, ",".join(sorted(dst)), ",".join(sorted(src))))
PY
}
field() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" <<<"$1"; }

spawn r "$TBIN/tb-recv" -p vale0:r -i 100 -e 1:$N -e 2:$N --sizes 60-1514 --ack --announce --exact --hold
check "receiver ready" wait_line r '^READY' 20
rmac=$(mac_of r)

# 1. Everything r is delivered, to a file; a stock tcpdump and tshark read it.
spawn cap "$PTNETCTL" capture vale0:r --rx -w "$T/all.pcap" -c $N
check "the capture's monitor port is up" wait_until 20 eval '[ "$(monitors)" = 1 ]'
check "a uid that does not own vale0:r may not monitor it" \
	eval "! setpriv --reuid=65534 --regid=65534 --clear-groups $PTNETCTL capture vale0:r -c 1 -w /dev/null 2>$T/eperm.err"
check "the refusal says why" grep -q "only it or root may monitor" "$T/eperm.err"
spawn s "$TBIN/tb-send" -p vale0:s -i 1 -n $N -s 60-1514 -w 64 -d "$rmac"
check "sender s done" wait_line s '^DONE' 60
smac=$(mac_of s)
wait_bg cap 60
check_eq "capture of $N frames exits 0" "$RC" 0
show cap
# tcpdump prints one line per packet that starts with its timestamp (then hex lines).
tcpdump_count() { tcpdump -n -r "$1" 2>/dev/null | grep -c '^[0-9]'; }
check_eq "tcpdump reads $N packets" "$(tcpdump_count "$T/all.pcap")" $N
sum=$(pcap_summary "$T/all.pcap")
log "pcap: $sum"
check_eq "every record complete" "$(field "$sum" complete)/$(field "$sum" partial)" "$N/0"
check_eq "all to r" "$(field "$sum" dst)" "$rmac"
check_eq "all from s" "$(field "$sum" src)" "$smac"
check_eq "captured bytes == what ptnetd delivered to r" "$(field "$sum" bytes)" \
	"$(ctr vale0:r rx_bytes)"
if command -v tshark >/dev/null; then
	check_eq "tshark reads $N frames" "$(tshark -n -r "$T/all.pcap" -T fields -e frame.len 2>/dev/null | wc -l)" $N
	check_eq "tshark's lengths add up" "$(tshark -n -r "$T/all.pcap" -T fields -e frame.len 2>/dev/null | awk '{ s += $1 } END { print s }')" \
		"$(field "$sum" bytes)"
else
	log "tshark not installed: its read-back is not checked"
fi
check "the capture's monitor port went with it" wait_until 20 eval '[ "$(monitors)" = 0 ]'

# 2. Filters run in ptnetd, before copying: ether src picks s2's frames;
#    a filter that matches nothing copies nothing into the monitor.
S2MAC=02:00:00:00:00:22
spawn fs "$PTNETCTL" capture vale0:r --rx -w "$T/src.pcap" -c $N ether src $S2MAC
spawn fn "$PTNETCTL" capture vale0:r --rx -w "$T/none.pcap" ether src 00:00:5e:00:53:01
check "two filtered monitors are up" wait_until 20 eval '[ "$(monitors)" = 2 ]'
# 3. A monitor that does not read (its stdout is a pipe nobody drains).
mkfifo "$T/stuck"
spawn slow sh -c "exec $PTNETCTL capture vale0:r -w - > $T/stuck"
exec 7<>"$T/stuck"	# holds the pipe open, never reads
check "the stuck monitor is up" wait_until 20 eval '[ "$(monitors)" = 3 ]'
spawn s2 "$TBIN/tb-send" -p "vale0:s2@conf:mac=$S2MAC" -i 2 -n $N -s 60-1514 -w 64 -d "$rmac"
check "sender s2 done" wait_line s2 '^DONE' 60
check "receiver r got all frames of s and s2 intact and in order" wait_line r '^RECV ok' 60
wait_bg fs 60
check_eq "filtered capture of $N frames exits 0" "$RC" 0
sum=$(pcap_summary "$T/src.pcap")
check_eq "ether src: only s2's frames" "$(field "$sum" src)" "$S2MAC"
check_eq "ether src: $N frames" "$(field "$sum" complete)" $N
check_eq "no-match filter: nothing was copied into its monitor" \
	"$(ctr "vale0:cap${BG[fn]}" rx_packets)" 0
check_eq "no ring-full drops at r: the stuck monitor cost the pair nothing" \
	"$(ctr vale0:r drop_ring_full)" 0
kill -TERM "${BG[fn]}"
wait_bg fn 20
check_eq "the no-match capture stops on SIGTERM with exit 0" "$RC" 0
sum=$(pcap_summary "$T/none.pcap")
check_eq "no-match filter: an empty, valid file" "$(field "$sum" complete)/$(field "$sum" partial)" "0/0"
check "the stuck monitor dropped at the monitor" \
	test "$(ctr "vale0:cap${BG[slow]}" drop_ring_full)" -gt 0
kill -KILL "${BG[slow]}"
wait_bg slow 20
exec 7>&-

kill -TERM "${BG[r]}"
wait_bg r 20
check_eq "receiver r exits 0" "$RC" 0

# A port that drains whatever it gets, for what follows.
kmac=02:00:00:00:00:33
spawn sink "$TBIN/tb-port" hold "vale0:sink@conf:mac=$kmac"
check "sink ready" wait_line sink '^READY' 20

# 4. Killed mid-stream: the file holds whole packets up to the kill.
spawn k "$PTNETCTL" capture vale0:sink --rx -w "$T/killed.pcap"
check "the capture to be killed is up" wait_until 20 eval '[ "$(monitors)" = 1 ]'
spawn s3 "$TBIN/tb-send" -p vale0:s3 -i 3 -n 0 -s 60-1514 -d "$kmac"
check "frames reach the file" wait_until 30 eval '[ "$(stat -c %s "$T/killed.pcap" 2>/dev/null || echo 0)" -gt 2000000 ]'
kill -KILL "${BG[k]}"
wait_bg k 20
kill -TERM "${BG[s3]}"
wait_bg s3 20
sum=$(pcap_summary "$T/killed.pcap")
log "killed: $sum"
# Killed once the file passed 2 MB: at most 1530 bytes a record, so > 1300 records.
check "whole packets up to the kill (the 2 MB seen before it)" test "$(field "$sum" complete)" -gt 1300
check_eq "tcpdump reads every complete packet of the killed file" \
	"$(tcpdump_count "$T/killed.pcap")" "$(field "$sum" complete)"
check "the killed capture's monitor went with it" wait_until 20 eval '[ "$(monitors)" = 0 ]'

# 5. udp port filters on ptnet-pktgen's UDP traffic (port 1234).
spawn u9 "$PTNETCTL" capture vale0:sink --rx -w "$T/u9.pcap" udp port 9
spawn u1 "$PTNETCTL" capture vale0:sink --rx -w "$T/u1.pcap" -c 500 udp port 1234
check "udp monitors are up" wait_until 20 eval '[ "$(monitors)" = 2 ]'
spawn pg "$BUILD/bin/ptnet-pktgen" -i vale0:pg -f tx -n 2000 -D "$kmac"
wait_bg u1 60
check_eq "udp port 1234: 500 frames, exit 0" "$RC/$(field "$(pcap_summary "$T/u1.pcap")" complete)" "0/500"
wait_bg pg 30
check_eq "ptnet-pktgen sent its 2000 frames" "$RC" 0
check_eq "udp port 9: nothing was copied into its monitor" "$(ctr "vale0:cap${BG[u9]}" rx_packets)" 0
kill -TERM "${BG[u9]}"
wait_bg u9 20
check_eq "udp port 9: no frame in the file" "$(field "$(pcap_summary "$T/u9.pcap")" complete)" 0
kill -TERM "${BG[sink]}"
wait_bg sink 20

# 6. A user's monitors are bounded (they cost the threads that forward for
#    everyone): the last slot is root's, and so is the filter budget past 256.
U=65534
spawn own setpriv --reuid=$U --regid=$U --clear-groups "$TBIN/tb-port" hold vale0:own
check "uid $U holds vale0:own" wait_line own '^READY' 20
for i in 1 2 3 4 5 6 7; do
	spawn "m$i" setpriv --reuid=$U --regid=$U --clear-groups "$PTNETCTL" capture vale0:own -q -w /dev/null
done
check "uid $U has 7 monitors of its port" wait_until 20 eval '[ "$(monitors)" = 7 ]'
check "its 8th is refused: the last is root's" eval "! timeout 20 setpriv --reuid=$U --regid=$U --clear-groups $PTNETCTL capture vale0:own -c 1 -w /dev/null 2>$T/m8.err"
check "saying so" grep -q "kept for root" "$T/m8.err"
spawn mroot "$PTNETCTL" capture vale0:own -q -w /dev/null
check "root still monitors it" wait_until 20 eval '[ "$(monitors)" = 8 ]'
for i in 1 2 3 4 5 6 7; do kill -TERM "${BG[m$i]}"; wait_bg "m$i" 20; done
kill -TERM "${BG[mroot]}"
wait_bg mroot 20
# ~145 instructions each (tcpdump -d): one such monitor fits the users' budget, two do not.
long=$(for i in $(seq 1 40); do printf 'udp port %d or ' $((1000 + i)); done)
spawn f1 setpriv --reuid=$U --regid=$U --clear-groups "$PTNETCTL" capture vale0:own -q -w /dev/null $long udp port 9
check "a user's long filter fits the budget" wait_until 20 eval '[ "$(monitors)" = 1 ]'
check "a second one is refused (the budget is per port)" eval "! timeout 20 setpriv --reuid=$U --regid=$U --clear-groups $PTNETCTL capture vale0:own -c 1 -w /dev/null $long udp port 7 2>$T/long.err"
sed "s/^/# long.err: /" "$T/long.err"
check "naming the budget" grep -q "BPF instructions per frame" "$T/long.err"
kill -TERM "${BG[f1]}"
wait_bg f1 20
kill -TERM "${BG[own]}"
wait_bg own 20
finish
