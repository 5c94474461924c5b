/*
 * libFuzzer target: the redirection service (16994) as a console sees it.
 *
 * The harness can play the first steps of a real console, so the fuzzed
 * bytes also reach what lies behind them: StartRedirectionSession and a
 * correct plain login (then SOL or IDE-R messages, guest output or the
 * guest's reads of the IDE-R CD, the heartbeat and the time-outs), or
 * only the start (then the authentication parser, Digest included).
 *
 * Input: one flags byte, then the console's bytes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "me.h"
#include "redir.h"
#include "vamt-test-support.h"
#include "fuzz-target.h"

enum {
    FLAG_START = 0x01,          /* the harness sends 0x10 'SOL ' first */
    FLAG_LOGIN = 0x02,          /* ... and logs in as the admin */
    FLAG_SMALL_SEGMENTS = 0x04, /* feed the bytes 5 at a time */
    FLAG_GUEST_OUTPUT = 0x08,   /* the guest writes between segments */
    FLAG_SLOW_UART = 0x10,      /* the UART takes one byte at a time */
    FLAG_TIME = 0x20,           /* 700 ms pass between segments */
    FLAG_IDER = 0x40,           /* the harness's session is IDE-R */
    FLAG_GUEST_READS = 0x80,    /* ... and the guest reads its CD */
};

static uint8_t read_buf[8 * 2048];

static size_t uart_room;
static size_t uart_taken;
static bool closed;

static size_t fuzz_sol_to_guest(void *opaque, const uint8_t *data,
                                size_t len)
{
    size_t n = MIN(len, uart_room);

    uart_taken += n;
    return n;
}

static void console_write(void *opaque, const uint8_t *data, size_t len)
{
    /* every message the ME writes is one whole message */
    g_assert(len >= 4);
}

static void console_close(void *opaque)
{
    closed = true;
}

static const VamtStreamOps console_ops = {
    .write = console_write,
    .close = console_close,
};

static void login(VamtConn *conn, bool ider)
{
    static const uint8_t start_sol[] = { 0x10, 0, 0, 0, 'S', 'O', 'L', ' ' };
    static const uint8_t start_ider[] = { 0x10, 0, 0, 0, 'I', 'D', 'E', 'R' };
    const uint8_t *start = ider ? start_ider : start_sol;
    static const char user[] = "admin";
    GByteArray *m = g_byte_array_new();
    uint8_t head[9] = { 0x13, 0, 0, 0, 1 };
    uint8_t n;

    vamt_conn_input(conn, start, sizeof(start_sol));
    head[5] = 2 + strlen(user) + strlen(PASSWORD);
    g_byte_array_append(m, head, sizeof(head));
    n = strlen(user);
    g_byte_array_append(m, &n, 1);
    g_byte_array_append(m, (const uint8_t *)user, n);
    n = strlen(PASSWORD);
    g_byte_array_append(m, &n, 1);
    g_byte_array_append(m, (const uint8_t *)PASSWORD, n);
    vamt_conn_input(conn, m->data, m->len);
    g_byte_array_free(m, TRUE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    VamtTestPlatform platform;
    VamtFirmware fw;
    VamtPlatformOps ops = vamt_test_platform_ops;
    VamtMe *me;
    VamtConn conn;
    uint8_t flags;
    size_t segment, off;

    if (!size) {
        return 0;
    }
    flags = data[0];
    data++;
    size--;
    segment = flags & FLAG_SMALL_SEGMENTS ? 5 : 4096;
    uart_room = flags & FLAG_SLOW_UART ? 1 : SIZE_MAX;
    uart_taken = 0;
    closed = false;

    vamt_test_platform_init(&platform, VAMT_POWER_ON);
    vamt_test_firmware_init(&fw);
    fw.redirection = VAMT_FW_REDIR_SOL | VAMT_FW_REDIR_IDER;
    ops.sol_to_guest = fuzz_sol_to_guest;
    me = vamt_me_new(&fw, &ops, &platform);
    vamt_me_set_admin_password(me, PASSWORD);
    conn = vamt_conn_open(vamt_me_service(me, VAMT_PORT_REDIRECTION),
                          &console_ops, NULL, "192.0.2.1");
    if (flags & FLAG_LOGIN) {
        login(&conn, flags & FLAG_IDER);
    } else if (flags & FLAG_START) {
        static const uint8_t start[] = { 0x10, 0, 0, 0, 'S', 'O', 'L', ' ' };

        vamt_conn_input(&conn, start, sizeof(start));
    }
    for (off = 0; off < size && !vamt_conn_closed(&conn); off += segment) {
        int64_t deadline;

        vamt_conn_input(&conn, data + off, MIN(segment, size - off));
        if (flags & FLAG_GUEST_OUTPUT) {
            vamt_me_sol_from_guest(me, data + off, MIN(segment, size - off));
            vamt_me_sol_set_control(me, data[off] & 7);
        }
        if (flags & FLAG_SLOW_UART) {
            vamt_me_sol_guest_ready(me);
        }
        if (flags & FLAG_GUEST_READS) {
            /* whatever the console's medium, its first blocks */
            vamt_redir_ider_read(vamt_me_redir(me), data[off] & 15,
                                 1 + (data[off] >> 5), read_buf, off);
            if (data[off] == 0x46) {
                vamt_redir_ider_reset(vamt_me_redir(me));
            }
        }
        if (flags & FLAG_TIME) {
            platform.ms += 700;
        }
        deadline = vamt_conn_deadline(&conn);
        if (deadline >= 0 && deadline <= platform.ms) {
            vamt_conn_tick(&conn);
        }
    }
    /* let every time-out run out: the connection must end by itself */
    for (unsigned i = 0; i < 64 && !vamt_conn_closed(&conn); i++) {
        int64_t deadline = vamt_conn_deadline(&conn);

        if (deadline < 0) {
            break;
        }
        platform.ms = MAX(platform.ms, deadline);
        vamt_conn_tick(&conn);
    }
    g_assert(closed == vamt_conn_closed(&conn));
    vamt_conn_free(&conn);
    vamt_me_free(me);
    vamt_test_platform_destroy(&platform);
    return 0;
}
