/*
 * Unit tests of the APF session (hw/vamt/me/apf): the handshake in the
 * orders LMS, rpc-go and MeshAgent use, channels to the ME's own HTTP
 * service with window accounting, closing, re-sync and hostile input.
 * The peer here is the host agent; its messages are built byte by byte
 * as heci.md 5.5 lays them out.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "apf.h"
#include "me.h"
#include "vamt-test-support.h"

#define WINDOW      4096
#define MAX_DATA    (4096 - 9)

typedef struct Peer {
    VamtTestPlatform platform;
    VamtFirmware fw;
    VamtMe *me;
    VamtApf *apf;
    GPtrArray *in;              /* messages from the ME, oldest first */
    bool full;                  /* the transport takes nothing */
    bool redirection;           /* 16994 is served */
    unsigned wakes;
} Peer;

static void peer_send(void *opaque, const uint8_t *msg, size_t len)
{
    Peer *p = opaque;

    g_assert_cmpuint(len, >, 0);
    g_ptr_array_add(p->in, g_byte_array_append(g_byte_array_new(), msg, len));
}

static bool peer_can_send(void *opaque)
{
    return !((Peer *)opaque)->full;
}

static const VamtService *peer_service(void *opaque, uint16_t port)
{
    Peer *p = opaque;

    return vamt_me_service(p->me, port == 623 ? 16992 : port);
}

static void peer_wake(void *opaque)
{
    ((Peer *)opaque)->wakes++;
}

static const VamtApfOps peer_ops = {
    .send = peer_send,
    .can_send = peer_can_send,
    .service = peer_service,
    .wake = peer_wake,
};

static Peer *peer_new(void)
{
    Peer *p = g_new0(Peer, 1);
    VamtApfConfig cfg = {
        .trigger = VAMT_APF_TRIGGER_LME,
        .ports = { 16992, 623 },
        .nports = 2,
        .max_data = MAX_DATA,
        .window = WINDOW,
        .peer = "lme",
    };

    p->me = vamt_test_me_new(&p->platform, &p->fw);
    memcpy(cfg.uuid, p->fw.system_uuid, 16);
    p->in = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    p->apf = vamt_apf_new(&peer_ops, p, &cfg);
    return p;
}

static void peer_free(Peer *p)
{
    vamt_apf_free(p->apf);
    vamt_me_free(p->me);
    vamt_test_platform_destroy(&p->platform);
    g_ptr_array_free(p->in, TRUE);
    g_free(p);
}

/* The oldest message from the ME (the caller frees it) */
static GByteArray *next(Peer *p)
{
    g_assert_cmpuint(p->in->len, >, 0);
    return g_ptr_array_steal_index(p->in, 0);
}

static uint32_t be32_at(const GByteArray *m, size_t off)
{
    g_assert_cmpuint(m->len, >=, off + 4);
    return (uint32_t)m->data[off] << 24 | m->data[off + 1] << 16 |
           m->data[off + 2] << 8 | m->data[off + 3];
}

/* Take the next message, check its type and length (0: any) */
static GByteArray *expect(Peer *p, uint8_t type, size_t len)
{
    GByteArray *m = next(p);

    g_assert_cmpuint(m->data[0], ==, type);
    if (len) {
        g_assert_cmpuint(m->len, ==, len);
    }
    return m;
}

static void expect_drop(Peer *p, uint8_t type, size_t len)
{
    g_byte_array_unref(expect(p, type, len));
}

/* ---- what the host agent sends ---- */

typedef struct Msg {
    GByteArray *b;
} Msg;

static Msg msg(uint8_t type)
{
    Msg m = { g_byte_array_new() };

    g_byte_array_append(m.b, &type, 1);
    return m;
}

static void put32(Msg *m, uint32_t v)
{
    uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };

    g_byte_array_append(m->b, b, 4);
}

static void put_str(Msg *m, const char *s)
{
    put32(m, strlen(s));
    g_byte_array_append(m->b, (const uint8_t *)s, strlen(s));
}

static void deliver(Peer *p, Msg m)
{
    vamt_apf_message(p->apf, m.b->data, m.b->len);
    g_byte_array_unref(m.b);
}

static void send_pv(Peer *p, uint32_t major)
{
    Msg m = msg(VAMT_APF_PROTOCOL_VERSION);

    put32(&m, major);
    put32(&m, 0);
    put32(&m, 0);
    g_byte_array_set_size(m.b, VAMT_APF_PROTOCOL_VERSION_LEN);
    memset(m.b->data + 13, 0, VAMT_APF_PROTOCOL_VERSION_LEN - 13);
    deliver(p, m);
}

static void send_service_accept(Peer *p)
{
    Msg m = msg(VAMT_APF_SERVICE_ACCEPT);

    put_str(&m, VAMT_APF_PFWD_SERVICE);
    deliver(p, m);
}

static void send_request_success(Peer *p, uint32_t port)
{
    Msg m = msg(VAMT_APF_REQUEST_SUCCESS);

    put32(&m, port);
    deliver(p, m);
}

static void send_open(Peer *p, const char *type, uint32_t id, uint32_t window,
                      uint32_t port)
{
    Msg m = msg(VAMT_APF_CHANNEL_OPEN);

    put_str(&m, type);
    put32(&m, id);
    put32(&m, window);
    put32(&m, UINT32_MAX);
    put_str(&m, "127.0.0.1");
    put32(&m, port);
    put_str(&m, "127.0.0.1");
    put32(&m, 50000 + id);
    deliver(p, m);
}

static void send_data(Peer *p, uint32_t me_id, const void *data, size_t len)
{
    Msg m = msg(VAMT_APF_CHANNEL_DATA);

    put32(&m, me_id);
    put32(&m, len);
    g_byte_array_append(m.b, data, len);
    deliver(p, m);
}

static void send_adjust(Peer *p, uint32_t me_id, uint32_t add)
{
    Msg m = msg(VAMT_APF_CHANNEL_WINDOW_ADJUST);

    put32(&m, me_id);
    put32(&m, add);
    deliver(p, m);
}

static void send_close(Peer *p, uint32_t me_id)
{
    Msg m = msg(VAMT_APF_CHANNEL_CLOSE);

    put32(&m, me_id);
    deliver(p, m);
}

/* The ME's side up to a registered session, as LMS sees it */
static void handshake(Peer *p)
{
    GByteArray *m;

    vamt_apf_start(p->apf);
    m = expect(p, VAMT_APF_PROTOCOL_VERSION, VAMT_APF_PROTOCOL_VERSION_LEN);
    g_assert_cmpuint(be32_at(m, 1), ==, 1);
    g_assert_cmpuint(be32_at(m, 5), ==, 0);
    g_assert_cmpuint(be32_at(m, 9), ==, VAMT_APF_TRIGGER_LME);
    g_assert_cmpmem(m->data + 13, 16, p->fw.system_uuid, 16);
    g_byte_array_unref(m);
    m = expect(p, VAMT_APF_SERVICE_REQUEST, 5 + 18);
    g_assert_cmpmem(m->data + 5, 18, VAMT_APF_PFWD_SERVICE, 18);
    g_byte_array_unref(m);
    /* the agent's own version: no version back (no ping-pong) */
    send_pv(p, 1);
    g_assert_cmpuint(p->in->len, ==, 0);
    send_service_accept(p);
    for (unsigned i = 0; i < 2; i++) {
        static const uint32_t ports[] = { 16992, 623 };

        m = expect(p, VAMT_APF_GLOBAL_REQUEST, 0);
        g_assert_cmpuint(be32_at(m, 1), ==, 13);
        g_assert_cmpmem(m->data + 5, 13, "tcpip-forward", 13);
        g_assert_cmpuint(m->data[18], ==, 1);           /* want reply */
        g_assert_cmpuint(be32_at(m, 19), ==, 9);
        g_assert_cmpmem(m->data + 23, 9, "127.0.0.1", 9);
        g_assert_cmpuint(be32_at(m, 32), ==, ports[i]);
        g_byte_array_unref(m);
        send_request_success(p, ports[i]);
    }
    g_assert_cmpuint(p->in->len, ==, 0);
}

static VamtApfInfo info(Peer *p)
{
    VamtApfInfo i;

    vamt_apf_get_info(p->apf, &i);
    return i;
}

/* Open a channel; returns the ME's id for it */
static uint32_t open_channel(Peer *p, uint32_t id, uint32_t window,
                             uint32_t port)
{
    GByteArray *m;
    uint32_t me_id;

    send_open(p, "forwarded-tcpip", id, window, port);
    m = expect(p, VAMT_APF_CHANNEL_OPEN_CONFIRMATION, 17);
    g_assert_cmpuint(be32_at(m, 1), ==, id);
    me_id = be32_at(m, 5);
    g_assert_cmpuint(be32_at(m, 9), ==, WINDOW);
    g_assert_cmpuint(be32_at(m, 13), ==, UINT32_MAX);
    g_byte_array_unref(m);
    return me_id;
}

static char *identify_request(void)
{
    return vamt_test_post_request("127.0.0.1:16992", "/wsman", NULL,
                                  "<?xml version=\"1.0\"?><s:Envelope "
                                  "xmlns:s=\"" NS_SOAP "\" xmlns:i=\""
                                  "http://schemas.dmtf.org/wbem/wsman/"
                                  "identity/1/wsmanidentity.xsd\">"
                                  "<s:Header/><s:Body><i:Identify/>"
                                  "</s:Body></s:Envelope>");
}

/* Collect CHANNEL_DATA for peer channel @id until nothing is left */
static GString *collect(Peer *p, uint32_t id, unsigned *messages)
{
    GString *s = g_string_new(NULL);

    while (p->in->len) {
        GByteArray *m = next(p);

        if (m->data[0] == VAMT_APF_CHANNEL_DATA && be32_at(m, 1) == id) {
            g_assert_cmpuint(be32_at(m, 5), ==, m->len - 9);
            g_assert_cmpuint(m->len - 9, <=, MAX_DATA);
            g_string_append_len(s, (const char *)m->data + 9, m->len - 9);
            if (messages) {
                (*messages)++;
            }
        } else {
            /* put anything else back for the caller, in order */
            g_ptr_array_insert(p->in, 0, m);
            break;
        }
        g_byte_array_unref(m);
    }
    return s;
}

/* ---- tests ---- */

static void test_handshake_lms(void)
{
    Peer *p = peer_new();

    handshake(p);
    g_assert_true(info(p).registered);
    g_assert_cmpuint(info(p).forwards, ==, 2);
    peer_free(p);
}

/* MeshAgent only answers the ME's version; rpc-go echoes it once */
static void test_handshake_answering_agent(void)
{
    Peer *p = peer_new();

    vamt_apf_start(p->apf);
    expect_drop(p, VAMT_APF_PROTOCOL_VERSION, VAMT_APF_PROTOCOL_VERSION_LEN);
    expect_drop(p, VAMT_APF_SERVICE_REQUEST, 23);
    send_pv(p, 1);
    send_pv(p, 1);
    g_assert_cmpuint(p->in->len, ==, 0);
    send_service_accept(p);
    expect_drop(p, VAMT_APF_GLOBAL_REQUEST, 0);
    expect_drop(p, VAMT_APF_GLOBAL_REQUEST, 0);
    /* the agent refuses one port: the session goes on without it */
    send_request_success(p, 16992);
    deliver(p, msg(VAMT_APF_REQUEST_FAILURE));
    g_assert_true(info(p).registered);
    g_assert_cmpuint(info(p).forwards, ==, 1);
    send_open(p, "forwarded-tcpip", 3, WINDOW, 623);
    {
        GByteArray *m = expect(p, VAMT_APF_CHANNEL_OPEN_FAILURE, 17);

        g_assert_cmpuint(be32_at(m, 1), ==, 3);
        g_assert_cmpuint(be32_at(m, 5), ==, VAMT_APF_OPEN_PROHIBITED);
        g_byte_array_unref(m);
    }
    peer_free(p);
}

static void test_http_over_channel(void)
{
    Peer *p = peer_new();
    g_autofree char *req = identify_request();
    g_autoptr(VamtTestReply) r = NULL;
    g_autoptr(GString) got = NULL;
    uint32_t ch;

    handshake(p);
    ch = open_channel(p, 7, WINDOW, 16992);
    send_data(p, ch, req, strlen(req));
    got = collect(p, 7, NULL);
    r = vamt_test_reply_parse(got->str, got->len);
    g_assert_cmpint(r->status, ==, 200);
    g_assert_nonnull(strstr(r->body->str, "IdentifyResponse"));
    g_assert_nonnull(strstr(r->body->str, "Intel Corporation"));
    /* the DASH port is the same service */
    ch = open_channel(p, 8, WINDOW, 623);
    send_data(p, ch, req, strlen(req));
    g_string_free(collect(p, 8, NULL), TRUE);
    g_assert_cmpuint(info(p).channels, ==, 2);
    peer_free(p);
}

/* The agent's window is one byte: one byte per WINDOW_ADJUST */
static void test_one_byte_window(void)
{
    Peer *p = peer_new();
    g_autofree char *req = identify_request();
    g_autoptr(GString) all = g_string_new(NULL);
    g_autoptr(VamtTestReply) r = NULL;
    unsigned messages = 0;
    uint32_t ch;

    handshake(p);
    ch = open_channel(p, 1, 1, 16992);
    send_data(p, ch, req, strlen(req));
    for (unsigned i = 0; i < 100000; i++) {
        g_autoptr(GString) got = collect(p, 1, &messages);

        if (!got->len) {
            break;
        }
        g_assert_cmpuint(got->len, ==, 1);
        g_string_append_len(all, got->str, got->len);
        send_adjust(p, ch, 1);
    }
    r = vamt_test_reply_parse(all->str, all->len);
    g_assert_cmpint(r->status, ==, 200);
    g_assert_cmpuint(messages, ==, all->len);
    peer_free(p);
}

/* The ME gives the window back in halves, after the service took it */
static void test_window_adjust(void)
{
    Peer *p = peer_new();
    g_autofree char *req = identify_request();
    size_t sent = 0;
    uint32_t ch;
    GByteArray *m;

    handshake(p);
    ch = open_channel(p, 2, WINDOW, 16992);
    /* whole requests until half the window is used */
    while (sent < WINDOW / 2) {
        send_data(p, ch, req, strlen(req));
        sent += strlen(req);
    }
    /* each answer is CHANNEL_DATA; the adjust comes once half is used */
    for (;;) {
        g_string_free(collect(p, 2, NULL), TRUE);
        m = next(p);
        if (m->data[0] == VAMT_APF_CHANNEL_WINDOW_ADJUST) {
            break;
        }
        g_byte_array_unref(m);
    }
    g_assert_cmpuint(m->len, ==, 9);
    g_assert_cmpuint(be32_at(m, 1), ==, 2);
    g_assert_cmpuint(be32_at(m, 5), >=, WINDOW / 2);
    g_byte_array_unref(m);
    /* data beyond the window the ME gave is a protocol error */
    {
        g_autofree char *big = g_malloc0(WINDOW + 1);

        g_ptr_array_set_size(p->in, 0);
        send_data(p, ch, big, WINDOW + 1);
        m = expect(p, VAMT_APF_DISCONNECT, 7);
        g_assert_cmpuint(be32_at(m, 1), ==, VAMT_APF_REASON_PROTOCOL_ERROR);
        g_byte_array_unref(m);
        g_assert_true(info(p).disconnected);
        g_assert_cmpuint(info(p).channels, ==, 0);
    }
    peer_free(p);
}

static void test_channel_limits(void)
{
    Peer *p = peer_new();
    uint32_t ids[VAMT_APF_MAX_CHANNELS];
    GByteArray *m;

    handshake(p);
    for (uint32_t i = 0; i < VAMT_APF_MAX_CHANNELS; i++) {
        ids[i] = open_channel(p, 100 + i, WINDOW, 16992);
        for (uint32_t j = 0; j < i; j++) {
            g_assert_cmpuint(ids[i], !=, ids[j]);
        }
    }
    send_open(p, "forwarded-tcpip", 200, WINDOW, 16992);
    m = expect(p, VAMT_APF_CHANNEL_OPEN_FAILURE, 17);
    g_assert_cmpuint(be32_at(m, 1), ==, 200);
    g_assert_cmpuint(be32_at(m, 5), ==, VAMT_APF_OPEN_RESOURCE_SHORTAGE);
    g_byte_array_unref(m);
    /* closing one frees its slot, after the ME's own CLOSE */
    send_close(p, ids[3]);
    m = expect(p, VAMT_APF_CHANNEL_CLOSE, 5);
    g_assert_cmpuint(be32_at(m, 1), ==, 103);
    g_byte_array_unref(m);
    /* ... under a new id: the old one names nothing now */
    g_assert_cmpuint(open_channel(p, 201, WINDOW, 16992), !=, ids[3]);
    /* a type APF does not know, a port never registered */
    send_open(p, "session", 202, WINDOW, 16992);
    m = expect(p, VAMT_APF_CHANNEL_OPEN_FAILURE, 17);
    g_assert_cmpuint(be32_at(m, 5), ==, VAMT_APF_OPEN_UNKNOWN_TYPE);
    g_byte_array_unref(m);
    send_open(p, "forwarded-tcpip", 203, WINDOW, 22);
    m = expect(p, VAMT_APF_CHANNEL_OPEN_FAILURE, 17);
    g_assert_cmpuint(be32_at(m, 5), ==, VAMT_APF_OPEN_PROHIBITED);
    g_byte_array_unref(m);
    peer_free(p);
}

/* The service closes (HTTP "Connection: close"): data first, then CLOSE */
static void test_service_closes(void)
{
    Peer *p = peer_new();
    g_autofree char *req = identify_request();
    g_autofree char *closing = NULL;
    g_autoptr(GString) got = NULL;
    GByteArray *m;
    uint32_t ch;

    /* a request that asks the server to close after answering */
    {
        const char *host = strstr(req, "\r\nHost:");

        closing = g_strdup_printf("%.*s\r\nConnection: close%s",
                                  (int)(host - req), req, host);
    }
    handshake(p);
    ch = open_channel(p, 9, WINDOW, 16992);
    send_data(p, ch, closing, strlen(closing));
    got = collect(p, 9, NULL);
    g_assert_nonnull(strstr(got->str, "IdentifyResponse"));
    m = expect(p, VAMT_APF_CHANNEL_CLOSE, 5);
    g_assert_cmpuint(be32_at(m, 1), ==, 9);
    g_byte_array_unref(m);
    /* half closed: the slot stays until the agent's CLOSE */
    g_assert_cmpuint(info(p).channels, ==, 1);
    send_data(p, ch, "x", 1);          /* racing data: dropped */
    g_assert_cmpuint(p->in->len, ==, 0);
    send_close(p, ch);
    g_assert_cmpuint(p->in->len, ==, 0);  /* no CLOSE for a CLOSE */
    g_assert_cmpuint(info(p).channels, ==, 0);
    peer_free(p);
}

/*
 * MeshCmd's LMS (amt-lme.js) closes a channel, gets the ME's CLOSE and
 * answers it with one more CLOSE of the same id.  By then the channel
 * opened next may sit in the same slot: that stray CLOSE must not end it
 * (it did, and MeshCmd's AmtPresence waited forever for its answer).
 */
static void test_stray_close(void)
{
    Peer *p = peer_new();
    g_autofree char *req = identify_request();
    g_autoptr(GString) got = NULL;
    uint32_t first, second;
    GByteArray *m;

    handshake(p);
    first = open_channel(p, 2, WINDOW, 16992);
    send_close(p, first);
    m = expect(p, VAMT_APF_CHANNEL_CLOSE, 5);
    g_assert_cmpuint(be32_at(m, 1), ==, 2);
    g_byte_array_unref(m);
    second = open_channel(p, 3, WINDOW, 16992);
    g_assert_cmpuint(second, !=, first);
    send_close(p, first);               /* the LMS's answer to our CLOSE */
    g_assert_cmpuint(p->in->len, ==, 0);
    g_assert_cmpuint(info(p).channels, ==, 1);
    send_data(p, second, req, strlen(req));
    got = collect(p, 3, NULL);
    g_assert_nonnull(strstr(got->str, "IdentifyResponse"));
    peer_free(p);
}

/*
 * A transport that takes nothing: output waits in the channel, and
 * beyond VAMT_APF_CHANNEL_TX_HIGH the agent's requests wait too, with
 * their window not given back, so memory stays bounded.
 */
static void test_host_not_reading(void)
{
    Peer *p = peer_new();
    g_autofree char *req = identify_request();
    g_autoptr(GString) got = NULL;
    unsigned answers = 0;
    size_t sent = 0;
    uint32_t ch;
    const char *s;

    handshake(p);
    ch = open_channel(p, 4, UINT32_MAX, 16992);
    p->full = true;
    /* as many requests as the window the ME gave allows */
    while (sent + strlen(req) <= WINDOW) {
        send_data(p, ch, req, strlen(req));
        sent += strlen(req);
    }
    /* only the window the service took comes back, no data */
    for (unsigned i = 0; i < p->in->len; i++) {
        GByteArray *m = g_ptr_array_index(p->in, i);

        g_assert_cmpuint(m->data[0], ==, VAMT_APF_CHANNEL_WINDOW_ADJUST);
    }
    g_ptr_array_set_size(p->in, 0);
    p->full = false;
    vamt_apf_flush(p->apf);
    got = collect(p, 4, NULL);
    for (s = got->str; (s = strstr(s, "HTTP/1.1 200")); s++) {
        answers++;
    }
    g_assert_cmpuint(answers, ==, sent / strlen(req));
    peer_free(p);
}

/* rpc-go's handshake before each request: a re-sync */
static void test_resync(void)
{
    Peer *p = peer_new();

    handshake(p);
    open_channel(p, 5, WINDOW, 16992);
    send_pv(p, 1);
    /* channels go silently; the registration starts over */
    g_assert_cmpuint(info(p).channels, ==, 0);
    expect_drop(p, VAMT_APF_SERVICE_REQUEST, 23);
    g_assert_cmpuint(p->in->len, ==, 0);
    g_assert_false(info(p).registered);
    send_service_accept(p);
    expect_drop(p, VAMT_APF_GLOBAL_REQUEST, 0);
    expect_drop(p, VAMT_APF_GLOBAL_REQUEST, 0);
    send_request_success(p, 16992);
    send_request_success(p, 623);
    g_assert_true(info(p).registered);
    peer_free(p);
}

static void test_bad_input(void)
{
    static const uint8_t bad[][12] = {
        { VAMT_APF_CHANNEL_OPEN, 0, 0, 0, 15 },     /* truncated */
        { VAMT_APF_CHANNEL_DATA, 0, 0, 0, 0, 0 },
        { 0x77 },                                   /* unknown type */
        { VAMT_APF_SERVICE_ACCEPT, 0xff, 0xff, 0xff, 0xff },
    };
    static const size_t len[] = { 5, 6, 1, 5 };

    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        Peer *p = peer_new();
        GByteArray *m;

        handshake(p);
        open_channel(p, 1, WINDOW, 16992);
        vamt_apf_message(p->apf, bad[i], len[i]);
        m = expect(p, VAMT_APF_DISCONNECT, 7);
        g_assert_cmpuint(be32_at(m, 1), ==, VAMT_APF_REASON_PROTOCOL_ERROR);
        g_byte_array_unref(m);
        g_assert_cmpuint(info(p).channels, ==, 0);
        /* and nothing after */
        send_pv(p, 1);
        send_open(p, "forwarded-tcpip", 2, WINDOW, 16992);
        g_assert_cmpuint(p->in->len, ==, 0);
        peer_free(p);
    }
    /* a version the ME does not speak */
    {
        Peer *p = peer_new();
        GByteArray *m;

        vamt_apf_start(p->apf);
        g_ptr_array_set_size(p->in, 0);
        send_pv(p, 2);
        m = expect(p, VAMT_APF_DISCONNECT, 7);
        g_assert_cmpuint(be32_at(m, 1), ==,
                         VAMT_APF_REASON_VERSION_NOT_SUPPORTED);
        g_byte_array_unref(m);
        peer_free(p);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/apf/handshake/lms", test_handshake_lms);
    g_test_add_func("/vamt/apf/handshake/answering-agent",
                    test_handshake_answering_agent);
    g_test_add_func("/vamt/apf/http", test_http_over_channel);
    g_test_add_func("/vamt/apf/one-byte-window", test_one_byte_window);
    g_test_add_func("/vamt/apf/window-adjust", test_window_adjust);
    g_test_add_func("/vamt/apf/channel-limits", test_channel_limits);
    g_test_add_func("/vamt/apf/service-closes", test_service_closes);
    g_test_add_func("/vamt/apf/stray-close", test_stray_close);
    g_test_add_func("/vamt/apf/host-not-reading", test_host_not_reading);
    g_test_add_func("/vamt/apf/resync", test_resync);
    g_test_add_func("/vamt/apf/bad-input", test_bad_input);
    return g_test_run();
}
