/*
 * vAMT: the VM's primary display and input, for KVM redirection
 *
 * While a KVM viewer looks, a DisplayChangeListener on the default
 * graphic console copies what the guest draws into the ME's screen
 * (me/redir/screen.c), which sends each viewer the tiles that really
 * changed; without a viewer nothing listens and the display costs the
 * ME nothing.  The picture is the console's from the first firmware
 * screen on; while the VM is powered off (or asleep) it is black, as
 * the monitor of a powered-off PC is.  Keys reach the guest as QEMU key
 * codes, the pointer as absolute positions when the machine has an
 * absolute device (usb-tablet) and as motion otherwise.
 *
 * The user-consent code is shown on a console of the ME's own (QEMU
 * cannot draw over the guest's display, and the code must be neither in
 * the guest's memory nor in what KVM sends).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "system/system.h"
#include "ui/console.h"
#include "ui/input.h"
#include "crypto/cipher.h"
#include "hw/vamt/vamt.h"
#include "hw/vamt/machine.h"
#include "redir.h"
#include "trace/trace-hw_vamt.h"

/* An idle screen is looked at less and less often, down to this */
#define REFRESH_IDLE_STEP_MS    10
#define REFRESH_IDLE_MAX_MS     250

struct VamtDisplay {
    DisplayChangeListener dcl;
    Notifier machine_done;
    QEMUBH *viewing_bh;         /* (un)registers outside the ME's calls */
    VamtMe *me;
    VamtFirmware *fw;
    void *platform;
    void (*changed)(void *platform);
    QemuConsole *con;           /* NULL: no graphic console, no KVM */
    DisplaySurface *surface;    /* what the console shows */
    bool want_listener;
    bool listening;
    bool drew;                  /* the console drew since the last look */
    bool dark;                  /* powered off: the screen shows black */
    uint8_t buttons;
    bool have_position;         /* last_x/y hold the previous position */
    unsigned last_x, last_y;
};

static VamtScreen *display_screen(VamtDisplay *d)
{
    return vamt_redir_screen(vamt_me_redir(d->me));
}

/* The console's pixels of a rectangle into the ME's screen */
static void display_copy(VamtDisplay *d, int x, int y, int w, int h)
{
    DisplaySurface *s = d->surface;
    pixman_image_t *src, *tmp;
    int sw, sh, stride;

    if (!s || d->dark) {
        return;
    }
    sw = surface_width(s);
    sh = surface_height(s);
    x = MAX(x, 0);
    y = MAX(y, 0);
    w = MIN(w, sw - x);
    h = MIN(h, sh - y);
    if (w <= 0 || h <= 0) {
        return;
    }
    stride = surface_stride(s);
    if (surface_format(s) == PIXMAN_x8r8g8b8 ||
        surface_format(s) == PIXMAN_a8r8g8b8) {
        vamt_screen_update(display_screen(d), x, y, w, h,
                           (const uint8_t *)surface_data(s) +
                           (size_t)y * stride + x * 4, stride);
        return;
    }
    /* another format (a guest's 16-bit shared surface): convert */
    src = pixman_image_create_bits(surface_format(s), sw, sh,
                                   surface_data(s), stride);
    tmp = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, h, NULL, 0);
    pixman_image_composite(PIXMAN_OP_SRC, src, NULL, tmp, x, y, 0, 0, 0, 0,
                           w, h);
    vamt_screen_update(display_screen(d), x, y, w, h,
                       (const uint8_t *)pixman_image_get_data(tmp),
                       pixman_image_get_stride(tmp));
    pixman_image_unref(tmp);
    pixman_image_unref(src);
}

/* The whole surface, at its size: a mode change or the power came on */
static void display_show_surface(VamtDisplay *d)
{
    if (!d->surface || d->dark) {
        return;
    }
    trace_vamt_kvm_display_mode(surface_width(d->surface),
                                surface_height(d->surface));
    vamt_screen_resize(display_screen(d), surface_width(d->surface),
                       surface_height(d->surface));
    display_copy(d, 0, 0, surface_width(d->surface),
                 surface_height(d->surface));
}

/* ---- the listener ---- */

static void display_gfx_update(DisplayChangeListener *dcl, int x, int y,
                               int w, int h)
{
    VamtDisplay *d = container_of(dcl, VamtDisplay, dcl);

    d->drew = true;
    trace_vamt_kvm_display_update(x, y, w, h);
    display_copy(d, x, y, w, h);
}

static void display_gfx_switch(DisplayChangeListener *dcl,
                               DisplaySurface *surface)
{
    VamtDisplay *d = container_of(dcl, VamtDisplay, dcl);

    d->surface = surface;
    d->drew = true;
    display_show_surface(d);
}

static void display_refresh(DisplayChangeListener *dcl)
{
    VamtDisplay *d = container_of(dcl, VamtDisplay, dcl);
    bool off = vamt_power_state(d->platform) != VAMT_POWER_ON;

    if (off != d->dark) {
        d->dark = off;
        d->drew = true;
        trace_vamt_kvm_display_dark(off);
        if (off) {
            vamt_screen_fill(display_screen(d), 0);
        } else {
            display_show_surface(d);
        }
    }
    if (!d->dark) {
        d->drew = false;
        graphic_hw_update(d->con);
    }
    vamt_redir_kvm_flush(vamt_me_redir(d->me));
    /* as QEMU's VNC server does: back off while nothing changes */
    if (d->drew) {
        update_displaychangelistener(dcl, GUI_REFRESH_INTERVAL_DEFAULT);
    } else if (dcl->update_interval < REFRESH_IDLE_MAX_MS) {
        update_displaychangelistener(dcl, MIN(REFRESH_IDLE_MAX_MS,
                                              dcl->update_interval +
                                              REFRESH_IDLE_STEP_MS));
    }
}

static const DisplayChangeListenerOps display_listener_ops = {
    .dpy_name = "vamt-kvm",
    .dpy_refresh = display_refresh,
    .dpy_gfx_update = display_gfx_update,
    .dpy_gfx_switch = display_gfx_switch,
};

static void display_viewing_bh(void *opaque)
{
    VamtDisplay *d = opaque;

    if (d->want_listener == d->listening || !d->con) {
        return;
    }
    d->listening = d->want_listener;
    trace_vamt_kvm_viewing(d->listening);
    if (d->listening) {
        d->dark = false;
        d->dcl.con = d->con;
        /* the console switches the listener to its surface at once */
        register_displaychangelistener(&d->dcl);
        /*
         * That surface may be stale (nobody asked the device to draw
         * since the guest changed modes), and the display's refresh
         * timer, shared with other listeners (-vnc without clients), may
         * be seconds away: draw now and refresh at our pace
         */
        update_displaychangelistener(&d->dcl, GUI_REFRESH_INTERVAL_DEFAULT);
        display_refresh(&d->dcl);
    } else {
        unregister_displaychangelistener(&d->dcl);
        d->surface = NULL;
    }
}

void vamt_kvm_viewing(void *opaque, bool viewing)
{
    VamtDisplay *d = VAMT(opaque)->display;

    if (d) {
        d->want_listener = viewing;
        qemu_bh_schedule(d->viewing_bh);
    }
}

/* ---- input ---- */

void vamt_kvm_key(void *opaque, uint16_t usage, bool down)
{
    VamtDisplay *d = VAMT(opaque)->display;
    QKeyCode qcode = usage < qemu_input_map_usb_to_qcode_len ?
                     qemu_input_map_usb_to_qcode[usage] :
                     Q_KEY_CODE_UNMAPPED;

    trace_vamt_kvm_key(usage, qcode, down);
    if (!d || !d->con || qcode == Q_KEY_CODE_UNMAPPED) {
        return;
    }
    qemu_input_event_send_key_qcode(d->con, qcode, down);
}

/* RFB's button mask bits */
static uint32_t display_button_map[INPUT_BUTTON__MAX] = {
    [INPUT_BUTTON_LEFT] = 0x01,
    [INPUT_BUTTON_MIDDLE] = 0x02,
    [INPUT_BUTTON_RIGHT] = 0x04,
    [INPUT_BUTTON_WHEEL_UP] = 0x08,
    [INPUT_BUTTON_WHEEL_DOWN] = 0x10,
};

void vamt_kvm_pointer(void *opaque, unsigned x, unsigned y,
                      uint8_t buttons)
{
    VamtDisplay *d = VAMT(opaque)->display;
    VamtScreen *screen;

    if (!d || !d->con) {
        return;
    }
    screen = display_screen(d);
    trace_vamt_kvm_pointer(x, y, buttons, qemu_input_is_absolute(d->con));
    if (qemu_input_is_absolute(d->con)) {
        qemu_input_queue_abs(d->con, INPUT_AXIS_X, x, 0,
                             vamt_screen_width(screen));
        qemu_input_queue_abs(d->con, INPUT_AXIS_Y, y, 0,
                             vamt_screen_height(screen));
    } else if (d->have_position) {
        /* a PS/2 mouse: the guest gets motion, not the position */
        qemu_input_queue_rel(d->con, INPUT_AXIS_X, (int)x - (int)d->last_x);
        qemu_input_queue_rel(d->con, INPUT_AXIS_Y, (int)y - (int)d->last_y);
    }
    d->have_position = true;
    d->last_x = x;
    d->last_y = y;
    if (buttons != d->buttons) {
        qemu_input_update_buttons(d->con, display_button_map, d->buttons,
                                  buttons);
        d->buttons = buttons;
    }
    qemu_input_event_sync();
}

/* Port 5900's VNC authentication, with QEMU's crypto */
bool vamt_vnc_response(void *opaque, const char *password,
                       const uint8_t *challenge, uint8_t *response)
{
    g_autoptr(QCryptoCipher) cipher = NULL;
    uint8_t key[8] = { 0 };

    /* RFB's DES key: the password's first 8 bytes, each bit-reversed */
    for (unsigned i = 0; i < sizeof(key) && password[i]; i++) {
        uint8_t b = password[i], r = 0;

        for (unsigned bit = 0; bit < 8; bit++) {
            r |= ((b >> bit) & 1) << (7 - bit);
        }
        key[i] = r;
    }
    cipher = qcrypto_cipher_new(QCRYPTO_CIPHER_ALGO_DES,
                                QCRYPTO_CIPHER_MODE_ECB, key, sizeof(key),
                                NULL);
    return cipher && qcrypto_cipher_encrypt(cipher, challenge, response, 16,
                                            NULL) == 0;
}

/* ---- life ---- */

static void display_machine_done(Notifier *notifier, void *data)
{
    VamtDisplay *d = container_of(notifier, VamtDisplay, machine_done);
    QemuConsole *con = qemu_console_lookup_default();

    if (!con || !qemu_console_is_graphic(con)) {
        warn_report("vamt: kvm=on, but the machine has no graphic console: "
                    "KVM is not served");
        return;
    }
    d->con = con;
    d->fw->redirection |= VAMT_FW_REDIR_KVM;
    trace_vamt_kvm_served(qemu_console_get_index(con));
    /* the redirection port may open now */
    d->changed(d->platform);
}

VamtDisplay *vamt_display_new(VamtMe *me, VamtFirmware *fw, void *platform,
                              void (*changed)(void *platform))
{
    VamtDisplay *d = g_new0(VamtDisplay, 1);

    d->me = me;
    d->fw = fw;
    d->platform = platform;
    d->changed = changed;
    d->dcl.ops = &display_listener_ops;
    d->viewing_bh = qemu_bh_new(display_viewing_bh, d);
    d->machine_done.notify = display_machine_done;
    /* called at once when the machine is already complete (hotplug) */
    qemu_add_machine_init_done_notifier(&d->machine_done);
    return d;
}

void vamt_display_free(VamtDisplay *d)
{
    if (d->listening) {
        unregister_displaychangelistener(&d->dcl);
    }
    qemu_remove_machine_init_done_notifier(&d->machine_done);
    qemu_bh_delete(d->viewing_bh);
    g_free(d);
}

bool vamt_display_served(const VamtDisplay *d)
{
    return d->con != NULL;
}

/* ---- the consent code, for the person at the machine ---- */

static const GraphicHwOps consent_console_ops;

void vamt_display_show_consent(DeviceState *dev, QemuConsole **con,
                               bool shown, uint32_t code)
{
    g_autofree char *text = NULL;

    if (!*con) {
        if (!shown) {
            return;
        }
        /* made on first use: KVM took the default console long before */
        *con = graphic_console_init(dev, 0, &consent_console_ops, NULL);
    }
    text = shown ? g_strdup_printf("Intel(R) AMT: a remote operator asks "
                                   "for access. Code: %03u %03u",
                                   code / 1000, code % 1000) :
                   g_strdup("Intel(R) AMT: no user consent code to show");
    dpy_gfx_replace_surface(*con,
                            qemu_create_placeholder_surface(640, 480, text));
}
