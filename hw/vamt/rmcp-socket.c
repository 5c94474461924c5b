/*
 * vAMT: ASF presence (RMCP) on a host UDP socket (listen=, rmcp-port=)
 *
 * One unconnected, non-blocking UDP socket on the listen= host: each
 * datagram goes to the ME core (vamt_me_rmcp_answer), whatever it
 * answers goes back to the sender.  QEMU's qio_channel_socket_dgram_sync()
 * connects its socket to one peer, so the socket is made here and
 * wrapped in a QIOChannelSocket for the main loop's watch.  At most a
 * budget of datagrams is read per wake-up, so a flood cannot hold the
 * main loop; a reply the socket cannot take now is dropped, as UDP may.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/sockets.h"
#include "io/channel-socket.h"
#include "hw/vamt/rmcp-socket.h"
#include "trace/trace-hw_vamt.h"

/* Datagrams read per wake-up of the main loop */
#define VAMT_RMCP_BUDGET    64
/* Longer than any ping: a longer datagram is cut, then dropped */
#define VAMT_RMCP_READ_MAX  64

struct VamtRmcpSocket {
    QIOChannelSocket *sioc;
    guint watch;
    VamtMe *me;
    uint16_t http_port;
    uint16_t tls_port;
};

static void rmcp_send(VamtRmcpSocket *r, const uint8_t *data, size_t len,
                      const struct sockaddr *peer, socklen_t peer_len)
{
    if (sendto(r->sioc->fd, data, len, 0, peer, peer_len) < 0) {
        trace_vamt_rmcp_send_failed(strerror(errno));
    }
}

static void rmcp_trace_pong(const struct sockaddr *peer, socklen_t peer_len,
                            const VamtRmcpReply *reply)
{
    char host[NI_MAXHOST] = "?";

    if (trace_event_get_state_backends(TRACE_VAMT_RMCP_PONG)) {
        getnameinfo(peer, peer_len, host, sizeof(host), NULL, 0,
                    NI_NUMERICHOST);
        trace_vamt_rmcp_pong(host, reply->pong[9], reply->ack_len != 0);
    }
}

static gboolean rmcp_readable(QIOChannel *ioc, GIOCondition cond,
                              void *opaque)
{
    VamtRmcpSocket *r = opaque;

    for (int i = 0; i < VAMT_RMCP_BUDGET; i++) {
        struct sockaddr_storage peer;
        socklen_t peer_len = sizeof(peer);
        uint8_t buf[VAMT_RMCP_READ_MAX];
        VamtRmcpReply reply;
        ssize_t n;

        n = recvfrom(r->sioc->fd, buf, sizeof(buf), 0,
                     (struct sockaddr *)&peer, &peer_len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                trace_vamt_rmcp_recv_failed(strerror(errno));
            }
            break;
        }
        switch (vamt_me_rmcp_answer(r->me, buf, n, r->http_port,
                                    r->tls_port, &reply)) {
        case VAMT_RMCP_ANSWERED:
            rmcp_trace_pong((struct sockaddr *)&peer, peer_len, &reply);
            if (reply.ack_len) {
                rmcp_send(r, reply.ack, reply.ack_len,
                          (struct sockaddr *)&peer, peer_len);
            }
            rmcp_send(r, reply.pong, reply.pong_len,
                      (struct sockaddr *)&peer, peer_len);
            break;
        case VAMT_RMCP_LIMITED:
            trace_vamt_rmcp_limited();
            break;
        default:
            trace_vamt_rmcp_dropped(n);
            break;
        }
    }
    return G_SOURCE_CONTINUE;
}

/* A non-blocking UDP socket bound to @host:@port, or -1 */
static int rmcp_bind(const char *host, uint16_t port, Error **errp)
{
    struct addrinfo hints = {
        .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
        .ai_socktype = SOCK_DGRAM,
    };
    g_autofree char *service = g_strdup_printf("%u", port);
    struct addrinfo *res, *e;
    int fd = -1, rc, err = 0;

    rc = getaddrinfo(host && *host ? host : NULL, service, &hints, &res);
    if (rc) {
        error_setg(errp, "address '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    for (e = res; e; e = e->ai_next) {
        fd = qemu_socket(e->ai_family, e->ai_socktype, e->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        /* no SO_REUSEADDR: a second VM must not share (and steal) it */
        if (bind(fd, e->ai_addr, e->ai_addrlen) == 0) {
            break;
        }
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        error_setg_errno(errp, err, "UDP port %u of '%s'", port, host);
        return -1;
    }
    qemu_socket_set_nonblock(fd);
    return fd;
}

VamtRmcpSocket *vamt_rmcp_socket_new(const char *host, uint16_t port,
                                     VamtMe *me, uint16_t http_port,
                                     uint16_t tls_port, Error **errp)
{
    VamtRmcpSocket *r;
    QIOChannelSocket *sioc;
    int fd = rmcp_bind(host, port, errp);

    if (fd < 0) {
        return NULL;
    }
    sioc = qio_channel_socket_new_fd(fd, errp);
    if (!sioc) {
        close(fd);
        return NULL;
    }
    qio_channel_set_name(QIO_CHANNEL(sioc), "vamt-rmcp");
    r = g_new0(VamtRmcpSocket, 1);
    r->sioc = sioc;
    r->me = me;
    r->http_port = http_port;
    r->tls_port = tls_port;
    r->watch = qio_channel_add_watch(QIO_CHANNEL(sioc), G_IO_IN,
                                     rmcp_readable, r, NULL);
    trace_vamt_rmcp_bound(host, vamt_rmcp_socket_port(r));
    return r;
}

void vamt_rmcp_socket_free(VamtRmcpSocket *r)
{
    if (!r) {
        return;
    }
    if (r->watch) {
        g_source_remove(r->watch);
    }
    qio_channel_close(QIO_CHANNEL(r->sioc), NULL);
    object_unref(OBJECT(r->sioc));
    g_free(r);
}

int vamt_rmcp_socket_port(const VamtRmcpSocket *r)
{
    g_autoptr(SocketAddress) addr = NULL;

    if (!r) {
        return -1;
    }
    addr = qio_channel_socket_get_local_address(r->sioc, NULL);
    if (!addr || addr->type != SOCKET_ADDRESS_TYPE_INET) {
        return -1;
    }
    return atoi(addr->u.inet.port);
}
