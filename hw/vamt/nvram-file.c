/*
 * vAMT: the ME's NVRAM, a file that keeps its state across QEMU restarts
 *
 * The file (nvram=) is opened once, at realize, so that /dev/fdset/N
 * works and a management layer can hand QEMU the descriptor.  Its format
 * is the ME core's (hw/vamt/me/amt/nvram-format.h): two slots, each write
 * going to the one without the newest state, so a write torn by a crash
 * leaves the previous state readable.
 *
 * Changes are written at most once a second (debounced on the REALTIME
 * clock, which runs while the VM is stopped, as the ME does), and a
 * pending change is written when QEMU exits.  The writes are synchronous
 * and small (a state is at most a few dozen KiB).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/notify.h"
#include "qemu/timer.h"
#include "migration/misc.h"
#include "system/system.h"
#include "hw/vamt/nvram-file.h"
#include "nvram-format.h"
#include "trace/trace-hw_vamt.h"

#define VAMT_NVRAM_DEBOUNCE_MS  1000

struct VamtNvram {
    char *path;
    int fd;
    VamtMe *me;
    VamtNvramLayout layout;     /* where the newest state on disk is */
    bool dirty;                 /* a change waits to be written */
    bool write_failed;          /* reported; report again after a success */
    /*
     * From the point where migration captures the device's state, the
     * destination owns the file: the source keeps changes in memory.
     */
    bool handed_over;
    NotifierWithReturn migration_notifier;
    QEMUBH *bh;
    QEMUTimer *timer;
    Notifier exit_notifier;
};

static bool nvram_read_file(VamtNvram *nv, GByteArray *image, Error **errp)
{
    struct stat st;
    size_t len, done = 0;

    if (fstat(nv->fd, &st) < 0) {
        error_setg_errno(errp, errno, "cannot read nvram '%s'", nv->path);
        return false;
    }
    /* a longer file is not ours; its start tells us so */
    len = MIN(st.st_size, VAMT_NVRAM_MAX_FILE_SIZE);
    g_byte_array_set_size(image, len);
    while (done < len) {
        ssize_t n = pread(nv->fd, image->data + done, len - done, done);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            error_setg_errno(errp, errno, "cannot read nvram '%s'",
                             nv->path);
            return false;
        }
        if (n == 0) {
            break;
        }
        done += n;
    }
    g_byte_array_set_size(image, done);
    return true;
}

static bool nvram_load(VamtNvram *nv, Error **errp)
{
    g_autoptr(GByteArray) image = g_byte_array_new();
    VamtNvramContents contents;
    bool ok = true;

    if (!nvram_read_file(nv, image, errp)) {
        return false;
    }
    vamt_nvram_decode(image->data, image->len, &contents);
    switch (contents.status) {
    case VAMT_NVRAM_EMPTY:
        trace_vamt_nvram_new(nv->path);
        break;
    case VAMT_NVRAM_CORRUPT:
        warn_report("vamt: nvram: no valid slot in '%s' (%s), starting "
                    "with factory defaults", nv->path, contents.problem);
        break;
    case VAMT_NVRAM_UNSUPPORTED:
        /* written by another QEMU: leave it as it is */
        error_setg(errp, "nvram '%s' has format version %u; this QEMU "
                   "reads version %u", nv->path, contents.version,
                   VAMT_NVRAM_VERSION);
        ok = false;
        break;
    case VAMT_NVRAM_VALID:
        if (contents.problem) {
            warn_report("vamt: nvram '%s': %s; using the state of "
                        "generation %" PRIu64, nv->path, contents.problem,
                        contents.layout.generation);
        }
        if (!vamt_me_load(nv->me, contents.payload, contents.len)) {
            error_setg(errp, "nvram '%s': the ME state in it (generation "
                       "%" PRIu64 ") is not one this QEMU can load",
                       nv->path, contents.layout.generation);
            ok = false;
            break;
        }
        trace_vamt_nvram_load(contents.layout.generation,
                              contents.layout.active, contents.len);
        break;
    }
    nv->layout = contents.layout;
    vamt_nvram_contents_clear(&contents);
    return ok;
}

static int nvram_pwrite_all(int fd, const uint8_t *buf, size_t len,
                            off_t offset)
{
    while (len) {
        ssize_t n = pwrite(fd, buf, len, offset);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -errno;
        }
        buf += n;
        len -= n;
        offset += n;
    }
    return 0;
}

static void nvram_write(VamtNvram *nv)
{
    g_autoptr(GByteArray) blob = g_byte_array_new();
    g_autofree char *err = NULL;
    VamtNvramWrite w;
    int ret;

    if (nv->handed_over) {
        return;
    }
    nv->dirty = false;
    timer_del(nv->timer);
    vamt_amt_save(vamt_me_amt(nv->me), blob);
    if (!vamt_nvram_encode(&nv->layout, blob->data, blob->len, &w, &err)) {
        error_report("vamt: nvram '%s': cannot save the ME state: %s",
                     nv->path, err);
        return;
    }
    ret = nvram_pwrite_all(nv->fd, w.data->data, w.data->len, w.offset);
    if (!ret && qemu_fdatasync(nv->fd) < 0) {
        ret = -errno;
    }
    if (ret < 0) {
        if (!nv->write_failed) {
            error_report("vamt: nvram '%s': cannot save the ME state: %s; "
                         "retrying every second", nv->path, strerror(-ret));
            nv->write_failed = true;
        }
        /* the slot written may be torn; the other one still holds */
        nv->dirty = true;
        timer_mod(nv->timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) +
                  VAMT_NVRAM_DEBOUNCE_MS);
    } else {
        vamt_nvram_committed(&nv->layout, &w);
        nv->write_failed = false;
        trace_vamt_nvram_write(w.generation, w.slot, blob->len);
    }
    vamt_nvram_write_clear(&w);
}

static void nvram_timer_cb(void *opaque)
{
    VamtNvram *nv = opaque;

    if (nv->dirty) {
        nvram_write(nv);
    }
}

/*
 * Changes come in the middle of a console request or a reset; the write
 * waits a second from the first of them, so a burst costs one write.
 */
static void nvram_bh(void *opaque)
{
    VamtNvram *nv = opaque;

    if (nv->dirty && !timer_pending(nv->timer)) {
        timer_mod(nv->timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) +
                  VAMT_NVRAM_DEBOUNCE_MS);
    }
}

static void nvram_exit_notify(Notifier *notifier, void *data)
{
    VamtNvram *nv = container_of(notifier, VamtNvram, exit_notifier);

    if (nv->dirty) {
        nvram_write(nv);
    }
}

void vamt_nvram_hand_over(VamtNvram *nv)
{
    if (nv && !nv->handed_over) {
        /* what is pending now is part of the migrated state anyway */
        if (nv->dirty) {
            nvram_write(nv);
        }
        nv->handed_over = true;
        trace_vamt_nvram_hand_over(true);
    }
}

void vamt_nvram_take_back(VamtNvram *nv)
{
    if (nv && nv->handed_over) {
        nv->handed_over = false;
        trace_vamt_nvram_hand_over(false);
        if (nv->dirty) {
            qemu_bh_schedule(nv->bh);
        }
    }
}

/* A migration that fails leaves the file with us again. */
static int nvram_migration_notify(NotifierWithReturn *notifier,
                                  MigrationEvent *e, Error **errp)
{
    VamtNvram *nv = container_of(notifier, VamtNvram, migration_notifier);

    if (e->type == MIG_EVENT_PRECOPY_FAILED) {
        vamt_nvram_take_back(nv);
    }
    return 0;
}

void vamt_nvram_schedule_write(VamtNvram *nv)
{
    trace_vamt_nvram_changed();
    nv->dirty = true;
    qemu_bh_schedule(nv->bh);
}

VamtNvram *vamt_nvram_open(const char *path, VamtMe *me, Error **errp)
{
    VamtNvram *nv = g_new0(VamtNvram, 1);

    nv->path = g_strdup(path);
    nv->me = me;
    /* it holds password hashes: readable by its owner only */
    nv->fd = qemu_create(path, O_RDWR, 0600, errp);
    if (nv->fd < 0) {
        g_free(nv->path);
        g_free(nv);
        return NULL;
    }
    if (!nvram_load(nv, errp)) {
        qemu_close(nv->fd);
        g_free(nv->path);
        g_free(nv);
        return NULL;
    }
    nv->bh = qemu_bh_new(nvram_bh, nv);
    nv->timer = timer_new_ms(QEMU_CLOCK_REALTIME, nvram_timer_cb, nv);
    nv->exit_notifier.notify = nvram_exit_notify;
    qemu_add_exit_notifier(&nv->exit_notifier);
    migration_add_notifier(&nv->migration_notifier, nvram_migration_notify);
    return nv;
}

void vamt_nvram_close(VamtNvram *nv)
{
    if (!nv) {
        return;
    }
    if (nv->dirty) {
        nvram_write(nv);
    }
    qemu_remove_exit_notifier(&nv->exit_notifier);
    migration_remove_notifier(&nv->migration_notifier);
    timer_free(nv->timer);
    qemu_bh_delete(nv->bh);
    qemu_close(nv->fd);
    g_free(nv->path);
    g_free(nv);
}
