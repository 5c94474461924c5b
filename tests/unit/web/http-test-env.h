/*
 * The HTTP unit tests' environment: the ME core's HTTP server with a
 * stand-in for the layers above (GET / and Identify anonymous, the rest
 * behind Digest), consoles as byte-stream peers and their answers parsed
 * strictly, as a console would.  Shared by test-vamt-http.c (the server)
 * and test-vamt-http-captures.c (the console captures).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_HTTP_TEST_ENV_H
#define VAMT_HTTP_TEST_ENV_H

#include <glib.h>

#include "digest.h"
#include "http.h"
#include "vamt-test-support.h"

#define SERVER      "Intel(R) Active Management Technology 16.1.25.2124"
#define SOAP_TYPE   "application/soap+xml; charset=UTF-8"

typedef struct Env {
    VamtTestDigestEnv auth;     /* its clock is the server's too */
    VamtHttpServer *server;
    GPtrArray *handled;         /* "METHOD path user body_len" per request */
    GString *last_body;
} Env;

/* One TCP connection from a console */
typedef struct Peer {
    VamtHttpConn *conn;
    GByteArray *out;
    unsigned closes;
} Peer;

/* What a console parses out of the byte stream */
typedef struct Resp {
    int status;
    char *status_line;
    GPtrArray *header_lines;    /* "Name: value" in order */
    GString *body;
    bool chunked;
    char *first_chunk_line;
} Resp;

void env_init(Env *env);
void env_fini(Env *env);
Peer *peer_new(Env *env);
void peer_free(Peer *peer);
void peer_send(Peer *peer, const char *data, size_t len);
void peer_send_str(Peer *peer, const char *data);
bool peer_closed(Peer *peer);
void resp_free(gpointer p);
const char *resp_header(const Resp *r, const char *name);
char *resp_header_order(const Resp *r);
GPtrArray *parse_responses(GByteArray *out);
GPtrArray *peer_exchange(Peer *peer, const char *data);
void peer_free_with_responses(Peer *peer, GPtrArray *rsps);
Resp *single_response(GPtrArray *list);
char *challenge_nonce(const Resp *r);
char *mesh_request(const char *nonce, unsigned nc,
                   const char *password, const char *uri,
                   const char *body);
extern const char enum_body[];
extern const char anon_request[];
void assert_challenge(const Resp *r, bool stale);
void assert_soap_ok(const Resp *r);

#endif
