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

#define ADDR_MKHI_FIXED 0x07
#define ADDR_MKHI       0x08
#define ADDR_AMTHI      0x10
#define ADDR_WD         0x11
#define ADDR_LME        0x12

typedef struct Platform {
    int64_t now_ms;
    int64_t deadline_ms;
    unsigned tx_ready;
    unsigned wd_expired;
    uint8_t random_byte;
    VamtFirmware fw;
    VamtAmt *amt;
} Platform;

typedef struct Msg {
    uint8_t me_addr;
    uint8_t host_addr;
    unsigned fragments;
    GByteArray *data;
} Msg;

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

static MeiBus *bus_new(Platform *p)
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

static void bus_free(Platform *p, MeiBus *bus)
{
    mei_bus_free(bus);
    vamt_amt_free(p->amt);
}

/* Send a host message the way the driver does: 508-byte fragments */
static void send(MeiBus *bus, uint8_t me, uint8_t host, const void *data,
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

static bool recv(MeiBus *bus, Msg *m)
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

static void msg_clear(Msg *m)
{
    if (m->data) {
        g_byte_array_unref(m->data);
        m->data = NULL;
    }
}

static void assert_nothing(MeiBus *bus)
{
    size_t len;

    g_assert_false(mei_bus_tx_peek(bus, MEI_MAX_FRAGMENT, &len));
}

static void expect_hbm(MeiBus *bus, const uint8_t *want, size_t n,
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

static void start(MeiBus *bus)
{
    static const uint8_t req[4] = { HBM_HOST_START, 0, 2, 2 };
    static const uint8_t res[4] = { 0x81, 1, 2, 2 };

    mei_bus_link_up(bus);
    send(bus, 0, 0, req, sizeof(req));
    expect_hbm(bus, res, sizeof(res), 4);
}

static void connect(MeiBus *bus, uint8_t me, uint8_t host, uint8_t status)
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

static void host_credit(MeiBus *bus, uint8_t me, uint8_t host)
{
    uint8_t fc[8] = { HBM_FLOW_CONTROL, me, host };

    send(bus, 0, 0, fc, sizeof(fc));
}

static void expect_credit(MeiBus *bus, uint8_t me, uint8_t host)
{
    uint8_t fc[8] = { HBM_FLOW_CONTROL, me, host };

    expect_hbm(bus, fc, sizeof(fc), 8);
}

static void amthi_send(MeiBus *bus, uint8_t host, uint32_t cmd,
                       uint32_t length_field, size_t len)
{
    uint8_t req[64] = { 1, 1 };

    vamt_put_le32(req + 4, cmd);
    vamt_put_le32(req + 8, length_field);
    send(bus, ADDR_AMTHI, host, req, len);
}

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

static const char *code_version(GByteArray *rsp, const char *desc,
                                char out[20])
{
    uint32_t count = vamt_le32(rsp->data + 16 + AMTHI_BIOS_VERSION_LEN);
    const uint8_t *e = rsp->data + 16 + AMTHI_BIOS_VERSION_LEN + 4;

    g_assert_cmpuint(rsp->len, ==, 16 + 65 + 4 + 44 * count);
    for (uint32_t i = 0; i < count; i++, e += 44) {
        uint16_t dlen = vamt_le16(e), vlen = vamt_le16(e + 22);

        g_assert_cmpuint(dlen, <=, 20);
        g_assert_cmpuint(dlen, ==, strnlen((const char *)e + 2, 20));
        g_assert_cmpuint(vlen, <, 20);
        g_assert_cmpuint(e[24 + vlen], ==, 0);
        if (dlen == strlen(desc) && !memcmp(e + 2, desc, dlen)) {
            memcpy(out, e + 24, vlen + 1);
            return out;
        }
    }
    return NULL;
}

static void test_amthi_framing(void)
{
    Platform p;
    MeiBus *bus = bus_new(&p);
    Msg m;
    char ver[20];

    start(bus);
    connect(bus, ADDR_AMTHI, 1, HBM_CONNECT_SUCCESS);

    /* the reply waits for the host's read credit */
    amthi_send(bus, 1, AMTHI_GET_CODE_VERSIONS, 0, 12);
    expect_credit(bus, ADDR_AMTHI, 1);
    assert_nothing(bus);
    host_credit(bus, ADDR_AMTHI, 1);
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.fragments, ==, 2);           /* 508 + 61 */
    g_assert_cmpuint(m.data->len, ==, 569);
    g_assert_cmphex(vamt_le32(m.data->data), ==, 0x00000101);
    g_assert_cmphex(vamt_le32(m.data->data + 4), ==, 0x0480001a);
    g_assert_cmpuint(vamt_le32(m.data->data + 8), ==, 569 - 12);
    g_assert_cmpuint(vamt_le32(m.data->data + 12), ==, PT_SUCCESS);
    g_assert_cmpstr(code_version(m.data, "AMT", ver), ==, "16.1.30");
    g_assert_cmpstr(code_version(m.data, "Build Number", ver), ==, "2307");
    g_assert_cmpstr(code_version(m.data, "Recovery Version", ver), ==,
                    "16.1.30");
    g_assert_cmpstr(code_version(m.data, "Sku", ver), ==, "16392");
    g_assert_cmpstr(code_version(m.data, "Legacy Mode", ver), ==, "False");
    g_assert_cmpstr(code_version(m.data, "AMT FW Core Version", ver), ==,
                    "16.1.30");
    msg_clear(&m);

    /* GetUUID reports the platform's UUID */
    host_credit(bus, ADDR_AMTHI, 1);
    amthi_send(bus, 1, AMTHI_GET_UUID, 0, 12);
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.data->len, ==, 32);
    g_assert_cmpmem(m.data->data + 16, 16, p.fw.system_uuid, 16);
    msg_clear(&m);
    expect_credit(bus, ADDR_AMTHI, 1);

    /* the state the firmware is in, not a constant */
    g_assert_true(vamt_amt_set_provisioning(p.amt, VAMT_PROVISIONING_POST,
                                            VAMT_CONTROL_MODE_ACM));
    host_credit(bus, ADDR_AMTHI, 1);
    amthi_send(bus, 1, AMTHI_GET_PROVISIONING_STATE, 0, 12);
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.data->len, ==, 20);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, VAMT_PROVISIONING_POST);
    msg_clear(&m);
    expect_credit(bus, ADDR_AMTHI, 1);
    host_credit(bus, ADDR_AMTHI, 1);
    amthi_send(bus, 1, AMTHI_GET_CONTROL_MODE, 0, 12);
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, VAMT_CONTROL_MODE_ACM);
    msg_clear(&m);
    expect_credit(bus, ADDR_AMTHI, 1);

    /* length field disagreeing with the message: INVALID_MESSAGE_LENGTH */
    host_credit(bus, ADDR_AMTHI, 1);
    amthi_send(bus, 1, AMTHI_GET_PROVISIONING_STATE, 4, 12);
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.data->len, ==, 16);
    g_assert_cmpuint(vamt_le32(m.data->data + 8), ==, 4);
    g_assert_cmpuint(vamt_le32(m.data->data + 12),
                     ==, PT_INVALID_MESSAGE_LENGTH);
    msg_clear(&m);
    expect_credit(bus, ADDR_AMTHI, 1);

    /* unknown command: a status, no payload */
    host_credit(bus, ADDR_AMTHI, 1);
    amthi_send(bus, 1, 0x04007777, 0, 12);
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.data->len, ==, 16);
    g_assert_cmphex(vamt_le32(m.data->data + 4), ==, 0x04807777);
    g_assert_cmpuint(vamt_le32(m.data->data + 12), ==,
                     PT_INTERNAL_ERROR);
    msg_clear(&m);
    expect_credit(bus, ADDR_AMTHI, 1);

    /* too short to carry a command: dropped, the credit still comes back */
    host_credit(bus, ADDR_AMTHI, 1);
    amthi_send(bus, 1, 0, 0, 5);
    expect_credit(bus, ADDR_AMTHI, 1);
    assert_nothing(bus);
    bus_free(&p, bus);
}

/* One AMTHI command with @payload; *m is the whole reply, checked framed */
static void amthi_call(MeiBus *bus, uint32_t cmd, const void *payload,
                       size_t len, Msg *m)
{
    uint8_t req[512] = { 1, 1 };

    g_assert_cmpuint(len, <=, sizeof(req) - 12);
    vamt_put_le32(req + 4, cmd);
    vamt_put_le32(req + 8, len);
    if (len) {
        memcpy(req + 12, payload, len);
    }
    host_credit(bus, ADDR_AMTHI, 1);
    send(bus, ADDR_AMTHI, 1, req, 12 + len);
    g_assert_true(recv(bus, m));
    expect_credit(bus, ADDR_AMTHI, 1);
    g_assert_cmphex(vamt_le32(m->data->data), ==, 0x00000101);
    g_assert_cmphex(vamt_le32(m->data->data + 4), ==, cmd | 0x00800000);
    g_assert_cmpuint(vamt_le32(m->data->data + 8), ==, m->data->len - 12);
}

/* A reply's status, and that it has no payload when not a success */
static uint32_t amthi_status(Msg *m)
{
    uint32_t status = vamt_le32(m->data->data + 12);

    if (status != PT_SUCCESS) {
        g_assert_cmpuint(m->data->len, ==, 16);
    }
    msg_clear(m);
    return status;
}

/* An AMT_ANSI_STRING request payload of @text in @buf; its length */
static size_t ansi_string(uint8_t *buf, const char *text)
{
    size_t len = strlen(text);

    vamt_put_le16(buf, len);
    memcpy(buf + 2, text, len);
    return len + 2;
}

/*
 * The commands Intel's LMS and host-based configuration send (heci.md
 * 5.2 tiers 1 and 2 beyond test_amthi_commands), byte for byte
 */
static void test_amthi_lms_commands(void)
{
    static const uint8_t link_state[16] = { [15] = 1 };
    static const uint8_t other_state[16] = { [15] = 2 };
    static const uint8_t redirection[4] = { 0 }, eac[4] = { 3 };
    static const uint8_t no_feature[4] = { 4 };
    static const uint8_t access[AMTHI_ENTERPRISE_ACCESS_LEN] = { 1 };
    static const uint8_t hbased_rpc[AMTHI_START_HBASED_RPC_LEN] = { 2 };
    static const uint8_t hbased_mesh[AMTHI_START_HBASED_MESH_LEN] = { 2 };
    uint8_t buf[300];
    g_autofree char *long_name = g_strnfill(VAMT_AMT_FQDN_MAX + 1, 'a');
    Platform p;
    MeiBus *bus = bus_new(&p);
    VamtAmtState *st = vamt_amt_state(p.amt);
    Msg m;
    size_t n;

    start(bus);
    connect(bus, ADDR_AMTHI, 1, HBM_CONNECT_SUCCESS);

    /* SetHostFQDN: what WS-Man shows as HostOSFQDN */
    n = ansi_string(buf, "desktop7.corp.example");
    amthi_call(bus, AMTHI_SET_HOST_FQDN, buf, n, &m);
    g_assert_cmpuint(m.data->len, ==, 16);
    g_assert_cmpuint(amthi_status(&m), ==, PT_SUCCESS);
    g_assert_cmpstr(st->host_os_fqdn, ==, "desktop7.corp.example");
    /* a length field that is not the payload's, a blank, too long */
    amthi_call(bus, AMTHI_SET_HOST_FQDN, buf, n - 1, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_MESSAGE_LENGTH);
    n = ansi_string(buf, "two words");
    amthi_call(bus, AMTHI_SET_HOST_FQDN, buf, n, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_PARAMETER);
    n = ansi_string(buf, long_name);
    amthi_call(bus, AMTHI_SET_HOST_FQDN, buf, n, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_PARAMETER);
    g_assert_cmpstr(st->host_os_fqdn, ==, "desktop7.corp.example");

    /* SetDnsSuffix before provisioning: GetPkiFqdnSuffix reads it back */
    n = ansi_string(buf, "corp.example");
    amthi_call(bus, AMTHI_SET_DNS_SUFFIX, buf, n, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_SUCCESS);
    amthi_call(bus, AMTHI_GET_PKI_FQDN_SUFFIX, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 18 + 12);
    g_assert_cmpmem(m.data->data + 18, 12, "corp.example", 12);
    msg_clear(&m);

    /* GetCurrentPowerPolicy: AMT_SystemPowerScheme's description */
    amthi_call(bus, AMTHI_GET_POWER_POLICY, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 18 + strlen(VAMT_AMT_POWER_POLICY));
    g_assert_cmpuint(vamt_le16(m.data->data + 16), ==,
                     strlen(VAMT_AMT_POWER_POLICY));
    g_assert_cmpmem(m.data->data + 18, m.data->len - 18,
                    VAMT_AMT_POWER_POLICY, strlen(VAMT_AMT_POWER_POLICY));
    msg_clear(&m);

    /* GetFeaturesState: the id and 12 bytes; redirection sessions */
    vamt_amt_set_session_open(p.amt, VAMT_AMT_SESSION_SOL, true);
    amthi_call(bus, AMTHI_GET_FEATURES_STATE, redirection, 4, &m);
    g_assert_cmpuint(m.data->len, ==, 32);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, 0);
    g_assert_cmpuint(vamt_le32(m.data->data + 20), ==, 0);    /* IDE-R */
    g_assert_cmpuint(vamt_le32(m.data->data + 24), ==, 1);    /* SOL */
    g_assert_cmpuint(vamt_le32(m.data->data + 28), ==, 0);
    msg_clear(&m);
    amthi_call(bus, AMTHI_GET_FEATURES_STATE, eac, 4, &m);
    g_assert_cmpuint(m.data->len, ==, 32);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, 3);
    g_assert_cmpuint(vamt_le32(m.data->data + 20), ==, 0);
    msg_clear(&m);
    amthi_call(bus, AMTHI_GET_FEATURES_STATE, no_feature, 4, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_PARAMETER);

    /* GetAMTState(link state): the id, 5 values */
    amthi_call(bus, AMTHI_GET_AMT_STATE, link_state, 16, &m);
    g_assert_cmpuint(m.data->len, ==, 16 + 16 + 4 + 5);
    g_assert_cmpmem(m.data->data + 16, 16, link_state, 16);
    g_assert_cmpuint(vamt_le32(m.data->data + 32), ==, 5);
    g_assert_cmpmem(m.data->data + 36, 5, "\1\0\1\1\0", 5);
    msg_clear(&m);
    amthi_call(bus, AMTHI_GET_AMT_STATE, other_state, 16, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_PARAMETER);

    /* status-only commands */
    amthi_call(bus, AMTHI_SET_ENTERPRISE_ACCESS, access, sizeof(access), &m);
    g_assert_cmpuint(m.data->len, ==, 16);
    g_assert_cmpuint(amthi_status(&m), ==, PT_SUCCESS);
    amthi_call(bus, AMTHI_OPEN_USER_CONNECTION, NULL, 0, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_NOT_PERMITTED);
    amthi_call(bus, AMTHI_CLOSE_USER_CONNECTION, NULL, 0, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_NOT_PERMITTED);
    amthi_call(bus, AMTHI_STOP_CONFIGURATION, NULL, 0, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_PROVISIONING_STATE);

    /* host-based TLS configuration: both layouts, no certificate yet */
    amthi_call(bus, AMTHI_START_CONFIG_HBASED, hbased_rpc,
               sizeof(hbased_rpc), &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_CERTIFICATE_NOT_READY);
    amthi_call(bus, AMTHI_START_CONFIG_HBASED, hbased_mesh,
               sizeof(hbased_mesh), &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_CERTIFICATE_NOT_READY);
    amthi_call(bus, AMTHI_START_CONFIG_HBASED, hbased_mesh, 100, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_MESSAGE_LENGTH);

    /* once provisioned: no local suffix change, no host-based setup */
    g_assert_true(vamt_amt_set_provisioning(p.amt, VAMT_PROVISIONING_POST,
                                            VAMT_CONTROL_MODE_CCM));
    n = ansi_string(buf, "other.example");
    amthi_call(bus, AMTHI_SET_DNS_SUFFIX, buf, n, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_PROVISIONING_STATE);
    g_assert_cmpstr(st->domainname, ==, "corp.example");
    amthi_call(bus, AMTHI_START_CONFIG_HBASED, hbased_rpc,
               sizeof(hbased_rpc), &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_PROVISIONING_STATE);
    bus_free(&p, bus);
}

/* Each command heci.md 5.2 lists as served, byte for byte */
static void test_amthi_commands(void)
{
    static const uint8_t zero[4];
    static const uint8_t wireless[4] = { 1 };
    static const uint8_t no_mac[6];
    static const uint8_t one[4] = { 1 }, five[4] = { 5 };
    static const uint8_t lsa_request[AMTHI_LSA_REQUEST_LEN];
    char lsa[VAMT_AMT_LSA_PASSWORD_LEN + 1];
    Platform p;
    MeiBus *bus = bus_new(&p);
    VamtAmtState *st;
    Msg m;

    for (int i = 0; i < 6; i++) {
        p.fw.host_mac[i] = 0x52 + i;
    }
    st = vamt_amt_state(p.amt);
    g_strlcpy(st->hostname, "vm7", sizeof(st->hostname));
    g_strlcpy(st->domainname, "lab.example", sizeof(st->domainname));
    start(bus);
    connect(bus, ADDR_AMTHI, 1, HBM_CONNECT_SUCCESS);

    /* GetPkiFqdnSuffix: the domain, an AMT_ANSI_STRING */
    amthi_call(bus, AMTHI_GET_PKI_FQDN_SUFFIX, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 18 + 11);
    g_assert_cmpuint(vamt_le32(m.data->data + 12), ==, PT_SUCCESS);
    g_assert_cmpuint(vamt_le16(m.data->data + 16), ==, 11);
    g_assert_cmpmem(m.data->data + 18, 11, "lab.example", 11);
    msg_clear(&m);

    /* GetFQDN: shared, no DDNS, host name length, the FQDN */
    amthi_call(bus, AMTHI_GET_FQDN, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 16 + 20 + 2 + 15);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, 1);
    g_assert_cmpuint(vamt_le32(m.data->data + 20), ==, 0);
    g_assert_cmpuint(vamt_le32(m.data->data + 32), ==, 3);
    g_assert_cmpuint(vamt_le16(m.data->data + 36), ==, 15);
    g_assert_cmpmem(m.data->data + 38, 15, "vm7.lab.example", 15);
    msg_clear(&m);

    /* GetLanInterfaceSettings: 36 bytes; the wired port has the MAC */
    amthi_call(bus, AMTHI_GET_LAN_INTERFACE, zero, 4, &m);
    g_assert_cmpuint(m.data->len, ==, 36);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, 1);     /* enabled */
    g_assert_cmpuint(vamt_le32(m.data->data + 20), ==, 0);     /* IPv4 */
    g_assert_cmpuint(vamt_le32(m.data->data + 24), ==, 1);     /* DHCP */
    g_assert_cmpuint(m.data->data[28], ==, 2);                 /* passive */
    g_assert_cmpuint(m.data->data[29], ==, 1);                 /* link */
    g_assert_cmpmem(m.data->data + 30, 6, p.fw.host_mac, 6);
    msg_clear(&m);
    amthi_call(bus, AMTHI_GET_LAN_INTERFACE, wireless, 4, &m);
    g_assert_cmpuint(m.data->len, ==, 36);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, 0);
    g_assert_cmpuint(m.data->data[29], ==, 0);
    g_assert_cmpmem(m.data->data + 30, 6, no_mac, 6);
    msg_clear(&m);
    /* without its interface argument: the length is wrong */
    amthi_call(bus, AMTHI_GET_LAN_INTERFACE, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 16);
    g_assert_cmpuint(vamt_le32(m.data->data + 12), ==,
                     PT_INVALID_MESSAGE_LENGTH);
    msg_clear(&m);

    /* GetMacAddresses: no dedicated MAC, the host's */
    amthi_call(bus, AMTHI_GET_MAC_ADDRESSES, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 28);
    g_assert_cmpmem(m.data->data + 16, 6, no_mac, 6);
    g_assert_cmpmem(m.data->data + 22, 6, p.fw.host_mac, 6);
    msg_clear(&m);

    /* the default trusted root hashes: handles 1..8, each entry */
    amthi_call(bus, AMTHI_ENUMERATE_HASH_HANDLES, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 20 + 4 * 8);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, 8);
    for (unsigned i = 0; i < 8; i++) {
        g_assert_cmpuint(vamt_le32(m.data->data + 20 + 4 * i), ==, i + 1);
    }
    msg_clear(&m);
    {
        /* Starfield Class 2's SHA-1, as openssl x509 -fingerprint says */
        static const uint8_t starfield[20] = {
            0xad, 0x7e, 0x1c, 0x28, 0xb0, 0x64, 0xef, 0x8f, 0x60, 0x03,
            0x40, 0x20, 0x14, 0xc3, 0xd0, 0xe3, 0x37, 0x0e, 0xb5, 0x8a,
        };
        static const uint8_t eight[4] = { 8 }, nine[4] = { 9 };
        static const uint8_t pad[44];
        const uint8_t *d;

        amthi_call(bus, AMTHI_GET_CERT_HASH_ENTRY, eight, 4, &m);
        d = m.data->data;
        g_assert_cmpuint(m.data->len, ==, 91 + 20);
        g_assert_cmpuint(vamt_le32(d + 12), ==, PT_SUCCESS);
        g_assert_cmpuint(vamt_le32(d + 16), ==, 1);        /* default */
        g_assert_cmpuint(vamt_le32(d + 20), ==, 1);        /* active */
        g_assert_cmpmem(d + 24, 20, starfield, 20);
        g_assert_cmpmem(d + 44, 44, pad, 44);
        g_assert_cmpuint(d[88], ==, 1);                    /* SHA-1 */
        g_assert_cmpuint(vamt_le16(d + 89), ==, 20);
        g_assert_cmpmem(d + 91, 20, "Starfield Class 2 CA", 20);
        msg_clear(&m);
        amthi_call(bus, AMTHI_GET_CERT_HASH_ENTRY, zero, 4, &m);
        g_assert_cmpuint(m.data->len, ==, 16);
        g_assert_cmpuint(vamt_le32(m.data->data + 12), ==, PT_INVALID_HANDLE);
        msg_clear(&m);
        amthi_call(bus, AMTHI_GET_CERT_HASH_ENTRY, nine, 4, &m);
        g_assert_cmpuint(vamt_le32(m.data->data + 12), ==, PT_INVALID_HANDLE);
        msg_clear(&m);
    }

    /* no CIRA: not connected, no MPS */
    amthi_call(bus, AMTHI_GET_REMOTE_ACCESS_STATUS, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 30);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, 3);
    g_assert_cmpuint(vamt_le32(m.data->data + 20), ==, 0);
    g_assert_cmpuint(vamt_le16(m.data->data + 28), ==, 0);
    msg_clear(&m);

    /* the u32 answers, and GetDNSSuffixList's empty list */
    {
        static const uint32_t u32s[] = {
            AMTHI_GET_ZERO_TOUCH_ENABLED, AMTHI_GET_UI_INTERFACES,
            AMTHI_GET_EHBC_STATE,
        };

        for (unsigned i = 0; i < G_N_ELEMENTS(u32s); i++) {
            amthi_call(bus, u32s[i], NULL, 0, &m);
            g_assert_cmpuint(m.data->len, ==, 20);
            g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, 0);
            msg_clear(&m);
        }
    }
    amthi_call(bus, AMTHI_GET_DNS_SUFFIX_LIST, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 18);
    msg_clear(&m);
    amthi_call(bus, AMTHI_GET_LAST_RESET_REASON, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 24);
    msg_clear(&m);

    /*
     * GetLocalSystemAccount: 40 reserved bytes in; user[33], pass[33]
     * and 2 bytes of padding out (MeshAgent wants exactly 68)
     */
    amthi_call(bus, AMTHI_GET_LOCAL_SYSTEM_ACCOUNT, lsa_request,
               sizeof(lsa_request), &m);
    g_assert_cmpuint(m.data->len, ==, 84);
    g_assert_cmpuint(vamt_le32(m.data->data + 12), ==, PT_SUCCESS);
    g_assert_cmpstr((char *)m.data->data + 16, ==, "$$OsAdmin");
    for (unsigned i = 16 + 9; i < 16 + 33; i++) {
        g_assert_cmpuint(m.data->data[i], ==, 0);      /* NUL-padded */
    }
    g_assert_cmpuint(strnlen((char *)m.data->data + 49, 33), ==, 32);
    g_assert_cmpmem(m.data->data + 49, 32, vamt_amt_lsa_password(p.amt), 32);
    g_assert_cmpuint(m.data->data[49 + 32], ==, 0);
    g_assert_cmpuint(m.data->data[82], ==, 0);
    g_assert_cmpuint(m.data->data[83], ==, 0);
    g_strlcpy(lsa, vamt_amt_lsa_password(p.amt), sizeof(lsa));
    msg_clear(&m);
    amthi_call(bus, AMTHI_GET_LOCAL_SYSTEM_ACCOUNT, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 16);
    g_assert_cmpuint(vamt_le32(m.data->data + 12), ==,
                     PT_INVALID_MESSAGE_LENGTH);
    msg_clear(&m);

    /* Unprovision: nothing to undo, refused in ACM, done in CCM */
    amthi_call(bus, AMTHI_UNPROVISION, zero, 4, &m);
    g_assert_cmpuint(m.data->len, ==, 16);
    g_assert_cmphex(vamt_le32(m.data->data + 12), ==, 0x20);
    msg_clear(&m);
    g_assert_true(vamt_amt_set_provisioning(p.amt, VAMT_PROVISIONING_POST,
                                            VAMT_CONTROL_MODE_ACM));
    amthi_call(bus, AMTHI_UNPROVISION, zero, 4, &m);
    g_assert_cmphex(vamt_le32(m.data->data + 12), ==, 0x3);
    msg_clear(&m);
    g_assert_cmpuint(vamt_amt_provisioning_state(p.amt), ==,
                     VAMT_PROVISIONING_POST);
    g_assert_true(vamt_amt_set_provisioning(p.amt, VAMT_PROVISIONING_POST,
                                            VAMT_CONTROL_MODE_CCM));
    amthi_call(bus, AMTHI_UNPROVISION, five, 4, &m);
    g_assert_cmphex(vamt_le32(m.data->data + 12), ==, PT_INVALID_PARAMETER);
    msg_clear(&m);
    /* MeshCmd's AmtDeactivate sends mode 1 */
    amthi_call(bus, AMTHI_UNPROVISION, one, 4, &m);
    g_assert_cmphex(vamt_le32(m.data->data + 12), ==, PT_SUCCESS);
    msg_clear(&m);
    g_assert_cmpuint(vamt_amt_provisioning_state(p.amt), ==,
                     VAMT_PROVISIONING_PRE);
    /* a full unprovision: factory settings, and a new local password */
    g_assert_cmpstr(st->hostname, ==, "vamt");
    g_assert_cmpstr(lsa, !=, vamt_amt_lsa_password(p.amt));
    amthi_call(bus, AMTHI_GET_CONTROL_MODE, NULL, 0, &m);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, VAMT_CONTROL_MODE_NONE);
    msg_clear(&m);
    bus_free(&p, bus);
}

/*
 * MKHI's error replies carry no data: a short GET_RULE and an unknown
 * rule (found by fuzz-mei-bus: the reply copied from a NULL pointer)
 */
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
    g_test_add_func("/vamt/mei-bus/amthi/framing", test_amthi_framing);
    g_test_add_func("/vamt/mei-bus/amthi/commands", test_amthi_commands);
    g_test_add_func("/vamt/mei-bus/mkhi/fw-version", test_mkhi_fw_version);
    g_test_add_func("/vamt/mei-bus/watchdog", test_watchdog);
    g_test_add_func("/vamt/mei-bus/amthi-lms-commands",
                    test_amthi_lms_commands);
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
