/*
 * vAMT ME core: the redirection service (AMT port 16994, later 16995)
 *
 * One TCP connection carries one session: the console starts it with a
 * tag ("SOL ", "IDER", "KVMR"), authenticates (plain user/password or
 * Digest, as the protocol's AuthenticateSession defines them), and then
 * speaks that session's protocol.  The service is a byte-stream state
 * machine behind the connection contract of base/conn.h, so every
 * transport (host socket, the NIC endpoint, TLS) serves it unchanged.
 * docs/specs/vamt-redirection.rst describes the wire format.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_REDIR_H
#define VAMT_ME_REDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amt.h"
#include "conn.h"
#include "digest.h"
#include "platform-ops.h"

typedef struct VamtRedir VamtRedir;

typedef enum VamtRedirType {
    VAMT_REDIR_SOL,
    VAMT_REDIR_IDER,
    VAMT_REDIR_KVM,
    VAMT_REDIR_TYPES,
} VamtRedirType;

/* Time limits of the session set-up (ms) */
#define VAMT_REDIR_START_TIMEOUT_MS     10000   /* accept -> 0x10 */
#define VAMT_REDIR_AUTH_TIMEOUT_MS      30000   /* accept -> authenticated */
#define VAMT_REDIR_FAIL_DELAY_MS        1000    /* a failed login -> close */
/* Nothing else goes out this long after a reply a client reads alone */
#define VAMT_REDIR_ISOLATION_MS         100
/* Connections that have not authenticated yet; the oldest makes room */
#define VAMT_REDIR_MAX_UNAUTHENTICATED  4

/*
 * SOL buffers: guest output waiting for the console, console input
 * waiting for the guest's UART.  Beyond them bytes are dropped and the
 * console is told (0x29 status bits).
 */
#define VAMT_REDIR_SOL_TX_MAX           (64 * 1024)
#define VAMT_REDIR_SOL_RX_MAX           (64 * 1024)

/* The UART's modem control lines, as 0x29 reports them */
enum {
    VAMT_SOL_CONTROL_RTS = 0x01,
    VAMT_SOL_CONTROL_DTR = 0x02,
    VAMT_SOL_CONTROL_BREAK = 0x04,
};

/*
 * @ops/@opaque: the platform (power state for SOL's status, the UART
 * through sol_to_guest, the clock, randomness).  @digest: the ME's
 * Digest state, whose realm, accounts and lock-outs sessions share with
 * the web service.
 */
VamtRedir *vamt_redir_new(VamtAmt *amt, VamtDigest *digest,
                          const VamtPlatformOps *ops, void *opaque);
void vamt_redir_free(VamtRedir *redir);

/* The service of base/conn.h; its impl is the VamtRedir */
extern const VamtServiceClass vamt_redir_service_class;

/* Allow plain user/password authentication (auth type 1; default on) */
void vamt_redir_set_plain_auth(VamtRedir *redir, bool allowed);

/*
 * Is @type served at all (the platform has its hardware: the KT UART for
 * SOL, the IDE-R function) and enabled now (AMT_RedirectionService)?
 */
bool vamt_redir_type_enabled(VamtRedir *redir, VamtRedirType type);
/* Is a console's session of @type open? */
bool vamt_redir_active(VamtRedir *redir, VamtRedirType type);
/* Close sessions of @type (or every one, VAMT_REDIR_TYPES) */
void vamt_redir_terminate(VamtRedir *redir, VamtRedirType type);
/* Re-read the enable state: close what is no longer allowed */
void vamt_redir_settings_changed(VamtRedir *redir);

/* ---- SOL: the ME's UART (the KT function) ---- */

/* The guest wrote @len bytes to the UART. */
void vamt_redir_sol_from_guest(VamtRedir *redir, const uint8_t *data,
                               size_t len);
/* The UART can take input again after sol_to_guest took less. */
void vamt_redir_sol_guest_ready(VamtRedir *redir);
/* The guest changed the UART's RTS/DTR/BREAK (VAMT_SOL_CONTROL_*). */
void vamt_redir_sol_set_control(VamtRedir *redir, uint8_t control);

#endif
