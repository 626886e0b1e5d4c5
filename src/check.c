/* check.c — a consistency check of an engine's internal structures (declared in
 * snapshot.h): used by the snapshot tests and the fuzz targets, never by the engine. */
#include "snapshot.h"

#include <string.h>


/* Root of x in at most n steps, or SCV__NONE when the parents loop. */
static uint32_t checked_root(const scv__graph *g, uint32_t x)
{
    for (size_t steps = 0; steps <= g->len; steps++) {
        if (g->node[x].parent >= g->len) return SCV__NONE;
        if (g->node[x].parent == x) return x;
        x = g->node[x].parent;
    }
    return SCV__NONE;
}

static const char *check_columns(const scv_engine *e)
{
    const scv__idtable *t = &e->ids;
    size_t n = e->recs.rec.len, v = t->keys.len, live = 0;
    if (e->graph.len != n || e->prof.of_root.len != n ||
        e->kcount.len != n * e->rules.n_limited)
        return "per-record columns differ in length";
    if (t->row.len != v || (t->retain && t->value.len != v))
        return "identifier columns differ in length";
    if (e->recs.slot_next.len != e->recs.ids.len ||
        (e->recs.keep_raw && e->recs.raw.len != e->recs.ids.len))
        return "slot columns differ in length";
    for (size_t x = 0; x < n; x++) live += !e->recs.rec.data[x].dead;
    return live == e->live_records ? NULL : "live record count is wrong";
}

static const char *check_record(const scv_engine *e, uint32_t x)
{
    const scv__records *rs = &e->recs;
    const scv__rec *r = &rs->rec.data[x];
    if (r->dead) return r->ids_n == 0 && r->fields_n == 0 ? NULL : "a deleted record has content";
    if (r->source >= scv__names_count(&e->sources)) return "record source out of range";
    const char *id = rs->bytes.data + r->id_off;
    if (scv__records_find(rs, scv__engine_record_key(e, r->source, id, r->id_len), r->source, id, r->id_len) != x)
        return "record key not indexed";
    if ((size_t)r->ids_off + r->ids_n > rs->ids.len ||
        (size_t)r->fields_off + r->fields_n > rs->fields.len)
        return "record runs out of range";
    for (uint32_t s = r->ids_off; s < r->ids_off + r->ids_n; s++)
        if (SCV__SLOT_ID(rs->ids.data[s]) >= e->ids.keys.len || SCV__SLOT_ASIDE(rs->ids.data[s]) > 2)
            return "bad identifier slot";
    for (uint32_t s = r->ids_off; s < r->ids_off + r->ids_n; s++)
        for (uint32_t t = r->ids_off; t < s; t++)
            if (SCV__SLOT_ID(rs->ids.data[s]) == SCV__SLOT_ID(rs->ids.data[t]))
                return "an identifier carried twice";
    for (uint32_t i = r->fields_off; i < r->fields_off + r->fields_n; i++) {
        const scv__field *f = &rs->fields.data[i];
        const scv__names *names = f->len == SCV__MEASURE ? &e->measure_names
                                  : SCV__IS_TRAIT(f->len) ? &e->trait_names : &e->channel_names;
        if (f->name >= scv__names_count(names)) return "field name out of range";
    }
    return NULL;
}

static const char *check_graph(const scv_engine *e)
{
    const scv__graph *g = &e->graph;
    size_t total = 0;
    for (uint32_t x = 0; x < g->len; x++) {
        uint32_t r = checked_root(g, x);
        if (r == SCV__NONE || g->node[x].next >= g->len) return "union-find parents out of range or looping";
        if (e->recs.rec.data[x].dead && (g->node[x].parent != x || g->node[x].size != 1 || g->node[x].next != x))
            return "a deleted record is not a singleton";
        if (r != x) continue;
        uint32_t m = x, k = 0;
        do {
            if (checked_root(g, m) != x || ++k > g->node[x].size) return "member list leaves its component";
            m = g->node[m].next;
        } while (m != x);
        if (k != g->node[x].size) return "component size differs from its member list";
        total += k;
    }
    return total == g->len ? NULL : "component sizes do not add up to the records";
}

static const char *check_profiles(const scv_engine *e)
{
    const scv__profiles *p = &e->prof;
    size_t live = 0;
    if (p->root.len != p->merged.len) return "profile columns differ in length";
    for (uint32_t id = 1; id < p->root.len; id++) {
        uint32_t r = p->root.data[id];
        if (r == SCV__NONE) {
            if (p->merged.data[id] >= id) return "a merged id points to a newer id";
            continue;
        }
        live++;
        if (r >= e->graph.len || e->graph.node[r].parent != r || p->of_root.data[r] != id ||
            p->merged.data[id] != 0)
            return "a live profile id is not attached to its root";
    }
    if (live != p->live) return "live profile count is wrong";
    for (uint32_t x = 0; x < e->graph.len; x++) {
        uint32_t r = checked_root(&e->graph, x);
        if (!e->recs.rec.data[x].dead && !scv__profiles_is_live(p, p->of_root.data[r]))
            return "a live record's component has no live profile";
    }
    return NULL;
}

static const char *check_postings(const scv_engine *e)
{
    const scv__records *rs = &e->recs;
    size_t slots = 0, seen = 0, live = 0;
    for (uint32_t x = 0; x < rs->rec.len; x++) slots += rs->rec.data[x].ids_n;
    for (uint32_t id = 0; id < e->ids.keys.len; id++) {
        uint32_t k = 0;
        for (uint32_t x = e->ids.row.data[id].head; x != SCV__NONE;) {
            if (x >= rs->rec.len || ++k > slots) return "postings list out of range or looping";
            const scv__rec *r = &rs->rec.data[x];
            uint32_t s = r->ids_off;
            while (s < r->ids_off + r->ids_n && SCV__SLOT_ID(rs->ids.data[s]) != id) s++;
            if (r->dead || s == r->ids_off + r->ids_n)
                return "postings list holds a record that does not carry the identifier";
            x = rs->slot_next.data[s];
        }
        if (k != e->ids.row.data[id].refs) return "reference count differs from the postings list";
        seen += k;
        live += k > 0;
    }
    if (seen != slots) return "a slot is missing from its postings list";
    return live == e->ids.live ? NULL : "live identifier count is wrong";
}

static const char *check_anchor(const scv_engine *e, uint32_t id)
{
    uint32_t a = e->ids.row.data[id].anchor, ra;
    int at_carrier = 0, linking = 0;
    if (e->ids.row.data[id].state != SCV_LINK)
        return a == SCV__NONE ? NULL : "a non-linking value has an anchor";
    if (a != SCV__NONE && a >= e->recs.rec.len) return "anchor out of range";
    ra = a == SCV__NONE ? SCV__NONE : checked_root(&e->graph, a);
    for (uint32_t x = e->ids.row.data[id].head; x != SCV__NONE; x = scv__records_next_carrier(&e->recs, x, id)) {
        if (SCV__SLOT_ASIDE(e->recs.ids.data[scv__records_slot_of(&e->recs, x, id)]) != 0) continue;
        linking = 1;
        at_carrier |= x == a;
        if (checked_root(&e->graph, x) != ra)
            return "a linking carrier is outside its anchor's component";
    }
    if (!linking) return a == SCV__NONE ? NULL : "an identifier without linking carriers has an anchor";
    return at_carrier ? NULL : "an anchor is not a linking carrier";
}

/* Identifier counts and kcount at every root against a recount from the anchors. */
static scv_status check_counts(const scv_engine *e, const char **why)
{
    size_t stride = (size_t)e->rules.n_limited + 1, n = e->recs.rec.len, bytes;
    if (!scv__mul_ok(n > 0 ? n : 1, stride * sizeof(uint32_t), &bytes)) return SCV_ENOMEM;
    uint32_t *cnt = scv__calloc(&e->mem, 1, bytes);
    if (cnt == NULL) return SCV_ENOMEM;
    for (uint32_t id = 0; id < e->ids.keys.len; id++) {
        if (e->ids.row.data[id].anchor == SCV__NONE) continue;
        uint32_t r = checked_root(&e->graph, e->ids.row.data[id].anchor);
        uint8_t slot = e->rules.slot[e->ids.row.data[id].kind];
        cnt[r * stride]++;
        if (slot != SCV__NO_SLOT) cnt[r * stride + 1 + slot]++;
    }
    for (uint32_t x = 0; x < n && *why == NULL; x++) {
        if (e->graph.node[x].parent != x) continue;
        if (e->graph.node[x].idents != cnt[x * stride])
            *why = "linking identifier count of a component is wrong";
        for (size_t s = 0; s + 1 < stride; s++)
            if (e->kcount.data[x * (stride - 1) + s] != cnt[x * stride + 1 + s])
                *why = "limited-kind count of a component is wrong";
    }
    scv__free(&e->mem, cnt, bytes);
    return *why == NULL ? SCV_OK : SCV_ECORRUPT;
}

scv_status scv__engine_check(const scv_engine *e, const char **why)
{
    *why = check_columns(e);
    for (uint32_t x = 0; *why == NULL && x < e->recs.rec.len; x++) *why = check_record(e, x);
    if (*why == NULL) *why = check_graph(e);
    if (*why == NULL) *why = check_profiles(e);
    if (*why == NULL) *why = check_postings(e);
    for (uint32_t id = 0; *why == NULL && id < e->ids.keys.len; id++) *why = check_anchor(e, id);
    if (*why != NULL) return SCV_ECORRUPT;
    return check_counts(e, why);
}

/* A stored bound as a number: unknown is more than any count. */
static uint64_t bound_value(uint16_t b)
{
    return b == SCV__BOUND_UNKNOWN ? UINT64_MAX : b;
}

/* The generic rule's stored bounds of value v against its exact partner counts (as resolve.c
 * counts them: distinct values of a kind ranked at most v's, not blocked, on v's carriers;
 * solo: carriers with none). stamp[w] == v + 1 marks w counted for v. */
static const char *check_value_bounds(const scv_engine *e, uint32_t v, uint32_t *stamp)
{
    const scv__ident *row = &e->ids.row.data[v];
    uint64_t per_kind[SCV_MAX_KINDS] = {0}, solo = 0, best = 0, second = 0, lead_count = 0, others = 0;
    uint8_t rank = e->rules.rank[row->kind];
    for (uint32_t x = row->head; x != SCV__NONE; x = scv__records_next_carrier(&e->recs, x, v)) {
        size_t k;
        int partners = 0;
        const uint32_t *slots = scv__records_ids(&e->recs, x, &k);
        for (size_t i = 0; i < k; i++) {
            uint32_t w = SCV__SLOT_ID(slots[i]);
            const scv__ident *wr = &e->ids.row.data[w];
            if (w == v || wr->state == SCV_LINK_BLOCKED || e->rules.rank[wr->kind] > rank) continue;
            partners = 1;
            if (stamp[w] == v + 1) continue;
            stamp[w] = v + 1;
            per_kind[wr->kind]++;
        }
        solo += !partners;
    }
    for (size_t k = 0; k < SCV_MAX_KINDS; k++) {
        if (per_kind[k] > best) {
            second = best;
            best = per_kind[k];
        } else if (per_kind[k] > second) {
            second = per_kind[k];
        }
        if (row->lead != SCV__NO_LEAD && k == row->lead) lead_count = per_kind[k];
        else if (row->lead != SCV__NO_LEAD && per_kind[k] > others) others = per_kind[k];
    }
    if (row->lead == SCV__NO_LEAD) {
        lead_count = best;
        others = second;
    }
    if (bound_value(row->bound) < lead_count) return "a value's partner bound is below its count";
    if (bound_value(row->second) < others) return "a value's second partner bound is below its count";
    if (bound_value(row->solo) < solo) return "a value's solo bound is below its count";
    return NULL;
}

scv_status scv__engine_check_bounds(const scv_engine *e, const char **why)
{
    size_t n = e->ids.keys.len, bytes;
    *why = NULL;
    if (!scv__mul_ok(n > 0 ? n : 1, sizeof(uint32_t), &bytes)) return SCV_ENOMEM;
    uint32_t *stamp = scv__calloc(&e->mem, 1, bytes);
    if (stamp == NULL) return SCV_ENOMEM;
    /* An unknown bound (unsuppressed, or a partner blocked) means a recount on the next
     * carrier, whatever the others say. */
    for (uint32_t v = 0; v < n && *why == NULL; v++)
        if (e->ids.row.data[v].state == SCV_LINK && e->rules.generic[e->ids.row.data[v].kind] != 0 &&
            e->ids.row.data[v].bound != SCV__BOUND_UNKNOWN)
            *why = check_value_bounds(e, v, stamp);
    scv__free(&e->mem, stamp, bytes);
    return *why == NULL ? SCV_OK : SCV_ECORRUPT;
}
