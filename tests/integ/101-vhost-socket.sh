#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The vhost-user socket as an attack surface: it is mode 0600 even when
# ptnetd's umask would give more (the mode is set before bind, not after),
# so another user can neither connect to it nor, therefore, attach a guest
# to the switch; only root adds vhost ports; an existing file or a symlink
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
check "root adds a vhost port" "$PTNETCTL" vhost add vale0:vs1 --socket "$T/vs1.sock"
check_eq "its socket is mode 600 under umask 000" "$(stat -c %a "$T/vs1.sock")" 600
check_eq "owned by ptnetd's user" "$(stat -c %u "$T/vs1.sock")" "$(id -u)"
check "uid $U1 cannot connect to it" eval "! as $U1 python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' $T/vs1.sock 2>/dev/null"
check "root can" connects "$T/vs1.sock"
check "uid $U1 may not add vhost ports" eval "! as $U1 $PTNETCTL vhost add vale0:vs2 --socket $T/u.sock 2>/dev/null"
check "no socket was made for it" test ! -e "$T/u.sock"

echo keep >"$T/file"
chmod 644 "$T/file"
check "a path that exists is refused" eval "! $PTNETCTL vhost add vale0:vs3 --socket $T/file 2>/dev/null"
check_eq "the file is left as it was" "$(cat "$T/file") $(stat -c %a "$T/file")" "keep 644"
ln -s "$T/file" "$T/link.sock"
check "a symlink at the path is refused" eval "! $PTNETCTL vhost add vale0:vs4 --socket $T/link.sock 2>/dev/null"
check "the symlink is left" test -L "$T/link.sock"
check_eq "its target is untouched" "$(stat -c %a "$T/file")" 644
check "vhost del removes the port" "$PTNETCTL" vhost del vale0:vs1
check "and its socket" test ! -e "$T/vs1.sock"
check "another vhost port" "$PTNETCTL" vhost add vale0:vs5 --socket "$T/vs5.sock"
rm -f "$T/vs5.sock"
echo theirs >"$T/vs5.sock"
check "removed after its socket file was replaced" "$PTNETCTL" vhost del vale0:vs5
check_eq "the file put in its place is left" "$(cat "$T/vs5.sock" 2>/dev/null)" theirs
finish
