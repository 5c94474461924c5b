/*
 * vAMT ME core: System Defense's filters and policies in the saved state
 * (cim/defense.c serves them, net/vamt enforces them)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>

#include "amt.h"
#include "blob.h"

static const VamtSdPolicy *policy_of(const VamtAmtState *s, uint32_t handle)
{
    for (unsigned i = 0; handle && i < VAMT_SD_MAX_POLICIES; i++) {
        if (s->sd_policies[i].handle == handle) {
            return &s->sd_policies[i];
        }
    }
    return NULL;
}

const VamtSdPolicy *vamt_sd_policy_in_force(const VamtAmtState *s)
{
    return policy_of(s, s->sd_bound) ?: policy_of(s, s->sd_default);
}

void vamt_sd_state_save(GByteArray *out, const VamtAmtState *s)
{
    for (unsigned i = 0; i < VAMT_SD_MAX_FILTERS; i++) {
        const VamtSdFilter *f = &s->sd_filters[i];

        blob_put_u32(out, f->handle);
        blob_put_str(out, f->name);
        blob_put_u8(out, f->ip | f->direction << 1 | f->profile << 2);
        blob_put_u32(out, f->profile_data);
        blob_put_u16(out, f->ethertype);
        blob_put_u8(out, f->has);
        blob_put_u32(out, f->src_lo);
        blob_put_u32(out, f->src_hi);
        blob_put_u32(out, f->dst_lo);
        blob_put_u32(out, f->dst_hi);
        blob_put_u8(out, f->proto);
        blob_put_u16(out, f->sport_lo);
        blob_put_u16(out, f->sport_hi);
        blob_put_u16(out, f->dport_lo);
        blob_put_u16(out, f->dport_hi);
    }
    for (unsigned i = 0; i < VAMT_SD_MAX_POLICIES; i++) {
        const VamtSdPolicy *p = &s->sd_policies[i];

        blob_put_u32(out, p->handle);
        blob_put_str(out, p->name);
        blob_put_u32(out, p->precedence);
        blob_put_u8(out, p->n_filters);
        for (unsigned j = 0; j < VAMT_SD_MAX_POLICY_FILTERS; j++) {
            blob_put_u32(out, p->filters[j]);
        }
        blob_put_u8(out, p->default_drop[0] | p->default_drop[1] << 1 |
                    p->default_count[0] << 2 | p->default_count[1] << 3);
        blob_put_u32(out, p->timeout_min);
    }
    blob_put_u32(out, s->sd_bound);
    blob_put_u32(out, s->sd_next_handle);
}

bool vamt_sd_state_load(BlobReader *r, VamtAmtState *s)
{
    for (unsigned i = 0; i < VAMT_SD_MAX_FILTERS; i++) {
        VamtSdFilter *f = &s->sd_filters[i];
        uint8_t bits;

        f->handle = blob_get_u32(r);
        blob_get_str(r, f->name, sizeof(f->name));
        bits = blob_get_u8(r);
        f->ip = bits & 1;
        f->direction = (bits >> 1) & 1;
        f->profile = bits >> 2;
        f->profile_data = blob_get_u32(r);
        f->ethertype = blob_get_u16(r);
        f->has = blob_get_u8(r);
        f->src_lo = blob_get_u32(r);
        f->src_hi = blob_get_u32(r);
        f->dst_lo = blob_get_u32(r);
        f->dst_hi = blob_get_u32(r);
        f->proto = blob_get_u8(r);
        f->sport_lo = blob_get_u16(r);
        f->sport_hi = blob_get_u16(r);
        f->dport_lo = blob_get_u16(r);
        f->dport_hi = blob_get_u16(r);
        if (f->profile > 4) {
            return false;
        }
    }
    for (unsigned i = 0; i < VAMT_SD_MAX_POLICIES; i++) {
        VamtSdPolicy *p = &s->sd_policies[i];
        uint8_t bits;

        p->handle = blob_get_u32(r);
        blob_get_str(r, p->name, sizeof(p->name));
        p->precedence = blob_get_u32(r);
        p->n_filters = blob_get_u8(r);
        for (unsigned j = 0; j < VAMT_SD_MAX_POLICY_FILTERS; j++) {
            p->filters[j] = blob_get_u32(r);
        }
        bits = blob_get_u8(r);
        p->default_drop[0] = bits & 1;
        p->default_drop[1] = bits & 2;
        p->default_count[0] = bits & 4;
        p->default_count[1] = bits & 8;
        p->timeout_min = blob_get_u32(r);
        if (p->n_filters > VAMT_SD_MAX_POLICY_FILTERS) {
            return false;
        }
    }
    s->sd_bound = blob_get_u32(r);
    s->sd_next_handle = blob_get_u32(r);
    return true;
}
