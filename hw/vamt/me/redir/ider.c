/*
 * vAMT ME core: IDE redirection sessions, as a proxy for the platform's CD
 *
 * The console owns an image and answers ATAPI packet commands.  The ME
 * does not forward the guest's commands: the platform has a CD model of
 * its own (QEMU's ide-cd) and asks the ME for blocks.  The ME sends the
 * console commands of its own in CommandWritten (0x50) - TEST UNIT READY
 * and READ CAPACITY once the console enabled its device (0x48), then
 * READ(10) of at most one DataToHost chunk - one at a time, and collects
 * the answer from DataToHost (0x54) chunks and CommandEndResponse (0x51).
 * Consoles check the device's sequence numbers strictly; theirs are
 * never looked at, because amtider's are garbage.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "byte-order.h"
#include "redir-int.h"

#define IDER_START_LEN          18
#define IDER_START_REPLY_LEN    30
#define IDER_FEATURES_SHORT     9           /* sub 1 */
#define IDER_FEATURES_LEN       13          /* sub 2, 3, and the reply */
#define IDER_RESET_LEN          9
#define IDER_COMMAND_LEN        28
#define IDER_RESPONSE_LEN       31          /* 0x51, 0x52 */
#define IDER_DATA_HEADER        34          /* 0x54 */
/* amtider gives up after 20 s without a byte from the device */
#define IDER_HEARTBEAT_DEFAULT_MS   5000
#define IDER_HEARTBEAT_MAX_MS       15000
/* A console that does not answer a command for this long is gone */
#define IDER_COMMAND_TIMEOUT_MIN_MS 30000
/* TEST UNIT READY retries while the console reports a unit attention */
#define IDER_TUR_TRIES          4
/* OEM IANA enterprise number (Intel), as in 0x11 */
#define IDER_OEM_IANA           343
/* The consent policy that covers every redirection session */
#define IDER_OPT_IN_ALL         0xffffffffu
#define IDER_OPT_IN_RECEIVED    3

/* DisableEnableFeatures sub-commands and register state bits */
enum {
    IDER_SUB_GET_SUPPORTED = 1,
    IDER_SUB_GET_STATE = 2,
    IDER_SUB_SET_STATE = 3,
};
enum {
    IDER_STATE_ENABLE = 0x01,
    IDER_STATE_VISIBLE = 0x02,
    IDER_STATE_MODE_MASK = 0x18,
    IDER_MODE_ON_REBOOT = 0x08,
    IDER_MODE_GRACEFUL = 0x10,
    IDER_MODE_NOW = 0x18,
};

/* ATA/ATAPI bits of the register block and the command */
enum {
    ATA_STATUS_ERR = 0x01,
    ATA_DEV_SLAVE = 0xb0,           /* the console's CD */
    ATA_CMD_PACKET = 0xa0,
    IDER_ATTR_COMPLETE = 0x02,      /* 0x54: the last chunk */
    SENSE_RECOVERED_ERROR = 0x01,
    SENSE_UNIT_ATTENTION = 0x06,
};
enum {
    SCSI_TEST_UNIT_READY = 0x00,
    SCSI_READ_CAPACITY = 0x25,
    SCSI_READ_10 = 0x28,
};

typedef enum IderCmd {
    IDER_CMD_NONE,
    IDER_CMD_TUR,
    IDER_CMD_CAPACITY,
    IDER_CMD_READ,
} IderCmd;

/* What the ME knows of the console's medium */
typedef enum IderProbe {
    IDER_PROBE_NONE,            /* the device is not enabled */
    IDER_PROBE_TUR,             /* TEST UNIT READY to send or on the wire */
    IDER_PROBE_CAPACITY,        /* READ CAPACITY to send or on the wire */
    IDER_PROBE_KNOWN,           /* blocks and block_size are valid */
    IDER_PROBE_FAILED,          /* no medium; the next enable tries again */
} IderProbe;

typedef struct IderRead {
    uint64_t lba;
    uint32_t blocks;
    uint32_t done;              /* blocks read so far */
    uint8_t *buf;
    uint64_t tag;
} IderRead;

struct RedirIder {
    bool started;               /* 0x41 sent */
    bool ended;                 /* 0x42 answered, or refused */
    uint32_t heartbeat_ms;
    uint32_t command_timeout_ms;
    int64_t next_heartbeat_ms;

    /* DisableEnableFeatures */
    bool enabled;
    uint8_t start_mode;         /* IDER_MODE_* */
    bool booted;                /* ON_REBOOT: a boot came since the enable */
    bool attached;              /* the platform has the medium */

    IderProbe probe;
    unsigned tur_tries;
    uint64_t blocks;
    uint32_t block_size;
    uint8_t capacity[8];

    /* the one command on the wire */
    IderCmd cmd;
    bool cmd_orphan;            /* its requester is gone: only wait */
    uint8_t *cmd_buf;           /* NULL: the data goes nowhere */
    uint32_t cmd_want;
    uint32_t cmd_got;
    uint32_t cmd_blocks;        /* READ: blocks this command covers */
    int64_t cmd_deadline_ms;

    bool resetting;             /* 0x46 sent, no 0x47 yet */
    int64_t reset_deadline_ms;

    GQueue reads;               /* IderRead; the head is being served */
};

long redir_ider_message_len(const uint8_t *buf, size_t avail)
{
    switch (buf[0]) {
    case IDER_START:
        return IDER_START_LEN;
    case IDER_END:
    case IDER_PING:
    case IDER_RESET_REPLY:
    case IDER_HEARTBEAT:
        return 8;
    case IDER_FEATURES:
        if (avail < IDER_FEATURES_SHORT) {
            return 0;
        }
        switch (buf[8]) {
        case IDER_SUB_GET_SUPPORTED:
            return IDER_FEATURES_SHORT;
        case IDER_SUB_GET_STATE:
        case IDER_SUB_SET_STATE:
            return IDER_FEATURES_LEN;
        default:
            return -1;
        }
    case IDER_COMMAND_END:
    case IDER_GET_DATA:
        return IDER_RESPONSE_LEN;
    case IDER_DATA_TO_HOST:
        if (avail < 11) {
            return 0;
        }
        /* more than 0x41 allowed is not a console we can trust */
        if (vamt_le16(buf + 9) > VAMT_IDER_CHUNK_MAX) {
            return -1;
        }
        return IDER_DATA_HEADER + vamt_le16(buf + 9);
    default:
        /* the device's own messages, 0x4A included, never come back */
        return -1;
    }
}

static RedirConn *ider_session(VamtRedir *redir)
{
    RedirConn *c = redir->active[VAMT_REDIR_IDER];

    return c && c->ider && c->state == REDIR_ST_SESSION &&
           c->ider->started && !c->ider->ended ? c : NULL;
}

static void ider_wake(RedirConn *c)
{
    if (c->ops->wake) {
        c->ops->wake(c->opaque);
    }
}

static void ider_send_simple(RedirConn *c, uint8_t type, bool isolated)
{
    uint8_t msg[8];

    redir_header(msg, type, true, c->seq++);
    redir_send(c, msg, sizeof(msg), isolated);
}

/* ---- reads ---- */

/* Complete and forget every read, telling the platform @status */
static void ider_fail_reads(RedirConn *c, int status)
{
    RedirIder *d = c->ider;
    const VamtPlatformOps *ops = c->redir->ops;
    GQueue reads = d->reads;
    IderRead *rd;

    /* the command on the wire no longer has anywhere to put its data */
    if (d->cmd == IDER_CMD_READ) {
        d->cmd_orphan = true;
        d->cmd_buf = NULL;
    }
    /* callbacks may queue new reads: those are not failed here */
    g_queue_init(&d->reads);
    while ((rd = g_queue_pop_head(&reads))) {
        uint64_t tag = rd->tag;

        g_free(rd);
        if (ops->ider_read_done) {
            ops->ider_read_done(c->redir->opaque, tag, status);
        }
    }
}

static void ider_attach(RedirConn *c)
{
    RedirIder *d = c->ider;
    VamtRedir *redir = c->redir;

    d->attached = true;
    redir_trace(redir, "redirection: IDE-R medium of %s attached: %"
                G_GUINT64_FORMAT " blocks of %u bytes", c->user, d->blocks,
                d->block_size);
    if (redir->ops->ider_media_changed) {
        redir->ops->ider_media_changed(redir->opaque, true, d->blocks,
                                       d->block_size);
    }
}

/* Reads fail before the platform hears of the removal: it may drain */
static void ider_detach(RedirConn *c)
{
    RedirIder *d = c->ider;
    VamtRedir *redir = c->redir;
    bool was = d->attached;

    d->attached = false;
    ider_fail_reads(c, VAMT_IDER_NO_MEDIUM);
    if (was) {
        redir_trace(redir, "redirection: IDE-R medium of %s detached",
                    c->user);
        if (redir->ops->ider_media_changed) {
            redir->ops->ider_media_changed(redir->opaque, false, 0, 0);
        }
    }
}

/* Attach once the medium is known and the start mode allows it */
static void ider_check_attach(RedirConn *c)
{
    RedirIder *d = c->ider;

    if (d->enabled && !d->attached && d->probe == IDER_PROBE_KNOWN &&
        (d->start_mode != IDER_MODE_ON_REBOOT || d->booted)) {
        ider_attach(c);
    }
}

/* ---- commands ---- */

static void ider_send_command(RedirConn *c, IderCmd cmd, const uint8_t *cdb,
                              uint8_t *buf, uint32_t want)
{
    RedirIder *d = c->ider;
    uint8_t msg[IDER_COMMAND_LEN];

    redir_header(msg, IDER_COMMAND, true, c->seq++);
    msg[8] = 0;                         /* cable select */
    msg[9] = 0;                         /* features: PIO */
    msg[10] = 0;                        /* sector count */
    msg[11] = 0;                        /* sector number */
    vamt_put_le16(msg + 12, 0xfffe);    /* byte count limit */
    msg[14] = ATA_DEV_SLAVE;
    msg[15] = ATA_CMD_PACKET;
    memcpy(msg + 16, cdb, 12);

    d->cmd = cmd;
    d->cmd_orphan = false;
    d->cmd_buf = buf;
    d->cmd_want = want;
    d->cmd_got = 0;
    /* the console's time starts when it can have the command */
    d->cmd_deadline_ms = MAX(redir_now(c->redir),
                             c->holding ? c->hold_until_ms : 0) +
                         d->command_timeout_ms;
    redir_send(c, msg, sizeof(msg), true);
}

static void ider_send_read(RedirConn *c)
{
    RedirIder *d = c->ider;
    IderRead *rd = g_queue_peek_head(&d->reads);
    uint32_t per_cmd = MAX(VAMT_IDER_CHUNK_MAX / d->block_size, 1);
    uint32_t n = MIN(rd->blocks - rd->done, per_cmd);
    uint64_t lba = rd->lba + rd->done;
    uint8_t cdb[12] = { SCSI_READ_10 };

    vamt_put_be32(cdb + 2, lba);
    cdb[7] = n >> 8;
    cdb[8] = n;
    d->cmd_blocks = n;
    ider_send_command(c, IDER_CMD_READ, cdb,
                      rd->buf + (size_t)rd->done * d->block_size,
                      n * d->block_size);
}

/* Put the next command on the wire, if the wire is free */
static void ider_kick(RedirConn *c)
{
    RedirIder *d = c->ider;
    uint8_t cdb[12] = { 0 };

    if (c->state != REDIR_ST_SESSION || !d->started || d->ended ||
        d->resetting || d->cmd != IDER_CMD_NONE) {
        return;
    }
    if (d->enabled && d->probe == IDER_PROBE_TUR) {
        cdb[0] = SCSI_TEST_UNIT_READY;
        ider_send_command(c, IDER_CMD_TUR, cdb, NULL, 0);
    } else if (d->enabled && d->probe == IDER_PROBE_CAPACITY) {
        cdb[0] = SCSI_READ_CAPACITY;
        ider_send_command(c, IDER_CMD_CAPACITY, cdb, d->capacity,
                          sizeof(d->capacity));
    } else if (d->attached && !g_queue_is_empty(&d->reads)) {
        ider_send_read(c);
    }
}

static void ider_probe_start(RedirConn *c)
{
    RedirIder *d = c->ider;

    d->probe = IDER_PROBE_TUR;
    d->tur_tries = 0;
}

/* READ CAPACITY answered: the last LBA and the block size, big-endian */
static void ider_capacity(RedirConn *c, bool ok)
{
    RedirIder *d = c->ider;
    uint32_t last = vamt_be32(d->capacity);
    uint32_t bs = vamt_be32(d->capacity + 4);

    /* a block size the ME cannot read in whole chunks is no medium */
    if (!ok || d->cmd_got < sizeof(d->capacity) || last == UINT32_MAX ||
        bs < 512 || bs > VAMT_IDER_CHUNK_MAX || (bs & (bs - 1))) {
        redir_trace(c->redir, "redirection: IDE-R console of %s has no "
                    "usable medium (capacity %u/%u)", c->user, last, bs);
        d->probe = IDER_PROBE_FAILED;
        return;
    }
    d->blocks = (uint64_t)last + 1;
    d->block_size = bs;
    d->probe = IDER_PROBE_KNOWN;
    ider_check_attach(c);
}

/* The console finished the command on the wire: @status 0 or sense */
static void ider_command_done(RedirConn *c, int status)
{
    RedirIder *d = c->ider;
    const VamtPlatformOps *ops = c->redir->ops;
    IderCmd cmd = d->cmd;
    bool orphan = d->cmd_orphan;
    IderRead *rd;

    d->cmd = IDER_CMD_NONE;
    d->cmd_buf = NULL;
    if (orphan) {
        ider_kick(c);
        return;
    }
    switch (cmd) {
    case IDER_CMD_TUR:
        if (!status) {
            d->probe = IDER_PROBE_CAPACITY;
        } else if (VAMT_IDER_SENSE_KEY(status) == SENSE_UNIT_ATTENTION &&
                   ++d->tur_tries < IDER_TUR_TRIES) {
            /* the medium just arrived: ask again */
        } else {
            redir_trace(c->redir, "redirection: IDE-R console of %s: not "
                        "ready (sense %06x)", c->user, status);
            d->probe = IDER_PROBE_FAILED;
        }
        break;
    case IDER_CMD_CAPACITY:
        ider_capacity(c, !status);
        break;
    case IDER_CMD_READ:
        rd = g_queue_peek_head(&d->reads);
        if (!rd) {
            break;
        }
        if (!status && d->cmd_got < d->cmd_want) {
            status = VAMT_IDER_READ_ERROR;
        }
        if (!status) {
            rd->done += d->cmd_blocks;
            if (rd->done < rd->blocks) {
                break;
            }
        }
        g_queue_pop_head(&d->reads);
        ider_kick(c);
        {
            uint64_t tag = rd->tag;

            g_free(rd);
            if (ops->ider_read_done) {
                ops->ider_read_done(c->redir->opaque, tag, status);
            }
        }
        return;
    default:
        break;
    }
    ider_kick(c);
}

/*
 * The status the console's output registers (at 20) and sense (at 28)
 * give: a failure if the status register has ERR or the sense key says
 * so.
 */
static int ider_response_status(const uint8_t *msg)
{
    uint8_t error = msg[21];
    uint8_t ata_status = msg[27];
    uint8_t key = msg[28] & 0x0f;

    if (!(ata_status & ATA_STATUS_ERR) &&
        (key == 0 || key == SENSE_RECOVERED_ERROR)) {
        return 0;
    }
    if (!key) {
        /* some consoles put the key only in the error register */
        key = error >> 4;
    }
    if (!key) {
        return VAMT_IDER_ABORTED;
    }
    return VAMT_IDER_SENSE(key, msg[29], msg[30]);
}

static void ider_data_to_host(RedirConn *c, const uint8_t *msg, size_t len)
{
    RedirIder *d = c->ider;
    size_t n = len - IDER_DATA_HEADER;
    size_t room;

    /* before 0x47 they answer commands from before the reset */
    if (d->cmd == IDER_CMD_NONE || d->resetting) {
        return;
    }
    room = d->cmd_want - d->cmd_got;
    if (n > room) {
        redir_trace(c->redir, "redirection: IDE-R console of %s sent %zu "
                    "bytes more than asked for", c->user, n - room);
        n = room;
    }
    if (d->cmd_buf && n) {
        memcpy(d->cmd_buf + d->cmd_got, msg + IDER_DATA_HEADER, n);
    }
    d->cmd_got += n;
    if (msg[3] & IDER_ATTR_COMPLETE) {
        ider_command_done(c, ider_response_status(msg));
    }
}

static void ider_command_end(RedirConn *c, const uint8_t *msg)
{
    RedirIder *d = c->ider;

    if (d->cmd == IDER_CMD_NONE || d->resetting) {
        return;
    }
    ider_command_done(c, ider_response_status(msg));
}

/* ---- set-up and features ---- */

static bool ider_consent_missing(RedirConn *c)
{
    const VamtAmtState *s = vamt_amt_state(c->redir->amt);

    return s->opt_in_required == IDER_OPT_IN_ALL &&
           s->opt_in_state < IDER_OPT_IN_RECEIVED;
}

static void ider_start(RedirConn *c, const uint8_t *msg)
{
    RedirIder *d = c->ider;
    const VamtFwVersion *v = &vamt_amt_firmware(c->redir->amt)->version;
    uint8_t reply[IDER_START_REPLY_LEN] = { IDER_START_REPLY };
    /* amtider writes its values at 1..7: never look there */
    uint16_t rx_timeout = vamt_le16(msg + 8);
    uint16_t heartbeat = vamt_le16(msg + 12);
    uint32_t version = vamt_le32(msg + 14);
    bool refuse = ider_consent_missing(c);

    d->heartbeat_ms = heartbeat ? MIN(heartbeat, IDER_HEARTBEAT_MAX_MS)
                                : IDER_HEARTBEAT_DEFAULT_MS;
    /* only a command the console owes an answer times out */
    d->command_timeout_ms = MAX(rx_timeout, IDER_COMMAND_TIMEOUT_MIN_MS);

    reply[1] = refuse;
    vamt_put_le32(reply + 4, c->seq++);
    reply[8] = 1;                       /* IDER protocol 1.0 */
    reply[9] = 0;
    reply[10] = v->major;
    reply[11] = v->minor;
    vamt_put_le16(reply + 16, VAMT_IDER_CHUNK_MAX);   /* 0x54 payload */
    vamt_put_le16(reply + 18, VAMT_IDER_CHUNK_MAX);   /* 0x53 payload */
    reply[21] = 0;                      /* MeshCommander: must be 0 */
    vamt_put_le32(reply + 25, IDER_OEM_IANA);
    reply[29] = 0;                      /* no OEM data */
    redir_send(c, reply, sizeof(reply), true);

    if (refuse) {
        redir_trace(c->redir, "redirection: IDE-R of %s refused: no user "
                    "consent", c->user);
        d->ended = true;
        redir_close_later(c, VAMT_REDIR_ISOLATION_MS);
        return;
    }
    d->started = true;
    d->next_heartbeat_ms = redir_now(c->redir) + d->heartbeat_ms;
    redir_trace(c->redir, "redirection: IDE-R started for %s (version %u, "
                "heartbeat %u ms, command timeout %u ms)", c->user, version,
                d->heartbeat_ms, d->command_timeout_ms);
}

static void ider_set_state(RedirConn *c, uint32_t value)
{
    RedirIder *d = c->ider;
    uint8_t mode = value & IDER_STATE_MODE_MASK;

    if (!(value & IDER_STATE_ENABLE)) {
        if (d->enabled) {
            redir_trace(c->redir, "redirection: IDE-R device of %s "
                        "disabled", c->user);
        }
        d->enabled = false;
        d->probe = IDER_PROBE_NONE;
        /* a probe on the wire only has its answer to wait for */
        if (d->cmd != IDER_CMD_NONE) {
            d->cmd_orphan = true;
            d->cmd_buf = NULL;
        }
        ider_detach(c);
        return;
    }
    /* no mode bits: what meshcmd asks for by default */
    d->start_mode = mode ? mode : IDER_MODE_GRACEFUL;
    if (!d->attached) {
        d->booted = false;
    }
    d->enabled = true;
    if (d->probe == IDER_PROBE_NONE || d->probe == IDER_PROBE_FAILED) {
        ider_probe_start(c);
    }
    redir_trace(c->redir, "redirection: IDE-R device of %s enabled, start "
                "mode 0x%02x", c->user, d->start_mode);
    ider_check_attach(c);
}

static void ider_features(RedirConn *c, const uint8_t *msg)
{
    RedirIder *d = c->ider;
    uint8_t sub = msg[8];
    uint8_t reply[IDER_FEATURES_LEN];
    uint32_t value = 0;

    switch (sub) {
    case IDER_SUB_GET_SUPPORTED:
        value = 1;                      /* register state control */
        break;
    case IDER_SUB_GET_STATE:
        value = (d->enabled ? IDER_STATE_ENABLE : 0) |
                (d->attached ? IDER_STATE_VISIBLE : 0);
        break;
    case IDER_SUB_SET_STATE:
        value = 1;                      /* success */
        break;
    }
    redir_header(reply, IDER_FEATURES_REPLY, true, c->seq++);
    reply[8] = sub;
    vamt_put_le32(reply + 9, value);
    /*
     * The reply goes first: amtider runs only once it has it, and an
     * attach may bring a read (a 0x50) at once.
     */
    redir_send(c, reply, sizeof(reply), true);
    if (sub == IDER_SUB_SET_STATE) {
        ider_set_state(c, vamt_le32(msg + 9));
    }
    ider_kick(c);
}

/* The console ends the session: it has its medium back */
static void ider_end(RedirConn *c)
{
    RedirIder *d = c->ider;

    ider_send_simple(c, IDER_END_REPLY, true);
    d->ended = true;
    d->enabled = false;
    ider_detach(c);
    redir_trace(c->redir, "redirection: IDE-R console of %s ended the "
                "session", c->user);
    redir_close_later(c, VAMT_REDIR_ISOLATION_MS);
}

void redir_ider_message(RedirConn *c, const uint8_t *msg, size_t len)
{
    RedirIder *d = c->ider;

    if (!d->started) {
        /* the device's first message must be 0x41, with seq 0 */
        if (msg[0] == IDER_START) {
            ider_start(c, msg);
        } else if (msg[0] == IDER_END) {
            redir_close(c);
        }
        return;
    }
    if (d->ended) {
        return;
    }
    switch (msg[0]) {
    case IDER_END:
        ider_end(c);
        break;
    case IDER_PING:
        ider_send_simple(c, IDER_PONG, false);
        break;
    case IDER_RESET_REPLY:
        if (d->resetting) {
            /* what was on the wire before the reset is forgotten */
            d->resetting = false;
            d->cmd = IDER_CMD_NONE;
            d->cmd_buf = NULL;
            ider_kick(c);
        }
        break;
    case IDER_FEATURES:
        ider_features(c, msg);
        break;
    case IDER_COMMAND_END:
        ider_command_end(c, msg);
        break;
    case IDER_DATA_TO_HOST:
        ider_data_to_host(c, msg, len);
        break;
    case IDER_GET_DATA:
        /* none of the ME's commands writes: a console gone wrong */
        if (d->cmd != IDER_CMD_NONE && !d->resetting) {
            redir_trace(c->redir, "redirection: IDE-R console of %s wants "
                        "data for a read: closing", c->user);
            redir_close(c);
        }
        break;
    case IDER_START:
    case IDER_HEARTBEAT:
    default:
        /* heartbeats (amtider's echoes) are never answered */
        break;
    }
}

/* ---- time ---- */

int64_t redir_ider_deadline(const RedirConn *c)
{
    const RedirIder *d = c->ider;
    int64_t t = -1;

    if (!d || !d->started || d->ended) {
        return -1;
    }
    t = d->next_heartbeat_ms;
    if (d->cmd != IDER_CMD_NONE && d->cmd_deadline_ms < t) {
        t = d->cmd_deadline_ms;
    }
    if (d->resetting && d->reset_deadline_ms < t) {
        t = d->reset_deadline_ms;
    }
    return t;
}

void redir_ider_tick(RedirConn *c)
{
    RedirIder *d = c->ider;
    int64_t now = redir_now(c->redir);

    if (!d || !d->started || d->ended) {
        return;
    }
    /* silence alone is fine (MeshCommander never pings) */
    if ((d->cmd != IDER_CMD_NONE && now >= d->cmd_deadline_ms) ||
        (d->resetting && now >= d->reset_deadline_ms)) {
        redir_trace(c->redir, "redirection: IDE-R console of %s did not "
                    "answer within %u ms: closing", c->user,
                    d->command_timeout_ms);
        redir_close(c);
        return;
    }
    if (now >= d->next_heartbeat_ms) {
        ider_send_simple(c, IDER_HEARTBEAT, false);
        d->next_heartbeat_ms = now + d->heartbeat_ms;
    }
}

/* ---- life cycle ---- */

void redir_ider_opened(RedirConn *c)
{
    c->ider = g_new0(RedirIder, 1);
    g_queue_init(&c->ider->reads);
}

void redir_ider_closed(RedirConn *c)
{
    RedirIder *d = c->ider;

    if (!d) {
        return;
    }
    d->ended = true;
    d->enabled = false;
    d->resetting = false;
    d->cmd = IDER_CMD_NONE;
    d->cmd_buf = NULL;
    ider_detach(c);
}

void redir_ider_free(RedirConn *c)
{
    if (c->ider) {
        g_queue_clear_full(&c->ider->reads, g_free);
        g_clear_pointer(&c->ider, g_free);
    }
}

/* ---- the platform's side ---- */

bool vamt_redir_ider_read(VamtRedir *redir, uint64_t lba, uint32_t blocks,
                          uint8_t *buf, uint64_t tag)
{
    RedirConn *c = ider_session(redir);
    RedirIder *d;
    IderRead *rd;

    if (!c || !c->ider->attached || !blocks || !buf) {
        return false;
    }
    d = c->ider;
    if (lba >= d->blocks || blocks > d->blocks - lba) {
        return false;
    }
    rd = g_new0(IderRead, 1);
    rd->lba = lba;
    rd->blocks = blocks;
    rd->buf = buf;
    rd->tag = tag;
    g_queue_push_tail(&d->reads, rd);
    ider_kick(c);
    ider_wake(c);
    return true;
}

void vamt_redir_ider_reset(VamtRedir *redir)
{
    RedirConn *c = ider_session(redir);
    RedirIder *d;
    uint8_t msg[IDER_RESET_LEN];

    if (!c) {
        return;
    }
    d = c->ider;
    ider_fail_reads(c, VAMT_IDER_RESET);
    if (d->cmd != IDER_CMD_NONE) {
        d->cmd_orphan = true;
        d->cmd_buf = NULL;
        /* a probe asks again after 0x47 */
    }
    if (d->resetting) {
        return;
    }
    redir_header(msg, IDER_RESET, true, c->seq++);
    msg[8] = 0x01;
    d->resetting = true;
    d->reset_deadline_ms = redir_now(redir) + d->command_timeout_ms;
    redir_send(c, msg, sizeof(msg), true);
    redir_trace(redir, "redirection: IDE-R reset sent to %s", c->user);
    ider_wake(c);
}

void vamt_redir_ider_boot(VamtRedir *redir)
{
    RedirConn *c = ider_session(redir);

    if (!c || !c->ider->enabled) {
        return;
    }
    c->ider->booted = true;
    ider_check_attach(c);
    ider_wake(c);
}

bool vamt_redir_ider_medium(VamtRedir *redir, uint64_t *blocks,
                            uint32_t *block_size)
{
    RedirConn *c = ider_session(redir);

    if (!c || !c->ider->attached) {
        return false;
    }
    if (blocks) {
        *blocks = c->ider->blocks;
    }
    if (block_size) {
        *block_size = c->ider->block_size;
    }
    return true;
}
