#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# IDE-R: -device vamt,ider=on gives the guest the ME's IDE controller
# (00:16.2) with an empty CD drive; a console's IDE-R session
# (tests/redir/ider_console.py) provides an ISO built here with xorriso.
# First Linux (ata_generic, sr_mod) sees the medium appear, reads the
# ISO's volume descriptor and a file from it, and sees it go when the
# session ends; then, on a VM that boots from firmware, AMT_BootSettingData
# UseIDER and a console's reset make SeaBIOS boot the CD's own boot
# sector, which says so on the serial port.  Prints TAP.
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"
. "$VAMT_REPO/tests/redir/ider-wsman.sh"

logs=$logs/redir
mkdir -p "$logs"
need_guest
password='P@ssw0rd1'
here=$VAMT_REPO/tests/redir

keep_serial() {
    [ -f "$serial" ] && tr -d '\r' < "$serial" > "$logs/ider-serial.log"
    [ -f "$work/boot-serial.log" ] &&
        tr -d '\r' < "$work/boot-serial.log" > "$logs/ider-boot-serial.log"
}
scratch_vm vamt-ider keep_serial
serial=$work/serial.log
qmp_sock=$work/qmp.sock

# The image: a file to read and an El Torito boot sector (no emulation)
# that prints a line on COM1 and halts (make-ider-iso.sh)
word=ider-$RANDOM$RANDOM
"$here/make-ider-iso.sh" "$work/iso" "$word" "$work/ider.iso" 2> "$logs/xorriso.log"
check "xorriso builds the console's ISO (a file and an El Torito boot sector)" \
    test -s "$work/ider.iso"

port=$(free_port)
redir_port=$((port + 2))
"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 512 -nodefaults \
    -display none -action shutdown=pause -serial "file:$serial" \
    -qmp "unix:$qmp_sock,server=on,wait=off" \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
    -append 'console=ttyS0 quiet panic=-1 vamt.mode=demo vamt.ider=watch' \
    -object "secret,id=amtpw,data=$password" \
    -device "vamt,addr=16.0,kt=on,ider=on,listen=127.0.0.1:$port,admin-secret=amtpw" \
    > "$logs/ider-qemu.log" 2>&1 &
vm_pid=$!

check "Linux's ata_generic binds the IDE-R controller 00:16.2 (8086:7aea, IDE) and sr_mod makes its CD drive" \
    eval 'wait_for 60 has "^VAMT-GUEST: IDER-DRIVE /dev/sr" &&
          has "^VAMT-GUEST: IDER-CONTROLLER 0000:00:16.2 class=0x01018f driver=ata_generic"'
check "... with no medium until a console brings one" \
    eval 'sleep 2; ! has "^VAMT-GUEST: IDER-MEDIUM"'

redir_state() {
    wsman_get AMT_RedirectionService |
        sed -n 's/.*<[a-z0-9]*:EnabledState>\([0-9]*\)<.*/\1/p'
}
check "AMT_RedirectionService reports IDE-R and SOL enabled (32771): kt=on ider=on" \
    eval '[ "$(redir_state)" = 32771 ]'

python3 "$here/ider_console.py" 127.0.0.1 "$redir_port" admin "$password" \
    "$work/ider.iso" 120 "$work/console.stop" > "$work/console.log" 2>&1 &
console_pid=$!
check "a console's IDE-R session logs in and enables its CD (start mode now)" \
    wait_for 15 grep -q "DisableEnableFeatures reply" "$work/console.log"
check "the guest sees the medium: the ISO's volume descriptor (CD001) through READ(10)s to the console" \
    wait_for 30 has "^VAMT-GUEST: IDER-MEDIUM /dev/sr[0-9] CD001"
check "the guest mounts the ISO and reads the console's file ('hello $word')" \
    wait_for 15 has "^VAMT-GUEST: IDER-FILE hello $word"

# one IDE-R session at a time
busy_status() {
    python3 - "$redir_port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"\x10\x00\x00\x00IDER")
print(s.recv(13)[1])
PY
}
check "a second IDE-R session while the first is open is refused as busy (0x11 status 2)" \
    eval '[ "$(busy_status)" = 2 ]'
ider_in_query_block() {
    qmp query-block > "$logs/ider-query-block.json"
    grep -q '"drv": "vamt-ider"' "$logs/ider-query-block.json"
}
check "query-block shows the console's medium in the IDE-R drive" \
    ider_in_query_block

touch "$work/console.stop"
wait "$console_pid"
console_rc=$?
cp "$work/console.log" "$logs/ider-console.log"
check "the console ends its session (0x42 -> 0x43) after serving the guest's reads" \
    eval '[ $console_rc = 0 ] && grep -q "^ended" "$work/console.log" &&
          ! grep -q "served 0 reads" "$work/console.log"'
check "the guest sees the medium go when the session ends" \
    wait_for 15 has "^VAMT-GUEST: IDER-GONE /dev/sr"

request_state() {
    wsman_call AMT_RedirectionService RequestStateChange \
        "$(wsman_redirection_service)" "<p:RequestedState>$1</p:RequestedState>" |
        sed -n 's/.*<[a-z0-9]*:ReturnValue>\([0-9]*\)<.*/\1/p'
}
start_status() {
    python3 - "$redir_port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"\x10\x00\x00\x00IDER")
print(s.recv(13)[1])
PY
}
check "RequestStateChange(32770) switches IDE-R off: a console's IDER start gets status 3" \
    eval '[ "$(request_state 32770)" = 0 ] && [ "$(start_status)" = 3 ]'
request_state 32771 > /dev/null
check "QEMU is still running and answers QMP" \
    eval '[ "$(vm_status)" = running ]'
stop_vm

# ---- booting from the IDE-R CD -------------------------------------------------

serial=$work/boot-serial.log
port=$(free_port)
redir_port=$((port + 2))
"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 256 -nodefaults \
    -display none -action shutdown=pause -serial "file:$serial" \
    -qmp "unix:$qmp_sock,server=on,wait=off" \
    -object "secret,id=amtpw,data=$password" \
    -device "vamt,addr=16.0,ider=on,listen=127.0.0.1:$port,admin-secret=amtpw" \
    > "$logs/ider-boot-qemu.log" 2>&1 &
vm_pid=$!
wait_for 30 port_open "$port"
python3 "$here/ider_console.py" 127.0.0.1 "$redir_port" admin "$password" \
    "$work/ider.iso" 40 > "$work/boot-console.log" 2>&1 &
console_pid=$!
wait_for 15 grep -q "DisableEnableFeatures reply" "$work/boot-console.log"

check "AMT_BootSettingData Put UseIDER=true, IDERBootDevice=1 (CD) is accepted" \
    eval '[ "$(ider_put_use_ider)" -ge 1 ]'
check "a console's reset (RequestPowerStateChange 10) answers 0" \
    eval '[ "$(ider_power 10)" = 0 ]'
check "SeaBIOS boots the IDE-R CD: its boot sector prints 'VAMT-IDER-BOOT' on COM1" \
    wait_for 40 has "VAMT-IDER-BOOT: booted from the IDE-R CD"
kill "$console_pid" 2> /dev/null
wait "$console_pid" 2> /dev/null
cp "$work/boot-console.log" "$logs/ider-boot-console.log"
check "QEMU is still running after the console left" \
    eval '[ "$(vm_status)" = running ]'
stop_vm
tap_exit
