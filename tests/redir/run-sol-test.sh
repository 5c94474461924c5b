#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Serial-over-LAN with Debian's amtterm 1.4, unmodified, against a booted
# guest: -device vamt,kt=on gives the guest the ME's serial port (Linux's
# 8250_pci makes it a ttyS), the guest's /init runs an echo service on it
# (vamt.sol=echo) and amtterm, connected to the ME's redirection port,
# types into it.  Then what a console is refused (wrong password, SOL
# switched off, the listener switched off, a second session) and what it
# survives (the guest rebooting, the console vanishing).  Prints TAP.
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

logs=$logs/redir
mkdir -p "$logs"
need_guest
password='P@ssw0rd1'

keep_serial() {
    [ -f "$serial" ] && tr -d '\r' < "$serial" > "$logs/sol-serial.log"
}
scratch_vm vamt-sol keep_serial
serial=$work/serial.log
qmp_sock=$work/qmp.sock
port=$(free_port)
redir_port=$((port + 2))

"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 512 -nodefaults \
    -display none -action shutdown=pause -serial "file:$serial" \
    -qmp "unix:$qmp_sock,server=on,wait=off" \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
    -append 'console=ttyS0 quiet panic=-1 vamt.mode=demo vamt.sol=echo' \
    -boot menu=on,splash-time=4000 \
    -object "secret,id=amtpw,data=$password" \
    -device "vamt,addr=16.0,kt=on,listen=127.0.0.1:$port,admin-secret=amtpw" \
    > "$logs/qemu.log" 2>&1 &
vm_pid=$!

sol_ttys() {
    grep -c '^VAMT-GUEST: SOL-TTY /dev/ttyS' "$serial" 2> /dev/null
}
check "QEMU starts with vamt kt=on; the guest's 8250_pci binds the KT port 00:16.3 (8086:7aeb, 16550)" \
    eval 'wait_for 60 port_open $port &&
          wait_for 60 eval "[ \"\$(sol_ttys)\" -ge 1 ]" &&
          has "^VAMT-GUEST: PCI 0000:00:16.3 0x8086:0x7aeb class=0x070002 driver=serial"'
if ! kill -0 "$vm_pid" 2> /dev/null; then
    sed 's/^/# qemu: /' "$logs/qemu.log"
    tap_exit
fi
tty=$(sed -n 's/^VAMT-GUEST: SOL-TTY \(\/dev\/ttyS[0-9]*\).*/\1/p' "$serial" |
      tr -d '\r' | head -n 1)
echo "# the guest's SOL port: $tty"

listeners_json() {
    qmp query-vamt
}
check "query-vamt lists the redirection listener (16994) on 127.0.0.1:$redir_port" \
    eval 'listeners_json | python3 -c "
import json, sys
l = json.load(sys.stdin)[\"return\"][0][\"listeners\"]
sys.exit(0 if {\"service-port\": 16994, \"host\": \"127.0.0.1\", \"port\": $redir_port} in l else 1)"'

# ---- an amtterm session with its stdin on a FIFO -----------------------------

# sol_open NAME: start amtterm as admin (password $sol_password, if set);
# its output in $work/NAME.{out,err}, its keyboard the FIFO $work/NAME.in,
# held open on descriptor ${sol_fd[NAME]}; its pid ${sol_pid[NAME]}
declare -A sol_fd sol_pid
sol_open() {
    local name=$1 fd
    mkfifo "$work/$name.in"
    AMT_PASSWORD=${sol_password:-$password} timeout 120 \
        amtterm -u admin 127.0.0.1 "$redir_port" \
        < "$work/$name.in" > "$work/$name.out" 2> "$work/$name.err" &
    sol_pid[$name]=$!
    exec {fd}> "$work/$name.in"
    sol_fd[$name]=$fd
}
# sol_type NAME TEXT: type a line (amtterm sends CR for the newline)
sol_type() {
    printf '%s\n' "$2" >&"${sol_fd[$1]}"
}
# sol_end NAME: close amtterm's keyboard (^] first, as a user, if "quit")
sol_end() {
    local fd=${sol_fd[$1]}
    [ "${2:-}" = quit ] && printf '\035' >&"$fd"
    exec {fd}>&-
    wait "${sol_pid[$1]}" 2> /dev/null
    cp "$work/$1.out" "$work/$1.err" "$logs/" 2> /dev/null
}
sol_saw() {         # sol_saw NAME TEXT: amtterm printed TEXT
    grep -qF -- "$2" <<<"$(tr -d '\r' < "$work/$1.out")"
}
sol_said() {        # sol_said NAME TEXT: amtterm's log has TEXT
    grep -qF -- "$2" "$work/$1.err" 2> /dev/null
}
sol_open main
check "amtterm 1.4 logs in (plain auth) and starts SOL: 'serial-over-lan redirection ok'" \
    wait_for 15 sol_said main 'serial-over-lan redirection ok'
check "amtterm shows the guest's modem lines (0x29): RTS and DTR asserted by Linux's 8250 driver" \
    wait_for 5 eval 'sol_said main "RTS is asserted" && sol_said main "DTR is asserted"'
word=sol-$RANDOM
sol_type main "$word"
check "a line typed in amtterm reaches the guest's ttyS (the guest logs SOL-RX $word)" \
    wait_for 10 has "^VAMT-GUEST: SOL-RX $word"
check "the guest's answer reaches amtterm ('guest got: $word')" \
    wait_for 10 sol_saw main "guest got: $word"
# amtterm gives up after 20 s without a byte from the ME: only the ME's
# heartbeats keep it going while nobody types
sleep 25
later=sol-late-$RANDOM
sol_type main "$later"
check "after 25 s idle (past amtterm's 20 s select timeout) the session still echoes" \
    wait_for 10 sol_saw main "guest got: $later"
check "... and amtterm never timed out" \
    eval '! sol_said main "select: timeout"'

# the guest reboots under the session: the console stays, sees the
# firmware's screen (SeaBIOS's sercon on the KT port, sol-firmware=on)
# and types into it, and the new guest answers
boots_before=$(boots)
qmp system_reset > /dev/null
check "after QMP system_reset the same session shows SeaBIOS's POST ('SeaBIOS (version', 'Press ESC for boot menu')" \
    wait_for 30 eval 'sol_saw main "SeaBIOS (version" &&
                      sol_saw main "Press ESC for boot menu"'
printf '\033' >&"${sol_fd[main]}"
check "ESC typed in amtterm during POST opens SeaBIOS's boot menu ('Select boot device:')" \
    wait_for 10 sol_saw main "Select boot device:"
# SeaBIOS takes ESC as "leave the menu" once it has shown it for 1.5 s
sleep 2
printf '\033' >&"${sol_fd[main]}"
check "QMP system_reset: the guest boots again and brings up its SOL port" \
    wait_for 60 eval '[ "$(boots)" -gt "$boots_before" ] && [ "$(sol_ttys)" -ge 2 ]'
# type only once the new guest's echo service has the port open: the
# UART's FIFO is cleared when Linux opens it, so earlier keys are lost,
# as they would be on a real serial line
banners() {
    grep -c "serial-over-LAN port .* ready" <<<"$(tr -d '\r' < "$work/main.out")"
}
check "the rebooted guest's echo service greets the same amtterm session" \
    wait_for 30 eval '[ "$(banners)" -ge 1 ]'
again=sol-reboot-$RANDOM
sol_type main "$again"
check "the same amtterm session talks to the rebooted guest ('guest got: $again')" \
    wait_for 10 sol_saw main "guest got: $again"

# one SOL session at a time
sol_open second
check "a second amtterm while the first is connected is refused (busy)" \
    wait_for 15 sol_said second 'redirection session start failed'
sol_end second

# the console vanishes: no goodbye, the TCP connection just drops
kill -9 "$(pgrep -P "${sol_pid[main]}" amtterm || echo "${sol_pid[main]}")" \
    2> /dev/null
sol_end main
sol_open after
check "a console that vanishes mid-session (amtterm killed) frees SOL: a new amtterm gets it" \
    wait_for 15 sol_said after "serial-over-lan redirection ok"
word=sol-after-$RANDOM
sol_type after "$word"
check "... and talks to the guest" \
    wait_for 10 sol_saw after "guest got: $word"
sol_end after quit
check "^] ends amtterm cleanly (RUN_SOL -> CLOSING -> CLOSED)" \
    eval 'sol_said after "RUN_SOL -> CLOSING" && sol_said after "CLOSED"'

sol_password='Wr0ng!pass' sol_open wrong
check "a wrong password is refused: 'session authentication failed'" \
    wait_for 15 sol_said wrong 'session authentication failed'
sol_end wrong

# ---- WS-Man's gates: AMT_RedirectionService -----------------------------------

redir_state() {
    wsman_get AMT_RedirectionService |
        sed -n 's/.*<[a-z0-9]*:EnabledState>\([0-9]*\)<.*/\1/p'
}
listener_state() {
    wsman_get AMT_RedirectionService |
        sed -n 's/.*<[a-z0-9]*:ListenerEnabled>\([a-z]*\)<.*/\1/p'
}
request_state() {
    wsman_call AMT_RedirectionService RequestStateChange \
        "$(wsman_redirection_service)" "<p:RequestedState>$1</p:RequestedState>" |
        sed -n 's/.*<[a-z0-9]*:ReturnValue>\([0-9]*\)<.*/\1/p'
}
check "AMT_RedirectionService reports SOL enabled (32770) and ListenerEnabled true: what kt=on serves" \
    eval '[ "$(redir_state)" = 32770 ] && [ "$(listener_state)" = true ]'
check "RequestStateChange(32771) (IDE-R too) is refused: no IDE-R function (0x812 unsupported)" \
    eval '[ "$(request_state 32771)" = 2066 ] && [ "$(redir_state)" = 32770 ]'
check "RequestStateChange(32768) switches SOL off (ReturnValue 0, EnabledState 32768)" \
    eval '[ "$(request_state 32768)" = 0 ] && [ "$(redir_state)" = 32768 ]'
sol_open off
check "with SOL off, amtterm is refused: 'redirection session start failed'" \
    wait_for 15 sol_said off 'redirection session start failed'
sol_end off
check "RequestStateChange(32770) switches it on again" \
    eval '[ "$(request_state 32770)" = 0 ] && [ "$(redir_state)" = 32770 ]'

put_listener() {
    wsman_put AMT_RedirectionService "$(wsman_redirection_service)" \
        "<p:ListenerEnabled>$1</p:ListenerEnabled>" > /dev/null
}
put_listener false
check "Put ListenerEnabled=false closes port $redir_port (connection refused) and query-vamt drops it" \
    eval 'wait_for 5 eval "! port_open $redir_port" && [ "$(listener_state)" = false ] &&
          ! grep -q "\"service-port\": 16994" <<<"$(listeners_json)"'
put_listener true
check "Put ListenerEnabled=true opens it again on the same port" \
    wait_for 5 port_open "$redir_port"
sol_open back
check "... and amtterm gets SOL again" \
    wait_for 15 sol_said back 'serial-over-lan redirection ok'
sol_end back quit

check "QEMU is still running and answers QMP" \
    eval '[ "$(vm_status)" = running ]'
stop_vm
tap_exit
