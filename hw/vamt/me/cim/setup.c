/*
 * vAMT ME core: CIM providers for the ME's identity, setup and general settings
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cim-values.h"
#include "cert-hashes.h"
#include "provider.h"

/* Identity */

static const VamtCimClass software_identity_class;
static void software_identity_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtFirmware *fw = vamt_amt_firmware(amt);
    const VamtFwVersion *v = &fw->version;
    g_autofree char *short_version =
        g_strdup_printf("%u.%u.%u", v->major, v->minor, v->hotfix);
    g_autofree char *full_version =
        g_strdup_printf("%u.%u.%u.%u", v->major, v->minor, v->hotfix,
                        v->build);
    g_autofree char *sku = g_strdup_printf("%u", fw->sku);
    g_autofree char *build = g_strdup_printf("%u", v->build);
    const char *const entries[][2] = {
        { "Flash", short_version },
        { "Netstack", short_version },
        { "AMTApps", short_version },
        { "AMT", short_version },
        { "Sku", sku },
        { "VendorID", "8086" },
        { "Build Number", build },
        { "Recovery Version", short_version },
        { "Recovery Build Num", build },
        { "Legacy Mode", "False" },
        { "AMT FW Core Version", full_version },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(entries); i++) {
        VamtCimInstance *inst = vamt_cim_new(&software_identity_class);

        vamt_cim_str(inst, "InstanceID", entries[i][0]);
        vamt_cim_bool(inst, "IsEntity", true);
        vamt_cim_str(inst, "VersionString", entries[i][1]);
        g_ptr_array_add(out, inst);
    }
}

static const VamtCimClass software_identity_class = {
    .name = "CIM_SoftwareIdentity", .ns_prefix = VAMT_NS_CIM,
    .keys = cim_keys_instance_id, .list = software_identity_list,
};

/* AMT_SetupAndConfigurationService */

static const VamtCimClass setup_service_class;
static void setup_service_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst =
        cim_new_service(&setup_service_class,
                        "Intel(r) AMT Setup and Configuration Service",
                        CIM_ENABLED_STATE_NOT_APPLICABLE,
                        CIM_REQUESTED_STATE_NOT_APPLICABLE);

    vamt_cim_uint(inst, "ProvisioningMode",
                  vamt_amt_control_mode(amt) == VAMT_CONTROL_MODE_CCM ?
                  4 : 1);
    vamt_cim_uint(inst, "ProvisioningState",
                  vamt_amt_provisioning_state(amt));
    vamt_cim_uint(inst, "PasswordModel", 1);
    vamt_cim_bool(inst, "ZeroTouchConfigurationEnabled", false);
    g_ptr_array_add(out, inst);
}

/* What was Put to AMT_TLSSettingData applies now (the ports follow) */
static uint32_t setup_commit_changes(VamtCimCall *call)
{
    vamt_amt_commit_tls(call->amt);
    return PT_SUCCESS;
}

static uint32_t setup_get_uuid(VamtCimCall *call)
{
    const VamtFirmware *fw = vamt_amt_firmware(call->amt);
    g_autofree char *b64 = g_base64_encode(fw->system_uuid, 16);

    vamt_cim_str(call->output, "UUID", b64);
    return PT_SUCCESS;
}

/*
 * Deactivation from either control mode, by the admin (MeshCommander's
 * "Deactivate", MeshCmd AmtDeactivate for ACM).  ProvisioningMode names
 * the mode being left; AMT 6 and later ignore it, so any of AMT's
 * provisioning modes (1 enterprise, 2 small business, 3 remote
 * assistance, 4 client control) is accepted.
 */
static uint32_t setup_unprovision(VamtCimCall *call)
{
    uint64_t mode;

    if (vamt_xml_child(call->input, "ProvisioningMode") &&
        (!cim_arg_uint(call, "ProvisioningMode", 4, &mode) || !mode)) {
        return PT_INVALID_PARAMETER;
    }
    if (vamt_amt_provisioning_state(call->amt) == VAMT_PROVISIONING_PRE) {
        return PT_INVALID_PROVISIONING_STATE;
    }
    vamt_amt_unprovision(call->amt, call->user);
    return PT_SUCCESS;
}

static const VamtCimMethod setup_service_methods[] = {
    { "CommitChanges", setup_commit_changes },
    { "GetUuid", setup_get_uuid },
    { "Unprovision", setup_unprovision },
    { NULL },
};

static const VamtCimClass setup_service_class = {
    .name = "AMT_SetupAndConfigurationService", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_service, .list = setup_service_list,
    .methods = setup_service_methods,
};

/* IPS_HostBasedSetupService */

static const VamtCimClass host_setup_class;
static void host_setup_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = cim_new_service(&host_setup_class,
                                            "Intel(r) AMT Host Based Setup "
                                            "Service",
                                            CIM_ENABLED_STATE_NOT_APPLICABLE,
                                            CIM_REQUESTED_STATE_NOT_APPLICABLE);
    uint8_t nonce[20];
    g_autofree char *b64 = NULL;

    cim_ops(amt)->random(vamt_amt_opaque(amt), nonce, sizeof(nonce));
    b64 = g_base64_encode(nonce, sizeof(nonce));
    vamt_cim_uint(inst, "CurrentControlMode", vamt_amt_control_mode(amt));
    vamt_cim_uint(inst, "AllowedControlModes", VAMT_CONTROL_MODE_ACM);
    vamt_cim_uint(inst, "AllowedControlModes", VAMT_CONTROL_MODE_CCM);
    vamt_cim_str(inst, "ConfigurationNonce", b64);
    vamt_cim_uint(inst, "CertChainStatus", 0);
    g_ptr_array_add(out, inst);
}

/* NetAdminPassEncryptionType: the password is MD5("admin":realm:pw) */
#define HBS_ENCRYPTION_HTTP_DIGEST_MD5_A1   2

/*
 * Client control mode activation by an in-guest agent over LME (rpc-go
 * activate -local -ccm, MeshCmd AmtCCM) with the local system account;
 * the realm rules (acl.c) keep it to that account and the admin.  The
 * signed-nonce arguments (McNonce, SigningAlgorithm, DigitalSignature)
 * belong to AdminSetup and are ignored.
 */
static uint32_t host_setup_setup(VamtCimCall *call)
{
    g_autofree char *ha1 = vamt_xml_child_text(call->input,
                                               "NetworkAdminPassword");
    uint64_t type;

    if (!cim_arg_uint(call, "NetAdminPassEncryptionType", UINT32_MAX,
                      &type) ||
        type != HBS_ENCRYPTION_HTTP_DIGEST_MD5_A1 || !ha1) {
        return PT_INVALID_PARAMETER;
    }
    return vamt_amt_setup_client_control(call->amt, g_strstrip(ha1),
                                         call->user);
}

static const VamtCimMethod host_setup_methods[] = {
    { "Setup", host_setup_setup },
    { NULL },
};

static const VamtCimClass host_setup_class = {
    .name = "IPS_HostBasedSetupService", .ns_prefix = VAMT_NS_IPS,
    .keys = cim_keys_service, .list = host_setup_list,
    .methods = host_setup_methods,
};

/* AMT_GeneralSettings */

static const VamtCimClass general_settings_class;
static void general_settings_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);
    VamtCimInstance *inst = vamt_cim_new(&general_settings_class);

    vamt_cim_str(inst, "InstanceID", "Intel(r) AMT: General Settings");
    vamt_cim_str(inst, "ElementName", "Intel(r) AMT: General Settings");
    vamt_cim_str(inst, "DigestRealm", s->realm);
    vamt_cim_str(inst, "HostName", s->hostname);
    vamt_cim_str(inst, "DomainName", s->domainname);
    vamt_cim_str(inst, "HostOSFQDN", s->host_os_fqdn);
    vamt_cim_bool(inst, "NetworkInterfaceEnabled", true);
    vamt_cim_uint(inst, "AMTNetworkEnabled", 1);
    vamt_cim_bool(inst, "PingResponseEnabled", s->ping_response);
    vamt_cim_bool(inst, "RmcpPingResponseEnabled", s->rmcp_ping_response);
    vamt_cim_bool(inst, "SharedFQDN", s->shared_fqdn);
    vamt_cim_uint(inst, "PowerSource", 0);
    vamt_cim_uint(inst, "PrivacyLevel", 0);
    vamt_cim_bool(inst, "DDNSUpdateEnabled", false);
    vamt_cim_bool(inst, "DDNSUpdateByDHCPServerEnabled", true);
    vamt_cim_uint(inst, "DDNSPeriodicUpdateInterval", 1440);
    vamt_cim_uint(inst, "DDNSTTL", 900);
    vamt_cim_uint(inst, "DHCPv6ConfigurationTimeout", 0);
    vamt_cim_uint(inst, "IdleWakeTimeout", s->idle_wake_timeout);
    vamt_cim_uint(inst, "PreferredAddressFamily", 0);
    vamt_cim_uint(inst, "PresenceNotificationInterval", 0);
    vamt_cim_uint(inst, "ThunderboltDockEnabled", 0);
    vamt_cim_bool(inst, "WsmanOnlyMode", false);
    g_ptr_array_add(out, inst);
}

static VamtCimStatus general_settings_put(VamtAmt *amt, const char *user,
                                          const VamtCimInstance *target,
                                          xmlNode *in)
{
    VamtAmtState *s = vamt_amt_state(amt);
    VamtAmtState next = *s;
    uint64_t idle = next.idle_wake_timeout;
    VamtCimStatus st = VAMT_CIM_OK;

    /* keys and read-only values (DigestRealm...) are ignored, as on AMT */
    st = st ?: cim_put_string(in, "HostName", next.hostname,
                              sizeof(next.hostname));
    st = st ?: cim_put_string(in, "DomainName", next.domainname,
                              sizeof(next.domainname));
    st = st ?: cim_put_bool(in, "PingResponseEnabled", &next.ping_response);
    st = st ?: cim_put_bool(in, "RmcpPingResponseEnabled",
                            &next.rmcp_ping_response);
    st = st ?: cim_put_bool(in, "SharedFQDN", &next.shared_fqdn);
    st = st ?: cim_put_uint(in, "IdleWakeTimeout", 65535, &idle);
    if (st == VAMT_CIM_OK && (!vamt_amt_name_is_valid(next.hostname) ||
                              !vamt_amt_name_is_valid(next.domainname))) {
        st = VAMT_CIM_INVALID;
    }
    if (st == VAMT_CIM_OK) {
        next.idle_wake_timeout = idle;
        *s = next;
    }
    return st;
}

static const VamtCimClass general_settings_class = {
    .name = "AMT_GeneralSettings", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_instance_id, .list = general_settings_list,
    .put = general_settings_put,
    /* no AMTAuthenticate: without Intel's chain it must be unsupported */
};


/*
 * AMT_ProvisioningCertificateHash: the trusted root hashes AMTHI lists
 * too (amt/cert-hashes.c), read-only; the InstanceID form is inferred
 */
static const VamtCimClass cert_hash_class;
static void cert_hash_list(VamtAmt *amt, GPtrArray *out)
{
    size_t n;
    const VamtCertHash *h = vamt_cert_hashes(&n);

    for (size_t i = 0; i < n; i++, h++) {
        VamtCimInstance *inst = vamt_cim_new(&cert_hash_class);
        g_autofree char *id = g_strdup_printf("Intel(r) AMT Certificate "
                                              "Hash: %zu", i);
        g_autofree char *data = g_base64_encode(h->hash, h->len);

        vamt_cim_str(inst, "InstanceID", id);
        /* MeshCmd shows Description as the root's name */
        vamt_cim_str(inst, "ElementName", "Intel(r) AMT Certificate Hash");
        vamt_cim_str(inst, "Description", h->name);
        vamt_cim_str(inst, "HashData", data);
        vamt_cim_uint(inst, "HashType", h->algorithm);
        vamt_cim_bool(inst, "IsDefault", true);
        vamt_cim_bool(inst, "Enabled", true);
        g_ptr_array_add(out, inst);
    }
}

static const VamtCimClass cert_hash_class = {
    .name = "AMT_ProvisioningCertificateHash", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_instance_id, .list = cert_hash_list,
};

CIM_EMPTY_CLASS(element_setting_class, "CIM_ElementSettingData", VAMT_NS_CIM,
            NULL);


const VamtCimClass *const vamt_cim_setup_classes[] = {
    &software_identity_class, &setup_service_class, &host_setup_class,
    &general_settings_class, &cert_hash_class, &element_setting_class, NULL,
};
