/*
 * vAMT ME core: APF sessions and their channels
 *
 * The ME's side of the session (heci.md 5.5): it sends its
 * PROTOCOL_VERSION once, asks for the port forwarding service, registers
 * each AMT port it serves and then answers the channels the peer opens.
 * A peer PROTOCOL_VERSION after the registration is a re-sync (rpc-go
 * repeats its handshake before each request): channels go silently and
 * the registration is made again; one before it completed is ignored.
 *
 * Back-pressure both ways, so nothing the peer does grows memory without
 * bound: the ME never sends a channel more than the window the peer gave
 * it nor while the transport is full, a service's output beyond
 * VAMT_APF_CHANNEL_TX_HIGH stops the channel's input reaching it, and
 * input the service has not taken is not given back as window.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "apf.h"
#include "blob.h"
#include "byte-order.h"

typedef struct ApfChannel {
    VamtApf *apf;
    uint32_t id;                /* the ME's id: the slot */
    bool used;
    uint32_t peer_id;
    uint32_t peer_window;       /* bytes the peer can still take */
    uint32_t peer_max_packet;
    uint32_t rx_window;         /* bytes the peer may still send */
    uint32_t rx_consumed;       /* taken by the service, not yet given back */
    GByteArray *tx;             /* service output for the peer */
    GByteArray *rx;             /* peer data the service did not take yet */
    VamtConn conn;
    bool service_closed;        /* CLOSE goes once tx has drained */
    bool close_sent;
} ApfChannel;

typedef enum ApfState {
    APF_IDLE,                   /* nothing sent yet */
    APF_SERVICE_WAIT,           /* SERVICE_REQUEST sent */
    APF_REGISTERING,            /* tcpip-forward requests sent */
    APF_READY,                  /* every one answered */
    APF_DISCONNECTED,
} ApfState;

struct VamtApf {
    const VamtApfOps *ops;
    void *opaque;
    VamtApfConfig cfg;
    char *peer;
    ApfState state;
    bool version_sent;
    unsigned replies_due;       /* tcpip-forward answers still to come */
    unsigned forwards;
    bool forwarded[8];          /* cfg.ports[i] was accepted */
    ApfChannel ch[VAMT_APF_MAX_CHANNELS];
    uint32_t next_round;        /* channel ids: slot + MAX * round */
    bool in_service;            /* inside a service call (for asserts) */
};

static void G_GNUC_PRINTF(2, 3) apf_log(VamtApf *apf, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    if (!apf->ops->log) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    apf->ops->log(apf->opaque, msg);
}

/* ---- messages out ---- */

static void put_string(GByteArray *out, const char *s)
{
    uint8_t len[4];

    vamt_put_be32(len, strlen(s));
    g_byte_array_append(out, len, 4);
    g_byte_array_append(out, (const uint8_t *)s, strlen(s));
}

static void put_u32(GByteArray *out, uint32_t v)
{
    uint8_t b[4];

    vamt_put_be32(b, v);
    g_byte_array_append(out, b, 4);
}

static void send_array(VamtApf *apf, GByteArray *msg)
{
    apf->ops->send(apf->opaque, msg->data, msg->len);
    g_byte_array_free(msg, TRUE);
}

static GByteArray *new_msg(uint8_t type)
{
    GByteArray *msg = g_byte_array_new();

    g_byte_array_append(msg, &type, 1);
    return msg;
}

static void send_u32s(VamtApf *apf, uint8_t type, unsigned n,
                      const uint32_t *v)
{
    GByteArray *msg = new_msg(type);

    for (unsigned i = 0; i < n; i++) {
        put_u32(msg, v[i]);
    }
    send_array(apf, msg);
}

static void send_service_request(VamtApf *apf)
{
    GByteArray *msg = new_msg(VAMT_APF_SERVICE_REQUEST);

    put_string(msg, VAMT_APF_PFWD_SERVICE);
    send_array(apf, msg);
    apf->state = APF_SERVICE_WAIT;
}

static void send_forwards(VamtApf *apf)
{
    apf->replies_due = apf->cfg.nports;
    apf->forwards = 0;
    memset(apf->forwarded, 0, sizeof(apf->forwarded));
    for (unsigned i = 0; i < apf->cfg.nports; i++) {
        GByteArray *msg = new_msg(VAMT_APF_GLOBAL_REQUEST);
        uint8_t want_reply = 1;

        put_string(msg, "tcpip-forward");
        g_byte_array_append(msg, &want_reply, 1);
        /* LMS takes 0.0.0.0 for a remote binding: local only */
        put_string(msg, "127.0.0.1");
        put_u32(msg, apf->cfg.ports[i]);
        send_array(apf, msg);
    }
    apf->state = apf->cfg.nports ? APF_REGISTERING : APF_READY;
}

/* ---- channels ---- */

static void channel_free(ApfChannel *ch)
{
    g_assert(!ch->apf->in_service);
    vamt_conn_free(&ch->conn);
    g_byte_array_free(ch->tx, TRUE);
    g_byte_array_free(ch->rx, TRUE);
    memset(ch, 0, sizeof(*ch));
}

/* Send what the peer's window and the transport take */
static void channel_flush(ApfChannel *ch)
{
    VamtApf *apf = ch->apf;

    while (ch->tx->len && ch->peer_window && !ch->close_sent &&
           (!apf->ops->can_send || apf->ops->can_send(apf->opaque))) {
        uint32_t n = MIN(MIN(ch->tx->len, ch->peer_window),
                         MIN(ch->peer_max_packet, apf->cfg.max_data));
        GByteArray *msg = new_msg(VAMT_APF_CHANNEL_DATA);

        put_u32(msg, ch->peer_id);
        put_u32(msg, n);
        g_byte_array_append(msg, ch->tx->data, n);
        send_array(apf, msg);
        g_byte_array_remove_range(ch->tx, 0, n);
        ch->peer_window -= n;
    }
}

/*
 * Give the service the peer's data while it keeps up with its output,
 * and the peer its window back in halves, as both MPSs do.
 */
static void channel_feed(ApfChannel *ch)
{
    VamtApf *apf = ch->apf;

    while (ch->rx->len && !ch->service_closed &&
           ch->tx->len < VAMT_APF_CHANNEL_TX_HIGH) {
        size_t n = ch->rx->len;
        g_autofree uint8_t *data = g_memdup2(ch->rx->data, n);

        g_byte_array_set_size(ch->rx, 0);
        apf->in_service = true;
        vamt_conn_input(&ch->conn, data, n);
        apf->in_service = false;
        ch->rx_consumed += n;
        if (vamt_conn_closed(&ch->conn)) {
            ch->service_closed = true;
        }
    }
    if (ch->rx_consumed && !ch->close_sent &&
        ch->rx_consumed >= apf->cfg.window / 2) {
        uint32_t v[2] = { ch->peer_id, ch->rx_consumed };

        send_u32s(apf, VAMT_APF_CHANNEL_WINDOW_ADJUST, 2, v);
        ch->rx_window += ch->rx_consumed;
        ch->rx_consumed = 0;
    }
}

/* After anything reached the service: flush, feed, close when done */
static void channel_settle(ApfChannel *ch)
{
    if (!ch->used) {
        return;
    }
    if (vamt_conn_closed(&ch->conn)) {
        ch->service_closed = true;
    }
    channel_flush(ch);
    channel_feed(ch);
    channel_flush(ch);
    if (ch->service_closed && !ch->tx->len && !ch->close_sent) {
        uint32_t v = ch->peer_id;

        send_u32s(ch->apf, VAMT_APF_CHANNEL_CLOSE, 1, &v);
        ch->close_sent = true;
    }
}

static void chan_write(void *opaque, const uint8_t *data, size_t len)
{
    ApfChannel *ch = opaque;

    g_byte_array_append(ch->tx, data, len);
    channel_flush(ch);
}

static void chan_close(void *opaque)
{
    ApfChannel *ch = opaque;

    ch->service_closed = true;
}

static size_t chan_pending(void *opaque)
{
    ApfChannel *ch = opaque;

    return ch->tx->len;
}

static void chan_wake(void *opaque)
{
    ApfChannel *ch = opaque;

    channel_flush(ch);
    if (ch->apf->ops->wake) {
        ch->apf->ops->wake(ch->apf->opaque);
    }
}

static const VamtStreamOps apf_channel_ops = {
    .write = chan_write,
    .close = chan_close,
    .pending = chan_pending,
    .wake = chan_wake,
};

static void close_all_channels(VamtApf *apf, bool say)
{
    for (unsigned i = 0; i < VAMT_APF_MAX_CHANNELS; i++) {
        ApfChannel *ch = &apf->ch[i];

        if (!ch->used) {
            continue;
        }
        if (say && !ch->close_sent) {
            uint32_t v = ch->peer_id;

            send_u32s(apf, VAMT_APF_CHANNEL_CLOSE, 1, &v);
        }
        vamt_conn_eof(&ch->conn);
        channel_free(ch);
    }
}

/* ---- messages in ---- */

static const uint8_t *get_string(BlobReader *r, uint32_t *len)
{
    *len = blob_get_be32(r);
    if (*len > VAMT_APF_MAX_STRING) {
        r->ok = false;
        return NULL;
    }
    return blob_get_raw(r, *len);
}

static bool string_is(const uint8_t *s, uint32_t len, const char *want)
{
    return s && len == strlen(want) && !memcmp(s, want, len);
}

static ApfChannel *channel_of(VamtApf *apf, uint32_t id)
{
    ApfChannel *ch = &apf->ch[id % VAMT_APF_MAX_CHANNELS];

    return ch->used && ch->id == id ? ch : NULL;
}

static void open_failure(VamtApf *apf, uint32_t peer_id, uint32_t reason)
{
    uint32_t v[4] = { peer_id, reason, 0, 0 };

    apf_log(apf, "APF: channel open (peer's %u) refused, reason %u",
            peer_id, reason);
    send_u32s(apf, VAMT_APF_CHANNEL_OPEN_FAILURE, 4, v);
}

static bool port_forwarded(VamtApf *apf, uint32_t port)
{
    for (unsigned i = 0; i < apf->cfg.nports; i++) {
        if (apf->forwarded[i] && apf->cfg.ports[i] == port) {
            return true;
        }
    }
    return false;
}

static bool channel_open(VamtApf *apf, BlobReader *r)
{
    uint32_t type_len, addr_len, orig_len;
    const uint8_t *type = get_string(r, &type_len);
    uint32_t peer_id = blob_get_be32(r);
    uint32_t window = blob_get_be32(r);
    uint32_t max_packet = blob_get_be32(r);
    const VamtService *service;
    ApfChannel *ch = NULL;
    uint32_t port;

    get_string(r, &addr_len);
    port = blob_get_be32(r);
    get_string(r, &orig_len);
    blob_get_be32(r);
    if (!r->ok) {
        return false;
    }
    if (!string_is(type, type_len, "forwarded-tcpip") &&
        !string_is(type, type_len, "direct-tcpip")) {
        open_failure(apf, peer_id, VAMT_APF_OPEN_UNKNOWN_TYPE);
        return true;
    }
    if (apf->state != APF_READY || port > UINT16_MAX ||
        !port_forwarded(apf, port)) {
        open_failure(apf, peer_id, VAMT_APF_OPEN_PROHIBITED);
        return true;
    }
    service = apf->ops->service(apf->opaque, port);
    if (!service) {
        open_failure(apf, peer_id, VAMT_APF_OPEN_CONNECT_FAILED);
        return true;
    }
    /*
     * A new id each time, not the slot's last one: MeshCmd's LMS answers
     * our CLOSE of a channel it closed itself with one more CLOSE, which
     * must not end the channel opened next in the same slot
     */
    for (unsigned i = 0; i < VAMT_APF_MAX_CHANNELS; i++) {
        if (!apf->ch[i].used) {
            ch = &apf->ch[i];
            ch->id = i + VAMT_APF_MAX_CHANNELS * apf->next_round++;
            break;
        }
    }
    if (!ch) {
        open_failure(apf, peer_id, VAMT_APF_OPEN_RESOURCE_SHORTAGE);
        return true;
    }
    ch->apf = apf;
    ch->used = true;
    ch->peer_id = peer_id;
    ch->peer_window = window;
    ch->peer_max_packet = max_packet ?: UINT32_MAX;
    ch->rx_window = apf->cfg.window;
    ch->tx = g_byte_array_new();
    ch->rx = g_byte_array_new();
    {
        uint32_t v[4] = { peer_id, ch->id, apf->cfg.window, UINT32_MAX };

        send_u32s(apf, VAMT_APF_CHANNEL_OPEN_CONFIRMATION, 4, v);
    }
    apf->in_service = true;
    ch->conn = vamt_conn_open(service, &apf_channel_ops, ch, apf->peer);
    apf->in_service = false;
    apf_log(apf, "APF: channel %u to port %u (peer's %u, window %u)",
            ch->id, port, peer_id, window);
    channel_settle(ch);
    return true;
}

static bool channel_data(VamtApf *apf, BlobReader *r)
{
    ApfChannel *ch = channel_of(apf, blob_get_be32(r));
    uint32_t n = blob_get_be32(r);
    const uint8_t *data = blob_get_raw(r, n);

    if (!r->ok || r->left) {
        return false;
    }
    if (!ch || ch->close_sent) {
        return true;    /* data racing our CLOSE: dropped, as SSH does */
    }
    if (n > ch->rx_window) {
        apf_log(apf, "APF: %u bytes on channel %u beyond its window %u",
                n, ch->id, ch->rx_window);
        return false;
    }
    ch->rx_window -= n;
    if (!ch->service_closed) {
        g_byte_array_append(ch->rx, data, n);
    }
    channel_settle(ch);
    return true;
}

static bool window_adjust(VamtApf *apf, BlobReader *r)
{
    ApfChannel *ch = channel_of(apf, blob_get_be32(r));
    uint32_t add = blob_get_be32(r);

    if (!r->ok || r->left) {
        return false;
    }
    if (ch) {
        /* a window beyond 4 GiB means "as much as you like" */
        ch->peer_window = add > UINT32_MAX - ch->peer_window ?
                          UINT32_MAX : ch->peer_window + add;
        channel_settle(ch);
    }
    return true;
}

static bool channel_close(VamtApf *apf, BlobReader *r)
{
    ApfChannel *ch = channel_of(apf, blob_get_be32(r));

    if (!r->ok || r->left) {
        return false;
    }
    if (!ch) {
        return true;
    }
    if (!ch->close_sent) {
        uint32_t v = ch->peer_id;

        send_u32s(apf, VAMT_APF_CHANNEL_CLOSE, 1, &v);
    }
    apf->in_service = true;
    vamt_conn_eof(&ch->conn);
    apf->in_service = false;
    channel_free(ch);
    return true;
}

static bool protocol_version(VamtApf *apf, BlobReader *r)
{
    uint32_t major = blob_get_be32(r);

    blob_get_be32(r);                   /* minor: any */
    blob_get_be32(r);                   /* trigger */
    blob_get_raw(r, 16 + 64);           /* uuid, reserved */
    if (!r->ok) {
        return false;
    }
    if (major != 1) {
        apf_log(apf, "APF: peer speaks version %u", major);
        vamt_apf_disconnect(apf, VAMT_APF_REASON_VERSION_NOT_SUPPORTED);
        return true;
    }
    if (!apf->version_sent) {
        vamt_apf_start(apf);
    } else if (apf->state == APF_READY) {
        /* a re-sync: channels go silently, the registration again */
        close_all_channels(apf, false);
        send_service_request(apf);
    }
    /* before the registration completed: the peer's own first PV */
    return true;
}

static bool service_accept(VamtApf *apf, BlobReader *r)
{
    uint32_t len;
    const uint8_t *name = get_string(r, &len);

    if (!r->ok) {
        return false;
    }
    if (apf->state == APF_SERVICE_WAIT &&
        string_is(name, len, VAMT_APF_PFWD_SERVICE)) {
        send_forwards(apf);
    }
    return true;
}

/* The answers come in the order the requests went */
static void forward_answered(VamtApf *apf, bool ok)
{
    unsigned i;

    if (apf->state != APF_REGISTERING || !apf->replies_due) {
        return;
    }
    i = apf->cfg.nports - apf->replies_due;
    if (ok) {
        apf->forwarded[i] = true;
        apf->forwards++;
    } else {
        apf_log(apf, "APF: peer refused to forward port %u",
                apf->cfg.ports[i]);
    }
    if (!--apf->replies_due) {
        apf->state = APF_READY;
    }
}

static bool global_request(VamtApf *apf, BlobReader *r)
{
    uint32_t len;
    const uint8_t *want_reply;

    get_string(r, &len);
    want_reply = blob_get_raw(r, 1);
    if (!want_reply) {
        return false;
    }
    if (*want_reply) {
        /* the ME serves no peer requests (it has nothing to forward) */
        uint8_t failure = VAMT_APF_REQUEST_FAILURE;

        apf->ops->send(apf->opaque, &failure, 1);
    }
    return true;
}

static bool keepalive(VamtApf *apf, uint8_t type, BlobReader *r)
{
    uint32_t a = blob_get_be32(r), b;

    if (type == VAMT_APF_KEEPALIVE_REQUEST) {
        if (r->ok && !r->left) {
            send_u32s(apf, VAMT_APF_KEEPALIVE_REPLY, 1, &a);
        }
    } else if (type == VAMT_APF_KEEPALIVE_OPTIONS_REQUEST) {
        b = blob_get_be32(r);
        if (r->ok && !r->left) {
            uint32_t v[2] = { a, b };

            send_u32s(apf, VAMT_APF_KEEPALIVE_OPTIONS_REPLY, 2, v);
        }
    }
    return r->ok;
}

void vamt_apf_message(VamtApf *apf, const uint8_t *msg, size_t len)
{
    BlobReader r;
    bool ok;

    if (apf->state == APF_DISCONNECTED || !len) {
        return;
    }
    blob_reader_init(&r, msg + 1, len - 1);
    switch (msg[0]) {
    case VAMT_APF_PROTOCOL_VERSION:
        ok = protocol_version(apf, &r);
        break;
    case VAMT_APF_SERVICE_ACCEPT:
        ok = service_accept(apf, &r);
        break;
    case VAMT_APF_REQUEST_SUCCESS:
    case VAMT_APF_REQUEST_FAILURE:
        /* REQUEST_SUCCESS may carry the port: not needed */
        forward_answered(apf, msg[0] == VAMT_APF_REQUEST_SUCCESS);
        ok = true;
        break;
    case VAMT_APF_GLOBAL_REQUEST:
        ok = global_request(apf, &r);
        break;
    case VAMT_APF_CHANNEL_OPEN:
        ok = channel_open(apf, &r);
        break;
    case VAMT_APF_CHANNEL_DATA:
        ok = channel_data(apf, &r);
        break;
    case VAMT_APF_CHANNEL_WINDOW_ADJUST:
        ok = window_adjust(apf, &r);
        break;
    case VAMT_APF_CHANNEL_CLOSE:
        ok = channel_close(apf, &r);
        break;
    case VAMT_APF_CHANNEL_OPEN_CONFIRMATION:
    case VAMT_APF_CHANNEL_OPEN_FAILURE:
        /* the ME opens no channels: nothing to confirm */
        ok = true;
        break;
    case VAMT_APF_KEEPALIVE_REQUEST:
    case VAMT_APF_KEEPALIVE_REPLY:
    case VAMT_APF_KEEPALIVE_OPTIONS_REQUEST:
    case VAMT_APF_KEEPALIVE_OPTIONS_REPLY:
        ok = keepalive(apf, msg[0], &r);
        break;
    case VAMT_APF_DISCONNECT:
        apf_log(apf, "APF: peer disconnected");
        close_all_channels(apf, false);
        apf->state = APF_DISCONNECTED;
        return;
    default:
        apf_log(apf, "APF: unknown message type %u (%zu bytes)", msg[0], len);
        ok = false;
        break;
    }
    if (!ok) {
        apf_log(apf, "APF: malformed message type %u (%zu bytes)", msg[0],
                len);
        vamt_apf_disconnect(apf, VAMT_APF_REASON_PROTOCOL_ERROR);
    }
}

/* ---- the session ---- */

VamtApf *vamt_apf_new(const VamtApfOps *ops, void *opaque,
                      const VamtApfConfig *cfg)
{
    VamtApf *apf = g_new0(VamtApf, 1);

    apf->ops = ops;
    apf->opaque = opaque;
    apf->cfg = *cfg;
    apf->cfg.nports = MIN(cfg->nports, G_N_ELEMENTS(cfg->ports));
    apf->cfg.max_data = MAX(cfg->max_data, 1);
    apf->cfg.window = MAX(cfg->window, 2);
    apf->peer = g_strdup(cfg->peer ?: "");
    apf->cfg.peer = apf->peer;
    return apf;
}

void vamt_apf_free(VamtApf *apf)
{
    if (!apf) {
        return;
    }
    close_all_channels(apf, false);
    g_free(apf->peer);
    g_free(apf);
}

void vamt_apf_start(VamtApf *apf)
{
    uint8_t pv[VAMT_APF_PROTOCOL_VERSION_LEN] = { VAMT_APF_PROTOCOL_VERSION };

    if (apf->version_sent || apf->state == APF_DISCONNECTED) {
        return;
    }
    vamt_put_be32(pv + 1, 1);
    vamt_put_be32(pv + 5, 0);
    vamt_put_be32(pv + 9, apf->cfg.trigger);
    memcpy(pv + 13, apf->cfg.uuid, 16);
    apf->ops->send(apf->opaque, pv, sizeof(pv));
    apf->version_sent = true;
    send_service_request(apf);
}

void vamt_apf_disconnect(VamtApf *apf, uint32_t reason)
{
    uint8_t msg[7] = { VAMT_APF_DISCONNECT };

    if (apf->state == APF_DISCONNECTED) {
        return;
    }
    close_all_channels(apf, false);
    vamt_put_be32(msg + 1, reason);
    apf->ops->send(apf->opaque, msg, sizeof(msg));
    apf->state = APF_DISCONNECTED;
}

void vamt_apf_flush(VamtApf *apf)
{
    for (unsigned i = 0; i < VAMT_APF_MAX_CHANNELS; i++) {
        channel_settle(&apf->ch[i]);
    }
}

int64_t vamt_apf_deadline(const VamtApf *apf)
{
    int64_t d = -1;

    for (unsigned i = 0; i < VAMT_APF_MAX_CHANNELS; i++) {
        const ApfChannel *ch = &apf->ch[i];
        int64_t c;

        if (!ch->used || ch->service_closed) {
            continue;
        }
        c = vamt_conn_deadline(&ch->conn);
        if (c >= 0 && (d < 0 || c < d)) {
            d = c;
        }
    }
    return d;
}

void vamt_apf_tick(VamtApf *apf, int64_t now_ms)
{
    for (unsigned i = 0; i < VAMT_APF_MAX_CHANNELS; i++) {
        ApfChannel *ch = &apf->ch[i];
        int64_t d;

        if (!ch->used || ch->service_closed) {
            channel_settle(ch);
            continue;
        }
        d = vamt_conn_deadline(&ch->conn);
        if (d >= 0 && d <= now_ms) {
            apf->in_service = true;
            vamt_conn_tick(&ch->conn);
            apf->in_service = false;
        }
        channel_settle(ch);
    }
}

void vamt_apf_get_info(const VamtApf *apf, VamtApfInfo *info)
{
    *info = (VamtApfInfo) {
        .registered = apf->state == APF_READY,
        .disconnected = apf->state == APF_DISCONNECTED,
        .forwards = apf->forwards,
    };
    for (unsigned i = 0; i < VAMT_APF_MAX_CHANNELS; i++) {
        info->channels += apf->ch[i].used;
    }
}
