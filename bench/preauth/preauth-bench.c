/*
 * vAMT benchmark: what a peer can make the ME spend before it
 * authenticates
 *
 * Every request goes to the in-process HTTP server of a whole ME (fresh
 * connection each, fake platform underneath), so the figure is the CPU
 * time QEMU's main loop would be blocked for.  The costliest bodies we
 * know how to build are printed beside a plain small Identify, the
 * baseline, as a ratio.  Figures only: nothing is asserted.
 *
 * Usage: preauth-bench [-n ITERATIONS]
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "me.h"
#include "vamt-test-support.h"
#include "wsman.h"
#include "xml-reader.h"

typedef struct Case {
    const char *name;
    char *request;
} Case;

static double cpu_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* An Identify padded to @size with @unit repeated inside its Header */
static GString *identify_padded(size_t size, const char *unit)
{
    GString *body = vamt_test_identify_with_attributes(0);
    char *header = strstr(body->str, "<s:Header/>");
    gssize at = header - body->str;
    GString *pad = g_string_new("<s:Header>");

    while (body->len + pad->len + strlen(unit) + 12 <= size) {
        g_string_append(pad, unit);
    }
    g_string_append(pad, "</s:Header>");
    g_string_erase(body, at, strlen("<s:Header/>"));
    g_string_insert(body, at, pad->str);
    g_string_free(pad, TRUE);
    return body;
}

/*
 * The worst an anonymous body that is parsed can hold: 64 levels, each
 * declaring 63 namespaces, and then undeclared prefixes for libxml2 to
 * look up through all of them, to the anonymous size limit.
 */
static GString *identify_namespace_stack(size_t size)
{
    GString *open = g_string_new(NULL);
    GString *close = g_string_new(NULL);
    GString *body = vamt_test_identify_with_attributes(0);
    char *header = strstr(body->str, "<s:Header/>");
    gssize at = header - body->str;
    unsigned depth = 0;

    g_string_append(open, "<s:Header>");
    while (depth < VAMT_WSMAN_MAX_DEPTH - 4 &&
           body->len + open->len + close->len + 600 < size) {
        g_string_append(open, "<u:e");
        for (unsigned i = 0; i < VAMT_XML_MAX_ELEMENT_ATTRIBUTES - 1 &&
             body->len + open->len + close->len + 40 < size; i++) {
            g_string_append_printf(open, " xmlns:n%u='x'", i);
        }
        g_string_append_c(open, '>');
        g_string_prepend(close, "</u:e>");
        depth++;
    }
    g_string_append(open, close->str);
    g_string_append(open, "</s:Header>");
    g_string_erase(body, at, strlen("<s:Header/>"));
    g_string_insert(body, at, open->str);
    g_string_free(open, TRUE);
    g_string_free(close, TRUE);
    return body;
}

static char *post(const char *authorization, const GString *body)
{
    return vamt_test_post_request("vamt", "/wsman", authorization,
                                  body->str);
}

/* Send @request @n times; median and worst CPU microseconds per request */
static void measure(VamtMe *me, const char *request, unsigned n,
                    double *median, double *worst, char **status)
{
    double *t = g_new(double, n);

    for (unsigned i = 0; i < n; i++) {
        double start = cpu_us();
        char *rsp = vamt_test_http_send(me, request);

        t[i] = cpu_us() - start;
        if (i == 0) {
            *status = g_strndup(rsp + strlen("HTTP/1.1 "), 3);
        }
        g_free(rsp);
    }
    qsort(t, n, sizeof(*t), compare_doubles);
    *median = t[n / 2];
    *worst = t[n - 1];
    g_free(t);
}

int main(int argc, char **argv)
{
    VamtTestPlatform platform;
    VamtFirmware fw;
    VamtMe *me;
    unsigned n = 200;
    g_autofree char *wrong_auth = NULL;
    GString *small = vamt_test_identify_with_attributes(0);
    GString *attack = vamt_test_identify_with_attributes(37000);
    GString *at_limit = identify_padded(VAMT_WSMAN_MAX_ANONYMOUS_BODY,
                                        "<x a='' b='' c=''/>");
    GString *ns_stack = identify_namespace_stack(
        VAMT_WSMAN_MAX_ANONYMOUS_BODY);
    GString *wide = vamt_test_identify_with_attributes(
        VAMT_XML_MAX_ELEMENT_ATTRIBUTES);
    GString *mib = identify_padded(VAMT_HTTP_MAX_BODY_BYTES - 256,
                                   "<x a='' b='' c=''/>");
    Case cases[8];
    unsigned ncases = 0;
    double base_median = 0;

    if (argc == 3 && !strcmp(argv[1], "-n")) {
        n = MAX(1, atoi(argv[2]));
    }
    me = vamt_test_me_new(&platform, &fw);
    wrong_auth = vamt_test_admin_authorization(me, "not the password");

    cases[ncases++] = (Case) { "baseline: a plain Identify",
                               post(NULL, small) };
    cases[ncases++] = (Case) { "Identify, 64 attributes on it",
                               post(NULL, wide) };
    cases[ncases++] = (Case) { "Identify padded to 4 KiB, 3 attrs/element",
                               post(NULL, at_limit) };
    cases[ncases++] = (Case) { "Identify, 4 KiB of nested xmlns decls",
                               post(NULL, ns_stack) };
    cases[ncases++] = (Case) { "Identify, 37,000 attributes (256 KiB)",
                               post(NULL, attack) };
    cases[ncases++] = (Case) { "Identify padded to 1 MiB",
                               post(NULL, mib) };
    cases[ncases++] = (Case) { "1 MiB, wrong Digest password",
                               post(wrong_auth, mib) };

    printf("Pre-authentication CPU time per request, in-process ME, "
           "%u requests each\n", n);
    printf("%-44s %9s %7s %10s %10s %8s\n", "body", "bytes", "status",
           "median us", "worst us", "ratio");
    for (unsigned i = 0; i < ncases; i++) {
        double median, worst;
        g_autofree char *status = NULL;
        const char *body = strstr(cases[i].request, "\r\n\r\n") + 4;
        uint64_t parses = vamt_xml_parse_count();

        measure(me, cases[i].request, n, &median, &worst, &status);
        if (!i) {
            base_median = median;
        }
        printf("%-44s %9zu %7s %10.1f %10.1f %7.1fx  (%.1f parses/req)\n",
               cases[i].name, strlen(body), status, median, worst,
               median / base_median,
               (double)(vamt_xml_parse_count() - parses) / n);
        g_free(cases[i].request);
    }
    printf("(before the fix the 256 KiB case cost ~2.4 s: two libxml2 "
           "parses with quadratic attribute checks)\n");

    vamt_me_free(me);
    vamt_test_platform_destroy(&platform);
    g_string_free(small, TRUE);
    g_string_free(attack, TRUE);
    g_string_free(at_limit, TRUE);
    g_string_free(ns_stack, TRUE);
    g_string_free(wide, TRUE);
    g_string_free(mib, TRUE);
    return 0;
}
