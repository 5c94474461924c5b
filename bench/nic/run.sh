#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The ME's endpoint on the guest's NIC (netdev=), measured in one run
# beside the paths it is compared with.  Figures, not a test: nothing
# about timing is asserted; the exit status is non-zero only if the
# benchmark could not run.
#
#   wsman   a console on the host (tests/guest/wsman-bench.c, built for
#           the host here): AMT_GeneralSettings Get latency and
#           MeshCommander's connect sequence, through the NIC (libslirp's
#           hostfwd to the guest's 16992, where the ME answers) beside
#           the listen= socket of the same VM.  Ratio nic / listen
#           (target <= 1.5).
#   guest   the guest's own traffic on the same netdev, with the ME's
#           filter on it (netdev=) and without (a second VM, otherwise
#           the same): 32 MiB sent by the guest (busybox nc) to a
#           receiver on the host, and ping to the user network's gateway,
#           the best of three runs each.
#           Ratio with / without (target >= 0.97 for throughput).
#   frame   bench/nic/frame-bench.c: nanoseconds per frame the filter
#           passes, beside copying the frame.
# About a minute; uses the built QEMU, never builds it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

password='P@ssw0rd'
logs=$logs/bench-nic
mkdir -p "$logs"
build=${VAMT_BENCH_BUILD:-$VAMT_REPO/build/bench}

if [ ! -x "$QEMU_BIN" ]; then
    echo "nic-bench: no QEMU at $QEMU_BIN (scripts/vamt/build.sh builds it)" >&2
    exit 1
fi
"$VAMT_REPO/tests/guest/build-guest.sh" > "$logs/guest-build.log" 2>&1 || {
    tail -n 20 "$logs/guest-build.log" >&2
    echo "nic-bench: could not build the test guest" >&2
    exit 1
}
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$VAMT_REPO" -Db_sanitize=none -Dbuildtype=release \
        > "$logs/meson.log"
fi
ninja -C "$build" bench/frame-bench > /dev/null

scratch_vm vamt-bench-nic
gcc -O2 -Wall -D_GNU_SOURCE -I"$VAMT_REPO/tests/common" \
    -o "$work/wsman-bench" "$VAMT_REPO/tests/guest/wsman-bench.c" \
    "$VAMT_REPO/tests/common/vamt-digest-client.c" \
    $(pkg-config --cflags --libs glib-2.0)

# boot_vm NAME [VAMT-OPTIONS]: a VM with a shell on its serial pipe; with
# options, the ME shares its NIC (netdev=n0) and listens on $listen_port
boot_vm() {
    local name=$1 netdev=user,id=n0,hostfwd=tcp:127.0.0.1:$nic_port-:16992
    shift
    serial=$work/$name.serial
    qmp_sock=$work/$name.qmp
    mkfifo "$work/$name.in" "$work/$name.out"
    "$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 384 -nodefaults \
        -display none -action shutdown=pause \
        -chardev "pipe,id=con,path=$work/$name" -serial chardev:con \
        -qmp "unix:$qmp_sock,server=on,wait=off" \
        -netdev "$netdev" -device e1000,netdev=n0 \
        -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
        -append 'console=ttyS0 quiet panic=-1 vamt.mode=shell vamt.net=10.0.2.15' \
        -object "secret,id=amtpw,data=$password" \
        -device "vamt,addr=16.0,admin-secret=amtpw$*" \
        > "$logs/$name-qemu.log" 2>&1 &
    vm_pid=$!
    cat "$work/$name.out" > "$serial" &
    exec {con}<> "$work/$name.in"
    if ! wait_for 120 eval 'has "^VAMT-GUEST: DONE" && guest_prompt'; then
        tail -n 20 "$logs/$name-qemu.log" "$serial" >&2
        echo "nic-bench: the guest did not come up" >&2
        exit 1
    fi
}

# guest_run SECONDS COMMAND: type COMMAND into the guest's shell, wait
guest_run() {
    : > "$serial"
    printf '%s\n' "$2" >&"$con"
    wait_for "$1" guest_prompt
}

# receive PORT: bytes and seconds of one connection to 127.0.0.1:PORT
receive() {
    python3 - "$1" <<'EOF' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
c, _ = s.accept()
start = None
n = 0
while True:
    b = c.recv(1 << 16)
    if not b:
        break
    if start is None:
        start = time.monotonic()
    n += len(b)
print(n, time.monotonic() - start)
EOF
}

# guest_traffic NAME: MB/s the guest sends to the host, ping RTT (ms),
# the best of three runs each (the machine is shared; TCG is slow)
guest_traffic() {
    local port out i m r
    mbps=0 rtt=
    for i in 1 2 3; do
        port=$(free_port)
        receive "$port" > "$work/$1.recv"
        local receiver=$!
        sleep 0.3
        guest_run 120 "dd if=/dev/zero bs=65536 count=512 2>/dev/null | nc 10.0.2.2 $port"
        wait "$receiver"
        out=$(cat "$work/$1.recv")
        m=$(python3 -c 'import sys; n, t = map(float, sys.argv[1:]); print("%.2f" % (n / t / 1e6))' $out)
        mbps=$(python3 -c 'import sys; print(max(map(float, sys.argv[1:])))' "$m" "$mbps")
        guest_run 60 "ping -c 10 -i 0.2 10.0.2.2"
        r=$(tr -d '\r' < "$serial" | sed -n 's|.*min/avg/max = [0-9.]*/\([0-9.]*\)/.*|\1|p')
        rtt=$(python3 -c 'import sys; print(min(map(float, sys.argv[1:])))' "$r" ${rtt:-$r})
    done
}

listen_port=$(free_port)
nic_port=$(free_port)

boot_vm with-me ",netdev=n0,nic-address=10.0.2.15/24,listen=127.0.0.1:$listen_port"
"$work/wsman-bench" 127.0.0.1 "$listen_port" admin "$password" \
    > "$logs/wsman-listen.txt"
"$work/wsman-bench" 127.0.0.1 "$nic_port" admin "$password" \
    > "$logs/wsman-nic.txt"
guest_traffic with-me
with_mbps=$mbps with_rtt=$rtt
stop_vm
exec {con}>&-

boot_vm without-me
guest_traffic without-me
without_mbps=$mbps without_rtt=$rtt
stop_vm

# value FILE TEST KEY: one figure of wsman-bench's output
value() {
    sed -n "s/^WSMAN-BENCH test=$2 .*$3=\\([0-9.]*\\).*/\\1/p" "$1"
}
ratio() {
    python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"
}
l_get=$(value "$logs/wsman-listen.txt" get median_us)
n_get=$(value "$logs/wsman-nic.txt" get median_us)
l_con=$(value "$logs/wsman-listen.txt" connect ms_per_sequence)
n_con=$(value "$logs/wsman-nic.txt" connect ms_per_sequence)
echo "nic-bench: a console on the host, the same VM, the same ME"
printf '  AMT_GeneralSettings Get, median:   listen= %6s us   NIC %6s us   ratio %s\n' \
    "$l_get" "$n_get" "$(ratio "$n_get" "$l_get")"
printf '  MeshCommander connect sequence:    listen= %6s ms   NIC %6s ms   ratio %s\n' \
    "$l_con" "$n_con" "$(ratio "$n_con" "$l_con")"
echo "nic-bench: the guest's own traffic on its netdev (-netdev user, e1000)"
printf '  32 MiB guest -> host:    with the ME %6s MB/s   without %6s MB/s   ratio %s\n' \
    "$with_mbps" "$without_mbps" "$(ratio "$with_mbps" "$without_mbps")"
printf '  ping gateway, avg RTT:   with the ME %6s ms     without %6s ms     ratio %s\n' \
    "$with_rtt" "$without_rtt" "$(ratio "$with_rtt" "$without_rtt")"
"$build/bench/frame-bench"
