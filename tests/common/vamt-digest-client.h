/*
 * HTTP Digest (RFC 2617, qop=auth) as a console computes it: HA1, HA2,
 * the response and the Authorization header, and the parameters of a
 * challenge.  Only glib: the unit tests and the benchmark (built without
 * QEMU) and the qtests (built inside QEMU) compile the same file.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_DIGEST_CLIENT_H
#define VAMT_DIGEST_CLIENT_H

#include <glib.h>

/* An MD5 in lower-case hex, with its NUL */
#define VAMT_TEST_MD5_HEX_SIZE  33

typedef struct VamtTestDigestAuth {
    const char *user;
    const char *realm;
    const char *password;
    const char *method;         /* "POST" if NULL */
    const char *uri;
    const char *nonce;
    const char *nc;
    const char *cnonce;
} VamtTestDigestAuth;

char *vamt_test_md5_hex(const char *s);
/* HA1 = MD5(user:realm:password) */
void vamt_test_digest_ha1(const char *user, const char *realm,
                          const char *password,
                          char ha1[VAMT_TEST_MD5_HEX_SIZE]);
/* The response for @a when its HA1 is known already (@a->password unused) */
void vamt_test_digest_response_ha1(const VamtTestDigestAuth *a,
                                   const char *ha1,
                                   char rsp[VAMT_TEST_MD5_HEX_SIZE]);
/* The response="..." value, in lower-case hex */
char *vamt_test_digest_response(const VamtTestDigestAuth *a);
/* Append the Authorization value for @a, whose HA1 is @ha1, to @out */
void vamt_test_digest_append_authorization(GString *out,
                                           const VamtTestDigestAuth *a,
                                           const char *ha1);
/* An Authorization value in MeshCentral's style (no spaces) */
char *vamt_test_digest_authorization(const VamtTestDigestAuth *a);
/* The @key="..." value in @text (a WWW-Authenticate, or a head); or NULL */
char *vamt_test_challenge_param(const char *text, const char *key);
/* The nonce="..." value in @text, which must have one */
char *vamt_test_challenge_nonce(const char *text);

#endif
