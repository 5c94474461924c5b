/*
 * vAMT: the ME's endpoint on the guest's NIC, as a NetFilter
 *
 * The vamt device puts this filter at the head of its netdev's filters
 * (queue=all) and the endpoint (net/vamt/net.c) decides which frames are
 * the ME's.  Three rules of QEMU's net layer shape it:
 *  - a backend stops reading once a frame waits for a NIC that cannot
 *    take it, and the ME would go deaf with it.  So while the VM is
 *    stopped or off every frame toward the guest is consumed here, as a
 *    NIC in S5 drops them; while it runs and its NIC cannot take a frame
 *    (e1000 holds RX for a second after each RCTL write, a full ring),
 *    the frames wait in a bounded queue of ours and go on in order when
 *    it can, as QEMU's own queue would have kept them;
 *  - frames the ME sends go straight to the backend with
 *    qemu_receive_packet(), which works while the VM is stopped, and are
 *    sent only once the endpoint has returned: a backend such as slirp
 *    may answer from within that call, back through this filter;
 *  - a netdev with a virtio header (tap with virtio-net) carries one on
 *    every frame: stripped on the way in, a blank one put on the way out.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/iov.h"
#include "qemu/timer.h"
#include "qom/object_interfaces.h"
#include "net/net.h"
#include "net/filter-vamt.h"
#include "system/runstate.h"
#include "standard-headers/linux/virtio_net.h"
#include "trace/trace-hw_vamt.h"

/*
 * Largest frame the ME reads: an IPv4 packet's 64 KiB in Ethernet with a
 * VLAN tag.  A tap with a virtio header hands over TCP segmentation
 * offload frames that large (the ME's window invites them).
 */
#define FILTER_VAMT_MAX_FRAME   (14 + 4 + 65535)
#define FILTER_VAMT_BUF_SIZE    (FILTER_VAMT_MAX_FRAME + \
                                 sizeof(struct virtio_net_hdr_v1_hash))

struct FilterVamtState {
    NetFilterState parent_obj;

    VamtNet *net;
    QEMUTimer *timer;
    VMChangeStateEntry *vmstate;
    GQueue output;                  /* GByteArray frames to send */
    uint8_t *buf;                   /* a frame read, FILTER_VAMT_BUF_SIZE */
    GQueue held;                    /* FilterVamtHeld, for a busy NIC */
    size_t held_bytes;
    QEMUTimer *held_timer;
    int64_t busy_since;             /* the NIC could not receive; -1 */
    unsigned depth;                 /* calls into the endpoint under way */
    uint8_t mac[6];
    bool have_mac;

    const FilterVamtHooks *hooks;
    void *opaque;
};

static void filter_vamt_flush(FilterVamtState *s);

/* A frame toward the guest, waiting for its NIC */
typedef struct FilterVamtHeld {
    unsigned flags;
    size_t len;
    uint8_t data[];
} FilterVamtHeld;

/* What a NIC ring would hold; beyond it the oldest frames are dropped */
#define FILTER_VAMT_HELD_MAX_BYTES  (1024 * 1024)
#define FILTER_VAMT_HELD_MAX_FRAMES 512
#define FILTER_VAMT_HELD_RETRY_MS   5
/* A NIC that cannot receive this long is deaf: the ME answers for it */
#define FILTER_VAMT_DEAF_AFTER_MS   1000

static void filter_vamt_hold(FilterVamtState *s, unsigned flags,
                             const struct iovec *iov, int iovcnt,
                             size_t size);

/*
 * Every call into the endpoint from outside its own events: what it
 * sends waits until it has returned (see filter_vamt_flush).
 */
#define FILTER_VAMT_CALL(s, call) do {  \
        (s)->depth++;                   \
        call;                           \
        (s)->depth--;                   \
        filter_vamt_flush(s);           \
    } while (0)

static void filter_vamt_flush(FilterVamtState *s)
{
    NetFilterState *nf = NETFILTER(s);
    GByteArray *frame;

    while (!s->depth && (frame = g_queue_pop_head(&s->output))) {
        /* the backend may call back into the filter: no frame is lost */
        s->depth++;
        trace_vamt_nic_send(frame->len);
        if (nf->netdev) {
            qemu_receive_packet(nf->netdev, frame->data, frame->len);
        }
        s->depth--;
        g_byte_array_free(frame, TRUE);
    }
}

static void filter_vamt_send(void *opaque, const uint8_t *frame, size_t len)
{
    FilterVamtState *s = opaque;
    NetFilterState *nf = NETFILTER(s);
    int hdr_len = nf->netdev ? qemu_get_vnet_hdr_len(nf->netdev) : 0;
    GByteArray *out = g_byte_array_sized_new(hdr_len + len);

    /* a blank virtio header: no offloads, the checksums are complete */
    g_byte_array_set_size(out, hdr_len);
    memset(out->data, 0, hdr_len);
    g_byte_array_append(out, frame, len);
    g_queue_push_tail(&s->output, out);
}

static int64_t filter_vamt_now(void *opaque)
{
    return qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
}

static void filter_vamt_set_timer(void *opaque, int64_t deadline)
{
    FilterVamtState *s = opaque;

    if (deadline < 0) {
        timer_del(s->timer);
    } else {
        timer_mod(s->timer, deadline);
    }
}

static const VamtService *filter_vamt_service(void *opaque, uint16_t port)
{
    FilterVamtState *s = opaque;

    return s->hooks ? s->hooks->service(s->opaque, port) : NULL;
}

static void filter_vamt_client_connected(void *opaque, uint64_t id)
{
    FilterVamtState *s = opaque;

    trace_vamt_nic_client_connected(id);
    if (s->hooks) {
        s->hooks->client_connected(s->opaque, id);
    }
}

static void filter_vamt_client_input(void *opaque, uint64_t id,
                                     const uint8_t *data, size_t len)
{
    FilterVamtState *s = opaque;

    if (s->hooks) {
        s->hooks->client_input(s->opaque, id, data, len);
    }
}

static void filter_vamt_client_closed(void *opaque, uint64_t id)
{
    FilterVamtState *s = opaque;

    trace_vamt_nic_client_closed(id);
    if (s->hooks) {
        s->hooks->client_closed(s->opaque, id);
    }
}

static const VamtNetOps filter_vamt_ops = {
    .send = filter_vamt_send,
    .now = filter_vamt_now,
    .set_timer = filter_vamt_set_timer,
    .service = filter_vamt_service,
    .client_connected = filter_vamt_client_connected,
    .client_input = filter_vamt_client_input,
    .client_closed = filter_vamt_client_closed,
};

static void filter_vamt_timer(void *opaque)
{
    FilterVamtState *s = opaque;

    FILTER_VAMT_CALL(s, vamt_net_tick(s->net));
}

/* The NIC is realized after the netdev, and its MAC may change */
static NICState *filter_vamt_nic(FilterVamtState *s)
{
    NetFilterState *nf = NETFILTER(s);

    if (!nf->netdev || !nf->netdev->peer ||
        nf->netdev->peer->info->type != NET_CLIENT_DRIVER_NIC) {
        return NULL;
    }
    return qemu_get_nic(nf->netdev->peer);
}

static void filter_vamt_update_mac(FilterVamtState *s)
{
    NICState *nic = filter_vamt_nic(s);

    if (nic && (!s->have_mac || memcmp(s->mac, nic->conf->macaddr.a, 6))) {
        memcpy(s->mac, nic->conf->macaddr.a, 6);
        s->have_mac = true;
        vamt_net_set_mac(s->net, s->mac);
    }
}

static ssize_t filter_vamt_receive_iov(NetFilterState *nf,
                                       NetClientState *sender,
                                       unsigned flags,
                                       const struct iovec *iov, int iovcnt,
                                       NetPacketSent *sent_cb)
{
    FilterVamtState *s = FILTER_VAMT(nf);
    size_t size = iov_size(iov, iovcnt);
    int hdr_len = qemu_get_vnet_hdr_len(nf->netdev);
    /* one buffer: a call from within filter_vamt_flush comes after use */
    uint8_t *buf = s->buf;
    size_t len = iov_to_buf(iov, iovcnt, 0, buf,
                            MIN(size, MIN(hdr_len + FILTER_VAMT_MAX_FRAME,
                                          FILTER_VAMT_BUF_SIZE)));
    bool to_guest = sender == nf->netdev;
    unsigned net_flags = 0;
    bool taken = false;

    filter_vamt_update_mac(s);
    if (len < (size_t)hdr_len) {
        return to_guest && !runstate_is_running() ? size : 0;
    }
    if (hdr_len) {
        struct virtio_net_hdr hdr;

        memcpy(&hdr, buf, sizeof(hdr));
        if (hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
            net_flags |= VAMT_NET_CSUM_TRUSTED;
        }
    }
    s->depth++;
    if (to_guest) {
        NetClientState *nic = nf->netdev->peer;
        bool off = !runstate_is_running() || !nic;
        bool busy = !off && !qemu_can_receive_packet(nic);
        int64_t now = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);

        if (!busy) {
            s->busy_since = -1;
        } else if (s->busy_since < 0) {
            s->busy_since = now;
        }
        if (off || (busy && now - s->busy_since >= FILTER_VAMT_DEAF_AFTER_MS)) {
            net_flags |= VAMT_NET_GUEST_DEAF;
        }
        /* a frame too big to be the ME's is the guest's */
        taken = size == len &&
                vamt_net_from_network(s->net, buf + hdr_len, len - hdr_len,
                                      net_flags);
        if (!taken && off) {
            /* a NIC in S5 drops what it is sent */
            taken = true;
        } else if (!taken && (busy || !g_queue_is_empty(&s->held))) {
            filter_vamt_hold(s, flags, iov, iovcnt, size);
            taken = true;
        }
    } else if (size == len) {
        /* System Defense may drop what the guest sends */
        taken = vamt_net_from_guest(s->net, buf + hdr_len, len - hdr_len);
    }
    s->depth--;
    filter_vamt_flush(s);
    if (taken) {
        trace_vamt_nic_taken(size);
    }
    return taken ? size : 0;
}

static void filter_vamt_drop_held(FilterVamtState *s)
{
    FilterVamtHeld *h;

    while ((h = g_queue_pop_head(&s->held))) {
        g_free(h);
    }
    s->held_bytes = 0;
}

static void filter_vamt_hold(FilterVamtState *s, unsigned flags,
                             const struct iovec *iov, int iovcnt,
                             size_t size)
{
    FilterVamtHeld *h = g_malloc(sizeof(*h) + size);

    h->flags = flags;
    h->len = size;
    iov_to_buf(iov, iovcnt, 0, h->data, size);
    g_queue_push_tail(&s->held, h);
    s->held_bytes += size;
    while (s->held_bytes > FILTER_VAMT_HELD_MAX_BYTES ||
           g_queue_get_length(&s->held) > FILTER_VAMT_HELD_MAX_FRAMES) {
        FilterVamtHeld *old = g_queue_pop_head(&s->held);

        s->held_bytes -= old->len;
        g_free(old);
    }
    if (!timer_pending(s->held_timer)) {
        timer_mod(s->held_timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) +
                  FILTER_VAMT_HELD_RETRY_MS);
    }
}

/* The held frames go on to the guest, in order, while its NIC takes them */
static void filter_vamt_held_timer(void *opaque)
{
    FilterVamtState *s = opaque;
    NetFilterState *nf = NETFILTER(s);
    NetClientState *nic = nf->netdev ? nf->netdev->peer : NULL;
    FilterVamtHeld *h;

    if (!runstate_is_running() || !nic) {
        filter_vamt_drop_held(s);
        return;
    }
    while (qemu_can_receive_packet(nic) &&
           (h = g_queue_pop_head(&s->held))) {
        struct iovec iov = { .iov_base = h->data, .iov_len = h->len };

        s->held_bytes -= h->len;
        qemu_netfilter_pass_to_next(nf->netdev, h->flags, &iov, 1, nf);
        g_free(h);
    }
    if (!g_queue_is_empty(&s->held)) {
        timer_mod(s->held_timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) +
                  FILTER_VAMT_HELD_RETRY_MS);
    }
}

static void filter_vamt_vm_state(void *opaque, bool running, RunState state)
{
    FilterVamtState *s = opaque;

    FILTER_VAMT_CALL(s, vamt_net_set_guest_running(s->net, running));
}

static void filter_vamt_setup(NetFilterState *nf, Error **errp)
{
    FilterVamtState *s = FILTER_VAMT(nf);

    if (!s->hooks) {
        error_setg(errp, "filter-vamt is made by -device vamt,netdev=...");
        return;
    }
    s->net = vamt_net_new(&filter_vamt_ops, s);
    s->buf = g_malloc(FILTER_VAMT_BUF_SIZE);
    s->busy_since = -1;
    s->held_timer = timer_new_ms(QEMU_CLOCK_REALTIME, filter_vamt_held_timer,
                                 s);
    s->timer = timer_new_ms(QEMU_CLOCK_REALTIME, filter_vamt_timer, s);
    s->vmstate = qemu_add_vm_change_state_handler(filter_vamt_vm_state, s);
    FILTER_VAMT_CALL(s, vamt_net_set_guest_running(s->net,
                                                   runstate_is_running()));
    FILTER_VAMT_CALL(s, filter_vamt_update_mac(s));
}

static void filter_vamt_cleanup(NetFilterState *nf)
{
    FilterVamtState *s = FILTER_VAMT(nf);
    GByteArray *frame;

    if (s->hooks) {
        s->hooks->gone(s->opaque);
    }
    if (s->vmstate) {
        qemu_del_vm_change_state_handler(s->vmstate);
    }
    g_clear_pointer(&s->timer, timer_free);
    g_clear_pointer(&s->net, vamt_net_free);
    g_clear_pointer(&s->buf, g_free);
    g_clear_pointer(&s->held_timer, timer_free);
    filter_vamt_drop_held(s);
    while ((frame = g_queue_pop_head(&s->output))) {
        g_byte_array_free(frame, TRUE);
    }
}

FilterVamtState *filter_vamt_new(Object *parent, const char *netdev_id,
                                 const FilterVamtHooks *hooks, void *opaque,
                                 Error **errp)
{
    FilterVamtState *s;
    Object *obj = object_new(TYPE_FILTER_VAMT);

    s = FILTER_VAMT(obj);
    s->hooks = hooks;
    s->opaque = opaque;
    if (!object_property_set_str(obj, "netdev", netdev_id, errp) ||
        !object_property_set_str(obj, "queue", "all", errp) ||
        !object_property_set_str(obj, "position", "head", errp)) {
        object_unref(obj);
        return NULL;
    }
    object_property_add_child(parent, "net-filter", obj);
    object_unref(obj);
    if (!user_creatable_complete(USER_CREATABLE(obj), errp)) {
        s->hooks = NULL;
        object_unparent(obj);
        return NULL;
    }
    return s;
}

void filter_vamt_set_static(FilterVamtState *s, uint32_t address,
                            uint32_t netmask, uint32_t gateway)
{
    FILTER_VAMT_CALL(s, vamt_net_set_static(s->net, address, netmask,
                                            gateway));
}

void filter_vamt_services_changed(FilterVamtState *s)
{
    FILTER_VAMT_CALL(s, vamt_net_services_changed(s->net));
}

bool filter_vamt_restore(FilterVamtState *s, VamtNetAddressSource source,
                         uint32_t address, uint32_t netmask,
                         uint32_t gateway)
{
    bool ok;

    FILTER_VAMT_CALL(s, ok = vamt_net_restore(s->net, source, address,
                                              netmask, gateway));
    return ok;
}

void filter_vamt_set_defense(FilterVamtState *s,
                             const VamtDefensePolicy *policy)
{
    vamt_net_set_defense(s->net, policy);
}

bool filter_vamt_defense_matched(FilterVamtState *s, uint32_t handle,
                                 uint64_t *packets)
{
    return vamt_defense_matched(vamt_net_defense(s->net), handle, packets);
}

void filter_vamt_get_info(FilterVamtState *s, VamtNetInfo *info)
{
    vamt_net_get_info(s->net, info);
}

bool filter_vamt_connect(FilterVamtState *s, uint64_t id, uint32_t address,
                         uint16_t port)
{
    bool ok;

    FILTER_VAMT_CALL(s, ok = vamt_net_connect(s->net, id, address, port));
    trace_vamt_nic_client_open(id, address, port, ok);
    return ok;
}

void filter_vamt_client_write(FilterVamtState *s, uint64_t id,
                              const uint8_t *data, size_t len)
{
    FILTER_VAMT_CALL(s, vamt_net_client_write(s->net, id, data, len));
}

void filter_vamt_client_close(FilterVamtState *s, uint64_t id)
{
    FILTER_VAMT_CALL(s, vamt_net_client_close(s->net, id));
}

bool filter_vamt_mac(FilterVamtState *s, uint8_t mac[6])
{
    FILTER_VAMT_CALL(s, filter_vamt_update_mac(s));
    memcpy(mac, s->mac, 6);
    return s->have_mac;
}

const char *filter_vamt_netdev(FilterVamtState *s)
{
    return NETFILTER(s)->netdev_id;
}

static void filter_vamt_class_init(ObjectClass *oc, void *data)
{
    NetFilterClass *nfc = NETFILTER_CLASS(oc);

    nfc->setup = filter_vamt_setup;
    nfc->cleanup = filter_vamt_cleanup;
    nfc->receive_iov = filter_vamt_receive_iov;
}

static const TypeInfo filter_vamt_info = {
    .name = TYPE_FILTER_VAMT,
    .parent = TYPE_NETFILTER,
    .class_init = filter_vamt_class_init,
    .instance_size = sizeof(FilterVamtState),
};

static void filter_vamt_register_types(void)
{
    type_register_static(&filter_vamt_info);
}

type_init(filter_vamt_register_types);
