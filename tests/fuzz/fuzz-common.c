/*
 * What the vAMT libFuzzer targets share
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "fuzz-common.h"

void fuzz_me_init(FuzzMe *f)
{
    memset(f, 0, sizeof(*f));
    vamt_test_platform_init(&f->platform, VAMT_POWER_ON);
    vamt_test_firmware_init(&f->fw);
    f->me = vamt_me_new(&f->fw, &vamt_test_platform_ops, &f->platform);
    vamt_me_set_admin_password(f->me, PASSWORD);
    /* the ME's own service, not a second one to build and free per input */
    f->ws = vamt_me_wsman(f->me);
}

void fuzz_me_destroy(FuzzMe *f)
{
    g_free(f->context);
    vamt_me_free(f->me);
    vamt_test_platform_destroy(&f->platform);
}

/* Keep the context an Enumerate or Pull answered, for "@CTX@" */
static void note_context(FuzzMe *f, const GString *answer)
{
    const char *open = strstr(answer->str, "EnumerationContext>");
    const char *close;

    if (!open) {
        return;
    }
    open += strlen("EnumerationContext>");
    close = strchr(open, '<');
    if (close && close - open < 64) {
        g_free(f->context);
        f->context = g_strndup(open, close - open);
    }
}

void fuzz_soap(FuzzMe *f, const char *path, const char *user,
               const uint8_t *body, size_t len)
{
    VamtSoapResponse rsp = { .body = g_string_new(NULL) };
    GString *request = g_string_new_len((const char *)body, len);

    if (f->context) {
        g_string_replace(request, FUZZ_CONTEXT_TOKEN, f->context, 0);
    }
    /* the HTTP layer NUL-terminates bodies, and libxml2 relies on it */
    vamt_wsman_handle(f->ws, path, user, (const uint8_t *)request->str,
                      request->len, &rsp);
    g_assert(rsp.status >= 200 && rsp.status < 600);
    g_assert(!rsp.body->len || rsp.content_type);
    note_context(f, rsp.body);
    g_string_free(rsp.body, TRUE);
    g_string_free(request, TRUE);
}

void fuzz_soap_session(FuzzMe *f, const char *path, const uint8_t *data,
                       size_t len)
{
    const char *p = (const char *)data;
    const char *end = p + len;

    for (unsigned n = 0; n < FUZZ_MAX_REQUESTS && p <= end; n++) {
        const char *sep = g_strstr_len(p, end - p, FUZZ_SEPARATOR);
        const char *part_end = sep ? sep : end;

        /* separators after a NUL are not seen: the rest is one part */
        fuzz_soap(f, path, "admin", (const uint8_t *)p, part_end - p);
        if (!sep) {
            break;
        }
        p = sep + strlen(FUZZ_SEPARATOR);
    }
}

static void append_output(void *opaque, const uint8_t *data, size_t len)
{
    g_string_append_len(opaque, (const char *)data, len);
}

static void ignore_close(void *opaque)
{
}

static const VamtStreamOps exchange_ops = {
    .write = append_output,
    .close = ignore_close,
};

GString *fuzz_http_exchange(FuzzMe *f, const uint8_t *data, size_t len,
                            size_t segment)
{
    GString *out = g_string_new(NULL);
    VamtHttpConn *conn = vamt_http_conn_new(vamt_me_http(f->me),
                                            &exchange_ops, out);
    size_t pos = 0;

    segment = MAX(segment, 1);
    while (pos < len && !vamt_http_conn_closed(conn)) {
        size_t n = MIN(segment, len - pos);

        vamt_http_conn_input(conn, data + pos, n);
        pos += n;
    }
    f->platform.ms += 10 * 60 * 1000;   /* let the timeouts fire */
    vamt_http_conn_tick(conn);
    vamt_http_conn_eof(conn);
    vamt_http_conn_free(conn);
    g_assert(!out->len || g_str_has_prefix(out->str, "HTTP/1.1 "));
    return out;
}
