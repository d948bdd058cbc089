# SPDX-License-Identifier: BSD-2-Clause
# vmlib.sh - helpers to run ptnetd and QEMU TCG guests (sourced by run.sh and
# bench/vm/run.sh).  Everything started here is stopped by vm_cleanup (set
# as the EXIT trap by vm_init): QEMU processes by pid, ptnetd, temp dir.
#
#   vm_init                      temp dir $T, binaries, initramfs (77 if unavailable)
#   vm_ptnetd [ARGS]             start ptnetd on $T/ptnetd.sock
#   vm_port NAME [vm add opts]   ptnetctl vm add vale0:NAME --socket $T/NAME.sock
#   vm_boot NAME QEMU-ARGS...    start a guest (console $T/NAME.console)
#   vm_boot_ptnet NAME RINGS     a guest on port vale0:NAME
#   vm_ready NAME [SECS]         wait until its command channel answers
#   vm_run NAME [-t SECS] SCRIPT run a script in it (output, exit status);
#                                the guest functions of VM_GUEST_LIB come first
#   vm_kill NAME [SIG]           kill its QEMU
#   vm_wait SECS CMD...          poll CMD until it succeeds, at most SECS s
#   vm_wait_exit PID SECS        wait for a background job, at most SECS s
#   vm_port_stat PORT KEY        one of ptnetd's counters of PORT
#
# Waits are on events (a socket, a log line, a counter, a process exit),
# never on a fixed time, and every one has a generous bound: the suite must
# pass on a loaded machine.
# shellcheck disable=SC2034

VM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$VM_HERE/lib.sh"

declare -A VM_PID=()
VM_WRAP=()	# prefix for the QEMU command (e.g. ip netns exec NS)
VM_APPEND=${VM_APPEND:-}	# more guest kernel arguments (e.g. profile=4)
PTNETD_PID=
T=

# Shell functions for the guest side of vm_run scripts (busybox sh).
#   wait_for SECS CMD...   poll CMD every 0.1 s until it succeeds; 1 after SECS s
#   running PID            PID exists and is not a zombie
#   carrier_is 0|1         eth0's carrier
#   native_held PID        the driver handed the rings to PID (CREATE done)
VM_GUEST_LIB='
wait_for() {
	_wf_end=$(($(cut -d. -f1 /proc/uptime) + $1))
	shift
	until "$@"; do
		[ "$(cut -d. -f1 /proc/uptime)" -lt "$_wf_end" ] || return 1
		sleep 0.1
	done
}
running() { [ -e "/proc/$1" ] && ! grep -q "^[^)]*) Z" "/proc/$1/stat" 2>/dev/null; }
carrier_is() { [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = "$1" ]; }
native_held() { dmesg | grep "native mode: rings handed to pid $1 " >/dev/null; }
'

vm_log() { echo "# $(date +%H:%M:%S) $*" >&2; }

vm_init() {
	local b
	BUILD=${BUILD:-build}
	case $BUILD in /*) ;; *) BUILD=$VM_ROOT/$BUILD ;; esac
	if [ -z "${PTNETD:-}" ]; then
		if [ -x "$VM_ROOT/build-asan/bin/ptnetd" ] && [ "${VM_ASAN:-1}" = 1 ]; then
			PTNETD=$VM_ROOT/build-asan/bin/ptnetd
		else
			PTNETD=$BUILD/bin/ptnetd
		fi
	fi
	PTNETCTL=${PTNETCTL:-$BUILD/bin/ptnetctl}
	PKTGEN=${PKTGEN:-$BUILD/bin/ptnet-pktgen}
	QEMU=${QEMU:-qemu-system-x86_64}
	if ! command -v "$QEMU" >/dev/null; then
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
				qemu-system-x86 >&2 || true
		fi
		command -v "$QEMU" >/dev/null || { echo "SKIP: $QEMU not available"; exit 77; }
	fi
	command -v python3 >/dev/null || { echo "SKIP: python3 needed by vmctl.py"; exit 77; }
	for b in "$PTNETD" "$PTNETCTL" "$PKTGEN"; do
		[ -x "$b" ] || { echo "SKIP: $b not built (make)"; exit 77; }
	done
	local out rc=0
	out=$("$VM_HERE/build.sh" 2>"${TMPDIR:-/tmp}/ptvm-build.$$.log") || rc=$?
	if [ $rc -ne 0 ]; then
		cat "${TMPDIR:-/tmp}/ptvm-build.$$.log" >&2
		rm -f "${TMPDIR:-/tmp}/ptvm-build.$$.log"
		[ $rc -eq 77 ] && { echo "SKIP: guest kernel or packages unavailable"; exit 77; }
		echo "FAIL: tests/vm/build.sh"
		exit 1
	fi
	rm -f "${TMPDIR:-/tmp}/ptvm-build.$$.log"
	eval "$out"
	T=$(mktemp -d "${TMPDIR:-/tmp}/ptvm.XXXXXX")
	export PTNET_SOCKET=$T/ptnetd.sock
	trap vm_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

vm_cleanup() {
	local n p
	for n in "${!VM_PID[@]}"; do
		p=${VM_PID[$n]}
		kill -TERM "$p" 2>/dev/null
	done
	for n in "${!VM_PID[@]}"; do
		p=${VM_PID[$n]}
		for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		{ wait "$p"; } 2>/dev/null
	done
	VM_PID=()
	if [ -n "$PTNETD_PID" ]; then
		kill -TERM "$PTNETD_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$PTNETD_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$PTNETD_PID" 2>/dev/null
		wait "$PTNETD_PID" 2>/dev/null
		PTNETD_PID=
	fi
	if [ -n "${VM_EXTRA_CLEANUP:-}" ]; then
		eval "$VM_EXTRA_CLEANUP"
	fi
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ -n "${VM_KEEP:-}" ]; then
			echo "# kept $T" >&2
		else
			rm -rf "$T"
		fi
	fi
}

vm_ptnetd() {
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$PTNETD" -s "$PTNET_SOCKET" "$@" 2>"$T/ptnetd.log" &
	PTNETD_PID=$!
	local end=$((SECONDS + 60))
	while [ $SECONDS -lt $end ]; do
		[ -S "$PTNET_SOCKET" ] && return 0
		kill -0 "$PTNETD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "ptnetd did not start:" >&2
	cat "$T/ptnetd.log" >&2
	return 1
}

vm_port() {
	local name=$1
	shift
	"$PTNETCTL" vm add "vale0:$name" --socket "$T/$name.sock" "$@" >/dev/null
}

vm_boot() {
	local name=$1
	shift
	${VM_WRAP[@]+"${VM_WRAP[@]}"} "$QEMU" -accel tcg -m 256 -smp 1 -nographic -monitor none -no-reboot -nodefaults \
		-kernel "$VMLINUZ" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 quiet ptvm.name=$name${VM_APPEND:+ $VM_APPEND}" \
		-serial "file:$T/$name.console" \
		-serial "unix:$T/$name.ctl,server=on,wait=off" \
		"$@" </dev/null >"$T/$name.qemu.log" 2>&1 &
	VM_PID[$name]=$!
}

# vm_boot_ptnet NAME RINGS [QEMU-ARGS]: a guest whose NIC is port vale0:NAME.
vm_boot_ptnet() {
	local name=$1 rings=$2
	shift 2
	vm_boot "$name" -chardev "socket,path=$T/$name.sock,id=p0" \
		-device "ivshmem-doorbell,chardev=p0,vectors=$((1 + 2 * rings))" "$@"
}

vm_ready() {
	local name=$1 secs=${2:-90} end ok=0
	end=$((SECONDS + secs))
	while [ $SECONDS -lt $end ]; do
		if ! kill -0 "${VM_PID[$name]:-0}" 2>/dev/null; then
			break
		fi
		if [ -S "$T/$name.ctl" ] &&
		   python3 "$VM_HERE/vmctl.py" "$T/$name.ctl" -t 5 --wait-ready >/dev/null 2>&1; then
			ok=1
			break
		fi
		sleep 0.5
	done
	if [ $ok = 0 ]; then
		echo "guest $name did not come up; console:" >&2
		tail -n 30 "$T/$name.console" >&2
		cat "$T/$name.qemu.log" >&2
		return 1
	fi
}

vm_run() {
	local name=$1 t=60
	shift
	if [ "$1" = -t ]; then t=$2; shift 2; fi
	python3 "$VM_HERE/vmctl.py" "$T/$name.ctl" -t "$t" "$VM_GUEST_LIB$1"
}

vm_kill() {
	local name=$1 sig=${2:-KILL} p=${VM_PID[$1]:-}
	[ -n "$p" ] || return 0
	kill -"$sig" "$p" 2>/dev/null
	vm_wait_exit "$p" 60 2>/dev/null
	unset "VM_PID[$name]"
}

vm_wait() {
	local end=$((SECONDS + $1 + 1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}

# vm_wait_exit PID SECS: the exit status of background job PID once it
# ends; after SECS seconds it gets SIGTERM (then SIGKILL) and we return 124.
vm_wait_exit() {
	local pid=$1 rc=0
	if vm_wait "$2" eval "! kill -0 $pid 2>/dev/null"; then
		wait "$pid" || rc=$?
		return $rc
	fi
	echo "vm_wait_exit: pid $pid still running after $2 s" >&2
	kill -TERM "$pid" 2>/dev/null
	vm_wait 10 eval "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 124
}

# vm_port_stat PORT KEY: print KEY of PORT from `ptnetctl --json stats`
# (exit 2 if the port does not exist).
vm_port_stat() {
	"$PTNETCTL" --json stats 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r.get("type") == "port" and r.get("name") == sys.argv[1]:
        print(r[sys.argv[2]])
        sys.exit(0)
sys.exit(2)' "$1" "$2"
}
