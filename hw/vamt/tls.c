/*
 * vAMT: TLS on AMT's port 16993 with the platform's credentials
 * (tls-creds=, a QCryptoTLSCreds of QEMU's): the listener on listen='s
 * host one port above 16992, each connection a QIOChannelTLS over which
 * the ME's WS-Management runs unchanged (listener.c)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qom/object.h"
#include "crypto/tlscreds.h"
#include "hw/vamt/vamt.h"
#include "trace/trace-hw_vamt.h"

/*
 * tls-creds=: the id of a server's TLS credentials object (tls-creds-x509
 * endpoint=server), which 16993 presents; it needs listen=.
 */
bool vamt_tls_creds_realize(VamtState *s, Error **errp)
{
    Object *obj;

    if (!s->tls_creds_id) {
        return true;
    }
    if (!s->listen) {
        error_setg(errp, "tls-creds=%s needs listen=: TLS (16993) is "
                   "served on listen='s host only", s->tls_creds_id);
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
    /* consoles bring no client certificate unless asked: verify-peer=off */
    s->fw.remote_tls_mutual = object_property_get_bool(obj, "verify-peer",
                                                       NULL);
    return true;
}

/*
 * 16993 on listen='s host, one port above 16992's (as AMT's are), at
 * once; 16995's address, three above, for when AMT listens there
 */
bool vamt_tls_listener_realize(VamtState *s, Error **errp)
{
    g_autofree char *address = vamt_service_address(s->listen,
                                                    VAMT_PORT_WSMAN_TLS,
                                                    errp);

    if (!address) {
        return false;
    }
    s->tls_listener = vamt_listener_new(address,
                                        vamt_me_service(s->me,
                                                        VAMT_PORT_WSMAN_TLS),
                                        s->tls_creds, errp);
    if (!s->tls_listener) {
        error_prepend(errp, "TLS port (16993) at %s: ", address);
        return false;
    }
    trace_vamt_listener_open(VAMT_PORT_WSMAN_TLS, address,
                             vamt_listener_port(s->tls_listener));
    s->redir_tls_address = vamt_service_address(s->listen,
                                                VAMT_PORT_REDIRECTION_TLS,
                                                errp);
    return s->redir_tls_address;
}

void vamt_tls_cleanup(VamtState *s)
{
    g_clear_pointer(&s->tls_listener, vamt_listener_free);
    if (s->tls_creds) {
        object_unref(OBJECT(s->tls_creds));
        s->tls_creds = NULL;
    }
}
