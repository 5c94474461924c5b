/*
 * vAMT ME core: CIM providers for WS-Eventing subscriptions
 *
 * The classes of MeshCommander's "Event Subscriptions" page and the
 * Subscribe/Unsubscribe operations on them: AMT's filter collections
 * (fixed), one CIM_ListenerDestinationWSManagement and one
 * CIM_FilterCollectionSubscription per subscription, listed in the same
 * order (MeshCommander pairs the two lists by index).  Alerts reach the
 * listeners through web/alert-sender.c; without a platform that connects
 * out (alert-egress) Subscribe is refused rather than accepted and never
 * served (docs/specs/vamt-wsman.rst, "Event subscriptions").
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "provider.h"

#define DELIVERY_PUSH       "http://schemas.xmlsoap.org/ws/2004/08/" \
                            "eventing/DeliveryModes/Push"
#define DELIVERY_PUSH_ACK   "http://schemas.dmtf.org/wbem/wsman/1/wsman/" \
                            "PushWithAck"
#define LISTENER_CCN        "CIM_ListenerDestinationWSMAN"
#define SYSTEM_CCN          "CIM_ComputerSystem"
#define SYSTEM_NAME         "Intel(r) AMT"

static const VamtCimClass filter_collection_class;
static void filter_collection_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtAlertFilter *filters = vamt_alert_filters();

    for (unsigned i = 0; filters[i].instance_id; i++) {
        VamtCimInstance *inst = vamt_cim_new(&filter_collection_class);

        vamt_cim_str(inst, "CollectionName", filters[i].instance_id);
        vamt_cim_str(inst, "ElementName", filters[i].instance_id);
        vamt_cim_str(inst, "InstanceID", filters[i].instance_id);
        g_ptr_array_add(out, inst);
    }
}

static const VamtCimClass filter_collection_class = {
    .name = "CIM_FilterCollection", .ns_prefix = VAMT_NS_CIM,
    .keys = cim_keys_instance_id, .list = filter_collection_list,
};

static VamtCimEpr *filter_epr(const VamtSubscription *sub)
{
    VamtCimEpr *epr = vamt_cim_epr_new(VAMT_NS_CIM "CIM_FilterCollection");

    vamt_cim_epr_add(epr, "InstanceID",
                     vamt_alert_filters()[sub->filter].instance_id);
    return epr;
}

static VamtCimEpr *handler_epr(const VamtSubscription *sub)
{
    VamtCimEpr *epr = vamt_cim_epr_new(
        VAMT_NS_CIM "CIM_ListenerDestinationWSManagement");

    vamt_cim_epr_add(epr, "CreationClassName", LISTENER_CCN);
    vamt_cim_epr_add(epr, "Name", sub->name);
    vamt_cim_epr_add(epr, "SystemCreationClassName", SYSTEM_CCN);
    vamt_cim_epr_add(epr, "SystemName", SYSTEM_NAME);
    return epr;
}

static const VamtCimClass listener_wsman_class;
static void listener_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtAmtState *s = vamt_amt_state(amt);

    for (unsigned i = 0; i < VAMT_SUBSCRIPTION_MAX; i++) {
        const VamtSubscription *sub = &s->subscriptions[i];
        VamtCimInstance *inst;

        if (!sub->in_use) {
            continue;
        }
        inst = vamt_cim_new(&listener_wsman_class);
        vamt_cim_str(inst, "CreationClassName", LISTENER_CCN);
        vamt_cim_uint(inst, "DeliveryMode", sub->delivery);
        vamt_cim_str(inst, "Destination", sub->url);
        vamt_cim_str(inst, "Name", sub->name);
        vamt_cim_uint(inst, "PersistenceType", 2);     /* permanent */
        vamt_cim_str(inst, "SystemCreationClassName", SYSTEM_CCN);
        vamt_cim_str(inst, "SystemName", SYSTEM_NAME);
        g_ptr_array_add(out, inst);
    }
}

/* the base class: it lists its subclass's instances */
static const VamtCimClass listener_destination_class = {
    .name = "CIM_ListenerDestination", .ns_prefix = VAMT_NS_CIM,
    .keys = cim_keys_service, .list = listener_list,
};

static const VamtCimClass listener_wsman_class = {
    .name = "CIM_ListenerDestinationWSManagement",
    .ns_prefix = VAMT_NS_CIM, .keys = cim_keys_service,
    .list = listener_list,
};

static const VamtCimClass subscription_class;
static void subscription_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtAmtState *s = vamt_amt_state(amt);

    for (unsigned i = 0; i < VAMT_SUBSCRIPTION_MAX; i++) {
        const VamtSubscription *sub = &s->subscriptions[i];
        VamtCimInstance *inst;

        if (!sub->in_use) {
            continue;
        }
        inst = vamt_cim_new(&subscription_class);
        vamt_cim_epr(inst, "Filter", filter_epr(sub));
        vamt_cim_epr(inst, "Handler", handler_epr(sub));
        vamt_cim_uint(inst, "OnFatalErrorPolicy", 2);      /* ignore */
        vamt_cim_uint(inst, "RepeatNotificationPolicy", 2);    /* none */
        vamt_cim_uint(inst, "SubscriptionState", 2);       /* enabled */
        g_ptr_array_add(out, inst);
    }
}

/* An association: its keys are the Filter and Handler references */
static const VamtCimClass subscription_class = {
    .name = "CIM_FilterCollectionSubscription", .ns_prefix = VAMT_NS_CIM,
    .list = subscription_list,
};

const VamtCimClass *const vamt_cim_eventing_classes[] = {
    &filter_collection_class, &listener_destination_class,
    &listener_wsman_class, &subscription_class, NULL,
};

/* Copy the text of @parent's child @name into @dst; false if too long */
static bool copy_child_text(xmlNode *parent, const char *name, char *dst,
                            size_t size)
{
    g_autofree char *text = vamt_xml_child_text(parent, name);

    if (text && strlen(text) >= size) {
        return false;
    }
    g_strlcpy(dst, text ? text : "", size);
    return true;
}

/* NotifyTo's first reference parameter, kept to be sent back */
static bool take_reference(xmlNode *notify_to, VamtSubscription *sub)
{
    xmlNode *params = vamt_xml_child(notify_to, "ReferenceParameters");
    xmlNode *ref = NULL;
    xmlChar *text;
    bool fits;

    for (xmlNode *n = params ? params->children : NULL; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE) {
            ref = n;
            break;
        }
    }
    if (!ref) {
        return true;
    }
    if (strlen(vamt_xml_local_name(ref)) >= sizeof(sub->ref_name) ||
        (ref->ns && ref->ns->prefix &&
         strlen((const char *)ref->ns->prefix) >= sizeof(sub->ref_prefix)) ||
        (ref->ns && ref->ns->href &&
         strlen((const char *)ref->ns->href) >= sizeof(sub->ref_ns))) {
        return false;
    }
    g_strlcpy(sub->ref_name, vamt_xml_local_name(ref), sizeof(sub->ref_name));
    if (ref->ns && ref->ns->prefix) {
        g_strlcpy(sub->ref_prefix, (const char *)ref->ns->prefix,
                  sizeof(sub->ref_prefix));
    }
    if (ref->ns && ref->ns->href) {
        g_strlcpy(sub->ref_ns, (const char *)ref->ns->href,
                  sizeof(sub->ref_ns));
    }
    text = xmlNodeGetContent(ref);
    fits = !text || strlen((const char *)text) < sizeof(sub->ref_text);
    if (fits && text) {
        g_strlcpy(sub->ref_text, (const char *)text, sizeof(sub->ref_text));
    }
    xmlFree(text);
    return fits;
}

/* Credentials for the listener: the header's WS-Trust UsernameToken */
static bool take_credentials(xmlNode *header, VamtSubscription *sub)
{
    xmlNode *token = vamt_xml_child(vamt_xml_child(vamt_xml_child(
        vamt_xml_child(header, "IssuedTokens"),
        "RequestSecurityTokenResponse"), "RequestedSecurityToken"),
        "UsernameToken");

    return !token ||
           (copy_child_text(token, "Username", sub->user, sizeof(sub->user)) &&
            copy_child_text(token, "Password", sub->password,
                            sizeof(sub->password)));
}

static void write_epr_selector(GString *out, const char *name,
                               VamtCimEpr *epr)
{
    g_string_append_printf(out, "<c:Selector Name=\"%s\">"
                           "<b:EndpointReference>", name);
    vamt_cim_write_epr_body(out, epr);
    g_string_append(out, "</b:EndpointReference></c:Selector>");
    vamt_cim_epr_free(epr);
}

VamtCimStatus vamt_cim_subscribe(VamtAmt *amt, GPtrArray *selectors,
                                 xmlNode *header, xmlNode *subscribe,
                                 GString *out)
{
    xmlNode *delivery = vamt_xml_child(subscribe, "Delivery");
    xmlNode *notify_to = vamt_xml_child(delivery, "NotifyTo");
    int filter = vamt_alert_filter_index(vamt_cim_selector(selectors,
                                                           "InstanceID"));
    xmlChar *mode;
    VamtSubscription req = { 0 };
    const VamtSubscription *sub;
    uint32_t status;

    if (filter < 0) {
        return VAMT_CIM_NOT_FOUND;
    }
    if (!notify_to) {
        return VAMT_CIM_INVALID;
    }
    mode = xmlGetProp(delivery, (const xmlChar *)"Mode");
    if (!mode || !strcmp(g_strstrip((char *)mode), DELIVERY_PUSH)) {
        req.delivery = VAMT_DELIVERY_PUSH;
    } else if (!strcmp((char *)mode, DELIVERY_PUSH_ACK)) {
        req.delivery = VAMT_DELIVERY_PUSH_WITH_ACK;
    }
    xmlFree(mode);
    if (!req.delivery) {
        /* Pull and the rest: AMT pushes */
        return VAMT_CIM_UNABLE;
    }
    req.filter = filter;
    if (!copy_child_text(notify_to, "Address", req.url, sizeof(req.url)) ||
        !take_reference(notify_to, &req) || !take_credentials(header, &req)) {
        return VAMT_CIM_INVALID;
    }
    if (!vamt_amt_firmware(amt)->outbound) {
        return VAMT_CIM_UNABLE;
    }
    status = vamt_subscription_add(amt, &req, &sub);
    switch (status) {
    case PT_SUCCESS:
        break;
    case PT_DUPLICATE:
        return VAMT_CIM_EXISTS;
    case PT_MAX_LIMIT_REACHED:
        return VAMT_CIM_UNABLE;
    default:
        return VAMT_CIM_INVALID;
    }
    g_string_append(out, "<g:SubscribeResponse><g:SubscriptionManager>"
                    "<b:Address>http://schemas.xmlsoap.org/ws/2004/08/"
                    "addressing/role/anonymous</b:Address>"
                    "<b:ReferenceParameters><c:ResourceURI>" VAMT_NS_CIM
                    "CIM_FilterCollectionSubscription</c:ResourceURI>"
                    "<c:SelectorSet>");
    write_epr_selector(out, "Filter", filter_epr(sub));
    write_epr_selector(out, "Handler", handler_epr(sub));
    g_string_append(out, "</c:SelectorSet></b:ReferenceParameters>"
                    "</g:SubscriptionManager></g:SubscribeResponse>");
    return VAMT_CIM_OK;
}

/* The selector @name of the header's SelectorSet that holds an EPR */
static GPtrArray *epr_selector(xmlNode *header, const char *name)
{
    xmlNode *set = vamt_xml_child(header, "SelectorSet");

    for (xmlNode *n = set ? set->children : NULL; n; n = n->next) {
        xmlChar *attr;
        bool match;

        if (n->type != XML_ELEMENT_NODE ||
            strcmp(vamt_xml_local_name(n), "Selector")) {
            continue;
        }
        attr = xmlGetProp(n, (const xmlChar *)"Name");
        match = attr && !strcmp((const char *)attr, name);
        xmlFree(attr);
        if (match) {
            return vamt_xml_epr_selectors(vamt_xml_child(n,
                                                         "EndpointReference"));
        }
    }
    return NULL;
}

VamtCimStatus vamt_cim_unsubscribe(VamtAmt *amt, xmlNode *header)
{
    g_autoptr(GPtrArray) handler = epr_selector(header, "Handler");
    g_autoptr(GPtrArray) filter = epr_selector(header, "Filter");
    const char *name = handler ? vamt_cim_selector(handler, "Name") : NULL;
    const VamtSubscription *sub;

    if (!name) {
        return VAMT_CIM_BAD_SELECTORS;
    }
    sub = vamt_subscription_find(amt, name);
    if (!sub) {
        return VAMT_CIM_NOT_FOUND;
    }
    /* a Filter that names another collection is not this subscription */
    if (filter && vamt_cim_selector(filter, "InstanceID") &&
        vamt_alert_filter_index(vamt_cim_selector(filter, "InstanceID")) !=
        sub->filter) {
        return VAMT_CIM_NOT_FOUND;
    }
    vamt_subscription_remove(amt, name);
    return VAMT_CIM_OK;
}
