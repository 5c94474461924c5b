#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The guest test: boot Debian's kernel in the busybox guest under TCG on
# q35 with -device vamt and check, from what the guest's own Linux reports
# on its serial console, that mei_me and mei_wdt work with the device and
# that /dev/mei0 reaches the firmware clients.  A second boot without the
# device is the control: the same drivers then see nothing.  Prints TAP.
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

need_guest

# Non-default values, so the test sees the device's answers, not defaults
fw_version=16.1.25.1234
vm_uuid=3f2504e0-4f89-41d3-9a0c-0305e82c3301


# boot LOG [qemu args...]: run the guest to power-off; status of QEMU
boot() {
    local log=$1
    shift
    timeout 180 "$QEMU_BIN" "${qemu_fw[@]}" \
        -M q35 -accel tcg -m 512 -nodefaults -display none -no-reboot \
        -serial "file:$log" \
        -kernel "$VAMT_GUEST/vmlinux" -initrd "$VAMT_GUEST/initrd.gz" \
        -append "console=ttyS0 quiet panic=-1 $append" "$@"
}

serial=$logs/guest-serial.log
append=vamt.dyndbg=1
start=$(date +%s.%N)
boot "$serial" -uuid "$vm_uuid" \
    -device vamt,addr=16.0,fw-version=$fw_version \
    2> "$logs/guest-qemu.err"
qemu_rc=$?
end=$(date +%s.%N)
sed -i 's/\r$//' "$serial"
echo "# guest boot with vamt: $(echo "$end - $start" | bc 2>/dev/null ||
      python3 -c "print(round($end - $start, 2))") s, QEMU exit $qemu_rc"
# debug-level kernel messages stay in the log file only
grep -v '^VAMT-GUEST: DMESG <7>' "$serial" | sed 's/^/# /'

# hasnt REGEX: $serial has no line matching REGEX; count REGEX: how many
hasnt() {
    ! has "$1"
}
count() {
    grep -cE "$1" "$serial"
}

check "guest with vamt boots, runs its checks and powers off (QEMU exit 0)" \
    eval '[ $qemu_rc = 0 ] && has "^VAMT-GUEST: DONE"'
check "mei_me binds to 00:16.0, 8086:7ae8 class 0780" \
    has '^VAMT-GUEST: PCI 0000:00:16.0 0x8086:0x7ae8 class=0x078000 driver=mei_me'
check "/sys/class/mei/mei0/dev_state is ENABLED" \
    has '^VAMT-GUEST: MEI0 dev_state=ENABLED'
check "hbm_ver is 2.2" \
    has '^VAMT-GUEST: SYSFS mei0/hbm_ver=2.2 ?$'
check "fw_ver reports the device's fw-version ($fw_version), 3 lines" \
    has "^VAMT-GUEST: SYSFS mei0/fw_ver=0:$fw_version 0:$fw_version 0:$fw_version ?\$"
check "fw_status shows the six FWSTS registers" \
    has '^VAMT-GUEST: SYSFS mei0/fw_status=00000245 00000000 00000030 00000000 00000000 00000000 ?$'

bus_clients() {
    [ "$(count '^VAMT-GUEST: MEICL ')" = 4 ] &&
    has 'MEICL 0000:00:16.0-55213584-9a29-4916-badf-0fb7ed682aeb .* fixed=7 ' &&
    has 'MEICL 0000:00:16.0-8e6a6715-9abc-4043-88ef-9e39c6f63e0f .* fixed=0 ' &&
    has 'MEICL 0000:00:16.0-05b79a6f-4628-4d7f-899d-a91514cb32ab .* version=02 ' &&
    has 'MEICL 0000:00:16.0-6733a4db-0476-4e7b-b3af-bcfc29bee7a7 ' &&
    hasnt 'MEICL .*12f80028'
}
check "/sys/bus/mei/devices: MKHI-fix (fixed 7), MKHI, watchdog, LME; no AMTHI" \
    bus_clients
check "mei_wdt binds the watchdog client" \
    has 'MEICL 0000:00:16.0-05b79a6f-.* driver=mei_wdt$'
check "mei_wdt registers watchdog iamt_wdt (timeout 120) and /dev/watchdog" \
    eval 'has "^VAMT-GUEST: WDT watchdog[0-9]+ identity=iamt_wdt state=inactive timeout=120" &&
          has "^VAMT-GUEST: LIST /dev/watchdog\*: /dev/watchdog"'

check "AMTHI GetCodeVersions through /dev/mei0: 569-byte reply, status 0" \
    eval 'has "^VAMT-GUEST: PROBE amthi-versions rc=0" &&
          has "^MEICLIENT: connected amthi max_msg_len=4096" &&
          has "^MEICLIENT: reply_len=569$"'
amt_version=${fw_version%.*}
check "GetCodeVersions carries AMT=$amt_version and Build Number=${fw_version##*.}" \
    eval 'has "^MEICLIENT: AMTHI AMT=$amt_version\$" &&
          has "^MEICLIENT: AMTHI Build Number=${fw_version##*.}\$" &&
          has "^MEICLIENT: AMTHI Flash=$fw_version\$"'
check "AMTHI GetProvisioningState and GetControlMode answer (status 0)" \
    eval 'has "^VAMT-GUEST: PROBE amthi-provisioning rc=0" &&
          has "^VAMT-GUEST: PROBE amthi-control-mode rc=0"'
check "AMTHI GetUUID is the VM's -uuid and its SMBIOS product_uuid" \
    eval 'has "^MEICLIENT: AMTHI UUID=$vm_uuid\$" &&
          has "^VAMT-GUEST: DMI product_uuid=$vm_uuid\$"'
check "MKHI GET_FW_VERSION through /dev/mei0 gives 0:$fw_version" \
    eval 'has "^VAMT-GUEST: PROBE mkhi-fwver rc=0" &&
          has "^MEICLIENT: MKHI code=0:$fw_version\$"'
check "LME sends its 93-byte APF protocol version first" \
    has '^MEICLIENT: LME first=0xc0 len=93 major=1 minor=0$'
check "LME/APF: the ME asks for pfwd@amt.intel.com and registers 16992 and 623 (what rpc-go waits for)" \
    eval 'has "^MEICLIENT: APF service pfwd@amt.intel.com accepted" &&
          has "^MEICLIENT: APF forward port=16992\$" &&
          has "^MEICLIENT: APF forward port=623\$"'
check "LME/APF: channels to 16992 open; one to port 22 (not registered) is refused as prohibited" \
    has '^MEICLIENT: APF open 16992=1,1,1,1 port22=-1$'
check "LME/APF: an in-guest agent gets the ME's WS-Man Identify answer through a channel" \
    has '^MEICLIENT: APF channel 10 responses=1 identify=yes$'
check "LME/APF: the same through a one-byte window, one byte per window adjust" \
    eval 'line=$(grep "^MEICLIENT: APF one-byte window" "$serial") &&
          [[ $line =~ responses=1\ messages=([0-9]+)\ bytes=([0-9]+) ]] &&
          [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] &&
          [ "${BASH_REMATCH[1]}" -gt 100 ]'
check "LME/APF: a channel the agent closes gets the ME's CLOSE" \
    has '^MEICLIENT: APF closed channel answered=1$'
check "LME/APF: three requests an agent did not read for 3 s are all answered after" \
    has '^MEICLIENT: APF unread channel responses=3$'
check "LME/APF: the whole exchange is well formed (meiclient lme-apf exits 0)" \
    has '^VAMT-GUEST: PROBE lme-apf rc=0'
# Every AMTHI command, byte for byte (tests/guest/amthi-expected.py)
check "AMTHI: the probe of every command ran (meiclient amthi-all exits 0)" \
    has '^VAMT-GUEST: PROBE amthi-all .* rc=0'
while read -r name pattern; do
    got=$(sed -n "s/^MEICLIENT: AMTHI-RAW $name //p" "$serial")
    check "AMTHI $name: the reply matches byte for byte" \
        eval '[[ $got =~ ^$pattern$ ]] || { echo "# expected $pattern"; echo "# got      $got"; false; }'
done < <(python3 "$VAMT_REPO/tests/guest/amthi-expected.py" "$fw_version" "$vm_uuid")
check "a second connection to MKHI is refused with EBUSY" \
    has '^MEICLIENT: second mkhi errno=16 '
check "a message over AMTHI's max_msg_len is refused with EFBIG" \
    has '^MEICLIENT: oversized write errno=27 '
check "connecting to a client the ME does not have gives ENOTTY" \
    has '^MEICLIENT: connect 309dcde8-ccb1-4062-8f78-600115a34327 errno=25 '
check "the watchdog runs while open and stops on magic close" \
    eval 'has "^VAMT-GUEST: WDT-EXERCISE open state=active" &&
          has "^VAMT-GUEST: WDT-EXERCISE closed state=inactive"'
check "rmmod/insmod of mei_me twice: the link comes back with 4 clients" \
    eval 'has "^VAMT-GUEST: RELOAD 1 rc=0 dev_state=ENABLED clients=4" &&
          has "^VAMT-GUEST: RELOAD 2 rc=0 dev_state=ENABLED clients=4"'

# The driver's failure messages (docs/specs/vamt-heci.rst, "What the Linux
# driver checks")
mei_errors='wait hw ready failed|hw_start failed|link layer initialization failed|init hw failure|HBM haven.t started|waiting for mei start failed|init clients timeout|unexpected reset|FW not ready|H_RST is|H_RDY is not cleared|corrupted message header|less data available|no destination client|state mismatch|wrong status|pending read cb not found|maximal consecutive resets|Could not read FW version|FW version command failed|wrong command|failure in recv'
check "dmesg has no mei error messages and no mei line at warning level or worse" \
    eval 'hasnt "^VAMT-GUEST: DMESG .*($mei_errors)" &&
          hasnt "^VAMT-GUEST: DMESG <[0-4]>"'
check "mei_me (debug on) negotiates HBM 2.2 and establishes the link at boot and each reload" \
    eval 'has "DMESG <7>.* mei_me 0000:00:16.0: HBM VERSION: DRIVER=02:02 DEVICE=02:02" &&
          [ "$(count "DMESG <7>.* mei_me 0000:00:16.0: link layer has been established")" = 3 ]'
check "QEMU itself printed nothing on stderr" \
    eval '[ ! -s "$logs/guest-qemu.err" ]'

# Control: the same guest without the device
serial=$logs/guest-serial-control.log
append=
boot "$serial" 2> "$logs/guest-qemu-control.err"
qemu_rc=$?
sed -i 's/\r$//' "$serial"
sed 's/^/# control: /' "$serial"
check "control boot without vamt: drivers load, no mei0, no bus clients" \
    eval '[ $qemu_rc = 0 ] && has "^VAMT-GUEST: INSMOD mei_me ok" &&
          hasnt "^VAMT-GUEST: MEI0 dev_state=." &&
          has "^VAMT-GUEST: LIST /dev/mei\*: /dev/mei\*$" &&
          [ "$(count "^VAMT-GUEST: MEICL ")" = 0 ] &&
          has "^VAMT-GUEST: DONE"'

tap_plan
