/*
 * Unit tests of the ME's endpoint on the guest NIC (net/vamt): frames in,
 * frames out, on a fake clock.  Each test plays what a console, a DHCP
 * server or the guest puts on the wire and checks what they would see
 * of the ME: its TCP server (handshake, data, loss, duplication,
 * reordering, windows, resets, caps), ARP and ICMP for a deaf guest, the
 * address it learns, its own DHCP client, and hostile frames.
 *
 * Every frame the ME sends is parsed strictly (checksums, lengths,
 * options) and must come from the NIC's MAC.  The suite runs under
 * ASan: a service connection the endpoint never frees fails the test.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "byte-order.h"
#include "endpoint.h"
#include "net-test-wire.h"

static const uint8_t nic_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t console_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t router_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t other_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x33 };
static const uint8_t zero_mac[6];

#define GUEST_IP        WIRE_IP(192, 168, 1, 50)
#define ROUTER_IP       WIRE_IP(192, 168, 1, 1)
#define NETMASK         WIRE_IP(255, 255, 255, 0)
#define WEB_PORT        16992
#define VNC_PORT        5900

#define MINUTE_MS       (60 * 1000)

/* ---- the endpoint on a fake platform ---- */

typedef struct SentFrame {
    GByteArray *bytes;
    int64_t at;                 /* the ME's clock when it was sent */
} SentFrame;

typedef struct TestNet {
    VamtNet *net;
    int64_t now;
    int64_t timer;              /* what set_timer asked for; -1: nothing */
    GPtrArray *sent;            /* SentFrame: sent, not yet looked at */
    SentFrame *cur;             /* the one looked at last */
    uint64_t sent_total;
    unsigned ticks;
    EchoService web;            /* 16992 */
    EchoService vnc;            /* 5900 */
    bool web_on, vnc_on;
} TestNet;

static void sent_frame_free(SentFrame *s)
{
    if (s) {
        g_byte_array_free(s->bytes, TRUE);
        g_free(s);
    }
}

/* What every frame of the ME must be, whatever the test */
static void op_send(void *opaque, const uint8_t *frame, size_t len)
{
    TestNet *t = opaque;
    SentFrame *s = g_new0(SentFrame, 1);
    const char *why = NULL;
    VamtNetInfo info;
    WireFrame f;

    if (!wire_parse(frame, len, &f, &why)) {
        g_error("the ME sent a malformed frame: %s", why);
    }
    g_assert_cmpmem(f.src, 6, nic_mac, 6);
    if (f.ethertype == WIRE_ETH_IPV4) {
        vamt_net_get_info(t->net, &info);
        /* the ME never fragments; it sends from its address or 0.0.0.0 */
        g_assert_cmphex(f.ip_frag & (WIRE_IP_MF | 0x1fff), ==, 0);
        g_assert_true(f.ip_src == info.address || f.ip_src == 0);
        g_assert_cmpuint(f.ip_ttl, >, 0);
    }
    s->bytes = g_byte_array_new();
    g_byte_array_append(s->bytes, frame, len);
    s->at = t->now;
    g_ptr_array_add(t->sent, s);
    t->sent_total++;
}

static int64_t op_now(void *opaque)
{
    return ((TestNet *)opaque)->now;
}

static void op_set_timer(void *opaque, int64_t deadline)
{
    TestNet *t = opaque;

    g_assert_cmpint(deadline, >=, -1);
    t->timer = deadline;
}

static const VamtService *op_service(void *opaque, uint16_t port)
{
    TestNet *t = opaque;

    if (port == WEB_PORT && t->web_on) {
        return &t->web.svc;
    }
    if (port == VNC_PORT && t->vnc_on) {
        return &t->vnc.svc;
    }
    return NULL;
}

static const VamtNetOps test_ops = {
    .send = op_send,
    .now = op_now,
    .set_timer = op_set_timer,
    .service = op_service,
};

/* A running guest's NIC; the ME at GUEST_IP if @with_address */
static TestNet *net_new(bool with_address)
{
    TestNet *t = g_new0(TestNet, 1);

    t->now = 1000000;
    t->timer = -1;
    t->sent = g_ptr_array_new_with_free_func((GDestroyNotify)sent_frame_free);
    echo_service_init(&t->web, WEB_PORT, &t->now);
    echo_service_init(&t->vnc, VNC_PORT, &t->now);
    t->web_on = true;
    t->net = vamt_net_new(&test_ops, t);
    /* as filter-vamt.c does: the run state first, then the NIC's MAC */
    vamt_net_set_guest_running(t->net, true);
    vamt_net_set_mac(t->net, nic_mac);
    if (with_address) {
        vamt_net_set_static(t->net, GUEST_IP, NETMASK, ROUTER_IP);
    }
    /* what setting up said (an ARP announcement) is no test's business */
    g_ptr_array_set_size(t->sent, 0);
    return t;
}

static void net_free(TestNet *t)
{
    vamt_net_free(t->net);
    /* the endpoint freed every connection it opened */
    echo_service_destroy(&t->web);
    echo_service_destroy(&t->vnc);
    g_ptr_array_free(t->sent, TRUE);
    sent_frame_free(t->cur);
    g_free(t);
}

static VamtNetInfo net_info(TestNet *t)
{
    VamtNetInfo info;

    vamt_net_get_info(t->net, &info);
    return info;
}

/* The platform's timer fires when it is due, as a main loop runs it */
static void run_due(TestNet *t)
{
    unsigned spins = 0;

    while (t->timer >= 0 && t->timer <= t->now) {
        /* a timer that is always due again would spin the main loop */
        g_assert_cmpuint(++spins, <, 1000);
        t->timer = -1;
        t->ticks++;
        vamt_net_tick(t->net);
    }
}

/* Let @ms pass, firing the timer at each deadline on the way */
static void advance(TestNet *t, int64_t ms)
{
    int64_t end = t->now + ms;

    run_due(t);
    while (t->timer >= 0 && t->timer <= end) {
        t->now = MAX(t->now, t->timer);
        run_due(t);
    }
    t->now = end;
    run_due(t);
}

/* Jump to the next deadline (not beyond @limit); false if none by then */
static bool advance_to_timer(TestNet *t, int64_t limit)
{
    if (t->timer < 0 || t->timer > limit) {
        return false;
    }
    t->now = MAX(t->now, t->timer);
    run_due(t);
    return true;
}

/* A frame from the network; the main loop then runs what is due */
static bool net_in_flags(TestNet *t, GByteArray *frame, unsigned flags)
{
    bool taken = vamt_net_from_network(t->net, frame->data, frame->len,
                                       flags);

    g_byte_array_free(frame, TRUE);
    run_due(t);
    return taken;
}

static bool net_in(TestNet *t, GByteArray *frame)
{
    return net_in_flags(t, frame, 0);
}

static void guest_out(TestNet *t, GByteArray *frame)
{
    vamt_net_from_guest(t->net, frame->data, frame->len);
    g_byte_array_free(frame, TRUE);
    run_due(t);
}

static unsigned frames_pending(TestNet *t)
{
    return t->sent->len;
}

static void drop_frames(TestNet *t)
{
    g_ptr_array_set_size(t->sent, 0);
}

/* Take the @i-th unread frame out of the queue, parsed into @f */
static void take_frame_at(TestNet *t, unsigned i, WireFrame *f)
{
    sent_frame_free(t->cur);
    t->cur = g_ptr_array_steal_index(t->sent, i);
    g_assert_true(wire_parse(t->cur->bytes->data, t->cur->bytes->len, f,
                             NULL));
}

static bool next_frame(TestNet *t, WireFrame *f)
{
    if (!t->sent->len) {
        return false;
    }
    take_frame_at(t, 0, f);
    return true;
}

/* The next unread DHCP message of the ME */
static bool next_dhcp(TestNet *t, WireFrame *f)
{
    for (unsigned i = 0; i < t->sent->len; i++) {
        SentFrame *s = g_ptr_array_index(t->sent, i);
        WireFrame g;

        if (wire_parse(s->bytes->data, s->bytes->len, &g, NULL) && g.dhcp) {
            take_frame_at(t, i, f);
            return true;
        }
    }
    return false;
}

/* ---- a console (or attacker) on the network ---- */

typedef struct Peer {
    TestNet *t;
    uint8_t mac[6];
    uint32_t ip;
    uint16_t port, me_port;
    uint16_t mss;               /* in its SYN; 0: none */
    uint16_t window;            /* what it advertises */
    uint32_t iss, snd_nxt;
    uint32_t me_iss, rcv_nxt;
    uint32_t acked;             /* the last ACK it sent */
    uint32_t last_ack;          /* the ME's last ACK */
    uint16_t last_window;       /* ... and window */
    GByteArray *received;       /* the ME's data, in order */
    size_t max_payload;
    unsigned segments, fins, resets, old_data;
    bool fin;                   /* the ME's FIN, in order */
} Peer;

static void peer_init(Peer *p, TestNet *t, uint8_t host, uint16_t port)
{
    memset(p, 0, sizeof(*p));
    p->t = t;
    memcpy(p->mac, console_mac, 6);
    p->mac[4] = host;
    p->ip = WIRE_IP(192, 168, 1, host);
    p->port = port;
    p->me_port = WEB_PORT;
    p->mss = 1460;
    p->window = 65535;
    p->iss = 0x10000000u + port * 7919u + host * 104729u;
    p->received = g_byte_array_new();
}

static void peer_clear(Peer *p)
{
    g_byte_array_free(p->received, TRUE);
}

static GByteArray *peer_frame(Peer *p, uint8_t flags, uint32_t seq,
                              uint32_t ack, const void *data, size_t len)
{
    WireTcp s = {
        .src_mac = p->mac, .dst_mac = nic_mac,
        .src = p->ip, .dst = GUEST_IP,
        .sport = p->port, .dport = p->me_port,
        .seq = seq, .ack = ack, .flags = flags, .window = p->window,
        .mss = (flags & WIRE_SYN) ? p->mss : 0,
        .data = data, .len = len,
    };

    return wire_tcp(&s);
}

/* One segment of the peer's; true if the ME took it */
static bool peer_tcp(Peer *p, uint8_t flags, uint32_t seq, uint32_t ack,
                     const void *data, size_t len)
{
    if (flags & WIRE_ACK) {
        p->acked = ack;
    }
    return net_in(p->t, peer_frame(p, flags, seq, ack, data, len));
}

/* The next unread frame the ME sent this peer */
static bool peer_reads(Peer *p, WireFrame *f)
{
    TestNet *t = p->t;

    for (unsigned i = 0; i < t->sent->len; i++) {
        SentFrame *s = g_ptr_array_index(t->sent, i);
        WireFrame g;

        if (wire_parse(s->bytes->data, s->bytes->len, &g, NULL) &&
            g.ethertype == WIRE_ETH_IPV4 && g.ip_proto == WIRE_IP_TCP &&
            g.ip_dst == p->ip && g.dport == p->port &&
            g.sport == p->me_port) {
            take_frame_at(t, i, f);
            /* replies go back where the peer's frames came from */
            g_assert_cmpmem(f->dst, 6, p->mac, 6);
            return true;
        }
    }
    return false;
}

/* What the peer's TCP makes of a segment of the ME's */
static void peer_take(Peer *p, const WireFrame *f)
{
    uint32_t seq = f->seq;
    size_t len = f->payload_len;

    p->segments++;
    if (f->tcp_flags & WIRE_RST) {
        p->resets++;
        return;
    }
    g_assert_true(f->tcp_flags & WIRE_ACK);
    p->last_ack = f->ack;
    p->last_window = f->window;
    if (len) {
        /* the ME keeps to the MSS the peer announced (536 without) */
        g_assert_cmpuint(len, <=, p->mss ? MIN(p->mss, 1460) : 536);
        p->max_payload = MAX(p->max_payload, len);
        if ((int32_t)(seq - p->rcv_nxt) <= 0 &&
            (int32_t)(seq + len - p->rcv_nxt) > 0) {
            uint32_t skip = p->rcv_nxt - seq;

            g_byte_array_append(p->received, f->payload + skip, len - skip);
            p->rcv_nxt = seq + len;
        } else if ((int32_t)(seq + len - p->rcv_nxt) <= 0) {
            p->old_data++;
        }
    }
    if (f->tcp_flags & WIRE_FIN) {
        p->fins++;
        if (!p->fin && seq + len == p->rcv_nxt) {
            p->fin = true;
            p->rcv_nxt++;
        }
    }
}

static unsigned peer_read_all(Peer *p)
{
    unsigned n = 0;
    WireFrame f;

    while (peer_reads(p, &f)) {
        peer_take(p, &f);
        n++;
    }
    return n;
}

static void peer_ack(Peer *p)
{
    g_assert_true(peer_tcp(p, WIRE_ACK, p->snd_nxt, p->rcv_nxt, NULL, 0));
}

/* Read and acknowledge until the ME has nothing more to send */
static void peer_sync(Peer *p)
{
    for (unsigned i = 0; peer_read_all(p); i++) {
        g_assert_cmpuint(i, <, 100000);
        peer_ack(p);
    }
}

static void peer_send(Peer *p, const void *data, size_t len)
{
    g_assert_true(peer_tcp(p, WIRE_ACK | WIRE_PSH, p->snd_nxt, p->rcv_nxt,
                           data, len));
    p->snd_nxt += len;
}

static void peer_send_str(Peer *p, const char *s)
{
    peer_send(p, s, strlen(s));
}

static void peer_fin(Peer *p)
{
    g_assert_true(peer_tcp(p, WIRE_FIN | WIRE_ACK, p->snd_nxt, p->rcv_nxt,
                           NULL, 0));
    p->snd_nxt++;
}

/* SYN; true if a SYN-ACK for it came back */
static bool peer_syn(Peer *p)
{
    WireFrame f;

    g_assert_true(peer_tcp(p, WIRE_SYN, p->iss, 0, NULL, 0));
    p->snd_nxt = p->iss + 1;
    while (peer_reads(p, &f)) {
        if (f.tcp_flags == (WIRE_SYN | WIRE_ACK) && f.ack == p->iss + 1) {
            p->me_iss = f.seq;
            p->rcv_nxt = f.seq + 1;
            return true;
        }
        peer_take(p, &f);
    }
    return false;
}

/* The three-way handshake; true if the ME did not reset it */
static bool peer_try_connect(Peer *p)
{
    unsigned resets;

    if (!peer_syn(p)) {
        return false;
    }
    resets = p->resets;
    peer_ack(p);
    peer_read_all(p);
    return p->resets == resets;
}

static void peer_connect(Peer *p)
{
    g_assert_true(peer_try_connect(p));
}

/* The segment sent next gets a RST from the ME: no connection has it */
static void assert_peer_reset_by(Peer *p, uint8_t flags)
{
    WireFrame f;

    g_assert_true(peer_tcp(p, flags, p->snd_nxt, p->rcv_nxt, "x", 1));
    g_assert_true(peer_reads(p, &f));
    g_assert_true(f.tcp_flags & WIRE_RST);
}

/* The ME's connections to its services, none half-open */
static void assert_connections(TestNet *t, unsigned n)
{
    VamtNetInfo info = net_info(t);

    g_assert_cmpuint(info.connections, ==, n);
}

/* No answer, no state: what a refused frame leaves behind */
static void assert_untouched(TestNet *t)
{
    VamtNetInfo info = net_info(t);

    g_assert_cmpuint(frames_pending(t), ==, 0);
    g_assert_cmpuint(info.half_open, ==, 0);
    g_assert_cmpuint(info.connections, ==, 0);
}

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

static GByteArray *syn_to(uint32_t dst, const uint8_t *dst_mac,
                          uint16_t dport)
{
    WireTcp s = {
        .src_mac = console_mac, .dst_mac = dst_mac,
        .src = WIRE_IP(192, 168, 1, 10), .dst = dst,
        .sport = 45000, .dport = dport, .seq = 1234,
        .flags = WIRE_SYN, .window = 65535, .mss = 1460,
    };

    return wire_tcp(&s);
}

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
    TestNet *t = g_new0(TestNet, 1);
    WireFrame f;

    /*
     * As QEMU starts a VM with nic-address=: the endpoint while the VM
     * is not yet running, the NIC's MAC, then the static address
     * (filter-vamt.c, then hw/vamt/nic.c), all before the clock moves.
     */
    t->now = 1000000;
    t->timer = -1;
    t->sent = g_ptr_array_new_with_free_func((GDestroyNotify)sent_frame_free);
    echo_service_init(&t->web, WEB_PORT, &t->now);
    echo_service_init(&t->vnc, VNC_PORT, &t->now);
    t->net = vamt_net_new(&test_ops, t);
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
    g_test_add_func("/vamt/net/loss/synack-retransmit",
                    test_synack_retransmit);
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
    g_test_add_func("/vamt/net/arp", test_arp);
    g_test_add_func("/vamt/net/icmp", test_icmp);
    g_test_add_func("/vamt/net/ip/fragments", test_fragments);
    g_test_add_func("/vamt/net/learn/dhcp-snoop", test_learn_dhcp_snoop);
    g_test_add_func("/vamt/net/learn/dhcp-others", test_learn_dhcp_others);
    g_test_add_func("/vamt/net/learn/guest-arp", test_learn_guest_arp);
    g_test_add_func("/vamt/net/learn/guest-traffic",
                    test_learn_guest_traffic);
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
