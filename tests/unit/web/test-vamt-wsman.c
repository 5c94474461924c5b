/*
 * Unit tests for the vAMT ME core's WS-Management and legacy SOAP layer:
 * every captured console request replayed through vamt_wsman_handle()
 * and its answer read the way the console reads it (XPath on the
 * envelope), the exchanges of docs/specs/vamt-wsman.rst ("Example
 * exchanges") byte for byte, the
 * operations and classes one by one, and hostile bodies.  A fake
 * platform records power and boot requests.
 *
 * The captures are read from $VAMT_CAPTURES or, by default, from the
 * shared directory beside the checkout; the test fails if it is missing.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <string.h>

#include "amt.h"
#include "vamt-test-support.h"
#include "wsman.h"
#include "xml-reader.h"

typedef struct Env {
    VamtTestPlatform fake;
    VamtFirmware fw;
    VamtAmt *amt;
    VamtWsman *ws;
} Env;

typedef struct Reply {
    int status;
    const char *content_type;
    GString *body;
    xmlDoc *doc;
    xmlXPathContext *xpath;
} Reply;

static Env *env_new(VamtPowerState power)
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

static void env_free(Env *e)
{
    vamt_wsman_free(e->ws);
    vamt_amt_free(e->amt);
    vamt_test_platform_destroy(&e->fake);
    g_free(e);
}

/* Replies, read as a console would */

static void reply_free(Reply *r)
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Reply, reply_free)

static Reply *post_bytes(Env *e, const char *path, const char *user,
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

static Reply *post(Env *e, const char *path, const char *user,
                   const char *body)
{
    return post_bytes(e, path, user, body, strlen(body));
}

/* The string value of an XPath expression ("" when nothing matches) */
static char *xp(Reply *r, const char *expr)
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

static int xp_count(Reply *r, const char *expr)
{
    g_autofree char *wrapped = g_strdup_printf("count(%s)", expr);
    xmlXPathObject *o = xmlXPathEvalExpression(BAD_CAST wrapped, r->xpath);
    int n = o->floatval;

    xmlXPathFreeObject(o);
    return n;
}

static void assert_xp(Reply *r, const char *expr, const char *expected)
{
    g_autofree char *got = xp(r, expr);

    if (strcmp(got, expected)) {
        g_test_message("reply: %s", r->body->str);
    }
    g_assert_cmpstr(got, ==, expected);
}

/* A property of the body's instance or method output, by local name */
static char *prop(Reply *r, const char *name)
{
    g_autofree char *expr = g_strdup_printf(
        "/s:Envelope/s:Body/ */ *[local-name()='%s']", name);

    return xp(r, expr);
}

static void assert_prop(Reply *r, const char *name, const char *expected)
{
    g_autofree char *got = prop(r, name);

    if (strcmp(got, expected)) {
        g_test_message("reply: %s", r->body->str);
    }
    g_assert_cmpstr(got, ==, expected);
}

static void assert_fault(Reply *r, int status, const char *subcode)
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

static void assert_ok(Reply *r, const char *action)
{
    if (r->status != 200) {
        g_test_message("reply: %s", r->body->str);
    }
    g_assert_cmpint(r->status, ==, 200);
    g_assert_cmpstr(r->content_type, ==, VAMT_WSMAN_CONTENT_TYPE);
    assert_xp(r, "/s:Envelope/s:Header/wsa:Action", action);
}

/* A request the way MeshCentral's stack writes it */
static char *envelope(const char *action, const char *resource,
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

static Reply *wsman(Env *e, const char *action, const char *resource,
                    const char *selectors, const char *body)
{
    g_autofree char *req = envelope(action, resource, "1", selectors, body);

    return post(e, "/wsman", "admin", req);
}

static Reply *get(Env *e, const char *resource, const char *selectors)
{
    return wsman(e, NS_XFER "/Get", resource, selectors, NULL);
}

static Reply *invoke(Env *e, const char *resource, const char *method,
                     const char *args)
{
    g_autofree char *action = g_strdup_printf("%s/%s", resource, method);
    g_autofree char *body = vamt_test_invoke_body(resource, method, args);

    return wsman(e, action, resource, NULL, body);
}

/* Enumerate and Pull everything, returning the last Pull reply */
static Reply *enumerate_all(Env *e, const char *resource, const char *mode)
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

/* Captures */

typedef struct Capture {
    char *name;
    char *path;                 /* request path */
    GString *body;              /* de-chunked */
    bool authenticated;
} Capture;

static void capture_free(gpointer p)
{
    Capture *c = p;

    g_free(c->name);
    g_free(c->path);
    g_string_free(c->body, TRUE);
    g_free(c);
}

static Capture *capture_load(const VamtTestCapture *raw)
{
    const char *data = raw->data;
    const char *end = data + raw->len;
    Capture *c = g_new0(Capture, 1);
    const char *head_end, *sp;
    g_autofree char *head = NULL;

    head_end = strstr(data, "\r\n\r\n");
    g_assert_nonnull(head_end);
    head = g_ascii_strdown(data, head_end - data);
    sp = strchr(data, ' ');
    c->name = g_strdup(raw->name);
    c->path = g_strndup(sp + 1, strchr(sp + 1, ' ') - (sp + 1));
    if (strstr(head, "\r\ntransfer-encoding: chunked")) {
        c->body = vamt_test_dechunk(head_end + 4, end);
    } else {
        c->body = g_string_new_len(head_end + 4, end - head_end - 4);
    }
    c->authenticated = g_str_has_suffix(raw->name, "_ok.http");
    return c;
}

static GPtrArray *captures_load(const char *dir)
{
    GPtrArray *list = g_ptr_array_new_with_free_func(capture_free);
    g_autoptr(GPtrArray) raw = vamt_test_captures_load(dir);

    g_assert_nonnull(raw);
    for (guint i = 0; i < raw->len; i++) {
        g_ptr_array_add(list, capture_load(g_ptr_array_index(raw, i)));
    }
    g_assert_cmpuint(list->len, >, 0);
    return list;
}

/* What the capture asked, read from its envelope */
typedef struct Asked {
    char *action;
    char *resource;
    char *message_id;
    char *class_name;           /* ResourceURI after the last '/' */
    char *method;               /* for Invoke and EOI */
    char *power_state;          /* RequestPowerStateChange argument */
} Asked;

static char *req_xp(xmlXPathContext *ctx, const char *expr)
{
    g_autofree char *wrapped = g_strdup_printf("string(%s)", expr);
    xmlXPathObject *o = xmlXPathEvalExpression(BAD_CAST wrapped, ctx);
    char *s = g_strdup(o && o->stringval ? (char *)o->stringval : "");

    xmlXPathFreeObject(o);
    return g_strstrip(s);
}

static void asked_read(const Capture *c, Asked *a)
{
    xmlDoc *doc = xmlReadMemory(c->body->str, c->body->len, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR |
                                XML_PARSE_NOWARNING);
    xmlXPathContext *ctx;
    const char *slash;

    memset(a, 0, sizeof(*a));
    g_assert_nonnull(doc);
    ctx = xmlXPathNewContext(doc);
    a->action = req_xp(ctx, "// *[local-name()='Header']/ *"
                       "[local-name()='Action']");
    a->resource = req_xp(ctx, "// *[local-name()='Header']/ *"
                         "[local-name()='ResourceURI']");
    a->message_id = req_xp(ctx, "// *[local-name()='Header']/ *"
                           "[local-name()='MessageID']");
    a->method = req_xp(ctx, "local-name(// *[local-name()='Body']/ *[1])");
    a->power_state = req_xp(ctx, "// *[local-name()='PowerState']");
    slash = strrchr(a->resource, '/');
    a->class_name = g_strdup(slash ? slash + 1 : "");
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
}

static void asked_clear(Asked *a)
{
    g_free(a->action);
    g_free(a->resource);
    g_free(a->message_id);
    g_free(a->class_name);
    g_free(a->method);
    g_free(a->power_state);
}

/* The item of a Pull whose @key property is @value, then its @name */
static char *item_prop(Reply *r, const char *key, const char *value,
                       const char *name)
{
    g_autofree char *expr = g_strdup_printf(
        "//wsen:Items/ *[*[local-name()='%s']='%s']/ *[local-name()='%s']",
        key, value, name);

    return xp(r, expr);
}

/* What a console takes from specific answers */
static void check_meaning(Env *e, const Asked *a, Reply *r,
                          unsigned *checked)
{
    const char *cls = a->class_name;
    bool pull = g_str_has_suffix(a->action, "/Pull");
    bool get = g_str_has_suffix(a->action, "/transfer/Get");
    g_autofree char *v = NULL;

    (*checked)++;
    if (get && !strcmp(cls, "CIM_Battery")) {
        g_assert_cmpint(xp_count(r, "/s:Envelope/s:Body/ *"), ==, 1);
        g_assert_cmpint(xp_count(r, "/s:Envelope/s:Body/ */ *"), ==, 0);
    } else if (pull && !strcmp(cls, "CIM_SoftwareIdentity")) {
        v = item_prop(r, "InstanceID", "AMT", "VersionString");
        g_assert_cmpstr(v, ==, "16.1.25");
        g_free(v);
        v = item_prop(r, "InstanceID", "Build Number", "VersionString");
        g_assert_cmpstr(v, ==, "2124");
    } else if (pull && !strcmp(cls, "CIM_ServiceAvailableToElement")) {
        v = g_strdup_printf("%u", e->fake.power);
        assert_xp(r, "//wsen:Items/ *[local-name()="
                  "'CIM_AssociatedPowerManagementService']"
                  "/ *[local-name()='PowerState']", v);
        assert_xp(r, "// *[local-name()='UserOfService']//wsman:Selector"
                  "[@Name='Name']", "ManagedSystem");
    } else if (pull && !strcmp(cls, "AMT_EthernetPortSettings")) {
        v = xp(r, "//wsen:Items/ */ *[local-name()='MACAddress']");
        g_assert_cmpstr(v, ==, "52-54-00-ab-cd-ef");
    } else if (pull && !strcmp(cls, "CIM_PhysicalPackage")) {
        g_assert_cmpint(xp_count(r, "//wsen:Items/ *"), ==, 2);
        v = item_prop(r, "Tag", "CIM_Chassis", "Manufacturer");
        g_assert_cmpstr(v, ==, "QEMU chassis");
    } else if (pull && !strcmp(cls, "CIM_Processor")) {
        v = xp(r, "//wsen:Items/ */ *[local-name()='MaxClockSpeed']");
        g_assert_cmpstr(v, ==, "2100");
    } else if (pull && !strcmp(cls, "CIM_PhysicalMemory")) {
        v = xp(r, "//wsen:Items/ */ *[local-name()='Capacity']");
        g_assert_cmpstr(v, ==, "2147483648");
    } else if (pull && !strcmp(cls, "CIM_SystemPackaging")) {
        v = xp(r, "//wsen:Items/ */ *[local-name()='PlatformGUID']");
        g_assert_cmpstr(v, ==, "3F2504E04F8941D39A0C0305E82C3301");
    } else if (get && !strcmp(cls, "AMT_GeneralSettings")) {
        assert_prop(r, "DigestRealm", REALM);
        assert_prop(r, "InstanceID", "Intel(r) AMT: General Settings");
    } else if (get && !strcmp(cls, "AMT_SetupAndConfigurationService")) {
        assert_prop(r, "ProvisioningState", "2");
        assert_prop(r, "ProvisioningMode", "1");
    } else if (get && !strcmp(cls, "IPS_HostBasedSetupService")) {
        assert_prop(r, "CurrentControlMode", "2");
    } else if (get && !strcmp(cls, "CIM_ComputerSystemPackage")) {
        assert_prop(r, "PlatformGUID", "3F2504E04F8941D39A0C0305E82C3301");
    } else if (get && !strcmp(cls, "CIM_Chassis")) {
        assert_prop(r, "Manufacturer", "QEMU chassis");
    } else if (get && !strcmp(cls, "CIM_Card")) {
        assert_prop(r, "Model", "vAMT board");
    } else if (get && !strcmp(cls, "CIM_BIOSElement")) {
        assert_prop(r, "Version", "0.0.0");
        assert_xp(r, "// *[local-name()='ReleaseDate']/ *",
                  "2015-02-06T00:00:00Z");
    } else if (get && !strcmp(cls, "AMT_RedirectionService")) {
        /* SOL and IDE-R are not served: "both disabled", no listener */
        assert_prop(r, "EnabledState", "32768");
        assert_prop(r, "ListenerEnabled", "false");
    } else if (get && !strcmp(cls, "CIM_KVMRedirectionSAP")) {
        assert_prop(r, "EnabledState", "3");
    } else if (get && !strcmp(cls, "IPS_OptInService")) {
        assert_prop(r, "OptInRequired", "0");
    } else if (get && !strcmp(cls, "AMT_BootCapabilities")) {
        assert_prop(r, "ForcePXEBoot", "true");
    } else if (!strcmp(a->method, "GetLowAccuracyTimeSynch_INPUT")) {
        assert_prop(r, "Ta0", G_STRINGIFY(NOW_UTC));
        assert_prop(r, "ReturnValue", "0");
    } else if (!strcmp(a->method, "GetAdminAclEntry_INPUT")) {
        assert_prop(r, "Username", "admin");
    } else if (!strcmp(a->method, "EnumerateUserAclEntries_INPUT")) {
        /* the built-in $$OsAdmin, always listed */
        assert_prop(r, "TotalCount", "1");
        assert_prop(r, "Handles", "4294967295");
        assert_prop(r, "ReturnValue", "0");
    } else if (!strcmp(a->method, "RequestPowerStateChange_INPUT")) {
        GArray *req = e->fake.power_requests;

        assert_prop(r, "ReturnValue", "0");
        g_assert_cmpuint(req->len, >, 0);
        v = g_strdup_printf("%u", g_array_index(req, VamtPowerState,
                                                req->len - 1));
        g_assert_cmpstr(v, ==, a->power_state);
    } else if (!strcmp(a->method, "PositionToFirstRecord_INPUT")) {
        assert_prop(r, "IterationIdentifier", "1");
        assert_prop(r, "ReturnValue", "0");
    } else if (!strcmp(a->method, "GetRecords_INPUT")) {
        assert_prop(r, "NoMoreRecords", "true");
        assert_prop(r, "ReturnValue", "0");
    } else if (!strcmp(a->method, "ReadRecords_INPUT")) {
        v = g_strdup_printf("%u", vamt_amt_state(e->amt)->audit_count);
        assert_prop(r, "TotalRecordCount", v);
        assert_prop(r, "ReturnValue", "0");
    } else if (!strcmp(a->method, "StartOptIn_INPUT")) {
        assert_prop(r, "ReturnValue", "0");
        g_assert_cmpuint(e->fake.consent_shows, ==, 1);
    } else if (!strcmp(a->method, "CancelOptIn_INPUT")) {
        assert_prop(r, "ReturnValue", "0");
        g_assert_cmpuint(e->fake.consent_code, ==, 0);
    } else {
        (*checked)--;
    }
}

static void check_eoi(Env *e, const Capture *c, Reply *r)
{
    g_autofree char *op = NULL;
    g_autofree char *expr = NULL;

    g_assert_cmpint(r->status, ==, 200);
    g_assert_cmpstr(r->content_type, ==, VAMT_EOI_CONTENT_TYPE);
    {
        Asked a;

        asked_read(c, &a);
        op = g_strdup(a.method);
        asked_clear(&a);
    }
    /* SOAP::Lite: first child = status, the rest = out parameters */
    expr = g_strdup_printf("/s11:Envelope/s11:Body/ *[local-name()="
                           "'%sResponse']/ *[1]", op);
    assert_xp(r, expr, "0");
    if (!strcmp(op, "GetCoreVersion")) {
        assert_xp(r, "// *[local-name()='Version']", "16.1.25");
    } else if (!strcmp(op, "GetHostName")) {
        assert_xp(r, "// *[local-name()='HostName']", "vamt");
    } else if (!strcmp(op, "GetSystemPowerState")) {
        assert_xp(r, "// *[local-name()='SystemPowerState']", "5");
    } else if (!strcmp(op, "GetRemoteControlCapabilities")) {
        assert_xp(r, "// *[local-name()='IanaOemNumber']", "343");
        assert_xp(r, "// *[local-name()='SystemCapabilitiesSupported']",
                  "15");
    } else if (!strcmp(op, "RemoteControl")) {
        g_assert_cmpuint(e->fake.power_requests->len, ==, 1);
        g_assert_cmpint(g_array_index(e->fake.power_requests,
                                      VamtPowerState, 0), ==, VAMT_POWER_ON);
        assert_xp(r, "/s11:Envelope/s11:Body/ */ *[local-name()='Status']",
                  "0");
    } else if (!strcmp(op, "EnumerateInterfaces")) {
        assert_xp(r, "// *[local-name()='InterfaceHandles']", "0");
    }
}

/* Replace the captured context (from the recording stub) by ours */
static void substitute_context(Capture *c, const char *ours)
{
    const char *open = strstr(c->body->str, "EnumerationContext>");
    const char *close;

    if (!open || !ours) {
        return;
    }
    open += strlen("EnumerationContext>");
    close = strchr(open, '<');
    g_string_erase(c->body, open - c->body->str, close - open);
    g_string_insert(c->body, open - c->body->str, ours);
}

/*
 * Replay one client session in order.  Unauthenticated requests get 401
 * unless they are Identify; authenticated ones get what the console
 * needs, checked per class and method.
 */
static void test_capture_session(gconstpointer data)
{
    const char *dir = data;
    g_autoptr(GPtrArray) captures = captures_load(dir);
    Env *e = env_new(VAMT_POWER_OFF_SOFT);
    g_autofree char *context = NULL;
    unsigned answered = 0, denied = 0, checked = 0;

    for (guint i = 0; i < captures->len; i++) {
        Capture *c = g_ptr_array_index(captures, i);
        bool is_wsman = !strcmp(c->path, "/wsman");
        bool identify = is_wsman && c->body->len &&
                        vamt_wsman_is_identify((uint8_t *)c->body->str,
                                               c->body->len);
        g_autoptr(Reply) r = NULL;
        Asked a;

        g_test_message("%s", c->name);
        if (c->authenticated && strstr(c->body->str, "/Pull<")) {
            substitute_context(c, context);
        }
        r = post_bytes(e, c->path, c->authenticated ? "admin" : NULL,
                       c->body->str, c->body->len);
        if (!c->authenticated && !identify) {
            g_assert_cmpint(r->status, ==, 401);
            g_assert_cmpuint(r->body->len, ==, 0);
            denied++;
            continue;
        }
        answered++;
        if (identify) {
            assert_ok(r, "");
            assert_xp(r, "// *[local-name()='ProductVersion']", "AMT 16.1");
            continue;
        }
        if (!is_wsman) {
            check_eoi(e, c, r);
            continue;
        }
        asked_read(c, &a);
        /* every class a capture asks for is one vAMT answers */
        {
            g_autofree char *action = g_strconcat(a.action, "Response",
                                                  NULL);

            assert_ok(r, action);
            assert_xp(r, "/s:Envelope/s:Header/wsman:ResourceURI",
                      a.resource);
            check_meaning(e, &a, r, &checked);
        }
        /* MPS routes answers by RelatesTo: verbatim, even if repeated */
        assert_xp(r, "/s:Envelope/s:Header/wsa:RelatesTo", a.message_id);
        {
            g_autofree char *id = xp(r, "/s:Envelope/s:Header/wsa:MessageID");

            g_assert_true(g_str_has_prefix(id,
                                           "uuid:00000000-8086-8086-8086-"));
        }
        if (g_str_has_suffix(a.action, "/Enumerate") && r->status == 200) {
            g_free(context);
            context = xp(r, "//wsen:EnumerationContext");
            g_assert_cmpuint(strlen(context), ==, 36);
        }
        if (g_str_has_suffix(a.action, "/Pull")) {
            /* everything fits one Pull of 512/999: the sequence ends */
            g_assert_cmpint(xp_count(r, "//wsen:EndOfSequence"), ==, 1);
            g_assert_cmpint(xp_count(r, "//wsen:PullResponse/"
                                     "wsen:EnumerationContext"), ==, 0);
        }
        asked_clear(&a);
    }
    g_test_message("%u answered, %u denied, %u checked in detail",
                   answered, denied, checked);
    g_assert_cmpuint(answered + denied, ==, captures->len);
    g_assert_cmpuint(vamt_wsman_open_contexts(e->ws), ==, 0);
    env_free(e);
}

/* The exchanges of docs/specs/vamt-wsman.rst, "Example exchanges" */

/* Our MessageIDs count up; compare the bodies without them. */
static char *normalize_message_id(const char *body)
{
    GRegex *re = g_regex_new("uuid:00000000-8086-8086-8086-[0-9A-F]{12}",
                             0, 0, NULL);
    char *out = g_regex_replace_literal(re, body, -1, 0,
                                        "uuid:00000000-8086-8086-8086-X",
                                        0, NULL);

    g_regex_unref(re);
    return out;
}

static void test_spec_identify(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    static const char request[] =
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"" NS_SOAP "\" "
        "xmlns:wsmid=\"http://schemas.dmtf.org/wbem/wsman/identity/1/"
        "wsmanidentity.xsd\"><s:Header/><s:Body><wsmid:Identify/></s:Body>"
        "</s:Envelope>";
    static const char expected[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope xmlns:a=\"http:/"
        "/www.w3.org/2003/05/soap-envelope\" xmlns:b=\"http://schemas.dmtf.org/"
        "wbem/wsman/identity/1/wsmanidentity.xsd\"><a:Header></a:Header><a:Body"
        "><b:IdentifyResponse><b:ProtocolVersion>http://schemas.dmtf.org/wbem/w"
        "sman/1/wsman.xsd</b:ProtocolVersion><b:ProductVendor>Intel Corporation"
        "</b:ProductVendor><b:ProductVersion>AMT 16.1</b:ProductVersion><b:Secu"
        "rityProfiles><b:SecurityProfileName>http://schemas.dmtf.org/wbem/wsman"
        "/1/wsman/secprofile/http/digest</b:SecurityProfileName><b:SecurityProf"
        "ileName>http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/di"
        "gest</b:SecurityProfileName></b:SecurityProfiles></b:IdentifyResponse>"
        "</a:Body></a:Envelope>";
    g_autoptr(Reply) anon = post(e, "/wsman", NULL, request);
    g_autoptr(Reply) authed = post(e, "/wsman", "admin", request);

    g_assert_cmpint(anon->status, ==, 200);
    g_assert_cmpstr(anon->body->str, ==, expected);
    g_assert_cmpstr(authed->body->str, ==, expected);
    g_assert_true(vamt_wsman_is_identify((const uint8_t *)request,
                                         strlen(request)));
    env_free(e);
}

static void test_spec_get_software_identity(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    static const char request[] =
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:"
        "wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" xmlns:wsman="
        "\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header><wsa:Acti"
        "on s:mustUnderstand=\"true\">http://schemas.xmlsoap.org/ws/2004/09/tra"
        "nsfer/Get</wsa:Action><wsa:To s:mustUnderstand=\"true\">http://127.0.0"
        ".1:16992/wsman</wsa:To><wsman:ResourceURI s:mustUnderstand=\"true\">ht"
        "tp://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity</"
        "wsman:ResourceURI><wsa:MessageID s:mustUnderstand=\"true\">6c1f0f5e-3b"
        "0a-4a43-9a2e-0d6c8d1f4e21</wsa:MessageID><wsa:ReplyTo><wsa:Address>htt"
        "p://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:Addr"
        "ess></wsa:ReplyTo><wsman:SelectorSet><wsman:Selector Name=\"InstanceID"
        "\">AMT</wsman:Selector></wsman:SelectorSet></s:Header><s:Body/></s:Env"
        "elope>";
    static const char expected[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope xmlns:a=\"http:/"
        "/www.w3.org/2003/05/soap-envelope\" xmlns:b=\"http://schemas.xmlsoap.o"
        "rg/ws/2004/08/addressing\" xmlns:c=\"http://schemas.dmtf.org/wbem/wsma"
        "n/1/wsman.xsd\" xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/02/trust"
        "\" xmlns:e=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-w"
        "ssecurity-secext-1.0.xsd\" xmlns:f=\"http://schemas.dmtf.org/wbem/wsma"
        "n/1/cimbinding.xsd\" xmlns:g=\"http://schemas.dmtf.org/wbem/wscim/1/ci"
        "m-schema/2/CIM_SoftwareIdentity\" xmlns:h=\"http://schemas.dmtf.org/wb"
        "em/wscim/1/common\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-insta"
        "nce\"><a:Header><b:To>http://schemas.xmlsoap.org/ws/2004/08/addressing"
        "/role/anonymous</b:To><b:RelatesTo>6c1f0f5e-3b0a-4a43-9a2e-0d6c8d1f4e2"
        "1</b:RelatesTo><b:Action a:mustUnderstand=\"true\">http://schemas.xmls"
        "oap.org/ws/2004/09/transfer/GetResponse</b:Action><b:MessageID>uuid:00"
        "000000-8086-8086-8086-X</b:MessageID><c:ResourceURI>http://schemas.dmt"
        "f.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity</c:ResourceURI></"
        "a:Header><a:Body><g:CIM_SoftwareIdentity><g:InstanceID>AMT</g:Instance"
        "ID><g:IsEntity>true</g:IsEntity><g:VersionString>16.1.25</g:VersionStr"
        "ing></g:CIM_SoftwareIdentity></a:Body></a:Envelope>";
    g_autoptr(Reply) r = post(e, "/wsman", "admin", request);
    g_autofree char *got = normalize_message_id(r->body->str);
    g_autofree char *nope = g_strdup(request);
    g_autoptr(Reply) bad = NULL;

    g_assert_cmpint(r->status, ==, 200);
    g_assert_cmpstr(got, ==, expected);
    /* the counter: uuid:...-000000000001 for the first answer */
    assert_xp(r, "/s:Envelope/s:Header/wsa:MessageID",
              "uuid:00000000-8086-8086-8086-000000000001");

    memcpy(strstr(nope, ">AMT<") + 1, "XYZ", 3);
    bad = post(e, "/wsman", "admin", nope);
    assert_fault(bad, 400, "b:DestinationUnreachable");
    assert_xp(bad, "/s:Envelope/s:Header/wsa:RelatesTo",
              "6c1f0f5e-3b0a-4a43-9a2e-0d6c8d1f4e21");
    env_free(e);
}

static const char csp_enumerate[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?><Envelope xmlns:xsi=\"http:/"
    "/www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/20"
    "01/XMLSchema\" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/address"
    "ing\" xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" xmlns"
    "=\"http://www.w3.org/2003/05/soap-envelope\"><Header><a:Action>http://"
    "schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate</a:Action><a:To>/"
    "wsman</a:To><w:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/cim-sc"
    "hema/2/CIM_ComputerSystemPackage</w:ResourceURI><a:MessageID>7</a:Mess"
    "ageID><a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addr"
    "essing/role/anonymous</a:Address></a:ReplyTo><w:OperationTimeout>PT60S"
    "</w:OperationTimeout></Header><Body><Enumerate xmlns=\"http://schemas."
    "xmlsoap.org/ws/2004/09/enumeration\" /></Body></Envelope>";

static const char csp_items[] =
    "<a:Body><g:PullResponse><g:Items><h:CIM_ComputerSystemPackage><h:Antec"
    "edent><b:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role"
    "/anonymous</b:Address><b:ReferenceParameters><c:ResourceURI>http://sch"
    "emas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Chassis</c:ResourceURI><c:"
    "SelectorSet><c:Selector Name=\"CreationClassName\">CIM_Chassis</c:Sele"
    "ctor><c:Selector Name=\"Tag\">CIM_Chassis</c:Selector></c:SelectorSet>"
    "</b:ReferenceParameters></h:Antecedent><h:Dependent><b:Address>http://"
    "schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:Address><b"
    ":ReferenceParameters><c:ResourceURI>http://schemas.dmtf.org/wbem/wscim"
    "/1/cim-schema/2/CIM_ComputerSystem</c:ResourceURI><c:SelectorSet><c:Se"
    "lector Name=\"CreationClassName\">CIM_ComputerSystem</c:Selector><c:Se"
    "lector Name=\"Name\">ManagedSystem</c:Selector></c:SelectorSet></b:Ref"
    "erenceParameters></h:Dependent><h:PlatformGUID>3F2504E04F8941D39A0C030"
    "5E82C3301</h:PlatformGUID></h:CIM_ComputerSystemPackage></g:Items><g:E"
    "ndOfSequence></g:EndOfSequence></g:PullResponse></a:Body>";

static void replace_once(GString *s, const char *from, const char *to)
{
    const char *at = strstr(s->str, from);

    g_assert_nonnull(at);
    g_string_erase(s, at - s->str, strlen(from));
    g_string_insert(s, at - s->str, to);
}

static char *csp_pull(const char *context, bool max_elements)
{
    g_autofree char *req = g_strdup(csp_enumerate);
    g_autofree char *pull = g_strdup_printf(
        "<Pull xmlns=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\">"
        "<EnumerationContext>%s</EnumerationContext>%s</Pull>", context,
        max_elements ? "<MaxElements>999</MaxElements><MaxCharacters>"
                       "99999</MaxCharacters>" : "");
    GString *s = g_string_new(req);

    replace_once(s, "enumeration/Enumerate<", "enumeration/Pull<");
    replace_once(s, "<a:MessageID>7<", "<a:MessageID>8<");
    replace_once(s, "<Enumerate xmlns=\"http://schemas.xmlsoap.org/ws/"
                 "2004/09/enumeration\" />", pull);
    return g_string_free(s, FALSE);
}

static void test_spec_enumerate_pull(void)
{
    Env *e = env_new(VAMT_POWER_ON);

    for (int with_max = 0; with_max < 2; with_max++) {
        g_autoptr(Reply) r1 = post(e, "/wsman", "admin", csp_enumerate);
        g_autofree char *ctx = xp(r1, "//wsen:EnumerationContext");
        g_autofree char *expected_enum = g_strdup_printf(
            "<a:Body><g:EnumerateResponse><g:EnumerationContext>%s"
            "</g:EnumerationContext></g:EnumerateResponse></a:Body>", ctx);
        g_autofree char *pull = csp_pull(ctx, with_max);
        g_autoptr(Reply) r2 = NULL;
        g_autoptr(Reply) r3 = NULL;

        assert_ok(r1, NS_ENUM "/EnumerateResponse");
        assert_xp(r1, "/s:Envelope/s:Header/wsa:RelatesTo", "7");
        g_assert_nonnull(strstr(r1->body->str, expected_enum));
        g_assert_true(g_regex_match_simple(
            "^[0-9A-F]{8}-0000-0000-0000-000000000000$", ctx, 0, 0));
        g_assert_nonnull(strstr(r1->body->str, " xmlns:g=\"" NS_ENUM
                                "\" xmlns:xsi="));

        r2 = post(e, "/wsman", "admin", pull);
        assert_ok(r2, NS_ENUM "/PullResponse");
        assert_xp(r2, "/s:Envelope/s:Header/wsa:RelatesTo", "8");
        g_assert_nonnull(strstr(r2->body->str, " xmlns:g=\"" NS_ENUM
                                "\" xmlns:h=\"" CIM
                                "CIM_ComputerSystemPackage\""));
        g_assert_nonnull(strstr(r2->body->str, csp_items));

        r3 = post(e, "/wsman", "admin", pull);
        assert_fault(r3, 400, "c:InvalidEnumerationContext");
        assert_xp(r3, "/s:Envelope/s:Header/wsa:RelatesTo", "8");
    }
    env_free(e);
}

static const char power_on_request[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?><Envelope xmlns:xsi=\"http:/"
    "/www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/20"
    "01/XMLSchema\" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/address"
    "ing\" xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" xmlns"
    "=\"http://www.w3.org/2003/05/soap-envelope\"><Header><a:Action>http://"
    "schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_PowerManagementService/"
    "RequestPowerStateChange</a:Action><a:To>/wsman</a:To><w:ResourceURI>ht"
    "tp://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_PowerManagementSer"
    "vice</w:ResourceURI><a:MessageID>21</a:MessageID><a:ReplyTo><a:Address"
    ">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Ad"
    "dress></a:ReplyTo><w:OperationTimeout>PT60S</w:OperationTimeout></Head"
    "er><Body><h:RequestPowerStateChange_INPUT xmlns:h=\"http://schemas.dmt"
    "f.org/wbem/wscim/1/cim-schema/2/CIM_PowerManagementService\"><h:PowerS"
    "tate>2</h:PowerState><h:ManagedElement><Address xmlns=\"http://schemas"
    ".xmlsoap.org/ws/2004/08/addressing\">http://schemas.xmlsoap.org/ws/200"
    "4/08/addressing</Address><ReferenceParameters xmlns=\"http://schemas.x"
    "mlsoap.org/ws/2004/08/addressing\"><ResourceURI xmlns=\"http://schemas"
    ".dmtf.org/wbem/wsman/1/wsman.xsd\">http://schemas.dmtf.org/wbem/wscim/"
    "1/cim-schema/2/CIM_ComputerSystem</ResourceURI><SelectorSet xmlns=\"ht"
    "tp://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><Selector Name=\"Creati"
    "onClassName\">CIM_ComputerSystem</Selector><Selector Name=\"Name\">Man"
    "agedSystem</Selector></SelectorSet></ReferenceParameters></h:ManagedEl"
    "ement></h:RequestPowerStateChange_INPUT></Body></Envelope>";

static void test_spec_power_on(void)
{
    Env *e = env_new(VAMT_POWER_OFF_SOFT);
    g_autoptr(Reply) r = post(e, "/wsman", "admin", power_on_request);
    g_autoptr(Reply) again = NULL;
    g_autoptr(Reply) state = NULL;
    g_autoptr(Reply) audit = NULL;
    g_autoptr(Reply) reset = NULL;
    g_autofree char *reset_request = NULL;
    g_autofree char *record_b64 = NULL;
    g_autofree guchar *record = NULL;
    gsize record_len;

    assert_ok(r, CIM "CIM_PowerManagementService/"
              "RequestPowerStateChangeResponse");
    g_assert_nonnull(strstr(r->body->str,
        "<b:RelatesTo>21</b:RelatesTo><b:Action a:mustUnderstand=\"true\">"
        CIM "CIM_PowerManagementService/RequestPowerStateChangeResponse"
        "</b:Action>"));
    g_assert_nonnull(strstr(r->body->str,
        "<c:ResourceURI>" CIM "CIM_PowerManagementService</c:ResourceURI>"
        "</a:Header><a:Body><g:RequestPowerStateChange_OUTPUT>"
        "<g:ReturnValue>0</g:ReturnValue></g:RequestPowerStateChange_OUTPUT>"
        "</a:Body></a:Envelope>"));
    g_assert_nonnull(strstr(r->body->str, " xmlns:g=\"" CIM
                            "CIM_PowerManagementService\""));
    g_assert_cmpuint(e->fake.power_requests->len, ==, 1);
    g_assert_cmpint(e->fake.power, ==, VAMT_POWER_ON);

    state = enumerate_all(e, CIM "CIM_ServiceAvailableToElement", NULL);
    assert_xp(state, "//wsen:Items/ */ *[local-name()='PowerState']", "2");
    g_assert_nonnull(strstr(state->body->str, "<h:PowerState>2"
                            "</h:PowerState>"));

    audit = invoke(e, AMT "AMT_AuditLog", "ReadRecords",
                   "<r:StartIndex>1</r:StartIndex>");
    assert_prop(audit, "TotalRecordCount", "1");
    assert_prop(audit, "RecordsReturned", "1");
    record_b64 = prop(audit, "EventRecords");
    record = g_base64_decode(record_b64, &record_len);
    g_assert_cmpuint(record_len, >=, 4 + 2 + 5 + 4);
    /* AuditAppID 17 (remote control), EventID 0 (power up), by admin */
    g_assert_cmpint(record[0] << 8 | record[1], ==, 17);
    g_assert_cmpint(record[2] << 8 | record[3], ==, 0);
    g_assert_cmpint(record[4], ==, 0);
    g_assert_cmpint(record[5], ==, 5);
    g_assert_cmpmem(record + 6, 5, "admin", 5);

    again = post(e, "/wsman", "admin", power_on_request);
    assert_prop(again, "ReturnValue", "2");
    g_assert_cmpuint(e->fake.power_requests->len, ==, 1);

    reset_request = g_strdup(power_on_request);
    memcpy(strstr(reset_request, "<h:PowerState>2<") + 14, "9", 1);
    reset = post(e, "/wsman", "admin", reset_request);
    assert_prop(reset, "ReturnValue", "0");
    g_assert_cmpint(g_array_index(e->fake.power_requests, VamtPowerState, 1),
                    ==, VAMT_POWER_CYCLE_HARD);
    env_free(e);
}

static void test_spec_unknown_class(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autofree char *req = envelope(NS_XFER "/Get", AMT "AMT_DoesNotExist",
                                    "42", NULL, NULL);
    g_autoptr(Reply) r = post(e, "/wsman", "admin", req);
    g_autofree char *got = normalize_message_id(r->body->str);
    static const char expected[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope xmlns:a=\"http:/"
        "/www.w3.org/2003/05/soap-envelope\" xmlns:b=\"http://schemas.xmlsoap.o"
        "rg/ws/2004/08/addressing\" xmlns:c=\"http://schemas.xmlsoap.org/ws/200"
        "4/09/enumeration\" xmlns:d=\"http://schemas.xmlsoap.org/ws/2004/09/tra"
        "nsfer\" xmlns:e=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" xml"
        "ns:f=\"http://schemas.xmlsoap.org/ws/2004/08/eventing\" xmlns:g=\"http"
        "://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd\" xmlns:h=\"http://sch"
        "emas.xmlsoap.org/ws/2005/02/trust\" xmlns:i=\"http://docs.oasis-open.o"
        "rg/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\" xmlns:xsi="
        "\"http://www.w3.org/2001/XMLSchema-instance\"><a:Header><b:To>http://s"
        "chemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:To><b:Relat"
        "esTo>42</b:RelatesTo><b:Action a:mustUnderstand=\"true\">http://schema"
        "s.xmlsoap.org/ws/2004/08/addressing/fault</b:Action><b:MessageID>uuid:"
        "00000000-8086-8086-8086-X</b:MessageID></a:Header><a:Body><a:Fault><a:"
        "Code><a:Value>a:Sender</a:Value><a:Subcode><a:Value>b:DestinationUnrea"
        "chable</a:Value></a:Subcode></a:Code><a:Reason><a:Text xml:lang=\"en-U"
        "S\">No route can be determined to reach the destination role defined b"
        "y the WSAddressing To.</a:Text></a:Reason><a:Detail></a:Detail></a:Fau"
        "lt></a:Body></a:Envelope>";

    g_assert_cmpint(r->status, ==, 400);
    g_assert_cmpstr(got, ==, expected);
    env_free(e);
}

/* Hostile and malformed bodies */

static void test_malformed(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    static const char *const schema_errors[] = {
        "<Envelope><Header>",
        "not xml at all",
        "<?xml version=\"1.0\"?><a/><b/>",
        "<Envelope xmlns=\"" NS_SOAP "\"><Header/></Envelope>",
        "<Foo><Body/></Foo>",
        "<Envelope><Body><x>&undefined;</x></Body></Envelope>",
        "\x01\x02\xfd garbage",
    };
    static const char *const doctypes[] = {
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
        "<Envelope><Body>&lol2;</Body></Envelope>",
        "<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY x SYSTEM "
        "\"file:///etc/passwd\">]><Envelope><Body>&x;</Body></Envelope>",
        "<?xml version=\"1.0\"?><!DOCTYPE e SYSTEM \"http://127.0.0.1:1/"
        "x.dtd\"><Envelope><Body/></Envelope>",
    };
    GString *deep = g_string_new("<Envelope><Body>");
    GString *very_deep = g_string_new("<Envelope><Body>");
    GString *big = g_string_new("<Envelope><Header><a:Action xmlns:a=\""
                                NS_WSA "\">");
    g_autofree char *no_action = envelope("", CIM "CIM_SoftwareIdentity",
                                          "5", NULL, NULL);
    static const uint8_t utf16[] = { 0xff, 0xfe, '<', 0, 'a', 0, '/', 0,
                                     '>', 0 };

    for (unsigned i = 0; i < G_N_ELEMENTS(schema_errors); i++) {
        g_autoptr(Reply) r = post(e, "/wsman", "admin", schema_errors[i]);

        assert_fault(r, 400, "e:SchemaValidationError");
        /* unauthenticated garbage is just unauthenticated */
        reply_free(post(e, "/wsman", NULL, schema_errors[i]));
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(doctypes); i++) {
        g_autoptr(Reply) r = post(e, "/wsman", "admin", doctypes[i]);

        assert_fault(r, 400, "e:SchemaValidationError");
        g_assert_null(strstr(r->body->str, "root:"));
    }
    for (int i = 0; i < 70; i++) {
        g_string_append(deep, "<x>");
    }
    for (int i = 0; i < 50000; i++) {
        g_string_append(very_deep, "<x>");
    }
    {
        g_autoptr(Reply) r1 = post(e, "/wsman", "admin", deep->str);
        g_autoptr(Reply) r2 = post(e, "/wsman", "admin", very_deep->str);
        g_autoptr(Reply) r3 = post_bytes(e, "/wsman", "admin", "", 0);
        g_autoptr(Reply) r4 = post_bytes(e, "/wsman", "admin", utf16,
                                         sizeof(utf16));
        g_autoptr(Reply) r5 = post(e, "/wsman", "admin", no_action);
        g_autoptr(Reply) r6 = post_bytes(e, "/wsman", "admin",
                                         "<a>\0</a>", 8);
        g_autoptr(Reply) r7 = post_bytes(e, "/wsman", NULL, "", 0);

        assert_fault(r1, 400, "e:SchemaValidationError");
        assert_fault(r2, 400, "e:SchemaValidationError");
        assert_fault(r3, 400, "e:SchemaValidationError");
        assert_fault(r4, 400, "e:EncodingLimit");
        assert_fault(r5, 400, "b:ActionNotSupported");
        assert_xp(r5, "/s:Envelope/s:Header/wsa:RelatesTo", "5");
        assert_fault(r6, 400, "e:SchemaValidationError");
        g_assert_cmpint(r7->status, ==, 401);
    }
    while (big->len <= VAMT_WSMAN_MAX_BODY) {
        g_string_append(big, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    }
    g_string_append(big, "</a:Action></Header><Body/></Envelope>");
    {
        g_autoptr(Reply) r = post(e, "/wsman", "admin", big->str);

        assert_fault(r, 400, "e:EncodingLimit");
    }
    g_string_free(deep, TRUE);
    g_string_free(very_deep, TRUE);
    g_string_free(big, TRUE);
    env_free(e);
}

static void test_header_rules(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) small_env = wsman(e, NS_XFER "/Get",
        CIM "CIM_SoftwareIdentity",
        "<w:MaxEnvelopeSize>1000</w:MaxEnvelopeSize>", NULL);
    g_autoptr(Reply) big_env = wsman(e, NS_XFER "/Get",
        CIM "CIM_SoftwareIdentity",
        "<w:MaxEnvelopeSize>153600</w:MaxEnvelopeSize>", NULL);
    g_autoptr(Reply) options = wsman(e, NS_XFER "/Get",
        CIM "CIM_SoftwareIdentity",
        "<w:OptionSet mustUnderstand=\"true\"><w:Option Name=\"x\">1"
        "</w:Option></w:OptionSet>", NULL);
    g_autoptr(Reply) lax_options = wsman(e, NS_XFER "/Get",
        CIM "CIM_SoftwareIdentity",
        "<w:OptionSet><w:Option Name=\"x\">1</w:Option></w:OptionSet>", NULL);
    g_autoptr(Reply) bad_key = get(e, CIM "CIM_SoftwareIdentity",
        "<w:SelectorSet><w:Selector Name=\"Bogus\">AMT</w:Selector>"
        "</w:SelectorSet>");
    g_autoptr(Reply) subscribe = wsman(e, NS_WSA "/../eventing/Subscribe",
                                       CIM "CIM_SoftwareIdentity", NULL,
                                       NULL);
    g_autoptr(Reply) unknown_method = invoke(e, AMT "AMT_GeneralSettings",
                                             "AMTAuthenticate",
                                             "<r:MC_Nonce>AA==</r:MC_Nonce>");
    g_autoptr(Reply) not_found = wsman(e, NS_XFER "/Delete",
        IPS "IPS_AlarmClockOccurrence", NULL, NULL);
    g_autoptr(Reply) anon_get = NULL;
    g_autofree char *get_req = envelope(NS_XFER "/Get",
                                        AMT "AMT_GeneralSettings", "1",
                                        NULL, NULL);

    assert_fault(small_env, 400, "e:EncodingLimit");
    assert_ok(big_env, NS_XFER "/GetResponse");
    assert_xp(options, "/s:Envelope/s:Body/s:Fault/s:Code/s:Value",
              "a:MustUnderstand");
    g_assert_cmpint(options->status, ==, 400);
    assert_ok(lax_options, NS_XFER "/GetResponse");
    assert_fault(bad_key, 400, "e:InvalidSelectors");
    assert_fault(subscribe, 400, "b:ActionNotSupported");
    assert_fault(unknown_method, 400, "b:ActionNotSupported");
    assert_fault(not_found, 400, "b:DestinationUnreachable");

    anon_get = post(e, "/wsman", NULL, get_req);
    g_assert_cmpint(anon_get->status, ==, 401);
    g_assert_false(vamt_wsman_is_identify((uint8_t *)get_req,
                                          strlen(get_req)));
    env_free(e);
}

/* Operations */

static void test_put_general_settings(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) put = wsman(e, NS_XFER "/Put", AMT "AMT_GeneralSettings",
        NULL,
        "<r:AMT_GeneralSettings xmlns:r=\"" AMT "AMT_GeneralSettings\">"
        "<r:InstanceID>Intel(r) AMT: General Settings</r:InstanceID>"
        "<r:DigestRealm>Digest:0000</r:DigestRealm>"
        "<r:HostName>guest-7</r:HostName><r:DomainName>example.org"
        "</r:DomainName><r:PingResponseEnabled>false</r:PingResponseEnabled>"
        "</r:AMT_GeneralSettings>");
    g_autoptr(Reply) after = get(e, AMT "AMT_GeneralSettings", NULL);
    g_autoptr(Reply) bad = wsman(e, NS_XFER "/Put", AMT "AMT_GeneralSettings",
        NULL, "<r:AMT_GeneralSettings xmlns:r=\"" AMT "AMT_GeneralSettings\">"
        "<r:PingResponseEnabled>maybe</r:PingResponseEnabled>"
        "</r:AMT_GeneralSettings>");
    g_autoptr(Reply) read_only = wsman(e, NS_XFER "/Put",
        CIM "CIM_SoftwareIdentity", NULL, "<x/>");

    assert_ok(put, NS_XFER "/PutResponse");
    assert_prop(put, "HostName", "guest-7");
    assert_prop(after, "HostName", "guest-7");
    assert_prop(after, "DomainName", "example.org");
    assert_prop(after, "PingResponseEnabled", "false");
    /* read-only values are ignored, as AMT does */
    assert_prop(after, "DigestRealm", REALM);
    assert_fault(bad, 400, "e:InvalidParameter");
    assert_prop(after, "PingResponseEnabled", "false");
    assert_fault(read_only, 400, "b:ActionNotSupported");
    env_free(e);
}

static const char boot_config_epr[] =
    "<r:BootConfigSetting><Address xmlns=\"" NS_WSA "\">" NS_WSA
    "/role/anonymous</Address><ReferenceParameters xmlns=\"" NS_WSA "\">"
    "<ResourceURI xmlns=\"" NS_WSMAN "\">" CIM "CIM_BootConfigSetting"
    "</ResourceURI><SelectorSet xmlns=\"" NS_WSMAN "\"><Selector Name="
    "\"InstanceID\">Intel(r) AMT: Boot Configuration 0</Selector>"
    "</SelectorSet></ReferenceParameters></r:BootConfigSetting>"
    "<r:Role>1</r:Role>";

static const char pxe_source[] =
    "<r:Source><Address xmlns=\"" NS_WSA "\">" NS_WSA "/role/anonymous"
    "</Address><ReferenceParameters xmlns=\"" NS_WSA "\"><ResourceURI "
    "xmlns=\"" NS_WSMAN "\">" CIM "CIM_BootSourceSetting</ResourceURI>"
    "<SelectorSet xmlns=\"" NS_WSMAN "\"><Selector Name=\"InstanceID\">"
    "Intel(r) AMT: Force PXE Boot</Selector></SelectorSet>"
    "</ReferenceParameters></r:Source>";

/*
 * The MeshCommander power-with-boot-options flow
 * (docs/specs/vamt-wsman.rst, "What the consoles send")
 */
static void test_boot_flow(void)
{
    Env *e = env_new(VAMT_POWER_OFF_SOFT);
    GArray *targets = e->fake.boot_targets;
    g_autoptr(Reply) settings = get(e, AMT "AMT_BootSettingData", NULL);
    g_autoptr(Reply) clear = invoke(e, CIM "CIM_BootConfigSetting",
                                    "ChangeBootOrder", NULL);
    g_autoptr(Reply) put = wsman(e, NS_XFER "/Put", AMT "AMT_BootSettingData",
        NULL, "<r:AMT_BootSettingData xmlns:r=\"" AMT "AMT_BootSettingData\">"
        "<r:BIOSSetup>false</r:BIOSSetup><r:UseSOL>false</r:UseSOL>"
        "<r:FirmwareVerbosity>0</r:FirmwareVerbosity>"
        "</r:AMT_BootSettingData>");
    g_autoptr(Reply) role = invoke(e, CIM "CIM_BootService",
                                   "SetBootConfigRole", boot_config_epr);
    g_autoptr(Reply) pxe = invoke(e, CIM "CIM_BootConfigSetting",
                                  "ChangeBootOrder", pxe_source);
    g_autoptr(Reply) pending = NULL;
    g_autoptr(Reply) cleared = NULL;
    g_autoptr(Reply) sources = NULL;
    g_autoptr(Reply) bad_verbosity = NULL;

    assert_ok(settings, NS_XFER "/GetResponse");
    assert_prop(settings, "OptionsCleared", "true");
    assert_prop(settings, "InstanceID", "Intel(r) AMT:BootSettingData 0");
    assert_prop(clear, "ReturnValue", "0");
    assert_ok(put, NS_XFER "/PutResponse");
    assert_prop(role, "ReturnValue", "0");
    assert_prop(pxe, "ReturnValue", "0");
    g_assert_cmpuint(targets->len, >=, 4);
    g_assert_cmpint(g_array_index(targets, VamtBootTarget, targets->len - 1),
                    ==, VAMT_BOOT_PXE);
    pending = get(e, AMT "AMT_BootSettingData", NULL);
    assert_prop(pending, "OptionsCleared", "false");

    /* the next boot spends the options */
    vamt_amt_notify_boot(e->amt);
    cleared = get(e, AMT "AMT_BootSettingData", NULL);
    assert_prop(cleared, "OptionsCleared", "true");
    g_assert_cmpuint(vamt_amt_state(e->amt)->event_count, ==, 1);

    sources = enumerate_all(e, CIM "CIM_BootSourceSetting", NULL);
    g_assert_cmpint(xp_count(sources, "//wsen:Items/ *"), ==, 3);
    bad_verbosity = wsman(e, NS_XFER "/Put", AMT "AMT_BootSettingData", NULL,
        "<r:AMT_BootSettingData xmlns:r=\"" AMT "AMT_BootSettingData\">"
        "<r:FirmwareVerbosity>9</r:FirmwareVerbosity>"
        "</r:AMT_BootSettingData>");
    assert_fault(bad_verbosity, 400, "e:InvalidParameter");
    env_free(e);
}

/* What the platform cannot boot is refused, and nothing stays pending */
static void test_boot_refused(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) role = NULL;
    g_autoptr(Reply) pxe = NULL;
    g_autoptr(Reply) after = NULL;
    g_autoptr(Reply) setup = NULL;

    /* a VM without a network card; SeaBIOS, which has no setup */
    e->fake.boot_refused = 1u << VAMT_BOOT_PXE | 1u << VAMT_BOOT_BIOS_SETUP;
    role = invoke(e, CIM "CIM_BootService", "SetBootConfigRole",
                  boot_config_epr);
    assert_prop(role, "ReturnValue", "0");
    pxe = invoke(e, CIM "CIM_BootConfigSetting", "ChangeBootOrder",
                 pxe_source);
    assert_prop(pxe, "ReturnValue", "1");
    after = get(e, AMT "AMT_BootSettingData", NULL);
    assert_prop(after, "OptionsCleared", "true");
    g_assert_cmpint(vamt_amt_state(e->amt)->boot.boot_source, ==,
                    VAMT_BOOT_DEFAULT);

    setup = wsman(e, NS_XFER "/Put", AMT "AMT_BootSettingData", NULL,
        "<r:AMT_BootSettingData xmlns:r=\"" AMT "AMT_BootSettingData\">"
        "<r:BIOSSetup>true</r:BIOSSetup></r:AMT_BootSettingData>");
    g_assert_cmpint(setup->status, ==, 400);
    g_assert_false(vamt_amt_state(e->amt)->boot.bios_setup);
    env_free(e);
}

static void test_enumeration_modes(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) epr = enumerate_all(e, CIM "CIM_PowerManagementService",
        "<w:EnumerationMode xmlns:w=\"" NS_WSMAN "\">EnumerateEPR"
        "</w:EnumerationMode>");
    g_autoptr(Reply) both = enumerate_all(e, CIM "CIM_SoftwareIdentity",
        "<w:EnumerationMode xmlns:w=\"" NS_WSMAN "\">EnumerateObjectAndEPR"
        "</w:EnumerationMode>");
    g_autoptr(Reply) poly = enumerate_all(e, CIM "CIM_PhysicalPackage",
                                          NULL);

    assert_xp(epr, "//wsen:Items/wsa:EndpointReference/wsa:ReferenceParameters"
              "/wsman:SelectorSet/wsman:Selector[@Name='Name']",
              "Intel(r) AMT Power Management Service");
    g_assert_cmpint(xp_count(epr, "//wsman:Selector"), ==, 4);
    g_assert_cmpint(xp_count(both, "//wsen:Items/wsman:Item"), ==, 11);
    g_assert_cmpint(xp_count(both, "//wsman:Item/wsa:EndpointReference"),
                    ==, 11);
    /* one prefix per item class: h = CIM_Card, i = CIM_Chassis */
    g_assert_nonnull(strstr(poly->body->str, "xmlns:h=\"" CIM "CIM_Card\" "
                            "xmlns:i=\"" CIM "CIM_Chassis\""));
    g_assert_nonnull(strstr(poly->body->str, "<i:CIM_Chassis>"));
    env_free(e);
}

/* No MaxElements: one item per Pull; contexts are bounded and expire */
static void test_enumeration_contexts(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(GPtrArray) contexts = g_ptr_array_new_with_free_func(g_free);
    unsigned items = 0;
    g_autofree char *ctx = NULL;

    {
        g_autoptr(Reply) r = wsman(e, NS_ENUM "/Enumerate",
                                   CIM "CIM_SoftwareIdentity", NULL,
                                   "<Enumerate xmlns=\"" NS_ENUM "\"/>");

        ctx = xp(r, "//wsen:EnumerationContext");
    }
    for (;;) {
        g_autofree char *pull = g_strdup_printf(
            "<Pull xmlns=\"" NS_ENUM "\"><EnumerationContext>%s"
            "</EnumerationContext></Pull>", ctx);
        g_autoptr(Reply) r = wsman(e, NS_ENUM "/Pull",
                                   CIM "CIM_SoftwareIdentity", NULL, pull);
        g_autofree char *next = NULL;

        assert_ok(r, NS_ENUM "/PullResponse");
        g_assert_cmpint(xp_count(r, "//wsen:Items/ *"), ==, 1);
        items++;
        if (xp_count(r, "//wsen:EndOfSequence")) {
            g_assert_cmpint(xp_count(r, "//wsen:PullResponse/"
                                     "wsen:EnumerationContext"), ==, 0);
            break;
        }
        next = xp(r, "//wsen:PullResponse/wsen:EnumerationContext");
        g_assert_cmpstr(next, ==, ctx);
        g_assert_cmpuint(items, <, 100);
    }
    g_assert_cmpuint(items, ==, 11);

    for (int i = 0; i < VAMT_WSMAN_MAX_CONTEXTS + 4; i++) {
        g_autoptr(Reply) r = wsman(e, NS_ENUM "/Enumerate",
                                   CIM "CIM_Chassis", NULL,
                                   "<Enumerate xmlns=\"" NS_ENUM "\"/>");

        g_ptr_array_add(contexts, xp(r, "//wsen:EnumerationContext"));
        e->fake.ms += 10;
    }
    g_assert_cmpuint(vamt_wsman_open_contexts(e->ws), ==,
                     VAMT_WSMAN_MAX_CONTEXTS);
    {
        /* the oldest were dropped; a recent one is released */
        g_autofree char *oldest = g_strdup_printf(
            "<Pull xmlns=\"" NS_ENUM "\"><EnumerationContext>%s"
            "</EnumerationContext></Pull>",
            (char *)g_ptr_array_index(contexts, 0));
        g_autofree char *release = g_strdup_printf(
            "<Release xmlns=\"" NS_ENUM "\"><EnumerationContext>%s"
            "</EnumerationContext></Release>",
            (char *)g_ptr_array_index(contexts, contexts->len - 1));
        g_autoptr(Reply) r1 = wsman(e, NS_ENUM "/Pull", CIM "CIM_Chassis",
                                    NULL, oldest);
        g_autoptr(Reply) r2 = wsman(e, NS_ENUM "/Release", CIM "CIM_Chassis",
                                    NULL, release);
        g_autoptr(Reply) r3 = wsman(e, NS_ENUM "/Release", CIM "CIM_Chassis",
                                    NULL, release);

        assert_fault(r1, 400, "c:InvalidEnumerationContext");
        assert_ok(r2, NS_ENUM "/ReleaseResponse");
        assert_fault(r3, 400, "c:InvalidEnumerationContext");
    }
    g_assert_cmpuint(vamt_wsman_open_contexts(e->ws), ==,
                     VAMT_WSMAN_MAX_CONTEXTS - 1);
    e->fake.ms += VAMT_WSMAN_CONTEXT_IDLE_MS + 1;
    g_assert_cmpuint(vamt_wsman_open_contexts(e->ws), ==, 0);
    env_free(e);
}

static void test_users(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    char ha1[33];
    g_autoptr(Reply) add = invoke(e, AMT "AMT_AuthorizationService",
        "AddUserAclEntryEx",
        "<r:DigestUsername>operator</r:DigestUsername>"
        "<r:DigestPassword>0123456789ABCDEF0123456789abcdef</r:DigestPassword>"
        "<r:AccessPermission>2</r:AccessPermission>"
        "<r:Realms>5</r:Realms><r:Realms>7</r:Realms>");
    g_autoptr(Reply) dup = invoke(e, AMT "AMT_AuthorizationService",
        "AddUserAclEntryEx",
        "<r:DigestUsername>operator</r:DigestUsername>"
        "<r:DigestPassword>ASNFZ4mrze8BI0VniavN7w==</r:DigestPassword>"
        "<r:AccessPermission>2</r:AccessPermission>");
    g_autoptr(Reply) list = invoke(e, AMT "AMT_AuthorizationService",
                                   "EnumerateUserAclEntries",
                                   "<r:StartIndex>1</r:StartIndex>");
    g_autofree char *handle = prop(add, "Handle");
    g_autofree char *handle_arg = g_strdup_printf("<r:Handle>%s</r:Handle>",
                                                  handle);
    g_autoptr(Reply) entry = invoke(e, AMT "AMT_AuthorizationService",
                                    "GetUserAclEntryEx", handle_arg);
    g_autoptr(Reply) disable = NULL;
    g_autoptr(Reply) remove = NULL;
    g_autoptr(Reply) gone = NULL;
    g_autofree char *disable_arg = g_strdup_printf(
        "%s<r:Enabled>false</r:Enabled>", handle_arg);

    assert_prop(add, "ReturnValue", "0");
    assert_prop(dup, "ReturnValue", "2058");
    assert_prop(list, "TotalCount", "2");
    assert_xp(list, "// *[local-name()='Handles'][1]", "4294967295");
    assert_xp(list, "// *[local-name()='Handles'][2]", handle);
    assert_prop(entry, "DigestUsername", "operator");
    g_assert_cmpint(xp_count(entry, "// *[local-name()='Realms']"), ==, 2);
    g_assert_true(vamt_amt_user_ha1(e->amt, "operator", false, ha1));
    g_assert_cmpstr(ha1, ==, "0123456789abcdef0123456789abcdef");
    g_assert_cmphex(vamt_amt_user_realms(e->amt, "operator"), ==,
                    (1 << 5) | (1 << 7));
    g_assert_true(vamt_amt_user_ha1(e->amt, "admin", false, ha1));
    g_assert_false(vamt_amt_user_ha1(e->amt, "Admin", false, ha1));

    disable = invoke(e, AMT "AMT_AuthorizationService", "SetAclEnabledState",
                     disable_arg);
    assert_prop(disable, "ReturnValue", "0");
    g_assert_false(vamt_amt_user_ha1(e->amt, "operator", false, ha1));
    remove = invoke(e, AMT "AMT_AuthorizationService", "RemoveUserAclEntry",
                    handle_arg);
    assert_prop(remove, "ReturnValue", "0");
    gone = invoke(e, AMT "AMT_AuthorizationService", "GetUserAclEntryEx",
                  handle_arg);
    assert_prop(gone, "ReturnValue", "2053");
    env_free(e);
}

/*
 * A factory ME lists AMT's built-in hidden account, so consoles that
 * read Handles unguarded (MeshCommander) find one; it is local only and
 * cannot be changed, removed, taken or used from the network.
 */
static void test_users_os_admin(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    static const char os_admin[] = "<r:Handle>4294967295</r:Handle>";
    g_autoptr(Reply) list = invoke(e, AMT "AMT_AuthorizationService",
                                   "EnumerateUserAclEntries",
                                   "<r:StartIndex>1</r:StartIndex>");
    g_autoptr(Reply) past = invoke(e, AMT "AMT_AuthorizationService",
                                   "EnumerateUserAclEntries",
                                   "<r:StartIndex>2</r:StartIndex>");
    g_autoptr(Reply) entry = invoke(e, AMT "AMT_AuthorizationService",
                                    "GetUserAclEntryEx", os_admin);
    g_autoptr(Reply) enabled = invoke(e, AMT "AMT_AuthorizationService",
                                      "GetAclEnabledState", os_admin);
    g_autoptr(Reply) disable = invoke(e, AMT "AMT_AuthorizationService",
                                      "SetAclEnabledState",
                                      "<r:Handle>4294967295</r:Handle>"
                                      "<r:Enabled>false</r:Enabled>");
    g_autoptr(Reply) remove = invoke(e, AMT "AMT_AuthorizationService",
                                     "RemoveUserAclEntry", os_admin);
    g_autoptr(Reply) take = invoke(e, AMT "AMT_AuthorizationService",
        "AddUserAclEntryEx",
        "<r:DigestUsername>$$OsAdmin</r:DigestUsername>"
        "<r:DigestPassword>0123456789ABCDEF0123456789abcdef</r:DigestPassword>"
        "<r:AccessPermission>2</r:AccessPermission><r:Realms>3</r:Realms>");
    char ha1[33], expected[33];

    assert_prop(list, "ReturnValue", "0");
    assert_prop(list, "TotalCount", "1");
    assert_prop(list, "HandlesCount", "1");
    g_assert_cmpint(xp_count(list, "// *[local-name()='Handles']"), ==, 1);
    assert_prop(list, "Handles", "4294967295");
    assert_prop(past, "TotalCount", "1");
    g_assert_cmpint(xp_count(past, "// *[local-name()='Handles']"), ==, 0);
    assert_prop(entry, "ReturnValue", "0");
    assert_prop(entry, "DigestUsername", "$$OsAdmin");
    assert_prop(entry, "AccessPermission", "0");
    assert_prop(enabled, "Enabled", "true");
    assert_prop(disable, "ReturnValue", "16");
    assert_prop(remove, "ReturnValue", "16");
    assert_prop(take, "ReturnValue", "2058");
    /* its realms are what it can do; only LME connections may use it */
    g_assert_cmpint(xp_count(entry, "// *[local-name()='Realms']"), ==, 5);
    assert_xp(entry, "// *[local-name()='Realms'][5]", "24");
    g_assert_false(vamt_amt_user_ha1(e->amt, "$$OsAdmin", false, ha1));
    g_assert_true(vamt_amt_user_ha1(e->amt, "$$OsAdmin", true, ha1));
    vamt_digest_ha1("$$OsAdmin", vamt_amt_realm(e->amt),
                    vamt_amt_lsa_password(e->amt), expected);
    g_assert_cmpstr(ha1, ==, expected);
    g_assert_true(vamt_amt_password_is_strong(vamt_amt_lsa_password(e->amt)));
    g_assert_cmpuint(strlen(vamt_amt_lsa_password(e->amt)), ==, 32);
    env_free(e);
}

/*
 * Agent Presence as MeshCommander sets it up and MeshCmd AmtPresence
 * heartbeats it: Create, AddAction, RegisterAgent, AssertPresence; a
 * missed heartbeat expires the watchdog, logs the event the action asks
 * for and tells the platform.
 */
static Reply *agent_call(Env *e, const char *method, const char *args)
{
    static const char selector[] =
        "<w:SelectorSet><w:Selector Name=\"DeviceID\">"
        "tLaiTCVep1316LALTZRqpw==</w:Selector></w:SelectorSet>";
    g_autofree char *action = g_strdup_printf(
        AMT "AMT_AgentPresenceWatchdog/%s", method);
    g_autofree char *body = vamt_test_invoke_body(
        AMT "AMT_AgentPresenceWatchdog", method, args);

    return wsman(e, action, AMT "AMT_AgentPresenceWatchdog", selector, body);
}

static void test_agent_presence(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    static const char watchdog[] =
        "<r:AMT_AgentPresenceWatchdog xmlns:r=\"" AMT
        "AMT_AgentPresenceWatchdog\"><r:DeviceID>tLaiTCVep1316LALTZRqpw=="
        "</r:DeviceID><r:TimeoutInterval>120</r:TimeoutInterval>"
        "<r:GracePeriod>30</r:GracePeriod></r:AMT_AgentPresenceWatchdog>";
    static const uint8_t agent_id[16] = {
        0xb4, 0xb6, 0xa2, 0x4c, 0x25, 0x5e, 0xa7, 0x5d,
        0xf5, 0xe8, 0xb0, 0x0b, 0x4d, 0x94, 0x6a, 0xa7,
    };
    g_autoptr(Reply) created = wsman(e, NS_XFER "/Create",
                                     AMT "AMT_AgentPresenceWatchdog", NULL,
                                     watchdog);
    g_autoptr(Reply) twice = wsman(e, NS_XFER "/Create",
                                   AMT "AMT_AgentPresenceWatchdog", NULL,
                                   watchdog);
    g_autoptr(Reply) early = agent_call(e, "AssertPresence",
                                        "<r:SequenceNumber>5"
                                        "</r:SequenceNumber>");
    g_autoptr(Reply) sd = agent_call(e, "AddAction",
                                     "<r:OldState>4</r:OldState>"
                                     "<r:NewState>8</r:NewState>"
                                     "<r:EventOnTransition>true"
                                     "</r:EventOnTransition><r:ActionSd>x"
                                     "</r:ActionSd>");
    g_autoptr(Reply) action = agent_call(e, "AddAction",
                                         "<r:OldState>4</r:OldState>"
                                         "<r:NewState>8</r:NewState>"
                                         "<r:EventOnTransition>true"
                                         "</r:EventOnTransition>");
    g_autoptr(Reply) actions = enumerate_all(
        e, AMT "AMT_AgentPresenceWatchdogAction", NULL);
    g_autoptr(Reply) reg = agent_call(e, "RegisterAgent", "");
    g_autoptr(Reply) replay = NULL, beat = NULL, running = NULL;
    g_autoptr(Reply) expired = NULL, late = NULL, caps = NULL;
    g_autofree char *seq_text = NULL, *args = NULL, *old_args = NULL;
    VamtAmtState *s = vamt_amt_state(e->amt);
    uint32_t events, seq;

    assert_ok(created, NS_XFER "/CreateResponse");
    assert_xp(created, "//wxf:ResourceCreated//wsman:Selector"
              "[@Name='DeviceID']", "tLaiTCVep1316LALTZRqpw==");
    assert_fault(twice, 400, "e:AlreadyExists");
    assert_prop(early, "ReturnValue", "2");         /* not registered */
    assert_prop(sd, "ReturnValue", "36");           /* no System Defense */
    assert_prop(action, "ReturnValue", "0");
    assert_xp(actions, "// *[local-name()='NewState']", "8");
    assert_prop(reg, "ReturnValue", "0");
    assert_prop(reg, "TimeoutInterval", "120");
    seq_text = xp(reg, "// *[local-name()='SessionSequenceNumber']");
    seq = g_ascii_strtoull(seq_text, NULL, 10);
    g_assert_cmpuint(seq, !=, 0);

    /* the grace period and a timeout pass; a heartbeat just in time */
    e->fake.ms += (30 + 119) * 1000;
    vamt_agent_check(e->amt);
    args = g_strdup_printf("<r:SequenceNumber>%u</r:SequenceNumber>",
                           seq + 1);
    beat = agent_call(e, "AssertPresence", args);
    assert_prop(beat, "ReturnValue", "0");
    old_args = g_strdup_printf("<r:SequenceNumber>%u</r:SequenceNumber>",
                               seq);
    replay = agent_call(e, "AssertPresence", old_args);
    assert_prop(replay, "ReturnValue", "36");
    running = get(e, AMT "AMT_AgentPresenceWatchdog",
                  "<w:SelectorSet><w:Selector Name=\"DeviceID\">"
                  "tLaiTCVep1316LALTZRqpw==</w:Selector></w:SelectorSet>");
    assert_prop(running, "CurrentState", "2");
    g_assert_cmpuint(e->fake.agent_expiries, ==, 0);

    /* then the agent stops */
    events = s->event_count;
    e->fake.ms += 119 * 1000;
    vamt_agent_check(e->amt);
    g_assert_cmpuint(e->fake.agent_expiries, ==, 0);
    g_assert_cmpint(vamt_agent_deadline(e->amt), ==, e->fake.ms + 1000);
    e->fake.ms += 1000;
    vamt_agent_check(e->amt);
    g_assert_cmpuint(e->fake.agent_expiries, ==, 1);
    g_assert_cmpmem(e->fake.expired_agent, 16, agent_id, 16);
    g_assert_cmpint(vamt_agent_deadline(e->amt), ==, -1);
    g_assert_cmpuint(s->event_count, ==, events + 1);
    g_assert_cmphex(s->events[(s->event_first + events) %
                              VAMT_AMT_EVENT_LOG_SIZE].sensor_type, ==,
                    0x23);
    expired = enumerate_all(e, AMT "AMT_AgentPresenceWatchdog", NULL);
    assert_xp(expired, "// *[local-name()='CurrentState']", "3");
    /* an expired session takes no more heartbeats: register again */
    g_free(args);
    args = g_strdup_printf("<r:SequenceNumber>%u</r:SequenceNumber>",
                           seq + 2);
    late = agent_call(e, "AssertPresence", args);
    assert_prop(late, "ReturnValue", "2");
    caps = get(e, AMT "AMT_AgentPresenceCapabilities", NULL);
    assert_prop(caps, "MaxTotalAgents", "16");
    env_free(e);
}

/* MeshCmd AmtHashes: the default trusted root hashes AMTHI lists too */
static void test_cert_hashes(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) all = enumerate_all(
        e, AMT "AMT_ProvisioningCertificateHash", NULL);

    assert_xp(all, "count(//*[local-name()='AMT_ProvisioningCertificateHash'])",
              "8");
    /* Starfield Class 2's SHA-1 (ad7e1c28...), base64 */
    assert_xp(all, "//*[local-name()='AMT_ProvisioningCertificateHash']"
              "[*[local-name()='Description']='Starfield Class 2 CA']"
              "/*[local-name()='HashData']", "rX4cKLBk749gA0AgFMPQ4zcOtYo=");
    assert_xp(all, "//*[local-name()='AMT_ProvisioningCertificateHash'][1]"
              "/*[local-name()='HashType']", "1");
    assert_xp(all, "//*[local-name()='AMT_ProvisioningCertificateHash'][1]"
              "/*[local-name()='IsDefault']", "true");
    env_free(e);
}

/* MeshCentral's call after every power-on (AMT > 9) */
static void test_os_power_saving(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    static const char element[] =
        "<r:ManagedElement><Address xmlns=\"" NS_WSA "\">" NS_WSA
        "</Address><ReferenceParameters xmlns=\"" NS_WSA "\"><ResourceURI "
        "xmlns=\"" NS_WSMAN "\">" CIM "CIM_ComputerSystem</ResourceURI>"
        "<SelectorSet xmlns=\"" NS_WSMAN "\"><Selector Name=\""
        "CreationClassName\">CIM_ComputerSystem</Selector><Selector "
        "Name=\"Name\">ManagedSystem</Selector></SelectorSet>"
        "</ReferenceParameters></r:ManagedElement>";
    g_autofree char *full = g_strdup_printf(
        "<r:OSPowerSavingState>2</r:OSPowerSavingState>%s", element);
    g_autoptr(Reply) to_full = invoke(e, IPS "IPS_PowerManagementService",
                                      "RequestOSPowerSavingStateChange",
                                      full);
    g_autoptr(Reply) to_saving = invoke(e, IPS "IPS_PowerManagementService",
                                        "RequestOSPowerSavingStateChange",
                                        "<r:OSPowerSavingState>3"
                                        "</r:OSPowerSavingState>");
    g_autoptr(Reply) bad = invoke(e, IPS "IPS_PowerManagementService",
                                  "RequestOSPowerSavingStateChange",
                                  "<r:OSPowerSavingState>7"
                                  "</r:OSPowerSavingState>");
    g_autoptr(Reply) after = get(e, IPS "IPS_PowerManagementService", NULL);
    g_autoptr(Reply) off_request = NULL;
    g_autoptr(Reply) off = NULL;

    assert_ok(to_full, IPS "IPS_PowerManagementService/"
              "RequestOSPowerSavingStateChangeResponse");
    assert_prop(to_full, "ReturnValue", "0");
    assert_prop(to_saving, "ReturnValue", "1");
    assert_prop(bad, "ReturnValue", "5");
    assert_prop(after, "OSPowerSavingState", "2");
    /* nothing else was asked of the machine */
    g_assert_cmpuint(e->fake.power_requests->len, ==, 0);

    e->fake.power = VAMT_POWER_OFF_SOFT;
    off_request = invoke(e, IPS "IPS_PowerManagementService",
                         "RequestOSPowerSavingStateChange", full);
    off = get(e, IPS "IPS_PowerManagementService", NULL);
    assert_prop(off_request, "ReturnValue", "2");
    assert_prop(off, "OSPowerSavingState", "0");
    env_free(e);
}

/* The guest's displays, as MeshCommander's Remote Desktop page reads them */
static void test_screen_settings(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) one = get(e, IPS "IPS_ScreenSettingData", NULL);
    g_autoptr(Reply) none = NULL;
    g_autoptr(Reply) two = NULL;

    assert_ok(one, NS_XFER "/GetResponse");
    assert_prop(one, "InstanceID", "Intel(r) Screen Settings");
    g_assert_cmpint(xp_count(one, "// *[local-name()='IsActive']"), ==, 4);
    assert_xp(one, "// *[local-name()='IsActive'][1]", "true");
    assert_xp(one, "// *[local-name()='IsActive'][2]", "false");
    assert_xp(one, "// *[local-name()='ResolutionX'][1]", "1024");
    assert_xp(one, "// *[local-name()='ResolutionY'][1]", "768");
    assert_xp(one, "// *[local-name()='UpperLeftX'][1]", "0");
    assert_xp(one, "// *[local-name()='UpperLeftX'][2]", "-1");
    assert_xp(one, "// *[local-name()='ResolutionX'][2]", "0");
    assert_prop(one, "PrimaryIndex", "0");

    e->fake.inv.displays = 0;
    none = get(e, IPS "IPS_ScreenSettingData", NULL);
    g_assert_cmpint(xp_count(none, "// *[local-name()='IsActive']"
                             "[.='true']"), ==, 0);

    e->fake.inv.displays = 2;
    e->fake.inv.display_width[1] = 800;
    e->fake.inv.display_height[1] = 600;
    two = get(e, IPS "IPS_ScreenSettingData", NULL);
    assert_xp(two, "// *[local-name()='IsActive'][2]", "true");
    assert_xp(two, "// *[local-name()='UpperLeftX'][2]", "1024");
    assert_xp(two, "// *[local-name()='ResolutionY'][2]", "600");
    env_free(e);
}

/*
 * Redirection is not served yet: the ME does not claim SOL, IDE-R or KVM
 * and refuses to switch them on, whatever a console asks.
 */
static void test_redirection_not_claimed(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) redir = get(e, AMT "AMT_RedirectionService", NULL);
    g_autoptr(Reply) enable = invoke(e, AMT "AMT_RedirectionService",
                                     "RequestStateChange",
                                     "<r:RequestedState>32771"
                                     "</r:RequestedState>");
    g_autoptr(Reply) disable = invoke(e, AMT "AMT_RedirectionService",
                                      "RequestStateChange",
                                      "<r:RequestedState>32768"
                                      "</r:RequestedState>");
    g_autoptr(Reply) listener = wsman(e, NS_XFER "/Put",
        AMT "AMT_RedirectionService", NULL,
        "<r:AMT_RedirectionService xmlns:r=\"" AMT "AMT_RedirectionService\">"
        "<r:EnabledState>32771</r:EnabledState>"
        "<r:ListenerEnabled>true</r:ListenerEnabled>"
        "</r:AMT_RedirectionService>");
    g_autoptr(Reply) after = get(e, AMT "AMT_RedirectionService", NULL);
    g_autoptr(Reply) kvm = get(e, CIM "CIM_KVMRedirectionSAP", NULL);
    g_autoptr(Reply) kvm_on = invoke(e, CIM "CIM_KVMRedirectionSAP",
                                     "RequestStateChange",
                                     "<r:RequestedState>2</r:RequestedState>");
    g_autoptr(Reply) kvm_off = invoke(e, CIM "CIM_KVMRedirectionSAP",
                                      "RequestStateChange",
                                      "<r:RequestedState>3</r:RequestedState>");
    g_autoptr(Reply) kvm_after = get(e, CIM "CIM_KVMRedirectionSAP", NULL);

    assert_prop(redir, "EnabledState", "32768");
    assert_prop(redir, "ListenerEnabled", "false");
    assert_prop(enable, "ReturnValue", "2066");
    assert_prop(disable, "ReturnValue", "0");
    assert_fault(listener, 400, "e:InvalidParameter");
    assert_prop(after, "EnabledState", "32768");
    assert_prop(after, "ListenerEnabled", "false");
    assert_prop(kvm, "EnabledState", "3");
    assert_prop(kvm, "RequestedState", "3");
    assert_prop(kvm_on, "ReturnValue", "1");
    assert_prop(kvm_off, "ReturnValue", "0");
    assert_prop(kvm_after, "EnabledState", "3");
    env_free(e);
}

/*
 * Classes of MeshCommander's pages that AMT 16 has: the instance, or an
 * empty enumeration where AMT has none to show; never a fault.
 */
static void test_meshcommander_classes(void)
{
    static const char *const empty[] = {
        CIM "CIM_FilterCollection", CIM "CIM_ListenerDestination",
        CIM "CIM_ListenerDestinationWSManagement",
        CIM "CIM_FilterCollectionSubscription",
        IPS "IPS_HTTPProxyAccessPoint",
    };
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) profile = get(e, AMT "AMT_8021XProfile", NULL);
    g_autoptr(Reply) enable = wsman(e, NS_XFER "/Put", AMT "AMT_8021XProfile",
        NULL, "<r:AMT_8021XProfile xmlns:r=\"" AMT "AMT_8021XProfile\">"
        "<r:Enabled>true</r:Enabled></r:AMT_8021XProfile>");
    g_autoptr(Reply) proxy = get(e, IPS "IPS_HTTPProxyService", NULL);
    g_autoptr(Reply) schemes = enumerate_all(e, AMT "AMT_SystemPowerScheme",
                                             NULL);
    g_autofree char *scheme = NULL;

    assert_ok(profile, NS_XFER "/GetResponse");
    assert_prop(profile, "Enabled", "false");
    assert_fault(enable, 400, "e:InvalidParameter");
    assert_ok(proxy, NS_XFER "/GetResponse");
    assert_prop(proxy, "Name", "Intel(r) AMT HTTP Proxy Service");
    assert_ok(schemes, NS_ENUM "/PullResponse");
    g_assert_cmpint(xp_count(schemes, "//wsen:Items/ *"), ==, 1);
    scheme = xp(schemes, "//wsen:Items/ */ *[local-name()='Description']");
    g_assert_true(g_str_has_prefix(scheme, "Desktop: ON in S0"));
    for (unsigned i = 0; i < G_N_ELEMENTS(empty); i++) {
        g_autoptr(Reply) all = enumerate_all(e, empty[i], NULL);

        g_test_message("%s", empty[i]);
        assert_ok(all, NS_ENUM "/PullResponse");
        g_assert_cmpint(xp_count(all, "//wsen:Items/ *"), ==, 0);
        g_assert_cmpint(xp_count(all, "//wsen:EndOfSequence"), ==, 1);
    }
    env_free(e);
}

static void test_message_log(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    VamtEventRecord rec = { .sensor_type = 0x0f, .event_type = 0x6f,
                            .severity = 1, .data = { 1, 2, 3 } };
    g_autoptr(Reply) first = NULL;
    g_autoptr(Reply) records = NULL;
    g_autoptr(Reply) log = NULL;
    g_autofree guchar *raw = NULL;
    g_autofree char *b64 = NULL;
    gsize len;

    vamt_log_event(e->amt, &rec);
    e->fake.utc += 5;
    vamt_log_event(e->amt, &rec);
    first = invoke(e, AMT "AMT_MessageLog", "PositionToFirstRecord", NULL);
    records = invoke(e, AMT "AMT_MessageLog", "GetRecords",
                     "<r:IterationIdentifier>1</r:IterationIdentifier>"
                     "<r:MaxReadRecords>390</r:MaxReadRecords>");
    log = enumerate_all(e, AMT "AMT_MessageLog", NULL);

    assert_prop(first, "IterationIdentifier", "1");
    assert_prop(records, "ReturnValue", "0");
    assert_prop(records, "NoMoreRecords", "true");
    g_assert_cmpint(xp_count(records, "// *[local-name()='RecordArray']"),
                    ==, 2);
    b64 = xp(records, "(// *[local-name()='RecordArray'])[2]");
    raw = g_base64_decode(b64, &len);
    g_assert_cmpuint(len, ==, VAMT_EVENT_RECORD_BYTES);
    g_assert_cmpuint(raw[0] | raw[1] << 8 | raw[2] << 16 |
                     (uint32_t)raw[3] << 24, ==, NOW_UTC + 5);
    g_assert_cmpint(raw[5], ==, 0x0f);
    g_assert_cmpint(raw[13], ==, 1);
    assert_xp(log, "// *[local-name()='CurrentNumberOfRecords']", "2");
    env_free(e);
}

static void test_opt_in(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) start = invoke(e, IPS "IPS_OptInService", "StartOptIn",
                                    NULL);
    g_autoptr(Reply) twice = invoke(e, IPS "IPS_OptInService", "StartOptIn",
                                    NULL);
    g_autofree char *wrong = g_strdup_printf(
        "<r:OptInCode>%u</r:OptInCode>", (e->fake.consent_code + 1) % 1000000);
    g_autofree char *right = g_strdup_printf(
        "<r:OptInCode>%u</r:OptInCode>", e->fake.consent_code);
    g_autoptr(Reply) bad = invoke(e, IPS "IPS_OptInService", "SendOptInCode",
                                  wrong);
    g_autoptr(Reply) good = invoke(e, IPS "IPS_OptInService",
                                   "SendOptInCode", right);
    g_autoptr(Reply) state = get(e, IPS "IPS_OptInService", NULL);

    assert_prop(start, "ReturnValue", "0");
    assert_prop(twice, "ReturnValue", "2");
    /* shown at StartOptIn, hidden once the right code came back */
    g_assert_cmpuint(e->fake.consent_shows, ==, 2);
    g_assert_cmpuint(e->fake.consent_code, ==, 0);
    {
        g_autofree char *rv = prop(bad, "ReturnValue");

        g_assert_cmpstr(rv, !=, "0");
    }
    assert_prop(good, "ReturnValue", "0");
    assert_prop(state, "OptInState", "3");
    env_free(e);
}

static void test_time_sync(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) low = invoke(e, AMT "AMT_TimeSynchronizationService",
                                  "GetLowAccuracyTimeSynch", NULL);
    g_autofree char *args = g_strdup_printf(
        "<r:Ta0>%d</r:Ta0><r:Tm1>%d</r:Tm1><r:Tm2>%d</r:Tm2>", NOW_UTC,
        NOW_UTC + 100, NOW_UTC + 100);
    g_autoptr(Reply) high = invoke(e, AMT "AMT_TimeSynchronizationService",
                                   "SetHighAccuracyTimeSynch", args);
    g_autoptr(Reply) stale = invoke(e, AMT "AMT_TimeSynchronizationService",
                                    "SetHighAccuracyTimeSynch",
                                    "<r:Ta0>5</r:Ta0><r:Tm1>6</r:Tm1>"
                                    "<r:Tm2>7</r:Tm2>");

    assert_prop(low, "Ta0", G_STRINGIFY(NOW_UTC));
    assert_prop(high, "ReturnValue", "0");
    g_assert_cmpint(vamt_amt_now(e->amt), ==, NOW_UTC + 100);
    assert_prop(stale, "ReturnValue", "34");
    env_free(e);
}

static void test_alarms(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    static const char alarm[] =
        "<r:IPS_AlarmClockOccurrence xmlns:r=\"" IPS
        "IPS_AlarmClockOccurrence\" xmlns:t=\"http://schemas.dmtf.org/wbem/"
        "wscim/1/common\"><r:ElementName>wake</r:ElementName>"
        "<r:StartTime><t:Datetime>2030-01-02T03:04:05Z</t:Datetime>"
        "</r:StartTime><r:Interval><t:Interval>P1DT2H</t:Interval>"
        "</r:Interval><r:DeleteOnCompletion>false</r:DeleteOnCompletion>"
        "</r:IPS_AlarmClockOccurrence>";
    static const char selector[] =
        "<w:SelectorSet><w:Selector Name=\"InstanceID\">wake</w:Selector>"
        "</w:SelectorSet>";
    g_autoptr(Reply) created = wsman(e, NS_XFER "/Create",
                                     IPS "IPS_AlarmClockOccurrence", NULL,
                                     alarm);
    g_autoptr(Reply) exists = wsman(e, NS_XFER "/Create",
                                    IPS "IPS_AlarmClockOccurrence", NULL,
                                    alarm);
    g_autoptr(Reply) list = enumerate_all(e, IPS "IPS_AlarmClockOccurrence",
                                          NULL);
    g_autoptr(Reply) deleted = wsman(e, NS_XFER "/Delete",
                                     IPS "IPS_AlarmClockOccurrence",
                                     selector, NULL);
    g_autoptr(Reply) again = wsman(e, NS_XFER "/Delete",
                                   IPS "IPS_AlarmClockOccurrence",
                                   selector, NULL);

    assert_ok(created, NS_XFER "/CreateResponse");
    assert_xp(created, "//wxf:ResourceCreated//wsman:Selector"
              "[@Name='InstanceID']", "wake");
    assert_fault(exists, 400, "e:AlreadyExists");
    assert_xp(list, "// *[local-name()='StartTime']/ *",
              "2030-01-02T03:04:05Z");
    assert_xp(list, "// *[local-name()='Interval']/ *", "P1DT2H0M");
    assert_ok(deleted, NS_XFER "/DeleteResponse");
    g_assert_nonnull(strstr(deleted->body->str, "<a:Body></a:Body>"));
    assert_fault(again, 400, "b:DestinationUnreachable");
    env_free(e);
}

/* Every class answers Get and Enumerate without a fault */
static void test_all_classes(void)
{
    static const char *const uris[] = {
        CIM "CIM_SoftwareIdentity", AMT "AMT_SetupAndConfigurationService",
        IPS "IPS_HostBasedSetupService", AMT "AMT_GeneralSettings",
        CIM "CIM_ComputerSystem", CIM "CIM_PowerManagementService",
        CIM "CIM_AssociatedPowerManagementService",
        CIM "CIM_ServiceAvailableToElement",
        IPS "IPS_PowerManagementService", AMT "AMT_BootCapabilities",
        AMT "AMT_BootSettingData", CIM "CIM_BootSourceSetting",
        CIM "CIM_BootConfigSetting", CIM "CIM_BootService",
        AMT "AMT_RedirectionService", CIM "CIM_KVMRedirectionSAP",
        IPS "IPS_KVMRedirectionSettingData", IPS "IPS_OptInService",
        AMT "AMT_TimeSynchronizationService", AMT "AMT_EthernetPortSettings",
        AMT "AMT_AuthorizationService", AMT "AMT_MessageLog",
        AMT "AMT_AuditLog", CIM "CIM_Chassis", CIM "CIM_Card",
        CIM "CIM_PhysicalPackage", CIM "CIM_ComputerSystemPackage",
        CIM "CIM_SystemPackaging", CIM "CIM_BIOSElement",
        CIM "CIM_Processor", CIM "CIM_Chip", CIM "CIM_PhysicalMemory",
        AMT "AMT_AlarmClockService", AMT "AMT_UserInitiatedConnectionService",
        AMT "AMT_EnvironmentDetectionSettingData",
        IPS "IPS_ScreenConfigurationService", AMT "AMT_TLSSettingData",
        IPS "IPS_ScreenSettingData", AMT "AMT_8021XProfile",
        IPS "IPS_HTTPProxyService", AMT "AMT_SystemPowerScheme",
    };
    Env *e = env_new(VAMT_POWER_ON);

    for (unsigned i = 0; i < G_N_ELEMENTS(uris); i++) {
        g_autoptr(Reply) g = get(e, uris[i], NULL);
        g_autoptr(Reply) all = enumerate_all(e, uris[i], NULL);

        g_test_message("%s", uris[i]);
        assert_ok(g, NS_XFER "/GetResponse");
        assert_ok(all, NS_ENUM "/PullResponse");
        g_assert_cmpint(xp_count(all, "//wsen:Items/ *"), >=, 1);
        /* properties are sorted by name, as AMT writes them */
        {
            xmlXPathObject *o = xmlXPathEvalExpression(
                BAD_CAST "/s:Envelope/s:Body/ */ *", g->xpath);
            const char *last = "";

            for (int j = 0; o->nodesetval && j < o->nodesetval->nodeNr;
                 j++) {
                const char *name = (const char *)
                                   o->nodesetval->nodeTab[j]->name;

                g_assert_cmpint(strcmp(last, name), <=, 0);
                last = name;
            }
            xmlXPathFreeObject(o);
        }
    }
    env_free(e);
}

/* Legacy SOAP beyond the captures */

static void test_eoi(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    static const char unknown[] =
        "<?xml version=\"1.0\"?><soap:Envelope xmlns:soap=\"" NS_SOAP11
        "\"><soap:Body><Reboot xmlns=\"http://schemas.intel.com/platform/"
        "client/RemoteControl/2004/01\"/></soap:Body></soap:Envelope>";
    static const char pxe_reset[] =
        "<?xml version=\"1.0\"?><soap:Envelope xmlns:soap=\"" NS_SOAP11
        "\"><soap:Body><RemoteControl xmlns=\"http://schemas.intel.com/"
        "platform/client/RemoteControl/2004/01\"><Command>16</Command>"
        "<IanaOemNumber>343</IanaOemNumber><SpecialCommand>1"
        "</SpecialCommand></RemoteControl></soap:Body></soap:Envelope>";
    static const char settings[] =
        "<?xml version=\"1.0\"?><soap:Envelope xmlns:soap=\"" NS_SOAP11
        "\"><soap:Body><GetInterfaceSettings xmlns=\"http://schemas.intel."
        "com/platform/client/NetworkAdministration/2004/01\">"
        "<InterfaceHandle>0</InterfaceHandle></GetInterfaceSettings>"
        "</soap:Body></soap:Envelope>";
    g_autoptr(Reply) r1 = post(e, "/RemoteControlService", "admin", unknown);
    g_autoptr(Reply) r2 = post(e, "/RemoteControlService", "admin",
                               pxe_reset);
    g_autoptr(Reply) r3 = post(e, "/NetworkAdministrationService", "admin",
                               settings);
    g_autoptr(Reply) r4 = post(e, "/NoSuchService", "admin", settings);
    g_autoptr(Reply) r5 = post(e, "/RemoteControlService", NULL, pxe_reset);

    g_assert_cmpint(r1->status, ==, 500);
    assert_xp(r1, "//faultcode", "SOAP-ENV:Client");
    g_assert_cmpint(r2->status, ==, 200);
    assert_xp(r2, "// *[local-name()='Status']", "0");
    g_assert_cmpint(g_array_index(e->fake.boot_targets, VamtBootTarget, 0),
                    ==, VAMT_BOOT_PXE);
    g_assert_cmpint(g_array_index(e->fake.power_requests, VamtPowerState, 0),
                    ==, VAMT_POWER_MASTER_BUS_RESET);
    assert_xp(r3, "// *[local-name()='HardwareAddressDescription']",
              "52-54-00-ab-cd-ef");
    g_assert_cmpint(r4->status, ==, 404);
    g_assert_cmpint(r5->status, ==, 401);
    env_free(e);
}

/* Pre-authentication cost: bodies refused before libxml2 sees them */

static const char identify_envelope[] =
    "<s:Envelope xmlns:s=\"" NS_SOAP "\" xmlns:i=\"http://schemas.dmtf."
    "org/wbem/wsman/identity/1/wsmanidentity.xsd\"><s:Header/>"
    "<s:Body><i:Identify/></s:Body></s:Envelope>";

static void assert_refused_unparsed(Env *e, const char *user,
                                    const char *body, size_t len,
                                    int status, const char *subcode)
{
    uint64_t parses = vamt_xml_parse_count();
    g_autoptr(Reply) r = post_bytes(e, "/wsman", user, body, len);

    g_assert_cmpuint(vamt_xml_parse_count(), ==, parses);
    if (subcode) {
        assert_fault(r, status, subcode);
    } else {
        g_assert_cmpint(r->status, ==, status);
    }
}

static void test_preauth_body_bound(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    /* the attack: ~37,000 attributes in 256 KiB, on the Identify */
    GString *attack = vamt_test_identify_with_attributes(37000);
    GString *at_limit = vamt_test_identify_with_attributes(
        VAMT_XML_MAX_ELEMENT_ATTRIBUTES);
    GString *over_limit = vamt_test_identify_with_attributes(
        VAMT_XML_MAX_ELEMENT_ATTRIBUTES + 1);
    GString *padded = g_string_new(identify_envelope);
    GString *many = g_string_new("<Envelope><Body>");
    uint64_t parses;

    g_assert_cmpuint(attack->len, <=, VAMT_WSMAN_MAX_BODY);
    g_assert_cmpuint(attack->len, >, VAMT_WSMAN_MAX_ANONYMOUS_BODY);
    /* anonymous: refused by size alone, neither checked nor parsed */
    parses = vamt_xml_parse_count();
    g_assert_false(vamt_wsman_is_identify((const uint8_t *)attack->str,
                                          attack->len));
    g_assert_cmpuint(vamt_xml_parse_count(), ==, parses);
    assert_refused_unparsed(e, NULL, attack->str, attack->len, 401, NULL);
    /* authenticated: the linear pre-scan refuses it */
    assert_refused_unparsed(e, "admin", attack->str, attack->len, 400,
                            "e:EncodingLimit");
    assert_refused_unparsed(e, NULL, over_limit->str, over_limit->len, 401,
                            NULL);
    assert_refused_unparsed(e, "admin", over_limit->str, over_limit->len,
                            400, "e:EncodingLimit");
    for (unsigned i = 0; i <= VAMT_XML_MAX_ELEMENTS; i++) {
        g_string_append(many, "<x/>");
    }
    g_string_append(many, "</Body></Envelope>");
    assert_refused_unparsed(e, "admin", many->str, many->len, 400,
                            "e:EncodingLimit");

    /* what a console sends still works: at the limits, and padded */
    {
        g_autoptr(Reply) r = post(e, "/wsman", NULL, at_limit->str);

        assert_xp(r, "local-name(/s:Envelope/s:Body/ *)", "IdentifyResponse");
    }
    g_string_insert(padded, strlen("<s:Envelope"), " ");
    while (padded->len < VAMT_WSMAN_MAX_ANONYMOUS_BODY) {
        g_string_insert(padded, strlen("<s:Envelope"), " ");
    }
    {
        g_autoptr(Reply) r = post(e, "/wsman", NULL, padded->str);

        assert_xp(r, "local-name(/s:Envelope/s:Body/ *)", "IdentifyResponse");
    }
    g_string_insert(padded, strlen("<s:Envelope"), " ");
    assert_refused_unparsed(e, NULL, padded->str, padded->len, 401, NULL);
    /* markup inside comments, CDATA and PIs is no element to the scan */
    {
        GString *quiet = g_string_new("<?xml version=\"1.0\"?><!-- ");
        g_autofree char *body = NULL;

        for (unsigned i = 0; i < VAMT_XML_MAX_ELEMENTS; i++) {
            g_string_append(quiet, "<a b=1 c=2>");
        }
        g_string_append(quiet, " --><?pi <x y=1> ?>");
        body = g_strdup_printf("%s%s", quiet->str, identify_envelope);
        g_string_truncate(quiet, 0);
        g_string_append(quiet, "<![CDATA[");
        for (unsigned i = 0; i < 2 * VAMT_XML_MAX_ATTRIBUTES; i++) {
            g_string_append(quiet, "<a b=1>");
        }
        g_string_append(quiet, "]]>");
        {
            g_autofree char *env = vamt_test_wsman_envelope(
                NS_XFER "/Get", CIM "CIM_SoftwareIdentity", quiet->str);
            g_autoptr(Reply) r1 = post(e, "/wsman", "admin", body);
            g_autoptr(Reply) r2 = post(e, "/wsman", "admin", env);

            assert_xp(r1, "local-name(/s:Envelope/s:Body/ *)",
                      "IdentifyResponse");
            g_assert_null(strstr(r2->body->str, "e:EncodingLimit"));
        }
        g_string_free(quiet, TRUE);
    }
    g_string_free(attack, TRUE);
    g_string_free(at_limit, TRUE);
    g_string_free(over_limit, TRUE);
    g_string_free(padded, TRUE);
    g_string_free(many, TRUE);
    env_free(e);
}

/* Only UTF-8 reaches libxml2, so "<!DOCTYPE" cannot hide in another */
static void test_encodings(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    /* "<?xml version="1.0"?><!DOCTYPE" in EBCDIC (IBM037) */
    static const uint8_t ebcdic[] = {
        0x4c, 0x6f, 0xa7, 0x94, 0x93, 0x40, 0xa5, 0x85, 0x99, 0xa2, 0x89,
        0x96, 0x95, 0x7e, 0x7f, 0xf1, 0x4b, 0xf0, 0x7f, 0x6f, 0x6e, 0x4c,
        0x5a, 0xc4, 0xd6, 0xc3, 0xe3, 0xe8, 0xd7, 0xc5,
    };
    static const char *const refused[] = {
        /* UTF-7 declared, then "<!DOCTYPE" and an entity in UTF-7 */
        "<?xml version=\"1.0\" encoding=\"UTF-7\"?>+ADw-!DOCTYPE e +AFs-"
        "+ADw-!ENTITY x SYSTEM +ACI-file:///etc/passwd+ACI-+AD4-+AF0-+AD4-"
        "<Envelope><Body>+ACY-x+ADs-</Body></Envelope>",
        /* UTF-7 with its signature and no declaration */
        "+/v8-+ADw-Envelope+AD4-",
        "+ADw-?xml version+AD0-+ACI-1.0+ACI-?+AD4-",
        "<?xml version='1.0' encoding='ISO-8859-1'?><Envelope><Body/>"
        "</Envelope>",
        "<?xml version=\"1.0\" encoding=\"EBCDIC-US\"?><Envelope/>",
        "<?xml version=\"1.0\" encoding = \"utf-16\"?><Envelope/>",
        "<Envelope><Body>\xc3\x28</Body></Envelope>",   /* not UTF-8 */
        "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-7\"?><a/>",
    };
    static const uint8_t utf32[] = { 0, 0, 0xfe, 0xff, 0, 0, 0, '<' };
    g_autofree char *bom_identify = g_strconcat("\xef\xbb\xbf<?xml version="
                                                "\"1.0\" encoding=\"utf-8\"?>",
                                                identify_envelope, NULL);
    g_autofree char *ascii_identify = g_strconcat(
        "<?xml version='1.0' encoding='US-ASCII'?>", identify_envelope,
        NULL);

    assert_refused_unparsed(e, "admin", (const char *)ebcdic, sizeof(ebcdic),
                            400, "e:EncodingLimit");
    assert_refused_unparsed(e, NULL, (const char *)ebcdic, sizeof(ebcdic),
                            401, NULL);
    assert_refused_unparsed(e, "admin", (const char *)utf32, sizeof(utf32),
                            400, "e:EncodingLimit");
    for (unsigned i = 0; i < G_N_ELEMENTS(refused); i++) {
        assert_refused_unparsed(e, "admin", refused[i], strlen(refused[i]),
                                400, "e:EncodingLimit");
        assert_refused_unparsed(e, NULL, refused[i], strlen(refused[i]),
                                401, NULL);
        g_assert_false(vamt_wsman_is_identify((const uint8_t *)refused[i],
                                              strlen(refused[i])));
    }
    {
        g_autoptr(Reply) r1 = post(e, "/wsman", NULL, bom_identify);
        g_autoptr(Reply) r2 = post(e, "/wsman", NULL, ascii_identify);

        assert_xp(r1, "local-name(/s:Envelope/s:Body/ *)", "IdentifyResponse");
        assert_xp(r2, "local-name(/s:Envelope/s:Body/ *)", "IdentifyResponse");
    }
    env_free(e);
}

static char *enumerate_as(Env *e, const char *user, const char *resource)
{
    g_autofree char *env = vamt_test_wsman_envelope(
        NS_ENUM "/Enumerate", resource, "<Enumerate xmlns=\"" NS_ENUM "\"/>");
    g_autoptr(Reply) r = post(e, "/wsman", user, env);

    assert_ok(r, NS_ENUM "/EnumerateResponse");
    return xp(r, "//wsen:EnumerationContext");
}

static Reply *context_op_as(Env *e, const char *user, const char *op,
                            const char *resource, const char *context)
{
    g_autofree char *body = g_strdup_printf(
        "<%s xmlns=\"" NS_ENUM "\"><EnumerationContext>%s"
        "</EnumerationContext></%s>", op, context, op);
    g_autofree char *action = g_strconcat(NS_ENUM "/", op, NULL);
    g_autofree char *env = vamt_test_wsman_envelope(action, resource, body);

    return post(e, "/wsman", user, env);
}

/* A context is its creator's: others can neither use nor evict it */
static void test_enumeration_owners(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) add = invoke(e, AMT "AMT_AuthorizationService",
        "AddUserAclEntryEx",
        "<r:DigestUsername>operator</r:DigestUsername>"
        "<r:DigestPassword>0123456789ABCDEF0123456789abcdef</r:DigestPassword>"
        "<r:AccessPermission>2</r:AccessPermission>"
        "<r:Realms>3</r:Realms><r:Realms>5</r:Realms><r:Realms>7</r:Realms>"
        "<r:Realms>8</r:Realms><r:Realms>9</r:Realms><r:Realms>10</r:Realms>"
        "<r:Realms>11</r:Realms><r:Realms>16</r:Realms>"
        "<r:Realms>19</r:Realms><r:Realms>20</r:Realms>");
    g_autofree char *mine = NULL;
    g_autofree char *next = NULL;
    uint32_t first, second;

    assert_prop(add, "ReturnValue", "0");
    mine = enumerate_as(e, "admin", CIM "CIM_SoftwareIdentity");
    next = enumerate_as(e, "admin", CIM "CIM_SoftwareIdentity");
    /* not a counter: the next context does not follow from the last */
    first = g_ascii_strtoull(mine, NULL, 16);
    second = g_ascii_strtoull(next, NULL, 16);
    g_assert_cmpuint(second, !=, first + 1);
    g_assert_cmpuint(second, !=, first);
    {
        g_autoptr(Reply) pull = context_op_as(e, "operator", "Pull",
                                              CIM "CIM_SoftwareIdentity",
                                              mine);
        g_autoptr(Reply) release = context_op_as(e, "operator", "Release",
                                                 CIM "CIM_SoftwareIdentity",
                                                 mine);

        assert_fault(pull, 400, "c:InvalidEnumerationContext");
        assert_fault(release, 400, "c:InvalidEnumerationContext");
    }
    /* the operator fills its own share many times over */
    for (int i = 0; i < 3 * VAMT_WSMAN_MAX_CONTEXTS; i++) {
        g_free(enumerate_as(e, "operator", CIM "CIM_SoftwareIdentity"));
        e->fake.ms += 10;
    }
    g_assert_cmpuint(vamt_wsman_open_contexts(e->ws), ==,
                     VAMT_WSMAN_MAX_CONTEXTS + 2);
    {
        g_autoptr(Reply) pull = context_op_as(e, "admin", "Pull",
                                              CIM "CIM_SoftwareIdentity",
                                              mine);
        g_autoptr(Reply) release = context_op_as(e, "admin", "Release",
                                                 CIM "CIM_SoftwareIdentity",
                                                 next);

        assert_ok(pull, NS_ENUM "/PullResponse");
        assert_ok(release, NS_ENUM "/ReleaseResponse");
    }
    env_free(e);
}

/* An unsupported special command changes nothing */
static void test_eoi_unsupported_special(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    VamtBootSettings *boot = &vamt_amt_state(e->amt)->boot;
    VamtBootSettings before;
    guint targets, powers;
    static const char *const specials[] = { "3", "4", "6", "255" };
    const char *cd_fmt =
        "<?xml version=\"1.0\"?><soap:Envelope xmlns:soap=\"" NS_SOAP11
        "\"><soap:Body><RemoteControl xmlns=\"http://schemas.intel.com/"
        "platform/client/RemoteControl/2004/01\"><Command>%s</Command>"
        "<IanaOemNumber>343</IanaOemNumber><SpecialCommand>%s"
        "</SpecialCommand></RemoteControl></soap:Body></soap:Envelope>";
    g_autofree char *arm_cd = g_strdup_printf(cd_fmt, "33", "5");

    {
        g_autoptr(Reply) r = post(e, "/RemoteControlService", "admin",
                                  arm_cd);

        assert_xp(r, "// *[local-name()='Status']", "0");
    }
    g_assert_cmpint(boot->boot_source, ==, VAMT_BOOT_CD);
    before = *boot;
    targets = e->fake.boot_targets->len;
    powers = e->fake.power_requests->len;
    for (unsigned i = 0; i < G_N_ELEMENTS(specials); i++) {
        for (unsigned c = 0; c < 2; c++) {
            g_autofree char *body = g_strdup_printf(cd_fmt, c ? "16" : "33",
                                                    specials[i]);
            g_autoptr(Reply) r = post(e, "/RemoteControlService", "admin",
                                      body);

            g_assert_cmpint(r->status, ==, 200);
            assert_xp(r, "// *[local-name()='Status']", "36");
            g_assert_true(memcmp(boot, &before, sizeof(before)) == 0);
            g_assert_cmpuint(e->fake.boot_targets->len, ==, targets);
            g_assert_cmpuint(e->fake.power_requests->len, ==, powers);
        }
    }
    env_free(e);
}

/* State blob */

static void test_state_blob(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    Env *copy = env_new(VAMT_POWER_ON);
    VamtEventRecord rec = { .sensor_type = 7, .data = { 9 } };
    g_autoptr(GByteArray) blob = g_byte_array_new();
    g_autoptr(GByteArray) again = g_byte_array_new();
    VamtAmtState *s = vamt_amt_state(e->amt);
    char ha1[33];

    g_strlcpy(s->hostname, "saved-host", sizeof(s->hostname));
    s->boot.bios_setup = true;
    s->boot.boot_source = VAMT_BOOT_CD;
    s->redirection_state = 32768;
    g_assert_cmpuint(vamt_amt_add_user(e->amt, "bob",
                                       "00112233445566778899aabbccddeeff",
                                       VAMT_ACCESS_NETWORK, 1 << 3), !=, 0);
    vamt_log_event(e->amt, &rec);
    vamt_audit_event(e->amt, VAMT_AUDIT_RESET, "admin");
    vamt_amt_save(e->amt, blob);

    vamt_amt_set_realm(copy->amt, "Digest:00");
    g_assert_true(vamt_amt_load(copy->amt, blob->data, blob->len));
    g_assert_cmpstr(vamt_amt_realm(copy->amt), ==, REALM);
    g_assert_cmpstr(vamt_amt_state(copy->amt)->hostname, ==, "saved-host");
    g_assert_true(vamt_amt_state(copy->amt)->boot.bios_setup);
    g_assert_cmpint(vamt_amt_state(copy->amt)->boot.boot_source, ==,
                    VAMT_BOOT_CD);
    g_assert_cmpuint(vamt_amt_state(copy->amt)->redirection_state, ==, 32768);
    g_assert_true(vamt_amt_user_ha1(copy->amt, "bob", false, ha1));
    g_assert_true(vamt_amt_user_ha1(copy->amt, "admin", false, ha1));
    g_assert_cmpuint(vamt_amt_state(copy->amt)->event_count, ==, 1);
    g_assert_cmpuint(vamt_amt_state(copy->amt)->audit_count, ==, 1);
    vamt_amt_save(copy->amt, again);
    g_assert_cmpmem(blob->data, blob->len, again->data, again->len);

    /* every truncation and a bad version are refused, state untouched */
    for (guint n = 0; n < blob->len; n += 7) {
        g_assert_false(vamt_amt_load(copy->amt, blob->data, n));
    }
    blob->data[4] ^= 0xff;
    g_assert_false(vamt_amt_load(copy->amt, blob->data, blob->len));
    g_assert_cmpstr(vamt_amt_state(copy->amt)->hostname, ==, "saved-host");
    env_free(copy);
    env_free(e);
}

/* HTTP glue */

static void test_http_glue(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    static const char identify[] =
        "<s:Envelope xmlns:s=\"" NS_SOAP "\" xmlns:i=\"http://schemas.dmtf."
        "org/wbem/wsman/identity/1/wsmanidentity.xsd\"><s:Header/>"
        "<s:Body><i:Identify/></s:Body></s:Envelope>";
    VamtHttpRequest req = {
        .method = "POST", .path = "/wsman", .body = (const uint8_t *)identify,
        .body_len = strlen(identify),
    };
    VamtHttpResponse rsp = { .status = 200, .body = g_string_new(NULL) };

    g_assert_true(vamt_wsman_http_anonymous_allowed(&req));
    vamt_wsman_http_handle(e->ws, &req, &rsp);
    g_assert_cmpint(rsp.status, ==, 200);
    g_assert_cmpstr(rsp.content_type, ==, VAMT_WSMAN_CONTENT_TYPE);
    g_assert_nonnull(strstr(rsp.body->str, "IdentifyResponse"));

    req.body = (const uint8_t *)"<x/>";
    req.body_len = 4;
    g_assert_false(vamt_wsman_http_anonymous_allowed(&req));

    g_string_truncate(rsp.body, 0);
    req.method = "GET";
    req.path = "/";
    g_assert_true(vamt_wsman_http_anonymous_allowed(&req));
    vamt_wsman_http_handle(e->ws, &req, &rsp);
    g_assert_cmpint(rsp.status, ==, 303);
    g_assert_cmpstr(rsp.location, ==, "/logon.htm");
    g_free(rsp.location);
    rsp.location = NULL;

    req.path = "/wsman";
    req.user = "admin";
    vamt_wsman_http_handle(e->ws, &req, &rsp);
    g_assert_cmpint(rsp.status, ==, 405);
    req.path = "/index.php";
    vamt_wsman_http_handle(e->ws, &req, &rsp);
    g_assert_cmpint(rsp.status, ==, 404);
    g_string_free(rsp.body, TRUE);
    env_free(e);
}

int main(int argc, char **argv)
{
    const char *root = vamt_test_captures_root();
    g_autoptr(GPtrArray) dirs = NULL;

    g_test_init(&argc, &argv, NULL);
    xmlInitParser();

    dirs = vamt_test_capture_sessions(root);
    if (!dirs) {
        /* never skip: a missing corpus must fail the suite */
        g_printerr("capture directory %s not found (set VAMT_CAPTURES)\n",
                   root);
        return 1;
    }
    if (dirs->len < 13) {
        g_printerr("only %u capture sessions in %s\n", dirs->len, root);
        return 1;
    }
    for (guint i = 0; i < dirs->len; i++) {
        const char *dir = g_ptr_array_index(dirs, i);
        g_autofree char *test = g_strdup_printf("/wsman/capture/%s",
                                                strrchr(dir, '/') + 1);

        g_test_add_data_func(test, dir, test_capture_session);
    }
    g_test_add_func("/wsman/spec/5.1-identify", test_spec_identify);
    g_test_add_func("/wsman/spec/5.2-get", test_spec_get_software_identity);
    g_test_add_func("/wsman/spec/5.3-enumerate-pull",
                    test_spec_enumerate_pull);
    g_test_add_func("/wsman/spec/5.4-power-on", test_spec_power_on);
    g_test_add_func("/wsman/spec/5.5-unknown-class", test_spec_unknown_class);
    g_test_add_func("/wsman/parse/malformed", test_malformed);
    g_test_add_func("/wsman/parse/header-rules", test_header_rules);
    g_test_add_func("/wsman/op/put", test_put_general_settings);
    g_test_add_func("/wsman/op/enumeration-modes", test_enumeration_modes);
    g_test_add_func("/wsman/op/enumeration-contexts",
                    test_enumeration_contexts);
    g_test_add_func("/wsman/op/create-delete", test_alarms);
    g_test_add_func("/wsman/op/agent-presence", test_agent_presence);
    g_test_add_func("/wsman/op/cert-hashes", test_cert_hashes);
    g_test_add_func("/wsman/class/all", test_all_classes);
    g_test_add_func("/wsman/class/boot-flow", test_boot_flow);
    g_test_add_func("/wsman/class/boot-refused", test_boot_refused);
    g_test_add_func("/wsman/class/users", test_users);
    g_test_add_func("/wsman/class/users-os-admin", test_users_os_admin);
    g_test_add_func("/wsman/class/os-power-saving", test_os_power_saving);
    g_test_add_func("/wsman/class/screen-settings", test_screen_settings);
    g_test_add_func("/wsman/class/redirection-not-claimed",
                    test_redirection_not_claimed);
    g_test_add_func("/wsman/class/meshcommander-classes",
                    test_meshcommander_classes);
    g_test_add_func("/wsman/class/message-log", test_message_log);
    g_test_add_func("/wsman/class/opt-in", test_opt_in);
    g_test_add_func("/wsman/class/time-sync", test_time_sync);
    g_test_add_func("/wsman/eoi", test_eoi);
    g_test_add_func("/wsman/eoi/unsupported-special",
                    test_eoi_unsupported_special);
    g_test_add_func("/wsman/preauth/body-bound", test_preauth_body_bound);
    g_test_add_func("/wsman/parse/encodings", test_encodings);
    g_test_add_func("/wsman/op/enumeration-owners", test_enumeration_owners);
    g_test_add_func("/wsman/state-blob", test_state_blob);
    g_test_add_func("/wsman/http-glue", test_http_glue);
    return g_test_run();
}
