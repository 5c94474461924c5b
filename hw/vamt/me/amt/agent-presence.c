/*
 * vAMT ME core: Agent Presence watchdogs
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "agent-presence.h"
#include "amt.h"
#include "status.h"

static int64_t guest_now(VamtAmt *amt)
{
    const VamtPlatformOps *ops = vamt_amt_ops(amt);

    return ops->guest_clock_ms(vamt_amt_opaque(amt));
}

VamtAgentWatchdog *vamt_agent_find(VamtAmt *amt,
                                   const uint8_t id[VAMT_AGENT_ID_LEN])
{
    VamtAmtState *s = vamt_amt_state(amt);

    for (unsigned i = 0; i < VAMT_AGENT_MAX; i++) {
        if (s->agents[i].in_use &&
            !memcmp(s->agents[i].id, id, VAMT_AGENT_ID_LEN)) {
            return &s->agents[i];
        }
    }
    return NULL;
}

uint32_t vamt_agent_create(VamtAmt *amt, const uint8_t id[VAMT_AGENT_ID_LEN],
                           uint16_t timeout_s, uint16_t grace_s)
{
    VamtAmtState *s = vamt_amt_state(amt);

    if (!timeout_s) {
        return PT_INVALID_PARAMETER;
    }
    if (vamt_agent_find(amt, id)) {
        return PT_DUPLICATE;
    }
    for (unsigned i = 0; i < VAMT_AGENT_MAX; i++) {
        VamtAgentWatchdog *w = &s->agents[i];

        if (!w->in_use) {
            memset(w, 0, sizeof(*w));
            w->in_use = true;
            memcpy(w->id, id, VAMT_AGENT_ID_LEN);
            w->timeout_s = timeout_s;
            w->grace_s = grace_s;
            w->state = VAMT_AGENT_NOT_STARTED;
            w->deadline_ms = -1;
            vamt_amt_check_changed(amt);
            return PT_SUCCESS;
        }
    }
    return PT_MAX_LIMIT_REACHED;
}

void vamt_agent_delete(VamtAmt *amt, VamtAgentWatchdog *w)
{
    memset(w, 0, sizeof(*w));
    w->deadline_ms = -1;
    vamt_amt_check_changed(amt);
}

/*
 * An agent watchdog's record: its new state, then its id's first bytes;
 * and its alert, iAMT0002 (not started) to iAMT0006 (suspended) by the
 * new state, whose argument is the agent's GUID (AMT 8 and later).  The
 * severity is what an observed expiry alert carried: information.
 */
static void log_transition(VamtAmt *amt, const VamtAgentWatchdog *w)
{
    static const char *const alert_ids[] = {
        [VAMT_AGENT_NOT_STARTED] = "iAMT0002",
        [VAMT_AGENT_STOPPED] = "iAMT0003",
        [VAMT_AGENT_RUNNING] = "iAMT0004",
        [VAMT_AGENT_EXPIRED] = "iAMT0005",
        [VAMT_AGENT_SUSPENDED] = "iAMT0006",
    };
    uint8_t data[8] = { w->state };
    uint8_t guid[VAMT_AGENT_ID_LEN];
    char text[37];

    memcpy(data + 1, w->id, sizeof(data) - 1);
    vamt_log_watchdog_event(amt, 0xff, w->state == VAMT_AGENT_EXPIRED, data);
    /* the id is a GUID in Microsoft byte order, as consoles send it */
    vamt_uuid_swap_fields(guid, w->id);
    snprintf(text, sizeof(text),
             "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
             "%02X%02X%02X%02X%02X%02X", guid[0], guid[1], guid[2], guid[3],
             guid[4], guid[5], guid[6], guid[7], guid[8], guid[9], guid[10],
             guid[11], guid[12], guid[13], guid[14], guid[15]);
    vamt_amt_alert(amt, alert_ids[w->state], text, 2);
}

static void transition(VamtAmt *amt, VamtAgentWatchdog *w, uint8_t state)
{
    uint8_t old = w->state;
    const VamtPlatformOps *ops = vamt_amt_ops(amt);
    bool logged = false;

    if (old == state) {
        return;
    }
    w->state = state;
    for (unsigned i = 0; i < VAMT_AGENT_MAX_ACTIONS; i++) {
        const VamtAgentAction *a = &w->actions[i];

        if (a->in_use && (a->old_states & VAMT_AGENT_STATE_BIT(old)) &&
            (a->new_states & VAMT_AGENT_STATE_BIT(state)) &&
            a->event_on_transition && !logged) {
            log_transition(amt, w);
            logged = true;
        }
    }
    if (state == VAMT_AGENT_EXPIRED && ops->agent_expired) {
        ops->agent_expired(vamt_amt_opaque(amt), w->id, w->timeout_s);
    }
    vamt_amt_check_changed(amt);
}

uint32_t vamt_agent_register(VamtAmt *amt, VamtAgentWatchdog *w,
                             uint32_t *seq)
{
    const VamtPlatformOps *ops = vamt_amt_ops(amt);
    uint32_t fresh = 0;

    while (!fresh) {
        ops->random(vamt_amt_opaque(amt), (uint8_t *)&fresh, sizeof(fresh));
        /* room for years of increments before it wraps */
        fresh &= 0x7fffffff;
    }
    w->seq = fresh;
    *seq = fresh;
    w->deadline_ms = guest_now(amt) +
                     ((int64_t)w->grace_s + w->timeout_s) * 1000;
    transition(amt, w, VAMT_AGENT_RUNNING);
    return PT_SUCCESS;
}

/* After the last one, as serial numbers compare (wrap-around safe) */
static bool seq_after(uint32_t seq, uint32_t last)
{
    return (int32_t)(seq - last) > 0;
}

uint32_t vamt_agent_assert(VamtAmt *amt, VamtAgentWatchdog *w, uint32_t seq,
                           bool shutdown)
{
    if (w->state != VAMT_AGENT_RUNNING) {
        return PT_INVALID_STATE;
    }
    if (!seq_after(seq, w->seq)) {
        return PT_INVALID_PARAMETER;
    }
    w->seq = seq;
    if (shutdown) {
        w->deadline_ms = -1;
        transition(amt, w, VAMT_AGENT_STOPPED);
    } else {
        w->deadline_ms = guest_now(amt) + (int64_t)w->timeout_s * 1000;
    }
    return PT_SUCCESS;
}

uint32_t vamt_agent_add_action(VamtAmt *amt, VamtAgentWatchdog *w,
                               uint8_t old_states, uint8_t new_states,
                               bool event_on_transition)
{
    for (unsigned i = 0; i < VAMT_AGENT_MAX_ACTIONS; i++) {
        VamtAgentAction *a = &w->actions[i];

        if (!a->in_use) {
            *a = (VamtAgentAction) {
                .in_use = true, .old_states = old_states,
                .new_states = new_states,
                .event_on_transition = event_on_transition,
            };
            vamt_amt_check_changed(amt);
            return PT_SUCCESS;
        }
    }
    return PT_MAX_LIMIT_REACHED;
}

void vamt_agent_delete_actions(VamtAmt *amt, VamtAgentWatchdog *w)
{
    memset(w->actions, 0, sizeof(w->actions));
    vamt_amt_check_changed(amt);
}

int64_t vamt_agent_deadline(VamtAmt *amt)
{
    VamtAmtState *s = vamt_amt_state(amt);
    int64_t next = -1;

    for (unsigned i = 0; i < VAMT_AGENT_MAX; i++) {
        const VamtAgentWatchdog *w = &s->agents[i];

        if (w->in_use && w->state == VAMT_AGENT_RUNNING &&
            w->deadline_ms >= 0 && (next < 0 || w->deadline_ms < next)) {
            next = w->deadline_ms;
        }
    }
    return next;
}

void vamt_agent_check(VamtAmt *amt)
{
    VamtAmtState *s = vamt_amt_state(amt);
    int64_t now = guest_now(amt);

    for (unsigned i = 0; i < VAMT_AGENT_MAX; i++) {
        VamtAgentWatchdog *w = &s->agents[i];

        if (w->in_use && w->state == VAMT_AGENT_RUNNING &&
            w->deadline_ms >= 0 && now >= w->deadline_ms) {
            w->deadline_ms = -1;
            transition(amt, w, VAMT_AGENT_EXPIRED);
        }
    }
}

void vamt_agent_restart(VamtAmt *amt)
{
    VamtAmtState *s = vamt_amt_state(amt);
    int64_t now = guest_now(amt);

    for (unsigned i = 0; i < VAMT_AGENT_MAX; i++) {
        VamtAgentWatchdog *w = &s->agents[i];

        w->deadline_ms = w->in_use && w->state == VAMT_AGENT_RUNNING ?
                         now + (int64_t)w->timeout_s * 1000 : -1;
    }
}

void vamt_agent_save(const VamtAgentWatchdog *agents, GByteArray *out)
{
    for (unsigned i = 0; i < VAMT_AGENT_MAX; i++) {
        const VamtAgentWatchdog *w = &agents[i];

        blob_put_u8(out, w->in_use);
        if (!w->in_use) {
            continue;
        }
        blob_put_bytes(out, w->id, VAMT_AGENT_ID_LEN);
        blob_put_u16(out, w->timeout_s);
        blob_put_u16(out, w->grace_s);
        blob_put_u8(out, w->state);
        for (unsigned j = 0; j < VAMT_AGENT_MAX_ACTIONS; j++) {
            const VamtAgentAction *a = &w->actions[j];

            blob_put_u8(out, a->in_use | (a->event_on_transition << 1));
            blob_put_u8(out, a->old_states);
            blob_put_u8(out, a->new_states);
        }
    }
}

bool vamt_agent_load(BlobReader *r, VamtAgentWatchdog *agents)
{
    for (unsigned i = 0; i < VAMT_AGENT_MAX && r->ok; i++) {
        VamtAgentWatchdog *w = &agents[i];
        uint32_t n;
        const uint8_t *id;

        memset(w, 0, sizeof(*w));
        w->deadline_ms = -1;
        w->in_use = blob_get_u8(r);
        if (!w->in_use) {
            continue;
        }
        id = blob_get_bytes(r, &n, VAMT_AGENT_ID_LEN);
        if (!r->ok || n != VAMT_AGENT_ID_LEN) {
            return false;
        }
        memcpy(w->id, id, n);
        w->timeout_s = blob_get_u16(r);
        w->grace_s = blob_get_u16(r);
        w->state = blob_get_u8(r);
        if (!w->timeout_s || w->state > VAMT_AGENT_SUSPENDED) {
            return false;
        }
        for (unsigned j = 0; j < VAMT_AGENT_MAX_ACTIONS; j++) {
            VamtAgentAction *a = &w->actions[j];
            uint8_t flags = blob_get_u8(r);

            a->in_use = flags & 1;
            a->event_on_transition = flags & 2;
            a->old_states = blob_get_u8(r) & VAMT_AGENT_ALL_STATES;
            a->new_states = blob_get_u8(r) & VAMT_AGENT_ALL_STATES;
        }
    }
    return r->ok;
}
