/*
 * Unit tests for the vAMT ME core's classes of the wired port as
 * WS-Management reaches them: AMT_EthernetPortSettings' static address
 * and System Defense (filters, policies, the port's bound and default
 * policies, statistics), each read back as MeshCommander reads it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "amt.h"
#include "vamt-test-support.h"
#include "wsman-test-env.h"
#include "wsman.h"

/*
 * MeshCommander's IPv4 settings: a static address is kept (in the state
 * NVRAM saves) and shown; a bad netmask or a gateway off the subnet is
 * refused; DHCPEnabled true goes back to DHCP
 */
static void test_ethernet_static(void)
{
    static const char port[] =
        "<r:AMT_EthernetPortSettings xmlns:r=\"" AMT
        "AMT_EthernetPortSettings\"><r:InstanceID>Intel(r) AMT Ethernet "
        "Port Settings 0</r:InstanceID>";
    Env *e = env_new(VAMT_POWER_ON);
    g_autofree char *static_body = g_strconcat(port,
        "<r:DHCPEnabled>false</r:DHCPEnabled>"
        "<r:IPAddress>192.168.7.20</r:IPAddress>"
        "<r:SubnetMask>255.255.255.0</r:SubnetMask>"
        "<r:DefaultGateway>192.168.7.1</r:DefaultGateway>"
        "<r:PrimaryDNS>192.168.7.2</r:PrimaryDNS>"
        "</r:AMT_EthernetPortSettings>", NULL);
    g_autofree char *bad_mask = g_strconcat(port,
        "<r:DHCPEnabled>false</r:DHCPEnabled>"
        "<r:IPAddress>192.168.7.21</r:IPAddress>"
        "<r:SubnetMask>255.0.255.0</r:SubnetMask>"
        "</r:AMT_EthernetPortSettings>", NULL);
    g_autofree char *off_subnet = g_strconcat(port,
        "<r:DHCPEnabled>false</r:DHCPEnabled>"
        "<r:IPAddress>192.168.7.21</r:IPAddress>"
        "<r:SubnetMask>255.255.255.0</r:SubnetMask>"
        "<r:DefaultGateway>10.0.0.1</r:DefaultGateway>"
        "</r:AMT_EthernetPortSettings>", NULL);
    g_autofree char *bad_text = g_strconcat(port,
        "<r:DHCPEnabled>false</r:DHCPEnabled>"
        "<r:IPAddress>192.168.7.300</r:IPAddress>"
        "<r:SubnetMask>255.255.255.0</r:SubnetMask>"
        "</r:AMT_EthernetPortSettings>", NULL);
    g_autofree char *dhcp_body = g_strconcat(port,
        "<r:DHCPEnabled>true</r:DHCPEnabled>"
        "</r:AMT_EthernetPortSettings>", NULL);
    g_autoptr(Reply) put = wsman(e, NS_XFER "/Put",
                                 AMT "AMT_EthernetPortSettings", NULL,
                                 static_body);
    g_autoptr(Reply) mask = wsman(e, NS_XFER "/Put",
                                  AMT "AMT_EthernetPortSettings", NULL,
                                  bad_mask);
    g_autoptr(Reply) gateway = wsman(e, NS_XFER "/Put",
                                     AMT "AMT_EthernetPortSettings", NULL,
                                     off_subnet);
    g_autoptr(Reply) text = wsman(e, NS_XFER "/Put",
                                  AMT "AMT_EthernetPortSettings", NULL,
                                  bad_text);
    g_autoptr(Reply) saved = NULL, dhcp = NULL;
    const VamtAmtState *st = vamt_amt_state(e->amt);

    assert_ok(put, NS_XFER "/PutResponse");
    assert_fault(mask, 400, "e:InvalidParameter");
    assert_fault(gateway, 400, "e:InvalidParameter");
    assert_fault(text, 400, "e:InvalidParameter");
    g_assert_cmphex(st->nic_static_address, ==, 0xc0a80714);
    g_assert_cmphex(st->nic_static_netmask, ==, 0xffffff00);
    g_assert_cmphex(st->nic_static_gateway, ==, 0xc0a80701);
    g_assert_cmphex(st->nic_static_dns[0], ==, 0xc0a80702);
    saved = get(e, AMT "AMT_EthernetPortSettings", NULL);
    /* without an endpoint on the NIC the fake platform reports DHCP */
    assert_ok(saved, NS_XFER "/GetResponse");
    dhcp = wsman(e, NS_XFER "/Put", AMT "AMT_EthernetPortSettings", NULL,
                 dhcp_body);
    assert_ok(dhcp, NS_XFER "/PutResponse");
    g_assert_cmphex(st->nic_static_address, ==, 0);
    g_assert_cmphex(st->nic_static_dns[0], ==, 0);
    env_free(e);
}

/*
 * The audit log of the changes test_system_defense made that took (what
 * was refused is not there), each by the console's user: AMT's System
 * Defense ("CB") events
 */
static void assert_defense_audit(const VamtAmtState *st)
{
    static const unsigned expected[] = {
        VAMT_AUDIT_SD_FILTER_ADDED, VAMT_AUDIT_SD_FILTER_ADDED,
        VAMT_AUDIT_SD_POLICY_ADDED, VAMT_AUDIT_SD_DEFAULT_POLICY_SET,
        VAMT_AUDIT_SD_POLICY_REMOVED, VAMT_AUDIT_SD_FILTER_REMOVED,
    };
    unsigned n = 0;

    for (unsigned i = 0; i < st->audit_count; i++) {
        const VamtAuditRecord *r =
            &st->audit[(st->audit_first + i) % VAMT_AMT_AUDIT_LOG_SIZE];

        if (r->app_id != 25) {
            continue;
        }
        g_assert_cmpuint(n, <, G_N_ELEMENTS(expected));
        g_assert_cmpuint(r->app_id * 100 + r->event_id, ==, expected[n]);
        g_assert_cmpstr(r->user, ==, "admin");
        n++;
    }
    g_assert_cmpuint(n, ==, G_N_ELEMENTS(expected));
}

/*
 * MeshCommander's System Defense page: an Ethernet and an IP filter, a
 * policy naming both (its handles comma-joined, as MeshCommander sends
 * them), bound to the wired port; what is in use cannot be deleted;
 * what the ME cannot enforce is refused
 */
static void test_system_defense(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    static const char keys0[] =
        "<r:InstanceID >0</r:InstanceID ><r:CreationClassName>0"
        "</r:CreationClassName><r:SystemName>0</r:SystemName>"
        "<r:SystemCreationClassName>0</r:SystemCreationClassName>";
    g_autofree char *eth = g_strconcat(
        "<r:AMT_Hdr8021Filter xmlns:r=\"" AMT "AMT_Hdr8021Filter\">", keys0,
        "<r:Name>arp</r:Name><r:HdrProtocolID8021>2054</r:HdrProtocolID8021>"
        "<r:FilterProfile>1</r:FilterProfile><r:FilterDirection>0"
        "</r:FilterDirection><r:ActionEventOnMatch>false"
        "</r:ActionEventOnMatch></r:AMT_Hdr8021Filter>", NULL);
    g_autofree char *ip = g_strconcat(
        "<r:AMT_IPHeadersFilter xmlns:r=\"" AMT "AMT_IPHeadersFilter\">",
        keys0, "<r:Name>web</r:Name><r:HdrIPVersion>4</r:HdrIPVersion>"
        "<r:HdrDestAddress>0A00020F</r:HdrDestAddress>"
        "<r:HdrProtocolID>6</r:HdrProtocolID><r:HdrDestPortStart>80"
        "</r:HdrDestPortStart><r:HdrDestPortEnd>80</r:HdrDestPortEnd>"
        "<r:FilterProfile>4</r:FilterProfile><r:FilterDirection>1"
        "</r:FilterDirection><r:ActionEventOnMatch>false"
        "</r:ActionEventOnMatch></r:AMT_IPHeadersFilter>", NULL);
    g_autofree char *event = g_strconcat(
        "<r:AMT_Hdr8021Filter xmlns:r=\"" AMT "AMT_Hdr8021Filter\">", keys0,
        "<r:Name>ev</r:Name><r:HdrProtocolID8021>2048</r:HdrProtocolID8021>"
        "<r:FilterProfile>0</r:FilterProfile><r:FilterDirection>1"
        "</r:FilterDirection><r:ActionEventOnMatch>1</r:ActionEventOnMatch>"
        "</r:AMT_Hdr8021Filter>", NULL);
    g_autofree char *ipv6 = g_strconcat(
        "<r:AMT_IPHeadersFilter xmlns:r=\"" AMT "AMT_IPHeadersFilter\">",
        keys0, "<r:Name>v6</r:Name><r:HdrIPVersion>6</r:HdrIPVersion>"
        "<r:FilterProfile>4</r:FilterProfile><r:FilterDirection>1"
        "</r:FilterDirection></r:AMT_IPHeadersFilter>", NULL);
    g_autoptr(Reply) eth_created = wsman(e, NS_XFER "/Create",
                                         AMT "AMT_Hdr8021Filter", NULL, eth);
    g_autoptr(Reply) ip_created = wsman(e, NS_XFER "/Create",
                                        AMT "AMT_IPHeadersFilter", NULL, ip);
    g_autoptr(Reply) event_refused = wsman(e, NS_XFER "/Create",
                                           AMT "AMT_Hdr8021Filter", NULL,
                                           event);
    g_autoptr(Reply) ipv6_refused = wsman(e, NS_XFER "/Create",
                                          AMT "AMT_IPHeadersFilter", NULL,
                                          ipv6);
    g_autofree char *eth_id = xp(eth_created, "//wxf:ResourceCreated//"
                                 "wsman:Selector[@Name='InstanceID']");
    g_autofree char *ip_id = xp(ip_created, "//wxf:ResourceCreated//"
                                "wsman:Selector[@Name='InstanceID']");
    g_autofree char *policy = NULL, *policy_id = NULL, *bind = NULL;
    g_autofree char *filter_sel = NULL, *policy_sel = NULL;
    g_autoptr(Reply) policy_created = NULL, bound = NULL, bindings = NULL;
    g_autoptr(Reply) policies = NULL, in_use = NULL, bound_policy = NULL;
    g_autoptr(Reply) unbound = NULL, policy_deleted = NULL;
    g_autoptr(Reply) filter_deleted = NULL, ips = NULL;
    g_autoptr(Reply) refused_bind = NULL, stats = NULL;
    g_autoptr(Reply) defaulted = NULL, defaults = NULL, undefaulted = NULL;
    g_auto(GStrv) parts = NULL;
    g_autofree char *default_bind = NULL;
    const VamtAmtState *st = vamt_amt_state(e->amt);

    assert_ok(eth_created, NS_XFER "/CreateResponse");
    assert_ok(ip_created, NS_XFER "/CreateResponse");
    assert_fault(event_refused, 400, "e:InvalidParameter");
    assert_fault(ipv6_refused, 400, "e:InvalidParameter");
    ips = enumerate_all(e, AMT "AMT_IPHeadersFilter", NULL);
    assert_xp(ips, "// *[local-name()='HdrDestAddress']", "0A00020F");
    assert_xp(ips, "// *[local-name()='HdrDestPortEnd']", "80");

    policy = g_strconcat(
        "<r:AMT_SystemDefensePolicy xmlns:r=\"" AMT
        "AMT_SystemDefensePolicy\"><r:InstanceID >0</r:InstanceID >"
        "<r:PolicyName>iso</r:PolicyName><r:PolicyPrecedence>0"
        "</r:PolicyPrecedence><r:TxDefaultCount>false</r:TxDefaultCount>"
        "<r:TxDefaultDrop>false</r:TxDefaultDrop><r:TxDefaultMatchEvent>"
        "false</r:TxDefaultMatchEvent><r:RxDefaultCount>true"
        "</r:RxDefaultCount><r:RxDefaultDrop>false</r:RxDefaultDrop>"
        "<r:RxDefaultMatchEvent>false</r:RxDefaultMatchEvent>"
        "<r:FilterCreationHandles>", eth_id, ",", ip_id,
        "</r:FilterCreationHandles></r:AMT_SystemDefensePolicy>", NULL);
    policy_created = wsman(e, NS_XFER "/Create",
                           AMT "AMT_SystemDefensePolicy", NULL, policy);
    assert_ok(policy_created, NS_XFER "/CreateResponse");
    policy_id = xp(policy_created, "//wxf:ResourceCreated//"
                   "wsman:Selector[@Name='InstanceID']");
    g_assert_true(g_str_has_prefix(policy_id, "Intel(r) AMT:Policy "));
    g_assert_cmpuint(strlen("Intel(r) AMT:Policy "), ==, 20);
    policies = enumerate_all(e, AMT "AMT_SystemDefensePolicy", NULL);
    g_assert_cmpint(xp_count(policies, "// *[local-name()="
                             "'FilterCreationHandles']"), ==, 2);

    bind = g_strconcat(
        "<r:AMT_NetworkPortSystemDefensePolicy xmlns:r=\"" AMT
        "AMT_NetworkPortSystemDefensePolicy\"><r:Antecedent><Address xmlns="
        "\"" NS_WSA "\">" NS_WSA "</Address><ReferenceParameters xmlns=\""
        NS_WSA "\"><ResourceURI xmlns=\"" NS_WSMAN "\">" CIM
        "CIM_EthernetPort</ResourceURI><SelectorSet xmlns=\"" NS_WSMAN
        "\"><Selector Name=\"DeviceID\">Intel(r) AMT Ethernet Port 0"
        "</Selector></SelectorSet></ReferenceParameters></r:Antecedent>"
        "<r:Dependent><Address xmlns=\"" NS_WSA "\">" NS_WSA "</Address>"
        "<ReferenceParameters xmlns=\"" NS_WSA "\"><ResourceURI xmlns=\""
        NS_WSMAN "\">" AMT "AMT_SystemDefensePolicy</ResourceURI>"
        "<SelectorSet xmlns=\"" NS_WSMAN "\"><Selector Name=\"InstanceID\">",
        policy_id, "</Selector></SelectorSet></ReferenceParameters>"
        "</r:Dependent></r:AMT_NetworkPortSystemDefensePolicy>", NULL);
    /* no endpoint on the NIC (no netdev=): nothing would enforce it */
    refused_bind = wsman(e, NS_XFER "/Create",
                         AMT "AMT_NetworkPortSystemDefensePolicy", NULL,
                         bind);
    g_assert_cmpint(refused_bind->status, !=, 200);
    g_assert_cmpuint(st->sd_bound, ==, 0);
    e->fake.has_nic = true;
    e->fake.nic_filter_packets = 5;
    bound = wsman(e, NS_XFER "/Create",
                  AMT "AMT_NetworkPortSystemDefensePolicy", NULL, bind);
    assert_ok(bound, NS_XFER "/CreateResponse");
    stats = enumerate_all(e, AMT "AMT_ActiveFilterStatistics", NULL);
    /* one per filter, its Name where MeshCommander looks for it */
    g_assert_cmpint(xp_count(stats, "//wsen:Items/ *"), ==, 2);
    assert_xp(stats, "// *[local-name()='ReadCount']", "5");
    g_assert_cmpint(xp_count(stats, "// *[local-name()='Dependent']//"
                             "wsman:Selector[@Name='Dependent']//"
                             "wsman:Selector[@Name='Name']"), ==, 2);
    g_assert_cmpuint(st->sd_bound, !=, 0);
    bindings = enumerate_all(e, AMT "AMT_NetworkPortSystemDefensePolicy",
                             NULL);
    /* MeshCommander: four port keys, one policy key */
    g_assert_cmpint(xp_count(bindings, "// *[local-name()='Antecedent']//"
                             "wsman:Selector"), ==, 4);
    assert_xp(bindings, "// *[local-name()='Dependent']//wsman:Selector",
              policy_id);

    filter_sel = g_strdup_printf("<w:SelectorSet><w:Selector Name=\""
                                 "InstanceID\">%s</w:Selector>"
                                 "</w:SelectorSet>", ip_id);
    policy_sel = g_strdup_printf("<w:SelectorSet><w:Selector Name=\""
                                 "InstanceID\">%s</w:Selector>"
                                 "</w:SelectorSet>", policy_id);
    in_use = wsman(e, NS_XFER "/Delete", AMT "AMT_IPHeadersFilter",
                   filter_sel, NULL);
    g_assert_cmpint(in_use->status, !=, 200);
    bound_policy = wsman(e, NS_XFER "/Delete", AMT "AMT_SystemDefensePolicy",
                         policy_sel, NULL);
    g_assert_cmpint(bound_policy->status, !=, 200);
    /*
     * The same policy as the port's default: listed, not active while
     * a policy is bound; in force (and its statistics listed) once none
     * is; it keeps the policy from being deleted too
     */
    parts = g_strsplit(bind, "AMT_NetworkPortSystemDefensePolicy", -1);
    default_bind = g_strjoinv("AMT_NetworkPortDefaultSystemDefensePolicy",
                              parts);
    defaulted = wsman(e, NS_XFER "/Create",
                      AMT "AMT_NetworkPortDefaultSystemDefensePolicy", NULL,
                      default_bind);
    assert_ok(defaulted, NS_XFER "/CreateResponse");
    g_assert_cmpuint(st->sd_default, ==, st->sd_bound);
    defaults = enumerate_all(e, AMT "AMT_NetworkPortDefaultSystemDefensePolicy",
                             NULL);
    assert_xp(defaults, "// *[local-name()='Dependent']//wsman:Selector",
              policy_id);
    assert_xp(defaults, "// *[local-name()='Active']", "true");
    unbound = wsman(e, NS_XFER "/Delete",
                    AMT "AMT_NetworkPortSystemDefensePolicy", NULL, NULL);
    assert_ok(unbound, NS_XFER "/DeleteResponse");
    g_assert_cmpuint(st->sd_bound, ==, 0);
    g_clear_pointer(&stats, reply_free);
    stats = enumerate_all(e, AMT "AMT_ActiveFilterStatistics", NULL);
    g_assert_cmpint(xp_count(stats, "//wsen:Items/ *"), ==, 2);
    g_clear_pointer(&bound_policy, reply_free);
    bound_policy = wsman(e, NS_XFER "/Delete", AMT "AMT_SystemDefensePolicy",
                         policy_sel, NULL);
    g_assert_cmpint(bound_policy->status, !=, 200);
    undefaulted = wsman(e, NS_XFER "/Delete",
                        AMT "AMT_NetworkPortDefaultSystemDefensePolicy", NULL,
                        NULL);
    assert_ok(undefaulted, NS_XFER "/DeleteResponse");
    g_clear_pointer(&stats, reply_free);
    stats = enumerate_all(e, AMT "AMT_ActiveFilterStatistics", NULL);
    g_assert_cmpint(xp_count(stats, "//wsen:Items/ *"), ==, 0);
    policy_deleted = wsman(e, NS_XFER "/Delete",
                           AMT "AMT_SystemDefensePolicy", policy_sel, NULL);
    assert_ok(policy_deleted, NS_XFER "/DeleteResponse");
    filter_deleted = wsman(e, NS_XFER "/Delete", AMT "AMT_IPHeadersFilter",
                           filter_sel, NULL);
    assert_ok(filter_deleted, NS_XFER "/DeleteResponse");
    assert_defense_audit(st);
    env_free(e);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/wsman/class/ethernet-static", test_ethernet_static);
    g_test_add_func("/wsman/class/system-defense", test_system_defense);
    return g_test_run();
}
