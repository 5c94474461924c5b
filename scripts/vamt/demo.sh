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
# The demo's AMT admin password; real set-ups pass their own secret.
demo_password=${VAMT_DEMO_PASSWORD:-P@ssw0rd}
demo_port=${VAMT_DEMO_PORT:-16992}
demo_address=${VAMT_DEMO_ADDRESS:-127.0.0.1}
# the host port libslirp forwards to the guest's own 16992 (+1 to 16993, +2 to
# 16994), where the ME answers on the guest's NIC (netdev=)
demo_nic_port=${VAMT_DEMO_NIC_PORT:-26992}

"$VAMT_REPO/scripts/vamt/build.sh"
# the test guest with MeshCentral's MeshCmd in it (npm's meshcentral)
"$VAMT_REPO/tests/guest/build-meshcmd-guest.sh"

if [ -S "$demo/qmp.sock" ]; then
    "$VAMT_REPO/scripts/vamt/qmp.py" "$demo/qmp.sock" quit \
        > /dev/null 2>&1 || true
    sleep 1
fi
rm -f "$demo/serial.log" "$demo/qmp.sock"
printf '%s' "$demo_password" > "$demo/admin-password"
chmod 600 "$demo/admin-password"
# TLS on 16993/16995: a demo CA and a certificate for the demo's address
tls=$demo/tls
if ! openssl x509 -checkend 86400 -noout -in "$tls/server-cert.pem" 2> /dev/null ||
   ! openssl x509 -noout -ext subjectAltName -in "$tls/server-cert.pem" |
       grep -q "IP Address:$demo_address\$"; then
    VALID_DAYS=365 "$VAMT_REPO/scripts/vamt/make-tls-certs.sh" "$tls" "$demo_address"
fi

"$QEMU_BIN" -name vamt-demo -daemonize -pidfile "$demo/qemu.pid" \
    -L "$VAMT_FW" -L /usr/share/seabios -L /usr/lib/ipxe/qemu \
    -machine q35 -accel tcg -m 512 -nodefaults -display none \
    -action shutdown=pause \
    -uuid 6a1e7d5c-8b2f-4c3e-9d4a-5b6c7d8e9f01 \
    -netdev "user,id=n0,hostfwd=tcp:$demo_address:$demo_nic_port-:16992,hostfwd=tcp:$demo_address:$((demo_nic_port + 1))-:16993,hostfwd=tcp:$demo_address:$((demo_nic_port + 2))-:16994" \
    -device e1000,netdev=n0,mac=52:54:00:5a:4d:01 \
    -chardev file,id=serial0,path="$demo/serial.log" \
    -serial chardev:serial0 \
    -qmp unix:"$demo/qmp.sock",server=on,wait=off \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd-meshcmd.gz" \
    -append 'console=ttyS0 quiet panic=-1 vamt.mode=demo vamt.net=dhcp vamt.sol=echo vamt.meshcmd=info' \
    -object secret,id=amtpw,file="$demo/admin-password" \
    -object tls-creds-x509,id=amttls,dir="$tls",endpoint=server,verify-peer=off,priority=NORMAL:-VERS-TLS1.0:-VERS-TLS1.1 \
    -device VGA -device qemu-xhci -device usb-tablet \
    -device vamt,addr=16.0,kt=on,ider=on,kvm=on,listen=$demo_address:$demo_port,tls-creds=amttls,netdev=n0,admin-secret=amtpw

echo "vamt: demo VM started (pid $(cat "$demo/qemu.pid")), waiting for the guest..."
for _ in $(seq 180); do
    grep -q 'VAMT-GUEST: MESHCMD info rc=' "$demo/serial.log" 2>/dev/null && break
    sleep 1
done

echo
echo "=== What the guest's Linux sees (from its serial console) ==="
grep 'VAMT-GUEST\|MEICLIENT' "$demo/serial.log" | grep -v 'DMESG\|MESHCMD' || true
echo
echo "=== MeshCentral's MeshCmd in the guest: AmtInfo through /dev/mei0 ==="
sed -n 's/^MESHCMD info: //p' "$demo/serial.log" | tr -d '\r'
echo
echo "=== What QEMU reports (QMP query-vamt) ==="
"$VAMT_REPO/scripts/vamt/qmp.py" "$demo/qmp.sock" query-vamt
echo
echo "=== A console's view: amttool info over the ME's web service ==="
AMT_PASSWORD=$demo_password timeout 30 amttool "$demo_address:$demo_port" info ||
    echo "amttool failed"
echo
echo "=== The same over TLS on $demo_address:$((demo_port + 1)), its certificate checked against the demo CA ==="
AMT_PASSWORD=$demo_password PERL_LWP_SSL_CA_FILE=$tls/ca-cert.pem timeout 30 \
    amttool "$demo_address:$((demo_port + 1))" info | head -n 4 || echo "amttool failed"
echo
echo "=== The same through the VM's own NIC (the guest's IP, port 16992) ==="
AMT_PASSWORD=$demo_password timeout 30 amttool "$demo_address:$demo_nic_port" info |
    head -n 4 || echo "amttool failed"
cat <<EOF2

=== Consoles ===
The ME's web service (WS-Management and amttool's SOAP) listens on
$demo_address:$demo_port; user admin, password $demo_password (demo only).
The ME also owns the guest's IP address on its NIC, as AMT on a PC does:
user networking forwards $demo_address:$demo_nic_port to the guest's 16992
and $demo_address:$((demo_nic_port + 2)) to its 16994, where the ME answers
(every console below works with that address and port too, e.g.
  AMT_PASSWORD='$demo_password' amttool $demo_address:$demo_nic_port info).
  amttool:      AMT_PASSWORD='$demo_password' amttool $demo_address:$demo_port info
                echo y | AMT_PASSWORD='$demo_password' amttool $demo_address:$demo_port powerdown
                (then powerup, reset; QMP query-status shows the VM follow)
  wsl:          printf 'WSNOSSL=true\\nIPINTERACTIVE=0\\n' > ~/.wsl-config
                echo --digest > ~/.curlrc
                WSENDPOINT=$demo_address:$demo_port WSUSER=admin WSPASS='$demo_password' wsl enum CIM_SoftwareIdentity
  amtterm (SOL): AMT_PASSWORD='$demo_password' amtterm -u admin $demo_address $((demo_port + 2))
                type a line: the guest's echo service on its SOL port answers "guest got: ..."
                (^] ends amtterm)
  MeshCommander: add computer $demo_address, port $demo_port, no TLS, user admin
  MeshCentral:  it never probes 127.0.0.1 and wants port 16992: run the demo with
                VAMT_DEMO_ADDRESS=127.0.0.2 and add computer 127.0.0.2 (no TLS)
  curl:         curl --digest -u 'admin:$demo_password' -H 'Content-Type: application/soap+xml' \\
                     --data @request.xml http://$demo_address:$demo_port/wsman
TLS (tls-creds=, the demo CA $tls/ca-cert.pem):
  WS-Management on $demo_address:$((demo_port + 1)), redirection on $demo_address:$((demo_port + 3))
  amttool:      PERL_LWP_SSL_CA_FILE=$tls/ca-cert.pem AMT_PASSWORD='$demo_password' amttool $demo_address:$((demo_port + 1)) info
                (amttool speaks https to a port numbered 16993 only)
  curl:         curl --cacert $tls/ca-cert.pem --digest -u 'admin:$demo_password' ... https://$demo_address:$((demo_port + 1))/wsman
  wsl:          cp $tls/ca-cert.pem ./$demo_address:$((demo_port + 1)).crt  (and no WSNOSSL in ~/.wsl-config)
                WSENDPOINT=$demo_address:$((demo_port + 1)) WSUSER=admin WSPASS='$demo_password' wsl id check
  MeshCommander: add computer $demo_address, port $((demo_port + 1)), TLS
  openssl:      openssl s_client -connect $demo_address:$((demo_port + 1)) -CAfile $tls/ca-cert.pem
  on the NIC:   the guest's 16993 is forwarded from $demo_address:$((demo_nic_port + 1)) (the same certificate)
Guest serial console (log):  $demo/serial.log
QMP monitor:                 $VAMT_REPO/scripts/vamt/qmp.py $demo/qmp.sock query-vamt
In-guest agents (/dev/mei0): MKHI, AMTHI, watchdog (mei_wdt) and LME;
                             MeshCmd is /opt/meshcmd/meshcmd in the guest (its
                             shell: vamt.mode=shell on the kernel command line)
Serial-over-LAN:             $demo_address:$((demo_port + 2)) (kt=on: the guest's extra ttyS)
IDE-R:                       same port (ider=on: a CD drive at 00:16.2 for a console's image;
                             MeshCommander's IDE-R, or tests/redir/ider_console.py)
KVM (kvm=on, the VM's VGA):  same port: MeshCommander's (and MeshCentral's) "Remote Desktop",
                             Connect; keys and a usb-tablet pointer reach the guest
  VNC viewers (port 5900):   first enable it with an RFB password (8 characters: upper and
                             lower case, a digit, a symbol), e.g. in MeshCommander's Remote
                             Desktop settings, then
                             vnccapture -H $demo_address -p 5900 -P 'RFB-PASSWORD' -o screen.png
                             or any VNC viewer on $demo_address::5900
Not served yet: the ME's own certificate store, CIRA
Stop the demo VM:            $VAMT_REPO/scripts/vamt/qmp.py $demo/qmp.sock quit
EOF2
