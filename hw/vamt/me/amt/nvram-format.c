/*
 * vAMT ME core: the NVRAM file format (A/B slots, see nvram.h)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "blob.h"
#include "byte-order.h"
#include "nvram-format.h"

#define MAGIC_LEN       8
#define HEADER_CRC_SPAN 16      /* magic, version, slot size */

static uint32_t crc32_table[256];

static gpointer crc32_table_init(gpointer unused)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;

        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        }
        crc32_table[i] = c;
    }
    return NULL;
}

uint32_t vamt_crc32(uint32_t crc, const void *data, size_t len)
{
    static GOnce once = G_ONCE_INIT;
    const uint8_t *p = data;

    g_once(&once, crc32_table_init, NULL);
    crc = ~crc;
    while (len--) {
        crc = crc32_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

/*
 * Is generation @a newer than @b?  The two slots hold consecutive
 * generations, so comparing them modulo 2^64 (RFC 1982 serial numbers)
 * stays right when the counter wraps from 2^64-1 to 1.
 */
static bool generation_newer(uint64_t a, uint64_t b)
{
    return (int64_t)(a - b) > 0;
}

/* 0 marks a slot never written, so the counter skips it when it wraps */
static uint64_t generation_next(uint64_t gen)
{
    return gen + 1 ?: 1;
}

static uint32_t slot_crc(const uint8_t *slot_header, const uint8_t *payload,
                         uint32_t len)
{
    return vamt_crc32(vamt_crc32(0, slot_header, 12), payload, len);
}

/*
 * Check slot @n of the image; on success store its generation and
 * payload, otherwise say why it is ignored.
 */
static bool slot_decode(const uint8_t *data, size_t len, uint32_t slot_size,
                        int n, uint64_t *generation, const uint8_t **payload,
                        uint32_t *payload_len, GString *why)
{
    uint64_t offset = VAMT_NVRAM_HEADER_SIZE + (uint64_t)n * slot_size;
    const uint8_t *slot = data + offset;
    uint64_t gen;
    uint32_t plen;

    if (len < offset + VAMT_NVRAM_SLOT_HEADER_SIZE) {
        g_string_append_printf(why, "slot %d: not written", n);
        return false;
    }
    gen = vamt_le64(slot);
    plen = vamt_le32(slot + 8);
    if (!gen && !plen) {
        g_string_append_printf(why, "slot %d: not written", n);
        return false;
    }
    if (!gen || !plen || plen > slot_size - VAMT_NVRAM_SLOT_HEADER_SIZE) {
        g_string_append_printf(why, "slot %d: bad header", n);
        return false;
    }
    if (len - offset - VAMT_NVRAM_SLOT_HEADER_SIZE < plen) {
        g_string_append_printf(why, "slot %d: truncated", n);
        return false;
    }
    if (slot_crc(slot, slot + VAMT_NVRAM_SLOT_HEADER_SIZE, plen) !=
        vamt_le32(slot + 12)) {
        g_string_append_printf(why, "slot %d: CRC mismatch", n);
        return false;
    }
    *generation = gen;
    *payload = slot + VAMT_NVRAM_SLOT_HEADER_SIZE;
    *payload_len = plen;
    return true;
}

void vamt_nvram_decode(const uint8_t *data, size_t len,
                       VamtNvramContents *out)
{
    GString *why = g_string_new(NULL);
    uint64_t gen[2] = { 0, 0 };
    const uint8_t *payload[2] = { NULL, NULL };
    uint32_t plen[2] = { 0, 0 };
    bool ok[2];
    uint32_t slot_size;
    int newest;

    memset(out, 0, sizeof(*out));
    out->layout.active = -1;
    if (!len) {
        out->status = VAMT_NVRAM_EMPTY;
        g_string_free(why, TRUE);
        return;
    }
    out->status = VAMT_NVRAM_CORRUPT;
    if (len < VAMT_NVRAM_HEADER_SIZE) {
        g_string_append_printf(why, "%zu bytes, too short for the header",
                               len);
        goto out;
    }
    if (memcmp(data, VAMT_NVRAM_MAGIC, MAGIC_LEN)) {
        g_string_append(why, "not a vAMT NVRAM file (bad magic)");
        goto out;
    }
    if (vamt_crc32(0, data, HEADER_CRC_SPAN) !=
        vamt_le32(data + HEADER_CRC_SPAN)) {
        g_string_append(why, "header CRC mismatch");
        goto out;
    }
    out->version = vamt_le32(data + 8);
    if (out->version != VAMT_NVRAM_VERSION) {
        out->status = VAMT_NVRAM_UNSUPPORTED;
        g_string_append_printf(why, "format version %u, not %u",
                               out->version, VAMT_NVRAM_VERSION);
        goto out;
    }
    slot_size = vamt_le32(data + 12);
    if (slot_size <= VAMT_NVRAM_SLOT_HEADER_SIZE ||
        slot_size > VAMT_NVRAM_MAX_SLOT_SIZE) {
        g_string_append_printf(why, "bad slot size %u", slot_size);
        goto out;
    }
    out->layout.slot_size = slot_size;

    ok[0] = slot_decode(data, len, slot_size, 0, &gen[0], &payload[0],
                        &plen[0], why);
    if (!ok[0]) {
        g_string_append(why, ", ");
    }
    ok[1] = slot_decode(data, len, slot_size, 1, &gen[1], &payload[1],
                        &plen[1], why);
    if (ok[1] && !ok[0]) {
        g_string_truncate(why, why->len - 2);
    }
    if (!ok[0] && !ok[1]) {
        goto out;
    }
    newest = ok[1] && (!ok[0] || generation_newer(gen[1], gen[0])) ? 1 : 0;
    out->status = VAMT_NVRAM_VALID;
    out->layout.active = newest;
    out->layout.generation = gen[newest];
    out->payload = payload[newest];
    out->len = plen[newest];
    /* a slot that was never written is no problem worth reporting */
    if (why->len && !strstr(why->str, "not written")) {
        out->problem = g_string_free(why, FALSE);
        return;
    }
out:
    if (out->status != VAMT_NVRAM_VALID) {
        out->problem = g_string_free(why, FALSE);
    } else {
        g_string_free(why, TRUE);
    }
}

void vamt_nvram_contents_clear(VamtNvramContents *contents)
{
    g_clear_pointer(&contents->problem, g_free);
}

bool vamt_nvram_encode(const VamtNvramLayout *layout, const uint8_t *payload,
                       size_t len, VamtNvramWrite *w, char **err)
{
    uint32_t slot_size = layout->slot_size ?: VAMT_NVRAM_SLOT_SIZE;
    uint8_t slot_header[12];
    GByteArray *out;

    memset(w, 0, sizeof(*w));
    if (!len || len > slot_size - VAMT_NVRAM_SLOT_HEADER_SIZE) {
        *err = g_strdup_printf("a state of %zu bytes does not fit the "
                               "NVRAM's %u-byte slots", len, slot_size);
        return false;
    }
    out = g_byte_array_sized_new(VAMT_NVRAM_HEADER_SIZE +
                                 VAMT_NVRAM_SLOT_HEADER_SIZE + len);
    w->generation = generation_next(layout->generation);
    if (!layout->slot_size) {
        /* a new file, or one whose header cannot be trusted */
        g_byte_array_append(out, (const uint8_t *)VAMT_NVRAM_MAGIC,
                            MAGIC_LEN);
        blob_put_u32(out, VAMT_NVRAM_VERSION);
        blob_put_u32(out, slot_size);
        blob_put_u32(out, vamt_crc32(0, out->data, HEADER_CRC_SPAN));
        g_byte_array_set_size(out, VAMT_NVRAM_HEADER_SIZE);
        memset(out->data + HEADER_CRC_SPAN + 4, 0,
               VAMT_NVRAM_HEADER_SIZE - HEADER_CRC_SPAN - 4);
        w->slot = 0;
        w->offset = 0;
    } else {
        w->slot = layout->active == 0 ? 1 : 0;
        w->offset = VAMT_NVRAM_HEADER_SIZE + (uint64_t)w->slot * slot_size;
    }
    blob_put_u64(out, w->generation);
    blob_put_u32(out, len);
    memcpy(slot_header, out->data + out->len - sizeof(slot_header),
           sizeof(slot_header));
    blob_put_u32(out, slot_crc(slot_header, payload, len));
    g_byte_array_append(out, payload, len);
    w->data = out;
    return true;
}

void vamt_nvram_committed(VamtNvramLayout *layout, const VamtNvramWrite *w)
{
    if (!layout->slot_size) {
        layout->slot_size = VAMT_NVRAM_SLOT_SIZE;
    }
    layout->active = w->slot;
    layout->generation = w->generation;
}

void vamt_nvram_write_clear(VamtNvramWrite *w)
{
    if (w->data) {
        g_byte_array_unref(w->data);
        w->data = NULL;
    }
}
