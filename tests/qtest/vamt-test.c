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
#include "libqos/pci.h"
#include "libqos/pci-pc.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "hw/pci/pci_regs.h"
#include "qemu/sockets.h"

#define H_CB_WW     0x00
#define H_CSR       0x04
#define ME_CB_RW    0x08
#define ME_CSR_HA   0x0c

#define CSR_IE      0x01
#define CSR_IS      0x02
#define CSR_IG      0x04
#define CSR_RDY     0x08
#define CSR_RST     0x10

#define CB_DEPTH    128
#define HDR_COMPLETE 0x80000000u

#define ADDR_MKHI_FIXED 0x07
#define ADDR_MKHI   0x08
#define ADDR_AMTHI  0x10
#define ADDR_WD     0x11
#define ADDR_LME    0x12

#define QEMU_UUID   "c0ffee00-1234-5678-9abc-def012345678"

typedef struct Heci {
    QTestState *qts;
    QPCIBus *pcibus;
    QPCIDevice *dev;
    QPCIBar bar;
} Heci;

typedef struct Msg {
    uint8_t me_addr;
    uint8_t host_addr;
    size_t len;
    uint8_t data[8192];
} Msg;

static uint32_t rd(Heci *h, uint32_t reg)
{
    return qpci_io_readl(h->dev, h->bar, reg);
}

static void wr(Heci *h, uint32_t reg, uint32_t val)
{
    qpci_io_writel(h->dev, h->bar, reg, val);
}

static uint8_t cb_filled(uint32_t csr)
{
    return (uint8_t)(((csr >> 16) & 0xff) - ((csr >> 8) & 0xff));
}

/* Wait until @reg & @mask == @want (the ME works from a bottom half). */
static uint32_t poll_reg(Heci *h, uint32_t reg, uint32_t mask, uint32_t want)
{
    uint32_t v = 0;

    for (int i = 0; i < 5000; i++) {
        v = rd(h, reg);
        if ((v & mask) == want) {
            return v;
        }
        g_usleep(1000);
    }
    g_assert_cmphex(v & mask, ==, want);
    return v;
}

static void heci_attach(Heci *h, QTestState *qts)
{
    h->qts = qts;
    h->pcibus = qpci_new_pc(qts, NULL);
    h->dev = qpci_device_find(h->pcibus, QPCI_DEVFN(0x16, 0));
    g_assert_nonnull(h->dev);
}

static void heci_start(Heci *h, const char *extra)
{
    heci_attach(h, qtest_initf("-machine q35 -uuid " QEMU_UUID
                               " -device vamt,addr=16.0%s", extra));
    qpci_device_enable(h->dev);
    h->bar = qpci_iomap(h->dev, 0, NULL);
}

static void heci_stop(Heci *h)
{
    g_free(h->dev);
    qpci_free_pc(h->pcibus);
    qtest_quit(h->qts);
}

/* The driver's write of H_CSR: keep IE/RDY, never clear IS by accident */
static void ring_doorbell(Heci *h)
{
    wr(h, H_CSR, (rd(h, H_CSR) & ~CSR_IS) | CSR_IG);
}

/* mei_me_hw_reset + mei_me_hw_start */
static void link_reset(Heci *h)
{
    uint32_t csr = rd(h, H_CSR);

    if (csr & CSR_RST) {
        /* mei_me_hw_reset: "H_RST is set", clear it first */
        wr(h, H_CSR, csr & ~(CSR_RST | CSR_IS));
    }
    wr(h, H_CSR, CSR_IE | CSR_RST | CSR_IG | CSR_IS);
    csr = rd(h, H_CSR);
    g_assert_cmphex(csr & (CSR_RST | CSR_RDY), ==, CSR_RST);
    /* the ME comes back ready and interrupts while H_RST is still set */
    poll_reg(h, H_CSR, CSR_IS, CSR_IS);
    g_assert_cmphex(rd(h, ME_CSR_HA) & CSR_RDY, ==, CSR_RDY);
    wr(h, H_CSR, CSR_IS | CSR_IE);          /* ack */
    wr(h, H_CSR, CSR_IE | CSR_IG);          /* release reset */
    wr(h, H_CSR, CSR_IE | CSR_IG | CSR_RDY);
    g_assert_cmphex(rd(h, H_CSR) & 0xff, ==, CSR_IE | CSR_RDY);
}

static void send_fragment(Heci *h, uint8_t me, uint8_t host,
                          const uint8_t *data, size_t len, bool complete)
{
    uint32_t hdr = me | (host << 8) | ((uint32_t)len << 16) |
                   (complete ? HDR_COMPLETE : 0);

    g_assert_cmpuint(len, <=, (CB_DEPTH - 1) * 4);
    /* like mei_hbuf_acquire: write only into an empty host buffer */
    for (int i = 0; i < 5000 && cb_filled(rd(h, H_CSR)); i++) {
        g_usleep(1000);
    }
    g_assert_cmpuint(cb_filled(rd(h, H_CSR)), ==, 0);
    wr(h, H_CB_WW, hdr);
    for (size_t i = 0; i < len; i += 4) {
        uint8_t dw[4] = { 0 };

        memcpy(dw, data + i, MIN(4, len - i));
        wr(h, H_CB_WW, ldl_le_p(dw));
    }
    ring_doorbell(h);
}

static void send_msg(Heci *h, uint8_t me, uint8_t host, const void *data,
                     size_t len)
{
    const uint8_t *p = data;
    size_t max = (CB_DEPTH - 1) * 4;

    do {
        size_t n = MIN(len, max);

        send_fragment(h, me, host, p, n, n == len);
        p += n;
        len -= n;
    } while (len);
}

/* Whether the ME has anything for the host, after it had time to work */
static bool me_has_data(Heci *h)
{
    ring_doorbell(h);
    return cb_filled(rd(h, ME_CSR_HA)) != 0;
}

/* Read one fragment (mei_me_read_slots) and ring, as the driver does */
static uint32_t recv_fragment(Heci *h, uint8_t *buf, size_t *len)
{
    uint32_t hdr, slots;

    for (int i = 0; i < 5000 && !cb_filled(rd(h, ME_CSR_HA)); i++) {
        g_usleep(1000);
    }
    g_assert_cmpuint(cb_filled(rd(h, ME_CSR_HA)), >, 0);
    hdr = rd(h, ME_CB_RW);
    g_assert_cmphex(hdr & 0x0e000000, ==, 0);    /* reserved bits */
    *len = (hdr >> 16) & 0x1ff;
    slots = (*len + 3) / 4;
    /* a fragment is published whole */
    g_assert_cmpuint(cb_filled(rd(h, ME_CSR_HA)), >=, slots);
    for (uint32_t i = 0; i < slots; i++) {
        uint32_t dw = rd(h, ME_CB_RW);
        uint8_t b[4];

        stl_le_p(b, dw);
        memcpy(buf + 4 * i, b, MIN(4, *len - 4 * i));
    }
    wr(h, H_CSR, rd(h, H_CSR) | CSR_IG);        /* ack IS + doorbell */
    return hdr;
}

static void recv_msg(Heci *h, Msg *m)
{
    uint32_t hdr;
    size_t len;

    m->len = 0;
    do {
        g_assert_cmpuint(m->len + 512, <=, sizeof(m->data));
        hdr = recv_fragment(h, m->data + m->len, &len);
        if (m->len) {
            g_assert_cmpuint(hdr & 0xff, ==, m->me_addr);
            g_assert_cmpuint((hdr >> 8) & 0xff, ==, m->host_addr);
        }
        m->me_addr = hdr & 0xff;
        m->host_addr = (hdr >> 8) & 0xff;
        m->len += len;
    } while (!(hdr & HDR_COMPLETE));
}

/* Expect an HBM message with the given leading bytes */
static void expect_hbm(Heci *h, Msg *m, const uint8_t *head, size_t n)
{
    recv_msg(h, m);
    g_assert_cmpuint(m->me_addr, ==, 0);
    g_assert_cmpuint(m->host_addr, ==, 0);
    g_assert_cmpuint(m->len, >=, n);
    g_assert_cmpmem(m->data, n, head, n);
}

static void hbm_start(Heci *h)
{
    static const uint8_t start[4] = { 0x01, 0, 2, 2 };
    static const uint8_t res[4] = { 0x81, 1, 2, 2 };
    Msg m;

    send_msg(h, 0, 0, start, sizeof(start));
    expect_hbm(h, &m, res, sizeof(res));
    g_assert_cmpuint(m.len, ==, 4);
}

static void hbm_connect(Heci *h, uint8_t me, uint8_t host, uint8_t status)
{
    uint8_t req[4] = { 0x06, me, host, 0 };
    uint8_t res[4] = { 0x86, me, host, status };
    uint8_t fc[3] = { 0x08, me, host };
    Msg m;

    send_msg(h, 0, 0, req, sizeof(req));
    expect_hbm(h, &m, res, sizeof(res));
    if (status == 0) {
        /* the ME grants the host one message right away */
        expect_hbm(h, &m, fc, sizeof(fc));
        g_assert_cmpuint(m.len, ==, 8);
    }
}

static void host_flow_control(Heci *h, uint8_t me, uint8_t host)
{
    uint8_t fc[8] = { 0x08, me, host };

    send_msg(h, 0, 0, fc, sizeof(fc));
}

static void bring_up(Heci *h)
{
    link_reset(h);
    hbm_start(h);
}

static QDict *query_vamt(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-vamt' }");
    QList *list = qdict_get_qlist(rsp, "return");
    QDict *info;

    g_assert_nonnull(list);
    g_assert_cmpuint(qlist_size(list), ==, 1);
    info = qobject_to(QDict, qlist_peek(list));
    qobject_ref(info);
    qobject_unref(rsp);
    return info;
}

static void assert_link(QTestState *qts, const char *link, int connections)
{
    QDict *info = query_vamt(qts);

    g_assert_cmpstr(qdict_get_str(info, "link"), ==, link);
    if (connections >= 0) {
        g_assert_cmpint(qdict_get_int(info, "connections"), ==, connections);
    }
    qobject_unref(info);
}

/* ---- AMTHI ----------------------------------------------------------- */

static void amthi_request(Heci *h, uint8_t host, uint32_t cmd,
                          const uint8_t *data, size_t len, Msg *rsp)
{
    uint8_t req[64] = { 1, 1, 0, 0 };
    uint8_t fc[3] = { 0x08, ADDR_AMTHI, host };
    Msg m;

    g_assert_cmpuint(len, <=, sizeof(req) - 12);
    stl_le_p(req + 4, cmd);
    stl_le_p(req + 8, len);
    memcpy(req + 12, data, len);
    send_msg(h, ADDR_AMTHI, host, req, 12 + len);
    /* consumed: the ME grants the next message */
    expect_hbm(h, &m, fc, sizeof(fc));
    /* the reply waits for the host's read credit */
    g_assert_false(me_has_data(h));
    host_flow_control(h, ADDR_AMTHI, host);
    recv_msg(h, rsp);
    g_assert_cmpuint(rsp->me_addr, ==, ADDR_AMTHI);
    g_assert_cmpuint(rsp->host_addr, ==, host);
    /* what every AMTHI client checks */
    g_assert_cmpuint(rsp->len, >=, 16);
    g_assert_cmpuint(rsp->data[0], ==, 1);
    g_assert_cmpuint(rsp->data[1], ==, 1);
    g_assert_cmpuint(lduw_le_p(rsp->data + 2), ==, 0);
    g_assert_cmphex(ldl_le_p(rsp->data + 4), ==, cmd | 0x00800000);
    g_assert_cmpuint(ldl_le_p(rsp->data + 8), ==, rsp->len - 12);
}

static const char *code_version(Msg *rsp, const char *desc, char *out)
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

/* ---- tests ----------------------------------------------------------- */

static void test_pci_identity(void)
{
    Heci h;
    uint8_t cap;
    uint32_t bar;

    heci_start(&h, "");
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
    g_assert_cmphex(rd(&h, H_CSR), ==, 0x80000000);
    g_assert_cmphex(rd(&h, ME_CSR_HA), ==, 0x80000008);
    heci_stop(&h);

    heci_start(&h, ",device-id=0x51e0,fwsts2=0x12345678");
    g_assert_cmphex(qpci_config_readw(h.dev, PCI_DEVICE_ID), ==, 0x51e0);
    g_assert_cmphex(qpci_config_readl(h.dev, 0x48), ==, 0x12345678);
    heci_stop(&h);
}

/* QEMU refuses to start, exits 1 and says why */
static void expect_startup_error(const char *args, const char *msg)
{
    g_autofree char *cmd = g_strdup_printf(
        "%s -machine q35 -accel qtest -nodefaults -display none %s",
        g_getenv("QTEST_QEMU_BINARY"), args);
    g_autofree char *out = NULL, *err = NULL;
    int status;

    g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    if (!strstr(err, msg)) {
        g_test_message("stderr: %s", err);
    }
    g_assert_nonnull(strstr(err, msg));
}

static void test_bad_properties(void)
{
    expect_startup_error("-device vamt,fw-version=16.1",
                         "is not major.minor.hotfix.build");
    expect_startup_error("-device vamt,fwsts1=0x80000245",
                         "D0i3");
    expect_startup_error("-device vamt -device vamt,addr=17.0",
                         "only one vamt device");
}

static void test_reset_handshake(void)
{
    Heci h;
    bool any = false;

    heci_start(&h, "");
    qtest_irq_intercept_in(h.qts, "ioapic");
    assert_link(h.qts, "reset", 0);

    wr(&h, H_CSR, CSR_IE | CSR_RST | CSR_IG);
    /* H_RST reads back set and H_RDY clear (the driver warns otherwise) */
    g_assert_cmphex(rd(&h, H_CSR) & (CSR_RST | CSR_RDY), ==, CSR_RST);
    poll_reg(&h, H_CSR, CSR_IS, CSR_IS);
    g_assert_cmphex(rd(&h, ME_CSR_HA) & CSR_RDY, ==, CSR_RDY);

    /* INTx follows IS && IE (no MSI enabled here) */
    for (int pin = 16; pin < 24; pin++) {
        any |= qtest_get_irq(h.qts, pin);
    }
    g_assert_true(any);
    wr(&h, H_CSR, CSR_IS | CSR_IE | CSR_RST);  /* W1C */
    g_assert_cmphex(rd(&h, H_CSR) & CSR_IS, ==, 0);
    for (int pin = 16; pin < 24; pin++) {
        g_assert_false(qtest_get_irq(h.qts, pin));
    }

    wr(&h, H_CSR, CSR_IE | CSR_IG);
    wr(&h, H_CSR, CSR_IE | CSR_IG | CSR_RDY);
    assert_link(h.qts, "ready", 0);
    hbm_start(&h);
    assert_link(h.qts, "started", 0);

    /* a second reset drops the link again and comes back */
    link_reset(&h);
    assert_link(h.qts, "ready", 0);
    heci_stop(&h);
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
    Heci h;
    Msg m;
    int clients = 0;

    heci_start(&h, "");
    bring_up(&h);
    assert_link(h.qts, "started", 0);

    send_msg(&h, 0, 0, caps_req, sizeof(caps_req));
    expect_hbm(&h, &m, caps_res, sizeof(caps_res));
    send_msg(&h, 0, 0, dma_req, sizeof(dma_req));
    expect_hbm(&h, &m, dma_res, sizeof(dma_res));

    send_msg(&h, 0, 0, enum_req, sizeof(enum_req));
    recv_msg(&h, &m);
    g_assert_cmpuint(m.len, ==, 36);
    g_assert_cmphex(m.data[0], ==, 0x84);
    for (int addr = 0; addr < 256; addr++) {
        uint8_t req[4] = { 0x05, addr };
        bool present = m.data[4 + addr / 8] & (1 << (addr % 8));
        Msg p;

        if (!present) {
            continue;
        }
        clients++;
        send_msg(&h, 0, 0, req, sizeof(req));
        recv_msg(&h, &p);
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

        send_msg(&h, 0, 0, req, sizeof(req));
        recv_msg(&h, &m);
        g_assert_cmpuint(m.data[2], ==, 1);
    }
    heci_stop(&h);
}

static void test_amthi(void)
{
    static const uint8_t smbios_uuid[16] = {
        0x00, 0xee, 0xff, 0xc0, 0x34, 0x12, 0x78, 0x56,
        0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78
    };
    Heci h;
    Msg rsp;
    char ver[32];

    heci_start(&h, ",fw-version=16.2.11.4242");
    bring_up(&h);
    hbm_connect(&h, ADDR_AMTHI, 1, 0);
    assert_link(h.qts, "started", 1);

    /* 569 bytes: two fragments, 508 + 61 */
    amthi_request(&h, 1, 0x0400001a, NULL, 0, &rsp);
    g_assert_cmpuint(rsp.len, ==, 569);
    g_assert_cmpuint(ldl_le_p(rsp.data + 12), ==, 0);
    g_assert_cmpstr(code_version(&rsp, "AMT", ver), ==, "16.2.11");
    g_assert_cmpstr(code_version(&rsp, "Build Number", ver), ==, "4242");
    g_assert_cmpstr(code_version(&rsp, "Flash", ver), ==, "16.2.11.4242");
    g_assert_cmpstr(code_version(&rsp, "Sku", ver), ==, "16392");

    amthi_request(&h, 1, 0x04000011, NULL, 0, &rsp);    /* provisioning */
    g_assert_cmpuint(rsp.len, ==, 20);
    g_assert_cmpuint(ldl_le_p(rsp.data + 12), ==, 0);
    g_assert_cmpuint(ldl_le_p(rsp.data + 16), ==, 0);   /* pre-provisioned */

    amthi_request(&h, 1, 0x0400005c, NULL, 0, &rsp);    /* GetUUID */
    g_assert_cmpuint(rsp.len, ==, 32);
    g_assert_cmpmem(rsp.data + 16, 16, smbios_uuid, 16);

    amthi_request(&h, 1, 0x0400006b, NULL, 0, &rsp);    /* control mode */
    g_assert_cmpuint(rsp.len, ==, 20);
    g_assert_cmpuint(ldl_le_p(rsp.data + 16), ==, 0);

    amthi_request(&h, 1, 0x04001234, NULL, 0, &rsp);    /* unknown */
    g_assert_cmpuint(rsp.len, ==, 16);
    g_assert_cmpuint(ldl_le_p(rsp.data + 12), ==, 1);

    /* a length field that does not match the message */
    {
        uint8_t req[12] = { 1, 1, 0, 0, 0x11, 0, 0, 0x04, 8, 0, 0, 0 };
        uint8_t fc[3] = { 0x08, ADDR_AMTHI, 1 };
        Msg m;

        send_msg(&h, ADDR_AMTHI, 1, req, sizeof(req));
        expect_hbm(&h, &m, fc, sizeof(fc));
        host_flow_control(&h, ADDR_AMTHI, 1);
        recv_msg(&h, &m);
        g_assert_cmpuint(ldl_le_p(m.data + 12), ==, 4);
    }
    heci_stop(&h);
}

static void test_mkhi(void)
{
    static const uint8_t get_ver[4] = { 0xff, 0x02, 0, 0 };
    static const uint8_t ver_res[4] = { 0xff, 0x82, 0, 0 };
    static const uint8_t os_ver[17] = { 0x03, 0x06, 0, 0, 0x10 };
    static const uint8_t get_rule[8] = { 0x03, 0x02, 0, 0, 32, 0, 0, 0 };
    Heci h;
    Msg m;

    heci_start(&h, ",fw-version=16.1.25.1234");
    bring_up(&h);

    /* the fixed-address client, as the kernel's bus fix-up uses it */
    send_msg(&h, ADDR_MKHI_FIXED, 0, get_ver, sizeof(get_ver));
    recv_msg(&h, &m);
    g_assert_cmpuint(m.me_addr, ==, ADDR_MKHI_FIXED);
    g_assert_cmpuint(m.host_addr, ==, 0);
    g_assert_cmpuint(m.len, ==, 4 + 24);
    g_assert_cmpmem(m.data, 4, ver_res, 4);
    g_assert_cmpuint(lduw_le_p(m.data + 4), ==, 1);        /* minor */
    g_assert_cmpuint(lduw_le_p(m.data + 6), ==, 16);       /* major */
    g_assert_cmpuint(lduw_le_p(m.data + 8), ==, 1234);     /* build */
    g_assert_cmpuint(lduw_le_p(m.data + 10), ==, 25);      /* hotfix */
    /* the OS version notice wants no answer */
    send_msg(&h, ADDR_MKHI_FIXED, 0, os_ver, sizeof(os_ver));
    g_assert_false(me_has_data(&h));

    /* the dynamic MKHI client: FWCAPS "features enabled" has AMT (bit 2) */
    hbm_connect(&h, ADDR_MKHI, 3, 0);
    host_flow_control(&h, ADDR_MKHI, 3);
    send_msg(&h, ADDR_MKHI, 3, get_rule, sizeof(get_rule));
    recv_msg(&h, &m);
    g_assert_cmpuint(m.me_addr, ==, ADDR_MKHI);
    g_assert_cmpuint(m.len, ==, 13);
    g_assert_cmphex(m.data[1], ==, 0x82);
    g_assert_cmpuint(m.data[3], ==, 0);
    g_assert_cmphex(ldl_le_p(m.data + 9) & 4, ==, 4);
    {
        /* then the credit for the host's next message */
        uint8_t fc[3] = { 0x08, ADDR_MKHI, 3 };

        expect_hbm(&h, &m, fc, sizeof(fc));
    }
    heci_stop(&h);
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
    Heci h;
    Msg m;

    heci_start(&h, "");
    bring_up(&h);

    hbm_connect(&h, 0x42, 1, 1);                /* no such client */
    hbm_connect(&h, ADDR_MKHI_FIXED, 1, 5);     /* fixed: no connect */
    hbm_connect(&h, ADDR_MKHI, 1, 0);
    hbm_connect(&h, ADDR_MKHI, 2, 3);           /* one connection only */
    hbm_connect(&h, ADDR_MKHI, 1, 2);           /* already connected */
    for (int host = 10; host < 14; host++) {
        hbm_connect(&h, ADDR_AMTHI, host, 0);   /* AMTHI allows four */
    }
    hbm_connect(&h, ADDR_AMTHI, 14, 3);
    assert_link(h.qts, "started", 5);

    /* disconnect frees the slot; messages for the old pair are dropped */
    hbm_connect(&h, ADDR_AMTHI, 1, 3);
    {
        uint8_t d[4] = { 0x07, ADDR_AMTHI, 10 };
        uint8_t r[4] = { 0x87, ADDR_AMTHI, 10, 0 };

        send_msg(&h, 0, 0, d, sizeof(d));
        expect_hbm(&h, &m, r, sizeof(r));
    }
    hbm_connect(&h, ADDR_AMTHI, 1, 0);
    send_msg(&h, 0, 0, disc, sizeof(disc));
    expect_hbm(&h, &m, disc_res, sizeof(disc_res));
    send_msg(&h, ADDR_AMTHI, 1, get_ver, sizeof(get_ver));
    host_flow_control(&h, ADDR_AMTHI, 1);
    g_assert_false(me_has_data(&h));

    /* the watchdog as mei_wdt drives it: notify, START answered */
    hbm_connect(&h, ADDR_WD, 5, 0);
    send_msg(&h, 0, 0, notify, sizeof(notify));
    expect_hbm(&h, &m, notify_res, sizeof(notify_res));
    send_msg(&h, 0, 0, notify, sizeof(notify));
    expect_hbm(&h, &m, notify_again, sizeof(notify_again));
    host_flow_control(&h, ADDR_WD, 5);
    send_msg(&h, ADDR_WD, 5, wd_start, sizeof(wd_start));
    recv_msg(&h, &m);
    g_assert_cmpuint(m.me_addr, ==, ADDR_WD);
    g_assert_cmpmem(m.data, m.len, wd_res, sizeof(wd_res));
    {
        uint8_t fc[3] = { 0x08, ADDR_WD, 5 };
        QDict *ev;

        expect_hbm(&h, &m, fc, sizeof(fc));
        /* 120 s of guest time without a keep-alive: AMT reports it */
        qtest_clock_step(h.qts, 119 * NANOSECONDS_PER_SECOND);
        assert_link(h.qts, "started", -1);  /* collects pending events */
        g_assert_null(qtest_qmp_event_ref(h.qts, "VAMT_WATCHDOG"));
        qtest_clock_step(h.qts, 2 * NANOSECONDS_PER_SECOND);
        ev = qtest_qmp_eventwait_ref(h.qts, "VAMT_WATCHDOG");
        g_assert_cmpint(qdict_get_int(qdict_get_qdict(ev, "data"),
                                      "timeout"), ==, 120);
        qobject_unref(ev);
    }

    /* LME opens with its APF protocol version once the host reads */
    hbm_connect(&h, ADDR_LME, 6, 0);
    g_assert_false(me_has_data(&h));
    host_flow_control(&h, ADDR_LME, 6);
    recv_msg(&h, &m);
    g_assert_cmpuint(m.me_addr, ==, ADDR_LME);
    g_assert_cmpuint(m.len, ==, 93);
    g_assert_cmphex(m.data[0], ==, 0xc0);
    heci_stop(&h);
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
    Heci h;
    GRand *rand = g_rand_new_with_seed(0x5a3d);

    heci_start(&h, "");
    bring_up(&h);

    /* reading an empty ME buffer gives 0 and moves nothing */
    g_assert_cmphex(rd(&h, ME_CB_RW), ==, 0);
    g_assert_cmpuint(cb_filled(rd(&h, ME_CSR_HA)), ==, 0);

    for (size_t i = 0; i < G_N_ELEMENTS(bad_headers); i++) {
        wr(&h, H_CB_WW, bad_headers[i]);
        wr(&h, H_CB_WW, 0xdeadbeef);
        ring_doorbell(&h);
        g_assert_false(me_has_data(&h));
    }
    /* overfill the host buffer: the excess is dropped */
    for (int i = 0; i < 300; i++) {
        wr(&h, H_CB_WW, 0xffffffff);
    }
    g_assert_cmpuint(cb_filled(rd(&h, H_CSR)), <=, CB_DEPTH);
    ring_doorbell(&h);

    for (int i = 0; i < 20000; i++) {
        uint32_t off = g_rand_int_range(rand, 0, 0x1000) & ~3;

        if (g_rand_boolean(rand)) {
            off = g_rand_int_range(rand, 0, 4) * 4;
        }
        if (g_rand_boolean(rand)) {
            wr(&h, off, g_rand_int(rand));
        } else {
            rd(&h, off);
        }
    }

    /* the driver's next reset brings everything back */
    bring_up(&h);
    hbm_connect(&h, ADDR_AMTHI, 1, 0);
    {
        Msg rsp;

        amthi_request(&h, 1, 0x04000011, NULL, 0, &rsp);
        g_assert_cmpuint(rsp.len, ==, 20);
    }
    g_rand_free(rand);
    heci_stop(&h);
}

/* A platform reset restarts the host interface; the ME stays sane. */
static void test_system_reset(void)
{
    Heci h;

    heci_start(&h, "");
    bring_up(&h);
    hbm_connect(&h, ADDR_AMTHI, 1, 0);
    assert_link(h.qts, "started", 1);
    qtest_qmp_assert_success(h.qts, "{ 'execute': 'system_reset' }");
    qtest_qmp_eventwait(h.qts, "RESET");
    assert_link(h.qts, "reset", 0);
    /* the reset also cleared the BAR: map it again, as firmware would */
    qpci_device_enable(h.dev);
    h.bar = qpci_iomap(h.dev, 0, NULL);
    g_assert_cmphex(rd(&h, ME_CSR_HA), ==, 0x80000008);
    g_assert_cmphex(rd(&h, H_CSR), ==, 0x80000000);
    heci_stop(&h);
}

static void wait_migration(QTestState *qts)
{
    for (;;) {
        QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-migrate' }");
        QDict *ret = qdict_get_qdict(rsp, "return");
        const char *status = qdict_get_try_str(ret, "status");
        bool done = status && !strcmp(status, "completed");

        g_assert_cmpstr(status, !=, "failed");
        qobject_unref(rsp);
        if (done) {
            return;
        }
        g_usleep(10000);
    }
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
    Heci src, dst;
    Msg m;
    char ver[32];
    uint64_t bar;

    heci_start(&src, ",fw-version=16.1.30.2307");
    bring_up(&src);
    hbm_connect(&src, ADDR_AMTHI, 1, 0);
    send_msg(&src, ADDR_AMTHI, 1, get_ver, sizeof(get_ver));
    expect_hbm(&src, &m, fc, sizeof(fc));
    g_assert_false(me_has_data(&src));

    heci_attach(&dst, qtest_initf("-machine q35 -uuid " QEMU_UUID
                                  " -device vamt,addr=16.0,"
                                  "fw-version=16.1.30.2307 -incoming %s",
                                  uri));
    qtest_qmp_assert_success(src.qts, "{ 'execute': 'migrate',"
                             " 'arguments': { 'uri': %s } }", uri);
    wait_migration(src.qts);
    qtest_qmp_eventwait(dst.qts, "RESUME");

    /* the BAR was programmed on the source: use it as migrated */
    bar = qpci_config_readl(dst.dev, PCI_BASE_ADDRESS_0) & ~0xfull;
    bar |= (uint64_t)qpci_config_readl(dst.dev, PCI_BASE_ADDRESS_1) << 32;
    dst.bar.addr = bar;
    dst.bar.is_io = false;
    assert_link(dst.qts, "started", 1);

    host_flow_control(&dst, ADDR_AMTHI, 1);
    recv_msg(&dst, &m);
    g_assert_cmpuint(m.me_addr, ==, ADDR_AMTHI);
    g_assert_cmpuint(m.len, ==, 569);
    g_assert_cmphex(ldl_le_p(m.data + 4), ==, 0x0480001a);
    g_assert_cmpstr(code_version(&m, "AMT", ver), ==, "16.1.30");

    heci_stop(&src);
    heci_stop(&dst);
    unlink(sock);
    rmdir(tmp);
}

/* ---- the web service on a host socket (listen=) ------------------------ */

#define AMT_PASSWORD    "P@ssw0rd"
#define WSMAN_NS        "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
#define CIM_NS          "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
#define PMS_URI         CIM_NS "CIM_PowerManagementService"

typedef struct Web {
    QTestState *qts;
    int port;
    char *realm;
    char *nonce;
    unsigned nc;
} Web;

static void web_start(Web *w, const char *extra)
{
    QDict *rsp;

    memset(w, 0, sizeof(*w));
    w->qts = qtest_initf("-machine q35 -uuid " QEMU_UUID
                         " -action shutdown=pause"
                         " -object secret,id=amtpw,data=" AMT_PASSWORD
                         " -device vamt,id=amt,addr=16.0,"
                         "listen=127.0.0.1:0,admin-secret=amtpw%s", extra);
    rsp = qtest_qmp(w->qts, "{ 'execute': 'qom-get', 'arguments': "
                    "{ 'path': 'amt', 'property': 'listen-port' } }");
    w->port = qdict_get_int(rsp, "return");
    qobject_unref(rsp);
    g_assert_cmpint(w->port, >, 0);
}

static void web_stop(Web *w)
{
    qtest_quit(w->qts);
    g_free(w->realm);
    g_free(w->nonce);
}

static int web_connect(Web *w)
{
    struct sockaddr_in sa = {
        .sin_family = AF_INET,
        .sin_port = htons(w->port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    struct timeval tv = { .tv_sec = 10 };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static void send_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

        g_assert_cmpint(n, >, 0);
        data += n;
        len -= n;
    }
}

/*
 * Read one response: the head, then a Content-Length or chunked body.
 * Returns the head and the (de-chunked) body in *@body.
 */
static char *read_response(int fd, char **body)
{
    GString *in = g_string_new(NULL);
    GString *out = g_string_new(NULL);
    char buf[4096];
    const char *end, *cl;
    size_t pos;

    while (!(end = strstr(in->str, "\r\n\r\n"))) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);

        g_assert_cmpint(n, >, 0);
        g_string_append_len(in, buf, n);
    }
    pos = end - in->str + 4;
    cl = g_strstr_len(in->str, pos, "Content-Length: ");
    for (;;) {
        size_t want;

        if (cl) {
            want = pos + g_ascii_strtoull(cl + 16, NULL, 10);
        } else {
            /* chunked: size line, data, CRLF ... until the 0 chunk */
            const char *line = in->str + pos;
            const char *eol = strstr(line, "\r\n");
            size_t size;

            if (eol) {
                size = g_ascii_strtoull(line, NULL, 16);
                want = eol - in->str + 2 + size + 2;
                if (size == 0 && in->len >= want) {
                    break;
                }
                if (in->len >= want) {
                    g_string_append_len(out, eol + 2, size);
                    pos = want;
                    continue;
                }
            } else {
                want = in->len + 1;
            }
        }
        if (cl && in->len >= want) {
            g_string_append_len(out, in->str + pos, want - pos);
            break;
        }
        {
            ssize_t n = recv(fd, buf, sizeof(buf), 0);

            g_assert_cmpint(n, >, 0);
            g_string_append_len(in, buf, n);
        }
    }
    *body = g_string_free(out, false);
    g_string_truncate(in, end - in->str + 2);
    return g_string_free(in, false);
}

static char *md5_hex(const char *str)
{
    return g_compute_checksum_for_string(G_CHECKSUM_MD5, str, -1);
}

/* Value of @key="..." in a WWW-Authenticate header */
static char *auth_param(const char *head, const char *key)
{
    g_autofree char *pat = g_strdup_printf("%s=\"", key);
    const char *p = strstr(head, pat);
    const char *e;

    g_assert_nonnull(p);
    p += strlen(pat);
    e = strchr(p, '"');
    return g_strndup(p, e - p);
}

/*
 * POST @body to /wsman on *@fd as admin, answering a Digest challenge;
 * the challenge closes the connection, so *@fd is the new one after it.
 */
static char *wsman_post(Web *w, int *fd, const char *body, char **rsp_body)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        g_autofree char *auth = NULL;
        g_autofree char *req = NULL;
        char *head;

        if (w->nonce) {
            g_autofree char *ha1 = NULL, *ha2 = NULL, *resp = NULL;
            g_autofree char *a1 = g_strdup_printf("admin:%s:" AMT_PASSWORD,
                                                  w->realm);
            g_autofree char *r = NULL;

            ha1 = md5_hex(a1);
            ha2 = md5_hex("POST:/wsman");
            r = g_strdup_printf("%s:%s:%08x:c0ffee:auth:%s", ha1, w->nonce,
                                ++w->nc, ha2);
            resp = md5_hex(r);
            auth = g_strdup_printf("Authorization: Digest username=\"admin\", "
                                   "realm=\"%s\", nonce=\"%s\", "
                                   "uri=\"/wsman\", qop=auth, nc=%08x, "
                                   "cnonce=\"c0ffee\", response=\"%s\"\r\n",
                                   w->realm, w->nonce, w->nc, resp);
        }
        req = g_strdup_printf("POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Content-Type: application/soap+xml;"
                              "charset=UTF-8\r\n%sContent-Length: %zu\r\n\r\n"
                              "%s", auth ? auth : "", strlen(body), body);
        send_all(*fd, req, strlen(req));
        head = read_response(*fd, rsp_body);
        if (!g_str_has_prefix(head, "HTTP/1.1 401")) {
            return head;
        }
        /* a 401 closes the connection, as on AMT */
        g_assert_cmpint(attempt, ==, 0);
        g_free(w->realm);
        g_free(w->nonce);
        w->realm = auth_param(head, "realm");
        w->nonce = auth_param(head, "nonce");
        w->nc = 0;
        g_free(head);
        g_free(*rsp_body);
        close(*fd);
        *fd = web_connect(w);
    }
    g_assert_not_reached();
}

static char *wsman_envelope(const char *action, const char *uri,
                            const char *body)
{
    return g_strdup_printf(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
        "<Envelope xmlns=\"http://www.w3.org/2003/05/soap-envelope\" "
        "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
        "xmlns:w=\"" WSMAN_NS "\"><Header>"
        "<a:Action>%s</a:Action><a:To>/wsman</a:To>"
        "<w:ResourceURI>%s</w:ResourceURI><a:MessageID>7</a:MessageID>"
        "<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/"
        "addressing/role/anonymous</a:Address></a:ReplyTo>"
        "<w:OperationTimeout>PT60S</w:OperationTimeout></Header>"
        "<Body>%s</Body></Envelope>", action, uri, body);
}

static char *power_request_body(int state)
{
    return g_strdup_printf(
        "<h:RequestPowerStateChange_INPUT xmlns:h=\"" PMS_URI "\">"
        "<h:PowerState>%d</h:PowerState><h:ManagedElement>"
        "<Address xmlns=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">"
        "http://schemas.xmlsoap.org/ws/2004/08/addressing</Address>"
        "<ReferenceParameters xmlns=\"http://schemas.xmlsoap.org/ws/2004/08/"
        "addressing\"><ResourceURI xmlns=\"" WSMAN_NS "\">" CIM_NS
        "CIM_ComputerSystem</ResourceURI><SelectorSet xmlns=\"" WSMAN_NS
        "\"><Selector Name=\"CreationClassName\">CIM_ComputerSystem"
        "</Selector><Selector Name=\"Name\">ManagedSystem</Selector>"
        "</SelectorSet></ReferenceParameters></h:ManagedElement>"
        "</h:RequestPowerStateChange_INPUT>", state);
}

/* POST one WS-Man envelope as admin on a connection of its own; 200 */
static char *wsman_call(Web *w, const char *envelope)
{
    g_autofree char *head = NULL;
    char *body;
    int fd = web_connect(w);

    head = wsman_post(w, &fd, envelope, &body);
    g_assert_true(g_str_has_prefix(head, "HTTP/1.1 200"));
    close(fd);
    return body;
}

/* The text of the first <...:@name> element in @body */
static char *element_text(const char *body, const char *name)
{
    g_autofree char *open = g_strdup_printf(":%s>", name);
    const char *p = strstr(body, open);

    g_assert_nonnull(p);
    p += strlen(open);
    return g_strndup(p, strchr(p, '<') - p);
}

/* RequestPowerStateChange(@state) as admin: its ReturnValue */
static int request_power(Web *w, int state)
{
    g_autofree char *input = power_request_body(state);
    g_autofree char *env = wsman_envelope(PMS_URI "/RequestPowerStateChange",
                                          PMS_URI, input);
    g_autofree char *body = wsman_call(w, env);
    g_autofree char *ret = element_text(body, "ReturnValue");

    return atoi(ret);
}

static const char *vm_status(Web *w)
{
    static char status[32];
    QDict *rsp = qtest_qmp(w->qts, "{ 'execute': 'query-status' }");

    g_strlcpy(status, qdict_get_str(qdict_get_qdict(rsp, "return"),
                                    "status"), sizeof(status));
    qobject_unref(rsp);
    return status;
}

static void wait_status(Web *w, const char *want)
{
    for (int i = 0; i < 5000 && strcmp(vm_status(w), want); i++) {
        g_usleep(1000);
    }
    g_assert_cmpstr(vm_status(w), ==, want);
}

/* Identify needs no password; everything else gets the Digest challenge */
static void test_web_identify(void)
{
    static const char identify[] =
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
        "xmlns:i=\"http://schemas.dmtf.org/wbem/wsman/identity/1/"
        "wsmanidentity.xsd\"><s:Header/><s:Body><i:Identify/></s:Body>"
        "</s:Envelope>";
    g_autofree char *req = g_strdup_printf(
        "POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n%s",
        strlen(identify), identify);
    g_autofree char *get = wsman_envelope(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
        CIM_NS "CIM_SoftwareIdentity", "");
    g_autofree char *get_req = g_strdup_printf(
        "POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n%s",
        strlen(get), get);
    g_autofree char *head = NULL, *body = NULL;
    Web w;
    int fd;

    web_start(&w, ",fw-version=16.1.27.2225");
    fd = web_connect(&w);
    send_all(fd, req, strlen(req));
    head = read_response(fd, &body);
    g_assert_true(g_str_has_prefix(head, "HTTP/1.1 200"));
    g_assert_nonnull(strstr(head, "Server: Intel(R) Active Management "
                            "Technology 16.1.27.2225"));
    g_assert_nonnull(strstr(body, "IdentifyResponse"));
    g_assert_nonnull(strstr(body, "AMT 16.1"));
    g_free(head);
    g_free(body);

    /* same keep-alive connection: an unauthenticated Get */
    send_all(fd, get_req, strlen(get_req));
    head = read_response(fd, &body);
    g_assert_true(g_str_has_prefix(head, "HTTP/1.1 401"));
    g_assert_nonnull(strstr(head, "WWW-Authenticate: Digest realm=\"Digest:"));
    g_assert_nonnull(strstr(head, "qop=\"auth\""));
    close(fd);
    web_stop(&w);
}

/* RequestPowerStateChange really powers the VM off and on, and resets it */
static void test_web_power(void)
{
    QDict *ev;
    Web w;

    web_start(&w, "");
    g_assert_cmpstr(vm_status(&w), ==, "running");

    g_assert_cmpint(request_power(&w, 8), ==, 0);
    ev = qtest_qmp_eventwait_ref(w.qts, "SHUTDOWN");
    g_assert_false(qdict_get_bool(qdict_get_qdict(ev, "data"), "guest"));
    qobject_unref(ev);
    wait_status(&w, "shutdown");

    /* the ME answers while the host is off; off again is refused */
    g_assert_cmpint(request_power(&w, 8), !=, 0);

    g_assert_cmpint(request_power(&w, 2), ==, 0);
    wait_status(&w, "running");

    g_assert_cmpint(request_power(&w, 10), ==, 0);
    ev = qtest_qmp_eventwait_ref(w.qts, "RESET");
    g_assert_false(qdict_get_bool(qdict_get_qdict(ev, "data"), "guest"));
    qobject_unref(ev);
    g_assert_cmpstr(vm_status(&w), ==, "running");
    web_stop(&w);
}

/*
 * power-off-mode=stop (libvirt): off pauses the VM without a SHUTDOWN
 * event, the ME counts it as off, and on boots it afresh.
 */
static void test_web_power_stop_mode(void)
{
    QDict *ev;
    Web w;

    web_start(&w, ",power-off-mode=stop");
    g_assert_cmpint(request_power(&w, 8), ==, 0);
    ev = qtest_qmp_eventwait_ref(w.qts, "STOP");
    qobject_unref(ev);
    g_assert_cmpstr(vm_status(&w), ==, "paused");
    g_assert_null(qtest_qmp_event_ref(w.qts, "SHUTDOWN"));

    /* off, as far as the ME is concerned: a second off is refused */
    g_assert_cmpint(request_power(&w, 8), !=, 0);

    g_assert_cmpint(request_power(&w, 2), ==, 0);
    ev = qtest_qmp_eventwait_ref(w.qts, "RESET");
    qobject_unref(ev);
    wait_status(&w, "running");
    web_stop(&w);
}

/* Garbage, floods and abandoned connections cost QEMU nothing lasting */
static void test_web_hostile(void)
{
    g_autofree char *head = NULL, *body = NULL;
    g_autofree char *junk = g_malloc(64 * 1024);
    int idle[40];
    Web w;
    int fd;

    web_start(&w, "");
    for (size_t i = 0; i < 64 * 1024; i++) {
        junk[i] = g_test_rand_int_range(1, 256);
    }
    fd = web_connect(&w);
    send(fd, junk, 64 * 1024, MSG_NOSIGNAL);
    head = read_response(fd, &body);
    g_assert_true(g_str_has_prefix(head, "HTTP/1.1 4"));
    close(fd);

    /* a head that never ends */
    fd = web_connect(&w);
    send_all(fd, "POST /wsman HTTP/1.1\r\n", 22);
    for (int i = 0; i < 200; i++) {
        send(fd, "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
             56, MSG_NOSIGNAL);
    }
    g_free(head);
    g_free(body);
    head = read_response(fd, &body);
    g_assert_true(g_str_has_prefix(head, "HTTP/1.1 431"));
    close(fd);

    /* idle half-open requests do not block the others */
    for (int i = 0; i < G_N_ELEMENTS(idle); i++) {
        idle[i] = web_connect(&w);
        send_all(idle[i], "POST /wsman HTTP/1.1\r\nContent-Le", 32);
    }
    fd = web_connect(&w);
    send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
    g_free(head);
    g_free(body);
    head = read_response(fd, &body);
    g_assert_true(g_str_has_prefix(head, "HTTP/1.1 303"));
    close(fd);
    for (int i = 0; i < G_N_ELEMENTS(idle); i++) {
        close(idle[i]);
    }
    g_assert_cmpstr(vm_status(&w), ==, "running");
    web_stop(&w);
}

/* listen= without a password, or with a bad one, is refused clearly */
static void test_web_bad_config(void)
{
    expect_startup_error("-device vamt,listen=127.0.0.1:0",
                         "needs admin-secret");
    expect_startup_error("-device vamt,listen=127.0.0.1:0,admin-secret=nope",
                         "No secret with id 'nope'");
    expect_startup_error("-object secret,id=s,data=short "
                         "-device vamt,listen=127.0.0.1:0,admin-secret=s",
                         "8 to 32 characters");
    expect_startup_error("-device vamt,power-off-mode=off",
                         "power-off-mode must be 'shutdown' or 'stop'");
    expect_startup_error("-object secret,id=s,data=P@ssw0rd "
                         "-device vamt,listen=nonsense,admin-secret=s",
                         "error parsing address 'nonsense'");
}

/* ---- NVRAM: the ME state across QEMU restarts (nvram=) ----------------- */

#define AMT_GS_URI      "http://intel.com/wbem/wscim/1/amt-schema/1/" \
                        "AMT_GeneralSettings"
/* The on-disk layout (hw/vamt/me/nvram.h), as a tool would read it */
#define NV_HEADER_SIZE  4096
#define NV_SLOT_HEADER  16

static void nvram_start(Web *w, const char *path)
{
    g_autofree char *extra = g_strdup_printf(",nvram=%s", path);

    web_start(w, extra);
}


static char *general_setting(Web *w, const char *name)
{
    g_autofree char *env = wsman_envelope(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", AMT_GS_URI, "");
    g_autofree char *body = wsman_call(w, env);

    return element_text(body, name);
}

static void put_hostname(Web *w, const char *hostname)
{
    g_autofree char *put = g_strdup_printf(
        "<h:AMT_GeneralSettings xmlns:h=\"" AMT_GS_URI "\">"
        "<h:HostName>%s</h:HostName></h:AMT_GeneralSettings>", hostname);
    g_autofree char *env = wsman_envelope(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put", AMT_GS_URI,
        put);
    g_autofree char *body = wsman_call(w, env);
    g_autofree char *got = element_text(body, "HostName");

    g_assert_cmpstr(got, ==, hostname);
}

static bool file_contains(const char *path, const char *text)
{
    g_autofree char *data = NULL;
    gsize len;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    return memmem(data, len, text, strlen(text)) != NULL;
}

/* Start and quit QEMU with @path as its NVRAM; its stderr */
static char *nvram_run(const char *path)
{
    g_autofree char *cmd = g_strdup_printf(
        "sh -c \"printf '%%s\\n' '{\\\"execute\\\": \\\"qmp_capabilities\\\"}'"
        " '{\\\"execute\\\": \\\"quit\\\"}' | %s -machine q35 -accel qtest "
        "-nodefaults -display none -qmp stdio -device vamt,nvram=%s\"",
        g_getenv("QTEST_QEMU_BINARY"), path);
    g_autofree char *out = NULL;
    char *err = NULL;
    int status;

    g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        g_test_message("stderr: %s", err);
    }
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    return err;
}

static char *nvram_tmpfile(void)
{
    char *path = NULL;
    int fd = g_file_open_tmp("vamt-nvram-XXXXXX", &path, NULL);

    g_assert_cmpint(fd, >=, 0);
    close(fd);
    return path;
}

static uint32_t nv_le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t nv_le64(const uint8_t *p)
{
    return nv_le32(p) | (uint64_t)nv_le32(p + 4) << 32;
}

/* A console's settings survive a restart: written by the timer, or at exit */
static void test_nvram_persists(void)
{
    g_autofree char *path = nvram_tmpfile();
    g_autofree char *realm = NULL, *host = NULL, *again = NULL;
    Web w;

    nvram_start(&w, path);
    realm = general_setting(&w, "DigestRealm");
    host = general_setting(&w, "HostName");
    g_assert_cmpstr(host, ==, "vamt");
    put_hostname(&w, "saved-by-timer");
    /* on disk within a second or so, with QEMU still running */
    for (int i = 0; i < 200 && !file_contains(path, "saved-by-timer"); i++) {
        g_usleep(50 * 1000);
    }
    g_assert_true(file_contains(path, "saved-by-timer"));
    /* a change right before the end is written as QEMU exits */
    put_hostname(&w, "saved-at-exit");
    web_stop(&w);
    g_assert_true(file_contains(path, "saved-at-exit"));

    nvram_start(&w, path);
    g_free(host);
    host = general_setting(&w, "HostName");
    g_assert_cmpstr(host, ==, "saved-at-exit");
    /* the realm too, which the stored password hashes depend on */
    again = general_setting(&w, "DigestRealm");
    g_assert_cmpstr(again, ==, realm);
    web_stop(&w);
    unlink(path);
}

/*
 * Migration hands the NVRAM file to the destination: the source, which
 * keeps serving consoles, writes nothing more to it, not even at exit.
 */
static void test_nvram_migration(void)
{
    g_autofree char *path = nvram_tmpfile();
    g_autofree char *tmp = g_dir_make_tmp("vamt-test-XXXXXX", NULL);
    g_autofree char *sock = g_strdup_printf("%s/migrate", tmp);
    g_autofree char *uri = g_strdup_printf("unix:%s", sock);
    g_autofree char *dst_args = g_strdup_printf(",nvram=%s -incoming %s",
                                                path, uri);
    g_autofree char *host = NULL;
    Web src, dst;

    nvram_start(&src, path);
    put_hostname(&src, "before-migration");
    web_start(&dst, dst_args);
    qtest_qmp_assert_success(src.qts, "{ 'execute': 'migrate',"
                             " 'arguments': { 'uri': %s } }", uri);
    wait_migration(src.qts);
    qtest_qmp_eventwait(dst.qts, "RESUME");

    host = general_setting(&dst, "HostName");
    g_assert_cmpstr(host, ==, "before-migration");
    put_hostname(&dst, "destination-owns-it");
    for (int i = 0; i < 200 && !file_contains(path, "destination-owns-it");
         i++) {
        g_usleep(50 * 1000);
    }
    g_assert_true(file_contains(path, "destination-owns-it"));

    put_hostname(&src, "source-after-migration");
    g_usleep(2500 * 1000);      /* past the source's write debounce */
    g_assert_false(file_contains(path, "source-after-migration"));
    web_stop(&src);
    g_assert_false(file_contains(path, "source-after-migration"));
    web_stop(&dst);
    g_assert_true(file_contains(path, "destination-owns-it"));
    unlink(sock);
    rmdir(tmp);
    unlink(path);
}

/* The newest slot torn: QEMU warns and uses the generation before it */
static void test_nvram_torn(void)
{
    g_autofree char *path = nvram_tmpfile();
    g_autofree char *data = NULL, *err = NULL, *host = NULL;
    uint32_t slot_size;
    uint64_t gen[2];
    size_t newest_at;
    gsize len;
    Web w;

    nvram_start(&w, path);
    put_hostname(&w, "older-host");
    web_stop(&w);
    nvram_start(&w, path);
    put_hostname(&w, "newer-host");
    web_stop(&w);

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    slot_size = nv_le32((uint8_t *)data + 12);
    g_assert_cmpuint(len, >, NV_HEADER_SIZE + slot_size + NV_SLOT_HEADER);
    for (int i = 0; i < 2; i++) {
        gen[i] = nv_le64((uint8_t *)data + NV_HEADER_SIZE + i * slot_size);
    }
    newest_at = NV_HEADER_SIZE + (gen[1] > gen[0] ? slot_size : 0);
    g_assert_nonnull(memmem(data + newest_at, len - newest_at, "newer-host",
                            strlen("newer-host")));
    /* a write that stopped half-way: the rest of the slot is zeros */
    memset(data + newest_at + NV_SLOT_HEADER + 20, 0,
           MIN(len - newest_at, slot_size) - NV_SLOT_HEADER - 20);
    g_assert_true(g_file_set_contents(path, data, len, NULL));

    err = nvram_run(path);
    g_assert_nonnull(strstr(err, "CRC mismatch; using the state of "
                            "generation"));
    nvram_start(&w, path);
    host = general_setting(&w, "HostName");
    g_assert_cmpstr(host, ==, "older-host");
    web_stop(&w);
    unlink(path);
}

/* A file that is no NVRAM: defaults and a warning, then it becomes one */
static void test_nvram_garbage(void)
{
    g_autofree char *path = nvram_tmpfile();
    g_autofree char *junk = g_malloc(20000);
    g_autofree char *err = NULL, *host = NULL;
    Web w;

    for (size_t i = 0; i < 20000; i++) {
        junk[i] = g_test_rand_int_range(0, 256);
    }
    g_assert_true(g_file_set_contents(path, junk, 20000, NULL));
    err = nvram_run(path);
    g_assert_nonnull(strstr(err, "no valid slot"));
    g_assert_nonnull(strstr(err, "starting with factory defaults"));

    nvram_start(&w, path);
    host = general_setting(&w, "HostName");
    g_assert_cmpstr(host, ==, "vamt");
    put_hostname(&w, "after-garbage");
    web_stop(&w);
    nvram_start(&w, path);
    g_free(host);
    host = general_setting(&w, "HostName");
    g_assert_cmpstr(host, ==, "after-garbage");
    web_stop(&w);
    unlink(path);
}

static uint32_t nv_crc32(const uint8_t *p, size_t len)
{
    uint32_t crc = ~0u;

    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) {
            crc = (crc & 1) ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
        }
    }
    return ~crc;
}

/* A file of a newer format is refused and left as it is */
static void test_nvram_newer_format(void)
{
    g_autofree char *path = nvram_tmpfile();
    g_autofree char *data = NULL, *after = NULL, *err = NULL;
    g_autofree char *args = NULL;
    gsize len, after_len;
    uint32_t crc;

    err = nvram_run(path);
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpuint(len, >, NV_HEADER_SIZE);
    g_assert_cmpmem(data, 8, "vAMTnvrm", 8);
    data[8] = 2;
    crc = nv_crc32((uint8_t *)data, 16);
    for (int i = 0; i < 4; i++) {
        data[16 + i] = crc >> (8 * i);
    }
    g_assert_true(g_file_set_contents(path, data, len, NULL));

    args = g_strdup_printf("-device vamt,nvram=%s", path);
    expect_startup_error(args, "has format version 2; this QEMU reads "
                         "version 1");
    g_assert_true(g_file_get_contents(path, &after, &after_len, NULL));
    g_assert_cmpmem(after, after_len, data, len);
    unlink(path);
}

/* An NVRAM that cannot be opened stops QEMU, saying which file */
static void test_nvram_bad_path(void)
{
    expect_startup_error("-device vamt,nvram=/nonexistent/vamt-nvram",
                         "Could not create '/nonexistent/vamt-nvram'");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vamt/pci-identity", test_pci_identity);
    qtest_add_func("/vamt/bad-properties", test_bad_properties);
    qtest_add_func("/vamt/reset-handshake", test_reset_handshake);
    qtest_add_func("/vamt/hbm-enumeration", test_hbm_enumeration);
    qtest_add_func("/vamt/amthi", test_amthi);
    qtest_add_func("/vamt/mkhi", test_mkhi);
    qtest_add_func("/vamt/connections", test_connections);
    qtest_add_func("/vamt/garbage", test_garbage);
    qtest_add_func("/vamt/system-reset", test_system_reset);
    qtest_add_func("/vamt/migration", test_migration);
    qtest_add_func("/vamt/web/identify", test_web_identify);
    qtest_add_func("/vamt/web/power", test_web_power);
    qtest_add_func("/vamt/web/power-stop-mode", test_web_power_stop_mode);
    qtest_add_func("/vamt/web/hostile", test_web_hostile);
    qtest_add_func("/vamt/web/bad-config", test_web_bad_config);
    qtest_add_func("/vamt/web/nvram-persists", test_nvram_persists);
    qtest_add_func("/vamt/web/nvram-torn", test_nvram_torn);
    qtest_add_func("/vamt/web/nvram-garbage", test_nvram_garbage);
    qtest_add_func("/vamt/web/nvram-migration", test_nvram_migration);
    qtest_add_func("/vamt/nvram-newer-format", test_nvram_newer_format);
    qtest_add_func("/vamt/nvram-bad-path", test_nvram_bad_path);
    return g_test_run();
}
