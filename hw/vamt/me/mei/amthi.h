/*
 * vAMT ME core: AMTHI (PTHI) wire constants
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_AMTHI_H
#define VAMT_ME_AMTHI_H

#define AMTHI_REQUEST_HDR_LEN           12
#define AMTHI_RESPONSE_HDR_LEN          16  /* header + u32 status */
#define AMTHI_IS_RESPONSE               0x00800000u

#define AMTHI_GET_PROVISIONING_MODE     0x04000008u
#define AMTHI_GET_PROVISIONING_STATE    0x04000011u
#define AMTHI_GET_CODE_VERSIONS         0x0400001au
#define AMTHI_GET_UUID                  0x0400005cu
#define AMTHI_GET_CONTROL_MODE          0x0400006bu

#define AMTHI_PROVISIONING_MODE_ENTERPRISE 1

/* GetCodeVersions: char bios[65], u32 count, count x 44-byte entries */
#define AMTHI_BIOS_VERSION_LEN          65
#define AMTHI_CODE_VERSION_ENTRY_LEN    44


#endif
