/*
 * vAMT: QMP commands
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/qapi-commands-vamt.h"
#include "qom/object.h"
#include "hw/vamt/vamt.h"

static int vamt_query_one(Object *obj, void *opaque)
{
    VamtInfoList ***tail = opaque;
    VamtState *s = (VamtState *)object_dynamic_cast(obj, TYPE_VAMT);

    if (s) {
        QAPI_LIST_APPEND(*tail, vamt_query(s));
    }
    return 0;
}

VamtInfoList *qmp_query_vamt(Error **errp)
{
    VamtInfoList *head = NULL, **tail = &head;

    object_child_foreach_recursive(object_get_root(), vamt_query_one, &tail);
    return head;
}
