#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Re-record the console request captures in tests/captures from the real
# clients, against the stand-in tests/captures/record-server.py on
# 127.0.0.1 (see tests/captures/README.md for what it re-records and
# what it does not).  Not part of the test suite: run it by hand, then
# review the diff.
#
# usage: tests/captures/record.sh [-o DIR] [-p PORT] [SCENARIO...]
#   -o DIR    write DIR/SCENARIO/ (default: tests/captures, replacing;
#             node-* default to build/captures, never to tests/captures)
#   -p PORT   the stand-in's port (default: a free one).  Host headers and
#             wsl's wsa:To carry it: -p 16992 gives the committed bytes.
#   SCENARIO  amttool-info amttool-powerup amttool-netinfo amttool-badpass
#             wsl-basic wsl-identify wsl-enum wsl-get wsl-invoke (default:
#             all of these), or node-meshcommander / node-wsman-messages:
#             run that tests/clients scenario against the stand-in and
#             keep what it sent (it stops where the stand-in's answers
#             are too thin; the scenario's TAP output is DIR/SCENARIO.log)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

out=
port=0
while getopts o:p: opt; do
    case $opt in
    o) out=$OPTARG ;;
    p) port=$OPTARG ;;
    *) sed -n '3,20s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
scenarios=("$@")
if [ ${#scenarios[@]} = 0 ]; then
    scenarios=(amttool-info amttool-powerup amttool-netinfo amttool-badpass
               wsl-basic wsl-identify wsl-enum wsl-get wsl-invoke)
fi

password='P@ssw0rd'
scratch=$(mktemp -d "${TMPDIR:-/tmp}/vamt-record.XXXXXX")
server_pid=
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=
    fi
}
trap 'stop_server; rm -rf "$scratch"' EXIT

# start_server DIR [ARGS...]: the stand-in, recording into DIR; sets $addr
start_server() {
    local dir=$1 _
    shift
    rm -rf "$dir"
    python3 "$here/record-server.py" "$dir" --port "$port" "$@" \
        > "$scratch/server.out" 2> "$scratch/server.err" &
    server_pid=$!
    for _ in $(seq 200); do
        grep -q '^PORT ' "$scratch/server.out" && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    addr=127.0.0.1:$(sed -n 's/^PORT //p' "$scratch/server.out")
    if [ "$addr" = 127.0.0.1: ]; then
        echo "record: the stand-in did not start" >&2
        cat "$scratch/server.err" >&2
        stop_server
        return 1
    fi
}

need() {
    command -v "$1" > /dev/null ||
        { echo "record: $1 is missing (apt-get install $2)" >&2; exit 1; }
}

# wsl_in HOME-DIR ARGS...: Debian's wsl with its own config (no SSL, no
# prompts) against $addr; the .curlrc in HOME-DIR decides Digest or Basic
wsl_in() {
    local home=$1
    shift
    printf 'WSNOSSL=true\nIPINTERACTIVE=0\nKEEPHISTORY=0\n' > "$home/.wsl-config"
    (cd "$home" && HOME=$home CURL_HOME=$home WSENDPOINT=$addr WSUSER=admin \
        WSPASS=$password timeout 60 wsl "$@") > "$scratch/client.log" 2>&1
}

record() {
    local name=$1 dir=${out:-$here}/$1 home
    case $name in
    amttool-*) need amttool amtterm ;;
    wsl-*) need wsl wsl; need curl curl ;;
    node-*) need node nodejs ;;
    *) echo "record: no scenario $name" >&2; return 1 ;;
    esac
    home=$scratch/home-$name
    mkdir -p "$home"
    case $name in
    node-*)
        dir=${out:-$repo/build/captures}/$name
        mkdir -p "${dir%/*}"
        : > "$scratch/serial.log"
        start_server "$dir" --qmp "$scratch/qmp.sock" || return 1
        VAMT_PORT=${addr##*:} VAMT_PASSWORD=$password \
        VAMT_UUID=3f2504e0-4f89-41d3-9a0c-0305e82c3301 \
        VAMT_FW_VERSION=16.1.25.1234 VAMT_MEM_MB=384 VAMT_CPU_SOCKETS=2 \
        VAMT_QMP=$scratch/qmp.sock VAMT_SERIAL=$scratch/serial.log \
        VAMT_NODE_MODULES=${VAMT_CACHE:-/var/cache/vamt}/node/node_modules \
            timeout 60 node "$repo/tests/clients/${name#node-}.js" \
            > "$dir.log" 2>&1
        ;;
    *)
        start_server "$dir" || return 1
        ;;
    esac
    case $name in
    amttool-info)
        AMT_PASSWORD=$password timeout 60 amttool "$addr" info ;;
    amttool-powerup)
        echo y | AMT_PASSWORD=$password timeout 60 amttool "$addr" powerup ;;
    amttool-netinfo)
        AMT_PASSWORD=$password timeout 60 amttool "$addr" netinfo ;;
    amttool-badpass)
        AMT_PASSWORD=not-the-password timeout 60 amttool "$addr" info ;;
    wsl-basic)
        wsl_in "$home" id check ;;
    wsl-*)
        printf -- '--digest\n' > "$home/.curlrc" ;;&
    wsl-identify)
        wsl_in "$home" id check ;;
    wsl-enum)
        wsl_in "$home" enum CIM_SoftwareIdentity ;;
    wsl-get)
        wsl_in "$home" get \
            http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings \
            "InstanceID=Intel(r) AMT: General Settings" ;;
    wsl-invoke)
        wsl_in "$home" invoke CIM_PowerManagementService \
            RequestPowerStateChange PowerState=2 ;;
    esac > "$scratch/client.log" 2>&1
    stop_server
    echo "record: $name: $(wc -l < "$dir/index.txt") requests in $dir"
}

rc=0
for s in "${scenarios[@]}"; do
    record "$s" || rc=1
done
exit $rc
