/*
 * vAMT ME core: the management engine, the one root of the core
 *
 * A VamtMe owns everything the firmware runs: the AMT state (accounts,
 * settings, logs, provisioning), the MEI bus with its firmware clients
 * that the host driver talks to, and the network services, each behind
 * the AMT port it answers on.  It reaches the machine it manages
 * through one VamtPlatformOps table and one opaque.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_ME_H
#define VAMT_ME_ME_H

#include "amt.h"
#include "conn.h"
#include "http.h"
#include "mei-bus.h"
#include "platform-ops.h"
#include "wsman.h"

typedef struct VamtMe VamtMe;

/* AMT's service ports (also the ports APF channels ask for) */
enum {
    VAMT_PORT_WSMAN         = 16992,    /* WS-Management, legacy SOAP */
    VAMT_PORT_WSMAN_TLS     = 16993,
    VAMT_PORT_REDIRECTION   = 16994,    /* SOL, IDE-R, KVM */
    VAMT_PORT_REDIRECTION_TLS = 16995,
    VAMT_PORT_VNC           = 5900,     /* standard RFB, when enabled */
};

/* @fw, @ops and @opaque stay the caller's and must outlive the ME. */
VamtMe *vamt_me_new(const VamtFirmware *fw, const VamtPlatformOps *ops,
                    void *opaque);
void vamt_me_free(VamtMe *me);

VamtAmt *vamt_me_amt(VamtMe *me);
MeiBus *vamt_me_mei(VamtMe *me);
VamtHttpServer *vamt_me_http(VamtMe *me);
/* The WS-Management service behind the HTTP server */
VamtWsman *vamt_me_wsman(VamtMe *me);

/*
 * The service that answers connections to AMT port @port, or NULL if the
 * ME serves nothing there (yet, or in its current configuration).
 */
const VamtService *vamt_me_service(VamtMe *me, uint16_t port);

/* The timer asked for through ops->guest_timer_mod fired. */
void vamt_me_guest_timer_expired(VamtMe *me);

/*
 * The platform owner's admin password (QEMU's admin-secret): it always
 * belongs to the admin account, whose name becomes "admin" again if a
 * console renamed it and no other account has taken that name; and it
 * provisions an unprovisioned ME in admin control mode, as remote
 * configuration would have left it.
 */
void vamt_me_set_admin_password(VamtMe *me, const char *password);

/* Load a saved AMT state (migration, NVRAM); false leaves the ME as it was. */
bool vamt_me_load(VamtMe *me, const uint8_t *data, size_t len);

#endif
