/*
 * vAMT ME core: CIM providers for remote access (CIRA) settings consoles read
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "provider.h"
#include "cim-values.h"

/* Settings consoles read at connect (singletons with fixed values) */

static const VamtCimClass user_initiated_class;
static void user_initiated_list(VamtAmt *amt, GPtrArray *out)
{
    g_ptr_array_add(out, cim_new_service(&user_initiated_class,
                                         "Intel(r) AMT User Initiated "
                                         "Connection Service",
                                         vamt_amt_state(amt)->
                                         user_initiated_state, 12));
}

static uint32_t user_initiated_request_state(VamtCimCall *call)
{
    uint64_t state;

    if (!cim_arg_uint(call, "RequestedState", UINT16_MAX, &state) ||
        state < AMT_USER_INITIATED_NONE ||
        state > AMT_USER_INITIATED_BIOS_AND_OS) {
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
    .keys = cim_keys_service, .list = user_initiated_list,
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
    .keys = cim_keys_instance_id, .list = environment_list,
};


CIM_EMPTY_CLASS(mps_sap_class, "AMT_ManagementPresenceRemoteSAP", VAMT_NS_AMT,
            cim_keys_service);

CIM_EMPTY_CLASS(cira_credential_class, "AMT_RemoteAccessCredentialContext",
            VAMT_NS_AMT, NULL);

CIM_EMPTY_CLASS(cira_applies_class, "AMT_RemoteAccessPolicyAppliesToMPS",
            VAMT_NS_AMT, NULL);

CIM_EMPTY_CLASS(cira_rule_class, "AMT_RemoteAccessPolicyRule", VAMT_NS_AMT,
            cim_keys_service);

CIM_EMPTY_CLASS(mps_password_class, "AMT_MPSUsernamePassword", VAMT_NS_AMT,
            cim_keys_instance_id);


const VamtCimClass *const vamt_cim_cira_classes[] = {
    &user_initiated_class, &environment_class, &mps_sap_class,
    &cira_credential_class, &cira_applies_class, &cira_rule_class,
    &mps_password_class, NULL,
};
