/*
 * The unit tests' NIC endpoint on a fake platform (clock, timer, the
 * frames it sends) and a console or attacker on the network speaking
 * TCP to it: what test-vamt-tcp.c and test-vamt-net.c drive it with.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_NET_TEST_ENV_H
#define VAMT_NET_TEST_ENV_H

#include <glib.h>
#include <string.h>

#include "byte-order.h"
#include "endpoint.h"
#include "net-test-wire.h"

extern const uint8_t nic_mac[6];
extern const uint8_t console_mac[6];
extern const uint8_t router_mac[6];
extern const uint8_t other_mac[6];
extern const uint8_t zero_mac[6];

#define GUEST_IP        WIRE_IP(192, 168, 1, 50)
#define ROUTER_IP       WIRE_IP(192, 168, 1, 1)
#define NETMASK         WIRE_IP(255, 255, 255, 0)
#define WEB_PORT        16992
#define VNC_PORT        5900
#define MINUTE_MS       (60 * 1000)

typedef struct SentFrame {
    GByteArray *bytes;
    int64_t at;                 /* the ME's clock when it was sent */
} SentFrame;

/* What the ME heard of its own connection out number i (id i) */
#define TEST_CLIENTS    12
typedef struct ClientRecord {
    unsigned connected, closed;
    GByteArray *input;
    bool close_on_input;        /* the ME closes it from inside its report */
} ClientRecord;

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
    ClientRecord client[TEST_CLIENTS];
    bool in_connect;            /* reports must not come from inside it */
} TestNet;

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

void sent_frame_free(SentFrame *s);
/* The fake platform, no endpoint yet (t->net is the caller's to make) */
TestNet *net_alloc(void);
/* The endpoint on the fake platform; with the guest's static address */
TestNet *net_new(bool with_address);
void net_free(TestNet *t);
VamtNetInfo net_info(TestNet *t);
void run_due(TestNet *t);
void advance(TestNet *t, int64_t ms);
bool advance_to_timer(TestNet *t, int64_t limit);
bool net_in_flags(TestNet *t, GByteArray *frame, unsigned flags);
bool net_in(TestNet *t, GByteArray *frame);
void guest_out(TestNet *t, GByteArray *frame);
unsigned frames_pending(TestNet *t);
void drop_frames(TestNet *t);
void take_frame_at(TestNet *t, unsigned i, WireFrame *f);
bool next_frame(TestNet *t, WireFrame *f);
bool next_dhcp(TestNet *t, WireFrame *f);
/* A console at 192.168.1.@host, from @port (see net-test-env.c) */
void peer_init(Peer *p, TestNet *t, uint8_t host, uint16_t port);
void peer_clear(Peer *p);
GByteArray *peer_frame(Peer *p, uint8_t flags, uint32_t seq,
                       uint32_t ack, const void *data, size_t len);
bool peer_tcp(Peer *p, uint8_t flags, uint32_t seq, uint32_t ack,
              const void *data, size_t len);
bool peer_reads(Peer *p, WireFrame *f);
void peer_take(Peer *p, const WireFrame *f);
unsigned peer_read_all(Peer *p);
void peer_ack(Peer *p);
void peer_sync(Peer *p);
void peer_send(Peer *p, const void *data, size_t len);
void peer_send_str(Peer *p, const char *s);
void peer_fin(Peer *p);
bool peer_syn(Peer *p);
bool peer_try_connect(Peer *p);
void peer_connect(Peer *p);
void assert_peer_reset_by(Peer *p, uint8_t flags);
void assert_connections(TestNet *t, unsigned n);
void assert_untouched(TestNet *t);
/* The fake platform TestNet gives the endpoint */
extern const VamtNetOps net_test_ops;
GByteArray *syn_to(uint32_t dst, const uint8_t *dst_mac, uint16_t dport);
/* vamt_net_connect(), checking that it reports nothing from inside */
bool client_connect(TestNet *t, uint64_t id, uint32_t dst, uint16_t port);

#endif
