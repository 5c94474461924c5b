/*
 * vAMT ME core: the hardened reader of untrusted XML request bodies
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <libxml/parser.h>
#include <stdbool.h>
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

/* Bodies handed to libxml2; the ME runs in one thread */
static uint64_t parse_count;

uint64_t vamt_xml_parse_count(void)
{
    return parse_count;
}

static bool is_xml_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool starts_with(const uint8_t *p, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);

    return len >= n && !memcmp(p, prefix, n);
}

/*
 * libxml2 picks an encoding from the first bytes and the XML
 * declaration; anything but UTF-8 (e.g. EBCDIC or UTF-7) would hide
 * "<!DOCTYPE" from the text filter, so only UTF-8 gets that far.
 */
static VamtXmlError encoding_check(const uint8_t *body, size_t len)
{
    static const uint8_t ebcdic_xml_decl[] = { 0x4c, 0x6f, 0xa7, 0x94 };
    const uint8_t *decl_end;
    const uint8_t *p;
    size_t decl_len;
    char quote;

    if (starts_with(body, len, "\xef\xbb\xbf")) {
        body += 3;
        len -= 3;
    }
    if (!len) {
        return VAMT_XML_MALFORMED;
    }
    if ((len >= sizeof(ebcdic_xml_decl) &&
         !memcmp(body, ebcdic_xml_decl, sizeof(ebcdic_xml_decl))) ||
        body[0] == '+' || body[0] >= 0x80) {
        return VAMT_XML_BAD_ENCODING;       /* EBCDIC, UTF-7, other BOMs */
    }
    if (body[0] != '<' && !is_xml_space(body[0])) {
        return VAMT_XML_MALFORMED;
    }
    if (!g_utf8_validate((const char *)body, len, NULL)) {
        return VAMT_XML_BAD_ENCODING;
    }
    if (!starts_with(body, len, "<?xml") || len < 6 ||
        !is_xml_space(body[5])) {
        return VAMT_XML_OK;                 /* no declaration: UTF-8 */
    }
    decl_end = (const uint8_t *)g_strstr_len((const char *)body,
                                             MIN(len, 256), "?>");
    if (!decl_end) {
        return VAMT_XML_MALFORMED;
    }
    decl_len = decl_end - body;
    p = (const uint8_t *)g_strstr_len((const char *)body, decl_len,
                                      "encoding");
    if (!p) {
        return VAMT_XML_OK;
    }
    p += strlen("encoding");
    while (p < decl_end && is_xml_space(*p)) {
        p++;
    }
    if (p == decl_end || *p++ != '=') {
        return VAMT_XML_MALFORMED;
    }
    while (p < decl_end && is_xml_space(*p)) {
        p++;
    }
    if (p == decl_end || (*p != '"' && *p != '\'')) {
        return VAMT_XML_MALFORMED;
    }
    quote = *p++;
    for (decl_len = 0; p + decl_len < decl_end && p[decl_len] != quote;
         decl_len++) {
        /* the name runs to the closing quote */
    }
    if ((decl_len == 5 && !g_ascii_strncasecmp((const char *)p, "UTF-8", 5)) ||
        (decl_len == 8 &&
         !g_ascii_strncasecmp((const char *)p, "US-ASCII", 8))) {
        return VAMT_XML_OK;
    }
    return VAMT_XML_BAD_ENCODING;
}

/* Offset just past @end_mark at or after @from, or @len if absent */
static size_t skip_past(const uint8_t *body, size_t len, size_t from,
                        const char *end_mark)
{
    const char *hit;

    if (from >= len) {
        return len;
    }
    hit = g_strstr_len((const char *)body + from, len - from, end_mark);
    return hit ? (size_t)(hit - (const char *)body) + strlen(end_mark) : len;
}

/*
 * One linear pass over the markup that bounds what libxml2 will build:
 * depth, elements, attributes per element and in all.  It counts '='
 * outside quotes in start tags, which can only over-count, so the
 * bounds hold whatever libxml2 makes of a malformed body.
 */
static VamtXmlError markup_check(const uint8_t *body, size_t len,
                                 unsigned max_depth)
{
    unsigned depth = 0, elements = 0, attributes = 0;
    size_t i = 0;

    while (i < len) {
        const uint8_t *lt = memchr(body + i, '<', len - i);
        unsigned element_attributes = 0;
        uint8_t quote = 0;

        if (!lt) {
            break;
        }
        i = lt - body + 1;
        if (i >= len) {
            break;
        }
        if (body[i] == '/') {
            depth -= depth > 0;
            i = skip_past(body, len, i, ">");
            continue;
        }
        if (body[i] == '?') {
            i = skip_past(body, len, i, "?>");
            continue;
        }
        if (starts_with(body + i, len - i, "!--")) {
            i = skip_past(body, len, i + 3, "-->");
            continue;
        }
        if (starts_with(body + i, len - i, "![CDATA[")) {
            i = skip_past(body, len, i + 8, "]]>");
            continue;
        }
        if (++elements > VAMT_XML_MAX_ELEMENTS) {
            return VAMT_XML_TOO_MANY_ELEMENTS;
        }
        for (; i < len; i++) {
            if (quote) {
                quote = body[i] == quote ? 0 : quote;
            } else if (body[i] == '"' || body[i] == '\'') {
                quote = body[i];
            } else if (body[i] == '=') {
                if (++element_attributes > VAMT_XML_MAX_ELEMENT_ATTRIBUTES ||
                    ++attributes > VAMT_XML_MAX_ATTRIBUTES) {
                    return VAMT_XML_TOO_MANY_ATTRIBUTES;
                }
            } else if (body[i] == '>') {
                break;
            }
        }
        if (i < len && body[i - 1] != '/' && ++depth > max_depth) {
            return VAMT_XML_TOO_DEEP;
        }
        i++;
    }
    return VAMT_XML_OK;
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
    *err = encoding_check(body, len);
    if (*err == VAMT_XML_OK) {
        *err = markup_check(body, len, max_depth);
    }
    if (*err != VAMT_XML_OK) {
        return NULL;
    }
    xmlInitParser();
    parse_count++;
    /* the encoding was checked above; never let the body switch it */
    doc = xmlReadMemory((const char *)body, len, NULL, "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                        XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC);
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
