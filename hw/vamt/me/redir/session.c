/*
 * vAMT ME core: redirection sessions - start, authentication, pacing
 *
 * A connection starts with StartRedirectionSession (0x10) naming the
 * session type, authenticates with AuthenticateSession (0x13), and is
 * then handed to its type (sol.c, ider.c).  Replies go out one message per
 * write, and after the replies amtterm reads with a single read (it
 * drops whatever was read behind them) nothing else follows until the
 * console has spoken again or VAMT_REDIR_ISOLATION_MS have passed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdarg.h>
#include <string.h>

#include "acl.h"
#include "byte-order.h"
#include "cim-values.h"
#include "redir-int.h"

/* AuthenticateSession auth types */
enum {
    AUTH_QUERY = 0,
    AUTH_PLAIN = 1,
    AUTH_KERBEROS = 2,
    AUTH_DIGEST_NO_QOP = 3,
    AUTH_DIGEST = 4,
};

/* AuthenticateSessionReply status */
enum {
    AUTH_STATUS_SUCCESS = 0,
    AUTH_STATUS_FAILURE = 1,
    AUTH_STATUS_NOT_SUPPORTED = 2,
};

#define REDIR_AUTH_HEADER       9
/* Seven or eight elements of at most 255 bytes each */
#define REDIR_AUTH_DATA_MAX     (8 * 256)
/* Lengths amtterm reads into fixed buffers */
#define REDIR_NONCE_LEN         32
/* 343: Intel's IANA enterprise number */
#define REDIR_OEM_IANA          343
#define REDIR_URI               "/RedirectionService"

/* Redirection Manager audit events (AuditAppID 18) */
enum {
    AUDIT_IDER_SESSION_OPENED = 1800,
    AUDIT_IDER_SESSION_CLOSED = 1801,
    AUDIT_SOL_SESSION_OPENED = 1804,
    AUDIT_SOL_SESSION_CLOSED = 1805,
    AUDIT_KVM_SESSION_OPENED = 1808,
    AUDIT_KVM_SESSION_CLOSED = 1809,
};

static const RedirSessionType redir_types[VAMT_REDIR_TYPES] = {
    [VAMT_REDIR_SOL] = {
        .amt_session = VAMT_AMT_SESSION_SOL,
        .audit_opened = AUDIT_SOL_SESSION_OPENED,
        .audit_closed = AUDIT_SOL_SESSION_CLOSED,
        .message_len = redir_sol_message_len,
        .message = redir_sol_message,
        .deadline = redir_sol_deadline,
        .tick = redir_sol_tick,
        .opened = redir_sol_opened,
        .closed = redir_sol_closed,
        .free = redir_sol_free,
    },
    [VAMT_REDIR_IDER] = {
        .amt_session = VAMT_AMT_SESSION_IDER,
        .audit_opened = AUDIT_IDER_SESSION_OPENED,
        .audit_closed = AUDIT_IDER_SESSION_CLOSED,
        .message_len = redir_ider_message_len,
        .message = redir_ider_message,
        .deadline = redir_ider_deadline,
        .tick = redir_ider_tick,
        .opened = redir_ider_opened,
        .closed = redir_ider_closed,
        .free = redir_ider_free,
    },
    [VAMT_REDIR_KVM] = {
        .amt_session = VAMT_AMT_SESSION_KVM,
        .audit_opened = AUDIT_KVM_SESSION_OPENED,
        .audit_closed = AUDIT_KVM_SESSION_CLOSED,
        .message_len = redir_kvm_message_len,
        .message = redir_kvm_message,
        .deadline = redir_kvm_deadline,
        .tick = redir_kvm_tick,
        .opened = redir_kvm_opened,
        .closed = redir_kvm_closed,
        .free = redir_kvm_free,
        .streaming = redir_kvm_streaming,
        .stream_input = redir_kvm_stream_input,
    },
};

static const struct {
    char tag[5];
    VamtRedirType type;
    uint32_t fw_bit;
} redir_tags[] = {
    { "SOL ", VAMT_REDIR_SOL, VAMT_FW_REDIR_SOL },
    { "IDER", VAMT_REDIR_IDER, VAMT_FW_REDIR_IDER },
    { "KVMR", VAMT_REDIR_KVM, VAMT_FW_REDIR_KVM },
};

int64_t redir_now(VamtRedir *redir)
{
    return redir->ops->me_clock_ms(redir->opaque);
}

void redir_trace(VamtRedir *redir, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    if (!redir->ops->trace) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    redir->ops->trace(redir->opaque, msg);
}

/* ---- the service ---- */

VamtRedir *vamt_redir_new(VamtAmt *amt, VamtDigest *digest,
                          const VamtPlatformOps *ops, void *opaque)
{
    VamtRedir *redir = g_new0(VamtRedir, 1);

    redir->amt = amt;
    redir->digest = digest;
    redir->ops = ops;
    redir->opaque = opaque;
    redir->plain_auth = true;
    redir->screen = vamt_screen_new();
    return redir;
}

void vamt_redir_free(VamtRedir *redir)
{
    if (!redir) {
        return;
    }
    /* the transports free their connections first */
    g_assert(!redir->conns);
    vamt_screen_free(redir->screen);
    g_free(redir);
}

void vamt_redir_set_plain_auth(VamtRedir *redir, bool allowed)
{
    redir->plain_auth = allowed;
}

static uint32_t redir_fw_bit(VamtRedirType type)
{
    for (size_t i = 0; i < G_N_ELEMENTS(redir_tags); i++) {
        if (redir_tags[i].type == type) {
            return redir_tags[i].fw_bit;
        }
    }
    return 0;
}

bool vamt_redir_type_enabled(VamtRedir *redir, VamtRedirType type)
{
    const VamtAmtState *s = vamt_amt_state(redir->amt);
    uint32_t have = vamt_amt_firmware(redir->amt)->redirection;

    if (!(have & redir_fw_bit(type))) {
        return false;
    }
    switch (type) {
    case VAMT_REDIR_SOL:
        return s->redirection_state & AMT_REDIRECTION_SOL_BIT;
    case VAMT_REDIR_IDER:
        return s->redirection_state & AMT_REDIRECTION_IDER_BIT;
    case VAMT_REDIR_KVM:
        return s->kvm_requested == CIM_REQUESTED_STATE_ENABLED;
    default:
        return false;
    }
}

bool vamt_redir_vnc_enabled(VamtRedir *redir)
{
    const VamtAmtState *s = vamt_amt_state(redir->amt);

    return vamt_redir_type_enabled(redir, VAMT_REDIR_KVM) &&
           s->kvm_port_5900 && s->rfb_password[0];
}

bool vamt_redir_active(VamtRedir *redir, VamtRedirType type)
{
    return type < VAMT_REDIR_TYPES && redir->active[type];
}

void vamt_redir_terminate(VamtRedir *redir, VamtRedirType type)
{
    for (GList *e = redir->conns; e; e = e->next) {
        RedirConn *c = e->data;

        if (type == VAMT_REDIR_TYPES ||
            (c->state != REDIR_ST_START && c->type == type)) {
            redir_close(c);
        }
    }
}

void vamt_redir_settings_changed(VamtRedir *redir)
{
    const VamtAmtState *s = vamt_amt_state(redir->amt);

    if (!s->redirection_listener ||
        vamt_amt_provisioning_state(redir->amt) != VAMT_PROVISIONING_POST) {
        vamt_redir_terminate(redir, VAMT_REDIR_TYPES);
        return;
    }
    for (VamtRedirType t = 0; t < VAMT_REDIR_TYPES; t++) {
        if (!vamt_redir_type_enabled(redir, t)) {
            vamt_redir_terminate(redir, t);
        }
    }
    /* 5900's viewers go with the port, the session with its password */
    for (GList *e = redir->conns; e; e = e->next) {
        RedirConn *c = e->data;

        if (c->vnc && (!vamt_redir_vnc_enabled(redir) ||
                       (c->state == REDIR_ST_SESSION &&
                        strcmp(redir->vnc_password, s->rfb_password)))) {
            redir_close(c);
        }
    }
}

/* ---- output ---- */

size_t redir_header(uint8_t *buf, uint8_t type, bool with_seq, uint32_t seq)
{
    memset(buf, 0, 4);
    buf[0] = type;
    if (!with_seq) {
        return 4;
    }
    vamt_put_le32(buf + 4, seq);
    return 8;
}

bool redir_output_idle(const RedirConn *c)
{
    return !c->holding && g_queue_is_empty((GQueue *)&c->out);
}

static void redir_write_now(RedirConn *c, const uint8_t *msg, size_t len,
                            bool isolated)
{
    c->ops->write(c->opaque, msg, len);
    if (isolated) {
        c->holding = true;
        c->hold_until_ms = redir_now(c->redir) + VAMT_REDIR_ISOLATION_MS;
    }
}

/* Queued messages carry their isolation flag in a trailing byte. */
static void redir_drain(RedirConn *c)
{
    GByteArray *m;

    while (!c->holding && c->state != REDIR_ST_CLOSED &&
           (m = g_queue_pop_head(&c->out))) {
        bool isolated = m->data[m->len - 1];

        redir_write_now(c, m->data, m->len - 1, isolated);
        g_byte_array_free(m, TRUE);
    }
}

void redir_send(RedirConn *c, const uint8_t *msg, size_t len, bool isolated)
{
    GByteArray *m;
    uint8_t flag = isolated;

    if (c->state == REDIR_ST_CLOSED) {
        return;
    }
    if (redir_output_idle(c)) {
        redir_write_now(c, msg, len, isolated);
        return;
    }
    m = g_byte_array_sized_new(len + 1);
    g_byte_array_append(m, msg, len);
    g_byte_array_append(m, &flag, 1);
    g_queue_push_tail(&c->out, m);
}

static void redir_release_hold(RedirConn *c)
{
    c->holding = false;
    redir_drain(c);
}

/* The session ends: its type is free again, the audit log says so. */
static void redir_end_session(RedirConn *c)
{
    VamtRedir *redir = c->redir;

    if (c->type >= VAMT_REDIR_TYPES || redir->active[c->type] != c) {
        return;
    }
    redir->active[c->type] = NULL;
    vamt_amt_set_session_open(redir->amt, redir_types[c->type].amt_session,
                              false);
    redir_types[c->type].closed(c);
    vamt_audit_event(redir->amt, redir_types[c->type].audit_closed, c->user);
    redir_trace(redir, "redirection: session of %s from %s ended", c->user,
                c->peer);
}

void redir_close(RedirConn *c)
{
    if (c->state == REDIR_ST_CLOSED) {
        return;
    }
    c->state = REDIR_ST_CLOSED;
    redir_end_session(c);
    c->ops->close(c->opaque);
    /* when closed from elsewhere (WS-Man), the transport must look */
    if (c->ops->wake) {
        c->ops->wake(c->opaque);
    }
}

/* Refuse: the reply says why, the connection closes a little later. */
void redir_close_later(RedirConn *c, int64_t delay_ms)
{
    c->state = REDIR_ST_FAILED;
    c->close_at_ms = redir_now(c->redir) + delay_ms;
}

/* ---- connections ---- */

static unsigned redir_unauthenticated(VamtRedir *redir)
{
    unsigned n = 0;

    for (GList *e = redir->conns; e; e = e->next) {
        RedirConn *c = e->data;

        n += c->state != REDIR_ST_CLOSED && !c->user;
    }
    return n;
}

static void *redir_open(void *service, const VamtStreamOps *ops,
                        void *opaque, const char *peer)
{
    VamtRedir *redir = service;
    RedirConn *c = g_new0(RedirConn, 1);

    /* the oldest connection still setting up makes room for this one */
    if (redir_unauthenticated(redir) >= VAMT_REDIR_MAX_UNAUTHENTICATED) {
        for (GList *e = g_list_last(redir->conns); e; e = e->prev) {
            RedirConn *old = e->data;

            if (old->state != REDIR_ST_CLOSED && !old->user) {
                redir_trace(redir, "redirection: shedding a connection "
                            "from %s that did not authenticate", old->peer);
                redir_close(old);
                break;
            }
        }
    }
    c->redir = redir;
    c->ops = ops;
    c->opaque = opaque;
    c->peer = g_strdup(peer ? peer : "");
    c->in = g_byte_array_new();
    c->opened_ms = c->last_rx_ms = redir_now(redir);
    c->type = VAMT_REDIR_TYPES;
    g_queue_init(&c->out);
    redir->conns = g_list_prepend(redir->conns, c);
    return c;
}

static void redir_free_msg(gpointer m)
{
    g_byte_array_free(m, TRUE);
}

static void redir_conn_free(void *conn)
{
    RedirConn *c = conn;

    /* the transport is gone: no close callback */
    c->state = REDIR_ST_CLOSED;
    redir_end_session(c);
    c->redir->conns = g_list_remove(c->redir->conns, c);
    for (VamtRedirType t = 0; t < VAMT_REDIR_TYPES; t++) {
        redir_types[t].free(c);
    }
    g_queue_clear_full(&c->out, redir_free_msg);
    g_byte_array_free(c->in, TRUE);
    g_free(c->user);
    g_free(c->peer);
    g_free(c);
}

/* ---- session start ---- */

static void redir_start_reply(RedirConn *c, uint8_t status)
{
    const VamtFwVersion *v = &vamt_amt_firmware(c->redir->amt)->version;
    uint8_t reply[13] = { REDIR_START_REPLY, status };

    reply[4] = 1;                   /* protocol 1.0 */
    reply[5] = 0;
    reply[6] = v->major;
    reply[7] = v->minor;
    vamt_put_le32(reply + 8, REDIR_OEM_IANA);
    reply[12] = 0;                  /* no OEM data: amtterm reads 13 */
    redir_send(c, reply, sizeof(reply), true);
}

static void redir_on_start(RedirConn *c, const uint8_t *msg)
{
    VamtRedir *redir = c->redir;
    const VamtAmtState *s = vamt_amt_state(redir->amt);
    uint8_t status = REDIR_STATUS_TYPE_UNKNOWN;

    for (size_t i = 0; i < G_N_ELEMENTS(redir_tags); i++) {
        if (!memcmp(msg + 4, redir_tags[i].tag, 4)) {
            c->type = redir_tags[i].type;
            status = REDIR_STATUS_SUCCESS;
            break;
        }
    }
    if (status == REDIR_STATUS_SUCCESS &&
        (!s->redirection_listener ||
         !vamt_redir_type_enabled(redir, c->type))) {
        status = REDIR_STATUS_UNSUPPORTED;
    } else if (status == REDIR_STATUS_SUCCESS && redir->active[c->type]) {
        status = REDIR_STATUS_BUSY;
    }
    redir_trace(redir, "redirection: start %.4s from %s: status %u",
                (const char *)msg + 4, c->peer, status);
    redir_start_reply(c, status);
    if (status != REDIR_STATUS_SUCCESS) {
        redir_close_later(c, VAMT_REDIR_ISOLATION_MS);
        return;
    }
    c->state = REDIR_ST_AUTH;
}

/* ---- authentication ---- */

/* The auth data's elements: length byte, bytes */
typedef struct AuthElements {
    char *item[8];
    unsigned count;
} AuthElements;

static bool auth_elements_parse(const uint8_t *data, size_t len,
                                AuthElements *el)
{
    size_t off = 0;

    memset(el, 0, sizeof(*el));
    while (off < len) {
        size_t n = data[off++];

        if (el->count == G_N_ELEMENTS(el->item) || n > len - off ||
            memchr(data + off, 0, n)) {
            return false;
        }
        el->item[el->count++] = g_strndup((const char *)data + off, n);
        off += n;
    }
    return true;
}

static void auth_elements_clear(AuthElements *el)
{
    for (unsigned i = 0; i < el->count; i++) {
        g_free(el->item[i]);
    }
    el->count = 0;
}

static void redir_auth_reply(RedirConn *c, uint8_t status, uint8_t type,
                             const uint8_t *data, size_t len)
{
    g_autofree uint8_t *reply = g_malloc(REDIR_AUTH_HEADER + len);

    memset(reply, 0, REDIR_AUTH_HEADER);
    reply[0] = REDIR_AUTH_REPLY;
    reply[1] = status;
    reply[4] = type;
    vamt_put_le32(reply + 5, len);
    if (len) {
        memcpy(reply + REDIR_AUTH_HEADER, data, len);
    }
    redir_send(c, reply, REDIR_AUTH_HEADER + len, true);
}

static void redir_auth_failed(RedirConn *c, uint8_t type, const char *user,
                              const char *why)
{
    redir_trace(c->redir, "redirection: authentication of '%s' from %s "
                "failed: %s", user ? user : "", c->peer, why);
    redir_auth_reply(c, AUTH_STATUS_FAILURE, type, NULL, 0);
    /* slow a guesser down; the lock-out of Digest does the rest */
    redir_close_later(c, VAMT_REDIR_FAIL_DELAY_MS);
}

static void redir_authenticated(RedirConn *c, uint8_t type, const char *user)
{
    VamtRedir *redir = c->redir;

    if (!vamt_acl_user_permitted(redir->amt, user,
                                 1u << VAMT_REALM_REDIRECTION)) {
        redir_auth_failed(c, type, user, "no redirection realm");
        return;
    }
    /* another console may have won the race since 0x10 */
    if (redir->active[c->type] ||
        !vamt_redir_type_enabled(redir, c->type)) {
        redir_auth_failed(c, type, user, "session type busy or disabled");
        return;
    }
    redir_trace(redir, "redirection: %s authenticated from %s", user,
                c->peer);
    redir_auth_reply(c, AUTH_STATUS_SUCCESS, type, NULL, 0);
    redir_begin_session(c, user);
}

void redir_begin_session(RedirConn *c, const char *user)
{
    VamtRedir *redir = c->redir;

    c->user = g_strdup(user);
    c->state = REDIR_ST_SESSION;
    redir->active[c->type] = c;
    vamt_amt_set_session_open(redir->amt, redir_types[c->type].amt_session,
                              true);
    vamt_audit_event(redir->amt, redir_types[c->type].audit_opened, user);
    redir_types[c->type].opened(c);
}

static void redir_auth_query(RedirConn *c)
{
    uint8_t methods[3];
    size_t n = 0;

    if (c->redir->plain_auth) {
        methods[n++] = AUTH_PLAIN;
    }
    methods[n++] = AUTH_DIGEST_NO_QOP;
    methods[n++] = AUTH_DIGEST;
    redir_auth_reply(c, AUTH_STATUS_SUCCESS, AUTH_QUERY, methods, n);
}

typedef struct PlainProof {
    const char *user;
    const char *realm;
    const char *password;
} PlainProof;

static bool plain_matches(const char *ha1, void *opaque)
{
    const PlainProof *p = opaque;
    char mine[VAMT_DIGEST_HEX_LEN + 1];

    vamt_digest_ha1(p->user, p->realm, p->password, mine);
    return vamt_digest_hex_equal(ha1, mine);
}

static void redir_auth_plain(RedirConn *c, const uint8_t *data, size_t len)
{
    AuthElements el;
    PlainProof proof;
    VamtDigestResult res;

    if (!c->redir->plain_auth) {
        redir_auth_failed(c, AUTH_PLAIN, NULL, "plain authentication off");
        return;
    }
    if (!auth_elements_parse(data, len, &el) || el.count != 2) {
        auth_elements_clear(&el);
        redir_auth_failed(c, AUTH_PLAIN, NULL, "malformed");
        return;
    }
    proof = (PlainProof) {
        .user = el.item[0], .password = el.item[1],
        .realm = vamt_digest_realm(c->redir->digest),
    };
    res = vamt_digest_verify_from(c->redir->digest, c->peer, el.item[0],
                                  plain_matches, &proof);
    if (res == VAMT_DIGEST_OK) {
        redir_authenticated(c, AUTH_PLAIN, el.item[0]);
    } else {
        redir_auth_failed(c, AUTH_PLAIN, el.item[0],
                          res == VAMT_DIGEST_LOCKED ? "locked out"
                                                    : "wrong password");
    }
    auth_elements_clear(&el);
}

/* The challenge: realm, nonce and, for type 4, qop */
static void redir_digest_challenge(RedirConn *c, uint8_t type)
{
    const char *realm = vamt_digest_realm(c->redir->digest);
    uint8_t raw[REDIR_NONCE_LEN / 2];
    GByteArray *data = g_byte_array_new();
    uint8_t n;

    c->redir->ops->random(c->redir->opaque, raw, sizeof(raw));
    for (size_t i = 0; i < sizeof(raw); i++) {
        g_snprintf(c->nonce + 2 * i, 3, "%02x", raw[i]);
    }
    c->digest_type = type;
    n = strlen(realm);
    g_byte_array_append(data, &n, 1);
    g_byte_array_append(data, (const uint8_t *)realm, n);
    n = strlen(c->nonce);
    g_byte_array_append(data, &n, 1);
    g_byte_array_append(data, (const uint8_t *)c->nonce, n);
    if (type == AUTH_DIGEST) {
        n = 4;
        g_byte_array_append(data, &n, 1);
        g_byte_array_append(data, (const uint8_t *)"auth", 4);
    }
    /* a challenge is a FAILURE reply carrying realm and nonce */
    redir_auth_reply(c, AUTH_STATUS_FAILURE, type, data->data, data->len);
    g_byte_array_free(data, TRUE);
}

typedef struct DigestProof {
    const AuthElements *el;
    bool qop;
} DigestProof;

/* Elements: user, realm, nonce, uri, cnonce, nc, response[, qop] */
static bool digest_matches(const char *ha1, void *opaque)
{
    const DigestProof *p = opaque;
    char *const *item = p->el->item;
    char expected[VAMT_DIGEST_HEX_LEN + 1];

    vamt_digest_response(ha1, "POST", item[3], item[2], item[5], item[4],
                         p->qop ? item[7] : NULL, expected);
    return vamt_digest_hex_equal(expected, item[6]);
}

static void redir_auth_digest(RedirConn *c, uint8_t type,
                              const uint8_t *data, size_t len)
{
    const char *realm = vamt_digest_realm(c->redir->digest);
    unsigned want = type == AUTH_DIGEST ? 8 : 7;
    AuthElements el;
    DigestProof proof = { .el = &el, .qop = type == AUTH_DIGEST };
    VamtDigestResult res;

    if (!auth_elements_parse(data, len, &el) || el.count != want) {
        auth_elements_clear(&el);
        redir_auth_failed(c, type, NULL, "malformed");
        return;
    }
    /* the initial request: no realm, nonce or response yet */
    if (!el.item[1][0] && !el.item[2][0] && !el.item[6][0]) {
        auth_elements_clear(&el);
        redir_digest_challenge(c, type);
        return;
    }
    if (!c->nonce[0] || type != c->digest_type ||
        strcmp(el.item[2], c->nonce) || strcmp(el.item[1], realm) ||
        (type == AUTH_DIGEST && g_ascii_strcasecmp(el.item[7], "auth"))) {
        redir_auth_failed(c, type, el.item[0], "not our challenge");
        auth_elements_clear(&el);
        return;
    }
    /* one answer per challenge */
    c->nonce[0] = 0;
    res = vamt_digest_verify_from(c->redir->digest, c->peer, el.item[0],
                                  digest_matches, &proof);
    if (res == VAMT_DIGEST_OK) {
        redir_authenticated(c, type, el.item[0]);
    } else {
        redir_auth_failed(c, type, el.item[0],
                          res == VAMT_DIGEST_LOCKED ? "locked out"
                                                    : "wrong response");
    }
    auth_elements_clear(&el);
}

static void redir_on_auth(RedirConn *c, const uint8_t *msg, size_t len)
{
    uint8_t type = msg[4];
    const uint8_t *data = msg + REDIR_AUTH_HEADER;
    size_t data_len = len - REDIR_AUTH_HEADER;

    switch (type) {
    case AUTH_QUERY:
        redir_auth_query(c);
        break;
    case AUTH_PLAIN:
        redir_auth_plain(c, data, data_len);
        break;
    case AUTH_DIGEST_NO_QOP:
    case AUTH_DIGEST:
        redir_auth_digest(c, type, data, data_len);
        break;
    case AUTH_KERBEROS:
    default:
        redir_trace(c->redir, "redirection: auth type %u not supported",
                    type);
        redir_auth_reply(c, AUTH_STATUS_NOT_SUPPORTED, type, NULL, 0);
        redir_close_later(c, VAMT_REDIR_ISOLATION_MS);
        break;
    }
}

/* ---- input ---- */

/*
 * The length of the message at @buf, 0 if more bytes are needed, -1 if
 * the console sent something that is not a message in this state.
 */
static long redir_message_len(const RedirConn *c, const uint8_t *buf,
                              size_t avail)
{
    uint32_t auth_len;

    switch (buf[0]) {
    case REDIR_END:
        return 4;
    case REDIR_START:
        return c->state == REDIR_ST_START ? 8 : -1;
    case REDIR_AUTH:
        if (c->state != REDIR_ST_AUTH) {
            return -1;
        }
        if (avail < REDIR_AUTH_HEADER) {
            return 0;
        }
        auth_len = vamt_le32(buf + 5);
        if (auth_len > REDIR_AUTH_DATA_MAX) {
            return -1;
        }
        return REDIR_AUTH_HEADER + auth_len;
    }
    if (c->state != REDIR_ST_SESSION) {
        return -1;
    }
    return redir_types[c->type].message_len(buf, avail);
}

static void redir_message(RedirConn *c, const uint8_t *msg, size_t len)
{
    switch (msg[0]) {
    case REDIR_END:
        redir_trace(c->redir, "redirection: the console from %s ended "
                    "the session", c->peer);
        redir_close(c);
        return;
    case REDIR_START:
        redir_on_start(c, msg);
        return;
    case REDIR_AUTH:
        redir_on_auth(c, msg, len);
        return;
    }
    redir_types[c->type].message(c, msg, len);
}

/*
 * The session type reads its input unframed now (KVM's RFB); a 5900
 * connection does from its first byte
 */
static bool redir_streaming(const RedirConn *c)
{
    return (c->state == REDIR_ST_SESSION || c->vnc) &&
           redir_types[c->type].streaming && redir_types[c->type].streaming(c);
}

static void redir_input(void *conn, const uint8_t *data, size_t len)
{
    RedirConn *c = conn;
    size_t off = 0;

    if (c->state == REDIR_ST_CLOSED || c->state == REDIR_ST_FAILED) {
        return;
    }
    c->last_rx_ms = redir_now(c->redir);
    /*
     * The console sent again, so it has read what we sent alone.  Only a
     * new read counts: messages that came in one segment with the one
     * we answered were sent before the console saw our answer.
     */
    if (c->holding) {
        redir_release_hold(c);
    }
    if (redir_streaming(c)) {
        redir_types[c->type].stream_input(c, data, len);
        return;
    }
    g_byte_array_append(c->in, data, len);
    while (off < c->in->len && c->state != REDIR_ST_CLOSED &&
           c->state != REDIR_ST_FAILED) {
        long need = redir_message_len(c, c->in->data + off,
                                      c->in->len - off);

        if (need < 0) {
            redir_trace(c->redir, "redirection: unexpected message 0x%02x "
                        "from %s: closing", c->in->data[off], c->peer);
            redir_close(c);
            break;
        }
        if (need == 0 || (size_t)need > c->in->len - off) {
            break;
        }
        redir_message(c, c->in->data + off, need);
        off += need;
        /* what came behind the message that started the stream */
        if (redir_streaming(c) && off < c->in->len) {
            redir_types[c->type].stream_input(c, c->in->data + off,
                                              c->in->len - off);
            off = c->in->len;
        }
    }
    g_byte_array_remove_range(c->in, 0, MIN(off, c->in->len));
}

static void redir_eof(void *conn)
{
    redir_close(conn);
}

static int64_t redir_deadline(const void *conn)
{
    const RedirConn *c = conn;
    int64_t d;

    switch (c->state) {
    case REDIR_ST_CLOSED:
        return -1;
    case REDIR_ST_FAILED:
        return c->close_at_ms;
    case REDIR_ST_START:
        d = c->opened_ms + VAMT_REDIR_START_TIMEOUT_MS;
        break;
    case REDIR_ST_AUTH:
        d = c->opened_ms + VAMT_REDIR_AUTH_TIMEOUT_MS;
        break;
    default:
        d = redir_types[c->type].deadline(c);
        break;
    }
    if (c->holding && (d < 0 || c->hold_until_ms < d)) {
        d = c->hold_until_ms;
    }
    return d;
}

static bool redir_tick(void *conn)
{
    RedirConn *c = conn;
    int64_t now = redir_now(c->redir);

    if (c->holding && now >= c->hold_until_ms) {
        redir_release_hold(c);
    }
    switch (c->state) {
    case REDIR_ST_FAILED:
        if (now >= c->close_at_ms) {
            redir_close(c);
        }
        break;
    case REDIR_ST_START:
    case REDIR_ST_AUTH:
        if (now >= c->opened_ms + (c->state == REDIR_ST_START ?
                                   VAMT_REDIR_START_TIMEOUT_MS :
                                   VAMT_REDIR_AUTH_TIMEOUT_MS)) {
            redir_trace(c->redir, "redirection: %s timed out before "
                        "authenticating", c->peer);
            redir_close(c);
        }
        break;
    case REDIR_ST_SESSION:
        redir_types[c->type].tick(c);
        break;
    default:
        break;
    }
    return c->state == REDIR_ST_CLOSED;
}

static bool redir_closed(const void *conn)
{
    return ((const RedirConn *)conn)->state == REDIR_ST_CLOSED;
}

static bool redir_conn_authenticated(const void *conn)
{
    return ((const RedirConn *)conn)->user != NULL;
}

/* Port 5900: a viewer speaks RFB at once, its password is all it has */
static void *redir_vnc_open(void *service, const VamtStreamOps *ops,
                            void *opaque, const char *peer)
{
    RedirConn *c = redir_open(service, ops, opaque, peer);

    c->state = REDIR_ST_AUTH;
    c->type = VAMT_REDIR_KVM;
    c->vnc = true;
    redir_kvm_vnc_open(c);
    return c;
}

const VamtServiceClass vamt_redir_vnc_service_class = {
    .name = "rfb",
    .open = redir_vnc_open,
    .free = redir_conn_free,
    .input = redir_input,
    .eof = redir_eof,
    .deadline = redir_deadline,
    .tick = redir_tick,
    .closed = redir_closed,
    .authenticated = redir_conn_authenticated,
};

const VamtServiceClass vamt_redir_service_class = {
    .name = "redirection",
    .open = redir_open,
    .free = redir_conn_free,
    .input = redir_input,
    .eof = redir_eof,
    .deadline = redir_deadline,
    .tick = redir_tick,
    .closed = redir_closed,
    .authenticated = redir_conn_authenticated,
};
