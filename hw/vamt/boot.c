/*
 * vAMT: one-time boot overrides of the VM the ME manages
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/boards.h"
#include "hw/qdev-core.h"
#include "system/reset.h"
#include "system/system.h"
#include "hw/vamt/vamt.h"
#include "trace/trace-hw_vamt.h"

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
    BusState *bus = DEVICE(obj)->realized ? qdev_get_parent_bus(DEVICE(obj))
                                          : NULL;

    /* the IDE-R CD is a console's, not one of the machine's own drives */
    if (bus && bus->parent && object_dynamic_cast(OBJECT(bus->parent),
                                                  TYPE_VAMT_IDER)) {
        return VAMT_BOOT_IDER_CD;
    }
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

static bool boot_set_index(VamtMachine *p, Object *obj, int32_t old,
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
static void boot_restore(VamtMachine *p)
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
static bool boot_override_apply(VamtMachine *p, VamtBootTarget kind)
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

bool vamt_boot_set_target(void *opaque, VamtBootTarget target)
{
    VamtMachine *p = &VAMT(opaque)->machine;

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
    case VAMT_BOOT_IDER_CD:
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
 * Has the firmware run since the last system reset?  Every PC firmware
 * (SeaBIOS, OVMF) enumerates PCI in POST and programs the BARs of every
 * function, this one's BAR0 included (vamt_boot_bar_programmed(), from
 * the device's config-space write hook).  SeaBIOS answers a warm reset
 * with a second, "hard" reset of its own before POST ("In resume ...
 * Attempting a hard reboot"), and an S3 wakeup resumes without POST:
 * neither programs the BARs, and neither is a boot.  QEMU offers no
 * public "the firmware has started" signal; the device's own config
 * space is what the firmware itself shows us.
 */
static bool firmware_ran(VamtMachine *p)
{
    return p->bar_programmed;
}

/*
 * A system reset handler, registered at realize: it runs before the bus
 * tree's reset (which clears the BARs) and before fw_cfg_machine_reset(),
 * registered at machine-done, which writes the bootorder the next boot
 * reads.  The first reset after an override starts its boot; the first
 * one after the firmware has run again ends it, and the normal order is
 * back for the next boot.
 */
static void vamt_boot_system_reset(void *opaque)
{
    VamtMachine *p = opaque;
    bool ran = firmware_ran(p);

    p->bar_programmed = false;
    p->boot_begins = p->system_resets++ == 0 || ran;
    if (p->boot_override == VAMT_BOOT_DEFAULT) {
        return;
    }
    if (!p->boot_override_armed) {
        p->boot_override_armed = true;
    } else if (ran) {
        boot_restore(p);
        p->boot_override = VAMT_BOOT_DEFAULT;
        p->boot_override_armed = false;
    }
}

void vamt_boot_bar_programmed(VamtState *s)
{
    s->machine.bar_programmed = true;
    /* POST is under way: a power-on's boot has begun */
    vamt_power_boot_started(s);
}

/* Boot overrides follow system resets only: see above. */
bool vamt_boot_begins(VamtState *s)
{
    return s->machine.boot_begins;
}

void vamt_boot_init(VamtState *s)
{
    VamtMachine *p = &s->machine;

    p->boot_saved = g_array_new(false, false, sizeof(VamtBootSaved));
    /* before the bus tree, see vamt_boot_system_reset() */
    assert(!phase_check(PHASE_MACHINE_READY));
    qemu_register_reset_nosnapshotload(vamt_boot_system_reset, p);
}

void vamt_boot_cleanup(VamtState *s)
{
    VamtMachine *p = &s->machine;

    qemu_unregister_reset(vamt_boot_system_reset, p);
    boot_restore(p);
    g_array_free(p->boot_saved, true);
}

