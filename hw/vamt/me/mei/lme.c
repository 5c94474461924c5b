/*
 * vAMT ME core: the LME client (APF port forwarding for host agents)
 *
 * So far the ME opens each session with its APF PROTOCOL_VERSION; the rest
 * of the APF protocol is not served yet and host messages are dropped.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "firmware.h"
#include "byte-order.h"
#include "mei-bus.h"

#define APF_PROTOCOL_VERSION        0xc0
#define APF_PROTOCOL_VERSION_LEN    93
#define APF_TRIGGER_LME             254

/* APF integers are big-endian */
static void lme_connected(MeiBus *bus, MeiConn *conn)
{
    uint8_t pv[APF_PROTOCOL_VERSION_LEN] = { APF_PROTOCOL_VERSION };

    vamt_put_be32(pv + 1, 1);                    /* major */
    vamt_put_be32(pv + 5, 0);                    /* minor */
    vamt_put_be32(pv + 9, APF_TRIGGER_LME);
    memcpy(pv + 13, mei_bus_firmware(bus)->system_uuid, 16);
    mei_bus_send(bus, conn, pv, sizeof(pv));
}

static void lme_receive(MeiBus *bus, MeiConn *conn, const uint8_t *msg,
                        size_t len)
{
    mei_bus_log(bus, "LME: APF message type %u (%zu bytes) not served yet",
                len ? msg[0] : 0, len);
}

const MeiClientType mei_client_lme = {
    .name = "lme",
    .uuid = { 0xdb, 0xa4, 0x33, 0x67, 0x76, 0x04, 0x7b, 0x4e,
              0xb3, 0xaf, 0xbc, 0xfc, 0x29, 0xbe, 0xe7, 0xa7 },
    .me_addr = 0x12,
    .protocol_version = 1,
    .max_connections = 1,
    .max_msg_length = 4096,
    .connected = lme_connected,
    .receive = lme_receive,
};
