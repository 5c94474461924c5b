/*
 * Unit tests of the ME core's KVM: the RFB server decoded by a viewer
 * that reads encoding 16 as MeshCommander's amt-desktop does (stored
 * deflate blocks, continuous packed bits, tiles of at most 64x64), the
 * pixel formats consoles set, incremental updates, DesktopSize, a
 * transport that does not drain, hostile viewers, keysyms, and KVM
 * sessions on the redirection port (KVMR) after AMT's own login
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "byte-order.h"
#include "cim-values.h"
#include "keysym.h"
#include "redir-test-console.h"
#include "rfb.h"
#include "screen.h"

/* ---- a viewer: decodes what the server sends ---- */

typedef struct Viewer {
    GByteArray *in;             /* from the server, not yet decoded */
    bool closed;
    size_t pending;             /* what the transport says it holds */
    GArray *keys;               /* uint32_t keysym | down << 31 */
    GArray *pointers;           /* uint32_t x | y << 16 */
    uint8_t last_buttons;

    /* the viewer's pixel format */
    unsigned bytes;
    bool big_endian;
    /* the picture it has, in its pixel format */
    unsigned width, height;
    uint32_t *fb;
    /* what the last update carried */
    unsigned rects, desktop_sizes;
    unsigned min_x, min_y, max_x, max_y;    /* the tiles' bounding box */
    unsigned sub_seen[256];     /* encoding 16 sub-encodings */
} Viewer;

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

static const VamtRfbOps viewer_ops = {
    .write = viewer_write,
    .pending = viewer_pending,
    .close = viewer_close,
    .key = viewer_key,
    .pointer = viewer_pointer,
};

static Viewer *viewer_new(void)
{
    Viewer *v = g_new0(Viewer, 1);

    v->in = g_byte_array_new();
    v->keys = g_array_new(FALSE, TRUE, sizeof(uint32_t));
    v->pointers = g_array_new(FALSE, TRUE, sizeof(uint32_t));
    v->bytes = 2;
    return v;
}

static void viewer_free(Viewer *v)
{
    g_byte_array_free(v->in, TRUE);
    g_array_free(v->keys, TRUE);
    g_array_free(v->pointers, TRUE);
    g_free(v->fb);
    g_free(v);
}

/* Take @n bytes the server sent, which must be there */
static const uint8_t *take(Viewer *v, size_t n, size_t *off)
{
    const uint8_t *p;

    g_assert_cmpuint(*off + n, <=, v->in->len);
    p = v->in->data + *off;
    *off += n;
    return p;
}

static void consume(Viewer *v, size_t n)
{
    g_byte_array_remove_range(v->in, 0, n);
}

static void expect_bytes(Viewer *v, const void *bytes, size_t n)
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
static unsigned read_update(Viewer *v)
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

static void send_bytes(VamtRfb *rfb, const void *data, size_t len)
{
    vamt_rfb_input(rfb, data, len);
}

/* Byte by byte: the server must not depend on how TCP splits */
static void send_split(VamtRfb *rfb, const void *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        vamt_rfb_input(rfb, (const uint8_t *)data + i, 1);
    }
}

static void send_encodings(VamtRfb *rfb, unsigned n, const int32_t *encs)
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
static const int32_t meshcommander_encodings[] = { 16, 0, 1092, -223 };

static void send_request(VamtRfb *rfb, bool incremental, unsigned x,
                         unsigned y, unsigned w, unsigned h)
{
    uint8_t msg[10] = { 3, incremental };

    vamt_put_be16(msg + 2, x);
    vamt_put_be16(msg + 4, y);
    vamt_put_be16(msg + 6, w);
    vamt_put_be16(msg + 8, h);
    send_bytes(rfb, msg, sizeof(msg));
}

static void send_format(VamtRfb *rfb, Viewer *v, unsigned bpp,
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
static VamtRfb *connect_viewer(VamtScreen *screen, Viewer *v,
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
static uint32_t pattern(unsigned x, unsigned y, unsigned seed)
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
static uint32_t grey_pattern(unsigned x, unsigned y, unsigned seed)
{
    uint32_t c = pattern(x, y, seed) & 0xff;

    return c << 16 | c << 8 | c;
}

static void paint(VamtScreen *screen, uint32_t (*fn)(unsigned, unsigned,
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
static uint32_t expected_pixel(uint32_t xrgb, const uint16_t max[3],
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

static void assert_picture(const Viewer *v, VamtScreen *screen,
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

static const uint16_t rgb565_max[3] = { 31, 63, 31 };
static const uint8_t rgb565_shift[3] = { 11, 5, 0 };

/* A screen of 800x600 with the pattern, and a MeshCommander viewer */
static VamtRfb *meshcommander_view(VamtScreen *screen, Viewer *v)
{
    VamtRfb *rfb;

    vamt_screen_resize(screen, 800, 600);
    paint(screen, pattern, 0);
    rfb = connect_viewer(screen, v, "RFB 003.008\n", false);
    send_encodings(rfb, G_N_ELEMENTS(meshcommander_encodings),
                   meshcommander_encodings);
    return rfb;
}

/* ---- tests: the handshake ---- */

static void test_handshake_versions(void)
{
    static const char *const versions[] = {
        "RFB 003.008\n", "RFB 003.007\n", "RFB 003.003\n",
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(versions); i++) {
        for (int split = 0; split <= 1; split++) {
            VamtScreen *screen = vamt_screen_new();
            Viewer *v = viewer_new();
            VamtRfb *rfb = connect_viewer(screen, v, versions[i], split);

            /* before the platform reported a display: 640x480 */
            g_assert_cmpuint(v->width, ==, 640);
            g_assert_cmpuint(v->height, ==, 480);
            g_assert_false(v->closed);
            vamt_rfb_free(rfb);
            g_assert_cmpuint(vamt_screen_viewers(screen), ==, 0);
            viewer_free(v);
            vamt_screen_free(screen);
        }
    }
}

/* Apple's 3.889 and RFB 4.0 are answered as 3.8 */
static void test_handshake_newer_versions(void)
{
    static const char *const versions[] = { "RFB 003.889\n",
                                            "RFB 004.000\n" };

    for (unsigned i = 0; i < G_N_ELEMENTS(versions); i++) {
        VamtScreen *screen = vamt_screen_new();
        Viewer *v = viewer_new();
        VamtRfb *rfb = connect_viewer(screen, v, versions[i], false);

        g_assert_true(vamt_rfb_running(rfb));
        vamt_rfb_free(rfb);
        viewer_free(v);
        vamt_screen_free(screen);
    }
}

/* ---- tests: updates ---- */

/*
 * MeshCommander's first request is incremental: it still gets the
 * whole screen, in tiles of at most 64x64, every sub-encoding decoding
 * to the screen's pixels in RGB565
 */
static void test_full_screen_rgb565(void)
{
    VamtScreen *screen = vamt_screen_new();
    Viewer *v = viewer_new();
    VamtRfb *rfb = meshcommander_view(screen, v);
    unsigned updates = 0;

    send_request(rfb, true, 0, 0, 800, 600);
    /* the update budget may split the screen: ask until all came */
    while (v->in->len) {
        read_update(v);
        updates++;
        send_request(rfb, true, 0, 0, 800, 600);
    }
    g_assert_cmpuint(updates, >=, 1);
    assert_picture(v, screen, rgb565_max, rgb565_shift);
    /* solid, packed, palette RLE, plain RLE and raw all decoded */
    g_assert_cmpuint(v->sub_seen[1], >, 0);
    g_assert_cmpuint(v->sub_seen[2], >, 0);
    g_assert_cmpuint(v->sub_seen[128 + 5], >, 0);
    g_assert_cmpuint(v->sub_seen[128], >, 0);
    g_assert_cmpuint(v->sub_seen[0], >, 0);
    g_assert_cmpuint(vamt_rfb_stats(rfb)->updates, ==, updates);
    vamt_rfb_free(rfb);
    viewer_free(v);
    vamt_screen_free(screen);
}

typedef struct FormatCase {
    const char *name;
    unsigned bpp, depth;
    bool big_endian;
    uint16_t max[3];
    uint8_t shift[3];
    int32_t encoding;
    bool grey;
} FormatCase;

/*
 * The formats consoles set: MeshCommander's 8-bit RGB332 and its grey
 * modes (red channel only, 8 and 4 bits), 32-bit xRGB both ways (a
 * standard viewer), 16-bit big-endian
 */
static const FormatCase format_cases[] = {
    { "rgb332", 8, 8, false, { 7, 7, 3 }, { 5, 2, 0 }, 16, false },
    { "grey8", 8, 8, false, { 255, 0, 0 }, { 0, 0, 0 }, 16, true },
    { "grey4", 8, 4, false, { 15, 0, 0 }, { 0, 0, 0 }, 16, true },
    { "xrgb32-le", 32, 24, false, { 255, 255, 255 }, { 16, 8, 0 }, 0, false },
    { "bgrx32-be", 32, 24, true, { 255, 255, 255 }, { 8, 16, 24 }, 0, false },
    { "rgb565-be", 16, 16, true, { 31, 63, 31 }, { 11, 5, 0 }, 0, false },
};

static void test_pixel_format(gconstpointer data)
{
    const FormatCase *fc = data;
    VamtScreen *screen = vamt_screen_new();
    Viewer *v = viewer_new();
    VamtRfb *rfb;
    int32_t encs[2] = { fc->encoding, VAMT_RFB_ENC_DESKTOP_SIZE };

    vamt_screen_resize(screen, 800, 600);
    paint(screen, fc->grey ? grey_pattern : pattern, 1);
    rfb = connect_viewer(screen, v, "RFB 003.008\n", false);
    send_format(rfb, v, fc->bpp, fc->depth, fc->big_endian, fc->max,
                fc->shift);
    send_encodings(rfb, G_N_ELEMENTS(encs), encs);
    send_request(rfb, false, 0, 0, 800, 600);
    while (v->in->len) {
        read_update(v);
        send_request(rfb, true, 0, 0, 800, 600);
    }
    g_assert_false(v->closed);
    assert_picture(v, screen, fc->max, fc->shift);
    vamt_rfb_free(rfb);
    viewer_free(v);
    vamt_screen_free(screen);
}

/* Send everything the viewer asked for, until nothing is dirty */
static void drain(VamtRfb *rfb, Viewer *v)
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
static void test_incremental(void)
{
    VamtScreen *screen = vamt_screen_new();
    Viewer *v = viewer_new();
    VamtRfb *rfb = meshcommander_view(screen, v);
    uint32_t red = 0xff0000;

    drain(rfb, v);
    /* the request stays open; a repaint of the same picture is nothing */
    paint(screen, pattern, 0);
    vamt_rfb_flush(rfb);
    g_assert_cmpuint(v->in->len, ==, 0);
    g_assert_true(vamt_rfb_wants_update(rfb));

    vamt_screen_update(screen, 130, 70, 1, 1, (const uint8_t *)&red, 4);
    vamt_rfb_flush(rfb);
    g_assert_cmpuint(read_update(v), ==, 1);
    g_assert_cmpuint(v->min_x, ==, 130);
    g_assert_cmpuint(v->min_y, ==, 70);
    g_assert_cmpuint(v->max_x, ==, 131);
    g_assert_cmpuint(v->max_y, ==, 71);
    assert_picture(v, screen, rgb565_max, rgb565_shift);

    /* a character cell redrawn: only the pixels that differ, per tile */
    {
        uint32_t cell[16 * 9];

        for (unsigned i = 0; i < G_N_ELEMENTS(cell); i++) {
            cell[i] = pattern(60 + i % 9, 200 + i / 9, 0);
        }
        cell[3 * 9 + 2] = 0x00ff00;         /* (62, 203): tile (0, 3) */
        cell[12 * 9 + 7] = 0x0000ff;        /* (67, 212): tile (1, 3) */
        cell[13 * 9 + 8] = 0x00ffff;        /* (68, 213) */
        vamt_screen_update(screen, 60, 200, 9, 16, (const uint8_t *)cell,
                           9 * 4);
        send_request(rfb, true, 0, 0, 800, 600);
        g_assert_cmpuint(read_update(v), ==, 2);
        g_assert_cmpuint(v->min_x, ==, 62);
        g_assert_cmpuint(v->min_y, ==, 203);
        g_assert_cmpuint(v->max_x, ==, 69);
        g_assert_cmpuint(v->max_y, ==, 214);
        assert_picture(v, screen, rgb565_max, rgb565_shift);
    }
    /* nothing more until the next request */
    vamt_screen_update(screen, 0, 0, 1, 1, (const uint8_t *)&red, 4);
    vamt_rfb_flush(rfb);
    g_assert_cmpuint(v->in->len, ==, 0);
    send_request(rfb, true, 0, 0, 800, 600);
    g_assert_cmpuint(read_update(v), ==, 1);
    g_assert_cmpuint(v->max_x, ==, 1);

    /* a non-incremental request resends the tiles it covers */
    send_request(rfb, false, 100, 100, 20, 20);
    g_assert_cmpuint(read_update(v), ==, 1);
    g_assert_cmpuint(v->min_x, ==, 64);
    g_assert_cmpuint(v->min_y, ==, 64);
    assert_picture(v, screen, rgb565_max, rgb565_shift);
    vamt_rfb_free(rfb);
    viewer_free(v);
    vamt_screen_free(screen);
}

/*
 * A mode change (firmware text mode to a guest's framebuffer): a viewer
 * with DesktopSize gets the new size first, then all of the new screen;
 * one without it keeps its size and gets what fits
 */
static void test_resize(void)
{
    VamtScreen *screen = vamt_screen_new();
    Viewer *v = viewer_new();
    Viewer *plain = viewer_new();
    VamtRfb *rfb = meshcommander_view(screen, v);
    VamtRfb *raw = connect_viewer(screen, plain, "RFB 003.008\n", false);
    int32_t only_raw = VAMT_RFB_ENC_RAW;

    send_encodings(raw, 1, &only_raw);
    drain(rfb, v);
    drain(raw, plain);

    vamt_screen_resize(screen, 1024, 768);
    paint(screen, pattern, 2);
    vamt_rfb_flush(rfb);
    vamt_rfb_flush(raw);
    read_update(v);
    g_assert_cmpuint(v->desktop_sizes, ==, 1);
    g_assert_cmpuint(v->width, ==, 1024);
    g_assert_cmpuint(v->height, ==, 768);
    drain(rfb, v);
    assert_picture(v, screen, rgb565_max, rgb565_shift);

    read_update(plain);
    g_assert_cmpuint(plain->desktop_sizes, ==, 0);
    g_assert_cmpuint(plain->width, ==, 800);
    drain(raw, plain);
    for (unsigned y = 0; y < 600; y++) {
        for (unsigned x = 0; x < 800; x++) {
            g_assert_cmphex(plain->fb[y * 800 + x], ==,
                            expected_pixel(vamt_screen_row(screen, y)[x],
                                           rgb565_max, rgb565_shift));
        }
    }
    vamt_rfb_free(rfb);
    vamt_rfb_free(raw);
    viewer_free(v);
    viewer_free(plain);
    vamt_screen_free(screen);
}

/*
 * A transport that does not drain gets no new update (memory stays
 * bounded); one update carries at most the budget plus a tile, and the
 * rest follows on the next requests
 */
static void test_backpressure(void)
{
    VamtScreen *screen = vamt_screen_new();
    Viewer *v = viewer_new();
    VamtRfb *rfb;
    int32_t only_raw = VAMT_RFB_ENC_RAW;
    unsigned updates = 0;

    vamt_screen_resize(screen, 1280, 1024);
    paint(screen, pattern, 3);
    rfb = connect_viewer(screen, v, "RFB 003.008\n", false);
    send_encodings(rfb, 1, &only_raw);
    v->pending = VAMT_RFB_PENDING_HIGH;
    send_request(rfb, true, 0, 0, 1280, 1024);
    g_assert_cmpuint(v->in->len, ==, 0);
    g_assert_true(vamt_rfb_wants_update(rfb));

    v->pending = 0;
    vamt_rfb_flush(rfb);
    while (v->in->len) {
        g_assert_cmpuint(v->in->len, <=,
                         VAMT_RFB_UPDATE_BUDGET + 12 + 64 * 64 * 2);
        read_update(v);
        updates++;
        send_request(rfb, true, 0, 0, 1280, 1024);
    }
    /* 2.5 MB of RAW pixels: several updates */
    g_assert_cmpuint(updates, >=, 1280 * 1024 * 2 / VAMT_RFB_UPDATE_BUDGET);
    assert_picture(v, screen, rgb565_max, rgb565_shift);

    /* a non-incremental request (vnccapture's) is answered in one */
    memset(v->fb, 0, 1280 * 1024 * sizeof(uint32_t));
    send_request(rfb, false, 0, 0, 1280, 1024);
    g_assert_cmpuint(read_update(v), ==, 20 * 16);
    g_assert_cmpuint(v->in->len, ==, 0);
    assert_picture(v, screen, rgb565_max, rgb565_shift);
    vamt_rfb_free(rfb);
    viewer_free(v);
    vamt_screen_free(screen);
}

/* ---- tests: input ---- */

static void test_input(void)
{
    VamtScreen *screen = vamt_screen_new();
    Viewer *v = viewer_new();
    VamtRfb *rfb = connect_viewer(screen, v, "RFB 003.008\n", false);
    static const uint8_t key_a[8] = { 4, 1, 0, 0, 0, 0, 0, 0x61 };
    static const uint8_t click[6] = { 5, 1, 0x01, 0x2c, 0x00, 0xc8 };
    uint8_t cut[8] = { 6 };
    g_autofree uint8_t *text = g_malloc(100000);

    send_split(rfb, key_a, sizeof(key_a));
    send_bytes(rfb, click, sizeof(click));
    g_assert_cmpuint(v->keys->len, ==, 1);
    g_assert_cmphex(g_array_index(v->keys, uint32_t, 0), ==,
                    0x61 | 1u << 31);
    g_assert_cmpuint(v->pointers->len, ==, 1);
    g_assert_cmphex(g_array_index(v->pointers, uint32_t, 0), ==,
                    300 | 200 << 16);
    g_assert_cmpuint(v->last_buttons, ==, 1);

    /* a 100 kB clipboard in pieces is skipped; the key after it counts */
    memset(text, 'x', 100000);
    vamt_put_be32(cut + 4, 100000);
    send_bytes(rfb, cut, sizeof(cut));
    for (unsigned i = 0; i < 100000; i += 1000) {
        send_bytes(rfb, text + i, 1000);
    }
    send_bytes(rfb, key_a, sizeof(key_a));
    g_assert_false(v->closed);
    g_assert_cmpuint(v->keys->len, ==, 2);
    g_assert_cmpuint(vamt_rfb_stats(rfb)->input_events, ==, 3);
    vamt_rfb_free(rfb);
    viewer_free(v);
    vamt_screen_free(screen);
}

/* keysyms as viewers send them, to USB HID usages (US layout) */
static void test_keysyms(void)
{
    static const struct {
        uint32_t keysym;
        uint16_t usage;
    } cases[] = {
        { 'a', 0x04 }, { 'A', 0x04 }, { 'z', 0x1d }, { '1', 0x1e },
        { '!', 0x1e }, { '0', 0x27 }, { ' ', 0x2c }, { '-', 0x2d },
        { 0xff0d, 0x28 },       /* Return */
        { 0xff1b, 0x29 },       /* Escape */
        { 0xff08, 0x2a },       /* BackSpace */
        { 0xff09, 0x2b },       /* Tab */
        { 0xffbe, 0x3a },       /* F1 */
        { 0xffc9, 0x45 },       /* F12 */
        { 0xff51, 0x50 },       /* Left */
        { 0xff52, 0x52 },       /* Up */
        { 0xffe1, 0xe1 },       /* Shift_L */
        { 0xffe3, 0xe0 },       /* Control_L */
        { 0xffe9, 0xe2 },       /* Alt_L */
        { 0xffff, 0x4c },       /* Delete */
        { 0xffb5, 0x5d },       /* KP_5 */
        { 0x12345678, 0 },      /* nothing */
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_assert_cmphex(vamt_keysym_to_usage(cases[i].keysym), ==,
                        cases[i].usage);
    }
}

/* ---- tests: hostile viewers ---- */

/* Feed @msg after the handshake: the server must close, and stay quiet */
static void assert_refused(const void *msg, size_t len)
{
    VamtScreen *screen = vamt_screen_new();
    Viewer *v = viewer_new();
    VamtRfb *rfb = connect_viewer(screen, v, "RFB 003.008\n", false);
    static const uint8_t key_a[8] = { 4, 1, 0, 0, 0, 0, 0, 0x61 };

    send_bytes(rfb, msg, len);
    g_assert_true(v->closed);
    g_assert_true(vamt_rfb_failed(rfb));
    /* nothing after the failure is read or answered */
    g_byte_array_set_size(v->in, 0);
    send_bytes(rfb, key_a, sizeof(key_a));
    send_request(rfb, false, 0, 0, 640, 480);
    g_assert_cmpuint(v->keys->len, ==, 0);
    g_assert_cmpuint(v->in->len, ==, 0);
    vamt_rfb_free(rfb);
    viewer_free(v);
    vamt_screen_free(screen);
}

static void test_hostile_messages(void)
{
    static const uint8_t unknown[] = { 99, 0, 0, 0 };
    static const uint8_t too_many[4] = { 2, 0, 0x03, 0xe8 };
    /* 24 bpp, a colour map, a channel past the pixel, no red */
    static const uint8_t bpp24[20] = { 0, 0, 0, 0, 24, 24, 0, 1, 0, 255, 0,
                                       255, 0, 255, 16, 8, 0 };
    static const uint8_t colour_map[20] = { 0, 0, 0, 0, 8, 8, 0, 0 };
    static const uint8_t overflow[20] = { 0, 0, 0, 0, 16, 16, 0, 1, 0, 255,
                                          0, 63, 0, 31, 12, 5, 0 };
    static const uint8_t no_red[20] = { 0, 0, 0, 0, 16, 16, 0, 1, 0, 0,
                                        0, 63, 0, 31, 11, 5, 0 };

    assert_refused(unknown, sizeof(unknown));
    assert_refused(too_many, sizeof(too_many));
    assert_refused(bpp24, sizeof(bpp24));
    assert_refused(colour_map, sizeof(colour_map));
    assert_refused(overflow, sizeof(overflow));
    assert_refused(no_red, sizeof(no_red));
}

static void test_hostile_handshake(void)
{
    VamtScreen *screen = vamt_screen_new();
    Viewer *v = viewer_new();
    VamtRfb *rfb = vamt_rfb_new(screen, VAMT_RFB_SECURITY_NONE, "x",
                                &viewer_ops, v);
    static const uint8_t vnc_auth = 2;
    static const uint8_t failed[4] = { 0, 0, 0, 1 };

    /* not RFB at all */
    send_bytes(rfb, "GET / HTTP/1.1\r\n", 16);
    g_assert_true(v->closed);
    vamt_rfb_free(rfb);
    g_byte_array_set_size(v->in, 0);

    /* a security type the server did not offer: refused with a reason */
    v->closed = false;
    rfb = vamt_rfb_new(screen, VAMT_RFB_SECURITY_NONE, "x", &viewer_ops, v);
    expect_bytes(v, "RFB 003.008\n", 12);
    send_bytes(rfb, "RFB 003.008\n", 12);
    consume(v, 2);
    send_bytes(rfb, &vnc_auth, 1);
    expect_bytes(v, failed, sizeof(failed));
    g_assert_cmpuint(vamt_be32(v->in->data), ==, v->in->len - 4);
    g_assert_true(v->closed);
    vamt_rfb_free(rfb);
    viewer_free(v);
    vamt_screen_free(screen);
}

/* ---- tests: KVM sessions on the redirection port ---- */

/* Everything the ME wrote to the console, in order, into @v->in */
static void collect(TestConsole *t, Viewer *v)
{
    while (t->writes->len) {
        g_autoptr(GByteArray) w = next_write(t);

        g_byte_array_append(v->in, w->data, w->len);
    }
}

static void console_rfb(TestConsole *t, const void *data, size_t len)
{
    console_send(t, data, len);
}

/*
 * MeshCommander's KVM: the redirection login, 0x40 -> 0x41, then RFB
 * on the same connection; its viewer sees the screen, its keys and
 * pointer reach the platform; the session is audited and ends with the
 * connection
 */
static void test_session_meshcommander(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_KVM);
    VamtAmt *amt = vamt_me_amt(m->me);
    VamtScreen *screen = vamt_redir_screen(vamt_me_redir(m->me));
    unsigned audits = vamt_amt_state(amt)->audit_count;
    TestConsole *t = console_open(m);
    Viewer *v = viewer_new();
    static const uint8_t start[8] = { 0x40 };
    static const uint8_t reply[8] = { 0x41 };
    static const uint8_t none = 1, shared = 1;
    static const uint8_t key_a_down[8] = { 4, 1, 0, 0, 0, 0, 0, 0x61 };
    static const uint8_t key_a_up[8] = { 4, 0, 0, 0, 0, 0, 0, 0x61 };
    static const uint8_t enter[8] = { 4, 1, 0, 0, 0, 0, 0xff, 0x0d };
    static const uint8_t far_click[6] = { 5, 1, 0x13, 0x88, 0x13, 0x88 };
    uint8_t encs[4 + 16] = { 2, 0, 0, 4 };
    uint8_t request[10] = { 3, 1, 0, 0, 0, 0, 0x03, 0x20, 0x02, 0x58 };
    size_t off = 0;

    vamt_screen_resize(screen, 800, 600);
    paint(screen, pattern, 4);
    console_send(t, start_kvm, sizeof(start_kvm));
    expect_write(t, 0x11, 13);
    send_plain(t, "admin", PASSWORD);
    expect_write(t, 0x14, 9);
    g_assert_false(m->viewing);
    g_assert_true(vamt_redir_active(vamt_me_redir(m->me), VAMT_REDIR_KVM));
    g_assert_true(vamt_amt_session_open(amt, VAMT_AMT_SESSION_KVM));

    console_send(t, start, sizeof(start));
    collect(t, v);
    expect_bytes(v, reply, sizeof(reply));
    expect_bytes(v, "RFB 003.008\n", 12);
    g_assert_true(m->viewing);
    console_rfb(t, "RFB 003.008\n", 12);
    console_rfb(t, &none, 1);
    console_rfb(t, &shared, 1);
    collect(t, v);
    consume(v, 2 + 4);
    take(v, 24, &off);
    g_assert_cmpuint(vamt_be16(v->in->data), ==, 800);
    g_assert_cmpuint(vamt_be16(v->in->data + 2), ==, 600);
    off += vamt_be32(v->in->data + 20);
    consume(v, off);
    v->width = 800;
    v->height = 600;
    v->fb = g_new0(uint32_t, 800 * 600);
    for (unsigned i = 0; i < 4; i++) {
        vamt_put_be32(encs + 4 + 4 * i, meshcommander_encodings[i]);
    }
    console_rfb(t, encs, sizeof(encs));
    console_rfb(t, request, sizeof(request));
    collect(t, v);
    while (v->in->len) {
        read_update(v);
        console_rfb(t, request, sizeof(request));
        collect(t, v);
    }
    assert_picture(v, screen, rgb565_max, rgb565_shift);
    g_assert_nonnull(vamt_redir_kvm_stats(vamt_me_redir(m->me)));

    /* an update the platform drew goes out on its flush */
    {
        uint32_t white[4] = { 0xffffff, 0xffffff, 0xffffff, 0xffffff };

        vamt_screen_update(screen, 700, 500, 2, 2, (const uint8_t *)white,
                           8);
        vamt_redir_kvm_flush(vamt_me_redir(m->me));
        collect(t, v);
        g_assert_cmpuint(read_update(v), ==, 1);
        assert_picture(v, screen, rgb565_max, rgb565_shift);
    }

    /* keys as USB usages; the pointer clamped to the screen */
    console_rfb(t, key_a_down, sizeof(key_a_down));
    console_rfb(t, key_a_up, sizeof(key_a_up));
    console_rfb(t, enter, sizeof(enter));
    console_rfb(t, far_click, sizeof(far_click));
    g_assert_cmpuint(m->input->len, ==, 4);
    g_assert_cmphex(g_array_index(m->input, TestInputEvent, 0).usage, ==, 4);
    g_assert_true(g_array_index(m->input, TestInputEvent, 0).down);
    g_assert_false(g_array_index(m->input, TestInputEvent, 1).down);
    g_assert_cmphex(g_array_index(m->input, TestInputEvent, 2).usage, ==,
                    0x28);
    g_assert_true(g_array_index(m->input, TestInputEvent, 3).pointer);
    g_assert_cmpuint(g_array_index(m->input, TestInputEvent, 3).x, ==, 799);
    g_assert_cmpuint(g_array_index(m->input, TestInputEvent, 3).y, ==, 599);
    g_assert_cmpuint(g_array_index(m->input, TestInputEvent, 3).buttons, ==,
                     1);

    /* the console goes: viewing stops, the session is over and audited */
    console_free(t);
    g_assert_false(m->viewing);
    g_assert_false(vamt_redir_active(vamt_me_redir(m->me), VAMT_REDIR_KVM));
    g_assert_false(vamt_amt_session_open(amt, VAMT_AMT_SESSION_KVM));
    g_assert_cmpuint(vamt_amt_state(amt)->audit_count, ==, audits + 2);
    {
        g_autoptr(GByteArray) open_rec = vamt_amt_audit_bytes(amt, audits);
        g_autoptr(GByteArray) close_rec = vamt_amt_audit_bytes(amt,
                                                               audits + 1);

        /* Redirection Manager (18): KVM session started 8, ended 9 */
        g_assert_cmphex(open_rec->data[1], ==, 18);
        g_assert_cmphex(open_rec->data[3], ==, 8);
        g_assert_cmphex(close_rec->data[3], ==, 9);
    }
    viewer_free(v);
    machine_free(m);
}

/* 0x11's status for KVMR on @m, the connection closed again */
static uint8_t kvm_start_status(TestMachine *m)
{
    TestConsole *t = console_open(m);
    g_autoptr(GByteArray) w = NULL;
    uint8_t status;

    console_send(t, start_kvm, sizeof(start_kvm));
    w = next_write(t);
    g_assert_cmphex(w->data[0], ==, 0x11);
    status = w->data[1];
    console_free(t);
    return status;
}

/* An open KVMR session past its 0x41, RFB's version read */
static TestConsole *kvm_session(TestMachine *m)
{
    TestConsole *t = console_open(m);
    static const uint8_t start[8] = { 0x40 };
    g_autoptr(GByteArray) w = NULL;

    console_send(t, start_kvm, sizeof(start_kvm));
    expect_write(t, 0x11, 13);
    send_plain(t, "admin", PASSWORD);
    expect_write(t, 0x14, 9);
    console_send(t, start, sizeof(start));
    w = next_write(t);
    g_assert_cmphex(w->data[0], ==, 0x41);
    g_assert_cmphex(w->data[1], ==, 0);
    return t;
}

/*
 * Not served without a display (3), nor when a console disabled KVM
 * (3); one session at a time (2); disabling KVM ends the session
 */
static void test_session_refusals(void)
{
    TestMachine *bare = machine_new(VAMT_FW_REDIR_SOL);
    TestMachine *m = machine_new(VAMT_FW_REDIR_KVM);
    VamtAmtState *s = vamt_amt_state(vamt_me_amt(m->me));
    TestConsole *first;

    g_assert_cmpuint(kvm_start_status(bare), ==, 3);
    s->kvm_requested = CIM_REQUESTED_STATE_DISABLED;
    g_assert_cmpuint(kvm_start_status(m), ==, 3);
    s->kvm_requested = CIM_REQUESTED_STATE_ENABLED;
    g_assert_cmpuint(kvm_start_status(m), ==, 0);

    first = kvm_session(m);
    g_assert_true(m->viewing);
    g_assert_cmpuint(kvm_start_status(m), ==, 2);
    s->kvm_requested = CIM_REQUESTED_STATE_DISABLED;
    vamt_redir_settings_changed(vamt_me_redir(m->me));
    g_assert_true(first->closed);
    g_assert_false(m->viewing);
    console_free(first);
    machine_free(m);
    machine_free(bare);
}

/*
 * With user consent required and no code given, the session is refused
 * at 0x41 (the in-session consent screen is not served); with the code
 * received over WS-Man it opens
 */
static void test_session_consent(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_KVM);
    VamtAmtState *s = vamt_amt_state(vamt_me_amt(m->me));
    TestConsole *t = console_open(m);
    static const uint8_t start[8] = { 0x40 };
    g_autoptr(GByteArray) w = NULL;

    s->opt_in_required = 1;
    s->opt_in_state = 2;
    console_send(t, start_kvm, sizeof(start_kvm));
    expect_write(t, 0x11, 13);
    send_plain(t, "admin", PASSWORD);
    expect_write(t, 0x14, 9);
    console_send(t, start, sizeof(start));
    w = next_write(t);
    g_assert_cmphex(w->data[0], ==, 0x41);
    g_assert_cmphex(w->data[1], !=, 0);
    g_assert_cmpuint(t->writes->len, ==, 0);
    advance(m, t, VAMT_REDIR_ISOLATION_MS);
    g_assert_true(t->closed);
    g_assert_false(m->viewing);
    console_free(t);

    /* the consent is in use while the session lasts, then lasts 2 min */
    s->opt_in_state = 3;
    t = kvm_session(m);
    g_assert_true(m->viewing);
    g_assert_cmpuint(s->opt_in_state, ==, 4);
    console_free(t);
    g_assert_cmpuint(s->opt_in_state, ==, 3);
    m->platform.ms += VAMT_OPT_IN_UNUSED_MS;
    g_assert_cmpuint(kvm_start_status(m), ==, 0);
    t = console_open(m);
    console_send(t, start_kvm, sizeof(start_kvm));
    expect_write(t, 0x11, 13);
    send_plain(t, "admin", PASSWORD);
    expect_write(t, 0x14, 9);
    console_send(t, start, sizeof(start));
    g_clear_pointer(&w, g_byte_array_unref);
    w = next_write(t);
    g_assert_cmphex(w->data[1], !=, 0);
    g_assert_cmpuint(s->opt_in_state, ==, 0);
    console_free(t);
    machine_free(m);
}

/* SessionTimeout: minutes without input from the console end it */
static void test_session_timeout(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_KVM);
    VamtAmtState *s = vamt_amt_state(vamt_me_amt(m->me));
    static const uint8_t key[8] = { 4, 1, 0, 0, 0, 0, 0, 0x61 };
    TestConsole *t;

    s->kvm_session_timeout = 1;
    t = kvm_session(m);
    console_send(t, "RFB 003.008\n", 12);
    console_send(t, "\x01\x01", 2);
    for (int i = 0; i < 4; i++) {
        advance(m, t, 30000);
        console_send(t, key, sizeof(key));
    }
    g_assert_false(t->closed);
    advance(m, t, 59000);
    g_assert_false(t->closed);
    advance(m, t, 1000);
    g_assert_true(t->closed);
    g_assert_false(m->viewing);
    console_free(t);
    machine_free(m);
}

/* Garbage after 0x41 is bad RFB: the session closes, nothing is left */
static void test_session_garbage(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_KVM);
    TestConsole *t = kvm_session(m);

    console_send(t, "RFB 003.008\n\x01\x01\x63\x00\x00\x00", 18);
    g_assert_true(t->closed);
    g_assert_false(m->viewing);
    g_assert_false(vamt_redir_active(vamt_me_redir(m->me), VAMT_REDIR_KVM));
    console_free(t);
    /* and the next console gets a session */
    t = kvm_session(m);
    g_assert_true(m->viewing);
    console_free(t);
    machine_free(m);
}

/* ---- tests: port 5900 ---- */

#define RFB_PASSWORD "Vnc@pw01"

/* DES as RFB uses it: the answer openssl's des-ecb gives */
static void test_vnc_response(void)
{
    static const uint8_t challenge[16] = {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    };
    static const uint8_t expected[16] = {
        0xc0, 0x12, 0x93, 0x24, 0xf9, 0x25, 0x47, 0x99,
        0xb9, 0x16, 0x46, 0x1d, 0x6d, 0x9d, 0xa2, 0x50,
    };
    uint8_t response[16];

    g_assert_true(vamt_test_vnc_response(NULL, RFB_PASSWORD, challenge,
                                         response));
    g_assert_cmpmem(response, 16, expected, 16);
}

static TestMachine *vnc_machine(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_KVM);
    VamtAmtState *s = vamt_amt_state(vamt_me_amt(m->me));

    /* nothing on 5900 until the port is enabled with a password */
    g_assert_null(vamt_me_service(m->me, VAMT_PORT_VNC));
    s->kvm_port_5900 = true;
    g_assert_null(vamt_me_service(m->me, VAMT_PORT_VNC));
    g_strlcpy(s->rfb_password, RFB_PASSWORD, sizeof(s->rfb_password));
    g_assert_nonnull(vamt_me_service(m->me, VAMT_PORT_VNC));
    return m;
}

/*
 * A 3.8 viewer with VNC authentication and @password: the
 * SecurityResult it got (0 ok), its reason when refused
 */
static uint32_t vnc_login(TestConsole *t, Viewer *v, const char *password,
                          char **reason)
{
    static const uint8_t list[] = { 1, 2 };
    static const uint8_t vnc_auth = 2;
    uint8_t response[16];
    uint32_t result;

    collect(t, v);
    expect_bytes(v, "RFB 003.008\n", 12);
    console_send(t, "RFB 003.008\n", 12);
    collect(t, v);
    if (v->in->data[0] == 0) {
        /* no security types: refused before authentication */
        *reason = g_strndup((char *)v->in->data + 5,
                            vamt_be32(v->in->data + 1));
        return UINT32_MAX;
    }
    expect_bytes(v, list, sizeof(list));
    console_send(t, &vnc_auth, 1);
    collect(t, v);
    g_assert_cmpuint(v->in->len, ==, 16);
    vamt_test_vnc_response(NULL, password, v->in->data, response);
    consume(v, 16);
    console_send(t, response, sizeof(response));
    collect(t, v);
    result = vamt_be32(v->in->data);
    if (result) {
        *reason = g_strndup((char *)v->in->data + 8,
                            vamt_be32(v->in->data + 4));
    }
    consume(v, v->in->len);
    return result;
}

/*
 * A VNC viewer with the RFB password gets the screen and the session;
 * the audit log and the platform see it as KVM
 */
static void test_vnc_session(void)
{
    TestMachine *m = vnc_machine();
    VamtAmt *amt = vamt_me_amt(m->me);
    VamtScreen *screen = vamt_redir_screen(vamt_me_redir(m->me));
    unsigned audits = vamt_amt_state(amt)->audit_count;
    TestConsole *t = console_open_port(m, VAMT_PORT_VNC);
    Viewer *v = viewer_new();
    static const uint8_t shared = 1;
    static const int32_t raw = VAMT_RFB_ENC_RAW;
    g_autofree char *reason = NULL;

    vamt_screen_resize(screen, 640, 480);
    paint(screen, pattern, 5);
    g_assert_false(m->viewing);
    g_assert_cmpuint(vnc_login(t, v, RFB_PASSWORD, &reason), ==, 0);
    g_assert_true(m->viewing);
    g_assert_true(vamt_redir_active(vamt_me_redir(m->me), VAMT_REDIR_KVM));
    g_assert_cmpuint(vamt_amt_state(amt)->audit_count, ==, audits + 1);
    console_send(t, &shared, 1);
    collect(t, v);
    g_assert_cmpuint(vamt_be16(v->in->data), ==, 640);
    consume(v, v->in->len);
    v->width = 640;
    v->height = 480;
    v->fb = g_new0(uint32_t, 640 * 480);
    {
        uint8_t encs[8] = { 2, 0, 0, 1 };
        uint8_t request[10] = { 3, 0, 0, 0, 0, 0, 0x02, 0x80, 0x01, 0xe0 };

        vamt_put_be32(encs + 4, (uint32_t)raw);
        console_send(t, encs, sizeof(encs));
        console_send(t, request, sizeof(request));
        collect(t, v);
        while (v->in->len) {
            read_update(v);
            request[1] = 1;
            console_send(t, request, sizeof(request));
            collect(t, v);
        }
    }
    assert_picture(v, screen, rgb565_max, rgb565_shift);
    console_free(t);
    g_assert_false(m->viewing);
    g_assert_cmpuint(vamt_amt_state(amt)->audit_count, ==, audits + 2);
    viewer_free(v);
    machine_free(m);
}

/*
 * A wrong password is refused with a reason; three in a row hold
 * further viewers off for 10 s; a KVM session elsewhere makes 5900 busy
 * (refused before authentication, as AMT does)
 */
static void test_vnc_refusals(void)
{
    TestMachine *m = vnc_machine();
    VamtAmtState *s = vamt_amt_state(vamt_me_amt(m->me));
    TestConsole *t, *kvmr;
    Viewer *v = viewer_new();
    char *reason = NULL;

    for (int i = 0; i < 3; i++) {
        t = console_open_port(m, VAMT_PORT_VNC);
        g_assert_cmpuint(vnc_login(t, v, "Wrong@01", &reason), ==, 1);
        g_assert_cmpstr(reason, ==, "authentication failed");
        g_clear_pointer(&reason, g_free);
        g_assert_true(t->closed);
        g_assert_false(m->viewing);
        console_free(t);
    }
    t = console_open_port(m, VAMT_PORT_VNC);
    g_assert_cmpuint(vnc_login(t, v, RFB_PASSWORD, &reason), ==, UINT32_MAX);
    g_assert_nonnull(strstr(reason, "too many"));
    g_clear_pointer(&reason, g_free);
    console_free(t);
    g_byte_array_set_size(v->in, 0);
    m->platform.ms += 10000;

    /* busy while KVMR has the session */
    kvmr = kvm_session(m);
    t = console_open_port(m, VAMT_PORT_VNC);
    g_assert_cmpuint(vnc_login(t, v, RFB_PASSWORD, &reason), ==, UINT32_MAX);
    g_assert_cmpstr(reason, ==, "KVM session active");
    g_clear_pointer(&reason, g_free);
    g_assert_true(t->closed);
    console_free(t);
    g_byte_array_set_size(v->in, 0);
    console_free(kvmr);

    /* consent required and not given */
    s->opt_in_required = 1;
    t = console_open_port(m, VAMT_PORT_VNC);
    g_assert_cmpuint(vnc_login(t, v, RFB_PASSWORD, &reason), ==, UINT32_MAX);
    g_assert_cmpstr(reason, ==, "user consent required");
    g_clear_pointer(&reason, g_free);
    console_free(t);
    g_byte_array_set_size(v->in, 0);
    s->opt_in_required = 0;

    /* the password changes or the port goes: the session ends */
    t = console_open_port(m, VAMT_PORT_VNC);
    g_assert_cmpuint(vnc_login(t, v, RFB_PASSWORD, &reason), ==, 0);
    g_strlcpy(s->rfb_password, "Other#99", sizeof(s->rfb_password));
    vamt_redir_settings_changed(vamt_me_redir(m->me));
    g_assert_true(t->closed);
    g_assert_false(m->viewing);
    console_free(t);
    g_byte_array_set_size(v->in, 0);
    t = console_open_port(m, VAMT_PORT_VNC);
    g_assert_cmpuint(vnc_login(t, v, "Other#99", &reason), ==, 0);
    s->kvm_port_5900 = false;
    vamt_redir_settings_changed(vamt_me_redir(m->me));
    g_assert_true(t->closed);
    g_assert_null(vamt_me_service(m->me, VAMT_PORT_VNC));
    console_free(t);
    viewer_free(v);
    machine_free(m);
}

/* A viewer that never authenticates is closed after 30 s */
static void test_vnc_auth_timeout(void)
{
    TestMachine *m = vnc_machine();
    TestConsole *t = console_open_port(m, VAMT_PORT_VNC);

    console_send(t, "RFB 003.008\n", 12);
    advance(m, t, VAMT_REDIR_AUTH_TIMEOUT_MS - 1);
    g_assert_false(t->closed);
    advance(m, t, 1);
    g_assert_true(t->closed);
    console_free(t);
    machine_free(m);
}

/*
 * KVM's settings live in the saved state (NVRAM, migration); a session
 * does not: the destination starts without one, the console reconnects
 */
static void test_kvm_state_saved(void)
{
    TestMachine *src = vnc_machine();
    TestMachine *dst = machine_new(VAMT_FW_REDIR_KVM);
    VamtAmt *amt = vamt_me_amt(src->me);
    VamtAmtState *s = vamt_amt_state(amt);
    const VamtAmtState *d = vamt_amt_state(vamt_me_amt(dst->me));
    g_autoptr(GByteArray) blob = g_byte_array_new();
    TestConsole *t = kvm_session(src);
    char *p;
    size_t i;

    s->kvm_session_timeout = 42;
    s->opt_in_required = 1;
    vamt_amt_save(amt, blob);
    g_assert_true(vamt_amt_load(vamt_me_amt(dst->me), blob->data,
                                blob->len));
    g_assert_cmpstr(d->rfb_password, ==, RFB_PASSWORD);
    g_assert_true(d->kvm_port_5900);
    g_assert_cmpuint(d->kvm_session_timeout, ==, 42);
    g_assert_cmpuint(d->opt_in_required, ==, 1);
    g_assert_false(vamt_redir_active(vamt_me_redir(dst->me),
                                     VAMT_REDIR_KVM));
    g_assert_nonnull(vamt_me_service(dst->me, VAMT_PORT_VNC));

    /* a password AMT would not take does not load */
    for (p = NULL, i = 0; !p && i + 8 <= blob->len; i++) {
        if (!memcmp(blob->data + i, RFB_PASSWORD, 8)) {
            p = (char *)blob->data + i;
        }
    }
    g_assert_nonnull(p);
    memcpy(p, "weakweak", 8);
    g_assert_false(vamt_amt_load(vamt_me_amt(dst->me), blob->data,
                                 blob->len));
    g_assert_cmpstr(d->rfb_password, ==, RFB_PASSWORD);
    console_free(t);
    machine_free(src);
    machine_free(dst);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/kvm/rfb/handshake", test_handshake_versions);
    g_test_add_func("/vamt/kvm/rfb/handshake-newer",
                    test_handshake_newer_versions);
    g_test_add_func("/vamt/kvm/rfb/full-screen-rgb565",
                    test_full_screen_rgb565);
    for (unsigned i = 0; i < G_N_ELEMENTS(format_cases); i++) {
        g_autofree char *path = g_strdup_printf("/vamt/kvm/rfb/format/%s",
                                                format_cases[i].name);

        g_test_add_data_func(path, &format_cases[i], test_pixel_format);
    }
    g_test_add_func("/vamt/kvm/rfb/incremental", test_incremental);
    g_test_add_func("/vamt/kvm/rfb/resize", test_resize);
    g_test_add_func("/vamt/kvm/rfb/backpressure", test_backpressure);
    g_test_add_func("/vamt/kvm/rfb/input", test_input);
    g_test_add_func("/vamt/kvm/rfb/hostile-messages", test_hostile_messages);
    g_test_add_func("/vamt/kvm/rfb/hostile-handshake",
                    test_hostile_handshake);
    g_test_add_func("/vamt/kvm/keysyms", test_keysyms);
    g_test_add_func("/vamt/kvm/session/meshcommander",
                    test_session_meshcommander);
    g_test_add_func("/vamt/kvm/session/refusals", test_session_refusals);
    g_test_add_func("/vamt/kvm/session/consent", test_session_consent);
    g_test_add_func("/vamt/kvm/session/timeout", test_session_timeout);
    g_test_add_func("/vamt/kvm/session/garbage", test_session_garbage);
    g_test_add_func("/vamt/kvm/vnc/des", test_vnc_response);
    g_test_add_func("/vamt/kvm/vnc/session", test_vnc_session);
    g_test_add_func("/vamt/kvm/vnc/refusals", test_vnc_refusals);
    g_test_add_func("/vamt/kvm/vnc/auth-timeout", test_vnc_auth_timeout);
    g_test_add_func("/vamt/kvm/state-saved", test_kvm_state_saved);
    return g_test_run();
}
