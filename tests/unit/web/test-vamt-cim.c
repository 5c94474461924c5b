/*
 * Unit tests for the vAMT ME core's CIM classes as WS-Management
 * reaches them: Put, Create and Delete, the methods and the state they
 * change (settings, boot, users, logs, consent, time, alarms, Agent
 * Presence, certificate hashes, screens), each read back as a console
 * reads it.  The protocol itself is test-vamt-wsman.c's.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "agent-presence.h"
#include "amt.h"
#include "vamt-test-support.h"
#include "wsman-test-env.h"
#include "wsman.h"

/* Operations */

static void test_put_general_settings(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) put = wsman(e, NS_XFER "/Put", AMT "AMT_GeneralSettings",
        NULL,
        "<r:AMT_GeneralSettings xmlns:r=\"" AMT "AMT_GeneralSettings\">"
        "<r:InstanceID>Intel(r) AMT: General Settings</r:InstanceID>"
        "<r:DigestRealm>Digest:0000</r:DigestRealm>"
        "<r:HostName>guest-7</r:HostName><r:DomainName>example.org"
        "</r:DomainName><r:PingResponseEnabled>false</r:PingResponseEnabled>"
        "</r:AMT_GeneralSettings>");
    g_autoptr(Reply) after = get(e, AMT "AMT_GeneralSettings", NULL);
    g_autoptr(Reply) bad = wsman(e, NS_XFER "/Put", AMT "AMT_GeneralSettings",
        NULL, "<r:AMT_GeneralSettings xmlns:r=\"" AMT "AMT_GeneralSettings\">"
        "<r:PingResponseEnabled>maybe</r:PingResponseEnabled>"
        "</r:AMT_GeneralSettings>");
    g_autoptr(Reply) read_only = wsman(e, NS_XFER "/Put",
        CIM "CIM_SoftwareIdentity", NULL, "<x/>");

    assert_ok(put, NS_XFER "/PutResponse");
    assert_prop(put, "HostName", "guest-7");
    assert_prop(after, "HostName", "guest-7");
    assert_prop(after, "DomainName", "example.org");
    assert_prop(after, "PingResponseEnabled", "false");
    /* read-only values are ignored, as AMT does */
    assert_prop(after, "DigestRealm", REALM);
    assert_fault(bad, 400, "e:InvalidParameter");
    assert_prop(after, "PingResponseEnabled", "false");
    assert_fault(read_only, 400, "b:ActionNotSupported");
    env_free(e);
}

static const char boot_config_epr[] =
    "<r:BootConfigSetting><Address xmlns=\"" NS_WSA "\">" NS_WSA
    "/role/anonymous</Address><ReferenceParameters xmlns=\"" NS_WSA "\">"
    "<ResourceURI xmlns=\"" NS_WSMAN "\">" CIM "CIM_BootConfigSetting"
    "</ResourceURI><SelectorSet xmlns=\"" NS_WSMAN "\"><Selector Name="
    "\"InstanceID\">Intel(r) AMT: Boot Configuration 0</Selector>"
    "</SelectorSet></ReferenceParameters></r:BootConfigSetting>"
    "<r:Role>1</r:Role>";

static const char pxe_source[] =
    "<r:Source><Address xmlns=\"" NS_WSA "\">" NS_WSA "/role/anonymous"
    "</Address><ReferenceParameters xmlns=\"" NS_WSA "\"><ResourceURI "
    "xmlns=\"" NS_WSMAN "\">" CIM "CIM_BootSourceSetting</ResourceURI>"
    "<SelectorSet xmlns=\"" NS_WSMAN "\"><Selector Name=\"InstanceID\">"
    "Intel(r) AMT: Force PXE Boot</Selector></SelectorSet>"
    "</ReferenceParameters></r:Source>";

/*
 * The MeshCommander power-with-boot-options flow
 * (docs/specs/vamt-wsman.rst, "What the consoles send")
 */
static void test_boot_flow(void)
{
    Env *e = env_new(VAMT_POWER_OFF_SOFT);
    GArray *targets = e->fake.boot_targets;
    g_autoptr(Reply) settings = get(e, AMT "AMT_BootSettingData", NULL);
    g_autoptr(Reply) clear = invoke(e, CIM "CIM_BootConfigSetting",
                                    "ChangeBootOrder", NULL);
    g_autoptr(Reply) put = wsman(e, NS_XFER "/Put", AMT "AMT_BootSettingData",
        NULL, "<r:AMT_BootSettingData xmlns:r=\"" AMT "AMT_BootSettingData\">"
        "<r:BIOSSetup>false</r:BIOSSetup><r:UseSOL>false</r:UseSOL>"
        "<r:FirmwareVerbosity>0</r:FirmwareVerbosity>"
        "</r:AMT_BootSettingData>");
    g_autoptr(Reply) role = invoke(e, CIM "CIM_BootService",
                                   "SetBootConfigRole", boot_config_epr);
    g_autoptr(Reply) pxe = invoke(e, CIM "CIM_BootConfigSetting",
                                  "ChangeBootOrder", pxe_source);
    g_autoptr(Reply) pending = NULL;
    g_autoptr(Reply) cleared = NULL;
    g_autoptr(Reply) sources = NULL;
    g_autoptr(Reply) bad_verbosity = NULL;

    assert_ok(settings, NS_XFER "/GetResponse");
    assert_prop(settings, "OptionsCleared", "true");
    assert_prop(settings, "InstanceID", "Intel(r) AMT:BootSettingData 0");
    assert_prop(clear, "ReturnValue", "0");
    assert_ok(put, NS_XFER "/PutResponse");
    assert_prop(role, "ReturnValue", "0");
    assert_prop(pxe, "ReturnValue", "0");
    g_assert_cmpuint(targets->len, >=, 4);
    g_assert_cmpint(g_array_index(targets, VamtBootTarget, targets->len - 1),
                    ==, VAMT_BOOT_PXE);
    pending = get(e, AMT "AMT_BootSettingData", NULL);
    assert_prop(pending, "OptionsCleared", "false");

    /* the next boot spends the options */
    vamt_amt_notify_boot(e->amt);
    cleared = get(e, AMT "AMT_BootSettingData", NULL);
    assert_prop(cleared, "OptionsCleared", "true");
    g_assert_cmpuint(vamt_amt_state(e->amt)->event_count, ==, 1);

    sources = enumerate_all(e, CIM "CIM_BootSourceSetting", NULL);
    g_assert_cmpint(xp_count(sources, "//wsen:Items/ *"), ==, 3);
    bad_verbosity = wsman(e, NS_XFER "/Put", AMT "AMT_BootSettingData", NULL,
        "<r:AMT_BootSettingData xmlns:r=\"" AMT "AMT_BootSettingData\">"
        "<r:FirmwareVerbosity>9</r:FirmwareVerbosity>"
        "</r:AMT_BootSettingData>");
    assert_fault(bad_verbosity, 400, "e:InvalidParameter");
    env_free(e);
}

/* What the platform cannot boot is refused, and nothing stays pending */
static void test_boot_refused(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) role = NULL;
    g_autoptr(Reply) pxe = NULL;
    g_autoptr(Reply) after = NULL;
    g_autoptr(Reply) setup = NULL;

    /* a VM without a network card; SeaBIOS, which has no setup */
    e->fake.boot_refused = 1u << VAMT_BOOT_PXE | 1u << VAMT_BOOT_BIOS_SETUP;
    role = invoke(e, CIM "CIM_BootService", "SetBootConfigRole",
                  boot_config_epr);
    assert_prop(role, "ReturnValue", "0");
    pxe = invoke(e, CIM "CIM_BootConfigSetting", "ChangeBootOrder",
                 pxe_source);
    assert_prop(pxe, "ReturnValue", "1");
    after = get(e, AMT "AMT_BootSettingData", NULL);
    assert_prop(after, "OptionsCleared", "true");
    g_assert_cmpint(vamt_amt_state(e->amt)->boot.boot_source, ==,
                    VAMT_BOOT_DEFAULT);

    setup = wsman(e, NS_XFER "/Put", AMT "AMT_BootSettingData", NULL,
        "<r:AMT_BootSettingData xmlns:r=\"" AMT "AMT_BootSettingData\">"
        "<r:BIOSSetup>true</r:BIOSSetup></r:AMT_BootSettingData>");
    g_assert_cmpint(setup->status, ==, 400);
    g_assert_false(vamt_amt_state(e->amt)->boot.bios_setup);
    env_free(e);
}

static void test_users(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    char ha1[33];
    g_autoptr(Reply) add = invoke(e, AMT "AMT_AuthorizationService",
        "AddUserAclEntryEx",
        "<r:DigestUsername>operator</r:DigestUsername>"
        "<r:DigestPassword>0123456789ABCDEF0123456789abcdef</r:DigestPassword>"
        "<r:AccessPermission>2</r:AccessPermission>"
        "<r:Realms>5</r:Realms><r:Realms>7</r:Realms>");
    g_autoptr(Reply) dup = invoke(e, AMT "AMT_AuthorizationService",
        "AddUserAclEntryEx",
        "<r:DigestUsername>operator</r:DigestUsername>"
        "<r:DigestPassword>ASNFZ4mrze8BI0VniavN7w==</r:DigestPassword>"
        "<r:AccessPermission>2</r:AccessPermission>");
    g_autoptr(Reply) list = invoke(e, AMT "AMT_AuthorizationService",
                                   "EnumerateUserAclEntries",
                                   "<r:StartIndex>1</r:StartIndex>");
    g_autofree char *handle = prop(add, "Handle");
    g_autofree char *handle_arg = g_strdup_printf("<r:Handle>%s</r:Handle>",
                                                  handle);
    g_autoptr(Reply) entry = invoke(e, AMT "AMT_AuthorizationService",
                                    "GetUserAclEntryEx", handle_arg);
    g_autoptr(Reply) disable = NULL;
    g_autoptr(Reply) remove = NULL;
    g_autoptr(Reply) gone = NULL;
    g_autofree char *disable_arg = g_strdup_printf(
        "%s<r:Enabled>false</r:Enabled>", handle_arg);

    assert_prop(add, "ReturnValue", "0");
    assert_prop(dup, "ReturnValue", "2058");
    assert_prop(list, "TotalCount", "2");
    assert_xp(list, "// *[local-name()='Handles'][1]", "4294967295");
    assert_xp(list, "// *[local-name()='Handles'][2]", handle);
    assert_prop(entry, "DigestUsername", "operator");
    g_assert_cmpint(xp_count(entry, "// *[local-name()='Realms']"), ==, 2);
    g_assert_true(vamt_amt_user_ha1(e->amt, "operator", false, ha1));
    g_assert_cmpstr(ha1, ==, "0123456789abcdef0123456789abcdef");
    g_assert_cmphex(vamt_amt_user_realms(e->amt, "operator"), ==,
                    (1 << 5) | (1 << 7));
    g_assert_true(vamt_amt_user_ha1(e->amt, "admin", false, ha1));
    g_assert_false(vamt_amt_user_ha1(e->amt, "Admin", false, ha1));

    disable = invoke(e, AMT "AMT_AuthorizationService", "SetAclEnabledState",
                     disable_arg);
    assert_prop(disable, "ReturnValue", "0");
    g_assert_false(vamt_amt_user_ha1(e->amt, "operator", false, ha1));
    remove = invoke(e, AMT "AMT_AuthorizationService", "RemoveUserAclEntry",
                    handle_arg);
    assert_prop(remove, "ReturnValue", "0");
    gone = invoke(e, AMT "AMT_AuthorizationService", "GetUserAclEntryEx",
                  handle_arg);
    assert_prop(gone, "ReturnValue", "2053");
    env_free(e);
}

/*
 * A factory ME lists AMT's built-in hidden account, so consoles that
 * read Handles unguarded (MeshCommander) find one; it is local only and
 * cannot be changed, removed, taken or used from the network.
 */
static void test_users_os_admin(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    static const char os_admin[] = "<r:Handle>4294967295</r:Handle>";
    g_autoptr(Reply) list = invoke(e, AMT "AMT_AuthorizationService",
                                   "EnumerateUserAclEntries",
                                   "<r:StartIndex>1</r:StartIndex>");
    g_autoptr(Reply) past = invoke(e, AMT "AMT_AuthorizationService",
                                   "EnumerateUserAclEntries",
                                   "<r:StartIndex>2</r:StartIndex>");
    g_autoptr(Reply) entry = invoke(e, AMT "AMT_AuthorizationService",
                                    "GetUserAclEntryEx", os_admin);
    g_autoptr(Reply) enabled = invoke(e, AMT "AMT_AuthorizationService",
                                      "GetAclEnabledState", os_admin);
    g_autoptr(Reply) disable = invoke(e, AMT "AMT_AuthorizationService",
                                      "SetAclEnabledState",
                                      "<r:Handle>4294967295</r:Handle>"
                                      "<r:Enabled>false</r:Enabled>");
    g_autoptr(Reply) remove = invoke(e, AMT "AMT_AuthorizationService",
                                     "RemoveUserAclEntry", os_admin);
    g_autoptr(Reply) take = invoke(e, AMT "AMT_AuthorizationService",
        "AddUserAclEntryEx",
        "<r:DigestUsername>$$OsAdmin</r:DigestUsername>"
        "<r:DigestPassword>0123456789ABCDEF0123456789abcdef</r:DigestPassword>"
        "<r:AccessPermission>2</r:AccessPermission><r:Realms>3</r:Realms>");
    char ha1[33], expected[33];

    assert_prop(list, "ReturnValue", "0");
    assert_prop(list, "TotalCount", "1");
    assert_prop(list, "HandlesCount", "1");
    g_assert_cmpint(xp_count(list, "// *[local-name()='Handles']"), ==, 1);
    assert_prop(list, "Handles", "4294967295");
    assert_prop(past, "TotalCount", "1");
    g_assert_cmpint(xp_count(past, "// *[local-name()='Handles']"), ==, 0);
    assert_prop(entry, "ReturnValue", "0");
    assert_prop(entry, "DigestUsername", "$$OsAdmin");
    assert_prop(entry, "AccessPermission", "0");
    assert_prop(enabled, "Enabled", "true");
    assert_prop(disable, "ReturnValue", "16");
    assert_prop(remove, "ReturnValue", "16");
    assert_prop(take, "ReturnValue", "2058");
    /* its realms are what it can do; only LME connections may use it */
    g_assert_cmpint(xp_count(entry, "// *[local-name()='Realms']"), ==, 5);
    assert_xp(entry, "// *[local-name()='Realms'][5]", "24");
    g_assert_false(vamt_amt_user_ha1(e->amt, "$$OsAdmin", false, ha1));
    g_assert_true(vamt_amt_user_ha1(e->amt, "$$OsAdmin", true, ha1));
    vamt_digest_ha1("$$OsAdmin", vamt_amt_realm(e->amt),
                    vamt_amt_lsa_password(e->amt), expected);
    g_assert_cmpstr(ha1, ==, expected);
    g_assert_true(vamt_amt_password_is_strong(vamt_amt_lsa_password(e->amt)));
    g_assert_cmpuint(strlen(vamt_amt_lsa_password(e->amt)), ==, 32);
    env_free(e);
}

/*
 * Agent Presence as MeshCommander sets it up and MeshCmd AmtPresence
 * heartbeats it: Create, AddAction, RegisterAgent, AssertPresence; a
 * missed heartbeat expires the watchdog, logs the event the action asks
 * for and tells the platform.
 */
static Reply *agent_call(Env *e, const char *method, const char *args)
{
    static const char selector[] =
        "<w:SelectorSet><w:Selector Name=\"DeviceID\">"
        "tLaiTCVep1316LALTZRqpw==</w:Selector></w:SelectorSet>";
    g_autofree char *action = g_strdup_printf(
        AMT "AMT_AgentPresenceWatchdog/%s", method);
    g_autofree char *body = vamt_test_invoke_body(
        AMT "AMT_AgentPresenceWatchdog", method, args);

    return wsman(e, action, AMT "AMT_AgentPresenceWatchdog", selector, body);
}

static void test_agent_presence(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    static const char watchdog[] =
        "<r:AMT_AgentPresenceWatchdog xmlns:r=\"" AMT
        "AMT_AgentPresenceWatchdog\"><r:DeviceID>tLaiTCVep1316LALTZRqpw=="
        "</r:DeviceID><r:TimeoutInterval>120</r:TimeoutInterval>"
        "<r:GracePeriod>30</r:GracePeriod></r:AMT_AgentPresenceWatchdog>";
    static const uint8_t agent_id[16] = {
        0xb4, 0xb6, 0xa2, 0x4c, 0x25, 0x5e, 0xa7, 0x5d,
        0xf5, 0xe8, 0xb0, 0x0b, 0x4d, 0x94, 0x6a, 0xa7,
    };
    g_autoptr(Reply) created = wsman(e, NS_XFER "/Create",
                                     AMT "AMT_AgentPresenceWatchdog", NULL,
                                     watchdog);
    g_autoptr(Reply) twice = wsman(e, NS_XFER "/Create",
                                   AMT "AMT_AgentPresenceWatchdog", NULL,
                                   watchdog);
    g_autoptr(Reply) early = agent_call(e, "AssertPresence",
                                        "<r:SequenceNumber>5"
                                        "</r:SequenceNumber>");
    g_autoptr(Reply) sd = agent_call(e, "AddAction",
                                     "<r:OldState>4</r:OldState>"
                                     "<r:NewState>8</r:NewState>"
                                     "<r:EventOnTransition>true"
                                     "</r:EventOnTransition><r:ActionSd>x"
                                     "</r:ActionSd>");
    g_autoptr(Reply) action = agent_call(e, "AddAction",
                                         "<r:OldState>4</r:OldState>"
                                         "<r:NewState>8</r:NewState>"
                                         "<r:EventOnTransition>true"
                                         "</r:EventOnTransition>");
    g_autoptr(Reply) actions = enumerate_all(
        e, AMT "AMT_AgentPresenceWatchdogAction", NULL);
    g_autoptr(Reply) reg = agent_call(e, "RegisterAgent", "");
    g_autoptr(Reply) replay = NULL, beat = NULL, running = NULL;
    g_autoptr(Reply) expired = NULL, late = NULL, caps = NULL;
    g_autofree char *seq_text = NULL, *args = NULL, *old_args = NULL;
    VamtAmtState *s = vamt_amt_state(e->amt);
    uint32_t events, seq;

    assert_ok(created, NS_XFER "/CreateResponse");
    assert_xp(created, "//wxf:ResourceCreated//wsman:Selector"
              "[@Name='DeviceID']", "tLaiTCVep1316LALTZRqpw==");
    assert_fault(twice, 400, "e:AlreadyExists");
    assert_prop(early, "ReturnValue", "2");         /* not registered */
    assert_prop(sd, "ReturnValue", "36");           /* no System Defense */
    assert_prop(action, "ReturnValue", "0");
    assert_xp(actions, "// *[local-name()='NewState']", "8");
    assert_prop(reg, "ReturnValue", "0");
    assert_prop(reg, "TimeoutInterval", "120");
    seq_text = xp(reg, "// *[local-name()='SessionSequenceNumber']");
    seq = g_ascii_strtoull(seq_text, NULL, 10);
    g_assert_cmpuint(seq, !=, 0);

    /* the grace period and a timeout pass; a heartbeat just in time */
    e->fake.ms += (30 + 119) * 1000;
    vamt_agent_check(e->amt);
    args = g_strdup_printf("<r:SequenceNumber>%u</r:SequenceNumber>",
                           seq + 1);
    beat = agent_call(e, "AssertPresence", args);
    assert_prop(beat, "ReturnValue", "0");
    old_args = g_strdup_printf("<r:SequenceNumber>%u</r:SequenceNumber>",
                               seq);
    replay = agent_call(e, "AssertPresence", old_args);
    assert_prop(replay, "ReturnValue", "36");
    running = get(e, AMT "AMT_AgentPresenceWatchdog",
                  "<w:SelectorSet><w:Selector Name=\"DeviceID\">"
                  "tLaiTCVep1316LALTZRqpw==</w:Selector></w:SelectorSet>");
    assert_prop(running, "CurrentState", "2");
    g_assert_cmpuint(e->fake.agent_expiries, ==, 0);

    /* then the agent stops */
    events = s->event_count;
    e->fake.ms += 119 * 1000;
    vamt_agent_check(e->amt);
    g_assert_cmpuint(e->fake.agent_expiries, ==, 0);
    g_assert_cmpint(vamt_agent_deadline(e->amt), ==, e->fake.ms + 1000);
    e->fake.ms += 1000;
    vamt_agent_check(e->amt);
    g_assert_cmpuint(e->fake.agent_expiries, ==, 1);
    g_assert_cmpmem(e->fake.expired_agent, 16, agent_id, 16);
    g_assert_cmpint(vamt_agent_deadline(e->amt), ==, -1);
    g_assert_cmpuint(s->event_count, ==, events + 1);
    g_assert_cmphex(s->events[(s->event_first + events) %
                              VAMT_AMT_EVENT_LOG_SIZE].sensor_type, ==,
                    0x23);
    expired = enumerate_all(e, AMT "AMT_AgentPresenceWatchdog", NULL);
    assert_xp(expired, "// *[local-name()='CurrentState']", "3");
    /* an expired session takes no more heartbeats: register again */
    g_free(args);
    args = g_strdup_printf("<r:SequenceNumber>%u</r:SequenceNumber>",
                           seq + 2);
    late = agent_call(e, "AssertPresence", args);
    assert_prop(late, "ReturnValue", "2");
    caps = get(e, AMT "AMT_AgentPresenceCapabilities", NULL);
    assert_prop(caps, "MaxTotalAgents", "16");
    env_free(e);
}

/* MeshCmd AmtHashes: the default trusted root hashes AMTHI lists too */
static void test_cert_hashes(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) all = enumerate_all(
        e, AMT "AMT_ProvisioningCertificateHash", NULL);

    assert_xp(all, "count(//*[local-name()='AMT_ProvisioningCertificateHash'])",
              "8");
    /* Starfield Class 2's SHA-1 (ad7e1c28...), base64 */
    assert_xp(all, "//*[local-name()='AMT_ProvisioningCertificateHash']"
              "[*[local-name()='Description']='Starfield Class 2 CA']"
              "/*[local-name()='HashData']", "rX4cKLBk749gA0AgFMPQ4zcOtYo=");
    assert_xp(all, "//*[local-name()='AMT_ProvisioningCertificateHash'][1]"
              "/*[local-name()='HashType']", "1");
    assert_xp(all, "//*[local-name()='AMT_ProvisioningCertificateHash'][1]"
              "/*[local-name()='IsDefault']", "true");
    env_free(e);
}

/* MeshCentral's call after every power-on (AMT > 9) */
static void test_os_power_saving(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    static const char element[] =
        "<r:ManagedElement><Address xmlns=\"" NS_WSA "\">" NS_WSA
        "</Address><ReferenceParameters xmlns=\"" NS_WSA "\"><ResourceURI "
        "xmlns=\"" NS_WSMAN "\">" CIM "CIM_ComputerSystem</ResourceURI>"
        "<SelectorSet xmlns=\"" NS_WSMAN "\"><Selector Name=\""
        "CreationClassName\">CIM_ComputerSystem</Selector><Selector "
        "Name=\"Name\">ManagedSystem</Selector></SelectorSet>"
        "</ReferenceParameters></r:ManagedElement>";
    g_autofree char *full = g_strdup_printf(
        "<r:OSPowerSavingState>2</r:OSPowerSavingState>%s", element);
    g_autoptr(Reply) to_full = invoke(e, IPS "IPS_PowerManagementService",
                                      "RequestOSPowerSavingStateChange",
                                      full);
    g_autoptr(Reply) to_saving = invoke(e, IPS "IPS_PowerManagementService",
                                        "RequestOSPowerSavingStateChange",
                                        "<r:OSPowerSavingState>3"
                                        "</r:OSPowerSavingState>");
    g_autoptr(Reply) bad = invoke(e, IPS "IPS_PowerManagementService",
                                  "RequestOSPowerSavingStateChange",
                                  "<r:OSPowerSavingState>7"
                                  "</r:OSPowerSavingState>");
    g_autoptr(Reply) after = get(e, IPS "IPS_PowerManagementService", NULL);
    g_autoptr(Reply) off_request = NULL;
    g_autoptr(Reply) off = NULL;

    assert_ok(to_full, IPS "IPS_PowerManagementService/"
              "RequestOSPowerSavingStateChangeResponse");
    assert_prop(to_full, "ReturnValue", "0");
    assert_prop(to_saving, "ReturnValue", "1");
    assert_prop(bad, "ReturnValue", "5");
    assert_prop(after, "OSPowerSavingState", "2");
    /* nothing else was asked of the machine */
    g_assert_cmpuint(e->fake.power_requests->len, ==, 0);

    e->fake.power = VAMT_POWER_OFF_SOFT;
    off_request = invoke(e, IPS "IPS_PowerManagementService",
                         "RequestOSPowerSavingStateChange", full);
    off = get(e, IPS "IPS_PowerManagementService", NULL);
    assert_prop(off_request, "ReturnValue", "2");
    assert_prop(off, "OSPowerSavingState", "0");
    env_free(e);
}

/* The guest's displays, as MeshCommander's Remote Desktop page reads them */
static void test_screen_settings(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) one = get(e, IPS "IPS_ScreenSettingData", NULL);
    g_autoptr(Reply) none = NULL;
    g_autoptr(Reply) two = NULL;

    assert_ok(one, NS_XFER "/GetResponse");
    assert_prop(one, "InstanceID", "Intel(r) Screen Settings");
    g_assert_cmpint(xp_count(one, "// *[local-name()='IsActive']"), ==, 4);
    assert_xp(one, "// *[local-name()='IsActive'][1]", "true");
    assert_xp(one, "// *[local-name()='IsActive'][2]", "false");
    assert_xp(one, "// *[local-name()='ResolutionX'][1]", "1024");
    assert_xp(one, "// *[local-name()='ResolutionY'][1]", "768");
    assert_xp(one, "// *[local-name()='UpperLeftX'][1]", "0");
    assert_xp(one, "// *[local-name()='UpperLeftX'][2]", "-1");
    assert_xp(one, "// *[local-name()='ResolutionX'][2]", "0");
    assert_prop(one, "PrimaryIndex", "0");

    e->fake.inv.displays = 0;
    none = get(e, IPS "IPS_ScreenSettingData", NULL);
    g_assert_cmpint(xp_count(none, "// *[local-name()='IsActive']"
                             "[.='true']"), ==, 0);

    e->fake.inv.displays = 2;
    e->fake.inv.display_width[1] = 800;
    e->fake.inv.display_height[1] = 600;
    two = get(e, IPS "IPS_ScreenSettingData", NULL);
    assert_xp(two, "// *[local-name()='IsActive'][2]", "true");
    assert_xp(two, "// *[local-name()='UpperLeftX'][2]", "1024");
    assert_xp(two, "// *[local-name()='ResolutionY'][2]", "600");
    env_free(e);
}

/*
 * Redirection is not served yet: the ME does not claim SOL, IDE-R or KVM
 * and refuses to switch them on, whatever a console asks.
 */
static void test_redirection_not_claimed(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) redir = get(e, AMT "AMT_RedirectionService", NULL);
    g_autoptr(Reply) enable = invoke(e, AMT "AMT_RedirectionService",
                                     "RequestStateChange",
                                     "<r:RequestedState>32771"
                                     "</r:RequestedState>");
    g_autoptr(Reply) disable = invoke(e, AMT "AMT_RedirectionService",
                                      "RequestStateChange",
                                      "<r:RequestedState>32768"
                                      "</r:RequestedState>");
    g_autoptr(Reply) listener = wsman(e, NS_XFER "/Put",
        AMT "AMT_RedirectionService", NULL,
        "<r:AMT_RedirectionService xmlns:r=\"" AMT "AMT_RedirectionService\">"
        "<r:EnabledState>32771</r:EnabledState>"
        "<r:ListenerEnabled>true</r:ListenerEnabled>"
        "</r:AMT_RedirectionService>");
    g_autoptr(Reply) after = get(e, AMT "AMT_RedirectionService", NULL);
    g_autoptr(Reply) kvm = get(e, CIM "CIM_KVMRedirectionSAP", NULL);
    g_autoptr(Reply) kvm_on = invoke(e, CIM "CIM_KVMRedirectionSAP",
                                     "RequestStateChange",
                                     "<r:RequestedState>2</r:RequestedState>");
    g_autoptr(Reply) kvm_off = invoke(e, CIM "CIM_KVMRedirectionSAP",
                                      "RequestStateChange",
                                      "<r:RequestedState>3</r:RequestedState>");
    g_autoptr(Reply) kvm_after = get(e, CIM "CIM_KVMRedirectionSAP", NULL);

    assert_prop(redir, "EnabledState", "32768");
    assert_prop(redir, "ListenerEnabled", "false");
    assert_prop(enable, "ReturnValue", "2066");
    assert_prop(disable, "ReturnValue", "0");
    assert_fault(listener, 400, "e:InvalidParameter");
    assert_prop(after, "EnabledState", "32768");
    assert_prop(after, "ListenerEnabled", "false");
    assert_prop(kvm, "EnabledState", "3");
    assert_prop(kvm, "RequestedState", "3");
    assert_prop(kvm_on, "ReturnValue", "1");
    assert_prop(kvm_off, "ReturnValue", "1");
    assert_prop(kvm_after, "EnabledState", "3");
    env_free(e);
}

/*
 * With a display KVM is served: enabled and idle is 6, 2 while a session
 * is open, 3 once a console disabled it; each switch is audited
 * (Redirection Manager, KVM enabled 10 / disabled 11).  SessionTimeout
 * is at most 255 minutes; port 5900 is not served, so never claimed.
 */
static void test_kvm_served(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    unsigned audits;
    g_autoptr(Reply) idle = NULL;
    g_autoptr(Reply) busy = NULL;
    g_autoptr(Reply) off = NULL;
    g_autoptr(Reply) off_state = NULL;
    g_autoptr(Reply) on = NULL;
    g_autoptr(Reply) settings = NULL;
    g_autoptr(Reply) long_timeout = NULL;
    g_autoptr(Reply) port_5900 = NULL;
    g_autoptr(Reply) timeout = NULL;
    g_autoptr(Reply) after = NULL;

    e->fw.redirection = VAMT_FW_REDIR_KVM;
    audits = vamt_amt_state(e->amt)->audit_count;
    idle = get(e, CIM "CIM_KVMRedirectionSAP", NULL);
    assert_prop(idle, "EnabledState", "6");
    assert_prop(idle, "RequestedState", "2");
    vamt_amt_set_session_open(e->amt, VAMT_AMT_SESSION_KVM, true);
    busy = get(e, CIM "CIM_KVMRedirectionSAP", NULL);
    assert_prop(busy, "EnabledState", "2");
    vamt_amt_set_session_open(e->amt, VAMT_AMT_SESSION_KVM, false);

    off = invoke(e, CIM "CIM_KVMRedirectionSAP", "RequestStateChange",
                 "<r:RequestedState>3</r:RequestedState>");
    assert_prop(off, "ReturnValue", "0");
    off_state = get(e, CIM "CIM_KVMRedirectionSAP", NULL);
    assert_prop(off_state, "EnabledState", "3");
    assert_prop(off_state, "RequestedState", "3");
    on = invoke(e, CIM "CIM_KVMRedirectionSAP", "RequestStateChange",
                "<r:RequestedState>2</r:RequestedState>");
    assert_prop(on, "ReturnValue", "0");
    g_assert_cmpuint(vamt_amt_state(e->amt)->audit_count, ==, audits + 2);
    {
        g_autoptr(GByteArray) rec = vamt_amt_audit_bytes(e->amt, audits);

        g_assert_cmphex(rec->data[1], ==, 18);
        g_assert_cmphex(rec->data[3], ==, 11);
    }

    settings = get(e, IPS "IPS_KVMRedirectionSettingData", NULL);
    assert_prop(settings, "RFBPassword", "");
    assert_prop(settings, "Is5900PortEnabled", "false");
    long_timeout = wsman(e, NS_XFER "/Put",
        IPS "IPS_KVMRedirectionSettingData", NULL,
        "<r:IPS_KVMRedirectionSettingData xmlns:r=\"" IPS
        "IPS_KVMRedirectionSettingData\">"
        "<r:SessionTimeout>256</r:SessionTimeout>"
        "</r:IPS_KVMRedirectionSettingData>");
    assert_fault(long_timeout, 400, "e:InvalidParameter");
    port_5900 = wsman(e, NS_XFER "/Put",
        IPS "IPS_KVMRedirectionSettingData", NULL,
        "<r:IPS_KVMRedirectionSettingData xmlns:r=\"" IPS
        "IPS_KVMRedirectionSettingData\">"
        "<r:Is5900PortEnabled>true</r:Is5900PortEnabled>"
        "</r:IPS_KVMRedirectionSettingData>");
    assert_fault(port_5900, 400, "e:InvalidParameter");
    timeout = wsman(e, NS_XFER "/Put",
        IPS "IPS_KVMRedirectionSettingData", NULL,
        "<r:IPS_KVMRedirectionSettingData xmlns:r=\"" IPS
        "IPS_KVMRedirectionSettingData\">"
        "<r:Is5900PortEnabled>false</r:Is5900PortEnabled>"
        "<r:SessionTimeout>30</r:SessionTimeout>"
        "</r:IPS_KVMRedirectionSettingData>");
    g_assert_cmpint(timeout->status, ==, 200);
    after = get(e, IPS "IPS_KVMRedirectionSettingData", NULL);
    assert_prop(after, "SessionTimeout", "30");
    env_free(e);
}

/*
 * Classes of MeshCommander's pages that AMT 16 has: the instance, or an
 * empty enumeration where AMT has none to show; never a fault.
 */
static void test_meshcommander_classes(void)
{
    static const char *const empty[] = {
        CIM "CIM_ListenerDestination",
        CIM "CIM_ListenerDestinationWSManagement",
        CIM "CIM_FilterCollectionSubscription",
        IPS "IPS_HTTPProxyAccessPoint",
    };
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) profile = get(e, AMT "AMT_8021XProfile", NULL);
    g_autoptr(Reply) enable = wsman(e, NS_XFER "/Put", AMT "AMT_8021XProfile",
        NULL, "<r:AMT_8021XProfile xmlns:r=\"" AMT "AMT_8021XProfile\">"
        "<r:Enabled>true</r:Enabled></r:AMT_8021XProfile>");
    g_autoptr(Reply) proxy = get(e, IPS "IPS_HTTPProxyService", NULL);
    g_autoptr(Reply) schemes = enumerate_all(e, AMT "AMT_SystemPowerScheme",
                                             NULL);
    g_autofree char *scheme = NULL;

    assert_ok(profile, NS_XFER "/GetResponse");
    assert_prop(profile, "Enabled", "false");
    assert_fault(enable, 400, "e:InvalidParameter");
    assert_ok(proxy, NS_XFER "/GetResponse");
    assert_prop(proxy, "Name", "Intel(r) AMT HTTP Proxy Service");
    assert_ok(schemes, NS_ENUM "/PullResponse");
    g_assert_cmpint(xp_count(schemes, "//wsen:Items/ *"), ==, 1);
    scheme = xp(schemes, "//wsen:Items/ */ *[local-name()='Description']");
    g_assert_true(g_str_has_prefix(scheme, "Desktop: ON in S0"));
    for (unsigned i = 0; i < G_N_ELEMENTS(empty); i++) {
        g_autoptr(Reply) all = enumerate_all(e, empty[i], NULL);

        g_test_message("%s", empty[i]);
        assert_ok(all, NS_ENUM "/PullResponse");
        g_assert_cmpint(xp_count(all, "//wsen:Items/ *"), ==, 0);
        g_assert_cmpint(xp_count(all, "//wsen:EndOfSequence"), ==, 1);
    }
    env_free(e);
}

static void test_message_log(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    VamtEventRecord rec = { .sensor_type = 0x0f, .event_type = 0x6f,
                            .severity = 1, .data = { 1, 2, 3 } };
    g_autoptr(Reply) first = NULL;
    g_autoptr(Reply) records = NULL;
    g_autoptr(Reply) log = NULL;
    g_autofree guchar *raw = NULL;
    g_autofree char *b64 = NULL;
    gsize len;

    vamt_log_event(e->amt, &rec);
    e->fake.utc += 5;
    vamt_log_event(e->amt, &rec);
    first = invoke(e, AMT "AMT_MessageLog", "PositionToFirstRecord", NULL);
    records = invoke(e, AMT "AMT_MessageLog", "GetRecords",
                     "<r:IterationIdentifier>1</r:IterationIdentifier>"
                     "<r:MaxReadRecords>390</r:MaxReadRecords>");
    log = enumerate_all(e, AMT "AMT_MessageLog", NULL);

    assert_prop(first, "IterationIdentifier", "1");
    assert_prop(records, "ReturnValue", "0");
    assert_prop(records, "NoMoreRecords", "true");
    g_assert_cmpint(xp_count(records, "// *[local-name()='RecordArray']"),
                    ==, 2);
    b64 = xp(records, "(// *[local-name()='RecordArray'])[2]");
    raw = g_base64_decode(b64, &len);
    g_assert_cmpuint(len, ==, VAMT_EVENT_RECORD_BYTES);
    g_assert_cmpuint(raw[0] | raw[1] << 8 | raw[2] << 16 |
                     (uint32_t)raw[3] << 24, ==, NOW_UTC + 5);
    g_assert_cmpint(raw[5], ==, 0x0f);
    g_assert_cmpint(raw[13], ==, 1);
    assert_xp(log, "// *[local-name()='CurrentNumberOfRecords']", "2");
    env_free(e);
}

static void test_opt_in(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) start = invoke(e, IPS "IPS_OptInService", "StartOptIn",
                                    NULL);
    g_autoptr(Reply) twice = invoke(e, IPS "IPS_OptInService", "StartOptIn",
                                    NULL);
    g_autofree char *wrong = g_strdup_printf(
        "<r:OptInCode>%u</r:OptInCode>", (e->fake.consent_code + 1) % 1000000);
    g_autofree char *right = g_strdup_printf(
        "<r:OptInCode>%u</r:OptInCode>", e->fake.consent_code);
    g_autoptr(Reply) bad = invoke(e, IPS "IPS_OptInService", "SendOptInCode",
                                  wrong);
    g_autoptr(Reply) good = invoke(e, IPS "IPS_OptInService",
                                   "SendOptInCode", right);
    g_autoptr(Reply) state = get(e, IPS "IPS_OptInService", NULL);

    assert_prop(start, "ReturnValue", "0");
    assert_prop(twice, "ReturnValue", "2");
    /* shown at StartOptIn, hidden once the right code came back */
    g_assert_cmpuint(e->fake.consent_shows, ==, 2);
    g_assert_cmpuint(e->fake.consent_code, ==, 0);
    {
        g_autofree char *rv = prop(bad, "ReturnValue");

        g_assert_cmpstr(rv, !=, "0");
    }
    assert_prop(good, "ReturnValue", "0");
    assert_prop(state, "OptInState", "3");
    env_free(e);
}

static void assert_opt_in_state(Env *e, const char *state)
{
    g_autoptr(Reply) r = get(e, IPS "IPS_OptInService", NULL);

    assert_prop(r, "OptInState", state);
}

static uint32_t send_code(Env *e, uint32_t code)
{
    g_autofree char *arg = g_strdup_printf("<r:OptInCode>%u</r:OptInCode>",
                                           code);
    g_autoptr(Reply) r = invoke(e, IPS "IPS_OptInService", "SendOptInCode",
                                arg);
    g_autofree char *rv = prop(r, "ReturnValue");

    return atoi(rv);
}

static void start_opt_in(Env *e)
{
    g_autoptr(Reply) r = invoke(e, IPS "IPS_OptInService", "StartOptIn",
                                NULL);

    assert_prop(r, "ReturnValue", "0");
    g_assert_true(e->fake.consent_shown);
}

/*
 * A displayed code lapses after OptInCodeTimeout (120 s) and is hidden;
 * three wrong codes end the opt-in; an unused consent lapses after 2
 * minutes
 */
static void test_opt_in_lapses(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    uint32_t code;

    start_opt_in(e);
    e->fake.ms += 119 * 1000;
    assert_opt_in_state(e, "2");
    e->fake.ms += 1000;
    assert_opt_in_state(e, "0");
    g_assert_false(e->fake.consent_shown);

    start_opt_in(e);
    code = e->fake.consent_code;
    for (int i = 0; i < 3; i++) {
        g_assert_cmpuint(send_code(e, (code + 1 + i) % 1000000), !=, 0);
    }
    g_assert_false(e->fake.consent_shown);
    assert_opt_in_state(e, "0");
    /* the right code after that is too late */
    g_assert_cmpuint(send_code(e, code), !=, 0);

    start_opt_in(e);
    g_assert_cmpuint(send_code(e, e->fake.consent_code), ==, 0);
    g_assert_false(e->fake.consent_shown);
    e->fake.ms += VAMT_OPT_IN_UNUSED_MS - 1;
    assert_opt_in_state(e, "3");
    e->fake.ms += 1;
    assert_opt_in_state(e, "0");
    env_free(e);
}

static void test_time_sync(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    g_autoptr(Reply) low = invoke(e, AMT "AMT_TimeSynchronizationService",
                                  "GetLowAccuracyTimeSynch", NULL);
    g_autofree char *args = g_strdup_printf(
        "<r:Ta0>%d</r:Ta0><r:Tm1>%d</r:Tm1><r:Tm2>%d</r:Tm2>", NOW_UTC,
        NOW_UTC + 100, NOW_UTC + 100);
    g_autoptr(Reply) high = invoke(e, AMT "AMT_TimeSynchronizationService",
                                   "SetHighAccuracyTimeSynch", args);
    g_autoptr(Reply) stale = invoke(e, AMT "AMT_TimeSynchronizationService",
                                    "SetHighAccuracyTimeSynch",
                                    "<r:Ta0>5</r:Ta0><r:Tm1>6</r:Tm1>"
                                    "<r:Tm2>7</r:Tm2>");

    assert_prop(low, "Ta0", G_STRINGIFY(NOW_UTC));
    assert_prop(high, "ReturnValue", "0");
    g_assert_cmpint(vamt_amt_now(e->amt), ==, NOW_UTC + 100);
    assert_prop(stale, "ReturnValue", "34");
    env_free(e);
}

static void test_alarms(void)
{
    Env *e = env_new(VAMT_POWER_ON);
    static const char alarm[] =
        "<r:IPS_AlarmClockOccurrence xmlns:r=\"" IPS
        "IPS_AlarmClockOccurrence\" xmlns:t=\"http://schemas.dmtf.org/wbem/"
        "wscim/1/common\"><r:ElementName>wake</r:ElementName>"
        "<r:StartTime><t:Datetime>2030-01-02T03:04:05Z</t:Datetime>"
        "</r:StartTime><r:Interval><t:Interval>P1DT2H</t:Interval>"
        "</r:Interval><r:DeleteOnCompletion>false</r:DeleteOnCompletion>"
        "</r:IPS_AlarmClockOccurrence>";
    static const char selector[] =
        "<w:SelectorSet><w:Selector Name=\"InstanceID\">wake</w:Selector>"
        "</w:SelectorSet>";
    g_autoptr(Reply) created = wsman(e, NS_XFER "/Create",
                                     IPS "IPS_AlarmClockOccurrence", NULL,
                                     alarm);
    g_autoptr(Reply) exists = wsman(e, NS_XFER "/Create",
                                    IPS "IPS_AlarmClockOccurrence", NULL,
                                    alarm);
    g_autoptr(Reply) list = enumerate_all(e, IPS "IPS_AlarmClockOccurrence",
                                          NULL);
    g_autoptr(Reply) deleted = wsman(e, NS_XFER "/Delete",
                                     IPS "IPS_AlarmClockOccurrence",
                                     selector, NULL);
    g_autoptr(Reply) again = wsman(e, NS_XFER "/Delete",
                                   IPS "IPS_AlarmClockOccurrence",
                                   selector, NULL);

    assert_ok(created, NS_XFER "/CreateResponse");
    assert_xp(created, "//wxf:ResourceCreated//wsman:Selector"
              "[@Name='InstanceID']", "wake");
    assert_fault(exists, 400, "e:AlreadyExists");
    assert_xp(list, "// *[local-name()='StartTime']/ *",
              "2030-01-02T03:04:05Z");
    assert_xp(list, "// *[local-name()='Interval']/ *", "P1DT2H0M");
    assert_ok(deleted, NS_XFER "/DeleteResponse");
    g_assert_nonnull(strstr(deleted->body->str, "<a:Body></a:Body>"));
    assert_fault(again, 400, "b:DestinationUnreachable");
    env_free(e);
}

/* Every class answers Get and Enumerate without a fault */
static void test_all_classes(void)
{
    static const char *const uris[] = {
        CIM "CIM_SoftwareIdentity", AMT "AMT_SetupAndConfigurationService",
        IPS "IPS_HostBasedSetupService", AMT "AMT_GeneralSettings",
        CIM "CIM_ComputerSystem", CIM "CIM_PowerManagementService",
        CIM "CIM_AssociatedPowerManagementService",
        CIM "CIM_ServiceAvailableToElement",
        IPS "IPS_PowerManagementService", AMT "AMT_BootCapabilities",
        AMT "AMT_BootSettingData", CIM "CIM_BootSourceSetting",
        CIM "CIM_BootConfigSetting", CIM "CIM_BootService",
        AMT "AMT_RedirectionService", CIM "CIM_KVMRedirectionSAP",
        IPS "IPS_KVMRedirectionSettingData", IPS "IPS_OptInService",
        AMT "AMT_TimeSynchronizationService", AMT "AMT_EthernetPortSettings",
        AMT "AMT_AuthorizationService", AMT "AMT_MessageLog",
        AMT "AMT_AuditLog", CIM "CIM_Chassis", CIM "CIM_Card",
        CIM "CIM_PhysicalPackage", CIM "CIM_ComputerSystemPackage",
        CIM "CIM_SystemPackaging", CIM "CIM_BIOSElement",
        CIM "CIM_Processor", CIM "CIM_Chip", CIM "CIM_PhysicalMemory",
        AMT "AMT_AlarmClockService", AMT "AMT_UserInitiatedConnectionService",
        AMT "AMT_EnvironmentDetectionSettingData",
        IPS "IPS_ScreenConfigurationService", AMT "AMT_TLSSettingData",
        IPS "IPS_ScreenSettingData", AMT "AMT_8021XProfile",
        IPS "IPS_HTTPProxyService", AMT "AMT_SystemPowerScheme",
    };
    Env *e = env_new(VAMT_POWER_ON);

    for (unsigned i = 0; i < G_N_ELEMENTS(uris); i++) {
        g_autoptr(Reply) g = get(e, uris[i], NULL);
        g_autoptr(Reply) all = enumerate_all(e, uris[i], NULL);

        g_test_message("%s", uris[i]);
        assert_ok(g, NS_XFER "/GetResponse");
        assert_ok(all, NS_ENUM "/PullResponse");
        g_assert_cmpint(xp_count(all, "//wsen:Items/ *"), >=, 1);
        /* properties are sorted by name, as AMT writes them */
        {
            xmlXPathObject *o = xmlXPathEvalExpression(
                BAD_CAST "/s:Envelope/s:Body/ */ *", g->xpath);
            const char *last = "";

            for (int j = 0; o->nodesetval && j < o->nodesetval->nodeNr;
                 j++) {
                const char *name = (const char *)
                                   o->nodesetval->nodeTab[j]->name;

                g_assert_cmpint(strcmp(last, name), <=, 0);
                last = name;
            }
            xmlXPathFreeObject(o);
        }
    }
    env_free(e);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/wsman/op/put", test_put_general_settings);
    g_test_add_func("/wsman/op/create-delete", test_alarms);
    g_test_add_func("/wsman/op/agent-presence", test_agent_presence);
    g_test_add_func("/wsman/op/cert-hashes", test_cert_hashes);
    g_test_add_func("/wsman/class/all", test_all_classes);
    g_test_add_func("/wsman/class/boot-flow", test_boot_flow);
    g_test_add_func("/wsman/class/boot-refused", test_boot_refused);
    g_test_add_func("/wsman/class/users", test_users);
    g_test_add_func("/wsman/class/users-os-admin", test_users_os_admin);
    g_test_add_func("/wsman/class/os-power-saving", test_os_power_saving);
    g_test_add_func("/wsman/class/screen-settings", test_screen_settings);
    g_test_add_func("/wsman/class/redirection-not-claimed",
                    test_redirection_not_claimed);
    g_test_add_func("/vamt/cim/redirection/kvm-served", test_kvm_served);
    g_test_add_func("/vamt/cim/opt-in/lapses", test_opt_in_lapses);
    g_test_add_func("/wsman/class/meshcommander-classes",
                    test_meshcommander_classes);
    g_test_add_func("/wsman/class/message-log", test_message_log);
    g_test_add_func("/wsman/class/opt-in", test_opt_in);
    g_test_add_func("/wsman/class/time-sync", test_time_sync);
    return g_test_run();
}
