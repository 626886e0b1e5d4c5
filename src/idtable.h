/* idtable.h — identifiers: hashed (kind, normalized value) -> dense id, with a row per
 * identifier: kind; link state (links, blocked, generic, suppressed); anchor (one record that
 * carries it and links through it: the union-find link target); reference count (records
 * carrying it); the head of its postings list (the record slots that carry it, threaded
 * through the record store); upper bounds of its generic-rule partner counts; a scratch mark;
 * and, when retained, the normalized value. Internal. */
#ifndef SCV_IDTABLE_H
#define SCV_IDTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "htab.h"
#include "util/mem.h"

/* Identifier ids fit in 30 bits: record slots keep two flag bits beside them. */
#define SCV__MAX_IDS ((size_t)0x3FFFFFFF)

/* A byte range in a byte pool. */
typedef struct scv__span {
    uint64_t off;
    uint32_t len;
} scv__span;

/* A generic-rule bound this large or larger is not kept: it reads as "unknown", which makes
 * the rule recount exactly the next time it looks (bounds only decide when to recount). */
#define SCV__BOUND_UNKNOWN UINT16_MAX

/* Everything resolution reads or writes about one identifier, in one 24-byte row, so that
 * looking at an identifier costs one cache miss rather than one per column. */
typedef struct scv__ident {
    uint32_t anchor; /* a linking carrier (union-find link target), or SCV__NONE */
    uint32_t head;   /* newest record carrying it (its postings list), or SCV__NONE */
    uint32_t refs;   /* records carrying it */
    uint16_t mark;   /* scratch stamps for de-duplicating scans */
    /* The generic rule's upper bounds of distinct partner counts per kind (resolve.c): of the
     * lead kind's count (or, with no lead, of the largest count), of every other kind's
     * (the second largest), and of the carriers without partners. */
    uint16_t bound;
    uint16_t second;
    uint16_t solo;
    uint8_t kind;
    uint8_t state; /* scv_link: SCV_LINK, SCV_LINK_BLOCKED, SCV_LINK_GENERIC or SCV_LINK_SUPPRESSED */
    uint8_t lead;  /* the kind `bound` is for, or SCV__NO_LEAD */
    uint8_t spare;
} scv__ident;

#define SCV__NO_LEAD 0xFFu

/* Every field here is part of the snapshot format (src/snapshot.c) or rebuilt on load there:
 * a new field must be written and loaded too, or a loaded engine silently resets it. */
typedef struct scv__idtable {
    scv__htab index;
    SCV__VEC(scv__h128) keys;
    SCV__VEC(scv__ident) row;
    SCV__VEC(scv__span) value; /* only when values are retained */
    SCV__VEC(char) bytes;      /* retained normalized values */
    size_t live;               /* identifiers with refs > 0 */
    int retain;                /* keep normalized values */
} scv__idtable;

void scv__idtable_free(const scv__mem *m, scv__idtable *t);

/* Room for `count` more identifiers with `bytes` bytes of values. */
static inline scv_status scv__idtable_reserve(const scv__mem *m, scv__idtable *t, size_t count, size_t bytes)
{
    scv_status st;
    if (t->keys.len + count > SCV__MAX_IDS) return SCV_ELIMIT;
    if ((st = SCV__VEC_RESERVE(m, t->keys, count)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, t->row, count)) != SCV_OK) return st;
    if (t->retain) {
        if ((st = SCV__VEC_RESERVE(m, t->value, count)) != SCV_OK) return st;
        if ((st = SCV__VEC_RESERVE(m, t->bytes, bytes)) != SCV_OK) return st;
    }
    return scv__htab_reserve(m, &t->index, t->keys.len + count);
}

static inline uint32_t scv__idtable_find(const scv__idtable *t, scv__h128 key)
{
    return scv__htab_find(&t->index, t->keys.data, key);
}

/* Find or add (room reserved). A new identifier has no anchor, no references, no carriers and
 * the given state. Sets *added when it was added. */
uint32_t scv__idtable_intern(scv__idtable *t, scv__h128 key, uint8_t kind, uint8_t state,
                             const char *value, size_t len, int *added);

/* Add an identifier known to be absent (room reserved): intern without the lookup. Inline:
 * most identifiers an upsert meets are new. */
static inline uint32_t scv__idtable_add(scv__idtable *t, scv__h128 key, uint8_t kind, uint8_t state,
                                        const char *value, size_t len)
{
    uint32_t id = (uint32_t)t->keys.len;
    t->keys.data[t->keys.len++] = key;
    scv__ident *row = &t->row.data[t->row.len++];
    /* Field by field: a row built aside and copied took twice the instructions. */
    row->anchor = SCV__NONE;
    row->head = SCV__NONE;
    row->refs = 0;
    row->mark = 0;
    row->bound = 0;
    row->second = 0;
    row->solo = 0;
    row->kind = kind;
    row->state = state;
    row->lead = SCV__NO_LEAD;
    row->spare = 0;
    if (t->retain) {
        scv__span *sp = &t->value.data[t->value.len++];
        sp->off = t->bytes.len;
        sp->len = (uint32_t)len;
        scv__copy_short(t->bytes.data + t->bytes.len, value, len);
        t->bytes.len += len;
    }
    scv__htab_insert(&t->index, key, id);
    return id;
}

size_t scv__idtable_bytes(const scv__idtable *t);

#endif
