#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Serial-over-LAN echo latency (p50/p99) and guest-to-console throughput
# beside QEMU's own socket chardev, measured in the same run on one VM.
# Figures, not a test: nothing about timing is asserted; the exit status
# is non-zero only if the benchmark could not run.
#
# One booted test guest (tests/guest/init) with two 16550s on PCI, each
# with the same echo service on its ttyS:
#   the ME's KT port (vamt,kt=on): the console is bench/sol/sol_client.py
#     speaking the redirection protocol to the ME's listener (16994's)
#   QEMU's pci-serial on -chardev socket,server=on,nodelay=on: the console
#     reads and writes the raw TCP stream (the baseline)
# sol_client.py interleaves both paths and prints the table and ratios,
# for each TxBufferTimeout a SOL console may ask (100 ms as amtterm and
# MeshCommander do, 10 ms, and 0: "only full buffers", 100 ms for the
# rest).  About a minute; uses the built QEMU, never builds it.
#
# Usage: bench/sol/run.sh [sol_client.py options: --samples N --blast BYTES
#                          --blasts N --timeouts 100,10,0]
set -euo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

password='P@ssw0rd'
logs=$logs/bench-sol
mkdir -p "$logs"

if [ ! -x "$QEMU_BIN" ]; then
    echo "sol-bench: no QEMU at $QEMU_BIN (scripts/vamt/build.sh builds it)" >&2
    exit 1
fi
if ! "$VAMT_REPO/tests/guest/build-guest.sh" > "$logs/guest-build.log" 2>&1; then
    tail -n 20 "$logs/guest-build.log" >&2
    echo "sol-bench: could not build the test guest" >&2
    exit 1
fi

keep_logs() {
    [ -f "$serial" ] && tr -d '\r' < "$serial" > "$logs/serial.log"
    return 0
}
scratch_vm vamt-sol-bench keep_logs
serial=$work/serial.log
qmp_sock=$work/qmp.sock
# The guest images are shared and another checkout may rebuild them with
# its own /init at any time: boot a copy with this checkout's /init on
# top (Linux unpacks concatenated archives in order, later files win).
cp "$VAMT_GUEST/initrd.gz" "$work/initrd.gz"
mkdir "$work/overlay"
install -m 755 "$VAMT_REPO/tests/guest/init" "$work/overlay/init"
(cd "$work/overlay" && echo init |
    cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9n >> "$work/initrd.gz"
tcp_port=$(free_port)

"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 512 -nodefaults \
    -display none -action shutdown=pause -serial "file:$serial" \
    -qmp "unix:$qmp_sock,server=on,wait=off" \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$work/initrd.gz" \
    -append 'console=ttyS0 quiet panic=-1 vamt.mode=demo vamt.sol=echo vamt.pci-serial=echo' \
    -object "secret,id=amtpw,data=$password" \
    -device "vamt,addr=16.0,kt=on,listen=127.0.0.1:0,admin-secret=amtpw" \
    -chardev "socket,id=base,host=127.0.0.1,port=$tcp_port,server=on,wait=off,nodelay=on" \
    -device pci-serial,chardev=base \
    > "$logs/qemu.log" 2>&1 &
vm_pid=$!

if ! wait_for 90 eval 'has "^VAMT-GUEST: SOL-TTY /dev/ttyS" &&
                       has "^VAMT-GUEST: PCI-SERIAL-TTY /dev/ttyS"'; then
    sed 's/^/qemu: /' "$logs/qemu.log" >&2
    grep -E 'VAMT-GUEST: (SOL|PCI-SERIAL)-TTY' "$serial" >&2 || true
    echo "sol-bench: the guest did not bring up both echo services" >&2
    exit 1
fi
sol_port=$(qmp query-vamt | python3 -c '
import json, sys
for l in json.load(sys.stdin)["return"][0]["listeners"]:
    if l["service-port"] == 16994:
        print(l["port"])')
if [ -z "$sol_port" ]; then
    echo "sol-bench: query-vamt lists no redirection listener" >&2
    exit 1
fi
echo "# guest: $(sed -n 's/^VAMT-GUEST: \(SOL-TTY [^ ]*\).*/\1/p' "$serial" | tr -d '\r')," \
     "$(sed -n 's/^VAMT-GUEST: \(PCI-SERIAL-TTY [^ ]*\).*/\1/p' "$serial" | tr -d '\r');" \
     "SOL on 127.0.0.1:$sol_port, baseline on 127.0.0.1:$tcp_port"

VAMT_BENCH_PASSWORD=$password python3 "$VAMT_REPO/bench/sol/sol_client.py" \
    --sol-port "$sol_port" --tcp-port "$tcp_port" "$@"
stop_vm
