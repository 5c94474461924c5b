/*
 * vAMT ME core: the firmware's identity, fixed when the ME is made
 * (versions, SKU, UUID, capabilities); what changes at run time, such as
 * the provisioning state, is AMT state (amt.h)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_FIRMWARE_H
#define VAMT_ME_FIRMWARE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct VamtFwVersion {
    uint16_t major;
    uint16_t minor;
    uint16_t hotfix;
    uint16_t build;
} VamtFwVersion;

/* AMTHI GetProvisioningState values */
enum {
    VAMT_PROVISIONING_PRE  = 0,
    VAMT_PROVISIONING_IN   = 1,
    VAMT_PROVISIONING_POST = 2,
};

/* AMTHI GetControlMode values */
enum {
    VAMT_CONTROL_MODE_NONE = 0,
    VAMT_CONTROL_MODE_CCM  = 1,
    VAMT_CONTROL_MODE_ACM  = 2,
};

typedef struct VamtFirmware {
    VamtFwVersion version;
    uint32_t sku;                   /* 0x4008: AMT Pro, corporate */
    char bios_version[65];          /* reported by GetCodeVersions */
    uint8_t system_uuid[16];        /* SMBIOS byte order */
    uint32_t features;              /* MKHI FWCAPS feature bitmap */
    uint32_t platform_type;         /* MKHI FWCAPS rule 29 */
    uint8_t host_mac[6];
    /* The redirection hardware the platform has: VAMT_FW_REDIR_* */
    uint32_t redirection;
    /* The platform connects out for the ME (alerts): ops->outbound_* */
    bool outbound;
    /*
     * The platform serves TLS on the remote TLS ports (16993, 16995)
     * with credentials of its own (tls-creds=): the ME serves
     * WS-Management and redirection behind it, and AMT_TLSSettingData
     * says so
     */
    bool remote_tls;
    /* ... asking consoles for a client certificate (verify-peer=on) */
    bool remote_tls_mutual;
    /*
     * ... and no plain ports for remote consoles at all, as CSME 16.1
     * and later (nontls-remote=off): TLS is always on
     */
    bool remote_plain_unsupported;
    /*
     * ... presenting this certificate (DER; NULL if not known), whose
     * subject and issuer are as AMT writes them: "C=US,O=...,CN=...",
     * in the certificate's order
     */
    const uint8_t *remote_tls_cert;
    size_t remote_tls_cert_len;
    const char *remote_tls_subject;
    const char *remote_tls_issuer;
} VamtFirmware;

/*
 * VamtFirmware.redirection: what the ME can serve.  A console sees a
 * feature enabled only if its bit is set (the UART of SOL, the IDE-R
 * function), whatever it asked for.
 */
enum {
    VAMT_FW_REDIR_SOL = 1 << 0,
    VAMT_FW_REDIR_IDER = 1 << 1,
    VAMT_FW_REDIR_KVM = 1 << 2,
};

/* Fill @fw with the defaults of an unprovisioned AMT 16.1 corporate ME. */
void vamt_firmware_init(VamtFirmware *fw);

/*
 * Parse "major.minor.hotfix.build" (each 0..65535) into @v.
 * Returns false, leaving @v alone, if @str is not such a version.
 */
bool vamt_fw_version_parse(const char *str, VamtFwVersion *v);

/* Convert a UUID between RFC 4122 (big-endian) and SMBIOS byte order. */
void vamt_uuid_swap_fields(uint8_t out[16], const uint8_t in[16]);

#endif
