/*
 * The WS-Management unit tests' environment (wsman-test-env.h)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <string.h>

#include "wsman-test-env.h"
#include "xml-reader.h"

Env *env_new(VamtPowerState power)
{
    Env *e = g_new0(Env, 1);

    vamt_test_platform_init(&e->fake, power);
    vamt_test_firmware_init(&e->fw);
    memcpy(e->fw.system_uuid, e->fake.inv.system_uuid, 16);

    e->amt = vamt_amt_new(&e->fw, &vamt_test_platform_ops, &e->fake);
    vamt_amt_set_provisioning(e->amt, VAMT_PROVISIONING_POST,
                              VAMT_CONTROL_MODE_ACM);
    vamt_amt_set_realm(e->amt, REALM);
    vamt_amt_set_admin_password(e->amt, PASSWORD);
    e->ws = vamt_wsman_new(e->amt);
    return e;
}

void env_free(Env *e)
{
    vamt_wsman_free(e->ws);
    vamt_amt_free(e->amt);
    vamt_test_platform_destroy(&e->fake);
    g_free(e);
}

/* Replies, read as a console would */

void reply_free(Reply *r)
{
    if (r->xpath) {
        xmlXPathFreeContext(r->xpath);
    }
    if (r->doc) {
        xmlFreeDoc(r->doc);
    }
    g_string_free(r->body, TRUE);
    g_free(r);
}

Reply *post_bytes(Env *e, const char *path, const char *user,
                  const void *body, size_t len)
{
    Reply *r = g_new0(Reply, 1);
    VamtSoapResponse rsp = { .body = g_string_new(NULL) };

    vamt_wsman_handle(e->ws, path, user, body, len, &rsp);
    r->status = rsp.status;
    r->content_type = rsp.content_type;
    r->body = rsp.body;
    if (r->body->len) {
        r->doc = xmlReadMemory(r->body->str, r->body->len, NULL, NULL,
                               XML_PARSE_NONET);
        g_assert_nonnull(r->doc);
        r->xpath = xmlXPathNewContext(r->doc);
        xmlXPathRegisterNs(r->xpath, BAD_CAST "s", BAD_CAST NS_SOAP);
        xmlXPathRegisterNs(r->xpath, BAD_CAST "wsa", BAD_CAST NS_WSA);
        xmlXPathRegisterNs(r->xpath, BAD_CAST "wsman", BAD_CAST NS_WSMAN);
        xmlXPathRegisterNs(r->xpath, BAD_CAST "wsen", BAD_CAST NS_ENUM);
        xmlXPathRegisterNs(r->xpath, BAD_CAST "wxf", BAD_CAST NS_XFER);
        xmlXPathRegisterNs(r->xpath, BAD_CAST "s11", BAD_CAST NS_SOAP11);
    }
    return r;
}

Reply *post(Env *e, const char *path, const char *user,
            const char *body)
{
    return post_bytes(e, path, user, body, strlen(body));
}

/* The string value of an XPath expression ("" when nothing matches) */
char *xp(Reply *r, const char *expr)
{
    g_autofree char *wrapped = g_strdup_printf("string(%s)", expr);
    xmlXPathObject *o;
    char *s;

    g_assert_nonnull(r->xpath);
    o = xmlXPathEvalExpression(BAD_CAST wrapped, r->xpath);
    g_assert_nonnull(o);
    s = g_strdup(o->stringval ? (char *)o->stringval : "");
    xmlXPathFreeObject(o);
    return s;
}

int xp_count(Reply *r, const char *expr)
{
    g_autofree char *wrapped = g_strdup_printf("count(%s)", expr);
    xmlXPathObject *o = xmlXPathEvalExpression(BAD_CAST wrapped, r->xpath);
    int n = o->floatval;

    xmlXPathFreeObject(o);
    return n;
}

void assert_xp(Reply *r, const char *expr, const char *expected)
{
    g_autofree char *got = xp(r, expr);

    if (strcmp(got, expected)) {
        g_test_message("reply: %s", r->body->str);
    }
    g_assert_cmpstr(got, ==, expected);
}

/* A property of the body's instance or method output, by local name */
char *prop(Reply *r, const char *name)
{
    g_autofree char *expr = g_strdup_printf(
        "/s:Envelope/s:Body/ */ *[local-name()='%s']", name);

    return xp(r, expr);
}

void assert_prop(Reply *r, const char *name, const char *expected)
{
    g_autofree char *got = prop(r, name);

    if (strcmp(got, expected)) {
        g_test_message("reply: %s", r->body->str);
    }
    g_assert_cmpstr(got, ==, expected);
}

void assert_fault(Reply *r, int status, const char *subcode)
{
    if (r->status != status) {
        g_test_message("reply: %s", r->body->str);
    }
    g_assert_cmpint(r->status, ==, status);
    g_assert_cmpstr(r->content_type, ==, VAMT_WSMAN_CONTENT_TYPE);
    assert_xp(r, "/s:Envelope/s:Header/wsa:Action", NS_WSA "/fault");
    assert_xp(r, "/s:Envelope/s:Body/s:Fault/s:Code/s:Subcode/s:Value",
              subcode);
}

void assert_ok(Reply *r, const char *action)
{
    if (r->status != 200) {
        g_test_message("reply: %s", r->body->str);
    }
    g_assert_cmpint(r->status, ==, 200);
    g_assert_cmpstr(r->content_type, ==, VAMT_WSMAN_CONTENT_TYPE);
    assert_xp(r, "/s:Envelope/s:Header/wsa:Action", action);
}

/* A request the way MeshCentral's stack writes it */
char *envelope(const char *action, const char *resource,
               const char *message_id, const char *header_extra,
               const char *body)
{
    return g_strdup_printf(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Envelope "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xmlns:a=\"" NS_WSA "\" xmlns:w=\"" NS_WSMAN "\" "
        "xmlns=\"" NS_SOAP "\"><Header><a:Action>%s</a:Action>"
        "<a:To>/wsman</a:To><w:ResourceURI>%s</w:ResourceURI>"
        "<a:MessageID>%s</a:MessageID><a:ReplyTo><a:Address>"
        NS_WSA "/role/anonymous</a:Address></a:ReplyTo>"
        "<w:OperationTimeout>PT60S</w:OperationTimeout>%s</Header>"
        "<Body>%s</Body></Envelope>",
        action, resource, message_id, header_extra ? header_extra : "",
        body ? body : "");
}

Reply *wsman(Env *e, const char *action, const char *resource,
             const char *selectors, const char *body)
{
    g_autofree char *req = envelope(action, resource, "1", selectors, body);

    return post(e, "/wsman", "admin", req);
}

Reply *get(Env *e, const char *resource, const char *selectors)
{
    return wsman(e, NS_XFER "/Get", resource, selectors, NULL);
}

Reply *invoke(Env *e, const char *resource, const char *method,
              const char *args)
{
    g_autofree char *action = g_strdup_printf("%s/%s", resource, method);
    g_autofree char *body = vamt_test_invoke_body(resource, method, args);

    return wsman(e, action, resource, NULL, body);
}

/* Enumerate and Pull everything, returning the last Pull reply */
Reply *enumerate_all(Env *e, const char *resource, const char *mode)
{
    g_autofree char *enum_body = g_strdup_printf(
        "<Enumerate xmlns=\"" NS_ENUM "\">%s</Enumerate>",
        mode ? mode : "");
    g_autoptr(Reply) r = wsman(e, NS_ENUM "/Enumerate", resource, NULL,
                               enum_body);
    g_autofree char *ctx = NULL;
    g_autofree char *pull = NULL;

    assert_ok(r, NS_ENUM "/EnumerateResponse");
    ctx = xp(r, "//wsen:EnumerationContext");
    pull = g_strdup_printf("<Pull xmlns=\"" NS_ENUM "\"><EnumerationContext>"
                           "%s</EnumerationContext><MaxElements>999"
                           "</MaxElements></Pull>", ctx);
    return wsman(e, NS_ENUM "/Pull", resource, NULL, pull);
}
