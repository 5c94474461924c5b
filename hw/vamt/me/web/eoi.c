/*
 * vAMT ME core: the legacy EOI SOAP services amttool uses
 * (docs/specs/vamt-wsman.rst, "Legacy EOI SOAP"): SOAP 1.1, one path per
 * service
 *
 * SOAP::Lite reads the first child of the response as the status and the
 * rest as out parameters, by position; names matter only to scrapers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "acl.h"
#include "cim.h"
#include "status.h"
#include "wsman.h"
#include "xml-reader.h"

#define EOI_NS_BASE     "http://schemas.intel.com/platform/client/"
#define NS_SOAP11       "http://schemas.xmlsoap.org/soap/envelope/"

#define IANA_INTEL      343
#define IANA_ASF        4542

/* RemoteControl commands and special commands */
enum {
    RC_RESET = 16,
    RC_POWER_UP = 17,
    RC_POWER_DOWN = 18,
    RC_POWER_CYCLE = 19,
    RC_SET_BOOT_OPTIONS = 33,
};

enum {
    RC_SPECIAL_NOP = 0,
    RC_SPECIAL_PXE = 1,
    RC_SPECIAL_HDD = 2,
    RC_SPECIAL_HDD_SAFE = 3,
    RC_SPECIAL_DIAG = 4,
    RC_SPECIAL_CD = 5,
    RC_SPECIAL_BIOS_SETUP = 0xc1,
};

typedef struct EoiCall {
    VamtAmt *amt;
    const char *user;
    xmlNode *input;
    GString *out;               /* out parameters after the status */
    const char *status_name;
} EoiCall;

typedef uint32_t (*EoiHandler)(EoiCall *call);

typedef struct EoiOperation {
    const char *name;
    EoiHandler handler;
} EoiOperation;

typedef struct EoiService {
    const char *path;
    const char *ns;
    const char *status_name;    /* RemoteControl says Status (amtc) */
    const EoiOperation *operations;
} EoiService;

static void out_text(EoiCall *call, const char *name, const char *value)
{
    g_string_append_printf(call->out, "<b:%s>", name);
    vamt_xml_escape(call->out, value);
    g_string_append_printf(call->out, "</b:%s>", name);
}

static void out_uint(EoiCall *call, const char *name, uint64_t value)
{
    g_string_append_printf(call->out, "<b:%s>%" G_GUINT64_FORMAT "</b:%s>",
                           name, (guint64)value, name);
}

static uint32_t get_core_version(EoiCall *call)
{
    const VamtFwVersion *v = &vamt_amt_firmware(call->amt)->version;
    g_autofree char *version = g_strdup_printf("%u.%u.%u", v->major,
                                               v->minor, v->hotfix);

    out_text(call, "Version", version);
    return PT_SUCCESS;
}

static uint32_t get_host_name(EoiCall *call)
{
    out_text(call, "HostName", vamt_amt_state(call->amt)->hostname);
    return PT_SUCCESS;
}

static uint32_t get_domain_name(EoiCall *call)
{
    out_text(call, "DomainName", vamt_amt_state(call->amt)->domainname);
    return PT_SUCCESS;
}

static uint32_t enumerate_interfaces(EoiCall *call)
{
    out_uint(call, "InterfaceHandles", 0);
    return PT_SUCCESS;
}

static uint32_t get_interface_settings(EoiCall *call)
{
    const VamtPlatformOps *ops = vamt_amt_ops(call->amt);
    const VamtInventory *inv = ops->inventory(vamt_amt_opaque(call->amt));
    const uint8_t *mac = inv->nics ? inv->nic_mac[0]
                                   : vamt_amt_firmware(call->amt)->host_mac;
    g_autofree char *handle = vamt_xml_child_text(call->input,
                                                  "InterfaceHandle");
    g_autofree char *mac_text = g_strdup_printf(
        "%02x-%02x-%02x-%02x-%02x-%02x",
        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);

    if (!handle || strcmp(handle, "0")) {
        return PT_INVALID_PARAMETER;
    }
    /* the ME shares the host's MAC and learns its address by DHCP */
    g_string_append(call->out, "<b:InterfaceDescriptor>");
    out_text(call, "HardwareAddressDescription", mac_text);
    out_text(call, "InterfaceMode", "SHARED_MAC_ADDRESS");
    out_uint(call, "LinkPolicy", 1);
    out_text(call, "DhcpEnabled", "true");
    g_string_append(call->out, "<b:IPv4Parameters>");
    out_uint(call, "LocalAddress", 0);
    out_uint(call, "SubnetMask", 0);
    out_uint(call, "DefaultGatewayAddress", 0);
    out_uint(call, "PrimaryDnsAddress", 0);
    out_uint(call, "SecondaryDnsAddress", 0);
    g_string_append(call->out, "</b:IPv4Parameters></b:InterfaceDescriptor>");
    return PT_SUCCESS;
}

/* ACPI S-state in the low nibble, as amttool prints it */
static unsigned system_power_state(VamtPowerState state)
{
    switch (state) {
    case VAMT_POWER_ON:
        return 0;
    case VAMT_POWER_SLEEP_LIGHT:
        return 1;
    case VAMT_POWER_SLEEP_DEEP:
        return 3;
    case VAMT_POWER_HIBERNATE:
        return 4;
    case VAMT_POWER_OFF_HARD:
        return 7;
    default:
        return 5;
    }
}

static uint32_t get_system_power_state(EoiCall *call)
{
    const VamtPlatformOps *ops = vamt_amt_ops(call->amt);

    out_uint(call, "SystemPowerState",
             system_power_state(ops->power_state(vamt_amt_opaque(call->amt))));
    return PT_SUCCESS;
}

static uint32_t get_remote_control_capabilities(EoiCall *call)
{
    out_uint(call, "IanaOemNumber", IANA_INTEL);
    out_uint(call, "OemDefinedCapabilities", 1 << 3);  /* BIOS setup */
    out_uint(call, "SpecialCommandsSupported", 0x1300); /* PXE, HDD, CD */
    out_uint(call, "SystemCapabilitiesSupported", 0x0f);
    out_uint(call, "SystemFirmwareCapabilities", 0);
    return PT_SUCCESS;
}

static bool arg_uint(EoiCall *call, const char *name, uint64_t max,
                     uint64_t *v)
{
    g_autofree char *text = vamt_xml_child_text(call->input, name);

    return vamt_xml_parse_uint(text, max, v);
}

/* The boot source of a special command; false if it is not supported */
static bool special_boot_source(uint64_t special, VamtBootTarget *source,
                                bool *bios_setup)
{
    *source = VAMT_BOOT_DEFAULT;
    *bios_setup = false;
    switch (special) {
    case RC_SPECIAL_NOP:
        return true;
    case RC_SPECIAL_PXE:
        *source = VAMT_BOOT_PXE;
        return true;
    case RC_SPECIAL_HDD:
        *source = VAMT_BOOT_HDD;
        return true;
    case RC_SPECIAL_CD:
        *source = VAMT_BOOT_CD;
        return true;
    case RC_SPECIAL_BIOS_SETUP:
        *bios_setup = true;
        return true;
    default:
        return false;
    }
}

/*
 * Special commands become the one-time boot options of the next boot.
 * @special was validated by special_boot_source().
 */
static bool set_boot_options(EoiCall *call, uint64_t special)
{
    VamtBootSettings *b = &vamt_amt_state(call->amt)->boot;
    VamtBootTarget source;
    bool bios_setup;

    special_boot_source(special, &source, &bios_setup);
    b->boot_source = source;
    b->bios_setup = bios_setup;
    b->next_single_use = special != RC_SPECIAL_NOP;
    return vamt_amt_apply_boot(call->amt, call->user) ||
           special == RC_SPECIAL_NOP;
}

static uint32_t remote_control(EoiCall *call)
{
    uint64_t command, iana, special = RC_SPECIAL_NOP;
    VamtPowerState request;
    VamtBootTarget source;
    bool bios_setup;

    /* the whole request is checked before any state changes */
    if (!arg_uint(call, "Command", UINT8_MAX, &command) ||
        !arg_uint(call, "IanaOemNumber", UINT32_MAX, &iana) ||
        (iana != IANA_INTEL && iana != IANA_ASF) ||
        (vamt_xml_child(call->input, "SpecialCommand") &&
         !arg_uint(call, "SpecialCommand", UINT8_MAX, &special)) ||
        !special_boot_source(special, &source, &bios_setup)) {
        return PT_INVALID_PARAMETER;
    }
    switch (command) {
    case RC_RESET:
        request = VAMT_POWER_MASTER_BUS_RESET;
        break;
    case RC_POWER_UP:
        request = VAMT_POWER_ON;
        break;
    case RC_POWER_DOWN:
        request = VAMT_POWER_OFF_SOFT;
        break;
    case RC_POWER_CYCLE:
        request = VAMT_POWER_CYCLE_SOFT;
        break;
    case RC_SET_BOOT_OPTIONS:
        return set_boot_options(call, special) ? PT_SUCCESS
                                               : PT_INVALID_PARAMETER;
    default:
        return PT_INVALID_PARAMETER;
    }
    if (special != RC_SPECIAL_NOP && !set_boot_options(call, special)) {
        return PT_INVALID_PARAMETER;
    }
    return vamt_amt_request_power(call->amt, request, call->user)
           ? PT_SUCCESS : PT_INVALID_PARAMETER;
}

static const EoiOperation security_operations[] = {
    { "GetCoreVersion", get_core_version },
    { NULL },
};

static const EoiOperation network_operations[] = {
    { "GetHostName", get_host_name },
    { "GetDomainName", get_domain_name },
    { "EnumerateInterfaces", enumerate_interfaces },
    { "GetInterfaceSettings", get_interface_settings },
    { NULL },
};

static const EoiOperation remote_control_operations[] = {
    { "GetSystemPowerState", get_system_power_state },
    { "GetRemoteControlCapabilities", get_remote_control_capabilities },
    { "RemoteControl", remote_control },
    { NULL },
};

static const EoiService services[] = {
    { "/SecurityAdministrationService",
      EOI_NS_BASE "SecurityAdministration/2004/01", "StatusCode",
      security_operations },
    { "/NetworkAdministrationService",
      EOI_NS_BASE "NetworkAdministration/2004/01", "StatusCode",
      network_operations },
    { "/RemoteControlService",
      EOI_NS_BASE "RemoteControl/2004/01", "Status",
      remote_control_operations },
};

static void envelope_open(GString *out)
{
    g_string_append(out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" NS_SOAP11 "\" "
        "xmlns:SOAP-ENC=\"http://schemas.xmlsoap.org/soap/encoding/\" "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">"
        "<SOAP-ENV:Body>");
}

/* SOAP 1.1 reports every fault with HTTP 500 */
static void soap11_fault(VamtSoapResponse *rsp, const char *code,
                         const char *reason)
{
    g_string_truncate(rsp->body, 0);
    envelope_open(rsp->body);
    g_string_append_printf(rsp->body, "<SOAP-ENV:Fault><faultcode>SOAP-ENV:"
                           "%s</faultcode><faultstring>%s</faultstring>"
                           "</SOAP-ENV:Fault></SOAP-ENV:Body>"
                           "</SOAP-ENV:Envelope>", code, reason);
    rsp->status = 500;
    rsp->content_type = VAMT_EOI_CONTENT_TYPE;
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

bool vamt_eoi_handle(VamtAmt *amt, const char *path, const char *user,
                     const uint8_t *body, size_t len, VamtSoapResponse *rsp)
{
    const EoiService *service = NULL;
    const EoiOperation *op = NULL;
    xmlNode *input;
    xmlDoc *doc;
    VamtXmlError err;
    EoiCall call;
    uint32_t status;
    const char *name;

    for (unsigned i = 0; i < G_N_ELEMENTS(services); i++) {
        if (!strcmp(path, services[i].path)) {
            service = &services[i];
        }
    }
    if (!service) {
        return false;
    }
    doc = vamt_xml_read(body, len, VAMT_WSMAN_MAX_BODY, VAMT_WSMAN_MAX_DEPTH,
                        &err);
    if (!doc) {
        soap11_fault(rsp, "Client", "Malformed request");
        return true;
    }
    input = first_element(vamt_xml_child(xmlDocGetRootElement(doc), "Body"));
    name = input ? vamt_xml_local_name(input) : "";
    for (unsigned i = 0; service->operations[i].name; i++) {
        if (!strcmp(name, service->operations[i].name)) {
            op = &service->operations[i];
        }
    }
    if (!op || (input->ns && strcmp((const char *)input->ns->href,
                                    service->ns))) {
        soap11_fault(rsp, "Client", "Unknown operation");
        xmlFreeDoc(doc);
        return true;
    }
    call = (EoiCall) {
        .amt = amt, .user = user, .input = input,
        .out = g_string_new(NULL), .status_name = service->status_name,
    };
    /* EOI reports a missing realm as a status, not as a fault */
    if (vamt_acl_user_permitted(amt, user,
                                vamt_acl_eoi_realms(service->path, op->name))) {
        status = op->handler(&call);
    } else {
        status = PT_NOT_PERMITTED;
    }
    envelope_open(rsp->body);
    g_string_append_printf(rsp->body, "<b:%sResponse xmlns:b=\"%s\">"
                           "<b:%s>%u</b:%s>", op->name, service->ns,
                           service->status_name, status,
                           service->status_name);
    if (status == PT_SUCCESS) {
        g_string_append_len(rsp->body, call.out->str, call.out->len);
    }
    g_string_append_printf(rsp->body, "</b:%sResponse></SOAP-ENV:Body>"
                           "</SOAP-ENV:Envelope>", op->name);
    g_string_free(call.out, TRUE);
    xmlFreeDoc(doc);
    rsp->status = 200;
    rsp->content_type = VAMT_EOI_CONTENT_TYPE;
    return true;
}
