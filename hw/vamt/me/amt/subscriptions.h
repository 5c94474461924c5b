/*
 * vAMT ME core: alert subscriptions (WS-Eventing), the ME's side
 *
 * A console subscribes a listener (an http:// URL) to one of AMT's
 * filter collections; every event the ME records (AMT_MessageLog) that
 * the filter passes is then sent to the listener as a CIM_AlertIndication
 * (web/alert-sender.c).  Subscriptions are part of the AMT state (NVRAM,
 * migration) and go with an unprovision, as AMT's do.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_SUBSCRIPTIONS_H
#define VAMT_ME_SUBSCRIPTIONS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "blob.h"

typedef struct VamtAmt VamtAmt;

/* AMT 6 and later: nine subscribers (its tenth is LMS's, built in) */
#define VAMT_SUBSCRIPTION_MAX           9
#define VAMT_SUBSCRIPTION_URL_MAX       253     /* AMT's limit */
/* NotifyTo's reference parameter: AMT allows 256 bytes of XML for it */
#define VAMT_SUBSCRIPTION_REF_XML_MAX   256
#define VAMT_SUBSCRIPTION_REF_NAME_MAX  32
#define VAMT_SUBSCRIPTION_REF_NS_MAX    128
#define VAMT_SUBSCRIPTION_REF_TEXT_MAX  128
#define VAMT_SUBSCRIPTION_NAME_MAX      48
#define VAMT_SUBSCRIPTION_CRED_MAX      32

/* An alert: a message of AMT's registry (CIM_AlertIndication) */
typedef struct VamtAlertMessage {
    const char *message_id;     /* "iAMT0005" */
    char argument[40];          /* MessageArguments[0]: an agent's GUID */
    uint8_t perceived_severity; /* CIM: 2 information, 6 critical */
    int64_t timestamp;          /* AMT clock, UTC seconds */
} VamtAlertMessage;

/* CIM_ListenerDestination.DeliveryMode, as MeshCommander names them */
enum {
    VAMT_DELIVERY_PUSH = 2,
    VAMT_DELIVERY_PUSH_WITH_ACK = 3,
};

/* One of AMT's fixed filter collections (CIM_FilterCollection) */
typedef struct VamtAlertFilter {
    const char *instance_id;    /* also the CollectionName */
    /* Does an alert pass?  NULL: every alert */
    bool (*passes)(const VamtAlertMessage *msg);
} VamtAlertFilter;

typedef struct VamtSubscription {
    bool in_use;
    uint8_t filter;             /* index into vamt_alert_filters() */
    uint8_t delivery;           /* VAMT_DELIVERY_* */
    /* CIM_ListenerDestinationWSManagement.Name: unique, made by the ME */
    char name[VAMT_SUBSCRIPTION_NAME_MAX + 1];
    char url[VAMT_SUBSCRIPTION_URL_MAX + 1];
    /*
     * NotifyTo's reference parameter (its first element), sent back as a
     * header of every event: "" name for none
     */
    char ref_prefix[VAMT_SUBSCRIPTION_REF_NAME_MAX + 1];
    char ref_name[VAMT_SUBSCRIPTION_REF_NAME_MAX + 1];
    char ref_ns[VAMT_SUBSCRIPTION_REF_NS_MAX + 1];
    char ref_text[VAMT_SUBSCRIPTION_REF_TEXT_MAX + 1];
    /* Digest credentials for the listener; empty user: none */
    char user[VAMT_SUBSCRIPTION_CRED_MAX + 1];
    char password[VAMT_SUBSCRIPTION_CRED_MAX + 1];
} VamtSubscription;

/* The filter collections, NULL-terminated; index = VamtSubscription.filter */
const VamtAlertFilter *vamt_alert_filters(void);
int vamt_alert_filter_index(const char *instance_id);

/*
 * Is @url one the ME can deliver to: "http://" host [":" port] [path],
 * host a name or an IPv4 address, nothing that could end a header line?
 * Fills @host (g_free) and @port and @path (a pointer into @url) when
 * asked.
 */
bool vamt_alert_url_parse(const char *url, char **host, uint16_t *port,
                          const char **path);

/*
 * Subscribe @req (name, in_use and the rest of it are ignored):
 * PT_SUCCESS with the new entry in *@out, PT_DUPLICATE when the same URL
 * already has the same filter, PT_MAX_LIMIT_REACHED when the table is
 * full, PT_INVALID_PARAMETER for a bad URL, reference parameter, mode or
 * credentials.
 */
uint32_t vamt_subscription_add(VamtAmt *amt, const VamtSubscription *req,
                               const VamtSubscription **out);
const VamtSubscription *vamt_subscription_find(VamtAmt *amt,
                                               const char *name);
bool vamt_subscription_remove(VamtAmt *amt, const char *name);

/* The subscriptions' part of the AMT state blob */
void vamt_subscriptions_save(const VamtSubscription *subs, GByteArray *out);
bool vamt_subscriptions_load(BlobReader *r, VamtSubscription *subs);

#endif
