/*
 * vAMT: the ME's own outbound TCP connections, made from the host
 *
 * What the ME sends out (alerts to their subscribers, alert-egress=host)
 * leaves from QEMU's process like any other client socket.  Connecting
 * (name resolution included) runs off the main loop; reads and writes
 * never block, and what a slow peer has not taken is bounded.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-visit-sockets.h"
#include "io/channel-socket.h"
#include "hw/vamt/egress.h"
#include "trace/trace-hw_vamt.h"

/* What a peer that stops reading may leave unsent */
#define EGRESS_MAX_PENDING  (256 * 1024)

typedef struct EgressConn {
    VamtEgress *egress;
    uint64_t id;
    QIOChannelSocket *sioc;
    bool connected;
    guint in_watch;
    guint out_watch;
    GByteArray *pending;        /* written by the ME, not yet sent */
} EgressConn;

/* A connect in flight; outlives its connection when that is closed */
typedef struct EgressConnect {
    VamtEgress *egress;         /* NULL once the egress is gone */
    uint64_t id;
} EgressConnect;

struct VamtEgress {
    const VamtEgressOps *ops;
    void *opaque;
    GHashTable *conns;          /* id -> EgressConn */
    GPtrArray *connects;        /* EgressConnect in flight */
};

static void conn_free(gpointer p)
{
    EgressConn *c = p;

    if (c->in_watch) {
        g_source_remove(c->in_watch);
    }
    if (c->out_watch) {
        g_source_remove(c->out_watch);
    }
    if (c->sioc) {
        qio_channel_close(QIO_CHANNEL(c->sioc), NULL);
        object_unref(OBJECT(c->sioc));
    }
    g_byte_array_unref(c->pending);
    g_free(c);
}

VamtEgress *vamt_egress_new(const VamtEgressOps *ops, void *opaque)
{
    VamtEgress *e = g_new0(VamtEgress, 1);

    e->ops = ops;
    e->opaque = opaque;
    e->conns = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
                                     conn_free);
    e->connects = g_ptr_array_new();
    return e;
}

void vamt_egress_free(VamtEgress *e)
{
    if (!e) {
        return;
    }
    for (guint i = 0; i < e->connects->len; i++) {
        EgressConnect *pc = g_ptr_array_index(e->connects, i);

        pc->egress = NULL;
    }
    g_ptr_array_free(e->connects, TRUE);
    g_hash_table_destroy(e->conns);
    g_free(e);
}

static EgressConn *conn_find(VamtEgress *e, uint64_t id)
{
    return g_hash_table_lookup(e->conns, &id);
}

/* The connection ended on its own: tell the ME, then forget it */
static void conn_ended(VamtEgress *e, uint64_t id)
{
    trace_vamt_egress_closed(id);
    g_hash_table_remove(e->conns, &id);
    e->ops->closed(e->opaque, id);
}

static gboolean conn_readable(QIOChannel *ioc, GIOCondition cond,
                              gpointer opaque)
{
    EgressConn *c = opaque;
    VamtEgress *e = c->egress;
    uint64_t id = c->id;
    uint8_t buf[4096];
    ssize_t n = qio_channel_read(ioc, (char *)buf, sizeof(buf), NULL);

    if (n == QIO_CHANNEL_ERR_BLOCK) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        c->in_watch = 0;
        conn_ended(e, id);
        return G_SOURCE_REMOVE;
    }
    e->ops->input(e->opaque, id, buf, n);
    /* the ME may have closed it while taking the input */
    return conn_find(e, id) == c ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean conn_writable(QIOChannel *ioc, GIOCondition cond,
                              gpointer opaque);

/* Send what the peer takes now; wait for it to take the rest */
static bool conn_flush(EgressConn *c)
{
    while (c->pending->len) {
        ssize_t n = qio_channel_write(QIO_CHANNEL(c->sioc),
                                      (const char *)c->pending->data,
                                      c->pending->len, NULL);

        if (n == QIO_CHANNEL_ERR_BLOCK) {
            if (!c->out_watch) {
                c->out_watch = qio_channel_add_watch(QIO_CHANNEL(c->sioc),
                                                     G_IO_OUT, conn_writable,
                                                     c, NULL);
            }
            return true;
        }
        if (n < 0) {
            return false;
        }
        g_byte_array_remove_range(c->pending, 0, n);
    }
    return true;
}

static gboolean conn_writable(QIOChannel *ioc, GIOCondition cond,
                              gpointer opaque)
{
    EgressConn *c = opaque;

    c->out_watch = 0;
    if (!conn_flush(c)) {
        conn_ended(c->egress, c->id);
    }
    return G_SOURCE_REMOVE;
}

static void conn_connect_done(QIOTask *task, gpointer opaque)
{
    EgressConnect *pc = opaque;
    VamtEgress *e = pc->egress;
    Error *err = NULL;
    EgressConn *c = e ? conn_find(e, pc->id) : NULL;

    if (!c) {
        /* closed by the ME meanwhile, or the device went away */
        return;
    }
    if (qio_task_propagate_error(task, &err)) {
        trace_vamt_egress_failed(pc->id, error_get_pretty(err));
        error_free(err);
        conn_ended(e, pc->id);
        return;
    }
    c->connected = true;
    qio_channel_set_blocking(QIO_CHANNEL(c->sioc), false, NULL);
    c->in_watch = qio_channel_add_watch(QIO_CHANNEL(c->sioc), G_IO_IN,
                                        conn_readable, c, NULL);
    trace_vamt_egress_connected(pc->id);
    e->ops->connected(e->opaque, pc->id);
}

static void conn_connect_free(gpointer opaque)
{
    EgressConnect *pc = opaque;

    if (pc->egress) {
        g_ptr_array_remove_fast(pc->egress->connects, pc);
    }
    g_free(pc);
}

bool vamt_egress_open(VamtEgress *e, uint64_t id, const char *host,
                      uint16_t port)
{
    g_autofree char *port_text = g_strdup_printf("%u", port);
    SocketAddress addr = {
        .type = SOCKET_ADDRESS_TYPE_INET,
        .u.inet = { .host = (char *)host, .port = port_text },
    };
    EgressConnect *pc;
    EgressConn *c;

    if (g_hash_table_size(e->conns) >= VAMT_EGRESS_MAX_CONNECTIONS ||
        conn_find(e, id)) {
        return false;
    }
    c = g_new0(EgressConn, 1);
    c->egress = e;
    c->id = id;
    c->sioc = qio_channel_socket_new();
    c->pending = g_byte_array_new();
    g_hash_table_insert(e->conns, &c->id, c);
    pc = g_new0(EgressConnect, 1);
    pc->egress = e;
    pc->id = id;
    g_ptr_array_add(e->connects, pc);
    trace_vamt_egress_open(id, host, port);
    qio_channel_socket_connect_async(c->sioc, &addr, conn_connect_done, pc,
                                     conn_connect_free, NULL);
    return true;
}

void vamt_egress_write(VamtEgress *e, uint64_t id, const uint8_t *data,
                       size_t len)
{
    EgressConn *c = conn_find(e, id);

    if (!c || !c->connected) {
        return;
    }
    if (c->pending->len + len > EGRESS_MAX_PENDING) {
        conn_ended(e, id);
        return;
    }
    g_byte_array_append(c->pending, data, len);
    if (!c->out_watch && !conn_flush(c)) {
        conn_ended(e, id);
    }
}

void vamt_egress_close(VamtEgress *e, uint64_t id)
{
    g_hash_table_remove(e->conns, &id);
}
