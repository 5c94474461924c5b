#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The ME's own TCP/IP endpoint on the guest's NIC (-device vamt,netdev=),
# as users reach it: consoles connect to the guest's address, QEMU's user
# networking forwarding a host port there (hostfwd), and the ME answers
# while the guest's own services on the same NIC keep working.
#   main     e1000 on -netdev user, the guest on DHCP with busybox httpd on
#            80, 16992, 16993 and 5900: amttool, wsl, AMT_EthernetPort-
#            Settings, a 4 KB request, query-vamt's nic through the
#            forwarded ports, the guest's page on 80 at the same time;
#            16993 (no TLS yet) reset, never the guest; 5900 (KVM's port
#            not enabled) the guest's; 16992 never the guest's
#   defense  System Defense as MeshCommander sets it up over WS-Man: the
#            guest's port 80 dropped, the ME exempt, the counters, undone
#   stopped  the same VM paused (QMP stop), then powered off by amttool
#            (S5) and on again: the ME answers all along, the guest boots;
#            then the MeshCommander scenario (tests/clients/meshcommander.js),
#            its alert listener reached from the ME's own TCP out of the
#            NIC (alert-egress=nic, to 10.0.2.2: the host's loopback)
#   prelaunch  a VM started with -S and never run: the ME's own DHCP
#            (source me-dhcp) with the NIC's MAC, and amttool answers; a
#            console's static address and a System Defense policy on it,
#            migrated: the destination's ME has both and answers
#   models   e1000e, rtl8139, virtio-net-pci (no vnet header on -netdev
#            user), in parallel: guest DHCP and amttool info; e1000e's VM
#            with kvm=on: 16994 reset, 5900 the guest's until a console
#            enables it, then the ME's RFB server (vnccapture)
#   tap      virtio-net-pci on -netdev tap,vnet_hdr=on in a network
#            namespace of its own, the guest on a static address: the ME
#            learns it from the guest's ARP, answers amttool and a 4 KB
#            request (the host's GSO frames), refuses 16993, answers ping
#            (ARP, ICMP echo) while the VM is stopped; nic-address= on a
#            VM never run
#   refused  multiqueue (tap queues=2), vhost=on (where /dev/vhost-net
#            exists), an unknown netdev: QEMU does not start
# About 100 s (two TCG vCPUs' worth of VMs at a time).
# Every QEMU that runs must print nothing on stderr.  Prints TAP.
# shellcheck disable=SC2034  # variables the checks' eval strings read
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

logs=$logs/nic
mkdir -p "$logs"
need_guest
need_clients

# the values meshcommander.js checks are tests/lib.sh's (vm_uuid, ...)
marker=vamt-guest-httpd-7d41        # tests/guest/init's page (vamt.httpd)
guest_ip=10.0.2.15                  # slirp's first DHCP address
main_mac=52:54:00:4e:49:43

scratch_vm vamt-nic start_vm_cleanup
rm -f "$logs"/qemu-*.log


# the guest image, a copy of our own: other checkouts' test runs rebuild
# the shared one in $VAMT_GUEST with their tests/guest/init
guest_copy() {
    cp "$VAMT_GUEST/initrd.gz" "$work/initrd.gz" &&
        zcat "$work/initrd.gz" | cpio -i --quiet --to-stdout init 2> /dev/null |
        cmp -s - "$VAMT_REPO/tests/guest/init"
}
for try in 1 2 3; do
    guest_copy && break
    [ "$try" = 3 ] && tap_bail "the test guest has this checkout's tests/guest/init"
    need_guest
done
guest_kernel=(-kernel "$VAMT_GUEST/vmlinux" -initrd "$work/initrd.gz")
guest_cmdline="console=ttyS0 quiet panic=-1 vamt.mode=demo"

# net_line: the guest's latest "NET eth0 ADDR driver=... mac=... by=..."
net_line() {
    grep -a '^VAMT-GUEST: NET eth0 ' "$serial" 2> /dev/null | tail -n 1 | tr -d '\r'
}
nets() {
    grep -ac '^VAMT-GUEST: NET eth0 ' "$serial" 2> /dev/null
}

# nic FIELD: that member of the first query-vamt device's "nic"
nic() {
    qmp query-vamt | python3 -c 'import json, sys
nic = json.load(sys.stdin)["return"][0].get("nic")
if nic is not None and sys.argv[1] in nic:
    print(nic[sys.argv[1]])' "$1"
}
nic_num() {     # nic_num FIELD: a counter, 0 when absent
    local v
    v=$(nic "$1")
    echo "${v:-0}"
}
nic_json() {
    qmp query-vamt | python3 -c 'import json, sys
print(json.dumps(json.load(sys.stdin)["return"][0].get("nic")))'
}

# amttool_run HOST:PORT COMMAND: amttool's answer (it asks "y" for power
# actions), also appended to $logs/amttool.out
export AMT_PASSWORD=$password
: > "$logs/amttool.out"
amttool_run() {
    local out
    out=$(echo y | timeout 30 "${netns_exec[@]}" amttool "$1" "$2" 2>&1)
    printf '$ amttool %s %s  [%s]\n%s\n' "$1" "$2" "$vm_name" "$out" >> "$logs/amttool.out"
    echo "$out"
}
# amttool_info_ok HOST:PORT STATE: amttool info shows AMT $amt_version and
# power state STATE (any, if empty)
amttool_info_ok() {
    local out
    out=$(amttool_run "$1" info)
    grep -qx "AMT version:  $amt_version" <<< "$out" &&
        grep -qE "^Powerstate: +${2:-S[0-9]}( |\$)" <<< "$out"
}
powerstate() {
    amttool_run "$1" info | sed -n 's/^Powerstate: *//p'
}

# fetch URL: curl's body and, last, its exit status (curl_rc=N)
fetch() {
    local body rc
    body=$("${netns_exec[@]}" curl -s --max-time "${2:-10}" "$1")
    rc=$?
    echo "$body"
    echo "curl_rc=$rc"
}
# got_page URL: the guest's httpd page comes back, within 3 tries of 10 s
# (a guest under TCG on a loaded machine may miss one); each miss says why
got_page() {
    local out try

    for try in 1 2 3; do
        out=$(fetch "$1")
        grep -qx "$marker" <<< "$out" && return
        echo "# $1: no page on try $try ($(tail -n 1 <<< "$out")); nic: $(nic_json)"
    done
    echo "# the guest's last lines: $(tail -n 3 "$serial" | tr -d '\r' | tr '\n' '|')"
    return 1
}

# big_get: a WS-Man Get of AMT_GeneralSettings of 4 KB (whitespace in its
# body), more than one TCP segment as consoles' larger requests are; the
# HostName in the answer
big_get() {
    wsman_send http://schemas.xmlsoap.org/ws/2004/09/transfer/Get \
        AMT_GeneralSettings "" "$(printf '%*s' 4000 '')" | xml_value HostName
}

# ---------------------------------------------------------------- main VM ---
port=$(free_port)                   # -> 16992 (lib.sh's wsman_* use $port)
http_port=$(free_port)              # -> 80
tls_port=$(free_port)               # -> 16993
rfb_port=$(free_port)               # -> 5900
pre_port=$(free_port)               # the -S VM's 16992
main_fwd="hostfwd=tcp:127.0.0.1:$port-:16992,hostfwd=tcp:127.0.0.1:$http_port-:80"
main_fwd="$main_fwd,hostfwd=tcp:127.0.0.1:$tls_port-:16993,hostfwd=tcp:127.0.0.1:$rfb_port-:5900"
t0=$SECONDS

# the VM that never runs first: it costs nothing while the main VM boots
start_vm prelaunch -serial "file:$work/prelaunch.serial" -S -m 128 \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$pre_port-:16992" \
    -device e1000,netdev=n0,mac=52:54:00:4e:49:50 \
    -device "vamt,addr=16.0,fw-version=$fw_version,admin-secret=amtpw,netdev=n0"

start_vm main -serial "file:$work/main.serial" -m "$mem_mb" -smp "$cpu_sockets,sockets=$cpu_sockets,cores=1,threads=1" \
    "${guest_kernel[@]}" -uuid "$vm_uuid" -device VGA \
    -append "$guest_cmdline vamt.net=dhcp vamt.httpd=80,16992,16993,5900" \
    -netdev "user,id=n0,$main_fwd" -device "e1000,netdev=n0,mac=$main_mac" \
    -device "vamt,addr=16.0,fw-version=$fw_version,admin-secret=amtpw,netdev=n0,alert-egress=nic"

# up: the guest's boot is over and its httpd runs, or QEMU has ended
up_or_gone() {
    ! kill -0 "${pids[$vm_name]}" 2> /dev/null ||
        { guest_settled && { [ -z "${1:-}" ] || has "$1"; }; }
}
wait_for 90 up_or_gone '^VAMT-GUEST: HTTPD'
check "main: QEMU starts with e1000 on -netdev user and -device vamt,netdev=n0; the guest gets $guest_ip by DHCP and runs httpd" \
    eval 'kill -0 ${pids[main]} && has "^VAMT-GUEST: HTTPD" &&
          [[ "$(net_line)" == "VAMT-GUEST: NET eth0 $guest_ip driver=e1000 mac=$main_mac by=dhcp" ]] &&
          state_is running'
echo "# $(net_line)"
if ! kill -0 "${pids[main]}" 2> /dev/null; then
    sed 's/^/# qemu: /' "$logs/qemu-main.log"
    tap_exit
fi

check "main: amttool info through the forwarded 16992: AMT $amt_version, power state S0" \
    amttool_info_ok "127.0.0.1:$port" S0
check "main: the guest's own web server on port 80 answers through its hostfwd" \
    got_page "http://127.0.0.1:$http_port/"

# wsl (Debian), as run-client-tests.sh drives it
wsl_home=$work/wsl
mkdir -p "$wsl_home"
printf 'WSNOSSL=true\nIPINTERACTIVE=0\nKEEPHISTORY=0\n' > "$wsl_home/.wsl-config"
printf -- '--digest\n' > "$wsl_home/.curlrc"
: > "$logs/wsl.out"
wsl_run() {
    rm -f "$wsl_home"/response*.xml
    (cd "$wsl_home" && HOME=$wsl_home CURL_HOME=$wsl_home \
        WSENDPOINT=127.0.0.1:$port WSUSER=admin WSPASS=$password \
        timeout 60 wsl "$@") >> "$logs/wsl.out" 2>&1
}
wsl_xpath() {
    xmllint --xpath "$1" "$wsl_home/response.xml" 2> /dev/null
}
wsl_run id check
check "main: wsl id check: IdentifyResponse from Intel Corporation, AMT ${amt_version%.*}" \
    eval '[ "$(wsl_xpath "string(//*[local-name()=\"ProductVendor\"])")" = "Intel Corporation" ] &&
          [ "$(wsl_xpath "string(//*[local-name()=\"ProductVersion\"])")" = "AMT ${amt_version%.*}" ]'
wsl_run enum CIM_SoftwareIdentity
check "main: wsl enum CIM_SoftwareIdentity: the AMT instance has VersionString $amt_version" \
    eval '[ "$(wsl_xpath "string(//*[local-name()=\"CIM_SoftwareIdentity\"][*[local-name()=\"InstanceID\"]=\"AMT\"]/*[local-name()=\"VersionString\"])")" = "$amt_version" ]'

eth=$(wsman_send http://schemas.xmlsoap.org/ws/2004/09/transfer/Get \
    AMT_EthernetPortSettings \
    "$(wsman_sel InstanceID 'Intel(r) AMT Ethernet Port Settings 0')" "")
eth_mac=$(xml_value MACAddress <<< "$eth")
eth_ip=$(xml_value IPAddress <<< "$eth")
echo "# AMT_EthernetPortSettings: MACAddress=$eth_mac IPAddress=$eth_ip" \
     "DHCPEnabled=$(xml_value DHCPEnabled <<< "$eth") LinkIsUp=$(xml_value LinkIsUp <<< "$eth")"
check "main: AMT_EthernetPortSettings: the NIC's MAC, IPAddress $guest_ip, DHCPEnabled and LinkIsUp true" \
    eval '[ "$(tr "[:upper:]:" "[:lower:]-" <<< "$eth_mac")" = "${main_mac//:/-}" ] &&
          [ "$eth_ip" = "$guest_ip" ] &&
          [ "$(xml_value DHCPEnabled <<< "$eth")" = true ] &&
          [ "$(xml_value LinkIsUp <<< "$eth")" = true ]'

echo "# query-vamt nic: $(nic_json)"
check "main: query-vamt's nic: netdev n0, the NIC's MAC, $guest_ip/255.255.255.0 via 10.0.2.2 from the guest's DHCP (dhcp-snoop), frames counted" \
    eval '[ "$(nic netdev)" = n0 ] && [ "$(nic mac)" = "$main_mac" ] &&
          [ "$(nic address)" = "$guest_ip" ] && [ "$(nic netmask)" = 255.255.255.0 ] &&
          [ "$(nic gateway)" = 10.0.2.2 ] && [ "$(nic source)" = dhcp-snoop ] &&
          [ "$(nic_num frames-taken)" -ge 1 ] && [ "$(nic_num frames-sent)" -ge 1 ]'
check "main: a 4 KB WS-Man request (several TCP segments) is answered (AMT_GeneralSettings' HostName)" \
    eval '[ -n "$(big_get)" ]'
# a console's connection held open is one of query-vamt's connections
exec 5<> "/dev/tcp/127.0.0.1/$port"
check "main: query-vamt's nic counts a console's open connection (1 while held, 0 once closed)" \
    eval 'wait_for 10 eval "[ \"\$(nic_num connections)\" = 1 ]" && exec 5>&- &&
          wait_for 10 eval "[ \"\$(nic_num connections)\" = 0 ]"'
exec 5>&- 2> /dev/null

# the guest's page and the ME's answers at the same time: 3 amttools and
# 5 page fetches at once (slirp's hostfwd itself, without vamt, loses one
# of 20 simultaneous connections now and then)
conc=$work/concurrent
mkdir -p "$conc"
conc_pids=()
for i in 1 2 3; do
    (amttool_info_ok "127.0.0.1:$port" S0 && touch "$conc/amt$i") &
    conc_pids+=($!)
done
for i in 1 2 3 4 5; do
    (got_page "http://127.0.0.1:$http_port/" && touch "$conc/web$i") &
    conc_pids+=($!)
done
wait "${conc_pids[@]}"
check "main: 3 amttool info and 5 fetches of the guest's page at once all succeed ($(ls "$conc" | wc -l)/8)" \
    eval '[ "$(ls "$conc" | wc -l)" = 8 ]'

rst_before=$(nic_num resets-sent)
tls=$(fetch "http://127.0.0.1:$tls_port/")
rst_after=$(nic_num resets-sent)
echo "# 16993: $(tr '\n' ' ' <<< "$tls"); resets-sent $rst_before -> $rst_after"
check "main: 16993 (no TLS yet) through its hostfwd: reset (query-vamt's resets-sent +1), never the guest's web server on 16993" \
    eval '! grep -qx "$marker" <<< "$tls" &&
          grep -qxE "curl_rc=(7|52|56)" <<< "$tls" && [ "$rst_after" -gt "$rst_before" ]'
rfb=$(fetch "http://127.0.0.1:$rfb_port/")
echo "# 5900: $(tr '\n' ' ' <<< "$rfb")"
check "main: 5900 with KVM's port not enabled passes to the guest (its web server on 5900 answers)" \
    grep -qx "$marker" <<< "$rfb"
check "main: the guest's web server on 16992 is never reached (16992 is the ME's: amttool, not the page)" \
    eval '! fetch "http://127.0.0.1:$port/" | grep -qx "$marker"'

# ------------------------------------------------------- System Defense ---
# What MeshCommander's System Defense page sends: an IP filter dropping
# what comes to the guest's TCP port 80, a policy of it, bound to the
# wired port; the guest's page is cut off, the ME still answers, the
# filter counts; unbound, the page is back
sd_id() {          # sd_id: the InstanceID of a CreateResponse on stdin
    grep -oE 'Name="InstanceID">[^<]*<' | head -n 1 |
        sed 's/^Name="InstanceID">//; s/<$//'
}
sd_keys='<p:InstanceID>0</p:InstanceID><p:CreationClassName>0</p:CreationClassName><p:SystemName>0</p:SystemName><p:SystemCreationClassName>0</p:SystemCreationClassName>'
sd_filter=$(wsman_create AMT_IPHeadersFilter "$sd_keys<p:Name>web</p:Name><p:HdrIPVersion>4</p:HdrIPVersion><p:HdrProtocolID>6</p:HdrProtocolID><p:HdrDestPortStart>80</p:HdrDestPortStart><p:HdrDestPortEnd>80</p:HdrDestPortEnd><p:FilterProfile>1</p:FilterProfile><p:FilterDirection>1</p:FilterDirection><p:ActionEventOnMatch>false</p:ActionEventOnMatch>" | sd_id)
sd_policy=$(wsman_create AMT_SystemDefensePolicy "<p:InstanceID>0</p:InstanceID><p:PolicyName>no-web</p:PolicyName><p:PolicyPrecedence>0</p:PolicyPrecedence><p:TxDefaultCount>false</p:TxDefaultCount><p:TxDefaultDrop>false</p:TxDefaultDrop><p:TxDefaultMatchEvent>false</p:TxDefaultMatchEvent><p:RxDefaultCount>false</p:RxDefaultCount><p:RxDefaultDrop>false</p:RxDefaultDrop><p:RxDefaultMatchEvent>false</p:RxDefaultMatchEvent><p:FilterCreationHandles>$sd_filter</p:FilterCreationHandles>" | sd_id)
echo "# System Defense: filter $sd_filter, policy $sd_policy"
sd_epr() {         # sd_epr CLASS-URI SELECTOR VALUE: an EPR's inner XML
    echo "<Address xmlns=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">http://schemas.xmlsoap.org/ws/2004/08/addressing</Address><ReferenceParameters xmlns=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\"><ResourceURI xmlns=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\">$1</ResourceURI><SelectorSet xmlns=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><Selector Name=\"$2\">$3</Selector></SelectorSet></ReferenceParameters>"
}
sd_bind=$(wsman_create AMT_NetworkPortSystemDefensePolicy "<p:Antecedent>$(sd_epr http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_EthernetPort DeviceID 'Intel(r) AMT Ethernet Port 0')</p:Antecedent><p:Dependent>$(sd_epr http://intel.com/wbem/wscim/1/amt-schema/1/AMT_SystemDefensePolicy InstanceID "$sd_policy")</p:Dependent>")
check "defense: a filter (guest TCP port 80, incoming, drop), a policy of it, bound to the wired port over WS-Man" \
    eval '[ -n "$sd_filter" ] && [ -n "$sd_policy" ] && grep -q CreateResponse <<< "$sd_bind"'
check "defense: the guest's page on port 80 no longer answers through its hostfwd" \
    eval '! fetch "http://127.0.0.1:$http_port/" 4 | grep -qx "$marker"'
check "defense: the ME's own traffic is exempt: amttool info still answers" \
    amttool_info_ok "127.0.0.1:$port" S0
sd_stats=$(wsman_enum AMT_ActiveFilterStatistics)
sd_count=$(xml_value ReadCount <<< "$sd_stats")
echo "# AMT_ActiveFilterStatistics ReadCount: $sd_count"
check "defense: AMT_ActiveFilterStatistics counts the dropped packets (ReadCount $sd_count > 0) and names the filter" \
    eval '[ "${sd_count:-0}" -gt 0 ] && grep -q ">web<" <<< "$sd_stats"'
check "defense: query-vamt's nic counts the frames System Defense dropped" \
    eval '[ "$(nic_num defense-dropped)" -gt 0 ]'
# the same policy as the port's default: in force once none is bound
sd_port_default=$(wsman_create AMT_NetworkPortDefaultSystemDefensePolicy "<p:Antecedent>$(sd_epr http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_EthernetPort DeviceID 'Intel(r) AMT Ethernet Port 0')</p:Antecedent><p:Dependent>$(sd_epr http://intel.com/wbem/wscim/1/amt-schema/1/AMT_SystemDefensePolicy InstanceID "$sd_policy")</p:Dependent>")
sd_unbind=$(wsman_delete AMT_NetworkPortSystemDefensePolicy "")
check "defense: with the policy as the port's default (AMT_NetworkPortDefaultSystemDefensePolicy, Active), unbinding it leaves port 80 dropped" \
    eval 'grep -q CreateResponse <<< "$sd_port_default" && grep -q DeleteResponse <<< "$sd_unbind" &&
          [ "$(wsman_enum AMT_NetworkPortDefaultSystemDefensePolicy | xml_value Active)" = true ] &&
          ! fetch "http://127.0.0.1:$http_port/" 4 | grep -qx "$marker"'
sd_undefault=$(wsman_delete AMT_NetworkPortDefaultSystemDefensePolicy "")
check "defense: removing the default policy too (Delete) gives the guest its page on port 80 back" \
    eval 'grep -q DeleteResponse <<< "$sd_undefault" && got_page "http://127.0.0.1:$http_port/"'
check "defense: the policy and the filter are deleted again" \
    eval 'wsman_delete AMT_SystemDefensePolicy "$(wsman_sel InstanceID "$sd_policy")" | grep -q DeleteResponse &&
          wsman_delete AMT_IPHeadersFilter "$(wsman_sel InstanceID "$sd_filter")" | grep -q DeleteResponse'

# ------------------------------------------------------- stopped, off, on ---
qmp stop > /dev/null
check "stopped: QMP stop pauses the VM and amttool info still answers (AMT $amt_version)" \
    eval 'state_is paused && amttool_info_ok "127.0.0.1:$port"'
echo "# stopped: amttool's power state: $(powerstate "127.0.0.1:$port")"
qmp cont > /dev/null
wait_for 10 state_is running
wait_for 60 guest_settled
amttool_run "127.0.0.1:$port" powerdown > /dev/null
check "off: amttool powerdown through the forwarded port: QEMU reports the VM shut down" \
    wait_for 15 state_is shutdown
check "off: amttool info while off: power state S5" \
    amttool_info_ok "127.0.0.1:$port" S5
before=$(boots)
nets_before=$(nets)
amttool_run "127.0.0.1:$port" powerup > /dev/null
check "on: amttool powerup: the VM runs, the guest boots, gets $guest_ip by DHCP and its page answers" \
    eval 'wait_for 15 state_is running && wait_for 60 boots_above $before &&
          [ "$(nets)" -gt "$nets_before" ] && [[ "$(net_line)" == *" $guest_ip "*by=dhcp ]] &&
          wait_for 20 got_page "http://127.0.0.1:$http_port/"'
check "on: amttool info after power-on: power state S0" \
    amttool_info_ok "127.0.0.1:$port" S0
# ---------------------------------------------------------- MeshCommander ---
# MeshCentral's AMT stack as run-client-tests.sh runs it, at the forwarded
# port: connect, pages, logs, power off/on/cycle, accounts, subscriptions.
# After the power actions above: with exactly one event-log record (this
# VM's first boot) MeshCentral's GetMessageLog reads none (amt.js iterates
# a lone RecordArray string by character), and meshcommander.js's "one
# record per boot" count would be off by that one.
mc_log=$logs/meshcommander.log
node_timeout=200 run_client meshcommander "$mc_log" VAMT_ALERT_HOST=10.0.2.2
tap_merge "main: meshcommander" "$mc_log" $?
wait_for 60 guest_settled
check "main: after MeshCommander's power actions the guest is up on DHCP again and its page answers" \
    eval 'wait_for 30 eval "[[ \"\$(net_line)\" == *\" $guest_ip \"*by=dhcp ]]" &&
          wait_for 20 got_page "http://127.0.0.1:$http_port/"'

echo "# query-vamt nic: $(nic_json)"
quit_vm main

# ------------------------------------------------------------- prelaunch ---
vm prelaunch
check "prelaunch (-S, never run): the ME gets $guest_ip by its own DHCP (source me-dhcp) with the NIC's MAC" \
    wait_for 30 eval '[ "$(nic source)" = me-dhcp ] && [ "$(nic address)" = "$guest_ip" ] &&
                      [ "$(nic mac)" = 52:54:00:4e:49:50 ]'
echo "# query-vamt nic: $(nic_json)"
check "prelaunch: amttool info through the forwarded 16992 answers (AMT $amt_version); the VM never ran" \
    eval 'amttool_info_ok "127.0.0.1:$pre_port" && state_is prelaunch && [ ! -s "$serial" ]'
echo "# prelaunch: amttool's power state: $(powerstate "127.0.0.1:$pre_port")"

# Migration: a console's static address and a bound System Defense
# policy go with the VM; the destination's ME answers at once
main_port=$port
port=$pre_port
wsman_put AMT_EthernetPortSettings "$(wsman_sel InstanceID "Intel(r) AMT Ethernet Port Settings 0")" \
    "<p:InstanceID>Intel(r) AMT Ethernet Port Settings 0</p:InstanceID><p:DHCPEnabled>false</p:DHCPEnabled><p:IPAddress>10.0.2.15</p:IPAddress><p:SubnetMask>255.255.255.0</p:SubnetMask><p:DefaultGateway>10.0.2.2</p:DefaultGateway>" > /dev/null
mig_filter=$(wsman_create AMT_Hdr8021Filter "$sd_keys<p:Name>arp-out</p:Name><p:HdrProtocolID8021>2054</p:HdrProtocolID8021><p:FilterProfile>0</p:FilterProfile><p:FilterDirection>0</p:FilterDirection><p:ActionEventOnMatch>false</p:ActionEventOnMatch>" | sd_id)
mig_policy=$(wsman_create AMT_SystemDefensePolicy "<p:InstanceID>0</p:InstanceID><p:PolicyName>moves</p:PolicyName><p:PolicyPrecedence>0</p:PolicyPrecedence><p:TxDefaultCount>false</p:TxDefaultCount><p:TxDefaultDrop>false</p:TxDefaultDrop><p:TxDefaultMatchEvent>false</p:TxDefaultMatchEvent><p:RxDefaultCount>false</p:RxDefaultCount><p:RxDefaultDrop>false</p:RxDefaultDrop><p:RxDefaultMatchEvent>false</p:RxDefaultMatchEvent><p:FilterCreationHandles>$mig_filter</p:FilterCreationHandles>" | sd_id)
wsman_create AMT_NetworkPortSystemDefensePolicy "<p:Antecedent>$(sd_epr http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_EthernetPort DeviceID 'Intel(r) AMT Ethernet Port 0')</p:Antecedent><p:Dependent>$(sd_epr http://intel.com/wbem/wscim/1/amt-schema/1/AMT_SystemDefensePolicy InstanceID "$mig_policy")</p:Dependent>" > /dev/null
check "migrate: before, the console's static address is the ME's (source static)" \
    wait_for 10 eval '[ "$(nic source)" = static ]'
qmp migrate "{\"uri\": \"exec:cat > $work/nic-migration\"}" > /dev/null
wait_for 30 eval 'qmp query-migrate | grep -q "\"completed\""'
quit_vm prelaunch
mig_port=$(free_port)
start_vm migrated -serial "file:$work/migrated.serial" -m 128 -incoming "exec:cat $work/nic-migration" \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$mig_port-:16992" \
    -device e1000,netdev=n0,mac=52:54:00:4e:49:50 \
    -device "vamt,addr=16.0,fw-version=$fw_version,admin-secret=amtpw,netdev=n0"
check "migrate: the destination's ME has the static address (10.0.2.15, source static) and answers amttool" \
    eval 'wait_for 30 eval "[ \"\$(nic source)\" = static ] && [ \"\$(nic address)\" = 10.0.2.15 ]" &&
          amttool_info_ok "127.0.0.1:$mig_port"'
port=$mig_port
check "migrate: the System Defense policy is still bound to the wired port" \
    eval 'wsman_enum AMT_NetworkPortSystemDefensePolicy | grep -qF "$mig_policy"'
port=$main_port
quit_vm migrated

# ---------------------------------------------------------------- models ---
# e1000e's VM also has KVM (kvm=on, a VGA) and the guest's httpd on 5900
# and 16994: 5900 becomes the ME's once a console enables it
declare -A model_port=()
kvm_rfb_port=$(free_port)
kvm_redir_port=$(free_port)
for model in e1000e rtl8139 virtio-net-pci; do
    model_port[$model]=$(free_port)
    extra=() fwd='' dev=''
    if [ "$model" = e1000e ]; then
        extra=(-device VGA -append "$guest_cmdline vamt.net=dhcp vamt.httpd=5900,16994")
        fwd=",hostfwd=tcp:127.0.0.1:$kvm_rfb_port-:5900,hostfwd=tcp:127.0.0.1:$kvm_redir_port-:16994"
        dev=,kvm=on
    else
        extra=(-append "$guest_cmdline vamt.net=dhcp")
    fi
    start_vm "$model" -serial "file:$work/$model.serial" -m 256 "${guest_kernel[@]}" "${extra[@]}" \
        -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:${model_port[$model]}-:16992$fwd" \
        -device "$model,netdev=n0" \
        -device "vamt,addr=16.0,fw-version=$fw_version,admin-secret=amtpw,netdev=n0$dev"
done
declare -A model_driver=([e1000e]=e1000e [rtl8139]=8139cp [virtio-net-pci]=virtio_net)
for model in e1000e rtl8139 virtio-net-pci; do
    vm "$model"
    check "$model: the guest (${model_driver[$model]}) gets $guest_ip by DHCP" \
        eval 'wait_for 120 up_or_gone && guest_settled &&
              [[ "$(net_line)" == "VAMT-GUEST: NET eth0 $guest_ip driver=${model_driver[$model]} "*by=dhcp ]]'
    check "$model: amttool info through the forwarded 16992: AMT $amt_version, S0; query-vamt's address $guest_ip" \
        eval 'amttool_info_ok "127.0.0.1:${model_port[$model]}" S0 &&
              [ "$(nic address)" = "$guest_ip" ]'
    echo "# $model: $(net_line); nic: $(nic_json)"
done

# KVM's port 5900 on the NIC (e1000e's VM), a VNC viewer through hostfwd
vm e1000e
main_port=$port
port=${model_port[e1000e]}
rfb_password='Vnc@pw01'
check "e1000e (kvm=on): 5900 reaches the guest's web server while KVM's 5900 port is not enabled" \
    got_page "http://127.0.0.1:$kvm_rfb_port/"
redir=$(fetch "http://127.0.0.1:$kvm_redir_port/")
echo "# 16994: $(tr '\n' ' ' <<< "$redir")"
check "e1000e: 16994 (no SOL or IDE-R) is reset by the ME, never the guest's web server on 16994" \
    eval '! grep -qx "$marker" <<< "$redir" && grep -qxE "curl_rc=(7|52|56)" <<< "$redir"'
reply=$(wsman_put IPS_KVMRedirectionSettingData \
    "$(wsman_sel InstanceID 'Intel(r) KVM Redirection Settings')" \
    "<p:Is5900PortEnabled>true</p:Is5900PortEnabled><p:RFBPassword>$rfb_password</p:RFBPassword>")
# rfb_banner PORT: the first 12 bytes a server sends on connect
rfb_banner() {
    timeout 5 bash -c 'exec 3<> "/dev/tcp/127.0.0.1/$1"; head -c 12 <&3' _ "$1" 2> /dev/null
}
check "e1000e: once a console enables 5900 (Is5900PortEnabled, RFBPassword), 5900 through hostfwd is the ME's RFB server" \
    eval '! grep -q Fault <<< "$reply" &&
          wait_for 10 eval "[ \"\$(rfb_banner $kvm_rfb_port)\" = \"RFB 003.008\" ]"'
timeout 30 vnccapture -H 127.0.0.1 -p "$kvm_rfb_port" -P "$rfb_password" \
    -o "$work/kvm.png" -v > "$logs/vnccapture.log" 2>&1
check "e1000e: vnccapture through the forwarded 5900 logs in with the RFB password and saves the screen" \
    eval '[ -s "$work/kvm.png" ] && file "$work/kvm.png" | grep -q "PNG image"'
port=$main_port
for model in e1000e rtl8139 virtio-net-pci; do
    quit_vm "$model"
done

# ------------------------------------------------------------------- tap ---
# a network namespace of our own: the tap, its host address and every
# client run there, nothing of the host's network touched
ns=vamt-nic-$$
tap_ip=10.77.0.1
tap_guest=10.77.0.15
if ip netns add "$ns" 2> "$logs/netns.err" && ip netns exec "$ns" ip link set lo up; then
    netns_exec=(ip netns exec "$ns")
    start_vm tap -serial "file:$work/tap.serial" -m 256 "${guest_kernel[@]}" \
        -append "$guest_cmdline vamt.net=$tap_guest vamt.httpd=80,16993" \
        -netdev tap,id=t0,ifname=vamtt0,script=no,downscript=no,vnet_hdr=on \
        -device virtio-net-pci,netdev=t0,mac=52:54:00:4e:49:51 \
        -device "vamt,addr=16.0,fw-version=$fw_version,admin-secret=amtpw,netdev=t0"
    wait_for 10 "${netns_exec[@]}" ip link show vamtt0 > /dev/null 2>&1
    "${netns_exec[@]}" ip addr add "$tap_ip/24" dev vamtt0
    "${netns_exec[@]}" ip link set vamtt0 up
    check "tap: virtio-net-pci on -netdev tap,vnet_hdr=on: the guest is up on $tap_guest" \
        eval 'wait_for 120 up_or_gone && guest_settled &&
              [[ "$(net_line)" == "VAMT-GUEST: NET eth0 $tap_guest driver=virtio_net "* ]]'
    check "tap: the guest's page answers at $tap_guest:80" got_page "http://$tap_guest/"
    check "tap: amttool info at $tap_guest:16992: AMT $amt_version, S0" \
        amttool_info_ok "$tap_guest:16992" S0
    check "tap: query-vamt's nic learned $tap_guest from the guest's traffic (source arp or traffic)" \
        eval '[ "$(nic address)" = "$tap_guest" ] && [[ "$(nic source)" =~ ^(arp|traffic)$ ]]'
    echo "# tap nic: $(nic_json)"
    # lib.sh's wsman_* send to 127.0.0.1:$port: curl in the namespace,
    # connected to the tap guest's 16992 instead
    curl() {
        "${netns_exec[@]}" curl --connect-to "127.0.0.1:$port:$tap_guest:16992" "$@"
    }
    eth=$(wsman_send http://schemas.xmlsoap.org/ws/2004/09/transfer/Get \
        AMT_EthernetPortSettings \
        "$(wsman_sel InstanceID 'Intel(r) AMT Ethernet Port Settings 0')" "")
    check "tap: AMT_EthernetPortSettings at $tap_guest: the NIC's MAC and IPAddress $tap_guest" \
        eval '[ "$(tr "[:upper:]:" "[:lower:]-" <<< "$(xml_value MACAddress <<< "$eth")")" = 52-54-00-4e-49-51 ] &&
              [ "$(xml_value IPAddress <<< "$eth")" = "$tap_guest" ]'
    # virtio-net with a vnet header takes the host's TCP segmentation
    # offload: the host's kernel sends a console's request of more than
    # one segment as one large (GSO) frame
    big=$(big_get)
    check "tap: a 4 KB WS-Man request (several TCP segments, one GSO frame from the host) is answered, not reset" \
        eval '[ -n "$big" ]'
    unset -f curl
    check "tap: once the consoles' connections are closed, query-vamt's nic counts none open" \
        wait_for 10 eval '[ "$(nic_num connections)" = 0 ]'
    echo "# tap nic: $(nic_json)"
    tls=$(fetch "http://$tap_guest:16993/")
    echo "# tap 16993: $(tr '\n' ' ' <<< "$tls")"
    check "tap: $tap_guest:16993 is refused (connection refused), never the guest's web server there" \
        eval '! grep -qx "$marker" <<< "$tls" && grep -qx curl_rc=7 <<< "$tls"'
    qmp stop > /dev/null
    "${netns_exec[@]}" ip neigh flush dev vamtt0
    ping_out=$("${netns_exec[@]}" busybox ping -c 2 -W 3 "$tap_guest" 2>&1)
    echo "# tap stopped: $(grep -E 'transmitted' <<< "$ping_out")"
    check "tap: VM stopped: $tap_guest still answers ARP and ping, and amttool info answers" \
        eval 'state_is paused && grep -qE " [12] packets received" <<< "$ping_out" &&
              amttool_info_ok "$tap_guest:16992"'
    quit_vm tap

    # nic-address= and nic-gateway=: the ME's address given, no guest ever
    start_vm tap-static -serial "file:$work/tap-static.serial" -S -m 128 \
        -netdev tap,id=t0,ifname=vamtt1,script=no,downscript=no \
        -device e1000,netdev=t0,mac=52:54:00:4e:49:52 \
        -device "vamt,addr=16.0,fw-version=$fw_version,admin-secret=amtpw,netdev=t0,nic-address=10.78.0.16/24,nic-gateway=10.78.0.1"
    wait_for 10 "${netns_exec[@]}" ip link show vamtt1 > /dev/null 2>&1
    "${netns_exec[@]}" ip addr add 10.78.0.1/24 dev vamtt1
    "${netns_exec[@]}" ip link set vamtt1 up
    echo "# tap-static nic: $(nic_json)"
    ping_out=$("${netns_exec[@]}" busybox ping -c 1 -W 3 10.78.0.16 2>&1)
    check "tap: nic-address=10.78.0.16/24 on a VM never run: source static, ping and amttool info answer there" \
        eval '[ "$(nic source)" = static ] && [ "$(nic address)" = 10.78.0.16 ] &&
              [ "$(nic netmask)" = 255.255.255.0 ] && [ "$(nic gateway)" = 10.78.0.1 ] &&
              grep -q " 1 packets received" <<< "$ping_out" &&
              amttool_info_ok 10.78.0.16:16992'
    quit_vm tap-static
    netns_exec=()

    # ------------------------------------------------------- refused ---
    # QEMU must stop at start-up with a message about the problem
    refused() {     # refused NAME QEMU-OPTIONS...: QEMU exits non-zero
        local name=$1
        shift
        timeout 30 ip netns exec "$ns" "$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg \
            -nodefaults -display none -S "$@" > "$logs/qemu-$name.log" 2>&1
        refused_rc=$?
        sed "s/^/# $name: /" "$logs/qemu-$name.log"
        [ "$refused_rc" != 0 ] && [ "$refused_rc" != 124 ]
    }
    check "refused: -netdev tap,queues=2 with virtio-net mq=on: QEMU does not start and says multiqueue is not supported" \
        eval 'refused multiqueue -netdev tap,id=t0,ifname=vamtmq0,script=no,downscript=no,queues=2 \
                  -device virtio-net-pci,netdev=t0,mq=on,vectors=6 -device vamt,addr=16.0,netdev=t0 &&
              grep -qiE "vamt|netdev" "$logs/qemu-multiqueue.log" &&
              grep -qiE "multi-?queue|queues" "$logs/qemu-multiqueue.log"'
    if [ -c /dev/vhost-net ]; then
        check "refused: -netdev tap,vhost=on: QEMU does not start and says vhost is not supported" \
            eval 'refused vhost -netdev tap,id=t0,ifname=vamtvh0,script=no,downscript=no,vhost=on \
                      -device virtio-net-pci,netdev=t0 -device vamt,addr=16.0,netdev=t0 &&
                  grep -qiE "vamt|netdev" "$logs/qemu-vhost.log" && grep -qi vhost "$logs/qemu-vhost.log"'
    else
        tap_result ok "refused: -netdev tap,vhost=on # SKIP no /dev/vhost-net here: tap's vhost=on fails in QEMU's tap backend before -device vamt exists"
    fi
else
    sed 's/^/# /' "$logs/netns.err"
    tap_result ok "tap: virtio-net with a vnet header, ping while stopped, multiqueue refused # SKIP no network namespace (ip netns add: needs root)"
fi
check "refused: -device vamt,netdev= naming no netdev: QEMU does not start and names it" \
    eval '! timeout 30 "$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -nodefaults -display none -S \
              -device vamt,addr=16.0,netdev=nosuch > "$logs/qemu-nosuch.log" 2>&1 &&
          grep -q nosuch "$logs/qemu-nosuch.log"'
sed 's/^/# nosuch: /' "$logs/qemu-nosuch.log"

# ------------------------------------------------------------------ stderr ---
noisy=
for f in main prelaunch e1000e rtl8139 virtio-net-pci tap tap-static; do
    [ -s "$logs/qemu-$f.log" ] && noisy="$noisy $f"
done
for f in $noisy; do
    sed "s/^/# qemu-$f: /" "$logs/qemu-$f.log" | head -n 20
done
check "every QEMU that ran printed nothing on stderr${noisy:+ (not:$noisy)}" \
    eval '[ -z "$noisy" ]'
echo "# run time: $((SECONDS - t0)) s"
tap_exit
