/*
 * libFuzzer target: legacy EOI SOAP bodies (amttool) as the
 * authenticated admin.  The first byte picks the service; the rest is a
 * session of bodies separated by FUZZ_SEPARATOR, so that one request
 * meets the boot and power state the previous ones left.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "fuzz-common.h"
#include "fuzz-target.h"

static const char *const services[] = {
    "/RemoteControlService", "/SecurityAdministrationService",
    "/NetworkAdministrationService",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzMe f;
    const char *path;

    if (!size) {
        return 0;
    }
    path = services[data[0] % G_N_ELEMENTS(services)];
    fuzz_me_init(&f);
    fuzz_soap_session(&f, path, data + 1, size - 1);
    fuzz_me_destroy(&f);
    return 0;
}
