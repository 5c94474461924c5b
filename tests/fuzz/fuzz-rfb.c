/*
 * libFuzzer target: the ME's RFB server as a KVM viewer drives it (the
 * client messages after the redirection port's 0x41, and port 5900's
 * handshake with VNC authentication).
 *
 * The harness can play the handshake of a real viewer, so the fuzzed
 * bytes also reach the running session's messages; between segments the
 * platform may redraw or resize the screen and the transport may stop
 * draining, so updates go out (or wait) while the viewer talks.
 *
 * Input: one flags byte, then the viewer's bytes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "byte-order.h"
#include "rfb.h"
#include "screen.h"
#include "fuzz-target.h"

enum {
    FLAG_HANDSHAKE = 0x01,      /* the harness does 3.8, security, init */
    FLAG_SMALL_SEGMENTS = 0x02, /* feed the bytes 3 at a time */
    FLAG_DRAW = 0x04,           /* the platform draws between segments */
    FLAG_RESIZE = 0x08,         /* ... and changes the mode */
    FLAG_STALLED = 0x10,        /* the transport holds a lot unsent */
    FLAG_VNC_AUTH = 0x20,       /* port 5900's VNC authentication */
};

static bool failed;
static size_t pending;

static void viewer_write(void *opaque, const uint8_t *data, size_t len)
{
    /* nothing is written once the server gave up */
    g_assert(!failed);
    g_assert(len > 0);
}

static size_t viewer_pending(void *opaque)
{
    return pending;
}

static void viewer_close(void *opaque, const char *why)
{
    failed = true;
}

static void viewer_key(void *opaque, uint32_t keysym, bool down)
{
}

static void viewer_pointer(void *opaque, unsigned x, unsigned y,
                           uint8_t buttons)
{
}

/* Any response whose first byte is 0 is the right one */
static bool viewer_vnc_auth(void *opaque, const uint8_t *challenge,
                            const uint8_t *response)
{
    return response[0] == 0;
}

static void viewer_random(void *opaque, uint8_t *buf, size_t len)
{
    memset(buf, 0x5a, len);
}

static const VamtRfbOps viewer_ops = {
    .write = viewer_write,
    .pending = viewer_pending,
    .close = viewer_close,
    .key = viewer_key,
    .pointer = viewer_pointer,
    .vnc_auth = viewer_vnc_auth,
    .random = viewer_random,
};

static void draw(VamtScreen *screen, unsigned n)
{
    uint32_t px[16 * 16];

    for (unsigned i = 0; i < G_N_ELEMENTS(px); i++) {
        px[i] = (i * 0x010305u + n * 0x3f) & 0xffffff;
    }
    vamt_screen_update(screen, (n * 37) % 300, (n * 53) % 200, 16, 16,
                       (const uint8_t *)px, 16 * 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t handshake[] = {
        'R', 'F', 'B', ' ', '0', '0', '3', '.', '0', '0', '8', '\n',
        1,  /* security None */
        1,  /* shared */
    };
    static const uint8_t vnc_handshake[] = {
        'R', 'F', 'B', ' ', '0', '0', '3', '.', '0', '0', '8', '\n',
        2,  /* VNC authentication */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1,  /* shared */
    };
    VamtScreen *screen;
    VamtRfb *rfb;
    uint8_t flags;
    size_t step;
    unsigned n = 0;

    if (size < 1) {
        return 0;
    }
    flags = data[0];
    data++;
    size--;
    failed = false;
    pending = 0;
    screen = vamt_screen_new();
    vamt_screen_resize(screen, 160, 120);
    rfb = vamt_rfb_new(screen, flags & FLAG_VNC_AUTH ?
                       VAMT_RFB_SECURITY_VNC : VAMT_RFB_SECURITY_NONE,
                       "fuzz", &viewer_ops, NULL);
    if (flags & FLAG_HANDSHAKE) {
        if (flags & FLAG_VNC_AUTH) {
            vamt_rfb_input(rfb, vnc_handshake, sizeof(vnc_handshake));
        } else {
            vamt_rfb_input(rfb, handshake, sizeof(handshake));
        }
        g_assert(vamt_rfb_running(rfb));
    }
    step = flags & FLAG_SMALL_SEGMENTS ? 3 : 64;
    for (size_t off = 0; off < size; off += step, n++) {
        vamt_rfb_input(rfb, data + off, MIN(step, size - off));
        if (flags & FLAG_STALLED) {
            pending = n & 1 ? VAMT_RFB_PENDING_HIGH : 0;
        }
        if (flags & FLAG_DRAW) {
            draw(screen, n);
        }
        if ((flags & FLAG_RESIZE) && n % 4 == 3) {
            vamt_screen_resize(screen, 1 + (n * 97) % 300,
                               1 + (n * 61) % 200);
        }
        vamt_rfb_flush(rfb);
        if (vamt_rfb_failed(rfb)) {
            break;
        }
    }
    vamt_rfb_free(rfb);
    g_assert(vamt_screen_viewers(screen) == 0);
    vamt_screen_free(screen);
    return 0;
}
