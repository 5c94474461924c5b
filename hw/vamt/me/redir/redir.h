/*
 * vAMT ME core: the redirection service (AMT port 16994, later 16995)
 *
 * One TCP connection carries one session: the console starts it with a
 * tag ("SOL ", "IDER", "KVMR"), authenticates (plain user/password or
 * Digest, as the protocol's AuthenticateSession defines them), and then
 * speaks that session's protocol.  The service is a byte-stream state
 * machine behind the connection contract of base/conn.h, so every
 * transport (host socket, the NIC endpoint, TLS) serves it unchanged.
 * docs/specs/vamt-redirection.rst describes the wire format.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_REDIR_H
#define VAMT_ME_REDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amt.h"
#include "conn.h"
#include "digest.h"
#include "platform-ops.h"
#include "rfb.h"
#include "screen.h"

typedef struct VamtRedir VamtRedir;

typedef enum VamtRedirType {
    VAMT_REDIR_SOL,
    VAMT_REDIR_IDER,
    VAMT_REDIR_KVM,
    VAMT_REDIR_TYPES,
} VamtRedirType;

/* Time limits of the session set-up (ms) */
#define VAMT_REDIR_START_TIMEOUT_MS     10000   /* accept -> 0x10 */
#define VAMT_REDIR_AUTH_TIMEOUT_MS      30000   /* accept -> authenticated */
#define VAMT_REDIR_FAIL_DELAY_MS        1000    /* a failed login -> close */
/* Nothing else goes out this long after a reply a client reads alone */
#define VAMT_REDIR_ISOLATION_MS         100
/* Connections that have not authenticated yet; the oldest makes room */
#define VAMT_REDIR_MAX_UNAUTHENTICATED  4

/*
 * SOL buffers: guest output waiting for the console, console input
 * waiting for the guest's UART.  Beyond them bytes are dropped and the
 * console is told (0x29 status bits).
 */
#define VAMT_REDIR_SOL_TX_MAX           (64 * 1024)
#define VAMT_REDIR_SOL_RX_MAX           (64 * 1024)

/* The UART's modem control lines, as 0x29 reports them */
enum {
    VAMT_SOL_CONTROL_RTS = 0x01,
    VAMT_SOL_CONTROL_DTR = 0x02,
    VAMT_SOL_CONTROL_BREAK = 0x04,
};

/*
 * @ops/@opaque: the platform (power state for SOL's status, the UART
 * through sol_to_guest, the clock, randomness).  @digest: the ME's
 * Digest state, whose realm, accounts and lock-outs sessions share with
 * the web service.
 */
VamtRedir *vamt_redir_new(VamtAmt *amt, VamtDigest *digest,
                          const VamtPlatformOps *ops, void *opaque);
void vamt_redir_free(VamtRedir *redir);

/* The service of base/conn.h; its impl is the VamtRedir */
extern const VamtServiceClass vamt_redir_service_class;
/* Port 5900: standard RFB with the RFB password, for VNC viewers */
extern const VamtServiceClass vamt_redir_vnc_service_class;
/* KVM, port 5900 and an RFB password are all enabled */
bool vamt_redir_vnc_enabled(VamtRedir *redir);

/* Allow plain user/password authentication (auth type 1; default on) */
void vamt_redir_set_plain_auth(VamtRedir *redir, bool allowed);

/*
 * Is @type served at all (the platform has its hardware: the KT UART for
 * SOL, the IDE-R function) and enabled now (AMT_RedirectionService)?
 */
bool vamt_redir_type_enabled(VamtRedir *redir, VamtRedirType type);
/* Is a console's session of @type open? */
bool vamt_redir_active(VamtRedir *redir, VamtRedirType type);
/* Close sessions of @type (or every one, VAMT_REDIR_TYPES) */
void vamt_redir_terminate(VamtRedir *redir, VamtRedirType type);
/* Re-read the enable state: close what is no longer allowed */
void vamt_redir_settings_changed(VamtRedir *redir);

/* ---- SOL: the ME's UART (the KT function) ---- */

/* The guest wrote @len bytes to the UART. */
void vamt_redir_sol_from_guest(VamtRedir *redir, const uint8_t *data,
                               size_t len);
/* The UART can take input again after sol_to_guest took less. */
void vamt_redir_sol_guest_ready(VamtRedir *redir);
/* The guest changed the UART's RTS/DTR/BREAK (VAMT_SOL_CONTROL_*). */
void vamt_redir_sol_set_control(VamtRedir *redir, uint8_t control);

/*
 * ---- IDE-R: a console's CD as the platform's medium ----
 *
 * The ME is a proxy (docs/specs/vamt-redirection.rst, IDE-R): the
 * platform's own CD model asks for blocks, the ME asks the console with
 * ATAPI commands of its own (TEST UNIT READY and READ CAPACITY when the
 * console enables its device, then READ(10) of at most
 * VAMT_IDER_CHUNK_MAX bytes each, one at a time) and hands back what the
 * console sent.  ops->ider_media_changed reports the medium,
 * ops->ider_read_done each read.
 */

/* Data bytes in one DataToHost (0x54): what the ME advertises in 0x41 */
#define VAMT_IDER_CHUNK_MAX     8192

/* A read's status: 0, or the SCSI sense key, ASC and ASCQ */
#define VAMT_IDER_SENSE(key, asc, ascq) \
    ((int)((key) << 16 | (asc) << 8 | (ascq)))
#define VAMT_IDER_SENSE_KEY(status)     (((status) >> 16) & 0xff)
/* The console's medium is gone (session ended, device disabled) */
#define VAMT_IDER_NO_MEDIUM         VAMT_IDER_SENSE(0x02, 0x3a, 0x00)
/* vamt_redir_ider_reset() cancelled the read */
#define VAMT_IDER_RESET             VAMT_IDER_SENSE(0x06, 0x29, 0x00)
/* The console reported success but sent fewer bytes than asked for */
#define VAMT_IDER_READ_ERROR        VAMT_IDER_SENSE(0x03, 0x11, 0x00)
/* The console reported a failure without a sense key */
#define VAMT_IDER_ABORTED           VAMT_IDER_SENSE(0x0b, 0x00, 0x00)

/*
 * Read @blocks blocks (of the size ider_media_changed reported) from
 * @lba into @buf, which must stay valid until ider_read_done(@tag).
 * Reads are served in order; each becomes as many READ(10) as needed.
 * False, and no ider_read_done, if no medium is attached or the range
 * is empty or not on it.
 */
bool vamt_redir_ider_read(VamtRedir *redir, uint64_t lba, uint32_t blocks,
                          uint8_t *buf, uint64_t tag);
/*
 * The guest reset its IDE channel (SRST, bus reset): the console is told
 * (0x46).  Reads queued or on the wire complete at once with
 * VAMT_IDER_RESET; reads queued after the call wait for the console's
 * answer (0x47).  The medium stays attached.
 */
void vamt_redir_ider_reset(VamtRedir *redir);
/*
 * The platform reset or powered on: a console that enabled its device
 * with start mode ON_REBOOT gets its medium attached now.
 */
void vamt_redir_ider_boot(VamtRedir *redir);
/* Is a console's medium attached; its size if so (pointers may be NULL) */
bool vamt_redir_ider_medium(VamtRedir *redir, uint64_t *blocks,
                            uint32_t *block_size);

/*
 * ---- KVM: the platform's primary display and input ----
 *
 * The platform draws into the screen (screen.h) while a viewer looks
 * (ops->kvm_viewing) and then calls vamt_redir_kvm_flush(), so that an
 * update goes out once per refresh with everything it drew.
 */
VamtScreen *vamt_redir_screen(VamtRedir *redir);
void vamt_redir_kvm_flush(VamtRedir *redir);
/* The open KVM session's RFB figures, NULL without one */
const VamtRfbStats *vamt_redir_kvm_stats(VamtRedir *redir);

#endif
