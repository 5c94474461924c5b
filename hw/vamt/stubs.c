/*
 * vAMT: QMP commands for builds without the device
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/qapi-commands-vamt.h"

VamtInfoList *qmp_query_vamt(Error **errp)
{
    return NULL;                /* no vamt device can exist */
}
