/* batch.c — scv_engine_upsert_batch(): scv_engine_upsert() over many records, looking ahead.
 *
 * Upserting a record follows chains of dependent loads, each a likely cache miss in a big
 * engine: hash slot -> key and identifier row -> the anchor's graph node -> its parent's node
 * and profile; and identifier row -> its newest carrier's record -> that record's identifier
 * slots (what the generic rule compares with). One record at a time,
 * every step waits for the one before. A batch knows the records to come, so it walks each
 * record's chains one step per record ahead of time, STAGES steps in all: by the time a record
 * is upserted its loads hit the cache, and the misses of several records overlap. The first
 * two steps fetch the builder itself, which a host filling builders on another thread (the
 * scv program does) has in that thread's core.
 *
 * Everything here is a hint. A guess may go stale (a table grown, a link changed, an
 * identifier added by a record in between); that costs a wasted fetch, never a wrong result,
 * because the upsert itself looks everything up again. */
#include "resolve.h"

#include <stddef.h>

/* How many records ahead each stage works; stage s needs what stage s - 1 fetched (the
 * stages, in order: fetch_builder, fetch_builder_data, fetch_slots, fetch_rows, fetch_links,
 * fetch_roots, fetch_grandparents). */
#define STAGES 7
static const ptrdiff_t ahead[STAGES] = {24, 16, 10, 7, 5, 3, 1};
#define RING 32 /* more than the longest look-ahead */
#define ROOM_RUN 64 /* records whose room is checked at once */

/* What the stages remember about a record: the ids its lookups will likely find. */
typedef struct guess {
    uint32_t x; /* the record */
    uint32_t ids[SCV_MAX_IDENTIFIERS];
    size_t n;
} guess;

static int valid_id(const scv_engine *e, uint32_t v)
{
    return v < e->ids.row.len;
}

/* Builder stage 0: the builder itself, which the upsert reads nearly all of (see struct
 * scv_record). A builder is filled on another thread in the scv program, so its lines are in
 * that thread's core: each first read here would wait for them. Their addresses need no
 * load. */
static void fetch_builder(const scv_record *rec)
{
    for (size_t at = 0; at < sizeof *rec; at += 64) SCV__PREFETCH((const char *)rec + at);
}

/* Builder stage 1: the builder's fields and value bytes, which the upsert copies, and its
 * identifiers and id when they outgrew it. */
static void fetch_builder_data(const scv_record *rec)
{
    for (size_t at = 0; at < rec->fields.len * sizeof *rec->fields.data && at < 4 * 64; at += 64)
        SCV__PREFETCH((const char *)rec->fields.data + at);
    for (size_t at = 0; at < rec->buf.len && at < 4 * 64; at += 64) SCV__PREFETCH(rec->buf.data + at);
    if (rec->idents != rec->few) {
        SCV__PREFETCH(&rec->idents[0]);
        SCV__PREFETCH(&rec->idents[2]);
    }
    if (rec->id != rec->short_id) SCV__PREFETCH(rec->id);
}

/* Stage 0: the hash slots where the record's lookups start. */
static void fetch_slots(const scv_engine *e, const scv_record *rec)
{
    scv__htab_prefetch(&e->recs.index, rec->key);
    for (size_t i = 0; i < rec->n_idents; i++) scv__htab_prefetch(&e->ids.index, rec->idents[i].hash);
}

/* Stage 1: guess the record and the ids (slots now cached); fetch the record and the
 * identifiers' keys and rows. */
static void fetch_rows(const scv_engine *e, const scv_record *rec, guess *g)
{
    uint32_t x = scv__htab_candidate(&e->recs.index, rec->key);
    g->x = x;
    if (x < e->recs.rec.len) SCV__PREFETCH(&e->recs.rec.data[x]);
    g->n = rec->n_idents;
    for (size_t i = 0; i < rec->n_idents; i++) {
        uint32_t v = scv__htab_candidate(&e->ids.index, rec->idents[i].hash);
        g->ids[i] = v;
        if (!valid_id(e, v)) continue;
        SCV__PREFETCH(&e->ids.keys.data[v]);
        /* A row (24 bytes) may straddle two lines: fetch both ends. */
        SCV__PREFETCH(&e->ids.row.data[v]);
        SCV__PREFETCH((const char *)&e->ids.row.data[v] + sizeof(scv__ident) - 1);
    }
}

/* Stage 2: the record's id (what its lookup compares); each row's anchor node and newest
 * carrier. */
static void fetch_links(const scv_engine *e, const guess *g)
{
    if (g->x < e->recs.rec.len && e->recs.rec.data[g->x].id_off < e->recs.bytes.len)
        SCV__PREFETCH(&e->recs.bytes.data[e->recs.rec.data[g->x].id_off]);
    for (size_t i = 0; i < g->n; i++) {
        if (!valid_id(e, g->ids[i])) continue;
        const scv__ident *row = &e->ids.row.data[g->ids[i]];
        if (row->anchor < e->graph.len) SCV__PREFETCH(&e->graph.node[row->anchor]);
        if (row->head < e->recs.rec.len) SCV__PREFETCH(&e->recs.rec.data[row->head]);
    }
}

/* Stage 3: the anchor's parent (usually the root) and its profile; the carrier's slots. */
static void fetch_roots(const scv_engine *e, const guess *g)
{
    for (size_t i = 0; i < g->n; i++) {
        if (!valid_id(e, g->ids[i])) continue;
        const scv__ident *row = &e->ids.row.data[g->ids[i]];
        if (row->anchor < e->graph.len) {
            uint32_t up = e->graph.node[row->anchor].parent;
            if (up < e->graph.len) {
                SCV__PREFETCH(&e->graph.node[up]);
                SCV__PREFETCH(&e->prof.of_root.data[up]);
            }
        }
        if (row->head < e->recs.rec.len) {
            uint32_t at = e->recs.rec.data[row->head].ids_off;
            if (at < e->recs.ids.len) {
                SCV__PREFETCH(&e->recs.ids.data[at]);
                SCV__PREFETCH(&e->recs.slot_next.data[at]);
            }
        }
    }
}

/* Stage 4: the root one step further up. */
static void fetch_grandparents(const scv_engine *e, const guess *g)
{
    for (size_t i = 0; i < g->n; i++) {
        if (!valid_id(e, g->ids[i])) continue;
        const scv__ident *row = &e->ids.row.data[g->ids[i]];
        if (row->anchor < e->graph.len) {
            uint32_t up = e->graph.node[row->anchor].parent;
            if (up < e->graph.len) SCV__PREFETCH(&e->graph.node[e->graph.node[up].parent]);
        }
    }
}

/* Record k of the batch, or NULL when k is outside it (or the entry is NULL). */
static const scv_record *record_at(const scv_record *const *recs, size_t n, ptrdiff_t k)
{
    return k >= 0 && (size_t)k < n ? recs[k] : NULL;
}

static guess *guess_of(guess *ring, ptrdiff_t k)
{
    return &ring[(size_t)k % RING];
}

scv_status scv_engine_upsert_batch(scv_engine *e, const scv_record *const *recs, size_t n,
                                   scv_profile_id *profiles, size_t *done)
{
    guess ring[RING];
    size_t i = 0;
    scv_status st = SCV_OK;
    if (e == NULL || (recs == NULL && n > 0)) {
        st = SCV_EINVAL;
    } else {
        /* At step t, stage s works on record t + ahead[s] and record t is upserted; the
         * first records' early stages fall on negative steps. */
        for (ptrdiff_t t = -ahead[0]; t < (ptrdiff_t)n; t++) {
            const scv_record *r;
            if ((r = record_at(recs, n, t + ahead[0])) != NULL) fetch_builder(r);
            if ((r = record_at(recs, n, t + ahead[1])) != NULL) fetch_builder_data(r);
            if ((r = record_at(recs, n, t + ahead[2])) != NULL) fetch_slots(e, r);
            if ((r = record_at(recs, n, t + ahead[3])) != NULL)
                fetch_rows(e, r, guess_of(ring, t + ahead[3]));
            if (record_at(recs, n, t + ahead[4]) != NULL) fetch_links(e, guess_of(ring, t + ahead[4]));
            if (record_at(recs, n, t + ahead[5]) != NULL) fetch_roots(e, guess_of(ring, t + ahead[5]));
            if (record_at(recs, n, t + ahead[6]) != NULL)
                fetch_grandparents(e, guess_of(ring, t + ahead[6]));
            if (t < 0) continue;
            i = (size_t)t;
            /* Checking the room for a run of records at once saves reserving it per record
             * (a run that does not fit reserves record by record, growing as it goes). */
            if (i % ROOM_RUN == 0)
                e->content_reserved = scv__room_for_upserts(e, recs + i, n - i < ROOM_RUN ? n - i : ROOM_RUN);
            st = scv_engine_upsert(e, recs[i], profiles != NULL ? &profiles[i] : NULL);
            if (st != SCV_OK) break;
            i++;
        }
        e->content_reserved = 0;
    }
    if (done != NULL) *done = i;
    return st;
}
