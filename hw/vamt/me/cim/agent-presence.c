/*
 * vAMT ME core: CIM providers for Agent Presence
 *
 * AMT_AgentPresenceWatchdog (one per agent: Create and Delete by a
 * console; RegisterAgent, AssertPresence and AssertShutdown by the agent,
 * AddAction and DeleteAllActions by the console), its actions
 * (AMT_AgentPresenceWatchdogAction) and the service and capabilities
 * consoles read.  The watchdogs themselves are amt/agent-presence.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "cim-values.h"
#include "provider.h"

#define AGENT_SERVICE_NAME      "Intel(r) AMT Agent Presence Service"

/* ---- the watchdogs ---- */

static const VamtCimClass watchdog_class;

static char *agent_device_id(const VamtAgentWatchdog *w)
{
    return g_base64_encode(w->id, VAMT_AGENT_ID_LEN);
}

/* A DeviceID as consoles send it: base64 of the agent's 16-byte GUID */
static bool parse_device_id(const char *text, uint8_t id[VAMT_AGENT_ID_LEN])
{
    g_autofree guchar *raw = NULL;
    gsize len = 0;

    if (!text || !*text || strlen(text) > 32) {
        return false;
    }
    for (const char *p = text; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '+' && *p != '/' && *p != '=') {
            return false;
        }
    }
    raw = g_base64_decode(text, &len);
    if (len != VAMT_AGENT_ID_LEN) {
        return false;
    }
    memcpy(id, raw, VAMT_AGENT_ID_LEN);
    return true;
}

static void watchdog_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);

    for (unsigned i = 0; i < VAMT_AGENT_MAX; i++) {
        const VamtAgentWatchdog *w = &s->agents[i];
        VamtCimInstance *inst;
        g_autofree char *id = NULL;

        if (!w->in_use) {
            continue;
        }
        id = agent_device_id(w);
        inst = vamt_cim_new(&watchdog_class);
        vamt_cim_str(inst, "CreationClassName", watchdog_class.name);
        vamt_cim_str(inst, "DeviceID", id);
        vamt_cim_str(inst, "SystemCreationClassName", COMPUTER_SYSTEM);
        vamt_cim_str(inst, "SystemName", AMT_SYSTEM);
        vamt_cim_str(inst, "ElementName", "Intel(r) AMT Agent Presence "
                     "Watchdog");
        vamt_cim_uint(inst, "TimeoutInterval", w->timeout_s);
        vamt_cim_uint(inst, "GracePeriod", w->grace_s);
        vamt_cim_uint(inst, "CurrentState", w->state);
        /* CIM_Watchdog: the agent's own software, an application */
        vamt_cim_uint(inst, "MonitoredEntity", 4);
        g_ptr_array_add(out, inst);
    }
}

static VamtCimStatus uint16_property(xmlNode *in, const char *name,
                                     bool required, uint16_t *v)
{
    g_autofree char *text = vamt_xml_child_text(in, name);
    uint64_t n;

    if (!text) {
        return required ? VAMT_CIM_INVALID : VAMT_CIM_OK;
    }
    if (!vamt_xml_parse_uint(text, UINT16_MAX, &n)) {
        return VAMT_CIM_INVALID;
    }
    *v = n;
    return VAMT_CIM_OK;
}

static VamtCimStatus watchdog_create(VamtAmt *amt, const char *user,
                                     xmlNode *in,
                                     VamtCimEpr *created)
{
    g_autofree char *text = vamt_xml_child_text(in, "DeviceID");
    uint8_t id[VAMT_AGENT_ID_LEN];
    uint16_t timeout = 0, grace = 0;
    VamtCimStatus st;

    if (!parse_device_id(text ? g_strstrip(text) : NULL, id)) {
        return VAMT_CIM_INVALID;
    }
    st = uint16_property(in, "TimeoutInterval", true, &timeout);
    st = st ?: uint16_property(in, "GracePeriod", false, &grace);
    if (st != VAMT_CIM_OK) {
        return st;
    }
    switch (vamt_agent_create(amt, id, timeout, grace)) {
    case PT_SUCCESS:
        break;
    case PT_DUPLICATE:
        return VAMT_CIM_EXISTS;
    case PT_INVALID_PARAMETER:
        return VAMT_CIM_INVALID;
    default:
        return VAMT_CIM_FAILED;
    }
    vamt_cim_epr_add(created, "CreationClassName", watchdog_class.name);
    vamt_cim_epr_add(created, "DeviceID", text);
    vamt_cim_epr_add(created, "SystemCreationClassName", COMPUTER_SYSTEM);
    vamt_cim_epr_add(created, "SystemName", AMT_SYSTEM);
    return VAMT_CIM_OK;
}

static VamtAgentWatchdog *target_watchdog(VamtAmt *amt, const char *device_id)
{
    uint8_t id[VAMT_AGENT_ID_LEN];

    return parse_device_id(device_id, id) ? vamt_agent_find(amt, id) : NULL;
}

static VamtCimStatus watchdog_delete(VamtAmt *amt, const char *user,
                                     const VamtCimInstance *target)
{
    VamtAgentWatchdog *w =
        target_watchdog(amt, vamt_cim_get(target, "DeviceID"));

    if (!w) {
        return VAMT_CIM_NOT_FOUND;
    }
    vamt_agent_delete(amt, w);
    return VAMT_CIM_OK;
}

static VamtAgentWatchdog *call_watchdog(VamtCimCall *call)
{
    return target_watchdog(call->amt,
                           vamt_cim_selector(call->selectors, "DeviceID"));
}

static uint32_t watchdog_register(VamtCimCall *call)
{
    VamtAgentWatchdog *w = call_watchdog(call);
    uint32_t seq;
    uint32_t rv;

    if (!w) {
        return PT_INVALID_HANDLE;
    }
    rv = vamt_agent_register(call->amt, w, &seq);
    if (rv == PT_SUCCESS) {
        vamt_cim_uint(call->output, "SessionSequenceNumber", seq);
        vamt_cim_uint(call->output, "TimeoutInterval", w->timeout_s);
    }
    return rv;
}

static bool call_sequence(VamtCimCall *call, uint32_t *seq)
{
    uint64_t v;

    if (!cim_arg_uint(call, "SequenceNumber", UINT32_MAX, &v)) {
        return false;
    }
    *seq = v;
    return true;
}

static uint32_t watchdog_assert(VamtCimCall *call, bool shutdown)
{
    VamtAgentWatchdog *w = call_watchdog(call);
    uint32_t seq;

    if (!w) {
        return PT_INVALID_HANDLE;
    }
    if (!call_sequence(call, &seq)) {
        return PT_INVALID_PARAMETER;
    }
    return vamt_agent_assert(call->amt, w, seq, shutdown);
}

static uint32_t watchdog_assert_presence(VamtCimCall *call)
{
    return watchdog_assert(call, false);
}

static uint32_t watchdog_assert_shutdown(VamtCimCall *call)
{
    return watchdog_assert(call, true);
}

/*
 * AddAction(OldState, NewState, EventOnTransition, ActionSd, ActionEac):
 * the states are sets (bit n = CurrentState n).  A System Defense policy
 * (ActionSd) or an EAC posture (ActionEac) cannot be served yet, so an
 * action naming one is refused rather than kept and never taken.
 */
static uint32_t watchdog_add_action(VamtCimCall *call)
{
    VamtAgentWatchdog *w = call_watchdog(call);
    g_autofree char *event = vamt_xml_child_text(call->input,
                                                 "EventOnTransition");
    uint64_t old_states, new_states;
    bool on_event = false;

    if (!w) {
        return PT_INVALID_HANDLE;
    }
    if (!cim_arg_uint(call, "OldState", VAMT_AGENT_ALL_STATES, &old_states) ||
        !cim_arg_uint(call, "NewState", VAMT_AGENT_ALL_STATES, &new_states) ||
        !old_states || !new_states ||
        !event || !vamt_xml_parse_bool(g_strstrip(event), &on_event) ||
        vamt_xml_child(call->input, "ActionSd") ||
        vamt_xml_child(call->input, "ActionEac")) {
        return PT_INVALID_PARAMETER;
    }
    return vamt_agent_add_action(call->amt, w, old_states, new_states,
                                 on_event);
}

static uint32_t watchdog_delete_actions(VamtCimCall *call)
{
    VamtAgentWatchdog *w = call_watchdog(call);

    if (!w) {
        return PT_INVALID_HANDLE;
    }
    vamt_agent_delete_actions(call->amt, w);
    return PT_SUCCESS;
}

static const VamtCimMethod watchdog_methods[] = {
    { "RegisterAgent", watchdog_register },
    { "AssertPresence", watchdog_assert_presence },
    { "AssertShutdown", watchdog_assert_shutdown },
    { "AddAction", watchdog_add_action },
    { "DeleteAllActions", watchdog_delete_actions },
    { NULL },
};

static const VamtCimClass watchdog_class = {
    .name = "AMT_AgentPresenceWatchdog", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_device, .list = watchdog_list,
    .create = watchdog_create, .delete = watchdog_delete,
    .methods = watchdog_methods,
};

/* ---- their actions ---- */

static const VamtCimClass action_class;
static void action_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);

    for (unsigned i = 0; i < VAMT_AGENT_MAX; i++) {
        const VamtAgentWatchdog *w = &s->agents[i];
        g_autofree char *id = w->in_use ? agent_device_id(w) : NULL;

        for (unsigned j = 0; w->in_use && j < VAMT_AGENT_MAX_ACTIONS; j++) {
            const VamtAgentAction *a = &w->actions[j];
            VamtCimInstance *inst;

            if (!a->in_use) {
                continue;
            }
            inst = vamt_cim_new(&action_class);
            vamt_cim_printf(inst, "InstanceID", "Intel(r) AMT:%s:%u", id, j);
            vamt_cim_printf(inst, "ActionName", "Intel(r) AMT Agent "
                            "Presence Watchdog Action %u", j);
            vamt_cim_str(inst, "DeviceID", id);
            vamt_cim_uint(inst, "OldState", a->old_states);
            vamt_cim_uint(inst, "NewState", a->new_states);
            vamt_cim_bool(inst, "EventOnTransition", a->event_on_transition);
            g_ptr_array_add(out, inst);
        }
    }
}

static const VamtCimClass action_class = {
    .name = "AMT_AgentPresenceWatchdogAction", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_instance_id, .list = action_list,
};

/* ---- service and capabilities ---- */

static const VamtCimClass service_class;
static void service_list(VamtAmt *amt, GPtrArray *out)
{
    g_ptr_array_add(out, cim_new_service(&service_class, AGENT_SERVICE_NAME,
                                         CIM_ENABLED_STATE_ENABLED,
                                         CIM_REQUESTED_STATE_NOT_APPLICABLE));
}

static const VamtCimClass service_class = {
    .name = "AMT_AgentPresenceService", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_service, .list = service_list,
};

static const VamtCimClass capabilities_class;
static void capabilities_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = vamt_cim_new(&capabilities_class);

    vamt_cim_str(inst, "InstanceID", "Intel(r) AMT Agent Presence "
                 "Capabilities");
    vamt_cim_str(inst, "ElementName", "Intel(r) AMT Agent Presence "
                 "Capabilities");
    vamt_cim_uint(inst, "MaxTotalAgents", VAMT_AGENT_MAX);
    vamt_cim_uint(inst, "MaxTotalActions",
                  VAMT_AGENT_MAX * VAMT_AGENT_MAX_ACTIONS);
    vamt_cim_uint(inst, "MinGuaranteedActionListSize",
                  VAMT_AGENT_MAX_ACTIONS);
    /* no EAC: no agents that report a posture */
    vamt_cim_uint(inst, "MaxEacAgents", 0);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass capabilities_class = {
    .name = "AMT_AgentPresenceCapabilities", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_instance_id, .list = capabilities_list,
};

const VamtCimClass *const vamt_cim_agent_presence_classes[] = {
    &watchdog_class, &action_class, &service_class, &capabilities_class,
    NULL,
};
