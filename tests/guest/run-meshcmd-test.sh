#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# MeshCentral's own agent inside the guest: the meshagent_x86-64 binary
# the meshcentral npm package ships, running MeshCmd (built as
# MeshCentral's server builds it: build-meshcmd.py), talks to the ME
# through the guest's /dev/mei0 and the kernel's mei driver.  The guest
# (meshcmd-scenario.sh) runs MeshCmd's information, version, hash, UUID
# and network actions, activates the ME in client control mode, serves
# WS-Man inside the guest with MicroLMS, heart-beats an Agent Presence
# watchdog and deactivates the ME; each step is checked here against what
# WS-Man on listen= and QMP report from outside.  Prints TAP.
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

need_guest
logs=$logs/meshcmd
mkdir -p "$logs"
if ! "$VAMT_REPO/tests/guest/build-meshcmd-guest.sh" > "$logs/build.log" 2>&1; then
    tail -n 20 "$logs/build.log" | sed 's/^/# /'
    tap_bail "build the test guest with MeshCmd"
fi

fw_version=16.1.25.1234
vm_uuid=3f2504e0-4f89-41d3-9a0c-0305e82c3301
mac=52:54:00:12:34:56
password='P@ssw0rd'         # what MeshCmd AmtCCM sets (meshcmd-scenario.sh)
agent=B4B6A24C-255E-A75C-F5E8-B00B4D946AA7
# MeshCmd sends the GUID in Microsoft's byte order, base64 in DeviceID
agent_id=$(python3 -c 'import base64, sys, uuid; print(base64.b64encode(uuid.UUID(sys.argv[1]).bytes_le).decode())' "$agent")
agent_timeout=15            # MeshCmd heart-beats every 0.8 x this

keep_logs() {
    [ -f "$serial" ] && tr -d '\r' < "$serial" > "$logs/serial.log"
    [ -f "$events" ] && cp "$events" "$logs/events.log"
    stop_qmp_events
}
scratch_vm vamt-meshcmd keep_logs
serial=$work/serial.log
qmp_sock=$work/qmp.sock
events=$work/events.log
port=$(free_port)

# a new machine: no admin-secret, no NVRAM, so not provisioned; a NIC
# whose MAC the ME reports
"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 512 -nodefaults \
    -display none -action shutdown=pause -serial "file:$serial" \
    -qmp "unix:$qmp_sock,server=on,wait=off" \
    -qmp "unix:$work/events.sock,server=on,wait=off" \
    -uuid "$vm_uuid" -nic "user,model=e1000,mac=$mac" \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd-meshcmd.gz" \
    -append 'console=ttyS0 quiet panic=-1 vamt.mode=demo vamt.meshcmd=test' \
    -device "vamt,addr=16.0,fw-version=$fw_version,listen=127.0.0.1:$port" \
    > "$logs/qemu.log" 2>&1 &
vm_pid=$!
record_qmp_events "$work/events.sock" "$events"

# out NAME: MeshCmd's output of step NAME; done_step NAME: it ended
out() {
    sed -n "s/^MESHCMD $1: //p" "$serial" | tr -d '\r'
}
done_step() {
    has "^VAMT-GUEST: MESHCMD $1 rc="
}
# query FIELD: a field of query-vamt
query() {
    qmp query-vamt | python3 -c 'import json, sys; print(json.load(sys.stdin)["return"][0][sys.argv[1]])' "$1"
}

wait_for 180 done_step info-pre
check "MeshCmd AmtInfo on a new machine: pre-provisioning; QMP agrees" \
    eval 'out info-pre | grep -q "pre-provisioning state" &&
          [ "$(query provisioning)" = pre ] && [ "$(query control-mode)" = none ]'
wait_for 90 done_step versions
check "MeshCmd AmtVersions: the device's fw-version ($fw_version)" \
    eval 'out versions | grep -q "^AMT = ${fw_version%.*}\$" &&
          out versions | grep -q "^Build Number = ${fw_version##*.}\$" &&
          out versions | grep -q "^Flash = $fw_version\$"'
wait_for 90 done_step hashes
echo "$(out hashes)" | sed 's/^/# hashes: /'
check "MeshCmd AmtHashes: the 8 default trusted root hashes, by name and SHA1" \
    eval '[ "$(out hashes | grep -c "SHA1")" = 8 ] &&
          out hashes | grep -q "Starfield Class 2 CA" &&
          out hashes | grep -qi "ad7e1c28b064ef8f6003402014c3d0e3370eb58a"'
wait_for 90 done_step info-json
json=$(out info-json | sed -n '/^{/,$p' | tr -d '\n')
check "MeshCmd AmtInfo --json: the VM's UUID and its NIC's MAC" \
    eval 'python3 -c "import json, sys; j = json.loads(sys.argv[1]); sys.exit(not (j[\"uuid\"] == \"$vm_uuid\" and j[\"net0\"][\"mac\"] == \"$mac\"))" "$json"'

wait_for 150 done_step ccm
check "MeshCmd AmtCCM: host-based activation succeeds" \
    eval 'out ccm | grep -q "^Success"'
# from outside: admin logs on with the password MeshCmd chose
sacs=$(wsman_get AMT_SetupAndConfigurationService)
check "WS-Man as admin with MeshCmd's password: provisioned (2), client control mode (4); QMP agrees" \
    eval '[ "$(xml_value ProvisioningState <<< "$sacs")" = 2 ] &&
          [ "$(xml_value ProvisioningMode <<< "$sacs")" = 4 ] &&
          [ "$(query provisioning)" = post ] && [ "$(query control-mode)" = client ]'
# the watchdog MeshCmd AmtPresence will heart-beat, as a console creates it
watchdog=$(wsman_send http://schemas.xmlsoap.org/ws/2004/09/transfer/Create \
    AMT_AgentPresenceWatchdog "" \
    "<p:AMT_AgentPresenceWatchdog xmlns:p=\"http://intel.com/wbem/wscim/1/amt-schema/1/AMT_AgentPresenceWatchdog\"><p:DeviceID>$agent_id</p:DeviceID><p:TimeoutInterval>$agent_timeout</p:TimeoutInterval><p:GracePeriod>0</p:GracePeriod></p:AMT_AgentPresenceWatchdog>")
agent_sel=$(wsman_sel DeviceID "$agent_id")
wsman_call AMT_AgentPresenceWatchdog AddAction "$agent_sel" \
    '<p:OldState>4</p:OldState><p:NewState>8</p:NewState><p:EventOnTransition>true</p:EventOnTransition>' \
    > "$logs/addaction.xml"
check "WS-Man: the console creates the agent's watchdog and its event action" \
    eval 'grep -q "$agent_id" <<< "$watchdog" &&
          [ "$(xml_value ReturnValue < "$logs/addaction.xml")" = 0 ]'

wait_for 90 done_step info-ccm
check "MeshCmd AmtInfo: activated in Client Control Mode" \
    eval 'out info-ccm | grep -q "activated in Client Control Mode (CCM)"'
wait_for 90 done_step uuid
check "MeshCmd AmtUUID (WS-Man through its LMS, as admin): the VM's UUID" \
    eval 'out uuid | grep -qi "$vm_uuid"'
wait_for 90 done_step network
network=$(out network)
ethernet=$(wsman_send http://schemas.xmlsoap.org/ws/2004/09/transfer/Get \
    AMT_EthernetPortSettings \
    "$(wsman_sel InstanceID "Intel(r) AMT Ethernet Port Settings 0")" "")
check "MeshCmd AmtNetwork: the wired port's MAC, as AMT_EthernetPortSettings (from outside) has it" \
    eval 'grep -qi "MACAddress.*${mac//:/-}" <<< "$network" &&
          grep -qi "MACAddress>${mac//:/-}<" <<< "$ethernet"'

wait_for 150 eval 'has "^VAMT-GUEST: MICROLMS identify "'
check "MicroLMS in the guest: WS-Man Identify on 127.0.0.1:16992 answers 200, AMT ${fw_version%.*.*}" \
    eval 'has "^VAMT-GUEST: MICROLMS identify status=HTTP/1.1 200 OK response=1 version=AMT ${fw_version%.*.*}"'
wait_for 90 done_step uuid-lms
check "MeshCmd as a console through MicroLMS (AmtUUID): the VM's UUID" \
    eval 'out uuid-lms | grep -qi "$vm_uuid"'
wait_for 90 done_step hashes-lms
check "MeshCmd AmtHashes through MicroLMS (AMT_ProvisioningCertificateHash): the same 8 hashes" \
    eval '[ "$(out hashes-lms | grep -ci "Starfield Class 2 CA\|Comodo AAA CA\|Go Daddy Class 2 CA\|VeriSign Class 3")" = 8 ]'

# Agent Presence: running while MeshCmd heart-beats, expired after
agent_state() {
    wsman_send http://schemas.xmlsoap.org/ws/2004/09/transfer/Get \
        AMT_AgentPresenceWatchdog "$agent_sel" "" | xml_value CurrentState
}
agent_expired_event() {
    grep '"event": "VAMT_WATCHDOG"' "$events" | grep -F "\"agent\": \"$agent_id\""
}
# what the guest said of MeshCmd's presence runs, for a failed check
presence_log() {
    echo "state=$(agent_state) expiry event: $(agent_expired_event)"
    grep 'MESHCMD presence' "$serial" | tr -d '\r'
}
wait_for 300 has '^VAMT-GUEST: MESHCMD presence running '
sleep $((2 * agent_timeout))
check "MeshCmd AmtPresence heart-beats: the watchdog runs (2), no expiry for $((2 * agent_timeout)) s" \
    eval '{ [ "$(agent_state)" = 2 ] && [ -z "$(agent_expired_event)" ]; } ||
          { presence_log; false; }'
wait_for 90 has '^VAMT-GUEST: MESHCMD presence stopped '
wait_for $((agent_timeout + 30)) eval '[ -n "$(agent_expired_event)" ]'
echo "# $(agent_expired_event)"
grep 'MESHCMD presence' "$serial" | tr -d '\r' | sed 's/^/# /'
check "MeshCmd's own log: its heartbeats (AssertPresence) succeeded, at least twice" \
    eval '[ "$(grep -c "MESHCMD presence: Successful assert" "$serial")" -ge 2 ]'
check "MeshCmd stopped: VAMT_WATCHDOG with the agent's DeviceID and timeout; WS-Man shows it expired (3)" \
    eval '{ agent_expired_event | grep -q "\"timeout\": $agent_timeout" &&
            [ "$(agent_state)" = 3 ]; } || { presence_log; false; }'

wait_for 150 done_step deactivate
check "MeshCmd AmtDeactivate: Success; QMP and AmtInfo show pre-provisioning again" \
    eval 'out deactivate | grep -q "^Success" && wait_for 90 done_step info-after &&
          out info-after | grep -q "pre-provisioning state" &&
          [ "$(query provisioning)" = pre ]'
check "admin's password is gone with it: WS-Man answers 401" \
    eval '[ "$(curl -s -o /dev/null -w "%{http_code}" --digest -u "admin:$password" -H "Content-Type: application/soap+xml" --data-binary "<x/>" "http://127.0.0.1:$port/wsman")" = 401 ]'
check "the guest's MeshCmd run finished; QEMU printed nothing on stderr" \
    eval 'has "^VAMT-GUEST: MESHCMD done" && [ ! -s "$logs/qemu.log" ]'
stop_vm
tap_exit
