/*
 * vAMT: the NetFilter that gives the ME its endpoint on the guest's NIC
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef NET_FILTER_VAMT_H
#define NET_FILTER_VAMT_H

#include "net/filter.h"
#include "endpoint.h"

#define TYPE_FILTER_VAMT "filter-vamt"
OBJECT_DECLARE_SIMPLE_TYPE(FilterVamtState, FILTER_VAMT)

/* The ME's service behind a TCP port now, or NULL (VamtNetOps.service) */
typedef const VamtService *FilterVamtServiceFn(void *opaque, uint16_t port);

/*
 * A filter on netdev @netdev_id, a child of @parent named "net-filter",
 * whose endpoint hands TCP connections to @service's services.  @gone
 * runs if the netdev, and with it the filter, is deleted.
 */
FilterVamtState *filter_vamt_new(Object *parent, const char *netdev_id,
                                 FilterVamtServiceFn *service,
                                 void (*gone)(void *opaque), void *opaque,
                                 Error **errp);
/* The endpoint's calls (endpoint.h), made safe to call from anywhere */
void filter_vamt_set_static(FilterVamtState *s, uint32_t address,
                            uint32_t netmask, uint32_t gateway);
void filter_vamt_services_changed(FilterVamtState *s);
void filter_vamt_get_info(FilterVamtState *s, VamtNetInfo *info);
void filter_vamt_set_defense(FilterVamtState *s,
                             const VamtDefensePolicy *policy);
bool filter_vamt_defense_matched(FilterVamtState *s, uint32_t handle,
                                 uint64_t *packets);
bool filter_vamt_restore(FilterVamtState *s, VamtNetAddressSource source,
                         uint32_t address, uint32_t netmask,
                         uint32_t gateway);
/* The NIC's MAC; false while no NIC is attached to the netdev */
bool filter_vamt_mac(FilterVamtState *s, uint8_t mac[6]);
const char *filter_vamt_netdev(FilterVamtState *s);

#endif
