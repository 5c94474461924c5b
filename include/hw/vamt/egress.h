/*
 * vAMT: the ME's own outbound TCP connections, made from the host
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VAMT_EGRESS_H
#define HW_VAMT_EGRESS_H

typedef struct VamtEgress VamtEgress;

/* How a connection's life reaches the ME (vamt_me_outbound_*) */
typedef struct VamtEgressOps {
    void (*connected)(void *opaque, uint64_t id);
    void (*input)(void *opaque, uint64_t id, const uint8_t *data,
                  size_t len);
    /* Failed to connect, or ended by the peer or an error */
    void (*closed)(void *opaque, uint64_t id);
} VamtEgressOps;

/* At most this many connections at once; more are refused */
#define VAMT_EGRESS_MAX_CONNECTIONS 4

VamtEgress *vamt_egress_new(const VamtEgressOps *ops, void *opaque);
void vamt_egress_free(VamtEgress *e);
/*
 * Connect to @host:@port without blocking (names are resolved off the
 * main loop); false if it cannot even start.
 */
bool vamt_egress_open(VamtEgress *e, uint64_t id, const char *host,
                      uint16_t port);
void vamt_egress_write(VamtEgress *e, uint64_t id, const uint8_t *data,
                       size_t len);
/* The ME is done with @id: nothing more is reported for it. */
void vamt_egress_close(VamtEgress *e, uint64_t id);

#endif
