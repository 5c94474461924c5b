#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Graceful power off through the ME, with a guest that acts on it: the
# busybox guest in demo mode runs acpid, which powers off on the ACPI
# power button.  WS-Management RequestPowerStateChange(12) must press the
# button (QEMU's system_powerdown), the guest must shut itself down and
# QEMU (-action shutdown=pause) must show "shutdown"; then On (2) must
# boot it again.  Then the same VM once more with -no-reboot: a power-on
# must still boot it (SeaBIOS's own reset after the power-on reset would
# otherwise become a shutdown), for graceful and hard off alike.  Prints
# TAP.
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

password=P@ssw0rd
need_guest
scratch_vm vamt-power

port=$(free_port)
serial=$logs/power-serial.log
qmp_sock=$work/qmp.sock

# start_vm QEMU-OPTIONS...: the demo guest with the ME on $port
start_vm() {
    rm -f "$serial" "$qmp_sock"
    "$QEMU_BIN" "${qemu_fw[@]}" \
        -M q35 -accel tcg -m 512 -nodefaults -display none \
        -serial "file:$serial" -qmp "unix:$qmp_sock,server=on,wait=off" \
        -action shutdown=pause "$@" \
        -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
        -append "console=ttyS0 quiet panic=-1 vamt.mode=demo" \
        -object secret,id=amtpw,data=$password \
        -device "vamt,addr=16.0,listen=127.0.0.1:$port,admin-secret=amtpw" \
        2>> "$logs/power-qemu.err" &
    vm_pid=$!
}
: > "$logs/power-qemu.err"
start_vm

check "the demo guest boots with acpid listening on the power button" \
    wait_for 60 eval 'has "^VAMT-GUEST: ACPID started: /dev/input/event" &&
                      has "^VAMT-GUEST: DONE"'
check "QEMU reports running" eval '[ "$(vm_status)" = running ]'
rv=$(wsman_power 12)
check "RequestPowerStateChange(12) (Off-Soft Graceful) answers 0" \
    eval '[ "$rv" = 0 ]'
check "the guest powers itself off: QEMU status becomes shutdown" \
    wait_for 30 eval '[ "$(vm_status)" = shutdown ]'
check "the guest's acpid got the power button and Linux powered down" \
    eval 'has "^VAMT-GUEST: POWERBUTTON .*powering off" &&
          has "reboot: Power down"'
rv=$(wsman_power 12)
check "a second graceful off while off is refused (ReturnValue $rv)" \
    eval '[ -n "$rv" ] && [ "$rv" != 0 ] && [ "$(vm_status)" = shutdown ]'
rv=$(wsman_power 2)
check "RequestPowerStateChange(2) (On) answers 0 and QEMU runs again" \
    eval '[ "$rv" = 0 ] && wait_for 10 eval "[ \"\$(vm_status)\" = running ]"'
check "the guest boots again (a second VAMT-GUEST: BOOT line)" \
    wait_for 60 eval '[ "$(boots)" = 2 ] &&
                      [ "$(grep -c "^VAMT-GUEST: ACPID started" "$serial")" = 2 ]'
check "a second graceful off works as well" \
    eval '[ "$(wsman_power 12)" = 0 ] &&
          wait_for 30 eval "[ \"\$(vm_status)\" = shutdown ]" &&
          [ "$(grep -c "^VAMT-GUEST: POWERBUTTON" "$serial")" = 2 ]'
stop_vm
sed -i 's/\r$//' "$serial"
grep -E "^VAMT-GUEST: (BOOT|ACPID|DONE|POWERBUTTON)|reboot:" "$serial" |
    sed 's/^/# /'

start_vm -no-reboot
check "-no-reboot: the demo guest boots" \
    wait_for 60 eval 'has "^VAMT-GUEST: DONE"'
rv=$(wsman_power 12)
check "-no-reboot: graceful off answers 0 and QEMU shows shutdown" \
    eval '[ "$rv" = 0 ] && wait_for 30 eval "[ \"\$(vm_status)\" = shutdown ]"'
rv=$(wsman_power 2)
check "-no-reboot: On answers 0, the VM runs and the guest boots again" \
    eval '[ "$rv" = 0 ] && wait_for 60 eval "[ \"\$(boots)\" = 2 ]" &&
          [ "$(vm_status)" = running ]'
check "-no-reboot: the guest boots to the end, the VM still running" \
    wait_for 60 eval '[ "$(grep -c "^VAMT-GUEST: DONE" "$serial")" = 2 ] &&
                      [ "$(vm_status)" = running ]'
rv=$(wsman_power 8)
check "-no-reboot: hard off answers 0 and QEMU shows shutdown" \
    eval '[ "$rv" = 0 ] && wait_for 30 eval "[ \"\$(vm_status)\" = shutdown ]"'
rv=$(wsman_power 2)
check "-no-reboot: On after a hard off boots the guest a third time" \
    eval '[ "$rv" = 0 ] && wait_for 60 eval "[ \"\$(boots)\" = 3 ]" &&
          [ "$(vm_status)" = running ]'
rv=$(wsman_power 10)
check "-no-reboot: a console's reset (10) answers 0 and the guest boots again" \
    eval '[ "$rv" = 0 ] && wait_for 60 eval "[ \"\$(boots)\" = 4 ]" &&
          [ "$(vm_status)" = running ]'
stop_vm
check "QEMU printed nothing on stderr" eval '[ ! -s "$logs/power-qemu.err" ]'

tap_plan
