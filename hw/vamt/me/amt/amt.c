/*
 * vAMT ME core: the AMT subsystem's state, accounts and logs
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "amt.h"
#include "blob.h"
#include "digest.h"
#include "power-policy.h"
#include "status.h"
#include "cim-values.h"

#define AMT_STATE_MAGIC     0x544d4176  /* "vAMT" */
/*
 * 2: audit records carry extended data; 3: the provisioning state and
 * control mode; 4: the local system account's password; 5: Agent
 * Presence watchdogs; 6: the OS's host FQDN; 7: alert subscriptions.
 * Older blobs still load (as not provisioned, with a new password, no
 * watchdogs, no host FQDN, no subscriptions).
 */
#define AMT_STATE_VERSION   12

struct VamtAmt {
    const VamtFirmware *fw;
    const VamtPlatformOps *ops;
    void *opaque;
    VamtAmtState state;
    bool session_open[VAMT_AMT_SESSIONS];
    void (*unprovision_hook)(void *opaque);
    void *unprovision_opaque;
    void (*alert_hook)(void *opaque, const VamtAlertMessage *msg);
    void *alert_opaque;
    /* the saved state at the last check, to notice changes */
    GByteArray *last_saved;
    /* when the consent state lapses (ME clock); -1: not armed yet */
    int64_t opt_in_deadline_ms;
    bool consent_shown;         /* ops->show_consent_code showed a code */
};

/*
 * Comparing saved forms catches every change, including those CIM
 * providers make in place, and no write follows a Put of the same values.
 */
static void amt_check_changed(VamtAmt *amt, bool notify)
{
    GByteArray *now;

    if (!amt->ops->state_changed) {
        return;
    }
    now = g_byte_array_new();
    vamt_amt_save(amt, now);
    if (amt->last_saved && amt->last_saved->len == now->len &&
        !memcmp(amt->last_saved->data, now->data, now->len)) {
        g_byte_array_unref(now);
        return;
    }
    if (amt->last_saved) {
        g_byte_array_unref(amt->last_saved);
    }
    amt->last_saved = now;
    if (notify) {
        amt->ops->state_changed(amt->opaque);
    }
}

/*
 * A strong password (vamt_amt_password_is_strong()) of @len characters:
 * one of each class, then any, shuffled.  Only characters that need no
 * quoting anywhere an agent may put the password (a shell, JSON, XML).
 */
static void random_password(VamtAmt *amt, char *out, size_t len)
{
    static const char *const classes[] = {
        "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "0123456789", "!#%+-.=@^_~",
    };
    static const char any[] = "abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#%+-.=@^_~";
    g_autofree uint8_t *raw = g_malloc(2 * len);

    amt->ops->random(amt->opaque, raw, 2 * len);
    for (size_t i = 0; i < len; i++) {
        const char *set = i < G_N_ELEMENTS(classes) ? classes[i] : any;

        out[i] = set[raw[i] % strlen(set)];
    }
    /* Fisher-Yates with the second half of the bytes */
    for (size_t i = len - 1; i > 0; i--) {
        size_t j = raw[len + i] % (i + 1);
        char c = out[i];

        out[i] = out[j];
        out[j] = c;
    }
    out[len] = '\0';
}

static void amt_defaults(VamtAmt *amt)
{
    VamtAmtState *s = &amt->state;
    uint8_t raw[16];
    GString *realm = g_string_new("Digest:");

    memset(s, 0, sizeof(*s));
    for (unsigned i = 0; i < VAMT_AGENT_MAX; i++) {
        s->agents[i].deadline_ms = -1;
    }
    random_password(amt, s->lsa_password, VAMT_AMT_LSA_PASSWORD_LEN);
    s->provisioning_state = VAMT_PROVISIONING_PRE;
    s->control_mode = VAMT_CONTROL_MODE_NONE;
    amt->ops->random(amt->opaque, raw, sizeof(raw));
    for (size_t i = 0; i < sizeof(raw); i++) {
        g_string_append_printf(realm, "%02X", raw[i]);
    }
    g_strlcpy(s->realm, realm->str, sizeof(s->realm));
    g_string_free(realm, TRUE);
    g_strlcpy(s->admin_name, "admin", sizeof(s->admin_name));
    s->next_user_handle = 1;

    g_strlcpy(s->hostname, "vamt", sizeof(s->hostname));
    s->ping_response = true;
    s->rmcp_ping_response = true;
    s->shared_fqdn = true;
    s->idle_wake_timeout = 65535;

    s->redirection_state = AMT_REDIRECTION_IDER_AND_SOL;
    s->redirection_listener = true;
    s->kvm_state = CIM_ENABLED_STATE_ENABLED_BUT_OFFLINE;
    s->kvm_requested = CIM_REQUESTED_STATE_ENABLED;
    s->kvm_session_timeout = 15;
    s->opt_in_required = 0;
    s->opt_in_code_timeout = 120;
    s->opt_in_display_timeout = 300;
    s->user_initiated_state = AMT_USER_INITIATED_BIOS_AND_OS;
    s->boot.boot_source = VAMT_BOOT_DEFAULT;
    s->boot.options_cleared = true;
}

VamtAmt *vamt_amt_new(const VamtFirmware *fw, const VamtPlatformOps *ops,
                      void *opaque)
{
    VamtAmt *amt = g_new0(VamtAmt, 1);

    amt->fw = fw;
    amt->ops = ops;
    amt->opt_in_deadline_ms = -1;
    amt->opaque = opaque;
    amt_defaults(amt);
    amt_check_changed(amt, false);
    return amt;
}

void vamt_amt_free(VamtAmt *amt)
{
    if (amt->last_saved) {
        g_byte_array_unref(amt->last_saved);
    }
    g_free(amt);
}

const VamtFirmware *vamt_amt_firmware(VamtAmt *amt)
{
    return amt->fw;
}

const VamtPlatformOps *vamt_amt_ops(VamtAmt *amt)
{
    return amt->ops;
}

/* The host's wired port as AMT reports it: the VM's first NIC, if any */
const uint8_t *vamt_amt_host_mac(VamtAmt *amt)
{
    const VamtInventory *inv = amt->ops->inventory ?
                               amt->ops->inventory(amt->opaque) : NULL;

    return inv && inv->nics ? inv->nic_mac[0] : amt->fw->host_mac;
}

void *vamt_amt_opaque(VamtAmt *amt)
{
    return amt->opaque;
}

VamtAmtState *vamt_amt_state(VamtAmt *amt)
{
    return &amt->state;
}

static bool provisioning_valid(uint8_t state, uint8_t mode)
{
    if (state == VAMT_PROVISIONING_POST) {
        return mode == VAMT_CONTROL_MODE_CCM || mode == VAMT_CONTROL_MODE_ACM;
    }
    return state <= VAMT_PROVISIONING_IN && mode == VAMT_CONTROL_MODE_NONE;
}

uint8_t vamt_amt_provisioning_state(VamtAmt *amt)
{
    return amt->state.provisioning_state;
}

uint8_t vamt_amt_control_mode(VamtAmt *amt)
{
    return amt->state.control_mode;
}

bool vamt_amt_set_provisioning(VamtAmt *amt, uint8_t state, uint8_t mode)
{
    if (!provisioning_valid(state, mode)) {
        return false;
    }
    amt->state.provisioning_state = state;
    amt->state.control_mode = mode;
    amt_check_changed(amt, true);
    return true;
}

bool vamt_amt_ha1_is_weak(VamtAmt *amt, const char *name,
                          const char *ha1_hex)
{
    /* the guesses any attacker tries first */
    const char *const weak[] = { "", name };
    char guess[VAMT_AMT_HA1_HEX_LEN + 1];

    for (unsigned i = 0; i < G_N_ELEMENTS(weak); i++) {
        vamt_digest_ha1(name, amt->state.realm, weak[i], guess);
        if (!g_ascii_strcasecmp(guess, ha1_hex)) {
            return true;
        }
    }
    return false;
}

const char *vamt_amt_realm(VamtAmt *amt)
{
    return amt->state.realm;
}

void vamt_amt_set_realm(VamtAmt *amt, const char *realm)
{
    g_strlcpy(amt->state.realm, realm, sizeof(amt->state.realm));
    vamt_amt_check_changed(amt);
}

void vamt_amt_set_admin_password(VamtAmt *amt, const char *password)
{
    vamt_digest_ha1(amt->state.admin_name, amt->state.realm, password,
                    amt->state.admin_ha1);
    vamt_amt_check_changed(amt);
}

static VamtAmtUser *find_user_by_name(VamtAmt *amt, const char *name)
{
    for (unsigned i = 0; i < VAMT_AMT_MAX_USERS; i++) {
        VamtAmtUser *u = &amt->state.users[i];

        if (u->in_use && !strcmp(u->name, name)) {
            return u;
        }
    }
    return NULL;
}

bool vamt_amt_user_ha1(VamtAmt *amt, const char *user, bool local,
                       char ha1_hex[VAMT_AMT_HA1_HEX_LEN + 1])
{
    VamtAmtUser *u;

    if (!strcmp(user, amt->state.admin_name)) {
        if (strlen(amt->state.admin_ha1) != VAMT_AMT_HA1_HEX_LEN) {
            return false;
        }
        memcpy(ha1_hex, amt->state.admin_ha1, VAMT_AMT_HA1_HEX_LEN + 1);
        return true;
    }
    if (!strcmp(user, VAMT_AMT_LSA_NAME)) {
        if (!local) {
            return false;
        }
        vamt_digest_ha1(user, amt->state.realm, amt->state.lsa_password,
                        ha1_hex);
        return true;
    }
    u = find_user_by_name(amt, user);
    if (!u || !u->enabled ||
        (u->access == VAMT_ACCESS_LOCAL && !local) ||
        (u->access == VAMT_ACCESS_NETWORK && local)) {
        return false;
    }
    memcpy(ha1_hex, u->ha1, VAMT_AMT_HA1_HEX_LEN + 1);
    return true;
}

uint32_t vamt_amt_user_realms(VamtAmt *amt, const char *user)
{
    VamtAmtUser *u;

    if (!strcmp(user, amt->state.admin_name)) {
        return UINT32_MAX;
    }
    if (!strcmp(user, VAMT_AMT_LSA_NAME)) {
        return VAMT_AMT_LSA_REALMS;
    }
    u = find_user_by_name(amt, user);
    return u ? u->realms : 0;
}

/*
 * A session's start and end are AMT's user notification alerts (which
 * MeshAgent shows): iAMT0050 48/49 for SOL and 50/51 for IDE-R,
 * iAMT0052 1/2 for KVM
 */
void vamt_amt_set_session_open(VamtAmt *amt, VamtAmtSession kind, bool open)
{
    static const struct {
        const char *message_id;
        unsigned started;
    } alert[VAMT_AMT_SESSIONS] = {
        [VAMT_AMT_SESSION_SOL] = { "iAMT0050", 48 },
        [VAMT_AMT_SESSION_IDER] = { "iAMT0050", 50 },
        [VAMT_AMT_SESSION_KVM] = { "iAMT0052", 1 },
    };
    char argument[4];

    g_assert(kind < VAMT_AMT_SESSIONS);
    if (amt->session_open[kind] == open) {
        return;
    }
    amt->session_open[kind] = open;
    snprintf(argument, sizeof(argument), "%u", alert[kind].started + !open);
    vamt_amt_alert(amt, alert[kind].message_id, argument, 2);
}

void vamt_amt_set_unprovision_hook(VamtAmt *amt, void (*hook)(void *opaque),
                                   void *opaque)
{
    amt->unprovision_hook = hook;
    amt->unprovision_opaque = opaque;
}

bool vamt_amt_session_open(VamtAmt *amt, VamtAmtSession kind)
{
    return kind < VAMT_AMT_SESSIONS && amt->session_open[kind];
}

/* ---- user consent ---- */

static int64_t amt_now_ms(VamtAmt *amt)
{
    return amt->ops->me_clock_ms(amt->opaque);
}

/* Show the code (again: a new one), or hide it if it is shown */
static void amt_show_consent(VamtAmt *amt, bool show)
{
    if (!show && !amt->consent_shown) {
        return;
    }
    amt->consent_shown = show;
    if (amt->ops->show_consent_code) {
        amt->ops->show_consent_code(amt->opaque, show,
                                    show ? amt->state.opt_in_code : 0);
    }
}

/* A state that lapses, from now on */
static void amt_opt_in_arm(VamtAmt *amt)
{
    switch (amt->state.opt_in_state) {
    case VAMT_OPT_IN_REQUESTED:
    case VAMT_OPT_IN_DISPLAYED:
        amt->opt_in_deadline_ms = amt_now_ms(amt) +
            (int64_t)MAX(amt->state.opt_in_code_timeout, 1) * 1000;
        break;
    case VAMT_OPT_IN_RECEIVED:
        amt->opt_in_deadline_ms = amt_now_ms(amt) + VAMT_OPT_IN_UNUSED_MS;
        break;
    default:
        amt->opt_in_deadline_ms = -1;
        break;
    }
}

void vamt_amt_opt_in_set(VamtAmt *amt, uint8_t state)
{
    amt->state.opt_in_state = state;
    amt_opt_in_arm(amt);
    amt_show_consent(amt, state == VAMT_OPT_IN_DISPLAYED);
}

int64_t vamt_amt_opt_in_deadline(VamtAmt *amt)
{
    uint8_t state = amt->state.opt_in_state;

    /* restored from NVRAM or a migration: the countdown starts again */
    if (state != VAMT_OPT_IN_NOT_STARTED && amt->opt_in_deadline_ms < 0) {
        if (state == VAMT_OPT_IN_IN_SESSION &&
            !vamt_amt_session_open(amt, VAMT_AMT_SESSION_KVM)) {
            amt->state.opt_in_state = VAMT_OPT_IN_RECEIVED;
        }
        amt_opt_in_arm(amt);
    }
    return amt->opt_in_deadline_ms;
}

void vamt_amt_opt_in_tick(VamtAmt *amt)
{
    int64_t deadline = vamt_amt_opt_in_deadline(amt);

    if (deadline >= 0 && amt_now_ms(amt) >= deadline) {
        vamt_amt_opt_in_set(amt, VAMT_OPT_IN_NOT_STARTED);
        vamt_amt_check_changed(amt);
    }
}

bool vamt_amt_consent_missing(VamtAmt *amt, VamtAmtSession kind)
{
    uint32_t required = amt->state.opt_in_required;
    /* OptInRequired 1: KVM only; all ones: every redirection; never SOL */
    bool gated = kind == VAMT_AMT_SESSION_KVM ? required != 0 :
                 kind != VAMT_AMT_SESSION_SOL &&
                 required == VAMT_AMT_OPT_IN_ALL;

    if (!gated) {
        return false;
    }
    vamt_amt_opt_in_tick(amt);
    return amt->state.opt_in_state < VAMT_OPT_IN_RECEIVED;
}

const char *vamt_amt_lsa_password(VamtAmt *amt)
{
    return amt->state.lsa_password;
}

bool vamt_amt_name_in_use(VamtAmt *amt, const char *name)
{
    return !strcmp(name, amt->state.admin_name) ||
           !strcmp(name, VAMT_AMT_LSA_NAME) ||
           find_user_by_name(amt, name);
}

uint32_t vamt_amt_setup_client_control(VamtAmt *amt, const char *admin_ha1_hex,
                                       const char *user)
{
    VamtAmtState *s = &amt->state;
    size_t len = admin_ha1_hex ? strlen(admin_ha1_hex) : 0;

    if (s->provisioning_state != VAMT_PROVISIONING_PRE) {
        return PT_INVALID_PROVISIONING_STATE;
    }
    if (len != VAMT_AMT_HA1_HEX_LEN) {
        return PT_INVALID_PARAMETER;
    }
    for (size_t i = 0; i < len; i++) {
        if (!g_ascii_isxdigit(admin_ha1_hex[i])) {
            return PT_INVALID_PARAMETER;
        }
    }
    if (vamt_amt_ha1_is_weak(amt, "admin", admin_ha1_hex)) {
        return PT_INVALID_PARAMETER;
    }
    g_strlcpy(s->admin_name, "admin", sizeof(s->admin_name));
    for (size_t i = 0; i <= len; i++) {
        s->admin_ha1[i] = g_ascii_tolower(admin_ha1_hex[i]);
    }
    s->provisioning_state = VAMT_PROVISIONING_POST;
    s->control_mode = VAMT_CONTROL_MODE_CCM;
    s->opt_in_required = VAMT_AMT_OPT_IN_ALL;
    vamt_audit_event(amt, VAMT_AUDIT_PROVISIONING_COMPLETED, user);
    vamt_amt_check_changed(amt);
    return PT_SUCCESS;
}

void vamt_amt_unprovision(VamtAmt *amt, const char *user)
{
    g_autofree VamtAmtState *old = g_memdup2(&amt->state, sizeof(amt->state));
    VamtAmtState *s = &amt->state;

    amt_defaults(amt);
    g_strlcpy(s->realm, old->realm, sizeof(s->realm));
    s->clock_offset_s = old->clock_offset_s;
    s->last_ta0 = old->last_ta0;
    memcpy(s->events, old->events, sizeof(s->events));
    s->event_count = old->event_count;
    s->event_first = old->event_first;
    memcpy(s->audit, old->audit, sizeof(s->audit));
    s->audit_count = old->audit_count;
    s->audit_first = old->audit_first;
    vamt_audit_event(amt, VAMT_AUDIT_UNPROVISIONING_STARTED, user);
    vamt_amt_check_changed(amt);
    if (amt->unprovision_hook) {
        amt->unprovision_hook(amt->unprovision_opaque);
    }
}

static bool handle_in_use(const VamtAmtState *s, uint32_t handle)
{
    for (unsigned i = 0; i < VAMT_AMT_MAX_USERS; i++) {
        if (s->users[i].in_use && s->users[i].handle == handle) {
            return true;
        }
    }
    return false;
}

/*
 * The next handle from the counter that is neither 0 (the "failed"
 * answer) nor held by an entry.  At most VAMT_AMT_MAX_USERS are held, so
 * one of any VAMT_AMT_MAX_USERS + 1 candidates is free.
 */
static uint32_t allocate_handle(VamtAmtState *s)
{
    uint32_t handle = s->next_user_handle;

    for (unsigned tries = 0; tries <= VAMT_AMT_MAX_USERS + 1; tries++) {
        if (handle && !handle_in_use(s, handle)) {
            s->next_user_handle = handle + 1;
            return handle;
        }
        handle++;
    }
    return 0;
}

uint32_t vamt_amt_add_user(VamtAmt *amt, const char *name,
                           const char *ha1_hex, uint8_t access,
                           uint32_t realms)
{
    VamtAmtState *s = &amt->state;
    VamtAmtUser *free_slot = NULL;
    uint32_t handle;

    if (!*name || strlen(name) > VAMT_AMT_USER_NAME_MAX ||
        strlen(ha1_hex) != VAMT_AMT_HA1_HEX_LEN ||
        vamt_amt_name_in_use(amt, name)) {
        return 0;
    }
    for (unsigned i = 0; i < VAMT_AMT_MAX_USERS && !free_slot; i++) {
        if (!s->users[i].in_use) {
            free_slot = &s->users[i];
        }
    }
    /* nothing is touched unless the entry can be made whole */
    handle = free_slot ? allocate_handle(s) : 0;
    if (!handle) {
        return 0;
    }
    memset(free_slot, 0, sizeof(*free_slot));
    free_slot->in_use = true;
    free_slot->enabled = true;
    free_slot->handle = handle;
    g_strlcpy(free_slot->name, name, sizeof(free_slot->name));
    g_strlcpy(free_slot->ha1, ha1_hex, sizeof(free_slot->ha1));
    free_slot->access = access;
    free_slot->realms = realms;
    vamt_amt_check_changed(amt);
    return handle;
}

VamtAmtUser *vamt_amt_find_user(VamtAmt *amt, uint32_t handle)
{
    for (unsigned i = 0; i < VAMT_AMT_MAX_USERS; i++) {
        VamtAmtUser *u = &amt->state.users[i];

        if (u->in_use && u->handle == handle) {
            return u;
        }
    }
    return NULL;
}

int64_t vamt_amt_now(VamtAmt *amt)
{
    return amt->ops->time_utc(amt->opaque) + amt->state.clock_offset_s;
}

/* Logs are rings: when full, the oldest record makes room. */
void vamt_log_watchdog_event(VamtAmt *amt, uint8_t sensor_number,
                             bool expired, const uint8_t data[8])
{
    VamtEventRecord r = {
        .device_address = 0x20, .sensor_type = 0x23, .event_type = 0x6f,
        .event_offset = expired ? 0x00 : 0x08, .source_type = 0x68,
        .severity = expired ? 0x10 : 0x01, .sensor_number = sensor_number,
        .entity = 0x23, .entity_instance = 0,
    };

    memcpy(r.data, data, sizeof(r.data));
    vamt_log_event(amt, &r);
}

void vamt_log_event(VamtAmt *amt, const VamtEventRecord *record)
{
    VamtAmtState *s = &amt->state;
    unsigned slot;

    if (s->event_count == VAMT_AMT_EVENT_LOG_SIZE) {
        s->event_first = (s->event_first + 1) % VAMT_AMT_EVENT_LOG_SIZE;
        s->event_count--;
    }
    slot = (s->event_first + s->event_count) % VAMT_AMT_EVENT_LOG_SIZE;
    s->events[slot] = *record;
    if (!record->timestamp) {
        s->events[slot].timestamp = vamt_amt_now(amt);
    }
    s->event_count++;
    vamt_amt_check_changed(amt);
}

void vamt_amt_alert(VamtAmt *amt, const char *message_id,
                    const char *argument, uint8_t perceived_severity)
{
    VamtAlertMessage msg = {
        .message_id = message_id,
        .perceived_severity = perceived_severity,
        .timestamp = vamt_amt_now(amt),
    };

    g_strlcpy(msg.argument, argument ? argument : "", sizeof(msg.argument));
    if (amt->alert_hook) {
        amt->alert_hook(amt->alert_opaque, &msg);
    }
}

void vamt_amt_set_alert_hook(VamtAmt *amt,
                             void (*hook)(void *opaque,
                                          const VamtAlertMessage *msg),
                             void *opaque)
{
    amt->alert_hook = hook;
    amt->alert_opaque = opaque;
}

void vamt_audit_event_ex(VamtAmt *amt, unsigned event, const char *user,
                         const uint8_t *extended, size_t len)
{
    VamtAmtState *s = &amt->state;
    VamtAuditRecord *r;

    if (s->audit_count == VAMT_AMT_AUDIT_LOG_SIZE) {
        s->audit_first = (s->audit_first + 1) % VAMT_AMT_AUDIT_LOG_SIZE;
        s->audit_count--;
    }
    r = &s->audit[(s->audit_first + s->audit_count) %
                  VAMT_AMT_AUDIT_LOG_SIZE];
    memset(r, 0, sizeof(*r));
    r->app_id = event / 100;
    r->event_id = event % 100;
    r->timestamp = vamt_amt_now(amt);
    g_strlcpy(r->user, user ? user : "", sizeof(r->user));
    r->extended_len = MIN(len, sizeof(r->extended));
    if (r->extended_len) {
        memcpy(r->extended, extended, r->extended_len);
    }
    s->audit_count++;
    vamt_amt_check_changed(amt);
}

void vamt_audit_event(VamtAmt *amt, unsigned event, const char *user)
{
    vamt_audit_event_ex(amt, event, user, NULL, 0);
}

bool vamt_amt_event_bytes(VamtAmt *amt, unsigned index,
                          uint8_t out[VAMT_EVENT_RECORD_BYTES])
{
    VamtAmtState *s = &amt->state;
    const VamtEventRecord *r;

    if (index >= s->event_count) {
        return false;
    }
    r = &s->events[(s->event_first + index) % VAMT_AMT_EVENT_LOG_SIZE];
    out[0] = r->timestamp;
    out[1] = r->timestamp >> 8;
    out[2] = r->timestamp >> 16;
    out[3] = r->timestamp >> 24;
    out[4] = r->device_address;
    out[5] = r->sensor_type;
    out[6] = r->event_type;
    out[7] = r->event_offset;
    out[8] = r->source_type;
    out[9] = r->severity;
    out[10] = r->sensor_number;
    out[11] = r->entity;
    out[12] = r->entity_instance;
    memcpy(out + 13, r->data, 8);
    return true;
}

/*
 * AuditAppID and EventID (big-endian), initiator type 0 (Digest) with
 * the user name, timestamp (big-endian), MC location type 0 and no
 * network address, then the length-prefixed extended data.
 */
GByteArray *vamt_amt_audit_bytes(VamtAmt *amt, unsigned index)
{
    VamtAmtState *s = &amt->state;
    const VamtAuditRecord *r;
    GByteArray *out;
    uint8_t len;
    uint8_t fixed[4];

    if (index >= s->audit_count) {
        return NULL;
    }
    r = &s->audit[(s->audit_first + index) % VAMT_AMT_AUDIT_LOG_SIZE];
    out = g_byte_array_new();
    fixed[0] = r->app_id >> 8;
    fixed[1] = r->app_id;
    fixed[2] = r->event_id >> 8;
    fixed[3] = r->event_id;
    g_byte_array_append(out, fixed, 4);
    len = strlen(r->user);
    g_byte_array_append(out, (const uint8_t[]) { 0, len }, 2);
    g_byte_array_append(out, (const uint8_t *)r->user, len);
    fixed[0] = r->timestamp >> 24;
    fixed[1] = r->timestamp >> 16;
    fixed[2] = r->timestamp >> 8;
    fixed[3] = r->timestamp;
    g_byte_array_append(out, fixed, 4);
    g_byte_array_append(out, (const uint8_t[]) { 0, 0, r->extended_len }, 3);
    g_byte_array_append(out, r->extended, r->extended_len);
    return out;
}

static unsigned power_audit_event(VamtPowerState request)
{
    switch (request) {
    case VAMT_POWER_ON:
        return VAMT_AUDIT_POWER_UP;
    case VAMT_POWER_CYCLE_SOFT:
    case VAMT_POWER_CYCLE_HARD:
    case VAMT_POWER_CYCLE_SOFT_GRACEFUL:
    case VAMT_POWER_CYCLE_HARD_GRACEFUL:
        return VAMT_AUDIT_POWER_CYCLE;
    case VAMT_POWER_MASTER_BUS_RESET:
    case VAMT_POWER_MASTER_BUS_RESET_GRACEFUL:
    case VAMT_POWER_NMI:
        return VAMT_AUDIT_RESET;
    default:
        return VAMT_AUDIT_POWER_DOWN;
    }
}

bool vamt_amt_request_power(VamtAmt *amt, VamtPowerState request,
                            const char *user)
{
    VamtPowerState now = amt->ops->power_state(amt->opaque);

    if (!vamt_power_policy_allows(now, request) ||
        !amt->ops->power_request(amt->opaque, request)) {
        return false;
    }
    vamt_audit_event(amt, power_audit_event(request), user);
    return true;
}

/* AMT_BootSettingData.IDERBootDevice */
#define IDER_BOOT_DEVICE_CD     1

static VamtBootTarget boot_target(const VamtBootSettings *b)
{
    /* UseIDER boots the IDE-R device whatever the boot order says */
    if (b->use_ider) {
        return b->ider_boot_device == IDER_BOOT_DEVICE_CD ?
               VAMT_BOOT_IDER_CD : VAMT_BOOT_IDER_FLOPPY;
    }
    if (!b->next_single_use) {
        return VAMT_BOOT_DEFAULT;
    }
    if (b->bios_setup) {
        return VAMT_BOOT_BIOS_SETUP;
    }
    return b->boot_source;
}

bool vamt_amt_apply_boot(VamtAmt *amt, const char *user)
{
    VamtBootSettings *b = &amt->state.boot;
    VamtBootTarget target = boot_target(b);
    bool accepted = !amt->ops->set_boot_target ||
                    amt->ops->set_boot_target(amt->opaque, target);

    if (!accepted) {
        b->boot_source = VAMT_BOOT_DEFAULT;
        b->bios_setup = false;
        b->use_ider = false;
        target = VAMT_BOOT_DEFAULT;
    }
    b->options_cleared = target == VAMT_BOOT_DEFAULT && !b->use_sol &&
                         !b->use_ider;
    if (target != VAMT_BOOT_DEFAULT) {
        vamt_audit_event(amt, VAMT_AUDIT_SET_BOOT_OPTIONS, user);
    }
    vamt_amt_check_changed(amt);
    return accepted;
}

void vamt_amt_notify_boot(VamtAmt *amt)
{
    VamtBootSettings *b = &amt->state.boot;
    VamtEventRecord boot = {
        .device_address = 0x20, .sensor_type = 0x0f, .event_type = 0x6f,
        .event_offset = 0x02, .source_type = 0x68, .severity = 0x01,
        .sensor_number = 0xff, .entity = 0x22, .entity_instance = 0,
        .data = { 0x40, 0x13, 0, 0, 0, 0, 0, 0 },
    };

    memset(b, 0, sizeof(*b));
    b->boot_source = VAMT_BOOT_DEFAULT;
    b->options_cleared = true;
    vamt_log_event(amt, &boot);
}

/* Serialization */

static void put_boot(GByteArray *out, const VamtBootSettings *b)
{
    const bool flags[] = {
        b->use_sol, b->use_ider, b->use_safe_mode, b->reflash_bios,
        b->bios_setup, b->bios_pause, b->lock_power_button,
        b->lock_reset_button, b->lock_keyboard, b->lock_sleep_button,
        b->user_password_bypass, b->forced_progress_events,
        b->configuration_data_reset, b->enforce_secure_boot,
        b->next_single_use, b->options_cleared,
    };
    uint32_t bits = 0;

    for (unsigned i = 0; i < G_N_ELEMENTS(flags); i++) {
        bits |= (uint32_t)flags[i] << i;
    }
    blob_put_u32(out, bits);
    blob_put_u8(out, b->firmware_verbosity);
    blob_put_u8(out, b->ider_boot_device);
    blob_put_u16(out, b->boot_media_index);
    blob_put_u8(out, b->boot_source);
}

static void get_boot(BlobReader *r, VamtBootSettings *b)
{
    bool *const flags[] = {
        &b->use_sol, &b->use_ider, &b->use_safe_mode, &b->reflash_bios,
        &b->bios_setup, &b->bios_pause, &b->lock_power_button,
        &b->lock_reset_button, &b->lock_keyboard, &b->lock_sleep_button,
        &b->user_password_bypass, &b->forced_progress_events,
        &b->configuration_data_reset, &b->enforce_secure_boot,
        &b->next_single_use, &b->options_cleared,
    };
    uint32_t bits = blob_get_u32(r);

    for (unsigned i = 0; i < G_N_ELEMENTS(flags); i++) {
        *flags[i] = bits & (1u << i);
    }
    b->firmware_verbosity = blob_get_u8(r);
    b->ider_boot_device = blob_get_u8(r);
    b->boot_media_index = blob_get_u16(r);
    b->boot_source = blob_get_u8(r);
}

void vamt_amt_save(VamtAmt *amt, GByteArray *out)
{
    const VamtAmtState *s = &amt->state;
    unsigned i;

    blob_put_u32(out, AMT_STATE_MAGIC);
    blob_put_u32(out, AMT_STATE_VERSION);
    blob_put_str(out, s->realm);
    blob_put_str(out, s->admin_name);
    blob_put_str(out, s->admin_ha1);
    blob_put_u32(out, s->next_user_handle);
    for (i = 0; i < VAMT_AMT_MAX_USERS; i++) {
        const VamtAmtUser *u = &s->users[i];

        blob_put_u8(out, u->in_use | (u->enabled << 1));
        blob_put_u32(out, u->handle);
        blob_put_str(out, u->name);
        blob_put_str(out, u->ha1);
        blob_put_u8(out, u->access);
        blob_put_u32(out, u->realms);
    }
    blob_put_str(out, s->hostname);
    blob_put_str(out, s->domainname);
    blob_put_u8(out, s->ping_response | (s->rmcp_ping_response << 1) |
                (s->shared_fqdn << 2) | (s->redirection_listener << 3) |
                (s->kvm_port_5900 << 4));
    blob_put_u32(out, s->idle_wake_timeout);
    blob_put_u16(out, s->redirection_state);
    blob_put_u8(out, s->kvm_state);
    blob_put_u8(out, s->kvm_requested);
    blob_put_u32(out, s->kvm_session_timeout);
    blob_put_u32(out, s->opt_in_required);
    blob_put_u32(out, s->opt_in_code_timeout);
    blob_put_u32(out, s->opt_in_display_timeout);
    blob_put_u16(out, s->user_initiated_state);
    put_boot(out, &s->boot);
    blob_put_u64(out, s->clock_offset_s);

    blob_put_u32(out, s->event_count);
    for (i = 0; i < s->event_count; i++) {
        uint8_t rec[VAMT_EVENT_RECORD_BYTES];

        vamt_amt_event_bytes(amt, i, rec);
        g_byte_array_append(out, rec, sizeof(rec));
    }
    blob_put_u32(out, s->audit_count);
    for (i = 0; i < s->audit_count; i++) {
        const VamtAuditRecord *a =
            &s->audit[(s->audit_first + i) % VAMT_AMT_AUDIT_LOG_SIZE];

        blob_put_u16(out, a->app_id);
        blob_put_u16(out, a->event_id);
        blob_put_u32(out, a->timestamp);
        blob_put_str(out, a->user);
        blob_put_bytes(out, a->extended, a->extended_len);
    }
    for (i = 0; i < VAMT_AMT_MAX_ALARMS; i++) {
        const VamtAlarm *al = &s->alarms[i];

        blob_put_u8(out, al->in_use | (al->delete_on_completion << 1));
        blob_put_str(out, al->name);
        blob_put_u64(out, al->start_time);
        blob_put_u32(out, al->interval_minutes);
    }
    blob_put_u8(out, s->provisioning_state);
    blob_put_u8(out, s->control_mode);
    blob_put_str(out, s->lsa_password);
    vamt_agent_save(s->agents, out);
    blob_put_str(out, s->host_os_fqdn);
    vamt_subscriptions_save(s->subscriptions, out);
    blob_put_str(out, s->rfb_password);
    blob_put_u32(out, s->nic_static_address);
    blob_put_u32(out, s->nic_static_netmask);
    blob_put_u32(out, s->nic_static_gateway);
    blob_put_u32(out, s->nic_static_dns[0]);
    blob_put_u32(out, s->nic_static_dns[1]);
    vamt_sd_state_save(out, s);
    blob_put_u32(out, s->sd_default);
    blob_put_u8(out, s->tls_remote_off);
    blob_put_u8(out, s->tls_plain_refused);
}

static void get_event(BlobReader *r, VamtEventRecord *e)
{
    uint32_t n;
    const uint8_t *p;

    e->timestamp = blob_get_u32(r);
    e->device_address = blob_get_u8(r);
    e->sensor_type = blob_get_u8(r);
    e->event_type = blob_get_u8(r);
    e->event_offset = blob_get_u8(r);
    e->source_type = blob_get_u8(r);
    e->severity = blob_get_u8(r);
    e->sensor_number = blob_get_u8(r);
    e->entity = blob_get_u8(r);
    e->entity_instance = blob_get_u8(r);
    /* the 8 data bytes are raw, not length-prefixed */
    n = r->left >= 8 ? 8 : 0;
    p = r->p;
    if (!n) {
        r->ok = false;
        return;
    }
    memcpy(e->data, p, 8);
    r->p += 8;
    r->left -= 8;
}

/* Load into a scratch copy so a bad blob leaves the state untouched. */
bool vamt_amt_load(VamtAmt *amt, const uint8_t *data, size_t len)
{
    g_autofree VamtAmtState *s = g_new0(VamtAmtState, 1);
    BlobReader r;
    unsigned i;
    uint8_t flags;
    uint32_t version;

    blob_reader_init(&r, data, len);
    if (blob_get_u32(&r) != AMT_STATE_MAGIC) {
        return false;
    }
    version = blob_get_u32(&r);
    if (version < 1 || version > AMT_STATE_VERSION) {
        return false;
    }
    blob_get_str(&r, s->realm, sizeof(s->realm));
    blob_get_str(&r, s->admin_name, sizeof(s->admin_name));
    blob_get_str(&r, s->admin_ha1, sizeof(s->admin_ha1));
    s->next_user_handle = blob_get_u32(&r);
    for (i = 0; i < VAMT_AMT_MAX_USERS; i++) {
        VamtAmtUser *u = &s->users[i];

        flags = blob_get_u8(&r);
        u->in_use = flags & 1;
        u->enabled = flags & 2;
        u->handle = blob_get_u32(&r);
        blob_get_str(&r, u->name, sizeof(u->name));
        blob_get_str(&r, u->ha1, sizeof(u->ha1));
        u->access = blob_get_u8(&r);
        u->realms = blob_get_u32(&r);
    }
    blob_get_str(&r, s->hostname, sizeof(s->hostname));
    blob_get_str(&r, s->domainname, sizeof(s->domainname));
    flags = blob_get_u8(&r);
    s->ping_response = flags & 1;
    s->rmcp_ping_response = flags & 2;
    s->shared_fqdn = flags & 4;
    s->redirection_listener = flags & 8;
    s->kvm_port_5900 = flags & 16;
    s->idle_wake_timeout = blob_get_u32(&r);
    s->redirection_state = blob_get_u16(&r);
    s->kvm_state = blob_get_u8(&r);
    s->kvm_requested = blob_get_u8(&r);
    s->kvm_session_timeout = blob_get_u32(&r);
    s->opt_in_required = blob_get_u32(&r);
    s->opt_in_code_timeout = blob_get_u32(&r);
    s->opt_in_display_timeout = blob_get_u32(&r);
    s->user_initiated_state = blob_get_u16(&r);
    get_boot(&r, &s->boot);
    s->clock_offset_s = blob_get_u64(&r);

    s->event_count = blob_get_u32(&r);
    if (s->event_count > VAMT_AMT_EVENT_LOG_SIZE) {
        return false;
    }
    for (i = 0; i < s->event_count && r.ok; i++) {
        get_event(&r, &s->events[i]);
    }
    s->audit_count = blob_get_u32(&r);
    if (s->audit_count > VAMT_AMT_AUDIT_LOG_SIZE) {
        return false;
    }
    for (i = 0; i < s->audit_count && r.ok; i++) {
        VamtAuditRecord *a = &s->audit[i];

        a->app_id = blob_get_u16(&r);
        a->event_id = blob_get_u16(&r);
        a->timestamp = blob_get_u32(&r);
        blob_get_str(&r, a->user, sizeof(a->user));
        if (version >= 2) {
            uint32_t n;
            const uint8_t *p = blob_get_bytes(&r, &n, sizeof(a->extended));

            if (n) {
                memcpy(a->extended, p, n);
            }
            a->extended_len = n;
        }
    }
    for (i = 0; i < VAMT_AMT_MAX_ALARMS; i++) {
        VamtAlarm *al = &s->alarms[i];

        flags = blob_get_u8(&r);
        al->in_use = flags & 1;
        al->delete_on_completion = flags & 2;
        blob_get_str(&r, al->name, sizeof(al->name));
        al->start_time = blob_get_u64(&r);
        al->interval_minutes = blob_get_u32(&r);
    }
    if (version >= 3) {
        s->provisioning_state = blob_get_u8(&r);
        s->control_mode = blob_get_u8(&r);
    } else {
        s->provisioning_state = VAMT_PROVISIONING_PRE;
        s->control_mode = VAMT_CONTROL_MODE_NONE;
    }
    if (!provisioning_valid(s->provisioning_state, s->control_mode)) {
        return false;
    }
    if (version >= 4) {
        blob_get_str(&r, s->lsa_password, sizeof(s->lsa_password));
    }
    if (version >= 5 && !vamt_agent_load(&r, s->agents)) {
        return false;
    }
    if (version >= 6) {
        blob_get_str(&r, s->host_os_fqdn, sizeof(s->host_os_fqdn));
    }
    if (version >= 7 && !vamt_subscriptions_load(&r, s->subscriptions)) {
        return false;
    }
    if (version >= 8) {
        blob_get_str(&r, s->rfb_password, sizeof(s->rfb_password));
    }
    if (version >= 9) {
        s->nic_static_address = blob_get_u32(&r);
        s->nic_static_netmask = blob_get_u32(&r);
        s->nic_static_gateway = blob_get_u32(&r);
        s->nic_static_dns[0] = blob_get_u32(&r);
        s->nic_static_dns[1] = blob_get_u32(&r);
    }
    if (version >= 10 && !vamt_sd_state_load(&r, s)) {
        return false;
    }
    if (version >= 11) {
        s->sd_default = blob_get_u32(&r);
    }
    if (version >= 12) {
        s->tls_remote_off = blob_get_u8(&r);
        s->tls_plain_refused = blob_get_u8(&r);
    }
    /* a static address needs its netmask */
    if (s->nic_static_address && !vamt_amt_netmask_is_valid(
            s->nic_static_netmask)) {
        return false;
    }
    /* port 5900 needs a password a viewer can be given */
    if (s->rfb_password[0] &&
        !vamt_amt_rfb_password_is_valid(s->rfb_password)) {
        return false;
    }
    if (!s->rfb_password[0]) {
        s->kvm_port_5900 = false;
    }
    /* a password the agent would see cut, or none: make a new one */
    if (strlen(s->lsa_password) != VAMT_AMT_LSA_PASSWORD_LEN) {
        random_password(amt, s->lsa_password, VAMT_AMT_LSA_PASSWORD_LEN);
    }
    /* a realm with CR/LF or quotes would rewrite every 401's headers */
    if (!r.ok || r.left || s->boot.boot_source > VAMT_BOOT_BIOS_SETUP ||
        !vamt_amt_realm_is_valid(s->realm)) {
        return false;
    }
    amt->state = *s;
    vamt_agent_restart(amt);
    /* what was loaded is saved already: no change to report */
    amt_check_changed(amt, false);
    return true;
}

void vamt_amt_check_changed(VamtAmt *amt)
{
    amt_check_changed(amt, true);
}
