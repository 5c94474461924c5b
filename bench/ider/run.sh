#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# IDE-R sequential read inside the guest: the busybox guest reads a whole
# ISO (64 KiB reads) from the IDE-R CD, served by a console on 127.0.0.1
# (tests/redir/ider_console.py), and the same ISO from a local CD
# (-drive media=cdrom on q35's AHCI), in the same run.  Prints MB/s for
# each and the ratio.  Figures, not a test.
#
# Usage: bench/ider/run.sh [MIB]      (the ISO's size, default 16)
set -euo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

mib=${1:-16}
"$VAMT_REPO/scripts/vamt/build.sh" > /dev/null
"$VAMT_REPO/tests/guest/build-guest.sh" > /dev/null
scratch_vm vamt-ider-bench
mkdir -p "$work/iso"
head -c $((mib * 1024 * 1024)) /dev/urandom > "$work/iso/data.bin"
xorriso -as mkisofs -quiet -o "$work/bench.iso" "$work/iso" 2> /dev/null
password='P@ssw0rd1'

# boot VM-ARGS...: a guest that reads the first CD with a medium whole;
# prints its MB/s
boot() {
    local serial=$work/serial-$1.log
    shift
    "$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 512 -nodefaults \
        -display none -action shutdown=pause -serial "file:$serial" \
        -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
        -append 'console=ttyS0 quiet panic=-1 vamt.mode=demo vamt.ider=bench' \
        -object "secret,id=amtpw,data=$password" "$@" > /dev/null 2>&1 &
    vm_pid=$!
    wait_for 300 grep -q 'CDBENCH' "$serial"
    kill "$vm_pid"
    wait "$vm_pid" 2> /dev/null || true
    vm_pid=
    sed -n 's/.*CDBENCH \([^ ]*\) bytes=\([0-9]*\) start=\([0-9.]*\) end=\([0-9.]*\).*/\2 \3 \4/p' \
        "$serial" | tr -d '\r' |
        awk '{ printf "%.2f", $1 / 1048576 / ($3 - $2) }'
}

local_mbs=$(boot local -drive "file=$work/bench.iso,media=cdrom,readonly=on" \
                -device vamt,addr=16.0)
port=$(free_port)
(sleep 8; python3 "$VAMT_REPO/tests/redir/ider_console.py" 127.0.0.1 \
    $((port + 2)) admin "$password" "$work/bench.iso" 300 > /dev/null 2>&1) &
console=$!
ider_mbs=$(boot ider -device "vamt,addr=16.0,ider=on,listen=127.0.0.1:$port,admin-secret=amtpw")
kill "$console" 2> /dev/null || true
printf '%-34s %10s\n' "sequential read of a ${mib} MiB ISO" "MB/s"
printf '%-34s %10s\n' "local CD (AHCI, -drive)" "$local_mbs"
printf '%-34s %10s\n' "IDE-R CD (console on 127.0.0.1)" "$ider_mbs"
python3 -c "print('%-34s %10.2f' % ('ratio IDE-R / local', $ider_mbs / $local_mbs))"
