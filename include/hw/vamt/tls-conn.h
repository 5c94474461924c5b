/*
 * vAMT: TLS for a byte-stream transport (the NIC endpoint)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VAMT_TLS_CONN_H
#define HW_VAMT_TLS_CONN_H

#include "conn.h"
#include "crypto/tlscreds.h"

/* One TLS port's service over a transport: @inner behind TLS */
typedef struct VamtTlsService {
    VamtService service;
    const VamtService *inner;
    QCryptoTLSCreds *creds;
} VamtTlsService;

/*
 * The service a transport opens for a TLS port: a TLS server with @creds
 * whose plain bytes go to @inner (the ME's service of that port), kept
 * in @svc; NULL if @inner or @creds is.  Call again at each lookup: the
 * ME's service of a port comes and goes.
 */
const VamtService *vamt_tls_service(VamtTlsService *svc,
                                    const VamtService *inner,
                                    QCryptoTLSCreds *creds);

#endif
