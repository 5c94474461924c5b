/*
 * vAMT ME core: what the ME needs from the platform it manages
 *
 * The core never calls QEMU.  Everything it needs of the machine it
 * manages (clocks, timers, the host interface, power, boot, inventory,
 * randomness, persistence, tracing) reaches it through this one table,
 * filled by the device model (hw/vamt/) or by a unit test, and handed to
 * vamt_me_new() with one opaque.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_PLATFORM_OPS_H
#define VAMT_ME_PLATFORM_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CIM_AssociatedPowerManagementService.PowerState values (DMTF) */
typedef enum VamtPowerState {
    VAMT_POWER_ON = 2,
    VAMT_POWER_SLEEP_LIGHT = 3,
    VAMT_POWER_SLEEP_DEEP = 4,
    VAMT_POWER_CYCLE_SOFT = 5,
    VAMT_POWER_OFF_HARD = 6,
    VAMT_POWER_HIBERNATE = 7,
    VAMT_POWER_OFF_SOFT = 8,
    VAMT_POWER_CYCLE_HARD = 9,
    VAMT_POWER_MASTER_BUS_RESET = 10,
    VAMT_POWER_NMI = 11,
    VAMT_POWER_OFF_SOFT_GRACEFUL = 12,
    VAMT_POWER_OFF_HARD_GRACEFUL = 13,
    VAMT_POWER_MASTER_BUS_RESET_GRACEFUL = 14,
    VAMT_POWER_CYCLE_SOFT_GRACEFUL = 15,
    VAMT_POWER_CYCLE_HARD_GRACEFUL = 16,
} VamtPowerState;

/* Where the next boot should go (AMT_BootSettingData / boot order) */
typedef enum VamtBootTarget {
    VAMT_BOOT_DEFAULT,
    VAMT_BOOT_PXE,
    VAMT_BOOT_CD,
    VAMT_BOOT_HDD,
    VAMT_BOOT_BIOS_SETUP,
    VAMT_BOOT_IDER_CD,          /* the IDE-R function's CD (UseIDER) */
    VAMT_BOOT_IDER_FLOPPY,      /* its floppy (no platform has one) */
} VamtBootTarget;

#define VAMT_MAX_NICS   8
#define VAMT_MAX_CPUS   16
#define VAMT_MAX_DISPLAYS   4

/* Hardware inventory, taken from the machine's actual configuration */
typedef struct VamtInventory {
    /* SMBIOS type 0/1/2/3 strings; never NULL once filled */
    const char *bios_vendor;
    const char *bios_version;
    const char *bios_date;              /* MM/DD/YYYY as in SMBIOS */
    const char *system_manufacturer;
    const char *system_product;
    const char *system_version;
    const char *system_serial;
    const char *board_manufacturer;
    const char *board_product;
    const char *chassis_manufacturer;
    uint8_t system_uuid[16];            /* SMBIOS byte order */
    unsigned cpus;
    unsigned cpu_sockets;
    const char *cpu_model;
    unsigned cpu_max_mhz;
    uint64_t ram_bytes;
    unsigned nics;
    uint8_t nic_mac[VAMT_MAX_NICS][6];
    /*
     * The guest's displays (graphic consoles) and their current size in
     * pixels, refreshed on every call of inventory(); 0: none
     */
    unsigned displays;
    uint32_t display_width[VAMT_MAX_DISPLAYS];
    uint32_t display_height[VAMT_MAX_DISPLAYS];
} VamtInventory;

/* What the web service reports for the platform's trace log */
typedef enum VamtWebEventKind {
    VAMT_WEB_REQUEST,           /* method, path, user (NULL: anonymous) */
    VAMT_WEB_RESPONSE,          /* status */
    VAMT_WEB_AUTH_FAILED,       /* method, path, auth (a VamtDigestResult) */
    VAMT_WEB_LOCKOUT,           /* user */
} VamtWebEventKind;

typedef struct VamtWebEvent {
    VamtWebEventKind kind;
    const char *method;
    const char *path;
    const char *user;
    int status;
    int auth;
} VamtWebEvent;

/* The ME's endpoint on the host's NIC, as AMT_EthernetPortSettings shows */
typedef struct VamtNicStatus {
    uint32_t address;               /* IPv4, host byte order; 0: none */
    uint32_t netmask;
    uint32_t gateway;
    bool dhcp;                      /* learned by DHCP (or not yet known) */
    bool link_up;
} VamtNicStatus;

typedef struct VamtPlatformOps {
    /* ---- clocks: two, because the ME outlives the VM's run state ---- */
    /*
     * The ME's own monotonic milliseconds: keep running while the VM is
     * stopped, paused or off (web sessions, Digest nonces, lock-outs).
     */
    int64_t (*me_clock_ms)(void *opaque);
    /*
     * Guest-visible monotonic milliseconds: stop with the VM (the AMT
     * watchdog counts the guest's time, not the host's).
     */
    int64_t (*guest_clock_ms)(void *opaque);
    /*
     * Call vamt_me_guest_timer_expired() once guest_clock_ms reaches
     * @deadline_ms; -1 cancels.  Optional when nothing arms a guest
     * timer.
     */
    void (*guest_timer_mod)(void *opaque, int64_t deadline_ms);
    /* Wall-clock time in seconds since the epoch (AMT keeps UTC). */
    int64_t (*time_utc)(void *opaque);

    /* ---- the host interface (HECI) ---- */
    /* Optional: MEI messages were queued for the host outside a request. */
    void (*host_tx_ready)(void *opaque);

    /* ---- the machine ---- */
    /* Current power state: VAMT_POWER_ON, _SLEEP_*, _OFF_SOFT ... */
    VamtPowerState (*power_state)(void *opaque);
    /*
     * Carry out a RequestPowerStateChange; returns false when the
     * transition is not possible from the current state (the ME answers
     * with a non-zero return value then: 2 for CIM, 0x24 for legacy).
     */
    bool (*power_request)(void *opaque, VamtPowerState request);
    /* Apply a one-time boot override at the next boot. */
    bool (*set_boot_target)(void *opaque, VamtBootTarget target);
    /* The inventory; valid for the life of the opaque. */
    const VamtInventory *(*inventory)(void *opaque);
    /* Optional: false when the ME has no endpoint on the host's NIC */
    bool (*nic_status)(void *opaque, VamtNicStatus *status);
    /*
     * Optional: packets System Defense filter @handle (VamtSdFilter) of
     * the bound policy matched on the NIC; false if it is not enforced
     */
    bool (*nic_filter_matched)(void *opaque, uint32_t handle,
                               uint64_t *packets);
    /*
     * Optional: show the 6-digit user-consent code (0..999999) to the
     * person at the machine (IPS_OptInService.StartOptIn), or, @shown
     * false, hide it again.
     */
    void (*show_consent_code)(void *opaque, bool shown, uint32_t code);
    /* Optional: the AMT watchdog expired (AMT only records it). */
    void (*watchdog_expired)(void *opaque, uint16_t timeout_s);
    /*
     * Optional: the Agent Presence watchdog of agent @id (16 bytes, as
     * the console gave them) expired after @timeout_s without a heartbeat.
     */
    void (*agent_expired)(void *opaque, const uint8_t *id,
                          uint16_t timeout_s);

    /* ---- redirection ---- */
    /*
     * Optional (the platform has the ME's UART, VAMT_FW_REDIR_SOL): hand
     * a SOL console's input to the UART; returns how many bytes it took.
     * When it took fewer, the platform calls vamt_me_sol_guest_ready()
     * once the UART can take more.
     */
    size_t (*sol_to_guest)(void *opaque, const uint8_t *data, size_t len);
    /*
     * Optional (the platform has the IDE-R function, VAMT_FW_REDIR_IDER):
     * a console's CD became readable (@present, @blocks of @block_size
     * bytes) or went away.  Reads still queued have been completed before
     * a removal is reported, so the platform may drain and eject at once.
     */
    void (*ider_media_changed)(void *opaque, bool present, uint64_t blocks,
                               uint32_t block_size);
    /*
     * Optional: the read vamt_redir_ider_read() queued with @tag is done;
     * @status 0, or a VAMT_IDER_SENSE() triple (redir.h).  May queue the
     * next read from inside.
     */
    void (*ider_read_done)(void *opaque, uint64_t tag, int status);

    /*
     * ---- KVM (the platform has a display, VAMT_FW_REDIR_KVM) ----
     * Optional: a viewer came or the last one left.  While someone
     * looks, the platform reports its primary display into the screen
     * of vamt_redir_screen() and calls vamt_redir_kvm_flush() after each
     * refresh; without viewers it need not watch the display at all.
     */
    void (*kvm_viewing)(void *opaque, bool viewing);
    /* Optional: a viewer's key, as a USB HID keyboard usage (page 7) */
    void (*kvm_key)(void *opaque, uint16_t usage, bool down);
    /*
     * Optional: a viewer's pointer at @x,@y of the screen (absolute),
     * buttons as RFB has them: bit 0 left, 1 middle, 2 right, 3/4 wheel
     */
    void (*kvm_pointer)(void *opaque, unsigned x, unsigned y,
                        uint8_t buttons);
    /*
     * Optional (port 5900): VNC authentication's answer to @challenge
     * (16 bytes) for @password, DES as RFB uses it; false if the
     * platform cannot compute it.
     */
    bool (*vnc_response)(void *opaque, const char *password,
                         const uint8_t *challenge, uint8_t *response);

    /* ---- the ME's own connections out (alerts) ---- */
    /*
     * Optional (VamtFirmware.outbound): connect to @host:@port over TCP
     * for the ME; @id names the connection.  Report the outcome with
     * vamt_me_outbound_connected(), then _input() and _closed(); a
     * connection that failed is reported closed.  False: cannot even try.
     */
    bool (*outbound_open)(void *opaque, uint64_t id, const char *host,
                          uint16_t port);
    void (*outbound_write)(void *opaque, uint64_t id, const uint8_t *data,
                           size_t len);
    /* The ME is done with @id: close it, report nothing more. */
    void (*outbound_close)(void *opaque, uint64_t id);
    /*
     * Optional with outbound_open: call vamt_me_timer_expired() once
     * me_clock_ms reaches @deadline_ms; -1 cancels.
     */
    void (*me_timer_mod)(void *opaque, int64_t deadline_ms);
    /*
     * Optional: the ME raised an alert (@message_id of AMT's registry,
     * its first argument, CIM PerceivedSeverity), delivered to
     * @subscribers subscriptions.
     */
    void (*alert)(void *opaque, const char *message_id, const char *argument,
                  unsigned severity, unsigned subscribers);

    /* ---- services ---- */
    /* Random bytes (nonces, session ids, the realm). */
    void (*random)(void *opaque, uint8_t *buf, size_t len);
    /*
     * Optional: what vamt_amt_save() writes has changed (a console's
     * request, a log record, a boot), so a platform with NVRAM should
     * save it.  Not called for vamt_amt_load() itself.
     */
    void (*state_changed)(void *opaque);
    /* Optional: a line for the trace log (MEI events). */
    void (*trace)(void *opaque, const char *msg);
    /* Optional: requests, answers, failed logins, lock-outs. */
    void (*web_event)(void *opaque, const VamtWebEvent *ev);
} VamtPlatformOps;

#endif
