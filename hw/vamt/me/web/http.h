/*
 * vAMT ME core: the HTTP/1.1 server of ports 16992/16993
 *
 * A connection is a state machine over an abstract byte stream: the
 * caller feeds received bytes in, and the connection writes responses and
 * asks to close through callbacks.  It parses requests (Content-Length
 * or chunked bodies, pipelining, keep-alive), authenticates them with
 * Digest, passes them to a request handler and frames the answers exactly
 * as AMT does (docs/specs/vamt-wsman.rst, "HTTP responses").  Time comes
 * from the caller so that idle timeouts can be tested.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_HTTP_H
#define VAMT_ME_HTTP_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "digest.h"
#include "firmware.h"

typedef struct VamtHttpServer VamtHttpServer;
typedef struct VamtHttpConn VamtHttpConn;

/* MeshCentral reads the version from byte 46 of the Server header line */
#define VAMT_HTTP_SERVER_PREFIX "Intel(R) Active Management Technology "

/* Default limits (docs/specs/vamt-wsman.rst, "HTTP requests") */
#define VAMT_HTTP_MAX_HEAD_BYTES        (8 * 1024)
#define VAMT_HTTP_MAX_HEADERS           64
#define VAMT_HTTP_MAX_BODY_BYTES        (1024 * 1024)
/*
 * A request without credentials whose body would exceed this gets 401
 * before its body is read: what a peer can make the ME buffer before it
 * has authenticated stays small.  WS-Man's Identify needs well under it.
 */
#define VAMT_HTTP_MAX_ANONYMOUS_BODY_BYTES  (4 * 1024)
#define VAMT_HTTP_IDLE_TIMEOUT_MS       (120 * 1000)
#define VAMT_HTTP_REQUEST_TIMEOUT_MS    (30 * 1000)

typedef struct VamtHttpHeader {
    char *name;
    char *value;
} VamtHttpHeader;

typedef struct VamtHttpRequest {
    const char *method;
    const char *target;         /* request-target exactly as sent */
    const char *path;           /* target without scheme, host and query */
    unsigned version_minor;     /* HTTP/1.x */
    GPtrArray *headers;         /* VamtHttpHeader, in the order received */
    const uint8_t *body;        /* de-chunked; NUL-terminated, not counted */
    size_t body_len;
    const char *user;           /* Digest user, NULL if not authenticated */
    VamtDigestResult auth;      /* outcome of checking Authorization */
} VamtHttpRequest;

/*
 * What the handler fills in.  The server prepares status 200, an empty
 * body and no content type.
 *
 * Framing follows docs/specs/vamt-wsman.rst, "HTTP responses": a
 * response with a content type or a
 * body is sent chunked (one upper-case, 4-digit-padded chunk) with Date,
 * Server, X-Frame-Options and Content-Type; status >= 400 adds
 * "Connection: close" and closes.  A response without either is sent
 * with Content-Length: 0 (e.g. 303 with @location).  Status 401 is
 * replaced by the standard Digest challenge page.
 */
typedef struct VamtHttpResponse {
    int status;
    const char *content_type;   /* static string, or NULL */
    GString *body;
    char *location;             /* g_malloc'ed, freed by the server */
    bool close;                 /* close the connection after it */
} VamtHttpResponse;

typedef struct VamtHttpServerOps {
    /* Monotonic milliseconds. */
    int64_t (*clock_ms)(void *opaque);
    /* Optional: seconds since the Unix epoch, for the Date header. */
    int64_t (*wall_clock_s)(void *opaque);
    /*
     * Optional: may this request be served without authentication?
     * (GET / and WS-Man Identify.)  When NULL, none may.  A request that
     * is neither authenticated nor allowed gets 401 without reaching
     * @handle.
     */
    bool (*anonymous_allowed)(void *opaque, const VamtHttpRequest *req);
    /* Answer @req into @rsp. */
    void (*handle)(void *opaque, const VamtHttpRequest *req,
                   VamtHttpResponse *rsp);
} VamtHttpServerOps;

typedef struct VamtHttpLimits {
    size_t max_head_bytes;      /* request line + headers (+ trailers) */
    unsigned max_headers;
    size_t max_body_bytes;
    size_t max_anonymous_body_bytes;    /* without an Authorization */
    int64_t idle_timeout_ms;    /* between requests */
    int64_t request_timeout_ms; /* from a request's first byte to its end */
} VamtHttpLimits;


/*
 * @digest is shared by all connections and stays owned by the caller; if
 * NULL, only anonymous requests are served and the rest get 403.
 */
VamtHttpServer *vamt_http_server_new(const VamtHttpServerOps *ops,
                                     void *opaque, VamtDigest *digest);
void vamt_http_server_free(VamtHttpServer *server);
/* The version in "Server: Intel(R) Active Management Technology X.Y.Z.B" */
void vamt_http_server_set_version(VamtHttpServer *server,
                                  const VamtFwVersion *version);
const char *vamt_http_server_header(const VamtHttpServer *server);
void vamt_http_server_set_limits(VamtHttpServer *server,
                                 const VamtHttpLimits *limits);
void vamt_http_server_get_limits(const VamtHttpServer *server,
                                 VamtHttpLimits *limits);

/*
 * Connections must be freed before their server.  Callbacks must not
 * free the connection; free it after vamt_http_conn_input() or
 * vamt_http_conn_tick() returns.
 */
VamtHttpConn *vamt_http_conn_new(VamtHttpServer *server,
                                 const VamtStreamOps *ops, void *opaque);
void vamt_http_conn_free(VamtHttpConn *conn);
/* Who is at the other end (an address): wrong passwords count per peer */
void vamt_http_conn_set_peer(VamtHttpConn *conn, const char *peer);
void vamt_http_conn_input(VamtHttpConn *conn, const uint8_t *data,
                          size_t len);
/* The peer will send no more (FIN). */
void vamt_http_conn_eof(VamtHttpConn *conn);
/*
 * When vamt_http_conn_tick() should next run (monotonic ms), -1 once
 * closed.  Tick closes a connection that was idle or took too long to
 * send a request; returns true if the connection is closed.
 */
int64_t vamt_http_conn_deadline(const VamtHttpConn *conn);
bool vamt_http_conn_tick(VamtHttpConn *conn);
bool vamt_http_conn_closed(const VamtHttpConn *conn);
/* Has a request of this connection been authenticated? */
bool vamt_http_conn_authenticated(const VamtHttpConn *conn);

/* The server as the ME's service on 16992 (vamt_http_conn_* behind it) */
extern const VamtServiceClass vamt_http_service_class;

/* Case-insensitive lookup of the first header called @name, or NULL. */
const char *vamt_http_request_header(const VamtHttpRequest *req,
                                     const char *name);
/* "Not Found" for 404 etc.; "Unknown" for codes it does not know */
const char *vamt_http_reason(int status);

#endif
