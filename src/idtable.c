/* idtable.c — see idtable.h. */
#include "idtable.h"

#include <string.h>

void scv__idtable_free(const scv__mem *m, scv__idtable *t)
{
    scv__htab_free(m, &t->index);
    SCV__VEC_FREE(m, t->keys);
    SCV__VEC_FREE(m, t->kind);
    SCV__VEC_FREE(m, t->anchor);
    SCV__VEC_FREE(m, t->refs);
    SCV__VEC_FREE(m, t->state);
    SCV__VEC_FREE(m, t->head);
    SCV__VEC_FREE(m, t->bound);
    SCV__VEC_FREE(m, t->solo);
    SCV__VEC_FREE(m, t->second);
    SCV__VEC_FREE(m, t->mark);
    SCV__VEC_FREE(m, t->value);
    SCV__VEC_FREE(m, t->bytes);
    t->live = 0;
}

scv_status scv__idtable_reserve(const scv__mem *m, scv__idtable *t, size_t count, size_t bytes)
{
    scv_status st;
    if (t->keys.len + count > SCV__MAX_IDS) return SCV_ELIMIT;
    if ((st = SCV__VEC_RESERVE(m, t->keys, count)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, t->kind, count)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, t->anchor, count)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, t->refs, count)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, t->state, count)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, t->head, count)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, t->bound, count)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, t->solo, count)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, t->second, count)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, t->mark, count)) != SCV_OK) return st;
    if (t->retain) {
        if ((st = SCV__VEC_RESERVE(m, t->value, count)) != SCV_OK) return st;
        if ((st = SCV__VEC_RESERVE(m, t->bytes, bytes)) != SCV_OK) return st;
    }
    return scv__htab_reserve(m, &t->index, t->keys.data, t->keys.len + count);
}

uint32_t scv__idtable_intern(scv__idtable *t, scv__h128 key, uint8_t kind, uint8_t state,
                             const char *value, size_t len, int *added)
{
    uint32_t id = scv__idtable_find(t, key);
    *added = id == SCV__NONE;
    return id != SCV__NONE ? id : scv__idtable_add(t, key, kind, state, value, len);
}

uint32_t scv__idtable_add(scv__idtable *t, scv__h128 key, uint8_t kind, uint8_t state, const char *value,
                          size_t len)
{
    uint32_t id = (uint32_t)t->keys.len;
    t->keys.data[t->keys.len++] = key;
    t->kind.data[t->kind.len++] = kind;
    t->anchor.data[t->anchor.len++] = SCV__NONE;
    t->refs.data[t->refs.len++] = 0;
    t->state.data[t->state.len++] = state;
    t->head.data[t->head.len++] = SCV__NONE;
    t->bound.data[t->bound.len++] = 0;
    t->solo.data[t->solo.len++] = 0;
    t->second.data[t->second.len++] = 0;
    t->mark.data[t->mark.len++] = 0;
    if (t->retain) {
        scv__span sp = {t->bytes.len, (uint32_t)len};
        if (len > 0) memcpy(t->bytes.data + t->bytes.len, value, len);
        t->bytes.len += len;
        t->value.data[t->value.len++] = sp;
    }
    scv__htab_insert(&t->index, key, id);
    return id;
}

size_t scv__idtable_bytes(const scv__idtable *t)
{
    return scv__htab_bytes(&t->index) + t->keys.cap * sizeof *t->keys.data +
           t->kind.cap * sizeof *t->kind.data + t->anchor.cap * sizeof *t->anchor.data +
           t->refs.cap * sizeof *t->refs.data + t->state.cap * sizeof *t->state.data +
           t->head.cap * sizeof *t->head.data + t->bound.cap * sizeof *t->bound.data +
           t->solo.cap * sizeof *t->solo.data + t->second.cap * sizeof *t->second.data +
           t->mark.cap * sizeof *t->mark.data + t->value.cap * sizeof *t->value.data +
           t->bytes.cap;
}
