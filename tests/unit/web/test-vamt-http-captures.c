/*
 * Unit tests for the vAMT ME core's HTTP/1.1 server against real
 * consoles: every captured console request (tests/captures/) answered
 * through Digest as the console expects, alone and all of a session's
 * authenticated keep-alive requests pipelined.  A missing corpus fails.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "http-test-env.h"
#include "xml-reader.h"

/* Captures */

typedef VamtTestCapture Capture;

static GPtrArray *load_captures(const char *dir)
{
    GPtrArray *list = vamt_test_captures_load(dir);

    g_assert_nonnull(list);
    return list;
}

/* The value of header @name in a captured request, or NULL */
static char *capture_header(const Capture *c, const char *name)
{
    const char *head_end = strstr(c->data, "\r\n\r\n");
    char *needle = g_strdup_printf("\r\n%s: ", name);
    const char *p = g_strstr_len(c->data, head_end - c->data, needle);
    char *value = NULL;

    if (p) {
        p += strlen(needle);
        value = g_strndup(p, strstr(p, "\r\n") - p);
    }
    g_free(needle);
    return value;
}

/* Make the device know the nonce a captured request answers */
static void capture_prepare_nonce(Env *env, const Capture *c,
                                  GHashTable *issued)
{
    char *auth = capture_header(c, "Authorization");
    VamtDigestParams params;

    if (auth && vamt_digest_parse(auth, &params)) {
        if (!g_hash_table_contains(issued, params.nonce)) {
            vamt_test_issue_nonce(&env->auth, params.nonce);
            g_hash_table_add(issued, g_strdup(params.nonce));
        }
        vamt_digest_params_clear(&params);
    }
    g_free(auth);
}

static bool capture_authenticated(const Capture *c)
{
    return g_str_has_suffix(c->name, "_ok.http");
}

static bool capture_wants_close(const Capture *c)
{
    char *connection = capture_header(c, "Connection");
    bool close = connection && strstr(connection, "close");

    g_free(connection);
    return close;
}

/* What the handler must have seen for an authenticated capture */
static char *capture_summary(const Capture *c)
{
    char *length = capture_header(c, "Content-Length");
    const char *sp = strchr(c->data, ' ');
    char *path = g_strndup(sp + 1, strchr(sp + 1, ' ') - (sp + 1));
    char *summary = g_strdup_printf("POST %s admin %s", path,
                                    length ? length : "0");

    g_free(path);
    g_free(length);
    return summary;
}

/*
 * Replay one client's session: each unauthenticated request gets the
 * 401 challenge and a closed socket; each authenticated one is answered
 * on a kept-alive connection, as the console used it.
 */
static void test_capture_session(gconstpointer data)
{
    const char *dir = data;
    GHashTable *issued = g_hash_table_new_full(g_str_hash, g_str_equal,
                                               g_free, NULL);
    GPtrArray *captures = load_captures(dir);
    Peer *keep = NULL;
    unsigned ok = 0, denied = 0;
    Env env;
    guint i;

    env_init(&env);
    for (i = 0; i < captures->len; i++) {
        Capture *c = g_ptr_array_index(captures, i);
        bool authenticated = capture_authenticated(c);
        guint handled = env.handled->len;
        GPtrArray *rsps;
        Resp *r;
        Peer *peer;

        capture_prepare_nonce(&env, c, issued);
        peer = authenticated && keep ? keep : peer_new(&env);
        g_byte_array_set_size(peer->out, 0);
        peer_send(peer, c->data, c->len);
        rsps = parse_responses(peer->out);
        r = single_response(rsps);

        if (authenticated) {
            char *summary = capture_summary(c);

            assert_soap_ok(r);
            g_assert_cmpuint(env.handled->len, ==, handled + 1);
            g_assert_cmpstr(g_ptr_array_index(env.handled, handled), ==,
                            summary);
            g_assert_cmpint(peer_closed(peer), ==, capture_wants_close(c));
            g_assert_cmpint(resp_header(r, "Connection") != NULL, ==,
                            capture_wants_close(c));
            g_free(summary);
            ok++;
        } else if (strstr(c->data, "<wsmid:Identify/>")) {
            /*
             * Identify is answered without a login
             * (docs/specs/vamt-wsman.rst, "Identify")
             */
            assert_soap_ok(r);
            g_assert_cmpuint(env.handled->len, ==, handled + 1);
            g_assert_true(g_str_has_prefix(
                g_ptr_array_index(env.handled, handled), "POST /wsman - "));
            denied++;
        } else {
            assert_challenge(r, false);
            g_assert_cmpuint(env.handled->len, ==, handled);
            g_assert_true(peer_closed(peer));
            denied++;
        }
        g_ptr_array_free(rsps, TRUE);

        if (peer_closed(peer)) {
            if (peer == keep) {
                keep = NULL;
            }
            peer_free(peer);
        } else {
            keep = peer;
        }
    }
    g_assert_cmpuint(ok + denied, ==, captures->len);
    if (keep) {
        peer_free(keep);
    }
    g_ptr_array_free(captures, TRUE);
    g_hash_table_destroy(issued);
    env_fini(&env);
}

/* All authenticated keep-alive requests of a session sent in one go */
static void test_capture_pipelined(gconstpointer data)
{
    const char *dir = data;
    GHashTable *issued = g_hash_table_new_full(g_str_hash, g_str_equal,
                                               g_free, NULL);
    GPtrArray *captures = load_captures(dir);
    GString *batch = g_string_new(NULL);
    unsigned expected = 0;
    GPtrArray *rsps;
    Peer *peer;
    Env env;
    guint i;

    env_init(&env);
    for (i = 0; i < captures->len; i++) {
        Capture *c = g_ptr_array_index(captures, i);

        if (capture_authenticated(c) && !capture_wants_close(c)) {
            capture_prepare_nonce(&env, c, issued);
            g_string_append_len(batch, c->data, c->len);
            expected++;
        }
    }
    g_assert_cmpuint(expected, >, 0);
    peer = peer_new(&env);
    peer_send(peer, batch->str, batch->len);
    rsps = parse_responses(peer->out);
    g_assert_cmpuint(rsps->len, ==, expected);
    for (i = 0; i < rsps->len; i++) {
        assert_soap_ok(g_ptr_array_index(rsps, i));
    }
    g_assert_cmpuint(env.handled->len, ==, expected);
    g_assert_false(peer_closed(peer));
    peer_free_with_responses(peer, rsps);
    g_string_free(batch, TRUE);
    g_ptr_array_free(captures, TRUE);
    g_hash_table_destroy(issued);
    env_fini(&env);
}

static void test_no_captures(void)
{
    g_test_message("capture directory %s not found (set VAMT_CAPTURES)",
                   VAMT_CAPTURES_DIR);
    g_test_fail();
}

/* Does the session hold authenticated requests on a kept-alive socket? */
static bool session_keeps_alive(const char *dir)
{
    GPtrArray *captures = load_captures(dir);
    bool found = false;

    for (guint i = 0; i < captures->len; i++) {
        Capture *c = g_ptr_array_index(captures, i);

        if (capture_authenticated(c) && !capture_wants_close(c)) {
            found = true;
        }
    }
    g_ptr_array_free(captures, TRUE);
    return found;
}

static void add_capture_tests(void)
{
    GPtrArray *dirs = vamt_test_capture_sessions(vamt_test_captures_root());
    guint i;

    if (!dirs) {
        g_test_add_func("/vamt/http/captures", test_no_captures);
        return;
    }
    for (i = 0; i < dirs->len; i++) {
        /* the paths live as long as the process: the tests use them */
        char *path = g_strdup(g_ptr_array_index(dirs, i));
        char *base = g_path_get_basename(path);
        char *test = g_strdup_printf("/vamt/http/capture/%s/session", base);

        g_test_add_data_func(test, path, test_capture_session);
        g_free(test);
        /* amttool and wsl close after every request: nothing to pipeline */
        if (session_keeps_alive(path)) {
            test = g_strdup_printf("/vamt/http/capture/%s/pipelined", base);
            g_test_add_data_func(test, path, test_capture_pipelined);
            g_free(test);
        }
        g_free(base);
    }
    g_ptr_array_free(dirs, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    add_capture_tests();
    return g_test_run();
}
