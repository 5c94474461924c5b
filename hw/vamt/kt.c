/*
 * vAMT: the ME's serial port (KT, PCI function 3)
 *
 * A 16550A on an I/O BAR, as serial-pci is, with an Intel KT identity so
 * that Linux's 8250_pci binds it as one more ttyS port.  Its chardev is
 * private: the far end of the UART is the ME, which carries the bytes
 * to and from a console's Serial-over-LAN session.  No session, and the
 * port behaves as one with nothing plugged in: output is drained and
 * dropped, there is no carrier.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "chardev/char-serial.h"
#include "hw/irq.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "migration/vmstate.h"
#include "hw/vamt/kt.h"
#include "redir.h"
#include "trace/trace-hw_vamt.h"

#define TYPE_CHARDEV_VAMT_SOL "chardev-vamt-sol"
OBJECT_DECLARE_SIMPLE_TYPE(VamtSolChardev, CHARDEV_VAMT_SOL)

struct VamtSolChardev {
    Chardev parent;
    VamtKtState *kt;
};

static uint8_t vamt_kt_control(VamtKtState *kt)
{
    return (kt->modem_lines & CHR_TIOCM_RTS ? VAMT_SOL_CONTROL_RTS : 0) |
           (kt->modem_lines & CHR_TIOCM_DTR ? VAMT_SOL_CONTROL_DTR : 0) |
           (kt->line_break ? VAMT_SOL_CONTROL_BREAK : 0);
}

/* The guest transmitted: to the console, if one is there */
static int vamt_sol_chr_write(Chardev *chr, const uint8_t *buf, int len)
{
    VamtKtState *kt = CHARDEV_VAMT_SOL(chr)->kt;

    if (kt && kt->me) {
        vamt_me_sol_from_guest(kt->me, buf, len);
    }
    return len;
}

static int vamt_sol_chr_ioctl(Chardev *chr, int cmd, void *arg)
{
    VamtKtState *kt = CHARDEV_VAMT_SOL(chr)->kt;

    if (!kt || !kt->me) {
        return -ENOTSUP;
    }
    switch (cmd) {
    case CHR_IOCTL_SERIAL_SET_PARAMS:
        return 0;
    case CHR_IOCTL_SERIAL_SET_TIOCM:
        kt->modem_lines = *(int *)arg;
        break;
    case CHR_IOCTL_SERIAL_SET_BREAK:
        kt->line_break = *(int *)arg;
        break;
    case CHR_IOCTL_SERIAL_GET_TIOCM:
        /* a console on the line looks like a modem with carrier */
        *(int *)arg = vamt_redir_active(vamt_me_redir(kt->me),
                                        VAMT_REDIR_SOL) ?
                      CHR_TIOCM_CTS | CHR_TIOCM_DSR | CHR_TIOCM_CAR : 0;
        return 0;
    default:
        return -ENOTSUP;
    }
    trace_vamt_kt_control(vamt_kt_control(kt));
    vamt_me_sol_set_control(kt->me, vamt_kt_control(kt));
    return 0;
}

/* The UART's receive FIFO has room again */
static void vamt_sol_chr_accept_input(Chardev *chr)
{
    VamtKtState *kt = CHARDEV_VAMT_SOL(chr)->kt;

    if (kt && kt->me) {
        vamt_me_sol_guest_ready(kt->me);
    }
}

static void vamt_sol_chr_class_init(ObjectClass *oc, void *data)
{
    ChardevClass *cc = CHARDEV_CLASS(oc);

    cc->chr_write = vamt_sol_chr_write;
    cc->chr_ioctl = vamt_sol_chr_ioctl;
    cc->chr_accept_input = vamt_sol_chr_accept_input;
}

static const TypeInfo vamt_sol_chr_info = {
    .name = TYPE_CHARDEV_VAMT_SOL,
    .parent = TYPE_CHARDEV,
    .instance_size = sizeof(VamtSolChardev),
    .class_init = vamt_sol_chr_class_init,
};

size_t vamt_kt_to_guest(VamtKtState *kt, const uint8_t *data, size_t len)
{
    int room;

    if (!kt->sol) {
        return 0;
    }
    room = qemu_chr_be_can_write(kt->sol);
    if (room <= 0) {
        return 0;
    }
    len = MIN(len, room);
    qemu_chr_be_write(kt->sol, data, len);
    return len;
}

/*
 * SeaBIOS mirrors its screen to the 16550 at the I/O port that fw_cfg's
 * "etc/sercon-port" names, as a vPro BIOS redirects its console to SOL:
 * a console's session shows POST, the boot menu and the boot loader and
 * types into them.  The port is this function's BAR, which the firmware
 * assigns earlier in the same POST, so the file is filled in when the
 * firmware reads it.  OVMF ignores the file.
 */
static void vamt_kt_sercon_select(void *opaque)
{
    PCIDevice *pd = opaque;
    pcibus_t port = pci_get_bar_addr(pd, 0);

    if (port == PCI_BAR_UNMAPPED || port > UINT16_MAX) {
        port = 0;   /* no port to name: SeaBIOS leaves its console alone */
    }
    stw_le_p(&VAMT_KT(pd)->sercon_port, port);
    trace_vamt_kt_firmware_console(port);
}

static void vamt_kt_realize(PCIDevice *pd, Error **errp)
{
    VamtKtState *kt = VAMT_KT(pd);
    SerialState *s = &kt->serial;

    if (!kt->me) {
        error_setg(errp, "vamt-kt is created by the vamt device (kt=on)");
        return;
    }
    kt->sol = qemu_chardev_new(NULL, TYPE_CHARDEV_VAMT_SOL, NULL, NULL,
                               errp);
    if (!kt->sol) {
        return;
    }
    CHARDEV_VAMT_SOL(kt->sol)->kt = kt;
    qdev_prop_set_chr(DEVICE(s), "chardev", kt->sol);
    if (!qdev_realize(DEVICE(s), NULL, errp)) {
        object_unparent(OBJECT(kt->sol));
        kt->sol = NULL;
        return;
    }
    pd->config[PCI_CLASS_PROG] = 0x02;      /* 16550 */
    pd->config[PCI_INTERRUPT_PIN] = 0x01;
    s->irq = pci_allocate_irq(pd);
    memory_region_init_io(&s->io, OBJECT(kt), &serial_io_ops, s,
                          "vamt-kt", 8);
    pci_register_bar(pd, 0, PCI_BASE_ADDRESS_SPACE_IO, &s->io);
    if (kt->firmware_console && fw_cfg_find()) {
        fw_cfg_add_file_callback(fw_cfg_find(), "etc/sercon-port",
                                 vamt_kt_sercon_select, NULL, pd,
                                 &kt->sercon_port, sizeof(kt->sercon_port),
                                 true);
    }
}

static void vamt_kt_exit(PCIDevice *pd)
{
    VamtKtState *kt = VAMT_KT(pd);

    qdev_unrealize(DEVICE(&kt->serial));
    qemu_free_irq(kt->serial.irq);
    if (kt->sol) {
        CHARDEV_VAMT_SOL(kt->sol)->kt = NULL;
        object_unparent(OBJECT(kt->sol));
        kt->sol = NULL;
    }
}

static const VMStateDescription vmstate_vamt_kt = {
    .name = "vamt-kt",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, VamtKtState),
        VMSTATE_STRUCT(serial, VamtKtState, 0, vmstate_serial, SerialState),
        VMSTATE_END_OF_LIST()
    }
};

static void vamt_kt_init(Object *obj)
{
    VamtKtState *kt = VAMT_KT(obj);

    object_initialize_child(obj, "serial", &kt->serial, TYPE_SERIAL);
}

static void vamt_kt_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = vamt_kt_realize;
    k->exit = vamt_kt_exit;
    k->vendor_id = PCI_VENDOR_ID_INTEL;
    k->device_id = VAMT_KT_DEVICE_ID;
    k->revision = 0x11;
    k->class_id = PCI_CLASS_COMMUNICATION_SERIAL;
    dc->desc = "Intel AMT serial-over-LAN port (KT), part of vamt";
    dc->vmsd = &vmstate_vamt_kt;
    /* only the vamt device creates it, as its function 3 */
    dc->user_creatable = false;
    dc->hotpluggable = false;
    set_bit(DEVICE_CATEGORY_INPUT, dc->categories);
}

static const TypeInfo vamt_kt_info = {
    .name = TYPE_VAMT_KT,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(VamtKtState),
    .instance_init = vamt_kt_init,
    .class_init = vamt_kt_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void vamt_kt_register_types(void)
{
    type_register_static(&vamt_sol_chr_info);
    type_register_static(&vamt_kt_info);
}

type_init(vamt_kt_register_types)
