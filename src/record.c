/* record.c — the record builder: validates, normalizes and hashes a record's fields before
 * scv_engine_upsert() takes it, so that upsert only does table work. */
#include "engine.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define WRITE_HINT_X86 1
#endif

static scv_status fail(scv_record *r, scv_status st, const char *msg, int64_t off)
{
    r->errmsg = msg;
    r->erroff = off;
    return st;
}

static scv_status ok(scv_record *r)
{
    return fail(r, SCV_OK, "", -1);
}

/* Map a text check failure to a reason. */
static scv_status text_fail(scv_record *r, scv_status st, const char *what_null,
                            const char *what_long, const char *what_utf8, int64_t off)
{
    switch (st) {
    case SCV_EINVAL: return fail(r, st, what_null, -1);
    case SCV_ETOOLONG: return fail(r, st, what_long, off);
    default: return fail(r, st, what_utf8, off);
    }
}

/* Copy an interned kind or source name and the 0x00 byte after it to tmp: the start of what
 * identifier hashes and record keys are taken over (scv__engine_ident_prefix(),
 * scv__engine_record_key()). Returns the bytes that start is; tmp may hold more, which what
 * follows overwrites. */
static inline size_t name_prefix(const scv__names *names, uint32_t id, char *tmp)
{
    size_t n = scv__names_copy(names, id, tmp);
    tmp[n] = '\0';
    return n + 1;
}

/* Ask for the cache line holding p, for writing (`hint`: with PREFETCHW). */
static inline void prefetch_write(int hint, const void *p)
{
    (void)hint;
#ifdef WRITE_HINT_X86
    if (hint) {
        __asm__ __volatile__("prefetchw %0" : : "m"(*(const char *)p));
        return;
    }
#endif
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(p, 1);
#else
    (void)p;
#endif
}

void scv_record_prefetch(scv_record *r)
{
    if (r == NULL) return;
    int hint = r->engine->write_hint;
    /* The whole builder: what filling a record writes is spread over it (counts and key,
     * identifiers, id, the last call's outcome). Blocks for more identifiers or a longer id
     * than it holds, and the buffer and fields an engine that keeps values or a record with
     * traits uses, get their first line. */
    for (size_t at = 0; at < sizeof *r; at += 64) prefetch_write(hint, (const char *)r + at);
    prefetch_write(hint, (const char *)r + sizeof *r - 1);
    if (r->idents != r->few) prefetch_write(hint, r->idents);
    if (r->id != r->short_id) prefetch_write(hint, r->id);
    if (r->buf.data != NULL) prefetch_write(hint, r->buf.data);
    if (r->fields.data != NULL) prefetch_write(hint, r->fields.data);
}

scv_status scv_record_new(scv_engine *engine, scv_record **out)
{
    scv_record *r;
    if (out == NULL) return SCV_EINVAL;
    *out = NULL;
    if (engine == NULL) return SCV_EINVAL;
    r = scv__alloc(&engine->mem, sizeof *r);
    if (r == NULL) return SCV_ENOMEM;
    memset(r, 0, sizeof *r);
    r->engine = engine;
    r->idents = r->few;
    r->id = r->short_id;
    r->ts = SCV_NO_TIMESTAMP;
    r->errmsg = "";
    r->erroff = -1;
    *out = r;
    return SCV_OK;
}

void scv_record_free(scv_record *r)
{
    if (r == NULL) return;
    scv__mem mem = r->engine->mem;
    SCV__VEC_FREE(&mem, r->fields);
    SCV__VEC_FREE(&mem, r->buf);
    if (r->idents != r->few) scv__free(&mem, r->idents, SCV_MAX_IDENTIFIERS * sizeof *r->idents);
    if (r->id != r->short_id) scv__free(&mem, r->id, SCV_MAX_RECORD_ID_LEN);
    scv__free(&mem, r, sizeof *r);
}

const char *scv_record_errmsg(const scv_record *r)
{
    return r == NULL ? "" : r->errmsg;
}

int64_t scv_record_erroffset(const scv_record *r)
{
    return r == NULL ? -1 : r->erroff;
}

static void clear(scv_record *r)
{
    r->has_key = 0;
    r->ts = SCV_NO_TIMESTAMP;
    r->id_len = 0;
    r->n_idents = 0;
    r->fields.len = 0;
    r->buf.len = 0;
}

scv_status scv_record_reset(scv_record *r, scv_source source, const char *record_id, size_t len)
{
    /* The key is scv__engine_record_key(), made here with inline copies. */
    char tmp[SCV_MAX_NAME_LEN + 1 + SCV_MAX_RECORD_ID_LEN];
    const scv_engine *e;
    int64_t bad;
    size_t prefix;
    scv_status st;
    if (r == NULL) return SCV_EINVAL;
    e = r->engine;
    clear(r);
    if (source >= scv__names_count(&e->sources))
        return fail(r, SCV_ENOTFOUND, "unknown source", -1);
    if (len == 0) return fail(r, SCV_EINVAL, "record id is empty", -1);
    st = scv__check_text(record_id, len, SCV_MAX_RECORD_ID_LEN, &bad);
    if (st != SCV_OK)
        return text_fail(r, st, "record id is NULL with a non-zero length",
                         "record id is longer than SCV_MAX_RECORD_ID_LEN",
                         "record id is not valid UTF-8 or holds a NUL byte", bad);
    if (len > sizeof r->short_id && r->id == r->short_id) {
        char *big = scv__alloc(&e->mem, SCV_MAX_RECORD_ID_LEN);
        if (big == NULL) return fail(r, SCV_ENOMEM, "out of memory", -1);
        r->id = big;
    }
    scv__copy_short(r->id, record_id, len);
    r->id_len = len;
    r->source = source;
    prefix = name_prefix(&e->sources, source, tmp);
    scv__copy_short(tmp + prefix, record_id, len);
    r->key = scv__hash128(&e->hasher, tmp, prefix + len);
    r->has_key = 1;
    return ok(r);
}

scv_status scv_record_set_timestamp(scv_record *r, int64_t unix_seconds)
{
    if (r == NULL) return SCV_EINVAL;
    if (!r->has_key) return fail(r, SCV_ESTATE, "scv_record_reset() has not been called", -1);
    r->ts = unix_seconds;
    return ok(r);
}

/* Room for one more identifier (fewer than SCV_MAX_IDENTIFIERS held): past the builder's own
 * few, the block for the most a record may hold, allocated once and kept. */
static scv_status room_for_ident(scv_record *r)
{
    scv__rec_ident *big;
    if (r->n_idents < SCV__BUILDER_IDENTS || r->idents != r->few) return SCV_OK;
    big = scv__alloc(&r->engine->mem, SCV_MAX_IDENTIFIERS * sizeof *big);
    if (big == NULL) return SCV_ENOMEM;
    memcpy(big, r->few, sizeof r->few);
    r->idents = big;
    return SCV_OK;
}

/* Append bytes to the builder's buffer; returns the offset. Room reserved. */
static uint32_t put(scv_record *r, const char *s, size_t len)
{
    uint32_t off = (uint32_t)r->buf.len;
    scv__copy_short(r->buf.data + off, s, len);
    r->buf.len += len;
    return off;
}

/* Room for n more bytes in the builder's buffer. Checked here first: the buffer is reused
 * from record to record, so it almost always has the room already. */
static scv_status reserve_buf(scv_record *r, size_t n)
{
    if (r->buf.cap - r->buf.len >= n) return SCV_OK;
    return SCV__VEC_RESERVE(&r->engine->mem, r->buf, n);
}

scv_status scv_record_add_identifier(scv_record *r, scv_kind kind, const char *value, size_t len)
{
    /* The identifier hash is taken over the kind's name, a 0x00 byte and the normalized value
     * (scv__engine_ident_prefix, as scv__engine_ident_hash does for scv_engine_hash() and
     * lookups). The normalizer writes straight behind the prefix, so the value is hashed
     * where it was made instead of being copied next to the name first. The normalizers are
     * called here directly (as scv__engine_normalize() would), so that the placeholder check
     * runs only where a kind can have placeholders, and for e-mails without looking for the
     * '@' again. */
    char tmp[SCV_MAX_NAME_LEN + 1 + SCV_MAX_NORMALIZED_LEN];
    const scv_engine *e;
    scv__norm_err err; /* set by the normalizers when they reject */
    char *norm;
    int64_t bad;
    size_t n, prefix, at;
    int placeholder, keep_norm, keep_raw;
    scv__h128 h;
    scv_status st;
    if (r == NULL) return SCV_EINVAL;
    e = r->engine;
    if (!r->has_key) return fail(r, SCV_ESTATE, "scv_record_reset() has not been called", -1);
    if (kind >= scv__names_count(&e->kinds)) return fail(r, SCV_ENOTFOUND, "unknown identifier kind", -1);
    st = scv__check_text(value, len, SCV_MAX_VALUE_LEN, &bad);
    if (st != SCV_OK)
        return text_fail(r, st, "value is NULL with a non-zero length",
                         "value is longer than SCV_MAX_VALUE_LEN",
                         "value is not valid UTF-8 or holds a NUL byte", bad);
    prefix = name_prefix(&e->kinds, kind, tmp);
    norm = tmp + prefix;
    switch ((scv_normalizer)e->kind_norm[kind]) {
    case SCV_NORM_EMAIL:
        st = scv__normalize_email_at(value, len, e->email_flags, norm, &n, &at, &err);
        placeholder = st == SCV_OK && scv__rules_placeholder_email(norm, n, at);
        break;
    case SCV_NORM_PHONE:
        /* The phone normalizer rejects the placeholders a phone could be. */
        st = scv__normalize_phone(value, len, e->region, norm, &n, &err);
        placeholder = 0;
        break;
    case SCV_NORM_CASEFOLD:
        st = scv__normalize_casefold(value, len, norm, &n, &err);
        placeholder = st == SCV_OK && scv__rules_placeholder_word(norm, n);
        break;
    case SCV_NORM_EXACT:
    default:
        st = scv__normalize_exact_fast(value, len, norm, &n, &err);
        placeholder = st == SCV_OK && scv__rules_placeholder_word(norm, n);
        break;
    }
    if (st != SCV_OK) return fail(r, st, err.reason, err.offset);
    h = scv__hash128(&e->hasher, tmp, prefix + n);
    for (size_t i = 0; i < r->n_idents; i++)
        if (scv__h128_eq(r->idents[i].hash, h)) return ok(r);
    if (r->n_idents >= SCV_MAX_IDENTIFIERS)
        return fail(r, SCV_ELIMIT, "more than SCV_MAX_IDENTIFIERS identifiers on one record", -1);
    /* The values are only kept by an engine that retains them (resolve.c reads the
     * normalized one for scv__idtable_add() then only, the raw one only when raw values are
     * retained); elsewhere they are not copied, and the builder's spans for them are empty.
     * Raw retention implies normalized. */
    keep_norm = e->retain >= SCV_RETAIN_NORMALIZED; /* not e->ids.retain: see builder_fence */
    keep_raw = e->retain >= SCV_RETAIN_RAW;
    if (room_for_ident(r) != SCV_OK || (keep_norm && reserve_buf(r, keep_raw ? n + len : n) != SCV_OK))
        return fail(r, SCV_ENOMEM, "out of memory", -1);
    scv__rec_ident *id = &r->idents[r->n_idents++];
    id->hash = h;
    id->kind = kind;
    id->placeholder = (uint32_t)placeholder;
    if (keep_norm) {
        id->norm_len = (uint32_t)n;
        id->norm_off = put(r, norm, n);
    } else {
        id->norm_len = 0;
        id->norm_off = (uint32_t)r->buf.len;
    }
    if (keep_raw) {
        id->raw_len = (uint32_t)len;
        id->raw_off = put(r, value, len);
    } else {
        id->raw_len = 0;
        id->raw_off = (uint32_t)r->buf.len;
    }
    return ok(r);
}

/* Shared by traits, measures and consent: validate the name, find the field of that kind and
 * name or make one, with room for extra_bytes more in the buffer. */
static inline scv_status field_slot(scv_record *r, int kind, const char *name, size_t name_len,
                                    size_t extra_bytes, scv__rec_field **out)
{
    int64_t bad;
    scv_status st;
    scv__rec_field *f;
    if (!r->has_key) return fail(r, SCV_ESTATE, "scv_record_reset() has not been called", -1);
    if (name_len == 0) return fail(r, SCV_EINVAL, "field name is empty", -1);
    st = scv__check_text(name, name_len, SCV_MAX_NAME_LEN, &bad);
    if (st != SCV_OK)
        return text_fail(r, st, "field name is NULL with a non-zero length",
                         "field name is longer than SCV_MAX_NAME_LEN",
                         "field name is not valid UTF-8 or holds a NUL byte", bad);
    /* A record's few fields have names of different lengths more often than not, so most are
     * passed over by their length; names are short, compared inline. */
    for (size_t i = 0; i < r->fields.len; i++) {
        f = &r->fields.data[i];
        if (f->name_len == name_len && f->kind == kind &&
            scv__equal_short(r->buf.data + f->name_off, name, name_len)) {
            if (reserve_buf(r, extra_bytes) != SCV_OK) return fail(r, SCV_ENOMEM, "out of memory", -1);
            *out = f;
            return SCV_OK;
        }
    }
    if (r->fields.len >= SCV_MAX_FIELDS)
        return fail(r, SCV_ELIMIT, "more than SCV_MAX_FIELDS traits and measures on one record", -1);
    /* name_len <= SCV_MAX_NAME_LEN and extra_bytes <= SCV_MAX_TRAIT_LEN: no overflow. Both
     * arrays are reused from record to record, so the room is nearly always there. */
    if ((r->fields.len == r->fields.cap && SCV__VEC_RESERVE(&r->engine->mem, r->fields, 1) != SCV_OK) ||
        reserve_buf(r, name_len + extra_bytes) != SCV_OK)
        return fail(r, SCV_ENOMEM, "out of memory", -1);
    f = &r->fields.data[r->fields.len++];
    f->name_off = put(r, name, name_len);
    f->name_len = (uint32_t)name_len;
    f->val_off = 0;
    f->val_len = 0;
    f->num = 0;
    f->ts = 0;
    f->kind = kind;
    f->granted = 0;
    *out = f;
    return SCV_OK;
}

scv_status scv_record_add_trait(scv_record *r, const char *name, size_t name_len,
                                const char *value, size_t value_len)
{
    scv__rec_field *f;
    int64_t bad;
    scv_status st;
    if (r == NULL) return SCV_EINVAL;
    st = scv__check_text(value, value_len, SCV_MAX_TRAIT_LEN, &bad);
    if (st != SCV_OK)
        return text_fail(r, st, "trait value is NULL with a non-zero length",
                         "trait value is longer than SCV_MAX_TRAIT_LEN",
                         "trait value is not valid UTF-8 or holds a NUL byte", bad);
    st = field_slot(r, SCV__FIELD_TRAIT, name, name_len, value_len, &f);
    if (st != SCV_OK) return st;
    f->val_len = (uint32_t)value_len;
    f->val_off = put(r, value, value_len);
    return ok(r);
}

scv_status scv_record_add_measure(scv_record *r, const char *name, size_t name_len, double value)
{
    scv__rec_field *f;
    scv_status st;
    if (r == NULL) return SCV_EINVAL;
    if (!isfinite(value)) return fail(r, SCV_EINVAL, "measure is not a finite number", -1);
    st = field_slot(r, SCV__FIELD_MEASURE, name, name_len, 0, &f);
    if (st != SCV_OK) return st;
    f->num = value;
    f->val_len = 0;
    return ok(r);
}

scv_status scv_record_add_consent(scv_record *r, const char *channel, size_t len, int granted,
                                  int64_t timestamp)
{
    scv__rec_field *f;
    scv_status st;
    if (r == NULL) return SCV_EINVAL;
    st = field_slot(r, SCV__FIELD_CONSENT, channel, len, 0, &f);
    if (st != SCV_OK) return st;
    f->granted = granted != 0;
    f->ts = timestamp;
    f->val_len = 0;
    return ok(r);
}

scv_status scv__record_add_hashed(scv_record *r, scv_kind kind, scv__h128 hash, const char *norm,
                                  size_t norm_len, const char *raw, size_t raw_len, int placeholder)
{
    if (r == NULL || (norm == NULL && norm_len > 0) || (raw == NULL && raw_len > 0))
        return SCV_EINVAL;
    if (!r->has_key) return fail(r, SCV_ESTATE, "scv_record_reset() has not been called", -1);
    if (kind >= scv__names_count(&r->engine->kinds))
        return fail(r, SCV_ENOTFOUND, "unknown identifier kind", -1);
    if (norm_len > SCV_MAX_NORMALIZED_LEN || raw_len > SCV_MAX_VALUE_LEN)
        return fail(r, SCV_ETOOLONG, "value is longer than SCV_MAX_VALUE_LEN", -1);
    for (size_t i = 0; i < r->n_idents; i++)
        if (scv__h128_eq(r->idents[i].hash, hash)) return ok(r);
    if (r->n_idents >= SCV_MAX_IDENTIFIERS)
        return fail(r, SCV_ELIMIT, "more than SCV_MAX_IDENTIFIERS identifiers on one record", -1);
    if (room_for_ident(r) != SCV_OK || SCV__VEC_RESERVE(&r->engine->mem, r->buf, norm_len + raw_len) != SCV_OK)
        return fail(r, SCV_ENOMEM, "out of memory", -1);
    scv__rec_ident *id = &r->idents[r->n_idents++];
    id->hash = hash;
    id->kind = kind;
    id->placeholder = placeholder != 0;
    id->norm_len = (uint32_t)norm_len;
    id->norm_off = put(r, norm, norm_len);
    id->raw_len = (uint32_t)raw_len;
    id->raw_off = put(r, raw, raw_len);
    return ok(r);
}
