/*
 * vAMT ME core: the ME's RFB server, one viewer at a time
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "byte-order.h"
#include "rfb.h"

#define RFB_VERSION_LEN         12
#define RFB_CHALLENGE_LEN       16
#define RFB_PIXEL_FORMAT_LEN    16
#define RFB_RECT_HEADER         12
/* Encoding 16: the data length, then one stored deflate block */
#define RFB_AMT_RLE_HEADER      (RFB_RECT_HEADER + 4 + 5)
#define RFB_PALETTE_MAX         127
#define RFB_TILE_PIXELS         (VAMT_SCREEN_TILE * VAMT_SCREEN_TILE)

/* Client to server */
enum {
    RFB_SET_PIXEL_FORMAT = 0,
    RFB_SET_ENCODINGS = 2,
    RFB_UPDATE_REQUEST = 3,
    RFB_KEY_EVENT = 4,
    RFB_POINTER_EVENT = 5,
    RFB_CLIENT_CUT_TEXT = 6,
};

/* Encoding 16's sub-encodings (ZRLE's) */
enum {
    RLE_RAW = 0,
    RLE_SOLID = 1,
    RLE_PLAIN = 128,
    RLE_PALETTE = 128,          /* + palette size, 2..127 */
};

typedef enum RfbState {
    RFB_ST_VERSION,             /* ProtocolVersion sent, waiting for the viewer's */
    RFB_ST_SECURITY,            /* 3.7/3.8: waiting for the chosen type */
    RFB_ST_AUTH,                /* VNC challenge sent */
    RFB_ST_INIT,                /* waiting for ClientInit */
    RFB_ST_RUNNING,
    RFB_ST_FAILED,
} RfbState;

/* A viewer's pixel format, ready for conversion */
typedef struct RfbFormat {
    unsigned bytes;             /* 1, 2 or 4 */
    bool big_endian;
    bool grey;                  /* AMT's grey modes: red channel only */
    bool identity;              /* 32-bit xRGB, as the screen has it */
    uint16_t max[3];            /* r, g, b */
    uint8_t shift[3];
    uint8_t bits[3];            /* 0: max is not 2^n - 1 */
} RfbFormat;

struct VamtRfb {
    VamtScreen *screen;
    VamtScreenViewer *viewer;
    const VamtRfbOps *ops;
    void *opaque;
    VamtRfbSecurity security;
    char *name;
    RfbState state;
    unsigned minor;             /* 3, 7 or 8 */
    GByteArray *in;
    uint32_t skip;              /* ClientCutText bytes still to drop */
    uint8_t challenge[RFB_CHALLENGE_LEN];

    RfbFormat format;
    /*
     * Encoding 16 as AMT's consoles read it; on port 5900 a viewer's 16
     * is standard ZRLE (a zlib stream), so it only gets RAW there.
     */
    bool amt_rle_allowed;
    int32_t encoding;
    bool desktop_size;
    bool request;               /* an update request is open */
    /*
     * It was not incremental: the viewer (vnccapture, vncsnapshot) takes
     * the one update that answers it as the whole picture, so that one
     * is not cut at the budget
     */
    bool whole_request;
    unsigned fb_width, fb_height;   /* the size the viewer knows */
    VamtRfbStats stats;
    uint32_t tile[RFB_TILE_PIXELS];
};

static void rfb_write(VamtRfb *rfb, const uint8_t *data, size_t len)
{
    rfb->stats.bytes += len;
    rfb->ops->write(rfb->opaque, data, len);
}

static void rfb_fail(VamtRfb *rfb, const char *why)
{
    if (rfb->state == RFB_ST_FAILED) {
        return;
    }
    rfb->state = RFB_ST_FAILED;
    rfb->ops->close(rfb->opaque, why);
}

/* ---- pixel formats ---- */

static unsigned format_bits(uint16_t max)
{
    for (unsigned n = 1; n <= 16; n++) {
        if (max == (1u << n) - 1) {
            return n;
        }
    }
    return 0;
}

static void format_from_wire(RfbFormat *f, const uint8_t *pf)
{
    static const unsigned offsets[3] = { 4, 6, 8 };

    f->bytes = pf[0] / 8;
    f->big_endian = pf[2];
    for (unsigned c = 0; c < 3; c++) {
        f->max[c] = vamt_be16(pf + offsets[c]);
        f->shift[c] = pf[10 + c];
        f->bits[c] = format_bits(f->max[c]);
    }
    f->grey = f->max[0] && !f->max[1] && !f->max[2];
    /* the screen's own xRGB: nothing to convert */
    f->identity = !f->grey && f->bytes == 4 && f->max[0] == 255 &&
                  f->max[1] == 255 && f->max[2] == 255 && f->shift[0] == 16 &&
                  f->shift[1] == 8 && f->shift[2] == 0;
}

/* 16-bit RGB565 little-endian: what AMT consoles assume */
static const uint8_t rfb_default_format[RFB_PIXEL_FORMAT_LEN] = {
    16, 16, 0, 1, 0, 31, 0, 63, 0, 31, 11, 5, 0,
};

/* Can the server send this?  True colour, 8/16/32 bits, channels fit. */
static bool format_valid(const uint8_t *pf)
{
    unsigned bpp = pf[0], depth = pf[1];

    if ((bpp != 8 && bpp != 16 && bpp != 32) || !pf[3] || !depth ||
        depth > bpp) {
        return false;
    }
    for (unsigned c = 0; c < 3; c++) {
        uint64_t max = vamt_be16(pf + 4 + 2 * c);

        if (pf[10 + c] >= bpp || (max << pf[10 + c]) >> bpp) {
            return false;
        }
    }
    return vamt_be16(pf + 4) != 0;
}

static uint32_t scale(unsigned c, uint16_t max, unsigned bits)
{
    if (!bits) {
        return c * max / 255;
    }
    return bits <= 8 ? c >> (8 - bits) : c << (bits - 8);
}

static uint32_t convert(const RfbFormat *f, uint32_t xrgb)
{
    if (f->identity) {
        return xrgb & 0xffffff;
    }
    unsigned rgb[3] = { (xrgb >> 16) & 0xff, (xrgb >> 8) & 0xff,
                        xrgb & 0xff };
    uint32_t v = 0;

    if (f->grey) {
        unsigned luma = (rgb[0] * 77 + rgb[1] * 150 + rgb[2] * 29) >> 8;

        return scale(luma, f->max[0], f->bits[0]) << f->shift[0];
    }
    for (unsigned c = 0; c < 3; c++) {
        v |= scale(rgb[c], f->max[c], f->bits[c]) << f->shift[c];
    }
    return v;
}

/* @n pixels at once: one allocation, no per-pixel append */
static void put_pixels(GByteArray *out, const RfbFormat *f,
                       const uint32_t *px, unsigned n)
{
    size_t at = out->len;
    uint8_t *p;

    g_byte_array_set_size(out, at + (size_t)n * f->bytes);
    p = out->data + at;
    switch (f->bytes) {
    case 1:
        for (unsigned i = 0; i < n; i++) {
            p[i] = px[i];
        }
        break;
    case 2:
        for (unsigned i = 0; i < n; i++, p += 2) {
            if (f->big_endian) {
                vamt_put_be16(p, px[i]);
            } else {
                vamt_put_le16(p, px[i]);
            }
        }
        break;
    default:
        for (unsigned i = 0; i < n; i++, p += 4) {
            if (f->big_endian) {
                vamt_put_be32(p, px[i]);
            } else {
                vamt_put_le32(p, px[i]);
            }
        }
        break;
    }
}

static void put_pixel(GByteArray *out, const RfbFormat *f, uint32_t v)
{
    put_pixels(out, f, &v, 1);
}

/* ---- encoding ---- */

static void put_rect_header(GByteArray *out, unsigned x, unsigned y,
                            unsigned w, unsigned h, int32_t encoding)
{
    uint8_t hdr[RFB_RECT_HEADER];

    vamt_put_be16(hdr, x);
    vamt_put_be16(hdr + 2, y);
    vamt_put_be16(hdr + 4, w);
    vamt_put_be16(hdr + 6, h);
    vamt_put_be32(hdr + 8, (uint32_t)encoding);
    g_byte_array_append(out, hdr, sizeof(hdr));
}

/* ZRLE's run length: length - 1 as 255s and a remainder */
static void put_run_length(GByteArray *out, unsigned len)
{
    uint8_t b = 255;

    for (len -= 1; len >= 255; len -= 255) {
        g_byte_array_append(out, &b, 1);
    }
    b = len;
    g_byte_array_append(out, &b, 1);
}

static unsigned run_length_bytes(unsigned len)
{
    return (len - 1) / 255 + 1;
}

/* A tile's palette (up to 127 colours) in a small open hash */
typedef struct Palette {
    unsigned count;             /* > RFB_PALETTE_MAX: too many */
    uint32_t colour[RFB_PALETTE_MAX];
    uint32_t key[256];
    uint8_t index[256];
    bool used[256];
} Palette;

static int palette_index(Palette *p, uint32_t v, bool add)
{
    unsigned h = (v * 2654435761u) >> 24;

    while (p->used[h]) {
        if (p->key[h] == v) {
            return p->index[h];
        }
        h = (h + 1) & 255;
    }
    if (!add || p->count >= RFB_PALETTE_MAX) {
        if (add) {
            p->count = RFB_PALETTE_MAX + 1;
        }
        return -1;
    }
    p->used[h] = true;
    p->key[h] = v;
    p->index[h] = p->count;
    p->colour[p->count] = v;
    return p->count++;
}

static unsigned packed_bits(unsigned colours)
{
    return colours == 2 ? 1 : colours <= 4 ? 2 : 4;
}

/*
 * One tile of encoding 16: the smallest of raw, solid, packed palette,
 * plain RLE and palette RLE.  Packed pixels run on across rows, as
 * MeshCommander reads them, so they are only used where every row ends
 * on a byte boundary (and standard ZRLE's row padding is moot).
 */
static void encode_amt_tile(VamtRfb *rfb, GByteArray *out, unsigned w,
                            unsigned h)
{
    const RfbFormat *f = &rfb->format;
    const unsigned n = w * h, bpp = f->bytes;
    g_autofree Palette *pal = g_new0(Palette, 1);
    size_t raw = (size_t)n * bpp, plain = 0, palrle = 0, packed = SIZE_MAX;
    size_t best;
    uint8_t sub;
    unsigned start = out->len;
    uint8_t stored[5] = { 0 };

    for (unsigned i = 0; i < n;) {
        unsigned run = 1;

        while (i + run < n && rfb->tile[i + run] == rfb->tile[i]) {
            run++;
        }
        palette_index(pal, rfb->tile[i], true);
        plain += bpp + run_length_bytes(run);
        palrle += run == 1 ? 1 : 1 + run_length_bytes(run);
        i += run;
    }
    if (pal->count == 1) {
        best = 1 + bpp;
        sub = RLE_SOLID;
    } else {
        best = raw;
        sub = RLE_RAW;
        if (pal->count <= 16 && (w * packed_bits(pal->count)) % 8 == 0) {
            packed = pal->count * bpp + n * packed_bits(pal->count) / 8;
        }
        if (packed < best) {
            best = packed;
            sub = pal->count;
        }
        if (plain < best) {
            best = plain;
            sub = RLE_PLAIN;
        }
        if (pal->count <= RFB_PALETTE_MAX &&
            pal->count * bpp + palrle < best) {
            best = pal->count * bpp + palrle;
            sub = RLE_PALETTE + pal->count;
        }
    }

    /* the stored block's header, its length filled in below */
    g_byte_array_append(out, stored, sizeof(stored));
    g_byte_array_append(out, &sub, 1);
    if (sub == RLE_SOLID) {
        put_pixel(out, f, rfb->tile[0]);
    } else if (sub == RLE_RAW) {
        put_pixels(out, f, rfb->tile, n);
    } else if (sub <= 16) {
        unsigned bits = packed_bits(pal->count), acc = 0, filled = 0;

        put_pixels(out, f, pal->colour, pal->count);
        for (unsigned i = 0; i < n; i++) {
            acc = acc << bits | palette_index(pal, rfb->tile[i], false);
            filled += bits;
            if (filled == 8) {
                uint8_t b = acc;

                g_byte_array_append(out, &b, 1);
                acc = filled = 0;
            }
        }
    } else {
        bool with_palette = sub != RLE_PLAIN;

        if (with_palette) {
            put_pixels(out, f, pal->colour, pal->count);
        }
        for (unsigned i = 0; i < n;) {
            unsigned run = 1;

            while (i + run < n && rfb->tile[i + run] == rfb->tile[i]) {
                run++;
            }
            if (!with_palette) {
                put_pixel(out, f, rfb->tile[i]);
                put_run_length(out, run);
            } else {
                uint8_t index = palette_index(pal, rfb->tile[i], false);

                if (run > 1) {
                    index |= 128;
                }
                g_byte_array_append(out, &index, 1);
                if (run > 1) {
                    put_run_length(out, run);
                }
            }
            i += run;
        }
    }
    /* LEN and NLEN of the stored block (BFINAL 0, as AMT sends it) */
    {
        uint16_t len = out->len - start - sizeof(stored);

        vamt_put_le16(out->data + start + 1, len);
        vamt_put_le16(out->data + start + 3, (uint16_t)~len);
        vamt_put_be32(out->data + start - 4, out->len - start);
    }
}

/* The tile at @x,@y (w x h) into rfb->tile, in the viewer's format */
static void load_tile(VamtRfb *rfb, unsigned x, unsigned y, unsigned w,
                      unsigned h)
{
    uint32_t *dst = rfb->tile;

    for (unsigned row = 0; row < h; row++) {
        const uint32_t *src = vamt_screen_row(rfb->screen, y + row) + x;

        for (unsigned col = 0; col < w; col++) {
            *dst++ = convert(&rfb->format, src[col]);
        }
    }
}

static void encode_tile(VamtRfb *rfb, GByteArray *out, unsigned x,
                        unsigned y, unsigned w, unsigned h)
{
    load_tile(rfb, x, y, w, h);
    if (rfb->encoding == VAMT_RFB_ENC_AMT_RLE) {
        uint8_t len[4] = { 0 };

        put_rect_header(out, x, y, w, h, VAMT_RFB_ENC_AMT_RLE);
        g_byte_array_append(out, len, sizeof(len));
        encode_amt_tile(rfb, out, w, h);
        return;
    }
    put_rect_header(out, x, y, w, h, VAMT_RFB_ENC_RAW);
    put_pixels(out, &rfb->format, rfb->tile, w * h);
}

/* ---- updates ---- */

static bool viewer_dirty(const VamtRfb *rfb)
{
    const VamtScreenViewer *v = rfb->viewer;

    if (v->resized) {
        return true;
    }
    for (unsigned t = 0; t < v->tiles_x * v->tiles_y; t++) {
        if (vamt_screen_dirty(&v->dirty[t])) {
            return true;
        }
    }
    return false;
}

void vamt_rfb_flush(VamtRfb *rfb)
{
    VamtScreenViewer *v = rfb->viewer;
    g_autoptr(GByteArray) out = NULL;
    unsigned count = 0;
    uint8_t hdr[4] = { 0 };

    if (rfb->state != RFB_ST_RUNNING || !rfb->request ||
        !viewer_dirty(rfb) ||
        (rfb->ops->pending &&
         rfb->ops->pending(rfb->opaque) >= VAMT_RFB_PENDING_HIGH)) {
        return;
    }
    out = g_byte_array_sized_new(64 * 1024);
    g_byte_array_append(out, hdr, sizeof(hdr));
    if (v->resized) {
        v->resized = false;
        if (rfb->desktop_size) {
            rfb->fb_width = vamt_screen_width(rfb->screen);
            rfb->fb_height = vamt_screen_height(rfb->screen);
            put_rect_header(out, 0, 0, rfb->fb_width, rfb->fb_height,
                            VAMT_RFB_ENC_DESKTOP_SIZE);
            count++;
        }
    }
    for (unsigned ty = 0; ty < v->tiles_y; ty++) {
        for (unsigned tx = 0; tx < v->tiles_x; tx++) {
            VamtScreenDirty *dirty = &v->dirty[ty * v->tiles_x + tx];
            unsigned x = tx * VAMT_SCREEN_TILE + dirty->x0;
            unsigned y = ty * VAMT_SCREEN_TILE + dirty->y0;
            unsigned width = MIN(rfb->fb_width,
                                 vamt_screen_width(rfb->screen));
            unsigned height = MIN(rfb->fb_height,
                                  vamt_screen_height(rfb->screen));
            unsigned w = dirty->x1 - dirty->x0, h = dirty->y1 - dirty->y0;

            if (!vamt_screen_dirty(dirty)) {
                continue;
            }
            if ((out->len >= VAMT_RFB_UPDATE_BUDGET && !rfb->whole_request) ||
                count == UINT16_MAX) {
                goto send;
            }
            *dirty = (VamtScreenDirty) { 0 };
            /* a viewer without DesktopSize keeps its size: clip to it */
            if (x >= width || y >= height) {
                continue;
            }
            /* only what changed in the tile */
            encode_tile(rfb, out, x, y, MIN(w, width - x),
                        MIN(h, height - y));
            count++;
        }
    }
send:
    /* a FramebufferUpdate of no rectangles would stall MeshCommander */
    if (!count) {
        return;
    }
    vamt_put_be16(out->data + 2, count);
    rfb->request = false;
    rfb->whole_request = false;
    rfb->stats.updates++;
    rfb->stats.rects += count;
    rfb_write(rfb, out->data, out->len);
}

bool vamt_rfb_wants_update(const VamtRfb *rfb)
{
    return rfb->state == RFB_ST_RUNNING && rfb->request;
}

/* ---- the handshake ---- */

static void send_u32(VamtRfb *rfb, uint32_t v)
{
    uint8_t b[4];

    vamt_put_be32(b, v);
    rfb_write(rfb, b, sizeof(b));
}

/* SecurityResult failed, with a reason from 3.8 on */
static void refuse(VamtRfb *rfb, const char *reason)
{
    send_u32(rfb, 1);
    if (rfb->minor >= 8) {
        send_u32(rfb, strlen(reason));
        rfb_write(rfb, (const uint8_t *)reason, strlen(reason));
    }
    rfb_fail(rfb, reason);
}

static void security_chosen(VamtRfb *rfb)
{
    if (rfb->security == VAMT_RFB_SECURITY_VNC) {
        rfb->ops->random(rfb->opaque, rfb->challenge,
                         sizeof(rfb->challenge));
        rfb_write(rfb, rfb->challenge, sizeof(rfb->challenge));
        rfb->state = RFB_ST_AUTH;
        return;
    }
    /* 3.7 has no SecurityResult after None, 3.8 has */
    if (rfb->minor >= 8) {
        send_u32(rfb, 0);
    }
    rfb->state = RFB_ST_INIT;
}

static bool on_version(VamtRfb *rfb, const uint8_t *msg)
{
    unsigned major, minor;
    char text[RFB_VERSION_LEN + 1];
    const char *reason;

    memcpy(text, msg, RFB_VERSION_LEN);
    text[RFB_VERSION_LEN] = 0;
    if (sscanf(text, "RFB %3u.%3u\n", &major, &minor) != 2 ||
        text[RFB_VERSION_LEN - 1] != '\n' || major < 3) {
        rfb_fail(rfb, "not an RFB ProtocolVersion");
        return false;
    }
    /* 3.889 (Apple) and 4.x are 3.8 as far as this server goes */
    rfb->minor = major > 3 || minor >= 8 ? 8 : minor == 7 ? 7 : 3;
    reason = rfb->ops->admit ? rfb->ops->admit(rfb->opaque, false) : NULL;
    if (reason) {
        /* no security types (3.3: type 0), then why */
        if (rfb->minor == 3) {
            send_u32(rfb, 0);
        } else {
            uint8_t none = 0;

            rfb_write(rfb, &none, 1);
        }
        send_u32(rfb, strlen(reason));
        rfb_write(rfb, (const uint8_t *)reason, strlen(reason));
        rfb_fail(rfb, reason);
        return false;
    }
    if (rfb->minor == 3) {
        send_u32(rfb, rfb->security);
        security_chosen(rfb);
    } else {
        uint8_t list[2] = { 1, rfb->security };

        rfb_write(rfb, list, sizeof(list));
        rfb->state = RFB_ST_SECURITY;
    }
    return true;
}

static void server_init(VamtRfb *rfb)
{
    uint8_t msg[4 + RFB_PIXEL_FORMAT_LEN + 4];
    size_t name_len = strlen(rfb->name);

    rfb->fb_width = vamt_screen_width(rfb->screen);
    rfb->fb_height = vamt_screen_height(rfb->screen);
    vamt_put_be16(msg, rfb->fb_width);
    vamt_put_be16(msg + 2, rfb->fb_height);
    memcpy(msg + 4, rfb_default_format, RFB_PIXEL_FORMAT_LEN);
    vamt_put_be32(msg + 4 + RFB_PIXEL_FORMAT_LEN, name_len);
    rfb_write(rfb, msg, sizeof(msg));
    rfb_write(rfb, (const uint8_t *)rfb->name, name_len);
    /* the first request may be incremental: all of it is new to it */
    rfb->viewer->resized = false;
    vamt_screen_viewer_mark(rfb->viewer, 0, 0, rfb->fb_width,
                            rfb->fb_height);
    rfb->state = RFB_ST_RUNNING;
}

/* ---- messages ---- */

/* Bytes the message at @buf needs, 0 if not known yet, -1 if invalid */
static long message_len(const VamtRfb *rfb, const uint8_t *buf,
                        size_t avail)
{
    switch (rfb->state) {
    case RFB_ST_VERSION:
        return RFB_VERSION_LEN;
    case RFB_ST_SECURITY:
    case RFB_ST_INIT:
        return 1;
    case RFB_ST_AUTH:
        return RFB_CHALLENGE_LEN;
    case RFB_ST_RUNNING:
        break;
    default:
        return -1;
    }
    switch (buf[0]) {
    case RFB_SET_PIXEL_FORMAT:
        return 4 + RFB_PIXEL_FORMAT_LEN;
    case RFB_SET_ENCODINGS:
        if (avail < 4) {
            return 0;
        }
        if (vamt_be16(buf + 2) > VAMT_RFB_MAX_ENCODINGS) {
            return -1;
        }
        return 4 + 4 * vamt_be16(buf + 2);
    case RFB_UPDATE_REQUEST:
        return 10;
    case RFB_KEY_EVENT:
        return 8;
    case RFB_POINTER_EVENT:
        return 6;
    case RFB_CLIENT_CUT_TEXT:
        return 8;               /* the text itself is skipped */
    default:
        return -1;
    }
}

static void on_set_encodings(VamtRfb *rfb, const uint8_t *msg)
{
    unsigned n = vamt_be16(msg + 2);
    bool chosen = false;

    rfb->encoding = VAMT_RFB_ENC_RAW;
    rfb->desktop_size = false;
    for (unsigned i = 0; i < n; i++) {
        int32_t enc = (int32_t)vamt_be32(msg + 4 + 4 * i);

        if (enc == VAMT_RFB_ENC_DESKTOP_SIZE) {
            rfb->desktop_size = true;
        } else if (!chosen && (enc == VAMT_RFB_ENC_RAW ||
                               (enc == VAMT_RFB_ENC_AMT_RLE &&
                                rfb->amt_rle_allowed))) {
            rfb->encoding = enc;
            chosen = true;
        }
    }
}

static void on_update_request(VamtRfb *rfb, const uint8_t *msg)
{
    if (!msg[1]) {
        vamt_screen_viewer_mark(rfb->viewer, vamt_be16(msg + 2),
                                vamt_be16(msg + 4), vamt_be16(msg + 6),
                                vamt_be16(msg + 8));
        rfb->whole_request = true;
    }
    rfb->request = true;
}

static void on_message(VamtRfb *rfb, const uint8_t *msg, size_t len)
{
    switch (rfb->state) {
    case RFB_ST_VERSION:
        on_version(rfb, msg);
        return;
    case RFB_ST_SECURITY:
        if (msg[0] != rfb->security) {
            refuse(rfb, "security type not offered");
            return;
        }
        security_chosen(rfb);
        return;
    case RFB_ST_AUTH:
        if (!rfb->ops->vnc_auth ||
            !rfb->ops->vnc_auth(rfb->opaque, rfb->challenge, msg)) {
            refuse(rfb, "authentication failed");
            return;
        }
        /* another viewer may have won the race since the version */
        if (rfb->ops->admit) {
            const char *reason = rfb->ops->admit(rfb->opaque, true);

            if (reason) {
                refuse(rfb, reason);
                return;
            }
        }
        send_u32(rfb, 0);
        rfb->state = RFB_ST_INIT;
        return;
    case RFB_ST_INIT:
        server_init(rfb);
        return;
    default:
        break;
    }
    switch (msg[0]) {
    case RFB_SET_PIXEL_FORMAT:
        if (!format_valid(msg + 4)) {
            rfb_fail(rfb, "SetPixelFormat the server cannot send");
            return;
        }
        format_from_wire(&rfb->format, msg + 4);
        /* what the viewer has is in the old format */
        vamt_screen_viewer_mark(rfb->viewer, 0, 0, rfb->fb_width,
                                rfb->fb_height);
        break;
    case RFB_SET_ENCODINGS:
        on_set_encodings(rfb, msg);
        break;
    case RFB_UPDATE_REQUEST:
        on_update_request(rfb, msg);
        break;
    case RFB_KEY_EVENT:
        rfb->stats.input_events++;
        rfb->ops->key(rfb->opaque, vamt_be32(msg + 4), msg[1]);
        break;
    case RFB_POINTER_EVENT:
        rfb->stats.input_events++;
        rfb->ops->pointer(rfb->opaque, vamt_be16(msg + 2),
                          vamt_be16(msg + 4), msg[1]);
        break;
    case RFB_CLIENT_CUT_TEXT:
        /* clipboard and AMT's KvmDataChannel/KvmExtCmd: not served */
        rfb->skip = vamt_be32(msg + 4);
        break;
    }
}

void vamt_rfb_input(VamtRfb *rfb, const uint8_t *data, size_t len)
{
    size_t off = 0;

    while (len && rfb->skip && rfb->state != RFB_ST_FAILED) {
        size_t n = MIN(len, rfb->skip);

        rfb->skip -= n;
        data += n;
        len -= n;
    }
    if (rfb->state == RFB_ST_FAILED || !len) {
        return;
    }
    g_byte_array_append(rfb->in, data, len);
    while (off < rfb->in->len && rfb->state != RFB_ST_FAILED) {
        long need = message_len(rfb, rfb->in->data + off,
                                rfb->in->len - off);

        if (need < 0) {
            rfb_fail(rfb, "unknown or malformed RFB message");
            break;
        }
        if (need == 0 || (size_t)need > rfb->in->len - off) {
            break;
        }
        on_message(rfb, rfb->in->data + off, need);
        off += need;
        /* ClientCutText: its text follows, perhaps already here */
        if (rfb->skip) {
            size_t n = MIN(rfb->skip, rfb->in->len - off);

            rfb->skip -= n;
            off += n;
        }
    }
    g_byte_array_remove_range(rfb->in, 0, MIN(off, rfb->in->len));
    vamt_rfb_flush(rfb);
}

/* ---- life ---- */

VamtRfb *vamt_rfb_new(VamtScreen *screen, VamtRfbSecurity security,
                      const char *name, const VamtRfbOps *ops, void *opaque)
{
    VamtRfb *rfb = g_new0(VamtRfb, 1);
    static const char version[] = "RFB 003.008\n";

    rfb->screen = screen;
    rfb->viewer = vamt_screen_attach(screen, NULL, NULL);
    rfb->security = security;
    rfb->amt_rle_allowed = security == VAMT_RFB_SECURITY_NONE;
    rfb->name = g_strdup(name);
    rfb->ops = ops;
    rfb->opaque = opaque;
    rfb->in = g_byte_array_new();
    rfb->encoding = VAMT_RFB_ENC_RAW;
    format_from_wire(&rfb->format, rfb_default_format);
    rfb->state = RFB_ST_VERSION;
    rfb_write(rfb, (const uint8_t *)version, RFB_VERSION_LEN);
    return rfb;
}

void vamt_rfb_free(VamtRfb *rfb)
{
    if (!rfb) {
        return;
    }
    vamt_screen_detach(rfb->viewer);
    g_byte_array_free(rfb->in, TRUE);
    g_free(rfb->name);
    g_free(rfb);
}

bool vamt_rfb_running(const VamtRfb *rfb)
{
    return rfb->state == RFB_ST_RUNNING;
}

bool vamt_rfb_failed(const VamtRfb *rfb)
{
    return rfb->state == RFB_ST_FAILED;
}

const VamtRfbStats *vamt_rfb_stats(const VamtRfb *rfb)
{
    return &rfb->stats;
}
