/*
 * vAMT ME core: what the CIM provider files share
 *
 * Names, keys and helpers for the provider files (cim/<area>.c), each of
 * which exports its classes as one NULL-terminated array.  Only the
 * providers include this; the rest of the core uses cim.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_CIM_PROVIDER_H
#define VAMT_ME_CIM_PROVIDER_H

#include <glib.h>

#include "acl.h"
#include "cim.h"
#include "digest.h"
#include "status.h"

#define AMT_SYSTEM          "Intel(r) AMT"
#define MANAGED_SYSTEM      "ManagedSystem"
#define COMPUTER_SYSTEM     "CIM_ComputerSystem"

/* CIM method return values */
#define CIM_OK                  0
#define CIM_NOT_SUPPORTED       1
#define CIM_INVALID_STATE       2
#define CIM_INVALID_PARAMETER   5

#define ACL_HANDLES_PER_CALL    50
#define AUDIT_RECORDS_PER_CALL  10
#define OPT_IN_MAX_FAILURES     3

extern const char *const cim_keys_instance_id[];
extern const char *const cim_keys_service[];
extern const char *const cim_keys_system[];
extern const char *const cim_keys_package[];
extern const char *const cim_keys_device[];
extern const char *const cim_keys_bios[];

/* Classes with no instances yet: enumerations answer empty */
#define CIM_EMPTY_CLASS(var, class_name, prefix, key_names) \
    static const VamtCimClass var = { \
        .name = class_name, .ns_prefix = prefix, .keys = key_names, \
    }

const VamtPlatformOps *cim_ops(VamtAmt *amt);
VamtPowerState cim_power_state(VamtAmt *amt);
const VamtInventory *cim_inventory(VamtAmt *amt);
const char *cim_str_or_empty(const char *s);
VamtCimInstance *cim_new_service(const VamtCimClass *cls, const char *name,
                                 unsigned enabled, unsigned requested);
VamtCimEpr *cim_service_epr(const char *class_name, const char *name);
VamtCimEpr *cim_managed_system_epr(void);
bool cim_arg_uint(VamtCimCall *call, const char *name, uint64_t max,
                  uint64_t *v);
GPtrArray *cim_arg_array(xmlNode *parent, const char *name);
VamtCimStatus cim_put_bool(xmlNode *in, const char *name, bool *dst);
VamtCimStatus cim_put_uint(xmlNode *in, const char *name, uint64_t max,
                           uint64_t *dst);
VamtCimStatus cim_put_string(xmlNode *in, const char *name, char *dst,
                             size_t size);
char *cim_iso8601(int64_t t);

/* Each area's classes (cim/<area>.c), NULL-terminated */
extern const VamtCimClass *const vamt_cim_setup_classes[];
extern const VamtCimClass *const vamt_cim_power_classes[];
extern const VamtCimClass *const vamt_cim_boot_classes[];
extern const VamtCimClass *const vamt_cim_redirection_classes[];
extern const VamtCimClass *const vamt_cim_time_classes[];
extern const VamtCimClass *const vamt_cim_network_classes[];
extern const VamtCimClass *const vamt_cim_defense_classes[];
extern const VamtCimClass *const vamt_cim_users_classes[];
extern const VamtCimClass *const vamt_cim_logs_classes[];
extern const VamtCimClass *const vamt_cim_inventory_classes[];
extern const VamtCimClass *const vamt_cim_alarms_classes[];
extern const VamtCimClass *const vamt_cim_cira_classes[];
extern const VamtCimClass *const vamt_cim_tls_classes[];
extern const VamtCimClass *const vamt_cim_eventing_classes[];
extern const VamtCimClass *const vamt_cim_agent_presence_classes[];

#endif
