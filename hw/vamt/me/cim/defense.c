/*
 * vAMT ME core: CIM providers for System Defense
 *
 * What MeshCommander's System Defense page does, as AMT answers it:
 * filters are created (AMT_Hdr8021Filter on an EtherType,
 * AMT_IPHeadersFilter on IPv4 addresses, protocol and ports), a policy
 * names them by their InstanceID in FilterCreationHandles, and creating
 * an AMT_NetworkPortSystemDefensePolicy binds one policy to the wired
 * port, where the ME's endpoint on the NIC enforces it (net/vamt).  The
 * state is kept in NVRAM; the platform (nic_defense ops) applies it.
 *
 * Served as far as the endpoint enforces it: IPv4 only; no match events
 * (ActionEventOnMatch and the Default*MatchEvent are refused when true),
 * no anti-spoofing, no TCP flags, DSCP or MAC addresses in filters.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "ipv4.h"
#include "provider.h"

/* MeshCommander shows InstanceID.substring(20) as the policy's number */
#define POLICY_ID_PREFIX    "Intel(r) AMT:Policy "
#define WIRED_PORT          "Intel(r) AMT Ethernet Port 0"

static const char *const filter_keys[] = {
    "CreationClassName", "InstanceID", "Name", "SystemCreationClassName",
    "SystemName", NULL
};

static uint32_t new_handle(VamtAmtState *s)
{
    /* handles are never 0 and never reused while the state lives */
    return ++s->sd_next_handle ? s->sd_next_handle : ++s->sd_next_handle;
}

static VamtSdFilter *find_filter(VamtAmtState *s, uint32_t handle)
{
    for (unsigned i = 0; handle && i < VAMT_SD_MAX_FILTERS; i++) {
        if (s->sd_filters[i].handle == handle) {
            return &s->sd_filters[i];
        }
    }
    return NULL;
}

static VamtSdPolicy *find_policy(VamtAmtState *s, uint32_t handle)
{
    for (unsigned i = 0; handle && i < VAMT_SD_MAX_POLICIES; i++) {
        if (s->sd_policies[i].handle == handle) {
            return &s->sd_policies[i];
        }
    }
    return NULL;
}

static bool parse_handle(const char *text, uint32_t *handle)
{
    uint64_t v;

    if (!vamt_xml_parse_uint(text, UINT32_MAX, &v) || !v) {
        return false;
    }
    *handle = v;
    return true;
}

/* ---- filters ------------------------------------------------------------ */

static const VamtCimClass eth_filter_class, ip_filter_class;

static void put_ipv4_hex(VamtCimInstance *inst, const char *name, uint32_t a)
{
    vamt_cim_printf(inst, name, "%08X", a);
}

static void filter_list(VamtAmt *amt, GPtrArray *out, bool ip)
{
    VamtAmtState *s = vamt_amt_state(amt);

    for (unsigned i = 0; i < VAMT_SD_MAX_FILTERS; i++) {
        const VamtSdFilter *f = &s->sd_filters[i];
        VamtCimInstance *inst;

        if (!f->handle || f->ip != ip) {
            continue;
        }
        inst = vamt_cim_new(ip ? &ip_filter_class : &eth_filter_class);
        vamt_cim_str(inst, "CreationClassName",
                     ip ? "AMT_IPHeadersFilter" : "AMT_Hdr8021Filter");
        vamt_cim_printf(inst, "InstanceID", "%u", f->handle);
        vamt_cim_str(inst, "Name", f->name);
        vamt_cim_str(inst, "SystemCreationClassName", "CIM_ComputerSystem");
        vamt_cim_str(inst, "SystemName", "Intel(r) AMT");
        vamt_cim_uint(inst, "FilterDirection", f->direction);
        vamt_cim_uint(inst, "FilterProfile", f->profile);
        if (f->profile == 2) {
            vamt_cim_uint(inst, "FilterProfileData", f->profile_data);
        }
        vamt_cim_bool(inst, "ActionEventOnMatch", false);
        if (!ip) {
            vamt_cim_uint(inst, "HdrProtocolID8021", f->ethertype);
        } else {
            vamt_cim_uint(inst, "HdrIPVersion", 4);
            if (f->has & VAMT_SD_HAS_SRC) {
                put_ipv4_hex(inst, "HdrSrcAddress", f->src_lo);
                put_ipv4_hex(inst, "HdrSrcAddressEndOfRange", f->src_hi);
            }
            if (f->has & VAMT_SD_HAS_DST) {
                put_ipv4_hex(inst, "HdrDestAddress", f->dst_lo);
                put_ipv4_hex(inst, "HdrDestAddressEndOfRange", f->dst_hi);
            }
            if (f->has & VAMT_SD_HAS_PROTO) {
                vamt_cim_uint(inst, "HdrProtocolID", f->proto);
            }
            if (f->has & VAMT_SD_HAS_SPORT) {
                vamt_cim_uint(inst, "HdrSrcPortStart", f->sport_lo);
                vamt_cim_uint(inst, "HdrSrcPortEnd", f->sport_hi);
            }
            if (f->has & VAMT_SD_HAS_DPORT) {
                vamt_cim_uint(inst, "HdrDestPortStart", f->dport_lo);
                vamt_cim_uint(inst, "HdrDestPortEnd", f->dport_hi);
            }
        }
        g_ptr_array_add(out, inst);
    }
}

static void eth_filter_list(VamtAmt *amt, GPtrArray *out)
{
    filter_list(amt, out, false);
}

static void ip_filter_list(VamtAmt *amt, GPtrArray *out)
{
    filter_list(amt, out, true);
}

/* An IPv4 address as consoles send it: 8 hex digits, or dotted */
static bool parse_address(const char *text, uint32_t *a)
{
    uint64_t v = 0;

    if (strlen(text) == 8 && strspn(text, "0123456789abcdefABCDEF") == 8) {
        for (int i = 0; i < 8; i++) {
            v = v << 4 | g_ascii_xdigit_value(text[i]);
        }
        *a = v;
        return true;
    }
    return vamt_ipv4_parse(text, a);
}

/*
 * HdrXAddress with HdrXMask or HdrXAddressEndOfRange (not both) as an
 * inclusive range; nothing given: any.  False on a bad value.
 */
static bool parse_address_range(xmlNode *in, const char *which,
                                uint32_t *lo, uint32_t *hi, bool *given)
{
    g_autofree char *name = g_strdup_printf("Hdr%sAddress", which);
    g_autofree char *mask_name = g_strdup_printf("Hdr%sMask", which);
    g_autofree char *end_name = g_strdup_printf("Hdr%sAddressEndOfRange",
                                                which);
    g_autofree char *addr = vamt_xml_child_text(in, name);
    g_autofree char *mask = vamt_xml_child_text(in, mask_name);
    g_autofree char *end = vamt_xml_child_text(in, end_name);
    uint32_t a, m;

    *given = addr != NULL;
    if (!addr) {
        return !mask && !end;
    }
    if (!parse_address(addr, &a) || (mask && end)) {
        return false;
    }
    *lo = *hi = a;
    if (mask) {
        if (!parse_address(mask, &m) || (~m & (~m + 1))) {
            return false;
        }
        *lo = a & m;
        *hi = a | ~m;
    } else if (end) {
        if (!parse_address(end, hi) || *hi < a) {
            return false;
        }
    }
    return true;
}

static bool parse_port_range(xmlNode *in, const char *which, uint16_t *lo,
                             uint16_t *hi, bool *given)
{
    g_autofree char *start_name = g_strdup_printf("Hdr%sPortStart", which);
    g_autofree char *end_name = g_strdup_printf("Hdr%sPortEnd", which);
    g_autofree char *start = vamt_xml_child_text(in, start_name);
    g_autofree char *end = vamt_xml_child_text(in, end_name);
    uint64_t a, b;

    *given = start || end;
    if (!*given) {
        return true;
    }
    if (!vamt_xml_parse_uint(start ? start : end, UINT16_MAX, &a) ||
        !vamt_xml_parse_uint(end ? end : start, UINT16_MAX, &b) || b < a) {
        return false;
    }
    *lo = a;
    *hi = b;
    return true;
}

/* What the endpoint cannot enforce is refused, never accepted and ignored */
static bool has_unserved(xmlNode *in, bool ip)
{
    static const char *const eth_unserved[] = {
        "HdrSrcMACAddr8021", "HdrSrcMACMask8021", "HdrDestMACAddr8021",
        "HdrDestMACMask8021", "HdrPriorityValue8021", "HdrVLANID8021", NULL
    };
    static const char *const ip_unserved[] = {
        "HdrDSCP", "HdrFlowLabel", "TCPFlagsOn", "TCPFlagsOff", NULL
    };
    const char *const *names = ip ? ip_unserved : eth_unserved;
    g_autofree char *negated = vamt_xml_child_text(in, "IsNegated");
    bool v = false;

    for (; *names; names++) {
        if (vamt_xml_child(in, *names)) {
            return true;
        }
    }
    return negated && (!vamt_xml_parse_bool(negated, &v) || v);
}

static VamtCimStatus filter_create(VamtAmt *amt, xmlNode *in,
                                   VamtCimEpr *created, bool ip)
{
    VamtAmtState *s = vamt_amt_state(amt);
    g_autofree char *name = vamt_xml_child_text(in, "Name");
    g_autofree char *event = vamt_xml_child_text(in, "ActionEventOnMatch");
    VamtSdFilter f = { .ip = ip };
    VamtSdFilter *slot = NULL;
    g_autofree char *handle_text = NULL;
    uint64_t direction = 0, profile = 0, data = 0, v = 0;
    bool match_event = false, given;
    VamtCimStatus st;

    st = cim_put_uint(in, "FilterDirection", 1, &direction);
    st = st ?: cim_put_uint(in, "FilterProfile", 4, &profile);
    st = st ?: cim_put_uint(in, "FilterProfileData", UINT32_MAX, &data);
    if (st || !vamt_xml_child(in, "FilterDirection") ||
        !vamt_xml_child(in, "FilterProfile") || !name ||
        strlen(name) > VAMT_SD_NAME_LEN || has_unserved(in, ip) ||
        (event && !vamt_xml_parse_bool(event, &match_event)) ||
        match_event || (profile == 2 && !data)) {
        return VAMT_CIM_INVALID;
    }
    g_strlcpy(f.name, name, sizeof(f.name));
    f.direction = direction;
    f.profile = profile;
    f.profile_data = profile == 2 ? data : 0;
    if (!ip) {
        if (cim_put_uint(in, "HdrProtocolID8021", UINT16_MAX, &v) ||
            !vamt_xml_child(in, "HdrProtocolID8021")) {
            return VAMT_CIM_INVALID;
        }
        f.ethertype = v;
    } else {
        uint64_t version = 4;

        if (cim_put_uint(in, "HdrIPVersion", 255, &version) ||
            version != 4) {
            return VAMT_CIM_INVALID;     /* the ME filters no IPv6 */
        }
        if (!parse_address_range(in, "Src", &f.src_lo, &f.src_hi, &given)) {
            return VAMT_CIM_INVALID;
        }
        f.has |= given ? VAMT_SD_HAS_SRC : 0;
        if (!parse_address_range(in, "Dest", &f.dst_lo, &f.dst_hi, &given)) {
            return VAMT_CIM_INVALID;
        }
        f.has |= given ? VAMT_SD_HAS_DST : 0;
        if (vamt_xml_child(in, "HdrProtocolID")) {
            if (cim_put_uint(in, "HdrProtocolID", 255, &v)) {
                return VAMT_CIM_INVALID;
            }
            f.proto = v;
            f.has |= VAMT_SD_HAS_PROTO;
        }
        if (!parse_port_range(in, "Src", &f.sport_lo, &f.sport_hi, &given)) {
            return VAMT_CIM_INVALID;
        }
        f.has |= given ? VAMT_SD_HAS_SPORT : 0;
        if (!parse_port_range(in, "Dest", &f.dport_lo, &f.dport_hi,
                              &given)) {
            return VAMT_CIM_INVALID;
        }
        f.has |= given ? VAMT_SD_HAS_DPORT : 0;
    }
    for (unsigned i = 0; i < VAMT_SD_MAX_FILTERS && !slot; i++) {
        if (!s->sd_filters[i].handle) {
            slot = &s->sd_filters[i];
        }
    }
    if (!slot) {
        return VAMT_CIM_FAILED;
    }
    f.handle = new_handle(s);
    *slot = f;
    vamt_cim_epr_add(created, "CreationClassName",
                     ip ? "AMT_IPHeadersFilter" : "AMT_Hdr8021Filter");
    handle_text = g_strdup_printf("%u", f.handle);
    vamt_cim_epr_add(created, "InstanceID", handle_text);
    vamt_cim_epr_add(created, "Name", f.name);
    vamt_cim_epr_add(created, "SystemCreationClassName",
                     "CIM_ComputerSystem");
    vamt_cim_epr_add(created, "SystemName", "Intel(r) AMT");
    return VAMT_CIM_OK;
}

/* What a console changed, in the audit log when it took */
static VamtCimStatus audited(VamtAmt *amt, const char *user,
                             VamtCimStatus st, unsigned event)
{
    if (st == VAMT_CIM_OK) {
        vamt_audit_event(amt, event, user);
    }
    return st;
}

static VamtCimStatus eth_filter_create(VamtAmt *amt, const char *user,
                                       xmlNode *in,
                                       VamtCimEpr *created)
{
    return audited(amt, user, filter_create(amt, in, created, false),
                   VAMT_AUDIT_SD_FILTER_ADDED);
}

static VamtCimStatus ip_filter_create(VamtAmt *amt, const char *user,
                                      xmlNode *in,
                                      VamtCimEpr *created)
{
    return audited(amt, user, filter_create(amt, in, created, true),
                   VAMT_AUDIT_SD_FILTER_ADDED);
}

/* A filter a policy names stays (AMT: "make sure it's not in use") */
static VamtCimStatus filter_delete(VamtAmt *amt, const char *user,
                                   const VamtCimInstance *target)
{
    VamtAmtState *s = vamt_amt_state(amt);
    uint32_t handle = 0;
    VamtSdFilter *f;

    parse_handle(vamt_cim_get(target, "InstanceID"), &handle);
    f = find_filter(s, handle);
    if (!f) {
        return VAMT_CIM_NOT_FOUND;
    }
    for (unsigned i = 0; i < VAMT_SD_MAX_POLICIES; i++) {
        const VamtSdPolicy *p = &s->sd_policies[i];

        for (unsigned j = 0; p->handle && j < p->n_filters; j++) {
            if (p->filters[j] == handle) {
                return VAMT_CIM_UNABLE;
            }
        }
    }
    memset(f, 0, sizeof(*f));
    vamt_audit_event(amt, VAMT_AUDIT_SD_FILTER_REMOVED, user);
    return VAMT_CIM_OK;
}

static const VamtCimClass eth_filter_class = {
    .name = "AMT_Hdr8021Filter", .ns_prefix = VAMT_NS_AMT,
    .keys = filter_keys, .list = eth_filter_list,
    .create = eth_filter_create, .delete = filter_delete,
};

static const VamtCimClass ip_filter_class = {
    .name = "AMT_IPHeadersFilter", .ns_prefix = VAMT_NS_AMT,
    .keys = filter_keys, .list = ip_filter_list,
    .create = ip_filter_create, .delete = filter_delete,
};

/* The filters inside policies: not kept apart from the ones above */
CIM_EMPTY_CLASS(network_filter_class, "AMT_NetworkFilter", VAMT_NS_AMT,
                filter_keys);

/* ---- policies ----------------------------------------------------------- */

static const VamtCimClass policy_class;

static void policy_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);

    for (unsigned i = 0; i < VAMT_SD_MAX_POLICIES; i++) {
        const VamtSdPolicy *p = &s->sd_policies[i];
        VamtCimInstance *inst;

        if (!p->handle) {
            continue;
        }
        inst = vamt_cim_new(&policy_class);
        vamt_cim_printf(inst, "InstanceID", POLICY_ID_PREFIX "%u",
                        p->handle);
        vamt_cim_str(inst, "PolicyName", p->name);
        vamt_cim_uint(inst, "PolicyPrecedence", p->precedence);
        vamt_cim_uint(inst, "AntiSpoofingSupport", 0);
        for (unsigned j = 0; j < p->n_filters; j++) {
            vamt_cim_uint(inst, "FilterCreationHandles", p->filters[j]);
        }
        vamt_cim_bool(inst, "TxDefaultDrop", p->default_drop[0]);
        vamt_cim_bool(inst, "TxDefaultMatchEvent", false);
        vamt_cim_bool(inst, "TxDefaultCount", p->default_count[0]);
        vamt_cim_bool(inst, "RxDefaultDrop", p->default_drop[1]);
        vamt_cim_bool(inst, "RxDefaultMatchEvent", false);
        vamt_cim_bool(inst, "RxDefaultCount", p->default_count[1]);
        g_ptr_array_add(out, inst);
    }
}

static bool policy_handle(const char *instance_id, uint32_t *handle)
{
    return instance_id && g_str_has_prefix(instance_id, POLICY_ID_PREFIX) &&
           parse_handle(instance_id + strlen(POLICY_ID_PREFIX), handle);
}

static VamtCimStatus put_flag(xmlNode *in, const char *name, bool *dst)
{
    return cim_put_bool(in, name, dst);
}

/*
 * FilterCreationHandles: one element per handle, or MeshCommander's one
 * element with them comma-joined
 */
static bool parse_policy_filters(VamtAmtState *s, xmlNode *in,
                                 VamtSdPolicy *p)
{
    for (xmlNode *n = in->children; n; n = n->next) {
        g_autofree char *text = NULL;
        g_auto(GStrv) parts = NULL;

        if (n->type != XML_ELEMENT_NODE ||
            strcmp(vamt_xml_local_name(n), "FilterCreationHandles")) {
            continue;
        }
        text = (char *)xmlNodeGetContent(n);
        parts = g_strsplit(text ? text : "", ",", -1);
        for (char **h = parts; *h; h++) {
            uint32_t handle;

            g_strstrip(*h);
            if (!**h) {
                continue;
            }
            if (!parse_handle(*h, &handle) || !find_filter(s, handle) ||
                p->n_filters >= VAMT_SD_MAX_POLICY_FILTERS) {
                return false;
            }
            p->filters[p->n_filters++] = handle;
        }
    }
    return true;
}

static VamtCimStatus policy_create(VamtAmt *amt, const char *user,
                                   xmlNode *in,
                                   VamtCimEpr *created)
{
    VamtAmtState *s = vamt_amt_state(amt);
    g_autofree char *name = vamt_xml_child_text(in, "PolicyName");
    VamtSdPolicy p = { 0 };
    VamtSdPolicy *slot = NULL;
    bool tx_event = false, rx_event = false;
    uint64_t precedence = 0, anti_spoofing = 0;
    g_autofree char *id = NULL;
    VamtCimStatus st;

    st = cim_put_uint(in, "PolicyPrecedence", UINT32_MAX, &precedence);
    st = st ?: cim_put_uint(in, "AntiSpoofingSupport", 4, &anti_spoofing);
    st = st ?: put_flag(in, "TxDefaultDrop", &p.default_drop[0]);
    st = st ?: put_flag(in, "TxDefaultCount", &p.default_count[0]);
    st = st ?: put_flag(in, "TxDefaultMatchEvent", &tx_event);
    st = st ?: put_flag(in, "RxDefaultDrop", &p.default_drop[1]);
    st = st ?: put_flag(in, "RxDefaultCount", &p.default_count[1]);
    st = st ?: put_flag(in, "RxDefaultMatchEvent", &rx_event);
    if (st || !name || strlen(name) > VAMT_SD_NAME_LEN || tx_event ||
        rx_event || anti_spoofing || !parse_policy_filters(s, in, &p)) {
        return VAMT_CIM_INVALID;
    }
    for (unsigned i = 0; i < VAMT_SD_MAX_POLICIES && !slot; i++) {
        if (!s->sd_policies[i].handle) {
            slot = &s->sd_policies[i];
        }
    }
    if (!slot) {
        return VAMT_CIM_FAILED;
    }
    g_strlcpy(p.name, name, sizeof(p.name));
    p.precedence = precedence;
    p.handle = new_handle(s);
    *slot = p;
    id = g_strdup_printf(POLICY_ID_PREFIX "%u", p.handle);
    vamt_cim_epr_add(created, "InstanceID", id);
    vamt_audit_event(amt, VAMT_AUDIT_SD_POLICY_ADDED, user);
    return VAMT_CIM_OK;
}

/* A policy bound to the port stays until it is unbound */
static VamtCimStatus policy_delete(VamtAmt *amt, const char *user,
                                   const VamtCimInstance *target)
{
    VamtAmtState *s = vamt_amt_state(amt);
    uint32_t handle = 0;
    VamtSdPolicy *p;

    policy_handle(vamt_cim_get(target, "InstanceID"), &handle);
    p = find_policy(s, handle);
    if (!p) {
        return VAMT_CIM_NOT_FOUND;
    }
    if (s->sd_bound == handle || s->sd_default == handle) {
        return VAMT_CIM_UNABLE;
    }
    memset(p, 0, sizeof(*p));
    vamt_audit_event(amt, VAMT_AUDIT_SD_POLICY_REMOVED, user);
    return VAMT_CIM_OK;
}

/*
 * UpdateStatistics: the counters are the endpoint's, read live, so
 * there is nothing to copy; ResetOnRead is not offered.
 */
static uint32_t policy_update_statistics(VamtCimCall *call)
{
    g_autofree char *reset = vamt_xml_child_text(call->input, "ResetOnRead");
    bool v = false;

    if (reset && (!vamt_xml_parse_bool(reset, &v) || v)) {
        return PT_INVALID_PARAMETER;
    }
    return PT_SUCCESS;
}

static uint32_t policy_get_timeout(VamtCimCall *call)
{
    vamt_cim_uint(call->output, "Timeout", 0);
    return PT_SUCCESS;
}

static const VamtCimMethod policy_methods[] = {
    { "UpdateStatistics", policy_update_statistics },
    { "GetTimeout", policy_get_timeout },
    { NULL },
};

static const VamtCimClass policy_class = {
    .name = "AMT_SystemDefensePolicy", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_instance_id, .list = policy_list,
    .create = policy_create, .delete = policy_delete,
    .methods = policy_methods,
};

/* ---- the wired port's policy -------------------------------------------- */

static VamtCimEpr *ethernet_port_epr(void)
{
    VamtCimEpr *epr = vamt_cim_epr_new(VAMT_NS_CIM "CIM_EthernetPort");

    vamt_cim_epr_add(epr, "CreationClassName", "CIM_EthernetPort");
    vamt_cim_epr_add(epr, "DeviceID", WIRED_PORT);
    vamt_cim_epr_add(epr, "SystemCreationClassName", "CIM_ComputerSystem");
    vamt_cim_epr_add(epr, "SystemName", "Intel(r) AMT");
    return epr;
}

static const VamtCimClass binding_class, default_binding_class;
static VamtCimEpr *policy_epr(uint32_t handle);

/* The port's binding of @handle, if that policy exists; Active: in force */
static void list_binding(VamtAmt *amt, GPtrArray *out,
                         const VamtCimClass *cls, uint32_t handle)
{
    VamtAmtState *s = vamt_amt_state(amt);
    const VamtSdPolicy *in_force = vamt_sd_policy_in_force(s);
    VamtCimInstance *inst;

    if (!find_policy(s, handle)) {
        return;
    }
    inst = vamt_cim_new(cls);
    vamt_cim_epr(inst, "Antecedent", ethernet_port_epr());
    vamt_cim_epr(inst, "Dependent", policy_epr(handle));
    vamt_cim_bool(inst, "Active", in_force && in_force->handle == handle);
    if (cls == &binding_class) {
        vamt_cim_bool(inst, "Enabled", true);
    }
    g_ptr_array_add(out, inst);
}

static void binding_list(VamtAmt *amt, GPtrArray *out)
{
    list_binding(amt, out, &binding_class, vamt_amt_state(amt)->sd_bound);
}

static void default_binding_list(VamtAmt *amt, GPtrArray *out)
{
    list_binding(amt, out, &default_binding_class,
                 vamt_amt_state(amt)->sd_default);
}

/* Does the ME have the wired port it would enforce a policy on? */
static bool has_wired_port(VamtAmt *amt)
{
    const VamtPlatformOps *ops = vamt_amt_ops(amt);
    VamtNicStatus nic;

    return ops->nic_status && ops->nic_status(vamt_amt_opaque(amt), &nic);
}

/*
 * The policy a binding's Create names for the wired port, into @policy
 * (the bound one or the default, one of each); without an endpoint on
 * the NIC (no netdev=) nothing would enforce it, so it is refused
 */
static VamtCimStatus binding_policy(VamtAmt *amt, xmlNode *in,
                                    uint32_t *policy)
{
    VamtAmtState *s = vamt_amt_state(amt);
    g_autoptr(GPtrArray) port = vamt_xml_epr_selectors(
        vamt_xml_child(in, "Antecedent"));
    g_autoptr(GPtrArray) dependent = vamt_xml_epr_selectors(
        vamt_xml_child(in, "Dependent"));
    const char *device = vamt_cim_selector(port, "DeviceID");
    uint32_t handle;

    if (!device || strcmp(device, WIRED_PORT) ||
        !policy_handle(vamt_cim_selector(dependent, "InstanceID"),
                       &handle) || !find_policy(s, handle)) {
        return VAMT_CIM_INVALID;
    }
    if (!has_wired_port(amt)) {
        return VAMT_CIM_UNABLE;
    }
    *policy = handle;
    return VAMT_CIM_OK;
}

static VamtCimStatus binding_create(VamtAmt *amt, const char *user,
                                    xmlNode *in,
                                    VamtCimEpr *created)
{
    return binding_policy(amt, in, &vamt_amt_state(amt)->sd_bound);
}

static VamtCimStatus binding_delete(VamtAmt *amt, const char *user,
                                    const VamtCimInstance *target)
{
    vamt_amt_state(amt)->sd_bound = 0;
    return VAMT_CIM_OK;
}

/* The default policy: in force while no policy is bound */
static VamtCimStatus default_binding_create(VamtAmt *amt, const char *user,
                                            xmlNode *in,
                                            VamtCimEpr *created)
{
    return audited(amt, user,
                   binding_policy(amt, in, &vamt_amt_state(amt)->sd_default),
                   VAMT_AUDIT_SD_DEFAULT_POLICY_SET);
}

static VamtCimStatus default_binding_delete(VamtAmt *amt, const char *user,
                                            const VamtCimInstance *target)
{
    vamt_amt_state(amt)->sd_default = 0;
    return VAMT_CIM_OK;
}

/* An association: keyed by its references (Antecedent, Dependent) */
static const VamtCimClass binding_class = {
    .name = "AMT_NetworkPortSystemDefensePolicy", .ns_prefix = VAMT_NS_AMT,
    .list = binding_list, .create = binding_create,
    .delete = binding_delete,
};

static const VamtCimClass default_binding_class = {
    .name = "AMT_NetworkPortDefaultSystemDefensePolicy",
    .ns_prefix = VAMT_NS_AMT,
    .list = default_binding_list, .create = default_binding_create,
    .delete = default_binding_delete,
};

/* ---- statistics ------------------------------------------------------- */

static VamtCimEpr *policy_epr(uint32_t handle)
{
    VamtCimEpr *epr = vamt_cim_epr_new(VAMT_NS_AMT "AMT_SystemDefensePolicy");
    g_autofree char *id = g_strdup_printf(POLICY_ID_PREFIX "%u", handle);

    vamt_cim_epr_add(epr, "InstanceID", id);
    return epr;
}

static VamtCimEpr *filter_epr(const VamtSdFilter *f)
{
    const char *cls = f->ip ? "AMT_IPHeadersFilter" : "AMT_Hdr8021Filter";
    g_autofree char *uri = g_strconcat(VAMT_NS_AMT, cls, NULL);
    g_autofree char *handle = g_strdup_printf("%u", f->handle);
    VamtCimEpr *epr = vamt_cim_epr_new(uri);

    vamt_cim_epr_add(epr, "CreationClassName", cls);
    vamt_cim_epr_add(epr, "InstanceID", handle);
    vamt_cim_epr_add(epr, "Name", f->name);
    vamt_cim_epr_add(epr, "SystemCreationClassName", "CIM_ComputerSystem");
    vamt_cim_epr_add(epr, "SystemName", "Intel(r) AMT");
    return epr;
}

/*
 * One instance per filter of the bound policy, with the packets it
 * matched on the NIC as ReadCount.  MeshCommander reads the filter's Name
 * from the second selector of Dependent, an AMT_FilterInSystemDefense-
 * Policy reference whose Dependent is the filter.
 */
static const VamtCimClass statistics_class;
static void statistics_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);
    const VamtPlatformOps *ops = vamt_amt_ops(amt);
    const VamtSdPolicy *p = vamt_sd_policy_in_force(s);

    for (unsigned i = 0; p && ops->nic_filter_matched && i < p->n_filters;
         i++) {
        const VamtSdFilter *f = find_filter(s, p->filters[i]);
        VamtCimEpr *in_policy;
        VamtCimInstance *inst;
        uint64_t packets;

        if (!f || !ops->nic_filter_matched(vamt_amt_opaque(amt), f->handle,
                                           &packets)) {
            continue;
        }
        inst = vamt_cim_new(&statistics_class);
        vamt_cim_epr(inst, "Antecedent", ethernet_port_epr());
        in_policy = vamt_cim_epr_new(VAMT_NS_AMT
                                     "AMT_FilterInSystemDefensePolicy");
        vamt_cim_epr_add_epr(in_policy, "Antecedent", policy_epr(p->handle));
        vamt_cim_epr_add_epr(in_policy, "Dependent", filter_epr(f));
        vamt_cim_epr(inst, "Dependent", in_policy);
        vamt_cim_uint(inst, "ReadCount", packets);
        vamt_cim_bool(inst, "FilterMatched", packets > 0);
        g_ptr_array_add(out, inst);
    }
}

static const VamtCimClass statistics_class = {
    .name = "AMT_ActiveFilterStatistics", .ns_prefix = VAMT_NS_AMT,
    .list = statistics_list,
};

const VamtCimClass *const vamt_cim_defense_classes[] = {
    &eth_filter_class, &ip_filter_class, &network_filter_class,
    &policy_class, &binding_class, &default_binding_class,
    &statistics_class, NULL
};
