/*
 * vAMT ME core: the HTTP/1.1 server of ports 16992/16993
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "http.h"
#include "http-syntax.h"

/* Input is consumed in slices so one huge write cannot balloon memory */
#define INPUT_SLICE         (16 * 1024)
/* A chunk-size line: hex digits and (ignored) extensions */
#define MAX_CHUNK_LINE      1024

typedef enum ConnState {
    CONN_HEAD,              /* request line and headers */
    CONN_BODY,              /* Content-Length bytes */
    CONN_CHUNK_SIZE,
    CONN_CHUNK_DATA,
    CONN_CHUNK_END,         /* the CRLF after a chunk's data */
    CONN_TRAILER,
    CONN_CLOSED,
} ConnState;

struct VamtHttpServer {
    const VamtHttpServerOps *ops;
    void *opaque;
    VamtDigest *digest;
    char *server_header;
    VamtHttpLimits limits;
};

struct VamtHttpConn {
    VamtHttpServer *server;
    const VamtStreamOps *ops;
    void *opaque;
    ConnState state;

    GByteArray *in;
    size_t pos;                 /* first unconsumed byte of @in */
    size_t head_scan;           /* bytes after @pos known not to end a head */
    size_t trailer_bytes;

    int64_t idle_since_ms;
    int64_t request_start_ms;   /* -1: no request in progress */

    /* the request being received */
    char *method;
    char *target;
    char *path;
    unsigned version_minor;
    GPtrArray *headers;
    GByteArray *body;
    uint64_t remaining;         /* body or chunk bytes still to come */
    bool keep_alive;
    bool authenticated;         /* a request of this connection was */
    char *peer;                 /* the peer's address, or NULL */
    /* credentials checked from the head alone (all but qop=auth-int) */
    bool auth_checked;
    VamtDigestResult auth_result;
    char *auth_user;
};

static const char *const weekday_names[] = {
    "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
};

static const char *const month_names[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/*
 * The 401 page.  MPS finds the end of a 401 by "</html>", so it must end
 * with it (and a newline), as AMT's does.
 */
static const char auth_page[] =
    "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n"
    "<html><head><meta http-equiv=\"Content-Type\" "
    "content=\"text/html; charset=utf-8\">\n"
    "<title>Intel&reg; Active Management Technology</title></head>\n"
    "<body>\n"
    "<table class=header><tr><td valign=top nowrap>\n"
    "<p class=top1>Intel<sup>&reg;</sup> Active Management Technology\n"
    "</td></tr></table>\n"
    "<br>\n"
    "<h2 class=warn>Log on failed. Incorrect user name or password, "
    "or user account temporarily locked.</h2>\n"
    "<p>\n"
    "<form method=\"GET\" action=\"index.htm\"><h2>"
    "<input type=submit value=\"Try again\"></h2></form>\n"
    "<p>\n"
    "</body>\n"
    "</html>\n";

/* Server */

VamtHttpServer *vamt_http_server_new(const VamtHttpServerOps *ops,
                                     void *opaque, VamtDigest *digest)
{
    VamtHttpServer *server = g_new0(VamtHttpServer, 1);
    VamtFirmware fw;

    server->ops = ops;
    server->opaque = opaque;
    server->digest = digest;
    server->limits = (VamtHttpLimits) {
        .max_head_bytes = VAMT_HTTP_MAX_HEAD_BYTES,
        .max_headers = VAMT_HTTP_MAX_HEADERS,
        .max_body_bytes = VAMT_HTTP_MAX_BODY_BYTES,
        .max_anonymous_body_bytes = VAMT_HTTP_MAX_ANONYMOUS_BODY_BYTES,
        .idle_timeout_ms = VAMT_HTTP_IDLE_TIMEOUT_MS,
        .request_timeout_ms = VAMT_HTTP_REQUEST_TIMEOUT_MS,
    };
    vamt_firmware_init(&fw);
    vamt_http_server_set_version(server, &fw.version);
    return server;
}

void vamt_http_server_free(VamtHttpServer *server)
{
    if (!server) {
        return;
    }
    g_free(server->server_header);
    g_free(server);
}

void vamt_http_server_set_version(VamtHttpServer *server,
                                  const VamtFwVersion *version)
{
    g_free(server->server_header);
    server->server_header = g_strdup_printf(VAMT_HTTP_SERVER_PREFIX
                                            "%u.%u.%u.%u",
                                            version->major, version->minor,
                                            version->hotfix, version->build);
}

const char *vamt_http_server_header(const VamtHttpServer *server)
{
    return server->server_header;
}

void vamt_http_server_set_limits(VamtHttpServer *server,
                                 const VamtHttpLimits *limits)
{
    server->limits = *limits;
}

void vamt_http_server_get_limits(const VamtHttpServer *server,
                                 VamtHttpLimits *limits)
{
    *limits = server->limits;
}

static int64_t server_now(VamtHttpServer *server)
{
    return server->ops->clock_ms(server->opaque);
}

/* Connection: the request being received */

static void header_free(gpointer p)
{
    VamtHttpHeader *h = p;

    g_free(h->name);
    g_free(h->value);
    g_free(h);
}

static void request_reset(VamtHttpConn *conn)
{
    g_clear_pointer(&conn->method, g_free);
    g_clear_pointer(&conn->target, g_free);
    g_clear_pointer(&conn->path, g_free);
    g_ptr_array_set_size(conn->headers, 0);
    g_byte_array_set_size(conn->body, 0);
    conn->remaining = 0;
    conn->trailer_bytes = 0;
    conn->head_scan = 0;
    conn->keep_alive = false;
    conn->version_minor = 1;
    conn->auth_checked = false;
    g_clear_pointer(&conn->auth_user, g_free);
}

VamtHttpConn *vamt_http_conn_new(VamtHttpServer *server,
                                 const VamtStreamOps *ops, void *opaque)
{
    VamtHttpConn *conn = g_new0(VamtHttpConn, 1);

    conn->server = server;
    conn->ops = ops;
    conn->opaque = opaque;
    conn->state = CONN_HEAD;
    conn->in = g_byte_array_new();
    conn->headers = g_ptr_array_new_with_free_func(header_free);
    conn->body = g_byte_array_new();
    conn->idle_since_ms = server_now(server);
    conn->request_start_ms = -1;
    request_reset(conn);
    return conn;
}

void vamt_http_conn_set_peer(VamtHttpConn *conn, const char *peer)
{
    g_free(conn->peer);
    conn->peer = g_strdup(peer);
}

void vamt_http_conn_free(VamtHttpConn *conn)
{
    if (!conn) {
        return;
    }
    g_free(conn->peer);
    request_reset(conn);
    g_ptr_array_free(conn->headers, TRUE);
    g_byte_array_free(conn->body, TRUE);
    g_byte_array_free(conn->in, TRUE);
    g_free(conn);
}

bool vamt_http_conn_closed(const VamtHttpConn *conn)
{
    return conn->state == CONN_CLOSED;
}

static void conn_close(VamtHttpConn *conn)
{
    if (conn->state == CONN_CLOSED) {
        return;
    }
    conn->state = CONN_CLOSED;
    conn->ops->close(conn->opaque);
}

static void conn_send(VamtHttpConn *conn, GString *out)
{
    conn->ops->write(conn->opaque, (const uint8_t *)out->str, out->len);
}

const char *vamt_http_request_header(const VamtHttpRequest *req,
                                     const char *name)
{
    guint i;

    for (i = 0; i < req->headers->len; i++) {
        VamtHttpHeader *h = g_ptr_array_index(req->headers, i);

        if (g_ascii_strcasecmp(h->name, name) == 0) {
            return h->value;
        }
    }
    return NULL;
}

static const char *conn_header(VamtHttpConn *conn, const char *name)
{
    VamtHttpRequest req = { .headers = conn->headers };

    return vamt_http_request_header(&req, name);
}

/* Does any @name header list @token (comma-separated, any case)? */
static bool conn_header_has_token(VamtHttpConn *conn, const char *name,
                                  const char *token)
{
    guint i;

    for (i = 0; i < conn->headers->len; i++) {
        VamtHttpHeader *h = g_ptr_array_index(conn->headers, i);
        char **items;
        bool found = false;
        size_t j;

        if (g_ascii_strcasecmp(h->name, name) != 0) {
            continue;
        }
        items = g_strsplit(h->value, ",", -1);
        for (j = 0; items[j] && !found; j++) {
            found = g_ascii_strcasecmp(g_strstrip(items[j]), token) == 0;
        }
        g_strfreev(items);
        if (found) {
            return true;
        }
    }
    return false;
}

/* Responses */

static void append_status_line(GString *out, int status)
{
    g_string_append_printf(out, "HTTP/1.1 %d %s\r\n", status,
                           vamt_http_reason(status));
}

static void append_date(GString *out, VamtHttpServer *server)
{
    GDateTime *dt;

    if (!server->ops->wall_clock_s) {
        return;
    }
    dt = g_date_time_new_from_unix_utc(
        server->ops->wall_clock_s(server->opaque));
    if (!dt) {
        return;
    }
    /* fixed English names: strftime's %a/%b would follow the locale */
    g_string_append_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
                           weekday_names[g_date_time_get_day_of_week(dt) - 1],
                           g_date_time_get_day_of_month(dt),
                           month_names[g_date_time_get_month(dt) - 1],
                           g_date_time_get_year(dt),
                           g_date_time_get_hour(dt),
                           g_date_time_get_minute(dt),
                           g_date_time_get_second(dt));
    g_date_time_unref(dt);
}

/* An error the HTTP layer itself detects; always closes. */
static void conn_fail(VamtHttpConn *conn, int status, const char *why)
{
    GString *out = g_string_new(NULL);
    GString *page = g_string_new(NULL);

    g_string_append_printf(page, "<html><head><title>%d %s</title></head>"
                           "<body><h1>%d %s</h1><p>%s</p></body></html>\n",
                           status, vamt_http_reason(status),
                           status, vamt_http_reason(status), why);
    append_status_line(out, status);
    g_string_append_printf(out, "Server: %s\r\n"
                           "Content-Type: text/html\r\n"
                           "Content-Length: %zu\r\n"
                           "Connection: close\r\n\r\n",
                           conn->server->server_header, page->len);
    g_string_append_len(out, page->str, page->len);
    conn_send(conn, out);
    g_string_free(page, TRUE);
    g_string_free(out, TRUE);
    conn_close(conn);
}

/*
 * The Digest challenge, shaped as AMT sends it (docs/specs/vamt-wsman.rst,
 * "HTTP responses" and "Digest authentication")
 */
static void send_unauthorized(VamtHttpConn *conn, bool stale)
{
    GString *out = g_string_new(NULL);
    char *challenge;

    if (!conn->server->digest) {
        g_string_free(out, TRUE);
        conn_fail(conn, 403, "No accounts are configured.");
        return;
    }
    challenge = vamt_digest_challenge(conn->server->digest, stale);

    append_status_line(out, 401);
    g_string_append_printf(out, "WWW-Authenticate: %s\r\n"
                           "Content-Type: text/html\r\n"
                           "Server: %s\r\n"
                           "Content-Length: %zu\r\n"
                           "Connection: close\r\n\r\n",
                           challenge, conn->server->server_header,
                           sizeof(auth_page) - 1);
    g_string_append_len(out, auth_page, sizeof(auth_page) - 1);
    conn_send(conn, out);
    g_free(challenge);
    g_string_free(out, TRUE);
}

/*
 * Check the credentials as soon as the head is in, unless they cover the
 * body (qop=auth-int): a request whose credentials fail is then known
 * before its body is read.
 */
static void conn_check_credentials(VamtHttpConn *conn)
{
    const char *authorization = conn_header(conn, "Authorization");
    VamtDigestParams params;
    bool covers_body = false;

    if (!authorization || !conn->server->digest) {
        return;
    }
    if (vamt_digest_parse(authorization, &params)) {
        covers_body = params.qop &&
                      !g_ascii_strcasecmp(params.qop, "auth-int");
        vamt_digest_params_clear(&params);
    }
    if (covers_body) {
        return;
    }
    conn->auth_result = vamt_digest_check_from(conn->server->digest,
                                               conn->peer, conn->method,
                                               conn->target, authorization,
                                               NULL, 0, &conn->auth_user);
    conn->auth_checked = true;
}

/*
 * A body this large from a peer that has not authenticated (no
 * credentials, or credentials that failed) is never read: the
 * challenge goes out at once and the connection closes.
 */
static bool conn_refuse_anonymous_body(VamtHttpConn *conn, uint64_t total)
{
    bool unproven = conn->auth_checked ? !conn->auth_user
                                       : !conn_header(conn, "Authorization");

    if (total <= conn->server->limits.max_anonymous_body_bytes ||
        !unproven) {
        return false;
    }
    send_unauthorized(conn, conn->auth_checked &&
                            conn->auth_result == VAMT_DIGEST_STALE);
    conn_close(conn);
    return true;
}

static void send_response(VamtHttpConn *conn, const VamtHttpResponse *rsp,
                          bool head_only, bool close)
{
    GString *out = g_string_new(NULL);
    VamtHttpServer *server = conn->server;

    append_status_line(out, rsp->status);
    if (rsp->content_type || rsp->body->len) {
        append_date(out, server);
        g_string_append_printf(out, "Server: %s\r\n"
                               "X-Frame-Options: DENY\r\n",
                               server->server_header);
        if (rsp->content_type) {
            g_string_append_printf(out, "Content-Type: %s\r\n",
                                   rsp->content_type);
        }
        /* MPS finds the end of a non-401 answer only by the last chunk */
        g_string_append(out, "Transfer-Encoding: chunked\r\n");
        if (close) {
            g_string_append(out, "Connection: close\r\n");
        }
        g_string_append(out, "\r\n");
        if (!head_only) {
            if (rsp->body->len) {
                /* one chunk, size in 4+ upper-case hex digits like AMT */
                g_string_append_printf(out, "%04zX\r\n", rsp->body->len);
                g_string_append_len(out, rsp->body->str, rsp->body->len);
                g_string_append(out, "\r\n");
            }
            g_string_append(out, "0\r\n\r\n");
        }
    } else {
        if (rsp->location) {
            g_string_append_printf(out, "Location: %s\r\n", rsp->location);
        }
        g_string_append_printf(out, "Content-Length: 0\r\n"
                               "Server: %s\r\n", server->server_header);
        if (close) {
            g_string_append(out, "Connection: close\r\n");
        }
        g_string_append(out, "\r\n");
    }
    conn_send(conn, out);
    g_string_free(out, TRUE);
}

/* A complete request has arrived: authenticate, handle, answer. */
static void conn_dispatch(VamtHttpConn *conn)
{
    VamtHttpServer *server = conn->server;
    const char *authorization = conn_header(conn, "Authorization");
    VamtHttpResponse rsp = { .status = 200 };
    VamtHttpRequest req = {
        .method = conn->method,
        .target = conn->target,
        .path = conn->path,
        .version_minor = conn->version_minor,
        .headers = conn->headers,
        .body_len = conn->body->len,
    };
    char *user = NULL;
    bool close;

    /* NUL-terminate the body for parsers that want a string */
    g_byte_array_append(conn->body, (const guint8 *)"", 1);
    req.body = conn->body->data;

    /* without an authenticator only anonymous requests can be served */
    if (conn->auth_checked) {
        req.auth = conn->auth_result;
        user = g_steal_pointer(&conn->auth_user);
    } else {
        req.auth = !server->digest ? VAMT_DIGEST_MISSING :
                   vamt_digest_check_from(server->digest, conn->peer,
                                          conn->method, conn->target,
                                          authorization, req.body,
                                          req.body_len, &user);
    }
    req.user = user;
    conn->authenticated |= user != NULL;

    if (!user && !(server->ops->anonymous_allowed &&
                   server->ops->anonymous_allowed(server->opaque, &req))) {
        send_unauthorized(conn, req.auth == VAMT_DIGEST_STALE);
        g_free(user);
        conn_close(conn);
        return;
    }

    rsp.body = g_string_new(NULL);
    server->ops->handle(server->opaque, &req, &rsp);
    if (rsp.status == 401) {
        send_unauthorized(conn, req.auth == VAMT_DIGEST_STALE);
        close = true;
    } else {
        close = !conn->keep_alive || rsp.close || rsp.status >= 400;
        send_response(conn, &rsp, strcmp(conn->method, "HEAD") == 0, close);
    }
    g_string_free(rsp.body, TRUE);
    g_free(rsp.location);
    g_free(user);

    if (close) {
        conn_close(conn);
        return;
    }
    request_reset(conn);
    conn->state = CONN_HEAD;
    conn->request_start_ms = -1;
    conn->idle_since_ms = server_now(server);
}

/* Parsing */

static bool parse_request_line(VamtHttpConn *conn, const char *line,
                               int *status)
{
    const char *sp, *target, *version;
    size_t i;

    *status = 400;
    sp = strchr(line, ' ');
    if (!sp || !vamt_http_is_token(line, sp - line)) {
        return false;
    }
    target = sp;
    while (*target == ' ') {
        target++;
    }
    sp = strchr(target, ' ');
    if (!sp || sp == target) {
        return false;       /* HTTP/0.9 or no target */
    }
    for (i = 0; i < (size_t)(sp - target); i++) {
        if ((unsigned char)target[i] < 0x21 || target[i] == 0x7f) {
            return false;
        }
    }
    version = sp;
    while (*version == ' ') {
        version++;
    }
    if (strncmp(version, "HTTP/", 5) != 0 || !g_ascii_isdigit(version[5]) ||
        version[6] != '.' || !g_ascii_isdigit(version[7]) ||
        version[8] != '\0') {
        return false;
    }
    if (version[5] != '1') {
        *status = 505;
        return false;
    }

    conn->method = g_strndup(line, strchr(line, ' ') - line);
    conn->target = g_strndup(target, sp - target);
    conn->version_minor = version[7] - '0';
    conn->path = vamt_http_target_path(conn->target);
    return conn->path != NULL;
}

static bool parse_header_line(VamtHttpConn *conn, const char *line,
                              int *status)
{
    const char *colon;
    VamtHttpHeader *h;

    *status = 400;
    if (*line == ' ' || *line == '\t') {
        /* obsolete line folding: continue the previous value */
        char *joined;

        if (!conn->headers->len) {
            return false;
        }
        h = g_ptr_array_index(conn->headers, conn->headers->len - 1);
        joined = g_strdup_printf("%s %s", h->value, line);
        g_free(h->value);
        h->value = g_strstrip(joined);
        return true;
    }
    colon = strchr(line, ':');
    /* no whitespace between name and colon (request smuggling) */
    if (!colon || !vamt_http_is_token(line, colon - line)) {
        return false;
    }
    if (conn->headers->len >= conn->server->limits.max_headers) {
        *status = 431;
        return false;
    }
    h = g_new(VamtHttpHeader, 1);
    h->name = g_strndup(line, colon - line);
    h->value = g_strstrip(g_strdup(colon + 1));
    g_ptr_array_add(conn->headers, h);
    return true;
}

/* Parse "123" or the list "123, 123"; false if invalid or inconsistent */
/* Decide how the body is framed after the head was parsed. */
static void conn_start_body(VamtHttpConn *conn)
{
    VamtHttpServer *server = conn->server;
    const char *te = conn_header(conn, "Transfer-Encoding");
    bool has_cl = false;
    uint64_t length = 0;
    guint i;

    for (i = 0; i < conn->headers->len; i++) {
        VamtHttpHeader *h = g_ptr_array_index(conn->headers, i);
        uint64_t n = 0;

        if (g_ascii_strcasecmp(h->name, "Content-Length") != 0) {
            continue;
        }
        if (!vamt_http_parse_content_length(h->value, &n) ||
            (has_cl && n != length)) {
            conn_fail(conn, 400, "Invalid Content-Length.");
            return;
        }
        has_cl = true;
        length = n;
    }

    if (conn->version_minor == 0) {
        conn->keep_alive = conn_header_has_token(conn, "Connection",
                                                 "keep-alive");
    } else {
        conn->keep_alive = !conn_header_has_token(conn, "Connection",
                                                  "close");
    }

    conn_check_credentials(conn);
    if (te) {
        if (has_cl) {
            /* ambiguous framing is how requests get smuggled */
            conn_fail(conn, 400,
                      "Both Transfer-Encoding and Content-Length.");
            return;
        }
        if (g_ascii_strcasecmp(te, "chunked") != 0) {
            conn_fail(conn, 501, "Only chunked transfer coding is supported.");
            return;
        }
        conn->state = CONN_CHUNK_SIZE;
    } else if (length > server->limits.max_body_bytes) {
        conn_fail(conn, 413, "Request body too large.");
        return;
    } else if (conn_refuse_anonymous_body(conn, length)) {
        return;
    } else if (length > 0) {
        conn->remaining = length;
        conn->state = CONN_BODY;
    } else {
        conn_dispatch(conn);
        return;
    }

    if (conn->version_minor > 0) {
        const char *expect = conn_header(conn, "Expect");

        if (expect && g_ascii_strcasecmp(expect, "100-continue") == 0) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

            conn->ops->write(conn->opaque, (const uint8_t *)cont,
                             sizeof(cont) - 1);
        }
    }
}

/*
 * Find the blank line that ends the head; returns its end offset in
 * @conn->in, or 0 if not there yet.  Bare LF line ends are accepted.
 */
static size_t find_head_end(VamtHttpConn *conn)
{
    const uint8_t *data = conn->in->data;
    size_t len = conn->in->len;
    size_t i = conn->pos + conn->head_scan;

    for (; i < len; i++) {
        if (data[i] != '\n') {
            continue;
        }
        if (i + 1 >= len) {
            break;
        }
        if (data[i + 1] == '\n') {
            return i + 2;
        }
        if (data[i + 1] == '\r') {
            if (i + 2 >= len) {
                break;
            }
            if (data[i + 2] == '\n') {
                return i + 3;
            }
        }
    }
    conn->head_scan = i - conn->pos;
    return 0;
}

static void conn_parse_head(VamtHttpConn *conn, size_t end)
{
    const char *start = (const char *)conn->in->data + conn->pos;
    size_t len = end - conn->pos;
    char *head;
    char **lines;
    int status = 400;
    bool ok;
    size_t i;

    if (memchr(start, '\0', len)) {
        conn_fail(conn, 400, "NUL byte in request head.");
        return;
    }
    head = g_strndup(start, len);
    conn->pos = end;
    lines = g_strsplit(head, "\n", -1);
    g_free(head);
    for (i = 0; lines[i]; i++) {
        size_t l = strlen(lines[i]);

        if (l && lines[i][l - 1] == '\r') {
            lines[i][l - 1] = '\0';
        }
    }

    ok = parse_request_line(conn, lines[0], &status);
    for (i = 1; ok && lines[i] && lines[i][0]; i++) {
        ok = parse_header_line(conn, lines[i], &status);
    }
    g_strfreev(lines);

    if (!ok) {
        conn_fail(conn, status, status == 505 ? "Only HTTP/1.x is served." :
                  status == 431 ? "Too many header fields." :
                  "Malformed request line or header field.");
        return;
    }
    conn_start_body(conn);
}

/* Take one line (without CR LF) from the input; NULL if incomplete. */
static char *take_line(VamtHttpConn *conn, size_t limit, bool *too_long)
{
    const uint8_t *start = conn->in->data + conn->pos;
    size_t avail = conn->in->len - conn->pos;
    const uint8_t *nl = memchr(start, '\n', avail);
    size_t len;

    *too_long = false;
    if (!nl) {
        *too_long = avail > limit;
        return NULL;
    }
    len = nl - start;
    if (len > limit) {
        *too_long = true;
        return NULL;
    }
    conn->pos += len + 1;
    if (len && start[len - 1] == '\r') {
        len--;
    }
    return g_strndup((const char *)start, len);
}

static void conn_chunk_size(VamtHttpConn *conn)
{
    bool too_long;
    char *line = take_line(conn, MAX_CHUNK_LINE, &too_long);
    const char *p;
    uint64_t size = 0;
    size_t digits = 0;

    if (!line) {
        if (too_long) {
            conn_fail(conn, 400, "Chunk size line too long.");
        }
        return;
    }
    for (p = line; g_ascii_isxdigit(*p); p++) {
        if (size > (G_MAXUINT64 >> 4)) {
            break;
        }
        size = (size << 4) | g_ascii_xdigit_value(*p);
        digits++;
    }
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (!digits || (*p && *p != ';')) {
        bool overflow = g_ascii_isxdigit(*p);

        g_free(line);
        conn_fail(conn, overflow ? 413 : 400,
                  overflow ? "Chunk too large." : "Malformed chunk size.");
        return;
    }
    g_free(line);

    if (size > conn->server->limits.max_body_bytes - conn->body->len) {
        conn_fail(conn, 413, "Request body too large.");
        return;
    }
    if (conn_refuse_anonymous_body(conn, conn->body->len + size)) {
        return;
    }
    if (size == 0) {
        conn->state = CONN_TRAILER;
    } else {
        conn->remaining = size;
        conn->state = CONN_CHUNK_DATA;
    }
}

static void conn_take_body(VamtHttpConn *conn)
{
    size_t avail = conn->in->len - conn->pos;
    size_t n = MIN(avail, conn->remaining);

    g_byte_array_append(conn->body, conn->in->data + conn->pos, n);
    conn->pos += n;
    conn->remaining -= n;
    if (conn->remaining) {
        return;
    }
    if (conn->state == CONN_BODY) {
        conn_dispatch(conn);
    } else {
        conn->state = CONN_CHUNK_END;
    }
}

static void conn_chunk_end(VamtHttpConn *conn)
{
    bool too_long;
    char *line = take_line(conn, 2, &too_long);

    if (!line) {
        if (too_long) {
            conn_fail(conn, 400, "Chunk data longer than its size.");
        }
        return;
    }
    if (line[0]) {
        g_free(line);
        conn_fail(conn, 400, "Chunk data longer than its size.");
        return;
    }
    g_free(line);
    conn->state = CONN_CHUNK_SIZE;
}

static void conn_trailer(VamtHttpConn *conn)
{
    size_t limit = conn->server->limits.max_head_bytes;
    size_t before = conn->pos;
    bool too_long;
    char *line = take_line(conn, limit, &too_long);

    if (!line) {
        if (too_long) {
            conn_fail(conn, 431, "Trailer too large.");
        }
        return;
    }
    conn->trailer_bytes += conn->pos - before;
    if (conn->trailer_bytes > limit) {
        g_free(line);
        conn_fail(conn, 431, "Trailer too large.");
        return;
    }
    /* trailer fields carry nothing we use */
    if (!line[0]) {
        conn_dispatch(conn);
    }
    g_free(line);
}

/* Consume as much of the buffered input as possible. */
static void conn_process(VamtHttpConn *conn)
{
    VamtHttpServer *server = conn->server;

    while (conn->state != CONN_CLOSED && conn->pos < conn->in->len) {
        size_t before = conn->pos;
        ConnState state = conn->state;

        switch (conn->state) {
        case CONN_HEAD: {
            size_t end;

            /* blank lines before a request are allowed (RFC 9112 2.2) */
            if (conn->request_start_ms < 0) {
                while (conn->pos < conn->in->len &&
                       (conn->in->data[conn->pos] == '\r' ||
                        conn->in->data[conn->pos] == '\n')) {
                    conn->pos++;
                }
                if (conn->pos == conn->in->len) {
                    return;
                }
                conn->request_start_ms = server_now(server);
                /* e.g. a TLS ClientHello on the plain port: say so now */
                if (!vamt_http_is_tchar(conn->in->data[conn->pos])) {
                    conn_fail(conn, 400, "This is not an HTTP request.");
                    return;
                }
            }
            end = find_head_end(conn);
            if (!end) {
                if (conn->in->len - conn->pos > server->limits.max_head_bytes) {
                    conn_fail(conn, 431, "Request head too large.");
                }
                return;
            }
            if (end - conn->pos > server->limits.max_head_bytes) {
                conn_fail(conn, 431, "Request head too large.");
                return;
            }
            conn_parse_head(conn, end);
            break;
        }
        case CONN_BODY:
        case CONN_CHUNK_DATA:
            conn_take_body(conn);
            break;
        case CONN_CHUNK_SIZE:
            conn_chunk_size(conn);
            break;
        case CONN_CHUNK_END:
            conn_chunk_end(conn);
            break;
        case CONN_TRAILER:
            conn_trailer(conn);
            break;
        case CONN_CLOSED:
            return;
        }

        if (conn->pos == before && conn->state == state) {
            return;     /* needs more input */
        }
    }
}

void vamt_http_conn_input(VamtHttpConn *conn, const uint8_t *data,
                          size_t len)
{
    while (len && conn->state != CONN_CLOSED) {
        size_t n = MIN(len, INPUT_SLICE);

        g_byte_array_append(conn->in, data, n);
        data += n;
        len -= n;
        conn_process(conn);
        if (conn->pos) {
            g_byte_array_remove_range(conn->in, 0, conn->pos);
            conn->pos = 0;
        }
    }
    if (conn->state == CONN_CLOSED) {
        g_byte_array_set_size(conn->in, 0);
        conn->pos = 0;
    }
}

void vamt_http_conn_eof(VamtHttpConn *conn)
{
    /* an unfinished request can never complete now; nothing to answer */
    conn_close(conn);
}

int64_t vamt_http_conn_deadline(const VamtHttpConn *conn)
{
    const VamtHttpLimits *limits = &conn->server->limits;

    if (conn->state == CONN_CLOSED) {
        return -1;
    }
    if (conn->request_start_ms >= 0) {
        return conn->request_start_ms + limits->request_timeout_ms;
    }
    return conn->idle_since_ms + limits->idle_timeout_ms;
}

bool vamt_http_conn_tick(VamtHttpConn *conn)
{
    int64_t deadline = vamt_http_conn_deadline(conn);

    if (deadline < 0) {
        return true;
    }
    if (server_now(conn->server) < deadline) {
        return false;
    }
    if (conn->request_start_ms >= 0) {
        conn_fail(conn, 408, "The request did not arrive in time.");
    } else {
        /* idle keep-alive: a silent close, as a client may be mid-send */
        conn_close(conn);
    }
    return true;
}

bool vamt_http_conn_authenticated(const VamtHttpConn *conn)
{
    return conn->authenticated;
}
