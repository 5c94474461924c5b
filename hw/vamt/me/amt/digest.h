/*
 * vAMT ME core: HTTP Digest authentication as AMT consoles expect it
 *
 * MD5 only, qop=auth advertised, auth-int accepted, the RFC 2069 form (no
 * qop) refused, as AMT_AuthorizationService.AllowHttpQopAuthOnly says.
 * Nonces live in a small ring and stay valid for a long time after their
 * last use, because consoles re-use one nonce for hundreds of requests;
 * each nonce accepts every nc at most once (a replay is answered as
 * stale, so the console retries with a fresh nonce).  Repeated wrong
 * passwords lock the account for a while (anti-hammering).  Time and
 * randomness come from the caller, so tests control both.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_DIGEST_H
#define VAMT_ME_DIGEST_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct VamtDigest VamtDigest;

/* 32 lower-case hex digits and a NUL */
#define VAMT_DIGEST_HEX_LEN         32
/* Nonces: 24 random bytes, base64 without padding */
#define VAMT_DIGEST_NONCE_BYTES     24
#define VAMT_DIGEST_NONCE_LEN       32
#define VAMT_DIGEST_NONCE_SLOTS     16
#define VAMT_DIGEST_NONCE_LIFETIME_MS   (30 * 60 * 1000)
/*
 * Anti-hammering defaults (no AMT document gives the numbers).
 *
 * Failures count, and lock out, per account and peer address (see
 * vamt_digest_check_from()): a guesser locks itself out, not the owner
 * at another address.  How the holder of the right password keeps a way
 * in: a lock-out starts after VAMT_DIGEST_MAX_FAILURES consecutive wrong
 * answers and lasts exactly the lock-out time (at most
 * VAMT_DIGEST_MAX_LOCKOUT_MS whatever vamt_digest_set_lockout() is
 * given); lock-outs never grow or stack, and once one has expired the
 * first correct answer succeeds and resets the count.  An attacker must
 * therefore spend a full set of wrong guesses after every expiry to keep
 * the account shut, and the lock-out state lives only in memory: the
 * admin-secret holder restarting QEMU starts without any.
 */
#define VAMT_DIGEST_MAX_FAILURES    5
#define VAMT_DIGEST_LOCKOUT_MS      (60 * 1000)
#define VAMT_DIGEST_MAX_LOCKOUT_MS  (15 * 60 * 1000)
/* (user, peer) pairs whose failures are remembered */
#define VAMT_DIGEST_MAX_ACCOUNTS    1024
/* At most one locked_out() report per user in this time */
#define VAMT_DIGEST_LOCKOUT_AUDIT_MS    (60 * 60 * 1000)

typedef struct VamtDigestOps {
    /* Fill @buf with @len unpredictable bytes. */
    void (*random_bytes)(void *opaque, uint8_t *buf, size_t len);
    /* Monotonic milliseconds. */
    int64_t (*clock_ms)(void *opaque);
    /*
     * Look up @user (case-sensitive) and copy its HA1 =
     * MD5(user:realm:password) as 32 hex digits into @ha1_hex.  Return
     * false if the account does not exist or may not log on from @peer
     * (the request's peer as given to the check, or NULL): some accounts
     * are local only (VAMT_PEER_LOCAL, base/conn.h), others network only.
     */
    bool (*get_ha1)(void *opaque, const char *user, const char *peer,
                    char ha1_hex[VAMT_DIGEST_HEX_LEN + 1]);
    /*
     * Optional: @user has just been locked out (for the audit log); at
     * most once per user per VAMT_DIGEST_LOCKOUT_AUDIT_MS.
     */
    void (*locked_out)(void *opaque, const char *user);
} VamtDigestOps;

typedef enum VamtDigestResult {
    VAMT_DIGEST_OK,
    VAMT_DIGEST_MISSING,        /* no Digest credentials (none, Basic, ...) */
    VAMT_DIGEST_MALFORMED,      /* unparsable or incomplete credentials */
    VAMT_DIGEST_DENIED,         /* unknown user, wrong hash/realm/uri */
    VAMT_DIGEST_STALE,          /* right hash, unknown/expired nonce, replay */
    VAMT_DIGEST_LOCKED,         /* account locked after repeated failures */
} VamtDigestResult;

/* The parameters of an Authorization: Digest header; NULL when absent. */
typedef struct VamtDigestParams {
    char *username;
    char *realm;
    char *nonce;
    char *uri;
    char *response;
    char *algorithm;
    char *qop;
    char *nc;
    char *cnonce;
    char *opaque;
} VamtDigestParams;

VamtDigest *vamt_digest_new(const VamtDigestOps *ops, void *opaque,
                            const char *realm);
void vamt_digest_free(VamtDigest *digest);

void vamt_digest_set_realm(VamtDigest *digest, const char *realm);
const char *vamt_digest_realm(const VamtDigest *digest);
/*
 * Make a fresh realm "Digest:" + 32 upper-case hex digits from the random
 * source, as at provisioning, and use it.  Returns the new realm.
 */
const char *vamt_digest_generate_realm(VamtDigest *digest);

/*
 * Change the anti-hammering policy; @max_failures 0 disables it.
 * @lockout_ms is cut to VAMT_DIGEST_MAX_LOCKOUT_MS.
 */
void vamt_digest_set_lockout(VamtDigest *digest, unsigned max_failures,
                             int64_t lockout_ms);

/* Invalidate every issued nonce (e.g. after an ACL change). */
void vamt_digest_forget_nonces(VamtDigest *digest);

/*
 * The value of a WWW-Authenticate header with a new nonce, punctuated
 * exactly as AMT does:
 *   Digest realm="...", nonce="...",stale="false",qop="auth"
 * Free with g_free().
 */
char *vamt_digest_challenge(VamtDigest *digest, bool stale);

/*
 * Check the Authorization header value @authorization (may be NULL) of a
 * request with @method and request-target @uri and the given body (used
 * only for qop=auth-int).  On VAMT_DIGEST_OK, *@user (if @user is not
 * NULL) receives the user name, to free with g_free().
 */
VamtDigestResult vamt_digest_check(VamtDigest *digest, const char *method,
                                   const char *uri,
                                   const char *authorization,
                                   const uint8_t *body, size_t body_len,
                                   char **user);
/*
 * The same for a request from @peer (an address as text, or NULL if the
 * transport cannot say): wrong answers count, and lock out, per user and
 * peer, so that an attacker guessing from one address does not lock the
 * account's owner out from another.  At most VAMT_DIGEST_MAX_ACCOUNTS
 * (user, peer) pairs are remembered; the oldest unlocked one makes room.
 */
VamtDigestResult vamt_digest_check_from(VamtDigest *digest, const char *peer,
                                        const char *method, const char *uri,
                                        const char *authorization,
                                        const uint8_t *body, size_t body_len,
                                        char **user);

/*
 * Authentication other than an HTTP request (redirection sessions), with
 * the same accounts and the same anti-hammering as
 * vamt_digest_check_from(): @matches is handed @user's HA1 (lower-case
 * hex) and says whether the peer's proof fits it.  VAMT_DIGEST_DENIED for
 * an unknown user or a wrong proof (which counts towards a lock-out),
 * VAMT_DIGEST_LOCKED while the (user, peer) pair is locked out.
 */
VamtDigestResult vamt_digest_verify_from(VamtDigest *digest, const char *peer,
                                         const char *user,
                                         bool (*matches)(const char *ha1,
                                                         void *opaque),
                                         void *opaque);

/*
 * The response a client computes: MD5(HA1:nonce:nc:cnonce:qop:HA2) with
 * HA2 = MD5(method:uri), or the RFC 2069 MD5(HA1:nonce:HA2) when @qop is
 * NULL (the redirection protocol's auth type 3 still uses it).
 */
void vamt_digest_response(const char *ha1, const char *method,
                          const char *uri, const char *nonce,
                          const char *nc, const char *cnonce,
                          const char *qop,
                          char out[VAMT_DIGEST_HEX_LEN + 1]);

/* Is @user currently locked out (from an unknown peer)? */
bool vamt_digest_user_locked(VamtDigest *digest, const char *user);

/*
 * Parse an Authorization header value leniently: scheme "Digest" in any
 * case, name=value or name="value" in any order, optional whitespace,
 * case-insensitive names, unknown names ignored.  Returns false if it is
 * not Digest or cannot be parsed.  Release with vamt_digest_params_clear().
 */
bool vamt_digest_parse(const char *header, VamtDigestParams *params);
void vamt_digest_params_clear(VamtDigestParams *params);

/* HA1 = MD5(user:realm:password) as lower-case hex. */
void vamt_digest_ha1(const char *user, const char *realm,
                     const char *password,
                     char ha1_hex[VAMT_DIGEST_HEX_LEN + 1]);

/*
 * Compare two 32-digit hex hashes in time independent of where they
 * differ (case-insensitive).  Anything that is not exactly 32 hex digits
 * is unequal: an empty or short response must never match.
 */
bool vamt_digest_hex_equal(const char *expected, const char *given);

#endif
