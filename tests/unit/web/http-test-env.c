/*
 * The HTTP unit tests' environment (http-test-env.h)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "http-test-env.h"
#include "xml-reader.h"

/* Platform */

static int64_t env_clock(void *opaque)
{
    return ((Env *)opaque)->auth.now_ms;
}

static int64_t env_wall_clock(void *opaque)
{
    return 1679352490;          /* Mon, 20 Mar 2023 22:48:10 GMT */
}

static bool body_has(const VamtHttpRequest *req, const char *what)
{
    return strstr((const char *)req->body, what) != NULL;
}

/* What the WS-Man layer will do: GET / and Identify need no login */
static bool env_anonymous_allowed(void *opaque, const VamtHttpRequest *req)
{
    if (strcmp(req->method, "GET") == 0) {
        return strcmp(req->path, "/") == 0;
    }
    return strcmp(req->path, "/wsman") == 0 && body_has(req, "Identify");
}

/* A stand-in for the layers above */
static void env_handle(void *opaque, const VamtHttpRequest *req,
                       VamtHttpResponse *rsp)
{
    Env *env = opaque;

    g_ptr_array_add(env->handled,
                    g_strdup_printf("%s %s %s %zu", req->method, req->path,
                                    req->user ? req->user : "-",
                                    req->body_len));
    g_string_assign(env->last_body, (const char *)req->body);

    if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/") == 0) {
        rsp->status = 303;
        rsp->location = g_strdup("/logon.htm");
    } else if (strcmp(req->method, "POST") != 0) {
        rsp->status = 405;
    } else if (strcmp(req->path, "/wsman") == 0) {
        rsp->content_type = SOAP_TYPE;
        if (body_has(req, "AMT_DoesNotExist")) {
            rsp->status = 400;
            g_string_append(rsp->body, "<a:Envelope>fault</a:Envelope>");
        } else if (body_has(req, "BigResponse")) {
            g_string_append_c(rsp->body, '<');
            while (rsp->body->len < 70000) {
                g_string_append(rsp->body, "0123456789");
            }
            g_string_append_c(rsp->body, '>');
        } else if (body_has(req, "Identify")) {
            g_string_append(rsp->body, "<b:IdentifyResponse/>");
        } else {
            g_string_append_printf(rsp->body, "<ok user=\"%s\"/>",
                                   req->user);
        }
    } else if (g_str_has_suffix(req->path, "Service")) {
        rsp->content_type = "text/xml; charset=utf-8";
        g_string_append(rsp->body, "<SOAP-ENV:Envelope/>");
    } else {
        rsp->status = 404;
    }
}

static const VamtHttpServerOps server_ops = {
    .clock_ms = env_clock,
    .wall_clock_s = env_wall_clock,
    .anonymous_allowed = env_anonymous_allowed,
    .handle = env_handle,
};

void env_init(Env *env)
{
    VamtFwVersion version = { 16, 1, 25, 2124 };

    memset(env, 0, sizeof(*env));
    vamt_test_digest_env_init(&env->auth, 5000000, 7);
    env->server = vamt_http_server_new(&server_ops, env, env->auth.digest);
    vamt_http_server_set_version(env->server, &version);
    env->handled = g_ptr_array_new_with_free_func(g_free);
    env->last_body = g_string_new(NULL);
}

void env_fini(Env *env)
{
    vamt_http_server_free(env->server);
    vamt_test_digest_env_destroy(&env->auth);
    g_ptr_array_free(env->handled, TRUE);
    g_string_free(env->last_body, TRUE);
}

/* Transport */

static void peer_write(void *opaque, const uint8_t *data, size_t len)
{
    Peer *peer = opaque;

    g_assert_cmpuint(peer->closes, ==, 0);
    g_byte_array_append(peer->out, data, len);
}

static void peer_close(void *opaque)
{
    ((Peer *)opaque)->closes++;
}

static const VamtStreamOps peer_ops = {
    .write = peer_write,
    .close = peer_close,
};

Peer *peer_new(Env *env)
{
    Peer *peer = g_new0(Peer, 1);

    peer->out = g_byte_array_new();
    peer->conn = vamt_http_conn_new(env->server, &peer_ops, peer);
    return peer;
}

void peer_free(Peer *peer)
{
    vamt_http_conn_free(peer->conn);
    g_byte_array_free(peer->out, TRUE);
    g_free(peer);
}

void peer_send(Peer *peer, const char *data, size_t len)
{
    vamt_http_conn_input(peer->conn, (const uint8_t *)data, len);
}

void peer_send_str(Peer *peer, const char *data)
{
    peer_send(peer, data, strlen(data));
}

bool peer_closed(Peer *peer)
{
    g_assert_cmpuint(peer->closes, <=, 1);
    g_assert_cmpint(vamt_http_conn_closed(peer->conn), ==, peer->closes);
    return peer->closes == 1;
}

/* Response parsing, strict: anything a console could trip over fails */

void resp_free(gpointer p)
{
    Resp *r = p;

    g_free(r->status_line);
    g_free(r->first_chunk_line);
    g_ptr_array_free(r->header_lines, TRUE);
    g_string_free(r->body, TRUE);
    g_free(r);
}

const char *resp_header(const Resp *r, const char *name)
{
    size_t len = strlen(name);
    guint i;

    for (i = 0; i < r->header_lines->len; i++) {
        const char *line = g_ptr_array_index(r->header_lines, i);

        if (g_ascii_strncasecmp(line, name, len) == 0 && line[len] == ':') {
            return line + len + 2;
        }
    }
    return NULL;
}

/* The header names in order, e.g. "Date,Server,Content-Type" */
char *resp_header_order(const Resp *r)
{
    GString *s = g_string_new(NULL);
    guint i;

    for (i = 0; i < r->header_lines->len; i++) {
        const char *line = g_ptr_array_index(r->header_lines, i);

        g_string_append_printf(s, "%s%.*s", i ? "," : "",
                               (int)(strchr(line, ':') - line), line);
    }
    return g_string_free(s, FALSE);
}

static const char *find_crlf(const char *p, const char *end)
{
    for (; p + 1 < end; p++) {
        if (p[0] == '\r' && p[1] == '\n') {
            return p;
        }
    }
    return NULL;
}

GPtrArray *parse_responses(GByteArray *out)
{
    GPtrArray *list = g_ptr_array_new_with_free_func(resp_free);
    const char *p = (const char *)out->data;
    const char *end = p + out->len;

    while (p < end) {
        Resp *r = g_new0(Resp, 1);
        const char *eol = find_crlf(p, end);
        const char *te, *cl;

        r->header_lines = g_ptr_array_new_with_free_func(g_free);
        r->body = g_string_new(NULL);
        g_ptr_array_add(list, r);

        g_assert_nonnull(eol);
        r->status_line = g_strndup(p, eol - p);
        g_assert_true(g_str_has_prefix(r->status_line, "HTTP/1.1 "));
        r->status = atoi(r->status_line + 9);
        p = eol + 2;
        for (;;) {
            eol = find_crlf(p, end);
            g_assert_nonnull(eol);
            if (eol == p) {
                p += 2;
                break;
            }
            g_assert_nonnull(memchr(p, ':', eol - p));
            g_ptr_array_add(r->header_lines, g_strndup(p, eol - p));
            p = eol + 2;
        }
        if (r->status < 200) {
            continue;
        }

        te = resp_header(r, "Transfer-Encoding");
        cl = resp_header(r, "Content-Length");
        /* exactly one framing, so every client finds the end */
        g_assert_true(!te != !cl);
        if (te) {
            g_assert_cmpstr(te, ==, "chunked");
            r->chunked = true;
            for (;;) {
                guint64 size;
                char *line;

                eol = find_crlf(p, end);
                g_assert_nonnull(eol);
                line = g_strndup(p, eol - p);
                size = g_ascii_strtoull(line, NULL, 16);
                if (!r->first_chunk_line) {
                    r->first_chunk_line = line;
                } else {
                    g_free(line);
                }
                p = eol + 2;
                g_assert_cmpint(end - p, >=, size + 2);
                g_string_append_len(r->body, p, size);
                p += size;
                g_assert_true(p[0] == '\r' && p[1] == '\n');
                p += 2;
                if (!size) {
                    break;
                }
            }
        } else {
            guint64 size = g_ascii_strtoull(cl, NULL, 10);

            g_assert_cmpint(end - p, >=, size);
            g_string_append_len(r->body, p, size);
            p += size;
        }
    }
    return list;
}

/* Send @data on @peer; all the responses it has got so far */
GPtrArray *peer_exchange(Peer *peer, const char *data)
{
    peer_send_str(peer, data);
    return parse_responses(peer->out);
}

/* Done with @peer and what peer_exchange() returned */
void peer_free_with_responses(Peer *peer, GPtrArray *rsps)
{
    g_ptr_array_free(rsps, TRUE);
    peer_free(peer);
}

/* The only response the peer got so far */
Resp *single_response(GPtrArray *list)
{
    g_assert_cmpuint(list->len, ==, 1);
    return g_ptr_array_index(list, 0);
}

/* The nonce out of a 401, the way MeshCentral picks it */
char *challenge_nonce(const Resp *r)
{
    return vamt_test_challenge_nonce(resp_header(r, "WWW-Authenticate"));
}

/* A MeshCentral request with Digest credentials computed by hand */
char *mesh_request(const char *nonce, unsigned nc,
                   const char *password, const char *uri,
                   const char *body)
{
    g_autofree char *nc_hex = g_strdup_printf("%08x", nc);
    const VamtTestDigestAuth a = {
        .user = "admin", .realm = REALM, .password = password, .uri = uri,
        .nonce = nonce, .nc = nc_hex, .cnonce = "0a4f113b",
    };
    g_autofree char *authorization = vamt_test_digest_authorization(&a);

    return vamt_test_post_request("127.0.0.1:16992", uri, authorization,
                                  body);
}

const char enum_body[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?><Envelope><Header>"
    "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
    "</a:Action></Header><Body/></Envelope>";

const char anon_request[] =
    "POST /wsman HTTP/1.1\r\n"
    "Host: 127.0.0.1:16992\r\n"
    "Content-Length: 0\r\n\r\n";

/*
 * Check the 401 of docs/specs/vamt-wsman.rst, "HTTP responses", byte for
 * byte where it matters.
 */
void assert_challenge(const Resp *r, bool stale)
{
    char *order = resp_header_order(r);
    const char *www = resp_header(r, "WWW-Authenticate");
    GRegex *shape = g_regex_new("^Digest realm=\"" REALM "\", "
                                "nonce=\"[A-Za-z0-9+/]{32}\","
                                "stale=\"(true|false)\",qop=\"auth\"$",
                                0, 0, NULL);

    g_assert_cmpstr(r->status_line, ==, "HTTP/1.1 401 Unauthorized");
    g_assert_cmpstr(order, ==, "WWW-Authenticate,Content-Type,Server,"
                    "Content-Length,Connection");
    g_assert_true(g_regex_match(shape, www, 0, NULL));
    g_assert_nonnull(strstr(www, stale ? "stale=\"true\"" :
                            "stale=\"false\""));
    g_assert_cmpstr(resp_header(r, "Content-Type"), ==, "text/html");
    g_assert_cmpstr(resp_header(r, "Server"), ==, SERVER);
    g_assert_cmpstr(resp_header(r, "Connection"), ==, "close");
    /* MPS ends a 401 at "</html>" */
    g_assert_true(g_str_has_suffix(r->body->str, "</html>\n"));
    g_assert_nonnull(strstr(r->body->str, "Log on failed"));
    g_regex_unref(shape);
    g_free(order);
}

/*
 * Check the 200 of docs/specs/vamt-wsman.rst, "HTTP responses" (with
 * "Connection: close" last only when the
 * client asked to close).
 */
void assert_soap_ok(const Resp *r)
{
    char *order = resp_header_order(r);

    g_assert_cmpstr(r->status_line, ==, "HTTP/1.1 200 OK");
    if (resp_header(r, "Connection")) {
        g_assert_cmpstr(resp_header(r, "Connection"), ==, "close");
        g_assert_cmpstr(order, ==, "Date,Server,X-Frame-Options,"
                        "Content-Type,Transfer-Encoding,Connection");
    } else {
        g_assert_cmpstr(order, ==, "Date,Server,X-Frame-Options,"
                        "Content-Type,Transfer-Encoding");
    }
    g_assert_cmpstr(resp_header(r, "Date"), ==,
                    "Mon, 20 Mar 2023 22:48:10 GMT");
    g_assert_cmpstr(resp_header(r, "Server"), ==, SERVER);
    g_assert_cmpstr(resp_header(r, "X-Frame-Options"), ==, "DENY");
    g_assert_true(r->chunked);
    g_free(order);
}
