/*
 * Unit tests of the ME's TCP server on the guest NIC (net/vamt/tcp.c):
 * frames in, frames out, on a fake clock, as a console sees them:
 * handshake, data, closing, loss, duplication, reordering, windows,
 * resets and caps.  Every frame the ME sends is parsed strictly and must
 * come from the NIC's MAC; under ASan a service connection the endpoint
 * never frees fails the test.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "net-test-env.h"

/* ---- TCP: the normal course ---- */

static void test_handshake(void)
{
    TestNet *t = net_new(true);
    EchoConn *c;
    Peer p;
    WireFrame f;
    VamtNetInfo info;

    peer_init(&p, t, 10, 40000);
    g_assert_true(peer_tcp(&p, WIRE_SYN, p.iss, 0, NULL, 0));
    g_assert_true(next_frame(t, &f));
    /* from the NIC's MAC and the guest's address, to the SYN's source */
    g_assert_cmpmem(f.dst, 6, p.mac, 6);
    g_assert_cmphex(f.ip_src, ==, GUEST_IP);
    g_assert_cmphex(f.ip_dst, ==, p.ip);
    g_assert_cmpuint(f.sport, ==, WEB_PORT);
    g_assert_cmpuint(f.dport, ==, p.port);
    g_assert_cmphex(f.tcp_flags, ==, WIRE_SYN | WIRE_ACK);
    g_assert_cmphex(f.ack, ==, p.iss + 1);
    g_assert_cmpuint(f.mss, >=, 536);
    g_assert_cmpuint(f.mss, <=, 1460);
    g_assert_cmpuint(f.window, >, 0);
    g_assert_cmpuint(f.payload_len, ==, 0);
    g_assert_cmpuint(frames_pending(t), ==, 0);
    info = net_info(t);
    g_assert_cmpuint(info.half_open, ==, 1);
    g_assert_cmpuint(info.connections, ==, 0);

    p.snd_nxt = p.iss + 1;
    p.rcv_nxt = f.seq + 1;
    peer_ack(&p);
    /* a bare ACK gets no answer */
    g_assert_cmpuint(frames_pending(t), ==, 0);
    info = net_info(t);
    g_assert_cmpuint(info.half_open, ==, 0);
    g_assert_cmpuint(info.connections, ==, 1);
    g_assert_cmpuint(info.frames_taken, ==, 2);
    g_assert_cmpuint(info.frames_sent, ==, t->sent_total);
    g_assert_cmpuint(t->web.opened, ==, 1);
    c = echo_service_last(&t->web);
    g_assert_nonnull(strstr(c->peer, "192.168.1.10"));
    g_assert_cmpuint(c->received->len, ==, 0);
    peer_clear(&p);
    net_free(t);
}

/* Initial sequence numbers cannot be guessed from one another */
static void test_isn(void)
{
    TestNet *t = net_new(true);
    uint32_t isn[8];

    for (unsigned i = 0; i < G_N_ELEMENTS(isn); i++) {
        Peer p;

        peer_init(&p, t, 10, 41000 + i);
        g_assert_true(peer_syn(&p));
        isn[i] = p.me_iss;
        for (unsigned j = 0; j < i; j++) {
            g_assert_cmphex(isn[j], !=, isn[i]);
            g_assert_cmphex(isn[j] + 1, !=, isn[i]);
        }
        peer_clear(&p);
    }
    net_free(t);
}

static void test_data_in_order(void)
{
    TestNet *t = net_new(true);
    EchoConn *c;
    Peer p;

    peer_init(&p, t, 10, 40001);
    peer_connect(&p);
    c = echo_service_last(&t->web);
    peer_send_str(&p, "hello ");
    peer_send_str(&p, "world");
    g_assert_cmpmem(c->received->data, c->received->len, "hello world", 11);
    g_assert_cmpuint(c->inputs, ==, 2);
    /* the echo comes back, and the ME acknowledged everything */
    peer_read_all(&p);
    g_assert_cmpmem(p.received->data, p.received->len, "hello world", 11);
    g_assert_cmphex(p.last_ack, ==, p.snd_nxt);
    g_assert_false(p.fin);
    g_assert_cmpuint(p.resets, ==, 0);
    peer_clear(&p);
    net_free(t);
}

/* The peer's data is acknowledged even when the service answers nothing */
static void test_ack_without_reply(void)
{
    TestNet *t = net_new(true);
    Peer p;

    t->web.echo = false;
    peer_init(&p, t, 10, 40002);
    peer_connect(&p);
    peer_send_str(&p, "quiet");
    /* at once or delayed, but within RFC 1122's half second */
    advance(t, 500);
    peer_read_all(&p);
    g_assert_cmphex(p.last_ack, ==, p.snd_nxt);
    g_assert_cmpuint(p.received->len, ==, 0);
    peer_clear(&p);
    net_free(t);
}

static void check_reply_mss(uint16_t mss, size_t limit)
{
    TestNet *t = net_new(true);
    const size_t size = 20000;
    Peer p;

    t->web.reply_size = size;
    peer_init(&p, t, 10, 40003);
    p.mss = mss;
    peer_connect(&p);
    peer_send_str(&p, "GET");
    peer_sync(&p);
    g_assert_cmpuint(p.received->len, ==, size);
    for (size_t i = 0; i < size; i++) {
        g_assert_cmpuint(p.received->data[i], ==, wire_pattern(i));
    }
    g_assert_cmpuint(p.max_payload, <=, limit);
    g_assert_cmpuint(p.max_payload, >, 0);
    /* all of it taken: the transport holds nothing more */
    g_assert_cmpuint(echo_conn_pending(echo_service_last(&t->web)), ==, 0);
    peer_clear(&p);
    net_free(t);
}

/* Long answers are cut to the peer's MSS, 536 without one, 1460 at most */
static void test_mss(void)
{
    check_reply_mss(536, 536);
    check_reply_mss(0, 536);
    check_reply_mss(9000, 1460);
    check_reply_mss(1200, 1200);
}

/* The service writes outside input (wake): it goes out on the next turn */
static void test_wake(void)
{
    TestNet *t = net_new(true);
    EchoConn *c;
    Peer p;

    peer_init(&p, t, 10, 40004);
    peer_connect(&p);
    c = echo_service_last(&t->web);
    echo_conn_push(c, "async", 5);
    run_due(t);
    peer_read_all(&p);
    g_assert_cmpmem(p.received->data, p.received->len, "async", 5);
    if (c->ops->pending) {
        g_assert_cmpuint(echo_conn_pending(c), >=, 1);
        peer_ack(&p);
        g_assert_cmpuint(echo_conn_pending(c), ==, 0);
    }
    peer_clear(&p);
    net_free(t);
}

/* The service's own time-out runs on the endpoint's timer */
static void test_service_timeout(void)
{
    TestNet *t = net_new(true);
    Peer p;

    t->web.idle_ms = 30000;
    peer_init(&p, t, 10, 40005);
    peer_connect(&p);
    advance(t, 29000);
    peer_read_all(&p);
    g_assert_false(p.fin);
    advance(t, 1500);
    peer_read_all(&p);
    g_assert_true(p.fin);
    g_assert_cmpuint(t->web.freed, ==, 1);
    peer_ack(&p);
    peer_fin(&p);
    peer_clear(&p);
    net_free(t);
}

/* An idle connection costs no timer events */
static void test_idle_no_timer(void)
{
    TestNet *t = net_new(true);
    unsigned ticks;
    Peer p;

    peer_init(&p, t, 10, 40006);
    peer_connect(&p);
    peer_send_str(&p, "x");
    peer_sync(&p);
    advance(t, 1000);
    ticks = t->ticks;
    advance(t, 10 * MINUTE_MS);
    g_assert_cmpuint(t->ticks - ticks, <, 20);
    g_assert_cmpuint(frames_pending(t), ==, 0);
    assert_connections(t, 1);
    peer_clear(&p);
    net_free(t);
}

/* Sequence numbers of the peer's wrap past 2^32 */
static void test_sequence_wrap(void)
{
    TestNet *t = net_new(true);
    uint8_t data[300];
    EchoConn *c;
    Peer p;

    t->web.echo = false;
    peer_init(&p, t, 10, 40007);
    p.iss = 0xffffff00u;
    peer_connect(&p);
    c = echo_service_last(&t->web);
    for (unsigned i = 0; i < sizeof(data); i++) {
        data[i] = wire_pattern(i);
    }
    peer_send(&p, data, 200);
    peer_send(&p, data + 200, 100);
    g_assert_cmpmem(c->received->data, c->received->len, data, sizeof(data));
    advance(t, 500);
    peer_read_all(&p);
    g_assert_cmphex(p.last_ack, ==, p.snd_nxt);
    peer_clear(&p);
    net_free(t);
}

/* ---- TCP: closing ---- */

/* The peer's FIN: eof once; the service may still answer, then close */
static void test_peer_close(void)
{
    TestNet *t = net_new(true);
    EchoConn *c;
    uint32_t fin_seq;
    unsigned fins;
    Peer p;

    peer_init(&p, t, 10, 40010);
    peer_connect(&p);
    c = echo_service_last(&t->web);
    g_assert_true(peer_tcp(&p, WIRE_FIN | WIRE_ACK | WIRE_PSH, p.snd_nxt,
                           p.rcv_nxt, "hi", 2));
    p.snd_nxt += 3;
    g_assert_cmpmem(c->received->data, c->received->len, "hi", 2);
    g_assert_cmpuint(c->eofs, ==, 1);
    peer_read_all(&p);
    g_assert_cmphex(p.last_ack, ==, p.snd_nxt);
    g_assert_cmpmem(p.received->data, p.received->len, "hi", 2);

    /* the FIN again (our ACK was lost): acknowledged, no second eof */
    g_assert_true(peer_tcp(&p, WIRE_FIN | WIRE_ACK, p.snd_nxt - 1,
                           p.rcv_nxt, NULL, 0));
    g_assert_cmpuint(c->eofs, ==, 1);
    advance(t, 500);
    peer_read_all(&p);
    g_assert_cmphex(p.last_ack, ==, p.snd_nxt);

    /* half-closed: the ME still sends */
    echo_conn_push(c, "late", 4);
    run_due(t);
    peer_read_all(&p);
    g_assert_cmpmem(p.received->data, p.received->len, "hilate", 6);
    peer_ack(&p);

    /* the service closes: FIN; lost, it comes again */
    echo_conn_close(c);
    run_due(t);
    peer_read_all(&p);
    g_assert_true(p.fin);
    fin_seq = p.rcv_nxt - 1;
    fins = p.fins;
    advance(t, 5000);
    {
        WireFrame f;

        while (peer_reads(&p, &f)) {
            g_assert_true(f.tcp_flags & WIRE_FIN);
            g_assert_cmphex(f.seq, ==, fin_seq);
            peer_take(&p, &f);
        }
    }
    g_assert_cmpuint(p.fins, >, fins);
    /* LAST_ACK ends with the peer's ACK */
    peer_ack(&p);
    assert_connections(t, 0);
    g_assert_cmpuint(t->web.freed, ==, 1);
    g_assert_cmpuint(frames_pending(t), ==, 0);
    assert_peer_reset_by(&p, WIRE_ACK);
    peer_clear(&p);
    net_free(t);
}

/* The service closes first: data, FIN, the peer's FIN, TIME_WAIT */
static void test_active_close(void)
{
    TestNet *t = net_new(true);
    VamtNetInfo info;
    WireFrame f;
    Peer p;

    peer_init(&p, t, 10, 40011);
    peer_connect(&p);
    peer_send_str(&p, "QUIT");
    peer_read_all(&p);
    /* the FIN follows the last byte ("BYE") */
    g_assert_cmpmem(p.received->data, p.received->len, "QUITBYE", 7);
    g_assert_true(p.fin);
    peer_ack(&p);
    g_assert_cmpuint(frames_pending(t), ==, 0);
    peer_fin(&p);
    advance(t, 500);
    g_assert_true(peer_reads(&p, &f));
    g_assert_cmphex(f.tcp_flags & (WIRE_FIN | WIRE_RST | WIRE_SYN), ==, 0);
    g_assert_cmphex(f.ack, ==, p.snd_nxt);
    g_assert_cmpuint(f.payload_len, ==, 0);
    info = net_info(t);
    g_assert_cmpuint(info.connections, <=, 1);
    g_assert_cmpuint(t->web.freed, ==, 1);

    /* TIME_WAIT: our FIN again gets its ACK again */
    advance(t, 1000);
    g_assert_true(peer_tcp(&p, WIRE_FIN | WIRE_ACK, p.snd_nxt - 1,
                           p.rcv_nxt, NULL, 0));
    advance(t, 500);
    g_assert_true(peer_reads(&p, &f));
    g_assert_cmphex(f.tcp_flags & (WIRE_RST | WIRE_SYN), ==, 0);
    g_assert_cmphex(f.ack, ==, p.snd_nxt);

    /* 2 MSL at most (RFC 9293: 4 minutes), then nothing is left */
    advance(t, 4 * MINUTE_MS + 1000);
    assert_connections(t, 0);
    g_assert_cmpuint(net_info(t).half_open, ==, 0);
    assert_peer_reset_by(&p, WIRE_ACK);

    /* and the same ports make a new connection */
    p.iss += 100000;
    drop_frames(t);
    peer_connect(&p);
    assert_connections(t, 1);
    peer_clear(&p);
    net_free(t);
}

/* A peer that takes the ME's FIN and never sends its own: bounded */
static void test_fin_wait_2_bounded(void)
{
    TestNet *t = net_new(true);
    Peer p;

    peer_init(&p, t, 10, 40012);
    peer_connect(&p);
    peer_send_str(&p, "QUIT");
    peer_read_all(&p);
    g_assert_true(p.fin);
    peer_ack(&p);
    advance(t, 30 * MINUTE_MS);
    assert_connections(t, 0);
    g_assert_cmpuint(t->web.freed, ==, 1);
    assert_peer_reset_by(&p, WIRE_ACK);
    peer_clear(&p);
    net_free(t);
}

/*
 * The ME's FIN has one sequence number.  Data and FIN went out; the
 * peer acknowledged part and shrank its window; the RTO resent what the
 * window allows; then the peer acknowledged everything, FIN included:
 * the ME must not send another FIN after it, and closes cleanly.
 */
static void test_fin_once(void)
{
    TestNet *t = net_new(true);
    const char *msg = "0123456789abcdefghijQUIT";
    uint32_t fin_seq, all;
    WireFrame f;
    Peer p;

    peer_init(&p, t, 10, 40014);
    peer_connect(&p);
    peer_send_str(&p, msg);
    peer_read_all(&p);
    g_assert_cmpuint(p.received->len, ==, strlen(msg) + 3);
    g_assert_true(p.fin);
    fin_seq = p.rcv_nxt - 1;
    all = p.rcv_nxt;

    /* part acknowledged, the window nearly shut */
    p.window = 5;
    g_assert_true(peer_tcp(&p, WIRE_ACK, p.snd_nxt, p.me_iss + 1 + 10, NULL,
                           0));
    for (unsigned resent = 0; !resent;) {
        g_assert_true(advance_to_timer(t, t->now + MINUTE_MS));
        while (peer_reads(&p, &f)) {
            g_assert_false(f.tcp_flags & WIRE_RST);
            g_assert_cmpuint(f.payload_len, <=, 5);
            resent += f.payload_len;
        }
    }
    /* then all of it, FIN included */
    p.window = 65535;
    g_assert_true(peer_tcp(&p, WIRE_ACK, p.snd_nxt, all, NULL, 0));
    while (peer_reads(&p, &f)) {
        g_assert_false(f.tcp_flags & WIRE_RST);
        if (f.tcp_flags & WIRE_FIN) {
            g_assert_cmphex(f.seq, ==, fin_seq);
        }
    }
    peer_fin(&p);
    advance(t, 500);
    while (peer_reads(&p, &f)) {
        g_assert_false(f.tcp_flags & (WIRE_RST | WIRE_FIN));
        g_assert_cmphex(f.ack, ==, p.snd_nxt);
    }
    advance(t, 10 * MINUTE_MS);
    while (peer_reads(&p, &f)) {
        g_assert_false(f.tcp_flags & (WIRE_RST | WIRE_FIN));
    }
    assert_connections(t, 0);
    peer_clear(&p);
    net_free(t);
}

/* Both close at once: FIN crosses FIN (CLOSING) */
static void test_simultaneous_close(void)
{
    TestNet *t = net_new(true);
    Peer p;

    peer_init(&p, t, 10, 40013);
    peer_connect(&p);
    peer_send_str(&p, "QUIT");
    /* the peer sends its FIN before it has read the ME's */
    g_assert_true(peer_tcp(&p, WIRE_FIN | WIRE_ACK, p.snd_nxt, p.rcv_nxt,
                           NULL, 0));
    p.snd_nxt++;
    advance(t, 500);
    peer_read_all(&p);
    g_assert_true(p.fin);
    g_assert_cmphex(p.last_ack, ==, p.snd_nxt);
    peer_ack(&p);
    advance(t, 5 * MINUTE_MS);
    assert_connections(t, 0);
    g_assert_cmpuint(net_info(t).half_open, ==, 0);
    g_assert_cmpuint(t->web.freed, ==, 1);
    peer_clear(&p);
    net_free(t);
}

/* ---- TCP: who gets the frames ---- */

/* The guest sees everything that is not the ME's, and nothing that is */
static void test_not_offered(void)
{
    static const uint8_t dgram[] = "ping";
    TestNet *t = net_new(true);

    g_assert_false(net_in(t, syn_to(GUEST_IP, nic_mac, 80)));
    g_assert_false(net_in(t, syn_to(GUEST_IP, nic_mac, 22)));
    g_assert_false(net_in(t, syn_to(GUEST_IP + 1, nic_mac, WEB_PORT)));
    g_assert_false(net_in(t, syn_to(GUEST_IP, other_mac, WEB_PORT)));
    g_assert_false(net_in(t, syn_to(GUEST_IP, nic_mac, VNC_PORT)));
    g_assert_false(net_in(t, wire_udp(console_mac, nic_mac,
                                      WIRE_IP(192, 168, 1, 10), GUEST_IP,
                                      5000, WEB_PORT, dgram, 4)));
    g_assert_false(net_in(t, wire_udp(console_mac, nic_mac,
                                      WIRE_IP(192, 168, 1, 10), GUEST_IP,
                                      5000, 623, dgram, 4)));
    g_assert_false(net_in(t, wire_icmp_echo(console_mac, nic_mac,
                                            WIRE_IP(192, 168, 1, 10),
                                            GUEST_IP, 8, 1, 1, dgram, 4)));
    g_assert_false(net_in(t, wire_arp(WIRE_ARP_REQUEST, wire_broadcast,
                                      console_mac, WIRE_IP(192, 168, 1, 10),
                                      wire_broadcast, GUEST_IP)));
    g_assert_cmpuint(frames_pending(t), ==, 0);
    g_assert_cmpuint(net_info(t).frames_taken, ==, 0);
    g_assert_cmpuint(net_info(t).half_open, ==, 0);

    g_assert_true(net_in(t, syn_to(GUEST_IP, nic_mac, WEB_PORT)));
    g_assert_cmpuint(frames_pending(t), ==, 1);
    /* 5900 is the ME's while its service answers */
    t->vnc_on = true;
    g_assert_true(net_in(t, syn_to(GUEST_IP, nic_mac, VNC_PORT)));
    g_assert_cmpuint(frames_pending(t), ==, 2);
    net_free(t);
}

/* 16993-16995 are the ME's with or without a service: RST */
static void test_refused_ports(void)
{
    TestNet *t = net_new(true);
    uint64_t resets = 0;

    for (uint16_t port = 16992; port <= 16995; port++) {
        WireFrame f;

        t->web_on = port != 16992;
        g_assert_true(net_in(t, syn_to(GUEST_IP, nic_mac, port)));
        g_assert_true(next_frame(t, &f));
        g_assert_cmpmem(f.dst, 6, console_mac, 6);
        g_assert_cmphex(f.ip_src, ==, GUEST_IP);
        g_assert_cmpuint(f.sport, ==, port);
        g_assert_cmpuint(f.dport, ==, 45000);
        g_assert_cmphex(f.tcp_flags, ==, WIRE_RST | WIRE_ACK);
        g_assert_cmphex(f.ack, ==, 1235);
        g_assert_cmpuint(f.payload_len, ==, 0);
        g_assert_cmpuint(frames_pending(t), ==, 0);
        g_assert_cmpuint(net_info(t).resets_sent, ==, ++resets);
        g_assert_cmpuint(net_info(t).half_open, ==, 0);
    }
    g_assert_cmpuint(t->web.opened, ==, 0);
    net_free(t);
}

/* A segment no connection owns gets RST (RFC 9293 3.10.7.1); a RST not */
static void test_unknown_segment(void)
{
    TestNet *t = net_new(true);
    uint64_t resets;
    WireFrame f;
    Peer p;

    peer_init(&p, t, 10, 40020);
    /* with ACK: <SEQ=SEG.ACK><CTL=RST> */
    g_assert_true(peer_tcp(&p, WIRE_ACK, 5000, 777777, NULL, 0));
    g_assert_true(peer_reads(&p, &f));
    g_assert_cmphex(f.tcp_flags, ==, WIRE_RST);
    g_assert_cmphex(f.seq, ==, 777777);
    /* without: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
    g_assert_true(peer_tcp(&p, WIRE_PSH, 5000, 0, "abc", 3));
    g_assert_true(peer_reads(&p, &f));
    g_assert_cmphex(f.tcp_flags, ==, WIRE_RST | WIRE_ACK);
    g_assert_cmphex(f.seq, ==, 0);
    g_assert_cmphex(f.ack, ==, 5003);
    g_assert_true(peer_tcp(&p, WIRE_FIN, 6000, 0, NULL, 0));
    g_assert_true(peer_reads(&p, &f));
    g_assert_cmphex(f.ack, ==, 6001);
    g_assert_cmpuint(frames_pending(t), ==, 0);

    /* a RST, to a port with a service or without, is never answered */
    resets = net_info(t).resets_sent;
    g_assert_true(peer_tcp(&p, WIRE_RST, 5000, 0, NULL, 0));
    g_assert_true(peer_tcp(&p, WIRE_RST | WIRE_ACK, 5000, 1, NULL, 0));
    p.me_port = 16994;
    g_assert_true(peer_tcp(&p, WIRE_RST, 5000, 0, NULL, 0));
    g_assert_true(peer_tcp(&p, WIRE_RST | WIRE_ACK, 5000, 1, "x", 1));
    g_assert_cmpuint(frames_pending(t), ==, 0);
    g_assert_cmpuint(net_info(t).resets_sent, ==, resets);
    g_assert_cmpuint(net_info(t).half_open, ==, 0);
    peer_clear(&p);
    net_free(t);
}

/* ---- TCP: loss ---- */

/*
 * The ME's answer is lost and never acknowledged: it comes again after
 * the RTO, at growing intervals, until the ME gives up with a RST and
 * frees the service's connection.
 */
static void test_retransmit_backoff(void)
{
    TestNet *t = net_new(true);
    GArray *times = g_array_new(FALSE, FALSE, sizeof(int64_t));
    int64_t start, end = 0;
    uint32_t seq;
    WireFrame f;
    Peer p;

    peer_init(&p, t, 10, 40030);
    peer_connect(&p);
    peer_send_str(&p, "ping");
    g_assert_true(peer_reads(&p, &f));
    g_assert_cmpmem(f.payload, f.payload_len, "ping", 4);
    seq = f.seq;
    start = t->cur->at;

    while (advance_to_timer(t, start + 60 * MINUTE_MS)) {
        while (peer_reads(&p, &f)) {
            if (f.tcp_flags & WIRE_RST) {
                end = t->cur->at;
                continue;
            }
            g_assert_cmphex(f.seq, ==, seq);
            g_assert_cmpmem(f.payload, f.payload_len, "ping", 4);
            g_array_append_val(times, t->cur->at);
        }
        if (end) {
            break;
        }
    }
    /* given up, told the peer, freed the service's connection */
    g_assert_cmpint(end, >, 0);
    g_assert_cmpint(end - start, <=, 30 * MINUTE_MS);
    assert_connections(t, 0);
    g_assert_cmpuint(t->web.freed, ==, 1);
    g_assert_cmpuint(times->len, >=, 3);
    g_assert_cmpuint(times->len, <=, 20);
    {
        int64_t first = g_array_index(times, int64_t, 0) - start;
        int64_t prev = first, last = first;

        /* RFC 6298: RTO 1 s before a sample; Linux allows 200 ms */
        g_assert_cmpint(first, >=, 200);
        g_assert_cmpint(first, <=, 3000);
        for (unsigned i = 1; i < times->len; i++) {
            last = g_array_index(times, int64_t, i) -
                   g_array_index(times, int64_t, i - 1);
            g_assert_cmpint(last, >=, prev);
            prev = last;
        }
        g_assert_cmpint(last, >=, 4 * first);
    }
    g_array_free(times, TRUE);

    /* the endpoint is as good as new */
    peer_clear(&p);
    peer_init(&p, t, 10, 40031);
    drop_frames(t);
    peer_connect(&p);
    assert_connections(t, 1);
    peer_clear(&p);
    net_free(t);
}

/* An ACK after a retransmission ends the retransmissions */
static void test_ack_stops_retransmit(void)
{
    TestNet *t = net_new(true);
    WireFrame f;
    Peer p;

    peer_init(&p, t, 10, 40032);
    peer_connect(&p);
    peer_send_str(&p, "ping");
    g_assert_true(peer_reads(&p, &f));      /* lost */
    advance(t, 3000);
    peer_read_all(&p);
    g_assert_cmpmem(p.received->data, p.received->len, "ping", 4);
    peer_ack(&p);
    drop_frames(t);
    advance(t, 10 * MINUTE_MS);
    g_assert_cmpuint(frames_pending(t), ==, 0);
    assert_connections(t, 1);
    peer_clear(&p);
    net_free(t);
}

/* Three duplicate ACKs bring the lost segment back before the RTO */
static void test_fast_retransmit(void)
{
    TestNet *t = net_new(true);
    uint32_t lost;
    WireFrame f;
    Peer p;

    t->web.reply_size = 3000;
    peer_init(&p, t, 10, 40034);
    p.mss = 1000;
    peer_connect(&p);
    peer_send_str(&p, "x");
    g_assert_true(peer_reads(&p, &f));
    g_assert_cmpuint(f.payload_len, ==, 1000);
    lost = f.seq;
    /* the rest arrives out of order: each is a duplicate ACK */
    g_assert_cmpuint(peer_read_all(&p), >=, 2);
    g_assert_cmpuint(p.received->len, ==, 0);
    for (unsigned i = 0; i < 3; i++) {
        peer_ack(&p);
    }
    g_assert_true(peer_reads(&p, &f));
    g_assert_cmphex(f.seq, ==, lost);
    g_assert_cmpuint(f.payload_len, ==, 1000);
    peer_take(&p, &f);
    peer_ack(&p);
    /* the peer's retransmission timer does the rest */
    for (unsigned i = 0; p.received->len < 3000; i++) {
        g_assert_cmpuint(i, <, 100);
        advance(t, 1000);
        peer_sync(&p);
    }
    for (size_t i = 0; i < 3000; i++) {
        g_assert_cmpuint(p.received->data[i], ==, wire_pattern(i));
    }
    peer_clear(&p);
    net_free(t);
}

/* A SYN-ACK never acknowledged: retried, then the half-open one goes */
static void test_synack_retransmit(void)
{
    TestNet *t = net_new(true);
    unsigned synacks = 0;
    WireFrame f;
    Peer p;

    peer_init(&p, t, 10, 40033);
    g_assert_true(peer_syn(&p));
    while (advance_to_timer(t, t->now + 10 * MINUTE_MS)) {
        while (peer_reads(&p, &f)) {
            g_assert_cmphex(f.tcp_flags, ==, WIRE_SYN | WIRE_ACK);
            g_assert_cmphex(f.seq, ==, p.me_iss);
            synacks++;
        }
    }
    g_assert_cmpuint(synacks, >=, 1);
    g_assert_cmpuint(synacks, <=, 10);
    g_assert_cmpuint(net_info(t).half_open, ==, 0);
    g_assert_cmpuint(t->web.opened, ==, 0);
    /* the late ACK finds nothing */
    assert_peer_reset_by(&p, WIRE_ACK);
    peer_clear(&p);
    net_free(t);
}

/* ---- TCP: duplication and reordering ---- */

static void test_duplicate_data(void)
{
    TestNet *t = net_new(true);
    EchoConn *c;
    Peer p;

    t->web.echo = false;
    peer_init(&p, t, 10, 40040);
    peer_connect(&p);
    c = echo_service_last(&t->web);
    peer_send_str(&p, "abc");
    g_assert_true(peer_tcp(&p, WIRE_ACK | WIRE_PSH, p.snd_nxt - 3,
                           p.rcv_nxt, "abc", 3));
    g_assert_true(peer_tcp(&p, WIRE_ACK | WIRE_PSH, p.snd_nxt - 3,
                           p.rcv_nxt, "abc", 3));
    g_assert_cmpmem(c->received->data, c->received->len, "abc", 3);
    g_assert_cmpuint(c->inputs, ==, 1);
    /* each duplicate is answered with where the ME stands */
    advance(t, 500);
    peer_read_all(&p);
    g_assert_cmphex(p.last_ack, ==, p.snd_nxt);
    peer_clear(&p);
    net_free(t);
}

/* A retransmitted SYN gets the same SYN-ACK, and one connection */
static void test_duplicate_syn(void)
{
    TestNet *t = net_new(true);
    uint32_t isn;
    Peer p;

    peer_init(&p, t, 10, 40041);
    g_assert_true(peer_syn(&p));
    isn = p.me_iss;
    g_assert_true(peer_syn(&p));
    g_assert_cmphex(p.me_iss, ==, isn);
    g_assert_cmpuint(net_info(t).half_open, ==, 1);
    peer_ack(&p);
    assert_connections(t, 1);
    g_assert_cmpuint(t->web.opened, ==, 1);
    /* and the SYN once more, now established: the connection stays */
    g_assert_true(peer_tcp(&p, WIRE_SYN, p.iss, 0, NULL, 0));
    assert_connections(t, 1);
    g_assert_cmpuint(t->web.freed, ==, 0);
    peer_clear(&p);
    net_free(t);
}

/* Segments out of order reach the service in order once the gap fills */
static void test_reorder(void)
{
    TestNet *t = net_new(true);
    uint32_t base;
    EchoConn *c;
    Peer p;

    t->web.echo = false;
    peer_init(&p, t, 10, 40042);
    peer_connect(&p);
    c = echo_service_last(&t->web);
    base = p.snd_nxt;
    g_assert_true(peer_tcp(&p, WIRE_ACK, base + 8, p.rcv_nxt, "CCCC", 4));
    g_assert_true(peer_tcp(&p, WIRE_ACK, base + 4, p.rcv_nxt, "BBBB", 4));
    g_assert_cmpuint(c->received->len, ==, 0);
    /* the ME says what it is missing, and acknowledges nothing beyond */
    peer_read_all(&p);
    g_assert_cmphex(p.last_ack, ==, base);
    g_assert_true(peer_tcp(&p, WIRE_ACK, base, p.rcv_nxt, "AAAA", 4));
    g_assert_cmpmem(c->received->data, c->received->len, "AAAABBBBCCCC", 12);
    /* overlapping old and new data: only the new part is delivered */
    g_assert_true(peer_tcp(&p, WIRE_ACK, base + 8, p.rcv_nxt, "CCCCDDDD",
                           8));
    g_assert_cmpmem(c->received->data, c->received->len,
                    "AAAABBBBCCCCDDDD", 16);
    p.snd_nxt = base + 16;
    advance(t, 500);
    peer_read_all(&p);
    g_assert_cmphex(p.last_ack, ==, p.snd_nxt);
    peer_clear(&p);
    net_free(t);
}

/* ---- TCP: windows ---- */

/*
 * The peer's window is closed: no data beyond it, probes instead; the
 * connection lives while the peer answers them, and the data flows as
 * soon as the window opens.
 */
static void test_zero_window(void)
{
    TestNet *t = net_new(true);
    int64_t end;
    unsigned probes = 0;
    WireFrame f;
    Peer p;

    peer_init(&p, t, 10, 40050);
    peer_connect(&p);
    p.window = 0;
    peer_send_str(&p, "hello");
    end = t->now + 5 * MINUTE_MS;
    do {
        while (peer_reads(&p, &f)) {
            g_assert_false(f.tcp_flags & (WIRE_RST | WIRE_FIN));
            /* a probe may carry one byte, which the peer drops */
            g_assert_cmpuint(f.payload_len, <=, 1);
            probes += f.payload_len || f.seq != p.rcv_nxt;
            g_assert_true(peer_tcp(&p, WIRE_ACK, p.snd_nxt, p.rcv_nxt,
                                   NULL, 0));
        }
    } while (advance_to_timer(t, end));
    g_assert_cmpuint(probes, >=, 3);
    assert_connections(t, 1);

    p.window = 65535;
    peer_ack(&p);
    peer_read_all(&p);
    g_assert_cmpmem(p.received->data, p.received->len, "hello", 5);
    peer_clear(&p);
    net_free(t);
}

/* Never more in flight than the peer's window */
static void test_small_window(void)
{
    TestNet *t = net_new(true);
    WireFrame f;
    Peer p;

    t->web.reply_size = 100;
    peer_init(&p, t, 10, 40051);
    p.window = 10;
    peer_connect(&p);
    peer_send_str(&p, "x");
    for (unsigned i = 0; p.received->len < 100; i++) {
        g_assert_cmpuint(i, <, 1000);
        while (peer_reads(&p, &f)) {
            g_assert_cmpuint(f.seq + f.payload_len - p.acked, <=, 10);
            peer_take(&p, &f);
        }
        peer_ack(&p);
        advance(t, 10);
    }
    g_assert_cmpuint(p.received->len, ==, 100);
    for (size_t i = 0; i < 100; i++) {
        g_assert_cmpuint(p.received->data[i], ==, wire_pattern(i));
    }
    peer_clear(&p);
    net_free(t);
}

/*
 * A peer that never reads (window 0) and keeps sending, whatever window
 * the ME advertises: the ME stops taking its data, so neither its
 * input nor the answers the service queues grow without bound.
 */
static void test_receive_backpressure(void)
{
    TestNet *t = net_new(true);
    uint8_t chunk[1400];
    EchoConn *c;
    Peer p;

    memset(chunk, 'r', sizeof(chunk));
    peer_init(&p, t, 10, 40052);
    peer_connect(&p);
    c = echo_service_last(&t->web);
    p.window = 0;
    for (unsigned i = 0; i < 4000; i++) {
        g_assert_true(peer_tcp(&p, WIRE_ACK, p.snd_nxt, p.rcv_nxt, chunk,
                               sizeof(chunk)));
        p.snd_nxt += sizeof(chunk);
        drop_frames(t);
    }
    /* 5.6 MB sent: what the ME took stays near its own buffers */
    g_assert_cmpuint(c->received->len, <=, 1024 * 1024);
    g_assert_cmpuint(echo_conn_pending(c), <=, 1024 * 1024);
    peer_clear(&p);
    net_free(t);
}

/* ---- TCP: resets ---- */

/* Blind RSTs do not end a session; the exact one does, unanswered */
static void test_rst_storm(void)
{
    TestNet *t = net_new(true);
    uint64_t resets;
    WireFrame f;
    Peer p;

    peer_init(&p, t, 10, 40060);
    peer_connect(&p);
    resets = net_info(t).resets_sent;
    for (uint32_t i = 0; i < 2000; i++) {
        uint32_t seq = i & 1 ? p.snd_nxt + 70000 + i * 1009
                             : p.snd_nxt - 1 - i * 13;

        g_assert_true(peer_tcp(&p, i & 2 ? WIRE_RST : WIRE_RST | WIRE_ACK,
                               seq, p.rcv_nxt, NULL, 0));
    }
    while (next_frame(t, &f)) {
        g_assert_false(f.tcp_flags & WIRE_RST);
    }
    g_assert_cmpuint(net_info(t).resets_sent, ==, resets);
    assert_connections(t, 1);
    g_assert_cmpuint(t->web.freed, ==, 0);
    peer_send_str(&p, "alive");
    peer_read_all(&p);
    g_assert_cmpmem(p.received->data, p.received->len, "alive", 5);
    peer_ack(&p);

    /* in the window but not exact: a challenge ACK (RFC 5961) */
    g_assert_true(peer_tcp(&p, WIRE_RST, p.snd_nxt + 100, 0, NULL, 0));
    assert_connections(t, 1);
    advance(t, 500);
    g_assert_true(peer_reads(&p, &f));
    g_assert_false(f.tcp_flags & WIRE_RST);
    g_assert_cmphex(f.ack, ==, p.snd_nxt);

    /* exact: the end, and no answer */
    g_assert_true(peer_tcp(&p, WIRE_RST, p.snd_nxt, 0, NULL, 0));
    assert_connections(t, 0);
    g_assert_cmpuint(t->web.freed, ==, 1);
    g_assert_cmpuint(net_info(t).resets_sent, ==, resets);
    advance(t, 1000);
    g_assert_cmpuint(frames_pending(t), ==, 0);
    assert_peer_reset_by(&p, WIRE_ACK);
    peer_clear(&p);
    net_free(t);
}

/* A RST for a half-open connection ends it */
static void test_rst_half_open(void)
{
    TestNet *t = net_new(true);
    Peer p;

    peer_init(&p, t, 10, 40061);
    g_assert_true(peer_syn(&p));
    g_assert_cmpuint(net_info(t).half_open, ==, 1);
    g_assert_true(peer_tcp(&p, WIRE_RST, p.iss + 1, 0, NULL, 0));
    g_assert_cmpuint(net_info(t).half_open, ==, 0);
    g_assert_cmpuint(frames_pending(t), ==, 0);
    advance(t, 10 * MINUTE_MS);
    g_assert_cmpuint(frames_pending(t), ==, 0);
    peer_clear(&p);
    net_free(t);
}

/* ---- TCP: caps ---- */

/* A SYN flood keeps a bounded list, and a console still gets in */
static void test_half_open_flood(void)
{
    TestNet *t = net_new(true);
    Peer attacker, p;

    peer_init(&attacker, t, 66, 1024);
    for (unsigned i = 0; i < 5000; i++) {
        VamtNetInfo info;

        attacker.port = 1024 + i;
        attacker.iss = g_random_int();
        g_assert_true(peer_tcp(&attacker, WIRE_SYN, attacker.iss, 0, NULL,
                               0));
        g_assert_cmpuint(frames_pending(t), <=, 2);
        info = net_info(t);
        g_assert_cmpuint(info.half_open, <=, VAMT_NET_MAX_HALF_OPEN);
        g_assert_cmpuint(info.connections, ==, 0);
        drop_frames(t);
    }
    g_assert_cmpuint(t->web.opened, ==, 0);

    peer_init(&p, t, 10, 40070);
    peer_connect(&p);
    assert_connections(t, 1);
    peer_send_str(&p, "still here");
    peer_read_all(&p);
    g_assert_cmpmem(p.received->data, p.received->len, "still here", 10);
    peer_ack(&p);

    /* and the flood's entries expire */
    advance(t, 10 * MINUTE_MS);
    g_assert_cmpuint(net_info(t).half_open, ==, 0);
    assert_connections(t, 1);
    peer_clear(&attacker);
    peer_clear(&p);
    net_free(t);
}

/*
 * VAMT_NET_MAX_CONNECTIONS established at most.  Past the cap an
 * authenticated session is never shed for a newcomer; an
 * unauthenticated one makes room (base/conn.h).
 */
static void test_max_connections(void)
{
    TestNet *t = net_new(true);
    Peer peers[VAMT_NET_MAX_CONNECTIONS + 2];
    const unsigned max = VAMT_NET_MAX_CONNECTIONS;
    EchoConn *victim;
    Peer *late;

    t->web.authenticate = true;
    for (unsigned i = 0; i < max; i++) {
        peer_init(&peers[i], t, 100 + i, 50000);
        peer_connect(&peers[i]);
    }
    assert_connections(t, max);
    g_assert_cmpuint(t->web.conns->len, ==, max);

    /* all authenticated: the newcomer does not get in */
    late = &peers[max];
    peer_init(late, t, 100 + max, 50000);
    g_assert_false(peer_try_connect(late));
    assert_connections(t, max);
    g_assert_cmpuint(t->web.conns->len, ==, max);
    g_assert_cmpuint(t->web.freed, ==, t->web.opened - max);
    for (unsigned i = 0; i < max; i++) {
        g_assert_cmpuint(peers[i].resets, ==, 0);
    }

    /* one never authenticated: it makes room */
    victim = g_ptr_array_index(t->web.conns, 5);
    victim->authenticated = false;
    late = &peers[max + 1];
    peer_init(late, t, 100 + max + 1, 50000);
    peer_connect(late);
    assert_connections(t, max);
    g_assert_cmpuint(t->web.conns->len, ==, max);
    for (unsigned i = 0; i < max; i++) {
        peer_read_all(&peers[i]);
        g_assert_cmpuint(peers[i].resets, ==, i == 5);
    }
    peer_send_str(late, "in");
    peer_read_all(late);
    g_assert_cmpmem(late->received->data, late->received->len, "in", 2);
    for (unsigned i = 0; i < G_N_ELEMENTS(peers); i++) {
        peer_clear(&peers[i]);
    }
    net_free(t);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/net/tcp/handshake", test_handshake);
    g_test_add_func("/vamt/net/tcp/isn", test_isn);
    g_test_add_func("/vamt/net/tcp/data-in-order", test_data_in_order);
    g_test_add_func("/vamt/net/tcp/ack-without-reply", test_ack_without_reply);
    g_test_add_func("/vamt/net/tcp/mss", test_mss);
    g_test_add_func("/vamt/net/tcp/wake", test_wake);
    g_test_add_func("/vamt/net/tcp/service-timeout", test_service_timeout);
    g_test_add_func("/vamt/net/tcp/idle-no-timer", test_idle_no_timer);
    g_test_add_func("/vamt/net/tcp/sequence-wrap", test_sequence_wrap);
    g_test_add_func("/vamt/net/close/peer-first", test_peer_close);
    g_test_add_func("/vamt/net/close/me-first", test_active_close);
    g_test_add_func("/vamt/net/close/fin-wait-2-bounded",
                    test_fin_wait_2_bounded);
    g_test_add_func("/vamt/net/close/fin-once", test_fin_once);
    g_test_add_func("/vamt/net/close/simultaneous", test_simultaneous_close);
    g_test_add_func("/vamt/net/tcp/not-offered", test_not_offered);
    g_test_add_func("/vamt/net/tcp/refused-ports", test_refused_ports);
    g_test_add_func("/vamt/net/tcp/unknown-segment", test_unknown_segment);
    g_test_add_func("/vamt/net/loss/retransmit-backoff",
                    test_retransmit_backoff);
    g_test_add_func("/vamt/net/loss/ack-stops-retransmit",
                    test_ack_stops_retransmit);
    g_test_add_func("/vamt/net/loss/fast-retransmit", test_fast_retransmit);
    g_test_add_func("/vamt/net/loss/synack-retransmit", test_synack_retransmit);
    g_test_add_func("/vamt/net/dup/data", test_duplicate_data);
    g_test_add_func("/vamt/net/dup/syn", test_duplicate_syn);
    g_test_add_func("/vamt/net/reorder", test_reorder);
    g_test_add_func("/vamt/net/window/zero", test_zero_window);
    g_test_add_func("/vamt/net/window/small", test_small_window);
    g_test_add_func("/vamt/net/window/receive-backpressure",
                    test_receive_backpressure);
    g_test_add_func("/vamt/net/rst/storm", test_rst_storm);
    g_test_add_func("/vamt/net/rst/half-open", test_rst_half_open);
    g_test_add_func("/vamt/net/caps/half-open-flood", test_half_open_flood);
    g_test_add_func("/vamt/net/caps/connections", test_max_connections);
    return g_test_run();
}
