#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# IDE-R through vAMT's redirection port with MeshCentral's own IDE-R
# client module (meshcentral-ider.js): two VMs with the ME's IDE-R
# controller (ider=on) - VM 1 runs Linux with the guest's IDE-R watcher
# (vamt.ider=watch), VM 2 only firmware - and an ISO built here
# (make-ider-iso.sh).  The node scenario serves it to VM 1's guest, which
# reads its hello.txt; holds the session 12 s; boots VM 2 from it via
# UseIDER and a WS-Man reset; ends the session, and VM 1's guest sees the
# medium go.  MCIDER_CONSOLE_PASSWORD overrides the password the module
# logs in with (a wrong one must fail the run).  Prints TAP; exits
# non-zero when a check fails.
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

here=$VAMT_REPO/tests/redir
logs=$logs/redir
mkdir -p "$logs"
need_guest
need_clients

password='P@ssw0rd'
vm2_pid=

at_exit() {             # VM 2, and both serial logs without CRs in $logs
    if [ -n "$vm2_pid" ]; then
        kill "$vm2_pid" 2> /dev/null
        wait "$vm2_pid" 2> /dev/null
    fi
    [ -f "$work/serial.log" ] && tr -d '\r' < "$work/serial.log" > "$logs/mcider-serial.log"
    [ -f "$work/serial2.log" ] && tr -d '\r' < "$work/serial2.log" > "$logs/mcider-boot-serial.log"
}
scratch_vm vamt-mcider at_exit

word=mcider-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
check "xorriso builds the module's ISO (hello.txt and an El Torito boot sector)" \
    eval '"$here/make-ider-iso.sh" "$work/iso" "$word" "$work/ider.iso" 2> "$logs/mcider-xorriso.log"'

# listen=HOST:P serves WS-Man on P and redirection on P+2: both must be free
vm_port() {
    local p
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        p=$(free_port)
        port_open $((p + 2)) || break
    done
    echo "$p"
}

# VM 1: Linux watching the IDE-R CD
serial=$work/serial.log
qmp_sock=$work/qmp.sock
port=$(vm_port)
"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 512 -nodefaults -display none \
    -action shutdown=pause -serial "file:$serial" \
    -qmp "unix:$qmp_sock,server=on,wait=off" \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
    -append 'console=ttyS0 quiet panic=-1 vamt.mode=demo vamt.ider=watch' \
    -object "secret,id=amtpw,data=$password" \
    -device "vamt,addr=16.0,ider=on,listen=127.0.0.1:$port,admin-secret=amtpw" \
    > "$logs/mcider-qemu.log" 2>&1 &
vm_pid=$!

# VM 2: firmware only (no disk: SeaBIOS finds nothing to boot until IDE-R)
serial2=$work/serial2.log
qmp_sock2=$work/qmp2.sock
port2=$(vm_port)
while [ "$port2" = "$port" ] || [ "$port2" = $((port + 2)) ] || [ $((port2 + 2)) = "$port" ]; do
    port2=$(vm_port)
done
"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 256 -nodefaults -display none \
    -action shutdown=pause -serial "file:$serial2" \
    -qmp "unix:$qmp_sock2,server=on,wait=off" \
    -object "secret,id=amtpw,data=$password" \
    -device "vamt,addr=16.0,ider=on,listen=127.0.0.1:$port2,admin-secret=amtpw" \
    > "$logs/mcider-boot-qemu.log" 2>&1 &
vm2_pid=$!

check "VM 1: the guest's IDE-R watcher finds the ME's CD drive, with no medium" \
    eval 'wait_for 60 has "^VAMT-GUEST: IDER-DRIVE /dev/sr" && ! has "^VAMT-GUEST: IDER-MEDIUM"'
if ! has '^VAMT-GUEST: IDER-DRIVE /dev/sr'; then
    sed 's/^/# qemu: /' "$logs/mcider-qemu.log"
    tr -d '\r' < "$serial" 2> /dev/null | tail -n 20 | sed 's/^/# serial: /'
    tap_exit
fi

# The redirection ports as the devices report them (query-vamt "listeners")
redir_port=$(listener_port 16994)
redir_port2=$(qmp_sock=$qmp_sock2 listener_port 16994)
check "query-vamt lists both VMs' redirection listeners (16994) on P+2" \
    eval '[ "$redir_port" = $((port + 2)) ] && [ "$redir_port2" = $((port2 + 2)) ]'
[ -n "$redir_port" ] && [ -n "$redir_port2" ] || tap_exit

# The node scenario; its TAP lines are renumbered into ours, and one that
# dies or leaves no plan is a failure
log=$logs/meshcentral-ider.log
VAMT_REDIR_PORT=$redir_port VAMT_SERIAL=$serial \
VAMT_REDIR_PORT2=$redir_port2 VAMT_WSMAN_PORT2=$port2 VAMT_SERIAL2=$serial2 \
VAMT_PASSWORD=$password VAMT_CONSOLE_PASSWORD=${MCIDER_CONSOLE_PASSWORD:-$password} \
VAMT_ISO=$work/ider.iso VAMT_WORD=$word VAMT_REPO=$VAMT_REPO \
VAMT_NODE_MODULES=$VAMT_CACHE/node/node_modules \
    timeout 120 node "$here/meshcentral-ider.js" > "$log" 2>&1
tap_merge meshcentral-ider "$log" $?

check "both QEMUs are still running after the module left, and printed nothing on stderr" \
    eval '[ "$(vm_status)" = running ] && [ "$(qmp_sock=$qmp_sock2 vm_status)" = running ] &&
          [ ! -s "$logs/mcider-qemu.log" ] && [ ! -s "$logs/mcider-boot-qemu.log" ]'
stop_vm
qmp_sock=$qmp_sock2 vm_pid=$vm2_pid stop_vm
vm2_pid=
tap_exit
