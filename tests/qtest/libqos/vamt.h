/*
 * Helpers for the vAMT qtests: the HECI/MEI device started on q35 and
 * driven through BAR0 the way Linux's mei_me drives it, and a console of
 * the ME's web service (listen=) with Digest authentication.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef LIBQOS_VAMT_H
#define LIBQOS_VAMT_H

#include "../libqtest.h"
#include "pci.h"

/* BAR0 registers, as in Linux's drivers/misc/mei/hw-me-regs.h */
#define H_CB_WW     0x00
#define H_CSR       0x04
#define ME_CB_RW    0x08
#define ME_CSR_HA   0x0c

#define CSR_IE      0x01
#define CSR_IS      0x02
#define CSR_IG      0x04
#define CSR_RDY     0x08
#define CSR_RST     0x10

#define CB_DEPTH    128
#define HDR_COMPLETE 0x80000000u

/* ME client addresses */
#define ADDR_MKHI_FIXED 0x07
#define ADDR_MKHI   0x08
#define ADDR_AMTHI  0x10
#define ADDR_WD     0x11
#define ADDR_LME    0x12

#define VAMT_QEMU_UUID  "c0ffee00-1234-5678-9abc-def012345678"

typedef struct VamtHeci {
    QTestState *qts;
    QPCIBus *pcibus;
    QPCIDevice *dev;
    QPCIBar bar;
} VamtHeci;

typedef struct VamtMsg {
    uint8_t me_addr;
    uint8_t host_addr;
    size_t len;
    uint8_t data[8192];
} VamtMsg;

/* ---- the device and its BAR0 ------------------------------------------ */

uint32_t vamt_heci_read(VamtHeci *h, uint32_t reg);
void vamt_heci_write(VamtHeci *h, uint32_t reg, uint32_t val);
/* Slots filled in the circular buffer whose CSR is @csr */
uint8_t vamt_cb_filled(uint32_t csr);
/* Wait until @reg & @mask == @want (the ME works from a bottom half). */
uint32_t vamt_heci_poll(VamtHeci *h, uint32_t reg, uint32_t mask,
                        uint32_t want);
/* Find the device at 16.0 of the q35 QEMU @qts */
void vamt_heci_attach(VamtHeci *h, QTestState *qts);
/* Start a q35 QEMU with -device vamt,addr=16.0@extra; BAR0 mapped */
void vamt_heci_start(VamtHeci *h, const char *extra);
void vamt_heci_stop(VamtHeci *h);

/* ---- the MEI host side, as mei_me does it ----------------------------- */

/* The driver's write of H_CSR: keep IE/RDY, never clear IS by accident */
void vamt_heci_doorbell(VamtHeci *h);
/* mei_me_hw_reset + mei_me_hw_start */
void vamt_heci_link_reset(VamtHeci *h);
/* Send a message from host client @host to ME client @me, in fragments */
void vamt_heci_send(VamtHeci *h, uint8_t me, uint8_t host, const void *data,
                    size_t len);
/* Whether the ME has anything for the host, after it had time to work */
bool vamt_heci_has_data(VamtHeci *h);
/* Receive one whole message, reading and acking fragment by fragment */
void vamt_heci_recv(VamtHeci *h, VamtMsg *m);
/* Expect an HBM message with the given leading bytes */
void vamt_heci_expect_hbm(VamtHeci *h, VamtMsg *m, const uint8_t *head,
                          size_t n);
/* HBM version 2.2 start */
void vamt_hbm_start(VamtHeci *h);
/* Connect @host to @me; the ME answers @status (0: and grants a credit) */
void vamt_hbm_connect(VamtHeci *h, uint8_t me, uint8_t host,
                      uint8_t status);
/* Grant the ME one message from @me to @host */
void vamt_heci_flow_control(VamtHeci *h, uint8_t me, uint8_t host);
/* Link reset and HBM start */
void vamt_heci_bring_up(VamtHeci *h);
/* One AMTHI request from connected @host; its checked reply in @rsp */
void vamt_amthi_request(VamtHeci *h, uint8_t host, uint32_t cmd,
                        const uint8_t *data, size_t len, VamtMsg *rsp);

/* ---- QEMU ------------------------------------------------------------- */

/* The one entry of query-vamt (a reference the caller drops) */
QDict *vamt_query(QTestState *qts);
/* query-vamt's link state is @link, with @connections (unless < 0) */
void vamt_assert_link(QTestState *qts, const char *link, int connections);
/* QEMU refuses to start with @args, exits 1 and says @msg */
void vamt_expect_startup_error(const char *args, const char *msg);
/* Wait until the outgoing migration of @qts has completed */
void vamt_wait_migration(QTestState *qts);

/* ---- the web service on a host socket (listen=) ----------------------- */

#define VAMT_AMT_PASSWORD   "P@ssw0rd"
#define VAMT_WSMAN_NS       "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
#define VAMT_CIM_NS         "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"

typedef struct VamtWeb {
    QTestState *qts;
    int port;
    char *realm;
    char *nonce;
    unsigned nc;
} VamtWeb;

/* QEMU with the web service on 127.0.0.1 and admin's password; @extra */
void vamt_web_start(VamtWeb *w, const char *extra);
void vamt_web_stop(VamtWeb *w);
/* A new connection to the web service (10 s receive timeout) */
int vamt_web_connect(VamtWeb *w);
/* The same from the address 127.0.0.@peer */
int vamt_web_connect_from(VamtWeb *w, uint8_t peer);
void vamt_web_send_all(int fd, const char *data, size_t len);
/*
 * Read one response: the head, then a Content-Length or chunked body.
 * Returns the head and the (de-chunked) body in *@body.
 */
char *vamt_web_read_response(int fd, char **body);
/* A WS-Man envelope of @action on @uri with @body as its Body */
char *vamt_wsman_envelope(const char *action, const char *uri,
                          const char *body);
/* The same with a header's SelectorSet, e.g. "<w:SelectorSet>...": the
 * w prefix is WS-Man's */
char *vamt_wsman_envelope_selected(const char *action, const char *uri,
                                   const char *selectors, const char *body);
/* POST one WS-Man envelope as admin on a connection of its own; 200 */
char *vamt_wsman_call(VamtWeb *w, const char *envelope);
/* The same, for the HTTP status of the answer (401 if refused twice) */
int vamt_wsman_status(VamtWeb *w, const char *envelope);
/* The text of the first <...:@name> element in @body */
char *vamt_element_text(const char *body, const char *name);

#endif
