/* resolve.c — upsert: store a record and resolve it into profiles.
 *
 * Every identifier has an anchor: one record that carries it. Linking a record means uniting
 * its component with the component of each of its identifiers' anchors. A replacement that
 * drops an identifier may disconnect the component, so the component is rebuilt from its
 * records (oldest first); the part holding the oldest record keeps the profile id.
 *
 * scv_engine_upsert() first reserves every byte it may need (tables, pools, profile ids,
 * scratch) and only then mutates, so an allocation failure leaves the engine untouched. */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

/* Unite the components of records a and b, keeping the older profile id. */
static void link_records(scv_engine *e, uint32_t a, uint32_t b)
{
    uint32_t ra = scv__graph_find(&e->graph, a), rb = scv__graph_find(&e->graph, b);
    if (ra == rb) return;
    uint32_t pa = scv__profiles_of(&e->prof, ra), pb = scv__profiles_of(&e->prof, rb);
    uint32_t root = scv__graph_unite(&e->graph, ra, rb);
    uint32_t survivor = pa < pb ? pa : pb, gone = pa < pb ? pb : pa;
    scv__profiles_merge(&e->prof, gone, survivor);
    scv__profiles_attach(&e->prof, survivor, root);
}

/* Link record x through identifier id. */
static void link_identifier(scv_engine *e, uint32_t x, uint32_t id)
{
    uint32_t a = e->ids.anchor.data[id];
    if (a == SCV__NONE)
        e->ids.anchor.data[id] = x;
    else
        link_records(e, x, a);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int contains(const uint32_t *set, size_t n, uint32_t v)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == v) return 1;
    return 0;
}

/*
 * Rebuild the component record x is in after x's identifiers changed from old[0..n_old) to
 * what the store now holds. Scratch room for the component was reserved.
 */
static void reresolve(scv_engine *e, uint32_t x, const uint32_t *old, size_t n_old)
{
    scv__graph *g = &e->graph;
    uint32_t *anchor = e->ids.anchor.data;
    uint32_t root = scv__graph_find(g, x);
    uint32_t pid = scv__profiles_of(&e->prof, root);
    uint32_t *members = e->scratch.data;
    size_t n_members = 0, n_now;
    const uint32_t *now = scv__records_ids(&e->recs, x, &n_now);
    uint32_t external[SCV_MAX_IDENTIFIERS];
    size_t n_external = 0;

    /* x's identifiers anchored in other components: links made after the rebuild. */
    for (size_t i = 0; i < n_now; i++) {
        uint32_t a = anchor[now[i]];
        if (a != SCV__NONE && scv__graph_find(g, a) != root) external[n_external++] = now[i];
    }

    uint32_t m = root;
    do {
        members[n_members++] = m;
        m = g->next[m];
    } while (m != root);
    qsort(members, n_members, sizeof *members, cmp_u32);

    /* Forget the component's links. */
    for (size_t i = 0; i < n_members; i++) {
        size_t n;
        const uint32_t *ids = members[i] == x ? old : scv__records_ids(&e->recs, members[i], &n);
        if (members[i] == x) n = n_old;
        for (size_t k = 0; k < n; k++) anchor[ids[k]] = SCV__NONE;
    }
    for (size_t i = 0; i < n_members; i++) {
        scv__graph_isolate(g, members[i]);
        e->prof.of_root.data[members[i]] = 0;
    }

    /* Link again, oldest record first. */
    for (size_t i = 0; i < n_members; i++) {
        size_t n;
        const uint32_t *ids = scv__records_ids(&e->recs, members[i], &n);
        for (size_t k = 0; k < n; k++) {
            uint32_t a = anchor[ids[k]];
            if (members[i] == x && contains(external, n_external, ids[k])) continue;
            if (a == SCV__NONE) {
                anchor[ids[k]] = members[i];
            } else {
                uint32_t ra = scv__graph_find(g, a), rm = scv__graph_find(g, members[i]);
                if (ra != rm) (void)scv__graph_unite(g, ra, rm);
            }
        }
    }

    /* The part holding the oldest record keeps the id; the others get new ids. */
    for (size_t i = 0; i < n_members; i++) {
        uint32_t r = scv__graph_find(g, members[i]);
        if (scv__profiles_of(&e->prof, r) != 0) continue;
        if (i == 0)
            scv__profiles_attach(&e->prof, pid, r);
        else
            (void)scv__profiles_issue(&e->prof, r);
    }

    for (size_t i = 0; i < n_external; i++) link_identifier(e, x, external[i]);
}

/* Store the builder's timestamp, fields and identifiers on record x (room reserved). */
static void store_content(scv_engine *e, uint32_t x, const scv_record *rec, const uint32_t *ids)
{
    scv__records *rs = &e->recs;
    rs->rec.data[x].ts = rec->ts;

    scv__field *f = scv__records_fields_slot(rs, x, rec->fields.len);
    for (size_t i = 0; i < rec->fields.len; i++) {
        const scv__rec_field *src = &rec->fields.data[i];
        const char *name = rec->buf.data + src->name_off;
        if (src->is_measure) {
            f[i].name = scv__names_intern(&e->measure_names, name, src->name_len);
            f[i].len = SCV__MEASURE;
            f[i].v.num = src->num;
        } else {
            f[i].name = scv__names_intern(&e->trait_names, name, src->name_len);
            f[i].len = src->val_len;
            f[i].v.off = scv__records_put_bytes(rs, rec->buf.data + src->val_off, src->val_len);
        }
    }

    uint32_t *slot = scv__records_ids_slot(rs, x, rec->n_idents);
    if (rec->n_idents > 0) memcpy(slot, ids, rec->n_idents * sizeof *ids);
    if (rs->keep_raw) {
        scv__span *raw = rs->raw.data + rs->rec.data[x].ids_off;
        for (size_t i = 0; i < rec->n_idents; i++) {
            const scv__rec_ident *id = &rec->idents[i];
            raw[i].off = scv__records_put_bytes(rs, rec->buf.data + id->raw_off, id->raw_len);
            raw[i].len = id->raw_len;
        }
    }
}

static void add_ref(scv_engine *e, uint32_t id, int delta)
{
    uint32_t *refs = &e->ids.refs.data[id];
    if (delta > 0 && (*refs)++ == 0) e->ids.live++;
    if (delta < 0 && --(*refs) == 0) e->ids.live--;
}

/* Reserve everything an upsert of rec may need. */
static scv_status reserve_for(scv_engine *e, const scv_record *rec, int is_new, size_t component)
{
    size_t trait_bytes = 0, names_bytes = 0, norm_bytes = 0, raw_bytes = 0;
    scv_status st;
    for (size_t i = 0; i < rec->fields.len; i++) {
        names_bytes += rec->fields.data[i].name_len;
        trait_bytes += rec->fields.data[i].val_len;
    }
    for (size_t i = 0; i < rec->n_idents; i++) {
        norm_bytes += rec->idents[i].norm_len;
        raw_bytes += rec->idents[i].raw_len;
    }
    if (!e->recs.keep_raw) raw_bytes = 0;
    if ((st = scv__names_reserve(&e->mem, &e->trait_names, rec->fields.len, names_bytes)) != SCV_OK)
        return st;
    if ((st = scv__names_reserve(&e->mem, &e->measure_names, rec->fields.len, names_bytes)) != SCV_OK)
        return st;
    if ((st = scv__idtable_reserve(&e->mem, &e->ids, rec->n_idents, norm_bytes)) != SCV_OK) return st;
    if ((st = scv__records_reserve(&e->mem, &e->recs, is_new ? 1 : 0, rec->n_idents, rec->fields.len,
                                   (is_new ? rec->id_len : 0) + trait_bytes + raw_bytes)) != SCV_OK)
        return st;
    if ((st = scv__graph_reserve(&e->mem, &e->graph, is_new ? 1 : 0)) != SCV_OK) return st;
    if ((st = scv__profiles_reserve(&e->mem, &e->prof, is_new ? 1 : component, is_new ? 1 : 0)) != SCV_OK)
        return st;
    e->scratch.len = 0;
    return SCV__VEC_RESERVE(&e->mem, e->scratch, component);
}

scv_status scv_engine_upsert(scv_engine *e, const scv_record *rec, scv_profile_id *profile)
{
    uint32_t ids[SCV_MAX_IDENTIFIERS], old[SCV_MAX_IDENTIFIERS];
    size_t n_old = 0, component = 0;
    scv_status st;
    if (e == NULL || rec == NULL) return SCV_EINVAL;
    if (rec->engine != e) return scv__engine_error(e, SCV_ESTATE, "record builder belongs to another engine", -1);
    if (!rec->has_key) return scv__engine_error(e, SCV_ESTATE, "record builder has no key: call scv_record_reset()", -1);

    uint32_t x = scv__records_find(&e->recs, rec->key);
    int is_new = x == SCV__NONE;
    if (!is_new) component = e->graph.size[scv__graph_root(&e->graph, x)];
    st = reserve_for(e, rec, is_new, component);
    if (st == SCV_ELIMIT) return scv__engine_error(e, st, "the engine holds SCV_MAX_RECORDS records", -1);
    if (st != SCV_OK) return scv__engine_error(e, SCV_ENOMEM, "out of memory", -1);

    /* Nothing below can fail. */
    for (size_t i = 0; i < rec->n_idents; i++) {
        const scv__rec_ident *id = &rec->idents[i];
        ids[i] = scv__idtable_intern(&e->ids, id->hash, (uint8_t)id->kind, rec->buf.data + id->norm_off,
                                     id->norm_len);
        add_ref(e, ids[i], +1);
    }

    if (is_new) {
        x = scv__records_append(&e->recs, rec->key, (uint16_t)rec->source, rec->id, rec->id_len);
        (void)scv__graph_add(&e->graph);
        scv__profiles_add_record(&e->prof);
        (void)scv__profiles_issue(&e->prof, x);
        store_content(e, x, rec, ids);
        for (size_t i = 0; i < rec->n_idents; i++) link_identifier(e, x, ids[i]);
    } else {
        int dropped = 0;
        const uint32_t *cur = scv__records_ids(&e->recs, x, &n_old);
        memcpy(old, cur, n_old * sizeof *old);
        for (size_t i = 0; i < n_old; i++) {
            add_ref(e, old[i], -1);
            if (!contains(ids, rec->n_idents, old[i])) dropped = 1;
        }
        store_content(e, x, rec, ids);
        if (dropped)
            reresolve(e, x, old, n_old);
        else
            for (size_t i = 0; i < rec->n_idents; i++) link_identifier(e, x, ids[i]);
    }
    if (profile != NULL) *profile = scv__profiles_of(&e->prof, scv__graph_find(&e->graph, x));
    return scv__engine_error(e, SCV_OK, "", -1);
}
