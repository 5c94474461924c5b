/*
 * vAMT: the ME's endpoint on the guest's NIC (netdev=), device side
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VAMT_NIC_H
#define HW_VAMT_NIC_H

#include "qapi/qapi-types-vamt.h"

typedef struct VamtState VamtState;
typedef struct VamtNicStatus VamtNicStatus;

/* netdev=, nic-address=, nic-gateway=: the filter on the netdev */
bool vamt_nic_realize(VamtState *s, Error **errp);
void vamt_nic_cleanup(VamtState *s);
/*
 * The ME's settings changed: a console's static address applies, and
 * sessions on a port that closed end
 */
void vamt_nic_update(VamtState *s);
VamtNicInfo *vamt_nic_query(VamtState *s);
/*
 * alert-egress=nic: the ME's connection @id out to @host (an IPv4
 * address) from the guest's address on the NIC; reported through
 * vamt_me_outbound_*() as the host's egress reports its connections
 */
bool vamt_nic_connect(VamtState *s, uint64_t id, const char *host,
                      uint16_t port);
void vamt_nic_client_write(VamtState *s, uint64_t id, const uint8_t *data,
                           size_t len);
void vamt_nic_client_close(VamtState *s, uint64_t id);
/* Migration: the address the endpoint learned goes along */
extern const VMStateDescription vmstate_vamt_nic;
/* The platform op for AMT_EthernetPortSettings */
bool vamt_nic_status(void *opaque, VamtNicStatus *status);
bool vamt_nic_filter_matched(void *opaque, uint32_t handle,
                             uint64_t *packets);

#endif
