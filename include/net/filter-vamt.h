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

/* What the device gives the filter's endpoint */
typedef struct FilterVamtHooks {
    /* The ME's service behind a TCP port now, or NULL (VamtNetOps) */
    const VamtService *(*service)(void *opaque, uint16_t port);
    /* The netdev, and with it the filter, was deleted */
    void (*gone)(void *opaque);
    /* The ME's own connections out (VamtNetOps.client_*) */
    void (*client_connected)(void *opaque, uint64_t id);
    void (*client_input)(void *opaque, uint64_t id, const uint8_t *data,
                         size_t len);
    void (*client_closed)(void *opaque, uint64_t id);
} FilterVamtHooks;

/*
 * A filter on netdev @netdev_id, a child of @parent named "net-filter",
 * whose endpoint hands TCP connections to the services @hooks name
 */
FilterVamtState *filter_vamt_new(Object *parent, const char *netdev_id,
                                 const FilterVamtHooks *hooks, void *opaque,
                                 Error **errp);
/* The endpoint's calls (endpoint.h), made safe to call from anywhere */
void filter_vamt_set_static(FilterVamtState *s, uint32_t address,
                            uint32_t netmask, uint32_t gateway);
void filter_vamt_services_changed(FilterVamtState *s);
void filter_vamt_get_info(FilterVamtState *s, VamtNetInfo *info);
bool filter_vamt_connect(FilterVamtState *s, uint64_t id, uint32_t address,
                         uint16_t port);
void filter_vamt_client_write(FilterVamtState *s, uint64_t id,
                              const uint8_t *data, size_t len);
void filter_vamt_client_close(FilterVamtState *s, uint64_t id);
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
