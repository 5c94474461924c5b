#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The guest side of the KVM (remote screen, keyboard, mouse) tests, with
# plain QEMU only: in the booted guest's shell, tests/guest/kvmguest.c
# sets Bochs VBE modes on the std VGA and draws its test pattern, which a
# QMP screendump must show pixel for pixel (tests/redir/kvm_screen.py
# computes the picture); a box changes its rectangle and nothing else;
# QMP input-send-event's keys reach the guest through the PS/2 keyboard,
# its pointer moves and clicks through the usb-tablet on xHCI, and evdev
# reports them as the KVM tests will expect.  Prints TAP.
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

logs=$logs/redir
mkdir -p "$logs"
need_guest

keep_serial() {
    if [ -n "${reader_pid:-}" ]; then
        kill "$reader_pid" 2> /dev/null
        wait "$reader_pid" 2> /dev/null
    fi
    [ -f "$serial" ] && tr -d '\r' < "$serial" > "$logs/kvm-guest-serial.log"
    cp "$work"/*.ppm "$logs/" 2> /dev/null
}
scratch_vm vamt-kvmguest keep_serial
serial=$work/serial.log
qmp_sock=$work/qmp.sock
t0=$SECONDS

# the guest's console on a pipe chardev: QEMU reads con.in, writes con.out
mkfifo "$work/con.in" "$work/con.out"
"$QEMU_BIN" "${qemu_fw[@]}" -M q35 -accel tcg -m 512 -nodefaults \
    -display none -action shutdown=pause \
    -chardev "pipe,id=con,path=$work/con" -serial chardev:con \
    -qmp "unix:$qmp_sock,server=on,wait=off" \
    -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
    -append 'console=ttyS0 quiet panic=-1 vamt.mode=shell vamt.input=usb' \
    -device VGA -device qemu-xhci -device usb-tablet \
    -device vamt,addr=16.0 \
    > "$logs/qemu-kvm-guest.log" 2>&1 &
vm_pid=$!
cat "$work/con.out" > "$serial" &
reader_pid=$!
# read-write: opening does not wait for QEMU, and keeps the pipe open
exec {con}<> "$work/con.in"

# ---- the guest's shell -------------------------------------------------------

# guest_cmd COMMAND: type COMMAND into the guest's shell; guest_said and
# guest_output look only at what came after it
since=0
guest_cmd() {
    since=$(stat -c %s "$serial")
    printf '%s\n' "$1" >&"$con"
}
guest_output() {
    tail -c +"$((since + 1))" "$serial" | tr -d '\r'
}
# guest_said LINE: the guest printed LINE (the whole line) since the command
guest_said() {
    guest_output | grep -qxF -- "$1"
}
# guest_value PREFIX: the rest of the first line since the command that
# starts with "PREFIX "
guest_value() {
    guest_output | sed -n "s/^$1 //p" | head -n 1
}

check "the guest boots to its shell with the usb-tablet (xHCI) and the PS/2 keyboard as evdev devices" \
    eval 'wait_for 90 eval "has \"^VAMT-GUEST: DONE\" && guest_prompt" &&
          has "^VAMT-GUEST: INPUT event[0-9]+ QEMU QEMU USB Tablet" &&
          has "^VAMT-GUEST: INPUT event[0-9]+ AT Translated Set 2 keyboard"'
if ! kill -0 "$vm_pid" 2> /dev/null || ! guest_prompt; then
    sed 's/^/# qemu: /' "$logs/qemu-kvm-guest.log"
    tr -d '\r' < "$serial" | tail -n 20 | sed 's/^/# guest: /'
    tap_exit
fi
echo "# booted in $((SECONDS - t0)) s"

# ---- modes and the test pattern ----------------------------------------------

# screendump NAME: QMP screendump (PPM) into $work/NAME.ppm
screendump() {
    qmp screendump "{\"filename\": \"$work/$1.ppm\", \"format\": \"ppm\"}" \
        > /dev/null
}
# screen_is_pattern NAME W H: the dump NAME is kvmguest's W x H pattern
screen_is_pattern() {
    python3 "$VAMT_REPO/tests/redir/kvm_screen.py" pattern \
        "$work/$1.ppm" "$2" "$3" | sed 's/^/# /'
}

# 800x600 last: the box and the input below work in it
for size in 640x480 1024x768 800x600; do
    w=${size%x*}
    h=${size#*x}
    guest_cmd "kvmguest mode $w $h"
    check "kvmguest mode $w $h sets the Bochs VBE mode and draws ('KVMGUEST mode $size')" \
        wait_for 60 guest_said "KVMGUEST mode $size"
    wait_for 10 guest_prompt
    check "QMP screendump shows a $size screen, every pixel the test pattern" \
        eval 'screendump "mode-$size" && screen_is_pattern "mode-$size" $w $h'
done

guest_cmd "kvmguest box 100 80 50 30 ff8000"
check "kvmguest box fills a rectangle of the current mode ('KVMGUEST box done')" \
    wait_for 30 guest_said "KVMGUEST box done"
wait_for 10 guest_prompt
check "QMP screendump: the 50x30 box at (100,80) is #ff8000, every other pixel unchanged" \
    eval 'screendump box && python3 "$VAMT_REPO/tests/redir/kvm_screen.py" box \
          "$work/mode-800x600.ppm" "$work/box.ppm" 100 80 50 30 ff8000 |
          sed "s/^/# /"'

# ---- animation and CPU work --------------------------------------------------

guest_cmd "kvmguest animate 3"
check "kvmguest animate 3 redraws the screen and counts its frames" \
    eval 'wait_for 30 eval "guest_prompt && guest_output | grep -qx \"KVMGUEST frames [1-9][0-9]*\""'
frames=$(guest_value "KVMGUEST frames")
echo "# animate: $frames frames of 800x600 in 3 s"
screendump animated
check "... and the screen no longer shows the pattern" \
    eval '! screen_is_pattern animated 800 600 > /dev/null'

guest_cmd "kvmguest work 3"
check "kvmguest work 3 counts its iterations" \
    eval 'wait_for 30 eval "guest_prompt && guest_output | grep -qx \"KVMGUEST work [1-9][0-9]*\""'
echo "# work: $(guest_value "KVMGUEST work") iterations in 3 s"

# ---- input -------------------------------------------------------------------

send_events() {
    qmp input-send-event "{\"events\": $1}" > /dev/null
}
key() {             # key QCODE true|false
    send_events "[{\"type\": \"key\", \"data\": {\"down\": $2,
                   \"key\": {\"type\": \"qcode\", \"data\": \"$1\"}}}]"
}
move() {            # move X Y: the absolute pointer, 0..32767 each
    send_events "[{\"type\": \"abs\", \"data\": {\"axis\": \"x\", \"value\": $1}},
                  {\"type\": \"abs\", \"data\": {\"axis\": \"y\", \"value\": $2}}]"
}
button() {          # button left|right|middle true|false
    send_events "[{\"type\": \"btn\", \"data\": {\"down\": $2,
                   \"button\": \"$1\"}}]"
}

guest_cmd "kvmguest input 20"
input_started=$SECONDS
check "kvmguest input opens every event device ('KVMGUEST input ready')" \
    wait_for 30 guest_said "KVMGUEST input ready"
check "the tablet's absinfo range is 0..32767 on both axes (absrange 32767 32767)" \
    guest_said "KVMGUEST absrange 32767 32767"

key a true
key a false
check "QMP key 'a' down and up reach the guest's PS/2 keyboard as KEY_A (key 30 1, key 30 0)" \
    wait_for 10 eval 'guest_said "KVMGUEST key 30 1" && guest_said "KVMGUEST key 30 0"'

# pixel (200,450) of 800x600 as QEMU's UIs scale it: x * 0x7fff / width
ax=$((200 * 32767 / 800))
ay=$((450 * 32767 / 600))
move "$ax" "$ay"
check "QMP abs ($ax,$ay), pixel (200,450), reaches the usb-tablet unscaled (abs $ax $ay)" \
    wait_for 10 guest_said "KVMGUEST abs $ax $ay"
button left true
button left false
check "a QMP left click there arrives as BTN_LEFT (key 272 1, key 272 0)" \
    wait_for 10 eval 'guest_said "KVMGUEST key 272 1" && guest_said "KVMGUEST key 272 0"'
move 32767 32767
check "the far corner, QMP abs (32767,32767), arrives as abs 32767 32767" \
    wait_for 10 guest_said "KVMGUEST abs 32767 32767"
check "kvmguest input ends after its 20 s ('KVMGUEST input end')" \
    eval 'wait_for 30 guest_said "KVMGUEST input end" &&
          [ $((SECONDS - input_started)) -ge 19 ]'
guest_output | grep '^KVMGUEST' | sed 's/^/# guest: /'

check "QEMU is still running and answers QMP" \
    eval '[ "$(vm_status)" = running ]'
stop_vm
echo "# $((SECONDS - t0)) s in all"
tap_exit
