/*
 * QTest for the vAMT HECI/MEI device: drives BAR0 the way Linux's mei_me
 * does (reset handshake, HBM bring-up, connect, flow control) and checks
 * what the driver and user space would see.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/timer.h"
#include "libqtest.h"
#include "libqos/vamt.h"
#include "../common/vamt-digest-client.h"
#include "libqos/fw_cfg.h"
#include "qobject/qdict.h"
#include "hw/pci/pci_regs.h"

static const char *code_version(VamtMsg *rsp, const char *desc, char *out)
{
    uint32_t count = ldl_le_p(rsp->data + 16 + 65);
    const uint8_t *e = rsp->data + 16 + 65 + 4;

    g_assert_cmpuint(rsp->len, ==, 16 + 65 + 4 + 44 * count);
    for (uint32_t i = 0; i < count; i++, e += 44) {
        uint16_t dlen = lduw_le_p(e), vlen = lduw_le_p(e + 22);

        g_assert_cmpuint(dlen, <=, 20);
        g_assert_cmpuint(vlen, <, 20);
        g_assert_cmpuint(e[24 + vlen], ==, 0);
        if (dlen == strlen(desc) && !memcmp(e + 2, desc, dlen)) {
            memcpy(out, e + 24, vlen);
            out[vlen] = 0;
            return out;
        }
    }
    return NULL;
}

static void test_pci_identity(void)
{
    VamtHeci h;
    uint8_t cap;
    uint32_t bar;

    vamt_heci_start(&h, "");
    g_assert_cmphex(qpci_config_readw(h.dev, PCI_VENDOR_ID), ==, 0x8086);
    g_assert_cmphex(qpci_config_readw(h.dev, PCI_DEVICE_ID), ==, 0x7ae8);
    g_assert_cmphex(qpci_config_readw(h.dev, PCI_CLASS_DEVICE), ==, 0x0780);
    g_assert_cmphex(qpci_config_readb(h.dev, PCI_INTERRUPT_PIN), ==, 1);
    bar = qpci_config_readl(h.dev, PCI_BASE_ADDRESS_0);
    g_assert_cmphex(bar & 0x7, ==, PCI_BASE_ADDRESS_MEM_TYPE_64);

    /* FW status: what mei_me shows in sysfs fw_status, read-only */
    g_assert_cmphex(qpci_config_readl(h.dev, 0x40), ==, 0x00000245);
    g_assert_cmphex(qpci_config_readl(h.dev, 0x60), ==, 0x00000030);
    qpci_config_writel(h.dev, 0x40, 0xffffffff);
    qpci_config_writel(h.dev, 0x60, 0);
    g_assert_cmphex(qpci_config_readl(h.dev, 0x40), ==, 0x00000245);
    g_assert_cmphex(qpci_config_readl(h.dev, 0x60), ==, 0x00000030);

    /* PM at 0x50, then MSI at 0x8c, as on real PCHs */
    g_assert_cmphex(qpci_config_readw(h.dev, PCI_STATUS) &
                    PCI_STATUS_CAP_LIST, ==, PCI_STATUS_CAP_LIST);
    cap = qpci_config_readb(h.dev, PCI_CAPABILITY_LIST);
    g_assert_cmphex(cap, ==, 0x50);
    g_assert_cmphex(qpci_config_readb(h.dev, cap), ==, PCI_CAP_ID_PM);
    cap = qpci_config_readb(h.dev, cap + 1);
    g_assert_cmphex(cap, ==, 0x8c);
    g_assert_cmphex(qpci_config_readb(h.dev, cap), ==, PCI_CAP_ID_MSI);
    g_assert_cmphex(qpci_config_readb(h.dev, cap + 1), ==, 0);

    /* power-on register values */
    g_assert_cmphex(vamt_heci_read(&h, H_CSR), ==, 0x80000000);
    g_assert_cmphex(vamt_heci_read(&h, ME_CSR_HA), ==, 0x80000008);
    vamt_heci_stop(&h);

    vamt_heci_start(&h, ",device-id=0x51e0,fwsts2=0x12345678");
    g_assert_cmphex(qpci_config_readw(h.dev, PCI_DEVICE_ID), ==, 0x51e0);
    g_assert_cmphex(qpci_config_readl(h.dev, 0x48), ==, 0x12345678);
    vamt_heci_stop(&h);
}

/* SeaBIOS's serial console port is the KT's I/O BAR, as assigned */
static size_t sercon_port(QTestState *qts, uint16_t *port)
{
    QFWCFG *fw_cfg = pc_fw_cfg_init(qts);
    size_t size;

    *port = 0xffff;
    size = qfw_cfg_get_file(fw_cfg, "etc/sercon-port", port, sizeof(*port));
    *port = le16_to_cpu(*port);
    pc_fw_cfg_uninit(fw_cfg);
    return size;
}

static void test_firmware_console(void)
{
    VamtHeci h;
    QPCIDevice *kt;
    uint16_t port;

    vamt_heci_start(&h, ",kt=on");
    /* before the firmware has given the KT a port there is none to name */
    g_assert_cmpuint(sercon_port(h.qts, &port), ==, sizeof(port));
    g_assert_cmphex(port, ==, 0);
    kt = qpci_device_find(h.pcibus, QPCI_DEVFN(0x16, 3));
    g_assert_nonnull(kt);
    qpci_device_enable(kt);
    qpci_iomap(kt, 0, NULL);
    g_assert_cmpuint(sercon_port(h.qts, &port), ==, sizeof(port));
    g_assert_cmphex(port, ==,
                    qpci_config_readl(kt, PCI_BASE_ADDRESS_0) & ~0x3u);
    g_assert_cmphex(port, !=, 0);
    /* and a guest that moves the BAR moves the console the next boot */
    qpci_config_writel(kt, PCI_BASE_ADDRESS_0, port + 0x100);
    g_assert_cmpuint(sercon_port(h.qts, &port), ==, sizeof(port));
    g_assert_cmphex(port, ==,
                    qpci_config_readl(kt, PCI_BASE_ADDRESS_0) & ~0x3u);
    g_free(kt);
    vamt_heci_stop(&h);

    /* sol-firmware=off: no file, so -fw_cfg may name a port of its own */
    vamt_heci_start(&h, ",kt=on,sol-firmware=off");
    g_assert_cmpuint(sercon_port(h.qts, &port), ==, 0);
    vamt_heci_stop(&h);
    /* ... and none without the KT */
    vamt_heci_start(&h, "");
    g_assert_cmpuint(sercon_port(h.qts, &port), ==, 0);
    vamt_heci_stop(&h);
}

static void test_bad_properties(void)
{
    vamt_expect_startup_error("-device vamt,fw-version=16.1",
                              "is not major.minor.hotfix.build");
    vamt_expect_startup_error("-device vamt,fwsts1=0x80000245",
                              "D0i3");
    vamt_expect_startup_error("-device vamt -device vamt,addr=17.0",
                              "only one vamt device");
}

static void test_reset_handshake(void)
{
    VamtHeci h;
    bool any = false;

    vamt_heci_start(&h, "");
    qtest_irq_intercept_in(h.qts, "ioapic");
    vamt_assert_link(h.qts, "reset", 0);

    vamt_heci_write(&h, H_CSR, CSR_IE | CSR_RST | CSR_IG);
    /* H_RST reads back set and H_RDY clear (the driver warns otherwise) */
    g_assert_cmphex(vamt_heci_read(&h, H_CSR) & (CSR_RST | CSR_RDY), ==,
                    CSR_RST);
    vamt_heci_poll(&h, H_CSR, CSR_IS, CSR_IS);
    g_assert_cmphex(vamt_heci_read(&h, ME_CSR_HA) & CSR_RDY, ==, CSR_RDY);

    /* INTx follows IS && IE (no MSI enabled here) */
    for (int pin = 16; pin < 24; pin++) {
        any |= qtest_get_irq(h.qts, pin);
    }
    g_assert_true(any);
    vamt_heci_write(&h, H_CSR, CSR_IS | CSR_IE | CSR_RST);  /* W1C */
    g_assert_cmphex(vamt_heci_read(&h, H_CSR) & CSR_IS, ==, 0);
    for (int pin = 16; pin < 24; pin++) {
        g_assert_false(qtest_get_irq(h.qts, pin));
    }

    vamt_heci_write(&h, H_CSR, CSR_IE | CSR_IG);
    vamt_heci_write(&h, H_CSR, CSR_IE | CSR_IG | CSR_RDY);
    vamt_assert_link(h.qts, "ready", 0);
    vamt_hbm_start(&h);
    vamt_assert_link(h.qts, "started", 0);

    /* a second reset drops the link again and comes back */
    vamt_heci_link_reset(&h);
    vamt_assert_link(h.qts, "ready", 0);
    vamt_heci_stop(&h);
}

static void test_hbm_enumeration(void)
{
    static const uint8_t caps_req[4] = { 0x13, 0x07 };
    static const uint8_t caps_res[4] = { 0x93, 0, 0, 0 };
    static const uint8_t dma_res[2] = { 0x92, 5 };
    static const uint8_t enum_req[4] = { 0x04, 0x03 };
    static const uint8_t amthi_uuid[16] = {
        0x28, 0x00, 0xf8, 0x12, 0xb7, 0xb4, 0x2d, 0x4b,
        0xac, 0xa8, 0x46, 0xe0, 0xff, 0x65, 0x81, 0x4c
    };
    uint8_t dma_req[40] = { 0x12 };
    VamtHeci h;
    VamtMsg m;
    int clients = 0;

    vamt_heci_start(&h, "");
    vamt_heci_bring_up(&h);
    vamt_assert_link(h.qts, "started", 0);

    vamt_heci_send(&h, 0, 0, caps_req, sizeof(caps_req));
    vamt_heci_expect_hbm(&h, &m, caps_res, sizeof(caps_res));
    vamt_heci_send(&h, 0, 0, dma_req, sizeof(dma_req));
    vamt_heci_expect_hbm(&h, &m, dma_res, sizeof(dma_res));

    vamt_heci_send(&h, 0, 0, enum_req, sizeof(enum_req));
    vamt_heci_recv(&h, &m);
    g_assert_cmpuint(m.len, ==, 36);
    g_assert_cmphex(m.data[0], ==, 0x84);
    for (int addr = 0; addr < 256; addr++) {
        uint8_t req[4] = { 0x05, addr };
        bool present = m.data[4 + addr / 8] & (1 << (addr % 8));
        VamtMsg p;

        if (!present) {
            continue;
        }
        clients++;
        vamt_heci_send(&h, 0, 0, req, sizeof(req));
        vamt_heci_recv(&h, &p);
        g_assert_cmpuint(p.len, ==, 28);
        g_assert_cmphex(p.data[0], ==, 0x85);
        g_assert_cmpuint(p.data[1], ==, addr);
        g_assert_cmpuint(p.data[2], ==, 0);
        switch (addr) {
        case ADDR_MKHI_FIXED:
            g_assert_cmpuint(p.data[4 + 18], ==, ADDR_MKHI_FIXED);
            break;
        case ADDR_AMTHI:
            g_assert_cmpmem(p.data + 4, 16, amthi_uuid, 16);
            g_assert_cmpuint(p.data[4 + 17], ==, 4);     /* max conns */
            g_assert_cmpuint(ldl_le_p(p.data + 24), ==, 4096);
            break;
        case ADDR_WD:
            g_assert_cmpuint(p.data[4 + 16], ==, 2);     /* version */
            break;
        }
    }
    g_assert_cmpint(clients, ==, 5);
    g_assert_cmphex(m.data[4] & 1, ==, 0);  /* address 0 is the bus */

    /* an address with no client: CLIENT_NOT_FOUND */
    {
        uint8_t req[4] = { 0x05, 0x42 };

        vamt_heci_send(&h, 0, 0, req, sizeof(req));
        vamt_heci_recv(&h, &m);
        g_assert_cmpuint(m.data[2], ==, 1);
    }
    vamt_heci_stop(&h);
}

static void test_amthi(void)
{
    static const uint8_t smbios_uuid[16] = {
        0x00, 0xee, 0xff, 0xc0, 0x34, 0x12, 0x78, 0x56,
        0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78
    };
    VamtHeci h;
    VamtMsg rsp;
    char ver[32];

    vamt_heci_start(&h, ",fw-version=16.2.11.4242");
    vamt_heci_bring_up(&h);
    vamt_hbm_connect(&h, ADDR_AMTHI, 1, 0);
    vamt_assert_link(h.qts, "started", 1);

    /* 569 bytes: two fragments, 508 + 61 */
    vamt_amthi_request(&h, 1, 0x0400001a, NULL, 0, &rsp);
    g_assert_cmpuint(rsp.len, ==, 569);
    g_assert_cmpuint(ldl_le_p(rsp.data + 12), ==, 0);
    g_assert_cmpstr(code_version(&rsp, "AMT", ver), ==, "16.2.11");
    g_assert_cmpstr(code_version(&rsp, "Build Number", ver), ==, "4242");
    g_assert_cmpstr(code_version(&rsp, "Flash", ver), ==, "16.2.11.4242");
    g_assert_cmpstr(code_version(&rsp, "Sku", ver), ==, "16392");

    vamt_amthi_request(&h, 1, 0x04000011, NULL, 0, &rsp);    /* provisioning */
    g_assert_cmpuint(rsp.len, ==, 20);
    g_assert_cmpuint(ldl_le_p(rsp.data + 12), ==, 0);
    g_assert_cmpuint(ldl_le_p(rsp.data + 16), ==, 0);   /* pre-provisioned */

    vamt_amthi_request(&h, 1, 0x0400005c, NULL, 0, &rsp);    /* GetUUID */
    g_assert_cmpuint(rsp.len, ==, 32);
    g_assert_cmpmem(rsp.data + 16, 16, smbios_uuid, 16);

    vamt_amthi_request(&h, 1, 0x0400006b, NULL, 0, &rsp);    /* control mode */
    g_assert_cmpuint(rsp.len, ==, 20);
    g_assert_cmpuint(ldl_le_p(rsp.data + 16), ==, 0);

    vamt_amthi_request(&h, 1, 0x04001234, NULL, 0, &rsp);    /* unknown */
    g_assert_cmpuint(rsp.len, ==, 16);
    g_assert_cmpuint(ldl_le_p(rsp.data + 12), ==, 1);

    /* a length field that does not match the message */
    {
        uint8_t req[12] = { 1, 1, 0, 0, 0x11, 0, 0, 0x04, 8, 0, 0, 0 };
        uint8_t fc[3] = { 0x08, ADDR_AMTHI, 1 };
        VamtMsg m;

        vamt_heci_send(&h, ADDR_AMTHI, 1, req, sizeof(req));
        vamt_heci_expect_hbm(&h, &m, fc, sizeof(fc));
        vamt_heci_flow_control(&h, ADDR_AMTHI, 1);
        vamt_heci_recv(&h, &m);
        g_assert_cmpuint(ldl_le_p(m.data + 12), ==, 4);
    }
    vamt_heci_stop(&h);
}

static void test_mkhi(void)
{
    static const uint8_t get_ver[4] = { 0xff, 0x02, 0, 0 };
    static const uint8_t ver_res[4] = { 0xff, 0x82, 0, 0 };
    static const uint8_t os_ver[17] = { 0x03, 0x06, 0, 0, 0x10 };
    static const uint8_t get_rule[8] = { 0x03, 0x02, 0, 0, 32, 0, 0, 0 };
    VamtHeci h;
    VamtMsg m;

    vamt_heci_start(&h, ",fw-version=16.1.25.1234");
    vamt_heci_bring_up(&h);

    /* the fixed-address client, as the kernel's bus fix-up uses it */
    vamt_heci_send(&h, ADDR_MKHI_FIXED, 0, get_ver, sizeof(get_ver));
    vamt_heci_recv(&h, &m);
    g_assert_cmpuint(m.me_addr, ==, ADDR_MKHI_FIXED);
    g_assert_cmpuint(m.host_addr, ==, 0);
    g_assert_cmpuint(m.len, ==, 4 + 24);
    g_assert_cmpmem(m.data, 4, ver_res, 4);
    g_assert_cmpuint(lduw_le_p(m.data + 4), ==, 1);        /* minor */
    g_assert_cmpuint(lduw_le_p(m.data + 6), ==, 16);       /* major */
    g_assert_cmpuint(lduw_le_p(m.data + 8), ==, 1234);     /* build */
    g_assert_cmpuint(lduw_le_p(m.data + 10), ==, 25);      /* hotfix */
    /* the OS version notice wants no answer */
    vamt_heci_send(&h, ADDR_MKHI_FIXED, 0, os_ver, sizeof(os_ver));
    g_assert_false(vamt_heci_has_data(&h));

    /* the dynamic MKHI client: FWCAPS "features enabled" has AMT (bit 2) */
    vamt_hbm_connect(&h, ADDR_MKHI, 3, 0);
    vamt_heci_flow_control(&h, ADDR_MKHI, 3);
    vamt_heci_send(&h, ADDR_MKHI, 3, get_rule, sizeof(get_rule));
    vamt_heci_recv(&h, &m);
    g_assert_cmpuint(m.me_addr, ==, ADDR_MKHI);
    g_assert_cmpuint(m.len, ==, 13);
    g_assert_cmphex(m.data[1], ==, 0x82);
    g_assert_cmpuint(m.data[3], ==, 0);
    g_assert_cmphex(ldl_le_p(m.data + 9) & 4, ==, 4);
    {
        /* then the credit for the host's next message */
        uint8_t fc[3] = { 0x08, ADDR_MKHI, 3 };

        vamt_heci_expect_hbm(&h, &m, fc, sizeof(fc));
    }
    vamt_heci_stop(&h);
}

/*
 * Migrate @src to a new QEMU started with "-device vamt,addr=16.0@extra"
 * and attach @dst to it, using the BAR the source's guest programmed.
 */
static void migrate_heci(VamtHeci *src, VamtHeci *dst, const char *extra,
                         const char *uri)
{
    uint64_t bar;

    vamt_heci_attach(dst, qtest_initf("-machine q35 -uuid " VAMT_QEMU_UUID
                                      " -device vamt,addr=16.0%s"
                                      " -incoming %s", extra, uri));
    qtest_qmp_assert_success(src->qts, "{ 'execute': 'migrate',"
                             " 'arguments': { 'uri': %s } }", uri);
    vamt_wait_migration(src->qts);
    qtest_qmp_eventwait(dst->qts, "RESUME");
    bar = qpci_config_readl(dst->dev, PCI_BASE_ADDRESS_0) & ~0xfull;
    bar |= (uint64_t)qpci_config_readl(dst->dev, PCI_BASE_ADDRESS_1) << 32;
    dst->bar.addr = bar;
    dst->bar.is_io = false;
}

/* ---- LME: APF as an agent drives it through the registers ---- */

/* Send one APF message on LME and expect the ME's read grant for it */
static void lme_send(VamtHeci *h, const uint8_t *msg, size_t len)
{
    uint8_t fc[3] = { 0x08, ADDR_LME, 1 };
    VamtMsg m;

    vamt_heci_send(h, ADDR_LME, 1, msg, len);
    vamt_heci_expect_hbm(h, &m, fc, sizeof(fc));
}

/* One message from the ME on LME (the host grants it a read first) */
static void lme_recv(VamtHeci *h, VamtMsg *m)
{
    vamt_heci_flow_control(h, ADDR_LME, 1);
    vamt_heci_recv(h, m);
    g_assert_cmpuint(m->me_addr, ==, ADDR_LME);
    g_assert_cmpuint(m->host_addr, ==, 1);
}

static void lme_handshake(VamtHeci *h)
{
    static const uint8_t accept[] = {
        6, 0, 0, 0, 18, 'p', 'f', 'w', 'd', '@', 'a', 'm', 't', '.',
        'i', 'n', 't', 'e', 'l', '.', 'c', 'o', 'm',
    };
    static const uint32_t ports[] = { 16992, 623 };
    VamtMsg m;

    vamt_hbm_connect(h, ADDR_LME, 1, 0);
    lme_recv(h, &m);
    g_assert_cmpuint(m.len, ==, 93);
    g_assert_cmphex(m.data[0], ==, 0xc0);
    lme_recv(h, &m);
    g_assert_cmpuint(m.len, ==, 23);
    g_assert_cmpmem(m.data + 5, 18, "pfwd@amt.intel.com", 18);
    lme_send(h, accept, sizeof(accept));
    for (unsigned i = 0; i < G_N_ELEMENTS(ports); i++) {
        uint8_t success[5] = { 81 };

        lme_recv(h, &m);
        g_assert_cmphex(m.data[0], ==, 80);
        g_assert_cmpuint(ldl_be_p(m.data + m.len - 4), ==, ports[i]);
        stl_be_p(success + 1, ports[i]);
        lme_send(h, success, sizeof(success));
    }
}

#define PUT32(a, v) (stl_be_p(b, v), g_byte_array_append(a, b, 4))
#define PUTS(a, s) (PUT32(a, strlen(s)), \
                    g_byte_array_append(a, (const uint8_t *)(s), strlen(s)))

/* Open channel @id to 16992 as LMS does; returns the ME's channel id */
static uint32_t lme_channel_open(VamtHeci *h, uint32_t id)
{
    g_autoptr(GByteArray) open = g_byte_array_new();
    uint8_t b[4];
    VamtMsg m;

    g_byte_array_append(open, (const uint8_t *)"\x5a", 1);
    PUTS(open, "forwarded-tcpip");
    PUT32(open, id);
    PUT32(open, 4096);
    PUT32(open, 0xffffffff);
    PUTS(open, "127.0.0.1");
    PUT32(open, 16992);
    PUTS(open, "127.0.0.1");
    PUT32(open, 40000);
    lme_send(h, open->data, open->len);
    lme_recv(h, &m);
    g_assert_cmpuint(m.len, ==, 17);
    g_assert_cmphex(m.data[0], ==, 91);
    g_assert_cmpuint(ldl_be_p(m.data + 1), ==, id);
    return ldl_be_p(m.data + 5);
}

static void lme_channel_send(VamtHeci *h, uint32_t me_id, const char *text)
{
    g_autoptr(GByteArray) data = g_byte_array_new();
    uint8_t b[4];

    g_byte_array_append(data, (const uint8_t *)"\x5e", 1);
    PUT32(data, me_id);
    PUTS(data, text);
    lme_send(h, data->data, data->len);
}
#undef PUTS
#undef PUT32

/* The ME's data on channel @id (of the host) until @done says so */
static void lme_channel_read(VamtHeci *h, uint32_t id, GString *got,
                             bool (*done)(const GString *got, bool closed))
{
    bool closed = false;

    while (!done(got, closed)) {
        VamtMsg m;

        g_assert_false(closed);
        lme_recv(h, &m);
        g_assert_cmpuint(ldl_be_p(m.data + 1), ==, id);
        switch (m.data[0]) {
        case 94:                                /* CHANNEL_DATA */
            g_assert_cmpuint(ldl_be_p(m.data + 5), ==, m.len - 9);
            g_string_append_len(got, (const char *)m.data + 9, m.len - 9);
            break;
        case 93:                                /* WINDOW_ADJUST */
            break;
        case 97:                                /* CHANNEL_CLOSE */
            closed = true;
            break;
        default:
            g_assert_not_reached();
        }
    }
}

static bool wsman_reply_done(const GString *got, bool closed)
{
    return strstr(got->str, "</a:Envelope>") ||
           strstr(got->str, "\r\n0\r\n\r\n");
}

static bool channel_closed(const GString *got, bool closed)
{
    return closed;
}

/* An Identify through a channel to 16992; returns the ME's channel id */
static uint32_t lme_identify(VamtHeci *h, uint32_t id)
{
    static const char body[] =
        "<?xml version=\"1.0\"?><s:Envelope "
        "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
        "xmlns:i=\"http://schemas.dmtf.org/wbem/wsman/identity/1/"
        "wsmanidentity.xsd\"><s:Header/><s:Body><i:Identify/>"
        "</s:Body></s:Envelope>";
    g_autofree char *req = g_strdup_printf(
        "POST /wsman HTTP/1.1\r\nHost: 127.0.0.1:16992\r\n"
        "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
    g_autoptr(GString) got = g_string_new(NULL);
    uint32_t me_id = lme_channel_open(h, id);

    lme_channel_send(h, me_id, req);
    lme_channel_read(h, id, got, wsman_reply_done);
    g_assert_true(g_str_has_prefix(got->str, "HTTP/1.1 200 "));
    g_assert_nonnull(strstr(got->str, "IdentifyResponse"));
    return me_id;
}

/*
 * One WS-Man request through LME as an in-guest agent sends it, on a
 * channel of its own that the ME closes after the answer
 * (Connection: close); @authorization may be NULL.  Returns the answer.
 */
static char *lme_wsman(VamtHeci *h, uint32_t id, const char *envelope,
                       const char *authorization)
{
    g_autofree char *auth = authorization ?
        g_strdup_printf("Authorization: %s\r\n", authorization) : NULL;
    g_autofree char *req = g_strdup_printf(
        "POST /wsman HTTP/1.1\r\nHost: 127.0.0.1:16992\r\n"
        "Connection: close\r\n%sContent-Length: %zu\r\n\r\n%s",
        auth ? auth : "", strlen(envelope), envelope);
    GString *got = g_string_new(NULL);
    uint32_t me_id = lme_channel_open(h, id);
    uint8_t close_msg[5] = { 97 };

    lme_channel_send(h, me_id, req);
    lme_channel_read(h, id, got, channel_closed);
    stl_be_p(close_msg + 1, me_id);
    lme_send(h, close_msg, sizeof(close_msg));
    return g_string_free(got, false);
}

static void test_lme_apf(void)
{
    VamtHeci h;
    VamtMsg m;

    vamt_heci_start(&h, "");
    vamt_heci_bring_up(&h);
    lme_handshake(&h);
    lme_identify(&h, 21);
    lme_identify(&h, 22);
    /* garbage ends the APF session, not the link or the other clients */
    lme_send(&h, (const uint8_t *)"\x77garbage", 8);
    lme_recv(&h, &m);
    g_assert_cmpuint(m.len, ==, 7);
    g_assert_cmphex(m.data[0], ==, 1);
    g_assert_cmpuint(ldl_be_p(m.data + 1), ==, 2);      /* protocol error */
    vamt_assert_link(h.qts, "started", 1);
    /* a new connection is a new session */
    {
        uint8_t req[4] = { 0x07, ADDR_LME, 1, 0 };
        uint8_t res[4] = { 0x87, ADDR_LME, 1, 0 };

        vamt_heci_send(&h, 0, 0, req, sizeof(req));
        vamt_heci_expect_hbm(&h, &m, res, sizeof(res));
    }
    lme_handshake(&h);
    lme_identify(&h, 23);
    vamt_heci_stop(&h);
}

/* AMTHI command @cmd with no payload; the u32 after the status */
static uint32_t amthi_u32(VamtHeci *h, uint8_t host, uint32_t cmd)
{
    VamtMsg m;

    vamt_amthi_request(h, host, cmd, NULL, 0, &m);
    g_assert_cmpuint(m.len, ==, 20);
    g_assert_cmpuint(ldl_le_p(m.data + 12), ==, 0);
    return ldl_le_p(m.data + 16);
}

#define AMTHI_GET_PROVISIONING_STATE    0x04000011
#define AMTHI_GET_CONTROL_MODE          0x0400006b
#define AMTHI_GET_LOCAL_SYSTEM_ACCOUNT  0x04000067
#define AMTHI_UNPROVISION               0x04000010

/*
 * Host-based activation as MeshCmd AmtCCM and rpc-go do it: the local
 * system account from AMTHI, IPS_HostBasedSetupService.Setup through
 * LME with it; a console on listen= then logs on with the admin password
 * the agent chose, and AMTHI Unprovision (MeshCmd AmtDeactivate) ends it.
 */
static void test_lme_host_based_setup(void)
{
    static const uint8_t lsa_request[40];
    static const char setup_uri[] =
        "http://intel.com/wbem/wscim/1/ips-schema/1/IPS_HostBasedSetupService";
    static const char sacs_uri[] = "http://intel.com/wbem/wscim/1/"
        "amt-schema/1/AMT_SetupAndConfigurationService";
    VamtHeci h;
    VamtWeb w = { 0 };
    VamtMsg m;
    QDict *rsp;
    char user[34] = "", pass[34] = "";
    g_autofree char *challenge = NULL;
    g_autofree char *realm = NULL, *nonce = NULL, *a1 = NULL, *ha1 = NULL;
    g_autofree char *setup_body = NULL, *setup = NULL, *answer = NULL;
    g_autofree char *get = NULL, *sacs = NULL, *mode = NULL;
    g_autofree char *auth = NULL;
    g_autofree char *action = g_strdup_printf("%s/Setup", setup_uri);
    const uint8_t unprovision_ccm[4] = { 1 };

    /* no admin-secret: a new machine, not provisioned */
    vamt_heci_start(&h, ",id=amt,listen=127.0.0.1:0");
    rsp = qtest_qmp(h.qts, "{ 'execute': 'qom-get', 'arguments': "
                    "{ 'path': 'amt', 'property': 'listen-port' } }");
    w.qts = h.qts;
    w.port = qdict_get_int(rsp, "return");
    qobject_unref(rsp);
    vamt_heci_bring_up(&h);
    vamt_hbm_connect(&h, ADDR_AMTHI, 2, 0);
    g_assert_cmpuint(amthi_u32(&h, 2, AMTHI_GET_PROVISIONING_STATE), ==, 0);
    rsp = vamt_query(h.qts);
    g_assert_cmpstr(qdict_get_str(rsp, "provisioning"), ==, "pre");
    g_assert_cmpstr(qdict_get_str(rsp, "control-mode"), ==, "none");
    qobject_unref(rsp);

    vamt_amthi_request(&h, 2, AMTHI_GET_LOCAL_SYSTEM_ACCOUNT, lsa_request,
                       sizeof(lsa_request), &m);
    g_assert_cmpuint(m.len, ==, 84);
    g_assert_cmpuint(ldl_le_p(m.data + 12), ==, 0);
    memcpy(user, m.data + 16, 33);
    memcpy(pass, m.data + 49, 33);
    g_assert_cmpstr(user, ==, "$$OsAdmin");
    g_assert_cmpuint(strlen(pass), ==, 32);

    /* the agent's first request brings the challenge */
    lme_handshake(&h);
    setup_body = g_strdup_printf(
        "<r:Setup_INPUT xmlns:r=\"%s\"><r:NetAdminPassEncryptionType>2"
        "</r:NetAdminPassEncryptionType><r:NetworkAdminPassword>%%s"
        "</r:NetworkAdminPassword></r:Setup_INPUT>", setup_uri);
    get = vamt_wsman_envelope("http://schemas.xmlsoap.org/ws/2004/09/"
                              "transfer/Get", sacs_uri, "");
    challenge = lme_wsman(&h, 41, get, NULL);
    g_assert_true(g_str_has_prefix(challenge, "HTTP/1.1 401 "));
    realm = vamt_test_challenge_param(challenge, "realm");
    nonce = vamt_test_challenge_nonce(challenge);

    /* Setup with MD5("admin:" realm ":" password), as MeshCmd sends it */
    a1 = g_strdup_printf("admin:%s:%s", realm, VAMT_AMT_PASSWORD);
    ha1 = vamt_test_md5_hex(a1);
    {
        g_autofree char *body = g_strdup_printf(setup_body, ha1);
        const VamtTestDigestAuth a = {
            .user = user, .realm = realm, .password = pass, .uri = "/wsman",
            .nonce = nonce, .nc = "00000001", .cnonce = "a9e7",
        };

        auth = vamt_test_digest_authorization(&a);
        setup = vamt_wsman_envelope(action, setup_uri, body);
    }
    answer = lme_wsman(&h, 42, setup, auth);
    g_assert_true(g_str_has_prefix(answer, "HTTP/1.1 200 "));
    g_assert_nonnull(strstr(answer, "<g:ReturnValue>0</g:ReturnValue>"));

    /* agents, consoles and QMP see client control mode */
    rsp = vamt_query(h.qts);
    g_assert_cmpstr(qdict_get_str(rsp, "provisioning"), ==, "post");
    g_assert_cmpstr(qdict_get_str(rsp, "control-mode"), ==, "client");
    qobject_unref(rsp);
    g_assert_cmpuint(amthi_u32(&h, 2, AMTHI_GET_PROVISIONING_STATE), ==, 2);
    g_assert_cmpuint(amthi_u32(&h, 2, AMTHI_GET_CONTROL_MODE), ==, 1);
    sacs = vamt_wsman_call(&w, get);
    mode = vamt_element_text(sacs, "ProvisioningMode");
    g_assert_cmpstr(mode, ==, "4");
    /* the local system account is no network account */
    {
        g_autofree char *value = NULL, *head = NULL, *body = NULL;
        g_autofree char *req = NULL;
        const VamtTestDigestAuth a = {
            .user = user, .realm = realm, .password = pass, .uri = "/wsman",
            .nonce = w.nonce, .nc = "00000099", .cnonce = "a9e7",
        };
        int fd = vamt_web_connect(&w);

        value = vamt_test_digest_authorization(&a);
        req = g_strdup_printf("POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Authorization: %s\r\nContent-Length: %zu"
                              "\r\n\r\n%s", value, strlen(get), get);
        vamt_web_send_all(fd, req, strlen(req));
        head = vamt_web_read_response(fd, &body);
        g_assert_true(g_str_has_prefix(head, "HTTP/1.1 401 "));
        close(fd);
    }

    /* deactivation: back to a new machine; the admin password is gone */
    vamt_amthi_request(&h, 2, AMTHI_UNPROVISION, unprovision_ccm,
                       sizeof(unprovision_ccm), &m);
    g_assert_cmpuint(m.len, ==, 16);
    g_assert_cmpuint(ldl_le_p(m.data + 12), ==, 0);
    g_assert_cmpuint(amthi_u32(&h, 2, AMTHI_GET_PROVISIONING_STATE), ==, 0);
    g_assert_cmpuint(amthi_u32(&h, 2, AMTHI_GET_CONTROL_MODE), ==, 0);
    g_assert_cmpint(vamt_wsman_status(&w, get), ==, 401);
    g_free(w.realm);
    g_free(w.nonce);
    vamt_heci_stop(&h);
}

/* A migrated agent connection: its session stayed on the source */
static void test_lme_migration(void)
{
    g_autofree char *tmp = g_dir_make_tmp("vamt-test-XXXXXX", NULL);
    g_autofree char *sock = g_strdup_printf("%s/migrate", tmp);
    g_autofree char *uri = g_strdup_printf("unix:%s", sock);
    VamtHeci src, dst;
    VamtMsg m;

    vamt_heci_start(&src, "");
    vamt_heci_bring_up(&src);
    lme_handshake(&src);
    lme_identify(&src, 31);
    migrate_heci(&src, &dst, "", uri);
    vamt_assert_link(dst.qts, "started", 1);
    /* the agent's next message learns the session is gone */
    lme_send(&dst, (const uint8_t *)"\x5d\0\0\0\0\0\0\0\1", 9);
    lme_recv(&dst, &m);
    g_assert_cmpuint(m.len, ==, 7);
    g_assert_cmphex(m.data[0], ==, 1);
    g_assert_cmpuint(ldl_be_p(m.data + 1), ==, 10);     /* connection lost */
    vamt_heci_stop(&src);
    vamt_heci_stop(&dst);
    unlink(sock);
    rmdir(tmp);
}

static void test_connections(void)
{
    static const uint8_t disc[4] = { 0x07, ADDR_AMTHI, 1 };
    static const uint8_t disc_res[4] = { 0x87, ADDR_AMTHI, 1, 0 };
    static const uint8_t notify[4] = { 0x10, ADDR_WD, 5, 1 };
    static const uint8_t notify_res[5] = { 0x90, ADDR_WD, 5, 0, 1 };
    static const uint8_t notify_again[5] = { 0x90, ADDR_WD, 5, 6, 1 };
    static const uint8_t wd_start[23] = { 0x02, 0x15, 0x13, 0x10, 120 };
    static const uint8_t wd_res[6] = { 0x02, 0x04, 0x83, 0x10, 0, 0 };
    static const uint8_t get_ver[12] = { 1, 1, 0, 0, 0x1a, 0, 0, 0x04 };
    VamtHeci h;
    VamtMsg m;

    vamt_heci_start(&h, "");
    vamt_heci_bring_up(&h);

    vamt_hbm_connect(&h, 0x42, 1, 1);                /* no such client */
    vamt_hbm_connect(&h, ADDR_MKHI_FIXED, 1, 5);     /* fixed: no connect */
    vamt_hbm_connect(&h, ADDR_MKHI, 1, 0);
    vamt_hbm_connect(&h, ADDR_MKHI, 2, 3);           /* one connection only */
    vamt_hbm_connect(&h, ADDR_MKHI, 1, 2);           /* already connected */
    for (int host = 10; host < 14; host++) {
        vamt_hbm_connect(&h, ADDR_AMTHI, host, 0);   /* AMTHI allows four */
    }
    vamt_hbm_connect(&h, ADDR_AMTHI, 14, 3);
    vamt_assert_link(h.qts, "started", 5);

    /* disconnect frees the slot; messages for the old pair are dropped */
    vamt_hbm_connect(&h, ADDR_AMTHI, 1, 3);
    {
        uint8_t d[4] = { 0x07, ADDR_AMTHI, 10 };
        uint8_t r[4] = { 0x87, ADDR_AMTHI, 10, 0 };

        vamt_heci_send(&h, 0, 0, d, sizeof(d));
        vamt_heci_expect_hbm(&h, &m, r, sizeof(r));
    }
    vamt_hbm_connect(&h, ADDR_AMTHI, 1, 0);
    vamt_heci_send(&h, 0, 0, disc, sizeof(disc));
    vamt_heci_expect_hbm(&h, &m, disc_res, sizeof(disc_res));
    vamt_heci_send(&h, ADDR_AMTHI, 1, get_ver, sizeof(get_ver));
    vamt_heci_flow_control(&h, ADDR_AMTHI, 1);
    g_assert_false(vamt_heci_has_data(&h));

    /* the watchdog as mei_wdt drives it: notify, START answered */
    vamt_hbm_connect(&h, ADDR_WD, 5, 0);
    vamt_heci_send(&h, 0, 0, notify, sizeof(notify));
    vamt_heci_expect_hbm(&h, &m, notify_res, sizeof(notify_res));
    vamt_heci_send(&h, 0, 0, notify, sizeof(notify));
    vamt_heci_expect_hbm(&h, &m, notify_again, sizeof(notify_again));
    vamt_heci_flow_control(&h, ADDR_WD, 5);
    vamt_heci_send(&h, ADDR_WD, 5, wd_start, sizeof(wd_start));
    vamt_heci_recv(&h, &m);
    g_assert_cmpuint(m.me_addr, ==, ADDR_WD);
    g_assert_cmpmem(m.data, m.len, wd_res, sizeof(wd_res));
    {
        uint8_t fc[3] = { 0x08, ADDR_WD, 5 };
        QDict *ev;

        vamt_heci_expect_hbm(&h, &m, fc, sizeof(fc));
        /* 120 s of guest time without a keep-alive: AMT reports it */
        qtest_clock_step(h.qts, 119 * NANOSECONDS_PER_SECOND);
        vamt_assert_link(h.qts, "started", -1);  /* collects pending events */
        g_assert_null(qtest_qmp_event_ref(h.qts, "VAMT_WATCHDOG"));
        qtest_clock_step(h.qts, 2 * NANOSECONDS_PER_SECOND);
        ev = qtest_qmp_eventwait_ref(h.qts, "VAMT_WATCHDOG");
        g_assert_cmpint(qdict_get_int(qdict_get_qdict(ev, "data"),
                                      "timeout"), ==, 120);
        qobject_unref(ev);
    }

    /* LME opens with its APF protocol version once the host reads */
    vamt_hbm_connect(&h, ADDR_LME, 6, 0);
    g_assert_false(vamt_heci_has_data(&h));
    vamt_heci_flow_control(&h, ADDR_LME, 6);
    vamt_heci_recv(&h, &m);
    g_assert_cmpuint(m.me_addr, ==, ADDR_LME);
    g_assert_cmpuint(m.len, ==, 93);
    g_assert_cmphex(m.data[0], ==, 0xc0);
    vamt_heci_stop(&h);
}

/*
 * A guest re-arming the watchdog with timeout 0 makes it expire at once,
 * again and again: QMP sees at most one VAMT_WATCHDOG a second.
 */
static void test_watchdog_event_rate(void)
{
    static const uint8_t wd_start0[23] = { 0x02, 0x15, 0x13, 0x10, 0 };
    static const uint8_t fc[3] = { 0x08, ADDR_WD, 5 };
    unsigned events = 0, allowed;
    int64_t start;
    VamtHeci h;
    VamtMsg m;
    QDict *ev;

    vamt_heci_start(&h, "");
    vamt_heci_bring_up(&h);
    vamt_hbm_connect(&h, ADDR_WD, 5, 0);
    start = g_get_monotonic_time();
    for (int i = 0; i < 50; i++) {
        vamt_heci_flow_control(&h, ADDR_WD, 5);
        vamt_heci_send(&h, ADDR_WD, 5, wd_start0, sizeof(wd_start0));
        vamt_heci_recv(&h, &m);
        g_assert_cmpuint(m.me_addr, ==, ADDR_WD);
        vamt_heci_expect_hbm(&h, &m, fc, sizeof(fc));
        qtest_clock_step(h.qts, 1000 * 1000);
    }
    vamt_assert_link(h.qts, "started", -1);  /* collects pending events */
    /* one at once, then at most one per second that has begun since */
    allowed = 2 + (g_get_monotonic_time() - start) / G_USEC_PER_SEC;
    while ((ev = qtest_qmp_event_ref(h.qts, "VAMT_WATCHDOG"))) {
        events++;
        qobject_unref(ev);
    }
    g_test_message("%u VAMT_WATCHDOG events for 50 expiries (at most %u)",
                   events, allowed);
    g_assert_cmpuint(events, >=, 1);
    g_assert_cmpuint(events, <=, allowed);
    g_assert_cmpuint(allowed, <, 50);
    /* the suppressed ones are summed up by one more, a second later */
    ev = qtest_qmp_eventwait_ref(h.qts, "VAMT_WATCHDOG");
    qobject_unref(ev);
    vamt_heci_stop(&h);
}

/* A hostile guest: nothing it writes may crash or wedge the device. */
static void test_garbage(void)
{
    static const uint32_t bad_headers[] = {
        0x01ff0000,         /* length 511: cannot fit the buffer */
        0x0e000000,         /* reserved bits */
        0x00000000,         /* an empty header */
        0x80040010,         /* AMTHI, never connected */
        0x10000000 | (4 << 16), /* extended header */
    };
    VamtHeci h;
    GRand *rand = g_rand_new_with_seed(0x5a3d);

    vamt_heci_start(&h, "");
    vamt_heci_bring_up(&h);

    /* reading an empty ME buffer gives 0 and moves nothing */
    g_assert_cmphex(vamt_heci_read(&h, ME_CB_RW), ==, 0);
    g_assert_cmpuint(vamt_cb_filled(vamt_heci_read(&h, ME_CSR_HA)), ==, 0);

    for (size_t i = 0; i < G_N_ELEMENTS(bad_headers); i++) {
        vamt_heci_write(&h, H_CB_WW, bad_headers[i]);
        vamt_heci_write(&h, H_CB_WW, 0xdeadbeef);
        vamt_heci_doorbell(&h);
        g_assert_false(vamt_heci_has_data(&h));
    }
    /* overfill the host buffer: the excess is dropped */
    for (int i = 0; i < 300; i++) {
        vamt_heci_write(&h, H_CB_WW, 0xffffffff);
    }
    g_assert_cmpuint(vamt_cb_filled(vamt_heci_read(&h, H_CSR)), <=, CB_DEPTH);
    vamt_heci_doorbell(&h);

    for (int i = 0; i < 20000; i++) {
        uint32_t off = g_rand_int_range(rand, 0, 0x1000) & ~3;

        if (g_rand_boolean(rand)) {
            off = g_rand_int_range(rand, 0, 4) * 4;
        }
        if (g_rand_boolean(rand)) {
            vamt_heci_write(&h, off, g_rand_int(rand));
        } else {
            vamt_heci_read(&h, off);
        }
    }

    /* the driver's next reset brings everything back */
    vamt_heci_bring_up(&h);
    vamt_hbm_connect(&h, ADDR_AMTHI, 1, 0);
    {
        VamtMsg rsp;

        vamt_amthi_request(&h, 1, 0x04000011, NULL, 0, &rsp);
        g_assert_cmpuint(rsp.len, ==, 20);
    }
    g_rand_free(rand);
    vamt_heci_stop(&h);
}

/* A platform reset restarts the host interface; the ME stays sane. */
static void test_system_reset(void)
{
    VamtHeci h;

    vamt_heci_start(&h, "");
    vamt_heci_bring_up(&h);
    vamt_hbm_connect(&h, ADDR_AMTHI, 1, 0);
    vamt_assert_link(h.qts, "started", 1);
    qtest_qmp_assert_success(h.qts, "{ 'execute': 'system_reset' }");
    qtest_qmp_eventwait(h.qts, "RESET");
    vamt_assert_link(h.qts, "reset", 0);
    /* the reset also cleared the BAR: map it again, as firmware would */
    qpci_device_enable(h.dev);
    h.bar = qpci_iomap(h.dev, 0, NULL);
    g_assert_cmphex(vamt_heci_read(&h, ME_CSR_HA), ==, 0x80000008);
    g_assert_cmphex(vamt_heci_read(&h, H_CSR), ==, 0x80000000);
    vamt_heci_stop(&h);
}

/*
 * Migrate while a reply waits for the host's read credit: the destination
 * delivers it once the host grants one.
 */
static void test_migration(void)
{
    g_autofree char *tmp = g_dir_make_tmp("vamt-test-XXXXXX", NULL);
    g_autofree char *sock = g_strdup_printf("%s/migrate", tmp);
    g_autofree char *uri = g_strdup_printf("unix:%s", sock);
    uint8_t get_ver[12] = { 1, 1, 0, 0, 0x1a, 0, 0, 0x04 };
    uint8_t fc[3] = { 0x08, ADDR_AMTHI, 1 };
    VamtHeci src, dst;
    VamtMsg m;
    char ver[32];

    vamt_heci_start(&src, ",fw-version=16.1.30.2307");
    vamt_heci_bring_up(&src);
    vamt_hbm_connect(&src, ADDR_AMTHI, 1, 0);
    vamt_heci_send(&src, ADDR_AMTHI, 1, get_ver, sizeof(get_ver));
    vamt_heci_expect_hbm(&src, &m, fc, sizeof(fc));
    g_assert_false(vamt_heci_has_data(&src));

    migrate_heci(&src, &dst, ",fw-version=16.1.30.2307", uri);
    vamt_assert_link(dst.qts, "started", 1);

    vamt_heci_flow_control(&dst, ADDR_AMTHI, 1);
    vamt_heci_recv(&dst, &m);
    g_assert_cmpuint(m.me_addr, ==, ADDR_AMTHI);
    g_assert_cmpuint(m.len, ==, 569);
    g_assert_cmphex(ldl_le_p(m.data + 4), ==, 0x0480001a);
    g_assert_cmpstr(code_version(&m, "AMT", ver), ==, "16.1.30");

    vamt_heci_stop(&src);
    vamt_heci_stop(&dst);
    unlink(sock);
    rmdir(tmp);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vamt/pci-identity", test_pci_identity);
    qtest_add_func("/vamt/bad-properties", test_bad_properties);
    qtest_add_func("/vamt/firmware-console", test_firmware_console);
    qtest_add_func("/vamt/reset-handshake", test_reset_handshake);
    qtest_add_func("/vamt/hbm-enumeration", test_hbm_enumeration);
    qtest_add_func("/vamt/amthi", test_amthi);
    qtest_add_func("/vamt/mkhi", test_mkhi);
    qtest_add_func("/vamt/connections", test_connections);
    qtest_add_func("/vamt/watchdog-event-rate", test_watchdog_event_rate);
    qtest_add_func("/vamt/garbage", test_garbage);
    qtest_add_func("/vamt/system-reset", test_system_reset);
    qtest_add_func("/vamt/migration", test_migration);
    qtest_add_func("/vamt/lme-apf", test_lme_apf);
    qtest_add_func("/vamt/lme-migration", test_lme_migration);
    qtest_add_func("/vamt/lme-host-based-setup", test_lme_host_based_setup);
    return g_test_run();
}
