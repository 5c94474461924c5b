/*
 * Unit tests for the vAMT NVRAM: the A/B slot file format (round trip,
 * alternating slots, torn and corrupt writes, foreign files, random
 * damage) and the ME core's change notification that triggers writes,
 * end to end from a console's Put to a state restored from the file.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "me.h"
#include "nvram-format.h"
#include "vamt-test-support.h"

#define GENERAL_SETTINGS \
    "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings"

/* ---- a file on a "disk" that applies writes as pwrite() would ---------- */

static void disk_apply(GByteArray *disk, const VamtNvramWrite *w,
                       size_t written)
{
    if (disk->len < w->offset + written) {
        size_t old = disk->len;

        g_byte_array_set_size(disk, w->offset + written);
        memset(disk->data + old, 0, disk->len - old);
    }
    memcpy(disk->data + w->offset, w->data->data, written);
}

/* Store @data as the next generation; the whole write reaches the disk */
static VamtNvramWrite store_bytes(GByteArray *disk, VamtNvramLayout *layout,
                                  const uint8_t *data, size_t len)
{
    VamtNvramWrite w;
    char *err = NULL;

    g_assert_true(vamt_nvram_encode(layout, data, len, &w, &err));
    g_assert_null(err);
    disk_apply(disk, &w, w.data->len);
    vamt_nvram_committed(layout, &w);
    vamt_nvram_write_clear(&w);
    return w;
}

static VamtNvramWrite store(GByteArray *disk, VamtNvramLayout *layout,
                            const char *text)
{
    return store_bytes(disk, layout, (const uint8_t *)text, strlen(text));
}

/* Decode @disk and expect the state @text of generation @gen */
static void expect_state(GByteArray *disk, const char *text, uint64_t gen,
                         bool problem)
{
    VamtNvramContents c;

    vamt_nvram_decode(disk->data, disk->len, &c);
    if (c.status != VAMT_NVRAM_VALID) {
        g_test_message("problem: %s", c.problem);
    }
    g_assert_cmpint(c.status, ==, VAMT_NVRAM_VALID);
    g_assert_cmpuint(c.layout.generation, ==, gen);
    g_assert_cmpmem(c.payload, c.len, text, strlen(text));
    g_assert_true(!!c.problem == problem);
    vamt_nvram_contents_clear(&c);
}

static void expect_no_state(GByteArray *disk, VamtNvramStatus status,
                            const char *reason)
{
    VamtNvramContents c;

    vamt_nvram_decode(disk->data, disk->len, &c);
    g_assert_cmpint(c.status, ==, status);
    g_assert_null(c.payload);
    g_assert_cmpint(c.layout.active, ==, -1);
    g_assert_nonnull(c.problem);
    if (!strstr(c.problem, reason)) {
        g_test_message("problem: %s", c.problem);
    }
    g_assert_nonnull(strstr(c.problem, reason));
    vamt_nvram_contents_clear(&c);
}

static uint64_t slot_offset(int slot)
{
    return VAMT_NVRAM_HEADER_SIZE + (uint64_t)slot * VAMT_NVRAM_SLOT_SIZE;
}

/* Give the state in @slot generation @gen, as a long-lived file would */
static void set_slot_generation(GByteArray *disk, int slot, uint64_t gen)
{
    uint8_t *header = disk->data + slot_offset(slot);
    uint32_t len = header[8] | header[9] << 8 | header[10] << 16 |
                   (uint32_t)header[11] << 24;
    uint32_t crc;

    for (unsigned i = 0; i < 8; i++) {
        header[i] = gen >> (8 * i);
    }
    crc = vamt_crc32(vamt_crc32(0, header, 12),
                     header + VAMT_NVRAM_SLOT_HEADER_SIZE, len);
    for (unsigned i = 0; i < 4; i++) {
        header[12 + i] = crc >> (8 * i);
    }
}

/* ---- the file format ---------------------------------------------------- */

static void test_crc32(void)
{
    /* the CRC-32/ISO-HDLC check value, whole and in two pieces */
    g_assert_cmphex(vamt_crc32(0, "123456789", 9), ==, 0xcbf43926);
    g_assert_cmphex(vamt_crc32(vamt_crc32(0, "1234", 4), "56789", 5), ==,
                    0xcbf43926);
    g_assert_cmphex(vamt_crc32(0, "", 0), ==, 0);
}

static void test_round_trip(void)
{
    g_autoptr(GByteArray) disk = g_byte_array_new();
    VamtNvramLayout layout;
    VamtNvramContents c;
    VamtNvramWrite w;

    /* a new, empty file: nothing to load, nothing to complain about */
    vamt_nvram_decode(disk->data, 0, &c);
    g_assert_cmpint(c.status, ==, VAMT_NVRAM_EMPTY);
    g_assert_null(c.problem);
    layout = c.layout;
    g_assert_cmpuint(layout.slot_size, ==, 0);

    /* the first write carries the header and lands in slot 0 */
    w = store(disk, &layout, "first state");
    g_assert_cmpuint(w.offset, ==, 0);
    g_assert_cmpint(w.slot, ==, 0);
    g_assert_cmpuint(w.generation, ==, 1);
    g_assert_cmpmem(disk->data, 8, VAMT_NVRAM_MAGIC, 8);
    g_assert_cmpuint(disk->len, ==, slot_offset(0) +
                     VAMT_NVRAM_SLOT_HEADER_SIZE + strlen("first state"));
    expect_state(disk, "first state", 1, false);

    vamt_nvram_decode(disk->data, disk->len, &c);
    g_assert_cmpuint(c.layout.slot_size, ==, VAMT_NVRAM_SLOT_SIZE);
    g_assert_cmpint(c.layout.active, ==, 0);
    g_assert_cmpuint(c.version, ==, VAMT_NVRAM_VERSION);
    vamt_nvram_contents_clear(&c);
}

static void test_alternating_slots(void)
{
    g_autoptr(GByteArray) disk = g_byte_array_new();
    VamtNvramLayout layout = { .active = -1 };

    for (unsigned gen = 1; gen <= 6; gen++) {
        g_autofree char *text = g_strdup_printf("state %u", gen);
        VamtNvramWrite w = store(disk, &layout, text);
        VamtNvramContents c;

        g_assert_cmpint(w.slot, ==, (gen - 1) % 2);
        g_assert_cmpuint(w.generation, ==, gen);
        if (gen > 1) {
            g_assert_cmpuint(w.offset, ==, slot_offset(w.slot));
        }
        expect_state(disk, text, gen, false);

        /* a reader (the next QEMU) continues where the file is */
        vamt_nvram_decode(disk->data, disk->len, &c);
        g_assert_cmpint(c.layout.active, ==, layout.active);
        g_assert_cmpuint(c.layout.generation, ==, layout.generation);
        g_assert_cmpuint(c.layout.slot_size, ==, layout.slot_size);
        vamt_nvram_contents_clear(&c);
    }
}

/*
 * A file whose newest generation is 2^64-1: the next write must still be
 * the one a reader takes (it used to get generation 0, which no reader
 * accepts, so every later change was silently lost).
 */
static void test_generation_wraps(void)
{
    g_autoptr(GByteArray) disk = g_byte_array_new();
    VamtNvramLayout layout = { .active = -1 };
    VamtNvramContents c;
    VamtNvramWrite w;

    store(disk, &layout, "older");
    store(disk, &layout, "newest before the wrap");
    set_slot_generation(disk, 0, UINT64_MAX - 1);
    set_slot_generation(disk, 1, UINT64_MAX);
    expect_state(disk, "newest before the wrap", UINT64_MAX, false);

    vamt_nvram_decode(disk->data, disk->len, &c);
    layout = c.layout;
    vamt_nvram_contents_clear(&c);
    w = store(disk, &layout, "first after the wrap");
    g_assert_cmpint(w.slot, ==, 0);
    g_assert_cmpuint(w.generation, ==, 1);
    expect_state(disk, "first after the wrap", 1, false);

    w = store(disk, &layout, "second after the wrap");
    g_assert_cmpint(w.slot, ==, 1);
    g_assert_cmpuint(w.generation, ==, 2);
    expect_state(disk, "second after the wrap", 2, false);

    /* the other order of the slots wraps the same way */
    set_slot_generation(disk, 0, UINT64_MAX);
    set_slot_generation(disk, 1, 1);
    expect_state(disk, "second after the wrap", 1, false);
}

/* A write of generation 3 interrupted at every interesting point */
static void test_torn_write(void)
{
    static const char newest[] = "generation three, never completed";
    const size_t cuts[] = { 1, 8, 12, 15, 16, 17, 20, sizeof(newest) - 2 };

    for (unsigned i = 0; i < G_N_ELEMENTS(cuts); i++) {
        g_autoptr(GByteArray) disk = g_byte_array_new();
        VamtNvramLayout layout = { .active = -1 };
        VamtNvramWrite w;
        char *err = NULL;

        store(disk, &layout, "generation one");
        store(disk, &layout, "generation two");
        /* slot 0 held generation 1: the first bytes of 3 overwrite it */
        g_assert_true(vamt_nvram_encode(&layout, (const uint8_t *)newest,
                                        strlen(newest), &w, &err));
        g_assert_cmpint(w.slot, ==, 0);
        disk_apply(disk, &w, cuts[i]);
        vamt_nvram_write_clear(&w);
        expect_state(disk, "generation two", 2, true);
    }
}

/* Garbage in the newest slot, or a file cut short inside it */
static void test_corrupt_newest(void)
{
    g_autoptr(GByteArray) disk = g_byte_array_new();
    VamtNvramLayout layout = { .active = -1 };
    VamtNvramContents c;
    size_t payload_at = slot_offset(1) + VAMT_NVRAM_SLOT_HEADER_SIZE;

    store(disk, &layout, "older");
    store(disk, &layout, "newer");
    disk->data[payload_at + 2] ^= 0x20;
    expect_state(disk, "older", 1, true);
    vamt_nvram_decode(disk->data, disk->len, &c);
    g_assert_cmpstr(c.problem, ==, "slot 1: CRC mismatch");
    /* the next write replaces the damaged slot, never the good one */
    g_assert_cmpint(c.layout.active, ==, 0);
    layout = c.layout;
    vamt_nvram_contents_clear(&c);
    store(disk, &layout, "repaired");
    expect_state(disk, "repaired", 2, false);

    /* slot 1 is the newest again; cut the file inside it */
    g_byte_array_set_size(disk, payload_at + 3);
    expect_state(disk, "older", 1, true);
    vamt_nvram_decode(disk->data, disk->len, &c);
    g_assert_cmpstr(c.problem, ==, "slot 1: truncated");
    vamt_nvram_contents_clear(&c);

    /* a generation of 0 with a length is no valid slot either */
    vamt_nvram_decode(disk->data, disk->len, &c);
    layout = c.layout;
    vamt_nvram_contents_clear(&c);
    store(disk, &layout, "newest");
    memset(disk->data + slot_offset(1), 0, 8);
    expect_state(disk, "older", 1, true);
}

static void test_both_corrupt(void)
{
    g_autoptr(GByteArray) disk = g_byte_array_new();
    VamtNvramLayout layout = { .active = -1 };

    store(disk, &layout, "one");
    store(disk, &layout, "two");
    disk->data[slot_offset(0) + VAMT_NVRAM_SLOT_HEADER_SIZE] ^= 1;
    disk->data[slot_offset(1) + 4] ^= 0x80;     /* the generation */
    expect_no_state(disk, VAMT_NVRAM_CORRUPT,
                    "slot 0: CRC mismatch, slot 1: CRC mismatch");

    /* a header, but the first write was torn: nothing to load */
    g_byte_array_set_size(disk, slot_offset(0) + 5);
    expect_no_state(disk, VAMT_NVRAM_CORRUPT,
                    "slot 0: not written, slot 1: not written");
}

/* Rewrite the header's CRC after changing it, as a real writer would */
static void header_fix_crc(GByteArray *disk)
{
    uint32_t crc = vamt_crc32(0, disk->data, 16);

    for (int i = 0; i < 4; i++) {
        disk->data[16 + i] = crc >> (8 * i);
    }
}

static void test_foreign_files(void)
{
    g_autoptr(GByteArray) disk = g_byte_array_new();
    VamtNvramLayout layout = { .active = -1 };
    VamtNvramContents c;
    VamtNvramWrite w;
    char *err = NULL;

    store(disk, &layout, "state");

    disk->data[0] = 'V';
    expect_no_state(disk, VAMT_NVRAM_CORRUPT, "bad magic");
    disk->data[0] = 'v';

    disk->data[8] = 2;                          /* a newer format */
    expect_no_state(disk, VAMT_NVRAM_CORRUPT, "header CRC mismatch");
    header_fix_crc(disk);
    expect_no_state(disk, VAMT_NVRAM_UNSUPPORTED, "format version 2, not 1");
    vamt_nvram_decode(disk->data, disk->len, &c);
    g_assert_cmpuint(c.version, ==, 2);
    vamt_nvram_contents_clear(&c);
    disk->data[8] = 1;

    disk->data[15] = 0x7f;                      /* 2 GiB slots */
    header_fix_crc(disk);
    expect_no_state(disk, VAMT_NVRAM_CORRUPT, "bad slot size");
    disk->data[15] = 0;
    header_fix_crc(disk);
    expect_state(disk, "state", 1, false);

    g_byte_array_set_size(disk, 100);
    expect_no_state(disk, VAMT_NVRAM_CORRUPT, "too short");

    /* after an unreadable file, the next write starts it over */
    vamt_nvram_decode(disk->data, disk->len, &c);
    g_assert_true(vamt_nvram_encode(&c.layout, (const uint8_t *)"x", 1, &w,
                                    &err));
    g_assert_cmpuint(w.offset, ==, 0);
    g_assert_cmpuint(w.generation, ==, 1);
    vamt_nvram_write_clear(&w);
    vamt_nvram_contents_clear(&c);
}

static void test_encode_limits(void)
{
    VamtNvramLayout layout = { .active = -1 };
    size_t big = VAMT_NVRAM_SLOT_SIZE - VAMT_NVRAM_SLOT_HEADER_SIZE;
    g_autofree uint8_t *payload = g_malloc0(big + 1);
    g_autoptr(GByteArray) disk = g_byte_array_new();
    VamtNvramWrite w;
    char *err = NULL;

    g_assert_false(vamt_nvram_encode(&layout, payload, 0, &w, &err));
    g_assert_nonnull(err);
    g_clear_pointer(&err, g_free);
    g_assert_false(vamt_nvram_encode(&layout, payload, big + 1, &w, &err));
    g_assert_nonnull(strstr(err, "does not fit"));
    g_clear_pointer(&err, g_free);

    /* a slot filled to the last byte is still valid */
    g_assert_true(vamt_nvram_encode(&layout, payload, big, &w, &err));
    disk_apply(disk, &w, w.data->len);
    vamt_nvram_committed(&layout, &w);
    vamt_nvram_write_clear(&w);
    g_assert_true(vamt_nvram_encode(&layout, payload, big, &w, &err));
    disk_apply(disk, &w, w.data->len);
    vamt_nvram_write_clear(&w);
    g_assert_cmpuint(disk->len, ==, slot_offset(2));
    {
        VamtNvramContents c;

        vamt_nvram_decode(disk->data, disk->len, &c);
        g_assert_cmpint(c.status, ==, VAMT_NVRAM_VALID);
        g_assert_cmpuint(c.layout.generation, ==, 2);
        g_assert_cmpuint(c.len, ==, big);
        vamt_nvram_contents_clear(&c);
    }
}

/*
 * Random damage (flipped bytes, random bytes, cuts) never crashes the
 * decoder, and whatever it accepts is a state that was really written.
 */
static void test_fuzz(void)
{
    g_autoptr(GByteArray) pristine = g_byte_array_new();
    VamtNvramLayout layout = { .active = -1 };
    char text[2][64];
    GRand *rand = g_rand_new_with_seed(0x5eed);

    g_snprintf(text[0], sizeof(text[0]), "older state %u", 1);
    g_snprintf(text[1], sizeof(text[1]), "newer state, a bit longer %u", 2);
    store(pristine, &layout, text[0]);
    store(pristine, &layout, text[1]);

    for (unsigned iter = 0; iter < 4000; iter++) {
        g_autoptr(GByteArray) disk = g_byte_array_new();
        unsigned damage = g_rand_int_range(rand, 1, 8);
        VamtNvramContents c;

        g_byte_array_append(disk, pristine->data, pristine->len);
        for (unsigned d = 0; d < damage; d++) {
            size_t at;

            switch (g_rand_int_range(rand, 0, 4)) {
            case 0:     /* anywhere */
                at = g_rand_int_range(rand, 0, disk->len);
                disk->data[at] ^= 1 << g_rand_int_range(rand, 0, 8);
                break;
            case 1:     /* in the header or a slot header */
                at = g_rand_int_range(rand, 0, 3);
                at = at ? slot_offset(at - 1) : 0;
                at += g_rand_int_range(rand, 0, 20);
                if (at < disk->len) {
                    disk->data[at] = g_rand_int_range(rand, 0, 256);
                }
                break;
            case 2:     /* a cut */
                g_byte_array_set_size(disk,
                                      g_rand_int_range(rand, 0, disk->len));
                break;
            default:    /* random bytes appended, as a bigger file */
                for (unsigned n = g_rand_int_range(rand, 1, 64); n; n--) {
                    uint8_t b = g_rand_int_range(rand, 0, 256);

                    g_byte_array_append(disk, &b, 1);
                }
                break;
            }
            if (!disk->len) {
                break;
            }
        }
        vamt_nvram_decode(disk->data, disk->len, &c);
        if (c.status == VAMT_NVRAM_VALID) {
            int slot = c.layout.active;

            g_assert_cmpuint(c.layout.generation, ==, slot + 1);
            g_assert_cmpmem(c.payload, c.len, text[slot],
                            strlen(text[slot]));
        } else {
            g_assert_true(c.status == VAMT_NVRAM_EMPTY || c.problem);
        }
        vamt_nvram_contents_clear(&c);
    }
    /* fully random files, of any size up to a full one */
    for (unsigned iter = 0; iter < 200; iter++) {
        size_t len = g_rand_int_range(rand, 0, slot_offset(2) + 100);
        g_autofree uint8_t *junk = g_malloc(len + 1);
        VamtNvramContents c;

        for (size_t i = 0; i < len; i++) {
            junk[i] = g_rand_int(rand);
        }
        if (len > 8 && iter % 2) {
            memcpy(junk, VAMT_NVRAM_MAGIC, 8);
        }
        vamt_nvram_decode(junk, len, &c);
        g_assert_cmpint(c.status, !=, VAMT_NVRAM_VALID);
        vamt_nvram_contents_clear(&c);
    }
    g_rand_free(rand);
}

/* ---- the ME core: change notifications and a state that fits ----------- */

/*
 * The realm goes into every 401's WWW-Authenticate header: a stored one
 * with CR/LF (or anything but "Digest:" + 32 hex digits) would inject
 * header lines, so the whole load is refused and the state kept.
 */
static void test_load_checks_realm(void)
{
    static const struct {
        const char *realm;
        bool valid;
    } cases[] = {
        { "Digest:A1B2C3D4E5F60718293A4B5C6D7E8F90", true },
        { "Digest:a1b2c3d4e5f60718293a4b5c6d7e8f90", true },
        { "Digest:A1B2C3D4E5F60718293A4B5C6D7E8F9", false },
        { "Digest:A1B2C3D4E5F60718293A4B5C6D7E8F900", false },
        { "Digest:A1B2C3D4E5F60718293A4B5C6D7E8F9G", false },
        { "Digest:\r\nX-Injected: 1\r\n\r\n0123456789ab", false },
        { "Digest:A1B2C3D4E5F60718\"293A4B5C6D7E8F9", false },
        { "digest:A1B2C3D4E5F60718293A4B5C6D7E8F90", false },
        { "", false },
    };
    VamtTestPlatform fake;
    VamtFirmware fw;
    VamtAmt *amt, *target;

    vamt_test_platform_init(&fake, VAMT_POWER_ON);
    vamt_firmware_init(&fw);
    amt = vamt_amt_new(&fw, &vamt_test_platform_ops, &fake);
    target = vamt_amt_new(&fw, &vamt_test_platform_ops, &fake);
    g_strlcpy(vamt_amt_state(target)->hostname, "untouched",
              sizeof(vamt_amt_state(target)->hostname));

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GByteArray) blob = g_byte_array_new();
        VamtAmtState *s = vamt_amt_state(amt);

        g_test_message("realm %s", cases[i].realm);
        g_assert_cmpint(vamt_amt_realm_is_valid(cases[i].realm), ==,
                        cases[i].valid);
        g_strlcpy(s->realm, cases[i].realm, sizeof(s->realm));
        g_strlcpy(s->hostname, "loaded", sizeof(s->hostname));
        vamt_amt_save(amt, blob);
        if (cases[i].valid) {
            VamtAmt *copy = vamt_amt_new(&fw, &vamt_test_platform_ops, &fake);

            g_assert_true(vamt_amt_load(copy, blob->data, blob->len));
            g_assert_cmpstr(vamt_amt_realm(copy), ==, cases[i].realm);
            vamt_amt_free(copy);
        } else {
            g_autofree char *realm = g_strdup(vamt_amt_realm(target));

            g_assert_false(vamt_amt_load(target, blob->data, blob->len));
            g_assert_cmpstr(vamt_amt_realm(target), ==, realm);
            g_assert_cmpstr(vamt_amt_state(target)->hostname, ==,
                            "untouched");
        }
    }
    vamt_amt_free(amt);
    vamt_amt_free(target);
    vamt_test_platform_destroy(&fake);
}

static void test_change_notifications(void)
{
    VamtTestPlatform fake;
    VamtFirmware fw;
    VamtAmt *amt, *other;
    VamtAmtState *s;
    g_autoptr(GByteArray) blob = g_byte_array_new();
    static const VamtEventRecord boot = { .sensor_type = 0x0f };

    vamt_test_platform_init(&fake, VAMT_POWER_ON);
    vamt_firmware_init(&fw);
    amt = vamt_amt_new(&fw, &vamt_test_platform_ops_nvram, &fake);
    s = vamt_amt_state(amt);
    g_assert_cmpuint(fake.changes, ==, 0);

    vamt_amt_set_admin_password(amt, PASSWORD);
    g_assert_cmpuint(fake.changes, ==, 1);
    /* the same password again changes nothing */
    vamt_amt_set_admin_password(amt, PASSWORD);
    g_assert_cmpuint(fake.changes, ==, 1);

    g_assert_cmpuint(vamt_amt_add_user(amt, "operator",
                                       "0123456789abcdef0123456789abcdef",
                                       VAMT_ACCESS_NETWORK, 1 << 5), !=, 0);
    g_assert_cmpuint(fake.changes, ==, 2);
    /* a refused add changes nothing */
    g_assert_cmpuint(vamt_amt_add_user(amt, "operator",
                                       "0123456789abcdef0123456789abcdef",
                                       VAMT_ACCESS_NETWORK, 1 << 5), ==, 0);
    g_assert_cmpuint(fake.changes, ==, 2);

    vamt_log_event(amt, &boot);
    vamt_audit_event(amt, VAMT_AUDIT_POWER_UP, "admin");
    vamt_amt_notify_boot(amt);
    g_assert_cmpuint(fake.changes, ==, 5);

    /* a provider's change in place, noticed when the request is done */
    g_strlcpy(s->hostname, "renamed", sizeof(s->hostname));
    vamt_amt_find_user(amt, 1)->enabled = false;
    vamt_amt_check_changed(amt);
    g_assert_cmpuint(fake.changes, ==, 6);
    vamt_amt_check_changed(amt);
    g_assert_cmpuint(fake.changes, ==, 6);
    /* state that is not saved (the consent code on screen) is no change */
    s->opt_in_code = 123456;
    vamt_amt_check_changed(amt);
    g_assert_cmpuint(fake.changes, ==, 6);

    /* loading is no change; changing back from the loaded state is */
    vamt_amt_save(amt, blob);
    other = vamt_amt_new(&fw, &vamt_test_platform_ops_nvram, &fake);
    g_assert_true(vamt_amt_load(other, blob->data, blob->len));
    g_assert_cmpuint(fake.changes, ==, 6);
    g_assert_cmpstr(vamt_amt_state(other)->hostname, ==, "renamed");
    vamt_amt_check_changed(other);
    g_assert_cmpuint(fake.changes, ==, 6);
    g_strlcpy(vamt_amt_state(other)->hostname, "vamt",
              sizeof(s->hostname));
    vamt_amt_check_changed(other);
    g_assert_cmpuint(fake.changes, ==, 7);

    vamt_amt_free(other);
    vamt_amt_free(amt);
    vamt_test_platform_destroy(&fake);
}

/* Every table and log full, every string at its longest */
static void test_largest_state_fits(void)
{
    VamtTestPlatform fake;
    VamtFirmware fw;
    VamtAmt *amt;
    VamtAmtState *s;
    g_autoptr(GByteArray) blob = g_byte_array_new();
    uint8_t ext[VAMT_AMT_AUDIT_EXTENDED_MAX];
    char name[VAMT_AMT_ALARM_NAME_MAX + 1];

    memset(ext, 0xa5, sizeof(ext));
    vamt_test_platform_init(&fake, VAMT_POWER_ON);
    vamt_firmware_init(&fw);
    amt = vamt_amt_new(&fw, &vamt_test_platform_ops_nvram, &fake);
    s = vamt_amt_state(amt);
    memset(s->hostname, 'h', VAMT_AMT_HOSTNAME_MAX);
    memset(s->domainname, 'd', VAMT_AMT_DOMAIN_MAX);
    memset(s->admin_name, 'a', VAMT_AMT_USER_NAME_MAX);
    for (unsigned i = 0; i < VAMT_AMT_MAX_USERS; i++) {
        g_autofree char *user = g_strdup_printf("%032u", i);

        g_assert_cmpuint(vamt_amt_add_user(amt, user,
                                           "0123456789abcdef0123456789abcdef",
                                           VAMT_ACCESS_ANY, UINT32_MAX), !=, 0);
    }
    for (unsigned i = 0; i < VAMT_AMT_EVENT_LOG_SIZE + 3; i++) {
        vamt_log_event(amt, &(VamtEventRecord) { .severity = 1 });
    }
    memset(name, 'u', VAMT_AMT_AUDIT_USER_MAX);
    name[VAMT_AMT_AUDIT_USER_MAX] = 0;
    for (unsigned i = 0; i < VAMT_AMT_AUDIT_LOG_SIZE + 3; i++) {
        vamt_audit_event_ex(amt, VAMT_AUDIT_ACL_ENTRY_ADDED, name, ext,
                            sizeof(ext));
    }
    memset(name, 'n', VAMT_AMT_ALARM_NAME_MAX);
    name[VAMT_AMT_ALARM_NAME_MAX] = 0;
    for (unsigned i = 0; i < VAMT_AMT_MAX_ALARMS; i++) {
        s->alarms[i].in_use = true;
        g_strlcpy(s->alarms[i].name, name, sizeof(s->alarms[i].name));
    }
    vamt_amt_save(amt, blob);
    g_test_message("largest state: %u bytes", blob->len);
    /* room to grow: the slot is twice the largest state */
    g_assert_cmpuint(blob->len * 2, <=,
                     VAMT_NVRAM_SLOT_SIZE - VAMT_NVRAM_SLOT_HEADER_SIZE);
    vamt_amt_free(amt);
    vamt_test_platform_destroy(&fake);
}

/* ---- end to end: a console's Put, the file, a new ME -------------------- */

/* POST a WS-Man @action on AMT_GeneralSettings as admin, with Digest */
static char *admin_wsman(VamtMe *me, const char *action, const char *body)
{
    g_autofree char *nonce = vamt_test_http_nonce(me);
    const VamtTestDigestAuth a = {
        .user = "admin", .realm = vamt_amt_realm(vamt_me_amt(me)),
        .password = PASSWORD, .uri = "/wsman", .nonce = nonce,
        .nc = "00000001", .cnonce = "c0ffee",
    };
    g_autofree char *authorization = vamt_test_digest_authorization(&a);
    g_autofree char *env = vamt_test_wsman_envelope(action, GENERAL_SETTINGS,
                                                    body);
    g_autofree char *request = vamt_test_post_request("vamt:16992", "/wsman",
                                                      authorization, env);

    return vamt_test_http_send(me, request);
}

static void test_console_put_persists(void)
{
    static const char put_body[] =
        "<r:AMT_GeneralSettings xmlns:r=\"" GENERAL_SETTINGS "\">"
        "<r:HostName>saved-host</r:HostName></r:AMT_GeneralSettings>";
    VamtTestPlatform fake, fake2;
    g_autoptr(GByteArray) disk = g_byte_array_new();
    g_autoptr(GByteArray) blob = g_byte_array_new();
    VamtNvramLayout layout = { .active = -1 };
    VamtNvramContents c;
    VamtFirmware fw;
    VamtMe *me, *restarted;
    char *rsp;

    vamt_test_platform_init(&fake, VAMT_POWER_ON);
    vamt_test_platform_init(&fake2, VAMT_POWER_ON);
    fake2.random_byte = 0x80;
    vamt_firmware_init(&fw);
    me = vamt_me_new(&fw, &vamt_test_platform_ops_nvram, &fake);
    vamt_me_set_admin_password(me, PASSWORD);
    fake.changes = 0;

    /* reading is no change */
    rsp = admin_wsman(me, NS_XFER "/Get", "");
    g_assert_true(g_str_has_prefix(rsp, "HTTP/1.1 200"));
    g_free(rsp);
    g_assert_cmpuint(fake.changes, ==, 0);

    rsp = admin_wsman(me, NS_XFER "/Put", put_body);
    g_assert_true(g_str_has_prefix(rsp, "HTTP/1.1 200"));
    g_free(rsp);
    g_assert_cmpuint(fake.changes, ==, 1);
    /* the same Put again leaves nothing new to write */
    rsp = admin_wsman(me, NS_XFER "/Put", put_body);
    g_free(rsp);
    g_assert_cmpuint(fake.changes, ==, 1);

    /* what the platform writes, and the next QEMU reads */
    vamt_amt_save(vamt_me_amt(me), blob);
    store_bytes(disk, &layout, blob->data, blob->len);
    vamt_nvram_decode(disk->data, disk->len, &c);
    g_assert_cmpint(c.status, ==, VAMT_NVRAM_VALID);
    restarted = vamt_me_new(&fw, &vamt_test_platform_ops_nvram, &fake2);
    g_assert_cmpstr(vamt_amt_realm(vamt_me_amt(restarted)), !=,
                    vamt_amt_realm(vamt_me_amt(me)));
    g_assert_true(vamt_me_load(restarted, c.payload, c.len));
    vamt_nvram_contents_clear(&c);
    g_assert_cmpstr(vamt_amt_state(vamt_me_amt(restarted))->hostname, ==,
                    "saved-host");
    /* the realm comes back with the password hashes that depend on it */
    g_assert_cmpstr(vamt_amt_realm(vamt_me_amt(restarted)), ==,
                    vamt_amt_realm(vamt_me_amt(me)));
    rsp = admin_wsman(restarted, NS_XFER "/Get", "");
    g_assert_true(g_str_has_prefix(rsp, "HTTP/1.1 200"));
    g_assert_nonnull(strstr(rsp, "saved-host"));
    g_free(rsp);

    vamt_me_free(restarted);
    vamt_me_free(me);
    vamt_test_platform_destroy(&fake2);
    vamt_test_platform_destroy(&fake);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/nvram/crc32", test_crc32);
    g_test_add_func("/vamt/nvram/round-trip", test_round_trip);
    g_test_add_func("/vamt/nvram/alternating-slots", test_alternating_slots);
    g_test_add_func("/vamt/nvram/torn-write", test_torn_write);
    g_test_add_func("/vamt/nvram/generation-wraps", test_generation_wraps);
    g_test_add_func("/vamt/nvram/corrupt-newest", test_corrupt_newest);
    g_test_add_func("/vamt/nvram/both-corrupt", test_both_corrupt);
    g_test_add_func("/vamt/nvram/foreign-files", test_foreign_files);
    g_test_add_func("/vamt/nvram/encode-limits", test_encode_limits);
    g_test_add_func("/vamt/nvram/fuzz", test_fuzz);
    g_test_add_func("/vamt/nvram/load-checks-realm", test_load_checks_realm);
    g_test_add_func("/vamt/nvram/change-notifications",
                    test_change_notifications);
    g_test_add_func("/vamt/nvram/largest-state-fits",
                    test_largest_state_fits);
    g_test_add_func("/vamt/nvram/console-put-persists",
                    test_console_put_persists);
    return g_test_run();
}
