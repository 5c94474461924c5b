/*
 * vAMT ME core: Serial-over-LAN sessions
 *
 * The guest's output on the ME's UART goes to the console in 0x2A
 * messages of at most the console's MaxTxBuffer bytes, as soon as the
 * main loop comes round (TxBufferTimeout is only the longest the ME may
 * hold it); the console's keystrokes (0x28) go to the UART as fast as
 * it takes them.
 * The ME sends a heartbeat (0x2B) at the console's interval, closes the
 * session when the console has been silent for its HostSessionRxTimeout
 * and reports the UART's modem lines and the host's power in 0x29.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "byte-order.h"
#include "redir-int.h"

#define SOL_START_LEN           24
#define SOL_START_REPLY_LEN     23
#define SOL_DATA_HEADER         10
#define SOL_SETTINGS_LEN        14
/* What the ME puts in one 0x2A at most, whatever the console asks */
#define SOL_MAX_TX_MIN          16
#define SOL_MAX_TX_MAX          8192
/* An idle prompt must show even if the console asked for no timeout */
#define SOL_TX_TIMEOUT_DEFAULT_MS   100
/* Hold guest output back while the transport has this much unsent */
#define SOL_TRANSPORT_HIGH      (64 * 1024)
/* ... and look again this often until it has drained */
#define SOL_TRANSPORT_RETRY_MS  50

/* 0x29 status bits */
enum {
    SOL_STATUS_TX_OVERFLOW = 0x01,
    SOL_STATUS_LOOPBACK = 0x02,
    SOL_STATUS_POWER_ON = 0x04,
    SOL_STATUS_RX_FLUSHED = 0x08,
};

long redir_sol_message_len(const uint8_t *buf, size_t avail)
{
    switch (buf[0]) {
    case SOL_START:
        return SOL_START_LEN;
    case SOL_END:
    case SOL_PING:
    case SOL_HEARTBEAT:
        return 8;
    case SOL_SETTINGS:
        return SOL_SETTINGS_LEN;
    case SOL_DATA_TO_HOST:
        if (avail < SOL_DATA_HEADER) {
            return 0;
        }
        return SOL_DATA_HEADER + vamt_le16(buf + 8);
    default:
        return -1;
    }
}

static RedirConn *sol_session(VamtRedir *redir)
{
    RedirConn *c = redir->active[VAMT_REDIR_SOL];

    return c && c->sol_started && !c->sol_ending &&
           c->state == REDIR_ST_SESSION ? c : NULL;
}

static void sol_wake(RedirConn *c)
{
    if (c->ops->wake) {
        c->ops->wake(c->opaque);
    }
}

static uint8_t sol_status(RedirConn *c)
{
    VamtRedir *redir = c->redir;
    uint8_t status = c->sol_status_events;

    if (redir->ops->power_state &&
        redir->ops->power_state(redir->opaque) == VAMT_POWER_ON) {
        status |= SOL_STATUS_POWER_ON;
    }
    return status;
}

static void sol_send_controls(RedirConn *c)
{
    uint8_t msg[10];

    redir_header(msg, SOL_CONTROLS, true, c->seq++);
    c->sol_sent_control = c->redir->sol_control;
    c->sol_sent_status = sol_status(c);
    c->sol_status_events = 0;
    msg[8] = c->sol_sent_control;
    msg[9] = c->sol_sent_status;
    redir_send(c, msg, sizeof(msg), true);
}

/* Report the line state if it changed since the last 0x29 */
static void sol_check_controls(RedirConn *c)
{
    if (c->sol_status_events || c->redir->sol_control != c->sol_sent_control ||
        sol_status(c) != c->sol_sent_status) {
        sol_send_controls(c);
    }
}

static bool sol_transport_full(const RedirConn *c)
{
    return c->ops->pending && c->ops->pending(c->opaque) >= SOL_TRANSPORT_HIGH;
}

/* Send guest output: whole buffers, and the rest if @all; true if sent */
static bool sol_flush_tx(RedirConn *c, bool all)
{
    bool sent = false;

    while (c->sol_tx->len &&
           (all || c->sol_tx->len >= c->sol.max_tx) &&
           !sol_transport_full(c)) {
        size_t n = MIN(c->sol_tx->len, c->sol.max_tx);
        g_autofree uint8_t *msg = g_malloc(SOL_DATA_HEADER + n);

        redir_header(msg, SOL_DATA_FROM_HOST, true, c->seq++);
        vamt_put_le16(msg + 8, n);
        memcpy(msg + SOL_DATA_HEADER, c->sol_tx->data, n);
        redir_send(c, msg, SOL_DATA_HEADER + n, false);
        g_byte_array_remove_range(c->sol_tx, 0, n);
        sent = true;
    }
    /* sent, or held back by a console that does not read: wait again */
    if (sent || (c->sol_tx->len && sol_transport_full(c))) {
        c->sol_tx_since_ms = redir_now(c->redir);
    }
    return sent;
}

/*
 * When guest output waiting since sol_tx_since_ms goes out.  A console's
 * TxBufferTimeout is the longest it lets the ME hold output, not a delay
 * it asks for: holding a keystroke's echo for amtterm's and MeshCommander's
 * 100 ms would make every SOL session feel slow.  So what the guest wrote
 * goes out when the main loop next comes round, which batches a burst
 * from the UART's FIFO without a timer.  A console that asked for 0
 * ("only when full") gets full buffers, and an idle prompt after 100 ms.
 * While the transport is full: no sooner than SOL_TRANSPORT_RETRY_MS (it
 * cannot say when it has drained).
 */
static int64_t sol_tx_due_ms(const RedirConn *c)
{
    int64_t wait = c->sol.tx_when_full ? c->sol.tx_timeout_ms : 0;

    if (sol_transport_full(c)) {
        wait = MAX(wait, SOL_TRANSPORT_RETRY_MS);
    }
    return c->sol_tx_since_ms + wait;
}

/* Give the UART what it takes of the console's input */
static void sol_push_rx(RedirConn *c)
{
    VamtRedir *redir = c->redir;
    size_t n;

    if (!c->sol_rx->len) {
        return;
    }
    if (!redir->ops->sol_to_guest) {
        g_byte_array_set_size(c->sol_rx, 0);
        return;
    }
    n = redir->ops->sol_to_guest(redir->opaque, c->sol_rx->data,
                                 c->sol_rx->len);
    n = MIN(n, c->sol_rx->len);
    if (n) {
        g_byte_array_remove_range(c->sol_rx, 0, n);
        c->sol_rx_since_ms = redir_now(redir);
    }
}

static void sol_start(RedirConn *c, const uint8_t *msg)
{
    RedirSolSettings *s = &c->sol;
    uint8_t reply[SOL_START_REPLY_LEN] = { SOL_START_REPLY };
    int64_t now = redir_now(c->redir);

    s->max_tx = CLAMP(vamt_le16(msg + 8), SOL_MAX_TX_MIN, SOL_MAX_TX_MAX);
    s->tx_when_full = !vamt_le16(msg + 10);
    s->tx_timeout_ms = vamt_le16(msg + 10) ?: SOL_TX_TIMEOUT_DEFAULT_MS;
    s->tx_overflow_ms = vamt_le16(msg + 12);
    s->rx_timeout_ms = vamt_le16(msg + 14);
    s->rx_flush_ms = vamt_le16(msg + 16);
    s->heartbeat_ms = vamt_le16(msg + 18);

    vamt_put_le32(reply + 4, c->seq++);
    vamt_put_le16(reply + 8, s->max_tx);
    vamt_put_le16(reply + 10, s->tx_timeout_ms);
    vamt_put_le16(reply + 12, s->tx_overflow_ms);
    vamt_put_le16(reply + 14, s->rx_timeout_ms);
    vamt_put_le16(reply + 16, s->rx_flush_ms);
    vamt_put_le16(reply + 18, s->heartbeat_ms);
    redir_send(c, reply, sizeof(reply), true);

    c->sol_started = true;
    c->sol_next_heartbeat_ms = now + s->heartbeat_ms;
    c->sol_tx_since_ms = c->sol_rx_since_ms = now;
    redir_trace(c->redir, "redirection: SOL started for %s (buffer %u, "
                "heartbeat %u ms, rx timeout %u ms)", c->user, s->max_tx,
                s->heartbeat_ms, s->rx_timeout_ms);
    sol_send_controls(c);
}

void redir_sol_message(RedirConn *c, const uint8_t *msg, size_t len)
{
    uint8_t reply[8];

    switch (msg[0]) {
    case SOL_START:
        if (!c->sol_started) {
            sol_start(c, msg);
        }
        break;
    case SOL_END:
        if (c->sol_started && !c->sol_ending) {
            c->sol_ending = true;
            redir_header(reply, SOL_END_REPLY, true, c->seq++);
            redir_send(c, reply, sizeof(reply), true);
        }
        break;
    case SOL_PING:
        redir_header(reply, SOL_PONG, true, c->seq++);
        redir_send(c, reply, sizeof(reply), false);
        break;
    case SOL_DATA_TO_HOST:
        if (!c->sol_started || c->sol_ending) {
            break;
        }
        if (!c->sol_rx->len) {
            c->sol_rx_since_ms = redir_now(c->redir);
        }
        len -= SOL_DATA_HEADER;
        if (c->sol_rx->len + len > VAMT_REDIR_SOL_RX_MAX) {
            /* the guest does not read: the console learns it */
            len = VAMT_REDIR_SOL_RX_MAX - c->sol_rx->len;
            c->sol_status_events |= SOL_STATUS_RX_FLUSHED;
        }
        g_byte_array_append(c->sol_rx, msg + SOL_DATA_HEADER, len);
        sol_push_rx(c);
        break;
    case SOL_SETTINGS:
    case SOL_HEARTBEAT:
    default:
        /* heartbeats only keep the session alive: never answered */
        break;
    }
}

int64_t redir_sol_deadline(const RedirConn *c)
{
    int64_t d = -1;

#define SOL_EARLIEST(t) do { int64_t t_ = (t); \
        if (d < 0 || t_ < d) { d = t_; } } while (0)
    if (c->sol.rx_timeout_ms && c->sol_started) {
        SOL_EARLIEST(c->last_rx_ms + c->sol.rx_timeout_ms);
    }
    if (!c->sol_started || c->sol_ending) {
        return d;
    }
    if (c->sol.heartbeat_ms) {
        SOL_EARLIEST(c->sol_next_heartbeat_ms);
    }
    if (c->sol_tx->len) {
        SOL_EARLIEST(sol_tx_due_ms(c));
    }
    if (c->sol_rx->len && c->sol.rx_flush_ms) {
        SOL_EARLIEST(c->sol_rx_since_ms + c->sol.rx_flush_ms);
    }
#undef SOL_EARLIEST
    return d;
}

void redir_sol_tick(RedirConn *c)
{
    int64_t now = redir_now(c->redir);
    uint8_t msg[8];

    if (c->sol_started && c->sol.rx_timeout_ms &&
        now >= c->last_rx_ms + c->sol.rx_timeout_ms) {
        redir_trace(c->redir, "redirection: SOL console of %s silent for "
                    "%u ms: closing", c->user, c->sol.rx_timeout_ms);
        redir_close(c);
        return;
    }
    if (!c->sol_started || c->sol_ending) {
        return;
    }
    if (c->sol_tx->len && now >= sol_tx_due_ms(c)) {
        sol_flush_tx(c, true);
    }
    if (c->sol_rx->len && c->sol.rx_flush_ms &&
        now >= c->sol_rx_since_ms + c->sol.rx_flush_ms) {
        /* the guest did not take it in time: flushed, as AMT does */
        g_byte_array_set_size(c->sol_rx, 0);
        c->sol_status_events |= SOL_STATUS_RX_FLUSHED;
    }
    sol_check_controls(c);
    if (c->sol.heartbeat_ms && now >= c->sol_next_heartbeat_ms) {
        redir_header(msg, SOL_HEARTBEAT, true, c->seq++);
        redir_send(c, msg, sizeof(msg), false);
        c->sol_next_heartbeat_ms = now + c->sol.heartbeat_ms;
    }
}

void redir_sol_opened(RedirConn *c)
{
    c->sol_tx = g_byte_array_new();
    c->sol_rx = g_byte_array_new();
}

void redir_sol_closed(RedirConn *c)
{
    c->sol_started = false;
    if (c->sol_tx) {
        g_byte_array_set_size(c->sol_tx, 0);
        g_byte_array_set_size(c->sol_rx, 0);
    }
}

void redir_sol_free(RedirConn *c)
{
    if (c->sol_tx) {
        g_byte_array_free(c->sol_tx, TRUE);
        g_byte_array_free(c->sol_rx, TRUE);
        c->sol_tx = c->sol_rx = NULL;
    }
}

/* ---- the UART's side ---- */

void vamt_redir_sol_from_guest(VamtRedir *redir, const uint8_t *data,
                               size_t len)
{
    RedirConn *c = sol_session(redir);
    bool was_empty, overflow = false;
    size_t room;

    /* no console: the bytes go nowhere, as on an unconnected port */
    if (!c) {
        return;
    }
    was_empty = !c->sol_tx->len;
    if (was_empty) {
        c->sol_tx_since_ms = redir_now(redir);
    }
    room = VAMT_REDIR_SOL_TX_MAX - c->sol_tx->len;
    if (len > room) {
        len = room;
        /* the console learns of it once, not once per lost byte */
        overflow = !(c->sol_status_events & SOL_STATUS_TX_OVERFLOW);
        c->sol_status_events |= SOL_STATUS_TX_OVERFLOW;
    }
    g_byte_array_append(c->sol_tx, data, len);
    /*
     * The UART hands over one byte at a time: wake the transport only
     * when its deadline moves (the first byte of a batch), a message
     * went out or the console must learn of an overflow, not per byte.
     * Each wake is a main-loop wakeup (an eventfd write, a BQL hand-off)
     * that found nothing to do (bench/sol/run.sh).
     */
    if (sol_flush_tx(c, false) || was_empty || overflow) {
        sol_wake(c);
    }
}

void vamt_redir_sol_guest_ready(VamtRedir *redir)
{
    RedirConn *c = sol_session(redir);

    if (c) {
        sol_push_rx(c);
        sol_wake(c);
    }
}

void vamt_redir_sol_set_control(VamtRedir *redir, uint8_t control)
{
    RedirConn *c;

    redir->sol_control = control;
    c = sol_session(redir);
    if (c) {
        sol_check_controls(c);
        sol_wake(c);
    }
}
