#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# make install DESTDIR=...: the programs, library, headers, pkg-config
# file, man pages (ptnetd.conf(5) too), the systemd units with their paths
# filled in, bash completions and a sample /etc/ptnet/ptnetd.conf, which a
# second install does not overwrite.  The completion scripts load in bash
# and complete commands and options (COMP_WORDS/COMP_CWORD as bash sets
# them).  Builds nothing: installs $BUILD.
. "$(dirname "$0")/lib.sh"

command -v make >/dev/null || { echo "SKIP: make not installed"; exit 77; }
D=$T/root
U=/usr/lib/systemd/system
B=/usr/share/bash-completion/completions
if ! make -s -C "$ROOT" -q O="$BUILD" all 2>/dev/null; then
	echo "SKIP: $BUILD is not up to date (run make first)"
	exit 77
fi
make -s -C "$ROOT" install O="$BUILD" DESTDIR="$D" PREFIX=/usr SYSTEMDUNITDIR=$U \
	BASHCOMPDIR=$B >"$T/install.out" 2>&1
check_eq "make install exit status" "$?" 0
sed 's/^/# /' "$T/install.out"
(cd "$D" && find . -type f -o -type l | sort) >"$T/files"
for f in usr/sbin/ptnetd usr/bin/ptnetctl usr/bin/ptnet-pktgen usr/lib/libptnet.so.0 \
	usr/lib/libptnet.so usr/lib/libptnet.a usr/include/ptnet/ptnet.h \
	usr/lib/pkgconfig/libptnet.pc usr/share/man/man8/ptnetd.8 usr/share/man/man8/ptnetctl.8 \
	usr/share/man/man5/ptnetd.conf.5 ${U#/}/ptnetd.service ${U#/}/ptnetd.socket \
	${B#/}/ptnetctl ${B#/}/ptnetd ${B#/}/ptnet-pktgen etc/ptnet/ptnetd.conf; do
	check "installed: /$f" grep -qx "./$f" "$T/files"
done
check "the service starts /usr/sbin/ptnetd -c /etc/ptnet/ptnetd.conf" \
	grep -qx 'ExecStart=/usr/sbin/ptnetd -c /etc/ptnet/ptnetd.conf' "$D$U/ptnetd.service"
check "and reloads with /usr/bin/ptnetctl" grep -qx 'ExecReload=/usr/bin/ptnetctl reload' \
	"$D$U/ptnetd.service"
check "no placeholder is left" eval "! grep -rqE '@[A-Z]+@' $D$U $D/usr/lib/pkgconfig"
"$PTNETD" -c "$D/etc/ptnet/ptnetd.conf" -s "$T/x.sock" -w 1 2>"$T/x.err" &
XP=$!
check "the sample configuration is applied" wait_until 20 grep -q 'ptnetd.conf applied' "$T/x.err"
kill -TERM $XP
wait $XP
check_eq "ptnetd with the sample exits 0" "$?" 0
echo "# mine" >>"$D/etc/ptnet/ptnetd.conf"
make -s -C "$ROOT" install O="$BUILD" DESTDIR="$D" PREFIX=/usr SYSTEMDUNITDIR=$U \
	BASHCOMPDIR=$B >/dev/null 2>&1
check "a second install keeps an existing ptnetd.conf" grep -qx '# mine' "$D/etc/ptnet/ptnetd.conf"

# Completions.
BC=/usr/share/bash-completion/bash_completion
if [ ! -r $BC ]; then
	echo "# bash-completion not installed: completion checks skipped"
	finish
fi
# complete_words PROGRAM WORDS...: what completing the last word offers.
complete_words() {
	bash --norc -c '
		. "$1"; . "$2"; prog=$3; shift 3
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
		fn=$(complete -p "$prog" | sed -n "s/.*-F \([^ ]*\).*/\1/p")
		"$fn" "$prog" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
	' _ $BC "$D$B/$1" "$@"
}
check "complete -p ptnetctl" eval "bash --norc -c '. $BC; . $D$B/ptnetctl; complete -p ptnetctl' | grep -q _ptnetctl"
check_eq "ptnetctl <TAB>" "$(complete_words ptnetctl ptnetctl '')" \
	"detach list reload save stats switch tap vhost vm "
check_eq "ptnetctl re<TAB>" "$(complete_words ptnetctl ptnetctl re)" "reload "
check_eq "ptnetctl tap <TAB>" "$(complete_words ptnetctl ptnetctl tap '')" "add del "
check_eq "ptnetctl tap add vale0:a --n<TAB>" \
	"$(complete_words ptnetctl ptnetctl tap add vale0:a --n)" "--netns "
check_eq "ptnetd --con<TAB>" "$(complete_words ptnetd ptnetd --con)" "--config "
check_eq "ptnet-pktgen -f <TAB>" "$(complete_words ptnet-pktgen ptnet-pktgen -f '')" \
	"ping pong rx tx "
start_ptnetd -w 1
"$PTNETCTL" switch add vale5
check_eq "ptnetctl stats <TAB>: the running switches" \
	"$(PATH=$(dirname "$PTNETCTL"):$PATH complete_words ptnetctl ptnetctl stats val)" "vale5 "
finish
