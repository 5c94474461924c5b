/*
 * libFuzzer target: what an alert listener answers the ME (the HTTP
 * response to an event POST, which any host a console names as a
 * subscriber can write).
 *
 * The first byte chooses the subscription (Push or PushWithAck, with
 * Digest credentials or without) and how many alerts are raised; the
 * rest is a sequence of steps, each a length byte and that many bytes
 * of answer on the connection in flight (a length byte of 0xff instead
 * ends that connection, 0xfe lets 3 s pass).  Checked: the ME never
 * writes on a connection it did not open, never tries an alert more
 * often than VAMT_ALERT_ATTEMPTS times (twice each with a challenge),
 * and once time has run out every alert is accounted for.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "me.h"
#include "fuzz-target.h"
#include "vamt-test-support.h"

typedef struct Fuzz {
    VamtTestPlatform base;      /* first: the test ops' opaque */
    uint64_t id;                /* open connection, 0 none */
    unsigned opens;
    unsigned requests;
    int64_t timer;
} Fuzz;

static bool fz_open(void *opaque, uint64_t id, const char *host,
                    uint16_t port)
{
    Fuzz *f = opaque;

    g_assert(!f->id);
    f->id = id;
    f->opens++;
    return true;
}

static void fz_write(void *opaque, uint64_t id, const uint8_t *data,
                     size_t len)
{
    Fuzz *f = opaque;

    g_assert(id == f->id);
    g_assert(len > 5 && !memcmp(data, "POST ", 5));
    f->requests++;
}

static void fz_close(void *opaque, uint64_t id)
{
    Fuzz *f = opaque;

    if (id == f->id) {
        f->id = 0;
    }
}

static void fz_timer(void *opaque, int64_t deadline)
{
    Fuzz *f = opaque;

    f->timer = deadline;
}

static const VamtPlatformOps fuzz_ops = {
    VAMT_TEST_PLATFORM_OPS,
    .outbound_open = fz_open,
    .outbound_write = fz_write,
    .outbound_close = fz_close,
    .me_timer_mod = fz_timer,
};

static void advance(VamtMe *me, Fuzz *f, int64_t ms)
{
    f->base.ms += ms;
    while (f->timer >= 0 && f->base.ms >= f->timer) {
        /* a timer that fired is no longer armed */
        f->timer = -1;
        vamt_me_timer_expired(me);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Fuzz f = { .timer = -1 };
    VamtFirmware fw;
    VamtMe *me;
    VamtSubscription req = {
        .filter = 0, .url = "http://192.0.2.1:8080/amtevents.ashx",
        .ref_prefix = "m", .ref_name = "arg", .ref_ns = "http://x.com",
        .ref_text = "node",
    };
    const VamtSubscription *sub;
    VamtAlertStats st;
    unsigned alerts;
    size_t pos = 1;

    if (!size) {
        return 0;
    }
    vamt_test_platform_init(&f.base, VAMT_POWER_ON);
    vamt_test_firmware_init(&fw);
    fw.outbound = true;
    me = vamt_me_new(&fw, &fuzz_ops, &f);
    vamt_me_set_admin_password(me, PASSWORD);
    req.delivery = data[0] & 1 ? VAMT_DELIVERY_PUSH_WITH_ACK
                               : VAMT_DELIVERY_PUSH;
    if (data[0] & 2) {
        g_strlcpy(req.user, "console", sizeof(req.user));
        g_strlcpy(req.password, "Passw0rd!", sizeof(req.password));
    }
    g_assert(vamt_subscription_add(vamt_me_amt(me), &req, &sub) == 0);
    alerts = 1 + ((data[0] >> 2) & 3);
    for (unsigned i = 0; i < alerts; i++) {
        vamt_amt_alert(vamt_me_amt(me), "iAMT0005", "x", 2);
    }
    while (pos < size) {
        uint8_t len = data[pos++];

        if (f.id && len < 0xfe) {
            size_t n = MIN(len, size - pos);

            if (f.id && !f.requests) {
                vamt_me_outbound_connected(me, f.id);
            }
            vamt_me_outbound_input(me, f.id, data + pos, n);
            pos += n;
        } else if (f.id && len == 0xff) {
            uint64_t id = f.id;

            f.id = 0;
            vamt_me_outbound_closed(me, id);
        } else {
            advance(me, &f, 3000);
        }
        if (f.id && !f.requests) {
            vamt_me_outbound_connected(me, f.id);
        }
        f.requests = f.id ? f.requests : 0;
    }
    /* time runs out: every alert is delivered, unconfirmed or given up */
    for (unsigned i = 0; i < 64 && f.timer >= 0; i++) {
        if (f.id && !f.requests) {
            vamt_me_outbound_connected(me, f.id);
        }
        advance(me, &f, 60000);
        f.requests = f.id ? f.requests : 0;
    }
    vamt_me_alert_stats(me, &st);
    g_assert(st.pending == 0);
    g_assert(st.queued == alerts);
    g_assert(st.delivered + st.unconfirmed + st.failed == alerts);
    g_assert(f.opens <= alerts * VAMT_ALERT_ATTEMPTS * 2);
    vamt_me_free(me);
    vamt_test_platform_destroy(&f.base);
    return 0;
}
