/*
 * vAMT ME core: alert subscriptions (WS-Eventing), the ME's side
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "amt.h"
#include "status.h"
#include "subscriptions.h"

/* AMT's own feature events (Agent Presence, redirection...): "iAMT" */
static bool filter_features(const VamtAlertMessage *msg)
{
    return g_str_has_prefix(msg->message_id, "iAMT");
}

/*
 * Three of AMT's seven collections: those whose names real events and
 * agents show (docs/specs/vamt-wsman.rst, "Event subscriptions").
 */
static const VamtAlertFilter filters[] = {
    { "Intel(r) AMT:All", NULL },
    { "Intel(r) AMT:AllEvents", NULL },
    { "Intel(r) AMT:Features", filter_features },
    { NULL, NULL },
};

const VamtAlertFilter *vamt_alert_filters(void)
{
    return filters;
}

int vamt_alert_filter_index(const char *instance_id)
{
    for (int i = 0; instance_id && filters[i].instance_id; i++) {
        if (!strcmp(filters[i].instance_id, instance_id)) {
            return i;
        }
    }
    return -1;
}

static bool host_is_valid(const char *host, size_t len)
{
    if (!len || len > 253) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!g_ascii_isalnum(host[i]) && host[i] != '-' && host[i] != '.') {
            return false;
        }
    }
    return true;
}

bool vamt_alert_url_parse(const char *url, char **host, uint16_t *port,
                          const char **path)
{
    static const char scheme[] = "http://";
    const char *h, *end, *colon;
    guint64 p = 80;

    if (!url || !g_str_has_prefix(url, scheme) ||
        strlen(url) > VAMT_SUBSCRIPTION_URL_MAX) {
        return false;
    }
    /* the path goes into the request line: printable, no spaces */
    for (const char *c = url; *c; c++) {
        if (*c <= ' ' || *c >= 0x7f) {
            return false;
        }
    }
    h = url + strlen(scheme);
    end = h + strcspn(h, "/");
    colon = memchr(h, ':', end - h);
    if (colon) {
        char *num_end;

        if (colon + 1 == end || !g_ascii_isdigit(colon[1])) {
            return false;
        }
        p = g_ascii_strtoull(colon + 1, &num_end, 10);
        if (num_end != end || !p || p > 65535) {
            return false;
        }
    }
    if (!host_is_valid(h, (colon ? colon : end) - h)) {
        return false;
    }
    if (host) {
        *host = g_strndup(h, (colon ? colon : end) - h);
    }
    if (port) {
        *port = p;
    }
    if (path) {
        *path = *end ? end : "/";
    }
    return true;
}

static bool text_is_printable(const char *s, size_t max)
{
    size_t len = strlen(s);

    if (len > max) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] >= 0x7f) {
            return false;
        }
    }
    return true;
}

/* An XML name (prefix or local name): what can go between < and > */
static bool xml_name_is_valid(const char *s, size_t max)
{
    size_t len = strlen(s);

    if (len > max || (len && !g_ascii_isalpha(s[0]) && s[0] != '_')) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!g_ascii_isalnum(s[i]) && !strchr("_-.", s[i])) {
            return false;
        }
    }
    return true;
}

/* What is sent back or connected to must be safe to write into XML/HTTP */
static bool subscription_is_valid(const VamtSubscription *sub)
{
    size_t ref_xml = 2 * strlen(sub->ref_prefix) + 2 * strlen(sub->ref_name) +
                     strlen(sub->ref_ns) + strlen(sub->ref_text) + 16;

    return sub->filter < G_N_ELEMENTS(filters) - 1 &&
           (sub->delivery == VAMT_DELIVERY_PUSH ||
            sub->delivery == VAMT_DELIVERY_PUSH_WITH_ACK) &&
           vamt_alert_url_parse(sub->url, NULL, NULL, NULL) &&
           xml_name_is_valid(sub->ref_prefix, VAMT_SUBSCRIPTION_REF_NAME_MAX) &&
           xml_name_is_valid(sub->ref_name, VAMT_SUBSCRIPTION_REF_NAME_MAX) &&
           (*sub->ref_name || (!*sub->ref_prefix && !*sub->ref_ns &&
                               !*sub->ref_text)) &&
           (!*sub->ref_prefix || *sub->ref_ns) &&
           text_is_printable(sub->ref_ns, VAMT_SUBSCRIPTION_REF_NS_MAX) &&
           !strpbrk(sub->ref_ns, "\"<>&") &&
           text_is_printable(sub->ref_text, VAMT_SUBSCRIPTION_REF_TEXT_MAX) &&
           ref_xml <= VAMT_SUBSCRIPTION_REF_XML_MAX &&
           text_is_printable(sub->name, VAMT_SUBSCRIPTION_NAME_MAX) &&
           text_is_printable(sub->user, VAMT_SUBSCRIPTION_CRED_MAX) &&
           text_is_printable(sub->password, VAMT_SUBSCRIPTION_CRED_MAX) &&
           !strchr(sub->user, '"') && (*sub->user || !*sub->password);
}

uint32_t vamt_subscription_add(VamtAmt *amt, const VamtSubscription *req,
                               const VamtSubscription **out)
{
    VamtAmtState *s = vamt_amt_state(amt);
    VamtSubscription *free_slot = NULL;
    uint8_t id[8];

    if (!subscription_is_valid(req)) {
        return PT_INVALID_PARAMETER;
    }
    for (unsigned i = 0; i < VAMT_SUBSCRIPTION_MAX; i++) {
        VamtSubscription *sub = &s->subscriptions[i];

        if (!sub->in_use) {
            free_slot = free_slot ? free_slot : sub;
        } else if (sub->filter == req->filter && !strcmp(sub->url, req->url)) {
            return PT_DUPLICATE;
        }
    }
    if (!free_slot) {
        return PT_MAX_LIMIT_REACHED;
    }
    *free_slot = *req;
    free_slot->in_use = true;
    /* random, so a name never comes back for another listener */
    vamt_amt_ops(amt)->random(vamt_amt_opaque(amt), id, sizeof(id));
    snprintf(free_slot->name, sizeof(free_slot->name),
             "Intel(r) AMT:Destination %02x%02x%02x%02x%02x%02x%02x%02x",
             id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7]);
    vamt_amt_check_changed(amt);
    *out = free_slot;
    return PT_SUCCESS;
}

const VamtSubscription *vamt_subscription_find(VamtAmt *amt,
                                               const char *name)
{
    VamtAmtState *s = vamt_amt_state(amt);

    for (unsigned i = 0; name && i < VAMT_SUBSCRIPTION_MAX; i++) {
        if (s->subscriptions[i].in_use &&
            !strcmp(s->subscriptions[i].name, name)) {
            return &s->subscriptions[i];
        }
    }
    return NULL;
}

bool vamt_subscription_remove(VamtAmt *amt, const char *name)
{
    VamtSubscription *sub =
        (VamtSubscription *)vamt_subscription_find(amt, name);

    if (!sub) {
        return false;
    }
    memset(sub, 0, sizeof(*sub));
    vamt_amt_check_changed(amt);
    return true;
}

void vamt_subscriptions_save(const VamtSubscription *subs, GByteArray *out)
{
    for (unsigned i = 0; i < VAMT_SUBSCRIPTION_MAX; i++) {
        const VamtSubscription *sub = &subs[i];

        blob_put_u8(out, sub->in_use);
        if (!sub->in_use) {
            continue;
        }
        blob_put_u8(out, sub->filter);
        blob_put_u8(out, sub->delivery);
        blob_put_str(out, sub->name);
        blob_put_str(out, sub->url);
        blob_put_str(out, sub->ref_prefix);
        blob_put_str(out, sub->ref_name);
        blob_put_str(out, sub->ref_ns);
        blob_put_str(out, sub->ref_text);
        blob_put_str(out, sub->user);
        blob_put_str(out, sub->password);
    }
}

/* What add() would refuse is refused here too: the URL reaches sockets */
bool vamt_subscriptions_load(BlobReader *r, VamtSubscription *subs)
{
    for (unsigned i = 0; i < VAMT_SUBSCRIPTION_MAX && r->ok; i++) {
        VamtSubscription *sub = &subs[i];

        memset(sub, 0, sizeof(*sub));
        sub->in_use = blob_get_u8(r);
        if (!sub->in_use) {
            continue;
        }
        sub->filter = blob_get_u8(r);
        sub->delivery = blob_get_u8(r);
        blob_get_str(r, sub->name, sizeof(sub->name));
        blob_get_str(r, sub->url, sizeof(sub->url));
        blob_get_str(r, sub->ref_prefix, sizeof(sub->ref_prefix));
        blob_get_str(r, sub->ref_name, sizeof(sub->ref_name));
        blob_get_str(r, sub->ref_ns, sizeof(sub->ref_ns));
        blob_get_str(r, sub->ref_text, sizeof(sub->ref_text));
        blob_get_str(r, sub->user, sizeof(sub->user));
        blob_get_str(r, sub->password, sizeof(sub->password));
        if (!r->ok || !subscription_is_valid(sub)) {
            return false;
        }
    }
    return r->ok;
}
