/*
 * vAMT ME core: ASF presence over RMCP (UDP port 623)
 *
 * Consoles find AMT computers by sending an ASF Presence Ping to UDP
 * port 623 (MeshCentral's "Scan Network" and its periodic presence
 * check); AMT answers with a Presence Pong whose OEM-defined bytes say
 * which WS-Management port is open, the AMT version and the
 * provisioning state.  This is the formatter: pure, no sockets, no
 * clock.  The byte layout is in docs/specs/vamt-wsman.rst ("Presence
 * over RMCP").
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_RMCP_H
#define VAMT_ME_RMCP_H

#include <stddef.h>
#include <stdint.h>

#define VAMT_RMCP_PORT          623     /* "asf-rmcp", the primary port */

#define VAMT_RMCP_PING_LEN      12      /* RMCP header + ASF header */
#define VAMT_RMCP_PONG_LEN      28      /* ... + 16 bytes of pong data */
#define VAMT_RMCP_ACK_LEN       4

/* RMCP header */
#define VAMT_RMCP_VERSION       0x06    /* RMCP 1.0 */
#define VAMT_RMCP_SEQ_NO_ACK    0xff
#define VAMT_RMCP_CLASS_ASF     0x06
#define VAMT_RMCP_CLASS_ACK     0x80    /* the ACK bit of the class byte */

/* ASF message header */
#define VAMT_ASF_IANA           4542    /* ASF's (DMTF's) enterprise number */
#define VAMT_ASF_PRESENCE_PONG  0x40
#define VAMT_ASF_PRESENCE_PING  0x80

/* Pong data */
#define VAMT_IANA_INTEL         343     /* whose OEM-defined bytes these are */
#define VAMT_ASF_ENTITIES_ASF_1 0x01    /* bits 3:0: ASF version 1.0 */
#define VAMT_ASF_ENTITIES_IPMI  0x80
#define VAMT_ASF_INTERACT_RSP   0x80    /* RMCP security extensions */
#define VAMT_ASF_INTERACT_DASH  0x20    /* DMTF DASH (WS-Management) */

/* The OEM-defined byte 3 (pong byte 19): provisioning state, dual ports */
#define VAMT_RMCP_OEM_PROV_MASK 0x03
#define VAMT_RMCP_OEM_DUAL_PORT 0x04    /* both 16992 and 16993 open */

/* What the pong says about the ME */
typedef struct VamtRmcpInfo {
    uint16_t amt_major;         /* firmware version */
    uint16_t amt_minor;
    uint8_t provisioning_state; /* VAMT_PROVISIONING_* */
    uint16_t http_port;         /* open WS-Management ports, 0 if closed */
    uint16_t tls_port;
} VamtRmcpInfo;

/*
 * The Presence Pong for the datagram @in of @len bytes, written to @out;
 * returns its length, or 0 if @in is not a well-formed Presence Ping or
 * @out is shorter than VAMT_RMCP_PONG_LEN: nothing is sent back then.
 */
size_t vamt_rmcp_answer(const uint8_t *in, size_t len,
                        const VamtRmcpInfo *info,
                        uint8_t *out, size_t out_size);

/*
 * The RMCP ACK that a Presence Ping @in asks for (its sequence number is
 * not 255), written to @out; returns its length, or 0 if @in asks for
 * none or is not a ping we answer.
 */
size_t vamt_rmcp_ack(const uint8_t *in, size_t len,
                     uint8_t *out, size_t out_size);

#endif
