/*
 * vAMT: the ME as a QEMU device
 *
 * The QOM type "vamt": its properties, realize and reset, its migration
 * state, and the composition of the ME: the core (hw/vamt/me/, one root
 * made by vamt_me_new) gets the one platform table below, whose entries
 * are the HECI register file (heci.c) and the machine bindings for
 * power (power.c), boot (boot.c) and inventory (inventory.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/sockets.h"
#include "qemu/range.h"
#include "qemu/units.h"
#include "qemu/timer.h"
#include "qemu/uuid.h"
#include "hw/pci/msi.h"
#include "hw/pci/pci.h"
#include "hw/qdev-properties.h"
#include "migration/misc.h"
#include "migration/vmstate.h"
#include "qapi/qapi-events-vamt.h"
#include "qapi/visitor.h"
#include "crypto/random.h"
#include "crypto/secret_common.h"
#include "system/runstate-action.h"
#include "system/system.h"
#include "system/watchdog.h"
#include "hw/vamt/vamt.h"
#include "trace/trace-hw_vamt.h"

/* Config space: FW status registers and capabilities (as on real PCHs) */
static const uint8_t vamt_fwsts_offset[VAMT_FWSTS_COUNT] = {
    0x40, 0x48, 0x60, 0x64, 0x68, 0x6c
};
#define VAMT_PM_CAP_OFFSET      0x50
#define VAMT_MSI_CAP_OFFSET     0x8c
#define VAMT_FWSTS1_D0I3        BIT(31)

#define VAMT_DEFAULT_FW_VERSION "16.1.30.2307"

/*
 * Migration blobs are bounded before anything is allocated for them: the
 * AMT state is a few dozen KiB, the MEI bus's queues are bounded by its
 * back-pressure limits (docs/specs/vamt-heci.rst).
 */
#define VAMT_MAX_AMT_BLOB       (1 * MiB)
#define VAMT_MAX_MEI_BLOB       (8 * MiB)

/* VAMT_WATCHDOG events: at most one in this time (QEMU's WATCHDOG rate) */
#define VAMT_WATCHDOG_EVENT_MIN_MS  1000

/* ---- the one platform table of the ME core ---------------------------- */

static int64_t vamt_me_clock_ms(void *opaque)
{
    /* the ME lives while the VM is stopped */
    return qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
}

static int64_t vamt_guest_clock_ms(void *opaque)
{
    return qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL);
}

static void vamt_guest_timer_mod(void *opaque, int64_t deadline_ms)
{
    VamtState *s = opaque;

    if (deadline_ms < 0) {
        timer_del(s->guest_timer);
    } else {
        timer_mod(s->guest_timer, deadline_ms);
    }
}

static void vamt_guest_timer_cb(void *opaque)
{
    VamtState *s = opaque;

    vamt_me_guest_timer_expired(s->me);
}

static int64_t vamt_time_utc(void *opaque)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

static void vamt_random(void *opaque, uint8_t *buf, size_t len)
{
    qcrypto_random_bytes(buf, len, &error_abort);
}

static void vamt_trace(void *opaque, const char *msg)
{
    trace_vamt_me_log(msg);
}

static void vamt_web_event(void *opaque, const VamtWebEvent *ev)
{
    switch (ev->kind) {
    case VAMT_WEB_REQUEST:
        trace_vamt_web_request(ev->method, ev->path, ev->user ?: "");
        break;
    case VAMT_WEB_RESPONSE:
        trace_vamt_web_response(ev->status);
        break;
    case VAMT_WEB_AUTH_FAILED:
        trace_vamt_web_auth_failed(ev->method, ev->path, ev->auth);
        break;
    case VAMT_WEB_LOCKOUT:
        trace_vamt_web_lockout(ev->user);
        break;
    }
}

static void vamt_watchdog_event_send(VamtState *s, uint16_t timeout_s)
{
    g_autofree char *path = object_get_canonical_path(OBJECT(s));

    s->watchdog_event_ms = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
    qapi_event_send_vamt_watchdog(path, timeout_s, NULL);
}

static void vamt_watchdog_event_timer(void *opaque)
{
    VamtState *s = opaque;

    if (s->watchdog_event_pending) {
        s->watchdog_event_pending = false;
        vamt_watchdog_event_send(s, s->watchdog_event_timeout);
    }
}

/*
 * A guest can make the watchdog expire as fast as it likes (timeout 0),
 * so VAMT_WATCHDOG is rate-limited as QEMU limits its own WATCHDOG
 * event: at most one a second, a suppressed one sent (the latest) when
 * the second is over.
 */
static void vamt_watchdog_expired(void *opaque, uint16_t timeout_s)
{
    VamtState *s = opaque;
    int64_t now = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);

    trace_vamt_watchdog_expired(timeout_s);
    if (s->watchdog_event_ms &&
        now - s->watchdog_event_ms < VAMT_WATCHDOG_EVENT_MIN_MS) {
        s->watchdog_event_timeout = timeout_s;
        if (!s->watchdog_event_pending) {
            s->watchdog_event_pending = true;
            timer_mod(s->watchdog_event_timer,
                      s->watchdog_event_ms + VAMT_WATCHDOG_EVENT_MIN_MS);
        }
        return;
    }
    vamt_watchdog_event_send(s, timeout_s);
}

static size_t vamt_sol_to_guest(void *opaque, const uint8_t *data,
                                size_t len)
{
    VamtState *s = opaque;

    return s->has_kt ? vamt_kt_to_guest(&s->kt, data, len) : 0;
}

static void vamt_ider_media_changed_cb(void *opaque, bool present,
                                       uint64_t blocks, uint32_t block_size)
{
    VamtState *s = opaque;

    if (s->has_ider) {
        vamt_ider_media_changed(&s->ider, present, blocks, block_size);
    }
}

static void vamt_ider_read_done_cb(void *opaque, uint64_t tag, int status)
{
    VamtState *s = opaque;

    if (s->has_ider) {
        vamt_ider_read_done(&s->ider, tag, status);
    }
}

/*
 * AMT opens its redirection port once provisioned and while
 * AMT_RedirectionService.ListenerEnabled is true; consoles change both.
 * Run from a BH: a change may come from inside one of the listener's
 * own connections.
 */
bool vamt_open_listener(VamtState *s, uint16_t service_port,
                        char **address, VamtListener **listener,
                        Error **errp)
{
    const VamtService *svc = vamt_me_service(s->me, service_port);

    if (!svc || *listener) {
        return true;
    }
    *listener = vamt_listener_new(*address, svc,
                                  vamt_port_is_tls(service_port) ?
                                  s->tls_creds : NULL, errp);
    if (!*listener) {
        error_prepend(errp, "AMT port %u at %s: ", service_port, *address);
        return false;
    }
    trace_vamt_listener_open(service_port, *address,
                             vamt_listener_port(*listener));
    /* port 0: the system chose; keep that port from now on */
    if (g_str_has_suffix(*address, ":0")) {
        g_autofree char *host = g_strndup(*address, strlen(*address) - 2);

        g_free(*address);
        *address = g_strdup_printf("%s:%d", host,
                                   vamt_listener_port(*listener));
    }
    return true;
}

/* Open or close the host socket of one service port as the ME says */
static void vamt_update_listener(VamtState *s, uint16_t service_port,
                                 char **address, VamtListener **listener)
{
    const VamtService *svc = vamt_me_service(s->me, service_port);
    Error *err = NULL;

    if (!*address) {
        return;
    }
    if (svc && !*listener) {
        if (!vamt_open_listener(s, service_port, address, listener, &err)) {
            warn_report_err(err);
        }
    } else if (!svc && *listener) {
        g_clear_pointer(listener, vamt_listener_free);
        trace_vamt_listener_closed(service_port);
    }
}

static void vamt_update_listeners(void *opaque)
{
    VamtState *s = opaque;

    /* AMT_TLSSettingData (CommitChanges) opens and closes these */
    vamt_update_listener(s, VAMT_PORT_WSMAN, &s->wsman_address,
                         &s->listener);
    vamt_update_listener(s, VAMT_PORT_WSMAN_TLS, &s->tls_address,
                         &s->tls_listener);
    vamt_update_listener(s, VAMT_PORT_REDIRECTION, &s->redir_address,
                         &s->redir_listener);
    vamt_update_listener(s, VAMT_PORT_REDIRECTION_TLS, &s->redir_tls_address,
                         &s->redir_tls_listener);
    vamt_update_listener(s, VAMT_PORT_VNC, &s->vnc_address,
                         &s->vnc_listener);
    vamt_nic_update(s);
}

/*
 * Each Agent Presence expiry needs a fresh RegisterAgent by an
 * authenticated agent and at least a second of guest time, so its
 * events are not rate-limited as the AMT watchdog's are.
 */
static void vamt_agent_expired(void *opaque, const uint8_t *id,
                               uint16_t timeout_s)
{
    VamtState *s = opaque;
    g_autofree char *path = object_get_canonical_path(OBJECT(s));
    g_autofree char *agent = g_base64_encode(id, VAMT_AGENT_ID_LEN);

    trace_vamt_agent_expired(agent, timeout_s,
                             VamtAgentExpiryAction_str(s->agent_action));
    qapi_event_send_vamt_watchdog(path, timeout_s, agent);
    if (s->agent_action == VAMT_AGENT_EXPIRY_ACTION_WATCHDOG) {
        watchdog_perform_action();
    }
}

/* ---- alerts: QMP, and delivery to subscribers from the host ---------- */

/* VAMT_ALERT: a bucket of this many events, refilled at as many a second */
#define VAMT_ALERT_EVENTS_PER_SECOND    10

static void vamt_alert(void *opaque, const char *message_id,
                       const char *argument, unsigned severity,
                       unsigned subscribers)
{
    VamtState *s = opaque;
    int64_t now = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
    int64_t cost = 1000 / VAMT_ALERT_EVENTS_PER_SECOND;
    g_autofree char *path = NULL;

    trace_vamt_alert(message_id, argument, severity, subscribers);
    /* the bucket is full when its time lies a second or more back */
    s->alert_tokens_ms = MAX(s->alert_tokens_ms, now - 1000);
    if (s->alert_tokens_ms + cost > now) {
        trace_vamt_alert_event_dropped(message_id);
        return;
    }
    s->alert_tokens_ms += cost;
    path = object_get_canonical_path(OBJECT(s));
    qapi_event_send_vamt_alert(path, message_id, argument, severity,
                               subscribers);
}

static bool vamt_outbound_open(void *opaque, uint64_t id, const char *host,
                               uint16_t port)
{
    VamtState *s = opaque;

    if (s->alert_egress == VAMT_ALERT_EGRESS_NIC) {
        return vamt_nic_connect(s, id, host, port);
    }
    return s->egress && vamt_egress_open(s->egress, id, host, port);
}

static void vamt_outbound_write(void *opaque, uint64_t id,
                                const uint8_t *data, size_t len)
{
    VamtState *s = opaque;

    if (s->alert_egress == VAMT_ALERT_EGRESS_NIC) {
        vamt_nic_client_write(s, id, data, len);
    } else if (s->egress) {
        vamt_egress_write(s->egress, id, data, len);
    }
}

static void vamt_outbound_close(void *opaque, uint64_t id)
{
    VamtState *s = opaque;

    if (s->alert_egress == VAMT_ALERT_EGRESS_NIC) {
        vamt_nic_client_close(s, id);
    } else if (s->egress) {
        vamt_egress_close(s->egress, id);
    }
}

static void vamt_me_timer_mod(void *opaque, int64_t deadline_ms)
{
    VamtState *s = opaque;

    if (deadline_ms < 0) {
        timer_del(s->me_timer);
    } else {
        timer_mod(s->me_timer, deadline_ms);
    }
}

static void vamt_me_timer_cb(void *opaque)
{
    VamtState *s = opaque;

    vamt_me_timer_expired(s->me);
}

void vamt_outbound_connected(void *opaque, uint64_t id)
{
    VamtState *s = opaque;

    vamt_me_outbound_connected(s->me, id);
}

void vamt_outbound_input(void *opaque, uint64_t id, const uint8_t *data,
                         size_t len)
{
    VamtState *s = opaque;

    vamt_me_outbound_input(s->me, id, data, len);
}

void vamt_outbound_closed(void *opaque, uint64_t id)
{
    VamtState *s = opaque;

    vamt_me_outbound_closed(s->me, id);
}

static const VamtEgressOps vamt_egress_ops = {
    .connected = vamt_outbound_connected,
    .input = vamt_outbound_input,
    .closed = vamt_outbound_closed,
};

static void vamt_state_changed(void *opaque)
{
    VamtState *s = opaque;

    if (s->nvram) {
        vamt_nvram_schedule_write(s->nvram);
    }
    if (s->listeners_bh) {
        qemu_bh_schedule(s->listeners_bh);
    }
}

/*
 * The consent code is for the person at the machine: on the ME's own
 * console (-display, screendump device=ID), and QMP tells whoever runs
 * the VM (the ME does not draw it over the guest's display)
 */
static void vamt_show_consent_code(void *opaque, bool shown, uint32_t code)
{
    VamtState *s = opaque;
    g_autofree char *path = object_get_canonical_path(OBJECT(s));
    g_autofree char *text = shown ? g_strdup_printf("%06u", code) : NULL;

    trace_vamt_consent_code(shown);
    qapi_event_send_vamt_user_consent(path, shown, text);
    vamt_display_show_consent(DEVICE(s), &s->consent_console, shown, code);
}

static const VamtPlatformOps vamt_platform_ops = {
    .me_clock_ms = vamt_me_clock_ms,
    .guest_clock_ms = vamt_guest_clock_ms,
    .guest_timer_mod = vamt_guest_timer_mod,
    .time_utc = vamt_time_utc,
    .host_tx_ready = vamt_heci_host_tx_ready,
    .power_state = vamt_power_state,
    .power_request = vamt_power_request,
    .set_boot_target = vamt_boot_set_target,
    .inventory = vamt_inventory,
    .nic_status = vamt_nic_status,
    .nic_filter_matched = vamt_nic_filter_matched,
    .sol_to_guest = vamt_sol_to_guest,
    .ider_media_changed = vamt_ider_media_changed_cb,
    .ider_read_done = vamt_ider_read_done_cb,
    .show_consent_code = vamt_show_consent_code,
    .kvm_viewing = vamt_kvm_viewing,
    .vnc_response = vamt_vnc_response,
    .kvm_key = vamt_kvm_key,
    .kvm_pointer = vamt_kvm_pointer,
    .watchdog_expired = vamt_watchdog_expired,
    .agent_expired = vamt_agent_expired,
    .outbound_open = vamt_outbound_open,
    .outbound_write = vamt_outbound_write,
    .outbound_close = vamt_outbound_close,
    .me_timer_mod = vamt_me_timer_mod,
    .alert = vamt_alert,
    .random = vamt_random,
    .state_changed = vamt_state_changed,
    .trace = vamt_trace,
    .web_event = vamt_web_event,
};

/* ---- QOM ---------------------------------------------------------------- */

static void vamt_exit(PCIDevice *pd);

/* The ME's management side: AMT state, web service, platform binding. */
static bool vamt_power_off_stops(VamtState *s)
{
    return s->power_off_mode == VAMT_POWER_OFF_MODE_STOP;
}

/*
 * listen= names the host address of every service and the port of the
 * first (16992); the others sit at the same distance from it as AMT's
 * ports from 16992 (16994: +2), so that consoles which add 2 for
 * redirection find it.  Port 0: the system picks each one.
 */
/* Port 5900's host socket: listen='s host, the rfb-port property's port */
static char *vamt_vnc_address(const char *listen, uint16_t port,
                              Error **errp)
{
    g_autoptr(SocketAddress) addr = socket_parse(listen, errp);
    const char *host;

    if (!addr) {
        return NULL;
    }
    host = addr->u.inet.host;
    return g_strdup_printf(strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
                           port);
}

char *vamt_service_address(const char *listen, uint16_t service_port,
                           Error **errp)
{
    g_autoptr(SocketAddress) addr = socket_parse(listen, errp);
    unsigned long port;
    const char *host;

    if (!addr) {
        return NULL;
    }
    if (addr->type != SOCKET_ADDRESS_TYPE_INET ||
        qemu_strtoul(addr->u.inet.port, NULL, 10, &port) < 0 ||
        port > 65535 - (service_port - VAMT_PORT_WSMAN)) {
        error_setg(errp, "listen=%s: a host and a numeric TCP port, with "
                   "room for the redirection port (+%u) above it", listen,
                   service_port - VAMT_PORT_WSMAN);
        return NULL;
    }
    host = addr->u.inet.host;
    if (port) {
        port += service_port - VAMT_PORT_WSMAN;
    }
    return g_strdup_printf(strchr(host, ':') ? "[%s]:%lu" : "%s:%lu",
                           host, port);
}

/*
 * RMCP presence on UDP rmcp-port of the listen= host.  With rmcp=auto a
 * port that cannot be had (623 needs privileges, another VM may hold
 * it) leaves the ME without presence answers, quietly (trace event);
 * rmcp=on makes that an error.
 */
static bool vamt_rmcp_realize(VamtState *s, Error **errp)
{
    ERRP_GUARD();
    g_autoptr(SocketAddress) addr = NULL;
    Error *err = NULL;

    if (s->rmcp_mode == ON_OFF_AUTO_OFF) {
        return true;
    }
    if (s->listen) {
        addr = socket_parse(s->listen, NULL);
    }
    if (!addr || addr->type != SOCKET_ADDRESS_TYPE_INET) {
        if (s->rmcp_mode == ON_OFF_AUTO_ON) {
            error_setg(errp, "rmcp=on needs listen= with a host:port "
                       "address: pings are answered on its host");
            return false;
        }
        return true;
    }
    s->rmcp = vamt_rmcp_socket_new(addr->u.inet.host, s->rmcp_port, s->me,
                                   MAX(vamt_listener_port(s->listener), 0),
                                   MAX(vamt_listener_port(s->tls_listener), 0),
                                   &err);
    if (s->rmcp) {
        return true;
    }
    if (s->rmcp_mode == ON_OFF_AUTO_ON) {
        error_propagate_prepend(errp, err, "rmcp=on: ");
        if (s->rmcp_port && s->rmcp_port < 1024) {
            error_append_hint(errp, "Ports below 1024 need privileges, "
                              "and one VM has a port of an address; "
                              "rmcp-port=0 takes a free port.\n");
        }
        return false;
    }
    trace_vamt_rmcp_unavailable(error_get_pretty(err));
    error_free(err);
    return true;
}

static bool vamt_me_realize(VamtState *s, Error **errp)
{
    g_autofree char *password = NULL;

    if (s->admin_secret) {
        password = qcrypto_secret_lookup_as_utf8(s->admin_secret, errp);
        if (!password) {
            return false;
        }
        /* AMT's rule for the admin password, as MEBx enforces it */
        if (!vamt_amt_password_is_strong(password)) {
            error_setg(errp, "the AMT admin password in secret '%s' must "
                       "have 8 to 32 characters, with at least one digit, "
                       "one lower-case and one upper-case letter and one "
                       "other printable character", s->admin_secret);
            return false;
        }
    }
    vamt_power_init(s, vamt_power_off_stops(s));
    vamt_boot_init(s);
    s->guest_timer = timer_new_ms(QEMU_CLOCK_VIRTUAL, vamt_guest_timer_cb, s);
    s->watchdog_event_timer = timer_new_ms(QEMU_CLOCK_REALTIME,
                                           vamt_watchdog_event_timer, s);
    s->me_timer = timer_new_ms(QEMU_CLOCK_REALTIME, vamt_me_timer_cb, s);
    if (s->alert_egress == VAMT_ALERT_EGRESS_NIC && !s->netdev_id) {
        error_setg(errp, "alert-egress=nic needs netdev=: the ME connects "
                   "out from the guest's NIC");
        return false;
    }
    s->fw.outbound = s->alert_egress != VAMT_ALERT_EGRESS_NONE;
    if (!vamt_tls_creds_realize(s, errp)) {
        return false;
    }
    if (s->alert_egress == VAMT_ALERT_EGRESS_HOST) {
        s->egress = vamt_egress_new(&vamt_egress_ops, s);
    }
    s->me = vamt_me_new(&s->fw, &vamt_platform_ops, s);
    vamt_heci_init(s);
    if (s->nvram_path) {
        s->nvram = vamt_nvram_open(s->nvram_path, s->me, errp);
        if (!s->nvram) {
            return false;
        }
    }
    /*
     * After the NVRAM load: admin-secret wins over a saved password, and
     * it provisions the ME (admin control mode), as remote configuration
     * would have left it: consoles and in-guest agents see the same.
     */
    if (password) {
        vamt_me_set_admin_password(s->me, password);
    }
    vamt_redir_set_plain_auth(vamt_me_redir(s->me), s->redir_plain_auth);
    /* settings a console changes apply here: ports, the NIC endpoint's */
    s->listeners_bh = qemu_bh_new_guarded(vamt_update_listeners, s,
                                          &DEVICE(s)->mem_reentrancy_guard);
    if (s->listen) {
        /* closed at once if the NVRAM's TLS settings refuse plain ports */
        s->wsman_address = g_strdup(s->listen);
        if (!vamt_open_listener(s, VAMT_PORT_WSMAN, &s->wsman_address,
                                &s->listener, errp)) {
            return false;
        }
        if (s->tls_creds && !vamt_tls_listener_realize(s, errp)) {
            return false;
        }
        s->redir_address = vamt_service_address(s->listen,
                                                VAMT_PORT_REDIRECTION, errp);
        if (!s->redir_address) {
            return false;
        }
        if (s->has_kvm) {
            s->vnc_address = vamt_vnc_address(s->listen, s->rfb_port, errp);
            if (!s->vnc_address) {
                return false;
            }
        }
        /* before the guest runs, so a console can connect at once */
        vamt_update_listeners(s);
    }
    if ((s->listen || s->netdev_id) &&
        shutdown_action != SHUTDOWN_ACTION_PAUSE &&
        !vamt_power_off_stops(s)) {
        warn_report("vamt: without -action shutdown=pause a guest "
                    "power-off ends QEMU, and the ME with it");
    }
    return vamt_rmcp_realize(s, errp);
}

static int vamt_migration_notify(NotifierWithReturn *notifier,
                                 MigrationEvent *e, Error **errp);

/* The sibling functions, in the slot of the HECI (hw/isa/piix.c's way) */
static bool vamt_functions_realize(VamtState *s, Error **errp)
{
    PCIDevice *pd = PCI_DEVICE(s);

    if (s->has_kt) {
        object_initialize_child(OBJECT(s), "kt-uart", &s->kt, TYPE_VAMT_KT);
        s->kt.me = s->me;
        s->kt.firmware_console = s->sol_firmware;
        qdev_prop_set_int32(DEVICE(&s->kt), "addr",
                            PCI_DEVFN(PCI_SLOT(pd->devfn), VAMT_KT_FUNCTION));
        if (!qdev_realize(DEVICE(&s->kt), BUS(pci_get_bus(pd)), errp)) {
            object_unparent(OBJECT(&s->kt));
            s->has_kt = false;
            return false;
        }
    }
    if (s->has_ider) {
        object_initialize_child(OBJECT(s), "ider-controller", &s->ider,
                                TYPE_VAMT_IDER);
        s->ider.me = s->me;
        qdev_prop_set_int32(DEVICE(&s->ider), "addr",
                            PCI_DEVFN(PCI_SLOT(pd->devfn),
                                      VAMT_IDER_FUNCTION));
        if (!qdev_realize(DEVICE(&s->ider), BUS(pci_get_bus(pd)), errp)) {
            object_unparent(OBJECT(&s->ider));
            s->has_ider = false;
            return false;
        }
    }
    if (s->has_kvm) {
        /* KVM is served once the machine shows a graphic console */
        s->display = vamt_display_new(s->me, &s->fw, s, vamt_state_changed);
    }
    migration_add_notifier(&s->migration_notifier, vamt_migration_notify);
    return true;
}

static void vamt_realize(PCIDevice *pd, Error **errp)
{
    VamtState *s = VAMT(pd);
    uint8_t *conf = pd->config;
    bool ambiguous = false;

    object_resolve_path_type("", TYPE_VAMT, &ambiguous);
    if (ambiguous) {
        error_setg(errp, "only one vamt device is allowed per machine");
        return;
    }
    if (s->fwsts[0] & VAMT_FWSTS1_D0I3) {
        error_setg(errp, "fwsts1 bit 31 (D0i3 support) must be clear: "
                   "vamt does not emulate D0i3 power gating");
        return;
    }
    vamt_firmware_init(&s->fw);
    if (!vamt_fw_version_parse(s->fw_version ?: VAMT_DEFAULT_FW_VERSION,
                               &s->fw.version)) {
        error_setg(errp, "fw-version '%s' is not major.minor.hotfix.build",
                   s->fw_version);
        return;
    }
    /* AMT reports the SMBIOS UUID, whose first three fields are LE */
    vamt_uuid_swap_fields(s->fw.system_uuid, qemu_uuid.data);
    if (s->has_kt || s->has_ider) {
        if (!(pd->cap_present & QEMU_PCI_CAP_MULTIFUNCTION)) {
            error_setg(errp, "kt=on and ider=on need multifunction=on "
                       "(the default)");
            return;
        }
        if (PCI_FUNC(pd->devfn) != 0) {
            error_setg(errp, "kt=on and ider=on need vamt at function 0 "
                       "of its slot");
            return;
        }
    }
    if (s->has_kt) {
        s->fw.redirection |= VAMT_FW_REDIR_SOL;
    }
    if (s->has_ider) {
        s->fw.redirection |= VAMT_FW_REDIR_IDER;
    }

    pci_config_set_device_id(conf, s->device_id);
    pci_set_word(conf + PCI_SUBSYSTEM_VENDOR_ID, PCI_VENDOR_ID_INTEL);
    pci_set_word(conf + PCI_SUBSYSTEM_ID, 0x7270);
    pci_config_set_interrupt_pin(conf, 1);
    for (int i = 0; i < VAMT_FWSTS_COUNT; i++) {
        /* read-only to the guest */
        pci_set_long(conf + vamt_fwsts_offset[i], s->fwsts[i]);
        pci_set_long(pd->wmask + vamt_fwsts_offset[i], 0);
    }

    /* MSI first: the list is built head-first, so PM@0x50 -> MSI@0x8c */
    if (msi_init(pd, VAMT_MSI_CAP_OFFSET, 1, true, false, errp) < 0) {
        return;
    }
    if (pci_pm_init(pd, VAMT_PM_CAP_OFFSET, errp) < 0) {
        return;
    }
    pci_set_word(conf + VAMT_PM_CAP_OFFSET + PCI_PM_PMC, PCI_PM_CAP_VER_1_2);
    pci_set_word(pd->wmask + VAMT_PM_CAP_OFFSET + PCI_PM_CTRL,
                 PCI_PM_CTRL_STATE_MASK);

    if (!vamt_me_realize(s, errp) || !vamt_functions_realize(s, errp) ||
        !vamt_nic_realize(s, errp)) {
        vamt_exit(pd);
    }
}

static void vamt_exit(PCIDevice *pd)
{
    VamtState *s = VAMT(pd);

    vamt_nic_cleanup(s);
    g_clear_pointer(&s->guest_timer, timer_free);
    g_clear_pointer(&s->watchdog_event_timer, timer_free);
    g_clear_pointer(&s->me_timer, timer_free);
    g_clear_pointer(&s->egress, vamt_egress_free);
    g_clear_pointer(&s->bus_blob, g_free);
    g_clear_pointer(&s->me_blob, g_free);
    if (s->has_kt && DEVICE(&s->kt)->realized) {
        object_unparent(OBJECT(&s->kt));
    }
    if (s->has_ider && DEVICE(&s->ider)->realized) {
        object_unparent(OBJECT(&s->ider));
    }
    migration_remove_notifier(&s->migration_notifier);
    g_clear_pointer(&s->display, vamt_display_free);
    g_clear_pointer(&s->consent_console, graphic_console_close);
    g_clear_pointer(&s->listeners_bh, qemu_bh_delete);
    g_clear_pointer(&s->rmcp, vamt_rmcp_socket_free);
    g_clear_pointer(&s->listener, vamt_listener_free);
    g_clear_pointer(&s->wsman_address, g_free);
    vamt_tls_cleanup(s);
    g_clear_pointer(&s->redir_listener, vamt_listener_free);
    g_clear_pointer(&s->redir_address, g_free);
    g_clear_pointer(&s->redir_tls_listener, vamt_listener_free);
    g_clear_pointer(&s->redir_tls_address, g_free);
    g_clear_pointer(&s->vnc_listener, vamt_listener_free);
    g_clear_pointer(&s->vnc_address, g_free);
    /* writes what is pending, so before the ME goes */
    g_clear_pointer(&s->nvram, vamt_nvram_close);
    if (s->me) {
        vamt_heci_cleanup(s);
        g_clear_pointer(&s->me, vamt_me_free);
        vamt_boot_cleanup(s);
        vamt_power_cleanup(s);
        vamt_inventory_cleanup(s);
    }
    msi_uninit(pd);
}

static void vamt_config_write(PCIDevice *pd, uint32_t addr, uint32_t val,
                              int len)
{
    pci_default_write_config(pd, addr, val, len);
    if (ranges_overlap(addr, len, PCI_BASE_ADDRESS_0, 8)) {
        vamt_boot_bar_programmed(VAMT(pd));
    }
}

/* The host interface restarts; the ME's own state lives on. */
static void vamt_reset_hold(Object *obj, ResetType type)
{
    VamtState *s = VAMT(obj);

    vamt_heci_reset(s);
    /* the host boots again: one-time boot options are spent */
    if (vamt_boot_begins(s)) {
        vamt_amt_notify_boot(vamt_me_amt(s->me));
    }
}

/* ---- migration ---------------------------------------------------------- */

/*
 * Migrated: the machine runs on in the destination, and so does the ME
 * with everything it keeps.  Redirection sessions here end cleanly (a
 * console reconnects to the destination's ME); a migration that fails
 * ends nothing.
 */
static int vamt_migration_notify(NotifierWithReturn *notifier,
                                 MigrationEvent *e, Error **errp)
{
    VamtState *s = container_of(notifier, VamtState, migration_notifier);

    if (e->type == MIG_EVENT_PRECOPY_DONE && s->me) {
        trace_vamt_redir("redirection: the VM migrated: sessions end");
        vamt_redir_terminate(vamt_me_redir(s->me), VAMT_REDIR_TYPES);
    }
    return 0;
}

static int vamt_pre_save(void *opaque)
{
    VamtState *s = opaque;
    GByteArray *blob = g_byte_array_new();

    mei_bus_save(vamt_me_mei(s->me), blob);
    g_free(s->bus_blob);
    s->bus_blob_len = blob->len;
    s->bus_blob = g_byte_array_free(blob, false);

    blob = g_byte_array_new();
    vamt_amt_save(vamt_me_amt(s->me), blob);
    g_free(s->me_blob);
    s->me_blob_len = blob->len;
    s->me_blob = g_byte_array_free(blob, false);
    /* the state is captured: the destination owns the NVRAM file now */
    vamt_nvram_hand_over(s->nvram);
    return 0;
}

static int vamt_post_save(void *opaque)
{
    VamtState *s = opaque;

    g_clear_pointer(&s->bus_blob, g_free);
    g_clear_pointer(&s->me_blob, g_free);
    /* savevm, not a migration: the file is still ours */
    if (!migration_is_running()) {
        vamt_nvram_take_back(s->nvram);
    }
    return 0;
}

static bool vamt_blob_lengths_valid(void *opaque, int version_id)
{
    VamtState *s = opaque;

    if (s->bus_blob_len > VAMT_MAX_MEI_BLOB ||
        s->me_blob_len > VAMT_MAX_AMT_BLOB) {
        error_report("vamt: migrated state too large (MEI %" PRIu32
                     ", AMT %" PRIu32 " bytes)", s->bus_blob_len,
                     s->me_blob_len);
        return false;
    }
    return true;
}

static int vamt_post_load(void *opaque, int version_id)
{
    VamtState *s = opaque;
    g_autofree char *err = NULL;
    Error *local_err = NULL;
    bool ok;

    if (!vamt_heci_post_load(s, &local_err)) {
        error_report_err(local_err);
        return -EINVAL;
    }
    ok = mei_bus_load(vamt_me_mei(s->me), s->bus_blob, s->bus_blob_len,
                      &err);
    g_clear_pointer(&s->bus_blob, g_free);
    if (!ok) {
        error_report("%s", err);
        return -EINVAL;
    }
    ok = vamt_me_load(s->me, s->me_blob, s->me_blob_len);
    g_clear_pointer(&s->me_blob, g_free);
    if (!ok) {
        error_report("vamt: the migrated ME state is not valid");
        return -EINVAL;
    }
    /* the destination owns the NVRAM file from now on */
    if (s->nvram) {
        vamt_nvram_schedule_write(s->nvram);
    }
    /* 16994 and 5900 open as the migrated settings say */
    if (s->listeners_bh) {
        qemu_bh_schedule(s->listeners_bh);
    }
    return 0;
}

static const VMStateDescription vmstate_vamt = {
    .name = TYPE_VAMT,
    /* 2: both blob lengths precede the blobs, to be checked first */
    .version_id = 2,
    .minimum_version_id = 2,
    .pre_save = vamt_pre_save,
    .post_save = vamt_post_save,
    .post_load = vamt_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, VamtState),
        VMSTATE_UINT32(h_csr, VamtState),
        VMSTATE_UINT32(me_csr, VamtState),
        VMSTATE_UINT8(h_wp, VamtState),
        VMSTATE_UINT8(h_rp, VamtState),
        VMSTATE_UINT8(me_wp, VamtState),
        VMSTATE_UINT8(me_rp, VamtState),
        VMSTATE_UINT32_ARRAY(h_cb, VamtState, MEI_CB_DEPTH),
        VMSTATE_UINT32_ARRAY(me_cb, VamtState, MEI_CB_DEPTH),
        VMSTATE_BOOL(me_reset_pending, VamtState),
        VMSTATE_BOOL(irq_level, VamtState),
        VMSTATE_UINT32(link_resets, VamtState),
        VMSTATE_UINT32(bus_blob_len, VamtState),
        VMSTATE_UINT32(me_blob_len, VamtState),
        VMSTATE_VALIDATE("vamt blob lengths", vamt_blob_lengths_valid),
        VMSTATE_VBUFFER_ALLOC_UINT32(bus_blob, VamtState, 0, NULL,
                                     bus_blob_len),
        VMSTATE_VBUFFER_ALLOC_UINT32(me_blob, VamtState, 0, NULL,
                                     me_blob_len),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_vamt_nic,
        NULL
    },
};

static const Property vamt_properties[] = {
    DEFINE_PROP_UINT16("device-id", VamtState, device_id, 0x7ae8),
    DEFINE_PROP_STRING("fw-version", VamtState, fw_version),
    DEFINE_PROP_UINT32("fwsts1", VamtState, fwsts[0], 0x00000245),
    DEFINE_PROP_UINT32("fwsts2", VamtState, fwsts[1], 0),
    DEFINE_PROP_UINT32("fwsts3", VamtState, fwsts[2], 0x00000030),
    DEFINE_PROP_UINT32("fwsts4", VamtState, fwsts[3], 0),
    DEFINE_PROP_UINT32("fwsts5", VamtState, fwsts[4], 0),
    DEFINE_PROP_UINT32("fwsts6", VamtState, fwsts[5], 0),
    DEFINE_PROP_STRING("listen", VamtState, listen),
    DEFINE_PROP_STRING("tls-creds", VamtState, tls_creds_id),
    DEFINE_PROP_BOOL("nontls-remote", VamtState, nontls_remote, true),
    DEFINE_PROP_STRING("netdev", VamtState, netdev_id),
    DEFINE_PROP_STRING("nic-address", VamtState, nic_address),
    DEFINE_PROP_STRING("nic-gateway", VamtState, nic_gateway),
    DEFINE_PROP_ON_OFF_AUTO("rmcp", VamtState, rmcp_mode, ON_OFF_AUTO_AUTO),
    DEFINE_PROP_UINT16("rmcp-port", VamtState, rmcp_port, 623),
    DEFINE_PROP_STRING("admin-secret", VamtState, admin_secret),
    DEFINE_PROP_STRING("nvram", VamtState, nvram_path),
    DEFINE_PROP_BOOL("kt", VamtState, has_kt, false),
    DEFINE_PROP_BOOL("ider", VamtState, has_ider, false),
    DEFINE_PROP_BOOL("kvm", VamtState, has_kvm, false),
    DEFINE_PROP_UINT16("rfb-port", VamtState, rfb_port, VAMT_PORT_VNC),
    DEFINE_PROP_BOOL("sol-firmware", VamtState, sol_firmware, true),
    DEFINE_PROP_BOOL("redirection-plain-auth", VamtState, redir_plain_auth,
                     true),
};

static void vamt_get_listen_port(Object *obj, Visitor *v, const char *name,
                                 void *opaque, Error **errp)
{
    VamtState *s = VAMT(obj);
    int64_t port = vamt_listener_port(s->listener);

    visit_type_int(v, name, &port, errp);
}

static int vamt_get_power_off_mode(Object *obj, Error **errp)
{
    return VAMT(obj)->power_off_mode;
}

static void vamt_set_power_off_mode(Object *obj, int value, Error **errp)
{
    if (DEVICE(obj)->realized) {
        error_setg(errp, "power-off-mode cannot change once realized");
        return;
    }
    VAMT(obj)->power_off_mode = value;
}

static int vamt_get_agent_action(Object *obj, Error **errp)
{
    return VAMT(obj)->agent_action;
}

static void vamt_set_agent_action(Object *obj, int value, Error **errp)
{
    VAMT(obj)->agent_action = value;
}

static int vamt_get_alert_egress(Object *obj, Error **errp)
{
    return VAMT(obj)->alert_egress;
}

static void vamt_set_alert_egress(Object *obj, int value, Error **errp)
{
    if (DEVICE(obj)->realized) {
        error_setg(errp, "alert-egress cannot change once realized");
        return;
    }
    VAMT(obj)->alert_egress = value;
}

static void vamt_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    k->realize = vamt_realize;
    k->exit = vamt_exit;
    k->config_write = vamt_config_write;
    k->vendor_id = PCI_VENDOR_ID_INTEL;
    k->device_id = 0x7ae8;
    k->revision = 0x11;
    k->class_id = PCI_CLASS_COMMUNICATION_OTHER;
    rc->phases.hold = vamt_reset_hold;
    dc->desc = "Intel AMT management engine (HECI/MEI interface)";
    dc->vmsd = &vmstate_vamt;
    dc->hotpluggable = false;
    device_class_set_props(dc, vamt_properties);
    object_class_property_set_description(klass, "device-id",
        "PCI device ID of the HECI function (default 0x7ae8, Alder Lake-S)");
    object_class_property_set_description(klass, "fw-version",
        "ME firmware version major.minor.hotfix.build (default "
        VAMT_DEFAULT_FW_VERSION ")");
    object_class_property_set_description(klass, "listen",
        "serve WS-Management and legacy SOAP (AMT port 16992) on this host "
        "socket, e.g. 127.0.0.1:16992, and redirection (16994) two ports "
        "above it (port 0: free ports)");
    object_class_property_set_description(klass, "tls-creds",
        "id of a tls-creds-x509 object (endpoint=server, verify-peer=off "
        "for consoles without a client certificate): WS-Management over "
        "TLS (AMT port 16993) one port above listen='s");
    object_class_property_set_description(klass, "nontls-remote",
        "off: no plain ports (16992, 16994) for remote consoles, TLS "
        "always on, as CSME 16.1 and later (needs tls-creds=)");
    object_class_property_set_description(klass, "rmcp",
        "answer ASF/RMCP presence pings (console network scans) on UDP "
        "rmcp-port of the listen= host: 'auto' (default) when the port "
        "can be bound, 'on' (an error if not) or 'off'");
    object_class_property_set_description(klass, "rmcp-port",
        "the UDP port for rmcp (default 623, which needs privileges; 0: "
        "one the system chooses, see query-vamt)");
    object_class_property_add_enum(klass, "power-off-mode",
                                   "VamtPowerOffMode",
                                   &VamtPowerOffMode_lookup,
                                   vamt_get_power_off_mode,
                                   vamt_set_power_off_mode);
    object_class_property_set_description(klass, "power-off-mode",
        "how a console's power-off stops the VM: 'shutdown' (default; "
        "with -action shutdown=pause) or 'stop' (pause, for libvirt, "
        "which ends QEMU on a SHUTDOWN event)");
    object_class_property_add_enum(klass, "agent-action",
                                   "VamtAgentExpiryAction",
                                   &VamtAgentExpiryAction_lookup,
                                   vamt_get_agent_action,
                                   vamt_set_agent_action);
    object_class_property_set_description(klass, "agent-action",
        "what follows when an Agent Presence watchdog expires: 'report' "
        "(default, AMT's way: the event log and VAMT_WATCHDOG) or "
        "'watchdog' (also QEMU's -action watchdog=, a reset by default)");
    object_class_property_add_enum(klass, "alert-egress",
                                   "VamtAlertEgress",
                                   &VamtAlertEgress_lookup,
                                   vamt_get_alert_egress,
                                   vamt_set_alert_egress);
    object_class_property_set_description(klass, "alert-egress",
        "where the alerts consoles subscribe to (WS-Eventing) may leave: "
        "'none' (default: Subscribe is refused), 'host' (QEMU connects "
        "to each subscriber's http:// URL) or 'nic' (the ME connects from "
        "the guest's address on netdev=, as AMT does; IPv4 addresses "
        "only)");
    object_class_property_add(klass, "listen-port", "int",
                              vamt_get_listen_port, NULL, NULL, NULL);
    object_class_property_set_description(klass, "listen-port",
        "the TCP port the web service listens on (read-only; -1 when not "
        "listening), for listen=host:0");
    object_class_property_set_description(klass, "admin-secret",
        "id of a secret object holding the AMT admin password "
        "(8 to 32 characters); provisions the ME in admin control mode. "
        "Without it the ME keeps what NVRAM holds, or starts "
        "unprovisioned for an in-guest agent to activate");
    object_class_property_set_description(klass, "kt",
        "add the ME's serial port (PCI function 3, a 16550A the guest "
        "sees as one more ttyS) for Serial-over-LAN");
    object_class_property_set_description(klass, "ider",
        "add the ME's IDE-R controller (PCI function 2) with a CD drive "
        "whose medium a console's IDE-R session provides");
    object_class_property_set_description(klass, "kvm",
        "serve the machine's primary display, keyboard and mouse over KVM "
        "redirection (needs a graphic console)");
    object_class_property_set_description(klass, "rfb-port",
        "with kvm=on and listen=, the host TCP port of AMT's port 5900 "
        "(standard VNC viewers, the RFB password), open while a console "
        "has enabled it (0: a free port, see query-vamt)");
    object_class_property_set_description(klass, "redirection-plain-auth",
        "accept the redirection protocol's plain user/password login "
        "(Debian's amtterm 1.4 needs it; default on)");
    object_class_property_set_description(klass, "nvram",
        "file keeping the ME's state (users, settings, logs) across QEMU "
        "restarts; created if missing; /dev/fdset/N works");
    for (int i = 0; i < VAMT_FWSTS_COUNT; i++) {
        g_autofree char *name = g_strdup_printf("fwsts%d", i + 1);
        g_autofree char *desc = g_strdup_printf(
            "FW status register %d (config offset 0x%x), read-only to the "
            "guest", i + 1, vamt_fwsts_offset[i]);

        object_class_property_set_description(klass, name, desc);
    }
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

/*
 * Multifunction always: user properties (kt) are not known yet, the bit
 * must be there before realize, and it is harmless without siblings.
 */
static void vamt_instance_init(Object *obj)
{
    PCI_DEVICE(obj)->cap_present |= QEMU_PCI_CAP_MULTIFUNCTION;
}

static const TypeInfo vamt_info = {
    .name = TYPE_VAMT,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(VamtState),
    .instance_init = vamt_instance_init,
    .class_init = vamt_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void vamt_register_types(void)
{
    type_register_static(&vamt_info);
}

type_init(vamt_register_types)
