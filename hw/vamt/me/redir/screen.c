/*
 * vAMT ME core: the screen KVM redirection shows
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "screen.h"

struct VamtScreen {
    uint32_t *pixels;
    unsigned width, height;
    unsigned tiles_x, tiles_y;
    GPtrArray *viewers;         /* VamtScreenViewer */
    uint8_t *changed;           /* scratch: tiles one update changed */
};

static unsigned tiles_for(unsigned pixels)
{
    return (pixels + VAMT_SCREEN_TILE - 1) / VAMT_SCREEN_TILE;
}

VamtScreen *vamt_screen_new(void)
{
    VamtScreen *screen = g_new0(VamtScreen, 1);

    screen->viewers = g_ptr_array_new();
    vamt_screen_resize(screen, VAMT_SCREEN_DEFAULT_WIDTH,
                       VAMT_SCREEN_DEFAULT_HEIGHT);
    return screen;
}

void vamt_screen_free(VamtScreen *screen)
{
    if (!screen) {
        return;
    }
    /* viewers belong to their connections, which detach first */
    g_assert(!screen->viewers->len);
    g_ptr_array_free(screen->viewers, TRUE);
    g_free(screen->pixels);
    g_free(screen->changed);
    g_free(screen);
}

unsigned vamt_screen_width(const VamtScreen *screen)
{
    return screen->width;
}

unsigned vamt_screen_height(const VamtScreen *screen)
{
    return screen->height;
}

const uint32_t *vamt_screen_row(const VamtScreen *screen, unsigned y)
{
    return screen->pixels + (size_t)y * screen->width;
}

unsigned vamt_screen_viewers(const VamtScreen *screen)
{
    return screen->viewers->len;
}

static void viewer_size(VamtScreenViewer *v)
{
    VamtScreen *screen = v->screen;

    g_free(v->dirty);
    v->tiles_x = screen->tiles_x;
    v->tiles_y = screen->tiles_y;
    v->dirty = g_malloc(v->tiles_x * v->tiles_y);
    memset(v->dirty, 1, v->tiles_x * v->tiles_y);
}

static void viewers_changed(VamtScreen *screen)
{
    for (unsigned i = 0; i < screen->viewers->len; i++) {
        VamtScreenViewer *v = g_ptr_array_index(screen->viewers, i);

        if (v->changed) {
            v->changed(v->opaque);
        }
    }
}

void vamt_screen_resize(VamtScreen *screen, unsigned width, unsigned height)
{
    width = CLAMP(width, 1, VAMT_SCREEN_MAX_WIDTH);
    height = CLAMP(height, 1, VAMT_SCREEN_MAX_HEIGHT);
    if (screen->pixels && width == screen->width &&
        height == screen->height) {
        return;
    }
    g_free(screen->pixels);
    g_free(screen->changed);
    screen->width = width;
    screen->height = height;
    screen->pixels = g_new0(uint32_t, (size_t)width * height);
    screen->tiles_x = tiles_for(width);
    screen->tiles_y = tiles_for(height);
    screen->changed = g_malloc0(screen->tiles_x * screen->tiles_y);
    for (unsigned i = 0; i < screen->viewers->len; i++) {
        VamtScreenViewer *v = g_ptr_array_index(screen->viewers, i);

        viewer_size(v);
        v->resized = true;
    }
    viewers_changed(screen);
}

/* What one update changed becomes dirty for every viewer */
static void publish_changed(VamtScreen *screen)
{
    size_t n = screen->tiles_x * screen->tiles_y;
    bool any = false;

    for (unsigned i = 0; i < screen->viewers->len; i++) {
        VamtScreenViewer *v = g_ptr_array_index(screen->viewers, i);

        for (size_t t = 0; t < n; t++) {
            v->dirty[t] |= screen->changed[t];
        }
    }
    for (size_t t = 0; t < n && !any; t++) {
        any = screen->changed[t];
    }
    memset(screen->changed, 0, n);
    if (any) {
        viewers_changed(screen);
    }
}

void vamt_screen_update(VamtScreen *screen, unsigned x, unsigned y,
                        unsigned w, unsigned h, const uint8_t *pixels,
                        size_t stride)
{
    if (x >= screen->width || y >= screen->height || !w || !h) {
        return;
    }
    w = MIN(w, screen->width - x);
    h = MIN(h, screen->height - y);
    for (unsigned row = 0; row < h; row++) {
        const uint32_t *src = (const uint32_t *)(pixels + row * stride);
        uint32_t *dst = screen->pixels + (size_t)(y + row) * screen->width;
        uint8_t *changed = screen->changed +
                           (size_t)((y + row) / VAMT_SCREEN_TILE) *
                           screen->tiles_x;
        unsigned col = x;

        /* one tile column at a time: what differs marks that tile */
        while (col < x + w) {
            unsigned end = MIN(x + w, (col / VAMT_SCREEN_TILE + 1) *
                                      VAMT_SCREEN_TILE);
            size_t bytes = (end - col) * sizeof(uint32_t);

            if (memcmp(dst + col, src + (col - x), bytes)) {
                memcpy(dst + col, src + (col - x), bytes);
                changed[col / VAMT_SCREEN_TILE] = 1;
            }
            col = end;
        }
    }
    publish_changed(screen);
}

void vamt_screen_fill(VamtScreen *screen, uint32_t xrgb)
{
    for (unsigned y = 0; y < screen->height; y++) {
        uint32_t *row = screen->pixels + (size_t)y * screen->width;
        uint8_t *changed = screen->changed +
                           (size_t)(y / VAMT_SCREEN_TILE) * screen->tiles_x;

        for (unsigned x = 0; x < screen->width; x++) {
            if (row[x] != xrgb) {
                row[x] = xrgb;
                changed[x / VAMT_SCREEN_TILE] = 1;
            }
        }
    }
    publish_changed(screen);
}

VamtScreenViewer *vamt_screen_attach(VamtScreen *screen,
                                     void (*changed)(void *opaque),
                                     void *opaque)
{
    VamtScreenViewer *v = g_new0(VamtScreenViewer, 1);

    v->screen = screen;
    v->changed = changed;
    v->opaque = opaque;
    viewer_size(v);
    g_ptr_array_add(screen->viewers, v);
    return v;
}

void vamt_screen_detach(VamtScreenViewer *viewer)
{
    if (!viewer) {
        return;
    }
    g_ptr_array_remove(viewer->screen->viewers, viewer);
    g_free(viewer->dirty);
    g_free(viewer);
}

void vamt_screen_viewer_mark(VamtScreenViewer *viewer, unsigned x,
                             unsigned y, unsigned w, unsigned h)
{
    VamtScreen *screen = viewer->screen;

    if (x >= screen->width || y >= screen->height || !w || !h) {
        return;
    }
    w = MIN(w, screen->width - x);
    h = MIN(h, screen->height - y);
    for (unsigned ty = y / VAMT_SCREEN_TILE;
         ty <= (y + h - 1) / VAMT_SCREEN_TILE; ty++) {
        for (unsigned tx = x / VAMT_SCREEN_TILE;
             tx <= (x + w - 1) / VAMT_SCREEN_TILE; tx++) {
            viewer->dirty[ty * viewer->tiles_x + tx] = 1;
        }
    }
}
