/*
 * vAMT ME core: byte order of the wire formats (MEI, APF, NVRAM, blobs,
 * RMCP)
 *
 * The core does not use QEMU's bswap.h, so these are its only helpers
 * for loading and storing integers in a given byte order.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_BYTE_ORDER_H
#define VAMT_ME_BYTE_ORDER_H

#include <stdint.h>

static inline uint16_t vamt_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t vamt_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
           ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t vamt_le64(const uint8_t *p)
{
    return vamt_le32(p) | (uint64_t)vamt_le32(p + 4) << 32;
}

static inline uint16_t vamt_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t vamt_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void vamt_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}

static inline void vamt_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

static inline void vamt_put_le64(uint8_t *p, uint64_t v)
{
    vamt_put_le32(p, v);
    vamt_put_le32(p + 4, v >> 32);
}

static inline void vamt_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static inline void vamt_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

#endif
