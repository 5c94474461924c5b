#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# MeshCmd in the test guest: sourced by init with vamt.meshcmd=NAME.
#   info   MeshCmd's AmtInfo, once (the demo VM)
#   bench  bench/lme/run.sh: wsman-bench through meiclient's minimal LMS
#          (LME) and through the NIC to the host's listen= port
#          (vamt.bench-port=)
#   test   the run tests/guest/run-meshcmd-test.sh checks from outside:
#          information, versions, hashes, UUID and network; host-based
#          activation (CCM); MicroLMS serving WS-Man inside the guest;
#          an Agent Presence heartbeat that then stops; deactivation
# init sets $meshcmd_scenario.  Each MeshCmd run prints its output as
# "MESHCMD NAME: ..." and then "VAMT-GUEST: MESHCMD NAME rc=N".

mc_bin=/opt/meshcmd/meshcmd
password='P@ssw0rd'
# MeshCmd --agent takes a GUID; the host creates the watchdog for it
agent=B4B6A24C-255E-A75C-F5E8-B00B4D946AA7

# mc NAME SECONDS ARGS...: one MeshCmd run, its output on the console
mc() {
    local name=$1 seconds=$2 rc
    shift 2
    timeout "$seconds" "$mc_bin" "$@" > "/tmp/mc.$name" 2>&1 < /dev/null
    rc=$?
    tr -d '\r' < "/tmp/mc.$name" | sed "s/^/MESHCMD $name: /"
    mark "MESHCMD $name rc=$rc"
}

# what MeshCmd needs of a system: ptys, shared memory, loopback, a name
meshcmd_setup() {
    mkdir -p /dev/pts /dev/shm
    mount -t devpts devpts /dev/pts 2> /dev/null
    mount -t tmpfs tmpfs /dev/shm 2> /dev/null
    ifconfig lo 127.0.0.1 up
    hostname mcguest
}

meshcmd_test() {
    local i lms identify
    mc info-pre 60 AmtInfo
    mc versions 60 AmtVersions
    mc hashes 60 AmtHashes
    mc info-json 60 AmtInfo --json
    mc ccm 90 AmtCCM --password "$password"
    mc info-ccm 60 AmtInfo
    mc uuid 60 AmtUUID --user admin --pass "$password"
    mc network 60 AmtNetwork --pass "$password"

    start_microlms
    identify='<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:w="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><w:Identify/></s:Body></s:Envelope>'
    # stdin stays open until the answer is in: busybox nc may end at its
    # EOF; the ME closes the channel after the answer (Connection: close)
    { printf 'POST /wsman HTTP/1.1\r\nHost: 127.0.0.1:16992\r\nConnection: close\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: %s\r\n\r\n%s' \
          "${#identify}" "$identify"; sleep 10; } |
        timeout 30 nc 127.0.0.1 16992 > /tmp/identify 2>&1
    mark "MICROLMS identify status=$(head -n 1 /tmp/identify | tr -d '\r')" \
         "response=$(grep -c IdentifyResponse /tmp/identify)" \
         "version=$(sed -n 's/.*<[a-z0-9]*:ProductVersion>\([^<]*\)<.*/\1/p' /tmp/identify)"
    # mcguest is 127.0.0.1: MeshCmd then uses that LMS as a console would
    mc uuid-lms 60 AmtUUID --host mcguest --user admin --pass "$password"
    mc hashes-lms 60 AmtHashes --host mcguest --user admin --pass "$password"
    kill "$lms"
    wait "$lms" 2> /dev/null

    # Agent Presence: heartbeats while MeshCmd runs, none after.  Its
    # RegisterAgent used to hang now and then: MeshCmd's LMS answers the
    # ME's CLOSE of a channel with a stray CLOSE, which ended the next
    # channel while the ME reused channel ids (fixed in apf.c).  A run
    # that has not asserted presence within 60 s, or has given up, is
    # still started again, at most three times, and the log shows how far
    # it got (run-meshcmd-test.sh prints it).  --debug 1 has MeshCmd print
    # each heartbeat's outcome.
    for try in 1 2 3; do
        mark "MESHCMD presence try $try uptime=$(cut -d' ' -f1 /proc/uptime)"
        "$mc_bin" AmtPresence --agent "$agent" --user admin \
            --pass "$password" --debug 1 > /tmp/mc.presence 2>&1 < /dev/null &
        lms=$!
        i=0
        while [ $i -lt 120 ] && kill -0 "$lms" 2> /dev/null &&
              ! grep -q "Asserting presence" /tmp/mc.presence; do
            sleep 0.5
            i=$((i + 1))
        done
        grep -q "Asserting presence" /tmp/mc.presence && break
        tr -d '\r' < /tmp/mc.presence | sed "s/^/MESHCMD presence try $try: /"
        mark "MESHCMD presence try $try stuck or ended, starting it again"
        kill "$lms"
        wait "$lms" 2> /dev/null
    done
    mark "MESHCMD presence running uptime=$(cut -d' ' -f1 /proc/uptime)"
    sleep 35
    kill "$lms"
    wait "$lms" 2> /dev/null
    tr -d '\r' < /tmp/mc.presence | sed 's/^/MESHCMD presence: /'
    mark "MESHCMD presence stopped uptime=$(cut -d' ' -f1 /proc/uptime)"
    # the host sees the expiry, then MeshCmd deactivates (CCM)
    sleep 25
    mc deactivate 60 AmtDeactivate
    mc info-after 60 AmtInfo
    mark "MESHCMD done"
}

# MicroLMS: MeshCmd's LMS, WS-Man on 127.0.0.1:16992 for the guest
start_microlms() {
    local i=0
    "$mc_bin" MicroLMS > /tmp/mc.lms 2>&1 < /dev/null &
    lms=$!
    while [ $i -lt 120 ] && ! grep -q "MicroLMS started" /tmp/mc.lms; do
        sleep 0.5
        i=$((i + 1))
    done
    tr -d '\r' < /tmp/mc.lms | sed 's/^/MESHCMD microlms: /'
}

# The same client and requests both ways: through meiclient's minimal
# LMS (LME), then through the NIC to the host's listen= port
meshcmd_bench() {
    local port arg relay i=0
    for arg in $(cat /proc/cmdline); do
        case $arg in vamt.bench-port=*) port=${arg#vamt.bench-port=} ;; esac
    done
    meiclient lms 16990 > /tmp/lms.out 2>&1 &
    relay=$!
    while [ $i -lt 100 ] && ! grep -q "LMS listening" /tmp/lms.out; do
        sleep 0.1
        i=$((i + 1))
    done
    wsman-bench 127.0.0.1 16990 admin "$password" 2>&1 | sed 's/^/BENCH lme: /'
    kill "$relay"
    wsman-bench 10.0.2.2 "$port" admin "$password" 2>&1 | sed 's/^/BENCH nic: /'
    mark "BENCH done"
}

meshcmd_setup
case $meshcmd_scenario in
bench) meshcmd_bench ;;
info) mc info 60 AmtInfo ;;
test) meshcmd_test ;;
esac
