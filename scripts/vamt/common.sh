# SPDX-License-Identifier: GPL-2.0-or-later
# Paths shared by the vAMT scripts.  Source this file; it defines:
#   VAMT_REPO   this checkout
#   VAMT_CACHE  QEMU source, build tree, guest images (kept across clones)
#   QEMU_TREE   QEMU source with our overlay placed into it
#   QEMU_BUILD  its build directory;  QEMU_BIN the emulator in it
VAMT_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VAMT_CACHE=${VAMT_CACHE:-/var/cache/vamt}
VAMT_QEMU_VERSION=${VAMT_QEMU_VERSION:-1:10.0.13+ds-0+deb13u1}
QEMU_TREE=$VAMT_CACHE/qemu-tree
QEMU_BUILD=$QEMU_TREE/build
QEMU_BIN=$QEMU_BUILD/qemu-system-x86_64
VAMT_FW=$VAMT_CACHE/fw
VAMT_GUEST=$VAMT_CACHE/guest
export VAMT_REPO VAMT_CACHE QEMU_TREE QEMU_BUILD QEMU_BIN VAMT_FW VAMT_GUEST
