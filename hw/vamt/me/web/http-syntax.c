/*
 * vAMT ME core: HTTP/1.1 syntax (RFC 9110, 9112) the server needs
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "http.h"
#include "http-syntax.h"

const char *vamt_http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Request Entity Too Large";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

bool vamt_http_is_tchar(char c)
{
    return g_ascii_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool vamt_http_is_token(const char *s, size_t len)
{
    size_t i;

    if (len == 0) {
        return false;
    }
    for (i = 0; i < len; i++) {
        if (!vamt_http_is_tchar(s[i])) {
            return false;
        }
    }
    return true;
}

/* Target without scheme, authority and query; NULL if unusable */
char *vamt_http_target_path(const char *target)
{
    const char *p = target;
    const char *end;

    if (g_ascii_strncasecmp(p, "http://", 7) == 0) {
        p = strchr(p + 7, '/');
    } else if (g_ascii_strncasecmp(p, "https://", 8) == 0) {
        p = strchr(p + 8, '/');
    } else if (strcmp(p, "*") == 0) {
        return g_strdup(p);
    } else if (*p != '/') {
        return NULL;
    }
    if (!p) {
        return g_strdup("/");
    }
    end = strchr(p, '?');
    return end ? g_strndup(p, end - p) : g_strdup(p);
}

bool vamt_http_parse_content_length(const char *value, uint64_t *len)
{
    char **items = g_strsplit(value, ",", -1);
    bool ok = items[0] != NULL;
    size_t i;

    for (i = 0; items[i] && ok; i++) {
        const char *s = g_strstrip(items[i]);
        guint64 n;

        ok = *s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 15 &&
             g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT64, &n, NULL);
        if (ok && i > 0 && n != *len) {
            ok = false;
        }
        if (ok) {
            *len = n;
        }
    }
    g_strfreev(items);
    return ok;
}
