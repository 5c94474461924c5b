/*
 * vAMT: the VM's primary display and input, for KVM redirection
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VAMT_DISPLAY_H
#define HW_VAMT_DISPLAY_H

#include "hw/qdev-core.h"
#include "ui/console.h"
#include "me.h"

typedef struct VamtDisplay VamtDisplay;

/*
 * KVM for @me, once the machine is built: the default graphic console
 * becomes the screen KVM shows, and @fw says KVM is there (without a
 * graphic console it is not).  @platform is the ops' opaque (power);
 * @changed(@platform) is called when KVM became available.
 */
VamtDisplay *vamt_display_new(VamtMe *me, VamtFirmware *fw, void *platform,
                              void (*changed)(void *platform));
void vamt_display_free(VamtDisplay *d);

/* The ME's KVM platform ops: their opaque is the VamtState */
void vamt_kvm_viewing(void *opaque, bool viewing);
void vamt_kvm_key(void *opaque, uint16_t usage, bool down);
void vamt_kvm_pointer(void *opaque, unsigned x, unsigned y,
                      uint8_t buttons);
bool vamt_vnc_response(void *opaque, const char *password,
                       const uint8_t *challenge, uint8_t *response);

/*
 * The user-consent code (IPS_OptInService.StartOptIn) on the ME's own
 * console of @dev, made in *@con on first use; @shown false clears it
 */
void vamt_display_show_consent(DeviceState *dev, QemuConsole **con,
                               bool shown, uint32_t code);

/* For query-vamt: a graphic console is shown over KVM */
bool vamt_display_served(const VamtDisplay *d);

#endif
