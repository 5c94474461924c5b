/*
 * libFuzzer target: the NVRAM reader, vamt_nvram_decode(), and loading
 * what it finds.
 *
 * The first byte picks how the rest is used: as the NVRAM file itself;
 * as patches (offset, xor) to a valid two-slot file; or as a WS-Man
 * session run as the admin whose resulting state is stored, read back
 * and loaded into a second ME, which must end up in the same state.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "amt.h"
#include "nvram-format.h"
#include "fuzz-common.h"
#include "fuzz-target.h"

enum {
    MODE_RAW,
    MODE_PATCH,
    MODE_SESSION,
    MODES,
};

/* Write @payload as the next generation, as the device writes a file */
static void store(GByteArray *disk, VamtNvramLayout *layout,
                  const GByteArray *payload)
{
    VamtNvramWrite w;
    char *err = NULL;

    g_assert(vamt_nvram_encode(layout, payload->data, payload->len, &w,
                               &err));
    if (disk->len < w.offset + w.data->len) {
        size_t old = disk->len;

        g_byte_array_set_size(disk, w.offset + w.data->len);
        memset(disk->data + old, 0, disk->len - old);
    }
    memcpy(disk->data + w.offset, w.data->data, w.data->len);
    vamt_nvram_committed(layout, &w);
    vamt_nvram_write_clear(&w);
}

/* Decode @disk; load what it holds into @f; true if it loaded */
static bool load_disk(FuzzMe *f, const GByteArray *disk,
                      VamtNvramContents *contents)
{
    vamt_nvram_decode(disk->data, disk->len, contents);
    g_assert(contents->status != VAMT_NVRAM_VALID || contents->payload);
    return contents->status == VAMT_NVRAM_VALID &&
           vamt_me_load(f->me, contents->payload, contents->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GByteArray) disk = g_byte_array_new();
    g_autoptr(GByteArray) saved = g_byte_array_new();
    VamtNvramLayout layout = { 0 };
    VamtNvramContents contents;
    FuzzMe f, reader;
    uint8_t mode;

    if (!size) {
        return 0;
    }
    mode = data[0] % MODES;
    data++;
    size--;
    fuzz_me_init(&reader);
    if (mode == MODE_RAW) {
        /* a raw file needs no writer ME */
        g_byte_array_append(disk, data, MIN(size, VAMT_NVRAM_MAX_FILE_SIZE));
        load_disk(&reader, disk, &contents);
        vamt_nvram_contents_clear(&contents);
    } else {
        fuzz_me_init(&f);
        if (mode == MODE_SESSION) {
            fuzz_soap_session(&f, "/wsman", data, size);
        }
        vamt_amt_save(vamt_me_amt(f.me), saved);
        layout.active = -1;
        store(disk, &layout, saved);
        store(disk, &layout, saved);
        if (mode == MODE_PATCH) {
            for (; size >= 3; data += 3, size -= 3) {
                disk->data[(data[0] | data[1] << 8 | data[2] << 16) %
                           disk->len] ^= 1 << (data[2] & 7);
            }
            load_disk(&reader, disk, &contents);
        } else {
            g_autoptr(GByteArray) again = g_byte_array_new();

            g_assert(load_disk(&reader, disk, &contents));
            g_assert(contents.len == saved->len &&
                     !memcmp(contents.payload, saved->data, saved->len));
            vamt_amt_save(vamt_me_amt(reader.me), again);
            g_assert(again->len == saved->len &&
                     !memcmp(again->data, saved->data, saved->len));
        }
        vamt_nvram_contents_clear(&contents);
        fuzz_me_destroy(&f);
    }
    fuzz_me_destroy(&reader);
    return 0;
}
