/*
 * vAMT ME core: CIM instances as the WS-Management layer serializes them,
 * and the table of classes (providers) that produce them
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_CIM_H
#define VAMT_ME_CIM_H

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>

#include "amt.h"

#define VAMT_NS_AMT     "http://intel.com/wbem/wscim/1/amt-schema/1/"
#define VAMT_NS_CIM     "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
#define VAMT_NS_IPS     "http://intel.com/wbem/wscim/1/ips-schema/1/"

typedef struct VamtCimClass VamtCimClass;

typedef struct VamtCimEpr VamtCimEpr;

typedef struct VamtCimSelector {
    char *name;
    char *value;
    VamtCimEpr *epr;            /* an association's reference, or NULL */
} VamtCimSelector;

/* A reference to an instance: resource URI plus its key selectors */
struct VamtCimEpr {
    char *resource_uri;
    GPtrArray *selectors;       /* VamtCimSelector */
};

typedef enum VamtCimKind {
    VAMT_CIM_VALUE,             /* text (escaped on output) */
    VAMT_CIM_DATETIME,          /* <common:Datetime> wrapped */
    VAMT_CIM_INTERVAL,          /* <common:Interval> wrapped */
    VAMT_CIM_EPR,
} VamtCimKind;

typedef struct VamtCimProp {
    char *name;
    VamtCimKind kind;
    char *value;
    VamtCimEpr *epr;
    unsigned order;             /* insertion order, for a stable sort */
} VamtCimProp;

/*
 * An instance, or a method's output.  Arrays are repeated properties of
 * the same name.  Instances are written with properties sorted by name
 * (as AMT does); method output keeps insertion order.
 */
typedef struct VamtCimInstance {
    const char *class_name;
    const char *ns_prefix;      /* VAMT_NS_AMT/CIM/IPS */
    GPtrArray *props;           /* VamtCimProp */
    bool keep_order;
} VamtCimInstance;

/* What a provider may answer instead of success */
typedef enum VamtCimStatus {
    VAMT_CIM_OK,
    VAMT_CIM_NOT_FOUND,         /* DestinationUnreachable */
    VAMT_CIM_BAD_SELECTORS,     /* InvalidSelectors */
    VAMT_CIM_NOT_SUPPORTED,     /* ActionNotSupported */
    VAMT_CIM_INVALID,           /* InvalidParameter / schema error */
    VAMT_CIM_EXISTS,            /* AlreadyExists */
    VAMT_CIM_FAILED,            /* InternalError */
    VAMT_CIM_UNABLE,            /* EventSourceUnableToProcess */
} VamtCimStatus;

/* A method call: input element, caller and the output to fill */
typedef struct VamtCimCall {
    VamtAmt *amt;
    const char *user;
    xmlNode *input;             /* <Method_INPUT>, may be NULL */
    GPtrArray *selectors;       /* of the request */
    VamtCimInstance *output;    /* <Method_OUTPUT>, ReturnValue last */
} VamtCimCall;

typedef struct VamtCimMethod {
    const char *name;
    /* Fill @call->output except ReturnValue; return the ReturnValue. */
    uint32_t (*call)(VamtCimCall *call);
} VamtCimMethod;

struct VamtCimClass {
    const char *name;
    const char *ns_prefix;
    /* Key property names (selectors); NULL-terminated */
    const char *const *keys;
    /*
     * Append this class's instances (or, for a base class, its
     * subclasses' instances) to @out.  NULL: no instances.
     */
    void (*list)(VamtAmt *amt, GPtrArray *out);
    /* Update from the Put body instance @in; NULL: read-only (ignored) */
    VamtCimStatus (*put)(VamtAmt *amt, const char *user,
                         const VamtCimInstance *target, xmlNode *in);
    /*
     * Create from @in; fill @created with the new instance's EPR.  @user
     * asked (for the audit log), as for Put.
     */
    VamtCimStatus (*create)(VamtAmt *amt, const char *user, xmlNode *in,
                            VamtCimEpr *created);
    VamtCimStatus (*delete)(VamtAmt *amt, const char *user,
                            const VamtCimInstance *target);
    const VamtCimMethod *methods;   /* { NULL } terminated, or NULL */
    /*
     * A device the platform does not have (a desktop's battery): Get
     * without selectors answers an empty instance, as consoles expect,
     * and enumerations are empty.
     */
    bool absent_device;
};

/* Instances */
VamtCimInstance *vamt_cim_new(const VamtCimClass *cls);
VamtCimInstance *vamt_cim_new_output(const char *class_name,
                                     const char *ns_prefix);
void vamt_cim_free(VamtCimInstance *inst);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VamtCimInstance, vamt_cim_free)
void vamt_cim_str(VamtCimInstance *inst, const char *name,
                  const char *value);
void G_GNUC_PRINTF(3, 4) vamt_cim_printf(VamtCimInstance *inst,
                                         const char *name,
                                         const char *fmt, ...);
void vamt_cim_uint(VamtCimInstance *inst, const char *name, uint64_t v);
void vamt_cim_bool(VamtCimInstance *inst, const char *name, bool v);
void vamt_cim_datetime(VamtCimInstance *inst, const char *name,
                       const char *iso8601);
void vamt_cim_interval(VamtCimInstance *inst, const char *name,
                       const char *duration);
/* Takes ownership of @epr */
void vamt_cim_epr(VamtCimInstance *inst, const char *name, VamtCimEpr *epr);
/* First value of property @name, or NULL */
const char *vamt_cim_get(const VamtCimInstance *inst, const char *name);
char *vamt_cim_resource_uri(const VamtCimInstance *inst);

/* EPRs */
VamtCimEpr *vamt_cim_epr_new(const char *resource_uri);
void vamt_cim_epr_free(VamtCimEpr *epr);
void vamt_cim_epr_add(VamtCimEpr *epr, const char *name, const char *value);
/* A selector whose value is a reference (takes ownership of @value) */
void vamt_cim_epr_add_epr(VamtCimEpr *epr, const char *name,
                          VamtCimEpr *value);
/* The EPR of @inst: its class's resource URI and key values */
VamtCimEpr *vamt_cim_epr_of(const VamtCimClass *cls,
                            const VamtCimInstance *inst);
void vamt_cim_selector_free(gpointer selector);
const char *vamt_cim_selector(GPtrArray *selectors, const char *name);

/*
 * XML text: @prefix for the class namespace, @common_prefix for
 * Datetime/Interval; "b" and "c" are addressing and wsman.
 */
void vamt_cim_write(GString *out, const VamtCimInstance *inst,
                    const char *prefix, const char *common_prefix);
void vamt_cim_write_epr_body(GString *out, const VamtCimEpr *epr);
void vamt_xml_escape(GString *out, const char *text);

/*
 * WS-Eventing on the alert subscriptions (cim/eventing.c).  Subscribe:
 * the request's @selectors (the filter collection), @header (the
 * listener's credentials) and Body/<Subscribe>; the SubscribeResponse
 * element goes to @out ("b", "c" and "g" = eventing prefixes).
 * Unsubscribe: the subscription named by the header's Filter and
 * Handler selectors.
 */
VamtCimStatus vamt_cim_subscribe(VamtAmt *amt, GPtrArray *selectors,
                                 xmlNode *header, xmlNode *subscribe,
                                 GString *out);
VamtCimStatus vamt_cim_unsubscribe(VamtAmt *amt, xmlNode *header);

/* The class table */
const VamtCimClass *vamt_cim_find_class(const char *resource_uri);
const VamtCimClass *vamt_cim_find_class_name(const char *class_name);
/* The class named like @inst (its own class, for subclass items) */
const VamtCimClass *vamt_cim_class_of(const VamtCimInstance *inst);

/* Parsing helpers for provider input (match by local name) */
const char *vamt_xml_local_name(const xmlNode *node);
xmlNode *vamt_xml_child(xmlNode *parent, const char *local_name);
/* Text of child @local_name, g_free()d by the caller, or NULL */
char *vamt_xml_child_text(xmlNode *parent, const char *local_name);
/* Selectors of an EPR-valued element (ReferenceParameters/SelectorSet) */
GPtrArray *vamt_xml_epr_selectors(xmlNode *epr_element);
/* Selectors of a <SelectorSet> (may be NULL: none) */
GPtrArray *vamt_xml_selector_set(xmlNode *set);
bool vamt_xml_parse_bool(const char *text, bool *v);
bool vamt_xml_parse_uint(const char *text, uint64_t max, uint64_t *v);

#endif
