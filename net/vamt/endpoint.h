/*
 * vAMT: the ME's own endpoint on the guest's NIC (shared-IP mode)
 *
 * AMT on a wired LAN shares the host's MAC and IP address: frames for
 * TCP ports 16992-16995 (and 5900 when enabled) at the host's address
 * are the ME's, everything else is the host OS's.  This endpoint sits
 * on the path between the network and the guest's NIC.  It is fed
 * every frame in both directions; it takes the frames that are the
 * ME's, answers ARP and ICMP echo for the guest while the guest cannot,
 * learns the guest's address (DHCP, ARP, the guest's own packets, or a
 * static setting) and runs a small TCP server whose connections are the
 * ME's byte-stream connections (me/base/conn.h), the same ones a host
 * socket feeds; the ME's own connections out (alerts) are TCP clients
 * from the same address.
 *
 * Frames, time and timers go through VamtNetOps (libslirp's shape): no
 * QEMU header here, so the endpoint is tested with frames in and out.
 * IPv4 only.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_NET_ENDPOINT_H
#define VAMT_NET_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "defense.h"

typedef struct VamtNet VamtNet;

typedef struct VamtNetOps {
    /* Put one Ethernet frame of the ME's on the network side */
    void (*send)(void *opaque, const uint8_t *frame, size_t len);
    /* The ME's clock, in ms (it runs while the VM is stopped) */
    int64_t (*now)(void *opaque);
    /* Call vamt_net_tick() at @deadline (ms; -1: no need) */
    void (*set_timer)(void *opaque, int64_t deadline);
    /*
     * The service of the ME behind TCP @port now, or NULL.  Ports
     * 16992-16995 are the ME's whether or not a service answers there
     * (a port without one is refused with RST, as AMT does); other ports
     * are the ME's only while a service answers (5900).
     */
    const VamtService *(*service)(void *opaque, uint16_t port);
    /*
     * The ME's own connections out (vamt_net_connect), as the host's
     * egress reports them (platform-ops.h outbound_*): connected, the
     * peer's bytes, then closed once (refused, failed, reset or ended by
     * the peer).  Never called from inside vamt_net_connect().
     */
    void (*client_connected)(void *opaque, uint64_t id);
    void (*client_input)(void *opaque, uint64_t id, const uint8_t *data,
                         size_t len);
    void (*client_closed)(void *opaque, uint64_t id);
} VamtNetOps;

/* Where the endpoint got the guest's address from */
typedef enum VamtNetAddressSource {
    VAMT_NET_ADDRESS_NONE,
    VAMT_NET_ADDRESS_STATIC,        /* set by the administrator */
    VAMT_NET_ADDRESS_DHCP_SNOOP,    /* a DHCPACK the guest received */
    VAMT_NET_ADDRESS_ME_DHCP,       /* the ME's own DHCP lease */
    VAMT_NET_ADDRESS_ARP,           /* the guest's ARP */
    VAMT_NET_ADDRESS_TRAFFIC,       /* the guest's own IPv4 packets */
} VamtNetAddressSource;

typedef struct VamtNetInfo {
    VamtNetAddressSource source;
    uint32_t address;               /* host byte order; 0: unknown */
    uint32_t netmask;
    uint32_t gateway;
    bool dhcp;                      /* the address comes from DHCP */
    unsigned connections;           /* established, for the ME's services */
    unsigned half_open;
    unsigned outbound;              /* the ME's own connections out */
    uint64_t frames_taken;          /* frames the ME took from the wire */
    uint64_t frames_sent;           /* frames the ME put on the wire */
    uint64_t frames_refused;        /* bad checksums, fragments, ... */
    uint64_t resets_sent;
    uint64_t defense_dropped;       /* the guest's frames System Defense
                                       dropped, both ways */
} VamtNetInfo;

/* Flags of vamt_net_from_network() */
enum {
    /* the guest's NIC cannot take this frame now (VM off, RX disabled) */
    VAMT_NET_GUEST_DEAF     = 1 << 0,
    /* the transport vouches for the checksums (virtio's NEEDS_CSUM) */
    VAMT_NET_CSUM_TRUSTED   = 1 << 1,
};

/* Established connections, and half-open ones, at most */
#define VAMT_NET_MAX_CONNECTIONS    32
#define VAMT_NET_MAX_HALF_OPEN      32
/* Established connections of one peer address (as listen= has it) */
#define VAMT_NET_MAX_PER_PEER       8
/* The ME's own connections out at once */
#define VAMT_NET_MAX_OUTBOUND       8
/*
 * The local ports the ME's own connections use: above Linux's default
 * ephemeral range (32768-60999), so a guest's connection and the ME's
 * do not share a port; the ME takes only segments of its exact
 * addresses and ports.
 */
#define VAMT_NET_CLIENT_PORT_FIRST  61000
#define VAMT_NET_CLIENT_PORT_LAST   65535

VamtNet *vamt_net_new(const VamtNetOps *ops, void *opaque);
void vamt_net_free(VamtNet *net);

/* The NIC's MAC address: the ME's too (shared mode) */
void vamt_net_set_mac(VamtNet *net, const uint8_t mac[6]);
/*
 * A static address (host byte order); @address 0 goes back to learning
 * it, and to DHCP while the guest cannot.
 */
void vamt_net_set_static(VamtNet *net, uint32_t address, uint32_t netmask,
                         uint32_t gateway);
/* The guest runs (false: the VM is off, paused or stopped) */
void vamt_net_set_guest_running(VamtNet *net, bool running);

/*
 * A frame from the network toward the guest.  True if it was the ME's
 * (the guest must not see it), false to pass it on.  @flags:
 * VAMT_NET_GUEST_DEAF, VAMT_NET_CSUM_TRUSTED.
 */
bool vamt_net_from_network(VamtNet *net, const uint8_t *frame, size_t len,
                           unsigned flags);
/*
 * A frame the guest sends: the endpoint learns the guest's address.
 * True if System Defense drops it (it must not reach the network).
 */
bool vamt_net_from_guest(VamtNet *net, const uint8_t *frame, size_t len);

/*
 * System Defense: the policy in force on the guest's traffic (copied;
 * NULL for none), its counters
 */
void vamt_net_set_defense(VamtNet *net, const VamtDefensePolicy *policy);
const VamtDefense *vamt_net_defense(VamtNet *net);

/* Timers: retransmission, TIME_WAIT, the services' time-outs, DHCP */
void vamt_net_tick(VamtNet *net);
/*
 * Which ports have a service may have changed: connections to a port
 * whose service went away are reset.
 */
void vamt_net_services_changed(VamtNet *net);

/*
 * The ME's own TCP connection @id to @address:@port (host byte order),
 * from the guest's address and MAC, through the gateway ARP finds
 * (VamtNetOps.client_*).  False if it cannot even start: no address of
 * the ME's yet, no route, too many.
 */
bool vamt_net_connect(VamtNet *net, uint64_t id, uint32_t address,
                      uint16_t port);
/* Bytes for the peer of @id; they go as its window allows */
void vamt_net_client_write(VamtNet *net, uint64_t id, const uint8_t *data,
                           size_t len);
/* The ME is done with @id: what was written goes, then FIN; no reports */
void vamt_net_client_close(VamtNet *net, uint64_t id);

void vamt_net_get_info(VamtNet *net, VamtNetInfo *info);
/*
 * What a migrated ME knew (vamt_net_get_info's address, its source): kept
 * unless this endpoint knows better (a static address).  False if the
 * values cannot be valid.
 */
bool vamt_net_restore(VamtNet *net, VamtNetAddressSource source,
                      uint32_t address, uint32_t netmask, uint32_t gateway);
const char *vamt_net_address_source_name(VamtNetAddressSource source);

#endif
