/*
 * Helpers of the ME endpoint's tests (net/vamt): Ethernet frames as a
 * console, a router, a DHCP server or the guest put them on the wire,
 * a strict parser of what the ME sends, and a fake "echo" service of
 * the ME behind a TCP port
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef NET_TEST_WIRE_H
#define NET_TEST_WIRE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "conn.h"

#define WIRE_ETH_HLEN       14
#define WIRE_ETH_MAX        1514
#define WIRE_ETH_IPV4       0x0800
#define WIRE_ETH_ARP        0x0806
#define WIRE_IP_HLEN        20
#define WIRE_TCP_HLEN       20
#define WIRE_IP_ICMP        1
#define WIRE_IP_TCP         6
#define WIRE_IP_UDP         17
#define WIRE_IP_MF          0x2000
#define WIRE_IP_DF          0x4000

#define WIRE_FIN            0x01
#define WIRE_SYN            0x02
#define WIRE_RST            0x04
#define WIRE_PSH            0x08
#define WIRE_ACK            0x10

#define WIRE_ARP_REQUEST    1
#define WIRE_ARP_REPLY      2

/* DHCP message types (option 53) */
#define WIRE_DHCPDISCOVER   1
#define WIRE_DHCPOFFER      2
#define WIRE_DHCPREQUEST    3
#define WIRE_DHCPACK        5
#define WIRE_DHCPNAK        6

/* a.b.c.d in host byte order */
#define WIRE_IP(a, b, c, d) \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

extern const uint8_t wire_broadcast[6];

/* ---- frames put on the wire ---- */

/* One TCP segment in an IPv4 packet in an Ethernet frame */
typedef struct WireTcp {
    const uint8_t *src_mac, *dst_mac;
    uint32_t src, dst;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t window;
    uint16_t mss;               /* an MSS option; 0: none */
    const uint8_t *options;     /* raw options instead (padded to 4) */
    size_t options_len;
    const uint8_t *data;
    size_t len;
    uint16_t frag;              /* IPv4 flags and fragment offset */
} WireTcp;

GByteArray *wire_tcp(const WireTcp *s);
GByteArray *wire_udp(const uint8_t *src_mac, const uint8_t *dst_mac,
                     uint32_t src, uint32_t dst, uint16_t sport,
                     uint16_t dport, const uint8_t *data, size_t len);
/* An ARP packet; the Ethernet header from @sha to @eth_dst */
GByteArray *wire_arp(uint16_t op, const uint8_t *eth_dst,
                     const uint8_t *sha, uint32_t spa,
                     const uint8_t *tha, uint32_t tpa);
/* An ICMP echo request (8) or reply (0) */
GByteArray *wire_icmp_echo(const uint8_t *src_mac, const uint8_t *dst_mac,
                           uint32_t src, uint32_t dst, uint8_t type,
                           uint16_t id, uint16_t seq, const uint8_t *data,
                           size_t len);

/* A DHCP server's message to a client (UDP 67 -> 68) */
typedef struct WireDhcp {
    const uint8_t *server_mac, *dst_mac;
    uint32_t server, dst;       /* the IPv4 source and destination */
    uint8_t type;               /* WIRE_DHCPOFFER, ACK, NAK */
    uint32_t xid;
    uint32_t yiaddr;
    const uint8_t *chaddr;
    uint32_t netmask, router;   /* 0: no option */
    uint32_t lease;             /* seconds; 0: no option */
} WireDhcp;

GByteArray *wire_dhcp(const WireDhcp *d);

/*
 * Recompute the IPv4 header checksum and the TCP, UDP or ICMP checksum
 * of a frame changed after it was built (as far as its lengths allow).
 */
void wire_fix_checksums(uint8_t *frame, size_t len);

/* ---- frames the ME sends, parsed ---- */

typedef struct WireFrame {
    uint8_t dst[6], src[6];
    uint16_t ethertype;
    /* ARP */
    uint16_t arp_op;
    uint8_t arp_sha[6], arp_tha[6];
    uint32_t arp_spa, arp_tpa;
    /* IPv4 */
    uint32_t ip_src, ip_dst;
    uint8_t ip_proto, ip_ttl;
    uint16_t ip_frag;
    /* TCP and UDP */
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t tcp_flags;
    uint16_t window;
    uint16_t mss;               /* the MSS option; 0: none */
    const uint8_t *payload;     /* TCP, UDP or ICMP data */
    size_t payload_len;
    /* ICMP */
    uint8_t icmp_type, icmp_code;
    uint16_t icmp_id, icmp_seq;
    /* DHCP (UDP 67/68) */
    bool dhcp;
    uint8_t dhcp_op, dhcp_type;
    uint32_t dhcp_xid, dhcp_ciaddr, dhcp_yiaddr;
    uint8_t dhcp_chaddr[6];
    uint32_t dhcp_requested, dhcp_server_id;
} WireFrame;

/*
 * Parse a frame strictly: lengths, IPv4 header and its checksum, the
 * TCP, UDP or ICMP checksum, TCP options.  False (and @why, if not
 * NULL, says what) for anything a receiver would drop.  @f points into
 * @frame.
 */
bool wire_parse(const uint8_t *frame, size_t len, WireFrame *f,
                const char **why);

/* Sequence space a segment takes: data, SYN and FIN */
static inline uint32_t wire_seg_len(const WireFrame *f)
{
    return f->payload_len + !!(f->tcp_flags & WIRE_SYN) +
           !!(f->tcp_flags & WIRE_FIN);
}

/* ---- a fake service of the ME ---- */

typedef struct EchoService EchoService;

/* One connection of the echo service */
typedef struct EchoConn {
    EchoService *service;
    const VamtStreamOps *ops;
    void *opaque;
    char *peer;
    GByteArray *received;       /* everything input() got, in order */
    unsigned inputs;            /* input() calls */
    unsigned eofs;              /* eof() calls: one at most */
    bool closed;
    bool busy;                  /* inside a call into the endpoint */
    bool authenticated;
    int64_t idle_since;
} EchoConn;

/*
 * Writes back what it gets (unless @reply_size: then that many bytes of
 * wire_pattern() per input); "QUIT" in the input makes it write "BYE"
 * and close.  It closes @idle_ms after the last input, and at eof when
 * @close_on_eof.
 */
struct EchoService {
    VamtService svc;
    const int64_t *now;         /* the ME's clock */
    GPtrArray *conns;           /* EchoConn: open, not freed, in order */
    unsigned opened, freed;
    bool echo;
    size_t reply_size;
    bool close_on_eof;
    int64_t idle_ms;
    bool authenticate;          /* new connections are authenticated */
};

void echo_service_init(EchoService *s, uint16_t port, const int64_t *now);
/* Every connection must have been freed by the endpoint */
void echo_service_destroy(EchoService *s);
/* The newest connection not freed, or NULL */
EchoConn *echo_service_last(EchoService *s);
/* The service closes @c, as when a session ends from elsewhere */
void echo_conn_close(EchoConn *c);
/* The service writes outside input (guest output) and wakes the endpoint */
void echo_conn_push(EchoConn *c, const void *data, size_t len);
/* What the transport says it holds unacknowledged; 0 without ->pending */
size_t echo_conn_pending(EchoConn *c);

/* Byte @i of a long reply: never repeats within 251 bytes */
static inline uint8_t wire_pattern(size_t i)
{
    return (uint8_t)(i % 251);
}

#endif
