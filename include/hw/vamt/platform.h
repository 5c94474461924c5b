/*
 * vAMT: the platform the ME manages, as QEMU sees it
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VAMT_PLATFORM_H
#define HW_VAMT_PLATFORM_H

#include "hw/vamt/me/firmware.h"
#include "hw/vamt/me/platform.h"

typedef struct VamtPlatform {
    QEMUBH *power_bh;
    VamtPowerState pending_request;     /* 0: none */
    char *normal_boot_order;
    const char *boot_override;          /* one-time boot order, or NULL */
    bool boot_override_armed;           /* the override's boot has begun */
    VamtInventory inventory;
    char *cpu_model;
} VamtPlatform;

/* The ops take the VamtPlatform as their opaque. */
extern const VamtPlatformOps vamt_platform_ops;

void vamt_platform_init(VamtPlatform *p);
void vamt_platform_cleanup(VamtPlatform *p);
/* Call on every system reset: one-time boot overrides expire. */
void vamt_platform_reset(VamtPlatform *p);

#endif
