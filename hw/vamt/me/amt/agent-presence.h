/*
 * vAMT ME core: Agent Presence, the watchdogs in-guest agents heartbeat
 *
 * A console creates a watchdog for an agent (its DeviceID, a GUID), its
 * timeout and grace period, and the actions to take on a state change;
 * the agent registers, asserts its presence before each timeout and may
 * announce a clean shutdown.  A watchdog that misses its deadline is
 * Expired and fires its actions.  The timers count the guest's time (an
 * agent cannot heartbeat while the VM is paused); the configuration and
 * states are part of the AMT state (NVRAM, migration); sequence numbers
 * and deadlines are not, so heartbeats write nothing.  After a load the
 * next sequence number of a running session is accepted whatever it is
 * (positive as a 32-bit signed number, as the ME gives them) and running
 * watchdogs get a whole timeout.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_AGENT_PRESENCE_H
#define VAMT_ME_AGENT_PRESENCE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "blob.h"

typedef struct VamtAmt VamtAmt;

#define VAMT_AGENT_MAX              16
#define VAMT_AGENT_MAX_ACTIONS      8
#define VAMT_AGENT_ID_LEN           16

/* AMT_AgentPresenceWatchdog.CurrentState */
enum {
    VAMT_AGENT_NOT_STARTED = 0,
    VAMT_AGENT_STOPPED = 1,
    VAMT_AGENT_RUNNING = 2,
    VAMT_AGENT_EXPIRED = 3,
    VAMT_AGENT_SUSPENDED = 4,
};
/* AddAction's OldState/NewState name sets of states: bit n = state n */
#define VAMT_AGENT_STATE_BIT(state)     (1u << (state))
#define VAMT_AGENT_ALL_STATES           0x1f

typedef struct VamtAgentAction {
    bool in_use;
    uint8_t old_states;
    uint8_t new_states;
    bool event_on_transition;   /* an AMT_MessageLog record */
} VamtAgentAction;

typedef struct VamtAgentWatchdog {
    bool in_use;
    uint8_t id[VAMT_AGENT_ID_LEN];
    uint16_t timeout_s;
    uint16_t grace_s;
    uint8_t state;
    uint32_t seq;               /* the last sequence number accepted */
    VamtAgentAction actions[VAMT_AGENT_MAX_ACTIONS];
    int64_t deadline_ms;        /* guest clock; -1 none; not saved */
} VamtAgentWatchdog;

VamtAgentWatchdog *vamt_agent_find(VamtAmt *amt,
                                   const uint8_t id[VAMT_AGENT_ID_LEN]);
/*
 * A console's Create: PT_DUPLICATE for a known id, PT_MAX_LIMIT_REACHED
 * when the table is full, PT_INVALID_PARAMETER for a zero timeout.
 */
uint32_t vamt_agent_create(VamtAmt *amt, const uint8_t id[VAMT_AGENT_ID_LEN],
                           uint16_t timeout_s, uint16_t grace_s);
void vamt_agent_delete(VamtAmt *amt, VamtAgentWatchdog *w);

/*
 * The agent's calls.  RegisterAgent starts a session: a new, non-zero
 * sequence number in *@seq, the first deadline after the grace period
 * and the timeout.  AssertPresence (@shutdown false) and AssertShutdown
 * (true) need a running session and a sequence number after the last
 * one (PT_INVALID_STATE, PT_INVALID_PARAMETER); the first pushes the
 * deadline, the second stops the watchdog.
 */
uint32_t vamt_agent_register(VamtAmt *amt, VamtAgentWatchdog *w,
                             uint32_t *seq);
uint32_t vamt_agent_assert(VamtAmt *amt, VamtAgentWatchdog *w, uint32_t seq,
                           bool shutdown);

/* PT_MAX_LIMIT_REACHED when the watchdog has all its actions */
uint32_t vamt_agent_add_action(VamtAmt *amt, VamtAgentWatchdog *w,
                               uint8_t old_states, uint8_t new_states,
                               bool event_on_transition);
void vamt_agent_delete_actions(VamtAmt *amt, VamtAgentWatchdog *w);

/* The earliest deadline on the guest clock, -1 if none */
int64_t vamt_agent_deadline(VamtAmt *amt);
/* Expire the watchdogs whose deadline has passed */
void vamt_agent_check(VamtAmt *amt);
/* After a load: running watchdogs get a whole timeout from now */
void vamt_agent_restart(VamtAmt *amt);

/* The agents' part of the AMT state blob */
void vamt_agent_save(const VamtAgentWatchdog *agents, GByteArray *out);
bool vamt_agent_load(BlobReader *r, VamtAgentWatchdog *agents);

#endif
