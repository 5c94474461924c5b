/*
 * vAMT ME core: CIM providers for wake-up alarms
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "provider.h"

/* Alarms */

static const VamtCimClass alarm_class;
static void alarm_list(VamtAmt *amt, GPtrArray *out)
{
    VamtAmtState *s = vamt_amt_state(amt);

    for (unsigned i = 0; i < VAMT_AMT_MAX_ALARMS; i++) {
        VamtAlarm *a = &s->alarms[i];
        VamtCimInstance *inst;
        g_autofree char *start = NULL;

        if (!a->in_use) {
            continue;
        }
        inst = vamt_cim_new(&alarm_class);
        start = cim_iso8601(a->start_time);
        vamt_cim_str(inst, "InstanceID", a->name);
        vamt_cim_str(inst, "ElementName", a->name);
        vamt_cim_datetime(inst, "StartTime", start);
        if (a->interval_minutes) {
            g_autofree char *interval = g_strdup_printf(
                "P%uDT%uH%uM", a->interval_minutes / 1440,
                a->interval_minutes / 60 % 24, a->interval_minutes % 60);

            vamt_cim_interval(inst, "Interval", interval);
        }
        vamt_cim_bool(inst, "DeleteOnCompletion", a->delete_on_completion);
        g_ptr_array_add(out, inst);
    }
}

static VamtCimStatus alarm_delete(VamtAmt *amt, const char *user,
                                  const VamtCimInstance *target)
{
    VamtAmtState *s = vamt_amt_state(amt);
    const char *id = vamt_cim_get(target, "InstanceID");

    for (unsigned i = 0; i < VAMT_AMT_MAX_ALARMS; i++) {
        if (s->alarms[i].in_use && !strcmp(s->alarms[i].name, id)) {
            memset(&s->alarms[i], 0, sizeof(s->alarms[i]));
            return VAMT_CIM_OK;
        }
    }
    return VAMT_CIM_NOT_FOUND;
}

/* "P[nD][T[nH][nM][nS]]" in minutes, or -1 */
static int64_t parse_interval_minutes(const char *text)
{
    int64_t minutes = 0;
    bool time = false;
    const char *p = text;

    if (*p++ != 'P') {
        return -1;
    }
    while (*p) {
        char *end;
        guint64 n;

        if (*p == 'T' && !time) {
            time = true;
            p++;
            continue;
        }
        n = g_ascii_strtoull(p, &end, 10);
        if (end == p || n > 1000000) {
            return -1;
        }
        switch (*end) {
        case 'D':
            minutes += n * 1440;
            break;
        case 'H':
            minutes += n * 60;
            break;
        case 'M':
            if (!time) {
                return -1;
            }
            minutes += n;
            break;
        case 'S':
            break;
        default:
            return -1;
        }
        p = end + 1;
    }
    return minutes;
}

static VamtCimStatus alarm_from_xml(VamtAmt *amt, const char *user,
                                    xmlNode *in,
                                    VamtCimEpr *created)
{
    VamtAmtState *s = vamt_amt_state(amt);
    g_autofree char *name = vamt_xml_child_text(in, "ElementName");
    g_autofree char *start = vamt_xml_child_text(
        vamt_xml_child(in, "StartTime"), "Datetime");
    g_autofree char *interval = vamt_xml_child_text(
        vamt_xml_child(in, "Interval"), "Interval");
    g_autofree char *once = vamt_xml_child_text(in, "DeleteOnCompletion");
    g_autoptr(GDateTime) when = NULL;
    VamtAlarm alarm = { .in_use = true, .delete_on_completion = true };
    int64_t minutes = 0;
    VamtAlarm *slot = NULL;

    if (!name) {
        name = vamt_xml_child_text(in, "InstanceID");
    }
    if (!name || !*name || strlen(name) > VAMT_AMT_ALARM_NAME_MAX || !start) {
        return VAMT_CIM_INVALID;
    }
    when = g_date_time_new_from_iso8601(start, NULL);
    if (interval) {
        minutes = parse_interval_minutes(interval);
    }
    if (!when || minutes < 0 ||
        (once && !vamt_xml_parse_bool(once, &alarm.delete_on_completion))) {
        return VAMT_CIM_INVALID;
    }
    g_strlcpy(alarm.name, name, sizeof(alarm.name));
    alarm.start_time = g_date_time_to_unix(when);
    alarm.interval_minutes = minutes;
    for (unsigned i = 0; i < VAMT_AMT_MAX_ALARMS; i++) {
        if (s->alarms[i].in_use && !strcmp(s->alarms[i].name, name)) {
            return VAMT_CIM_EXISTS;
        }
        if (!s->alarms[i].in_use && !slot) {
            slot = &s->alarms[i];
        }
    }
    if (!slot) {
        return VAMT_CIM_FAILED;
    }
    *slot = alarm;
    vamt_cim_epr_add(created, "InstanceID", name);
    return VAMT_CIM_OK;
}

static const VamtCimClass alarm_class = {
    .name = "IPS_AlarmClockOccurrence", .ns_prefix = VAMT_NS_IPS,
    .keys = cim_keys_instance_id, .list = alarm_list,
    .create = alarm_from_xml, .delete = alarm_delete,
};

static const VamtCimClass alarm_service_class;
static void alarm_service_list(VamtAmt *amt, GPtrArray *out)
{
    g_ptr_array_add(out, cim_new_service(&alarm_service_class,
                                         "Intel(r) AMT Alarm Clock Service",
                                         5, 12));
}

static uint32_t alarm_service_add(VamtCimCall *call)
{
    VamtCimEpr *created = vamt_cim_epr_new(VAMT_NS_IPS
                                           "IPS_AlarmClockOccurrence");
    xmlNode *template = vamt_xml_child(call->input, "AlarmTemplate");
    VamtCimStatus st = template ? alarm_from_xml(call->amt, call->user,
                                                 template, created)
                                : VAMT_CIM_INVALID;

    if (st != VAMT_CIM_OK) {
        vamt_cim_epr_free(created);
        return st == VAMT_CIM_EXISTS ? PT_DUPLICATE :
               st == VAMT_CIM_FAILED ? PT_MAX_LIMIT_REACHED
                                     : PT_INVALID_PARAMETER;
    }
    vamt_cim_epr(call->output, "AlarmClock", created);
    return PT_SUCCESS;
}

static const VamtCimMethod alarm_service_methods[] = {
    { "AddAlarm", alarm_service_add },
    { NULL },
};

static const VamtCimClass alarm_service_class = {
    .name = "AMT_AlarmClockService", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_service, .list = alarm_service_list,
    .methods = alarm_service_methods,
};


const VamtCimClass *const vamt_cim_alarms_classes[] = {
    &alarm_class, &alarm_service_class, NULL,
};
