/*
 * vAMT ME core: the SOAP endpoints of port 16992/16993 — WS-Management
 * at /wsman and amttool's legacy EOI services — over the AMT object model
 * (docs/specs/vamt-wsman.rst, "WS-Management" and "Legacy EOI SOAP")
 *
 * The HTTP layer authenticates and de-frames a request; this layer turns
 * the body into a status, a content type and an envelope.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_WSMAN_H
#define VAMT_ME_WSMAN_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amt.h"
#include "http.h"

typedef struct VamtWsman VamtWsman;

/* Requests larger than this get an EncodingLimit fault */
#define VAMT_WSMAN_MAX_BODY         (256 * 1024)
/* Elements nested deeper than this get a SchemaValidationError fault */
#define VAMT_WSMAN_MAX_DEPTH        64
/*
 * An unauthenticated body larger than this gets 401 unparsed: Identify,
 * the only anonymous request, needs well under 1 KiB.
 */
#define VAMT_WSMAN_MAX_ANONYMOUS_BODY   VAMT_HTTP_MAX_ANONYMOUS_BODY_BYTES
/*
 * Open enumerations per user; beyond it the user's least recently used
 * is dropped.  There is room for every account's, so nobody can evict
 * another user's.
 */
#define VAMT_WSMAN_MAX_CONTEXTS     16
#define VAMT_WSMAN_MAX_ALL_CONTEXTS (VAMT_WSMAN_MAX_CONTEXTS * \
                                     (VAMT_AMT_MAX_USERS + 1))
#define VAMT_WSMAN_CONTEXT_IDLE_MS  (60 * 1000)

#define VAMT_WSMAN_CONTENT_TYPE     "application/soap+xml; charset=UTF-8"
#define VAMT_EOI_CONTENT_TYPE       "text/xml; charset=utf-8"

typedef struct VamtSoapResponse {
    int status;                 /* 200, 400, 401, 404, 500 */
    const char *content_type;   /* static string, NULL when no body */
    GString *body;              /* caller-allocated; appended to */
} VamtSoapResponse;

VamtWsman *vamt_wsman_new(VamtAmt *amt);
void vamt_wsman_free(VamtWsman *ws);

/*
 * Answer one POST to @path (/wsman, /wsman-anon or an EOI service
 * path).  @user is the Digest user, or NULL when unauthenticated: then
 * only Identify is answered and everything else gets 401.  The user's
 * realms (acl.h) decide what else it may do.  Unknown paths get 404 with
 * no body.
 */
void vamt_wsman_handle(VamtWsman *ws, const char *path, const char *user,
                       const uint8_t *body, size_t len,
                       VamtSoapResponse *rsp);

/*
 * Is @body a WS-Man Identify, which is served without authentication?
 * Bodies over VAMT_WSMAN_MAX_ANONYMOUS_BODY are not even parsed.
 */
bool vamt_wsman_is_identify(const uint8_t *body, size_t len);

/*
 * Glue for VamtHttpServerOps: GET / → 303 to /logon.htm, POST to the
 * SOAP paths → vamt_wsman_handle(), other methods → 405, other paths →
 * 404.  The anonymous check allows GET / and Identify.
 */
void vamt_wsman_http_handle(VamtWsman *ws, const VamtHttpRequest *req,
                            VamtHttpResponse *rsp);
bool vamt_wsman_http_anonymous_allowed(const VamtHttpRequest *req);

/* Open enumeration contexts of all users, for tests and monitoring */
unsigned vamt_wsman_open_contexts(VamtWsman *ws);

/* Legacy EOI (eoi.c): false if @path is not an EOI service */
bool vamt_eoi_handle(VamtAmt *amt, const char *path, const char *user,
                     const uint8_t *body, size_t len, VamtSoapResponse *rsp);

#endif
