/*
 * vAMT: a virtual Intel Management Engine running Intel AMT
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VAMT_VAMT_H
#define HW_VAMT_VAMT_H

#include "hw/pci/pci_device.h"
#include "qapi/qapi-types-vamt.h"
#include "hw/vamt/display.h"
#include "hw/vamt/egress.h"
#include "hw/vamt/ider.h"
#include "hw/vamt/kt.h"
#include "hw/vamt/listener.h"
#include "hw/vamt/nic.h"
#include "hw/vamt/nvram-file.h"
#include "hw/vamt/rmcp-socket.h"
#include "hw/vamt/tls-conn.h"
#include "hw/vamt/machine.h"
#include "defense.h"
#include "me.h"
#include "mei-wire.h"

#define TYPE_VAMT "vamt"
OBJECT_DECLARE_SIMPLE_TYPE(VamtState, VAMT)

#define VAMT_FWSTS_COUNT 6

struct VamtState {
    PCIDevice parent_obj;

    VamtFirmware fw;
    VamtMe *me;                 /* the ME core's root */
    QEMUTimer *guest_timer;     /* ops->guest_timer_mod (AMT watchdog) */
    /* VAMT_WATCHDOG rate limit */
    QEMUTimer *watchdog_event_timer;
    int64_t watchdog_event_ms;  /* REALTIME of the last event sent */
    bool watchdog_event_pending;
    uint16_t watchdog_event_timeout;

    /* HECI registers (BAR0), heci.c */
    MemoryRegion mmio;
    QEMUBH *bh;                 /* firmware work: ready, receive, send */
    uint32_t h_csr;             /* host-owned bits of H_CSR */
    uint32_t me_csr;            /* ME-owned bits of ME_CSR_HA */
    uint8_t h_wp, h_rp;         /* host circular buffer pointers */
    uint8_t me_wp, me_rp;       /* ME circular buffer pointers */
    uint32_t h_cb[MEI_CB_DEPTH];
    uint32_t me_cb[MEI_CB_DEPTH];
    bool me_reset_pending;      /* link reset seen, ME not ready yet */
    bool irq_level;
    uint32_t link_resets;

    /* the machine the ME manages: power.c, boot.c, inventory.c */
    VamtMachine machine;
    VamtNvram *nvram;
    VamtListener *listener;     /* 16992, unless TLS settings refuse it */
    char *wsman_address;        /* where 16992 goes: listen= */
    VamtListener *tls_listener; /* 16993, with tls-creds= */
    char *tls_address;          /* where 16993 goes: listen's host */
    char *tls_creds_id;         /* tls-creds=: a server's TLS credentials */
    bool nontls_remote;         /* nontls-remote=off: TLS ports only */
    struct QCryptoTLSCreds *tls_creds;
    /* the NIC endpoint's 16993 and 16995 (tls-conn.c) */
    VamtTlsService nic_tls[2];
    /* the certificate it presents, as the ME shows it (fw.remote_tls_*) */
    uint8_t *tls_cert;
    char *tls_subject, *tls_issuer;
    VamtListener *redir_listener;   /* 16994, while AMT listens there */
    char *redir_address;        /* where 16994 goes: listen's host */
    VamtListener *redir_tls_listener;   /* 16995, with tls-creds= */
    char *redir_tls_address;    /* where 16995 goes: listen's host */
    VamtListener *vnc_listener;     /* 5900, while a console enabled it */
    char *vnc_address;          /* where 5900 goes: listen's host */
    QEMUBH *listeners_bh;       /* open/close ports after a change */
    VamtRmcpSocket *rmcp;       /* presence pings on the listen= host */
    VamtEgress *egress;         /* alert-egress=host: alerts go out */
    struct FilterVamtState *nic_filter; /* netdev=: the ME on the NIC */
    /* the console's static address the filter has (AMT state) */
    uint32_t nic_applied_address, nic_applied_netmask, nic_applied_gateway;
    /* the System Defense policy the filter enforces (AMT state) */
    uint32_t nic_defense_bound;
    VamtDefensePolicy nic_defense_applied;
    VamtDefenseFilter nic_defense_filters[VAMT_SD_MAX_POLICY_FILTERS];
    QEMUTimer *me_timer;        /* ops->me_timer_mod (alert delivery) */
    /* VAMT_ALERT rate limit: tokens of a bucket of 10 a second */
    int64_t alert_tokens_ms;

    /* sibling PCI functions */
    VamtKtState kt;             /* function 3, kt=on */
    VamtIderState ider;         /* function 2, ider=on */
    VamtDisplay *display;       /* kvm=on */
    QemuConsole *consent_console;   /* the consent code, once one was shown */
    NotifierWithReturn migration_notifier;  /* sessions end when migrated */

    /* migration: MEI bus and ME state, serialized in pre_save */
    uint8_t *bus_blob;
    uint32_t bus_blob_len;
    uint8_t *me_blob;
    uint32_t me_blob_len;
    /* the NIC endpoint's address (vamt/nic subsection) */
    uint8_t nic_mig_source;
    uint32_t nic_mig_address, nic_mig_netmask, nic_mig_gateway;

    /* properties */
    uint16_t device_id;
    char *fw_version;
    uint32_t fwsts[VAMT_FWSTS_COUNT];
    char *listen;               /* host socket for the web service */
    OnOffAuto rmcp_mode;        /* answer RMCP presence pings there */
    uint16_t rmcp_port;
    char *admin_secret;         /* id of a secret object */
    VamtPowerOffMode power_off_mode;
    VamtAgentExpiryAction agent_action;  /* after an Agent Presence expiry */
    VamtAlertEgress alert_egress;   /* may alerts leave from the host? */
    char *nvram_path;           /* file keeping the ME state, or NULL */
    bool has_kt;                /* kt=on: the SOL UART */
    bool sol_firmware;          /* SeaBIOS's console on it too */
    bool has_ider;              /* ider=on: the IDE-R controller */
    bool has_kvm;               /* kvm=on: the primary display over KVM */
    uint16_t rfb_port;          /* the host port of AMT's 5900 */
    bool redir_plain_auth;      /* redirection-plain-auth */
    char *netdev_id;            /* netdev=: the NIC the ME shares */
    char *nic_address;          /* nic-address=A.B.C.D/PREFIX, or NULL */
    char *nic_gateway;          /* nic-gateway=A.B.C.D, or NULL */
};

VamtInfo *vamt_query(VamtState *s);

/*
 * vamt.c: what becomes of the ME's connections out, from the host's
 * egress or the NIC's (@opaque is the VamtState)
 */
void vamt_outbound_connected(void *opaque, uint64_t id);
void vamt_outbound_input(void *opaque, uint64_t id, const uint8_t *data,
                         size_t len);
void vamt_outbound_closed(void *opaque, uint64_t id);

/*
 * vamt.c: where AMT port @service_port goes on the host: listen='s host,
 * at the distance from listen='s port that @service_port has from 16992
 */
char *vamt_service_address(const char *listen, uint16_t service_port,
                           Error **errp);

/*
 * vamt.c: open the host socket of AMT port @service_port at *@address if
 * the ME serves it now and it is not open (port 0: *@address becomes the
 * port the system chose)
 */
bool vamt_open_listener(VamtState *s, uint16_t service_port,
                        char **address, VamtListener **listener,
                        Error **errp);

/* tls.c: tls-creds= (before the ME exists), 16993's listener, cleanup */
bool vamt_tls_creds_realize(VamtState *s, Error **errp);
bool vamt_tls_listener_realize(VamtState *s, Error **errp);
void vamt_tls_cleanup(VamtState *s);

/* heci.c: the HECI register file */
void vamt_heci_init(VamtState *s);
void vamt_heci_cleanup(VamtState *s);
void vamt_heci_reset(VamtState *s);
bool vamt_heci_link_is_up(VamtState *s);
bool vamt_heci_post_load(VamtState *s, Error **errp);
void vamt_heci_host_tx_ready(void *opaque);

#endif
