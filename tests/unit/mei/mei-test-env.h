/*
 * The MEI bus unit tests' environment: a bus on the ME core's AMT state
 * with a fake platform, and a host that speaks to it as Linux's mei
 * driver does (fragments, HBM, credits).  Shared by test-vamt-mei-bus.c
 * (the bus and its clients) and test-vamt-amthi.c (AMTHI).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_MEI_TEST_ENV_H
#define VAMT_MEI_TEST_ENV_H

#include <glib.h>

#include "firmware.h"
#include "mei-bus.h"
#include "mei-wire.h"

#define ADDR_MKHI_FIXED 0x07
#define ADDR_MKHI       0x08
#define ADDR_AMTHI      0x10
#define ADDR_WD         0x11
#define ADDR_LME        0x12

typedef struct Platform {
    int64_t now_ms;
    int64_t deadline_ms;
    unsigned tx_ready;
    unsigned wd_expired;
    uint8_t random_byte;
    VamtFirmware fw;
    VamtAmt *amt;
} Platform;

typedef struct Msg {
    uint8_t me_addr;
    uint8_t host_addr;
    unsigned fragments;
    GByteArray *data;
} Msg;

MeiBus *bus_new(Platform *p);
void bus_free(Platform *p, MeiBus *bus);
void send(MeiBus *bus, uint8_t me, uint8_t host, const void *data,
          size_t len);
bool recv(MeiBus *bus, Msg *m);
void msg_clear(Msg *m);
void assert_nothing(MeiBus *bus);
void expect_hbm(MeiBus *bus, const uint8_t *want, size_t n,
                size_t total);
void start(MeiBus *bus);
void connect(MeiBus *bus, uint8_t me, uint8_t host, uint8_t status);
void host_credit(MeiBus *bus, uint8_t me, uint8_t host);
void expect_credit(MeiBus *bus, uint8_t me, uint8_t host);
void amthi_send(MeiBus *bus, uint8_t host, uint32_t cmd,
                uint32_t length_field, size_t len);

#endif
