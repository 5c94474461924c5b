#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# KVM on port 5900 with Debian's own VNC clients, unmodified: vnccapture
# (libnet-vnc-perl, RFB 3.8) and vncsnapshot (RFB 3.3, its password file
# from tightvncpasswd) with AMT's RFB password, set over WS-Management as
# MeshCommander's "Remote Desktop" settings do.  The VM shows SeaBIOS's
# screen (no guest needed).  Checked: the captured picture equals QMP
# screendump of the same moment, a wrong password and a weak one are
# refused, a powered-off VM shows black and the picture comes back with
# power, user consent (OptInRequired) keeps the screen until the code
# announced in VAMT_USER_CONSENT was sent back, and disabling the port
# closes it.  Prints TAP; exits non-zero when a check fails.
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

here=$VAMT_REPO/tests/redir
logs=$logs/kvm-vnc
mkdir -p "$logs"
scratch_vm vamt-kvm-vnc
qmp_sock=$work/qmp.sock
events=$work/events.json
password='P@ssw0rd'
rfb_password='Vnc@pw01'

port=$(free_port)
rfb_port=$(free_port)
"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 256 -nodefaults \
    -display none -device VGA -action shutdown=pause \
    -qmp "unix:$qmp_sock,server=on,wait=off" \
    -qmp "unix:$work/events.sock,server=on,wait=off" \
    -object "secret,id=amtpw,data=$password" \
    -device "vamt,id=amt,addr=16.0,kvm=on,listen=127.0.0.1:$port,rfb-port=$rfb_port,admin-secret=amtpw" \
    > "$logs/qemu.log" 2>&1 &
vm_pid=$!
check "QEMU starts with -device vamt,kvm=on and a VGA" \
    wait_for 20 eval '[ "$(vm_status)" = running ]'
[ "$(vm_status)" = running ] || { sed 's/^/# /' "$logs/qemu.log"; tap_exit; }
record_qmp_events "$work/events.sock" "$events"

kvm_info() {        # kvm_info FIELD: query-vamt's kvm.FIELD
    qmp query-vamt | python3 -c "import json, sys
print(json.load(sys.stdin)['return'][0]['kvm']['$1'])"
}
vnc_listening() {   # query-vamt lists AMT port 5900
    [ -n "$(listener_port 5900)" ]
}
settings_put() {    # settings_put PROPERTIES: Put IPS_KVMRedirectionSettingData
    wsman_put IPS_KVMRedirectionSettingData \
        "$(wsman_sel InstanceID 'Intel(r) KVM Redirection Settings')" "$1"
}
capture() {         # capture FILE [PASSWORD]: vnccapture's picture, its output
    timeout 30 vnccapture -H 127.0.0.1 -p "$rfb_port" \
        -P "${2:-$rfb_password}" -o "$1" -v > "$1.log" 2>&1
}
# screendump of a stopped VM and a capture: the same moment
same_picture() {    # same_picture NAME
    qmp stop > /dev/null
    qmp screendump "{\"filename\": \"$work/$1.ppm\"}" > /dev/null &&
        capture "$work/$1.png" &&
        python3 "$here/kvm_screen.py" same "$work/$1.png" "$work/$1.ppm" \
            > "$logs/$1.compare" 2>&1
    local rc=$?
    qmp cont > /dev/null
    sed 's/^/# /' "$logs/$1.compare" 2> /dev/null
    return $rc
}

check "query-vamt: KVM is served on the VGA, no session yet" \
    eval '[ "$(kvm_info served)" = True ] && [ "$(kvm_info session)" = False ]'
check "port 5900 is closed before a console enables it" \
    eval '! vnc_listening && ! port_open $rfb_port'

# MeshCommander's settings dialog: 8 characters of four kinds
reply=$(settings_put '<p:Is5900PortEnabled>true</p:Is5900PortEnabled><p:RFBPassword>weakpass</p:RFBPassword>')
check "a weak RFB password is refused (InvalidParameter) and 5900 stays closed" \
    eval 'grep -q InvalidParameter <<<"$reply" && ! vnc_listening'
reply=$(settings_put "<p:Is5900PortEnabled>true</p:Is5900PortEnabled><p:RFBPassword>$rfb_password</p:RFBPassword>")
check "Is5900PortEnabled with an RFB password is accepted and 5900 opens" \
    eval 'grep -q "IPS_KVMRedirectionSettingData" <<<"$reply" &&
          ! grep -q Fault <<<"$reply" && wait_for 5 vnc_listening'
reply=$(wsman_get IPS_KVMRedirectionSettingData)
check "RFBPassword reads back empty (write-only), Is5900PortEnabled true" \
    eval 'grep -qE "RFBPassword(></[a-z]+:RFBPassword>|/>)" <<<"$reply" &&
          grep -q "Is5900PortEnabled>true<" <<<"$reply"'

# SeaBIOS has given up booting by now: a still screen
sleep 3
check "vnccapture logs in with the RFB password and its picture equals screendump" \
    same_picture seabios
check "the capture is SeaBIOS's 720x400 text screen" \
    grep -q "^720x400:" "$logs/seabios.compare"
printf '%s\n' "$rfb_password" | tightvncpasswd -f > "$work/vncpw.bin"
timeout 30 vncsnapshot -passwd "$work/vncpw.bin" "127.0.0.1::$rfb_port" \
    "$work/snap.jpg" > "$logs/vncsnapshot.log" 2>&1
check "vncsnapshot (RFB 3.3) logs in with a tightvncpasswd file: 720x400 image saved" \
    eval 'grep -q "Image saved from .*720x400" "$logs/vncsnapshot.log" &&
          [ -s "$work/snap.jpg" ]'
capture "$work/wrong.png" 'Wrong@p1'
check "a wrong password: vnccapture's login fails" \
    grep -q "login failed" "$work/wrong.png.log"
printf 'Wrong@p1\n' | tightvncpasswd -f > "$work/wrongpw.bin"
timeout 30 vncsnapshot -passwd "$work/wrongpw.bin" "127.0.0.1::$rfb_port" \
    "$work/wrong.jpg" > "$logs/vncsnapshot-wrong.log" 2>&1
check "a wrong password: vncsnapshot says VNC authentication failed" \
    grep -qi "authentication failed" "$logs/vncsnapshot-wrong.log"

# a powered-off PC shows a black screen, and a viewer that watches
# stays connected through power off, on and a power cycle
rv=$(wsman_power 8)
check "RequestPowerStateChange(8) powers the VM off" \
    eval '[ "$rv" = 0 ] && wait_for 10 eval "[ \"\$(vm_status)\" = shutdown ]"'
sleep 1
capture "$work/off.png"
python3 "$here/kvm_screen.py" black "$work/off.png" 720 400 > "$logs/off.compare"
rc=$?
check "while the VM is off the capture is black, 720x400" eval '[ "$rc" = 0 ]'
sed 's/^/# /' "$logs/off.compare"
rv=$(wsman_power 2)
check "RequestPowerStateChange(2) powers it on again" \
    eval '[ "$rv" = 0 ] && wait_for 10 eval "[ \"\$(vm_status)\" = running ]"'
sleep 4
check "after power-on the capture is the firmware's screen again" \
    same_picture again
python3 "$here/kvm_watch.py" $((port + 2)) "$password" "$work/watch" \
    2> "$logs/watch.err" &
watch_pid=$!
watching() {        # watching FIELD=VALUE: kvm_watch.py's status says so
    grep -q "\b$1\b" "$work/watch" 2> /dev/null
}
check "a KVMR viewer (plain login) watches the screen" \
    wait_for 10 eval 'watching open=1 && ! watching updates=0'
rv=$(wsman_power 8)
check "the watched VM powered off again" \
    eval '[ "$rv" = 0 ] && wait_for 10 eval "[ \"\$(vm_status)\" = shutdown ]"'
check "the KVMR viewer sees the black screen of the VM off" \
    wait_for 10 watching black_seen=1
rv=$(wsman_power 2)
check "the KVMR viewer saw the screen go black and come back, still connected" \
    wait_for 10 eval 'watching black_seen=1 && watching lit_after_black=1 &&
                      watching open=1'
rv=$(wsman_power 10)
check "a power cycle (10) through the ME leaves the KVMR session open" \
    eval '[ "$rv" = 0 ] && sleep 4 && watching open=1 &&
          [ "$(kvm_info session)" = True ]'
sed 's/^/# kvm_watch: /' "$work/watch"
kill "$watch_pid" 2> /dev/null
wait "$watch_pid" 2> /dev/null
check "the viewer gone, query-vamt says no KVM session" \
    wait_for 5 eval '[ "$(kvm_info session)" = False ]'

# user consent: KVM only (OptInRequired 1)
reply=$(wsman_put IPS_OptInService \
    "$(wsman_sel CreationClassName IPS_OptInService)$(wsman_sel Name 'Intel(r) AMT OptIn Service')$(wsman_sel SystemCreationClassName CIM_ComputerSystem)$(wsman_sel SystemName 'Intel(r) AMT')" \
    '<p:OptInRequired>1</p:OptInRequired>')
check "a console sets OptInRequired 1 (KVM needs consent)" \
    eval 'grep -q "OptInRequired>1<" <<<"$reply"'
capture "$work/noconsent.png"
sed 's/^/# vnccapture: /' "$work/noconsent.png.log"
check "without consent vnccapture gets no screen" \
    eval '! [ -s "$work/noconsent.png" ]'
opt_in_selectors="$(wsman_sel CreationClassName IPS_OptInService)$(wsman_sel Name 'Intel(r) AMT OptIn Service')$(wsman_sel SystemCreationClassName CIM_ComputerSystem)$(wsman_sel SystemName 'Intel(r) AMT')"
reply=$(wsman_call IPS_OptInService StartOptIn "$opt_in_selectors" "")
code() {            # the code of the last VAMT_USER_CONSENT shown
    python3 -c "import json, sys
code = ''
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get('event') == 'VAMT_USER_CONSENT':
        code = e['data'].get('code', '') if e['data']['shown'] else ''
print(code)" "$events"
}
check "StartOptIn answers 0 and VAMT_USER_CONSENT shows a 6-digit code" \
    eval 'grep -q "ReturnValue>0<" <<<"$reply" &&
          wait_for 5 eval "code | grep -qE \"^[0-9]{6}$\""'
good=$(code)
bad=$(printf '%06d' $(( (10#$good + 1) % 1000000 )))
# the person at the machine reads it on the ME's own console
consent_dump() {    # consent_dump FILE: screendump of the ME's console
    qmp screendump "{\"filename\": \"$1\", \"device\": \"amt\"}" > /dev/null
}
consent_dump "$work/code-shown.ppm"
python3 "$here/kvm_screen.py" black "$work/code-shown.ppm" 640 480 \
    > "$logs/code-shown.compare"
check "the code is on the ME's own console (screendump device=amt), not black" \
    eval '[ -s "$work/code-shown.ppm" ] && grep -q "^640x480 .*[1-9][0-9]* pixels not black" "$logs/code-shown.compare"'
reply=$(wsman_call IPS_OptInService SendOptInCode "$opt_in_selectors" \
    "<p:OptInCode>$bad</p:OptInCode>")
check "a wrong code is refused; KVM still has no screen" \
    eval '! grep -q "ReturnValue>0<" <<<"$reply" && capture "$work/wrongcode.png"
          ! [ -s "$work/wrongcode.png" ]'
reply=$(wsman_call IPS_OptInService SendOptInCode "$opt_in_selectors" \
    "<p:OptInCode>$good</p:OptInCode>")
check "the right code is accepted and the code is hidden (VAMT_USER_CONSENT shown false)" \
    eval 'grep -q "ReturnValue>0<" <<<"$reply" && wait_for 5 eval "[ -z \"\$(code)\" ]"'
consent_dump "$work/code-hidden.ppm"
check "once entered the code is gone from the ME's console" \
    eval '! python3 "$here/kvm_screen.py" same "$work/code-hidden.ppm" "$work/code-shown.ppm" > /dev/null'
check "with consent vnccapture gets the screen" same_picture consent
reply=$(wsman_get IPS_OptInService)
check "the consent is kept for the next session (OptInState 3)" \
    grep -q "OptInState>3<" <<<"$reply"

reply=$(settings_put '<p:Is5900PortEnabled>false</p:Is5900PortEnabled>')
check "Is5900PortEnabled false closes port 5900" \
    eval 'wait_for 5 eval "! vnc_listening" && ! port_open $rfb_port'
check "QEMU is still running and QMP answers" \
    eval 'kill -0 $vm_pid && [ "$(vm_status)" = running ]'

# migration: the session here ends, KVM's settings go along, and the
# console reconnects to the destination's ME (a consent does not go: it
# is the ME's running state, not its settings)
reply=$(settings_put "<p:Is5900PortEnabled>true</p:Is5900PortEnabled><p:SessionTimeout>42</p:SessionTimeout>")
reply=$(wsman_put IPS_OptInService "$opt_in_selectors" \
    '<p:OptInRequired>0</p:OptInRequired>')
python3 "$here/kvm_watch.py" $((port + 2)) "$password" "$work/watch" \
    2> "$logs/watch.err" &
watch_pid=$!
wait_for 10 eval 'watching open=1 && ! watching updates=0'
dst_port=$(free_port)
dst_rfb_port=$(free_port)
"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 256 -nodefaults \
    -display none -device VGA -action shutdown=pause \
    -qmp "unix:$work/dst.sock,server=on,wait=off" \
    -incoming "unix:$work/migrate.sock" \
    -object "secret,id=amtpw,data=$password" \
    -device "vamt,id=amt,addr=16.0,kvm=on,listen=127.0.0.1:$dst_port,rfb-port=$dst_rfb_port" \
    > "$logs/qemu-dst.log" 2>&1 &
dst_pid=$!
dst() {             # dst QMP-ARGS...: qmp on the destination
    qmp_sock=$work/dst.sock qmp "$@"
}
wait_for 20 eval 'dst query-status > /dev/null'
qmp migrate "{\"uri\": \"unix:$work/migrate.sock\"}" > /dev/null
check "the VM migrates to a second QEMU (source postmigrate, destination running)" \
    wait_for 60 eval '[ "$(vm_status)" = postmigrate ] &&
                      [ "$(qmp_sock=$work/dst.sock vm_status)" = running ]'
check "the source's KVM session ended cleanly on migration" \
    wait_for 10 watching open=0
kill "$watch_pid" 2> /dev/null
wait "$watch_pid" 2> /dev/null
check "the destination listens on 5900 with the migrated password and settings" \
    eval 'wait_for 10 eval "qmp_sock=\$work/dst.sock listener_port 5900 | grep -qx $dst_rfb_port" &&
          wsman_get IPS_KVMRedirectionSettingData | grep -q "SessionTimeout>42<"'
rfb_port=$dst_rfb_port
capture "$work/dst.png"
sed 's/^/# vnccapture: /' "$work/dst.png.log"
check "vnccapture with the RFB password gets the destination's screen" \
    eval '[ -s "$work/dst.png" ] && grep -q "Logged in" "$work/dst.png.log"'
port=$dst_port
python3 "$here/kvm_watch.py" $((dst_port + 2)) "$password" "$work/watch" \
    2> "$logs/watch.err" &
watch_pid=$!
check "a KVMR viewer reconnects to the destination's ME" \
    wait_for 10 eval 'watching open=1 && ! watching updates=0'
sed 's/^/# kvm_watch: /' "$work/watch" "$logs/watch.err"
kill "$watch_pid" 2> /dev/null
wait "$watch_pid" 2> /dev/null
dst quit > /dev/null
wait "$dst_pid" 2> /dev/null
stop_qmp_events
stop_vm
tap_exit
