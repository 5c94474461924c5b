#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The newcomer's first command: install what is needed, build QEMU with
# vAMT, build the tiny guest and boot it with -device vamt.  The demo VM
# keeps running in the background; the script prints what the guest sees
# and how to reach each console.
set -euo pipefail
. "$(dirname "$0")/common.sh"

demo=$VAMT_CACHE/demo
mkdir -p "$demo"

"$VAMT_REPO/scripts/vamt/build.sh"
"$VAMT_REPO/tests/guest/build-guest.sh"

if [ -S "$demo/qmp.sock" ]; then
    "$VAMT_REPO/scripts/vamt/qmp.py" "$demo/qmp.sock" quit \
        > /dev/null 2>&1 || true
    sleep 1
fi
rm -f "$demo/serial.log" "$demo/qmp.sock"

"$QEMU_BIN" -name vamt-demo -daemonize -pidfile "$demo/qemu.pid" \
    -L "$VAMT_FW" -L /usr/share/seabios -L /usr/lib/ipxe/qemu \
    -machine q35 -accel tcg -m 512 -nodefaults -display none \
    -action shutdown=pause \
    -uuid 6a1e7d5c-8b2f-4c3e-9d4a-5b6c7d8e9f01 \
    -chardev file,id=serial0,path="$demo/serial.log" \
    -serial chardev:serial0 \
    -qmp unix:"$demo/qmp.sock",server=on,wait=off \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
    -append 'console=ttyS0 quiet panic=-1 vamt.mode=demo' \
    -device vamt,addr=16.0

echo "vamt: demo VM started (pid $(cat "$demo/qemu.pid")), waiting for the guest..."
for _ in $(seq 120); do
    grep -q 'VAMT-GUEST: DONE' "$demo/serial.log" 2>/dev/null && break
    sleep 1
done

echo
echo "=== What the guest's Linux sees (from its serial console) ==="
grep 'VAMT-GUEST\|MEICLIENT' "$demo/serial.log" | grep -v DMESG || true
echo
echo "=== What QEMU reports (QMP query-vamt) ==="
"$VAMT_REPO/scripts/vamt/qmp.py" "$demo/qmp.sock" query-vamt
cat <<EOF2

=== Consoles ===
Guest serial console (log):  $demo/serial.log
QMP monitor:                 $VAMT_REPO/scripts/vamt/qmp.py $demo/qmp.sock query-vamt
In-guest agents (/dev/mei0): MKHI, AMTHI, watchdog (mei_wdt) and LME are served now
WS-Management 16992/16993 (MeshCommander, amttool, wsl),
Serial-over-LAN/IDE-R 16994/16995 (amtterm), KVM 5900 (VNC viewers):
                             not served by this version yet
Stop the demo VM:            $VAMT_REPO/scripts/vamt/qmp.py $demo/qmp.sock quit
EOF2
