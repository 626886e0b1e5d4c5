/* names.c — see names.h. */
#include "names.h"

#include <string.h>

static scv__h128 name_key(const char *s, size_t len)
{
    static const scv__hasher unkeyed; /* zero: XXH3's default secret */
    return scv__hash128(&unkeyed, s, len);
}

void scv__names_free(const scv__mem *m, scv__names *n)
{
    SCV__VEC_FREE(m, n->bytes);
    SCV__VEC_FREE(m, n->items);
    SCV__VEC_FREE(m, n->keys);
    scv__htab_free(m, &n->index);
    memset(n->recent, 0, sizeof n->recent);
}

uint32_t scv__names_find(const scv__names *n, const char *s, size_t len)
{
    scv__h128 k = name_key(s, len);
    uint32_t id = scv__htab_find(&n->index, n->keys.data, k);
    /* Names are few and host-chosen: confirm the bytes rather than trust the hash alone. */
    if (id != SCV__NONE &&
        (n->items.data[id].len != len || memcmp(n->bytes.data + n->items.data[id].off, s, len) != 0))
        return SCV__NONE;
    return id;
}

uint32_t scv__names_intern_slow(scv__names *n, const char *s, size_t len)
{
    uint32_t *recent = &n->recent[scv__names_recent_slot(s, len)];
    uint32_t id = scv__names_find(n, s, len);
    if (id != SCV__NONE) {
        *recent = id + 1;
        return id;
    }
    id = (uint32_t)n->items.len;
    scv__name item = {(uint32_t)n->bytes.len, (uint32_t)len};
    if (len > 0) memcpy(n->bytes.data + n->bytes.len, s, len);
    n->bytes.len += len;
    memset(n->bytes.data + n->bytes.len, 0, SCV__NAMES_BLOCK); /* room: scv__names_reserve() */
    n->items.data[n->items.len++] = item;
    n->keys.data[n->keys.len++] = name_key(s, len);
    scv__htab_insert(&n->index, n->keys.data[id], id);
    *recent = id + 1;
    return id;
}

scv_status scv__names_add(const scv__mem *m, scv__names *n, const char *s, size_t len, uint32_t *id)
{
    scv_status st = scv__names_reserve(m, n, 1, len);
    if (st != SCV_OK) return st;
    *id = scv__names_intern(n, s, len);
    return SCV_OK;
}
