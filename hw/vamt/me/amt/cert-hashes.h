/*
 * vAMT ME core: the trusted root certificate hashes the ME ships with
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_CERT_HASHES_H
#define VAMT_ME_CERT_HASHES_H

#include <stddef.h>
#include <stdint.h>

/* Hash algorithms as AMTHI and AMT_ProvisioningCertificateHash number them */
#define VAMT_HASH_SHA1              1
#define VAMT_CERT_HASH_MAX_LEN      64

typedef struct VamtCertHash {
    const char *name;           /* as AMT names the root */
    uint8_t algorithm;          /* VAMT_HASH_* */
    uint8_t len;
    uint8_t hash[VAMT_CERT_HASH_MAX_LEN];
} VamtCertHash;

/*
 * The default hashes, each default and active (they cannot be changed
 * yet); handle n (1-based) is entry n - 1.
 */
const VamtCertHash *vamt_cert_hashes(size_t *count);

#endif
