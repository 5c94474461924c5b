#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the tiny vAMT test guest into $VAMT_GUEST:
#   vmlinux     Debian's own kernel (linux-image-amd64's target), the ELF
#               taken out of the bzImage so QEMU boots it through PVH
#               (3 s under TCG instead of 6 s: no xz decompression)
#   initrd.gz   busybox-static, the mei, mei_me, watchdog and mei_wdt
#               modules of that kernel, evdev and button for busybox
#               acpid (the ACPI power button powers the guest off in
#               demo mode), libata, ata_generic, sr_mod and isofs for the
#               IDE-R CD, ahci for a local CD to compare it with,
#               usbcore, the xHCI and UHCI hosts, usbhid and hid-generic
#               for the KVM tests' usb-tablet, the NIC drivers of QEMU's
#               e1000, e1000e, rtl8139 and virtio-net-pci (with mii,
#               failover and the virtio modules, none built into Debian's
#               kernel) and udhcpc's script for vamt.net=dhcp, our
#               /init, a static meiclient and a static kvmguest
#
# The kernel .deb is only downloaded and unpacked, never installed.
# Re-running is cheap: the kernel is cached by version, the initramfs is
# rebuilt only when its inputs change.
set -euo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"

here=$VAMT_REPO/tests/guest
"$VAMT_REPO/scripts/vamt/install-deps.sh"
mkdir -p "$VAMT_GUEST"
# One builder at a time: the suite starts tests in the background, and
# two that find the image out of date must not both write it.
exec 8> "$VAMT_GUEST/build-guest.lock"
flock 8

# linux-image-amd64 depends on the current ABI's package, e.g.
# linux-image-6.1.0-56-amd64; older ABIs vanish from the mirror.
kpkg=$(apt-cache depends linux-image-amd64 |
       sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
if [ -z "$kpkg" ]; then
    echo "build-guest: cannot resolve linux-image-amd64 to a kernel package" >&2
    exit 1
fi
kver=${kpkg#linux-image-}
kdir=$VAMT_GUEST/kernel-$kver
modules="kernel/drivers/misc/mei/mei.ko kernel/drivers/misc/mei/mei-me.ko
         kernel/drivers/watchdog/watchdog.ko kernel/drivers/watchdog/mei_wdt.ko
         kernel/drivers/input/evdev.ko kernel/drivers/acpi/button.ko
         kernel/drivers/scsi/scsi_common.ko kernel/drivers/scsi/scsi_mod.ko
         kernel/drivers/ata/libata.ko kernel/drivers/ata/ata_generic.ko
         kernel/drivers/cdrom/cdrom.ko kernel/drivers/scsi/sr_mod.ko
         kernel/fs/isofs/isofs.ko
         kernel/drivers/ata/libahci.ko kernel/drivers/ata/ahci.ko
         kernel/drivers/net/ethernet/intel/e1000/e1000.ko
         kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko
         kernel/drivers/net/mii.ko
         kernel/drivers/net/ethernet/realtek/8139cp.ko
         kernel/drivers/net/ethernet/realtek/8139too.ko
         kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
         kernel/drivers/virtio/virtio_pci_modern_dev.ko
         kernel/drivers/virtio/virtio_pci_legacy_dev.ko
         kernel/drivers/virtio/virtio_pci.ko
         kernel/net/core/failover.ko kernel/drivers/net/net_failover.ko
         kernel/drivers/net/virtio_net.ko
         kernel/drivers/usb/common/usb-common.ko kernel/drivers/usb/core/usbcore.ko
         kernel/drivers/usb/host/xhci-hcd.ko kernel/drivers/usb/host/xhci-pci.ko
         kernel/drivers/usb/host/uhci-hcd.ko
         kernel/drivers/hid/hid.ko kernel/drivers/hid/usbhid/usbhid.ko
         kernel/drivers/hid/hid-generic.ko"

have_kernel() {
    local m
    [ -f "$kdir/vmlinux" ] || return 1
    for m in $modules; do
        [ -f "$kdir/$(basename "$m" | tr - _)" ] || return 1
    done
}

if ! have_kernel; then
    echo "build-guest: fetching $kpkg"
    work=$(mktemp -d "$VAMT_GUEST/unpack.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && apt-get download "$kpkg" 2>&1 | grep -v unsandboxed) || true
    deb=$(ls "$work"/linux-image-*.deb)
    dpkg-deb -x "$deb" "$work/root"
    mkdir -p "$work/out"
    for m in $modules; do
        src=$work/root/lib/modules/$kver/$m
        # trixie's kernels compress their modules; bookworm's do not
        if [ -f "$src.xz" ]; then
            xz -dc "$src.xz" > "$work/out/$(basename "$m" | tr - _)"
        else
            cp "$src" "$work/out/$(basename "$m" | tr - _)"
        fi
    done
    python3 "$here/extract-vmlinux.py" "$work/root/boot/vmlinuz-$kver" \
        "$work/out/vmlinux"
    rm -rf "$kdir"
    mv "$work/out" "$kdir"
    rm -rf "$work"
    trap - EXIT
fi

# Rebuild the initramfs only when one of its inputs changed.
inputs=$( (echo "$kver"; cat "$here/init" "$here/meiclient.c" "$0" \
           "$here/kvmguest.c" \
           "$here/wsman-bench.c" "$VAMT_REPO/tests/common/vamt-digest-client.c" \
           /bin/busybox) | sha256sum | cut -d' ' -f1)
if [ -f "$VAMT_GUEST/initrd.gz" ] &&
   [ "$(cat "$VAMT_GUEST/initrd.inputs" 2>/dev/null)" = "$inputs" ]; then
    ln -sf "kernel-$kver/vmlinux" "$VAMT_GUEST/vmlinux"
    exit 0
fi

echo "build-guest: initramfs for $kver"
stage=$(mktemp -d "$VAMT_GUEST/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,lib/modules,etc/acpi/PWRF}
cp /bin/busybox "$stage/bin/busybox"
install -m 755 "$here/init" "$stage/init"
gcc -static -O2 -Wall -Werror -o "$stage/bin/meiclient" "$here/meiclient.c"
gcc -static -O2 -Wall -Werror -o "$stage/bin/kvmguest" "$here/kvmguest.c"
# the LME benchmark's WS-Man client, with the suite's Digest client; the
# static glib warns about NSS functions it never reaches here
gcc -static -O2 -Wall -Werror -D_GNU_SOURCE -I"$VAMT_REPO/tests/common" \
    -o "$stage/bin/wsman-bench" "$here/wsman-bench.c" \
    "$VAMT_REPO/tests/common/vamt-digest-client.c" \
    $(pkg-config --cflags glib-2.0) $(pkg-config --static --libs glib-2.0) \
    2>&1 | { grep -v 'statically linked applications requires at runtime\|: in function' || true; }
cp "$kdir"/*.ko "$stage/lib/modules/"
# busybox acpid runs /etc/acpi/PWRF/00000080 on the power button
cat > "$stage/etc/acpi/PWRF/00000080" <<'ACPI'
#!/bin/sh
echo "VAMT-GUEST: POWERBUTTON uptime=$(cut -d' ' -f1 /proc/uptime)s" \
     "powering off" > /dev/console
poweroff -f
ACPI
chmod 755 "$stage/etc/acpi/PWRF/00000080"
# busybox udhcpc's script (Debian's busybox-static has none): configure
# the interface with the lease, its router and DNS server.  Also where
# udhcpc looks for it when run without -s.
mkdir -p "$stage/usr/share/udhcpc"
cat > "$stage/etc/udhcpc.script" <<'DHCP'
#!/bin/sh
case $1 in
deconfig)
    ifconfig "$interface" 0.0.0.0 up
    ;;
bound|renew)
    ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up
    while route del default 2>/dev/null; do :; done
    for r in $router; do
        route add default gw "$r" dev "$interface"
        break
    done
    : > /etc/resolv.conf
    for d in $dns; do
        echo "nameserver $d" >> /etc/resolv.conf
    done
    ;;
esac
exit 0
DHCP
chmod 755 "$stage/etc/udhcpc.script"
ln -s /etc/udhcpc.script "$stage/usr/share/udhcpc/default.script"
# reproducible archive: fixed times, sorted names, no owner
find "$stage" -exec touch -h -d @0 {} +
(cd "$stage" && find . | LC_ALL=C sort |
    cpio --quiet -o -H newc -R 0:0 --reproducible) |
    gzip -9n > "$VAMT_GUEST/initrd.gz.new"
mv "$VAMT_GUEST/initrd.gz.new" "$VAMT_GUEST/initrd.gz"
echo "$inputs" > "$VAMT_GUEST/initrd.inputs"
ln -sf "kernel-$kver/vmlinux" "$VAMT_GUEST/vmlinux"
echo "build-guest: $VAMT_GUEST/vmlinux ($kver), $VAMT_GUEST/initrd.gz" \
     "($(stat -c %s "$VAMT_GUEST/initrd.gz") bytes)"
