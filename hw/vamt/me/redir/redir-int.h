/*
 * vAMT ME core: the redirection service's internals, shared by the
 * session layer (session.c) and the session types (sol.c, ider.c)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_REDIR_INT_H
#define VAMT_ME_REDIR_INT_H

#include <glib.h>

#include "redir.h"
#include "screen.h"

/* Message types (docs/specs/vamt-redirection.rst) */
enum {
    REDIR_START = 0x10,
    REDIR_START_REPLY = 0x11,
    REDIR_END = 0x12,
    REDIR_AUTH = 0x13,
    REDIR_AUTH_REPLY = 0x14,

    SOL_START = 0x20,
    SOL_START_REPLY = 0x21,
    SOL_END = 0x22,
    SOL_END_REPLY = 0x23,
    SOL_PING = 0x24,
    SOL_PONG = 0x25,
    SOL_SETTINGS = 0x27,
    SOL_DATA_TO_HOST = 0x28,
    SOL_CONTROLS = 0x29,
    SOL_DATA_FROM_HOST = 0x2a,
    SOL_HEARTBEAT = 0x2b,

    IDER_START = 0x40,
    IDER_START_REPLY = 0x41,
    IDER_END = 0x42,
    IDER_END_REPLY = 0x43,
    IDER_PING = 0x44,
    IDER_PONG = 0x45,
    IDER_RESET = 0x46,
    IDER_RESET_REPLY = 0x47,
    IDER_FEATURES = 0x48,
    IDER_FEATURES_REPLY = 0x49,
    IDER_HEARTBEAT = 0x4b,
    IDER_COMMAND = 0x50,
    IDER_COMMAND_END = 0x51,
    IDER_GET_DATA = 0x52,
    IDER_DATA_TO_HOST = 0x54,
};

/* StartRedirectionSessionReply status */
enum {
    REDIR_STATUS_SUCCESS = 0,
    REDIR_STATUS_TYPE_UNKNOWN = 1,
    REDIR_STATUS_BUSY = 2,
    REDIR_STATUS_UNSUPPORTED = 3,
};

/* SOL session settings the console asked for in 0x20 (after clamping) */
typedef struct RedirSolSettings {
    uint16_t max_tx;
    uint16_t tx_timeout_ms;
    bool tx_when_full;          /* the console asked for TxBufferTimeout 0 */
    uint16_t tx_overflow_ms;
    uint16_t rx_timeout_ms;
    uint16_t rx_flush_ms;
    uint16_t heartbeat_ms;
} RedirSolSettings;

typedef enum RedirState {
    REDIR_ST_START,             /* waiting for 0x10 */
    REDIR_ST_AUTH,              /* 0x11 sent, waiting for authentication */
    REDIR_ST_SESSION,           /* authenticated: the session type's own */
    REDIR_ST_FAILED,            /* refused: closing after a delay */
    REDIR_ST_CLOSED,
} RedirState;

typedef struct RedirConn RedirConn;
/* An IDE-R session's state (ider.c) */
typedef struct RedirIder RedirIder;
/* A KVM session's state (kvm.c) */
typedef struct RedirKvm RedirKvm;

struct VamtRedir {
    VamtAmt *amt;
    VamtDigest *digest;
    const VamtPlatformOps *ops;
    void *opaque;
    GList *conns;               /* every open connection, newest first */
    RedirConn *active[VAMT_REDIR_TYPES];
    bool plain_auth;
    uint8_t sol_control;        /* the UART's RTS/DTR/BREAK */
    VamtScreen *screen;         /* what KVM shows */
    /* port 5900: wrong RFB passwords, and when guessing may go on */
    unsigned vnc_failures;
    int64_t vnc_blocked_until_ms;
    char vnc_password[VAMT_RFB_PASSWORD_LEN + 1];   /* the session's */
};

struct RedirConn {
    VamtRedir *redir;
    const VamtStreamOps *ops;
    void *opaque;
    char *peer;
    RedirState state;
    VamtRedirType type;
    char *user;                 /* once authenticated */
    GByteArray *in;             /* a message not yet whole */
    int64_t opened_ms;
    int64_t close_at_ms;        /* REDIR_ST_FAILED: when to close */
    int64_t last_rx_ms;
    /* Digest: the challenge of this connection (one use) */
    char nonce[VAMT_DIGEST_HEX_LEN + 1];
    uint8_t digest_type;
    /* output pacing: messages a client must read alone (spec §0) */
    GQueue out;                 /* GByteArray, each one message */
    int64_t hold_until_ms;      /* 0: not holding */
    bool holding;
    uint32_t seq;               /* the device's sequence number */

    /* SOL */
    bool sol_started;
    bool sol_ending;            /* 0x22 seen: console data is dropped */
    RedirSolSettings sol;
    GByteArray *sol_tx;         /* guest output for the console */
    int64_t sol_tx_since_ms;    /* when sol_tx got its first byte */
    GByteArray *sol_rx;         /* console input for the guest */
    int64_t sol_rx_since_ms;    /* when the guest last took input */
    int64_t sol_next_heartbeat_ms;
    uint8_t sol_sent_control;
    uint8_t sol_sent_status;
    uint8_t sol_status_events;  /* overflow/flush bits not yet reported */

    /* IDE-R */
    RedirIder *ider;

    /* KVM */
    RedirKvm *kvm;
    bool vnc;                   /* port 5900: RFB from the first byte */
};

int64_t redir_now(VamtRedir *redir);
void redir_trace(VamtRedir *redir, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/*
 * Queue one message for the console.  @isolated: the console must read
 * it alone, so nothing follows it until the console has sent something
 * or VAMT_REDIR_ISOLATION_MS have passed.
 */
void redir_send(RedirConn *c, const uint8_t *msg, size_t len, bool isolated);
/* A header of four bytes: @type, then zeroes; @seq at 4 if @with_seq */
size_t redir_header(uint8_t *buf, uint8_t type, bool with_seq, uint32_t seq);
/* Nothing queued or held back: new output would go out at once */
bool redir_output_idle(const RedirConn *c);
/* Close now (the transport learns it from closed()) */
void redir_close(RedirConn *c);
/*
 * Close after @delay_ms (what was queued goes out first); input is
 * ignored meanwhile
 */
void redir_close_later(RedirConn *c, int64_t delay_ms);

/* SOL (sol.c) */
/*
 * The length of the SOL message at @buf (@avail bytes there), 0 if more
 * bytes are needed, -1 if it is no SOL message
 */
long redir_sol_message_len(const uint8_t *buf, size_t avail);
void redir_sol_message(RedirConn *c, const uint8_t *msg, size_t len);
int64_t redir_sol_deadline(const RedirConn *c);
void redir_sol_tick(RedirConn *c);
void redir_sol_opened(RedirConn *c);
void redir_sol_closed(RedirConn *c);
void redir_sol_free(RedirConn *c);

/* IDE-R (ider.c), the same calls */
long redir_ider_message_len(const uint8_t *buf, size_t avail);
void redir_ider_message(RedirConn *c, const uint8_t *msg, size_t len);
int64_t redir_ider_deadline(const RedirConn *c);
void redir_ider_tick(RedirConn *c);
void redir_ider_opened(RedirConn *c);
void redir_ider_closed(RedirConn *c);
void redir_ider_free(RedirConn *c);

/* KVM (kvm.c), the same calls */
long redir_kvm_message_len(const uint8_t *buf, size_t avail);
void redir_kvm_message(RedirConn *c, const uint8_t *msg, size_t len);
int64_t redir_kvm_deadline(const RedirConn *c);
void redir_kvm_tick(RedirConn *c);
void redir_kvm_opened(RedirConn *c);
void redir_kvm_closed(RedirConn *c);
void redir_kvm_vnc_open(RedirConn *c);
void redir_kvm_free(RedirConn *c);
/* Past 0x41 the connection carries RFB: input goes to it unframed */
bool redir_kvm_streaming(const RedirConn *c);
void redir_kvm_stream_input(RedirConn *c, const uint8_t *data, size_t len);

/*
 * What the session layer calls for each session type: its messages, its
 * time-outs, its start and end, and what the audit log and the AMT
 * session alerts call it
 */
typedef struct RedirSessionType {
    VamtAmtSession amt_session;
    unsigned audit_opened, audit_closed;
    long (*message_len)(const uint8_t *buf, size_t avail);
    void (*message)(RedirConn *c, const uint8_t *msg, size_t len);
    int64_t (*deadline)(const RedirConn *c);
    void (*tick)(RedirConn *c);
    void (*opened)(RedirConn *c);
    void (*closed)(RedirConn *c);
    void (*free)(RedirConn *c);
    /* Optional: input is no longer framed (KVM's RFB) */
    bool (*streaming)(const RedirConn *c);
    void (*stream_input)(RedirConn *c, const uint8_t *data, size_t len);
} RedirSessionType;

/* Authenticated: the session of c->type begins (@user for the audit) */
void redir_begin_session(RedirConn *c, const char *user);

#endif
