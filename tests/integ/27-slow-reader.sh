#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Control replies do not depend on the client reading fast.  A SOCK_SEQPACKET
# socket holds about net.unix.max_dgram_qlen (10) messages; ptnetd keeps
# the rest of a reply in the connection's output queue until the client
# reads.  With 300 ports (held by a python client over the raw protocol,
# attach with 64 slots each), stats is 303 lines; 16 senders on vale2 make
# 16 fdb records:
#   slow     sends stats and reads nothing until ptnetd has certainly
#            answered (its receive queue is non-empty, then a second client's
#            hello was answered: ptnetd is single-threaded, so the whole reply
#            was made before it); the receive queue stays as it was while the
#            other client is served; then every record arrives, in the order
#            of a fast reader's reply, then ok count=N.  The same for fdb.
#   pipeline sends stats again and again without reading, as long as its
#            socket takes them: ptnetd stays responsive to others, its VmRSS
#            grows by less than 32 MiB, and reading at last gets every reply
#            whole, in order (ptnetd read no request while one was queued).
#   fds      sends stats then attach, reads a few records and closes: the
#            queued lines (the attach reply's descriptors too, if it was
#            queued) are freed, and ptnetd's /proc/PID/fd count comes back
#            to what it was; the port it attached is gone.
. "$(dirname "$0")/lib.sh"

start_ptnetd -w 1
# 16 senders of one frame each on vale2: 16 fdb records, more than a socket holds.
for i in $(seq 1 16); do spawn "s$i" "$TBIN/tb-send" -p "vale2:s$i" -n 1 --hold; done
for i in $(seq 1 16); do wait_line "s$i" '^DONE' 30 || fail "vale2:s$i sent its frame"; done

python3 - "$PTNET_SOCKET" "$PTNETD_PID" >"$T/slow.out" 2>&1 <<'PY'
import array, fcntl, os, socket, sys, termios, time

path, pid = sys.argv[1], int(sys.argv[2])
NPORTS = 300
NRECS = NPORTS + 16 + 3	# ports, the senders on vale2, 3 switches
fails = 0

def check(desc, ok):
    global fails
    print(("ok   " if ok else "FAIL ") + desc, flush=True)
    if not ok:
        fails += 1

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(30)
    s.connect(path)
    return s

def recv_line(s):
    """One message; closes any descriptors it carries, returns (text, nfds)."""
    msg, anc, _, _ = s.recvmsg(8192, socket.CMSG_SPACE(4 * 80))
    nfds = 0
    for lvl, typ, data in anc:
        if lvl == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(data[:len(data) - len(data) % 4])
            for f in fds:
                os.close(f)
            nfds += len(fds)
    return msg.decode(), nfds

def hello(s):
    s.send(b"hello abi=1")
    r, _ = recv_line(s)
    return r.startswith("ok abi=1")

def reply(s):
    """Records then the final line of one request."""
    recs = []
    while True:
        m, _ = recv_line(s)
        if not m.startswith("rec "):
            return recs, m
        recs.append(m)

def inq(s):
    buf = array.array("i", [0])
    fcntl.ioctl(s.fileno(), termios.FIONREAD, buf)
    return buf[0]

def nfds_ptnetd():
    return len(os.listdir("/proc/%d/fd" % pid))

def rss_kib():
    for l in open("/proc/%d/status" % pid):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
    return -1

def other_ok():
    """A second client is served meanwhile: connect, hello, list vale0."""
    s = conn()
    ok = hello(s)
    s.send(b"list vale0")
    recs, end = reply(s)
    s.close()
    return ok and end.startswith("ok count=")

# What S holds once ptnetd stopped writing into it: the count seen first may
# be taken while ptnetd is still filling the socket, so wait until it has
# not changed for a second (at most LIMIT seconds).
def settled(s, quiet=1.0, limit=60):
    end = time.time() + limit
    last, since = inq(s), time.time()
    while time.time() < end:
        time.sleep(0.02)
        n = inq(s)
        if n != last:
            last, since = n, time.time()
        elif time.time() - since >= quiet:
            break
    return last

def wait_for(cond, limit=60):
    end = time.time() + limit
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False

# The ports, one connection each (the connection is the port's lifeline).
holders = []
for i in range(NPORTS):
    s = conn()
    if not hello(s):
        sys.exit("hello failed")
    s.send(("attach vale%d:p%d slots=64 buf-size=256" % (i % 2, i)).encode())
    r, n = recv_line(s)
    if not r.startswith("ok size="):
        sys.exit("attach %d: %s" % (i, r))
    holders.append(s)
print("# %d ports attached" % NPORTS, flush=True)

fast = conn()
hello(fast)
fast.send(b"stats")
want, end = reply(fast)
check("a fast reader gets %d stats records, then %s" % (len(want), end),
      len(want) == NRECS and end == "ok count=%d" % (NRECS))
print("# the reply: %d bytes of records" % sum(len(r) for r in want), flush=True)
base_fds = nfds_ptnetd()
print("# ptnetd has %d descriptors" % base_fds, flush=True)

# slow: ask, do not read until ptnetd has certainly queued.
slow = conn()
hello(slow)
slow.send(b"stats")
check("ptnetd started answering the slow reader", wait_for(lambda: inq(slow) > 0))
before = settled(slow)
check("another client is served while the slow reader reads nothing", other_ok())
check("the slow reader's socket holds what it held (%d bytes): the rest waits in ptnetd"
      % before, inq(slow) == before)
check("and a third time", other_ok())
got, end = reply(slow)
check("the slow reader gets every record (%d), then %s" % (len(got), end),
      len(got) == len(want) and end == "ok count=%d" % (NRECS))
names = lambda recs: [r.split()[2] for r in recs]
check("in the order of the fast reader's reply", names(got) == names(want))
slow.close()

# The same for fdb vale2.
fdb = conn()
hello(fdb)
fdb.send(b"fdb vale2")
want_fdb, end = reply(fdb)
check("a fast reader gets 16 fdb records, then %s" % end,
      len(want_fdb) == 16 and end == "ok count=16")
fdb.send(b"fdb vale2")
check("ptnetd started answering fdb to the slow reader", wait_for(lambda: inq(fdb) > 0))
check("another client is served while it reads nothing", other_ok())
got, end = reply(fdb)
check("the slow fdb reader gets every record (%d) in order, then %s" % (len(got), end),
      [r.split()[3] for r in got] == [r.split()[3] for r in want_fdb] and end == "ok count=16")
fdb.close()

# pipeline: ask again and again without reading.
rss0 = rss_kib()
pipe = conn()
hello(pipe)
pipe.setblocking(False)
asked = 0
for _ in range(10000):
    try:
        pipe.send(b"stats")
        asked += 1
    except BlockingIOError:
        break
pipe.settimeout(30)
print("# the pipelining client's socket took %d requests" % asked, flush=True)
check("ptnetd answered the pipelining client", wait_for(lambda: inq(pipe) > 0))
check("another client is served while it reads nothing", other_ok())
rss1 = rss_kib()
check("ptnetd's VmRSS grew by less than 32 MiB (%d -> %d KiB)" % (rss0, rss1),
      rss1 - rss0 < 32768)
whole = True
for k in range(asked):
    got, end = reply(pipe)
    whole &= names(got) == names(want) and end == "ok count=%d" % (NRECS)
check("reading at last, every one of the %d replies comes whole and in order" % asked, whole)
pipe.close()

# stats then attach, read at the client's pace: the attach reply, queued or
# not, carries its descriptors (1 memfd + 2 per ring, 2 rings).
s = conn()
hello(s)
s.send(b"stats")
s.send(b"attach vale0:att slots=64 buf-size=256")
got, end = reply(s)
r, n = recv_line(s)
check("stats then attach: %d records, %s, then %s with %d descriptors"
      % (len(got), end, r.split()[0] if r else "nothing", n),
      names(got) == names(want) and r.startswith("ok size=") and n == 5)
s.close()
check("its port went with the connection", wait_for(lambda: nfds_ptnetd() == base_fds))

# fds: stats, then attach; read a little, close with lines queued.
for rnd in range(3):
    s = conn()
    hello(s)
    s.send(b"stats")
    s.send(b"attach vale0:zz%d slots=64 buf-size=256" % rnd)
    wait_for(lambda: inq(s) > 0)
    for _ in range(5 + 100 * rnd):
        recv_line(s)
    s.close()
check("after clients closed with replies queued, ptnetd's descriptors come back to %d"
      % base_fds, wait_for(lambda: nfds_ptnetd() == base_fds))
print("# ptnetd has %d descriptors" % nfds_ptnetd(), flush=True)
s = conn()
hello(s)
s.send(b"list")
recs, end = reply(s)
check("the ports those clients attached are gone",
      not any(" name=vale0:zz" in r for r in recs) and end == "ok count=%d" % (NRECS))
s.close()
for h in holders:
    h.close()
sys.exit(1 if fails else 0)
PY
rc=$?
sed 's/^/  /' "$T/slow.out"
check_eq "python client: every check passed" "$rc" 0
check "ptnetd is alive and answers" ctl_ok
check "the python client's ports are gone with their connections (the 16 senders stay)" wait_until 20 eval \
	"[ \"\$($PTNETCTL --json list | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r.get(\"type\") == \"port\"))')\" = 16 ]"
finish
