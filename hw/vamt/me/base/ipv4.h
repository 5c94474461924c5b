/*
 * vAMT ME core: IPv4 addresses as text, "A.B.C.D" (host byte order)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_IPV4_H
#define VAMT_ME_IPV4_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VAMT_IPV4_STRLEN    sizeof("255.255.255.255")

static inline void vamt_ipv4_format(uint32_t a, char out[VAMT_IPV4_STRLEN])
{
    snprintf(out, VAMT_IPV4_STRLEN, "%u.%u.%u.%u", a >> 24,
             (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

/* Exactly four decimal octets, nothing before or after */
static inline bool vamt_ipv4_parse(const char *text, uint32_t *address)
{
    unsigned a, b, c, d;
    int end = -1;

    if (sscanf(text, "%3u.%3u.%3u.%3u%n", &a, &b, &c, &d, &end) != 4 ||
        end < 0 || text[end] || a > 255 || b > 255 || c > 255 || d > 255 ||
        text[0] < '0' || text[0] > '9') {
        return false;
    }
    *address = a << 24 | b << 16 | c << 8 | d;
    return true;
}

#endif
