/*
 * vAMT ME core: APF, the channel multiplexer of LME and CIRA
 *
 * Intel's APF is SSH's connection protocol with AMT's own additions: the
 * ME registers the AMT ports it serves (tcpip-forward), the peer (a host
 * agent over LME, an MPS over CIRA) opens a channel per TCP connection
 * to one of them, and each channel carries the connection's bytes with
 * window accounting both ways.  Each channel is a connection of the
 * ME's service behind that port, the same the host socket listener
 * makes (conn.h), so every service is reachable through every transport.
 *
 * The session is fed whole messages and sends whole messages; the
 * transport frames them (LME: one MEI message each).  No clock: a
 * transport asks for the earliest deadline of the channels' services
 * and ticks the session then.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_APF_H
#define VAMT_ME_APF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"

/* Channels open at once per session, as on real AMT (ids 0-7) */
#define VAMT_APF_MAX_CHANNELS       8
/* Longest string the ME accepts in a message (both MPSs use 2048) */
#define VAMT_APF_MAX_STRING         2048
/* Service output a channel holds for a peer that does not take it */
#define VAMT_APF_CHANNEL_TX_HIGH    (64 * 1024)

/* APF message types (spec: heci.md 5.5, cira-tls.md B2) */
enum {
    VAMT_APF_DISCONNECT = 1,
    VAMT_APF_SERVICE_REQUEST = 5,
    VAMT_APF_SERVICE_ACCEPT = 6,
    VAMT_APF_GLOBAL_REQUEST = 80,
    VAMT_APF_REQUEST_SUCCESS = 81,
    VAMT_APF_REQUEST_FAILURE = 82,
    VAMT_APF_CHANNEL_OPEN = 90,
    VAMT_APF_CHANNEL_OPEN_CONFIRMATION = 91,
    VAMT_APF_CHANNEL_OPEN_FAILURE = 92,
    VAMT_APF_CHANNEL_WINDOW_ADJUST = 93,
    VAMT_APF_CHANNEL_DATA = 94,
    VAMT_APF_CHANNEL_CLOSE = 97,
    VAMT_APF_PROTOCOL_VERSION = 192,
    VAMT_APF_KEEPALIVE_REQUEST = 208,
    VAMT_APF_KEEPALIVE_REPLY = 209,
    VAMT_APF_KEEPALIVE_OPTIONS_REQUEST = 210,
    VAMT_APF_KEEPALIVE_OPTIONS_REPLY = 211,
};

/* DISCONNECT reasons */
enum {
    VAMT_APF_REASON_PROTOCOL_ERROR = 2,
    VAMT_APF_REASON_SERVICE_NOT_AVAILABLE = 7,
    VAMT_APF_REASON_VERSION_NOT_SUPPORTED = 8,
    VAMT_APF_REASON_CONNECTION_LOST = 10,
};

/* CHANNEL_OPEN_FAILURE reasons */
enum {
    VAMT_APF_OPEN_PROHIBITED = 1,
    VAMT_APF_OPEN_CONNECT_FAILED = 2,
    VAMT_APF_OPEN_UNKNOWN_TYPE = 3,
    VAMT_APF_OPEN_RESOURCE_SHORTAGE = 4,
};

#define VAMT_APF_PROTOCOL_VERSION_LEN   93
#define VAMT_APF_TRIGGER_LME            254
#define VAMT_APF_PFWD_SERVICE           "pfwd@amt.intel.com"

typedef struct VamtApf VamtApf;

typedef struct VamtApfOps {
    /* One whole message for the peer */
    void (*send)(void *opaque, const uint8_t *msg, size_t len);
    /*
     * Can the transport take another message?  While it cannot, channel
     * data waits in the session (vamt_apf_flush() when it can again).
     */
    bool (*can_send)(void *opaque);
    /* The service behind AMT port @port, or NULL if it is not served */
    const VamtService *(*service)(void *opaque, uint16_t port);
    /* A channel's service woke up: read the deadline again soon */
    void (*wake)(void *opaque);
    void (*log)(void *opaque, const char *msg);
} VamtApfOps;

typedef struct VamtApfConfig {
    uint8_t uuid[16];           /* PROTOCOL_VERSION's, as GetUUID has it */
    uint32_t trigger;           /* PROTOCOL_VERSION's trigger reason */
    uint16_t ports[8];          /* tcpip-forward registrations, in order */
    unsigned nports;
    uint32_t max_data;          /* most payload in one ME CHANNEL_DATA */
    uint32_t window;            /* the ME's receive window per channel */
    const char *peer;           /* the peer's address, for the services */
} VamtApfConfig;

typedef struct VamtApfInfo {
    bool registered;            /* every tcpip-forward was answered */
    bool disconnected;
    unsigned channels;          /* open (or closing) channels */
    unsigned forwards;          /* ports the peer accepted */
} VamtApfInfo;

VamtApf *vamt_apf_new(const VamtApfOps *ops, void *opaque,
                      const VamtApfConfig *cfg);
void vamt_apf_free(VamtApf *apf);

/* The ME speaks first: PROTOCOL_VERSION, then the pfwd SERVICE_REQUEST */
void vamt_apf_start(VamtApf *apf);
/* End the session with DISCONNECT(@reason); every channel goes */
void vamt_apf_disconnect(VamtApf *apf, uint32_t reason);
/* One whole message from the peer; malformed ones end the session */
void vamt_apf_message(VamtApf *apf, const uint8_t *msg, size_t len);
/* The transport can take messages again: send what channels hold */
void vamt_apf_flush(VamtApf *apf);

/* When vamt_apf_tick() should next run (the services' clock); -1: never */
int64_t vamt_apf_deadline(const VamtApf *apf);
void vamt_apf_tick(VamtApf *apf, int64_t now_ms);

void vamt_apf_get_info(const VamtApf *apf, VamtApfInfo *info);

#endif
