/*
 * libFuzzer target: WS-Management sessions dispatched as the
 * authenticated admin.  The input is up to 16 envelopes separated by
 * FUZZ_SEPARATOR; "@CTX@" stands for the last enumeration context, so
 * Enumerate, Pull and Release chains are reachable.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdint.h>

#include "fuzz-common.h"
#include "fuzz-target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzMe f;

    fuzz_me_init(&f);
    fuzz_soap_session(&f, "/wsman", data, size);
    fuzz_me_destroy(&f);
    return 0;
}
