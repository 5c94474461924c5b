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
    VamtScreenDirty *changed;   /* scratch: what one update changed */
};

static const VamtScreenDirty whole_tile = {
    0, 0, VAMT_SCREEN_TILE, VAMT_SCREEN_TILE
};

/* @d grows to cover @add too */
static void dirty_add(VamtScreenDirty *d, const VamtScreenDirty *add)
{
    if (!vamt_screen_dirty(d)) {
        *d = *add;
        return;
    }
    d->x0 = MIN(d->x0, add->x0);
    d->y0 = MIN(d->y0, add->y0);
    d->x1 = MAX(d->x1, add->x1);
    d->y1 = MAX(d->y1, add->y1);
}

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
    v->dirty = g_new(VamtScreenDirty, v->tiles_x * v->tiles_y);
    for (unsigned t = 0; t < v->tiles_x * v->tiles_y; t++) {
        v->dirty[t] = whole_tile;
    }
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
    screen->changed = g_new0(VamtScreenDirty,
                             screen->tiles_x * screen->tiles_y);
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

    for (size_t t = 0; t < n && !any; t++) {
        any = vamt_screen_dirty(&screen->changed[t]);
    }
    if (!any) {
        return;
    }
    for (unsigned i = 0; i < screen->viewers->len; i++) {
        VamtScreenViewer *v = g_ptr_array_index(screen->viewers, i);

        for (size_t t = 0; t < n; t++) {
            if (vamt_screen_dirty(&screen->changed[t])) {
                dirty_add(&v->dirty[t], &screen->changed[t]);
            }
        }
    }
    memset(screen->changed, 0, n * sizeof(*screen->changed));
    viewers_changed(screen);
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
        VamtScreenDirty *changed = screen->changed +
                                   (size_t)((y + row) / VAMT_SCREEN_TILE) *
                                   screen->tiles_x;
        uint8_t ty = (y + row) % VAMT_SCREEN_TILE;
        unsigned col = x;

        /* one tile column at a time: what differs marks that much */
        while (col < x + w) {
            unsigned end = MIN(x + w, (col / VAMT_SCREEN_TILE + 1) *
                                      VAMT_SCREEN_TILE);
            size_t bytes = (end - col) * sizeof(uint32_t);

            if (memcmp(dst + col, src + (col - x), bytes)) {
                unsigned first = col, last = end - 1;
                unsigned base = col - col % VAMT_SCREEN_TILE;

                while (dst[first] == src[first - x]) {
                    first++;
                }
                while (dst[last] == src[last - x]) {
                    last--;
                }
                memcpy(dst + col, src + (col - x), bytes);
                dirty_add(&changed[col / VAMT_SCREEN_TILE],
                          &(VamtScreenDirty) { first - base, ty,
                                               last - base + 1, ty + 1 });
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
        VamtScreenDirty *changed = screen->changed +
                                   (size_t)(y / VAMT_SCREEN_TILE) *
                                   screen->tiles_x;
        uint8_t ty = y % VAMT_SCREEN_TILE;

        for (unsigned x = 0; x < screen->width; x++) {
            if (row[x] != xrgb) {
                uint8_t tx = x % VAMT_SCREEN_TILE;

                row[x] = xrgb;
                dirty_add(&changed[x / VAMT_SCREEN_TILE],
                          &(VamtScreenDirty) { tx, ty, tx + 1, ty + 1 });
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
            viewer->dirty[ty * viewer->tiles_x + tx] = whole_tile;
        }
    }
}
