/* idtable.h — identifiers: hashed (kind, normalized value) -> dense id, with per-identifier
 * columns: kind, anchor record (one record that carries it, the union-find link target),
 * reference count (records carrying it) and, when retained, the normalized value. Internal. */
#ifndef SCV_IDTABLE_H
#define SCV_IDTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "htab.h"
#include "util/mem.h"

/* A byte range in a byte pool. */
typedef struct scv__span {
    uint64_t off;
    uint32_t len;
} scv__span;

typedef struct scv__idtable {
    scv__htab index;
    SCV__VEC(scv__h128) keys;
    SCV__VEC(uint8_t) kind;
    SCV__VEC(uint32_t) anchor;
    SCV__VEC(uint32_t) refs;
    SCV__VEC(scv__span) value; /* only when values are retained */
    SCV__VEC(char) bytes;      /* retained normalized values */
    size_t live;               /* identifiers with refs > 0 */
    int retain;                /* keep normalized values */
} scv__idtable;

void scv__idtable_free(const scv__mem *m, scv__idtable *t);

/* Room for `count` more identifiers with `bytes` bytes of values. */
scv_status scv__idtable_reserve(const scv__mem *m, scv__idtable *t, size_t count, size_t bytes);

static inline uint32_t scv__idtable_find(const scv__idtable *t, scv__h128 key)
{
    return scv__htab_find(&t->index, t->keys.data, key);
}

/* Find or add (room reserved). A new identifier has no anchor and no references. */
uint32_t scv__idtable_intern(scv__idtable *t, scv__h128 key, uint8_t kind, const char *value,
                             size_t len);

size_t scv__idtable_bytes(const scv__idtable *t);

#endif
