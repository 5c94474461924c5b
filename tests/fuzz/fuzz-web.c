/*
 * libFuzzer target for everything a network peer or a saved state feeds
 * the ME core: HTTP/Digest connections, WS-Management and EOI envelopes
 * from an authenticated admin, the state blob and the NVRAM image.
 *
 * The first input byte picks the path; the rest is the peer's bytes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "amt.h"
#include "me.h"
#include "nvram-format.h"
#include "wsman.h"
#include "fuzz-target.h"
#include "vamt-test-support.h"

static const char *const soap_paths[] = {
    "/wsman", "/wsman-anon", "/RemoteControlService",
    "/SecurityAdministrationService", "/NetworkAdministrationService",
    "/GeneralInfoService", "/nowhere",
};

static void drop_output(void *opaque, const uint8_t *data, size_t len)
{
}

static void note_close(void *opaque)
{
}

static const VamtStreamOps fuzz_conn_ops = {
    .write = drop_output,
    .close = note_close,
};

/* Bytes as a peer sends them, in segments of a size the input chooses */
static void fuzz_http(VamtMe *me, VamtTestPlatform *platform,
                      const uint8_t *data, size_t size)
{
    VamtHttpConn *conn = vamt_http_conn_new(vamt_me_http(me),
                                            &fuzz_conn_ops, NULL);
    size_t segment = size ? 1 + data[0] % 64 : 1;
    size_t pos = size ? 1 : 0;

    while (pos < size && !vamt_http_conn_closed(conn)) {
        size_t n = MIN(segment, size - pos);

        vamt_http_conn_input(conn, data + pos, n);
        pos += n;
    }
    platform->ms += 10 * 60 * 1000;     /* let timeouts fire */
    vamt_http_conn_tick(conn);
    vamt_http_conn_eof(conn);
    vamt_http_conn_free(conn);
}

/* An envelope from the admin, past authentication */
static void fuzz_soap(VamtMe *me, const uint8_t *data, size_t size)
{
    VamtWsman *ws = vamt_wsman_new(vamt_me_amt(me));
    const char *path = size ? soap_paths[data[0] % G_N_ELEMENTS(soap_paths)]
                            : "/wsman";
    VamtSoapResponse rsp = { .body = g_string_new(NULL) };

    /* libxml2 wants a NUL after the body, as the HTTP layer gives it */
    g_autofree uint8_t *body = g_malloc0(size + 1);

    if (size) {
        memcpy(body, data + 1, size - 1);
    }
    vamt_wsman_handle(ws, path, "admin", body, size ? size - 1 : 0, &rsp);
    g_assert(rsp.status >= 200 && rsp.status < 600);
    g_string_free(rsp.body, TRUE);
    vamt_wsman_free(ws);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    VamtTestPlatform platform;
    VamtNvramContents contents = { 0 };
    VamtFirmware fw;
    VamtMe *me;
    uint8_t mode = size ? data[0] : 0;

    if (size) {
        data++;
        size--;
    }
    me = vamt_test_me_new(&platform, &fw);

    switch (mode % 4) {
    case 0:
        fuzz_http(me, &platform, data, size);
        break;
    case 1:
        fuzz_soap(me, data, size);
        break;
    case 2:
        /* a refused blob leaves the state alone */
        vamt_me_load(me, data, size);
        break;
    case 3:
        vamt_nvram_decode(data, size, &contents);
        if (contents.payload) {
            vamt_me_load(me, contents.payload, contents.len);
        }
        vamt_nvram_contents_clear(&contents);
        break;
    }
    vamt_me_free(me);
    vamt_test_platform_destroy(&platform);
    return 0;
}
