/*
 * vAMT ME core: X11 keysyms (RFB KeyEvent) to USB HID keyboard usages
 *
 * Keysym values: X11's keysymdef.h; usages: USB HID Usage Tables,
 * Keyboard/Keypad page (0x07); Intel's keysyms: MeshCommander's
 * amt-desktop-0.0.2.js, which lists what AMT's firmware accepts.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>

#include "keysym.h"

/* Printable ASCII 0x20..0x7e on a US keyboard */
static const uint8_t ascii_usage[0x7f - 0x20] = {
    [' ' - 0x20] = 0x2c, ['!' - 0x20] = 0x1e, ['"' - 0x20] = 0x34,
    ['#' - 0x20] = 0x20, ['$' - 0x20] = 0x21, ['%' - 0x20] = 0x22,
    ['&' - 0x20] = 0x24, ['\'' - 0x20] = 0x34, ['(' - 0x20] = 0x26,
    [')' - 0x20] = 0x27, ['*' - 0x20] = 0x25, ['+' - 0x20] = 0x2e,
    [',' - 0x20] = 0x36, ['-' - 0x20] = 0x2d, ['.' - 0x20] = 0x37,
    ['/' - 0x20] = 0x38, ['0' - 0x20] = 0x27, [':' - 0x20] = 0x33,
    [';' - 0x20] = 0x33, ['<' - 0x20] = 0x36, ['=' - 0x20] = 0x2e,
    ['>' - 0x20] = 0x37, ['?' - 0x20] = 0x38, ['@' - 0x20] = 0x1f,
    ['[' - 0x20] = 0x2f, ['\\' - 0x20] = 0x31, [']' - 0x20] = 0x30,
    ['^' - 0x20] = 0x23, ['_' - 0x20] = 0x2d, ['`' - 0x20] = 0x35,
    ['{' - 0x20] = 0x2f, ['|' - 0x20] = 0x31, ['}' - 0x20] = 0x30,
    ['~' - 0x20] = 0x35,
};

static const struct {
    uint32_t keysym;
    uint16_t usage;
} misc_usage[] = {
    { 0xff08, 0x2a },       /* BackSpace */
    { 0xff09, 0x2b },       /* Tab */
    { 0xff0d, 0x28 },       /* Return */
    { 0xff13, 0x48 },       /* Pause */
    { 0xff14, 0x47 },       /* Scroll_Lock */
    { 0xff15, 0x46 },       /* Sys_Req */
    { 0xff1b, 0x29 },       /* Escape */
    { 0xff50, 0x4a },       /* Home */
    { 0xff51, 0x50 },       /* Left */
    { 0xff52, 0x52 },       /* Up */
    { 0xff53, 0x4f },       /* Right */
    { 0xff54, 0x51 },       /* Down */
    { 0xff55, 0x4b },       /* Page_Up */
    { 0xff56, 0x4e },       /* Page_Down */
    { 0xff57, 0x4d },       /* End */
    { 0xff61, 0x46 },       /* Print */
    { 0xff63, 0x49 },       /* Insert */
    { 0xff67, 0x65 },       /* Menu */
    { 0xff7f, 0x53 },       /* Num_Lock */
    { 0xff8d, 0x58 },       /* KP_Enter */
    { 0xff95, 0x5f },       /* KP_Home */
    { 0xff96, 0x5c },       /* KP_Left */
    { 0xff97, 0x60 },       /* KP_Up */
    { 0xff98, 0x5e },       /* KP_Right */
    { 0xff99, 0x5a },       /* KP_Down */
    { 0xff9a, 0x61 },       /* KP_Prior */
    { 0xff9b, 0x5b },       /* KP_Next */
    { 0xff9c, 0x59 },       /* KP_End */
    { 0xff9d, 0x5d },       /* KP_Begin */
    { 0xff9e, 0x62 },       /* KP_Insert */
    { 0xff9f, 0x63 },       /* KP_Delete */
    { 0xffaa, 0x55 },       /* KP_Multiply */
    { 0xffab, 0x57 },       /* KP_Add */
    { 0xffad, 0x56 },       /* KP_Subtract */
    { 0xffae, 0x63 },       /* KP_Decimal */
    { 0xffaf, 0x54 },       /* KP_Divide */
    { 0xffe1, 0xe1 },       /* Shift_L */
    { 0xffe2, 0xe5 },       /* Shift_R */
    { 0xffe3, 0xe0 },       /* Control_L */
    { 0xffe4, 0xe4 },       /* Control_R */
    { 0xffe5, 0x39 },       /* Caps_Lock */
    { 0xffe7, 0xe3 },       /* Meta_L */
    { 0xffe8, 0xe7 },       /* Meta_R */
    { 0xffe9, 0xe2 },       /* Alt_L */
    { 0xffea, 0xe6 },       /* Alt_R */
    { 0xffeb, 0xe3 },       /* Super_L */
    { 0xffec, 0xe7 },       /* Super_R */
    { 0xfe03, 0xe6 },       /* ISO_Level3_Shift (AltGr) */
    { 0xffff, 0x4c },       /* Delete */
    /* Intel's own keysyms (amt-desktop-0.0.2.js) */
    { 0x17170056, 0x64 },   /* European 102-key: backslash/pipe */
    { 0x1717007d, 0x89 },   /* Japanese 106-key: yen/pipe */
    { 0x17170073, 0x87 },   /* Japanese 106-key: backslash/underbar */
    { 0x1717007b, 0x8b },   /* Japanese 106-key: NoConvert */
    { 0x17170079, 0x8a },   /* Japanese 106-key: Convert */
    { 0x17170070, 0x88 },   /* Japanese 106-key: Hiragana/Katakana */
};

uint16_t vamt_keysym_to_usage(uint32_t keysym)
{
    if (keysym >= 'a' && keysym <= 'z') {
        return 0x04 + keysym - 'a';
    }
    if (keysym >= 'A' && keysym <= 'Z') {
        return 0x04 + keysym - 'A';
    }
    if (keysym >= '1' && keysym <= '9') {
        return 0x1e + keysym - '1';
    }
    if (keysym >= 0x20 && keysym < 0x7f) {
        return ascii_usage[keysym - 0x20];
    }
    if (keysym >= 0xffbe && keysym <= 0xffc9) {         /* F1..F12 */
        return 0x3a + keysym - 0xffbe;
    }
    if (keysym >= 0xffb1 && keysym <= 0xffb9) {         /* KP_1..KP_9 */
        return 0x59 + keysym - 0xffb1;
    }
    if (keysym == 0xffb0) {                             /* KP_0 */
        return 0x62;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(misc_usage); i++) {
        if (misc_usage[i].keysym == keysym) {
            return misc_usage[i].usage;
        }
    }
    return 0;
}
