/*
 * vAMT ME core: CIM providers for the network interface
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "ipv4.h"
#include "provider.h"

/* Network */

static void put_ipv4(VamtCimInstance *inst, const char *name, uint32_t a)
{
    char text[VAMT_IPV4_STRLEN];

    vamt_ipv4_format(a, text);
    vamt_cim_str(inst, name, text);
}

/*
 * What the ME's endpoint on the NIC knows (netdev=); without one the ME
 * has no address of its own to report, and says its port is DHCP.  A
 * static address set by a console is reported as set, with its DNS
 * servers.
 */
static const VamtCimClass ethernet_class;
static void ethernet_list(VamtAmt *amt, GPtrArray *out)
{
    const uint8_t *mac = vamt_amt_host_mac(amt);
    VamtCimInstance *inst = vamt_cim_new(&ethernet_class);
    static const unsigned link_policy[] = { 1, 14, 16 };
    const VamtPlatformOps *ops = vamt_amt_ops(amt);
    VamtNicStatus nic = { .dhcp = true, .link_up = true };
    const VamtAmtState *amt_state = vamt_amt_state(amt);

    if (ops->nic_status) {
        ops->nic_status(vamt_amt_opaque(amt), &nic);
    }

    vamt_cim_str(inst, "InstanceID",
                 "Intel(r) AMT Ethernet Port Settings 0");
    vamt_cim_str(inst, "ElementName",
                 "Intel(r) AMT Ethernet Port Settings");
    vamt_cim_printf(inst, "MACAddress", "%02x-%02x-%02x-%02x-%02x-%02x",
                    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    vamt_cim_bool(inst, "LinkIsUp", nic.link_up);
    for (unsigned i = 0; i < G_N_ELEMENTS(link_policy); i++) {
        vamt_cim_uint(inst, "LinkPolicy", link_policy[i]);
    }
    vamt_cim_bool(inst, "SharedMAC", true);
    vamt_cim_bool(inst, "SharedStaticIp", false);
    vamt_cim_bool(inst, "SharedDynamicIP", true);
    vamt_cim_bool(inst, "IpSyncEnabled", true);
    vamt_cim_bool(inst, "DHCPEnabled", nic.dhcp);
    if (!nic.dhcp && amt_state->nic_static_address) {
        for (unsigned i = 0; i < 2; i++) {
            if (amt_state->nic_static_dns[i]) {
                put_ipv4(inst, i ? "SecondaryDNS" : "PrimaryDNS",
                         amt_state->nic_static_dns[i]);
            }
        }
    }
    if (nic.address) {
        put_ipv4(inst, "IPAddress", nic.address);
        put_ipv4(inst, "SubnetMask", nic.netmask);
        if (nic.gateway) {
            put_ipv4(inst, "DefaultGateway", nic.gateway);
        }
    }
    vamt_cim_uint(inst, "PhysicalConnectionType", 0);
    vamt_cim_uint(inst, "ConsoleTcpMaxRetransmissions", 5);
    g_ptr_array_add(out, inst);
}

/* One address of a Put: absent leaves @dst, "" or invalid fails */
static VamtCimStatus put_ipv4_setting(xmlNode *in, const char *name,
                                      uint32_t *dst)
{
    char text[16] = "";
    VamtCimStatus st = cim_put_string(in, name, text, sizeof(text));

    if (st != VAMT_CIM_OK || !text[0]) {
        return st;
    }
    return vamt_ipv4_parse(text, dst) ? VAMT_CIM_OK : VAMT_CIM_INVALID;
}

/*
 * MeshCommander's network settings: DHCPEnabled false with IPAddress,
 * SubnetMask, DefaultGateway and DNS servers gives the ME a static
 * address on the NIC (a device's nic-address= still wins); true goes back
 * to DHCP.  Kept in NVRAM.
 */
static VamtCimStatus ethernet_put(VamtAmt *amt, const char *user,
                                  const VamtCimInstance *target, xmlNode *in)
{
    VamtAmtState *s = vamt_amt_state(amt);
    bool dhcp = !s->nic_static_address;
    uint32_t address = s->nic_static_address;
    uint32_t netmask = s->nic_static_netmask;
    uint32_t gateway = s->nic_static_gateway;
    uint32_t dns[2] = { s->nic_static_dns[0], s->nic_static_dns[1] };
    VamtCimStatus st = cim_put_bool(in, "DHCPEnabled", &dhcp);

    st = st ?: put_ipv4_setting(in, "IPAddress", &address);
    st = st ?: put_ipv4_setting(in, "SubnetMask", &netmask);
    st = st ?: put_ipv4_setting(in, "DefaultGateway", &gateway);
    st = st ?: put_ipv4_setting(in, "PrimaryDNS", &dns[0]);
    st = st ?: put_ipv4_setting(in, "SecondaryDNS", &dns[1]);
    if (st != VAMT_CIM_OK) {
        return st;
    }
    if (dhcp) {
        address = netmask = gateway = dns[0] = dns[1] = 0;
    } else if (!address || (address >> 24) == 127 ||
               (address >> 28) >= 0xe ||
               !vamt_amt_netmask_is_valid(netmask) ||
               (gateway && (gateway & netmask) != (address & netmask))) {
        return VAMT_CIM_INVALID;
    }
    s->nic_static_address = address;
    s->nic_static_netmask = netmask;
    s->nic_static_gateway = gateway;
    s->nic_static_dns[0] = dns[0];
    s->nic_static_dns[1] = dns[1];
    return VAMT_CIM_OK;
}

static const VamtCimClass ethernet_class = {
    .name = "AMT_EthernetPortSettings", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_instance_id, .list = ethernet_list, .put = ethernet_put,
};


CIM_EMPTY_CLASS(ipv6_class, "IPS_IPv6PortSettings", VAMT_NS_IPS,
            cim_keys_instance_id);

/*
 * AMT_8021XProfile: wired 802.1X, which vAMT's ME does not do (the VM's
 * NIC is not an 802.1X supplicant), so the profile is there and
 * disabled, as on an AMT whose 802.1X was never set up; a Put that
 * enables it is refused, one that leaves it disabled is accepted.
 */
static const VamtCimClass ieee8021x_class;
static void ieee8021x_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = vamt_cim_new(&ieee8021x_class);

    vamt_cim_str(inst, "InstanceID", "Intel(r) AMT 8021X Profile 0");
    vamt_cim_str(inst, "ElementName", "Intel(r) AMT 8021X Profile");
    vamt_cim_bool(inst, "Enabled", false);
    vamt_cim_bool(inst, "ActiveInS0", true);
    vamt_cim_uint(inst, "PxeTimeout", 0);
    g_ptr_array_add(out, inst);
}

static VamtCimStatus ieee8021x_put(VamtAmt *amt, const char *user,
                                   const VamtCimInstance *target,
                                   xmlNode *in)
{
    bool enabled = false;
    VamtCimStatus st = cim_put_bool(in, "Enabled", &enabled);

    return st == VAMT_CIM_OK && enabled ? VAMT_CIM_INVALID : st;
}

static const VamtCimClass ieee8021x_class = {
    .name = "AMT_8021XProfile", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_instance_id, .list = ieee8021x_list,
    .put = ieee8021x_put,
};

/*
 * IPS_HTTPProxyService: the service that holds the HTTP proxies CIRA may
 * go through.  vAMT keeps none (IPS_HTTPProxyAccessPoint is empty) and
 * does not take new ones yet (AddProxyAccessPoint is not offered).
 */
static const VamtCimClass proxy_service_class;
static void proxy_service_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = cim_new_service(&proxy_service_class,
                                            "Intel(r) AMT HTTP Proxy Service",
                                            5, 12);

    vamt_cim_bool(inst, "SyncEnabled", false);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass proxy_service_class = {
    .name = "IPS_HTTPProxyService", .ns_prefix = VAMT_NS_IPS,
    .keys = cim_keys_service, .list = proxy_service_list,
};

CIM_EMPTY_CLASS(proxy_access_class, "IPS_HTTPProxyAccessPoint", VAMT_NS_IPS,
            cim_keys_service);


const VamtCimClass *const vamt_cim_network_classes[] = {
    &ethernet_class, &ipv6_class, &ieee8021x_class, &proxy_service_class,
    &proxy_access_class, NULL,
};
