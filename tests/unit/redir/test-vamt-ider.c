/*
 * Unit tests of the ME core's IDE-R sessions: set-up as meshcmd and
 * amtider send it (spec transcripts), the attach probe, reads split into
 * chunk-sized READ(10), resets, heartbeats, the end of a session and
 * consoles that send too much or nonsense
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "cim-values.h"
#include "redir-test-console.h"

/* meshcmd's StartIDERRedirection: rx 30000, tx 0, heartbeat 20000, v1 */
static const uint8_t start_meshcmd[18] = {
    0x40, 0, 0, 0, 0, 0, 0, 0, 0x30, 0x75, 0x00, 0x00, 0x20, 0x4e,
    0x01, 0x00, 0x00, 0x00,
};
/* amtider's: its values at 1..7, zeroes where they belong */
static const uint8_t start_amtider[18] = {
    0x40, 0x64, 0x00, 0x10, 0x27, 0x88, 0x13, 0x01, 0x00,
};

/* READ CAPACITY of a 128 KiB ISO: last LBA 63, 2048-byte blocks */
static const uint8_t capacity_64[8] = { 0, 0, 0, 0x3f, 0, 0, 0x08, 0 };

/* What one test's console has seen */
typedef struct Ider {
    TestMachine *m;
    TestConsole *t;
    uint32_t seq;               /* the device seq the next message has */
} Ider;

/* Take the next write: a device IDE-R message of @type and @len */
static GByteArray *ider_next(Ider *s, uint8_t type, size_t len)
{
    GByteArray *w = next_write(s->t);

    g_assert_cmphex(w->data[0], ==, type);
    g_assert_cmpuint(w->len, ==, len);
    /* MeshCommander drops a session with a gap in the device's seqs */
    g_assert_cmpuint(w->data[4] | w->data[5] << 8 | w->data[6] << 16 |
                     (uint32_t)w->data[7] << 24, ==, s->seq);
    s->seq++;
    return w;
}

static void ider_expect(Ider *s, uint8_t type, size_t len)
{
    g_byte_array_unref(ider_next(s, type, len));
}

/* The next write is a 0x50 with @opcode; returns its CDB's LBA/length */
static void expect_command(Ider *s, uint8_t opcode, uint32_t *lba,
                           uint16_t *blocks)
{
    g_autoptr(GByteArray) w = ider_next(s, 0x50, 28);

    g_assert_cmphex(w->data[14], ==, 0xb0);     /* the CD */
    g_assert_cmphex(w->data[15], ==, 0xa0);     /* PACKET */
    g_assert_cmphex(w->data[16], ==, opcode);
    if (lba) {
        *lba = (uint32_t)w->data[18] << 24 | w->data[19] << 16 |
               w->data[20] << 8 | w->data[21];
    }
    if (blocks) {
        *blocks = w->data[23] << 8 | w->data[24];
    }
}

/* A 0x54 as amtider and MeshCommander build it (spec §3.8) */
static void send_data(Ider *s, const void *data, uint16_t n, bool complete)
{
    static const uint8_t regs[] = {
        0xb5, 0x00, 0x02, 0x00, 0x08, 0x00, 0xb0, 0x58,   /* data phase */
        0x85, 0x00, 0x03, 0x00, 0x00, 0x00, 0xb0, 0x50,   /* completion */
    };
    g_autofree uint8_t *msg = g_malloc0(34 + n);

    msg[0] = 0x54;
    msg[3] = complete ? 0x02 : 0x00;
    msg[4] = 0x77;                  /* console seqs: anything */
    msg[9] = n;
    msg[10] = n >> 8;
    memcpy(msg + 12, regs, sizeof(regs));
    memcpy(msg + 34, data, n);
    console_send(s->t, msg, 34 + n);
}

/* A 0x51: success, or the error registers with @sense (key/asc/ascq) */
static void send_end(Ider *s, const uint8_t *sense)
{
    uint8_t msg[31] = { 0x51, 0, 0, 0x02 };

    msg[20] = sense ? 0x87 : 0x85;
    msg[21] = sense ? sense[0] << 4 : 0;
    msg[22] = 0x03;
    msg[26] = 0xb0;
    msg[27] = sense ? 0x51 : 0x50;
    if (sense) {
        memcpy(msg + 28, sense, 3);
    }
    console_send(s->t, msg, sizeof(msg));
}

static void send_features(Ider *s, uint8_t sub, uint32_t value)
{
    uint8_t msg[13] = { 0x48, 0, 0, 0, 1, 0, 0, 0, sub };

    msg[9] = value;
    msg[10] = value >> 8;
    msg[11] = value >> 16;
    msg[12] = value >> 24;
    console_send(s->t, msg, sub == 1 ? 9 : 13);
}

static void send8(Ider *s, uint8_t type)
{
    uint8_t msg[8] = { type, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef };

    console_send(s->t, msg, sizeof(msg));
}

/* Log in and start IDE-R with @start; the 0x41 is left to read */
static void ider_open(Ider *s, const uint8_t *start)
{
    s->m = machine_new(VAMT_FW_REDIR_IDER);
    s->t = console_open(s->m);
    s->seq = 0;
    console_send(s->t, start_ider, sizeof(start_ider));
    expect_write(s->t, 0x11, 13);
    send_plain(s->t, "admin", PASSWORD);
    expect_write(s->t, 0x14, 9);
    console_send(s->t, start, 18);
}

/* The probe after an enable: TEST UNIT READY, READ CAPACITY */
static void answer_probe(Ider *s, const uint8_t *capacity)
{
    advance(s->m, s->t, 100);           /* 0x49 is read alone */
    expect_command(s, 0x00, NULL, NULL);
    send_end(s, NULL);
    expect_command(s, 0x25, NULL, NULL);
    send_data(s, capacity, 8, true);
}

/* A session with the console's 64-block CD attached, start mode NOW */
static void ider_attached(Ider *s)
{
    ider_open(s, start_meshcmd);
    ider_expect(s, 0x41, 30);
    send_features(s, 3, 0x19);
    ider_expect(s, 0x49, 13);
    answer_probe(s, capacity_64);
    g_assert_cmpuint(s->m->media_events->len, ==, 1);
    advance(s->m, s->t, 100);
}

static void ider_close(Ider *s)
{
    console_free(s->t);
    machine_free(s->m);
}

static TestReadDone read_done(Ider *s, unsigned i)
{
    g_assert_cmpuint(s->m->reads_done->len, >, i);
    return g_array_index(s->m->reads_done, TestReadDone, i);
}

static VamtRedir *redir_of(Ider *s)
{
    return vamt_me_redir(s->m->me);
}

/* ---- tests ---- */

/* meshcmd's transcript (spec §3.8), byte for byte */
static void test_meshcmd_transcript(void)
{
    /* as recorded, but with the reserved 12..15 zero and our firmware */
    uint8_t reply41[30] = {
        0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x0b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x20,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x57, 0x01, 0x00, 0x00, 0x00,
    };
    static const uint8_t enable[13] = {
        0x48, 0, 0, 0, 0x01, 0, 0, 0, 0x03, 0x19, 0, 0, 0,
    };
    static const uint8_t reply49[13] = {
        0x49, 0, 0, 0, 0x01, 0, 0, 0, 0x03, 0x01, 0, 0, 0,
    };
    static const uint8_t tur[28] = {
        0x50, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xb0, 0xa0,
    };
    static const uint8_t read_capacity[28] = {
        0x50, 0, 0, 0, 0x03, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xb0, 0xa0,
        0x25,
    };
    static const uint8_t data54[42] = {
        0x54, 0x00, 0x00, 0x02, 0x05, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00,
        0x00, 0xb5, 0x00, 0x02, 0x00, 0x08, 0x00, 0xb0, 0x58, 0x85, 0x00,
        0x03, 0x00, 0x00, 0x00, 0xb0, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x08, 0x00,
    };
    Ider s;
    TestMediaEvent ev;

    ider_open(&s, start_meshcmd);
    reply41[10] = s.m->fw.version.major;
    reply41[11] = s.m->fw.version.minor;
    {
        g_autoptr(GByteArray) w = ider_next(&s, 0x41, 30);

        g_assert_cmpmem(w->data, w->len, reply41, sizeof(reply41));
    }
    /* the 0x41 is read alone */
    g_assert_cmpuint(s.t->writes->len, ==, 0);
    console_send(s.t, enable, sizeof(enable));
    {
        g_autoptr(GByteArray) w = ider_next(&s, 0x49, 13);

        g_assert_cmpmem(w->data, w->len, reply49, sizeof(reply49));
    }
    /* ... and so is the 0x49: the probe follows 100 ms later */
    g_assert_cmpuint(s.t->writes->len, ==, 0);
    advance(s.m, s.t, 99);
    g_assert_cmpuint(s.t->writes->len, ==, 0);
    advance(s.m, s.t, 1);
    {
        g_autoptr(GByteArray) w = ider_next(&s, 0x50, 28);

        g_assert_cmpmem(w->data, w->len, tur, sizeof(tur));
    }
    send_end(&s, NULL);
    {
        g_autoptr(GByteArray) w = ider_next(&s, 0x50, 28);

        g_assert_cmpmem(w->data, w->len, read_capacity,
                        sizeof(read_capacity));
    }
    g_assert_cmpuint(s.m->media_events->len, ==, 0);
    /* the recorded answer, split across two segments */
    console_send(s.t, data54, 20);
    console_send(s.t, data54 + 20, sizeof(data54) - 20);
    g_assert_cmpuint(s.m->media_events->len, ==, 1);
    ev = g_array_index(s.m->media_events, TestMediaEvent, 0);
    g_assert_true(ev.present);
    g_assert_cmpuint(ev.blocks, ==, 64);
    g_assert_cmpuint(ev.block_size, ==, 2048);
    g_assert_true(vamt_redir_ider_medium(redir_of(&s), NULL, NULL));

    /* GET_SUPPORTED and GET_REGISTER_STATE: enabled and visible */
    advance(s.m, s.t, 100);
    send_features(&s, 1, 0);
    {
        g_autoptr(GByteArray) w = ider_next(&s, 0x49, 13);

        g_assert_cmphex(w->data[8], ==, 1);
        g_assert_cmphex(w->data[9], ==, 1);
    }
    send_features(&s, 2, 0);
    {
        g_autoptr(GByteArray) w = ider_next(&s, 0x49, 13);

        g_assert_cmphex(w->data[8], ==, 2);
        g_assert_cmphex(w->data[9], ==, 3);
    }
    ider_close(&s);
}

/* amtider: fields misplaced, so no heartbeat asked: 5 s, and echoed */
static void test_amtider_heartbeat(void)
{
    Ider s;

    ider_open(&s, start_amtider);
    {
        g_autoptr(GByteArray) w = ider_next(&s, 0x41, 30);

        g_assert_cmphex(w->data[1], ==, 0);
    }
    advance(s.m, s.t, 4999);
    g_assert_cmpuint(s.t->writes->len, ==, 0);
    advance(s.m, s.t, 1);
    ider_expect(&s, 0x4b, 8);
    /* amtider's echo is not answered */
    send8(&s, 0x4b);
    g_assert_cmpuint(s.t->writes->len, ==, 0);
    advance(s.m, s.t, 5000);
    ider_expect(&s, 0x4b, 8);
    /* a ping is answered, in sequence */
    send8(&s, 0x44);
    ider_expect(&s, 0x45, 8);
    g_assert_false(s.t->closed);
    ider_close(&s);
}

/* MeshCommander's 20 s are capped at 15; its silence closes nothing */
static void test_heartbeat_cap_and_idle(void)
{
    Ider s;

    ider_open(&s, start_meshcmd);
    ider_expect(&s, 0x41, 30);
    advance(s.m, s.t, 14999);
    g_assert_cmpuint(s.t->writes->len, ==, 0);
    advance(s.m, s.t, 1);
    ider_expect(&s, 0x4b, 8);
    /* two minutes without a byte from the console */
    advance(s.m, s.t, 120000);
    g_assert_false(s.t->closed);
    g_assert_cmpuint(s.t->writes->len, ==, 8);
    for (unsigned i = 0; i < 8; i++) {
        ider_expect(&s, 0x4b, 8);
    }
    ider_close(&s);
}

/* Five blocks: READ(10) of 4 (one 8192 chunk), then 1 (2048) */
static void test_read_split(void)
{
    Ider s;
    uint8_t buf[5 * 2048 + 16];
    g_autofree uint8_t *image = g_malloc(5 * 2048);
    uint32_t lba;
    uint16_t blocks;

    for (unsigned i = 0; i < 5 * 2048; i++) {
        image[i] = i * 7 + (i >> 11);
    }
    memset(buf, 0xcc, sizeof(buf));
    ider_attached(&s);
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 10, 5, buf, 42));
    expect_command(&s, 0x28, &lba, &blocks);
    g_assert_cmpuint(lba, ==, 10);
    g_assert_cmpuint(blocks, ==, 4);
    /* the console answers with the data and the completion in one */
    send_data(&s, image, 8192, true);
    expect_command(&s, 0x28, &lba, &blocks);
    g_assert_cmpuint(lba, ==, 14);
    g_assert_cmpuint(blocks, ==, 1);
    g_assert_cmpuint(s.m->reads_done->len, ==, 0);
    send_data(&s, image + 8192, 2048, true);
    g_assert_cmpuint(read_done(&s, 0).tag, ==, 42);
    g_assert_cmpint(read_done(&s, 0).status, ==, 0);
    g_assert_cmpmem(buf, 5 * 2048, image, 5 * 2048);
    g_assert_cmphex(buf[5 * 2048], ==, 0xcc);

    /* chunks without the completion flag, then a 0x51 ends it */
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 0, 2, buf, 43));
    expect_command(&s, 0x28, &lba, &blocks);
    g_assert_cmpuint(blocks, ==, 2);
    send_data(&s, image, 1000, false);
    send_data(&s, image + 1000, 3096, false);
    g_assert_cmpuint(s.m->reads_done->len, ==, 1);
    send_end(&s, NULL);
    g_assert_cmpint(read_done(&s, 1).status, ==, 0);
    g_assert_cmpmem(buf, 4096, image, 4096);
    g_assert_cmpuint(s.t->writes->len, ==, 0);
    ider_close(&s);
}

/* Reads queue behind each other: one command on the wire at a time */
static void test_read_queue(void)
{
    Ider s;
    uint8_t a[2048], b[2048];
    static uint8_t block[2048];

    ider_attached(&s);
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 1, 1, a, 1));
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 2, 1, b, 2));
    expect_command(&s, 0x28, NULL, NULL);
    g_assert_cmpuint(s.t->writes->len, ==, 0);
    advance(s.m, s.t, 1000);
    g_assert_cmpuint(s.t->writes->len, ==, 0);
    send_data(&s, block, sizeof(block), true);
    expect_command(&s, 0x28, NULL, NULL);
    send_data(&s, block, sizeof(block), true);
    g_assert_cmpuint(s.m->reads_done->len, ==, 2);
    g_assert_cmpuint(read_done(&s, 0).tag, ==, 1);
    g_assert_cmpuint(read_done(&s, 1).tag, ==, 2);
    ider_close(&s);
}

/* The platform may queue its next read from inside read_done */
static void reread(TestMachine *m, uint64_t tag, int status)
{
    if (tag < 3) {
        g_assert_true(vamt_redir_ider_read(vamt_me_redir(m->me), tag, 1,
                                           m->test_data, tag + 1));
    }
}

static void test_read_from_callback(void)
{
    Ider s;
    uint8_t buf[2048];
    static uint8_t block[2048];

    ider_attached(&s);
    s.m->on_read_done = reread;
    s.m->test_data = buf;
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 0, 1, buf, 1));
    for (unsigned i = 0; i < 3; i++) {
        uint32_t lba;

        expect_command(&s, 0x28, &lba, NULL);
        g_assert_cmpuint(lba, ==, i);
        send_data(&s, block, sizeof(block), true);
    }
    g_assert_cmpuint(s.m->reads_done->len, ==, 3);
    g_assert_cmpuint(s.t->writes->len, ==, 0);
    ider_close(&s);
}

/* What the platform may not ask for */
static void test_read_refused(void)
{
    Ider s;
    uint8_t buf[2048];

    ider_open(&s, start_meshcmd);
    ider_expect(&s, 0x41, 30);
    /* no medium yet */
    g_assert_false(vamt_redir_ider_read(redir_of(&s), 0, 1, buf, 1));
    g_assert_false(vamt_redir_ider_medium(redir_of(&s), NULL, NULL));
    send_features(&s, 3, 0x19);
    ider_expect(&s, 0x49, 13);
    answer_probe(&s, capacity_64);
    g_assert_false(vamt_redir_ider_read(redir_of(&s), 0, 0, buf, 1));
    g_assert_false(vamt_redir_ider_read(redir_of(&s), 64, 1, buf, 1));
    g_assert_false(vamt_redir_ider_read(redir_of(&s), 63, 2, buf, 1));
    g_assert_false(vamt_redir_ider_read(redir_of(&s), UINT64_MAX, 2, buf,
                                        1));
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 63, 1, buf, 1));
    ider_close(&s);

    /* without a session at all */
    {
        TestMachine *m = machine_new(VAMT_FW_REDIR_IDER);

        g_assert_false(vamt_redir_ider_read(vamt_me_redir(m->me), 0, 1,
                                            buf, 1));
        vamt_redir_ider_reset(vamt_me_redir(m->me));
        vamt_redir_ider_boot(vamt_me_redir(m->me));
        g_assert_cmpuint(m->reads_done->len, ==, 0);
        machine_free(m);
    }
}

/* The console's failure reaches the platform as its sense */
static void test_read_error(void)
{
    Ider s;
    uint8_t buf[2048];
    static const uint8_t illegal[3] = { 0x05, 0x21, 0x00 };
    static const uint8_t block[1024];

    ider_attached(&s);
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 0, 1, buf, 7));
    expect_command(&s, 0x28, NULL, NULL);
    send_end(&s, illegal);
    g_assert_cmpint(read_done(&s, 0).status, ==,
                    VAMT_IDER_SENSE(0x05, 0x21, 0x00));
    /* success, but half a block: no silent zeroes */
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 0, 1, buf, 8));
    expect_command(&s, 0x28, NULL, NULL);
    send_data(&s, block, sizeof(block), true);
    g_assert_cmpint(read_done(&s, 1).status, ==, VAMT_IDER_READ_ERROR);
    /* the session goes on */
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 0, 1, buf, 9));
    expect_command(&s, 0x28, NULL, NULL);
    g_assert_false(s.t->closed);
    ider_close(&s);
}

/* A guest reset: 0x46, the old answers dropped until 0x47 */
static void test_reset(void)
{
    Ider s;
    uint8_t buf[2048], next[2048];
    static uint8_t block[2048];

    memset(block, 0x5a, sizeof(block));
    memset(buf, 0xcc, sizeof(buf));
    ider_attached(&s);
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 3, 1, buf, 1));
    expect_command(&s, 0x28, NULL, NULL);
    vamt_redir_ider_reset(redir_of(&s));
    /* the read on the wire is cancelled at once */
    g_assert_cmpuint(read_done(&s, 0).tag, ==, 1);
    g_assert_cmpint(read_done(&s, 0).status, ==, VAMT_IDER_RESET);
    /* behind the 0x50, which the console reads alone */
    g_assert_cmpuint(s.t->writes->len, ==, 0);
    advance(s.m, s.t, 100);
    {
        g_autoptr(GByteArray) w = ider_next(&s, 0x46, 9);

        g_assert_cmphex(w->data[8], ==, 0x01);
    }
    /* a read after the reset waits for the console's 0x47 */
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 4, 1, next, 2));
    advance(s.m, s.t, 1000);
    g_assert_cmpuint(s.t->writes->len, ==, 0);
    /* MeshCommander finishes the old read first: it goes nowhere */
    send_data(&s, block, sizeof(block), true);
    g_assert_cmpuint(s.m->reads_done->len, ==, 1);
    g_assert_cmphex(buf[0], ==, 0xcc);
    /* a second reset meanwhile does not send another 0x46 */
    vamt_redir_ider_reset(redir_of(&s));
    g_assert_cmpint(read_done(&s, 1).status, ==, VAMT_IDER_RESET);
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 4, 1, next, 3));
    g_assert_cmpuint(s.t->writes->len, ==, 0);
    send8(&s, 0x47);
    expect_command(&s, 0x28, NULL, NULL);
    send_data(&s, block, sizeof(block), true);
    g_assert_cmpuint(read_done(&s, 2).tag, ==, 3);
    g_assert_cmpint(read_done(&s, 2).status, ==, 0);
    g_assert_cmpmem(next, sizeof(next), block, sizeof(block));
    /* the medium stayed */
    g_assert_cmpuint(s.m->media_events->len, ==, 1);
    /* a 0x47 nobody asked for is ignored */
    send8(&s, 0x47);
    g_assert_cmpuint(s.t->writes->len, ==, 0);
    ider_close(&s);
}

/* A reset the console never answers ends the session */
static void test_reset_timeout(void)
{
    Ider s;

    ider_attached(&s);
    vamt_redir_ider_reset(redir_of(&s));
    ider_expect(&s, 0x46, 9);
    advance(s.m, s.t, 29999);
    g_assert_false(s.t->closed);
    advance(s.m, s.t, 1);
    g_assert_true(s.t->closed);
    ider_close(&s);
}

/* A command unanswered for max(rx_timeout, 30 s) closes the session */
static void test_command_timeout(void)
{
    static const uint8_t start_slow[18] = {
        0x40, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x9c, 0x00, 0x00, 0x20, 0x4e,
        0x01,
    };
    Ider s;
    uint8_t buf[2048];
    TestMediaEvent ev;

    ider_attached(&s);
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 0, 1, buf, 1));
    expect_command(&s, 0x28, NULL, NULL);
    advance(s.m, s.t, 29999);
    g_assert_false(s.t->closed);
    advance(s.m, s.t, 1);
    g_assert_true(s.t->closed);
    g_assert_cmpint(read_done(&s, 0).status, ==, VAMT_IDER_NO_MEDIUM);
    ev = g_array_index(s.m->media_events, TestMediaEvent, 1);
    g_assert_false(ev.present);
    g_assert_false(vamt_redir_active(redir_of(&s), VAMT_REDIR_IDER));
    ider_close(&s);

    /* rx_timeout 40000 is longer than the floor */
    ider_open(&s, start_slow);
    ider_expect(&s, 0x41, 30);
    send_features(&s, 3, 0x19);
    ider_expect(&s, 0x49, 13);
    advance(s.m, s.t, 100);
    expect_command(&s, 0x00, NULL, NULL);
    advance(s.m, s.t, 39999);
    g_assert_false(s.t->closed);
    advance(s.m, s.t, 1);
    g_assert_true(s.t->closed);
    ider_close(&s);
}

/* 0x42: 0x43, the medium goes, its read fails, the slot is free again */
static void test_session_end(void)
{
    Ider s;
    uint8_t buf[2048];
    VamtAmt *amt;
    unsigned before;
    TestMediaEvent ev;

    ider_attached(&s);
    amt = vamt_me_amt(s.m->me);
    before = vamt_amt_state(amt)->audit_count;
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 0, 1, buf, 5));
    expect_command(&s, 0x28, NULL, NULL);
    send8(&s, 0x42);
    ider_expect(&s, 0x43, 8);
    g_assert_cmpint(read_done(&s, 0).status, ==, VAMT_IDER_NO_MEDIUM);
    g_assert_cmpuint(s.m->media_events->len, ==, 2);
    ev = g_array_index(s.m->media_events, TestMediaEvent, 1);
    g_assert_false(ev.present);
    g_assert_false(vamt_redir_ider_read(redir_of(&s), 0, 1, buf, 6));
    /* amtider closes itself; the ME does a little later anyway */
    advance(s.m, s.t, 100);
    g_assert_true(s.t->closed);
    g_assert_false(vamt_redir_active(redir_of(&s), VAMT_REDIR_IDER));
    g_assert_cmpuint(vamt_amt_state(amt)->audit_count, ==, before + 1);
    {
        g_autoptr(GByteArray) rec = vamt_amt_audit_bytes(amt, before);

        /* AuditAppID 18, EventID 1: IDE-R session closed (1801) */
        g_assert_cmphex(rec->data[1], ==, 18);
        g_assert_cmphex(rec->data[3], ==, 1);
    }
    g_assert_cmpuint(s.m->reads_done->len, ==, 1);
    ider_close(&s);
}

/* The TCP connection just goes: the same, and the audit log has both */
static void test_session_drop(void)
{
    Ider s;
    uint8_t buf[2048];
    VamtAmt *amt;
    unsigned opened;

    ider_attached(&s);
    amt = vamt_me_amt(s.m->me);
    opened = vamt_amt_state(amt)->audit_count - 1;
    {
        g_autoptr(GByteArray) rec = vamt_amt_audit_bytes(amt, opened);

        /* AuditAppID 18, EventID 0: IDE-R session opened (1800) */
        g_assert_cmphex(rec->data[1], ==, 18);
        g_assert_cmphex(rec->data[3], ==, 0);
    }
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 0, 1, buf, 5));
    console_free(s.t);
    g_assert_cmpint(read_done(&s, 0).status, ==, VAMT_IDER_NO_MEDIUM);
    g_assert_cmpuint(s.m->media_events->len, ==, 2);
    g_assert_cmpuint(vamt_amt_state(amt)->audit_count, ==, opened + 2);
    {
        g_autoptr(GByteArray) rec = vamt_amt_audit_bytes(amt, opened + 1);

        g_assert_cmphex(rec->data[3], ==, 1);
    }
    g_assert_false(vamt_redir_active(redir_of(&s), VAMT_REDIR_IDER));
    machine_free(s.m);
}

/* Too much data is cut to what was asked; beyond 8192 is no console */
static void test_oversized_data(void)
{
    Ider s;
    uint8_t buf[2048 + 64];
    static uint8_t big[8193];

    memset(big, 0x11, sizeof(big));
    memset(buf, 0xcc, sizeof(buf));
    ider_attached(&s);
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 0, 1, buf, 1));
    expect_command(&s, 0x28, NULL, NULL);
    send_data(&s, big, 8192, true);
    g_assert_cmpint(read_done(&s, 0).status, ==, 0);
    g_assert_cmphex(buf[2047], ==, 0x11);
    g_assert_cmphex(buf[2048], ==, 0xcc);
    /* in pieces, the same */
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 0, 1, buf, 2));
    expect_command(&s, 0x28, NULL, NULL);
    send_data(&s, big, 2000, false);
    send_data(&s, big, 2000, true);
    g_assert_cmpint(read_done(&s, 1).status, ==, 0);
    g_assert_cmphex(buf[2048], ==, 0xcc);
    /* answers with no command are ignored */
    send_data(&s, big, 100, true);
    send_end(&s, NULL);
    g_assert_false(s.t->closed);
    g_assert_cmpuint(s.m->reads_done->len, ==, 2);

    /* more than the 8192 of 0x41 in one message: closed */
    g_assert_true(vamt_redir_ider_read(redir_of(&s), 0, 1, buf, 3));
    expect_command(&s, 0x28, NULL, NULL);
    {
        uint8_t head[11] = { 0x54, 0, 0, 2, 0, 0, 0, 0, 0, 0x01, 0x20 };

        console_send(s.t, head, sizeof(head));
    }
    g_assert_true(s.t->closed);
    g_assert_cmpint(read_done(&s, 2).status, ==, VAMT_IDER_NO_MEDIUM);
    g_assert_false(g_array_index(s.m->media_events, TestMediaEvent,
                                 1).present);
    g_assert_cmphex(buf[2048], ==, 0xcc);
    ider_close(&s);
}

/* Messages only the device sends, unknown sub-commands: closed */
static void test_malformed(void)
{
    static const uint8_t bad[] = { 0x4a, 0x50, 0x41, 0x53 };
    Ider s;

    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        ider_attached(&s);
        send8(&s, bad[i]);
        g_assert_true(s.t->closed);
        g_assert_cmpuint(s.m->media_events->len, ==, 2);
        ider_close(&s);
    }
    ider_attached(&s);
    send_features(&s, 4, 0);
    g_assert_true(s.t->closed);
    ider_close(&s);
    /* a write request for a read */
    ider_attached(&s);
    {
        uint8_t buf[2048];
        uint8_t get[31] = { 0x52, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x08 };

        g_assert_true(vamt_redir_ider_read(redir_of(&s), 0, 1, buf, 1));
        expect_command(&s, 0x28, NULL, NULL);
        console_send(s.t, get, sizeof(get));
    }
    g_assert_true(s.t->closed);
    g_assert_cmpint(read_done(&s, 0).status, ==, VAMT_IDER_NO_MEDIUM);
    ider_close(&s);
}

/* Before 0x40 nothing goes out: the 0x41 must carry seq 0 */
static void test_before_start(void)
{
    Ider s;
    static const uint8_t early[8] = { 0x44, 0, 0, 0, 0, 0, 0, 0 };

    s.m = machine_new(VAMT_FW_REDIR_IDER);
    s.t = console_open(s.m);
    s.seq = 0;
    console_send(s.t, start_ider, sizeof(start_ider));
    expect_write(s.t, 0x11, 13);
    send_plain(s.t, "admin", PASSWORD);
    expect_write(s.t, 0x14, 9);
    console_send(s.t, early, sizeof(early));
    send_features(&s, 3, 0x19);
    advance(s.m, s.t, 20000);
    g_assert_cmpuint(s.t->writes->len, ==, 0);
    console_send(s.t, start_meshcmd, sizeof(start_meshcmd));
    ider_expect(&s, 0x41, 30);
    ider_close(&s);
}

/* ON_REBOOT: probed now, attached at the next boot; disable detaches */
static void test_start_modes(void)
{
    Ider s;
    TestMediaEvent ev;

    ider_open(&s, start_meshcmd);
    ider_expect(&s, 0x41, 30);
    send_features(&s, 3, 0x09);
    ider_expect(&s, 0x49, 13);
    answer_probe(&s, capacity_64);
    g_assert_cmpuint(s.m->media_events->len, ==, 0);
    advance(s.m, s.t, 100);
    send_features(&s, 2, 0);
    {
        g_autoptr(GByteArray) w = ider_next(&s, 0x49, 13);

        g_assert_cmphex(w->data[9], ==, 1);     /* enabled, not visible */
    }
    vamt_redir_ider_boot(redir_of(&s));
    g_assert_cmpuint(s.m->media_events->len, ==, 1);
    g_assert_true(g_array_index(s.m->media_events, TestMediaEvent,
                                0).present);
    /* a second boot changes nothing */
    vamt_redir_ider_boot(redir_of(&s));
    g_assert_cmpuint(s.m->media_events->len, ==, 1);
    /* disabled: the medium goes, the session stays */
    advance(s.m, s.t, 100);
    send_features(&s, 3, 0x00);
    ider_expect(&s, 0x49, 13);
    g_assert_cmpuint(s.m->media_events->len, ==, 2);
    g_assert_false(g_array_index(s.m->media_events, TestMediaEvent,
                                 1).present);
    g_assert_false(s.t->closed);
    /* GRACEFUL (meshcmd's default) attaches at once, after a new probe */
    advance(s.m, s.t, 100);
    send_features(&s, 3, 0x11);
    ider_expect(&s, 0x49, 13);
    answer_probe(&s, capacity_64);
    g_assert_cmpuint(s.m->media_events->len, ==, 3);
    ev = g_array_index(s.m->media_events, TestMediaEvent, 2);
    g_assert_true(ev.present);
    g_assert_cmpuint(ev.blocks, ==, 64);
    ider_close(&s);
}

/* A fresh medium: unit attention first; a console without a CD */
static void test_probe(void)
{
    static const uint8_t attention[3] = { 0x06, 0x28, 0x00 };
    static const uint8_t no_medium[3] = { 0x02, 0x3a, 0x00 };
    static const uint8_t bad_size[8] = { 0, 0, 0, 0x3f, 0, 0, 0x03, 0 };
    Ider s;

    ider_open(&s, start_amtider);
    ider_expect(&s, 0x41, 30);
    send_features(&s, 3, 0x19);
    ider_expect(&s, 0x49, 13);
    advance(s.m, s.t, 100);
    expect_command(&s, 0x00, NULL, NULL);
    send_end(&s, attention);
    expect_command(&s, 0x00, NULL, NULL);
    send_end(&s, NULL);
    expect_command(&s, 0x25, NULL, NULL);
    send_data(&s, capacity_64, 8, true);
    g_assert_cmpuint(s.m->media_events->len, ==, 1);
    ider_close(&s);

    /* no medium: nothing attached, the next enable asks again */
    ider_open(&s, start_amtider);
    ider_expect(&s, 0x41, 30);
    send_features(&s, 3, 0x19);
    ider_expect(&s, 0x49, 13);
    advance(s.m, s.t, 100);
    expect_command(&s, 0x00, NULL, NULL);
    send_end(&s, no_medium);
    g_assert_cmpuint(s.t->writes->len, ==, 0);
    advance(s.m, s.t, 100);
    send_features(&s, 3, 0x19);
    ider_expect(&s, 0x49, 13);
    advance(s.m, s.t, 100);
    expect_command(&s, 0x00, NULL, NULL);
    send_end(&s, NULL);
    /* a block size that is no CD's */
    expect_command(&s, 0x25, NULL, NULL);
    send_data(&s, bad_size, 8, true);
    g_assert_cmpuint(s.m->media_events->len, ==, 0);
    g_assert_false(s.t->closed);
    ider_close(&s);
}

/* One IDE-R session at a time */
static void test_busy(void)
{
    Ider s;
    TestConsole *second;
    g_autoptr(GByteArray) w = NULL;

    ider_attached(&s);
    second = console_open(s.m);
    console_send(second, start_ider, sizeof(start_ider));
    w = next_write(second);
    g_assert_cmpuint(w->len, ==, 13);
    g_assert_cmphex(w->data[1], ==, 2);
    console_free(second);
    g_assert_false(s.t->closed);
    g_assert_true(vamt_redir_ider_medium(redir_of(&s), NULL, NULL));
    ider_close(&s);
}

/* Switching IDE-R off through AMT_RedirectionService ends the session */
static void test_disabled_by_wsman(void)
{
    Ider s;
    VamtAmtState *st;

    ider_attached(&s);
    st = vamt_amt_state(vamt_me_amt(s.m->me));
    st->redirection_state = AMT_REDIRECTION_SOL;
    vamt_redir_settings_changed(redir_of(&s));
    g_assert_true(s.t->closed);
    g_assert_cmpuint(s.m->media_events->len, ==, 2);
    ider_close(&s);
}

/* Consent for all redirection and none given: 0x41 refuses */
static void test_consent(void)
{
    Ider s;

    s.m = machine_new(VAMT_FW_REDIR_IDER);
    vamt_amt_state(vamt_me_amt(s.m->me))->opt_in_required = 0xffffffff;
    s.t = console_open(s.m);
    s.seq = 0;
    console_send(s.t, start_ider, sizeof(start_ider));
    expect_write(s.t, 0x11, 13);
    send_plain(s.t, "admin", PASSWORD);
    expect_write(s.t, 0x14, 9);
    console_send(s.t, start_meshcmd, sizeof(start_meshcmd));
    {
        g_autoptr(GByteArray) w = ider_next(&s, 0x41, 30);

        g_assert_cmphex(w->data[1], !=, 0);
    }
    advance(s.m, s.t, 100);
    g_assert_true(s.t->closed);
    ider_close(&s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/redir/ider/meshcmd", test_meshcmd_transcript);
    g_test_add_func("/vamt/redir/ider/amtider-heartbeat",
                    test_amtider_heartbeat);
    g_test_add_func("/vamt/redir/ider/heartbeat-cap-idle",
                    test_heartbeat_cap_and_idle);
    g_test_add_func("/vamt/redir/ider/read-split", test_read_split);
    g_test_add_func("/vamt/redir/ider/read-queue", test_read_queue);
    g_test_add_func("/vamt/redir/ider/read-from-callback",
                    test_read_from_callback);
    g_test_add_func("/vamt/redir/ider/read-refused", test_read_refused);
    g_test_add_func("/vamt/redir/ider/read-error", test_read_error);
    g_test_add_func("/vamt/redir/ider/reset", test_reset);
    g_test_add_func("/vamt/redir/ider/reset-timeout", test_reset_timeout);
    g_test_add_func("/vamt/redir/ider/command-timeout",
                    test_command_timeout);
    g_test_add_func("/vamt/redir/ider/session-end", test_session_end);
    g_test_add_func("/vamt/redir/ider/session-drop", test_session_drop);
    g_test_add_func("/vamt/redir/ider/oversized-data", test_oversized_data);
    g_test_add_func("/vamt/redir/ider/malformed", test_malformed);
    g_test_add_func("/vamt/redir/ider/before-start", test_before_start);
    g_test_add_func("/vamt/redir/ider/start-modes", test_start_modes);
    g_test_add_func("/vamt/redir/ider/probe", test_probe);
    g_test_add_func("/vamt/redir/ider/busy", test_busy);
    g_test_add_func("/vamt/redir/ider/disabled-by-wsman",
                    test_disabled_by_wsman);
    g_test_add_func("/vamt/redir/ider/consent", test_consent);
    return g_test_run();
}
