/*
 * Unit tests for the vAMT ME core's HTTP/1.1 server: Digest, keep-alive,
 * pipelining, byte-by-byte input, chunked bodies both ways, limits,
 * garbage, idle timeouts, stale nonces and the lockout, all checked the
 * way a console reads the answers (the console captures are
 * test-vamt-http-captures.c's).  Built standalone (root meson.build).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "http-test-env.h"
#include "xml-reader.h"

/* Spec 5.6: 401, reconnect, 200, then more requests on that socket */
static void test_auth_round_trip(void)
{
    Env env;
    Peer *peer;
    GPtrArray *rsps;
    Resp *r;
    char *nonce, *req, *line;
    const char *raw;

    env_init(&env);
    peer = peer_new(&env);
    rsps = peer_exchange(peer, anon_request);
    r = single_response(rsps);
    assert_challenge(r, false);
    g_assert_cmpuint(env.handled->len, ==, 0);
    g_assert_true(peer_closed(peer));
    nonce = challenge_nonce(r);
    peer_free_with_responses(peer, rsps);

    peer = peer_new(&env);
    req = mesh_request(nonce, 1, PASSWORD, "/wsman", enum_body);
    peer_send_str(peer, req);
    g_free(req);
    rsps = parse_responses(peer->out);
    r = single_response(rsps);
    assert_soap_ok(r);
    g_assert_cmpstr(resp_header(r, "Content-Type"), ==, SOAP_TYPE);
    g_assert_cmpstr(r->body->str, ==, "<ok user=\"admin\"/>");
    /* one chunk, size as 4 upper-case hex digits, like AMT */
    g_assert_cmpstr(r->first_chunk_line, ==, "0012");
    /* no "Connection: close" on a 200: MeshCentral would drop the body */
    g_assert_null(resp_header(r, "Connection"));
    g_assert_false(peer_closed(peer));
    g_ptr_array_free(rsps, TRUE);

    /* MeshCentral reads the version at byte 46 of the Server line */
    raw = strstr((const char *)peer->out->data, "\r\nServer: ");
    g_assert_nonnull(raw);
    line = g_strndup(raw + 2, strchr(raw + 2, '\r') - (raw + 2));
    g_assert_cmpstr(line + 46, ==, "16.1.25.2124");
    g_free(line);

    /* keep-alive: the same nonce with the next nc on the same socket */
    g_byte_array_set_size(peer->out, 0);
    req = mesh_request(nonce, 2, PASSWORD, "/wsman", enum_body);
    peer_send_str(peer, req);
    g_free(req);
    rsps = parse_responses(peer->out);
    assert_soap_ok(single_response(rsps));
    g_assert_false(peer_closed(peer));
    g_ptr_array_free(rsps, TRUE);

    g_assert_cmpuint(env.handled->len, ==, 2);
    line = g_strdup_printf("POST /wsman admin %zu", strlen(enum_body));
    g_assert_cmpstr(g_ptr_array_index(env.handled, 1), ==, line);
    g_free(line);
    g_free(nonce);
    peer_free(peer);
    env_fini(&env);
}

/* Issue a nonce and return it, as from a first 401 */
static char *env_nonce(Env *env)
{
    Peer *peer = peer_new(env);
    GPtrArray *rsps;
    char *nonce;

    rsps = peer_exchange(peer, anon_request);
    nonce = challenge_nonce(single_response(rsps));
    peer_free_with_responses(peer, rsps);
    return nonce;
}

static void test_pipelined(void)
{
    Env env;
    Peer *peer;
    GPtrArray *rsps;
    char *nonce = NULL;
    GString *batch = g_string_new(NULL);
    unsigned i;

    env_init(&env);
    nonce = env_nonce(&env);
    peer = peer_new(&env);
    for (i = 1; i <= 3; i++) {
        char *req = mesh_request(nonce, i, PASSWORD, "/wsman", enum_body);

        g_string_append(batch, req);
        g_free(req);
    }
    /* an anonymous GET / in the middle of the batch */
    g_string_append(batch, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    peer_send(peer, batch->str, batch->len);

    rsps = parse_responses(peer->out);
    g_assert_cmpuint(rsps->len, ==, 4);
    for (i = 0; i < 3; i++) {
        assert_soap_ok(g_ptr_array_index(rsps, i));
    }
    g_assert_cmpint(((Resp *)g_ptr_array_index(rsps, 3))->status, ==, 303);
    g_assert_cmpuint(env.handled->len, ==, 4);
    g_assert_false(peer_closed(peer));

    g_ptr_array_free(rsps, TRUE);
    g_string_free(batch, TRUE);
    g_free(nonce);
    peer_free(peer);
    env_fini(&env);
}

/* Feeding the same bytes whole and one at a time gives the same answer */
static void test_byte_by_byte(void)
{
    Env env;
    Peer *whole, *bytes;
    char *nonce, *req1, *req2;
    size_t i;

    env_init(&env);
    nonce = env_nonce(&env);
    req1 = mesh_request(nonce, 1, PASSWORD, "/wsman", enum_body);
    req2 = mesh_request(nonce, 2, PASSWORD, "/wsman", enum_body);

    whole = peer_new(&env);
    peer_send_str(whole, req1);
    bytes = peer_new(&env);
    for (i = 0; req2[i]; i++) {
        g_assert_cmpuint(bytes->out->len, ==, 0);
        peer_send(bytes, req2 + i, 1);
    }
    g_assert_cmpuint(whole->out->len, >, 0);
    g_assert_cmpmem(whole->out->data, whole->out->len,
                    bytes->out->data, bytes->out->len);
    g_assert_cmpuint(env.handled->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(env.handled, 0), ==,
                    g_ptr_array_index(env.handled, 1));

    g_free(req1);
    g_free(req2);
    g_free(nonce);
    peer_free(whole);
    peer_free(bytes);
    env_fini(&env);
}

/* Chunked request bodies (older RPS/rpc-go), whole and byte by byte */
static void test_chunked_request(void)
{
    static const char req[] =
        "POST /wsman HTTP/1.1\r\n"
        "Host: 127.0.0.1:16992\r\n"
        "Transfer-Encoding: Chunked\r\n\r\n"
        "7\r\n<s:Env>\r\n"
        "19;ext=1\r\n<s:Body><wsmid:Identify/>\r\n"
        "0C\r\n</s:Body></s\r\n"
        "1\r\n>\r\n"
        "0\r\nX-Trailer: ignored\r\n\r\n";
    const char *expected =
        "<s:Env><s:Body><wsmid:Identify/></s:Body></s>";
    Env env;
    Peer *peer;
    GPtrArray *rsps;
    size_t i;

    env_init(&env);
    peer = peer_new(&env);
    peer_send_str(peer, req);
    g_assert_cmpstr(env.last_body->str, ==, expected);
    rsps = parse_responses(peer->out);
    assert_soap_ok(single_response(rsps));
    peer_free_with_responses(peer, rsps);

    g_string_truncate(env.last_body, 0);
    peer = peer_new(&env);
    for (i = 0; req[i]; i++) {
        peer_send(peer, req + i, 1);
    }
    g_assert_cmpstr(env.last_body->str, ==, expected);
    g_assert_cmpuint(env.handled->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(env.handled, 1), ==,
                    "POST /wsman - 45");
    rsps = parse_responses(peer->out);
    assert_soap_ok(single_response(rsps));
    g_assert_false(peer_closed(peer));
    peer_free_with_responses(peer, rsps);
    env_fini(&env);
}

/* Response framing: chunk sizes past 4 digits, empty bodies, 303 */
static void test_response_framing(void)
{
    Env env;
    Peer *peer;
    GPtrArray *rsps;
    Resp *r;
    char *nonce, *req, *order;

    env_init(&env);
    nonce = env_nonce(&env);
    peer = peer_new(&env);
    req = mesh_request(nonce, 1, PASSWORD, "/wsman", "<BigResponse/>");
    peer_send_str(peer, req);
    g_free(req);
    rsps = parse_responses(peer->out);
    r = single_response(rsps);
    assert_soap_ok(r);
    g_assert_cmpuint(r->body->len, ==, 70002);
    g_assert_cmpstr(r->first_chunk_line, ==, "11172");
    peer_free_with_responses(peer, rsps);

    /* GET / : 303 to the logon page, no login needed */
    peer = peer_new(&env);
    rsps = peer_exchange(peer,
                         "GET / HTTP/1.1\r\nHost: 10.0.0.5:16992\r\n\r\n");
    r = single_response(rsps);
    order = resp_header_order(r);
    g_assert_cmpstr(r->status_line, ==, "HTTP/1.1 303 See Other");
    g_assert_cmpstr(order, ==, "Location,Content-Length,Server");
    g_assert_cmpstr(resp_header(r, "Location"), ==, "/logon.htm");
    g_assert_cmpstr(resp_header(r, "Content-Length"), ==, "0");
    g_assert_cmpstr(resp_header(r, "Server"), ==, SERVER);
    g_assert_false(peer_closed(peer));
    g_free(order);
    peer_free_with_responses(peer, rsps);

    g_free(nonce);
    env_fini(&env);
}

/* A WS-Man fault: 400, chunked, Connection: close, then closed */
static void test_fault_closes(void)
{
    Env env;
    Peer *peer;
    GPtrArray *rsps;
    Resp *r;
    char *nonce, *req1, *req2, *both, *order;

    env_init(&env);
    nonce = env_nonce(&env);
    req1 = mesh_request(nonce, 1, PASSWORD, "/wsman", "<AMT_DoesNotExist/>");
    req2 = mesh_request(nonce, 2, PASSWORD, "/wsman", enum_body);
    both = g_strconcat(req1, req2, NULL);
    peer = peer_new(&env);
    rsps = peer_exchange(peer, both);
    r = single_response(rsps);
    order = resp_header_order(r);
    g_assert_cmpstr(r->status_line, ==, "HTTP/1.1 400 Bad Request");
    g_assert_cmpstr(order, ==, "Date,Server,X-Frame-Options,Content-Type,"
                    "Transfer-Encoding,Connection");
    g_assert_cmpstr(resp_header(r, "Connection"), ==, "close");
    g_assert_cmpstr(r->body->str, ==, "<a:Envelope>fault</a:Envelope>");
    g_assert_true(peer_closed(peer));
    /* the pipelined request after it was dropped with the connection */
    g_assert_cmpuint(env.handled->len, ==, 1);

    g_free(order);
    g_ptr_array_free(rsps, TRUE);
    g_free(both);
    g_free(req1);
    g_free(req2);
    g_free(nonce);
    peer_free(peer);
    env_fini(&env);
}

/* amttool sends "Connection: TE, close"; HTTP/1.0 closes by default */
static void test_connection_close(void)
{
    Env env;
    Peer *peer;
    GPtrArray *rsps;
    Resp *r;
    char *nonce, *req, *mod;

    env_init(&env);
    nonce = env_nonce(&env);
    req = mesh_request(nonce, 1, PASSWORD, "/wsman", enum_body);
    mod = g_strdup_printf("POST /wsman HTTP/1.1\r\nConnection: TE, close\r\n"
                          "%s", strstr(req, "\r\n") + 2);
    peer = peer_new(&env);
    rsps = peer_exchange(peer, mod);
    r = single_response(rsps);
    g_assert_cmpint(r->status, ==, 200);
    g_assert_cmpstr(resp_header(r, "Connection"), ==, "close");
    g_assert_true(peer_closed(peer));
    peer_free_with_responses(peer, rsps);
    g_free(mod);
    g_free(req);

    req = mesh_request(nonce, 2, PASSWORD, "/wsman", enum_body);
    memcpy(strstr(req, "HTTP/1.1"), "HTTP/1.0", 8);
    peer = peer_new(&env);
    rsps = peer_exchange(peer, req);
    g_assert_cmpint(single_response(rsps)->status, ==, 200);
    g_assert_true(peer_closed(peer));
    peer_free_with_responses(peer, rsps);
    g_free(req);

    g_free(nonce);
    env_fini(&env);
}

static void test_expect_continue(void)
{
    Env env;
    Peer *peer;
    GPtrArray *rsps;
    char *nonce, *req, *head_end, *mod;

    env_init(&env);
    nonce = env_nonce(&env);
    req = mesh_request(nonce, 1, PASSWORD, "/wsman", enum_body);
    head_end = strstr(req, "\r\n\r\n");
    mod = g_strdup_printf("%.*s\r\nExpect: 100-continue\r\n\r\n",
                          (int)(head_end - req), req);
    peer = peer_new(&env);
    peer_send_str(peer, mod);
    g_assert_cmpmem(peer->out->data, peer->out->len,
                    "HTTP/1.1 100 Continue\r\n\r\n", 25);
    rsps = peer_exchange(peer, head_end + 4);
    g_assert_cmpuint(rsps->len, ==, 2);
    g_assert_cmpint(((Resp *)g_ptr_array_index(rsps, 0))->status, ==, 100);
    assert_soap_ok(g_ptr_array_index(rsps, 1));
    peer_free_with_responses(peer, rsps);
    g_free(mod);
    g_free(req);
    g_free(nonce);
    env_fini(&env);
}

/* Send @data on a fresh connection; expect @status, close, no handler */
static void assert_rejected(Env *env, const char *data, size_t len,
                            int status)
{
    Peer *peer = peer_new(env);
    guint handled = env->handled->len;
    GPtrArray *rsps;
    Resp *r;

    peer_send(peer, data, len);
    rsps = parse_responses(peer->out);
    r = single_response(rsps);
    g_assert_cmpint(r->status, ==, status);
    g_assert_cmpstr(resp_header(r, "Connection"), ==, "close");
    g_assert_cmpstr(resp_header(r, "Server"), ==, SERVER);
    g_assert_true(g_str_has_suffix(r->body->str, "</html>\n"));
    g_assert_true(peer_closed(peer));
    g_assert_cmpuint(env->handled->len, ==, handled);
    /* and it stays closed */
    peer_send_str(peer, anon_request);
    g_assert_cmpuint(env->handled->len, ==, handled);
    peer_free_with_responses(peer, rsps);
}

#define REJECT(env, str, status) \
    assert_rejected(env, str, sizeof(str) - 1, status)

static void test_garbage(void)
{
    Env env;
    uint8_t noise[4096];
    size_t i;

    env_init(&env);
    REJECT(&env, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400);
    REJECT(&env, "GARBAGE\r\n\r\n", 400);
    REJECT(&env, "GET /\r\n\r\n", 400);
    REJECT(&env, "GET / HTTP/1.1 extra\r\n\r\n", 400);
    REJECT(&env, "POST wsman HTTP/1.1\r\n\r\n", 400);
    REJECT(&env, "POST /wsman HTTP/1.1\r\nNo colon here\r\n\r\n", 400);
    REJECT(&env, "POST /wsman HTTP/1.1\r\nBad Name: x\r\n\r\n", 400);
    REJECT(&env, "POST /wsman HTTP/1.1\r\nHost : x\r\n\r\n", 400);
    REJECT(&env, "POST /wsman HTTP/1.1\r\n folded: x\r\n\r\n", 400);
    REJECT(&env, "POST /wsman HTTP/2.0\r\n\r\n", 505);
    REJECT(&env, "POST /wsman HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
    REJECT(&env, "POST /wsman HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400);
    REJECT(&env, "POST /wsman HTTP/1.1\r\nContent-Length: 3\r\n"
           "Content-Length: 4\r\n\r\n", 400);
    REJECT(&env, "POST /wsman HTTP/1.1\r\nContent-Length: 3\r\n"
           "Transfer-Encoding: chunked\r\n\r\n", 400);
    REJECT(&env, "POST /wsman HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
           501);
    REJECT(&env, "POST /wsman HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
           "\r\nzz\r\n", 400);
    REJECT(&env, "POST /wsman HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
           "\r\n2\r\nabc\r\n", 400);
    REJECT(&env, "POST /wsman HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
           "\r\nFFFFFFFFFFFFFFFFFFFF\r\n", 413);
    REJECT(&env, "POST /wsman HTTP/1.1\r\nX: a\0b\r\n\r\n", 400);

    /* random noise never crashes and never reaches the handler */
    for (i = 0; i < 64; i++) {
        Peer *peer = peer_new(&env);
        size_t j;

        for (j = 0; j < sizeof(noise); j++) {
            noise[j] = g_rand_int_range(env.auth.rand, 0, 256);
        }
        peer_send(peer, (const char *)noise, sizeof(noise));
        vamt_http_conn_tick(peer->conn);
        env.auth.now_ms += VAMT_HTTP_REQUEST_TIMEOUT_MS;
        vamt_http_conn_tick(peer->conn);
        g_assert_true(peer_closed(peer));
        peer_free(peer);
    }
    g_assert_cmpuint(env.handled->len, ==, 0);
    env_fini(&env);
}

static void test_limits(void)
{
    Env env;
    GString *big = g_string_new("POST /wsman HTTP/1.1\r\n");
    VamtHttpLimits limits;
    Peer *peer;
    GPtrArray *rsps;
    char *nonce, *req;

    env_init(&env);
    /* header block over 8 KiB, with or without its end */
    while (big->len < VAMT_HTTP_MAX_HEAD_BYTES) {
        g_string_append(big, "X-Filler: 0123456789012345678901234567\r\n");
    }
    assert_rejected(&env, big->str, big->len, 431);
    g_string_append(big, "\r\n");
    assert_rejected(&env, big->str, big->len, 431);
    g_string_free(big, TRUE);

    /* too many header fields */
    big = g_string_new("POST /wsman HTTP/1.1\r\n");
    while (big->len < 1000) {
        g_string_append(big, "A: b\r\n");
    }
    g_string_append(big, "\r\n");
    assert_rejected(&env, big->str, big->len, 431);
    g_string_free(big, TRUE);

    /* over 1 MiB: 413 at once, without waiting for the body */
    REJECT(&env, "POST /wsman HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n",
           413);
    REJECT(&env, "POST /wsman HTTP/1.1\r\n"
           "Content-Length: 99999999999999999999999\r\n\r\n", 400);

    /* the chunks add up to too much */
    vamt_http_server_get_limits(env.server, &limits);
    limits.max_body_bytes = 100;
    vamt_http_server_set_limits(env.server, &limits);
    big = g_string_new("POST /wsman HTTP/1.1\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n50\r\n");
    g_string_append_printf(big, "%080d\r\n20\r\n", 0);
    assert_rejected(&env, big->str, big->len, 413);
    g_string_free(big, TRUE);

    /* exactly the limit is fine */
    nonce = env_nonce(&env);
    big = g_string_new(NULL);
    g_string_append_printf(big, "%0100d", 0);
    req = mesh_request(nonce, 1, PASSWORD, "/wsman", big->str);
    peer = peer_new(&env);
    rsps = peer_exchange(peer, req);
    assert_soap_ok(single_response(rsps));
    g_assert_false(peer_closed(peer));
    peer_free_with_responses(peer, rsps);
    g_free(req);

    /* one more byte is not */
    g_string_append_c(big, '0');
    req = mesh_request(nonce, 2, PASSWORD, "/wsman", big->str);
    assert_rejected(&env, req, strlen(req), 413);
    g_free(req);
    g_string_free(big, TRUE);
    g_free(nonce);
    env_fini(&env);
}

static void test_idle_timeout(void)
{
    Env env;
    Peer *peer;
    GPtrArray *rsps;
    char *nonce, *req;
    int64_t start;

    env_init(&env);
    nonce = env_nonce(&env);

    /* an idle connection is closed silently when its time is up */
    start = env.auth.now_ms;
    peer = peer_new(&env);
    g_assert_cmpint(vamt_http_conn_deadline(peer->conn), ==,
                    start + VAMT_HTTP_IDLE_TIMEOUT_MS);
    env.auth.now_ms = start + VAMT_HTTP_IDLE_TIMEOUT_MS - 1;
    g_assert_false(vamt_http_conn_tick(peer->conn));
    g_assert_false(peer_closed(peer));

    /* a request in between restarts the idle time after its answer */
    env.auth.now_ms = start + 1000;
    req = mesh_request(nonce, 1, PASSWORD, "/wsman", enum_body);
    peer_send_str(peer, req);
    g_free(req);
    g_assert_cmpint(vamt_http_conn_deadline(peer->conn), ==,
                    start + 1000 + VAMT_HTTP_IDLE_TIMEOUT_MS);
    env.auth.now_ms = start + VAMT_HTTP_IDLE_TIMEOUT_MS;
    g_assert_false(vamt_http_conn_tick(peer->conn));
    env.auth.now_ms = start + 1000 + VAMT_HTTP_IDLE_TIMEOUT_MS;
    g_byte_array_set_size(peer->out, 0);
    g_assert_true(vamt_http_conn_tick(peer->conn));
    g_assert_true(peer_closed(peer));
    g_assert_cmpuint(peer->out->len, ==, 0);
    g_assert_cmpint(vamt_http_conn_deadline(peer->conn), ==, -1);
    peer_free(peer);

    /* half a request (slowloris): 408 after the request timeout */
    start = env.auth.now_ms;
    peer = peer_new(&env);
    peer_send_str(peer, "POST /wsman HTTP/1.1\r\nHost: x\r\n");
    g_assert_cmpint(vamt_http_conn_deadline(peer->conn), ==,
                    start + VAMT_HTTP_REQUEST_TIMEOUT_MS);
    env.auth.now_ms += VAMT_HTTP_REQUEST_TIMEOUT_MS - 1;
    peer_send_str(peer, "X-Slow: 1\r\n");
    g_assert_false(vamt_http_conn_tick(peer->conn));
    env.auth.now_ms += 1;
    g_assert_true(vamt_http_conn_tick(peer->conn));
    rsps = parse_responses(peer->out);
    g_assert_cmpint(single_response(rsps)->status, ==, 408);
    g_assert_true(peer_closed(peer));
    peer_free_with_responses(peer, rsps);

    /* the peer's FIN in the middle of a request: closed, no answer */
    peer = peer_new(&env);
    peer_send_str(peer, "POST /wsman HTTP/1.1\r\nContent-Length: 10\r\n\r\nab");
    vamt_http_conn_eof(peer->conn);
    g_assert_true(peer_closed(peer));
    g_assert_cmpuint(peer->out->len, ==, 0);
    peer_free(peer);

    g_free(nonce);
    env_fini(&env);
}

/* Expired nonce with the right password: 401 with stale="true" */
static void test_stale_nonce(void)
{
    Env env;
    Peer *peer;
    GPtrArray *rsps;
    char *nonce, *fresh, *req;

    env_init(&env);
    nonce = env_nonce(&env);
    env.auth.now_ms += VAMT_DIGEST_NONCE_LIFETIME_MS + 1;

    peer = peer_new(&env);
    req = mesh_request(nonce, 1, PASSWORD, "/wsman", enum_body);
    peer_send_str(peer, req);
    g_free(req);
    rsps = parse_responses(peer->out);
    assert_challenge(single_response(rsps), true);
    fresh = challenge_nonce(single_response(rsps));
    g_assert_cmpstr(fresh, !=, nonce);
    g_assert_true(peer_closed(peer));
    g_assert_cmpuint(env.handled->len, ==, 0);
    peer_free_with_responses(peer, rsps);

    /* wrong password on an expired nonce: not stale */
    peer = peer_new(&env);
    req = mesh_request(nonce, 2, "Wr0ng!pass", "/wsman", enum_body);
    peer_send_str(peer, req);
    g_free(req);
    rsps = parse_responses(peer->out);
    assert_challenge(single_response(rsps), false);
    peer_free_with_responses(peer, rsps);

    /* the client retries with the new nonce */
    peer = peer_new(&env);
    req = mesh_request(fresh, 1, PASSWORD, "/wsman", enum_body);
    peer_send_str(peer, req);
    g_free(req);
    rsps = parse_responses(peer->out);
    assert_soap_ok(single_response(rsps));
    peer_free_with_responses(peer, rsps);

    g_free(fresh);
    g_free(nonce);
    env_fini(&env);
}

/* Send one request on a new connection; the status a console sees */
static int request_status(Env *env, const char *nonce, unsigned nc,
                          const char *password)
{
    Peer *peer = peer_new(env);
    char *req = mesh_request(nonce, nc, password, "/wsman", enum_body);
    GPtrArray *rsps;
    int status;

    rsps = peer_exchange(peer, req);
    status = single_response(rsps)->status;
    if (status == 401) {
        assert_challenge(single_response(rsps), false);
    }
    g_ptr_array_free(rsps, TRUE);
    g_free(req);
    peer_free(peer);
    return status;
}

static void test_lockout(void)
{
    Env env;
    char *nonce;
    unsigned i, nc = 0;

    env_init(&env);
    nonce = env_nonce(&env);
    for (i = 0; i < VAMT_DIGEST_MAX_FAILURES; i++) {
        g_assert_cmpint(request_status(&env, nonce, ++nc, "Wr0ng!pass"),
                        ==, 401);
    }
    /* locked: the right password gets the same 401 */
    g_assert_cmpint(request_status(&env, nonce, ++nc, PASSWORD), ==, 401);
    env.auth.now_ms += VAMT_DIGEST_LOCKOUT_MS / 2;
    g_assert_cmpint(request_status(&env, nonce, ++nc, PASSWORD), ==, 401);
    g_assert_cmpuint(env.handled->len, ==, 0);

    /* after the lockout period it works again */
    env.auth.now_ms += VAMT_DIGEST_LOCKOUT_MS / 2;
    g_assert_cmpint(request_status(&env, nonce, ++nc, PASSWORD), ==, 200);
    g_assert_cmpuint(env.handled->len, ==, 1);
    g_free(nonce);
    env_fini(&env);
}

/* Identify and GET / without credentials; everything else needs them */
static void test_anonymous(void)
{
    static const char identify[] =
        "POST /wsman HTTP/1.1\r\n"
        "Host: 127.0.0.1:16992\r\n"
        "Content-Type: application/soap+xml;charset=utf-8\r\n"
        "Content-Length: 229\r\n\r\n"
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://www.w3.org/2003/"
        "05/soap-envelope\" xmlns:wsmid=\"http://schemas.dmtf.org/wbem/wsman/"
        "identity/1/wsmanidentity.xsd\">  <s:Header/>  <s:Body>    "
        "<wsmid:Identify/>  </s:Body></s:Envelope>";
    static const char basic[] =
        "POST /wsman HTTP/1.1\r\n"
        "Authorization: Basic YWRtaW46UEBzc3cwcmQ=\r\n"
        "Content-Length: 0\r\n\r\n";
    Env env;
    Peer *peer;
    GPtrArray *rsps;
    char *nonce, *req;

    env_init(&env);
    peer = peer_new(&env);
    rsps = peer_exchange(peer, identify);
    assert_soap_ok(single_response(rsps));
    g_assert_cmpstr(single_response(rsps)->body->str, ==,
                    "<b:IdentifyResponse/>");
    g_assert_cmpstr(g_ptr_array_index(env.handled, 0), ==,
                    "POST /wsman - 229");
    g_assert_false(peer_closed(peer));
    peer_free_with_responses(peer, rsps);

    /* Basic is never enough (wsl with stock curl) */
    peer = peer_new(&env);
    rsps = peer_exchange(peer, basic);
    assert_challenge(single_response(rsps), false);
    peer_free_with_responses(peer, rsps);

    /* authenticated, unknown path: 404 and close */
    nonce = env_nonce(&env);
    req = mesh_request(nonce, 1, PASSWORD, "/nowhere", "");
    peer = peer_new(&env);
    rsps = peer_exchange(peer, req);
    g_assert_cmpint(single_response(rsps)->status, ==, 404);
    g_assert_true(peer_closed(peer));
    peer_free_with_responses(peer, rsps);
    g_free(req);
    g_free(nonce);
    env_fini(&env);
}

/*
 * Before authentication the whole ME does a bounded amount of work: the
 * costliest body that fits (37,000 attributes on the Identify) is
 * refused with the challenge and never handed to libxml2.
 */
/*
 * Without credentials, a body larger than an Identify needs is never
 * read: the head alone brings the 401 and the connection closes, so a
 * peer cannot make the ME buffer a megabyte before authenticating.
 */
static void test_preauth_body_not_buffered(void)
{
    static const char *const heads[] = {
        "POST /wsman HTTP/1.1\r\nHost: vamt\r\n"
        "Content-Length: 1048576\r\n\r\n",
        "POST /wsman HTTP/1.1\r\nHost: vamt\r\n"
        "Transfer-Encoding: chunked\r\n\r\n10000\r\n",
    };
    VamtTestPlatform platform;
    VamtFirmware fw;
    VamtMe *me;

    me = vamt_test_me_new(&platform, &fw);
    for (unsigned i = 0; i < G_N_ELEMENTS(heads); i++) {
        g_autofree char *rsp = vamt_test_http_send(me, heads[i]);

        g_assert_true(g_str_has_prefix(rsp, "HTTP/1.1 401 "));
        g_assert_nonnull(strstr(rsp, "Connection: close"));
    }

    /* wrong credentials are found out from the head alone, too */
    {
        g_autofree char *nonce = vamt_test_http_nonce(me);
        VamtTestDigestAuth a = {
            .user = "admin", .realm = vamt_amt_realm(vamt_me_amt(me)),
            .password = "wrong", .uri = "/wsman", .nonce = nonce,
            .nc = "00000001", .cnonce = "0badf00d",
        };
        g_autofree char *auth = vamt_test_digest_authorization(&a);
        g_autofree char *head = g_strdup_printf(
            "POST /wsman HTTP/1.1\r\nHost: vamt\r\nAuthorization: %s\r\n"
            "Content-Length: 1048576\r\n\r\n", auth);
        g_autofree char *rsp = vamt_test_http_send(me, head);
        g_autofree char *ok_head = NULL, *ok_rsp = NULL;

        g_assert_true(g_str_has_prefix(rsp, "HTTP/1.1 401 "));

        /* the right ones: the body is read, and the answer comes after it */
        a.password = PASSWORD;
        a.nc = "00000002";
        g_free(auth);
        auth = vamt_test_digest_authorization(&a);
        ok_head = g_strdup_printf(
            "POST /wsman HTTP/1.1\r\nHost: vamt\r\nAuthorization: %s\r\n"
            "Content-Length: 8192\r\n\r\n", auth);
        ok_rsp = vamt_test_http_send(me, ok_head);
        g_assert_cmpstr(ok_rsp, ==, "");
    }
    vamt_me_free(me);
    vamt_test_platform_destroy(&platform);
}

static void test_preauth_unparsed(void)
{
    VamtTestPlatform platform;
    VamtFirmware fw;
    VamtMe *me;
    GString *attack = vamt_test_identify_with_attributes(37000);
    GString *identify = vamt_test_identify_with_attributes(0);
    g_autofree char *wrong_auth = NULL;
    uint64_t parses;

    me = vamt_test_me_new(&platform, &fw);
    wrong_auth = vamt_test_admin_authorization(me, "wrong");
    /* no Authorization, and a wrong password */
    for (unsigned i = 0; i < 2; i++) {
        const char *auth = i ? wrong_auth : NULL;
        g_autofree char *req = vamt_test_post_request("vamt", "/wsman", auth,
                                                      attack->str);
        g_autofree char *rsp = NULL;

        parses = vamt_xml_parse_count();
        rsp = vamt_test_http_send(me, req);
        g_assert_true(g_str_has_prefix(rsp, "HTTP/1.1 401 "));
        g_assert_cmpuint(vamt_xml_parse_count(), ==, parses);
    }
    {
        g_autofree char *req = vamt_test_post_request("vamt", "/wsman", NULL,
                                                      identify->str);
        g_autofree char *rsp = NULL;

        parses = vamt_xml_parse_count();
        rsp = vamt_test_http_send(me, req);
        g_assert_true(g_str_has_prefix(rsp, "HTTP/1.1 200 "));
        g_assert_nonnull(strstr(rsp, "IdentifyResponse"));
        /* the anonymous check and the answer: two small parses */
        g_assert_cmpuint(vamt_xml_parse_count() - parses, <=, 2);
    }
    vamt_me_free(me);
    vamt_test_platform_destroy(&platform);
    g_string_free(attack, TRUE);
    g_string_free(identify, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/http/auth-round-trip", test_auth_round_trip);
    g_test_add_func("/vamt/http/pipelined", test_pipelined);
    g_test_add_func("/vamt/http/byte-by-byte", test_byte_by_byte);
    g_test_add_func("/vamt/http/chunked-request", test_chunked_request);
    g_test_add_func("/vamt/http/response-framing", test_response_framing);
    g_test_add_func("/vamt/http/fault-closes", test_fault_closes);
    g_test_add_func("/vamt/http/connection-close", test_connection_close);
    g_test_add_func("/vamt/http/expect-continue", test_expect_continue);
    g_test_add_func("/vamt/http/garbage", test_garbage);
    g_test_add_func("/vamt/http/limits", test_limits);
    g_test_add_func("/vamt/http/idle-timeout", test_idle_timeout);
    g_test_add_func("/vamt/http/stale-nonce", test_stale_nonce);
    g_test_add_func("/vamt/http/lockout", test_lockout);
    g_test_add_func("/vamt/http/anonymous", test_anonymous);
    g_test_add_func("/vamt/http/preauth-unparsed", test_preauth_unparsed);
    g_test_add_func("/vamt/http/preauth-body-not-buffered",
                    test_preauth_body_not_buffered);
    return g_test_run();
}
