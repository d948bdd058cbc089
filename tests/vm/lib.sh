# SPDX-License-Identifier: BSD-2-Clause
# lib.sh - shared settings of the VM scripts (sourced).
#
# The guest kernel ABI is pinned: a module built for one ABI only loads on
# that ABI, so the image and the headers must match (qemu-notes §1).
KABI=6.1.0-50
KVER=$KABI-cloud-amd64
KPKGVER=6.1.176-1

VM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VM_CACHE=${PTNET_VM_CACHE:-$VM_ROOT/build-vm}
case $VM_CACHE in /*) ;; *) VM_CACHE=$VM_ROOT/$VM_CACHE ;; esac
VMLINUZ=$VM_CACHE/root/boot/vmlinuz-$KVER
KDIR=$VM_CACHE/root/usr/src/linux-headers-$KVER
MODDIR=$VM_CACHE/root/lib/modules/$KVER
