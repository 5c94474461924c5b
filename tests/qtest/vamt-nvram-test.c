/*
 * QTest for the vAMT NVRAM (nvram=): the ME state across QEMU restarts
 * and migration, torn and foreign files, as a console and a tool reading
 * the file see them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "libqos/vamt.h"
#include "qemu/bswap.h"
#include "qobject/qdict.h"

/* ---- NVRAM: the ME state across QEMU restarts (nvram=) ----------------- */

#define AMT_GS_URI      "http://intel.com/wbem/wscim/1/amt-schema/1/" \
                        "AMT_GeneralSettings"
/* The on-disk layout (hw/vamt/me/nvram.h), as a tool would read it */
#define NV_HEADER_SIZE  4096
#define NV_SLOT_HEADER  16

static void nvram_start(VamtWeb *w, const char *path)
{
    g_autofree char *extra = g_strdup_printf(",nvram=%s", path);

    vamt_web_start(w, extra);
}


static char *general_setting(VamtWeb *w, const char *name)
{
    g_autofree char *env = vamt_wsman_envelope(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", AMT_GS_URI, "");
    g_autofree char *body = vamt_wsman_call(w, env);

    return vamt_element_text(body, name);
}

static void put_hostname(VamtWeb *w, const char *hostname)
{
    g_autofree char *put = g_strdup_printf(
        "<h:AMT_GeneralSettings xmlns:h=\"" AMT_GS_URI "\">"
        "<h:HostName>%s</h:HostName></h:AMT_GeneralSettings>", hostname);
    g_autofree char *env = vamt_wsman_envelope(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put", AMT_GS_URI,
        put);
    g_autofree char *body = vamt_wsman_call(w, env);
    g_autofree char *got = vamt_element_text(body, "HostName");

    g_assert_cmpstr(got, ==, hostname);
}

static bool file_contains(const char *path, const char *text)
{
    g_autofree char *data = NULL;
    gsize len;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    return memmem(data, len, text, strlen(text)) != NULL;
}

/* Start and quit QEMU with @path as its NVRAM; its stderr */
static char *nvram_run(const char *path)
{
    g_autofree char *cmd = g_strdup_printf(
        "sh -c \"printf '%%s\\n' '{\\\"execute\\\": \\\"qmp_capabilities\\\"}'"
        " '{\\\"execute\\\": \\\"quit\\\"}' | %s -machine q35 -accel qtest "
        "-nodefaults -display none -qmp stdio -device vamt,nvram=%s\"",
        g_getenv("QTEST_QEMU_BINARY"), path);
    g_autofree char *out = NULL;
    char *err = NULL;
    int status;

    g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        g_test_message("stderr: %s", err);
    }
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    return err;
}

static char *nvram_tmpfile(void)
{
    char *path = NULL;
    int fd = g_file_open_tmp("vamt-nvram-XXXXXX", &path, NULL);

    g_assert_cmpint(fd, >=, 0);
    close(fd);
    return path;
}

static uint32_t nv_le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t nv_le64(const uint8_t *p)
{
    return nv_le32(p) | (uint64_t)nv_le32(p + 4) << 32;
}

/* A console's settings survive a restart: written by the timer, or at exit */
static void test_nvram_persists(void)
{
    g_autofree char *path = nvram_tmpfile();
    g_autofree char *realm = NULL, *host = NULL, *again = NULL;
    VamtWeb w;

    nvram_start(&w, path);
    realm = general_setting(&w, "DigestRealm");
    host = general_setting(&w, "HostName");
    g_assert_cmpstr(host, ==, "vamt");
    put_hostname(&w, "saved-by-timer");
    /* on disk within a second or so, with QEMU still running */
    for (int i = 0; i < 200 && !file_contains(path, "saved-by-timer"); i++) {
        g_usleep(50 * 1000);
    }
    g_assert_true(file_contains(path, "saved-by-timer"));
    /* a change right before the end is written as QEMU exits */
    put_hostname(&w, "saved-at-exit");
    vamt_web_stop(&w);
    g_assert_true(file_contains(path, "saved-at-exit"));

    nvram_start(&w, path);
    g_free(host);
    host = general_setting(&w, "HostName");
    g_assert_cmpstr(host, ==, "saved-at-exit");
    /* the realm too, which the stored password hashes depend on */
    again = general_setting(&w, "DigestRealm");
    g_assert_cmpstr(again, ==, realm);
    vamt_web_stop(&w);
    unlink(path);
}

/*
 * Migration hands the NVRAM file to the destination: the source, which
 * keeps serving consoles, writes nothing more to it, not even at exit.
 */
static void test_nvram_migration(void)
{
    g_autofree char *path = nvram_tmpfile();
    g_autofree char *tmp = g_dir_make_tmp("vamt-test-XXXXXX", NULL);
    g_autofree char *sock = g_strdup_printf("%s/migrate", tmp);
    g_autofree char *uri = g_strdup_printf("unix:%s", sock);
    g_autofree char *dst_args = g_strdup_printf(",nvram=%s -incoming %s",
                                                path, uri);
    g_autofree char *host = NULL;
    VamtWeb src, dst;

    nvram_start(&src, path);
    put_hostname(&src, "before-migration");
    vamt_web_start(&dst, dst_args);
    qtest_qmp_assert_success(src.qts, "{ 'execute': 'migrate',"
                             " 'arguments': { 'uri': %s } }", uri);
    vamt_wait_migration(src.qts);
    qtest_qmp_eventwait(dst.qts, "RESUME");

    host = general_setting(&dst, "HostName");
    g_assert_cmpstr(host, ==, "before-migration");
    put_hostname(&dst, "destination-owns-it");
    for (int i = 0; i < 200 && !file_contains(path, "destination-owns-it");
         i++) {
        g_usleep(50 * 1000);
    }
    g_assert_true(file_contains(path, "destination-owns-it"));

    put_hostname(&src, "source-after-migration");
    g_usleep(2500 * 1000);      /* past the source's write debounce */
    g_assert_false(file_contains(path, "source-after-migration"));
    vamt_web_stop(&src);
    g_assert_false(file_contains(path, "source-after-migration"));
    vamt_web_stop(&dst);
    g_assert_true(file_contains(path, "destination-owns-it"));
    unlink(sock);
    rmdir(tmp);
    unlink(path);
}

/*
 * A migration stream whose vAMT blob length is 2^31 or more (or just too
 * big) fails the migration with an error; the destination neither
 * aborts nor allocates it, and the source keeps running.
 */
static void test_migration_hostile_lengths(void)
{
    static const uint32_t lengths[] = {
        0x80000000u, 0xffffffffu, 0x7fffffffu,
    };
    g_autofree char *tmp = g_dir_make_tmp("vamt-test-XXXXXX", NULL);
    g_autofree char *file = g_strdup_printf("%s/stream", tmp);
    g_autofree char *uri = g_strdup_printf("file:%s", file);
    g_autofree char *image = NULL;
    const char mei_magic[] = { 'V', 'M', 'E', 'I' };
    gsize len;
    char *at;
    VamtWeb src;

    vamt_web_start(&src, "");
    qtest_qmp_assert_success(src.qts, "{ 'execute': 'migrate',"
                             " 'arguments': { 'uri': %s } }", uri);
    vamt_wait_migration(src.qts);
    g_assert_true(g_file_get_contents(file, &image, &len, NULL));
    /* the MEI blob follows its length and the AMT blob's (big-endian) */
    at = memmem(image, len, mei_magic, sizeof(mei_magic));
    g_assert_nonnull(at);
    g_assert_cmpint(at - image, >=, 8);

    for (unsigned i = 0; i < G_N_ELEMENTS(lengths); i++) {
        QTestState *dst;
        QDict *rsp;
        const char *status;

        stl_be_p(at - 4, lengths[i]);
        g_assert_true(g_file_set_contents(file, image, len, NULL));
        dst = qtest_initf("-machine q35 -incoming defer"
                          " -device vamt,addr=16.0");
        qtest_qmp_assert_success(dst, "{ 'execute': 'migrate-incoming',"
                                 " 'arguments': { 'uri': %s,"
                                 " 'exit-on-error': false } }", uri);
        for (int t = 0; t < 500; t++) {
            rsp = qtest_qmp(dst, "{ 'execute': 'query-migrate' }");
            status = qdict_get_try_str(qdict_get_qdict(rsp, "return"),
                                       "status");
            if (status && !strcmp(status, "failed")) {
                qobject_unref(rsp);
                break;
            }
            qobject_unref(rsp);
            g_usleep(10 * 1000);
        }
        rsp = qtest_qmp(dst, "{ 'execute': 'query-migrate' }");
        g_assert_cmpstr(qdict_get_try_str(qdict_get_qdict(rsp, "return"),
                                          "status"), ==, "failed");
        qobject_unref(rsp);
        /* alive and answering */
        qtest_qmp_assert_success(dst, "{ 'execute': 'query-status' }");
        qtest_quit(dst);
    }
    qtest_qmp_assert_success(src.qts, "{ 'execute': 'query-status' }");
    vamt_web_stop(&src);
    unlink(file);
    rmdir(tmp);
}

/* The newest slot torn: QEMU warns and uses the generation before it */
static void test_nvram_torn(void)
{
    g_autofree char *path = nvram_tmpfile();
    g_autofree char *data = NULL, *err = NULL, *host = NULL;
    uint32_t slot_size;
    uint64_t gen[2];
    size_t newest_at;
    gsize len;
    VamtWeb w;

    nvram_start(&w, path);
    put_hostname(&w, "older-host");
    vamt_web_stop(&w);
    nvram_start(&w, path);
    put_hostname(&w, "newer-host");
    vamt_web_stop(&w);

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    slot_size = nv_le32((uint8_t *)data + 12);
    g_assert_cmpuint(len, >, NV_HEADER_SIZE + slot_size + NV_SLOT_HEADER);
    for (int i = 0; i < 2; i++) {
        gen[i] = nv_le64((uint8_t *)data + NV_HEADER_SIZE + i * slot_size);
    }
    newest_at = NV_HEADER_SIZE + (gen[1] > gen[0] ? slot_size : 0);
    g_assert_nonnull(memmem(data + newest_at, len - newest_at, "newer-host",
                            strlen("newer-host")));
    /* a write that stopped half-way: the rest of the slot is zeros */
    memset(data + newest_at + NV_SLOT_HEADER + 20, 0,
           MIN(len - newest_at, slot_size) - NV_SLOT_HEADER - 20);
    g_assert_true(g_file_set_contents(path, data, len, NULL));

    err = nvram_run(path);
    g_assert_nonnull(strstr(err, "CRC mismatch; using the state of "
                            "generation"));
    nvram_start(&w, path);
    host = general_setting(&w, "HostName");
    g_assert_cmpstr(host, ==, "older-host");
    vamt_web_stop(&w);
    unlink(path);
}

/* A file that is no NVRAM: defaults and a warning, then it becomes one */
static void test_nvram_garbage(void)
{
    g_autofree char *path = nvram_tmpfile();
    g_autofree char *junk = g_malloc(20000);
    g_autofree char *err = NULL, *host = NULL;
    VamtWeb w;

    for (size_t i = 0; i < 20000; i++) {
        junk[i] = g_test_rand_int_range(0, 256);
    }
    g_assert_true(g_file_set_contents(path, junk, 20000, NULL));
    err = nvram_run(path);
    g_assert_nonnull(strstr(err, "no valid slot"));
    g_assert_nonnull(strstr(err, "starting with factory defaults"));

    nvram_start(&w, path);
    host = general_setting(&w, "HostName");
    g_assert_cmpstr(host, ==, "vamt");
    put_hostname(&w, "after-garbage");
    vamt_web_stop(&w);
    nvram_start(&w, path);
    g_free(host);
    host = general_setting(&w, "HostName");
    g_assert_cmpstr(host, ==, "after-garbage");
    vamt_web_stop(&w);
    unlink(path);
}

static uint32_t nv_crc32(const uint8_t *p, size_t len)
{
    uint32_t crc = ~0u;

    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) {
            crc = (crc & 1) ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
        }
    }
    return ~crc;
}

/* A file of a newer format is refused and left as it is */
static void test_nvram_newer_format(void)
{
    g_autofree char *path = nvram_tmpfile();
    g_autofree char *data = NULL, *after = NULL, *err = NULL;
    g_autofree char *args = NULL;
    gsize len, after_len;
    uint32_t crc;

    err = nvram_run(path);
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpuint(len, >, NV_HEADER_SIZE);
    g_assert_cmpmem(data, 8, "vAMTnvrm", 8);
    data[8] = 2;
    crc = nv_crc32((uint8_t *)data, 16);
    for (int i = 0; i < 4; i++) {
        data[16 + i] = crc >> (8 * i);
    }
    g_assert_true(g_file_set_contents(path, data, len, NULL));

    args = g_strdup_printf("-device vamt,nvram=%s", path);
    vamt_expect_startup_error(args, "has format version 2; this QEMU reads "
                              "version 1");
    g_assert_true(g_file_get_contents(path, &after, &after_len, NULL));
    g_assert_cmpmem(after, after_len, data, len);
    unlink(path);
}

/* An NVRAM that cannot be opened stops QEMU, saying which file */
static void test_nvram_bad_path(void)
{
    vamt_expect_startup_error("-device vamt,nvram=/nonexistent/vamt-nvram",
                              "Could not create '/nonexistent/vamt-nvram'");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vamt/web/nvram-persists", test_nvram_persists);
    qtest_add_func("/vamt/web/nvram-torn", test_nvram_torn);
    qtest_add_func("/vamt/web/nvram-garbage", test_nvram_garbage);
    qtest_add_func("/vamt/web/nvram-migration", test_nvram_migration);
    qtest_add_func("/vamt/migration-hostile-lengths",
                   test_migration_hostile_lengths);
    qtest_add_func("/vamt/nvram-newer-format", test_nvram_newer_format);
    qtest_add_func("/vamt/nvram-bad-path", test_nvram_bad_path);
    return g_test_run();
}
