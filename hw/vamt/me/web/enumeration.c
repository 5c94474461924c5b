/*
 * vAMT ME core: WS-Management enumeration contexts, per user
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "cim.h"
#include "enumeration.h"

void vamt_enum_contexts_init(VamtEnumContexts *ec, VamtAmt *amt)
{
    memset(ec, 0, sizeof(*ec));
    ec->amt = amt;
}

void vamt_enum_contexts_clear(VamtEnumContexts *ec)
{
    /* most slots were never used: nothing of theirs to free */
    for (unsigned i = 0; i < VAMT_WSMAN_MAX_ALL_CONTEXTS; i++) {
        VamtEnumContext *ctx = &ec->slot[i];

        if (ctx->in_use || ctx->items || ctx->owner) {
            vamt_enum_context_clear(ctx);
        }
    }
}

void vamt_enum_context_clear(VamtEnumContext *ctx)
{
    if (ctx->items) {
        g_ptr_array_free(ctx->items, TRUE);
    }
    g_free(ctx->owner);
    memset(ctx, 0, sizeof(*ctx));
}

static int64_t now_ms(VamtEnumContexts *ec)
{
    return vamt_amt_ops(ec->amt)->me_clock_ms(vamt_amt_opaque(ec->amt));
}

static void expire_contexts(VamtEnumContexts *ec)
{
    int64_t now = now_ms(ec);

    for (unsigned i = 0; i < VAMT_WSMAN_MAX_ALL_CONTEXTS; i++) {
        VamtEnumContext *ctx = &ec->slot[i];

        if (ctx->in_use &&
            now - ctx->last_used_ms > VAMT_WSMAN_CONTEXT_IDLE_MS) {
            vamt_enum_context_clear(ctx);
        }
    }
}

unsigned vamt_enum_contexts_open(VamtEnumContexts *ec)
{
    unsigned n = 0;

    expire_contexts(ec);
    for (unsigned i = 0; i < VAMT_WSMAN_MAX_ALL_CONTEXTS; i++) {
        n += ec->slot[i].in_use;
    }
    return n;
}

static unsigned contexts_of(VamtEnumContexts *ec, const char *owner)
{
    unsigned n = 0;

    for (unsigned i = 0; i < VAMT_WSMAN_MAX_ALL_CONTEXTS; i++) {
        n += ec->slot[i].in_use && !strcmp(ec->slot[i].owner, owner);
    }
    return n;
}

/*
 * The slot for a new context of @owner: a free one while @owner is under
 * its cap, else its own least recently used.  Only when every slot is
 * taken (accounts deleted and re-created under new names within the
 * idle time) does the user holding the most lose its oldest.
 */
static VamtEnumContext *context_slot(VamtEnumContexts *ec, const char *owner)
{
    VamtEnumContext *free_slot = NULL, *own_oldest = NULL, *victim = NULL;
    unsigned own = contexts_of(ec, owner), victim_count = 0;

    for (unsigned i = 0; i < VAMT_WSMAN_MAX_ALL_CONTEXTS; i++) {
        VamtEnumContext *ctx = &ec->slot[i];
        unsigned count;

        if (!ctx->in_use) {
            free_slot = free_slot ? free_slot : ctx;
            continue;
        }
        if (!strcmp(ctx->owner, owner)) {
            if (!own_oldest || ctx->last_used_ms < own_oldest->last_used_ms) {
                own_oldest = ctx;
            }
            continue;
        }
        count = contexts_of(ec, ctx->owner);
        if (!victim || count > victim_count ||
            (count == victim_count &&
             ctx->last_used_ms < victim->last_used_ms)) {
            victim = ctx;
            victim_count = count;
        }
    }
    if (own >= VAMT_WSMAN_MAX_CONTEXTS || (!free_slot && own_oldest &&
                                           own >= victim_count)) {
        return own_oldest;
    }
    return free_slot ? free_slot : victim;
}

static bool context_id_taken(VamtEnumContexts *ec, uint32_t id)
{
    for (unsigned i = 0; i < VAMT_WSMAN_MAX_ALL_CONTEXTS; i++) {
        if (ec->slot[i].in_use && ec->slot[i].id == id) {
            return true;
        }
    }
    return false;
}

VamtEnumContext *vamt_enum_context_new(VamtEnumContexts *ec, const char *owner)
{
    const VamtPlatformOps *ops = vamt_amt_ops(ec->amt);
    VamtEnumContext *slot;
    uint8_t r[4];
    uint32_t id;

    expire_contexts(ec);
    slot = context_slot(ec, owner);
    vamt_enum_context_clear(slot);
    do {
        ops->random(vamt_amt_opaque(ec->amt), r, sizeof(r));
        id = (uint32_t)r[0] << 24 | r[1] << 16 | r[2] << 8 | r[3];
    } while (context_id_taken(ec, id));
    slot->id = id;
    slot->in_use = true;
    slot->owner = g_strdup(owner);
    slot->last_used_ms = now_ms(ec);
    return slot;
}

/* @user's context called @text; another user's is as good as none */
VamtEnumContext *vamt_enum_context_find(VamtEnumContexts *ec,
                                        const char *text, const char *user)
{
    uint32_t id;
    char *end;

    expire_contexts(ec);
    if (!text || strlen(text) != VAMT_ENUM_CONTEXT_TEXT_LEN ||
        strcmp(text + 8, VAMT_ENUM_CONTEXT_SUFFIX) ||
        !g_ascii_isxdigit(text[0])) {
        return NULL;
    }
    id = g_ascii_strtoull(text, &end, 16);
    if (end != text + 8) {
        return NULL;
    }
    for (unsigned i = 0; i < VAMT_WSMAN_MAX_ALL_CONTEXTS; i++) {
        VamtEnumContext *ctx = &ec->slot[i];

        if (ctx->in_use && ctx->id == id && !strcmp(ctx->owner, user)) {
            ctx->last_used_ms = now_ms(ec);
            return ctx;
        }
    }
    return NULL;
}
