#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Real, unmodified management clients against -device vamt: one VM running
# the busybox test guest, then
#   wsman-messages   Open AMT's message builder, sent the way MPS sends it
#   meshcommander    MeshCentral's AMT stack through MeshCommander's pages
#   amttool          Debian's amtterm package (legacy EOI SOAP)
#   wsl              Debian's wsl (WS-Man over curl)
#   rmcp-scan        MeshCentral's AMT network scanner (RMCP, UDP 623)
# Power actions are confirmed by QEMU's run state (QMP query-status) and,
# for anything that starts the machine, by the guest printing another
# "VAMT-GUEST: BOOT" line on its serial console.  Prints TAP; exits
# non-zero when a test fails.
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

logs=$logs/clients
need_guest
need_clients

# the VM's values are tests/lib.sh's (vm_uuid, fw_version, mem_mb, ...)
keep_serial() {         # at exit: the serial log, without CRs, in $logs
    [ -f "$serial" ] && tr -d '\r' < "$serial" > "$logs/serial.log"
    local pid
    for pid in ${ui_vm_pid:-} ${rmcp_vm_pid:-}; do
        kill "$pid" 2> /dev/null
        wait "$pid" 2> /dev/null
    done
}
scratch_vm vamt-clients keep_serial
serial=$work/serial.log
qmp_sock=$work/qmp.sock

port=$(free_port)
"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg \
    -m "$mem_mb" -smp "$cpu_sockets,sockets=$cpu_sockets,cores=1,threads=1" -nodefaults -display none \
    -action shutdown=pause -serial "file:$serial" \
    -qmp "unix:$qmp_sock,server=on,wait=off" \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
    -append 'console=ttyS0 quiet panic=-1 vamt.mode=demo' \
    -uuid "$vm_uuid" \
    -object "secret,id=amtpw,data=$password" \
    -device VGA \
    -device "vamt,addr=16.0,fw-version=$fw_version,listen=127.0.0.1:$port,admin-secret=amtpw,rmcp=on,rmcp-port=0,alert-egress=host" \
    > "$logs/qemu.log" 2>&1 &
vm_pid=$!


check "QEMU starts with -device vamt listening on 127.0.0.1:$port and the guest boots" \
    eval 'wait_for 60 port_open $port && wait_for 60 guest_settled && state_is running'
if ! kill -0 "$vm_pid" 2> /dev/null; then
    sed 's/^/# qemu: /' "$logs/qemu.log"
    tap_exit
fi

# run_node NAME: one node client scenario; its TAP lines are renumbered
# into ours; a scenario that dies or leaves no plan is a failure
run_node() {
    run_client "$1" "$logs/$1.log"
    tap_merge "$1" "$logs/$1.log" $?
}

# --- Open AMT (wsman-messages + MPS framing), then MeshCommander
run_node wsman-messages
wait_for 30 guest_settled
run_node meshcommander
wait_for 30 guest_settled

# --- MeshCentral's AMT scanner (RMCP presence).  Its "Scan Network" pings
# UDP port 623 only, which needs root: a second, stopped VM with an AMT
# version that fits the pong answers there on another loopback address,
# with WS-Management on 16992 there, where MeshCentral expects it.
rmcp_host=
if [ "$(id -u)" = 0 ]; then
    for n in $(shuf -i 20-250 -n 20); do
        if ! ss -Hlun "sport = :623" | grep -q "127.0.0.$n:623" &&
           ! ss -Hltn "sport = :16992" | grep -q "127.0.0.$n:16992"; then
            rmcp_host=127.0.0.$n
            break
        fi
    done
fi
if [ -n "$rmcp_host" ]; then
    "$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 64 -nodefaults \
        -display none -S -action shutdown=pause \
        -qmp "unix:$work/rmcp-qmp.sock,server=on,wait=off" \
        -object "secret,id=amtpw,data=$password" \
        -device "vamt,id=amt,addr=16.0,fw-version=11.8.55.3510,listen=$rmcp_host:16992,admin-secret=amtpw,rmcp=on" \
        > "$logs/qemu-rmcp.log" 2>&1 &
    rmcp_vm_pid=$!
    rmcp_answering() {
        ss -Hlun "sport = :623" | grep -q "$rmcp_host:623"
    }
    check "a stopped VM answers RMCP on $rmcp_host UDP port 623" \
        wait_for 30 rmcp_answering
fi
VAMT_RMCP_HOST=$rmcp_host VAMT_RMCP_QMP=$work/rmcp-qmp.sock run_node rmcp-scan
if [ -n "$rmcp_host" ]; then
    check "the RMCP VM printed nothing on stderr" \
        eval 'kill -0 $rmcp_vm_pid && [ ! -s "$logs/qemu-rmcp.log" ]'
fi

# --- amttool (amtterm): legacy SOAP
export AMT_PASSWORD=$password
amttool_out=$logs/amttool.out
amttool_run() {         # amttool_run COMMAND: answers "y" to its prompt
    echo "\$ amttool 127.0.0.1:$port $1" >> "$amttool_out"
    echo y | timeout 30 amttool "127.0.0.1:$port" "$1" >> "$amttool_out" 2>&1
}
: > "$amttool_out"

amttool_run info > /dev/null
info=$(sed -n '/amttool [^ ]* info$/,$p' "$amttool_out")
check "amttool info: AMT version $amt_version" \
    grep -qx "AMT version:  $amt_version" <<< "$info"
check "amttool info: a hostname and power state S0 while the VM runs" \
    eval 'grep -qE "^Hostname: +[^ ]+" <<< "$info" && grep -qx "Powerstate:   S0" <<< "$info"'

badpass=$(echo y | AMT_PASSWORD=not-the-password timeout 30 amttool "127.0.0.1:$port" info 2>&1)
echo "$badpass" | sed 's/^/# wrong password: /'
check "amttool with a wrong password: refused with 401, no AMT data shown" \
    eval 'grep -q 401 <<< "$badpass" && ! grep -q "^AMT version" <<< "$badpass"'

amttool_run netinfo
netinfo=$(sed -n '/amttool [^ ]* netinfo$/,$p' "$amttool_out")
check "amttool netinfo: interface 0 with a MAC address and DHCP state" \
    eval 'grep -q "^Network Interface 0:" <<< "$netinfo" &&
          grep -qE "HardwareAddressDescription +([0-9a-fA-F]{2}-){5}[0-9a-fA-F]{2}\$" <<< "$netinfo" &&
          grep -qE "DhcpEnabled +(true|false)\$" <<< "$netinfo"'

# the guest first finishes any boot a console started before (a boot cut
# short by the power-off would never print its DONE line)
wait_for 60 guest_settled
amttool_run powerdown
check "amttool powerdown: QEMU reports the VM shut down" wait_for 15 state_is shutdown
amttool_run info
info=$(sed -n '/amttool [^ ]* info$/,$p' "$amttool_out" | sed -n '/Powerstate/p' | tail -n 1)
check "amttool info after powerdown: power state S5 (soft off)" \
    grep -qE '^Powerstate: +S5' <<< "$info"

before=$(boots)
amttool_run powerup
check "amttool powerup: the VM runs and the guest boots again" \
    eval 'wait_for 15 state_is running && wait_for 30 boots_above $before'

before=$(boots)
amttool_run reset
check "amttool reset: the guest boots again and the VM keeps running" \
    eval 'wait_for 30 boots_above $before && state_is running'
sed 's/^/# /' "$amttool_out"

# --- wsl (Debian): WS-Man with curl --digest
wsl_home=$work/wsl
mkdir -p "$wsl_home"
printf 'WSNOSSL=true\nIPINTERACTIVE=0\nKEEPHISTORY=0\n' > "$wsl_home/.wsl-config"
printf -- '--digest\n' > "$wsl_home/.curlrc"
wsl_run() {             # wsl_run ARGS...: response.xml is left in $wsl_home
    rm -f "$wsl_home"/response*.xml
    (cd "$wsl_home" && HOME=$wsl_home CURL_HOME=$wsl_home \
        WSENDPOINT=127.0.0.1:$port WSUSER=admin WSPASS=$password \
        timeout 60 wsl "$@") >> "$logs/wsl.out" 2>&1
}
xpath() {               # xpath EXPRESSION: evaluate on the last response.xml
    xmllint --xpath "$1" "$wsl_home/response.xml" 2> /dev/null
}
local_path() {          # local_path a b c -> /*[local-name()="a"]/*[...]...
    local p= step
    for step in "$@"; do p="$p/*[local-name()=\"$step\"]"; done
    echo "$p"
}
: > "$logs/wsl.out"

wsl_run id check
check "wsl id check: IdentifyResponse from Intel Corporation, ProductVersion AMT ${amt_version%.*}" \
    eval '[ "$(xpath "string(/$(local_path Envelope Body IdentifyResponse ProductVendor))")" = "Intel Corporation" ] &&
          [ "$(xpath "string(/$(local_path Envelope Body IdentifyResponse ProductVersion))")" = "AMT ${amt_version%.*}" ]'

wsl_run enum CIM_SoftwareIdentity
sw='//*[local-name()="CIM_SoftwareIdentity"][*[local-name()="InstanceID"]="AMT"]/*[local-name()="VersionString"]'
check "wsl enum CIM_SoftwareIdentity: the AMT instance has VersionString $amt_version" \
    eval '[ "$(xpath "string($sw)")" = "$amt_version" ] &&
          [ "$(xpath "count(//*[local-name()=\"EndOfSequence\"])")" = 1 ]'

wsl_run get http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings \
    "InstanceID=Intel(r) AMT: General Settings"
gs=$(local_path Envelope Body AMT_GeneralSettings)
check "wsl get AMT_GeneralSettings: that instance, with a Digest realm and a host name" \
    eval '[ "$(xpath "string(/$gs/*[local-name()=\"InstanceID\"])")" = "Intel(r) AMT: General Settings" ] &&
          xpath "string(/$gs/*[local-name()=\"DigestRealm\"])" | grep -q "^Digest:" &&
          [ -n "$(xpath "string(/$gs/*[local-name()=\"HostName\"])")" ]'

rv=$(local_path Envelope Body RequestPowerStateChange_OUTPUT ReturnValue)
wait_for 60 guest_settled
wsl_run invoke CIM_PowerManagementService RequestPowerStateChange PowerState=8
check "wsl invoke RequestPowerStateChange PowerState=8: ReturnValue 0 and QEMU shuts the VM down" \
    eval '[ "$(xpath "string(/$rv)")" = 0 ] && wait_for 15 state_is shutdown'
before=$(boots)
wsl_run invoke CIM_PowerManagementService RequestPowerStateChange PowerState=2
check "wsl invoke RequestPowerStateChange PowerState=2: ReturnValue 0, the VM runs and the guest boots" \
    eval '[ "$(xpath "string(/$rv)")" = 0 ] && wait_for 15 state_is running &&
          wait_for 30 boots_above $before'
wsl_run invoke CIM_PowerManagementService RequestPowerStateChange PowerState=2
check "wsl invoke PowerState=2 while on: a non-zero ReturnValue" \
    eval 'v=$(xpath "string(/$rv)"); [ -n "$v" ] && [ "$v" != 0 ]'

check "QEMU is still running and printed nothing on stderr" \
    eval 'kill -0 $vm_pid && [ ! -s "$logs/qemu.log" ]'

# --- MeshCentral's server and MeshCommander's Intel AMT tab in Chromium.
# MeshCentral never probes an AMT computer at 127.0.0.1 and uses the fixed
# port 16992, so this VM listens on port 16992 of another loopback address
# (docs/system/devices/vamt.rst, "Consoles").
ui_host=
for n in $(shuf -i 20-250 -n 20); do
    if ! ss -Hltn "sport = :16992" | grep -q "127.0.0.$n:16992"; then
        ui_host=127.0.0.$n
        break
    fi
done
"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 256 -nodefaults -display none \
    -action shutdown=pause -serial "file:$work/ui-serial.log" \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
    -append 'console=ttyS0 quiet panic=-1 vamt.mode=demo' \
    -object "secret,id=amtpw,data=$password" -device VGA \
    -device "vamt,addr=16.0,fw-version=$fw_version,listen=$ui_host:16992,admin-secret=amtpw" \
    > "$logs/qemu-ui.log" 2>&1 &
ui_vm_pid=$!
ui_listening() {
    ss -Hltn "sport = :16992" | grep -q "$ui_host:16992"
}
check "a second VM listens on $ui_host:16992 for MeshCentral" \
    eval '[ -n "$ui_host" ] && wait_for 30 ui_listening'
rm -f "$logs"/meshcommander-*.png
VAMT_AMT_HOST=$ui_host VAMT_LOGS=$logs VAMT_MC_PORT=$(free_port) \
    node_timeout=420 run_node meshcentral-ui
tap_exit
