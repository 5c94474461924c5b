/*
 * vAMT: the HECI/MEI PCI function (function 0 of the ME)
 *
 * The guest's mei_me driver talks to the ME through two circular buffers
 * of 128 dwords in BAR0, a control register each and one interrupt.  This
 * file is the register level; the protocol above it is the ME core's MEI
 * bus (hw/vamt/me/mei-bus.c).  Layout and handshake: Linux
 * drivers/misc/mei/hw-me.c and hw-me-regs.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "qemu/uuid.h"
#include "hw/pci/msi.h"
#include "hw/pci/pci.h"
#include "hw/qdev-properties.h"
#include "migration/misc.h"
#include "migration/vmstate.h"
#include "qapi/qapi-events-vamt.h"
#include "qapi/visitor.h"
#include "crypto/secret_common.h"
#include "system/runstate-action.h"
#include "system/system.h"
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

/* Config space: FW status registers and capabilities (as on real PCHs) */
static const uint8_t vamt_fwsts_offset[VAMT_FWSTS_COUNT] = {
    0x40, 0x48, 0x60, 0x64, 0x68, 0x6c
};
#define VAMT_PM_CAP_OFFSET      0x50
#define VAMT_MSI_CAP_OFFSET     0x8c
#define VAMT_FWSTS1_D0I3        BIT(31)

#define VAMT_DEFAULT_FW_VERSION "16.1.30.2307"

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

static bool vamt_link_is_up(VamtState *s)
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
    mei_bus_link_reset(s->bus);
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
    if (!(old & CSR_RDY) && vamt_link_is_up(s)) {
        trace_vamt_heci_host_ready();
        mei_bus_link_up(s->bus);
    }
    if (val & CSR_IG) {
        qemu_bh_schedule(s->bh);
    }
    vamt_update_irq(s);
}

/* Hand every complete host fragment to the bus; true if any was taken. */
static bool vamt_consume_host_cb(VamtState *s)
{
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
        if (!mei_bus_can_receive(s->bus)) {
            break;              /* the host must read before it writes more */
        }
        for (uint32_t i = 0; i < slots - 1; i++) {
            uint32_t dw = s->h_cb[(uint8_t)(s->h_rp + 1 + i) % MEI_CB_DEPTH];

            stl_le_p(payload + 4 * i, dw);
        }
        s->h_rp += slots;
        consumed = true;
        trace_vamt_heci_rx_fragment(hdr, len);
        mei_bus_receive(s->bus, hdr, payload, len);
    }
    return consumed;
}

/* Move whole ME fragments into the ME buffer; true if any was written. */
static bool vamt_fill_me_cb(VamtState *s)
{
    uint8_t payload[MEI_MAX_FRAGMENT + 4];
    bool wrote = false;
    size_t len;

    while (mei_bus_tx_peek(s->bus, MEI_MAX_FRAGMENT, &len)) {
        uint32_t slots = 1 + DIV_ROUND_UP(len, 4);
        uint32_t space = MEI_CB_DEPTH - cb_filled(s->me_wp, s->me_rp);
        uint32_t hdr;

        if (slots > space) {
            break;              /* the host reads and rings again */
        }
        memset(payload, 0, sizeof(payload));
        mei_bus_tx_take(s->bus, MEI_MAX_FRAGMENT, &hdr, payload, &len);
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
    if (vamt_link_is_up(s)) {
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

/* ---- the ME core's platform -------------------------------------------- */

static void vamt_core_tx_ready(void *opaque)
{
    VamtState *s = opaque;

    qemu_bh_schedule(s->bh);
}

static int64_t vamt_core_clock_ms(void *opaque)
{
    return qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL);
}

static void vamt_core_timer_mod(void *opaque, int64_t deadline_ms)
{
    VamtState *s = opaque;

    if (deadline_ms < 0) {
        timer_del(s->wd_timer);
    } else {
        timer_mod(s->wd_timer, deadline_ms);
    }
}

static void vamt_core_log(void *opaque, const char *msg)
{
    trace_vamt_me_log(msg);
}

static void vamt_core_watchdog_expired(void *opaque, uint16_t timeout_s)
{
    g_autofree char *path = object_get_canonical_path(OBJECT(opaque));

    trace_vamt_watchdog_expired(timeout_s);
    qapi_event_send_vamt_watchdog(path, timeout_s);
}

static const MeiBusOps vamt_core_ops = {
    .tx_ready = vamt_core_tx_ready,
    .clock_ms = vamt_core_clock_ms,
    .timer_mod = vamt_core_timer_mod,
    .log = vamt_core_log,
    .watchdog_expired = vamt_core_watchdog_expired,
};

static void vamt_wd_timer_cb(void *opaque)
{
    VamtState *s = opaque;

    mei_bus_timer_expired(s->bus);
}

/* The ME core's state changed; its opaque is &VamtState.platform */
static void vamt_core_state_changed(void *opaque)
{
    VamtState *s = container_of(opaque, VamtState, platform);

    if (s->nvram) {
        vamt_nvram_schedule_write(s->nvram);
    }
}

/* ---- QOM ---------------------------------------------------------------- */

static void vamt_exit(PCIDevice *pd);

/* The ME's management side: AMT state, web service, platform binding. */
static bool vamt_power_off_stops(VamtState *s)
{
    return s->power_off_mode && !strcmp(s->power_off_mode, "stop");
}

static bool vamt_me_realize(VamtState *s, Error **errp)
{
    g_autofree char *password = NULL;

    if (s->listen && !s->admin_secret) {
        error_setg(errp, "listen= needs admin-secret=: the id of a "
                   "'-object secret' holding the AMT admin password");
        return false;
    }
    if (s->admin_secret) {
        password = qcrypto_secret_lookup_as_utf8(s->admin_secret, errp);
        if (!password) {
            return false;
        }
        /* AMT's rule: 8 to 32 characters */
        if (strlen(password) < 8 || strlen(password) > 32) {
            error_setg(errp, "the AMT admin password in secret '%s' must "
                       "have 8 to 32 characters", s->admin_secret);
            return false;
        }
    }
    if (password) {
        /*
         * An admin password set by the platform's owner is what remote
         * configuration (ACM) would have left: consoles and in-guest
         * agents alike see a provisioned ME.
         */
        s->fw.provisioning_state = VAMT_PROVISIONING_POST;
        s->fw.control_mode = VAMT_CONTROL_MODE_ACM;
    }
    if (s->power_off_mode && strcmp(s->power_off_mode, "shutdown") &&
        strcmp(s->power_off_mode, "stop")) {
        error_setg(errp, "power-off-mode must be 'shutdown' or 'stop', "
                   "not '%s'", s->power_off_mode);
        return false;
    }
    vamt_platform_init(&s->platform, vamt_power_off_stops(s));
    s->platform_ops = vamt_platform_ops;
    if (s->nvram_path) {
        s->platform_ops.state_changed = vamt_core_state_changed;
    }
    s->me = vamt_me_new(&s->fw, &s->platform_ops, &s->platform);
    if (s->nvram_path) {
        s->nvram = vamt_nvram_open(s->nvram_path, s->me, errp);
        if (!s->nvram) {
            return false;
        }
    }
    /* after the NVRAM load: admin-secret wins over a saved password */
    if (password) {
        vamt_me_set_admin_password(s->me, password);
    }
    if (s->listen) {
        s->listener = vamt_listener_new(s->listen, vamt_me_http(s->me),
                                        errp);
        if (!s->listener) {
            return false;
        }
        if (shutdown_action != SHUTDOWN_ACTION_PAUSE &&
            !vamt_power_off_stops(s)) {
            warn_report("vamt: without -action shutdown=pause a guest "
                        "power-off ends QEMU, and the ME with it");
        }
    }
    return true;
}

static void vamt_realize(PCIDevice *pd, Error **errp)
{
    VamtState *s = VAMT(pd);
    uint8_t *conf = pd->config;
    bool ambiguous = false;

    object_resolve_path_type("", TYPE_VAMT, &ambiguous);
    if (ambiguous) {
        error_setg(errp, "only one vamt device is allowed per machine");
        return;
    }
    if (s->fwsts[0] & VAMT_FWSTS1_D0I3) {
        error_setg(errp, "fwsts1 bit 31 (D0i3 support) must be clear: "
                   "vamt does not emulate D0i3 power gating");
        return;
    }
    vamt_firmware_init(&s->fw);
    if (!vamt_fw_version_parse(s->fw_version ?: VAMT_DEFAULT_FW_VERSION,
                               &s->fw.version)) {
        error_setg(errp, "fw-version '%s' is not major.minor.hotfix.build",
                   s->fw_version);
        return;
    }
    /* AMT reports the SMBIOS UUID, whose first three fields are LE */
    vamt_uuid_swap_fields(s->fw.system_uuid, qemu_uuid.data);

    pci_config_set_device_id(conf, s->device_id);
    pci_set_word(conf + PCI_SUBSYSTEM_VENDOR_ID, PCI_VENDOR_ID_INTEL);
    pci_set_word(conf + PCI_SUBSYSTEM_ID, 0x7270);
    pci_config_set_interrupt_pin(conf, 1);
    for (int i = 0; i < VAMT_FWSTS_COUNT; i++) {
        /* read-only to the guest */
        pci_set_long(conf + vamt_fwsts_offset[i], s->fwsts[i]);
        pci_set_long(pd->wmask + vamt_fwsts_offset[i], 0);
    }

    /* MSI first: the list is built head-first, so PM@0x50 -> MSI@0x8c */
    if (msi_init(pd, VAMT_MSI_CAP_OFFSET, 1, true, false, errp) < 0) {
        return;
    }
    if (pci_pm_init(pd, VAMT_PM_CAP_OFFSET, errp) < 0) {
        return;
    }
    pci_set_word(conf + VAMT_PM_CAP_OFFSET + PCI_PM_PMC, PCI_PM_CAP_VER_1_2);
    pci_set_word(pd->wmask + VAMT_PM_CAP_OFFSET + PCI_PM_CTRL,
                 PCI_PM_CTRL_STATE_MASK);

    memory_region_init_io(&s->mmio, OBJECT(s), &vamt_mmio_ops, s,
                          "vamt-heci", VAMT_BAR0_SIZE);
    pci_register_bar(pd, 0, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->mmio);

    s->bh = qemu_bh_new_guarded(vamt_bh, s, &DEVICE(s)->mem_reentrancy_guard);
    s->wd_timer = timer_new_ms(QEMU_CLOCK_VIRTUAL, vamt_wd_timer_cb, s);
    s->bus = mei_bus_new(&vamt_core_ops, s, &s->fw);
    s->me_csr = CSR_RDY;

    if (!vamt_me_realize(s, errp)) {
        vamt_exit(pd);
    }
}

static void vamt_exit(PCIDevice *pd)
{
    VamtState *s = VAMT(pd);

    g_clear_pointer(&s->bh, qemu_bh_delete);
    g_clear_pointer(&s->wd_timer, timer_free);
    g_clear_pointer(&s->bus, mei_bus_free);
    g_clear_pointer(&s->bus_blob, g_free);
    g_clear_pointer(&s->me_blob, g_free);
    g_clear_pointer(&s->listener, vamt_listener_free);
    /* writes what is pending, so before the ME goes */
    g_clear_pointer(&s->nvram, vamt_nvram_close);
    if (s->me) {
        g_clear_pointer(&s->me, vamt_me_free);
        vamt_platform_cleanup(&s->platform);
    }
    msi_uninit(pd);
}

/*
 * A host (platform) reset restarts the host interface only: registers and
 * queues are cleared and the MEI bus drops its connections, but the ME's
 * own state (provisioning, settings) lives on.
 */
static void vamt_reset_hold(Object *obj, ResetType type)
{
    VamtState *s = VAMT(obj);

    s->h_csr = 0;
    s->me_csr = CSR_RDY;
    s->h_wp = s->h_rp = s->me_wp = s->me_rp = 0;
    memset(s->h_cb, 0, sizeof(s->h_cb));
    memset(s->me_cb, 0, sizeof(s->me_cb));
    s->me_reset_pending = false;
    s->irq_level = false;
    mei_bus_link_reset(s->bus);
    /* the host boots again: one-time boot options are spent */
    if (vamt_platform_reset(&s->platform)) {
        vamt_amt_notify_boot(vamt_me_amt(s->me));
    }
}

VamtInfo *vamt_query(VamtState *s)
{
    VamtInfo *info = g_new0(VamtInfo, 1);
    const VamtFwVersion *v = &s->fw.version;
    MeiBusInfo bus;

    mei_bus_get_info(s->bus, &bus);
    info->qom_path = object_get_canonical_path(OBJECT(s));
    info->device_id = s->device_id;
    info->fw_version = g_strdup_printf("%u.%u.%u.%u", v->major, v->minor,
                                       v->hotfix, v->build);
    if (!vamt_link_is_up(s)) {
        info->link = VAMT_LINK_STATE_RESET;
    } else if (bus.hbm_state == MEI_HBM_STARTED) {
        info->link = VAMT_LINK_STATE_STARTED;
    } else {
        info->link = VAMT_LINK_STATE_READY;
    }
    info->hbm_version = g_strdup_printf("%u.%u", bus.hbm_major,
                                        bus.hbm_minor);
    info->connections = bus.connections;
    info->link_resets = s->link_resets;
    return info;
}

/* ---- migration ---------------------------------------------------------- */

static int vamt_pre_save(void *opaque)
{
    VamtState *s = opaque;
    GByteArray *blob = g_byte_array_new();

    mei_bus_save(s->bus, blob);
    g_free(s->bus_blob);
    s->bus_blob_len = blob->len;
    s->bus_blob = g_byte_array_free(blob, false);

    blob = g_byte_array_new();
    vamt_amt_save(vamt_me_amt(s->me), blob);
    g_free(s->me_blob);
    s->me_blob_len = blob->len;
    s->me_blob = g_byte_array_free(blob, false);
    /* the state is captured: the destination owns the NVRAM file now */
    vamt_nvram_hand_over(s->nvram);
    return 0;
}

static int vamt_post_save(void *opaque)
{
    VamtState *s = opaque;

    g_clear_pointer(&s->bus_blob, g_free);
    g_clear_pointer(&s->me_blob, g_free);
    /* savevm, not a migration: the file is still ours */
    if (!migration_is_running()) {
        vamt_nvram_take_back(s->nvram);
    }
    return 0;
}

static int vamt_post_load(void *opaque, int version_id)
{
    VamtState *s = opaque;
    g_autofree char *err = NULL;
    bool ok;

    if (cb_filled(s->h_wp, s->h_rp) > MEI_CB_DEPTH ||
        cb_filled(s->me_wp, s->me_rp) > MEI_CB_DEPTH) {
        error_report("vamt: circular buffer pointers out of range");
        return -EINVAL;
    }
    ok = mei_bus_load(s->bus, s->bus_blob, s->bus_blob_len, &err);
    g_clear_pointer(&s->bus_blob, g_free);
    if (!ok) {
        error_report("%s", err);
        return -EINVAL;
    }
    ok = vamt_me_load(s->me, s->me_blob, s->me_blob_len);
    g_clear_pointer(&s->me_blob, g_free);
    if (!ok) {
        error_report("vamt: the migrated ME state is not valid");
        return -EINVAL;
    }
    /* the destination owns the NVRAM file from now on */
    if (s->nvram) {
        vamt_nvram_schedule_write(s->nvram);
    }
    qemu_bh_schedule(s->bh);
    return 0;
}

static const VMStateDescription vmstate_vamt = {
    .name = TYPE_VAMT,
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = vamt_pre_save,
    .post_save = vamt_post_save,
    .post_load = vamt_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, VamtState),
        VMSTATE_UINT32(h_csr, VamtState),
        VMSTATE_UINT32(me_csr, VamtState),
        VMSTATE_UINT8(h_wp, VamtState),
        VMSTATE_UINT8(h_rp, VamtState),
        VMSTATE_UINT8(me_wp, VamtState),
        VMSTATE_UINT8(me_rp, VamtState),
        VMSTATE_UINT32_ARRAY(h_cb, VamtState, MEI_CB_DEPTH),
        VMSTATE_UINT32_ARRAY(me_cb, VamtState, MEI_CB_DEPTH),
        VMSTATE_BOOL(me_reset_pending, VamtState),
        VMSTATE_BOOL(irq_level, VamtState),
        VMSTATE_UINT32(link_resets, VamtState),
        VMSTATE_UINT32(bus_blob_len, VamtState),
        VMSTATE_VBUFFER_ALLOC_UINT32(bus_blob, VamtState, 0, NULL,
                                     bus_blob_len),
        VMSTATE_UINT32(me_blob_len, VamtState),
        VMSTATE_VBUFFER_ALLOC_UINT32(me_blob, VamtState, 0, NULL,
                                     me_blob_len),
        VMSTATE_END_OF_LIST()
    },
};

static const Property vamt_properties[] = {
    DEFINE_PROP_UINT16("device-id", VamtState, device_id, 0x7ae8),
    DEFINE_PROP_STRING("fw-version", VamtState, fw_version),
    DEFINE_PROP_UINT32("fwsts1", VamtState, fwsts[0], 0x00000245),
    DEFINE_PROP_UINT32("fwsts2", VamtState, fwsts[1], 0),
    DEFINE_PROP_UINT32("fwsts3", VamtState, fwsts[2], 0x00000030),
    DEFINE_PROP_UINT32("fwsts4", VamtState, fwsts[3], 0),
    DEFINE_PROP_UINT32("fwsts5", VamtState, fwsts[4], 0),
    DEFINE_PROP_UINT32("fwsts6", VamtState, fwsts[5], 0),
    DEFINE_PROP_STRING("listen", VamtState, listen),
    DEFINE_PROP_STRING("admin-secret", VamtState, admin_secret),
    DEFINE_PROP_STRING("power-off-mode", VamtState, power_off_mode),
    DEFINE_PROP_STRING("nvram", VamtState, nvram_path),
};

static void vamt_get_listen_port(Object *obj, Visitor *v, const char *name,
                                 void *opaque, Error **errp)
{
    VamtState *s = VAMT(obj);
    int64_t port = vamt_listener_port(s->listener);

    visit_type_int(v, name, &port, errp);
}

static void vamt_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    k->realize = vamt_realize;
    k->exit = vamt_exit;
    k->vendor_id = PCI_VENDOR_ID_INTEL;
    k->device_id = 0x7ae8;
    k->revision = 0x11;
    k->class_id = PCI_CLASS_COMMUNICATION_OTHER;
    rc->phases.hold = vamt_reset_hold;
    dc->desc = "Intel AMT management engine (HECI/MEI interface)";
    dc->vmsd = &vmstate_vamt;
    dc->hotpluggable = false;
    device_class_set_props(dc, vamt_properties);
    object_class_property_set_description(klass, "device-id",
        "PCI device ID of the HECI function (default 0x7ae8, Alder Lake-S)");
    object_class_property_set_description(klass, "fw-version",
        "ME firmware version major.minor.hotfix.build (default "
        VAMT_DEFAULT_FW_VERSION ")");
    object_class_property_set_description(klass, "listen",
        "serve WS-Management and legacy SOAP (AMT port 16992) on this host "
        "socket, e.g. 127.0.0.1:16992; needs admin-secret");
    object_class_property_set_description(klass, "power-off-mode",
        "how a console's power-off stops the VM: 'shutdown' (default; "
        "with -action shutdown=pause) or 'stop' (pause, for libvirt, "
        "which ends QEMU on a SHUTDOWN event)");
    object_class_property_add(klass, "listen-port", "int",
                              vamt_get_listen_port, NULL, NULL, NULL);
    object_class_property_set_description(klass, "listen-port",
        "the TCP port the web service listens on (read-only; -1 when not "
        "listening), for listen=host:0");
    object_class_property_set_description(klass, "admin-secret",
        "id of a secret object holding the AMT admin password "
        "(8 to 32 characters)");
    object_class_property_set_description(klass, "nvram",
        "file keeping the ME's state (users, settings, logs) across QEMU "
        "restarts; created if missing; /dev/fdset/N works");
    for (int i = 0; i < VAMT_FWSTS_COUNT; i++) {
        g_autofree char *name = g_strdup_printf("fwsts%d", i + 1);
        g_autofree char *desc = g_strdup_printf(
            "FW status register %d (config offset 0x%x), read-only to the "
            "guest", i + 1, vamt_fwsts_offset[i]);

        object_class_property_set_description(klass, name, desc);
    }
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo vamt_info = {
    .name = TYPE_VAMT,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(VamtState),
    .class_init = vamt_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void vamt_register_types(void)
{
    type_register_static(&vamt_info);
}

type_init(vamt_register_types)
