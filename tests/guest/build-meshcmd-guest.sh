#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The test guest with MeshCentral's MeshCmd in it: $VAMT_GUEST/
# initrd-meshcmd.gz is the test guest's initramfs (build-guest.sh) plus
#   /opt/meshcmd/meshcmd    the meshagent_x86-64 binary the meshcentral npm
#                           package ships, running its MeshCmd script
#                           (build-meshcmd.py, as MeshCentral builds it)
#   the glibc it links      from this Debian system, as ldd lists them
#   /opt/meshcmd/scenario.sh  what init runs with vamt.meshcmd=NAME
# The guest's init finds MeshCmd there.  Rebuilt only when an input changed.
set -euo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"

here=$VAMT_REPO/tests/guest
"$here/build-guest.sh"
"$VAMT_REPO/tests/clients/install-clients.sh"
# one builder at a time (tests run in parallel)
exec 8> "$VAMT_GUEST/build-meshcmd-guest.lock"
flock 8
pkg=$VAMT_CACHE/node/node_modules/meshcentral
out=$VAMT_GUEST/initrd-meshcmd.gz

inputs=$( (cat "$VAMT_GUEST/initrd.inputs" "$0" "$here/build-meshcmd.py" \
              "$here/meshcmd-scenario.sh" "$pkg/package.json" \
              "$pkg/agents/meshagent_x86-64" "$pkg/agents/meshcmd.js" \
              "$pkg"/agents/modules_meshcmd/*.js) | sha256sum | cut -d' ' -f1)
if [ -f "$out" ] &&
   [ "$(cat "$VAMT_GUEST/initrd-meshcmd.inputs" 2>/dev/null)" = "$inputs" ]; then
    exit 0
fi

echo "build-meshcmd-guest: initramfs with MeshCmd $(sed -n 's/^ *"version": "\(.*\)",/\1/p' "$pkg/package.json")"
stage=$(mktemp -d "$VAMT_GUEST/stage-meshcmd.XXXXXX")
trap 'rm -rf "$stage"' EXIT
(cd "$stage" && zcat "$VAMT_GUEST/initrd.gz" | cpio -idm --quiet)
mkdir -p "$stage/opt/meshcmd" "$stage/etc"
python3 "$here/build-meshcmd.py" "$pkg" "$stage/opt/meshcmd/meshcmd"
install -m 755 "$here/meshcmd-scenario.sh" "$stage/opt/meshcmd/scenario.sh"
# the dynamic loader and libraries, at the paths the binary asks for
for lib in $(ldd "$stage/opt/meshcmd/meshcmd" |
             awk '/=>/ { print $3 } /ld-linux/ { print $1 }'); do
    mkdir -p "$stage$(dirname "$lib")"
    cp -L "$lib" "$stage$lib"
done
# MeshCmd resolves host names and looks up its user
echo "127.0.0.1 localhost mcguest" > "$stage/etc/hosts"
echo "root:x:0:0:root:/tmp:/bin/sh" > "$stage/etc/passwd"
echo "root:x:0:" > "$stage/etc/group"
(cd "$stage" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
echo "$inputs" > "$VAMT_GUEST/initrd-meshcmd.inputs"
echo "build-meshcmd-guest: $out, $(stat -c %s "$out") bytes"
