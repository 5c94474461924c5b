/*
 * vAMT ME core: HTTP/1.1 syntax (RFC 9110, 9112) the server needs
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_HTTP_SYNTAX_H
#define VAMT_ME_HTTP_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A token character (tchar) */
bool vamt_http_is_tchar(char c);
/* @len bytes of token characters, at least one */
bool vamt_http_is_token(const char *s, size_t len);
/* The request-target without scheme, authority and query; NULL if unusable */
char *vamt_http_target_path(const char *target);
/*
 * A Content-Length value: digits, or a list of equal ones; false for
 * anything else or more than 15 digits
 */
bool vamt_http_parse_content_length(const char *value, uint64_t *len);

#endif
