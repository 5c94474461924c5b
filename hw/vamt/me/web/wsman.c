/*
 * vAMT ME core: WS-Management over the AMT object model
 *
 * Requests are matched leniently (local names, any prefix, undeclared
 * prefixes); responses are written byte for byte the way AMT writes them
 * (fixed prefixes, one line), because consoles string-match them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <inttypes.h>
#include <libxml/parser.h>
#include <string.h>

#include "acl.h"
#include "cim.h"
#include "wsman.h"
#include "enumeration.h"
#include "wsman-ns.h"
#include "xml-reader.h"


#define ACTION_FAULT    NS_ADDRESSING "/fault"

/* The smallest MaxEnvelopeSize AMT honours (DSP0226 EncodingLimit) */
#define MIN_MAX_ENVELOPE    50000

struct VamtWsman {
    VamtAmt *amt;
    uint64_t message_counter;
    VamtEnumContexts contexts;
};

typedef struct Request {
    xmlDoc *doc;
    xmlNode *header;
    xmlNode *payload;           /* first element in Body, or NULL */
    char *action;
    char *resource_uri;
    char *message_id;
    GPtrArray *selectors;       /* VamtCimSelector */
    const char *user;
} Request;

typedef enum Fault {
    FAULT_DESTINATION_UNREACHABLE,
    FAULT_ACTION_NOT_SUPPORTED,
    FAULT_INVALID_SELECTORS,
    FAULT_ACCESS_DENIED,
    FAULT_INVALID_ENUMERATION_CONTEXT,
    FAULT_SCHEMA_VALIDATION,
    FAULT_ENCODING_LIMIT,
    FAULT_ALREADY_EXISTS,
    FAULT_INVALID_PARAMETER,
    FAULT_MUST_UNDERSTAND,
    FAULT_INTERNAL_ERROR,
    FAULT_EVENT_SOURCE_UNABLE,
} Fault;

/*
 * Prefixes are those of the fault envelope (docs/specs/vamt-wsman.rst,
 * "Faults")
 */
static const struct {
    const char *code;
    const char *subcode;
    const char *reason;
    int status;
} fault_table[] = {
    [FAULT_DESTINATION_UNREACHABLE] = {
        "a:Sender", "b:DestinationUnreachable",
        "No route can be determined to reach the destination role defined "
        "by the WSAddressing To.", 400 },
    [FAULT_ACTION_NOT_SUPPORTED] = {
        "a:Sender", "b:ActionNotSupported",
        "The action is not supported by the service.", 400 },
    [FAULT_INVALID_SELECTORS] = {
        "a:Sender", "e:InvalidSelectors",
        "The Selectors for the resource were not valid.", 400 },
    [FAULT_ACCESS_DENIED] = {
        "a:Sender", "e:AccessDenied",
        "The sender was not authorized to access the resource.", 400 },
    [FAULT_INVALID_ENUMERATION_CONTEXT] = {
        "a:Receiver", "c:InvalidEnumerationContext",
        "The supplied enumeration context is invalid.", 400 },
    [FAULT_SCHEMA_VALIDATION] = {
        "a:Sender", "e:SchemaValidationError",
        "The supplied SOAP violates the corresponding XML Schema "
        "definition.", 400 },
    [FAULT_ENCODING_LIMIT] = {
        "a:Sender", "e:EncodingLimit",
        "An internal encoding limit was exceeded in a request or would be "
        "violated if the message were processed.", 400 },
    [FAULT_ALREADY_EXISTS] = {
        "a:Sender", "e:AlreadyExists",
        "The sender attempted to create a resource which already exists.",
        400 },
    [FAULT_INVALID_PARAMETER] = {
        "a:Sender", "e:InvalidParameter",
        "An operation parameter was not valid.", 400 },
    [FAULT_MUST_UNDERSTAND] = {
        "a:MustUnderstand", NULL,
        "The WS-Management service cannot process a SOAP header in the "
        "request that is marked as mustUnderstand.", 400 },
    [FAULT_INTERNAL_ERROR] = {
        "a:Receiver", "e:InternalError",
        "The service cannot comply with the request due to internal "
        "processing errors.", 500 },
    [FAULT_EVENT_SOURCE_UNABLE] = {
        "a:Receiver", "f:EventSourceUnableToProcess",
        "The event source cannot process the subscription.", 400 },
};

VamtWsman *vamt_wsman_new(VamtAmt *amt)
{
    VamtWsman *ws = g_new0(VamtWsman, 1);

    ws->amt = amt;
    ws->message_counter = 0;
    vamt_enum_contexts_init(&ws->contexts, amt);
    return ws;
}

void vamt_wsman_free(VamtWsman *ws)
{
    vamt_enum_contexts_clear(&ws->contexts);
    g_free(ws);
}

unsigned vamt_wsman_open_contexts(VamtWsman *ws)
{
    return vamt_enum_contexts_open(&ws->contexts);
}

/* Envelope writing */

static void envelope_open(GString *out, const char *const *extra_ns)
{
    g_string_append(out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<a:Envelope xmlns:a=\"" NS_SOAP "\" xmlns:b=\"" NS_ADDRESSING
        "\" xmlns:c=\"" NS_WSMAN "\" xmlns:d=\"" NS_TRUST
        "\" xmlns:e=\"" NS_SECEXT "\" xmlns:f=\"" NS_CIMBINDING "\"");
    for (unsigned i = 0; extra_ns && extra_ns[i]; i += 2) {
        g_string_append_printf(out, " xmlns:%s=\"", extra_ns[i]);
        vamt_xml_escape(out, extra_ns[i + 1]);
        g_string_append_c(out, '"');
    }
    g_string_append(out, " xmlns:xsi=\"" NS_XSI "\">");
}

static void header_common(VamtWsman *ws, GString *out, const Request *req,
                          const char *action)
{
    uint64_t id = ++ws->message_counter & 0xffffffffffffULL;

    g_string_append(out, "<a:Header><b:To>" ANONYMOUS "</b:To>");
    if (req->message_id) {
        g_string_append(out, "<b:RelatesTo>");
        vamt_xml_escape(out, req->message_id);
        g_string_append(out, "</b:RelatesTo>");
    }
    g_string_append(out, "<b:Action a:mustUnderstand=\"true\">");
    vamt_xml_escape(out, action);
    g_string_append_printf(out, "</b:Action><b:MessageID>"
                           "uuid:00000000-8086-8086-8086-%012" PRIX64
                           "</b:MessageID>",
                           id);
}

/* The usual header: addressing, then the request's ResourceURI */
static void header_write(VamtWsman *ws, GString *out, const Request *req,
                         const char *action)
{
    header_common(ws, out, req, action);
    g_string_append(out, "<c:ResourceURI>");
    vamt_xml_escape(out, req->resource_uri ? req->resource_uri : "");
    g_string_append(out, "</c:ResourceURI></a:Header><a:Body>");
}

static void envelope_close(GString *out)
{
    g_string_append(out, "</a:Body></a:Envelope>");
}

static void fault(VamtWsman *ws, const Request *req, Fault f,
                  VamtSoapResponse *rsp)
{
    GString *out = rsp->body;

    g_string_truncate(out, 0);
    g_string_append(out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<a:Envelope xmlns:a=\"" NS_SOAP "\" xmlns:b=\"" NS_ADDRESSING
        "\" xmlns:c=\"" NS_ENUMERATION "\" xmlns:d=\"" NS_TRANSFER
        "\" xmlns:e=\"" NS_WSMAN "\" xmlns:f=\"" NS_EVENTING
        "\" xmlns:g=\"" NS_CIMBINDING "\" xmlns:h=\"" NS_TRUST
        "\" xmlns:i=\"" NS_SECEXT "\" xmlns:xsi=\"" NS_XSI "\">");
    header_common(ws, out, req, ACTION_FAULT);
    g_string_append_printf(out, "</a:Header><a:Body><a:Fault><a:Code>"
                           "<a:Value>%s</a:Value>", fault_table[f].code);
    if (fault_table[f].subcode) {
        g_string_append_printf(out, "<a:Subcode><a:Value>%s</a:Value>"
                               "</a:Subcode>", fault_table[f].subcode);
    }
    g_string_append_printf(out, "</a:Code><a:Reason><a:Text "
                           "xml:lang=\"en-US\">%s</a:Text></a:Reason>"
                           "<a:Detail></a:Detail></a:Fault>",
                           fault_table[f].reason);
    envelope_close(out);
    rsp->status = fault_table[f].status;
    rsp->content_type = VAMT_WSMAN_CONTENT_TYPE;
}

static Fault fault_of_status(VamtCimStatus status)
{
    switch (status) {
    case VAMT_CIM_BAD_SELECTORS:
        return FAULT_INVALID_SELECTORS;
    case VAMT_CIM_NOT_SUPPORTED:
        return FAULT_ACTION_NOT_SUPPORTED;
    case VAMT_CIM_INVALID:
        return FAULT_INVALID_PARAMETER;
    case VAMT_CIM_EXISTS:
        return FAULT_ALREADY_EXISTS;
    case VAMT_CIM_FAILED:
        return FAULT_INTERNAL_ERROR;
    case VAMT_CIM_UNABLE:
        return FAULT_EVENT_SOURCE_UNABLE;
    default:
        return FAULT_DESTINATION_UNREACHABLE;
    }
}

static void success_begin(VamtWsman *ws, const Request *req,
                          const char *action, const char *const *extra_ns,
                          VamtSoapResponse *rsp)
{
    envelope_open(rsp->body, extra_ns);
    header_write(ws, rsp->body, req, action);
    rsp->status = 200;
    rsp->content_type = VAMT_WSMAN_CONTENT_TYPE;
}

/*
 * The realm check (acl.c): a user lacking every realm in @realms gets an
 * AccessDenied fault, as AMT answers it (docs/specs/vamt-wsman.rst, "Faults").
 */
static bool access_denied(VamtWsman *ws, const Request *req, uint32_t realms,
                          VamtSoapResponse *rsp)
{
    if (vamt_acl_user_permitted(ws->amt, req->user, realms)) {
        return false;
    }
    fault(ws, req, FAULT_ACCESS_DENIED, rsp);
    return true;
}

static bool class_access_denied(VamtWsman *ws, const Request *req,
                                const VamtCimClass *cls, VamtAclAccess access,
                                const char *method, VamtSoapResponse *rsp)
{
    return access_denied(ws, req,
                         vamt_acl_wsman_realms(cls->name, access, method),
                         rsp);
}

/* Request parsing */

static void request_clear(Request *req)
{
    g_free(req->action);
    g_free(req->resource_uri);
    g_free(req->message_id);
    if (req->selectors) {
        g_ptr_array_free(req->selectors, TRUE);
    }
    if (req->doc) {
        xmlFreeDoc(req->doc);
    }
}

static xmlNode *first_element(xmlNode *parent)
{
    for (xmlNode *n = parent ? parent->children : NULL; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE) {
            return n;
        }
    }
    return NULL;
}

static bool attr_true(xmlNode *node, const char *name)
{
    xmlChar *v = xmlGetProp(node, (const xmlChar *)name);
    bool yes = false;

    if (v) {
        vamt_xml_parse_bool(g_strstrip((char *)v), &yes);
        xmlFree(v);
    }
    return yes;
}

static Fault header_check(xmlNode *header, bool *ok)
{
    g_autofree char *max_env = vamt_xml_child_text(header, "MaxEnvelopeSize");
    xmlNode *options = vamt_xml_child(header, "OptionSet");
    uint64_t max;

    *ok = false;
    if (max_env && (!vamt_xml_parse_uint(max_env, UINT32_MAX, &max) ||
                    max < MIN_MAX_ENVELOPE)) {
        return FAULT_ENCODING_LIMIT;
    }
    /* options are not implemented, so one that must be obeyed fails */
    if (options && attr_true(options, "mustUnderstand")) {
        return FAULT_MUST_UNDERSTAND;
    }
    *ok = true;
    return FAULT_INTERNAL_ERROR;
}

static Fault parse_error_fault(VamtXmlError err)
{
    switch (err) {
    case VAMT_XML_TOO_BIG:
    case VAMT_XML_BAD_ENCODING:
    case VAMT_XML_TOO_MANY_ATTRIBUTES:
    case VAMT_XML_TOO_MANY_ELEMENTS:
        return FAULT_ENCODING_LIMIT;
    default:
        return FAULT_SCHEMA_VALIDATION;
    }
}

/*
 * Identify: no addressing header at all (docs/specs/vamt-wsman.rst,
 * "Identify")
 */
static void identify(VamtWsman *ws, VamtSoapResponse *rsp)
{
    const VamtFirmware *fw = vamt_amt_firmware(ws->amt);

    g_string_append_printf(rsp->body,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<a:Envelope xmlns:a=\"" NS_SOAP "\" xmlns:b=\"" NS_IDENTITY "\">"
        "<a:Header></a:Header><a:Body><b:IdentifyResponse>"
        "<b:ProtocolVersion>" NS_WSMAN "</b:ProtocolVersion>"
        "<b:ProductVendor>Intel Corporation</b:ProductVendor>"
        "<b:ProductVersion>AMT %u.%u</b:ProductVersion>"
        "<b:SecurityProfiles><b:SecurityProfileName>"
        "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/digest"
        "</b:SecurityProfileName><b:SecurityProfileName>"
        "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/digest"
        "</b:SecurityProfileName></b:SecurityProfiles>"
        "</b:IdentifyResponse></a:Body></a:Envelope>",
        fw->version.major, fw->version.minor);
    rsp->status = 200;
    rsp->content_type = VAMT_WSMAN_CONTENT_TYPE;
}

static bool payload_is_identify(xmlNode *payload)
{
    return payload && !strcmp(vamt_xml_local_name(payload), "Identify");
}

/* Instance resolution */

static bool is_key(const VamtCimClass *cls, const char *name)
{
    for (unsigned i = 0; cls->keys && cls->keys[i]; i++) {
        if (!g_ascii_strcasecmp(cls->keys[i], name)) {
            return true;
        }
    }
    return false;
}

/*
 * The instance the selectors name: with none, the first (singletons);
 * otherwise the one whose keys match them all.  @list owns the result.
 */
static VamtCimStatus resolve(VamtAmt *amt, const VamtCimClass *cls,
                             GPtrArray *selectors, GPtrArray **list,
                             VamtCimInstance **found)
{
    guint i, j;

    *found = NULL;
    *list = g_ptr_array_new_with_free_func((GDestroyNotify)vamt_cim_free);
    if (!cls->keys) {
        /* associations: keyed by references, which clients never send */
        selectors = NULL;
    }
    for (i = 0; selectors && i < selectors->len; i++) {
        VamtCimSelector *s = g_ptr_array_index(selectors, i);

        if (!is_key(cls, s->name)) {
            return VAMT_CIM_BAD_SELECTORS;
        }
    }
    if (cls->list) {
        cls->list(amt, *list);
    }
    for (i = 0; i < (*list)->len; i++) {
        VamtCimInstance *inst = g_ptr_array_index(*list, i);
        bool match = true;

        for (j = 0; selectors && j < selectors->len && match; j++) {
            VamtCimSelector *s = g_ptr_array_index(selectors, j);
            const char *v = vamt_cim_get(inst, s->name);

            match = v && !strcmp(v, s->value);
        }
        if (match) {
            *found = inst;
            return VAMT_CIM_OK;
        }
    }
    return VAMT_CIM_NOT_FOUND;
}

static void write_instance_body(VamtWsman *ws, const Request *req,
                                const char *action,
                                const VamtCimInstance *inst,
                                VamtSoapResponse *rsp)
{
    g_autofree char *uri = vamt_cim_resource_uri(inst);
    const char *ns[] = { "g", uri, "h", NS_COMMON, NULL };

    success_begin(ws, req, action, ns, rsp);
    vamt_cim_write(rsp->body, inst, "g", "h");
    envelope_close(rsp->body);
}

static void op_get(VamtWsman *ws, const Request *req,
                   const VamtCimClass *cls, VamtSoapResponse *rsp)
{
    g_autoptr(GPtrArray) list = NULL;
    VamtCimInstance *inst;
    VamtCimStatus st = resolve(ws->amt, cls, req->selectors, &list, &inst);
    g_autoptr(VamtCimInstance) empty = NULL;

    /* MeshCommander's hardware page needs a 200 for CIM_Battery */
    if (st == VAMT_CIM_NOT_FOUND && cls->absent_device &&
        (!req->selectors || !req->selectors->len)) {
        empty = vamt_cim_new(cls);
        inst = empty;
        st = VAMT_CIM_OK;
    }
    if (st != VAMT_CIM_OK) {
        fault(ws, req, fault_of_status(st), rsp);
        return;
    }
    write_instance_body(ws, req, NS_TRANSFER "/GetResponse", inst, rsp);
}

static void op_put(VamtWsman *ws, const Request *req,
                   const VamtCimClass *cls, VamtSoapResponse *rsp)
{
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GPtrArray) after = NULL;
    VamtCimInstance *inst;
    VamtCimStatus st = resolve(ws->amt, cls, req->selectors, &list, &inst);

    if (st == VAMT_CIM_OK && !cls->put) {
        st = VAMT_CIM_NOT_SUPPORTED;
    }
    if (st == VAMT_CIM_OK && !req->payload) {
        st = VAMT_CIM_INVALID;
    }
    if (st == VAMT_CIM_OK) {
        st = cls->put(ws->amt, req->user, inst, req->payload);
    }
    if (st == VAMT_CIM_OK) {
        /* answer with the instance as it is now, found by its keys */
        VamtCimEpr *epr = vamt_cim_epr_of(cls, inst);

        st = resolve(ws->amt, cls, epr->selectors, &after, &inst);
        vamt_cim_epr_free(epr);
    }
    if (st != VAMT_CIM_OK) {
        fault(ws, req, fault_of_status(st), rsp);
        return;
    }
    write_instance_body(ws, req, NS_TRANSFER "/PutResponse", inst, rsp);
}

static void op_create(VamtWsman *ws, const Request *req,
                      const VamtCimClass *cls, VamtSoapResponse *rsp)
{
    g_autofree char *uri = g_strconcat(cls->ns_prefix, cls->name, NULL);
    VamtCimEpr *created = vamt_cim_epr_new(uri);
    const char *ns[] = { "g", NS_TRANSFER, NULL };
    VamtCimStatus st = VAMT_CIM_NOT_SUPPORTED;

    if (cls->create) {
        st = req->payload ? cls->create(ws->amt, req->user, req->payload,
                                      created)
                          : VAMT_CIM_INVALID;
    }
    if (st != VAMT_CIM_OK) {
        fault(ws, req, fault_of_status(st), rsp);
    } else {
        success_begin(ws, req, NS_TRANSFER "/CreateResponse", ns, rsp);
        g_string_append(rsp->body, "<g:ResourceCreated>");
        vamt_cim_write_epr_body(rsp->body, created);
        g_string_append(rsp->body, "</g:ResourceCreated>");
        envelope_close(rsp->body);
    }
    vamt_cim_epr_free(created);
}

static void op_delete(VamtWsman *ws, const Request *req,
                      const VamtCimClass *cls, VamtSoapResponse *rsp)
{
    g_autoptr(GPtrArray) list = NULL;
    VamtCimInstance *inst;
    VamtCimStatus st = resolve(ws->amt, cls, req->selectors, &list, &inst);

    if (st == VAMT_CIM_OK) {
        st = cls->delete ? cls->delete(ws->amt, req->user, inst)
                         : VAMT_CIM_NOT_SUPPORTED;
    }
    if (st != VAMT_CIM_OK) {
        fault(ws, req, fault_of_status(st), rsp);
        return;
    }
    success_begin(ws, req, NS_TRANSFER "/DeleteResponse", NULL, rsp);
    envelope_close(rsp->body);
}

static void op_enumerate(VamtWsman *ws, const Request *req,
                         const VamtCimClass *cls, VamtSoapResponse *rsp)
{
    g_autofree char *mode = vamt_xml_child_text(req->payload,
                                                "EnumerationMode");
    const char *ns[] = { "g", NS_ENUMERATION, NULL };
    VamtEnumContext *ctx;
    VamtEnumMode enum_mode = VAMT_ENUM_OBJECT;

    if (mode && !strcmp(mode, "EnumerateEPR")) {
        enum_mode = VAMT_ENUM_EPR;
    } else if (mode && !strcmp(mode, "EnumerateObjectAndEPR")) {
        enum_mode = VAMT_ENUM_OBJECT_AND_EPR;
    } else if (mode) {
        fault(ws, req, FAULT_INVALID_PARAMETER, rsp);
        return;
    }
    /*
     * OptimizeEnumeration is ignored on purpose: items always come by
     * Pull, which every client handles (docs/specs/vamt-wsman.rst,
     * "Enumerate, Pull and Release").
     */
    ctx = vamt_enum_context_new(&ws->contexts, req->user);
    ctx->mode = enum_mode;
    ctx->realms = vamt_acl_wsman_realms(cls->name, VAMT_ACL_READ, NULL);
    ctx->items = g_ptr_array_new_with_free_func(
        (GDestroyNotify)vamt_cim_free);
    if (cls->list) {
        cls->list(ws->amt, ctx->items);
    }
    success_begin(ws, req, NS_ENUMERATION "/EnumerateResponse", ns, rsp);
    g_string_append_printf(rsp->body, "<g:EnumerateResponse>"
                           "<g:EnumerationContext>%08X" VAMT_ENUM_CONTEXT_SUFFIX
                           "</g:EnumerationContext></g:EnumerateResponse>",
                           ctx->id);
    envelope_close(rsp->body);
}

static void write_epr_item(GString *out, const VamtCimInstance *inst)
{
    VamtCimEpr *epr = vamt_cim_epr_of(vamt_cim_class_of(inst), inst);

    g_string_append(out, "<b:EndpointReference>");
    vamt_cim_write_epr_body(out, epr);
    g_string_append(out, "</b:EndpointReference>");
    vamt_cim_epr_free(epr);
}

static void op_pull(VamtWsman *ws, const Request *req,
                    VamtSoapResponse *rsp)
{
    g_autofree char *context = vamt_xml_child_text(req->payload,
                                                   "EnumerationContext");
    g_autofree char *max_text = vamt_xml_child_text(req->payload,
                                                    "MaxElements");
    VamtEnumContext *ctx = vamt_enum_context_find(&ws->contexts, context,
                                                   req->user);
    g_autoptr(GPtrArray) ns = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) prefixes = g_hash_table_new(g_str_hash,
                                                      g_str_equal);
    uint64_t max = 1;
    guint end, i;
    char letter = 'h';
    const char *common;

    if (!ctx) {
        fault(ws, req, FAULT_INVALID_ENUMERATION_CONTEXT, rsp);
        return;
    }
    /* the owner's realms may have changed since it enumerated */
    if (access_denied(ws, req, ctx->realms, rsp)) {
        return;
    }
    if (max_text && (!vamt_xml_parse_uint(max_text, UINT32_MAX, &max) ||
                     !max)) {
        fault(ws, req, FAULT_INVALID_PARAMETER, rsp);
        return;
    }
    end = ctx->next + MIN(max, ctx->items->len - ctx->next);

    /* g: enumeration; h, i, ...: each item class; then the common ns */
    g_ptr_array_add(ns, g_strdup("g"));
    g_ptr_array_add(ns, g_strdup(NS_ENUMERATION));
    for (i = ctx->next; i < end && ctx->mode != VAMT_ENUM_EPR; i++) {
        VamtCimInstance *inst = g_ptr_array_index(ctx->items, i);
        char *uri = vamt_cim_resource_uri(inst);

        if (g_hash_table_contains(prefixes, uri) || letter >= 'w') {
            g_free(uri);
            continue;
        }
        g_ptr_array_add(ns, g_strdup_printf("%c", letter++));
        g_ptr_array_add(ns, uri);
        g_hash_table_insert(prefixes, uri,
                            g_ptr_array_index(ns, ns->len - 2));
    }
    g_ptr_array_add(ns, g_strdup_printf("%c", letter));
    g_ptr_array_add(ns, g_strdup(NS_COMMON));
    common = g_ptr_array_index(ns, ns->len - 2);
    g_ptr_array_add(ns, NULL);

    success_begin(ws, req, NS_ENUMERATION "/PullResponse",
                  (const char *const *)ns->pdata, rsp);
    g_string_append(rsp->body, "<g:PullResponse>");
    if (end < ctx->items->len) {
        g_string_append_printf(rsp->body, "<g:EnumerationContext>%08X"
                               VAMT_ENUM_CONTEXT_SUFFIX
                               "</g:EnumerationContext>", ctx->id);
    }
    g_string_append(rsp->body, "<g:Items>");
    for (i = ctx->next; i < end; i++) {
        VamtCimInstance *inst = g_ptr_array_index(ctx->items, i);
        g_autofree char *uri = vamt_cim_resource_uri(inst);
        const char *prefix = g_hash_table_lookup(prefixes, uri);

        if (!prefix && ctx->mode != VAMT_ENUM_EPR) {
            continue;       /* more classes than prefix letters: never */
        }
        switch (ctx->mode) {
        case VAMT_ENUM_OBJECT:
            vamt_cim_write(rsp->body, inst, prefix, common);
            break;
        case VAMT_ENUM_EPR:
            write_epr_item(rsp->body, inst);
            break;
        case VAMT_ENUM_OBJECT_AND_EPR:
            g_string_append(rsp->body, "<c:Item>");
            vamt_cim_write(rsp->body, inst, prefix, common);
            write_epr_item(rsp->body, inst);
            g_string_append(rsp->body, "</c:Item>");
            break;
        }
    }
    g_string_append(rsp->body, "</g:Items>");
    ctx->next = end;
    if (end == ctx->items->len) {
        /* a context in the answer makes consoles keep pulling */
        g_string_append(rsp->body, "<g:EndOfSequence></g:EndOfSequence>");
        vamt_enum_context_clear(ctx);
    }
    g_string_append(rsp->body, "</g:PullResponse>");
    envelope_close(rsp->body);
}

static void op_release(VamtWsman *ws, const Request *req,
                       VamtSoapResponse *rsp)
{
    g_autofree char *context = vamt_xml_child_text(req->payload,
                                                   "EnumerationContext");
    VamtEnumContext *ctx = vamt_enum_context_find(&ws->contexts, context,
                                                   req->user);

    if (!ctx) {
        fault(ws, req, FAULT_INVALID_ENUMERATION_CONTEXT, rsp);
        return;
    }
    if (access_denied(ws, req, ctx->realms, rsp)) {
        return;
    }
    vamt_enum_context_clear(ctx);
    success_begin(ws, req, NS_ENUMERATION "/ReleaseResponse", NULL, rsp);
    envelope_close(rsp->body);
}

static void op_invoke(VamtWsman *ws, const Request *req,
                      const VamtCimClass *cls, const char *method_name,
                      VamtSoapResponse *rsp)
{
    const VamtCimMethod *method = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autofree char *output_name = NULL;
    g_autofree char *input_name = NULL;
    g_autofree char *action = NULL;
    VamtCimInstance *inst;
    VamtCimStatus st;
    VamtCimCall call = { 0 };
    uint32_t rv;

    for (unsigned i = 0; cls->methods && cls->methods[i].name; i++) {
        if (!strcmp(cls->methods[i].name, method_name)) {
            method = &cls->methods[i];
        }
    }
    if (!method) {
        fault(ws, req, FAULT_ACTION_NOT_SUPPORTED, rsp);
        return;
    }
    st = resolve(ws->amt, cls, req->selectors, &list, &inst);
    if (st != VAMT_CIM_OK) {
        fault(ws, req, fault_of_status(st), rsp);
        return;
    }
    input_name = g_strconcat(method_name, "_INPUT", NULL);
    output_name = g_strconcat(method_name, "_OUTPUT", NULL);
    call.amt = ws->amt;
    call.user = req->user;
    call.selectors = req->selectors;
    if (req->payload &&
        !strcmp(vamt_xml_local_name(req->payload), input_name)) {
        call.input = req->payload;
    }
    call.output = vamt_cim_new_output(output_name, cls->ns_prefix);
    rv = method->call(&call);
    vamt_cim_uint(call.output, "ReturnValue", rv);

    action = g_strconcat(req->action, "Response", NULL);
    {
        g_autofree char *uri = g_strconcat(cls->ns_prefix, cls->name, NULL);
        const char *ns[] = { "g", uri, "h", NS_COMMON, NULL };

        success_begin(ws, req, action, ns, rsp);
        vamt_cim_write(rsp->body, call.output, "g", "h");
        envelope_close(rsp->body);
    }
    vamt_cim_free(call.output);
}

/* WS-Eventing: alert subscriptions (cim/eventing.c) */
static void op_eventing(VamtWsman *ws, const Request *req,
                        const VamtCimClass *cls, const char *op,
                        VamtSoapResponse *rsp)
{
    static const char *const ns[] = { "g", NS_EVENTING, NULL };
    g_autoptr(GString) body = g_string_new(NULL);
    g_autofree char *action = NULL;
    VamtCimStatus st;

    if (!strcmp(op, "Subscribe") &&
        !strcmp(cls->name, "CIM_FilterCollection")) {
        if (!req->payload ||
            strcmp(vamt_xml_local_name(req->payload), "Subscribe")) {
            fault(ws, req, FAULT_SCHEMA_VALIDATION, rsp);
            return;
        }
        st = vamt_cim_subscribe(ws->amt, req->selectors, req->header,
                                req->payload, body);
    } else if (!strcmp(op, "Unsubscribe") &&
               !strcmp(cls->name, "CIM_FilterCollectionSubscription")) {
        st = vamt_cim_unsubscribe(ws->amt, req->header);
    } else {
        fault(ws, req, FAULT_ACTION_NOT_SUPPORTED, rsp);
        return;
    }
    if (st != VAMT_CIM_OK) {
        fault(ws, req, fault_of_status(st), rsp);
        return;
    }
    action = g_strconcat(req->action, "Response", NULL);
    success_begin(ws, req, action, ns, rsp);
    g_string_append_len(rsp->body, body->str, body->len);
    envelope_close(rsp->body);
}

static void dispatch(VamtWsman *ws, Request *req, VamtSoapResponse *rsp)
{
    static const char eventing[] = NS_EVENTING "/";
    static const char transfer[] = NS_TRANSFER "/";
    static const char enumeration[] = NS_ENUMERATION "/";
    const VamtCimClass *cls;
    VamtAclAccess access;
    const char *op;
    size_t uri_len;

    if (!req->action) {
        fault(ws, req, FAULT_ACTION_NOT_SUPPORTED, rsp);
        return;
    }
    cls = req->resource_uri ? vamt_cim_find_class(req->resource_uri) : NULL;
    if (g_str_has_prefix(req->action, enumeration)) {
        op = req->action + strlen(enumeration);
        /*
         * Pull and Release: a user without the named class's realm is
         * refused before any context is looked up, so the answer does
         * not tell whether another user's context exists.
         */
        if ((!strcmp(op, "Pull") || !strcmp(op, "Release")) && cls &&
            class_access_denied(ws, req, cls, VAMT_ACL_READ, NULL, rsp)) {
            return;
        }
        if (!strcmp(op, "Pull")) {
            op_pull(ws, req, rsp);
        } else if (!strcmp(op, "Release")) {
            op_release(ws, req, rsp);
        } else if (!strcmp(op, "Enumerate") && cls) {
            if (!class_access_denied(ws, req, cls, VAMT_ACL_READ, NULL,
                                     rsp)) {
                op_enumerate(ws, req, cls, rsp);
            }
        } else {
            fault(ws, req, cls ? FAULT_ACTION_NOT_SUPPORTED
                               : FAULT_DESTINATION_UNREACHABLE, rsp);
        }
        return;
    }
    if (!cls) {
        fault(ws, req, FAULT_DESTINATION_UNREACHABLE, rsp);
        return;
    }
    if (g_str_has_prefix(req->action, eventing)) {
        if (!class_access_denied(ws, req, cls, VAMT_ACL_WRITE, NULL, rsp)) {
            op_eventing(ws, req, cls, req->action + strlen(eventing), rsp);
        }
        return;
    }
    if (g_str_has_prefix(req->action, transfer)) {
        op = req->action + strlen(transfer);
        access = strcmp(op, "Get") ? VAMT_ACL_WRITE : VAMT_ACL_READ;
        if (class_access_denied(ws, req, cls, access, NULL, rsp)) {
            return;
        }
        if (!strcmp(op, "Get")) {
            op_get(ws, req, cls, rsp);
        } else if (!strcmp(op, "Put")) {
            op_put(ws, req, cls, rsp);
        } else if (!strcmp(op, "Create")) {
            op_create(ws, req, cls, rsp);
        } else if (!strcmp(op, "Delete")) {
            op_delete(ws, req, cls, rsp);
        } else {
            fault(ws, req, FAULT_ACTION_NOT_SUPPORTED, rsp);
        }
        return;
    }
    /* a method: <resource URI>/<Method> */
    uri_len = strlen(req->resource_uri);
    if (!strncmp(req->action, req->resource_uri, uri_len) &&
        req->action[uri_len] == '/' && req->action[uri_len + 1]) {
        const char *method = req->action + uri_len + 1;

        if (!class_access_denied(ws, req, cls, VAMT_ACL_INVOKE, method,
                                 rsp)) {
            op_invoke(ws, req, cls, method, rsp);
        }
        return;
    }
    fault(ws, req, FAULT_ACTION_NOT_SUPPORTED, rsp);
}

static void wsman_handle(VamtWsman *ws, const char *user,
                         const uint8_t *body, size_t len,
                         VamtSoapResponse *rsp)
{
    Request req = { .user = user };
    xmlNode *root, *body_node;
    VamtXmlError err;
    bool ok;
    Fault f;

    /* what a peer sends before authenticating may cost no big parse */
    if (!user && len > VAMT_WSMAN_MAX_ANONYMOUS_BODY) {
        rsp->status = 401;
        return;
    }
    req.doc = vamt_xml_read(body, len, VAMT_WSMAN_MAX_BODY,
                            VAMT_WSMAN_MAX_DEPTH, &err);
    if (!req.doc) {
        if (!user) {
            rsp->status = 401;
            return;
        }
        fault(ws, &req, parse_error_fault(err), rsp);
        return;
    }
    root = xmlDocGetRootElement(req.doc);
    req.header = vamt_xml_child(root, "Header");
    body_node = vamt_xml_child(root, "Body");
    req.payload = first_element(body_node);
    if (strcmp(vamt_xml_local_name(root), "Envelope") || !body_node) {
        if (user) {
            fault(ws, &req, FAULT_SCHEMA_VALIDATION, rsp);
        } else {
            rsp->status = 401;
        }
        goto out;
    }
    if (payload_is_identify(req.payload)) {
        identify(ws, rsp);
        goto out;
    }
    if (!user) {
        rsp->status = 401;
        goto out;
    }
    req.action = vamt_xml_child_text(req.header, "Action");
    req.resource_uri = vamt_xml_child_text(req.header, "ResourceURI");
    req.message_id = vamt_xml_child_text(req.header, "MessageID");
    req.selectors = vamt_xml_selector_set(vamt_xml_child(req.header,
                                                         "SelectorSet"));
    f = header_check(req.header, &ok);
    if (!ok) {
        fault(ws, &req, f, rsp);
        goto out;
    }
    dispatch(ws, &req, rsp);
out:
    request_clear(&req);
}

bool vamt_wsman_is_identify(const uint8_t *body, size_t len)
{
    VamtXmlError err;
    xmlDoc *doc;
    bool yes;

    if (len > VAMT_WSMAN_MAX_ANONYMOUS_BODY) {
        return false;
    }
    doc = vamt_xml_read(body, len, VAMT_WSMAN_MAX_ANONYMOUS_BODY,
                        VAMT_WSMAN_MAX_DEPTH, &err);
    if (!doc) {
        return false;
    }
    yes = payload_is_identify(first_element(
        vamt_xml_child(xmlDocGetRootElement(doc), "Body")));
    xmlFreeDoc(doc);
    return yes;
}

void vamt_wsman_handle(VamtWsman *ws, const char *path, const char *user,
                       const uint8_t *body, size_t len,
                       VamtSoapResponse *rsp)
{
    rsp->status = 404;
    rsp->content_type = NULL;
    if (!strcmp(path, "/wsman") || !strcmp(path, "/wsman-anon")) {
        wsman_handle(ws, user, body, len, rsp);
        return;
    }
    if (!user) {
        rsp->status = 401;
        return;
    }
    vamt_eoi_handle(ws->amt, path, user, body, len, rsp);
}

/* HTTP glue */

static bool is_soap_path(const char *path)
{
    return !strcmp(path, "/wsman") || !strcmp(path, "/wsman-anon") ||
           !strcmp(path, "/RemoteControlService") ||
           !strcmp(path, "/SecurityAdministrationService") ||
           !strcmp(path, "/NetworkAdministrationService");
}

bool vamt_wsman_http_anonymous_allowed(const VamtHttpRequest *req)
{
    if (!strcmp(req->method, "GET") && !strcmp(req->path, "/")) {
        return true;
    }
    return !strcmp(req->method, "POST") &&
           (!strcmp(req->path, "/wsman") ||
            !strcmp(req->path, "/wsman-anon")) &&
           vamt_wsman_is_identify(req->body, req->body_len);
}

void vamt_wsman_http_handle(VamtWsman *ws, const VamtHttpRequest *req,
                            VamtHttpResponse *rsp)
{
    VamtSoapResponse soap = { .body = rsp->body };

    if (!strcmp(req->path, "/") && !strcmp(req->method, "GET")) {
        rsp->status = 303;
        rsp->location = g_strdup("/logon.htm");
        return;
    }
    if (!is_soap_path(req->path)) {
        rsp->status = 404;
        return;
    }
    if (strcmp(req->method, "POST")) {
        rsp->status = 405;
        return;
    }
    vamt_wsman_handle(ws, req->path, req->user, req->body, req->body_len,
                      &soap);
    rsp->status = soap.status;
    rsp->content_type = soap.content_type;
}
