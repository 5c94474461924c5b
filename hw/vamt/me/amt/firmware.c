/*
 * vAMT ME core: firmware identity defaults
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "firmware.h"

void vamt_firmware_init(VamtFirmware *fw)
{
    memset(fw, 0, sizeof(*fw));
    fw->version = (VamtFwVersion) { 16, 1, 30, 2307 };
    fw->sku = 0x4008;
    g_strlcpy(fw->bios_version, "vAMT virtual platform BIOS",
              sizeof(fw->bios_version));
    fw->features = 0x00260004;      /* AMT, IPv6, KVM, TLS */
    fw->platform_type = 0x00001482; /* desktop, production, corporate AMT */
}

bool vamt_fw_version_parse(const char *str, VamtFwVersion *v)
{
    g_auto(GStrv) parts = g_strsplit(str, ".", -1);
    guint64 n[4];

    if (g_strv_length(parts) != 4) {
        return false;
    }
    for (int i = 0; i < 4; i++) {
        if (!g_ascii_string_to_unsigned(parts[i], 10, 0, UINT16_MAX,
                                        &n[i], NULL)) {
            return false;
        }
    }
    *v = (VamtFwVersion) { n[0], n[1], n[2], n[3] };
    return true;
}

void vamt_uuid_swap_fields(uint8_t out[16], const uint8_t in[16])
{
    static const uint8_t order[16] = {
        3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15
    };

    for (int i = 0; i < 16; i++) {
        out[i] = in[order[i]];
    }
}
