/*
 * The entry point libFuzzer calls, declared for -Wmissing-prototypes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_FUZZ_TARGET_H
#define VAMT_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
