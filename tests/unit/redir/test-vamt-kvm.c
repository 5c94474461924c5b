/*
 * Unit tests of the ME core's KVM sessions: KVMR on the redirection
 * port after AMT's own login (0x40/0x41, then RFB), port 5900 with VNC
 * authentication and AMT's RFB password, one session across both,
 * refusals, consent, time-outs, and what is saved
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "byte-order.h"
#include "cim-values.h"
#include "redir-test-console.h"
#include "rfb-test-viewer.h"

/* ---- tests: KVM sessions on the redirection port ---- */

/* Everything the ME wrote to the console, in order, into @v->in */
static void collect(TestConsole *t, Viewer *v)
{
    while (t->writes->len) {
        g_autoptr(GByteArray) w = next_write(t);

        g_byte_array_append(v->in, w->data, w->len);
    }
}

static void console_rfb(TestConsole *t, const void *data, size_t len)
{
    console_send(t, data, len);
}

/*
 * MeshCommander's KVM: the redirection login, 0x40 -> 0x41, then RFB
 * on the same connection; its viewer sees the screen, its keys and
 * pointer reach the platform; the session is audited and ends with the
 * connection
 */
static void test_session_meshcommander(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_KVM);
    VamtAmt *amt = vamt_me_amt(m->me);
    VamtScreen *screen = vamt_redir_screen(vamt_me_redir(m->me));
    unsigned audits = vamt_amt_state(amt)->audit_count;
    TestConsole *t = console_open(m);
    Viewer *v = viewer_new();
    static const uint8_t start[8] = { 0x40 };
    static const uint8_t reply[8] = { 0x41 };
    static const uint8_t none = 1, shared = 1;
    static const uint8_t key_a_down[8] = { 4, 1, 0, 0, 0, 0, 0, 0x61 };
    static const uint8_t key_a_up[8] = { 4, 0, 0, 0, 0, 0, 0, 0x61 };
    static const uint8_t enter[8] = { 4, 1, 0, 0, 0, 0, 0xff, 0x0d };
    static const uint8_t far_click[6] = { 5, 1, 0x13, 0x88, 0x13, 0x88 };
    uint8_t encs[4 + 16] = { 2, 0, 0, 4 };
    uint8_t request[10] = { 3, 1, 0, 0, 0, 0, 0x03, 0x20, 0x02, 0x58 };
    size_t off = 0;

    vamt_screen_resize(screen, 800, 600);
    paint(screen, pattern, 4);
    console_send(t, start_kvm, sizeof(start_kvm));
    expect_write(t, 0x11, 13);
    send_plain(t, "admin", PASSWORD);
    expect_write(t, 0x14, 9);
    g_assert_false(m->viewing);
    g_assert_true(vamt_redir_active(vamt_me_redir(m->me), VAMT_REDIR_KVM));
    g_assert_true(vamt_amt_session_open(amt, VAMT_AMT_SESSION_KVM));

    console_send(t, start, sizeof(start));
    collect(t, v);
    expect_bytes(v, reply, sizeof(reply));
    expect_bytes(v, "RFB 003.008\n", 12);
    g_assert_true(m->viewing);
    console_rfb(t, "RFB 003.008\n", 12);
    console_rfb(t, &none, 1);
    console_rfb(t, &shared, 1);
    collect(t, v);
    consume(v, 2 + 4);
    take(v, 24, &off);
    g_assert_cmpuint(vamt_be16(v->in->data), ==, 800);
    g_assert_cmpuint(vamt_be16(v->in->data + 2), ==, 600);
    off += vamt_be32(v->in->data + 20);
    consume(v, off);
    v->width = 800;
    v->height = 600;
    v->fb = g_new0(uint32_t, 800 * 600);
    for (unsigned i = 0; i < 4; i++) {
        vamt_put_be32(encs + 4 + 4 * i, meshcommander_encodings[i]);
    }
    console_rfb(t, encs, sizeof(encs));
    console_rfb(t, request, sizeof(request));
    collect(t, v);
    while (v->in->len) {
        read_update(v);
        console_rfb(t, request, sizeof(request));
        collect(t, v);
    }
    assert_picture(v, screen, rgb565_max, rgb565_shift);
    g_assert_nonnull(vamt_redir_kvm_stats(vamt_me_redir(m->me)));

    /* an update the platform drew goes out on its flush */
    {
        uint32_t white[4] = { 0xffffff, 0xffffff, 0xffffff, 0xffffff };

        vamt_screen_update(screen, 700, 500, 2, 2, (const uint8_t *)white,
                           8);
        vamt_redir_kvm_flush(vamt_me_redir(m->me));
        collect(t, v);
        g_assert_cmpuint(read_update(v), ==, 1);
        assert_picture(v, screen, rgb565_max, rgb565_shift);
    }

    /* keys as USB usages; the pointer clamped to the screen */
    console_rfb(t, key_a_down, sizeof(key_a_down));
    console_rfb(t, key_a_up, sizeof(key_a_up));
    console_rfb(t, enter, sizeof(enter));
    console_rfb(t, far_click, sizeof(far_click));
    g_assert_cmpuint(m->input->len, ==, 4);
    g_assert_cmphex(g_array_index(m->input, TestInputEvent, 0).usage, ==, 4);
    g_assert_true(g_array_index(m->input, TestInputEvent, 0).down);
    g_assert_false(g_array_index(m->input, TestInputEvent, 1).down);
    g_assert_cmphex(g_array_index(m->input, TestInputEvent, 2).usage, ==,
                    0x28);
    g_assert_true(g_array_index(m->input, TestInputEvent, 3).pointer);
    g_assert_cmpuint(g_array_index(m->input, TestInputEvent, 3).x, ==, 799);
    g_assert_cmpuint(g_array_index(m->input, TestInputEvent, 3).y, ==, 599);
    g_assert_cmpuint(g_array_index(m->input, TestInputEvent, 3).buttons, ==,
                     1);

    /* the console goes: viewing stops, the session is over and audited */
    console_free(t);
    g_assert_false(m->viewing);
    g_assert_false(vamt_redir_active(vamt_me_redir(m->me), VAMT_REDIR_KVM));
    g_assert_false(vamt_amt_session_open(amt, VAMT_AMT_SESSION_KVM));
    g_assert_cmpuint(vamt_amt_state(amt)->audit_count, ==, audits + 2);
    {
        g_autoptr(GByteArray) open_rec = vamt_amt_audit_bytes(amt, audits);
        g_autoptr(GByteArray) close_rec = vamt_amt_audit_bytes(amt,
                                                               audits + 1);

        /* Redirection Manager (18): KVM session started 8, ended 9 */
        g_assert_cmphex(open_rec->data[1], ==, 18);
        g_assert_cmphex(open_rec->data[3], ==, 8);
        g_assert_cmphex(close_rec->data[3], ==, 9);
    }
    viewer_free(v);
    machine_free(m);
}

/* 0x11's status for KVMR on @m, the connection closed again */
static uint8_t kvm_start_status(TestMachine *m)
{
    TestConsole *t = console_open(m);
    g_autoptr(GByteArray) w = NULL;
    uint8_t status;

    console_send(t, start_kvm, sizeof(start_kvm));
    w = next_write(t);
    g_assert_cmphex(w->data[0], ==, 0x11);
    status = w->data[1];
    console_free(t);
    return status;
}

/* An open KVMR session past its 0x41, RFB's version read */
/* KVMR started, logged in and 0x40 sent: the 0x41's status in @status */
static TestConsole *kvm_start(TestMachine *m, uint8_t *status)
{
    TestConsole *t = console_open(m);
    static const uint8_t start[8] = { 0x40 };
    g_autoptr(GByteArray) w = NULL;

    console_send(t, start_kvm, sizeof(start_kvm));
    expect_write(t, 0x11, 13);
    send_plain(t, "admin", PASSWORD);
    expect_write(t, 0x14, 9);
    console_send(t, start, sizeof(start));
    w = next_write(t);
    g_assert_cmphex(w->data[0], ==, 0x41);
    *status = w->data[1];
    return t;
}

static TestConsole *kvm_session(TestMachine *m)
{
    uint8_t status;
    TestConsole *t = kvm_start(m, &status);

    g_assert_cmphex(status, ==, 0);
    return t;
}

/*
 * Not served without a display (3), nor when a console disabled KVM
 * (3); one session at a time (2); disabling KVM ends the session
 */
static void test_session_refusals(void)
{
    TestMachine *bare = machine_new(VAMT_FW_REDIR_SOL);
    TestMachine *m = machine_new(VAMT_FW_REDIR_KVM);
    VamtAmtState *s = vamt_amt_state(vamt_me_amt(m->me));
    TestConsole *first;

    g_assert_cmpuint(kvm_start_status(bare), ==, 3);
    s->kvm_requested = CIM_REQUESTED_STATE_DISABLED;
    g_assert_cmpuint(kvm_start_status(m), ==, 3);
    s->kvm_requested = CIM_REQUESTED_STATE_ENABLED;
    g_assert_cmpuint(kvm_start_status(m), ==, 0);

    first = kvm_session(m);
    g_assert_true(m->viewing);
    g_assert_cmpuint(kvm_start_status(m), ==, 2);
    s->kvm_requested = CIM_REQUESTED_STATE_DISABLED;
    vamt_redir_settings_changed(vamt_me_redir(m->me));
    g_assert_true(first->closed);
    g_assert_false(m->viewing);
    console_free(first);
    machine_free(m);
    machine_free(bare);
}

/*
 * With user consent required and no code given, the session is refused
 * at 0x41 (the in-session consent screen is not served); with the code
 * received over WS-Man it opens
 */
static void test_session_consent(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_KVM);
    VamtAmtState *s = vamt_amt_state(vamt_me_amt(m->me));
    TestConsole *t;
    uint8_t status;

    s->opt_in_required = 1;
    s->opt_in_state = 2;
    t = kvm_start(m, &status);
    g_assert_cmphex(status, !=, 0);
    g_assert_cmpuint(t->writes->len, ==, 0);
    advance(m, t, VAMT_REDIR_ISOLATION_MS);
    g_assert_true(t->closed);
    g_assert_false(m->viewing);
    console_free(t);

    /* the consent is in use while the session lasts, then lasts 2 min */
    s->opt_in_state = 3;
    t = kvm_session(m);
    g_assert_true(m->viewing);
    g_assert_cmpuint(s->opt_in_state, ==, 4);
    console_free(t);
    g_assert_cmpuint(s->opt_in_state, ==, 3);
    m->platform.ms += VAMT_OPT_IN_UNUSED_MS;
    g_assert_cmpuint(kvm_start_status(m), ==, 0);
    t = kvm_start(m, &status);
    g_assert_cmphex(status, !=, 0);
    g_assert_cmpuint(s->opt_in_state, ==, 0);
    console_free(t);
    machine_free(m);
}

/* SessionTimeout: minutes without input from the console end it */
static void test_session_timeout(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_KVM);
    VamtAmtState *s = vamt_amt_state(vamt_me_amt(m->me));
    static const uint8_t key[8] = { 4, 1, 0, 0, 0, 0, 0, 0x61 };
    TestConsole *t;

    s->kvm_session_timeout = 1;
    t = kvm_session(m);
    console_send(t, "RFB 003.008\n", 12);
    console_send(t, "\x01\x01", 2);
    for (int i = 0; i < 4; i++) {
        advance(m, t, 30000);
        console_send(t, key, sizeof(key));
    }
    g_assert_false(t->closed);
    advance(m, t, 59000);
    g_assert_false(t->closed);
    advance(m, t, 1000);
    g_assert_true(t->closed);
    g_assert_false(m->viewing);
    console_free(t);
    machine_free(m);
}

/* Garbage after 0x41 is bad RFB: the session closes, nothing is left */
static void test_session_garbage(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_KVM);
    TestConsole *t = kvm_session(m);

    console_send(t, "RFB 003.008\n\x01\x01\x63\x00\x00\x00", 18);
    g_assert_true(t->closed);
    g_assert_false(m->viewing);
    g_assert_false(vamt_redir_active(vamt_me_redir(m->me), VAMT_REDIR_KVM));
    console_free(t);
    /* and the next console gets a session */
    t = kvm_session(m);
    g_assert_true(m->viewing);
    console_free(t);
    machine_free(m);
}

/* ---- tests: port 5900 ---- */

#define RFB_PASSWORD "Vnc@pw01"

/* DES as RFB uses it: the answer openssl's des-ecb gives */
static void test_vnc_response(void)
{
    static const uint8_t challenge[16] = {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    };
    static const uint8_t expected[16] = {
        0xc0, 0x12, 0x93, 0x24, 0xf9, 0x25, 0x47, 0x99,
        0xb9, 0x16, 0x46, 0x1d, 0x6d, 0x9d, 0xa2, 0x50,
    };
    uint8_t response[16];

    g_assert_true(vamt_test_vnc_response(NULL, RFB_PASSWORD, challenge,
                                         response));
    g_assert_cmpmem(response, 16, expected, 16);
}

static TestMachine *vnc_machine(void)
{
    TestMachine *m = machine_new(VAMT_FW_REDIR_KVM);
    VamtAmtState *s = vamt_amt_state(vamt_me_amt(m->me));

    /* nothing on 5900 until the port is enabled with a password */
    g_assert_null(vamt_me_service(m->me, VAMT_PORT_VNC));
    s->kvm_port_5900 = true;
    g_assert_null(vamt_me_service(m->me, VAMT_PORT_VNC));
    g_strlcpy(s->rfb_password, RFB_PASSWORD, sizeof(s->rfb_password));
    g_assert_nonnull(vamt_me_service(m->me, VAMT_PORT_VNC));
    return m;
}

/*
 * A 3.8 viewer with VNC authentication and @password: the
 * SecurityResult it got (0 ok), its reason when refused
 */
static uint32_t vnc_login(TestConsole *t, Viewer *v, const char *password,
                          char **reason)
{
    static const uint8_t list[] = { 1, 2 };
    static const uint8_t vnc_auth = 2;
    uint8_t response[16];
    uint32_t result;

    collect(t, v);
    expect_bytes(v, "RFB 003.008\n", 12);
    console_send(t, "RFB 003.008\n", 12);
    collect(t, v);
    if (v->in->data[0] == 0) {
        /* no security types: refused before authentication */
        *reason = g_strndup((char *)v->in->data + 5,
                            vamt_be32(v->in->data + 1));
        return UINT32_MAX;
    }
    expect_bytes(v, list, sizeof(list));
    console_send(t, &vnc_auth, 1);
    collect(t, v);
    g_assert_cmpuint(v->in->len, ==, 16);
    vamt_test_vnc_response(NULL, password, v->in->data, response);
    consume(v, 16);
    console_send(t, response, sizeof(response));
    collect(t, v);
    result = vamt_be32(v->in->data);
    if (result) {
        *reason = g_strndup((char *)v->in->data + 8,
                            vamt_be32(v->in->data + 4));
    }
    consume(v, v->in->len);
    return result;
}

/*
 * A VNC viewer with the RFB password gets the screen and the session;
 * the audit log and the platform see it as KVM
 */
static void test_vnc_session(void)
{
    TestMachine *m = vnc_machine();
    VamtAmt *amt = vamt_me_amt(m->me);
    VamtScreen *screen = vamt_redir_screen(vamt_me_redir(m->me));
    unsigned audits = vamt_amt_state(amt)->audit_count;
    TestConsole *t = console_open_port(m, VAMT_PORT_VNC);
    Viewer *v = viewer_new();
    static const uint8_t shared = 1;
    static const int32_t raw = VAMT_RFB_ENC_RAW;
    g_autofree char *reason = NULL;

    vamt_screen_resize(screen, 640, 480);
    paint(screen, pattern, 5);
    g_assert_false(m->viewing);
    g_assert_cmpuint(vnc_login(t, v, RFB_PASSWORD, &reason), ==, 0);
    g_assert_true(m->viewing);
    g_assert_true(vamt_redir_active(vamt_me_redir(m->me), VAMT_REDIR_KVM));
    g_assert_cmpuint(vamt_amt_state(amt)->audit_count, ==, audits + 1);
    console_send(t, &shared, 1);
    collect(t, v);
    g_assert_cmpuint(vamt_be16(v->in->data), ==, 640);
    consume(v, v->in->len);
    v->width = 640;
    v->height = 480;
    v->fb = g_new0(uint32_t, 640 * 480);
    {
        uint8_t encs[8] = { 2, 0, 0, 1 };
        uint8_t request[10] = { 3, 0, 0, 0, 0, 0, 0x02, 0x80, 0x01, 0xe0 };

        vamt_put_be32(encs + 4, (uint32_t)raw);
        console_send(t, encs, sizeof(encs));
        console_send(t, request, sizeof(request));
        collect(t, v);
        while (v->in->len) {
            read_update(v);
            request[1] = 1;
            console_send(t, request, sizeof(request));
            collect(t, v);
        }
    }
    assert_picture(v, screen, rgb565_max, rgb565_shift);
    console_free(t);
    g_assert_false(m->viewing);
    g_assert_cmpuint(vamt_amt_state(amt)->audit_count, ==, audits + 2);
    viewer_free(v);
    machine_free(m);
}

/*
 * A wrong password is refused with a reason; three in a row hold
 * further viewers off for 10 s; a KVM session elsewhere makes 5900 busy
 * (refused before authentication, as AMT does)
 */
static void test_vnc_refusals(void)
{
    TestMachine *m = vnc_machine();
    VamtAmtState *s = vamt_amt_state(vamt_me_amt(m->me));
    TestConsole *t, *kvmr;
    Viewer *v = viewer_new();
    char *reason = NULL;

    for (int i = 0; i < 3; i++) {
        t = console_open_port(m, VAMT_PORT_VNC);
        g_assert_cmpuint(vnc_login(t, v, "Wrong@01", &reason), ==, 1);
        g_assert_cmpstr(reason, ==, "authentication failed");
        g_clear_pointer(&reason, g_free);
        g_assert_true(t->closed);
        g_assert_false(m->viewing);
        console_free(t);
    }
    t = console_open_port(m, VAMT_PORT_VNC);
    g_assert_cmpuint(vnc_login(t, v, RFB_PASSWORD, &reason), ==, UINT32_MAX);
    g_assert_nonnull(strstr(reason, "too many"));
    g_clear_pointer(&reason, g_free);
    console_free(t);
    g_byte_array_set_size(v->in, 0);
    m->platform.ms += 10000;

    /* busy while KVMR has the session */
    kvmr = kvm_session(m);
    t = console_open_port(m, VAMT_PORT_VNC);
    g_assert_cmpuint(vnc_login(t, v, RFB_PASSWORD, &reason), ==, UINT32_MAX);
    g_assert_cmpstr(reason, ==, "KVM session active");
    g_clear_pointer(&reason, g_free);
    g_assert_true(t->closed);
    console_free(t);
    g_byte_array_set_size(v->in, 0);
    console_free(kvmr);

    /* consent required and not given */
    s->opt_in_required = 1;
    t = console_open_port(m, VAMT_PORT_VNC);
    g_assert_cmpuint(vnc_login(t, v, RFB_PASSWORD, &reason), ==, UINT32_MAX);
    g_assert_cmpstr(reason, ==, "user consent required");
    g_clear_pointer(&reason, g_free);
    console_free(t);
    g_byte_array_set_size(v->in, 0);
    s->opt_in_required = 0;

    /* the password changes or the port goes: the session ends */
    t = console_open_port(m, VAMT_PORT_VNC);
    g_assert_cmpuint(vnc_login(t, v, RFB_PASSWORD, &reason), ==, 0);
    g_strlcpy(s->rfb_password, "Other#99", sizeof(s->rfb_password));
    vamt_redir_settings_changed(vamt_me_redir(m->me));
    g_assert_true(t->closed);
    g_assert_false(m->viewing);
    console_free(t);
    g_byte_array_set_size(v->in, 0);
    t = console_open_port(m, VAMT_PORT_VNC);
    g_assert_cmpuint(vnc_login(t, v, "Other#99", &reason), ==, 0);
    s->kvm_port_5900 = false;
    vamt_redir_settings_changed(vamt_me_redir(m->me));
    g_assert_true(t->closed);
    g_assert_null(vamt_me_service(m->me, VAMT_PORT_VNC));
    console_free(t);
    viewer_free(v);
    machine_free(m);
}

/* A viewer that never authenticates is closed after 30 s */
static void test_vnc_auth_timeout(void)
{
    TestMachine *m = vnc_machine();
    TestConsole *t = console_open_port(m, VAMT_PORT_VNC);

    console_send(t, "RFB 003.008\n", 12);
    advance(m, t, VAMT_REDIR_AUTH_TIMEOUT_MS - 1);
    g_assert_false(t->closed);
    advance(m, t, 1);
    g_assert_true(t->closed);
    console_free(t);
    machine_free(m);
}

/*
 * KVM's settings live in the saved state (NVRAM, migration); a session
 * does not: the destination starts without one, the console reconnects
 */
static void test_kvm_state_saved(void)
{
    TestMachine *src = vnc_machine();
    TestMachine *dst = machine_new(VAMT_FW_REDIR_KVM);
    VamtAmt *amt = vamt_me_amt(src->me);
    VamtAmtState *s = vamt_amt_state(amt);
    const VamtAmtState *d = vamt_amt_state(vamt_me_amt(dst->me));
    g_autoptr(GByteArray) blob = g_byte_array_new();
    TestConsole *t = kvm_session(src);
    char *p;
    size_t i;

    s->kvm_session_timeout = 42;
    s->opt_in_required = 1;
    vamt_amt_save(amt, blob);
    g_assert_true(vamt_amt_load(vamt_me_amt(dst->me), blob->data,
                                blob->len));
    g_assert_cmpstr(d->rfb_password, ==, RFB_PASSWORD);
    g_assert_true(d->kvm_port_5900);
    g_assert_cmpuint(d->kvm_session_timeout, ==, 42);
    g_assert_cmpuint(d->opt_in_required, ==, 1);
    g_assert_false(vamt_redir_active(vamt_me_redir(dst->me),
                                     VAMT_REDIR_KVM));
    g_assert_nonnull(vamt_me_service(dst->me, VAMT_PORT_VNC));

    /* a password AMT would not take does not load */
    for (p = NULL, i = 0; !p && i + 8 <= blob->len; i++) {
        if (!memcmp(blob->data + i, RFB_PASSWORD, 8)) {
            p = (char *)blob->data + i;
        }
    }
    g_assert_nonnull(p);
    memcpy(p, "weakweak", 8);
    g_assert_false(vamt_amt_load(vamt_me_amt(dst->me), blob->data,
                                 blob->len));
    g_assert_cmpstr(d->rfb_password, ==, RFB_PASSWORD);
    console_free(t);
    machine_free(src);
    machine_free(dst);
}


int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/kvm/session/meshcommander",
                    test_session_meshcommander);
    g_test_add_func("/vamt/kvm/session/refusals", test_session_refusals);
    g_test_add_func("/vamt/kvm/session/consent", test_session_consent);
    g_test_add_func("/vamt/kvm/session/timeout", test_session_timeout);
    g_test_add_func("/vamt/kvm/session/garbage", test_session_garbage);
    g_test_add_func("/vamt/kvm/vnc/des", test_vnc_response);
    g_test_add_func("/vamt/kvm/vnc/session", test_vnc_session);
    g_test_add_func("/vamt/kvm/vnc/refusals", test_vnc_refusals);
    g_test_add_func("/vamt/kvm/vnc/auth-timeout", test_vnc_auth_timeout);
    g_test_add_func("/vamt/kvm/state-saved", test_kvm_state_saved);
    return g_test_run();
}
