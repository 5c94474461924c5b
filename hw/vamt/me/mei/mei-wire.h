/*
 * vAMT ME core: MEI wire formats shared by the bus and its clients
 *
 * Layouts follow the Linux mei driver's hw.h and docs/specs/vamt-heci.rst.
 * All multi-byte fields on the MEI link are little-endian.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_MEI_WIRE_H
#define VAMT_ME_MEI_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "byte-order.h"

/* MEI message header (first dword of every fragment) */
#define MEI_HDR_ME_ADDR(h)      ((uint8_t)((h) & 0xff))
#define MEI_HDR_HOST_ADDR(h)    ((uint8_t)(((h) >> 8) & 0xff))
#define MEI_HDR_LENGTH(h)       (((h) >> 16) & 0x1ff)
#define MEI_HDR_RESERVED_MASK   0x0e000000u
#define MEI_HDR_EXTENDED        (1u << 28)
#define MEI_HDR_DMA_RING        (1u << 29)
#define MEI_HDR_INTERNAL        (1u << 30)
#define MEI_HDR_MSG_COMPLETE    (1u << 31)
#define MEI_HDR(me, host, len, complete) \
    ((uint32_t)(me) | ((uint32_t)(host) << 8) | ((uint32_t)(len) << 16) | \
     ((complete) ? MEI_HDR_MSG_COMPLETE : 0))

/* Circular buffers: 128 dwords, so one fragment carries at most 508 bytes */
#define MEI_CB_DEPTH            128
#define MEI_MAX_FRAGMENT        ((MEI_CB_DEPTH - 1) * 4)

/* HBM command codes; a response is the request | 0x80 */
enum {
    HBM_HOST_START          = 0x01,
    HBM_HOST_STOP           = 0x02,
    HBM_ME_STOP             = 0x03,
    HBM_HOST_ENUM           = 0x04,
    HBM_CLIENT_PROPERTIES   = 0x05,
    HBM_CLIENT_CONNECT      = 0x06,
    HBM_CLIENT_DISCONNECT   = 0x07,
    HBM_FLOW_CONTROL        = 0x08,
    HBM_PG_ISOLATION_ENTRY  = 0x0a,
    HBM_PG_ISOLATION_EXIT   = 0x0b,
    HBM_ADD_CLIENT          = 0x0f,
    HBM_NOTIFY              = 0x10,
    HBM_NOTIFICATION        = 0x11,
    HBM_DMA_SETUP           = 0x12,
    HBM_CAPABILITIES        = 0x13,
    HBM_RESPONSE            = 0x80,
};

/* HBM status codes (hbm_status) */
enum {
    HBM_STATUS_SUCCESS          = 0,
    HBM_STATUS_CLIENT_NOT_FOUND = 1,
    HBM_STATUS_ALREADY_EXISTS   = 2,
    HBM_STATUS_REJECTED         = 3,
    HBM_STATUS_INVALID_PARAM    = 4,
    HBM_STATUS_NOT_ALLOWED      = 5,
    HBM_STATUS_ALREADY_STARTED  = 6,
    HBM_STATUS_NOT_STARTED      = 7,
};

/* CLIENT_CONNECT_RES status codes (they differ from hbm_status) */
enum {
    HBM_CONNECT_SUCCESS          = 0,
    HBM_CONNECT_NOT_FOUND        = 1,
    HBM_CONNECT_ALREADY_STARTED  = 2,
    HBM_CONNECT_OUT_OF_RESOURCES = 3,
    HBM_CONNECT_MESSAGE_SMALL    = 4,
    HBM_CONNECT_NOT_ALLOWED      = 5,
};

/* HBM version the ME offers */
#define HBM_ME_MAJOR            2
#define HBM_ME_MINOR            2

/* Sizes of the HBM messages the ME sends */
#define HBM_ENUM_RES_LEN        36
#define HBM_PROPS_RES_LEN       28
#define HBM_CLIENT_PROPS_LEN    24
#define HBM_FLOW_CONTROL_LEN    8
#define HBM_NOTIFY_RES_LEN      8

#endif
