/* idtable.c — see idtable.h. */
#include "idtable.h"

#include <string.h>

void scv__idtable_free(const scv__mem *m, scv__idtable *t)
{
    scv__htab_free(m, &t->index);
    SCV__VEC_FREE(m, t->keys);
    SCV__VEC_FREE(m, t->row);
    SCV__VEC_FREE(m, t->value);
    SCV__VEC_FREE(m, t->bytes);
    t->live = 0;
}

uint32_t scv__idtable_intern(scv__idtable *t, scv__h128 key, uint8_t kind, uint8_t state,
                             const char *value, size_t len, int *added)
{
    uint32_t id = scv__idtable_find(t, key);
    *added = id == SCV__NONE;
    return id != SCV__NONE ? id : scv__idtable_add(t, key, kind, state, value, len);
}

size_t scv__idtable_bytes(const scv__idtable *t)
{
    return scv__htab_bytes(&t->index) + t->keys.cap * sizeof *t->keys.data +
           t->row.cap * sizeof *t->row.data + t->value.cap * sizeof *t->value.data +
           t->bytes.cap;
}
