#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The sockets ptnetd serves for a port (a vhost-user server socket, a VM
# port's ivshmem socket) as an attack surface: it is mode 0600 even when
# ptnetd's umask would give more (the mode is set before bind, not after),
# so another user can neither connect to it nor, therefore, attach a guest
# to the switch; only root adds vhost and vm ports; an existing file or a symlink
# at the path is refused and left alone (never chmodded, never unlinked);
# removing the port unlinks its own socket only, not a file put in its place.
. "$(dirname "$0")/lib.sh"

command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) is needed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is needed"; exit 77; }
U1=65534
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
connects() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$1"; }

chmod 755 "$T"
umask 000
start_ptnetd --socket-mode 0666
umask 022
for K in vhost vm; do
	log "the $K kind's socket"
	check "root adds a $K port" "$PTNETCTL" $K add vale0:${K}1 --socket "$T/${K}1.sock"
	check_eq "its socket is mode 600 under umask 000" "$(stat -c %a "$T/${K}1.sock")" 600
	check_eq "owned by ptnetd's user" "$(stat -c %u "$T/${K}1.sock")" "$(id -u)"
	check "uid $U1 cannot connect to it" eval "! as $U1 python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' $T/${K}1.sock 2>/dev/null"
	check "root can" connects "$T/${K}1.sock"
	check "uid $U1 may not add $K ports" eval "! as $U1 $PTNETCTL $K add vale0:${K}2 --socket $T/$K-u.sock 2>/dev/null"
	check "no socket was made for it" test ! -e "$T/$K-u.sock"

	echo keep >"$T/$K-file"
	chmod 644 "$T/$K-file"
	check "a path that exists is refused" eval "! $PTNETCTL $K add vale0:${K}3 --socket $T/$K-file 2>/dev/null"
	check_eq "the file is left as it was" "$(cat "$T/$K-file") $(stat -c %a "$T/$K-file")" "keep 644"
	ln -s "$T/$K-file" "$T/$K-link.sock"
	check "a symlink at the path is refused" eval "! $PTNETCTL $K add vale0:${K}4 --socket $T/$K-link.sock 2>/dev/null"
	check "the symlink is left" test -L "$T/$K-link.sock"
	check_eq "its target is untouched" "$(stat -c %a "$T/$K-file")" 644
	# A vm port ends with its QEMU's connection ("root can" was one): no del.
	[ $K = vm ] || check "$K del removes the port" "$PTNETCTL" $K del vale0:${K}1
	# (the vm port goes when ptnetd sees the hangup, after connects returned)
	check "and its socket" wait_until 10 test ! -e "$T/${K}1.sock"
	check "another $K port" "$PTNETCTL" $K add vale0:${K}5 --socket "$T/${K}5.sock"
	rm -f "$T/${K}5.sock"
	echo theirs >"$T/${K}5.sock"
	check "removed after its socket file was replaced" "$PTNETCTL" $K del vale0:${K}5
	check_eq "the file put in its place is left" "$(cat "$T/${K}5.sock" 2>/dev/null)" theirs
done

log "a QEMU that hangs up before ptnetd's handshake is out"
check "a vm port" "$PTNETCTL" vm add vale0:vm6 --socket "$T/vm6.sock"
# Stopped, ptnetd accepts the connection only after it was closed: its
# handshake then meets EPIPE, every time.
kill -STOP "$PTNETD_PID"
connects "$T/vm6.sock"
kill -CONT "$PTNETD_PID"
check "ends the port, as EOF after it would" wait_until 10 eval "! port_listed vale0:vm6"
check "and removes its socket" test ! -e "$T/vm6.sock"
check "ptnetd says why" wait_until 10 grep -q "vm6: QEMU went away during the handshake" "$T/ptnetd.err"
finish
