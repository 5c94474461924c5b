/*
 * vAMT ME core: CIM providers for the event and audit logs
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cim-values.h"
#include "provider.h"

/* Logs */

static const VamtCimClass message_log_class;
static void message_log_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);
    VamtCimInstance *inst = vamt_cim_new(&message_log_class);

    vamt_cim_str(inst, "CreationClassName", "AMT_MessageLog");
    vamt_cim_str(inst, "Name", "Intel(r) AMT:MessageLog 1");
    vamt_cim_str(inst, "ElementName", "Intel(r) AMT:MessageLog 1");
    vamt_cim_bool(inst, "IsFrozen", false);
    vamt_cim_uint(inst, "CurrentNumberOfRecords", s->event_count);
    vamt_cim_uint(inst, "MaxNumberOfRecords", VAMT_AMT_EVENT_LOG_SIZE);
    vamt_cim_uint(inst, "OverwritePolicy", 2);
    vamt_cim_uint(inst, "EnabledState", CIM_ENABLED_STATE_ENABLED);
    vamt_cim_uint(inst, "RequestedState", CIM_REQUESTED_STATE_ENABLED);
    g_ptr_array_add(out, inst);
}

/* Iteration identifiers are 1-based record positions, oldest first. */
static uint32_t message_log_first(VamtCimCall *call)
{
    vamt_cim_uint(call->output, "IterationIdentifier", 1);
    return PT_SUCCESS;
}

static uint32_t message_log_get_records(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    uint64_t iter, max;
    unsigned i;

    if (!cim_arg_uint(call, "IterationIdentifier", UINT32_MAX, &iter) ||
        !iter || iter > s->event_count + 1 ||
        !cim_arg_uint(call, "MaxReadRecords", UINT32_MAX, &max)) {
        return PT_INVALID_PARAMETER;
    }
    for (i = iter - 1; i < s->event_count && i < iter - 1 + max; i++) {
        uint8_t rec[VAMT_EVENT_RECORD_BYTES];
        g_autofree char *b64 = NULL;

        vamt_amt_event_bytes(call->amt, i, rec);
        b64 = g_base64_encode(rec, sizeof(rec));
        /* output order: IterationIdentifier, NoMoreRecords, RecordArray */
        if (i == iter - 1) {
            vamt_cim_uint(call->output, "IterationIdentifier",
                          MIN(iter - 1 + max, s->event_count) + 1);
            vamt_cim_bool(call->output, "NoMoreRecords",
                          iter - 1 + max >= s->event_count);
        }
        vamt_cim_str(call->output, "RecordArray", b64);
    }
    if (iter - 1 >= s->event_count || !max) {
        vamt_cim_uint(call->output, "IterationIdentifier", iter);
        vamt_cim_bool(call->output, "NoMoreRecords",
                      iter - 1 >= s->event_count);
    }
    return PT_SUCCESS;
}

static const VamtCimMethod message_log_methods[] = {
    { "PositionToFirstRecord", message_log_first },
    { "GetRecords", message_log_get_records },
    { NULL },
};

static const char *const keys_log[] = { "CreationClassName", "Name", NULL };

static const VamtCimClass message_log_class = {
    .name = "AMT_MessageLog", .ns_prefix = VAMT_NS_AMT,
    .keys = keys_log, .list = message_log_list,
    .methods = message_log_methods,
};

static const VamtCimClass audit_log_class;
static void audit_log_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);
    VamtCimInstance *inst = vamt_cim_new(&audit_log_class);

    vamt_cim_str(inst, "CreationClassName", "AMT_AuditLog");
    vamt_cim_str(inst, "Name", "Intel(r) AMT:Audit Log");
    vamt_cim_str(inst, "ElementName", "Intel(r) AMT:Audit Log");
    vamt_cim_uint(inst, "AuditState", 16);
    vamt_cim_uint(inst, "CurrentNumberOfRecords", s->audit_count);
    vamt_cim_uint(inst, "MaxNumberOfRecords", VAMT_AMT_AUDIT_LOG_SIZE);
    vamt_cim_uint(inst, "PercentageFree",
                  100 - s->audit_count * 100 / VAMT_AMT_AUDIT_LOG_SIZE);
    vamt_cim_uint(inst, "EnabledState", CIM_ENABLED_STATE_ENABLED);
    vamt_cim_uint(inst, "RequestedState", CIM_REQUESTED_STATE_ENABLED);
    vamt_cim_uint(inst, "StoragePolicy", 1);
    vamt_cim_uint(inst, "MaxAllowedAuditors", 1);
    if (s->audit_count) {
        const VamtAuditRecord *last =
            &s->audit[(s->audit_first + s->audit_count - 1) %
                      VAMT_AMT_AUDIT_LOG_SIZE];
        g_autofree char *when = cim_iso8601(last->timestamp);

        vamt_cim_datetime(inst, "TimeOfLastRecord", when);
    }
    g_ptr_array_add(out, inst);
}

static uint32_t audit_log_read(VamtCimCall *call)
{
    VamtAmtState *s = vamt_amt_state(call->amt);
    uint64_t start;
    unsigned i, n = 0;

    if (!cim_arg_uint(call, "StartIndex", UINT32_MAX, &start) || !start) {
        return PT_INVALID_PARAMETER;
    }
    vamt_cim_uint(call->output, "TotalRecordCount", s->audit_count);
    for (i = start - 1; i < s->audit_count && n < AUDIT_RECORDS_PER_CALL;
         i++) {
        n++;
    }
    vamt_cim_uint(call->output, "RecordsReturned", n);
    for (i = start - 1; n; i++, n--) {
        GByteArray *rec = vamt_amt_audit_bytes(call->amt, i);
        g_autofree char *b64 = g_base64_encode(rec->data, rec->len);

        vamt_cim_str(call->output, "EventRecords", b64);
        g_byte_array_free(rec, TRUE);
    }
    return PT_SUCCESS;
}

static const VamtCimMethod audit_log_methods[] = {
    { "ReadRecords", audit_log_read },
    { NULL },
};

static const VamtCimClass audit_log_class = {
    .name = "AMT_AuditLog", .ns_prefix = VAMT_NS_AMT,
    .keys = keys_log, .list = audit_log_list,
    .methods = audit_log_methods,
};


const VamtCimClass *const vamt_cim_logs_classes[] = {
    &message_log_class, &audit_log_class, NULL,
};
