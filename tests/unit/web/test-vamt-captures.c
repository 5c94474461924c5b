/*
 * Unit tests for the vAMT ME core's WS-Management and legacy SOAP layer
 * against real consoles: every captured console request (tests/captures/)
 * replayed through vamt_wsman_handle() and its answer read the way the
 * console reads it (XPath on the envelope).  A missing corpus fails.
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
#include "wsman-test-env.h"
#include "wsman.h"
#include "xml-reader.h"

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
    return g_test_run();
}
