/* explain.c — why two records share a profile (or do not): the shortest chain of records
 * and identifiers between them, found by a breadth-first search over the bipartite graph of
 * records and the identifiers they carry (identifier -> records through the postings). */
#include "engine.h"

#include <string.h>

/* Node numbering for the search: records 0..R-1, identifiers R..R+I-1. */
typedef struct search {
    const scv_engine *e;
    uint32_t n_rec;
    uint32_t *parent; /* SCV__NONE = unvisited */
    uint32_t *queue;
    size_t head, tail;
    int linking_only;
} search;

static void visit(search *s, uint32_t node, uint32_t from)
{
    if (s->parent[node] != SCV__NONE) return;
    s->parent[node] = from;
    s->queue[s->tail++] = node;
}

/* Breadth-first from record a until record b is reached. Returns 1 when it is. */
static int bfs(search *s, uint32_t a, uint32_t b)
{
    const scv_engine *e = s->e;
    size_t total = (size_t)s->n_rec + e->ids.keys.len;
    for (size_t i = 0; i < total; i++) s->parent[i] = SCV__NONE;
    s->head = s->tail = 0;
    visit(s, a, a);
    while (s->head < s->tail) {
        uint32_t node = s->queue[s->head++];
        if (node == b) return 1;
        if (node < s->n_rec) {
            size_t k;
            const uint32_t *slots = scv__records_ids(&e->recs, node, &k);
            for (size_t i = 0; i < k; i++)
                if (!s->linking_only || scv__slot_state(e, slots[i]) == SCV_LINK)
                    visit(s, s->n_rec + SCV__SLOT_ID(slots[i]), node);
        } else {
            uint32_t v = node - s->n_rec;
            for (uint32_t c = e->ids.row.data[v].head; c != SCV__NONE; c = scv__records_next_carrier(&e->recs, c, v))
                if (!s->linking_only ||
                    scv__slot_state(e, e->recs.ids.data[scv__records_slot_of(&e->recs, c, v)]) == SCV_LINK)
                    visit(s, c, node);
        }
    }
    return 0;
}

/* The state of identifier v on record x. */
static uint8_t state_on(const scv_engine *e, uint32_t x, uint32_t v)
{
    size_t k;
    const uint32_t *slots = scv__records_ids(&e->recs, x, &k);
    for (size_t i = 0; i < k; i++)
        if (SCV__SLOT_ID(slots[i]) == v) return scv__slot_state(e, slots[i]);
    return SCV_LINK;
}

static scv_apart apart_of(uint8_t state)
{
    switch (state) {
    case SCV_LINK_ASIDE_LIMIT: return SCV_APART_LIMIT;
    case SCV_LINK_ASIDE_SIZE: return SCV_APART_SIZE;
    case SCV_LINK_BLOCKED: return SCV_APART_BLOCKED;
    case SCV_LINK_GENERIC: return SCV_APART_GENERIC;
    case SCV_LINK_SUPPRESSED: return SCV_APART_SUPPRESSED;
    default: return SCV_APART_UNRELATED;
    }
}

scv_status scv_engine_explain(const scv_engine *e, scv_record_ref ra, scv_record_ref rb, scv_record_ref *records,
                              scv_identifier_ref *identifiers, size_t cap, size_t *len, scv_apart *apart)
{
    if (e == NULL || len == NULL || apart == NULL || (cap > 0 && (records == NULL || identifiers == NULL)))
        return SCV_EINVAL;
    if (ra == 0 || rb == 0 || ra > e->recs.rec.len || rb > e->recs.rec.len || e->recs.rec.data[ra - 1].dead ||
        e->recs.rec.data[rb - 1].dead)
        return SCV_ENOTFOUND;
    uint32_t a = ra - 1, b = rb - 1;
    size_t total = e->recs.rec.len + e->ids.keys.len, bytes;
    if (!scv__mul_ok(total, 2 * sizeof(uint32_t), &bytes)) return SCV_ENOMEM;
    uint32_t *mem = scv__alloc(&e->mem, bytes);
    if (mem == NULL) return SCV_ENOMEM;
    search s = {e, (uint32_t)e->recs.rec.len, mem, mem + total, 0, 0, 1};

    int together = scv__graph_root(&e->graph, a) == scv__graph_root(&e->graph, b);
    s.linking_only = together;
    int found = bfs(&s, a, b);
    *apart = together ? SCV_APART_NONE : SCV_APART_UNRELATED;
    size_t n = 0;
    if (found) {
        /* Walk back from b: records and identifiers alternate. */
        for (uint32_t node = b;; node = s.parent[node]) {
            if (node < s.n_rec) n++;
            if (node == a) break;
        }
    }
    *len = n;
    if (n > cap) {
        scv__free(&e->mem, mem, bytes);
        return SCV_EBUFFER;
    }
    size_t i = n;
    for (uint32_t node = b; found; node = s.parent[node]) {
        if (node < s.n_rec) records[--i] = node + 1;
        else identifiers[i - 1] = node - s.n_rec + 1;
        if (node == a) break;
    }
    if (found && !together) {
        /* The first step of the chain that does not link says which rule cut it. */
        for (size_t k = 0; k + 1 < n; k++) {
            uint32_t v = identifiers[k] - 1;
            uint8_t st = state_on(e, records[k] - 1, v);
            if (st == SCV_LINK) st = state_on(e, records[k + 1] - 1, v);
            if (st != SCV_LINK) {
                *apart = apart_of(st);
                break;
            }
        }
    }
    scv__free(&e->mem, mem, bytes);
    return SCV_OK;
}
