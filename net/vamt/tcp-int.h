/*
 * vAMT NIC endpoint: TCP's connection state, shared by tcp.c (the
 * state machine, the ME's services) and tcp-client.c (the ME's own
 * connections out) (internal)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_NET_TCP_INT_H
#define VAMT_NET_TCP_INT_H

#include "wire.h"

#define SEQ_LT(a, b)        ((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b)       ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b)        ((int32_t)((a) - (b)) > 0)
#define SEQ_GEQ(a, b)       ((int32_t)((a) - (b)) >= 0)

/* Our MSS: Ethernet's MTU less the IPv4 and TCP headers */
#define TCP_OUR_MSS         (VAMT_NET_MTU - IP_HLEN - TCP_HLEN)
/* The peer's when its SYN names none (RFC 9293) */
#define TCP_DEFAULT_MSS     536
/* What we receive at once (no window scaling) */
#define TCP_WINDOW          65535
/* Stop taking a peer's data while this much of our output is queued */
#define TCP_OUTPUT_HIGH     (256 * 1024)
/* Bytes in flight at most, whatever window the peer offers */
#define TCP_MAX_IN_FLIGHT   (64 * 1024)
/* Out-of-order data kept per connection */
#define TCP_OOO_MAX_BYTES   (64 * 1024)
#define TCP_OOO_MAX_SEGMENTS 16

/* RFC 6298: an initial RTO of 1 s, at least 200 ms (as Linux), 60 s max */
#define TCP_RTO_INITIAL_MS  1000
#define TCP_RTO_MIN_MS      200
#define TCP_RTO_MAX_MS      60000
/* Retries of the SYN-ACK, and of data, before the connection is given up */
#define TCP_SYNACK_RETRIES  5
/* Our SYN's (about 63 s in all, as Linux), and ARP's for the next hop */
#define TCP_SYN_RETRIES     5
#define TCP_ARP_RETRIES     3
#define TCP_DATA_RETRIES    8
#define TCP_TIME_WAIT_MS    30000
#define TCP_FIN_WAIT_2_MS   60000
#define TCP_MAX_TIME_WAIT   64

typedef enum TcpState {
    TCP_SYN_SENT,                   /* the ME's own, opening */
    TCP_SYN_RCVD,
    TCP_ESTABLISHED,
    TCP_CLOSE_WAIT,
    TCP_FIN_WAIT_1,
    TCP_FIN_WAIT_2,
    TCP_CLOSING,
    TCP_LAST_ACK,
    TCP_TIME_WAIT,
} TcpState;

typedef struct TcpSegment {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t window;
    uint16_t mss;                   /* 0: no MSS option */
    const uint8_t *data;
    size_t len;
} TcpSegment;

typedef struct TcpOoo {
    uint32_t seq;
    size_t len;
    bool fin;
    uint8_t data[];
} TcpOoo;

typedef struct TcpConn {
    VamtTcp *tcp;
    TcpState state;
    uint8_t peer_mac[ETH_ALEN];     /* replies go where the SYN came from */
    uint32_t peer_ip;
    uint16_t peer_port, local_port;
    uint64_t serial;                /* age, for eviction */

    uint32_t snd_una, snd_nxt, snd_max;
    uint32_t snd_wnd;               /* the peer's window */
    uint16_t mss;
    GByteArray *output;             /* from snd_una on: unacked, unsent */
    bool fin_assigned;              /* our FIN has its sequence number */
    uint32_t fin_seq;

    uint32_t rcv_nxt;
    bool advertised_zero;
    GList *ooo;                     /* TcpOoo, by sequence */
    size_t ooo_bytes;

    int64_t rto;
    unsigned retries;
    int64_t rtx_at;                 /* retransmission or probe; -1 */
    int64_t state_until;            /* SYN_RCVD, FIN_WAIT_2, TIME_WAIT */
    bool rtt_timing;
    uint32_t rtt_seq;
    int64_t rtt_start;
    int64_t srtt, rttvar;           /* 0 before the first sample */
    unsigned dupacks;
    bool ack_now;

    const VamtService *service;
    VamtConn conn;
    bool service_closed;            /* no more output; FIN after it */
    bool woken;

    /* the ME's own connection out */
    bool active;
    uint64_t client_id;
    bool client_reported;           /* no more reports: ended or closed */
    bool resolving;                 /* the next hop's MAC not known yet */
    uint32_t next_hop;
} TcpConn;

struct VamtTcp {
    VamtNet *net;
    GList *conns;
    uint64_t next_serial;
    bool woken;
    /*
     * Where the next local port for the ME's own connections is looked
     * for (an offset into the range, random at first): each one moves it
     * on, so a port is not used again right after its connection ended
     * (the peer may hold that pair in TIME-WAIT)
     */
    uint32_t client_port_cursor;
    bool client_port_cursor_set;
};

int64_t tcp_now(VamtTcp *tcp);
const VamtService *tcp_service_at(VamtTcp *tcp, uint16_t port);
TcpConn *tcp_lookup(VamtTcp *tcp, uint32_t peer_ip, uint16_t peer_port,
                    uint16_t local_port);
void tcp_send_segment(VamtTcp *tcp, const uint8_t *mac, uint32_t dst,
                      uint16_t sport, uint16_t dport, uint32_t seq,
                      uint32_t ack, uint8_t flags, uint16_t window,
                      const uint8_t *data, size_t len, bool with_mss);
void tcp_send_conn(TcpConn *c, uint32_t seq, uint8_t flags,
                   const uint8_t *data, size_t len);
void tcp_arm_rtx(TcpConn *c);
void tcp_sample_rtt(TcpConn *c);
void tcp_reset_ack(TcpConn *c, const TcpSegment *seg);
uint16_t tcp_peer_mss(const TcpSegment *seg);
/* Unlinks and frees @c; the ME hears of its own connection's end */
void tcp_conn_free(TcpConn *c);
/* The ME's own connection has ended for the ME: say so, once */
void tcp_report_closed(TcpConn *c);

/* tcp-client.c */
bool tcp_syn_sent_input(TcpConn *c, const TcpSegment *seg);
bool tcp_retransmit_syn(TcpConn *c);

#endif
