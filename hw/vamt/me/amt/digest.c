/*
 * vAMT ME core: HTTP Digest authentication as AMT consoles expect it
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdarg.h>
#include <string.h>

#include "digest.h"

/*
 * Replays: nc counts the requests a client made with one nonce (RFC 7616
 * 3.4), so each nonce remembers the highest nc it accepted and which of
 * the NC_WINDOW counts below it were used.  Counts below the window are
 * refused rather than forgotten, so no (nonce, nc, cnonce) is ever
 * accepted twice while the nonce lives; the window only lets parallel
 * connections that share a nonce arrive slightly out of order.
 */
#define NC_WINDOW       64
/* RFC 7616 says 8 hex digits; allow up to 64 bits for odd clients */
#define NC_MAX_DIGITS   16

typedef struct DigestNonce {
    char value[VAMT_DIGEST_NONCE_LEN + 1];      /* "" when the slot is free */
    int64_t last_used_ms;
    uint64_t highest_nc;        /* 0: no request accepted yet */
    uint64_t used_below;        /* bit i: highest_nc - i was accepted */
} DigestNonce;

/* What is remembered of one user's answers from one peer */
typedef struct DigestAccount {
    int64_t last_seen_ms;       /* for making room */
    unsigned failures;          /* consecutive wrong responses */
    int64_t locked_until_ms;    /* 0: not locked */
} DigestAccount;

struct VamtDigest {
    const VamtDigestOps *ops;
    void *opaque;
    char *realm;
    DigestNonce nonces[VAMT_DIGEST_NONCE_SLOTS];
    GHashTable *accounts;       /* "user\npeer" -> DigestAccount */
    GHashTable *audits;         /* user name -> last lock-out report, ms */
    unsigned max_failures;
    int64_t lockout_ms;
};

static int64_t digest_now(VamtDigest *digest)
{
    return digest->ops->clock_ms(digest->opaque);
}

VamtDigest *vamt_digest_new(const VamtDigestOps *ops, void *opaque,
                            const char *realm)
{
    VamtDigest *digest = g_new0(VamtDigest, 1);

    digest->ops = ops;
    digest->opaque = opaque;
    digest->realm = g_strdup(realm ? realm : "");
    digest->accounts = g_hash_table_new_full(g_str_hash, g_str_equal,
                                             g_free, g_free);
    digest->audits = g_hash_table_new_full(g_str_hash, g_str_equal,
                                           g_free, g_free);
    digest->max_failures = VAMT_DIGEST_MAX_FAILURES;
    digest->lockout_ms = VAMT_DIGEST_LOCKOUT_MS;
    return digest;
}

void vamt_digest_free(VamtDigest *digest)
{
    if (!digest) {
        return;
    }
    g_hash_table_destroy(digest->accounts);
    g_hash_table_destroy(digest->audits);
    g_free(digest->realm);
    g_free(digest);
}

void vamt_digest_set_realm(VamtDigest *digest, const char *realm)
{
    g_free(digest->realm);
    digest->realm = g_strdup(realm ? realm : "");
    /* Every HA1 depends on the realm, so old nonces prove nothing now. */
    vamt_digest_forget_nonces(digest);
}

const char *vamt_digest_realm(const VamtDigest *digest)
{
    return digest->realm;
}

const char *vamt_digest_generate_realm(VamtDigest *digest)
{
    uint8_t raw[16];
    GString *realm = g_string_new("Digest:");
    size_t i;

    digest->ops->random_bytes(digest->opaque, raw, sizeof(raw));
    for (i = 0; i < sizeof(raw); i++) {
        g_string_append_printf(realm, "%02X", raw[i]);
    }
    vamt_digest_set_realm(digest, realm->str);
    g_string_free(realm, TRUE);
    return digest->realm;
}

void vamt_digest_set_lockout(VamtDigest *digest, unsigned max_failures,
                             int64_t lockout_ms)
{
    digest->max_failures = max_failures;
    digest->lockout_ms = CLAMP(lockout_ms, 0, VAMT_DIGEST_MAX_LOCKOUT_MS);
    g_hash_table_remove_all(digest->accounts);
}

void vamt_digest_forget_nonces(VamtDigest *digest)
{
    memset(digest->nonces, 0, sizeof(digest->nonces));
}

static bool nonce_alive(const DigestNonce *n, int64_t now)
{
    return n->value[0] &&
           now - n->last_used_ms < VAMT_DIGEST_NONCE_LIFETIME_MS;
}

/* A free or expired slot, else the least recently used one. */
static DigestNonce *nonce_slot_for_new(VamtDigest *digest, int64_t now)
{
    DigestNonce *victim = &digest->nonces[0];
    size_t i;

    for (i = 0; i < VAMT_DIGEST_NONCE_SLOTS; i++) {
        DigestNonce *n = &digest->nonces[i];

        if (!nonce_alive(n, now)) {
            return n;
        }
        if (n->last_used_ms < victim->last_used_ms) {
            victim = n;
        }
    }
    return victim;
}

static DigestNonce *nonce_find(VamtDigest *digest, const char *value,
                               int64_t now)
{
    size_t i;

    for (i = 0; i < VAMT_DIGEST_NONCE_SLOTS; i++) {
        DigestNonce *n = &digest->nonces[i];

        if (nonce_alive(n, now) && strcmp(n->value, value) == 0) {
            return n;
        }
    }
    return NULL;
}

char *vamt_digest_challenge(VamtDigest *digest, bool stale)
{
    int64_t now = digest_now(digest);
    DigestNonce *slot = nonce_slot_for_new(digest, now);
    uint8_t raw[VAMT_DIGEST_NONCE_BYTES];
    char *b64;

    digest->ops->random_bytes(digest->opaque, raw, sizeof(raw));
    /* 24 bytes encode to exactly 32 characters: no '=' padding */
    b64 = g_base64_encode(raw, sizeof(raw));
    memset(slot, 0, sizeof(*slot));
    g_strlcpy(slot->value, b64, sizeof(slot->value));
    slot->last_used_ms = now;
    g_free(b64);

    /* AMT's punctuation, which MPS/RPS parse literally */
    return g_strdup_printf("Digest realm=\"%s\", nonce=\"%s\",stale=\"%s\","
                           "qop=\"auth\"", digest->realm, slot->value,
                           stale ? "true" : "false");
}

/* Header parsing */

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* If @p starts with the scheme name "Digest", the parameters after it. */
static const char *digest_scheme_params(const char *header)
{
    const char *p = skip_space(header);

    if (g_ascii_strncasecmp(p, "Digest", 6) != 0 ||
        (p[6] != '\0' && !is_space(p[6]))) {
        return NULL;
    }
    return p + 6;
}

static char **param_field(VamtDigestParams *params, const char *name,
                          size_t len)
{
    static const struct {
        const char *name;
        size_t offset;
    } fields[] = {
        { "username", offsetof(VamtDigestParams, username) },
        { "realm", offsetof(VamtDigestParams, realm) },
        { "nonce", offsetof(VamtDigestParams, nonce) },
        { "uri", offsetof(VamtDigestParams, uri) },
        { "response", offsetof(VamtDigestParams, response) },
        { "algorithm", offsetof(VamtDigestParams, algorithm) },
        { "qop", offsetof(VamtDigestParams, qop) },
        { "nc", offsetof(VamtDigestParams, nc) },
        { "cnonce", offsetof(VamtDigestParams, cnonce) },
        { "opaque", offsetof(VamtDigestParams, opaque) },
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(fields); i++) {
        if (strlen(fields[i].name) == len &&
            g_ascii_strncasecmp(fields[i].name, name, len) == 0) {
            return (char **)((char *)params + fields[i].offset);
        }
    }
    return NULL;
}

void vamt_digest_params_clear(VamtDigestParams *params)
{
    g_free(params->username);
    g_free(params->realm);
    g_free(params->nonce);
    g_free(params->uri);
    g_free(params->response);
    g_free(params->algorithm);
    g_free(params->qop);
    g_free(params->nc);
    g_free(params->cnonce);
    g_free(params->opaque);
    memset(params, 0, sizeof(*params));
}

bool vamt_digest_parse(const char *header, VamtDigestParams *params)
{
    const char *p;

    memset(params, 0, sizeof(*params));
    p = header ? digest_scheme_params(header) : NULL;
    if (!p) {
        return false;
    }

    for (;;) {
        const char *name;
        size_t name_len;
        char *value;
        char **field;

        while (*p == ',' || is_space(*p)) {
            p++;
        }
        if (!*p) {
            break;
        }

        name = p;
        while (*p && *p != '=' && *p != ',' && !is_space(*p)) {
            p++;
        }
        name_len = p - name;
        p = skip_space(p);
        if (*p != '=' || name_len == 0) {
            goto fail;
        }
        p = skip_space(p + 1);

        if (*p == '"') {
            GString *quoted = g_string_new(NULL);

            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1]) {
                    p++;
                }
                g_string_append_c(quoted, *p);
            }
            if (*p != '"') {
                g_string_free(quoted, TRUE);
                goto fail;
            }
            p++;
            value = g_string_free(quoted, FALSE);
        } else {
            const char *start = p;

            /* A bare token; may contain '=' (base64 cnonce) */
            while (*p && *p != ',' && !is_space(*p)) {
                p++;
            }
            value = g_strndup(start, p - start);
        }

        p = skip_space(p);
        if (*p && *p != ',') {
            g_free(value);
            goto fail;
        }

        field = param_field(params, name, name_len);
        if (field && !*field) {
            *field = value;
        } else {
            /* unknown parameter, or a repeated one: the first wins */
            g_free(value);
        }
    }
    return true;

fail:
    vamt_digest_params_clear(params);
    return false;
}

/* Hashing */

/* MD5 of the arguments joined by ':' (NULL-terminated list) */
static void md5_hex_joined(char out[VAMT_DIGEST_HEX_LEN + 1], ...)
{
    GChecksum *sum = g_checksum_new(G_CHECKSUM_MD5);
    const char *part;
    bool first = true;
    va_list ap;

    va_start(ap, out);
    while ((part = va_arg(ap, const char *)) != NULL) {
        if (!first) {
            g_checksum_update(sum, (const guchar *)":", 1);
        }
        g_checksum_update(sum, (const guchar *)part, strlen(part));
        first = false;
    }
    va_end(ap);
    g_strlcpy(out, g_checksum_get_string(sum), VAMT_DIGEST_HEX_LEN + 1);
    g_checksum_free(sum);
}

void vamt_digest_ha1(const char *user, const char *realm,
                     const char *password,
                     char ha1_hex[VAMT_DIGEST_HEX_LEN + 1])
{
    md5_hex_joined(ha1_hex, user, realm, password, NULL);
}

bool vamt_digest_hex_equal(const char *expected, const char *given)
{
    unsigned diff = 0;
    size_t i;

    if (!expected || !given || strlen(expected) != VAMT_DIGEST_HEX_LEN ||
        strlen(given) != VAMT_DIGEST_HEX_LEN) {
        return false;
    }
    /*
     * Look at every digit whatever the outcome (CVE-2017-5689 was a
     * compare of strlen(given) bytes).  Only the client's value is case
     * folded, so no branch depends on the secret.
     */
    for (i = 0; i < VAMT_DIGEST_HEX_LEN; i++) {
        diff |= (unsigned char)expected[i] ^
                (unsigned char)g_ascii_tolower(given[i]);
    }
    return diff == 0;
}

static void lower_hex(char hex[VAMT_DIGEST_HEX_LEN + 1])
{
    size_t i;

    for (i = 0; hex[i]; i++) {
        hex[i] = g_ascii_tolower(hex[i]);
    }
}

/* nc is hex: "6" and "00000006" are the same count; 0 is no count */
static bool parse_nc(const char *text, uint64_t *nc)
{
    const char *digits = text;
    uint64_t value = 0;

    while (digits[0] == '0' && digits[1]) {
        digits++;
    }
    if (!*digits || strlen(digits) > NC_MAX_DIGITS) {
        return false;
    }
    for (; *digits; digits++) {
        if (!g_ascii_isxdigit(*digits)) {
            return false;
        }
        value = value << 4 | g_ascii_xdigit_value(*digits);
    }
    *nc = value;
    return value != 0;
}

/* Record count @nc under @n; false if it was used or fell out of memory. */
static bool nonce_note_use(DigestNonce *n, uint64_t nc)
{
    uint64_t behind;

    if (nc > n->highest_nc) {
        uint64_t ahead = nc - n->highest_nc;

        n->used_below = ahead >= NC_WINDOW ? 0 : n->used_below << ahead;
        n->used_below |= 1;
        n->highest_nc = nc;
        return true;
    }
    behind = n->highest_nc - nc;
    if (behind >= NC_WINDOW || (n->used_below & (UINT64_C(1) << behind))) {
        return false;
    }
    n->used_below |= UINT64_C(1) << behind;
    return true;
}

static char *account_key(const char *user, const char *peer)
{
    return g_strconcat(user, "\n", peer ? peer : "", NULL);
}

/* Drop the least recently seen pair that is not locked, if any */
static void accounts_make_room(VamtDigest *digest, int64_t now)
{
    GHashTableIter it;
    gpointer key, value;
    gpointer oldest = NULL;
    int64_t oldest_ms = INT64_MAX;

    g_hash_table_iter_init(&it, digest->accounts);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        DigestAccount *a = value;
        bool locked = a->locked_until_ms && now < a->locked_until_ms;

        if (!locked && a->last_seen_ms < oldest_ms) {
            oldest = key;
            oldest_ms = a->last_seen_ms;
        }
    }
    if (oldest) {
        g_hash_table_remove(digest->accounts, oldest);
    }
}

/* NULL when every remembered pair is locked and there is no room */
static DigestAccount *account_get(VamtDigest *digest, const char *user,
                                  const char *peer, int64_t now)
{
    g_autofree char *key = account_key(user, peer);
    DigestAccount *acct = g_hash_table_lookup(digest->accounts, key);

    if (!acct) {
        if (g_hash_table_size(digest->accounts) >=
            VAMT_DIGEST_MAX_ACCOUNTS) {
            accounts_make_room(digest, now);
        }
        if (g_hash_table_size(digest->accounts) >=
            VAMT_DIGEST_MAX_ACCOUNTS) {
            return NULL;
        }
        acct = g_new0(DigestAccount, 1);
        g_hash_table_insert(digest->accounts, g_steal_pointer(&key), acct);
    }
    acct->last_seen_ms = now;
    return acct;
}

static bool account_locked(VamtDigest *digest, DigestAccount *acct,
                           int64_t now)
{
    if (acct->locked_until_ms && now >= acct->locked_until_ms) {
        /* a clean slate: the next answer is judged on its own */
        acct->locked_until_ms = 0;
        acct->failures = 0;
    }
    return acct->locked_until_ms != 0;
}

bool vamt_digest_user_locked(VamtDigest *digest, const char *user)
{
    g_autofree char *key = account_key(user, NULL);
    DigestAccount *acct = g_hash_table_lookup(digest->accounts, key);

    return acct && account_locked(digest, acct, digest_now(digest));
}

/*
 * Each lock-out lasts exactly digest->lockout_ms, however often it
 * happens: lock-outs never grow or stack.  An attacker who keeps
 * guessing can re-lock the account, but the audit log gets one record
 * per user per VAMT_DIGEST_LOCKOUT_AUDIT_MS, so hammering cannot push
 * the other records out of the ring.
 */
static void account_failed(VamtDigest *digest, DigestAccount *acct,
                           const char *user, int64_t now)
{
    int64_t *last_audit;

    if (!digest->max_failures) {
        return;
    }
    acct->failures++;
    if (acct->failures < digest->max_failures) {
        return;
    }
    /* never 0, which means "not locked" */
    acct->locked_until_ms = MAX(now + digest->lockout_ms, 1);
    acct->failures = 0;
    /* one report per user, whichever peers it comes from */
    last_audit = g_hash_table_lookup(digest->audits, user);
    if (last_audit && now - *last_audit < VAMT_DIGEST_LOCKOUT_AUDIT_MS) {
        return;
    }
    if (!last_audit) {
        last_audit = g_new(int64_t, 1);
        g_hash_table_insert(digest->audits, g_strdup(user), last_audit);
    }
    *last_audit = now;
    if (digest->ops->locked_out) {
        digest->ops->locked_out(digest->opaque, user);
    }
}

/* On success *@nc is the request's count. */
static bool params_complete(const VamtDigestParams *params, uint64_t *nc)
{
    if (!params->username || !params->realm || !params->nonce ||
        !params->uri || !params->response) {
        return false;
    }
    if (params->algorithm &&
        g_ascii_strcasecmp(params->algorithm, "MD5") != 0) {
        return false;
    }
    if (!params->qop) {
        /* the RFC 2069 form: well-formed, refused by vamt_digest_check() */
        return true;
    }
    if (g_ascii_strcasecmp(params->qop, "auth") != 0 &&
        g_ascii_strcasecmp(params->qop, "auth-int") != 0) {
        return false;
    }
    return params->nc && params->cnonce && parse_nc(params->nc, nc);
}

static void expected_response(const VamtDigestParams *params,
                              const char *ha1, const char *method,
                              const uint8_t *body, size_t body_len,
                              char out[VAMT_DIGEST_HEX_LEN + 1])
{
    char ha2[VAMT_DIGEST_HEX_LEN + 1];

    if (params->qop && g_ascii_strcasecmp(params->qop, "auth-int") == 0) {
        static const guchar empty[1];
        char *body_hash = g_compute_checksum_for_data(G_CHECKSUM_MD5,
                                                      body ? body : empty,
                                                      body_len);

        md5_hex_joined(ha2, method, params->uri, body_hash, NULL);
        g_free(body_hash);
    } else {
        md5_hex_joined(ha2, method, params->uri, NULL);
    }

    md5_hex_joined(out, ha1, params->nonce, params->nc, params->cnonce,
                   params->qop, ha2, NULL);
}

void vamt_digest_response(const char *ha1, const char *method,
                          const char *uri, const char *nonce,
                          const char *nc, const char *cnonce,
                          const char *qop,
                          char out[VAMT_DIGEST_HEX_LEN + 1])
{
    char ha2[VAMT_DIGEST_HEX_LEN + 1];

    md5_hex_joined(ha2, method, uri, NULL);
    if (qop) {
        md5_hex_joined(out, ha1, nonce, nc, cnonce, qop, ha2, NULL);
    } else {
        md5_hex_joined(out, ha1, nonce, ha2, NULL);
    }
}

VamtDigestResult vamt_digest_verify_from(VamtDigest *digest, const char *peer,
                                         const char *user,
                                         bool (*matches)(const char *ha1,
                                                         void *opaque),
                                         void *opaque)
{
    char ha1[VAMT_DIGEST_HEX_LEN + 1] = "";
    int64_t now = digest_now(digest);
    DigestAccount *acct;

    if (!user || !digest->ops->get_ha1(digest->opaque, user, peer, ha1)) {
        return VAMT_DIGEST_DENIED;
    }
    lower_hex(ha1);
    acct = account_get(digest, user, peer, now);
    if (!acct || account_locked(digest, acct, now)) {
        return VAMT_DIGEST_LOCKED;
    }
    if (!matches(ha1, opaque)) {
        account_failed(digest, acct, user, now);
        return VAMT_DIGEST_DENIED;
    }
    acct->failures = 0;
    return VAMT_DIGEST_OK;
}

VamtDigestResult vamt_digest_check(VamtDigest *digest, const char *method,
                                   const char *uri,
                                   const char *authorization,
                                   const uint8_t *body, size_t body_len,
                                   char **user)
{
    return vamt_digest_check_from(digest, NULL, method, uri, authorization,
                                  body, body_len, user);
}

VamtDigestResult vamt_digest_check_from(VamtDigest *digest, const char *peer,
                                        const char *method, const char *uri,
                                        const char *authorization,
                                        const uint8_t *body, size_t body_len,
                                        char **user)
{
    VamtDigestParams params;
    char ha1[VAMT_DIGEST_HEX_LEN + 1];
    char expected[VAMT_DIGEST_HEX_LEN + 1];
    VamtDigestResult result;
    DigestAccount *acct;
    DigestNonce *nonce;
    uint64_t nc = 0;
    int64_t now = digest_now(digest);

    if (user) {
        *user = NULL;
    }
    if (!authorization || !digest_scheme_params(authorization)) {
        return VAMT_DIGEST_MISSING;
    }
    if (!vamt_digest_parse(authorization, &params)) {
        return VAMT_DIGEST_MALFORMED;
    }
    if (!params_complete(&params, &nc)) {
        result = VAMT_DIGEST_MALFORMED;
        goto out;
    }
    /*
     * AMT_AuthorizationService.AllowHttpQopAuthOnly is 1: the RFC 2069
     * form (no qop) has no nc, so its replays could not be told apart.
     */
    if (!params.qop || strcmp(params.realm, digest->realm) != 0 ||
        strcmp(params.uri, uri) != 0) {
        result = VAMT_DIGEST_DENIED;
        goto out;
    }

    memset(ha1, 0, sizeof(ha1));
    if (!digest->ops->get_ha1(digest->opaque, params.username, peer,
                               ha1)) {
        result = VAMT_DIGEST_DENIED;
        goto out;
    }
    lower_hex(ha1);

    acct = account_get(digest, params.username, peer, now);
    if (!acct || account_locked(digest, acct, now)) {
        /* even the right password is refused until the lock expires */
        result = VAMT_DIGEST_LOCKED;
        goto out;
    }

    expected_response(&params, ha1, method, body, body_len, expected);
    if (!vamt_digest_hex_equal(expected, params.response)) {
        account_failed(digest, acct, params.username, now);
        result = VAMT_DIGEST_DENIED;
        goto out;
    }
    /* The client knows the password; only the nonce may be at fault. */
    acct->failures = 0;

    nonce = nonce_find(digest, params.nonce, now);
    if (!nonce || !nonce_note_use(nonce, nc)) {
        result = VAMT_DIGEST_STALE;
        goto out;
    }
    nonce->last_used_ms = now;

    if (user) {
        *user = g_strdup(params.username);
    }
    result = VAMT_DIGEST_OK;

out:
    vamt_digest_params_clear(&params);
    return result;
}
