#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ptnetd as a systemd service, without systemd as init:
#   - the units (systemd/*.in, paths filled in) pass systemd-analyze verify
#     (and a broken copy does not, so the check can fail);
#   - sd_notify: READY=1 once listening, RELOADING=1 then READY=1 on SIGHUP
#     with a config file, STOPPING=1 on SIGTERM, on a NOTIFY_SOCKET we read;
#   - socket activation: a listening socket passed as fd 3 (LISTEN_FDS=1,
#     LISTEN_PID) is served, and left in place at exit (it is systemd's);
#   - logs: "<N>message" when stderr is the journal stream (JOURNAL_STREAM),
#     ISO-8601 local time with milliseconds otherwise.
. "$(dirname "$0")/lib.sh"

# 1. The units.
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T/units"
	for u in ptnetd.service ptnetd.socket; do
		sed -e "s#@SBINDIR@#$(dirname "$PTNETD")#g" -e "s#@BINDIR@#$(dirname "$PTNETCTL")#g" \
			-e "s#@SYSCONFDIR@#/etc#g" "$ROOT/systemd/$u.in" >"$T/units/$u"
	done
	check "no placeholder is left in the units" eval "! grep -qE '@[A-Z]+@' $T/units/*"
	check "systemd-analyze verify accepts the units" \
		systemd-analyze verify --man=no "$T/units/ptnetd.socket" "$T/units/ptnetd.service"
	mkdir -p "$T/bad"
	cp "$T/units/ptnetd.socket" "$T/bad/"
	sed 's#^ExecStart=[^ ]*#ExecStart=/nonexistent/ptnetd#' "$T/units/ptnetd.service" >"$T/bad/ptnetd.service"
	check "and refuses a broken copy" eval "! systemd-analyze verify --man=no \
$T/bad/ptnetd.socket $T/bad/ptnetd.service >/dev/null 2>&1"
	check "the service is Type=notify and reloads with ptnetctl reload" \
		grep -q '^ExecReload=.*/ptnetctl reload$' "$T/units/ptnetd.service"
else
	echo "# systemd-analyze not installed: unit checks skipped"
fi

# 2. sd_notify.
printf '[switch vale1]\n' >"$T/n.conf"
python3 - "$PTNETD" "$T" >"$T/notify.out" 2>&1 <<'PY'
import os, signal, socket, subprocess, sys
ptnetd, t = sys.argv[1], sys.argv[2]
path = t + "/notify"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(30)
env = dict(os.environ, NOTIFY_SOCKET=path)
p = subprocess.Popen([ptnetd, "-s", t + "/n.sock", "-w", "1", "-c", t + "/n.conf"], env=env,
                     stderr=open(t + "/n.err", "w"))
def expect(word):
    while True:
        m = s.recv(4096).decode()
        print("got", repr(m))
        if word in m.split("\n"):
            return
expect("READY=1")
print("READY")
p.send_signal(signal.SIGHUP)
expect("RELOADING=1")
expect("READY=1")
print("RELOADED")
p.send_signal(signal.SIGTERM)
expect("STOPPING=1")
print("STOPPING")
print("EXIT", p.wait(30))
PY
sed 's/^/# /' "$T/notify.out"
check "READY=1 once listening" grep -q '^READY$' "$T/notify.out"
check "RELOADING=1 then READY=1 on SIGHUP" grep -q '^RELOADED$' "$T/notify.out"
check "STOPPING=1 on SIGTERM" grep -q '^STOPPING$' "$T/notify.out"
check "ptnetd exits 0" grep -q '^EXIT 0$' "$T/notify.out"
check "SIGHUP reloaded the file" grep -q 'reloaded: added=0 removed=0 changed=0 unchanged=1' \
	"$T/n.err"
check "no sanitizer report (notify)" sanitizer_clean "$T/n.err"

# 3. Socket activation: fd 3, LISTEN_FDS=1, LISTEN_PID = ptnetd's pid.
python3 - "$PTNETD" "$PTNETCTL" "$T" >"$T/act.out" 2>&1 <<'PY'
import os, signal, socket, subprocess, sys, time
ptnetd, ctl, t = sys.argv[1:4]
path = t + "/act.sock"
ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
ls.bind(path)
ls.listen(16)
err = os.open(t + "/act.err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
pid = os.fork()
if pid == 0:
    if ls.fileno() != 3:
        os.dup2(ls.fileno(), 3)
    os.set_inheritable(3, True)
    os.dup2(err, 2)
    env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
    # -s names another path: the passed socket wins, nothing is made there.
    os.execve(ptnetd, [ptnetd, "-w", "1", "-s", t + "/unused.sock"], env)
ls.close()
os.close(err)
env = dict(os.environ, PTNET_SOCKET=path)
ok = False
for _ in range(500):
    r = subprocess.run([ctl, "list"], env=env, capture_output=True, text=True)
    if r.returncode == 0:
        ok = True
        break
    time.sleep(0.02)
print("SERVED" if ok else "NOT SERVED")
r = subprocess.run([ctl, "switch", "add", "vale7"], env=env, capture_output=True, text=True)
r = subprocess.run([ctl, "list"], env=env, capture_output=True, text=True)
print(r.stdout, end="")
os.kill(pid, signal.SIGTERM)
_, st = os.waitpid(pid, 0)
print("EXIT", os.waitstatus_to_exitcode(st))
PY
sed 's/^/# /' "$T/act.out"
check "ptnetd serves the socket it was passed" grep -q '^SERVED$' "$T/act.out"
check "requests work on it" grep -q '^vale7: 0 ports' "$T/act.out"
check "it says where the socket came from" grep -q 'control socket from systemd (fd 3)' \
	"$T/act.err"
check "ptnetd exits 0 (activated)" grep -q '^EXIT 0$' "$T/act.out"
check "the socket file is left for systemd" test -S "$T/act.sock"
check "no socket was made at -s PATH" test ! -e "$T/unused.sock"
check "no sanitizer report (activation)" sanitizer_clean "$T/act.err"

# 4. Log lines.
"$PTNETD" -s "$T/l1.sock" -w 1 -V >/dev/null
: >"$T/j.err"
JS=$(stat -c '%d:%i' "$T/j.err")
JOURNAL_STREAM=$JS "$PTNETD" -s "$T/l1.sock" -w 1 2>>"$T/j.err" &
JP=$!
wait_until 20 grep -q 'listening on' "$T/j.err"
kill -TERM $JP
wait $JP
check_eq "journal: ptnetd exit status" "$?" 0
sed 's/^/# journal: /' "$T/j.err"
check "journal: every line is <N>message, no timestamp" eval \
	"! grep -qvE '^<[3-7]>[^<]' $T/j.err"
check "journal: info lines are <6>" grep -q '^<6>ptnetd .* listening on' "$T/j.err"
JOURNAL_STREAM=1:1 "$PTNETD" -s "$T/l2.sock" -w 1 2>"$T/s.err" &
JP=$!
wait_until 20 grep -q 'listening on' "$T/s.err"
kill -TERM $JP
wait $JP
sed 's/^/# stderr: /' "$T/s.err"
ISO='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{2}:[0-9]{2} ptnetd (error|warning|info|debug): '
check "elsewhere (another stream's JOURNAL_STREAM): ISO-8601 lines" eval "! grep -qvE '$ISO' $T/s.err"
check "with milliseconds and the level" grep -qE "${ISO}ptnetd .* listening on" "$T/s.err"
finish
