#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Graceful power off through the ME, with a guest that acts on it: the
# busybox guest in demo mode runs acpid, which powers off on the ACPI
# power button.  WS-Management RequestPowerStateChange(12) must press the
# button (QEMU's system_powerdown), the guest must shut itself down and
# QEMU (-action shutdown=pause) must show "shutdown"; then On (2) must
# boot it again.  Prints TAP.
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/tap.sh"

logs=${VAMT_TEST_LOGS:-$VAMT_REPO/build/test-logs}
qmp_py=$VAMT_REPO/scripts/vamt/qmp.py
password=P@ssw0rd
mkdir -p "$logs"
"$VAMT_REPO/tests/guest/build-guest.sh" > "$logs/guest-build.log" 2>&1 || {
    tail -n 20 "$logs/guest-build.log"
    echo "not ok 1 - build the test guest"
    echo "1..1"
    exit 1
}
scratch_vm vamt-power

port=$(free_port)
log=$logs/power-serial.log
qmp_sock=$work/qmp.sock
rm -f "$log"
"$QEMU_BIN" -L "$VAMT_FW" -L /usr/share/seabios -L /usr/lib/ipxe/qemu \
    -M q35 -accel tcg -m 512 -nodefaults -display none \
    -serial "file:$log" -qmp "unix:$qmp_sock,server=on,wait=off" \
    -action shutdown=pause \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
    -append "console=ttyS0 quiet panic=-1 vamt.mode=demo" \
    -object secret,id=amtpw,data=$password \
    -device "vamt,addr=16.0,listen=127.0.0.1:$port,admin-secret=amtpw" \
    2> "$logs/power-qemu.err" &
vm_pid=$!

status() {
    "$qmp_py" "$qmp_sock" query-status 2>/dev/null |
        sed -n 's/.*"status": "\(.*\)".*/\1/p'
}

# wait_for SECONDS COMMAND...: poll every 0.2 s until COMMAND succeeds
wait_for() {
    local i n=$(($1 * 5))
    shift
    for ((i = 0; i < n; i++)); do
        "$@" && return 0
        sleep 0.2
    done
    return 1
}

has() {
    grep -qE "$1" "$log" 2>/dev/null
}

boots() {
    grep -c "^VAMT-GUEST: BOOT " "$log" 2>/dev/null
}

# power STATE: CIM_PowerManagementService.RequestPowerStateChange over
# WS-Management (curl, HTTP digest); prints the ReturnValue
power() {
    local cim=http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2
    local svc=$cim/CIM_PowerManagementService
    local anon=http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous

    curl -s --max-time 30 --digest -u "admin:$password" \
        -H 'Content-Type: application/soap+xml;charset=utf-8' \
        --data-binary @- "http://127.0.0.1:$port/wsman" <<EOF |
<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header><wsa:Action s:mustUnderstand="true">$svc/RequestPowerStateChange</wsa:Action><wsa:To s:mustUnderstand="true">http://127.0.0.1:$port/wsman</wsa:To><wsman:ResourceURI s:mustUnderstand="true">$svc</wsman:ResourceURI><wsa:MessageID s:mustUnderstand="true">uuid:$(cat /proc/sys/kernel/random/uuid)</wsa:MessageID><wsa:ReplyTo><wsa:Address>$anon</wsa:Address></wsa:ReplyTo><wsman:SelectorSet><wsman:Selector Name="CreationClassName">CIM_PowerManagementService</wsman:Selector><wsman:Selector Name="Name">Intel(r) AMT Power Management Service</wsman:Selector><wsman:Selector Name="SystemCreationClassName">CIM_ComputerSystem</wsman:Selector><wsman:Selector Name="SystemName">Intel(r) AMT</wsman:Selector></wsman:SelectorSet></s:Header><s:Body><p:RequestPowerStateChange_INPUT xmlns:p="$svc"><p:PowerState>$1</p:PowerState><p:ManagedElement><wsa:Address>$anon</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>$cim/CIM_ComputerSystem</wsman:ResourceURI><wsman:SelectorSet><wsman:Selector Name="CreationClassName">CIM_ComputerSystem</wsman:Selector><wsman:Selector Name="Name">ManagedSystem</wsman:Selector></wsman:SelectorSet></wsa:ReferenceParameters></p:ManagedElement></p:RequestPowerStateChange_INPUT></s:Body></s:Envelope>
EOF
        sed -n 's/.*ReturnValue>\([0-9][0-9]*\)<.*/\1/p'
}

check "the demo guest boots with acpid listening on the power button" \
    wait_for 60 eval 'has "^VAMT-GUEST: ACPID started: /dev/input/event" &&
                      has "^VAMT-GUEST: DONE"'
check "QEMU reports running" eval '[ "$(status)" = running ]'
rv=$(power 12)
check "RequestPowerStateChange(12) (Off-Soft Graceful) answers 0" \
    eval '[ "$rv" = 0 ]'
check "the guest powers itself off: QEMU status becomes shutdown" \
    wait_for 30 eval '[ "$(status)" = shutdown ]'
check "the guest's acpid got the power button and Linux powered down" \
    eval 'has "^VAMT-GUEST: POWERBUTTON .*powering off" &&
          has "reboot: Power down"'
rv=$(power 12)
check "a second graceful off while off is refused (ReturnValue $rv)" \
    eval '[ -n "$rv" ] && [ "$rv" != 0 ] && [ "$(status)" = shutdown ]'
rv=$(power 2)
check "RequestPowerStateChange(2) (On) answers 0 and QEMU runs again" \
    eval '[ "$rv" = 0 ] && wait_for 10 eval "[ \"\$(status)\" = running ]"'
check "the guest boots again (a second VAMT-GUEST: BOOT line)" \
    wait_for 60 eval '[ "$(boots)" = 2 ] &&
                      [ "$(grep -c "^VAMT-GUEST: ACPID started" "$log")" = 2 ]'
check "a second graceful off works as well" \
    eval '[ "$(power 12)" = 0 ] &&
          wait_for 30 eval "[ \"\$(status)\" = shutdown ]" &&
          [ "$(grep -c "^VAMT-GUEST: POWERBUTTON" "$log")" = 2 ]'
"$qmp_py" "$qmp_sock" quit > /dev/null 2>&1
wait "$vm_pid" 2>/dev/null
vm_pid=
sed -i 's/\r$//' "$log"
grep -E "^VAMT-GUEST: (BOOT|ACPID|DONE|POWERBUTTON)|reboot:" "$log" |
    sed 's/^/# /'
check "QEMU printed nothing on stderr" eval '[ ! -s "$logs/power-qemu.err" ]'

tap_plan
