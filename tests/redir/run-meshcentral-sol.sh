#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Serial-over-LAN through vAMT's redirection port with MeshCentral's own
# console modules (meshcentral-sol.js): one VM with the ME's serial port
# (kt=on) running the test guest's SOL echo service (vamt.sol=echo), then
# the node scenario - Digest login, typing and the guest's answer, 12 s on
# the module's keep-alives, a wrong password, a second session refused as
# busy.  Prints TAP; exits non-zero when a check fails.
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

here=$VAMT_REPO/tests/redir
logs=$logs/redir
mkdir -p "$logs"
need_guest
need_clients

password='P@ssw0rd'

keep_serial() {         # at exit: the serial log, without CRs, in $logs
    [ -f "$serial" ] && tr -d '\r' < "$serial" > "$logs/serial.log"
}
scratch_vm vamt-mcsol keep_serial
serial=$work/serial.log
qmp_sock=$work/qmp.sock

# listen=HOST:P serves WS-Man on P and redirection on P+2: both must be free
for _ in 1 2 3 4 5 6 7 8 9 10; do
    port=$(free_port)
    port_open $((port + 2)) || break
done
"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 512 -nodefaults -display none \
    -action shutdown=pause -serial "file:$serial" \
    -qmp "unix:$qmp_sock,server=on,wait=off" \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
    -append 'console=ttyS0 quiet panic=-1 vamt.mode=demo vamt.sol=echo' \
    -object "secret,id=amtpw,data=$password" \
    -device "vamt,addr=16.0,kt=on,listen=127.0.0.1:$port,admin-secret=amtpw" \
    > "$logs/qemu.log" 2>&1 &
vm_pid=$!

# The guest reports the ME's UART once its echo service reads it
check "QEMU starts with -device vamt,kt=on and the guest's SOL echo service is up" \
    eval 'wait_for 60 has "^VAMT-GUEST: SOL-TTY /dev/ttyS" && [ "$(vm_status)" = running ]'
if ! kill -0 "$vm_pid" 2> /dev/null || ! has '^VAMT-GUEST: SOL-TTY /dev/ttyS'; then
    sed 's/^/# qemu: /' "$logs/qemu.log"
    tr -d '\r' < "$serial" 2> /dev/null | tail -n 20 | sed 's/^/# serial: /'
    tap_exit
fi

# The redirection port as the device reports it (query-vamt "listeners")
redir_port=$(listener_port 16994)
check "query-vamt lists the redirection listener (16994) on port $((port + 2))" \
    [ "$redir_port" = $((port + 2)) ]
[ -n "$redir_port" ] || tap_exit

# The node scenario; its TAP lines are renumbered into ours, and one that
# dies or leaves no plan is a failure
log=$logs/meshcentral-sol.log
VAMT_REDIR_PORT=$redir_port VAMT_PASSWORD=$password VAMT_SERIAL=$serial \
VAMT_NODE_MODULES=$VAMT_CACHE/node/node_modules \
    timeout 60 node "$here/meshcentral-sol.js" > "$log" 2>&1
tap_merge meshcentral-sol "$log" $?

check "QEMU is still running and printed nothing on stderr" \
    eval 'kill -0 $vm_pid && [ ! -s "$logs/qemu.log" ]'
tap_exit
