/*
 * vAMT ME core: AMT's rules for what a console or agent may set: names,
 * Digest realms, passwords, netmasks
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "amt.h"

bool vamt_amt_name_is_valid(const char *name)
{
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.') {
            return false;
        }
    }
    return true;
}

bool vamt_amt_realm_is_valid(const char *realm)
{
    static const char prefix[] = "Digest:";
    size_t len = strlen(prefix);

    if (strncmp(realm, prefix, len) ||
        strlen(realm + len) != VAMT_AMT_REALM_HEX_DIGITS) {
        return false;
    }
    for (const char *p = realm + len; *p; p++) {
        if (!g_ascii_isxdigit(*p)) {
            return false;
        }
    }
    return true;
}

bool vamt_amt_password_is_strong(const char *password)
{
    size_t len = password ? strlen(password) : 0;
    bool digit = false, lower = false, upper = false, special = false;

    if (len < VAMT_AMT_PASSWORD_MIN || len > VAMT_AMT_PASSWORD_MAX) {
        return false;
    }
    for (const char *p = password; *p; p++) {
        /* printable ASCII only: consoles and MEBx type nothing else */
        if (*p < 0x20 || *p > 0x7e) {
            return false;
        }
        digit |= g_ascii_isdigit(*p);
        lower |= g_ascii_islower(*p);
        upper |= g_ascii_isupper(*p);
        special |= g_ascii_ispunct(*p);
    }
    return digit && lower && upper && special;
}

bool vamt_amt_netmask_is_valid(uint32_t netmask)
{
    /* ones, then zeros, and at least one of each */
    return netmask && netmask != 0xffffffff && !(~netmask & (~netmask + 1));
}

bool vamt_amt_rfb_password_is_valid(const char *password)
{
    bool upper = false, lower = false, digit = false, symbol = false;

    if (strlen(password) != VAMT_RFB_PASSWORD_LEN) {
        return false;
    }
    for (const char *p = password; *p; p++) {
        if (!g_ascii_isprint(*p) || *p == ' ') {
            return false;
        }
        upper |= g_ascii_isupper(*p);
        lower |= g_ascii_islower(*p);
        digit |= g_ascii_isdigit(*p);
        symbol |= g_ascii_ispunct(*p);
    }
    return upper && lower && digit && symbol;
}
