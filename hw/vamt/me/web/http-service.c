/*
 * vAMT ME core: the HTTP server as a service of the ME (the byte-stream
 * connection contract of base/conn.h over VamtHttpConn)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "http.h"

static void *http_service_open(void *server, const VamtStreamOps *ops,
                               void *opaque, const char *peer)
{
    VamtHttpConn *conn = vamt_http_conn_new(server, ops, opaque);

    vamt_http_conn_set_peer(conn, peer);
    return conn;
}

static void http_service_free(void *conn)
{
    vamt_http_conn_free(conn);
}

static void http_service_input(void *conn, const uint8_t *data, size_t len)
{
    vamt_http_conn_input(conn, data, len);
}

static void http_service_eof(void *conn)
{
    vamt_http_conn_eof(conn);
}

static int64_t http_service_deadline(const void *conn)
{
    return vamt_http_conn_deadline(conn);
}

static bool http_service_tick(void *conn)
{
    return vamt_http_conn_tick(conn);
}

static bool http_service_closed(const void *conn)
{
    return vamt_http_conn_closed(conn);
}

static bool http_service_authenticated(const void *conn)
{
    return vamt_http_conn_authenticated(conn);
}

const VamtServiceClass vamt_http_service_class = {
    .name = "http",
    .open = http_service_open,
    .free = http_service_free,
    .input = http_service_input,
    .eof = http_service_eof,
    .deadline = http_service_deadline,
    .tick = http_service_tick,
    .closed = http_service_closed,
    .authenticated = http_service_authenticated,
};
