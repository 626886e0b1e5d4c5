/* lookup.c — read-only queries: counts, records, identifiers, profiles, traits. None of these
 * writes to the engine (no path compression), so concurrent readers are safe. */
#include "engine.h"
#include "htab.h"

#include <stdlib.h>
#include <string.h>

size_t scv_engine_record_count(const scv_engine *e)
{
    return e == NULL ? 0 : e->live_records;
}

size_t scv_engine_profile_count(const scv_engine *e)
{
    return e == NULL ? 0 : e->prof.live;
}

size_t scv_engine_identifier_count(const scv_engine *e)
{
    return e == NULL ? 0 : e->ids.live;
}

/* Record ref <-> index. */
static int record_index(const scv_engine *e, scv_record_ref ref, uint32_t *x)
{
    if (ref == 0 || ref > e->recs.rec.len || e->recs.rec.data[ref - 1].dead) return 0;
    *x = ref - 1;
    return 1;
}

scv_status scv_engine_record_find(const scv_engine *e, scv_source source, const char *record_id,
                                  size_t len, scv_record_ref *ref)
{
    if (e == NULL || (record_id == NULL && len > 0)) return SCV_EINVAL;
    if (source >= scv__names_count(&e->sources) || len == 0 || len > SCV_MAX_RECORD_ID_LEN)
        return SCV_ENOTFOUND;
    uint32_t x = scv__records_find(&e->recs, scv__engine_record_key(e, source, record_id, len),
                                   (uint16_t)source, record_id, len);
    if (x == SCV__NONE) return SCV_ENOTFOUND;
    if (ref != NULL) *ref = x + 1;
    return SCV_OK;
}

scv_status scv_engine_record_next(const scv_engine *e, scv_record_ref after, scv_record_ref *next)
{
    if (e == NULL || next == NULL) return SCV_EINVAL;
    for (size_t x = after; x < e->recs.rec.len; x++) {
        if (e->recs.rec.data[x].dead) continue;
        *next = (scv_record_ref)x + 1;
        return SCV_OK;
    }
    return SCV_ENOTFOUND;
}

scv_status scv_engine_record_info(const scv_engine *e, scv_record_ref ref, scv_source *source,
                                  const char **record_id, size_t *len, int64_t *timestamp)
{
    uint32_t x;
    if (e == NULL) return SCV_EINVAL;
    if (!record_index(e, ref, &x)) return SCV_ENOTFOUND;
    const scv__rec *r = &e->recs.rec.data[x];
    if (source != NULL) *source = r->source;
    if (record_id != NULL) *record_id = e->recs.bytes.data + r->id_off;
    if (len != NULL) *len = r->id_len;
    if (timestamp != NULL) *timestamp = r->ts;
    return SCV_OK;
}

/* Root record of record x, without writing. */
static uint32_t root_of(const scv_engine *e, uint32_t x)
{
    return scv__graph_root(&e->graph, x);
}

scv_status scv_engine_record_profile(const scv_engine *e, scv_record_ref ref, scv_profile_id *profile)
{
    uint32_t x;
    if (e == NULL || profile == NULL) return SCV_EINVAL;
    if (!record_index(e, ref, &x)) return SCV_ENOTFOUND;
    *profile = scv__profiles_of(&e->prof, root_of(e, x));
    return SCV_OK;
}

/* Records whose profiles scv_engine_record_profiles() looks up together: each step of every
 * record's walk (node, parent, root's profile) is fetched for the whole group before it is
 * read, so the misses of the group overlap instead of following one another. */
#define PROFILE_GROUP 32

scv_status scv_engine_record_profiles(const scv_engine *e, scv_record_ref after, scv_record_ref *refs,
                                      scv_profile_id *profiles, size_t cap, size_t *n)
{
    if (n != NULL) *n = 0;
    if (e == NULL || refs == NULL || profiles == NULL || n == NULL || cap == 0) return SCV_EINVAL;
    const scv__node *node = e->graph.node;
    size_t x = after, done = 0;
    while (done < cap) {
        uint32_t group[PROFILE_GROUP], up[PROFILE_GROUP];
        size_t k = 0;
        for (; x < e->recs.rec.len && k < PROFILE_GROUP && done + k < cap; x++) {
            if (e->recs.rec.data[x].dead) continue;
            group[k++] = (uint32_t)x;
        }
        if (k == 0) break;
        for (size_t i = 0; i < k; i++) SCV__PREFETCH(&node[node[group[i]].parent]);
        for (size_t i = 0; i < k; i++) {
            up[i] = root_of(e, group[i]);
            SCV__PREFETCH(&e->prof.of_root.data[up[i]]);
        }
        for (size_t i = 0; i < k; i++) {
            refs[done + i] = group[i] + 1;
            profiles[done + i] = scv__profiles_of(&e->prof, up[i]);
        }
        done += k;
    }
    *n = done;
    return done > 0 ? SCV_OK : SCV_ENOTFOUND;
}

scv_status scv_engine_identifier_profile(scv_engine *e, scv_kind kind, const char *value, size_t len,
                                         scv_profile_id *profile)
{
    scv__h128 h;
    scv_status st;
    if (e == NULL || profile == NULL) return SCV_EINVAL;
    st = scv__engine_lookup_hash(e, kind, value, len, &h);
    if (st != SCV_OK) return st;
    uint32_t id = scv__idtable_find(&e->ids, h);
    if (id == SCV__NONE || e->ids.row.data[id].refs == 0)
        return scv__engine_error(e, SCV_ENOTFOUND, "no record carries this identifier", -1);
    if (e->ids.row.data[id].anchor == SCV__NONE)
        return scv__engine_error(e, SCV_ENOTFOUND, "this identifier does not link (blocked, generic or set aside)", -1);
    *profile = scv__profiles_of(&e->prof, root_of(e, e->ids.row.data[id].anchor));
    return SCV_OK;
}

scv_status scv_profile_canonical(const scv_engine *e, scv_profile_id id, scv_profile_id *canonical)
{
    if (e == NULL || canonical == NULL) return SCV_EINVAL;
    uint32_t c = scv__profiles_canonical(&e->prof, id);
    if (c == 0) return SCV_ENOTFOUND;
    *canonical = c;
    return SCV_OK;
}

scv_status scv_engine_profile_next(const scv_engine *e, scv_profile_id after, scv_profile_id *next)
{
    if (e == NULL || next == NULL) return SCV_EINVAL;
    for (size_t id = (size_t)after + 1; id < e->prof.root.len; id++) {
        if (e->prof.root.data[id] != SCV__NONE) {
            *next = (scv_profile_id)id;
            return SCV_OK;
        }
    }
    return SCV_ENOTFOUND;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Check the arguments of a size-query call and find the profile's root. */
static scv_status profile_root(const scv_engine *e, scv_profile_id profile, const void *out,
                               size_t cap, const size_t *count, uint32_t *root)
{
    if (e == NULL || count == NULL || (out == NULL && cap > 0)) return SCV_EINVAL;
    if (!scv__profiles_is_live(&e->prof, profile)) return SCV_ENOTFOUND;
    *root = e->prof.root.data[profile];
    return SCV_OK;
}

scv_status scv_profile_records(const scv_engine *e, scv_profile_id profile, scv_record_ref *out,
                               size_t cap, size_t *count)
{
    uint32_t root;
    scv_status st = profile_root(e, profile, out, cap, count, &root);
    if (st != SCV_OK) return st;
    size_t n = e->graph.node[root].size;
    *count = n;
    if (n > cap) return SCV_EBUFFER;
    size_t i = 0;
    uint32_t m = root;
    do {
        out[i++] = m + 1;
        m = e->graph.node[m].next;
    } while (m != root);
    if (n > 1) qsort(out, n, sizeof *out, cmp_u32);
    return SCV_OK;
}

scv_status scv_profile_identifiers(const scv_engine *e, scv_profile_id profile,
                                   scv_identifier_ref *out, size_t cap, size_t *count)
{
    uint32_t root;
    scv_status st = profile_root(e, profile, out, cap, count, &root);
    if (st != SCV_OK) return st;
    /* Each identifier is counted once: at its anchor, which is in this component. */
    size_t n = 0;
    uint32_t m = root;
    do {
        size_t k;
        const uint32_t *ids = scv__records_ids(&e->recs, m, &k);
        for (size_t i = 0; i < k; i++) {
            uint32_t id = SCV__SLOT_ID(ids[i]);
            if (e->ids.row.data[id].anchor != m) continue;
            if (n < cap) out[n] = id + 1;
            n++;
        }
        m = e->graph.node[m].next;
    } while (m != root);
    *count = n;
    if (n > cap) return SCV_EBUFFER;
    if (n > 1) qsort(out, n, sizeof *out, cmp_u32);
    return SCV_OK;
}

scv_status scv_engine_identifier_info(const scv_engine *e, scv_identifier_ref ref, scv_kind *kind,
                                      uint8_t hash[SCV_HASH_SIZE], const char **value, size_t *len)
{
    if (e == NULL) return SCV_EINVAL;
    if (ref == 0 || ref > e->ids.keys.len) return SCV_ENOTFOUND;
    uint32_t id = ref - 1;
    if (kind != NULL) *kind = e->ids.row.data[id].kind;
    if (hash != NULL) scv__h128_to_bytes(e->ids.keys.data[id], hash);
    if (e->ids.retain) {
        if (value != NULL)
            *value = e->ids.bytes.data == NULL ? "" : e->ids.bytes.data + e->ids.value.data[id].off;
        if (len != NULL) *len = e->ids.value.data[id].len;
    } else {
        if (value != NULL) *value = NULL;
        if (len != NULL) *len = 0;
    }
    return SCV_OK;
}

scv_status scv_record_identifiers(const scv_engine *e, scv_record_ref ref, scv_identifier_ref *out,
                                  uint8_t *states, size_t cap, size_t *count)
{
    uint32_t x;
    size_t n;
    if (e == NULL || count == NULL || (out == NULL && cap > 0)) return SCV_EINVAL;
    if (!record_index(e, ref, &x)) return SCV_ENOTFOUND;
    const uint32_t *slots = scv__records_ids(&e->recs, x, &n);
    *count = n;
    if (n > cap) return SCV_EBUFFER;
    for (size_t i = 0; i < n; i++) {
        uint32_t id = SCV__SLOT_ID(slots[i]);
        out[i] = id + 1;
        if (states != NULL) states[i] = scv__slot_state(e, slots[i]);
    }
    return SCV_OK;
}

scv_status scv_engine_identifier_state(const scv_engine *e, scv_identifier_ref ref, uint8_t *state,
                                       uint32_t *records)
{
    if (e == NULL) return SCV_EINVAL;
    if (ref == 0 || ref > e->ids.keys.len) return SCV_ENOTFOUND;
    if (state != NULL) *state = e->ids.row.data[ref - 1].state;
    if (records != NULL) *records = e->ids.row.data[ref - 1].refs;
    return SCV_OK;
}

typedef struct unlinked_entry {
    uint32_t ref, rec;
    uint8_t state;
} unlinked_entry;

static int cmp_unlinked(const void *pa, const void *pb)
{
    const unlinked_entry *a = pa, *b = pb;
    if (a->ref != b->ref) return a->ref < b->ref ? -1 : 1;
    return (a->rec > b->rec) - (a->rec < b->rec);
}

scv_status scv_profile_unlinked(const scv_engine *e, scv_profile_id profile, scv_identifier_ref *out,
                                uint8_t *states, size_t cap, size_t *count)
{
    uint32_t root;
    scv_status st = profile_root(e, profile, out, cap, count, &root);
    if (st != SCV_OK) return st;
    /* Every non-linking occurrence as (ref, record, state), sorted; each ref keeps the state
     * it has on its lowest record. */
    size_t total = 0, n = 0;
    uint32_t m = root;
    do {
        total += e->recs.rec.data[m].ids_n;
        m = e->graph.node[m].next;
    } while (m != root);
    unlinked_entry *all = scv__alloc(&e->mem, (total + 1) * sizeof *all);
    if (all == NULL) return SCV_ENOMEM;
    m = root;
    do {
        size_t k;
        const uint32_t *slots = scv__records_ids(&e->recs, m, &k);
        for (size_t i = 0; i < k; i++) {
            uint8_t s = scv__slot_state(e, slots[i]);
            if (s == SCV_LINK) continue;
            all[n].ref = SCV__SLOT_ID(slots[i]) + 1;
            all[n].rec = m;
            all[n].state = s;
            n++;
        }
        m = e->graph.node[m].next;
    } while (m != root);
    if (n > 1) qsort(all, n, sizeof *all, cmp_unlinked);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && all[i].ref == all[i - 1].ref) continue;
        if (distinct < cap) {
            out[distinct] = all[i].ref;
            if (states != NULL) states[distinct] = all[i].state;
        }
        distinct++;
    }
    scv__free(&e->mem, all, (total + 1) * sizeof *all);
    *count = distinct;
    return distinct > cap ? SCV_EBUFFER : SCV_OK;
}

/* Occurrences (record, identifier) in each state, and values carried in each state. */
static void count_states(const scv_engine *e, uint64_t slots_in[6], uint64_t values_in[6])
{
    memset(slots_in, 0, 6 * sizeof *slots_in);
    memset(values_in, 0, 6 * sizeof *values_in);
    for (size_t x = 0; x < e->recs.rec.len; x++) {
        size_t k;
        const uint32_t *slots = scv__records_ids(&e->recs, (uint32_t)x, &k);
        for (size_t i = 0; i < k; i++) slots_in[scv__slot_state(e, slots[i])]++;
    }
    for (size_t v = 0; v < e->ids.keys.len; v++)
        if (e->ids.row.data[v].refs > 0) values_in[e->ids.row.data[v].state]++;
}

scv_status scv_engine_stat(const scv_engine *e, scv_stat which, uint64_t *value)
{
    uint64_t slots_in[6], values_in[6];
    if (e == NULL || value == NULL) return SCV_EINVAL;
    switch (which) {
    case SCV_STAT_RECORDS: *value = e->live_records; return SCV_OK;
    case SCV_STAT_PROFILES: *value = e->prof.live; return SCV_OK;
    case SCV_STAT_IDENTIFIERS: *value = e->ids.live; return SCV_OK;
    case SCV_STAT_MERGES: *value = e->merges; return SCV_OK;
    case SCV_STAT_SPLITS: *value = e->splits; return SCV_OK;
    case SCV_STAT_GENERIC_DECISIONS: *value = e->generic_decisions; return SCV_OK;
    case SCV_STAT_BYTES: *value = scv__engine_bytes(e); return SCV_OK;
    case SCV_STAT_ASIDE_LIMIT:
    case SCV_STAT_ASIDE_SIZE:
    case SCV_STAT_BLOCKED_VALUES:
    case SCV_STAT_BLOCKED_RECORDS:
    case SCV_STAT_GENERIC_VALUES:
    case SCV_STAT_GENERIC_RECORDS:
        count_states(e, slots_in, values_in);
        switch (which) {
        case SCV_STAT_ASIDE_LIMIT: *value = slots_in[SCV_LINK_ASIDE_LIMIT]; break;
        case SCV_STAT_ASIDE_SIZE: *value = slots_in[SCV_LINK_ASIDE_SIZE]; break;
        case SCV_STAT_BLOCKED_VALUES: *value = values_in[SCV_LINK_BLOCKED]; break;
        case SCV_STAT_BLOCKED_RECORDS: *value = slots_in[SCV_LINK_BLOCKED]; break;
        case SCV_STAT_GENERIC_VALUES: *value = values_in[SCV_LINK_GENERIC]; break;
        default: *value = slots_in[SCV_LINK_GENERIC]; break;
        }
        return SCV_OK;
    }
    return SCV_EINVAL;
}
