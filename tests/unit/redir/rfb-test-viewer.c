/*
 * The KVM unit tests' RFB viewer (rfb-test-viewer.h)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "byte-order.h"
#include "rfb-test-viewer.h"

static void viewer_write(void *opaque, const uint8_t *data, size_t len)
{
    g_byte_array_append(((Viewer *)opaque)->in, data, len);
}

static size_t viewer_pending(void *opaque)
{
    return ((Viewer *)opaque)->pending;
}

static void viewer_close(void *opaque, const char *why)
{
    ((Viewer *)opaque)->closed = true;
}

static void viewer_key(void *opaque, uint32_t keysym, bool down)
{
    uint32_t v = keysym | (uint32_t)down << 31;

    g_array_append_val(((Viewer *)opaque)->keys, v);
}

static void viewer_pointer(void *opaque, unsigned x, unsigned y,
                           uint8_t buttons)
{
    Viewer *v = opaque;
    uint32_t p = x | y << 16;

    g_array_append_val(v->pointers, p);
    v->last_buttons = buttons;
}

const VamtRfbOps viewer_ops = {
    .write = viewer_write,
    .pending = viewer_pending,
    .close = viewer_close,
    .key = viewer_key,
    .pointer = viewer_pointer,
};

Viewer *viewer_new(void)
{
    Viewer *v = g_new0(Viewer, 1);

    v->in = g_byte_array_new();
    v->keys = g_array_new(FALSE, TRUE, sizeof(uint32_t));
    v->pointers = g_array_new(FALSE, TRUE, sizeof(uint32_t));
    v->bytes = 2;
    return v;
}

void viewer_free(Viewer *v)
{
    g_byte_array_free(v->in, TRUE);
    g_array_free(v->keys, TRUE);
    g_array_free(v->pointers, TRUE);
    g_free(v->fb);
    g_free(v);
}

/* Take @n bytes the server sent, which must be there */
const uint8_t *take(Viewer *v, size_t n, size_t *off)
{
    const uint8_t *p;

    g_assert_cmpuint(*off + n, <=, v->in->len);
    p = v->in->data + *off;
    *off += n;
    return p;
}

void consume(Viewer *v, size_t n)
{
    g_byte_array_remove_range(v->in, 0, n);
}

void expect_bytes(Viewer *v, const void *bytes, size_t n)
{
    g_assert_cmpuint(v->in->len, >=, n);
    g_assert_cmpmem(v->in->data, n, bytes, n);
    consume(v, n);
}

static uint32_t read_pixel(const Viewer *v, const uint8_t *p)
{
    switch (v->bytes) {
    case 1:
        return p[0];
    case 2:
        return v->big_endian ? vamt_be16(p) : vamt_le16(p);
    default:
        return v->big_endian ? vamt_be32(p) : vamt_le32(p);
    }
}

static void put_fb(Viewer *v, unsigned x, unsigned y, uint32_t px)
{
    g_assert_cmpuint(x, <, v->width);
    g_assert_cmpuint(y, <, v->height);
    v->fb[y * v->width + x] = px;
}

/* ZRLE's run length: 255s and a remainder, plus one */
static unsigned read_run(Viewer *v, size_t *off, size_t end)
{
    unsigned run = 1;
    uint8_t b;

    do {
        g_assert_cmpuint(*off, <, end);
        b = v->in->data[(*off)++];
        run += b;
    } while (b == 255);
    return run;
}

/*
 * One encoding 16 tile, as amt-desktop reads it: a stored deflate
 * block (first byte 0, LEN = data length - 5, NLEN = ~LEN) holding a
 * ZRLE tile whose packed pixels run on across rows
 */
static void decode_amt_tile(Viewer *v, unsigned x, unsigned y, unsigned w,
                            unsigned h, size_t *off)
{
    uint32_t datalen = vamt_be32(take(v, 4, off));
    const uint8_t *block = take(v, 5, off);
    size_t end = *off + datalen - 5;
    uint32_t palette[128];
    unsigned sub, n = w * h, i = 0;

    g_assert_cmpuint(datalen, >, 5);
    g_assert_cmphex(block[0], ==, 0);
    g_assert_cmpuint(vamt_le16(block + 1), ==, datalen - 5);
    g_assert_cmphex(vamt_le16(block + 3), ==, (uint16_t)~(datalen - 5));
    g_assert_cmpuint(end, <=, v->in->len);
    sub = *take(v, 1, off);
    v->sub_seen[sub]++;
    if (sub == 0) {
        for (i = 0; i < n; i++) {
            put_fb(v, x + i % w, y + i / w,
                   read_pixel(v, take(v, v->bytes, off)));
        }
    } else if (sub == 1) {
        uint32_t px = read_pixel(v, take(v, v->bytes, off));

        for (i = 0; i < n; i++) {
            put_fb(v, x + i % w, y + i / w, px);
        }
    } else if (sub <= 16) {
        unsigned bits = sub == 2 ? 1 : sub <= 4 ? 2 : 4, avail = 0;
        uint8_t byte = 0;

        /* rows end on a byte boundary: standard ZRLE reads it the same */
        g_assert_cmpuint((w * bits) % 8, ==, 0);
        for (unsigned p = 0; p < sub; p++) {
            palette[p] = read_pixel(v, take(v, v->bytes, off));
        }
        for (i = 0; i < n; i++) {
            unsigned index;

            if (!avail) {
                byte = *take(v, 1, off);
                avail = 8;
            }
            index = byte >> (8 - bits);
            byte <<= bits;
            avail -= bits;
            g_assert_cmpuint(index, <, sub);
            put_fb(v, x + i % w, y + i / w, palette[index]);
        }
    } else if (sub == 128) {
        while (i < n) {
            uint32_t px = read_pixel(v, take(v, v->bytes, off));
            unsigned run = read_run(v, off, end);

            g_assert_cmpuint(i + run, <=, n);
            for (; run; run--, i++) {
                put_fb(v, x + i % w, y + i / w, px);
            }
        }
    } else {
        unsigned colours = sub - 128;

        g_assert_cmpuint(colours, >=, 2);
        for (unsigned p = 0; p < colours; p++) {
            palette[p] = read_pixel(v, take(v, v->bytes, off));
        }
        while (i < n) {
            uint8_t index = *take(v, 1, off);
            unsigned run = index & 128 ? read_run(v, off, end) : 1;

            g_assert_cmpuint(index & 127, <, colours);
            g_assert_cmpuint(i + run, <=, n);
            for (; run; run--, i++) {
                put_fb(v, x + i % w, y + i / w, palette[index & 127]);
            }
        }
    }
    /* the tile used its block exactly */
    g_assert_cmpuint(*off, ==, end);
}

/* Decode one FramebufferUpdate, which must be complete; its rectangles */
unsigned read_update(Viewer *v)
{
    size_t off = 0;
    const uint8_t *hdr = take(v, 4, &off);
    unsigned count = vamt_be16(hdr + 2);

    g_assert_cmphex(hdr[0], ==, 0);
    /* a FramebufferUpdate of no rectangles stalls MeshCommander */
    g_assert_cmpuint(count, >, 0);
    v->rects = count;
    v->desktop_sizes = 0;
    v->min_x = v->min_y = UINT_MAX;
    v->max_x = v->max_y = 0;
    for (unsigned r = 0; r < count; r++) {
        const uint8_t *rh = take(v, 12, &off);
        unsigned x = vamt_be16(rh), y = vamt_be16(rh + 2);
        unsigned w = vamt_be16(rh + 4), h = vamt_be16(rh + 6);
        int32_t enc = (int32_t)vamt_be32(rh + 8);

        if (enc == VAMT_RFB_ENC_DESKTOP_SIZE) {
            /* first, before any tile of the new size */
            g_assert_cmpuint(r, ==, 0);
            v->desktop_sizes++;
            v->width = w;
            v->height = h;
            g_free(v->fb);
            v->fb = g_new0(uint32_t, w * h);
            continue;
        }
        /* amt-desktop drops the session on larger rectangles */
        g_assert_cmpuint(w, >=, 1);
        g_assert_cmpuint(h, >=, 1);
        g_assert_cmpuint(w, <=, 64);
        g_assert_cmpuint(h, <=, 64);
        g_assert_cmpuint(x + w, <=, v->width);
        g_assert_cmpuint(y + h, <=, v->height);
        v->min_x = MIN(v->min_x, x);
        v->min_y = MIN(v->min_y, y);
        v->max_x = MAX(v->max_x, x + w);
        v->max_y = MAX(v->max_y, y + h);
        if (enc == VAMT_RFB_ENC_RAW) {
            for (unsigned i = 0; i < w * h; i++) {
                put_fb(v, x + i % w, y + i / w,
                       read_pixel(v, take(v, v->bytes, &off)));
            }
        } else {
            g_assert_cmpint(enc, ==, VAMT_RFB_ENC_AMT_RLE);
            decode_amt_tile(v, x, y, w, h, &off);
        }
    }
    consume(v, off);
    return count;
}

/* ---- the viewer's messages ---- */

void send_bytes(VamtRfb *rfb, const void *data, size_t len)
{
    vamt_rfb_input(rfb, data, len);
}

/* Byte by byte: the server must not depend on how TCP splits */
void send_split(VamtRfb *rfb, const void *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        vamt_rfb_input(rfb, (const uint8_t *)data + i, 1);
    }
}

void send_encodings(VamtRfb *rfb, unsigned n, const int32_t *encs)
{
    g_autofree uint8_t *msg = g_malloc0(4 + 4 * n);

    msg[0] = 2;
    vamt_put_be16(msg + 2, n);
    for (unsigned i = 0; i < n; i++) {
        vamt_put_be32(msg + 4 + 4 * i, (uint32_t)encs[i]);
    }
    send_bytes(rfb, msg, 4 + 4 * n);
}

/* MeshCommander's amt-desktop: AMT RLE, RAW, its 1092, DesktopSize */
const int32_t meshcommander_encodings[4] = { 16, 0, 1092, -223 };

void send_request(VamtRfb *rfb, bool incremental, unsigned x,
                         unsigned y, unsigned w, unsigned h)
{
    uint8_t msg[10] = { 3, incremental };

    vamt_put_be16(msg + 2, x);
    vamt_put_be16(msg + 4, y);
    vamt_put_be16(msg + 6, w);
    vamt_put_be16(msg + 8, h);
    send_bytes(rfb, msg, sizeof(msg));
}

void send_format(VamtRfb *rfb, Viewer *v, unsigned bpp,
                        unsigned depth, bool big_endian,
                        const uint16_t max[3], const uint8_t shift[3])
{
    uint8_t msg[20] = { 0, 0, 0, 0, bpp, depth, big_endian, 1 };

    for (unsigned c = 0; c < 3; c++) {
        vamt_put_be16(msg + 8 + 2 * c, max[c]);
        msg[14 + c] = shift[c];
    }
    send_bytes(rfb, msg, sizeof(msg));
    v->bytes = bpp / 8;
    v->big_endian = big_endian;
}

/* The handshake of an RFB 3.8 viewer; ServerInit read */
VamtRfb *connect_viewer(VamtScreen *screen, Viewer *v,
                               const char *version, bool split)
{
    VamtRfb *rfb = vamt_rfb_new(screen, VAMT_RFB_SECURITY_NONE, "AMT test",
                                &viewer_ops, v);
    static const uint8_t none_list[] = { 1, 1 };
    static const uint8_t ok[4] = { 0 };
    static const uint8_t shared = 1, none = 1;
    void (*send)(VamtRfb *, const void *, size_t) =
        split ? send_split : send_bytes;
    size_t off = 0;
    const uint8_t *init;

    expect_bytes(v, "RFB 003.008\n", 12);
    send(rfb, version, 12);
    if (!strcmp(version, "RFB 003.003\n")) {
        static const uint8_t type_none[4] = { 0, 0, 0, 1 };

        /* 3.3: the server decides, and None has no SecurityResult */
        expect_bytes(v, type_none, sizeof(type_none));
    } else {
        expect_bytes(v, none_list, sizeof(none_list));
        send(rfb, &none, 1);
        /* 3.7 has no SecurityResult after None, 3.8 has */
        if (strcmp(version, "RFB 003.007\n")) {
            expect_bytes(v, ok, sizeof(ok));
        }
    }
    g_assert_cmpuint(v->in->len, ==, 0);
    g_assert_false(vamt_rfb_running(rfb));
    send(rfb, &shared, 1);
    g_assert_true(vamt_rfb_running(rfb));
    init = take(v, 24, &off);
    v->width = vamt_be16(init);
    v->height = vamt_be16(init + 2);
    /* RGB565 little-endian: 16 bpp, depth 16, true colour, 31/63/31 */
    g_assert_cmpuint(init[4], ==, 16);
    g_assert_cmpuint(init[6], ==, 0);
    g_assert_cmpuint(init[7], ==, 1);
    g_assert_cmpuint(vamt_be16(init + 8), ==, 31);
    g_assert_cmpuint(vamt_be16(init + 10), ==, 63);
    g_assert_cmpuint(vamt_be16(init + 12), ==, 31);
    g_assert_cmpuint(init[14], ==, 11);
    g_assert_cmpuint(init[15], ==, 5);
    g_assert_cmpuint(init[16], ==, 0);
    g_assert_cmpuint(vamt_be32(init + 20), ==, 8);
    take(v, 8, &off);
    g_assert_cmpmem(init + 24, 8, "AMT test", 8);
    consume(v, off);
    g_assert_cmpuint(v->in->len, ==, 0);
    v->fb = g_new0(uint32_t, v->width * v->height);
    v->bytes = 2;
    v->big_endian = false;
    return rfb;
}

/* ---- pictures ---- */

/*
 * A picture with every kind of tile: flat, two colours, a few colours
 * in long runs, more than 127 colours in runs, and noise.  @seed moves
 * it, so a second picture differs everywhere.
 */
uint32_t pattern(unsigned x, unsigned y, unsigned seed)
{
    static const uint32_t stripes[5] = {
        0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0x808080,
    };
    unsigned kind = (x / 64 + (y / 64) * 3 + seed) % 5;

    switch (kind) {
    case 0:
        return 0x204080 + seed * 0x080808;
    case 1:
        return (x ^ y) & 4 ? 0xffffff : 0x000000;
    case 2:
        return stripes[(y / 3 + seed) % 5];
    case 3: {
        /* 128 colours a tile, each a run of 32 distinct in RGB565 */
        unsigned idx = ((y % 64) * 2 + (x % 64) / 32 + seed) & 127;

        return (idx & 31) << 3 | (idx >> 5) << 10;
    }
    default:
        return ((x * 7 + y * 13 + seed) * 0x9e3779b1u) & 0xffffff;
    }
}

/* Grey: r = g = b, so every grey format's luma is the value itself */
uint32_t grey_pattern(unsigned x, unsigned y, unsigned seed)
{
    uint32_t c = pattern(x, y, seed) & 0xff;

    return c << 16 | c << 8 | c;
}

void paint(VamtScreen *screen, uint32_t (*fn)(unsigned, unsigned,
                                                      unsigned),
                  unsigned seed)
{
    unsigned w = vamt_screen_width(screen), h = vamt_screen_height(screen);
    g_autofree uint32_t *px = g_new(uint32_t, w * h);

    for (unsigned y = 0; y < h; y++) {
        for (unsigned x = 0; x < w; x++) {
            px[y * w + x] = fn(x, y, seed);
        }
    }
    vamt_screen_update(screen, 0, 0, w, h, (const uint8_t *)px, w * 4);
}

/* What a viewer with channel maxima 2^n - 1 must get: the top n bits */
uint32_t expected_pixel(uint32_t xrgb, const uint16_t max[3],
                               const uint8_t shift[3])
{
    unsigned c[3] = { (xrgb >> 16) & 0xff, (xrgb >> 8) & 0xff, xrgb & 0xff };
    uint32_t v = 0;

    for (unsigned i = 0; i < 3; i++) {
        unsigned bits = 0;

        while ((1u << bits) - 1 < max[i]) {
            bits++;
        }
        if (!max[i]) {
            continue;
        }
        v |= (c[i] >> (8 - bits)) << shift[i];
    }
    return v;
}

void assert_picture(const Viewer *v, VamtScreen *screen,
                           const uint16_t max[3], const uint8_t shift[3])
{
    g_assert_cmpuint(v->width, ==, vamt_screen_width(screen));
    g_assert_cmpuint(v->height, ==, vamt_screen_height(screen));
    for (unsigned y = 0; y < v->height; y++) {
        const uint32_t *row = vamt_screen_row(screen, y);

        for (unsigned x = 0; x < v->width; x++) {
            uint32_t want = expected_pixel(row[x], max, shift);

            if (v->fb[y * v->width + x] != want) {
                g_error("pixel %u,%u: 0x%x, expected 0x%x (xRGB 0x%06x)",
                        x, y, v->fb[y * v->width + x], want, row[x]);
            }
        }
    }
}

const uint16_t rgb565_max[3] = { 31, 63, 31 };
const uint8_t rgb565_shift[3] = { 11, 5, 0 };

/* A screen of 800x600 with the pattern, and a MeshCommander viewer */
VamtRfb *meshcommander_view(VamtScreen *screen, Viewer *v)
{
    VamtRfb *rfb;

    vamt_screen_resize(screen, 800, 600);
    paint(screen, pattern, 0);
    rfb = connect_viewer(screen, v, "RFB 003.008\n", false);
    send_encodings(rfb, G_N_ELEMENTS(meshcommander_encodings),
                   meshcommander_encodings);
    return rfb;
}

/* Send everything the viewer asked for, until nothing is dirty */
void drain(VamtRfb *rfb, Viewer *v)
{
    send_request(rfb, true, 0, 0, v->width, v->height);
    while (v->in->len) {
        read_update(v);
        send_request(rfb, true, 0, 0, v->width, v->height);
    }
}

/*
 * An idle screen sends nothing even when the platform repaints it; one
 * changed pixel sends the one tile it is in
 */
