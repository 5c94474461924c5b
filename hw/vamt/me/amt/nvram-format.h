/*
 * vAMT ME core: the NVRAM file format
 *
 * The ME's state (vamt_amt_save()) is kept in a plain file with two slots,
 * so that a write torn by a crash or power loss never costs the last good
 * state: each write goes to the slot that does not hold the newest state,
 * and a reader takes the valid slot with the newest generation.
 *
 * Layout, all integers little-endian:
 *
 *   header, VAMT_NVRAM_HEADER_SIZE bytes at offset 0:
 *     0  magic "vAMTnvrm" (8 bytes)
 *     8  u32 format version (VAMT_NVRAM_VERSION)
 *    12  u32 slot size in bytes, slot header included
 *    16  u32 CRC-32 of bytes 0..15
 *    20  zeros up to VAMT_NVRAM_HEADER_SIZE
 *   slot n (0 or 1) at VAMT_NVRAM_HEADER_SIZE + n * slot size:
 *     0  u64 generation (1, 2, ..., 2^64-1, 1, ...; 0 is never written);
 *        of the two, the newer is the one ahead modulo 2^64
 *     8  u32 payload length (at least 1, at most slot size - 16)
 *    12  u32 CRC-32 of bytes 0..11 and the payload
 *    16  payload: a vamt_amt_save() blob
 *
 * The CRC is CRC-32/ISO-HDLC (the one of zlib, Ethernet and PNG).  The
 * first 20 bytes of the header keep this meaning in every format version,
 * so that a reader recognizes a file of another version and leaves it be.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_NVRAM_FORMAT_H
#define VAMT_ME_NVRAM_FORMAT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VAMT_NVRAM_MAGIC            "vAMTnvrm"
#define VAMT_NVRAM_VERSION          1
#define VAMT_NVRAM_HEADER_SIZE      4096
#define VAMT_NVRAM_SLOT_HEADER_SIZE 16
/* Twice the largest state (full logs and user table) */
#define VAMT_NVRAM_SLOT_SIZE        (64 * 1024)
/* What a reader accepts from a header, so a bad one cannot ask for GiBs */
#define VAMT_NVRAM_MAX_SLOT_SIZE    (16 * 1024 * 1024)
#define VAMT_NVRAM_MAX_FILE_SIZE    (VAMT_NVRAM_HEADER_SIZE + \
                                     2 * VAMT_NVRAM_MAX_SLOT_SIZE)

/* CRC-32/ISO-HDLC; start with @crc 0 and chain calls like zlib's crc32() */
uint32_t vamt_crc32(uint32_t crc, const void *data, size_t len);

/* Where the newest state of a file is, which decides the next write */
typedef struct VamtNvramLayout {
    uint32_t slot_size;         /* 0: no valid header, write a new one */
    int active;                 /* slot of the newest state, -1: none */
    uint64_t generation;        /* its generation, 0 when none */
} VamtNvramLayout;

typedef enum VamtNvramStatus {
    VAMT_NVRAM_VALID,           /* a slot holds a state */
    VAMT_NVRAM_EMPTY,           /* a zero-length file: a new NVRAM */
    VAMT_NVRAM_CORRUPT,         /* no valid header, or no valid slot */
    VAMT_NVRAM_UNSUPPORTED,     /* a vAMT NVRAM of another format version */
} VamtNvramStatus;

typedef struct VamtNvramContents {
    VamtNvramStatus status;
    VamtNvramLayout layout;
    uint32_t version;           /* the header's format version, 0 if none */
    const uint8_t *payload;     /* VALID: points into the decoded image */
    uint32_t len;
    /* What was ignored and why (both slots, or the older one); or NULL */
    char *problem;
} VamtNvramContents;

/*
 * Decode the file image @data (the whole file, or its first
 * VAMT_NVRAM_MAX_FILE_SIZE bytes).  A slot that is torn, truncated or
 * fails its CRC is ignored.  Free out->problem with
 * vamt_nvram_contents_clear().
 */
void vamt_nvram_decode(const uint8_t *data, size_t len,
                       VamtNvramContents *out);
void vamt_nvram_contents_clear(VamtNvramContents *contents);

/* One write that stores a state: @data at file offset @offset */
typedef struct VamtNvramWrite {
    uint64_t offset;
    GByteArray *data;
    int slot;
    uint64_t generation;
} VamtNvramWrite;

/*
 * Prepare the write of @payload as the next generation, into the slot that
 * does not hold the newest state; with no valid header, the write is a new
 * header followed by slot 0.  False (and @err set) if @payload is empty or
 * does not fit a slot.  Free w->data with vamt_nvram_write_clear().
 */
bool vamt_nvram_encode(const VamtNvramLayout *layout, const uint8_t *payload,
                       size_t len, VamtNvramWrite *w, char **err);
/* The write reached the disk: it now holds the newest state. */
void vamt_nvram_committed(VamtNvramLayout *layout, const VamtNvramWrite *w);
void vamt_nvram_write_clear(VamtNvramWrite *w);

#endif
