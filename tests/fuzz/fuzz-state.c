/*
 * libFuzzer target: the migration and state blobs, vamt_amt_load(),
 * vamt_me_load() and mei_bus_load(), which a migration stream or a
 * saved NVRAM feeds in.
 *
 * The first byte picks the loader and how the rest is used: as the
 * blob itself, or as patches (offset, xor) to a valid blob, so that the
 * checks deep inside a well-formed blob are reached.  Whatever loads
 * must save again and load back to the same state.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "amt.h"
#include "mei-bus.h"
#include "fuzz-common.h"
#include "fuzz-target.h"

enum {
    LOAD_AMT,
    LOAD_ME,
    LOAD_MEI,
    LOADERS,
};

#define MODE_PATCH  0x10

/* Three bytes a patch: little-endian offset, then what to xor there */
static void apply_patches(GByteArray *blob, const uint8_t *p, size_t len)
{
    for (; len >= 3 && blob->len; p += 3, len -= 3) {
        size_t at = (p[0] | p[1] << 8) % blob->len;

        blob->data[at] ^= p[2];
    }
    if (len == 1) {
        g_byte_array_set_size(blob, p[0] % (blob->len + 1));  /* cut */
    }
}

static void check_amt_round_trip(VamtAmt *loaded, FuzzMe *f)
{
    g_autoptr(GByteArray) first = g_byte_array_new();
    g_autoptr(GByteArray) second = g_byte_array_new();
    FuzzMe other;

    vamt_amt_save(loaded, first);
    fuzz_me_init(&other);
    g_assert(vamt_amt_load(vamt_me_amt(other.me), first->data, first->len));
    vamt_amt_save(vamt_me_amt(other.me), second);
    g_assert(first->len == second->len &&
             !memcmp(first->data, second->data, first->len));
    fuzz_me_destroy(&other);
}

/* The MEI bus of @f's ME, and of a second ME for the round trip */
static void fuzz_mei(FuzzMe *f, const uint8_t *data, size_t len, bool patch)
{
    MeiBus *bus = vamt_me_mei(f->me);
    g_autoptr(GByteArray) blob = g_byte_array_new();
    char *err = NULL;

    mei_bus_link_up(bus);
    if (patch) {
        mei_bus_save(bus, blob);
        apply_patches(blob, data, len);
    } else {
        g_byte_array_append(blob, data, len);
    }
    if (mei_bus_load(bus, blob->data, blob->len, &err)) {
        g_autoptr(GByteArray) first = g_byte_array_new();
        g_autoptr(GByteArray) second = g_byte_array_new();
        FuzzMe other;

        fuzz_me_init(&other);
        mei_bus_save(bus, first);
        g_assert(mei_bus_load(vamt_me_mei(other.me), first->data,
                              first->len, NULL));
        mei_bus_save(vamt_me_mei(other.me), second);
        g_assert(first->len == second->len &&
                 !memcmp(first->data, second->data, first->len));
        fuzz_me_destroy(&other);
    }
    g_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GByteArray) blob = g_byte_array_new();
    FuzzMe f;
    uint8_t mode;
    bool patch;

    if (!size) {
        return 0;
    }
    mode = data[0];
    patch = mode & MODE_PATCH;
    data++;
    size--;
    fuzz_me_init(&f);
    switch (mode % LOADERS) {
    case LOAD_AMT:
    case LOAD_ME:
        if (patch) {
            vamt_amt_save(vamt_me_amt(f.me), blob);
            apply_patches(blob, data, size);
        } else {
            g_byte_array_append(blob, data, size);
        }
        if (mode % LOADERS == LOAD_AMT
            ? vamt_amt_load(vamt_me_amt(f.me), blob->data, blob->len)
            : vamt_me_load(f.me, blob->data, blob->len)) {
            check_amt_round_trip(vamt_me_amt(f.me), &f);
        }
        break;
    case LOAD_MEI:
        fuzz_mei(&f, data, size, patch);
        break;
    }
    fuzz_me_destroy(&f);
    return 0;
}
