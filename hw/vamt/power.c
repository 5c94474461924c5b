/*
 * vAMT: power control of the VM the ME manages
 *
 * The machine's side of the ME's power requests (VamtPlatformOps
 * power_state and power_request): what the VM's run state means as a
 * power state, and the transitions themselves.  Which requests AMT
 * accepts in which state is the core's power policy
 * (hw/vamt/me/amt/power-policy.c); this file only says what QEMU can do.
 *
 * Power requests are carried out from a bottom half, never inside the
 * request that asked for them: a reset re-enters the device, and the
 * console must get its answer first, as on real AMT.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "hw/nmi.h"
#include "system/runstate.h"
#include "system/runstate-action.h"
#include "system/system.h"
#include "hw/vamt/vamt.h"
#include "trace/trace-hw_vamt.h"

VamtPowerState vamt_power_state(void *opaque)
{
    VamtMachine *p = &VAMT(opaque)->machine;

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

/*
 * A VM the operator holds (paused with "stop", or not yet started with
 * -S) is not a power state: no console may start or reset it; the
 * ME's own stop-mode "off" is not such a hold.
 */
static bool vamt_power_held_by_operator(VamtMachine *p)
{
    return runstate_check(RUN_STATE_PRELAUNCH) ||
           (runstate_check(RUN_STATE_PAUSED) && !p->stopped_off);
}

/*
 * After the reset that powers the VM on, SeaBIOS finds its POST done
 * and asks for a reset of its own before booting; with -no-reboot or
 * -action reboot=shutdown QEMU would make that a shutdown and the VM
 * would never boot, and it would make a console's reset a shutdown too.
 * So from a power-on or a console's reset until the firmware has started
 * its boot (vamt_power_boot_started()), a reset is a reset.
 */
static void vamt_power_hold_reboot_action(VamtMachine *p)
{
    if (!p->reboot_action_held && reboot_action != REBOOT_ACTION_RESET) {
        p->held_reboot_action = reboot_action;
        p->reboot_action_held = true;
        reboot_action = REBOOT_ACTION_RESET;
    }
}

void vamt_power_boot_started(VamtState *s)
{
    VamtMachine *p = &s->machine;

    if (p->reboot_action_held) {
        reboot_action = p->held_reboot_action;
        p->reboot_action_held = false;
    }
}

static void vamt_power_on(VamtMachine *p)
{
    if (p->stopped_off) {
        /* powered off in stop mode: a fresh boot, as from S5 */
        vamt_power_hold_reboot_action(p);
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
        vamt_power_hold_reboot_action(p);
        qemu_system_reset(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
        runstate_set(RUN_STATE_PRELAUNCH);
    }
    vm_start();
}

static void vamt_power_bh(void *opaque)
{
    VamtMachine *p = opaque;
    VamtPowerState request = p->pending_request;

    p->pending_request = 0;
    trace_vamt_power_request(request);
    switch (request) {
    case VAMT_POWER_ON:
        vamt_power_on(p);
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
        /* a console's reset resets, whatever -no-reboot says */
        vamt_power_hold_reboot_action(p);
        qemu_system_reset_request(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
        break;
    case VAMT_POWER_NMI:
        nmi_monitor_handle(0, NULL);
        break;
    default:
        break;
    }
}

/*
 * The core's power policy has accepted @request for the current state;
 * the machine says whether it can act now.
 */
bool vamt_power_request(void *opaque, VamtPowerState request)
{
    VamtMachine *p = &VAMT(opaque)->machine;

    if (runstate_check(RUN_STATE_INMIGRATE) ||
        runstate_check(RUN_STATE_FINISH_MIGRATE) ||
        runstate_check(RUN_STATE_POSTMIGRATE) ||
        runstate_check(RUN_STATE_SAVE_VM) ||
        runstate_check(RUN_STATE_RESTORE_VM)) {
        return false;   /* busy */
    }
    if (vamt_power_held_by_operator(p)) {
        return false;
    }
    if (p->pending_request) {
        return false;   /* one transition at a time */
    }
    p->pending_request = request;
    qemu_bh_schedule(p->power_bh);
    return true;
}

/* Whoever resumes a VM the ME paused as "off" has powered it on. */
static void vamt_power_vm_state_change(void *opaque, bool running,
                                       RunState state)
{
    VamtMachine *p = opaque;

    if (running) {
        p->stopped_off = false;
    }
}

void vamt_power_init(VamtState *s, bool off_by_stop_mode)
{
    VamtMachine *p = &s->machine;

    p->power_bh = qemu_bh_new(vamt_power_bh, p);
    p->off_by_stop_mode = off_by_stop_mode;
    p->vm_state_entry = qemu_add_vm_change_state_handler(
        vamt_power_vm_state_change, p);
}

void vamt_power_cleanup(VamtState *s)
{
    VamtMachine *p = &s->machine;

    vamt_power_boot_started(s);
    qemu_del_vm_change_state_handler(p->vm_state_entry);
    qemu_bh_delete(p->power_bh);
}
