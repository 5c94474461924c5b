/*
 * vAMT ME core: CIM instances, their XML form, and input helpers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdarg.h>
#include <libxml/parser.h>
#include <string.h>

#include "cim.h"
#include "provider.h"

#define ADDRESS_ANONYMOUS \
    "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

static void prop_free(gpointer data)
{
    VamtCimProp *p = data;

    g_free(p->name);
    g_free(p->value);
    if (p->epr) {
        vamt_cim_epr_free(p->epr);
    }
    g_free(p);
}

VamtCimInstance *vamt_cim_new_output(const char *class_name,
                                     const char *ns_prefix)
{
    VamtCimInstance *inst = g_new0(VamtCimInstance, 1);

    inst->class_name = class_name;
    inst->ns_prefix = ns_prefix;
    inst->props = g_ptr_array_new_with_free_func(prop_free);
    inst->keep_order = true;
    return inst;
}

VamtCimInstance *vamt_cim_new(const VamtCimClass *cls)
{
    VamtCimInstance *inst = vamt_cim_new_output(cls->name, cls->ns_prefix);

    inst->keep_order = false;
    return inst;
}

void vamt_cim_free(VamtCimInstance *inst)
{
    if (inst) {
        g_ptr_array_free(inst->props, TRUE);
        g_free(inst);
    }
}

static VamtCimProp *add_prop(VamtCimInstance *inst, const char *name,
                             VamtCimKind kind)
{
    VamtCimProp *p = g_new0(VamtCimProp, 1);

    p->name = g_strdup(name);
    p->kind = kind;
    p->order = inst->props->len;
    g_ptr_array_add(inst->props, p);
    return p;
}

void vamt_cim_str(VamtCimInstance *inst, const char *name, const char *value)
{
    add_prop(inst, name, VAMT_CIM_VALUE)->value = g_strdup(value);
}

void vamt_cim_printf(VamtCimInstance *inst, const char *name,
                     const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    add_prop(inst, name, VAMT_CIM_VALUE)->value = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

void vamt_cim_uint(VamtCimInstance *inst, const char *name, uint64_t v)
{
    vamt_cim_printf(inst, name, "%" G_GUINT64_FORMAT, (guint64)v);
}

void vamt_cim_bool(VamtCimInstance *inst, const char *name, bool v)
{
    vamt_cim_str(inst, name, v ? "true" : "false");
}

void vamt_cim_datetime(VamtCimInstance *inst, const char *name,
                       const char *iso8601)
{
    add_prop(inst, name, VAMT_CIM_DATETIME)->value = g_strdup(iso8601);
}

void vamt_cim_interval(VamtCimInstance *inst, const char *name,
                       const char *duration)
{
    add_prop(inst, name, VAMT_CIM_INTERVAL)->value = g_strdup(duration);
}

void vamt_cim_epr(VamtCimInstance *inst, const char *name, VamtCimEpr *epr)
{
    add_prop(inst, name, VAMT_CIM_EPR)->epr = epr;
}

const char *vamt_cim_get(const VamtCimInstance *inst, const char *name)
{
    for (guint i = 0; i < inst->props->len; i++) {
        VamtCimProp *p = g_ptr_array_index(inst->props, i);

        if (!g_ascii_strcasecmp(p->name, name)) {
            return p->value;
        }
    }
    return NULL;
}

char *vamt_cim_resource_uri(const VamtCimInstance *inst)
{
    return g_strconcat(inst->ns_prefix, inst->class_name, NULL);
}

void vamt_cim_selector_free(gpointer selector)
{
    VamtCimSelector *s = selector;

    g_free(s->name);
    g_free(s->value);
    if (s->epr) {
        vamt_cim_epr_free(s->epr);
    }
    g_free(s);
}

const char *vamt_cim_selector(GPtrArray *selectors, const char *name)
{
    for (guint i = 0; selectors && i < selectors->len; i++) {
        VamtCimSelector *s = g_ptr_array_index(selectors, i);

        if (!g_ascii_strcasecmp(s->name, name)) {
            return s->value;
        }
    }
    return NULL;
}

VamtCimEpr *vamt_cim_epr_new(const char *resource_uri)
{
    VamtCimEpr *epr = g_new0(VamtCimEpr, 1);

    epr->resource_uri = g_strdup(resource_uri);
    epr->selectors = g_ptr_array_new_with_free_func(vamt_cim_selector_free);
    return epr;
}

void vamt_cim_epr_free(VamtCimEpr *epr)
{
    g_free(epr->resource_uri);
    g_ptr_array_free(epr->selectors, TRUE);
    g_free(epr);
}

void vamt_cim_epr_add(VamtCimEpr *epr, const char *name, const char *value)
{
    VamtCimSelector *s = g_new0(VamtCimSelector, 1);

    s->name = g_strdup(name);
    s->value = g_strdup(value);
    g_ptr_array_add(epr->selectors, s);
}

void vamt_cim_epr_add_epr(VamtCimEpr *epr, const char *name,
                          VamtCimEpr *value)
{
    VamtCimSelector *s = g_new0(VamtCimSelector, 1);

    s->name = g_strdup(name);
    s->value = g_strdup("");
    s->epr = value;
    g_ptr_array_add(epr->selectors, s);
}

VamtCimEpr *vamt_cim_epr_of(const VamtCimClass *cls,
                            const VamtCimInstance *inst)
{
    g_autofree char *uri = vamt_cim_resource_uri(inst);
    VamtCimEpr *epr = vamt_cim_epr_new(uri);

    for (unsigned i = 0; cls && cls->keys && cls->keys[i]; i++) {
        const char *v = vamt_cim_get(inst, cls->keys[i]);

        if (v) {
            vamt_cim_epr_add(epr, cls->keys[i], v);
        }
    }
    return epr;
}

/* Output */

void vamt_xml_escape(GString *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '"':
            g_string_append(out, "&quot;");
            break;
        default:
            g_string_append_c(out, *p);
        }
    }
}

void vamt_cim_write_epr_body(GString *out, const VamtCimEpr *epr)
{
    g_string_append(out, "<b:Address>" ADDRESS_ANONYMOUS "</b:Address>"
                    "<b:ReferenceParameters><c:ResourceURI>");
    vamt_xml_escape(out, epr->resource_uri);
    g_string_append(out, "</c:ResourceURI><c:SelectorSet>");
    for (guint i = 0; i < epr->selectors->len; i++) {
        VamtCimSelector *s = g_ptr_array_index(epr->selectors, i);

        g_string_append(out, "<c:Selector Name=\"");
        vamt_xml_escape(out, s->name);
        g_string_append(out, "\">");
        if (s->epr) {
            g_string_append(out, "<b:EndpointReference>");
            vamt_cim_write_epr_body(out, s->epr);
            g_string_append(out, "</b:EndpointReference>");
        } else {
            vamt_xml_escape(out, s->value);
        }
        g_string_append(out, "</c:Selector>");
    }
    g_string_append(out, "</c:SelectorSet></b:ReferenceParameters>");
}

static gint compare_props(gconstpointer a, gconstpointer b)
{
    const VamtCimProp *pa = *(VamtCimProp *const *)a;
    const VamtCimProp *pb = *(VamtCimProp *const *)b;
    int c = strcmp(pa->name, pb->name);

    if (c) {
        return c;
    }
    return pa->order < pb->order ? -1 : pa->order > pb->order;
}

void vamt_cim_write(GString *out, const VamtCimInstance *inst,
                    const char *prefix, const char *common_prefix)
{
    g_autoptr(GPtrArray) props = g_ptr_array_new();

    for (guint i = 0; i < inst->props->len; i++) {
        g_ptr_array_add(props, g_ptr_array_index(inst->props, i));
    }
    if (!inst->keep_order) {
        g_ptr_array_sort(props, compare_props);
    }
    g_string_append_printf(out, "<%s:%s>", prefix, inst->class_name);
    for (guint i = 0; i < props->len; i++) {
        VamtCimProp *p = g_ptr_array_index(props, i);

        g_string_append_printf(out, "<%s:%s>", prefix, p->name);
        switch (p->kind) {
        case VAMT_CIM_VALUE:
            vamt_xml_escape(out, p->value);
            break;
        case VAMT_CIM_DATETIME:
        case VAMT_CIM_INTERVAL: {
            const char *tag = p->kind == VAMT_CIM_DATETIME ? "Datetime"
                                                           : "Interval";

            g_string_append_printf(out, "<%s:%s>", common_prefix, tag);
            vamt_xml_escape(out, p->value);
            g_string_append_printf(out, "</%s:%s>", common_prefix, tag);
            break;
        }
        case VAMT_CIM_EPR:
            vamt_cim_write_epr_body(out, p->epr);
            break;
        }
        g_string_append_printf(out, "</%s:%s>", prefix, p->name);
    }
    g_string_append_printf(out, "</%s:%s>", prefix, inst->class_name);
}

/* Provider input */

/* Elements are matched by local name, whatever their prefix. */

const char *vamt_xml_local_name(const xmlNode *node)
{
    const char *name = (const char *)node->name;
    const char *colon;

    /*
     * an undeclared prefix stays part of the name
     * (docs/specs/vamt-wsman.rst, "Parsing requests")
     */
    colon = node->ns ? NULL : strrchr(name, ':');
    return colon ? colon + 1 : name;
}

xmlNode *vamt_xml_child(xmlNode *parent, const char *local_name)
{
    if (!parent) {
        return NULL;
    }
    for (xmlNode *n = parent->children; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE &&
            !strcmp(vamt_xml_local_name(n), local_name)) {
            return n;
        }
    }
    return NULL;
}

static char *node_text(xmlNode *node)
{
    xmlChar *c = xmlNodeGetContent(node);
    char *text = g_strdup(c ? (const char *)c : "");

    xmlFree(c);
    return text;
}

char *vamt_xml_child_text(xmlNode *parent, const char *local_name)
{
    xmlNode *n = vamt_xml_child(parent, local_name);

    return n ? g_strstrip(node_text(n)) : NULL;
}

GPtrArray *vamt_xml_epr_selectors(xmlNode *epr_element)
{
    return vamt_xml_selector_set(vamt_xml_child(
        vamt_xml_child(epr_element, "ReferenceParameters"), "SelectorSet"));
}

GPtrArray *vamt_xml_selector_set(xmlNode *set)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(vamt_cim_selector_free);

    for (xmlNode *n = set ? set->children : NULL; n; n = n->next) {
        xmlChar *name;

        if (n->type != XML_ELEMENT_NODE ||
            strcmp(vamt_xml_local_name(n), "Selector")) {
            continue;
        }
        name = xmlGetProp(n, (const xmlChar *)"Name");
        if (name) {
            VamtCimSelector *s = g_new0(VamtCimSelector, 1);

            s->name = g_strdup((const char *)name);
            s->value = g_strstrip(node_text(n));
            g_ptr_array_add(out, s);
            xmlFree(name);
        }
    }
    return out;
}

bool vamt_xml_parse_bool(const char *text, bool *v)
{
    if (!text) {
        return false;
    }
    if (!g_ascii_strcasecmp(text, "true") || !strcmp(text, "1")) {
        *v = true;
        return true;
    }
    if (!g_ascii_strcasecmp(text, "false") || !strcmp(text, "0")) {
        *v = false;
        return true;
    }
    return false;
}

bool vamt_xml_parse_uint(const char *text, uint64_t max, uint64_t *v)
{
    guint64 n;

    if (!text || !g_ascii_string_to_unsigned(text, 10, 0, max, &n, NULL)) {
        return false;
    }
    *v = n;
    return true;
}

/* The class table: one array per provider file */

static const VamtCimClass *const *const areas[] = {
    vamt_cim_setup_classes,
    vamt_cim_power_classes,
    vamt_cim_boot_classes,
    vamt_cim_redirection_classes,
    vamt_cim_time_classes,
    vamt_cim_network_classes,
    vamt_cim_defense_classes,
    vamt_cim_users_classes,
    vamt_cim_logs_classes,
    vamt_cim_inventory_classes,
    vamt_cim_alarms_classes,
    vamt_cim_cira_classes,
    vamt_cim_tls_classes,
    vamt_cim_eventing_classes,
    vamt_cim_agent_presence_classes,
};

const VamtCimClass *vamt_cim_find_class(const char *resource_uri)
{
    for (unsigned a = 0; a < G_N_ELEMENTS(areas); a++) {
        for (const VamtCimClass *const *c = areas[a]; *c; c++) {
            const char *prefix = (*c)->ns_prefix;
            size_t n = strlen(prefix);

            if (!strncmp(resource_uri, prefix, n) &&
                !strcmp(resource_uri + n, (*c)->name)) {
                return *c;
            }
        }
    }
    return NULL;
}

const VamtCimClass *vamt_cim_find_class_name(const char *class_name)
{
    for (unsigned a = 0; a < G_N_ELEMENTS(areas); a++) {
        for (const VamtCimClass *const *c = areas[a]; *c; c++) {
            if (!strcmp((*c)->name, class_name)) {
                return *c;
            }
        }
    }
    return NULL;
}

const VamtCimClass *vamt_cim_class_of(const VamtCimInstance *inst)
{
    return vamt_cim_find_class_name(inst->class_name);
}
