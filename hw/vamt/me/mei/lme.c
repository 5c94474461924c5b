/*
 * vAMT ME core: the LME client (APF port forwarding for host agents)
 *
 * What Intel's LMS, rpc-go and MeshAgent talk to through /dev/mei0 to
 * reach AMT's network services from inside the OS: one APF session per
 * connection (apf.c), one APF message per MEI message both ways.  The
 * ME registers 16992 and 623 (WS-Management over HTTP, the pair rpc-go
 * waits for) and 16994 while the redirection service listens; each
 * channel the agent opens is a connection of the same service a remote
 * console reaches.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "apf.h"
#include "firmware.h"
#include "mei-bus.h"

/* the ME's receive window per channel, as real AMT gives LMS */
#define LME_WINDOW              4096
#define LME_MAX_MSG             4096
/* channel data waiting for the host's read credits, in messages */
#define LME_MAX_BACKLOG         8

#define LME_PORT_WSMAN          16992
#define LME_PORT_REDIRECTION    16994
#define LME_PORT_DASH           623

typedef struct LmeConn {
    MeiBus *bus;
    MeiConn *conn;
    VamtApf *apf;
} LmeConn;

/* The LME client's one connection (max_connections is 1) */
typedef struct LmeState {
    LmeConn *active;
} LmeState;

static void lme_send(void *opaque, const uint8_t *msg, size_t len)
{
    LmeConn *lc = opaque;

    mei_bus_send(lc->bus, lc->conn, msg, len);
}

static bool lme_can_send(void *opaque)
{
    LmeConn *lc = opaque;

    return mei_conn_backlog(lc->conn) < LME_MAX_BACKLOG;
}

static const VamtService *lme_service(void *opaque, uint16_t port)
{
    LmeConn *lc = opaque;

    /* DASH's WS-Management port is the same HTTP service */
    return mei_bus_service(lc->bus, port == LME_PORT_DASH ? LME_PORT_WSMAN
                                                          : port);
}

static void lme_wake(void *opaque)
{
    LmeConn *lc = opaque;

    mei_bus_rearm_timer(lc->bus);
}

static void lme_log(void *opaque, const char *msg)
{
    LmeConn *lc = opaque;

    mei_bus_log(lc->bus, "LME: %s", msg);
}

static const VamtApfOps lme_apf_ops = {
    .send = lme_send,
    .can_send = lme_can_send,
    .service = lme_service,
    .wake = lme_wake,
    .log = lme_log,
};

static void lme_open_session(MeiBus *bus, MeiConn *conn)
{
    LmeConn *lc = mei_conn_state(conn);
    LmeState *st = mei_bus_client_state(bus, &mei_client_lme);
    VamtApfConfig cfg = {
        .trigger = VAMT_APF_TRIGGER_LME,
        .ports = { LME_PORT_WSMAN, LME_PORT_DASH },
        .nports = 2,
        .max_data = LME_MAX_MSG - 9,
        .window = LME_WINDOW,
        .peer = VAMT_PEER_LOCAL,
    };

    memcpy(cfg.uuid, mei_bus_firmware(bus)->system_uuid, 16);
    if (mei_bus_service(bus, LME_PORT_REDIRECTION)) {
        cfg.ports[cfg.nports++] = LME_PORT_REDIRECTION;
    }
    lc->bus = bus;
    lc->conn = conn;
    lc->apf = vamt_apf_new(&lme_apf_ops, lc, &cfg);
    st->active = lc;
}

static void lme_connected(MeiBus *bus, MeiConn *conn)
{
    LmeConn *lc = mei_conn_state(conn);

    lme_open_session(bus, conn);
    vamt_apf_start(lc->apf);
}

static void lme_receive(MeiBus *bus, MeiConn *conn, const uint8_t *msg,
                        size_t len)
{
    LmeConn *lc = mei_conn_state(conn);

    if (!lc->apf) {
        /*
         * A connection that came with a migration: its session stayed
         * behind on the source.  Say so; the agent connects again.
         */
        lme_open_session(bus, conn);
        vamt_apf_disconnect(lc->apf, VAMT_APF_REASON_CONNECTION_LOST);
        return;
    }
    vamt_apf_message(lc->apf, msg, len);
    mei_bus_rearm_timer(bus);
}

static void lme_tx_drained(MeiBus *bus, MeiConn *conn)
{
    LmeConn *lc = mei_conn_state(conn);

    if (lc->apf) {
        vamt_apf_flush(lc->apf);
    }
}

static void lme_disconnected(MeiBus *bus, MeiConn *conn)
{
    LmeConn *lc = mei_conn_state(conn);
    LmeState *st = mei_bus_client_state(bus, &mei_client_lme);

    if (st->active == lc) {
        st->active = NULL;
    }
    g_clear_pointer(&lc->apf, vamt_apf_free);
}

static void *lme_state_new(MeiBus *bus)
{
    return g_new0(LmeState, 1);
}

/* The channels' services keep time on the ME's clock, the bus on the guest's */
static int64_t lme_deadline(MeiBus *bus, void *state)
{
    LmeState *st = state;
    const VamtPlatformOps *ops = mei_bus_ops(bus);
    int64_t d, now;

    if (!st->active || !st->active->apf) {
        return -1;
    }
    d = vamt_apf_deadline(st->active->apf);
    if (d < 0) {
        return -1;
    }
    now = ops->me_clock_ms(mei_bus_opaque(bus));
    return mei_bus_guest_clock_ms(bus) + MAX(d - now, 0);
}

static void lme_timer(MeiBus *bus, void *state)
{
    LmeState *st = state;
    const VamtPlatformOps *ops = mei_bus_ops(bus);

    if (st->active && st->active->apf) {
        vamt_apf_tick(st->active->apf, ops->me_clock_ms(mei_bus_opaque(bus)));
    }
}

const MeiClientType mei_client_lme = {
    .name = "lme",
    .uuid = { 0xdb, 0xa4, 0x33, 0x67, 0x76, 0x04, 0x7b, 0x4e,
              0xb3, 0xaf, 0xbc, 0xfc, 0x29, 0xbe, 0xe7, 0xa7 },
    .me_addr = 0x12,
    .protocol_version = 1,
    .max_connections = 1,
    .max_msg_length = LME_MAX_MSG,
    .connected = lme_connected,
    .receive = lme_receive,
    .disconnected = lme_disconnected,
    .tx_drained = lme_tx_drained,
    .state_new = lme_state_new,
    .state_free = g_free,
    .deadline = lme_deadline,
    .timer = lme_timer,
    .conn_state_size = sizeof(LmeConn),
};
