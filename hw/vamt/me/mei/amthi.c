/*
 * vAMT ME core: AMT Host Interface (AMTHI/PTHI) client
 *
 * One command per message, one response per command.  Request header:
 * u8 major, u8 minor, u16 reserved, u32 command, u32 length (bytes after
 * the header).  The response echoes the command with bit 23 set, carries
 * length = 4 + payload and starts its payload with a u32 status.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "amthi.h"
#include "blob.h"
#include "mei-bus.h"
#include "mei-wire.h"
#include "status.h"

static void put_code_version(GByteArray *out, const char *desc,
                             const char *ver)
{
    uint8_t entry[AMTHI_CODE_VERSION_ENTRY_LEN] = { 0 };
    size_t dlen = strlen(desc), vlen = strlen(ver);

    /* Descriptions fill all 20 bytes at most; versions keep a NUL. */
    g_assert(dlen <= 20 && vlen < 20);
    vamt_put_le16(entry, dlen);
    memcpy(entry + 2, desc, dlen);
    vamt_put_le16(entry + 22, vlen);
    memcpy(entry + 24, ver, vlen);
    g_byte_array_append(out, entry, sizeof(entry));
}

static void amthi_code_versions(MeiBus *bus, GByteArray *out)
{
    const VamtFirmware *fw = mei_bus_firmware(bus);
    const VamtFwVersion *v = &fw->version;
    g_autofree char *full = g_strdup_printf("%u.%u.%u.%u", v->major,
                                            v->minor, v->hotfix, v->build);
    g_autofree char *amt = g_strdup_printf("%u.%u.%u", v->major, v->minor,
                                           v->hotfix);
    g_autofree char *build = g_strdup_printf("%u", v->build);
    g_autofree char *sku = g_strdup_printf("%u", fw->sku);
    const char *entries[][2] = {
        { "Flash", full },
        { "Netstack", full },
        { "AMTApps", full },
        { "AMT", amt },
        { "Sku", sku },
        { "VendorID", "8086" },
        { "Build Number", build },
        { "Recovery Version", amt },
        { "Recovery Build Num", build },
        { "Legacy Mode", "False" },
        { "AMT FW Core Version", amt },
    };
    uint8_t bios[AMTHI_BIOS_VERSION_LEN] = { 0 };
    uint8_t count[4];

    memcpy(bios, fw->bios_version,
           strnlen(fw->bios_version, sizeof(bios) - 1));
    g_byte_array_append(out, bios, sizeof(bios));
    vamt_put_le32(count, G_N_ELEMENTS(entries));
    g_byte_array_append(out, count, sizeof(count));
    for (size_t i = 0; i < G_N_ELEMENTS(entries); i++) {
        put_code_version(out, entries[i][0], entries[i][1]);
    }
}

/* Append the payload of @command to @out; returns the AMT status. */
static uint32_t amthi_execute(MeiBus *bus, uint32_t command,
                              const uint8_t *data, size_t len,
                              GByteArray *out)
{
    const VamtFirmware *fw = mei_bus_firmware(bus);
    VamtAmt *amt = mei_bus_amt(bus);

    switch (command) {
    case AMTHI_GET_CODE_VERSIONS:
        amthi_code_versions(bus, out);
        return PT_SUCCESS;
    case AMTHI_GET_PROVISIONING_STATE:
        blob_put_u32(out, vamt_amt_provisioning_state(amt));
        return PT_SUCCESS;
    case AMTHI_GET_PROVISIONING_MODE:
        blob_put_u32(out, vamt_amt_provisioning_state(amt) ==
                     VAMT_PROVISIONING_POST ?
                     AMTHI_PROVISIONING_MODE_ENTERPRISE : 0);
        blob_put_u32(out, 0);                /* legacy mode: false */
        return PT_SUCCESS;
    case AMTHI_GET_CONTROL_MODE:
        blob_put_u32(out, vamt_amt_control_mode(amt));
        return PT_SUCCESS;
    case AMTHI_GET_UUID:
        g_byte_array_append(out, fw->system_uuid, sizeof(fw->system_uuid));
        return PT_SUCCESS;
    default:
        mei_bus_log(bus, "AMTHI: command 0x%08x not implemented", command);
        return PT_INTERNAL_ERROR;
    }
}

static void amthi_receive(MeiBus *bus, MeiConn *conn,
                          const uint8_t *msg, size_t len)
{
    g_autoptr(GByteArray) rsp = g_byte_array_new();
    uint8_t hdr[AMTHI_RESPONSE_HDR_LEN] = { 1, 1, 0, 0 };
    uint32_t command, length = 0, status;

    if (len < 8) {
        /* Not even a command to answer to */
        mei_bus_log(bus, "AMTHI: %zu-byte message dropped", len);
        return;
    }
    command = vamt_le32(msg + 4);
    if (len >= AMTHI_REQUEST_HDR_LEN) {
        length = vamt_le32(msg + 8);
    }
    g_byte_array_append(rsp, hdr, sizeof(hdr));
    if (len < AMTHI_REQUEST_HDR_LEN ||
        length != len - AMTHI_REQUEST_HDR_LEN) {
        status = PT_INVALID_MESSAGE_LENGTH;
    } else if (msg[0] != 1 || msg[1] < 1 || (command & AMTHI_IS_RESPONSE)) {
        status = PT_INTERNAL_ERROR;
    } else {
        status = amthi_execute(bus, command, msg + AMTHI_REQUEST_HDR_LEN,
                               length, rsp);
        if (status != PT_SUCCESS) {
            g_byte_array_set_size(rsp, AMTHI_RESPONSE_HDR_LEN);
        }
    }
    vamt_put_le32(rsp->data + 4, command | AMTHI_IS_RESPONSE);
    vamt_put_le32(rsp->data + 8, rsp->len - AMTHI_REQUEST_HDR_LEN);
    vamt_put_le32(rsp->data + 12, status);
    mei_bus_send(bus, conn, rsp->data, rsp->len);
}

const MeiClientType mei_client_amthi = {
    .name = "amthi",
    .uuid = { 0x28, 0x00, 0xf8, 0x12, 0xb7, 0xb4, 0x2d, 0x4b,
              0xac, 0xa8, 0x46, 0xe0, 0xff, 0x65, 0x81, 0x4c },
    .me_addr = 0x10,
    .protocol_version = 1,
    .max_connections = 4,
    .max_msg_length = 4096,
    .receive = amthi_receive,
};
