/* absorb.c — scv_engine_absorb(): add every live record of one engine to another, as if
 * upserted there, so that partitions resolved apart (one engine per worker) combine.
 *
 * Identifiers travel as hashes (both engines must share the hash key), with their
 * normalized and raw values when the source engine kept them. Kinds and sources are matched
 * by name. The source's suppression list and its host-blocked values go first, so the
 * records that follow never link through them. Each record is one upsert: atomic on its
 * own, while the absorb as a whole is not (see scv.h). */
#include "engine.h"

#include <string.h>

#include "snapshot.h"

/* A kind of src as dst numbers it: registered in dst (same name and normalizer) if new. */
static scv_status map_kinds(scv_engine *dst, const scv_engine *src, scv_kind map[SCV_MAX_KINDS])
{
    size_t n = scv__names_count(&src->kinds), missing = 0, len;
    for (uint32_t k = 0; k < n; k++) {
        const char *name = scv__names_get(&src->kinds, k, &len);
        map[k] = scv__names_find(&dst->kinds, name, len);
        if (map[k] == SCV__NONE) missing++;
        else if (dst->kind_norm[map[k]] != src->kind_norm[k])
            return scv__engine_error(dst, SCV_EINVAL, "a kind has another normalizer in the other engine",
                                     -1);
    }
    if (scv__names_count(&dst->kinds) + missing > SCV_MAX_KINDS)
        return scv__engine_error(dst, SCV_ELIMIT, "too many kinds or sources", -1);
    for (uint32_t k = 0; k < n; k++) {
        if (map[k] != SCV__NONE) continue;
        const char *name = scv__names_get(&src->kinds, k, &len);
        scv_normalizer norm = (scv_normalizer)src->kind_norm[k];
        scv_status st = scv_engine_register_kind(dst, name, len, norm, &map[k]);
        if (st != SCV_OK) return st;
    }
    return SCV_OK;
}

/* map[s] = dst's number for src's source s, registering the missing ones. */
static scv_status map_sources(scv_engine *dst, const scv_engine *src, uint32_t *map)
{
    size_t n = scv__names_count(&src->sources), missing = 0, len;
    for (uint32_t s = 0; s < n; s++) {
        const char *name = scv__names_get(&src->sources, s, &len);
        map[s] = scv__names_find(&dst->sources, name, len);
        missing += map[s] == SCV__NONE;
    }
    if (scv__names_count(&dst->sources) + missing > SCV_MAX_SOURCES)
        return scv__engine_error(dst, SCV_ELIMIT, "too many kinds or sources", -1);
    for (uint32_t s = 0; s < n; s++) {
        if (map[s] != SCV__NONE) continue;
        const char *name = scv__names_get(&src->sources, s, &len);
        scv_status st = scv_engine_register_source(dst, name, len, &map[s]);
        if (st != SCV_OK) return st;
    }
    return SCV_OK;
}

/* The normalized value src keeps for identifier v (empty when values are not retained). */
static const char *ident_value(const scv_engine *src, uint32_t v, size_t *len)
{
    if (!src->ids.retain) {
        *len = 0;
        return NULL;
    }
    *len = src->ids.value.data[v].len;
    return *len > 0 ? src->ids.bytes.data + src->ids.value.data[v].off : NULL;
}

/* Was blocked value v blocked by the host (scv_engine_block) rather than by the default
 * list? Carried by no record, it can only have been blocked by the host. Otherwise the
 * value tells, when src kept it; when it did not, assume the host (the safe side). */
static int host_blocked(const scv_engine *src, uint32_t v)
{
    size_t len;
    const char *value = ident_value(src, v, &len);
    if (src->ids.row.data[v].refs == 0 || !src->rules.default_blocklist || len == 0) return 1;
    return !scv__rules_placeholder((scv_normalizer)src->kind_norm[src->ids.row.data[v].kind], value, len);
}

/* Suppressed and host-blocked values of src, into dst by hash. */
static scv_status carry_lists(scv_engine *dst, const scv_engine *src, const scv_kind *kind_map)
{
    scv_status st = SCV_OK;
    for (uint32_t v = 0; v < src->ids.keys.len && st == SCV_OK; v++) {
        uint8_t state = src->ids.row.data[v].state;
        scv_kind kind = kind_map[src->ids.row.data[v].kind];
        if (state == SCV_LINK_SUPPRESSED) {
            uint8_t hash[SCV_HASH_SIZE];
            scv__h128_to_bytes(src->ids.keys.data[v], hash);
            st = scv_engine_suppress_hash(dst, kind, hash);
        } else if (state == SCV_LINK_BLOCKED && host_blocked(src, v)) {
            size_t len;
            const char *value = ident_value(src, v, &len);
            st = scv__engine_block_hash(dst, kind, src->ids.keys.data[v], value, len);
        }
    }
    return st;
}

/* Does dst's default blocklist get to see v as a placeholder? Blocked in src, or (when src
 * kept the value) a placeholder by its value, whatever src's own list setting was. */
static int placeholder(const scv_engine *src, uint32_t v)
{
    size_t len;
    const char *value = ident_value(src, v, &len);
    if (src->ids.row.data[v].state == SCV_LINK_BLOCKED) return 1;
    scv_normalizer norm = (scv_normalizer)src->kind_norm[src->ids.row.data[v].kind];
    return len > 0 && scv__rules_placeholder(norm, value, len);
}

/* Fill the builder with src's record x. */
static scv_status build_record(scv_record *rec, const scv_engine *src, uint32_t x,
                               const scv_kind *kind_map, const uint32_t *source_map)
{
    const scv__records *rs = &src->recs;
    const scv__rec *r = &rs->rec.data[x];
    scv_status st = scv_record_reset(rec, source_map[r->source], rs->bytes.data + r->id_off, r->id_len);
    if (st == SCV_OK) st = scv_record_set_timestamp(rec, r->ts);
    for (uint32_t i = 0; i < r->ids_n && st == SCV_OK; i++) {
        uint32_t v = SCV__SLOT_ID(rs->ids.data[r->ids_off + i]);
        size_t norm_len, raw_len = rs->keep_raw ? rs->raw.data[r->ids_off + i].len : 0;
        const char *norm = ident_value(src, v, &norm_len);
        const char *raw = rs->keep_raw ? rs->bytes.data + rs->raw.data[r->ids_off + i].off : NULL;
        st = scv__record_add_hashed(rec, kind_map[src->ids.row.data[v].kind], src->ids.keys.data[v], norm,
                                    norm_len, raw, raw_len, placeholder(src, v));
    }
    const scv__field *f = rs->fields.data + r->fields_off;
    for (uint32_t i = 0; i < r->fields_n && st == SCV_OK; i++) {
        size_t len;
        if (f[i].len == SCV__MEASURE) {
            const char *name = scv__names_get(&src->measure_names, f[i].name, &len);
            st = scv_record_add_measure(rec, name, len, f[i].v.num);
        } else if (f[i].len == SCV__GRANTED || f[i].len == SCV__DENIED) {
            const char *name = scv__names_get(&src->channel_names, f[i].name, &len);
            st = scv_record_add_consent(rec, name, len, f[i].len == SCV__GRANTED, (int64_t)f[i].v.off);
        } else {
            const char *name = scv__names_get(&src->trait_names, f[i].name, &len);
            st = scv_record_add_trait(rec, name, len, rs->bytes.data + f[i].v.off, f[i].len);
        }
    }
    return st;
}

static scv_status absorb_records(scv_engine *dst, const scv_engine *src, const scv_kind *kind_map,
                                 const uint32_t *source_map)
{
    scv_record *rec;
    scv_status st = scv_record_new(dst, &rec);
    if (st != SCV_OK) return scv__engine_error(dst, st, "out of memory", -1);
    uint64_t done = 0, total = src->live_records;
    if (scv__progress(dst, 0, total)) st = scv__engine_error(dst, SCV_ECANCELED, "stopped by the progress callback", -1);
    for (uint32_t x = 0; x < src->recs.rec.len && st == SCV_OK; x++) {
        if (src->recs.rec.data[x].dead) continue;
        if (++done % 4096 == 0 && scv__progress(dst, done, total)) {
            st = scv__engine_error(dst, SCV_ECANCELED, "stopped by the progress callback", -1);
            break;
        }
        st = build_record(rec, src, x, kind_map, source_map);
        if (st != SCV_OK)
            (void)scv__engine_error(dst, st, scv_record_errmsg(rec), -1);
        else
            st = scv_engine_upsert(dst, rec, NULL);
    }
    scv_record_free(rec);
    if (st == SCV_OK && scv__progress(dst, total, total))
        st = scv__engine_error(dst, SCV_ECANCELED, "stopped by the progress callback", -1);
    return st;
}

scv_status scv_engine_absorb(scv_engine *dst, const scv_engine *src)
{
    scv_kind kind_map[SCV_MAX_KINDS];
    size_t n_sources, bytes;
    scv_status st;
    if (dst == NULL || src == NULL) return SCV_EINVAL;
    if (dst == src) return scv__engine_error(dst, SCV_EINVAL, "an engine cannot absorb itself", -1);
    if (scv__key_fingerprint(&dst->hasher) != scv__key_fingerprint(&src->hasher))
        return scv__engine_error(dst, SCV_EINVAL, "the engines use different hash keys", -1);
    n_sources = scv__names_count(&src->sources);
    bytes = n_sources * sizeof(uint32_t);
    uint32_t *source_map = scv__alloc(&dst->mem, bytes);
    if (source_map == NULL) return scv__engine_error(dst, SCV_ENOMEM, "out of memory", -1);
    if ((st = map_kinds(dst, src, kind_map)) == SCV_OK &&
        (st = map_sources(dst, src, source_map)) == SCV_OK &&
        (st = carry_lists(dst, src, kind_map)) == SCV_OK)
        st = absorb_records(dst, src, kind_map, source_map);
    scv__free(&dst->mem, source_map, bytes);
    if (st == SCV_OK) (void)scv__engine_error(dst, SCV_OK, "", -1);
    return st;
}
