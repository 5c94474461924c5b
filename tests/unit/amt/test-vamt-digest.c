/*
 * Unit tests for the vAMT ME core's HTTP Digest authentication: the
 * challenge as consoles parse it, lenient parsing of what they send,
 * stale nonces, replays and the anti-hammering lockout.  Built
 * standalone (root meson.build), no QEMU.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdarg.h>
#include <string.h>

#include "digest.h"
#include "vamt-test-support.h"

/* MeshCentral's cnonce in a captured request */
#define MESH_CNONCE "432818f6e08bfbd3c5a5176bf9498b4a"

typedef VamtTestDigestEnv Env;

static void env_init(Env *env)
{
    vamt_test_digest_env_init(env, 1000000, 42);
}

/* What a console computes for admin POSTing to @uri */
static char *client_response(const char *password, const char *nonce,
                             const char *nc, const char *cnonce,
                             const char *uri)
{
    const VamtTestDigestAuth a = {
        .user = "admin", .realm = REALM, .password = password, .uri = uri,
        .nonce = nonce, .nc = nc, .cnonce = cnonce,
    };

    return vamt_test_digest_response(&a);
}

/* An Authorization header in MeshCentral's style (no spaces) */
static char *mesh_authorization(const char *password, const char *nonce,
                                const char *nc, const char *uri)
{
    const VamtTestDigestAuth a = {
        .user = "admin", .realm = REALM, .password = password, .uri = uri,
        .nonce = nonce, .nc = nc, .cnonce = MESH_CNONCE,
    };

    return vamt_test_digest_authorization(&a);
}

static VamtDigestResult env_check(Env *env, const char *hdr)
{
    return vamt_digest_check(env->digest, "POST", "/wsman", hdr, NULL, 0,
                             NULL);
}

/* env_check() of the header that @fmt and its arguments make */
static VamtDigestResult G_GNUC_PRINTF(2, 3)
env_check_printf(Env *env, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *hdr = NULL;

    va_start(ap, fmt);
    hdr = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return env_check(env, hdr);
}

/* How an admin's header for POST /wsman starts; the nonce follows */
#define ADMIN_AT_WSMAN \
    "Digest username=\"admin\",realm=\"" REALM "\",nonce=\"%s\"," \
    "uri=\"/wsman\","

static void test_challenge_shape(void)
{
    Env env;
    char *challenge;
    char *nonce;
    GRegex *shape = g_regex_new("^Digest realm=\"Digest:[0-9A-F]{32}\", "
                                "nonce=\"[A-Za-z0-9+/]{32}\","
                                "stale=\"false\",qop=\"auth\"$", 0, 0, NULL);

    env_init(&env);
    challenge = vamt_digest_challenge(env.digest, false);
    g_assert_true(g_regex_match(shape, challenge, 0, NULL));
    g_assert_true(g_str_has_prefix(challenge,
                                   "Digest realm=\"" REALM "\", nonce=\""));
    nonce = vamt_test_challenge_nonce(challenge);
    /* MeshCentral splits on '=': no padding ever */
    g_assert_null(strchr(nonce, '='));
    g_assert_cmpuint(strlen(nonce), ==, 32);
    g_free(nonce);
    g_free(challenge);

    challenge = vamt_digest_challenge(env.digest, true);
    g_assert_nonnull(strstr(challenge, ",stale=\"true\",qop=\"auth\""));
    g_free(challenge);
    g_regex_unref(shape);
    vamt_test_digest_env_destroy(&env);
}

static void test_generate_realm(void)
{
    Env env;
    const char *realm;
    GRegex *shape = g_regex_new("^Digest:[0-9A-F]{32}$", 0, 0, NULL);

    env_init(&env);
    realm = vamt_digest_generate_realm(env.digest);
    g_assert_true(g_regex_match(shape, realm, 0, NULL));
    g_assert_cmpstr(vamt_digest_realm(env.digest), ==, realm);
    g_regex_unref(shape);
    vamt_test_digest_env_destroy(&env);
}

static void test_parse_lenient(void)
{
    VamtDigestParams p;

    /* LWP (amttool): spaces, algorithm quoted, qop/nc bare */
    g_assert_true(vamt_digest_parse(
        "Digest username=\"admin\", realm=\"" REALM "\", qop=auth, "
        "algorithm=\"MD5\", uri=\"/RemoteControlService\", "
        "nonce=\"rRyrstMW+82/vefuJmIJ85kU13iaoaF7\", nc=00000002, "
        "cnonce=\"6b053b28\", response=\"abc\"", &p));
    g_assert_cmpstr(p.username, ==, "admin");
    g_assert_cmpstr(p.realm, ==, REALM);
    g_assert_cmpstr(p.qop, ==, "auth");
    g_assert_cmpstr(p.algorithm, ==, "MD5");
    g_assert_cmpstr(p.uri, ==, "/RemoteControlService");
    g_assert_cmpstr(p.nonce, ==, "rRyrstMW+82/vefuJmIJ85kU13iaoaF7");
    g_assert_cmpstr(p.nc, ==, "00000002");
    g_assert_cmpstr(p.cnonce, ==, "6b053b28");
    g_assert_cmpstr(p.response, ==, "abc");
    vamt_digest_params_clear(&p);

    /* MPS: all quoted, no spaces; odd case, tabs, unknown names, '=' */
    g_assert_true(vamt_digest_parse(
        "digest\tUserName=\"admin\",REALM=\"r\",qop=\"auth\",nc=\"6\","
        "cnonce=ZWQ0NWE3YzBhNDNl=,foo=bar,  opaque=\"o\" ,nonce = \"n\"",
        &p));
    g_assert_cmpstr(p.username, ==, "admin");
    g_assert_cmpstr(p.realm, ==, "r");
    g_assert_cmpstr(p.qop, ==, "auth");
    g_assert_cmpstr(p.nc, ==, "6");
    g_assert_cmpstr(p.cnonce, ==, "ZWQ0NWE3YzBhNDNl=");
    g_assert_cmpstr(p.opaque, ==, "o");
    g_assert_cmpstr(p.nonce, ==, "n");
    g_assert_null(p.response);
    vamt_digest_params_clear(&p);

    /* quoted-string escapes */
    g_assert_true(vamt_digest_parse("Digest username=\"a\\\"b\\\\c\"", &p));
    g_assert_cmpstr(p.username, ==, "a\"b\\c");
    vamt_digest_params_clear(&p);

    /* not Digest, or broken */
    g_assert_false(vamt_digest_parse("Basic YWRtaW46UEBzc3cwcmQ=", &p));
    g_assert_false(vamt_digest_parse("Digestive username=\"a\"", &p));
    g_assert_false(vamt_digest_parse("Digest username=\"unterminated", &p));
    g_assert_false(vamt_digest_parse("Digest username", &p));
    g_assert_false(vamt_digest_parse("Digest =x", &p));
    g_assert_false(vamt_digest_parse("Digest a=b c=d", &p));
    g_assert_null(p.username);
}

static void test_hex_equal(void)
{
    const char *h = "441a49df0c1ca87bfd0bba7a9dd679eb";

    g_assert_true(vamt_digest_hex_equal(h, h));
    g_assert_true(vamt_digest_hex_equal(h, "441A49DF0C1CA87BFD0BBA7A9DD679EB"));
    /* a difference in the last digit counts as much as in the first */
    g_assert_false(vamt_digest_hex_equal(h,
                                         "441a49df0c1ca87bfd0bba7a9dd679ec"));
    g_assert_false(vamt_digest_hex_equal(h,
                                         "541a49df0c1ca87bfd0bba7a9dd679eb"));
    /* CVE-2017-5689: an empty or short response must never match */
    g_assert_false(vamt_digest_hex_equal(h, ""));
    g_assert_false(vamt_digest_hex_equal(h, "441a"));
    g_assert_false(vamt_digest_hex_equal(h,
                                         "441a49df0c1ca87bfd0bba7a9dd679eb0"));
    g_assert_false(vamt_digest_hex_equal(h, NULL));
}

/* A captured MeshCommander request, re-verified against its nonce */
static void test_capture_meshcommander(void)
{
    Env env;
    char *user = NULL;
    const char *hdr =
        "Digest username=\"admin\",realm=\"" REALM "\","
        "nonce=\"zkysRgboZgjJiPNZfHGx0bxKJhlNMMNV\",uri=\"/wsman\",qop=auth,"
        "response=\"441a49df0c1ca87bfd0bba7a9dd679eb\",nc=00000001,"
        "cnonce=\"432818f6e08bfbd3c5a5176bf9498b4a\"";
    char *mine;

    /* the test's own client computation agrees with the capture */
    mine = client_response(PASSWORD, "zkysRgboZgjJiPNZfHGx0bxKJhlNMMNV",
                           "00000001", MESH_CNONCE, "/wsman");
    g_assert_cmpstr(mine, ==, "441a49df0c1ca87bfd0bba7a9dd679eb");
    g_free(mine);

    env_init(&env);
    /* a nonce the device never issued: right hash, so stale */
    g_assert_cmpint(env_check(&env, hdr), ==, VAMT_DIGEST_STALE);
    vamt_test_issue_nonce(&env, "zkysRgboZgjJiPNZfHGx0bxKJhlNMMNV");
    g_assert_cmpint(vamt_digest_check(env.digest, "POST", "/wsman", hdr,
                                      NULL, 0, &user), ==, VAMT_DIGEST_OK);
    g_assert_cmpstr(user, ==, "admin");
    g_free(user);
    /* the same (nonce, nc, cnonce) again is a replay */
    g_assert_cmpint(env_check(&env, hdr), ==, VAMT_DIGEST_STALE);
    /* the uri must be the request's, literally */
    g_assert_cmpint(vamt_digest_check(env.digest, "POST", "/wsman/", hdr,
                                      NULL, 0, NULL), ==, VAMT_DIGEST_DENIED);
    vamt_test_digest_env_destroy(&env);
}

/* Captured amttool (LWP) and MPS forms */
static void test_capture_lwp_and_mps(void)
{
    Env env;
    const char *lwp =
        "Digest username=\"admin\", realm=\"" REALM "\", qop=auth, "
        "algorithm=\"MD5\", uri=\"/SecurityAdministrationService\", "
        "nonce=\"eyXaw4tfglOusR5Anfan9AHz+Rl9rJVH\", nc=00000001, "
        "cnonce=\"6b053b28\", response=\"7dc2a2effb896fd975d344ffb04c5be7\"";
    const char *lwp_bad =
        "Digest username=\"admin\", realm=\"" REALM "\", qop=auth, "
        "algorithm=\"MD5\", uri=\"/SecurityAdministrationService\", "
        "nonce=\"X6iP+AoAQoTnd2EBXcaPJYgewx+XaSFy\", nc=00000001, "
        "cnonce=\"6b053b35\", response=\"27e2e108a6e5bb3d332d2c72b4a79f70\"";
    const char *mps =
        "Digest username=\"admin\",realm=\"" REALM "\","
        "nonce=\"iWGGt3eAGo9oZyt7tRskBBTKMzNCfOfG\",uri=\"/wsman\","
        "qop=\"auth\",response=\"7fe9399aed1c69ff4f79ff4f913e8498\","
        "nc=\"00000001\",cnonce=\"o5vja\"";

    env_init(&env);
    vamt_test_issue_nonce(&env, "eyXaw4tfglOusR5Anfan9AHz+Rl9rJVH");
    vamt_test_issue_nonce(&env, "X6iP+AoAQoTnd2EBXcaPJYgewx+XaSFy");
    vamt_test_issue_nonce(&env, "iWGGt3eAGo9oZyt7tRskBBTKMzNCfOfG");
    g_assert_cmpint(vamt_digest_check(env.digest, "POST",
                                      "/SecurityAdministrationService", lwp,
                                      NULL, 0, NULL), ==, VAMT_DIGEST_OK);
    g_assert_cmpint(vamt_digest_check(env.digest, "POST",
                                      "/SecurityAdministrationService",
                                      lwp_bad, NULL, 0, NULL),
                    ==, VAMT_DIGEST_DENIED);
    g_assert_cmpint(env_check(&env, mps), ==, VAMT_DIGEST_OK);
    vamt_test_digest_env_destroy(&env);
}

static void test_rejections(void)
{
    Env env;
    char *nonce, *challenge, *rsp;

    env_init(&env);
    challenge = vamt_digest_challenge(env.digest, false);
    nonce = vamt_test_challenge_nonce(challenge);

    g_assert_cmpint(env_check(&env, NULL), ==, VAMT_DIGEST_MISSING);
    g_assert_cmpint(env_check(&env, "Basic YWRtaW46UEBzc3cwcmQ="), ==,
                    VAMT_DIGEST_MISSING);
    g_assert_cmpint(env_check(&env, "Digest username=\"admin\""), ==,
                    VAMT_DIGEST_MALFORMED);

    /* empty response (CVE-2017-5689) */
    g_assert_cmpint(env_check_printf(&env, ADMIN_AT_WSMAN "response=\"\"",
                                     nonce), ==, VAMT_DIGEST_DENIED);

    /* unknown user, with what would be the right hash for admin */
    rsp = client_response(PASSWORD, nonce, "1", "c", "/wsman");
    g_assert_cmpint(env_check_printf(&env, "Digest username=\"Admin\","
                                     "realm=\"%s\",nonce=\"%s\","
                                     "uri=\"/wsman\",qop=auth,nc=1,"
                                     "cnonce=c,response=%s",
                                     REALM, nonce, rsp),
                    ==, VAMT_DIGEST_DENIED);

    /* realm mismatch */
    g_assert_cmpint(env_check_printf(&env, "Digest username=\"admin\","
                                     "realm=\"Digest:0\",nonce=\"%s\","
                                     "uri=\"/wsman\",qop=auth,nc=1,"
                                     "cnonce=c,response=%s", nonce, rsp),
                    ==, VAMT_DIGEST_DENIED);

    /* algorithms other than MD5, qop we do not know, qop without nc */
    g_assert_cmpint(env_check_printf(&env, ADMIN_AT_WSMAN "qop=auth,nc=1,"
                                     "cnonce=c,algorithm=SHA-256,"
                                     "response=%s", nonce, rsp),
                    ==, VAMT_DIGEST_MALFORMED);
    g_assert_cmpint(env_check_printf(&env, ADMIN_AT_WSMAN "qop=auth-conf,"
                                     "nc=1,cnonce=c,response=%s", nonce, rsp),
                    ==, VAMT_DIGEST_MALFORMED);
    g_assert_cmpint(env_check_printf(&env, ADMIN_AT_WSMAN "qop=auth,"
                                     "response=%s", nonce, rsp),
                    ==, VAMT_DIGEST_MALFORMED);

    /* and the well-formed one passes, with algorithm=MD5 bare */
    g_assert_cmpint(env_check_printf(&env, ADMIN_AT_WSMAN "qop=auth,nc=1,"
                                     "cnonce=c,algorithm=MD5,response=%s",
                                     nonce, rsp),
                    ==, VAMT_DIGEST_OK);

    g_free(rsp);
    g_free(nonce);
    g_free(challenge);
    vamt_test_digest_env_destroy(&env);
}

static void test_rfc2069_and_auth_int(void)
{
    Env env;
    char *challenge = NULL, *nonce, *hdr, *ha1, *ha2, *kd, *rsp, *bodyhash;
    const char *body = "<Envelope/>";

    env_init(&env);
    challenge = vamt_digest_challenge(env.digest, false);
    nonce = vamt_test_challenge_nonce(challenge);
    ha1 = g_compute_checksum_for_string(G_CHECKSUM_MD5,
                                        "admin:" REALM ":" PASSWORD, -1);

    /*
     * RFC 2069: response = MD5(HA1:nonce:HA2), right but refused: it has
     * no nc to tell replays apart (AllowHttpQopAuthOnly is 1).
     */
    ha2 = vamt_test_md5_hex("POST:/wsman");
    kd = g_strdup_printf("%s:%s:%s", ha1, nonce, ha2);
    rsp = vamt_test_md5_hex(kd);
    hdr = g_strdup_printf("Digest username=\"admin\", realm=\"%s\", "
                          "nonce=\"%s\", uri=\"/wsman\", response=\"%s\"",
                          REALM, nonce, rsp);
    g_assert_cmpint(env_check(&env, hdr), ==, VAMT_DIGEST_DENIED);
    g_assert_cmpint(env_check(&env, hdr), ==, VAMT_DIGEST_DENIED);
    g_free(ha2);
    g_free(kd);
    g_free(rsp);
    g_free(hdr);

    /* auth-int: HA2 = MD5(method:uri:MD5(body)) (MeshCentral on AMT 14+) */
    bodyhash = vamt_test_md5_hex(body);
    kd = g_strdup_printf("POST:/wsman:%s", bodyhash);
    ha2 = vamt_test_md5_hex(kd);
    g_free(kd);
    kd = g_strdup_printf("%s:%s:00000001:abcd:auth-int:%s", ha1, nonce, ha2);
    rsp = vamt_test_md5_hex(kd);
    hdr = g_strdup_printf("Digest username=\"admin\",realm=\"%s\","
                          "nonce=\"%s\",uri=\"/wsman\",qop=auth-int,"
                          "nc=00000001,cnonce=\"abcd\",response=\"%s\"",
                          REALM, nonce, rsp);
    g_assert_cmpint(vamt_digest_check(env.digest, "POST", "/wsman", hdr,
                                      (const uint8_t *)body, strlen(body),
                                      NULL), ==, VAMT_DIGEST_OK);
    /* a different body does not match (and this is not a replay) */
    g_assert_cmpint(vamt_digest_check(env.digest, "POST", "/wsman", hdr,
                                      (const uint8_t *)"<x/>", 4, NULL),
                    ==, VAMT_DIGEST_DENIED);

    g_free(bodyhash);
    g_free(ha1);
    g_free(ha2);
    g_free(kd);
    g_free(rsp);
    g_free(hdr);
    g_free(nonce);
    g_free(challenge);
    vamt_test_digest_env_destroy(&env);
}

/* One nonce serves many requests with growing nc, across a long time */
static void test_nonce_lifetime(void)
{
    Env env;
    char *challenge, *nonce, *hdr;
    int i;

    env_init(&env);
    challenge = vamt_digest_challenge(env.digest, false);
    nonce = vamt_test_challenge_nonce(challenge);

    for (i = 1; i <= 300; i++) {
        char *nc = g_strdup_printf("%08x", i);

        hdr = mesh_authorization(PASSWORD, nonce, nc, "/wsman");
        g_assert_cmpint(env_check(&env, hdr), ==, VAMT_DIGEST_OK);
        g_free(hdr);
        g_free(nc);
        /* a poll every 10 s: each use extends the nonce's life */
        env.now_ms += 10 * 1000;
    }

    /* idle for less than the lifetime since the last use: still good */
    env.now_ms += VAMT_DIGEST_NONCE_LIFETIME_MS - 10 * 1000 - 1;
    hdr = mesh_authorization(PASSWORD, nonce, "00001000", "/wsman");
    g_assert_cmpint(env_check(&env, hdr), ==, VAMT_DIGEST_OK);
    g_free(hdr);

    /* idle for longer: stale, and only with the right password */
    env.now_ms += VAMT_DIGEST_NONCE_LIFETIME_MS;
    hdr = mesh_authorization(PASSWORD, nonce, "00001001", "/wsman");
    g_assert_cmpint(env_check(&env, hdr), ==, VAMT_DIGEST_STALE);
    g_free(hdr);
    hdr = mesh_authorization("wrong", nonce, "00001002", "/wsman");
    g_assert_cmpint(env_check(&env, hdr), ==, VAMT_DIGEST_DENIED);
    g_free(hdr);

    g_free(nonce);
    g_free(challenge);
    vamt_test_digest_env_destroy(&env);
}

/* The ring keeps the 16 most recently used nonces */
static void test_nonce_ring(void)
{
    Env env;
    char *first, *challenge, *hdr;
    int i;

    env_init(&env);
    challenge = vamt_digest_challenge(env.digest, false);
    first = vamt_test_challenge_nonce(challenge);
    g_free(challenge);

    /* keep using the first nonce while others are issued */
    for (i = 0; i < 40; i++) {
        char *nc = g_strdup_printf("%x", i + 1);

        env.now_ms += 100;
        g_free(vamt_digest_challenge(env.digest, false));
        env.now_ms += 100;
        hdr = mesh_authorization(PASSWORD, first, nc, "/wsman");
        g_assert_cmpint(env_check(&env, hdr), ==, VAMT_DIGEST_OK);
        g_free(hdr);
        g_free(nc);
    }
    /* 16 new challenges with no use of @first push it out */
    for (i = 0; i < VAMT_DIGEST_NONCE_SLOTS; i++) {
        env.now_ms += 100;
        g_free(vamt_digest_challenge(env.digest, false));
    }
    hdr = mesh_authorization(PASSWORD, first, "100", "/wsman");
    g_assert_cmpint(env_check(&env, hdr), ==, VAMT_DIGEST_STALE);
    g_free(hdr);

    /* forgetting nonces (ACL change) makes every nonce stale */
    challenge = vamt_digest_challenge(env.digest, false);
    g_free(first);
    first = vamt_test_challenge_nonce(challenge);
    vamt_digest_forget_nonces(env.digest);
    hdr = mesh_authorization(PASSWORD, first, "1", "/wsman");
    g_assert_cmpint(env_check(&env, hdr), ==, VAMT_DIGEST_STALE);
    g_free(hdr);

    g_free(challenge);
    g_free(first);
    vamt_test_digest_env_destroy(&env);
}

/* A MeshCentral-style console on the nonce of its last challenge */
typedef struct Console {
    Env *env;
    char *nonce;
    unsigned nc;
    const char *peer;           /* its address, NULL: not known */
} Console;

static VamtDigestResult attempt(Console *con, const char *password)
{
    g_autofree char *nc_hex = g_strdup_printf("%08x", ++con->nc);
    g_autofree char *hdr = mesh_authorization(password, con->nonce, nc_hex,
                                              "/wsman");

    if (con->peer) {
        return vamt_digest_check_from(con->env->digest, con->peer, "POST",
                                      "/wsman", hdr, NULL, 0, NULL);
    }
    return env_check(con->env, hdr);
}

static char *fresh_nonce(Env *env)
{
    g_autofree char *challenge = vamt_digest_challenge(env->digest, false);

    return vamt_test_challenge_nonce(challenge);
}

/*
 * Wrong answers lock out the peer that gave them, not the account: the
 * owner, from another address, still gets in; and a flood of peers
 * cannot make the ME forget a lock-out or grow without bound.
 */
static void test_lockout_per_peer(void)
{
    Env env;
    Console attacker = { .env = &env, .peer = "192.0.2.66" };
    Console owner = { .env = &env, .peer = "198.51.100.7" };
    Console other = { .env = &env };
    unsigned i;

    env_init(&env);
    attacker.nonce = fresh_nonce(&env);
    owner.nonce = fresh_nonce(&env);
    for (i = 0; i < VAMT_DIGEST_MAX_FAILURES; i++) {
        g_assert_cmpint(attempt(&attacker, "wrong"), ==, VAMT_DIGEST_DENIED);
    }
    g_assert_cmpint(attempt(&attacker, PASSWORD), ==, VAMT_DIGEST_LOCKED);
    g_assert_cmpint(attempt(&owner, PASSWORD), ==, VAMT_DIGEST_OK);
    g_assert_cmpuint(env.lockouts, ==, 1);

    /* many more peers than are remembered, each one wrong answer */
    for (i = 0; i < 2 * VAMT_DIGEST_MAX_ACCOUNTS; i++) {
        g_autofree char *peer = g_strdup_printf("10.%u.%u.%u", i >> 16,
                                                (i >> 8) & 0xff, i & 0xff);

        other.peer = peer;
        other.nonce = fresh_nonce(&env);
        g_assert_cmpint(attempt(&other, "wrong"), ==, VAMT_DIGEST_DENIED);
        g_free(other.nonce);
        env.now_ms++;
    }
    /* the lock-out in force is not what made room */
    g_free(attacker.nonce);
    attacker.nonce = fresh_nonce(&env);
    attacker.nc = 0;
    g_assert_cmpint(attempt(&attacker, PASSWORD), ==, VAMT_DIGEST_LOCKED);
    env.now_ms += VAMT_DIGEST_LOCKOUT_MS;
    g_assert_cmpint(attempt(&attacker, PASSWORD), ==, VAMT_DIGEST_OK);

    g_free(attacker.nonce);
    g_free(owner.nonce);
    vamt_test_digest_env_destroy(&env);
}

static void test_lockout(void)
{
    Env env;
    Console con = { .env = &env };
    char *challenge;
    unsigned i;

    env_init(&env);
    challenge = vamt_digest_challenge(env.digest, false);
    con.nonce = vamt_test_challenge_nonce(challenge);

    /* failures that are not consecutive do not lock */
    for (i = 0; i < VAMT_DIGEST_MAX_FAILURES - 1; i++) {
        g_assert_cmpint(attempt(&con, "wrong"), ==, VAMT_DIGEST_DENIED);
    }
    g_assert_cmpint(attempt(&con, PASSWORD), ==, VAMT_DIGEST_OK);
    g_assert_false(vamt_digest_user_locked(env.digest, "admin"));

    /* N consecutive failures lock the account */
    for (i = 0; i < VAMT_DIGEST_MAX_FAILURES; i++) {
        g_assert_cmpint(attempt(&con, "wrong"), ==, VAMT_DIGEST_DENIED);
    }
    g_assert_cmpuint(env.lockouts, ==, 1);
    g_assert_true(vamt_digest_user_locked(env.digest, "admin"));

    /* during the lockout even the right password is refused */
    g_assert_cmpint(attempt(&con, PASSWORD), ==, VAMT_DIGEST_LOCKED);
    env.now_ms += VAMT_DIGEST_LOCKOUT_MS - 1;
    g_assert_cmpint(attempt(&con, PASSWORD), ==, VAMT_DIGEST_LOCKED);
    g_assert_cmpint(attempt(&con, "wrong"), ==, VAMT_DIGEST_LOCKED);

    /* afterwards it is accepted again */
    env.now_ms += 1;
    g_assert_cmpint(attempt(&con, PASSWORD), ==, VAMT_DIGEST_OK);
    g_assert_false(vamt_digest_user_locked(env.digest, "admin"));
    g_assert_cmpuint(env.lockouts, ==, 1);

    /* with the policy off, failures never lock */
    vamt_digest_set_lockout(env.digest, 0, 0);
    for (i = 0; i < 3 * VAMT_DIGEST_MAX_FAILURES; i++) {
        g_assert_cmpint(attempt(&con, "wrong"), ==, VAMT_DIGEST_DENIED);
    }
    g_assert_cmpint(attempt(&con, PASSWORD), ==, VAMT_DIGEST_OK);

    g_free(con.nonce);
    g_free(challenge);
    vamt_test_digest_env_destroy(&env);
}

/*
 * A captured request must never pass again while its nonce lives, however
 * many requests the console makes meanwhile (the old memory kept only the
 * last 64 (nc, cnonce) pairs and then accepted the capture again).
 */
static void test_replay_never_accepted(void)
{
    Env env;
    g_autofree char *challenge = NULL;
    g_autofree char *nonce = NULL;
    g_autofree char *captured = NULL;
    g_autofree char *other_cnonce = NULL;
    unsigned nc;

    env_init(&env);
    challenge = vamt_digest_challenge(env.digest, false);
    nonce = vamt_test_challenge_nonce(challenge);
    captured = mesh_authorization(PASSWORD, nonce, "00000001", "/wsman");
    g_assert_cmpint(env_check(&env, captured), ==, VAMT_DIGEST_OK);

    for (nc = 2; nc <= 1000; nc++) {
        g_autofree char *nc_hex = g_strdup_printf("%08x", nc);
        g_autofree char *hdr = mesh_authorization(PASSWORD, nonce, nc_hex,
                                                  "/wsman");

        g_assert_cmpint(env_check(&env, hdr), ==, VAMT_DIGEST_OK);
        env.now_ms += 1000;
        /* the capture stays refused, and the nonce keeps working */
        if (nc % 10 == 0) {
            g_assert_cmpint(env_check(&env, captured), ==,
                            VAMT_DIGEST_STALE);
        }
    }
    g_assert_cmpint(env_check(&env, captured), ==, VAMT_DIGEST_STALE);

    /* the same count with another cnonce is no new request either */
    {
        const VamtTestDigestAuth a = {
            .user = "admin", .realm = REALM, .password = PASSWORD,
            .uri = "/wsman", .nonce = nonce, .nc = "000003e8",
            .cnonce = "fresh",
        };

        other_cnonce = vamt_test_digest_authorization(&a);
        g_assert_cmpint(env_check(&env, other_cnonce), ==,
                        VAMT_DIGEST_STALE);
    }
    vamt_test_digest_env_destroy(&env);
}

/* Parallel connections on one nonce may arrive slightly out of order */
static void test_replay_window(void)
{
    Env env;
    g_autofree char *challenge = NULL;
    g_autofree char *nonce = NULL;
    static const struct {
        const char *nc;
        VamtDigestResult result;
    } steps[] = {
        { "00000005", VAMT_DIGEST_OK },
        { "00000003", VAMT_DIGEST_OK },         /* late, never used */
        { "3", VAMT_DIGEST_STALE },             /* the same count */
        { "00000005", VAMT_DIGEST_STALE },
        { "00000050", VAMT_DIGEST_OK },
        { "00000011", VAMT_DIGEST_OK },         /* 63 behind: in memory */
        { "00000010", VAMT_DIGEST_STALE },      /* 64 behind: refused */
        { "00000004", VAMT_DIGEST_STALE },
        { "0", VAMT_DIGEST_MALFORMED },         /* counts start at 1 */
        { "1g", VAMT_DIGEST_MALFORMED },
        { "10000000000000000", VAMT_DIGEST_MALFORMED },
        { "ffffffffffffffff", VAMT_DIGEST_OK },
        { "fffffffffffffffe", VAMT_DIGEST_OK },
        { "ffffffffffffffff", VAMT_DIGEST_STALE },
    };

    env_init(&env);
    challenge = vamt_digest_challenge(env.digest, false);
    nonce = vamt_test_challenge_nonce(challenge);
    for (unsigned i = 0; i < G_N_ELEMENTS(steps); i++) {
        g_autofree char *hdr = mesh_authorization(PASSWORD, nonce,
                                                  steps[i].nc, "/wsman");

        g_test_message("nc=%s", steps[i].nc);
        g_assert_cmpint(env_check(&env, hdr), ==, steps[i].result);
    }
    vamt_test_digest_env_destroy(&env);
}

/*
 * Five wrong guesses a minute used to keep an account shut for ever and
 * write an audit record each time.  Each lock-out must end on time, the
 * right password must then pass, and the audit log gets one record per
 * user per VAMT_DIGEST_LOCKOUT_AUDIT_MS.
 */
static void test_lockout_bounded(void)
{
    Env env;
    Console attacker = { .env = &env };
    Console owner = { .env = &env };
    g_autofree char *challenge = NULL;
    unsigned cycle, i;
    unsigned cycles = 3 * VAMT_DIGEST_LOCKOUT_AUDIT_MS /
                      VAMT_DIGEST_LOCKOUT_MS;

    env_init(&env);
    challenge = vamt_digest_challenge(env.digest, false);
    attacker.nonce = vamt_test_challenge_nonce(challenge);
    g_free(challenge);
    challenge = vamt_digest_challenge(env.digest, false);
    owner.nonce = vamt_test_challenge_nonce(challenge);

    for (cycle = 0; cycle < cycles; cycle++) {
        for (i = 0; i < VAMT_DIGEST_MAX_FAILURES; i++) {
            g_assert_cmpint(attempt(&attacker, "wrong"), ==,
                            VAMT_DIGEST_DENIED);
        }
        g_assert_cmpint(attempt(&owner, PASSWORD), ==, VAMT_DIGEST_LOCKED);
        env.now_ms += VAMT_DIGEST_LOCKOUT_MS;
        g_assert_cmpint(attempt(&owner, PASSWORD), ==, VAMT_DIGEST_OK);
    }
    /* one record at the start of each audit interval, no more */
    g_assert_cmpuint(env.lockouts, ==, 3);

    /* a policy asking for a longer lock-out is cut to the maximum */
    vamt_digest_set_lockout(env.digest, 1, G_MAXINT64);
    g_assert_cmpint(attempt(&attacker, "wrong"), ==, VAMT_DIGEST_DENIED);
    g_assert_cmpint(attempt(&owner, PASSWORD), ==, VAMT_DIGEST_LOCKED);
    env.now_ms += VAMT_DIGEST_MAX_LOCKOUT_MS;
    g_assert_cmpint(attempt(&owner, PASSWORD), ==, VAMT_DIGEST_OK);

    g_free(attacker.nonce);
    g_free(owner.nonce);
    vamt_test_digest_env_destroy(&env);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/digest/challenge-shape", test_challenge_shape);
    g_test_add_func("/vamt/digest/generate-realm", test_generate_realm);
    g_test_add_func("/vamt/digest/parse-lenient", test_parse_lenient);
    g_test_add_func("/vamt/digest/hex-equal", test_hex_equal);
    g_test_add_func("/vamt/digest/capture-meshcommander",
                    test_capture_meshcommander);
    g_test_add_func("/vamt/digest/capture-lwp-mps", test_capture_lwp_and_mps);
    g_test_add_func("/vamt/digest/rejections", test_rejections);
    g_test_add_func("/vamt/digest/rfc2069-auth-int",
                    test_rfc2069_and_auth_int);
    g_test_add_func("/vamt/digest/nonce-lifetime", test_nonce_lifetime);
    g_test_add_func("/vamt/digest/nonce-ring", test_nonce_ring);
    g_test_add_func("/vamt/digest/lockout", test_lockout);
    g_test_add_func("/vamt/digest/replay-never-accepted",
                    test_replay_never_accepted);
    g_test_add_func("/vamt/digest/replay-window", test_replay_window);
    g_test_add_func("/vamt/digest/lockout-bounded", test_lockout_bounded);
    g_test_add_func("/vamt/digest/lockout-per-peer", test_lockout_per_peer);
    return g_test_run();
}
