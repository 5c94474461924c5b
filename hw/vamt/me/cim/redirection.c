/*
 * vAMT ME core: CIM providers for redirection, KVM, the screen and user consent
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "provider.h"
#include "cim-values.h"

/* Redirection, KVM, consent */

/* AMT's "unsupported" status (AMT_STATUS_UNSUPPORTED) */
#define PT_UNSUPPORTED              0x812

/*
 * What the ME reports and accepts is what it serves: SOL once the
 * platform has the ME's UART (kt=on), IDE-R once it has the IDE-R
 * function, KVM once it has a display (VamtFirmware.redirection).  A console's wish
 * for something not served is refused as unsupported; the state keeps
 * only what was accepted (docs/specs/vamt-wsman.rst, "Redirection").
 */
static uint16_t redirection_served_bits(VamtAmt *amt)
{
    uint32_t have = vamt_amt_firmware(amt)->redirection;

    return (have & VAMT_FW_REDIR_SOL ? AMT_REDIRECTION_SOL_BIT : 0) |
           (have & VAMT_FW_REDIR_IDER ? AMT_REDIRECTION_IDER_BIT : 0);
}

/* Redirection Manager audit events (AuditAppID 18) */
enum {
    AUDIT_IDER_ENABLED = 1802,
    AUDIT_IDER_DISABLED = 1803,
    AUDIT_SOL_ENABLED = 1806,
    AUDIT_SOL_DISABLED = 1807,
    AUDIT_KVM_ENABLED = 1810,
    AUDIT_KVM_DISABLED = 1811,
};

/* Security Admin audit events (AuditAppID 29) */
enum {
    AUDIT_KVM_PASSWORD_CHANGED = 2902,
};

static bool kvm_served(VamtAmt *amt)
{
    return vamt_amt_firmware(amt)->redirection & VAMT_FW_REDIR_KVM;
}

static const VamtCimClass redirection_class;
static void redirection_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);
    uint16_t served = redirection_served_bits(amt);
    VamtCimInstance *inst = cim_new_service(&redirection_class,
                                            "Intel(r) AMT Redirection Service",
                                            AMT_REDIRECTION_NONE |
                                            (s->redirection_state & served),
                                            12);

    vamt_cim_bool(inst, "ListenerEnabled",
                  served && s->redirection_listener);
    g_ptr_array_add(out, inst);
}

static VamtCimStatus redirection_put(VamtAmt *amt, const char *user,
                                     const VamtCimInstance *target,
                                     xmlNode *in)
{
    VamtAmtState *s = vamt_amt_state(amt);
    bool listener = s->redirection_listener;
    VamtCimStatus st = cim_put_bool(in, "ListenerEnabled", &listener);

    if (st != VAMT_CIM_OK) {
        return st;
    }
    if (listener && !redirection_served_bits(amt)) {
        return VAMT_CIM_INVALID;
    }
    s->redirection_listener = listener;
    return VAMT_CIM_OK;
}

static void redirection_audit(VamtCimCall *call, uint16_t was, uint16_t now,
                              uint16_t bit, unsigned on, unsigned off)
{
    if ((was ^ now) & bit) {
        vamt_audit_event(call->amt, now & bit ? on : off, call->user);
    }
}

static uint32_t redirection_request_state(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    uint16_t served = redirection_served_bits(call->amt);
    uint16_t was = s->redirection_state & served;
    uint64_t state;

    if (!cim_arg_uint(call, "RequestedState", UINT16_MAX, &state) ||
        state < AMT_REDIRECTION_NONE ||
        state > AMT_REDIRECTION_IDER_AND_SOL) {
        return PT_INVALID_PARAMETER;
    }
    if ((state - AMT_REDIRECTION_NONE) & ~served) {
        return PT_UNSUPPORTED;
    }
    s->redirection_state = state;
    redirection_audit(call, was, state, AMT_REDIRECTION_IDER_BIT,
                      AUDIT_IDER_ENABLED, AUDIT_IDER_DISABLED);
    redirection_audit(call, was, state, AMT_REDIRECTION_SOL_BIT,
                      AUDIT_SOL_ENABLED, AUDIT_SOL_DISABLED);
    return PT_SUCCESS;
}

static const VamtCimMethod redirection_methods[] = {
    { "RequestStateChange", redirection_request_state },
    { NULL },
};

static const VamtCimClass redirection_class = {
    .name = "AMT_RedirectionService", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_service, .list = redirection_list,
    .put = redirection_put, .methods = redirection_methods,
};

static const VamtCimClass kvm_sap_class;
static void kvm_sap_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtAmtState *s = vamt_amt_state(amt);
    VamtCimInstance *inst = vamt_cim_new(&kvm_sap_class);
    bool enabled = kvm_served(amt) &&
                   s->kvm_requested == CIM_REQUESTED_STATE_ENABLED;
    unsigned state = CIM_ENABLED_STATE_DISABLED;

    /* 2 while a session is open, 6 (enabled but offline) while none is */
    if (enabled) {
        state = vamt_amt_session_open(amt, VAMT_AMT_SESSION_KVM) ?
                CIM_ENABLED_STATE_ENABLED :
                CIM_ENABLED_STATE_ENABLED_BUT_OFFLINE;
    }
    vamt_cim_str(inst, "CreationClassName", "CIM_KVMRedirectionSAP");
    vamt_cim_str(inst, "Name", "KVM Redirection Service Access Point");
    vamt_cim_str(inst, "SystemCreationClassName", COMPUTER_SYSTEM);
    vamt_cim_str(inst, "SystemName", MANAGED_SYSTEM);
    vamt_cim_str(inst, "ElementName", "KVM Redirection Service Access Point");
    vamt_cim_uint(inst, "EnabledState", state);
    vamt_cim_uint(inst, "RequestedState",
                  enabled ? CIM_REQUESTED_STATE_ENABLED :
                  CIM_REQUESTED_STATE_DISABLED);
    vamt_cim_uint(inst, "KVMProtocol", 4);
    g_ptr_array_add(out, inst);
}

/* Enabling needs a display to show; an open session ends on disable */
static uint32_t kvm_sap_request_state(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    uint64_t state;

    if (!cim_arg_uint(call, "RequestedState", UINT16_MAX, &state) ||
        (state != CIM_REQUESTED_STATE_ENABLED &&
         state != CIM_REQUESTED_STATE_DISABLED)) {
        return CIM_INVALID_PARAMETER;
    }
    if (!kvm_served(call->amt)) {
        return CIM_NOT_SUPPORTED;
    }
    if (s->kvm_requested != state) {
        vamt_audit_event(call->amt, state == CIM_REQUESTED_STATE_ENABLED ?
                         AUDIT_KVM_ENABLED : AUDIT_KVM_DISABLED, call->user);
    }
    s->kvm_requested = state;
    return CIM_OK;
}

static const VamtCimMethod kvm_sap_methods[] = {
    { "RequestStateChange", kvm_sap_request_state },
    { NULL },
};

static const VamtCimClass kvm_sap_class = {
    .name = "CIM_KVMRedirectionSAP", .ns_prefix = VAMT_NS_CIM,
    .keys = cim_keys_service, .list = kvm_sap_list, .methods = kvm_sap_methods,
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

/*
 * RFBPassword is write-only: 8 characters of four kinds, as AMT (and
 * MeshCommander's dialog) want; port 5900 can only be enabled with one
 */
static VamtCimStatus kvm_settings_put(VamtAmt *amt, const char *user,
                                      const VamtCimInstance *target,
                                      xmlNode *in)
{
    VamtAmtState *s = vamt_amt_state(amt);
    bool port = s->kvm_port_5900;
    uint64_t timeout = s->kvm_session_timeout;
    g_autofree char *password = vamt_xml_child_text(in, "RFBPassword");
    bool new_password = password && password[0];
    VamtCimStatus st = cim_put_bool(in, "Is5900PortEnabled", &port);

    /* minutes, at most 255 as on AMT */
    st = st ?: cim_put_uint(in, "SessionTimeout", UINT8_MAX, &timeout);
    if (st == VAMT_CIM_OK && new_password &&
        !vamt_amt_rfb_password_is_valid(password)) {
        st = VAMT_CIM_INVALID;
    }
    if (st == VAMT_CIM_OK && port && !s->rfb_password[0] && !new_password) {
        st = VAMT_CIM_INVALID;
    }
    if (st != VAMT_CIM_OK) {
        return st;
    }
    if (new_password && strcmp(password, s->rfb_password)) {
        g_strlcpy(s->rfb_password, password, sizeof(s->rfb_password));
        vamt_audit_event(amt, AUDIT_KVM_PASSWORD_CHANGED, user);
    }
    s->kvm_port_5900 = port;
    s->kvm_session_timeout = timeout;
    return VAMT_CIM_OK;
}

/*
 * The KVM data channel (AMT 12 and later) relays messages between a KVM
 * viewer (RFB ClientCutText "\0KvmDataChannel") and a local agent, which
 * polls DataChannelRead (MeshCmd's LMS every 2 s).  No KVM session is
 * served, so there is no channel: ReturnValue 2 (not ready), an answer
 * and not a fault, as a fault would also end the agent's connection.
 */
static uint32_t kvm_data_channel(VamtCimCall *call)
{
    return PT_INVALID_STATE;
}

static const VamtCimMethod kvm_settings_methods[] = {
    { "DataChannelRead", kvm_data_channel },
    { "DataChannelWrite", kvm_data_channel },
    { NULL },
};

static const VamtCimClass kvm_settings_class = {
    .name = "IPS_KVMRedirectionSettingData", .ns_prefix = VAMT_NS_IPS,
    .keys = cim_keys_instance_id, .list = kvm_settings_list,
    .put = kvm_settings_put, .methods = kvm_settings_methods,
};


static const VamtCimClass opt_in_class;
static void opt_in_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);
    VamtCimInstance *inst = cim_new_service(&opt_in_class,
                                            "Intel(r) AMT OptIn Service",
                                            CIM_ENABLED_STATE_NOT_APPLICABLE,
                                            CIM_REQUESTED_STATE_NOT_APPLICABLE);

    /* a displayed code or an unused consent may have lapsed */
    vamt_amt_opt_in_tick(amt);

    vamt_cim_uint(inst, "OptInRequired", s->opt_in_required);
    vamt_cim_uint(inst, "OptInState", s->opt_in_state);
    vamt_cim_uint(inst, "CanModifyOptInPolicy",
                  vamt_amt_control_mode(amt) == VAMT_CONTROL_MODE_ACM);
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
    VamtCimStatus st = cim_put_uint(in, "OptInRequired", UINT32_MAX, &required);

    st = st ?: cim_put_uint(in, "OptInDisplayTimeout", 65535, &display);
    if (st == VAMT_CIM_OK && required != 0 && required != 1 &&
        required != UINT32_MAX) {
        st = VAMT_CIM_INVALID;
    }
    /* client control mode always needs consent for everything */
    if (st == VAMT_CIM_OK && required != UINT32_MAX &&
        vamt_amt_control_mode(amt) != VAMT_CONTROL_MODE_ACM) {
        st = VAMT_CIM_INVALID;
    }
    if (st == VAMT_CIM_OK) {
        s->opt_in_required = required;
        s->opt_in_display_timeout = display;
    }
    return st;
}

static uint32_t opt_in_start(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    uint8_t raw[4];

    vamt_amt_opt_in_tick(call->amt);
    if (s->opt_in_state != VAMT_OPT_IN_NOT_STARTED) {
        return PT_INVALID_STATE;
    }
    cim_ops(call->amt)->random(vamt_amt_opaque(call->amt), raw, sizeof(raw));
    s->opt_in_code = (raw[0] | raw[1] << 8 | raw[2] << 16 |
                      (uint32_t)raw[3] << 24) % 1000000;
    s->opt_in_failures = 0;
    vamt_amt_opt_in_set(call->amt, VAMT_OPT_IN_DISPLAYED);
    return PT_SUCCESS;
}

/* Three wrong codes end the opt-in, as on AMT */
static uint32_t opt_in_send_code(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    uint64_t code;

    vamt_amt_opt_in_tick(call->amt);
    if (s->opt_in_state != VAMT_OPT_IN_REQUESTED &&
        s->opt_in_state != VAMT_OPT_IN_DISPLAYED) {
        return PT_INVALID_STATE;
    }
    if (!cim_arg_uint(call, "OptInCode", UINT32_MAX, &code)) {
        return PT_INVALID_PARAMETER;
    }
    if (code != s->opt_in_code) {
        if (++s->opt_in_failures >= OPT_IN_MAX_FAILURES) {
            vamt_amt_opt_in_set(call->amt, VAMT_OPT_IN_NOT_STARTED);
        }
        return PT_INVALID_PARAMETER;
    }
    vamt_amt_opt_in_set(call->amt, VAMT_OPT_IN_RECEIVED);
    return PT_SUCCESS;
}

static uint32_t opt_in_cancel(VamtCimCall *call)
{
    vamt_amt_opt_in_set(call->amt, VAMT_OPT_IN_NOT_STARTED);
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
    .keys = cim_keys_service, .list = opt_in_list, .put = opt_in_put,
    .methods = opt_in_methods,
};


static const VamtCimClass screen_config_class;
static void screen_config_list(VamtAmt *amt, GPtrArray *out)
{
    /* screen blanking is not supported: bit 0 clear */
    g_ptr_array_add(out, cim_new_service(&screen_config_class,
                                         "Intel(r) AMT Screen Configuration "
                                         "Service", 0, 12));
}

static const VamtCimClass screen_config_class = {
    .name = "IPS_ScreenConfigurationService", .ns_prefix = VAMT_NS_IPS,
    .keys = cim_keys_service, .list = screen_config_list,
};


/*
 * IPS_ScreenSettingData: the guest's displays as the KVM redirection
 * would show them, from the platform's inventory (QEMU's graphic
 * consoles).  Four slots, as AMT has; a slot without a display is
 * inactive at -1,-1 with a 0x0 resolution; displays sit side by side,
 * the first (primary) at 0,0.
 */
#define SCREEN_SLOTS    4

static const VamtCimClass screen_setting_class;
static void screen_setting_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = cim_inventory(amt);
    VamtCimInstance *inst = vamt_cim_new(&screen_setting_class);
    unsigned n = MIN(inv->displays, MIN(SCREEN_SLOTS, VAMT_MAX_DISPLAYS));
    int64_t x = 0;

    vamt_cim_str(inst, "InstanceID", "Intel(r) Screen Settings");
    vamt_cim_str(inst, "ElementName", "Intel(r) Screen Settings");
    vamt_cim_uint(inst, "PrimaryIndex", 0);
    vamt_cim_uint(inst, "SecondaryIndex", 1);
    vamt_cim_uint(inst, "TertiaryIndex", 2);
    vamt_cim_uint(inst, "QuadraryIndex", 3);
    for (unsigned i = 0; i < SCREEN_SLOTS; i++) {
        bool active = i < n;

        vamt_cim_bool(inst, "IsActive", active);
        if (active) {
            vamt_cim_printf(inst, "UpperLeftX", "%" G_GINT64_FORMAT,
                            (gint64)x);
            vamt_cim_uint(inst, "UpperLeftY", 0);
            vamt_cim_uint(inst, "ResolutionX", inv->display_width[i]);
            vamt_cim_uint(inst, "ResolutionY", inv->display_height[i]);
            x += inv->display_width[i];
        } else {
            vamt_cim_str(inst, "UpperLeftX", "-1");
            vamt_cim_str(inst, "UpperLeftY", "-1");
            vamt_cim_uint(inst, "ResolutionX", 0);
            vamt_cim_uint(inst, "ResolutionY", 0);
        }
    }
    g_ptr_array_add(out, inst);
}

static const VamtCimClass screen_setting_class = {
    .name = "IPS_ScreenSettingData", .ns_prefix = VAMT_NS_IPS,
    .keys = cim_keys_instance_id, .list = screen_setting_list,
};


const VamtCimClass *const vamt_cim_redirection_classes[] = {
    &redirection_class, &kvm_sap_class, &kvm_settings_class, &opt_in_class,
    &screen_config_class, &screen_setting_class, NULL,
};
