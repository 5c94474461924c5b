/*
 * vAMT ME core: KVM sessions on the redirection port (KVMR)
 *
 * After AMT's own login the console sends 0x40 and the ME answers 0x41;
 * from then on the connection is plain RFB both ways, served by the
 * ME's RFB server (rfb.c) with security type None, on the screen the
 * platform draws into (screen.c).  Port 5900 serves the same screen to
 * standard VNC viewers: RFB from the first byte, VNC authentication
 * with the RFB password, and the session begins once that passed.  One
 * KVM session at a time across both, closed after
 * IPS_KVMRedirectionSettingData.SessionTimeout minutes without input
 * from the viewer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "keysym.h"
#include "redir-int.h"
#include "rfb.h"

#define KVM_START_LEN           8
/* Look again this often while the transport drains an update */
#define KVM_TRANSPORT_RETRY_MS  20
/* The desktop name of ServerInit [D: what real AMT names it is unknown] */
#define KVM_DESKTOP_NAME        "Intel(r) AMT KVM"

enum {
    KVM_START = 0x40,
    KVM_START_REPLY = 0x41,
};

/* 0x41 status: non-zero refuses [D: AMT's own codes are unpublished] */
#define KVM_STATUS_NO_CONSENT   1

/* Port 5900: after this many wrong passwords, guessing waits */
#define KVM_VNC_MAX_FAILURES    3
#define KVM_VNC_BLOCK_MS        10000
/* Whom the audit log names for a 5900 session: it has no AMT user */
#define KVM_VNC_USER            "$$RFB"

struct RedirKvm {
    VamtRfb *rfb;
    bool viewing;               /* the platform watches for this session */
    int64_t last_input_ms;
};

static void kvm_set_viewing(RedirConn *c, bool viewing)
{
    VamtRedir *redir = c->redir;

    if (c->kvm->viewing == viewing) {
        return;
    }
    c->kvm->viewing = viewing;
    if (redir->ops->kvm_viewing) {
        redir->ops->kvm_viewing(redir->opaque, viewing);
    }
}

/* The viewer gets the screen: consent in use, the platform watches */
static void kvm_session_begins(RedirConn *c)
{
    VamtAmt *amt = c->redir->amt;

    if (vamt_amt_state(amt)->opt_in_state == VAMT_OPT_IN_RECEIVED) {
        vamt_amt_opt_in_set(amt, VAMT_OPT_IN_IN_SESSION);
    }
    c->kvm->last_input_ms = redir_now(c->redir);
    redir_trace(c->redir, "redirection: KVM started for %s%s", c->peer,
                c->vnc ? " on port 5900" : "");
    kvm_set_viewing(c, true);
}

/* ---- the RFB server's side ---- */

static void kvm_rfb_write(void *opaque, const uint8_t *data, size_t len)
{
    RedirConn *c = opaque;

    c->ops->write(c->opaque, data, len);
}

static size_t kvm_rfb_pending(void *opaque)
{
    RedirConn *c = opaque;

    return c->ops->pending ? c->ops->pending(c->opaque) : 0;
}

static void kvm_rfb_close(void *opaque, const char *why)
{
    RedirConn *c = opaque;

    redir_trace(c->redir, "redirection: KVM viewer from %s: %s", c->peer,
                why);
    redir_close(c);
}

static void kvm_rfb_key(void *opaque, uint32_t keysym, bool down)
{
    RedirConn *c = opaque;
    uint16_t usage = vamt_keysym_to_usage(keysym);

    c->kvm->last_input_ms = redir_now(c->redir);
    if (!usage) {
        redir_trace(c->redir, "redirection: KVM keysym 0x%x has no key",
                    keysym);
        return;
    }
    if (c->redir->ops->kvm_key) {
        c->redir->ops->kvm_key(c->redir->opaque, usage, down);
    }
}

static void kvm_rfb_pointer(void *opaque, unsigned x, unsigned y,
                            uint8_t buttons)
{
    RedirConn *c = opaque;
    VamtScreen *screen = c->redir->screen;

    c->kvm->last_input_ms = redir_now(c->redir);
    if (c->redir->ops->kvm_pointer) {
        c->redir->ops->kvm_pointer(c->redir->opaque,
                                   MIN(x, vamt_screen_width(screen) - 1),
                                   MIN(y, vamt_screen_height(screen) - 1),
                                   buttons);
    }
}

static const VamtRfbOps kvm_rfb_ops = {
    .write = kvm_rfb_write,
    .pending = kvm_rfb_pending,
    .close = kvm_rfb_close,
    .key = kvm_rfb_key,
    .pointer = kvm_rfb_pointer,
};

/* ---- port 5900 ---- */

static bool kvm_vnc_auth(void *opaque, const uint8_t *challenge,
                         const uint8_t *response)
{
    RedirConn *c = opaque;
    VamtRedir *redir = c->redir;
    const char *password = vamt_amt_state(redir->amt)->rfb_password;
    uint8_t expected[16];
    uint8_t diff = 0;

    if (!password[0] || !redir->ops->vnc_response ||
        !redir->ops->vnc_response(redir->opaque, password, challenge,
                                  expected)) {
        return false;
    }
    for (unsigned i = 0; i < sizeof(expected); i++) {
        diff |= expected[i] ^ response[i];
    }
    if (diff) {
        redir_trace(redir, "redirection: wrong RFB password from %s",
                    c->peer);
        if (++redir->vnc_failures >= KVM_VNC_MAX_FAILURES) {
            redir->vnc_failures = 0;
            redir->vnc_blocked_until_ms = redir_now(redir) + KVM_VNC_BLOCK_MS;
        }
        return false;
    }
    redir->vnc_failures = 0;
    return true;
}

static void kvm_vnc_random(void *opaque, uint8_t *buf, size_t len)
{
    RedirConn *c = opaque;

    c->redir->ops->random(c->redir->opaque, buf, len);
}

static const char *kvm_vnc_admit(void *opaque, bool authenticated)
{
    RedirConn *c = opaque;
    VamtRedir *redir = c->redir;
    VamtAmt *amt = redir->amt;

    if (!vamt_redir_vnc_enabled(redir)) {
        return "KVM is disabled";
    }
    if (redir->active[VAMT_REDIR_KVM] && redir->active[VAMT_REDIR_KVM] != c) {
        return "KVM session active";
    }
    if (redir_now(redir) < redir->vnc_blocked_until_ms) {
        return "too many authentication failures: try again later";
    }
    /* the in-session consent screen is not served yet */
    if (vamt_amt_consent_missing(amt, VAMT_AMT_SESSION_KVM)) {
        return "user consent required";
    }
    if (authenticated) {
        g_strlcpy(redir->vnc_password, vamt_amt_state(amt)->rfb_password,
                  sizeof(redir->vnc_password));
        redir_begin_session(c, KVM_VNC_USER);
        kvm_session_begins(c);
    }
    return NULL;
}

static const VamtRfbOps kvm_vnc_rfb_ops = {
    .write = kvm_rfb_write,
    .pending = kvm_rfb_pending,
    .close = kvm_rfb_close,
    .key = kvm_rfb_key,
    .pointer = kvm_rfb_pointer,
    .vnc_auth = kvm_vnc_auth,
    .random = kvm_vnc_random,
    .admit = kvm_vnc_admit,
};

void redir_kvm_vnc_open(RedirConn *c)
{
    redir_kvm_opened(c);
    c->kvm->rfb = vamt_rfb_new(c->redir->screen, VAMT_RFB_SECURITY_VNC,
                               KVM_DESKTOP_NAME, &kvm_vnc_rfb_ops, c);
}

/* ---- the session ---- */

long redir_kvm_message_len(const uint8_t *buf, size_t avail)
{
    return buf[0] == KVM_START ? KVM_START_LEN : -1;
}

void redir_kvm_message(RedirConn *c, const uint8_t *msg, size_t len)
{
    uint8_t reply[KVM_START_LEN] = { KVM_START_REPLY };
    VamtAmt *amt = c->redir->amt;

    /*
     * User consent: the code must have been given over WS-Man
     * (IPS_OptInService).  The in-session consent screen is not served
     * yet, so a session without consent is refused.
     */
    if (vamt_amt_consent_missing(amt, VAMT_AMT_SESSION_KVM)) {
        reply[1] = KVM_STATUS_NO_CONSENT;
        redir_trace(c->redir, "redirection: KVM for %s refused: no user "
                    "consent", c->peer);
        redir_send(c, reply, sizeof(reply), true);
        redir_close_later(c, VAMT_REDIR_ISOLATION_MS);
        return;
    }
    /* RFB may follow 0x41 at once: it is not read alone */
    redir_send(c, reply, sizeof(reply), false);
    c->kvm->rfb = vamt_rfb_new(c->redir->screen, VAMT_RFB_SECURITY_NONE,
                               KVM_DESKTOP_NAME, &kvm_rfb_ops, c);
    kvm_session_begins(c);
}

bool redir_kvm_streaming(const RedirConn *c)
{
    return c->kvm && c->kvm->rfb;
}

void redir_kvm_stream_input(RedirConn *c, const uint8_t *data, size_t len)
{
    vamt_rfb_input(c->kvm->rfb, data, len);
}

static int64_t kvm_idle_deadline(const RedirConn *c)
{
    uint32_t minutes = vamt_amt_state(c->redir->amt)->kvm_session_timeout;

    return minutes ? c->kvm->last_input_ms + (int64_t)minutes * 60000 : -1;
}

int64_t redir_kvm_deadline(const RedirConn *c)
{
    int64_t idle = kvm_idle_deadline(c);

    if (c->kvm && c->kvm->rfb && vamt_rfb_wants_update(c->kvm->rfb)) {
        int64_t retry = redir_now(c->redir) + KVM_TRANSPORT_RETRY_MS;

        return idle < 0 ? retry : MIN(idle, retry);
    }
    return idle;
}

void redir_kvm_tick(RedirConn *c)
{
    int64_t idle = kvm_idle_deadline(c);

    if (idle >= 0 && redir_now(c->redir) >= idle) {
        redir_trace(c->redir, "redirection: KVM session of %s idle for "
                    "its SessionTimeout: closing", c->peer);
        redir_close(c);
        return;
    }
    if (c->kvm->rfb) {
        vamt_rfb_flush(c->kvm->rfb);
    }
}

void redir_kvm_opened(RedirConn *c)
{
    /* a 5900 viewer has had its own since the connection opened */
    if (!c->kvm) {
        c->kvm = g_new0(RedirKvm, 1);
    }
    c->kvm->last_input_ms = redir_now(c->redir);
}

/*
 * The RFB server may be what closed the session, from inside its input:
 * it is freed with the connection, after that returned.  The platform
 * stops watching the display now.
 */
void redir_kvm_closed(RedirConn *c)
{
    VamtAmt *amt = c->redir->amt;

    if (c->kvm) {
        kvm_set_viewing(c, false);
    }
    /* the consent lasts a while for the next session */
    if (vamt_amt_state(amt)->opt_in_state == VAMT_OPT_IN_IN_SESSION) {
        vamt_amt_opt_in_set(amt, VAMT_OPT_IN_RECEIVED);
    }
}

void redir_kvm_free(RedirConn *c)
{
    if (!c->kvm) {
        return;
    }
    /* a 5900 viewer that never had a session was never watched */
    kvm_set_viewing(c, false);
    vamt_rfb_free(c->kvm->rfb);
    g_free(c->kvm);
    c->kvm = NULL;
}

/* ---- the platform's side ---- */

VamtScreen *vamt_redir_screen(VamtRedir *redir)
{
    return redir->screen;
}

void vamt_redir_kvm_flush(VamtRedir *redir)
{
    RedirConn *c = redir->active[VAMT_REDIR_KVM];

    if (c && c->kvm && c->kvm->rfb) {
        vamt_rfb_flush(c->kvm->rfb);
    }
}

const VamtRfbStats *vamt_redir_kvm_stats(VamtRedir *redir)
{
    RedirConn *c = redir->active[VAMT_REDIR_KVM];

    return c && c->kvm && c->kvm->rfb ? vamt_rfb_stats(c->kvm->rfb) : NULL;
}
