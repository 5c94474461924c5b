/*
 * vAMT ME core: the hardened reader of untrusted XML request bodies
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <libxml/parser.h>
#include <string.h>

#include "xml-reader.h"

static bool tree_depth_exceeds(xmlNode *root, unsigned max_depth)
{
    xmlNode *n = root;
    unsigned depth = 1;

    /* iterative walk: a recursive one would be the attack surface */
    while (n) {
        if (n->children && n->type == XML_ELEMENT_NODE) {
            n = n->children;
            if (++depth > max_depth) {
                return true;
            }
            continue;
        }
        while (n && !n->next) {
            n = n->parent;
            depth--;
            if (n == root || !n || n->type == XML_DOCUMENT_NODE) {
                return false;
            }
        }
        if (n) {
            n = n->next;
        }
    }
    return false;
}

xmlDoc *vamt_xml_read(const uint8_t *body, size_t len, size_t max_len,
                      unsigned max_depth, VamtXmlError *err)
{
    xmlDoc *doc;
    xmlNode *root;

    if (len > max_len) {
        *err = VAMT_XML_TOO_BIG;
        return NULL;
    }
    if (len >= 2 && (!body[0] || !body[1] || (body[0] == 0xfe &&
                     body[1] == 0xff) || (body[0] == 0xff &&
                     body[1] == 0xfe))) {
        *err = VAMT_XML_BAD_ENCODING;
        return NULL;
    }
    /* refuse before parsing, so no entity is ever declared */
    if (g_strstr_len((const char *)body, len, "<!DOCTYPE") ||
        g_strstr_len((const char *)body, len, "<!ENTITY")) {
        *err = VAMT_XML_DOCTYPE;
        return NULL;
    }
    if (!len || memchr(body, 0, len)) {
        *err = VAMT_XML_MALFORMED;
        return NULL;
    }
    xmlInitParser();
    doc = xmlReadMemory((const char *)body, len, NULL, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                        XML_PARSE_NOWARNING);
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root) {
        *err = VAMT_XML_MALFORMED;
        goto fail;
    }
    if (doc->intSubset || doc->extSubset) {
        *err = VAMT_XML_DOCTYPE;
        goto fail;
    }
    if (doc->encoding &&
        g_ascii_strcasecmp((const char *)doc->encoding, "UTF-8") &&
        g_ascii_strcasecmp((const char *)doc->encoding, "US-ASCII")) {
        *err = VAMT_XML_BAD_ENCODING;
        goto fail;
    }
    if (tree_depth_exceeds(root, max_depth)) {
        *err = VAMT_XML_TOO_DEEP;
        goto fail;
    }
    *err = VAMT_XML_OK;
    return doc;

fail:
    xmlFreeDoc(doc);
    return NULL;
}
