/*
 * vAMT ME core: CIM providers for WS-Eventing subscriptions
 *
 * The classes of MeshCommander's "Event Subscriptions" page.  vAMT's ME
 * delivers no events yet (no WS-Eventing Subscribe, no outbound
 * Notify), so it has no filter collections to subscribe to, no
 * listener destinations and no subscriptions: each enumerates empty,
 * which is what AMT answers for the last two on a machine nobody
 * subscribed to (docs/specs/vamt-wsman.rst, "Event subscriptions").
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>

#include "provider.h"

CIM_EMPTY_CLASS(filter_collection_class, "CIM_FilterCollection",
                VAMT_NS_CIM, cim_keys_instance_id);

/* the base class of CIM_ListenerDestinationWSManagement */
CIM_EMPTY_CLASS(listener_destination_class, "CIM_ListenerDestination",
                VAMT_NS_CIM, cim_keys_service);

CIM_EMPTY_CLASS(listener_wsman_class, "CIM_ListenerDestinationWSManagement",
                VAMT_NS_CIM, cim_keys_service);

/* an association: its keys are the Filter and Handler references */
CIM_EMPTY_CLASS(subscription_class, "CIM_FilterCollectionSubscription",
                VAMT_NS_CIM, NULL);


const VamtCimClass *const vamt_cim_eventing_classes[] = {
    &filter_collection_class, &listener_destination_class,
    &listener_wsman_class, &subscription_class, NULL,
};
