/*
 * vAMT ME core: MKHI clients (the fixed-address one the Linux driver
 * asks for the firmware version at probe, and the dynamic one agents use)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "mei-bus.h"
#include "mei-wire.h"

#define MKHI_HDR_LEN                4
#define MKHI_IS_RESPONSE            0x80

#define MKHI_GROUP_GEN              0xff
#define MKHI_GEN_GET_FW_VERSION     0x02
#define MKHI_GROUP_FWCAPS           0x03
#define MKHI_FWCAPS_GET_RULE        0x02
#define MKHI_FWCAPS_SET_RULE        0x06

#define MKHI_RESULT_NOT_SUPPORTED   0x89
#define MKHI_RESULT_INVALID_COMMAND 0x8d
#define MKHI_RESULT_INVALID_PARAMS  0x85

/* FWCAPS rules */
#define MKHI_RULE_FEATURES_CAPABLE  0
#define MKHI_RULE_PLATFORM_TYPE     29
#define MKHI_RULE_FEATURES_ENABLED  32
#define MKHI_RULE_FEATURES_AVAIL    39

/* Three identical blocks: code, recovery and FITC versions */
#define MKHI_FW_VERSION_BLOCKS      3

static void mkhi_reply(MeiBus *bus, MeiConn *conn, const uint8_t *req,
                       uint8_t result, const uint8_t *data, size_t len)
{
    uint8_t rsp[MKHI_HDR_LEN + 32] = {
        req[0], req[1] | MKHI_IS_RESPONSE, 0, result
    };

    g_assert(len <= sizeof(rsp) - MKHI_HDR_LEN);
    if (len) {
        /* an error reply has no data, and memcpy() may not get NULL */
        memcpy(rsp + MKHI_HDR_LEN, data, len);
    }
    mei_bus_send(bus, conn, rsp, MKHI_HDR_LEN + len);
}

static void mkhi_fw_version(MeiBus *bus, MeiConn *conn, const uint8_t *req)
{
    const VamtFwVersion *v = &mei_bus_firmware(bus)->version;
    uint8_t data[8 * MKHI_FW_VERSION_BLOCKS];

    for (int i = 0; i < MKHI_FW_VERSION_BLOCKS; i++) {
        uint8_t *b = data + 8 * i;

        /* the platform is the high byte of "major": 0 */
        vamt_put_le16(b, v->minor);
        vamt_put_le16(b + 2, v->major & 0xff);
        vamt_put_le16(b + 4, v->build);
        vamt_put_le16(b + 6, v->hotfix);
    }
    mkhi_reply(bus, conn, req, 0, data, sizeof(data));
}

static void mkhi_get_rule(MeiBus *bus, MeiConn *conn,
                          const uint8_t *req, size_t len)
{
    const VamtFirmware *fw = mei_bus_firmware(bus);
    uint8_t data[9];
    uint32_t rule, value;

    if (len < MKHI_HDR_LEN + 4) {
        mkhi_reply(bus, conn, req, MKHI_RESULT_INVALID_PARAMS, NULL, 0);
        return;
    }
    rule = vamt_le32(req + MKHI_HDR_LEN);
    switch (rule) {
    case MKHI_RULE_FEATURES_CAPABLE:
    case MKHI_RULE_FEATURES_ENABLED:
    case MKHI_RULE_FEATURES_AVAIL:
        value = fw->features;
        break;
    case MKHI_RULE_PLATFORM_TYPE:
        value = fw->platform_type;
        break;
    default:
        mkhi_reply(bus, conn, req, MKHI_RESULT_NOT_SUPPORTED, NULL, 0);
        return;
    }
    vamt_put_le32(data, rule);
    data[4] = 4;
    vamt_put_le32(data + 5, value);
    mkhi_reply(bus, conn, req, 0, data, sizeof(data));
}

static void mkhi_receive(MeiBus *bus, MeiConn *conn,
                         const uint8_t *msg, size_t len)
{
    uint8_t group, command;

    if (len < MKHI_HDR_LEN || (msg[1] & MKHI_IS_RESPONSE)) {
        mei_bus_log(bus, "MKHI: malformed request (%zu bytes) dropped", len);
        return;
    }
    group = msg[0];
    command = msg[1];
    if (group == MKHI_GROUP_GEN && command == MKHI_GEN_GET_FW_VERSION) {
        mkhi_fw_version(bus, conn, msg);
    } else if (group == MKHI_GROUP_FWCAPS && command == MKHI_FWCAPS_GET_RULE) {
        mkhi_get_rule(bus, conn, msg, len);
    } else if (group == MKHI_GROUP_FWCAPS && command == MKHI_FWCAPS_SET_RULE) {
        /* The OS-version notice the kernel sends at probe: no reply wanted */
        mei_bus_log(bus, "MKHI: host OS version noted");
    } else {
        mkhi_reply(bus, conn, msg, MKHI_RESULT_INVALID_COMMAND, NULL, 0);
    }
}

const MeiClientType mei_client_mkhi_fixed = {
    .name = "mkhi-fixed",
    .uuid = { 0x84, 0x35, 0x21, 0x55, 0x29, 0x9a, 0x16, 0x49,
              0xba, 0xdf, 0x0f, 0xb7, 0xed, 0x68, 0x2a, 0xeb },
    .me_addr = 0x07,
    .protocol_version = 1,
    .max_connections = 1,
    .fixed_address = true,
    .max_msg_length = 2048,
    .receive = mkhi_receive,
};

const MeiClientType mei_client_mkhi = {
    .name = "mkhi",
    .uuid = { 0x15, 0x67, 0x6a, 0x8e, 0xbc, 0x9a, 0x43, 0x40,
              0x88, 0xef, 0x9e, 0x39, 0xc6, 0xf6, 0x3e, 0x0f },
    .me_addr = 0x08,
    .protocol_version = 1,
    .max_connections = 1,
    .max_msg_length = 2048,
    .receive = mkhi_receive,
};
