#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The AMT watchdog through the guest's own /dev/watchdog: the test guest
# (vamt.wdt=hang) opens mei_wdt's watchdog, keeps it alive for 3 s, then
# holds it open and stops feeding it, as a hung agent does.  After its
# 120 s the ME reports the expiry: a
# VAMT_WATCHDOG event on QMP and a "Watchdog 2: timer expired" record in
# the event log a console reads over WS-Man (AMT_MessageLog).  As on AMT
# the guest is not reset.  Prints TAP.
#
# Most of its time is the watchdog's own 120 s, spent idle: the suite
# starts it in the background (run-tests.sh) and collects it later.
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

need_guest
logs=$logs/watchdog
mkdir -p "$logs"
password='P@ssw0rd'
mei_wdt_timeout=120         # mei_wdt's fixed timeout (its minimum too)

keep_logs() {
    [ -f "$serial" ] && tr -d '\r' < "$serial" > "$logs/serial.log"
    [ -f "$events" ] && cp "$events" "$logs/events.log"
    stop_qmp_events
}
scratch_vm vamt-watchdog keep_logs
serial=$work/serial.log
qmp_sock=$work/qmp.sock
events=$work/events.log
port=$(free_port)

"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 256 -nodefaults \
    -display none -action shutdown=pause -serial "file:$serial" \
    -qmp "unix:$qmp_sock,server=on,wait=off" \
    -qmp "unix:$work/events.sock,server=on,wait=off" \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
    -append 'console=ttyS0 quiet panic=-1 vamt.mode=demo vamt.wdt=hang' \
    -object "secret,id=amtpw,data=$password" \
    -device "vamt,addr=16.0,listen=127.0.0.1:$port,admin-secret=amtpw" \
    > "$logs/qemu.log" 2>&1 &
vm_pid=$!
record_qmp_events "$work/events.sock" "$events"

check "the guest opens mei_wdt's watchdog, feeds it for 3 s, then holds it open unfed" \
    eval 'wait_for 120 has "^VAMT-GUEST: WDT-HANG state=active timeout=$mei_wdt_timeout "'
last_fed=$(date +%s)

expired_event() {
    grep '"event": "VAMT_WATCHDOG"' "$events" | tail -n 1
}
wait_for $((mei_wdt_timeout + 60)) eval '[ -n "$(expired_event)" ]'
event=$(expired_event)
echo "# $event"
check "QMP: VAMT_WATCHDOG with timeout $mei_wdt_timeout and no agent member" \
    eval 'python3 -c "import json, sys; d = json.loads(sys.argv[1])[\"data\"]; sys.exit(not (d[\"timeout\"] == $mei_wdt_timeout and \"agent\" not in d))" "$event"'
# its timestamp is QEMU's host clock, as date's; the guest ran at about
# real time, so the expiry comes the watchdog's timeout after the close
fired=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["timestamp"]["seconds"])' "$event" 2> /dev/null)
echo "# last fed at $last_fed, expired at ${fired:-never}"
check "it fires about $mei_wdt_timeout s after the last keep-alive, not before" \
    eval '[ -n "$fired" ] && [ $((fired - last_fed)) -ge $((mei_wdt_timeout - 10)) ] &&
          [ $((fired - last_fed)) -le $((mei_wdt_timeout + 30)) ]'

# WS-Man: the event log's records, base64 each; the expiry is IPMI
# sensor type 0x23 (Watchdog 2), offset 0 (timer expired)
log_selectors="$(wsman_sel CreationClassName AMT_MessageLog)$(wsman_sel \
    Name "Intel(r) AMT:MessageLog 1")"
records=$(wsman_call AMT_MessageLog GetRecords "$log_selectors" \
    '<p:IterationIdentifier>1</p:IterationIdentifier><p:MaxReadRecords>390</p:MaxReadRecords>' |
    grep -o '<[^>]*RecordArray>[^<]*' | sed 's/.*>//')
echo "# event log: $(wc -w <<< "$records") records"
watchdog_record() {
    local r
    for r in $records; do
        # bytes 5 and 7: sensor type, event offset
        [ "$(base64 -d <<< "$r" | od -An -tx1 -j5 -N3 | tr -d ' \n')" = 236f00 ] &&
            return 0
    done
    return 1
}
check "WS-Man: AMT_MessageLog has a \"Watchdog 2: timer expired\" record" watchdog_record
check "AMT only reports it: the VM keeps running and the guest did not boot again" \
    eval '[ "$(vm_status)" = running ] && [ "$(boots)" = 1 ]'
check "QEMU printed nothing on stderr" eval '[ ! -s "$logs/qemu.log" ]'
stop_vm
tap_exit
