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

typedef struct scv__htab {
    uint64_t *slots;
    size_t mask;  /* slot count - 1; slots == NULL means no table yet */
    size_t count; /* ids stored */
} scv__htab;

void scv__htab_free(const scv__mem *m, scv__htab *t);

/* Make room for `total` entries without growing again. keys[0..count) must be the stored
 * keys. On SCV_ENOMEM the table is unchanged. */
scv_status scv__htab_reserve(const scv__mem *m, scv__htab *t, const scv__h128 *keys, size_t total);

/* The id stored for key, or SCV__NONE. */
uint32_t scv__htab_find(const scv__htab *t, const scv__h128 *keys, scv__h128 key);

/* Store id for key (absent before). Room must have been reserved. */
void scv__htab_insert(scv__htab *t, scv__h128 key, uint32_t id);

/* Remove the entry for key (present). Backward-shift deletion keeps probes short. */
void scv__htab_remove(scv__htab *t, const scv__h128 *keys, scv__h128 key);

/* Bytes of memory the table holds. */
size_t scv__htab_bytes(const scv__htab *t);

#endif
