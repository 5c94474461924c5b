/*
 * vAMT NIC endpoint: the ME's own TCP connections out
 *
 * Alerts (and CIRA, later) leave from the guest's address and MAC, as
 * AMT's do on a shared LAN port: ARP finds the next hop (the peer on the
 * link, else the gateway), then an active open (RFC 9293 3.10.7.3); the
 * rest of the connection's life is the state machine of tcp.c.  The ME
 * hears of each connection as the host's egress reports it: connected,
 * the peer's bytes, closed once.  Nothing here calls back into the ME
 * from inside the ME's own call: the SYN goes from the timer, and a
 * close is carried out there.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "tcp-int.h"

/*
 * The answer to our SYN (RFC 9293 3.10.7.3): a SYN-ACK establishes, an
 * acceptable RST refuses; false once the connection is freed
 */
bool tcp_syn_sent_input(TcpConn *c, const TcpSegment *seg)
{
    bool ack_ok = (seg->flags & TCP_ACK) && seg->ack == c->snd_nxt;
    void *opaque;
    const VamtNetOps *ops = vamt_net_ops(c->tcp->net, &opaque);

    if ((seg->flags & TCP_ACK) && !ack_ok) {
        if (!(seg->flags & TCP_RST)) {
            tcp_reset_ack(c, seg);
        }
        return true;
    }
    if (seg->flags & TCP_RST) {
        if (ack_ok) {
            tcp_conn_free(c);           /* refused */
            return false;
        }
        return true;
    }
    if (!(seg->flags & TCP_SYN) || !ack_ok) {
        return true;                /* no simultaneous open */
    }
    c->state = TCP_ESTABLISHED;
    c->rcv_nxt = seg->seq + 1;
    c->snd_una = seg->ack;
    c->snd_max = c->snd_nxt;
    c->snd_wnd = seg->window;
    c->mss = tcp_peer_mss(seg);
    c->rtx_at = -1;
    c->state_until = -1;
    if (!c->retries) {
        tcp_sample_rtt(c);
    }
    c->rto = MAX(c->rto, TCP_RTO_MIN_MS);
    c->retries = 0;
    c->ack_now = true;
    if (!c->client_reported) {
        ops->client_connected(opaque, c->client_id);
    }
    return true;
}

/*
 * Our connection out, before the handshake: ARP for the next hop, then
 * the SYN, each retried, then given up (reported closed)
 */
bool tcp_retransmit_syn(TcpConn *c)
{
    c->rtx_at = -1;
    if (c->client_reported) {
        tcp_conn_free(c);               /* the ME gave up before it opened */
        return false;
    }
    if (c->resolving) {
        if (vamt_net_resolve(c->tcp->net, c->next_hop, c->peer_mac)) {
            c->resolving = false;
            c->retries = 0;
        } else if (c->retries++ > TCP_ARP_RETRIES) {
            tcp_conn_free(c);
            return false;
        } else {
            c->rtx_at = tcp_now(c->tcp) + TCP_RTO_INITIAL_MS;
            return true;
        }
    } else if (++c->retries > TCP_SYN_RETRIES) {
        tcp_conn_free(c);
        return false;
    } else {
        c->rto = MIN(c->rto * 2, TCP_RTO_MAX_MS);
        c->rtt_timing = false;
    }
    c->rtt_start = tcp_now(c->tcp);
    tcp_send_conn(c, c->snd_una, TCP_SYN, NULL, 0);
    tcp_arm_rtx(c);
    return true;
}

static TcpConn *client_lookup(VamtTcp *tcp, uint64_t id)
{
    GList *l;

    for (l = tcp->conns; l; l = l->next) {
        TcpConn *c = l->data;

        if (c->active && !c->client_reported && c->client_id == id) {
            return c;
        }
    }
    return NULL;
}

/* A local port no connection to @dst:@port uses, after the last one */
static bool pick_local_port(VamtTcp *tcp, uint32_t dst, uint16_t port,
                            uint16_t *local)
{
    const uint32_t span = VAMT_NET_CLIENT_PORT_LAST -
                          VAMT_NET_CLIENT_PORT_FIRST + 1;

    if (!tcp->client_port_cursor_set) {
        tcp->client_port_cursor = g_random_int_range(0, span);
        tcp->client_port_cursor_set = true;
    }
    for (uint32_t i = 0; i < span; i++) {
        uint32_t offset = (tcp->client_port_cursor + i) % span;

        if (!tcp_lookup(tcp, dst, port, VAMT_NET_CLIENT_PORT_FIRST + offset)) {
            *local = VAMT_NET_CLIENT_PORT_FIRST + offset;
            tcp->client_port_cursor = (offset + 1) % span;
            return true;
        }
    }
    return false;
}

bool vamt_tcp_connect(VamtTcp *tcp, uint64_t id, uint32_t dst, uint16_t port)
{
    unsigned established, half_open, outbound;
    uint32_t hop;
    uint16_t local;
    TcpConn *c;

    vamt_tcp_count(tcp, &established, &half_open, &outbound);
    if (!port || outbound >= VAMT_NET_MAX_OUTBOUND ||
        client_lookup(tcp, id) ||
        !vamt_net_next_hop(tcp->net, dst, &hop) ||
        !pick_local_port(tcp, dst, port, &local)) {
        return false;
    }
    c = g_new0(TcpConn, 1);
    c->tcp = tcp;
    c->state = TCP_SYN_SENT;
    c->active = true;
    c->client_id = id;
    c->resolving = true;
    c->next_hop = hop;
    c->peer_ip = dst;
    c->peer_port = port;
    c->local_port = local;
    c->serial = tcp->next_serial++;
    c->snd_una = g_random_int();
    c->snd_nxt = c->snd_una + 1;
    c->snd_max = c->snd_nxt;
    c->mss = TCP_DEFAULT_MSS;
    c->output = g_byte_array_new();
    c->rto = TCP_RTO_INITIAL_MS;
    c->state_until = -1;
    /* ARP and the SYN go from the timer, never inside this call */
    c->rtx_at = tcp_now(tcp);
    tcp->conns = g_list_prepend(tcp->conns, c);
    vamt_net_kick(tcp->net);
    return true;
}

void vamt_tcp_client_write(VamtTcp *tcp, uint64_t id, const uint8_t *data,
                           size_t len)
{
    TcpConn *c = client_lookup(tcp, id);

    if (c && !c->service_closed) {
        g_byte_array_append(c->output, data, len);
        c->woken = true;
        tcp->woken = true;
        vamt_net_kick(tcp->net);
    }
}

/* Nothing is freed here: the ME may call it from its own report */
void vamt_tcp_client_close(VamtTcp *tcp, uint64_t id)
{
    TcpConn *c = client_lookup(tcp, id);

    if (c) {
        c->client_reported = true;
        c->service_closed = true;
        if (c->state == TCP_SYN_SENT) {
            c->rtx_at = tcp_now(tcp);   /* tcp_retransmit_syn() frees it */
        }
        c->woken = true;
        tcp->woken = true;
        vamt_net_kick(tcp->net);
    }
}

void vamt_tcp_hop_resolved(VamtTcp *tcp, uint32_t hop)
{
    GList *l;

    for (l = tcp->conns; l; l = l->next) {
        TcpConn *c = l->data;

        if (c->resolving && c->next_hop == hop) {
            c->rtx_at = tcp_now(tcp);
            vamt_net_kick(tcp->net);
        }
    }
}
