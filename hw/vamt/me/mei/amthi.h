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
#define AMTHI_UNPROVISION               0x04000010u
#define AMTHI_GET_PROVISIONING_STATE    0x04000011u
#define AMTHI_GET_CODE_VERSIONS         0x0400001au
#define AMTHI_GET_MAC_ADDRESSES         0x04000025u
#define AMTHI_ENUMERATE_HASH_HANDLES    0x0400002cu
#define AMTHI_GET_CERT_HASH_ENTRY       0x0400002du
#define AMTHI_GET_ZERO_TOUCH_ENABLED    0x04000030u
#define AMTHI_GET_PKI_FQDN_SUFFIX       0x04000036u
#define AMTHI_GET_DNS_SUFFIX_LIST       0x0400003eu
#define AMTHI_GET_REMOTE_ACCESS_STATUS  0x04000046u
#define AMTHI_GET_LAN_INTERFACE         0x04000048u
#define AMTHI_GET_LAST_RESET_REASON     0x0400004au
#define AMTHI_GET_UI_INTERFACES         0x0400004du
#define AMTHI_GET_FQDN                  0x04000056u
#define AMTHI_GET_UUID                  0x0400005cu
#define AMTHI_GET_LOCAL_SYSTEM_ACCOUNT  0x04000067u
#define AMTHI_GET_CONTROL_MODE          0x0400006bu
#define AMTHI_GET_EHBC_STATE            0x04000084u
#define AMTHI_SET_DNS_SUFFIX            0x0400002fu
#define AMTHI_SET_ENTERPRISE_ACCESS     0x0400003fu
#define AMTHI_OPEN_USER_CONNECTION      0x04000044u
#define AMTHI_CLOSE_USER_CONNECTION     0x04000045u
#define AMTHI_GET_POWER_POLICY          0x04000047u
#define AMTHI_GET_FEATURES_STATE        0x04000049u
#define AMTHI_SET_HOST_FQDN             0x0400005bu
#define AMTHI_STOP_CONFIGURATION        0x0400005eu
#define AMTHI_START_CONFIG_HBASED       0x0400008bu
#define AMTHI_GET_AMT_STATE             0x01000001u

#define AMTHI_PROVISIONING_MODE_ENTERPRISE 1

/* GetCodeVersions: char bios[65], u32 count, count x 44-byte entries */
#define AMTHI_BIOS_VERSION_LEN          65
#define AMTHI_CODE_VERSION_ENTRY_LEN    44
/* GetLocalSystemAccount: a reserved request, user and password fields */
#define AMTHI_LSA_REQUEST_LEN           40
#define AMTHI_LSA_FIELD_LEN             33
/* SetEnterpriseAccess: u8 flags, u8 host_ip[16], u8 access */
#define AMTHI_ENTERPRISE_ACCESS_LEN     18
/* StartConfigurationHBased as rpc-go and as MeshAgent lay it out */
#define AMTHI_START_HBASED_RPC_LEN      390
#define AMTHI_START_HBASED_MESH_LEN     396
/* GetAMTState: u8 state_id[16]; its only id, the link state, ends in 1 */
#define AMTHI_AMT_STATE_ID_LEN          16
#define AMTHI_AMT_STATE_VALUES          5
/* GetFeaturesState ids */
#define AMTHI_FEATURE_REDIRECTION       0
#define AMTHI_FEATURE_EAC               3
#define AMTHI_FEATURE_UNION_LEN         12


#endif
