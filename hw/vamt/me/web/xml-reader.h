/*
 * vAMT ME core: the hardened reader of untrusted XML request bodies
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_XML_READER_H
#define VAMT_ME_XML_READER_H

#include <stddef.h>
#include <stdint.h>
#include <libxml/tree.h>

/* Why a request body was refused by vamt_xml_read() */
typedef enum VamtXmlError {
    VAMT_XML_OK,
    VAMT_XML_TOO_BIG,
    VAMT_XML_BAD_ENCODING,      /* not UTF-8 */
    VAMT_XML_MALFORMED,
    VAMT_XML_DOCTYPE,           /* DTDs and entities are never accepted */
    VAMT_XML_TOO_DEEP,
} VamtXmlError;

/*
 * Parse an untrusted body: no network, no DTD, no entity expansion,
 * bounded size and depth; undeclared prefixes are tolerated (they stay
 * in the element name).  NULL with *@err set on refusal.
 */
xmlDoc *vamt_xml_read(const uint8_t *body, size_t len, size_t max_len,
                      unsigned max_depth, VamtXmlError *err);

#endif
