/*
 * Unit tests for the vAMT ME core's TLS as consoles see it: what
 * AMT_TLSSettingData reports with and without the platform's TLS on
 * 16993 (tls-creds=), and which transports the TLS port's service is for.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "amt.h"
#include "me.h"
#include "vamt-test-support.h"
#include "wsman-test-env.h"

#define REMOTE_TLS "// *[local-name()='AMT_TLSSettingData']" \
    "[*[local-name()='InstanceID']='Intel(r) AMT 802.3 TLS Settings']"
#define LOCAL_TLS "// *[local-name()='AMT_TLSSettingData']" \
    "[*[local-name()='InstanceID']='Intel(r) AMT LMS TLS Settings']"

static char *tls_value(Reply *r, const char *instance, const char *name)
{
    g_autofree char *expr = g_strdup_printf(
        "string(%s/ *[local-name()='%s'])", instance, name);

    return xp(r, expr);
}

static int tls_count(Reply *r, const char *instance, const char *name)
{
    g_autofree char *expr = g_strdup_printf("%s/ *[local-name()='%s']",
                                            instance, name);

    return xp_count(r, expr);
}

/*
 * Without credentials no TLS is served and none is claimed; with them the
 * remote instance is enabled beside the plain ports (AMT 16.0's way), and
 * mutual authentication only when the credentials ask consoles for a
 * certificate.  LME has no TLS either way; only the remote instance has
 * AcceptNonSecureConnections (cira-tls.md A4.5).
 */
static void test_tls_settings(void)
{
    Env *e = env_new(VAMT_POWER_ON);

    for (int mode = 0; mode < 3; mode++) {
        g_autoptr(Reply) all = NULL;
        g_autofree char *enabled = NULL, *mutual = NULL, *ansc = NULL;
        g_autofree char *local = NULL, *nscs = NULL;

        e->fw.remote_tls = mode > 0;
        e->fw.remote_tls_mutual = mode > 1;
        all = enumerate_all(e, AMT "AMT_TLSSettingData", NULL);
        assert_ok(all, NS_ENUM "/PullResponse");
        g_assert_cmpint(xp_count(all, "//wsen:Items/ *"), ==, 2);
        enabled = tls_value(all, REMOTE_TLS, "Enabled");
        mutual = tls_value(all, REMOTE_TLS, "MutualAuthentication");
        ansc = tls_value(all, REMOTE_TLS, "AcceptNonSecureConnections");
        nscs = tls_value(all, REMOTE_TLS, "NonSecureConnectionsSupported");
        local = tls_value(all, LOCAL_TLS, "Enabled");
        g_assert_cmpstr(enabled, ==, mode ? "true" : "false");
        g_assert_cmpstr(mutual, ==, mode > 1 ? "true" : "false");
        g_assert_cmpstr(ansc, ==, "true");
        g_assert_cmpstr(nscs, ==, "true");
        g_assert_cmpstr(local, ==, "false");
        g_assert_cmpint(tls_count(all, LOCAL_TLS,
                                  "AcceptNonSecureConnections"), ==, 0);
    }
    env_free(e);
}

/*
 * The platform's certificate, as MeshCentral's TLS sync reads the store:
 * one read-only certificate (its DER, subject and issuer), not deletable,
 * and the credential context naming it by its one selector; nothing of
 * the kind without TLS
 */
static void test_tls_certificate(void)
{
    static const uint8_t der[] = { 0x30, 0x82, 0x01, 0x0a, 0x02, 0x01, 0x7f };
    g_autofree char *der64 = g_base64_encode(der, sizeof(der));
    static const char cert_sel[] =
        "<w:SelectorSet><w:Selector Name=\"InstanceID\">Intel(r) AMT "
        "Certificate: Handle: 0</w:Selector></w:SelectorSet>";
    Env *e = env_new(VAMT_POWER_ON);

    e->fw.remote_tls_cert = der;
    e->fw.remote_tls_cert_len = sizeof(der);
    e->fw.remote_tls_subject = "C=US,O=vAMT,CN=127.0.0.2";
    e->fw.remote_tls_issuer = "CN=vAMT test CA";
    for (int tls = 0; tls < 2; tls++) {
        g_autoptr(Reply) certs = NULL, contexts = NULL, endpoints = NULL;
        g_autoptr(Reply) del = NULL;

        e->fw.remote_tls = tls;
        certs = enumerate_all(e, AMT "AMT_PublicKeyCertificate", NULL);
        contexts = enumerate_all(e, AMT "AMT_TLSCredentialContext", NULL);
        endpoints = enumerate_all(e, AMT "AMT_TLSProtocolEndpointCollection",
                                  NULL);
        assert_ok(certs, NS_ENUM "/PullResponse");
        assert_ok(contexts, NS_ENUM "/PullResponse");
        assert_ok(endpoints, NS_ENUM "/PullResponse");
        g_assert_cmpint(xp_count(certs, "//wsen:Items/ *"), ==, tls);
        g_assert_cmpint(xp_count(contexts, "//wsen:Items/ *"), ==, tls);
        assert_xp(endpoints, "string(// *[local-name()='ElementName'])",
                  "TLSProtocolEndpointInstances Collection");
        if (!tls) {
            continue;
        }
        assert_xp(certs, "string(// *[local-name()='X509Certificate'])",
                  der64);
        assert_xp(certs, "string(// *[local-name()='Subject'])",
                  "C=US,O=vAMT,CN=127.0.0.2");
        assert_xp(certs, "string(// *[local-name()='Issuer'])",
                  "CN=vAMT test CA");
        assert_xp(certs, "string(// *[local-name()='ReadOnlyCertificate'])",
                  "true");
        assert_xp(certs,
                  "string(// *[local-name()='TrustedRootCertficate'])",
                  "false");
        g_assert_cmpint(xp_count(contexts, "// *[local-name()="
                                 "'ElementInContext']// *[local-name()="
                                 "'Selector']"), ==, 1);
        assert_xp(contexts, "string(// *[local-name()='ElementInContext']"
                  "// *[local-name()='Selector'][@Name='InstanceID'])",
                  "Intel(r) AMT Certificate: Handle: 0");
        assert_xp(contexts, "string(// *[local-name()="
                  "'ElementProvidingContext']// *[local-name()='Selector']"
                  "[@Name='ElementName'])",
                  "TLSProtocolEndpointInstances Collection");
        /* the certificate in use cannot be deleted, and stays */
        del = wsman(e, NS_XFER "/Delete", AMT "AMT_PublicKeyCertificate",
                    cert_sel, NULL);
        g_assert_cmpint(del->status, ==, 400);
        g_clear_pointer(&certs, reply_free);
        certs = enumerate_all(e, AMT "AMT_PublicKeyCertificate", NULL);
        g_assert_cmpint(xp_count(certs, "//wsen:Items/ *"), ==, 1);
    }
    env_free(e);
}

static Reply *tls_put(Env *e, const char *id, const char *props)
{
    g_autofree char *body = g_strdup_printf(
        "<r:AMT_TLSSettingData xmlns:r=\"" AMT "AMT_TLSSettingData\">"
        "<r:ElementName>%s</r:ElementName><r:InstanceID>%s</r:InstanceID>"
        "%s</r:AMT_TLSSettingData>", id, id, props);
    g_autofree char *sel = g_strdup_printf(
        "<w:SelectorSet><w:Selector Name=\"InstanceID\">%s</w:Selector>"
        "</w:SelectorSet>", id);

    return wsman(e, NS_XFER "/Put", AMT "AMT_TLSSettingData", sel, body);
}

/* CommitChanges, which applies what was Put: ReturnValue 0 */
static void commit(Env *e)
{
    g_autoptr(Reply) r = invoke(e, AMT "AMT_SetupAndConfigurationService",
                                "CommitChanges", "");

    assert_prop(r, "ReturnValue", "0");
}

static char *remote_value(Env *e, const char *name)
{
    g_autoptr(Reply) all = enumerate_all(e, AMT "AMT_TLSSettingData", NULL);

    return tls_value(all, REMOTE_TLS, name);
}

/*
 * A console's Put waits for CommitChanges, then the ports follow (A2):
 * AcceptNonSecureConnections false closes the plain ones remotely,
 * Enabled false the TLS ones (the plain ones open again); it is kept in
 * the saved state.  What cannot be served is refused: TLS without the
 * platform's credentials, another MutualAuthentication than theirs, TLS
 * on LME.
 */
static void test_tls_commit(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) no_creds = NULL, put = NULL;
    g_autoptr(Reply) mutual = NULL, local = NULL, off = NULL;
    g_autoptr(GByteArray) saved = g_byte_array_new();
    g_autofree char *ansc = NULL, *enabled = NULL;
    VamtAmt *other;

    no_creds = tls_put(e, "Intel(r) AMT 802.3 TLS Settings",
                       "<r:Enabled>true</r:Enabled>");
    assert_fault(no_creds, 400, "e:InvalidParameter");

    e->fw.remote_tls = true;
    put = tls_put(e, "Intel(r) AMT 802.3 TLS Settings",
                  "<r:Enabled>true</r:Enabled>"
                  "<r:AcceptNonSecureConnections>false"
                  "</r:AcceptNonSecureConnections>"
                  "<r:MutualAuthentication>false</r:MutualAuthentication>");
    assert_ok(put, NS_XFER "/PutResponse");
    /* not before CommitChanges */
    g_assert_true(vamt_amt_remote_plain_open(e->amt));
    commit(e);
    g_assert_false(vamt_amt_remote_plain_open(e->amt));
    g_assert_true(vamt_amt_remote_tls_on(e->amt));
    ansc = remote_value(e, "AcceptNonSecureConnections");
    g_assert_cmpstr(ansc, ==, "false");

    /* kept: the saved state loads with plain ports refused */
    vamt_amt_save(e->amt, saved);
    other = vamt_amt_new(&e->fw, &vamt_test_platform_ops, &e->fake);
    g_assert_true(vamt_amt_load(other, saved->data, saved->len));
    g_assert_false(vamt_amt_remote_plain_open(other));
    vamt_amt_free(other);

    mutual = tls_put(e, "Intel(r) AMT 802.3 TLS Settings",
                     "<r:MutualAuthentication>true</r:MutualAuthentication>");
    assert_fault(mutual, 400, "e:InvalidParameter");
    local = tls_put(e, "Intel(r) AMT LMS TLS Settings",
                    "<r:Enabled>true</r:Enabled>");
    assert_fault(local, 400, "e:InvalidParameter");

    off = tls_put(e, "Intel(r) AMT 802.3 TLS Settings",
                  "<r:Enabled>false</r:Enabled>");
    assert_ok(off, NS_XFER "/PutResponse");
    commit(e);
    g_assert_false(vamt_amt_remote_tls_on(e->amt));
    g_assert_true(vamt_amt_remote_plain_open(e->amt));
    enabled = remote_value(e, "Enabled");
    g_assert_cmpstr(enabled, ==, "false");
    env_free(e);
}

/*
 * nontls-remote=off (CSME 16.1): no plain ports remotely, TLS always on;
 * the settings say so, and a Put that would open a plain port or switch
 * TLS off is refused
 */
static void test_tls_no_plain(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) open_plain = NULL, tls_off = NULL, same = NULL;
    g_autofree char *nscs = NULL, *ansc = NULL, *enabled = NULL;

    e->fw.remote_tls = true;
    e->fw.remote_plain_unsupported = true;
    g_assert_false(vamt_amt_remote_plain_open(e->amt));
    g_assert_true(vamt_amt_remote_tls_on(e->amt));
    nscs = remote_value(e, "NonSecureConnectionsSupported");
    ansc = remote_value(e, "AcceptNonSecureConnections");
    enabled = remote_value(e, "Enabled");
    g_assert_cmpstr(nscs, ==, "false");
    g_assert_cmpstr(ansc, ==, "false");
    g_assert_cmpstr(enabled, ==, "true");
    open_plain = tls_put(e, "Intel(r) AMT 802.3 TLS Settings",
                         "<r:AcceptNonSecureConnections>true"
                         "</r:AcceptNonSecureConnections>");
    assert_fault(open_plain, 400, "e:InvalidParameter");
    tls_off = tls_put(e, "Intel(r) AMT 802.3 TLS Settings",
                      "<r:Enabled>false</r:Enabled>");
    assert_fault(tls_off, 400, "e:InvalidParameter");
    /* RPS's Put of what is already so is fine */
    same = tls_put(e, "Intel(r) AMT 802.3 TLS Settings",
                   "<r:Enabled>true</r:Enabled>"
                   "<r:MutualAuthentication>false</r:MutualAuthentication>");
    assert_ok(same, NS_XFER "/PutResponse");
    env_free(e);
}

/*
 * 16993 has a service only with the platform's TLS, and it is the same
 * WS-Management as 16992's, behind TLS; 16995 is redirection behind TLS
 * while AMT listens on 16994
 */
static void test_tls_port_map(void)
{
    VamtTestPlatform p;
    VamtFirmware fw;
    VamtMe *me;
    const VamtService *plain, *tls;

    vamt_test_platform_init(&p, VAMT_POWER_ON);
    vamt_test_firmware_init(&fw);
    me = vamt_me_new(&fw, &vamt_test_platform_ops, &p);
    g_assert_null(vamt_me_service(me, VAMT_PORT_WSMAN_TLS));

    fw.remote_tls = true;
    plain = vamt_me_service(me, VAMT_PORT_WSMAN);
    tls = vamt_me_service(me, VAMT_PORT_WSMAN_TLS);
    g_assert_nonnull(tls);
    g_assert_true(tls->cls == plain->cls && tls->impl == plain->impl);
    g_assert_cmpuint(tls->port, ==, VAMT_PORT_WSMAN_TLS);
    /* no redirection yet: neither 16994 nor 16995 */
    g_assert_null(vamt_me_service(me, VAMT_PORT_REDIRECTION));
    g_assert_null(vamt_me_service(me, VAMT_PORT_REDIRECTION_TLS));
    fw.redirection = VAMT_FW_REDIR_SOL;
    vamt_me_set_admin_password(me, "P@ssw0rd");
    plain = vamt_me_service(me, VAMT_PORT_REDIRECTION);
    tls = vamt_me_service(me, VAMT_PORT_REDIRECTION_TLS);
    g_assert_nonnull(plain);
    g_assert_nonnull(tls);
    g_assert_true(tls->cls == plain->cls && tls->impl == plain->impl);
    g_assert_cmpuint(tls->port, ==, VAMT_PORT_REDIRECTION_TLS);
    /* AcceptNonSecureConnections false: the plain ports close remotely */
    vamt_amt_state(vamt_me_amt(me))->tls_plain_refused = true;
    g_assert_null(vamt_me_service(me, VAMT_PORT_WSMAN));
    g_assert_null(vamt_me_service(me, VAMT_PORT_REDIRECTION));
    g_assert_nonnull(vamt_me_service(me, VAMT_PORT_WSMAN_TLS));
    g_assert_nonnull(vamt_me_service(me, VAMT_PORT_REDIRECTION_TLS));
    /* ... unless TLS is off (Enabled false) */
    vamt_amt_state(vamt_me_amt(me))->tls_remote_off = true;
    g_assert_nonnull(vamt_me_service(me, VAMT_PORT_WSMAN));
    g_assert_null(vamt_me_service(me, VAMT_PORT_WSMAN_TLS));
    vamt_amt_state(vamt_me_amt(me))->tls_remote_off = false;
    vamt_amt_state(vamt_me_amt(me))->tls_plain_refused = false;

    fw.remote_tls = false;
    g_assert_null(vamt_me_service(me, VAMT_PORT_REDIRECTION_TLS));
    g_assert_null(vamt_me_service(me, VAMT_PORT_WSMAN_TLS));

    g_assert_true(vamt_port_is_tls(VAMT_PORT_WSMAN_TLS));
    g_assert_true(vamt_port_is_tls(VAMT_PORT_REDIRECTION_TLS));
    g_assert_false(vamt_port_is_tls(VAMT_PORT_WSMAN));
    g_assert_false(vamt_port_is_tls(VAMT_PORT_REDIRECTION));
    g_assert_false(vamt_port_is_tls(VAMT_PORT_VNC));
    vamt_me_free(me);
    vamt_test_platform_destroy(&p);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/cim/tls/settings", test_tls_settings);
    g_test_add_func("/vamt/cim/tls/certificate", test_tls_certificate);
    g_test_add_func("/vamt/cim/tls/commit", test_tls_commit);
    g_test_add_func("/vamt/cim/tls/no-plain", test_tls_no_plain);
    g_test_add_func("/vamt/cim/tls/port-map", test_tls_port_map);
    return g_test_run();
}
