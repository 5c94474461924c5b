#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# KVM figures: the ME's RFB server (KVMR, kvm=on) beside QEMU's own VNC
# server (-vnc) on the same VM, the same guest drawing the same changes,
# measured in the same run by the same client (bench/kvm/kvm_bench.py:
# bytes and CPU per full frame, per small change and per line of a
# scrolling terminal, updates a second
# under a full-screen animation, idle CPU, the guest's work rate with and
# without a viewer).  Figures, not a test: nothing about timing is
# asserted; the exit status is non-zero only if the benchmark could not
# run.  About two minutes; uses the built QEMU, never builds it.
set -euo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

password='P@ssw0rd'
logs=$logs/bench-kvm
mkdir -p "$logs"
if [ ! -x "$QEMU_BIN" ]; then
    echo "kvm-bench: no QEMU at $QEMU_BIN (scripts/vamt/build.sh builds it)" >&2
    exit 1
fi
if ! "$VAMT_REPO/tests/guest/build-guest.sh" > "$logs/guest-build.log" 2>&1; then
    tail -n 20 "$logs/guest-build.log" >&2
    echo "kvm-bench: could not build the test guest" >&2
    exit 1
fi

keep_logs() {
    if [ -n "${reader_pid:-}" ]; then
        kill "$reader_pid" 2> /dev/null
        wait "$reader_pid" 2> /dev/null
    fi
    [ -f "$serial" ] && tr -d '\r' < "$serial" > "$logs/serial.log"
}
scratch_vm vamt-kvm-bench keep_logs
serial=$work/serial.log
qmp_sock=$work/qmp.sock

for _ in 1 2 3 4 5 6 7 8 9 10; do
    port=$(free_port)
    port_open $((port + 2)) || break
done
# QEMU's VNC display N listens on 5900 + N
for display in $(seq 40 99); do
    port_open $((5900 + display)) || break
done
mkfifo "$work/con.in" "$work/con.out"
"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 512 -nodefaults \
    -display none -vnc "127.0.0.1:$display" -action shutdown=pause \
    -chardev "pipe,id=con,path=$work/con" -serial chardev:con \
    -qmp "unix:$qmp_sock,server=on,wait=off" \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
    -append 'console=ttyS0 quiet panic=-1 vamt.mode=shell' \
    -device VGA \
    -object "secret,id=amtpw,data=$password" \
    -device "vamt,addr=16.0,kvm=on,listen=127.0.0.1:$port,admin-secret=amtpw" \
    > "$logs/qemu.log" 2>&1 &
vm_pid=$!
cat "$work/con.out" > "$serial" &
reader_pid=$!
# shellcheck disable=SC2034  # only held open
exec {con}<> "$work/con.in"

if ! wait_for 120 eval 'has "^VAMT-GUEST: DONE" && guest_prompt'; then
    echo "kvm-bench: the guest did not come up" >&2
    tail -n 20 "$logs/qemu.log" >&2
    exit 1
fi
python3 "$VAMT_REPO/bench/kvm/kvm_bench.py" $((port + 2)) $((5900 + display)) \
    "$vm_pid" "$work/con.in" "$serial" | tee "$logs/figures.txt"
stop_vm
