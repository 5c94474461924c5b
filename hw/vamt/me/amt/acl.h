/*
 * vAMT ME core: which AMT realms govern each WS-Management class and
 * method and each legacy EOI operation, and the check the dispatchers
 * apply before serving an authenticated user
 *
 * A requirement is a mask of realms (bit n = realm n, as in
 * VamtAmtUser.realms); holding any one of them is enough.  PT
 * Administration (3) grants every realm, as on AMT, and so does the
 * built-in admin account, whose mask is all ones.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_ACL_H
#define VAMT_ME_ACL_H

#include <stdbool.h>
#include <stdint.h>

#include "amt.h"

#define VAMT_ACL_REALM(n)       (1u << (n))
/* Any authenticated user may do it (no realm needed) */
#define VAMT_ACL_ANY_USER       0u

typedef enum VamtAclAccess {
    VAMT_ACL_READ,              /* Get, Enumerate, Pull, Release */
    VAMT_ACL_WRITE,             /* Put, Create, Delete */
    VAMT_ACL_INVOKE,            /* a custom method */
} VamtAclAccess;

/*
 * The realms that allow @access to WS-Man class @class_name; @method is
 * the method name for VAMT_ACL_INVOKE and ignored otherwise.  Classes
 * missing from the table need PT Administration (fail closed).
 */
uint32_t vamt_acl_wsman_realms(const char *class_name, VamtAclAccess access,
                               const char *method);

/* The realms that allow EOI @operation on service path @service_path */
uint32_t vamt_acl_eoi_realms(const char *service_path,
                             const char *operation);

/* Does a user holding @user_realms meet @required? */
bool vamt_acl_permits(uint32_t user_realms, uint32_t required);

/* vamt_acl_permits() for account @user (unknown accounts hold nothing) */
bool vamt_acl_user_permitted(VamtAmt *amt, const char *user,
                             uint32_t required);

#endif
