/*
 * vAMT: the hardware inventory of the VM the ME manages
 *
 * What AMT's CIM inventory classes report, taken from the machine's
 * actual configuration.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "exec/address-spaces.h"
#include "qemu/config-file.h"
#include "qemu/option.h"
#include "qemu/uuid.h"
#include "qemu/timer.h"
#include "hw/boards.h"
#include "net/net.h"
#include "system/system.h"
#include "ui/console.h"
#include "hw/vamt/vamt.h"
#include "trace/trace-hw_vamt.h"

typedef struct SmbiosLookup {
    const char *type;
    const char *field;
    const char *value;
} SmbiosLookup;

static int smbios_opt_match(void *opaque, QemuOpts *opts, Error **errp)
{
    SmbiosLookup *l = opaque;
    const char *type = qemu_opt_get(opts, "type");
    const char *value = qemu_opt_get(opts, l->field);

    if (type && !strcmp(type, l->type) && value) {
        l->value = value;
    }
    return 0;
}

/* The -smbios type=@type,@field=... value, or what QEMU uses without */
static const char *smbios_opt(const char *type, const char *field,
                              const char *fallback)
{
    QemuOptsList *list = qemu_find_opts_err("smbios", NULL);
    SmbiosLookup l = { type, field, fallback };

    if (list) {
        qemu_opts_foreach(list, smbios_opt_match, &l, NULL);
    }
    return l.value;
}

/*
 * SeaBIOS builds the SMBIOS type 0 table (BIOS information) itself, from
 * its own version string, unless -smbios type=0 is given; QEMU never sees
 * it.  So the BIOS strings come from what the firmware itself reports:
 * the SMBIOS tables it left in guest memory, found through their entry
 * point in the F segment (SMBIOS 2.1 "_SM_" or 3.0 "_SM3_" anchor, on a
 * 16-byte boundary).  Before the firmware has run, or with firmware that
 * puts its entry point elsewhere (UEFI's configuration table), they are
 * unknown.
 */
#define SMBIOS_SCAN_START       0xf0000
#define SMBIOS_SCAN_LEN         0x10000
#define SMBIOS_MAX_TABLE        0x10000
#define SMBIOS_TYPE_BIOS        0
#define SMBIOS_TYPE_END         127

static bool guest_read(hwaddr addr, void *buf, hwaddr len)
{
    return address_space_read(&address_space_memory, addr,
                              MEMTXATTRS_UNSPECIFIED, buf, len) == MEMTX_OK;
}

/* Where the firmware's structure table is, from its entry point */
static bool smbios_find_table(hwaddr *addr, uint32_t *len)
{
    g_autofree uint8_t *seg = g_malloc(SMBIOS_SCAN_LEN);

    if (!guest_read(SMBIOS_SCAN_START, seg, SMBIOS_SCAN_LEN)) {
        return false;
    }
    for (uint32_t off = 0; off + 32 <= SMBIOS_SCAN_LEN; off += 16) {
        const uint8_t *ep = seg + off;

        if (!memcmp(ep, "_SM3_", 5)) {
            *len = ldl_le_p(ep + 0x0c);         /* maximum size */
            *addr = ldq_le_p(ep + 0x10);
            return true;
        }
        if (!memcmp(ep, "_SM_", 4) && !memcmp(ep + 0x10, "_DMI_", 5)) {
            *len = lduw_le_p(ep + 0x16);
            *addr = ldl_le_p(ep + 0x18);
            return true;
        }
    }
    return false;
}

/* String @index (1-based) of the structure at @s, or NULL */
static const char *smbios_string(const uint8_t *s, const uint8_t *end,
                                 unsigned index)
{
    const char *str = (const char *)s + s[1];

    for (unsigned i = 1; index && (const uint8_t *)str < end; i++) {
        size_t n = strnlen(str, (const char *)end - str);

        if ((const uint8_t *)str + n >= end || !n) {
            return NULL;
        }
        if (i == index) {
            return str;
        }
        str += n + 1;
    }
    return NULL;
}

/* The firmware's type 0 vendor, version and date; false if not found */
static bool firmware_bios_info(char **vendor, char **version, char **date)
{
    g_autofree uint8_t *table = NULL;
    const uint8_t *p, *end;
    hwaddr addr;
    uint32_t len;

    if (!smbios_find_table(&addr, &len) || !len) {
        return false;
    }
    len = MIN(len, SMBIOS_MAX_TABLE);
    table = g_malloc(len);
    if (!guest_read(addr, table, len)) {
        return false;
    }
    end = table + len;
    for (p = table; p + 4 <= end && p[1] >= 4 && p + p[1] <= end;) {
        const uint8_t *next = p + p[1];

        if (p[0] == SMBIOS_TYPE_BIOS && p[1] >= 9) {
            *vendor = g_strdup(smbios_string(p, end, p[4]) ?: "");
            *version = g_strdup(smbios_string(p, end, p[5]) ?: "");
            *date = g_strdup(smbios_string(p, end, p[8]) ?: "");
            return true;
        }
        if (p[0] == SMBIOS_TYPE_END) {
            break;
        }
        /* the string set ends with two NULs */
        while (next + 1 < end && (next[0] || next[1])) {
            next++;
        }
        p = next + 2;
    }
    return false;
}

static void collect_nic(NICState *nic, void *opaque)
{
    VamtInventory *inv = opaque;

    if (inv->nics < VAMT_MAX_NICS) {
        memcpy(inv->nic_mac[inv->nics++], nic->conf->macaddr.a, 6);
    }
}

/*
 * The guest's displays, what IPS_ScreenSettingData reports: QEMU's
 * graphic consoles in their order (the default one, the first, is the
 * primary), each at the size of its current surface.  Read on every
 * inventory() call, since the guest changes modes.  Without a display
 * backend nobody refreshes a console, so its surface keeps the size of
 * the last refresh: the display device is asked to update it (what a
 * screendump does), at most once a second.
 */
#define DISPLAY_REFRESH_MS  1000

static void collect_displays(VamtInventory *inv)
{
    static bool refreshed;
    static int64_t last_refresh_ms;
    int64_t now = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
    bool refresh = !refreshed || now - last_refresh_ms >= DISPLAY_REFRESH_MS;
    QemuConsole *con;

    if (refresh) {
        refreshed = true;
        last_refresh_ms = now;
    }

    inv->displays = 0;
    for (unsigned i = 0; (con = qemu_console_lookup_by_index(i)) &&
                         inv->displays < VAMT_MAX_DISPLAYS; i++) {
        int w, h;

        if (!qemu_console_is_graphic(con)) {
            continue;
        }
        if (refresh) {
            graphic_hw_update(con);
        }
        w = qemu_console_get_width(con, 0);
        h = qemu_console_get_height(con, 0);
        inv->display_width[inv->displays] = MAX(w, 0);
        inv->display_height[inv->displays] = MAX(h, 0);
        trace_vamt_inventory_display(inv->displays, w, h);
        inv->displays++;
    }
}

const VamtInventory *vamt_inventory(void *opaque)
{
    VamtMachine *p = &VAMT(opaque)->machine;
    MachineState *ms = MACHINE(qdev_get_machine());
    MachineClass *mc = MACHINE_GET_CLASS(ms);
    VamtInventory *inv = &p->inventory;
    const char *type = ms->cpu_type ? ms->cpu_type : "unknown";

    /* "qemu64-x86_64-cpu" is model qemu64 */
    g_free(p->cpu_model);
    if (g_str_has_suffix(type, "-x86_64-cpu")) {
        p->cpu_model = g_strndup(type, strlen(type) - strlen("-x86_64-cpu"));
    } else {
        p->cpu_model = g_strdup(type);
    }

    /* What the firmware reported; kept once it has run */
    if (!p->bios_version) {
        firmware_bios_info(&p->bios_vendor, &p->bios_version, &p->bios_date);
    }
    /* What QEMU puts into the SMBIOS tables (hw/i386/fw_cfg.c) wins */
    inv->bios_vendor = smbios_opt("0", "vendor", p->bios_vendor ?: "");
    inv->bios_version = smbios_opt("0", "version", p->bios_version ?: "");
    inv->bios_date = smbios_opt("0", "date", p->bios_date ?: "");
    inv->system_manufacturer = smbios_opt("1", "manufacturer", "QEMU");
    inv->system_product = smbios_opt("1", "product", mc->desc);
    inv->system_version = smbios_opt("1", "version", mc->name);
    inv->system_serial = smbios_opt("1", "serial", "");
    inv->board_manufacturer = smbios_opt("2", "manufacturer", "QEMU");
    inv->board_product = smbios_opt("2", "product", mc->desc);
    inv->chassis_manufacturer = smbios_opt("3", "manufacturer", "QEMU");
    vamt_uuid_swap_fields(inv->system_uuid, qemu_uuid.data);
    inv->cpus = ms->smp.cpus;
    inv->cpu_sockets = ms->smp.sockets;
    inv->cpu_model = p->cpu_model;
    inv->cpu_max_mhz = 2000;
    inv->ram_bytes = ms->ram_size;
    inv->nics = 0;
    qemu_foreach_nic(collect_nic, inv);
    collect_displays(inv);
    return inv;
}


void vamt_inventory_cleanup(VamtState *s)
{
    g_clear_pointer(&s->machine.cpu_model, g_free);
    g_clear_pointer(&s->machine.bios_vendor, g_free);
    g_clear_pointer(&s->machine.bios_version, g_free);
    g_clear_pointer(&s->machine.bios_date, g_free);
}
