/*
 * vAMT NIC endpoint: TCP, a server for the ME's services, and its client
 *
 * Each connection a console opens to the ME's address is one byte-stream
 * connection of an ME service (me/base/conn.h), the same a host socket
 * feeds.  The ME's own connections out (alerts, later CIRA) are active
 * opens from the same address, reported as the host's egress reports
 * them.  What it implements, and why so little:
 *  - the three-way handshake; a service is opened only once it completes,
 *    so a flood of SYNs costs a bounded list of half-open entries;
 *  - MSS (ours from Ethernet's MTU, the peer's from its SYN); window
 *    scaling and SACK are not offered, so both stay off (RFC 7323: an
 *    option only one side sends is off);
 *  - retransmission on a time-out estimated from round trips (RFC 6298)
 *    with exponential backoff and a retry limit, and fast retransmit on
 *    three duplicate ACKs; no congestion window beyond the peer's
 *    window: the ME's answers are small and its peers few;
 *  - a small queue for out-of-order segments, zero-window probes;
 *  - FIN in both directions, TIME_WAIT, RST for segments no connection
 *    owns, and RFC 5961's challenge ACK for a RST or SYN that is in the
 *    window but not exact, so blind resets cannot end a session.
 * Connections are capped; at the cap, a connection that is closing or
 * has not authenticated makes room for a new one.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "ipv4.h"
#include "tcp-int.h"

int64_t tcp_now(VamtTcp *tcp)
{
    return vamt_net_now(tcp->net);
}

const VamtService *tcp_service_at(VamtTcp *tcp, uint16_t port)
{
    void *opaque;
    const VamtNetOps *ops = vamt_net_ops(tcp->net, &opaque);

    return ops->service(opaque, port);
}

bool vamt_tcp_takes(VamtTcp *tcp, uint32_t src, uint16_t sport,
                    uint16_t dport)
{
    if (dport >= 16992 && dport <= 16995) {
        return true;
    }
    if (tcp_service_at(tcp, dport)) {
        return true;
    }
    /*
     * the ME's own connections, and a session that outlives its port's
     * service until it is reset
     */
    return tcp_lookup(tcp, src, sport, dport) != NULL;
}

/* ---- sending ----------------------------------------------------------- */

void tcp_send_segment(VamtTcp *tcp, const uint8_t *mac, uint32_t dst,
                      uint16_t sport, uint16_t dport, uint32_t seq,
                      uint32_t ack, uint8_t flags, uint16_t window,
                      const uint8_t *data, size_t len, bool with_mss)
{
    size_t hlen = TCP_HLEN + (with_mss ? 4 : 0);
    g_autofree uint8_t *seg = g_malloc0(hlen + len);
    uint32_t src = vamt_net_address(tcp->net);
    uint32_t sum;

    vamt_put_be16(seg, sport);
    vamt_put_be16(seg + 2, dport);
    vamt_put_be32(seg + 4, seq);
    vamt_put_be32(seg + 8, ack);
    seg[12] = (hlen / 4) << 4;
    seg[13] = flags;
    vamt_put_be16(seg + 14, window);
    if (with_mss) {
        seg[20] = 2;
        seg[21] = 4;
        vamt_put_be16(seg + 22, TCP_OUR_MSS);
    }
    if (len) {
        memcpy(seg + hlen, data, len);
    }
    sum = vamt_net_pseudo_sum(src, dst, IP_PROTO_TCP, hlen + len);
    vamt_put_be16(seg + 16, vamt_net_fold(vamt_net_sum(sum, seg, hlen + len)));
    if (flags & TCP_RST) {
        vamt_net_count_reset(tcp->net);
    }
    vamt_net_send_ip(tcp->net, mac, dst, IP_PROTO_TCP, seg, hlen + len);
}

static uint16_t receive_window(TcpConn *c)
{
    return c->output->len >= TCP_OUTPUT_HIGH ? 0 : TCP_WINDOW;
}

void tcp_send_conn(TcpConn *c, uint32_t seq, uint8_t flags,
                   const uint8_t *data, size_t len)
{
    uint16_t window = receive_window(c);

    c->advertised_zero = !window;
    if (c->state != TCP_SYN_SENT) {
        flags |= TCP_ACK;           /* all but our first SYN */
    }
    tcp_send_segment(c->tcp, c->peer_mac, c->peer_ip, c->local_port,
                     c->peer_port, seq, flags & TCP_ACK ? c->rcv_nxt : 0, flags,
                     window, data, len, flags & TCP_SYN);
    c->ack_now = false;
}

/* RST for a handshake segment acknowledging what we never sent */
void tcp_reset_ack(TcpConn *c, const TcpSegment *seg)
{
    tcp_send_segment(c->tcp, c->peer_mac, c->peer_ip, c->local_port,
                     c->peer_port, seg->ack, 0, TCP_RST, 0, NULL, 0, false);
}

/* Our segment size toward the sender of @seg, a SYN: its MSS, bounded */
uint16_t tcp_peer_mss(const TcpSegment *seg)
{
    return seg->mss ? MIN(MAX(seg->mss, 64), TCP_OUR_MSS) : TCP_DEFAULT_MSS;
}

/* RST in answer to @seg, which no connection takes (RFC 9293 3.10.7.1) */
static void send_reset_for(VamtTcp *tcp, const VamtIpPacket *ip,
                           const TcpSegment *seg)
{
    uint32_t seg_len = seg->len + !!(seg->flags & TCP_SYN) +
                       !!(seg->flags & TCP_FIN);

    if (seg->flags & TCP_RST) {
        return;
    }
    if (seg->flags & TCP_ACK) {
        tcp_send_segment(tcp, ip->eth + ETH_ALEN, ip->src, seg->dport,
                         seg->sport, seg->ack, 0, TCP_RST, 0, NULL, 0, false);
    } else {
        tcp_send_segment(tcp, ip->eth + ETH_ALEN, ip->src, seg->dport,
                         seg->sport, 0, seg->seq + seg_len,
                         TCP_RST | TCP_ACK, 0, NULL, 0, false);
    }
}

void tcp_arm_rtx(TcpConn *c)
{
    c->rtx_at = tcp_now(c->tcp) + c->rto;
}

/* Send what the window allows, then a FIN once the service closed */
static void output(TcpConn *c)
{
    bool sent = false;

    if (c->state == TCP_SYN_SENT) {
        return;                     /* retransmit() sends the SYN */
    }
    if (c->state == TCP_SYN_RCVD || c->state == TCP_TIME_WAIT) {
        if (c->ack_now) {
            tcp_send_conn(c, c->snd_nxt, 0, NULL, 0);
        }
        return;
    }
    for (;;) {
        uint32_t offset = c->snd_nxt - c->snd_una;
        uint32_t window = MIN(c->snd_wnd, TCP_MAX_IN_FLIGHT);
        uint32_t in_flight = c->snd_nxt - c->snd_una;
        size_t len;

        if (offset >= c->output->len || in_flight >= window) {
            break;
        }
        len = MIN(MIN(c->output->len - offset, c->mss), window - in_flight);
        tcp_send_conn(c, c->snd_nxt, TCP_PSH, c->output->data + offset, len);
        if (!c->rtt_timing) {
            c->rtt_timing = true;
            c->rtt_seq = c->snd_nxt;
            c->rtt_start = tcp_now(c->tcp);
        }
        c->snd_nxt += len;
        sent = true;
    }
    if (c->service_closed && !c->fin_assigned &&
        c->snd_nxt - c->snd_una == c->output->len) {
        /* the FIN follows the last byte, once, whatever is resent */
        c->fin_assigned = true;
        c->fin_seq = c->snd_nxt;
        if (c->state == TCP_ESTABLISHED) {
            c->state = TCP_FIN_WAIT_1;
        } else if (c->state == TCP_CLOSE_WAIT) {
            c->state = TCP_LAST_ACK;
        }
    }
    if (c->fin_assigned && c->snd_nxt == c->fin_seq) {
        tcp_send_conn(c, c->snd_nxt, TCP_FIN, NULL, 0);
        c->snd_nxt++;
        sent = true;
    }
    if (SEQ_GT(c->snd_nxt, c->snd_max)) {
        c->snd_max = c->snd_nxt;
    }
    if (c->ack_now) {
        tcp_send_conn(c, c->snd_nxt, 0, NULL, 0);
    }
    if (sent && c->rtx_at < 0) {
        tcp_arm_rtx(c);
    }
    /* a closed window with data waiting: probe it */
    if (!c->snd_wnd && c->snd_nxt - c->snd_una < c->output->len &&
        c->snd_una == c->snd_nxt && c->rtx_at < 0) {
        tcp_arm_rtx(c);
    }
}

/* ---- connections --------------------------------------------------------- */

static void conn_write(void *opaque, const uint8_t *data, size_t len)
{
    TcpConn *c = opaque;

    if (!c->service_closed) {
        g_byte_array_append(c->output, data, len);
    }
}

static void conn_close(void *opaque)
{
    ((TcpConn *)opaque)->service_closed = true;
}

static size_t conn_pending(void *opaque)
{
    TcpConn *c = opaque;

    return c->output->len;
}

static void conn_wake(void *opaque)
{
    TcpConn *c = opaque;

    c->woken = true;
    c->tcp->woken = true;
    vamt_net_kick(c->tcp->net);
}

static const VamtStreamOps conn_ops = {
    .write = conn_write,
    .close = conn_close,
    .pending = conn_pending,
    .wake = conn_wake,
};

static void free_ooo(TcpConn *c)
{
    g_list_free_full(c->ooo, g_free);
    c->ooo = NULL;
    c->ooo_bytes = 0;
}

/* The ME's own connection has ended for the ME: say so, once */
void tcp_report_closed(TcpConn *c)
{
    void *opaque;
    const VamtNetOps *ops = vamt_net_ops(c->tcp->net, &opaque);

    if (c->active && !c->client_reported) {
        c->client_reported = true;
        c->service_closed = true;
        ops->client_closed(opaque, c->client_id);
    }
}

void tcp_conn_free(TcpConn *c)
{
    c->tcp->conns = g_list_remove(c->tcp->conns, c);
    tcp_report_closed(c);
    vamt_conn_free(&c->conn);
    free_ooo(c);
    g_byte_array_free(c->output, TRUE);
    g_free(c);
}

/* End it now, telling the peer with a RST */
static void conn_abort(TcpConn *c)
{
    tcp_send_conn(c, c->snd_nxt, TCP_RST, NULL, 0);
    tcp_conn_free(c);
}

/* The service is done with the connection: free it, keep the TCB */
static void reap_service(TcpConn *c)
{
    if (c->conn.impl && !c->service_closed && vamt_conn_closed(&c->conn)) {
        c->service_closed = true;
    }
    if (c->conn.impl && c->service_closed) {
        vamt_conn_free(&c->conn);
    }
}

/* A console's connection (the ME's own are counted apart) */
static bool counts_as_connection(const TcpConn *c)
{
    return !c->active && c->state != TCP_SYN_RCVD &&
           c->state != TCP_TIME_WAIT;
}

void vamt_tcp_count(VamtTcp *tcp, unsigned *established, unsigned *half_open,
                    unsigned *outbound)
{
    GList *l;

    *established = 0;
    *half_open = 0;
    *outbound = 0;
    for (l = tcp->conns; l; l = l->next) {
        TcpConn *c = l->data;

        if (c->active) {
            *outbound += c->state != TCP_TIME_WAIT;
        } else if (c->state == TCP_SYN_RCVD) {
            ++*half_open;
        } else if (counts_as_connection(c)) {
            ++*established;
        }
    }
}

static unsigned count_state(VamtTcp *tcp, TcpState state)
{
    unsigned n = 0;
    GList *l;

    for (l = tcp->conns; l; l = l->next) {
        n += ((TcpConn *)l->data)->state == state;
    }
    return n;
}

/* Connections from @peer_ip (the handshake done) */
static unsigned count_peer(VamtTcp *tcp, uint32_t peer_ip)
{
    unsigned n = 0;
    GList *l;

    for (l = tcp->conns; l; l = l->next) {
        TcpConn *c = l->data;

        n += counts_as_connection(c) && c->peer_ip == peer_ip;
    }
    return n;
}

/*
 * The oldest connection (of @peer_ip, unless 0) that may make room: one
 * whose service is done, else one that never authenticated.  NULL if all
 * are in use.
 */
static TcpConn *eviction_candidate(VamtTcp *tcp, uint32_t peer_ip)
{
    TcpConn *closing = NULL, *unauthenticated = NULL;
    GList *l;

    for (l = tcp->conns; l; l = l->next) {
        TcpConn *c = l->data;

        if (!counts_as_connection(c) || (peer_ip && c->peer_ip != peer_ip)) {
            continue;
        }
        if (!c->conn.impl) {
            if (!closing || c->serial < closing->serial) {
                closing = c;
            }
        } else if (!vamt_conn_authenticated(&c->conn) &&
                   (!unauthenticated ||
                    c->serial < unauthenticated->serial)) {
            unauthenticated = c;
        }
    }
    return closing ? closing : unauthenticated;
}

static TcpConn *oldest_in_state(VamtTcp *tcp, TcpState state)
{
    TcpConn *oldest = NULL;
    GList *l;

    for (l = tcp->conns; l; l = l->next) {
        TcpConn *c = l->data;

        if (c->state == state && (!oldest || c->serial < oldest->serial)) {
            oldest = c;
        }
    }
    return oldest;
}

TcpConn *tcp_lookup(VamtTcp *tcp, uint32_t peer_ip, uint16_t peer_port,
                    uint16_t local_port)
{
    GList *l;

    for (l = tcp->conns; l; l = l->next) {
        TcpConn *c = l->data;

        if (c->peer_ip == peer_ip && c->peer_port == peer_port &&
            c->local_port == local_port) {
            return c;
        }
    }
    return NULL;
}

/* A SYN for a port with a service: a half-open connection and SYN-ACK */
static void passive_open(VamtTcp *tcp, const VamtIpPacket *ip,
                         const TcpSegment *seg, const VamtService *service)
{
    TcpConn *c;

    if (count_state(tcp, TCP_SYN_RCVD) >= VAMT_NET_MAX_HALF_OPEN) {
        tcp_conn_free(oldest_in_state(tcp, TCP_SYN_RCVD));
    }
    c = g_new0(TcpConn, 1);
    c->tcp = tcp;
    c->state = TCP_SYN_RCVD;
    memcpy(c->peer_mac, ip->eth + ETH_ALEN, ETH_ALEN);
    c->peer_ip = ip->src;
    c->peer_port = seg->sport;
    c->local_port = seg->dport;
    c->serial = tcp->next_serial++;
    c->snd_una = g_random_int();
    c->snd_nxt = c->snd_una + 1;
    c->snd_max = c->snd_nxt;
    c->snd_wnd = seg->window;
    c->mss = tcp_peer_mss(seg);
    c->output = g_byte_array_new();
    c->rcv_nxt = seg->seq + 1;
    c->rto = TCP_RTO_INITIAL_MS;
    c->rtx_at = -1;
    c->state_until = -1;
    c->service = service;
    tcp->conns = g_list_prepend(tcp->conns, c);
    c->rtt_start = tcp_now(tcp);
    tcp_send_conn(c, c->snd_una, TCP_SYN, NULL, 0);
    tcp_arm_rtx(c);
}

/* The handshake's last ACK: the service gets its connection */
static bool establish(TcpConn *c)
{
    VamtTcp *tcp = c->tcp;
    unsigned established, half_open, outbound;
    char peer[VAMT_IPV4_STRLEN];

    if (count_peer(tcp, c->peer_ip) >= VAMT_NET_MAX_PER_PEER) {
        TcpConn *victim = eviction_candidate(tcp, c->peer_ip);

        if (!victim) {
            conn_abort(c);
            return false;
        }
        conn_abort(victim);
    }
    vamt_tcp_count(tcp, &established, &half_open, &outbound);
    if (established >= VAMT_NET_MAX_CONNECTIONS) {
        TcpConn *victim = eviction_candidate(tcp, 0);

        if (!victim) {
            conn_abort(c);
            return false;
        }
        conn_abort(victim);
    }
    c->state = TCP_ESTABLISHED;
    c->snd_una = c->snd_nxt;
    c->rtx_at = -1;
    c->rto = TCP_RTO_INITIAL_MS;
    /* the handshake's round trip, unless the SYN-ACK was sent again */
    if (!c->retries) {
        tcp_sample_rtt(c);
    }
    c->retries = 0;
    vamt_ipv4_format(c->peer_ip, peer);
    c->conn = vamt_conn_open(c->service, &conn_ops, c, peer);
    return true;
}

/* ---- input ------------------------------------------------------------- */

static bool parse_segment(const VamtIpPacket *ip, bool csum_trusted,
                          TcpSegment *seg)
{
    const uint8_t *p = ip->payload;
    size_t hlen, i;

    if (ip->payload_len < TCP_HLEN) {
        return false;
    }
    hlen = (p[12] >> 4) * 4;
    if (hlen < TCP_HLEN || hlen > ip->payload_len) {
        return false;
    }
    if (!csum_trusted &&
        vamt_net_fold(vamt_net_sum(vamt_net_pseudo_sum(ip->src, ip->dst,
                                                       IP_PROTO_TCP,
                                                       ip->payload_len),
                                   p, ip->payload_len))) {
        return false;
    }
    memset(seg, 0, sizeof(*seg));
    seg->sport = vamt_be16(p);
    seg->dport = vamt_be16(p + 2);
    seg->seq = vamt_be32(p + 4);
    seg->ack = vamt_be32(p + 8);
    seg->flags = p[13];
    seg->window = vamt_be16(p + 14);
    seg->data = p + hlen;
    seg->len = ip->payload_len - hlen;
    /* options: only MSS matters, and only on a SYN */
    for (i = TCP_HLEN; i < hlen;) {
        uint8_t kind = p[i];

        if (kind == 0) {
            break;
        }
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= hlen || p[i + 1] < 2 || i + p[i + 1] > hlen) {
            break;
        }
        if (kind == 2 && p[i + 1] == 4) {
            seg->mss = vamt_be16(p + i + 2);
        }
        i += p[i + 1];
    }
    return true;
}

void tcp_sample_rtt(TcpConn *c)
{
    int64_t rtt = tcp_now(c->tcp) - c->rtt_start;

    c->rtt_timing = false;
    if (rtt < 0) {
        return;
    }
    if (!c->srtt) {
        c->srtt = MAX(rtt, 1);
        c->rttvar = rtt / 2;
    } else {
        int64_t delta = rtt > c->srtt ? rtt - c->srtt : c->srtt - rtt;

        c->rttvar = (3 * c->rttvar + delta) / 4;
        c->srtt = (7 * c->srtt + rtt) / 8;
    }
    c->rto = MIN(MAX(c->srtt + MAX(4 * c->rttvar, 10), TCP_RTO_MIN_MS),
                 TCP_RTO_MAX_MS);
}

/* The peer took what lies before @ack */
static void take_ack(TcpConn *c, const TcpSegment *seg)
{
    uint32_t acked = seg->ack - c->snd_una;
    uint32_t data_acked = MIN(acked, c->output->len);
    bool window_grew = seg->window > c->snd_wnd;

    if (SEQ_GT(seg->ack, c->snd_una)) {
        g_byte_array_remove_range(c->output, 0, data_acked);
        c->snd_una = seg->ack;
        if (SEQ_LT(c->snd_nxt, c->snd_una)) {
            c->snd_nxt = c->snd_una;
        }
        if (c->rtt_timing && SEQ_GT(seg->ack, c->rtt_seq)) {
            tcp_sample_rtt(c);
        }
        c->retries = 0;
        c->dupacks = 0;
        c->rtx_at = -1;
        if (c->snd_una != c->snd_max) {
            tcp_arm_rtx(c);
        }
    } else if (seg->ack == c->snd_una && c->snd_una != c->snd_max &&
               !seg->len && !window_grew && seg->window &&
               ++c->dupacks == 3) {
        /* fast retransmit: the peer has a hole at snd_una */
        size_t len = MIN(c->output->len, c->mss);

        c->rtt_timing = false;
        if (len) {
            tcp_send_conn(c, c->snd_una, TCP_PSH, c->output->data, len);
        }
    }
    if (!seg->window && seg->ack == c->snd_una) {
        c->retries = 0;             /* a live peer answering our probes */
    }
    c->snd_wnd = seg->window;
    if (c->fin_assigned && SEQ_GT(c->snd_una, c->fin_seq)) {
        switch (c->state) {
        case TCP_FIN_WAIT_1:
            c->state = TCP_FIN_WAIT_2;
            c->state_until = tcp_now(c->tcp) + TCP_FIN_WAIT_2_MS;
            break;
        case TCP_CLOSING:
            c->state = TCP_TIME_WAIT;
            c->state_until = tcp_now(c->tcp) + TCP_TIME_WAIT_MS;
            break;
        default:
            break;
        }
    }
}

/* Hand in-order data to the service; queue what lies ahead */
static bool take_data(TcpConn *c, uint32_t seq, const uint8_t *data,
                      size_t len, bool fin)
{
    if (SEQ_LT(seq, c->rcv_nxt)) {
        uint32_t skip = c->rcv_nxt - seq;

        if (skip > len) {
            return false;           /* all old (a FIN we had too) */
        }
        data += skip;
        len -= skip;
        seq = c->rcv_nxt;
    }
    if (seq != c->rcv_nxt) {
        TcpOoo *o;
        GList *l;

        if (c->ooo_bytes + len > TCP_OOO_MAX_BYTES ||
            g_list_length(c->ooo) >= TCP_OOO_MAX_SEGMENTS) {
            return false;
        }
        for (l = c->ooo; l; l = l->next) {
            if (((TcpOoo *)l->data)->seq == seq) {
                return false;       /* have it */
            }
        }
        o = g_malloc(sizeof(*o) + len);
        o->seq = seq;
        o->len = len;
        o->fin = fin;
        memcpy(o->data, data, len);
        c->ooo = g_list_append(c->ooo, o);
        c->ooo_bytes += len;
        return false;
    }
    if (len) {
        c->rcv_nxt += len;
        if (c->active && !c->client_reported) {
            void *opaque;
            const VamtNetOps *ops = vamt_net_ops(c->tcp->net, &opaque);

            ops->client_input(opaque, c->client_id, data, len);
        } else if (c->conn.impl && !c->service_closed) {
            vamt_conn_input(&c->conn, data, len);
        }
    }
    if (fin) {
        c->rcv_nxt++;
        /* the outbound interface has no half-close: the peer ended it */
        tcp_report_closed(c);
        if (c->conn.impl && !c->service_closed) {
            vamt_conn_eof(&c->conn);
        }
        switch (c->state) {
        case TCP_ESTABLISHED:
            c->state = TCP_CLOSE_WAIT;
            break;
        case TCP_FIN_WAIT_1:
            c->state = TCP_CLOSING;
            break;
        case TCP_FIN_WAIT_2:
            c->state = TCP_TIME_WAIT;
            c->state_until = tcp_now(c->tcp) + TCP_TIME_WAIT_MS;
            break;
        default:
            break;
        }
    }
    return true;
}

/* Data that was waiting for the gap before it */
static void drain_ooo(TcpConn *c)
{
    bool progress = true;

    while (progress && c->ooo) {
        GList *l;

        progress = false;
        for (l = c->ooo; l; l = l->next) {
            TcpOoo *o = l->data;

            if (SEQ_LEQ(o->seq, c->rcv_nxt)) {
                c->ooo = g_list_delete_link(c->ooo, l);
                c->ooo_bytes -= o->len;
                take_data(c, o->seq, o->data, o->len, o->fin);
                g_free(o);
                progress = true;
                break;
            }
        }
    }
}

static bool in_window(TcpConn *c, const TcpSegment *seg)
{
    uint32_t wnd = MAX(receive_window(c), 1);
    uint32_t seg_len = seg->len + !!(seg->flags & TCP_FIN);

    if (!seg_len) {
        return SEQ_GEQ(seg->seq, c->rcv_nxt) &&
               SEQ_LT(seg->seq, c->rcv_nxt + wnd);
    }
    return (SEQ_GEQ(seg->seq, c->rcv_nxt) &&
            SEQ_LT(seg->seq, c->rcv_nxt + wnd)) ||
           (SEQ_GEQ(seg->seq + seg_len - 1, c->rcv_nxt) &&
            SEQ_LT(seg->seq + seg_len - 1, c->rcv_nxt + wnd));
}

/* A segment for an existing connection; false once it is freed */
static bool conn_input(TcpConn *c, const TcpSegment *seg)
{
    bool fin = seg->flags & TCP_FIN;

    if (c->state == TCP_SYN_SENT) {
        return tcp_syn_sent_input(c, seg);
    }
    if (c->state == TCP_SYN_RCVD) {
        if (seg->flags & TCP_RST) {
            if (seg->seq == c->rcv_nxt) {
                tcp_conn_free(c);
                return false;
            }
            return true;
        }
        if (seg->flags & TCP_SYN) {
            if (seg->seq + 1 == c->rcv_nxt) {
                /* our SYN-ACK was lost: again */
                tcp_send_conn(c, c->snd_una, TCP_SYN, NULL, 0);
            }
            return true;
        }
        if (!(seg->flags & TCP_ACK)) {
            return true;
        }
        if (seg->ack != c->snd_nxt) {
            tcp_reset_ack(c, seg);
            return true;
        }
        if (!establish(c)) {
            return false;
        }
        c->snd_wnd = seg->window;
    }

    if (!in_window(c, seg)) {
        /* old or beyond the window: say where we are (not to a RST) */
        if (!(seg->flags & TCP_RST)) {
            c->ack_now = true;
        }
        return true;
    }
    if (seg->flags & TCP_RST) {
        if (seg->seq == c->rcv_nxt) {
            tcp_conn_free(c);
            return false;
        }
        c->ack_now = true;          /* RFC 5961 challenge ACK */
        return true;
    }
    if (seg->flags & TCP_SYN) {
        c->ack_now = true;          /* RFC 5961 challenge ACK */
        return true;
    }
    if (!(seg->flags & TCP_ACK)) {
        return true;
    }
    if (SEQ_GT(seg->ack, c->snd_max)) {
        c->ack_now = true;          /* acks what we never sent */
        return true;
    }
    if (SEQ_GEQ(seg->ack, c->snd_una)) {
        take_ack(c, seg);
    }
    if (c->state == TCP_LAST_ACK && c->fin_assigned &&
        SEQ_GT(c->snd_una, c->fin_seq)) {
        tcp_conn_free(c);
        return false;
    }
    if (c->state == TCP_TIME_WAIT) {
        if (fin) {
            c->ack_now = true;
            c->state_until = tcp_now(c->tcp) + TCP_TIME_WAIT_MS;
        }
        return true;
    }
    if (seg->len || fin) {
        /* only what fits in the window we offered; the rest comes again */
        uint32_t room = receive_window(c);
        size_t len = seg->len;
        bool in_order;

        if (SEQ_GEQ(seg->seq, c->rcv_nxt)) {
            uint32_t ahead = seg->seq - c->rcv_nxt;

            len = ahead >= room ? 0 : MIN(len, room - ahead);
        } else {
            len = MIN(len, (c->rcv_nxt - seg->seq) + room);
        }
        if (len < seg->len) {
            fin = false;
        }
        in_order = (len || fin) &&
                   take_data(c, seg->seq, seg->data, len, fin);

        if (in_order) {
            drain_ooo(c);
        }
        c->ack_now = true;
    }
    return true;
}

static void after_input(TcpConn *c)
{
    reap_service(c);
    output(c);
}

bool vamt_tcp_input(VamtTcp *tcp, const VamtIpPacket *ip, bool csum_trusted)
{
    TcpSegment seg;
    TcpConn *c;

    if (!parse_segment(ip, csum_trusted, &seg)) {
        return false;
    }
    c = tcp_lookup(tcp, ip->src, seg.sport, seg.dport);
    if (c && c->state == TCP_TIME_WAIT && (seg.flags & TCP_SYN) &&
        !(seg.flags & TCP_ACK) && SEQ_GT(seg.seq, c->rcv_nxt)) {
        /* a new connection on the same ports (RFC 9293 3.10.7.4) */
        tcp_conn_free(c);
        c = NULL;
    }
    if (c) {
        if (conn_input(c, &seg)) {
            after_input(c);
        }
        return true;
    }
    if ((seg.flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN) {
        const VamtService *service = tcp_service_at(tcp, seg.dport);

        if (service) {
            passive_open(tcp, ip, &seg, service);
            return true;
        }
    }
    send_reset_for(tcp, ip, &seg);
    return true;
}

/* ---- time ---------------------------------------------------------------- */

static int64_t conn_deadline(TcpConn *c)
{
    int64_t d = c->rtx_at;

    if (c->state_until >= 0 && (d < 0 || c->state_until < d)) {
        d = c->state_until;
    }
    if (c->conn.impl) {
        int64_t s = vamt_conn_deadline(&c->conn);

        if (s >= 0 && (d < 0 || s < d)) {
            d = s;
        }
    }
    return d;
}

int64_t vamt_tcp_deadline(VamtTcp *tcp)
{
    int64_t d = tcp->woken ? tcp_now(tcp) : -1;
    GList *l;

    for (l = tcp->conns; l; l = l->next) {
        int64_t c = conn_deadline(l->data);

        if (c >= 0 && (d < 0 || c < d)) {
            d = c;
        }
    }
    return d;
}

/* The retransmission timer fired: resend, probe, or give up */
static bool retransmit(TcpConn *c)
{
    unsigned limit = c->state == TCP_SYN_RCVD ? TCP_SYNACK_RETRIES
                                               : TCP_DATA_RETRIES;

    if (c->state == TCP_SYN_SENT) {
        return tcp_retransmit_syn(c);
    }
    c->rtx_at = -1;
    if (!c->snd_wnd && c->snd_una == c->snd_max &&
        c->output->len && c->state != TCP_SYN_RCVD) {
        /* zero-window probe: an old sequence number makes the peer ACK */
        if (++c->retries > 2 * TCP_DATA_RETRIES) {
            conn_abort(c);
            return false;
        }
        tcp_send_conn(c, c->snd_una - 1, 0, NULL, 0);
        c->rto = MIN(c->rto * 2, TCP_RTO_MAX_MS);
        tcp_arm_rtx(c);
        return true;
    }
    if (c->snd_una == c->snd_max) {
        return true;
    }
    if (++c->retries > limit) {
        if (c->state == TCP_SYN_RCVD) {
            tcp_conn_free(c);
        } else {
            conn_abort(c);
        }
        return false;
    }
    c->rto = MIN(c->rto * 2, TCP_RTO_MAX_MS);
    c->rtt_timing = false;          /* Karn: no sample from a resend */
    if (c->state == TCP_SYN_RCVD) {
        tcp_send_conn(c, c->snd_una, TCP_SYN, NULL, 0);
        tcp_arm_rtx(c);
        return true;
    }
    /* go back to the first unacknowledged byte */
    c->snd_nxt = c->snd_una;
    if (!c->snd_wnd) {
        c->snd_wnd = 1;             /* the peer must see one byte again */
    }
    output(c);
    if (c->rtx_at < 0) {
        tcp_arm_rtx(c);
    }
    return true;
}

static bool conn_tick(TcpConn *c, int64_t t)
{
    if (c->state_until >= 0 && t >= c->state_until) {
        if (c->state == TCP_TIME_WAIT || c->state == TCP_FIN_WAIT_2) {
            tcp_conn_free(c);
            return false;
        }
        c->state_until = -1;
    }
    if (c->rtx_at >= 0 && t >= c->rtx_at && !retransmit(c)) {
        return false;
    }
    if (c->conn.impl) {
        int64_t s = vamt_conn_deadline(&c->conn);

        if (c->woken || (s >= 0 && t >= s)) {
            vamt_conn_tick(&c->conn);
        }
    }
    c->woken = false;
    after_input(c);
    /* a window reopened by the service taking our output */
    if (c->advertised_zero && receive_window(c)) {
        tcp_send_conn(c, c->snd_nxt, 0, NULL, 0);
    }
    return true;
}

void vamt_tcp_tick(VamtTcp *tcp)
{
    int64_t t = tcp_now(tcp);
    GList *l, *next;

    tcp->woken = false;
    for (l = tcp->conns; l; l = next) {
        next = l->next;
        conn_tick(l->data, t);
    }
    /* TIME_WAIT is kept for a bounded number of old connections */
    while (count_state(tcp, TCP_TIME_WAIT) > TCP_MAX_TIME_WAIT) {
        tcp_conn_free(oldest_in_state(tcp, TCP_TIME_WAIT));
    }
}

void vamt_tcp_services_changed(VamtTcp *tcp)
{
    GList *l, *next;

    for (l = tcp->conns; l; l = next) {
        TcpConn *c = l->data;

        next = l->next;
        if (!c->active && c->state != TCP_TIME_WAIT &&
            tcp_service_at(tcp, c->local_port) != c->service) {
            conn_abort(c);
        }
    }
}

/* Before the address changes: the peers hear it from the old one */
void vamt_tcp_address_changed(VamtTcp *tcp)
{
    while (tcp->conns) {
        TcpConn *c = tcp->conns->data;

        if (c->state == TCP_TIME_WAIT) {
            tcp_conn_free(c);
        } else {
            conn_abort(c);
        }
    }
}

static void forget_all(VamtTcp *tcp)
{
    while (tcp->conns) {
        TcpConn *c = tcp->conns->data;

        c->client_reported = true;  /* the endpoint goes: nobody to tell */
        tcp_conn_free(c);
    }
}

VamtTcp *vamt_tcp_new(VamtNet *net)
{
    VamtTcp *tcp = g_new0(VamtTcp, 1);

    tcp->net = net;
    return tcp;
}

void vamt_tcp_free(VamtTcp *tcp)
{
    if (tcp) {
        forget_all(tcp);
        g_free(tcp);
    }
}
