/* profile.c — a profile's single customer view through the public API: survivorship rules,
 * traits, measures, consent, first and last seen. The values come from the views (views.c). */
#include "engine.h"

#include <string.h>

#include "views.h"

static scv_status checked_name(scv_engine *e, const char *name, size_t len)
{
    int64_t bad;
    scv_status st = scv__check_text(name, len, SCV_MAX_NAME_LEN, &bad);
    if (st != SCV_OK) return scv__engine_error(e, st, "bad name", bad);
    if (len == 0) return scv__engine_error(e, SCV_EINVAL, "empty name", -1);
    return SCV_OK;
}

scv_status scv_engine_set_trait_rule(scv_engine *e, const char *name, size_t len, scv_survivorship rule)
{
    uint32_t t;
    scv_status st;
    if (e == NULL) return SCV_EINVAL;
    if ((int)rule < SCV_SURVIVE_MOST_RECENT || (int)rule > SCV_SURVIVE_FIRST_SEEN)
        return scv__engine_error(e, SCV_EINVAL, "unknown survivorship rule", -1);
    if (name == NULL && len == 0) {
        e->default_trait_rule = (uint8_t)rule;
        e->generation++;
        return scv__engine_error(e, SCV_OK, "", -1);
    }
    if ((st = checked_name(e, name, len)) != SCV_OK) return st;
    /* The rule is kept by trait name id: intern the name (it may not have been seen yet). */
    if (scv__names_add(&e->mem, &e->trait_names, name, len, &t) != SCV_OK)
        return scv__engine_error(e, SCV_ENOMEM, "out of memory", -1);
    size_t old = e->trait_rule.len;
    if (t >= old) {
        if (SCV__VEC_RESERVE(&e->mem, e->trait_rule, t + 1 - old) != SCV_OK)
            return scv__engine_error(e, SCV_ENOMEM, "out of memory", -1);
        for (size_t i = old; i <= t; i++) e->trait_rule.data[i] = e->default_trait_rule;
        e->trait_rule.len = t + 1;
    }
    e->trait_rule.data[t] = (uint8_t)rule;
    e->generation++;
    return scv__engine_error(e, SCV_OK, "", -1);
}

scv_status scv_engine_set_source_priority(scv_engine *e, const scv_source *sources, size_t n)
{
    size_t count;
    if (e == NULL || (sources == NULL && n > 0)) return SCV_EINVAL;
    count = scv__names_count(&e->sources);
    for (size_t i = 0; i < n; i++) {
        if (sources[i] >= count) return scv__engine_error(e, SCV_ENOTFOUND, "unknown source", -1);
        for (size_t j = 0; j < i; j++)
            if (sources[j] == sources[i]) return scv__engine_error(e, SCV_EINVAL, "a source is listed twice", -1);
    }
    /* Rank by source number; sources registered later rank after every listed one. */
    if (n > 0 && SCV__VEC_RESERVE(&e->mem, e->source_rank, count > e->source_rank.len ? count - e->source_rank.len : 0) != SCV_OK)
        return scv__engine_error(e, SCV_ENOMEM, "out of memory", -1);
    e->source_rank.len = n > 0 ? count : 0;
    for (size_t s = 0; s < e->source_rank.len; s++) e->source_rank.data[s] = (uint32_t)(n + s);
    for (size_t i = 0; i < n; i++) e->source_rank.data[sources[i]] = (uint32_t)i;
    e->generation++;
    return scv__engine_error(e, SCV_OK, "", -1);
}

scv_status scv_engine_set_rfm_measure(scv_engine *e, const char *name, size_t len)
{
    scv_status st;
    if (e == NULL) return SCV_EINVAL;
    if ((st = checked_name(e, name, len)) != SCV_OK) return st;
    memcpy(e->rfm_measure, name, len);
    e->rfm_measure_len = len;
    return scv__engine_error(e, SCV_OK, "", -1);
}

static scv_status name_at(const scv__names *names, size_t index, const char **name, size_t *len)
{
    if (name == NULL || len == NULL) return SCV_EINVAL;
    if (index >= scv__names_count(names)) return SCV_ENOTFOUND;
    *name = scv__names_get(names, (uint32_t)index, len);
    return SCV_OK;
}

scv_status scv_engine_trait_name(const scv_engine *e, size_t index, const char **name, size_t *len)
{
    return e == NULL ? SCV_EINVAL : name_at(&e->trait_names, index, name, len);
}

scv_status scv_engine_measure_name(const scv_engine *e, size_t index, const char **name, size_t *len)
{
    return e == NULL ? SCV_EINVAL : name_at(&e->measure_names, index, name, len);
}

scv_status scv_engine_consent_channel(const scv_engine *e, size_t index, const char **name, size_t *len)
{
    return e == NULL ? SCV_EINVAL : name_at(&e->channel_names, index, name, len);
}

/* Up-to-date views and a live profile: the common start of the calls below. */
static scv_status view_of(scv_engine *e, scv_profile_id p)
{
    if (!scv__profiles_is_live(&e->prof, p)) return SCV_ENOTFOUND;
    if (scv__views_update(e) != SCV_OK) return scv__engine_error(e, SCV_ENOMEM, "out of memory", -1);
    return SCV_OK;
}

scv_status scv_profile_trait(scv_engine *e, scv_profile_id p, const char *name, size_t name_len,
                             const char **value, size_t *value_len, scv_record_ref *from)
{
    scv_status st;
    if (e == NULL || value == NULL || value_len == NULL || (name == NULL && name_len > 0))
        return SCV_EINVAL;
    if ((st = view_of(e, p)) != SCV_OK) return st;
    uint32_t t = scv__names_find(&e->trait_names, name, name_len);
    if (t == SCV__NONE || t >= e->views->n_traits) return SCV_ENOTFOUND;
    uint32_t x = e->views->trait_rec[t][p];
    if (x == SCV__NONE) return SCV_ENOTFOUND;
    *value = scv__views_trait_value(e, x, t, value_len);
    if (from != NULL) *from = x + 1;
    return SCV_OK;
}

scv_status scv_profile_measure(scv_engine *e, scv_profile_id p, const char *name, size_t len,
                               scv_agg agg, uint32_t window_days, int64_t now, double *value)
{
    scv_status st;
    if (e == NULL || value == NULL || (name == NULL && len > 0) || (int)agg < SCV_AGG_COUNT ||
        (int)agg > SCV_AGG_LAST_TIME)
        return SCV_EINVAL;
    if ((st = view_of(e, p)) != SCV_OK) return st;
    uint32_t m = scv__names_find(&e->measure_names, name, len);
    if (m == SCV__NONE || m >= e->views->n_measures) {
        if (agg == SCV_AGG_COUNT || agg == SCV_AGG_SUM) {
            *value = 0;
            return SCV_OK;
        }
        return SCV_ENOTFOUND;
    }
    return scv__views_aggregate(&e->views->measure[m], p, agg, window_days, now, value) ? SCV_OK
                                                                                       : SCV_ENOTFOUND;
}

scv_status scv_profile_consent(scv_engine *e, scv_profile_id p, const char *channel, size_t len,
                               int *granted, int64_t *timestamp)
{
    scv_status st;
    if (e == NULL || (channel == NULL && len > 0)) return SCV_EINVAL;
    if ((st = view_of(e, p)) != SCV_OK) return st;
    uint32_t c = scv__names_find(&e->channel_names, channel, len);
    if (c == SCV__NONE || c >= e->views->n_channels || e->views->consent[c].state[p] < 0)
        return SCV_ENOTFOUND;
    if (granted != NULL) *granted = e->views->consent[c].state[p];
    if (timestamp != NULL) *timestamp = e->views->consent[c].ts[p];
    return SCV_OK;
}

scv_status scv_profile_seen(scv_engine *e, scv_profile_id p, int64_t *first_seen, int64_t *last_seen)
{
    scv_status st;
    if (e == NULL) return SCV_EINVAL;
    if ((st = view_of(e, p)) != SCV_OK) return st;
    if (first_seen != NULL) *first_seen = e->views->first[p];
    if (last_seen != NULL) *last_seen = e->views->last[p];
    return SCV_OK;
}
