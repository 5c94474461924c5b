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

#include "alert-sender.h"
#include "amt.h"
#include "conn.h"
#include "http.h"
#include "mei-bus.h"
#include "platform-ops.h"
#include "redir.h"
#include "rmcp.h"
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
 * ME serves nothing there (yet, or in its current configuration).  For a
 * TLS port (vamt_port_is_tls) the service reads and writes the plain
 * bytes inside TLS: only a transport that does the TLS may use it.
 */
const VamtService *vamt_me_service(VamtMe *me, uint16_t port);
/* Is @port one of AMT's TLS ports (16993, 16995)? */
bool vamt_port_is_tls(uint16_t port);

/*
 * Does AMT listen on its redirection port now?  Once provisioned, when
 * AMT_RedirectionService.ListenerEnabled is true and the platform has
 * something to redirect (VamtFirmware.redirection).  The platform opens
 * or closes the port as this changes (after ops->state_changed).
 */
bool vamt_me_redirection_listening(VamtMe *me);
VamtRedir *vamt_me_redir(VamtMe *me);

/* The ME's UART (SOL): see redir.h, vamt_redir_sol_*() */
void vamt_me_sol_from_guest(VamtMe *me, const uint8_t *data, size_t len);
void vamt_me_sol_guest_ready(VamtMe *me);
void vamt_me_sol_set_control(VamtMe *me, uint8_t control);

/*
 * ASF presence (UDP port 623): what the ME sends back for one datagram,
 * from any transport (a host socket, the guest NIC's endpoint).  An
 * RMCP ACK goes first when the ping asks for one, then the pong.
 */
typedef enum VamtRmcpVerdict {
    VAMT_RMCP_DROPPED,          /* not a presence ping: no answer */
    VAMT_RMCP_LIMITED,          /* a ping, but over the rate limit */
    VAMT_RMCP_ANSWERED,
} VamtRmcpVerdict;

typedef struct VamtRmcpReply {
    uint8_t ack[VAMT_RMCP_ACK_LEN];
    size_t ack_len;             /* 0: no ACK */
    uint8_t pong[VAMT_RMCP_PONG_LEN];
    size_t pong_len;
} VamtRmcpReply;

/* Pings answered per second, and in a burst, by one ME */
#define VAMT_ME_RMCP_PER_SECOND     10

/*
 * Answer the datagram @in with the ME's version and provisioning state,
 * at most VAMT_ME_RMCP_PER_SECOND times a second on the ME's clock;
 * @reply is filled when ANSWERED.  @http_port and @tls_port are where
 * the transport's peers reach WS-Management (a listener's own port, or
 * the AMT ports on the guest IP), 0 where they do not; a port the ME
 * serves nothing on is not claimed.
 */
VamtRmcpVerdict vamt_me_rmcp_answer(VamtMe *me, const uint8_t *in,
                                    size_t len, uint16_t http_port,
                                    uint16_t tls_port, VamtRmcpReply *reply);

/* The platform's reports on the ME's outbound connection @id */
void vamt_me_outbound_connected(VamtMe *me, uint64_t id);
void vamt_me_outbound_input(VamtMe *me, uint64_t id, const uint8_t *data,
                            size_t len);
void vamt_me_outbound_closed(VamtMe *me, uint64_t id);
/* The timer asked for through ops->me_timer_mod fired. */
void vamt_me_timer_expired(VamtMe *me);
/* What happened to the alerts raised so far */
void vamt_me_alert_stats(VamtMe *me, VamtAlertStats *stats);

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
