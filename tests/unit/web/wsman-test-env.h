/*
 * The WS-Management unit tests' environment: an ME core with the fake
 * platform, provisioned (admin control mode, REALM, PASSWORD), and
 * requests posted to vamt_wsman_handle() as consoles write them, their
 * answers read as consoles read them (XPath on the envelope).  Shared by
 * test-vamt-wsman.c (the protocol) and test-vamt-cim.c (the classes).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_WSMAN_TEST_ENV_H
#define VAMT_WSMAN_TEST_ENV_H

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "amt.h"
#include "vamt-test-support.h"
#include "wsman.h"

typedef struct Env {
    VamtTestPlatform fake;
    VamtFirmware fw;
    VamtAmt *amt;
    VamtWsman *ws;
} Env;

typedef struct Reply {
    int status;
    const char *content_type;
    GString *body;
    xmlDoc *doc;
    xmlXPathContext *xpath;
} Reply;

Env *env_new(VamtPowerState power);
void env_free(Env *e);
void reply_free(Reply *r);
Reply *post_bytes(Env *e, const char *path, const char *user,
                  const void *body, size_t len);
Reply *post(Env *e, const char *path, const char *user,
            const char *body);
char *xp(Reply *r, const char *expr);
int xp_count(Reply *r, const char *expr);
void assert_xp(Reply *r, const char *expr, const char *expected);
char *prop(Reply *r, const char *name);
void assert_prop(Reply *r, const char *name, const char *expected);
void assert_fault(Reply *r, int status, const char *subcode);
void assert_ok(Reply *r, const char *action);
char *envelope(const char *action, const char *resource,
               const char *message_id, const char *header_extra,
               const char *body);
Reply *wsman(Env *e, const char *action, const char *resource,
             const char *selectors, const char *body);
Reply *get(Env *e, const char *resource, const char *selectors);
Reply *invoke(Env *e, const char *resource, const char *method,
              const char *args);
Reply *enumerate_all(Env *e, const char *resource, const char *mode);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Reply, reply_free)

#endif
