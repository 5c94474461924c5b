#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# WS-Man benchmark: build (release, no sanitizers), start the loopback
# baseline server and a QEMU with -device vamt listening on 127.0.0.1,
# and print one table: vAMT in process, vAMT via QEMU, the baseline,
# their ratios and the targets.  Figures, not a test: nothing is asserted.
#
# Usage: bench/wsman/run.sh [wsman-bench options, e.g. -n 20000 --rounds 5]
# Environment: VAMT_BENCH_BUILD (default build/bench),
#              VAMT_BENCH_QEMU=0 to skip the QEMU column.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"            # free_port, port_open, qemu_fw
cd "$VAMT_REPO"

build=${VAMT_BENCH_BUILD:-$VAMT_REPO/build/bench}
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" . -Db_sanitize=none -Dbuildtype=release
fi
ninja -C "$build" bench/wsman-bench bench/wsman-baseline >/dev/null

tmp=$(mktemp -d)
baseline_pid=
qemu_pid=
cleanup() {
    if [ -n "$qemu_pid" ]; then
        kill "$qemu_pid" 2>/dev/null || true
        wait "$qemu_pid" 2>/dev/null || true
    fi
    if [ -n "$baseline_pid" ]; then
        kill "$baseline_pid" 2>/dev/null || true
        wait "$baseline_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

"$build/bench/wsman-baseline" 0 >"$tmp/baseline.out" &
baseline_pid=$!
for i in $(seq 50); do
    grep -q '^PORT ' "$tmp/baseline.out" && break
    sleep 0.1
done
baseline_port=$(awk '/^PORT /{print $2}' "$tmp/baseline.out")
if [ -z "$baseline_port" ]; then
    echo "wsman-baseline did not start" >&2
    exit 1
fi

qemu_args=()
qemu_note=
if [ "${VAMT_BENCH_QEMU:-1}" = 0 ]; then
    qemu_note="via QEMU column skipped: VAMT_BENCH_QEMU=0"
else
    # the lead may be rebuilding QEMU: the binary can be briefly missing
    for i in $(seq 10); do
        [ -x "$QEMU_BIN" ] && break
        sleep 1
    done
    if [ ! -x "$QEMU_BIN" ]; then
        qemu_note="via QEMU column skipped: $QEMU_BIN does not exist"
    else
        qemu_port=$(free_port)
        qemu_addr=127.0.0.1:$qemu_port
        # -S: the ME serves with the vCPU stopped, and TCG burns no CPU
        "$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg \
            -m 512 -nodefaults -display none -action shutdown=pause -S \
            -qmp "unix:$tmp/qmp.sock,server=on,wait=off" \
            -object secret,id=amtpw,data=P@ssw0rd \
            -device "vamt,addr=16.0,listen=$qemu_addr,admin-secret=amtpw" \
            >"$tmp/qemu.log" 2>&1 &
        qemu_pid=$!
        if wait_for 10 port_open "$qemu_port"; then
            qemu_args=(--qemu "$qemu_addr")
        else
            qemu_note="via QEMU column skipped: QEMU did not listen:
$(cat "$tmp/qemu.log")"
        fi
    fi
fi

"$build/bench/wsman-bench" --baseline "127.0.0.1:$baseline_port" \
    "${qemu_args[@]}" "$@"
if [ -n "$qemu_note" ]; then
    echo
    echo "NOTE: $qemu_note"
fi
