#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# TLS handshake cost: the ME's TLS port (16993, tls-creds=) beside QEMU's
# own VNC server's TLS (its websocket port, which starts TLS at once),
# both in one QEMU with the same tls-creds-x509 object, so the same
# certificate, key and GnuTLS priority; measured in the same run by the
# same client (bench/tls/handshakes.py): QEMU's CPU time and the wall
# time per full handshake, at TLS 1.3 and at TLS 1.2 with MeshCentral's
# RSA key exchange, and the ratio ME / VNC.  Figures, not a test: nothing
# about timing is asserted; the exit status is non-zero only if the
# benchmark could not run.  About a minute; uses the built QEMU.
#
# Usage: bench/tls/run.sh [HANDSHAKES]   (default 300 per case)
set -euo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

count=${1:-300}
logs=$logs/bench-tls
mkdir -p "$logs"
if [ ! -x "$QEMU_BIN" ]; then
    echo "tls-bench: no QEMU at $QEMU_BIN (scripts/vamt/build.sh builds it)" >&2
    exit 1
fi
scratch_vm vamt-tls-bench
"$VAMT_REPO/scripts/vamt/make-tls-certs.sh" "$work/tls" 127.0.0.1

port=$(free_port)
while port_open $((port + 1)); do
    port=$(free_port)
done
ws_port=$(free_port)
for display in $(seq 40 99); do
    port_open $((5900 + display)) || break
done
"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 128 -nodefaults -S \
    -display none -action shutdown=pause \
    -qmp "unix:$work/qmp.sock,server=on,wait=off" \
    -object "tls-creds-x509,id=tls0,dir=$work/tls,endpoint=server,verify-peer=off,priority=NORMAL:-VERS-TLS1.0:-VERS-TLS1.1" \
    -vnc "127.0.0.1:$display,websocket=127.0.0.1:$ws_port,tls-creds=tls0" \
    -object "secret,id=amtpw,data=$password" \
    -device "vamt,addr=16.0,listen=127.0.0.1:$port,tls-creds=tls0,admin-secret=amtpw" \
    > "$logs/qemu.log" 2>&1 &
vm_pid=$!
if ! wait_for 30 port_open $((port + 1)) || ! wait_for 30 port_open "$ws_port"; then
    cat "$logs/qemu.log" >&2
    echo "tls-bench: QEMU did not open its TLS ports" >&2
    exit 1
fi
echo "# QEMU $("$QEMU_BIN" --version | head -n 1), $(nproc) CPUs; one tls-creds-x509 (RSA 2048) for both"
python3 "$VAMT_REPO/bench/tls/handshakes.py" "$vm_pid" "$count" \
    "ME 16993=127.0.0.1:$((port + 1))" "VNC websocket=127.0.0.1:$ws_port"
