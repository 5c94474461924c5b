/*
 * vAMT ME core: alert delivery, the ME as an HTTP client
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alert-sender.h"
#include "cim.h"
#include "digest.h"
#include "http-syntax.h"
#include "wsman-ns.h"

#define ALERT_URI       VAMT_NS_CIM "CIM_AlertIndication"
#define ACTION_EVENT    "http://schemas.dmtf.org/wbem/wsman/1/wsman/Event"
#define ACTION_ACK      "http://schemas.dmtf.org/wbem/wsman/1/wsman/Ack"

typedef struct Pending {
    char *subscription;         /* its Name: looked up again at each try */
    GString *envelope;
    unsigned attempts;
    int64_t not_before;         /* ME clock */
} Pending;

typedef enum SendState {
    SEND_IDLE,
    SEND_CONNECTING,
    SEND_AWAITING,              /* request written, reading the answer */
} SendState;

/* The listener's answer, read incrementally */
typedef enum RspState {
    RSP_HEADERS,
    RSP_BODY_LENGTH,
    RSP_BODY_CHUNK_SIZE,
    RSP_BODY_CHUNK_DATA,
    RSP_BODY_CHUNK_END,
    RSP_BODY_TRAILER,
    RSP_BODY_UNTIL_CLOSE,
    RSP_DONE,
} RspState;

typedef struct Response {
    RspState state;
    GString *head;
    GString *body;
    GString *line;              /* a chunk-size or trailer line */
    uint64_t left;              /* of a Content-Length body or a chunk */
    int status;
    bool close;                 /* Connection: close */
    char *challenge;            /* WWW-Authenticate: Digest ... */
} Response;

struct VamtAlertSender {
    VamtAmt *amt;
    GQueue queue;               /* Pending, oldest first */
    SendState state;
    uint64_t conn_id;           /* 0: none */
    uint64_t next_conn_id;
    int64_t deadline;
    bool authorized;            /* this try sent its Digest answer */
    char *challenge;            /* the listener's, for this try */
    unsigned nc;
    Response rsp;
    uint64_t indications;       /* IndicationIdentifier, MessageID */
    VamtAlertStats stats;
};

static const VamtPlatformOps *ops_of(VamtAlertSender *s)
{
    return vamt_amt_ops(s->amt);
}

static int64_t now_ms(VamtAlertSender *s)
{
    return ops_of(s)->me_clock_ms(vamt_amt_opaque(s->amt));
}

static void trace(VamtAlertSender *s, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
static void trace(VamtAlertSender *s, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    if (!ops_of(s)->trace) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ops_of(s)->trace(vamt_amt_opaque(s->amt), msg);
}

static void pending_free(gpointer p)
{
    Pending *item = p;

    g_free(item->subscription);
    g_string_free(item->envelope, TRUE);
    g_free(item);
}

static void response_reset(Response *r)
{
    r->state = RSP_HEADERS;
    g_string_truncate(r->head, 0);
    g_string_truncate(r->body, 0);
    g_string_truncate(r->line, 0);
    r->left = 0;
    r->status = 0;
    r->close = false;
    g_clear_pointer(&r->challenge, g_free);
}

VamtAlertSender *vamt_alert_sender_new(VamtAmt *amt)
{
    VamtAlertSender *s = g_new0(VamtAlertSender, 1);

    s->amt = amt;
    g_queue_init(&s->queue);
    s->deadline = -1;
    s->rsp.head = g_string_new(NULL);
    s->rsp.body = g_string_new(NULL);
    s->rsp.line = g_string_new(NULL);
    return s;
}

static void connection_end(VamtAlertSender *s)
{
    if (s->conn_id) {
        ops_of(s)->outbound_close(vamt_amt_opaque(s->amt), s->conn_id);
        s->conn_id = 0;
    }
    s->state = SEND_IDLE;
    s->deadline = -1;
    response_reset(&s->rsp);
}

void vamt_alert_sender_free(VamtAlertSender *s)
{
    if (!s) {
        return;
    }
    connection_end(s);
    g_queue_clear_full(&s->queue, pending_free);
    g_string_free(s->rsp.head, TRUE);
    g_string_free(s->rsp.body, TRUE);
    g_string_free(s->rsp.line, TRUE);
    g_free(s->challenge);
    g_free(s);
}

/* The event as AMT writes it: one line, fixed prefixes, sorted fields */
static GString *build_envelope(VamtAlertSender *s, const VamtSubscription *sub,
                               const VamtAlertMessage *msg)
{
    const VamtAlertFilter *filter = &vamt_alert_filters()[sub->filter];
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(msg->timestamp);
    g_autofree char *when = dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S")
                               : g_strdup("1970-01-01T00:00:00");
    GString *out = g_string_new(NULL);
    uint64_t id = ++s->indications;

    g_string_append(out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<a:Envelope xmlns:a=\"" NS_SOAP "\" xmlns:b=\"" NS_ADDRESSING
        "\" xmlns:c=\"" NS_WSMAN "\" xmlns:d=\"" NS_TRUST
        "\" xmlns:e=\"" NS_SECEXT "\" xmlns:f=\"" NS_CIMBINDING
        "\" xmlns:g=\"" ALERT_URI "\" xmlns:h=\"" NS_COMMON
        "\" xmlns:xsi=\"" NS_XSI "\"><a:Header><b:To>" ANONYMOUS
        "</b:To><b:ReplyTo><b:Address>" ANONYMOUS
        "</b:Address></b:ReplyTo>");
    if (sub->delivery == VAMT_DELIVERY_PUSH_WITH_ACK) {
        g_string_append(out, "<c:AckRequested></c:AckRequested>");
    }
    g_string_append_printf(out,
        "<b:Action a:mustUnderstand=\"true\">" ACTION_EVENT "</b:Action>"
        "<b:MessageID>uuid:00000000-8086-8086-8086-%012" PRIX64
        "</b:MessageID><c:ResourceURI>" ALERT_URI "</c:ResourceURI>",
        id & (uint64_t)0xffffffffffff);
    /*
     * The subscriber's reference parameter comes back as a header, with
     * its own namespace declaration (MeshCentral string-matches it).
     * Names were checked at Subscribe: only the text needs escaping.
     */
    if (*sub->ref_name) {
        const char *colon = *sub->ref_prefix ? ":" : "";

        g_string_append_printf(out, "<%s%s%s", sub->ref_prefix, colon,
                               sub->ref_name);
        if (*sub->ref_ns) {
            g_string_append_printf(out, " xmlns%s%s=\"%s\"", colon,
                                   sub->ref_prefix, sub->ref_ns);
        }
        g_string_append_c(out, '>');
        vamt_xml_escape(out, sub->ref_text);
        g_string_append_printf(out, "</%s%s%s>", sub->ref_prefix, colon,
                               sub->ref_name);
    }
    g_string_append_printf(out,
        "</a:Header><a:Body><g:CIM_AlertIndication>"
        "<g:AlertType>%u</g:AlertType>"
        "<g:AlertingElementFormat>2</g:AlertingElementFormat>"
        "<g:AlertingManagedElement>Interop:CIM_ComputerSystem."
        "CreationClassName=&quot;CIM_ComputerSystem&quot;,"
        "Name=&quot;Intel(r) AMT&quot;</g:AlertingManagedElement>"
        "<g:IndicationFilterName>",
        /* AMT's own events are of type 8, as an observed expiry was */
        g_str_has_prefix(msg->message_id, "iAMT") ? 8 : 5);
    vamt_xml_escape(out, filter->instance_id);
    g_string_append_printf(out,
        "</g:IndicationFilterName>"
        "<g:IndicationIdentifier>Intel(r):%" PRIu64
        "</g:IndicationIdentifier>"
        "<g:IndicationTime><h:Datetime>%s.000Z</h:Datetime>"
        "</g:IndicationTime><g:Message></g:Message>"
        "<g:MessageArguments>", id, when);
    vamt_xml_escape(out, msg->argument);
    g_string_append(out, "</g:MessageArguments>"
        "<g:MessageArguments>Interop:CIM_ComputerSystem.CreationClassName="
        "CIM_ComputerSystem,Name=Intel(r) AMT</g:MessageArguments>"
        "<g:MessageID>");
    vamt_xml_escape(out, msg->message_id);
    g_string_append_printf(out, "</g:MessageID>"
        "<g:OtherAlertingElementFormat></g:OtherAlertingElementFormat>"
        "<g:OtherSeverity></g:OtherSeverity>"
        "<g:OwningEntity>Intel(r) AMT</g:OwningEntity>"
        "<g:PerceivedSeverity>%u</g:PerceivedSeverity>"
        "<g:ProbableCause>0</g:ProbableCause>"
        "<g:SystemName>Intel(r) AMT</g:SystemName>"
        "</g:CIM_AlertIndication></a:Body></a:Envelope>",
        msg->perceived_severity);
    return out;
}

static void pump(VamtAlertSender *s);

unsigned vamt_alert_sender_raise(VamtAlertSender *s,
                                 const VamtAlertMessage *msg)
{
    const VamtAmtState *st = vamt_amt_state(s->amt);
    unsigned queued = 0;

    for (unsigned i = 0; i < VAMT_SUBSCRIPTION_MAX; i++) {
        const VamtSubscription *sub = &st->subscriptions[i];
        const VamtAlertFilter *filter;
        Pending *item;

        if (!sub->in_use) {
            continue;
        }
        filter = &vamt_alert_filters()[sub->filter];
        if (filter->passes && !filter->passes(msg)) {
            continue;
        }
        if (g_queue_get_length(&s->queue) >= VAMT_ALERT_QUEUE_MAX) {
            /* never the one being sent: its answer is on the way */
            unsigned victim = s->state == SEND_IDLE ? 0 : 1;

            if (victim < g_queue_get_length(&s->queue)) {
                pending_free(g_queue_pop_nth(&s->queue, victim));
                s->stats.dropped++;
            }
        }
        item = g_new0(Pending, 1);
        item->subscription = g_strdup(sub->name);
        item->envelope = build_envelope(s, sub, msg);
        g_queue_push_tail(&s->queue, item);
        s->stats.queued++;
        queued++;
    }
    pump(s);
    return queued;
}

/* The try of the head item is over; @delivered or not */
static void attempt_done(VamtAlertSender *s, bool delivered, bool retry,
                         const char *why)
{
    Pending *item = g_queue_peek_head(&s->queue);

    connection_end(s);
    g_clear_pointer(&s->challenge, g_free);
    s->authorized = false;
    if (!item) {
        return;
    }
    if (delivered) {
        trace(s, "alert for %s: %s", item->subscription, why);
        pending_free(g_queue_pop_head(&s->queue));
        return;
    }
    item->attempts++;
    if (!retry || item->attempts >= VAMT_ALERT_ATTEMPTS) {
        trace(s, "alert for %s not delivered: %s", item->subscription, why);
        s->stats.failed++;
        pending_free(g_queue_pop_head(&s->queue));
        return;
    }
    trace(s, "alert for %s: try %u failed (%s)", item->subscription,
          item->attempts, why);
    item->not_before = now_ms(s) +
        (int64_t)VAMT_ALERT_RETRY_MS * (1 << (2 * (item->attempts - 1)));
}

static void send_request(VamtAlertSender *s, const Pending *item,
                         const VamtSubscription *sub)
{
    g_autofree char *host = NULL;
    g_autoptr(GString) req = g_string_new(NULL);
    const char *path;
    uint16_t port;

    vamt_alert_url_parse(sub->url, &host, &port, &path);
    g_string_append_printf(req, "POST %s HTTP/1.1\r\nHost: %s", path, host);
    if (port != 80) {
        g_string_append_printf(req, ":%u", port);
    }
    g_string_append(req, "\r\nUser-Agent: Intel(R) AMT Agent\r\n"
                    "Content-Type: application/soap+xml;charset=UTF-8\r\n");
    if (s->challenge) {
        VamtDigestParams ch = { 0 };
        char ha1[VAMT_DIGEST_HEX_LEN + 1];
        char response[VAMT_DIGEST_HEX_LEN + 1];
        char nc[9];
        uint8_t raw[8];
        char cnonce[17];
        bool qop;

        vamt_digest_parse(s->challenge, &ch);
        qop = ch.qop && strstr(ch.qop, "auth");
        ops_of(s)->random(vamt_amt_opaque(s->amt), raw, sizeof(raw));
        for (unsigned i = 0; i < sizeof(raw); i++) {
            snprintf(cnonce + 2 * i, 3, "%02x", raw[i]);
        }
        snprintf(nc, sizeof(nc), "%08x", ++s->nc);
        vamt_digest_ha1(sub->user, ch.realm, sub->password, ha1);
        vamt_digest_response(ha1, "POST", path, ch.nonce, nc, cnonce,
                             qop ? "auth" : NULL, response);
        g_string_append_printf(req, "Authorization: Digest username=\"%s\","
                               " realm=\"%s\", nonce=\"%s\", uri=\"%s\","
                               " response=\"%s\"", sub->user, ch.realm,
                               ch.nonce, path, response);
        if (qop) {
            g_string_append_printf(req, ", qop=auth, nc=%s, cnonce=\"%s\"",
                                   nc, cnonce);
        }
        if (ch.opaque) {
            g_string_append_printf(req, ", opaque=\"%s\"", ch.opaque);
        }
        g_string_append(req, "\r\n");
        vamt_digest_params_clear(&ch);
        s->authorized = true;
    }
    g_string_append_printf(req, "Content-Length: %zu\r\n\r\n",
                           item->envelope->len);
    g_string_append_len(req, item->envelope->str, item->envelope->len);
    response_reset(&s->rsp);
    s->state = SEND_AWAITING;
    s->deadline = now_ms(s) + VAMT_ALERT_RESPONSE_MS;
    ops_of(s)->outbound_write(vamt_amt_opaque(s->amt), s->conn_id,
                              (const uint8_t *)req->str, req->len);
}

/* Start the head item's try if it is due and nothing is in flight */
static void pump(VamtAlertSender *s)
{
    while (s->state == SEND_IDLE && !g_queue_is_empty(&s->queue)) {
        Pending *item = g_queue_peek_head(&s->queue);
        const VamtSubscription *sub =
            vamt_subscription_find(s->amt, item->subscription);
        g_autofree char *host = NULL;
        uint16_t port;

        if (!sub || !ops_of(s)->outbound_open) {
            /* unsubscribed since, or nowhere to send it */
            pending_free(g_queue_pop_head(&s->queue));
            s->stats.failed++;
            continue;
        }
        if (item->not_before > now_ms(s)) {
            return;
        }
        vamt_alert_url_parse(sub->url, &host, &port, NULL);
        s->conn_id = ++s->next_conn_id;
        s->state = SEND_CONNECTING;
        s->deadline = now_ms(s) + VAMT_ALERT_CONNECT_MS;
        trace(s, "alert for %s: connecting to %s:%u", item->subscription,
              host, port);
        if (!ops_of(s)->outbound_open(vamt_amt_opaque(s->amt), s->conn_id,
                                      host, port)) {
            s->conn_id = 0;
            attempt_done(s, false, true, "no outbound connection");
        }
    }
}

void vamt_alert_sender_connected(VamtAlertSender *s, uint64_t id)
{
    Pending *item = g_queue_peek_head(&s->queue);
    const VamtSubscription *sub;

    if (id != s->conn_id || s->state != SEND_CONNECTING || !item) {
        return;
    }
    sub = vamt_subscription_find(s->amt, item->subscription);
    if (!sub) {
        attempt_done(s, false, false, "unsubscribed");
        pump(s);
        return;
    }
    send_request(s, item, sub);
}

/* The listener answered in full: what now? */
static void response_done(VamtAlertSender *s)
{
    Pending *item = g_queue_peek_head(&s->queue);
    const VamtSubscription *sub =
        item ? vamt_subscription_find(s->amt, item->subscription) : NULL;
    Response *r = &s->rsp;
    g_autofree char *why = NULL;

    if (!sub) {
        attempt_done(s, false, false, "unsubscribed");
        return;
    }
    if (r->status == 401 && r->challenge && *sub->user && !s->authorized) {
        g_free(s->challenge);
        s->challenge = g_strdup(r->challenge);
        if (r->close) {
            /* answer the challenge on a new connection, at once */
            connection_end(s);
            return;
        }
        send_request(s, item, sub);
        return;
    }
    if (r->status >= 200 && r->status < 300) {
        if (sub->delivery == VAMT_DELIVERY_PUSH_WITH_ACK &&
            !strstr(r->body->str, ACTION_ACK)) {
            attempt_done(s, false, true, "answered without an Ack");
            return;
        }
        s->stats.delivered++;
        why = g_strdup_printf("delivered (%d)", r->status);
        attempt_done(s, true, false, why);
        return;
    }
    why = g_strdup_printf("the listener answered %d", r->status);
    /* a refusal stays one: only PushWithAck tries again */
    attempt_done(s, false, sub->delivery == VAMT_DELIVERY_PUSH_WITH_ACK,
                 why);
}

static bool header_is(const char *line, const char *name, const char **value)
{
    size_t n = strlen(name);

    if (g_ascii_strncasecmp(line, name, n) || line[n] != ':') {
        return false;
    }
    *value = line + n + 1;
    while (**value == ' ' || **value == '\t') {
        (*value)++;
    }
    return true;
}

/* Status line and headers, once the blank line is in; false: unusable */
static bool parse_head(Response *r)
{
    g_auto(GStrv) lines = g_strsplit(r->head->str, "\r\n", -1);
    bool chunked = false, have_length = false;
    uint64_t length = 0;
    const char *v;

    if (!lines[0] || strlen(lines[0]) < 12 ||
        strncmp(lines[0], "HTTP/1.", 7) || lines[0][8] != ' ' ||
        !g_ascii_isdigit(lines[0][9]) || !g_ascii_isdigit(lines[0][10]) ||
        !g_ascii_isdigit(lines[0][11])) {
        return false;
    }
    r->status = (lines[0][9] - '0') * 100 + (lines[0][10] - '0') * 10 +
                (lines[0][11] - '0');
    r->close = lines[0][7] == '0';
    for (unsigned i = 1; lines[i]; i++) {
        if (header_is(lines[i], "Content-Length", &v)) {
            if (!vamt_http_parse_content_length(v, &length)) {
                return false;
            }
            have_length = true;
        } else if (header_is(lines[i], "Transfer-Encoding", &v)) {
            chunked = strstr(v, "chunked") != NULL;
        } else if (header_is(lines[i], "Connection", &v)) {
            r->close = !g_ascii_strcasecmp(v, "close");
        } else if (header_is(lines[i], "WWW-Authenticate", &v) &&
                   !r->challenge && !g_ascii_strncasecmp(v, "Digest ", 7)) {
            r->challenge = g_strdup(v);
        }
    }
    if (r->status == 204 || r->status == 304 || r->status / 100 == 1) {
        r->state = RSP_DONE;
    } else if (chunked) {
        r->state = RSP_BODY_CHUNK_SIZE;
    } else if (have_length) {
        r->left = length;
        r->state = length ? RSP_BODY_LENGTH : RSP_DONE;
    } else {
        r->state = RSP_BODY_UNTIL_CLOSE;
        r->close = true;
    }
    return true;
}

/* Keep what fits of the body: the Ack is near its start */
static void body_keep(Response *r, const uint8_t *p, size_t n)
{
    size_t room = VAMT_ALERT_MAX_BODY - r->body->len;

    g_string_append_len(r->body, (const char *)p, MIN(n, room));
}

/* Feed @len bytes; returns how many were used, or -1: unusable answer */
static ssize_t response_feed(Response *r, const uint8_t *p, size_t len)
{
    size_t used = 0;

    while (used < len && r->state != RSP_DONE) {
        const uint8_t *c = p + used;
        size_t n = len - used;

        switch (r->state) {
        case RSP_HEADERS: {
            /* look for the blank line only where it can newly end */
            size_t from = r->head->len > 3 ? r->head->len - 3 : 0;
            const char *end;

            g_string_append_len(r->head, (const char *)c, 1);
            used++;
            if (r->head->len > VAMT_ALERT_MAX_HEADERS) {
                return -1;
            }
            end = g_strstr_len(r->head->str + from, -1, "\r\n\r\n");
            if (end) {
                g_string_truncate(r->head, end - r->head->str);
                if (!parse_head(r)) {
                    return -1;
                }
            }
            break;
        }
        case RSP_BODY_LENGTH:
            n = MIN(n, r->left);
            body_keep(r, c, n);
            used += n;
            r->left -= n;
            if (!r->left) {
                r->state = RSP_DONE;
            }
            break;
        case RSP_BODY_UNTIL_CLOSE:
            body_keep(r, c, n);
            used += n;
            break;
        case RSP_BODY_CHUNK_SIZE:
        case RSP_BODY_TRAILER:
            used++;
            if (*c != '\n') {
                if (r->line->len >= 64) {
                    return -1;
                }
                g_string_append_c(r->line, *c);
                break;
            }
            if (r->line->len && r->line->str[r->line->len - 1] == '\r') {
                g_string_truncate(r->line, r->line->len - 1);
            }
            if (r->state == RSP_BODY_TRAILER) {
                if (!r->line->len) {
                    r->state = RSP_DONE;
                }
            } else {
                char *end;
                guint64 size = g_ascii_strtoull(r->line->str, &end, 16);

                if (end == r->line->str || (*end && *end != ';') ||
                    size > G_MAXUINT32) {
                    return -1;
                }
                r->left = size;
                r->state = size ? RSP_BODY_CHUNK_DATA : RSP_BODY_TRAILER;
            }
            g_string_truncate(r->line, 0);
            break;
        case RSP_BODY_CHUNK_DATA:
            n = MIN(n, r->left);
            body_keep(r, c, n);
            used += n;
            r->left -= n;
            if (!r->left) {
                r->state = RSP_BODY_CHUNK_END;
                r->left = 2;
            }
            break;
        case RSP_BODY_CHUNK_END:
            /* the CRLF after a chunk's data */
            if (*c != (r->left == 2 ? '\r' : '\n')) {
                return -1;
            }
            used++;
            if (!--r->left) {
                r->state = RSP_BODY_CHUNK_SIZE;
            }
            break;
        case RSP_DONE:
            break;
        }
    }
    return used;
}

void vamt_alert_sender_input(VamtAlertSender *s, uint64_t id,
                             const uint8_t *data, size_t len)
{
    ssize_t used;

    if (id != s->conn_id || s->state != SEND_AWAITING) {
        return;
    }
    used = response_feed(&s->rsp, data, len);
    if (used < 0) {
        attempt_done(s, false, true, "unusable answer");
    } else if (s->rsp.state == RSP_DONE) {
        /* bytes after the answer: nothing was asked for them */
        response_done(s);
    } else {
        return;
    }
    pump(s);
}

void vamt_alert_sender_closed(VamtAlertSender *s, uint64_t id)
{
    if (id != s->conn_id || s->state == SEND_IDLE) {
        return;
    }
    /* the platform has closed it already */
    s->conn_id = 0;
    if (s->state == SEND_AWAITING && s->rsp.state == RSP_BODY_UNTIL_CLOSE) {
        s->rsp.state = RSP_DONE;
        response_done(s);
    } else if (s->state == SEND_CONNECTING) {
        attempt_done(s, false, true, "could not connect");
    } else {
        attempt_done(s, false, true, "closed before answering");
    }
    pump(s);
}

int64_t vamt_alert_sender_deadline(const VamtAlertSender *s)
{
    const Pending *item;

    if (s->state != SEND_IDLE) {
        return s->deadline;
    }
    item = g_queue_peek_head((GQueue *)&s->queue);
    return item ? item->not_before : -1;
}

void vamt_alert_sender_tick(VamtAlertSender *s)
{
    Pending *item = g_queue_peek_head(&s->queue);

    if (s->state != SEND_IDLE && now_ms(s) >= s->deadline) {
        const VamtSubscription *sub =
            item ? vamt_subscription_find(s->amt, item->subscription) : NULL;

        if (s->state == SEND_AWAITING && sub &&
            sub->delivery == VAMT_DELIVERY_PUSH &&
            s->rsp.state == RSP_HEADERS && !s->rsp.head->len &&
            (!*sub->user || s->authorized)) {
            /* Push asks for no answer, and some listeners give none */
            s->stats.unconfirmed++;
            attempt_done(s, true, false, "sent, no answer");
        } else {
            attempt_done(s, false, true, s->state == SEND_CONNECTING
                         ? "connect timed out" : "answer timed out");
        }
    }
    pump(s);
}

void vamt_alert_sender_stats(const VamtAlertSender *s, VamtAlertStats *out)
{
    *out = s->stats;
    out->pending = g_queue_get_length((GQueue *)&s->queue);
}
