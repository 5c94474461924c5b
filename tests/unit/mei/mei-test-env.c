/*
 * The MEI bus unit tests' environment (mei-test-env.h)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "mei-test-env.h"
#include "status.h"

static void p_tx_ready(void *opaque)
{
    ((Platform *)opaque)->tx_ready++;
}

static int64_t p_clock_ms(void *opaque)
{
    return ((Platform *)opaque)->now_ms;
}

static void p_timer_mod(void *opaque, int64_t deadline_ms)
{
    ((Platform *)opaque)->deadline_ms = deadline_ms;
}

static void p_watchdog_expired(void *opaque, uint16_t timeout_s)
{
    ((Platform *)opaque)->wd_expired++;
}

static void p_random(void *opaque, uint8_t *buf, size_t len)
{
    Platform *p = opaque;

    for (size_t i = 0; i < len; i++) {
        buf[i] = p->random_byte++;
    }
}

static int64_t p_time_utc(void *opaque)
{
    return 1700000000;
}

/* What the bus and the AMT state use of the ME's one platform table */
static const VamtPlatformOps platform_ops = {
    .time_utc = p_time_utc,
    .host_tx_ready = p_tx_ready,
    .guest_clock_ms = p_clock_ms,
    .me_clock_ms = p_clock_ms,
    .guest_timer_mod = p_timer_mod,
    .watchdog_expired = p_watchdog_expired,
    .random = p_random,
};

MeiBus *bus_new(Platform *p)
{
    memset(p, 0, sizeof(*p));
    p->deadline_ms = -1;
    vamt_firmware_init(&p->fw);
    for (int i = 0; i < 16; i++) {
        p->fw.system_uuid[i] = 0xa0 + i;
    }
    p->amt = vamt_amt_new(&p->fw, &platform_ops, p);
    return mei_bus_new(&platform_ops, p, p->amt);
}

void bus_free(Platform *p, MeiBus *bus)
{
    mei_bus_free(bus);
    vamt_amt_free(p->amt);
}

/* Send a host message the way the driver does: 508-byte fragments */
void send(MeiBus *bus, uint8_t me, uint8_t host, const void *data,
          size_t len)
{
    const uint8_t *p = data;

    do {
        size_t n = MIN(len, MEI_MAX_FRAGMENT);

        mei_bus_receive(bus, MEI_HDR(me, host, n, n == len), p, n);
        len -= n;
        if (len) {
            p += n;     /* @data may be NULL for an empty message */
        }
    } while (len);
}

bool recv(MeiBus *bus, Msg *m)
{
    uint8_t buf[MEI_MAX_FRAGMENT];
    uint32_t hdr;
    size_t len;

    m->data = g_byte_array_new();
    m->fragments = 0;
    while (mei_bus_tx_take(bus, MEI_MAX_FRAGMENT, &hdr, buf, &len)) {
        g_assert_cmpuint(MEI_HDR_LENGTH(hdr), ==, len);
        if (m->fragments++) {
            g_assert_cmpuint(MEI_HDR_ME_ADDR(hdr), ==, m->me_addr);
            g_assert_cmpuint(MEI_HDR_HOST_ADDR(hdr), ==, m->host_addr);
        }
        m->me_addr = MEI_HDR_ME_ADDR(hdr);
        m->host_addr = MEI_HDR_HOST_ADDR(hdr);
        g_byte_array_append(m->data, buf, len);
        if (hdr & MEI_HDR_MSG_COMPLETE) {
            return true;
        }
    }
    g_assert_cmpuint(m->fragments, ==, 0);
    g_byte_array_unref(m->data);
    m->data = NULL;
    return false;
}

void msg_clear(Msg *m)
{
    if (m->data) {
        g_byte_array_unref(m->data);
        m->data = NULL;
    }
}

void assert_nothing(MeiBus *bus)
{
    size_t len;

    g_assert_false(mei_bus_tx_peek(bus, MEI_MAX_FRAGMENT, &len));
}

void expect_hbm(MeiBus *bus, const uint8_t *want, size_t n,
                size_t total)
{
    Msg m;

    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.me_addr, ==, 0);
    g_assert_cmpuint(m.host_addr, ==, 0);
    g_assert_cmpuint(m.data->len, ==, total);
    g_assert_cmpmem(m.data->data, n, want, n);
    msg_clear(&m);
}

void start(MeiBus *bus)
{
    static const uint8_t req[4] = { HBM_HOST_START, 0, 2, 2 };
    static const uint8_t res[4] = { 0x81, 1, 2, 2 };

    mei_bus_link_up(bus);
    send(bus, 0, 0, req, sizeof(req));
    expect_hbm(bus, res, sizeof(res), 4);
}

void connect(MeiBus *bus, uint8_t me, uint8_t host, uint8_t status)
{
    uint8_t req[4] = { HBM_CLIENT_CONNECT, me, host };
    uint8_t res[4] = { 0x86, me, host, status };
    uint8_t fc[8] = { HBM_FLOW_CONTROL, me, host };

    send(bus, 0, 0, req, sizeof(req));
    expect_hbm(bus, res, sizeof(res), 4);
    if (!status) {
        expect_hbm(bus, fc, sizeof(fc), 8);
    }
}

void host_credit(MeiBus *bus, uint8_t me, uint8_t host)
{
    uint8_t fc[8] = { HBM_FLOW_CONTROL, me, host };

    send(bus, 0, 0, fc, sizeof(fc));
}

void expect_credit(MeiBus *bus, uint8_t me, uint8_t host)
{
    uint8_t fc[8] = { HBM_FLOW_CONTROL, me, host };

    expect_hbm(bus, fc, sizeof(fc), 8);
}

void amthi_send(MeiBus *bus, uint8_t host, uint32_t cmd,
                uint32_t length_field, size_t len)
{
    uint8_t req[64] = { 1, 1 };

    vamt_put_le32(req + 4, cmd);
    vamt_put_le32(req + 8, length_field);
    send(bus, ADDR_AMTHI, host, req, len);
}
