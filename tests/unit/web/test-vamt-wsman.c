/*
 * Unit tests for the vAMT ME core's WS-Management and legacy SOAP
 * protocol: the exchanges of docs/specs/vamt-wsman.rst ("Example
 * exchanges") byte for byte, parsing and header rules, enumerations,
 * legacy SOAP (EOI), encodings, what is refused before authentication,
 * and hostile bodies.  The console captures are test-vamt-captures.c's,
 * the classes test-vamt-cim.c's.
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
    g_test_init(&argc, &argv, NULL);
    xmlInitParser();
    g_test_add_func("/wsman/spec/5.1-identify", test_spec_identify);
    g_test_add_func("/wsman/spec/5.2-get", test_spec_get_software_identity);
    g_test_add_func("/wsman/spec/5.3-enumerate-pull",
                    test_spec_enumerate_pull);
    g_test_add_func("/wsman/spec/5.4-power-on", test_spec_power_on);
    g_test_add_func("/wsman/spec/5.5-unknown-class", test_spec_unknown_class);
    g_test_add_func("/wsman/parse/malformed", test_malformed);
    g_test_add_func("/wsman/parse/header-rules", test_header_rules);
    g_test_add_func("/wsman/op/enumeration-modes", test_enumeration_modes);
    g_test_add_func("/wsman/op/enumeration-contexts",
                    test_enumeration_contexts);
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
