#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The ME's endpoint on the guest's NIC (-device vamt,netdev=) on a LAN
# with other machines, and under attack from the wire and from the guest.
#   lan      two VMs on one bridge in a network namespace of our own (two
#            taps, a host address 192.168.77.1 on the bridge), guests on
#            static addresses .11 and .12 with busybox httpd on 80 and
#            16992, each ME told its address (nic-address=): amttool at
#            each address answers as that VM's own ME (its fw-version, its
#            NIC's MAC), query-vamt says so, ping answers (the guest while
#            it runs, the ME while it is stopped, with the NIC's MAC), the
#            guests' port 80 stays theirs and their 16992 is never reached
#   wire     a VM on -netdev dgram whose other end is tests/net/raw_peer.py
#            on 127.0.0.1, one Ethernet frame per datagram: the peer's own
#            TCP reaches the guest's httpd and the ME's Identify; frames
#            for the guest while its e1000 holds RX (1 s after each RCTL
#            write) wait and arrive, as they do without the ME; then
#            thousands of hostile frames (random bytes, truncated headers,
#            lying IP lengths, fragments to 16992, odd TCP, ARP and DHCP
#            junk, VLAN tags, IPv6) and a SYN flood of thousands of
#            half-open connections from random addresses: QMP answers at
#            once, query-vamt counts refused frames and keeps half-open and
#            established connections within 32, the peer's next handshake
#            and Identify are answered; the same with the VM stopped
#   guest    the guest floods its own NIC (tests/guest/netflood.c through
#            AF_PACKET: garbage, ARP claiming other addresses, IPv4 from
#            other sources, DHCP junk, VLAN tags): the ME keeps answering
#            the peer and keeps its static address
# Needs root (network namespaces, taps).  Every QEMU must print nothing on
# stderr.  VAMT_LAN_PARTS="lan wire" picks parts; VAMT_LAN_NO_NIC=1 runs
# without netdev= (the baseline, ME checks skipped).  Prints TAP.
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

here=$VAMT_REPO/tests/net
logs=$logs/lan
mkdir -p "$logs"
rm -f "$logs"/*.log "$logs"/*.out
t0=$SECONDS
if [ "$(id -u)" != 0 ]; then
    echo "1..0 # SKIP needs root (network namespaces, tap devices)"
    exit 0
fi
need_guest
password='P@ssw0rd'
marker=vamt-guest-httpd-7d41        # tests/guest/init's page (vamt.httpd)

# Does this QEMU have the ME's NIC endpoint?  Without it the network set-up
# and the guests are still checked; what only the ME could answer is skipped
# (VAMT_LAN_NO_NIC=1 does the same with a QEMU that has it: the baseline).
if [ -z "${VAMT_LAN_NO_NIC:-}" ] &&
   "$QEMU_BIN" -device vamt,help 2>&1 | grep -q '^  netdev='; then
    have_nic=yes
else
    have_nic=
    echo "# $QEMU_BIN has no -device vamt,netdev=: checking the set-up only"
fi
# me_check DESCRIPTION COMMAND...: check, or skipped without the endpoint
me_check() {
    if [ -n "$have_nic" ]; then
        check "$@"
    else
        tap_result ok "$1 # SKIP no -device vamt,netdev= in this QEMU"
    fi
}

# shown TEXT CHECK...: run the check (check or me_check), and when it
# failed show the last lines of TEXT (what the check looked at)
shown() {
    local text=$1 before=$tap_failures
    shift
    "$@"
    [ "$tap_failures" = "$before" ] || tail -n 12 <<< "$text" | sed 's/^/#   /'
}

scratch_vm vamt-lan start_vm_cleanup
trap 'exit 130' INT TERM HUP
# namespaces a killed run of this test left behind
for old in $(ip netns list 2> /dev/null | sed -n 's/^\(vamt-lan-[0-9]*\).*/\1/p'); do
    kill -0 "${old#vamt-lan-}" 2> /dev/null || ip netns del "$old" 2> /dev/null
done

alive() {
    kill -0 "${pids[$vm_name]}" 2> /dev/null
}
guest_up() {    # the guest's boot is over (and its httpd runs)
    has '^VAMT-GUEST: DONE' && has '^VAMT-GUEST: HTTPD'
}

# nic FIELD: that member of query-vamt's "nic" (first device); nic_json
nic() {
    qmp query-vamt | python3 -c 'import json, sys
nic = json.load(sys.stdin)["return"][0].get("nic")
if nic is not None and sys.argv[1] in nic:
    print(nic[sys.argv[1]])' "$1"
}
nic_num() {
    local v
    v=$(nic "$1")
    echo "${v:-0}"
}
nic_json() {
    qmp query-vamt | python3 -c 'import json, sys
print(json.dumps(json.load(sys.stdin)["return"][0].get("nic")))'
}
# qmp_ms: milliseconds one QMP query-status takes (9999: no answer)
qmp_ms() {
    local t=$EPOCHREALTIME s
    s=$(timeout 10 python3 "$VAMT_REPO/scripts/vamt/qmp.py" "$qmp_sock" query-status 2> /dev/null) ||
        { echo 9999; return; }
    grep -q '"status"' <<< "$s" || { echo 9999; return; }
    t=$(( (${EPOCHREALTIME/./} - ${t/./}) / 1000 ))
    echo "$t"
}

guest_kernel=(-kernel "$VAMT_GUEST/vmlinux")
# VAMT_LAN_PARTS: which parts run (default both: "lan wire")
part() {
    [[ " ${VAMT_LAN_PARTS:-lan wire} " == *" $1 "* ]]
}
guest_cmdline="console=ttyS0 quiet panic=-1"

# ===================================================================== lan ===
if part lan; then
# One namespace: bridge br0 with 192.168.77.1/24 and two taps made before
# QEMU opens them (so they are on the bridge from the first frame); QEMU,
# amttool, curl and ping all run in it.  Deleting the namespace removes it
# all.
ns=vamt-lan-$$
lan=192.168.77
nsx() {
    ip netns exec "$ns" "$@"
}
lan_setup() {
    ip netns add "$ns" &&
        nsx ip link set lo up &&
        nsx ip link add br0 type bridge &&
        nsx ip addr add "$lan.1/24" dev br0 &&
        nsx ip link set br0 up &&
        for t in 0 1; do
            nsx ip tuntap add dev "tap$t" mode tap &&
                nsx ip link set "tap$t" master br0 &&
                nsx ip link set "tap$t" up || return 1
        done
}
if ! lan_setup > "$logs/netns.log" 2>&1; then
    sed 's/^/# /' "$logs/netns.log"
    tap_bail "lan: a network namespace with a bridge and two taps"
fi

declare -A lan_ip=([a]=$lan.11 [b]=$lan.12)
declare -A lan_mac=([a]=52:54:00:77:00:11 [b]=52:54:00:77:00:12)
declare -A lan_fw=([a]=16.1.25.1111 [b]=16.0.40.2222)
declare -A lan_tap=([a]=tap0 [b]=tap1)
netns_exec=(ip netns exec "$ns")
for v in a b; do
    me=
    [ -n "$have_nic" ] && me=",netdev=n0,nic-address=${lan_ip[$v]}/24,nic-gateway=$lan.1,alert-egress=nic"
    start_vm "$v" -m 256 -serial "file:$work/$v.serial" \
        "${guest_kernel[@]}" -initrd "$VAMT_GUEST/initrd.gz" \
        -append "$guest_cmdline vamt.mode=demo vamt.net=${lan_ip[$v]} vamt.httpd=80,16992" \
        -netdev "tap,id=n0,ifname=${lan_tap[$v]},script=no,downscript=no" \
        -device "e1000,netdev=n0,mac=${lan_mac[$v]}" \
        -device "vamt,addr=16.0,fw-version=${lan_fw[$v]},admin-secret=amtpw$me"
done
netns_exec=()

export AMT_PASSWORD=$password
: > "$logs/amttool.out"
amttool_run() {         # amttool_run IP COMMAND: its answer, logged
    local out
    out=$(echo y | timeout 30 ip netns exec "$ns" amttool "$1" "$2" 2>&1)
    printf '$ amttool %s %s\n%s\n' "$1" "$2" "$out" >> "$logs/amttool.out"
    echo "$out"
}
fetch() {               # fetch URL: the body, then curl_rc=N
    local body rc
    body=$(nsx curl -s --max-time "${2:-5}" "$1")
    rc=$?
    echo "$body"
    echo "curl_rc=$rc"
}
got_page() {
    fetch "$1" | grep -qx "$marker"
}
pings() {               # pings IP: one echo answered within 5 s
    nsx busybox ping -c 1 -w 5 "$1" > /dev/null 2>&1
}
neigh_mac() {           # the bridge's ARP entry for IP
    nsx ip neigh show "$1" dev br0 | sed -n 's/.* lladdr \([0-9a-f:]*\).*/\1/p'
}

for v in a b; do
    vm "$v"
    wait_for 90 eval '! alive || guest_up'
    check "lan $v: QEMU starts on tap ${lan_tap[$v]}; the guest is up at ${lan_ip[$v]} with httpd on 80 and 16992" \
        eval 'alive && guest_up &&
              has "^VAMT-GUEST: NET eth0 ${lan_ip[$v]} driver=e1000 mac=${lan_mac[$v]}"'
    if ! alive; then
        sed 's/^/# qemu: /' "$logs/qemu-$v.log"
        tap_exit
    fi
done

for v in a b; do
    vm "$v"
    ip=${lan_ip[$v]}
    check "lan $v: ping $ip from the host's side of the bridge (the guest answers)" pings "$ip"
    t=$SECONDS
    page=$(fetch "http://$ip/")
    shown "$page" check "lan $v: the guest's own web server answers at $ip:80 ($((SECONDS - t)) s)" \
        grep -qx "$marker" <<< "$page"
    info=$(amttool_run "$ip" info)
    netinfo=$(amttool_run "$ip" netinfo)
    shown "$info" me_check "lan $v: amttool $ip info: this VM's ME (AMT version ${lan_fw[$v]%.*}), power state S0" \
        eval 'grep -qx "AMT version:  ${lan_fw[$v]%.*}" <<< "$info" &&
              grep -qx "Powerstate:   S0" <<< "$info"'
    shown "$netinfo" me_check "lan $v: amttool $ip netinfo: this VM's NIC's MAC ${lan_mac[$v]//:/-}" \
        eval 'grep -qiE "HardwareAddressDescription +${lan_mac[$v]//:/-}\$" <<< "$netinfo"'
    [ -n "$have_nic" ] && echo "# lan $v: query-vamt nic: $(nic_json)"
    me_check "lan $v: query-vamt's nic: netdev n0, MAC ${lan_mac[$v]}, address $ip/255.255.255.0, gateway $lan.1, source static" \
        eval '[ "$(nic netdev)" = n0 ] && [ "$(nic mac)" = "${lan_mac[$v]}" ] &&
              [ "$(nic address)" = "$ip" ] && [ "$(nic netmask)" = 255.255.255.0 ] &&
              [ "$(nic gateway)" = "$lan.1" ] && [ "$(nic source)" = static ]'
    page=$(fetch "http://$ip:16992/")
    me_check "lan $v: the guest's web server on 16992 is never reached (16992 is the ME's)" \
        eval '! grep -qx "$marker" <<< "$page" && ! grep -qx curl_rc=28 <<< "$page"'
done
me_check "lan: the two MEs are told apart: amttool at $lan.11 and $lan.12 gives different versions" \
    eval '[ "$(amttool_run $lan.11 info | sed -n "s/^AMT version: *//p")" != \
            "$(amttool_run $lan.12 info | sed -n "s/^AMT version: *//p")" ]'

# alerts out of the NIC: a console subscribes a listener on the bridge's
# host address (Linux's own TCP and ARP the peer) over WS-Man at a's
# address; an Agent Presence watchdog that expires raises iAMT0005, which
# the ME POSTs from a's own address and MAC (alert-egress=nic)
# alert_from LOG ADDRESS: the sink got iAMT0005 on /events from ADDRESS
alert_from() {
    python3 - "$1" "$2" <<'PY'
import json, sys
lines = [json.loads(line) for line in open(sys.argv[1])]
sys.exit(not any(r['peer'] == sys.argv[2] and r['path'] == '/events' and
                 'iAMT0005' in r['body'] and 61000 <= r['port'] <= 65535
                 for r in lines))
PY
}
alerts_delivered() {
    qmp query-vamt | python3 -c 'import json, sys
print(json.load(sys.stdin)["return"][0]["alerts"]["delivered"])'
}
if [ -n "$have_nic" ]; then
    vm a
    sink_port=$(free_port)
    sink_log=$logs/alert-sink.log
    : > "$sink_log"
    nsx python3 "$here/alert-sink.py" "$lan.1" "$sink_port" "$sink_log" \
        > "$logs/alert-sink.out" 2>&1 &
    sink_pid=$!
    wait_for 10 grep -q listening "$logs/alert-sink.out"
    wsman_via=(ip netns exec "$ns")
    wsman_host=$lan.11
    port=16992
    subscribed=$(wsman_send http://schemas.xmlsoap.org/ws/2004/08/eventing/Subscribe \
        CIM_FilterCollection "$(wsman_sel InstanceID 'Intel(r) AMT:All')" \
        "<e:Subscribe xmlns:e=\"http://schemas.xmlsoap.org/ws/2004/08/eventing\"><e:Delivery Mode=\"http://schemas.xmlsoap.org/ws/2004/08/eventing/DeliveryModes/Push\"><e:NotifyTo><wsa:Address>http://$lan.1:$sink_port/events</wsa:Address></e:NotifyTo></e:Delivery></e:Subscribe>")
    agent_id=ESIzRFVmd4iZqru8zd7v8A==
    agent_sel=$(wsman_sel DeviceID "$agent_id")
    created=$(wsman_create AMT_AgentPresenceWatchdog \
        "<p:DeviceID>$agent_id</p:DeviceID><p:TimeoutInterval>2</p:TimeoutInterval><p:GracePeriod>0</p:GracePeriod>")
    action=$(wsman_call AMT_AgentPresenceWatchdog AddAction "$agent_sel" \
        '<p:OldState>4</p:OldState><p:NewState>8</p:NewState><p:EventOnTransition>true</p:EventOnTransition>')
    registered=$(wsman_call AMT_AgentPresenceWatchdog RegisterAgent "$agent_sel" "")
    wsman_via=()
    wsman_host=127.0.0.1
    check "lan a: over WS-Man at $lan.11 a console subscribes http://$lan.1:$sink_port/events and registers an agent that never heart-beats" \
        eval 'grep -q SubscribeResponse <<< "$subscribed" && grep -q "$agent_id" <<< "$created" &&
              [ "$(xml_value ReturnValue <<< "$action")" = 0 ] &&
              [ "$(xml_value ReturnValue <<< "$registered")" = 0 ]'
    wait_for 30 grep -q iAMT0005 "$sink_log"
    sed 's/"body": "\(.\{160\}\).*/"body": "\1..."}/; s/^/# alert-sink: /' "$sink_log"
    check "lan a: the expiry's alert (iAMT0005) reaches the listener on the bridge from $lan.11, the ME's connection out of the NIC (a port of 61000-65535)" \
        alert_from "$sink_log" "$lan.11"
    check "lan a: query-vamt counts it delivered; the bridge's ARP entry for $lan.11 is the NIC's MAC" \
        eval 'wait_for 10 eval "[ \"\$(alerts_delivered)\" -ge 1 ]" &&
              [ "$(neigh_mac $lan.11)" = "${lan_mac[a]}" ]'
    kill "$sink_pid" 2> /dev/null
    wait "$sink_pid" 2> /dev/null
fi

# stopped: the guests cannot answer, their MEs do (ARP too: the cache is
# flushed first); the guests' port 80 is nobody's
for v in a b; do
    vm "$v"
    qmp stop > /dev/null
done
nsx ip neigh flush dev br0
for v in a b; do
    vm "$v"
    ip=${lan_ip[$v]}
    t=$SECONDS
    ping_out=$(nsx busybox ping -c 1 -w 5 "$ip" 2>&1; nsx ip neigh show "$ip" dev br0)
    shown "$ping_out" me_check "lan $v stopped: ping $ip is answered (by the ME), its ARP with the NIC's MAC ($((SECONDS - t)) s)" \
        eval 'state_is paused && grep -q " 1 packets received" <<< "$ping_out" &&
              [ "$(neigh_mac "$ip")" = "${lan_mac[$v]}" ]'
    t=$SECONDS
    info=$(amttool_run "$ip" info)
    shown "$info" me_check "lan $v stopped: amttool $ip info still answers as this VM's ME ($((SECONDS - t)) s)" \
        grep -qx "AMT version:  ${lan_fw[$v]%.*}" <<< "$info"
    page=$(fetch "http://$ip/" 3)
    echo "# lan $v stopped: port 80: $(tr '\n' ' ' <<< "$page")"
    check "lan $v stopped: port 80 is not the ME's (no page, no answer from it)" \
        eval '! grep -qx "$marker" <<< "$page" && ! grep -q "^HTTP\|<" <<< "$page"'
done
for v in a b; do
    vm "$v"
    qmp cont > /dev/null
done
for v in a b; do
    vm "$v"
    ip=${lan_ip[$v]}
    check "lan $v: after cont the guest answers ping and its page again" \
        eval 'wait_for 10 state_is running && wait_for 10 pings "$ip" &&
              wait_for 10 got_page "http://$ip/"'
done
for v in a b; do
    [ -n "$have_nic" ] && { vm "$v"; echo "# lan $v: query-vamt nic: $(nic_json)"; }
    quit_vm "$v"
done
ip netns del "$ns"
ns=
echo "# lan: $((SECONDS - t0)) s"
fi

# ==================================================================== wire ===
if part wire; then
# The guest's initramfs plus netflood (an extra cpio archive after it:
# Linux unpacks each in turn)
mkdir -p "$work/extra/bin"
if ! gcc -static -O2 -Wall -Werror -o "$work/extra/bin/netflood" \
        "$VAMT_REPO/tests/guest/netflood.c" 2> "$logs/netflood-build.log"; then
    sed 's/^/# /' "$logs/netflood-build.log"
    tap_bail "wire: build tests/guest/netflood.c"
fi
(cd "$work/extra" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
    gzip -1 > "$work/extra.gz"
cat "$VAMT_GUEST/initrd.gz" "$work/extra.gz" > "$work/initrd.gz"

free_udp_port() {
    python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
qport=$(free_udp_port)
pport=$(free_udp_port)
while [ "$pport" = "$qport" ]; do pport=$(free_udp_port); done
wire_ip=10.9.0.11
wire_mac=52:54:00:09:00:11
wire_fw=16.1.27.3333
peer_ip=10.9.0.1
# peer ARGS...: raw_peer.py on our end of the wire, its output logged
peer() {
    echo "\$ raw_peer $*" >> "$logs/peer.out"
    timeout 120 python3 "$here/raw_peer.py" --qemu-port "$qport" \
        --peer-port "$pport" --ip "$peer_ip" "$@" 2>> "$logs/peer.out" |
        tee -a "$logs/peer.out"
}
# identify: the peer's own TCP connection to 16992, a WS-Man Identify;
# prints raw_peer's lines
identify() {
    [ -n "$have_nic" ] || return 0
    peer --timeout "${1:-20}" http "$wire_ip" 16992 identify "$wire_mac"
}
identify_ok() {         # identify_ok OUTPUT: 200, IdentifyResponse, our ME
    grep -q '^status HTTP/1.1 200' <<< "$1" && grep -qx 'body IdentifyResponse' <<< "$1" &&
        grep -q "^header Server: .*$wire_fw" <<< "$1"
}
took() {                # took OUTPUT: raw_peer's "time" line
    sed -n 's/^time //p' <<< "$1"
}

me=
[ -n "$have_nic" ] && me=",netdev=n0,nic-address=$wire_ip/24"
mkfifo "$work/con.in" "$work/con.out"
start_vm wire -m 256 -chardev "pipe,id=con,path=$work/con" -serial chardev:con \
    "${guest_kernel[@]}" -initrd "$work/initrd.gz" \
    -append "$guest_cmdline vamt.mode=shell vamt.net=$wire_ip vamt.httpd=80" \
    -netdev "dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=$qport,remote.type=inet,remote.host=127.0.0.1,remote.port=$pport" \
    -device "e1000,netdev=n0,mac=$wire_mac" \
    -device "vamt,addr=16.0,fw-version=$wire_fw,admin-secret=amtpw$me"
cat "$work/con.out" > "$serial" &
pids[console]=$!
exec {con}<> "$work/con.in"
since=0
guest_cmd() {           # type a command into the guest's shell
    since=$(stat -c %s "$serial")
    printf '%s\n' "$1" >&"$con"
}
guest_output() {
    tail -c +"$((since + 1))" "$serial" | tr -d '\r'
}
# guest_rx: the frames the guest's eth0 has received (its statistics)
guest_rx() {
    guest_cmd "echo RX \$(cat /sys/class/net/eth0/statistics/rx_packets)"
    wait_for 10 eval 'guest_output | grep -q "^RX [0-9]"'
    guest_output | sed -n 's/^RX \([0-9]*\)$/\1/p' | head -n 1
}

wait_for 90 eval '! alive || { guest_up && guest_prompt; }'
check "wire: QEMU starts on -netdev dgram (127.0.0.1:$qport <-> $pport); the guest is up at $wire_ip with its shell and httpd" \
    eval 'alive && guest_up && guest_prompt'
if ! alive; then
    sed 's/^/# qemu: /' "$logs/qemu-wire.log"
    tap_exit
fi

out=$(peer probe "$wire_ip")
check "wire: the peer's ARP and ping on the wire are answered by the guest ($wire_mac)" \
    eval 'grep -qx "arp $wire_ip $wire_mac" <<< "$out" && grep -qx "ping $wire_ip $wire_mac" <<< "$out"'
out=$(peer --timeout 15 http "$wire_ip" 80 / "$wire_mac")
check "wire: the peer's own TCP reaches the guest's web server on port 80 (its page)" \
    eval 'grep -q "^status HTTP/1.[01] 200" <<< "$out" && grep -qx "body $marker" <<< "$out"'
out=$(identify)
shown "$out" me_check "wire: the peer's own TCP to $wire_ip:16992: Identify answered by the ME (200, IdentifyResponse, Server $wire_fw)" \
    identify_ok "$out"

# e1000 holds its RX for 1 s after each write of its RCTL register (Linux
# writes it for every change of promiscuity or multicast list): QEMU keeps
# what arrives meanwhile and delivers it after, the guest must get it all
rx0=$(guest_rx)
guest_cmd "ip link set eth0 promisc on"
sleep 0.3
peer udpburst "$wire_ip" "$wire_mac" 100 8 > /dev/null
sleep 1.5
rx1=$(guest_rx)
check "wire: 100 UDP datagrams for the guest sent during e1000's 1 s RX hold after an RCTL write (promisc on) all reach the guest ($((rx1 - rx0)) frames received)" \
    eval '[ "$((rx1 - rx0))" -ge 100 ]'

# ---- hostile frames from the wire
refused0=$(nic_num frames-refused)
taken0=$(nic_num frames-taken)
rx0=$(guest_rx)
out=$(peer garbage "$wire_ip" "$wire_mac" 6000)
echo "# wire: $(grep '^sent' <<< "$out")"
sleep 1
echo "# wire: of them the guest received $(( $(guest_rx) - rx0 )), the ME took $(( $(nic_num frames-taken) - taken0 ))"
ms=$(qmp_ms)
check "wire: the peer sent 6000 hostile frames; QEMU is alive and QMP query-status answers at once (${ms} ms)" \
    eval 'grep -q "^sent 6000 frames" <<< "$out" && alive && [ "$ms" -lt 2000 ]'
[ -n "$have_nic" ] && echo "# wire: query-vamt nic: $(nic_json)"
me_check "wire: query-vamt's nic counts the refused frames ($refused0 -> $(nic_num frames-refused))" \
    eval '[ "$(nic_num frames-refused)" -gt "$refused0" ]'
out=$(identify)
shown "$out" me_check "wire: after the hostile frames the ME answers the peer's Identify ($(took "$out") s)" \
    identify_ok "$out"
out=$(peer probe "$wire_ip")
check "wire: after the hostile frames the guest still answers ARP and ping" \
    grep -qx "ping $wire_ip $wire_mac" <<< "$out"

# ---- a SYN flood: half-open connections never completed
taken0=$(nic_num frames-taken)
rx0=$(guest_rx)
out=$(peer synflood "$wire_ip" "$wire_mac" 5000)
echo "# wire: $(tr '\n' ' ' <<< "$out")"
ms=$(qmp_ms)
half=$(nic half-open)
conns=$(nic_num connections)
[ -n "$have_nic" ] && echo "# wire: after the SYN flood: $(nic_json) (frames taken: $(( $(nic_num frames-taken) - taken0 )))"
echo "# wire: the guest received $(( $(guest_rx) - rx0 )) frames meanwhile"
check "wire: the peer sent 5000 SYNs; QEMU is alive and QMP query-status answers at once (${ms} ms)" \
    eval 'grep -q "^sent 5000 SYNs" <<< "$out" && alive && [ "$ms" -lt 2000 ]'
me_check "wire: after the SYN flood query-vamt's nic keeps connections (${conns}) and half-open (${half:-not reported}) within 32" \
    eval '[ "$conns" -le 32 ] && { [ -z "$half" ] || [ "$half" -le 32 ]; }'
out=$(identify 30)
shown "$out" me_check "wire: right after the SYN flood the peer's handshake and Identify are answered ($(took "$out") s)" \
    identify_ok "$out"

# ---- the guest floods its own NIC
# (a few seconds of it: the peer's Identify goes in the middle)
guest_cmd "netflood eth0 200000 $RANDOM"
sleep 0.5
during=$(identify)
still=no
guest_output | grep -q "^NETFLOOD sent" || still=yes
wait_for 120 eval 'guest_output | grep -q "^NETFLOOD sent"'
flood=$(guest_output | grep -E '^NETFLOOD|netflood:')
echo "# guest: $flood"
check "guest: netflood sent 200000 hostile frames from inside the guest" \
    grep -q '^NETFLOOD sent 200000 frames' <<< "$flood"
shown "$during" me_check "guest: while the guest floods (still flooding after it: $still), the ME answers the peer's Identify ($(took "$during") s)" \
    eval 'identify_ok "$during" && [ $still = yes ]'
out=$(identify)
shown "$out" me_check "guest: after the flood the ME answers the peer's Identify and keeps $wire_ip (source static)" \
    eval 'identify_ok "$out" && [ "$(nic address)" = "$wire_ip" ] && [ "$(nic source)" = static ]'
ms=$(qmp_ms)
check "guest: QEMU is alive and QMP answers at once (${ms} ms)" eval 'alive && [ "$ms" -lt 2000 ]'

# ---- the same hostile frames with the VM stopped: the ME alone answers
qmp stop > /dev/null
out=$(peer probe "$wire_ip")
me_check "wire stopped: the peer's ARP and ping are answered (by the ME) with the NIC's MAC" \
    eval 'state_is paused && grep -qx "ping $wire_ip $wire_mac" <<< "$out"'
out=$(peer garbage "$wire_ip" "$wire_mac" 3000)
peer synflood "$wire_ip" "$wire_mac" 2000 > /dev/null
out=$(identify 30)
ms=$(qmp_ms)
shown "$out" me_check "wire stopped: after 3000 hostile frames and 2000 SYNs the ME answers Identify ($(took "$out") s) and QMP at once (${ms} ms)" \
    eval 'identify_ok "$out" && [ "$ms" -lt 2000 ]'
qmp cont > /dev/null
out=$(peer --timeout 15 http "$wire_ip" 80 / "$wire_mac")
check "wire: after cont the guest's web server answers the peer again" \
    eval 'wait_for 10 state_is running && grep -qx "body $marker" <<< "$out"'
[ -n "$have_nic" ] && echo "# wire: query-vamt nic: $(nic_json)"
quit_vm wire
fi

noisy=
for f in a b wire; do
    [ -s "$logs/qemu-$f.log" ] && noisy="$noisy $f"
done
for f in $noisy; do
    sed "s/^/# qemu-$f: /" "$logs/qemu-$f.log" | head -n 20
done
check "every QEMU printed nothing on stderr${noisy:+ (not:$noisy)}" eval '[ -z "$noisy" ]'
echo "# run time: $((SECONDS - t0)) s"
tap_exit
