/*
 * vAMT: TLS for a transport that carries bytes, not sockets (the ME's
 * TCP endpoint on the guest's NIC): a service of base/conn.h that runs a
 * QCryptoTLSSession (QEMU's TLS, GnuTLS) over the transport's byte
 * stream and, once the handshake is done, opens the ME's own service
 * behind it with the plain bytes.  The host-socket listener does the same
 * with QIOChannelTLS (listener.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/timer.h"
#include "crypto/tlssession.h"
#include "hw/vamt/tls-conn.h"
#include "trace/trace-hw_vamt.h"

/* As listener.c: a handshake not done by then costs its place */
#define TLS_CONN_HANDSHAKE_MS   30000
/* Ciphertext waiting for GnuTLS: more than a record or two is an abuse */
#define TLS_CONN_RX_MAX         (64 * 1024)

typedef struct TlsConn {
    VamtTlsService *service;
    const VamtStreamOps *ops;   /* the transport's */
    void *opaque;
    char *peer;
    QCryptoTLSSession *session;
    GByteArray *rx;             /* ciphertext not yet read by GnuTLS */
    bool eof;                   /* the transport will bring no more */
    bool opened;                /* handshake done, inner open */
    bool closed;                /* closed toward the transport */
    int64_t handshake_deadline;
    VamtConn inner;
} TlsConn;

static int64_t tls_conn_now(void)
{
    return qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
}

static void tls_conn_close(TlsConn *c, const char *why)
{
    if (c->closed) {
        return;
    }
    trace_vamt_tls_conn_closed(c->peer, why);
    c->closed = true;
    if (c->opened) {
        /* close_notify, as far as the transport takes it now */
        qcrypto_tls_session_bye(c->session, NULL);
    }
    c->ops->close(c->opaque);
}

/* GnuTLS's I/O: the transport's byte stream */
static ssize_t tls_conn_push(const char *buf, size_t len, void *opaque,
                             Error **errp)
{
    TlsConn *c = opaque;

    if (c->closed) {
        error_setg(errp, "the connection is closed");
        return -1;
    }
    c->ops->write(c->opaque, (const uint8_t *)buf, len);
    return len;
}

static ssize_t tls_conn_pull(char *buf, size_t len, void *opaque,
                             Error **errp)
{
    TlsConn *c = opaque;

    if (!c->rx->len) {
        return c->eof ? 0 : QCRYPTO_TLS_SESSION_ERR_BLOCK;
    }
    len = MIN(len, c->rx->len);
    memcpy(buf, c->rx->data, len);
    g_byte_array_remove_range(c->rx, 0, len);
    return len;
}

/* The inner service's stream: into TLS */
static void tls_inner_write(void *opaque, const uint8_t *data, size_t len)
{
    TlsConn *c = opaque;

    while (len && !c->closed) {
        ssize_t n = qcrypto_tls_session_write(c->session, (const char *)data,
                                              len, NULL);

        if (n <= 0) {
            tls_conn_close(c, "write failed");
            return;
        }
        data += n;
        len -= n;
    }
}

static void tls_inner_close(void *opaque)
{
    tls_conn_close(opaque, "closed by the ME");
}

static size_t tls_inner_pending(void *opaque)
{
    TlsConn *c = opaque;

    return c->ops->pending ? c->ops->pending(c->opaque) : 0;
}

static void tls_inner_wake(void *opaque)
{
    TlsConn *c = opaque;

    if (c->ops->wake) {
        c->ops->wake(c->opaque);
    }
}

static const VamtStreamOps tls_inner_ops = {
    .write = tls_inner_write,
    .close = tls_inner_close,
    .pending = tls_inner_pending,
    .wake = tls_inner_wake,
};

/* Move what arrived on: the handshake, then plain bytes to the service */
static void tls_conn_pump(TlsConn *c)
{
    char buf[16 * 1024];
    Error *err = NULL;

    if (!c->opened && !c->closed) {
        int rc = qcrypto_tls_session_handshake(c->session, &err);

        if (rc < 0 ||
            (rc == QCRYPTO_TLS_HANDSHAKE_COMPLETE &&
             qcrypto_tls_session_check_credentials(c->session, &err) < 0)) {
            tls_conn_close(c, error_get_pretty(err));
            error_free(err);
            return;
        }
        if (rc != QCRYPTO_TLS_HANDSHAKE_COMPLETE) {
            if (c->eof) {
                tls_conn_close(c, "the peer left during the handshake");
            }
            return;
        }
        c->opened = true;
        trace_vamt_tls_conn_ready(c->peer);
        c->inner = vamt_conn_open(c->service->inner, &tls_inner_ops, c,
                                  c->peer);
    }
    while (c->opened && !c->closed && !vamt_conn_closed(&c->inner)) {
        ssize_t n = qcrypto_tls_session_read(c->session, buf, sizeof(buf),
                                             true, NULL);

        if (n == QCRYPTO_TLS_SESSION_ERR_BLOCK) {
            return;
        }
        if (n < 0) {
            tls_conn_close(c, "bad TLS record");
            return;
        }
        if (n == 0) {
            vamt_conn_eof(&c->inner);
            return;
        }
        vamt_conn_input(&c->inner, (const uint8_t *)buf, n);
    }
}

static void *tls_conn_open(void *service, const VamtStreamOps *ops,
                           void *opaque, const char *peer)
{
    VamtTlsService *svc = service;
    TlsConn *c = g_new0(TlsConn, 1);

    c->service = svc;
    c->ops = ops;
    c->opaque = opaque;
    c->peer = g_strdup(peer ? peer : "");
    c->rx = g_byte_array_new();
    c->handshake_deadline = tls_conn_now() + TLS_CONN_HANDSHAKE_MS;
    c->session = qcrypto_tls_session_new(svc->creds, NULL, NULL,
                                         QCRYPTO_TLS_CREDS_ENDPOINT_SERVER,
                                         NULL);
    if (!c->session) {
        /* the transport sees it closed at once and frees it */
        c->closed = true;
        return c;
    }
    qcrypto_tls_session_set_callbacks(c->session, tls_conn_push,
                                      tls_conn_pull, c);
    return c;
}

static void tls_conn_free(void *conn)
{
    TlsConn *c = conn;

    if (c->opened) {
        vamt_conn_free(&c->inner);
    }
    if (c->session) {
        qcrypto_tls_session_free(c->session);
    }
    g_byte_array_free(c->rx, true);
    g_free(c->peer);
    g_free(c);
}

static void tls_conn_input(void *conn, const uint8_t *data, size_t len)
{
    TlsConn *c = conn;

    if (c->closed) {
        return;
    }
    if (c->rx->len + len > TLS_CONN_RX_MAX) {
        tls_conn_close(c, "too much unread ciphertext");
        return;
    }
    g_byte_array_append(c->rx, data, len);
    tls_conn_pump(c);
}

static void tls_conn_eof(void *conn)
{
    TlsConn *c = conn;

    c->eof = true;
    if (!c->closed) {
        tls_conn_pump(c);
    }
}

static int64_t tls_conn_deadline(const void *conn)
{
    const TlsConn *c = conn;

    if (c->closed) {
        return -1;
    }
    return c->opened ? vamt_conn_deadline(&c->inner) : c->handshake_deadline;
}

static bool tls_conn_tick(void *conn)
{
    TlsConn *c = conn;

    if (!c->closed && !c->opened && tls_conn_now() >= c->handshake_deadline) {
        tls_conn_close(c, "handshake timed out");
    }
    if (!c->closed && c->opened && vamt_conn_tick(&c->inner)) {
        tls_conn_close(c, "closed by the ME");
    }
    return c->closed;
}

static bool tls_conn_closed(const void *conn)
{
    const TlsConn *c = conn;

    return c->closed || (c->opened && vamt_conn_closed(&c->inner));
}

static bool tls_conn_authenticated(const void *conn)
{
    const TlsConn *c = conn;

    return c->opened && !c->closed && vamt_conn_authenticated(&c->inner);
}

static const VamtServiceClass tls_conn_class = {
    .name = "tls",
    .open = tls_conn_open,
    .free = tls_conn_free,
    .input = tls_conn_input,
    .eof = tls_conn_eof,
    .deadline = tls_conn_deadline,
    .tick = tls_conn_tick,
    .closed = tls_conn_closed,
    .authenticated = tls_conn_authenticated,
};

const VamtService *vamt_tls_service(VamtTlsService *svc,
                                    const VamtService *inner,
                                    QCryptoTLSCreds *creds)
{
    if (!inner || !creds) {
        return NULL;
    }
    svc->inner = inner;
    svc->creds = creds;
    svc->service = (VamtService) {
        .cls = &tls_conn_class, .impl = svc, .port = inner->port,
    };
    return &svc->service;
}
