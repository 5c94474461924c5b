/*
 * vAMT NIC endpoint: the frame formats it reads and writes (internal)
 *
 * Ethernet II, ARP for IPv4, IPv4, ICMP echo, UDP (DHCP) and TCP, as
 * offsets into byte buffers: frames are read in place, never cast to
 * structs, so a short or odd frame cannot be read past its end.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_NET_WIRE_H
#define VAMT_NET_WIRE_H

#include <glib.h>

#include "byte-order.h"
#include "endpoint.h"

#define ETH_HLEN            14
#define ETH_ALEN            6
#define ETH_TYPE_IPV4       0x0800
#define ETH_TYPE_ARP        0x0806
#define ETH_MIN_FRAME       60          /* without the FCS */

#define ARP_LEN             28
#define ARP_OP_REQUEST      1
#define ARP_OP_REPLY        2

#define IP_HLEN             20
#define IP_PROTO_ICMP       1
#define IP_PROTO_TCP        6
#define IP_PROTO_UDP        17
#define IP_FLAG_MF          0x2000
#define IP_OFFSET_MASK      0x1fff
#define IP_TTL              64

#define ICMP_ECHO_REPLY     0
#define ICMP_ECHO_REQUEST   8

#define UDP_HLEN            8
#define TCP_HLEN            20

/* TCP flags */
#define TCP_FIN             0x01
#define TCP_SYN             0x02
#define TCP_RST             0x04
#define TCP_PSH             0x08
#define TCP_ACK             0x10

/* The MTU the ME assumes: Ethernet's */
#define VAMT_NET_MTU        1500

/* A parsed IPv4 packet inside a frame (host byte order) */
typedef struct VamtIpPacket {
    const uint8_t *eth;             /* the frame */
    const uint8_t *payload;         /* after the IP header */
    size_t payload_len;
    uint32_t src, dst;
    uint8_t proto;
    bool fragment;
} VamtIpPacket;

struct VamtTcp;

/* What the TCP part sees of the endpoint (net.c) */
uint32_t vamt_net_address(VamtNet *net);
const uint8_t *vamt_net_mac(VamtNet *net);
int64_t vamt_net_now(VamtNet *net);
const VamtNetOps *vamt_net_ops(VamtNet *net, void **opaque);
/* Send an IPv4 packet of @payload to @dst at @dst_mac, from the ME */
void vamt_net_send_ip(VamtNet *net, const uint8_t *dst_mac, uint32_t dst,
                      uint8_t proto, const uint8_t *payload, size_t len);
void vamt_net_count_reset(VamtNet *net);
/* Something changed outside input: run the timers now */
void vamt_net_kick(VamtNet *net);
/*
 * Where a packet to @dst goes first: @dst on the link, else the
 * gateway; false if nowhere (no address yet, no gateway, not unicast)
 */
bool vamt_net_next_hop(VamtNet *net, uint32_t dst, uint32_t *hop);
/* @hop's MAC if ARP told it; else ask (at most once a second), false */
bool vamt_net_resolve(VamtNet *net, uint32_t hop, uint8_t *mac);

/* One's-complement sum of @len bytes, folded into @sum (RFC 1071) */
static inline uint32_t vamt_net_sum(uint32_t sum, const uint8_t *p,
                                    size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i += 2) {
        sum += vamt_be16(p + i);
    }
    if (len & 1) {
        sum += p[len - 1] << 8;
    }
    return sum;
}

static inline uint16_t vamt_net_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum & 0xffff;
}

/* The TCP/UDP pseudo-header's part of the checksum */
static inline uint32_t vamt_net_pseudo_sum(uint32_t src, uint32_t dst,
                                           uint8_t proto, size_t len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
           proto + (uint32_t)len;
}

/* tcp.c */
typedef struct VamtTcp VamtTcp;
VamtTcp *vamt_tcp_new(VamtNet *net);
void vamt_tcp_free(VamtTcp *tcp);
/* A TCP segment to the ME's address; true if it is the ME's */
bool vamt_tcp_input(VamtTcp *tcp, const VamtIpPacket *ip, bool csum_trusted);
/*
 * Is a segment from @src:@sport to @dport at the ME's address the ME's?
 * Its ports, and its own connections' exact addresses and ports.
 */
bool vamt_tcp_takes(VamtTcp *tcp, uint32_t src, uint16_t sport,
                    uint16_t dport);
/* The ME's own connections out (vamt_net_connect) */
bool vamt_tcp_connect(VamtTcp *tcp, uint64_t id, uint32_t dst,
                      uint16_t port);
void vamt_tcp_client_write(VamtTcp *tcp, uint64_t id, const uint8_t *data,
                           size_t len);
void vamt_tcp_client_close(VamtTcp *tcp, uint64_t id);
/* ARP told the MAC of @hop: connections waiting for it go on */
void vamt_tcp_hop_resolved(VamtTcp *tcp, uint32_t hop);
void vamt_tcp_tick(VamtTcp *tcp);
int64_t vamt_tcp_deadline(VamtTcp *tcp);
void vamt_tcp_services_changed(VamtTcp *tcp);
void vamt_tcp_address_changed(VamtTcp *tcp);
void vamt_tcp_count(VamtTcp *tcp, unsigned *established, unsigned *half_open,
                    unsigned *outbound);

/* dhcp.c: the ME's own lease, and what the guest's DHCP says */
typedef struct VamtDhcp VamtDhcp;
typedef struct VamtDhcpLease {
    uint32_t address, netmask, gateway, server;
    int64_t expires;                /* ME clock, ms */
} VamtDhcpLease;
VamtDhcp *vamt_dhcp_new(VamtNet *net);
void vamt_dhcp_free(VamtDhcp *dhcp);
/*
 * A UDP datagram from the network (ports 67 -> 68).  Returns true if it
 * answers the ME's own request (the guest must not see it); fills
 * @snooped when it is an ACK for the guest's MAC.
 */
bool vamt_dhcp_input(VamtDhcp *dhcp, const VamtIpPacket *ip,
                     const uint8_t *udp_payload, size_t len,
                     VamtDhcpLease *snooped, bool *have_snooped);
/* Run the client now (@want: the ME needs an address of its own) */
void vamt_dhcp_set_wanted(VamtDhcp *dhcp, bool want);
bool vamt_dhcp_lease(VamtDhcp *dhcp, VamtDhcpLease *lease);
void vamt_dhcp_tick(VamtDhcp *dhcp);
int64_t vamt_dhcp_deadline(VamtDhcp *dhcp);
/* net.c: the ME's own DHCP client got (or lost) its lease */
void vamt_net_lease_changed(VamtNet *net);
/* net.c: send a UDP broadcast from 0.0.0.0 or the lease's address */
void vamt_net_send_udp_broadcast(VamtNet *net, uint32_t src, uint16_t sport,
                                 uint16_t dport, const uint8_t *payload,
                                 size_t len);

#endif
