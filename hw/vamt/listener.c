/*
 * vAMT: a service of the ME on a host socket (listen=host:port)
 *
 * Each accepted connection is a non-blocking QIOChannel feeding one
 * connection of an ME service (base/conn.h: the web service on 16992
 * today).  Everything runs on the main loop under
 * the BQL.  Output is buffered; while a client does not read its
 * answers, the listener stops reading its requests, so a console cannot
 * make QEMU buffer without bound.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/sockets.h"
#include "qemu/timer.h"
#include "io/channel-socket.h"
#include "io/net-listener.h"
#include "hw/vamt/listener.h"
#include "trace/trace-hw_vamt.h"

/* Stop reading a client's requests while this much output is pending */
#define VAMT_LISTENER_OUTPUT_HIGH   (256 * 1024)
#define VAMT_LISTENER_READ_CHUNK    (16 * 1024)

typedef struct VamtListenerClient VamtListenerClient;

struct VamtListener {
    QIONetListener *net;
    const VamtService *service;
    GList *clients;
    unsigned next_id;
};

struct VamtListenerClient {
    VamtListener *listener;
    QIOChannelSocket *sioc;
    VamtConn conn;
    QEMUTimer *timer;           /* the service's idle/request deadline */
    GByteArray *output;
    guint watch;
    GIOCondition watching;
    unsigned id;
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
    vamt_conn_free(&c->conn);
    qio_channel_close(QIO_CHANNEL(c->sioc), NULL);
    object_unref(OBJECT(c->sioc));
    g_byte_array_free(c->output, TRUE);
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

static const VamtStreamOps client_ops = {
    .write = client_write,
    .close = client_close,
};

/* Send what the socket takes now; false if the peer is gone. */
static bool client_flush(VamtListenerClient *c)
{
    while (c->output->len) {
        ssize_t n = qio_channel_write(QIO_CHANNEL(c->sioc),
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
        n = qio_channel_read(ioc, (char *)buf, sizeof(buf), NULL);
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

    if (vamt_conn_tick(&c->conn)) {
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
        c->watch = qio_channel_add_watch(QIO_CHANNEL(c->sioc), want,
                                         client_io, c, NULL);
    }
    deadline = vamt_conn_deadline(&c->conn);
    if (deadline >= 0) {
        timer_mod(c->timer, deadline);
    } else {
        timer_del(c->timer);
    }
}

static void listener_accept(QIONetListener *net, QIOChannelSocket *sioc,
                            gpointer opaque)
{
    VamtListener *l = opaque;
    VamtListenerClient *c = g_new0(VamtListenerClient, 1);

    c->listener = l;
    c->id = l->next_id++;
    c->sioc = sioc;
    object_ref(OBJECT(sioc));
    qio_channel_set_name(QIO_CHANNEL(sioc), l->service->cls->name);
    qio_channel_set_blocking(QIO_CHANNEL(sioc), false, NULL);
    /* answers go out whole: no waiting for the console's delayed ACK */
    qio_channel_set_delay(QIO_CHANNEL(sioc), false);
    c->output = g_byte_array_new();
    c->conn = vamt_conn_open(l->service, &client_ops, c);
    c->timer = timer_new_ms(QEMU_CLOCK_REALTIME, client_timeout, c);
    l->clients = g_list_prepend(l->clients, c);
    trace_vamt_listener_accept(c->id);
    client_update(c);
}

VamtListener *vamt_listener_new(const char *address,
                                const VamtService *service, Error **errp)
{
    g_autoptr(SocketAddress) addr = socket_parse(address, errp);
    VamtListener *l;

    if (!addr) {
        return NULL;
    }
    l = g_new0(VamtListener, 1);
    l->service = service;
    l->net = qio_net_listener_new();
    qio_net_listener_set_name(l->net, "vamt-listener");
    if (qio_net_listener_open_sync(l->net, addr, 16, errp) < 0) {
        object_unref(OBJECT(l->net));
        g_free(l);
        return NULL;
    }
    qio_net_listener_set_client_func(l->net, listener_accept, l, NULL);
    return l;
}

void vamt_listener_free(VamtListener *l)
{
    if (!l) {
        return;
    }
    qio_net_listener_disconnect(l->net);
    object_unref(OBJECT(l->net));
    while (l->clients) {
        client_destroy(l->clients->data);
    }
    g_free(l);
}

int vamt_listener_port(const VamtListener *l)
{
    g_autoptr(SocketAddress) addr = NULL;

    if (!l || !l->net->nsioc) {
        return -1;
    }
    addr = qio_channel_socket_get_local_address(l->net->sioc[0], NULL);
    if (!addr || addr->type != SOCKET_ADDRESS_TYPE_INET) {
        return -1;
    }
    return atoi(addr->u.inet.port);
}

unsigned vamt_listener_clients(const VamtListener *l)
{
    return l ? g_list_length(l->clients) : 0;
}
