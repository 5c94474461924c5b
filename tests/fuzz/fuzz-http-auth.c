/*
 * libFuzzer target: HTTP requests that get past Digest authentication.
 *
 * The harness plays a console: it takes a nonce from the ME's 401 and
 * computes a correct Authorization (the unit tests' Digest client), so
 * the fuzzed method, path, extra header fields, framing and body reach
 * the request handlers behind authentication, and a second pipelined
 * request exercises the nonce count.
 *
 * Input: one flags byte, then extra header lines, CRLF CRLF, the body
 * (without CRLF CRLF it is all body).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "fuzz-common.h"
#include "fuzz-target.h"

static const char *const paths[] = {
    "/wsman", "/wsman-anon", "/RemoteControlService",
    "/SecurityAdministrationService", "/NetworkAdministrationService",
    "/", "/index.htm", "/wsman?x=1",
};

enum {
    FLAG_PATH = 0x07,           /* index into paths[] */
    FLAG_GET = 0x08,
    FLAG_CHUNKED = 0x10,
    FLAG_PIPELINE = 0x20,
    FLAG_SMALL_SEGMENTS = 0x40, /* feed the bytes 7 at a time */
    FLAG_WRONG_NC = 0x80,       /* repeat the nonce count: a replay */
};

static void append_request(GString *out, uint8_t flags, const char *nonce,
                           unsigned nc, const char *extra, size_t extra_len,
                           const uint8_t *body, size_t body_len)
{
    const char *path = paths[flags & FLAG_PATH];
    const char *method = flags & FLAG_GET ? "GET" : "POST";
    g_autofree char *nc_text = g_strdup_printf("%08x", nc);
    VamtTestDigestAuth auth = {
        .user = "admin", .realm = REALM, .password = PASSWORD,
        .method = method, .uri = path, .nonce = nonce, .nc = nc_text,
        .cnonce = "f2a3b4c5",
    };
    g_autofree char *authorization = vamt_test_digest_authorization(&auth);

    g_string_append_printf(out, "%s %s HTTP/1.1\r\nHost: vamt:16992\r\n"
                           "Authorization: %s\r\n", method, path,
                           authorization);
    if (extra_len) {
        g_string_append_len(out, extra, extra_len);
        g_string_append(out, "\r\n");
    }
    if (flags & FLAG_CHUNKED) {
        size_t half = body_len / 2;

        g_string_append(out, "Transfer-Encoding: chunked\r\n\r\n");
        if (half) {
            g_string_append_printf(out, "%zx\r\n", half);
            g_string_append_len(out, (const char *)body, half);
            g_string_append(out, "\r\n");
        }
        if (body_len - half) {
            g_string_append_printf(out, "%zx\r\n", body_len - half);
            g_string_append_len(out, (const char *)body + half,
                                body_len - half);
            g_string_append(out, "\r\n");
        }
        g_string_append(out, "0\r\n\r\n");
    } else {
        g_string_append_printf(out, "Content-Length: %zu\r\n\r\n", body_len);
        g_string_append_len(out, (const char *)body, body_len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzMe f;
    uint8_t flags;
    const char *rest, *blank;
    size_t extra_len = 0;
    const uint8_t *body;
    size_t body_len;
    g_autofree char *nonce = NULL;
    GString *request, *answer;

    if (!size) {
        return 0;
    }
    flags = data[0];
    rest = (const char *)data + 1;
    /* extra header lines, then a blank line, then the body */
    blank = g_strstr_len(rest, size - 1, "\r\n\r\n");
    if (blank) {
        extra_len = blank - rest;
        body = (const uint8_t *)blank + 4;
    } else {
        body = (const uint8_t *)rest;
    }
    body_len = (const uint8_t *)data + size - body;

    fuzz_me_init(&f);
    nonce = vamt_test_http_nonce(f.me);
    request = g_string_new(NULL);
    append_request(request, flags, nonce, 1, rest, extra_len, body,
                   body_len);
    if (flags & FLAG_PIPELINE) {
        append_request(request, flags, nonce,
                       flags & FLAG_WRONG_NC ? 1 : 2, rest, extra_len, body,
                       body_len);
    }
    answer = fuzz_http_exchange(&f, (const uint8_t *)request->str,
                                request->len,
                                flags & FLAG_SMALL_SEGMENTS ? 7 : 16384);
    g_string_free(answer, TRUE);
    g_string_free(request, TRUE);
    fuzz_me_destroy(&f);
    return 0;
}
