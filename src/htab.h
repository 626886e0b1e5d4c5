/* htab.h — open-addressing index from a 128-bit hash to a dense 32-bit id.
 *
 * The table holds only 8-byte slots: 32 bits of the hash as a tag and the id + 1 (0 = empty);
 * the full keys live in the owner's dense array (keys[id]), which is what a probe compares on
 * a tag match and what a rehash reads. Linear probing, power-of-two size, load factor at most
 * 3/4. Lookups never write, so they are safe for concurrent readers. */
#ifndef SCV_HTAB_H
#define SCV_HTAB_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "util/mem.h"

#define SCV__NONE UINT32_MAX

/* A hint to fetch the cache line holding *p; it never faults, and does nothing where the
 * compiler has no such builtin. */
#if defined(__GNUC__) || defined(__clang__)
#define SCV__PREFETCH(p) __builtin_prefetch(p)
#else
#define SCV__PREFETCH(p) ((void)(p))
#endif

typedef struct scv__htab {
    uint64_t *slots;
    size_t mask;  /* slot count - 1; slots == NULL means no table yet */
    size_t count; /* ids stored */
} scv__htab;

void scv__htab_free(const scv__mem *m, scv__htab *t);

/* Grow the table for `total` entries: scv__htab_reserve() when the table is too small. */
scv_status scv__htab_grow(const scv__mem *m, scv__htab *t, const scv__h128 *keys, size_t total);

/* Make room for `total` entries without growing again. keys[0..count) must be the stored
 * keys. On SCV_ENOMEM the table is unchanged. Inline: called on every upsert. */
static inline scv_status scv__htab_reserve(const scv__mem *m, scv__htab *t, const scv__h128 *keys,
                                           size_t total)
{
    if (t->slots != NULL && total <= (t->mask + 1) / 4 * 3) return SCV_OK;
    return scv__htab_grow(m, t, keys, total);
}

/* The id stored for key, or SCV__NONE. */
uint32_t scv__htab_find(const scv__htab *t, const scv__h128 *keys, scv__h128 key);

/* Prefetch the slot where a probe for key starts. */
static inline void scv__htab_prefetch(const scv__htab *t, scv__h128 key)
{
    if (t->slots != NULL) SCV__PREFETCH(&t->slots[(size_t)key.lo & t->mask]);
}

/* The first id in key's probe run whose tag matches, without comparing full keys: what a
 * find will most likely return, for prefetching what it leads to. SCV__NONE if none. */
static inline uint32_t scv__htab_candidate(const scv__htab *t, scv__h128 key)
{
    if (t->slots == NULL) return SCV__NONE;
    uint32_t tag = (uint32_t)(key.hi >> 32);
    for (size_t i = (size_t)key.lo & t->mask;; i = (i + 1) & t->mask) {
        uint64_t s = t->slots[i];
        if (s == 0) return SCV__NONE;
        if ((uint32_t)(s >> 32) == tag) return (uint32_t)s - 1u;
    }
}

/* Store id for key (absent before). Room must have been reserved. */
void scv__htab_insert(scv__htab *t, scv__h128 key, uint32_t id);

/* Remove the entry for key (present). Backward-shift deletion keeps probes short. */
void scv__htab_remove(scv__htab *t, const scv__h128 *keys, scv__h128 key);

/* Bytes of memory the table holds. */
size_t scv__htab_bytes(const scv__htab *t);

#endif
