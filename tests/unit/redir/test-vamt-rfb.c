/*
 * Unit tests of the ME core's RFB server (KVM): a viewer that reads
 * encoding 16 as MeshCommander's amt-desktop does (stored deflate
 * blocks, continuous packed bits, tiles of at most 64x64), the pixel
 * formats consoles set, incremental updates of only what changed,
 * DesktopSize, a transport that does not drain, hostile viewers, and
 * keysyms
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "byte-order.h"
#include "keysym.h"
#include "rfb-test-viewer.h"

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
    return g_test_run();
}
