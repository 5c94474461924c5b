/*
 * vAMT ME core: the screen KVM redirection shows
 *
 * The ME keeps its own copy of the platform's primary display (32-bit
 * xRGB, one uint32_t per pixel) and, per viewer, which 64x64 tiles
 * changed since that viewer last took them.  The platform reports what
 * it drew; a report that repaints unchanged pixels (a VGA scanline
 * refresh, a blinking cursor redrawn in place) marks nothing, so an
 * idle screen sends nothing and a one-character change sends the
 * pixels of that character.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_SCREEN_H
#define VAMT_ME_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* AMT consoles disconnect on larger rectangles (redirection spec §4.1) */
#define VAMT_SCREEN_TILE        64
/* The largest display the ME copies; RFB sizes are 16-bit */
#define VAMT_SCREEN_MAX_WIDTH   4096
#define VAMT_SCREEN_MAX_HEIGHT  4096
/* What a screen shows before the platform reported a display */
#define VAMT_SCREEN_DEFAULT_WIDTH   640
#define VAMT_SCREEN_DEFAULT_HEIGHT  480

typedef struct VamtScreen VamtScreen;

/*
 * What changed in one tile: the rectangle x0..x1-1, y0..y1-1 of it
 * (tile coordinates); x1 == 0 when nothing did
 */
typedef struct VamtScreenDirty {
    uint8_t x0, y0, x1, y1;
} VamtScreenDirty;

/* One viewer's view: what it has not been sent yet, tile by tile */
typedef struct VamtScreenViewer {
    VamtScreen *screen;
    VamtScreenDirty *dirty;     /* one per tile, row-major */
    unsigned tiles_x, tiles_y;
    bool resized;               /* the size changed since it last looked */
    /* Optional: tiles became dirty (the viewer may have a request open) */
    void (*changed)(void *opaque);
    void *opaque;
} VamtScreenViewer;

VamtScreen *vamt_screen_new(void);
void vamt_screen_free(VamtScreen *screen);

unsigned vamt_screen_width(const VamtScreen *screen);
unsigned vamt_screen_height(const VamtScreen *screen);
/* Row @y of the ME's copy */
const uint32_t *vamt_screen_row(const VamtScreen *screen, unsigned y);

/*
 * The display is now @width x @height (clamped to the maximum), black
 * until reported; every viewer sees a resize and a wholly dirty screen.
 */
void vamt_screen_resize(VamtScreen *screen, unsigned width,
                        unsigned height);
/*
 * The platform drew @w x @h pixels at @x,@y: @pixels points at pixel
 * (@x,@y) of its display, @stride bytes per row, 32-bit xRGB.  Only
 * pixels that differ from the copy mark their tiles.  Clipped to the
 * screen.
 */
void vamt_screen_update(VamtScreen *screen, unsigned x, unsigned y,
                        unsigned w, unsigned h, const uint8_t *pixels,
                        size_t stride);
/* Fill with one colour (the display went dark), marking what changed */
void vamt_screen_fill(VamtScreen *screen, uint32_t xrgb);

/* A viewer starts with the whole screen dirty */
VamtScreenViewer *vamt_screen_attach(VamtScreen *screen,
                                     void (*changed)(void *opaque),
                                     void *opaque);
void vamt_screen_detach(VamtScreenViewer *viewer);
/* Does @d say something changed? */
static inline bool vamt_screen_dirty(const VamtScreenDirty *d)
{
    return d->x1 != 0;
}

/* Mark the tiles meeting the rectangle dirty (a full refresh request) */
void vamt_screen_viewer_mark(VamtScreenViewer *viewer, unsigned x,
                             unsigned y, unsigned w, unsigned h);
unsigned vamt_screen_viewers(const VamtScreen *screen);

#endif
