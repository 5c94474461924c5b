/*
 * Helpers of the redirection service's unit tests (redir-test-console.h)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "redir-test-console.h"

/* ---- a console's connection ---- */

static void console_write(void *opaque, const uint8_t *data, size_t len)
{
    TestConsole *t = opaque;
    GByteArray *w = g_byte_array_new();

    g_byte_array_append(w, data, len);
    g_ptr_array_add(t->writes, w);
}

static void console_close(void *opaque)
{
    ((TestConsole *)opaque)->closed = true;
}

static void console_wake(void *opaque)
{
    ((TestConsole *)opaque)->wakes++;
}

static size_t console_pending(void *opaque)
{
    return ((TestConsole *)opaque)->unsent;
}

static const VamtStreamOps console_ops = {
    .pending = console_pending,
    .write = console_write,
    .close = console_close,
    .wake = console_wake,
};

/* ---- the machine ---- */

/* The platform's opaque is the VamtTestPlatform at the machine's start */
static TestMachine *machine_of(void *opaque)
{
    return (TestMachine *)opaque;
}

static size_t machine_sol_to_guest(void *opaque, const uint8_t *data,
                                   size_t len)
{
    TestMachine *m = machine_of(opaque);
    size_t n = MIN(len, m->uart_room);

    g_byte_array_append(m->uart_rx, data, n);
    m->uart_room -= n;
    return n;
}

static void machine_ider_media_changed(void *opaque, bool present,
                                       uint64_t blocks, uint32_t block_size)
{
    TestMachine *m = machine_of(opaque);
    TestMediaEvent ev = { present, blocks, block_size };

    g_array_append_val(m->media_events, ev);
}

static void machine_ider_read_done(void *opaque, uint64_t tag, int status)
{
    TestMachine *m = machine_of(opaque);
    TestReadDone done = { tag, status };

    g_array_append_val(m->reads_done, done);
    if (m->on_read_done) {
        m->on_read_done(m, tag, status);
    }
}

static void machine_kvm_viewing(void *opaque, bool viewing)
{
    machine_of(opaque)->viewing = viewing;
}

static void machine_kvm_key(void *opaque, uint16_t usage, bool down)
{
    TestInputEvent ev = { .usage = usage, .down = down };

    g_array_append_val(machine_of(opaque)->input, ev);
}

static void machine_kvm_pointer(void *opaque, unsigned x, unsigned y,
                                uint8_t buttons)
{
    TestInputEvent ev = { .pointer = true, .x = x, .y = y,
                          .buttons = buttons };

    g_array_append_val(machine_of(opaque)->input, ev);
}

TestMachine *machine_new(uint32_t redirection)
{
    TestMachine *m = g_new0(TestMachine, 1);

    /* the test platform's callbacks take &m->platform, the first member */
    G_STATIC_ASSERT(offsetof(TestMachine, platform) == 0);
    vamt_test_platform_init(&m->platform, VAMT_POWER_ON);
    vamt_test_firmware_init(&m->fw);
    m->fw.redirection = redirection;
    m->ops = vamt_test_platform_ops;
    m->ops.sol_to_guest = machine_sol_to_guest;
    m->ops.ider_media_changed = machine_ider_media_changed;
    m->ops.ider_read_done = machine_ider_read_done;
    m->ops.kvm_viewing = machine_kvm_viewing;
    m->ops.kvm_key = machine_kvm_key;
    m->ops.kvm_pointer = machine_kvm_pointer;
    m->me = vamt_me_new(&m->fw, &m->ops, &m->platform);
    vamt_me_set_admin_password(m->me, PASSWORD);
    m->uart_rx = g_byte_array_new();
    m->uart_room = SIZE_MAX;
    m->media_events = g_array_new(FALSE, TRUE, sizeof(TestMediaEvent));
    m->reads_done = g_array_new(FALSE, TRUE, sizeof(TestReadDone));
    m->input = g_array_new(FALSE, TRUE, sizeof(TestInputEvent));
    return m;
}

void machine_free(TestMachine *m)
{
    vamt_me_free(m->me);
    vamt_test_platform_destroy(&m->platform);
    g_byte_array_free(m->uart_rx, TRUE);
    g_array_free(m->media_events, TRUE);
    g_array_free(m->reads_done, TRUE);
    g_array_free(m->input, TRUE);
    g_free(m);
}

TestConsole *console_open(TestMachine *m)
{
    return console_open_port(m, VAMT_PORT_REDIRECTION);
}

TestConsole *console_open_port(TestMachine *m, uint16_t port)
{
    TestConsole *t = g_new0(TestConsole, 1);
    const VamtService *svc = vamt_me_service(m->me, port);

    g_assert_nonnull(svc);
    t->writes = g_ptr_array_new_with_free_func((GDestroyNotify)
                                               g_byte_array_unref);
    t->conn = vamt_conn_open(svc, &console_ops, t, "192.0.2.7");
    return t;
}

void console_free(TestConsole *t)
{
    vamt_conn_free(&t->conn);
    g_ptr_array_free(t->writes, TRUE);
    g_free(t);
}

void console_send(TestConsole *t, const void *data, size_t len)
{
    vamt_conn_input(&t->conn, data, len);
}

void advance(TestMachine *m, TestConsole *t, int64_t ms)
{
    int64_t end = m->platform.ms + ms;

    for (;;) {
        int64_t d = vamt_conn_deadline(&t->conn);

        if (d < 0 || d > end) {
            break;
        }
        m->platform.ms = MAX(m->platform.ms, d);
        vamt_conn_tick(&t->conn);
    }
    m->platform.ms = end;
}

GByteArray *next_write(TestConsole *t)
{
    GByteArray *w;

    g_assert_cmpuint(t->writes->len, >, 0);
    w = g_byte_array_ref(g_ptr_array_index(t->writes, 0));
    g_ptr_array_remove_index(t->writes, 0);
    return w;
}

void expect_write(TestConsole *t, uint8_t type, size_t len)
{
    g_autoptr(GByteArray) w = next_write(t);

    g_assert_cmphex(w->data[0], ==, type);
    g_assert_cmpuint(w->len, ==, len);
}

/* ---- protocol messages ---- */

const uint8_t start_sol[8] = { 0x10, 0, 0, 0, 'S', 'O', 'L', ' ' };
const uint8_t start_ider[8] = { 0x10, 0, 0, 0, 'I', 'D', 'E', 'R' };
const uint8_t start_kvm[8] = { 0x10, 1, 0, 0, 'K', 'V', 'M', 'R' };

GByteArray *auth_msg(uint8_t type, const char *const *items, unsigned n)
{
    GByteArray *m = g_byte_array_new();
    uint8_t head[9] = { 0x13, 0, 0, 0, type };
    uint32_t len = 0;

    for (unsigned i = 0; i < n; i++) {
        len += 1 + strlen(items[i]);
    }
    head[5] = len;
    head[6] = len >> 8;
    g_byte_array_append(m, head, sizeof(head));
    for (unsigned i = 0; i < n; i++) {
        uint8_t l = strlen(items[i]);

        g_byte_array_append(m, &l, 1);
        g_byte_array_append(m, (const uint8_t *)items[i], l);
    }
    return m;
}

void send_plain(TestConsole *t, const char *user, const char *pass)
{
    const char *items[] = { user, pass };
    g_autoptr(GByteArray) m = auth_msg(1, items, 2);

    console_send(t, m->data, m->len);
}
