/*
 * vAMT: the machine the ME manages, as QEMU sees it
 *
 * The device's bindings to the VM for power (power.c), one-time boot
 * overrides (boot.c) and hardware inventory (inventory.c).  Each entry
 * point that is a VamtPlatformOps function takes the VamtState as its
 * opaque, as the ME core gets it from vamt_me_new().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VAMT_MACHINE_H
#define HW_VAMT_MACHINE_H

#include "system/runstate.h"
#include "system/runstate-action.h"
#include "platform-ops.h"

typedef struct VamtState VamtState;

typedef struct VamtBootSaved {
    Object *dev;                        /* holds a reference */
    int32_t bootindex;                  /* the device's own, or -1 */
} VamtBootSaved;

typedef struct VamtMachine {
    /* power.c */
    QEMUBH *power_bh;
    VamtPowerState pending_request;     /* 0: none */
    /*
     * power-off-mode=stop: the ME powers the VM off by pausing it (no
     * SHUTDOWN event, which libvirt answers by killing QEMU); "off" is
     * then that pause, until the ME or anyone else resumes the VM.
     */
    bool off_by_stop_mode;
    bool stopped_off;
    VMChangeStateEntry *vm_state_entry;
    /*
     * A power-on boots the VM whatever -no-reboot or -action reboot=
     * say: until the firmware has started its boot, a reset the
     * firmware asks for is a reset (see vamt_power_on()).
     */
    bool reboot_action_held;
    RebootAction held_reboot_action;

    /* boot.c */
    /*
     * A one-time boot override moves the target device to the front of
     * the firmware's boot order (its bootindex) for one boot; the
     * devices it changed and their own bootindex are kept to restore.
     */
    VamtBootTarget boot_override;       /* VAMT_BOOT_DEFAULT: none */
    bool boot_override_armed;           /* the override's boot has begun */
    unsigned system_resets;
    bool boot_begins;                   /* at the last system reset */
    bool bar_programmed;                /* since the last system reset */
    GArray *boot_saved;                 /* VamtBootSaved */

    /* inventory.c */
    VamtInventory inventory;
    char *cpu_model;
    /* the firmware's SMBIOS type 0 strings, once it has run */
    char *bios_vendor;
    char *bios_version;
    char *bios_date;
} VamtMachine;

/* power.c */
void vamt_power_init(VamtState *s, bool off_by_stop_mode);
void vamt_power_cleanup(VamtState *s);
VamtPowerState vamt_power_state(void *opaque);
bool vamt_power_request(void *opaque, VamtPowerState request);
/* A system reset started a boot: a held reboot action is given back. */
void vamt_power_boot_started(VamtState *s);

/* boot.c */
void vamt_boot_init(VamtState *s);
void vamt_boot_cleanup(VamtState *s);
bool vamt_boot_set_target(void *opaque, VamtBootTarget target);
/*
 * Did the last system reset start a boot of the firmware?  Not for the
 * resets that firmware does on its own (SeaBIOS's warm-reset reboot) or
 * an S3 resume: one-time boot options stay until a real boot.
 */
bool vamt_boot_begins(VamtState *s);
/* The guest wrote BAR0: firmware (or an OS) enumerated PCI. */
void vamt_boot_bar_programmed(VamtState *s);

/* inventory.c */
const VamtInventory *vamt_inventory(void *opaque);
void vamt_inventory_cleanup(VamtState *s);

#endif
