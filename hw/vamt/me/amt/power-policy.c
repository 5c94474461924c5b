/*
 * vAMT ME core: which power requests AMT carries out in which state
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "power-policy.h"

bool vamt_power_policy_allows(VamtPowerState now, VamtPowerState request)
{
    bool off = now == VAMT_POWER_OFF_SOFT || now == VAMT_POWER_OFF_HARD;

    switch (request) {
    case VAMT_POWER_ON:
        return now != VAMT_POWER_ON;
    case VAMT_POWER_OFF_HARD:
    case VAMT_POWER_OFF_SOFT:
    case VAMT_POWER_OFF_SOFT_GRACEFUL:
    case VAMT_POWER_OFF_HARD_GRACEFUL:
    case VAMT_POWER_CYCLE_SOFT:
    case VAMT_POWER_CYCLE_HARD:
    case VAMT_POWER_MASTER_BUS_RESET:
    case VAMT_POWER_CYCLE_SOFT_GRACEFUL:
    case VAMT_POWER_CYCLE_HARD_GRACEFUL:
    case VAMT_POWER_MASTER_BUS_RESET_GRACEFUL:
    case VAMT_POWER_NMI:
        /* these need a running (or sleeping) host */
        return !off;
    default:
        return false;
    }
}
