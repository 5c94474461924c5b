/*
 * vAMT: the IDE-R function (PCI function 2), an IDE controller whose CD
 * drive reads a console's image through the ME
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VAMT_IDER_H
#define HW_VAMT_IDER_H

#include "hw/ide/pci.h"
#include "me.h"

#define TYPE_VAMT_IDER "vamt-ider"
OBJECT_DECLARE_SIMPLE_TYPE(VamtIderState, VAMT_IDER)

/* Alder Lake-S PCH "PT IDER" controller */
#define VAMT_IDER_DEVICE_ID     0x7aea
#define VAMT_IDER_FUNCTION      2

typedef struct VamtIderRead VamtIderRead;

struct VamtIderState {
    PCIIDEState parent_obj;

    VamtMe *me;                 /* set by the vamt device before realize */
    DeviceState *cd;            /* the ide-cd on the primary channel's slave */
    BlockBackend *blk;          /* its drive */
    BlockDriverState *medium;   /* while a console provides one */
    QEMUBH *media_bh;           /* medium changes, outside the ME's calls */
    bool want_medium;
    uint64_t blocks;
    uint64_t next_tag;
    QLIST_HEAD(, VamtIderRead) reads;
    bool irq_level[2];
};

/* The ME's callbacks (platform ops) */
void vamt_ider_media_changed(VamtIderState *d, bool present, uint64_t blocks,
                             uint32_t block_size);
void vamt_ider_read_done(VamtIderState *d, uint64_t tag, int status);

#endif
