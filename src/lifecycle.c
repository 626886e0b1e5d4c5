/* lifecycle.c — delete, erase (with the suppression list), and reading the change feed. */
#include "engine.h"

#include <string.h>

#include "resolve.h"

scv_status scv_engine_delete(scv_engine *e, scv_source source, const char *record_id, size_t len)
{
    if (e == NULL || (record_id == NULL && len > 0)) return SCV_EINVAL;
    if (source >= scv__names_count(&e->sources) || len == 0 || len > SCV_MAX_RECORD_ID_LEN)
        return scv__engine_error(e, SCV_ENOTFOUND, "no such record", -1);
    uint32_t x = scv__records_find(&e->recs, scv__engine_record_key(e, source, record_id, len),
                                   (uint16_t)source, record_id, len);
    if (x == SCV__NONE) return scv__engine_error(e, SCV_ENOTFOUND, "no such record", -1);
    if (scv__reserve_delete(e, x) != SCV_OK) return scv__engine_error(e, SCV_ENOMEM, "out of memory", -1);
    scv__delete_record(e, x, 0);
    return scv__engine_error(e, SCV_OK, "", -1);
}

/* Mark identifier v suppressed; its normalized value is overwritten. */
static void suppress_value(scv_engine *e, uint32_t v)
{
    if (e->ids.retain) {
        scv__span sp = e->ids.value.data[v];
        memset(e->ids.bytes.data + sp.off, 0, sp.len);
        e->ids.value.data[v].len = 0;
    }
    e->ids.row.data[v].state = SCV_LINK_SUPPRESSED;
}

scv_status scv_engine_erase(scv_engine *e, scv_profile_id profile, size_t *records, size_t *identifiers)
{
    if (e == NULL) return SCV_EINVAL;
    uint32_t p = scv__profiles_canonical(&e->prof, profile);
    if (p == 0) return scv__engine_error(e, SCV_ENOTFOUND, "no such profile", -1);
    uint32_t root = e->prof.root.data[p];
    size_t n = e->graph.node[root].size;
    /* The records to delete, oldest first (scratch2 keeps them while the rebuilds use
     * scratch); room for rebuilding the whole profile once is room for every step. */
    if (scv__reserve_resolution(e, 0, n) != SCV_OK || SCV__VEC_RESERVE(&e->mem, e->scratch2, 2 * n) != SCV_OK)
        return scv__engine_error(e, SCV_ENOMEM, "out of memory", -1);
    uint32_t *list = e->scratch2.data + n; /* the rebuild's pairs use at most the first n */
    size_t k = 0, suppressed = 0;
    uint32_t m = root;
    do {
        list[k++] = m;
        m = e->graph.node[m].next;
    } while (m != root);
    /* Suppress the person's own values first, so the rebuilds never link through them. */
    for (size_t i = 0; i < k; i++) {
        size_t c;
        const uint32_t *slots = scv__records_ids(&e->recs, list[i], &c);
        for (size_t j = 0; j < c; j++) {
            uint32_t v = SCV__SLOT_ID(slots[j]);
            uint8_t st = e->ids.row.data[v].state;
            if (st == SCV_LINK_BLOCKED || st == SCV_LINK_GENERIC || st == SCV_LINK_SUPPRESSED) continue;
            suppress_value(e, v);
            suppressed++;
        }
    }
    for (size_t i = 0; i < k; i++) scv__delete_record(e, list[i], 1);
    if (records != NULL) *records = k;
    if (identifiers != NULL) *identifiers = suppressed;
    return scv__engine_error(e, SCV_OK, "", -1);
}

/* Suppress by hash; a value carried by records stops linking there (rebuilding its profile). */
static scv_status suppress_hash(scv_engine *e, scv_kind kind, scv__h128 h)
{
    uint32_t v = scv__idtable_find(&e->ids, h);
    uint32_t a = v == SCV__NONE ? SCV__NONE : e->ids.row.data[v].anchor;
    size_t members = a == SCV__NONE ? 0 : e->graph.node[scv__graph_root(&e->graph, a)].size;
    if (scv__idtable_reserve(&e->mem, &e->ids, 1, 0) != SCV_OK || scv__reserve_resolution(e, 0, members) != SCV_OK)
        return scv__engine_error(e, SCV_ENOMEM, "out of memory", -1);
    int added;
    v = scv__idtable_intern(&e->ids, h, (uint8_t)kind, SCV_LINK_SUPPRESSED, NULL, 0, &added);
    if (!added && e->ids.row.data[v].state != SCV_LINK_SUPPRESSED) {
        suppress_value(e, v);
        if (a != SCV__NONE) scv__rebuild(e, &a, 1, SCV__NONE, NULL, 0);
        scv__recheck_generic_partners(e, v);
        e->generation++;
    }
    return scv__engine_error(e, SCV_OK, "", -1);
}

scv_status scv_engine_suppress(scv_engine *e, scv_kind kind, const char *value, size_t len)
{
    scv__h128 h;
    scv_status st;
    if (e == NULL) return SCV_EINVAL;
    if ((st = scv__engine_lookup_hash(e, kind, value, len, &h)) != SCV_OK) return st;
    return suppress_hash(e, kind, h);
}

static scv__h128 hash_from_bytes(const uint8_t b[SCV_HASH_SIZE])
{
    scv__h128 h = {0, 0};
    for (int i = 0; i < 8; i++) {
        h.hi = h.hi << 8 | b[i];
        h.lo = h.lo << 8 | b[8 + i];
    }
    return h;
}

scv_status scv_engine_suppress_hash(scv_engine *e, scv_kind kind, const uint8_t hash[SCV_HASH_SIZE])
{
    if (e == NULL || hash == NULL) return SCV_EINVAL;
    if (kind >= scv__names_count(&e->kinds)) return scv__engine_error(e, SCV_ENOTFOUND, "unknown identifier kind", -1);
    return suppress_hash(e, kind, hash_from_bytes(hash));
}

scv_status scv_engine_unsuppress_hash(scv_engine *e, scv_kind kind, const uint8_t hash[SCV_HASH_SIZE])
{
    if (e == NULL || hash == NULL) return SCV_EINVAL;
    (void)kind;
    uint32_t v = scv__idtable_find(&e->ids, hash_from_bytes(hash));
    if (v == SCV__NONE || e->ids.row.data[v].state != SCV_LINK_SUPPRESSED)
        return scv__engine_error(e, SCV_ENOTFOUND, "not on the suppression list", -1);
    e->ids.row.data[v].state = SCV_LINK;
    e->ids.row.data[v].bound = e->ids.row.data[v].second = SCV__BOUND_UNKNOWN; /* recount next */
    e->ids.row.data[v].lead = SCV__NO_LEAD;
    e->ids.row.data[v].solo = 0;
    scv__relink_value(e, v); /* carriers that kept it (suppressed while carried) link again */
    e->generation++;
    return scv__engine_error(e, SCV_OK, "", -1);
}

size_t scv_engine_suppressed_count(const scv_engine *e)
{
    size_t n = 0;
    if (e == NULL) return 0;
    for (size_t v = 0; v < e->ids.row.len; v++) n += e->ids.row.data[v].state == SCV_LINK_SUPPRESSED;
    return n;
}

uint64_t scv_engine_sequence(const scv_engine *e)
{
    return e == NULL ? 0 : e->feed.last_seq;
}

scv_status scv_engine_changes_since(const scv_engine *e, uint64_t after, scv_change_fn fn, void *ctx)
{
    if (e == NULL || fn == NULL) return SCV_EINVAL;
    const scv__feed *f = &e->feed;
    if (after >= f->last_seq) return SCV_OK;
    if (after + 1 < scv__feed_oldest(f)) return SCV_EEXPIRED;
    for (uint64_t seq = after + 1; seq <= f->last_seq; seq++) {
        const scv__event *ev = scv__feed_at(f, seq);
        scv_source source = 0;
        const char *id = "";
        size_t len = 0;
        if (ev->trigger != SCV__NONE && ev->trigger < e->recs.rec.len) {
            const scv__rec *r = &e->recs.rec.data[ev->trigger];
            source = r->source;
            id = e->recs.bytes.data + r->id_off;
            len = r->id_len;
        }
        if (fn(ctx, seq, (scv_change)ev->kind, ev->profile, ev->other, source, id, len) != 0) break;
    }
    return SCV_OK;
}
