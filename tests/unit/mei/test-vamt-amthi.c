/*
 * Unit tests for the vAMT ME core's AMTHI client as Linux's mei driver
 * carries it: the framing and status rules, and every command of
 * docs/specs/vamt-heci.rst ("AMTHI") byte for byte, from the same state
 * WS-Man shows.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "amthi.h"
#include "mei-test-env.h"
#include "status.h"

static const char *code_version(GByteArray *rsp, const char *desc,
                                char out[20])
{
    uint32_t count = vamt_le32(rsp->data + 16 + AMTHI_BIOS_VERSION_LEN);
    const uint8_t *e = rsp->data + 16 + AMTHI_BIOS_VERSION_LEN + 4;

    g_assert_cmpuint(rsp->len, ==, 16 + 65 + 4 + 44 * count);
    for (uint32_t i = 0; i < count; i++, e += 44) {
        uint16_t dlen = vamt_le16(e), vlen = vamt_le16(e + 22);

        g_assert_cmpuint(dlen, <=, 20);
        g_assert_cmpuint(dlen, ==, strnlen((const char *)e + 2, 20));
        g_assert_cmpuint(vlen, <, 20);
        g_assert_cmpuint(e[24 + vlen], ==, 0);
        if (dlen == strlen(desc) && !memcmp(e + 2, desc, dlen)) {
            memcpy(out, e + 24, vlen + 1);
            return out;
        }
    }
    return NULL;
}

static void test_amthi_framing(void)
{
    Platform p;
    MeiBus *bus = bus_new(&p);
    Msg m;
    char ver[20];

    start(bus);
    connect(bus, ADDR_AMTHI, 1, HBM_CONNECT_SUCCESS);

    /* the reply waits for the host's read credit */
    amthi_send(bus, 1, AMTHI_GET_CODE_VERSIONS, 0, 12);
    expect_credit(bus, ADDR_AMTHI, 1);
    assert_nothing(bus);
    host_credit(bus, ADDR_AMTHI, 1);
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.fragments, ==, 2);           /* 508 + 61 */
    g_assert_cmpuint(m.data->len, ==, 569);
    g_assert_cmphex(vamt_le32(m.data->data), ==, 0x00000101);
    g_assert_cmphex(vamt_le32(m.data->data + 4), ==, 0x0480001a);
    g_assert_cmpuint(vamt_le32(m.data->data + 8), ==, 569 - 12);
    g_assert_cmpuint(vamt_le32(m.data->data + 12), ==, PT_SUCCESS);
    g_assert_cmpstr(code_version(m.data, "AMT", ver), ==, "16.1.30");
    g_assert_cmpstr(code_version(m.data, "Build Number", ver), ==, "2307");
    g_assert_cmpstr(code_version(m.data, "Recovery Version", ver), ==,
                    "16.1.30");
    g_assert_cmpstr(code_version(m.data, "Sku", ver), ==, "16392");
    g_assert_cmpstr(code_version(m.data, "Legacy Mode", ver), ==, "False");
    g_assert_cmpstr(code_version(m.data, "AMT FW Core Version", ver), ==,
                    "16.1.30");
    msg_clear(&m);

    /* GetUUID reports the platform's UUID */
    host_credit(bus, ADDR_AMTHI, 1);
    amthi_send(bus, 1, AMTHI_GET_UUID, 0, 12);
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.data->len, ==, 32);
    g_assert_cmpmem(m.data->data + 16, 16, p.fw.system_uuid, 16);
    msg_clear(&m);
    expect_credit(bus, ADDR_AMTHI, 1);

    /* the state the firmware is in, not a constant */
    g_assert_true(vamt_amt_set_provisioning(p.amt, VAMT_PROVISIONING_POST,
                                            VAMT_CONTROL_MODE_ACM));
    host_credit(bus, ADDR_AMTHI, 1);
    amthi_send(bus, 1, AMTHI_GET_PROVISIONING_STATE, 0, 12);
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.data->len, ==, 20);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, VAMT_PROVISIONING_POST);
    msg_clear(&m);
    expect_credit(bus, ADDR_AMTHI, 1);
    host_credit(bus, ADDR_AMTHI, 1);
    amthi_send(bus, 1, AMTHI_GET_CONTROL_MODE, 0, 12);
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, VAMT_CONTROL_MODE_ACM);
    msg_clear(&m);
    expect_credit(bus, ADDR_AMTHI, 1);

    /* length field disagreeing with the message: INVALID_MESSAGE_LENGTH */
    host_credit(bus, ADDR_AMTHI, 1);
    amthi_send(bus, 1, AMTHI_GET_PROVISIONING_STATE, 4, 12);
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.data->len, ==, 16);
    g_assert_cmpuint(vamt_le32(m.data->data + 8), ==, 4);
    g_assert_cmpuint(vamt_le32(m.data->data + 12),
                     ==, PT_INVALID_MESSAGE_LENGTH);
    msg_clear(&m);
    expect_credit(bus, ADDR_AMTHI, 1);

    /* unknown command: a status, no payload */
    host_credit(bus, ADDR_AMTHI, 1);
    amthi_send(bus, 1, 0x04007777, 0, 12);
    g_assert_true(recv(bus, &m));
    g_assert_cmpuint(m.data->len, ==, 16);
    g_assert_cmphex(vamt_le32(m.data->data + 4), ==, 0x04807777);
    g_assert_cmpuint(vamt_le32(m.data->data + 12), ==,
                     PT_INTERNAL_ERROR);
    msg_clear(&m);
    expect_credit(bus, ADDR_AMTHI, 1);

    /* too short to carry a command: dropped, the credit still comes back */
    host_credit(bus, ADDR_AMTHI, 1);
    amthi_send(bus, 1, 0, 0, 5);
    expect_credit(bus, ADDR_AMTHI, 1);
    assert_nothing(bus);
    bus_free(&p, bus);
}

/* One AMTHI command with @payload; *m is the whole reply, checked framed */
static void amthi_call(MeiBus *bus, uint32_t cmd, const void *payload,
                       size_t len, Msg *m)
{
    uint8_t req[512] = { 1, 1 };

    g_assert_cmpuint(len, <=, sizeof(req) - 12);
    vamt_put_le32(req + 4, cmd);
    vamt_put_le32(req + 8, len);
    if (len) {
        memcpy(req + 12, payload, len);
    }
    host_credit(bus, ADDR_AMTHI, 1);
    send(bus, ADDR_AMTHI, 1, req, 12 + len);
    g_assert_true(recv(bus, m));
    expect_credit(bus, ADDR_AMTHI, 1);
    g_assert_cmphex(vamt_le32(m->data->data), ==, 0x00000101);
    g_assert_cmphex(vamt_le32(m->data->data + 4), ==, cmd | 0x00800000);
    g_assert_cmpuint(vamt_le32(m->data->data + 8), ==, m->data->len - 12);
}

/* A reply's status, and that it has no payload when not a success */
static uint32_t amthi_status(Msg *m)
{
    uint32_t status = vamt_le32(m->data->data + 12);

    if (status != PT_SUCCESS) {
        g_assert_cmpuint(m->data->len, ==, 16);
    }
    msg_clear(m);
    return status;
}

/* An AMT_ANSI_STRING request payload of @text in @buf; its length */
static size_t ansi_string(uint8_t *buf, const char *text)
{
    size_t len = strlen(text);

    vamt_put_le16(buf, len);
    memcpy(buf + 2, text, len);
    return len + 2;
}

/*
 * The commands Intel's LMS and host-based configuration send (heci.md
 * 5.2 tiers 1 and 2 beyond test_amthi_commands), byte for byte
 */
static void test_amthi_lms_commands(void)
{
    static const uint8_t link_state[16] = { [15] = 1 };
    static const uint8_t other_state[16] = { [15] = 2 };
    static const uint8_t redirection[4] = { 0 }, eac[4] = { 3 };
    static const uint8_t no_feature[4] = { 4 };
    static const uint8_t access[AMTHI_ENTERPRISE_ACCESS_LEN] = { 1 };
    static const uint8_t hbased_rpc[AMTHI_START_HBASED_RPC_LEN] = { 2 };
    static const uint8_t hbased_mesh[AMTHI_START_HBASED_MESH_LEN] = { 2 };
    uint8_t buf[300];
    g_autofree char *long_name = g_strnfill(VAMT_AMT_FQDN_MAX + 1, 'a');
    Platform p;
    MeiBus *bus = bus_new(&p);
    VamtAmtState *st = vamt_amt_state(p.amt);
    Msg m;
    size_t n;

    start(bus);
    connect(bus, ADDR_AMTHI, 1, HBM_CONNECT_SUCCESS);

    /* SetHostFQDN: what WS-Man shows as HostOSFQDN */
    n = ansi_string(buf, "desktop7.corp.example");
    amthi_call(bus, AMTHI_SET_HOST_FQDN, buf, n, &m);
    g_assert_cmpuint(m.data->len, ==, 16);
    g_assert_cmpuint(amthi_status(&m), ==, PT_SUCCESS);
    g_assert_cmpstr(st->host_os_fqdn, ==, "desktop7.corp.example");
    /* a length field that is not the payload's, a blank, too long */
    amthi_call(bus, AMTHI_SET_HOST_FQDN, buf, n - 1, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_MESSAGE_LENGTH);
    n = ansi_string(buf, "two words");
    amthi_call(bus, AMTHI_SET_HOST_FQDN, buf, n, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_PARAMETER);
    n = ansi_string(buf, long_name);
    amthi_call(bus, AMTHI_SET_HOST_FQDN, buf, n, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_PARAMETER);
    g_assert_cmpstr(st->host_os_fqdn, ==, "desktop7.corp.example");

    /* SetDnsSuffix: DomainName's rule (no '_'), as WS-Man's Put has it */
    n = ansi_string(buf, "corp_lab.example");
    amthi_call(bus, AMTHI_SET_DNS_SUFFIX, buf, n, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_PARAMETER);
    g_assert_cmpstr(st->domainname, ==, "");
    /* SetDnsSuffix before provisioning: GetPkiFqdnSuffix reads it back */
    n = ansi_string(buf, "corp.example");
    amthi_call(bus, AMTHI_SET_DNS_SUFFIX, buf, n, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_SUCCESS);
    amthi_call(bus, AMTHI_GET_PKI_FQDN_SUFFIX, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 18 + 12);
    g_assert_cmpmem(m.data->data + 18, 12, "corp.example", 12);
    msg_clear(&m);

    /* GetCurrentPowerPolicy: AMT_SystemPowerScheme's description */
    amthi_call(bus, AMTHI_GET_POWER_POLICY, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 18 + strlen(VAMT_AMT_POWER_POLICY));
    g_assert_cmpuint(vamt_le16(m.data->data + 16), ==,
                     strlen(VAMT_AMT_POWER_POLICY));
    g_assert_cmpmem(m.data->data + 18, m.data->len - 18,
                    VAMT_AMT_POWER_POLICY, strlen(VAMT_AMT_POWER_POLICY));
    msg_clear(&m);

    /* GetFeaturesState: the id and 12 bytes; redirection sessions */
    vamt_amt_set_session_open(p.amt, VAMT_AMT_SESSION_SOL, true);
    amthi_call(bus, AMTHI_GET_FEATURES_STATE, redirection, 4, &m);
    g_assert_cmpuint(m.data->len, ==, 32);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, 0);
    g_assert_cmpuint(vamt_le32(m.data->data + 20), ==, 0);    /* IDE-R */
    g_assert_cmpuint(vamt_le32(m.data->data + 24), ==, 1);    /* SOL */
    g_assert_cmpuint(vamt_le32(m.data->data + 28), ==, 0);
    msg_clear(&m);
    amthi_call(bus, AMTHI_GET_FEATURES_STATE, eac, 4, &m);
    g_assert_cmpuint(m.data->len, ==, 32);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, 3);
    g_assert_cmpuint(vamt_le32(m.data->data + 20), ==, 0);
    msg_clear(&m);
    amthi_call(bus, AMTHI_GET_FEATURES_STATE, no_feature, 4, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_PARAMETER);

    /* GetAMTState(link state): the id, 5 values */
    amthi_call(bus, AMTHI_GET_AMT_STATE, link_state, 16, &m);
    g_assert_cmpuint(m.data->len, ==, 16 + 16 + 4 + 5);
    g_assert_cmpmem(m.data->data + 16, 16, link_state, 16);
    g_assert_cmpuint(vamt_le32(m.data->data + 32), ==, 5);
    g_assert_cmpmem(m.data->data + 36, 5, "\1\0\1\1\0", 5);
    msg_clear(&m);
    amthi_call(bus, AMTHI_GET_AMT_STATE, other_state, 16, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_PARAMETER);

    /* status-only commands */
    amthi_call(bus, AMTHI_SET_ENTERPRISE_ACCESS, access, sizeof(access), &m);
    g_assert_cmpuint(m.data->len, ==, 16);
    g_assert_cmpuint(amthi_status(&m), ==, PT_SUCCESS);
    amthi_call(bus, AMTHI_OPEN_USER_CONNECTION, NULL, 0, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_NOT_PERMITTED);
    amthi_call(bus, AMTHI_CLOSE_USER_CONNECTION, NULL, 0, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_NOT_PERMITTED);
    amthi_call(bus, AMTHI_STOP_CONFIGURATION, NULL, 0, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_PROVISIONING_STATE);

    /* host-based TLS configuration: both layouts, no certificate yet */
    amthi_call(bus, AMTHI_START_CONFIG_HBASED, hbased_rpc,
               sizeof(hbased_rpc), &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_CERTIFICATE_NOT_READY);
    amthi_call(bus, AMTHI_START_CONFIG_HBASED, hbased_mesh,
               sizeof(hbased_mesh), &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_CERTIFICATE_NOT_READY);
    amthi_call(bus, AMTHI_START_CONFIG_HBASED, hbased_mesh, 100, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_MESSAGE_LENGTH);

    /* once provisioned: no local suffix change, no host-based setup */
    g_assert_true(vamt_amt_set_provisioning(p.amt, VAMT_PROVISIONING_POST,
                                            VAMT_CONTROL_MODE_CCM));
    n = ansi_string(buf, "other.example");
    amthi_call(bus, AMTHI_SET_DNS_SUFFIX, buf, n, &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_PROVISIONING_STATE);
    g_assert_cmpstr(st->domainname, ==, "corp.example");
    amthi_call(bus, AMTHI_START_CONFIG_HBASED, hbased_rpc,
               sizeof(hbased_rpc), &m);
    g_assert_cmpuint(amthi_status(&m), ==, PT_INVALID_PROVISIONING_STATE);
    bus_free(&p, bus);
}

/* Each command heci.md 5.2 lists as served, byte for byte */
static void test_amthi_commands(void)
{
    static const uint8_t zero[4];
    static const uint8_t wireless[4] = { 1 };
    static const uint8_t no_mac[6];
    static const uint8_t one[4] = { 1 }, five[4] = { 5 };
    static const uint8_t lsa_request[AMTHI_LSA_REQUEST_LEN];
    char lsa[VAMT_AMT_LSA_PASSWORD_LEN + 1];
    Platform p;
    MeiBus *bus = bus_new(&p);
    VamtAmtState *st;
    Msg m;

    for (int i = 0; i < 6; i++) {
        p.fw.host_mac[i] = 0x52 + i;
    }
    st = vamt_amt_state(p.amt);
    g_strlcpy(st->hostname, "vm7", sizeof(st->hostname));
    g_strlcpy(st->domainname, "lab.example", sizeof(st->domainname));
    start(bus);
    connect(bus, ADDR_AMTHI, 1, HBM_CONNECT_SUCCESS);

    /* GetPkiFqdnSuffix: the domain, an AMT_ANSI_STRING */
    amthi_call(bus, AMTHI_GET_PKI_FQDN_SUFFIX, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 18 + 11);
    g_assert_cmpuint(vamt_le32(m.data->data + 12), ==, PT_SUCCESS);
    g_assert_cmpuint(vamt_le16(m.data->data + 16), ==, 11);
    g_assert_cmpmem(m.data->data + 18, 11, "lab.example", 11);
    msg_clear(&m);

    /* GetFQDN: shared, no DDNS, host name length, the FQDN */
    amthi_call(bus, AMTHI_GET_FQDN, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 16 + 20 + 2 + 15);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, 1);
    g_assert_cmpuint(vamt_le32(m.data->data + 20), ==, 0);
    g_assert_cmpuint(vamt_le32(m.data->data + 32), ==, 3);
    g_assert_cmpuint(vamt_le16(m.data->data + 36), ==, 15);
    g_assert_cmpmem(m.data->data + 38, 15, "vm7.lab.example", 15);
    msg_clear(&m);

    /* GetLanInterfaceSettings: 36 bytes; the wired port has the MAC */
    amthi_call(bus, AMTHI_GET_LAN_INTERFACE, zero, 4, &m);
    g_assert_cmpuint(m.data->len, ==, 36);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, 1);     /* enabled */
    g_assert_cmpuint(vamt_le32(m.data->data + 20), ==, 0);     /* IPv4 */
    g_assert_cmpuint(vamt_le32(m.data->data + 24), ==, 1);     /* DHCP */
    g_assert_cmpuint(m.data->data[28], ==, 2);                 /* passive */
    g_assert_cmpuint(m.data->data[29], ==, 1);                 /* link */
    g_assert_cmpmem(m.data->data + 30, 6, p.fw.host_mac, 6);
    msg_clear(&m);
    amthi_call(bus, AMTHI_GET_LAN_INTERFACE, wireless, 4, &m);
    g_assert_cmpuint(m.data->len, ==, 36);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, 0);
    g_assert_cmpuint(m.data->data[29], ==, 0);
    g_assert_cmpmem(m.data->data + 30, 6, no_mac, 6);
    msg_clear(&m);
    /* without its interface argument: the length is wrong */
    amthi_call(bus, AMTHI_GET_LAN_INTERFACE, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 16);
    g_assert_cmpuint(vamt_le32(m.data->data + 12), ==,
                     PT_INVALID_MESSAGE_LENGTH);
    msg_clear(&m);

    /* GetMacAddresses: no dedicated MAC, the host's */
    amthi_call(bus, AMTHI_GET_MAC_ADDRESSES, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 28);
    g_assert_cmpmem(m.data->data + 16, 6, no_mac, 6);
    g_assert_cmpmem(m.data->data + 22, 6, p.fw.host_mac, 6);
    msg_clear(&m);

    /* the default trusted root hashes: handles 1..8, each entry */
    amthi_call(bus, AMTHI_ENUMERATE_HASH_HANDLES, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 20 + 4 * 8);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, 8);
    for (unsigned i = 0; i < 8; i++) {
        g_assert_cmpuint(vamt_le32(m.data->data + 20 + 4 * i), ==, i + 1);
    }
    msg_clear(&m);
    {
        /* Starfield Class 2's SHA-1, as openssl x509 -fingerprint says */
        static const uint8_t starfield[20] = {
            0xad, 0x7e, 0x1c, 0x28, 0xb0, 0x64, 0xef, 0x8f, 0x60, 0x03,
            0x40, 0x20, 0x14, 0xc3, 0xd0, 0xe3, 0x37, 0x0e, 0xb5, 0x8a,
        };
        static const uint8_t eight[4] = { 8 }, nine[4] = { 9 };
        static const uint8_t pad[44];
        const uint8_t *d;

        amthi_call(bus, AMTHI_GET_CERT_HASH_ENTRY, eight, 4, &m);
        d = m.data->data;
        g_assert_cmpuint(m.data->len, ==, 91 + 20);
        g_assert_cmpuint(vamt_le32(d + 12), ==, PT_SUCCESS);
        g_assert_cmpuint(vamt_le32(d + 16), ==, 1);        /* default */
        g_assert_cmpuint(vamt_le32(d + 20), ==, 1);        /* active */
        g_assert_cmpmem(d + 24, 20, starfield, 20);
        g_assert_cmpmem(d + 44, 44, pad, 44);
        g_assert_cmpuint(d[88], ==, 1);                    /* SHA-1 */
        g_assert_cmpuint(vamt_le16(d + 89), ==, 20);
        g_assert_cmpmem(d + 91, 20, "Starfield Class 2 CA", 20);
        msg_clear(&m);
        amthi_call(bus, AMTHI_GET_CERT_HASH_ENTRY, zero, 4, &m);
        g_assert_cmpuint(m.data->len, ==, 16);
        g_assert_cmpuint(vamt_le32(m.data->data + 12), ==, PT_INVALID_HANDLE);
        msg_clear(&m);
        amthi_call(bus, AMTHI_GET_CERT_HASH_ENTRY, nine, 4, &m);
        g_assert_cmpuint(vamt_le32(m.data->data + 12), ==, PT_INVALID_HANDLE);
        msg_clear(&m);
    }

    /* no CIRA: not connected, no MPS */
    amthi_call(bus, AMTHI_GET_REMOTE_ACCESS_STATUS, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 30);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, 3);
    g_assert_cmpuint(vamt_le32(m.data->data + 20), ==, 0);
    g_assert_cmpuint(vamt_le16(m.data->data + 28), ==, 0);
    msg_clear(&m);

    /* the u32 answers, and GetDNSSuffixList's empty list */
    {
        static const uint32_t u32s[] = {
            AMTHI_GET_ZERO_TOUCH_ENABLED, AMTHI_GET_UI_INTERFACES,
            AMTHI_GET_EHBC_STATE,
        };

        for (unsigned i = 0; i < G_N_ELEMENTS(u32s); i++) {
            amthi_call(bus, u32s[i], NULL, 0, &m);
            g_assert_cmpuint(m.data->len, ==, 20);
            g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, 0);
            msg_clear(&m);
        }
    }
    amthi_call(bus, AMTHI_GET_DNS_SUFFIX_LIST, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 18);
    msg_clear(&m);
    amthi_call(bus, AMTHI_GET_LAST_RESET_REASON, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 24);
    msg_clear(&m);

    /*
     * GetLocalSystemAccount: 40 reserved bytes in; user[33], pass[33]
     * and 2 bytes of padding out (MeshAgent wants exactly 68)
     */
    amthi_call(bus, AMTHI_GET_LOCAL_SYSTEM_ACCOUNT, lsa_request,
               sizeof(lsa_request), &m);
    g_assert_cmpuint(m.data->len, ==, 84);
    g_assert_cmpuint(vamt_le32(m.data->data + 12), ==, PT_SUCCESS);
    g_assert_cmpstr((char *)m.data->data + 16, ==, "$$OsAdmin");
    for (unsigned i = 16 + 9; i < 16 + 33; i++) {
        g_assert_cmpuint(m.data->data[i], ==, 0);      /* NUL-padded */
    }
    g_assert_cmpuint(strnlen((char *)m.data->data + 49, 33), ==, 32);
    g_assert_cmpmem(m.data->data + 49, 32, vamt_amt_lsa_password(p.amt), 32);
    g_assert_cmpuint(m.data->data[49 + 32], ==, 0);
    g_assert_cmpuint(m.data->data[82], ==, 0);
    g_assert_cmpuint(m.data->data[83], ==, 0);
    g_strlcpy(lsa, vamt_amt_lsa_password(p.amt), sizeof(lsa));
    msg_clear(&m);
    amthi_call(bus, AMTHI_GET_LOCAL_SYSTEM_ACCOUNT, NULL, 0, &m);
    g_assert_cmpuint(m.data->len, ==, 16);
    g_assert_cmpuint(vamt_le32(m.data->data + 12), ==,
                     PT_INVALID_MESSAGE_LENGTH);
    msg_clear(&m);

    /* Unprovision: nothing to undo, refused in ACM, done in CCM */
    amthi_call(bus, AMTHI_UNPROVISION, zero, 4, &m);
    g_assert_cmpuint(m.data->len, ==, 16);
    g_assert_cmphex(vamt_le32(m.data->data + 12), ==, 0x20);
    msg_clear(&m);
    g_assert_true(vamt_amt_set_provisioning(p.amt, VAMT_PROVISIONING_POST,
                                            VAMT_CONTROL_MODE_ACM));
    amthi_call(bus, AMTHI_UNPROVISION, zero, 4, &m);
    g_assert_cmphex(vamt_le32(m.data->data + 12), ==, 0x3);
    msg_clear(&m);
    g_assert_cmpuint(vamt_amt_provisioning_state(p.amt), ==,
                     VAMT_PROVISIONING_POST);
    g_assert_true(vamt_amt_set_provisioning(p.amt, VAMT_PROVISIONING_POST,
                                            VAMT_CONTROL_MODE_CCM));
    amthi_call(bus, AMTHI_UNPROVISION, five, 4, &m);
    g_assert_cmphex(vamt_le32(m.data->data + 12), ==, PT_INVALID_PARAMETER);
    msg_clear(&m);
    /* MeshCmd's AmtDeactivate sends mode 1 */
    amthi_call(bus, AMTHI_UNPROVISION, one, 4, &m);
    g_assert_cmphex(vamt_le32(m.data->data + 12), ==, PT_SUCCESS);
    msg_clear(&m);
    g_assert_cmpuint(vamt_amt_provisioning_state(p.amt), ==,
                     VAMT_PROVISIONING_PRE);
    /* a full unprovision: factory settings, and a new local password */
    g_assert_cmpstr(st->hostname, ==, "vamt");
    g_assert_cmpstr(lsa, !=, vamt_amt_lsa_password(p.amt));
    amthi_call(bus, AMTHI_GET_CONTROL_MODE, NULL, 0, &m);
    g_assert_cmpuint(vamt_le32(m.data->data + 16), ==, VAMT_CONTROL_MODE_NONE);
    msg_clear(&m);
    bus_free(&p, bus);
}

/*
 * MKHI's error replies carry no data: a short GET_RULE and an unknown
 * rule (found by fuzz-mei-bus: the reply copied from a NULL pointer)
 */

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/mei-bus/amthi/framing", test_amthi_framing);
    g_test_add_func("/vamt/mei-bus/amthi/commands", test_amthi_commands);
    g_test_add_func("/vamt/mei-bus/amthi-lms-commands",
                    test_amthi_lms_commands);
    return g_test_run();
}
