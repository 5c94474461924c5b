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
#include "qemu/main-loop.h"
#include "qemu/option.h"
#include "qemu/timer.h"
#include "qemu/uuid.h"
#include "crypto/random.h"
#include "hw/boards.h"
#include "hw/nmi.h"
#include "net/net.h"
#include "system/runstate.h"
#include "system/system.h"
#include "hw/vamt/platform.h"
#include "trace/trace-hw_vamt.h"

static VamtPowerState vamt_platform_power_state(void *opaque)
{
    /* paused, debug, panicked... are a halted host that is still on */
    if (runstate_check(RUN_STATE_SHUTDOWN) ||
        runstate_check(RUN_STATE_PRELAUNCH)) {
        return VAMT_POWER_OFF_SOFT;
    }
    if (runstate_check(RUN_STATE_SUSPENDED)) {
        return VAMT_POWER_SLEEP_DEEP;
    }
    return VAMT_POWER_ON;
}

static void vamt_platform_power_on(void)
{
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
        vamt_platform_power_on();
        break;
    case VAMT_POWER_OFF_HARD:
    case VAMT_POWER_OFF_SOFT:
        qemu_system_shutdown_request(SHUTDOWN_CAUSE_HOST_UI);
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

static bool vamt_platform_set_boot_target(void *opaque, VamtBootTarget target)
{
    VamtPlatform *p = opaque;
    static const char *const order[] = {
        [VAMT_BOOT_PXE] = "n",
        [VAMT_BOOT_CD] = "d",
        [VAMT_BOOT_HDD] = "c",
    };
    Error *err = NULL;

    if (target == VAMT_BOOT_DEFAULT) {
        p->boot_override = NULL;
        qemu_boot_set(p->normal_boot_order, &err);
    } else if (target < G_N_ELEMENTS(order) && order[target]) {
        p->boot_override = order[target];
        qemu_boot_set(order[target], &err);
    } else {
        return false;   /* BIOS setup: SeaBIOS has none */
    }
    if (err) {
        error_free(err);
        return false;
    }
    trace_vamt_boot_target(target);
    return true;
}

/* An AMT boot override lasts one boot. */
void vamt_platform_reset(VamtPlatform *p)
{
    Error *err = NULL;

    if (p->boot_override && p->boot_override_armed) {
        p->boot_override = NULL;
        p->boot_override_armed = false;
        qemu_boot_set(p->normal_boot_order, &err);
        error_free(err);
    } else if (p->boot_override) {
        p->boot_override_armed = true;
    }
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
    inv->bios_vendor = smbios_opt("0", "vendor", "SeaBIOS");
    inv->bios_version = smbios_opt("0", "version", "");
    inv->bios_date = smbios_opt("0", "date", "");
    inv->system_manufacturer = smbios_opt("1", "manufacturer", "QEMU");
    inv->system_product = smbios_opt("1", "product", mc->desc);
    inv->system_version = smbios_opt("1", "version", mc->name);
    inv->system_serial = smbios_opt("1", "serial", "");
    inv->board_manufacturer = smbios_opt("2", "manufacturer", "QEMU");
    inv->board_product = smbios_opt("2", "product", mc->desc);
    inv->chassis_manufacturer = smbios_opt("3", "manufacturer", "QEMU");
    vamt_uuid_swap_fields(inv->system_uuid, qemu_uuid.data);
    inv->cpus = ms->smp.cpus;
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

void vamt_platform_init(VamtPlatform *p)
{
    MachineState *ms = MACHINE(qdev_get_machine());

    p->power_bh = qemu_bh_new(vamt_platform_power_bh, p);
    p->normal_boot_order = g_strdup(ms->boot_config.order ?
                                    ms->boot_config.order :
                                    MACHINE_GET_CLASS(ms)->default_boot_order);
}

void vamt_platform_cleanup(VamtPlatform *p)
{
    qemu_bh_delete(p->power_bh);
    g_free(p->normal_boot_order);
    g_free(p->cpu_model);
}
