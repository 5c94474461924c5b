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

/*
 * Bounds checked by a linear scan before libxml2 sees a body: libxml2
 * 2.9 checks duplicate attributes and resolves prefixes in quadratic
 * time, so these keep every parse small.  Console requests use at most
 * a few attributes per element and a few dozen elements.
 */
#define VAMT_XML_MAX_ELEMENT_ATTRIBUTES 64
#define VAMT_XML_MAX_ATTRIBUTES         2048
#define VAMT_XML_MAX_ELEMENTS           4096

/* Why a request body was refused by vamt_xml_read() */
typedef enum VamtXmlError {
    VAMT_XML_OK,
    VAMT_XML_TOO_BIG,
    VAMT_XML_BAD_ENCODING,      /* not UTF-8 */
    VAMT_XML_MALFORMED,
    VAMT_XML_DOCTYPE,           /* DTDs and entities are never accepted */
    VAMT_XML_TOO_DEEP,
    VAMT_XML_TOO_MANY_ATTRIBUTES,
    VAMT_XML_TOO_MANY_ELEMENTS,
} VamtXmlError;

/*
 * Parse an untrusted body: UTF-8 only, no network, no DTD, no entity
 * expansion, bounded size, depth, element and attribute counts;
 * undeclared prefixes are tolerated (they stay in the element name).
 * NULL with *@err set on refusal.
 */
xmlDoc *vamt_xml_read(const uint8_t *body, size_t len, size_t max_len,
                      unsigned max_depth, VamtXmlError *err);

/*
 * How many bodies vamt_xml_read() has handed to libxml2 so far: tests
 * use it to prove a refusal cost no parse.
 */
uint64_t vamt_xml_parse_count(void);

#endif
