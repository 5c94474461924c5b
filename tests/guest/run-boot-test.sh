#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# One-time boot overrides through the ME, checked with the real firmware:
# SeaBIOS (bios-256k.bin) on q35 with an iPXE NIC, a CD-ROM and a disk.
# Each medium is made here and boots into a few bytes of code that print
# "VAMT-BOOT: PXE|CD|HDD" on SeaBIOS's debug port (isa-debugcon 0x402)
# and halt, so the debug log tells which device the firmware booted.
# The requests go through amttool (legacy SOAP RemoteControl with a
# special command) and through WS-Management (ChangeBootOrder,
# SetBootConfigRole, RequestPowerStateChange), each followed by a check
# that the boot after it uses the normal order again.  Prints TAP.
#
# VAMT_BOOT_QEMU=/path/to/qemu-system-x86_64 runs it against another
# binary (e.g. an older build, for comparison).
set -uo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"
. "$VAMT_REPO/tests/lib.sh"

qemu=${VAMT_BOOT_QEMU:-$QEMU_BIN}
password=P@ssw0rd
mkdir -p "$logs"
scratch_vm vamt-boot

# ---- media -----------------------------------------------------------------

# bootcode FILE MARKER SIZE: 16-bit code that prints "VAMT-BOOT: MARKER"
# on ports 0x402 (debugcon) and 0x3f8 (COM1), then halts.  It runs at
# linear 0x7c00 whether entered as 0000:7c00 (MBR, PXE) or 07c0:0000
# (El Torito), with DS=0.
bootcode() {
    python3 - "$@" <<'EOF'
import sys
out, marker, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
code = bytes.fromhex(
    "fa"            # cli
    "31c0" "8ed8"   # xor ax,ax; mov ds,ax
    "fc"            # cld
    "be1b7c"        # mov si,0x7c00+msg
    "ac"            # lodsb
    "84c0" "740a"   # test al,al; jz halt
    "ba0204" "ee"   # mov dx,0x402; out dx,al
    "baf803" "ee"   # mov dx,0x3f8; out dx,al
    "ebf1"          # jmp lodsb
    "f4" "ebfd")    # halt: hlt; jmp halt
msg = ("VAMT-BOOT: %s\n" % marker).encode() + b"\0"
img = bytearray(size)
img[:len(code) + len(msg)] = code + msg
img[510:512] = b"\x55\xaa"
open(out, "wb").write(img)
EOF
}

make_media() {
    bootcode "$work/hd.img" HDD 1048576 &&
    mkdir -p "$work/cdroot" "$work/tftp" &&
    bootcode "$work/cdroot/boot.bin" CD 2048 &&
    xorriso -as mkisofs -quiet -V VAMTBOOT -o "$work/cd.iso" \
        -b boot.bin -no-emul-boot -boot-load-size 4 "$work/cdroot" \
        2> "$work/xorriso.err" &&
    bootcode "$work/tftp/vamt.pxe" PXE 512
}

if ! command -v xorriso > /dev/null || ! make_media; then
    tap_bail "make the boot media (xorriso: scripts/vamt/install-deps.sh)"
fi

# ---- the VM ----------------------------------------------------------------

# start_vm NAME [qemu args...]: SeaBIOS, no kernel, the vamt device
start_vm() {
    name=$1
    shift
    port=$(free_port)
    dbg=$logs/boot-$name.debugcon.log
    qmp_sock=$work/$name.qmp
    rm -f "$dbg"
    "$qemu" "${qemu_fw[@]}" \
        -M q35 -accel tcg -m 256 -nodefaults -display none \
        -chardev "file,id=dbg,path=$dbg" \
        -device isa-debugcon,iobase=0x402,chardev=dbg \
        -serial "file:$logs/boot-$name.serial.log" \
        -qmp "unix:$qmp_sock,server=on,wait=off" -action shutdown=pause \
        -object secret,id=amtpw,data=$password \
        -device "vamt,addr=16.0,listen=127.0.0.1:$port,admin-secret=amtpw" \
        "$@" 2> "$logs/boot-$name.qemu.err" &
    vm_pid=$!
    wait_for 10 eval '[ -S "$qmp_sock" ] && port_open "$port"'
}

bootindex() {
    qmp qom-get "{\"path\": \"$1\", \"property\": \"bootindex\"}" |
        sed -n 's/.*"return": \(-\?[0-9]*\).*/\1/p'
}

# boot_list: the boots so far, one line each: the device that printed its
# marker and SeaBIOS's last "Booting from" line before it.
boot_list() {
    awk '/^Booting from [A-Z]/ { how = $0 }
         /^VAMT-BOOT: / { print $2 " (" how ")"; how = "" }' "$dbg"
}

# wait_boot N: wait (60 s at most) for the Nth boot; print its device
wait_boot() {
    local _
    for _ in $(seq 600); do
        if [ "$(boot_list | wc -l)" -ge "$1" ]; then
            boot_list | sed -n "$1p"
            return
        fi
        sleep 0.1
    done
    echo "none"
}

# is_boot N DEVICE: the Nth boot came from DEVICE, as SeaBIOS said
is_boot() {
    local got expect
    got=$(wait_boot "$1")
    case $2 in
    PXE) expect="PXE (Booting from ROM...)" ;;
    CD) expect="CD (Booting from DVD/CD...)" ;;
    HDD) expect="HDD (Booting from Hard Disk...)" ;;
    esac
    echo "# boot $1: $got"
    [ "$got" = "$expect" ]
}

# amttool ARGS...: answer its "[y/N]" and expect "success"
amt() {
    echo y | AMT_PASSWORD=$password timeout 60 amttool "127.0.0.1:$port" \
        "$@" > "$work/amttool.out" 2>&1
    grep -q "success" "$work/amttool.out" || {
        sed 's/^/# amttool: /' "$work/amttool.out"
        return 1
    }
}

# ---- WS-Management -----------------------------------------------------------

cim=http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2
anon=http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous

# wsman_invoke CLASS METHOD SELECTORS INPUT: ReturnValue 0?
wsman_invoke() {
    local class=$1 method=$2 reply
    reply=$(wsman_call "$@")
    grep -q "<[a-z0-9]*:\?ReturnValue>0</" <<<"$reply" || {
        echo "# $class.$method: ${reply:0:400}"
        return 1
    }
}

epr() {
    echo "<wsa:Address>$anon</wsa:Address><wsa:ReferenceParameters>" \
         "<wsman:ResourceURI>$cim/$1</wsman:ResourceURI><wsman:SelectorSet>" \
         "$(wsman_sel InstanceID "$2")</wsman:SelectorSet></wsa:ReferenceParameters>"
}

power_state() {
    wsman_invoke CIM_PowerManagementService RequestPowerStateChange \
        "$(wsman_power_service)" "<p:PowerState>$1</p:PowerState>"
}

# wsman_boot SOURCE: what MeshCommander sends before a power action
wsman_boot() {
    local config="Intel(r) AMT: Boot Configuration 0"

    wsman_invoke CIM_BootService SetBootConfigRole \
        "$(wsman_sel CreationClassName CIM_BootService)$(wsman_sel Name \
          "Intel(r) AMT Boot Service")$(wsman_sel SystemCreationClassName \
          CIM_ComputerSystem)$(wsman_sel SystemName "Intel(r) AMT")" \
        "<p:BootConfigSetting>$(epr CIM_BootConfigSetting "$config")</p:BootConfigSetting><p:Role>1</p:Role>" &&
    wsman_invoke CIM_BootConfigSetting ChangeBootOrder \
        "$(wsman_sel InstanceID "$config")" \
        "<p:Source>$(epr CIM_BootSourceSetting "Intel(r) AMT: Force $1 Boot")</p:Source>"
}

# ---- A: no bootindex anywhere; the normal order is -boot's "cad" (disk) ----

# The disk is virtio-blk: an ide-hd on q35's AHCI costs 32 s per boot
# ("WARNING - Timeout at ahci_command:153!" in SeaBIOS 1.16.2).
media="-drive if=none,id=hd0,file=$work/hd.img,format=raw,snapshot=on
    -device virtio-blk-pci,id=hd,drive=hd0
    -drive if=none,id=cd0,file=$work/cd.iso,format=raw,media=cdrom,readonly=on
    -device ide-cd,id=cd,drive=cd0,bus=ide.1"
# The NICs keep their default iPXE ROMs (efi-*.rom from ipxe-qemu):
# QEMU patches the PCI IDs of default ROMs only, and Debian's virtio ROM
# says 1af4:1041, which SeaBIOS does not run for a 1af4:1000 NIC.
netdev="-netdev user,id=n0,restrict=on,tftp=$work/tftp,bootfile=vamt.pxe"

# shellcheck disable=SC2086
start_vm plain $media $netdev \
    -device e1000e,id=nic,netdev=n0
check "A: QEMU starts with an e1000e iPXE NIC, an AHCI CD, a disk, no bootindex" \
    eval '[ -n "$vm_pid" ] && kill -0 $vm_pid'
check "A: the first boot follows the normal order: disk" is_boot 1 HDD
check "A: amttool reset pxe boots the NIC's iPXE ROM, which loads the NBP" \
    eval 'amt reset pxe && is_boot 2 PXE'
check "A: the next reset boots the disk again" eval 'amt reset && is_boot 3 HDD'
check "A: amttool reset cd boots the CD" eval 'amt reset cd && is_boot 4 CD'
check "A: the next reset boots the disk again" eval 'amt reset && is_boot 5 HDD'
check "A: amttool powerdown; powerup cd powers on and boots the CD" \
    eval 'amt powerdown && sleep 0.5 && [ "$(vm_status)" = shutdown ] &&
          amt powerup cd && is_boot 6 CD && [ "$(vm_status)" = running ]'
check "A: WS-Man PXE override + RequestPowerStateChange(10) boots PXE" \
    eval 'wsman_boot PXE && power_state 10 && is_boot 7 PXE'
check "A: the next reset (RequestPowerStateChange 10) boots the disk again" \
    eval 'power_state 10 && is_boot 8 HDD'
check "A: the devices have no bootindex again" \
    eval '[ "$(bootindex /machine/peripheral/nic)" = -1 ] &&
          [ "$(bootindex /machine/peripheral/cd)" = -1 ] &&
          [ "$(bootindex /machine/peripheral/hd)" = -1 ]'
# SeaBIOS has no setup screen: the ME says no and does not reset
check "A: amttool reset bios is refused and the VM is not reset" \
    eval '! amt reset bios && grep -q "invalid parameter\|0x24" \
          "$work/amttool.out" && sleep 3 && [ "$(boot_list | wc -l)" = 8 ]'
stop_vm

# ---- B: bootindex on every device (as libvirt sets it): CD first -----------

# shellcheck disable=SC2086
start_vm indexed $netdev \
    -drive if=none,id=cd0,file=$work/cd.iso,format=raw,media=cdrom,readonly=on \
    -device ide-cd,id=cd,drive=cd0,bus=ide.0,bootindex=1 \
    -device virtio-net-pci,id=nic,netdev=n0,bootindex=2 \
    -drive if=none,id=hd0,file=$work/hd.img,format=raw,snapshot=on \
    -device virtio-blk-pci,id=hd,drive=hd0,bootindex=3
check "B: the first boot follows the bootindex order: CD" is_boot 1 CD
check "B: WS-Man hard-drive override + reset boots the virtio disk" \
    eval 'wsman_boot Hard-drive && power_state 10 && is_boot 2 HDD'
check "B: the next reset boots the CD again" eval 'power_state 10 && is_boot 3 CD'
check "B: WS-Man PXE override + reset boots the virtio NIC's iPXE ROM" \
    eval 'wsman_boot PXE && power_state 10 && is_boot 4 PXE'
check "B: the next reset boots the CD again" eval 'power_state 10 && is_boot 5 CD'
check "B: amttool reset hd boots the disk, and the next reset the CD" \
    eval 'amt reset hd && is_boot 6 HDD && amt reset && is_boot 7 CD'
check "B: the devices have their own bootindex back (cd 1, nic 2, disk 3)" \
    eval '[ "$(bootindex /machine/peripheral/cd)" = 1 ] &&
          [ "$(bootindex /machine/peripheral/nic)" = 2 ] &&
          [ "$(bootindex /machine/peripheral/hd)" = 3 ]'
stop_vm

# ---- C: bootindex 0 is taken (the disk): the others must move -----------

# shellcheck disable=SC2086
start_vm zero $netdev \
    -drive if=none,id=hd0,file=$work/hd.img,format=raw,snapshot=on \
    -device virtio-blk-pci,id=hd,drive=hd0,bootindex=0 \
    -drive if=none,id=cd0,file=$work/cd.iso,format=raw,media=cdrom,readonly=on \
    -device ide-cd,id=cd,drive=cd0,bus=ide.1,bootindex=1 \
    -device e1000e,id=nic,netdev=n0
check "C: the first boot is the disk (bootindex 0)" is_boot 1 HDD
check "C: amttool reset cd boots the CD, the next reset the disk" \
    eval 'amt reset cd && is_boot 2 CD && amt reset && is_boot 3 HDD'
check "C: amttool reset pxe boots the NIC (no bootindex of its own)" \
    eval 'amt reset pxe && is_boot 4 PXE && amt reset && is_boot 5 HDD'
check "C: the devices have their own bootindex back (disk 0, cd 1, nic none)" \
    eval '[ "$(bootindex /machine/peripheral/hd)" = 0 ] &&
          [ "$(bootindex /machine/peripheral/cd)" = 1 ] &&
          [ "$(bootindex /machine/peripheral/nic)" = -1 ]'
stop_vm
check "QEMU printed nothing on stderr" \
    eval '! grep -v "^$" "$logs"/boot-{plain,indexed,zero}.qemu.err'

tap_plan
