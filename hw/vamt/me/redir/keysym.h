/*
 * vAMT ME core: X11 keysyms (RFB KeyEvent) to USB HID keyboard usages
 *
 * AMT's KVM is a USB keyboard to the platform: it turns the keysyms a
 * viewer sends into key positions of a US layout (Latin-1, the
 * miscellany set and Intel's six extra keysyms of European and Japanese
 * keyboards).  A shifted symbol maps to its unshifted key: the viewer
 * sends Shift itself.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_KEYSYM_H
#define VAMT_ME_KEYSYM_H

#include <stdint.h>

/* The HID usage (page 7) of @keysym, 0 if it has no key */
uint16_t vamt_keysym_to_usage(uint32_t keysym);

#endif
