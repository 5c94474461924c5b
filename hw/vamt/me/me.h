/*
 * vAMT ME core: the management engine's network-facing service
 *
 * Ties the AMT state, WS-Management/EOI, Digest authentication and the
 * HTTP server together, so that a transport (a host socket, the ME's
 * own TCP endpoint, TLS) only has to move bytes to VamtHttpConn objects
 * made from vamt_me_http().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_ME_H
#define VAMT_ME_ME_H

#include "amt.h"
#include "http.h"
#include "platform-ops.h"

typedef struct VamtMe VamtMe;

/* @fw, @ops and @opaque stay the caller's and must outlive the ME. */
VamtMe *vamt_me_new(const VamtFirmware *fw, const VamtPlatformOps *ops,
                    void *opaque);
void vamt_me_free(VamtMe *me);

void vamt_me_set_admin_password(VamtMe *me, const char *password);
VamtAmt *vamt_me_amt(VamtMe *me);
VamtHttpServer *vamt_me_http(VamtMe *me);

/* Load a saved state (migration, NVRAM); false leaves the ME as it was. */
bool vamt_me_load(VamtMe *me, const uint8_t *data, size_t len);

#endif
