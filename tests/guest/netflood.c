/*
 * netflood: a guest that floods its own NIC with hostile frames, for
 * tests/net/run-lan-test.sh.  Everything the guest sends passes the
 * ME's endpoint on its way out (it learns the guest's address from it),
 * so this is what a compromised or broken guest OS can throw at the ME
 * from the inside: random bytes, truncated and lying headers, ARP that
 * claims other addresses, IPv4 from other sources, DHCP junk, VLAN tags,
 * frames with other source MACs.
 *
 *   netflood IFACE COUNT [SEED]
 *
 * Sends COUNT frames on IFACE through an AF_PACKET socket and prints
 * "NETFLOOD sent N frames B bytes errors E in S s" when done.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng_state;

static uint32_t rnd(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static void rnd_bytes(uint8_t *p, size_t n)
{
    while (n--) {
        *p++ = rnd();
    }
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
    while (n > 1) {
        sum += (p[0] << 8) | p[1];
        p += 2;
        n -= 2;
    }
    if (n) {
        sum += p[0] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum;
}

static uint8_t mac[6];
static uint32_t my_ip;          /* host byte order */

/* Ethernet header: from us (or a random source), to broadcast or random */
static size_t eth(uint8_t *f, uint16_t type)
{
    if (rnd() % 4) {
        memset(f, 0xff, 6);
    } else {
        rnd_bytes(f, 6);
    }
    if (rnd() % 8) {
        memcpy(f + 6, mac, 6);
    } else {
        rnd_bytes(f + 6, 6);
        f[6] &= 0xfe;           /* a unicast source */
    }
    put16(f + 12, type);
    return 14;
}

/* An IPv4 header at @ip for @payload bytes of @proto, maybe lying */
static void ipv4(uint8_t *ip, uint8_t proto, size_t payload, uint32_t src,
                 uint32_t dst)
{
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, 20 + payload);
    put16(ip + 4, rnd());
    put16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = proto;
    put16(ip + 10, 0);
    put32(ip + 12, src);
    put32(ip + 16, dst);
    put16(ip + 10, csum(ip, 20, 0));
}

static uint32_t some_ip(void)
{
    switch (rnd() % 6) {
    case 0:
        return rnd();
    case 1:
        return 0;
    case 2:
        return 0xffffffff;
    default:
        /* a neighbour on our /24 */
        return (my_ip & 0xffffff00) | (rnd() & 0xff);
    }
}

static size_t frame_random(uint8_t *f)
{
    size_t n = 14 + rnd() % 1501;

    rnd_bytes(f, n);
    return n;
}

static size_t frame_arp(uint8_t *f)
{
    size_t n = eth(f, ETHERTYPE_ARP);
    uint8_t *a = f + n;

    put16(a, 1);
    put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, 1 + rnd() % 2);
    memcpy(a + 8, mac, 6);
    put32(a + 14, some_ip());           /* claim an address not ours */
    rnd_bytes(a + 18, 6);
    put32(a + 24, some_ip());
    switch (rnd() % 4) {
    case 0:
        a[4] = rnd();                   /* lying lengths */
        a[5] = rnd();
        break;
    case 1:
        put16(a, rnd());
        put16(a + 2, rnd());
        break;
    case 2:
        return n + rnd() % 28;          /* truncated */
    }
    return n + 28;
}

static size_t frame_ipv4(uint8_t *f)
{
    size_t n = eth(f, ETHERTYPE_IP);
    uint8_t *ip = f + n;
    size_t payload = rnd() % 200;
    static const uint8_t protos[] = { 1, 6, 17, 47, 255 };
    uint8_t proto = protos[rnd() % sizeof(protos)];

    rnd_bytes(ip + 20, payload);
    ipv4(ip, proto, payload, some_ip(), some_ip());
    switch (rnd() % 5) {
    case 0:
        ip[0] = rnd();                  /* version, IHL */
        break;
    case 1:
        put16(ip + 2, rnd());           /* total length */
        break;
    case 2:
        put16(ip + 6, rnd());           /* fragments */
        break;
    case 3:
        return n + rnd() % 20;          /* truncated */
    }
    return n + 20 + payload;
}

/* DHCP: client messages and server replies with broken options */
static size_t frame_dhcp(uint8_t *f)
{
    size_t n = eth(f, ETHERTYPE_IP);
    uint8_t *ip = f + n, *udp = ip + 20, *bootp = udp + 8;
    size_t opts = rnd() % 64, len = 240 + opts;
    int reply = rnd() % 2;

    memset(bootp, 0, 240);
    bootp[0] = reply ? 2 : 1;
    bootp[1] = 1;
    bootp[2] = 6;
    put32(bootp + 4, rnd());
    put32(bootp + 16, some_ip());       /* yiaddr */
    memcpy(bootp + 28, mac, 6);
    put32(bootp + 236, 0x63825363);
    rnd_bytes(bootp + 240, opts);
    if (opts >= 3 && rnd() % 2) {
        bootp[240] = 53;                /* message type ACK, or junk */
        bootp[241] = rnd() % 2 ? 1 : rnd();
        bootp[242] = 5;
    }
    put16(udp, reply ? 67 : 68);
    put16(udp + 2, reply ? 68 : 67);
    put16(udp + 4, rnd() % 4 ? 8 + len : rnd());
    put16(udp + 6, 0);
    ipv4(ip, 17, 8 + len, rnd() % 2 ? my_ip : 0, 0xffffffff);
    return n + 28 + len;
}

/* TCP from "us" with other source addresses, odd flags and options */
static size_t frame_tcp(uint8_t *f)
{
    size_t n = eth(f, ETHERTYPE_IP);
    uint8_t *ip = f + n, *tcp = ip + 20;
    size_t payload = rnd() % 64;

    put16(tcp, rnd() % 2 ? 16992 + rnd() % 4 : rnd());
    put16(tcp + 2, rnd() % 2 ? 16992 + rnd() % 4 : rnd());
    put32(tcp + 4, rnd());
    put32(tcp + 8, rnd());
    tcp[12] = (rnd() % 16) << 4;
    tcp[13] = rnd();
    put16(tcp + 14, rnd());
    put16(tcp + 16, 0);
    put16(tcp + 18, 0);
    rnd_bytes(tcp + 20, payload);
    ipv4(ip, 6, 20 + payload, rnd() % 2 ? my_ip : some_ip(), some_ip());
    return n + 40 + payload;
}

/* an 802.1Q tag, then one of the IPv4 frames */
static size_t frame_vlan(uint8_t *f)
{
    uint8_t inner[1600];
    size_t len = frame_ipv4(inner);

    memcpy(f, inner, 12);
    put16(f + 12, 0x8100);
    put16(f + 14, rnd() & 0xfff);
    memcpy(f + 16, inner + 12, len - 12);
    return len + 4;
}

int main(int argc, char **argv)
{
    static uint8_t frame[1600];
    struct sockaddr_ll sll = { 0 };
    struct ifreq ifr = { 0 };
    unsigned long count, sent = 0, errors = 0, bytes = 0;
    struct timespec t0, t1;
    int fd;

    if (argc < 3) {
        fprintf(stderr, "usage: netflood IFACE COUNT [SEED]\n");
        return 2;
    }
    count = atol(argv[2]);
    rng_state = argc > 3 ? (uint64_t)atoll(argv[3]) : 0x5eed;
    rng_state |= 1;

    fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0) {
        perror("netflood: socket");
        return 1;
    }
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
    if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
        perror("netflood: SIOCGIFINDEX");
        return 1;
    }
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifr.ifr_ifindex;
    sll.sll_protocol = htons(ETH_P_ALL);
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0) {
        memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    }
    if (ioctl(fd, SIOCGIFADDR, &ifr) == 0) {
        my_ip = ntohl(((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr);
    }
    if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        perror("netflood: bind");
        return 1;
    }

    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (sent < count) {
        size_t len;

        memset(frame, 0, sizeof(frame));
        switch (rnd() % 7) {
        case 0:
            len = frame_random(frame);
            break;
        case 1:
            len = frame_arp(frame);
            break;
        case 2:
            len = frame_ipv4(frame);
            break;
        case 3:
            len = frame_dhcp(frame);
            break;
        case 4:
            len = frame_tcp(frame);
            break;
        case 5:
            len = frame_vlan(frame);
            break;
        default:
            /* a runt: shorter than an Ethernet header's worth of data */
            len = 14 + rnd() % 4;
            eth(frame, rnd() % 2 ? ETHERTYPE_IP : ETHERTYPE_ARP);
            break;
        }
        if (len < 14) {
            len = 14;
        }
        if (send(fd, frame, len, 0) < 0) {
            errors++;
            if (errno == ENOBUFS || errno == EAGAIN) {
                usleep(1000);           /* the NIC's ring is full */
            }
        } else {
            bytes += len;
        }
        sent++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("NETFLOOD sent %lu frames %lu bytes errors %lu in %.2f s\n", sent,
           bytes, errors,
           (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    close(fd);
    return 0;
}
