/*
 * The KVM unit tests' RFB viewer: it drives the ME's RFB server as a
 * viewer does and decodes what the server sends as MeshCommander's
 * amt-desktop reads it (encoding 16 in stored deflate blocks, packed
 * pixels running on across rows, tiles of at most 64x64), asserting
 * the protocol as it goes; and the pictures the tests paint
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef RFB_TEST_VIEWER_H
#define RFB_TEST_VIEWER_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "rfb.h"
#include "screen.h"

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

/* The server's ops for a Viewer as its opaque */
extern const VamtRfbOps viewer_ops;

Viewer *viewer_new(void);
void viewer_free(Viewer *v);

/* Take @n bytes the server sent, which must be there */
const uint8_t *take(Viewer *v, size_t n, size_t *off);
void consume(Viewer *v, size_t n);
/* The server sent exactly these bytes next */
void expect_bytes(Viewer *v, const void *bytes, size_t n);
/* Decode one FramebufferUpdate, which must be complete; its rectangles */
unsigned read_update(Viewer *v);

/* ---- the viewer's messages ---- */

void send_bytes(VamtRfb *rfb, const void *data, size_t len);
/* Byte by byte: the server must not depend on how TCP splits */
void send_split(VamtRfb *rfb, const void *data, size_t len);
void send_encodings(VamtRfb *rfb, unsigned n, const int32_t *encs);
void send_request(VamtRfb *rfb, bool incremental, unsigned x, unsigned y,
                  unsigned w, unsigned h);
void send_format(VamtRfb *rfb, Viewer *v, unsigned bpp, unsigned depth,
                 bool big_endian, const uint16_t max[3],
                 const uint8_t shift[3]);
/* MeshCommander's amt-desktop: AMT RLE, RAW, its 1092, DesktopSize */
extern const int32_t meshcommander_encodings[4];
/* The handshake of a viewer speaking @version; ServerInit read */
VamtRfb *connect_viewer(VamtScreen *screen, Viewer *v, const char *version,
                        bool split);
/* A screen of 800x600 with the pattern, and a MeshCommander viewer */
VamtRfb *meshcommander_view(VamtScreen *screen, Viewer *v);
/* Send everything the viewer asked for, until nothing is dirty */
void drain(VamtRfb *rfb, Viewer *v);

/* ---- pictures ---- */

/* Every kind of tile: flat, two colours, runs, many colours, noise */
uint32_t pattern(unsigned x, unsigned y, unsigned seed);
/* Grey: r = g = b, so every grey format's luma is the value itself */
uint32_t grey_pattern(unsigned x, unsigned y, unsigned seed);
void paint(VamtScreen *screen, uint32_t (*fn)(unsigned, unsigned, unsigned),
           unsigned seed);
/* What a viewer with channel maxima 2^n - 1 must get: the top n bits */
uint32_t expected_pixel(uint32_t xrgb, const uint16_t max[3],
                        const uint8_t shift[3]);
void assert_picture(const Viewer *v, VamtScreen *screen,
                    const uint16_t max[3], const uint8_t shift[3]);
extern const uint16_t rgb565_max[3];
extern const uint8_t rgb565_shift[3];

#endif
