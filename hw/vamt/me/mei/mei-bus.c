/*
 * vAMT ME core: the firmware side of the MEI link (HBM, connections,
 * flow control, message queues)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdarg.h>
#include <string.h>

#include "blob.h"
#include "mei-bus.h"
#include "mei-wire.h"

struct MeiConn {
    const MeiClientType *client;
    uint8_t host_addr;          /* 0 for a fixed-address client */
    uint32_t host_credits;      /* messages the host is ready to receive */
    bool notify;                /* host enabled notifications */
    bool rx_overflow;           /* dropping the rest of an oversized message */
    bool credit_owed;           /* host credit held back until replies drain */
    bool host_may_send;         /* we granted the host a message */
    GByteArray *rx;             /* host message being reassembled */
    GQueue pending;             /* GBytes waiting for a host credit */
    void *state;                /* the client's conn_state_size bytes */
};

typedef struct MeiTxMsg {
    uint8_t me_addr;
    uint8_t host_addr;
    GBytes *data;
} MeiTxMsg;

static const MeiClientType *const mei_clients[] = {
    &mei_client_mkhi_fixed,
    &mei_client_mkhi,
    &mei_client_amthi,
    &mei_client_watchdog,
    &mei_client_lme,
};
#define MEI_NUM_CLIENTS G_N_ELEMENTS(mei_clients)

/* A host may grant many credits at once; keep the count bounded. */
#define MEI_MAX_HOST_CREDITS    64
/*
 * Back-pressure on a host that writes but never reads: a connection with
 * this many replies waiting gets no credit for its next message, and the
 * bus takes no more input while this many messages wait to go out.
 */
#define MEI_MAX_PENDING         8
#define MEI_MAX_TX_BACKLOG      64
/* Bounds for loading migrated state */
#define MEI_MAX_QUEUED          4096
#define MEI_MAX_MSG             65536

#define MEI_BUS_BLOB_MAGIC      0x49454d56  /* "VMEI" */
/* 2: client state is saved by each client (the watchdog's, for now) */
#define MEI_BUS_BLOB_VERSION    2

struct MeiBus {
    const VamtPlatformOps *ops;
    void *opaque;
    VamtAmt *amt;
    MeiServiceLookup service_lookup;
    void *service_opaque;
    void *client_state[MEI_NUM_CLIENTS];
    MeiHbmState hbm_state;
    uint8_t hbm_major;
    uint8_t hbm_minor;
    MeiConn *conns[MEI_BUS_MAX_CONNS];
    MeiConn *fixed[MEI_NUM_CLIENTS];    /* pseudo connections, by client */
    GQueue tx;                  /* MeiTxMsg, in the order they go out */
    size_t tx_offset;           /* bytes of the head message already sent */
};

void mei_bus_log(MeiBus *bus, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    if (!bus->ops->trace) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    bus->ops->trace(bus->opaque, msg);
}

const VamtFirmware *mei_bus_firmware(MeiBus *bus)
{
    return vamt_amt_firmware(bus->amt);
}

VamtAmt *mei_bus_amt(MeiBus *bus)
{
    return bus->amt;
}

const VamtPlatformOps *mei_bus_ops(MeiBus *bus)
{
    return bus->ops;
}

void *mei_bus_opaque(MeiBus *bus)
{
    return bus->opaque;
}

int64_t mei_bus_guest_clock_ms(MeiBus *bus)
{
    return bus->ops->guest_clock_ms(bus->opaque);
}

void *mei_conn_state(MeiConn *conn)
{
    return conn->state;
}

void mei_bus_set_service_map(MeiBus *bus, MeiServiceLookup lookup,
                             void *opaque)
{
    bus->service_lookup = lookup;
    bus->service_opaque = opaque;
}

const VamtService *mei_bus_service(MeiBus *bus, uint16_t port)
{
    return bus->service_lookup ?
           bus->service_lookup(bus->service_opaque, port) : NULL;
}

size_t mei_conn_backlog(MeiConn *conn)
{
    return g_queue_get_length(&conn->pending);
}

const MeiClientType *mei_conn_client(MeiConn *conn)
{
    return conn->client;
}

uint8_t mei_conn_host_addr(MeiConn *conn)
{
    return conn->host_addr;
}

static int client_index(uint8_t me_addr)
{
    for (unsigned i = 0; i < MEI_NUM_CLIENTS; i++) {
        if (mei_clients[i]->me_addr == me_addr) {
            return i;
        }
    }
    return -1;
}

static MeiConn *conn_new(const MeiClientType *client, uint8_t host_addr)
{
    MeiConn *conn = g_new0(MeiConn, 1);

    conn->client = client;
    conn->host_addr = host_addr;
    if (client->conn_state_size) {
        conn->state = g_malloc0(client->conn_state_size);
    }
    conn->rx = g_byte_array_new();
    g_queue_init(&conn->pending);
    return conn;
}

static void conn_free(MeiConn *conn)
{
    g_byte_array_unref(conn->rx);
    g_queue_clear_full(&conn->pending, (GDestroyNotify)g_bytes_unref);
    g_free(conn->state);
    g_free(conn);
}

static MeiConn **conn_slot(MeiBus *bus, uint8_t me_addr, uint8_t host_addr)
{
    for (unsigned i = 0; i < MEI_BUS_MAX_CONNS; i++) {
        MeiConn *c = bus->conns[i];

        if (c && c->client->me_addr == me_addr && c->host_addr == host_addr) {
            return &bus->conns[i];
        }
    }
    return NULL;
}

static MeiConn *conn_find(MeiBus *bus, uint8_t me_addr, uint8_t host_addr)
{
    MeiConn **slot;
    int idx;

    if (host_addr == 0) {
        idx = client_index(me_addr);
        return idx < 0 ? NULL : bus->fixed[idx];
    }
    slot = conn_slot(bus, me_addr, host_addr);
    return slot ? *slot : NULL;
}

static void tx_msg_free(MeiTxMsg *m)
{
    g_bytes_unref(m->data);
    g_free(m);
}

static void tx_push(MeiBus *bus, uint8_t me_addr, uint8_t host_addr,
                    GBytes *data)
{
    MeiTxMsg *m = g_new(MeiTxMsg, 1);

    m->me_addr = me_addr;
    m->host_addr = host_addr;
    m->data = data;
    g_queue_push_tail(&bus->tx, m);
    if (bus->ops->host_tx_ready) {
        bus->ops->host_tx_ready(bus->opaque);
    }
}

static void hbm_send(MeiBus *bus, const uint8_t *msg, size_t len)
{
    tx_push(bus, 0, 0, g_bytes_new(msg, len));
}

static void hbm_send_flow_control(MeiBus *bus, MeiConn *conn)
{
    conn->host_may_send = true;
    uint8_t fc[HBM_FLOW_CONTROL_LEN] = {
        HBM_FLOW_CONTROL, conn->client->me_addr, conn->host_addr
    };

    hbm_send(bus, fc, sizeof(fc));
}

void mei_bus_send(MeiBus *bus, MeiConn *conn, const uint8_t *msg, size_t len)
{
    GBytes *data;

    if (len > conn->client->max_msg_length) {
        mei_bus_log(bus, "%s: dropping %zu-byte reply above the client MTU",
                    conn->client->name, len);
        return;
    }
    data = g_bytes_new(msg, len);
    if (conn->client->fixed_address) {
        tx_push(bus, conn->client->me_addr, 0, data);
    } else if (conn->host_credits) {
        conn->host_credits--;
        tx_push(bus, conn->client->me_addr, conn->host_addr, data);
    } else {
        g_queue_push_tail(&conn->pending, data);
    }
}

static void conn_close(MeiBus *bus, MeiConn **slot)
{
    MeiConn *conn = *slot;

    if (conn->client->disconnected) {
        conn->client->disconnected(bus, conn);
    }
    conn_free(conn);
    *slot = NULL;
}

/* Drop connections and queued messages: the host starts afresh. */
static void bus_clear(MeiBus *bus)
{
    for (unsigned i = 0; i < MEI_BUS_MAX_CONNS; i++) {
        if (bus->conns[i]) {
            conn_close(bus, &bus->conns[i]);
        }
    }
    for (unsigned i = 0; i < MEI_NUM_CLIENTS; i++) {
        if (bus->fixed[i]) {
            g_byte_array_set_size(bus->fixed[i]->rx, 0);
            bus->fixed[i]->rx_overflow = false;
        }
    }
    g_queue_clear_full(&bus->tx, (GDestroyNotify)tx_msg_free);
    bus->tx_offset = 0;
}

static unsigned client_conn_count(MeiBus *bus, const MeiClientType *client)
{
    unsigned n = 0;

    for (unsigned i = 0; i < MEI_BUS_MAX_CONNS; i++) {
        n += bus->conns[i] && bus->conns[i]->client == client;
    }
    return n;
}

static void hbm_put_props(uint8_t *p, const MeiClientType *c)
{
    memcpy(p, c->uuid, 16);
    p[16] = c->protocol_version;
    p[17] = c->max_connections;
    p[18] = c->fixed_address ? c->me_addr : 0;
    p[19] = 0;                          /* no single_recv_buf, no vtag */
    vamt_put_le32(p + 20, c->max_msg_length);
}

static void hbm_host_start(MeiBus *bus, const uint8_t *msg)
{
    uint8_t minor = msg[2], major = msg[3];
    bool supported = major < HBM_ME_MAJOR ||
                     (major == HBM_ME_MAJOR && minor <= HBM_ME_MINOR);
    uint8_t res[4] = {
        HBM_HOST_START | HBM_RESPONSE, supported, HBM_ME_MINOR, HBM_ME_MAJOR
    };

    /* A HOST_START at any time restarts the bus layer. */
    bus_clear(bus);
    bus->hbm_major = supported ? major : HBM_ME_MAJOR;
    bus->hbm_minor = supported ? minor : HBM_ME_MINOR;
    bus->hbm_state = MEI_HBM_STARTED;
    mei_bus_log(bus, "HBM start: host %u.%u, using %u.%u", major, minor,
                bus->hbm_major, bus->hbm_minor);
    hbm_send(bus, res, sizeof(res));
}

static void hbm_enum(MeiBus *bus)
{
    uint8_t res[HBM_ENUM_RES_LEN] = { HBM_HOST_ENUM | HBM_RESPONSE };

    for (unsigned i = 0; i < MEI_NUM_CLIENTS; i++) {
        uint8_t a = mei_clients[i]->me_addr;

        res[4 + a / 8] |= 1u << (a % 8);
    }
    hbm_send(bus, res, sizeof(res));
}

static void hbm_properties(MeiBus *bus, uint8_t me_addr)
{
    uint8_t res[HBM_PROPS_RES_LEN] = {
        HBM_CLIENT_PROPERTIES | HBM_RESPONSE, me_addr
    };
    int idx = client_index(me_addr);

    if (idx < 0) {
        res[2] = HBM_STATUS_CLIENT_NOT_FOUND;
    } else {
        hbm_put_props(res + 4, mei_clients[idx]);
    }
    hbm_send(bus, res, sizeof(res));
}

static uint8_t hbm_connect_status(MeiBus *bus, const MeiClientType *client,
                                  uint8_t host_addr, int *free_slot)
{
    *free_slot = -1;
    if (!client) {
        return HBM_CONNECT_NOT_FOUND;
    }
    if (client->fixed_address || host_addr == 0) {
        return HBM_CONNECT_NOT_ALLOWED;
    }
    if (conn_slot(bus, client->me_addr, host_addr)) {
        return HBM_CONNECT_ALREADY_STARTED;
    }
    if (client_conn_count(bus, client) >= client->max_connections) {
        return HBM_CONNECT_OUT_OF_RESOURCES;
    }
    for (unsigned i = 0; i < MEI_BUS_MAX_CONNS; i++) {
        if (!bus->conns[i]) {
            *free_slot = i;
            return HBM_CONNECT_SUCCESS;
        }
    }
    return HBM_CONNECT_OUT_OF_RESOURCES;
}

static void hbm_connect(MeiBus *bus, uint8_t me_addr, uint8_t host_addr)
{
    int idx = client_index(me_addr);
    const MeiClientType *client = idx < 0 ? NULL : mei_clients[idx];
    uint8_t res[4] = {
        HBM_CLIENT_CONNECT | HBM_RESPONSE, me_addr, host_addr
    };
    int slot;
    MeiConn *conn;

    res[3] = hbm_connect_status(bus, client, host_addr, &slot);
    hbm_send(bus, res, sizeof(res));
    if (res[3] != HBM_CONNECT_SUCCESS) {
        mei_bus_log(bus, "connect me %u host %u refused: status %u",
                    me_addr, host_addr, res[3]);
        return;
    }
    conn = conn_new(client, host_addr);
    bus->conns[slot] = conn;
    mei_bus_log(bus, "%s: connected to host client %u", client->name,
                host_addr);
    hbm_send_flow_control(bus, conn);
    if (client->connected) {
        client->connected(bus, conn);
    }
}

static void hbm_disconnect(MeiBus *bus, uint8_t me_addr, uint8_t host_addr)
{
    MeiConn **slot = host_addr ? conn_slot(bus, me_addr, host_addr) : NULL;
    uint8_t res[4] = {
        HBM_CLIENT_DISCONNECT | HBM_RESPONSE, me_addr, host_addr, 0
    };

    if (slot) {
        mei_bus_log(bus, "%s: host client %u disconnected",
                    (*slot)->client->name, host_addr);
        conn_close(bus, slot);
    }
    /* Answer success even for an unknown pair: the host only wants it gone */
    hbm_send(bus, res, sizeof(res));
}

static void hbm_flow_control(MeiBus *bus, uint8_t me_addr, uint8_t host_addr)
{
    MeiConn *conn = host_addr ? conn_find(bus, me_addr, host_addr) : NULL;
    GBytes *data;

    if (!conn) {
        /* Fixed-address clients need no credits; others are stale. */
        return;
    }
    data = g_queue_pop_head(&conn->pending);
    if (data) {
        tx_push(bus, me_addr, host_addr, data);
    } else if (conn->host_credits < MEI_MAX_HOST_CREDITS) {
        conn->host_credits++;
    }
    if (conn->credit_owed &&
        g_queue_get_length(&conn->pending) < MEI_MAX_PENDING) {
        conn->credit_owed = false;
        hbm_send_flow_control(bus, conn);
    }
    if (conn->client->tx_drained) {
        conn->client->tx_drained(bus, conn);
    }
}

static void hbm_notify(MeiBus *bus, const uint8_t *msg)
{
    uint8_t me_addr = msg[1], host_addr = msg[2];
    bool start = msg[3] != 0;
    MeiConn *conn = host_addr ? conn_find(bus, me_addr, host_addr) : NULL;
    uint8_t res[HBM_NOTIFY_RES_LEN] = {
        HBM_NOTIFY | HBM_RESPONSE, me_addr, host_addr, HBM_STATUS_SUCCESS,
        start
    };

    if (!conn) {
        res[3] = HBM_STATUS_CLIENT_NOT_FOUND;
    } else if (conn->notify == start) {
        res[3] = start ? HBM_STATUS_ALREADY_STARTED : HBM_STATUS_NOT_STARTED;
    } else {
        conn->notify = start;
    }
    hbm_send(bus, res, sizeof(res));
}

/* Shortest valid request per HBM command, 0 where the ME ignores it */
static size_t hbm_min_len(uint8_t cmd)
{
    switch (cmd) {
    case HBM_HOST_START:
    case HBM_HOST_STOP:
    case HBM_HOST_ENUM:
    case HBM_CLIENT_PROPERTIES:
    case HBM_CLIENT_CONNECT:
    case HBM_CLIENT_DISCONNECT:
    case HBM_NOTIFY:
    case HBM_DMA_SETUP:
    case HBM_CAPABILITIES:
        return 4;
    case HBM_FLOW_CONTROL:
        return 3;
    default:
        return 0;
    }
}

static void hbm_receive(MeiBus *bus, const uint8_t *msg, size_t len)
{
    uint8_t cmd = len ? msg[0] : 0;
    size_t min = hbm_min_len(cmd);

    if (!min || len < min) {
        /* Answering the unexpected would make the driver reset the link. */
        mei_bus_log(bus, "HBM: ignoring command 0x%02x (%zu bytes)", cmd, len);
        return;
    }
    if (cmd != HBM_HOST_START && bus->hbm_state != MEI_HBM_STARTED) {
        mei_bus_log(bus, "HBM: command 0x%02x before HOST_START ignored", cmd);
        return;
    }

    switch (cmd) {
    case HBM_HOST_START:
        hbm_host_start(bus, msg);
        break;
    case HBM_HOST_STOP: {
        uint8_t res[4] = { HBM_HOST_STOP | HBM_RESPONSE };

        bus_clear(bus);
        bus->hbm_state = MEI_HBM_WAIT_START;
        hbm_send(bus, res, sizeof(res));
        break;
    }
    case HBM_HOST_ENUM:
        hbm_enum(bus);
        break;
    case HBM_CLIENT_PROPERTIES:
        hbm_properties(bus, msg[1]);
        break;
    case HBM_CLIENT_CONNECT:
        hbm_connect(bus, msg[1], msg[2]);
        break;
    case HBM_CLIENT_DISCONNECT:
        hbm_disconnect(bus, msg[1], msg[2]);
        break;
    case HBM_FLOW_CONTROL:
        hbm_flow_control(bus, msg[1], msg[2]);
        break;
    case HBM_NOTIFY:
        hbm_notify(bus, msg);
        break;
    case HBM_DMA_SETUP: {
        /* No DMA ring: decline quietly, the driver carries on without. */
        uint8_t res[4] = { HBM_DMA_SETUP | HBM_RESPONSE,
                           HBM_STATUS_NOT_ALLOWED };

        hbm_send(bus, res, sizeof(res));
        break;
    }
    case HBM_CAPABILITIES: {
        uint8_t res[4] = { HBM_CAPABILITIES | HBM_RESPONSE };  /* none */

        hbm_send(bus, res, sizeof(res));
        break;
    }
    }
}

void mei_bus_receive(MeiBus *bus, uint32_t hdr,
                     const uint8_t *payload, size_t len)
{
    uint8_t me_addr = MEI_HDR_ME_ADDR(hdr), host_addr = MEI_HDR_HOST_ADDR(hdr);
    bool complete = hdr & MEI_HDR_MSG_COMPLETE;
    MeiConn *conn;

    if (bus->hbm_state == MEI_HBM_IDLE) {
        mei_bus_log(bus, "message while the link is down dropped");
        return;
    }
    if (hdr & (MEI_HDR_RESERVED_MASK | MEI_HDR_EXTENDED | MEI_HDR_DMA_RING)) {
        mei_bus_log(bus, "unsupported header 0x%08x dropped", hdr);
        return;
    }
    if (me_addr == 0 && host_addr == 0) {
        if (!complete) {
            mei_bus_log(bus, "fragmented HBM message dropped");
            return;
        }
        hbm_receive(bus, payload, len);
        return;
    }
    if (bus->hbm_state != MEI_HBM_STARTED) {
        mei_bus_log(bus, "client message before HOST_START dropped");
        return;
    }
    conn = conn_find(bus, me_addr, host_addr);
    if (!conn) {
        mei_bus_log(bus, "message for unconnected me %u host %u dropped",
                    me_addr, host_addr);
        return;
    }

    if (!conn->rx_overflow &&
        conn->rx->len + len > conn->client->max_msg_length) {
        mei_bus_log(bus, "%s: message above the client MTU dropped",
                    conn->client->name);
        conn->rx_overflow = true;
        g_byte_array_set_size(conn->rx, 0);
    }
    if (!conn->rx_overflow) {
        g_byte_array_append(conn->rx, payload, len);
    }
    if (!complete) {
        return;
    }
    if (host_addr && !conn->host_may_send) {
        /* The driver never does this; a hostile one must not fill memory */
        mei_bus_log(bus, "%s: message sent without a credit dropped",
                    conn->client->name);
        g_byte_array_set_size(conn->rx, 0);
        conn->rx_overflow = false;
        return;
    }
    conn->host_may_send = false;
    if (!conn->rx_overflow && conn->client->receive) {
        conn->client->receive(bus, conn, conn->rx->data, conn->rx->len);
    }
    g_byte_array_set_size(conn->rx, 0);
    conn->rx_overflow = false;
    if (!host_addr) {
        return;
    }
    if (g_queue_get_length(&conn->pending) < MEI_MAX_PENDING) {
        /* Ready for the host's next message */
        hbm_send_flow_control(bus, conn);
    } else {
        conn->credit_owed = true;
    }
}

bool mei_bus_can_receive(MeiBus *bus)
{
    return g_queue_get_length(&bus->tx) < MEI_MAX_TX_BACKLOG;
}

bool mei_bus_tx_peek(MeiBus *bus, size_t max_payload, size_t *len)
{
    MeiTxMsg *m = g_queue_peek_head(&bus->tx);

    if (!m) {
        return false;
    }
    *len = MIN(g_bytes_get_size(m->data) - bus->tx_offset, max_payload);
    return true;
}

bool mei_bus_tx_take(MeiBus *bus, size_t max_payload,
                     uint32_t *hdr, uint8_t *payload, size_t *len)
{
    MeiTxMsg *m = g_queue_peek_head(&bus->tx);
    gsize size;
    const uint8_t *data;
    bool complete;

    if (!m) {
        return false;
    }
    data = g_bytes_get_data(m->data, &size);
    *len = MIN(size - bus->tx_offset, max_payload);
    memcpy(payload, data + bus->tx_offset, *len);
    bus->tx_offset += *len;
    complete = bus->tx_offset == size;
    *hdr = MEI_HDR(m->me_addr, m->host_addr, *len, complete);
    if (complete) {
        tx_msg_free(g_queue_pop_head(&bus->tx));
        bus->tx_offset = 0;
    }
    return true;
}

void *mei_bus_client_state(MeiBus *bus, const MeiClientType *client)
{
    int idx = client_index(client->me_addr);

    return idx < 0 ? NULL : bus->client_state[idx];
}

/*
 * The ME's one guest-clock timer serves the firmware clients and the
 * AMT state's Agent Presence watchdogs.
 */
void mei_bus_rearm_timer(MeiBus *bus)
{
    int64_t next = vamt_agent_deadline(bus->amt);

    for (unsigned i = 0; i < MEI_NUM_CLIENTS; i++) {
        const MeiClientType *c = mei_clients[i];
        int64_t d = c->deadline ? c->deadline(bus, bus->client_state[i]) : -1;

        if (d >= 0 && (next < 0 || d < next)) {
            next = d;
        }
    }
    if (bus->ops->guest_timer_mod) {
        bus->ops->guest_timer_mod(bus->opaque, next);
    }
}

void mei_bus_timer_expired(MeiBus *bus)
{
    vamt_agent_check(bus->amt);
    for (unsigned i = 0; i < MEI_NUM_CLIENTS; i++) {
        if (mei_clients[i]->timer) {
            mei_clients[i]->timer(bus, bus->client_state[i]);
        }
    }
    mei_bus_rearm_timer(bus);
}

static void clients_link_reset(MeiBus *bus)
{
    for (unsigned i = 0; i < MEI_NUM_CLIENTS; i++) {
        if (mei_clients[i]->link_reset) {
            mei_clients[i]->link_reset(bus, bus->client_state[i]);
        }
    }
    mei_bus_rearm_timer(bus);
}

void mei_bus_link_reset(MeiBus *bus)
{
    bus_clear(bus);
    bus->hbm_state = MEI_HBM_IDLE;
    bus->hbm_major = bus->hbm_minor = 0;
    clients_link_reset(bus);
}

void mei_bus_link_up(MeiBus *bus)
{
    if (bus->hbm_state == MEI_HBM_IDLE) {
        bus->hbm_state = MEI_HBM_WAIT_START;
    }
}

void mei_bus_get_info(MeiBus *bus, MeiBusInfo *info)
{
    unsigned n = 0;

    for (unsigned i = 0; i < MEI_BUS_MAX_CONNS; i++) {
        n += bus->conns[i] != NULL;
    }
    *info = (MeiBusInfo) {
        .hbm_state = bus->hbm_state,
        .hbm_major = bus->hbm_major,
        .hbm_minor = bus->hbm_minor,
        .connections = n,
    };
    mei_watchdog_status(bus, &info->watchdog_armed, &info->watchdog_expired);
}

MeiBus *mei_bus_new(const VamtPlatformOps *ops, void *opaque, VamtAmt *amt)
{
    MeiBus *bus = g_new0(MeiBus, 1);

    bus->ops = ops;
    bus->opaque = opaque;
    bus->amt = amt;
    g_queue_init(&bus->tx);
    for (unsigned i = 0; i < MEI_NUM_CLIENTS; i++) {
        if (mei_clients[i]->state_new) {
            bus->client_state[i] = mei_clients[i]->state_new(bus);
        }
        if (mei_clients[i]->fixed_address) {
            bus->fixed[i] = conn_new(mei_clients[i], 0);
        }
    }
    return bus;
}

void mei_bus_free(MeiBus *bus)
{
    if (!bus) {
        return;
    }
    bus_clear(bus);
    for (unsigned i = 0; i < MEI_NUM_CLIENTS; i++) {
        if (bus->fixed[i]) {
            conn_free(bus->fixed[i]);
        }
        if (mei_clients[i]->state_free) {
            mei_clients[i]->state_free(bus->client_state[i]);
        }
    }
    g_free(bus);
}

/* ---- migration ---------------------------------------------------------- */

static void save_conn_rx(GByteArray *out, MeiConn *conn)
{
    blob_put_u8(out, conn->rx_overflow);
    blob_put_bytes(out, conn->rx->data, conn->rx->len);
}

void mei_bus_save(MeiBus *bus, GByteArray *out)
{
    unsigned nconns = 0;

    blob_put_u32(out, MEI_BUS_BLOB_MAGIC);
    blob_put_u8(out, MEI_BUS_BLOB_VERSION);
    blob_put_u8(out, bus->hbm_state);
    blob_put_u8(out, bus->hbm_major);
    blob_put_u8(out, bus->hbm_minor);

    for (unsigned i = 0; i < MEI_NUM_CLIENTS; i++) {
        if (mei_clients[i]->save) {
            mei_clients[i]->save(bus, bus->client_state[i], out);
        }
    }

    blob_put_u32(out, bus->tx_offset);
    blob_put_u32(out, g_queue_get_length(&bus->tx));
    for (GList *l = bus->tx.head; l; l = l->next) {
        MeiTxMsg *m = l->data;
        gsize size;
        const void *p = g_bytes_get_data(m->data, &size);

        blob_put_u8(out, m->me_addr);
        blob_put_u8(out, m->host_addr);
        blob_put_bytes(out, p, size);
    }

    for (unsigned i = 0; i < MEI_NUM_CLIENTS; i++) {
        if (bus->fixed[i]) {
            save_conn_rx(out, bus->fixed[i]);
        }
    }

    for (unsigned i = 0; i < MEI_BUS_MAX_CONNS; i++) {
        nconns += bus->conns[i] != NULL;
    }
    blob_put_u32(out, nconns);
    for (unsigned i = 0; i < MEI_BUS_MAX_CONNS; i++) {
        MeiConn *c = bus->conns[i];

        if (!c) {
            continue;
        }
        blob_put_u8(out, c->client->me_addr);
        blob_put_u8(out, c->host_addr);
        blob_put_u32(out, c->host_credits);
        blob_put_u8(out, c->notify);
        blob_put_u8(out, c->credit_owed);
        blob_put_u8(out, c->host_may_send);
        save_conn_rx(out, c);
        blob_put_u32(out, g_queue_get_length(&c->pending));
        for (GList *l = c->pending.head; l; l = l->next) {
            gsize size;
            const void *p = g_bytes_get_data(l->data, &size);

            blob_put_bytes(out, p, size);
        }
        if (c->client->conn_save) {
            c->client->conn_save(c, out);
        }
    }
}

static bool load_conn_rx(BlobReader *r, MeiConn *conn)
{
    uint32_t n;
    const uint8_t *p;

    conn->rx_overflow = blob_get_u8(r);
    p = blob_get_bytes(r, &n, conn->client->max_msg_length);
    if (p) {
        g_byte_array_append(conn->rx, p, n);
    }
    return r->ok;
}

static bool load_fail(char **errmsg, const char *what)
{
    if (errmsg) {
        *errmsg = g_strdup_printf("vAMT MEI bus state: %s", what);
    }
    return false;
}

static bool bus_load(MeiBus *bus, const uint8_t *data, size_t len,
                     char **errmsg)
{
    BlobReader r;
    uint32_t ntx, nconns;

    bus_clear(bus);
    blob_reader_init(&r, data, len);
    if (blob_get_u32(&r) != MEI_BUS_BLOB_MAGIC ||
        blob_get_u8(&r) != MEI_BUS_BLOB_VERSION) {
        return load_fail(errmsg, "unknown format");
    }
    bus->hbm_state = blob_get_u8(&r);
    bus->hbm_major = blob_get_u8(&r);
    bus->hbm_minor = blob_get_u8(&r);
    if (bus->hbm_state > MEI_HBM_STARTED) {
        bus->hbm_state = MEI_HBM_IDLE;
        return load_fail(errmsg, "bad HBM state");
    }

    for (unsigned i = 0; i < MEI_NUM_CLIENTS && r.ok; i++) {
        if (mei_clients[i]->load &&
            !mei_clients[i]->load(bus, bus->client_state[i], &r)) {
            return load_fail(errmsg, "bad firmware client state");
        }
    }

    bus->tx_offset = blob_get_u32(&r);
    ntx = blob_get_u32(&r);
    if (ntx > MEI_MAX_QUEUED) {
        return load_fail(errmsg, "too many queued messages");
    }
    for (uint32_t i = 0; i < ntx && r.ok; i++) {
        uint8_t me_addr = blob_get_u8(&r), host_addr = blob_get_u8(&r);
        uint32_t n;
        const uint8_t *p = blob_get_bytes(&r, &n, MEI_MAX_MSG);

        if (p) {
            tx_push(bus, me_addr, host_addr, g_bytes_new(p, n));
        }
    }
    if (r.ok && bus->tx_offset &&
        (!ntx || bus->tx_offset >= g_bytes_get_size(
            ((MeiTxMsg *)g_queue_peek_head(&bus->tx))->data))) {
        return load_fail(errmsg, "bad offset in the queued message");
    }

    for (unsigned i = 0; i < MEI_NUM_CLIENTS && r.ok; i++) {
        if (bus->fixed[i]) {
            load_conn_rx(&r, bus->fixed[i]);
        }
    }

    nconns = blob_get_u32(&r);
    if (nconns > MEI_BUS_MAX_CONNS) {
        return load_fail(errmsg, "too many connections");
    }
    for (uint32_t i = 0; i < nconns && r.ok; i++) {
        uint8_t me_addr = blob_get_u8(&r), host_addr = blob_get_u8(&r);
        int idx = client_index(me_addr);
        uint32_t npending, credits;
        MeiConn *c;

        if (idx < 0 || mei_clients[idx]->fixed_address || host_addr == 0 ||
            conn_slot(bus, me_addr, host_addr)) {
            return load_fail(errmsg, "bad connection");
        }
        c = conn_new(mei_clients[idx], host_addr);
        bus->conns[i] = c;
        credits = blob_get_u32(&r);
        c->host_credits = MIN(credits, MEI_MAX_HOST_CREDITS);
        c->notify = blob_get_u8(&r);
        c->credit_owed = blob_get_u8(&r);
        c->host_may_send = blob_get_u8(&r);
        load_conn_rx(&r, c);
        npending = blob_get_u32(&r);
        if (npending > MEI_MAX_QUEUED) {
            return load_fail(errmsg, "too many pending messages");
        }
        for (uint32_t j = 0; j < npending && r.ok; j++) {
            uint32_t n;
            const uint8_t *p = blob_get_bytes(&r, &n,
                                              c->client->max_msg_length);

            if (p) {
                g_queue_push_tail(&c->pending, g_bytes_new(p, n));
            }
        }
        if (r.ok && c->client->conn_load && !c->client->conn_load(c, &r)) {
            return load_fail(errmsg, "bad connection state");
        }
    }
    if (!r.ok) {
        return load_fail(errmsg, "truncated");
    }
    if (r.left) {
        return load_fail(errmsg, "trailing bytes");
    }
    mei_bus_rearm_timer(bus);
    return true;
}

bool mei_bus_load(MeiBus *bus, const uint8_t *data, size_t len, char **errmsg)
{
    if (!bus_load(bus, data, len, errmsg)) {
        /* Leave a consistent, empty bus behind */
        bus_clear(bus);
        bus->hbm_state = MEI_HBM_IDLE;
        clients_link_reset(bus);
        return false;
    }
    return true;
}
