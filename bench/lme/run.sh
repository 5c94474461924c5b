#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# WS-Management through LME from inside the guest, beside the same
# requests over the guest's network to the listen= socket, measured in
# the same run on one VM.  Figures, not a test: nothing about timing is
# asserted; the exit status is non-zero only if the benchmark could not
# run.
#
# One booted test guest (tests/guest/build-meshcmd-guest.sh's image) with
# an e1000 on QEMU's user network.  Inside it tests/guest/wsman-bench.c
# runs twice with the same requests (HTTP Digest as admin, keep-alive):
#   lme   to meiclient's minimal LMS on 127.0.0.1:16990, which forwards
#         each connection over an APF channel on /dev/mei0 (LME) as LMS
#         does; MeshCmd's MicroLMS is not used here: under TCG its own
#         JavaScript would dominate the figures
#   nic   to 10.0.2.2:PORT, user networking's path to the host's
#         127.0.0.1:PORT, the device's listen= socket
# and reports AMT_GeneralSettings Get latency (median, p90), a console's
# connect sequence (a fresh connection, its 401, 10 Gets of the classes
# MeshCommander reads) and the throughput of back-to-back Identify
# answers (MB/s).  The ratios are lme / nic.  About half a minute;
# uses the built QEMU, never builds it.
set -euo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

password='P@ssw0rd'
logs=$logs/bench-lme
mkdir -p "$logs"

if [ ! -x "$QEMU_BIN" ]; then
    echo "lme-bench: no QEMU at $QEMU_BIN (scripts/vamt/build.sh builds it)" >&2
    exit 1
fi
if ! "$VAMT_REPO/tests/guest/build-meshcmd-guest.sh" > "$logs/guest-build.log" 2>&1; then
    tail -n 20 "$logs/guest-build.log" >&2
    echo "lme-bench: could not build the test guest with MeshCmd" >&2
    exit 1
fi

keep_logs() {
    [ -f "$serial" ] && tr -d '\r' < "$serial" > "$logs/serial.log"
}
scratch_vm vamt-bench-lme keep_logs
serial=$work/serial.log
qmp_sock=$work/qmp.sock
port=$(free_port)

"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 512 -nodefaults \
    -display none -action shutdown=pause -serial "file:$serial" \
    -qmp "unix:$qmp_sock,server=on,wait=off" \
    -nic user,model=e1000 \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd-meshcmd.gz" \
    -append "console=ttyS0 quiet panic=-1 vamt.mode=demo vamt.net=10.0.2.15 vamt.meshcmd=bench vamt.bench-port=$port" \
    -object "secret,id=amtpw,data=$password" \
    -device "vamt,addr=16.0,listen=127.0.0.1:$port,admin-secret=amtpw" \
    > "$logs/qemu.log" 2>&1 &
vm_pid=$!

if ! wait_for 400 has '^VAMT-GUEST: BENCH done'; then
    tail -n 30 "$serial" >&2
    echo "lme-bench: the guest did not finish" >&2
    exit 1
fi
results=$(tr -d '\r' < "$serial" | grep '^BENCH ')
if grep -q 'error' <<< "$results"; then
    echo "$results" >&2
    echo "lme-bench: a run failed" >&2
    exit 1
fi
stop_vm

# value PATH TEST KEY: one figure of one run
value() {
    sed -n "s/^BENCH $1: WSMAN-BENCH test=$2 .*$3=\\([0-9.]*\\).*/\\1/p" <<< "$results"
}
ratio() {
    python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"
}
printf '%-44s %12s %12s %10s\n' "WS-Man from inside the guest" \
    "LME (LMS)" "NIC" "LME/NIC"
for row in "get median_us Get latency, median (us)" \
           "get p90_us Get latency, 90th percentile (us)" \
           "connect ms_per_sequence connect sequence, 11 requests (ms)" \
           "stream MBps Identify answers back to back (MB/s)"; do
    read -r test key label <<< "$row"
    lme=$(value lme "$test" "$key")
    nic=$(value nic "$test" "$key")
    printf '%-44s %12s %12s %10s\n' "$label" "$lme" "$nic" "$(ratio "$lme" "$nic")"
done
