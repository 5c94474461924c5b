/*
 * vAMT ME core: ASF presence over RMCP (UDP port 623)
 *
 * Only a well-formed Presence Ping is answered, with a pong of a fixed
 * 28 bytes (and a 4-byte ACK if the ping asks for one): anything else,
 * RMCP ACKs included, gets no answer, so a spoofed source address gains
 * an attacker little.  How often the ME answers is limited by its root
 * (me.c), for every transport alike.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdbool.h>
#include <string.h>

#include "byte-order.h"
#include "firmware.h"
#include "rmcp.h"

static bool is_presence_ping(const uint8_t *in, size_t len)
{
    /*
     * The reserved bytes (1 and 10) are not checked, as a receiver
     * should; the class byte must be a normal message of class ASF, with
     * its reserved bits clear.  A ping has no data.
     */
    return in && len == VAMT_RMCP_PING_LEN &&
           in[0] == VAMT_RMCP_VERSION &&
           in[3] == VAMT_RMCP_CLASS_ASF &&
           vamt_be32(in + 4) == VAMT_ASF_IANA &&
           in[8] == VAMT_ASF_PRESENCE_PING &&
           in[11] == 0;
}

/*
 * The version nibbles of OEM-defined byte 2: AMT before 16 reported its
 * major.minor there; a version that does not fit is reported as 0, which
 * MeshCentral takes as "not reported" (it then reads the version from
 * the web server's Server header).
 */
static uint8_t version_byte(const VamtRmcpInfo *info)
{
    if (info->amt_major > 15 || info->amt_minor > 15) {
        return 0;
    }
    return info->amt_major << 4 | info->amt_minor;
}

size_t vamt_rmcp_answer(const uint8_t *in, size_t len,
                        const VamtRmcpInfo *info,
                        uint8_t *out, size_t out_size)
{
    uint8_t oem_flags;
    uint16_t port;

    if (!is_presence_ping(in, len) || out_size < VAMT_RMCP_PONG_LEN) {
        return 0;
    }
    memset(out, 0, VAMT_RMCP_PONG_LEN);

    /* RMCP: no ACK wanted, the ME never sends the pong again */
    out[0] = VAMT_RMCP_VERSION;
    out[2] = VAMT_RMCP_SEQ_NO_ACK;
    out[3] = VAMT_RMCP_CLASS_ASF;

    /* ASF: the ping's tag, 16 bytes of data */
    vamt_put_be32(out + 4, VAMT_ASF_IANA);
    out[8] = VAMT_ASF_PRESENCE_PONG;
    out[9] = in[9];
    out[11] = VAMT_RMCP_PONG_LEN - VAMT_RMCP_PING_LEN;

    /*
     * The OEM-defined bytes are Intel's, so the enterprise number is:
     * the open port (the plain one when both are), the version, and the
     * provisioning state with the dual-port flag.
     */
    vamt_put_be32(out + 12, VAMT_IANA_INTEL);
    port = info->http_port ? info->http_port : info->tls_port;
    vamt_put_be16(out + 16, port);
    out[18] = version_byte(info);
    oem_flags = info->provisioning_state & VAMT_RMCP_OEM_PROV_MASK;
    if (info->http_port && info->tls_port) {
        oem_flags |= VAMT_RMCP_OEM_DUAL_PORT;
    }
    out[19] = oem_flags;

    /* ASF 1.0 without IPMI or RSP; DASH is WS-Management on @port */
    out[20] = VAMT_ASF_ENTITIES_ASF_1;
    out[21] = port ? VAMT_ASF_INTERACT_DASH : 0;
    /* 22..27 reserved */
    return VAMT_RMCP_PONG_LEN;
}

size_t vamt_rmcp_ack(const uint8_t *in, size_t len,
                     uint8_t *out, size_t out_size)
{
    if (!is_presence_ping(in, len) || in[2] == VAMT_RMCP_SEQ_NO_ACK ||
        out_size < VAMT_RMCP_ACK_LEN) {
        return 0;
    }
    /* the ping's header, its class byte with the ACK bit */
    out[0] = VAMT_RMCP_VERSION;
    out[1] = 0;
    out[2] = in[2];
    out[3] = VAMT_RMCP_CLASS_ACK | VAMT_RMCP_CLASS_ASF;
    return VAMT_RMCP_ACK_LEN;
}
