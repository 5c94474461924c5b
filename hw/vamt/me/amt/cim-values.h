/*
 * vAMT ME core: the CIM and AMT enumeration values the AMT state keeps
 * and the providers report (DMTF CIM schema 2.x, Intel AMT SDK class
 * reference); see docs/specs/vamt-wsman.rst
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_CIM_VALUES_H
#define VAMT_ME_CIM_VALUES_H

/* CIM_EnabledLogicalElement.EnabledState */
enum {
    CIM_ENABLED_STATE_ENABLED = 2,
    CIM_ENABLED_STATE_DISABLED = 3,
    CIM_ENABLED_STATE_NOT_APPLICABLE = 5,
    CIM_ENABLED_STATE_ENABLED_BUT_OFFLINE = 6,
};

/* CIM_EnabledLogicalElement.RequestedState */
enum {
    CIM_REQUESTED_STATE_ENABLED = 2,
    CIM_REQUESTED_STATE_DISABLED = 3,
    CIM_REQUESTED_STATE_NOT_APPLICABLE = 12,
};

/* AMT_RedirectionService.EnabledState: which of SOL and IDE-R listen */
enum {
    AMT_REDIRECTION_NONE = 32768,
    AMT_REDIRECTION_IDER = 32769,
    AMT_REDIRECTION_SOL = 32770,
    AMT_REDIRECTION_IDER_AND_SOL = 32771,
    /* the bits of those values */
    AMT_REDIRECTION_IDER_BIT = 1,
    AMT_REDIRECTION_SOL_BIT = 2,
};

/* AMT_UserInitiatedConnectionService.EnabledState: who may start CIRA */
enum {
    AMT_USER_INITIATED_NONE = 32768,
    AMT_USER_INITIATED_BIOS = 32769,
    AMT_USER_INITIATED_OS = 32770,
    AMT_USER_INITIATED_BIOS_AND_OS = 32771,
};

/* CIM_PhysicalPackage.PackageType */
enum {
    CIM_PACKAGE_CHASSIS = 3,
    CIM_PACKAGE_MOTHERBOARD = 9,
};

#endif
