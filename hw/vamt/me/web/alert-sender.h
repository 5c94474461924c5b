/*
 * vAMT ME core: alert delivery, the ME as an HTTP client
 *
 * Every alert the ME raises that a subscription's filter passes becomes a
 * WS-Management event (a CIM_AlertIndication) POSTed to the
 * subscription's listener, with HTTP Digest when the subscription gave
 * credentials, over the platform's outbound connections
 * (VamtPlatformOps.outbound_open).  One delivery at a time, a bounded
 * queue, retries with back-off for what failed to arrive; the response
 * is read with bounds (docs/specs/vamt-wsman.rst, "Event subscriptions").
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_ALERT_SENDER_H
#define VAMT_ME_ALERT_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amt.h"

typedef struct VamtAlertSender VamtAlertSender;

/* Alerts waiting for delivery; beyond this the oldest is dropped */
#define VAMT_ALERT_QUEUE_MAX        32
/* Tries per alert and listener, the first included */
#define VAMT_ALERT_ATTEMPTS         3
#define VAMT_ALERT_CONNECT_MS       10000
#define VAMT_ALERT_RESPONSE_MS      10000
/* The first retry waits this long, each next one four times longer */
#define VAMT_ALERT_RETRY_MS         5000
/* A listener's response: headers, and the body kept for the Ack */
#define VAMT_ALERT_MAX_HEADERS      8192
#define VAMT_ALERT_MAX_BODY         16384

typedef struct VamtAlertStats {
    uint64_t queued;            /* alerts queued, one per subscription */
    uint64_t delivered;         /* answered 2xx (and acknowledged) */
    uint64_t unconfirmed;       /* Push: sent, the listener said nothing */
    uint64_t failed;            /* given up after the last try */
    uint64_t dropped;           /* pushed out of a full queue */
    unsigned pending;           /* in the queue now */
} VamtAlertStats;

VamtAlertSender *vamt_alert_sender_new(VamtAmt *amt);
void vamt_alert_sender_free(VamtAlertSender *s);

/*
 * Queue the event of @msg for each subscription whose filter passes it.
 * Returns how many were queued.
 */
unsigned vamt_alert_sender_raise(VamtAlertSender *s,
                                 const VamtAlertMessage *msg);

/* The platform's reports on outbound connection @id */
void vamt_alert_sender_connected(VamtAlertSender *s, uint64_t id);
void vamt_alert_sender_input(VamtAlertSender *s, uint64_t id,
                             const uint8_t *data, size_t len);
/* The connection ended (closed by the peer, or failed to connect) */
void vamt_alert_sender_closed(VamtAlertSender *s, uint64_t id);

/* When tick should run next (ME clock, ms), -1: nothing to do */
int64_t vamt_alert_sender_deadline(const VamtAlertSender *s);
void vamt_alert_sender_tick(VamtAlertSender *s);

void vamt_alert_sender_stats(const VamtAlertSender *s, VamtAlertStats *out);

#endif
