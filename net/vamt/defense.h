/*
 * vAMT NIC endpoint: System Defense, AMT's filters on the host's traffic
 *
 * A policy is a list of filters, each on one direction (AMT's
 * FilterDirection: 0 the host's outgoing traffic, 1 incoming), matching
 * an Ethernet header (AMT_Hdr8021Filter) or IPv4 and its ports
 * (AMT_IPHeadersFilter), with what happens on a match (FilterProfile),
 * and a default for each direction for what no filter matched.  The
 * first filter that matches decides.  The ME's own traffic is never
 * filtered.  Counters: packets each filter matched, and those the
 * defaults took.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_NET_DEFENSE_H
#define VAMT_NET_DEFENSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* AMT_*Filter.FilterDirection */
typedef enum VamtDefenseDirection {
    VAMT_DEFENSE_TX = 0,            /* from the host (guest) */
    VAMT_DEFENSE_RX = 1,            /* to it */
} VamtDefenseDirection;

/* AMT_*Filter.FilterProfile */
typedef enum VamtDefenseProfile {
    VAMT_DEFENSE_STATS_PASS = 0,
    VAMT_DEFENSE_STATS_DROP = 1,
    VAMT_DEFENSE_RATE_LIMIT = 2,    /* rate_pps packets a second pass */
    VAMT_DEFENSE_PASS = 3,
    VAMT_DEFENSE_DROP = 4,
} VamtDefenseProfile;

/* AMT's limits: filters in all policies */
#define VAMT_DEFENSE_MAX_FILTERS    80

typedef struct VamtDefenseFilter {
    uint32_t handle;                /* the filter's creation handle */
    VamtDefenseDirection direction;
    VamtDefenseProfile profile;
    uint32_t rate_pps;
    bool ip;                        /* AMT_IPHeadersFilter, else 802.1 */

    /* AMT_Hdr8021Filter: EtherType, MACs under their masks */
    uint16_t ethertype;
    uint8_t src_mac[6], src_mac_mask[6];
    uint8_t dst_mac[6], dst_mac_mask[6];

    /* AMT_IPHeadersFilter (IPv4): inclusive ranges; unset matches all */
    bool has_src, has_dst, has_proto, has_sport, has_dport;
    uint32_t src_lo, src_hi, dst_lo, dst_hi;
    uint8_t proto;
    uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
} VamtDefenseFilter;

typedef struct VamtDefensePolicy {
    const VamtDefenseFilter *filters;
    size_t n_filters;
    bool default_drop[2];           /* by VamtDefenseDirection */
    bool default_count[2];
} VamtDefensePolicy;

typedef struct VamtDefense VamtDefense;

VamtDefense *vamt_defense_new(void);
void vamt_defense_free(VamtDefense *d);
/* The active policy (copied), or NULL for none: the counters restart */
void vamt_defense_set_policy(VamtDefense *d, const VamtDefensePolicy *p);
bool vamt_defense_active(const VamtDefense *d);
/* Must the frame be dropped?  @now: ms, for rate limits */
bool vamt_defense_drops(VamtDefense *d, VamtDefenseDirection direction,
                        const uint8_t *frame, size_t len, int64_t now);
/* Packets filter @handle matched; false if it is not in the policy */
bool vamt_defense_matched(const VamtDefense *d, uint32_t handle,
                          uint64_t *packets);
/* Packets the default of @direction took (when it counts) */
uint64_t vamt_defense_default_count(const VamtDefense *d,
                                    VamtDefenseDirection direction);
void vamt_defense_reset_counters(VamtDefense *d);

#endif
