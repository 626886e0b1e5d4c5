/* records.h — the record store: (source, record_id) index, per-record columns, and pools for
 * each record's identifier slots, raw identifier values and fields (traits and measures).
 *
 * An identifier slot holds the identifier id in its low 30 bits and, in the top two bits,
 * whether this record set it aside (SCV_LINK_ASIDE_LIMIT / SCV_LINK_ASIDE_SIZE). Beside each
 * slot, slot_next holds the next record carrying the same identifier: the postings list of
 * the records carrying an identifier, which its row's head starts. The list links records,
 * not slots, so a slot need not know its record (4 bytes less per slot); the next record's
 * slot for the identifier is found by scanning its few slots, which a walk reads anyway.
 *
 * A record keeps its index (dense from 0, first-seen order) for life. Replacing a record's
 * content reuses its pool slots when the new content is no longer than the old and appends
 * otherwise; the bytes left behind are counted as garbage. Internal. */
#ifndef SCV_RECORDS_H
#define SCV_RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hash.h"
#include "htab.h"
#include "idtable.h"
#include "util/mem.h"

/* A trait (len = value length, v.off into bytes), a measure (len = SCV__MEASURE, v.num) or a
 * consent decision (len = SCV__GRANTED or SCV__DENIED, v.off = the time as int64 bits; name
 * is then a channel id). */
#define SCV__MEASURE UINT32_MAX
#define SCV__GRANTED (UINT32_MAX - 1)
#define SCV__DENIED (UINT32_MAX - 2)
#define SCV__IS_TRAIT(len) ((len) < SCV__DENIED)
typedef struct scv__field {
    uint32_t name;
    uint32_t len;
    union {
        uint64_t off;
        double num;
    } v;
} scv__field;

typedef struct scv__rec {
    int64_t ts;
    uint64_t id_off;     /* record id in bytes */
    uint32_t ids_off;    /* first identifier in ids (and raw, when raw values are kept) */
    uint32_t fields_off; /* first field in fields */
    uint16_t id_len;
    uint16_t source;
    uint16_t fields_n;
    uint8_t ids_n;
    uint8_t dead; /* deleted: kept as an empty slot so record refs stay stable */
} scv__rec; /* 32 bytes */

typedef struct scv__records {
    scv__htab index;
    SCV__VEC(scv__rec) rec;
    SCV__VEC(uint32_t) ids;    /* identifier slots, per record a run of ids_n */
    SCV__VEC(uint32_t) slot_next; /* parallel to ids: next record carrying the identifier */
    SCV__VEC(scv__span) raw;   /* raw values parallel to ids (only when kept) */
    SCV__VEC(scv__field) fields;
    SCV__VEC(char) bytes;      /* record ids, trait values, raw values */
    int keep_raw;
    size_t garbage_bytes;      /* bytes no live record refers to */
} scv__records;

void scv__records_free(const scv__mem *m, scv__records *r);

/* The live record (source, id[0..len)) whose key (its hash: scv__engine_record_key) is
 * `key`, or SCV__NONE. The index keeps no keys: a tag match is confirmed against the
 * record's own source and id, which also rules out any hash collision. */
static inline uint32_t scv__records_find(const scv__records *r, scv__h128 key, uint16_t source,
                                         const char *id, size_t len)
{
    const scv__htab *t = &r->index;
    if (t->slots == NULL) return SCV__NONE;
    uint32_t tag = scv__htab_tag(key);
    for (size_t i = scv__htab_home(t, tag);; i = scv__htab_step(t, i)) {
        uint64_t s = t->slots[i];
        if (s == 0) return SCV__NONE;
        if ((uint32_t)(s >> 32) != tag) continue;
        const scv__rec *rec = &r->rec.data[(uint32_t)s - 1u];
        if (rec->source == source && rec->id_len == len &&
            scv__equal_short(r->bytes.data + rec->id_off, id, len))
            return (uint32_t)s - 1u;
    }
}

/* Room for `records` new records, `ids` identifier slots, `fields` field slots and `bytes`
 * bytes, so that the following append/set calls cannot fail. */
static inline scv_status scv__records_reserve(const scv__mem *m, scv__records *r, size_t records, size_t ids,
                                size_t fields, size_t bytes)
{
    scv_status st;
    if (r->rec.len + records > SCV_MAX_RECORDS) return SCV_ELIMIT;
    if (r->ids.len + ids > UINT32_MAX || r->fields.len + fields > UINT32_MAX) return SCV_ELIMIT;
    if ((st = SCV__VEC_RESERVE(m, r->rec, records)) != SCV_OK) return st;
    /* One spare element each, so the pools are never NULL once a record exists: pointer
     * arithmetic on NULL (even + 0) is undefined behaviour. */
    if ((st = SCV__VEC_RESERVE(m, r->ids, ids + 1)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, r->slot_next, ids + 1)) != SCV_OK) return st;
    if (r->keep_raw && (st = SCV__VEC_RESERVE(m, r->raw, ids + 1)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, r->fields, fields + 1)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, r->bytes, bytes + 1)) != SCV_OK) return st;
    return scv__htab_reserve(m, &r->index, r->rec.len + records);
}

/* The functions below are inline: an upsert calls each of them once or more per record. */

/* Copy bytes into the pool (room reserved) and return their offset. */
static inline uint64_t scv__records_put_bytes(scv__records *r, const char *s, size_t len)
{
    uint64_t off = r->bytes.len;
    scv__copy_short(r->bytes.data + off, s, len);
    r->bytes.len += len;
    return off;
}

/* Append a record with no content (room reserved), indexed under `key`. Returns its index. */
static inline uint32_t scv__records_append(scv__records *r, scv__h128 key, uint16_t source, const char *id,
                                           size_t id_len)
{
    uint32_t x = (uint32_t)r->rec.len;
    scv__rec *rec = &r->rec.data[r->rec.len++];
    memset(rec, 0, sizeof *rec);
    rec->ts = INT64_MIN;
    rec->source = source;
    rec->id_len = (uint16_t)id_len;
    rec->id_off = scv__records_put_bytes(r, id, id_len);
    rec->ids_off = (uint32_t)r->ids.len;
    rec->fields_off = (uint32_t)r->fields.len;
    scv__htab_insert(&r->index, key, x);
    return x;
}

/* Give record x room for n identifiers / fields (in place when they fit, else appended;
 * room reserved) and return a pointer to the first slot. The caller has taken x's old
 * identifier slots out of their postings lists first. */
static inline uint32_t *scv__records_ids_slot(scv__records *r, uint32_t x, size_t n)
{
    scv__rec *rec = &r->rec.data[x];
    if (n > rec->ids_n) {
        rec->ids_off = (uint32_t)r->ids.len;
        r->ids.len += n;
        r->slot_next.len += n;
        if (r->keep_raw) r->raw.len += n;
    }
    rec->ids_n = (uint8_t)n;
    return r->ids.data + rec->ids_off;
}

static inline scv__field *scv__records_fields_slot(scv__records *r, uint32_t x, size_t n)
{
    scv__rec *rec = &r->rec.data[x];
    for (size_t i = 0; i < rec->fields_n; i++) {
        const scv__field *f = &r->fields.data[rec->fields_off + i];
        if (SCV__IS_TRAIT(f->len)) r->garbage_bytes += f->len;
    }
    if (n > rec->fields_n) {
        rec->fields_off = (uint32_t)r->fields.len;
        r->fields.len += n;
    }
    rec->fields_n = (uint16_t)n;
    return r->fields.data + rec->fields_off;
}

#define SCV__SLOT_ID(s) ((s) & 0x3FFFFFFFu)
#define SCV__SLOT_ASIDE(s) ((s) >> 30)
#define SCV__SLOT_MAKE(id, aside) ((id) | ((uint32_t)(aside) << 30))

static inline const uint32_t *scv__records_ids(const scv__records *r, uint32_t x, size_t *n)
{
    *n = r->rec.data[x].ids_n;
    return r->ids.data + r->rec.data[x].ids_off;
}

/* The slot of record x that holds identifier id; x must carry it. */
static inline uint32_t scv__records_slot_of(const scv__records *r, uint32_t x, uint32_t id)
{
    uint32_t s = r->rec.data[x].ids_off;
    while (SCV__SLOT_ID(r->ids.data[s]) != id) s++;
    return s;
}

/* The record after x in the postings list of identifier id (which x carries), or SCV__NONE:
 * `for (c = head; c != SCV__NONE; c = scv__records_next_carrier(r, c, id))` visits every
 * record carrying id, newest first. */
static inline uint32_t scv__records_next_carrier(const scv__records *r, uint32_t x, uint32_t id)
{
    return r->slot_next.data[scv__records_slot_of(r, x, id)];
}

size_t scv__records_bytes(const scv__records *r);

#endif
