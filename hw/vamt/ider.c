/*
 * vAMT: the IDE-R function (PCI function 2)
 *
 * A native-mode PCI IDE controller (with bus-master DMA, as firmware and
 * Linux's ata_generic/ata_piix expect of class 0x0101) with one ATAPI CD
 * drive, QEMU's own ide-cd, on the primary channel's slave position,
 * where IDE-R puts the CD.  The drive is empty until a console's IDE-R
 * session provides a medium: then it gets a read-only block node of the
 * private driver below, whose reads become the ME's ATAPI commands to the
 * console (docs/specs/vamt-redirection.rst, "IDE-R").  QEMU's ATAPI
 * emulation answers INQUIRY, REQUEST SENSE, IDENTIFY and the rest.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/coroutine.h"
#include "qobject/qdict.h"
#include "block/block_int.h"
#include "system/block-backend.h"
#include "hw/irq.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "hw/vamt/ider.h"
/*
 * The IDE bus calls every QEMU IDE controller makes (irq, restart, reset)
 * are declared only in hw/ide's own header.
 */
#include "../ide/ide-internal.h"
#include "redir.h"
#include "trace/trace-hw_vamt.h"

#define VAMT_IDER_BLOCK     2048
/* Reads larger than this are split by the block layer */
#define VAMT_IDER_MAX_READ  (64 * 1024)

struct VamtIderRead {
    uint64_t tag;
    Coroutine *co;
    int status;                 /* 1 while the ME works on it */
    QLIST_ENTRY(VamtIderRead) next;
};

/* ---- the medium: a block driver whose reads go to the console ---- */

typedef struct BDRVVamtIder {
    VamtIderState *ider;
    uint64_t blocks;
} BDRVVamtIder;

/* The size comes as an option: the block layer reads it at open */
#define VAMT_IDER_OPT_BLOCKS    "blocks"

static int vamt_ider_bdrv_open(BlockDriverState *bs, QDict *options,
                               int flags, Error **errp)
{
    BDRVVamtIder *s = bs->opaque;

    s->blocks = qdict_get_try_int(options, VAMT_IDER_OPT_BLOCKS, 0);
    qdict_del(options, VAMT_IDER_OPT_BLOCKS);
    return 0;
}

static int64_t coroutine_fn vamt_ider_bdrv_getlength(BlockDriverState *bs)
{
    BDRVVamtIder *s = bs->opaque;

    return s->blocks * VAMT_IDER_BLOCK;
}

static void vamt_ider_bdrv_limits(BlockDriverState *bs, Error **errp)
{
    bs->bl.request_alignment = VAMT_IDER_BLOCK;
    bs->bl.max_transfer = VAMT_IDER_MAX_READ;
}

static int coroutine_fn vamt_ider_bdrv_preadv(BlockDriverState *bs,
                                              int64_t offset, int64_t bytes,
                                              QEMUIOVector *qiov,
                                              BdrvRequestFlags flags)
{
    BDRVVamtIder *s = bs->opaque;
    VamtIderState *d = s->ider;
    VamtIderRead req = { .co = qemu_coroutine_self(), .status = 1 };
    g_autofree uint8_t *buf = NULL;

    if (!d || offset % VAMT_IDER_BLOCK || bytes % VAMT_IDER_BLOCK ||
        bytes > VAMT_IDER_MAX_READ) {
        return -EIO;
    }
    buf = g_malloc(bytes);
    req.tag = ++d->next_tag;
    QLIST_INSERT_HEAD(&d->reads, &req, next);
    trace_vamt_ider_read(offset / VAMT_IDER_BLOCK, bytes / VAMT_IDER_BLOCK);
    if (!vamt_redir_ider_read(vamt_me_redir(d->me), offset / VAMT_IDER_BLOCK,
                              bytes / VAMT_IDER_BLOCK, buf, req.tag)) {
        QLIST_REMOVE(&req, next);
        return -ENOMEDIUM;
    }
    while (req.status == 1) {
        qemu_coroutine_yield();
    }
    QLIST_REMOVE(&req, next);
    if (req.status) {
        trace_vamt_ider_read_failed(req.status);
        return VAMT_IDER_SENSE_KEY(req.status) == 0x02 ? -ENOMEDIUM : -EIO;
    }
    qemu_iovec_from_buf(qiov, 0, buf, bytes);
    return 0;
}

static BlockDriver bdrv_vamt_ider = {
    .format_name = "vamt-ider",
    .instance_size = sizeof(BDRVVamtIder),
    .bdrv_open = vamt_ider_bdrv_open,
    .bdrv_co_getlength = vamt_ider_bdrv_getlength,
    .bdrv_refresh_limits = vamt_ider_bdrv_limits,
    .bdrv_co_preadv = vamt_ider_bdrv_preadv,
};

void vamt_ider_read_done(VamtIderState *d, uint64_t tag, int status)
{
    VamtIderRead *req;

    QLIST_FOREACH(req, &d->reads, next) {
        if (req->tag == tag && req->status == 1) {
            req->status = status;
            aio_co_wake(req->co);
            return;
        }
    }
}

/* Swap the medium in a BH: the ME reports changes from inside its own
 * calls, and ejecting drains the reads still in flight. */
static void vamt_ider_media_bh(void *opaque)
{
    VamtIderState *d = opaque;
    Error *err = NULL;

    if (d->medium) {
        blk_dev_change_media_cb(d->blk, false, &err);
        if (err) {
            warn_report_err(err);
            err = NULL;
        }
        blk_remove_bs(d->blk);
        bdrv_unref(d->medium);
        d->medium = NULL;
        trace_vamt_ider_medium(false, 0);
    }
    if (d->want_medium) {
        QDict *options = qdict_new();
        BDRVVamtIder *s;

        qdict_put_int(options, VAMT_IDER_OPT_BLOCKS, d->blocks);
        d->medium = bdrv_new_open_driver_opts(&bdrv_vamt_ider, NULL, options,
                                              0, &err);
        if (!d->medium) {
            warn_report_err(err);
            return;
        }
        s = d->medium->opaque;
        s->ider = d;
        if (blk_insert_bs(d->blk, d->medium, &err) < 0) {
            warn_report_err(err);
            bdrv_unref(d->medium);
            d->medium = NULL;
            return;
        }
        blk_dev_change_media_cb(d->blk, true, &error_abort);
        trace_vamt_ider_medium(true, d->blocks);
    }
}

void vamt_ider_media_changed(VamtIderState *d, bool present, uint64_t blocks,
                             uint32_t block_size)
{
    if (present && block_size != VAMT_IDER_BLOCK) {
        warn_report("vamt: IDE-R medium with %u-byte blocks ignored "
                    "(a CD has 2048)", block_size);
        present = false;
    }
    d->want_medium = present;
    d->blocks = blocks;
    qemu_bh_schedule(d->media_bh);
}

/* ---- the controller ---- */

static uint64_t vamt_ider_bmdma_read(void *opaque, hwaddr addr,
                                     unsigned size)
{
    BMDMAState *bm = opaque;

    if (size != 1) {
        return ((uint64_t)1 << (size * 8)) - 1;
    }
    switch (addr & 3) {
    case 0:
        return bm->cmd;
    case 2:
        return bm->status;
    default:
        return 0xff;
    }
}

static void vamt_ider_bmdma_write(void *opaque, hwaddr addr, uint64_t val,
                                  unsigned size)
{
    BMDMAState *bm = opaque;

    if (size != 1) {
        return;
    }
    switch (addr & 3) {
    case 0:
        bmdma_cmd_writeb(bm, val);
        break;
    case 2:
        bmdma_status_writeb(bm, val);
        break;
    }
}

static const MemoryRegionOps vamt_ider_bmdma_ops = {
    .read = vamt_ider_bmdma_read,
    .write = vamt_ider_bmdma_write,
};

/* Both channels share INTA, as native-mode PCI IDE does */
static void vamt_ider_set_irq(void *opaque, int channel, int level)
{
    VamtIderState *d = opaque;

    d->irq_level[channel] = level;
    pci_set_irq(PCI_DEVICE(d), d->irq_level[0] || d->irq_level[1]);
}

static void vamt_ider_realize(PCIDevice *pd, Error **errp)
{
    VamtIderState *d = VAMT_IDER(pd);
    PCIIDEState *ide = PCI_IDE(pd);
    DeviceState *ds = DEVICE(pd);

    if (!d->me) {
        error_setg(errp, "vamt-ider is created by the vamt device (ider=on)");
        return;
    }
    pd->config[PCI_CLASS_PROG] = 0x8f;  /* native mode, bus master */
    pci_config_set_interrupt_pin(pd->config, 1);
    for (int i = 0; i < 2; i++) {
        memory_region_init_io(&ide->data_bar[i], OBJECT(d),
                              &pci_ide_data_le_ops, &ide->bus[i],
                              "vamt-ider-data", 8);
        pci_register_bar(pd, i * 2, PCI_BASE_ADDRESS_SPACE_IO,
                         &ide->data_bar[i]);
        memory_region_init_io(&ide->cmd_bar[i], OBJECT(d),
                              &pci_ide_cmd_le_ops, &ide->bus[i],
                              "vamt-ider-cmd", 4);
        pci_register_bar(pd, i * 2 + 1, PCI_BASE_ADDRESS_SPACE_IO,
                         &ide->cmd_bar[i]);
    }
    memory_region_init(&ide->bmdma_bar, OBJECT(d), "vamt-ider-bmdma", 16);
    for (int i = 0; i < 2; i++) {
        BMDMAState *bm = &ide->bmdma[i];

        memory_region_init_io(&bm->extra_io, OBJECT(d), &vamt_ider_bmdma_ops,
                              bm, "vamt-ider-bmdma", 4);
        memory_region_add_subregion(&ide->bmdma_bar, i * 8, &bm->extra_io);
        memory_region_init_io(&bm->addr_ioport, OBJECT(d),
                              &bmdma_addr_ioport_ops, bm, "bmdma", 4);
        memory_region_add_subregion(&ide->bmdma_bar, i * 8 + 4,
                                    &bm->addr_ioport);
    }
    pci_register_bar(pd, 4, PCI_BASE_ADDRESS_SPACE_IO, &ide->bmdma_bar);

    qdev_init_gpio_in(ds, vamt_ider_set_irq, 2);
    for (int i = 0; i < 2; i++) {
        ide_bus_init(&ide->bus[i], sizeof(ide->bus[i]), ds, i, 2);
        ide_bus_init_output_irq(&ide->bus[i], qdev_get_gpio_in(ds, i));
        bmdma_init(&ide->bus[i], &ide->bmdma[i], ide);
        ide_bus_register_restart_cb(&ide->bus[i]);
    }

    /*
     * An empty CD drive (ide-cd makes its own drive for that): the
     * console brings the medium.
     */
    d->cd = qdev_new("ide-cd");
    qdev_prop_set_uint32(d->cd, "unit", 1);
    if (!qdev_realize_and_unref(d->cd, BUS(&ide->bus[0]), errp)) {
        d->cd = NULL;
        return;
    }
    d->blk = blk_by_dev(d->cd);
    d->media_bh = qemu_bh_new_guarded(vamt_ider_media_bh, d,
                                      &ds->mem_reentrancy_guard);
}

static void vamt_ider_exit(PCIDevice *pd)
{
    VamtIderState *d = VAMT_IDER(pd);
    PCIIDEState *ide = PCI_IDE(pd);

    g_clear_pointer(&d->media_bh, qemu_bh_delete);
    if (d->medium) {
        blk_remove_bs(d->blk);
        bdrv_unref(d->medium);
        d->medium = NULL;
    }
    d->blk = NULL;
    for (int i = 0; i < 2; i++) {
        memory_region_del_subregion(&ide->bmdma_bar, &ide->bmdma[i].extra_io);
        memory_region_del_subregion(&ide->bmdma_bar,
                                    &ide->bmdma[i].addr_ioport);
    }
}

/* A reset of the machine resets the controller; IDE-R is told. */
static void vamt_ider_reset_hold(Object *obj, ResetType type)
{
    VamtIderState *d = VAMT_IDER(obj);
    PCIIDEState *ide = PCI_IDE(obj);

    for (int i = 0; i < 2; i++) {
        ide_bus_reset(&ide->bus[i]);
    }
    d->irq_level[0] = d->irq_level[1] = false;
    if (d->me) {
        vamt_redir_ider_reset(vamt_me_redir(d->me));
        vamt_redir_ider_boot(vamt_me_redir(d->me));
    }
}

static void vamt_ider_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    k->realize = vamt_ider_realize;
    k->exit = vamt_ider_exit;
    k->vendor_id = PCI_VENDOR_ID_INTEL;
    k->device_id = VAMT_IDER_DEVICE_ID;
    k->revision = 0x11;
    k->class_id = PCI_CLASS_STORAGE_IDE;
    rc->phases.hold = vamt_ider_reset_hold;
    dc->desc = "Intel AMT IDE redirection controller (IDE-R), part of vamt";
    dc->vmsd = &vmstate_ide_pci;
    dc->user_creatable = false;
    dc->hotpluggable = false;
    set_bit(DEVICE_CATEGORY_STORAGE, dc->categories);
}

static const TypeInfo vamt_ider_info = {
    .name = TYPE_VAMT_IDER,
    .parent = TYPE_PCI_IDE,
    .instance_size = sizeof(VamtIderState),
    .class_init = vamt_ider_class_init,
};

static void vamt_ider_register_types(void)
{
    type_register_static(&vamt_ider_info);
}

type_init(vamt_ider_register_types)
