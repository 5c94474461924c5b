/*
 * vAMT ME core: CIM providers for the network interface
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "provider.h"

/* Network */

static const VamtCimClass ethernet_class;
static void ethernet_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = cim_inventory(amt);
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
    .keys = cim_keys_instance_id, .list = ethernet_list,
};


CIM_EMPTY_CLASS(ipv6_class, "IPS_IPv6PortSettings", VAMT_NS_IPS,
            cim_keys_instance_id);

CIM_EMPTY_CLASS(proxy_access_class, "IPS_HTTPProxyAccessPoint", VAMT_NS_IPS,
            cim_keys_service);


const VamtCimClass *const vamt_cim_network_classes[] = {
    &ethernet_class, &ipv6_class, &proxy_access_class, NULL,
};
