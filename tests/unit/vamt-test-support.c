/*
 * Helpers shared by the vAMT ME core's unit tests and its benchmark.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>
#include <nettle/des.h>

#include "vamt-test-support.h"

/* ---- Fake platform ------------------------------------------------------ */

static const uint8_t platform_uuid[16] = {
    0x3F, 0x25, 0x04, 0xE0, 0x4F, 0x89, 0x41, 0xD3,
    0x9A, 0x0C, 0x03, 0x05, 0xE8, 0x2C, 0x33, 0x01,
};

void vamt_test_platform_init(VamtTestPlatform *p, VamtPowerState power)
{
    memset(p, 0, sizeof(*p));
    p->power = power;
    p->power_requests = g_array_new(FALSE, FALSE, sizeof(VamtPowerState));
    p->boot_targets = g_array_new(FALSE, FALSE, sizeof(VamtBootTarget));
    p->utc = NOW_UTC;
    p->ms = 1000;
    p->inv = (VamtInventory) {
        .bios_vendor = "EFI Development Kit II / OVMF",
        .bios_version = "0.0.0",
        .bios_date = "02/06/2015",
        .system_manufacturer = "QEMU",
        .system_product = "Standard PC (Q35 + ICH9, 2009)",
        .system_version = "pc-q35-10.0",
        .system_serial = "VAMT-0001",
        .board_manufacturer = "QEMU",
        .board_product = "vAMT board",
        .chassis_manufacturer = "QEMU chassis",
        .cpus = 2,
        .cpu_model = "Intel(R) Core(TM) i7-12700",
        .cpu_max_mhz = 2100,
        .ram_bytes = 2ULL << 30,
        .nics = 1,
        .nic_mac = { { 0x52, 0x54, 0x00, 0xAB, 0xCD, 0xEF } },
        .displays = 1,
        .display_width = { 1024 },
        .display_height = { 768 },
    };
    memcpy(p->inv.system_uuid, platform_uuid, 16);
}

void vamt_test_platform_destroy(VamtTestPlatform *p)
{
    g_array_free(p->power_requests, TRUE);
    g_array_free(p->boot_targets, TRUE);
}

VamtPowerState vamt_test_power_state(void *opaque)
{
    return ((VamtTestPlatform *)opaque)->power;
}

/*
 * Carries out whatever the core's power policy lets through, so that a
 * test of a refusal tests the core, not the fake.
 */
bool vamt_test_power_request(void *opaque, VamtPowerState request)
{
    VamtTestPlatform *p = opaque;

    switch (request) {
    case VAMT_POWER_ON:
        p->power = VAMT_POWER_ON;
        break;
    case VAMT_POWER_OFF_SOFT:
    case VAMT_POWER_OFF_HARD:
    case VAMT_POWER_OFF_SOFT_GRACEFUL:
    case VAMT_POWER_OFF_HARD_GRACEFUL:
        p->power = VAMT_POWER_OFF_SOFT;
        break;
    default:
        break;
    }
    g_array_append_val(p->power_requests, request);
    return true;
}

bool vamt_test_set_boot_target(void *opaque, VamtBootTarget target)
{
    VamtTestPlatform *p = opaque;

    g_array_append_val(p->boot_targets, target);
    return !(p->boot_refused & (1u << target));
}

const VamtInventory *vamt_test_inventory(void *opaque)
{
    return &((VamtTestPlatform *)opaque)->inv;
}

int64_t vamt_test_time_utc(void *opaque)
{
    return ((VamtTestPlatform *)opaque)->utc;
}

int64_t vamt_test_clock_ms(void *opaque)
{
    return ((VamtTestPlatform *)opaque)->ms;
}

void vamt_test_random(void *opaque, uint8_t *buf, size_t len)
{
    VamtTestPlatform *p = opaque;

    for (size_t i = 0; i < len; i++) {
        buf[i] = p->random_byte++;
    }
}

bool vamt_test_vnc_response(void *opaque, const char *password,
                            const uint8_t *challenge, uint8_t *response)
{
    struct des_ctx ctx;
    uint8_t key[DES_KEY_SIZE] = { 0 };

    /* RFB's DES key: the password's first 8 bytes, each bit-reversed */
    for (unsigned i = 0; i < DES_KEY_SIZE && password[i]; i++) {
        uint8_t b = password[i], r = 0;

        for (unsigned bit = 0; bit < 8; bit++) {
            r |= ((b >> bit) & 1) << (7 - bit);
        }
        key[i] = r;
    }
    /* a weak key still encrypts; VNC does not refuse one */
    des_set_key(&ctx, key);
    des_encrypt(&ctx, 16, response, challenge);
    return true;
}

void vamt_test_show_consent_code(void *opaque, bool shown, uint32_t code)
{
    VamtTestPlatform *p = opaque;

    p->consent_shown = shown;
    p->consent_code = shown ? code : 0;
    p->consent_shows++;
}

void vamt_test_state_changed(void *opaque)
{
    ((VamtTestPlatform *)opaque)->changes++;
}

void vamt_test_agent_expired(void *opaque, const uint8_t *id,
                             uint16_t timeout_s)
{
    VamtTestPlatform *p = opaque;

    memcpy(p->expired_agent, id, sizeof(p->expired_agent));
    p->agent_expiries++;
}

bool vamt_test_nic_status(void *opaque, VamtNicStatus *status)
{
    VamtTestPlatform *p = opaque;

    if (!p->has_nic) {
        return false;
    }
    *status = (VamtNicStatus) {
        .address = 0x0a00020f, .netmask = 0xffffff00, .gateway = 0x0a000202,
        .dhcp = true, .link_up = true,
    };
    return true;
}

bool vamt_test_nic_filter_matched(void *opaque, uint32_t handle,
                                  uint64_t *packets)
{
    VamtTestPlatform *p = opaque;

    *packets = p->nic_filter_packets;
    return p->has_nic;
}

const VamtPlatformOps vamt_test_platform_ops = {
    VAMT_TEST_PLATFORM_OPS,
};

const VamtPlatformOps vamt_test_platform_ops_nvram = {
    VAMT_TEST_PLATFORM_OPS,
    .state_changed = vamt_test_state_changed,
};

void vamt_test_firmware_init(VamtFirmware *fw)
{
    vamt_firmware_init(fw);
    fw->version = (VamtFwVersion) { 16, 1, 25, 2124 };
}

VamtMe *vamt_test_me_new(VamtTestPlatform *platform, VamtFirmware *fw)
{
    VamtMe *me;

    vamt_test_platform_init(platform, VAMT_POWER_ON);
    vamt_test_firmware_init(fw);
    me = vamt_me_new(fw, &vamt_test_platform_ops, platform);
    vamt_me_set_admin_password(me, PASSWORD);
    return me;
}

char *vamt_test_admin_authorization(VamtMe *me, const char *password)
{
    g_autofree char *nonce = vamt_test_http_nonce(me);
    VamtTestDigestAuth a = {
        .user = "admin", .realm = vamt_amt_realm(vamt_me_amt(me)),
        .password = password, .uri = "/wsman", .nonce = nonce,
        .nc = "00000001", .cnonce = "0badf00d",
    };

    return vamt_test_digest_authorization(&a);
}

/* ---- Fake Digest environment -------------------------------------------- */

static void digest_env_random(void *opaque, uint8_t *buf, size_t len)
{
    VamtTestDigestEnv *d = opaque;

    for (size_t i = 0; i < len; i++) {
        if (d->next_random->len) {
            buf[i] = d->next_random->data[0];
            g_byte_array_remove_index(d->next_random, 0);
        } else {
            buf[i] = g_rand_int_range(d->rand, 0, 256);
        }
    }
}

static int64_t digest_env_clock(void *opaque)
{
    return ((VamtTestDigestEnv *)opaque)->now_ms;
}

static bool digest_env_get_ha1(void *opaque, const char *user,
                               const char *peer,
                               char ha1_hex[VAMT_DIGEST_HEX_LEN + 1])
{
    if (strcmp(user, "admin") != 0) {
        return false;
    }
    vamt_digest_ha1(user, REALM, PASSWORD, ha1_hex);
    return true;
}

static void digest_env_locked_out(void *opaque, const char *user)
{
    ((VamtTestDigestEnv *)opaque)->lockouts++;
}

static const VamtDigestOps digest_env_ops = {
    .random_bytes = digest_env_random,
    .clock_ms = digest_env_clock,
    .get_ha1 = digest_env_get_ha1,
    .locked_out = digest_env_locked_out,
};

void vamt_test_digest_env_init(VamtTestDigestEnv *d, int64_t now_ms,
                               guint32 seed)
{
    memset(d, 0, sizeof(*d));
    d->now_ms = now_ms;
    d->rand = g_rand_new_with_seed(seed);
    d->next_random = g_byte_array_new();
    d->digest = vamt_digest_new(&digest_env_ops, d, REALM);
}

void vamt_test_digest_env_destroy(VamtTestDigestEnv *d)
{
    vamt_digest_free(d->digest);
    g_byte_array_free(d->next_random, TRUE);
    g_rand_free(d->rand);
}

void vamt_test_issue_nonce(VamtTestDigestEnv *d, const char *nonce)
{
    gsize len;
    g_autofree guchar *raw = g_base64_decode(nonce, &len);
    g_autofree char *challenge = NULL;

    g_assert_cmpuint(len, ==, VAMT_DIGEST_NONCE_BYTES);
    g_byte_array_append(d->next_random, raw, len);
    challenge = vamt_digest_challenge(d->digest, false);
    g_assert_cmpuint(d->next_random->len, ==, 0);
    g_assert_nonnull(strstr(challenge, nonce));
}

/* ---- HTTP with the ME --------------------------------------------------- */

char *vamt_test_post_request(const char *host, const char *path,
                             const char *authorization, const char *body)
{
    GString *req = g_string_new(NULL);

    g_string_append_printf(req, "POST %s HTTP/1.1\r\nHost: %s\r\n", path,
                           host);
    if (authorization) {
        g_string_append_printf(req, "Authorization: %s\r\n", authorization);
    }
    g_string_append_printf(req, "Content-Length: %zu\r\n\r\n%s",
                           strlen(body), body);
    return g_string_free(req, FALSE);
}

static void conn_write(void *opaque, const uint8_t *data, size_t len)
{
    g_string_append_len(opaque, (const char *)data, len);
}

static void conn_close(void *opaque)
{
}

static const VamtStreamOps conn_ops = {
    .write = conn_write,
    .close = conn_close,
};

char *vamt_test_http_send(VamtMe *me, const char *request)
{
    return vamt_test_http_send_from(me, NULL, request);
}

char *vamt_test_http_send_from(VamtMe *me, const char *peer,
                               const char *request)
{
    GString *out = g_string_new(NULL);
    VamtHttpConn *conn = vamt_http_conn_new(vamt_me_http(me), &conn_ops,
                                            out);

    vamt_http_conn_set_peer(conn, peer);
    vamt_http_conn_input(conn, (const uint8_t *)request, strlen(request));
    vamt_http_conn_free(conn);
    return g_string_free(out, FALSE);
}

char *vamt_test_http_nonce(VamtMe *me)
{
    g_autofree char *challenge = vamt_test_http_send(
        me, "POST /wsman HTTP/1.1\r\nHost: vamt\r\nContent-Length: 0\r\n\r\n");

    g_assert_true(g_str_has_prefix(challenge, "HTTP/1.1 401 "));
    return vamt_test_challenge_nonce(challenge);
}

GString *vamt_test_dechunk(const char *p, const char *end)
{
    GString *out = g_string_new(NULL);

    while (p < end) {
        const char *line_end;
        guint64 size = g_ascii_strtoull(p, NULL, 16);

        line_end = g_strstr_len(p, end - p, "\r\n");
        g_assert_nonnull(line_end);
        p = line_end + 2;
        if (!size) {
            break;
        }
        g_assert_cmpint(end - p, >=, (gint64)size);
        g_string_append_len(out, p, size);
        p += size + 2;
    }
    return out;
}

VamtTestReply *vamt_test_reply_parse(const char *data, size_t len)
{
    VamtTestReply *r = g_new0(VamtTestReply, 1);
    const char *end = data + len;
    const char *head_end = g_strstr_len(data, len, "\r\n\r\n");

    g_assert_true(g_str_has_prefix(data, "HTTP/1.1 "));
    g_assert_nonnull(head_end);
    r->head = g_string_new_len(data, head_end - data);
    r->status = atoi(data + strlen("HTTP/1.1 "));
    if (strstr(r->head->str, "Transfer-Encoding: chunked")) {
        r->body = vamt_test_dechunk(head_end + 4, end);
    } else {
        r->body = g_string_new_len(head_end + 4, end - head_end - 4);
    }
    return r;
}

void vamt_test_reply_free(VamtTestReply *r)
{
    g_string_free(r->head, TRUE);
    g_string_free(r->body, TRUE);
    g_free(r);
}

/* ---- WS-Man requests ---------------------------------------------------- */

char *vamt_test_wsman_envelope(const char *action, const char *resource,
                               const char *body)
{
    return g_strdup_printf(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Envelope "
        "xmlns:a=\"" NS_WSA "\" xmlns:w=\"" NS_WSMAN "\" "
        "xmlns=\"" NS_SOAP "\"><Header><a:Action>%s</a:Action>"
        "<a:To>/wsman</a:To><w:ResourceURI>%s</w:ResourceURI>"
        "<a:MessageID>1</a:MessageID></Header><Body>%s</Body></Envelope>",
        action, resource, body ? body : "");
}

char *vamt_test_invoke_body(const char *resource, const char *method,
                            const char *args)
{
    return g_strdup_printf("<r:%s_INPUT xmlns:r=\"%s\">%s</r:%s_INPUT>",
                           method, resource, args ? args : "", method);
}

GString *vamt_test_identify_with_attributes(unsigned attributes)
{
    static const char letters[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    GString *s = g_string_new("<s:Envelope xmlns:s=\"" NS_SOAP "\" "
                              "xmlns:i=\"http://schemas.dmtf.org/wbem/wsman/"
                              "identity/1/wsmanidentity.xsd\"><s:Header/>"
                              "<s:Body><i:Identify");

    for (unsigned i = 0; i < attributes; i++) {
        g_string_append_printf(s, " %c%c%c=\"\"", letters[i / 52 / 52 % 52],
                               letters[i / 52 % 52], letters[i % 52]);
    }
    g_string_append(s, "/></s:Body></s:Envelope>");
    return s;
}

/* ---- Captures ----------------------------------------------------------- */

const char *vamt_test_captures_root(void)
{
    const char *root = g_getenv("VAMT_CAPTURES");

    return root ? root : VAMT_CAPTURES_DIR;
}

/* file names start with the sequence number */
static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *vamt_test_capture_sessions(const char *root)
{
    GDir *d = g_dir_open(root, 0, NULL);
    GPtrArray *dirs;
    const char *name;

    if (!d) {
        return NULL;
    }
    dirs = g_ptr_array_new_with_free_func(g_free);
    while ((name = g_dir_read_name(d))) {
        char *path = g_build_filename(root, name, NULL);

        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            g_ptr_array_add(dirs, path);
        } else {
            g_free(path);
        }
    }
    g_dir_close(d);
    g_ptr_array_sort(dirs, compare_names);
    return dirs;
}

static void capture_free(gpointer p)
{
    VamtTestCapture *c = p;

    g_free(c->name);
    g_free(c->data);
    g_free(c);
}

GPtrArray *vamt_test_captures_load(const char *dir)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(dir, 0, NULL);
    GPtrArray *list;
    const char *name;

    if (!d) {
        return NULL;
    }
    while ((name = g_dir_read_name(d))) {
        if (g_str_has_suffix(name, ".http")) {
            g_ptr_array_add(names, g_strdup(name));
        }
    }
    g_dir_close(d);
    g_ptr_array_sort(names, compare_names);
    list = g_ptr_array_new_with_free_func(capture_free);
    for (guint i = 0; i < names->len; i++) {
        VamtTestCapture *c = g_new0(VamtTestCapture, 1);
        g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);

        c->name = g_strdup(names->pdata[i]);
        g_assert_true(g_file_get_contents(path, &c->data, &c->len, NULL));
        g_ptr_array_add(list, c);
    }
    return list;
}
