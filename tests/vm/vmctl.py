#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""vmctl.py - run a shell script in a test guest over its command channel.

usage: vmctl.py SOCKET [-t SECONDS] [--wait-ready] [SCRIPT]
  SOCKET        the guest's ttyS1 (QEMU -serial unix:SOCKET,server=on,wait=off)
  SCRIPT        shell text (default: read from stdin); its output is printed
                and its exit status becomes ours
  -t SECONDS    bound on the whole exchange (default 60): exit 124 on timeout
  --wait-ready  retry until the guest answers (boot), within the bound
"""
import base64, os, random, socket, sys, time


def run(path, script, timeout):
    deadline = time.monotonic() + timeout
    rid = "%08x" % random.getrandbits(32)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(max(0.1, deadline - time.monotonic()))
    s.connect(path)
    s.sendall(("%s %s\n" % (rid, base64.b64encode(script.encode()).decode())).encode())
    buf = b""
    marker = ("@@END %s " % rid).encode()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        s.settimeout(left)
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("guest channel closed")
        buf += chunk
        i = buf.find(marker)
        if i >= 0:
            j = buf.find(b"\n", i)
            if j < 0:
                continue
            rc = int(buf[i + len(marker):j].strip() or b"1")
            out = buf[:i]
            # Drop leftovers of earlier, timed-out requests.
            k = out.rfind(b"@@END ")
            if k >= 0:
                out = out[out.find(b"\n", k) + 1:]
            out = out.replace(b"@@READY\n", b"")
            s.close()
            return out, rc


def main():
    args = sys.argv[1:]
    timeout, wait_ready, script = 60.0, False, None
    path = None
    while args:
        a = args.pop(0)
        if a == "-t":
            timeout = float(args.pop(0))
        elif a == "--wait-ready":
            wait_ready = True
        elif path is None:
            path = a
        else:
            script = a
    if path is None:
        print(__doc__, file=sys.stderr)
        return 2
    if script is None:
        script = "true" if wait_ready else sys.stdin.read()
    deadline = time.monotonic() + timeout
    while True:
        try:
            out, rc = run(path, script, min(deadline - time.monotonic(),
                                            3.0 if wait_ready else timeout))
            sys.stdout.buffer.write(out)
            sys.stdout.flush()
            return rc
        except (TimeoutError, socket.timeout, OSError, ConnectionError) as e:
            if not wait_ready or time.monotonic() >= deadline:
                print("vmctl: %s: %s" % (path, e or "timeout"), file=sys.stderr)
                return 124
            time.sleep(0.3)


if __name__ == "__main__":
    sys.exit(main())
