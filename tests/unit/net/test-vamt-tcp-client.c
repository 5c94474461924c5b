/*
 * The NIC endpoint's own TCP connections out (net/vamt/tcp-client.c),
 * frames in and frames out: ARP for the next hop, the active open, data
 * both ways, the ends (the peer's FIN, the ME's close, refusal, no
 * answer), and what must not happen (a report from inside the ME's own
 * call, a guest's segment taken for the ME's).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "net-test-env.h"

#define SERVER_IP       WIRE_IP(10, 20, 30, 40)   /* beyond the router */
#define SERVER_PORT     8080
#define NEIGHBOUR_IP    WIRE_IP(192, 168, 1, 77)  /* on the link */

/* The far end of the ME's connection, as the wire shows it */
typedef struct Server {
    TestNet *t;
    const uint8_t *mac;         /* the next hop's */
    uint32_t ip;
    uint16_t port, me_port;
    uint32_t me_iss, rcv_nxt;   /* the ME's sequence space */
    uint32_t iss, snd_nxt;      /* ours */
    GByteArray *received;
    bool fin;
} Server;

/* The next ARP request the ME sent; false if none */
static bool arp_request_for(TestNet *t, uint32_t ip)
{
    WireFrame f;

    while (next_frame(t, &f)) {
        if (f.ethertype == WIRE_ETH_ARP) {
            g_assert_cmpuint(f.arp_op, ==, WIRE_ARP_REQUEST);
            g_assert_cmpmem(f.dst, 6, wire_broadcast, 6);
            g_assert_cmpmem(f.arp_sha, 6, nic_mac, 6);
            g_assert_cmphex(f.arp_spa, ==, GUEST_IP);
            g_assert_cmphex(f.arp_tpa, ==, ip);
            return true;
        }
    }
    return false;
}

static void arp_reply(TestNet *t, const uint8_t *mac, uint32_t ip)
{
    /* the guest sees ARP too: the ME learns, and takes nothing */
    g_assert_false(net_in(t, wire_arp(WIRE_ARP_REPLY, nic_mac, mac, ip,
                                      nic_mac, GUEST_IP)));
}

/* The next TCP segment of the ME's to @s; false if none */
static bool server_reads(Server *s, WireFrame *f)
{
    while (next_frame(s->t, f)) {
        if (f->ethertype == WIRE_ETH_IPV4 && f->ip_proto == WIRE_IP_TCP &&
            f->ip_dst == s->ip && f->dport == s->port) {
            g_assert_cmpmem(f->dst, 6, s->mac, 6);
            g_assert_cmphex(f->ip_src, ==, GUEST_IP);
            return true;
        }
    }
    return false;
}

/* The ME's SYN: from a port of its range, with an MSS, no ACK */
static void server_reads_syn(Server *s)
{
    WireFrame f;

    g_assert_true(server_reads(s, &f));
    g_assert_cmphex(f.tcp_flags, ==, WIRE_SYN);
    g_assert_cmpuint(f.sport, >=, VAMT_NET_CLIENT_PORT_FIRST);
    g_assert_cmpuint(f.sport, <=, VAMT_NET_CLIENT_PORT_LAST);
    g_assert_cmpuint(f.mss, ==, 1460);
    g_assert_cmpuint(f.payload_len, ==, 0);
    s->me_port = f.sport;
    s->me_iss = f.seq;
    s->rcv_nxt = f.seq + 1;
}

static bool server_tcp(Server *s, uint8_t flags, const void *data,
                       size_t len)
{
    WireTcp seg = {
        .src_mac = s->mac, .dst_mac = nic_mac,
        .src = s->ip, .dst = GUEST_IP,
        .sport = s->port, .dport = s->me_port,
        .seq = s->snd_nxt, .ack = s->rcv_nxt, .flags = flags,
        .window = 65535, .mss = (flags & WIRE_SYN) ? 1400 : 0,
        .data = data, .len = len,
    };
    bool taken = net_in(s->t, wire_tcp(&seg));

    s->snd_nxt += len + !!(flags & WIRE_SYN) + !!(flags & WIRE_FIN);
    return taken;
}

/* Read all the ME sent, keep its data and FIN; how many segments */
static unsigned server_read_all(Server *s)
{
    unsigned n = 0;
    WireFrame f;

    while (server_reads(s, &f)) {
        g_assert_true(f.tcp_flags & WIRE_ACK);
        g_assert_false(f.tcp_flags & WIRE_RST);
        if (f.payload_len && f.seq == s->rcv_nxt) {
            g_assert_cmpuint(f.payload_len, <=, 1400);
            g_byte_array_append(s->received, f.payload, f.payload_len);
            s->rcv_nxt += f.payload_len;
        }
        if ((f.tcp_flags & WIRE_FIN) &&
            f.seq + f.payload_len == s->rcv_nxt) {
            s->fin = true;
            s->rcv_nxt++;
        }
        n++;
    }
    return n;
}

static void server_init(Server *s, TestNet *t, const uint8_t *mac,
                        uint32_t ip)
{
    memset(s, 0, sizeof(*s));
    s->t = t;
    s->mac = mac;
    s->ip = ip;
    s->port = SERVER_PORT;
    s->iss = 777000;
    s->snd_nxt = s->iss;
    s->received = g_byte_array_new();
}

static void server_clear(Server *s)
{
    g_byte_array_free(s->received, TRUE);
}

/* Connection @id to the server: the ME's ARP for the router, answered */
static void resolve_router(TestNet *t, Server *s, uint64_t id)
{
    server_init(s, t, router_mac, SERVER_IP);
    g_assert_true(client_connect(t, id, SERVER_IP, SERVER_PORT));
    run_due(t);
    g_assert_true(arp_request_for(t, ROUTER_IP));
    arp_reply(t, router_mac, ROUTER_IP);
}

/* ARP for the router, then the handshake: connection @id is up */
static void open_through_router(TestNet *t, Server *s, uint64_t id)
{
    resolve_router(t, s, id);
    server_reads_syn(s);
    g_assert_true(server_tcp(s, WIRE_SYN | WIRE_ACK, NULL, 0));
    g_assert_cmpuint(t->client[id].connected, ==, 1);
    g_assert_cmpuint(server_read_all(s), ==, 1);      /* the ACK */
}

/* Off the link: ARP for the gateway, the handshake, data, the peer's end */
static void test_through_gateway(void)
{
    TestNet *t = net_new(true);
    Server s;

    server_init(&s, t, router_mac, SERVER_IP);
    g_assert_true(client_connect(t, 1, SERVER_IP, SERVER_PORT));
    /* nothing goes on the wire from inside the ME's call */
    g_assert_cmpuint(frames_pending(t), ==, 0);
    g_assert_cmpuint(net_info(t).outbound, ==, 1);
    g_assert_cmpuint(net_info(t).connections, ==, 0);
    run_due(t);
    g_assert_true(arp_request_for(t, ROUTER_IP));
    arp_reply(t, router_mac, ROUTER_IP);
    server_reads_syn(&s);
    g_assert_cmpuint(t->client[1].connected, ==, 0);
    g_assert_true(server_tcp(&s, WIRE_SYN | WIRE_ACK, NULL, 0));
    g_assert_cmpuint(t->client[1].connected, ==, 1);
    g_assert_cmpuint(server_read_all(&s), ==, 1);

    /* the ME's bytes, in MSS-sized segments; the peer's, to the ME */
    g_autofree char *big = g_strnfill(5000, 'x');
    vamt_net_client_write(t->net, 1, (const uint8_t *)"POST / HTTP/1.1\r\n",
                          17);
    vamt_net_client_write(t->net, 1, (const uint8_t *)big, 5000);
    run_due(t);
    server_read_all(&s);
    g_assert_cmpuint(s.received->len, ==, 5017);
    g_assert_cmpmem(s.received->data, 17, "POST / HTTP/1.1\r\n", 17);
    g_assert_true(server_tcp(&s, WIRE_ACK | WIRE_PSH, "HTTP/1.1 200 OK\r\n",
                             17));
    g_assert_cmpmem(t->client[1].input->data, t->client[1].input->len,
                    "HTTP/1.1 200 OK\r\n", 17);
    server_read_all(&s);

    /* the peer ends it: closed once; the ME's FIN follows */
    g_assert_true(server_tcp(&s, WIRE_FIN | WIRE_ACK, NULL, 0));
    g_assert_cmpuint(t->client[1].closed, ==, 1);
    server_read_all(&s);
    g_assert_true(s.fin);
    g_assert_true(server_tcp(&s, WIRE_ACK, NULL, 0));
    g_assert_cmpuint(net_info(t).outbound, ==, 0);
    /*
     * ARP found the router once: a second connection goes straight on,
     * from another port (the server may hold the first in TIME-WAIT)
     */
    {
        Server s2;

        server_init(&s2, t, router_mac, SERVER_IP);
        g_assert_true(client_connect(t, 2, SERVER_IP, SERVER_PORT));
        run_due(t);
        server_reads_syn(&s2);
        g_assert_cmpuint(s2.me_port, !=, s.me_port);
        server_clear(&s2);
    }
    server_clear(&s);
    net_free(t);
}

/* On the link: ARP for the peer itself, not the gateway */
static void test_on_link(void)
{
    TestNet *t = net_new(true);
    Server s;

    server_init(&s, t, other_mac, NEIGHBOUR_IP);
    g_assert_true(client_connect(t, 1, NEIGHBOUR_IP, SERVER_PORT));
    run_due(t);
    g_assert_true(arp_request_for(t, NEIGHBOUR_IP));
    arp_reply(t, other_mac, NEIGHBOUR_IP);
    server_reads_syn(&s);
    server_clear(&s);
    net_free(t);
}

/* Nobody answers ARP: asked again each second, then closed, no SYN */
static void test_arp_unanswered(void)
{
    TestNet *t = net_new(true);
    unsigned asked = 0;

    g_assert_true(client_connect(t, 1, SERVER_IP, SERVER_PORT));
    for (int i = 0; i < 10 && !t->client[1].closed; i++) {
        advance(t, 1000);
        while (arp_request_for(t, ROUTER_IP)) {
            asked++;
        }
    }
    g_assert_cmpuint(asked, >=, 3);
    g_assert_cmpuint(asked, <=, 5);
    g_assert_cmpuint(t->client[1].closed, ==, 1);
    g_assert_cmpuint(t->client[1].connected, ==, 0);
    g_assert_cmpuint(net_info(t).outbound, ==, 0);
    g_assert_cmpint(t->timer, ==, -1);
    net_free(t);
}

/* RST to the SYN: refused, closed once, never connected */
static void test_refused(void)
{
    TestNet *t = net_new(true);
    Server s;

    resolve_router(t, &s, 3);
    server_reads_syn(&s);
    /* a RST whose ACK is not ours is ignored (RFC 9293 3.10.7.3) */
    s.rcv_nxt += 5;
    server_tcp(&s, WIRE_RST | WIRE_ACK, NULL, 0);
    g_assert_cmpuint(t->client[3].closed, ==, 0);
    s.rcv_nxt -= 5;
    g_assert_true(server_tcp(&s, WIRE_RST | WIRE_ACK, NULL, 0));
    g_assert_cmpuint(t->client[3].closed, ==, 1);
    g_assert_cmpuint(t->client[3].connected, ==, 0);
    g_assert_cmpuint(net_info(t).outbound, ==, 0);
    server_clear(&s);
    net_free(t);
}

/* No answer to the SYN: sent again with backoff, then given up */
static void test_syn_unanswered(void)
{
    TestNet *t = net_new(true);
    int64_t last = -1, gap = 0;
    unsigned syns = 0;
    Server s;

    resolve_router(t, &s, 1);
    while (!t->client[1].closed && advance_to_timer(t, t->now + 120000)) {
        WireFrame f;

        while (server_reads(&s, &f)) {
            g_assert_cmphex(f.tcp_flags, ==, WIRE_SYN);
            if (last >= 0) {
                g_assert_cmpint(t->now - last, >=, gap);
                gap = t->now - last;
            }
            last = t->now;
            syns++;
        }
    }
    g_assert_cmpuint(syns, ==, 6);      /* the first and 5 retries */
    g_assert_cmpint(gap, >=, 16000);
    g_assert_cmpuint(t->client[1].closed, ==, 1);
    g_assert_cmpuint(net_info(t).outbound, ==, 0);
    server_clear(&s);
    net_free(t);
}

/* The SYN is lost once: sent again, and the handshake completes */
static void test_syn_lost(void)
{
    TestNet *t = net_new(true);
    Server s;

    resolve_router(t, &s, 1);
    drop_frames(t);
    advance(t, 1000);
    server_reads_syn(&s);
    g_assert_true(server_tcp(&s, WIRE_SYN | WIRE_ACK, NULL, 0));
    g_assert_cmpuint(t->client[1].connected, ==, 1);
    server_clear(&s);
    net_free(t);
}

/* Nowhere to go: no address of its own, no gateway, not unicast */
static void test_no_route(void)
{
    TestNet *t = net_new(false);

    g_assert_false(client_connect(t, 1, SERVER_IP, SERVER_PORT));
    net_free(t);

    t = net_new(false);
    vamt_net_set_static(t->net, GUEST_IP, NETMASK, 0);
    g_assert_false(client_connect(t, 1, SERVER_IP, SERVER_PORT));
    g_assert_true(client_connect(t, 2, NEIGHBOUR_IP, SERVER_PORT));
    g_assert_false(client_connect(t, 3, WIRE_IP(224, 0, 0, 1), 80));
    g_assert_false(client_connect(t, 4, WIRE_IP(192, 168, 1, 255), 80));
    g_assert_false(client_connect(t, 5, GUEST_IP, 80));
    g_assert_false(client_connect(t, 6, NEIGHBOUR_IP, 0));
    g_assert_false(client_connect(t, 2, NEIGHBOUR_IP, SERVER_PORT));
    g_assert_cmpuint(t->client[1].closed + t->client[3].closed, ==, 0);
    net_free(t);
}

/* At most VAMT_NET_MAX_OUTBOUND at once */
static void test_cap(void)
{
    TestNet *t = net_new(true);

    for (unsigned i = 0; i < VAMT_NET_MAX_OUTBOUND; i++) {
        g_assert_true(client_connect(t, i, SERVER_IP, SERVER_PORT));
    }
    g_assert_false(client_connect(t, VAMT_NET_MAX_OUTBOUND, SERVER_IP,
                                  SERVER_PORT));
    g_assert_cmpuint(net_info(t).outbound, ==, VAMT_NET_MAX_OUTBOUND);
    net_free(t);
}

/*
 * The ME closes from inside its own report of the peer's bytes: no
 * report after that; what it wrote goes, then FIN
 */
static void test_close_from_report(void)
{
    TestNet *t = net_new(true);
    Server s;

    open_through_router(t, &s, 1);
    vamt_net_client_write(t->net, 1, (const uint8_t *)"bye", 3);
    t->client[1].close_on_input = true;
    g_assert_true(server_tcp(&s, WIRE_ACK | WIRE_PSH, "ok", 2));
    g_assert_cmpuint(t->client[1].input->len, ==, 2);
    server_read_all(&s);
    g_assert_cmpmem(s.received->data, s.received->len, "bye", 3);
    g_assert_true(s.fin);
    /* the peer's data after the ME closed is not reported */
    g_assert_true(server_tcp(&s, WIRE_ACK | WIRE_PSH, "more", 4));
    g_assert_cmpuint(t->client[1].input->len, ==, 2);
    g_assert_true(server_tcp(&s, WIRE_FIN | WIRE_ACK, NULL, 0));
    server_read_all(&s);
    g_assert_cmpuint(t->client[1].closed, ==, 0);
    advance(t, 31000);                  /* TIME_WAIT */
    g_assert_cmpuint(net_info(t).outbound, ==, 0);
    server_clear(&s);
    net_free(t);
}

/* Closed by the ME before the handshake: gone, and nothing reported */
static void test_close_while_opening(void)
{
    TestNet *t = net_new(true);
    Server s;

    g_assert_true(client_connect(t, 1, SERVER_IP, SERVER_PORT));
    vamt_net_client_close(t->net, 1);
    run_due(t);
    g_assert_cmpuint(net_info(t).outbound, ==, 0);
    g_assert_false(arp_request_for(t, ROUTER_IP));

    resolve_router(t, &s, 2);
    server_reads_syn(&s);
    vamt_net_client_close(t->net, 2);
    run_due(t);
    g_assert_cmpuint(net_info(t).outbound, ==, 0);
    /* its SYN-ACK comes late: not the ME's any more, the guest's */
    g_assert_false(server_tcp(&s, WIRE_SYN | WIRE_ACK, NULL, 0));
    g_assert_cmpuint(t->client[2].connected + t->client[2].closed, ==, 0);
    g_assert_cmpuint(t->client[1].connected + t->client[1].closed, ==, 0);
    server_clear(&s);
    net_free(t);
}

/*
 * Only the exact addresses and ports are the ME's: the guest's own
 * traffic on the same local port from another peer or port passes
 */
static void test_exact_tuple(void)
{
    TestNet *t = net_new(true);
    Server s, other;

    open_through_router(t, &s, 1);
    server_init(&other, t, router_mac, SERVER_IP);
    other.port = SERVER_PORT + 1;
    other.me_port = s.me_port;
    g_assert_false(server_tcp(&other, WIRE_ACK | WIRE_PSH, "guest's", 7));
    other.port = SERVER_PORT;
    other.ip = SERVER_IP + 1;
    g_assert_false(server_tcp(&other, WIRE_ACK | WIRE_PSH, "guest's", 7));
    g_assert_cmpuint(t->client[1].input->len, ==, 0);
    g_assert_true(server_tcp(&s, WIRE_ACK | WIRE_PSH, "mine", 4));
    g_assert_cmpuint(t->client[1].input->len, ==, 4);
    server_clear(&other);
    server_clear(&s);
    net_free(t);
}

/* The address moves: its connections out end, reported closed */
static void test_address_change(void)
{
    TestNet *t = net_new(true);
    Server s;

    open_through_router(t, &s, 1);
    vamt_net_set_static(t->net, WIRE_IP(192, 168, 1, 60), NETMASK,
                        ROUTER_IP);
    g_assert_cmpuint(t->client[1].closed, ==, 1);
    g_assert_cmpuint(net_info(t).outbound, ==, 0);
    server_clear(&s);
    net_free(t);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/net/client/through-gateway", test_through_gateway);
    g_test_add_func("/vamt/net/client/on-link", test_on_link);
    g_test_add_func("/vamt/net/client/arp-unanswered", test_arp_unanswered);
    g_test_add_func("/vamt/net/client/refused", test_refused);
    g_test_add_func("/vamt/net/client/syn-unanswered", test_syn_unanswered);
    g_test_add_func("/vamt/net/client/syn-lost", test_syn_lost);
    g_test_add_func("/vamt/net/client/no-route", test_no_route);
    g_test_add_func("/vamt/net/client/cap", test_cap);
    g_test_add_func("/vamt/net/client/close-from-report",
                    test_close_from_report);
    g_test_add_func("/vamt/net/client/close-while-opening",
                    test_close_while_opening);
    g_test_add_func("/vamt/net/client/exact-tuple", test_exact_tuple);
    g_test_add_func("/vamt/net/client/address-change", test_address_change);
    return g_test_run();
}
