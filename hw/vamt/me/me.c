/*
 * vAMT ME core: the management engine, the one root of the core
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "conn.h"
#include "digest.h"
#include "me.h"
#include "redir.h"
#include "wsman.h"

/* Extended data of audit event 1605: the failed access was to the ME */
#define AUDIT_INVALID_ME_ACCESS     0

/* One RMCP answer costs this many tokens; the bucket holds a second's */
#define RMCP_TOKEN                  1000
#define RMCP_BUCKET                 (VAMT_ME_RMCP_PER_SECOND * RMCP_TOKEN)

struct VamtMe {
    const VamtFirmware *fw;
    const VamtPlatformOps *ops;
    void *opaque;
    VamtAmt *amt;
    MeiBus *mei;
    VamtWsman *wsman;
    VamtDigest *digest;
    VamtHttpServer *http;
    VamtRedir *redir;
    VamtAlertSender *alerts;
    int64_t alert_timer_ms;         /* asked of ops->me_timer_mod; -1 none */
    VamtService wsman_service;      /* 16992 */
    VamtService wsman_tls_service;  /* 16993: the same, inside TLS */
    VamtService redir_service;      /* 16994 */
    VamtService redir_tls_service;  /* 16995: the same, inside TLS */
    VamtService vnc_service;        /* 5900 */
    int64_t rmcp_tokens;            /* presence answers left, x RMCP_TOKEN */
    int64_t rmcp_refilled_ms;
};

static void me_random(void *opaque, uint8_t *buf, size_t len)
{
    VamtMe *me = opaque;

    me->ops->random(me->opaque, buf, len);
}

static int64_t me_clock_ms(void *opaque)
{
    VamtMe *me = opaque;

    return me->ops->me_clock_ms(me->opaque);
}

static int64_t me_wall_clock_s(void *opaque)
{
    VamtMe *me = opaque;

    return vamt_amt_now(me->amt);
}

static bool me_get_ha1(void *opaque, const char *user, const char *peer,
                       char ha1_hex[VAMT_DIGEST_HEX_LEN + 1])
{
    VamtMe *me = opaque;

    return vamt_amt_user_ha1(me->amt, user, vamt_peer_is_local(peer),
                             ha1_hex);
}

/*
 * A single wrong password is not audited, so typos do not flood the
 * log; the lock-out that repeated ones cause is.
 */
static void me_web_event(VamtMe *me, const VamtWebEvent *ev)
{
    if (me->ops->web_event) {
        me->ops->web_event(me->opaque, ev);
    }
}

static void me_locked_out(void *opaque, const char *user)
{
    VamtMe *me = opaque;
    static const uint8_t invalid_me_access[] = { AUDIT_INVALID_ME_ACCESS };

    me_web_event(me, &(VamtWebEvent) {
        .kind = VAMT_WEB_LOCKOUT, .user = user,
    });
    vamt_audit_event_ex(me->amt, VAMT_AUDIT_ACL_INVALID_CREDENTIALS, user,
                        invalid_me_access, sizeof(invalid_me_access));
}

static const VamtDigestOps me_digest_ops = {
    .random_bytes = me_random,
    .clock_ms = me_clock_ms,
    .get_ha1 = me_get_ha1,
    .locked_out = me_locked_out,
};

static bool me_anonymous_allowed(void *opaque, const VamtHttpRequest *req)
{
    VamtMe *me = opaque;
    bool allowed = vamt_wsman_http_anonymous_allowed(req);

    /* no credentials at all is how every console starts: not a failure */
    if (!allowed && req->auth != VAMT_DIGEST_MISSING) {
        me_web_event(me, &(VamtWebEvent) {
            .kind = VAMT_WEB_AUTH_FAILED, .method = req->method,
            .path = req->path, .auth = req->auth,
        });
    }
    return allowed;
}

static void me_alert_rearm(VamtMe *me);

static void me_handle(void *opaque, const VamtHttpRequest *req,
                      VamtHttpResponse *rsp)
{
    VamtMe *me = opaque;

    me_web_event(me, &(VamtWebEvent) {
        .kind = VAMT_WEB_REQUEST, .method = req->method, .path = req->path,
        .user = req->user,
    });
    vamt_wsman_http_handle(me->wsman, req, rsp);
    me_web_event(me, &(VamtWebEvent) {
        .kind = VAMT_WEB_RESPONSE, .status = rsp->status,
    });
    /* CIM providers change settings in place */
    vamt_amt_check_changed(me->amt);
    /* an agent may have registered or heart-beaten */
    mei_bus_rearm_timer(me->mei);
    /* a console may have switched redirection off */
    vamt_redir_settings_changed(me->redir);
    /* or started an opt-in, whose code lapses */
    me_alert_rearm(me);
}

static const VamtHttpServerOps me_http_ops = {
    .clock_ms = me_clock_ms,
    .wall_clock_s = me_wall_clock_s,
    .anonymous_allowed = me_anonymous_allowed,
    .handle = me_handle,
};

/* Unprovisioned: the sessions the old accounts opened end (SOL, IDE-R) */
static void me_unprovisioned(void *opaque)
{
    VamtMe *me = opaque;

    vamt_redir_settings_changed(me->redir);
}

/* The alert sender's next deadline, on the platform's ME-clock timer */
static void me_alert_rearm(VamtMe *me)
{
    int64_t deadline = vamt_alert_sender_deadline(me->alerts);
    int64_t consent = vamt_amt_opt_in_deadline(me->amt);

    /* the same timer lapses a displayed consent code */
    if (consent >= 0 && (deadline < 0 || consent < deadline)) {
        deadline = consent;
    }

    if (me->ops->me_timer_mod && deadline != me->alert_timer_ms) {
        me->alert_timer_ms = deadline;
        me->ops->me_timer_mod(me->opaque, deadline);
    }
}

static void me_alert(void *opaque, const VamtAlertMessage *msg)
{
    VamtMe *me = opaque;
    unsigned subscribers = vamt_alert_sender_raise(me->alerts, msg);

    if (me->ops->alert) {
        me->ops->alert(me->opaque, msg->message_id, msg->argument,
                       msg->perceived_severity, subscribers);
    }
    me_alert_rearm(me);
}

void vamt_me_outbound_connected(VamtMe *me, uint64_t id)
{
    vamt_alert_sender_connected(me->alerts, id);
    me_alert_rearm(me);
}

void vamt_me_outbound_input(VamtMe *me, uint64_t id, const uint8_t *data,
                            size_t len)
{
    vamt_alert_sender_input(me->alerts, id, data, len);
    me_alert_rearm(me);
}

void vamt_me_outbound_closed(VamtMe *me, uint64_t id)
{
    vamt_alert_sender_closed(me->alerts, id);
    me_alert_rearm(me);
}

void vamt_me_timer_expired(VamtMe *me)
{
    me->alert_timer_ms = -1;
    vamt_alert_sender_tick(me->alerts);
    vamt_amt_opt_in_tick(me->amt);
    me_alert_rearm(me);
}

void vamt_me_alert_stats(VamtMe *me, VamtAlertStats *stats)
{
    vamt_alert_sender_stats(me->alerts, stats);
}

static const VamtService *me_service(VamtMe *me, uint16_t port, bool remote);

/*
 * LME's channels reach the same services as every other transport, but
 * for the TLS ports (the ME has no TLS of its own on LME yet), and the
 * remote TLS settings do not close the local plain ports
 */
static const VamtService *me_service_for_lme(void *opaque, uint16_t port)
{
    return me_service(opaque, port, false);
}

VamtMe *vamt_me_new(const VamtFirmware *fw, const VamtPlatformOps *ops,
                    void *opaque)
{
    VamtMe *me = g_new0(VamtMe, 1);

    me->fw = fw;
    me->ops = ops;
    me->opaque = opaque;
    me->amt = vamt_amt_new(fw, ops, opaque);
    me->mei = mei_bus_new(ops, opaque, me->amt);
    me->wsman = vamt_wsman_new(me->amt);
    /* one realm for Digest and AMT_GeneralSettings.DigestRealm */
    me->digest = vamt_digest_new(&me_digest_ops, me,
                                 vamt_amt_realm(me->amt));
    me->http = vamt_http_server_new(&me_http_ops, me, me->digest);
    vamt_http_server_set_version(me->http, &fw->version);
    me->redir = vamt_redir_new(me->amt, me->digest, ops, opaque);
    me->redir_service = (VamtService) {
        .cls = &vamt_redir_service_class,
        .impl = me->redir,
        .port = VAMT_PORT_REDIRECTION,
    };
    me->redir_tls_service = me->redir_service;
    me->redir_tls_service.port = VAMT_PORT_REDIRECTION_TLS;
    me->vnc_service = (VamtService) {
        .cls = &vamt_redir_vnc_service_class,
        .impl = me->redir,
        .port = VAMT_PORT_VNC,
    };
    me->wsman_service = (VamtService) {
        .cls = &vamt_http_service_class,
        .impl = me->http,
        .port = VAMT_PORT_WSMAN,
    };
    me->wsman_tls_service = me->wsman_service;
    me->wsman_tls_service.port = VAMT_PORT_WSMAN_TLS;
    mei_bus_set_service_map(me->mei, me_service_for_lme, me);
    vamt_amt_set_unprovision_hook(me->amt, me_unprovisioned, me);
    me->alerts = vamt_alert_sender_new(me->amt);
    me->alert_timer_ms = -1;
    vamt_amt_set_alert_hook(me->amt, me_alert, me);
    me->rmcp_tokens = RMCP_BUCKET;
    me->rmcp_refilled_ms = me_clock_ms(me);
    return me;
}

void vamt_me_free(VamtMe *me)
{
    if (!me) {
        return;
    }
    mei_bus_free(me->mei);
    vamt_alert_sender_free(me->alerts);
    vamt_redir_free(me->redir);
    vamt_http_server_free(me->http);
    vamt_digest_free(me->digest);
    vamt_wsman_free(me->wsman);
    vamt_amt_free(me->amt);
    g_free(me);
}

void vamt_me_set_admin_password(VamtMe *me, const char *password)
{
    VamtAmtState *s = vamt_amt_state(me->amt);

    /*
     * The owner's way in is "admin" with this password: a console may
     * have renamed the admin account, so the name comes back too, unless
     * another account has taken it since (then the password still goes
     * to the admin account, under the name it has).
     */
    if (strcmp(s->admin_name, "admin") &&
        !vamt_amt_name_in_use(me->amt, "admin")) {
        g_strlcpy(s->admin_name, "admin", sizeof(s->admin_name));
    }
    vamt_amt_set_admin_password(me->amt, password);
    if (vamt_amt_provisioning_state(me->amt) != VAMT_PROVISIONING_POST) {
        vamt_amt_set_provisioning(me->amt, VAMT_PROVISIONING_POST,
                                  VAMT_CONTROL_MODE_ACM);
    }
    vamt_digest_forget_nonces(me->digest);
}

VamtAmt *vamt_me_amt(VamtMe *me)
{
    return me->amt;
}

MeiBus *vamt_me_mei(VamtMe *me)
{
    return me->mei;
}

bool vamt_port_is_tls(uint16_t port)
{
    return port == VAMT_PORT_WSMAN_TLS || port == VAMT_PORT_REDIRECTION_TLS;
}

/*
 * The port -> service map; redirection, TLS and RFB plug in here.  For a
 * @remote transport the remote TLS settings (A2) decide the TLS and the
 * plain ports; a local one (LME) has its plain ports and no TLS.
 */
static const VamtService *me_service(VamtMe *me, uint16_t port, bool remote)
{
    bool tls = remote && vamt_amt_remote_tls_on(me->amt);
    bool plain = !remote || vamt_amt_remote_plain_open(me->amt);

    switch (port) {
    case VAMT_PORT_WSMAN:
        return plain ? &me->wsman_service : NULL;
    case VAMT_PORT_WSMAN_TLS:
        return tls ? &me->wsman_tls_service : NULL;
    case VAMT_PORT_REDIRECTION:
        return plain && vamt_me_redirection_listening(me) ?
               &me->redir_service : NULL;
    case VAMT_PORT_REDIRECTION_TLS:
        return tls && vamt_me_redirection_listening(me) ?
               &me->redir_tls_service : NULL;
    case VAMT_PORT_VNC:
        /* only RFB's password guards 5900: KVM, the port and one set */
        return vamt_amt_provisioning_state(me->amt) ==
               VAMT_PROVISIONING_POST &&
               vamt_redir_vnc_enabled(me->redir) ? &me->vnc_service : NULL;
    default:
        return NULL;
    }
}

const VamtService *vamt_me_service(VamtMe *me, uint16_t port)
{
    return me_service(me, port, true);
}

bool vamt_me_redirection_listening(VamtMe *me)
{
    const VamtAmtState *s = vamt_amt_state(me->amt);

    /* AMT listens on 16994 once provisioned, if a console allows it */
    return vamt_amt_firmware(me->amt)->redirection &&
           vamt_amt_provisioning_state(me->amt) == VAMT_PROVISIONING_POST &&
           s->redirection_listener;
}

VamtRedir *vamt_me_redir(VamtMe *me)
{
    return me->redir;
}

void vamt_me_sol_from_guest(VamtMe *me, const uint8_t *data, size_t len)
{
    vamt_redir_sol_from_guest(me->redir, data, len);
}

void vamt_me_sol_guest_ready(VamtMe *me)
{
    vamt_redir_sol_guest_ready(me->redir);
}

void vamt_me_sol_set_control(VamtMe *me, uint8_t control)
{
    vamt_redir_sol_set_control(me->redir, control);
}

/* A token bucket: a scan's burst is answered, a flood is not */
static bool me_rmcp_take_token(VamtMe *me)
{
    int64_t now = me_clock_ms(me);
    int64_t elapsed = now - me->rmcp_refilled_ms;

    if (elapsed > 0) {
        /* capped first, so a long silence cannot overflow the product */
        elapsed = MIN(elapsed, 1000);
        me->rmcp_tokens = MIN(me->rmcp_tokens +
                              elapsed * VAMT_ME_RMCP_PER_SECOND,
                              RMCP_BUCKET);
    }
    me->rmcp_refilled_ms = now;
    if (me->rmcp_tokens < RMCP_TOKEN) {
        return false;
    }
    me->rmcp_tokens -= RMCP_TOKEN;
    return true;
}

VamtRmcpVerdict vamt_me_rmcp_answer(VamtMe *me, const uint8_t *in,
                                    size_t len, uint16_t http_port,
                                    uint16_t tls_port, VamtRmcpReply *reply)
{
    VamtRmcpInfo info = {
        .amt_major = me->fw->version.major,
        .amt_minor = me->fw->version.minor,
        .provisioning_state = vamt_amt_provisioning_state(me->amt),
        /* only what the port map serves (no TLS listener yet) */
        .http_port = vamt_me_service(me, VAMT_PORT_WSMAN) ? http_port : 0,
        .tls_port = vamt_me_service(me, VAMT_PORT_WSMAN_TLS) ? tls_port : 0,
    };

    memset(reply, 0, sizeof(*reply));
    if (!vamt_rmcp_answer(in, len, &info, reply->pong,
                          sizeof(reply->pong))) {
        return VAMT_RMCP_DROPPED;
    }
    if (!me_rmcp_take_token(me)) {
        return VAMT_RMCP_LIMITED;
    }
    reply->pong_len = VAMT_RMCP_PONG_LEN;
    reply->ack_len = vamt_rmcp_ack(in, len, reply->ack, sizeof(reply->ack));
    return VAMT_RMCP_ANSWERED;
}

void vamt_me_guest_timer_expired(VamtMe *me)
{
    mei_bus_timer_expired(me->mei);
}

VamtHttpServer *vamt_me_http(VamtMe *me)
{
    return me->http;
}

VamtWsman *vamt_me_wsman(VamtMe *me)
{
    return me->wsman;
}

bool vamt_me_load(VamtMe *me, const uint8_t *data, size_t len)
{
    if (!vamt_amt_load(me->amt, data, len)) {
        return false;
    }
    mei_bus_rearm_timer(me->mei);
    /* the saved realm is the one the stored password hashes belong to */
    vamt_digest_set_realm(me->digest, vamt_amt_realm(me->amt));
    vamt_digest_forget_nonces(me->digest);
    return true;
}
