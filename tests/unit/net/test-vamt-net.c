/*
 * Unit tests of the ME's endpoint on the guest NIC (net/vamt): frames in,
 * frames out, on a fake clock.  Each test plays what a console, a DHCP
 * server or the guest puts on the wire and checks what they would see
 * of the ME: ARP and ICMP for a deaf guest, the address it learns, its
 * own DHCP client, services coming and going, and hostile frames (its
 * TCP server: test-vamt-tcp.c).
 *
 * Every frame the ME sends is parsed strictly (checksums, lengths,
 * options) and must come from the NIC's MAC.  The suite runs under
 * ASan: a service connection the endpoint never frees fails the test.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "net-test-env.h"

/* ---- ARP and ICMP for a deaf guest ---- */

static GByteArray *arp_request(uint32_t target)
{
    return wire_arp(WIRE_ARP_REQUEST, wire_broadcast, console_mac,
                    WIRE_IP(192, 168, 1, 10), zero_mac,
                    target);
}

static void test_arp(void)
{
    TestNet *t = net_new(true);
    GByteArray *frame;
    WireFrame f;

    /* the guest answers for itself */
    g_assert_false(net_in(t, arp_request(GUEST_IP)));
    g_assert_cmpuint(frames_pending(t), ==, 0);

    g_assert_true(net_in_flags(t, arp_request(GUEST_IP),
                               VAMT_NET_GUEST_DEAF));
    g_assert_true(next_frame(t, &f));
    g_assert_cmphex(f.ethertype, ==, WIRE_ETH_ARP);
    g_assert_cmpmem(f.dst, 6, console_mac, 6);
    g_assert_cmpuint(f.arp_op, ==, WIRE_ARP_REPLY);
    g_assert_cmpmem(f.arp_sha, 6, nic_mac, 6);
    g_assert_cmphex(f.arp_spa, ==, GUEST_IP);
    g_assert_cmpmem(f.arp_tha, 6, console_mac, 6);
    g_assert_cmphex(f.arp_tpa, ==, WIRE_IP(192, 168, 1, 10));
    g_assert_cmpuint(frames_pending(t), ==, 0);

    /* not for the guest's address, not a request, too short: silence */
    net_in_flags(t, arp_request(GUEST_IP + 1), VAMT_NET_GUEST_DEAF);
    net_in_flags(t, wire_arp(WIRE_ARP_REPLY, nic_mac, console_mac,
                             WIRE_IP(192, 168, 1, 10), nic_mac, GUEST_IP),
                 VAMT_NET_GUEST_DEAF);
    frame = arp_request(GUEST_IP);
    g_byte_array_set_size(frame, WIRE_ETH_HLEN + 20);
    net_in_flags(t, frame, VAMT_NET_GUEST_DEAF);
    g_assert_cmpuint(frames_pending(t), ==, 0);
    net_free(t);

    /* nothing to answer before the address is known */
    t = net_new(false);
    net_in_flags(t, arp_request(GUEST_IP), VAMT_NET_GUEST_DEAF);
    g_assert_cmpuint(frames_pending(t), ==, 0);
    net_free(t);
}

static GByteArray *ping(uint32_t dst, uint8_t type)
{
    uint8_t data[56];

    for (unsigned i = 0; i < sizeof(data); i++) {
        data[i] = wire_pattern(i);
    }
    return wire_icmp_echo(console_mac, nic_mac, WIRE_IP(192, 168, 1, 10),
                          dst, type, 0x1234, 7, data, sizeof(data));
}

static void test_icmp(void)
{
    TestNet *t = net_new(true);
    GByteArray *frame;
    WireFrame f;

    g_assert_false(net_in(t, ping(GUEST_IP, 8)));
    g_assert_cmpuint(frames_pending(t), ==, 0);

    g_assert_true(net_in_flags(t, ping(GUEST_IP, 8), VAMT_NET_GUEST_DEAF));
    g_assert_true(next_frame(t, &f));
    g_assert_cmpmem(f.dst, 6, console_mac, 6);
    g_assert_cmphex(f.ip_src, ==, GUEST_IP);
    g_assert_cmphex(f.ip_dst, ==, WIRE_IP(192, 168, 1, 10));
    g_assert_cmpuint(f.ip_proto, ==, WIRE_IP_ICMP);
    g_assert_cmpuint(f.icmp_type, ==, 0);
    g_assert_cmpuint(f.icmp_code, ==, 0);
    g_assert_cmphex(f.icmp_id, ==, 0x1234);
    g_assert_cmpuint(f.icmp_seq, ==, 7);
    g_assert_cmpuint(f.payload_len, ==, 56);
    for (unsigned i = 0; i < 56; i++) {
        g_assert_cmpuint(f.payload[i], ==, wire_pattern(i));
    }

    /* another address, a reply, a bad checksum: no answer */
    g_assert_false(net_in_flags(t, ping(GUEST_IP + 1, 8),
                                VAMT_NET_GUEST_DEAF));
    net_in_flags(t, ping(GUEST_IP, 0), VAMT_NET_GUEST_DEAF);
    frame = ping(GUEST_IP, 8);
    frame->data[frame->len - 1] ^= 0x40;
    net_in_flags(t, frame, VAMT_NET_GUEST_DEAF);
    g_assert_cmpuint(frames_pending(t), ==, 0);
    net_free(t);
}

/* The ME reassembles nothing: fragments to its ports are refused */
static void test_fragments(void)
{
    TestNet *t = net_new(true);
    static const uint16_t frags[] = { WIRE_IP_MF, WIRE_IP_MF | 1 };
    uint64_t refused = net_info(t).frames_refused;
    EchoConn *c;
    Peer p;

    for (unsigned i = 0; i < G_N_ELEMENTS(frags); i++) {
        WireTcp s = {
            .src_mac = console_mac, .dst_mac = nic_mac,
            .src = WIRE_IP(192, 168, 1, 10), .dst = GUEST_IP,
            .sport = 45000, .dport = WEB_PORT, .seq = 1,
            .flags = WIRE_SYN, .window = 65535, .frag = frags[i],
        };
        bool taken = net_in(t, wire_tcp(&s));

        g_assert_cmpuint(frames_pending(t), ==, 0);
        g_assert_cmpuint(net_info(t).half_open, ==, 0);
        if (i == 0) {
            /* the first fragment names an ME port: consumed, counted */
            g_assert_true(taken);
            g_assert_cmpuint(net_info(t).frames_refused, ==, refused + 1);
        }
    }

    /* DF is no fragment; a fragment of a connection is not data */
    {
        WireTcp s = {
            .src_mac = console_mac, .dst_mac = nic_mac,
            .src = WIRE_IP(192, 168, 1, 10), .dst = GUEST_IP,
            .sport = 45001, .dport = WEB_PORT, .seq = 1,
            .flags = WIRE_SYN, .window = 65535, .frag = WIRE_IP_DF,
        };

        g_assert_true(net_in(t, wire_tcp(&s)));
        g_assert_cmpuint(net_info(t).half_open, ==, 1);
    }
    t->web.echo = false;
    peer_init(&p, t, 10, 40080);
    peer_connect(&p);
    c = echo_service_last(&t->web);
    {
        WireTcp s = {
            .src_mac = p.mac, .dst_mac = nic_mac,
            .src = p.ip, .dst = GUEST_IP,
            .sport = p.port, .dport = WEB_PORT,
            .seq = p.snd_nxt, .ack = p.rcv_nxt,
            .flags = WIRE_ACK, .window = 65535, .frag = WIRE_IP_MF,
            .data = (const uint8_t *)"frag", .len = 4,
        };

        g_assert_true(net_in(t, wire_tcp(&s)));
    }
    g_assert_cmpuint(c->received->len, ==, 0);
    peer_clear(&p);
    net_free(t);
}

/* ---- the guest's address ---- */

static GByteArray *dhcp_to_guest(uint8_t type, uint32_t yiaddr,
                                 const uint8_t *chaddr, bool broadcast)
{
    WireDhcp d = {
        .server_mac = router_mac,
        .dst_mac = broadcast ? wire_broadcast : chaddr,
        .server = ROUTER_IP,
        .dst = broadcast ? 0xffffffff : yiaddr,
        .type = type, .xid = 0xabcd1234, .yiaddr = yiaddr, .chaddr = chaddr,
        .netmask = NETMASK, .router = ROUTER_IP, .lease = 3600,
    };

    return wire_dhcp(&d);
}

/* The guest's own frames, from the NIC's MAC */
static GByteArray *guest_arp(uint32_t spa, uint32_t tpa)
{
    return wire_arp(WIRE_ARP_REQUEST, wire_broadcast, nic_mac, spa,
                    zero_mac, tpa);
}

static GByteArray *guest_udp(uint32_t src, uint32_t dst)
{
    return wire_udp(nic_mac, router_mac, src, dst, 5353, 53,
                    (const uint8_t *)"query", 5);
}

/* Is the ME at @address:16992 (a SYN there gets a SYN-ACK from it)? */
static bool me_answers_at(TestNet *t, uint32_t address)
{
    WireTcp s = {
        .src_mac = console_mac, .dst_mac = nic_mac,
        .src = WIRE_IP(192, 168, 1, 10), .dst = address,
        .sport = 45100, .dport = WEB_PORT, .seq = 99,
        .flags = WIRE_SYN, .window = 65535,
    };
    bool taken;
    WireFrame f;

    taken = net_in(t, wire_tcp(&s));
    while (next_frame(t, &f)) {
        if (f.ip_proto == WIRE_IP_TCP && f.dport == s.sport) {
            g_assert_true(taken);
            g_assert_cmphex(f.ip_src, ==, address);
            g_assert_cmphex(f.tcp_flags, ==, WIRE_SYN | WIRE_ACK);
            drop_frames(t);
            /* leave nothing half-open behind */
            s.flags = WIRE_RST;
            s.seq = 100;
            net_in(t, wire_tcp(&s));
            return true;
        }
    }
    g_assert_false(taken);
    return false;
}

static void test_learn_dhcp_snoop(void)
{
    TestNet *t = net_new(false);
    VamtNetInfo info = net_info(t);

    g_assert_cmpuint(info.source, ==, VAMT_NET_ADDRESS_NONE);
    g_assert_cmphex(info.address, ==, 0);
    /* before an address is known, TCP to 16992 is the guest's */
    g_assert_false(me_answers_at(t, GUEST_IP));

    /* the guest's DHCPACK, unicast to the NIC: the guest must get it */
    g_assert_false(net_in(t, dhcp_to_guest(WIRE_DHCPACK, GUEST_IP, nic_mac,
                                           false)));
    info = net_info(t);
    g_assert_cmpuint(info.source, ==, VAMT_NET_ADDRESS_DHCP_SNOOP);
    g_assert_cmphex(info.address, ==, GUEST_IP);
    g_assert_cmphex(info.netmask, ==, NETMASK);
    g_assert_cmphex(info.gateway, ==, ROUTER_IP);
    g_assert_true(info.dhcp);
    g_assert_true(me_answers_at(t, GUEST_IP));
    g_assert_cmpstr(vamt_net_address_source_name(info.source), !=,
                    vamt_net_address_source_name(VAMT_NET_ADDRESS_NONE));
    net_free(t);
}

/* Only an ACK for the NIC's MAC teaches; broadcast or unicast */
static void test_learn_dhcp_others(void)
{
    TestNet *t = net_new(false);
    VamtNetInfo info;

    g_assert_false(net_in(t, dhcp_to_guest(WIRE_DHCPOFFER, GUEST_IP,
                                           nic_mac, true)));
    g_assert_false(net_in(t, dhcp_to_guest(WIRE_DHCPACK, GUEST_IP + 1,
                                           other_mac, true)));
    g_assert_false(net_in(t, dhcp_to_guest(WIRE_DHCPNAK, 0, nic_mac,
                                           true)));
    g_assert_cmpuint(net_info(t).source, ==, VAMT_NET_ADDRESS_NONE);
    g_assert_false(net_in(t, dhcp_to_guest(WIRE_DHCPACK, GUEST_IP, nic_mac,
                                           true)));
    info = net_info(t);
    g_assert_cmpuint(info.source, ==, VAMT_NET_ADDRESS_DHCP_SNOOP);
    g_assert_cmphex(info.address, ==, GUEST_IP);
    g_assert_cmpuint(frames_pending(t), ==, 0);
    net_free(t);
}

static void test_learn_guest_arp(void)
{
    TestNet *t = net_new(false);
    VamtNetInfo info;

    /* an ARP probe (RFC 5227) says nothing about the address */
    guest_out(t, guest_arp(0, GUEST_IP));
    g_assert_cmpuint(net_info(t).source, ==, VAMT_NET_ADDRESS_NONE);
    /* nor does an ARP of another MAC */
    guest_out(t, wire_arp(WIRE_ARP_REQUEST, wire_broadcast, other_mac,
                          GUEST_IP + 5, zero_mac, ROUTER_IP));
    g_assert_cmpuint(net_info(t).source, ==, VAMT_NET_ADDRESS_NONE);

    guest_out(t, guest_arp(GUEST_IP, ROUTER_IP));
    info = net_info(t);
    g_assert_cmpuint(info.source, ==, VAMT_NET_ADDRESS_ARP);
    g_assert_cmphex(info.address, ==, GUEST_IP);
    g_assert_false(info.dhcp);
    g_assert_true(me_answers_at(t, GUEST_IP));
    net_free(t);
}

static void test_learn_guest_traffic(void)
{
    TestNet *t = net_new(false);
    VamtNetInfo info;

    /* the guest's DHCPDISCOVER comes from 0.0.0.0 */
    guest_out(t, wire_udp(nic_mac, wire_broadcast, 0, 0xffffffff, 68, 67,
                          (const uint8_t *)"discover", 8));
    g_assert_cmpuint(net_info(t).source, ==, VAMT_NET_ADDRESS_NONE);
    guest_out(t, guest_udp(GUEST_IP, ROUTER_IP));
    info = net_info(t);
    g_assert_cmpuint(info.source, ==, VAMT_NET_ADDRESS_TRAFFIC);
    g_assert_cmphex(info.address, ==, GUEST_IP);
    g_assert_true(me_answers_at(t, GUEST_IP));
    net_free(t);
}

/*
 * The guest's own packets from another source (a second address, a
 * packet it forwards) do not take the ME off the address its consoles
 * are connected to.
 */
static void test_learn_traffic_stable(void)
{
    TestNet *t = net_new(false);
    Peer p;

    guest_out(t, guest_udp(GUEST_IP, ROUTER_IP));
    g_assert_cmphex(net_info(t).address, ==, GUEST_IP);
    peer_init(&p, t, 10, 40140);
    peer_connect(&p);
    guest_out(t, guest_udp(WIRE_IP(10, 9, 8, 7), ROUTER_IP));
    guest_out(t, guest_udp(GUEST_IP, ROUTER_IP));
    assert_connections(t, 1);
    peer_send_str(&p, "still");
    peer_read_all(&p);
    g_assert_cmpmem(p.received->data, p.received->len, "still", 5);
    peer_clear(&p);
    net_free(t);
}

/*
 * A new address: the connections to the old one are reset from it, and
 * freed
 */
static void test_address_change(void)
{
    TestNet *t = net_new(true);
    Peer p, q;

    peer_init(&p, t, 10, 40141);
    peer_connect(&p);
    peer_init(&q, t, 11, 40142);
    g_assert_true(peer_syn(&q));
    vamt_net_set_static(t->net, GUEST_IP + 1, NETMASK, ROUTER_IP);
    /* resets from the old address, and a gratuitous ARP for the new one */
    {
        WireFrame f;
        unsigned resets = 0;

        while (next_frame(t, &f)) {
            if (f.ethertype == WIRE_ETH_IPV4) {
                g_assert_cmphex(f.ip_src, ==, GUEST_IP);
                g_assert_true(f.tcp_flags & WIRE_RST);
                resets++;
                continue;
            }
            g_assert_cmphex(f.ethertype, ==, WIRE_ETH_ARP);
            g_assert_cmpmem(f.dst, 6, wire_broadcast, 6);
            g_assert_cmpmem(f.arp_sha, 6, nic_mac, 6);
            g_assert_cmphex(f.arp_spa, ==, GUEST_IP + 1);
            g_assert_cmphex(f.arp_tpa, ==, GUEST_IP + 1);
        }
        g_assert_cmpuint(resets, ==, 2);
    }
    g_assert_cmpuint(t->web.freed, ==, 1);
    advance(t, 10 * MINUTE_MS);
    g_assert_cmpuint(frames_pending(t), ==, 0);
    peer_clear(&p);
    peer_clear(&q);
    net_free(t);
}

/* A static address wins over all that is learned; 0 goes back to it */
static void test_learn_static_wins(void)
{
    TestNet *t = net_new(false);
    const uint32_t fixed = WIRE_IP(10, 0, 0, 5);
    VamtNetInfo info;

    guest_out(t, guest_arp(GUEST_IP, ROUTER_IP));
    vamt_net_set_static(t->net, fixed, WIRE_IP(255, 0, 0, 0),
                        WIRE_IP(10, 0, 0, 1));
    guest_out(t, guest_arp(GUEST_IP, ROUTER_IP));
    guest_out(t, guest_udp(GUEST_IP, ROUTER_IP));
    net_in(t, dhcp_to_guest(WIRE_DHCPACK, GUEST_IP, nic_mac, false));
    info = net_info(t);
    g_assert_cmpuint(info.source, ==, VAMT_NET_ADDRESS_STATIC);
    g_assert_cmphex(info.address, ==, fixed);
    g_assert_cmphex(info.netmask, ==, WIRE_IP(255, 0, 0, 0));
    g_assert_cmphex(info.gateway, ==, WIRE_IP(10, 0, 0, 1));
    g_assert_false(info.dhcp);
    g_assert_true(me_answers_at(t, fixed));
    g_assert_false(me_answers_at(t, GUEST_IP));

    /* back to learning */
    vamt_net_set_static(t->net, 0, 0, 0);
    g_assert_cmpuint(net_info(t).source, !=, VAMT_NET_ADDRESS_STATIC);
    g_assert_false(me_answers_at(t, fixed));
    guest_out(t, guest_arp(GUEST_IP, ROUTER_IP));
    info = net_info(t);
    g_assert_cmpuint(info.source, ==, VAMT_NET_ADDRESS_ARP);
    g_assert_cmphex(info.address, ==, GUEST_IP);
    /* a lease the guest got is newer and better than its ARP */
    net_in(t, dhcp_to_guest(WIRE_DHCPACK, GUEST_IP + 10, nic_mac, false));
    info = net_info(t);
    g_assert_cmpuint(info.source, ==, VAMT_NET_ADDRESS_DHCP_SNOOP);
    g_assert_cmphex(info.address, ==, GUEST_IP + 10);
    net_free(t);
}

/* ---- the ME's own DHCP client ---- */

static GByteArray *dhcp_to_me(uint8_t type, uint32_t xid, uint32_t yiaddr)
{
    WireDhcp d = {
        .server_mac = router_mac, .dst_mac = wire_broadcast,
        .server = ROUTER_IP, .dst = 0xffffffff,
        .type = type, .xid = xid, .yiaddr = yiaddr, .chaddr = nic_mac,
        .netmask = NETMASK, .router = ROUTER_IP, .lease = 3600,
    };

    return wire_dhcp(&d);
}

/* Wait up to @ms for the ME's next DHCP message */
static bool wait_dhcp(TestNet *t, int64_t ms, WireFrame *f)
{
    int64_t end = t->now + ms;

    while (!next_dhcp(t, f)) {
        if (!advance_to_timer(t, end)) {
            return false;
        }
    }
    return true;
}

static void check_me_dhcp(const WireFrame *f, uint8_t type)
{
    g_assert_true(f->dhcp);
    g_assert_cmpuint(f->dhcp_type, ==, type);
    g_assert_cmpuint(f->dhcp_op, ==, 1);
    g_assert_cmpmem(f->dhcp_chaddr, 6, nic_mac, 6);
    g_assert_cmpmem(f->dst, 6, wire_broadcast, 6);
    g_assert_cmphex(f->ip_dst, ==, 0xffffffff);
    g_assert_cmpuint(f->sport, ==, 68);
    g_assert_cmpuint(f->dport, ==, 67);
}

/* With the guest off and no address, the ME leases one of its own */
static void test_me_dhcp(void)
{
    TestNet *t = net_new(false);
    const uint32_t leased = WIRE_IP(192, 168, 1, 77);
    VamtNetInfo info;
    uint32_t xid;
    WireFrame f;

    vamt_net_set_guest_running(t->net, false);
    g_assert_true(wait_dhcp(t, 10000, &f));
    check_me_dhcp(&f, WIRE_DHCPDISCOVER);
    g_assert_cmphex(f.ip_src, ==, 0);
    xid = f.dhcp_xid;

    net_in(t, dhcp_to_me(WIRE_DHCPOFFER, xid, leased));
    g_assert_true(wait_dhcp(t, 5000, &f));
    check_me_dhcp(&f, WIRE_DHCPREQUEST);
    g_assert_cmphex(f.dhcp_xid, ==, xid);
    g_assert_cmphex(f.dhcp_requested, ==, leased);
    g_assert_cmphex(f.dhcp_server_id, ==, ROUTER_IP);

    net_in(t, dhcp_to_me(WIRE_DHCPACK, xid, leased));
    info = net_info(t);
    g_assert_cmpuint(info.source, ==, VAMT_NET_ADDRESS_ME_DHCP);
    g_assert_cmphex(info.address, ==, leased);
    g_assert_cmphex(info.netmask, ==, NETMASK);
    g_assert_cmphex(info.gateway, ==, ROUTER_IP);
    g_assert_true(info.dhcp);
    drop_frames(t);
    g_assert_true(me_answers_at(t, leased));
    /* and it answers ARP for its lease while the guest cannot */
    g_assert_true(net_in_flags(t, arp_request(leased), VAMT_NET_GUEST_DEAF));
    g_assert_true(next_frame(t, &f));
    g_assert_cmphex(f.arp_spa, ==, leased);
    net_free(t);
}

/*
 * An unanswered DISCOVER is retried, not flooded; an offer for another
 * transaction is no answer
 */
static void test_me_dhcp_retries(void)
{
    TestNet *t = net_new(false);
    unsigned discovers = 0;
    WireFrame f;

    vamt_net_set_guest_running(t->net, false);
    g_assert_true(wait_dhcp(t, 10000, &f));
    net_in(t, dhcp_to_me(WIRE_DHCPOFFER, f.dhcp_xid + 1,
                         WIRE_IP(192, 168, 1, 99)));
    while (wait_dhcp(t, 2 * MINUTE_MS, &f) &&
           f.dhcp_type == WIRE_DHCPDISCOVER) {
        discovers++;
        if (t->now > 1000000 + 2 * MINUTE_MS) {
            break;
        }
    }
    g_assert_cmpuint(discovers, >=, 1);
    g_assert_cmpuint(discovers, <=, 40);
    g_assert_cmpuint(net_info(t).source, ==, VAMT_NET_ADDRESS_NONE);
    net_free(t);
}

/* No DHCP of the ME's while it has an address */
static void test_me_dhcp_quiet(void)
{
    TestNet *t = net_alloc();
    WireFrame f;

    /*
     * As QEMU starts a VM with nic-address=: the endpoint while the VM
     * is not yet running, the NIC's MAC, then the static address
     * (filter-vamt.c, then hw/vamt/nic.c), all before the clock moves.
     */
    t->web_on = false;
    t->net = vamt_net_new(&net_test_ops, t);
    vamt_net_set_guest_running(t->net, false);
    vamt_net_set_mac(t->net, nic_mac);
    vamt_net_set_static(t->net, GUEST_IP, NETMASK, ROUTER_IP);
    g_assert_false(wait_dhcp(t, 2 * MINUTE_MS, &f));
    advance(t, 2 * MINUTE_MS);
    g_assert_false(next_dhcp(t, &f));
    net_free(t);

    t = net_new(false);
    guest_out(t, guest_arp(GUEST_IP, ROUTER_IP));
    vamt_net_set_guest_running(t->net, false);
    advance(t, 2 * MINUTE_MS);
    g_assert_false(next_dhcp(t, &f));
    net_free(t);
}

/* ---- services coming and going ---- */

static void test_services_changed(void)
{
    TestNet *t = net_new(true);
    Peer vnc, web;

    t->vnc_on = true;
    peer_init(&vnc, t, 10, 40090);
    vnc.me_port = VNC_PORT;
    peer_connect(&vnc);
    peer_init(&web, t, 11, 40091);
    peer_connect(&web);
    assert_connections(t, 2);

    t->vnc_on = false;
    vamt_net_services_changed(t->net);
    run_due(t);
    peer_read_all(&vnc);
    g_assert_cmpuint(vnc.resets, ==, 1);
    g_assert_cmpuint(t->vnc.freed, ==, 1);
    assert_connections(t, 1);
    peer_read_all(&web);
    g_assert_cmpuint(web.resets, ==, 0);
    /* 5900 is the guest's again */
    g_assert_false(net_in(t, syn_to(GUEST_IP, nic_mac, VNC_PORT)));

    /* 16992 without a service: reset, and refused from now on */
    t->web_on = false;
    vamt_net_services_changed(t->net);
    run_due(t);
    peer_read_all(&web);
    g_assert_cmpuint(web.resets, ==, 1);
    g_assert_cmpuint(t->web.freed, ==, 1);
    assert_connections(t, 0);
    drop_frames(t);
    g_assert_true(net_in(t, syn_to(GUEST_IP, nic_mac, WEB_PORT)));
    {
        WireFrame f;

        g_assert_true(next_frame(t, &f));
        g_assert_true(f.tcp_flags & WIRE_RST);
    }
    peer_clear(&vnc);
    peer_clear(&web);
    net_free(t);
}

/* ---- bad input ---- */

static void test_truncated(void)
{
    TestNet *t = net_new(true);
    g_autoptr(GByteArray) syn = syn_to(GUEST_IP, nic_mac, WEB_PORT);
    g_autoptr(GByteArray) arp = guest_arp(GUEST_IP, ROUTER_IP);
    g_autoptr(GByteArray) udp = guest_udp(GUEST_IP, ROUTER_IP);
    static const uint8_t nothing[1];

    g_assert_false(vamt_net_from_network(t->net, nothing, 0, 0));
    g_assert_false(vamt_net_from_network(t->net, nothing, 0,
                                         VAMT_NET_GUEST_DEAF |
                                         VAMT_NET_CSUM_TRUSTED));
    vamt_net_from_guest(t->net, nothing, 0);
    for (size_t len = 0; len < syn->len; len++) {
        g_autofree uint8_t *copy = g_memdup2(syn->data, len ? len : 1);

        /* a copy of exactly @len bytes: ASan sees any read past it */
        vamt_net_from_network(t->net, copy, len, 0);
        vamt_net_from_network(t->net, copy, len, VAMT_NET_CSUM_TRUSTED);
        run_due(t);
    }
    assert_untouched(t);
    net_free(t);

    t = net_new(false);
    for (size_t len = 0; len < arp->len; len++) {
        g_autofree uint8_t *a = g_memdup2(arp->data, MAX(len, 1));

        vamt_net_from_guest(t->net, a, len);
    }
    for (size_t len = 0; len < udp->len; len++) {
        g_autofree uint8_t *u = g_memdup2(udp->data, MAX(len, 1));

        vamt_net_from_guest(t->net, u, len);
    }
    g_assert_cmpuint(net_info(t).source, ==, VAMT_NET_ADDRESS_NONE);
    net_free(t);
}

/*
 * A SYN from a broadcast, multicast or unspecified source is dropped
 * without an answer, SYN-ACK or RST (RFC 1122 4.2.3.10, RFC 9293
 * 3.10.7.2): answering would make the ME an amplifier.
 */
static void test_bad_source(void)
{
    static const uint8_t mcast_mac[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
    static const struct {
        uint32_t src;
        const uint8_t *mac;
        uint16_t dport;
    } sources[] = {
        { 0xffffffff, console_mac, WEB_PORT },
        { WIRE_IP(192, 168, 1, 255), console_mac, WEB_PORT },
        { WIRE_IP(224, 0, 0, 1), console_mac, WEB_PORT },
        { WIRE_IP(239, 1, 2, 3), console_mac, 16994 },
        { 0, console_mac, WEB_PORT },
        { 0xffffffff, console_mac, 16994 },
        { WIRE_IP(192, 168, 1, 10), wire_broadcast, WEB_PORT },
        { WIRE_IP(192, 168, 1, 10), mcast_mac, 16993 },
    };
    TestNet *t = net_new(true);
    unsigned answered = 0;

    for (unsigned i = 0; i < G_N_ELEMENTS(sources); i++) {
        WireTcp s = {
            .src_mac = sources[i].mac, .dst_mac = nic_mac,
            .src = sources[i].src, .dst = GUEST_IP,
            .sport = 47000 + i, .dport = sources[i].dport, .seq = 5,
            .flags = WIRE_SYN, .window = 65535, .mss = 1460,
        };
        WireFrame f;

        net_in(t, wire_tcp(&s));
        while (next_frame(t, &f)) {
            g_test_message("SYN from %08x (MAC %02x...) to %u: answered "
                           "with flags %02x", sources[i].src,
                           sources[i].mac[0], sources[i].dport,
                           f.tcp_flags);
            answered++;
        }
        /* a half-open entry for it would be answered again */
        if (net_info(t).half_open) {
            s.flags = WIRE_RST;
            s.seq = 6;
            net_in(t, wire_tcp(&s));
        }
    }
    g_assert_cmpuint(answered, ==, 0);
    net_free(t);
}

/* Ethernet padding and trailing bytes after the IPv4 packet are no data */
static void test_padding(void)
{
    TestNet *t = net_new(true);
    GByteArray *frame;
    EchoConn *c;
    Peer p;

    t->web.echo = false;
    peer_init(&p, t, 10, 40100);
    peer_connect(&p);
    c = echo_service_last(&t->web);

    frame = peer_frame(&p, WIRE_ACK | WIRE_PSH, p.snd_nxt, p.rcv_nxt, "hi",
                       2);
    g_assert_cmpuint(frame->len, <, 60);
    while (frame->len < 60) {
        g_byte_array_append(frame, (const uint8_t *)"\xaa", 1);
    }
    g_assert_true(net_in(t, frame));
    p.snd_nxt += 2;
    frame = peer_frame(&p, WIRE_ACK, p.snd_nxt, p.rcv_nxt, NULL, 0);
    for (unsigned i = 0; i < 100; i++) {
        g_byte_array_append(frame, (const uint8_t *)"\x55", 1);
    }
    g_assert_true(net_in(t, frame));
    g_assert_cmpmem(c->received->data, c->received->len, "hi", 2);
    advance(t, 500);
    peer_read_all(&p);
    g_assert_cmphex(p.last_ack, ==, p.snd_nxt);
    peer_clear(&p);
    net_free(t);
}

/* IPv4 headers that lie about their lengths */
static void test_bad_ip_header(void)
{
    TestNet *t = net_new(true);

    for (unsigned variant = 0; variant < 7; variant++) {
        GByteArray *frame = syn_to(GUEST_IP, nic_mac, WEB_PORT);
        uint8_t *ip = frame->data + WIRE_ETH_HLEN;

        switch (variant) {
        case 0:                 /* header length 16 */
            ip[0] = 0x44;
            break;
        case 1:                 /* header length 60, past the packet */
            ip[0] = 0x4f;
            break;
        case 2:                 /* total length inside the header */
            vamt_put_be16(ip + 2, 12);
            break;
        case 3:
            vamt_put_be16(ip + 2, 0);
            break;
        case 4:                 /* past the frame */
            vamt_put_be16(ip + 2, frame->len);
            break;
        case 5:                 /* IPv6 in an IPv4 ethertype */
            ip[0] = 0x65;
            break;
        case 6:                 /* total length cuts the TCP header */
            vamt_put_be16(ip + 2, WIRE_IP_HLEN + 10);
            break;
        }
        vamt_put_be16(ip + 10, 0);
        {
            /* a right header checksum over whatever the header is */
            uint32_t sum = 0;
            size_t hlen = MIN((size_t)(ip[0] & 0xf) * 4,
                              frame->len - WIRE_ETH_HLEN);

            for (size_t i = 0; i + 1 < hlen; i += 2) {
                sum += vamt_be16(ip + i);
            }
            while (sum >> 16) {
                sum = (sum & 0xffff) + (sum >> 16);
            }
            vamt_put_be16(ip + 10, ~sum);
        }
        net_in(t, frame);
        assert_untouched(t);
    }
    net_free(t);
}

static void test_bad_checksums(void)
{
    TestNet *t = net_new(true);
    uint64_t refused;
    GByteArray *frame;
    EchoConn *c;
    Peer p;

    /* a bad TCP checksum: refused, unless the transport vouches */
    refused = net_info(t).frames_refused;
    frame = syn_to(GUEST_IP, nic_mac, WEB_PORT);
    frame->data[WIRE_ETH_HLEN + WIRE_IP_HLEN + 16] ^= 0x01;
    net_in(t, frame);
    assert_untouched(t);
    g_assert_cmpuint(net_info(t).frames_refused, >, refused);
    frame = syn_to(GUEST_IP, nic_mac, WEB_PORT);
    frame->data[WIRE_ETH_HLEN + WIRE_IP_HLEN + 16] ^= 0x01;
    g_assert_true(net_in_flags(t, frame, VAMT_NET_CSUM_TRUSTED));
    g_assert_cmpuint(net_info(t).half_open, ==, 1);
    drop_frames(t);

    /* a bad IPv4 header checksum */
    frame = syn_to(GUEST_IP, nic_mac, WEB_PORT);
    frame->data[WIRE_ETH_HLEN + WIRE_IP_HLEN + 1] ^= 0x01;   /* new port */
    wire_fix_checksums(frame->data, frame->len);
    frame->data[WIRE_ETH_HLEN + 10] ^= 0x80;
    net_in(t, frame);
    g_assert_cmpuint(frames_pending(t), ==, 0);
    g_assert_cmpuint(net_info(t).half_open, ==, 1);

    /* data with a bad checksum never reaches the service */
    t->web.echo = false;
    peer_init(&p, t, 10, 40110);
    peer_connect(&p);
    c = echo_service_last(&t->web);
    frame = peer_frame(&p, WIRE_ACK | WIRE_PSH, p.snd_nxt, p.rcv_nxt, "bad",
                       3);
    frame->data[frame->len - 1] ^= 0x20;
    net_in(t, frame);
    g_assert_cmpuint(c->received->len, ==, 0);
    frame = peer_frame(&p, WIRE_ACK | WIRE_PSH, p.snd_nxt, p.rcv_nxt, "bad",
                       3);
    frame->data[WIRE_ETH_HLEN + WIRE_IP_HLEN + 16] ^= 0x01;
    net_in_flags(t, frame, VAMT_NET_CSUM_TRUSTED);
    g_assert_cmpmem(c->received->data, c->received->len, "bad", 3);
    peer_clear(&p);
    net_free(t);
}

/* TCP options and data offsets of every odd kind */
static void test_tcp_options(void)
{
    static const struct {
        uint8_t len;
        uint8_t bytes[40];
    } options[] = {
        { 40, { 0xff, 0xff } },                 /* length past the header */
        { 4, { 2, 0 } },                        /* length 0 */
        { 4, { 1, 1, 1, 2 } },                  /* MSS cut short */
        { 4, { 2, 1, 0, 0 } },                  /* length 1 */
        { 4, { 2, 4, 0, 0 } },                  /* MSS 0 */
        { 4, { 2, 4, 0, 1 } },                  /* MSS 1 */
        { 8, { 2, 6, 5, 0xb4, 0, 0, 0, 0 } },   /* MSS of 6 bytes */
        { 40, { 1 } },                          /* NOPs (zeros: EOL) */
        { 40, { 0, 2, 4, 0, 1 } },              /* EOL, then garbage */
        { 40, { 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 3, 3, 14, 4, 2, 2, 4, 2,
                0xff } },                       /* timestamps, wscale... */
    };
    TestNet *t = net_new(true);
    Peer p;

    for (unsigned i = 0; i < G_N_ELEMENTS(options); i++) {
        uint8_t opts[40];
        WireTcp s = {
            .src_mac = console_mac, .dst_mac = nic_mac,
            .src = WIRE_IP(192, 168, 1, 10), .dst = GUEST_IP,
            .sport = 46000 + i, .dport = WEB_PORT, .seq = 5,
            .flags = WIRE_SYN, .window = 65535,
            .options = opts, .options_len = options[i].len,
        };
        WireFrame f;

        memcpy(opts, options[i].bytes, sizeof(opts));
        if (i == 7) {
            memset(opts, 1, sizeof(opts));
        }
        net_in(t, wire_tcp(&s));
        while (next_frame(t, &f)) {
            g_assert_cmpuint(f.dport, ==, s.sport);
        }
    }

    /* data offsets below 5 words and past the segment */
    for (unsigned doff = 0; doff < 16; doff++) {
        GByteArray *frame;

        if (doff >= 5 && doff <= 6) {
            continue;
        }
        frame = syn_to(GUEST_IP, nic_mac, WEB_PORT);
        frame->data[WIRE_ETH_HLEN + WIRE_IP_HLEN + 1] = doff;
        frame->data[WIRE_ETH_HLEN + WIRE_IP_HLEN + 12] = doff << 4;
        wire_fix_checksums(frame->data, frame->len);
        net_in(t, frame);
        g_assert_cmpuint(frames_pending(t), ==, 0);
    }

    /* a tiny MSS still carries the data, in bounded segments */
    t->web.reply_size = 3000;
    peer_init(&p, t, 10, 40120);
    p.mss = 1;
    drop_frames(t);
    if (peer_try_connect(&p)) {
        WireFrame f;

        /* 1 is absurd: the ME may round it up, within 536 */
        p.mss = 0;
        peer_send_str(&p, "x");
        for (unsigned i = 0; p.received->len < 3000; i++) {
            g_assert_cmpuint(i, <, 10000);
            while (peer_reads(&p, &f)) {
                g_assert_false(f.tcp_flags & WIRE_RST);
                g_assert_cmpuint(f.payload_len, >=, 1);
                peer_take(&p, &f);
            }
            peer_ack(&p);
        }
    }
    peer_clear(&p);
    net_free(t);
}

/*
 * Random changes to valid frames of every kind, with and without their
 * checksums fixed: no crash, and every frame sent is well formed (the
 * send op checks it).
 */
static void test_random_frames(void)
{
    TestNet *t = net_new(true);
    g_autoptr(GRand) rand = g_rand_new_with_seed(0x5eed);
    GByteArray *samples[8];
    Peer p;

    peer_init(&p, t, 10, 40130);
    peer_connect(&p);
    samples[0] = syn_to(GUEST_IP, nic_mac, WEB_PORT);
    samples[1] = peer_frame(&p, WIRE_ACK | WIRE_PSH, p.snd_nxt, p.rcv_nxt,
                            "data", 4);
    samples[2] = peer_frame(&p, WIRE_FIN | WIRE_ACK, p.snd_nxt, p.rcv_nxt,
                            NULL, 0);
    samples[3] = arp_request(GUEST_IP);
    samples[4] = ping(GUEST_IP, 8);
    samples[5] = dhcp_to_guest(WIRE_DHCPACK, GUEST_IP, nic_mac, false);
    samples[6] = peer_frame(&p, WIRE_RST, p.snd_nxt, 0, NULL, 0);
    samples[7] = syn_to(GUEST_IP, nic_mac, 16994);

    for (unsigned n = 0; n < 50000; n++) {
        GByteArray *s = samples[g_rand_int_range(rand, 0, 8)];
        size_t len = s->len;
        g_autofree uint8_t *frame = NULL;
        unsigned flips = g_rand_int_range(rand, 1, 5);

        if (g_rand_boolean(rand)) {
            len = g_rand_int_range(rand, 0, s->len + 1);
        }
        frame = g_malloc(MAX(len, 1));
        memcpy(frame, s->data, len);
        for (unsigned i = 0; i < flips && len > WIRE_ETH_HLEN; i++) {
            frame[g_rand_int_range(rand, 12, len)] = g_rand_int(rand);
        }
        if (g_rand_boolean(rand)) {
            wire_fix_checksums(frame, len);
        }
        vamt_net_from_network(t->net, frame, len,
                              g_rand_int_range(rand, 0, 4));
        if (n % 7 == 0) {
            vamt_net_from_guest(t->net, frame, len);
        }
        if (n % 100 == 0) {
            advance(t, g_rand_int_range(rand, 0, 5000));
            drop_frames(t);
        }
        run_due(t);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(samples); i++) {
        g_byte_array_free(samples[i], TRUE);
    }
    peer_clear(&p);
    net_free(t);
}

static void test_source_names(void)
{
    for (int a = VAMT_NET_ADDRESS_NONE; a <= VAMT_NET_ADDRESS_TRAFFIC; a++) {
        g_assert_nonnull(vamt_net_address_source_name(a));
        for (int b = VAMT_NET_ADDRESS_NONE; b < a; b++) {
            g_assert_cmpstr(vamt_net_address_source_name(a), !=,
                            vamt_net_address_source_name(b));
        }
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/net/arp", test_arp);
    g_test_add_func("/vamt/net/icmp", test_icmp);
    g_test_add_func("/vamt/net/ip/fragments", test_fragments);
    g_test_add_func("/vamt/net/learn/dhcp-snoop", test_learn_dhcp_snoop);
    g_test_add_func("/vamt/net/learn/dhcp-others", test_learn_dhcp_others);
    g_test_add_func("/vamt/net/learn/guest-arp", test_learn_guest_arp);
    g_test_add_func("/vamt/net/learn/guest-traffic", test_learn_guest_traffic);
    g_test_add_func("/vamt/net/learn/traffic-stable",
                    test_learn_traffic_stable);
    g_test_add_func("/vamt/net/learn/address-change", test_address_change);
    g_test_add_func("/vamt/net/learn/static-wins", test_learn_static_wins);
    g_test_add_func("/vamt/net/dhcp/lease", test_me_dhcp);
    g_test_add_func("/vamt/net/dhcp/retries", test_me_dhcp_retries);
    g_test_add_func("/vamt/net/dhcp/quiet", test_me_dhcp_quiet);
    g_test_add_func("/vamt/net/services-changed", test_services_changed);
    g_test_add_func("/vamt/net/bad/truncated", test_truncated);
    g_test_add_func("/vamt/net/bad/source", test_bad_source);
    g_test_add_func("/vamt/net/bad/padding", test_padding);
    g_test_add_func("/vamt/net/bad/ip-header", test_bad_ip_header);
    g_test_add_func("/vamt/net/bad/checksums", test_bad_checksums);
    g_test_add_func("/vamt/net/bad/tcp-options", test_tcp_options);
    g_test_add_func("/vamt/net/bad/random", test_random_frames);
    g_test_add_func("/vamt/net/source-names", test_source_names);
    return g_test_run();
}
