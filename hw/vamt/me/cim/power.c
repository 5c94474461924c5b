/*
 * vAMT ME core: CIM providers for the computer system and its power
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cim-values.h"
#include "provider.h"

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
                  cim_power_state(amt) == VAMT_POWER_ON ? 2 : 3);
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
    .keys = cim_keys_system, .list = computer_system_list,
};

static const VamtCimClass power_service_class;
static void power_service_list(VamtAmt *amt, GPtrArray *out)
{
    g_ptr_array_add(out, cim_new_service(&power_service_class,
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

    if (!cim_arg_uint(call, "PowerState", UINT16_MAX, &state) ||
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
    .keys = cim_keys_service, .list = power_service_list,
    .methods = power_service_methods,
};

static const VamtCimClass assoc_power_class;
static void assoc_power_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = vamt_cim_new(&assoc_power_class);
    VamtPowerState state = cim_power_state(amt);
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
                 cim_service_epr("CIM_PowerManagementService",
                                 "Intel(r) AMT Power Management Service"));
    vamt_cim_epr(inst, "UserOfService", cim_managed_system_epr());
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

/* IPS_PowerManagementService.OSPowerSavingState */
#define OS_POWER_SAVING_UNKNOWN     0
#define OS_POWER_FULL               2
#define OS_POWER_SAVING             3

/*
 * The OS power saving state: the running OS at full power.  A VM has no
 * OS power-saving mode (modern standby) the ME could see or bring about,
 * so while the machine is on it is always at full power, and unknown
 * otherwise.
 */
static unsigned os_power_saving_state(VamtAmt *amt)
{
    return cim_power_state(amt) == VAMT_POWER_ON ? OS_POWER_FULL
                                                 : OS_POWER_SAVING_UNKNOWN;
}

static const VamtCimClass ips_power_class;
static void ips_power_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = cim_new_service(&ips_power_class,
                                            "Intel(r) AMT Power Management "
                                            "Service",
                                            CIM_ENABLED_STATE_NOT_APPLICABLE,
                                            CIM_REQUESTED_STATE_NOT_APPLICABLE);

    vamt_cim_uint(inst, "OSPowerSavingState", os_power_saving_state(amt));
    g_ptr_array_add(out, inst);
}

/*
 * RequestOSPowerSavingStateChange(OSPowerSavingState, ManagedElement,
 * Time, TimeoutPeriod), CIM return values: full power is what a running
 * VM already has (0); power saving is a mode this platform does not
 * have (1, Not Supported); with the machine not on there is no OS to
 * change (2); any other state is an invalid parameter (5).
 */
static uint32_t os_power_request(VamtCimCall *call)
{
    xmlNode *element = vamt_xml_child(call->input, "ManagedElement");
    uint64_t state;

    if (!cim_arg_uint(call, "OSPowerSavingState", UINT16_MAX, &state) ||
        (state != OS_POWER_FULL && state != OS_POWER_SAVING)) {
        return CIM_INVALID_PARAMETER;
    }
    if (element) {
        g_autoptr(GPtrArray) sel = vamt_xml_epr_selectors(element);
        const char *name = vamt_cim_selector(sel, "Name");

        if (name && strcmp(name, MANAGED_SYSTEM)) {
            return CIM_INVALID_PARAMETER;
        }
    }
    if (os_power_saving_state(call->amt) != OS_POWER_FULL) {
        return CIM_INVALID_STATE;
    }
    return state == OS_POWER_FULL ? CIM_OK : CIM_NOT_SUPPORTED;
}

static const VamtCimMethod ips_power_methods[] = {
    { "RequestOSPowerSavingStateChange", os_power_request },
    { NULL },
};

static const VamtCimClass ips_power_class = {
    .name = "IPS_PowerManagementService", .ns_prefix = VAMT_NS_IPS,
    .keys = cim_keys_service, .list = ips_power_list,
    .methods = ips_power_methods,
};

/*
 * AMT_SystemPowerScheme: the power packages the ME offers.  vAMT's ME is
 * on whenever the host runs QEMU, in every power state of the VM, so it
 * has the one scheme that says so.  The GUID is vAMT's own (inferred
 * form: AMT reports 16 bytes, base64); SetPowerScheme is not offered.
 */
static const VamtCimClass power_scheme_class;
static void power_scheme_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = vamt_cim_new(&power_scheme_class);

    vamt_cim_str(inst, "InstanceID", "Intel(r) AMT Power Scheme 0");
    vamt_cim_str(inst, "ElementName", "Intel(r) AMT Power Scheme");
    vamt_cim_str(inst, "Description", VAMT_AMT_POWER_POLICY);
    vamt_cim_str(inst, "SchemeGUID", "dkFNVC1BTVQtUzAtUzUwMQ==");
    g_ptr_array_add(out, inst);
}

static const VamtCimClass power_scheme_class = {
    .name = "AMT_SystemPowerScheme", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_instance_id, .list = power_scheme_list,
};


const VamtCimClass *const vamt_cim_power_classes[] = {
    &computer_system_class, &power_service_class, &assoc_power_class,
    &service_available_class, &ips_power_class, &power_scheme_class, NULL,
};
