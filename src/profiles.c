/* profiles.c — see profiles.h. */
#include "profiles.h"

void scv__profiles_free(const scv__mem *m, scv__profiles *p)
{
    SCV__VEC_FREE(m, p->root);
    SCV__VEC_FREE(m, p->merged);
    SCV__VEC_FREE(m, p->of_root);
    p->live = 0;
}

void scv__profiles_merge(scv__profiles *p, uint32_t gone, uint32_t survivor)
{
    p->root.data[gone] = SCV__NONE;
    p->merged.data[gone] = survivor;
    p->live--;
}

uint32_t scv__profiles_canonical(const scv__profiles *p, uint32_t id)
{
    if (id == 0 || id >= p->root.len) return 0;
    while (p->root.data[id] == SCV__NONE) {
        id = p->merged.data[id];
        if (id == 0) return 0;
    }
    return id;
}

void scv__profiles_kill(scv__profiles *p, uint32_t id)
{
    p->root.data[id] = SCV__NONE;
    p->merged.data[id] = 0;
    p->live--;
}
