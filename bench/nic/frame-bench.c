/*
 * frame-bench: what the ME's NIC endpoint costs a frame it lets pass
 *
 * Usage: frame-bench [FRAMES]
 *
 * Feeds the endpoint (net/vamt) the frames a busy guest sees, none of
 * them the ME's: TCP to the guest's port 80 (1514 bytes), UDP, ARP for
 * another address, and frames for another MAC; then the frames the guest
 * sends.  Prints the nanoseconds per frame of vamt_net_from_network()
 * and vamt_net_from_guest(), beside the baseline a filter pays anyway:
 * copying the frame out of its iovec (iov_to_buf in filter-vamt.c).
 * Figures, not a test.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "endpoint.h"
#include "byte-order.h"

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t peer_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static int64_t clock_ms;

static void bench_send(void *opaque, const uint8_t *frame, size_t len)
{
}

static int64_t bench_now(void *opaque)
{
    return clock_ms;
}

static void bench_set_timer(void *opaque, int64_t deadline)
{
}

static const VamtService *bench_service(void *opaque, uint16_t port)
{
    return NULL;
}

static const VamtNetOps bench_ops = {
    .send = bench_send,
    .now = bench_now,
    .set_timer = bench_set_timer,
    .service = bench_service,
};

static uint16_t ip_checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;

    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += vamt_be16(p + i);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum;
}

/* An Ethernet frame with an IPv4 header of @proto to @dst_port */
static size_t make_ip_frame(uint8_t *f, const uint8_t *dst_mac,
                            uint8_t proto, uint16_t dst_port, size_t len)
{
    uint8_t *ip = f + 14;

    memset(f, 0, len);
    memcpy(f, dst_mac, 6);
    memcpy(f + 6, peer_mac, 6);
    vamt_put_be16(f + 12, 0x0800);
    ip[0] = 0x45;
    vamt_put_be16(ip + 2, len - 14);
    ip[8] = 64;
    ip[9] = proto;
    vamt_put_be32(ip + 12, 0x0a000202);
    vamt_put_be32(ip + 16, 0x0a00020f);
    vamt_put_be16(ip + 10, ip_checksum(ip, 20));
    vamt_put_be16(ip + 20, 40000);
    vamt_put_be16(ip + 22, dst_port);
    if (proto == 6) {
        ip[32] = 5 << 4;
        ip[33] = 0x10;
    } else {
        vamt_put_be16(ip + 24, len - 34);
    }
    return len;
}

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long frames = argc > 1 ? atol(argv[1]) : 2000000;
    static const uint8_t other_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 1 };
    uint8_t set[4][1514], copy[1514];
    size_t lens[4];
    VamtNet *net = vamt_net_new(&bench_ops, NULL);
    /* volatile: the loops' results are used, so they are not dropped */
    volatile unsigned taken = 0;
    double t0, base, in, out;

    vamt_net_set_mac(net, guest_mac);
    vamt_net_set_static(net, 0x0a00020f, 0xffffff00, 0x0a000202);
    vamt_net_set_guest_running(net, true);
    lens[0] = make_ip_frame(set[0], guest_mac, 6, 80, 1514);
    lens[1] = make_ip_frame(set[1], guest_mac, 17, 5353, 200);
    lens[2] = make_ip_frame(set[2], other_mac, 6, 16992, 60);
    memset(set[3], 0, 60);
    memset(set[3], 0xff, 6);
    memcpy(set[3] + 6, peer_mac, 6);
    vamt_put_be16(set[3] + 12, 0x0806);
    lens[3] = 60;

    t0 = now_ns();
    for (long i = 0; i < frames; i++) {
        memcpy(copy, set[i & 3], lens[i & 3]);
        taken += copy[i & 63];
    }
    base = (now_ns() - t0) / frames;

    t0 = now_ns();
    for (long i = 0; i < frames; i++) {
        taken += vamt_net_from_network(net, set[i & 3], lens[i & 3], 0);
    }
    in = (now_ns() - t0) / frames;

    t0 = now_ns();
    for (long i = 0; i < frames; i++) {
        vamt_net_from_guest(net, set[i & 3], lens[i & 3]);
    }
    out = (now_ns() - t0) / frames;

    printf("frame-bench: %ld frames (TCP to port 80 of 1514 bytes, UDP, "
           "another MAC, ARP), none the ME's\n", frames);
    printf("  baseline, copying the frame:        %6.1f ns/frame\n", base);
    printf("  network -> guest (passed):          %6.1f ns/frame  "
           "(%.2f x the copy)\n", in, in / base);
    printf("  guest -> network (address learning): %5.1f ns/frame  "
           "(%.2f x the copy)\n", out, out / base);
    vamt_net_free(net);
    return taken == 0xffffffff;
}
