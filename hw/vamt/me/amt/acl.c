/*
 * vAMT ME core: the realm each WS-Management class/method and each
 * legacy EOI operation needs
 *
 * Sources: Intel's AMT SDK ("Intel AMT Users and Permissions/Realms",
 * the realm descriptions Intel SCS shows) and the consoles' use of the
 * classes.  Where AMT's own per-method table was not at hand the choice
 * is marked [inf] and follows the realm's documented purpose:
 *
 *   Redirection (2)        SOL/IDER/KVM settings and sessions, consent
 *   PT Administration (3)  security and configuration changes; grants
 *                          every other realm
 *   Hardware Asset (4)     the hardware inventory classes
 *   Remote Control (5)     power and boot control (and alarm-clock wake)
 *   Event Manager (7)      the event log and its management
 *   Network Time (12)      the AMT clock
 *   General Info (13)      reads of identity, settings, network config
 *   Event Log Reader (19)  reading the event log
 *   Audit Log (20)         the audit log
 *   ACL (21)               user ACL entries (not the admin account)
 *   Agent Presence Local (9)   an agent's heartbeats
 *   Agent Presence Remote (10) setting watchdogs and their actions up
 *   Local System (24)      host-based setup, by the local system account
 *
 * Reads of state a realm's own console page shows (power state, boot
 * capabilities, consent state) are also open to General Info [inf], so a
 * console's status page works for a read-only user.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "acl.h"

#define R(name)     VAMT_ACL_REALM(VAMT_REALM_##name)

#define REDIRECTION     R(REDIRECTION)
#define PT_ADMIN        R(PT_ADMINISTRATION)
#define HW_ASSET        R(HARDWARE_ASSET)
#define REMOTE_CONTROL  R(REMOTE_CONTROL)
#define EVENT_MANAGER   R(EVENT_MANAGER)
#define NETWORK_TIME    R(NETWORK_TIME)
#define GENERAL_INFO    R(GENERAL_INFO)
#define EVENT_READER    R(EVENT_LOG_READER)
#define AUDIT_LOG       R(AUDIT_LOG)
#define ACL             R(ACL)
#define LOCAL_SYSTEM    R(LOCAL_SYSTEM)
#define AGENT_LOCAL     R(AGENT_PRESENCE_LOCAL)
#define AGENT_REMOTE    R(AGENT_PRESENCE_REMOTE)

typedef struct AclClassRule {
    const char *class_name;
    uint32_t read;              /* Get, Enumerate, Pull */
    uint32_t write;             /* Put, Create, Delete, unlisted methods */
} AclClassRule;

typedef struct AclMethodRule {
    const char *class_name;
    const char *method;
    uint32_t realms;
} AclMethodRule;

/*
 * class                                read                  write
 */
static const AclClassRule class_rules[] = {
    /* identity, setup, general settings */
    { "CIM_SoftwareIdentity",           GENERAL_INFO,         PT_ADMIN },
    { "AMT_SetupAndConfigurationService", GENERAL_INFO,       PT_ADMIN },
    { "IPS_HostBasedSetupService",      GENERAL_INFO,         PT_ADMIN },
    { "AMT_GeneralSettings",            GENERAL_INFO,         PT_ADMIN },
    { "CIM_ComputerSystem",             GENERAL_INFO | HW_ASSET, PT_ADMIN },
    { "CIM_ElementSettingData",         GENERAL_INFO,         PT_ADMIN },
    { "AMT_ProvisioningCertificateHash", GENERAL_INFO,        PT_ADMIN },

    /* power */
    { "CIM_PowerManagementService",     REMOTE_CONTROL | GENERAL_INFO,
                                        REMOTE_CONTROL },
    { "CIM_AssociatedPowerManagementService", REMOTE_CONTROL | GENERAL_INFO,
                                        REMOTE_CONTROL },
    { "CIM_ServiceAvailableToElement",  REMOTE_CONTROL | GENERAL_INFO,
                                        REMOTE_CONTROL },
    { "IPS_PowerManagementService",     REMOTE_CONTROL | GENERAL_INFO,
                                        REMOTE_CONTROL },

    /* boot control */
    { "AMT_BootCapabilities",           REMOTE_CONTROL | GENERAL_INFO,
                                        REMOTE_CONTROL },
    { "AMT_BootSettingData",            REMOTE_CONTROL,       REMOTE_CONTROL },
    { "CIM_BootSourceSetting",          REMOTE_CONTROL,       REMOTE_CONTROL },
    { "CIM_BootConfigSetting",          REMOTE_CONTROL,       REMOTE_CONTROL },
    { "CIM_BootService",                REMOTE_CONTROL | GENERAL_INFO,
                                        REMOTE_CONTROL },

    /* alarm clock: it powers the host on, so Remote Control [inf] */
    { "IPS_AlarmClockOccurrence",       REMOTE_CONTROL,       REMOTE_CONTROL },
    { "AMT_AlarmClockService",          REMOTE_CONTROL,       REMOTE_CONTROL },

    /*
     * Redirection, KVM (its own realm before AMT 6, Redirection since),
     * consent.  The KVM password/port and the consent policy weaken
     * security, so changing them is PT Administration [inf].
     */
    { "AMT_RedirectionService",         REDIRECTION | GENERAL_INFO,
                                        REDIRECTION },
    { "CIM_KVMRedirectionSAP",          REDIRECTION | GENERAL_INFO,
                                        REDIRECTION },
    { "IPS_KVMRedirectionSettingData",  REDIRECTION,          PT_ADMIN },
    { "IPS_ScreenSettingData",          REDIRECTION,          PT_ADMIN },
    { "IPS_ScreenConfigurationService", REDIRECTION | GENERAL_INFO,
                                        PT_ADMIN },
    { "IPS_OptInService",               REDIRECTION | REMOTE_CONTROL |
                                        GENERAL_INFO,         PT_ADMIN },

    /* time */
    { "AMT_TimeSynchronizationService", NETWORK_TIME | GENERAL_INFO,
                                        NETWORK_TIME },

    /* network: configuration is read as general info, set by the admin */
    { "AMT_EthernetPortSettings",       GENERAL_INFO,         PT_ADMIN },
    { "IPS_IPv6PortSettings",           GENERAL_INFO,         PT_ADMIN },

    /* users */
    { "AMT_AuthorizationService",       ACL | GENERAL_INFO,   ACL },

    /* logs */
    { "AMT_MessageLog",                 EVENT_READER | EVENT_MANAGER,
                                        EVENT_MANAGER },
    { "AMT_AuditLog",                   AUDIT_LOG,            AUDIT_LOG },
    /* alert subscriptions: the Event Manager's, as the log is [inf] */
    { "CIM_FilterCollection",           EVENT_MANAGER,        EVENT_MANAGER },
    { "CIM_ListenerDestination",        EVENT_MANAGER,        EVENT_MANAGER },
    { "CIM_ListenerDestinationWSManagement", EVENT_MANAGER,   EVENT_MANAGER },
    { "CIM_FilterCollectionSubscription", EVENT_MANAGER,      EVENT_MANAGER },

    /* hardware inventory */
    { "CIM_Chassis",                    HW_ASSET,             PT_ADMIN },
    { "CIM_Card",                       HW_ASSET,             PT_ADMIN },
    { "CIM_PhysicalPackage",            HW_ASSET,             PT_ADMIN },
    { "CIM_ComputerSystemPackage",      HW_ASSET,             PT_ADMIN },
    { "CIM_SystemPackaging",            HW_ASSET,             PT_ADMIN },
    { "CIM_BIOSElement",                HW_ASSET,             PT_ADMIN },
    { "CIM_Processor",                  HW_ASSET,             PT_ADMIN },
    { "CIM_Chip",                       HW_ASSET,             PT_ADMIN },
    { "CIM_PhysicalMemory",             HW_ASSET,             PT_ADMIN },
    { "CIM_MediaAccessDevice",          HW_ASSET,             PT_ADMIN },
    { "CIM_Battery",                    HW_ASSET,             PT_ADMIN },

    /*
     * Agent Presence: consoles set watchdogs up (remote realm), agents
     * heartbeat them (local realm; methods below)
     */
    { "AMT_AgentPresenceWatchdog",      AGENT_LOCAL | AGENT_REMOTE |
                                        GENERAL_INFO,         AGENT_REMOTE },
    { "AMT_AgentPresenceWatchdogAction", AGENT_LOCAL | AGENT_REMOTE |
                                        GENERAL_INFO,         AGENT_REMOTE },
    { "AMT_AgentPresenceService",       AGENT_LOCAL | AGENT_REMOTE |
                                        GENERAL_INFO,         AGENT_REMOTE },
    { "AMT_AgentPresenceCapabilities",  AGENT_LOCAL | AGENT_REMOTE |
                                        GENERAL_INFO,         AGENT_REMOTE },

    /* security, certificates, remote access (CIRA): administration */
    { "AMT_TLSSettingData",             PT_ADMIN,             PT_ADMIN },
    { "AMT_TLSCredentialContext",       PT_ADMIN,             PT_ADMIN },
    { "AMT_PublicKeyCertificate",       PT_ADMIN,             PT_ADMIN },
    { "AMT_PublicPrivateKeyPair",       PT_ADMIN,             PT_ADMIN },
    { "AMT_TLSProtocolEndpointCollection", PT_ADMIN,          PT_ADMIN },
    { "AMT_EnvironmentDetectionSettingData", PT_ADMIN,        PT_ADMIN },
    { "AMT_UserInitiatedConnectionService", PT_ADMIN,         PT_ADMIN },
    { "AMT_ManagementPresenceRemoteSAP", PT_ADMIN,            PT_ADMIN },
    { "AMT_RemoteAccessCredentialContext", PT_ADMIN,          PT_ADMIN },
    { "AMT_RemoteAccessPolicyAppliesToMPS", PT_ADMIN,         PT_ADMIN },
    { "AMT_RemoteAccessPolicyRule",     PT_ADMIN,             PT_ADMIN },
    { "AMT_MPSUsernamePassword",        PT_ADMIN,             PT_ADMIN },
    { "IPS_HTTPProxyAccessPoint",       PT_ADMIN,             PT_ADMIN },
};

/* Methods whose realms differ from their class's write realms */
static const AclMethodRule method_rules[] = {
    { "AMT_SetupAndConfigurationService", "GetUuid",   GENERAL_INFO },
    /*
     * Host-based setup is the local system account's job; the methods
     * not served answer that (ActionNotSupported), not AccessDenied
     */
    { "IPS_HostBasedSetupService", "Setup",            LOCAL_SYSTEM },
    { "IPS_HostBasedSetupService", "AdminSetup",       LOCAL_SYSTEM },
    { "IPS_HostBasedSetupService", "AddNextCertInChain", LOCAL_SYSTEM },
    { "IPS_HostBasedSetupService", "UpgradeClientToAdmin", LOCAL_SYSTEM },
    /*
     * Not implemented (docs/specs/vamt-wsman.rst, "CIM classes"): readers
     * must still get its
     * ActionNotSupported, which MeshCommander survives, not AccessDenied
     */
    { "AMT_GeneralSettings", "AMTAuthenticate",        GENERAL_INFO },
    /* MeshCommander reads the clock at connect and aborts without it */
    { "AMT_TimeSynchronizationService", "GetLowAccuracyTimeSynch",
      NETWORK_TIME | GENERAL_INFO },
    /* consent guards redirection and remote boot alike [inf] */
    { "IPS_OptInService", "StartOptIn",      REDIRECTION | REMOTE_CONTROL },
    { "IPS_OptInService", "SendOptInCode",   REDIRECTION | REMOTE_CONTROL },
    { "IPS_OptInService", "CancelOptIn",     REDIRECTION | REMOTE_CONTROL },
    /* reading the event log (the class default is Event Manager) */
    { "AMT_MessageLog", "PositionToFirstRecord", EVENT_READER | EVENT_MANAGER },
    { "AMT_MessageLog", "GetRecords",        EVENT_READER | EVENT_MANAGER },
    { "AMT_MessageLog", "GetCurrentRecord",  EVENT_READER | EVENT_MANAGER },
    /* the KVM data channel is a local agent's (MeshCmd's LMS) */
    { "IPS_KVMRedirectionSettingData", "DataChannelRead",
      LOCAL_SYSTEM | REDIRECTION },
    { "IPS_KVMRedirectionSettingData", "DataChannelWrite",
      LOCAL_SYSTEM | REDIRECTION },
    { "AMT_AgentPresenceWatchdog", "RegisterAgent",    AGENT_LOCAL },
    { "AMT_AgentPresenceWatchdog", "AssertPresence",   AGENT_LOCAL },
    { "AMT_AgentPresenceWatchdog", "AssertShutdown",   AGENT_LOCAL },
    /* the admin account itself only changes with PT Administration */
    { "AMT_AuthorizationService", "SetAdminAclEntryEx", PT_ADMIN },
};

/* EOI (amttool's SOAP services) */
static const struct {
    const char *service_path;
    const char *operation;      /* NULL: every other operation */
    uint32_t realms;
} eoi_rules[] = {
    /*
     * amttool calls GetCoreVersion before every command and gives up
     * without it; AMT answers it for any user [inf].
     */
    { "/SecurityAdministrationService", "GetCoreVersion", VAMT_ACL_ANY_USER },
    { "/SecurityAdministrationService", NULL,  PT_ADMIN },
    { "/NetworkAdministrationService", "GetHostName", GENERAL_INFO },
    { "/NetworkAdministrationService", "GetDomainName", GENERAL_INFO },
    { "/NetworkAdministrationService", "EnumerateInterfaces", GENERAL_INFO },
    { "/NetworkAdministrationService", "GetInterfaceSettings", GENERAL_INFO },
    { "/NetworkAdministrationService", NULL,   PT_ADMIN },
    { "/RemoteControlService", NULL,           REMOTE_CONTROL },
    { "/GeneralInfoService", NULL,             GENERAL_INFO },
    { "/HardwareAssetService", NULL,           HW_ASSET },
    { "/NetworkTimeService", NULL,             NETWORK_TIME },
    { "/RedirectionService", NULL,             REDIRECTION },
    { "/EventManagerService", NULL,            EVENT_MANAGER },
    { "/AuditLogService", NULL,                AUDIT_LOG },
    { "/UserAccessControlService", NULL,       ACL },
};

uint32_t vamt_acl_wsman_realms(const char *class_name, VamtAclAccess access,
                               const char *method)
{
    const AclClassRule *rule = NULL;

    for (unsigned i = 0; i < G_N_ELEMENTS(class_rules); i++) {
        if (!strcmp(class_rules[i].class_name, class_name)) {
            rule = &class_rules[i];
            break;
        }
    }
    if (!rule) {
        return PT_ADMIN;
    }
    switch (access) {
    case VAMT_ACL_READ:
        return rule->read;
    case VAMT_ACL_INVOKE:
        for (unsigned i = 0; method && i < G_N_ELEMENTS(method_rules); i++) {
            if (!strcmp(method_rules[i].class_name, class_name) &&
                !strcmp(method_rules[i].method, method)) {
                return method_rules[i].realms;
            }
        }
        return rule->write;
    default:
        return rule->write;
    }
}

uint32_t vamt_acl_eoi_realms(const char *service_path, const char *operation)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(eoi_rules); i++) {
        if (!strcmp(eoi_rules[i].service_path, service_path) &&
            (!eoi_rules[i].operation ||
             !strcmp(eoi_rules[i].operation, operation))) {
            return eoi_rules[i].realms;
        }
    }
    return PT_ADMIN;
}

bool vamt_acl_permits(uint32_t user_realms, uint32_t required)
{
    if (required == VAMT_ACL_ANY_USER || (user_realms & PT_ADMIN)) {
        return true;
    }
    return (user_realms & required) != 0;
}

bool vamt_acl_user_permitted(VamtAmt *amt, const char *user,
                             uint32_t required)
{
    return user && vamt_acl_permits(vamt_amt_user_realms(amt, user),
                                    required);
}
