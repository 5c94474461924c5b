/*
 * The unit tests' NIC endpoint on a fake platform (clock, timer, the
 * frames it sends) and a console or attacker on the network speaking
 * TCP to it: what test-vamt-tcp.c and test-vamt-net.c drive it with.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "net-test-env.h"

const uint8_t nic_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
const uint8_t console_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
const uint8_t router_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const uint8_t other_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x33 };
const uint8_t zero_mac[6];



/* ---- the endpoint on a fake platform ---- */



void sent_frame_free(SentFrame *s)
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

static ClientRecord *client_of(TestNet *t, uint64_t id)
{
    g_assert_cmpuint(id, <, TEST_CLIENTS);
    g_assert_false(t->in_connect);
    /* nothing is reported after closed */
    g_assert_cmpuint(t->client[id].closed, ==, 0);
    return &t->client[id];
}

static void op_client_connected(void *opaque, uint64_t id)
{
    ClientRecord *r = client_of(opaque, id);

    g_assert_cmpuint(r->connected, ==, 0);
    r->connected++;
}

static void op_client_input(void *opaque, uint64_t id, const uint8_t *data,
                            size_t len)
{
    TestNet *t = opaque;
    ClientRecord *r = client_of(t, id);

    g_assert_cmpuint(r->connected, ==, 1);
    g_byte_array_append(r->input, data, len);
    if (r->close_on_input) {
        vamt_net_client_close(t->net, id);
    }
}

static void op_client_closed(void *opaque, uint64_t id)
{
    client_of(opaque, id)->closed++;
}

const VamtNetOps net_test_ops = {
    .send = op_send,
    .now = op_now,
    .set_timer = op_set_timer,
    .service = op_service,
    .client_connected = op_client_connected,
    .client_input = op_client_input,
    .client_closed = op_client_closed,
};

bool client_connect(TestNet *t, uint64_t id, uint32_t dst, uint16_t port)
{
    bool ok;

    t->in_connect = true;
    ok = vamt_net_connect(t->net, id, dst, port);
    t->in_connect = false;
    return ok;
}

TestNet *net_alloc(void)
{
    TestNet *t = g_new0(TestNet, 1);

    t->now = 1000000;
    t->timer = -1;
    t->sent = g_ptr_array_new_with_free_func((GDestroyNotify)sent_frame_free);
    echo_service_init(&t->web, WEB_PORT, &t->now);
    echo_service_init(&t->vnc, VNC_PORT, &t->now);
    t->web_on = true;
    for (unsigned i = 0; i < TEST_CLIENTS; i++) {
        t->client[i].input = g_byte_array_new();
    }
    return t;
}

/* A running guest's NIC; the ME at GUEST_IP if @with_address */
TestNet *net_new(bool with_address)
{
    TestNet *t = net_alloc();

    t->net = vamt_net_new(&net_test_ops, t);
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

void net_free(TestNet *t)
{
    vamt_net_free(t->net);
    /* the endpoint freed every connection it opened */
    echo_service_destroy(&t->web);
    echo_service_destroy(&t->vnc);
    for (unsigned i = 0; i < TEST_CLIENTS; i++) {
        g_byte_array_free(t->client[i].input, TRUE);
    }
    g_ptr_array_free(t->sent, TRUE);
    sent_frame_free(t->cur);
    g_free(t);
}

VamtNetInfo net_info(TestNet *t)
{
    VamtNetInfo info;

    vamt_net_get_info(t->net, &info);
    return info;
}

/* The platform's timer fires when it is due, as a main loop runs it */
void run_due(TestNet *t)
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
void advance(TestNet *t, int64_t ms)
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
bool advance_to_timer(TestNet *t, int64_t limit)
{
    if (t->timer < 0 || t->timer > limit) {
        return false;
    }
    t->now = MAX(t->now, t->timer);
    run_due(t);
    return true;
}

/* A frame from the network; the main loop then runs what is due */
bool net_in_flags(TestNet *t, GByteArray *frame, unsigned flags)
{
    bool taken = vamt_net_from_network(t->net, frame->data, frame->len,
                                       flags);

    g_byte_array_free(frame, TRUE);
    run_due(t);
    return taken;
}

bool net_in(TestNet *t, GByteArray *frame)
{
    return net_in_flags(t, frame, 0);
}

void guest_out(TestNet *t, GByteArray *frame)
{
    vamt_net_from_guest(t->net, frame->data, frame->len);
    g_byte_array_free(frame, TRUE);
    run_due(t);
}

unsigned frames_pending(TestNet *t)
{
    return t->sent->len;
}

void drop_frames(TestNet *t)
{
    g_ptr_array_set_size(t->sent, 0);
}

/* Take the @i-th unread frame out of the queue, parsed into @f */
void take_frame_at(TestNet *t, unsigned i, WireFrame *f)
{
    sent_frame_free(t->cur);
    t->cur = g_ptr_array_steal_index(t->sent, i);
    g_assert_true(wire_parse(t->cur->bytes->data, t->cur->bytes->len, f,
                             NULL));
}

bool next_frame(TestNet *t, WireFrame *f)
{
    if (!t->sent->len) {
        return false;
    }
    take_frame_at(t, 0, f);
    return true;
}

/* The next unread DHCP message of the ME */
bool next_dhcp(TestNet *t, WireFrame *f)
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


void peer_init(Peer *p, TestNet *t, uint8_t host, uint16_t port)
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

void peer_clear(Peer *p)
{
    g_byte_array_free(p->received, TRUE);
}

GByteArray *peer_frame(Peer *p, uint8_t flags, uint32_t seq,
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
bool peer_tcp(Peer *p, uint8_t flags, uint32_t seq, uint32_t ack,
              const void *data, size_t len)
{
    if (flags & WIRE_ACK) {
        p->acked = ack;
    }
    return net_in(p->t, peer_frame(p, flags, seq, ack, data, len));
}

/* The next unread frame the ME sent this peer */
bool peer_reads(Peer *p, WireFrame *f)
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
void peer_take(Peer *p, const WireFrame *f)
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

unsigned peer_read_all(Peer *p)
{
    unsigned n = 0;
    WireFrame f;

    while (peer_reads(p, &f)) {
        peer_take(p, &f);
        n++;
    }
    return n;
}

void peer_ack(Peer *p)
{
    g_assert_true(peer_tcp(p, WIRE_ACK, p->snd_nxt, p->rcv_nxt, NULL, 0));
}

/* Read and acknowledge until the ME has nothing more to send */
void peer_sync(Peer *p)
{
    for (unsigned i = 0; peer_read_all(p); i++) {
        g_assert_cmpuint(i, <, 100000);
        peer_ack(p);
    }
}

void peer_send(Peer *p, const void *data, size_t len)
{
    g_assert_true(peer_tcp(p, WIRE_ACK | WIRE_PSH, p->snd_nxt, p->rcv_nxt,
                           data, len));
    p->snd_nxt += len;
}

void peer_send_str(Peer *p, const char *s)
{
    peer_send(p, s, strlen(s));
}

void peer_fin(Peer *p)
{
    g_assert_true(peer_tcp(p, WIRE_FIN | WIRE_ACK, p->snd_nxt, p->rcv_nxt,
                           NULL, 0));
    p->snd_nxt++;
}

/* SYN; true if a SYN-ACK for it came back */
bool peer_syn(Peer *p)
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
bool peer_try_connect(Peer *p)
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

void peer_connect(Peer *p)
{
    g_assert_true(peer_try_connect(p));
}

/* The segment sent next gets a RST from the ME: no connection has it */
void assert_peer_reset_by(Peer *p, uint8_t flags)
{
    WireFrame f;

    g_assert_true(peer_tcp(p, flags, p->snd_nxt, p->rcv_nxt, "x", 1));
    g_assert_true(peer_reads(p, &f));
    g_assert_true(f.tcp_flags & WIRE_RST);
}

/* The ME's connections to its services, none half-open */
void assert_connections(TestNet *t, unsigned n)
{
    VamtNetInfo info = net_info(t);

    g_assert_cmpuint(info.connections, ==, n);
}

/* No answer, no state: what a refused frame leaves behind */
void assert_untouched(TestNet *t)
{
    VamtNetInfo info = net_info(t);

    g_assert_cmpuint(frames_pending(t), ==, 0);
    g_assert_cmpuint(info.half_open, ==, 0);
    g_assert_cmpuint(info.connections, ==, 0);
}

/* A console's SYN to @dst:@dport at @dst_mac */
GByteArray *syn_to(uint32_t dst, const uint8_t *dst_mac, uint16_t dport)
{
    WireTcp s = {
        .src_mac = console_mac, .dst_mac = dst_mac,
        .src = WIRE_IP(192, 168, 1, 10), .dst = dst,
        .sport = 45000, .dport = dport, .seq = 1234,
        .flags = WIRE_SYN, .window = 65535, .mss = 1460,
    };

    return wire_tcp(&s);
}
