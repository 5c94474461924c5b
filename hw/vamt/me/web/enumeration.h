/*
 * vAMT ME core: WS-Management enumeration contexts, per user
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_ENUMERATION_H
#define VAMT_ME_ENUMERATION_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "amt.h"
#include "wsman.h"

typedef enum VamtEnumMode {
    VAMT_ENUM_OBJECT,
    VAMT_ENUM_EPR,
    VAMT_ENUM_OBJECT_AND_EPR,
} VamtEnumMode;

/*
 * A context is written as AMT writes it, "XXXXXXXX-0000-0000-0000-
 * 000000000000" (docs/specs/vamt-wsman.rst, "Enumerate, Pull and Release"); its
 * 32 bits are random, so it cannot be derived from another one, and it
 * only works for its owner anyway.
 */
#define VAMT_ENUM_CONTEXT_SUFFIX    "-0000-0000-0000-000000000000"
#define VAMT_ENUM_CONTEXT_TEXT_LEN  36

typedef struct VamtEnumContext {
    bool in_use;
    uint32_t id;
    char *owner;                /* the user who enumerated; only it may Pull */
    VamtEnumMode mode;
    GPtrArray *items;           /* VamtCimInstance, owned */
    uint32_t realms;            /* that may Pull it: the class's read realms */
    guint next;
    int64_t last_used_ms;
} VamtEnumContext;

/* Every open enumeration of the WS-Management service */
typedef struct VamtEnumContexts {
    VamtAmt *amt;               /* its clock and random source */
    VamtEnumContext slot[VAMT_WSMAN_MAX_ALL_CONTEXTS];
} VamtEnumContexts;

void vamt_enum_contexts_init(VamtEnumContexts *ec, VamtAmt *amt);
void vamt_enum_contexts_clear(VamtEnumContexts *ec);
/* How many are open (after dropping the idle ones) */
unsigned vamt_enum_contexts_open(VamtEnumContexts *ec);
/* A new context of @owner, with a random id; never NULL */
VamtEnumContext *vamt_enum_context_new(VamtEnumContexts *ec,
                                       const char *owner);
/* @user's context called @text; another user's is as good as none */
VamtEnumContext *vamt_enum_context_find(VamtEnumContexts *ec,
                                        const char *text, const char *user);
void vamt_enum_context_clear(VamtEnumContext *ctx);

#endif
