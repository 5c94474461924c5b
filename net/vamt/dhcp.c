/*
 * vAMT NIC endpoint: DHCP, the ME's own client and what the guest's says
 *
 * AMT in DHCP mode asks for its address with the host's MAC, so a server
 * that leases by MAC gives both the same address.  The ME asks only
 * while nothing better is known (net.c decides); the answers to its own
 * requests (its transaction ID) are its own, every other reply to the
 * NIC's MAC is the guest's, and an ACK among them tells the ME the
 * guest's address (snooping).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "wire.h"

#define BOOTP_REQUEST       1
#define BOOTP_REPLY         2
#define BOOTP_FIXED_LEN     236
#define DHCP_MAGIC          0x63825363

#define DHCP_DISCOVER       1
#define DHCP_OFFER          2
#define DHCP_REQUEST        3
#define DHCP_ACK            5
#define DHCP_NAK            6

#define OPT_PAD             0
#define OPT_NETMASK         1
#define OPT_ROUTER          3
#define OPT_REQUESTED_IP    50
#define OPT_LEASE_TIME      51
#define OPT_MESSAGE_TYPE    53
#define OPT_SERVER_ID       54
#define OPT_PARAMETERS      55
#define OPT_CLIENT_ID       61
#define OPT_END             255

/* Retries: 4 s, doubling to 64 s (RFC 2131 4.1) */
#define DHCP_RETRY_MS       4000
#define DHCP_RETRY_MAX_MS   64000
#define DHCP_REQUEST_TRIES  4
/* A lease without a time, or a very long one, is renewed after this */
#define DHCP_DEFAULT_LEASE_S 3600

typedef enum DhcpState {
    DHCP_IDLE,
    DHCP_SELECTING,
    DHCP_REQUESTING,
    DHCP_BOUND,
} DhcpState;

struct VamtDhcp {
    VamtNet *net;
    DhcpState state;
    bool wanted;
    uint32_t xid;
    int64_t next;                   /* next send or renewal; -1 */
    int64_t retry_ms;
    unsigned tries;
    uint32_t offered, server;
    bool have_lease;
    VamtDhcpLease lease;
};

typedef struct DhcpMessage {
    uint8_t type;
    uint32_t xid;
    uint32_t yiaddr;
    uint32_t netmask, router, server;
    uint32_t lease_s;
    const uint8_t *chaddr;
} DhcpMessage;

static bool parse(const uint8_t *p, size_t len, DhcpMessage *m)
{
    size_t i = BOOTP_FIXED_LEN + 4;

    if (len < i || p[0] != BOOTP_REPLY || p[1] != 1 || p[2] != ETH_ALEN ||
        vamt_be32(p + BOOTP_FIXED_LEN) != DHCP_MAGIC) {
        return false;
    }
    memset(m, 0, sizeof(*m));
    m->xid = vamt_be32(p + 4);
    m->yiaddr = vamt_be32(p + 16);
    m->chaddr = p + 28;
    while (i < len && p[i] != OPT_END) {
        uint8_t code = p[i], olen;
        const uint8_t *v;

        if (code == OPT_PAD) {
            i++;
            continue;
        }
        if (i + 2 > len || i + 2 + p[i + 1] > len) {
            break;
        }
        olen = p[i + 1];
        v = p + i + 2;
        if (code == OPT_MESSAGE_TYPE && olen == 1) {
            m->type = v[0];
        } else if (code == OPT_NETMASK && olen == 4) {
            m->netmask = vamt_be32(v);
        } else if (code == OPT_ROUTER && olen >= 4) {
            m->router = vamt_be32(v);
        } else if (code == OPT_SERVER_ID && olen == 4) {
            m->server = vamt_be32(v);
        } else if (code == OPT_LEASE_TIME && olen == 4) {
            m->lease_s = vamt_be32(v);
        }
        i += 2 + olen;
    }
    return m->type != 0;
}

static size_t put_option(uint8_t *p, size_t i, uint8_t code, uint8_t len,
                         const void *value)
{
    p[i] = code;
    p[i + 1] = len;
    memcpy(p + i + 2, value, len);
    return i + 2 + len;
}

static void send_message(VamtDhcp *dhcp, uint8_t type)
{
    static const uint8_t parameters[] = {
        OPT_NETMASK, OPT_ROUTER, 6, 15, OPT_LEASE_TIME, OPT_SERVER_ID,
    };
    uint8_t msg[BOOTP_FIXED_LEN + 64] = { 0 };
    const uint8_t *mac = vamt_net_mac(dhcp->net);
    uint8_t client_id[1 + ETH_ALEN] = { 1 };
    uint8_t be[4];
    size_t i;

    msg[0] = BOOTP_REQUEST;
    msg[1] = 1;
    msg[2] = ETH_ALEN;
    vamt_put_be32(msg + 4, dhcp->xid);
    /* broadcast: the ME has no address to be answered at */
    vamt_put_be16(msg + 10, 0x8000);
    memcpy(msg + 28, mac, ETH_ALEN);
    vamt_put_be32(msg + BOOTP_FIXED_LEN, DHCP_MAGIC);
    i = BOOTP_FIXED_LEN + 4;
    i = put_option(msg, i, OPT_MESSAGE_TYPE, 1, &type);
    memcpy(client_id + 1, mac, ETH_ALEN);
    i = put_option(msg, i, OPT_CLIENT_ID, sizeof(client_id), client_id);
    if (type == DHCP_REQUEST) {
        vamt_put_be32(be, dhcp->offered);
        i = put_option(msg, i, OPT_REQUESTED_IP, 4, be);
        if (dhcp->server) {
            vamt_put_be32(be, dhcp->server);
            i = put_option(msg, i, OPT_SERVER_ID, 4, be);
        }
    }
    i = put_option(msg, i, OPT_PARAMETERS, sizeof(parameters), parameters);
    msg[i++] = OPT_END;
    vamt_net_send_udp_broadcast(dhcp->net, 0, 68, 67, msg, i);
}

static int64_t now(VamtDhcp *dhcp)
{
    return vamt_net_now(dhcp->net);
}

static void discover(VamtDhcp *dhcp)
{
    dhcp->state = DHCP_SELECTING;
    dhcp->xid = g_random_int();
    dhcp->tries = 0;
    dhcp->retry_ms = DHCP_RETRY_MS;
    send_message(dhcp, DHCP_DISCOVER);
    dhcp->next = now(dhcp) + dhcp->retry_ms;
}

static void request(VamtDhcp *dhcp)
{
    dhcp->state = DHCP_REQUESTING;
    dhcp->tries = 0;
    dhcp->retry_ms = DHCP_RETRY_MS;
    send_message(dhcp, DHCP_REQUEST);
    dhcp->next = now(dhcp) + dhcp->retry_ms;
}

bool vamt_dhcp_input(VamtDhcp *dhcp, const VamtIpPacket *ip,
                     const uint8_t *udp_payload, size_t len,
                     VamtDhcpLease *snooped, bool *have_snooped)
{
    DhcpMessage m;

    *have_snooped = false;
    if (!parse(udp_payload, len, &m) ||
        memcmp(m.chaddr, vamt_net_mac(dhcp->net), ETH_ALEN)) {
        return false;
    }
    if (dhcp->state == DHCP_IDLE || dhcp->state == DHCP_BOUND ||
        m.xid != dhcp->xid) {
        /* the guest's: learn from its ACK */
        if (m.type == DHCP_ACK && m.yiaddr) {
            *snooped = (VamtDhcpLease) {
                .address = m.yiaddr,
                .netmask = m.netmask,
                .gateway = m.router,
                .server = m.server,
            };
            *have_snooped = true;
        }
        return false;
    }
    switch (m.type) {
    case DHCP_OFFER:
        if (dhcp->state == DHCP_SELECTING && m.yiaddr) {
            dhcp->offered = m.yiaddr;
            dhcp->server = m.server ? m.server : ip->src;
            request(dhcp);
        }
        break;
    case DHCP_ACK: {
        uint32_t lease_s = m.lease_s && m.lease_s < DHCP_DEFAULT_LEASE_S * 24
                           ? m.lease_s : DHCP_DEFAULT_LEASE_S;

        dhcp->state = DHCP_BOUND;
        dhcp->have_lease = true;
        dhcp->lease = (VamtDhcpLease) {
            .address = m.yiaddr ? m.yiaddr : dhcp->offered,
            .netmask = m.netmask,
            .gateway = m.router,
            .server = dhcp->server,
            .expires = now(dhcp) + (int64_t)lease_s * 1000,
        };
        /* renew at half the lease (T1) */
        dhcp->next = now(dhcp) + (int64_t)lease_s * 500;
        vamt_net_lease_changed(dhcp->net);
        break;
    }
    case DHCP_NAK:
        dhcp->have_lease = false;
        vamt_net_lease_changed(dhcp->net);
        discover(dhcp);
        break;
    default:
        break;
    }
    return true;
}

void vamt_dhcp_set_wanted(VamtDhcp *dhcp, bool want)
{
    if (want == dhcp->wanted) {
        return;
    }
    dhcp->wanted = want;
    if (!want) {
        /* a lease we hold stays until it runs out; no more requests */
        if (dhcp->state != DHCP_BOUND) {
            dhcp->state = DHCP_IDLE;
        }
        dhcp->next = dhcp->have_lease ? dhcp->lease.expires : -1;
    } else if (dhcp->state == DHCP_IDLE ||
               (dhcp->have_lease && now(dhcp) >= dhcp->lease.expires)) {
        /* from the timer: not from within the platform's own set-up */
        dhcp->state = DHCP_IDLE;
        dhcp->next = now(dhcp);
    }
}

bool vamt_dhcp_lease(VamtDhcp *dhcp, VamtDhcpLease *lease)
{
    if (dhcp->have_lease) {
        *lease = dhcp->lease;
    }
    return dhcp->have_lease;
}

void vamt_dhcp_tick(VamtDhcp *dhcp)
{
    int64_t t = now(dhcp);

    if (dhcp->next < 0 || t < dhcp->next) {
        return;
    }
    if (dhcp->have_lease && t >= dhcp->lease.expires) {
        dhcp->have_lease = false;
        dhcp->state = DHCP_IDLE;
        dhcp->next = -1;
        vamt_net_lease_changed(dhcp->net);
    }
    if (!dhcp->wanted) {
        dhcp->next = dhcp->have_lease ? dhcp->lease.expires : -1;
        return;
    }
    switch (dhcp->state) {
    case DHCP_IDLE:
        discover(dhcp);
        break;
    case DHCP_SELECTING:
        dhcp->retry_ms = MIN(dhcp->retry_ms * 2, DHCP_RETRY_MAX_MS);
        send_message(dhcp, DHCP_DISCOVER);
        dhcp->next = t + dhcp->retry_ms;
        break;
    case DHCP_REQUESTING:
        if (++dhcp->tries >= DHCP_REQUEST_TRIES) {
            discover(dhcp);
            break;
        }
        dhcp->retry_ms = MIN(dhcp->retry_ms * 2, DHCP_RETRY_MAX_MS);
        send_message(dhcp, DHCP_REQUEST);
        dhcp->next = t + dhcp->retry_ms;
        break;
    case DHCP_BOUND:
        /* renew: broadcast again, as an ME without a route would */
        dhcp->xid = g_random_int();
        dhcp->offered = dhcp->lease.address;
        request(dhcp);
        break;
    }
}

int64_t vamt_dhcp_deadline(VamtDhcp *dhcp)
{
    return dhcp->next;
}

VamtDhcp *vamt_dhcp_new(VamtNet *net)
{
    VamtDhcp *dhcp = g_new0(VamtDhcp, 1);

    dhcp->net = net;
    dhcp->next = -1;
    return dhcp;
}

void vamt_dhcp_free(VamtDhcp *dhcp)
{
    g_free(dhcp);
}
