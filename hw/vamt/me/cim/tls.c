/*
 * vAMT ME core: CIM providers for TLS settings, keys and certificates
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "provider.h"

#define TLS_REMOTE_ID "Intel(r) AMT 802.3 TLS Settings"
#define TLS_LOCAL_ID "Intel(r) AMT LMS TLS Settings"

static const VamtCimClass tls_setting_class;
/*
 * The remote ports (802.3: the NIC and listen=) and the local ones (LME).
 * TLS is on remotely when the platform serves 16993 with its own
 * credentials (VamtFirmware.remote_tls) and a console has not switched
 * it off; the plain ports stay open beside it unless a console refused
 * them (AcceptNonSecureConnections false), as on AMT 16.0; with
 * nontls-remote=off there are none (CSME 16.1).  LME has no TLS.  What
 * Get shows is in force; a Put waits for CommitChanges.
 */
static void tls_setting_list(VamtAmt *amt, GPtrArray *out)
{
    static const char *const ids[] = { TLS_REMOTE_ID, TLS_LOCAL_ID };
    const VamtFirmware *fw = vamt_amt_firmware(amt);
    const bool enabled[] = { vamt_amt_remote_tls_on(amt), false };
    const bool mutual[] = { enabled[0] && fw->remote_tls_mutual, false };

    for (unsigned i = 0; i < G_N_ELEMENTS(ids); i++) {
        VamtCimInstance *inst = vamt_cim_new(&tls_setting_class);

        vamt_cim_str(inst, "InstanceID", ids[i]);
        vamt_cim_str(inst, "ElementName", ids[i]);
        vamt_cim_bool(inst, "Enabled", enabled[i]);
        if (i == 0) {
            vamt_cim_bool(inst, "AcceptNonSecureConnections",
                          vamt_amt_remote_plain_open(amt));
        }
        vamt_cim_bool(inst, "MutualAuthentication", mutual[i]);
        vamt_cim_bool(inst, "NonSecureConnectionsSupported",
                      !fw->remote_plain_unsupported);
        g_ptr_array_add(out, inst);
    }
}

/*
 * A console's Put, for CommitChanges: the remote instance's Enabled
 * (only with the platform's credentials) and AcceptNonSecureConnections;
 * MutualAuthentication is the credentials' and cannot change; the local
 * instance cannot be enabled (no TLS on LME)
 */
static VamtCimStatus tls_setting_put(VamtAmt *amt, const char *user,
                                     const VamtCimInstance *target,
                                     xmlNode *in)
{
    VamtAmtState *s = vamt_amt_state(amt);
    const VamtFirmware *fw = vamt_amt_firmware(amt);
    bool remote = !strcmp(vamt_cim_get(target, "InstanceID"), TLS_REMOTE_ID);
    bool enabled = remote && vamt_amt_remote_tls_on(amt);
    bool ansc = !s->tls_plain_refused && !fw->remote_plain_unsupported;
    bool mutual = enabled && fw->remote_tls_mutual;

    if (s->tls_pending && remote) {
        enabled = !s->tls_remote_off_pending;
        ansc = !s->tls_plain_refused_pending;
    }
    if (cim_put_bool(in, "Enabled", &enabled) ||
        cim_put_bool(in, "AcceptNonSecureConnections", &ansc) ||
        cim_put_bool(in, "MutualAuthentication", &mutual)) {
        return VAMT_CIM_INVALID;
    }
    if (!remote) {
        return enabled || mutual ? VAMT_CIM_INVALID : VAMT_CIM_OK;
    }
    if ((enabled && !fw->remote_tls) ||
        mutual != (enabled && fw->remote_tls_mutual)) {
        return VAMT_CIM_INVALID;
    }
    /* without plain ports (CSME 16.1) TLS stays on and nothing is plain */
    if (fw->remote_plain_unsupported && (!enabled || ansc)) {
        return VAMT_CIM_INVALID;
    }
    s->tls_pending = true;
    s->tls_remote_off_pending = !enabled;
    s->tls_plain_refused_pending = !ansc;
    return VAMT_CIM_OK;
}

static const VamtCimClass tls_setting_class = {
    .name = "AMT_TLSSettingData", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_instance_id, .list = tls_setting_list,
    .put = tls_setting_put,
};

/*
 * The certificate the platform's TLS presents (tls-creds=) is the one
 * certificate, read-only (no Delete: in use), and the credential context
 * points at it, so a console sees TLS as set up (MeshCentral's TLS sync
 * stops there, cira-tls.md A5 step 2).  Its key is the platform's and
 * never the ME's: no AMT_PublicPrivateKeyPair.  The ME's own store
 * (keys, certificates consoles add) comes later.
 */
#define TLS_CERT_ID "Intel(r) AMT Certificate: Handle: 0"
#define TLS_ENDPOINTS "TLSProtocolEndpointInstances Collection"

static bool tls_has_cert(VamtAmt *amt)
{
    const VamtFirmware *fw = vamt_amt_firmware(amt);

    return fw->remote_tls && fw->remote_tls_cert_len;
}

static const VamtCimClass certificate_class;
static void certificate_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtFirmware *fw = vamt_amt_firmware(amt);
    VamtCimInstance *inst;
    g_autofree char *der = NULL;

    if (!tls_has_cert(amt)) {
        return;
    }
    der = g_base64_encode(fw->remote_tls_cert, fw->remote_tls_cert_len);
    inst = vamt_cim_new(&certificate_class);
    vamt_cim_str(inst, "ElementName", "Intel(r) AMT Certificate");
    vamt_cim_str(inst, "InstanceID", TLS_CERT_ID);
    vamt_cim_str(inst, "Issuer", cim_str_or_empty(fw->remote_tls_issuer));
    vamt_cim_bool(inst, "ReadOnlyCertificate", true);
    vamt_cim_str(inst, "Subject", cim_str_or_empty(fw->remote_tls_subject));
    vamt_cim_bool(inst, "TrustedRootCertficate", false);
    vamt_cim_str(inst, "X509Certificate", der);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass certificate_class = {
    .name = "AMT_PublicKeyCertificate", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_instance_id, .list = certificate_list,
};

CIM_EMPTY_CLASS(key_pair_class, "AMT_PublicPrivateKeyPair", VAMT_NS_AMT,
            cim_keys_instance_id);

static const VamtCimClass endpoints_class;
static void endpoints_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = vamt_cim_new(&endpoints_class);

    vamt_cim_str(inst, "ElementName", TLS_ENDPOINTS);
    g_ptr_array_add(out, inst);
}

static const char *const endpoints_keys[] = { "ElementName", NULL };
static const VamtCimClass endpoints_class = {
    .name = "AMT_TLSProtocolEndpointCollection", .ns_prefix = VAMT_NS_AMT,
    .keys = endpoints_keys, .list = endpoints_list,
};

/* An association: keyed by its references; one selector each (A4.4) */
static const VamtCimClass tls_credential_class;
static void tls_credential_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst;
    VamtCimEpr *cert, *endpoints;

    if (!tls_has_cert(amt)) {
        return;
    }
    cert = vamt_cim_epr_new(VAMT_NS_AMT "AMT_PublicKeyCertificate");
    vamt_cim_epr_add(cert, "InstanceID", TLS_CERT_ID);
    endpoints = vamt_cim_epr_new(VAMT_NS_AMT
                                 "AMT_TLSProtocolEndpointCollection");
    vamt_cim_epr_add(endpoints, "ElementName", TLS_ENDPOINTS);
    inst = vamt_cim_new(&tls_credential_class);
    vamt_cim_epr(inst, "ElementInContext", cert);
    vamt_cim_epr(inst, "ElementProvidingContext", endpoints);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass tls_credential_class = {
    .name = "AMT_TLSCredentialContext", .ns_prefix = VAMT_NS_AMT,
    .list = tls_credential_list,
};

const VamtCimClass *const vamt_cim_tls_classes[] = {
    &tls_setting_class, &certificate_class, &key_pair_class,
    &endpoints_class, &tls_credential_class, NULL,
};
