/*
 * Helpers of the ME endpoint's tests: frames built and parsed with
 * their checksums, and the echo service (net-test-wire.h)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "byte-order.h"
#include "net-test-wire.h"

const uint8_t wire_broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

#define DHCP_MAGIC          0x63825363
#define DHCP_OPTIONS        240

/* ---- checksums ---- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += vamt_be16(p + i);
        sum = (sum & 0xffff) + (sum >> 16);
    }
    if (len & 1) {
        sum += p[len - 1] << 8;
    }
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

static uint32_t pseudo_header(const uint8_t *ip, uint8_t proto, size_t len)
{
    uint32_t sum = csum_add(0, ip + 12, 8);

    return sum + proto + (uint32_t)len;
}

void wire_fix_checksums(uint8_t *frame, size_t len)
{
    uint8_t *ip = frame + WIRE_ETH_HLEN;
    uint8_t *l4;
    size_t ihl, total, l4_len;
    uint16_t csum;

    if (len < WIRE_ETH_HLEN + WIRE_IP_HLEN ||
        vamt_be16(frame + 12) != WIRE_ETH_IPV4) {
        return;
    }
    ihl = (ip[0] & 0xf) * 4;
    if (ihl < WIRE_IP_HLEN || WIRE_ETH_HLEN + ihl > len) {
        return;
    }
    vamt_put_be16(ip + 10, 0);
    vamt_put_be16(ip + 10, csum_fold(csum_add(0, ip, ihl)));

    total = MIN(vamt_be16(ip + 2), len - WIRE_ETH_HLEN);
    if (total < ihl || (vamt_be16(ip + 6) & 0x1fff)) {
        return;
    }
    l4 = ip + ihl;
    l4_len = total - ihl;
    switch (ip[9]) {
    case WIRE_IP_TCP:
        if (l4_len >= WIRE_TCP_HLEN) {
            vamt_put_be16(l4 + 16, 0);
            csum = csum_fold(csum_add(pseudo_header(ip, ip[9], l4_len),
                                      l4, l4_len));
            vamt_put_be16(l4 + 16, csum);
        }
        break;
    case WIRE_IP_UDP:
        if (l4_len >= 8) {
            vamt_put_be16(l4 + 6, 0);
            csum = csum_fold(csum_add(pseudo_header(ip, ip[9], l4_len),
                                      l4, l4_len));
            vamt_put_be16(l4 + 6, csum ? csum : 0xffff);
        }
        break;
    case WIRE_IP_ICMP:
        if (l4_len >= 4) {
            vamt_put_be16(l4 + 2, 0);
            vamt_put_be16(l4 + 2, csum_fold(csum_add(0, l4, l4_len)));
        }
        break;
    }
}

/* ---- building ---- */

static GByteArray *eth_frame(const uint8_t *src, const uint8_t *dst,
                             uint16_t type)
{
    GByteArray *f = g_byte_array_new();
    uint8_t hdr[WIRE_ETH_HLEN];

    memcpy(hdr, dst, 6);
    memcpy(hdr + 6, src, 6);
    vamt_put_be16(hdr + 12, type);
    g_byte_array_append(f, hdr, sizeof(hdr));
    return f;
}

/* An IPv4 packet around @l4; the caller fixes the checksums */
static GByteArray *ipv4_frame(const uint8_t *src_mac, const uint8_t *dst_mac,
                              uint32_t src, uint32_t dst, uint8_t proto,
                              uint16_t frag, const uint8_t *l4, size_t len)
{
    static uint16_t id = 0x1000;
    GByteArray *f = eth_frame(src_mac, dst_mac, WIRE_ETH_IPV4);
    uint8_t ip[WIRE_IP_HLEN] = { 0x45, 0 };

    vamt_put_be16(ip + 2, WIRE_IP_HLEN + len);
    vamt_put_be16(ip + 4, id++);
    vamt_put_be16(ip + 6, frag);
    ip[8] = 64;
    ip[9] = proto;
    vamt_put_be32(ip + 12, src);
    vamt_put_be32(ip + 16, dst);
    g_byte_array_append(f, ip, sizeof(ip));
    g_byte_array_append(f, l4, len);
    return f;
}

GByteArray *wire_tcp(const WireTcp *s)
{
    uint8_t opts[60] = { 0 };
    size_t opts_len = 0, hlen;
    g_autofree uint8_t *seg = NULL;
    GByteArray *f;

    if (s->options) {
        g_assert(s->options_len <= 40);
        memcpy(opts, s->options, s->options_len);
        opts_len = (s->options_len + 3) & ~3u;
    } else if (s->mss) {
        opts[0] = 2;
        opts[1] = 4;
        vamt_put_be16(opts + 2, s->mss);
        opts_len = 4;
    }
    hlen = WIRE_TCP_HLEN + opts_len;
    seg = g_malloc0(hlen + s->len);
    vamt_put_be16(seg, s->sport);
    vamt_put_be16(seg + 2, s->dport);
    vamt_put_be32(seg + 4, s->seq);
    vamt_put_be32(seg + 8, s->ack);
    seg[12] = (hlen / 4) << 4;
    seg[13] = s->flags;
    vamt_put_be16(seg + 14, s->window);
    memcpy(seg + WIRE_TCP_HLEN, opts, opts_len);
    if (s->len) {
        memcpy(seg + hlen, s->data, s->len);
    }
    f = ipv4_frame(s->src_mac, s->dst_mac, s->src, s->dst, WIRE_IP_TCP,
                   s->frag, seg, hlen + s->len);
    wire_fix_checksums(f->data, f->len);
    return f;
}

GByteArray *wire_udp(const uint8_t *src_mac, const uint8_t *dst_mac,
                     uint32_t src, uint32_t dst, uint16_t sport,
                     uint16_t dport, const uint8_t *data, size_t len)
{
    g_autofree uint8_t *dgram = g_malloc0(8 + len);
    GByteArray *f;

    vamt_put_be16(dgram, sport);
    vamt_put_be16(dgram + 2, dport);
    vamt_put_be16(dgram + 4, 8 + len);
    if (len) {
        memcpy(dgram + 8, data, len);
    }
    f = ipv4_frame(src_mac, dst_mac, src, dst, WIRE_IP_UDP, 0, dgram,
                   8 + len);
    wire_fix_checksums(f->data, f->len);
    return f;
}

GByteArray *wire_arp(uint16_t op, const uint8_t *eth_dst,
                     const uint8_t *sha, uint32_t spa,
                     const uint8_t *tha, uint32_t tpa)
{
    GByteArray *f = eth_frame(sha, eth_dst, WIRE_ETH_ARP);
    uint8_t arp[28];

    vamt_put_be16(arp, 1);
    vamt_put_be16(arp + 2, WIRE_ETH_IPV4);
    arp[4] = 6;
    arp[5] = 4;
    vamt_put_be16(arp + 6, op);
    memcpy(arp + 8, sha, 6);
    vamt_put_be32(arp + 14, spa);
    memcpy(arp + 18, tha, 6);
    vamt_put_be32(arp + 24, tpa);
    g_byte_array_append(f, arp, sizeof(arp));
    return f;
}

GByteArray *wire_icmp_echo(const uint8_t *src_mac, const uint8_t *dst_mac,
                           uint32_t src, uint32_t dst, uint8_t type,
                           uint16_t id, uint16_t seq, const uint8_t *data,
                           size_t len)
{
    g_autofree uint8_t *msg = g_malloc0(8 + len);
    GByteArray *f;

    msg[0] = type;
    vamt_put_be16(msg + 4, id);
    vamt_put_be16(msg + 6, seq);
    if (len) {
        memcpy(msg + 8, data, len);
    }
    f = ipv4_frame(src_mac, dst_mac, src, dst, WIRE_IP_ICMP, 0, msg, 8 + len);
    wire_fix_checksums(f->data, f->len);
    return f;
}

static size_t put_option32(uint8_t *p, uint8_t code, uint32_t value)
{
    p[0] = code;
    p[1] = 4;
    vamt_put_be32(p + 2, value);
    return 6;
}

GByteArray *wire_dhcp(const WireDhcp *d)
{
    uint8_t msg[DHCP_OPTIONS + 64] = { 0 };
    size_t n = DHCP_OPTIONS;

    msg[0] = 2;                 /* BOOTREPLY */
    msg[1] = 1;
    msg[2] = 6;
    vamt_put_be32(msg + 4, d->xid);
    vamt_put_be32(msg + 16, d->yiaddr);
    vamt_put_be32(msg + 20, d->server);
    memcpy(msg + 28, d->chaddr, 6);
    vamt_put_be32(msg + 236, DHCP_MAGIC);
    msg[n++] = 53;
    msg[n++] = 1;
    msg[n++] = d->type;
    n += put_option32(msg + n, 54, d->server);
    if (d->netmask) {
        n += put_option32(msg + n, 1, d->netmask);
    }
    if (d->router) {
        n += put_option32(msg + n, 3, d->router);
    }
    if (d->lease) {
        n += put_option32(msg + n, 51, d->lease);
    }
    msg[n++] = 255;
    return wire_udp(d->server_mac, d->dst_mac, d->server, d->dst, 67, 68,
                    msg, n);
}

/* ---- parsing ---- */

static bool fail(const char **why, const char *what)
{
    if (why) {
        *why = what;
    }
    return false;
}

static bool parse_tcp_options(const uint8_t *p, size_t len, WireFrame *f,
                              const char **why)
{
    size_t i = 0;

    while (i < len) {
        if (p[i] == 0) {
            break;
        }
        if (p[i] == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len || p[i + 1] < 2 || i + p[i + 1] > len) {
            return fail(why, "TCP option length");
        }
        if (p[i] == 2) {
            if (p[i + 1] != 4) {
                return fail(why, "MSS option length");
            }
            f->mss = vamt_be16(p + i + 2);
        }
        i += p[i + 1];
    }
    return true;
}

static void parse_dhcp(const uint8_t *p, size_t len, WireFrame *f)
{
    size_t i = DHCP_OPTIONS;

    if (len < DHCP_OPTIONS || vamt_be32(p + 236) != DHCP_MAGIC) {
        return;
    }
    f->dhcp = true;
    f->dhcp_op = p[0];
    f->dhcp_xid = vamt_be32(p + 4);
    f->dhcp_ciaddr = vamt_be32(p + 12);
    f->dhcp_yiaddr = vamt_be32(p + 16);
    memcpy(f->dhcp_chaddr, p + 28, 6);
    while (i < len && p[i] != 255) {
        if (p[i] == 0) {
            i++;
            continue;
        }
        if (i + 1 >= len || i + 2 + p[i + 1] > len) {
            f->dhcp = false;
            return;
        }
        if (p[i] == 53 && p[i + 1] == 1) {
            f->dhcp_type = p[i + 2];
        } else if (p[i] == 50 && p[i + 1] == 4) {
            f->dhcp_requested = vamt_be32(p + i + 2);
        } else if (p[i] == 54 && p[i + 1] == 4) {
            f->dhcp_server_id = vamt_be32(p + i + 2);
        }
        i += 2 + p[i + 1];
    }
}

bool wire_parse(const uint8_t *frame, size_t len, WireFrame *f,
                const char **why)
{
    const uint8_t *ip, *l4;
    size_t ihl, total, l4_len, doff;

    memset(f, 0, sizeof(*f));
    if (len < WIRE_ETH_HLEN) {
        return fail(why, "shorter than an Ethernet header");
    }
    if (len > WIRE_ETH_MAX) {
        return fail(why, "longer than Ethernet's 1514 bytes");
    }
    memcpy(f->dst, frame, 6);
    memcpy(f->src, frame + 6, 6);
    f->ethertype = vamt_be16(frame + 12);

    if (f->ethertype == WIRE_ETH_ARP) {
        const uint8_t *arp = frame + WIRE_ETH_HLEN;

        if (len < WIRE_ETH_HLEN + 28) {
            return fail(why, "short ARP");
        }
        if (vamt_be16(arp) != 1 || vamt_be16(arp + 2) != WIRE_ETH_IPV4 ||
            arp[4] != 6 || arp[5] != 4) {
            return fail(why, "ARP not Ethernet/IPv4");
        }
        f->arp_op = vamt_be16(arp + 6);
        memcpy(f->arp_sha, arp + 8, 6);
        f->arp_spa = vamt_be32(arp + 14);
        memcpy(f->arp_tha, arp + 18, 6);
        f->arp_tpa = vamt_be32(arp + 24);
        return true;
    }
    if (f->ethertype != WIRE_ETH_IPV4) {
        return fail(why, "neither IPv4 nor ARP");
    }

    ip = frame + WIRE_ETH_HLEN;
    if (len < WIRE_ETH_HLEN + WIRE_IP_HLEN) {
        return fail(why, "short IPv4 header");
    }
    ihl = (ip[0] & 0xf) * 4;
    total = vamt_be16(ip + 2);
    if ((ip[0] >> 4) != 4 || ihl < WIRE_IP_HLEN) {
        return fail(why, "IPv4 version or header length");
    }
    if (total < ihl || WIRE_ETH_HLEN + total > len) {
        return fail(why, "IPv4 total length");
    }
    /* only the padding of a minimum-size frame may follow the packet */
    if (WIRE_ETH_HLEN + total < len && len > 60) {
        return fail(why, "bytes after the IPv4 packet");
    }
    if (csum_fold(csum_add(0, ip, ihl)) != 0) {
        return fail(why, "IPv4 header checksum");
    }
    f->ip_ttl = ip[8];
    f->ip_proto = ip[9];
    f->ip_frag = vamt_be16(ip + 6);
    f->ip_src = vamt_be32(ip + 12);
    f->ip_dst = vamt_be32(ip + 16);
    if (f->ip_frag & (WIRE_IP_MF | 0x1fff)) {
        /* a fragment: the caller decides, nothing more to check */
        return true;
    }
    l4 = ip + ihl;
    l4_len = total - ihl;

    switch (f->ip_proto) {
    case WIRE_IP_TCP:
        if (l4_len < WIRE_TCP_HLEN) {
            return fail(why, "short TCP header");
        }
        doff = (l4[12] >> 4) * 4;
        if (doff < WIRE_TCP_HLEN || doff > l4_len) {
            return fail(why, "TCP data offset");
        }
        if (csum_fold(csum_add(pseudo_header(ip, WIRE_IP_TCP, l4_len), l4,
                               l4_len)) != 0) {
            return fail(why, "TCP checksum");
        }
        f->sport = vamt_be16(l4);
        f->dport = vamt_be16(l4 + 2);
        f->seq = vamt_be32(l4 + 4);
        f->ack = vamt_be32(l4 + 8);
        f->tcp_flags = l4[13];
        f->window = vamt_be16(l4 + 14);
        f->payload = l4 + doff;
        f->payload_len = l4_len - doff;
        return parse_tcp_options(l4 + WIRE_TCP_HLEN, doff - WIRE_TCP_HLEN,
                                 f, why);
    case WIRE_IP_UDP:
        if (l4_len < 8 || vamt_be16(l4 + 4) != l4_len) {
            return fail(why, "UDP length");
        }
        if (vamt_be16(l4 + 6) &&
            csum_fold(csum_add(pseudo_header(ip, WIRE_IP_UDP, l4_len), l4,
                               l4_len)) != 0) {
            return fail(why, "UDP checksum");
        }
        f->sport = vamt_be16(l4);
        f->dport = vamt_be16(l4 + 2);
        f->payload = l4 + 8;
        f->payload_len = l4_len - 8;
        if ((f->sport == 67 || f->sport == 68) &&
            (f->dport == 67 || f->dport == 68)) {
            parse_dhcp(f->payload, f->payload_len, f);
        }
        return true;
    case WIRE_IP_ICMP:
        if (l4_len < 8) {
            return fail(why, "short ICMP");
        }
        if (csum_fold(csum_add(0, l4, l4_len)) != 0) {
            return fail(why, "ICMP checksum");
        }
        f->icmp_type = l4[0];
        f->icmp_code = l4[1];
        f->icmp_id = vamt_be16(l4 + 4);
        f->icmp_seq = vamt_be16(l4 + 6);
        f->payload = l4 + 8;
        f->payload_len = l4_len - 8;
        return true;
    }
    return true;
}

/* ---- the echo service ---- */

static void conn_close(EchoConn *c)
{
    if (!c->closed) {
        c->closed = true;
        c->busy = true;
        c->ops->close(c->opaque);
        c->busy = false;
    }
}

static void conn_write(EchoConn *c, const void *data, size_t len)
{
    c->busy = true;
    c->ops->write(c->opaque, data, len);
    c->busy = false;
}

static void *echo_open(void *service, const VamtStreamOps *ops, void *opaque,
                       const char *peer)
{
    EchoService *s = service;
    EchoConn *c = g_new0(EchoConn, 1);

    g_assert_nonnull(ops);
    g_assert_nonnull(ops->write);
    g_assert_nonnull(ops->close);
    g_assert_nonnull(peer);
    c->service = s;
    c->ops = ops;
    c->opaque = opaque;
    c->peer = g_strdup(peer);
    c->received = g_byte_array_new();
    c->authenticated = s->authenticate;
    c->idle_since = *s->now;
    g_ptr_array_add(s->conns, c);
    s->opened++;
    return c;
}

static void echo_free(void *conn)
{
    EchoConn *c = conn;
    EchoService *s = c->service;

    /* base/conn.h: never from inside a callback of the ops */
    g_assert_false(c->busy);
    g_assert_true(g_ptr_array_remove(s->conns, c));
    s->freed++;
    g_byte_array_free(c->received, TRUE);
    g_free(c->peer);
    g_free(c);
}

static bool contains_quit(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++) {
        if (!memcmp(data + i, "QUIT", 4)) {
            return true;
        }
    }
    return false;
}

static void echo_input(void *conn, const uint8_t *data, size_t len)
{
    EchoConn *c = conn;
    EchoService *s = c->service;

    g_assert_false(c->busy);
    c->inputs++;
    if (c->closed) {
        return;
    }
    g_byte_array_append(c->received, data, len);
    c->idle_since = *s->now;
    if (s->reply_size) {
        g_autofree uint8_t *reply = g_malloc(s->reply_size);

        for (size_t i = 0; i < s->reply_size; i++) {
            reply[i] = wire_pattern(i);
        }
        conn_write(c, reply, s->reply_size);
    } else if (s->echo && len) {
        conn_write(c, data, len);
    }
    if (contains_quit(data, len)) {
        conn_write(c, "BYE", 3);
        conn_close(c);
    }
}

static void echo_eof(void *conn)
{
    EchoConn *c = conn;

    g_assert_false(c->busy);
    c->eofs++;
    if (c->service->close_on_eof) {
        conn_close(c);
    }
}

static int64_t echo_deadline(const void *conn)
{
    const EchoConn *c = conn;

    return c->closed ? -1 : c->idle_since + c->service->idle_ms;
}

static bool echo_tick(void *conn)
{
    EchoConn *c = conn;

    g_assert_false(c->busy);
    if (!c->closed && *c->service->now >= echo_deadline(c)) {
        conn_close(c);
    }
    return c->closed;
}

static bool echo_closed(const void *conn)
{
    return ((const EchoConn *)conn)->closed;
}

static bool echo_authenticated(const void *conn)
{
    return ((const EchoConn *)conn)->authenticated;
}

static const VamtServiceClass echo_class = {
    .name = "echo",
    .open = echo_open,
    .free = echo_free,
    .input = echo_input,
    .eof = echo_eof,
    .deadline = echo_deadline,
    .tick = echo_tick,
    .closed = echo_closed,
    .authenticated = echo_authenticated,
};

void echo_service_init(EchoService *s, uint16_t port, const int64_t *now)
{
    memset(s, 0, sizeof(*s));
    s->svc.cls = &echo_class;
    s->svc.impl = s;
    s->svc.port = port;
    s->now = now;
    s->conns = g_ptr_array_new();
    s->echo = true;
    /* as long as a day: only the tests of time-outs see it */
    s->idle_ms = 24 * 3600 * 1000;
}

void echo_service_destroy(EchoService *s)
{
    g_assert_cmpuint(s->conns->len, ==, 0);
    g_assert_cmpuint(s->opened, ==, s->freed);
    g_ptr_array_free(s->conns, TRUE);
}

EchoConn *echo_service_last(EchoService *s)
{
    return s->conns->len ? g_ptr_array_index(s->conns, s->conns->len - 1)
                         : NULL;
}

void echo_conn_close(EchoConn *c)
{
    conn_close(c);
    if (c->ops->wake) {
        c->ops->wake(c->opaque);
    }
}

void echo_conn_push(EchoConn *c, const void *data, size_t len)
{
    conn_write(c, data, len);
    if (c->ops->wake) {
        c->ops->wake(c->opaque);
    }
}

size_t echo_conn_pending(EchoConn *c)
{
    return c->ops->pending ? c->ops->pending(c->opaque) : 0;
}
