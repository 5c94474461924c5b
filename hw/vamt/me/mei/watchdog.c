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

static void wd_start(MeiBus *bus, MeiConn *conn, const uint8_t *msg,
                     size_t len)
{
    MeiWatchdog *wd = mei_bus_watchdog(bus);
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
    wd->deadline_ms = mei_bus_clock_ms(bus) + wd->timeout_s * 1000LL;
    mei_bus_rearm_timer(bus);
    /* mei_wdt waits for an answer to every START, keep-alives included */
    mei_bus_send(bus, conn, rsp, sizeof(rsp));
}

static void wd_stop(MeiBus *bus)
{
    MeiWatchdog *wd = mei_bus_watchdog(bus);

    wd->armed = false;
    mei_bus_rearm_timer(bus);
}

static void state_independence(MeiBus *bus, MeiConn *conn,
                               const uint8_t *msg, size_t len)
{
    const VamtFirmware *fw = mei_bus_firmware(bus);

    switch (msg[2]) {
    case MC_IS_CHANGE_TO_AMT_ENABLED: {
        uint8_t flags = AMT_CHANGE_NEW_INTERFACE | AMT_CHANGE_AMT_ENABLED;

        if (fw->provisioning_state == VAMT_PROVISIONING_PRE) {
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
    MeiWatchdog *wd = mei_bus_watchdog(bus);

    if (wd->armed && wd->owner == mei_conn_host_addr(conn)) {
        wd_stop(bus);
    }
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
};
