/*
 * What the vAMT libFuzzer targets share: a whole ME on the unit tests'
 * fake platform, and sessions of WS-Man requests replayed as the admin.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_FUZZ_COMMON_H
#define VAMT_FUZZ_COMMON_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "me.h"
#include "vamt-test-support.h"
#include "wsman.h"

/*
 * Requests of one session are separated by this line; "@CTX@" in a
 * request stands for the last EnumerationContext the ME answered, which
 * is random and so could never be guessed by the fuzzer.
 */
#define FUZZ_SEPARATOR      "\n@@\n"
#define FUZZ_CONTEXT_TOKEN  "@CTX@"
#define FUZZ_MAX_REQUESTS   16

typedef struct FuzzMe {
    VamtTestPlatform platform;
    VamtFirmware fw;
    VamtMe *me;
    VamtWsman *ws;              /* the ME's */
    char *context;              /* the last EnumerationContext, or NULL */
} FuzzMe;

/* A provisioned ME whose admin password is PASSWORD */
void fuzz_me_init(FuzzMe *f);
void fuzz_me_destroy(FuzzMe *f);

/* One SOAP request to @path as @user; the status is sane */
void fuzz_soap(FuzzMe *f, const char *path, const char *user,
               const uint8_t *body, size_t len);
/* Split @data at FUZZ_SEPARATOR and post each part as the admin */
void fuzz_soap_session(FuzzMe *f, const char *path, const uint8_t *data,
                       size_t len);

/* Everything the ME answers @len bytes of @data on a fresh connection */
GString *fuzz_http_exchange(FuzzMe *f, const uint8_t *data, size_t len,
                            size_t segment);

#endif
