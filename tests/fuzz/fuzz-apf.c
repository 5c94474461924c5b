/*
 * libFuzzer target: an APF session as LME drives it (hw/vamt/me/apf),
 * with channels to the ME's own HTTP service.
 *
 * The harness plays the agent's part of the handshake first, so inputs
 * start on a registered session; the input then is a list of records
 * [u8 op][u16 little-endian length][bytes]: op 0 delivers the bytes as
 * one APF message, op 1 makes the transport full or not (first byte),
 * op 2 advances the clock by the first byte in seconds and ticks.
 * Every message the ME sends must be well framed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "apf.h"
#include "fuzz-common.h"
#include "fuzz-target.h"

typedef struct FuzzPeer {
    FuzzMe f;
    bool full;
    size_t sent;
} FuzzPeer;

/* What the ME may send, with the smallest length each has */
static void check_message(const uint8_t *msg, size_t len)
{
    g_assert_cmpuint(len, >, 0);
    switch (msg[0]) {
    case VAMT_APF_PROTOCOL_VERSION:
        g_assert_cmpuint(len, ==, VAMT_APF_PROTOCOL_VERSION_LEN);
        break;
    case VAMT_APF_CHANNEL_OPEN_CONFIRMATION:
    case VAMT_APF_CHANNEL_OPEN_FAILURE:
        g_assert_cmpuint(len, ==, 17);
        break;
    case VAMT_APF_CHANNEL_WINDOW_ADJUST:
    case VAMT_APF_KEEPALIVE_OPTIONS_REPLY:
        g_assert_cmpuint(len, ==, 9);
        break;
    case VAMT_APF_CHANNEL_CLOSE:
    case VAMT_APF_KEEPALIVE_REPLY:
        g_assert_cmpuint(len, ==, 5);
        break;
    case VAMT_APF_DISCONNECT:
        g_assert_cmpuint(len, ==, 7);
        break;
    case VAMT_APF_CHANNEL_DATA:
        g_assert_cmpuint(len, >, 9);
        g_assert_cmpuint(len, <=, 4096);
        g_assert_cmpuint((uint32_t)msg[5] << 24 | msg[6] << 16 |
                         msg[7] << 8 | msg[8], ==, len - 9);
        break;
    case VAMT_APF_SERVICE_REQUEST:
    case VAMT_APF_GLOBAL_REQUEST:
    case VAMT_APF_REQUEST_FAILURE:
        break;
    default:
        g_assert_not_reached();
    }
}

static void peer_send(void *opaque, const uint8_t *msg, size_t len)
{
    FuzzPeer *p = opaque;

    check_message(msg, len);
    p->sent += len;
}

static bool peer_can_send(void *opaque)
{
    return !((FuzzPeer *)opaque)->full;
}

static const VamtService *peer_service(void *opaque, uint16_t port)
{
    FuzzPeer *p = opaque;

    return vamt_me_service(p->f.me, port == 623 ? 16992 : port);
}

static const VamtApfOps peer_ops = {
    .send = peer_send,
    .can_send = peer_can_send,
    .service = peer_service,
};

static void deliver(VamtApf *apf, const uint8_t *msg, size_t len)
{
    vamt_apf_message(apf, msg, len);
}

static void handshake(VamtApf *apf)
{
    static const uint8_t accept[] = {
        VAMT_APF_SERVICE_ACCEPT, 0, 0, 0, 18,
        'p', 'f', 'w', 'd', '@', 'a', 'm', 't', '.',
        'i', 'n', 't', 'e', 'l', '.', 'c', 'o', 'm',
    };
    static const uint8_t success[] = { VAMT_APF_REQUEST_SUCCESS, 0, 0, 0, 0 };

    vamt_apf_start(apf);
    deliver(apf, accept, sizeof(accept));
    deliver(apf, success, sizeof(success));
    deliver(apf, success, sizeof(success));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzPeer p = { 0 };
    VamtApfConfig cfg = {
        .trigger = VAMT_APF_TRIGGER_LME,
        .ports = { 16992, 623 },
        .nports = 2,
        .max_data = 4096 - 9,
        .window = 4096,
        .peer = "lme",
    };
    VamtApf *apf;

    fuzz_me_init(&p.f);
    apf = vamt_apf_new(&peer_ops, &p, &cfg);
    handshake(apf);
    while (size >= 3) {
        uint8_t op = data[0];
        size_t len = MIN((size_t)(data[1] | data[2] << 8), size - 3);
        const uint8_t *body = data + 3;

        data += 3 + len;
        size -= 3 + len;
        switch (op % 3) {
        case 0:
            deliver(apf, body, len);
            break;
        case 1:
            p.full = len && (body[0] & 1);
            if (!p.full) {
                vamt_apf_flush(apf);
            }
            break;
        default:
            p.f.platform.ms += (len ? body[0] : 1) * 1000;
            vamt_apf_tick(apf, p.f.platform.ms);
            break;
        }
    }
    p.full = false;
    vamt_apf_flush(apf);
    vamt_apf_free(apf);
    fuzz_me_destroy(&p.f);
    return 0;
}
