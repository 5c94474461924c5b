/*
 * vAMT NIC endpoint: Ethernet, ARP, IPv4, ICMP and the guest's address
 *
 * The endpoint shares the guest's MAC and IPv4 address, as AMT shares
 * the host's on a wired LAN.  What it takes from the wire is TCP to the
 * ME's ports at that address, the answers to its own DHCP requests,
 * and, while the guest cannot answer (VM off, stopped, NIC not yet
 * receiving), ARP requests and ICMP echo for that address; everything
 * else is the guest's.
 *
 * The address is learned, most trusted first: a static setting; a DHCP
 * ACK the guest received; the ME's own DHCP lease (only asked for while
 * the guest does not run and nothing else is known); the guest's ARP;
 * the source of the guest's own IPv4 packets.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "wire.h"

/*
 * The next hops the ME's own connections out go to (the gateway, or a
 * peer on the link): few, so a small table, learned from ARP only.
 */
#define NET_ARP_ENTRIES     8
#define NET_ARP_TTL_MS      (5 * 60 * 1000)
/* A request for the same address at most this often */
#define NET_ARP_ASK_MS      1000

typedef struct NetArpEntry {
    uint32_t ip;                    /* 0: free */
    uint8_t mac[ETH_ALEN];
    bool known;
    int64_t expires;                /* known: until; else since asked */
    int64_t asked;
} NetArpEntry;

struct VamtNet {
    const VamtNetOps *ops;
    void *opaque;
    uint8_t mac[ETH_ALEN];
    bool have_mac;
    bool guest_running;
    VamtNetInfo info;               /* address, source and counters */
    uint16_t ip_id;
    int64_t timer;                  /* what set_timer was last told */
    int64_t unknown_since;          /* running guest, no address: -1 */
    bool dhcp_asked;                /* the ME's DHCP runs until it knows */
    int64_t last_seen;              /* the guest last used the address */
    VamtTcp *tcp;
    VamtDhcp *dhcp;
    VamtDefense *defense;
    NetArpEntry arp[NET_ARP_ENTRIES];   /* next hops of the ME's own */
};

static const uint8_t broadcast_mac[ETH_ALEN] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};

const char *vamt_net_address_source_name(VamtNetAddressSource source)
{
    static const char *const names[] = {
        [VAMT_NET_ADDRESS_NONE] = "none",
        [VAMT_NET_ADDRESS_STATIC] = "static",
        [VAMT_NET_ADDRESS_DHCP_SNOOP] = "dhcp-snoop",
        [VAMT_NET_ADDRESS_ME_DHCP] = "me-dhcp",
        [VAMT_NET_ADDRESS_ARP] = "arp",
        [VAMT_NET_ADDRESS_TRAFFIC] = "traffic",
    };

    return source < G_N_ELEMENTS(names) ? names[source] : "none";
}

/* Lower is more trusted: the order of VamtNetAddressSource */
static bool source_may_replace(VamtNetAddressSource current,
                               VamtNetAddressSource candidate)
{
    return current == VAMT_NET_ADDRESS_NONE || candidate <= current;
}

/* A running guest that shows no address this long: the ME asks DHCP */
#define GUEST_SILENT_MS     30000

static bool address_unknown(VamtNet *net)
{
    return net->info.source == VAMT_NET_ADDRESS_NONE ||
           net->info.source == VAMT_NET_ADDRESS_ME_DHCP;
}

/* The earliest deadline of the parts, to the platform's timer */
static void update_timer(VamtNet *net)
{
    int64_t t = vamt_tcp_deadline(net->tcp);
    int64_t d = vamt_dhcp_deadline(net->dhcp);

    if (d >= 0 && (t < 0 || d < t)) {
        t = d;
    }
    if (net->unknown_since >= 0) {
        d = net->unknown_since + GUEST_SILENT_MS;
        if (t < 0 || d < t) {
            t = d;
        }
    }
    if (t != net->timer) {
        net->timer = t;
        net->ops->set_timer(net->opaque, t);
    }
}

/*
 * The ME's own DHCP runs only while nothing better is known: while the
 * guest does not run, or has run for a while without showing its
 * address.
 */
static void update_dhcp(VamtNet *net)
{
    bool want = false;

    if (net->have_mac && address_unknown(net)) {
        if (!net->guest_running) {
            want = true;
            net->unknown_since = -1;
        } else if (net->unknown_since < 0 && !net->dhcp_asked) {
            net->unknown_since = net->ops->now(net->opaque);
        } else if (net->unknown_since >= 0 &&
                   net->ops->now(net->opaque) >=
                   net->unknown_since + GUEST_SILENT_MS) {
            want = true;
            net->unknown_since = -1;
        }
        net->dhcp_asked |= want;
        want |= net->dhcp_asked;
    } else {
        net->unknown_since = -1;
        net->dhcp_asked = false;
    }
    vamt_dhcp_set_wanted(net->dhcp, want);
}

static void send_frame(VamtNet *net, const uint8_t *dst_mac, uint16_t type,
                       const uint8_t *payload, size_t len);

/* An ARP packet from the ME's MAC and address */
static void send_arp(VamtNet *net, uint16_t op, const uint8_t *dst_mac,
                     const uint8_t *target_mac, uint32_t target_ip)
{
    uint8_t arp[ARP_LEN];

    vamt_put_be16(arp, 1);
    vamt_put_be16(arp + 2, ETH_TYPE_IPV4);
    arp[4] = ETH_ALEN;
    arp[5] = 4;
    vamt_put_be16(arp + 6, op);
    memcpy(arp + 8, net->mac, ETH_ALEN);
    vamt_put_be32(arp + 14, net->info.address);
    memcpy(arp + 18, target_mac, ETH_ALEN);
    vamt_put_be32(arp + 24, target_ip);
    send_frame(net, dst_mac, ETH_TYPE_ARP, arp, ARP_LEN);
}

/*
 * A gratuitous ARP for an address the ME took itself, as a NIC that
 * comes up does: peers that asked for it before (a console's SYN
 * waiting in libslirp's queue for an ARP answer) learn it now.
 */
static void announce(VamtNet *net)
{
    static const uint8_t unknown_mac[ETH_ALEN];

    if (net->have_mac) {
        send_arp(net, ARP_OP_REQUEST, broadcast_mac, unknown_mac,
                 net->info.address);
    }
}

static void set_address(VamtNet *net, VamtNetAddressSource source,
                        uint32_t address, uint32_t netmask, uint32_t gateway)
{
    bool moved = address != net->info.address;

    if (moved) {
        /* connections to the old address have nowhere to go */
        vamt_tcp_address_changed(net->tcp);
        memset(net->arp, 0, sizeof(net->arp));
        net->last_seen = net->ops->now(net->opaque);
    }
    net->info.source = address ? source : VAMT_NET_ADDRESS_NONE;
    net->info.address = address;
    net->info.dhcp = source == VAMT_NET_ADDRESS_DHCP_SNOOP ||
                     source == VAMT_NET_ADDRESS_ME_DHCP;
    if (netmask || !address) {
        net->info.netmask = netmask;
    }
    if (gateway || !address) {
        net->info.gateway = gateway;
    }
    update_dhcp(net);
    if (moved && address && (source == VAMT_NET_ADDRESS_ME_DHCP ||
                             source == VAMT_NET_ADDRESS_STATIC)) {
        announce(net);
    }
}

/*
 * An address the guest's own ARP or packets show replaces one they
 * showed before only once the old one has been silent this long: a guest
 * with two addresses, or one that forwards, must not move the ME to and
 * fro under its consoles.
 */
#define ADDRESS_STALE_MS    60000

/* A weaker source only fills in an unknown or equally weak address */
static void learn(VamtNet *net, VamtNetAddressSource source,
                  uint32_t address, uint32_t netmask, uint32_t gateway)
{
    bool observed = source == VAMT_NET_ADDRESS_ARP ||
                    source == VAMT_NET_ADDRESS_TRAFFIC;

    if (!address || address == 0xffffffff || (address >> 24) == 127 ||
        (address >> 28) == 0xe) {
        return;
    }
    if (observed && address == net->info.address) {
        net->last_seen = net->ops->now(net->opaque);
    }
    if (!source_may_replace(net->info.source, source)) {
        return;
    }
    if (observed && net->info.address && address != net->info.address &&
        (net->info.source == VAMT_NET_ADDRESS_ARP ||
         net->info.source == VAMT_NET_ADDRESS_TRAFFIC) &&
        net->ops->now(net->opaque) - net->last_seen < ADDRESS_STALE_MS) {
        return;
    }
    if (address == net->info.address && source == net->info.source &&
        (!netmask || netmask == net->info.netmask) &&
        (!gateway || gateway == net->info.gateway)) {
        return;
    }
    set_address(net, source, address, netmask, gateway);
}

VamtNet *vamt_net_new(const VamtNetOps *ops, void *opaque)
{
    VamtNet *net = g_new0(VamtNet, 1);

    net->ops = ops;
    net->opaque = opaque;
    net->timer = -1;
    net->unknown_since = -1;
    net->tcp = vamt_tcp_new(net);
    net->dhcp = vamt_dhcp_new(net);
    net->defense = vamt_defense_new();
    return net;
}

void vamt_net_free(VamtNet *net)
{
    if (net) {
        vamt_tcp_free(net->tcp);
        vamt_dhcp_free(net->dhcp);
        vamt_defense_free(net->defense);
        g_free(net);
    }
}

void vamt_net_set_mac(VamtNet *net, const uint8_t mac[6])
{
    memcpy(net->mac, mac, ETH_ALEN);
    net->have_mac = true;
    update_dhcp(net);
    update_timer(net);
}

void vamt_net_set_static(VamtNet *net, uint32_t address, uint32_t netmask,
                         uint32_t gateway)
{
    if (address) {
        set_address(net, VAMT_NET_ADDRESS_STATIC, address, netmask, gateway);
    } else if (net->info.source == VAMT_NET_ADDRESS_STATIC) {
        set_address(net, VAMT_NET_ADDRESS_NONE, 0, 0, 0);
    }
    update_timer(net);
}

void vamt_net_set_guest_running(VamtNet *net, bool running)
{
    net->guest_running = running;
    update_dhcp(net);
    update_timer(net);
}

/* ---- what tcp.c and dhcp.c use ---------------------------------------- */

uint32_t vamt_net_address(VamtNet *net)
{
    return net->info.address;
}

const uint8_t *vamt_net_mac(VamtNet *net)
{
    return net->mac;
}

int64_t vamt_net_now(VamtNet *net)
{
    return net->ops->now(net->opaque);
}

const VamtNetOps *vamt_net_ops(VamtNet *net, void **opaque)
{
    *opaque = net->opaque;
    return net->ops;
}

void vamt_net_kick(VamtNet *net)
{
    net->timer = net->ops->now(net->opaque);
    net->ops->set_timer(net->opaque, net->timer);
}

void vamt_net_count_reset(VamtNet *net)
{
    net->info.resets_sent++;
}

static void send_frame(VamtNet *net, const uint8_t *dst_mac, uint16_t type,
                       const uint8_t *payload, size_t len)
{
    size_t frame_len = MAX(ETH_HLEN + len, ETH_MIN_FRAME);
    g_autofree uint8_t *frame = g_malloc0(frame_len);

    memcpy(frame, dst_mac, ETH_ALEN);
    memcpy(frame + ETH_ALEN, net->mac, ETH_ALEN);
    vamt_put_be16(frame + 12, type);
    memcpy(frame + ETH_HLEN, payload, len);
    net->info.frames_sent++;
    net->ops->send(net->opaque, frame, frame_len);
}

static void send_ip_from(VamtNet *net, const uint8_t *dst_mac, uint32_t src,
                         uint32_t dst, uint8_t proto, const uint8_t *payload,
                         size_t len)
{
    g_autofree uint8_t *ip = g_malloc(IP_HLEN + len);

    ip[0] = 0x45;
    ip[1] = 0;
    vamt_put_be16(ip + 2, IP_HLEN + len);
    vamt_put_be16(ip + 4, net->ip_id++);
    vamt_put_be16(ip + 6, 0x4000);      /* don't fragment */
    ip[8] = IP_TTL;
    ip[9] = proto;
    vamt_put_be16(ip + 10, 0);
    vamt_put_be32(ip + 12, src);
    vamt_put_be32(ip + 16, dst);
    vamt_put_be16(ip + 10, vamt_net_fold(vamt_net_sum(0, ip, IP_HLEN)));
    memcpy(ip + IP_HLEN, payload, len);
    send_frame(net, dst_mac, ETH_TYPE_IPV4, ip, IP_HLEN + len);
}

void vamt_net_send_ip(VamtNet *net, const uint8_t *dst_mac, uint32_t dst,
                      uint8_t proto, const uint8_t *payload, size_t len)
{
    send_ip_from(net, dst_mac, net->info.address, dst, proto, payload, len);
}

void vamt_net_send_udp_broadcast(VamtNet *net, uint32_t src, uint16_t sport,
                                 uint16_t dport, const uint8_t *payload,
                                 size_t len)
{
    g_autofree uint8_t *udp = g_malloc(UDP_HLEN + len);
    uint32_t sum;

    vamt_put_be16(udp, sport);
    vamt_put_be16(udp + 2, dport);
    vamt_put_be16(udp + 4, UDP_HLEN + len);
    vamt_put_be16(udp + 6, 0);
    memcpy(udp + UDP_HLEN, payload, len);
    sum = vamt_net_pseudo_sum(src, 0xffffffff, IP_PROTO_UDP, UDP_HLEN + len);
    vamt_put_be16(udp + 6,
                  vamt_net_fold(vamt_net_sum(sum, udp, UDP_HLEN + len)) ?:
                  0xffff);
    send_ip_from(net, broadcast_mac, src, 0xffffffff, IP_PROTO_UDP, udp,
                 UDP_HLEN + len);
}

void vamt_net_lease_changed(VamtNet *net)
{
    VamtDhcpLease lease;

    if (vamt_dhcp_lease(net->dhcp, &lease)) {
        learn(net, VAMT_NET_ADDRESS_ME_DHCP, lease.address, lease.netmask,
              lease.gateway);
    } else if (net->info.source == VAMT_NET_ADDRESS_ME_DHCP) {
        set_address(net, VAMT_NET_ADDRESS_NONE, 0, 0, 0);
    }
}

/* ---- next hops of the ME's own connections ------------------------------- */

bool vamt_net_next_hop(VamtNet *net, uint32_t dst, uint32_t *hop)
{
    uint32_t mask = net->info.netmask;

    if (!net->info.address || !dst || dst == 0xffffffff ||
        (dst >> 28) == 0xe || (dst >> 24) == 127 ||
        dst == net->info.address) {
        return false;
    }
    if (mask && (dst & mask) == (net->info.address & mask)) {
        *hop = dst;
        /* the link's broadcast address is no peer */
        return mask == 0xffffffff || (dst | mask) != 0xffffffff;
    }
    *hop = net->info.gateway;
    return *hop != 0;
}

static NetArpEntry *arp_entry(VamtNet *net, uint32_t ip, bool create)
{
    NetArpEntry *e, *victim = &net->arp[0];
    int64_t t = net->ops->now(net->opaque);

    for (e = net->arp; e < net->arp + NET_ARP_ENTRIES; e++) {
        if (e->ip && e->known && t >= e->expires) {
            e->ip = 0;
        }
        if (e->ip == ip) {
            return e;
        }
        if (!e->ip || (victim->ip && e->asked < victim->asked)) {
            victim = e;
        }
    }
    if (!create) {
        return NULL;
    }
    memset(victim, 0, sizeof(*victim));
    victim->ip = ip;
    victim->asked = INT64_MIN;
    return victim;
}

bool vamt_net_resolve(VamtNet *net, uint32_t hop, uint8_t *mac)
{
    static const uint8_t unknown_mac[ETH_ALEN];
    NetArpEntry *e = arp_entry(net, hop, true);
    int64_t t = net->ops->now(net->opaque);

    if (e->known) {
        memcpy(mac, e->mac, ETH_ALEN);
        return true;
    }
    if (net->have_mac && net->info.address &&
        (e->asked == INT64_MIN || t - e->asked >= NET_ARP_ASK_MS)) {
        e->asked = t;
        send_arp(net, ARP_OP_REQUEST, broadcast_mac, unknown_mac, hop);
    }
    return false;
}

/*
 * Any ARP packet on the wire tells its sender's MAC: an address the ME
 * asked for (or knows) is learned, and connections waiting for it go on.
 * The guest sees the packet too.
 */
static void arp_learn(VamtNet *net, const uint8_t *a)
{
    uint32_t sender = vamt_be32(a + 14);
    NetArpEntry *e = sender ? arp_entry(net, sender, false) : NULL;
    bool was_known;

    if (!e || (a[8] & 1)) {
        return;
    }
    was_known = e->known;
    memcpy(e->mac, a + 8, ETH_ALEN);
    e->known = true;
    e->expires = net->ops->now(net->opaque) + NET_ARP_TTL_MS;
    if (!was_known) {
        vamt_tcp_hop_resolved(net->tcp, sender);
    }
}

/* ---- parsing ----------------------------------------------------------- */

/*
 * The IPv4 packet of an Ethernet frame, checked: version, header length,
 * total length within the frame (Ethernet padding after it is ignored)
 * and, unless the transport vouches for it, the header checksum.
 */
static bool parse_ip(const uint8_t *frame, size_t len, bool csum_trusted,
                     VamtIpPacket *ip)
{
    const uint8_t *p = frame + ETH_HLEN;
    size_t hlen, total;
    uint16_t frag;

    if (len < ETH_HLEN + IP_HLEN || vamt_be16(frame + 12) != ETH_TYPE_IPV4 ||
        (p[0] >> 4) != 4) {
        return false;
    }
    hlen = (p[0] & 0xf) * 4;
    total = vamt_be16(p + 2);
    if (hlen < IP_HLEN || total < hlen || total > len - ETH_HLEN) {
        return false;
    }
    if (!csum_trusted && vamt_net_fold(vamt_net_sum(0, p, hlen))) {
        return false;
    }
    frag = vamt_be16(p + 6);
    ip->eth = frame;
    ip->payload = p + hlen;
    ip->payload_len = total - hlen;
    ip->proto = p[9];
    ip->src = vamt_be32(p + 12);
    ip->dst = vamt_be32(p + 16);
    ip->fragment = (frag & IP_FLAG_MF) || (frag & IP_OFFSET_MASK);
    return true;
}

/* ---- ARP and ICMP, for the guest while it cannot answer ---------------- */

static bool arp_from_network(VamtNet *net, const uint8_t *frame, size_t len,
                             bool guest_deaf)
{
    const uint8_t *a = frame + ETH_HLEN;

    if (len < ETH_HLEN + ARP_LEN || vamt_be16(a) != 1 ||
        vamt_be16(a + 2) != ETH_TYPE_IPV4 || a[4] != ETH_ALEN || a[5] != 4) {
        return false;
    }
    arp_learn(net, a);
    if (!guest_deaf || !net->info.address ||
        vamt_be16(a + 6) != ARP_OP_REQUEST ||
        vamt_be32(a + 24) != net->info.address) {
        return false;
    }
    net->info.frames_taken++;
    send_arp(net, ARP_OP_REPLY, a + 8, a + 8, vamt_be32(a + 14));
    return true;
}

static bool icmp_from_network(VamtNet *net, const VamtIpPacket *ip)
{
    g_autofree uint8_t *reply = NULL;

    if (ip->payload_len < 8 || ip->payload[0] != ICMP_ECHO_REQUEST ||
        ip->fragment) {
        return false;
    }
    if (vamt_net_fold(vamt_net_sum(0, ip->payload, ip->payload_len))) {
        net->info.frames_refused++;
        return true;
    }
    reply = g_memdup2(ip->payload, ip->payload_len);
    reply[0] = ICMP_ECHO_REPLY;
    vamt_put_be16(reply + 2, 0);
    vamt_put_be16(reply + 2,
                  vamt_net_fold(vamt_net_sum(0, reply, ip->payload_len)));
    net->info.frames_taken++;
    vamt_net_send_ip(net, ip->eth + ETH_ALEN, ip->src, IP_PROTO_ICMP, reply,
                     ip->payload_len);
    return true;
}

/* Is this TCP segment (a first fragment or whole packet) the ME's? */
static bool tcp_is_me(VamtNet *net, const VamtIpPacket *ip)
{
    if (ip->proto != IP_PROTO_TCP || ip->payload_len < 4) {
        return false;
    }
    return vamt_tcp_takes(net->tcp, ip->src, vamt_be16(ip->payload),
                          vamt_be16(ip->payload + 2));
}

/*
 * RFC 1122 4.2.3.10: a segment from a broadcast or multicast address
 * (or MAC) is answered by nobody, or the ME would amplify it
 */
static bool is_unicast_source(VamtNet *net, const uint8_t *frame,
                              uint32_t src)
{
    uint32_t mask = net->info.netmask;

    return !(frame[ETH_ALEN] & 1) && src && src != 0xffffffff &&
           (src >> 28) != 0xe &&
           !(mask && mask != 0xffffffff && (src | mask) == 0xffffffff);
}

static bool is_unicast_to_us(VamtNet *net, const uint8_t *frame)
{
    return !memcmp(frame, net->mac, ETH_ALEN);
}

static bool from_network(VamtNet *net, const uint8_t *frame, size_t len,
                         unsigned flags)
{
    bool deaf = flags & VAMT_NET_GUEST_DEAF;
    VamtIpPacket ip;

    if (!net->have_mac || len < ETH_HLEN) {
        return false;
    }
    if (memcmp(frame, net->mac, ETH_ALEN) &&
        memcmp(frame, broadcast_mac, ETH_ALEN)) {
        return false;                   /* not for this NIC */
    }
    if (vamt_be16(frame + 12) == ETH_TYPE_ARP) {
        return arp_from_network(net, frame, len, deaf);
    }
    if (!parse_ip(frame, len, flags & VAMT_NET_CSUM_TRUSTED, &ip)) {
        return false;                   /* the guest's to judge */
    }
    if (ip.proto == IP_PROTO_UDP && !ip.fragment &&
        ip.payload_len >= UDP_HLEN && vamt_be16(ip.payload) == 67 &&
        vamt_be16(ip.payload + 2) == 68) {
        size_t udp_len = vamt_be16(ip.payload + 4);
        VamtDhcpLease snooped;
        bool have_snooped = false;
        bool mine;

        if (udp_len < UDP_HLEN || udp_len > ip.payload_len) {
            return false;
        }
        mine = vamt_dhcp_input(net->dhcp, &ip, ip.payload + UDP_HLEN,
                               udp_len - UDP_HLEN, &snooped, &have_snooped);
        if (have_snooped) {
            learn(net, VAMT_NET_ADDRESS_DHCP_SNOOP, snooped.address,
                  snooped.netmask, snooped.gateway);
        }
        if (mine) {
            net->info.frames_taken++;
        }
        return mine;
    }
    if (!net->info.address || ip.dst != net->info.address ||
        !is_unicast_to_us(net, frame)) {
        return false;
    }
    if (tcp_is_me(net, &ip)) {
        if (ip.fragment || !is_unicast_source(net, frame, ip.src)) {
            /* the ME reassembles nothing: refused, and seen by nobody */
            net->info.frames_refused++;
            return true;
        }
        if (vamt_tcp_input(net->tcp, &ip, flags & VAMT_NET_CSUM_TRUSTED)) {
            net->info.frames_taken++;
        } else {
            net->info.frames_refused++;
        }
        return true;
    }
    if (ip.proto == IP_PROTO_ICMP && deaf) {
        return icmp_from_network(net, &ip);
    }
    return false;
}

/* The guest's traffic, not the ME's, through System Defense */
static bool defense_drops(VamtNet *net, VamtDefenseDirection direction,
                          const uint8_t *frame, size_t len)
{
    if (!vamt_defense_drops(net->defense, direction, frame, len,
                            net->ops->now(net->opaque))) {
        return false;
    }
    net->info.defense_dropped++;
    return true;
}

bool vamt_net_from_network(VamtNet *net, const uint8_t *frame, size_t len,
                           unsigned flags)
{
    bool taken = from_network(net, frame, len, flags);

    if (!taken && !(flags & VAMT_NET_GUEST_DEAF)) {
        taken = defense_drops(net, VAMT_DEFENSE_RX, frame, len);
    }

    update_timer(net);
    return taken;
}

bool vamt_net_from_guest(VamtNet *net, const uint8_t *frame, size_t len)
{
    VamtIpPacket ip;

    if (!net->have_mac || len < ETH_HLEN) {
        return false;
    }
    if (defense_drops(net, VAMT_DEFENSE_TX, frame, len)) {
        return true;
    }
    if (memcmp(frame + ETH_ALEN, net->mac, ETH_ALEN)) {
        return false;
    }
    if (vamt_be16(frame + 12) == ETH_TYPE_ARP && len >= ETH_HLEN + ARP_LEN) {
        const uint8_t *a = frame + ETH_HLEN;

        if (vamt_be16(a + 2) == ETH_TYPE_IPV4 &&
            !memcmp(a + 8, net->mac, ETH_ALEN)) {
            learn(net, VAMT_NET_ADDRESS_ARP, vamt_be32(a + 14), 0, 0);
        }
    } else if (parse_ip(frame, len, true, &ip)) {
        learn(net, VAMT_NET_ADDRESS_TRAFFIC, ip.src, 0, 0);
    }
    update_timer(net);
    return false;
}

void vamt_net_set_defense(VamtNet *net, const VamtDefensePolicy *policy)
{
    vamt_defense_set_policy(net->defense, policy);
}

const VamtDefense *vamt_net_defense(VamtNet *net)
{
    return net->defense;
}

void vamt_net_tick(VamtNet *net)
{
    /* the platform's timer has fired: it must be set again */
    net->timer = -1;
    update_dhcp(net);
    vamt_dhcp_tick(net->dhcp);
    vamt_tcp_tick(net->tcp);
    update_timer(net);
}

void vamt_net_services_changed(VamtNet *net)
{
    vamt_tcp_services_changed(net->tcp);
    update_timer(net);
}

bool vamt_net_restore(VamtNet *net, VamtNetAddressSource source,
                      uint32_t address, uint32_t netmask, uint32_t gateway)
{
    if (source > VAMT_NET_ADDRESS_TRAFFIC ||
        (source == VAMT_NET_ADDRESS_NONE) != !address) {
        return false;
    }
    if (address) {
        learn(net, source, address, netmask, gateway);
        update_timer(net);
    }
    return true;
}

bool vamt_net_connect(VamtNet *net, uint64_t id, uint32_t address,
                      uint16_t port)
{
    bool ok = vamt_tcp_connect(net->tcp, id, address, port);

    update_timer(net);
    return ok;
}

void vamt_net_client_write(VamtNet *net, uint64_t id, const uint8_t *data,
                           size_t len)
{
    vamt_tcp_client_write(net->tcp, id, data, len);
}

void vamt_net_client_close(VamtNet *net, uint64_t id)
{
    vamt_tcp_client_close(net->tcp, id);
}

void vamt_net_get_info(VamtNet *net, VamtNetInfo *info)
{
    *info = net->info;
    vamt_tcp_count(net->tcp, &info->connections, &info->half_open,
                   &info->outbound);
}
