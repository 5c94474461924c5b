/*
 * vAMT: a service of the ME on a host socket (listen=host:port)
 *
 * Each accepted connection is a non-blocking QIOChannel feeding one
 * connection of an ME service (base/conn.h: the web service on 16992,
 * redirection on 16994).  Everything runs on the main loop under
 * the BQL.  Output is buffered; while a client does not read its
 * answers, the listener stops reading its requests, so a console cannot
 * make QEMU buffer without bound.
 *
 * Connections are capped per listener and per peer address; at a cap, a
 * new connection takes the place of the oldest one (of that peer, at the
 * per-peer cap) that has not authenticated, so a flood of idle
 * connections cannot keep a console out; it is closed if every
 * connection has authenticated.  When accept() fails (out
 * of descriptors), the listener stops watching the socket and retries
 * later instead of spinning on an always-readable socket.
 *
 * With TLS credentials (16993), each connection first completes a TLS
 * handshake (QIOChannelTLS, within VAMT_LISTENER_HANDSHAKE_MS) and the
 * service sees only the plain bytes inside it.  Until then it counts as
 * unauthenticated toward the caps, so idle handshakes cost a place each
 * and are the first shed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/sockets.h"
#include "qemu/timer.h"
#include "io/channel-socket.h"
#include "io/channel-tls.h"
#include "crypto/tlscreds.h"
#include "qemu/error-report.h"
#include "hw/vamt/listener.h"
#include "trace/trace-hw_vamt.h"

/* Stop reading a client's requests while this much output is pending */
#define VAMT_LISTENER_OUTPUT_HIGH   (256 * 1024)
#define VAMT_LISTENER_READ_CHUNK    (16 * 1024)
/* Connections per listener, and per peer address (docs: "Security") */
#define VAMT_LISTENER_MAX_CLIENTS   32
#define VAMT_LISTENER_MAX_PER_PEER  8
/* After a failed accept(), wait this long, doubling up to the maximum */
#define VAMT_LISTENER_RETRY_MS      50
#define VAMT_LISTENER_RETRY_MAX_MS  1000
/* A TLS client has this long to finish its handshake */
#define VAMT_LISTENER_HANDSHAKE_MS  30000

typedef struct VamtListenerClient VamtListenerClient;

struct VamtListener {
    QIOChannelSocket *sioc;
    guint accept_watch;
    QEMUTimer *retry_timer;
    int64_t retry_ms;
    const VamtService *service;
    QCryptoTLSCreds *tls_creds; /* NULL: plain TCP */
    GList *clients;             /* newest first */
    unsigned next_id;
};

struct VamtListenerClient {
    VamtListener *listener;
    QIOChannelSocket *sioc;
    QIOChannel *ioc;            /* sioc, or the TLS channel over it */
    VamtConn conn;
    bool opened;                /* conn is open: no TLS, or handshake done */
    QEMUTimer *timer;           /* the service's idle/request deadline */
    GByteArray *output;
    guint watch;
    GIOCondition watching;
    unsigned id;
    char *peer;                 /* the peer's address, for the per-peer cap */
    bool closing;               /* close once the output is flushed */
};

static void client_update(VamtListenerClient *c);

static void client_destroy(VamtListenerClient *c)
{
    trace_vamt_listener_close(c->id);
    c->listener->clients = g_list_remove(c->listener->clients, c);
    if (c->watch) {
        g_source_remove(c->watch);
    }
    timer_free(c->timer);
    if (c->opened) {
        vamt_conn_free(&c->conn);
    }
    if (c->ioc != QIO_CHANNEL(c->sioc)) {
        /* close_notify, when the socket takes it now; never waited for */
        if (c->opened) {
            qio_channel_tls_bye(QIO_CHANNEL_TLS(c->ioc), NULL);
        }
        qio_channel_close(c->ioc, NULL);
        object_unref(OBJECT(c->ioc));
    }
    qio_channel_close(QIO_CHANNEL(c->sioc), NULL);
    object_unref(OBJECT(c->sioc));
    g_byte_array_free(c->output, TRUE);
    g_free(c->peer);
    g_free(c);
}

static void client_write(void *opaque, const uint8_t *data, size_t len)
{
    VamtListenerClient *c = opaque;

    g_byte_array_append(c->output, data, len);
}

static void client_close(void *opaque)
{
    VamtListenerClient *c = opaque;

    c->closing = true;
}

static size_t client_pending(void *opaque)
{
    return ((VamtListenerClient *)opaque)->output->len;
}

/* Outside our own events: look at the connection on the next tick */
static void client_wake(void *opaque)
{
    VamtListenerClient *c = opaque;

    timer_mod(c->timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME));
}

static const VamtStreamOps client_ops = {
    .write = client_write,
    .close = client_close,
    .pending = client_pending,
    .wake = client_wake,
};

/* Send what the socket takes now; false if the peer is gone. */
static bool client_flush(VamtListenerClient *c)
{
    while (c->output->len) {
        ssize_t n = qio_channel_write(c->ioc,
                                      (const char *)c->output->data,
                                      c->output->len, NULL);

        if (n == QIO_CHANNEL_ERR_BLOCK) {
            return true;
        }
        if (n < 0) {
            return false;
        }
        g_byte_array_remove_range(c->output, 0, n);
    }
    return true;
}

static gboolean client_io(QIOChannel *ioc, GIOCondition cond, void *opaque)
{
    VamtListenerClient *c = opaque;
    uint8_t buf[VAMT_LISTENER_READ_CHUNK];
    ssize_t n;

    if (cond & G_IO_IN) {
        /* not @ioc: a TLS channel's watch is its socket's */
        n = qio_channel_read(c->ioc, (char *)buf, sizeof(buf), NULL);
        if (n > 0) {
            trace_vamt_listener_input(c->id, n);
            vamt_conn_input(&c->conn, buf, n);
        } else if (n == 0) {
            vamt_conn_eof(&c->conn);
            c->closing = true;
        } else if (n != QIO_CHANNEL_ERR_BLOCK) {
            c->closing = true;
            c->output->len = 0;
        }
    } else if (cond & (G_IO_HUP | G_IO_ERR)) {
        c->closing = true;
        c->output->len = 0;
    }
    c->watch = 0;
    client_update(c);
    return G_SOURCE_REMOVE;
}

static void client_timeout(void *opaque)
{
    VamtListenerClient *c = opaque;

    if (!c->opened) {
        trace_vamt_listener_tls_failed(c->id, "handshake timed out");
        client_destroy(c);
        return;
    }
    if (!c->closing && vamt_conn_tick(&c->conn)) {
        c->closing = true;
    }
    client_update(c);
}

/* After any event: flush, then watch for what the client needs next. */
static void client_update(VamtListenerClient *c)
{
    GIOCondition want = 0;
    int64_t deadline;

    if (vamt_conn_closed(&c->conn)) {
        c->closing = true;
    }
    if (!client_flush(c)) {
        client_destroy(c);
        return;
    }
    if (c->closing && !c->output->len) {
        client_destroy(c);
        return;
    }
    if (c->output->len) {
        want |= G_IO_OUT;
    }
    if (!c->closing && c->output->len < VAMT_LISTENER_OUTPUT_HIGH) {
        want |= G_IO_IN;
    }
    if (c->watch && want != c->watching) {
        g_source_remove(c->watch);
        c->watch = 0;
    }
    if (!c->watch) {
        c->watching = want;
        c->watch = qio_channel_add_watch(c->ioc, want, client_io, c, NULL);
    }
    deadline = vamt_conn_deadline(&c->conn);
    if (deadline >= 0) {
        timer_mod(c->timer, deadline);
    } else {
        timer_del(c->timer);
    }
}

static char *peer_of(QIOChannelSocket *sioc)
{
    g_autoptr(SocketAddress) addr =
        qio_channel_socket_get_remote_address(sioc, NULL);

    if (addr && addr->type == SOCKET_ADDRESS_TYPE_INET) {
        return g_strdup(addr->u.inet.host);
    }
    return g_strdup("");
}

static unsigned clients_of_peer(VamtListener *l, const char *peer)
{
    unsigned n = 0;

    for (GList *e = l->clients; e; e = e->next) {
        n += !strcmp(((VamtListenerClient *)e->data)->peer, peer);
    }
    return n;
}

/* The oldest client (of @peer, if not NULL) not authenticated, or NULL */
static VamtListenerClient *oldest_untrusted(VamtListener *l, const char *peer)
{
    for (GList *e = g_list_last(l->clients); e; e = e->prev) {
        VamtListenerClient *c = e->data;

        if ((!c->opened || !vamt_conn_authenticated(&c->conn)) &&
            (!peer || !strcmp(c->peer, peer))) {
            return c;
        }
    }
    return NULL;
}

/*
 * Room for a client from @peer?  At a cap, the oldest unauthenticated
 * connection (the peer's own at the per-peer cap) makes room for it;
 * if every one has authenticated, the newcomer is refused.
 */
static bool listener_admit(VamtListener *l, const char *peer)
{
    VamtListenerClient *victim;

    if (clients_of_peer(l, peer) >= VAMT_LISTENER_MAX_PER_PEER) {
        victim = oldest_untrusted(l, peer);
    } else if (g_list_length(l->clients) >= VAMT_LISTENER_MAX_CLIENTS) {
        victim = oldest_untrusted(l, NULL);
    } else {
        return true;
    }
    if (!victim) {
        trace_vamt_listener_refused(peer, "every connection authenticated");
        return false;
    }
    trace_vamt_listener_shed(victim->id);
    client_destroy(victim);
    return true;
}

/* The service's connection begins: at accept, or after the handshake */
static void client_open(VamtListenerClient *c)
{
    c->opened = true;
    c->conn = vamt_conn_open(c->listener->service, &client_ops, c, c->peer);
    client_update(c);
}

static void client_handshake_done(QIOTask *task, gpointer opaque)
{
    VamtListenerClient *c = opaque;
    Error *err = NULL;

    if (qio_task_propagate_error(task, &err)) {
        trace_vamt_listener_tls_failed(c->id, error_get_pretty(err));
        error_free(err);
        client_destroy(c);
        return;
    }
    trace_vamt_listener_tls_ready(c->id);
    timer_del(c->timer);
    client_open(c);
}

static void listener_add_client(VamtListener *l, QIOChannelSocket *sioc,
                                char *peer)
{
    VamtListenerClient *c = g_new0(VamtListenerClient, 1);
    QIOChannelTLS *tioc;
    Error *err = NULL;

    c->listener = l;
    c->id = l->next_id++;
    c->sioc = sioc;
    c->ioc = QIO_CHANNEL(sioc);
    c->peer = peer;
    qio_channel_set_name(QIO_CHANNEL(sioc), l->service->cls->name);
    qio_channel_set_blocking(QIO_CHANNEL(sioc), false, NULL);
    /* answers go out whole: no waiting for the console's delayed ACK */
    qio_channel_set_delay(QIO_CHANNEL(sioc), false);
    c->output = g_byte_array_new();
    c->timer = timer_new_ms(QEMU_CLOCK_REALTIME, client_timeout, c);
    l->clients = g_list_prepend(l->clients, c);
    trace_vamt_listener_accept(c->id, peer);
    if (!l->tls_creds) {
        client_open(c);
        return;
    }
    tioc = qio_channel_tls_new_server(QIO_CHANNEL(sioc), l->tls_creds,
                                      NULL, &err);
    if (!tioc) {
        trace_vamt_listener_tls_failed(c->id, error_get_pretty(err));
        error_free(err);
        client_destroy(c);
        return;
    }
    c->ioc = QIO_CHANNEL(tioc);
    qio_channel_set_name(c->ioc, l->service->cls->name);
    timer_mod(c->timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) +
              VAMT_LISTENER_HANDSHAKE_MS);
    /* closing the channel cancels it: no callback after client_destroy */
    qio_channel_tls_handshake(tioc, client_handshake_done, c, NULL, NULL);
}

static gboolean listener_accept(QIOChannel *ioc, GIOCondition cond,
                                void *opaque);

static void listener_watch(VamtListener *l)
{
    l->accept_watch = qio_channel_add_watch(QIO_CHANNEL(l->sioc), G_IO_IN,
                                            listener_accept, l, NULL);
}

static void listener_retry(void *opaque)
{
    listener_watch(opaque);
}

static gboolean listener_accept(QIOChannel *ioc, GIOCondition cond,
                                void *opaque)
{
    VamtListener *l = opaque;
    Error *err = NULL;
    QIOChannelSocket *sioc = qio_channel_socket_accept(l->sioc, &err);
    char *peer;

    if (!sioc) {
        /*
         * Out of descriptors (or another error that leaves the pending
         * connection queued): the socket stays readable, so watching it
         * now would spin.  Look again later.
         */
        trace_vamt_listener_accept_failed(error_get_pretty(err),
                                          l->retry_ms);
        error_free(err);
        l->accept_watch = 0;
        timer_mod(l->retry_timer,
                  qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + l->retry_ms);
        l->retry_ms = MIN(l->retry_ms * 2, VAMT_LISTENER_RETRY_MAX_MS);
        return G_SOURCE_REMOVE;
    }
    l->retry_ms = VAMT_LISTENER_RETRY_MS;
    peer = peer_of(sioc);
    if (!listener_admit(l, peer)) {
        qio_channel_close(QIO_CHANNEL(sioc), NULL);
        object_unref(OBJECT(sioc));
        g_free(peer);
        return G_SOURCE_CONTINUE;
    }
    listener_add_client(l, sioc, peer);
    return G_SOURCE_CONTINUE;
}

VamtListener *vamt_listener_new(const char *address,
                                const VamtService *service,
                                QCryptoTLSCreds *tls_creds, Error **errp)
{
    g_autoptr(SocketAddress) addr = socket_parse(address, errp);
    VamtListener *l;

    if (!addr) {
        return NULL;
    }
    l = g_new0(VamtListener, 1);
    l->service = service;
    l->tls_creds = tls_creds;
    l->sioc = qio_channel_socket_new();
    qio_channel_set_name(QIO_CHANNEL(l->sioc), "vamt-listener");
    if (qio_channel_socket_listen_sync(l->sioc, addr, 16, errp) < 0) {
        object_unref(OBJECT(l->sioc));
        g_free(l);
        return NULL;
    }
    if (tls_creds) {
        object_ref(OBJECT(tls_creds));
    }
    l->retry_ms = VAMT_LISTENER_RETRY_MS;
    l->retry_timer = timer_new_ms(QEMU_CLOCK_REALTIME, listener_retry, l);
    listener_watch(l);
    return l;
}

void vamt_listener_free(VamtListener *l)
{
    if (!l) {
        return;
    }
    if (l->accept_watch) {
        g_source_remove(l->accept_watch);
    }
    timer_free(l->retry_timer);
    qio_channel_close(QIO_CHANNEL(l->sioc), NULL);
    object_unref(OBJECT(l->sioc));
    while (l->clients) {
        client_destroy(l->clients->data);
    }
    if (l->tls_creds) {
        object_unref(OBJECT(l->tls_creds));
    }
    g_free(l);
}

int vamt_listener_port(const VamtListener *l)
{
    g_autoptr(SocketAddress) addr = NULL;

    if (!l) {
        return -1;
    }
    addr = qio_channel_socket_get_local_address(l->sioc, NULL);
    if (!addr || addr->type != SOCKET_ADDRESS_TYPE_INET) {
        return -1;
    }
    return atoi(addr->u.inet.port);
}

char *vamt_listener_host(const VamtListener *l)
{
    g_autoptr(SocketAddress) addr =
        qio_channel_socket_get_local_address(l->sioc, NULL);

    if (!addr || addr->type != SOCKET_ADDRESS_TYPE_INET) {
        return g_strdup("");
    }
    return g_strdup(addr->u.inet.host);
}

unsigned vamt_listener_clients(const VamtListener *l)
{
    return l ? g_list_length(l->clients) : 0;
}
