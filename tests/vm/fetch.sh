#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# fetch.sh - download the pinned guest kernel (image + headers .debs) with
# `apt-get download` into the cache (build-vm/ by default, $PTNET_VM_CACHE)
# and extract them there.  No system changes: the module is built against
# the extracted headers (qemu-notes "Option B").  Idempotent; exit 77 when
# the packages cannot be had.
#
# Prints nothing on success but the cache paths on stdout (KVER, VMLINUZ,
# KDIR, MODDIR) as shell assignments, so callers can `eval "$(fetch.sh)"`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$VM_CACHE/debs" "$VM_CACHE/root"
stamp=$VM_CACHE/root/.extracted-$KVER-$KPKGVER
if [ ! -e "$stamp" ]; then
	pkgs=("linux-image-$KVER-unsigned=$KPKGVER" "linux-headers-$KVER=$KPKGVER"
	      "linux-headers-${KABI}-common=$KPKGVER" "linux-kbuild-6.1=$KPKGVER")
	(
		cd "$VM_CACHE/debs"
		need=()
		for p in "${pkgs[@]}"; do
			n=${p%%=*}
			ls "${n}_"*"_amd64.deb" >/dev/null 2>&1 || need+=("$p")
		done
		if [ ${#need[@]} -gt 0 ]; then
			if ! apt-get download "${need[@]}" >&2 2>"$VM_CACHE/apt-download.log"; then
				# A stale package list: refresh it once (root only) and retry.
				if [ "$(id -u)" = 0 ]; then
					apt-get update -qq >&2 || true
					apt-get download "${need[@]}" >&2 2>>"$VM_CACHE/apt-download.log" || {
						cat "$VM_CACHE/apt-download.log" >&2
						exit 77
					}
				else
					cat "$VM_CACHE/apt-download.log" >&2
					exit 77
				fi
			fi
		fi
	) || exit $?
	rm -rf "$VM_CACHE/root"
	mkdir -p "$VM_CACHE/root"
	for f in "$VM_CACHE"/debs/linux-*.deb; do
		dpkg-deb -x "$f" "$VM_CACHE/root"
	done
	# The headers' Makefile hard-codes /usr/src: point it into the cache.
	sed -i "s#include /usr/src/#include $VM_CACHE/root/usr/src/#" \
		"$VM_CACHE/root/usr/src/linux-headers-$KVER/Makefile"
	touch "$stamp"
fi
for f in "$VMLINUZ" "$KDIR/Makefile" "$MODDIR/kernel/drivers/net/virtio_net.ko"; do
	[ -e "$f" ] || { echo "fetch.sh: $f missing after extraction" >&2; exit 1; }
done
echo "KVER=$KVER"
echo "VMLINUZ=$VMLINUZ"
echo "KDIR=$KDIR"
echo "MODDIR=$MODDIR"
