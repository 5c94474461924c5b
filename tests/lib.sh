# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034,SC2154  # a library: its callers set and use these
#
# The helpers every shell test shares.  Source it after
# scripts/vamt/common.sh (it uses $VAMT_REPO, $VAMT_FW):
#
# TAP output
#   check DESCRIPTION COMMAND...   run COMMAND, print "ok N" / "not ok N"
#   tap_result ok|fail DESCRIPTION print one result without running anything
#   tap_plan                       print "1..N"; status 1 if a check failed
#   tap_exit                       tap_plan, then exit with its status
#   tap_bail DESCRIPTION           one failed result, the plan, exit 1
#   tap_merge PREFIX LOG RC        another TAP stream's results (LOG, its
#                                  program's exit status RC) as ours
# Set-up
#   logs                           the log directory: $VAMT_TEST_LOGS or build/test-logs
#   need_guest                     build the test guest, or bail
# Polling
#   wait_for SECONDS COMMAND...    poll until COMMAND succeeds
# A VM
#   qemu_fw                        array: the -L firmware directories
#   free_port                      a TCP port on 127.0.0.1 nobody holds now
#   port_open PORT                 something accepts connections on it
#   scratch_vm PREFIX [CMD...]     $work: a fresh directory; at exit, kill
#                                  $vm_pid (if set), run CMD, remove $work
#   qmp COMMAND [JSON]             one QMP command on $qmp_sock
#   vm_status                      QEMU's run state (running, shutdown, ...)
#   stop_vm                        QMP quit, then wait for $vm_pid
#   record_qmp_events SOCKET FILE  every QMP event on a monitor of its own
#                                  (-qmp SOCKET), one JSON line each
#   stop_qmp_events                end that recorder
# The test guest's serial log, $serial
#   has REGEX                      $serial has a line matching REGEX (ERE)
#   boots                          how many "VAMT-GUEST: BOOT" lines it has
# WS-Management with curl --digest as admin:$password on 127.0.0.1:$port
#   wsman_sel NAME VALUE           one <wsman:Selector>
#   wsman_power_service            the selectors of CIM_PowerManagementService
#   wsman_call CLASS METHOD SELECTORS INPUT   invoke a CIM method, print the reply
#   wsman_get CLASS                a Get of a singleton, print the reply
#   wsman_put CLASS SELECTORS BODY a Put of BODY (the instance's XML)
#   wsman_redirection_service      the selectors of AMT_RedirectionService

# ---- TAP ---------------------------------------------------------------------

testno=0
tap_failures=0

# tap_result ok|fail DESCRIPTION: print the next numbered TAP line
tap_result() {
    testno=$((testno + 1))
    if [ "$1" = ok ]; then
        echo "ok $testno - $2"
    else
        echo "not ok $testno - $2"
        tap_failures=$((tap_failures + 1))
    fi
}

# check DESCRIPTION COMMAND...: one TAP result from COMMAND's status
check() {
    local desc=$1
    shift
    if "$@"; then tap_result ok "$desc"; else tap_result fail "$desc"; fi
}

# tap_plan: the plan line; status 1 if any result failed
tap_plan() {
    echo "1..$testno"
    [ "$tap_failures" = 0 ]
}

# tap_exit: the plan, then exit (status 1 if any result failed)
tap_exit() {
    tap_plan
    exit
}

# tap_bail DESCRIPTION: a set-up step failed; nothing else can run
tap_bail() {
    tap_result fail "$1"
    tap_exit
}

# tap_merge PREFIX LOG RC: the results of another TAP producer (a node
# scenario) renumbered into ours, PREFIX before each description, its
# comments passed on; one that died (RC non-zero without a failed
# result) or left no plan is a failure of its own
tap_merge() {
    local prefix=$1 log=$2 rc=$3 line planned=no
    while IFS= read -r line; do
        case $line in
        "ok "*)     tap_result ok "$prefix: ${line#ok * - }" ;;
        "not ok "*) tap_result fail "$prefix: ${line#not ok * - }" ;;
        "#"*)       echo "$line" ;;
        1..*)       planned=yes ;;
        esac
    done < "$log"
    if [ "$planned" != yes ] || { [ "$rc" != 0 ] && ! grep -q '^not ok ' "$log"; }; then
        tail -n 20 "$log" | sed 's/^/#   /'
        tap_result fail "$prefix: scenario ran to its end (exit $rc)"
    fi
}

# ---- the node client scenarios (tests/clients/*.js) ---------------------------

# The VM values the scenarios check (tests/clients/harness.js); not QEMU's
# defaults, so every check sees the device's answers about this VM.  A
# test starts its VM with them (-uuid, fw-version=, -m, -smp, the secret).
vm_uuid=3f2504e0-4f89-41d3-9a0c-0305e82c3301
fw_version=16.1.25.1234
amt_version=${fw_version%.*}
mem_mb=384
cpu_sockets=2
password='P@ssw0rd'

# run_client NAME LOG [VAR=VALUE...]: tests/clients/NAME.js against the VM
# at 127.0.0.1:$port ($qmp_sock, $serial), with those values and any
# more of the environment given; its exit status (node_timeout: 150 s)
run_client() {
    local name=$1 log=$2
    shift 2
    env VAMT_PORT="$port" VAMT_PASSWORD="$password" VAMT_UUID="$vm_uuid" \
        VAMT_FW_VERSION="$fw_version" VAMT_MEM_MB="$mem_mb" \
        VAMT_CPU_SOCKETS="$cpu_sockets" VAMT_QMP="$qmp_sock" \
        VAMT_SERIAL="$serial" VAMT_NODE_MODULES="$VAMT_CACHE/node/node_modules" \
        "$@" timeout "${node_timeout:-150}" \
        node "$VAMT_REPO/tests/clients/$name.js" > "$log" 2>&1
}

# ---- set-up ------------------------------------------------------------------

logs=${VAMT_TEST_LOGS:-$VAMT_REPO/build/test-logs}

# need_guest: build the busybox test guest (tests/guest/build-guest.sh,
# log in $logs/guest-build.log); bail out of the test if that fails
need_guest() {
    mkdir -p "$logs"
    "$VAMT_REPO/tests/guest/build-guest.sh" > "$logs/guest-build.log" 2>&1 && return
    tail -n 20 "$logs/guest-build.log" | sed 's/^/# /'
    tap_bail "build the test guest"
}

# need_clients: the pinned console stacks (tests/clients/install-clients.sh,
# log in $logs/install-clients.log); bail out of the test if that fails
need_clients() {
    mkdir -p "$logs"
    "$VAMT_REPO/tests/clients/install-clients.sh" \
        > "$logs/install-clients.log" 2>&1 && return
    tail -n 20 "$logs/install-clients.log" | sed 's/^/# /'
    tap_bail "install the pinned client stacks (npm ci)"
}

# ---- polling -----------------------------------------------------------------

# wait_for SECONDS COMMAND...: run COMMAND every 0.2 s until it succeeds,
# at least once and once more at the deadline.  The COMMANDs are often
# evaluated strings: the only local here is _wait_end, so theirs are seen.
wait_for() {
    local _wait_end=$((SECONDS + $1))
    shift
    while :; do
        "$@" && return 0
        [ "$SECONDS" -lt "$_wait_end" ] || return 1
        sleep 0.2
    done
}

# ---- a VM --------------------------------------------------------------------

# the firmware directories: our option ROMs, SeaBIOS, iPXE's NIC ROMs
qemu_fw=(-L "$VAMT_FW" -L /usr/share/seabios -L /usr/lib/ipxe/qemu)

# free_port: print a TCP port on 127.0.0.1 that nobody holds now
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])'
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ---- several VMs at once, by name (tests/net/) ------------------------------

# vm NAME: the VM the helpers (qmp, has, boots, vm_status) talk about:
# its QMP socket and serial log in $work
vm() {
    vm_name=$1
    qmp_sock=$work/$1.qmp
    serial=$work/$1.serial
}

# start_vm NAME QEMU-OPTIONS...: a QEMU in the background (${netns_exec[@]}
# before it, if set), QMP in $work (the options give its serial port),
# stdout and stderr in $logs/qemu-NAME.log, its pid in pids[NAME]; then
# vm NAME
netns_exec=()
declare -A pids=()
start_vm() {
    local name=$1
    shift
    "${netns_exec[@]}" "$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg \
        -nodefaults -display none -action shutdown=pause \
        -qmp "unix:$work/$name.qmp,server=on,wait=off" \
        -object "secret,id=amtpw,data=$password" "$@" \
        > "$logs/qemu-$name.log" 2>&1 &
    pids[$name]=$!
    vm "$name"
}

# start_vm_cleanup: for scratch_vm: end every QEMU start_vm started, keep
# their serial logs ($logs/NAME-serial.log, without CRs), delete the
# network namespace $ns if the test made one
ns=
start_vm_cleanup() {
    local name
    for name in "${!pids[@]}"; do
        kill "${pids[$name]}" 2> /dev/null
        wait "${pids[$name]}" 2> /dev/null
    done
    for name in "$work"/*.serial; do
        [ -f "$name" ] && tr -d '\r' < "$name" > "$logs/$(basename "$name" .serial)-serial.log"
    done
    [ -n "$ns" ] && ip netns del "$ns" 2> /dev/null
}

# quit_vm NAME: QMP quit, wait for that QEMU to end
quit_vm() {
    vm "$1"
    qmp quit > /dev/null
    wait "${pids[$1]}" 2> /dev/null
    unset "pids[$1]"
}

scratch_vm_cleanup() {
    if [ -n "${vm_pid:-}" ]; then
        kill "$vm_pid" 2>/dev/null
        wait "$vm_pid" 2>/dev/null
    fi
    if [ ${#scratch_vm_at_exit[@]} -gt 0 ]; then
        "${scratch_vm_at_exit[@]}"
    fi
    rm -rf "$work"
}

# scratch_vm PREFIX [COMMAND...]: $work, a fresh directory; at exit the VM
# ($vm_pid, if set) is killed, COMMAND runs, and $work is removed
scratch_vm() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    shift
    scratch_vm_at_exit=("$@")
    vm_pid=
    trap scratch_vm_cleanup EXIT
}

# qmp COMMAND [JSON-ARGUMENTS]: one QMP command on $qmp_sock, the answer
# on stdout (pretty-printed JSON); status 1 on an error answer
qmp() {
    python3 "$VAMT_REPO/scripts/vamt/qmp.py" "$qmp_sock" "$@" 2>/dev/null
}

# vm_status: QEMU's run state from query-status (running, shutdown, ...)
vm_status() {
    qmp query-status | sed -n 's/^ *"status": "\([a-z-]*\)".*/\1/p'
}

# listener_port SERVICE_PORT: the host port query-vamt lists for an AMT
# port (16992, 16994, 5900), nothing while the ME does not listen there
listener_port() {
    qmp query-vamt | python3 -c 'import json, sys
for dev in json.load(sys.stdin)["return"]:
    for l in dev.get("listeners", []):
        if l["service-port"] == int(sys.argv[1]):
            print(l["port"])' "$1"
}

# stop_vm: ask QEMU ($qmp_sock) to quit and wait for $vm_pid to end
stop_vm() {
    qmp quit > /dev/null
    wait "$vm_pid" 2>/dev/null
    vm_pid=
}

# record_qmp_events SOCKET FILE: a monitor of its own (-qmp unix:SOCKET)
# from the start, every event QEMU sends as one JSON line in FILE
record_qmp_events() {
    python3 "$VAMT_REPO/scripts/vamt/qmp.py" --events "$1" > "$2" 2> "$2.err" &
    qmp_events_pid=$!
}

# stop_qmp_events: end the recorder record_qmp_events started
stop_qmp_events() {
    if [ -n "${qmp_events_pid:-}" ]; then
        kill "$qmp_events_pid" 2> /dev/null
        wait "$qmp_events_pid" 2> /dev/null
        qmp_events_pid=
    fi
}

# ---- the test guest's serial log ($serial) -----------------------------------

# has REGEX: $serial has a line matching the extended REGEX
has() {
    grep -qE "$1" "$serial" 2>/dev/null
}

# guest_prompt: the test guest's shell (vamt.mode=shell) printed its
# prompt last: a command is over, or the shell is ready (it drops what
# came before it started).  Busybox's line editing asks the terminal
# where its cursor is (ESC [6n) after the prompt.
guest_prompt() {
    tail -c 16 "$serial" | tr -d '\r\n' | sed 's/\x1b\[6n$//' |
        grep -q '/ # $'
}

# boots: how often the guest started ("VAMT-GUEST: BOOT ..." lines)
boots() {
    grep -c '^VAMT-GUEST: BOOT ' "$serial" 2>/dev/null
}
# guest_settled: the guest's latest boot has finished (a boot a power
# action cut short never prints its DONE line, so counting lines would
# wait for ever)
guest_settled() {
    grep -aE '^VAMT-GUEST: (BOOT|DONE)' "$serial" 2> /dev/null |
        tail -n 1 | grep -q '^VAMT-GUEST: DONE'
}
boots_above() {
    [ "$(boots)" -gt "$1" ] && guest_settled
}
# state_is STATE: QEMU's run state is STATE
state_is() {
    [ "$(vm_status)" = "$1" ]
}

# ---- WS-Management -----------------------------------------------------------

# xml_value NAME: the text of the first element NAME (any prefix) on stdin
xml_value() {
    grep -oE "<([A-Za-z0-9]+:)?$1>[^<]*<" | head -n 1 | sed 's/^[^>]*>//; s/<$//'
}

# wsman_sel NAME VALUE: one selector for wsman_call's SELECTORS
wsman_sel() {
    echo "<wsman:Selector Name=\"$1\">$2</wsman:Selector>"
}

# wsman_power_service: the SELECTORS of the one CIM_PowerManagementService
wsman_power_service() {
    echo "$(wsman_sel CreationClassName CIM_PowerManagementService)$(wsman_sel \
        Name "Intel(r) AMT Power Management Service")$(wsman_sel \
        SystemCreationClassName CIM_ComputerSystem)$(wsman_sel SystemName \
        "Intel(r) AMT")"
}

# wsman_schema CLASS: the schema URI of CLASS (by its prefix)
wsman_schema() {
    case $1 in
    AMT_*) echo http://intel.com/wbem/wscim/1/amt-schema/1 ;;
    IPS_*) echo http://intel.com/wbem/wscim/1/ips-schema/1 ;;
    *) echo http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2 ;;
    esac
}

# Where wsman_send sends: $wsman_host:$port, curl run through $wsman_via
# (a command prefix: ip netns exec NS), by default 127.0.0.1 from here;
# with $wsman_ca (a CA certificate file) over TLS, the ME's certificate
# checked against it
wsman_host=127.0.0.1
wsman_via=()
wsman_ca=

# wsman_send ACTION CLASS SELECTORS BODY: one WS-Man request with curl
# --digest as admin:$password to $wsman_host:$port; prints the reply
wsman_send() {
    local action=$1 class=$2 selectors=$3 body=$4
    local schema
    local anon=http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous

    schema=$(wsman_schema "$class")
    "${wsman_via[@]}" curl -s --max-time 30 --digest -u "admin:$password" \
        ${wsman_ca:+--cacert "$wsman_ca"} \
        -H 'Content-Type: application/soap+xml;charset=utf-8' \
        --data-binary @- "http${wsman_ca:+s}://$wsman_host:$port/wsman" <<EOF
<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header><wsa:Action s:mustUnderstand="true">$action</wsa:Action><wsa:To s:mustUnderstand="true">http://$wsman_host:$port/wsman</wsa:To><wsman:ResourceURI s:mustUnderstand="true">$schema/$class</wsman:ResourceURI><wsa:MessageID s:mustUnderstand="true">uuid:$(cat /proc/sys/kernel/random/uuid)</wsa:MessageID><wsa:ReplyTo><wsa:Address>$anon</wsa:Address></wsa:ReplyTo><wsman:SelectorSet>$selectors</wsman:SelectorSet></s:Header><s:Body>$body</s:Body></s:Envelope>
EOF
}

# wsman_call CLASS METHOD SELECTORS INPUT: invoke METHOD of CLASS (its
# schema from its prefix: CIM_, AMT_, IPS_) on the instance SELECTORS
# select, INPUT the XML inside <p:METHOD_INPUT>; prints the reply
wsman_call() {
    local class=$1 method=$2 selectors=$3 input=$4
    local schema

    schema=$(wsman_schema "$class")
    wsman_send "$schema/$class/$method" "$class" "$selectors" \
        "<p:${method}_INPUT xmlns:p=\"$schema/$class\">$input</p:${method}_INPUT>"
}

# wsman_get CLASS: Get the singleton instance of CLASS; prints the reply
wsman_get() {
    wsman_send http://schemas.xmlsoap.org/ws/2004/09/transfer/Get "$1" "" ""
}

# wsman_put CLASS SELECTORS PROPERTIES: Put an instance of CLASS whose
# properties are the XML PROPERTIES (<p:Name>value</p:Name>...)
wsman_put() {
    local class=$1 selectors=$2 properties=$3
    local schema

    schema=$(wsman_schema "$class")
    wsman_send http://schemas.xmlsoap.org/ws/2004/09/transfer/Put \
        "$class" "$selectors" \
        "<p:$class xmlns:p=\"$schema/$class\">$properties</p:$class>"
}

# wsman_create CLASS PROPERTIES: Create an instance of CLASS with the XML
# PROPERTIES (<p:Name>value</p:Name>...); prints the reply
wsman_create() {
    local schema

    schema=$(wsman_schema "$1")
    wsman_send http://schemas.xmlsoap.org/ws/2004/09/transfer/Create \
        "$1" "" "<p:$1 xmlns:p=\"$schema/$1\">$2</p:$1>"
}

# wsman_delete CLASS SELECTORS: Delete the instance SELECTORS name
wsman_delete() {
    wsman_send http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete \
        "$1" "$2" ""
}

# wsman_enum CLASS: Enumerate then Pull (up to 50 items); prints the Pull
wsman_enum() {
    local ctx

    ctx=$(wsman_send http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate \
              "$1" "" '<n:Enumerate xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"/>' |
          grep -oE 'EnumerationContext>[^<]*<' | head -n 1 |
          sed 's/^EnumerationContext>//; s/<$//')
    wsman_send http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull "$1" "" \
        "<n:Pull xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\"><n:EnumerationContext>$ctx</n:EnumerationContext><n:MaxElements>50</n:MaxElements></n:Pull>"
}

# wsman_power STATE: CIM_PowerManagementService.RequestPowerStateChange
# (2 on, 8 off, 10 cycle, 12 graceful off...); prints the ReturnValue
wsman_power() {
    local cim=http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2
    local anon=http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous

    wsman_call CIM_PowerManagementService RequestPowerStateChange \
        "$(wsman_power_service)" \
        "<p:PowerState>$1</p:PowerState><p:ManagedElement><wsa:Address>$anon</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>$cim/CIM_ComputerSystem</wsman:ResourceURI><wsman:SelectorSet>$(wsman_sel CreationClassName CIM_ComputerSystem)$(wsman_sel Name ManagedSystem)</wsman:SelectorSet></wsa:ReferenceParameters></p:ManagedElement>" |
        sed -n 's/.*ReturnValue>\([0-9][0-9]*\)<.*/\1/p'
}

# wsman_redirection_service: the SELECTORS of AMT_RedirectionService
wsman_redirection_service() {
    echo "$(wsman_sel CreationClassName AMT_RedirectionService)$(wsman_sel \
        Name "Intel(r) AMT Redirection Service")$(wsman_sel \
        SystemCreationClassName CIM_ComputerSystem)$(wsman_sel SystemName \
        "Intel(r) AMT")"
}
