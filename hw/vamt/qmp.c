/*
 * vAMT: QMP commands: query-vamt, what each device reports
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/qapi-commands-vamt.h"
#include "qom/object.h"
#include "hw/vamt/vamt.h"

static void vamt_query_listener(VamtListenerInfoList **list,
                                uint16_t service_port, VamtListener *l)
{
    VamtListenerInfo *info;

    if (!l) {
        return;
    }
    info = g_new0(VamtListenerInfo, 1);
    info->service_port = service_port;
    info->host = vamt_listener_host(l);
    info->port = vamt_listener_port(l);
    QAPI_LIST_PREPEND(*list, info);
}

VamtInfo *vamt_query(VamtState *s)
{
    VamtInfo *info = g_new0(VamtInfo, 1);
    const VamtFwVersion *v = &s->fw.version;
    MeiBusInfo bus;
    VamtAlertStats alerts;

    mei_bus_get_info(vamt_me_mei(s->me), &bus);
    info->qom_path = object_get_canonical_path(OBJECT(s));
    info->device_id = s->device_id;
    info->fw_version = g_strdup_printf("%u.%u.%u.%u", v->major, v->minor,
                                       v->hotfix, v->build);
    if (!vamt_heci_link_is_up(s)) {
        info->link = VAMT_LINK_STATE_RESET;
    } else if (bus.hbm_state == MEI_HBM_STARTED) {
        info->link = VAMT_LINK_STATE_STARTED;
    } else {
        info->link = VAMT_LINK_STATE_READY;
    }
    info->hbm_version = g_strdup_printf("%u.%u", bus.hbm_major,
                                        bus.hbm_minor);
    info->connections = bus.connections;
    info->link_resets = s->link_resets;
    vamt_query_listener(&info->listeners, VAMT_PORT_VNC, s->vnc_listener);
    vamt_query_listener(&info->listeners, VAMT_PORT_REDIRECTION,
                        s->redir_listener);
    vamt_query_listener(&info->listeners, VAMT_PORT_REDIRECTION_TLS,
                        s->redir_tls_listener);
    vamt_query_listener(&info->listeners, VAMT_PORT_WSMAN_TLS,
                        s->tls_listener);
    vamt_query_listener(&info->listeners, VAMT_PORT_WSMAN, s->listener);
    if (s->rmcp) {
        info->has_rmcp_port = true;
        info->rmcp_port = vamt_rmcp_socket_port(s->rmcp);
    }
    /* the core's numbering is AMT's, the QAPI enums follow it */
    QEMU_BUILD_BUG_ON((int)VAMT_PROVISIONING_STATE_POST !=
                      VAMT_PROVISIONING_POST ||
                      (int)VAMT_PROVISIONING_STATE_IN != VAMT_PROVISIONING_IN);
    QEMU_BUILD_BUG_ON((int)VAMT_AMT_CONTROL_MODE_CLIENT !=
                      VAMT_CONTROL_MODE_CCM ||
                      (int)VAMT_AMT_CONTROL_MODE_ADMIN !=
                      VAMT_CONTROL_MODE_ACM);
    info->provisioning = vamt_amt_provisioning_state(vamt_me_amt(s->me));
    info->control_mode = vamt_amt_control_mode(vamt_me_amt(s->me));
    vamt_me_alert_stats(s->me, &alerts);
    info->alerts = g_new0(VamtAlertInfo, 1);
    for (unsigned i = 0; i < VAMT_SUBSCRIPTION_MAX; i++) {
        info->alerts->subscriptions +=
            vamt_amt_state(vamt_me_amt(s->me))->subscriptions[i].in_use;
    }
    info->alerts->queued = alerts.queued;
    info->alerts->delivered = alerts.delivered;
    info->alerts->unconfirmed = alerts.unconfirmed;
    info->alerts->failed = alerts.failed;
    info->alerts->dropped = alerts.dropped;
    if (s->display) {
        VamtRedir *redir = vamt_me_redir(s->me);
        const VamtRfbStats *kvm = vamt_redir_kvm_stats(redir);

        info->kvm = g_new0(VamtKvmInfo, 1);
        info->kvm->served = vamt_display_served(s->display);
        info->kvm->session = vamt_redir_active(redir, VAMT_REDIR_KVM);
        info->kvm->width = vamt_screen_width(vamt_redir_screen(redir));
        info->kvm->height = vamt_screen_height(vamt_redir_screen(redir));
        if (kvm) {
            info->kvm->updates = kvm->updates;
            info->kvm->bytes = kvm->bytes;
            info->kvm->input_events = kvm->input_events;
        }
    }
    info->nic = vamt_nic_query(s);
    return info;
}

static int vamt_query_one(Object *obj, void *opaque)
{
    VamtInfoList ***tail = opaque;
    VamtState *s = (VamtState *)object_dynamic_cast(obj, TYPE_VAMT);

    if (s) {
        QAPI_LIST_APPEND(*tail, vamt_query(s));
    }
    return 0;
}

VamtInfoList *qmp_query_vamt(Error **errp)
{
    VamtInfoList *head = NULL, **tail = &head;

    object_child_foreach_recursive(object_get_root(), vamt_query_one, &tail);
    return head;
}
