/*
 * vAMT: the ME's serial port (KT, PCI function 3), the guest's end of
 * Serial-over-LAN
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VAMT_KT_H
#define HW_VAMT_KT_H

#include "hw/pci/pci_device.h"
#include "hw/char/serial.h"
#include "chardev/char.h"
#include "me.h"

#define TYPE_VAMT_KT "vamt-kt"
OBJECT_DECLARE_SIMPLE_TYPE(VamtKtState, VAMT_KT)

/* Alder Lake-S PCH "KT" redirection UART, beside the HECI at 0x7ae8 */
#define VAMT_KT_DEVICE_ID   0x7aeb
#define VAMT_KT_FUNCTION    3

struct VamtKtState {
    PCIDevice parent_obj;

    SerialState serial;         /* a 16550A, as serial-pci's */
    Chardev *sol;               /* the UART's far end: the ME */
    VamtMe *me;                 /* set by the vamt device before realize */
    bool firmware_console;      /* ditto: SeaBIOS's console on this port */
    uint16_t sercon_port;       /* fw_cfg etc/sercon-port, little endian */
    int modem_lines;            /* CHR_TIOCM_* the guest drives */
    bool line_break;
};

/* SOL console input for the UART; returns how many bytes it took */
size_t vamt_kt_to_guest(VamtKtState *kt, const uint8_t *data, size_t len);

#endif
