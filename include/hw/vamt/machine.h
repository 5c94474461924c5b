/*
 * vAMT: the platform the ME manages, as QEMU sees it
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VAMT_MACHINE_H
#define HW_VAMT_MACHINE_H

#include "system/runstate.h"
#include "firmware.h"
#include "platform-ops.h"

typedef struct VamtBootSaved {
    Object *dev;                        /* holds a reference */
    int32_t bootindex;                  /* the device's own, or -1 */
} VamtBootSaved;

typedef struct VamtPlatform {
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
     * A one-time boot override moves the target device to the front of
     * the firmware's boot order (its bootindex) for one boot; the
     * devices it changed and their own bootindex are kept to restore.
     */
    VamtBootTarget boot_override;       /* VAMT_BOOT_DEFAULT: none */
    bool boot_override_armed;           /* the override's boot has begun */
    unsigned system_resets;
    bool boot_begins;                   /* at the last system reset */
    GArray *boot_saved;                 /* VamtBootSaved */
    VamtInventory inventory;
    char *cpu_model;
    char *seabios_version;              /* cached; "" if unknown */
} VamtPlatform;

/* The ops take the VamtPlatform as their opaque. */
extern const VamtPlatformOps vamt_platform_ops;

void vamt_platform_init(VamtPlatform *p, bool off_by_stop_mode);
void vamt_platform_cleanup(VamtPlatform *p);
/*
 * The device's reset: does a boot begin?  True for the first reset
 * (power-on) and for any reset after the firmware has run, false for
 * the resets no boot follows (SeaBIOS's extra warm reset, S3 resume).
 * One-time boot overrides follow system resets through a handler of
 * their own (vamt_platform_init registers it).
 */
bool vamt_platform_reset(VamtPlatform *p);

#endif
