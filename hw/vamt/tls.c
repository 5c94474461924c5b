/*
 * vAMT: TLS on AMT's port 16993 with the platform's credentials
 * (tls-creds=, a QCryptoTLSCreds of QEMU's): the listener on listen='s
 * host one port above 16992, each connection a QIOChannelTLS over which
 * the ME's WS-Management runs unchanged (listener.c).  The certificate
 * it presents is shown to consoles (AMT_PublicKeyCertificate): its DER
 * and names, read with GnuTLS from the credentials' directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qom/object.h"
#include "crypto/tlscreds.h"
#include "hw/vamt/vamt.h"
#include "trace/trace-hw_vamt.h"
#ifdef CONFIG_GNUTLS
#include <gnutls/x509.h>
#endif

#ifdef CONFIG_GNUTLS

/* A name as AMT writes it: "C=US,O=...,CN=...", in the certificate's order */
static char *vamt_tls_dn(gnutls_x509_dn_t dn)
{
    GString *out = g_string_new("");
    gnutls_x509_ava_st ava;

    for (int rdn = 0; ; rdn++) {
        int n = 0;

        while (!gnutls_x509_dn_get_rdn_ava(dn, rdn, n, &ava)) {
            g_autofree char *oid = g_strndup((const char *)ava.oid.data,
                                             ava.oid.size);

            g_string_append_printf(out, "%s%s=%.*s", out->len ? "," : "",
                                   gnutls_x509_dn_oid_name(oid,
                                       GNUTLS_X509_DN_OID_RETURN_OID),
                                   (int)ava.value.size, ava.value.data);
            n++;
        }
        if (!n) {
            return g_string_free(out, false);
        }
    }
}

/*
 * The certificate the credentials present (server-cert.pem in their
 * directory, its first certificate), for the ME to show; without one,
 * consoles see none, and TLS is served all the same
 */
static void vamt_tls_read_certificate(VamtState *s, Object *creds)
{
    g_autofree char *dir = object_property_get_str(creds, "dir", NULL);
    g_autofree char *path = NULL, *pem = NULL;
    gnutls_datum_t in, der = { 0 };
    gnutls_x509_crt_t crt;
    gnutls_x509_dn_t subject, issuer;
    gsize len;

    path = dir ? g_build_filename(dir, "server-cert.pem", NULL) : NULL;
    if (!path || !g_file_get_contents(path, &pem, &len, NULL) ||
        gnutls_x509_crt_init(&crt) < 0) {
        return;
    }
    in = (gnutls_datum_t) { .data = (unsigned char *)pem, .size = len };
    if (gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_PEM) >= 0 &&
        gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) >= 0 &&
        gnutls_x509_crt_get_subject(crt, &subject) >= 0 &&
        gnutls_x509_crt_get_issuer(crt, &issuer) >= 0) {
        s->tls_cert = g_memdup2(der.data, der.size);
        s->fw.remote_tls_cert = s->tls_cert;
        s->fw.remote_tls_cert_len = der.size;
        s->tls_subject = vamt_tls_dn(subject);
        s->tls_issuer = vamt_tls_dn(issuer);
        s->fw.remote_tls_subject = s->tls_subject;
        s->fw.remote_tls_issuer = s->tls_issuer;
    }
    gnutls_free(der.data);
    gnutls_x509_crt_deinit(crt);
}
#else
/* No GnuTLS, no TLS credentials objects: nothing to read */
static void vamt_tls_read_certificate(VamtState *s, Object *creds)
{
}
#endif

/*
 * tls-creds=: the id of a server's TLS credentials object (tls-creds-x509
 * endpoint=server), which 16993 presents; it needs listen=.
 */
bool vamt_tls_creds_realize(VamtState *s, Error **errp)
{
    Object *obj;

    if (!s->tls_creds_id) {
        if (!s->nontls_remote) {
            error_setg(errp, "nontls-remote=off needs tls-creds=: without "
                       "TLS a console would find no port at all");
            return false;
        }
        return true;
    }
    if (!s->listen && !s->netdev_id) {
        error_setg(errp, "tls-creds=%s needs listen= or netdev=: TLS "
                   "(16993, 16995) is served there", s->tls_creds_id);
        return false;
    }
    obj = object_resolve_path_component(object_get_objects_root(),
                                        s->tls_creds_id);
    if (!obj || !object_dynamic_cast(obj, TYPE_QCRYPTO_TLS_CREDS)) {
        error_setg(errp, "tls-creds=%s: no TLS credentials object of that "
                   "id", s->tls_creds_id);
        return false;
    }
    if (!qcrypto_tls_creds_check_endpoint(QCRYPTO_TLS_CREDS(obj),
                                          QCRYPTO_TLS_CREDS_ENDPOINT_SERVER,
                                          errp)) {
        error_prepend(errp, "tls-creds=%s: ", s->tls_creds_id);
        return false;
    }
    s->tls_creds = QCRYPTO_TLS_CREDS(obj);
    object_ref(obj);
    s->fw.remote_tls = true;
    s->fw.remote_plain_unsupported = !s->nontls_remote;
    /* consoles bring no client certificate unless asked: verify-peer=off */
    s->fw.remote_tls_mutual = object_property_get_bool(obj, "verify-peer",
                                                       NULL);
    vamt_tls_read_certificate(s, obj);
    return true;
}

/*
 * 16993 on listen='s host, one port above 16992's (as AMT's are), at
 * once (unless the NVRAM's TLS settings closed it); 16995's address,
 * three above, for when AMT listens there
 */
bool vamt_tls_listener_realize(VamtState *s, Error **errp)
{
    s->tls_address = vamt_service_address(s->listen, VAMT_PORT_WSMAN_TLS,
                                          errp);
    if (!s->tls_address ||
        !vamt_open_listener(s, VAMT_PORT_WSMAN_TLS, &s->tls_address,
                            &s->tls_listener, errp)) {
        return false;
    }
    s->redir_tls_address = vamt_service_address(s->listen,
                                                VAMT_PORT_REDIRECTION_TLS,
                                                errp);
    return s->redir_tls_address;
}

void vamt_tls_cleanup(VamtState *s)
{
    g_clear_pointer(&s->tls_listener, vamt_listener_free);
    g_clear_pointer(&s->tls_address, g_free);
    if (s->tls_creds) {
        object_unref(OBJECT(s->tls_creds));
        s->tls_creds = NULL;
    }
    s->fw.remote_tls_cert = NULL;
    s->fw.remote_tls_cert_len = 0;
    s->fw.remote_tls_subject = s->fw.remote_tls_issuer = NULL;
    g_clear_pointer(&s->tls_cert, g_free);
    g_clear_pointer(&s->tls_subject, g_free);
    g_clear_pointer(&s->tls_issuer, g_free);
}
