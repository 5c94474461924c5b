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

#include "amt.h"
#include "blob.h"
#include "conn.h"

typedef struct MeiBus MeiBus;
typedef struct MeiConn MeiConn;

typedef enum MeiHbmState {
    MEI_HBM_IDLE,           /* link down: nothing may be sent */
    MEI_HBM_WAIT_START,     /* link up, waiting for HOST_START */
    MEI_HBM_STARTED,
} MeiHbmState;

/*
 * A firmware client: one ME address with a protocol behind it.  A client
 * keeps what it must remember in its own state (one per bus, made by
 * state_new) and per connection (conn_state_size bytes, zeroed, freed
 * with the connection); the bus owns both and migrates them through
 * the client's save/load hooks.
 */
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
    /* Optional: the host read one of @conn's queued messages */
    void (*tx_drained)(MeiBus *bus, MeiConn *conn);

    /* Optional per-client state, made with the bus */
    void *(*state_new)(MeiBus *bus);
    void (*state_free)(void *state);
    /* Optional: the host reset the link; every connection is gone. */
    void (*link_reset)(MeiBus *bus, void *state);
    /*
     * Optional: the client's next deadline on the guest clock (-1: none),
     * and what happens when it passes.  The bus keeps one platform timer
     * for the earliest deadline of all clients.
     */
    int64_t (*deadline)(MeiBus *bus, void *state);
    void (*timer)(MeiBus *bus, void *state);
    /* Migration of the client state; load reads what save wrote. */
    void (*save)(MeiBus *bus, void *state, GByteArray *out);
    bool (*load)(MeiBus *bus, void *state, BlobReader *r);

    /* Per-connection state: its size and optional migration */
    size_t conn_state_size;
    void (*conn_save)(MeiConn *conn, GByteArray *out);
    bool (*conn_load)(MeiConn *conn, BlobReader *r);
} MeiClientType;

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

/*
 * The bus reaches the platform through the ME's one ops table; @ops,
 * @opaque and @amt stay the caller's and must outlive the bus.
 */
MeiBus *mei_bus_new(const VamtPlatformOps *ops, void *opaque, VamtAmt *amt);
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

/* The guest-clock timer asked for through ops->guest_timer_mod fired. */
void mei_bus_timer_expired(MeiBus *bus);
void mei_bus_get_info(MeiBus *bus, MeiBusInfo *info);

/* Migration: the whole bus state as one versioned blob. */
void mei_bus_save(MeiBus *bus, GByteArray *out);
bool mei_bus_load(MeiBus *bus, const uint8_t *data, size_t len,
                  char **errmsg);

/* Used by the firmware clients */
void mei_bus_send(MeiBus *bus, MeiConn *conn, const uint8_t *msg, size_t len);
const VamtFirmware *mei_bus_firmware(MeiBus *bus);
/* The AMT state the clients read and change (provisioning, ...) */
VamtAmt *mei_bus_amt(MeiBus *bus);
const VamtPlatformOps *mei_bus_ops(MeiBus *bus);
void *mei_bus_opaque(MeiBus *bus);
/* The state of @client made by its state_new, or NULL */
void *mei_bus_client_state(MeiBus *bus, const MeiClientType *client);
/* A client's deadline changed: re-arm the bus's guest-clock timer. */
void mei_bus_rearm_timer(MeiBus *bus);
/* Guest-visible milliseconds */
int64_t mei_bus_guest_clock_ms(MeiBus *bus);
void G_GNUC_PRINTF(2, 3) mei_bus_log(MeiBus *bus, const char *fmt, ...);
/*
 * The ME's port -> service map, for the channels LME opens to AMT's
 * services (the ME's root sets it; the bus knows no services itself).
 */
typedef const VamtService *(*MeiServiceLookup)(void *opaque, uint16_t port);
void mei_bus_set_service_map(MeiBus *bus, MeiServiceLookup lookup,
                             void *opaque);
const VamtService *mei_bus_service(MeiBus *bus, uint16_t port);
const MeiClientType *mei_conn_client(MeiConn *conn);
/* Messages sent on @conn that wait for the host's read credits */
size_t mei_conn_backlog(MeiConn *conn);
uint8_t mei_conn_host_addr(MeiConn *conn);
/* The connection's conn_state_size bytes, or NULL if it has none */
void *mei_conn_state(MeiConn *conn);

/* The watchdog client's state, for the bus's report (watchdog.c) */
void mei_watchdog_status(MeiBus *bus, bool *armed, bool *expired);

/* The firmware clients (mkhi.c, amthi.c, watchdog.c, lme.c) */
extern const MeiClientType mei_client_mkhi_fixed;
extern const MeiClientType mei_client_mkhi;
extern const MeiClientType mei_client_amthi;
extern const MeiClientType mei_client_watchdog;
extern const MeiClientType mei_client_lme;

#endif
