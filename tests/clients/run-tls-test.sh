#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# TLS on AMT's ports 16993 and 16995 with the platform's credentials
# (tls-creds=): a
# CA and a server certificate made here with openssl, a tls-creds-x509
# object of them, and the consoles over TLS, each checking the ME's
# certificate against that CA:
#   openssl s_client, gnutls-cli   TLS 1.2 and 1.3, never 1.0/1.1, the RSA
#                    key exchange MeshCentral's cipher list asks for
#   amttool          Debian's, which speaks https to port 16993
#   wsl              Debian's, in its TLS mode (its CA file for the host)
#   wsman-messages   Open AMT's envelopes (tests/clients/wsman-messages.js)
#   meshcommander    MeshCentral's AMT stack, pinning the certificate: the
#                    connect pages
#   meshcentral-sol  meshcmd's redirection modules on 16995, pinning it:
#                    Serial-over-LAN with the guest's echo service
# and the plain port beside it (AcceptNonSecureConnections), what
# AMT_TLSSettingData says, clients that never finish a handshake or send
# garbage, the AMT 16 cap at TLS 1.2 (the credentials' priority), and
# the configurations QEMU refuses.  Prints TAP.
# shellcheck disable=SC2034  # variables the checks' eval strings read
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

logs=$logs/tls
mkdir -p "$logs"
need_guest
need_clients
scratch_vm vamt-tls start_vm_cleanup
rm -f "$logs"/qemu-*.log

# A loopback address with 16992 to 16995 free: amttool speaks https only
# to a port numbered 16993, and listen= puts the other ports above 16992
tls_host=
for n in $(shuf -i 20-250 -n 30); do
    if ! ss -Hltn | grep -qE "127\.0\.0\.$n:1699[2-5] "; then
        tls_host=127.0.0.$n
        break
    fi
done
[ -n "$tls_host" ] || tap_bail "a loopback address with ports 16992 to 16995 free"

certs=$work/tls
ca=$certs/ca-cert.pem
"$VAMT_REPO/scripts/vamt/make-tls-certs.sh" "$certs" "$tls_host" ||
    tap_bail "openssl makes the test certificates"
fingerprint() {     # fingerprint [PEM-FILE]: the SHA-256 of its (stdin's) first certificate
    openssl x509 -noout -fingerprint -sha256 ${1:+-in "$1"} 2> /dev/null | sed 's/.*=//'
}
# tls_instance WHICH: of the AMT_TLSSettingData items on stdin, the one
# whose InstanceID names WHICH (802.3, LMS)
tls_instance() {
    sed 's|</[a-z0-9]*:\{0,1\}AMT_TLSSettingData>|&\n|g' | grep "$1 TLS"
}
our_fp=$(fingerprint "$certs/server-cert.pem")
our_sha256=$(openssl x509 -outform der -in "$certs/server-cert.pem" | sha256sum | cut -d' ' -f1)

# TLS 1.2 and 1.3 only; verify-peer=off: consoles bring no certificate
tls_object="tls-creds-x509,id=tls0,dir=$certs,endpoint=server,verify-peer=off"
tls_priority="NORMAL:-VERS-TLS1.0:-VERS-TLS1.1"

start_vm main -serial "file:$work/main.serial" -m "$mem_mb" \
    -smp "$cpu_sockets,sockets=$cpu_sockets,cores=1,threads=1" \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
    -append 'console=ttyS0 quiet panic=-1 vamt.mode=demo' -uuid "$vm_uuid" \
    -device VGA -object "$tls_object,priority=$tls_priority" \
    -device "vamt,addr=16.0,fw-version=$fw_version,listen=$tls_host:16992,tls-creds=tls0,admin-secret=amtpw"
tls_open() {
    (exec 3<>"/dev/tcp/$tls_host/16993") 2> /dev/null
}
check "QEMU starts with tls-creds=; the guest boots; query-vamt lists 16993 at $tls_host:16993 beside 16992, no redirection (no kt=, ider=)" \
    eval 'wait_for 60 tls_open && wait_for 60 guest_settled && state_is running &&
          [ "$(listener_port 16993)" = 16993 ] && [ "$(listener_port 16992)" = 16992 ] &&
          [ -z "$(listener_port 16995)" ] && [ -z "$(listener_port 16994)" ]'

# s_client [OPTIONS...]: openssl's handshake with the ME on 16993, the
# ME's certificate checked against our CA and for our address
s_client() {
    echo | timeout 10 openssl s_client -connect "$tls_host:16993" \
        -CAfile "$ca" -verify_ip "$tls_host" -verify_return_error "$@" 2>&1
}
out=$(s_client -tls1_2)
served=$(fingerprint <<< "$out")
echo "# TLS 1.2: $(grep -m1 'Cipher is' <<< "$out")"
check "openssl s_client -tls1_2: TLSv1.2, the certificate of tls-creds= (SHA-256 ${our_fp:0:11}...) verified against its CA" \
    eval 'grep -q "New, TLSv1.2," <<< "$out" &&
          grep -q "Verify return code: 0 (ok)" <<< "$out" && [ "$served" = "$our_fp" ]'
out=$(s_client -tls1_3)
check "openssl s_client -tls1_3: TLSv1.3, verified" \
    eval 'grep -q "New, TLSv1.3," <<< "$out" && grep -q "Verify return code: 0 (ok)" <<< "$out"'
# MeshCentral's amt-wsman-comm.js at TLS 1.2 (cira-tls.md A1)
out=$(s_client -tls1_2 -cipher 'RSA+AES:!aNULL:!MD5:!DSS')
check "MeshCentral's cipher list at TLS 1.2: the RSA key exchange it asks for (AES256-GCM-SHA384)" \
    eval 'grep -qE "Cipher is AES(256|128)-GCM-SHA(384|256)" <<< "$out"'
out=$(s_client -tls1_1 -cipher 'DEFAULT@SECLEVEL=0')
echo "# TLS 1.1: $(grep -m1 -E 'alert|Cipher is' <<< "$out")"
check "openssl s_client -tls1_1: no handshake (AMT has no TLS 1.0 or 1.1)" \
    grep -q "Cipher is (NONE)" <<< "$out"
out=$(timeout 10 gnutls-cli --x509cafile "$ca" --port 16993 "$tls_host" < /dev/null 2>&1)
check "gnutls-cli --x509cafile: handshake completed and the certificate verified" \
    eval 'grep -q "Handshake was completed" <<< "$out" &&
          grep -q "The certificate is trusted" <<< "$out"'
out=$(timeout 10 gnutls-cli --x509cafile "$ca" --port 16993 \
          --priority NORMAL:-VERS-ALL:+VERS-TLS1.0:+VERS-TLS1.1 "$tls_host" < /dev/null 2>&1)
check "gnutls-cli offering only TLS 1.0 and 1.1: refused" \
    eval '! grep -q "Handshake was completed" <<< "$out"'

# WS-Management over TLS: Identify, and the settings a console reads
identify_envelope='<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:i="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><i:Identify/></s:Body></s:Envelope>'
identify=$(curl -s --max-time 10 --cacert "$ca" -H 'Content-Type: application/soap+xml' \
    --data-binary "$identify_envelope" "https://$tls_host:16993/wsman")
check "curl --cacert: WS-Man Identify over https://$tls_host:16993 answers (AMT ${amt_version%.*})" \
    eval 'grep -q IdentifyResponse <<< "$identify" &&
          [ "$(xml_value ProductVersion <<< "$identify")" = "AMT ${amt_version%.*}" ]'
port=16993 wsman_host=$tls_host wsman_ca=$ca
settings=$(wsman_enum AMT_TLSSettingData)
remote=$(tls_instance 802.3 <<< "$settings")
local_tls=$(tls_instance LMS <<< "$settings")
check "AMT_TLSSettingData over TLS: the 802.3 (remote) instance Enabled, AcceptNonSecureConnections, no mutual authentication; LMS's not enabled" \
    eval '[ "$(xml_value Enabled <<< "$remote")" = true ] &&
          [ "$(xml_value AcceptNonSecureConnections <<< "$remote")" = true ] &&
          [ "$(xml_value MutualAuthentication <<< "$remote")" = false ] &&
          [ "$(xml_value Enabled <<< "$local_tls")" = false ]'

# the certificate 16993 presents, as consoles read the store
certs_xml=$(wsman_enum AMT_PublicKeyCertificate)
our_der=$(openssl x509 -outform der -in "$certs/server-cert.pem" | base64 -w 0)
del=$(wsman_delete AMT_PublicKeyCertificate \
          "$(wsman_sel InstanceID "$(xml_value InstanceID <<< "$certs_xml")")")
check "AMT_PublicKeyCertificate: the certificate of tls-creds= (its DER, Subject CN=$tls_host, Issuer CN=vAMT test CA), read-only; Delete refused and it stays" \
    eval '[ "$(xml_value X509Certificate <<< "$certs_xml")" = "$our_der" ] &&
          [ "$(xml_value Subject <<< "$certs_xml")" = "CN=$tls_host" ] &&
          [ "$(xml_value Issuer <<< "$certs_xml")" = "CN=vAMT test CA" ] &&
          [ "$(xml_value ReadOnlyCertificate <<< "$certs_xml")" = true ] &&
          grep -q Fault <<< "$del" &&
          [ "$(wsman_enum AMT_PublicKeyCertificate | xml_value X509Certificate)" = "$our_der" ]'
context=$(wsman_enum AMT_TLSCredentialContext)
check "AMT_TLSCredentialContext names that certificate for the TLS endpoints" \
    eval 'grep -q "AMT_PublicKeyCertificate" <<< "$context" &&
          grep -q "$(xml_value InstanceID <<< "$certs_xml")" <<< "$context" &&
          grep -q "TLSProtocolEndpointInstances Collection" <<< "$context"'

# amttool: https to 16993, LWP checking the certificate against our CA
amttool_out=$logs/amttool.out
info=$(echo y | AMT_PASSWORD=$password PERL_LWP_SSL_CA_FILE=$ca \
           timeout 30 amttool "$tls_host:16993" info 2>&1)
echo "$info" > "$amttool_out"
check "amttool $tls_host:16993 info (https, the certificate checked): AMT version $amt_version, S0" \
    eval 'grep -qx "AMT version:  $amt_version" <<< "$info" &&
          grep -qE "^Powerstate: +S0" <<< "$info"'
plain=$(echo y | AMT_PASSWORD=$password timeout 30 amttool "$tls_host:16992" info 2>&1)
check "the plain port stays open beside it (AcceptNonSecureConnections): amttool $tls_host:16992 info" \
    grep -qx "AMT version:  $amt_version" <<< "$plain"

# wsl in its TLS mode: https, curl checking against "<endpoint>.crt"
wsl_home=$work/wsl
mkdir -p "$wsl_home"
printf 'IPINTERACTIVE=0\nKEEPHISTORY=0\n' > "$wsl_home/.wsl-config"
printf -- '--digest\n' > "$wsl_home/.curlrc"
cp "$ca" "$wsl_home/$tls_host:16993.crt"
wsl_run() {             # wsl_run ARGS...: the response.xml it leaves
    rm -f "$wsl_home"/response*.xml
    (cd "$wsl_home" && HOME=$wsl_home CURL_HOME=$wsl_home \
        WSENDPOINT=$tls_host:16993 WSUSER=admin WSPASS=$password \
        timeout 60 wsl "$@") >> "$logs/wsl.out" 2>&1
    cat "$wsl_home/response.xml" 2> /dev/null
}
: > "$logs/wsl.out"
out=$(wsl_run id check)
check "wsl id check in its TLS mode (its CA file for $tls_host:16993): IdentifyResponse, AMT ${amt_version%.*}" \
    eval '[ "$(xml_value ProductVersion <<< "$out")" = "AMT ${amt_version%.*}" ]'
out=$(wsl_run get http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings \
          "InstanceID=Intel(r) AMT: General Settings")
check "wsl get AMT_GeneralSettings over TLS: a Digest realm and a host name" \
    eval 'xml_value DigestRealm <<< "$out" | grep -q "^Digest:" &&
          [ -n "$(xml_value HostName <<< "$out")" ]'

# Open AMT's envelopes and MeshCentral's stack over TLS
node_client_tls() {
    run_client "$1" "$2" VAMT_PORT=16993 VAMT_TLS_HOST="$tls_host" VAMT_TLS_CA="$ca" "${@:3}"
}
node_client_tls wsman-messages "$logs/wsman-messages.log"
tap_merge "tls: wsman-messages" "$logs/wsman-messages.log" $?
wait_for 60 guest_settled
node_client_tls meshcommander "$logs/meshcommander.log" VAMT_SCENARIO=connect \
    VAMT_TLS_FINGERPRINT="$our_sha256"
tap_merge "tls: meshcommander" "$logs/meshcommander.log" $?


# The listener matrix (cira-tls.md A2) as a console sets it over TLS:
# AcceptNonSecureConnections false, applied at CommitChanges, closes
# 16992 (the connection refused) and leaves 16993; true opens it again
tls_put() {     # tls_put PROPERTIES: Put the remote AMT_TLSSettingData
    wsman_put AMT_TLSSettingData "$(wsman_sel InstanceID 'Intel(r) AMT 802.3 TLS Settings')" \
        "<p:ElementName>Intel(r) AMT 802.3 TLS Settings</p:ElementName><p:InstanceID>Intel(r) AMT 802.3 TLS Settings</p:InstanceID>$1"
}
commit() {      # commit: CommitChanges' ReturnValue
    wsman_call AMT_SetupAndConfigurationService CommitChanges "" "" | xml_value ReturnValue
}
plain_open() {
    (exec 3<>"/dev/tcp/$tls_host/16992") 2> /dev/null
}
put=$(tls_put '<p:Enabled>true</p:Enabled><p:AcceptNonSecureConnections>false</p:AcceptNonSecureConnections><p:MutualAuthentication>false</p:MutualAuthentication>')
before_commit=$(plain_open && echo open || echo closed)
rv=$(commit)
check "Put AcceptNonSecureConnections=false: 16992 stays open until CommitChanges ($before_commit), which returns 0 ($rv) and closes it" \
    eval 'grep -q PutResponse <<< "$put" && [ "$before_commit" = open ] && [ "$rv" = 0 ] &&
          wait_for 5 eval "! plain_open"'
plain=$(echo y | AMT_PASSWORD=$password timeout 30 amttool "$tls_host:16992" info 2>&1)
info=$(echo y | AMT_PASSWORD=$password PERL_LWP_SSL_CA_FILE=$ca \
           timeout 30 amttool "$tls_host:16993" info 2>&1)
check "then amttool on 16992 gets nothing, on 16993 (TLS) its answer; query-vamt lists no 16992; the setting reads false" \
    eval '! grep -q "^AMT version" <<< "$plain" && grep -qx "AMT version:  $amt_version" <<< "$info" &&
          [ -z "$(listener_port 16992)" ] &&
          [ "$(wsman_enum AMT_TLSSettingData | tls_instance 802.3 |
               xml_value AcceptNonSecureConnections)" = false ]'
local_put=$(wsman_put AMT_TLSSettingData "$(wsman_sel InstanceID 'Intel(r) AMT LMS TLS Settings')" \
    "<p:ElementName>Intel(r) AMT LMS TLS Settings</p:ElementName><p:InstanceID>Intel(r) AMT LMS TLS Settings</p:InstanceID><p:Enabled>true</p:Enabled>")
check "Put Enabled=true on the LMS instance is refused (no TLS toward local agents)" \
    grep -q InvalidParameter <<< "$local_put"
put=$(tls_put '<p:Enabled>true</p:Enabled><p:AcceptNonSecureConnections>true</p:AcceptNonSecureConnections><p:MutualAuthentication>false</p:MutualAuthentication>')
rv=$(commit)
plain=$(echo y | AMT_PASSWORD=$password timeout 30 amttool "$tls_host:16992" info 2>&1)
check "Put AcceptNonSecureConnections=true and CommitChanges: 16992 answers amttool again" \
    eval 'grep -q PutResponse <<< "$put" && [ "$rv" = 0 ] &&
          grep -qx "AMT version:  $amt_version" <<< "$plain"'

# clients that never finish a handshake, or send garbage: each takes a
# place among the unauthenticated, the oldest are shed, and a console that
# does its handshake is served
identify_tls() {        # identify_tls: Identify over TLS; its HTTP status
    curl -s --max-time 10 --cacert "$ca" -H 'Content-Type: application/soap+xml' \
        --data-binary "$identify_envelope" -o /dev/null -w '%{http_code}' \
        "https://$tls_host:16993/wsman"
}
python3 - "$tls_host" > "$work/hostile.out" << 'EOF' &
import socket, sys, time
host = sys.argv[1]
idle = [socket.create_connection((host, 16993), timeout=5) for _ in range(40)]
garbage = socket.create_connection((host, 16993), timeout=5)
garbage.sendall(b"\x16\x03\x01\xff\xff" + b"\x00" * 300 + b"GET / HTTP/1.1\r\n\r\n")
try:
    garbage_closed = int(garbage.recv(4096) == b"" or garbage.recv(4096) == b"")
except OSError:
    garbage_closed = 1
shed = 0
for s in idle:
    s.setblocking(False)
    try:
        shed += s.recv(1) == b""
    except BlockingIOError:
        pass
    except OSError:
        shed += 1
print(shed, garbage_closed, flush=True)
time.sleep(6)           # the others stay open while the console connects
EOF
hostile_pid=$!
wait_for 10 eval '[ -s "$work/hostile.out" ]'
read -r shed garbage_closed < "$work/hostile.out"
start=$SECONDS
served=$(identify_tls)
took=$((SECONDS - start))
wait "$hostile_pid"
echo "# 40 idle connections: $shed shed; garbage closed: $garbage_closed; then a console's Identify: $served in ${took} s"
check "40 connections that never send a ClientHello: the oldest are shed ($shed); one of garbage is closed; a console's Identify over TLS is answered ($served)" \
    eval '[ "${shed:-0}" -ge 32 ] && [ "$garbage_closed" = 1 ] && [ "$served" = 200 ]'
qmp_start=$(date +%s%N)
qmp query-status > /dev/null
qmp_rc=$?
qmp_ms=$((($(date +%s%N) - qmp_start) / 1000000))
check "QEMU stays alive and QMP answers (${qmp_ms} ms)" \
    eval 'kill -0 ${pids[main]} && [ $qmp_rc = 0 ]'
out=$(curl -s --max-time 5 "http://$tls_host:16993/wsman"; echo "curl_rc=$?")
check "plain HTTP to 16993 gets no HTTP answer, and a TLS handshake on 16992 fails" \
    eval '! grep -q "HTTP/" <<< "$out" && ! grep -qx curl_rc=0 <<< "$out" &&
          ! echo | timeout 5 openssl s_client -connect "$tls_host:16992" > /dev/null 2>&1'
check "after all that, WS-Man over TLS still answers (AMT_GeneralSettings)" \
    eval '[ -n "$(wsman_enum AMT_GeneralSettings | xml_value HostName)" ]'
quit_vm main

# AMT 16.1 (cira-tls.md A1, A2): TLS 1.2 only, through the credentials'
# priority, and no plain ports for remote consoles (nontls-remote=off);
# this VM has the ME's serial port (kt=on) and the guest's SOL echo
# service, for redirection over TLS on 16995, and the ME on its NIC
# (netdev=), reached through libslirp's hostfwd as in run-nic-test.sh
nic_tls_port=$(free_port)
nic_plain_port=$(free_port)
start_vm amt16 -serial "file:$work/amt16.serial" -m 256 \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
    -append 'console=ttyS0 quiet panic=-1 vamt.mode=demo vamt.sol=echo vamt.net=dhcp' \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$nic_tls_port-:16993,hostfwd=tcp:127.0.0.1:$nic_plain_port-:16992" \
    -device e1000,netdev=n0 \
    -object "$tls_object,priority=$tls_priority:-VERS-TLS1.3" \
    -device "vamt,addr=16.0,fw-version=$fw_version,listen=$tls_host:16992,tls-creds=tls0,admin-secret=amtpw,kt=on,nontls-remote=off,netdev=n0"
wait_for 30 tls_open
wait_for 60 eval 'grep -aq "^VAMT-GUEST: NET eth0 " "$work/amt16.serial"'
# handshakes that never start, on listen= (from an address of its own,
# below every cap) and on the NIC: the ME ends each after its 30 s; the
# watcher prints when each saw the ME close (seconds), or "open"
python3 - "$tls_host" "$nic_tls_port" > "$work/handshake-timeout.out" << 'EOF' &
import socket, sys, time
listen = socket.socket()
listen.bind(("127.0.0.66", 0))
listen.connect((sys.argv[1], 16993))
nic = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
start = time.monotonic()
ended = {}
while len(ended) < 2 and time.monotonic() - start < 50:
    for name, s in (("listen", listen), ("nic", nic)):
        if name in ended:
            continue
        s.settimeout(0.2)
        try:
            if s.recv(1) == b"":
                ended[name] = time.monotonic() - start
        except socket.timeout:
            pass
        except OSError:
            ended[name] = time.monotonic() - start
print(" ".join("%s=%s" % (n, "%.0f" % ended[n] if n in ended else "open")
               for n in ("listen", "nic")), flush=True)
EOF
handshake_watcher=$!
out13=$(s_client -tls1_3)
out12=$(s_client -tls1_2)
check "priority=...:-VERS-TLS1.3 (AMT 16): TLS 1.3 refused, TLS 1.2 served and verified" \
    eval '! grep -q "New, TLSv1.3," <<< "$out13" &&
          grep -q "New, TLSv1.2," <<< "$out12" && grep -q "Verify return code: 0" <<< "$out12"'
check "nontls-remote=off with kt=on: query-vamt lists 16993 and 16995 only (no 16992, 16994); the guest's SOL echo service is up" \
    eval 'wait_for 60 has "^VAMT-GUEST: SOL-TTY /dev/ttyS" &&
          [ "$(listener_port 16995)" = 16995 ] && [ "$(listener_port 16993)" = 16993 ] &&
          [ -z "$(listener_port 16994)" ] && [ -z "$(listener_port 16992)" ] && ! plain_open'
settings=$(wsman_enum AMT_TLSSettingData | tls_instance 802.3)
check "and AMT_TLSSettingData says so: Enabled, NonSecureConnectionsSupported and AcceptNonSecureConnections false" \
    eval '[ "$(xml_value Enabled <<< "$settings")" = true ] &&
          [ "$(xml_value NonSecureConnectionsSupported <<< "$settings")" = false ] &&
          [ "$(xml_value AcceptNonSecureConnections <<< "$settings")" = false ]'
# TLS on the NIC: the guest's own 16993 through hostfwd is the ME's, with
# the same certificate (curl told the address it is for, --connect-to);
# its plain 16992 is closed there too (nontls-remote=off)
wait_for 60 eval 'grep -aq "^VAMT-GUEST: NET eth0 " "$serial"'
out=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$nic_tls_port" -CAfile "$ca" \
          -verify_return_error 2>&1)
identify=$(curl -s --max-time 10 --cacert "$ca" -H 'Content-Type: application/soap+xml' \
    --connect-to "$tls_host:$nic_tls_port:127.0.0.1:$nic_tls_port" \
    --data-binary "$identify_envelope" "https://$tls_host:$nic_tls_port/wsman")
plain=$(curl -s --max-time 10 "http://127.0.0.1:$nic_plain_port/wsman"; echo "curl_rc=$?")
echo "# NIC 16993: $(grep -m1 'New,' <<< "$out"); plain 16992: $(tail -n 1 <<< "$plain")"
check "the NIC's 16993 (hostfwd to the guest's address): TLS 1.2 with the same certificate, verified; WS-Man Identify answers; its 16992 is reset" \
    eval 'grep -q "New, TLSv1.2," <<< "$out" && grep -q "Verify return code: 0 (ok)" <<< "$out" &&
          [ "$(fingerprint <<< "$out")" = "$our_fp" ] &&
          grep -q IdentifyResponse <<< "$identify" &&
          ! grep -q "HTTP/\|Envelope" <<< "$plain" && ! grep -qx curl_rc=0 <<< "$plain"'

# hostile TLS clients on the NIC's 16993: garbage records, a ClientHello
# cut short, idle connections, 70 KB of records before any handshake
python3 - "$nic_tls_port" << 'EOF'
import socket, sys
port = int(sys.argv[1])
held = []
for junk in (b"\x16\x03\x03\xff\xff" + bytes(3000),
             b"\x16\x03\x01\x00\x40\x01\x00\x00",
             b"\x17\x03\x03\x40\x00" * 14000, b"", b"GET / HTTP/1.1\r\n\r\n"):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(junk)
    except OSError:
        pass
    held.append(s)
for s in held:
    s.close()
EOF
identify=$(curl -s --max-time 10 --cacert "$ca" -H 'Content-Type: application/soap+xml' \
    --connect-to "$tls_host:$nic_tls_port:127.0.0.1:$nic_tls_port" \
    --data-binary "$identify_envelope" "https://$tls_host:$nic_tls_port/wsman")
check "after garbage, cut-short and oversized TLS input on the NIC's 16993, Identify over it answers and QEMU lives" \
    eval 'grep -q IdentifyResponse <<< "$identify" && kill -0 ${pids[amt16]}'

# Serial-over-LAN on 16995: meshcmd's modules, the certificate's SHA-1
# pinned (a different one makes the module end the process)
out=$(echo | timeout 10 openssl s_client -connect "$tls_host:16995" -CAfile "$ca" \
          -verify_ip "$tls_host" -verify_return_error 2>&1)
check "openssl s_client on 16995: the same certificate, verified" \
    eval 'grep -q "Verify return code: 0 (ok)" <<< "$out" &&
          [ "$(fingerprint <<< "$out")" = "$our_fp" ]'
our_sha1=$(openssl x509 -noout -fingerprint -sha1 -in "$certs/server-cert.pem" | sed 's/.*=//; s/://g')
VAMT_REDIR_HOST=$tls_host VAMT_REDIR_PORT=16995 VAMT_REDIR_TLS_FINGERPRINT=$our_sha1 \
VAMT_PASSWORD=$password VAMT_SERIAL=$serial VAMT_NODE_MODULES=$VAMT_CACHE/node/node_modules \
    timeout 60 node "$VAMT_REPO/tests/redir/meshcentral-sol.js" > "$logs/meshcentral-sol.log" 2>&1
tap_merge "tls: meshcentral-sol (16995)" "$logs/meshcentral-sol.log" $?
wait "$handshake_watcher"
read -r listen_end nic_end < "$work/handshake-timeout.out"
echo "# handshakes never started, closed by the ME after: $listen_end $nic_end (seconds)"
closed_after() {    # closed_after NAME=SECONDS: between 25 and 45 s
    local t=${1#*=}
    [[ "$t" =~ ^[0-9]+$ ]] && [ "$t" -ge 25 ] && [ "$t" -le 45 ]
}
check "a TLS connection whose handshake never starts is ended by the ME after its 30 s, on listen= ($listen_end) and on the NIC ($nic_end), not before" \
    eval 'closed_after "$listen_end" && closed_after "$nic_end"'
quit_vm amt16

# configurations QEMU refuses, each with a message naming the problem
refused() {     # refused NAME PATTERN QEMU-OPTIONS...
    local name=$1 pattern=$2
    shift 2
    start_vm "$name" -S "$@"
    wait "${pids[$name]}"
    local rc=$?
    unset "pids[$name]"
    sed "s/^/# $name: /" "$logs/qemu-$name.log"
    [ "$rc" != 0 ] && grep -q "$pattern" "$logs/qemu-$name.log"
}
check "refused: tls-creds= without listen= or netdev= (nowhere to serve TLS)" \
    refused nolisten "tls-creds=tls0 needs listen= or netdev=" -object "$tls_object" \
        -device "vamt,addr=16.0,tls-creds=tls0"
check "refused: nontls-remote=off without tls-creds= (no port would be left)" \
    refused noplain "nontls-remote=off needs tls-creds=" \
        -device "vamt,addr=16.0,listen=127.0.0.1:0,nontls-remote=off"
check "refused: tls-creds= naming no TLS credentials object" \
    refused nosuch "tls-creds=nosuch: no TLS credentials object" \
        -device "vamt,addr=16.0,listen=127.0.0.1:0,tls-creds=nosuch"
check "refused: client credentials (endpoint=client)" \
    refused client "tls-creds=tls0: Expected TLS credentials for a server endpoint" \
        -object "tls-creds-x509,id=tls0,dir=$certs,endpoint=client" \
        -device "vamt,addr=16.0,listen=127.0.0.1:0,tls-creds=tls0"
check "every QEMU that served printed nothing on stderr" \
    eval '[ ! -s "$logs/qemu-main.log" ] && [ ! -s "$logs/qemu-amt16.log" ]'
tap_exit
