/*
 * vAMT ME core: the AMT watchdog client, bound by Linux's mei_wdt, which
 * also carries the "state independence" manageability commands
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>

#include "mei-bus.h"
#include "mei-wire.h"

/* Header {u8 command, u8 byte_count, u8 subcommand, u8 version} */
#define MC_HDR_LEN                  4
#define MC_VERSION                  0x10

#define MC_MANAGEMENT_CONTROL       0x02
#define MC_START_WD_TIMER           0x13
#define MC_STOP_WD_TIMER            0x14
#define MC_START_WD_TIMER_RESPONSE  0x83

#define MC_STATE_INDEPENDENCE       0x05
#define MC_IS_CHANGE_TO_AMT_ENABLED 0x51
#define MC_SET_AMT_OPERATIONAL      0x53
#define MC_SET_AMT_OPERATIONAL_RES  0xd3

/* IsChangeToAMTEnabled flags */
#define AMT_CHANGE_ALLOWED          0x01
#define AMT_CHANGE_AMT_ENABLED      0x02
#define AMT_CHANGE_NEW_INTERFACE    0x80

/* The watchdog's state: one per bus, owned by this client */
typedef struct MeiWatchdog {
    bool armed;
    bool expired;
    uint16_t timeout_s;
    uint8_t owner;              /* host client that armed it */
    int64_t deadline_ms;        /* guest clock */
} MeiWatchdog;

static MeiWatchdog *watchdog_of(MeiBus *bus)
{
    return mei_bus_client_state(bus, &mei_client_watchdog);
}

static void wd_start(MeiBus *bus, MeiConn *conn, const uint8_t *msg,
                     size_t len)
{
    MeiWatchdog *wd = watchdog_of(bus);
    uint8_t rsp[6] = {
        MC_MANAGEMENT_CONTROL, sizeof(rsp) - 2, MC_START_WD_TIMER_RESPONSE,
        MC_VERSION, 0 /* status */, 0 /* wdstate: watchdog required */
    };

    if (len < MC_HDR_LEN + 2) {
        mei_bus_log(bus, "watchdog: short START dropped");
        return;
    }
    wd->timeout_s = vamt_le16(msg + MC_HDR_LEN);
    wd->armed = true;
    wd->expired = false;
    wd->owner = mei_conn_host_addr(conn);
    wd->deadline_ms = mei_bus_guest_clock_ms(bus) + wd->timeout_s * 1000LL;
    mei_bus_rearm_timer(bus);
    /* mei_wdt waits for an answer to every START, keep-alives included */
    mei_bus_send(bus, conn, rsp, sizeof(rsp));
}

static void wd_stop(MeiBus *bus)
{
    MeiWatchdog *wd = watchdog_of(bus);

    wd->armed = false;
    mei_bus_rearm_timer(bus);
}

static void state_independence(MeiBus *bus, MeiConn *conn,
                               const uint8_t *msg, size_t len)
{
    VamtAmt *amt = mei_bus_amt(bus);

    switch (msg[2]) {
    case MC_IS_CHANGE_TO_AMT_ENABLED: {
        uint8_t flags = AMT_CHANGE_NEW_INTERFACE | AMT_CHANGE_AMT_ENABLED;

        if (vamt_amt_provisioning_state(amt) == VAMT_PROVISIONING_PRE) {
            flags |= AMT_CHANGE_ALLOWED;
        }
        mei_bus_send(bus, conn, &flags, 1);
        break;
    }
    case MC_SET_AMT_OPERATIONAL: {
        uint8_t rsp[8] = {
            MC_STATE_INDEPENDENCE, sizeof(rsp) - 2,
            MC_SET_AMT_OPERATIONAL_RES, MC_VERSION
        };

        /* AMT stays enabled: report success without changing state */
        mei_bus_send(bus, conn, rsp, sizeof(rsp));
        break;
    }
    default:
        mei_bus_log(bus, "watchdog: state command 0x%02x ignored", msg[2]);
    }
}

static void wd_receive(MeiBus *bus, MeiConn *conn, const uint8_t *msg,
                       size_t len)
{
    if (len < MC_HDR_LEN) {
        /* A zero-length message is legal and carries nothing */
        return;
    }
    if (msg[0] == MC_STATE_INDEPENDENCE) {
        state_independence(bus, conn, msg, len);
        return;
    }
    if (msg[0] != MC_MANAGEMENT_CONTROL) {
        mei_bus_log(bus, "watchdog: command 0x%02x ignored", msg[0]);
        return;
    }
    switch (msg[2]) {
    case MC_START_WD_TIMER:
        wd_start(bus, conn, msg, len);
        break;
    case MC_STOP_WD_TIMER:
        wd_stop(bus);           /* no response */
        break;
    default:
        mei_bus_log(bus, "watchdog: subcommand 0x%02x ignored", msg[2]);
    }
}

static void wd_disconnected(MeiBus *bus, MeiConn *conn)
{
    MeiWatchdog *wd = watchdog_of(bus);

    if (wd->armed && wd->owner == mei_conn_host_addr(conn)) {
        wd_stop(bus);
    }
}

static void *wd_state_new(MeiBus *bus)
{
    return g_new0(MeiWatchdog, 1);
}

static void wd_link_reset(MeiBus *bus, void *state)
{
    MeiWatchdog *wd = state;

    wd->armed = false;
}

static int64_t wd_deadline(MeiBus *bus, void *state)
{
    MeiWatchdog *wd = state;

    return wd->armed ? wd->deadline_ms : -1;
}

/* Its event-log record's sensor number (Agent Presence's is 0xff) */
#define WD_SENSOR_NUMBER            0x01

static void wd_timer(MeiBus *bus, void *state)
{
    MeiWatchdog *wd = state;
    const VamtPlatformOps *ops = mei_bus_ops(bus);

    if (!wd->armed || mei_bus_guest_clock_ms(bus) < wd->deadline_ms) {
        return;
    }
    wd->armed = false;
    wd->expired = true;
    mei_bus_log(bus, "AMT watchdog expired after %u s", wd->timeout_s);
    vamt_log_watchdog_event(mei_bus_amt(bus), WD_SENSOR_NUMBER, true,
                            (const uint8_t[8]) { 0 });
    /* the platform registry's "Watchdog timer expired" (DSP8007) */
    vamt_amt_alert(mei_bus_amt(bus), "PLAT0368", "", 6);
    if (ops->watchdog_expired) {
        ops->watchdog_expired(mei_bus_opaque(bus), wd->timeout_s);
    }
}

static void wd_save(MeiBus *bus, void *state, GByteArray *out)
{
    MeiWatchdog *wd = state;

    blob_put_u8(out, wd->armed);
    blob_put_u8(out, wd->expired);
    blob_put_u16(out, wd->timeout_s);
    blob_put_u8(out, wd->owner);
    blob_put_u64(out, wd->deadline_ms);
}

static bool wd_load(MeiBus *bus, void *state, BlobReader *r)
{
    MeiWatchdog *wd = state;

    wd->armed = blob_get_u8(r);
    wd->expired = blob_get_u8(r);
    wd->timeout_s = blob_get_u16(r);
    wd->owner = blob_get_u8(r);
    wd->deadline_ms = blob_get_u64(r);
    return r->ok;
}

void mei_watchdog_status(MeiBus *bus, bool *armed, bool *expired)
{
    MeiWatchdog *wd = watchdog_of(bus);

    *armed = wd->armed;
    *expired = wd->expired;
}

const MeiClientType mei_client_watchdog = {
    .name = "watchdog",
    .uuid = { 0x6f, 0x9a, 0xb7, 0x05, 0x28, 0x46, 0x7f, 0x4d,
              0x89, 0x9d, 0xa9, 0x15, 0x14, 0xcb, 0x32, 0xab },
    .me_addr = 0x11,
    .protocol_version = 2,
    .max_connections = 2,
    .max_msg_length = 512,
    .receive = wd_receive,
    .disconnected = wd_disconnected,
    .state_new = wd_state_new,
    .state_free = g_free,
    .link_reset = wd_link_reset,
    .deadline = wd_deadline,
    .timer = wd_timer,
    .save = wd_save,
    .load = wd_load,
};
