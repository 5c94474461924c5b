/*
 * vAMT ME core: AMT's PT_STATUS codes
 *
 * One table for every interface that returns them: AMTHI responses on
 * the MEI bus, the ReturnValue of AMT_ and IPS_ WS-Management methods
 * and the StatusCode of legacy (EOI) SOAP calls.  Values from Intel's
 * AMT SDK (PT_STATUS, "AMT_STATUS_*"); see docs/specs/vamt-wsman.rst.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_STATUS_H
#define VAMT_ME_STATUS_H

enum {
    PT_SUCCESS                  = 0x000,
    PT_INTERNAL_ERROR           = 0x001,
    /* AMT_STATUS_NOT_READY: not possible in the current state */
    PT_INVALID_STATE            = 0x002,
    PT_INVALID_AMT_MODE         = 0x003,
    PT_INVALID_MESSAGE_LENGTH   = 0x004,
    PT_NOT_PERMITTED            = 0x010,
    PT_INVALID_PROVISIONING_STATE = 0x020,
    PT_INVALID_TIME             = 0x022,
    PT_INVALID_PARAMETER        = 0x024,
    PT_CERTIFICATE_NOT_READY    = 0x031,
    PT_INVALID_HANDLE           = 0x805,
    PT_INVALID_NAME             = 0x806,
    PT_DUPLICATE                = 0x80a,
    PT_MAX_LIMIT_REACHED        = 0x80b,
};

#endif
