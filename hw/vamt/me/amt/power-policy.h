/*
 * vAMT ME core: which power requests AMT carries out in which state
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_POWER_POLICY_H
#define VAMT_ME_POWER_POLICY_H

#include <stdbool.h>

#include "platform-ops.h"

/*
 * May a console's RequestPowerStateChange(@request) (or its legacy
 * RemoteControl equivalent) be carried out while the platform is in
 * @now?  AMT refuses to power on what is on, refuses what needs a
 * running host (off, reset, cycle, NMI) while it is off, and refuses
 * what it does not support; the ME then answers a non-zero return
 * value without asking the platform.  Whether the platform is free to
 * act (one transition at a time, not while migrating) is the
 * platform's to say: ops->power_request() may still refuse.
 */
bool vamt_power_policy_allows(VamtPowerState now, VamtPowerState request);

#endif
