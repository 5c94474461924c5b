/*
 * Unit tests for System Defense in the ME's NIC endpoint: the guest's
 * frames through a policy's filters both ways, what the counters say,
 * the ME's own traffic untouched by any policy.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "endpoint.h"
#include "net-test-wire.h"

#define GUEST_IP    WIRE_IP(10, 0, 2, 15)
#define PEER_IP     WIRE_IP(10, 0, 2, 2)

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t peer_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t all_ones[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

typedef struct Env {
    VamtNet *net;
    int64_t now;
    unsigned sent;                  /* frames the ME sent */
    EchoService web;
} Env;

static void env_send(void *opaque, const uint8_t *frame, size_t len)
{
    ((Env *)opaque)->sent++;
}

static int64_t env_now(void *opaque)
{
    return ((Env *)opaque)->now;
}

static void env_set_timer(void *opaque, int64_t deadline)
{
}

static const VamtService *env_service(void *opaque, uint16_t port)
{
    Env *e = opaque;

    return port == 16992 ? &e->web.svc : NULL;
}

static const VamtNetOps env_ops = {
    .send = env_send,
    .now = env_now,
    .set_timer = env_set_timer,
    .service = env_service,
};

static Env *env_new(void)
{
    Env *e = g_new0(Env, 1);

    e->now = 1000000;
    echo_service_init(&e->web, 16992, &e->now);
    e->net = vamt_net_new(&env_ops, e);
    vamt_net_set_guest_running(e->net, true);
    vamt_net_set_mac(e->net, guest_mac);
    vamt_net_set_static(e->net, GUEST_IP, 0xffffff00, PEER_IP);
    e->sent = 0;
    return e;
}

static void env_free(Env *e)
{
    vamt_net_free(e->net);
    echo_service_destroy(&e->web);
    g_free(e);
}

/* A TCP segment from the peer to the guest's @port (SYN) */
static GByteArray *to_guest_tcp(uint16_t port)
{
    WireTcp t = {
        .src_mac = peer_mac, .dst_mac = guest_mac,
        .src = PEER_IP, .dst = GUEST_IP, .sport = 40000, .dport = port,
        .seq = 1000, .flags = WIRE_SYN, .window = 65535,
    };

    return wire_tcp(&t);
}

/* UDP the guest sends to @dst:@port */
static GByteArray *from_guest_udp(uint32_t dst, uint16_t port)
{
    return wire_udp(guest_mac, peer_mac, GUEST_IP, dst, 5000, port,
                    (const uint8_t *)"x", 1);
}

static bool rx(Env *e, GByteArray *f)
{
    bool taken = vamt_net_from_network(e->net, f->data, f->len, 0);

    g_byte_array_unref(f);
    return taken;
}

static bool tx(Env *e, GByteArray *f)
{
    bool dropped = vamt_net_from_guest(e->net, f->data, f->len);

    g_byte_array_unref(f);
    return dropped;
}

static uint64_t matched(Env *e, uint32_t handle)
{
    uint64_t n = 0;

    g_assert_true(vamt_defense_matched(vamt_net_defense(e->net), handle, &n));
    return n;
}

/* No policy: the guest's traffic passes both ways */
static void test_no_policy(void)
{
    Env *e = env_new();
    VamtNetInfo info;

    g_assert_false(rx(e, to_guest_tcp(80)));
    g_assert_false(tx(e, from_guest_udp(PEER_IP, 53)));
    vamt_net_get_info(e->net, &info);
    g_assert_cmpuint(info.defense_dropped, ==, 0);
    env_free(e);
}

/* An incoming filter on TCP port 80 drops only that, and counts it */
static void test_rx_port(void)
{
    Env *e = env_new();
    VamtDefenseFilter web = {
        .handle = 7, .direction = VAMT_DEFENSE_RX,
        .profile = VAMT_DEFENSE_STATS_DROP, .ip = true,
        .has_proto = true, .proto = 6,
        .has_dport = true, .dport_lo = 80, .dport_hi = 80,
    };
    VamtDefensePolicy policy = { .filters = &web, .n_filters = 1 };
    VamtNetInfo info;

    vamt_net_set_defense(e->net, &policy);
    g_assert_true(rx(e, to_guest_tcp(80)));
    g_assert_true(rx(e, to_guest_tcp(80)));
    g_assert_false(rx(e, to_guest_tcp(22)));
    /* the guest's own sends on port 80 are the other direction */
    g_assert_false(tx(e, from_guest_udp(PEER_IP, 80)));
    g_assert_cmpuint(matched(e, 7), ==, 2);
    vamt_net_get_info(e->net, &info);
    g_assert_cmpuint(info.defense_dropped, ==, 2);
    /* the policy removed: port 80 is the guest's again */
    vamt_net_set_defense(e->net, NULL);
    g_assert_false(rx(e, to_guest_tcp(80)));
    env_free(e);
}

/* An outgoing filter on an address range; a default that counts */
static void test_tx_range(void)
{
    Env *e = env_new();
    VamtDefenseFilter lan = {
        .handle = 1, .direction = VAMT_DEFENSE_TX,
        .profile = VAMT_DEFENSE_DROP, .ip = true,
        .has_dst = true, .dst_lo = WIRE_IP(192, 168, 0, 0),
        .dst_hi = WIRE_IP(192, 168, 255, 255),
    };
    VamtDefensePolicy policy = {
        .filters = &lan, .n_filters = 1,
        .default_count = { [VAMT_DEFENSE_TX] = true },
    };

    vamt_net_set_defense(e->net, &policy);
    g_assert_true(tx(e, from_guest_udp(WIRE_IP(192, 168, 3, 4), 53)));
    g_assert_false(tx(e, from_guest_udp(WIRE_IP(192, 169, 0, 1), 53)));
    g_assert_false(tx(e, from_guest_udp(PEER_IP, 53)));
    g_assert_cmpuint(matched(e, 1), ==, 1);
    g_assert_cmpuint(vamt_defense_default_count(vamt_net_defense(e->net),
                                                VAMT_DEFENSE_TX), ==, 2);
    env_free(e);
}

/* An 802.1 filter: ARP the guest sends, dropped; IPv4 passes */
static void test_ethertype(void)
{
    Env *e = env_new();
    VamtDefenseFilter arp = {
        .handle = 3, .direction = VAMT_DEFENSE_TX,
        .profile = VAMT_DEFENSE_DROP, .ethertype = 0x0806,
    };
    VamtDefensePolicy policy = { .filters = &arp, .n_filters = 1 };

    vamt_net_set_defense(e->net, &policy);
    g_assert_true(tx(e, wire_arp(1, all_ones, guest_mac, GUEST_IP,
                                 wire_broadcast, PEER_IP)));
    g_assert_false(tx(e, from_guest_udp(PEER_IP, 53)));
    g_assert_cmpuint(matched(e, 3), ==, 1);
    env_free(e);
}

/*
 * Drop everything by default, both ways: the guest is cut off, and the
 * ME still answers its consoles (a SYN to 16992 gets its SYN-ACK)
 */
static void test_isolation_spares_me(void)
{
    Env *e = env_new();
    VamtDefensePolicy policy = {
        .default_drop = { true, true },
    };

    vamt_net_set_defense(e->net, &policy);
    g_assert_true(rx(e, to_guest_tcp(80)));
    g_assert_true(tx(e, from_guest_udp(PEER_IP, 53)));
    g_assert_true(rx(e, to_guest_tcp(16992)));
    g_assert_cmpuint(e->sent, ==, 1);
    env_free(e);
}

/* A rate limit of 5 packets a second */
static void test_rate_limit(void)
{
    Env *e = env_new();
    VamtDefenseFilter limit = {
        .handle = 9, .direction = VAMT_DEFENSE_RX,
        .profile = VAMT_DEFENSE_RATE_LIMIT, .rate_pps = 5, .ip = true,
    };
    VamtDefensePolicy policy = { .filters = &limit, .n_filters = 1 };
    unsigned passed = 0;

    vamt_net_set_defense(e->net, &policy);
    for (int i = 0; i < 20; i++) {
        passed += !rx(e, to_guest_tcp(80));
    }
    g_assert_cmpuint(passed, ==, 5);
    e->now += 1000;
    passed = 0;
    for (int i = 0; i < 20; i++) {
        passed += !rx(e, to_guest_tcp(80));
    }
    g_assert_cmpuint(passed, ==, 5);
    g_assert_cmpuint(matched(e, 9), ==, 40);
    env_free(e);
}

/* A port filter sees no ports in a later fragment, nor in bad frames */
static void test_fragments_and_garbage(void)
{
    Env *e = env_new();
    VamtDefenseFilter web = {
        .handle = 2, .direction = VAMT_DEFENSE_RX,
        .profile = VAMT_DEFENSE_DROP, .ip = true,
        .has_dport = true, .dport_lo = 0, .dport_hi = 65535,
    };
    VamtDefensePolicy policy = { .filters = &web, .n_filters = 1 };
    WireTcp later = {
        .src_mac = peer_mac, .dst_mac = guest_mac,
        .src = PEER_IP, .dst = GUEST_IP, .sport = 1, .dport = 80,
        .flags = WIRE_ACK, .frag = 100,
    };
    GByteArray *f = wire_tcp(&later);
    uint8_t junk[40];

    vamt_net_set_defense(e->net, &policy);
    g_assert_false(rx(e, f));
    for (size_t n = 0; n <= sizeof(junk); n++) {
        memset(junk, n, sizeof(junk));
        memcpy(junk, guest_mac, 6);
        junk[12] = 0x08;
        junk[13] = 0x00;
        junk[14] = 0x45;
        vamt_net_from_network(e->net, junk, n, 0);
        vamt_net_from_guest(e->net, junk, n);
    }
    env_free(e);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/net/defense/no-policy", test_no_policy);
    g_test_add_func("/vamt/net/defense/rx-port", test_rx_port);
    g_test_add_func("/vamt/net/defense/tx-range", test_tx_range);
    g_test_add_func("/vamt/net/defense/ethertype", test_ethertype);
    g_test_add_func("/vamt/net/defense/isolation-spares-me",
                    test_isolation_spares_me);
    g_test_add_func("/vamt/net/defense/rate-limit", test_rate_limit);
    g_test_add_func("/vamt/net/defense/fragments-garbage",
                    test_fragments_and_garbage);
    return g_test_run();
}
