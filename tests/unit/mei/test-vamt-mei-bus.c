/*
 * Unit tests for the vAMT ME core's MEI bus: HBM, connections, flow
 * control, the MKHI/AMTHI/watchdog/LME framing, and migration blobs.
 * Built standalone (root meson.build), no QEMU.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "amthi.h"
#include "status.h"
#include "firmware.h"
#include "mei-bus.h"
#include "mei-wire.h"
#include "mei-test-env.h"

/* ---- HBM ------------------------------------------------------------- */

static void test_hbm_start_versions(void)
{
    Platform p;
    MeiBus *bus = bus_new(&p);
    static const uint8_t enum_req[4] = { HBM_HOST_ENUM, 3 };
    MeiBusInfo info;

    /* link down: nothing is answered */
    send(bus, 0, 0, enum_req, sizeof(enum_req));
    assert_nothing(bus);

    /* link up, but before HOST_START only HOST_START is answered */
    mei_bus_link_up(bus);
    send(bus, 0, 0, enum_req, sizeof(enum_req));
    assert_nothing(bus);

    {
        uint8_t newer[4] = { HBM_HOST_START, 0, 0, 3 };     /* 3.0 */
        uint8_t res[4] = { 0x81, 0, 2, 2 };                 /* use 2.2 */

        send(bus, 0, 0, newer, sizeof(newer));
        expect_hbm(bus, res, sizeof(res), 4);
        mei_bus_get_info(bus, &info);
        g_assert_cmpuint(info.hbm_major, ==, 2);
        g_assert_cmpuint(info.hbm_minor, ==, 2);
    }
    {
        uint8_t older[4] = { HBM_HOST_START, 0, 0, 1 };     /* 1.0 */
        uint8_t res[4] = { 0x81, 1, 2, 2 };

        send(bus, 0, 0, older, sizeof(older));
        expect_hbm(bus, res, sizeof(res), 4);
        mei_bus_get_info(bus, &info);
        g_assert_cmpuint(info.hbm_state, ==, MEI_HBM_STARTED);
        g_assert_cmpuint(info.hbm_major, ==, 1);
        g_assert_cmpuint(info.hbm_minor, ==, 0);
    }
    /* unknown and response opcodes are ignored, not answered */
    {
        uint8_t odd[4] = { 0x7e };
        uint8_t resp[4] = { 0x8f, ADDR_LME };

        send(bus, 0, 0, odd, sizeof(odd));
        send(bus, 0, 0, resp, sizeof(resp));
        send(bus, 0, 0, NULL, 0);
        assert_nothing(bus);
    }
    bus_free(&p, bus);
}

static void test_hbm_enumeration(void)
{
    static const struct {
        uint8_t addr;
        const char *uuid;
        uint8_t version, max_conn, fixed;
        uint32_t mtu;
    } clients[] = {
        { ADDR_MKHI_FIXED, "55213584-9a29-4916-badf-0fb7ed682aeb", 1, 1, 7,
          2048 },
        { ADDR_MKHI, "8e6a6715-9abc-4043-88ef-9e39c6f63e0f", 1, 1, 0, 2048 },
        { ADDR_AMTHI, "12f80028-b4b7-4b2d-aca8-46e0ff65814c", 1, 4, 0, 4096 },
        { ADDR_WD, "05b79a6f-4628-4d7f-899d-a91514cb32ab", 2, 2, 0, 512 },
        { ADDR_LME, "6733a4db-0476-4e7b-b3af-bcfc29bee7a7", 1, 1, 0, 4096 },
    };
    static const uint8_t enum_req[4] = { HBM_HOST_ENUM, 3 };
    uint8_t bitmap[32] = { 0 };
    Platform p;
    MeiBus *bus = bus_new(&p);
    Msg m;

    start(bus);
    send(bus, 0, 0, enum_req, sizeof(enum_req));
    for (size_t i = 0; i < G_N_ELEMENTS(clients); i++) {
        bitmap[clients[i].addr / 8] |= 1 << (clients[i].addr % 8);
    }
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.data->len, ==, HBM_ENUM_RES_LEN);
    g_assert_cmphex(m.data->data[0], ==, 0x84);
    g_assert_cmpmem(m.data->data + 4, 32, bitmap, 32);
    msg_clear(&m);

    for (size_t i = 0; i < G_N_ELEMENTS(clients); i++) {
        uint8_t req[4] = { HBM_CLIENT_PROPERTIES, clients[i].addr };
        uint8_t rfc[16], wire[16];
        const uint8_t *props;

        /* UUID string -> RFC 4122 bytes -> little-endian GUID on the wire */
        for (int j = 0, k = 0; j < 16; k++) {
            if (clients[i].uuid[k] != '-') {
                rfc[j++] = g_ascii_xdigit_value(clients[i].uuid[k]) << 4 |
                           g_ascii_xdigit_value(clients[i].uuid[k + 1]);
                k++;
            }
        }
        vamt_uuid_swap_fields(wire, rfc);

        send(bus, 0, 0, req, sizeof(req));
        g_assert_true(recv(bus, &m));
        g_assert_cmpuint(m.data->len, ==, HBM_PROPS_RES_LEN);
        g_assert_cmphex(m.data->data[0], ==, 0x85);
        g_assert_cmpuint(m.data->data[1], ==, clients[i].addr);
        g_assert_cmpuint(m.data->data[2], ==, HBM_STATUS_SUCCESS);
        props = m.data->data + 4;
        g_assert_cmpmem(props, 16, wire, 16);
        g_assert_cmpuint(props[16], ==, clients[i].version);
        g_assert_cmpuint(props[17], ==, clients[i].max_conn);
        g_assert_cmpuint(props[18], ==, clients[i].fixed);
        g_assert_cmpuint(props[19], ==, 0);
        g_assert_cmpuint(vamt_le32(props + 20), ==, clients[i].mtu);
        msg_clear(&m);
    }
    {
        uint8_t req[4] = { HBM_CLIENT_PROPERTIES, 0x99 };

        send(bus, 0, 0, req, sizeof(req));
        g_assert_true(recv(bus, &m));
        g_assert_cmpuint(m.data->data[2], ==, HBM_STATUS_CLIENT_NOT_FOUND);
        msg_clear(&m);
    }
    {
        static const uint8_t caps[4] = { HBM_CAPABILITIES, 7 };
        static const uint8_t caps_res[4] = { 0x93, 0, 0, 0 };
        uint8_t dma[40] = { HBM_DMA_SETUP };
        static const uint8_t dma_res[4] = { 0x92, HBM_STATUS_NOT_ALLOWED };

        send(bus, 0, 0, caps, sizeof(caps));
        expect_hbm(bus, caps_res, 4, 4);
        send(bus, 0, 0, dma, sizeof(dma));
        expect_hbm(bus, dma_res, 4, 4);
    }
    bus_free(&p, bus);
}

/* ---- clients ----------------------------------------------------------- */

static void test_mkhi_errors(void)
{
    static const uint8_t short_rule[4] = { 0x03, 0x02, 0, 0 };
    static const uint8_t unknown_rule[8] = { 0x03, 0x02, 0, 0, 77 };
    Platform p;
    MeiBus *bus = bus_new(&p);
    Msg m;

    start(bus);
    send(bus, ADDR_MKHI_FIXED, 0, short_rule, sizeof(short_rule));
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.data->len, ==, 4);
    g_assert_cmphex(m.data->data[1], ==, 0x82);
    g_assert_cmphex(m.data->data[3], ==, 0x85);     /* invalid params */
    msg_clear(&m);
    send(bus, ADDR_MKHI_FIXED, 0, unknown_rule, sizeof(unknown_rule));
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.data->len, ==, 4);
    g_assert_cmphex(m.data->data[3], ==, 0x89);     /* not supported */
    msg_clear(&m);
    bus_free(&p, bus);
}

static void test_mkhi_fw_version(void)
{
    static const uint8_t req[4] = { 0xff, 0x02, 0, 0 };
    Platform p;
    MeiBus *bus = bus_new(&p);
    Msg m;

    g_assert_true(vamt_fw_version_parse("17.0.5.1099", &p.fw.version));
    g_assert_false(vamt_fw_version_parse("17.0.5", &p.fw.version));
    g_assert_false(vamt_fw_version_parse("17.0.5.70000", &p.fw.version));
    g_assert_false(vamt_fw_version_parse("a.b.c.d", &p.fw.version));
    g_assert_cmpuint(p.fw.version.build, ==, 1099);
    start(bus);
    send(bus, ADDR_MKHI_FIXED, 0, req, sizeof(req));
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.me_addr, ==, ADDR_MKHI_FIXED);
    g_assert_cmpuint(m.host_addr, ==, 0);
    g_assert_cmpuint(m.data->len, ==, 28);
    g_assert_cmphex(vamt_le32(m.data->data), ==, 0x000082ff);
    for (int b = 0; b < 3; b++) {
        const uint8_t *blk = m.data->data + 4 + 8 * b;

        /* Linux reads {u16 minor, u8 major, u8 platform, build, hotfix} */
        g_assert_cmpuint(vamt_le16(blk), ==, 0);
        g_assert_cmpuint(blk[2], ==, 17);
        g_assert_cmpuint(blk[3], ==, 0);
        g_assert_cmpuint(vamt_le16(blk + 4), ==, 1099);
        g_assert_cmpuint(vamt_le16(blk + 6), ==, 5);
    }
    msg_clear(&m);
    /* fixed-address clients take no credits and get none */
    assert_nothing(bus);
    bus_free(&p, bus);
}

static void test_watchdog(void)
{
    static const uint8_t start_req[23] = { 0x02, 0x15, 0x13, 0x10, 120 };
    static const uint8_t start_res[6] = { 0x02, 0x04, 0x83, 0x10, 0, 0 };
    static const uint8_t stop_req[4] = { 0x02, 0x02, 0x14, 0x10 };
    static const uint8_t is_change[4] = { 0x05, 0x02, 0x51, 0x10 };
    Platform p;
    MeiBus *bus = bus_new(&p);
    MeiBusInfo info;
    const VamtAmtState *st;
    const VamtEventRecord *rec;
    uint32_t events;
    Msg m;

    start(bus);
    connect(bus, ADDR_WD, 1, 0);        /* mei_wdt */
    connect(bus, ADDR_WD, 2, 0);        /* an agent's manageability link */
    connect(bus, ADDR_WD, 3, HBM_CONNECT_OUT_OF_RESOURCES);

    p.now_ms = 5000;
    host_credit(bus, ADDR_WD, 1);
    send(bus, ADDR_WD, 1, start_req, sizeof(start_req));
    g_assert_true(recv(bus, &m));
    g_assert_cmpmem(m.data->data, m.data->len, start_res, sizeof(start_res));
    msg_clear(&m);
    expect_credit(bus, ADDR_WD, 1);
    g_assert_cmpint(p.deadline_ms, ==, 5000 + 120 * 1000);

    /* not yet */
    p.now_ms = 100000;
    mei_bus_timer_expired(bus);
    g_assert_cmpuint(p.wd_expired, ==, 0);
    /* a keep-alive is answered too and pushes the deadline */
    host_credit(bus, ADDR_WD, 1);
    send(bus, ADDR_WD, 1, start_req, sizeof(start_req));
    g_assert_true(recv(bus, &m));
    msg_clear(&m);
    expect_credit(bus, ADDR_WD, 1);
    g_assert_cmpint(p.deadline_ms, ==, 100000 + 120 * 1000);
    events = vamt_amt_state(p.amt)->event_count;
    p.now_ms = 220000;
    mei_bus_timer_expired(bus);
    g_assert_cmpuint(p.wd_expired, ==, 1);
    /* consoles see it in the event log: "Watchdog 2", timer expired */
    st = vamt_amt_state(p.amt);
    g_assert_cmpuint(st->event_count, ==, events + 1);
    rec = &st->events[(st->event_first + events) % VAMT_AMT_EVENT_LOG_SIZE];
    g_assert_cmphex(rec->sensor_type, ==, 0x23);
    g_assert_cmphex(rec->event_offset, ==, 0x00);
    mei_bus_get_info(bus, &info);
    g_assert_true(info.watchdog_expired);
    g_assert_false(info.watchdog_armed);
    g_assert_cmpint(p.deadline_ms, ==, -1);

    /* STOP: no answer, timer off */
    send(bus, ADDR_WD, 1, start_req, sizeof(start_req));
    expect_credit(bus, ADDR_WD, 1);
    send(bus, ADDR_WD, 1, stop_req, sizeof(stop_req));
    expect_credit(bus, ADDR_WD, 1);
    g_assert_cmpint(p.deadline_ms, ==, -1);
    host_credit(bus, ADDR_WD, 1);       /* the START reply went out here */
    g_assert_true(recv(bus, &m));
    msg_clear(&m);

    /* the other connection asks whether AMT may be enabled: one byte */
    host_credit(bus, ADDR_WD, 2);
    send(bus, ADDR_WD, 2, is_change, sizeof(is_change));
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.host_addr, ==, 2);
    g_assert_cmpuint(m.data->len, ==, 1);
    g_assert_cmphex(m.data->data[0], ==, 0x83);
    msg_clear(&m);
    expect_credit(bus, ADDR_WD, 2);

    /* disconnecting the owner stops the watchdog, the other does not */
    send(bus, ADDR_WD, 1, start_req, sizeof(start_req));
    expect_credit(bus, ADDR_WD, 1);
    g_assert_cmpint(p.deadline_ms, !=, -1);
    {
        uint8_t d2[4] = { HBM_CLIENT_DISCONNECT, ADDR_WD, 2 };
        uint8_t d1[4] = { HBM_CLIENT_DISCONNECT, ADDR_WD, 1 };
        uint8_t r2[4] = { 0x87, ADDR_WD, 2, 0 };
        uint8_t r1[4] = { 0x87, ADDR_WD, 1, 0 };

        send(bus, 0, 0, d2, sizeof(d2));
        expect_hbm(bus, r2, 4, 4);
        g_assert_cmpint(p.deadline_ms, !=, -1);
        send(bus, 0, 0, d1, sizeof(d1));
        expect_hbm(bus, r1, 4, 4);
        g_assert_cmpint(p.deadline_ms, ==, -1);
    }
    bus_free(&p, bus);
}

static void test_lme_protocol_version(void)
{
    Platform p;
    MeiBus *bus = bus_new(&p);
    Msg m;

    start(bus);
    connect(bus, ADDR_LME, 4, 0);
    assert_nothing(bus);
    host_credit(bus, ADDR_LME, 4);
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.data->len, ==, 93);
    g_assert_cmphex(m.data->data[0], ==, 0xc0);
    g_assert_cmphex(m.data->data[4], ==, 1);        /* major 1, big-endian */
    g_assert_cmphex(m.data->data[12], ==, 254);     /* trigger: LME */
    g_assert_cmpmem(m.data->data + 13, 16, p.fw.system_uuid, 16);
    msg_clear(&m);
    bus_free(&p, bus);
}

static void test_connect_rules(void)
{
    Platform p;
    MeiBus *bus = bus_new(&p);
    MeiBusInfo info;

    start(bus);
    connect(bus, 0x55, 1, HBM_CONNECT_NOT_FOUND);
    connect(bus, ADDR_MKHI_FIXED, 1, HBM_CONNECT_NOT_ALLOWED);
    connect(bus, ADDR_MKHI, 0, HBM_CONNECT_NOT_ALLOWED);
    connect(bus, ADDR_MKHI, 1, HBM_CONNECT_SUCCESS);
    connect(bus, ADDR_MKHI, 1, HBM_CONNECT_ALREADY_STARTED);
    connect(bus, ADDR_MKHI, 2, HBM_CONNECT_OUT_OF_RESOURCES);
    for (int h = 10; h < 14; h++) {
        connect(bus, ADDR_AMTHI, h, HBM_CONNECT_SUCCESS);
    }
    connect(bus, ADDR_AMTHI, 14, HBM_CONNECT_OUT_OF_RESOURCES);
    mei_bus_get_info(bus, &info);
    g_assert_cmpuint(info.connections, ==, 5);

    /* HOST_START again restarts the bus: connections are gone */
    start(bus);
    mei_bus_get_info(bus, &info);
    g_assert_cmpuint(info.connections, ==, 0);

    /* link reset: everything dropped, nothing answered until link up */
    connect(bus, ADDR_AMTHI, 1, HBM_CONNECT_SUCCESS);
    amthi_send(bus, 1, AMTHI_GET_UUID, 0, 12);
    mei_bus_link_reset(bus);
    assert_nothing(bus);
    host_credit(bus, ADDR_AMTHI, 1);
    assert_nothing(bus);
    mei_bus_get_info(bus, &info);
    g_assert_cmpuint(info.hbm_state, ==, MEI_HBM_IDLE);
    g_assert_cmpuint(info.connections, ==, 0);
    bus_free(&p, bus);
}

static void test_oversized_message(void)
{
    Platform p;
    MeiBus *bus = bus_new(&p);
    g_autofree uint8_t *big = g_malloc0(4096 + 100);
    Msg m;

    start(bus);
    connect(bus, ADDR_AMTHI, 1, 0);
    host_credit(bus, ADDR_AMTHI, 1);
    /* above AMTHI's 4096-byte MTU: dropped whole, the link goes on */
    send(bus, ADDR_AMTHI, 1, big, 4096 + 100);
    expect_credit(bus, ADDR_AMTHI, 1);
    assert_nothing(bus);
    amthi_send(bus, 1, AMTHI_GET_PROVISIONING_STATE, 0, 12);
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.data->len, ==, 20);
    msg_clear(&m);
    bus_free(&p, bus);
}

/* A host that writes and never reads cannot make the ME queue forever. */
static void test_backpressure(void)
{
    Platform p;
    MeiBus *bus = bus_new(&p);
    unsigned credits = 0, replies = 0;
    Msg m;

    start(bus);
    connect(bus, ADDR_AMTHI, 1, 0);
    for (int i = 0; i < 100; i++) {
        amthi_send(bus, 1, AMTHI_GET_UUID, 0, 12);
    }
    /* the credits stop once 8 replies wait; the replies wait for reads */
    while (recv(bus, &m)) {
        credits++;
        msg_clear(&m);
    }
    g_assert_cmpuint(credits, ==, 7);
    /* each read lets one reply out; the held-back credit comes with it */
    for (int i = 0; i < 8; i++) {
        host_credit(bus, ADDR_AMTHI, 1);
        while (recv(bus, &m)) {
            if (m.me_addr == ADDR_AMTHI) {
                g_assert_cmpuint(m.data->len, ==, 32);
                replies++;
            } else {
                credits++;
            }
            msg_clear(&m);
        }
    }
    g_assert_cmpuint(replies, ==, 8);
    g_assert_cmpuint(credits, ==, 8);

    /* HBM requests nobody reads: the bus stops taking input */
    for (int i = 0; i < 200 && mei_bus_can_receive(bus); i++) {
        static const uint8_t req[4] = { HBM_CLIENT_PROPERTIES, ADDR_LME };

        send(bus, 0, 0, req, sizeof(req));
    }
    g_assert_false(mei_bus_can_receive(bus));
    while (recv(bus, &m)) {
        msg_clear(&m);
    }
    g_assert_true(mei_bus_can_receive(bus));
    bus_free(&p, bus);
}

/* ---- migration --------------------------------------------------------- */

/* Everything the bus sends from now on, as one byte string */
static GByteArray *drain(MeiBus *bus)
{
    GByteArray *all = g_byte_array_new();
    uint8_t buf[MEI_MAX_FRAGMENT + 4];
    uint32_t hdr;
    size_t len;

    while (mei_bus_tx_take(bus, 100, &hdr, buf + 4, &len)) {
        vamt_put_le32(buf, hdr);
        g_byte_array_append(all, buf, 4 + len);
    }
    return all;
}

/* The rest of a conversation, run on the original and the migrated bus */
static GByteArray *finish_conversation(MeiBus *bus)
{
    static const uint8_t tail[8] = { 8, 7, 6, 5 };
    GByteArray *out;

    host_credit(bus, ADDR_AMTHI, 1);
    host_credit(bus, ADDR_LME, 3);
    /* the second half of a message whose first half came before */
    send(bus, ADDR_AMTHI, 2, tail, 0);
    out = drain(bus);
    return out;
}

static void test_migration_blob(void)
{
    Platform p1, p2;
    MeiBus *src = bus_new(&p1), *dst = bus_new(&p2);
    g_autoptr(GByteArray) blob = g_byte_array_new();
    g_autoptr(GByteArray) blob2 = g_byte_array_new();
    g_autoptr(GByteArray) out_src = NULL;
    g_autoptr(GByteArray) out_dst = NULL;
    static const uint8_t wd_start[23] = { 0x02, 0x15, 0x13, 0x10, 30 };
    uint8_t half[12] = { 1, 1, 0, 0, 0x5c, 0, 0, 0x04 };
    uint8_t buf[MEI_MAX_FRAGMENT];
    uint32_t hdr;
    size_t len;
    char *err = NULL;

    start(src);
    connect(src, ADDR_AMTHI, 1, 0);
    connect(src, ADDR_AMTHI, 2, 0);
    connect(src, ADDR_LME, 3, 0);               /* PV waits for a credit */
    connect(src, ADDR_WD, 4, 0);
    host_credit(src, ADDR_WD, 4);
    p1.now_ms = 1000;
    send(src, ADDR_WD, 4, wd_start, sizeof(wd_start));
    /* a reply waiting for a credit */
    amthi_send(src, 1, AMTHI_GET_CODE_VERSIONS, 0, 12);
    /* a host message half received */
    mei_bus_receive(src, MEI_HDR(ADDR_AMTHI, 2, 12, false), half, 12);
    /* and a queued message half sent */
    host_credit(src, ADDR_AMTHI, 2);
    mei_bus_receive(src, MEI_HDR(ADDR_AMTHI, 2, 0, true), NULL, 0);
    g_assert_true(mei_bus_tx_take(src, 4, &hdr, buf, &len));

    mei_bus_save(src, blob);
    if (!mei_bus_load(dst, blob->data, blob->len, &err)) {
        g_error("%s", err);
    }
    /* same state, same bytes */
    mei_bus_save(dst, blob2);
    g_assert_cmpmem(blob->data, blob->len, blob2->data, blob2->len);
    /* the watchdog timer is armed again on the destination */
    g_assert_cmpint(p2.deadline_ms, ==, 1000 + 30 * 1000);

    out_src = finish_conversation(src);
    out_dst = finish_conversation(dst);
    g_assert_cmpuint(out_src->len, >, 569);
    g_assert_cmpmem(out_src->data, out_src->len, out_dst->data, out_dst->len);
    bus_free(&p1, src);
    bus_free(&p2, dst);
}

static void test_migration_blob_corrupt(void)
{
    Platform p1, p2;
    MeiBus *src = bus_new(&p1), *dst = bus_new(&p2);
    g_autoptr(GByteArray) blob = g_byte_array_new();
    GRand *rand = g_rand_new_with_seed(42);
    MeiBusInfo info;

    start(src);
    connect(src, ADDR_AMTHI, 1, 0);
    amthi_send(src, 1, AMTHI_GET_CODE_VERSIONS, 0, 12);
    mei_bus_save(src, blob);

    /* every truncation is refused */
    for (size_t n = 0; n < blob->len; n++) {
        g_autofree char *err = NULL;

        g_assert_false(mei_bus_load(dst, blob->data, n, &err));
        g_assert_nonnull(err);
        mei_bus_get_info(dst, &info);
        g_assert_cmpuint(info.connections, ==, 0);
    }
    /* random corruption never crashes; the result is refused or sane */
    for (int i = 0; i < 2000; i++) {
        g_autoptr(GByteArray) bad = g_byte_array_new();
        g_autofree char *err = NULL;

        g_byte_array_append(bad, blob->data, blob->len);
        for (int j = 0; j < 3; j++) {
            bad->data[g_rand_int_range(rand, 0, bad->len)] = g_rand_int(rand);
        }
        if (mei_bus_load(dst, bad->data, bad->len, &err)) {
            g_byte_array_unref(drain(dst));
        }
    }
    g_rand_free(rand);
    bus_free(&p1, src);
    bus_free(&p2, dst);
}

/* Random fragments from a hostile host: no crash, then a clean restart. */
static void test_garbage(void)
{
    Platform p;
    MeiBus *bus = bus_new(&p);
    GRand *rand = g_rand_new_with_seed(7);
    uint8_t buf[MEI_MAX_FRAGMENT];

    start(bus);
    for (int i = 0; i < 50000; i++) {
        uint32_t hdr = g_rand_int(rand);
        size_t len = g_rand_int_range(rand, 0, sizeof(buf));

        /* mostly plausible addresses, to reach the clients */
        if (g_rand_int_range(rand, 0, 4)) {
            hdr &= 0x8000ff1f;
            hdr |= (uint32_t)len << 16;
        }
        for (size_t j = 0; j < len; j++) {
            buf[j] = g_rand_int(rand);
        }
        if (g_rand_int_range(rand, 0, 3) == 0) {
            buf[0] = g_rand_int_range(rand, 0, 0x14);    /* HBM opcode */
        }
        mei_bus_receive(bus, hdr, buf, MEI_HDR_LENGTH(hdr) > len ? len :
                        MEI_HDR_LENGTH(hdr));
        if (g_rand_int_range(rand, 0, 8) == 0) {
            g_byte_array_unref(drain(bus));
        }
    }
    mei_bus_link_reset(bus);
    start(bus);
    connect(bus, ADDR_AMTHI, 1, 0);
    g_rand_free(rand);
    bus_free(&p, bus);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/mei-bus/hbm/start-versions",
                    test_hbm_start_versions);
    g_test_add_func("/vamt/mei-bus/hbm/enumeration", test_hbm_enumeration);
    g_test_add_func("/vamt/mei-bus/connect-rules", test_connect_rules);
    g_test_add_func("/vamt/mei-bus/oversized-message",
                    test_oversized_message);
    g_test_add_func("/vamt/mei-bus/mkhi/fw-version", test_mkhi_fw_version);
    g_test_add_func("/vamt/mei-bus/watchdog", test_watchdog);
    g_test_add_func("/vamt/mei-bus/mkhi-errors", test_mkhi_errors);
    g_test_add_func("/vamt/mei-bus/lme/protocol-version",
                    test_lme_protocol_version);
    g_test_add_func("/vamt/mei-bus/migration/round-trip",
                    test_migration_blob);
    g_test_add_func("/vamt/mei-bus/migration/corrupt",
                    test_migration_blob_corrupt);
    g_test_add_func("/vamt/mei-bus/garbage", test_garbage);
    g_test_add_func("/vamt/mei-bus/backpressure", test_backpressure);
    return g_test_run();
}
