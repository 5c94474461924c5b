/*
 * Helpers for the vAMT qtests (see vamt.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "../libqtest.h"
#include "pci-pc.h"
#include "vamt.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qemu/sockets.h"
#include "../../common/vamt-digest-client.h"

/* ---- the device and its BAR0 -------------------------------------------- */

uint32_t vamt_heci_read(VamtHeci *h, uint32_t reg)
{
    return qpci_io_readl(h->dev, h->bar, reg);
}

void vamt_heci_write(VamtHeci *h, uint32_t reg, uint32_t val)
{
    qpci_io_writel(h->dev, h->bar, reg, val);
}

uint8_t vamt_cb_filled(uint32_t csr)
{
    return (uint8_t)(((csr >> 16) & 0xff) - ((csr >> 8) & 0xff));
}

/* Wait until @reg & @mask == @want (the ME works from a bottom half). */
uint32_t vamt_heci_poll(VamtHeci *h, uint32_t reg, uint32_t mask,
                        uint32_t want)
{
    uint32_t v = 0;

    for (int i = 0; i < 5000; i++) {
        v = vamt_heci_read(h, reg);
        if ((v & mask) == want) {
            return v;
        }
        g_usleep(1000);
    }
    g_assert_cmphex(v & mask, ==, want);
    return v;
}

void vamt_heci_attach(VamtHeci *h, QTestState *qts)
{
    h->qts = qts;
    h->pcibus = qpci_new_pc(qts, NULL);
    h->dev = qpci_device_find(h->pcibus, QPCI_DEVFN(0x16, 0));
    g_assert_nonnull(h->dev);
}

void vamt_heci_start(VamtHeci *h, const char *extra)
{
    vamt_heci_attach(h, qtest_initf("-machine q35 -uuid " VAMT_QEMU_UUID
                               " -device vamt,addr=16.0%s", extra));
    qpci_device_enable(h->dev);
    h->bar = qpci_iomap(h->dev, 0, NULL);
}

void vamt_heci_stop(VamtHeci *h)
{
    g_free(h->dev);
    qpci_free_pc(h->pcibus);
    qtest_quit(h->qts);
}

/* ---- the MEI host side, as mei_me does it -------------------------------- */

/* The driver's write of H_CSR: keep IE/RDY, never clear IS by accident */
void vamt_heci_doorbell(VamtHeci *h)
{
    vamt_heci_write(h, H_CSR, (vamt_heci_read(h, H_CSR) & ~CSR_IS) | CSR_IG);
}

/* mei_me_hw_reset + mei_me_hw_start */
void vamt_heci_link_reset(VamtHeci *h)
{
    uint32_t csr = vamt_heci_read(h, H_CSR);

    if (csr & CSR_RST) {
        /* mei_me_hw_reset: "H_RST is set", clear it first */
        vamt_heci_write(h, H_CSR, csr & ~(CSR_RST | CSR_IS));
    }
    vamt_heci_write(h, H_CSR, CSR_IE | CSR_RST | CSR_IG | CSR_IS);
    csr = vamt_heci_read(h, H_CSR);
    g_assert_cmphex(csr & (CSR_RST | CSR_RDY), ==, CSR_RST);
    /* the ME comes back ready and interrupts while H_RST is still set */
    vamt_heci_poll(h, H_CSR, CSR_IS, CSR_IS);
    g_assert_cmphex(vamt_heci_read(h, ME_CSR_HA) & CSR_RDY, ==, CSR_RDY);
    vamt_heci_write(h, H_CSR, CSR_IS | CSR_IE);          /* ack */
    vamt_heci_write(h, H_CSR, CSR_IE | CSR_IG);          /* release reset */
    vamt_heci_write(h, H_CSR, CSR_IE | CSR_IG | CSR_RDY);
    g_assert_cmphex(vamt_heci_read(h, H_CSR) & 0xff, ==, CSR_IE | CSR_RDY);
}

static void send_fragment(VamtHeci *h, uint8_t me, uint8_t host,
                          const uint8_t *data, size_t len, bool complete)
{
    uint32_t hdr = me | (host << 8) | ((uint32_t)len << 16) |
                   (complete ? HDR_COMPLETE : 0);

    g_assert_cmpuint(len, <=, (CB_DEPTH - 1) * 4);
    /* like mei_hbuf_acquire: write only into an empty host buffer */
    for (int i = 0; i < 5000 && vamt_cb_filled(vamt_heci_read(h, H_CSR)); i++) {
        g_usleep(1000);
    }
    g_assert_cmpuint(vamt_cb_filled(vamt_heci_read(h, H_CSR)), ==, 0);
    vamt_heci_write(h, H_CB_WW, hdr);
    for (size_t i = 0; i < len; i += 4) {
        uint8_t dw[4] = { 0 };

        memcpy(dw, data + i, MIN(4, len - i));
        vamt_heci_write(h, H_CB_WW, ldl_le_p(dw));
    }
    vamt_heci_doorbell(h);
}

void vamt_heci_send(VamtHeci *h, uint8_t me, uint8_t host, const void *data,
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
bool vamt_heci_has_data(VamtHeci *h)
{
    vamt_heci_doorbell(h);
    return vamt_cb_filled(vamt_heci_read(h, ME_CSR_HA)) != 0;
}

/* Read one fragment (mei_me_read_slots) and ring, as the driver does */
static uint32_t recv_fragment(VamtHeci *h, uint8_t *buf, size_t *len)
{
    uint32_t hdr, slots;

    for (int i = 0; i < 5000 && !vamt_cb_filled(vamt_heci_read(h, ME_CSR_HA));
         i++) {
        g_usleep(1000);
    }
    g_assert_cmpuint(vamt_cb_filled(vamt_heci_read(h, ME_CSR_HA)), >, 0);
    hdr = vamt_heci_read(h, ME_CB_RW);
    g_assert_cmphex(hdr & 0x0e000000, ==, 0);    /* reserved bits */
    *len = (hdr >> 16) & 0x1ff;
    slots = (*len + 3) / 4;
    /* a fragment is published whole */
    g_assert_cmpuint(vamt_cb_filled(vamt_heci_read(h, ME_CSR_HA)), >=, slots);
    for (uint32_t i = 0; i < slots; i++) {
        uint32_t dw = vamt_heci_read(h, ME_CB_RW);
        uint8_t b[4];

        stl_le_p(b, dw);
        memcpy(buf + 4 * i, b, MIN(4, *len - 4 * i));
    }
    /* ack IS + doorbell */
    vamt_heci_write(h, H_CSR, vamt_heci_read(h, H_CSR) | CSR_IG);
    return hdr;
}

void vamt_heci_recv(VamtHeci *h, VamtMsg *m)
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
void vamt_heci_expect_hbm(VamtHeci *h, VamtMsg *m, const uint8_t *head,
                          size_t n)
{
    vamt_heci_recv(h, m);
    g_assert_cmpuint(m->me_addr, ==, 0);
    g_assert_cmpuint(m->host_addr, ==, 0);
    g_assert_cmpuint(m->len, >=, n);
    g_assert_cmpmem(m->data, n, head, n);
}

void vamt_hbm_start(VamtHeci *h)
{
    static const uint8_t start[4] = { 0x01, 0, 2, 2 };
    static const uint8_t res[4] = { 0x81, 1, 2, 2 };
    VamtMsg m;

    vamt_heci_send(h, 0, 0, start, sizeof(start));
    vamt_heci_expect_hbm(h, &m, res, sizeof(res));
    g_assert_cmpuint(m.len, ==, 4);
}

void vamt_hbm_connect(VamtHeci *h, uint8_t me, uint8_t host,
                      uint8_t status)
{
    uint8_t req[4] = { 0x06, me, host, 0 };
    uint8_t res[4] = { 0x86, me, host, status };
    uint8_t fc[3] = { 0x08, me, host };
    VamtMsg m;

    vamt_heci_send(h, 0, 0, req, sizeof(req));
    vamt_heci_expect_hbm(h, &m, res, sizeof(res));
    if (status == 0) {
        /* the ME grants the host one message right away */
        vamt_heci_expect_hbm(h, &m, fc, sizeof(fc));
        g_assert_cmpuint(m.len, ==, 8);
    }
}

void vamt_heci_flow_control(VamtHeci *h, uint8_t me, uint8_t host)
{
    uint8_t fc[8] = { 0x08, me, host };

    vamt_heci_send(h, 0, 0, fc, sizeof(fc));
}

void vamt_heci_bring_up(VamtHeci *h)
{
    vamt_heci_link_reset(h);
    vamt_hbm_start(h);
}

void vamt_amthi_request(VamtHeci *h, uint8_t host, uint32_t cmd,
                        const uint8_t *data, size_t len, VamtMsg *rsp)
{
    uint8_t req[64] = { 1, 1, 0, 0 };
    uint8_t fc[3] = { 0x08, ADDR_AMTHI, host };
    VamtMsg m;

    g_assert_cmpuint(len, <=, sizeof(req) - 12);
    stl_le_p(req + 4, cmd);
    stl_le_p(req + 8, len);
    memcpy(req + 12, data, len);
    vamt_heci_send(h, ADDR_AMTHI, host, req, 12 + len);
    /* consumed: the ME grants the next message */
    vamt_heci_expect_hbm(h, &m, fc, sizeof(fc));
    /* the reply waits for the host's read credit */
    g_assert_false(vamt_heci_has_data(h));
    vamt_heci_flow_control(h, ADDR_AMTHI, host);
    vamt_heci_recv(h, rsp);
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

/* ---- QEMU ---------------------------------------------------------------- */

QDict *vamt_query(QTestState *qts)
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

void vamt_assert_link(QTestState *qts, const char *link, int connections)
{
    QDict *info = vamt_query(qts);

    g_assert_cmpstr(qdict_get_str(info, "link"), ==, link);
    if (connections >= 0) {
        g_assert_cmpint(qdict_get_int(info, "connections"), ==, connections);
    }
    qobject_unref(info);
}

/* QEMU refuses to start, exits 1 and says why */
void vamt_expect_startup_error(const char *args, const char *msg)
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

void vamt_wait_migration(QTestState *qts)
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

/* ---- the web service on a host socket (listen=) -------------------------- */

void vamt_web_start(VamtWeb *w, const char *extra)
{
    QDict *rsp;

    memset(w, 0, sizeof(*w));
    w->qts = qtest_initf("-machine q35 -uuid " VAMT_QEMU_UUID
                         " -action shutdown=pause"
                         " -object secret,id=amtpw,data=" VAMT_AMT_PASSWORD
                         " -device vamt,id=amt,addr=16.0,"
                         "listen=127.0.0.1:0,admin-secret=amtpw%s", extra);
    rsp = qtest_qmp(w->qts, "{ 'execute': 'qom-get', 'arguments': "
                    "{ 'path': 'amt', 'property': 'listen-port' } }");
    w->port = qdict_get_int(rsp, "return");
    qobject_unref(rsp);
    g_assert_cmpint(w->port, >, 0);
}

void vamt_web_stop(VamtWeb *w)
{
    qtest_quit(w->qts);
    g_free(w->realm);
    g_free(w->nonce);
}

int vamt_web_connect_from(VamtWeb *w, uint8_t peer)
{
    struct sockaddr_in sa = {
        .sin_family = AF_INET,
        .sin_port = htons(w->port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    struct sockaddr_in from = {
        .sin_family = AF_INET,
        .sin_addr.s_addr = htonl((INADDR_LOOPBACK & ~0xffu) | peer),
    };
    struct timeval tv = { .tv_sec = 10 };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    g_assert_cmpint(fd, >=, 0);
    if (peer != 1) {
        g_assert_cmpint(bind(fd, (struct sockaddr *)&from, sizeof(from)),
                        ==, 0);
    }
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

int vamt_web_connect(VamtWeb *w)
{
    return vamt_web_connect_from(w, 1);
}

void vamt_web_send_all(int fd, const char *data, size_t len)
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
char *vamt_web_read_response(int fd, char **body)
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

/*
 * POST @body to /wsman on *@fd as admin, answering a Digest challenge;
 * the challenge closes the connection, so *@fd is the new one after it.
 * A second 401 is the answer.
 */
static char *wsman_post(VamtWeb *w, int *fd, const char *body,
                        char **rsp_body)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        g_autofree char *auth = NULL;
        g_autofree char *req = NULL;
        char *head;

        if (w->nonce) {
            char nc[9];
            const VamtTestDigestAuth a = {
                .user = "admin", .realm = w->realm,
                .password = VAMT_AMT_PASSWORD, .method = "POST",
                .uri = "/wsman", .nonce = w->nonce, .nc = nc,
                .cnonce = "c0ffee",
            };
            g_autofree char *value = NULL;

            snprintf(nc, sizeof(nc), "%08x", ++w->nc);
            value = vamt_test_digest_authorization(&a);
            auth = g_strdup_printf("Authorization: %s\r\n", value);
        }
        req = g_strdup_printf("POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Content-Type: application/soap+xml;"
                              "charset=UTF-8\r\n%sContent-Length: %zu\r\n\r\n"
                              "%s", auth ? auth : "", strlen(body), body);
        vamt_web_send_all(*fd, req, strlen(req));
        head = vamt_web_read_response(*fd, rsp_body);
        if (!g_str_has_prefix(head, "HTTP/1.1 401")) {
            return head;
        }
        if (attempt) {
            return head;
        }
        /* a 401 closes the connection, as on AMT */
        g_free(w->realm);
        g_free(w->nonce);
        w->realm = vamt_test_challenge_param(head, "realm");
        w->nonce = vamt_test_challenge_param(head, "nonce");
        g_assert_nonnull(w->realm);
        g_assert_nonnull(w->nonce);
        w->nc = 0;
        g_free(head);
        g_free(*rsp_body);
        close(*fd);
        *fd = vamt_web_connect(w);
    }
    g_assert_not_reached();
}

char *vamt_wsman_envelope(const char *action, const char *uri,
                          const char *body)
{
    return vamt_wsman_envelope_selected(action, uri, "", body);
}

char *vamt_wsman_envelope_selected(const char *action, const char *uri,
                                   const char *selectors, const char *body)
{
    return g_strdup_printf(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
        "<Envelope xmlns=\"http://www.w3.org/2003/05/soap-envelope\" "
        "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
        "xmlns:w=\"" VAMT_WSMAN_NS "\"><Header>"
        "<a:Action>%s</a:Action><a:To>/wsman</a:To>"
        "<w:ResourceURI>%s</w:ResourceURI><a:MessageID>7</a:MessageID>"
        "<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/"
        "addressing/role/anonymous</a:Address></a:ReplyTo>"
        "<w:OperationTimeout>PT60S</w:OperationTimeout>%s</Header>"
        "<Body>%s</Body></Envelope>", action, uri, selectors, body);
}

/* POST one WS-Man envelope as admin on a connection of its own; 200 */
char *vamt_wsman_call(VamtWeb *w, const char *envelope)
{
    g_autofree char *head = NULL;
    char *body;
    int fd = vamt_web_connect(w);

    head = wsman_post(w, &fd, envelope, &body);
    g_assert_true(g_str_has_prefix(head, "HTTP/1.1 200"));
    close(fd);
    return body;
}

int vamt_wsman_status(VamtWeb *w, const char *envelope)
{
    g_autofree char *head = NULL;
    g_autofree char *body = NULL;
    int fd = vamt_web_connect(w);

    head = wsman_post(w, &fd, envelope, &body);
    close(fd);
    g_assert_true(g_str_has_prefix(head, "HTTP/1.1 "));
    return atoi(head + strlen("HTTP/1.1 "));
}

/* The text of the first <...:@name> element in @body */
char *vamt_element_text(const char *body, const char *name)
{
    g_autofree char *open = g_strdup_printf(":%s>", name);
    const char *p = strstr(body, open);

    g_assert_nonnull(p);
    p += strlen(open);
    return g_strndup(p, strchr(p, '<') - p);
}

