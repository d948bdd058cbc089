#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The control protocol (docs/protocol.md) seen by a raw client: no hello,
# wrong ABI, malformed, oversized and unknown requests and bad attach
# arguments (a trailing newline, hex numbers: the protocol is printable
# ASCII and decimal) each get "err NAME message" and nothing else happens; the
# connection survives everything but a failed handshake; ptnetd stays up.
. "$(dirname "$0")/lib.sh"

start_ptnetd -w 1
python3 - "$PTNET_SOCKET" >"$T/proto.out" 2>&1 <<'PY'
import socket, sys

path = sys.argv[1]
fails = 0

def conn(hello=True):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(path)
    if hello:
        s.send(b"hello abi=1")
        r = s.recv(8192).decode()
        if not r.startswith("ok abi=1"):
            raise SystemExit("handshake failed: " + r)
    return s

def check(desc, ok, got):
    global fails
    print(("ok   " if ok else "FAIL ") + desc + ": " + repr(got))
    if not ok:
        fails += 1

def expect_err(s, req, names, desc):
    s.send(req)
    r = s.recv(8192).decode()
    parts = r.split(" ", 2)
    ok = len(parts) == 3 and parts[0] == "err" and parts[1] in names and parts[2].strip()
    check(desc, ok, r)

def closed(s):
    try:
        return s.recv(8192) == b""
    except OSError:
        return True

# Handshake errors close the connection.
s = conn(hello=False)
expect_err(s, b"list", ("EPROTO",), "request before hello")
check("connection closed after a missing hello", closed(s), "")
s = conn(hello=False)
expect_err(s, b"hello abi=2", ("EPROTO",), "wrong ABI")
check("connection closed after a wrong ABI", closed(s), "")
s = conn(hello=False)
expect_err(s, b"hello abi=0x1", ("EPROTO",), "hex ABI")
check("connection closed after a hex ABI", closed(s), "")
s = conn(hello=False)
expect_err(s, b"hello", ("EPROTO",), "hello without abi")

# Everything else keeps the connection.
s = conn()
expect_err(s, b"frobnicate", ("EINVAL",), "unknown request")
expect_err(s, b"hello abi=1", ("EINVAL",), "second hello")
expect_err(s, b"list\x01", ("EINVAL",), "control character")
expect_err(s, b"list \xff", ("EINVAL",), "non-ASCII byte")
expect_err(s, b"list\x00x", ("EINVAL",), "NUL byte")
expect_err(s, b"list\n", ("EINVAL",), "trailing newline")
# (On connections of their own: an attach that wrongly succeeds must not hide the rest.)
expect_err(conn(), b"attach vale3:nl\n", ("EINVAL",), "attach with a trailing newline")
expect_err(conn(), b"attach vale3:nl rings=1\n", ("EINVAL",), "attach: newline after an option")
expect_err(s, b" ".join([b"a"] * 1000), ("E2BIG",), "1000 tokens")
expect_err(s, b"list " + b"x" * 5000, ("EMSGSIZE",), "5 KB request")
expect_err(s, b"   ", ("EINVAL",), "blank request")
expect_err(s, b"attach", ("EINVAL",), "attach without a name")
expect_err(s, b"attach vale0", ("EINVAL",), "attach: name without ':'")
expect_err(s, b"attach foo:a", ("EINVAL",), "attach: switch not vale*")
expect_err(s, b"attach vale0:a-b", ("EINVAL",), "attach: bad port name")
expect_err(s, b"attach vale0:a@conf:rings=2", ("EINVAL",), "attach: @conf suffix")
expect_err(s, b"attach vale0:a rings", ("EINVAL",), "attach: option without '='")
expect_err(s, b"attach vale0:a bogus=1", ("EINVAL",), "attach: unknown option")
expect_err(s, b"attach vale0:a slots=100", ("EINVAL",), "attach: slots not a power of 2")
expect_err(s, b"attach vale0:a vnet-hdr=3", ("EINVAL",), "attach: vnet-hdr 3")
expect_err(s, b"attach vale0:a extra-bufs=65537", ("EINVAL",), "attach: extra-bufs beyond 65536")
expect_err(s, b"attach vale0:a extra-bufs=0x10", ("EINVAL",), "attach: hex extra-bufs")
expect_err(s, b"attach vale0:a rings=0x2", ("EINVAL",), "attach: hex rings")
expect_err(s, b"attach vale0:a slots=0x400", ("EINVAL",), "attach: hex slots")
expect_err(s, b"attach vale0:a buf-size=0X800", ("EINVAL",), "attach: hex buf-size")
expect_err(s, b"attach vale0:a rings=+2", ("EINVAL",), "attach: signed rings")
s.send(b"attach vale0:a rings=0x2")
r = s.recv(8192).decode()
check("the hex error says what is wrong", "decimal" in r, r)
expect_err(s, b"attach vale0:a mac=01:00:00:00:00:01", ("EINVAL",), "attach: multicast MAC")
# Out-of-range numbers: the protocol does not say which of the two.
expect_err(s, b"attach vale0:a rings=99", ("EINVAL", "ERANGE"), "attach: rings=99")
expect_err(s, b"attach vale0:a buf-size=100", ("EINVAL", "ERANGE"), "attach: buf-size=100")
expect_err(s, b"detach", ("EINVAL",), "detach without a name")
expect_err(s, b"detach vale0:zz", ("ENOENT",), "detach unknown port")
expect_err(s, b"switch-add x", ("EINVAL",), "switch-add bad name")
expect_err(s, b"switch-add vale8 allow-uid=,,", ("EINVAL",), "switch-add: an allow list of no ids")
expect_err(s, b"switch-add vale8 allow-uid=1000,,1001", ("EINVAL",), "switch-add: an empty id in the list")
expect_err(s, b"switch-del vale77", ("ENOENT",), "switch-del unknown")
s.send(b"list")
r = s.recv(8192).decode()
check("connection still works after the errors", r.startswith("ok"), r)
# Nothing was created by the failed attaches.
check("no switch created by failed attaches", r == "ok count=0", r)

# Fds sent to ptnetd are ignored; a second attach on one connection is refused.
s2 = conn()
s2.send(b"attach vale0:good")
r = s2.recv(8192).decode()
check("valid attach", r.startswith("ok size="), r)
expect_err(s2, b"attach vale0:other", ("EBUSY",), "second attach on one connection")
s3 = conn()
expect_err(s3, b"attach vale0:good", ("EBUSY",), "attach of a name in use")
s2.close()
print("%d failure(s)" % fails)
sys.exit(1 if fails else 0)
PY
rc=$?
sed 's/^/  /' "$T/proto.out"
check_eq "protocol checks" "$rc" 0
check "ptnetd still answers" ctl_ok
check "the port of the closed connection is gone" wait_until 10 eval "! port_listed vale0:good"
finish
