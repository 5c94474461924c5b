/*
 * vAMT NIC endpoint: System Defense, AMT's filters on the host's traffic
 *
 * The frames are read in place (wire.h's offsets): an 802.1 filter
 * looks at the Ethernet header only; an IP filter at IPv4 and, for TCP
 * and UDP, the ports of the first fragment (a later fragment has none
 * and matches no port range).  A rate limit is a bucket of rate_pps
 * packets refilled over a second.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "defense.h"
#include "wire.h"

typedef struct DefenseRule {
    VamtDefenseFilter filter;
    uint64_t matched;
    int64_t bucket_ms;              /* the rate limit's bucket, as a time */
} DefenseRule;

struct VamtDefense {
    DefenseRule *rules;
    size_t n_rules;
    bool active;
    bool default_drop[2];
    bool default_count[2];
    uint64_t defaults[2];
};

VamtDefense *vamt_defense_new(void)
{
    return g_new0(VamtDefense, 1);
}

void vamt_defense_free(VamtDefense *d)
{
    if (d) {
        g_free(d->rules);
        g_free(d);
    }
}

void vamt_defense_set_policy(VamtDefense *d, const VamtDefensePolicy *p)
{
    size_t n = p ? MIN(p->n_filters, VAMT_DEFENSE_MAX_FILTERS) : 0;

    g_free(d->rules);
    d->rules = g_new0(DefenseRule, n);
    d->n_rules = n;
    for (size_t i = 0; i < n; i++) {
        d->rules[i].filter = p->filters[i];
        d->rules[i].bucket_ms = INT64_MIN;
    }
    d->active = p != NULL;
    for (int dir = 0; dir < 2; dir++) {
        d->default_drop[dir] = p && p->default_drop[dir];
        d->default_count[dir] = p && p->default_count[dir];
        d->defaults[dir] = 0;
    }
}

bool vamt_defense_active(const VamtDefense *d)
{
    return d->active;
}

static bool mac_matches(const uint8_t *mac, const uint8_t *want,
                        const uint8_t *mask)
{
    for (int i = 0; i < ETH_ALEN; i++) {
        if ((mac[i] ^ want[i]) & mask[i]) {
            return false;
        }
    }
    return true;
}

static bool in_range(uint32_t v, uint32_t lo, uint32_t hi)
{
    return v >= lo && v <= hi;
}

static bool filter_matches(const VamtDefenseFilter *f, const uint8_t *frame,
                           size_t len)
{
    const uint8_t *ip = frame + ETH_HLEN;
    size_t hlen;
    uint16_t frag;

    if (len < ETH_HLEN) {
        return false;
    }
    if (!f->ip) {
        return vamt_be16(frame + 12) == f->ethertype &&
               mac_matches(frame + ETH_ALEN, f->src_mac, f->src_mac_mask) &&
               mac_matches(frame, f->dst_mac, f->dst_mac_mask);
    }
    if (vamt_be16(frame + 12) != ETH_TYPE_IPV4 || len < ETH_HLEN + IP_HLEN ||
        (ip[0] >> 4) != 4) {
        return false;
    }
    hlen = (ip[0] & 0xf) * 4;
    if ((f->has_src && !in_range(vamt_be32(ip + 12), f->src_lo, f->src_hi)) ||
        (f->has_dst && !in_range(vamt_be32(ip + 16), f->dst_lo, f->dst_hi)) ||
        (f->has_proto && ip[9] != f->proto)) {
        return false;
    }
    if (!f->has_sport && !f->has_dport) {
        return true;
    }
    frag = vamt_be16(ip + 6);
    if ((ip[9] != IP_PROTO_TCP && ip[9] != IP_PROTO_UDP) ||
        (frag & IP_OFFSET_MASK) || hlen < IP_HLEN ||
        len < ETH_HLEN + hlen + 4) {
        return false;
    }
    return (!f->has_sport || in_range(vamt_be16(ip + hlen), f->sport_lo,
                                      f->sport_hi)) &&
           (!f->has_dport || in_range(vamt_be16(ip + hlen + 2), f->dport_lo,
                                      f->dport_hi));
}

/* One packet out of the bucket, if there is one */
static bool rate_allows(DefenseRule *r, int64_t now)
{
    int64_t cost;

    if (!r->filter.rate_pps) {
        return false;
    }
    cost = MAX(1000 / r->filter.rate_pps, 1);
    /* the bucket is full when its time lies a second or more back */
    r->bucket_ms = MAX(r->bucket_ms, now - 1000);
    if (r->bucket_ms + cost > now) {
        return false;
    }
    r->bucket_ms += cost;
    return true;
}

bool vamt_defense_drops(VamtDefense *d, VamtDefenseDirection direction,
                        const uint8_t *frame, size_t len, int64_t now)
{
    if (!d->active) {
        return false;
    }
    for (size_t i = 0; i < d->n_rules; i++) {
        DefenseRule *r = &d->rules[i];

        if (r->filter.direction != direction ||
            !filter_matches(&r->filter, frame, len)) {
            continue;
        }
        r->matched++;
        switch (r->filter.profile) {
        case VAMT_DEFENSE_STATS_DROP:
        case VAMT_DEFENSE_DROP:
            return true;
        case VAMT_DEFENSE_RATE_LIMIT:
            return !rate_allows(r, now);
        default:
            return false;
        }
    }
    if (d->default_count[direction]) {
        d->defaults[direction]++;
    }
    return d->default_drop[direction];
}

bool vamt_defense_matched(const VamtDefense *d, uint32_t handle,
                          uint64_t *packets)
{
    for (size_t i = 0; i < d->n_rules; i++) {
        if (d->rules[i].filter.handle == handle) {
            *packets = d->rules[i].matched;
            return true;
        }
    }
    return false;
}

uint64_t vamt_defense_default_count(const VamtDefense *d,
                                    VamtDefenseDirection direction)
{
    return d->defaults[direction & 1];
}

void vamt_defense_reset_counters(VamtDefense *d)
{
    for (size_t i = 0; i < d->n_rules; i++) {
        d->rules[i].matched = 0;
    }
    d->defaults[0] = d->defaults[1] = 0;
}
