/*
 * vAMT ME core: AMT Host Interface (AMTHI/PTHI) client
 *
 * One command per message, one response per command.  Request header:
 * u8 major, u8 minor, u16 reserved, u32 command, u32 length (bytes after
 * the header).  The response echoes the command with bit 23 set, carries
 * length = 4 + payload and starts its payload with a u32 status.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "amthi.h"
#include "blob.h"
#include "cert-hashes.h"
#include "mei-bus.h"
#include "mei-wire.h"
#include "status.h"

static void put_code_version(GByteArray *out, const char *desc,
                             const char *ver)
{
    uint8_t entry[AMTHI_CODE_VERSION_ENTRY_LEN] = { 0 };
    size_t dlen = strlen(desc), vlen = strlen(ver);

    /* Descriptions fill all 20 bytes at most; versions keep a NUL. */
    g_assert(dlen <= 20 && vlen < 20);
    vamt_put_le16(entry, dlen);
    memcpy(entry + 2, desc, dlen);
    vamt_put_le16(entry + 22, vlen);
    memcpy(entry + 24, ver, vlen);
    g_byte_array_append(out, entry, sizeof(entry));
}

static void amthi_code_versions(MeiBus *bus, GByteArray *out)
{
    const VamtFirmware *fw = mei_bus_firmware(bus);
    const VamtFwVersion *v = &fw->version;
    g_autofree char *full = g_strdup_printf("%u.%u.%u.%u", v->major,
                                            v->minor, v->hotfix, v->build);
    g_autofree char *amt = g_strdup_printf("%u.%u.%u", v->major, v->minor,
                                           v->hotfix);
    g_autofree char *build = g_strdup_printf("%u", v->build);
    g_autofree char *sku = g_strdup_printf("%u", fw->sku);
    const char *entries[][2] = {
        { "Flash", full },
        { "Netstack", full },
        { "AMTApps", full },
        { "AMT", amt },
        { "Sku", sku },
        { "VendorID", "8086" },
        { "Build Number", build },
        { "Recovery Version", amt },
        { "Recovery Build Num", build },
        { "Legacy Mode", "False" },
        { "AMT FW Core Version", amt },
    };
    uint8_t bios[AMTHI_BIOS_VERSION_LEN] = { 0 };
    uint8_t count[4];

    memcpy(bios, fw->bios_version,
           strnlen(fw->bios_version, sizeof(bios) - 1));
    g_byte_array_append(out, bios, sizeof(bios));
    vamt_put_le32(count, G_N_ELEMENTS(entries));
    g_byte_array_append(out, count, sizeof(count));
    for (size_t i = 0; i < G_N_ELEMENTS(entries); i++) {
        put_code_version(out, entries[i][0], entries[i][1]);
    }
}

/* AMT_ANSI_STRING: u16 length and the bytes, not padded */
static void put_ansi_string(GByteArray *out, const char *str)
{
    blob_put_u16(out, strlen(str));
    g_byte_array_append(out, (const uint8_t *)str, strlen(str));
}

/* Variable-length requests: the command checks the payload itself */
#define AMTHI_VARIABLE_LEN              UINT32_MAX

typedef struct AmthiRequest {
    MeiBus *bus;
    VamtAmt *amt;
    BlobReader in;              /* the payload after the header */
    GByteArray *out;            /* the payload after the status */
} AmthiRequest;

static uint32_t amthi_code_versions_cmd(AmthiRequest *r)
{
    amthi_code_versions(r->bus, r->out);
    return PT_SUCCESS;
}

static uint32_t amthi_provisioning_state(AmthiRequest *r)
{
    blob_put_u32(r->out, vamt_amt_provisioning_state(r->amt));
    return PT_SUCCESS;
}

static uint32_t amthi_provisioning_mode(AmthiRequest *r)
{
    blob_put_u32(r->out, vamt_amt_provisioning_state(r->amt) ==
                 VAMT_PROVISIONING_POST ?
                 AMTHI_PROVISIONING_MODE_ENTERPRISE : 0);
    blob_put_u32(r->out, 0);                /* legacy mode: false */
    return PT_SUCCESS;
}

static uint32_t amthi_control_mode(AmthiRequest *r)
{
    blob_put_u32(r->out, vamt_amt_control_mode(r->amt));
    return PT_SUCCESS;
}

static uint32_t amthi_uuid(AmthiRequest *r)
{
    const VamtFirmware *fw = mei_bus_firmware(r->bus);

    g_byte_array_append(r->out, fw->system_uuid, sizeof(fw->system_uuid));
    return PT_SUCCESS;
}

/* The DNS suffix is AMT_GeneralSettings.DomainName, as WS-Man shows it */
static uint32_t amthi_pki_fqdn_suffix(AmthiRequest *r)
{
    put_ansi_string(r->out, vamt_amt_state(r->amt)->domainname);
    return PT_SUCCESS;
}

static uint32_t amthi_fqdn(AmthiRequest *r)
{
    const VamtAmtState *st = vamt_amt_state(r->amt);
    g_autofree char *fqdn = st->domainname[0] ?
        g_strdup_printf("%s.%s", st->hostname, st->domainname) :
        g_strdup(st->hostname);

    blob_put_u32(r->out, 1);            /* shared with the host */
    blob_put_u32(r->out, 0);            /* no dynamic DNS update */
    blob_put_u32(r->out, 0);
    blob_put_u32(r->out, 0);
    blob_put_u32(r->out, strlen(st->hostname));
    put_ansi_string(r->out, fqdn);
    return PT_SUCCESS;
}

/*
 * The wired port: the VM's NIC MAC as AMT_EthernetPortSettings reports
 * it, sharing the host's address by DHCP (passive mode).  The ME has no
 * address of its own yet (no NIC endpoint): 0.0.0.0.  No wireless port.
 */
static uint32_t amthi_lan_interface(AmthiRequest *r)
{
    uint32_t interface = blob_get_u32(&r->in);
    bool wired = interface == 0;

    if (interface > 1) {
        return PT_INVALID_PARAMETER;
    }
    blob_put_u32(r->out, wired);        /* enabled */
    blob_put_u32(r->out, 0);            /* IPv4 */
    blob_put_u32(r->out, wired);        /* DHCP enabled */
    blob_put_u8(r->out, wired ? 2 : 0); /* DHCP mode: passive */
    blob_put_u8(r->out, wired);         /* link up */
    if (wired) {
        g_byte_array_append(r->out, vamt_amt_host_mac(r->amt), 6);
    } else {
        g_byte_array_append(r->out, (const uint8_t[6]) { 0 }, 6);
    }
    return PT_SUCCESS;
}

static uint32_t amthi_mac_addresses(AmthiRequest *r)
{
    static const uint8_t none[6];

    g_byte_array_append(r->out, none, 6);   /* no dedicated ME MAC */
    g_byte_array_append(r->out, vamt_amt_host_mac(r->amt), 6);
    return PT_SUCCESS;
}

/* The trusted root hashes, by handle 1..n (amt/cert-hashes.c) */
static uint32_t amthi_hash_handles(AmthiRequest *r)
{
    size_t n;

    vamt_cert_hashes(&n);
    blob_put_u32(r->out, n);
    for (size_t i = 0; i < n; i++) {
        blob_put_u32(r->out, i + 1);
    }
    return PT_SUCCESS;
}

/* u32 is_default, u32 is_active, u8 hash[64], u8 algorithm, the name */
static uint32_t amthi_cert_hash_entry(AmthiRequest *r)
{
    uint32_t handle = blob_get_u32(&r->in);
    uint8_t hash[VAMT_CERT_HASH_MAX_LEN] = { 0 };
    const VamtCertHash *h;
    size_t n;

    h = vamt_cert_hashes(&n);
    if (handle < 1 || handle > n) {
        return PT_INVALID_HANDLE;
    }
    h += handle - 1;
    memcpy(hash, h->hash, h->len);
    blob_put_u32(r->out, 1);
    blob_put_u32(r->out, 1);
    g_byte_array_append(r->out, hash, sizeof(hash));
    blob_put_u8(r->out, h->algorithm);
    put_ansi_string(r->out, h->name);
    return PT_SUCCESS;
}

/* No CIRA: never connected to an MPS */
static uint32_t amthi_remote_access_status(AmthiRequest *r)
{
    blob_put_u32(r->out, 3);            /* network: unknown */
    blob_put_u32(r->out, 0);            /* not connected */
    blob_put_u32(r->out, 0);            /* trigger */
    put_ansi_string(r->out, "");
    return PT_SUCCESS;
}

/*
 * An AMT_ANSI_STRING request that is the whole payload, of printable
 * characters without blanks (a name), at most @max long, into @out.
 */
static uint32_t get_name_request(AmthiRequest *r, char *out, size_t max)
{
    uint16_t len = blob_get_u16(&r->in);
    const uint8_t *p = r->in.p;

    if (!r->in.ok || r->in.left != len) {
        return PT_INVALID_MESSAGE_LENGTH;
    }
    if (len > max) {
        return PT_INVALID_PARAMETER;
    }
    for (uint16_t i = 0; i < len; i++) {
        if (p[i] <= ' ' || p[i] > '~') {
            return PT_INVALID_PARAMETER;
        }
    }
    memcpy(out, p, len);
    out[len] = 0;
    return PT_SUCCESS;
}

/* LMS tells the ME the OS's host name: AMT_GeneralSettings.HostOSFQDN */
static uint32_t amthi_set_host_fqdn(AmthiRequest *r)
{
    char fqdn[VAMT_AMT_FQDN_MAX + 1];
    uint32_t st = get_name_request(r, fqdn, VAMT_AMT_FQDN_MAX);

    if (st == PT_SUCCESS) {
        g_strlcpy(vamt_amt_state(r->amt)->host_os_fqdn, fqdn,
                  sizeof(fqdn));
        vamt_amt_check_changed(r->amt);
    }
    return st;
}

/*
 * The DNS suffix provisioning matches certificates against: the domain
 * WS-Man shows, set locally only before provisioning (afterwards it is
 * the administrator's, over WS-Man).
 */
static uint32_t amthi_set_dns_suffix(AmthiRequest *r)
{
    char suffix[VAMT_AMT_DOMAIN_MAX + 1];
    uint32_t st = get_name_request(r, suffix, VAMT_AMT_DOMAIN_MAX);

    if (st != PT_SUCCESS) {
        return st;
    }
    /* the same field and rule as AMT_GeneralSettings.DomainName's Put */
    if (!vamt_amt_name_is_valid(suffix)) {
        return PT_INVALID_PARAMETER;
    }
    if (vamt_amt_provisioning_state(r->amt) != VAMT_PROVISIONING_PRE) {
        return PT_INVALID_PROVISIONING_STATE;
    }
    g_strlcpy(vamt_amt_state(r->amt)->domainname, suffix, sizeof(suffix));
    vamt_amt_check_changed(r->amt);
    return PT_SUCCESS;
}

/*
 * LMS says whether the host is inside the enterprise network, for CIRA's
 * environment detection; with no CIRA there is nothing it changes.
 */
static uint32_t amthi_set_enterprise_access(AmthiRequest *r)
{
    return PT_SUCCESS;
}

/* A user-initiated CIRA connection: no MPS to connect to */
static uint32_t amthi_user_connection(AmthiRequest *r)
{
    return PT_NOT_PERMITTED;
}

static uint32_t amthi_power_policy(AmthiRequest *r)
{
    put_ansi_string(r->out, VAMT_AMT_POWER_POLICY);
    return PT_SUCCESS;
}

/*
 * GetFeaturesState(id): the id, then a 12-byte union: redirection (0)
 * {ider_open, sol_open, reserved}; System Defense (1) {activated}; the
 * web UI (2) and EAC (3) {enabled}.  Only redirection is served.
 */
static uint32_t amthi_features_state(AmthiRequest *r)
{
    uint32_t id = blob_get_u32(&r->in);
    uint8_t state[AMTHI_FEATURE_UNION_LEN] = { 0 };

    if (id > AMTHI_FEATURE_EAC) {
        return PT_INVALID_PARAMETER;
    }
    if (id == AMTHI_FEATURE_REDIRECTION) {
        vamt_put_le32(state, vamt_amt_session_open(r->amt,
                                                   VAMT_AMT_SESSION_IDER));
        vamt_put_le32(state + 4, vamt_amt_session_open(r->amt,
                                                       VAMT_AMT_SESSION_SOL));
    }
    blob_put_u32(r->out, id);
    g_byte_array_append(r->out, state, sizeof(state));
    return PT_SUCCESS;
}

/*
 * GetAMTState(link state): the id back, 5 values: link up, reserved,
 * crypto fuse and flash protection on (a production part), last ME reset
 * type 0 (power-up)
 */
static uint32_t amthi_amt_state(AmthiRequest *r)
{
    static const uint8_t link_state_id[AMTHI_AMT_STATE_ID_LEN] = {
        [AMTHI_AMT_STATE_ID_LEN - 1] = 1,
    };
    static const uint8_t values[AMTHI_AMT_STATE_VALUES] = { 1, 0, 1, 1, 0 };
    const uint8_t *id = r->in.p;

    if (memcmp(id, link_state_id, sizeof(link_state_id))) {
        return PT_INVALID_PARAMETER;
    }
    g_byte_array_append(r->out, link_state_id, sizeof(link_state_id));
    blob_put_u32(r->out, AMTHI_AMT_STATE_VALUES);
    g_byte_array_append(r->out, values, sizeof(values));
    return PT_SUCCESS;
}

/*
 * Host-based configuration over TLS (AMT 16's local ACM path): the
 * answer would be the hash of the certificate the ME presents on 16993,
 * and the ME has no certificate store yet (tls-creds= credentials are
 * the platform's, not a certificate it made), so none to offer.  Outside
 * pre-provisioning it is refused as AMT refuses it.
 */
static uint32_t amthi_start_config_hbased(AmthiRequest *r)
{
    if (r->in.left != AMTHI_START_HBASED_RPC_LEN &&
        r->in.left != AMTHI_START_HBASED_MESH_LEN) {
        return PT_INVALID_MESSAGE_LENGTH;
    }
    if (vamt_amt_provisioning_state(r->amt) != VAMT_PROVISIONING_PRE) {
        return PT_INVALID_PROVISIONING_STATE;
    }
    return PT_CERTIFICATE_NOT_READY;
}

/* No configuration session is ever in progress (see above) */
static uint32_t amthi_stop_configuration(AmthiRequest *r)
{
    return PT_INVALID_PROVISIONING_STATE;
}

static uint32_t amthi_zero_u32(AmthiRequest *r)
{
    blob_put_u32(r->out, 0);
    return PT_SUCCESS;
}

static uint32_t amthi_dns_suffix_list(AmthiRequest *r)
{
    blob_put_u16(r->out, 0);
    return PT_SUCCESS;
}

static uint32_t amthi_last_reset_reason(AmthiRequest *r)
{
    blob_put_u32(r->out, 0);            /* reason: none recorded */
    blob_put_u32(r->out, 0);
    return PT_SUCCESS;
}

/*
 * The account in-guest agents use through LME (rpc-go, MeshCmd's
 * MicroLMS): NUL-padded user and password fields and two bytes of
 * padding, 68 bytes in all.
 */
static uint32_t amthi_local_system_account(AmthiRequest *r)
{
    uint8_t fields[2 * AMTHI_LSA_FIELD_LEN + 2] = { 0 };
    const char *pass = vamt_amt_lsa_password(r->amt);

    G_STATIC_ASSERT(sizeof(VAMT_AMT_LSA_NAME) <= AMTHI_LSA_FIELD_LEN);
    G_STATIC_ASSERT(VAMT_AMT_LSA_PASSWORD_LEN < AMTHI_LSA_FIELD_LEN);
    memcpy(fields, VAMT_AMT_LSA_NAME, strlen(VAMT_AMT_LSA_NAME));
    memcpy(fields + AMTHI_LSA_FIELD_LEN, pass, strlen(pass));
    g_byte_array_append(r->out, fields, sizeof(fields));
    return PT_SUCCESS;
}

/*
 * Unprovision is for client control mode (and an unfinished setup); an
 * admin control mode ME refuses it, as AMT does, and one that is not
 * provisioned has nothing to undo.  The mode is a provisioning mode
 * (0 none, 1 enterprise, 3 remote assistance): rpc-go sends 0, MeshCmd 1.
 */
static uint32_t amthi_unprovision(AmthiRequest *r)
{
    uint32_t mode = blob_get_u32(&r->in);

    if (mode > 3) {
        return PT_INVALID_PARAMETER;
    }
    switch (vamt_amt_provisioning_state(r->amt)) {
    case VAMT_PROVISIONING_PRE:
        return PT_INVALID_PROVISIONING_STATE;
    case VAMT_PROVISIONING_POST:
        if (vamt_amt_control_mode(r->amt) == VAMT_CONTROL_MODE_ACM) {
            return PT_INVALID_AMT_MODE;
        }
        break;
    }
    vamt_amt_unprovision(r->amt, VAMT_AMT_LSA_NAME);
    return PT_SUCCESS;
}

/*
 * The commands the ME answers, with the exact request payload each takes
 * (hw/ipmi's command tables, by length); any other answers
 * INTERNAL_ERROR with no payload.
 */
typedef struct AmthiCommand {
    uint32_t command;
    const char *name;
    uint32_t request_len;
    uint32_t (*run)(AmthiRequest *r);
} AmthiCommand;

static const AmthiCommand amthi_commands[] = {
    { AMTHI_GET_PROVISIONING_MODE, "GetProvisioningMode", 0,
      amthi_provisioning_mode },
    { AMTHI_UNPROVISION, "Unprovision", 4, amthi_unprovision },
    { AMTHI_GET_PROVISIONING_STATE, "GetProvisioningState", 0,
      amthi_provisioning_state },
    { AMTHI_GET_CODE_VERSIONS, "GetCodeVersions", 0,
      amthi_code_versions_cmd },
    { AMTHI_GET_MAC_ADDRESSES, "GetMacAddresses", 0, amthi_mac_addresses },
    { AMTHI_ENUMERATE_HASH_HANDLES, "EnumerateHashHandles", 0,
      amthi_hash_handles },
    { AMTHI_GET_CERT_HASH_ENTRY, "GetCertHashEntry", 4,
      amthi_cert_hash_entry },
    { AMTHI_GET_ZERO_TOUCH_ENABLED, "GetZeroTouchEnabled", 0,
      amthi_zero_u32 },
    { AMTHI_GET_PKI_FQDN_SUFFIX, "GetPkiFqdnSuffix", 0,
      amthi_pki_fqdn_suffix },
    { AMTHI_GET_DNS_SUFFIX_LIST, "GetDNSSuffixList", 0,
      amthi_dns_suffix_list },
    { AMTHI_GET_REMOTE_ACCESS_STATUS, "GetRemoteAccessConnectionStatus", 0,
      amthi_remote_access_status },
    { AMTHI_GET_LAN_INTERFACE, "GetLanInterfaceSettings", 4,
      amthi_lan_interface },
    { AMTHI_GET_LAST_RESET_REASON, "GetLastHostResetReason", 0,
      amthi_last_reset_reason },
    { AMTHI_GET_UI_INTERFACES, "GetUserInitiatedEnabledInterfaces", 0,
      amthi_zero_u32 },
    { AMTHI_GET_FQDN, "GetFQDN", 0, amthi_fqdn },
    { AMTHI_GET_UUID, "GetUUID", 0, amthi_uuid },
    { AMTHI_GET_LOCAL_SYSTEM_ACCOUNT, "GetLocalSystemAccount",
      AMTHI_LSA_REQUEST_LEN, amthi_local_system_account },
    { AMTHI_GET_CONTROL_MODE, "GetControlMode", 0, amthi_control_mode },
    { AMTHI_GET_EHBC_STATE, "GetEHBCState", 0, amthi_zero_u32 },
    { AMTHI_SET_DNS_SUFFIX, "SetDnsSuffix", AMTHI_VARIABLE_LEN,
      amthi_set_dns_suffix },
    { AMTHI_SET_ENTERPRISE_ACCESS, "SetEnterpriseAccess",
      AMTHI_ENTERPRISE_ACCESS_LEN, amthi_set_enterprise_access },
    { AMTHI_OPEN_USER_CONNECTION, "OpenUserInitiatedConnection", 0,
      amthi_user_connection },
    { AMTHI_CLOSE_USER_CONNECTION, "CloseUserInitiatedConnection", 0,
      amthi_user_connection },
    { AMTHI_GET_POWER_POLICY, "GetCurrentPowerPolicy", 0,
      amthi_power_policy },
    { AMTHI_GET_FEATURES_STATE, "GetFeaturesState", 4,
      amthi_features_state },
    { AMTHI_SET_HOST_FQDN, "SetHostFQDN", AMTHI_VARIABLE_LEN,
      amthi_set_host_fqdn },
    { AMTHI_STOP_CONFIGURATION, "StopConfiguration", 0,
      amthi_stop_configuration },
    { AMTHI_START_CONFIG_HBASED, "StartConfigurationHBased",
      AMTHI_VARIABLE_LEN, amthi_start_config_hbased },
    { AMTHI_GET_AMT_STATE, "GetAMTState", AMTHI_AMT_STATE_ID_LEN,
      amthi_amt_state },
};

/* Append the payload of @command to @out; returns the AMT status. */
static uint32_t amthi_execute(MeiBus *bus, uint32_t command,
                              const uint8_t *data, size_t len,
                              GByteArray *out)
{
    AmthiRequest r = { .bus = bus, .amt = mei_bus_amt(bus), .out = out };

    for (size_t i = 0; i < G_N_ELEMENTS(amthi_commands); i++) {
        const AmthiCommand *c = &amthi_commands[i];

        if (c->command != command) {
            continue;
        }
        if (c->request_len != AMTHI_VARIABLE_LEN && len != c->request_len) {
            mei_bus_log(bus, "AMTHI: %s with %zu bytes, not %u", c->name,
                        len, c->request_len);
            return PT_INVALID_MESSAGE_LENGTH;
        }
        blob_reader_init(&r.in, data, len);
        return c->run(&r);
    }
    mei_bus_log(bus, "AMTHI: command 0x%08x not implemented", command);
    return PT_INTERNAL_ERROR;
}

static void amthi_receive(MeiBus *bus, MeiConn *conn,
                          const uint8_t *msg, size_t len)
{
    g_autoptr(GByteArray) rsp = g_byte_array_new();
    uint8_t hdr[AMTHI_RESPONSE_HDR_LEN] = { 1, 1, 0, 0 };
    uint32_t command, length = 0, status;

    if (len < 8) {
        /* Not even a command to answer to */
        mei_bus_log(bus, "AMTHI: %zu-byte message dropped", len);
        return;
    }
    command = vamt_le32(msg + 4);
    if (len >= AMTHI_REQUEST_HDR_LEN) {
        length = vamt_le32(msg + 8);
    }
    g_byte_array_append(rsp, hdr, sizeof(hdr));
    if (len < AMTHI_REQUEST_HDR_LEN ||
        length != len - AMTHI_REQUEST_HDR_LEN) {
        status = PT_INVALID_MESSAGE_LENGTH;
    } else if (msg[0] != 1 || msg[1] < 1 || (command & AMTHI_IS_RESPONSE)) {
        status = PT_INTERNAL_ERROR;
    } else {
        status = amthi_execute(bus, command, msg + AMTHI_REQUEST_HDR_LEN,
                               length, rsp);
        if (status != PT_SUCCESS) {
            g_byte_array_set_size(rsp, AMTHI_RESPONSE_HDR_LEN);
        }
    }
    vamt_put_le32(rsp->data + 4, command | AMTHI_IS_RESPONSE);
    vamt_put_le32(rsp->data + 8, rsp->len - AMTHI_REQUEST_HDR_LEN);
    vamt_put_le32(rsp->data + 12, status);
    mei_bus_send(bus, conn, rsp->data, rsp->len);
}

const MeiClientType mei_client_amthi = {
    .name = "amthi",
    .uuid = { 0x28, 0x00, 0xf8, 0x12, 0xb7, 0xb4, 0x2d, 0x4b,
              0xac, 0xa8, 0x46, 0xe0, 0xff, 0x65, 0x81, 0x4c },
    .me_addr = 0x10,
    .protocol_version = 1,
    .max_connections = 4,
    .max_msg_length = 4096,
    .receive = amthi_receive,
};
