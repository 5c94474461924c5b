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

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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
    } else if (!strcmp(cmd, "amthi-efbig")) {
        return cmd_amthi_efbig();
    } else if (!strcmp(cmd, "mkhi-fwver")) {
        return cmd_mkhi_fwver();
    } else if (!strcmp(cmd, "mkhi-busy")) {
        return cmd_mkhi_busy();
    } else if (!strcmp(cmd, "lme-pv")) {
        return cmd_lme_pv();
    } else if (!strcmp(cmd, "connect") && argc == 3) {
        return cmd_connect(argv[2]);
    }
    fprintf(stderr, "usage: meiclient amthi-versions | amthi-provisioning |"
            " amthi-control-mode | amthi-uuid | amthi-efbig | mkhi-fwver |"
            " mkhi-busy | lme-pv | connect UUID\n");
    return 2;
}
