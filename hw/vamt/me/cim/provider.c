/*
 * vAMT ME core: helpers shared by the CIM provider files
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "provider.h"

const char *const cim_keys_instance_id[] = { "InstanceID", NULL };
const char *const cim_keys_service[] = {
    "CreationClassName", "Name", "SystemCreationClassName", "SystemName",
    NULL
};
const char *const cim_keys_system[] = { "CreationClassName", "Name",
                                           NULL };
const char *const cim_keys_package[] = { "CreationClassName", "Tag",
                                            NULL };
const char *const cim_keys_device[] = {
    "CreationClassName", "DeviceID", "SystemCreationClassName",
    "SystemName", NULL
};
const char *const cim_keys_bios[] = {
    "Name", "SoftwareElementID", "SoftwareElementState",
    "TargetOperatingSystem", "Version", NULL
};

const VamtPlatformOps *cim_ops(VamtAmt *amt)
{
    return vamt_amt_ops(amt);
}

VamtPowerState cim_power_state(VamtAmt *amt)
{
    return cim_ops(amt)->power_state(vamt_amt_opaque(amt));
}

const VamtInventory *cim_inventory(VamtAmt *amt)
{
    return cim_ops(amt)->inventory(vamt_amt_opaque(amt));
}

const char *cim_str_or_empty(const char *s)
{
    return s ? s : "";
}

/* The four keys and usual states of an AMT service singleton */
VamtCimInstance *cim_new_service(const VamtCimClass *cls,
                                 const char *name, unsigned enabled,
                                 unsigned requested)
{
    VamtCimInstance *inst = vamt_cim_new(cls);

    vamt_cim_str(inst, "CreationClassName", cls->name);
    vamt_cim_str(inst, "Name", name);
    vamt_cim_str(inst, "SystemCreationClassName", COMPUTER_SYSTEM);
    vamt_cim_str(inst, "SystemName", AMT_SYSTEM);
    vamt_cim_str(inst, "ElementName", name);
    vamt_cim_uint(inst, "EnabledState", enabled);
    vamt_cim_uint(inst, "RequestedState", requested);
    return inst;
}

VamtCimEpr *cim_service_epr(const char *class_name, const char *name)
{
    g_autofree char *uri = g_strconcat(VAMT_NS_CIM, class_name, NULL);
    VamtCimEpr *epr = vamt_cim_epr_new(uri);

    vamt_cim_epr_add(epr, "CreationClassName", class_name);
    vamt_cim_epr_add(epr, "Name", name);
    vamt_cim_epr_add(epr, "SystemCreationClassName", COMPUTER_SYSTEM);
    vamt_cim_epr_add(epr, "SystemName", AMT_SYSTEM);
    return epr;
}

VamtCimEpr *cim_managed_system_epr(void)
{
    VamtCimEpr *epr = vamt_cim_epr_new(VAMT_NS_CIM COMPUTER_SYSTEM);

    vamt_cim_epr_add(epr, "CreationClassName", COMPUTER_SYSTEM);
    vamt_cim_epr_add(epr, "Name", MANAGED_SYSTEM);
    return epr;
}

/* Method arguments */

bool cim_arg_uint(VamtCimCall *call, const char *name, uint64_t max,
                  uint64_t *v)
{
    g_autofree char *text = vamt_xml_child_text(call->input, name);

    return vamt_xml_parse_uint(text, max, v);
}

/* Every <name> child's value, for array arguments */
GPtrArray *cim_arg_array(xmlNode *parent, const char *name)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

    for (xmlNode *n = parent ? parent->children : NULL; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE &&
            !strcmp(vamt_xml_local_name(n), name)) {
            xmlChar *c = xmlNodeGetContent(n);

            g_ptr_array_add(out, g_strstrip(g_strdup((char *)c)));
            xmlFree(c);
        }
    }
    return out;
}

/* Put helpers: apply a property if the client sent it */

VamtCimStatus cim_put_bool(xmlNode *in, const char *name, bool *dst)
{
    g_autofree char *text = vamt_xml_child_text(in, name);

    if (text && !vamt_xml_parse_bool(text, dst)) {
        return VAMT_CIM_INVALID;
    }
    return VAMT_CIM_OK;
}

VamtCimStatus cim_put_uint(xmlNode *in, const char *name, uint64_t max,
                           uint64_t *dst)
{
    g_autofree char *text = vamt_xml_child_text(in, name);

    if (text && !vamt_xml_parse_uint(text, max, dst)) {
        return VAMT_CIM_INVALID;
    }
    return VAMT_CIM_OK;
}

VamtCimStatus cim_put_string(xmlNode *in, const char *name, char *dst,
                             size_t size)
{
    g_autofree char *text = vamt_xml_child_text(in, name);

    if (!text) {
        return VAMT_CIM_OK;
    }
    if (strlen(text) >= size) {
        return VAMT_CIM_INVALID;
    }
    g_strlcpy(dst, text, size);
    return VAMT_CIM_OK;
}

/* A time as CIM datetimes carry it, UTC */
char *cim_iso8601(int64_t t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);

    return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ")
              : g_strdup("1970-01-01T00:00:00Z");
}
