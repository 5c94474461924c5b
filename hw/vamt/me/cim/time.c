/*
 * vAMT ME core: CIM providers for the ME's clock
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cim-values.h"
#include "provider.h"

/* Time */

static const VamtCimClass time_service_class;
static void time_service_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = cim_new_service(&time_service_class,
                                            "Intel(r) AMT Time Synchronization "
                                            "Service",
                                            CIM_ENABLED_STATE_NOT_APPLICABLE,
                                            CIM_REQUESTED_STATE_NOT_APPLICABLE);

    vamt_cim_uint(inst, "LocalTimeSyncEnabled", 0);
    vamt_cim_uint(inst, "TimeSource", 1);
    g_ptr_array_add(out, inst);
}

static uint32_t time_get_low_accuracy(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);

    s->last_ta0 = vamt_amt_now(call->amt);
    vamt_cim_uint(call->output, "Ta0", s->last_ta0);
    return PT_SUCCESS;
}

/* The console's clock at Tm2 becomes the AMT clock */
static uint32_t time_set_high_accuracy(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    uint64_t ta0, tm1, tm2;

    if (!cim_arg_uint(call, "Ta0", UINT32_MAX, &ta0) ||
        !cim_arg_uint(call, "Tm1", UINT32_MAX, &tm1) ||
        !cim_arg_uint(call, "Tm2", UINT32_MAX, &tm2) || tm2 < tm1) {
        return PT_INVALID_PARAMETER;
    }
    if (ta0 != s->last_ta0) {
        return PT_INVALID_TIME;
    }
    s->clock_offset_s = (int64_t)tm2 - cim_ops(call->amt)->time_utc(
                            vamt_amt_opaque(call->amt));
    return PT_SUCCESS;
}

static const VamtCimMethod time_service_methods[] = {
    { "GetLowAccuracyTimeSynch", time_get_low_accuracy },
    { "SetHighAccuracyTimeSynch", time_set_high_accuracy },
    { NULL },
};

static const VamtCimClass time_service_class = {
    .name = "AMT_TimeSynchronizationService", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_service, .list = time_service_list,
    .methods = time_service_methods,
};


const VamtCimClass *const vamt_cim_time_classes[] = {
    &time_service_class, NULL,
};
