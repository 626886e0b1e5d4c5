/* htab.h — open-addressing index from a 128-bit hash to a dense 32-bit id.
 *
 * The table holds only 8-byte slots: 32 bits of the hash as a tag and the id + 1 (0 = empty).
 * The tag also places the entry: a probe starts at the tag scaled to the table (multiply and
 * shift), so the slot count is any number, not only a power of two (a table reserved for n
 * entries takes about 4n/3 slots rather than up to twice that), and growing or removing needs
 * nothing but the slots. What a tag match means is the owner's business: most owners compare
 * full keys kept in a dense array (keys[id], scv__htab_find); the record store compares the
 * record's own source and id. Linear probing; load factor at most 3/4. Lookups never write,
 * so they are safe for concurrent readers. */
#ifndef SCV_HTAB_H
#define SCV_HTAB_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "util/mem.h"

#define SCV__NONE UINT32_MAX

/* A hint to fetch the cache line holding *p; it never faults, and does nothing where the
 * compiler has no such builtin. A statement. The empty volatile asm is there for gcc: it
 * counts __builtin_prefetch as no side effect, so a function that only prefetches (the look-
 * ahead stages of batch.c) was found "pure" and every call to it deleted — gcc 12 kept 3 of
 * the 15 prefetches of scv_engine_upsert_batch. The asm makes such a function impure and
 * costs no instruction. */
#if defined(__GNUC__) || defined(__clang__)
#define SCV__PREFETCH(p)                                                                      \
    do {                                                                                      \
        __builtin_prefetch(p);                                                                \
        __asm__ __volatile__("");                                                             \
    } while (0)
#else
#define SCV__PREFETCH(p) ((void)(p))
#endif

typedef struct scv__htab {
    uint64_t *slots;
    size_t cap;   /* slot count (below 2^32); slots == NULL means no table yet */
    size_t count; /* ids stored */
} scv__htab;

static inline uint32_t scv__htab_tag(scv__h128 key)
{
    return (uint32_t)(key.hi >> 32);
}

/* Where a probe for a tag starts: the tag scaled to the slot count. */
static inline size_t scv__htab_home(const scv__htab *t, uint32_t tag)
{
    return (size_t)(((uint64_t)tag * (uint64_t)t->cap) >> 32);
}

/* The slot after i, wrapping at the end. */
static inline size_t scv__htab_step(const scv__htab *t, size_t i)
{
    return i + 1 == t->cap ? 0 : i + 1;
}

void scv__htab_free(const scv__mem *m, scv__htab *t);

/* Grow the table for `total` entries: scv__htab_reserve() when the table is too small. */
scv_status scv__htab_grow(const scv__mem *m, scv__htab *t, size_t total);

/* Most entries the table takes before it must grow. */
static inline size_t scv__htab_limit(const scv__htab *t)
{
    return t->cap / 4 * 3;
}

/* Make room for `total` entries without growing again. On SCV_ENOMEM the table is unchanged.
 * Inline: called on every upsert. */
static inline scv_status scv__htab_reserve(const scv__mem *m, scv__htab *t, size_t total)
{
    if (t->slots != NULL && total <= scv__htab_limit(t)) return SCV_OK;
    return scv__htab_grow(m, t, total);
}

/* The id stored for key, or SCV__NONE (keys[id] is each id's key). Inline: every upsert
 * makes one per identifier. */
static inline uint32_t scv__htab_find(const scv__htab *t, const scv__h128 *keys, scv__h128 key)
{
    if (t->slots == NULL) return SCV__NONE;
    uint32_t tag = scv__htab_tag(key);
    for (size_t i = scv__htab_home(t, tag);; i = scv__htab_step(t, i)) {
        uint64_t s = t->slots[i];
        if (s == 0) return SCV__NONE;
        uint32_t id = (uint32_t)s - 1u;
        if ((uint32_t)(s >> 32) == tag && scv__h128_eq(keys[id], key)) return id;
    }
}

/* Prefetch the slot where a probe for key starts. */
static inline void scv__htab_prefetch(const scv__htab *t, scv__h128 key)
{
    if (t->slots != NULL) SCV__PREFETCH(&t->slots[scv__htab_home(t, scv__htab_tag(key))]);
}

/* The first id in key's probe run whose tag matches, without comparing full keys: what a
 * find will most likely return, for prefetching what it leads to. SCV__NONE if none. */
static inline uint32_t scv__htab_candidate(const scv__htab *t, scv__h128 key)
{
    if (t->slots == NULL) return SCV__NONE;
    uint32_t tag = scv__htab_tag(key);
    for (size_t i = scv__htab_home(t, tag);; i = scv__htab_step(t, i)) {
        uint64_t s = t->slots[i];
        if (s == 0) return SCV__NONE;
        if ((uint32_t)(s >> 32) == tag) return (uint32_t)s - 1u;
    }
}

/* Put a slot (tag and id + 1) in the first free place of its probe run. */
static inline void scv__htab_place(scv__htab *t, uint64_t slot)
{
    size_t i = scv__htab_home(t, (uint32_t)(slot >> 32));
    while (t->slots[i] != 0) i = scv__htab_step(t, i);
    t->slots[i] = slot;
}

/* Store id for key (absent before). Room must have been reserved. Inline: every new record
 * and identifier makes one. */
static inline void scv__htab_insert(scv__htab *t, scv__h128 key, uint32_t id)
{
    scv__htab_place(t, ((uint64_t)scv__htab_tag(key) << 32) | ((uint64_t)id + 1u));
    t->count++;
}

/* Remove the entry of `id` stored under `key` (present). Backward-shift deletion keeps
 * probes short. */
void scv__htab_remove(scv__htab *t, scv__h128 key, uint32_t id);

/* Bytes of memory the table holds. */
size_t scv__htab_bytes(const scv__htab *t);

#endif
