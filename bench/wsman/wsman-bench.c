/*
 * vAMT benchmark: WS-Management over HTTP with Digest authentication
 *
 * One client drives three servers in the same run:
 *   - the ME core in this process (VamtHttpConn fed directly, a fake
 *     platform underneath), i.e. vAMT's own cost without any socket;
 *   - a QEMU with -device vamt,listen=... over loopback TCP (--qemu);
 *   - the loopback baseline, wsman-baseline, a minimal epoll HTTP server
 *     that answers every POST with a fixed ~1.5 KB body (--baseline).
 * It measures Get CIM_SoftwareIdentity latency on one keep-alive
 * connection, sequential and pipelined keep-alive throughput, and the
 * MeshCommander connect sequence replayed from the captures (Digest
 * recomputed with the server's nonce), and prints each figure beside the
 * baseline and the target.  Targets are printed, never asserted.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "me.h"
#include "vamt-digest-client.h"
#include "vamt-test-support.h"

#define USER            "admin"
#define CONNECT_DIR     "meshcommander-connect"

/* Targets (printed, not asserted) */
#define TARGET_P50_MS           0.3
#define TARGET_RPS              5000.0
#define TARGET_CONNECT_MS       100.0

/*
 * Get CIM_SoftwareIdentity, InstanceID=AMT (docs/specs/vamt-wsman.rst,
 * "Example exchanges")
 */
static const char get_request[] =
    "POST /wsman HTTP/1.1\r\n"
    "Authorization: x\r\n"
    "Host: 127.0.0.1:16992\r\n"
    "Content-Type: application/soap+xml;charset=UTF-8\r\n"
    "Content-Length: 0\r\n"
    "\r\n"
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
    "xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
    "xmlns:wsman=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\">"
    "<s:Header><wsa:Action s:mustUnderstand=\"true\">"
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</wsa:Action>"
    "<wsa:To s:mustUnderstand=\"true\">http://127.0.0.1:16992/wsman</wsa:To>"
    "<wsman:ResourceURI s:mustUnderstand=\"true\">"
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity"
    "</wsman:ResourceURI><wsa:MessageID s:mustUnderstand=\"true\">"
    "6c1f0f5e-3b0a-4a43-9a2e-0d6c8d1f4e21</wsa:MessageID><wsa:ReplyTo>"
    "<wsa:Address>"
    "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
    "</wsa:Address></wsa:ReplyTo><wsman:SelectorSet>"
    "<wsman:Selector Name=\"InstanceID\">AMT</wsman:Selector>"
    "</wsman:SelectorSet></s:Header><s:Body/></s:Envelope>";

/* ---- Request templates ------------------------------------------------- */

/* Markers in Tpl.headers for the fields rebuilt for every request */
static const char auth_mark[] = "Authorization";
static const char length_mark[] = "Content-Length";

typedef struct Tpl {
    char *name;
    char *request_line;
    char *method;
    char *uri;
    GPtrArray *headers;     /* lines without CRLF, or the two marks */
    bool has_auth;
    char *body;
    size_t body_len;
    size_t ctx_off;         /* EnumerationContext value in @body ... */
    size_t ctx_len;         /* ... 0 if none */
} Tpl;

static void tpl_free(Tpl *tpl)
{
    g_free(tpl->name);
    g_free(tpl->request_line);
    g_free(tpl->method);
    g_free(tpl->uri);
    g_ptr_array_free(tpl->headers, TRUE);
    g_free(tpl->body);
    g_free(tpl);
}

static void header_line_free(gpointer p)
{
    if (p != auth_mark && p != length_mark) {
        g_free(p);
    }
}

/* Parse a captured request (Content-Length framing only). */
static Tpl *tpl_parse(const char *name, const char *data, size_t len)
{
    const char *head_end = g_strstr_len(data, len, "\r\n\r\n");
    g_auto(GStrv) lines = NULL;
    g_auto(GStrv) parts = NULL;
    const char *start, *end;
    Tpl *tpl;
    size_t i;

    if (!head_end) {
        g_printerr("%s: no end of head\n", name);
        return NULL;
    }
    tpl = g_new0(Tpl, 1);
    tpl->name = g_strdup(name);
    tpl->headers = g_ptr_array_new_with_free_func(header_line_free);
    {
        g_autofree char *head = g_strndup(data, head_end - data);

        lines = g_strsplit(head, "\r\n", -1);
    }
    tpl->request_line = g_strdup(lines[0]);
    parts = g_strsplit(lines[0], " ", 3);
    if (g_strv_length(parts) != 3) {
        g_printerr("%s: bad request line\n", name);
        tpl_free(tpl);
        return NULL;
    }
    tpl->method = g_strdup(parts[0]);
    tpl->uri = g_strdup(parts[1]);
    for (i = 1; lines[i]; i++) {
        if (g_ascii_strncasecmp(lines[i], "Authorization:", 14) == 0) {
            g_ptr_array_add(tpl->headers, (gpointer)auth_mark);
            tpl->has_auth = true;
        } else if (g_ascii_strncasecmp(lines[i], "Content-Length:", 15) == 0) {
            g_ptr_array_add(tpl->headers, (gpointer)length_mark);
        } else if (g_ascii_strncasecmp(lines[i], "Transfer-Encoding:",
                                       18) == 0) {
            g_printerr("%s: chunked captures are not replayed\n", name);
            tpl_free(tpl);
            return NULL;
        } else {
            g_ptr_array_add(tpl->headers, g_strdup(lines[i]));
        }
    }
    tpl->body_len = len - (head_end + 4 - data);
    tpl->body = g_strndup(head_end + 4, tpl->body_len);

    /* a Pull names the context its Enumerate got; replay the live one */
    start = strstr(tpl->body, "EnumerationContext>");
    if (start && start[-1] != '/') {
        start += strlen("EnumerationContext>");
        end = strchr(start, '<');
        if (end) {
            tpl->ctx_off = start - tpl->body;
            tpl->ctx_len = end - start;
        }
    }
    return tpl;
}

static GPtrArray *load_connect_sequence(const char *captures)
{
    g_autofree char *dir = g_build_filename(captures, CONNECT_DIR, NULL);
    g_autoptr(GPtrArray) raw = vamt_test_captures_load(dir);
    GPtrArray *seq = g_ptr_array_new_with_free_func((GDestroyNotify)tpl_free);
    guint i;

    if (!raw) {
        g_printerr("cannot open %s\n", dir);
        exit(1);
    }
    for (i = 0; i < raw->len; i++) {
        const VamtTestCapture *c = g_ptr_array_index(raw, i);
        Tpl *tpl = tpl_parse(c->name, c->data, c->len);

        if (!tpl) {
            g_printerr("cannot load %s/%s\n", dir, c->name);
            exit(1);
        }
        g_ptr_array_add(seq, tpl);
    }
    if (seq->len < 2 || ((Tpl *)seq->pdata[0])->has_auth) {
        g_printerr("%s: expected a 401 probe and authenticated requests\n",
                   dir);
        exit(1);
    }
    return seq;
}

/* ---- Responses ---------------------------------------------------------- */

typedef struct Rsp {
    int status;
    size_t len;             /* the whole response */
    const char *body;       /* as sent (chunk framing included) */
    size_t body_len;
    bool close;
    const char *challenge;  /* WWW-Authenticate value (not NUL-ended) */
    size_t challenge_len;
} Rsp;

/*
 * Parse the response at the start of @p: 1 when complete, 0 when more
 * is needed, -1 when malformed.  @eof: the peer closed after @n bytes.
 */
static int rsp_parse(const char *p, size_t n, bool eof, Rsp *r)
{
    const char *head_end;
    const char *line, *eol;
    bool chunked = false;
    bool has_length = false;
    size_t length = 0;
    size_t pos;

    memset(r, 0, sizeof(*r));
    if (!n) {
        return eof ? -1 : 0;
    }
    head_end = memmem(p, n, "\r\n\r\n", 4);
    if (!head_end) {
        return eof ? -1 : 0;
    }
    if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0) {
        return -1;
    }
    r->status = atoi(p + 9);
    line = memchr(p, '\n', head_end - p) + 1;
    for (; line < head_end; line = eol + 1) {
        const char *v, *colon;
        size_t vlen;

        eol = memchr(line, '\n', head_end + 2 - line);
        colon = memchr(line, ':', eol - line);
        if (!colon) {
            return -1;
        }
        v = colon + 1;
        while (*v == ' ') {
            v++;
        }
        vlen = eol - 1 - v;
        if (colon - line == 14 &&
            g_ascii_strncasecmp(line, "Content-Length", 14) == 0) {
            has_length = true;
            length = g_ascii_strtoull(v, NULL, 10);
        } else if (colon - line == 17 &&
                   g_ascii_strncasecmp(line, "Transfer-Encoding", 17) == 0) {
            chunked = vlen >= 7 && g_ascii_strncasecmp(v, "chunked", 7) == 0;
        } else if (colon - line == 10 &&
                   g_ascii_strncasecmp(line, "Connection", 10) == 0) {
            r->close = vlen >= 5 && g_ascii_strncasecmp(v, "close", 5) == 0;
        } else if (colon - line == 16 &&
                   g_ascii_strncasecmp(line, "WWW-Authenticate", 16) == 0) {
            r->challenge = v;
            r->challenge_len = vlen;
        }
    }
    pos = head_end + 4 - p;
    r->body = p + pos;
    if (chunked) {
        for (;;) {
            const char *nl = memchr(p + pos, '\n', n - pos);
            size_t size;

            if (!nl) {
                return eof ? -1 : 0;
            }
            size = g_ascii_strtoull(p + pos, NULL, 16);
            pos = nl + 1 - p;
            if (size == 0) {
                /* no trailers: the last chunk ends with an empty line */
                if (n - pos < 2) {
                    return eof ? -1 : 0;
                }
                pos += 2;
                break;
            }
            if (n - pos < size + 2) {
                return eof ? -1 : 0;
            }
            pos += size + 2;
        }
    } else if (has_length) {
        if (n - pos < length) {
            return eof ? -1 : 0;
        }
        pos += length;
    } else if (r->status != 204 && r->status != 304 && r->status >= 200) {
        if (!eof) {
            return 0;       /* body ends with the connection */
        }
        pos = n;
    }
    r->body_len = p + pos - r->body;
    r->len = pos;
    return 1;
}

/* Copy parameter @name of a Digest challenge into @out. */
static bool challenge_param(const Rsp *r, const char *name, char *out,
                            size_t size)
{
    g_autofree char *c = g_strndup(r->challenge, r->challenge_len);
    g_autofree char *v = vamt_test_challenge_param(c, name);

    return v && g_strlcpy(out, v, size) < size;
}

/* ---- Transports --------------------------------------------------------- */

typedef struct Transport Transport;

typedef struct TransportOps {
    bool (*connect)(Transport *t);
    void (*disconnect)(Transport *t);
    bool (*send)(Transport *t, const char *data, size_t len);
    /* Append more input to @t->in; false on EOF or error. */
    bool (*recv)(Transport *t);
} TransportOps;

struct Transport {
    const TransportOps *ops;
    const char *label;
    GByteArray *in;
    size_t in_off;
    /* TCP */
    struct sockaddr_in addr;
    int fd;
    /* in process */
    VamtTestPlatform fake;
    VamtFirmware fw;
    VamtMe *me;
    VamtHttpConn *conn;
    bool conn_closed;
};

static void transport_reset_input(Transport *t)
{
    g_byte_array_set_size(t->in, 0);
    t->in_off = 0;
}

static void transport_consume(Transport *t, size_t len)
{
    t->in_off += len;
    if (t->in_off == t->in->len) {
        transport_reset_input(t);
    }
}

/* TCP */

static bool tcp_connect(Transport *t)
{
    int one = 1;

    t->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (t->fd < 0) {
        perror("socket");
        return false;
    }
    setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(t->fd, (struct sockaddr *)&t->addr, sizeof(t->addr)) < 0) {
        perror("connect");
        close(t->fd);
        t->fd = -1;
        return false;
    }
    transport_reset_input(t);
    return true;
}

static void tcp_disconnect(Transport *t)
{
    if (t->fd >= 0) {
        close(t->fd);
        t->fd = -1;
    }
    transport_reset_input(t);
}

static bool tcp_send(Transport *t, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(t->fd, data, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        data += n;
        len -= n;
    }
    return true;
}

static bool tcp_recv(Transport *t)
{
    guint old = t->in->len;
    ssize_t n;

    if (t->in_off > 65536) {
        g_byte_array_remove_range(t->in, 0, t->in_off);
        old -= t->in_off;
        t->in_off = 0;
    }
    g_byte_array_set_size(t->in, old + 65536);
    do {
        n = read(t->fd, t->in->data + old, 65536);
    } while (n < 0 && errno == EINTR);
    g_byte_array_set_size(t->in, old + (n > 0 ? n : 0));
    return n > 0;
}

static const TransportOps tcp_ops = {
    .connect = tcp_connect,
    .disconnect = tcp_disconnect,
    .send = tcp_send,
    .recv = tcp_recv,
};

/* In process: the ME core on a fake platform */

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The test platform, on real clocks and real random bytes */
static int64_t bench_time_utc(void *opaque)
{
    return time(NULL);
}

static int64_t bench_clock_ms(void *opaque)
{
    return now_ns() / 1000000;
}

static void bench_random(void *opaque, uint8_t *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        buf[i] = g_random_int_range(0, 256);
    }
}

static const VamtPlatformOps bench_platform_ops = {
    .power_state = vamt_test_power_state,
    .power_request = vamt_test_power_request,
    .set_boot_target = vamt_test_set_boot_target,
    .inventory = vamt_test_inventory,
    .time_utc = bench_time_utc,
    .me_clock_ms = bench_clock_ms,
    .guest_clock_ms = bench_clock_ms,
    .random = bench_random,
};

static void inproc_write(void *opaque, const uint8_t *data, size_t len)
{
    Transport *t = opaque;

    g_byte_array_append(t->in, data, len);
}

static void inproc_close(void *opaque)
{
    ((Transport *)opaque)->conn_closed = true;
}

static const VamtStreamOps inproc_conn_ops = {
    .write = inproc_write,
    .close = inproc_close,
};

static bool inproc_connect(Transport *t)
{
    t->conn = vamt_http_conn_new(vamt_me_http(t->me), &inproc_conn_ops, t);
    t->conn_closed = false;
    transport_reset_input(t);
    return true;
}

static void inproc_disconnect(Transport *t)
{
    g_clear_pointer(&t->conn, vamt_http_conn_free);
    transport_reset_input(t);
}

static bool inproc_send(Transport *t, const char *data, size_t len)
{
    if (t->conn_closed) {
        return false;
    }
    vamt_http_conn_input(t->conn, (const uint8_t *)data, len);
    return true;
}

static bool inproc_recv(Transport *t)
{
    /* the ME answers synchronously: nothing more will come */
    return false;
}

static const TransportOps inproc_ops = {
    .connect = inproc_connect,
    .disconnect = inproc_disconnect,
    .send = inproc_send,
    .recv = inproc_recv,
};

static Transport *transport_new_inproc(void)
{
    Transport *t = g_new0(Transport, 1);
    VamtTestPlatform *f = &t->fake;

    t->ops = &inproc_ops;
    t->label = "in-process";
    t->in = g_byte_array_new();
    t->fd = -1;
    /* what a QEMU guest under TCG reports, as in the QEMU column */
    vamt_test_platform_init(f, VAMT_POWER_ON);
    f->inv = (VamtInventory) {
        .bios_vendor = "SeaBIOS",
        .bios_version = "1.16.3",
        .bios_date = "04/01/2014",
        .system_manufacturer = "QEMU",
        .system_product = "Standard PC (Q35 + ICH9, 2009)",
        .system_version = "pc-q35-10.0",
        .system_serial = "",
        .board_manufacturer = "QEMU",
        .board_product = "Standard PC (Q35 + ICH9, 2009)",
        .chassis_manufacturer = "QEMU",
        .cpus = 1,
        .cpu_model = "QEMU TCG CPU",
        .cpu_max_mhz = 2000,
        .ram_bytes = 512ULL << 20,
        .nics = 0,
    };
    vamt_firmware_init(&t->fw);
    t->me = vamt_me_new(&t->fw, &bench_platform_ops, &t->fake);
    vamt_me_set_admin_password(t->me, PASSWORD);
    return t;
}

static Transport *transport_new_tcp(const char *label, const char *hostport)
{
    g_autofree char *host = g_strdup(hostport);
    char *colon = strrchr(host, ':');
    Transport *t;

    if (!colon) {
        g_printerr("%s: expected HOST:PORT\n", hostport);
        exit(2);
    }
    *colon = '\0';
    t = g_new0(Transport, 1);
    t->ops = &tcp_ops;
    t->label = label;
    t->in = g_byte_array_new();
    t->fd = -1;
    t->addr.sin_family = AF_INET;
    t->addr.sin_port = htons(atoi(colon + 1));
    if (inet_pton(AF_INET, host, &t->addr.sin_addr) != 1) {
        g_printerr("%s: expected an IPv4 address\n", hostport);
        exit(2);
    }
    return t;
}

static void transport_free(Transport *t)
{
    t->ops->disconnect(t);
    if (t->me) {
        vamt_me_free(t->me);
        vamt_test_platform_destroy(&t->fake);
    }
    g_byte_array_free(t->in, TRUE);
    g_free(t);
}

/* ---- Client ------------------------------------------------------------- */

typedef struct Client {
    Transport *t;
    char realm[128];
    char nonce[128];
    char ha1[VAMT_TEST_MD5_HEX_SIZE];
    char cnonce[33];
    unsigned nc;
    char enum_ctx[128];
    GString *out;
} Client;

static void append_authorization(Client *c, const Tpl *tpl)
{
    char nc[9];
    const VamtTestDigestAuth a = {
        .user = USER, .realm = c->realm, .method = tpl->method,
        .uri = tpl->uri, .nonce = c->nonce, .nc = nc, .cnonce = c->cnonce,
    };

    snprintf(nc, sizeof(nc), "%08x", ++c->nc);
    g_string_append(c->out, "Authorization: ");
    vamt_test_digest_append_authorization(c->out, &a, c->ha1);
    g_string_append(c->out, "\r\n");
}

/* Append @tpl to @c->out, with fresh credentials when @auth. */
static void build_request(Client *c, const Tpl *tpl, bool auth)
{
    bool ctx = tpl->ctx_len && c->enum_ctx[0];
    size_t body_len = tpl->body_len;
    guint i;

    if (ctx) {
        body_len += strlen(c->enum_ctx) - tpl->ctx_len;
    }
    g_string_append(c->out, tpl->request_line);
    g_string_append(c->out, "\r\n");
    for (i = 0; i < tpl->headers->len; i++) {
        const char *h = tpl->headers->pdata[i];

        if (h == auth_mark) {
            if (auth) {
                append_authorization(c, tpl);
            }
        } else if (h == length_mark) {
            g_string_append_printf(c->out, "Content-Length: %zu\r\n",
                                   body_len);
        } else {
            g_string_append(c->out, h);
            g_string_append(c->out, "\r\n");
        }
    }
    g_string_append(c->out, "\r\n");
    if (ctx) {
        g_string_append_len(c->out, tpl->body, tpl->ctx_off);
        g_string_append(c->out, c->enum_ctx);
        g_string_append_len(c->out, tpl->body + tpl->ctx_off + tpl->ctx_len,
                            tpl->body_len - tpl->ctx_off - tpl->ctx_len);
    } else {
        g_string_append_len(c->out, tpl->body, tpl->body_len);
    }
}

static bool read_response(Client *c, Rsp *r)
{
    Transport *t = c->t;

    for (;;) {
        int k = rsp_parse((const char *)t->in->data + t->in_off,
                          t->in->len - t->in_off, false, r);

        if (k) {
            return k > 0;
        }
        if (!t->ops->recv(t)) {
            return rsp_parse((const char *)t->in->data + t->in_off,
                             t->in->len - t->in_off, true, r) > 0;
        }
    }
}

/* Send @tpl and read its answer into @r (valid until consumed). */
static bool exchange(Client *c, const Tpl *tpl, bool auth, Rsp *r)
{
    g_string_truncate(c->out, 0);
    build_request(c, tpl, auth);
    return c->t->ops->send(c->t, c->out->str, c->out->len) &&
           read_response(c, r);
}

/* Remember the EnumerationContext an answer hands out. */
static void note_enum_context(Client *c, const Rsp *r)
{
    const char *p = memmem(r->body, r->body_len, "EnumerationContext>", 19);
    const char *end;

    if (!p || p[-1] == '/') {
        return;
    }
    p += strlen("EnumerationContext>");
    end = memchr(p, '<', r->body + r->body_len - p);
    if (end && (size_t)(end - p) < sizeof(c->enum_ctx)) {
        memcpy(c->enum_ctx, p, end - p);
        c->enum_ctx[end - p] = '\0';
    }
}

/*
 * Log on as consoles do: an unauthenticated @probe gets 401 and a closed
 * connection; take realm and nonce from the challenge and reconnect.
 */
static bool client_logon(Client *c, const Tpl *probe)
{
    Transport *t = c->t;
    Rsp r = { 0 };

    if (!t->ops->connect(t)) {
        return false;
    }
    if (!exchange(c, probe, false, &r) || r.status != 401 ||
        !challenge_param(&r, "realm", c->realm, sizeof(c->realm)) ||
        !challenge_param(&r, "nonce", c->nonce, sizeof(c->nonce))) {
        g_printerr("%s: no Digest challenge (status %d)\n", t->label,
                   r.status);
        return false;
    }
    t->ops->disconnect(t);
    vamt_test_digest_ha1(USER, c->realm, PASSWORD, c->ha1);
    snprintf(c->cnonce, sizeof(c->cnonce), "%08x%08x%08x%08x",
             g_random_int(), g_random_int(), g_random_int(), g_random_int());
    c->nc = 0;
    c->enum_ctx[0] = '\0';
    return t->ops->connect(t);
}

/* ---- Measurements ------------------------------------------------------- */

typedef struct Options {
    unsigned requests;      /* per latency / throughput run */
    unsigned warmup;
    unsigned rounds;
    unsigned depth;         /* pipelined requests in flight */
    unsigned sequences;     /* connect sequences per round */
    double max_ms;          /* cap on one throughput measurement */
} Options;

typedef struct Stats {
    Transport *t;
    GArray *latency_ms;     /* Get, pooled over rounds */
    GArray *seq_rps;        /* one per round */
    GArray *pipe_rps;
    GArray *connect_ms;     /* pooled over rounds */
    GString *statuses;      /* of the first connect sequence */
    unsigned reconnects;
    unsigned get_bytes;
    bool failed;
} Stats;

static double elapsed_ms(int64_t start_ns)
{
    return (now_ns() - start_ns) / 1e6;
}

static bool get_once(Client *c, const Tpl *get, const char *label)
{
    Rsp r = { 0 };

    if (!exchange(c, get, true, &r) || r.status != 200) {
        g_printerr("%s: Get failed (status %d)\n", label, r.status);
        return false;
    }
    transport_consume(c->t, r.len);
    return true;
}

static bool run_get(Client *c, Stats *s, const Tpl *get, const Options *o)
{
    unsigned i;
    int64_t t0;
    Rsp r = { 0 };

    if (!client_logon(c, get)) {
        return false;
    }
    for (i = 0; i < o->warmup; i++) {
        if (!get_once(c, get, s->t->label)) {
            return false;
        }
    }

    /* latency: one request at a time */
    for (i = 0; i < o->requests; i++) {
        double ms;

        t0 = now_ns();
        if (!exchange(c, get, true, &r) || r.status != 200) {
            g_printerr("%s: Get failed (status %d)\n", s->t->label, r.status);
            return false;
        }
        ms = elapsed_ms(t0);
        s->get_bytes = r.len;
        transport_consume(c->t, r.len);
        g_array_append_val(s->latency_ms, ms);
    }

    /* sequential throughput, untimed requests */
    t0 = now_ns();
    for (i = 0; i < o->requests && elapsed_ms(t0) < o->max_ms; i++) {
        if (!get_once(c, get, s->t->label)) {
            return false;
        }
    }
    {
        double rps = i / (elapsed_ms(t0) / 1000.0);

        g_array_append_val(s->seq_rps, rps);
    }

    /* pipelined: @depth requests in one write, then their answers */
    t0 = now_ns();
    for (i = 0; i < o->requests && elapsed_ms(t0) < o->max_ms;
         i += o->depth) {
        unsigned j, batch = MIN(o->depth, o->requests - i);

        g_string_truncate(c->out, 0);
        for (j = 0; j < batch; j++) {
            build_request(c, get, true);
        }
        if (!c->t->ops->send(c->t, c->out->str, c->out->len)) {
            return false;
        }
        for (j = 0; j < batch; j++) {
            if (!read_response(c, &r) || r.status != 200) {
                g_printerr("%s: pipelined Get failed (status %d)\n",
                           s->t->label, r.status);
                return false;
            }
            transport_consume(c->t, r.len);
        }
    }
    {
        double rps = MIN(i, o->requests) / (elapsed_ms(t0) / 1000.0);

        g_array_append_val(s->pipe_rps, rps);
    }
    c->t->ops->disconnect(c->t);
    return true;
}

/* The MeshCommander connect sequence, from the probe to the last answer */
static bool run_connect(Client *c, Stats *s, GPtrArray *seq, bool record)
{
    Transport *t = c->t;
    int64_t t0 = now_ns();
    double ms;
    guint i;
    Rsp r = { 0 };

    if (!client_logon(c, seq->pdata[0])) {
        return false;
    }
    if (record) {
        g_string_append(s->statuses, "401");
    }
    for (i = 1; i < seq->len; i++) {
        const Tpl *tpl = seq->pdata[i];

        if (!exchange(c, tpl, tpl->has_auth, &r)) {
            g_printerr("%s: %s: no answer\n", t->label, tpl->name);
            return false;
        }
        if (record) {
            g_string_append_printf(s->statuses, " %d", r.status);
            if (r.status != 200) {
                g_string_append_printf(s->statuses, " (%.4s)", tpl->name);
            }
        }
        if (r.status == 200) {
            note_enum_context(c, &r);
        }
        transport_consume(t, r.len);
        if (r.close) {
            /* as MeshCommander: reconnect, keep the nonce */
            t->ops->disconnect(t);
            if (!t->ops->connect(t)) {
                return false;
            }
            if (record) {
                s->reconnects++;
            }
        }
    }
    ms = elapsed_ms(t0);
    g_array_append_val(s->connect_ms, ms);
    t->ops->disconnect(t);
    return true;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double percentile(GArray *a, double p)
{
    size_t k;

    if (!a->len) {
        return NAN;
    }
    qsort(a->data, a->len, sizeof(double), cmp_double);
    k = (size_t)ceil(p / 100.0 * a->len);
    return g_array_index(a, double, k ? k - 1 : 0);
}

/* ---- Report ------------------------------------------------------------- */

static void fmt_value(char *buf, size_t size, double v, const char *fmt)
{
    if (isnan(v)) {
        snprintf(buf, size, "-");
    } else {
        snprintf(buf, size, fmt, v);
    }
}

static const char *met(double v, double limit, bool higher_better)
{
    if (isnan(v)) {
        return "-";
    }
    return (higher_better ? v >= limit : v <= limit) ? "yes" : "NO";
}

static void print_row(const char *metric, const char *fmt, const double v[3],
                      const char *target, double limit, bool higher_better)
{
    char cell[3][32], ratio[2][32], verdict[32] = "";
    int i;

    for (i = 0; i < 3; i++) {
        fmt_value(cell[i], sizeof(cell[i]), v[i], fmt);
    }
    for (i = 0; i < 2; i++) {
        fmt_value(ratio[i], sizeof(ratio[i]), v[i] / v[2], "%.2f");
    }
    if (!isnan(limit)) {
        snprintf(verdict, sizeof(verdict), "%s/%s",
                 met(v[0], limit, higher_better),
                 met(v[1], limit, higher_better));
    }
    printf("%-34s %12s %12s %12s %9s %9s  %-14s %s\n", metric, cell[0],
           cell[1], cell[2], ratio[0], ratio[1], target, verdict);
}

static void usage(void)
{
    g_printerr("usage: wsman-bench [--baseline HOST:PORT] [--qemu HOST:PORT]\n"
               "         [--captures DIR] [-n REQUESTS] [--rounds N]\n"
               "         [--depth N] [--sequences N] [--max-seconds S]\n"
               "         [--no-inproc]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *captures = VAMT_CAPTURES_DIR;
    const char *baseline = NULL, *qemu = NULL;
    Options o = {
        .requests = 10000, .warmup = 500, .rounds = 3, .depth = 16,
        .sequences = 50, .max_ms = 3000,
    };
    bool inproc = true;
    Stats stats[3] = { { 0 } };
    GPtrArray *seq;
    Tpl *get;
    double v[3];
    unsigned i, round;
    int k;

    for (k = 1; k < argc; k++) {
        const char *a = argv[k];
        const char *val = k + 1 < argc ? argv[k + 1] : NULL;

        if (!strcmp(a, "--no-inproc")) {
            inproc = false;
            continue;
        }
        if (!val) {
            usage();
        }
        k++;
        if (!strcmp(a, "--baseline")) {
            baseline = val;
        } else if (!strcmp(a, "--qemu")) {
            qemu = val;
        } else if (!strcmp(a, "--captures")) {
            captures = val;
        } else if (!strcmp(a, "-n")) {
            o.requests = MAX(atoi(val), 1);
        } else if (!strcmp(a, "--rounds")) {
            o.rounds = MAX(atoi(val), 1);
        } else if (!strcmp(a, "--depth")) {
            o.depth = MAX(atoi(val), 1);
        } else if (!strcmp(a, "--max-seconds")) {
            o.max_ms = MAX(atof(val), 0.1) * 1000;
        } else if (!strcmp(a, "--sequences")) {
            o.sequences = MAX(atoi(val), 1);
        } else {
            usage();
        }
    }
    o.warmup = MIN(o.warmup, o.requests);

    seq = load_connect_sequence(captures);
    get = tpl_parse("get", get_request, strlen(get_request));
    stats[0].t = inproc ? transport_new_inproc() : NULL;
    stats[1].t = qemu ? transport_new_tcp("QEMU", qemu) : NULL;
    stats[2].t = baseline ? transport_new_tcp("baseline", baseline) : NULL;
    for (i = 0; i < 3; i++) {
        stats[i].latency_ms = g_array_new(FALSE, FALSE, sizeof(double));
        stats[i].seq_rps = g_array_new(FALSE, FALSE, sizeof(double));
        stats[i].pipe_rps = g_array_new(FALSE, FALSE, sizeof(double));
        stats[i].connect_ms = g_array_new(FALSE, FALSE, sizeof(double));
        stats[i].statuses = g_string_new(NULL);
    }

    /* interleave the servers round by round, so drift hits all alike */
    for (round = 0; round < o.rounds; round++) {
        for (i = 0; i < 3; i++) {
            Stats *s = &stats[i];
            Client c = { .t = s->t, .out = g_string_new(NULL) };
            unsigned j;

            if (!s->t || s->failed) {
                g_string_free(c.out, TRUE);
                continue;
            }
            s->failed = !run_get(&c, s, get, &o);
            s->t->ops->disconnect(s->t);
            for (j = 0; j < o.sequences && !s->failed; j++) {
                s->failed = !run_connect(&c, s, seq, round == 0 && j == 0);
            }
            s->t->ops->disconnect(s->t);
            g_string_free(c.out, TRUE);
        }
    }

    printf("\nvAMT WS-Man benchmark: %u Get requests x %u rounds per server, "
           "pipeline depth %u,\n%u connect sequences (%u requests each) x "
           "%u rounds; client and servers on one machine\n\n",
           o.requests, o.rounds, o.depth, o.sequences, seq->len, o.rounds);
    printf("%-34s %12s %12s %12s %9s %9s  %-14s %s\n", "metric",
           "in-process", "via QEMU", "baseline", "ratio:inp", "ratio:QEMU",
           "target", "met inp/QEMU");
#define COLUMN(fn) \
    for (i = 0; i < 3; i++) { \
        v[i] = stats[i].t && !stats[i].failed ? (fn) : NAN; \
    }
    COLUMN(percentile(stats[i].latency_ms, 50));
    print_row("Get latency p50 (ms)", "%.4f", v, "<= 0.3 ms",
              TARGET_P50_MS, false);
    COLUMN(percentile(stats[i].latency_ms, 99));
    print_row("Get latency p99 (ms)", "%.4f", v, "", NAN, false);
    COLUMN(percentile(stats[i].seq_rps, 50));
    print_row("keep-alive sequential (req/s)", "%.0f", v, ">= 5000 req/s",
              TARGET_RPS, true);
    COLUMN(percentile(stats[i].pipe_rps, 50));
    print_row("keep-alive pipelined (req/s)", "%.0f", v, ">= 5000 req/s",
              TARGET_RPS, true);
    COLUMN(percentile(stats[i].connect_ms, 50));
    print_row("connect sequence p50 (ms)", "%.3f", v, "<= 100 ms",
              TARGET_CONNECT_MS, false);
    COLUMN(percentile(stats[i].connect_ms, 99));
    print_row("connect sequence p99 (ms)", "%.3f", v, "", NAN, false);
#undef COLUMN

    printf("\nratio = vAMT / baseline (latency: higher is slower; req/s: "
           "lower is slower).\n");
    printf("in-process = the ME core fed directly (no socket), so its ratio "
           "can be < 1 for latency.\n"
           "The baseline answers every request with Authorization with a "
           "fixed 200 and the others\nwith a fixed 401 + close, so the "
           "connect sequence reconnects there as well.\n");
    for (i = 0; i < 3; i++) {
        Stats *s = &stats[i];

        if (!s->t) {
            if (i == 1) {
                printf("via QEMU: skipped (no --qemu)\n");
            } else if (i == 2) {
                printf("baseline: skipped (no --baseline), no ratios\n");
            }
            continue;
        }
        if (s->failed) {
            printf("%s: FAILED (see the messages above)\n", s->t->label);
            continue;
        }
        printf("%s: Get response %u bytes; connect sequence statuses: %s; "
               "reconnects after errors: %u\n", s->t->label, s->get_bytes,
               s->statuses->str, s->reconnects);
    }
    printf("mean Get latency:");
    for (i = 0; i < 3; i++) {
        double sum = 0;
        guint j;

        if (!stats[i].t || stats[i].failed) {
            continue;
        }
        for (j = 0; j < stats[i].latency_ms->len; j++) {
            sum += g_array_index(stats[i].latency_ms, double, j);
        }
        printf(" %s %.4f ms", stats[i].t->label,
               sum / stats[i].latency_ms->len);
    }
    printf("\n");

    for (i = 0; i < 3; i++) {
        if (stats[i].t) {
            transport_free(stats[i].t);
        }
        g_array_free(stats[i].latency_ms, TRUE);
        g_array_free(stats[i].seq_rps, TRUE);
        g_array_free(stats[i].pipe_rps, TRUE);
        g_array_free(stats[i].connect_ms, TRUE);
        g_string_free(stats[i].statuses, TRUE);
    }
    tpl_free(get);
    g_ptr_array_free(seq, TRUE);
    return 0;
}
