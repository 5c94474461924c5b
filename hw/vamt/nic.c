/*
 * vAMT: the ME's endpoint on the guest's NIC (netdev=), device side
 *
 * netdev=<id> puts a filter-vamt on that netdev (net/vamt/filter-vamt.c):
 * consoles then reach the ME at the guest's own IPv4 address, on the
 * same ports and with the same services as on listen=.  nic-address= and
 * nic-gateway= fix the address instead of learning it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "migration/vmstate.h"
#include "net/filter-vamt.h"
#include "hw/vamt/vamt.h"
#include "hw/vamt/nic.h"
#include "ipv4.h"
#include "me.h"
#include "platform-ops.h"
#include "trace/trace-hw_vamt.h"

/*
 * The ME's service at @port on the NIC: its TLS ports inside TLS with
 * tls-creds= (tls-conn.c), refused (RST) without
 */
static const VamtService *vamt_nic_service(void *opaque, uint16_t port)
{
    VamtState *s = opaque;

    if (!s->me) {
        return NULL;
    }
    if (vamt_port_is_tls(port)) {
        return vamt_tls_service(&s->nic_tls[port != VAMT_PORT_WSMAN_TLS],
                                vamt_me_service(s->me, port), s->tls_creds);
    }
    return vamt_me_service(s->me, port);
}

/* The netdev went, and our filter with it */
static void vamt_nic_gone(void *opaque)
{
    VamtState *s = opaque;

    s->nic_filter = NULL;
}

/* The ME's connections out from the NIC are reported as the host's are */
static const FilterVamtHooks vamt_nic_hooks = {
    .service = vamt_nic_service,
    .gone = vamt_nic_gone,
    .client_connected = vamt_outbound_connected,
    .client_input = vamt_outbound_input,
    .client_closed = vamt_outbound_closed,
};

bool vamt_nic_connect(VamtState *s, uint64_t id, const char *host,
                      uint16_t port)
{
    uint32_t address;

    /* no DNS client on the NIC yet: a name cannot be reached from it */
    if (!s->nic_filter || !vamt_ipv4_parse(host, &address)) {
        trace_vamt_nic_client_refused(id, host);
        return false;
    }
    return filter_vamt_connect(s->nic_filter, id, address, port);
}

void vamt_nic_client_write(VamtState *s, uint64_t id, const uint8_t *data,
                           size_t len)
{
    if (s->nic_filter) {
        filter_vamt_client_write(s->nic_filter, id, data, len);
    }
}

void vamt_nic_client_close(VamtState *s, uint64_t id)
{
    if (s->nic_filter) {
        filter_vamt_client_close(s->nic_filter, id);
    }
}

/* "A.B.C.D/PREFIX" (the prefix defaults to 24) */
static bool vamt_parse_cidr(const char *text, uint32_t *address,
                            uint32_t *netmask, Error **errp)
{
    g_auto(GStrv) parts = g_strsplit(text, "/", 2);
    uint64_t prefix = 24;

    if (!vamt_ipv4_parse(parts[0], address) || !*address ||
        (parts[1] && (qemu_strtou64(parts[1], NULL, 10, &prefix) ||
                      prefix < 1 || prefix > 32))) {
        error_setg(errp, "nic-address '%s' is not an IPv4 address "
                   "A.B.C.D[/PREFIX]", text);
        return false;
    }
    *netmask = prefix == 32 ? 0xffffffff : ~(0xffffffffu >> prefix);
    return true;
}

/*
 * The policy in force on the wired port (cim/defense.c: the bound one,
 * else the default), for the endpoint
 */
static void vamt_nic_apply_defense(VamtState *s, const VamtAmtState *st)
{
    VamtDefenseFilter filters[VAMT_SD_MAX_POLICY_FILTERS];
    VamtDefensePolicy policy = { .filters = filters };
    const VamtSdPolicy *bound = vamt_sd_policy_in_force(st);

    /* compared whole below: the padding too */
    memset(filters, 0, sizeof(filters));
    for (unsigned i = 0; bound && i < bound->n_filters; i++) {
        for (unsigned j = 0; j < VAMT_SD_MAX_FILTERS; j++) {
            const VamtSdFilter *f = &st->sd_filters[j];
            VamtDefenseFilter *d = &filters[policy.n_filters];

            if (!f->handle || f->handle != bound->filters[i]) {
                continue;
            }
            d->handle = f->handle;
            d->direction = f->direction ? VAMT_DEFENSE_RX : VAMT_DEFENSE_TX;
            d->profile = (VamtDefenseProfile)f->profile;
            d->rate_pps = f->profile_data;
            d->ip = f->ip;
            d->ethertype = f->ethertype;
            d->has_src = f->has & VAMT_SD_HAS_SRC;
            d->has_dst = f->has & VAMT_SD_HAS_DST;
            d->has_proto = f->has & VAMT_SD_HAS_PROTO;
            d->has_sport = f->has & VAMT_SD_HAS_SPORT;
            d->has_dport = f->has & VAMT_SD_HAS_DPORT;
            d->src_lo = f->src_lo;
            d->src_hi = f->src_hi;
            d->dst_lo = f->dst_lo;
            d->dst_hi = f->dst_hi;
            d->proto = f->proto;
            d->sport_lo = f->sport_lo;
            d->sport_hi = f->sport_hi;
            d->dport_lo = f->dport_lo;
            d->dport_hi = f->dport_hi;
            policy.n_filters++;
        }
    }
    for (unsigned dir = 0; bound && dir < 2; dir++) {
        policy.default_drop[dir] = bound->default_drop[dir];
        policy.default_count[dir] = bound->default_count[dir];
    }
    /* a new policy restarts the counters: only when it is new */
    policy.filters = s->nic_defense_filters;
    if (s->nic_defense_bound == (bound ? bound->handle : 0) &&
        (!bound ||
         (s->nic_defense_applied.n_filters == policy.n_filters &&
          !memcmp(s->nic_defense_applied.default_drop, policy.default_drop,
                  sizeof(policy.default_drop)) &&
          !memcmp(s->nic_defense_applied.default_count,
                  policy.default_count, sizeof(policy.default_count)) &&
          !memcmp(s->nic_defense_filters, filters, sizeof(filters))))) {
        return;
    }
    s->nic_defense_bound = bound ? bound->handle : 0;
    memcpy(s->nic_defense_filters, filters, sizeof(filters));
    s->nic_defense_applied = policy;
    trace_vamt_nic_defense(s->nic_defense_bound, policy.n_filters);
    filter_vamt_set_defense(s->nic_filter, bound ? &policy : NULL);
}

/*
 * A console's static address (AMT_EthernetPortSettings, in NVRAM), unless
 * nic-address= fixes one; its System Defense policy
 */
static void vamt_nic_apply_settings(VamtState *s)
{
    const VamtAmtState *st = vamt_amt_state(vamt_me_amt(s->me));

    vamt_nic_apply_defense(s, st);

    if (!s->nic_address &&
        (st->nic_static_address != s->nic_applied_address ||
        st->nic_static_netmask != s->nic_applied_netmask ||
        st->nic_static_gateway != s->nic_applied_gateway)) {
        s->nic_applied_address = st->nic_static_address;
        s->nic_applied_netmask = st->nic_static_netmask;
        s->nic_applied_gateway = st->nic_static_gateway;
        trace_vamt_nic_static(st->nic_static_address);
        filter_vamt_set_static(s->nic_filter, st->nic_static_address,
                               st->nic_static_netmask,
                               st->nic_static_gateway);
    }
}

bool vamt_nic_realize(VamtState *s, Error **errp)
{
    uint32_t address = 0, netmask = 0, gateway = 0;
    Error *err = NULL;

    if (!s->netdev_id) {
        if (s->nic_address || s->nic_gateway) {
            error_setg(errp, "nic-address and nic-gateway need netdev=");
            return false;
        }
        return true;
    }
    if (s->nic_address &&
        !vamt_parse_cidr(s->nic_address, &address, &netmask, errp)) {
        return false;
    }
    if (s->nic_gateway && !vamt_ipv4_parse(s->nic_gateway, &gateway)) {
        error_setg(errp, "nic-gateway '%s' is not an IPv4 address",
                   s->nic_gateway);
        return false;
    }
    if (s->nic_gateway && !s->nic_address) {
        error_setg(errp, "nic-gateway needs nic-address");
        return false;
    }
    s->nic_filter = filter_vamt_new(OBJECT(s), s->netdev_id, &vamt_nic_hooks,
                                    s, &err);
    if (!s->nic_filter) {
        error_propagate_prepend(errp, err, "netdev=%s: the ME cannot share "
                                "this netdev's NIC: ", s->netdev_id);
        return false;
    }
    if (address) {
        filter_vamt_set_static(s->nic_filter, address, netmask, gateway);
    } else {
        vamt_nic_apply_settings(s);
    }
    trace_vamt_nic_attached(s->netdev_id, s->nic_address ?: "learned");
    return true;
}

void vamt_nic_cleanup(VamtState *s)
{
    FilterVamtState *filter = s->nic_filter;

    if (filter) {
        s->nic_filter = NULL;
        object_unparent(OBJECT(filter));
    }
}

void vamt_nic_update(VamtState *s)
{
    if (s->nic_filter) {
        vamt_nic_apply_settings(s);
        filter_vamt_services_changed(s->nic_filter);
    }
}

/* "" for an address not known */
static char *vamt_ipv4_str(uint32_t a)
{
    char text[VAMT_IPV4_STRLEN] = "";

    if (a) {
        vamt_ipv4_format(a, text);
    }
    return g_strdup(text);
}

VamtNicInfo *vamt_nic_query(VamtState *s)
{
    VamtNicInfo *info;
    VamtNetInfo net;
    uint8_t mac[6];

    if (!s->nic_filter) {
        return NULL;
    }
    filter_vamt_get_info(s->nic_filter, &net);
    info = g_new0(VamtNicInfo, 1);
    info->netdev = g_strdup(filter_vamt_netdev(s->nic_filter));
    info->mac = filter_vamt_mac(s->nic_filter, mac)
                ? g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
                                  mac[1], mac[2], mac[3], mac[4], mac[5])
                : g_strdup("");
    info->address = vamt_ipv4_str(net.address);
    info->netmask = vamt_ipv4_str(net.address ? net.netmask : 0);
    info->gateway = vamt_ipv4_str(net.address ? net.gateway : 0);
    /* the QAPI enum follows the endpoint's order */
    QEMU_BUILD_BUG_ON((int)VAMT_NIC_ADDRESS_SOURCE_TRAFFIC !=
                      VAMT_NET_ADDRESS_TRAFFIC);
    info->source = (VamtNicAddressSource)net.source;
    info->connections = net.connections;
    info->half_open = net.half_open;
    info->outbound = net.outbound;
    info->frames_taken = net.frames_taken;
    info->frames_sent = net.frames_sent;
    info->frames_refused = net.frames_refused;
    info->resets_sent = net.resets_sent;
    info->defense_dropped = net.defense_dropped;
    return info;
}

bool vamt_nic_status(void *opaque, VamtNicStatus *status)
{
    VamtState *s = opaque;
    VamtNetInfo net;

    if (!s->nic_filter) {
        return false;
    }
    filter_vamt_get_info(s->nic_filter, &net);
    status->address = net.address;
    status->netmask = net.netmask;
    status->gateway = net.gateway;
    status->dhcp = net.source != VAMT_NET_ADDRESS_STATIC;
    status->link_up = true;
    return true;
}

/*
 * The address goes with the VM: on the destination the guest does not
 * ask DHCP again, and a VM that is off says nothing that would teach it.
 * Connections do not migrate (consoles reconnect), as on listen=.
 */
static bool vamt_nic_needed(void *opaque)
{
    return ((VamtState *)opaque)->nic_filter;
}

static int vamt_nic_pre_save(void *opaque)
{
    VamtState *s = opaque;
    VamtNetInfo net;

    filter_vamt_get_info(s->nic_filter, &net);
    s->nic_mig_source = net.source;
    s->nic_mig_address = net.address;
    s->nic_mig_netmask = net.netmask;
    s->nic_mig_gateway = net.gateway;
    return 0;
}

static int vamt_nic_post_load(void *opaque, int version_id)
{
    VamtState *s = opaque;

    if (!s->nic_filter) {
        error_report("vamt: the migrated ME shared a NIC; give this one "
                     "netdev= too");
        return -EINVAL;
    }
    vamt_nic_apply_settings(s);
    if (!filter_vamt_restore(s->nic_filter, s->nic_mig_source,
                             s->nic_mig_address, s->nic_mig_netmask,
                             s->nic_mig_gateway)) {
        error_report("vamt: the migrated NIC address is not valid");
        return -EINVAL;
    }
    return 0;
}

const VMStateDescription vmstate_vamt_nic = {
    .name = "vamt/nic",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vamt_nic_needed,
    .pre_save = vamt_nic_pre_save,
    .post_load = vamt_nic_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(nic_mig_source, VamtState),
        VMSTATE_UINT32(nic_mig_address, VamtState),
        VMSTATE_UINT32(nic_mig_netmask, VamtState),
        VMSTATE_UINT32(nic_mig_gateway, VamtState),
        VMSTATE_END_OF_LIST()
    },
};

bool vamt_nic_filter_matched(void *opaque, uint32_t handle,
                             uint64_t *packets)
{
    VamtState *s = opaque;

    return s->nic_filter &&
           filter_vamt_defense_matched(s->nic_filter, handle, packets);
}
