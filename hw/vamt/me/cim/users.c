/*
 * vAMT ME core: CIM providers for users, realms and the admin account
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "provider.h"

/* Users */

static const VamtCimClass authorization_class;
static void authorization_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = cim_new_service(&authorization_class,
                                        "Intel(r) AMT Authorization Service",
                                        5, 12);

    vamt_cim_uint(inst, "AllowHttpQopAuthOnly", 1);
    g_ptr_array_add(out, inst);
}

/*
 * A DigestPassword whose password is empty or the user name.  AMT's
 * PT_STATUS_INVALID_PASSWORD is 0x806, but provider.h gives 0x806 to
 * PT_INVALID_NAME, so the general "invalid parameter" is answered.
 */
#define PT_WEAK_PASSWORD            PT_INVALID_PARAMETER

/*
 * AMT's built-in hidden account: the local system account, which cannot
 * be removed, changed or used from the network (amt.c serves it to
 * connections through LME only).  AMT lists it in EnumerateUserAclEntries
 * on every provisioned machine (consoles such as MeshCommander rely on
 * Handles being there).  Its handle is one the user-entry counter does
 * not reach in practice (docs/specs/vamt-wsman.rst, "Accounts").
 */
#define OS_ADMIN_NAME               VAMT_AMT_LSA_NAME
#define OS_ADMIN_HANDLE             0xffffffffu

static bool is_os_admin_name(const char *name)
{
    return name && !strcmp(name, OS_ADMIN_NAME);
}

/* Extended data of the ACL audit events (1602-1606) */
#define AUDIT_INITIATOR_DIGEST      0
#define AUDIT_MODIFIED_USERNAME     0x01
#define AUDIT_MODIFIED_PASSWORD     0x02
#define AUDIT_MODIFIED_REALMS       0x0c    /* local and remote realms */

/*
 * Audit a change to ACL entry @name: @lead (flags or state, may be
 * empty) then the entry as a Digest user, as AMT's consoles decode it.
 */
static void audit_acl_entry(VamtCimCall *call, unsigned event,
                            const uint8_t *lead, size_t lead_len,
                            const char *name)
{
    uint8_t ext[VAMT_AMT_AUDIT_EXTENDED_MAX];
    size_t name_len = MIN(strlen(name), VAMT_AMT_USER_NAME_MAX);
    size_t n = lead_len;

    g_assert(lead_len + 2 + name_len <= sizeof(ext));
    if (lead_len) {
        memcpy(ext, lead, lead_len);
    }
    ext[n++] = AUDIT_INITIATOR_DIGEST;
    ext[n++] = name_len;
    memcpy(ext + n, name, name_len);
    vamt_audit_event_ex(call->amt, event, call->user, ext, n + name_len);
}

/*
 * A user with the ACL realm but without PT Administration manages only
 * entries within its own realms, so it cannot hand out (or take away)
 * more power than it has.
 */
static bool may_manage_realms(VamtCimCall *call, uint32_t realms)
{
    uint32_t own = call->user ? vamt_amt_user_realms(call->amt, call->user)
                              : 0;
    uint32_t admin = VAMT_ACL_REALM(VAMT_REALM_PT_ADMINISTRATION);

    return vamt_acl_permits(own, admin) || !(realms & ~own);
}

static uint32_t auth_get_admin(VamtCimCall *call)
{
    vamt_cim_str(call->output, "Username",
                 vamt_amt_state(call->amt)->admin_name);
    return PT_SUCCESS;
}

static uint32_t auth_admin_status(VamtCimCall *call)
{
    vamt_cim_bool(call->output, "IsDefault", false);
    return PT_SUCCESS;
}

static uint32_t auth_enumerate(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    uint64_t start;
    unsigned total = 0, returned = 0;
    g_autoptr(GArray) handles = g_array_new(FALSE, FALSE, sizeof(uint32_t));

    if (!cim_arg_uint(call, "StartIndex", UINT32_MAX, &start) || !start) {
        return PT_INVALID_PARAMETER;
    }
    /* the built-in account comes first, then the user entries */
    total++;
    if (start == 1) {
        g_array_append_val(handles, (uint32_t) { OS_ADMIN_HANDLE });
        returned++;
    }
    for (unsigned i = 0; i < VAMT_AMT_MAX_USERS; i++) {
        if (s->users[i].in_use) {
            total++;
            if (total >= start && returned < ACL_HANDLES_PER_CALL) {
                g_array_append_val(handles, s->users[i].handle);
                returned++;
            }
        }
    }
    vamt_cim_uint(call->output, "TotalCount", total);
    vamt_cim_uint(call->output, "HandlesCount", returned);
    for (guint i = 0; i < handles->len; i++) {
        vamt_cim_uint(call->output, "Handles",
                      g_array_index(handles, uint32_t, i));
    }
    return PT_SUCCESS;
}

static VamtAmtUser *arg_user(VamtCimCall *call)
{
    uint64_t handle;

    if (!cim_arg_uint(call, "Handle", UINT32_MAX, &handle)) {
        return NULL;
    }
    return vamt_amt_find_user(call->amt, handle);
}

static bool arg_is_os_admin(VamtCimCall *call)
{
    uint64_t handle;

    return cim_arg_uint(call, "Handle", UINT32_MAX, &handle) &&
           handle == OS_ADMIN_HANDLE;
}

static void put_realms(VamtCimInstance *out, uint32_t realms)
{
    for (unsigned r = 0; r < 32; r++) {
        if (realms & (1u << r)) {
            vamt_cim_uint(out, "Realms", r);
        }
    }
}

static uint32_t auth_get_user(VamtCimCall *call)
{
    VamtAmtUser *u = arg_user(call);

    if (!u && arg_is_os_admin(call)) {
        vamt_cim_str(call->output, "DigestUsername", OS_ADMIN_NAME);
        vamt_cim_uint(call->output, "AccessPermission", VAMT_ACCESS_LOCAL);
        put_realms(call->output, VAMT_AMT_LSA_REALMS);
        return PT_SUCCESS;
    }
    if (!u) {
        return PT_INVALID_HANDLE;
    }
    vamt_cim_str(call->output, "DigestUsername", u->name);
    vamt_cim_uint(call->output, "AccessPermission", u->access);
    put_realms(call->output, u->realms);
    return PT_SUCCESS;
}

static uint32_t auth_get_enabled(VamtCimCall *call)
{
    VamtAmtUser *u = arg_user(call);

    if (!u && arg_is_os_admin(call)) {
        vamt_cim_bool(call->output, "Enabled", true);
        return PT_SUCCESS;
    }
    if (!u) {
        return PT_INVALID_HANDLE;
    }
    vamt_cim_bool(call->output, "Enabled", u->enabled);
    return PT_SUCCESS;
}

static uint32_t auth_set_enabled(VamtCimCall *call)
{
    VamtAmtUser *u = arg_user(call);
    g_autofree char *text = vamt_xml_child_text(call->input, "Enabled");
    bool enabled;

    if (!u && arg_is_os_admin(call)) {
        return PT_NOT_PERMITTED;
    }
    if (!u) {
        return PT_INVALID_HANDLE;
    }
    if (!vamt_xml_parse_bool(text, &enabled)) {
        return PT_INVALID_PARAMETER;
    }
    if (!may_manage_realms(call, u->realms)) {
        return PT_NOT_PERMITTED;
    }
    u->enabled = enabled;
    audit_acl_entry(call, VAMT_AUDIT_ACL_ENTRY_STATE,
                    (const uint8_t[]) { enabled }, 1, u->name);
    return PT_SUCCESS;
}

/*
 * DigestPassword is MD5(user:realm:password), sent as 32 hex digits or
 * as base64 of the 16 raw bytes; store it as hex.
 */
static bool parse_digest_password(const char *text,
                                  char ha1[VAMT_AMT_HA1_HEX_LEN + 1])
{
    g_autofree guchar *raw = NULL;
    gsize len = 0;

    if (!text) {
        return false;
    }
    if (strlen(text) == VAMT_AMT_HA1_HEX_LEN) {
        for (unsigned i = 0; i < VAMT_AMT_HA1_HEX_LEN; i++) {
            if (!g_ascii_isxdigit(text[i])) {
                return false;
            }
            ha1[i] = g_ascii_tolower(text[i]);
        }
        ha1[VAMT_AMT_HA1_HEX_LEN] = 0;
        return true;
    }
    raw = g_base64_decode(text, &len);
    if (len != 16) {
        return false;
    }
    for (unsigned i = 0; i < 16; i++) {
        g_snprintf(ha1 + 2 * i, 3, "%02x", raw[i]);
    }
    return true;
}

static bool arg_realms(VamtCimCall *call, uint32_t *realms)
{
    g_autoptr(GPtrArray) list = cim_arg_array(call->input, "Realms");
    uint64_t r;

    *realms = 0;
    for (guint i = 0; i < list->len; i++) {
        if (!vamt_xml_parse_uint(g_ptr_array_index(list, i), 31, &r)) {
            return false;
        }
        *realms |= 1u << r;
    }
    return true;
}

static uint32_t auth_add_user(VamtCimCall *call)
{
    g_autofree char *name = vamt_xml_child_text(call->input,
                                                "DigestUsername");
    g_autofree char *password = vamt_xml_child_text(call->input,
                                                    "DigestPassword");
    char ha1[VAMT_AMT_HA1_HEX_LEN + 1];
    uint64_t access = VAMT_ACCESS_ANY;
    uint32_t realms, handle;

    if (!name || !*name || strlen(name) > VAMT_AMT_USER_NAME_MAX) {
        return PT_INVALID_NAME;
    }
    if (!parse_digest_password(password, ha1) || !arg_realms(call, &realms) ||
        (vamt_xml_child(call->input, "AccessPermission") &&
         !cim_arg_uint(call, "AccessPermission", VAMT_ACCESS_ANY, &access))) {
        return PT_INVALID_PARAMETER;
    }
    if (!may_manage_realms(call, realms)) {
        return PT_NOT_PERMITTED;
    }
    if (vamt_amt_name_in_use(call->amt, name) || is_os_admin_name(name)) {
        return PT_DUPLICATE;
    }
    if (vamt_amt_ha1_is_weak(call->amt, name, ha1)) {
        return PT_WEAK_PASSWORD;
    }
    handle = vamt_amt_add_user(call->amt, name, ha1, access, realms);
    if (!handle) {
        return PT_MAX_LIMIT_REACHED;
    }
    audit_acl_entry(call, VAMT_AUDIT_ACL_ENTRY_ADDED, NULL, 0, name);
    vamt_cim_uint(call->output, "Handle", handle);
    return PT_SUCCESS;
}

static uint32_t auth_update_user(VamtCimCall *call)
{
    VamtAmtUser *u = arg_user(call);
    g_autofree char *name = vamt_xml_child_text(call->input,
                                                "DigestUsername");
    g_autofree char *password = vamt_xml_child_text(call->input,
                                                    "DigestPassword");
    char ha1[VAMT_AMT_HA1_HEX_LEN + 1];
    uint64_t access = u ? u->access : 0;
    uint32_t realms;
    uint8_t modified = 0;

    if (!u && arg_is_os_admin(call)) {
        return PT_NOT_PERMITTED;
    }
    if (!u) {
        return PT_INVALID_HANDLE;
    }
    if ((password && !parse_digest_password(password, ha1)) ||
        !arg_realms(call, &realms) ||
        (vamt_xml_child(call->input, "AccessPermission") &&
         !cim_arg_uint(call, "AccessPermission", VAMT_ACCESS_ANY, &access))) {
        return PT_INVALID_PARAMETER;
    }
    if (!may_manage_realms(call, u->realms) ||
        !may_manage_realms(call, realms)) {
        return PT_NOT_PERMITTED;
    }
    if (name && strcmp(name, u->name)) {
        if (!*name || strlen(name) > VAMT_AMT_USER_NAME_MAX) {
            return PT_INVALID_NAME;
        }
        if (vamt_amt_name_in_use(call->amt, name) ||
            is_os_admin_name(name)) {
            return PT_DUPLICATE;
        }
        /* the stored hash covers the name, so a rename needs one */
        if (!password) {
            return PT_INVALID_PARAMETER;
        }
    }
    if (password && vamt_amt_ha1_is_weak(call->amt, name ? name : u->name,
                                         ha1)) {
        return PT_WEAK_PASSWORD;
    }
    if (name && strcmp(name, u->name)) {
        g_strlcpy(u->name, name, sizeof(u->name));
        modified |= AUDIT_MODIFIED_USERNAME;
    }
    if (password) {
        g_strlcpy(u->ha1, ha1, sizeof(u->ha1));
        modified |= AUDIT_MODIFIED_PASSWORD;
    }
    if (access != u->access || realms != u->realms) {
        modified |= AUDIT_MODIFIED_REALMS;
    }
    u->access = access;
    u->realms = realms;
    audit_acl_entry(call, VAMT_AUDIT_ACL_ENTRY_MODIFIED, &modified, 1,
                    u->name);
    return PT_SUCCESS;
}

static uint32_t auth_remove_user(VamtCimCall *call)
{
    VamtAmtUser *u = arg_user(call);
    char name[VAMT_AMT_USER_NAME_MAX + 1];

    if (!u && arg_is_os_admin(call)) {
        return PT_NOT_PERMITTED;
    }
    if (!u) {
        return PT_INVALID_HANDLE;
    }
    if (!may_manage_realms(call, u->realms)) {
        return PT_NOT_PERMITTED;
    }
    g_strlcpy(name, u->name, sizeof(name));
    memset(u, 0, sizeof(*u));
    audit_acl_entry(call, VAMT_AUDIT_ACL_ENTRY_REMOVED, NULL, 0, name);
    return PT_SUCCESS;
}

static uint32_t auth_set_admin(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    g_autofree char *name = vamt_xml_child_text(call->input, "Username");
    g_autofree char *password = vamt_xml_child_text(call->input,
                                                    "DigestPassword");
    char ha1[VAMT_AMT_HA1_HEX_LEN + 1];
    uint8_t modified = AUDIT_MODIFIED_PASSWORD;

    if (!name || !*name || strlen(name) > VAMT_AMT_USER_NAME_MAX) {
        return PT_INVALID_NAME;
    }
    if (!parse_digest_password(password, ha1)) {
        return PT_INVALID_PARAMETER;
    }
    if (strcmp(name, s->admin_name)) {
        /* a user entry of that name would shadow, or be shadowed */
        if (vamt_amt_name_in_use(call->amt, name) ||
            is_os_admin_name(name)) {
            return PT_DUPLICATE;
        }
        modified |= AUDIT_MODIFIED_USERNAME;
    }
    if (vamt_amt_ha1_is_weak(call->amt, name, ha1)) {
        return PT_WEAK_PASSWORD;
    }
    g_strlcpy(s->admin_name, name, sizeof(s->admin_name));
    g_strlcpy(s->admin_ha1, ha1, sizeof(s->admin_ha1));
    audit_acl_entry(call, VAMT_AUDIT_ACL_ENTRY_MODIFIED, &modified, 1, name);
    return PT_SUCCESS;
}

static const VamtCimMethod authorization_methods[] = {
    { "GetAdminAclEntry", auth_get_admin },
    { "GetAdminAclEntryStatus", auth_admin_status },
    { "GetAdminNetAclEntryStatus", auth_admin_status },
    { "EnumerateUserAclEntries", auth_enumerate },
    { "GetUserAclEntryEx", auth_get_user },
    { "GetAclEnabledState", auth_get_enabled },
    { "SetAclEnabledState", auth_set_enabled },
    { "AddUserAclEntryEx", auth_add_user },
    { "UpdateUserAclEntryEx", auth_update_user },
    { "RemoveUserAclEntry", auth_remove_user },
    { "SetAdminAclEntryEx", auth_set_admin },
    { NULL },
};

static const VamtCimClass authorization_class = {
    .name = "AMT_AuthorizationService", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_service, .list = authorization_list,
    .methods = authorization_methods,
};


const VamtCimClass *const vamt_cim_users_classes[] = {
    &authorization_class, NULL,
};
