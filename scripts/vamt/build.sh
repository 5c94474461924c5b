#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build QEMU 10.0 with vAMT: fetch Debian's QEMU source once into the cache,
# place this repository's files into a working copy of it, hook them into
# QEMU's build with anchored insertions, configure a lean x86_64-softmmu
# with ccache and build.  Re-running after an edit rebuilds only what changed.
set -euo pipefail
. "$(dirname "$0")/common.sh"

"$VAMT_REPO/scripts/vamt/install-deps.sh"
mkdir -p "$VAMT_CACHE/src"
# One build at a time in the shared tree (two clones, or tests and a
# developer building at once).
exec 9> "$VAMT_CACHE/build.lock"
flock 9

# --- QEMU source (pinned; newest 10.0.x if the archive has moved on) -----
versions=$(apt-cache showsrc qemu | sed -n 's/^Version: //p')
version=$VAMT_QEMU_VERSION
if ! grep -qxF "$version" <<<"$versions"; then
    version=$(grep '^1:10\.0\.' <<<"$versions" | sort -V | tail -n 1 || true)
    if [ -z "$version" ]; then
        echo "vamt: no QEMU 10.0.x source package in apt (deb-src trixie?)" >&2
        exit 1
    fi
    echo "vamt: WARNING: qemu $VAMT_QEMU_VERSION is no longer in the archive;" \
         "building $version instead" >&2
fi
upstream=${version#*:}
upstream=${upstream%-*}
pristine=$VAMT_CACHE/src/qemu-$upstream
if [ ! -f "$pristine/.vamt-complete" ]; then
    rm -rf "$pristine"
    (cd "$VAMT_CACHE/src" && apt-get source -q "qemu=$version")
    touch "$pristine/.vamt-complete"
fi

# --- working tree: a copy of the pristine source plus our overlay -------
if [ "$(cat "$QEMU_TREE/.vamt-source" 2>/dev/null)" != "$version" ]; then
    rm -rf "$QEMU_TREE"
    cp -a "$pristine" "$QEMU_TREE"
    echo "$version" > "$QEMU_TREE/.vamt-source"
fi
# Every tracked file under the roots that mirror QEMU's tree goes to the
# same place in it; copy only files whose content changed (-c), so
# unchanged files keep their timestamps and ninja stays incremental.
# A file this overlay placed before and the repository no longer has is
# removed again (the list of what was placed is kept in the tree).
overlay=$QEMU_TREE/.vamt-overlay
git -C "$VAMT_REPO" ls-files -- hw net include qapi tests docs |
    grep -v -e '^tests/unit/' -e '^tests/fuzz/' -e '^tests/captures/' \
            -e '^tests/clients/' -e '^tests/guest/' -e '^tests/libvirt/' \
            -e '^tests/[^/]*$' > "$overlay.new"
if [ ! -f "$overlay" ]; then
    # placed by an older script that kept no list: start our folders anew
    rm -rf "$QEMU_TREE/hw/vamt" "$QEMU_TREE/include/hw/vamt"
fi
rsync -c --files-from="$overlay.new" "$VAMT_REPO/" "$QEMU_TREE/"
if [ -f "$overlay" ]; then
    comm -23 <(sort "$overlay") <(sort "$overlay.new") |
        while read -r stale; do rm -f "$QEMU_TREE/$stale"; done
fi
mv "$overlay.new" "$overlay"
python3 "$VAMT_REPO/scripts/vamt/apply-hooks.py" "$QEMU_TREE"

# --- configure (again only when the options change) ----------------------
export PATH=/usr/lib/ccache:$PATH
export CCACHE_DIR=${CCACHE_DIR:-$VAMT_CACHE/ccache}
export CCACHE_BASEDIR=$QEMU_TREE
configure_args=(
    --python=/usr/bin/python3 --target-list=x86_64-softmmu
    --disable-docs --disable-download --disable-install-blobs
    --disable-tools --disable-guest-agent
    --enable-slirp --enable-gnutls --enable-vnc
    --firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
)
if [ "$(cat "$QEMU_BUILD/.vamt-configure" 2>/dev/null)" != "${configure_args[*]}" ]; then
    rm -rf "$QEMU_BUILD"
    mkdir -p "$QEMU_BUILD"
    (cd "$QEMU_BUILD" && ../configure "${configure_args[@]}")
    echo "${configure_args[*]}" > "$QEMU_BUILD/.vamt-configure"
fi

ninja -C "$QEMU_BUILD" qemu-system-x86_64 tests/qtest/vamt-heci-test \
    tests/qtest/vamt-web-test tests/qtest/vamt-nvram-test

# --- firmware the build-tree binary can find ------------------------------
# A build-tree QEMU looks for firmware under build/qemu-bundle only.  The
# +ds source carries no ROMs: BIOS and NIC ROMs come from seabios and
# ipxe-qemu, and the -kernel option ROMs from qemu-system-data (unpacked
# here, not installed).
if [ ! -f "$VAMT_FW/pvh.bin" ]; then
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download -q qemu-system-data)
    dpkg-deb -x "$tmp"/qemu-system-data_*.deb "$tmp/x"
    mkdir -p "$VAMT_FW"
    for rom in linuxboot.bin linuxboot_dma.bin pvh.bin kvmvapic.bin \
               multiboot.bin multiboot_dma.bin; do
        cp "$tmp/x/usr/share/qemu/$rom" "$VAMT_FW/"
    done
    rm -rf "$tmp"
fi
bundle=$QEMU_BUILD/qemu-bundle
mkdir -p "$bundle/usr/share/qemu" "$bundle/usr/lib/ipxe"
ln -sfn /usr/share/seabios "$bundle/usr/share/seabios"
ln -sfn /usr/lib/ipxe/qemu "$bundle/usr/lib/ipxe/qemu"
for rom in "$VAMT_FW"/*.bin /usr/share/seabios/*.bin; do
    [ -e "$bundle/usr/share/qemu/${rom##*/}" ] ||
        ln -s "$rom" "$bundle/usr/share/qemu/${rom##*/}"
done
echo "vamt: built $QEMU_BIN"
