/*
 * Unit tests: alert subscriptions (WS-Eventing Subscribe/Unsubscribe, as
 * MeshCommander sends them) and their delivery, the ME as an HTTP client
 * of a listener whose answers the test writes
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "me.h"
#include "status.h"
#include "vamt-digest-client.h"
#include "vamt-test-support.h"

#define CIM         "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
#define EVENTING    "http://schemas.xmlsoap.org/ws/2004/08/eventing"
#define ENUMERATION "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
#define LISTENER_URL "http://192.0.2.7:8080/amtevents.ashx"
#define ANON        "http://schemas.xmlsoap.org/ws/2004/08/addressing/" \
                    "role/anonymous"

/* The platform, and the ME's outbound connections as it sees them */
typedef struct Outbound {
    VamtTestPlatform base;      /* first: the test ops' opaque */
    uint64_t id;                /* the last connection opened */
    char *host;
    uint16_t port;
    unsigned opens;
    unsigned closes;
    bool refuse;
    GString *sent;              /* written on the last connection */
    int64_t timer;
    GPtrArray *alerts;          /* "message-id argument subscribers" */
} Outbound;

static bool out_open(void *opaque, uint64_t id, const char *host,
                     uint16_t port)
{
    Outbound *o = opaque;

    if (o->refuse) {
        return false;
    }
    o->id = id;
    g_free(o->host);
    o->host = g_strdup(host);
    o->port = port;
    o->opens++;
    g_string_truncate(o->sent, 0);
    return true;
}

static void out_write(void *opaque, uint64_t id, const uint8_t *data,
                      size_t len)
{
    Outbound *o = opaque;

    g_assert_cmpuint(id, ==, o->id);
    g_string_append_len(o->sent, (const char *)data, len);
}

static void out_close(void *opaque, uint64_t id)
{
    Outbound *o = opaque;

    o->closes++;
}

static void out_timer(void *opaque, int64_t deadline)
{
    Outbound *o = opaque;

    o->timer = deadline;
}

static void out_alert(void *opaque, const char *message_id,
                      const char *argument, unsigned severity,
                      unsigned subscribers)
{
    Outbound *o = opaque;

    g_ptr_array_add(o->alerts, g_strdup_printf("%s %s %u", message_id,
                                               argument, subscribers));
}

static const VamtPlatformOps outbound_ops = {
    VAMT_TEST_PLATFORM_OPS,
    .outbound_open = out_open,
    .outbound_write = out_write,
    .outbound_close = out_close,
    .me_timer_mod = out_timer,
    .alert = out_alert,
};

typedef struct Env {
    Outbound out;
    VamtFirmware fw;
    VamtMe *me;
} Env;

static Env *env_new(bool outbound)
{
    Env *e = g_new0(Env, 1);

    vamt_test_platform_init(&e->out.base, VAMT_POWER_ON);
    vamt_test_firmware_init(&e->fw);
    e->fw.outbound = outbound;
    e->out.sent = g_string_new(NULL);
    e->out.alerts = g_ptr_array_new_with_free_func(g_free);
    e->out.timer = -1;
    e->me = vamt_me_new(&e->fw, &outbound_ops, &e->out);
    vamt_me_set_admin_password(e->me, PASSWORD);
    return e;
}

static void env_free(Env *e)
{
    vamt_me_free(e->me);
    vamt_test_platform_destroy(&e->out.base);
    g_string_free(e->out.sent, TRUE);
    g_ptr_array_free(e->out.alerts, TRUE);
    g_free(e->out.host);
    g_free(e);
}

/* A WS-Man request as admin: its answer's status and body */
static int wsman_call(Env *e, const char *action, const char *resource,
                      const char *header, const char *body, GString *out)
{
    g_autofree char *env = g_strdup_printf(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
        "<Envelope xmlns=\"http://www.w3.org/2003/05/soap-envelope\" "
        "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
        "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "
        "xmlns:e=\"" EVENTING "\" xmlns:m=\"http://x.com\">"
        "<Header><a:Action>%s</a:Action><a:To>/wsman</a:To>"
        "<w:ResourceURI>%s</w:ResourceURI><a:MessageID>1</a:MessageID>"
        "<a:ReplyTo><a:Address>" ANON "</a:Address></a:ReplyTo>%s"
        "</Header><Body>%s</Body></Envelope>",
        action, resource, header ? header : "", body ? body : "");
    VamtSoapResponse rsp = { .body = out };

    g_string_truncate(out, 0);
    vamt_wsman_handle(vamt_me_wsman(e->me), "/wsman", "admin",
                      (const uint8_t *)env, strlen(env), &rsp);
    vamt_amt_check_changed(vamt_me_amt(e->me));
    return rsp.status;
}

/* What MeshCommander's "New Subscription" sends (amt-wsman.js) */
static int subscribe(Env *e, const char *filter, const char *mode,
                     const char *url, const char *arg, const char *user,
                     const char *pass, GString *out)
{
    g_autofree char *selectors = g_strdup_printf(
        "<w:SelectorSet><w:Selector Name=\"InstanceID\">%s</w:Selector>"
        "</w:SelectorSet>", filter);
    g_autofree char *tokens = user ? g_strdup_printf(
        "<t:IssuedTokens xmlns:t=\"http://schemas.xmlsoap.org/ws/2005/02/"
        "trust\" xmlns:se=\"http://docs.oasis-open.org/wss/2004/01/"
        "oasis-200401-wss-wssecurity-secext-1.0.xsd\">"
        "<t:RequestSecurityTokenResponse><t:TokenType>http://docs.oasis-"
        "open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
        "#UsernameToken</t:TokenType><t:RequestedSecurityToken>"
        "<se:UsernameToken><se:Username>%s</se:Username><se:Password "
        "Type=\"#PasswordText\">%s</se:Password></se:UsernameToken>"
        "</t:RequestedSecurityToken></t:RequestSecurityTokenResponse>"
        "</t:IssuedTokens>", user, pass) : g_strdup("");
    g_autofree char *header = g_strconcat(selectors, tokens, NULL);
    g_autofree char *body = g_strdup_printf(
        "<e:Subscribe><e:Delivery Mode=\"http://schemas.%s\"><e:NotifyTo>"
        "<a:Address>%s</a:Address><a:ReferenceParameters><m:arg>%s"
        "</m:arg></a:ReferenceParameters></e:NotifyTo>%s</e:Delivery>"
        "</e:Subscribe>", mode, url, arg, user ? "<w:Auth Profile=\"http://"
        "schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/digest\"/>"
        : "");

    return wsman_call(e, EVENTING "/Subscribe", CIM "CIM_FilterCollection",
                      header, body, out);
}

#define PUSH        "xmlsoap.org/ws/2004/08/eventing/DeliveryModes/Push"
#define PUSH_ACK    "dmtf.org/wbem/wsman/1/wsman/PushWithAck"

/* Every item of a whole enumeration of @resource */
static char *enumerate(Env *e, const char *resource)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree char *context = NULL;
    const char *p, *q;

    g_assert_cmpint(wsman_call(e, ENUMERATION "/Enumerate", resource, NULL,
                               "<Enumerate xmlns=\"" ENUMERATION "\"/>", out),
                    ==, 200);
    p = strstr(out->str, "EnumerationContext>");
    g_assert_nonnull(p);
    p += strlen("EnumerationContext>");
    q = strchr(p, '<');
    context = g_strndup(p, q - p);
    {
        g_autofree char *pull = g_strdup_printf(
            "<Pull xmlns=\"" ENUMERATION "\"><EnumerationContext>%s"
            "</EnumerationContext><MaxElements>50</MaxElements></Pull>",
            context);

        g_assert_cmpint(wsman_call(e, ENUMERATION "/Pull", resource, NULL,
                                   pull, out), ==, 200);
    }
    return g_strdup(out->str);
}

static unsigned count(const char *haystack, const char *needle)
{
    unsigned n = 0;

    for (const char *p = strstr(haystack, needle); p;
         p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

/* The listener name in a SubscribeResponse or an enumeration */
static char *listener_name(const char *text)
{
    const char *p = strstr(text, "Intel(r) AMT:Destination ");

    g_assert_nonnull(p);
    return g_strndup(p, strlen("Intel(r) AMT:Destination ") + 16);
}

/* What MeshCommander's "Remove" sends: Filter and Handler EPRs */
static int unsubscribe(Env *e, const char *filter, const char *name)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree char *header = g_strdup_printf(
        "<w:SelectorSet><w:Selector Name=\"Filter\"><a:EndpointReference>"
        "<a:Address>" ANON "</a:Address><a:ReferenceParameters>"
        "<w:ResourceURI>" CIM "CIM_FilterCollection</w:ResourceURI>"
        "<w:SelectorSet><w:Selector Name=\"InstanceID\">%s</w:Selector>"
        "</w:SelectorSet></a:ReferenceParameters></a:EndpointReference>"
        "</w:Selector><w:Selector Name=\"Handler\"><a:EndpointReference>"
        "<a:Address>" ANON "</a:Address><a:ReferenceParameters>"
        "<w:ResourceURI>" CIM "CIM_ListenerDestinationWSManagement"
        "</w:ResourceURI><w:SelectorSet><w:Selector Name=\""
        "CreationClassName\">CIM_ListenerDestinationWSMAN</w:Selector>"
        "<w:Selector Name=\"Name\">%s</w:Selector><w:Selector Name=\""
        "SystemCreationClassName\">CIM_ComputerSystem</w:Selector>"
        "<w:Selector Name=\"SystemName\">Intel(r) AMT</w:Selector>"
        "</w:SelectorSet></a:ReferenceParameters></a:EndpointReference>"
        "</w:Selector></w:SelectorSet>", filter, name);

    return wsman_call(e, EVENTING "/Unsubscribe",
                      CIM "CIM_FilterCollectionSubscription", header,
                      "<e:Unsubscribe/>", out);
}

static void test_subscriptions(void)
{
    Env *e = env_new(true);
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree char *filters = enumerate(e, CIM "CIM_FilterCollection");
    g_autofree char *name = NULL;
    g_autofree char *listeners = NULL;
    g_autofree char *subs = NULL;

    /* the collections a console offers, named as AMT names them */
    g_assert_cmpuint(count(filters, ":InstanceID>"), ==, 6);
    g_assert_nonnull(strstr(filters,
        ":CollectionName>Intel(r) AMT:All</"));
    g_assert_nonnull(strstr(filters, ":InstanceID>Intel(r) AMT:Features<"));

    g_assert_cmpint(subscribe(e, "Intel(r) AMT:All", PUSH, LISTENER_URL,
                              "node-1", "amtuser", "Passw0rd!", out), ==, 200);
    g_assert_nonnull(strstr(out->str, EVENTING "/SubscribeResponse"));
    g_assert_nonnull(strstr(out->str, "<g:SubscriptionManager>"));
    name = listener_name(out->str);

    /* the listener and the subscription, in MeshCommander's pairing */
    listeners = enumerate(e, CIM "CIM_ListenerDestination");
    g_assert_nonnull(strstr(listeners, ":Destination>" LISTENER_URL));
    g_assert_nonnull(strstr(listeners, ":DeliveryMode>2</"));
    g_assert_nonnull(strstr(listeners, name));
    /* the password never comes back */
    g_assert_null(strstr(listeners, "Passw0rd!"));
    subs = enumerate(e, CIM "CIM_FilterCollectionSubscription");
    g_assert_nonnull(strstr(subs,
        "<c:Selector Name=\"InstanceID\">Intel(r) AMT:All</c:Selector>"));
    g_assert_nonnull(strstr(subs, name));

    /* the same again, a bad URL, a mode AMT has not */
    g_assert_cmpint(subscribe(e, "Intel(r) AMT:All", PUSH, LISTENER_URL,
                              "", NULL, NULL, out), ==, 400);
    g_assert_nonnull(strstr(out->str, "AlreadyExists"));
    g_assert_cmpint(subscribe(e, "Intel(r) AMT:All", PUSH,
                              "https://192.0.2.7/", "", NULL, NULL, out),
                    ==, 400);
    g_assert_nonnull(strstr(out->str, "InvalidParameter"));
    g_assert_cmpint(subscribe(e, "Intel(r) AMT:All", PUSH,
                              "http://192.0.2.7/a&#13;&#10;X: y", "", NULL,
                              NULL, out), ==, 400);
    g_assert_cmpint(subscribe(e, "Intel(r) AMT:All",
                              "xmlsoap.org/ws/2004/08/eventing/DeliveryModes/"
                              "Pull", LISTENER_URL "2", "", NULL, NULL, out),
                    ==, 400);
    g_assert_nonnull(strstr(out->str, "EventSourceUnableToProcess"));
    g_assert_cmpint(subscribe(e, "Intel(r) AMT:Nothing", PUSH, LISTENER_URL,
                              "", NULL, NULL, out), ==, 400);

    /* nine subscribers, as AMT 6 and later have */
    for (unsigned i = 2; i <= VAMT_SUBSCRIPTION_MAX; i++) {
        g_autofree char *url = g_strdup_printf("http://192.0.2.%u/", i);

        g_assert_cmpint(subscribe(e, "Intel(r) AMT:Features", PUSH_ACK, url,
                                  "", NULL, NULL, out), ==, 200);
    }
    g_assert_cmpint(subscribe(e, "Intel(r) AMT:Features", PUSH,
                              "http://192.0.2.99/", "", NULL, NULL, out),
                    ==, 400);
    g_assert_nonnull(strstr(out->str, "EventSourceUnableToProcess"));

    /* Unsubscribe names the filter and the listener */
    g_assert_cmpint(unsubscribe(e, "Intel(r) AMT:Features", name), ==, 400);
    g_assert_cmpint(unsubscribe(e, "Intel(r) AMT:All", name), ==, 200);
    g_assert_cmpint(unsubscribe(e, "Intel(r) AMT:All", name), ==, 400);
    g_free(listeners);
    listeners = enumerate(e, CIM "CIM_ListenerDestination");
    g_assert_null(strstr(listeners, name));
    g_assert_cmpuint(count(listeners, ":Destination>") / 2, ==,
                     VAMT_SUBSCRIPTION_MAX - 1);
    env_free(e);
}

/* Without a way out, a subscription would never be served: refused */
static void test_no_egress(void)
{
    Env *e = env_new(false);
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree char *listeners = NULL;

    g_assert_cmpint(subscribe(e, "Intel(r) AMT:All", PUSH, LISTENER_URL, "",
                              NULL, NULL, out), ==, 400);
    g_assert_nonnull(strstr(out->str, "EventSourceUnableToProcess"));
    listeners = enumerate(e, CIM "CIM_ListenerDestination");
    g_assert_cmpuint(count(listeners, ":Destination>") / 2, ==, 0);
    env_free(e);
}

static void answer(Env *e, const char *text)
{
    vamt_me_outbound_input(e->me, e->out.id, (const uint8_t *)text,
                           strlen(text));
}

static void advance(Env *e, int64_t ms)
{
    e->out.base.ms += ms;
    while (e->out.timer >= 0 && e->out.base.ms >= e->out.timer) {
        /* a timer that fired is no longer armed */
        e->out.timer = -1;
        vamt_me_timer_expired(e->me);
    }
}

static VamtAlertStats stats(Env *e)
{
    VamtAlertStats st;

    vamt_me_alert_stats(e->me, &st);
    return st;
}

/* The event, Digest to the listener, as MeshCentral's amtevents.ashx */
static void test_delivery_digest(void)
{
    Env *e = env_new(true);
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree char *first = NULL;
    g_autofree char *auth = NULL;
    g_autofree char *cnonce = NULL;
    g_autofree char *response = NULL;
    g_autofree char *expected = NULL;
    const char *line;

    g_assert_cmpint(subscribe(e, "Intel(r) AMT:All", PUSH, LISTENER_URL,
                              "0123456789abcdef", "amtuser", "Passw0rd!",
                              out), ==, 200);
    vamt_amt_set_session_open(vamt_me_amt(e->me), VAMT_AMT_SESSION_SOL,
                              true);
    g_assert_cmpuint(e->out.alerts->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(e->out.alerts, 0), ==, "iAMT0050 48 1");
    g_assert_cmpuint(e->out.opens, ==, 1);
    g_assert_cmpstr(e->out.host, ==, "192.0.2.7");
    g_assert_cmpuint(e->out.port, ==, 8080);
    g_assert_cmpuint(e->out.sent->len, ==, 0);

    vamt_me_outbound_connected(e->me, e->out.id);
    first = g_strdup(e->out.sent->str);
    g_assert_true(g_str_has_prefix(first,
        "POST /amtevents.ashx HTTP/1.1\r\nHost: 192.0.2.7:8080\r\n"));
    g_assert_null(strstr(first, "Authorization"));
    g_assert_nonnull(strstr(first, "<m:arg xmlns:m=\"http://x.com\">"
                                   "0123456789abcdef</m:arg>"));
    g_assert_nonnull(strstr(first, "<g:MessageID>iAMT0050</g:MessageID>"));
    g_assert_nonnull(strstr(first,
        "<g:MessageArguments>48</g:MessageArguments>"));
    g_assert_nonnull(strstr(first, "http://schemas.dmtf.org/wbem/wsman/1/"
                                   "wsman/Event</b:Action>"));
    g_assert_null(strstr(first, "AckRequested"));

    /* MeshCentral's challenge, then the same event with the answer */
    answer(e, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest "
           "realm=\"MeshCentral\", qop=\"auth,auth-int\", nonce=\"n0nce\", "
           "opaque=\"0paque\"\r\nContent-Length: 12\r\n\r\nUnauthorized");
    g_assert_cmpuint(e->out.opens, ==, 1);
    line = strstr(e->out.sent->str + strlen(first), "Authorization: ");
    g_assert_nonnull(line);
    auth = g_strndup(line, strchr(line, '\r') - line);
    cnonce = vamt_test_challenge_param(auth, "cnonce");
    response = vamt_test_challenge_param(auth, "response");
    g_assert_nonnull(strstr(auth, "username=\"amtuser\""));
    g_assert_nonnull(strstr(auth, "uri=\"/amtevents.ashx\""));
    g_assert_nonnull(strstr(auth, "opaque=\"0paque\""));
    g_assert_nonnull(strstr(auth, "qop=auth, nc=00000001"));
    expected = vamt_test_digest_response(&(VamtTestDigestAuth) {
        .user = "amtuser", .realm = "MeshCentral", .password = "Passw0rd!",
        .uri = "/amtevents.ashx", .nonce = "n0nce", .nc = "00000001",
        .cnonce = cnonce,
    });
    g_assert_cmpstr(response, ==, expected);

    answer(e, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    g_assert_cmpuint(stats(e).delivered, ==, 1);
    g_assert_cmpuint(e->out.closes, ==, 1);
    g_assert_cmpint(e->out.timer, ==, -1);
    env_free(e);
}

/* Push asks for no answer; MeshCentral's listener gives none */
static void test_push_unanswered(void)
{
    Env *e = env_new(true);
    g_autoptr(GString) out = g_string_new(NULL);

    g_assert_cmpint(subscribe(e, "Intel(r) AMT:Features", PUSH, LISTENER_URL,
                              "", NULL, NULL, out), ==, 200);
    vamt_amt_set_session_open(vamt_me_amt(e->me), VAMT_AMT_SESSION_IDER,
                              true);
    vamt_me_outbound_connected(e->me, e->out.id);
    g_assert_nonnull(strstr(e->out.sent->str,
        "<g:MessageArguments>50</g:MessageArguments>"));
    advance(e, VAMT_ALERT_RESPONSE_MS - 1);
    g_assert_cmpuint(stats(e).unconfirmed, ==, 0);
    advance(e, 1);
    g_assert_cmpuint(stats(e).unconfirmed, ==, 1);
    g_assert_cmpuint(e->out.opens, ==, 1);
    g_assert_cmpuint(stats(e).pending, ==, 0);
    env_free(e);
}

/* PushWithAck: the Ack, chunked; without it, tries again */
static void test_push_with_ack(void)
{
    Env *e = env_new(true);
    g_autoptr(GString) out = g_string_new(NULL);

    g_assert_cmpint(subscribe(e, "Intel(r) AMT:All", PUSH_ACK, LISTENER_URL,
                              "", NULL, NULL, out), ==, 200);
    vamt_amt_set_session_open(vamt_me_amt(e->me), VAMT_AMT_SESSION_SOL,
                              true);
    vamt_me_outbound_connected(e->me, e->out.id);
    g_assert_nonnull(strstr(e->out.sent->str,
                            "<c:AckRequested></c:AckRequested>"));
    answer(e, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
    g_assert_cmpuint(stats(e).delivered, ==, 0);
    /* try 2 after 5 s */
    g_assert_cmpint(e->out.timer, ==, e->out.base.ms + VAMT_ALERT_RETRY_MS);
    advance(e, VAMT_ALERT_RETRY_MS);
    g_assert_cmpuint(e->out.opens, ==, 2);
    vamt_me_outbound_connected(e->me, e->out.id);
    /* the Ack, in chunks split across reads */
    answer(e, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
           "20\r\n<a:Envelope><a:Header><b:");
    answer(e, "Action>\r\n2e;ext=1\r\nhttp://schemas.dmtf.org/wbem/wsman/1/"
           "wsman/Ack\r\n");
    g_assert_cmpuint(stats(e).delivered, ==, 0);
    answer(e, "0\r\n\r\n");
    g_assert_cmpuint(stats(e).delivered, ==, 1);
    env_free(e);
}

/* A listener that is not there: three tries, 5 s then 20 s apart */
static void test_retries(void)
{
    Env *e = env_new(true);
    g_autoptr(GString) out = g_string_new(NULL);

    g_assert_cmpint(subscribe(e, "Intel(r) AMT:All", PUSH, LISTENER_URL,
                              "", NULL, NULL, out), ==, 200);
    vamt_amt_set_session_open(vamt_me_amt(e->me), VAMT_AMT_SESSION_SOL,
                              true);
    vamt_me_outbound_closed(e->me, e->out.id);
    advance(e, VAMT_ALERT_RETRY_MS - 1);
    g_assert_cmpuint(e->out.opens, ==, 1);
    advance(e, 1);
    g_assert_cmpuint(e->out.opens, ==, 2);
    /* the connect never completes */
    advance(e, VAMT_ALERT_CONNECT_MS);
    advance(e, 4 * VAMT_ALERT_RETRY_MS);
    g_assert_cmpuint(e->out.opens, ==, 3);
    vamt_me_outbound_connected(e->me, e->out.id);
    answer(e, "garbage\r\n\r\n");
    g_assert_cmpuint(stats(e).failed, ==, 1);
    g_assert_cmpint(e->out.timer, ==, -1);
    advance(e, 1000000);
    g_assert_cmpuint(e->out.opens, ==, 3);
    env_free(e);
}

/* A full queue drops the oldest, never the one in flight */
static void test_queue_bound(void)
{
    Env *e = env_new(true);
    g_autoptr(GString) out = g_string_new(NULL);
    VamtAmt *amt = vamt_me_amt(e->me);

    g_assert_cmpint(subscribe(e, "Intel(r) AMT:All", PUSH, LISTENER_URL,
                              "", NULL, NULL, out), ==, 200);
    for (unsigned i = 0; i < VAMT_ALERT_QUEUE_MAX + 10; i++) {
        vamt_amt_alert(amt, "iAMT0004", "x", 2);
    }
    g_assert_cmpuint(stats(e).queued, ==, VAMT_ALERT_QUEUE_MAX + 10);
    g_assert_cmpuint(stats(e).dropped, ==, 10);
    g_assert_cmpuint(stats(e).pending, ==,
                     VAMT_ALERT_QUEUE_MAX);
    g_assert_cmpuint(e->out.opens, ==, 1);
    env_free(e);
}

/* Subscriptions are AMT state: saved, refused when hostile, reset */
static void test_saved_and_unprovisioned(void)
{
    Env *e = env_new(true);
    Env *f = env_new(true);
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GByteArray) blob = g_byte_array_new();
    g_autofree char *listeners = NULL;
    guint8 *url = NULL;

    g_assert_cmpint(subscribe(e, "Intel(r) AMT:All", PUSH_ACK, LISTENER_URL,
                              "nodeid", "u", "p", out), ==, 200);
    vamt_amt_save(vamt_me_amt(e->me), blob);
    g_assert_true(vamt_me_load(f->me, blob->data, blob->len));
    listeners = enumerate(f, CIM "CIM_ListenerDestination");
    g_assert_nonnull(strstr(listeners, LISTENER_URL));
    g_assert_nonnull(strstr(listeners, ":DeliveryMode>3</"));

    /* a URL with a line break in it would write headers: not loaded */
    for (guint i = 0; i + 9 <= blob->len && !url; i++) {
        if (!memcmp(blob->data + i, "amtevents", 9)) {
            url = blob->data + i;
        }
    }
    g_assert_nonnull(url);
    url[0] = '\n';
    g_assert_false(vamt_me_load(f->me, blob->data, blob->len));

    vamt_amt_unprovision(vamt_me_amt(f->me), "admin");
    g_free(listeners);
    vamt_me_set_admin_password(f->me, PASSWORD);
    listeners = enumerate(f, CIM "CIM_ListenerDestination");
    g_assert_cmpuint(count(listeners, ":Destination>") / 2, ==, 0);
    env_free(f);
    env_free(e);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/alerts/subscriptions", test_subscriptions);
    g_test_add_func("/alerts/no-egress", test_no_egress);
    g_test_add_func("/alerts/delivery-digest", test_delivery_digest);
    g_test_add_func("/alerts/push-unanswered", test_push_unanswered);
    g_test_add_func("/alerts/push-with-ack", test_push_with_ack);
    g_test_add_func("/alerts/retries", test_retries);
    g_test_add_func("/alerts/queue-bound", test_queue_bound);
    g_test_add_func("/alerts/saved-and-unprovisioned",
                    test_saved_and_unprovisioned);
    return g_test_run();
}
