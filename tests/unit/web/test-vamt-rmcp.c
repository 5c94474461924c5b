/*
 * Unit tests for ASF presence over RMCP: the Presence Ping as
 * MeshCentral's scanner (amtscanner.js) sends it, every field of the
 * pong the ME answers, the RMCP ACK, what is never answered, and the
 * ME's rate limit on its clock.  Built standalone, no QEMU.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "byte-order.h"
#include "me.h"
#include "rmcp.h"
#include "vamt-test-support.h"

/* MeshCentral's ping: sequence number 0 (ACK wanted), tag at byte 9 */
static const uint8_t mc_ping[VAMT_RMCP_PING_LEN] = {
    0x06, 0x00, 0x00, 0x06,             /* RMCP 1.0, seq 0, class ASF */
    0x00, 0x00, 0x11, 0xbe,             /* IANA 4542 */
    0x80, 0x2a, 0x00, 0x00,             /* Presence Ping, tag 42, len 0 */
};

static const VamtRmcpInfo info_11_8 = {
    .amt_major = 11, .amt_minor = 8,
    .provisioning_state = VAMT_PROVISIONING_POST,
    .http_port = 16992,
};

/* What MeshCentral's parseRmcpPacket() decodes from a pong */
typedef struct Decoded {
    bool accepted;
    unsigned tag, major, minor, state, port;
    bool dual;
} Decoded;

static Decoded mc_decode(const uint8_t *d, size_t len)
{
    Decoded r = { 0 };

    if (len < 20 || !(d[21] & 0x20)) {
        return r;
    }
    r.accepted = (d[19] & 3) <= 2;
    r.tag = d[9];
    r.minor = d[18] & 0x0f;
    r.major = d[18] >> 4;
    r.state = d[19] & 3;
    r.port = d[16] << 8 | d[17];
    r.dual = d[19] & 4;
    return r;
}

static void test_pong_fields(void)
{
    uint8_t pong[64];
    static const uint8_t zero[6];
    size_t n = vamt_rmcp_answer(mc_ping, sizeof(mc_ping), &info_11_8,
                                pong, sizeof(pong));

    g_assert_cmpuint(n, ==, VAMT_RMCP_PONG_LEN);
    /* RMCP header: version, reserved, no ACK wanted, class ASF */
    g_assert_cmphex(pong[0], ==, 0x06);
    g_assert_cmphex(pong[1], ==, 0x00);
    g_assert_cmphex(pong[2], ==, 0xff);
    g_assert_cmphex(pong[3], ==, 0x06);
    /* ASF header: IANA 4542, Presence Pong, the ping's tag, 16 bytes */
    g_assert_cmpuint(vamt_be32(pong + 4), ==, 4542);
    g_assert_cmphex(pong[8], ==, 0x40);
    g_assert_cmphex(pong[9], ==, 0x2a);
    g_assert_cmphex(pong[10], ==, 0x00);
    g_assert_cmpuint(pong[11], ==, 16);
    g_assert_cmpuint(12 + pong[11], ==, n);
    /* data: Intel's OEM bytes: port 16992, AMT 11.8, post-provisioning */
    g_assert_cmpuint(vamt_be32(pong + 12), ==, 343);
    g_assert_cmpuint(vamt_be16(pong + 16), ==, 16992);
    g_assert_cmphex(pong[18], ==, 0xb8);
    g_assert_cmphex(pong[19], ==, 0x02);
    /* ASF 1.0, no IPMI; DASH, no RMCP security extensions */
    g_assert_cmphex(pong[20], ==, 0x01);
    g_assert_cmphex(pong[21], ==, 0x20);
    g_assert_cmpmem(pong + 22, 6, zero, sizeof(zero));
    /* no larger than the ping by more than its data */
    g_assert_cmpuint(n, <=, sizeof(mc_ping) + 16);
}

static void test_pong_as_meshcentral_reads_it(void)
{
    uint8_t pong[VAMT_RMCP_PONG_LEN];
    VamtRmcpInfo info = info_11_8;
    Decoded d;

    g_assert_cmpuint(vamt_rmcp_answer(mc_ping, sizeof(mc_ping), &info,
                                      pong, sizeof(pong)), ==, sizeof(pong));
    d = mc_decode(pong, sizeof(pong));
    g_assert_true(d.accepted);
    g_assert_cmpuint(d.tag, ==, 42);
    g_assert_cmpuint(d.major, ==, 11);
    g_assert_cmpuint(d.minor, ==, 8);
    g_assert_cmpuint(d.state, ==, VAMT_PROVISIONING_POST);
    g_assert_cmpuint(d.port, ==, 16992);
    g_assert_false(d.dual);

    /* every provisioning state comes through */
    for (unsigned s = VAMT_PROVISIONING_PRE; s <= VAMT_PROVISIONING_POST;
         s++) {
        info.provisioning_state = s;
        vamt_rmcp_answer(mc_ping, sizeof(mc_ping), &info, pong,
                         sizeof(pong));
        g_assert_cmpuint(mc_decode(pong, sizeof(pong)).state, ==, s);
    }

    /* AMT 16 does not fit the nibbles: reported as 0, "not reported" */
    info.amt_major = 16;
    info.amt_minor = 1;
    vamt_rmcp_answer(mc_ping, sizeof(mc_ping), &info, pong, sizeof(pong));
    g_assert_cmphex(pong[18], ==, 0);
    info.amt_major = 9;
    info.amt_minor = 16;
    vamt_rmcp_answer(mc_ping, sizeof(mc_ping), &info, pong, sizeof(pong));
    g_assert_cmphex(pong[18], ==, 0);
    info.amt_major = 15;
    info.amt_minor = 15;
    vamt_rmcp_answer(mc_ping, sizeof(mc_ping), &info, pong, sizeof(pong));
    g_assert_cmphex(pong[18], ==, 0xff);
}

static void test_pong_ports(void)
{
    uint8_t pong[VAMT_RMCP_PONG_LEN];
    VamtRmcpInfo info = info_11_8;
    Decoded d;

    /* both: the plain port and the dual-port flag, which means TLS */
    info.tls_port = 16993;
    vamt_rmcp_answer(mc_ping, sizeof(mc_ping), &info, pong, sizeof(pong));
    d = mc_decode(pong, sizeof(pong));
    g_assert_cmpuint(d.port, ==, 16992);
    g_assert_true(d.dual);
    g_assert_cmpuint(d.state, ==, VAMT_PROVISIONING_POST);

    /* TLS only */
    info.http_port = 0;
    vamt_rmcp_answer(mc_ping, sizeof(mc_ping), &info, pong, sizeof(pong));
    d = mc_decode(pong, sizeof(pong));
    g_assert_cmpuint(d.port, ==, 16993);
    g_assert_false(d.dual);

    /* nothing open: no DASH, so MeshCentral ignores the pong */
    info.tls_port = 0;
    vamt_rmcp_answer(mc_ping, sizeof(mc_ping), &info, pong, sizeof(pong));
    g_assert_cmpuint(vamt_be16(pong + 16), ==, 0);
    g_assert_cmphex(pong[21], ==, 0);
    g_assert_false(mc_decode(pong, sizeof(pong)).accepted);
}

static void test_ack(void)
{
    uint8_t ping[VAMT_RMCP_PING_LEN], ack[8], pong[VAMT_RMCP_PONG_LEN];
    static const uint8_t want[] = { 0x06, 0x00, 0x00, 0x86 };

    g_assert_cmpuint(vamt_rmcp_ack(mc_ping, sizeof(mc_ping), ack,
                                   sizeof(ack)), ==, VAMT_RMCP_ACK_LEN);
    g_assert_cmpmem(ack, VAMT_RMCP_ACK_LEN, want, sizeof(want));

    memcpy(ping, mc_ping, sizeof(ping));
    ping[2] = 0x7e;
    g_assert_cmpuint(vamt_rmcp_ack(ping, sizeof(ping), ack, sizeof(ack)),
                     ==, VAMT_RMCP_ACK_LEN);
    g_assert_cmphex(ack[2], ==, 0x7e);
    /* 255: no ACK wanted, the pong alone */
    ping[2] = 0xff;
    g_assert_cmpuint(vamt_rmcp_ack(ping, sizeof(ping), ack, sizeof(ack)),
                     ==, 0);
    g_assert_cmpuint(vamt_rmcp_answer(ping, sizeof(ping), &info_11_8, pong,
                                      sizeof(pong)), ==, sizeof(pong));
    /* short buffers get nothing */
    g_assert_cmpuint(vamt_rmcp_ack(mc_ping, sizeof(mc_ping), ack, 3), ==, 0);
}

static void test_dropped(void)
{
    uint8_t in[64], out[64];
    /* byte, value: each makes the ping something else */
    static const struct { unsigned at; uint8_t val; } bad[] = {
        { 0, 0x07 }, { 0, 0x00 },       /* RMCP version */
        { 3, 0x07 }, { 3, 0x08 },       /* IPMI, OEM class */
        { 3, 0x86 },                    /* an RMCP ACK */
        { 3, 0x26 },                    /* reserved class bits */
        { 4, 0x01 }, { 6, 0x01 }, { 7, 0x57 },  /* not IANA 4542 */
        { 8, 0x40 },                    /* a pong: no reflection loop */
        { 8, 0x81 }, { 8, 0x00 },       /* other ASF messages */
        { 11, 0x01 }, { 11, 0x10 },     /* a ping has no data */
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        memcpy(in, mc_ping, sizeof(mc_ping));
        in[bad[i].at] = bad[i].val;
        g_assert_cmpuint(vamt_rmcp_answer(in, sizeof(mc_ping), &info_11_8,
                                          out, sizeof(out)), ==, 0);
        g_assert_cmpuint(vamt_rmcp_ack(in, sizeof(mc_ping), out,
                                       sizeof(out)), ==, 0);
    }
    /* the reserved bytes are ignored, as a receiver should */
    memcpy(in, mc_ping, sizeof(mc_ping));
    in[1] = 0xff;
    in[10] = 0x55;
    g_assert_cmpuint(vamt_rmcp_answer(in, sizeof(mc_ping), &info_11_8,
                                      out, sizeof(out)), ==,
                     VAMT_RMCP_PONG_LEN);

    /* every shorter and a longer datagram, NULL, a short output buffer */
    memcpy(in, mc_ping, sizeof(mc_ping));
    memset(in + sizeof(mc_ping), 0, sizeof(in) - sizeof(mc_ping));
    for (size_t len = 0; len < sizeof(in); len++) {
        if (len != sizeof(mc_ping)) {
            g_assert_cmpuint(vamt_rmcp_answer(in, len, &info_11_8, out,
                                              sizeof(out)), ==, 0);
        }
    }
    g_assert_cmpuint(vamt_rmcp_answer(NULL, 12, &info_11_8, out,
                                      sizeof(out)), ==, 0);
    g_assert_cmpuint(vamt_rmcp_answer(mc_ping, sizeof(mc_ping), &info_11_8,
                                      out, VAMT_RMCP_PONG_LEN - 1), ==, 0);

    /* random datagrams are never answered */
    {
        GRand *r = g_rand_new_with_seed(623);

        for (int i = 0; i < 100000; i++) {
            size_t len = g_rand_int_range(r, 0, sizeof(in) + 1);

            for (size_t j = 0; j < len; j++) {
                in[j] = g_rand_int(r);
            }
            g_assert_cmpuint(vamt_rmcp_answer(in, len, &info_11_8, out,
                                              sizeof(out)), ==, 0);
        }
        g_rand_free(r);
    }
}

/* MeshCentral's ping to the ME as the listener on 16992 hands it over */
#define ME_PING(me, r) \
    vamt_me_rmcp_answer(me, mc_ping, sizeof(mc_ping), VAMT_PORT_WSMAN, \
                        VAMT_PORT_WSMAN_TLS, r)

/* The ME answers with its firmware version and provisioning state */
static void test_me_answers(void)
{
    VamtTestPlatform p;
    VamtFirmware fw;
    VamtRmcpReply r;
    VamtMe *me;
    Decoded d;

    vamt_test_platform_init(&p, VAMT_POWER_ON);
    vamt_test_firmware_init(&fw);
    fw.version = (VamtFwVersion) { 11, 8, 55, 3510 };
    me = vamt_me_new(&fw, &vamt_test_platform_ops, &p);

    /* fresh from the factory: pre-provisioning */
    g_assert_cmpint(ME_PING(me, &r), ==, VAMT_RMCP_ANSWERED);
    g_assert_cmpuint(r.ack_len, ==, VAMT_RMCP_ACK_LEN);
    g_assert_cmphex(r.ack[3], ==, 0x86);
    g_assert_cmpuint(r.pong_len, ==, VAMT_RMCP_PONG_LEN);
    d = mc_decode(r.pong, r.pong_len);
    g_assert_true(d.accepted);
    g_assert_cmpuint(d.major, ==, 11);
    g_assert_cmpuint(d.minor, ==, 8);
    g_assert_cmpuint(d.state, ==, VAMT_PROVISIONING_PRE);
    /* the port map: WS-Management on 16992, no TLS service to claim */
    g_assert_cmpuint(d.port, ==, VAMT_PORT_WSMAN);
    g_assert_false(d.dual);

    /* the transport's own port (listen=host:N) is the one reported */
    g_assert_cmpint(vamt_me_rmcp_answer(me, mc_ping, sizeof(mc_ping), 40123,
                                        0, &r), ==, VAMT_RMCP_ANSWERED);
    g_assert_cmpuint(mc_decode(r.pong, r.pong_len).port, ==, 40123);

    /* the owner's password provisions it (admin-secret) */
    vamt_me_set_admin_password(me, PASSWORD);
    g_assert_cmpint(ME_PING(me, &r), ==, VAMT_RMCP_ANSWERED);
    g_assert_cmpuint(mc_decode(r.pong, r.pong_len).state, ==,
                     VAMT_PROVISIONING_POST);

    /* garbage: dropped, and it costs no answer */
    g_assert_cmpint(vamt_me_rmcp_answer(me, mc_ping, 11, VAMT_PORT_WSMAN, 0,
                                        &r), ==, VAMT_RMCP_DROPPED);
    g_assert_cmpuint(r.pong_len + r.ack_len, ==, 0);

    vamt_me_free(me);
    vamt_test_platform_destroy(&p);
}

static void test_me_rate_limit(void)
{
    VamtTestPlatform p;
    VamtFirmware fw;
    VamtRmcpReply r;
    VamtMe *me = vamt_test_me_new(&p, &fw);
    unsigned answered = 0;

    /* a burst: a second's worth answered, the rest not */
    for (int i = 0; i < 1000; i++) {
        VamtRmcpVerdict v = ME_PING(me, &r);

        if (v == VAMT_RMCP_ANSWERED) {
            answered++;
        } else {
            g_assert_cmpint(v, ==, VAMT_RMCP_LIMITED);
            g_assert_cmpuint(r.pong_len + r.ack_len, ==, 0);
        }
    }
    g_assert_cmpuint(answered, ==, VAMT_ME_RMCP_PER_SECOND);

    /* refilled on the ME's clock: one per 100 ms */
    p.ms += 1000 / VAMT_ME_RMCP_PER_SECOND - 1;
    g_assert_cmpint(ME_PING(me, &r), ==, VAMT_RMCP_LIMITED);
    p.ms += 1;
    g_assert_cmpint(ME_PING(me, &r), ==, VAMT_RMCP_ANSWERED);
    g_assert_cmpint(ME_PING(me, &r), ==, VAMT_RMCP_LIMITED);

    /* a long silence refills no more than a burst */
    p.ms += 3600 * 1000;
    answered = 0;
    for (int i = 0; i < 100; i++) {
        answered += ME_PING(me, &r) == VAMT_RMCP_ANSWERED;
    }
    g_assert_cmpuint(answered, ==, VAMT_ME_RMCP_PER_SECOND);

    /* a clock that steps back refills nothing */
    p.ms -= 5000;
    g_assert_cmpint(ME_PING(me, &r), ==, VAMT_RMCP_LIMITED);

    vamt_me_free(me);
    vamt_test_platform_destroy(&p);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/rmcp/pong-fields", test_pong_fields);
    g_test_add_func("/vamt/rmcp/meshcentral-decode",
                    test_pong_as_meshcentral_reads_it);
    g_test_add_func("/vamt/rmcp/ports", test_pong_ports);
    g_test_add_func("/vamt/rmcp/ack", test_ack);
    g_test_add_func("/vamt/rmcp/dropped", test_dropped);
    g_test_add_func("/vamt/rmcp/me-answers", test_me_answers);
    g_test_add_func("/vamt/rmcp/me-rate-limit", test_me_rate_limit);
    return g_test_run();
}
