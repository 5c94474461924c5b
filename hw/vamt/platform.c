/*
 * vAMT: the platform the ME manages, as QEMU sees it
 *
 * Implements the ME core's VamtPlatformOps: the VM's power state and
 * transitions, one-time boot overrides, and the hardware inventory
 * taken from the machine's actual configuration.
 *
 * Power requests are carried out from a bottom half, never inside the
 * request that asked for them: a reset re-enters the device, and the
 * console must get its answer first, as on real AMT.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/config-file.h"
#include "qemu/datadir.h"
#include "qemu/main-loop.h"
#include "qemu/option.h"
#include "qemu/timer.h"
#include "qemu/uuid.h"
#include "crypto/random.h"
#include "hw/boards.h"
#include "hw/nmi.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/qdev-core.h"
#include "net/net.h"
#include "system/reset.h"
#include "system/runstate.h"
#include "system/system.h"
#include "hw/vamt/machine.h"
#include "trace/trace-hw_vamt.h"

static VamtPowerState vamt_platform_power_state(void *opaque)
{
    VamtPlatform *p = opaque;

    /* paused, debug, panicked... are a halted host that is still on */
    if (p->stopped_off || runstate_check(RUN_STATE_SHUTDOWN) ||
        runstate_check(RUN_STATE_PRELAUNCH)) {
        return VAMT_POWER_OFF_SOFT;
    }
    if (runstate_check(RUN_STATE_SUSPENDED)) {
        return VAMT_POWER_SLEEP_DEEP;
    }
    return VAMT_POWER_ON;
}

static void vamt_platform_power_on(VamtPlatform *p)
{
    if (p->stopped_off) {
        /* powered off in stop mode: a fresh boot, as from S5 */
        qemu_system_reset(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
        vm_start();
        return;
    }
    if (runstate_check(RUN_STATE_SUSPENDED)) {
        qemu_system_wakeup_request(QEMU_WAKEUP_REASON_OTHER, NULL);
        return;
    }
    /*
     * "system_reset" then "cont" on a VM stopped by its shutdown; the
     * vCPUs are already stopped, so reset here as the main loop would.
     */
    if (runstate_check(RUN_STATE_SHUTDOWN)) {
        qemu_system_reset(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
        runstate_set(RUN_STATE_PRELAUNCH);
    }
    vm_start();
}

static void vamt_platform_power_bh(void *opaque)
{
    VamtPlatform *p = opaque;
    VamtPowerState request = p->pending_request;

    p->pending_request = 0;
    trace_vamt_power_request(request);
    switch (request) {
    case VAMT_POWER_ON:
        vamt_platform_power_on(p);
        break;
    case VAMT_POWER_OFF_HARD:
    case VAMT_POWER_OFF_SOFT:
        if (p->off_by_stop_mode) {
            qemu_system_vmstop_request_prepare();
            qemu_system_vmstop_request(RUN_STATE_PAUSED);
            p->stopped_off = true;
        } else {
            qemu_system_shutdown_request(SHUTDOWN_CAUSE_HOST_UI);
        }
        break;
    case VAMT_POWER_OFF_SOFT_GRACEFUL:
    case VAMT_POWER_OFF_HARD_GRACEFUL:
        /* the ACPI power button: the guest OS shuts down by itself */
        qemu_system_powerdown_request();
        break;
    case VAMT_POWER_CYCLE_SOFT:
    case VAMT_POWER_CYCLE_HARD:
    case VAMT_POWER_MASTER_BUS_RESET:
    case VAMT_POWER_CYCLE_SOFT_GRACEFUL:
    case VAMT_POWER_CYCLE_HARD_GRACEFUL:
    case VAMT_POWER_MASTER_BUS_RESET_GRACEFUL:
        qemu_system_reset_request(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
        break;
    case VAMT_POWER_NMI:
        nmi_monitor_handle(0, NULL);
        break;
    default:
        break;
    }
}

static bool vamt_platform_power_request(void *opaque, VamtPowerState request)
{
    VamtPlatform *p = opaque;
    VamtPowerState now = vamt_platform_power_state(opaque);
    bool on = now == VAMT_POWER_ON;

    if (runstate_check(RUN_STATE_INMIGRATE) ||
        runstate_check(RUN_STATE_FINISH_MIGRATE) ||
        runstate_check(RUN_STATE_POSTMIGRATE) ||
        runstate_check(RUN_STATE_SAVE_VM) ||
        runstate_check(RUN_STATE_RESTORE_VM)) {
        return false;   /* busy */
    }
    switch (request) {
    case VAMT_POWER_ON:
        /* AMT refuses to power on what is on */
        if (on) {
            return false;
        }
        break;
    case VAMT_POWER_OFF_HARD:
    case VAMT_POWER_OFF_SOFT:
    case VAMT_POWER_OFF_SOFT_GRACEFUL:
    case VAMT_POWER_OFF_HARD_GRACEFUL:
    case VAMT_POWER_CYCLE_SOFT:
    case VAMT_POWER_CYCLE_HARD:
    case VAMT_POWER_MASTER_BUS_RESET:
    case VAMT_POWER_CYCLE_SOFT_GRACEFUL:
    case VAMT_POWER_CYCLE_HARD_GRACEFUL:
    case VAMT_POWER_MASTER_BUS_RESET_GRACEFUL:
    case VAMT_POWER_NMI:
        /* these need a running (or sleeping) host */
        if (now == VAMT_POWER_OFF_SOFT) {
            return false;
        }
        break;
    default:
        return false;
    }
    if (p->pending_request) {
        return false;   /* one transition at a time */
    }
    p->pending_request = request;
    qemu_bh_schedule(p->power_bh);
    return true;
}

/*
 * One-time boot overrides.
 *
 * SeaBIOS (and OVMF) try the devices of the fw_cfg "bootorder" file
 * first, in bootindex order, and only then the rest by the CMOS boot
 * order that -boot / qemu_boot_set() write; with -kernel, the
 * linuxboot ROM comes first with bootindex 0.  So the CMOS order alone
 * loses to any device that has a bootindex.  Instead, the target device
 * gets a bootindex below all others through QOM, and
 * fw_cfg_machine_reset() writes the new bootorder at the next reset;
 * after the overridden boot, the devices get their own values back.
 */

typedef struct BootDevice {
    Object *obj;
    VamtBootTarget kind;                /* VAMT_BOOT_DEFAULT: other */
    int32_t bootindex;
    char *path;
} BootDevice;

static void boot_device_clear(gpointer data)
{
    g_free(((BootDevice *)data)->path);
}

/* A NIC can boot from the network if it has an option ROM. */
static bool nic_has_rom(Object *obj)
{
    /* virtio-net-device: romfile is its proxy's, virtio-net-pci */
    Object *o[] = { obj, obj->parent };

    for (int i = 0; i < ARRAY_SIZE(o); i++) {
        g_autofree char *rom = NULL;

        if (o[i] && object_property_find(o[i], "romfile")) {
            rom = object_property_get_str(o[i], "romfile", NULL);
            return rom && *rom;
        }
    }
    return true;
}

static VamtBootTarget boot_device_kind(Object *obj)
{
    if (object_dynamic_cast(obj, "ide-cd") ||
        object_dynamic_cast(obj, "scsi-cd")) {
        return VAMT_BOOT_CD;
    }
    if (object_property_find(obj, "netdev")) {
        return nic_has_rom(obj) ? VAMT_BOOT_PXE : VAMT_BOOT_DEFAULT;
    }
    if (object_property_find(obj, "drive")) {
        return VAMT_BOOT_HDD;
    }
    return VAMT_BOOT_DEFAULT;
}

/* Every realized device that owns a bootindex (aliases excluded) */
static int collect_boot_device(Object *obj, void *opaque)
{
    GArray *devs = opaque;
    ObjectProperty *prop = object_property_find(obj, "bootindex");
    DeviceState *dev = (DeviceState *)object_dynamic_cast(obj, TYPE_DEVICE);
    BootDevice d;

    if (!dev || !dev->realized || !prop || prop->resolve || !prop->set) {
        return 0;
    }
    d.obj = obj;
    d.kind = boot_device_kind(obj);
    d.bootindex = object_property_get_int(obj, "bootindex", NULL);
    d.path = object_get_canonical_path(obj);
    g_array_append_val(devs, d);
    return 0;
}

static GArray *boot_devices(void)
{
    GArray *devs = g_array_new(false, false, sizeof(BootDevice));

    g_array_set_clear_func(devs, boot_device_clear);
    object_child_foreach_recursive(qdev_get_machine(), collect_boot_device,
                                   devs);
    return devs;
}

/* The device of @kind first in the boot order, or the first by path */
static BootDevice *boot_device_pick(GArray *devs, VamtBootTarget kind)
{
    BootDevice *best = NULL;

    for (guint i = 0; i < devs->len; i++) {
        BootDevice *d = &g_array_index(devs, BootDevice, i);
        uint32_t di = d->bootindex, bi;

        if (d->kind != kind) {
            continue;
        }
        bi = best ? best->bootindex : 0;
        /* as unsigned, -1 (none) sorts after every bootindex */
        if (!best || di < bi || (di == bi && strcmp(d->path, best->path) < 0)) {
            best = d;
        }
    }
    return best;
}

static bool boot_set_index(VamtPlatform *p, Object *obj, int32_t old,
                           int32_t bootindex)
{
    VamtBootSaved saved = { obj, old };
    Error *err = NULL;

    object_property_set_int(obj, "bootindex", bootindex, &err);
    if (err) {
        error_free(err);
        return false;
    }
    for (guint i = 0; i < p->boot_saved->len; i++) {
        if (g_array_index(p->boot_saved, VamtBootSaved, i).dev == obj) {
            return true;    /* the first value is the device's own */
        }
    }
    object_ref(obj);
    g_array_append_val(p->boot_saved, saved);
    return true;
}

/* Give the changed devices their own bootindex back. */
static void boot_restore(VamtPlatform *p)
{
    guint i;

    /* free all the slots first: an old value may be another's new one */
    for (i = 0; i < p->boot_saved->len; i++) {
        VamtBootSaved *s = &g_array_index(p->boot_saved, VamtBootSaved, i);

        object_property_set_int(s->dev, "bootindex", -1, NULL);
    }
    for (i = 0; i < p->boot_saved->len; i++) {
        VamtBootSaved *s = &g_array_index(p->boot_saved, VamtBootSaved, i);
        g_autofree char *path = object_get_canonical_path(s->dev);

        if (s->bootindex >= 0) {
            object_property_set_int(s->dev, "bootindex", s->bootindex, NULL);
        }
        trace_vamt_boot_restore(path ?: "?", s->bootindex);
        object_unref(s->dev);
    }
    g_array_set_size(p->boot_saved, 0);
}

static int boot_index_desc(gconstpointer a, gconstpointer b)
{
    const BootDevice *da = a, *db = b;

    return da->bootindex < db->bootindex ? 1 :
           da->bootindex > db->bootindex ? -1 : 0;
}

/* Put the device first in the boot order: bootindex 0. */
static bool boot_override_apply(VamtPlatform *p, VamtBootTarget kind)
{
    g_autoptr(GArray) devs = boot_devices();
    BootDevice *t = boot_device_pick(devs, kind);
    g_autofree char *path = NULL;
    BootDevice target;
    Error *err = NULL;

    if (!t) {
        return false;   /* no such device, or a NIC without a ROM */
    }
    target = *t;
    target.path = NULL;
    path = g_strdup(t->path);
    if (target.bootindex == 0) {
        trace_vamt_boot_override(path, 0, 0);
        return true;
    }
    check_boot_index(0, &err);
    if (err) {
        bool movable = false;

        /*
         * 0 is taken.  If a device holds it, every device moves one
         * place down, from the last up so no two ever share an index;
         * if the firmware holds it (-kernel), nothing can come first.
         */
        error_free(err);
        for (guint i = 0; i < devs->len; i++) {
            movable |= g_array_index(devs, BootDevice, i).bootindex == 0;
        }
        if (!movable) {
            return false;
        }
        if (!boot_set_index(p, target.obj, target.bootindex, -1)) {
            return false;
        }
        g_array_sort(devs, boot_index_desc);
        for (guint i = 0; i < devs->len; i++) {
            BootDevice *d = &g_array_index(devs, BootDevice, i);

            if (d->obj == target.obj || d->bootindex < 0) {
                continue;
            }
            if (d->bootindex == INT32_MAX ||
                !boot_set_index(p, d->obj, d->bootindex, d->bootindex + 1)) {
                boot_restore(p);
                return false;
            }
        }
    }
    if (!boot_set_index(p, target.obj, target.bootindex, 0)) {
        boot_restore(p);
        return false;
    }
    trace_vamt_boot_override(path, target.bootindex, 0);
    return true;
}

static bool vamt_platform_set_boot_target(void *opaque, VamtBootTarget target)
{
    VamtPlatform *p = opaque;

    /* a new request replaces the pending one */
    boot_restore(p);
    p->boot_override = VAMT_BOOT_DEFAULT;
    p->boot_override_armed = false;
    trace_vamt_boot_target(target);
    switch (target) {
    case VAMT_BOOT_DEFAULT:
        return true;
    case VAMT_BOOT_PXE:
    case VAMT_BOOT_CD:
    case VAMT_BOOT_HDD:
        if (!boot_override_apply(p, target)) {
            return false;
        }
        p->boot_override = target;
        return true;
    default:
        return false;   /* BIOS setup: SeaBIOS has none */
    }
}

/*
 * Has the firmware run since the last system reset?  fw_cfg's reset
 * selects entry 0 at offset 0, and every firmware reads fw_cfg early in
 * POST (SeaBIOS, OVMF, the -kernel option ROMs).  SeaBIOS answers a
 * warm reset with a second, "hard" reset of its own before POST ("In
 * resume ... Attempting a hard reboot"), and an S3 wakeup resets without
 * POST either: neither touches fw_cfg, and neither is a boot.
 */
static bool firmware_ran(void)
{
    FWCfgState *fw_cfg = fw_cfg_find();

    return !fw_cfg || fw_cfg->cur_entry != 0 || fw_cfg->cur_offset != 0;
}

/*
 * A system reset handler, registered at realize: it runs before the bus
 * tree's (so fw_cfg still shows what the firmware did since the last
 * reset) and before fw_cfg_machine_reset(), registered at machine-done,
 * which writes the bootorder the next boot reads.  The first reset
 * after an override starts its boot; the first one after the firmware
 * has run again ends it, and the normal order is back for the next boot.
 */
static void vamt_platform_system_reset(void *opaque)
{
    VamtPlatform *p = opaque;

    p->boot_begins = p->system_resets++ == 0 || firmware_ran();
    if (p->boot_override == VAMT_BOOT_DEFAULT) {
        return;
    }
    if (!p->boot_override_armed) {
        p->boot_override_armed = true;
    } else if (firmware_ran()) {
        boot_restore(p);
        p->boot_override = VAMT_BOOT_DEFAULT;
        p->boot_override_armed = false;
    }
}

/* Boot overrides follow system resets only: see above. */
bool vamt_platform_reset(VamtPlatform *p)
{
    return p->boot_begins;
}

typedef struct SmbiosLookup {
    const char *type;
    const char *field;
    const char *value;
} SmbiosLookup;

static int smbios_opt_match(void *opaque, QemuOpts *opts, Error **errp)
{
    SmbiosLookup *l = opaque;
    const char *type = qemu_opt_get(opts, "type");
    const char *value = qemu_opt_get(opts, l->field);

    if (type && !strcmp(type, l->type) && value) {
        l->value = value;
    }
    return 0;
}

/* The -smbios type=@type,@field=... value, or what QEMU uses without */
static const char *smbios_opt(const char *type, const char *field,
                              const char *fallback)
{
    QemuOptsList *list = qemu_find_opts_err("smbios", NULL);
    SmbiosLookup l = { type, field, fallback };

    if (list) {
        qemu_opts_foreach(list, smbios_opt_match, &l, NULL);
    }
    return l.value;
}

/*
 * SeaBIOS builds the SMBIOS type 0 table itself, from its version string
 * and a fixed release date, unless -smbios type=0 is given.  Its image
 * holds the version as a string of its own ("1.16.2-debian-1.16.2-1"),
 * next to the format "SeaBIOS (version %s)".
 */
#define SEABIOS_BANNER          "SeaBIOS (version %s)"
#define SEABIOS_SMBIOS_DATE     "04/01/2014"

/* "major.minor.patch" with an optional "-suffix" */
static bool looks_like_version(const char *str)
{
    unsigned dots = 0;
    const char *p = str;

    for (; g_ascii_isdigit(*p) || *p == '.'; p++) {
        dots += *p == '.';
    }
    return g_ascii_isdigit(str[0]) && dots == 2 && (!*p || *p == '-') &&
           strlen(str) < 48;
}

static char *seabios_version(MachineState *ms)
{
    g_autofree char *path = qemu_find_file(QEMU_FILE_TYPE_BIOS,
                                           ms->firmware ?: "bios-256k.bin");
    g_autofree char *image = NULL;
    gsize len, pos;

    if (!path || !g_file_get_contents(path, &image, &len, NULL) ||
        !memmem(image, len, SEABIOS_BANNER, strlen(SEABIOS_BANNER))) {
        return NULL;
    }
    /* the version is one of the image's NUL-terminated strings */
    for (pos = 0; pos < len; pos += strnlen(image + pos, len - pos) + 1) {
        if (memchr(image + pos, '\0', len - pos) &&
            looks_like_version(image + pos)) {
            return g_strdup(image + pos);
        }
    }
    return NULL;
}

static void collect_nic(NICState *nic, void *opaque)
{
    VamtInventory *inv = opaque;

    if (inv->nics < VAMT_MAX_NICS) {
        memcpy(inv->nic_mac[inv->nics++], nic->conf->macaddr.a, 6);
    }
}

static const VamtInventory *vamt_platform_inventory(void *opaque)
{
    VamtPlatform *p = opaque;
    MachineState *ms = MACHINE(qdev_get_machine());
    MachineClass *mc = MACHINE_GET_CLASS(ms);
    VamtInventory *inv = &p->inventory;
    const char *type = ms->cpu_type ? ms->cpu_type : "unknown";

    /* "qemu64-x86_64-cpu" is model qemu64 */
    g_free(p->cpu_model);
    if (g_str_has_suffix(type, "-x86_64-cpu")) {
        p->cpu_model = g_strndup(type, strlen(type) - strlen("-x86_64-cpu"));
    } else {
        p->cpu_model = g_strdup(type);
    }

    /* What QEMU puts into the SMBIOS tables (hw/i386/fw_cfg.c) */
    if (!p->seabios_version) {
        p->seabios_version = seabios_version(ms) ?: g_strdup("");
    }
    inv->bios_vendor = smbios_opt("0", "vendor", "SeaBIOS");
    inv->bios_version = smbios_opt("0", "version", p->seabios_version);
    inv->bios_date = smbios_opt("0", "date", *p->seabios_version ?
                                SEABIOS_SMBIOS_DATE : "");
    inv->system_manufacturer = smbios_opt("1", "manufacturer", "QEMU");
    inv->system_product = smbios_opt("1", "product", mc->desc);
    inv->system_version = smbios_opt("1", "version", mc->name);
    inv->system_serial = smbios_opt("1", "serial", "");
    inv->board_manufacturer = smbios_opt("2", "manufacturer", "QEMU");
    inv->board_product = smbios_opt("2", "product", mc->desc);
    inv->chassis_manufacturer = smbios_opt("3", "manufacturer", "QEMU");
    vamt_uuid_swap_fields(inv->system_uuid, qemu_uuid.data);
    inv->cpus = ms->smp.cpus;
    inv->cpu_sockets = ms->smp.sockets;
    inv->cpu_model = p->cpu_model;
    inv->cpu_max_mhz = 2000;
    inv->ram_bytes = ms->ram_size;
    inv->nics = 0;
    qemu_foreach_nic(collect_nic, inv);
    return inv;
}

static int64_t vamt_platform_time_utc(void *opaque)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

static int64_t vamt_platform_clock_ms(void *opaque)
{
    return qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
}

static void vamt_platform_random(void *opaque, uint8_t *buf, size_t len)
{
    qcrypto_random_bytes(buf, len, &error_abort);
}

const VamtPlatformOps vamt_platform_ops = {
    .power_state = vamt_platform_power_state,
    .power_request = vamt_platform_power_request,
    .set_boot_target = vamt_platform_set_boot_target,
    .inventory = vamt_platform_inventory,
    .time_utc = vamt_platform_time_utc,
    .clock_ms = vamt_platform_clock_ms,
    .random = vamt_platform_random,
};

/* Whoever resumes a VM the ME paused as "off" has powered it on. */
static void vamt_platform_vm_state_change(void *opaque, bool running,
                                          RunState state)
{
    VamtPlatform *p = opaque;

    if (running) {
        p->stopped_off = false;
    }
}

void vamt_platform_init(VamtPlatform *p, bool off_by_stop_mode)
{
    p->power_bh = qemu_bh_new(vamt_platform_power_bh, p);
    p->off_by_stop_mode = off_by_stop_mode;
    p->vm_state_entry = qemu_add_vm_change_state_handler(
        vamt_platform_vm_state_change, p);
    p->boot_saved = g_array_new(false, false, sizeof(VamtBootSaved));
    /* before the bus tree, see vamt_platform_system_reset() */
    assert(!phase_check(PHASE_MACHINE_READY));
    qemu_register_reset_nosnapshotload(vamt_platform_system_reset, p);
}

void vamt_platform_cleanup(VamtPlatform *p)
{
    qemu_del_vm_change_state_handler(p->vm_state_entry);
    qemu_bh_delete(p->power_bh);
    qemu_unregister_reset(vamt_platform_system_reset, p);
    boot_restore(p);
    g_array_free(p->boot_saved, true);
    g_free(p->cpu_model);
    g_free(p->seabios_version);
}
