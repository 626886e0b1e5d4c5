/* report.c — audit statistics over the profiles: size distribution, the largest profiles,
 * non-linking values, source overlap and kind coverage. One pass over the records each. */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

/* The profile id of live record x (0 for deleted records). */
static uint32_t pid_of(const scv_engine *e, uint32_t x)
{
    if (e->recs.rec.data[x].dead) return 0;
    return scv__profiles_of(&e->prof, scv__graph_root(&e->graph, x));
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Sizes of the live profiles, in an array the caller frees (*n entries). */
static uint32_t *sizes(const scv_engine *e, size_t *n)
{
    uint32_t *out = scv__alloc(&e->mem, (e->prof.live + 1) * sizeof *out);
    if (out == NULL) return NULL;
    *n = 0;
    for (size_t p = 1; p < e->prof.root.len; p++)
        if (e->prof.root.data[p] != SCV__NONE) out[(*n)++] = e->graph.node[e->prof.root.data[p]].size;
    return out;
}

scv_status scv_engine_profile_size_histogram(const scv_engine *e, uint64_t *counts, size_t n)
{
    if (e == NULL || counts == NULL || n == 0) return SCV_EINVAL;
    memset(counts, 0, n * sizeof *counts);
    for (size_t p = 1; p < e->prof.root.len; p++) {
        if (e->prof.root.data[p] == SCV__NONE) continue;
        uint32_t size = e->graph.node[e->prof.root.data[p]].size;
        size_t b = 0;
        while (size >= 2 && b + 1 < n) {
            size >>= 1;
            b++;
        }
        counts[b]++;
    }
    return SCV_OK;
}

scv_status scv_engine_profile_size_percentile(const scv_engine *e, double p, uint32_t *records)
{
    size_t n;
    if (e == NULL || records == NULL || !(p >= 0 && p <= 100)) return SCV_EINVAL;
    uint32_t *s = sizes(e, &n);
    if (s == NULL) return SCV_ENOMEM;
    *records = 0;
    if (n > 0) {
        qsort(s, n, sizeof *s, cmp_u32);
        size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
        *records = s[rank == 0 ? 0 : rank - 1];
    }
    scv__free(&e->mem, s, (e->prof.live + 1) * sizeof *s);
    return SCV_OK;
}

scv_status scv_engine_largest_profiles(const scv_engine *e, scv_profile_id *out, size_t cap, size_t *count)
{
    if (e == NULL || count == NULL || (out == NULL && cap > 0)) return SCV_EINVAL;
    /* Keep the best `cap` by insertion: cap is small in practice (a top-N list). */
    size_t n = 0;
    for (size_t p = 1; p < e->prof.root.len && cap > 0; p++) {
        if (e->prof.root.data[p] == SCV__NONE) continue;
        uint32_t size = e->graph.node[e->prof.root.data[p]].size;
        if (n == cap && size <= e->graph.node[e->prof.root.data[out[n - 1]]].size) continue;
        size_t i = n < cap ? n++ : n - 1;
        while (i > 0 && e->graph.node[e->prof.root.data[out[i - 1]]].size < size) {
            out[i] = out[i - 1];
            i--;
        }
        out[i] = (scv_profile_id)p;
    }
    *count = n;
    return SCV_OK;
}

scv_status scv_engine_identifier_next(const scv_engine *e, scv_identifier_ref after, uint8_t state,
                                      scv_identifier_ref *next)
{
    if (e == NULL || next == NULL) return SCV_EINVAL;
    for (size_t v = after; v < e->ids.keys.len; v++) {
        if (e->ids.row.data[v].refs == 0 || e->ids.row.data[v].state != state) continue;
        *next = (scv_identifier_ref)v + 1;
        return SCV_OK;
    }
    return SCV_ENOTFOUND;
}

/* One bit set per live profile: the sources (or linking kinds) its records have. */
static uint64_t *masks(const scv_engine *e, int kinds)
{
    size_t n = e->prof.root.len;
    uint64_t *m = scv__calloc(&e->mem, n + 1, sizeof *m);
    if (m == NULL) return NULL;
    for (uint32_t x = 0; x < e->recs.rec.len; x++) {
        uint32_t p = pid_of(e, x);
        if (p == 0) continue;
        if (!kinds) {
            uint16_t s = e->recs.rec.data[x].source;
            if (s < 64) m[p] |= (uint64_t)1 << s;
            continue;
        }
        size_t k;
        const uint32_t *slots = scv__records_ids(&e->recs, x, &k);
        for (size_t i = 0; i < k; i++) {
            uint32_t id = SCV__SLOT_ID(slots[i]);
            if (scv__slot_state(e, slots[i]) == SCV_LINK)
                m[p] |= (uint64_t)1 << e->ids.row.data[id].kind;
        }
    }
    return m;
}

scv_status scv_engine_source_overlap(const scv_engine *e, uint64_t *matrix, size_t n)
{
    if (e == NULL || matrix == NULL || n == 0 || n > 64) return SCV_EINVAL;
    uint64_t *m = masks(e, 0);
    if (m == NULL) return SCV_ENOMEM;
    memset(matrix, 0, n * n * sizeof *matrix);
    for (size_t p = 1; p < e->prof.root.len; p++)
        for (size_t i = 0; i < n; i++)
            if (m[p] >> i & 1)
                for (size_t j = 0; j < n; j++)
                    if (m[p] >> j & 1) matrix[i * n + j]++;
    scv__free(&e->mem, m, (e->prof.root.len + 1) * sizeof *m);
    return SCV_OK;
}

scv_status scv_engine_kind_coverage(const scv_engine *e, uint64_t *counts, size_t n)
{
    if (e == NULL || counts == NULL || n == 0 || n > SCV_MAX_KINDS) return SCV_EINVAL;
    uint64_t *m = masks(e, 1);
    if (m == NULL) return SCV_ENOMEM;
    memset(counts, 0, n * sizeof *counts);
    for (size_t p = 1; p < e->prof.root.len; p++)
        for (size_t k = 0; k < n; k++) counts[k] += m[p] >> k & 1;
    scv__free(&e->mem, m, (e->prof.root.len + 1) * sizeof *m);
    return SCV_OK;
}
