/*
 * vAMT ME core: the firmware side of the MEI link
 *
 * The bus takes the fragments the host driver writes into the host
 * circular buffer, reassembles them, answers Host Bus Messages (HBM),
 * keeps the connections between host clients and firmware clients with
 * their flow-control credits, and queues what the firmware sends back.
 * It knows nothing of registers or of QEMU: the device model moves
 * fragments between the circular buffers and this object.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_MEI_BUS_H
#define VAMT_ME_MEI_BUS_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware.h"

typedef struct MeiBus MeiBus;
typedef struct MeiConn MeiConn;

/* How the bus reaches its platform. */
typedef struct MeiBusOps {
    /* Messages were queued for the host outside of a host request. */
    void (*tx_ready)(void *opaque);
    /* Milliseconds of guest-visible time. */
    int64_t (*clock_ms)(void *opaque);
    /* Call mei_bus_timer_expired() at @deadline_ms; -1 cancels. */
    void (*timer_mod)(void *opaque, int64_t deadline_ms);
    /* A line for the trace log. */
    void (*log)(void *opaque, const char *msg);
    /* The AMT watchdog expired (AMT only records it: alarm-only). */
    void (*watchdog_expired)(void *opaque, uint16_t timeout_s);
} MeiBusOps;

typedef enum MeiHbmState {
    MEI_HBM_IDLE,           /* link down: nothing may be sent */
    MEI_HBM_WAIT_START,     /* link up, waiting for HOST_START */
    MEI_HBM_STARTED,
} MeiHbmState;

/* A firmware client: one ME address with a protocol behind it. */
typedef struct MeiClientType {
    const char *name;
    uint8_t uuid[16];               /* little-endian GUID, as on the wire */
    uint8_t me_addr;
    uint8_t protocol_version;
    uint8_t max_connections;
    bool fixed_address;
    uint32_t max_msg_length;
    void (*connected)(MeiBus *bus, MeiConn *conn);
    void (*receive)(MeiBus *bus, MeiConn *conn,
                    const uint8_t *msg, size_t len);
    void (*disconnected)(MeiBus *bus, MeiConn *conn);
} MeiClientType;

typedef struct MeiWatchdog {
    bool armed;
    bool expired;
    uint16_t timeout_s;
    uint8_t owner;              /* host client that armed it */
    int64_t deadline_ms;
} MeiWatchdog;

typedef struct MeiBusInfo {
    MeiHbmState hbm_state;
    uint8_t hbm_major;
    uint8_t hbm_minor;
    unsigned connections;
    bool watchdog_armed;
    bool watchdog_expired;
} MeiBusInfo;

/* Maximum simultaneous dynamic connections (host client ids are 8 bit). */
#define MEI_BUS_MAX_CONNS   32

MeiBus *mei_bus_new(const MeiBusOps *ops, void *opaque,
                    const VamtFirmware *fw);
void mei_bus_free(MeiBus *bus);

/* The host reset the link: forget every connection and queued message. */
void mei_bus_link_reset(MeiBus *bus);
/* The handshake completed: accept HBM HOST_START from now on. */
void mei_bus_link_up(MeiBus *bus);

/*
 * One fragment the host wrote: @hdr is the MEI header dword, @payload its
 * @len bytes (len == MEI_HDR_LENGTH(hdr)).  Malformed input is logged and
 * dropped; it never affects other connections.
 */
void mei_bus_receive(MeiBus *bus, uint32_t hdr,
                     const uint8_t *payload, size_t len);
/*
 * False while too many messages wait to go out: leave the host's data in
 * its buffer until the host has read some (back-pressure).
 */
bool mei_bus_can_receive(MeiBus *bus);

/*
 * The next ME->host fragment: mei_bus_tx_peek() tells whether there is one
 * and its payload length when limited to @max_payload bytes;
 * mei_bus_tx_take() removes it, filling @hdr and @payload.
 */
bool mei_bus_tx_peek(MeiBus *bus, size_t max_payload, size_t *len);
bool mei_bus_tx_take(MeiBus *bus, size_t max_payload,
                     uint32_t *hdr, uint8_t *payload, size_t *len);

void mei_bus_timer_expired(MeiBus *bus);
void mei_bus_get_info(MeiBus *bus, MeiBusInfo *info);

/* Migration: the whole bus state as one versioned blob. */
void mei_bus_save(MeiBus *bus, GByteArray *out);
bool mei_bus_load(MeiBus *bus, const uint8_t *data, size_t len,
                  char **errmsg);

/* Used by the firmware clients */
void mei_bus_send(MeiBus *bus, MeiConn *conn, const uint8_t *msg, size_t len);
const VamtFirmware *mei_bus_firmware(MeiBus *bus);
MeiWatchdog *mei_bus_watchdog(MeiBus *bus);
void mei_bus_rearm_timer(MeiBus *bus);
int64_t mei_bus_clock_ms(MeiBus *bus);
void G_GNUC_PRINTF(2, 3) mei_bus_log(MeiBus *bus, const char *fmt, ...);
const MeiClientType *mei_conn_client(MeiConn *conn);
uint8_t mei_conn_host_addr(MeiConn *conn);

/* The firmware clients (mkhi.c, amthi.c, watchdog.c, lme.c) */
extern const MeiClientType mei_client_mkhi_fixed;
extern const MeiClientType mei_client_mkhi;
extern const MeiClientType mei_client_amthi;
extern const MeiClientType mei_client_watchdog;
extern const MeiClientType mei_client_lme;

#endif
