/*
 * meiclient: the in-guest probe of the vAMT guest test.
 *
 * Talks to the ME through /dev/mei0 exactly as LMS or rpc-go do: one open
 * file per connection, IOCTL_MEI_CONNECT_CLIENT by UUID, one write() per
 * request, one read() per reply.  Each subcommand checks the reply and
 * prints "MEICLIENT: key=value" lines for the host-side test to assert;
 * the exit status is 0 only when the reply was well formed.
 *
 * Built static on the host (gcc -static) and placed into the initramfs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define _GNU_SOURCE             /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/mei.h>

#define REPLY_TIMEOUT_MS 5000

/* ME client UUIDs in the little-endian GUID byte order the kernel takes */
static const uint8_t uuid_amthi[16] = {
    0x28, 0x00, 0xf8, 0x12, 0xb7, 0xb4, 0x2d, 0x4b,
    0xac, 0xa8, 0x46, 0xe0, 0xff, 0x65, 0x81, 0x4c,
};
static const uint8_t uuid_mkhi[16] = {
    0x15, 0x67, 0x6a, 0x8e, 0xbc, 0x9a, 0x43, 0x40,
    0x88, 0xef, 0x9e, 0x39, 0xc6, 0xf6, 0x3e, 0x0f,
};
static const uint8_t uuid_lme[16] = {
    0xdb, 0xa4, 0x33, 0x67, 0x76, 0x04, 0x7b, 0x4e,
    0xb3, 0xaf, 0xbc, 0xfc, 0x29, 0xbe, 0xe7, 0xa7,
};

#define AMTHI_GET_PROVISIONING_STATE    0x04000011u
#define AMTHI_GET_CODE_VERSIONS         0x0400001au
#define AMTHI_GET_UUID                  0x0400005cu
#define AMTHI_GET_CONTROL_MODE          0x0400006bu
#define AMTHI_IS_RESPONSE               0x00800000u
#define AMTHI_RESPONSE_HDR_LEN          16
#define AMTHI_BIOS_VERSION_LEN          65
#define AMTHI_CODE_VERSION_ENTRY_LEN    44

struct mei_conn {
    int fd;
    uint32_t max_msg_len;
    uint8_t version;
};

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint16_t le16(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

static int fail(const char *what, int err)
{
    printf("MEICLIENT: error %s errno=%d (%s)\n", what, err, strerror(err));
    return 1;
}

/* Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into GUID byte order. */
static int parse_uuid(const char *s, uint8_t out[16])
{
    static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6,
                                   8, 9, 10, 11, 12, 13, 14, 15 };
    uint8_t be[16];
    int n = 0;

    for (const char *p = s; *p && n < 16; p++) {
        unsigned int byte;

        if (*p == '-') {
            continue;
        }
        if (sscanf(p, "%2x", &byte) != 1) {
            return -1;
        }
        be[n++] = byte;
        p++;
    }
    if (n != 16) {
        return -1;
    }
    for (int i = 0; i < 16; i++) {
        out[i] = be[order[i]];
    }
    return 0;
}

/* Returns 0 or an errno value; the connection is open only on 0. */
static int mei_connect(struct mei_conn *c, const uint8_t uuid[16])
{
    struct mei_connect_client_data data;
    int err;

    c->fd = open("/dev/mei0", O_RDWR);
    if (c->fd < 0) {
        return errno;
    }
    memset(&data, 0, sizeof(data));
    memcpy(&data.in_client_uuid, uuid, 16);
    if (ioctl(c->fd, IOCTL_MEI_CONNECT_CLIENT, &data) < 0) {
        err = errno;
        close(c->fd);
        c->fd = -1;
        return err;
    }
    c->max_msg_len = data.out_client_properties.max_msg_length;
    c->version = data.out_client_properties.protocol_version;
    return 0;
}

/* Read one message, giving up after REPLY_TIMEOUT_MS. Returns length. */
static ssize_t mei_recv(struct mei_conn *c, uint8_t *buf, size_t size)
{
    struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
    int r = poll(&pfd, 1, REPLY_TIMEOUT_MS);

    if (r == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    if (r < 0) {
        return -1;
    }
    return read(c->fd, buf, size);
}

static int connect_or_fail(struct mei_conn *c, const uint8_t *uuid,
                           const char *name)
{
    int err = mei_connect(c, uuid);

    if (err) {
        char what[64];

        snprintf(what, sizeof(what), "connect %s", name);
        return fail(what, err);
    }
    printf("MEICLIENT: connected %s max_msg_len=%u version=%u\n",
           name, c->max_msg_len, c->version);
    return 0;
}

/*
 * Send an AMTHI command with no payload; on success *rsp holds the reply
 * and the return value is its payload length after the status word.
 */
static ssize_t amthi_call(uint32_t command, uint8_t **rsp)
{
    uint8_t req[12] = { 1, 1, 0, 0 };
    struct mei_conn c;
    ssize_t n;
    uint32_t status;

    if (connect_or_fail(&c, uuid_amthi, "amthi")) {
        return -1;
    }
    req[4] = command;
    req[5] = command >> 8;
    req[6] = command >> 16;
    req[7] = command >> 24;
    if (write(c.fd, req, sizeof(req)) != sizeof(req)) {
        fail("write", errno);
        close(c.fd);
        return -1;
    }
    *rsp = calloc(1, c.max_msg_len);
    n = mei_recv(&c, *rsp, c.max_msg_len);
    close(c.fd);
    if (n < 0) {
        fail("read", errno);
        return -1;
    }
    printf("MEICLIENT: reply_len=%zd\n", n);
    if (n < AMTHI_RESPONSE_HDR_LEN) {
        printf("MEICLIENT: error short reply\n");
        return -1;
    }
    if (le32(*rsp + 4) != (command | AMTHI_IS_RESPONSE)) {
        printf("MEICLIENT: error reply command 0x%08x\n", le32(*rsp + 4));
        return -1;
    }
    if (le32(*rsp + 8) != (uint32_t)n - 12) {
        printf("MEICLIENT: error length field %u for %zd bytes\n",
               le32(*rsp + 8), n);
        return -1;
    }
    status = le32(*rsp + 12);
    printf("MEICLIENT: status=%u\n", status);
    if (status != 0) {
        return -1;
    }
    return n - AMTHI_RESPONSE_HDR_LEN;
}

static int cmd_amthi_versions(void)
{
    uint8_t *rsp = NULL;
    ssize_t len = amthi_call(AMTHI_GET_CODE_VERSIONS, &rsp);
    const uint8_t *p;
    uint32_t count;

    if (len < 0) {
        return 1;
    }
    p = rsp + AMTHI_RESPONSE_HDR_LEN;
    if (len < AMTHI_BIOS_VERSION_LEN + 4) {
        printf("MEICLIENT: error no version table\n");
        return 1;
    }
    printf("MEICLIENT: AMTHI BIOS=%.*s\n", AMTHI_BIOS_VERSION_LEN, p);
    count = le32(p + AMTHI_BIOS_VERSION_LEN);
    p += AMTHI_BIOS_VERSION_LEN + 4;
    len -= AMTHI_BIOS_VERSION_LEN + 4;
    if (count == 0 || count * AMTHI_CODE_VERSION_ENTRY_LEN != len) {
        printf("MEICLIENT: error %u entries in %zd bytes\n", count, len);
        return 1;
    }
    for (uint32_t i = 0; i < count; i++, p += AMTHI_CODE_VERSION_ENTRY_LEN) {
        uint16_t dlen = le16(p), vlen = le16(p + 22);

        if (dlen > 20 || vlen > 20) {
            printf("MEICLIENT: error entry %u lengths %u/%u\n", i, dlen, vlen);
            return 1;
        }
        printf("MEICLIENT: AMTHI %.*s=%.*s\n", dlen, p + 2, vlen, p + 24);
    }
    printf("MEICLIENT: AMTHI entries=%u\n", count);
    free(rsp);
    return 0;
}

/*
 * One raw AMTHI exchange on @c: @command with @payload, the header's
 * length field @length_field (normally @len); prints the whole reply in
 * hex for the host-side test to compare byte for byte.
 */
static int amthi_raw(struct mei_conn *c, const char *name, uint32_t command,
                     const void *payload, size_t len, uint32_t length_field)
{
    uint8_t req[512] = { 1, 1, 0, 0 };
    uint8_t rsp[4096];
    ssize_t n;

    if (len > sizeof(req) - 12) {
        return 1;
    }
    memcpy(req + 4, &(uint32_t){ command }, 4);     /* x86: little-endian */
    memcpy(req + 8, &length_field, 4);
    memcpy(req + 12, payload, len);
    if (write(c->fd, req, 12 + len) != (ssize_t)(12 + len)) {
        return fail("write", errno);
    }
    n = mei_recv(c, rsp, sizeof(rsp));
    if (n < 0) {
        return fail("read", errno);
    }
    printf("MEICLIENT: AMTHI-RAW %s ", name);
    for (ssize_t i = 0; i < n; i++) {
        printf("%02x", rsp[i]);
    }
    printf("\n");
    return 0;
}

/* An AMT_ANSI_STRING payload of @text in @buf; returns its length */
static size_t ansi_string(uint8_t *buf, const char *text)
{
    uint16_t len = strlen(text);

    memcpy(buf, &len, 2);
    memcpy(buf + 2, text, len);
    return len + 2;
}

/*
 * Every AMTHI command the ME answers, one connection, in an order whose
 * sets are read back (SetDnsSuffix, then the suffix and the FQDN), then
 * the commands it refuses and malformed requests.
 */
static int cmd_amthi_all(const char *host_fqdn)
{
    static const uint8_t zeros[512];
    static const uint8_t one[4] = { 1 }, two[4] = { 2 };
    static const uint8_t link_state[16] = { [15] = 1 };
    uint8_t buf[300];
    struct {
        const char *name;
        uint32_t command;
        const void *payload;
        size_t len;
    } calls[] = {
        { "GetCodeVersions", 0x0400001a, NULL, 0 },
        { "GetProvisioningState", 0x04000011, NULL, 0 },
        { "GetProvisioningMode", 0x04000008, NULL, 0 },
        { "GetControlMode", 0x0400006b, NULL, 0 },
        { "GetUUID", 0x0400005c, NULL, 0 },
        { "GetLocalSystemAccount", 0x04000067, zeros, 40 },
        { "GetPkiFqdnSuffix", 0x04000036, NULL, 0 },
        { "SetDnsSuffix", 0x0400002f, buf, 0 },
        { "GetPkiFqdnSuffix-after-set", 0x04000036, NULL, 0 },
        { "GetFQDN", 0x04000056, NULL, 0 },
        { "GetLanInterfaceSettings-wired", 0x04000048, zeros, 4 },
        { "GetLanInterfaceSettings-wireless", 0x04000048, one, 4 },
        { "GetLanInterfaceSettings-2", 0x04000048, two, 4 },
        { "GetMacAddresses", 0x04000025, NULL, 0 },
        { "EnumerateHashHandles", 0x0400002c, NULL, 0 },
        { "GetCertHashEntry-0", 0x0400002d, zeros, 4 },
        { "GetCertHashEntry-1", 0x0400002d, one, 4 },
        { "GetRemoteAccessConnectionStatus", 0x04000046, NULL, 0 },
        { "GetZeroTouchEnabled", 0x04000030, NULL, 0 },
        { "GetUserInitiatedEnabledInterfaces", 0x0400004d, NULL, 0 },
        { "GetEHBCState", 0x04000084, NULL, 0 },
        { "GetDNSSuffixList", 0x0400003e, NULL, 0 },
        { "GetLastHostResetReason", 0x0400004a, NULL, 0 },
        { "SetEnterpriseAccess", 0x0400003f, zeros, 18 },
        { "OpenUserInitiatedConnection", 0x04000044, NULL, 0 },
        { "CloseUserInitiatedConnection", 0x04000045, NULL, 0 },
        { "GetCurrentPowerPolicy", 0x04000047, NULL, 0 },
        { "GetFeaturesState-redirection", 0x04000049, zeros, 4 },
        { "GetAMTState", 0x01000001, link_state, 16 },
        { "StopConfiguration", 0x0400005e, NULL, 0 },
        { "StartConfigurationHBased", 0x0400008b, zeros, 390 },
        { "Unprovision", 0x04000010, zeros, 4 },
        { "unknown-0x04000099", 0x04000099, NULL, 0 },
    };
    struct mei_conn c;
    int rc = 0;

    if (connect_or_fail(&c, uuid_amthi, "amthi")) {
        return 1;
    }
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        if (!strcmp(calls[i].name, "SetDnsSuffix")) {
            calls[i].len = ansi_string(buf, "lab.example");
        }
        rc |= amthi_raw(&c, calls[i].name, calls[i].command, calls[i].payload,
                        calls[i].len, calls[i].len);
    }
    /* malformed: a length field that is not the payload's */
    rc |= amthi_raw(&c, "GetProvisioningState-bad-length", 0x04000011,
                    zeros, 0, 8);
    rc |= amthi_raw(&c, "GetLocalSystemAccount-short", 0x04000067, zeros, 39,
                    39);
    /* last: a name the host reads back over WS-Man (HostOSFQDN) */
    rc |= amthi_raw(&c, "SetHostFQDN", 0x0400005b, buf,
                    ansi_string(buf, host_fqdn), ansi_string(buf, host_fqdn));
    close(c.fd);
    return rc;
}

static int cmd_amthi_u32(uint32_t command, const char *name)
{
    uint8_t *rsp = NULL;
    ssize_t len = amthi_call(command, &rsp);

    if (len != 4) {
        printf("MEICLIENT: error %s payload %zd bytes\n", name, len);
        return 1;
    }
    printf("MEICLIENT: AMTHI %s=%u\n", name,
           le32(rsp + AMTHI_RESPONSE_HDR_LEN));
    free(rsp);
    return 0;
}

static int cmd_amthi_uuid(void)
{
    uint8_t *rsp = NULL;
    ssize_t len = amthi_call(AMTHI_GET_UUID, &rsp);
    const uint8_t *u;

    if (len != 16) {
        printf("MEICLIENT: error uuid payload %zd bytes\n", len);
        return 1;
    }
    /* SMBIOS order: the first three fields little-endian */
    u = rsp + AMTHI_RESPONSE_HDR_LEN;
    printf("MEICLIENT: AMTHI UUID=%08x-%04x-%04x-"
           "%02x%02x-%02x%02x%02x%02x%02x%02x\n",
           le32(u), le16(u + 4), le16(u + 6), u[8], u[9],
           u[10], u[11], u[12], u[13], u[14], u[15]);
    free(rsp);
    return 0;
}

static int cmd_mkhi_fwver(void)
{
    static const uint8_t req[4] = { 0xff, 0x02, 0x00, 0x00 };
    static const char *const names[] = { "code", "recovery", "fitc" };
    uint8_t rsp[2048];
    struct mei_conn c;
    ssize_t n;

    if (connect_or_fail(&c, uuid_mkhi, "mkhi")) {
        return 1;
    }
    if (write(c.fd, req, sizeof(req)) != sizeof(req)) {
        return fail("write", errno);
    }
    n = mei_recv(&c, rsp, sizeof(rsp));
    close(c.fd);
    if (n < 0) {
        return fail("read", errno);
    }
    printf("MEICLIENT: reply_len=%zd\n", n);
    if (n != 4 + 24 || rsp[0] != 0xff || rsp[1] != 0x82 || rsp[3] != 0) {
        printf("MEICLIENT: error MKHI reply %02x %02x %02x %02x\n",
               rsp[0], rsp[1], rsp[2], rsp[3]);
        return 1;
    }
    /* each block: u16 minor, u8 major, u8 platform, u16 build, u16 hotfix */
    for (int i = 0; i < 3; i++) {
        const uint8_t *b = rsp + 4 + 8 * i;

        printf("MEICLIENT: MKHI %s=%u:%u.%u.%u.%u\n", names[i], b[3], b[2],
               le16(b), le16(b + 6), le16(b + 4));
    }
    return 0;
}

static int cmd_lme_pv(void)
{
    uint8_t rsp[4096];
    struct mei_conn c;
    ssize_t n;

    if (connect_or_fail(&c, uuid_lme, "lme")) {
        return 1;
    }
    n = mei_recv(&c, rsp, sizeof(rsp));
    close(c.fd);
    if (n < 0) {
        return fail("read", errno);
    }
    /* APF is big-endian: u8 type, u32 major, u32 minor, ... */
    printf("MEICLIENT: LME first=0x%02x len=%zd major=%u minor=%u\n",
           rsp[0], n, n >= 9 ? be32(rsp + 1) : 0, n >= 9 ? be32(rsp + 5) : 0);
    return !(rsp[0] == 0xc0 && n == 93);
}

/* Connect to @uuid and report the errno, for the refusal cases. */
static int cmd_connect(const char *uuid_str)
{
    uint8_t uuid[16];
    struct mei_conn c;
    int err;

    if (parse_uuid(uuid_str, uuid)) {
        printf("MEICLIENT: error bad uuid %s\n", uuid_str);
        return 2;
    }
    err = mei_connect(&c, uuid);
    if (!err) {
        close(c.fd);
    }
    printf("MEICLIENT: connect %s errno=%d (%s)\n", uuid_str, err,
           err ? strerror(err) : "connected");
    return 0;
}

/* A second connection to single-connection MKHI must be refused. */
static int cmd_mkhi_busy(void)
{
    struct mei_conn first, second;
    int err;

    if (connect_or_fail(&first, uuid_mkhi, "mkhi")) {
        return 1;
    }
    err = mei_connect(&second, uuid_mkhi);
    if (!err) {
        close(second.fd);
    }
    close(first.fd);
    printf("MEICLIENT: second mkhi errno=%d (%s)\n", err,
           err ? strerror(err) : "connected");
    return 0;
}

/* A message longer than the client's max_msg_length must get EFBIG. */
static int cmd_amthi_efbig(void)
{
    struct mei_conn c;
    uint8_t *big;
    ssize_t n;
    int err;

    if (connect_or_fail(&c, uuid_amthi, "amthi")) {
        return 1;
    }
    big = calloc(1, c.max_msg_len + 1);
    n = write(c.fd, big, c.max_msg_len + 1);
    err = n < 0 ? errno : 0;
    close(c.fd);
    free(big);
    printf("MEICLIENT: oversized write errno=%d (%s)\n", err,
           err ? strerror(err) : "accepted");
    return 0;
}

/* ---- lme-apf: an APF agent of our own, as LMS and rpc-go are ---------- */

#define APF_PV              192
#define APF_SERVICE_REQ     5
#define APF_SERVICE_ACCEPT  6
#define APF_GLOBAL_REQ      80
#define APF_REQ_SUCCESS     81
#define APF_OPEN            90
#define APF_OPEN_CONFIRM    91
#define APF_OPEN_FAILURE    92
#define APF_WINDOW_ADJUST   93
#define APF_DATA            94
#define APF_CLOSE           97
#define APF_MAX_CHANNELS    8

struct apf_msg {
    uint8_t b[4096];
    size_t len;
};

static void put_be32(struct apf_msg *m, uint32_t v)
{
    m->b[m->len++] = v >> 24;
    m->b[m->len++] = v >> 16;
    m->b[m->len++] = v >> 8;
    m->b[m->len++] = v;
}

static void put_str(struct apf_msg *m, const char *s)
{
    put_be32(m, strlen(s));
    memcpy(m->b + m->len, s, strlen(s));
    m->len += strlen(s);
}

static int apf_send(struct mei_conn *c, struct apf_msg *m)
{
    return write(c->fd, m->b, m->len) == (ssize_t)m->len ? 0 : -1;
}

static int apf_send_u32s(struct mei_conn *c, uint8_t type, int n,
                         const uint32_t *v)
{
    struct apf_msg m = { .b = { type }, .len = 1 };

    for (int i = 0; i < n; i++) {
        put_be32(&m, v[i]);
    }
    return apf_send(c, &m);
}

/* One message within @timeout_ms; 0 on silence, -1 on error */
static ssize_t apf_recv(struct mei_conn *c, struct apf_msg *m, int timeout_ms)
{
    struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
    int r = poll(&pfd, 1, timeout_ms);
    ssize_t n;

    if (r <= 0) {
        return r;
    }
    n = read(c->fd, m->b, sizeof(m->b));
    m->len = n > 0 ? n : 0;
    return n > 0 ? n : -1;
}

static int apf_open(struct mei_conn *c, uint32_t id, uint32_t window,
                    uint32_t port)
{
    struct apf_msg m = { .b = { APF_OPEN }, .len = 1 };

    put_str(&m, "forwarded-tcpip");
    put_be32(&m, id);
    put_be32(&m, window);
    put_be32(&m, 0xffffffff);
    put_str(&m, "127.0.0.1");
    put_be32(&m, port);
    put_str(&m, "127.0.0.1");
    put_be32(&m, 40000 + id);
    return apf_send(c, &m);
}

static int apf_data(struct mei_conn *c, uint32_t me_id, const void *data,
                    size_t len)
{
    struct apf_msg m = { .b = { APF_DATA }, .len = 1 };

    put_be32(&m, me_id);
    put_be32(&m, len);
    memcpy(m.b + m.len, data, len);
    m.len += len;
    return apf_send(c, &m);
}

static const char identify_body[] =
    "<?xml version=\"1.0\"?><s:Envelope "
    "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
    "xmlns:i=\"http://schemas.dmtf.org/wbem/wsman/identity/1/"
    "wsmanidentity.xsd\"><s:Header/><s:Body><i:Identify/>"
    "</s:Body></s:Envelope>";

static int apf_identify(struct mei_conn *c, uint32_t me_id)
{
    char req[1024];
    int n = snprintf(req, sizeof(req),
                     "POST /wsman HTTP/1.1\r\nHost: 127.0.0.1:16992\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     strlen(identify_body), identify_body);

    return apf_data(c, me_id, req, n);
}

/* The whole "HTTP/1.1 200" responses in @s (Content-Length or chunked) */
static int http_responses(const char *s, size_t len)
{
    int count = 0;
    const char *p = s, *end = s + len;

    while (p < end) {
        const char *head_end = memmem(p, end - p, "\r\n\r\n", 4);
        const char *cl, *last;
        unsigned long body;

        if (!head_end || memcmp(p, "HTTP/1.1 200 ", 13)) {
            break;
        }
        cl = memmem(p, head_end - p, "Content-Length: ", 16);
        if (cl) {
            body = 0;
            for (const char *d = cl + 16; *d >= '0' && *d <= '9'; d++) {
                body = body * 10 + (*d - '0');
            }
            if ((size_t)(end - head_end - 4) < body) {
                break;
            }
            p = head_end + 4 + body;
        } else if (memmem(p, head_end - p, "chunked", 7)) {
            last = memmem(head_end, end - head_end, "\r\n0\r\n\r\n", 7);
            if (!last) {
                break;
            }
            p = last + 7;
        } else {
            break;
        }
        count++;
    }
    return count;
}

struct apf_chan {
    uint32_t id;            /* ours */
    uint32_t me_id;
    uint32_t window;        /* what we give the ME */
    int confirmed;
    int closed_by_me;
    char in[65536];
    size_t in_len;
    unsigned messages;
};

/* Handle one message from the ME for our channels */
static int apf_dispatch(struct mei_conn *c, struct apf_msg *m,
                        struct apf_chan *ch, int nch)
{
    uint32_t id = m->len >= 5 ? be32(m->b + 1) : 0xffffffff;

    for (int i = 0; i < nch; i++) {
        if (ch[i].id != id) {
            continue;
        }
        switch (m->b[0]) {
        case APF_OPEN_CONFIRM:
            ch[i].me_id = be32(m->b + 5);
            ch[i].confirmed = 1;
            return 0;
        case APF_OPEN_FAILURE:
            ch[i].confirmed = -(int)be32(m->b + 5);
            return 0;
        case APF_DATA: {
            uint32_t n = be32(m->b + 5);

            if (n + 9 != m->len || ch[i].in_len + n > sizeof(ch[i].in)) {
                printf("MEICLIENT: APF bad data on channel %u\n", id);
                return -1;
            }
            if (n > ch[i].window) {
                printf("MEICLIENT: APF %u bytes beyond window %u\n", n,
                       ch[i].window);
                return -1;
            }
            memcpy(ch[i].in + ch[i].in_len, m->b + 9, n);
            ch[i].in_len += n;
            ch[i].messages++;
            if (ch[i].window == 1) {
                uint32_t v[2] = { ch[i].me_id, 1 };

                return apf_send_u32s(c, APF_WINDOW_ADJUST, 2, v);
            }
            ch[i].window -= n;
            return 0;
        }
        case APF_CLOSE:
            ch[i].closed_by_me = 1;
            return 0;
        }
    }
    /* the ME's window adjusts and the like */
    return 0;
}

/*
 * The APF session start as LMS does it on @c: the ME's protocol version,
 * then ours; the pfwd service; every tcpip-forward until the ME falls
 * silent.  *@redirection: whether it registered 16994.
 */
static int apf_handshake(struct mei_conn *c, int *redirection)
{
    struct apf_msg m;
    int nports = 0;

    if (apf_recv(c, &m, REPLY_TIMEOUT_MS) <= 0 || m.b[0] != APF_PV ||
        m.len != 93) {
        return fail("APF protocol version", EPROTO);
    }
    m.len = 93;
    memset(m.b + 13, 0, 80);
    apf_send(c, &m);
    if (apf_recv(c, &m, REPLY_TIMEOUT_MS) <= 0 ||
        m.b[0] != APF_SERVICE_REQ || m.len != 23 ||
        memcmp(m.b + 5, "pfwd@amt.intel.com", 18)) {
        return fail("APF service request", EPROTO);
    }
    m.b[0] = APF_SERVICE_ACCEPT;
    apf_send(c, &m);
    printf("MEICLIENT: APF service pfwd@amt.intel.com accepted\n");
    *redirection = 0;
    while (apf_recv(c, &m, 1000) > 0) {
        uint32_t len = be32(m.b + 1), port;

        if (m.b[0] != APF_GLOBAL_REQ || len != 13 ||
            memcmp(m.b + 5, "tcpip-forward", 13) || nports == 8) {
            return fail("APF tcpip-forward", EPROTO);
        }
        port = be32(m.b + 23 + be32(m.b + 19));
        nports++;
        *redirection |= port == 16994;
        printf("MEICLIENT: APF forward port=%u\n", port);
        apf_send_u32s(c, APF_REQ_SUCCESS, 1, &port);
    }
    return 0;
}

static int cmd_lme_apf(void)
{
    struct apf_msg m;
    struct mei_conn c;
    int redirection = 0, ok = 1;
    struct apf_chan ch[6] = {
        { .id = 10, .window = 4096 },       /* Identify */
        { .id = 11, .window = 1 },          /* Identify, one byte at a time */
        { .id = 12, .window = 4096 },       /* closed by us at once */
        { .id = 13, .window = 0xffffffff }, /* we stop reading */
        { .id = 14, .window = 4096 },       /* to a port never registered */
        { .id = 15, .window = 4096 },       /* redirection, if served */
    };
    const int nch = 6;

    if (connect_or_fail(&c, uuid_lme, "lme") ||
        apf_handshake(&c, &redirection)) {
        return 1;
    }

    for (int i = 0; i < nch; i++) {
        uint32_t port = i == 4 ? 22 : i == 5 ? 16994 : 16992;

        if (i == 5 && !redirection) {
            continue;
        }
        apf_open(&c, ch[i].id, ch[i].window, port);
    }
    /* the confirmations (and the failure) come in order */
    for (int i = 0; i < nch - !redirection; i++) {
        if (apf_recv(&c, &m, REPLY_TIMEOUT_MS) <= 0 ||
            apf_dispatch(&c, &m, ch, nch)) {
            return fail("APF channel open", EPROTO);
        }
    }
    printf("MEICLIENT: APF open 16992=%d,%d,%d,%d port22=%d\n",
           ch[0].confirmed, ch[1].confirmed, ch[2].confirmed,
           ch[3].confirmed, ch[4].confirmed);
    /* two Identify at once, one of them through a one-byte window */
    apf_identify(&c, ch[0].me_id);
    apf_identify(&c, ch[1].me_id);
    /* a channel we close at once: the ME answers with its own CLOSE */
    apf_send_u32s(&c, APF_CLOSE, 1, &ch[2].me_id);
    /* three requests we do not read for a while */
    for (int i = 0; i < 3; i++) {
        apf_identify(&c, ch[3].me_id);
    }
    if (redirection) {
        static const uint8_t start_sol[8] = { 0x10, 0, 0, 0,
                                              'S', 'O', 'L', ' ' };

        apf_data(&c, ch[5].me_id, start_sol, sizeof(start_sol));
    }
    sleep(3);
    while (apf_recv(&c, &m, 2000) > 0) {
        if (apf_dispatch(&c, &m, ch, nch)) {
            ok = 0;
            break;
        }
    }
    printf("MEICLIENT: APF channel 10 responses=%d identify=%s\n",
           http_responses(ch[0].in, ch[0].in_len),
           memmem(ch[0].in, ch[0].in_len, "IdentifyResponse", 16) ?
           "yes" : "no");
    printf("MEICLIENT: APF one-byte window responses=%d messages=%u "
           "bytes=%zu\n", http_responses(ch[1].in, ch[1].in_len),
           ch[1].messages, ch[1].in_len);
    printf("MEICLIENT: APF closed channel answered=%d\n", ch[2].closed_by_me);
    printf("MEICLIENT: APF unread channel responses=%d\n",
           http_responses(ch[3].in, ch[3].in_len));
    if (redirection) {
        printf("MEICLIENT: APF redirection first=0x%02x len=%zu\n",
               ch[5].in_len ? (uint8_t)ch[5].in[0] : 0, ch[5].in_len);
    }
    for (int i = 0; i < nch; i++) {
        if (ch[i].confirmed == 1 && i != 2) {
            apf_send_u32s(&c, APF_CLOSE, 1, &ch[i].me_id);
        }
    }
    close(c.fd);
    return !ok;
}

/*
 * A minimal LMS: each TCP connection to 127.0.0.1:@port is one APF
 * channel to the ME's 16992 over LME, relayed both ways with window
 * accounting (what we pass on is what we grant back).  Runs until
 * killed; the LME benchmark's path into the ME (bench/lme/run.sh).
 */
#define LMS_MAX_PEERS       8
#define LMS_WINDOW          65536

struct lms_peer {
    int fd;                 /* -1: free */
    uint32_t id;            /* ours */
    uint32_t me_id;
    uint32_t me_window;     /* what the ME lets us send */
    int confirmed;
    int closing;            /* our CLOSE sent, waiting for the ME's */
};

static struct lms_peer *lms_peer_of(struct lms_peer *p, uint32_t id)
{
    for (int i = 0; i < LMS_MAX_PEERS; i++) {
        if (p[i].fd >= 0 && p[i].id == id) {
            return &p[i];
        }
    }
    return NULL;
}

static void lms_message(struct mei_conn *c, struct apf_msg *m,
                        struct lms_peer *peers)
{
    struct lms_peer *p = m->len >= 5 ? lms_peer_of(peers, be32(m->b + 1))
                                     : NULL;

    if (!p) {
        return;
    }
    switch (m->b[0]) {
    case APF_OPEN_CONFIRM:
        p->me_id = be32(m->b + 5);
        p->me_window = be32(m->b + 9);
        p->confirmed = 1;
        break;
    case APF_OPEN_FAILURE:
        close(p->fd);
        p->fd = -1;
        break;
    case APF_WINDOW_ADJUST:
        p->me_window += be32(m->b + 5);
        break;
    case APF_DATA: {
        uint32_t n = be32(m->b + 5), v[2] = { p->me_id, n };
        const uint8_t *d = m->b + 9;
        size_t left = n;

        while (left && !p->closing) {
            ssize_t w = write(p->fd, d, left);

            if (w <= 0) {
                break;
            }
            d += w;
            left -= w;
        }
        apf_send_u32s(c, APF_WINDOW_ADJUST, 2, v);
        break;
    }
    case APF_CLOSE:
        if (!p->closing) {
            apf_send_u32s(c, APF_CLOSE, 1, &p->me_id);
        }
        close(p->fd);
        p->fd = -1;
        break;
    }
}

static int cmd_lms(int port)
{
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons(port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    struct lms_peer peers[LMS_MAX_PEERS];
    struct pollfd pfd[LMS_MAX_PEERS + 2];
    struct apf_msg m;
    struct mei_conn c;
    uint32_t next_id = 100;
    int lfd, one = 1, redirection;

    if (connect_or_fail(&c, uuid_lme, "lme") ||
        apf_handshake(&c, &redirection)) {
        return 1;
    }
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 8)) {
        return fail("listen", errno);
    }
    printf("MEICLIENT: LMS listening port=%d\n", port);
    for (int i = 0; i < LMS_MAX_PEERS; i++) {
        peers[i].fd = -1;
    }
    for (;;) {
        int n = 0;

        pfd[n++] = (struct pollfd) { .fd = c.fd, .events = POLLIN };
        pfd[n++] = (struct pollfd) { .fd = lfd, .events = POLLIN };
        for (int i = 0; i < LMS_MAX_PEERS; i++) {
            struct lms_peer *p = &peers[i];
            int want = p->fd >= 0 && p->confirmed && !p->closing &&
                       p->me_window > 0;

            pfd[n++] = (struct pollfd) { .fd = want ? p->fd : -1,
                                         .events = POLLIN };
        }
        if (poll(pfd, n, -1) < 0) {
            return fail("poll", errno);
        }
        if (pfd[0].revents) {
            n = read(c.fd, m.b, sizeof(m.b));
            if (n <= 0) {
                return fail("LME read", errno);
            }
            m.len = n;
            lms_message(&c, &m, peers);
        }
        if (pfd[1].revents & POLLIN) {
            int fd = accept(lfd, NULL, NULL);
            struct lms_peer *p = NULL;

            for (int i = 0; !p && i < LMS_MAX_PEERS; i++) {
                p = peers[i].fd < 0 ? &peers[i] : NULL;
            }
            if (fd >= 0 && !p) {
                close(fd);
            } else if (fd >= 0) {
                *p = (struct lms_peer) { .fd = fd, .id = next_id++ };
                apf_open(&c, p->id, LMS_WINDOW, 16992);
            }
        }
        for (int i = 0; i < LMS_MAX_PEERS; i++) {
            struct lms_peer *p = &peers[i];
            uint8_t buf[4096 - 9];
            ssize_t got;

            if (!(pfd[i + 2].revents & (POLLIN | POLLHUP)) || p->fd < 0) {
                continue;
            }
            got = read(p->fd, buf, p->me_window < sizeof(buf) ?
                                   p->me_window : sizeof(buf));
            if (got <= 0) {
                apf_send_u32s(&c, APF_CLOSE, 1, &p->me_id);
                p->closing = 1;
                continue;
            }
            apf_data(&c, p->me_id, buf, got);
            p->me_window -= got;
        }
    }
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(cmd, "amthi-versions")) {
        return cmd_amthi_versions();
    } else if (!strcmp(cmd, "amthi-provisioning")) {
        return cmd_amthi_u32(AMTHI_GET_PROVISIONING_STATE,
                             "ProvisioningState");
    } else if (!strcmp(cmd, "amthi-control-mode")) {
        return cmd_amthi_u32(AMTHI_GET_CONTROL_MODE, "ControlMode");
    } else if (!strcmp(cmd, "amthi-uuid")) {
        return cmd_amthi_uuid();
    } else if (!strcmp(cmd, "amthi-all") && argc == 3) {
        return cmd_amthi_all(argv[2]);
    } else if (!strcmp(cmd, "amthi-efbig")) {
        return cmd_amthi_efbig();
    } else if (!strcmp(cmd, "mkhi-fwver")) {
        return cmd_mkhi_fwver();
    } else if (!strcmp(cmd, "mkhi-busy")) {
        return cmd_mkhi_busy();
    } else if (!strcmp(cmd, "lme-pv")) {
        return cmd_lme_pv();
    } else if (!strcmp(cmd, "lme-apf")) {
        return cmd_lme_apf();
    } else if (!strcmp(cmd, "lms") && argc == 3) {
        return cmd_lms(atoi(argv[2]));
    } else if (!strcmp(cmd, "connect") && argc == 3) {
        return cmd_connect(argv[2]);
    }
    fprintf(stderr, "usage: meiclient amthi-versions | amthi-provisioning |"
            " amthi-control-mode | amthi-uuid | amthi-all HOST-FQDN |"
            " amthi-efbig | mkhi-fwver |"
            " mkhi-busy | lme-pv | lme-apf | lms PORT | connect UUID\n");
    return 2;
}
