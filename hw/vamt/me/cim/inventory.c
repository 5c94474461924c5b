/*
 * vAMT ME core: CIM providers for hardware inventory
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cim-values.h"
#include "provider.h"

/* Hardware inventory */

static const VamtCimClass chassis_class;
static void chassis_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = cim_inventory(amt);
    VamtCimInstance *inst = vamt_cim_new(&chassis_class);

    vamt_cim_str(inst, "CreationClassName", "CIM_Chassis");
    vamt_cim_str(inst, "Tag", "CIM_Chassis");
    vamt_cim_str(inst, "ElementName", "Managed System Chassis");
    vamt_cim_str(inst, "Manufacturer",
                 cim_str_or_empty(inv->chassis_manufacturer));
    vamt_cim_str(inst, "Model", cim_str_or_empty(inv->system_product));
    vamt_cim_str(inst, "SerialNumber", cim_str_or_empty(inv->system_serial));
    vamt_cim_str(inst, "Version", cim_str_or_empty(inv->system_version));
    vamt_cim_uint(inst, "PackageType", CIM_PACKAGE_CHASSIS);
    vamt_cim_uint(inst, "ChassisPackageType", 3);
    vamt_cim_uint(inst, "OperationalStatus", 0);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass chassis_class = {
    .name = "CIM_Chassis", .ns_prefix = VAMT_NS_CIM,
    .keys = cim_keys_package, .list = chassis_list,
};

static const VamtCimClass card_class;
static void card_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = cim_inventory(amt);
    VamtCimInstance *inst = vamt_cim_new(&card_class);

    vamt_cim_str(inst, "CreationClassName", "CIM_Card");
    vamt_cim_str(inst, "Tag", "CIM_Card");
    vamt_cim_str(inst, "ElementName", "Managed System Base Board");
    vamt_cim_str(inst, "Manufacturer",
                 cim_str_or_empty(inv->board_manufacturer));
    vamt_cim_str(inst, "Model", cim_str_or_empty(inv->board_product));
    vamt_cim_str(inst, "SerialNumber", cim_str_or_empty(inv->system_serial));
    vamt_cim_str(inst, "Version", cim_str_or_empty(inv->system_version));
    vamt_cim_uint(inst, "PackageType", CIM_PACKAGE_MOTHERBOARD);
    vamt_cim_bool(inst, "CanBeFRUed", true);
    vamt_cim_bool(inst, "HostingBoard", true);
    vamt_cim_uint(inst, "OperationalStatus", 0);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass card_class = {
    .name = "CIM_Card", .ns_prefix = VAMT_NS_CIM,
    .keys = cim_keys_package, .list = card_list,
};

static void physical_package_list(VamtAmt *amt, GPtrArray *out)
{
    card_list(amt, out);
    chassis_list(amt, out);
}

static const VamtCimClass physical_package_class = {
    .name = "CIM_PhysicalPackage", .ns_prefix = VAMT_NS_CIM,
    .keys = cim_keys_package, .list = physical_package_list,
};

static const VamtCimClass system_package_class;
static void system_package_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = cim_inventory(amt);
    VamtCimInstance *inst = vamt_cim_new(&system_package_class);
    VamtCimEpr *chassis = vamt_cim_epr_new(VAMT_NS_CIM "CIM_Chassis");
    GString *guid = g_string_new(NULL);

    vamt_cim_epr_add(chassis, "CreationClassName", "CIM_Chassis");
    vamt_cim_epr_add(chassis, "Tag", "CIM_Chassis");
    vamt_cim_epr(inst, "Antecedent", chassis);
    vamt_cim_epr(inst, "Dependent", cim_managed_system_epr());
    for (unsigned i = 0; i < 16; i++) {
        g_string_append_printf(guid, "%02X", inv->system_uuid[i]);
    }
    vamt_cim_str(inst, "PlatformGUID", guid->str);
    g_string_free(guid, TRUE);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass system_package_class = {
    .name = "CIM_ComputerSystemPackage", .ns_prefix = VAMT_NS_CIM,
    .list = system_package_list,
};

static const VamtCimClass system_packaging_class = {
    .name = "CIM_SystemPackaging", .ns_prefix = VAMT_NS_CIM,
    .list = system_package_list,
};

static const VamtCimClass bios_class;
static void bios_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = cim_inventory(amt);
    VamtCimInstance *inst = vamt_cim_new(&bios_class);
    unsigned month, day, year;

    vamt_cim_str(inst, "Name", "Primary BIOS");
    vamt_cim_str(inst, "ElementName", "Primary BIOS");
    vamt_cim_str(inst, "Manufacturer", cim_str_or_empty(inv->bios_vendor));
    vamt_cim_str(inst, "Version", cim_str_or_empty(inv->bios_version));
    vamt_cim_str(inst, "SoftwareElementID",
                 cim_str_or_empty(inv->bios_version));
    vamt_cim_uint(inst, "SoftwareElementState", 2);
    vamt_cim_uint(inst, "TargetOperatingSystem", 66);
    vamt_cim_bool(inst, "PrimaryBIOS", true);
    /* SMBIOS writes MM/DD/YYYY */
    if (inv->bios_date &&
        sscanf(inv->bios_date, "%2u/%2u/%4u", &month, &day, &year) == 3) {
        g_autofree char *date =
            g_strdup_printf("%04u-%02u-%02uT00:00:00Z", year, month, day);

        vamt_cim_datetime(inst, "ReleaseDate", date);
    }
    g_ptr_array_add(out, inst);
}

static const VamtCimClass bios_class = {
    .name = "CIM_BIOSElement", .ns_prefix = VAMT_NS_CIM,
    .keys = cim_keys_bios, .list = bios_list,
};

static const VamtCimClass processor_class;
static unsigned cpu_sockets(const VamtInventory *inv)
{
    return MAX(inv->cpu_sockets, 1);
}

static void processor_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = cim_inventory(amt);

    /* one CIM_Processor per socket, as SMBIOS type 4 */
    for (unsigned i = 0; i < cpu_sockets(inv); i++) {
        VamtCimInstance *inst = vamt_cim_new(&processor_class);

        vamt_cim_str(inst, "CreationClassName", "CIM_Processor");
        vamt_cim_printf(inst, "DeviceID", "CPU %u", i);
        vamt_cim_str(inst, "SystemCreationClassName", COMPUTER_SYSTEM);
        vamt_cim_str(inst, "SystemName", MANAGED_SYSTEM);
        vamt_cim_str(inst, "ElementName", "Managed System CPU");
        vamt_cim_uint(inst, "Family", 1);
        vamt_cim_str(inst, "OtherFamilyDescription",
                     cim_str_or_empty(inv->cpu_model));
        vamt_cim_uint(inst, "CurrentClockSpeed", inv->cpu_max_mhz);
        vamt_cim_uint(inst, "MaxClockSpeed", inv->cpu_max_mhz);
        vamt_cim_uint(inst, "ExternalBusClockSpeed", 100);
        vamt_cim_uint(inst, "CPUStatus", 1);
        vamt_cim_uint(inst, "EnabledState", CIM_ENABLED_STATE_ENABLED);
        vamt_cim_uint(inst, "HealthState", 5);
        vamt_cim_uint(inst, "OperationalStatus", 0);
        vamt_cim_uint(inst, "UpgradeMethod", 2);
        vamt_cim_str(inst, "Role", "Central");
        g_ptr_array_add(out, inst);
    }
}

static const VamtCimClass processor_class = {
    .name = "CIM_Processor", .ns_prefix = VAMT_NS_CIM,
    .keys = cim_keys_device, .list = processor_list,
};

static const VamtCimClass chip_class;
static void chip_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = cim_inventory(amt);
    const char *model = cim_str_or_empty(inv->cpu_model);
    g_autofree char *vendor = g_strndup(model, strcspn(model, " "));

    for (unsigned i = 0; i < cpu_sockets(inv); i++) {
        VamtCimInstance *inst = vamt_cim_new(&chip_class);

        vamt_cim_str(inst, "CreationClassName", "CIM_Chip");
        vamt_cim_printf(inst, "Tag", "CPU %u", i);
        vamt_cim_str(inst, "ElementName", "Managed System Processor Chip");
        vamt_cim_str(inst, "Manufacturer", vendor);
        vamt_cim_str(inst, "Version", model);
        vamt_cim_bool(inst, "CanBeFRUed", true);
        vamt_cim_uint(inst, "OperationalStatus", 0);
        g_ptr_array_add(out, inst);
    }
}

static const VamtCimClass chip_class = {
    .name = "CIM_Chip", .ns_prefix = VAMT_NS_CIM,
    .keys = cim_keys_package, .list = chip_list,
};

static const VamtCimClass memory_class;
static void memory_list(VamtAmt *amt, GPtrArray *out)
{
    const VamtInventory *inv = cim_inventory(amt);
    VamtCimInstance *inst = vamt_cim_new(&memory_class);

    /* the VM's RAM as one module */
    vamt_cim_str(inst, "CreationClassName", "CIM_PhysicalMemory");
    vamt_cim_str(inst, "Tag", "DIMM 0");
    vamt_cim_str(inst, "BankLabel", "DIMM 0");
    vamt_cim_str(inst, "ElementName", "Managed System Memory Chip");
    vamt_cim_uint(inst, "Capacity", inv->ram_bytes);
    vamt_cim_uint(inst, "MemoryType", 26);
    vamt_cim_uint(inst, "FormFactor", 8);
    vamt_cim_str(inst, "Manufacturer",
                 cim_str_or_empty(
                                  inv->system_manufacturer));
    vamt_cim_str(inst, "PartNumber", "");
    vamt_cim_str(inst, "SerialNumber", "");
    vamt_cim_bool(inst, "IsSpeedInMhz", true);
    vamt_cim_bool(inst, "CanBeFRUed", true);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass memory_class = {
    .name = "CIM_PhysicalMemory", .ns_prefix = VAMT_NS_CIM,
    .keys = cim_keys_package, .list = memory_list,
};


CIM_EMPTY_CLASS(media_class, "CIM_MediaAccessDevice", VAMT_NS_CIM,
                cim_keys_device);

/* A desktop has no battery (see absent_device) */
static const VamtCimClass battery_class = {
    .name = "CIM_Battery", .ns_prefix = VAMT_NS_CIM,
    .keys = cim_keys_device, .absent_device = true,
};


const VamtCimClass *const vamt_cim_inventory_classes[] = {
    &chassis_class, &card_class, &physical_package_class,
    &system_package_class, &system_packaging_class, &bios_class,
    &processor_class, &chip_class, &memory_class, &media_class,
    &battery_class, NULL,
};
