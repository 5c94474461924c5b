#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vAMT under a real libvirt (Debian 12's libvirt-daemon-system 9.0): a
# throw-away domain (virsh define + start; undefined at the end) passes
# the device through <qemu:commandline> exactly as the libvirt section
# of docs/system/devices/vamt.rst shows, and amttool drives the VM's
# power while virsh watches.  With power-off-mode=stop a
# console's power-off pauses the VM, so libvirt keeps the QEMU process
# (it ends QEMU on any SHUTDOWN event).  Prints TAP.  Run as root.
#
# libvirtd (and virtlogd) are started here when they do not run, in the
# background when there is no systemd, and stopped again at the end.
# The QEMU process runs as libvirt's unprivileged qemu user (Debian:
# libvirt-qemu), so the guest images, the secret file and the nvram
# directory are placed in a scratch directory that user can read.
#
# Environment: VAMT_TEST_LOGS (logs), VAMT_LIBVIRT_URI (qemu:///system),
# VAMT_LIBVIRT_QEMU (emulator; default the build tree's $QEMU_BIN).
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

uri=${VAMT_LIBVIRT_URI:-qemu:///system}
qemu=${VAMT_LIBVIRT_QEMU:-$QEMU_BIN}
password=P@ssw0rd-lv
dom=vamt-libvirt-test-$$
mkdir -p "$logs"

if [ "$(id -u)" != 0 ]; then
    tap_bail "the libvirt test runs as root (qemu:///system)"
fi
for tool in virsh libvirtd amttool; do
    command -v "$tool" > /dev/null ||
        tap_bail "$tool is installed (scripts/vamt/install-deps.sh)"
done
need_guest

virsh() {
    command virsh -q -c "$uri" "$@"
}

# --- the daemons -----------------------------------------------------------
# Ours are stopped at the end by the PID in their pid files; a daemon
# that was already running (or that systemd runs) is left alone.
started_pids=()
started_units=()
daemon_up() {
    virsh uri > /dev/null 2>&1
}
start_daemons() {
    daemon_up && return 0
    if [ -d /run/systemd/system ] && command -v systemctl > /dev/null; then
        systemctl start libvirtd.service && started_units+=(libvirtd.service)
        wait_for 30 daemon_up
        return
    fi
    # no systemd as PID 1: run them ourselves.  The QEMU driver logs
    # through virtlogd (qemu.conf stdio_handler = "logd"); a privileged
    # libvirtd does not spawn it on demand.
    local d pidfile
    for d in virtlogd libvirtd; do
        pidfile=/run/$d.pid
        if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            continue
        fi
        "$d" -d > "$logs/libvirt-$d.log" 2>&1 || return 1
        wait_for 10 test -s "$pidfile" || return 1
        started_pids+=("$(cat "$pidfile")")
    done
    wait_for 30 daemon_up
}

work=
cleanup() {
    if [ -n "$work" ]; then
        virsh destroy "$dom" > /dev/null 2>&1
        virsh undefine "$dom" > /dev/null 2>&1
        rm -rf "$work"
    fi
    local i
    for ((i = ${#started_pids[@]} - 1; i >= 0; i--)); do
        kill "${started_pids[i]}" 2>/dev/null &&
            wait_for 15 eval '! kill -0 "${started_pids[i]}" 2>/dev/null'
    done
    for i in "${started_units[@]}"; do
        systemctl stop "$i"
    done
}
trap cleanup EXIT

check "libvirt's QEMU driver answers at $uri" start_daemons
daemon_up || tap_bail "libvirtd runs"
virsh version 2>/dev/null | sed 's/^/# /'

# libvirt probes the emulator (-S -no-user-config -nodefaults -machine
# none) before it starts a domain with it.
check "virsh domcapabilities --emulatorbin works for this QEMU" \
    eval 'virsh domcapabilities --emulatorbin "$qemu" --virttype qemu \
              --machine q35 > "$logs/libvirt-domcaps.xml" 2>&1 &&
          grep -q "<machine>pc-q35" "$logs/libvirt-domcaps.xml"'

# --- the domain -------------------------------------------------------------
# The QEMU process's user and group, from the DAC security model.
qemu_ids=$(virsh capabilities 2>/dev/null |
    sed -n "s|.*<baselabel type='qemu'>+\([0-9]*\):+\([0-9]*\)</baselabel>.*|\1:\2|p" |
    head -n 1)
qemu_ids=${qemu_ids:-$(id -u libvirt-qemu 2>/dev/null):$(id -g libvirt-qemu 2>/dev/null)}
echo "# QEMU runs as uid:gid $qemu_ids"

work=$(mktemp -d /var/tmp/vamt-libvirt.XXXXXX)
chmod 755 "$work"
cp -L "$VAMT_GUEST/vmlinux" "$work/vmlinux"
cp -L "$VAMT_GUEST/initrd.gz" "$work/initrd.gz"
chmod 644 "$work/vmlinux" "$work/initrd.gz"
printf '%s' "$password" > "$work/amt.password"
mkdir "$work/nvram"
chown "$qemu_ids" "$work/amt.password" "$work/nvram"
chmod 600 "$work/amt.password"
chmod 700 "$work/nvram"
nvram=$work/nvram/$dom.vamt
serial=$work/serial.log
port=$(free_port)

cat > "$work/domain.xml" <<EOF
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$dom</name>
  <memory unit='MiB'>512</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$work/vmlinux</kernel>
    <initrd>$work/initrd.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 vamt.mode=demo</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$qemu</emulator>
    <serial type='file'>
      <source path='$serial'/>
      <target port='0'/>
    </serial>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
$(printf "    <qemu:arg value='%s'/>\n" "${qemu_fw[@]}")
    <qemu:arg value='-object'/>
    <qemu:arg value='secret,id=amtpw,file=$work/amt.password'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='vamt,addr=16.0,listen=127.0.0.1:$port,admin-secret=amtpw,power-off-mode=stop,nvram=$nvram'/>
  </qemu:commandline>
</domain>
EOF
cp "$work/domain.xml" "$logs/libvirt-domain.xml"

check "virsh define accepts the domain XML" \
    eval 'virsh define "$work/domain.xml" > "$logs/libvirt-virsh.log" 2>&1'
check "virsh start starts it" \
    eval 'virsh start "$dom" >> "$logs/libvirt-virsh.log" 2>&1'
qemu_log=/var/log/libvirt/qemu/$dom.log

domstate() {
    virsh domstate "$dom" 2>/dev/null | head -n 1
}
vamt_link() {
    virsh qemu-monitor-command "$dom" '{"execute":"query-vamt"}' 2>/dev/null |
        sed -n 's/.*"link":"\([a-z-]*\)".*/\1/p'
}
amttool_out=$logs/libvirt-amttool.out
: > "$amttool_out"
amt() {                 # amt COMMAND: answers "y" to amttool's prompt
    echo "\$ amttool 127.0.0.1:$port $*" >> "$amttool_out"
    echo y | AMT_PASSWORD=$password timeout 60 \
        amttool "127.0.0.1:$port" "$@" >> "$amttool_out" 2>&1
}
powerstate() {          # the "Powerstate:" line of amttool info
    AMT_PASSWORD=$password timeout 60 amttool "127.0.0.1:$port" info \
        2>/dev/null | sed -n 's/^Powerstate: *//p'
}

check "the guest boots (VAMT-GUEST: BOOT and DONE on the serial file)" \
    wait_for 90 eval 'has "^VAMT-GUEST: BOOT" && has "^VAMT-GUEST: DONE"'
check "virsh domstate says running" eval '[ "$(domstate)" = running ]'
virsh qemu-monitor-command "$dom" '{"execute":"query-vamt"}' \
    > "$logs/libvirt-query-vamt.json" 2>&1
check "virsh qemu-monitor-command query-vamt: one device, link started" \
    eval 'wait_for 30 eval "[ \"\$(vamt_link)\" = started ]" &&
          virsh qemu-monitor-command "$dom" "{\"execute\":\"query-vamt\"}" |
              grep -q "\"device-id\""'
echo "# $(virsh qemu-monitor-command "$dom" '{"execute":"query-vamt"}' 2>&1)"
check "amttool info works through the ME (power state S0)" \
    eval 'amt info && grep -q "^Powerstate: *S0" "$amttool_out"'

check "amttool powerdown answers" amt powerdown
check "virsh domstate says paused: libvirt kept the domain" \
    wait_for 30 eval '[ "$(domstate)" = paused ]'
sleep 2
check "the domain is still paused two seconds later" \
    eval '[ "$(domstate)" = paused ]'
check "amttool info reports the power state as off (S5)" \
    eval '[[ "$(powerstate)" == S5* ]]'

before=$(boots)
check "amttool powerup answers" amt powerup
check "virsh domstate says running again" \
    wait_for 30 eval '[ "$(domstate)" = running ]'
check "the guest boots again (a new VAMT-GUEST: BOOT line)" \
    wait_for 90 eval '[ "$(boots)" -gt "$before" ] &&
                      [ "$(powerstate)" = S0 ]'

before=$(boots)
wait_for 60 eval '[ "$(grep -c "^VAMT-GUEST: DONE" "$serial")" -ge "$before" ]'
check "amttool reset answers" amt reset
check "the guest boots again after the reset (a new BOOT line)" \
    wait_for 90 eval '[ "$(boots)" -gt "$before" ]'
check "the domain is running after the reset" \
    eval '[ "$(domstate)" = running ]'

check "virsh destroy ends it" \
    eval 'virsh destroy "$dom" >> "$logs/libvirt-virsh.log" 2>&1 &&
          [ "$(domstate)" = "shut off" ]'
check "the nvram file exists and is not empty" eval '[ -s "$nvram" ]'

sed 's/\r$//' "$serial" > "$logs/libvirt-serial.log" 2>/dev/null
cp "$qemu_log" "$logs/libvirt-qemu.log" 2>/dev/null
grep -E "^VAMT-GUEST: (BOOT|DONE)" "$logs/libvirt-serial.log" | sed 's/^/# /'
# QEMU's own messages in libvirt's log, but for the one virsh destroy causes
check "QEMU printed no error or warning to libvirt's domain log" \
    eval '[ -s "$logs/libvirt-qemu.log" ] &&
          ! grep "qemu-system-x86_64: " "$logs/libvirt-qemu.log" |
              grep -v ": terminating on signal 15"'

tap_plan
