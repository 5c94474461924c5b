/*
 * Unit tests of the ME core's redirection service: session start,
 * authentication (plain and Digest, as amtterm and MeshCommander send
 * them), SOL data both ways, heartbeats, pacing and refusals
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "acl.h"
#include "cim-values.h"
#include "redir-test-console.h"

/* amtterm 1.4's StartSOLRedirection: buffer 1000, heartbeat 5000 */
static const uint8_t sol_start_amtterm[24] = {
    0x20, 0, 0, 0, 0, 0, 0, 0, 0xe8, 0x03, 0x64, 0x00, 0x00, 0x00,
    0x10, 0x27, 0x00, 0x00, 0x88, 0x13, 0, 0, 0, 0,
};
/* MeshCommander's: buffer 10000, rx flush 100, no heartbeat */
static const uint8_t sol_start_meshcommander[24] = {
    0x20, 0, 0, 0, 1, 0, 0, 0, 0x10, 0x27, 0x64, 0x00, 0x00, 0x00,
    0x10, 0x27, 0x64, 0x00, 0x00, 0x00, 0, 0, 0, 0,
};

/* Start, log in with amtterm's plain auth, start SOL; drain set-up */
static TestConsole *sol_session(TestMachine *m, const uint8_t *sol_start)
{
    TestConsole *t = console_open(m);

    console_send(t, start_sol, sizeof(start_sol));
    expect_write(t, 0x11, 13);
    send_plain(t, "admin", PASSWORD);
    expect_write(t, 0x14, 9);
    console_send(t, sol_start, 24);
    expect_write(t, 0x21, 23);
    advance(m, t, 100);
    expect_write(t, 0x29, 10);
    /* and the console has read the 0x29 alone */
    advance(m, t, 100);
    g_assert_cmpuint(t->writes->len, ==, 0);
    return t;
}

/* ---- tests ---- */

static void test_sol_amtterm(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    TestConsole *t = console_open(m);
    static const uint8_t typed[] = { 0x28, 0, 0, 0, 9, 0, 0, 0, 3, 0,
                                     'l', 's', '\r' };
    g_autoptr(GByteArray) w = NULL;
    unsigned wakes;

    /* the reply to 0x10 is the 13 bytes amtterm 1.4 reads */
    console_send(t, start_sol, sizeof(start_sol));
    w = next_write(t);
    g_assert_cmpuint(w->len, ==, 13);
    g_assert_cmphex(w->data[0], ==, 0x11);
    g_assert_cmphex(w->data[1], ==, 0);         /* success */
    g_assert_cmphex(w->data[4], ==, 1);         /* protocol 1.0 */
    g_assert_cmphex(w->data[6], ==, m->fw.version.major);
    g_assert_cmphex(w->data[8], ==, 0x57);      /* Intel's IANA number */
    g_assert_cmphex(w->data[9], ==, 0x01);
    g_assert_cmphex(w->data[12], ==, 0);        /* no OEM data */
    g_clear_pointer(&w, g_byte_array_unref);

    send_plain(t, "admin", PASSWORD);
    w = next_write(t);
    g_assert_cmphex(w->data[0], ==, 0x14);
    g_assert_cmphex(w->data[1], ==, 0);
    g_assert_cmphex(w->data[4], ==, 1);
    g_assert_true(vamt_redir_active(vamt_me_redir(m->me), VAMT_REDIR_SOL));
    g_clear_pointer(&w, g_byte_array_unref);

    console_send(t, sol_start_amtterm, sizeof(sol_start_amtterm));
    w = next_write(t);
    g_assert_cmpuint(w->len, ==, 23);
    g_assert_cmphex(w->data[0], ==, 0x21);
    g_assert_cmphex(w->data[1], ==, 0);
    /* the settings echoed: buffer 1000, heartbeat 5000 */
    g_assert_cmphex(w->data[8], ==, 0xe8);
    g_assert_cmphex(w->data[18], ==, 0x88);
    g_clear_pointer(&w, g_byte_array_unref);
    /* amtterm reads 0x21 alone: nothing follows for 100 ms */
    g_assert_cmpuint(t->writes->len, ==, 0);
    advance(m, t, 99);
    g_assert_cmpuint(t->writes->len, ==, 0);
    advance(m, t, 1);
    w = next_write(t);
    g_assert_cmphex(w->data[0], ==, 0x29);
    g_assert_cmphex(w->data[9] & 0x04, ==, 0x04);     /* host powered */
    g_clear_pointer(&w, g_byte_array_unref);
    advance(m, t, 100);

    /*
     * guest output reaches the console when the main loop next comes
     * round, not after amtterm's TxBufferTimeout of 100 ms
     */
    vamt_me_sol_from_guest(m->me, (const uint8_t *)"login: ", 7);
    g_assert_cmpuint(t->wakes, >, 0);
    g_assert_cmpuint(t->writes->len, ==, 0);
    advance(m, t, 0);
    w = next_write(t);
    g_assert_cmphex(w->data[0], ==, 0x2a);
    g_assert_cmpuint(w->len, ==, 17);
    g_assert_cmpuint(w->data[8], ==, 7);
    g_assert_cmpmem(w->data + 10, 7, "login: ", 7);
    g_clear_pointer(&w, g_byte_array_unref);

    /* byte by byte, as the UART hands it over: one wake per batch */
    wakes = t->wakes;
    for (int i = 0; i < 5; i++) {
        vamt_me_sol_from_guest(m->me, (const uint8_t *)"x", 1);
    }
    g_assert_cmpuint(t->wakes, ==, wakes + 1);
    advance(m, t, 0);
    w = next_write(t);
    g_assert_cmphex(w->data[0], ==, 0x2a);
    g_assert_cmpuint(w->data[8], ==, 5);
    g_clear_pointer(&w, g_byte_array_unref);

    /* keystrokes reach the UART, split across segments or not */
    console_send(t, typed, 5);
    console_send(t, typed + 5, sizeof(typed) - 5);
    g_assert_cmpmem(m->uart_rx->data, m->uart_rx->len, "ls\r", 3);

    /* a heartbeat every 5 s keeps amtterm (20 s select) alive */
    advance(m, t, 5000);
    expect_write(t, 0x2b, 8);
    /* amtterm echoes it, which keeps the session; the ME never answers */
    {
        static const uint8_t echo[8] = { 0x2b, 0, 0, 0, 4, 0, 0, 0 };

        console_send(t, echo, sizeof(echo));
        g_assert_cmpuint(t->writes->len, ==, 0);
    }
    advance(m, t, 5000);
    expect_write(t, 0x2b, 8);
    g_assert_false(t->closed);

    /* ^]: 0x22 -> 0x23, then 0x12 ends the connection */
    {
        static const uint8_t end_sol[8] = { 0x22, 0, 0, 0, 5, 0, 0, 0 };
        static const uint8_t end[4] = { 0x12, 0, 0, 0 };

        console_send(t, end_sol, sizeof(end_sol));
        expect_write(t, 0x23, 8);
        console_send(t, end, sizeof(end));
        g_assert_true(t->closed);
    }
    g_assert_false(vamt_redir_active(vamt_me_redir(m->me), VAMT_REDIR_SOL));
    console_free(t);
    machine_free(m);
}

/* Each 0x2A carries at most the console's MaxTxBuffer bytes */
static void test_sol_batching(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    TestConsole *t = sol_session(m, sol_start_amtterm);
    uint8_t big[2500];
    size_t total = 0;

    memset(big, 'x', sizeof(big));
    vamt_me_sol_from_guest(m->me, big, sizeof(big));
    /* two whole buffers at once, the rest at the main loop's next turn */
    g_assert_cmpuint(t->writes->len, ==, 2);
    advance(m, t, 0);
    g_assert_cmpuint(t->writes->len, ==, 3);
    for (unsigned i = 0; i < 3; i++) {
        GByteArray *w = g_ptr_array_index(t->writes, i);

        g_assert_cmphex(w->data[0], ==, 0x2a);
        g_assert_cmpuint(w->len - 10, <=, 1000);
        g_assert_cmpuint(w->data[8] | w->data[9] << 8, ==, w->len - 10);
        total += w->len - 10;
    }
    g_assert_cmpuint(total, ==, sizeof(big));
    console_free(t);
    machine_free(m);
}

/* TxBufferTimeout 0 asks for full buffers; an idle prompt shows anyway */
static void test_sol_only_when_full(void)
{
    static const uint8_t start_full[24] = {
        0x20, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x10, 0x27, 0x00, 0x00, 0x88, 0x13, 0, 0, 0, 0,
    };
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    TestConsole *t = sol_session(m, start_full);
    GByteArray *w;

    vamt_me_sol_from_guest(m->me, (const uint8_t *)"0123456789abcdefXY", 18);
    /* MaxTxBuffer 16: one whole buffer at once, the rest is held */
    w = next_write(t);
    g_assert_cmpuint(w->data[8], ==, 16);
    g_clear_pointer(&w, g_byte_array_unref);
    advance(m, t, 99);
    g_assert_cmpuint(t->writes->len, ==, 0);
    advance(m, t, 1);
    w = next_write(t);
    g_assert_cmpuint(w->data[8], ==, 2);
    g_assert_cmpmem(w->data + 10, 2, "XY", 2);
    g_clear_pointer(&w, g_byte_array_unref);
    console_free(t);
    machine_free(m);
}

/*
 * A console that does not read: guest output waits in the ME (up to its
 * buffer), and the ME looks again now and then, never in a busy loop.
 */
static void test_sol_console_not_reading(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    TestConsole *t = sol_session(m, sol_start_amtterm);
    uint8_t out[3000];
    int64_t d;

    memset(out, 'y', sizeof(out));
    t->unsent = 1024 * 1024;
    vamt_me_sol_from_guest(m->me, out, sizeof(out));
    g_assert_cmpuint(t->writes->len, ==, 0);
    for (unsigned i = 0; i < 5; i++) {
        d = vamt_conn_deadline(&t->conn);
        g_assert_cmpint(d, >, m->platform.ms);
        m->platform.ms = d;
        vamt_conn_tick(&t->conn);
        g_assert_cmpuint(t->writes->len, ==, 0);
        /* the next look is later, not at once */
        g_assert_cmpint(vamt_conn_deadline(&t->conn), >=, d + 50);
    }
    t->unsent = 0;
    advance(m, t, 100);
    g_assert_cmpuint(t->writes->len, ==, 3);
    console_free(t);
    machine_free(m);
}

/* The guest's UART takes input as it can; MeshCommander's flush rule */
static void test_sol_uart_backpressure(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    TestConsole *t = sol_session(m, sol_start_meshcommander);
    static const uint8_t typed[] = { 0x28, 0, 0, 0, 9, 0, 0, 0, 4, 0,
                                     'a', 'b', 'c', 'd' };

    m->uart_room = 1;
    console_send(t, typed, sizeof(typed));
    g_assert_cmpmem(m->uart_rx->data, m->uart_rx->len, "a", 1);
    m->uart_room = 2;
    vamt_me_sol_guest_ready(m->me);
    g_assert_cmpmem(m->uart_rx->data, m->uart_rx->len, "abc", 3);
    /* the guest does not take the rest within 100 ms: flushed, and said */
    advance(m, t, 100);
    m->uart_room = 10;
    vamt_me_sol_guest_ready(m->me);
    g_assert_cmpmem(m->uart_rx->data, m->uart_rx->len, "abc", 3);
    {
        g_autoptr(GByteArray) w = next_write(t);

        g_assert_cmphex(w->data[0], ==, 0x29);
        g_assert_cmphex(w->data[9] & 0x08, ==, 0x08);
    }
    console_free(t);
    machine_free(m);
}

/* No SOL session: guest output is dropped, nothing waits for a console */
static void test_sol_no_session(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    TestConsole *t;

    vamt_me_sol_from_guest(m->me, (const uint8_t *)"early", 5);
    t = sol_session(m, sol_start_amtterm);
    vamt_me_sol_from_guest(m->me, (const uint8_t *)"late", 4);
    advance(m, t, 100);
    {
        g_autoptr(GByteArray) w = next_write(t);

        g_assert_cmpmem(w->data + 10, w->len - 10, "late", 4);
    }
    console_free(t);
    machine_free(m);
}

/* The modem lines the guest sets are reported in 0x29 */
static void test_sol_controls(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    TestConsole *t = sol_session(m, sol_start_amtterm);

    advance(m, t, 100);
    vamt_me_sol_set_control(m->me, VAMT_SOL_CONTROL_RTS |
                            VAMT_SOL_CONTROL_DTR);
    {
        g_autoptr(GByteArray) w = next_write(t);

        g_assert_cmphex(w->data[0], ==, 0x29);
        g_assert_cmphex(w->data[8], ==, 0x03);
    }
    /* the host powered off */
    m->platform.power = VAMT_POWER_OFF_SOFT;
    advance(m, t, 5000);
    {
        g_autoptr(GByteArray) w = next_write(t);

        g_assert_cmphex(w->data[0], ==, 0x29);
        g_assert_cmphex(w->data[9] & 0x04, ==, 0);
    }
    console_free(t);
    machine_free(m);
}

/* A console silent for HostSessionRxTimeout loses its session */
static void test_sol_rx_timeout(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    TestConsole *t = sol_session(m, sol_start_amtterm);

    /* the console's last byte came 200 ms ago (sol_session) */
    advance(m, t, 9799);
    g_assert_false(t->closed);
    advance(m, t, 1);
    g_assert_true(t->closed);
    g_assert_true(vamt_conn_closed(&t->conn));
    g_assert_false(vamt_redir_active(vamt_me_redir(m->me), VAMT_REDIR_SOL));
    console_free(t);
    /* the next console gets the session */
    t = sol_session(m, sol_start_amtterm);
    console_free(t);
    machine_free(m);
}

/* MeshCommander: query, then Digest with qop=auth */
static void test_digest_meshcommander(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    TestConsole *t = console_open(m);
    const char *realm = vamt_amt_realm(vamt_me_amt(m->me));
    const char *query_items[] = { NULL };
    g_autoptr(GByteArray) q = auth_msg(0, query_items, 0);
    g_autoptr(GByteArray) w = NULL;
    g_autofree char *nonce = NULL;
    g_autofree char *response = NULL;

    console_send(t, start_sol, sizeof(start_sol));
    expect_write(t, 0x11, 13);
    console_send(t, q->data, q->len);
    w = next_write(t);
    {
        static const uint8_t listed[] = { 0x14, 0, 0, 0, 0, 3, 0, 0, 0,
                                          1, 3, 4 };

        g_assert_cmpmem(w->data, w->len, listed, sizeof(listed));
    }
    g_clear_pointer(&w, g_byte_array_unref);

    {
        const char *initial[] = { "admin", "", "", "/RedirectionService",
                                  "", "", "", "" };
        g_autoptr(GByteArray) a = auth_msg(4, initial, 8);

        console_send(t, a->data, a->len);
    }
    /* the challenge: FAILURE with realm, nonce and qop */
    w = next_write(t);
    g_assert_cmphex(w->data[1], ==, 1);
    g_assert_cmphex(w->data[4], ==, 4);
    g_assert_cmpuint(w->data[9], ==, strlen(realm));
    g_assert_cmpmem(w->data + 10, w->data[9], realm, strlen(realm));
    {
        size_t off = 10 + w->data[9];
        size_t nlen = w->data[off];

        g_assert_cmpuint(nlen, <=, 32);     /* amtterm's limit */
        nonce = g_strndup((const char *)w->data + off + 1, nlen);
        off += 1 + nlen;
        g_assert_cmpmem(w->data + off, w->len - off, "\x04" "auth", 5);
    }
    {
        VamtTestDigestAuth da = {
            .user = "admin", .realm = realm, .password = PASSWORD,
            .uri = "/RedirectionService", .nonce = nonce,
            .nc = "00000002", .cnonce = "cafebabe0123456789",
        };
        const char *items[8];
        g_autoptr(GByteArray) a = NULL;

        response = vamt_test_digest_response(&da);
        items[0] = "admin";
        items[1] = realm;
        items[2] = nonce;
        items[3] = "/RedirectionService";
        items[4] = da.cnonce;
        items[5] = da.nc;
        items[6] = response;
        items[7] = "auth";
        a = auth_msg(4, items, 8);
        /* arriving byte by byte */
        for (unsigned i = 0; i < a->len; i++) {
            console_send(t, a->data + i, 1);
        }
    }
    g_clear_pointer(&w, g_byte_array_unref);
    w = next_write(t);
    g_assert_cmphex(w->data[0], ==, 0x14);
    g_assert_cmphex(w->data[1], ==, 0);
    g_assert_true(vamt_redir_active(vamt_me_redir(m->me), VAMT_REDIR_SOL));
    console_free(t);
    machine_free(m);
}

/* Auth type 3: the RFC 2069 response, MD5(HA1:nonce:HA2) */
static void test_digest_no_qop(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    TestConsole *t = console_open(m);
    const char *realm = vamt_amt_realm(vamt_me_amt(m->me));
    const char *initial[] = { "admin", "", "", "/RedirectionService",
                              "", "", "" };
    g_autoptr(GByteArray) a = auth_msg(3, initial, 7);
    g_autoptr(GByteArray) w = NULL;
    g_autofree char *nonce = NULL;
    g_autofree char *ha2 = NULL;
    g_autofree char *joined = NULL;
    g_autofree char *response = NULL;

    console_send(t, start_sol, sizeof(start_sol));
    expect_write(t, 0x11, 13);
    console_send(t, a->data, a->len);
    w = next_write(t);
    g_assert_cmphex(w->data[1], ==, 1);
    nonce = g_strndup((const char *)w->data + 11 + w->data[9],
                      w->data[10 + w->data[9]]);
    {
        char ha1[VAMT_TEST_MD5_HEX_SIZE];

        vamt_test_digest_ha1("admin", realm, PASSWORD, ha1);
        ha2 = vamt_test_md5_hex("POST:/RedirectionService");
        joined = g_strdup_printf("%s:%s:%s", ha1, nonce, ha2);
        response = vamt_test_md5_hex(joined);
    }
    {
        const char *items[] = { "admin", realm, nonce, "/RedirectionService",
                                "", "", response };
        g_autoptr(GByteArray) r = auth_msg(3, items, 7);

        console_send(t, r->data, r->len);
    }
    g_clear_pointer(&w, g_byte_array_unref);
    w = next_write(t);
    g_assert_cmphex(w->data[1], ==, 0);
    console_free(t);
    machine_free(m);
}

/* Wrong password: FAILURE, and closed a second later, not at once */
static void test_wrong_password(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    TestConsole *t = console_open(m);
    g_autoptr(GByteArray) w = NULL;

    console_send(t, start_sol, sizeof(start_sol));
    expect_write(t, 0x11, 13);
    send_plain(t, "admin", "Wr0ng!pass");
    w = next_write(t);
    g_assert_cmphex(w->data[0], ==, 0x14);
    g_assert_cmphex(w->data[1], ==, 1);
    g_assert_false(t->closed);
    /* what it sends meanwhile is ignored */
    send_plain(t, "admin", PASSWORD);
    g_assert_cmpuint(t->writes->len, ==, 0);
    advance(m, t, VAMT_REDIR_FAIL_DELAY_MS);
    g_assert_true(t->closed);
    g_assert_false(vamt_redir_active(vamt_me_redir(m->me), VAMT_REDIR_SOL));
    console_free(t);
    machine_free(m);
}

/* Five wrong answers from one address lock it out, right or not */
static void test_lockout_shared_with_web(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);

    for (unsigned i = 0; i < 6; i++) {
        TestConsole *t = console_open(m);
        g_autoptr(GByteArray) w = NULL;

        console_send(t, start_sol, sizeof(start_sol));
        expect_write(t, 0x11, 13);
        send_plain(t, "admin", i < 5 ? "Wr0ng!pass" : PASSWORD);
        w = next_write(t);
        g_assert_cmphex(w->data[1], ==, 1);
        console_free(t);
    }
    /* once the lock-out has expired, the right password gets in */
    m->platform.ms += VAMT_DIGEST_LOCKOUT_MS;
    console_free(sol_session(m, sol_start_amtterm));
    machine_free(m);
}

static void test_plain_auth_off(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    TestConsole *t = console_open(m);
    const char *none[] = { NULL };
    g_autoptr(GByteArray) q = auth_msg(0, none, 0);
    g_autoptr(GByteArray) w = NULL;

    vamt_redir_set_plain_auth(vamt_me_redir(m->me), false);
    console_send(t, start_sol, sizeof(start_sol));
    expect_write(t, 0x11, 13);
    console_send(t, q->data, q->len);
    w = next_write(t);
    /* type 1 is not offered ... */
    g_assert_cmpuint(w->len, ==, 11);
    g_assert_cmphex(w->data[9], ==, 3);
    /* ... nor accepted */
    advance(m, t, 100);
    send_plain(t, "admin", PASSWORD);
    g_clear_pointer(&w, g_byte_array_unref);
    w = next_write(t);
    g_assert_cmphex(w->data[1], ==, 1);
    console_free(t);
    machine_free(m);
}

/* A user without the Redirection realm may not open a session */
static void test_realm_required(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    VamtAmt *amt = vamt_me_amt(m->me);
    char ha1[VAMT_TEST_MD5_HEX_SIZE];
    TestConsole *t;
    g_autoptr(GByteArray) w = NULL;

    vamt_test_digest_ha1("viewer", vamt_amt_realm(amt), "V1ewer!pass", ha1);
    g_assert_cmpuint(vamt_amt_add_user(amt, "viewer", ha1, 2,
                                       1u << VAMT_REALM_HARDWARE_ASSET),
                     !=, 0);
    t = console_open(m);
    console_send(t, start_sol, sizeof(start_sol));
    expect_write(t, 0x11, 13);
    send_plain(t, "viewer", "V1ewer!pass");
    w = next_write(t);
    g_assert_cmphex(w->data[1], ==, 1);
    console_free(t);

    vamt_test_digest_ha1("operator", vamt_amt_realm(amt), "Op3rator!", ha1);
    g_assert_cmpuint(vamt_amt_add_user(amt, "operator", ha1, 2,
                                       1u << VAMT_REALM_REDIRECTION),
                     !=, 0);
    t = console_open(m);
    console_send(t, start_sol, sizeof(start_sol));
    expect_write(t, 0x11, 13);
    send_plain(t, "operator", "Op3rator!");
    g_clear_pointer(&w, g_byte_array_unref);
    w = next_write(t);
    g_assert_cmphex(w->data[1], ==, 0);
    console_free(t);
    machine_free(m);
}

static uint8_t start_status(TestMachine *m, const uint8_t *start)
{
    TestConsole *t = console_open(m);
    g_autoptr(GByteArray) w = NULL;
    uint8_t status;

    console_send(t, start, 8);
    w = next_write(t);
    g_assert_cmpuint(w->len, ==, 13);
    status = w->data[1];
    advance(m, t, 100);
    /* a refusal closes the connection */
    g_assert_true(status == 0 || t->closed);
    console_free(t);
    return status;
}

/* Unknown type 1, disabled or not served 3, busy 2 */
static void test_start_refusals(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    VamtAmtState *s = vamt_amt_state(vamt_me_amt(m->me));
    static const uint8_t start_bad[] = { 0x10, 0, 0, 0, 'X', 'Y', 'Z', 'W' };
    TestConsole *first;

    g_assert_cmpuint(start_status(m, start_bad), ==, 1);
    /* no IDE-R function, no KVM: not served */
    g_assert_cmpuint(start_status(m, start_ider), ==, 3);
    g_assert_cmpuint(start_status(m, start_kvm), ==, 3);
    /* SOL switched off through AMT_RedirectionService */
    s->redirection_state = AMT_REDIRECTION_IDER;
    g_assert_cmpuint(start_status(m, start_sol), ==, 3);
    s->redirection_state = AMT_REDIRECTION_IDER_AND_SOL;
    g_assert_cmpuint(start_status(m, start_sol), ==, 0);
    /* one SOL session at a time */
    first = sol_session(m, sol_start_amtterm);
    g_assert_cmpuint(start_status(m, start_sol), ==, 2);
    /* switching SOL off ends the session */
    s->redirection_state = AMT_REDIRECTION_NONE;
    vamt_redir_settings_changed(vamt_me_redir(m->me));
    g_assert_true(first->closed);
    g_assert_cmpuint(first->wakes, >, 0);
    console_free(first);
    machine_free(m);
}

/* Listener off, or nothing to redirect: port 16994 is closed */
static void test_listener_gate(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    VamtAmtState *s = vamt_amt_state(vamt_me_amt(m->me));
    TestMachine *bare;

    g_assert_true(vamt_me_redirection_listening(m->me));
    s->redirection_listener = false;
    g_assert_false(vamt_me_redirection_listening(m->me));
    g_assert_null(vamt_me_service(m->me, VAMT_PORT_REDIRECTION));
    machine_free(m);

    bare = machine_new(0);
    g_assert_null(vamt_me_service(bare->me, VAMT_PORT_REDIRECTION));
    machine_free(bare);
}

/*
 * An unprovision from inside the guest (AMTHI, MeshCmd AmtDeactivate)
 * ends the SOL session the old admin account opened
 */
static void test_unprovision_ends_session(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    TestConsole *t = console_open(m);
    VamtAmt *amt = vamt_me_amt(m->me);
    g_autoptr(GByteArray) w = NULL;

    console_send(t, start_sol, sizeof(start_sol));
    w = next_write(t);
    g_clear_pointer(&w, g_byte_array_unref);
    send_plain(t, "admin", PASSWORD);
    w = next_write(t);
    g_assert_cmphex(w->data[1], ==, 0);
    g_assert_true(vamt_redir_active(vamt_me_redir(m->me), VAMT_REDIR_SOL));
    g_assert_true(vamt_amt_set_provisioning(amt, VAMT_PROVISIONING_POST,
                                            VAMT_CONTROL_MODE_CCM));
    vamt_amt_unprovision(amt, VAMT_AMT_LSA_NAME);
    g_assert_false(vamt_redir_active(vamt_me_redir(m->me), VAMT_REDIR_SOL));
    g_assert_true(t->closed);
    console_free(t);
    machine_free(m);
}

/* Bytes that are no message close the connection, whatever the state */
static void test_garbage(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    static const uint8_t junk[] = { 0x99, 1, 2, 3 };
    static const uint8_t huge_auth[] = { 0x13, 0, 0, 0, 4,
                                         0xff, 0xff, 0xff, 0x7f };
    TestConsole *t = console_open(m);

    console_send(t, junk, sizeof(junk));
    g_assert_true(t->closed);
    console_free(t);

    /* an auth length the ME will not buffer */
    t = console_open(m);
    console_send(t, start_sol, sizeof(start_sol));
    console_send(t, huge_auth, sizeof(huge_auth));
    g_assert_true(t->closed);
    console_free(t);

    /* SOL messages before authenticating */
    t = console_open(m);
    console_send(t, start_sol, sizeof(start_sol));
    console_send(t, sol_start_amtterm, sizeof(sol_start_amtterm));
    g_assert_true(t->closed);
    console_free(t);

    /* elements overrunning the auth data */
    t = console_open(m);
    console_send(t, start_sol, sizeof(start_sol));
    {
        static const uint8_t bad[] = { 0x13, 0, 0, 0, 1, 3, 0, 0, 0,
                                       5, 'a', 'b' };

        console_send(t, bad, sizeof(bad));
    }
    expect_write(t, 0x11, 13);
    expect_write(t, 0x14, 9);
    advance(m, t, VAMT_REDIR_FAIL_DELAY_MS);
    g_assert_true(t->closed);
    console_free(t);
    machine_free(m);
}

/* Connections that never authenticate time out, and make room */
static void test_unauthenticated_limits(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    TestConsole *t[VAMT_REDIR_MAX_UNAUTHENTICATED + 1];
    TestConsole *idle;

    for (unsigned i = 0; i < G_N_ELEMENTS(t); i++) {
        t[i] = console_open(m);
    }
    /* the oldest made room for the newest */
    g_assert_true(t[0]->closed);
    for (unsigned i = 1; i < G_N_ELEMENTS(t); i++) {
        g_assert_false(t[i]->closed);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(t); i++) {
        console_free(t[i]);
    }
    idle = console_open(m);
    advance(m, idle, VAMT_REDIR_START_TIMEOUT_MS);
    g_assert_true(idle->closed);
    console_free(idle);
    idle = console_open(m);
    console_send(idle, start_sol, sizeof(start_sol));
    advance(m, idle, VAMT_REDIR_AUTH_TIMEOUT_MS);
    g_assert_true(idle->closed);
    console_free(idle);
    machine_free(m);
}

/* The audit log has the session's start and end */
static void test_audit(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_SOL);
    VamtAmt *amt = vamt_me_amt(m->me);
    unsigned before = vamt_amt_state(amt)->audit_count;
    TestConsole *t = sol_session(m, sol_start_amtterm);

    console_free(t);
    g_assert_cmpuint(vamt_amt_state(amt)->audit_count, ==, before + 2);
    {
        g_autoptr(GByteArray) open_rec = vamt_amt_audit_bytes(amt, before);
        g_autoptr(GByteArray) close_rec = vamt_amt_audit_bytes(amt,
                                                               before + 1);

        /* AuditAppID 18, EventID 4 then 5 (big-endian) */
        g_assert_cmphex(open_rec->data[1], ==, 18);
        g_assert_cmphex(open_rec->data[3], ==, 4);
        g_assert_cmphex(close_rec->data[3], ==, 5);
    }
    machine_free(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/redir/sol/amtterm", test_sol_amtterm);
    g_test_add_func("/vamt/redir/sol/batching", test_sol_batching);
    g_test_add_func("/vamt/redir/sol/only-when-full", test_sol_only_when_full);
    g_test_add_func("/vamt/redir/sol/uart-backpressure",
                    test_sol_uart_backpressure);
    g_test_add_func("/vamt/redir/sol/no-session", test_sol_no_session);
    g_test_add_func("/vamt/redir/sol/console-not-reading",
                    test_sol_console_not_reading);
    g_test_add_func("/vamt/redir/sol/controls", test_sol_controls);
    g_test_add_func("/vamt/redir/sol/rx-timeout", test_sol_rx_timeout);
    g_test_add_func("/vamt/redir/auth/digest-meshcommander",
                    test_digest_meshcommander);
    g_test_add_func("/vamt/redir/auth/digest-no-qop", test_digest_no_qop);
    g_test_add_func("/vamt/redir/auth/wrong-password", test_wrong_password);
    g_test_add_func("/vamt/redir/auth/lockout", test_lockout_shared_with_web);
    g_test_add_func("/vamt/redir/auth/plain-off", test_plain_auth_off);
    g_test_add_func("/vamt/redir/auth/realm", test_realm_required);
    g_test_add_func("/vamt/redir/start/refusals", test_start_refusals);
    g_test_add_func("/vamt/redir/start/listener-gate", test_listener_gate);
    g_test_add_func("/vamt/redir/garbage", test_garbage);
    g_test_add_func("/vamt/redir/unprovision-ends-session",
                    test_unprovision_ends_session);
    g_test_add_func("/vamt/redir/unauthenticated", test_unauthenticated_limits);
    g_test_add_func("/vamt/redir/audit", test_audit);
    return g_test_run();
}
