/*
 * Helpers shared by the vAMT ME core's unit tests and its benchmark: a
 * fake platform, a fake Digest environment, what a console computes for
 * Digest, one-shot HTTP exchanges with the ME and the captured console
 * requests.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_TEST_SUPPORT_H
#define VAMT_TEST_SUPPORT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "digest.h"
#include "me.h"
#include "platform-ops.h"
/* Digest as a console computes it (RFC 2617, qop=auth) */
#include "vamt-digest-client.h"

/* The device the tests talk to */
#define REALM       "Digest:A1B2C3D4E5F60718293A4B5C6D7E8F90"
#define PASSWORD    "P@ssw0rd"
#define NOW_UTC     1700000000

#define NS_SOAP     "http://www.w3.org/2003/05/soap-envelope"
#define NS_WSA      "http://schemas.xmlsoap.org/ws/2004/08/addressing"
#define NS_WSMAN    "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
#define NS_ENUM     "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
#define NS_XFER     "http://schemas.xmlsoap.org/ws/2004/09/transfer"
#define NS_SOAP11   "http://schemas.xmlsoap.org/soap/envelope/"
#define AMT         "http://intel.com/wbem/wscim/1/amt-schema/1/"
#define CIM         "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
#define IPS         "http://intel.com/wbem/wscim/1/ips-schema/1/"

/* ---- A fake platform that records what the ME asks of it -------------- */

typedef struct VamtTestPlatform {
    VamtPowerState power;
    GArray *power_requests;     /* VamtPowerState, those carried out */
    GArray *boot_targets;       /* VamtBootTarget */
    uint32_t boot_refused;      /* bit n: VamtBootTarget n is refused */
    VamtInventory inv;
    int64_t utc;
    int64_t ms;
    uint8_t random_byte;        /* the next "random" byte; counts up */
    uint32_t consent_code;
    bool consent_shown;
    unsigned consent_shows;
    unsigned changes;           /* state_changed() calls */
    unsigned agent_expiries;    /* agent_expired() calls */
    uint8_t expired_agent[16];  /* the last one's id */
    bool has_nic;               /* an endpoint on the NIC (netdev=) */
    uint64_t nic_filter_packets;    /* what each System Defense filter saw */
} VamtTestPlatform;

/* Powered @power, at NOW_UTC and 1000 ms, with a Q35 guest's inventory */
void vamt_test_platform_init(VamtTestPlatform *p, VamtPowerState power);
void vamt_test_platform_destroy(VamtTestPlatform *p);

/* The operations, for a table of one's own; the opaque is the platform */
VamtPowerState vamt_test_power_state(void *opaque);
bool vamt_test_power_request(void *opaque, VamtPowerState request);
bool vamt_test_set_boot_target(void *opaque, VamtBootTarget target);
const VamtInventory *vamt_test_inventory(void *opaque);
int64_t vamt_test_time_utc(void *opaque);
int64_t vamt_test_clock_ms(void *opaque);
void vamt_test_random(void *opaque, uint8_t *buf, size_t len);
void vamt_test_show_consent_code(void *opaque, bool shown, uint32_t code);
/* VNC authentication's response, as a viewer computes it (nettle's DES) */
bool vamt_test_vnc_response(void *opaque, const char *password,
                            const uint8_t *challenge, uint8_t *response);
void vamt_test_state_changed(void *opaque);
void vamt_test_agent_expired(void *opaque, const uint8_t *id,
                             uint16_t timeout_s);
/* The NIC endpoint, when has_nic: 10.0.2.15/24 by DHCP */
bool vamt_test_nic_status(void *opaque, VamtNicStatus *status);
bool vamt_test_nic_filter_matched(void *opaque, uint32_t handle,
                                  uint64_t *packets);

/* The initializers of those, for a test's own table with more entries */
#define VAMT_TEST_PLATFORM_OPS \
    .power_state = vamt_test_power_state, \
    .power_request = vamt_test_power_request, \
    .set_boot_target = vamt_test_set_boot_target, \
    .inventory = vamt_test_inventory, \
    .time_utc = vamt_test_time_utc, \
    .me_clock_ms = vamt_test_clock_ms, \
    .guest_clock_ms = vamt_test_clock_ms, \
    .random = vamt_test_random, \
    .show_consent_code = vamt_test_show_consent_code, \
    .vnc_response = vamt_test_vnc_response, \
    .agent_expired = vamt_test_agent_expired, \
    .nic_status = vamt_test_nic_status, \
    .nic_filter_matched = vamt_test_nic_filter_matched

/* All of them but state_changed (no NVRAM: no save after each request) */
extern const VamtPlatformOps vamt_test_platform_ops;
/* All of them, for tests of what is saved */
extern const VamtPlatformOps vamt_test_platform_ops_nvram;

/* AMT 16.1.25.2124 (provisioning is AMT state: vamt_amt_set_provisioning) */
void vamt_test_firmware_init(VamtFirmware *fw);
/*
 * The ME of most tests: @platform powered on, @fw from
 * vamt_test_firmware_init(), admin's password PASSWORD (so provisioned)
 */
VamtMe *vamt_test_me_new(VamtTestPlatform *platform, VamtFirmware *fw);
/*
 * The Authorization header admin sends to @me with @password on a fresh
 * nonce of @me (nc 1)
 */
char *vamt_test_admin_authorization(VamtMe *me, const char *password);

/* ---- A fake environment for VamtDigest alone -------------------------- */

typedef struct VamtTestDigestEnv {
    int64_t now_ms;
    GRand *rand;
    GByteArray *next_random;    /* bytes to hand out before @rand's */
    unsigned lockouts;
    VamtDigest *digest;         /* realm REALM, user admin, PASSWORD */
} VamtTestDigestEnv;

void vamt_test_digest_env_init(VamtTestDigestEnv *d, int64_t now_ms,
                               guint32 seed);
void vamt_test_digest_env_destroy(VamtTestDigestEnv *d);
/* Issue a challenge whose nonce is @nonce (a captured one). */
void vamt_test_issue_nonce(VamtTestDigestEnv *d, const char *nonce);

/* ---- HTTP with the ME, one connection per request --------------------- */

/* A POST of @body with Content-Length and, unless NULL, @authorization */
char *vamt_test_post_request(const char *host, const char *path,
                             const char *authorization, const char *body);
/* Everything the ME answers @request on a fresh connection */
char *vamt_test_http_send(VamtMe *me, const char *request);
/* The same from @peer (VAMT_PEER_LOCAL: through LME), NULL if unknown */
char *vamt_test_http_send_from(VamtMe *me, const char *peer,
                               const char *request);
/* The nonce of the 401 that an anonymous POST /wsman gets */
char *vamt_test_http_nonce(VamtMe *me);

typedef struct VamtTestReply {
    int status;
    GString *head;
    GString *body;              /* de-chunked */
} VamtTestReply;

/* Read one whole response (Content-Length, chunked or up to the end) */
VamtTestReply *vamt_test_reply_parse(const char *data, size_t len);
void vamt_test_reply_free(VamtTestReply *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VamtTestReply, vamt_test_reply_free)

/* The data of a chunked body from @p to @end, without its framing */
GString *vamt_test_dechunk(const char *p, const char *end);

/* ---- WS-Man requests, the plain way ----------------------------------- */

char *vamt_test_wsman_envelope(const char *action, const char *resource,
                               const char *body);
/* The Body of an Invoke of @method with @args (may be NULL) */
char *vamt_test_invoke_body(const char *resource, const char *method,
                            const char *args);

/*
 * A WS-Man Identify whose Identify element carries @attributes distinct
 * attributes of seven bytes each: 37,000 of them fit in 256 KiB, the
 * costliest body libxml2 2.9 could be handed before authentication.
 */
GString *vamt_test_identify_with_attributes(unsigned attributes);

/* ---- Captured console requests ---------------------------------------- */

typedef struct VamtTestCapture {
    char *name;                 /* file name, sequence number first */
    char *data;                 /* the request as sent */
    gsize len;
} VamtTestCapture;

/* $VAMT_CAPTURES, or the directory shared beside the checkout */
const char *vamt_test_captures_root(void);
/* The session directories below @root (full paths, sorted), or NULL */
GPtrArray *vamt_test_capture_sessions(const char *root);
/* The *.http files of a session in order (VamtTestCapture), or NULL */
GPtrArray *vamt_test_captures_load(const char *dir);

#endif
