/* views.c — see views.h. */
#include "views.h"

#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* ------------------------------------------------------------------------------------------ */
/* The block: sizes first, then carving                                                       */

typedef struct carver {
    char *p;
    size_t used;
} carver;

/* Reserve `bytes` (8-aligned) in a size pass (c->p NULL) or hand them out. */
static void *carve(carver *c, size_t bytes)
{
    size_t at = c->used;
    c->used += (bytes + 7) & ~(size_t)7;
    return c->p == NULL ? NULL : c->p + at;
}

/* Lay the block out for n ids and the given event counts; a NULL base only sizes it. */
static size_t lay_out(scv__views *v, char *base, const size_t *events)
{
    carver c = {base, 0};
    size_t n = v->n;
    v->first = carve(&c, n * sizeof(int64_t));
    v->last = carve(&c, n * sizeof(int64_t));
    v->sources = carve(&c, n * sizeof(uint64_t));
    v->kinds = carve(&c, n * sizeof(uint64_t));
    v->records = carve(&c, n * sizeof(uint32_t));
    v->live = carve(&c, n);
    v->trait_rec = carve(&c, v->n_traits * sizeof(uint32_t *));
    for (size_t t = 0; t < v->n_traits; t++) {
        uint32_t *col = carve(&c, n * sizeof(uint32_t));
        if (base != NULL) v->trait_rec[t] = col;
    }
    v->measure = carve(&c, v->n_measures * sizeof(scv__measure_col));
    for (size_t m = 0; m < v->n_measures; m++) {
        scv__measure_col col;
        col.off = carve(&c, (n + 1) * sizeof(uint32_t));
        col.ev_ts = carve(&c, events[m] * sizeof(int64_t));
        col.ev_val = carve(&c, events[m] * sizeof(double));
        if (base != NULL) v->measure[m] = col;
    }
    v->consent = carve(&c, v->n_channels * sizeof(scv__consent_col));
    for (size_t k = 0; k < v->n_channels; k++) {
        scv__consent_col col;
        col.state = carve(&c, n);
        col.ts = carve(&c, n * sizeof(int64_t));
        if (base != NULL) v->consent[k] = col;
    }
    return c.used;
}

/* ------------------------------------------------------------------------------------------ */
/* Survivorship                                                                               */

static uint8_t trait_rule(const scv_engine *e, uint32_t t)
{
    return t < e->trait_rule.len ? e->trait_rule.data[t] : e->default_trait_rule;
}

static uint32_t source_rank(const scv_engine *e, uint16_t source)
{
    return source < e->source_rank.len ? e->source_rank.data[source] : UINT32_MAX / 2 + source;
}

/* Does record x beat record best for a trait under `rule` (not MOST_FREQUENT)? */
static int beats(const scv_engine *e, uint8_t rule, uint32_t x, uint32_t best)
{
    const scv__rec *a = &e->recs.rec.data[x], *b = &e->recs.rec.data[best];
    if (rule == SCV_SURVIVE_FIRST_SEEN) return a->ts < b->ts || (a->ts == b->ts && x < best);
    if (rule == SCV_SURVIVE_SOURCE_PRIORITY) {
        uint32_t ra = source_rank(e, a->source), rb = source_rank(e, b->source);
        if (ra != rb) return ra < rb;
    }
    return a->ts > b->ts || (a->ts == b->ts && x > best);
}

typedef struct candidate {
    uint32_t pid;
    uint64_t hash; /* of the value */
    uint32_t x;
} candidate;

static int cmp_candidate(const void *pa, const void *pb)
{
    const candidate *a = pa, *b = pb;
    if (a->pid != b->pid) return a->pid < b->pid ? -1 : 1;
    if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
    return (a->x > b->x) - (a->x < b->x);
}

/* MOST_FREQUENT for trait t: the value most records carry; ties go to the run holding the
 * most recent record. */
static scv_status most_frequent(scv_engine *e, const uint32_t *pid_of, uint32_t t, uint32_t *col)
{
    size_t n = 0, cap = 0;
    for (size_t x = 0; x < e->recs.rec.len; x++)
        if (scv__views_trait_value(e, (uint32_t)x, t, &cap) != NULL && cap > 0) n++;
    if (n == 0) return SCV_OK;
    candidate *c = scv__alloc(&e->mem, n * sizeof *c);
    if (c == NULL) return SCV_ENOMEM;
    size_t k = 0;
    for (size_t x = 0; x < e->recs.rec.len; x++) {
        size_t len;
        const char *v = scv__views_trait_value(e, (uint32_t)x, t, &len);
        if (v == NULL || len == 0) continue;
        c[k].pid = pid_of[x];
        c[k].hash = scv__hash64(v, len);
        c[k].x = (uint32_t)x;
        k++;
    }
    qsort(c, n, sizeof *c, cmp_candidate);
    size_t best_count = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        uint32_t latest = c[i].x;
        while (j < n && c[j].pid == c[i].pid && c[j].hash == c[i].hash) {
            if (beats(e, SCV_SURVIVE_MOST_RECENT, c[j].x, latest)) latest = c[j].x;
            j++;
        }
        uint32_t p = c[i].pid, cur = col[p];
        if (i == 0 || c[i - 1].pid != p) best_count = 0;
        if (cur == SCV__NONE || j - i > best_count ||
            (j - i == best_count && beats(e, SCV_SURVIVE_MOST_RECENT, latest, cur))) {
            col[p] = latest;
            best_count = j - i;
        }
        i = j;
    }
    scv__free(&e->mem, c, n * sizeof *c);
    return SCV_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Building                                                                                   */

const char *scv__views_trait_value(const scv_engine *e, uint32_t x, uint32_t t, size_t *len)
{
    const scv__rec *r = &e->recs.rec.data[x];
    const scv__field *f = e->recs.fields.data + r->fields_off;
    for (size_t i = 0; i < r->fields_n; i++) {
        if (f[i].name == t && SCV__IS_TRAIT(f[i].len)) {
            *len = f[i].len;
            return e->recs.bytes.data + f[i].v.off;
        }
    }
    return NULL;
}

static uint64_t bit(uint32_t i)
{
    return (uint64_t)1 << (i < 63 ? i : 63);
}

static void fill(scv_engine *e, scv__views *v, const uint32_t *pid_of)
{
    size_t n = v->n;
    for (size_t p = 0; p < n; p++) {
        v->first[p] = INT64_MAX;
        v->last[p] = SCV_NO_TIMESTAMP;
        v->sources[p] = v->kinds[p] = 0;
        v->records[p] = 0;
        v->live[p] = scv__profiles_is_live(&e->prof, (uint32_t)p);
    }
    for (size_t t = 0; t < v->n_traits; t++)
        for (size_t p = 0; p < n; p++) v->trait_rec[t][p] = SCV__NONE;
    for (size_t k = 0; k < v->n_channels; k++) memset(v->consent[k].state, 0xFF, n);
    for (size_t m = 0; m < v->n_measures; m++) memset(v->measure[m].off, 0, (n + 1) * sizeof(uint32_t));

    /* Counts of events per profile, then offsets (off[p + 1] accumulates p's count). */
    for (size_t x = 0; x < e->recs.rec.len; x++) {
        const scv__rec *r = &e->recs.rec.data[x];
        const scv__field *f = e->recs.fields.data + r->fields_off;
        for (size_t i = 0; i < r->fields_n; i++)
            if (f[i].len == SCV__MEASURE) v->measure[f[i].name].off[pid_of[x] + 1]++;
    }
    for (size_t m = 0; m < v->n_measures; m++)
        for (size_t p = 0; p < n; p++) v->measure[m].off[p + 1] += v->measure[m].off[p];

    for (size_t x = 0; x < e->recs.rec.len; x++) {
        const scv__rec *r = &e->recs.rec.data[x];
        uint32_t p = pid_of[x];
        v->records[p]++;
        if (r->ts != SCV_NO_TIMESTAMP) {
            if (r->ts < v->first[p]) v->first[p] = r->ts;
            if (r->ts > v->last[p]) v->last[p] = r->ts;
        }
        v->sources[p] |= bit(r->source);
        size_t k;
        const uint32_t *slots = scv__records_ids(&e->recs, (uint32_t)x, &k);
        for (size_t i = 0; i < k; i++) {
            uint32_t id = SCV__SLOT_ID(slots[i]);
            if (scv__slot_state(e, slots[i]) == SCV_LINK)
                v->kinds[p] |= bit(e->ids.row.data[id].kind);
        }
        const scv__field *f = e->recs.fields.data + r->fields_off;
        for (size_t i = 0; i < r->fields_n; i++) {
            uint32_t name = f[i].name;
            if (f[i].len == SCV__MEASURE) {
                /* off[p] is p's write cursor now; it ends as p + 1's start, restored below. */
                uint32_t at = v->measure[name].off[p]++;
                v->measure[name].ev_ts[at] = r->ts;
                v->measure[name].ev_val[at] = f[i].v.num;
            } else if (f[i].len == SCV__GRANTED || f[i].len == SCV__DENIED) {
                scv__consent_col *c = &v->consent[name];
                int64_t ts = (int64_t)f[i].v.off;
                int8_t granted = f[i].len == SCV__GRANTED;
                /* Latest decision wins; on equal times a denial. */
                if (c->state[p] < 0 || ts > c->ts[p] || (ts == c->ts[p] && !granted)) {
                    c->state[p] = granted;
                    c->ts[p] = ts;
                }
            } else if (f[i].len > 0) {
                uint32_t *col = v->trait_rec[name];
                uint8_t rule = trait_rule(e, name);
                if (rule != SCV_SURVIVE_MOST_FREQUENT &&
                    (col[p] == SCV__NONE || beats(e, rule, (uint32_t)x, col[p])))
                    col[p] = (uint32_t)x;
            }
        }
    }
    for (size_t m = 0; m < v->n_measures; m++) {
        uint32_t *off = v->measure[m].off;
        for (size_t p = n; p > 0; p--) off[p] = off[p - 1];
        off[0] = 0;
    }
    for (size_t p = 0; p < n; p++)
        if (v->first[p] == INT64_MAX) v->first[p] = SCV_NO_TIMESTAMP;
}

scv_status scv__views_update(scv_engine *e)
{
    scv__views *old = e->views, v;
    if (old != NULL && old->built == e->generation) return SCV_OK;

    memset(&v, 0, sizeof v);
    v.n = e->prof.root.len;
    v.n_traits = scv__names_count(&e->trait_names);
    v.n_measures = scv__names_count(&e->measure_names);
    v.n_channels = scv__names_count(&e->channel_names);
    size_t n_records = e->recs.rec.len;

    /* Scratch: each record's profile id, and the number of events per measure. */
    size_t scratch_bytes = (n_records + 1) * sizeof(uint32_t) + (v.n_measures + 1) * sizeof(size_t);
    uint32_t *pid_of = scv__alloc(&e->mem, scratch_bytes);
    if (pid_of == NULL) return SCV_ENOMEM;
    size_t *events = (size_t *)(void *)(pid_of + n_records + (n_records & 1));
    memset(events, 0, v.n_measures * sizeof *events);
    for (size_t x = 0; x < n_records; x++) {
        pid_of[x] = scv__profiles_of(&e->prof, scv__graph_root(&e->graph, (uint32_t)x));
        const scv__rec *r = &e->recs.rec.data[x];
        const scv__field *f = e->recs.fields.data + r->fields_off;
        for (size_t i = 0; i < r->fields_n; i++)
            if (f[i].len == SCV__MEASURE) events[f[i].name]++;
    }

    scv__views *nv = old;
    if (nv == NULL) {
        nv = scv__alloc(&e->mem, sizeof *nv);
        if (nv == NULL) goto oom;
        memset(nv, 0, sizeof *nv);
    }
    v.block_size = lay_out(&v, NULL, events);
    v.block = scv__alloc(&e->mem, v.block_size);
    if (v.block == NULL) {
        if (old == NULL) scv__free(&e->mem, nv, sizeof *nv);
        goto oom;
    }
    (void)lay_out(&v, v.block, events);
    fill(e, &v, pid_of);
    for (uint32_t t = 0; t < v.n_traits; t++) {
        if (trait_rule(e, t) != SCV_SURVIVE_MOST_FREQUENT) continue;
        if (most_frequent(e, pid_of, t, v.trait_rec[t]) != SCV_OK) {
            scv__free(&e->mem, v.block, v.block_size);
            if (old == NULL) scv__free(&e->mem, nv, sizeof *nv);
            goto oom;
        }
    }
    scv__free(&e->mem, pid_of, scratch_bytes);
    if (old != NULL) scv__free(&e->mem, old->block, old->block_size);
    v.built = e->generation;
    *nv = v;
    e->views = nv;
    return SCV_OK;
oom:
    scv__free(&e->mem, pid_of, scratch_bytes);
    return SCV_ENOMEM;
}

void scv__views_free(scv_engine *e)
{
    if (e->views == NULL) return;
    scv__free(&e->mem, e->views->block, e->views->block_size);
    scv__free(&e->mem, e->views, sizeof *e->views);
    e->views = NULL;
}

int scv__views_aggregate(const scv__measure_col *c, uint32_t p, scv_agg agg, uint32_t window_days,
                         int64_t now, double *out)
{
    int64_t from = window_days == 0 ? INT64_MIN : now - (int64_t)window_days * 86400;
    double sum = 0, min = 0, max = 0;
    int64_t first = 0, last = 0;
    uint32_t count = 0, dated = 0;
    for (uint32_t i = c->off[p]; i < c->off[p + 1]; i++) {
        int64_t ts = c->ev_ts[i];
        double val = c->ev_val[i];
        if (window_days != 0 && (ts == SCV_NO_TIMESTAMP || ts <= from || ts > now)) continue;
        if (count == 0 || val < min) min = val;
        if (count == 0 || val > max) max = val;
        if (ts != SCV_NO_TIMESTAMP) {
            if (dated == 0 || ts < first) first = ts;
            if (dated == 0 || ts > last) last = ts;
            dated++;
        }
        sum += val;
        count++;
    }
    switch (agg) {
    case SCV_AGG_COUNT: *out = count; return 1;
    case SCV_AGG_SUM: *out = sum; return 1;
    case SCV_AGG_AVG: *out = count ? sum / count : 0; break;
    case SCV_AGG_MIN: *out = min; break;
    case SCV_AGG_MAX: *out = max; break;
    case SCV_AGG_FIRST_TIME: *out = (double)first; return dated > 0;
    case SCV_AGG_LAST_TIME: *out = (double)last; return dated > 0;
    }
    return count > 0;
}
