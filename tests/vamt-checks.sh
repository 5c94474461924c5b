#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Checks on the built QEMU and the tree, as TAP: what -device vamt,help
# shows, that the user guide documents each property, that our C is
# checkpatch-clean, and that the build hooks fail loudly on a moved anchor.
set -uo pipefail
. "$(dirname "$0")/../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

help=$("$QEMU_BIN" -device vamt,help 2>&1)
props=$(sed -n 's/^  \([a-z0-9-]*\)=.*/\1/p' <<<"$help")
echo "$help" | sed 's/^/# /'

has_all_props() {
    for p in device-id fw-version fwsts1 fwsts2 fwsts3 fwsts4 fwsts5 fwsts6 \
             listen listen-port rmcp rmcp-port admin-secret power-off-mode \
             nvram; do
        grep -qx "$p" <<<"$props" || { echo "# missing property $p"; return 1; }
    done
}
check "-device vamt,help lists the vamt properties" has_all_props

documented() {
    local missing=0
    for p in $props; do
        # QEMU's generic PCI properties are documented by QEMU itself
        case $p in addr|romfile|romsize|rombar|multifunction|x-*|\
                   failover_pair_id|acpi-index|busnr|sriov-pf) continue;; esac
        if ! grep -q "\`\`$p\`\`" "$VAMT_REPO/docs/system/devices/vamt.rst"; then
            echo "# property $p is not in docs/system/devices/vamt.rst"
            missing=1
        fi
    done
    return $missing
}
check "docs/system/devices/vamt.rst documents every vamt property" documented

checkpatch_clean() {
    local out rc=0
    while IFS= read -r f; do
        # relative paths: checkpatch applies test-only rules under tests/
        out=$(cd "$VAMT_REPO" && "$QEMU_TREE/scripts/checkpatch.pl" \
              --no-tree --terse -f "$f" 2>&1) ||
            { echo "$out" | sed 's/^/# /'; rc=1; }
    done < <(cd "$VAMT_REPO" && git ls-files '*.c' '*.h')
    return $rc
}
check "C sources and headers are checkpatch-clean" checkpatch_clean

hooks_fail_loudly() {
    local tmp out rc
    tmp=$(mktemp -d)
    mkdir -p "$tmp/hw"
    echo "subdir('usb')" > "$tmp/hw/meson.build"
    out=$(python3 "$VAMT_REPO/scripts/vamt/apply-hooks.py" "$tmp" 2>&1)
    rc=$?
    rm -rf "$tmp"
    echo "$out" | sed 's/^/# /'
    [ $rc != 0 ] && grep -q "hw/meson.build: anchor" <<<"$out"
}
check "build hooks refuse a QEMU tree whose anchor moved" hooks_fail_loudly

hooks_idempotent() {
    python3 "$VAMT_REPO/scripts/vamt/apply-hooks.py" "$QEMU_TREE" &&
        [ "$(grep -c "subdir('vamt')" "$QEMU_TREE/hw/meson.build")" = 1 ]
}
check "build hooks are already in place and not inserted twice" \
    hooks_idempotent

tap_plan
