/*
 * vAMT ME core: the byte-stream connection contract
 *
 * Every service of the ME (HTTP on 16992/16993, later redirection on
 * 16994/16995 and the RFB server) is a state machine fed with the bytes
 * a transport received; it writes and closes through VamtStreamOps and
 * reports when it next needs the time (its deadline, on the ME's clock).
 * Every transport (a host socket, the ME's TCP endpoint on the guest
 * NIC, TLS, an APF channel over LME or CIRA) drives every service
 * through the same calls, so neither knows the other.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_CONN_H
#define VAMT_ME_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * The peer of every connection an in-guest agent opens through LME (what
 * LMS forwards from 127.0.0.1): AMT treats these as local, which is what
 * local-only accounts and the local system account need.
 */
#define VAMT_PEER_LOCAL     "local"

static inline bool vamt_peer_is_local(const char *peer)
{
    return peer && !strcmp(peer, VAMT_PEER_LOCAL);
}

/* How a connection reaches its transport */
typedef struct VamtStreamOps {
    void (*write)(void *opaque, const uint8_t *data, size_t len);
    /* Called once; the connection ignores input from then on. */
    void (*close)(void *opaque);
    /*
     * Optional: bytes written and not yet taken by the peer, so a
     * connection that streams (SOL) can hold back instead of making the
     * transport buffer without bound.
     */
    size_t (*pending)(void *opaque);
    /*
     * Optional: something happened outside input, eof and tick (guest
     * output, a session closed from elsewhere): flush what was written
     * and read the deadline again soon.
     */
    void (*wake)(void *opaque);
} VamtStreamOps;

/*
 * What a service does for its connections.  Callbacks of @ops must not
 * free the connection: free it after input, eof or tick returned.
 */
typedef struct VamtServiceClass {
    const char *name;
    /* @peer: the peer's address as text ("" if unknown), for its limits */
    void *(*open)(void *service, const VamtStreamOps *ops, void *opaque,
                  const char *peer);
    void (*free)(void *conn);
    void (*input)(void *conn, const uint8_t *data, size_t len);
    /* The peer will send no more (FIN). */
    void (*eof)(void *conn);
    /* When tick should next run (ME clock, ms); -1 once closed */
    int64_t (*deadline)(const void *conn);
    /* Time-outs; true if the connection is closed */
    bool (*tick)(void *conn);
    bool (*closed)(const void *conn);
    /*
     * Optional: has the peer proven who it is (an authenticated request)?
     * Transports shed unauthenticated connections first at their caps.
     */
    bool (*authenticated)(const void *conn);
} VamtServiceClass;

/* One service of the ME, behind one AMT port */
typedef struct VamtService {
    const VamtServiceClass *cls;
    void *impl;
    uint16_t port;
} VamtService;

/* A connection of a service, as a transport holds it */
typedef struct VamtConn {
    const VamtServiceClass *cls;
    void *impl;
} VamtConn;

static inline VamtConn vamt_conn_open(const VamtService *service,
                                      const VamtStreamOps *ops, void *opaque,
                                      const char *peer)
{
    return (VamtConn) {
        .cls = service->cls,
        .impl = service->cls->open(service->impl, ops, opaque, peer),
    };
}

static inline void vamt_conn_free(VamtConn *conn)
{
    if (conn->impl) {
        conn->cls->free(conn->impl);
        conn->impl = NULL;
    }
}

static inline void vamt_conn_input(VamtConn *conn, const uint8_t *data,
                                   size_t len)
{
    conn->cls->input(conn->impl, data, len);
}

static inline void vamt_conn_eof(VamtConn *conn)
{
    conn->cls->eof(conn->impl);
}

static inline int64_t vamt_conn_deadline(const VamtConn *conn)
{
    return conn->cls->deadline(conn->impl);
}

static inline bool vamt_conn_tick(VamtConn *conn)
{
    return conn->cls->tick(conn->impl);
}

static inline bool vamt_conn_closed(const VamtConn *conn)
{
    return conn->cls->closed(conn->impl);
}

static inline bool vamt_conn_authenticated(const VamtConn *conn)
{
    return conn->cls->authenticated && conn->cls->authenticated(conn->impl);
}

#endif
