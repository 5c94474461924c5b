#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install the pinned console stacks the client tests drive (MeshCentral's
# AMT stack, @device-management-toolkit/wsman-messages) into
# $VAMT_CACHE/node, exactly as package-lock.json says.  Only the npm
# registry is used; package install scripts never run (we only require()
# plain JavaScript modules).  Skipped when the lock file is unchanged since
# the last successful install.
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"

here=$VAMT_REPO/tests/clients
dest=$VAMT_CACHE/node
stamp=$dest/clients.stamp

if ! command -v npm > /dev/null || ! command -v node > /dev/null; then
    echo "install-clients: node and npm are needed (scripts/vamt/install-deps.sh)" >&2
    exit 1
fi

# one installer at a time (tests run in parallel)
mkdir -p "$dest" || exit 1
exec 8> "$dest/install-clients.lock"
flock 8
want=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
   [ -f "$dest/node_modules/meshcentral/amt/amt.js" ] &&
   [ -f "$dest/node_modules/@device-management-toolkit/wsman-messages/index.js" ]; then
    echo "install-clients: pinned client stacks already installed in $dest"
    exit 0
fi

mkdir -p "$dest" || exit 1
rm -f "$stamp"
cp "$here/package.json" "$here/package-lock.json" "$dest/" || exit 1
# npm ci refuses to run when package.json and the lock disagree, and
# installs exactly the locked versions (integrity-checked)
if ! (cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund); then
    echo "install-clients: npm ci failed" >&2
    exit 1
fi
echo "$want" > "$stamp"
echo "install-clients: installed into $dest"
