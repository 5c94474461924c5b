/*
 * vAMT ME core: bounds-checked little-endian blob writer and reader,
 * used to serialize ME state for migration
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_BLOB_H
#define VAMT_ME_BLOB_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static inline void blob_put_uint(GByteArray *out, uint64_t v, unsigned size)
{
    uint8_t b[8];

    for (unsigned i = 0; i < size; i++) {
        b[i] = v >> (8 * i);
    }
    g_byte_array_append(out, b, size);
}

static inline void blob_put_u8(GByteArray *out, uint8_t v)
{
    blob_put_uint(out, v, 1);
}

static inline void blob_put_u16(GByteArray *out, uint16_t v)
{
    blob_put_uint(out, v, 2);
}

static inline void blob_put_u32(GByteArray *out, uint32_t v)
{
    blob_put_uint(out, v, 4);
}

static inline void blob_put_u64(GByteArray *out, uint64_t v)
{
    blob_put_uint(out, v, 8);
}

/* A length-prefixed byte string */
static inline void blob_put_bytes(GByteArray *out, const void *p, uint32_t n)
{
    blob_put_u32(out, n);
    g_byte_array_append(out, p, n);
}

/* Reading stops at the first short read; check ok once at the end. */
typedef struct BlobReader {
    const uint8_t *p;
    size_t left;
    bool ok;
} BlobReader;

static inline void blob_reader_init(BlobReader *r, const uint8_t *p, size_t n)
{
    *r = (BlobReader) { p, n, true };
}

static inline uint64_t blob_get_uint(BlobReader *r, unsigned size)
{
    uint64_t v = 0;

    if (!r->ok || r->left < size) {
        r->ok = false;
        return 0;
    }
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)r->p[i] << (8 * i);
    }
    r->p += size;
    r->left -= size;
    return v;
}

static inline uint8_t blob_get_u8(BlobReader *r)
{
    return blob_get_uint(r, 1);
}

static inline uint16_t blob_get_u16(BlobReader *r)
{
    return blob_get_uint(r, 2);
}

static inline uint32_t blob_get_u32(BlobReader *r)
{
    return blob_get_uint(r, 4);
}

static inline uint64_t blob_get_u64(BlobReader *r)
{
    return blob_get_uint(r, 8);
}

/* Big-endian, as network protocols (APF) write their integers */
static inline uint32_t blob_get_be32(BlobReader *r)
{
    uint32_t v = 0;

    if (!r->ok || r->left < 4) {
        r->ok = false;
        return 0;
    }
    v = (uint32_t)r->p[0] << 24 | r->p[1] << 16 | r->p[2] << 8 | r->p[3];
    r->p += 4;
    r->left -= 4;
    return v;
}

/* Skip @n bytes (or fail the reader) and point at them */
static inline const uint8_t *blob_get_raw(BlobReader *r, size_t n)
{
    const uint8_t *p;

    if (!r->ok || n > r->left) {
        r->ok = false;
        return NULL;
    }
    p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

/*
 * A length-prefixed byte string of at most @max bytes, pointing into the
 * blob (not copied).  Returns NULL with *n == 0 when none could be read.
 */
static inline const uint8_t *blob_get_bytes(BlobReader *r, uint32_t *n,
                                            uint32_t max)
{
    const uint8_t *p;

    *n = blob_get_u32(r);
    if (!r->ok || *n > max || *n > r->left) {
        r->ok = false;
        *n = 0;
        return NULL;
    }
    p = r->p;
    r->p += *n;
    r->left -= *n;
    return p;
}

/* A NUL-terminated string as a length-prefixed byte string */
static inline void blob_put_str(GByteArray *out, const char *s)
{
    blob_put_bytes(out, s, strlen(s));
}

/*
 * Read what blob_put_str() wrote into @dst of @size bytes; a longer
 * string fails the reader.
 */
static inline bool blob_get_str(BlobReader *r, char *dst, size_t size)
{
    uint32_t n;
    const uint8_t *p = blob_get_bytes(r, &n, size - 1);

    if (!r->ok) {
        return false;
    }
    memcpy(dst, p, n);
    dst[n] = 0;
    return true;
}

#endif
