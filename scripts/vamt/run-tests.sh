#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The whole vAMT test suite: builds what it needs (scripts/vamt/build.sh),
# then runs each layer and prints one TAP line per test and a closing
# "N passed, N failed" line.  Exit status 0 only when nothing failed.
#
#   unit      the ME core standalone (root meson.build), ASan + UBSan
#   qtest-*   tests/qtest/vamt-{heci,web,nvram}-test.c against the built QEMU
#   adversary attacks on running QEMUs (tests/adversary/attack.py): Digest
#             bypass and replay, malformed HTTP, XML bombs, slow and many
#             connections, descriptor exhaustion, RMCP garbage and ping
#             floods, random MMIO, hostile NVRAM files and migration streams
#   qemu      properties, docs and style checks on the built tree
#   guest     Debian's kernel with mei_me in a busybox guest under TCG
#   watchdog  the AMT watchdog left unfed through /dev/watchdog expires:
#             QMP and the event log (in the background: it waits 120 s)
#   boot      one-time PXE/CD/disk boots through the ME, seen by SeaBIOS
#   power     graceful off (ACPI power button) and on through WS-Management
#   sol       Serial-over-LAN with Debian's amtterm 1.4 against a booted guest
#   ider      IDE-R: Linux reads a console's ISO, SeaBIOS boots it
#   mcsol mcider  the same with MeshCentral's own redirection modules
#   kvmguest  the KVM test guest's screens and input (kvmguest), by QMP
#   mckvm     MeshCommander's own KVM viewer (amt-desktop) through KVMR:
#             frames equal screendump, keys, tablet clicks, mode changes
#   kvmvnc    KVM on port 5900 with vnccapture and vncsnapshot: the RFB
#             password, power off/on, user consent, the port switched off
#   clients   real consoles, unmodified, against a running VM: MeshCentral's
#             AMT stack and network scanner, wsman-messages, amttool, wsl
#   tls       the same consoles over TLS on 16993 (tls-creds=), checking
#             the ME's certificate; openssl and gnutls-cli: TLS 1.2/1.3
#             only, idle and garbage handshakes, QEMU's refusals
#   nic       the ME on the guest's NIC (netdev=): amttool, wsl and the
#             MeshCommander sequence through libslirp's hostfwd to the
#             guest's IP, the VM running, stopped, off and never started,
#             e1000/e1000e/rtl8139/virtio-net, tap with a virtio header,
#             the guest's own port 80, refusals
#   lan       two VMs on one bridge (taps in a network namespace), each
#             answering as its own ME at its own address; a raw Ethernet
#             peer on -netdev dgram flooding garbage and SYNs; a guest
#             flooding its own NIC: the ME answers, QEMU lives
#   meshcmd   MeshCentral's agent binary running MeshCmd inside the guest:
#             AMT information, host-based activation, MicroLMS, Agent
#             Presence, deactivation, checked over WS-Man and QMP
#   libvirt   Debian's libvirt runs the VM from domain XML; amttool powers
#             it off (power-off-mode=stop) and on
set -uo pipefail
. "$(dirname "$0")/common.sh"

logs=${VAMT_TEST_LOGS:-$VAMT_REPO/build/test-logs}
mkdir -p "$logs"
passed=0
failed=0
skipped=0
# every failing line again at the end: CI may show only the last lines
failures=()

# Print and count the ok / not ok lines of $logs/SUITE.log, the output of
# a command that ended with status RC.  A command that fails without
# reporting a failing test counts as one failure.
report_tap() {
    local suite=$1 rc=$2
    local log=$logs/$suite.log ok notok

    grep -E '^(not )?ok ' "$log" | sed "s/^/[$suite] /"
    # a skipped test is reported, never counted as passed
    ok=$(grep -E '^ok ' "$log" | grep -vc '# SKIP')
    skipped=$((skipped + $(grep -E '^ok ' "$log" | grep -c '# SKIP')))
    notok=$(grep -cE '^not ok ' "$log")
    if [ "$rc" != 0 ] && [ "$notok" = 0 ]; then
        notok=1
        echo "[$suite] not ok - $suite exited with status $rc"
        failures+=("[$suite] not ok - $suite exited with status $rc")
    fi
    # with the diagnostics that follow each, a few lines at most
    while IFS= read -r line; do
        failures+=("[$suite] $line")
    done < <(awk '/^not ok / { print; n = 4; next }
                  n > 0 && /^#/ { print; n--; next } { n = 0 }' "$log")
    if [ "$notok" != 0 ] || [ "$rc" != 0 ]; then
        echo "# $suite failed; last lines of $log:"
        tail -n 30 "$log" | sed 's/^/#   /'
    fi
    passed=$((passed + ok))
    failed=$((failed + notok))
}

# run_tap SUITE COMMAND...: run one TAP-producing command and report it
run_tap() {
    local suite=$1
    shift

    echo "# --- $suite: $*"
    "$@" > "$logs/$suite.log" 2>&1
    report_tap "$suite" $?
}

# start_tap SUITE COMMAND...: run it in the background (a test that mostly
# waits) while the others run; finish_tap SUITE waits for it and reports
declare -A background_pid
start_tap() {
    local suite=$1
    shift

    echo "# --- $suite (in the background): $*"
    "$@" > "$logs/$suite.log" 2>&1 &
    background_pid[$suite]=$!
}
finish_tap() {
    local rc

    wait "${background_pid[$1]}"
    rc=$?
    echo "# --- $1: collected"
    report_tap "$1" "$rc"
}

if ! "$VAMT_REPO/scripts/vamt/build.sh" > "$logs/build.log" 2>&1; then
    tail -n 40 "$logs/build.log"
    echo "0 passed, 1 failed"
    exit 1
fi

unit_build=$VAMT_REPO/build/unit
if [ ! -f "$unit_build/build.ninja" ]; then
    meson setup "$unit_build" "$VAMT_REPO" > "$logs/unit-setup.log" 2>&1
fi
if ninja -C "$unit_build" > "$logs/unit-build.log" 2>&1; then
    for t in $(find "$unit_build/tests/unit" -name 'test-*' -type f \
                   -perm -u+x | sort); do
        run_tap "unit-${t##*/}" "$t" --tap
    done
else
    tail -n 40 "$logs/unit-build.log"
    failed=$((failed + 1))
    failures+=("[unit] the unit tests did not build")
fi

# libFuzzer smoke runs of the core (clang only; gcc has no libFuzzer)
fuzz_build=$VAMT_REPO/build/fuzz
if command -v clang > /dev/null; then
    [ -f "$fuzz_build/build.ninja" ] ||
        CC=clang meson setup "$fuzz_build" "$VAMT_REPO" \
            > "$logs/fuzz-setup.log" 2>&1
    # the whole core and its tests under clang too: its warnings differ
    fuzz_core() {
        local t seconds=12
        local targets="fuzz-web fuzz-http-auth fuzz-wsman-auth fuzz-eoi-auth
                       fuzz-nvram fuzz-state"
        local corpus=$fuzz_build/corpus

        # One short pass of a target: a TAP line with the runs libFuzzer did
        fuzz_pass() {
            local n=$1 target=$2 seconds=$3 runs
            local log=$fuzz_build/fuzz-pass-$n.log
            shift 3

            # any sanitizer report ends the run as a failure
            if UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
               "$fuzz_build/tests/fuzz/$target" -seed=1 \
                   -max_total_time="$seconds" "$@" > "$log" 2>&1 &&
               ! grep -q 'runtime error:' "$log"; then
                runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")
                echo "ok $n - $target: $runs runs in ${seconds}s, clean"
            else
                echo "not ok $n - $target: see $log"
                tail -n 30 "$log" | sed 's/^/#   /'
            fi > "$fuzz_build/fuzz-pass-$n.tap"
        }

        ninja -C "$fuzz_build" || return 1
        rm -f "$fuzz_build"/fuzz-pass-*.tap
        # seeds: the captured console requests, shaped for each target
        for t in $targets; do
            rm -rf "$corpus-$t" &&
                python3 "$VAMT_REPO/tests/fuzz/web-seeds.py" \
                    "$VAMT_REPO/tests/captures" "$corpus-$t" "$t" ||
                return 1
        done
        # RMCP: MeshCentral's Presence Ping, twice (as it sends it)
        rm -rf "$corpus-fuzz-rmcp" && mkdir -p "$corpus-fuzz-rmcp" &&
            printf '\x0c\x06\x00\x00\x06\x00\x00\x11\xbe\x80\x01\x00\x00%.0s' 1 2 \
                > "$corpus-fuzz-rmcp/meshcentral-ping" || return 1
        # two lanes for two cores, at most 7 x 12 s each
        {
            fuzz_pass 1 fuzz-mei-bus $seconds -max_len=4096
            fuzz_pass 3 fuzz-http-auth $seconds -max_len=16384 \
                "$corpus-fuzz-http-auth"
            fuzz_pass 5 fuzz-eoi-auth $seconds -max_len=16384 \
                "$corpus-fuzz-eoi-auth"
            fuzz_pass 7 fuzz-state $seconds -max_len=4096 \
                "$corpus-fuzz-state"
            fuzz_pass 9 fuzz-rmcp $seconds -max_len=1024 "$corpus-fuzz-rmcp"
            # KVM's RFB server: MeshCommander's messages after its handshake
            rm -rf "$corpus-fuzz-rfb" && mkdir -p "$corpus-fuzz-rfb" &&
                printf '\x07\x02\x00\x00\x04\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x04\x44\xff\xff\xff\x21\x03\x01\x00\x00\x00\x00\x03\x20\x02\x58\x04\x01\x00\x00\x00\x00\x00\x61\x05\x01\x00\x10\x00\x10' \
                    > "$corpus-fuzz-rfb/meshcommander" &&
                fuzz_pass 12 fuzz-rfb $seconds -max_len=4096 "$corpus-fuzz-rfb"
        } &
        fuzz_pass 2 fuzz-web $seconds -max_len=16384 "$corpus-fuzz-web"
        fuzz_pass 4 fuzz-wsman-auth $seconds -max_len=16384 \
            "$corpus-fuzz-wsman-auth"
        fuzz_pass 6 fuzz-nvram $seconds -max_len=16384 "$corpus-fuzz-nvram"
        # the NIC endpoint: frames both ways, clock steps (net-seeds.py)
        rm -rf "$corpus-fuzz-net" &&
            python3 "$VAMT_REPO/tests/fuzz/net-seeds.py" \
                "$corpus-fuzz-net" || return 1
        fuzz_pass 13 fuzz-net $seconds -max_len=8192 "$corpus-fuzz-net"
        rm -rf "$corpus-fuzz-redir" &&
            python3 "$VAMT_REPO/tests/fuzz/redir-seeds.py" \
                "$corpus-fuzz-redir" || return 1
        fuzz_pass 8 fuzz-redir $seconds -max_len=4096 "$corpus-fuzz-redir"
        rm -rf "$corpus-fuzz-apf" &&
            python3 "$VAMT_REPO/tests/fuzz/apf-seeds.py" \
                "$corpus-fuzz-apf" || return 1
        fuzz_pass 10 fuzz-apf $seconds -max_len=8192 "$corpus-fuzz-apf"
        # an alert listener's answers: a 401 challenge, then 200 OK
        rm -rf "$corpus-fuzz-alert-response" &&
            mkdir -p "$corpus-fuzz-alert-response" &&
            printf '\x02\x5aHTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="r", qop="auth", nonce="n"\r\n\r\n\x26HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' \
                > "$corpus-fuzz-alert-response/digest" || return 1
        fuzz_pass 11 fuzz-alert-response $seconds -max_len=4096 \
            "$corpus-fuzz-alert-response"
        wait
        for t in 1 2 3 4 5 6 7 8 9 10 11 12 13; do
            cat "$fuzz_build/fuzz-pass-$t.tap" || return 1
        done
        ! grep -q '^not ok ' "$fuzz_build"/fuzz-pass-*.tap
    }
    run_tap fuzz fuzz_core
else
    echo "# fuzz: clang not installed, fuzz run skipped (not counted)"
fi

# one qtest binary per interface: the MEI device, the web service, NVRAM
for qtest in heci web nvram; do
    run_tap "qtest-$qtest" env QTEST_QEMU_BINARY="$QEMU_BIN" \
        "$QEMU_BUILD/tests/qtest/vamt-$qtest-test" --tap -k
done
# attacks on running QEMU processes: network, guest, files, migration
run_tap adversary python3 "$VAMT_REPO/tests/adversary/attack.py" "$QEMU_BIN"
run_tap qemu "$VAMT_REPO/tests/vamt-checks.sh"
start_tap watchdog "$VAMT_REPO/tests/guest/run-watchdog-test.sh"
run_tap guest "$VAMT_REPO/tests/guest/run-guest-test.sh"
run_tap boot "$VAMT_REPO/tests/guest/run-boot-test.sh"
run_tap power "$VAMT_REPO/tests/guest/run-power-test.sh"
run_tap sol "$VAMT_REPO/tests/redir/run-sol-test.sh"
run_tap ider "$VAMT_REPO/tests/redir/run-ider-test.sh"
run_tap mcsol "$VAMT_REPO/tests/redir/run-meshcentral-sol.sh"
run_tap mcider "$VAMT_REPO/tests/redir/run-meshcentral-ider.sh"
run_tap kvmguest "$VAMT_REPO/tests/redir/run-kvm-guest-smoke.sh"
run_tap mckvm "$VAMT_REPO/tests/redir/run-meshcommander-kvm.sh"
run_tap kvmvnc "$VAMT_REPO/tests/redir/run-kvm-vnc-test.sh"
run_tap clients "$VAMT_REPO/tests/clients/run-client-tests.sh"
run_tap tls "$VAMT_REPO/tests/clients/run-tls-test.sh"
run_tap nic "$VAMT_REPO/tests/net/run-nic-test.sh"
run_tap lan "$VAMT_REPO/tests/net/run-lan-test.sh"
run_tap meshcmd "$VAMT_REPO/tests/guest/run-meshcmd-test.sh"
run_tap libvirt "$VAMT_REPO/tests/libvirt/run-libvirt-test.sh"
finish_tap watchdog

if [ "${#failures[@]}" != 0 ]; then
    echo "# failed (logs in $logs):"
    printf '#   %s\n' "${failures[@]}"
fi
[ "$skipped" = 0 ] || echo "# $skipped skipped (not counted as passed)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
