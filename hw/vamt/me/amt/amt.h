/*
 * vAMT ME core: the AMT subsystem's state (settings, accounts, boot and
 * redirection options, event and audit logs) and the API the HTTP layer
 * and the device model use to reach it
 *
 * Everything a console can change lives in VamtAmtState, one plain
 * struct that vamt_amt_save() writes as a versioned blob.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_AMT_H
#define VAMT_ME_AMT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent-presence.h"
#include "firmware.h"
#include "platform-ops.h"
#include "subscriptions.h"

typedef struct VamtAmt VamtAmt;

#define VAMT_AMT_MAX_USERS          16
#define VAMT_AMT_USER_NAME_MAX      32
#define VAMT_AMT_HA1_HEX_LEN        32
#define VAMT_AMT_REALM_MAX          48
/* A realm is "Digest:" and this many hex digits */
#define VAMT_AMT_REALM_HEX_DIGITS   32
/* AMT's length rule for the admin password */
#define VAMT_AMT_PASSWORD_MIN       8
#define VAMT_AMT_PASSWORD_MAX       32
#define VAMT_AMT_HOSTNAME_MAX       64
#define VAMT_AMT_DOMAIN_MAX         192
#define VAMT_AMT_FQDN_MAX           255
/* AMT_SystemPowerScheme's Description, AMTHI GetCurrentPowerPolicy */
#define VAMT_AMT_POWER_POLICY       "Desktop: ON in S0, S3, S4-5"
#define VAMT_AMT_EVENT_LOG_SIZE     390
#define VAMT_AMT_AUDIT_LOG_SIZE     256
#define VAMT_AMT_AUDIT_USER_MAX     32
/* ACL events: a flags byte, initiator type, name length and the name */
#define VAMT_AMT_AUDIT_EXTENDED_MAX (3 + VAMT_AMT_USER_NAME_MAX)
#define VAMT_AMT_MAX_ALARMS         5
#define VAMT_AMT_ALARM_NAME_MAX     64
/*
 * The local system account: what AMTHI GetLocalSystemAccount gives an
 * in-guest agent (char user[33], char pass[33]), usable only over LME
 */
#define VAMT_AMT_LSA_NAME           "$$OsAdmin"
#define VAMT_AMT_LSA_PASSWORD_LEN   32
/* IPS_OptInService.OptInRequired: consent for every redirection */
#define VAMT_AMT_OPT_IN_ALL         0xffffffffu
/* AMT's RFB password: exactly 8 characters (VNC authentication's key) */
#define VAMT_RFB_PASSWORD_LEN       8

/* AMT_AuthorizationService realms (bit n of VamtAmtUser.realms) */
enum {
    VAMT_REALM_REDIRECTION = 2,
    VAMT_REALM_PT_ADMINISTRATION = 3,
    VAMT_REALM_HARDWARE_ASSET = 4,
    VAMT_REALM_REMOTE_CONTROL = 5,
    VAMT_REALM_STORAGE = 6,
    VAMT_REALM_EVENT_MANAGER = 7,
    VAMT_REALM_STORAGE_ADMIN = 8,
    VAMT_REALM_AGENT_PRESENCE_LOCAL = 9,
    VAMT_REALM_AGENT_PRESENCE_REMOTE = 10,
    VAMT_REALM_CIRCUIT_BREAKER = 11,
    VAMT_REALM_NETWORK_TIME = 12,
    VAMT_REALM_GENERAL_INFO = 13,
    VAMT_REALM_EAC = 17,
    VAMT_REALM_EAC_ADMIN = 18,
    VAMT_REALM_EVENT_LOG_READER = 19,
    VAMT_REALM_AUDIT_LOG = 20,
    VAMT_REALM_ACL = 21,
    VAMT_REALM_LOCAL_SYSTEM = 24,
};

/* AccessPermission of an ACL entry */
enum {
    VAMT_ACCESS_LOCAL = 0,
    VAMT_ACCESS_NETWORK = 1,
    VAMT_ACCESS_ANY = 2,
};

/*
 * Audit log event ids: AuditAppID * 100 + EventID
 * (docs/specs/vamt-wsman.rst, "Audit log")
 */
enum {
    VAMT_AUDIT_PROVISIONING_COMPLETED = 1601,
    VAMT_AUDIT_ACL_ENTRY_ADDED = 1602,
    VAMT_AUDIT_ACL_ENTRY_MODIFIED = 1603,
    VAMT_AUDIT_ACL_ENTRY_REMOVED = 1604,
    VAMT_AUDIT_ACL_INVALID_CREDENTIALS = 1605,
    VAMT_AUDIT_ACL_ENTRY_STATE = 1606,
    VAMT_AUDIT_UNPROVISIONING_STARTED = 1619,
    VAMT_AUDIT_POWER_UP = 1700,
    VAMT_AUDIT_POWER_DOWN = 1701,
    VAMT_AUDIT_POWER_CYCLE = 1702,
    VAMT_AUDIT_RESET = 1703,
    VAMT_AUDIT_SET_BOOT_OPTIONS = 1704,
    /* System Defense ("Circuit Breaker" in AMT's audit table) */
    VAMT_AUDIT_SD_FILTER_ADDED = 2500,
    VAMT_AUDIT_SD_FILTER_REMOVED = 2501,
    VAMT_AUDIT_SD_POLICY_ADDED = 2502,
    VAMT_AUDIT_SD_POLICY_REMOVED = 2503,
    VAMT_AUDIT_SD_DEFAULT_POLICY_SET = 2504,
};

typedef struct VamtAmtUser {
    bool in_use;
    bool enabled;
    uint32_t handle;
    char name[VAMT_AMT_USER_NAME_MAX + 1];
    char ha1[VAMT_AMT_HA1_HEX_LEN + 1];    /* MD5(user:realm:password) */
    uint8_t access;                         /* VAMT_ACCESS_* */
    uint32_t realms;                        /* bit n = realm n */
} VamtAmtUser;

/* One AMT_MessageLog record (a PET/IPMI platform event) */
typedef struct VamtEventRecord {
    uint32_t timestamp;
    uint8_t device_address;
    uint8_t sensor_type;
    uint8_t event_type;
    uint8_t event_offset;
    uint8_t source_type;
    uint8_t severity;
    uint8_t sensor_number;
    uint8_t entity;
    uint8_t entity_instance;
    uint8_t data[8];
} VamtEventRecord;

#define VAMT_EVENT_RECORD_BYTES     21

/* One AMT_AuditLog record, initiated by a Digest user */
typedef struct VamtAuditRecord {
    uint16_t app_id;
    uint16_t event_id;
    uint32_t timestamp;
    char user[VAMT_AMT_AUDIT_USER_MAX + 1];
    uint8_t extended_len;
    uint8_t extended[VAMT_AMT_AUDIT_EXTENDED_MAX];  /* per-event details */
} VamtAuditRecord;

/* The next-boot options (AMT_BootSettingData + boot order) */
typedef struct VamtBootSettings {
    bool use_sol;
    bool use_ider;
    bool use_safe_mode;
    bool reflash_bios;
    bool bios_setup;
    bool bios_pause;
    bool lock_power_button;
    bool lock_reset_button;
    bool lock_keyboard;
    bool lock_sleep_button;
    bool user_password_bypass;
    bool forced_progress_events;
    bool configuration_data_reset;
    bool enforce_secure_boot;
    uint8_t firmware_verbosity;
    uint8_t ider_boot_device;
    uint16_t boot_media_index;
    uint8_t boot_source;            /* VamtBootTarget of ChangeBootOrder */
    bool next_single_use;           /* SetBootConfigRole(Role=1) done */
    bool options_cleared;
} VamtBootSettings;

typedef struct VamtAlarm {
    bool in_use;
    char name[VAMT_AMT_ALARM_NAME_MAX + 1];   /* InstanceID/ElementName */
    int64_t start_time;                        /* UTC seconds */
    uint32_t interval_minutes;                 /* 0: once */
    bool delete_on_completion;
} VamtAlarm;

/*
 * System Defense (cim/defense.c): AMT_Hdr8021Filter and AMT_IPHeadersFilter
 * (IPv4) filters, AMT_SystemDefensePolicy policies of them, the one bound
 * to the wired port.  Handle 0: an unused slot.
 */
#define VAMT_SD_MAX_FILTERS         16
#define VAMT_SD_MAX_POLICIES        4
#define VAMT_SD_MAX_POLICY_FILTERS  8
#define VAMT_SD_NAME_LEN            16

enum {
    VAMT_SD_HAS_SRC     = 1 << 0,
    VAMT_SD_HAS_DST     = 1 << 1,
    VAMT_SD_HAS_PROTO   = 1 << 2,
    VAMT_SD_HAS_SPORT   = 1 << 3,
    VAMT_SD_HAS_DPORT   = 1 << 4,
};

typedef struct VamtSdFilter {
    uint32_t handle;
    char name[VAMT_SD_NAME_LEN + 1];
    bool ip;                        /* AMT_IPHeadersFilter, else 802.1 */
    uint8_t direction;              /* FilterDirection: 0 Tx, 1 Rx */
    uint8_t profile;                /* FilterProfile 0..4 */
    uint32_t profile_data;          /* rate limit: packets a second */
    uint16_t ethertype;             /* HdrProtocolID8021 */
    uint8_t has;                    /* VAMT_SD_HAS_* */
    uint32_t src_lo, src_hi, dst_lo, dst_hi;
    uint8_t proto;
    uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
} VamtSdFilter;

typedef struct VamtSdPolicy {
    uint32_t handle;
    char name[VAMT_SD_NAME_LEN + 1];
    uint32_t precedence;
    uint32_t filters[VAMT_SD_MAX_POLICY_FILTERS];
    uint8_t n_filters;
    bool default_drop[2];           /* by FilterDirection */
    bool default_count[2];
    uint32_t timeout_min;           /* 0: no time-out */
} VamtSdPolicy;

typedef struct VamtAmtState {
    /* VAMT_PROVISIONING_* and VAMT_CONTROL_MODE_* (firmware.h) */
    uint8_t provisioning_state;
    uint8_t control_mode;
    char realm[VAMT_AMT_REALM_MAX];
    char admin_name[VAMT_AMT_USER_NAME_MAX + 1];
    char admin_ha1[VAMT_AMT_HA1_HEX_LEN + 1];
    VamtAmtUser users[VAMT_AMT_MAX_USERS];
    uint32_t next_user_handle;
    /* random at manufacture and at every unprovision */
    char lsa_password[VAMT_AMT_LSA_PASSWORD_LEN + 1];

    /* AMT_GeneralSettings */
    char hostname[VAMT_AMT_HOSTNAME_MAX + 1];
    char domainname[VAMT_AMT_DOMAIN_MAX + 1];
    /* the OS's own name, as its agent (LMS) tells it: HostOSFQDN */
    char host_os_fqdn[VAMT_AMT_FQDN_MAX + 1];
    bool ping_response;
    bool rmcp_ping_response;
    bool shared_fqdn;
    uint32_t idle_wake_timeout;

    /* redirection, KVM, consent */
    uint16_t redirection_state;     /* 32768..32771 */
    bool redirection_listener;
    /* unused: EnabledState comes from kvm_requested and the session */
    uint8_t kvm_state;
    uint8_t kvm_requested;
    bool kvm_port_5900;
    /* IPS_KVMRedirectionSettingData.RFBPassword: port 5900's, "" none */
    char rfb_password[VAMT_RFB_PASSWORD_LEN + 1];
    uint32_t kvm_session_timeout;
    uint32_t opt_in_required;
    uint32_t opt_in_code_timeout;
    uint32_t opt_in_display_timeout;
    uint8_t opt_in_state;
    uint32_t opt_in_code;           /* the code shown to the user */
    uint8_t opt_in_failures;
    uint16_t user_initiated_state;  /* AMT_UserInitiatedConnectionService */

    /*
     * AMT_EthernetPortSettings with DHCPEnabled false: the address the
     * ME's endpoint on the NIC uses (host byte order); 0 for DHCP
     */
    uint32_t nic_static_address;
    uint32_t nic_static_netmask;
    uint32_t nic_static_gateway;
    uint32_t nic_static_dns[2];

    VamtSdFilter sd_filters[VAMT_SD_MAX_FILTERS];
    VamtSdPolicy sd_policies[VAMT_SD_MAX_POLICIES];
    uint32_t sd_bound;              /* the wired port's policy; 0 none */
    uint32_t sd_next_handle;
    /* in force while none is bound (..DefaultSystemDefensePolicy) */
    uint32_t sd_default;

    /*
     * AMT_TLSSettingData's remote instance, with the platform's TLS
     * (VamtFirmware.remote_tls): Enabled false closes the TLS ports,
     * AcceptNonSecureConnections false the plain ones (remotely); as
     * committed (CommitChanges), and as Put since (not saved)
     */
    bool tls_remote_off;
    bool tls_plain_refused;
    bool tls_pending;
    bool tls_remote_off_pending;
    bool tls_plain_refused_pending;

    VamtBootSettings boot;
    int64_t clock_offset_s;         /* SetHighAccuracyTimeSynch */
    uint32_t last_ta0;              /* GetLowAccuracyTimeSynch's answer */

    VamtEventRecord events[VAMT_AMT_EVENT_LOG_SIZE];
    uint32_t event_count;           /* records held, oldest first */
    uint32_t event_first;           /* ring index of the oldest */
    VamtAuditRecord audit[VAMT_AMT_AUDIT_LOG_SIZE];
    uint32_t audit_count;
    uint32_t audit_first;

    VamtAlarm alarms[VAMT_AMT_MAX_ALARMS];
    VamtAgentWatchdog agents[VAMT_AGENT_MAX];
    VamtSubscription subscriptions[VAMT_SUBSCRIPTION_MAX];
} VamtAmtState;

/*
 * @fw and @ops stay owned by the caller and must outlive the core.  The
 * state starts as a provisioned ACM device: realm from @ops->random,
 * admin account "admin" with no usable password until
 * vamt_amt_set_admin_password().
 */
VamtAmt *vamt_amt_new(const VamtFirmware *fw, const VamtPlatformOps *ops,
                      void *opaque);
void vamt_amt_free(VamtAmt *amt);

const VamtFirmware *vamt_amt_firmware(VamtAmt *amt);
const VamtPlatformOps *vamt_amt_ops(VamtAmt *amt);
void *vamt_amt_opaque(VamtAmt *amt);
const uint8_t *vamt_amt_host_mac(VamtAmt *amt);
VamtAmtState *vamt_amt_state(VamtAmt *amt);

/*
 * Provisioning: what AMTHI, the watchdog client's state commands and
 * WS-Man (AMT_SetupAndConfigurationService, IPS_HostBasedSetupService)
 * all report.  Saved with the state (NVRAM, migration).  False, leaving
 * the state alone, for values AMT does not have (a control mode other
 * than none while not provisioned, and the reverse).
 */
uint8_t vamt_amt_provisioning_state(VamtAmt *amt);
uint8_t vamt_amt_control_mode(VamtAmt *amt);
bool vamt_amt_set_provisioning(VamtAmt *amt, uint8_t state, uint8_t mode);

/* "Digest:" + 32 upper-case hex digits; also AMT_GeneralSettings */
const char *vamt_amt_realm(VamtAmt *amt);
/*
 * Is @realm "Digest:" + 32 hex digits, as AMT makes them?  The realm goes
 * into every WWW-Authenticate header, so nothing else may get there.
 */
bool vamt_amt_realm_is_valid(const char *realm);
/* Letters, digits, '-' and '.': what the host and domain names may hold */
bool vamt_amt_name_is_valid(const char *name);
/* Changing the realm invalidates every stored password hash. */
void vamt_amt_set_realm(VamtAmt *amt, const char *realm);
/*
 * Set the password of the admin account, whatever its name is now
 * (SetAdminAclEntryEx may have renamed it; names are unique, so the
 * password cannot end up with a user entry).
 */
void vamt_amt_set_admin_password(VamtAmt *amt, const char *password);
/*
 * AMT's admin password policy: 8 to 32 printable ASCII characters with
 * at least one digit, one lower-case and one upper-case letter and one
 * other (non-alphanumeric, non-space) character.  Consoles send only
 * MD5(user:realm:password), so this is for plain-text passwords such as
 * the device's admin-secret.
 */
bool vamt_amt_password_is_strong(const char *password);
/* 8 printable characters with upper and lower case, a digit and a symbol */
bool vamt_amt_rfb_password_is_valid(const char *password);
/* amt/system-defense.c: its part of the saved state (v10 on) */
struct BlobReader;
void vamt_sd_state_save(GByteArray *out, const VamtAmtState *s);
/* What vamt_sd_state_save wrote, checked: false if it cannot be */
bool vamt_sd_state_load(struct BlobReader *r, VamtAmtState *s);
/* The policy in force on the wired port: the bound one, else the default */
const VamtSdPolicy *vamt_sd_policy_in_force(const VamtAmtState *s);

/*
 * tls-settings.c: does a remote console find TLS (16993, 16995) served,
 * and the plain ports (16992, 16994)?  CommitChanges applies what was
 * Put to AMT_TLSSettingData.
 */
bool vamt_amt_remote_tls_on(VamtAmt *amt);
bool vamt_amt_remote_plain_open(VamtAmt *amt);
void vamt_amt_commit_tls(VamtAmt *amt);
/* An IPv4 netmask AMT_EthernetPortSettings accepts (host byte order) */
bool vamt_amt_netmask_is_valid(uint32_t netmask);
/*
 * What can be told from a console's MD5(@name:realm:password) @ha1_hex:
 * is the password empty or the user name itself?
 */
bool vamt_amt_ha1_is_weak(VamtAmt *amt, const char *name,
                          const char *ha1_hex);

/*
 * Digest lookup for the HTTP layer: the HA1 of @user as 32 hex digits.
 * False if there is no such enabled account that may log on @local-ly
 * (through LME) or, if not, over the network: an ACL entry's
 * AccessPermission decides; the admin may do both and the local system
 * account only the first.
 */
bool vamt_amt_user_ha1(VamtAmt *amt, const char *user, bool local,
                       char ha1_hex[VAMT_AMT_HA1_HEX_LEN + 1]);
/*
 * The realms of @user as a bitmask (all for the admin, VAMT_AMT_LSA_REALMS
 * for the local system account), 0 if unknown.
 */
uint32_t vamt_amt_user_realms(VamtAmt *amt, const char *user);
/*
 * What the local system account may do: what LMS and in-guest agents
 * read, the agent watchdog and host-based setup (docs/specs/vamt-wsman.rst,
 * "Accounts")
 */
#define VAMT_AMT_LSA_REALMS ((1u << VAMT_REALM_GENERAL_INFO) | \
                             (1u << VAMT_REALM_HARDWARE_ASSET) | \
                             (1u << VAMT_REALM_EVENT_LOG_READER) | \
                             (1u << VAMT_REALM_AGENT_PRESENCE_LOCAL) | \
                             (1u << VAMT_REALM_LOCAL_SYSTEM))
/* The local system account's password (GetLocalSystemAccount) */
const char *vamt_amt_lsa_password(VamtAmt *amt);

/*
 * Whether a redirection session of a kind is open (the redirection
 * service says so; AMTHI GetFeaturesState reports it).  Not saved: a
 * migrated or restarted ME has no session.
 */
typedef enum VamtAmtSession {
    VAMT_AMT_SESSION_SOL,
    VAMT_AMT_SESSION_IDER,
    VAMT_AMT_SESSION_KVM,
    VAMT_AMT_SESSIONS
} VamtAmtSession;
void vamt_amt_set_session_open(VamtAmt *amt, VamtAmtSession kind, bool open);
/*
 * Called after every unprovision, whoever asked for it (AMTHI, WS-Man):
 * the root ends what the old accounts had authorized (redirection).
 */
void vamt_amt_set_unprovision_hook(VamtAmt *amt, void (*hook)(void *opaque),
                                   void *opaque);
bool vamt_amt_session_open(VamtAmt *amt, VamtAmtSession kind);

/*
 * User consent (IPS_OptInService.OptInState): 0 not started, 1
 * requested, 2 the code is displayed, 3 received, 4 a session uses it
 */
enum {
    VAMT_OPT_IN_NOT_STARTED = 0,
    VAMT_OPT_IN_REQUESTED = 1,
    VAMT_OPT_IN_DISPLAYED = 2,
    VAMT_OPT_IN_RECEIVED = 3,
    VAMT_OPT_IN_IN_SESSION = 4,
};
/* A consent no session uses lapses after this (AMT: 2 minutes) */
#define VAMT_OPT_IN_UNUSED_MS   (2 * 60 * 1000)
/*
 * Move to @state: the code is shown to the user in state 2 only, and a
 * displayed code (OptInCodeTimeout) or an unused consent lapses.
 */
void vamt_amt_opt_in_set(VamtAmt *amt, uint8_t state);
/* When the consent state lapses next (ME clock), -1 never */
int64_t vamt_amt_opt_in_deadline(VamtAmt *amt);
/* Lapse what is due */
void vamt_amt_opt_in_tick(VamtAmt *amt);
/* Consent the redirection of @kind needs and has not been given */
bool vamt_amt_consent_missing(VamtAmt *amt, VamtAmtSession kind);
/*
 * Raise an alert (a CIM_AlertIndication of AMT's message registry):
 * the hook the root sets delivers it to the subscriptions whose filter
 * passes it and reports it to the platform.
 */
void vamt_amt_alert(VamtAmt *amt, const char *message_id,
                    const char *argument, uint8_t perceived_severity);
void vamt_amt_set_alert_hook(VamtAmt *amt,
                             void (*hook)(void *opaque,
                                          const VamtAlertMessage *msg),
                             void *opaque);

/*
 * Host-based setup (IPS_HostBasedSetupService.Setup): provision a
 * pre-provisioning ME in client control mode with the admin password
 * whose MD5("admin":realm:password) is @admin_ha1_hex, as @user asked.
 * Consent becomes mandatory for every redirection, as in AMT's CCM.
 * Returns the PT status: INVALID_PROVISIONING_STATE unless in
 * pre-provisioning, INVALID_PARAMETER for a hash that is not 32 hex
 * digits or is of an empty password or the name itself.
 */
uint32_t vamt_amt_setup_client_control(VamtAmt *amt, const char *admin_ha1_hex,
                                       const char *user);
/*
 * Full unprovision: back to pre-provisioning with AMT's factory settings
 * (accounts, admin password, network, redirection, consent, boot
 * options, alarms; a new local system account password).  The realm, the
 * clock offset and both logs stay; the audit log records who did it.
 */
void vamt_amt_unprovision(VamtAmt *amt, const char *user);

/* Is @name the admin's or a user entry's?  (Names are case-sensitive.) */
bool vamt_amt_name_in_use(VamtAmt *amt, const char *name);

/*
 * Add an ACL entry; @ha1_hex as stored.  Returns the new handle, never 0
 * nor one in use, or 0, with nothing added, if the table is full or the
 * name is taken.
 */
uint32_t vamt_amt_add_user(VamtAmt *amt, const char *name,
                           const char *ha1_hex, uint8_t access,
                           uint32_t realms);
VamtAmtUser *vamt_amt_find_user(VamtAmt *amt, uint32_t handle);

/* The AMT clock: the platform's UTC plus the offset consoles set. */
int64_t vamt_amt_now(VamtAmt *amt);

/* Append to AMT_MessageLog; a zero timestamp is replaced by now. */
void vamt_log_event(VamtAmt *amt, const VamtEventRecord *record);
/*
 * An IPMI "Watchdog 2" record (sensor type 0x23) of an OS watchdog
 * (entity 0x23): @expired is "timer expired" (offset 0, critical), else
 * offset 8, informational; the AMT watchdog and Agent Presence both.
 */
void vamt_log_watchdog_event(VamtAmt *amt, uint8_t sensor_number,
                             bool expired, const uint8_t data[8]);
/* Append to AMT_AuditLog; @event is AuditAppID * 100 + EventID. */
void vamt_audit_event(VamtAmt *amt, unsigned event, const char *user);
/* The same with the event's extended data (cut to the maximum) */
void vamt_audit_event_ex(VamtAmt *amt, unsigned event, const char *user,
                         const uint8_t *extended, size_t len);
/* Serialize record @index (0 = oldest) as AMT sends it (base64'd later) */
bool vamt_amt_event_bytes(VamtAmt *amt, unsigned index,
                          uint8_t out[VAMT_EVENT_RECORD_BYTES]);
GByteArray *vamt_amt_audit_bytes(VamtAmt *amt, unsigned index);

/*
 * Power request from a console (CIM or legacy): ask the platform and
 * write the audit record on success.  Returns the platform's answer.
 */
bool vamt_amt_request_power(VamtAmt *amt, VamtPowerState request,
                            const char *user);
/*
 * Push the current next-boot options to the platform.  False if it
 * cannot boot that way (no such device, no BIOS setup): the one-time
 * device is then dropped, so that nothing pretends to be pending.
 */
bool vamt_amt_apply_boot(VamtAmt *amt, const char *user);
/* The platform booted: one-time options are spent (OptionsCleared). */
void vamt_amt_notify_boot(VamtAmt *amt);

/* The whole VamtAmtState as a versioned blob, and back. */
void vamt_amt_save(VamtAmt *amt, GByteArray *out);
bool vamt_amt_load(VamtAmt *amt, const uint8_t *data, size_t len);
/*
 * Call ops->state_changed if what vamt_amt_save() writes differs from the
 * last call, vamt_amt_new() or vamt_amt_load().  The core calls it after
 * its own changes; callers that change VamtAmtState in place (a console
 * request) call it when they are done.  Costs nothing without
 * ops->state_changed.
 */
void vamt_amt_check_changed(VamtAmt *amt);

#endif
