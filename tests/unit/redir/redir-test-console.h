/*
 * Helpers of the redirection service's unit tests: a console's
 * connection that records what the ME writes, and a test machine with
 * the ME's UART (SOL) and the IDE-R function's CD (ops->ider_*)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef REDIR_TEST_CONSOLE_H
#define REDIR_TEST_CONSOLE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "me.h"
#include "redir.h"
#include "vamt-test-support.h"

/* ---- a console's connection ---- */

typedef struct TestConsole {
    VamtConn conn;
    GPtrArray *writes;          /* GByteArray: each write, as the ME made it */
    bool closed;
    unsigned wakes;
    size_t unsent;              /* what the transport says it still holds */
} TestConsole;

/* ---- the machine ---- */

/* What ops->ider_media_changed reported */
typedef struct TestMediaEvent {
    bool present;
    uint64_t blocks;
    uint32_t block_size;
} TestMediaEvent;

/* What ops->ider_read_done reported */
typedef struct TestReadDone {
    uint64_t tag;
    int status;
} TestReadDone;

/* What ops->kvm_key and ops->kvm_pointer reported */
typedef struct TestInputEvent {
    bool pointer;
    uint16_t usage;             /* key */
    bool down;
    unsigned x, y;              /* pointer */
    uint8_t buttons;
} TestInputEvent;

typedef struct TestMachine TestMachine;

struct TestMachine {
    VamtTestPlatform platform;
    VamtFirmware fw;
    VamtPlatformOps ops;
    VamtMe *me;
    GByteArray *uart_rx;        /* what the guest's UART received */
    size_t uart_room;           /* how much more it takes */
    GArray *media_events;       /* TestMediaEvent */
    GArray *reads_done;         /* TestReadDone */
    GArray *input;              /* TestInputEvent */
    bool viewing;               /* what ops->kvm_viewing said last */
    /* Optional: called from ider_read_done after it was recorded */
    void (*on_read_done)(TestMachine *m, uint64_t tag, int status);
    void *test_data;
};

/* A provisioned ME with redirection hardware @redirection (VAMT_FW_*) */
TestMachine *machine_new(uint32_t redirection);
void machine_free(TestMachine *m);

TestConsole *console_open(TestMachine *m);
/* A connection to the ME's service on AMT port @port, which must listen */
TestConsole *console_open_port(TestMachine *m, uint16_t port);
void console_free(TestConsole *t);
void console_send(TestConsole *t, const void *data, size_t len);
/* Let @ms pass and run the connection's time-outs */
void advance(TestMachine *m, TestConsole *t, int64_t ms);
/* Take the oldest write not looked at yet */
GByteArray *next_write(TestConsole *t);
void expect_write(TestConsole *t, uint8_t type, size_t len);

/* ---- protocol messages as the consoles send them ---- */

extern const uint8_t start_sol[8];
extern const uint8_t start_ider[8];
extern const uint8_t start_kvm[8];

/* AuthenticateSession with @n elements */
GByteArray *auth_msg(uint8_t type, const char *const *items, unsigned n);
void send_plain(TestConsole *t, const char *user, const char *pass);

#endif
