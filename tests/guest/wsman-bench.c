/*
 * wsman-bench: the in-guest WS-Management client of bench/lme/run.sh.
 *
 * Usage: wsman-bench HOST PORT USER PASSWORD
 *
 * Measures, against the ME's web service at HOST:PORT (from inside the
 * guest: an LMS on 127.0.0.1:16992, which forwards over LME, or the
 * listen= socket through the guest's NIC), as a console does it with HTTP
 * Digest on a keep-alive connection:
 *   get        AMT_GeneralSettings Gets one after another: median and
 *              90th percentile latency
 *   connect    a console's connect sequence: a fresh connection, its 401
 *              round trip, then Gets of the classes MeshCommander reads
 *              when it connects: time per sequence
 *   stream     anonymous Identify requests written back to back, all the
 *              answers read: response bytes per second
 * and prints one "WSMAN-BENCH key=value ..." line per measurement.
 *
 * Built static on the host with the suite's Digest client
 * (tests/common/vamt-digest-client.c) and placed into the initramfs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vamt-digest-client.h"

#define GET_COUNT       200
#define CONNECT_COUNT   10
#define STREAM_COUNT    400

#define AMT_NS  "http://intel.com/wbem/wscim/1/amt-schema/1/"
#define CIM_NS  "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
#define IPS_NS  "http://intel.com/wbem/wscim/1/ips-schema/1/"

/* The singletons MeshCommander reads when it connects */
static const char *const connect_classes[] = {
    AMT_NS "AMT_GeneralSettings",
    AMT_NS "AMT_SetupAndConfigurationService",
    CIM_NS "CIM_ComputerSystemPackage",
    CIM_NS "CIM_PowerManagementService",
    AMT_NS "AMT_RedirectionService",
    CIM_NS "CIM_KVMRedirectionSAP",
    IPS_NS "IPS_KVMRedirectionSettingData",
    IPS_NS "IPS_OptInService",
    AMT_NS "AMT_BootCapabilities",
    AMT_NS "AMT_TimeSynchronizationService",
};

typedef struct Peer {
    const char *host;
    const char *port;
    const char *user;
    const char *password;
    char *realm;
    char *nonce;
    unsigned nc;
    int fd;
} Peer;

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int tcp_connect(const char *host, const char *port)
{
    struct addrinfo hints = {
        .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
    }, *ai;
    int fd;

    if (getaddrinfo(host, port, &hints, &ai)) {
        return -1;
    }
    fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static int send_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);

        if (n <= 0) {
            return -1;
        }
        data += n;
        len -= n;
    }
    return 0;
}

/*
 * One response from @fd into @head (the head) and its body length:
 * Content-Length or chunked, as the ME frames them.  @buf keeps bytes
 * read past it (the next pipelined response).  Returns the bytes the
 * response took on the wire, or -1.
 */
static ssize_t read_response(int fd, GString *buf, GString *head)
{
    char chunk[16384];
    char *end;
    size_t need, body_start, pos;
    const char *cl;

    while (!(end = strstr(buf->str, "\r\n\r\n"))) {
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n <= 0) {
            return -1;
        }
        g_string_append_len(buf, chunk, n);
    }
    body_start = end - buf->str + 4;
    g_string_assign(head, "");
    g_string_append_len(head, buf->str, body_start);
    cl = strcasestr(head->str, "\r\nContent-Length:");
    if (cl) {
        need = body_start + g_ascii_strtoull(cl + 17, NULL, 10);
    } else {
        /* chunked: walk the sizes until the 0 chunk and its CRLF */
        pos = body_start;
        for (;;) {
            char *line_end;
            size_t size;

            while (!(line_end = strstr(buf->str + pos, "\r\n"))) {
                ssize_t n = read(fd, chunk, sizeof(chunk));

                if (n <= 0) {
                    return -1;
                }
                g_string_append_len(buf, chunk, n);
            }
            size = g_ascii_strtoull(buf->str + pos, NULL, 16);
            pos = line_end - buf->str + 2 + size + 2;
            if (!size) {
                break;
            }
            while (buf->len < pos) {
                ssize_t n = read(fd, chunk, sizeof(chunk));

                if (n <= 0) {
                    return -1;
                }
                g_string_append_len(buf, chunk, n);
            }
        }
        need = pos;
    }
    while (buf->len < need) {
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n <= 0) {
            return -1;
        }
        g_string_append_len(buf, chunk, n);
    }
    g_string_erase(buf, 0, need);
    return need;
}

static char *get_envelope(const char *uri)
{
    return g_strdup_printf(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Envelope xmlns=\""
        "http://www.w3.org/2003/05/soap-envelope\" xmlns:a=\"http://"
        "schemas.xmlsoap.org/ws/2004/08/addressing\" xmlns:w=\"http://"
        "schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><Header><a:Action>"
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</a:Action>"
        "<a:To>/wsman</a:To><w:ResourceURI>%s</w:ResourceURI><a:MessageID>"
        "1</a:MessageID><a:ReplyTo><a:Address>http://schemas.xmlsoap.org/"
        "ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>"
        "<w:OperationTimeout>PT60S</w:OperationTimeout></Header><Body/>"
        "</Envelope>", uri);
}

static char *post(const char *authorization, const char *body)
{
    return g_strdup_printf("POST /wsman HTTP/1.1\r\nHost: 127.0.0.1:16992\r\n"
                           "%s%s%sContent-Type: application/soap+xml;"
                           "charset=UTF-8\r\nContent-Length: %zu\r\n\r\n%s",
                           authorization ? "Authorization: " : "",
                           authorization ? authorization : "",
                           authorization ? "\r\n" : "", strlen(body), body);
}

/* A new connection and the 401 that brings the realm and a nonce */
static int peer_open(Peer *p, GString *buf, GString *head)
{
    g_autofree char *env = get_envelope(connect_classes[0]);
    g_autofree char *req = post(NULL, env);

    p->fd = tcp_connect(p->host, p->port);
    g_string_assign(buf, "");
    g_string_assign(head, "");
    if (p->fd < 0) {
        g_string_assign(head, "connect failed");
        return -1;
    }
    if (send_all(p->fd, req, strlen(req)) ||
        read_response(p->fd, buf, head) < 0 ||
        !g_str_has_prefix(head->str, "HTTP/1.1 401")) {
        g_string_prepend(head, "no 401: ");
        return -1;
    }
    g_free(p->realm);
    g_free(p->nonce);
    p->realm = vamt_test_challenge_param(head->str, "realm");
    p->nonce = vamt_test_challenge_nonce(head->str);
    p->nc = 0;
    if (strstr(head->str, "Connection: close")) {
        close(p->fd);
        p->fd = tcp_connect(p->host, p->port);
    }
    return p->fd < 0 ? -1 : 0;
}

/* One authenticated Get of @uri; its latency in microseconds, or -1 */
static double peer_get(Peer *p, const char *uri, GString *buf, GString *head)
{
    g_autofree char *env = get_envelope(uri);
    g_autofree char *nc = g_strdup_printf("%08x", ++p->nc);
    const VamtTestDigestAuth a = {
        .user = p->user, .realm = p->realm, .password = p->password,
        .uri = "/wsman", .nonce = p->nonce, .nc = nc, .cnonce = "b3e1c0de",
    };
    g_autofree char *auth = vamt_test_digest_authorization(&a);
    g_autofree char *req = post(auth, env);
    double t0 = now_us();

    if (send_all(p->fd, req, strlen(req)) ||
        read_response(p->fd, buf, head) < 0 ||
        !g_str_has_prefix(head->str, "HTTP/1.1 200")) {
        return -1;
    }
    return now_us() - t0;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    g_autoptr(GString) buf = g_string_new(NULL);
    g_autoptr(GString) head = g_string_new(NULL);
    static const char identify[] =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><s:Envelope xmlns:s=\""
        "http://www.w3.org/2003/05/soap-envelope\" xmlns:w=\"http://"
        "schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\">"
        "<s:Header/><s:Body><w:Identify/></s:Body></s:Envelope>";
    double lat[GET_COUNT], t0, total = 0;
    g_autoptr(GString) stream = g_string_new(NULL);
    g_autofree char *one = post(NULL, identify);
    Peer p = { 0 };
    ssize_t bytes = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 5) {
        fprintf(stderr, "usage: wsman-bench HOST PORT USER PASSWORD\n");
        return 2;
    }
    p.host = argv[1];
    p.port = argv[2];
    p.user = argv[3];
    p.password = argv[4];

    if (peer_open(&p, buf, head) < 0) {
        printf("WSMAN-BENCH error no 401 from %s:%s (%s)\n", p.host, p.port,
               strerror(errno));
        return 1;
    }
    for (int i = 0; i < GET_COUNT; i++) {
        lat[i] = peer_get(&p, connect_classes[0], buf, head);
        if (lat[i] < 0) {
            printf("WSMAN-BENCH error get %d: %.60s\n", i, head->str);
            return 1;
        }
    }
    close(p.fd);
    qsort(lat, GET_COUNT, sizeof(lat[0]), compare_double);
    printf("WSMAN-BENCH test=get n=%d median_us=%.0f p90_us=%.0f\n",
           GET_COUNT, lat[GET_COUNT / 2], lat[GET_COUNT * 9 / 10]);

    t0 = now_us();
    for (int i = 0; i < CONNECT_COUNT; i++) {
        if (peer_open(&p, buf, head) < 0) {
            printf("WSMAN-BENCH error connect %d: %.60s (%s)\n", i, head->str,
                   strerror(errno));
            return 1;
        }
        for (size_t c = 0; c < G_N_ELEMENTS(connect_classes); c++) {
            if (peer_get(&p, connect_classes[c], buf, head) < 0) {
                printf("WSMAN-BENCH error connect %d get %zu: %.60s\n", i, c,
                       head->str);
                return 1;
            }
        }
        close(p.fd);
    }
    printf("WSMAN-BENCH test=connect n=%d requests=%zu ms_per_sequence=%.1f\n",
           CONNECT_COUNT, G_N_ELEMENTS(connect_classes) + 1,
           (now_us() - t0) / 1e3 / CONNECT_COUNT);

    /* back to back: the requests' bytes and the answers' both in flight */
    for (int i = 0; i < STREAM_COUNT; i++) {
        g_string_append(stream, one);
    }
    p.fd = tcp_connect(p.host, p.port);
    g_string_assign(buf, "");
    t0 = now_us();
    if (p.fd < 0 || send_all(p.fd, stream->str, stream->len)) {
        printf("WSMAN-BENCH error stream send\n");
        return 1;
    }
    for (int i = 0; i < STREAM_COUNT; i++) {
        ssize_t n = read_response(p.fd, buf, head);

        if (n < 0 || !g_str_has_prefix(head->str, "HTTP/1.1 200")) {
            printf("WSMAN-BENCH error stream response %d\n", i);
            return 1;
        }
        bytes += n;
    }
    total = now_us() - t0;
    close(p.fd);
    printf("WSMAN-BENCH test=stream n=%d bytes=%zd MBps=%.3f\n",
           STREAM_COUNT, bytes, bytes / total);
    return 0;
}
