/*
 * HTTP Digest as a console computes it (see vamt-digest-client.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "vamt-digest-client.h"

static void md5_hex_into(const char *s, char hex[VAMT_TEST_MD5_HEX_SIZE])
{
    GChecksum *ck = g_checksum_new(G_CHECKSUM_MD5);

    g_checksum_update(ck, (const guchar *)s, strlen(s));
    g_strlcpy(hex, g_checksum_get_string(ck), VAMT_TEST_MD5_HEX_SIZE);
    g_checksum_free(ck);
}

char *vamt_test_md5_hex(const char *s)
{
    return g_compute_checksum_for_string(G_CHECKSUM_MD5, s, -1);
}

void vamt_test_digest_ha1(const char *user, const char *realm,
                          const char *password,
                          char ha1[VAMT_TEST_MD5_HEX_SIZE])
{
    g_autofree char *a1 = g_strdup_printf("%s:%s:%s", user, realm, password);

    md5_hex_into(a1, ha1);
}

void vamt_test_digest_response_ha1(const VamtTestDigestAuth *a,
                                   const char *ha1,
                                   char rsp[VAMT_TEST_MD5_HEX_SIZE])
{
    char ha2[VAMT_TEST_MD5_HEX_SIZE];
    g_autofree char *a2 = g_strdup_printf("%s:%s",
                                          a->method ? a->method : "POST",
                                          a->uri);
    g_autofree char *kd = NULL;

    md5_hex_into(a2, ha2);
    kd = g_strdup_printf("%s:%s:%s:%s:auth:%s", ha1, a->nonce, a->nc,
                         a->cnonce, ha2);
    md5_hex_into(kd, rsp);
}

char *vamt_test_digest_response(const VamtTestDigestAuth *a)
{
    char ha1[VAMT_TEST_MD5_HEX_SIZE], rsp[VAMT_TEST_MD5_HEX_SIZE];

    vamt_test_digest_ha1(a->user, a->realm, a->password, ha1);
    vamt_test_digest_response_ha1(a, ha1, rsp);
    return g_strdup(rsp);
}

void vamt_test_digest_append_authorization(GString *out,
                                           const VamtTestDigestAuth *a,
                                           const char *ha1)
{
    char rsp[VAMT_TEST_MD5_HEX_SIZE];

    vamt_test_digest_response_ha1(a, ha1, rsp);
    g_string_append_printf(out, "Digest username=\"%s\",realm=\"%s\","
                           "nonce=\"%s\",uri=\"%s\",qop=auth,"
                           "response=\"%s\",nc=%s,cnonce=\"%s\"",
                           a->user, a->realm, a->nonce, a->uri, rsp, a->nc,
                           a->cnonce);
}

char *vamt_test_digest_authorization(const VamtTestDigestAuth *a)
{
    char ha1[VAMT_TEST_MD5_HEX_SIZE];
    GString *out = g_string_new(NULL);

    vamt_test_digest_ha1(a->user, a->realm, a->password, ha1);
    vamt_test_digest_append_authorization(out, a, ha1);
    return g_string_free(out, FALSE);
}

char *vamt_test_challenge_param(const char *text, const char *key)
{
    g_autofree char *pat = g_strdup_printf("%s=\"", key);
    const char *p = strstr(text, pat);
    const char *end;

    if (!p) {
        return NULL;
    }
    p += strlen(pat);
    end = strchr(p, '"');
    return end ? g_strndup(p, end - p) : NULL;
}

char *vamt_test_challenge_nonce(const char *text)
{
    char *nonce;

    g_assert_nonnull(text);
    nonce = vamt_test_challenge_param(text, "nonce");
    g_assert_nonnull(nonce);
    return nonce;
}
