/*
 * libFuzzer target: ASF presence over RMCP, what any host on the network
 * can send to UDP port 623.
 *
 * The input is a sequence of datagrams, each a length byte and that many
 * bytes, fed to one ME (its clock advancing by the length byte's top
 * bits), and each also to the pure formatter with an info taken from
 * the datagram.  Checked: only a 12-byte Presence Ping is answered,
 * with exactly one 28-byte pong (and a 4-byte ACK only when asked
 * for), never to an RMCP ACK or a pong, and never more often than the
 * rate limit allows.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "byte-order.h"
#include "me.h"
#include "rmcp.h"
#include "fuzz-target.h"
#include "vamt-test-support.h"

static void check_answer(const uint8_t *in, size_t len, size_t pong_len,
                         const uint8_t *pong, size_t ack_len)
{
    if (!pong_len) {
        g_assert(!ack_len);
        return;
    }
    g_assert(pong_len == VAMT_RMCP_PONG_LEN);
    g_assert(len == VAMT_RMCP_PING_LEN);
    g_assert(in[3] == VAMT_RMCP_CLASS_ASF && in[8] == VAMT_ASF_PRESENCE_PING);
    g_assert(pong[8] == VAMT_ASF_PRESENCE_PONG && pong[9] == in[9]);
    g_assert(pong[11] == VAMT_RMCP_PONG_LEN - VAMT_RMCP_PING_LEN);
    g_assert(ack_len == (in[2] != VAMT_RMCP_SEQ_NO_ACK ?
                         VAMT_RMCP_ACK_LEN : 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    VamtTestPlatform platform;
    VamtFirmware fw;
    VamtMe *me = vamt_test_me_new(&platform, &fw);
    int64_t window_start = platform.ms;
    unsigned answered = 0;
    size_t pos = 0;

    while (pos < size) {
        size_t len = MIN(data[pos] & 0x1f, size - pos - 1);
        const uint8_t *in = data + pos + 1;
        int64_t step = (data[pos] >> 5) * 100;
        VamtRmcpReply r;
        uint8_t out[VAMT_RMCP_PONG_LEN], ack[VAMT_RMCP_ACK_LEN];
        uint8_t again[VAMT_RMCP_PONG_LEN];
        VamtRmcpInfo info = {
            .amt_major = len > 0 ? in[0] : 0,
            .amt_minor = len > 1 ? in[1] : 0,
            .provisioning_state = len > 2 ? in[2] : 0,
            .http_port = len > 4 ? vamt_be16(in + 3) : 0,
            .tls_port = len > 6 ? vamt_be16(in + 5) : 0,
        };
        size_t n, a;

        pos += 1 + len;
        platform.ms += step;
        if (platform.ms - window_start >= 1000) {
            window_start = platform.ms;
            answered = 0;
        }

        switch (vamt_me_rmcp_answer(me, in, len, info.http_port,
                                    info.tls_port, &r)) {
        case VAMT_RMCP_ANSWERED:
            check_answer(in, len, r.pong_len, r.pong, r.ack_len);
            /* a burst, plus what a second's refill adds */
            g_assert(++answered <= 2 * VAMT_ME_RMCP_PER_SECOND);
            break;
        case VAMT_RMCP_LIMITED:
            g_assert(len == VAMT_RMCP_PING_LEN);
            /* fall through */
        case VAMT_RMCP_DROPPED:
            g_assert(!r.pong_len && !r.ack_len);
            break;
        default:
            g_assert_not_reached();
        }

        n = vamt_rmcp_answer(in, len, &info, out, sizeof(out));
        a = vamt_rmcp_ack(in, len, ack, sizeof(ack));
        check_answer(in, len, n, out, a);
        if (n) {
            g_assert(vamt_be16(out + 16) ==
                     (info.http_port ? info.http_port : info.tls_port));
            g_assert((out[19] & VAMT_RMCP_OEM_PROV_MASK) ==
                     (info.provisioning_state & VAMT_RMCP_OEM_PROV_MASK));
            /* our own pong and ACK are never answered: no ping-pong */
            g_assert(!vamt_rmcp_answer(out, n, &info, again, sizeof(again)));
            g_assert(!a || !vamt_rmcp_answer(ack, a, &info, again,
                                             sizeof(again)));
        }
    }
    vamt_me_free(me);
    vamt_test_platform_destroy(&platform);
    return 0;
}
