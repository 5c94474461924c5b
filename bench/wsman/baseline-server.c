/*
 * vAMT benchmark: the loopback HTTP baseline
 *
 * A minimal single-threaded epoll HTTP/1.1 keep-alive server on
 * 127.0.0.1.  It answers every complete POST with the same ~1.5 KB body,
 * framed as vAMT frames a WS-Man answer (one chunk), so the benchmark
 * client runs the same code against it as against vAMT.  The one
 * exception keeps the connect sequence comparable: a request without an
 * Authorization header gets a fixed 401 and the connection is closed,
 * as vAMT does, so the client reconnects here too.
 *
 * Usage: wsman-baseline [PORT]   (0 or none: any free port)
 * Prints "PORT <n>" on stdout once listening; runs until killed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BODY_BYTES      1500
#define MAX_EVENTS      64
#define READ_CHUNK      65536
#define MAX_HEAD        (8 * 1024)

typedef struct Buf {
    char *data;
    size_t len;
    size_t off;
    size_t cap;
} Buf;

typedef struct Conn {
    int fd;
    Buf in;
    Buf out;
    bool close_after;       /* close once @out is flushed */
    bool want_out;          /* EPOLLOUT registered */
} Conn;

static char *ok_response;
static size_t ok_len;
static char *auth_response;
static size_t auth_len;

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void buf_append(Buf *b, const char *data, size_t len)
{
    if (b->off && b->off == b->len) {
        b->off = b->len = 0;
    }
    if (b->len + len > b->cap) {
        if (b->off) {
            memmove(b->data, b->data + b->off, b->len - b->off);
            b->len -= b->off;
            b->off = 0;
        }
        while (b->len + len > b->cap) {
            b->cap = b->cap ? b->cap * 2 : 16384;
        }
        b->data = realloc(b->data, b->cap);
        if (!b->data) {
            die("realloc");
        }
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

static void make_responses(void)
{
    static const char page[] =
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n"
        "<html><head><title>baseline</title></head><body>"
        "<h2>Log on failed.</h2></body></html>\n";
    char body[BODY_BYTES + 1];
    char head[512];
    int n;
    size_t i;

    /* a SOAP-looking body of exactly BODY_BYTES bytes */
    for (i = 0; i < BODY_BYTES; i++) {
        body[i] = "<a:Envelope>baseline</a:Envelope>"[i % 33];
    }
    body[BODY_BYTES] = '\0';
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 200 OK\r\n"
                 "Date: Mon, 20 Mar 2023 22:48:10 GMT\r\n"
                 "Server: Intel(R) Active Management Technology 16.1.25.2124"
                 "\r\n"
                 "X-Frame-Options: DENY\r\n"
                 "Content-Type: application/soap+xml; charset=UTF-8\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n%04X\r\n", BODY_BYTES);
    ok_len = n + BODY_BYTES + strlen("\r\n0\r\n\r\n");
    ok_response = malloc(ok_len);
    if (!ok_response) {
        die("malloc");
    }
    memcpy(ok_response, head, n);
    memcpy(ok_response + n, body, BODY_BYTES);
    memcpy(ok_response + n + BODY_BYTES, "\r\n0\r\n\r\n", 7);

    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 401 Unauthorized\r\n"
                 "WWW-Authenticate: Digest realm=\"Digest:"
                 "BA5E0000000000000000000000000000\", "
                 "nonce=\"QYePBLMVAAAAAAAAjfXveceOM5bNfu/K\","
                 "stale=\"false\",qop=\"auth\"\r\n"
                 "Content-Type: text/html\r\n"
                 "Server: Intel(R) Active Management Technology 16.1.25.2124"
                 "\r\n"
                 "Content-Length: %zu\r\n"
                 "Connection: close\r\n\r\n", sizeof(page) - 1);
    auth_len = n + sizeof(page) - 1;
    auth_response = malloc(auth_len);
    if (!auth_response) {
        die("malloc");
    }
    memcpy(auth_response, head, n);
    memcpy(auth_response + n, page, sizeof(page) - 1);
}

/* Value of header @name in the head [p, end), or NULL */
static const char *find_header(const char *p, const char *end,
                               const char *name, const char **value_end)
{
    size_t nlen = strlen(name);

    while (p < end) {
        const char *eol = memchr(p, '\n', end - p);

        if (!eol) {
            break;
        }
        if ((size_t)(eol - p) > nlen && p[nlen] == ':' &&
            strncasecmp(p, name, nlen) == 0) {
            const char *v = p + nlen + 1;

            while (v < eol && (*v == ' ' || *v == '\t')) {
                v++;
            }
            *value_end = eol;
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}

/* Answer every complete request in @c->in; false on a protocol error. */
static bool conn_process(Conn *c)
{
    while (!c->close_after) {
        const char *start = c->in.data + c->in.off;
        size_t avail = c->in.len - c->in.off;
        const char *head_end;
        const char *v, *vend;
        size_t head_len, body_len = 0;

        if (!avail) {
            break;
        }
        head_end = memmem(start, avail, "\r\n\r\n", 4);
        if (!head_end) {
            return avail <= MAX_HEAD;
        }
        head_len = head_end + 4 - start;
        v = find_header(start, head_end + 2, "Content-Length", &vend);
        while (v && v < vend && *v >= '0' && *v <= '9') {
            body_len = body_len * 10 + (*v++ - '0');
        }
        if (avail < head_len + body_len) {
            break;
        }
        if (find_header(start, head_end + 2, "Authorization", &vend)) {
            buf_append(&c->out, ok_response, ok_len);
        } else {
            buf_append(&c->out, auth_response, auth_len);
            c->close_after = true;
        }
        c->in.off += head_len + body_len;
    }
    if (c->in.off == c->in.len) {
        c->in.off = c->in.len = 0;
    }
    return true;
}

/* Write what the socket takes; false if the peer is gone. */
static bool conn_flush(Conn *c)
{
    while (c->out.off < c->out.len) {
        ssize_t n = write(c->fd, c->out.data + c->out.off,
                          c->out.len - c->out.off);

        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return true;
            }
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        c->out.off += n;
    }
    c->out.off = c->out.len = 0;
    return true;
}

static void conn_free(int ep, Conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in.data);
    free(c->out.data);
    free(c);
}

static void conn_event(int ep, Conn *c, uint32_t events)
{
    char buf[READ_CHUNK];
    bool eof = false;
    struct epoll_event ev;
    bool want;

    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        for (;;) {
            ssize_t n = read(c->fd, buf, sizeof(buf));

            if (n > 0) {
                buf_append(&c->in, buf, n);
                if ((size_t)n < sizeof(buf)) {
                    break;
                }
                continue;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            }
            eof = true;
            break;
        }
        if (!conn_process(c)) {
            conn_free(ep, c);
            return;
        }
    }
    if (!conn_flush(c)) {
        conn_free(ep, c);
        return;
    }
    if ((eof || c->close_after) && c->out.len == 0) {
        conn_free(ep, c);
        return;
    }
    want = c->out.len != 0;
    if (want != c->want_out) {
        c->want_out = want;
        ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
        ev.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 0;
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons(port),
    };
    socklen_t alen = sizeof(addr);
    struct epoll_event ev, events[MAX_EVENTS];
    int one = 1;
    int lfd, ep;

    make_responses();
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) {
        die("socket");
    }
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        die("bind");
    }
    if (listen(lfd, 64) < 0) {
        die("listen");
    }
    getsockname(lfd, (struct sockaddr *)&addr, &alen);
    printf("PORT %d\n", ntohs(addr.sin_port));
    fflush(stdout);

    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        die("epoll_create1");
    }
    ev.events = EPOLLIN;
    ev.data.ptr = NULL;
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);

    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        int i;

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("epoll_wait");
        }
        for (i = 0; i < n; i++) {
            Conn *c = events[i].data.ptr;

            if (!c) {
                int fd;

                while ((fd = accept4(lfd, NULL, NULL,
                                     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    c = calloc(1, sizeof(*c));
                    if (!c) {
                        die("calloc");
                    }
                    c->fd = fd;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
                               sizeof(one));
                    ev.events = EPOLLIN;
                    ev.data.ptr = c;
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
                }
                continue;
            }
            conn_event(ep, c, events[i].events);
        }
    }
    return 0;
}
