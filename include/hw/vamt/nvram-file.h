/*
 * vAMT: the ME's NVRAM, a file that keeps its state across QEMU restarts
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VAMT_NVRAM_FILE_H
#define HW_VAMT_NVRAM_FILE_H

#include "me.h"

typedef struct VamtNvram VamtNvram;

/*
 * Open (or create) the NVRAM file @path, which may be /dev/fdset/N, and
 * load the state it holds into @me; a file without a readable state
 * leaves @me at factory defaults, with a warning.  @me must outlive the
 * returned object.
 */
VamtNvram *vamt_nvram_open(const char *path, VamtMe *me, Error **errp);
/* Write a pending change, then close; NULL is fine. */
void vamt_nvram_close(VamtNvram *nv);
/*
 * Migration has captured the state: the destination owns the file from
 * now on and this side writes nothing more, unless it takes it back
 * (a snapshot taken with savevm, a migration that failed).
 */
void vamt_nvram_hand_over(VamtNvram *nv);
void vamt_nvram_take_back(VamtNvram *nv);
/* The ME state changed: save it within a second. */
void vamt_nvram_schedule_write(VamtNvram *nv);

#endif
