/*
 * vAMT ME core: CIM providers for boot control
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "provider.h"

/* Boot control */

static const VamtCimClass boot_capabilities_class;
static void boot_capabilities_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = vamt_cim_new(&boot_capabilities_class);
    static const char *const supported[] = {
        "BIOSSetup", "ForcePXEBoot", "ForceHardDriveBoot",
        "ForceCDorDVDBoot",
    };
    /*
     * IDE-R boot when the platform has the IDE-R function; SOL boot
     * would need the firmware's console on the ME's UART: not served
     */
    static const char *const unsupported[] = {
        "SOL", "BIOSReflash", "BIOSPause",
        "ForceHardDriveSafeModeBoot", "ForceDiagnosticBoot",
        "VerbosityScreenBlank", "PowerButtonLock", "ResetButtonLock",
        "KeyboardLock", "SleepButtonLock", "UserPasswordBypass",
        "ForcedProgressEvents", "VerbosityVerbose", "VerbosityQuiet",
        "ConfigurationDataReset", "BIOSSecureBoot", "SecureErase",
        "ForceWinREBoot", "ForceUEFILocalPBABoot", "ForceUEFIHTTPSBoot",
        "AMTSecureBootControl", "UEFIWiFiCoExistenceAndProfileShare",
    };

    vamt_cim_str(inst, "InstanceID", "Intel(r) AMT:BootCapabilities 0");
    vamt_cim_str(inst, "ElementName", "Intel(r) AMT: Boot Capabilities");
    for (unsigned i = 0; i < G_N_ELEMENTS(supported); i++) {
        vamt_cim_bool(inst, supported[i], true);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(unsupported); i++) {
        vamt_cim_bool(inst, unsupported[i], false);
    }
    vamt_cim_bool(inst, "IDER", vamt_amt_firmware(amt)->redirection &
                               VAMT_FW_REDIR_IDER);
    vamt_cim_uint(inst, "PlatformErase", 0);
    g_ptr_array_add(out, inst);
}

static const VamtCimClass boot_capabilities_class = {
    .name = "AMT_BootCapabilities", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_instance_id, .list = boot_capabilities_list,
};

typedef struct BootFlag {
    const char *name;
    size_t offset;
} BootFlag;

#define BOOT_FLAG(prop, field) { prop, offsetof(VamtBootSettings, field) }

static const BootFlag boot_flags[] = {
    BOOT_FLAG("UseSOL", use_sol),
    BOOT_FLAG("UseIDER", use_ider),
    BOOT_FLAG("UseSafeMode", use_safe_mode),
    BOOT_FLAG("ReflashBIOS", reflash_bios),
    BOOT_FLAG("BIOSSetup", bios_setup),
    BOOT_FLAG("BIOSPause", bios_pause),
    BOOT_FLAG("LockPowerButton", lock_power_button),
    BOOT_FLAG("LockResetButton", lock_reset_button),
    BOOT_FLAG("LockKeyboard", lock_keyboard),
    BOOT_FLAG("LockSleepButton", lock_sleep_button),
    BOOT_FLAG("UserPasswordBypass", user_password_bypass),
    BOOT_FLAG("ForcedProgressEvents", forced_progress_events),
    BOOT_FLAG("ConfigurationDataReset", configuration_data_reset),
    BOOT_FLAG("EnforceSecureBoot", enforce_secure_boot),
};

static const VamtCimClass boot_setting_class;
static void boot_setting_list(VamtAmt *amt, GPtrArray *out)
{
    VamtBootSettings *b = &vamt_amt_state(amt)->boot;
    VamtCimInstance *inst = vamt_cim_new(&boot_setting_class);
    static const char *const off[] = {
        "SecureErase", "WinREBootEnabled", "UEFILocalPBABootEnabled",
        "UEFIHTTPSBootEnabled", "SecureBootControlEnabled", "RPEEnabled",
        "PlatformErase",
    };

    vamt_cim_str(inst, "InstanceID", "Intel(r) AMT:BootSettingData 0");
    vamt_cim_str(inst, "ElementName",
                 "Intel(r) AMT Boot Configuration Settings");
    vamt_cim_str(inst, "OwningEntity", "Intel(r) AMT");
    for (unsigned i = 0; i < G_N_ELEMENTS(boot_flags); i++) {
        vamt_cim_bool(inst, boot_flags[i].name,
                      *(bool *)((char *)b + boot_flags[i].offset));
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(off); i++) {
        vamt_cim_bool(inst, off[i], false);
    }
    vamt_cim_uint(inst, "FirmwareVerbosity", b->firmware_verbosity);
    vamt_cim_uint(inst, "IDERBootDevice", b->ider_boot_device);
    vamt_cim_uint(inst, "BootMediaIndex", b->boot_media_index);
    vamt_cim_bool(inst, "OptionsCleared", b->options_cleared);
    vamt_cim_uint(inst, "BIOSLastStatus", 2);
    vamt_cim_uint(inst, "BIOSLastStatus", 0);
    vamt_cim_uint(inst, "BootguardStatus", 0);
    vamt_cim_uint(inst, "UefiBootNumberOfParams", 0);
    g_ptr_array_add(out, inst);
}

static VamtCimStatus boot_setting_put(VamtAmt *amt, const char *user,
                                      const VamtCimInstance *target,
                                      xmlNode *in)
{
    VamtBootSettings *b = &vamt_amt_state(amt)->boot;
    VamtBootSettings next = *b;
    uint64_t verbosity = next.firmware_verbosity;
    uint64_t ider_device = next.ider_boot_device;
    uint64_t media = next.boot_media_index;
    VamtCimStatus st = VAMT_CIM_OK;

    for (unsigned i = 0; i < G_N_ELEMENTS(boot_flags) && !st; i++) {
        st = cim_put_bool(in, boot_flags[i].name,
                          (bool *)((char *)&next + boot_flags[i].offset));
    }
    st = st ?: cim_put_uint(in, "FirmwareVerbosity", 3, &verbosity);
    st = st ?: cim_put_uint(in, "IDERBootDevice", 1, &ider_device);
    st = st ?: cim_put_uint(in, "BootMediaIndex", UINT16_MAX, &media);
    if (st) {
        return st;
    }
    next.firmware_verbosity = verbosity;
    next.ider_boot_device = ider_device;
    next.boot_media_index = media;
    *b = next;
    /* e.g. BIOSSetup: SeaBIOS has no setup to enter */
    return vamt_amt_apply_boot(amt, user) ? VAMT_CIM_OK
                                          : VAMT_CIM_NOT_SUPPORTED;
}

static const VamtCimClass boot_setting_class = {
    .name = "AMT_BootSettingData", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_instance_id, .list = boot_setting_list,
    .put = boot_setting_put,
};

#define BOOT_CONFIG_ID  "Intel(r) AMT: Boot Configuration 0"

static const struct {
    const char *instance_id;
    const char *structured;
    VamtBootTarget target;
} boot_sources[] = {
    { "Intel(r) AMT: Force Hard-drive Boot", "CIM:Hard-Disk:1",
      VAMT_BOOT_HDD },
    { "Intel(r) AMT: Force PXE Boot", "CIM:Network:1", VAMT_BOOT_PXE },
    { "Intel(r) AMT: Force CD/DVD Boot", "CIM:CD/DVD:1", VAMT_BOOT_CD },
};

static const VamtCimClass boot_source_class;
static void boot_source_list(VamtAmt *amt, GPtrArray *out)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(boot_sources); i++) {
        VamtCimInstance *inst = vamt_cim_new(&boot_source_class);

        vamt_cim_str(inst, "InstanceID", boot_sources[i].instance_id);
        vamt_cim_str(inst, "ElementName", boot_sources[i].instance_id);
        vamt_cim_str(inst, "StructuredBootString",
                     boot_sources[i].structured);
        vamt_cim_uint(inst, "FailThroughSupported", 2);
        g_ptr_array_add(out, inst);
    }
}

static const VamtCimClass boot_source_class = {
    .name = "CIM_BootSourceSetting", .ns_prefix = VAMT_NS_CIM,
    .keys = cim_keys_instance_id, .list = boot_source_list,
};

static const VamtCimClass boot_config_class;
static void boot_config_list(VamtAmt *amt, GPtrArray *out)
{
    VamtCimInstance *inst = vamt_cim_new(&boot_config_class);

    vamt_cim_str(inst, "InstanceID", BOOT_CONFIG_ID);
    vamt_cim_str(inst, "ElementName", "Intel(r) AMT: Boot Configuration");
    g_ptr_array_add(out, inst);
}

/* Source absent = no forced device; otherwise one of boot_sources[] */
static uint32_t boot_config_change_order(VamtCimCall *call)
{
    VamtBootSettings *b = &vamt_amt_state(call->amt)->boot;
    xmlNode *source = vamt_xml_child(call->input, "Source");
    g_autoptr(GPtrArray) sel = NULL;
    const char *id;

    if (!source) {
        b->boot_source = VAMT_BOOT_DEFAULT;
        vamt_amt_apply_boot(call->amt, call->user);
        return CIM_OK;
    }
    sel = vamt_xml_epr_selectors(source);
    id = vamt_cim_selector(sel, "InstanceID");
    for (unsigned i = 0; id && i < G_N_ELEMENTS(boot_sources); i++) {
        if (!strcmp(id, boot_sources[i].instance_id)) {
            b->boot_source = boot_sources[i].target;
            /* the VM has no such device (or -kernel boots it) */
            return vamt_amt_apply_boot(call->amt, call->user) ?
                   CIM_OK : CIM_NOT_SUPPORTED;
        }
    }
    return CIM_INVALID_PARAMETER;
}

static const VamtCimMethod boot_config_methods[] = {
    { "ChangeBootOrder", boot_config_change_order },
    { NULL },
};

static const VamtCimClass boot_config_class = {
    .name = "CIM_BootConfigSetting", .ns_prefix = VAMT_NS_CIM,
    .keys = cim_keys_instance_id, .list = boot_config_list,
    .methods = boot_config_methods,
};

static const VamtCimClass boot_service_class;
static void boot_service_list(VamtAmt *amt, GPtrArray *out)
{
    g_ptr_array_add(out, cim_new_service(&boot_service_class,
                                         "Intel(r) AMT Boot Service", 2, 12));
}

static uint32_t boot_service_set_role(VamtCimCall *call)
{
    xmlNode *setting = vamt_xml_child(call->input, "BootConfigSetting");
    uint64_t role;

    if (!cim_arg_uint(call, "Role", 1, &role)) {
        return CIM_INVALID_PARAMETER;
    }
    if (setting) {
        g_autoptr(GPtrArray) sel = vamt_xml_epr_selectors(setting);
        const char *id = vamt_cim_selector(sel, "InstanceID");

        if (id && strcmp(id, BOOT_CONFIG_ID)) {
            return CIM_INVALID_PARAMETER;
        }
    }
    /* IsNext (0) and IsNextSingleUse (1) both mean the next boot here */
    vamt_amt_state(call->amt)->boot.next_single_use = true;
    return vamt_amt_apply_boot(call->amt, call->user) ? CIM_OK
                                                      : CIM_NOT_SUPPORTED;
}

static const VamtCimMethod boot_service_methods[] = {
    { "SetBootConfigRole", boot_service_set_role },
    { NULL },
};

static const VamtCimClass boot_service_class = {
    .name = "CIM_BootService", .ns_prefix = VAMT_NS_CIM,
    .keys = cim_keys_service, .list = boot_service_list,
    .methods = boot_service_methods,
};


const VamtCimClass *const vamt_cim_boot_classes[] = {
    &boot_capabilities_class, &boot_setting_class, &boot_source_class,
    &boot_config_class, &boot_service_class, NULL,
};
