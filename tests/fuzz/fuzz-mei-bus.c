/*
 * libFuzzer target for the vAMT ME core's MEI bus: the input is a script
 * of host actions (fragments with arbitrary headers, reads, link resets,
 * migration round trips), as a hostile guest could produce them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "firmware.h"
#include "mei-bus.h"
#include "mei-wire.h"
#include "fuzz-target.h"

static int64_t fuzz_clock_ms(void *opaque)
{
    return 0;
}

static void fuzz_random(void *opaque, uint8_t *buf, size_t len)
{
    memset(buf, 0x5a, len);
}

static const VamtPlatformOps fuzz_ops = {
    .me_clock_ms = fuzz_clock_ms,
    .guest_clock_ms = fuzz_clock_ms,
    .random = fuzz_random,
};

static void drain(MeiBus *bus, size_t max)
{
    uint8_t buf[MEI_MAX_FRAGMENT];
    uint32_t hdr;
    size_t len;

    while (mei_bus_tx_take(bus, max, &hdr, buf, &len)) {
        g_assert(len <= max);
        g_assert(MEI_HDR_LENGTH(hdr) == len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    VamtFirmware fw;
    VamtAmt *amt;
    MeiBus *bus;
    size_t pos = 0;

    vamt_firmware_init(&fw);
    amt = vamt_amt_new(&fw, &fuzz_ops, NULL);
    bus = mei_bus_new(&fuzz_ops, NULL, amt);
    mei_bus_link_up(bus);

    while (pos < size) {
        uint8_t op = data[pos++];

        switch (op % 5) {
        case 0:
        case 1: {
            /* a fragment: header, then up to 508 payload bytes */
            uint32_t hdr = 0;
            size_t len;

            if (size - pos < 4) {
                pos = size;
                break;
            }
            memcpy(&hdr, data + pos, 4);
            pos += 4;
            if (op & 0x80) {
                hdr &= 0x8000ff1f;      /* plausible: reach the clients */
            }
            len = MIN(MEI_HDR_LENGTH(hdr), size - pos);
            len = MIN(len, MEI_MAX_FRAGMENT);
            if (mei_bus_can_receive(bus)) {
                mei_bus_receive(bus, hdr, data + pos, len);
            }
            pos += len;
            break;
        }
        case 2:
            drain(bus, 1 + (op >> 3) * 16);
            break;
        case 3:
            mei_bus_link_reset(bus);
            mei_bus_link_up(bus);
            break;
        case 4: {
            GByteArray *blob = g_byte_array_new();

            mei_bus_save(bus, blob);
            g_assert(mei_bus_load(bus, blob->data, blob->len, NULL));
            g_byte_array_unref(blob);
            mei_bus_timer_expired(bus);
            break;
        }
        }
    }
    drain(bus, MEI_MAX_FRAGMENT);
    mei_bus_free(bus);
    vamt_amt_free(amt);
    return 0;
}
