/*
 * vAMT: the HECI register file of the ME's PCI function 0
 *
 * The guest's mei_me driver talks to the ME through two circular buffers
 * of 128 dwords in BAR0, a control register each and one interrupt.  This
 * file is the register level only; the protocol above it is the ME core's
 * MEI bus (hw/vamt/me/mei/mei-bus.c), the PCI function itself is vamt.c.
 * Layout and handshake: docs/specs/vamt-heci.rst (Linux
 * drivers/misc/mei/hw-me.c and hw-me-regs.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "hw/pci/msi.h"
#include "hw/pci/pci.h"
#include "hw/vamt/vamt.h"
#include "trace/trace-hw_vamt.h"

/* BAR0 registers */
#define H_CB_WW         0x00
#define H_CSR           0x04
#define ME_CB_RW        0x08
#define ME_CSR_HA       0x0c
#define VAMT_BAR0_SIZE  0x1000

/* Bits shared by H_CSR and ME_CSR_HA */
#define CSR_IE          BIT(0)
#define CSR_IS          BIT(1)
#define CSR_IG          BIT(2)
#define CSR_RDY         BIT(3)
#define CSR_RST         BIT(4)
/* H_CSR only */
#define H_CSR_D0I3C_IE  BIT(5)
#define H_CSR_D0I3C_IS  BIT(6)
#define H_CSR_HOST_BITS (CSR_IE | CSR_RDY | CSR_RST | H_CSR_D0I3C_IE)
#define H_CSR_W1C_BITS  (CSR_IS | H_CSR_D0I3C_IS)

static void vamt_guest_error(const char *what)
{
    trace_vamt_heci_guest_error(what);
    qemu_log_mask(LOG_GUEST_ERROR, "vamt: %s\n", what);
}

static uint32_t cb_csr(uint8_t wp, uint8_t rp)
{
    return (MEI_CB_DEPTH << 24) | (wp << 16) | (rp << 8);
}

static uint8_t cb_filled(uint8_t wp, uint8_t rp)
{
    return wp - rp;
}

bool vamt_heci_link_is_up(VamtState *s)
{
    return (s->h_csr & CSR_RDY) && !(s->h_csr & CSR_RST) &&
           (s->me_csr & CSR_RDY);
}

static void vamt_update_irq(VamtState *s)
{
    PCIDevice *pd = PCI_DEVICE(s);
    bool level = (s->h_csr & CSR_IS) && (s->h_csr & CSR_IE);

    if (level != s->irq_level) {
        trace_vamt_heci_irq(level, msi_enabled(pd));
    }
    if (msi_enabled(pd)) {
        /* MSI is edge: one message per rise of the interrupt condition */
        if (level && !s->irq_level) {
            msi_notify(pd, 0);
        }
        pci_set_irq(pd, 0);
    } else {
        pci_set_irq(pd, level);
    }
    s->irq_level = level;
}

static void vamt_link_reset(VamtState *s)
{
    s->link_resets++;
    trace_vamt_heci_link_reset(s->link_resets);
    s->me_csr &= ~CSR_RDY;
    s->h_wp = s->h_rp = 0;
    s->me_wp = s->me_rp = 0;
    mei_bus_link_reset(vamt_me_mei(s->me));
    /* The ME comes back ready a moment later, from the bottom half */
    s->me_reset_pending = true;
    qemu_bh_schedule(s->bh);
}

static void vamt_write_h_csr(VamtState *s, uint32_t val)
{
    uint32_t old = s->h_csr;

    s->h_csr = (old & ~H_CSR_HOST_BITS) | (val & H_CSR_HOST_BITS);
    s->h_csr &= ~(val & H_CSR_W1C_BITS);
    if (val & CSR_RST) {
        /* Writing H_RST clears H_RDY; the host sets it again when done */
        s->h_csr &= ~CSR_RDY;
        if (!(old & CSR_RST)) {
            vamt_link_reset(s);
        }
    }
    if (!(old & CSR_RDY) && vamt_heci_link_is_up(s)) {
        trace_vamt_heci_host_ready();
        mei_bus_link_up(vamt_me_mei(s->me));
    }
    if (val & CSR_IG) {
        qemu_bh_schedule(s->bh);
    }
    vamt_update_irq(s);
}

/* Hand every complete host fragment to the bus; true if any was taken. */
static bool vamt_consume_host_cb(VamtState *s)
{
    MeiBus *bus = vamt_me_mei(s->me);
    uint8_t payload[MEI_MAX_FRAGMENT];
    bool consumed = false;

    for (;;) {
        uint8_t filled = cb_filled(s->h_wp, s->h_rp);
        uint32_t hdr, len, slots;

        if (!filled) {
            break;
        }
        hdr = s->h_cb[s->h_rp % MEI_CB_DEPTH];
        len = MEI_HDR_LENGTH(hdr);
        slots = 1 + DIV_ROUND_UP(len, 4);
        if (hdr == 0 || len > MEI_MAX_FRAGMENT) {
            vamt_guest_error("corrupt message header, host buffer dropped");
            s->h_rp = s->h_wp;
            consumed = true;
            break;
        }
        if (filled < slots) {
            break;              /* the rest of the fragment is not written */
        }
        if (!mei_bus_can_receive(bus)) {
            break;              /* the host must read before it writes more */
        }
        for (uint32_t i = 0; i < slots - 1; i++) {
            uint32_t dw = s->h_cb[(uint8_t)(s->h_rp + 1 + i) % MEI_CB_DEPTH];

            stl_le_p(payload + 4 * i, dw);
        }
        s->h_rp += slots;
        consumed = true;
        trace_vamt_heci_rx_fragment(hdr, len);
        mei_bus_receive(bus, hdr, payload, len);
    }
    return consumed;
}

/* Move whole ME fragments into the ME buffer; true if any was written. */
static bool vamt_fill_me_cb(VamtState *s)
{
    MeiBus *bus = vamt_me_mei(s->me);
    uint8_t payload[MEI_MAX_FRAGMENT + 4];
    bool wrote = false;
    size_t len;

    while (mei_bus_tx_peek(bus, MEI_MAX_FRAGMENT, &len)) {
        uint32_t slots = 1 + DIV_ROUND_UP(len, 4);
        uint32_t space = MEI_CB_DEPTH - cb_filled(s->me_wp, s->me_rp);
        uint32_t hdr;

        if (slots > space) {
            break;              /* the host reads and rings again */
        }
        memset(payload, 0, sizeof(payload));
        mei_bus_tx_take(bus, MEI_MAX_FRAGMENT, &hdr, payload, &len);
        trace_vamt_heci_tx_fragment(hdr, len);
        s->me_cb[s->me_wp % MEI_CB_DEPTH] = hdr;
        for (uint32_t i = 0; i < slots - 1; i++) {
            s->me_cb[(uint8_t)(s->me_wp + 1 + i) % MEI_CB_DEPTH] =
                ldl_le_p(payload + 4 * i);
        }
        /* publish only whole fragments */
        s->me_wp += slots;
        wrote = true;
    }
    return wrote;
}

static void vamt_bh(void *opaque)
{
    VamtState *s = opaque;
    bool interrupt = false;

    if (s->me_reset_pending) {
        s->me_reset_pending = false;
        s->me_csr |= CSR_RDY;
        trace_vamt_heci_link_ready();
        interrupt = true;
    }
    if (vamt_heci_link_is_up(s)) {
        /* The driver learns that its buffer drained only from an IRQ */
        interrupt |= vamt_fill_me_cb(s);
        interrupt |= vamt_consume_host_cb(s);
        interrupt |= vamt_fill_me_cb(s);
    }
    if (interrupt) {
        s->h_csr |= CSR_IS;
        vamt_update_irq(s);
    }
}

static uint64_t vamt_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    VamtState *s = opaque;
    uint32_t val = 0;

    switch (addr) {
    case H_CSR:
        val = cb_csr(s->h_wp, s->h_rp) | s->h_csr;
        break;
    case ME_CB_RW:
        if (s->me_wp != s->me_rp) {
            val = s->me_cb[s->me_rp % MEI_CB_DEPTH];
            s->me_rp++;
        }
        break;
    case ME_CSR_HA:
        val = cb_csr(s->me_wp, s->me_rp) | s->me_csr;
        break;
    }
    trace_vamt_heci_mmio_read(addr, val);
    return val;
}

static void vamt_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    VamtState *s = opaque;

    trace_vamt_heci_mmio_write(addr, val);
    switch (addr) {
    case H_CB_WW:
        if (cb_filled(s->h_wp, s->h_rp) >= MEI_CB_DEPTH) {
            vamt_guest_error("write to a full host buffer dropped");
            break;
        }
        s->h_cb[s->h_wp % MEI_CB_DEPTH] = val;
        s->h_wp++;
        break;
    case H_CSR:
        vamt_write_h_csr(s, val);
        break;
    }
}

static const MemoryRegionOps vamt_mmio_ops = {
    .read = vamt_mmio_read,
    .write = vamt_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

/* ---- what the device and the ME core call --------------------------- */

/* VamtPlatformOps.host_tx_ready: the ME has messages for the host */
void vamt_heci_host_tx_ready(void *opaque)
{
    VamtState *s = opaque;

    qemu_bh_schedule(s->bh);
}

void vamt_heci_init(VamtState *s)
{
    memory_region_init_io(&s->mmio, OBJECT(s), &vamt_mmio_ops, s,
                          "vamt-heci", VAMT_BAR0_SIZE);
    pci_register_bar(PCI_DEVICE(s), 0, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->mmio);
    s->bh = qemu_bh_new_guarded(vamt_bh, s, &DEVICE(s)->mem_reentrancy_guard);
    s->me_csr = CSR_RDY;
}

void vamt_heci_cleanup(VamtState *s)
{
    g_clear_pointer(&s->bh, qemu_bh_delete);
}

/*
 * A host (platform) reset restarts the host interface only: registers and
 * queues are cleared and the MEI bus drops its connections, but the ME's
 * own state (provisioning, settings) lives on.
 */
void vamt_heci_reset(VamtState *s)
{
    s->h_csr = 0;
    s->me_csr = CSR_RDY;
    s->h_wp = s->h_rp = s->me_wp = s->me_rp = 0;
    memset(s->h_cb, 0, sizeof(s->h_cb));
    memset(s->me_cb, 0, sizeof(s->me_cb));
    s->me_reset_pending = false;
    s->irq_level = false;
    mei_bus_link_reset(vamt_me_mei(s->me));
}

/* Registers from a migration stream: refuse what no ME could be in */
bool vamt_heci_post_load(VamtState *s, Error **errp)
{
    if (cb_filled(s->h_wp, s->h_rp) > MEI_CB_DEPTH ||
        cb_filled(s->me_wp, s->me_rp) > MEI_CB_DEPTH) {
        error_setg(errp, "vamt: circular buffer pointers out of range");
        return false;
    }
    qemu_bh_schedule(s->bh);
    return true;
}
