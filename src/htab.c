/* htab.c — see htab.h. */
#include "htab.h"

#include <string.h>

static inline uint64_t slot_make(scv__h128 k, uint32_t id)
{
    return ((uint64_t)scv__htab_tag(k) << 32) | ((uint64_t)id + 1u);
}

void scv__htab_free(const scv__mem *m, scv__htab *t)
{
    if (t->slots != NULL) scv__free(m, t->slots, t->cap * sizeof *t->slots);
    memset(t, 0, sizeof *t);
}

size_t scv__htab_bytes(const scv__htab *t)
{
    return t->slots == NULL ? 0 : t->cap * sizeof *t->slots;
}


scv_status scv__htab_grow(const scv__mem *m, scv__htab *t, size_t total)
{
    size_t want, bytes;
    uint64_t *slots;
    if (t->slots != NULL && total <= scv__htab_limit(t)) return SCV_OK;
    /* Room for total at a load of 3/4, and at least double the table when it has to grow
     * entry by entry, so that rehashing stays amortised O(1) per entry. */
    if (total > ((size_t)UINT32_MAX - 16) / 4 * 3) return SCV_ELIMIT;
    want = total + total / 3 + 16;
    if (t->slots != NULL && want < 2 * t->cap) want = 2 * t->cap;
    if (want > (size_t)UINT32_MAX) want = (size_t)UINT32_MAX;
    if (!scv__mul_ok(want, sizeof *slots, &bytes)) return SCV_ENOMEM;
    slots = scv__alloc(m, bytes);
    if (slots == NULL) return SCV_ENOMEM;
    memset(slots, 0, bytes);

    scv__htab grown = {slots, want, t->count};
    if (t->slots != NULL) {
        for (size_t i = 0; i < t->cap; i++) {
            uint64_t s = t->slots[i];
            if (s != 0) scv__htab_place(&grown, s);
        }
        scv__free(m, t->slots, t->cap * sizeof *t->slots);
    }
    *t = grown;
    return SCV_OK;
}

void scv__htab_remove(scv__htab *t, scv__h128 key, uint32_t id)
{
    uint64_t want = slot_make(key, id);
    size_t i = scv__htab_home(t, scv__htab_tag(key));
    for (;; i = scv__htab_step(t, i)) {
        uint64_t s = t->slots[i];
        if (s == 0) return;
        if (s == want) break;
    }
    /* Shift later members of the probe run back into the hole while that keeps them
     * reachable from their home slot. */
    size_t hole = i;
    for (size_t j = scv__htab_step(t, i); t->slots[j] != 0; j = scv__htab_step(t, j)) {
        size_t home = scv__htab_home(t, (uint32_t)(t->slots[j] >> 32));
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
