/* htab.c — see htab.h. */
#include "htab.h"

#include <string.h>

static inline uint32_t tag_of(scv__h128 k)
{
    return (uint32_t)(k.hi >> 32);
}

static inline size_t home_of(const scv__htab *t, scv__h128 k)
{
    return (size_t)k.lo & t->mask;
}

static inline uint64_t slot_make(scv__h128 k, uint32_t id)
{
    return ((uint64_t)tag_of(k) << 32) | ((uint64_t)id + 1u);
}

static inline uint32_t slot_id(uint64_t s)
{
    return (uint32_t)(s & 0xFFFFFFFFu) - 1u;
}

void scv__htab_free(const scv__mem *m, scv__htab *t)
{
    if (t->slots != NULL) scv__free(m, t->slots, (t->mask + 1) * sizeof *t->slots);
    memset(t, 0, sizeof *t);
}

size_t scv__htab_bytes(const scv__htab *t)
{
    return t->slots == NULL ? 0 : (t->mask + 1) * sizeof *t->slots;
}

uint32_t scv__htab_find(const scv__htab *t, const scv__h128 *keys, scv__h128 key)
{
    if (t->slots == NULL) return SCV__NONE;
    uint32_t tag = tag_of(key);
    for (size_t i = home_of(t, key);; i = (i + 1) & t->mask) {
        uint64_t s = t->slots[i];
        if (s == 0) return SCV__NONE;
        if ((uint32_t)(s >> 32) == tag && scv__h128_eq(keys[slot_id(s)], key)) return slot_id(s);
    }
}

static void place(scv__htab *t, scv__h128 key, uint64_t slot)
{
    size_t i = home_of(t, key);
    while (t->slots[i] != 0) i = (i + 1) & t->mask;
    t->slots[i] = slot;
}

void scv__htab_insert(scv__htab *t, scv__h128 key, uint32_t id)
{
    place(t, key, slot_make(key, id));
    t->count++;
}

scv_status scv__htab_grow(const scv__mem *m, scv__htab *t, const scv__h128 *keys, size_t total)
{
    size_t want = 16, bytes;
    uint64_t *slots;
    if (t->slots != NULL && total <= (t->mask + 1) / 4 * 3) return SCV_OK;
    while (want / 4 * 3 < total) {
        if (want > SIZE_MAX / 2) return SCV_ENOMEM;
        want *= 2;
    }
    if (!scv__mul_ok(want, sizeof *slots, &bytes)) return SCV_ENOMEM;
    slots = scv__alloc(m, bytes);
    if (slots == NULL) return SCV_ENOMEM;
    memset(slots, 0, bytes);

    scv__htab grown = {slots, want - 1, t->count};
    if (t->slots != NULL) {
        for (size_t i = 0; i <= t->mask; i++) {
            uint64_t s = t->slots[i];
            if (s != 0) place(&grown, keys[slot_id(s)], s);
        }
        scv__free(m, t->slots, (t->mask + 1) * sizeof *t->slots);
    }
    *t = grown;
    return SCV_OK;
}

void scv__htab_remove(scv__htab *t, const scv__h128 *keys, scv__h128 key)
{
    uint32_t tag = tag_of(key);
    size_t i = home_of(t, key);
    for (;; i = (i + 1) & t->mask) {
        uint64_t s = t->slots[i];
        if (s == 0) return;
        if ((uint32_t)(s >> 32) == tag && scv__h128_eq(keys[slot_id(s)], key)) break;
    }
    /* Shift later members of the probe run back into the hole while that keeps them
     * reachable from their home slot. */
    size_t hole = i;
    for (size_t j = (i + 1) & t->mask; t->slots[j] != 0; j = (j + 1) & t->mask) {
        size_t home = home_of(t, keys[slot_id(t->slots[j])]);
        /* j may move to hole when home is not cyclically within (hole, j]. */
        int reachable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
        if (reachable) {
            t->slots[hole] = t->slots[j];
            hole = j;
        }
    }
    t->slots[hole] = 0;
    t->count--;
}
