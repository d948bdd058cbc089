#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# build.sh - build the guest side of the VM tests:
#   1. fetch the pinned guest kernel and headers (fetch.sh);
#   2. build kernel/ptnet/ptnet.ko against those headers;
#   3. pack a busybox initramfs with the module, the virtio-net modules,
#      iperf3, ptnet-pktgen, the benchmark's tcprr, ptnet-run with
#      libptnet-netmap.so and the netmap-ABI test programs nm-txrx,
#      nm-ctl, nm-swap and nm-fork, and tests/vm/init.
# Output: $VM_CACHE/initramfs.cpio.gz (and prints KVER/VMLINUZ/INITRD lines).
# Exit 77 when a needed package is missing and cannot be installed.
#
# BUILD=dir picks the userland build (default build/).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$VM_ROOT/$BUILD ;; esac

eval "$("$HERE/fetch.sh")"

# Host tools: iperf3 and ethtool (copied in with their libs).
need=()
command -v iperf3 >/dev/null || need+=(iperf3)
command -v ethtool >/dev/null || [ -x /usr/sbin/ethtool ] || need+=(ethtool)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${need[@]}" >&2 || { echo "build.sh: cannot install ${need[*]}" >&2; exit 77; }
	else
		echo "build.sh: missing packages: ${need[*]}" >&2
		exit 77
	fi
fi

# A static busybox for the guest: the host's if it is one, else the
# busybox-static package extracted into the cache (no system change).
BUSYBOX=/bin/busybox
if ! [ -x "$BUSYBOX" ] || ldd "$BUSYBOX" >/dev/null 2>&1; then
	BUSYBOX=$VM_CACHE/busybox/bin/busybox
	if ! [ -x "$BUSYBOX" ]; then
		(
			cd "$VM_CACHE/debs" &&
			{ ls busybox-static_*.deb >/dev/null 2>&1 || apt-get download busybox-static >&2; } &&
			rm -rf "$VM_CACHE/busybox" && dpkg-deb -x busybox-static_*.deb "$VM_CACHE/busybox"
		) || { echo "build.sh: cannot get busybox-static" >&2; exit 77; }
	fi
fi
# (grep -q would stop reading early: SIGPIPE + pipefail would fail the test)
"$BUSYBOX" --list | grep -x cpio >/dev/null || { echo "build.sh: $BUSYBOX has no cpio" >&2; exit 77; }

# The module.
make -s -C "$VM_ROOT/kernel/ptnet" KDIR="$KDIR" >&2
KO=$VM_ROOT/kernel/ptnet/ptnet.ko

# Userland tools: ptnet-pktgen from BUILD, tcprr (bench/vm) static.
for b in bin/ptnet-pktgen bin/ptnet-run lib/libptnet-netmap.so tests/netmap/nm-txrx \
	 tests/netmap/nm-ctl tests/netmap/nm-swap tests/netmap/nm-fork; do
	[ -e "$BUILD/$b" ] || { make -s -C "$VM_ROOT" O="$BUILD" >&2; break; }
done
mkdir -p "$VM_CACHE/bin"
if [ ! -x "$VM_CACHE/bin/tcprr" ] || [ "$VM_ROOT/bench/vm/tcprr.c" -nt "$VM_CACHE/bin/tcprr" ]; then
	if [ -f "$VM_ROOT/bench/vm/tcprr.c" ]; then
		cc -O2 -static -Wall -Wextra -o "$VM_CACHE/bin/tcprr" "$VM_ROOT/bench/vm/tcprr.c"
	fi
fi

R=$VM_CACHE/initramfs
rm -rf "$R"
mkdir -p "$R"/{bin,sbin,lib,lib64,usr/bin,proc,sys,dev,tmp,run,etc,lib/modules}
cp "$BUSYBOX" "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
cp "$HERE/init" "$R/init"
cp "$HERE/agent" "$R/agent"
chmod 755 "$R/init" "$R/agent"
cp "$KO" "$R/lib/modules/ptnet.ko"
for m in net/core/failover drivers/net/net_failover drivers/virtio/virtio \
	 drivers/virtio/virtio_ring drivers/virtio/virtio_pci_modern_dev \
	 drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci drivers/net/virtio_net; do
	cp "$MODDIR/kernel/$m.ko" "$R/lib/modules/"
done

# copy_bin FILE: the binary and the shared libraries it needs.
copy_bin() {
	local f=$1 lib
	cp "$f" "$R/usr/bin/"
	for lib in $(ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\/lib/{print $1}'); do
		mkdir -p "$R$(dirname "$lib")"
		cp -L "$lib" "$R$lib"
	done
}
copy_bin "$(command -v iperf3)"
copy_bin "$BUILD/bin/ptnet-pktgen"
copy_bin "$(command -v ethtool || echo /usr/sbin/ethtool)"
# Netmap programs in the guests: the preload library (ptnet-run finds it in
# ../lib), and the netmap-ABI test programs.
copy_bin "$BUILD/tests/netmap/nm-txrx"
copy_bin "$BUILD/tests/netmap/nm-ctl"
copy_bin "$BUILD/tests/netmap/nm-swap"
copy_bin "$BUILD/tests/netmap/nm-fork"
copy_bin "$BUILD/lib/libptnet-netmap.so"
mkdir -p "$R/usr/lib"
mv "$R/usr/bin/libptnet-netmap.so" "$R/usr/lib/"
cp "$BUILD/bin/ptnet-run" "$R/usr/bin/"
[ -x "$VM_CACHE/bin/tcprr" ] && cp "$VM_CACHE/bin/tcprr" "$R/usr/bin/"
# ld.so is looked up at /lib64.
[ -e "$R/lib64/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "$R/lib64/"

(cd "$R" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null) | gzip -1 > "$VM_CACHE/initramfs.cpio.gz.tmp"
mv "$VM_CACHE/initramfs.cpio.gz.tmp" "$VM_CACHE/initramfs.cpio.gz"
echo "KVER=$KVER"
echo "VMLINUZ=$VMLINUZ"
echo "INITRD=$VM_CACHE/initramfs.cpio.gz"
