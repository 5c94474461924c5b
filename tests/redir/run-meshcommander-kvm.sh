#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# KVM redirection through vAMT's redirection port with MeshCommander's
# own Remote Desktop (meshcommander-kvm.js): one VM with kvm=on, the std
# VGA, the usb-tablet on xHCI and the test guest's shell on a pipe, started
# paused so that the viewer is there from the firmware's first screen;
# then the node scenario - a wrong password, the Digest login, the canvas
# against QMP screendump on the firmware's text screen, the text screen
# once Linux booted and kvmguest's 800x600 and 1024x768 modes, keys and
# clicks that the guest's evdev reports, a second session refused as
# busy, the session ending, and MeshCommander's default RLE8.
# Prints TAP; exits non-zero when a check fails.
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

here=$VAMT_REPO/tests/redir
logs=$logs/redir
mkdir -p "$logs"
need_guest
need_clients

password='P@ssw0rd'

keep_logs() {           # at exit: the console reader ends, its log kept
    if [ -n "${reader_pid:-}" ]; then
        kill "$reader_pid" 2> /dev/null
        wait "$reader_pid" 2> /dev/null
    fi
    [ -f "$serial" ] && tr -d '\r' < "$serial" > "$logs/mckvm-serial.log"
}
scratch_vm vamt-mckvm keep_logs
serial=$work/serial.log
qmp_sock=$work/qmp.sock
t0=$SECONDS

# listen=HOST:P serves WS-Man on P and redirection on P+2: both must be free
for _ in 1 2 3 4 5 6 7 8 9 10; do
    port=$(free_port)
    port_open $((port + 2)) || break
done
# the guest's console on a pipe chardev: QEMU reads con.in, writes con.out
mkfifo "$work/con.in" "$work/con.out"
"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 512 -nodefaults -S \
    -display none -action shutdown=pause \
    -chardev "pipe,id=con,path=$work/con" -serial chardev:con \
    -qmp "unix:$qmp_sock,server=on,wait=off" \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
    -append 'console=ttyS0 quiet panic=-1 vamt.mode=shell vamt.input=usb' \
    -device VGA -device qemu-xhci -device usb-tablet \
    -object "secret,id=amtpw,data=$password" \
    -device "vamt,addr=16.0,kvm=on,listen=127.0.0.1:$port,admin-secret=amtpw" \
    > "$logs/qemu-mckvm.log" 2>&1 &
vm_pid=$!
cat "$work/con.out" > "$serial" &
reader_pid=$!
# read-write: opening does not wait for QEMU, and keeps the pipe open
# while the scenario writes the guest's commands into it
# shellcheck disable=SC2034  # only held open
exec {con}<> "$work/con.in"

# query_kvm FIELD: one member of query-vamt's "kvm", as JSON
query_kvm() {
    qmp query-vamt | python3 -c 'import json, sys
print(json.dumps(json.load(sys.stdin)["return"][0].get("kvm", {}).get(sys.argv[1])))' "$1"
}
kvm_served_idle() {
    [ "$(query_kvm served)" = true ] && [ "$(query_kvm session)" = false ] &&
        [ "$(vm_status)" = prelaunch ]
}
check "QEMU starts paused with -device VGA and -device vamt,kvm=on; query-vamt says kvm served, no session" \
    wait_for 30 kvm_served_idle
if ! kill -0 "$vm_pid" 2> /dev/null || [ "$(query_kvm served)" != true ]; then
    sed 's/^/# qemu: /' "$logs/qemu-mckvm.log"
    tap_exit
fi

# The redirection port as the device reports it (query-vamt "listeners")
redir_port=$(listener_port 16994)
check "query-vamt lists the redirection listener (16994) on port $((port + 2))" \
    [ "$redir_port" = $((port + 2)) ]
[ -n "$redir_port" ] || tap_exit

log=$logs/meshcommander-kvm.log
VAMT_REDIR_PORT=$redir_port VAMT_PASSWORD=$password VAMT_QMP=$qmp_sock \
VAMT_SERIAL=$serial VAMT_CONSOLE=$work/con.in VAMT_WORK=$work VAMT_LOG_DIR=$logs \
VAMT_NODE_MODULES=$VAMT_CACHE/node/node_modules \
    timeout 300 node "$here/meshcommander-kvm.js" > "$log" 2>&1
tap_merge meshcommander-kvm "$log" $?

check "QEMU is still running and printed nothing on stderr" \
    eval 'kill -0 $vm_pid && [ "$(vm_status)" = running ] && [ ! -s "$logs/qemu-mckvm.log" ]'
stop_vm
echo "# $((SECONDS - t0)) s in all"
tap_exit
