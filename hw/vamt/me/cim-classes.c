/*
 * vAMT ME core: the CIM/AMT/IPS classes (spec/wsman.md section 3),
 * backed by the firmware identity, the AMT state and the platform ops
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "cim.h"
#include "digest.h"

#define AMT_SYSTEM          "Intel(r) AMT"
#define MANAGED_SYSTEM      "ManagedSystem"
#define COMPUTER_SYSTEM     "CIM_ComputerSystem"

/* CIM method return values */
#define CIM_OK                  0
#define CIM_NOT_SUPPORTED       1
#define CIM_INVALID_STATE       2
#define CIM_INVALID_PARAMETER   5

/* PT_STATUS return values of AMT_ and IPS_ methods */
#define PT_SUCCESS              0
#define PT_INTERNAL_ERROR       1
#define PT_INVALID_STATE        2
#define PT_NOT_PERMITTED        0x10
#define PT_INVALID_TIME         0x22
#define PT_INVALID_PARAMETER    0x24
#define PT_INVALID_HANDLE       0x805
#define PT_INVALID_NAME         0x806
#define PT_MAX_LIMIT_REACHED    0x80b
#define PT_DUPLICATE            0x80a

#define ACL_HANDLES_PER_CALL    50
#define AUDIT_RECORDS_PER_CALL  10
#define OPT_IN_MAX_FAILURES     3

static const char *const keys_instance_id[] = { "InstanceID", NULL };
static const char *const keys_service[] = {
    "CreationClassName", "Name", "SystemCreationClassName", "SystemName",
    NULL
};
static const char *const keys_system[] = { "CreationClassName", "Name",
                                           NULL };
static const char *const keys_package[] = { "CreationClassName", "Tag",
                                            NULL };
static const char *const keys_device[] = {
    "CreationClassName", "DeviceID", "SystemCreationClassName",
    "SystemName", NULL
};
static const char *const keys_bios[] = {
    "Name", "SoftwareElementID", "SoftwareElementState",
    "TargetOperatingSystem", "Version", NULL
};

static const VamtPlatformOps *ops(VamtAmt *amt)
{
    return vamt_amt_ops(amt);
}

static VamtPowerState power_state(VamtAmt *amt)
{
    return ops(amt)->power_state(vamt_amt_opaque(amt));
}

static const VamtInventory *inventory(VamtAmt *amt)
{
    return ops(amt)->inventory(vamt_amt_opaque(amt));
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

/* The four keys and usual states of an AMT service singleton */
static VamtCimInstance *new_service(const VamtCimClass *cls,
                                    const char *name, unsigned enabled,
                                    unsigned requested)
{
    VamtCimInstance *inst = vamt_cim_new(cls);

    vamt_cim_str(inst, "CreationClassName", cls->name);
    vamt_cim_str(inst, "Name", name);
    vamt_cim_str(inst, "SystemCreationClassName", COMPUTER_SYSTEM);
    vamt_cim_str(inst, "SystemName", AMT_SYSTEM);
    vamt_cim_str(inst, "ElementName", name);
    vamt_cim_uint(inst, "EnabledState", enabled);
    vamt_cim_uint(inst, "RequestedState", requested);
    return inst;
}

static VamtCimEpr *service_epr(const char *class_name, const char *name)
{
    g_autofree char *uri = g_strconcat(VAMT_NS_CIM, class_name, NULL);
    VamtCimEpr *epr = vamt_cim_epr_new(uri);

    vamt_cim_epr_add(epr, "CreationClassName", class_name);
    vamt_cim_epr_add(epr, "Name", name);
    vamt_cim_epr_add(epr, "SystemCreationClassName", COMPUTER_SYSTEM);
    vamt_cim_epr_add(epr, "SystemName", AMT_SYSTEM);
    return epr;
}

static VamtCimEpr *managed_system_epr(void)
{
    VamtCimEpr *epr = vamt_cim_epr_new(VAMT_NS_CIM COMPUTER_SYSTEM);

    vamt_cim_epr_add(epr, "CreationClassName", COMPUTER_SYSTEM);
    vamt_cim_epr_add(epr, "Name", MANAGED_SYSTEM);
    return epr;
}

/* Method arguments */

static bool arg_uint(VamtCimCall *call, const char *name, uint64_t max,
                     uint64_t *v)
{
    g_autofree char *text = vamt_xml_child_text(call->input, name);

    return vamt_xml_parse_uint(text, max, v);
}

/* Every <name> child's value, for array arguments */
static GPtrArray *arg_array(xmlNode *parent, const char *name)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

    for (xmlNode *n = parent ? parent->children : NULL; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE &&
            !strcmp(vamt_xml_local_name(n), name)) {
            xmlChar *c = xmlNodeGetContent(n);

            g_ptr_array_add(out, g_strstrip(g_strdup((char *)c)));
            xmlFree(c);
        }
    }
    return out;
}

/* Put helpers: apply a property if the client sent it */

static VamtCimStatus put_bool(xmlNode *in, const char *name, bool *dst)
{
    g_autofree char *text = vamt_xml_child_text(in, name);

    if (text && !vamt_xml_parse_bool(text, dst)) {
        return VAMT_CIM_INVALID;
    }
    return VAMT_CIM_OK;
}

static VamtCimStatus put_uint(xmlNode *in, const char *name, uint64_t max,
                              uint64_t *dst)
{
    g_autofree char *text = vamt_xml_child_text(in, name);

    if (text && !vamt_xml_parse_uint(text, max, dst)) {
        return VAMT_CIM_INVALID;
    }
    return VAMT_CIM_OK;
}

static VamtCimStatus put_string(xmlNode *in, const char *name, char *dst,
                                size_t size)
{
    g_autofree char *text = vamt_xml_child_text(in, name);

    if (!text) {
        return VAMT_CIM_OK;
    }
    if (strlen(text) >= size) {
        return VAMT_CIM_INVALID;
    }
    g_strlcpy(dst, text, size);
    return VAMT_CIM_OK;
}

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
    .keys = keys_instance_id, .list = software_identity_list,
};

/* AMT_SetupAndConfigurationService */

static const VamtCimClass setup_service_class;
static void setup_service_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtFirmware *fw = vamt_amt_firmware(amt);
    VamtCimInstance *inst =
        new_service(&setup_service_class,
                    "Intel(r) AMT Setup and Configuration Service", 5, 12);

    vamt_cim_uint(inst, "ProvisioningMode",
                  fw->control_mode == VAMT_CONTROL_MODE_CCM ? 4 : 1);
    vamt_cim_uint(inst, "ProvisioningState", fw->provisioning_state);
    vamt_cim_uint(inst, "PasswordModel", 1);
    vamt_cim_bool(inst, "ZeroTouchConfigurationEnabled", false);
    g_ptr_array_add(out, inst);
}

static uint32_t setup_commit_changes(VamtCimCall *call)
{
    return PT_SUCCESS;
}

static uint32_t setup_get_uuid(VamtCimCall *call)
{
    const VamtFirmware *fw = vamt_amt_firmware(call->amt);
    g_autofree char *b64 = g_base64_encode(fw->system_uuid, 16);

    vamt_cim_str(call->output, "UUID", b64);
    return PT_SUCCESS;
}

static const VamtCimMethod setup_service_methods[] = {
    { "CommitChanges", setup_commit_changes },
    { "GetUuid", setup_get_uuid },
    { NULL },
};

static const VamtCimClass setup_service_class = {
    .name = "AMT_SetupAndConfigurationService", .ns_prefix = VAMT_NS_AMT,
    .keys = keys_service, .list = setup_service_list,
    .methods = setup_service_methods,
};

/* IPS_HostBasedSetupService */

static const VamtCimClass host_setup_class;
static void host_setup_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtFirmware *fw = vamt_amt_firmware(amt);
    VamtCimInstance *inst = new_service(&host_setup_class,
                                        "Intel(r) AMT Host Based Setup "
                                        "Service", 5, 12);
    uint8_t nonce[20];
    g_autofree char *b64 = NULL;

    ops(amt)->random(vamt_amt_opaque(amt), nonce, sizeof(nonce));
    b64 = g_base64_encode(nonce, sizeof(nonce));
    vamt_cim_uint(inst, "CurrentControlMode", fw->control_mode);
    vamt_cim_uint(inst, "AllowedControlModes", VAMT_CONTROL_MODE_ACM);
    vamt_cim_uint(inst, "AllowedControlModes", VAMT_CONTROL_MODE_CCM);
    vamt_cim_str(inst, "ConfigurationNonce", b64);
    vamt_cim_uint(inst, "CertChainStatus", 0);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass host_setup_class = {
    .name = "IPS_HostBasedSetupService", .ns_prefix = VAMT_NS_IPS,
    .keys = keys_service, .list = host_setup_list,
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
    vamt_cim_str(inst, "HostOSFQDN", "");
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

static bool valid_hostname(const char *name)
{
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.') {
            return false;
        }
    }
    return true;
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
    st = st ?: put_string(in, "HostName", next.hostname,
                          sizeof(next.hostname));
    st = st ?: put_string(in, "DomainName", next.domainname,
                          sizeof(next.domainname));
    st = st ?: put_bool(in, "PingResponseEnabled", &next.ping_response);
    st = st ?: put_bool(in, "RmcpPingResponseEnabled",
                        &next.rmcp_ping_response);
    st = st ?: put_bool(in, "SharedFQDN", &next.shared_fqdn);
    st = st ?: put_uint(in, "IdleWakeTimeout", 65535, &idle);
    if (st == VAMT_CIM_OK && (!valid_hostname(next.hostname) ||
                              !valid_hostname(next.domainname))) {
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
    .keys = keys_instance_id, .list = general_settings_list,
    .put = general_settings_put,
    /* no AMTAuthenticate: without Intel's chain it must be unsupported */
};

/* Systems and power */

static const VamtCimClass computer_system_class;
static void computer_system_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *host = vamt_cim_new(&computer_system_class);
    VamtCimInstance *me = vamt_cim_new(&computer_system_class);

    vamt_cim_str(host, "CreationClassName", COMPUTER_SYSTEM);
    vamt_cim_str(host, "Name", MANAGED_SYSTEM);
    vamt_cim_str(host, "ElementName", "Managed System");
    vamt_cim_uint(host, "EnabledState",
                  power_state(amt) == VAMT_POWER_ON ? 2 : 3);
    vamt_cim_uint(host, "OperationalStatus", 0);
    g_ptr_array_add(out, host);
    vamt_cim_str(me, "CreationClassName", COMPUTER_SYSTEM);
    vamt_cim_str(me, "Name", AMT_SYSTEM);
    vamt_cim_str(me, "ElementName", "Intel(r) AMT Subsystem");
    vamt_cim_uint(me, "EnabledState", 2);
    vamt_cim_uint(me, "OperationalStatus", 0);
    g_ptr_array_add(out, me);
}

static const VamtCimClass computer_system_class = {
    .name = COMPUTER_SYSTEM, .ns_prefix = VAMT_NS_CIM,
    .keys = keys_system, .list = computer_system_list,
};

static const VamtCimClass power_service_class;
static void power_service_list(VamtAmt *amt, GPtrArray *out)
{
    g_ptr_array_add(out, new_service(&power_service_class,
                                     "Intel(r) AMT Power Management Service",
                                     5, 12));
}

static bool power_request_valid(uint64_t state)
{
    return state >= VAMT_POWER_ON &&
           state <= VAMT_POWER_CYCLE_HARD_GRACEFUL &&
           state != VAMT_POWER_SLEEP_LIGHT;
}

static uint32_t power_request_state_change(VamtCimCall *call)
{
    xmlNode *element = vamt_xml_child(call->input, "ManagedElement");
    uint64_t state;

    if (!arg_uint(call, "PowerState", UINT16_MAX, &state) ||
        !power_request_valid(state)) {
        return CIM_INVALID_PARAMETER;
    }
    if (element) {
        g_autoptr(GPtrArray) sel = vamt_xml_epr_selectors(element);
        const char *name = vamt_cim_selector(sel, "Name");

        if (name && strcmp(name, MANAGED_SYSTEM)) {
            return CIM_INVALID_PARAMETER;
        }
    }
    return vamt_amt_request_power(call->amt, state, call->user)
           ? CIM_OK : CIM_INVALID_STATE;
}

static const VamtCimMethod power_service_methods[] = {
    { "RequestPowerStateChange", power_request_state_change },
    { NULL },
};

static const VamtCimClass power_service_class = {
    .name = "CIM_PowerManagementService", .ns_prefix = VAMT_NS_CIM,
    .keys = keys_service, .list = power_service_list,
    .methods = power_service_methods,
};

static const VamtCimClass assoc_power_class;
static void assoc_power_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = vamt_cim_new(&assoc_power_class);
    VamtPowerState state = power_state(amt);
    static const unsigned when_on[] = { 4, 5, 8, 10, 11, 12, 14 };
    static const unsigned when_off[] = { 2 };
    bool on = state == VAMT_POWER_ON;

    vamt_cim_uint(inst, "PowerState", state);
    for (unsigned i = 0; i < (on ? G_N_ELEMENTS(when_on)
                                 : G_N_ELEMENTS(when_off)); i++) {
        vamt_cim_uint(inst, "AvailableRequestedPowerStates",
                      on ? when_on[i] : when_off[i]);
    }
    vamt_cim_epr(inst, "ServiceProvided",
                 service_epr("CIM_PowerManagementService",
                             "Intel(r) AMT Power Management Service"));
    vamt_cim_epr(inst, "UserOfService", managed_system_epr());
    g_ptr_array_add(out, inst);
}

static const VamtCimClass assoc_power_class = {
    .name = "CIM_AssociatedPowerManagementService",
    .ns_prefix = VAMT_NS_CIM, .list = assoc_power_list,
};

/* polymorphic: its only subclass instances */
static const VamtCimClass service_available_class = {
    .name = "CIM_ServiceAvailableToElement", .ns_prefix = VAMT_NS_CIM,
    .list = assoc_power_list,
};

static const VamtCimClass ips_power_class;
static void ips_power_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = new_service(&ips_power_class,
                                        "Intel(r) AMT Power Management "
                                        "Service", 5, 12);

    vamt_cim_uint(inst, "OSPowerSavingState",
                  power_state(amt) == VAMT_POWER_ON ? 2 : 0);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass ips_power_class = {
    .name = "IPS_PowerManagementService", .ns_prefix = VAMT_NS_IPS,
    .keys = keys_service, .list = ips_power_list,
};

/* Boot control */

static const VamtCimClass boot_capabilities_class;
static void boot_capabilities_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = vamt_cim_new(&boot_capabilities_class);
    static const char *const supported[] = {
        "BIOSSetup", "ForcePXEBoot", "ForceHardDriveBoot",
        "ForceCDorDVDBoot",
    };
    /* redirection (IDER, SOL) is not served yet, so not advertised */
    static const char *const unsupported[] = {
        "IDER", "SOL", "BIOSReflash", "BIOSPause",
        "ForceHardDriveSafeModeBoot", "ForceDiagnosticBoot",
        "VerbosityScreenBlank", "PowerButtonLock", "ResetButtonLock",
        "KeyboardLock", "SleepButtonLock", "UserPasswordBypass",
        "ForcedProgressEvents", "VerbosityVerbose", "VerbosityQuiet",
        "ConfigurationDataReset", "BIOSSecureBoot", "SecureErase",
        "ForceWinREBoot", "ForceUEFILocalPBABoot", "ForceUEFIHTTPSBoot",
        "AMTSecureBootControl", "UEFIWiFiCoExistenceAndProfileShare",
    };

    vamt_cim_str(inst, "InstanceID", "Intel(r) AMT:BootCapabilities 0");
    vamt_cim_str(inst, "ElementName", "Intel(r) AMT: Boot Capabilities");
    for (unsigned i = 0; i < G_N_ELEMENTS(supported); i++) {
        vamt_cim_bool(inst, supported[i], true);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(unsupported); i++) {
        vamt_cim_bool(inst, unsupported[i], false);
    }
    vamt_cim_uint(inst, "PlatformErase", 0);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass boot_capabilities_class = {
    .name = "AMT_BootCapabilities", .ns_prefix = VAMT_NS_AMT,
    .keys = keys_instance_id, .list = boot_capabilities_list,
};

typedef struct BootFlag {
    const char *name;
    size_t offset;
} BootFlag;

#define BOOT_FLAG(prop, field) { prop, offsetof(VamtBootSettings, field) }

static const BootFlag boot_flags[] = {
    BOOT_FLAG("UseSOL", use_sol),
    BOOT_FLAG("UseIDER", use_ider),
    BOOT_FLAG("UseSafeMode", use_safe_mode),
    BOOT_FLAG("ReflashBIOS", reflash_bios),
    BOOT_FLAG("BIOSSetup", bios_setup),
    BOOT_FLAG("BIOSPause", bios_pause),
    BOOT_FLAG("LockPowerButton", lock_power_button),
    BOOT_FLAG("LockResetButton", lock_reset_button),
    BOOT_FLAG("LockKeyboard", lock_keyboard),
    BOOT_FLAG("LockSleepButton", lock_sleep_button),
    BOOT_FLAG("UserPasswordBypass", user_password_bypass),
    BOOT_FLAG("ForcedProgressEvents", forced_progress_events),
    BOOT_FLAG("ConfigurationDataReset", configuration_data_reset),
    BOOT_FLAG("EnforceSecureBoot", enforce_secure_boot),
};

static const VamtCimClass boot_setting_class;
static void boot_setting_list(VamtAmt *amt, GPtrArray *out)
{
    VamtBootSettings *b = &vamt_amt_state(amt)->boot;
    VamtCimInstance *inst = vamt_cim_new(&boot_setting_class);
    static const char *const off[] = {
        "SecureErase", "WinREBootEnabled", "UEFILocalPBABootEnabled",
        "UEFIHTTPSBootEnabled", "SecureBootControlEnabled", "RPEEnabled",
        "PlatformErase",
    };

    vamt_cim_str(inst, "InstanceID", "Intel(r) AMT:BootSettingData 0");
    vamt_cim_str(inst, "ElementName",
                 "Intel(r) AMT Boot Configuration Settings");
    vamt_cim_str(inst, "OwningEntity", "Intel(r) AMT");
    for (unsigned i = 0; i < G_N_ELEMENTS(boot_flags); i++) {
        vamt_cim_bool(inst, boot_flags[i].name,
                      *(bool *)((char *)b + boot_flags[i].offset));
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(off); i++) {
        vamt_cim_bool(inst, off[i], false);
    }
    vamt_cim_uint(inst, "FirmwareVerbosity", b->firmware_verbosity);
    vamt_cim_uint(inst, "IDERBootDevice", b->ider_boot_device);
    vamt_cim_uint(inst, "BootMediaIndex", b->boot_media_index);
    vamt_cim_bool(inst, "OptionsCleared", b->options_cleared);
    vamt_cim_uint(inst, "BIOSLastStatus", 2);
    vamt_cim_uint(inst, "BIOSLastStatus", 0);
    vamt_cim_uint(inst, "BootguardStatus", 0);
    vamt_cim_uint(inst, "UefiBootNumberOfParams", 0);
    g_ptr_array_add(out, inst);
}

static VamtCimStatus boot_setting_put(VamtAmt *amt, const char *user,
                                      const VamtCimInstance *target,
                                      xmlNode *in)
{
    VamtBootSettings *b = &vamt_amt_state(amt)->boot;
    VamtBootSettings next = *b;
    uint64_t verbosity = next.firmware_verbosity;
    uint64_t ider_device = next.ider_boot_device;
    uint64_t media = next.boot_media_index;
    VamtCimStatus st = VAMT_CIM_OK;

    for (unsigned i = 0; i < G_N_ELEMENTS(boot_flags) && !st; i++) {
        st = put_bool(in, boot_flags[i].name,
                      (bool *)((char *)&next + boot_flags[i].offset));
    }
    st = st ?: put_uint(in, "FirmwareVerbosity", 3, &verbosity);
    st = st ?: put_uint(in, "IDERBootDevice", 1, &ider_device);
    st = st ?: put_uint(in, "BootMediaIndex", UINT16_MAX, &media);
    if (st) {
        return st;
    }
    next.firmware_verbosity = verbosity;
    next.ider_boot_device = ider_device;
    next.boot_media_index = media;
    *b = next;
    /* e.g. BIOSSetup: SeaBIOS has no setup to enter */
    return vamt_amt_apply_boot(amt, user) ? VAMT_CIM_OK
                                          : VAMT_CIM_NOT_SUPPORTED;
}

static const VamtCimClass boot_setting_class = {
    .name = "AMT_BootSettingData", .ns_prefix = VAMT_NS_AMT,
    .keys = keys_instance_id, .list = boot_setting_list,
    .put = boot_setting_put,
};

#define BOOT_CONFIG_ID  "Intel(r) AMT: Boot Configuration 0"

static const struct {
    const char *instance_id;
    const char *structured;
    VamtBootTarget target;
} boot_sources[] = {
    { "Intel(r) AMT: Force Hard-drive Boot", "CIM:Hard-Disk:1",
      VAMT_BOOT_HDD },
    { "Intel(r) AMT: Force PXE Boot", "CIM:Network:1", VAMT_BOOT_PXE },
    { "Intel(r) AMT: Force CD/DVD Boot", "CIM:CD/DVD:1", VAMT_BOOT_CD },
};

static const VamtCimClass boot_source_class;
static void boot_source_list(VamtAmt *amt, GPtrArray *out)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(boot_sources); i++) {
        VamtCimInstance *inst = vamt_cim_new(&boot_source_class);

        vamt_cim_str(inst, "InstanceID", boot_sources[i].instance_id);
        vamt_cim_str(inst, "ElementName", boot_sources[i].instance_id);
        vamt_cim_str(inst, "StructuredBootString",
                     boot_sources[i].structured);
        vamt_cim_uint(inst, "FailThroughSupported", 2);
        g_ptr_array_add(out, inst);
    }
}

static const VamtCimClass boot_source_class = {
    .name = "CIM_BootSourceSetting", .ns_prefix = VAMT_NS_CIM,
    .keys = keys_instance_id, .list = boot_source_list,
};

static const VamtCimClass boot_config_class;
static void boot_config_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = vamt_cim_new(&boot_config_class);

    vamt_cim_str(inst, "InstanceID", BOOT_CONFIG_ID);
    vamt_cim_str(inst, "ElementName", "Intel(r) AMT: Boot Configuration");
    g_ptr_array_add(out, inst);
}

/* Source absent = no forced device; otherwise one of boot_sources[] */
static uint32_t boot_config_change_order(VamtCimCall *call)
{
    VamtBootSettings *b = &vamt_amt_state(call->amt)->boot;
    xmlNode *source = vamt_xml_child(call->input, "Source");
    g_autoptr(GPtrArray) sel = NULL;
    const char *id;

    if (!source) {
        b->boot_source = VAMT_BOOT_DEFAULT;
        vamt_amt_apply_boot(call->amt, call->user);
        return CIM_OK;
    }
    sel = vamt_xml_epr_selectors(source);
    id = vamt_cim_selector(sel, "InstanceID");
    for (unsigned i = 0; id && i < G_N_ELEMENTS(boot_sources); i++) {
        if (!strcmp(id, boot_sources[i].instance_id)) {
            b->boot_source = boot_sources[i].target;
            /* the VM has no such device (or -kernel boots it) */
            return vamt_amt_apply_boot(call->amt, call->user) ?
                   CIM_OK : CIM_NOT_SUPPORTED;
        }
    }
    return CIM_INVALID_PARAMETER;
}

static const VamtCimMethod boot_config_methods[] = {
    { "ChangeBootOrder", boot_config_change_order },
    { NULL },
};

static const VamtCimClass boot_config_class = {
    .name = "CIM_BootConfigSetting", .ns_prefix = VAMT_NS_CIM,
    .keys = keys_instance_id, .list = boot_config_list,
    .methods = boot_config_methods,
};

static const VamtCimClass boot_service_class;
static void boot_service_list(VamtAmt *amt, GPtrArray *out)
{
    g_ptr_array_add(out, new_service(&boot_service_class,
                                     "Intel(r) AMT Boot Service", 2, 12));
}

static uint32_t boot_service_set_role(VamtCimCall *call)
{
    xmlNode *setting = vamt_xml_child(call->input, "BootConfigSetting");
    uint64_t role;

    if (!arg_uint(call, "Role", 1, &role)) {
        return CIM_INVALID_PARAMETER;
    }
    if (setting) {
        g_autoptr(GPtrArray) sel = vamt_xml_epr_selectors(setting);
        const char *id = vamt_cim_selector(sel, "InstanceID");

        if (id && strcmp(id, BOOT_CONFIG_ID)) {
            return CIM_INVALID_PARAMETER;
        }
    }
    /* IsNext (0) and IsNextSingleUse (1) both mean the next boot here */
    vamt_amt_state(call->amt)->boot.next_single_use = true;
    return vamt_amt_apply_boot(call->amt, call->user) ? CIM_OK
                                                      : CIM_NOT_SUPPORTED;
}

static const VamtCimMethod boot_service_methods[] = {
    { "SetBootConfigRole", boot_service_set_role },
    { NULL },
};

static const VamtCimClass boot_service_class = {
    .name = "CIM_BootService", .ns_prefix = VAMT_NS_CIM,
    .keys = keys_service, .list = boot_service_list,
    .methods = boot_service_methods,
};

/* Redirection, KVM, consent */

static const VamtCimClass redirection_class;
static void redirection_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);
    VamtCimInstance *inst = new_service(&redirection_class,
                                        "Intel(r) AMT Redirection Service",
                                        s->redirection_state, 12);

    vamt_cim_bool(inst, "ListenerEnabled", s->redirection_listener);
    g_ptr_array_add(out, inst);
}

static VamtCimStatus redirection_put(VamtAmt *amt, const char *user,
                                     const VamtCimInstance *target,
                                     xmlNode *in)
{
    return put_bool(in, "ListenerEnabled",
                    &vamt_amt_state(amt)->redirection_listener);
}

static uint32_t redirection_request_state(VamtCimCall *call)
{
    uint64_t state;

    if (!arg_uint(call, "RequestedState", UINT16_MAX, &state) ||
        state < 32768 || state > 32771) {
        return PT_INVALID_PARAMETER;
    }
    vamt_amt_state(call->amt)->redirection_state = state;
    return PT_SUCCESS;
}

static const VamtCimMethod redirection_methods[] = {
    { "RequestStateChange", redirection_request_state },
    { NULL },
};

static const VamtCimClass redirection_class = {
    .name = "AMT_RedirectionService", .ns_prefix = VAMT_NS_AMT,
    .keys = keys_service, .list = redirection_list,
    .put = redirection_put, .methods = redirection_methods,
};

static const VamtCimClass kvm_sap_class;
static void kvm_sap_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);
    VamtCimInstance *inst = vamt_cim_new(&kvm_sap_class);

    vamt_cim_str(inst, "CreationClassName", "CIM_KVMRedirectionSAP");
    vamt_cim_str(inst, "Name", "KVM Redirection Service Access Point");
    vamt_cim_str(inst, "SystemCreationClassName", COMPUTER_SYSTEM);
    vamt_cim_str(inst, "SystemName", MANAGED_SYSTEM);
    vamt_cim_str(inst, "ElementName", "KVM Redirection Service Access Point");
    vamt_cim_uint(inst, "EnabledState", s->kvm_state);
    vamt_cim_uint(inst, "RequestedState", s->kvm_requested);
    vamt_cim_uint(inst, "KVMProtocol", 4);
    g_ptr_array_add(out, inst);
}

static uint32_t kvm_sap_request_state(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    uint64_t state;

    if (!arg_uint(call, "RequestedState", UINT16_MAX, &state) ||
        (state != 2 && state != 3)) {
        return CIM_INVALID_PARAMETER;
    }
    /* enabled without a session is "enabled but offline" */
    s->kvm_state = state == 2 ? 6 : 3;
    s->kvm_requested = state;
    return CIM_OK;
}

static const VamtCimMethod kvm_sap_methods[] = {
    { "RequestStateChange", kvm_sap_request_state },
    { NULL },
};

static const VamtCimClass kvm_sap_class = {
    .name = "CIM_KVMRedirectionSAP", .ns_prefix = VAMT_NS_CIM,
    .keys = keys_service, .list = kvm_sap_list, .methods = kvm_sap_methods,
};

static const VamtCimClass kvm_settings_class;
static void kvm_settings_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);
    VamtCimInstance *inst = vamt_cim_new(&kvm_settings_class);

    vamt_cim_str(inst, "InstanceID", "Intel(r) KVM Redirection Settings");
    vamt_cim_str(inst, "ElementName", "Intel(r) KVM Redirection Settings");
    vamt_cim_str(inst, "RFBPassword", "");
    vamt_cim_bool(inst, "Is5900PortEnabled", s->kvm_port_5900);
    vamt_cim_bool(inst, "OptInPolicy", s->opt_in_required != 0);
    vamt_cim_uint(inst, "OptInPolicyTimeout", s->opt_in_code_timeout);
    vamt_cim_uint(inst, "SessionTimeout", s->kvm_session_timeout);
    vamt_cim_uint(inst, "DefaultScreen", 0);
    vamt_cim_bool(inst, "EnabledByMEBx", true);
    vamt_cim_bool(inst, "BackToBackFbMode", false);
    g_ptr_array_add(out, inst);
}

static VamtCimStatus kvm_settings_put(VamtAmt *amt, const char *user,
                                      const VamtCimInstance *target,
                                      xmlNode *in)
{
    VamtAmtState *s = vamt_amt_state(amt);
    bool port = s->kvm_port_5900;
    uint64_t timeout = s->kvm_session_timeout;
    VamtCimStatus st = put_bool(in, "Is5900PortEnabled", &port);

    st = st ?: put_uint(in, "SessionTimeout", UINT16_MAX, &timeout);
    if (st == VAMT_CIM_OK) {
        s->kvm_port_5900 = port;
        s->kvm_session_timeout = timeout;
    }
    return st;
}

static const VamtCimClass kvm_settings_class = {
    .name = "IPS_KVMRedirectionSettingData", .ns_prefix = VAMT_NS_IPS,
    .keys = keys_instance_id, .list = kvm_settings_list,
    .put = kvm_settings_put,
};

/* IPS_OptInService states */
enum {
    OPT_IN_NOT_STARTED = 0,
    OPT_IN_REQUESTED = 1,
    OPT_IN_DISPLAYED = 2,
    OPT_IN_RECEIVED = 3,
};

static const VamtCimClass opt_in_class;
static void opt_in_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);
    const VamtFirmware *fw = vamt_amt_firmware(amt);
    VamtCimInstance *inst = new_service(&opt_in_class,
                                        "Intel(r) AMT OptIn Service", 5, 12);

    vamt_cim_uint(inst, "OptInRequired", s->opt_in_required);
    vamt_cim_uint(inst, "OptInState", s->opt_in_state);
    vamt_cim_uint(inst, "CanModifyOptInPolicy",
                  fw->control_mode == VAMT_CONTROL_MODE_ACM);
    vamt_cim_uint(inst, "OptInCodeTimeout", s->opt_in_code_timeout);
    vamt_cim_uint(inst, "OptInDisplayTimeout", s->opt_in_display_timeout);
    g_ptr_array_add(out, inst);
}

static VamtCimStatus opt_in_put(VamtAmt *amt, const char *user,
                                const VamtCimInstance *target, xmlNode *in)
{
    VamtAmtState *s = vamt_amt_state(amt);
    uint64_t required = s->opt_in_required;
    uint64_t display = s->opt_in_display_timeout;
    VamtCimStatus st = put_uint(in, "OptInRequired", UINT32_MAX, &required);

    st = st ?: put_uint(in, "OptInDisplayTimeout", 65535, &display);
    if (st == VAMT_CIM_OK && required != 0 && required != 1 &&
        required != UINT32_MAX) {
        st = VAMT_CIM_INVALID;
    }
    /* client control mode always needs consent for everything */
    if (st == VAMT_CIM_OK && required != UINT32_MAX &&
        vamt_amt_firmware(amt)->control_mode != VAMT_CONTROL_MODE_ACM) {
        st = VAMT_CIM_INVALID;
    }
    if (st == VAMT_CIM_OK) {
        s->opt_in_required = required;
        s->opt_in_display_timeout = display;
    }
    return st;
}

static void opt_in_show(VamtAmt *amt, uint32_t code)
{
    if (ops(amt)->show_consent_code) {
        ops(amt)->show_consent_code(vamt_amt_opaque(amt), code);
    }
}

static uint32_t opt_in_start(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    uint8_t raw[4];

    if (s->opt_in_state != OPT_IN_NOT_STARTED) {
        return PT_INVALID_STATE;
    }
    ops(call->amt)->random(vamt_amt_opaque(call->amt), raw, sizeof(raw));
    s->opt_in_code = (raw[0] | raw[1] << 8 | raw[2] << 16 |
                      (uint32_t)raw[3] << 24) % 1000000;
    s->opt_in_failures = 0;
    s->opt_in_state = OPT_IN_DISPLAYED;
    opt_in_show(call->amt, s->opt_in_code);
    return PT_SUCCESS;
}

static uint32_t opt_in_send_code(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    uint64_t code;

    if (s->opt_in_state != OPT_IN_REQUESTED &&
        s->opt_in_state != OPT_IN_DISPLAYED) {
        return PT_INVALID_STATE;
    }
    if (!arg_uint(call, "OptInCode", UINT32_MAX, &code)) {
        return PT_INVALID_PARAMETER;
    }
    if (code != s->opt_in_code) {
        if (++s->opt_in_failures >= OPT_IN_MAX_FAILURES) {
            s->opt_in_state = OPT_IN_NOT_STARTED;
            opt_in_show(call->amt, 0);
        }
        return PT_INVALID_PARAMETER;
    }
    s->opt_in_state = OPT_IN_RECEIVED;
    opt_in_show(call->amt, 0);
    return PT_SUCCESS;
}

static uint32_t opt_in_cancel(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);

    s->opt_in_state = OPT_IN_NOT_STARTED;
    opt_in_show(call->amt, 0);
    return PT_SUCCESS;
}

static const VamtCimMethod opt_in_methods[] = {
    { "StartOptIn", opt_in_start },
    { "SendOptInCode", opt_in_send_code },
    { "CancelOptIn", opt_in_cancel },
    { NULL },
};

static const VamtCimClass opt_in_class = {
    .name = "IPS_OptInService", .ns_prefix = VAMT_NS_IPS,
    .keys = keys_service, .list = opt_in_list, .put = opt_in_put,
    .methods = opt_in_methods,
};

/* Time */

static const VamtCimClass time_service_class;
static void time_service_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = new_service(&time_service_class,
                                        "Intel(r) AMT Time Synchronization "
                                        "Service", 5, 12);

    vamt_cim_uint(inst, "LocalTimeSyncEnabled", 0);
    vamt_cim_uint(inst, "TimeSource", 1);
    g_ptr_array_add(out, inst);
}

static uint32_t time_get_low_accuracy(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);

    s->last_ta0 = vamt_amt_now(call->amt);
    vamt_cim_uint(call->output, "Ta0", s->last_ta0);
    return PT_SUCCESS;
}

/* The console's clock at Tm2 becomes the AMT clock */
static uint32_t time_set_high_accuracy(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    uint64_t ta0, tm1, tm2;

    if (!arg_uint(call, "Ta0", UINT32_MAX, &ta0) ||
        !arg_uint(call, "Tm1", UINT32_MAX, &tm1) ||
        !arg_uint(call, "Tm2", UINT32_MAX, &tm2) || tm2 < tm1) {
        return PT_INVALID_PARAMETER;
    }
    if (ta0 != s->last_ta0) {
        return PT_INVALID_TIME;
    }
    s->clock_offset_s = (int64_t)tm2 -
                        ops(call->amt)->time_utc(vamt_amt_opaque(call->amt));
    return PT_SUCCESS;
}

static const VamtCimMethod time_service_methods[] = {
    { "GetLowAccuracyTimeSynch", time_get_low_accuracy },
    { "SetHighAccuracyTimeSynch", time_set_high_accuracy },
    { NULL },
};

static const VamtCimClass time_service_class = {
    .name = "AMT_TimeSynchronizationService", .ns_prefix = VAMT_NS_AMT,
    .keys = keys_service, .list = time_service_list,
    .methods = time_service_methods,
};

/* Network */

static const VamtCimClass ethernet_class;
static void ethernet_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = inventory(amt);
    const uint8_t *mac = inv->nics ? inv->nic_mac[0]
                                   : vamt_amt_firmware(amt)->host_mac;
    VamtCimInstance *inst = vamt_cim_new(&ethernet_class);
    static const unsigned link_policy[] = { 1, 14, 16 };

    vamt_cim_str(inst, "InstanceID",
                 "Intel(r) AMT Ethernet Port Settings 0");
    vamt_cim_str(inst, "ElementName",
                 "Intel(r) AMT Ethernet Port Settings");
    vamt_cim_printf(inst, "MACAddress", "%02x-%02x-%02x-%02x-%02x-%02x",
                    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    vamt_cim_bool(inst, "LinkIsUp", true);
    for (unsigned i = 0; i < G_N_ELEMENTS(link_policy); i++) {
        vamt_cim_uint(inst, "LinkPolicy", link_policy[i]);
    }
    vamt_cim_bool(inst, "SharedMAC", true);
    vamt_cim_bool(inst, "SharedStaticIp", false);
    vamt_cim_bool(inst, "SharedDynamicIP", true);
    vamt_cim_bool(inst, "IpSyncEnabled", true);
    vamt_cim_bool(inst, "DHCPEnabled", true);
    vamt_cim_uint(inst, "PhysicalConnectionType", 0);
    vamt_cim_uint(inst, "ConsoleTcpMaxRetransmissions", 5);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass ethernet_class = {
    .name = "AMT_EthernetPortSettings", .ns_prefix = VAMT_NS_AMT,
    .keys = keys_instance_id, .list = ethernet_list,
};

/* Users */

static const VamtCimClass authorization_class;
static void authorization_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = new_service(&authorization_class,
                                        "Intel(r) AMT Authorization Service",
                                        5, 12);

    vamt_cim_uint(inst, "AllowHttpQopAuthOnly", 1);
    g_ptr_array_add(out, inst);
}

/* Extended data of the ACL audit events (1602-1606) */
#define AUDIT_INITIATOR_DIGEST      0
#define AUDIT_MODIFIED_USERNAME     0x01
#define AUDIT_MODIFIED_PASSWORD     0x02
#define AUDIT_MODIFIED_REALMS       0x0c    /* local and remote realms */

/*
 * Audit a change to ACL entry @name: @lead (flags or state, may be
 * empty) then the entry as a Digest user, as AMT's consoles decode it.
 */
static void audit_acl_entry(VamtCimCall *call, unsigned event,
                            const uint8_t *lead, size_t lead_len,
                            const char *name)
{
    uint8_t ext[VAMT_AMT_AUDIT_EXTENDED_MAX];
    size_t name_len = MIN(strlen(name), VAMT_AMT_USER_NAME_MAX);
    size_t n = lead_len;

    g_assert(lead_len + 2 + name_len <= sizeof(ext));
    if (lead_len) {
        memcpy(ext, lead, lead_len);
    }
    ext[n++] = AUDIT_INITIATOR_DIGEST;
    ext[n++] = name_len;
    memcpy(ext + n, name, name_len);
    vamt_audit_event_ex(call->amt, event, call->user, ext, n + name_len);
}

/*
 * A user with the ACL realm but without PT Administration manages only
 * entries within its own realms, so it cannot hand out (or take away)
 * more power than it has.
 */
static bool may_manage_realms(VamtCimCall *call, uint32_t realms)
{
    uint32_t own = call->user ? vamt_amt_user_realms(call->amt, call->user)
                              : 0;
    uint32_t admin = VAMT_ACL_REALM(VAMT_REALM_PT_ADMINISTRATION);

    return vamt_acl_permits(own, admin) || !(realms & ~own);
}

static uint32_t auth_get_admin(VamtCimCall *call)
{
    vamt_cim_str(call->output, "Username",
                 vamt_amt_state(call->amt)->admin_name);
    return PT_SUCCESS;
}

static uint32_t auth_admin_status(VamtCimCall *call)
{
    vamt_cim_bool(call->output, "IsDefault", false);
    return PT_SUCCESS;
}

static uint32_t auth_enumerate(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    uint64_t start;
    unsigned total = 0, returned = 0;
    g_autoptr(GArray) handles = g_array_new(FALSE, FALSE, sizeof(uint32_t));

    if (!arg_uint(call, "StartIndex", UINT32_MAX, &start) || !start) {
        return PT_INVALID_PARAMETER;
    }
    for (unsigned i = 0; i < VAMT_AMT_MAX_USERS; i++) {
        if (s->users[i].in_use) {
            total++;
            if (total >= start && returned < ACL_HANDLES_PER_CALL) {
                g_array_append_val(handles, s->users[i].handle);
                returned++;
            }
        }
    }
    vamt_cim_uint(call->output, "TotalCount", total);
    vamt_cim_uint(call->output, "HandlesCount", returned);
    for (guint i = 0; i < handles->len; i++) {
        vamt_cim_uint(call->output, "Handles",
                      g_array_index(handles, uint32_t, i));
    }
    return PT_SUCCESS;
}

static VamtAmtUser *arg_user(VamtCimCall *call)
{
    uint64_t handle;

    if (!arg_uint(call, "Handle", UINT32_MAX, &handle)) {
        return NULL;
    }
    return vamt_amt_find_user(call->amt, handle);
}

static uint32_t auth_get_user(VamtCimCall *call)
{
    VamtAmtUser *u = arg_user(call);

    if (!u) {
        return PT_INVALID_HANDLE;
    }
    vamt_cim_str(call->output, "DigestUsername", u->name);
    vamt_cim_uint(call->output, "AccessPermission", u->access);
    for (unsigned r = 0; r < 32; r++) {
        if (u->realms & (1u << r)) {
            vamt_cim_uint(call->output, "Realms", r);
        }
    }
    return PT_SUCCESS;
}

static uint32_t auth_get_enabled(VamtCimCall *call)
{
    VamtAmtUser *u = arg_user(call);

    if (!u) {
        return PT_INVALID_HANDLE;
    }
    vamt_cim_bool(call->output, "Enabled", u->enabled);
    return PT_SUCCESS;
}

static uint32_t auth_set_enabled(VamtCimCall *call)
{
    VamtAmtUser *u = arg_user(call);
    g_autofree char *text = vamt_xml_child_text(call->input, "Enabled");
    bool enabled;

    if (!u) {
        return PT_INVALID_HANDLE;
    }
    if (!vamt_xml_parse_bool(text, &enabled)) {
        return PT_INVALID_PARAMETER;
    }
    if (!may_manage_realms(call, u->realms)) {
        return PT_NOT_PERMITTED;
    }
    u->enabled = enabled;
    audit_acl_entry(call, VAMT_AUDIT_ACL_ENTRY_STATE,
                    (const uint8_t[]) { enabled }, 1, u->name);
    return PT_SUCCESS;
}

/*
 * DigestPassword is MD5(user:realm:password), sent as 32 hex digits or
 * as base64 of the 16 raw bytes; store it as hex.
 */
static bool parse_digest_password(const char *text,
                                  char ha1[VAMT_AMT_HA1_HEX_LEN + 1])
{
    g_autofree guchar *raw = NULL;
    gsize len = 0;

    if (!text) {
        return false;
    }
    if (strlen(text) == VAMT_AMT_HA1_HEX_LEN) {
        for (unsigned i = 0; i < VAMT_AMT_HA1_HEX_LEN; i++) {
            if (!g_ascii_isxdigit(text[i])) {
                return false;
            }
            ha1[i] = g_ascii_tolower(text[i]);
        }
        ha1[VAMT_AMT_HA1_HEX_LEN] = 0;
        return true;
    }
    raw = g_base64_decode(text, &len);
    if (len != 16) {
        return false;
    }
    for (unsigned i = 0; i < 16; i++) {
        g_snprintf(ha1 + 2 * i, 3, "%02x", raw[i]);
    }
    return true;
}

static bool arg_realms(VamtCimCall *call, uint32_t *realms)
{
    g_autoptr(GPtrArray) list = arg_array(call->input, "Realms");
    uint64_t r;

    *realms = 0;
    for (guint i = 0; i < list->len; i++) {
        if (!vamt_xml_parse_uint(g_ptr_array_index(list, i), 31, &r)) {
            return false;
        }
        *realms |= 1u << r;
    }
    return true;
}

static uint32_t auth_add_user(VamtCimCall *call)
{
    g_autofree char *name = vamt_xml_child_text(call->input,
                                                "DigestUsername");
    g_autofree char *password = vamt_xml_child_text(call->input,
                                                    "DigestPassword");
    char ha1[VAMT_AMT_HA1_HEX_LEN + 1];
    uint64_t access = VAMT_ACCESS_ANY;
    uint32_t realms, handle;

    if (!name || !*name || strlen(name) > VAMT_AMT_USER_NAME_MAX) {
        return PT_INVALID_NAME;
    }
    if (!parse_digest_password(password, ha1) || !arg_realms(call, &realms) ||
        (vamt_xml_child(call->input, "AccessPermission") &&
         !arg_uint(call, "AccessPermission", VAMT_ACCESS_ANY, &access))) {
        return PT_INVALID_PARAMETER;
    }
    if (!may_manage_realms(call, realms)) {
        return PT_NOT_PERMITTED;
    }
    if (vamt_amt_user_realms(call->amt, name)) {
        return PT_DUPLICATE;
    }
    handle = vamt_amt_add_user(call->amt, name, ha1, access, realms);
    if (!handle) {
        return PT_MAX_LIMIT_REACHED;
    }
    audit_acl_entry(call, VAMT_AUDIT_ACL_ENTRY_ADDED, NULL, 0, name);
    vamt_cim_uint(call->output, "Handle", handle);
    return PT_SUCCESS;
}

static uint32_t auth_update_user(VamtCimCall *call)
{
    VamtAmtUser *u = arg_user(call);
    g_autofree char *name = vamt_xml_child_text(call->input,
                                                "DigestUsername");
    g_autofree char *password = vamt_xml_child_text(call->input,
                                                    "DigestPassword");
    char ha1[VAMT_AMT_HA1_HEX_LEN + 1];
    uint64_t access = u ? u->access : 0;
    uint32_t realms;
    uint8_t modified = 0;

    if (!u) {
        return PT_INVALID_HANDLE;
    }
    if ((password && !parse_digest_password(password, ha1)) ||
        !arg_realms(call, &realms) ||
        (vamt_xml_child(call->input, "AccessPermission") &&
         !arg_uint(call, "AccessPermission", VAMT_ACCESS_ANY, &access))) {
        return PT_INVALID_PARAMETER;
    }
    if (!may_manage_realms(call, u->realms) ||
        !may_manage_realms(call, realms)) {
        return PT_NOT_PERMITTED;
    }
    if (name && strcmp(name, u->name)) {
        if (!*name || strlen(name) > VAMT_AMT_USER_NAME_MAX) {
            return PT_INVALID_NAME;
        }
        if (vamt_amt_user_realms(call->amt, name)) {
            return PT_DUPLICATE;
        }
        /* the stored hash covers the name, so a rename needs one */
        if (!password) {
            return PT_INVALID_PARAMETER;
        }
        g_strlcpy(u->name, name, sizeof(u->name));
        modified |= AUDIT_MODIFIED_USERNAME;
    }
    if (password) {
        g_strlcpy(u->ha1, ha1, sizeof(u->ha1));
        modified |= AUDIT_MODIFIED_PASSWORD;
    }
    if (access != u->access || realms != u->realms) {
        modified |= AUDIT_MODIFIED_REALMS;
    }
    u->access = access;
    u->realms = realms;
    audit_acl_entry(call, VAMT_AUDIT_ACL_ENTRY_MODIFIED, &modified, 1,
                    u->name);
    return PT_SUCCESS;
}

static uint32_t auth_remove_user(VamtCimCall *call)
{
    VamtAmtUser *u = arg_user(call);
    char name[VAMT_AMT_USER_NAME_MAX + 1];

    if (!u) {
        return PT_INVALID_HANDLE;
    }
    if (!may_manage_realms(call, u->realms)) {
        return PT_NOT_PERMITTED;
    }
    g_strlcpy(name, u->name, sizeof(name));
    memset(u, 0, sizeof(*u));
    audit_acl_entry(call, VAMT_AUDIT_ACL_ENTRY_REMOVED, NULL, 0, name);
    return PT_SUCCESS;
}

static uint32_t auth_set_admin(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    g_autofree char *name = vamt_xml_child_text(call->input, "Username");
    g_autofree char *password = vamt_xml_child_text(call->input,
                                                    "DigestPassword");
    char ha1[VAMT_AMT_HA1_HEX_LEN + 1];
    uint8_t modified = AUDIT_MODIFIED_PASSWORD;

    if (!name || !*name || strlen(name) > VAMT_AMT_USER_NAME_MAX) {
        return PT_INVALID_NAME;
    }
    if (!parse_digest_password(password, ha1)) {
        return PT_INVALID_PARAMETER;
    }
    if (strcmp(name, s->admin_name)) {
        modified |= AUDIT_MODIFIED_USERNAME;
    }
    g_strlcpy(s->admin_name, name, sizeof(s->admin_name));
    g_strlcpy(s->admin_ha1, ha1, sizeof(s->admin_ha1));
    audit_acl_entry(call, VAMT_AUDIT_ACL_ENTRY_MODIFIED, &modified, 1, name);
    return PT_SUCCESS;
}

static const VamtCimMethod authorization_methods[] = {
    { "GetAdminAclEntry", auth_get_admin },
    { "GetAdminAclEntryStatus", auth_admin_status },
    { "GetAdminNetAclEntryStatus", auth_admin_status },
    { "EnumerateUserAclEntries", auth_enumerate },
    { "GetUserAclEntryEx", auth_get_user },
    { "GetAclEnabledState", auth_get_enabled },
    { "SetAclEnabledState", auth_set_enabled },
    { "AddUserAclEntryEx", auth_add_user },
    { "UpdateUserAclEntryEx", auth_update_user },
    { "RemoveUserAclEntry", auth_remove_user },
    { "SetAdminAclEntryEx", auth_set_admin },
    { NULL },
};

static const VamtCimClass authorization_class = {
    .name = "AMT_AuthorizationService", .ns_prefix = VAMT_NS_AMT,
    .keys = keys_service, .list = authorization_list,
    .methods = authorization_methods,
};

/* Logs */

static const VamtCimClass message_log_class;
static void message_log_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);
    VamtCimInstance *inst = vamt_cim_new(&message_log_class);

    vamt_cim_str(inst, "CreationClassName", "AMT_MessageLog");
    vamt_cim_str(inst, "Name", "Intel(r) AMT:MessageLog 1");
    vamt_cim_str(inst, "ElementName", "Intel(r) AMT:MessageLog 1");
    vamt_cim_bool(inst, "IsFrozen", false);
    vamt_cim_uint(inst, "CurrentNumberOfRecords", s->event_count);
    vamt_cim_uint(inst, "MaxNumberOfRecords", VAMT_AMT_EVENT_LOG_SIZE);
    vamt_cim_uint(inst, "OverwritePolicy", 2);
    vamt_cim_uint(inst, "EnabledState", 2);
    vamt_cim_uint(inst, "RequestedState", 2);
    g_ptr_array_add(out, inst);
}

/* Iteration identifiers are 1-based record positions, oldest first. */
static uint32_t message_log_first(VamtCimCall *call)
{
    vamt_cim_uint(call->output, "IterationIdentifier", 1);
    return PT_SUCCESS;
}

static uint32_t message_log_get_records(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    uint64_t iter, max;
    unsigned i;

    if (!arg_uint(call, "IterationIdentifier", UINT32_MAX, &iter) ||
        !iter || iter > s->event_count + 1 ||
        !arg_uint(call, "MaxReadRecords", UINT32_MAX, &max)) {
        return PT_INVALID_PARAMETER;
    }
    for (i = iter - 1; i < s->event_count && i < iter - 1 + max; i++) {
        uint8_t rec[VAMT_EVENT_RECORD_BYTES];
        g_autofree char *b64 = NULL;

        vamt_amt_event_bytes(call->amt, i, rec);
        b64 = g_base64_encode(rec, sizeof(rec));
        /* output order: IterationIdentifier, NoMoreRecords, RecordArray */
        if (i == iter - 1) {
            vamt_cim_uint(call->output, "IterationIdentifier",
                          MIN(iter - 1 + max, s->event_count) + 1);
            vamt_cim_bool(call->output, "NoMoreRecords",
                          iter - 1 + max >= s->event_count);
        }
        vamt_cim_str(call->output, "RecordArray", b64);
    }
    if (iter - 1 >= s->event_count || !max) {
        vamt_cim_uint(call->output, "IterationIdentifier", iter);
        vamt_cim_bool(call->output, "NoMoreRecords",
                      iter - 1 >= s->event_count);
    }
    return PT_SUCCESS;
}

static const VamtCimMethod message_log_methods[] = {
    { "PositionToFirstRecord", message_log_first },
    { "GetRecords", message_log_get_records },
    { NULL },
};

static const char *const keys_log[] = { "CreationClassName", "Name", NULL };

static const VamtCimClass message_log_class = {
    .name = "AMT_MessageLog", .ns_prefix = VAMT_NS_AMT,
    .keys = keys_log, .list = message_log_list,
    .methods = message_log_methods,
};

static char *iso8601(int64_t t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);

    return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ")
              : g_strdup("1970-01-01T00:00:00Z");
}

static const VamtCimClass audit_log_class;
static void audit_log_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);
    VamtCimInstance *inst = vamt_cim_new(&audit_log_class);

    vamt_cim_str(inst, "CreationClassName", "AMT_AuditLog");
    vamt_cim_str(inst, "Name", "Intel(r) AMT:Audit Log");
    vamt_cim_str(inst, "ElementName", "Intel(r) AMT:Audit Log");
    vamt_cim_uint(inst, "AuditState", 16);
    vamt_cim_uint(inst, "CurrentNumberOfRecords", s->audit_count);
    vamt_cim_uint(inst, "MaxNumberOfRecords", VAMT_AMT_AUDIT_LOG_SIZE);
    vamt_cim_uint(inst, "PercentageFree",
                  100 - s->audit_count * 100 / VAMT_AMT_AUDIT_LOG_SIZE);
    vamt_cim_uint(inst, "EnabledState", 2);
    vamt_cim_uint(inst, "RequestedState", 2);
    vamt_cim_uint(inst, "StoragePolicy", 1);
    vamt_cim_uint(inst, "MaxAllowedAuditors", 1);
    if (s->audit_count) {
        const VamtAuditRecord *last =
            &s->audit[(s->audit_first + s->audit_count - 1) %
                      VAMT_AMT_AUDIT_LOG_SIZE];
        g_autofree char *when = iso8601(last->timestamp);

        vamt_cim_datetime(inst, "TimeOfLastRecord", when);
    }
    g_ptr_array_add(out, inst);
}

static uint32_t audit_log_read(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    uint64_t start;
    unsigned i, n = 0;

    if (!arg_uint(call, "StartIndex", UINT32_MAX, &start) || !start) {
        return PT_INVALID_PARAMETER;
    }
    vamt_cim_uint(call->output, "TotalRecordCount", s->audit_count);
    for (i = start - 1; i < s->audit_count && n < AUDIT_RECORDS_PER_CALL;
         i++) {
        n++;
    }
    vamt_cim_uint(call->output, "RecordsReturned", n);
    for (i = start - 1; n; i++, n--) {
        GByteArray *rec = vamt_amt_audit_bytes(call->amt, i);
        g_autofree char *b64 = g_base64_encode(rec->data, rec->len);

        vamt_cim_str(call->output, "EventRecords", b64);
        g_byte_array_free(rec, TRUE);
    }
    return PT_SUCCESS;
}

static const VamtCimMethod audit_log_methods[] = {
    { "ReadRecords", audit_log_read },
    { NULL },
};

static const VamtCimClass audit_log_class = {
    .name = "AMT_AuditLog", .ns_prefix = VAMT_NS_AMT,
    .keys = keys_log, .list = audit_log_list,
    .methods = audit_log_methods,
};

/* Hardware inventory */

static const VamtCimClass chassis_class;
static void chassis_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = inventory(amt);
    VamtCimInstance *inst = vamt_cim_new(&chassis_class);

    vamt_cim_str(inst, "CreationClassName", "CIM_Chassis");
    vamt_cim_str(inst, "Tag", "CIM_Chassis");
    vamt_cim_str(inst, "ElementName", "Managed System Chassis");
    vamt_cim_str(inst, "Manufacturer", str_or_empty(inv->chassis_manufacturer));
    vamt_cim_str(inst, "Model", str_or_empty(inv->system_product));
    vamt_cim_str(inst, "SerialNumber", str_or_empty(inv->system_serial));
    vamt_cim_str(inst, "Version", str_or_empty(inv->system_version));
    vamt_cim_uint(inst, "PackageType", 3);
    vamt_cim_uint(inst, "ChassisPackageType", 3);
    vamt_cim_uint(inst, "OperationalStatus", 0);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass chassis_class = {
    .name = "CIM_Chassis", .ns_prefix = VAMT_NS_CIM,
    .keys = keys_package, .list = chassis_list,
};

static const VamtCimClass card_class;
static void card_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = inventory(amt);
    VamtCimInstance *inst = vamt_cim_new(&card_class);

    vamt_cim_str(inst, "CreationClassName", "CIM_Card");
    vamt_cim_str(inst, "Tag", "CIM_Card");
    vamt_cim_str(inst, "ElementName", "Managed System Base Board");
    vamt_cim_str(inst, "Manufacturer", str_or_empty(inv->board_manufacturer));
    vamt_cim_str(inst, "Model", str_or_empty(inv->board_product));
    vamt_cim_str(inst, "SerialNumber", str_or_empty(inv->system_serial));
    vamt_cim_str(inst, "Version", str_or_empty(inv->system_version));
    vamt_cim_uint(inst, "PackageType", 9);
    vamt_cim_bool(inst, "CanBeFRUed", true);
    vamt_cim_bool(inst, "HostingBoard", true);
    vamt_cim_uint(inst, "OperationalStatus", 0);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass card_class = {
    .name = "CIM_Card", .ns_prefix = VAMT_NS_CIM,
    .keys = keys_package, .list = card_list,
};

static void physical_package_list(VamtAmt *amt, GPtrArray *out)
{
    card_list(amt, out);
    chassis_list(amt, out);
}

static const VamtCimClass physical_package_class = {
    .name = "CIM_PhysicalPackage", .ns_prefix = VAMT_NS_CIM,
    .keys = keys_package, .list = physical_package_list,
};

static const VamtCimClass system_package_class;
static void system_package_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = inventory(amt);
    VamtCimInstance *inst = vamt_cim_new(&system_package_class);
    VamtCimEpr *chassis = vamt_cim_epr_new(VAMT_NS_CIM "CIM_Chassis");
    GString *guid = g_string_new(NULL);

    vamt_cim_epr_add(chassis, "CreationClassName", "CIM_Chassis");
    vamt_cim_epr_add(chassis, "Tag", "CIM_Chassis");
    vamt_cim_epr(inst, "Antecedent", chassis);
    vamt_cim_epr(inst, "Dependent", managed_system_epr());
    for (unsigned i = 0; i < 16; i++) {
        g_string_append_printf(guid, "%02X", inv->system_uuid[i]);
    }
    vamt_cim_str(inst, "PlatformGUID", guid->str);
    g_string_free(guid, TRUE);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass system_package_class = {
    .name = "CIM_ComputerSystemPackage", .ns_prefix = VAMT_NS_CIM,
    .list = system_package_list,
};

static const VamtCimClass system_packaging_class = {
    .name = "CIM_SystemPackaging", .ns_prefix = VAMT_NS_CIM,
    .list = system_package_list,
};

static const VamtCimClass bios_class;
static void bios_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = inventory(amt);
    VamtCimInstance *inst = vamt_cim_new(&bios_class);
    unsigned month, day, year;

    vamt_cim_str(inst, "Name", "Primary BIOS");
    vamt_cim_str(inst, "ElementName", "Primary BIOS");
    vamt_cim_str(inst, "Manufacturer", str_or_empty(inv->bios_vendor));
    vamt_cim_str(inst, "Version", str_or_empty(inv->bios_version));
    vamt_cim_str(inst, "SoftwareElementID", str_or_empty(inv->bios_version));
    vamt_cim_uint(inst, "SoftwareElementState", 2);
    vamt_cim_uint(inst, "TargetOperatingSystem", 66);
    vamt_cim_bool(inst, "PrimaryBIOS", true);
    /* SMBIOS writes MM/DD/YYYY */
    if (inv->bios_date &&
        sscanf(inv->bios_date, "%2u/%2u/%4u", &month, &day, &year) == 3) {
        g_autofree char *date =
            g_strdup_printf("%04u-%02u-%02uT00:00:00Z", year, month, day);

        vamt_cim_datetime(inst, "ReleaseDate", date);
    }
    g_ptr_array_add(out, inst);
}

static const VamtCimClass bios_class = {
    .name = "CIM_BIOSElement", .ns_prefix = VAMT_NS_CIM,
    .keys = keys_bios, .list = bios_list,
};

static const VamtCimClass processor_class;
static unsigned cpu_sockets(const VamtInventory *inv)
{
    return MAX(inv->cpu_sockets, 1);
}

static void processor_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = inventory(amt);

    /* one CIM_Processor per socket, as SMBIOS type 4 */
    for (unsigned i = 0; i < cpu_sockets(inv); i++) {
        VamtCimInstance *inst = vamt_cim_new(&processor_class);

        vamt_cim_str(inst, "CreationClassName", "CIM_Processor");
        vamt_cim_printf(inst, "DeviceID", "CPU %u", i);
        vamt_cim_str(inst, "SystemCreationClassName", COMPUTER_SYSTEM);
        vamt_cim_str(inst, "SystemName", MANAGED_SYSTEM);
        vamt_cim_str(inst, "ElementName", "Managed System CPU");
        vamt_cim_uint(inst, "Family", 1);
        vamt_cim_str(inst, "OtherFamilyDescription",
                     str_or_empty(inv->cpu_model));
        vamt_cim_uint(inst, "CurrentClockSpeed", inv->cpu_max_mhz);
        vamt_cim_uint(inst, "MaxClockSpeed", inv->cpu_max_mhz);
        vamt_cim_uint(inst, "ExternalBusClockSpeed", 100);
        vamt_cim_uint(inst, "CPUStatus", 1);
        vamt_cim_uint(inst, "EnabledState", 2);
        vamt_cim_uint(inst, "HealthState", 5);
        vamt_cim_uint(inst, "OperationalStatus", 0);
        vamt_cim_uint(inst, "UpgradeMethod", 2);
        vamt_cim_str(inst, "Role", "Central");
        g_ptr_array_add(out, inst);
    }
}

static const VamtCimClass processor_class = {
    .name = "CIM_Processor", .ns_prefix = VAMT_NS_CIM,
    .keys = keys_device, .list = processor_list,
};

static const VamtCimClass chip_class;
static void chip_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = inventory(amt);
    const char *model = str_or_empty(inv->cpu_model);
    g_autofree char *vendor = g_strndup(model, strcspn(model, " "));

    for (unsigned i = 0; i < cpu_sockets(inv); i++) {
        VamtCimInstance *inst = vamt_cim_new(&chip_class);

        vamt_cim_str(inst, "CreationClassName", "CIM_Chip");
        vamt_cim_printf(inst, "Tag", "CPU %u", i);
        vamt_cim_str(inst, "ElementName", "Managed System Processor Chip");
        vamt_cim_str(inst, "Manufacturer", vendor);
        vamt_cim_str(inst, "Version", model);
        vamt_cim_bool(inst, "CanBeFRUed", true);
        vamt_cim_uint(inst, "OperationalStatus", 0);
        g_ptr_array_add(out, inst);
    }
}

static const VamtCimClass chip_class = {
    .name = "CIM_Chip", .ns_prefix = VAMT_NS_CIM,
    .keys = keys_package, .list = chip_list,
};

static const VamtCimClass memory_class;
static void memory_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = inventory(amt);
    VamtCimInstance *inst = vamt_cim_new(&memory_class);

    /* the VM's RAM as one module */
    vamt_cim_str(inst, "CreationClassName", "CIM_PhysicalMemory");
    vamt_cim_str(inst, "Tag", "DIMM 0");
    vamt_cim_str(inst, "BankLabel", "DIMM 0");
    vamt_cim_str(inst, "ElementName", "Managed System Memory Chip");
    vamt_cim_uint(inst, "Capacity", inv->ram_bytes);
    vamt_cim_uint(inst, "MemoryType", 26);
    vamt_cim_uint(inst, "FormFactor", 8);
    vamt_cim_str(inst, "Manufacturer", str_or_empty(
                     inv->system_manufacturer));
    vamt_cim_str(inst, "PartNumber", "");
    vamt_cim_str(inst, "SerialNumber", "");
    vamt_cim_bool(inst, "IsSpeedInMhz", true);
    vamt_cim_bool(inst, "CanBeFRUed", true);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass memory_class = {
    .name = "CIM_PhysicalMemory", .ns_prefix = VAMT_NS_CIM,
    .keys = keys_package, .list = memory_list,
};

/* Alarms */

static const VamtCimClass alarm_class;
static void alarm_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);

    for (unsigned i = 0; i < VAMT_AMT_MAX_ALARMS; i++) {
        VamtAlarm *a = &s->alarms[i];
        VamtCimInstance *inst;
        g_autofree char *start = NULL;

        if (!a->in_use) {
            continue;
        }
        inst = vamt_cim_new(&alarm_class);
        start = iso8601(a->start_time);
        vamt_cim_str(inst, "InstanceID", a->name);
        vamt_cim_str(inst, "ElementName", a->name);
        vamt_cim_datetime(inst, "StartTime", start);
        if (a->interval_minutes) {
            g_autofree char *interval = g_strdup_printf(
                "P%uDT%uH%uM", a->interval_minutes / 1440,
                a->interval_minutes / 60 % 24, a->interval_minutes % 60);

            vamt_cim_interval(inst, "Interval", interval);
        }
        vamt_cim_bool(inst, "DeleteOnCompletion", a->delete_on_completion);
        g_ptr_array_add(out, inst);
    }
}

static VamtCimStatus alarm_delete(VamtAmt *amt, const VamtCimInstance *target)
{
    VamtAmtState *s = vamt_amt_state(amt);
    const char *id = vamt_cim_get(target, "InstanceID");

    for (unsigned i = 0; i < VAMT_AMT_MAX_ALARMS; i++) {
        if (s->alarms[i].in_use && !strcmp(s->alarms[i].name, id)) {
            memset(&s->alarms[i], 0, sizeof(s->alarms[i]));
            return VAMT_CIM_OK;
        }
    }
    return VAMT_CIM_NOT_FOUND;
}

/* "P[nD][T[nH][nM][nS]]" in minutes, or -1 */
static int64_t parse_interval_minutes(const char *text)
{
    int64_t minutes = 0;
    bool time = false;
    const char *p = text;

    if (*p++ != 'P') {
        return -1;
    }
    while (*p) {
        char *end;
        guint64 n;

        if (*p == 'T' && !time) {
            time = true;
            p++;
            continue;
        }
        n = g_ascii_strtoull(p, &end, 10);
        if (end == p || n > 1000000) {
            return -1;
        }
        switch (*end) {
        case 'D':
            minutes += n * 1440;
            break;
        case 'H':
            minutes += n * 60;
            break;
        case 'M':
            if (!time) {
                return -1;
            }
            minutes += n;
            break;
        case 'S':
            break;
        default:
            return -1;
        }
        p = end + 1;
    }
    return minutes;
}

static VamtCimStatus alarm_from_xml(VamtAmt *amt, xmlNode *in,
                                    VamtCimEpr *created)
{
    VamtAmtState *s = vamt_amt_state(amt);
    g_autofree char *name = vamt_xml_child_text(in, "ElementName");
    g_autofree char *start = vamt_xml_child_text(
        vamt_xml_child(in, "StartTime"), "Datetime");
    g_autofree char *interval = vamt_xml_child_text(
        vamt_xml_child(in, "Interval"), "Interval");
    g_autofree char *once = vamt_xml_child_text(in, "DeleteOnCompletion");
    g_autoptr(GDateTime) when = NULL;
    VamtAlarm alarm = { .in_use = true, .delete_on_completion = true };
    int64_t minutes = 0;
    VamtAlarm *slot = NULL;

    if (!name) {
        name = vamt_xml_child_text(in, "InstanceID");
    }
    if (!name || !*name || strlen(name) > VAMT_AMT_ALARM_NAME_MAX || !start) {
        return VAMT_CIM_INVALID;
    }
    when = g_date_time_new_from_iso8601(start, NULL);
    if (interval) {
        minutes = parse_interval_minutes(interval);
    }
    if (!when || minutes < 0 ||
        (once && !vamt_xml_parse_bool(once, &alarm.delete_on_completion))) {
        return VAMT_CIM_INVALID;
    }
    g_strlcpy(alarm.name, name, sizeof(alarm.name));
    alarm.start_time = g_date_time_to_unix(when);
    alarm.interval_minutes = minutes;
    for (unsigned i = 0; i < VAMT_AMT_MAX_ALARMS; i++) {
        if (s->alarms[i].in_use && !strcmp(s->alarms[i].name, name)) {
            return VAMT_CIM_EXISTS;
        }
        if (!s->alarms[i].in_use && !slot) {
            slot = &s->alarms[i];
        }
    }
    if (!slot) {
        return VAMT_CIM_FAILED;
    }
    *slot = alarm;
    vamt_cim_epr_add(created, "InstanceID", name);
    return VAMT_CIM_OK;
}

static const VamtCimClass alarm_class = {
    .name = "IPS_AlarmClockOccurrence", .ns_prefix = VAMT_NS_IPS,
    .keys = keys_instance_id, .list = alarm_list,
    .create = alarm_from_xml, .delete = alarm_delete,
};

static const VamtCimClass alarm_service_class;
static void alarm_service_list(VamtAmt *amt, GPtrArray *out)
{
    g_ptr_array_add(out, new_service(&alarm_service_class,
                                     "Intel(r) AMT Alarm Clock Service",
                                     5, 12));
}

static uint32_t alarm_service_add(VamtCimCall *call)
{
    VamtCimEpr *created = vamt_cim_epr_new(VAMT_NS_IPS
                                           "IPS_AlarmClockOccurrence");
    xmlNode *template = vamt_xml_child(call->input, "AlarmTemplate");
    VamtCimStatus st = template ? alarm_from_xml(call->amt, template,
                                                 created)
                                : VAMT_CIM_INVALID;

    if (st != VAMT_CIM_OK) {
        vamt_cim_epr_free(created);
        return st == VAMT_CIM_EXISTS ? PT_DUPLICATE :
               st == VAMT_CIM_FAILED ? PT_MAX_LIMIT_REACHED
                                     : PT_INVALID_PARAMETER;
    }
    vamt_cim_epr(call->output, "AlarmClock", created);
    return PT_SUCCESS;
}

static const VamtCimMethod alarm_service_methods[] = {
    { "AddAlarm", alarm_service_add },
    { NULL },
};

static const VamtCimClass alarm_service_class = {
    .name = "AMT_AlarmClockService", .ns_prefix = VAMT_NS_AMT,
    .keys = keys_service, .list = alarm_service_list,
    .methods = alarm_service_methods,
};

/* Settings consoles read at connect (singletons with fixed values) */

static const VamtCimClass user_initiated_class;
static void user_initiated_list(VamtAmt *amt, GPtrArray *out)
{
    g_ptr_array_add(out, new_service(&user_initiated_class,
                                     "Intel(r) AMT User Initiated "
                                     "Connection Service",
                                     vamt_amt_state(amt)->
                                     user_initiated_state, 12));
}

static uint32_t user_initiated_request_state(VamtCimCall *call)
{
    uint64_t state;

    if (!arg_uint(call, "RequestedState", UINT16_MAX, &state) ||
        state < 32768 || state > 32771) {
        return PT_INVALID_PARAMETER;
    }
    vamt_amt_state(call->amt)->user_initiated_state = state;
    return PT_SUCCESS;
}

static const VamtCimMethod user_initiated_methods[] = {
    { "RequestStateChange", user_initiated_request_state },
    { NULL },
};

static const VamtCimClass user_initiated_class = {
    .name = "AMT_UserInitiatedConnectionService", .ns_prefix = VAMT_NS_AMT,
    .keys = keys_service, .list = user_initiated_list,
    .methods = user_initiated_methods,
};

static const VamtCimClass environment_class;
static void environment_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = vamt_cim_new(&environment_class);

    vamt_cim_str(inst, "InstanceID",
                 "Intel(r) AMT Environment Detection Settings");
    vamt_cim_str(inst, "ElementName",
                 "Intel(r) AMT Environment Detection Settings");
    vamt_cim_uint(inst, "DetectionAlgorithm", 0);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass environment_class = {
    .name = "AMT_EnvironmentDetectionSettingData", .ns_prefix = VAMT_NS_AMT,
    .keys = keys_instance_id, .list = environment_list,
};

static const VamtCimClass screen_config_class;
static void screen_config_list(VamtAmt *amt, GPtrArray *out)
{
    /* screen blanking is not supported: bit 0 clear */
    g_ptr_array_add(out, new_service(&screen_config_class,
                                     "Intel(r) AMT Screen Configuration "
                                     "Service", 0, 12));
}

static const VamtCimClass screen_config_class = {
    .name = "IPS_ScreenConfigurationService", .ns_prefix = VAMT_NS_IPS,
    .keys = keys_service, .list = screen_config_list,
};

static const VamtCimClass tls_setting_class;
static void tls_setting_list(VamtAmt *amt, GPtrArray *out)
{
    static const char *const ids[] = {
        "Intel(r) AMT 802.3 TLS Settings", "Intel(r) AMT LMS TLS Settings",
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(ids); i++) {
        VamtCimInstance *inst = vamt_cim_new(&tls_setting_class);

        vamt_cim_str(inst, "InstanceID", ids[i]);
        vamt_cim_str(inst, "ElementName", ids[i]);
        vamt_cim_bool(inst, "Enabled", false);
        vamt_cim_bool(inst, "AcceptNonSecureConnections", true);
        vamt_cim_bool(inst, "MutualAuthentication", false);
        g_ptr_array_add(out, inst);
    }
}

static const VamtCimClass tls_setting_class = {
    .name = "AMT_TLSSettingData", .ns_prefix = VAMT_NS_AMT,
    .keys = keys_instance_id, .list = tls_setting_list,
};

/* Classes with no instances yet: enumerations answer empty */
#define EMPTY_CLASS(var, class_name, prefix, key_names) \
    static const VamtCimClass var = { \
        .name = class_name, .ns_prefix = prefix, .keys = key_names, \
    }

EMPTY_CLASS(ipv6_class, "IPS_IPv6PortSettings", VAMT_NS_IPS,
            keys_instance_id);
EMPTY_CLASS(element_setting_class, "CIM_ElementSettingData", VAMT_NS_CIM,
            NULL);
EMPTY_CLASS(media_class, "CIM_MediaAccessDevice", VAMT_NS_CIM, keys_device);
EMPTY_CLASS(certificate_class, "AMT_PublicKeyCertificate", VAMT_NS_AMT,
            keys_instance_id);
EMPTY_CLASS(key_pair_class, "AMT_PublicPrivateKeyPair", VAMT_NS_AMT,
            keys_instance_id);
EMPTY_CLASS(tls_credential_class, "AMT_TLSCredentialContext", VAMT_NS_AMT,
            NULL);
EMPTY_CLASS(mps_sap_class, "AMT_ManagementPresenceRemoteSAP", VAMT_NS_AMT,
            keys_service);
EMPTY_CLASS(cira_credential_class, "AMT_RemoteAccessCredentialContext",
            VAMT_NS_AMT, NULL);
EMPTY_CLASS(cira_applies_class, "AMT_RemoteAccessPolicyAppliesToMPS",
            VAMT_NS_AMT, NULL);
EMPTY_CLASS(cira_rule_class, "AMT_RemoteAccessPolicyRule", VAMT_NS_AMT,
            keys_service);
EMPTY_CLASS(mps_password_class, "AMT_MPSUsernamePassword", VAMT_NS_AMT,
            keys_instance_id);
/* needs the guest display layout, which the platform does not give yet */
EMPTY_CLASS(screen_setting_class, "IPS_ScreenSettingData", VAMT_NS_IPS,
            keys_instance_id);
EMPTY_CLASS(proxy_access_class, "IPS_HTTPProxyAccessPoint", VAMT_NS_IPS,
            keys_service);

/* A desktop has no battery (see absent_device) */
static const VamtCimClass battery_class = {
    .name = "CIM_Battery", .ns_prefix = VAMT_NS_CIM,
    .keys = keys_device, .absent_device = true,
};

static const VamtCimClass *const classes[] = {
    &software_identity_class, &setup_service_class, &host_setup_class,
    &general_settings_class, &computer_system_class, &power_service_class,
    &assoc_power_class, &service_available_class, &ips_power_class,
    &boot_capabilities_class, &boot_setting_class, &boot_source_class,
    &boot_config_class, &boot_service_class, &redirection_class,
    &kvm_sap_class, &kvm_settings_class, &opt_in_class,
    &time_service_class, &ethernet_class, &authorization_class,
    &message_log_class, &audit_log_class, &chassis_class, &card_class,
    &physical_package_class, &system_package_class,
    &system_packaging_class, &bios_class, &processor_class, &chip_class,
    &memory_class, &alarm_class, &alarm_service_class,
    &user_initiated_class, &environment_class, &screen_config_class,
    &tls_setting_class, &ipv6_class, &element_setting_class, &media_class,
    &certificate_class, &key_pair_class, &tls_credential_class,
    &mps_sap_class, &cira_credential_class, &cira_applies_class,
    &cira_rule_class, &mps_password_class, &proxy_access_class,
    &screen_setting_class, &battery_class,
};

const VamtCimClass *vamt_cim_find_class(const char *resource_uri)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(classes); i++) {
        const char *prefix = classes[i]->ns_prefix;
        size_t n = strlen(prefix);

        if (!strncmp(resource_uri, prefix, n) &&
            !strcmp(resource_uri + n, classes[i]->name)) {
            return classes[i];
        }
    }
    return NULL;
}

const VamtCimClass *vamt_cim_find_class_name(const char *class_name)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(classes); i++) {
        if (!strcmp(classes[i]->name, class_name)) {
            return classes[i];
        }
    }
    return NULL;
}

const VamtCimClass *vamt_cim_class_of(const VamtCimInstance *inst)
{
    return vamt_cim_find_class_name(inst->class_name);
}
