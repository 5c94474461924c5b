/*
 * libFuzzer target: the ME's endpoint on the guest NIC (net/vamt), fed
 * frames from the network and from the guest, with time passing, the
 * guest stopping and starting, services coming and going and the ME's
 * own connections out opening, writing and closing.  An echo service
 * answers on 16992 (and 5900 while it is on); the ME has a static
 * address, so every TCP path is reachable.
 *
 * Input: records of a 2-byte length (big-endian), a flags byte and a
 * direction byte, then, for frames, that many bytes:
 *   direction 0  a frame from the network, 1  a frame from the guest,
 *             2  the clock moves on by length ms,
 *             3  a control change (length's bits, see control()).
 * The flags patch a frame the way a fuzzer could not guess: checksums,
 * the ME's address, the sequence numbers the ME expects, its DHCP xid,
 * the ME's port (16992, or the newest connection out's).
 *
 * Checked after every step: each frame the ME sends is well formed
 * (checksums, lengths, from the NIC's MAC), a RST never gets a RST back,
 * the caps hold, a connection out is reported as the egress contract
 * says (never from inside connect, nothing after closed, closed once);
 * at the end every service connection was freed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "byte-order.h"
#include "endpoint.h"
#include "fuzz-target.h"
#include "net-test-wire.h"

enum {
    FLAG_DEAF = 0x01,           /* VAMT_NET_GUEST_DEAF */
    FLAG_TRUSTED = 0x02,        /* VAMT_NET_CSUM_TRUSTED */
    FLAG_FIX = 0x04,            /* recompute the checksums */
    FLAG_ADDR = 0x08,           /* to the NIC's MAC and the ME's address */
    FLAG_SEQ = 0x10,            /* ack what the ME sent, at what it acked */
    FLAG_XID = 0x20,            /* the ME's last DHCP xid */
    FLAG_PORTS = 0x40,          /* 45000 -> 16992, 80 -> a client's */
    FLAG_TWICE = 0x80,          /* the frame is duplicated */
};

enum {
    CTL_GUEST = 0x01,           /* the guest stops or starts running */
    CTL_VNC = 0x02,             /* 5900's service goes or comes back */
    CTL_WEB = 0x04,             /* 16992's likewise */
    CTL_CLOSE = 0x08,           /* the newest connection's service closes */
    CTL_PUSH = 0x10,            /* ... or writes outside input */
    CTL_STATIC = 0x20,          /* the static address goes or comes back */
    CTL_REPLY = 0x40,           /* the service answers 3000 bytes */
    CTL_EOF_CLOSE = 0x80,       /* the service closes at eof */
    CTL_CONNECT = 0x100,        /* the ME connects to 192.168.1.1:80 */
    CTL_CLIENT_WRITE = 0x200,   /* ... writes to its newest one */
    CTL_CLIENT_CLOSE = 0x400,   /* ... closes it */
};

#define CLIENT_IDS      32

#define GUEST_IP        WIRE_IP(192, 168, 1, 50)
#define MAX_RECORDS     256

static const uint8_t nic_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

typedef struct Fuzz {
    VamtNet *net;
    int64_t now;
    int64_t timer;
    EchoService web, vnc;
    bool web_on, vnc_on, running, have_static;
    /* what the ME last said in TCP, and in DHCP */
    uint32_t me_seq_end, me_ack, me_xid;
    bool me_rst;                /* a RST went out */
    /* the ME's connections out: what it was told of each */
    uint64_t next_client;
    uint16_t client_port;       /* the newest one's SYN came from */
    bool in_connect;
    uint8_t client_state[CLIENT_IDS];   /* 0 opening, 1 up, 2 done */
} Fuzz;

static void op_send(void *opaque, const uint8_t *frame, size_t len)
{
    Fuzz *f = opaque;
    const char *why = NULL;
    WireFrame w;

    if (!wire_parse(frame, len, &w, &why)) {
        g_error("the ME sent a malformed frame: %s", why);
    }
    g_assert(!memcmp(w.src, nic_mac, 6));
    if (w.ethertype == WIRE_ETH_IPV4 && w.ip_proto == WIRE_IP_TCP) {
        f->me_seq_end = w.seq + wire_seg_len(&w);
        f->me_ack = w.ack;
        f->me_rst |= !!(w.tcp_flags & WIRE_RST);
        if (w.tcp_flags == WIRE_SYN) {
            f->client_port = w.sport;
        }
    }
    if (w.dhcp) {
        f->me_xid = w.dhcp_xid;
    }
}

static int64_t op_now(void *opaque)
{
    return ((Fuzz *)opaque)->now;
}

static void op_set_timer(void *opaque, int64_t deadline)
{
    ((Fuzz *)opaque)->timer = deadline;
}

static const VamtService *op_service(void *opaque, uint16_t port)
{
    Fuzz *f = opaque;

    if (port == 16992 && f->web_on) {
        return &f->web.svc;
    }
    if (port == 5900 && f->vnc_on) {
        return &f->vnc.svc;
    }
    return NULL;
}

static uint8_t *client_state(Fuzz *f, uint64_t id)
{
    g_assert(id >= 1 && id <= f->next_client && id <= CLIENT_IDS);
    g_assert(!f->in_connect);
    g_assert(f->client_state[id - 1] != 2);
    return &f->client_state[id - 1];
}

static void op_client_connected(void *opaque, uint64_t id)
{
    uint8_t *state = client_state(opaque, id);

    g_assert(*state == 0);
    *state = 1;
}

static void op_client_input(void *opaque, uint64_t id, const uint8_t *data,
                            size_t len)
{
    g_assert(*client_state(opaque, id) == 1 && len);
}

static void op_client_closed(void *opaque, uint64_t id)
{
    *client_state(opaque, id) = 2;
}

static const VamtNetOps fuzz_ops = {
    .send = op_send,
    .now = op_now,
    .set_timer = op_set_timer,
    .service = op_service,
    .client_connected = op_client_connected,
    .client_input = op_client_input,
    .client_closed = op_client_closed,
};

static void check_caps(Fuzz *f)
{
    VamtNetInfo info;

    vamt_net_get_info(f->net, &info);
    g_assert(info.half_open <= VAMT_NET_MAX_HALF_OPEN);
    g_assert(info.connections <= VAMT_NET_MAX_CONNECTIONS);
    g_assert(info.outbound <= VAMT_NET_MAX_OUTBOUND);
    g_assert(f->web.conns->len <= VAMT_NET_MAX_CONNECTIONS);
}

/* The timer fires when due; one that is always due again is a bug */
static void run_due(Fuzz *f)
{
    unsigned spins = 0;

    while (f->timer >= 0 && f->timer <= f->now) {
        g_assert(++spins < 1000);
        f->timer = -1;
        vamt_net_tick(f->net);
    }
}

static void advance(Fuzz *f, int64_t ms)
{
    int64_t end = f->now + ms;
    unsigned steps = 0;

    run_due(f);
    while (f->timer >= 0 && f->timer <= end) {
        g_assert(++steps < 100000);
        f->now = MAX(f->now, f->timer);
        run_due(f);
    }
    f->now = end;
    run_due(f);
}

static void control(Fuzz *f, uint16_t bits)
{
    EchoConn *c;

    if (bits & CTL_GUEST) {
        f->running = !f->running;
        vamt_net_set_guest_running(f->net, f->running);
    }
    if (bits & (CTL_VNC | CTL_WEB)) {
        f->vnc_on ^= !!(bits & CTL_VNC);
        f->web_on ^= !!(bits & CTL_WEB);
        vamt_net_services_changed(f->net);
    }
    /* after services_changed(): the connections it reset are gone */
    c = echo_service_last(&f->web);
    if (c && (bits & CTL_PUSH) && !c->closed) {
        echo_conn_push(c, "pushed", 6);
    }
    if (c && (bits & CTL_CLOSE)) {
        echo_conn_close(c);
    }
    if (bits & CTL_STATIC) {
        f->have_static = !f->have_static;
        vamt_net_set_static(f->net, f->have_static ? GUEST_IP : 0,
                            WIRE_IP(255, 255, 255, 0),
                            WIRE_IP(192, 168, 1, 1));
    }
    f->web.reply_size = bits & CTL_REPLY ? 3000 : 0;
    f->web.close_on_eof = bits & CTL_EOF_CLOSE;
    if ((bits & CTL_CONNECT) && f->next_client < CLIENT_IDS) {
        f->in_connect = true;
        if (vamt_net_connect(f->net, f->next_client + 1,
                             WIRE_IP(192, 168, 1, 1), 80)) {
            f->next_client++;
        }
        f->in_connect = false;
    }
    if (f->next_client && (bits & CTL_CLIENT_WRITE)) {
        vamt_net_client_write(f->net, f->next_client,
                              (const uint8_t *)"POST / HTTP/1.1\r\n", 17);
    }
    if (f->next_client && (bits & CTL_CLIENT_CLOSE)) {
        vamt_net_client_close(f->net, f->next_client);
        /* closed by the ME: nothing more may be reported */
        f->client_state[f->next_client - 1] = 2;
    }
    run_due(f);
}

/* Make the frame what the flags say; returns whether it is a TCP RST */
static bool patch(Fuzz *f, uint8_t *frame, size_t len, uint8_t flags)
{
    uint8_t *ip = frame + WIRE_ETH_HLEN;
    uint8_t *l4;
    size_t ihl;
    VamtNetInfo info;

    if ((flags & FLAG_ADDR) && len >= 6) {
        memcpy(frame, nic_mac, 6);
    }
    if (len < WIRE_ETH_HLEN + WIRE_IP_HLEN ||
        vamt_be16(frame + 12) != WIRE_ETH_IPV4) {
        return false;
    }
    ihl = (ip[0] & 0xf) * 4;
    if (flags & FLAG_ADDR) {
        vamt_net_get_info(f->net, &info);
        vamt_put_be32(ip + 16, info.address ? info.address : GUEST_IP);
    }
    l4 = ip + ihl;
    if (ihl < WIRE_IP_HLEN || l4 + 20 > frame + len) {
        if (flags & FLAG_FIX) {
            wire_fix_checksums(frame, len);
        }
        return false;
    }
    if (ip[9] == WIRE_IP_TCP) {
        if ((flags & FLAG_PORTS) && vamt_be16(l4) == 80) {
            vamt_put_be16(l4 + 2, f->client_port);
        } else if (flags & FLAG_PORTS) {
            vamt_put_be16(l4, 45000);
            vamt_put_be16(l4 + 2, 16992);
        }
        if (flags & FLAG_SEQ) {
            vamt_put_be32(l4 + 4, f->me_ack);
            vamt_put_be32(l4 + 8, f->me_seq_end);
        }
    } else if (ip[9] == WIRE_IP_UDP && (flags & FLAG_XID) &&
               l4 + 8 + 8 <= frame + len) {
        vamt_put_be32(l4 + 8 + 4, f->me_xid);
    }
    if (flags & FLAG_FIX) {
        wire_fix_checksums(frame, len);
    }
    return ip[9] == WIRE_IP_TCP && (l4[13] & WIRE_RST);
}

/* A frame of its own: what the endpoint reads past @len, ASan sees */
static uint8_t *copy(const uint8_t *data, size_t len)
{
    uint8_t *frame = g_malloc(len ? len : 1);

    memcpy(frame, data, len);
    return frame;
}

static void from_network(Fuzz *f, const uint8_t *data, size_t len,
                         uint8_t flags)
{
    g_autofree uint8_t *frame = copy(data, len);
    bool rst = patch(f, frame, len, flags);

    for (unsigned n = 0; n < (flags & FLAG_TWICE ? 2 : 1); n++) {
        f->me_rst = false;
        vamt_net_from_network(f->net, frame, len,
                              flags & (FLAG_DEAF | FLAG_TRUSTED));
        /* RFC 9293: a RST is never answered with a RST */
        g_assert(!(rst && f->me_rst));
        run_due(f);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Fuzz f = { .now = 1000000, .timer = -1 };
    unsigned records = 0;

    echo_service_init(&f.web, 16992, &f.now);
    echo_service_init(&f.vnc, 5900, &f.now);
    f.web_on = true;
    f.running = true;
    f.have_static = true;
    f.net = vamt_net_new(&fuzz_ops, &f);
    vamt_net_set_guest_running(f.net, true);
    vamt_net_set_mac(f.net, nic_mac);
    vamt_net_set_static(f.net, GUEST_IP, WIRE_IP(255, 255, 255, 0),
                        WIRE_IP(192, 168, 1, 1));

    while (size >= 4 && records++ < MAX_RECORDS) {
        uint16_t len = vamt_be16(data);
        uint8_t flags = data[2], dir = data[3] & 3;

        data += 4;
        size -= 4;
        switch (dir) {
        case 0:
        case 1:
            len = MIN(len, size);
            if (dir == 0) {
                from_network(&f, data, len, flags);
            } else {
                g_autofree uint8_t *frame = copy(data, len);

                /* the guest's frames come from the NIC's MAC */
                patch(&f, frame, len, flags & ~FLAG_ADDR);
                if ((flags & FLAG_ADDR) && len >= 12) {
                    memcpy(frame + 6, nic_mac, 6);
                }
                vamt_net_from_guest(f.net, frame, len);
                run_due(&f);
            }
            data += len;
            size -= len;
            break;
        case 2:
            advance(&f, len);
            break;
        case 3:
            control(&f, len);
            break;
        }
        check_caps(&f);
    }
    /* and whatever is left runs out */
    advance(&f, 20 * 60 * 1000);
    check_caps(&f);

    vamt_net_free(f.net);
    echo_service_destroy(&f.web);
    echo_service_destroy(&f.vnc);
    return 0;
}
