/*
 * Unit tests for the vAMT ME core's user ACL: accounts added through
 * AMT_AuthorizationService and the realms that limit them, driven end to
 * end through vamt_me_new(), the HTTP connection and real Digest
 * credentials computed here, against a fake platform that records power
 * requests.  Also the audit trail: ACL changes, power actions and the
 * lock-out after repeated wrong passwords.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "acl.h"
#include "me.h"
#include "vamt-test-support.h"

#define AUTH_SERVICE    AMT "AMT_AuthorizationService"
#define EOI_RC      "http://schemas.intel.com/platform/client/RemoteControl/" \
                    "2004/01"

#define PT_NOT_PERMITTED    16

typedef struct Env {
    VamtTestPlatform fake;
    VamtFirmware fw;
    VamtMe *me;
    char *realm;
    char *nonce;                /* from the first 401 */
    unsigned nc;
    const char *peer;           /* VAMT_PEER_LOCAL: requests through LME */
} Env;

typedef VamtTestReply Reply;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Reply, vamt_test_reply_free)

/* A client on its own connection per request, as MeshCentral reconnects */

static Reply *http_send(Env *e, const char *request)
{
    g_autofree char *raw = vamt_test_http_send_from(e->me, e->peer, request);

    return vamt_test_reply_parse(raw, strlen(raw));
}

/* POST @body to @path as @user with a Digest response computed here */
static Reply *post_as(Env *e, const char *user, const char *password,
                      const char *path, const char *body)
{
    g_autofree char *nc = g_strdup_printf("%08x", ++e->nc);
    const VamtTestDigestAuth a = {
        .user = user, .realm = e->realm, .password = password, .uri = path,
        .nonce = e->nonce, .nc = nc, .cnonce = "c0ffee",
    };
    g_autofree char *authorization = vamt_test_digest_authorization(&a);
    g_autofree char *request = vamt_test_post_request("vamt:16992", path,
                                                      authorization, body);

    return http_send(e, request);
}

static Reply *wsman_get(Env *e, const char *user, const char *password,
                        const char *resource)
{
    g_autofree char *env = vamt_test_wsman_envelope(NS_XFER "/Get", resource,
                                                    NULL);

    return post_as(e, user, password, "/wsman", env);
}

static Reply *wsman_invoke(Env *e, const char *user, const char *password,
                           const char *resource, const char *method,
                           const char *args)
{
    g_autofree char *action = g_strdup_printf("%s/%s", resource, method);
    g_autofree char *body = vamt_test_invoke_body(resource, method, args);
    g_autofree char *env = vamt_test_wsman_envelope(action, resource, body);

    return post_as(e, user, password, "/wsman", env);
}

static Reply *admin_invoke(Env *e, const char *resource, const char *method,
                           const char *args)
{
    return wsman_invoke(e, "admin", PASSWORD, resource, method, args);
}

static Reply *eoi_remote_control(Env *e, const char *user,
                                 const char *password, unsigned command)
{
    g_autofree char *env = g_strdup_printf(
        "<?xml version=\"1.0\"?><soap:Envelope xmlns:soap=\"" NS_SOAP11
        "\"><soap:Body><RemoteControl xmlns=\"" EOI_RC "\"><Command>%u"
        "</Command><IanaOemNumber>343</IanaOemNumber></RemoteControl>"
        "</soap:Body></soap:Envelope>", command);

    return post_as(e, user, password, "/RemoteControlService", env);
}

/* The text of the first <...:@name> element of the body, or "" */
static char *element_text(const Reply *r, const char *name)
{
    g_autofree char *open = g_strdup_printf(":%s>", name);
    const char *p = strstr(r->body->str, open);
    const char *q;

    if (!p) {
        return g_strdup("");
    }
    p += strlen(open);
    q = strchr(p, '<');
    return g_strndup(p, q - p);
}

static void assert_return_value(const Reply *r, const char *expected)
{
    g_autofree char *got = element_text(r, "ReturnValue");

    if (r->status != 200 || strcmp(got, expected)) {
        g_test_message("reply: %s %s", r->head->str, r->body->str);
    }
    g_assert_cmpint(r->status, ==, 200);
    g_assert_cmpstr(got, ==, expected);
}

/*
 * What AMT answers a user without the realm (docs/specs/vamt-wsman.rst,
 * "Faults")
 */
static void assert_access_denied(const Reply *r)
{
    if (r->status != 400) {
        g_test_message("reply: %s %s", r->head->str, r->body->str);
    }
    g_assert_cmpint(r->status, ==, 400);
    g_assert_nonnull(strstr(r->head->str, "Connection: close"));
    g_assert_nonnull(strstr(r->body->str,
                            "<a:Value>a:Sender</a:Value><a:Subcode>"
                            "<a:Value>e:AccessDenied</a:Value>"));
    g_assert_nonnull(strstr(r->body->str, "The sender was not authorized "
                            "to access the resource."));
}

/* Env */

static Env *env_new(void)
{
    Env *e = g_new0(Env, 1);

    vamt_test_platform_init(&e->fake, VAMT_POWER_OFF_SOFT);
    vamt_test_firmware_init(&e->fw);
    e->me = vamt_me_new(&e->fw, &vamt_test_platform_ops, &e->fake);
    vamt_me_set_admin_password(e->me, PASSWORD);
    e->realm = g_strdup(vamt_amt_realm(vamt_me_amt(e->me)));
    /* a request without credentials brings the challenge and its nonce */
    e->nonce = vamt_test_http_nonce(e->me);
    return e;
}

/* A factory ME: not provisioned, no admin password (no admin-secret) */
static Env *env_new_unprovisioned(void)
{
    Env *e = g_new0(Env, 1);

    vamt_test_platform_init(&e->fake, VAMT_POWER_OFF_SOFT);
    vamt_test_firmware_init(&e->fw);
    e->me = vamt_me_new(&e->fw, &vamt_test_platform_ops, &e->fake);
    e->realm = g_strdup(vamt_amt_realm(vamt_me_amt(e->me)));
    e->nonce = vamt_test_http_nonce(e->me);
    return e;
}

static void env_free(Env *e)
{
    vamt_me_free(e->me);
    vamt_test_platform_destroy(&e->fake);
    g_free(e->realm);
    g_free(e->nonce);
    g_free(e);
}

/*
 * AddUserAclEntryEx as the admin, DigestPassword as AMT consoles send
 * it: base64 of MD5(user:realm:password).  Returns the handle.
 */
static char *add_user(Env *e, const char *user, const char *password,
                      unsigned access, const unsigned *realms,
                      unsigned n_realms, const char *expected_rv)
{
    g_autofree char *a1 = g_strdup_printf("%s:%s:%s", user, e->realm,
                                          password);
    GChecksum *md5 = g_checksum_new(G_CHECKSUM_MD5);
    uint8_t digest[16];
    gsize digest_len = sizeof(digest);
    g_autofree char *b64 = NULL;
    g_autoptr(GString) args = g_string_new(NULL);
    g_autoptr(Reply) r = NULL;

    g_checksum_update(md5, (const guchar *)a1, -1);
    g_checksum_get_digest(md5, digest, &digest_len);
    g_checksum_free(md5);
    b64 = g_base64_encode(digest, digest_len);
    g_string_printf(args, "<r:DigestUsername>%s</r:DigestUsername>"
                    "<r:DigestPassword>%s</r:DigestPassword>"
                    "<r:AccessPermission>%u</r:AccessPermission>",
                    user, b64, access);
    for (unsigned i = 0; i < n_realms; i++) {
        g_string_append_printf(args, "<r:Realms>%u</r:Realms>", realms[i]);
    }
    r = admin_invoke(e, AUTH_SERVICE, "AddUserAclEntryEx", args->str);
    assert_return_value(r, expected_rv);
    return element_text(r, "Handle");
}

/* DigestPassword as consoles send it: base64 of MD5(user:realm:password) */
static char *digest_password(Env *e, const char *user, const char *password)
{
    g_autofree char *a1 = g_strdup_printf("%s:%s:%s", user, e->realm,
                                          password);
    GChecksum *md5 = g_checksum_new(G_CHECKSUM_MD5);
    uint8_t digest[16];
    gsize digest_len = sizeof(digest);

    g_checksum_update(md5, (const guchar *)a1, -1);
    g_checksum_get_digest(md5, digest, &digest_len);
    g_checksum_free(md5);
    return g_base64_encode(digest, digest_len);
}

/* SetAdminAclEntryEx as @admin (the admin's current name) */
static void set_admin(Env *e, const char *admin, const char *admin_password,
                      const char *user, const char *password,
                      const char *expected_rv)
{
    g_autofree char *b64 = digest_password(e, user, password);
    g_autofree char *args = g_strdup_printf(
        "<r:Username>%s</r:Username><r:DigestPassword>%s</r:DigestPassword>",
        user, b64);
    g_autoptr(Reply) r = wsman_invoke(e, admin, admin_password, AUTH_SERVICE,
                                      "SetAdminAclEntryEx", args);

    assert_return_value(r, expected_rv);
}

/* UpdateUserAclEntryEx of @handle: new name and password, no realms */
static void update_user(Env *e, const char *handle, const char *user,
                        const char *password, const char *expected_rv)
{
    g_autofree char *b64 = digest_password(e, user, password);
    g_autofree char *args = g_strdup_printf(
        "<r:Handle>%s</r:Handle><r:DigestUsername>%s</r:DigestUsername>"
        "<r:DigestPassword>%s</r:DigestPassword>", handle, user, b64);
    g_autoptr(Reply) r = admin_invoke(e, AUTH_SERVICE, "UpdateUserAclEntryEx",
                                      args);

    assert_return_value(r, expected_rv);
}

/* The status of a Get of CIM_Chassis as @user: 200 or 401 */
static int chassis_status(Env *e, const char *user, const char *password)
{
    g_autoptr(Reply) r = wsman_get(e, user, password, CIM "CIM_Chassis");

    return r->status;
}

static void remove_user(Env *e, const char *handle)
{
    g_autofree char *args = g_strdup_printf("<r:Handle>%s</r:Handle>",
                                            handle);
    g_autoptr(Reply) r = admin_invoke(e, AUTH_SERVICE, "RemoveUserAclEntry",
                                      args);

    assert_return_value(r, "0");
}

static Reply *request_power(Env *e, const char *user, const char *password,
                            unsigned state)
{
    g_autofree char *args = g_strdup_printf(
        "<r:PowerState>%u</r:PowerState><r:ManagedElement><Address xmlns=\""
        NS_WSA "\">" NS_WSA "/role/anonymous</Address><ReferenceParameters "
        "xmlns=\"" NS_WSA "\"><ResourceURI xmlns=\"" NS_WSMAN "\">" CIM
        "CIM_ComputerSystem</ResourceURI><SelectorSet xmlns=\"" NS_WSMAN
        "\"><Selector Name=\"Name\">ManagedSystem</Selector></SelectorSet>"
        "</ReferenceParameters></r:ManagedElement>", state);

    return wsman_invoke(e, user, password, CIM "CIM_PowerManagementService",
                        "RequestPowerStateChange", args);
}

/* The audit log, read by the admin: one decoded record */
typedef struct AuditEntry {
    unsigned event;             /* AuditAppID * 100 + EventID */
    char *initiator;
    GByteArray *extended;
} AuditEntry;

static void audit_entry_free(gpointer p)
{
    AuditEntry *a = p;

    g_free(a->initiator);
    g_byte_array_free(a->extended, TRUE);
    g_free(a);
}

static GPtrArray *read_audit_log(Env *e)
{
    GPtrArray *log = g_ptr_array_new_with_free_func(audit_entry_free);
    unsigned total;

    do {
        guint had = log->len;
        g_autofree char *args = g_strdup_printf(
            "<r:StartIndex>%u</r:StartIndex>", log->len + 1);
        g_autoptr(Reply) r = admin_invoke(e, AMT "AMT_AuditLog",
                                          "ReadRecords", args);
        g_autofree char *total_text = element_text(r, "TotalRecordCount");
        const char *p = r->body->str;

        assert_return_value(r, "0");
        total = atoi(total_text);
        while ((p = strstr(p, "<g:EventRecords>"))) {
            AuditEntry *a = g_new0(AuditEntry, 1);
            g_autofree char *b64 = NULL;
            g_autofree guchar *raw = NULL;
            gsize len;
            size_t at;

            p += strlen("<g:EventRecords>");
            b64 = g_strndup(p, strchr(p, '<') - p);
            raw = g_base64_decode(b64, &len);
            g_assert_cmpuint(len, >=, 13);
            a->event = (raw[0] << 8 | raw[1]) * 100 + (raw[2] << 8 | raw[3]);
            g_assert_cmpuint(raw[4], ==, 0);       /* Digest initiator */
            a->initiator = g_strndup((char *)raw + 6, raw[5]);
            at = 6 + raw[5] + 4 + 1;                /* time, MC location */
            at += 1 + raw[at];                      /* network address */
            g_assert_cmpuint(len, ==, at + 1 + raw[at]);
            a->extended = g_byte_array_new();
            g_byte_array_append(a->extended, raw + at + 1, raw[at]);
            g_ptr_array_add(log, a);
        }
        g_assert_cmpuint(log->len, >, had);
    } while (log->len < total);
    return log;
}

/* The last record of @event, or NULL */
static AuditEntry *audit_find(GPtrArray *log, unsigned event)
{
    for (guint i = log->len; i-- > 0;) {
        AuditEntry *a = g_ptr_array_index(log, i);

        if (a->event == event) {
            return a;
        }
    }
    return NULL;
}

/* Extended data of an ACL event naming Digest entry @name */
static void assert_acl_extended(const AuditEntry *a, size_t lead,
                                const char *name)
{
    g_assert_cmpuint(a->extended->len, ==, lead + 2 + strlen(name));
    g_assert_cmpuint(a->extended->data[lead], ==, 0);
    g_assert_cmpuint(a->extended->data[lead + 1], ==, strlen(name));
    g_assert_cmpmem(a->extended->data + lead + 2, strlen(name), name,
                    strlen(name));
}

/* Tests */

static const unsigned hardware_asset[] = { VAMT_REALM_HARDWARE_ASSET };
static const unsigned remote_control[] = { VAMT_REALM_REMOTE_CONTROL };

static void test_hardware_asset_user(void)
{
    Env *e = env_new();
    g_autofree char *handle = add_user(e, "inventory", "Inv3nt0ry!",
                                       VAMT_ACCESS_NETWORK, hardware_asset,
                                       1, "0");
    g_autoptr(Reply) chassis = wsman_get(e, "inventory", "Inv3nt0ry!",
                                         CIM "CIM_Chassis");
    g_autoptr(Reply) power = request_power(e, "inventory", "Inv3nt0ry!", 2);
    g_autoptr(Reply) audit = wsman_invoke(e, "inventory", "Inv3nt0ry!",
                                          AMT "AMT_AuditLog", "ReadRecords",
                                          "<r:StartIndex>1</r:StartIndex>");
    g_autoptr(Reply) acl = wsman_invoke(e, "inventory", "Inv3nt0ry!",
                                        AUTH_SERVICE, "AddUserAclEntryEx",
                                        NULL);
    g_autoptr(Reply) eoi = eoi_remote_control(e, "inventory", "Inv3nt0ry!",
                                              17);
    g_autofree char *eoi_status = element_text(eoi, "Status");
    g_autoptr(Reply) wrong = wsman_get(e, "inventory", "wrong",
                                       CIM "CIM_Chassis");

    g_assert_cmpint(chassis->status, ==, 200);
    g_assert_nonnull(strstr(chassis->body->str, "<g:CIM_Chassis>"));
    g_assert_nonnull(strstr(chassis->body->str, "QEMU chassis"));

    assert_access_denied(power);
    g_assert_cmpuint(e->fake.power_requests->len, ==, 0);
    assert_access_denied(audit);
    assert_access_denied(acl);

    /* legacy SOAP reports the missing realm as PT_STATUS_NOT_PERMITTED */
    g_assert_cmpint(eoi->status, ==, 200);
    g_assert_cmpint(atoi(eoi_status), ==, PT_NOT_PERMITTED);
    g_assert_cmpuint(e->fake.power_requests->len, ==, 0);
    g_assert_cmpint(wrong->status, ==, 401);
    g_assert_nonnull(handle);    /* the entry was created */
    env_free(e);
}

static void test_remote_control_user(void)
{
    Env *e = env_new();
    g_autofree char *handle = add_user(e, "operator", "0per@tor",
                                       VAMT_ACCESS_ANY, remote_control, 1,
                                       "0");
    g_autoptr(Reply) on = request_power(e, "operator", "0per@tor", 2);
    g_autoptr(Reply) chassis = wsman_get(e, "operator", "0per@tor",
                                         CIM "CIM_Chassis");
    g_autoptr(Reply) off = eoi_remote_control(e, "operator", "0per@tor", 18);
    g_autofree char *off_status = element_text(off, "Status");
    g_autoptr(Reply) after = NULL;
    g_autoptr(GPtrArray) log = NULL;
    AuditEntry *a;

    assert_return_value(on, "0");
    assert_access_denied(chassis);
    g_assert_cmpstr(off_status, ==, "0");
    g_assert_cmpuint(e->fake.power_requests->len, ==, 2);
    g_assert_cmpint(g_array_index(e->fake.power_requests, VamtPowerState, 0),
                    ==, VAMT_POWER_ON);

    /* power actions are audited with the user that asked for them */
    log = read_audit_log(e);
    a = audit_find(log, VAMT_AUDIT_POWER_UP);
    g_assert_nonnull(a);
    g_assert_cmpstr(a->initiator, ==, "operator");
    a = audit_find(log, VAMT_AUDIT_POWER_DOWN);
    g_assert_nonnull(a);
    g_assert_cmpstr(a->initiator, ==, "operator");

    /* removed: the same credentials no longer log in */
    remove_user(e, handle);
    after = request_power(e, "operator", "0per@tor", 2);
    g_assert_cmpint(after->status, ==, 401);
    g_assert_cmpuint(e->fake.power_requests->len, ==, 2);
    env_free(e);
}

static void test_acl_audit(void)
{
    Env *e = env_new();
    g_autofree char *handle = add_user(e, "auditee", "Aud1t33!",
                                       VAMT_ACCESS_NETWORK, hardware_asset,
                                       1, "0");
    g_autofree char *update_args = g_strdup_printf(
        "<r:Handle>%s</r:Handle><r:AccessPermission>1</r:AccessPermission>"
        "<r:Realms>4</r:Realms><r:Realms>13</r:Realms>", handle);
    g_autofree char *disable_args = g_strdup_printf(
        "<r:Handle>%s</r:Handle><r:Enabled>false</r:Enabled>", handle);
    g_autoptr(Reply) update = admin_invoke(e, AUTH_SERVICE,
                                           "UpdateUserAclEntryEx",
                                           update_args);
    g_autoptr(Reply) disable = admin_invoke(e, AUTH_SERVICE,
                                            "SetAclEnabledState",
                                            disable_args);
    g_autoptr(GPtrArray) log = NULL;
    AuditEntry *a;

    assert_return_value(update, "0");
    assert_return_value(disable, "0");
    remove_user(e, handle);
    log = read_audit_log(e);

    a = audit_find(log, VAMT_AUDIT_ACL_ENTRY_ADDED);
    g_assert_nonnull(a);
    g_assert_cmpstr(a->initiator, ==, "admin");
    assert_acl_extended(a, 0, "auditee");

    a = audit_find(log, VAMT_AUDIT_ACL_ENTRY_MODIFIED);
    g_assert_nonnull(a);
    g_assert_cmpstr(a->initiator, ==, "admin");
    assert_acl_extended(a, 1, "auditee");
    g_assert_cmphex(a->extended->data[0], ==, 0x0c);    /* realms only */

    a = audit_find(log, VAMT_AUDIT_ACL_ENTRY_STATE);
    g_assert_nonnull(a);
    assert_acl_extended(a, 1, "auditee");
    g_assert_cmpuint(a->extended->data[0], ==, 0);      /* disabled */

    a = audit_find(log, VAMT_AUDIT_ACL_ENTRY_REMOVED);
    g_assert_nonnull(a);
    g_assert_cmpstr(a->initiator, ==, "admin");
    assert_acl_extended(a, 0, "auditee");

    /* the extended data survives migration */
    {
        Env *copy = env_new();
        g_autoptr(GByteArray) blob = g_byte_array_new();
        VamtAmt *amt = vamt_me_amt(e->me);
        unsigned last = vamt_amt_state(amt)->audit_count - 1;
        g_autoptr(GByteArray) before = vamt_amt_audit_bytes(amt, last);
        g_autoptr(GByteArray) after = NULL;

        vamt_amt_save(amt, blob);
        g_assert_true(vamt_me_load(copy->me, blob->data, blob->len));
        after = vamt_amt_audit_bytes(vamt_me_amt(copy->me), last);
        g_assert_nonnull(after);
        g_assert_cmpmem(before->data, before->len, after->data, after->len);
        env_free(copy);
    }
    env_free(e);
}

static void test_lockout_audited(void)
{
    Env *e = env_new();
    g_autofree char *handle = add_user(e, "typo", "Typ0-free",
                                       VAMT_ACCESS_NETWORK, hardware_asset,
                                       1, "0");
    g_autoptr(Reply) locked = NULL;
    g_autoptr(Reply) unlocked = NULL;
    g_autoptr(GPtrArray) before = read_audit_log(e);
    g_autoptr(GPtrArray) log = NULL;
    AuditEntry *a;

    /* single failures leave no trace; the lock-out does */
    for (unsigned i = 0; i < VAMT_DIGEST_MAX_FAILURES; i++) {
        g_autoptr(Reply) r = wsman_get(e, "typo", "typ0-free",
                                       CIM "CIM_Chassis");

        g_assert_cmpint(r->status, ==, 401);
        if (i + 1 < VAMT_DIGEST_MAX_FAILURES) {
            g_autoptr(GPtrArray) now = read_audit_log(e);

            g_assert_cmpuint(now->len, ==, before->len);
        }
    }
    locked = wsman_get(e, "typo", "Typ0-free", CIM "CIM_Chassis");
    g_assert_cmpint(locked->status, ==, 401);

    log = read_audit_log(e);
    g_assert_cmpuint(log->len, ==, before->len + 1);
    a = audit_find(log, VAMT_AUDIT_ACL_INVALID_CREDENTIALS);
    g_assert_nonnull(a);
    g_assert_cmpstr(a->initiator, ==, "typo");
    g_assert_cmpuint(a->extended->len, ==, 1);
    g_assert_cmpuint(a->extended->data[0], ==, 0);      /* ME access */

    e->fake.ms += VAMT_DIGEST_LOCKOUT_MS;
    unlocked = wsman_get(e, "typo", "Typ0-free", CIM "CIM_Chassis");
    g_assert_cmpint(unlocked->status, ==, 200);
    g_assert_nonnull(handle);    /* the entry was created */
    env_free(e);
}

static void test_local_only_user(void)
{
    Env *e = env_new();
    g_autofree char *handle = add_user(e, "local", "L0cal-only",
                                       VAMT_ACCESS_LOCAL, remote_control, 1,
                                       "0");
    g_autofree char *remote = add_user(e, "remote", "Rem0te-only",
                                       VAMT_ACCESS_NETWORK, remote_control, 1,
                                       "0");
    g_autoptr(Reply) r = request_power(e, "local", "L0cal-only", 2);
    g_autoptr(Reply) local = NULL;
    g_autoptr(Reply) remote_locally = NULL;
    g_autoptr(Reply) admin_locally = NULL;

    g_assert_cmpint(r->status, ==, 401);
    g_assert_cmpuint(e->fake.power_requests->len, ==, 0);
    g_assert_nonnull(handle);    /* the entry was created */
    g_assert_nonnull(remote);

    /* through LME the local entry works and the network-only one does not */
    e->peer = VAMT_PEER_LOCAL;
    local = request_power(e, "local", "L0cal-only", 2);
    assert_return_value(local, "0");
    g_assert_cmpuint(e->fake.power_requests->len, ==, 1);
    remote_locally = request_power(e, "remote", "Rem0te-only", 2);
    g_assert_cmpint(remote_locally->status, ==, 401);
    admin_locally = wsman_get(e, "admin", PASSWORD, AMT "AMT_GeneralSettings");
    g_assert_cmpint(admin_locally->status, ==, 200);
    env_free(e);
}

/*
 * The local system account (AMTHI GetLocalSystemAccount): only through
 * LME, and only what in-guest agents need.
 */
static void test_local_system_account(void)
{
    Env *e = env_new();
    const char *lsa = vamt_amt_lsa_password(vamt_me_amt(e->me));
    g_autoptr(Reply) remote = wsman_get(e, "$$OsAdmin", lsa,
                                        AMT "AMT_GeneralSettings");
    g_autoptr(Reply) local = NULL;
    g_autoptr(Reply) power = NULL;
    g_autoptr(Reply) audit = NULL;
    g_autoptr(Reply) setup = NULL;
    g_autoptr(Reply) kvm_data = NULL;

    g_assert_cmpint(remote->status, ==, 401);
    e->peer = VAMT_PEER_LOCAL;
    local = wsman_get(e, "$$OsAdmin", lsa, AMT "AMT_GeneralSettings");
    g_assert_cmpint(local->status, ==, 200);
    g_assert_nonnull(strstr(local->body->str, e->realm));
    power = request_power(e, "$$OsAdmin", lsa, 2);
    assert_access_denied(power);
    audit = wsman_invoke(e, "$$OsAdmin", lsa, AMT "AMT_AuditLog",
                         "ReadRecords", "<r:StartIndex>1</r:StartIndex>");
    assert_access_denied(audit);
    /* provisioned already: host-based setup has nothing to do */
    setup = wsman_invoke(e, "$$OsAdmin", lsa, IPS "IPS_HostBasedSetupService",
                         "Setup", "<r:NetAdminPassEncryptionType>2"
                         "</r:NetAdminPassEncryptionType>"
                         "<r:NetworkAdminPassword>0123456789abcdef0123456789"
                         "abcdef</r:NetworkAdminPassword>");
    assert_return_value(setup, "32");
    g_assert_cmpuint(e->fake.power_requests->len, ==, 0);
    /*
     * MeshCmd's LMS polls the KVM data channel: an answer (no channel
     * without KVM), never a fault, which would end its connection
     */
    kvm_data = wsman_invoke(e, "$$OsAdmin", lsa,
                            IPS "IPS_KVMRedirectionSettingData",
                            "DataChannelRead", "");
    g_assert_cmpint(kvm_data->status, ==, 200);
    g_assert_null(strstr(kvm_data->head->str, "Connection: close"));
    assert_return_value(kvm_data, "2");
    env_free(e);
}

static Reply *host_setup(Env *e, const char *encryption, const char *password)
{
    const char *lsa = vamt_amt_lsa_password(vamt_me_amt(e->me));
    g_autofree char *a1 = g_strdup_printf("admin:%s:%s", e->realm, password);
    g_autofree char *ha1 = vamt_test_md5_hex(a1);
    g_autofree char *args = g_strdup_printf(
        "<r:NetAdminPassEncryptionType>%s</r:NetAdminPassEncryptionType>"
        "<r:NetworkAdminPassword>%s</r:NetworkAdminPassword>",
        encryption, ha1);

    return wsman_invoke(e, "$$OsAdmin", lsa, IPS "IPS_HostBasedSetupService",
                        "Setup", args);
}

/* What a console reads for the provisioning state */
static void assert_provisioning(Env *e, const char *password,
                                const char *state, const char *mode,
                                const char *control)
{
    g_autoptr(Reply) sacs = wsman_get(e, "admin", password,
                                      AMT "AMT_SetupAndConfigurationService");
    g_autoptr(Reply) hbs = wsman_get(e, "admin", password,
                                     IPS "IPS_HostBasedSetupService");
    g_autofree char *got_state = element_text(sacs, "ProvisioningState");
    g_autofree char *got_mode = element_text(sacs, "ProvisioningMode");
    g_autofree char *got_control = element_text(hbs, "CurrentControlMode");

    g_assert_cmpint(sacs->status, ==, 200);
    g_assert_cmpstr(got_state, ==, state);
    g_assert_cmpstr(got_mode, ==, mode);
    g_assert_cmpstr(got_control, ==, control);
}

/* Is there a record of @event by @user in the audit log? */
static bool audit_has(Env *e, unsigned event, const char *user)
{
    const VamtAmtState *s = vamt_amt_state(vamt_me_amt(e->me));

    for (unsigned i = 0; i < s->audit_count; i++) {
        const VamtAuditRecord *r =
            &s->audit[(s->audit_first + i) % VAMT_AMT_AUDIT_LOG_SIZE];

        if (r->app_id * 100 + r->event_id == event &&
            !strcmp(r->user, user)) {
            return true;
        }
    }
    return false;
}

/*
 * MeshCmd AmtCCM / rpc-go activate -local -ccm: the local system account
 * sets the admin password through LME; the console then logs on with it
 * from the network, and deactivation returns the ME to the factory.
 */
static void test_host_based_setup(void)
{
    static const char password[] = "N3w-Admin";
    Env *e = env_new_unprovisioned();
    const char *old_lsa = vamt_amt_lsa_password(vamt_me_amt(e->me));
    g_autofree char *lsa_before = g_strdup(old_lsa);
    g_autoptr(Reply) weak = NULL, wrong_type = NULL, setup = NULL;
    g_autoptr(Reply) again = NULL, remote_setup = NULL, optin = NULL;
    g_autoptr(Reply) admin_setup = NULL;
    g_autoptr(Reply) unprovision = NULL, after = NULL, old_lsa_reply = NULL;
    g_autofree char *optin_required = NULL;

    /* nobody logs on from the network before activation */
    remote_setup = host_setup(e, "2", password);
    g_assert_cmpint(remote_setup->status, ==, 401);

    e->peer = VAMT_PEER_LOCAL;
    weak = host_setup(e, "2", "");
    assert_return_value(weak, "36");
    wrong_type = host_setup(e, "1", password);
    assert_return_value(wrong_type, "36");
    setup = host_setup(e, "2", password);
    assert_return_value(setup, "0");
    again = host_setup(e, "2", password);
    assert_return_value(again, "32");
    /* admin control mode by certificate is not served: said so */
    admin_setup = wsman_invoke(e, "$$OsAdmin",
                               vamt_amt_lsa_password(vamt_me_amt(e->me)),
                               IPS "IPS_HostBasedSetupService", "AdminSetup",
                               "");
    g_assert_cmpint(admin_setup->status, ==, 400);
    g_assert_nonnull(strstr(admin_setup->body->str, "ActionNotSupported"));

    e->peer = NULL;
    assert_provisioning(e, password, "2", "4", "1");
    /* client control mode: consent for every redirection */
    optin = wsman_get(e, "admin", password, IPS "IPS_OptInService");
    optin_required = element_text(optin, "OptInRequired");
    g_assert_cmpstr(optin_required, ==, "4294967295");
    g_assert_cmpuint(vamt_amt_add_user(vamt_me_amt(e->me), "op",
                                       "0123456789abcdef0123456789abcdef",
                                       VAMT_ACCESS_ANY, 1u << 5), !=, 0);

    unprovision = wsman_invoke(e, "admin", password,
                               AMT "AMT_SetupAndConfigurationService",
                               "Unprovision",
                               "<r:ProvisioningMode>4</r:ProvisioningMode>");
    assert_return_value(unprovision, "0");
    /* back to the factory: no admin, no users, a new local password */
    after = wsman_get(e, "admin", password,
                      AMT "AMT_SetupAndConfigurationService");
    g_assert_cmpint(after->status, ==, 401);
    g_assert_cmpuint(vamt_amt_provisioning_state(vamt_me_amt(e->me)), ==,
                     VAMT_PROVISIONING_PRE);
    g_assert_false(vamt_amt_name_in_use(vamt_me_amt(e->me), "op"));
    g_assert_cmpstr(lsa_before, !=,
                    vamt_amt_lsa_password(vamt_me_amt(e->me)));
    e->peer = VAMT_PEER_LOCAL;
    old_lsa_reply = wsman_get(e, "$$OsAdmin", lsa_before,
                              AMT "AMT_GeneralSettings");
    g_assert_cmpint(old_lsa_reply->status, ==, 401);
    /* the audit log keeps who activated and who deactivated */
    g_assert_true(audit_has(e, 1601, "$$OsAdmin"));
    g_assert_true(audit_has(e, 1619, "admin"));
    env_free(e);
}

/* An ACL manager cannot hand out realms it does not hold itself */
static void test_acl_realm_user(void)
{
    static const unsigned acl_only[] = { VAMT_REALM_ACL };
    static const unsigned acl_and_asset[] = {
        VAMT_REALM_ACL, VAMT_REALM_HARDWARE_ASSET,
    };
    Env *e = env_new();
    g_autofree char *handle = add_user(e, "manager", "M@nager1",
                                       VAMT_ACCESS_NETWORK, acl_and_asset,
                                       2, "0");
    g_autoptr(Reply) grant_admin = wsman_invoke(
        e, "manager", "M@nager1", AUTH_SERVICE, "AddUserAclEntryEx",
        "<r:DigestUsername>boss</r:DigestUsername><r:DigestPassword>"
        "0123456789abcdef0123456789abcdef</r:DigestPassword>"
        "<r:Realms>3</r:Realms>");
    g_autoptr(Reply) grant_asset = wsman_invoke(
        e, "manager", "M@nager1", AUTH_SERVICE, "AddUserAclEntryEx",
        "<r:DigestUsername>clerk</r:DigestUsername><r:DigestPassword>"
        "0123456789abcdef0123456789abcdef</r:DigestPassword>"
        "<r:Realms>4</r:Realms>");
    g_autoptr(Reply) set_admin = wsman_invoke(
        e, "manager", "M@nager1", AUTH_SERVICE, "SetAdminAclEntryEx",
        "<r:Username>admin</r:Username><r:DigestPassword>"
        "0123456789abcdef0123456789abcdef</r:DigestPassword>");
    g_autoptr(Reply) list = wsman_invoke(e, "manager", "M@nager1",
                                         AUTH_SERVICE,
                                         "EnumerateUserAclEntries",
                                         "<r:StartIndex>1</r:StartIndex>");
    g_autofree char *acl_handle = add_user(e, "acl-only", "Acl-0nly",
                                           VAMT_ACCESS_NETWORK, acl_only, 1,
                                           "0");
    g_autoptr(Reply) escalate = NULL;
    g_autofree char *escalate_args = g_strdup_printf(
        "<r:Handle>%s</r:Handle><r:Realms>4</r:Realms><r:Realms>21"
        "</r:Realms>", acl_handle);

    assert_return_value(grant_admin, "16");
    assert_return_value(grant_asset, "0");
    assert_access_denied(set_admin);
    assert_return_value(list, "0");
    g_assert_cmpuint(vamt_amt_user_realms(vamt_me_amt(e->me), "boss"), ==, 0);

    /* nor may it give itself, or a peer, more than it has */
    escalate = wsman_invoke(e, "acl-only", "Acl-0nly", AUTH_SERVICE,
                            "UpdateUserAclEntryEx", escalate_args);
    assert_return_value(escalate, "16");
    g_assert_nonnull(handle);    /* the entry was created */
    env_free(e);
}

/* Enumeration contexts are shared; Pull needs the class's realm too */
static void test_pull_needs_realm(void)
{
    Env *e = env_new();
    g_autofree char *handle = add_user(e, "inventory", "Inv3nt0ry!",
                                       VAMT_ACCESS_NETWORK, hardware_asset,
                                       1, "0");
    g_autofree char *enum_env = vamt_test_wsman_envelope(
        NS_ENUM "/Enumerate", AMT "AMT_AuditLog",
        "<Enumerate xmlns=\"" NS_ENUM "\"/>");
    g_autoptr(Reply) started = post_as(e, "admin", PASSWORD, "/wsman",
                                       enum_env);
    g_autofree char *context = element_text(started, "EnumerationContext");
    g_autofree char *pull_body = g_strdup_printf(
        "<Pull xmlns=\"" NS_ENUM "\"><EnumerationContext>%s"
        "</EnumerationContext></Pull>", context);
    g_autofree char *pull_env = vamt_test_wsman_envelope(
        NS_ENUM "/Pull", AMT "AMT_AuditLog", pull_body);
    g_autoptr(Reply) stolen = post_as(e, "inventory", "Inv3nt0ry!", "/wsman",
                                      pull_env);
    g_autoptr(Reply) own = post_as(e, "admin", PASSWORD, "/wsman",
                                   pull_env);

    g_assert_cmpint(started->status, ==, 200);
    assert_access_denied(stolen);
    g_assert_cmpint(own->status, ==, 200);
    g_assert_nonnull(strstr(own->body->str, "AMT_AuditLog"));
    g_assert_nonnull(handle);    /* the entry was created */
    env_free(e);
}

/* The realm table itself */
static void test_realm_map(void)
{
    const uint32_t rc = VAMT_ACL_REALM(VAMT_REALM_REMOTE_CONTROL);
    const uint32_t ha = VAMT_ACL_REALM(VAMT_REALM_HARDWARE_ASSET);
    const uint32_t pt = VAMT_ACL_REALM(VAMT_REALM_PT_ADMINISTRATION);
    const uint32_t gi = VAMT_ACL_REALM(VAMT_REALM_GENERAL_INFO);
    const uint32_t elr = VAMT_ACL_REALM(VAMT_REALM_EVENT_LOG_READER);

    g_assert_cmphex(vamt_acl_wsman_realms("CIM_PowerManagementService",
                                          VAMT_ACL_INVOKE,
                                          "RequestPowerStateChange"), ==, rc);
    g_assert_true(vamt_acl_wsman_realms("CIM_Processor", VAMT_ACL_READ,
                                        NULL) & ha);
    g_assert_true(vamt_acl_wsman_realms("AMT_GeneralSettings",
                                        VAMT_ACL_READ, NULL) & gi);
    g_assert_cmphex(vamt_acl_wsman_realms("AMT_GeneralSettings",
                                          VAMT_ACL_WRITE, NULL), ==, pt);
    g_assert_true(vamt_acl_wsman_realms("AMT_MessageLog", VAMT_ACL_INVOKE,
                                        "GetRecords") & elr);
    /* unknown classes fail closed */
    g_assert_cmphex(vamt_acl_wsman_realms("AMT_Nope", VAMT_ACL_READ, NULL),
                    ==, pt);
    g_assert_cmphex(vamt_acl_eoi_realms("/RemoteControlService",
                                        "RemoteControl"), ==, rc);
    g_assert_cmphex(vamt_acl_eoi_realms("/SecurityAdministrationService",
                                        "GetCoreVersion"), ==,
                    VAMT_ACL_ANY_USER);

    /* PT Administration stands for every realm; admin holds all */
    g_assert_true(vamt_acl_permits(pt, rc));
    g_assert_true(vamt_acl_permits(UINT32_MAX, ha));
    g_assert_false(vamt_acl_permits(ha, rc));
    g_assert_false(vamt_acl_permits(0, gi));
    g_assert_true(vamt_acl_permits(0, VAMT_ACL_ANY_USER));
}

/*
 * SetAdminAclEntryEx renamed the admin onto an existing user's name; the
 * two accounts then shared a name and the admin-secret went to "bob".
 */
static void test_admin_rename(void)
{
    Env *e = env_new();
    g_autofree char *bob = add_user(e, "bob", "B0b-pass", VAMT_ACCESS_NETWORK,
                                    hardware_asset, 1, "0");
    VamtAmtState *s = vamt_amt_state(vamt_me_amt(e->me));

    /* onto an existing user: PT_STATUS_DUPLICATE, nothing changed */
    set_admin(e, "admin", PASSWORD, "bob", "Adm1n-as-bob", "2058");
    g_assert_cmpstr(s->admin_name, ==, "admin");
    g_assert_cmpint(chassis_status(e, "admin", PASSWORD), ==, 200);
    g_assert_cmpint(chassis_status(e, "bob", "B0b-pass"), ==, 200);
    g_assert_cmpint(chassis_status(e, "bob", "Adm1n-as-bob"), ==, 401);

    /* nor can a user entry be renamed onto the admin's name */
    update_user(e, bob, "admin", "B0b-pass", "2058");

    /* a rename to a free name is allowed ... */
    set_admin(e, "admin", PASSWORD, "root", "R00t-pass", "0");
    g_assert_cmpint(chassis_status(e, "root", "R00t-pass"), ==, 200);
    g_assert_cmpint(chassis_status(e, "admin", PASSWORD), ==, 401);

    /*
     * ... and the admin-secret is the owner's way in as "admin": it sets
     * the admin account's password and gives it its name back
     */
    vamt_me_set_admin_password(e->me, "N3w-s3cret");
    g_free(e->nonce);
    e->nonce = vamt_test_http_nonce(e->me);
    g_assert_cmpint(chassis_status(e, "admin", "N3w-s3cret"), ==, 200);
    g_assert_cmpint(chassis_status(e, "root", "R00t-pass"), ==, 401);
    g_assert_cmpuint(vamt_amt_user_realms(vamt_me_amt(e->me), "admin"), ==,
                     UINT32_MAX);
    g_assert_cmpint(chassis_status(e, "bob", "B0b-pass"), ==, 200);
    g_assert_cmpint(chassis_status(e, "bob", "N3w-s3cret"), ==, 401);

    /* renamed again, and a user took "admin": the name stays "root" */
    set_admin(e, "admin", "N3w-s3cret", "root", "R00t-pass", "0");
    {
        char ha1[VAMT_AMT_HA1_HEX_LEN + 1];

        vamt_digest_ha1("admin", e->realm, "Us3r-admin", ha1);
        g_assert_cmpuint(vamt_amt_add_user(vamt_me_amt(e->me), "admin", ha1,
                                           VAMT_ACCESS_NETWORK,
                                           1u << VAMT_REALM_HARDWARE_ASSET),
                         !=, 0);
    }
    vamt_me_set_admin_password(e->me, "N3w-s3cret");
    g_free(e->nonce);
    e->nonce = vamt_test_http_nonce(e->me);
    g_assert_cmpint(chassis_status(e, "root", "N3w-s3cret"), ==, 200);
    g_assert_cmpuint(vamt_amt_user_realms(vamt_me_amt(e->me), "root"), ==,
                     UINT32_MAX);
    g_assert_cmpint(chassis_status(e, "admin", "Us3r-admin"), ==, 200);
    env_free(e);
}

/*
 * The handle counter wrapped to 0: AddUserAclEntryEx then answered
 * PT_MAX_LIMIT_REACHED but left an entry of handle 0, unaudited.
 */
static void test_handle_wrap(void)
{
    Env *e = env_new();
    VamtAmtState *s = vamt_amt_state(vamt_me_amt(e->me));
    g_autofree char *first = add_user(e, "first", "F1rst-pass",
                                      VAMT_ACCESS_NETWORK, hardware_asset, 1,
                                      "0");
    g_autofree char *last = NULL;
    g_autofree char *wrapped = NULL;
    g_autoptr(GPtrArray) before = NULL;
    g_autoptr(GPtrArray) after = NULL;
    unsigned in_use = 0;

    g_assert_cmpstr(first, ==, "1");
    s->next_user_handle = UINT32_MAX;
    last = add_user(e, "last", "L4st-pass", VAMT_ACCESS_NETWORK,
                    hardware_asset, 1, "0");
    g_assert_cmpstr(last, ==, "4294967295");

    /* past 2^32-1 the counter skips 0 and the handle 1 still in use */
    before = read_audit_log(e);
    wrapped = add_user(e, "wrapped", "Wr4pped!", VAMT_ACCESS_NETWORK,
                       hardware_asset, 1, "0");
    g_assert_cmpstr(wrapped, ==, "2");
    after = read_audit_log(e);
    g_assert_cmpuint(after->len, ==, before->len + 1);
    assert_acl_extended(audit_find(after, VAMT_AUDIT_ACL_ENTRY_ADDED), 0,
                        "wrapped");
    g_assert_cmpint(chassis_status(e, "wrapped", "Wr4pped!"), ==, 200);

    /* a full table adds nothing */
    for (unsigned i = 3; i < VAMT_AMT_MAX_USERS; i++) {
        g_autofree char *name = g_strdup_printf("user%u", i);
        g_autofree char *h = add_user(e, name, "Us3r-pass",
                                      VAMT_ACCESS_NETWORK, hardware_asset, 1,
                                      "0");

        g_assert_cmpstr(h, !=, "0");
    }
    g_free(add_user(e, "one-too-many", "0ne-more", VAMT_ACCESS_NETWORK,
                    hardware_asset, 1, "2059"));
    for (unsigned i = 0; i < VAMT_AMT_MAX_USERS; i++) {
        g_assert_true(!s->users[i].in_use || s->users[i].handle);
        in_use += s->users[i].in_use;
        g_assert_cmpstr(s->users[i].name, !=, "one-too-many");
    }
    g_assert_cmpuint(in_use, ==, VAMT_AMT_MAX_USERS);
    env_free(e);
}

/*
 * Consoles send MD5(user:realm:password), so only the weakest passwords
 * can be told; those are refused with PT_STATUS_INVALID_PARAMETER.
 */
static void test_weak_console_passwords(void)
{
    Env *e = env_new();
    g_autofree char *handle = NULL;
    VamtAmtState *s = vamt_amt_state(vamt_me_amt(e->me));

    g_free(add_user(e, "empty", "", VAMT_ACCESS_NETWORK, hardware_asset, 1,
                    "36"));
    g_free(add_user(e, "carol", "carol", VAMT_ACCESS_NETWORK, hardware_asset,
                    1, "36"));
    g_assert_false(vamt_amt_name_in_use(vamt_me_amt(e->me), "empty"));
    g_assert_false(vamt_amt_name_in_use(vamt_me_amt(e->me), "carol"));

    handle = add_user(e, "carol", "C4rol-pass", VAMT_ACCESS_NETWORK,
                      hardware_asset, 1, "0");
    update_user(e, handle, "carol", "", "36");
    update_user(e, handle, "dave", "dave", "36");
    g_assert_cmpint(chassis_status(e, "carol", "C4rol-pass"), ==, 200);

    set_admin(e, "admin", PASSWORD, "admin", "", "36");
    set_admin(e, "admin", PASSWORD, "admin", "admin", "36");
    g_assert_cmpstr(s->admin_name, ==, "admin");
    g_assert_cmpint(chassis_status(e, "admin", PASSWORD), ==, 200);
    env_free(e);
}

/*
 * A replayed request, even after many newer ones (the old memory held
 * 64), gets the 401 that tells the console to retry with the fresh nonce
 * it carries (stale="true").
 */
static void test_replay_gets_stale(void)
{
    Env *e = env_new();
    g_autoptr(Reply) first = NULL;
    g_autoptr(Reply) replay = NULL;
    g_autoptr(Reply) retry = NULL;
    g_autofree char *fresh = NULL;

    first = wsman_get(e, "admin", PASSWORD, CIM "CIM_Chassis");
    g_assert_cmpint(first->status, ==, 200);
    for (unsigned i = 0; i < 100; i++) {
        g_assert_cmpint(chassis_status(e, "admin", PASSWORD), ==, 200);
    }
    /* the first request again, byte for byte */
    e->nc = 0;
    replay = wsman_get(e, "admin", PASSWORD, CIM "CIM_Chassis");
    g_assert_cmpint(replay->status, ==, 401);
    g_assert_nonnull(strstr(replay->head->str, ",stale=\"true\","));

    /* the console follows the challenge and is served */
    fresh = vamt_test_challenge_nonce(replay->head->str);
    g_assert_cmpstr(fresh, !=, e->nonce);
    g_free(e->nonce);
    e->nonce = g_steal_pointer(&fresh);
    e->nc = 0;
    retry = wsman_get(e, "admin", PASSWORD, CIM "CIM_Chassis");
    g_assert_cmpint(retry->status, ==, 200);
    env_free(e);
}

static void test_password_policy(void)
{
    static const struct {
        const char *password;
        bool strong;
    } cases[] = {
        { "P@ssw0rd", true },
        { "Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!", true },      /* 32 */
        { "Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!x", false },    /* 33 */
        { "Aa1!Aa1", false },                               /* 7 */
        { "password1!", false },                            /* no upper */
        { "PASSWORD1!", false },                            /* no lower */
        { "Password!!", false },                            /* no digit */
        { "Password11", false },                            /* no special */
        { "Pass word11", false },                           /* space: not */
        { "Pass word1_", true },
        { "Pa\tssw0rd!", false },                          /* control */
        { "P\xc3\xa4ssw0rd!", false },                    /* not ASCII */
        { "", false },
        { NULL, false },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *shown = cases[i].password;

        g_test_message("%s", shown ? shown : "(none)");
        g_assert_cmpint(vamt_amt_password_is_strong(cases[i].password), ==,
                        cases[i].strong);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/acl/realm-map", test_realm_map);
    g_test_add_func("/acl/hardware-asset-user", test_hardware_asset_user);
    g_test_add_func("/acl/remote-control-user", test_remote_control_user);
    g_test_add_func("/acl/audit-acl-changes", test_acl_audit);
    g_test_add_func("/acl/lockout-audited", test_lockout_audited);
    g_test_add_func("/acl/local-only-user", test_local_only_user);
    g_test_add_func("/acl/local-system-account", test_local_system_account);
    g_test_add_func("/acl/host-based-setup", test_host_based_setup);
    g_test_add_func("/acl/acl-realm-user", test_acl_realm_user);
    g_test_add_func("/acl/pull-needs-realm", test_pull_needs_realm);
    g_test_add_func("/acl/admin-rename", test_admin_rename);
    g_test_add_func("/acl/handle-wrap", test_handle_wrap);
    g_test_add_func("/acl/weak-console-passwords",
                    test_weak_console_passwords);
    g_test_add_func("/acl/password-policy", test_password_policy);
    g_test_add_func("/acl/replay-gets-stale", test_replay_gets_stale);
    return g_test_run();
}
