/*
 * vAMT ME core: the ME's RFB server, one viewer at a time
 *
 * The same server serves KVM over the redirection port (after AMT's own
 * login: security type None) and, later, port 5900 (VNC authentication).
 * It speaks RFB 3.3, 3.7 and 3.8, starts in the 16-bit RGB565
 * little-endian format AMT consoles assume, honours SetPixelFormat (8,
 * 16 and 32 bits per pixel, true colour, and AMT's 8- and 4-bit grey),
 * and sends each update as rectangles of at most 64x64 pixels in RAW or
 * AMT's encoding 16 (ZRLE-style tiles in stored deflate blocks, which
 * MeshCommander and the Open AMT toolkit decode without inflating), with
 * DesktopSize when the display changes size.
 * docs/specs/vamt-redirection.rst ("KVM") has the details.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_RFB_H
#define VAMT_ME_RFB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "screen.h"

/* RFB encodings the server knows */
#define VAMT_RFB_ENC_RAW            0
#define VAMT_RFB_ENC_AMT_RLE        16
#define VAMT_RFB_ENC_DESKTOP_SIZE   (-223)

/*
 * How much one update answering an incremental request may carry; the
 * rest stays dirty for the next.  A non-incremental request is answered
 * whole: standard viewers take that one update as the picture.
 */
#define VAMT_RFB_UPDATE_BUDGET      (256 * 1024)
/* Start no update while the transport has this much unsent */
#define VAMT_RFB_PENDING_HIGH       (256 * 1024)
/* SetEncodings longer than this ends the session */
#define VAMT_RFB_MAX_ENCODINGS      512

typedef enum VamtRfbSecurity {
    VAMT_RFB_SECURITY_NONE = 1,
    VAMT_RFB_SECURITY_VNC = 2,
} VamtRfbSecurity;

typedef struct VamtRfbOps {
    void (*write)(void *opaque, const uint8_t *data, size_t len);
    /* Optional: bytes written and not yet taken by the peer */
    size_t (*pending)(void *opaque);
    /* The viewer broke the protocol or was refused: close (@why: trace) */
    void (*close)(void *opaque, const char *why);
    /* RFB KeyEvent: an X11 keysym pressed or released */
    void (*key)(void *opaque, uint32_t keysym, bool down);
    /* RFB PointerEvent: absolute position, button mask (bit 0 = left) */
    void (*pointer)(void *opaque, unsigned x, unsigned y, uint8_t buttons);
    /*
     * VNC authentication (VAMT_RFB_SECURITY_VNC): does @response answer
     * @challenge (16 bytes each) for the password?
     */
    bool (*vnc_auth)(void *opaque, const uint8_t *challenge,
                     const uint8_t *response);
    /* VNC authentication: 16 random bytes */
    void (*random)(void *opaque, uint8_t *buf, size_t len);
    /*
     * Optional: may this viewer have the screen?  Asked when it sent its
     * version (@authenticated false) and again once it authenticated;
     * a reason refuses it, with the reason, NULL admits it.
     */
    const char *(*admit)(void *opaque, bool authenticated);
} VamtRfbOps;

typedef struct VamtRfb VamtRfb;

typedef struct VamtRfbStats {
    uint64_t updates;           /* FramebufferUpdate messages */
    uint64_t rects;             /* rectangles in them (DesktopSize too) */
    uint64_t bytes;             /* everything sent */
    uint64_t input_events;      /* keys and pointer events */
} VamtRfbStats;

/*
 * A viewer of @screen.  The server sends its ProtocolVersion at once.
 * @name: the desktop name of ServerInit.
 */
VamtRfb *vamt_rfb_new(VamtScreen *screen, VamtRfbSecurity security,
                      const char *name, const VamtRfbOps *ops, void *opaque);
void vamt_rfb_free(VamtRfb *rfb);

/* Bytes from the viewer; tolerates any split and coalescing */
void vamt_rfb_input(VamtRfb *rfb, const uint8_t *data, size_t len);
/*
 * Send an update now if the viewer asked for one and something it asked
 * for changed (the platform finished drawing, the transport drained)
 */
void vamt_rfb_flush(VamtRfb *rfb);
/* The viewer asked for an update that could not go out yet */
bool vamt_rfb_wants_update(const VamtRfb *rfb);
/* Past the handshake: the viewer is looking at the screen */
bool vamt_rfb_running(const VamtRfb *rfb);
/* The protocol failed or the server refused: nothing more is read */
bool vamt_rfb_failed(const VamtRfb *rfb);
const VamtRfbStats *vamt_rfb_stats(const VamtRfb *rfb);

#endif
